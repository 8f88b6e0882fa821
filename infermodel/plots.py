"""Figures for the notebooks: each function takes a library table and returns a Figure.

Colours encode platform type the same way in every figure (:data:`PLATFORM_COLOURS`), and
components that are not sourced are hatched and say so in the legend.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from infermodel.compare import STACK_COMPONENTS, offering_labels
from infermodel.prices import PLATFORM_LABELS, PLATFORM_TYPES

_PALETTE = sns.color_palette("colorblind", n_colors=len(PLATFORM_TYPES))
PLATFORM_COLOURS = dict(zip(PLATFORM_TYPES, _PALETTE, strict=True))
_COMPONENT_COLOURS = dict(zip(STACK_COMPONENTS, sns.color_palette("muted", 4), strict=True))
_HATCH = {
    "illustrative": "//",
    "remainder": "..",
    "derived": "",
    "sourced": "",
    "none": "",
    "not published": "",
}


def cost_by_offering(table: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Horizontal bars of ``cost_usd`` per offering on a log scale, coloured by platform type."""
    data = table.assign(label=offering_labels(table)).iloc[::-1]
    height = max(3.0, 0.28 * len(data) + 1.2)
    fig, ax = plt.subplots(figsize=(9, height), layout="constrained")
    ax.barh(
        data["label"],
        data["cost_usd"],
        color=[PLATFORM_COLOURS[t] for t in data["platform_type"]],
    )
    ax.set_xscale("log")
    ax.set_xlabel("cost of the job [USD, log scale]")
    ax.grid(axis="x", which="both", alpha=0.3)
    for y, cost in enumerate(data["cost_usd"]):
        ax.annotate(
            f"${cost:,.2f}",
            (cost, y),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
        )
    present = [t for t in PLATFORM_TYPES if t in set(table["platform_type"])]
    ax.legend(
        handles=[Patch(color=PLATFORM_COLOURS[t], label=PLATFORM_LABELS[t]) for t in present],
        loc="lower right",
        fontsize=8,
    )
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(title or "Cost of the job by offering")
    return fig


def price_stack(stacks: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Stacked bars of the article's price-per-token layers as shares of each list price.

    One bar per API offering, labelled with its price; hatched segments are not sourced
    (``illustrative`` or ``remainder``). A negative layer (a provider pricing below the
    base cost assumed) is drawn left of zero.
    """
    models = list(dict.fromkeys(stacks["model"]))
    totals = stacks.groupby("model", sort=False)["usd_per_million_tokens"].sum().loc[models]
    labels = [f"{m}\n(${t:,.2f}/M)" for m, t in totals.items()]
    fig, ax = plt.subplots(figsize=(9, max(3.0, 0.55 * len(models) + 1.5)), layout="constrained")
    positive = np.zeros(len(models))
    negative = np.zeros(len(models))
    for component in STACK_COMPONENTS:
        part = stacks[stacks["component"] == component].set_index("model").loc[models]
        values = 100 * part["share_of_price"].to_numpy()
        left = np.where(values >= 0, positive, negative)
        bars = ax.barh(
            labels,
            values,
            left=left,
            color=_COMPONENT_COLOURS[component],
            edgecolor="black",
            linewidth=0.3,
            label=component.replace("_", " "),
        )
        for bar, basis in zip(bars, part["basis"], strict=True):
            bar.set_hatch(_HATCH.get(basis, ""))
        positive += np.where(values >= 0, values, 0)
        negative += np.where(values < 0, values, 0)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.invert_yaxis()
    ax.set_xlabel("share of the list price [%]")
    ax.tick_params(axis="y", labelsize=8)
    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Patch(facecolor="white", edgecolor="black", hatch="//", label="illustrative (not sourced)"),
        Patch(facecolor="white", edgecolor="black", hatch="..", label="remainder of list price"),
    ]
    ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_title(title or "Price-per-token stack (the article's layers)")
    return fig


_PRESENTED = {
    "platform": "platform type",
    "provider": "provider",
    "model": "model",
    "gpu": "GPU",
    "tier": "tier",
    "serving_assumption": "serving assumption",
    "gpu_hours": "GPU-hours",
    "wall_clock_hours": "wall-clock hours",
    "cost_usd": "cost [USD]",
    "usd_per_million_tokens": "USD / M tokens",
    "multiple_of_cheapest": "x cheapest",
    "confidence": "price confidence",
}


def styled_cost_table(table: pd.DataFrame):
    """A :func:`~infermodel.compare.cost_table` for reading: grouped by platform type."""
    shown = table[list(_PRESENTED)].rename(columns=_PRESENTED).reset_index(drop=True)
    return (
        shown.style.format(
            {
                "GPU-hours": "{:,.1f}",
                "wall-clock hours": "{:,.1f}",
                "cost [USD]": "${:,.2f}",
                "USD / M tokens": "${:,.3f}",
                "x cheapest": "{:,.1f}x",
            },
            na_rep="",
        )
        .background_gradient(subset=["x cheapest"], cmap="Reds", gmap=np.log10(shown["x cheapest"]))
        .hide(axis="index")
        .set_table_attributes('style="font-size: 0.85em"')
    )
