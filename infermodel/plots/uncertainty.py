"""Charts of how sure a comparison is: tornado, sweeps, grid, Monte Carlo."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from infermodel import display
from infermodel.plots.base import (
    PALETTE,
    PLATFORM_COLOURS,
    WIDTH,
    compact_axis,
    cut_top,
    drawn,
    money_axis,
    new_figure,
    platform_legend,
    titled,
    wrap,
)

# --- how sure --------------------------------------------------------------------------------


@drawn
def tornado(
    frame: pd.DataFrame,
    *,
    title: str | None = None,
    versus: tuple[str, str] | None = None,
    unit: str = "USD per M tokens",
) -> tuple:
    """Tornado chart of :func:`infermodel.analyses.sensitivity.tornado`: widest swing on top.

    Each bar spans the result from the input's low end to its high end; the black line is
    the result at the base values, the dashed line zero (where the decision flips).
    """
    data = frame.iloc[::-1]
    fig, ax = new_figure(0.6 * len(data) + 1.8)
    base = float(frame["result_at_base"].iloc[0])
    low_colour, high_colour = PALETTE[0], PALETTE[1]
    for y, row in enumerate(data.itertuples(index=False)):
        for end, colour in ((row.result_at_low, low_colour), (row.result_at_high, high_colour)):
            ax.barh(y, end - base, left=base, color=colour, height=0.6)
    ax.axvline(base, color="black", linewidth=1.2)
    low, high = ax.get_xlim()
    if low < 0 < high:
        ax.axvline(0, color="grey", linestyle="--", linewidth=1.2)
    names = [
        f"{display.words(i, table=display.INPUT_WORDS)}\n{_range(r.low, r.high)}"
        for i, r in zip(data["input"], data.itertuples(index=False), strict=True)
    ]
    ax.set_yticks(range(len(data)), names)
    ax.grid(axis="y", visible=False)
    money_axis(ax)
    ax.set_xlabel(f"result [{unit}]; black line: base case; dashed: zero")
    ax.legend(
        handles=[
            Patch(color=low_colour, label="input at the low end"),
            Patch(color=high_colour, label="input at the high end"),
        ],
        loc="best",
    )
    default = f"Gap: {versus[0]} minus {versus[1]}" if versus else "Gap: API minus DIY"
    ax.set_title(wrap(titled(title, default + f" [{unit}]"), 90))
    top = frame.iloc[0]
    alt = (
        f"Tornado chart of {unit}: base case {display.money(base)}. Widest swing "
        f"{display.words(top['input'], table=display.INPUT_WORDS)} "
        f"({display.money(top['swing'])}), then "
        + ", ".join(
            f"{display.words(r.input, table=display.INPUT_WORDS)} ({display.money(r.swing)})"
            for r in frame.iloc[1:].itertuples()
        )
        + "."
    )
    return fig, alt


def _range(low: float, high: float) -> str:
    return f"{display.number(low)} to {display.number(high)}"


@drawn
def one_way(sweeps: pd.DataFrame, *, unit: str = "USD per M tokens") -> tuple:
    """One small panel per input of :func:`infermodel.analyses.sensitivity.one_way`, zero dashed."""
    inputs = list(dict.fromkeys(sweeps["input"]))
    columns = 3
    rows = -(-len(inputs) // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(WIDTH, 2.7 * rows + 0.4), layout="constrained", squeeze=False
    )
    for ax, name in zip(axes.flat, inputs, strict=False):
        line = sweeps[sweeps["input"] == name]
        ax.plot(line["value"], line["result"], color=PALETTE[0], linewidth=2)
        ax.axhline(0, color="grey", linestyle="--", linewidth=1)
        ax.set_title(display.words(name, table=display.INPUT_WORDS))
        compact_axis(ax)
        money_axis(ax, "y")
    for ax in axes.flat[len(inputs) :]:
        ax.set_visible(False)
    fig.supylabel(f"result [{unit}]")
    fig.supxlabel("input value (its unit in the table above)")
    alt = "Line charts of the result against each input: " + "; ".join(
        f"{display.words(n, table=display.INPUT_WORDS)} from "
        f"{display.money(sweeps.loc[sweeps['input'] == n, 'result'].min())} to "
        f"{display.money(sweeps.loc[sweeps['input'] == n, 'result'].max())}"
        for n in inputs
    )
    return fig, alt + "."


@drawn
def sensitivity_grid(
    frame: pd.DataFrame,
    *,
    level: float,
    title: str | None = None,
    diy: str | None = None,
    unit: str = "USD per M tokens",
) -> tuple:
    """Filled contours of :func:`infermodel.analyses.sensitivity.grid`, with the line ``result ==
    level``.

    A log y axis is used when the y values span more than a factor of 20.
    """
    fig, ax = new_figure(5.6)
    x, y = frame.columns.to_numpy(float), frame.index.to_numpy(float)
    values = frame.to_numpy(float)
    top = np.nanpercentile(values, 98)
    filled = ax.contourf(x, y, np.minimum(values, top), levels=20, cmap="viridis_r")
    fig.colorbar(filled, ax=ax, label=f"DIY cost [{unit}]")
    crosses = np.nanmin(values) < level < np.nanmax(values)
    if crosses:
        line = ax.contour(x, y, values, levels=[level], colors=[PALETTE[3]], linewidths=2.5)
        ax.clabel(line, fmt=lambda v: f"= API {display.money(v)}", fontsize=10)
    if y.min() > 0 and y.max() / y.min() > 20:
        ax.set_yscale("log")
    ax.grid(False)
    ax.set_xlabel(display.words(frame.columns.name, table=display.INPUT_WORDS) + " [-]")
    ax.set_ylabel(display.words(frame.index.name, table=display.INPUT_WORDS) + " [tokens/h]")
    default = f"DIY cost on {diy}" if diy else "DIY cost"
    ax.set_title(
        wrap(titled(title, default + f"; red line at the API price {display.money(level)}"), 90)
    )
    alt = (
        f"Contour chart of the DIY cost over {frame.columns.name} and {frame.index.name}: "
        f"{display.money(np.nanmin(values))} to {display.money(np.nanmax(values))} per M tokens; "
        + (
            f"the red line marks the API price {display.money(level)}."
            if crosses
            else f"the API price {display.money(level)} is outside the range shown."
        )
    )
    return fig, alt


@drawn
def monte_carlo_distributions(
    result,
    offering_ids: list[str],
    *,
    title: str | None = None,
    labels: Mapping[str, str] | None = None,
    top_n: int = 14,
    sample: int = 20_000,
) -> tuple:
    """Boxes (P10-P90 whiskers) of the Monte Carlo cost of chosen offerings, log scale.

    ``result`` is a :class:`infermodel.analyses.sensitivity.MonteCarloResult`; at most ``top_n``
    offerings (cheapest median first) of ``offering_ids`` are drawn, ``sample`` draws each.
    """
    summary = result.summary.reset_index(drop=True)
    chosen = summary[summary["offering_id"].isin(offering_ids)]
    chosen, note = cut_top(chosen, top_n, "p50_cost_usd")
    names = {
        **dict(zip(summary["offering_id"], summary["offering"], strict=True)),
        **(labels or {}),
    }
    sampled = result.costs[chosen.index, :: max(1, result.costs.shape[1] // sample)]
    fig, ax = new_figure(0.5 * len(chosen) + 1.8)
    positions = np.arange(len(chosen))
    boxes = ax.boxplot(
        list(sampled),
        positions=positions,
        orientation="horizontal",
        whis=(10, 90),
        showfliers=False,
        patch_artist=True,
        widths=0.6,
        medianprops={"color": "black"},
    )
    for box, kind in zip(boxes["boxes"], chosen["platform_type"], strict=True):
        box.set_facecolor(PLATFORM_COLOURS[kind])
    ax.scatter(
        chosen["p50_cost_usd"],
        positions,
        marker="D",
        s=30,
        zorder=3,
        color="white",
        edgecolor="black",
    )
    ax.set_yticks(positions, [wrap(names[o], 44) for o in chosen["offering_id"]])
    ax.invert_yaxis()
    ax.set_xscale("log")
    money_axis(ax)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(
        "cost of the job [USD, log scale]; diamond: median; box P25-P75; whiskers P10-P90"
    )
    platform_legend(fig, chosen["platform_type"], loc="outside lower center", ncols=3)
    title = titled(title, f"Cost of the job: {result.draws:,} draws, seed {result.seed}")
    ax.set_title(title + (f"\n{note.lstrip('; ')}" if note else ""))
    alt = "Box plot, log scale, of the cost under uncertainty: " + "; ".join(
        f"{names[r.offering_id]} median {display.money(r.p50_cost_usd)} "
        f"(P10 {display.money(r.p10_cost_usd)}, P90 {display.money(r.p90_cost_usd)})"
        for r in chosen.itertuples()
    )
    return fig, alt + "."
