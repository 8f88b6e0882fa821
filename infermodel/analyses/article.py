"""The article's own figures and claims, set against what the kit finds.

The article (:data:`infermodel.formulas.ARTICLE`) states a few figures and multiples without
a table behind them: managed open-model APIs "up to 10x" cheaper per token than proprietary
ones, own GPUs "another 5-10x", a RunPod H100 at $1.99 an hour, 1-2M tokens an hour for a
large model in batch, 60 tokens a second for a real-time stream, and a batch job of 20M
tokens done "in a few minutes". :data:`CLAIMS` holds them (paraphrased, with the figure);
:func:`check` measures each one on a cost table priced at the page's date, with the
throughput estimator (:mod:`infermodel.estimator.throughput`) for the two throughput figures. The
verdict in words is :func:`infermodel.narrative.claims_verdicts`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from infermodel import formulas
from infermodel.errors import InputError
from infermodel.estimator import throughput
from infermodel.units import SECONDS_PER_HOUR


@dataclass(frozen=True)
class Claim:
    """One figure of the article: an id, what it says (paraphrased), its range and unit, and
    the figure as the article gives it."""

    claim_id: str
    says: str
    low: float
    high: float
    unit: str
    figure: str


#: The article's figures, in the order it states them.
CLAIMS = (
    Claim(
        "batch_minutes",
        "a batch job of 20M tokens takes a few minutes",
        1,
        10,
        "minutes",
        "a few minutes",
    ),
    Claim("realtime_60", "a real-time stream runs at 60 tokens/s", 60, 60, "tokens/s", "60 tok/s"),
    Claim(
        "throughput_1_2m",
        "a large LLM serves 1-2M tokens an hour in batch",
        1e6,
        2e6,
        "tokens/h",
        "1-2M tokens/hour",
    ),
    Claim(
        "runpod_h100",
        "a RunPod H100 rents at $1.99 an hour",
        1.99,
        1.99,
        "USD/GPU-h",
        "$1.99/hr",
    ),
    Claim(
        "managed_10x",
        "managed open-model APIs are up to 10x cheaper than proprietary",
        1,
        10,
        "x",
        "up to 10x",
    ),
    Claim(
        "diy_5_10x",
        "own GPUs cut costs by another 5-10x over managed APIs",
        5,
        10,
        "x",
        "another 5-10x",
    ),
)
#: The model of the estimator's readings of the throughput figures (the article's "large
#: LLM", read as Llama 3.3 70B in 8 bits).
MODEL, PRECISION = "Llama-3.3-70B", "fp8"


def _like(table: pd.DataFrame, like_for_like: str, platform_type: str) -> pd.DataFrame:
    rows = table[table["platform_type"] == platform_type]
    if platform_type == "proprietary_api":
        return rows
    return rows[rows["model"].astype(str).str.contains(like_for_like, case=False, regex=False)]


def _row(claim: Claim, kit_low: float, kit_high: float, holds: bool | None, how: str) -> dict:
    return {
        "claim_id": claim.claim_id,
        "says": claim.says,
        "figure": claim.figure,
        "article_low": claim.low,
        "article_high": claim.high,
        "unit": claim.unit,
        "kit_low": float(kit_low),
        "kit_high": float(kit_high),
        "holds": holds,
        "how": how,
    }


def _throughput(gpu: str, gpus: int, *, one_stream: bool = False) -> float:
    """The estimator's tokens/s for :data:`MODEL` on ``gpus`` x ``gpu``: of the replica at
    full load, or of one stream alone (``one_stream``: a request with the replica to itself)."""
    config = dict(concurrency=1) if one_stream else {}
    found = throughput.estimate(MODEL, gpu, gpus, PRECISION, 1000, 1000, **config).iloc[0]
    column = "output_tokens_per_second_per_stream" if one_stream else "output_tokens_per_second"
    return float(found[column])


def check(
    table: pd.DataFrame,
    others: pd.DataFrame | None = None,
    *,
    like_for_like: str = "70B",
    gpu: str = "H100-SXM-80GB",
) -> pd.DataFrame:
    """Each of :data:`CLAIMS` against the kit: ``kit_low``/``kit_high`` in the claim's unit,
    ``holds`` (whether the article's figure is borne out: within reach for a rate or a price,
    at least the article's low end for a multiple) and ``how`` it was measured.

    ``table`` is the page's :func:`~infermodel.pricing.compare.cost_table` (busy GPU-hours of the
    job), ``others`` DIY rows under other readings (measured throughput); ``gpu`` the GPU of
    the estimator's readings.
    """
    if table.empty:
        raise InputError("the claims need a cost table with rows")
    every = pd.concat([table, others], ignore_index=True) if others is not None else table
    diy = _like(every, like_for_like, "diy_gpu")
    managed = _like(table, like_for_like, "managed_api")
    proprietary = _like(table, like_for_like, "proprietary_api")
    rows = []
    claim = dict((c.claim_id, c) for c in CLAIMS)
    batch = diy[diy["mode"] == "batch"]
    if len(batch):
        hours = batch["wall_clock_hours"] * 60  # one replica, minutes
        rows.append(
            _row(
                claim["batch_minutes"],
                hours.min(),
                hours.max(),
                bool(hours.min() <= 10),
                "one replica at the batch serving assumptions priced, the page's utilization",
            )
        )
    one = _throughput(gpu, 1, one_stream=True)
    two = _throughput(gpu, 2, one_stream=True)
    rows.append(
        _row(
            claim["realtime_60"],
            one,
            two,
            bool(max(one, two) >= 60),
            f"the estimator's speed of one stream of {MODEL} {PRECISION} on 1 and 2 x {gpu}",
        )
    )
    full = [_throughput(gpu, 1) * SECONDS_PER_HOUR, _throughput(gpu, 2) * SECONDS_PER_HOUR / 2]
    rows.append(
        _row(
            claim["throughput_1_2m"],
            min(full),
            max(full),
            bool(max(full) >= 2e6),
            f"the estimator's full-load rate of {MODEL} {PRECISION} per {gpu}, on 1 and 2 GPUs",
        )
    )
    h100 = table[(table["provider"] == "RunPod") & table["gpu"].astype(str).str.startswith("H100")]
    h100 = h100[h100["pricing"] == "on_demand"]
    if len(h100):
        price = h100["usd_per_gpu_hour"]
        rows.append(
            _row(
                claim["runpod_h100"],
                price.min(),
                price.max(),
                bool(np.isclose(price.min(), 1.99)),
                "RunPod's H100 on-demand prices in force on the page's date",
            )
        )
    if len(managed) and len(proprietary):
        ratio = proprietary["cost_usd"] / managed["cost_usd"].min()
        rows.append(
            _row(
                claim["managed_10x"],
                ratio.median(),
                ratio.max(),
                bool(1 < ratio.median() <= 12),
                "every proprietary API against the cheapest managed API of the class (the "
                "median first)",
            )
        )
    if len(managed) and len(diy):
        per = diy.groupby("serving_assumption")["cost_usd"].min()
        ratio = managed["cost_usd"].min() / per
        rows.append(
            _row(
                claim["diy_5_10x"],
                ratio.min(),
                ratio.max(),
                bool(ratio.max() >= 5),
                "the cheapest managed API of the class against the cheapest rented GPU under "
                "each serving assumption, as a one-off batch job (busy GPU-hours)",
            )
        )
    return pd.DataFrame(rows)


def formula_terms(table: pd.DataFrame) -> pd.DataFrame:
    """The article's DIY formula with the numbers of each DIY row of a cost table: tokens,
    throughput [tokens/s], utilization, GPUs, GPU-hours, USD per GPU-hour and cost [USD],
    recomputed with :func:`infermodel.formulas.gpu_hours` (and the spot factor, if any)."""
    diy = table[table["platform_type"] == "diy_gpu"]
    tokens = diy["total_tokens"]
    factor = pd.to_numeric(diy.get("spot_time_factor"), errors="coerce").fillna(1.0)
    hours = (
        formulas.gpu_hours(
            tokens,
            diy["tokens_per_second"],
            diy["utilization"],
            gpus_per_replica=diy["gpus_per_replica"],
        )
        * factor
    )
    return pd.DataFrame(
        {
            "offering_id": diy["offering_id"],
            "tokens": tokens,
            "tokens_per_second": diy["tokens_per_second"],
            "utilization": diy["utilization"],
            "gpus_per_replica": diy["gpus_per_replica"],
            "spot_time_factor": factor,
            "gpu_hours": hours,
            "usd_per_gpu_hour": diy["usd_per_gpu_hour"],
            "cost_usd": hours * diy["usd_per_gpu_hour"],
        }
    ).reset_index(drop=True)


__all__ = ["CLAIMS", "Claim", "check", "formula_terms"]
