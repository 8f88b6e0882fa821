"""infermodel: what will this LLM inference workload cost on each kind of platform?

The library prices a workload (:mod:`infermodel.workloads`) on token-priced APIs and on
rented GPUs (:mod:`infermodel.formulas`) at the prices in force on a date
(:mod:`infermodel.prices`), as one tidy table (:func:`infermodel.pricing.compare.cost_table`).
"""

import sys
from importlib import metadata

import pandas

# pandera tries `import pyspark.pandas` whenever pyspark is installed (the infermodel[spark]
# extra), on import and again when it validates. With pandas 3 that import fails (PySpark 4.3:
# ImportError on pandas.tseries.frequencies.DateOffset) after warning "PySpark does not yet
# fully support pandas >= 3.0.0", once per try. infermodel uses pyspark.sql only; marking
# pyspark.pandas absent makes each try fail at once, without the warning, as it fails anyway.
if int(pandas.__version__.split(".")[0]) >= 3:
    sys.modules.setdefault("pyspark.pandas", None)  # type: ignore[arg-type]

try:
    __version__ = metadata.version("infermodel")
except metadata.PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"
