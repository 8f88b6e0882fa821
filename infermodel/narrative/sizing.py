"""Sentences about rented GPUs billed as their providers bill them: serverless against peak.

Built from :func:`infermodel.gpu_sizing.serverless_on_logs`; tested in
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

    ``headline`` is the first table of :func:`infermodel.gpu_sizing.serverless_on_logs`.
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


__all__ = ["LOG_LABELS", "log_label", "serverless_answer"]
