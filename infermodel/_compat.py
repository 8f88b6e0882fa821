"""pandera, imported the one way the kit imports it: after quieting its probe for PySpark.

Every module of the kit takes pandera from here (``from infermodel._compat import pa``), so
:func:`quiet_pandera_probe` runs before pandera is first imported. Nothing here runs on
``import infermodel`` alone: only when a table module is imported.
"""

from __future__ import annotations

import importlib.util
import sys

import pandas


def quiet_pandera_probe() -> None:
    """Stop pandera's probe for ``pyspark.pandas`` where that import can only fail.

    pandera tries ``import pyspark.pandas`` whenever pyspark is installed (the
    ``infermodel[spark]`` extra), on import and again on every validation. With pandas 3 that
    import fails (PySpark 4.3: ImportError on ``pandas.tseries.frequencies.DateOffset``) after
    warning "PySpark does not yet fully support pandas >= 3.0.0", once per try. infermodel
    uses ``pyspark.sql`` only. Marking ``pyspark.pandas`` absent in ``sys.modules`` makes each
    try fail at once, without the warning, as it fails anyway. Nothing is marked when pyspark
    is not installed or pandas is older than 3.
    """
    if int(pandas.__version__.split(".")[0]) < 3 or importlib.util.find_spec("pyspark") is None:
        return
    sys.modules.setdefault("pyspark.pandas", None)  # type: ignore[arg-type]


quiet_pandera_probe()

import pandera.pandas as pa  # noqa: E402  (after the probe is quieted)
from pandera.engines import pandas_engine  # noqa: E402
from pandera.errors import SchemaError, SchemaErrors  # noqa: E402

__all__ = ["SchemaError", "SchemaErrors", "pa", "pandas_engine", "quiet_pandera_probe"]
