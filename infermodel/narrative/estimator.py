"""Readings of the throughput estimator: its error by regime, and capacity at a latency target."""

from __future__ import annotations

import pandas as pd

from infermodel import display
from infermodel.display import multiple


def _side(signed: float) -> str:
    return "over-estimating" if signed > 0 else "under-estimating"


def regime_answer(regimes: pd.DataFrame) -> list[str]:
    """Where the estimator is worst and best, leave-one-out, from the error-by-regime table.

    ``regimes`` is :func:`~infermodel.estimator.calibration.error_by_regime`; groups without a point
    are left out, and so is a regime with one group only (it says nothing the total does not).
    """
    split = regimes[(regimes["regime"] != "all") & (regimes["points"] > 0)]
    split = split[split.groupby("regime")["group"].transform("count") > 1]
    if split.empty:
        return []
    worst = split.loc[split["loo_median_ape_percent"].idxmax()]
    best = split.loc[split["loo_median_ape_percent"].idxmin()]

    def one(row) -> str:
        group = f"{row['group']} GPUs" if row["regime"] == "vendor" else row["group"]
        return (
            f"{group} ({display.number(row['points'])} points: "
            f"{display.number(row['loo_median_ape_percent'], 0)}% median error leave-one-out, "
            f"{_side(row['loo_mean_signed_error_percent'])} by "
            f"{display.number(abs(row['loo_mean_signed_error_percent']), 0)}% on average)"
        )

    return [f"By regime, the estimate is weakest for {one(worst)} and strongest for {one(best)}."]


def latency_target_notes(readings: pd.DataFrame) -> list[str]:
    """What each latency target allows and costs against full load.

    ``readings``: rows of :func:`~infermodel.estimator.latency.capacity_at_latency` (``reading``,
    ``itl_ms_target``, ``meets_target``, ``batch``, ``itl_ms``, ``limited_by``) with
    ``multiple_of_maximum_throughput_cost``.
    """
    at = readings[readings["reading"] == "at latency target"]
    parts = []
    for r in at.itertuples():
        target = f"ITL {display.number(r.itl_ms_target, 1)} ms"
        if pd.notna(r.ttft_ms_target):
            target += f" and TTFT {display.number(r.ttft_ms_target)} ms"
        if r.meets_target:
            parts.append(
                f"{target} allows {display.number(r.batch)} concurrent streams per replica "
                f"(limited by {r.limited_by}) at {multiple(r.multiple_of_maximum_throughput_cost)} "
                "the full-load cost per token"
            )
        else:
            parts.append(
                f"{target} is out of reach (one stream alone sees "
                f"{display.number(r.itl_ms, 1)} ms per token)"
            )
    return [f"From the throughput estimator: {'; '.join(parts)}."] if parts else []
