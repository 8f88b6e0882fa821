"""Charts of throughput estimates and request logs."""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd

from infermodel import display
from infermodel.plots.base import (
    PALETTE,
    cut_top,
    drawn,
    money_axis,
    new_figure,
    titled,
    wrap,
)

# --- throughput ------------------------------------------------------------------------------


@drawn
def latency_frontier(
    sweep: pd.DataFrame, priced: pd.DataFrame, *, title: str | None = None
) -> tuple:
    """Throughput against batch (left) and the cost of latency (right).

    ``sweep`` is :func:`infermodel.estimator.throughput.estimate_table` over concurrencies;
    ``priced``
    the cheapest offering per concurrency from
    :func:`infermodel.estimator.throughput.price_estimates`.
    """
    first = sweep.iloc[0]
    title = titled(
        title,
        f"{first['model']} {first['precision']}, {first['gpus']} {display.TIMES} "
        f"{display.gpu_name(first['gpu'])}",
    )
    fig, (left, right) = new_figure(4.6, ncols=2)
    shown = sweep[sweep["fits"]].sort_values("batch")
    left.plot(shown["batch"], shown["output_tokens_per_second"], marker="o", label="whole replica")
    left.plot(
        shown["batch"],
        shown["output_tokens_per_second_per_stream"],
        marker="s",
        label="each stream",
    )
    left.set(
        xscale="log",
        yscale="log",
        xlabel="requests in flight (batch)",
        ylabel="output tokens per second",
        title=wrap(title, 44),
    )
    left.legend()
    alt = f"Line charts for {title}: throughput against batch, and the cost of latency"
    if priced.empty:
        right.text(
            0.5, 0.5, "no offering of this GPU on the date", ha="center", transform=right.transAxes
        )
        alt += " (no offering of this GPU on the date)."
    else:
        right.plot(
            priced["output_tokens_per_second_per_stream"],
            priced["usd_per_million_output_tokens"],
            marker="o",
        )
        names = priced["concurrency"].astype("Int64").astype("string").fillna("max")
        for name, x, y in zip(
            names,
            priced["output_tokens_per_second_per_stream"],
            priced["usd_per_million_output_tokens"],
            strict=True,
        ):
            right.annotate(name, (x, y), fontsize=10, xytext=(3, 3), textcoords="offset points")
        first, last = priced.iloc[0], priced.iloc[-1]
        alt += (
            f": {display.money(first['usd_per_million_output_tokens'])} per M output tokens at "
            f"{display.number(first['output_tokens_per_second_per_stream'])} tokens/s per stream, "
            f"{display.money(last['usd_per_million_output_tokens'])} at "
            f"{display.number(last['output_tokens_per_second_per_stream'])} tokens/s per stream."
        )
    right.set(
        xscale="log",
        yscale="log",
        xlabel="tokens per second each user sees",
        ylabel="USD per million output tokens",
        title="The cost of latency (labels: batch)",
    )
    money_axis(right, "y")
    return fig, alt


@drawn
def estimate_vs_measured(calibrated: pd.DataFrame, *, title: str | None = None) -> tuple:
    """Estimated against measured throughput (log-log) with the identity line.

    In-sample estimates as dots, leave-one-out estimates as crosses.
    """
    fig, ax = new_figure(5.6)
    measured = calibrated["output_tokens_per_second"]
    ax.scatter(
        measured,
        calibrated["estimated_tokens_per_second"],
        s=40,
        label="in-sample",
        color=PALETTE[0],
    )
    ax.scatter(
        measured,
        calibrated["loo_estimated_tokens_per_second"],
        marker="x",
        s=50,
        label="leave-one-out (point left out of the fit)",
        color=PALETTE[3],
    )
    columns = [
        "output_tokens_per_second",
        "estimated_tokens_per_second",
        "loo_estimated_tokens_per_second",
    ]
    low = 0.7 * calibrated[columns].min().min()
    high = 1.4 * calibrated[columns].max().max()
    ax.plot([low, high], [low, high], color="grey", linewidth=1, label="estimate = measurement")
    ax.set(
        xscale="log",
        yscale="log",
        xlim=(low, high),
        ylim=(low, high),
        title=titled(title, "Throughput estimate against measurement"),
        xlabel="measured output tokens per second (whole replica, log scale)",
        ylabel="estimated output tokens per second",
    )
    ax.legend(loc="upper left")
    ratio = calibrated["estimated_tokens_per_second"] / measured
    alt = (
        f"Scatter chart, log-log, of {len(calibrated)} measured throughputs against the "
        f"estimate: estimates range from {display.multiple(ratio.min())} to "
        f"{display.multiple(ratio.max())} the measurement in-sample."
    )
    return fig, alt


