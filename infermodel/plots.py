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

from infermodel.compare import STACK_COMPONENTS
from infermodel.offerings import labels as offering_labels
from infermodel.tables import PLATFORM_LABELS, PLATFORM_TYPES

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


def tornado(frame: pd.DataFrame, *, title: str | None = None, unit: str = "USD/M tokens") -> Figure:
    """Tornado chart of :func:`infermodel.sensitivity.tornado`: widest swing on top.

    Each bar spans the result from the input's low end to its high end; the vertical line is
    the result at the base values, and zero (the decision flips) is marked when in view.
    """
    data = frame.iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(data) + 1.6), layout="constrained")
    base = float(frame["result_at_base"].iloc[0])
    for y, row in enumerate(data.itertuples(index=False)):
        for end, colour in ((row.result_at_low, "#4c72b0"), (row.result_at_high, "#dd8452")):
            ax.barh(y, end - base, left=base, color=colour, height=0.6)
        ax.annotate(
            f"{row.low:,.4g} .. {row.high:,.4g}",
            (max(row.result_at_low, row.result_at_high, base), y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
        )
    ax.axvline(base, color="black", linewidth=1)
    low, high = ax.get_xlim()
    if low < 0 < high:
        ax.axvline(0, color="grey", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(data)), data["input"])
    ax.set_xlabel(f"result [{unit}]; black line: base case")
    ax.legend(
        handles=[
            Patch(color="#4c72b0", label="input at the low end"),
            Patch(color="#dd8452", label="input at the high end"),
        ],
        fontsize=8,
        loc="best",
    )
    ax.set_title(title or "Which input moves the result most")
    return fig


def sensitivity_grid(
    frame: pd.DataFrame, *, level: float, title: str | None = None, unit: str = "USD/M tokens"
) -> Figure:
    """Filled contours of :func:`infermodel.sensitivity.grid`, with the line ``result == level``.

    Axes are the grid's column (x) and index (y) names; a log y axis is used when the y
    values span more than a factor of 20.
    """
    fig, ax = plt.subplots(figsize=(8, 5.5), layout="constrained")
    x, y = frame.columns.to_numpy(float), frame.index.to_numpy(float)
    values = frame.to_numpy(float)
    top = np.nanpercentile(values, 98)
    filled = ax.contourf(x, y, np.minimum(values, top), levels=20, cmap="viridis_r")
    fig.colorbar(filled, ax=ax, label=f"[{unit}]")
    if np.nanmin(values) < level < np.nanmax(values):
        line = ax.contour(x, y, values, levels=[level], colors="red", linewidths=2)
        ax.clabel(line, fmt=lambda v: f"= {v:,.3g}", fontsize=8)
    if y.min() > 0 and y.max() / y.min() > 20:
        ax.set_yscale("log")
    ax.set_xlabel(frame.columns.name)
    ax.set_ylabel(frame.index.name)
    ax.set_title(title or f"Result over two inputs; red line at {level:,.3g} {unit}")
    return fig


def monte_carlo_distributions(
    result, offering_ids: list[str], *, title: str | None = None, sample: int = 20_000
) -> Figure:
    """Boxes (P10-P90 whiskers) of the Monte Carlo cost of chosen offerings, log scale.

    ``result`` is a :class:`infermodel.sensitivity.MonteCarloResult`, ``offering_ids`` the
    offerings to show (by id); ``sample`` draws per offering are plotted (the summary table
    uses all draws).
    """
    summary = result.summary.reset_index(drop=True)
    rows = summary.index[summary["offering_id"].isin(offering_ids)]
    sampled = result.costs[rows, :: max(1, result.costs.shape[1] // sample)]
    per_row = sampled.shape[1]
    data = pd.DataFrame(
        {
            "offering": np.repeat(summary.loc[rows, "offering"].to_numpy(), per_row),
            "platform_type": np.repeat(summary.loc[rows, "platform_type"].to_numpy(), per_row),
            "cost_usd": sampled.ravel(),
        }
    )
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.6), layout="constrained")
    sns.boxplot(
        data=data,
        y="offering",
        x="cost_usd",
        hue="platform_type",
        palette=PLATFORM_COLOURS,
        whis=(10, 90),
        showfliers=False,
        log_scale=True,
        ax=ax,
        legend=False,
    )
    # Rows with no uncertainty (list prices) draw no box: mark every median with a diamond.
    medians = summary.loc[rows]
    ax.scatter(
        medians["p50_cost_usd"],
        range(len(medians)),
        marker="D",
        s=28,
        zorder=3,
        color=[PLATFORM_COLOURS[t] for t in medians["platform_type"]],
        edgecolor="black",
        linewidth=0.5,
    )
    present = [t for t in PLATFORM_TYPES if t in set(data["platform_type"])]
    ax.legend(
        handles=[Patch(color=PLATFORM_COLOURS[t], label=PLATFORM_LABELS[t]) for t in present],
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
    )
    ax.set_xlabel("cost of the job [USD, log scale]; diamond P50, box P25-P75, whiskers P10-P90")
    ax.set_ylabel("")
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(title or f"Cost under uncertainty ({result.draws:,} draws, seed {result.seed})")
    return fig


