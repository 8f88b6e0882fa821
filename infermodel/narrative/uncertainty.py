"""Readings of how sure: sensitivity, Monte Carlo, and the throughput estimate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from infermodel import display
from infermodel.display import money, multiple, percent
from infermodel.narrative.base import names
from infermodel.narrative.estimator import regime_answer

# --- sensitivity -----------------------------------------------------------------------------


def _verdict(p: float) -> str:
    if p >= 0.9:
        return "self-hosting is very likely the cheaper option"
    if p >= 0.7:
        return "self-hosting is likely the cheaper option"
    if p > 0.3:
        return "too close to call without better inputs"
    if p > 0.1:
        return "the API is likely the cheaper option"
    return "the API is very likely the cheaper option"


def sensitivity_answer(
    swing: pd.DataFrame,
    mc,
    *,
    api_offering: str,
    diy_offering: str,
    labels: Mapping[str, str],
    api_price: float,
) -> list[str]:
    """What decides DIY against a managed API, and how sure the answer is.

    ``swing`` is :func:`~infermodel.analyses.sensitivity.tornado` of the gap (API price minus DIY
    cost, USD per million tokens); ``mc`` a
    :class:`~infermodel.analyses.sensitivity.MonteCarloResult`.
    """
    api, diy = labels.get(api_offering, api_offering), labels.get(diy_offering, diy_offering)
    gap = float(swing["result_at_base"].iloc[0])
    word = "cheaper" if gap > 0 else "dearer" if gap < 0 else "no cheaper"
    lines = [
        f"At the base case {diy} costs {money(api_price - gap)} per million tokens against "
        f"{money(api_price)} on {api}: self-hosting is {money(abs(gap))} per million tokens "
        f"{word}."
    ]
    moving = swing[swing["swing"] > 0]
    if len(moving):
        top = moving.iloc[0]
        text = (
            f"{_input(top['input']).capitalize()} moves the gap most: by {money(top['swing'])} per "
            f"million tokens across {display.number(top['low'])} to {display.number(top['high'])}"
        )
        if len(moving) > 1:
            second = moving.iloc[1]
            text += f", then {_input(second['input'])} ({money(second['swing'])})"
        lines.append(text + ".")
    flips = [_input(i) for i in swing.loc[swing["crosses_zero"], "input"]]
    lines.append(
        f"Within the stated ranges the decision flips with {names(flips, most=4)}."
        if flips
        else "No single input flips the decision within its stated range."
    )
    p = float(mc.beats.loc[diy_offering, api_offering])
    summary = mc.summary.set_index("offering_id")
    d, a = summary.loc[diy_offering], summary.loc[api_offering]
    lines.append(
        f"Under uncertainty ({display.number(mc.draws)} draws) self-hosting is cheaper in "
        f"{percent(p)} of draws: {_verdict(p)}."
    )
    lines.append(
        f"The job costs {money(d['p10_cost_usd'])} to {money(d['p90_cost_usd'])} on {diy} "
        f"(P10 to P90, median {money(d['p50_cost_usd'])}) against {money(a['p50_cost_usd'])} "
        f"on {api}."
    )
    if len(moving) > 1:
        lines.append(
            f"Measure {_input(moving.iloc[0]['input'])} and {_input(moving.iloc[1]['input'])} "
            "on your own stack before choosing."
        )
    return lines


def _input(name: str) -> str:
    return display.words(name, table=display.INPUT_WORDS)


# --- throughput ------------------------------------------------------------------------------


def throughput_answer(
    accuracy: pd.DataFrame,
    cheapest_gpus: pd.DataFrame,
    *,
    utilization: float,
    regimes: pd.DataFrame | None = None,
) -> list[str]:
    """How far the estimator is from measurements, and the cheapest GPU per model.

    ``accuracy`` is :func:`~infermodel.estimator.calibration.accuracy`; ``cheapest_gpus`` one row
    per
    model from :func:`~infermodel.estimator.throughput.price_estimates` (its cheapest offering);
    ``regimes`` (optional) :func:`~infermodel.estimator.calibration.error_by_regime`, read by
    :func:`~infermodel.narrative.estimator.regime_answer` after the overall error.
    """
    fit = accuracy.set_index("fit")
    inside, out = fit.loc["in-sample"], fit.loc["leave-one-out"]
    lines = [
        f"The throughput estimate is {display.number(inside['median_ape_percent'], 0)}% off "
        f"the {display.number(inside['points'])} published measurements at the median "
        f"({display.number(out['median_ape_percent'], 0)}% when each point is predicted "
        f"without it; worst {display.number(out['worst_ape_percent'], 0)}%)."
    ]
    if regimes is not None:
        lines += regime_answer(regimes)
    if cheapest_gpus.empty:
        lines.append("No GPU on sale on the as-of date holds any of the models chosen.")
        return lines
    parts = [
        f"{r.model} on {_gpus(r.gpus)} {display.gpu_name(r.gpu)} ({r.provider}) at "
        f"{money(r.usd_per_million_output_tokens)}"
        for r in cheapest_gpus.itertuples()
    ]
    lines.append(
        f"Cheapest GPU per million output tokens at {percent(utilization)} utilization: "
        f"{names(parts, most=6)}."
    )
    multi = cheapest_gpus[cheapest_gpus["gpus"] > 1]
    if len(multi):
        lines.append(
            f"{names(list(multi['model']))} need{'s' if len(multi) == 1 else ''} several GPUs "
            "linked in one machine, which the tier must offer at the per-GPU price."
        )
    lines.append(
        "These are estimates for a tuned engine at full load; measure on your own stack "
        "before committing."
    )
    return lines


def _gpus(count: object) -> str:
    return f"{int(count)} {display.TIMES}" if int(count) > 1 else "a"


def latency_notes(penalties: pd.DataFrame) -> list[str]:
    """What real-time serving costs over batch, on rented GPUs and on APIs.

    ``penalties`` is :func:`~infermodel.pricing.compare.latency_penalties`.
    """
    diy = penalties[penalties["platform_type"] == "diy_gpu"]
    api = penalties[penalties["platform_type"] != "diy_gpu"]
    lines = []
    if len(diy):
        lines.append(
            f"On rented GPUs real time costs {_span(diy['penalty_multiple'])} the batch cost per "
            "token (one 60 tok/s stream per replica against batch throughput)."
        )
    lines.append(
        f"On the {len(api)} APIs that publish a batch price, real time costs "
        f"{_span(api['penalty_multiple'])} the batch price."
        if len(api)
        else "No API in the price data publishes a batch price on this date."
    )
    return lines


def stream_notes(readings: pd.DataFrame) -> list[str]:
    """What each per-stream speed target costs against full load, from the estimator.

    ``readings``: ``reading`` (``at stream speed`` or ``maximum``), ``meets_target``,
    ``target_tokens_per_second_per_stream``, ``output_tokens_per_second_per_stream`` and
    ``multiple_of_maximum_throughput_cost``.
    """
    lines = []
    if len(readings):
        targets = readings[readings["reading"] == "at stream speed"]
        parts = [
            f"{display.number(r.target_tokens_per_second_per_stream)} tok/s per stream costs "
            f"{multiple(r.multiple_of_maximum_throughput_cost)} the full-load price"
            if r.meets_target
            else f"{display.number(r.target_tokens_per_second_per_stream)} tok/s per stream is "
            f"out of reach (one stream alone gets "
            f"{display.number(r.output_tokens_per_second_per_stream)})"
            for r in targets.itertuples()
        ]
        if parts:
            lines.append(f"From the throughput estimator: {'; '.join(parts)}.")
    return lines


def _span(values: pd.Series) -> str:
    low, high = values.min(), values.max()
    if np.isclose(low, high, rtol=0.005):
        return multiple(low)
    return f"{multiple(low)} to {multiple(high)}"


def calibration_notes(measured: pd.DataFrame, factors) -> list[str]:
    """The factors fitted on the measured points (``calibration.fit_efficiency``)."""
    return [
        f"{len(measured)} measured points; fitted factors: bandwidth efficiency "
        f"{display.number(factors.bandwidth_efficiency, 2)}, compute efficiency "
        f"{display.number(factors.compute_efficiency, 2)}, tensor-parallel allowance "
        f"{display.number(factors.communication_fraction, 2)} {display.TIMES} (N-1)/N of the "
        "step time."
    ]


def concurrency_note(priced: pd.DataFrame) -> list[str]:
    """One stream against a full replica: speed and price (cheapest offering per batch)."""
    if priced.empty:
        return ["No offering of this GPU is on sale on the as-of date, so the sweep has no price."]
    single, full = priced.iloc[0], priced.iloc[-1]
    one, many = single["usd_per_million_output_tokens"], full["usd_per_million_output_tokens"]
    return [
        f"One stream at a time gets "
        f"{display.number(single['output_tokens_per_second_per_stream'])} tokens/s and costs "
        f"{money(one)} per million output tokens; filling the replica (batch "
        f"{display.number(full['batch'])}) gives each stream "
        f"{display.number(full['output_tokens_per_second_per_stream'])} tokens/s at {money(many)}: "
        f"{multiple(one / many)} cheaper. Real-time serving pays for the idle capacity that low "
        "latency needs."
    ]


def estimator_weaknesses(
    calibrated: pd.DataFrame, measured: pd.DataFrame, model_specs: pd.DataFrame, gpus: Sequence[str]
) -> list[str]:
    """Where the throughput estimate is weak, with the numbers that say so.

    ``calibrated`` is :func:`~infermodel.estimator.calibration.calibration`, ``measured`` its
    points,
    ``model_specs`` the model table, ``gpus`` every GPU SKU with specs.
    """
    worst = calibrated.loc[calibrated["loo_ape"].idxmax()]
    long_prompt = calibrated[calibrated["input_tokens"] >= 5 * calibrated["output_tokens"]]
    moe = list(model_specs.loc[model_specs["experts"] > 1, "model"])
    lines = [
        f"The worst point is {worst['point_id']} ({worst['model']} {worst['precision']} on "
        f"{worst['gpus']} {display.TIMES} {display.gpu_name(worst['gpu'])}): estimated at "
        f"{multiple(worst['ratio'])} the measurement in-sample; read estimates for that kind of "
        "configuration as an upper bound."
    ]
    if len(long_prompt):
        side = "below" if (long_prompt["ratio"] < 1).mean() > 0.5 else "above"
        lines.append(
            f"Long prompts (input at least 5 times output): {len(long_prompt)} measured points, "
            "median "
            f"error {display.number(long_prompt['loo_ape'].median(), 0)}% leave-one-out, "
            f"estimates mostly {side} the measurement (prefill is modelled as a steady average)."
        )
    measured_moe = calibrated[calibrated["model"].isin(moe)]
    if len(measured_moe):
        lines.append(
            f"Mixture of experts ({names(sorted(set(measured_moe['model'])), most=4)}): "
            f"{len(measured_moe)} measured points, median error "
            f"{display.number(measured_moe['loo_ape'].median(), 0)}% leave-one-out; expert "
            "parallel and attention data parallel runs are read as one replica of that many GPUs."
        )
    elif moe:
        lines.append(
            f"Mixture of experts ({names(moe, most=4)}): no measured point, so the expert-routing "
            "term is uncalibrated."
        )
    if calibrated["concurrency"].isna().all():
        lines.append(
            "Every shipped point is at offline maximum load: latency-bound serving (few streams) "
            "is extrapolated, and per-step overheads that dominate at batch 1 are not modelled."
        )
    unmeasured = sorted(set(gpus) - set(measured["gpu"]))
    if unmeasured:
        lines.append(
            f"Unmeasured GPUs ({names([display.gpu_name(g) for g in unmeasured], most=5)}) rest "
            "on datasheet peaks and factors fitted on other GPUs."
        )
    return lines
