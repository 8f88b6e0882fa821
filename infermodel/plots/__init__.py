"""Charts for the reports: each function takes a library table and returns a :class:`Chart`.

A chart is drawn for the report's text column (:data:`WIDTH` inches at 100 px per inch, so
it shows at its drawn size at 100% zoom) with labels of at least 10 pt, units on the axes,
the colour-blind-safe palette of seaborn (``colorblind``, after Okabe and Ito) and, for
every chart, a description generated from the data it shows (:attr:`Chart.alt`, the
``alt`` text of the image in a report). Colours encode platform type the same way in every
chart (:data:`PLATFORM_COLOURS`); long category lists are cut to the top ``top_n`` and the
rest summarised in the title.
"""

from infermodel.plots.base import DPI, PLATFORM_COLOURS, WIDTH, Chart
from infermodel.plots.bills import bill_alternatives
from infermodel.plots.costs import (
    cost_by_offering,
    cost_curves,
    cost_ranges,
    maturity_path,
    price_stack,
    price_vs_mix,
)
from infermodel.plots.deadlines import deadline_options
from infermodel.plots.measured import (
    caching_effect,
    estimate_vs_measured,
    latency_frontier,
    trace_shape,
)
from infermodel.plots.sizing import idle_timeout, reservation_savings
from infermodel.plots.uncertainty import (
    monte_carlo_distributions,
    one_way,
    sensitivity_grid,
    tornado,
)

__all__ = [
    "DPI",
    "PLATFORM_COLOURS",
    "WIDTH",
    "Chart",
    "bill_alternatives",
    "caching_effect",
    "cost_by_offering",
    "cost_curves",
    "cost_ranges",
    "deadline_options",
    "estimate_vs_measured",
    "idle_timeout",
    "latency_frontier",
    "maturity_path",
    "monte_carlo_distributions",
    "one_way",
    "price_stack",
    "price_vs_mix",
    "reservation_savings",
    "sensitivity_grid",
    "tornado",
    "trace_shape",
]
