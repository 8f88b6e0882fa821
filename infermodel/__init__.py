"""infermodel: what will this LLM inference workload cost on each kind of platform?

The library prices a workload (:mod:`infermodel.workloads`) on token-priced APIs and on
rented GPUs (:mod:`infermodel.formulas`) at the prices in force on a date
(:mod:`infermodel.prices`), as one tidy table (:func:`infermodel.compare.cost_table`).
"""

from importlib import metadata

try:
    __version__ = metadata.version("infermodel")
except metadata.PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"
