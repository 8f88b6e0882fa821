"""Charts of rented GPUs billed as providers bill them: serverless cost and delay by timeout."""

from __future__ import annotations

import pandas as pd
from matplotlib.ticker import FuncFormatter

from infermodel import display
from infermodel.narrative.sizing import log_label
from infermodel.plots.base import PALETTE, drawn, new_figure, titled


@drawn
def idle_timeout(sweep: pd.DataFrame, headline: pd.DataFrame, *, title: str | None = None):
    """Serverless cost (as a multiple of peak sizing) and added latency against idle timeout.

    ``sweep`` and ``headline`` are :func:`infermodel.pricing.gpu_sizing.serverless_on_logs`: one
    line
    per log, its offering's default idle timeout marked.
    """
    fig, (cost, delay) = new_figure(4.2, ncols=2)
    # The timeouts swept, evenly spaced (they span 0 s to many minutes).
    timeouts = sorted(sweep["idle_timeout_s"].unique())
    position = {t: i for i, t in enumerate(timeouts)}
    for i, (log, rows) in enumerate(sweep.groupby("log", sort=False)):
        rows = rows.sort_values("idle_timeout_s")
        x = rows["idle_timeout_s"].map(position)
        colour = PALETTE[i % len(PALETTE)]
        cost.plot(x, rows["serverless_to_peak"], "o-", color=colour, label=log_label(log))
        delay.plot(x, rows["added_latency_s_mean"], "o-", color=colour)
        head = headline[headline["log"] == log].iloc[0]
        at = rows[rows["idle_timeout_s"] == head["idle_timeout_s"]]
        cost.plot(
            at["idle_timeout_s"].map(position),
            at["serverless_to_peak"],
            "s",
            ms=12,
            mfc="none",
            color=colour,
        )
    cost.axhline(1.0, color=PALETTE[7], linestyle="--", linewidth=1)
    cost.annotate(
        "sized for the peak",
        (0.02, 1.0),
        xycoords=("axes fraction", "data"),
        va="bottom",
        fontsize=10,
        color=PALETTE[7],
    )
    for ax in (cost, delay):
        ax.set_xticks(range(len(timeouts)), [display.number(t) for t in timeouts])
        ax.set_xlabel("idle timeout [s]")
        ax.set_ylim(bottom=0)
    cost.set_ylabel("serverless cost / peak-sized cost [x]")
    delay.set_ylabel("cold-start delay, mean request [s]")
    cost.set_title("cost (square: the provider's default)")
    delay.set_title("added latency")
    fig.legend(loc="outside lower center", ncols=min(3, sweep["log"].nunique()))
    fig.suptitle(titled(title, "Serverless GPUs: cost and delay against the idle timeout"))
    alt = "Two line charts against the idle timeout, one line per log: " + "; ".join(
        f"{log_label(log)}: "
        + ", ".join(
            f"{display.number(r.idle_timeout_s)} s {display.multiple(r.serverless_to_peak)} peak "
            f"cost, {display.number(r.added_latency_s_mean)} s delay"
            for r in rows.sort_values("idle_timeout_s").itertuples()
        )
        for log, rows in sweep.groupby("log", sort=False)
    )
    return fig, alt + "."


@drawn
def reservation_savings(monthly: pd.DataFrame, *, title: str | None = None):
    """Cumulative saving of a reservation against staying on demand, per start month.

    ``monthly`` is :func:`infermodel.analyses.commitments.reservation_paths`' first table.
    """
    fig, ax = new_figure(3.8)
    for i, (start, rows) in enumerate(monthly.groupby("start_month", sort=True)):
        rows = rows[rows["month"] >= start]
        ax.plot(
            rows["month"],
            rows["cumulative_saving_usd"],
            "o-",
            color=PALETTE[i % 10],
            label=f"bought in month {start}",
        )
    ax.axhline(0, color=PALETTE[7], linewidth=1)
    ax.set_xlabel("month")
    ax.set_ylabel("cumulative saving [USD]")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: display.money(v, 0)))
    ax.legend(loc="upper left")
    ax.set_title(titled(title, "A reservation against staying on demand"))
    alt = "Line chart of the cumulative saving of a reservation by month: " + "; ".join(
        f"bought in month {start}: {display.money(rows['cumulative_saving_usd'].iloc[-1], 0)} "
        "by the last month"
        for start, rows in monthly.groupby("start_month", sort=True)
    )
    return fig, alt + "."


__all__ = ["idle_timeout", "reservation_savings"]