# --- request logs ----------------------------------------------------------------------------

_LENGTH_NAMES = {
    "input_tokens": "prompt tokens per request (cached part included)",
    "cached_input_tokens": "cached prompt tokens per request",
    "output_tokens": "output tokens per request",
}


@drawn
def trace_shape(
    histograms: dict[str, pd.DataFrame],
    per_minute: pd.DataFrame | None,
    *,
    title: str | None = None,
    synthetic: bool = False,
) -> tuple:
    """A request log's length distributions and arrivals over time."""
    fig, axes = new_figure(3.8, ncols=len(histograms) + 1)
    for ax, (column, hist) in zip(axes, histograms.items(), strict=False):
        ax.stairs(
            hist["requests"],
            pd.concat([hist["low"], hist["high"].tail(1)]),
            fill=True,
            color=PALETTE[0],
        )
        ax.set_xscale("log")
        ax.set_xlabel(wrap(_LENGTH_NAMES.get(column, column) + " [log scale]", 30))
        ax.set_ylabel("requests")
    arrivals = axes[-1]
    peak = ""
    if per_minute is not None:
        arrivals.plot(per_minute["minute"], per_minute["requests"], color=PALETTE[0])
        arrivals.set_ylabel("requests per minute")
        locator = mdates.AutoDateLocator(maxticks=5)
        arrivals.xaxis.set_major_locator(locator)
        arrivals.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        peak = f"; busiest minute {display.number(per_minute['requests'].max())} requests"
    arrivals.set_title("arrivals" + ("" if per_minute is not None else " (no timestamps)"))
    fig.suptitle(titled(title, "The SYNTHETIC request log" if synthetic else "The request log"))
    alt = f"Histograms of {', '.join(_LENGTH_NAMES.get(c, c) for c in histograms)}" + peak + "."
    return fig, alt


@drawn
def caching_effect(caching: pd.DataFrame, *, title: str | None = None, top_n: int = 12) -> tuple:
    """Cost of a log on the ``top_n`` cheapest API offerings with and without cached-input prices.

    ``caching`` is :func:`infermodel.pricing.trace_pricing.caching_effect`.
    """
    shown, note = cut_top(caching, top_n, "cost_usd_with_cache")
    fig, ax = new_figure(0.42 * len(shown) + 1.6)
    names = [wrap(f"{p} · {m}", 44) for p, m in zip(shown["provider"], shown["model"], strict=True)]
    y = np.arange(len(shown))
    ax.barh(
        y + 0.2,
        shown["cost_usd_without_cache"],
        height=0.4,
        color=PALETTE[7],
        label="cached prompt tokens billed as input",
    )
    ax.barh(
        y - 0.2,
        shown["cost_usd_with_cache"],
        height=0.4,
        color=PALETTE[0],
        label="with cached-input prices",
    )
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    money_axis(ax)
    ax.set_xlabel("cost of the log [USD]")
    fig.legend(loc="outside lower center", ncols=2)
    title = titled(title, "Cost of the log with and without prompt caching")
    ax.set_title(title + (f"\nthe {len(shown)} cheapest{note}" if note else ""))
    alt = "Bar chart of the cost of the log with and without cached-input prices: " + "; ".join(
        f"{p} · {m} {display.money(w)} (saves {display.money(s)})"
        for p, m, w, s in zip(
            shown["provider"],
            shown["model"],
            shown["cost_usd_with_cache"],
            shown["saving_usd"],
            strict=True,
        )
    )
    return fig, alt + "."
