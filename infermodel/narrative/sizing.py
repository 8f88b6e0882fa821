"""Sentences about rented GPUs billed as their providers bill them: serverless against peak.

Built from :func:`infermodel.pricing.gpu_sizing.serverless_on_logs`; tested in
``tests/test_narrative.py``.
"""

from __future__ import annotations

import pandas as pd

from infermodel import display
from infermodel.display import money, multiple

#: How the shipped logs are named to people (``infermodel.paths.SHIPPED_TRACES``).
LOG_LABELS = {
    "azure-code-2023": "the Azure coding hour (2023)",
    "azure-conversation-2023": "the Azure conversation hour (2023)",
    "mooncake-conversation": "the Mooncake conversation hour",
}


def log_label(name: str) -> str:
    """A shipped log's name for people; other names as given."""
    return LOG_LABELS.get(name, name)


def _seconds(value: float) -> str:
    return f"{display.number(value)} s"


def serverless_answer(headline: pd.DataFrame) -> list[str]:
    """Per log: the cheapest serverless bill against peak sizing, its delay, the best timeout.

    ``headline`` is the first table of :func:`infermodel.pricing.gpu_sizing.serverless_on_logs`.
    """
    if headline.empty:
        return [
            "No rented-GPU offering in force on this date scales to zero, so there is no "
            "serverless bill to compare with sizing for the peak."
        ]
    lines = []
    for row in headline.itertuples(index=False):
        offering = display.offering_labels(pd.DataFrame([row._asdict()])).iloc[0]
        lines.append(
            f"On {log_label(row.log)}, the cheapest serverless GPU ({offering}) costs "
            f"{money(row.cost_usd_serverless)}: "
            f"{multiple(row.serverless_to_peak)} the {money(row.cost_usd_peak_sized)} of the same "
            f"GPUs sized for the busiest minute, at an idle timeout of "
            f"{_seconds(row.idle_timeout_s)}; its "
            f"{display.number(row.cold_starts)} cold starts ({_seconds(row.cold_start_s)} each) "
            f"add {_seconds(row.added_latency_s_mean)} to the mean request."
        )
        if row.best_idle_timeout_s != row.idle_timeout_s:
            lines.append(
                f"An idle timeout of {_seconds(row.best_idle_timeout_s)} would bill "
                f"{multiple(row.best_serverless_to_peak)} peak sizing instead."
            )
    return lines


RATE_WORDS = {
    "given": "the reserved rate given",
    "tracked": "the tracked reserved rate",
    "illustrative": "an illustrative reserved rate (no reserved rate is tracked for this GPU: "
    "the on-demand rate less 30%, the top of the 20-30% RunPod gives always-on workers)",
}


def reservation_answer(summary: pd.DataFrame, *, offering: str, rate_source: str) -> list[str]:
    """When a reservation bought in each start month pays back, and what its unused hours cost.

    ``summary`` is :func:`infermodel.analyses.commitments.reservation_paths`' second table;
    ``offering`` the DIY stage's label; ``rate_source`` of
    :func:`~infermodel.analyses.commitments.rate_for`.
    """
    if summary.empty:
        return []
    first = summary.iloc[0]
    paid = "paid upfront" if bool(first["upfront"]) else "paid monthly"
    lines = [
        f"A {display.number(first['term_months'])}-month reservation of {offering} at "
        f"{money(first['reserved_usd_per_gpu_hour'])} per GPU-hour ({RATE_WORDS[rate_source]}; "
        f"{money(first['on_demand_usd_per_gpu_hour'])} on demand), {paid}, sized for the "
        "month it is bought:"
    ]
    for row in summary.itertuples(index=False):
        replicas = f"{display.number(row.replicas_reserved)} replica" + (
            "" if row.replicas_reserved == 1 else "s"
        )
        when = (
            f"pays back by month {row.payback_month}"
            if not pd.isna(row.payback_month)
            else "never pays back"
        )
        net = (
            f"saves {money(row.total_saving_usd)}"
            if row.total_saving_usd >= 0
            else f"costs {money(-row.total_saving_usd)} more than staying on demand"
        )
        beyond = getattr(row, "months_beyond_path", 0) or 0
        held = (
            f" (its last {display.number(beyond)} months past the months shown, at the last "
            "month's volume)"
            if beyond
            else ""
        )
        lines.append(
            f"bought in month {row.start_month} ({replicas}) it {when} and {net} over its "
            f"term{held}, its {display.number(row.unused_gpu_hours)} unused GPU-hours "
            f"included ({money(row.unused_usd)})."
        )
    return lines


__all__ = ["LOG_LABELS", "RATE_WORDS", "log_label", "reservation_answer", "serverless_answer"]