def cost_curves(curves: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Monthly cost against monthly volume (log-log), one line per offering.

    ``curves`` is :func:`infermodel.growth.monthly_cost_curves`; API lines are straight,
    DIY lines step up with each whole replica.
    """
    fig, ax = plt.subplots(figsize=(9, 6), layout="constrained")
    styles = {"proprietary_api": "-", "managed_api": "--", "diy_gpu": "-"}
    for offering, line in curves.groupby("offering", sort=False):
        kind = line["platform_type"].iloc[0]
        ax.plot(
            line["tokens_per_month"] / 1e6,
            line["cost_usd_per_month"],
            linestyle=styles[kind],
            drawstyle="steps-post" if kind == "diy_gpu" else "default",
            label=offering,
            linewidth=1.6,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("monthly volume [million tokens/month, log scale]")
    ax.set_ylabel("monthly cost [USD/month, log scale]")
    ax.grid(which="both", alpha=0.25)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title(title or "Monthly cost against monthly volume")
    return fig


def maturity_path(monthly: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Monthly (left) and cumulative (right) cost per stage of a maturity path."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    for stage, line in monthly.groupby("stage", sort=False):
        colour = PLATFORM_COLOURS[stage]
        label = f"{PLATFORM_LABELS[stage]}: {line['offering'].iloc[0]}"
        left.plot(line["month"], line["cost_usd_per_month"], marker="o", color=colour, label=label)
        right.plot(line["month"], line["cumulative_cost_usd"], marker="o", color=colour)
    left.set_yscale("log")
    left.set_ylabel("monthly cost [USD/month, log scale]")
    right.set_ylabel("cumulative cost [USD]")
    for ax in (left, right):
        ax.set_xlabel("month")
        ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", fontsize=8, ncols=1)
    fig.suptitle(title or "Cost of a growing volume on each platform type")
    return fig


def one_way(sweeps: pd.DataFrame, *, zero_line: bool = True, unit: str = "USD/M tokens") -> Figure:
    """One small panel per input of :func:`infermodel.sensitivity.one_way`."""
    grid = sns.relplot(
        data=sweeps,
        x="value",
        y="result",
        col="input",
        col_wrap=3,
        kind="line",
        height=2.6,
        facet_kws={"sharex": False},
    )
    if zero_line:
        grid.refline(y=0, color="grey", linestyle="--")
    grid.set_axis_labels("input value", f"result [{unit}]")
    grid.set_titles("{col_name}")
    return grid.figure


def latency_frontier(sweep: pd.DataFrame, priced: pd.DataFrame, *, title: str) -> Figure:
    """Throughput against batch (left) and the cost of latency (right).

    ``sweep`` is :func:`infermodel.throughput.estimate_table` over concurrencies (a missing
    concurrency is the largest batch that fits); ``priced`` the cheapest offering per
    concurrency from :func:`infermodel.throughput.price_estimates`. Right: USD per million
    output tokens against the tokens/s each user sees, labelled with the concurrency.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    shown = sweep[sweep["fits"]].sort_values("batch")
    left.plot(shown["batch"], shown["output_tokens_per_second"], marker="o", label="whole replica")
    left.plot(
        shown["batch"], shown["output_tokens_per_second_per_stream"], marker="s", label="per stream"
    )
    left.set(
        xscale="log",
        yscale="log",
        xlabel="requests in flight (batch)",
        ylabel="output tokens/s",
        title=title,
    )
    left.legend()
    if priced.empty:
        right.text(0.5, 0.5, "no offering of this GPU on the date", ha="center",
                   transform=right.transAxes)  # fmt: skip
    else:
        right.plot(
            priced["output_tokens_per_second_per_stream"],
            priced["usd_per_million_output_tokens"],
            marker="o",
        )
        labels = priced["concurrency"].astype("Int64").astype("string").fillna("max")
        for label, x, y in zip(
            labels,
            priced["output_tokens_per_second_per_stream"],
            priced["usd_per_million_output_tokens"],
            strict=True,
        ):
            right.annotate(label, (x, y), fontsize=8, xytext=(3, 3), textcoords="offset points")
    right.set(
        xscale="log",
        yscale="log",
        xlabel="tokens/s each user sees (per stream)",
        ylabel="USD per million output tokens",
        title="The cost of latency (labels: concurrency)",
    )
    return fig


def estimate_vs_measured(calibrated: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Estimated against measured throughput (log-log) with the identity line.

    ``calibrated`` is :func:`infermodel.throughput.calibration`: in-sample estimates as dots,
    leave-one-out estimates as crosses, each point labelled with its id.
    """
    fig, ax = plt.subplots(figsize=(6.5, 6), layout="constrained")
    measured = calibrated["output_tokens_per_second"]
    ax.scatter(measured, calibrated["estimated_tokens_per_second"], label="in-sample")
    ax.scatter(
        measured, calibrated["loo_estimated_tokens_per_second"], marker="x", label="leave-one-out"
    )
    columns = [
        "output_tokens_per_second",
        "estimated_tokens_per_second",
        "loo_estimated_tokens_per_second",
    ]
    low = 0.7 * calibrated[columns].min().min()
    high = 1.4 * calibrated[columns].max().max()
    ax.plot([low, high], [low, high], color="grey", linewidth=1, label="estimate = measured")
    ax.set(
        xscale="log",
        yscale="log",
        xlim=(low, high),
        ylim=(low, high),
        xlabel="measured output tokens/s (whole replica)",
        ylabel="estimated output tokens/s",
        title=title or "Roofline estimate vs measurements",
    )
    for point_id, x, y in zip(
        calibrated["point_id"], measured, calibrated["estimated_tokens_per_second"], strict=True
    ):
        ax.annotate(
            point_id.removeprefix("trtllm-"), (x, y), fontsize=7, xytext=(3, 3),
            textcoords="offset points",
        )  # fmt: skip
    ax.legend()
    return fig


def trace_shape(
    histograms: dict[str, pd.DataFrame], per_minute: pd.DataFrame | None, *, title: str
) -> Figure:
    """A request log's length distributions and arrivals over time.

    ``histograms`` maps a column name to :meth:`infermodel.traces.Trace.length_histogram`;
    ``per_minute`` is :meth:`infermodel.traces.Trace.per_minute` (None without timestamps).
    """
    fig, axes = plt.subplots(1, len(histograms) + 1, figsize=(14, 3.6), layout="constrained")
    for ax, (column, hist) in zip(axes, histograms.items(), strict=False):
        ax.stairs(hist["requests"], pd.concat([hist["low"], hist["high"].tail(1)]), fill=True)
        ax.set_xscale("log")
        ax.set_xlabel(f"{column.replace('_', ' ')} per request [tokens, log scale]")
        ax.set_ylabel("requests")
    arrivals = axes[-1]
    if per_minute is not None:
        arrivals.plot(per_minute["minute"], per_minute["requests"])
        arrivals.set_ylabel("requests per minute")
        arrivals.tick_params(axis="x", labelrotation=30)
    arrivals.set_title(
        "arrivals over time" + ("" if per_minute is not None else " (no timestamps)")
    )
    fig.suptitle(title)
    return fig


def caching_effect(caching: pd.DataFrame) -> Figure:
    """Cost of a log per offering with and without cached-input prices (horizontal bars).

    ``caching`` is :func:`infermodel.traces.caching_effect` (or its first rows).
    """
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(caching) + 1.2), layout="constrained")
    labels = caching["provider"] + " · " + caching["model"]
    ax.barh(labels, caching["cost_usd_without_cache"], color="lightgrey",
            label="cached input billed as input")  # fmt: skip
    ax.barh(labels, caching["cost_usd_with_cache"], color="tab:blue",
            label="with cached-input prices")  # fmt: skip
    ax.invert_yaxis()
    ax.set_xlabel("cost of the log [USD]")
    ax.legend(loc="lower right")
    return fig


def price_vs_mix(split: pd.DataFrame, *, xlabel: str) -> Figure:
    """Change in a workload's cost split into price effect and mix effect, per platform.

    ``split`` is :func:`infermodel.quarters.effects`: one bar pair per platform, statistic
    and workload.
    """
    chart = split.assign(
        label=split["platform"] + " / " + split["statistic"] + "\n" + split["workload"]
    ).set_index("label")[["price_effect_usd", "mix_effect_usd"]]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(chart) + 1.5), layout="constrained")
    chart.plot.barh(ax=ax, color=["#4c72b0", "#dd8452"])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    ax.set_title("Price effect vs mix effect per platform type")
    ax.legend(
        ["price effect (same offerings, new prices)", "mix effect (offerings new or withdrawn)"],
        fontsize=8,
    )
    return fig
