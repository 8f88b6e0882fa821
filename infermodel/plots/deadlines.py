"""Chart of a job with a deadline: cost against completion time, one line per offering."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import seaborn as sns

from infermodel import display
from infermodel.plots.base import drawn, money_axis, new_figure, titled, wrap


def _hours(value: float) -> str:
    return f"{display.number(value, 1 if value < 10 else 0)} h"


@drawn
def deadline_options(
    options: pd.DataFrame,
    *,
    deadline_hours: float,
    title: str | None = None,
    as_of: object = None,
    labels: Mapping[str, str] | None = None,
) -> tuple:
    """Cost of the job against its completion time (log-log), with the deadline marked.

    ``options`` is :func:`infermodel.analyses.deadlines.options` (options of unknown time are left
    out). An API is a dashed line through its usage tiers (one dot each, higher tiers to the
    left); a rented-GPU row a solid line through 1 to N replicas (same cost, less time).
    """
    labels = dict(labels or {})
    known = options.dropna(subset=["completion_hours"])
    fig, ax = new_figure(7.0)
    colours = iter(sns.color_palette("colorblind", max(known["offering_id"].nunique(), 1)))
    described = []
    for offering_id, rows in known.groupby("offering_id", sort=False):
        rows = rows.sort_values("completion_hours")
        api = rows["replicas"].isna().all()
        name = labels.get(offering_id, offering_id)
        ax.plot(
            rows["completion_hours"],
            rows["cost_usd"],
            linestyle="--" if api else "-",
            marker="o",
            markersize=5 if api else 3,
            linewidth=1.6,
            color=next(colours),
            label=wrap(name, 48),
        )
        best = rows.iloc[0]
        where = best["usage_tier"].replace("_", " ") if api else f"{int(best['replicas'])} replicas"
        described.append(
            f"{name}: {_hours(best['completion_hours'])} at best ({where}), "
            f"{display.money(best['cost_usd'])}"
        )
    ax.axvline(deadline_hours, color="black", linewidth=1.2, linestyle=":")
    ax.annotate(
        f"deadline {_hours(deadline_hours)}",
        (deadline_hours, 1),
        xycoords=("data", "axes fraction"),
        xytext=(4, -14),
        textcoords="offset points",
        fontsize=10,
    )
    ax.set(xscale="log", yscale="log")
    if len(known):
        low, high = known["cost_usd"].min(), known["cost_usd"].max()
        ax.set_ylim(low / 1.8, high * 1.8 if high > low else low * 3)
    money_axis(ax, "y")
    ax.set_xlabel("completion time [hours, log scale]; left of the dotted line: in time")
    ax.set_ylabel("cost of the job [USD, log scale]")
    fig.legend(loc="outside lower center", ncols=2, fontsize=9)
    ax.set_title(titled(title, "Cost against completion time", as_of))
    late = int((known.groupby("offering_id")["completion_hours"].min() > deadline_hours).sum())
    alt = (
        "Line chart, log-log, of the job's cost against its completion time, deadline "
        f"{_hours(deadline_hours)}; {late} of {known['offering_id'].nunique()} offerings cannot "
        "make it at any tier or replica count shown. " + "; ".join(described) + "."
    )
    return fig, alt


__all__ = ["deadline_options"]
