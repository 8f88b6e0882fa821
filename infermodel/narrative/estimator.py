"""Readings of the throughput estimator: one estimate, its error by regime, where not to trust
it, the published latency it is held to, a refit, and capacity at a latency target."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from infermodel import display
from infermodel.display import multiple, percent
from infermodel.narrative.base import names

#: Engine names as their projects spell them.
ENGINE_WORDS = {"vllm": "vLLM", "sglang": "SGLang", "trtllm": "TensorRT-LLM"}


def _side(signed: float) -> str:
    return "over-estimating" if signed > 0 else "under-estimating"


def _engine(engine: object) -> str:
    return ENGINE_WORDS.get(str(engine), str(engine))


def _replica(row) -> str:
    gpus = int(row["gpus"])
    where = f"{gpus} {display.TIMES} " if gpus > 1 else "one "
    return (
        f"{row['model']} in {str(row['precision']).upper()} on {where}"
        f"{display.gpu_name(row['gpu'])} under {_engine(row['engine'])}"
    )


def estimate_answer(row: pd.Series, provenance: str = "") -> list[str]:
    """One estimate in words: throughput, the batch and what bounds it, then its warning.

    ``row`` is a row of :func:`~infermodel.estimator.throughput.estimate_table` that fits;
    ``provenance`` (optional) the fitted factors' source and errors
    (:func:`~infermodel.estimator.throughput_rows.efficiency_summary`), quoted after the answer.
    """
    load = (
        f"the largest batch that fits ({display.number(row['batch'])} sequences)"
        if pd.isna(row["concurrency"])
        else f"{display.number(row['concurrency'])} requests in flight"
    )
    lines = [
        f"{_replica(row)} serves about {display.number(row['output_tokens_per_second'], 0)} "
        f"output tokens/s per replica at {load}: "
        f"{display.number(row['output_tokens_per_second_per_gpu'], 0)} per GPU, each stream "
        f"{display.number(row['output_tokens_per_second_per_stream'], 1)} tokens/s, a token "
        f"every {display.number(row['decode_step_ms'], 1)} ms (decode "
        f"{row['decode_bound']}-bound, {str(row['kv_cache_dtype']).upper()} KV cache)."
    ]
    if provenance:
        lines.append(f"Estimated, not measured: {provenance}.")
    lines += trust_lines([row["warning"]])
    return lines


#: A warning fragment naming one GPU or model; the same fragments of several are merged.
_NAMED = re.compile(r"^(no published measurement (?:on|of)) ([^\s:;]+)(.*)$")


def trust_lines(warnings: Sequence[object]) -> list[str]:
    """The estimator's warnings (:func:`~infermodel.estimator.trust.trust_warnings`) in words.

    Each distinct reason once, in order of first appearance; the same reason about several
    GPUs or models is one sentence naming them all. No warning gives no sentence.
    """
    fragments = [
        part for w in warnings if isinstance(w, str) and w for part in w.split("; ") if part
    ]
    grouped: dict[tuple[str, str], list[str]] = {}
    for part in dict.fromkeys(fragments):
        named = _NAMED.match(part)
        key = (named.group(1), named.group(3)) if named else (part, "")
        grouped.setdefault(key, []).append(named.group(2) if named else "")
    lines = []
    for (head, tail), subjects in grouped.items():
        text = head if subjects == [""] else f"{head} {names(subjects, most=8)}{tail}"
        lines.append(f"Not to be trusted as it stands: {text}.")
    return lines


def capacity_answer(readings: pd.DataFrame) -> list[str]:
    """Capacity at a latency target against the largest batch, in words.

    ``readings`` is :func:`~infermodel.estimator.latency.capacity_at_latency` (two rows).
    """
    by = readings.set_index("reading")
    at, top = by.loc["at latency target"], by.loc["maximum"]
    target = f"ITL {display.number(at['itl_ms_target'], 1)} ms"
    if pd.notna(at["ttft_ms_target"]):
        target += f" and TTFT {display.number(at['ttft_ms_target'])} ms"
    if not at["meets_target"]:
        return [
            f"{_replica(at)} cannot meet {target}: one stream alone sees "
            f"{display.number(at['itl_ms'], 1)} ms per token and a first token after "
            f"{display.number(at['ttft_ms'], 0)} ms.",
            *trust_lines([at["warning"]]),
        ]
    share = at["output_tokens_per_second"] / top["output_tokens_per_second"]
    return [
        f"{_replica(at)} holds {display.number(at['batch'])} concurrent streams within "
        f"{target} (limited by {at['limited_by']}; ITL {display.number(at['itl_ms'], 1)} ms, "
        f"TTFT {display.number(at['ttft_ms'], 0)} ms): "
        f"{display.number(at['output_tokens_per_second'], 0)} output tokens/s per replica, "
        f"{percent(share)} of the {display.number(top['output_tokens_per_second'], 0)} at the "
        f"largest batch ({display.number(top['batch'])} streams).",
        *trust_lines([at["warning"]]),
    ]


def regime_answer(regimes: pd.DataFrame) -> list[str]:
    """Where the estimator is worst and best, leave-one-source-out, from the regime table.

    ``regimes`` is :func:`~infermodel.estimator.calibration.error_by_regime`; groups without a
    point, the bursts it does not fit, publishers, and a regime with one group only (it says nothing
    the total does not) are left out.
    """
    split = regimes[
        ~regimes["regime"].isin(["all", "publisher", "not fitted"]) & (regimes["points"] > 0)
    ]
    split = split[split.groupby("regime")["group"].transform("count") > 1]
    if split.empty:
        return []
    worst = split.loc[split["loso_median_ape_percent"].idxmax()]
    best = split.loc[split["loso_median_ape_percent"].idxmin()]

    def one(row) -> str:
        group = f"{row['group']} GPUs" if row["regime"] == "vendor" else row["group"]
        return (
            f"{group} ({display.number(row['points'])} points from "
            f"{display.number(row['publishers'])} publishers: "
            f"{display.number(row['loso_median_ape_percent'], 0)}% median error, "
            f"{_side(row['loso_mean_signed_error_percent'])} by "
            f"{display.number(abs(row['loso_mean_signed_error_percent']), 0)}% on average)"
        )

    return [
        f"By regime, leave-one-source-out, the estimate is weakest for {one(worst)} and "
        f"strongest for {one(best)}."
    ]


def latency_check_answer(checks: pd.DataFrame, point_id: str) -> list[str]:
    """The estimator against a published latency measurement, and against all of them.

    ``checks`` is :func:`~infermodel.estimator.latency.published_latency_checks`; ``point_id`` the
    point held up first (:data:`~infermodel.estimator.latency.NIM_LATENCY_POINT`).
    """
    lines = []
    chosen = checks[checks["point_id"] == point_id]
    if len(chosen):
        p = chosen.iloc[0]
        lines.append(
            f"{p['publisher']} measured {p['model']} in {str(p['precision']).upper()} on "
            f"{int(p['gpus'])} {display.TIMES} {display.gpu_name(p['gpu'])} "
            f"({display.number(p['input_tokens'])} input / {display.number(p['output_tokens'])}"
            f" output tokens) holding {display.number(p['concurrency'])} streams at "
            f"{display.number(p['itl_ms'], 1)} ms per token; the estimator holds "
            f"{display.number(p['streams_at_itl'], 0)} streams at that latency "
            f"({percent(p['streams_error_percent'] / 100, signed=True)}; "
            f"{display.number(p['loso_streams_at_itl'], 0)} streams, "
            f"{percent(p['loso_streams_error_percent'] / 100, signed=True)}, when fitted "
            f"without {p['publisher']}'s points)."
        )
    if len(checks):
        lines.append(
            f"Over all {display.number(len(checks))} published inter-token latencies from "
            f"{display.number(checks['publisher'].nunique())} publishers, the estimated ITL at "
            f"the measured concurrency is "
            f"{display.number(checks['loso_itl_error_percent'].abs().median(), 0)}% off at the "
            f"median leave-one-source-out "
            f"({display.number(checks['itl_error_percent'].abs().median(), 0)}% in-sample)."
        )
    return lines


def refit_answer(errors: pd.DataFrame, rows: pd.DataFrame, written: Sequence[str]) -> list[str]:
    """What a refit did: errors before and after, the serving rows that move, what it wrote.

    ``errors``, ``rows`` and ``written`` are those of :func:`infermodel.estimator.refit.refit`.
    """
    by = errors.set_index("fit")
    after = by.loc["after: leave-one-source-out"]
    inside = by.loc["after: in-sample"]
    before = (
        f" (the shipped factors: {display.number(by.iloc[0]['median_ape_percent'], 1)}% on the "
        "same points)"
        if errors["fit"].iloc[0].startswith("before")
        else " (the shipped factors could not be read, so there is no before)"
    )
    lines = [
        f"Refitted on {display.number(after['points'])} measured points from "
        f"{display.number(after['publishers'])} publishers: median error "
        f"{display.number(inside['median_ape_percent'], 1)}% in-sample{before}, "
        f"{display.number(after['median_ape_percent'], 1)}% leave-one-source-out (worst "
        f"{display.number(after['worst_ape_percent'], 0)}%)."
    ]
    if len(rows):
        change = rows["change_percent"].to_numpy(dtype=float)
        k = int(np.argmax(np.abs(change)))
        lines.append(
            f"The {len(rows)} estimated serving rows move by "
            f"{percent(change.min() / 100, signed=True)} to "
            f"{percent(change.max() / 100, signed=True)} in output tokens per hour, most "
            f"{rows['assumption_id'].iloc[k]} ({multiple(1 + change[k] / 100)} its rate)."
        )
    lines.append(
        f"Written: {names(list(written), most=4)}."
        if written
        else "Dry run: nothing written; add --write to replace the efficiency table and the "
        "estimated serving rows."
    )
    return lines


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


def error_regime_note(regime: dict, factors: Sequence[float]) -> list[str]:
    """Which points the estimator's error is drawn from, and their spread.

    ``regime`` is the part of a configuration's regime the points match
    (:func:`~infermodel.estimator.calibration.regime_points`); ``factors`` their measured /
    leave-one-source-out estimate
    (:func:`~infermodel.estimator.calibration.loso_throughput_factors`).
    """
    values = np.asarray(factors, dtype=float)
    if not len(values):
        return []
    where = f"the regime {names(list(regime.values()), most=6)}" if regime else "all regimes"
    p10, p50, p90 = np.quantile(values, [0.1, 0.5, 0.9])
    return [
        f"Throughput draws come from the estimator's leave-one-source-out error on the "
        f"{len(values)} published points of {where}: the measurement was {multiple(p10, 2)} "
        f"the estimate at P10, {multiple(p50, 2)} at the median and {multiple(p90, 2)} at P90."
    ]
