"""infermodel: what will this LLM inference workload cost on each kind of platform?

The public API is the names below (``import infermodel as im``): a workload, the prices in
force on a date, that workload priced on every offering, a request log or a FOCUS bill
priced, the decision analyses and the throughput estimate. Everything else is reached through
its package (``infermodel.pricing``, ``infermodel.analyses``, ...; ``docs/architecture.md``).
Names load on first use (PEP 562), so ``import infermodel`` and the command line start light.
"""

from __future__ import annotations

import importlib
import sys
from importlib import metadata

from infermodel import _moved

try:
    __version__ = metadata.version("infermodel")
except metadata.PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"

#: Public name -> "module:attribute" it is loaded from.
_PUBLIC = {
    # the job and the prices
    "Workload": "infermodel.workloads:Workload",
    "article_workload": "infermodel.workloads:article_workload",
    "prices_on": "infermodel.prices:as_of",
    "PriceSnapshot": "infermodel.prices:PriceSnapshot",
    "serving_assumptions": "infermodel.tables.serving:assumptions",
    # priced on every offering
    "cost_table": "infermodel.pricing.compare:cost_table",
    "cheapest_by_platform": "infermodel.pricing.compare:cheapest_by_platform",
    "read_trace": "infermodel.readers.logs:read_trace",
    "price_trace": "infermodel.pricing.trace_pricing:price_trace",
    "read_bill": "infermodel.readers.focus:read_bill",
    "reprice_bill": "infermodel.pricing.bill_pricing:reprice",
    "reconcile_bill": "infermodel.pricing.reconcile:reconcile",
    # estimator and decision analyses
    "estimate_throughput": "infermodel.estimator.throughput:estimate",
    "monte_carlo": "infermodel.analyses.sensitivity:monte_carlo",
    "tornado": "infermodel.analyses.sensitivity:tornado",
    "break_even_table": "infermodel.analyses.growth:break_even_table",
    "deadline_options": "infermodel.analyses.deadlines:options",
    # data and errors
    "validate_data": "infermodel.tables.registry:validate_all",
    "InfermodelError": "infermodel.errors:InfermodelError",
    "InputError": "infermodel.errors:InputError",
    "DataError": "infermodel.errors:DataError",
    "NoPricesError": "infermodel.errors:NoPricesError",
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str) -> object:
    """Load a public name on first use (PEP 562)."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'infermodel' has no attribute {name!r}")
    module, _, attribute = _PUBLIC[name].partition(":")
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


# Old module paths (infermodel.compare, ...) resolve to where they moved, with a warning.
if _moved.FINDER not in sys.meta_path:
    sys.meta_path.append(_moved.FINDER)
