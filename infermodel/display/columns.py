"""Column names with units, and how each kind of column is formatted."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from infermodel.display.numbers import (
    MISSING,
    date,
    decimals_for,
    finite_values,
    is_missing,
    money,
    multiple,
    number,
    percent,
    tokens,
)
from infermodel.display.words import (
    INPUT_WORDS,
    LENGTH_WORDS,
    MODE_WORDS,
    PRICING_WORDS,
    STAGE_WORDS,
    TIER_WORDS,
    gpu_name,
    platform_name,
    serving_label,
    tidy,
    words,
)

KINDS = (
    "text",
    "auto",
    "plain",
    "statistic",
    "volume",
    "length",
    "event",
    "offering",
    "label",
    "money",
    "price",
    "gpu_price",
    "count",
    "float",
    "fraction",
    "pct",
    "signed_pct",
    "multiple",
    "date",
    "bool",
    "url",
    "platform",
    "tier",
    "pricing",
    "serving",
    "gpu",
    "mode",
    "words",
    "input",
)

#: Kinds whose cells are numbers: right-aligned, never wrapped or cut.
NUMERIC_KINDS = frozenset(
    {"money", "price", "gpu_price", "count", "float", "fraction", "pct", "signed_pct"}
    | {"multiple", "auto", "volume"}
)

#: Human names (with units) and kinds of the columns the library's tables carry.
COLUMNS: dict[str, tuple[str, str]] = {
    "offering": ("Offering", "offering"),
    "api_offering": ("API", "offering"),
    "diy_offering": ("Self-hosted option", "offering"),
    "platform_type": ("Platform type", "platform"),
    "platform": ("Platform type", "label"),
    "provider": ("Provider", "text"),
    "model": ("Model", "text"),
    "model_id": ("Model id", "text"),
    "gpu": ("GPU", "gpu"),
    "gpus": ("GPUs", "count"),
    "tier": ("Tier", "tier"),
    "pricing": ("Pricing", "pricing"),
    "serving_assumption": ("Serving assumption", "serving"),
    "assumption_id": ("Serving assumption", "serving"),
    "label": ("Serving assumption", "text"),
    "mode": ("Mode", "mode"),
    "precision": ("Precision", "text"),
    "gpus_per_replica": ("GPUs per replica", "count"),
    "tokens_per_second": ("Throughput (tokens/s per replica)", "count"),
    "output_tokens_per_hour_per_replica": ("Throughput (output tokens/h per replica)", "count"),
    "utilization": ("Utilization", "fraction"),
    # sources that disagree (infermodel.prices.discrepancies): side A is the one dated first
    "source_a": ("Source A", "text"),
    "source_b": ("Source B", "text"),
    "value_a_usd_per_million_tokens": ("A ($/M tok)", "auto"),
    "value_b_usd_per_million_tokens": ("B ($/M tok)", "auto"),
    "observed_on_a": ("A observed on", "date"),
    "observed_on_b": ("B observed on", "date"),
    "relative_difference_pct": ("Apart (%)", "pct"),
    "gpu_hours": ("GPU-hours", "float"),
    "wall_clock_hours": ("Wall-clock hours", "float"),
    "cost_usd": ("Cost ($)", "money"),
    "cost_usd_standard": ("List price ($)", "money"),
    "cost_usd_batch": ("Batch ($)", "money"),
    "cost_usd_flex": ("Flex ($)", "money"),
    "cost_usd_priority": ("Priority ($)", "money"),
    "batch_multiple": ("Batch \u00d7 list", "multiple"),
    "flex_multiple": ("Flex \u00d7 list", "multiple"),
    "priority_multiple": ("Priority \u00d7 list", "multiple"),
    "service_tier": ("Service tier", "text"),
    "uplift": ("Uplift", "text"),
    "usd_per_million_tokens": ("$ per M tokens", "price"),
    "usd_per_million_input_tokens": ("Input ($ per M tokens)", "price"),
    "usd_per_million_output_tokens": ("Output ($ per M tokens)", "price"),
    "usd_per_million_cached_input_tokens": ("Cached input ($ per M tokens)", "price"),
    "usd_per_million_output_tokens_gpu": ("$ per M output tokens", "price"),
    "usd_per_million_output_tokens_est": ("$ per M output tokens", "price"),
    "usd_per_gpu_hour": ("$ per GPU-hour", "gpu_price"),
    "multiple_of_cheapest": ("\u00d7 cheapest", "multiple"),
    "times_next_type": ("\u00d7 next platform type", "multiple"),
    "confidence": ("Price confidence", "text"),
    "observed_on": ("Observed on", "date"),
    "age_days": ("Age (days)", "count"),
    "stale": ("Stale", "bool"),
    "source_url": ("Source", "url"),
    "serving_source_url": ("Throughput source", "url"),
    "note": ("Note", "text"),
    "reason": ("Why never", "offering"),
    "status": ("Status", "words"),
    "input": ("Input", "input"),
    "low": ("Low end", "auto"),
    "high": ("High end", "auto"),
    "base_value": ("Base value", "auto"),
    "swing": ("Swing ($ per M tokens)", "price"),
    "result_at_low": ("Gap at low end ($ per M tokens)", "price"),
    "result_at_high": ("Gap at high end ($ per M tokens)", "price"),
    "crosses_zero": ("Flips the decision", "bool"),
    "p10_cost_usd": ("P10 cost ($)", "money"),
    "p50_cost_usd": ("Median cost ($)", "money"),
    "p90_cost_usd": ("P90 cost ($)", "money"),
    "mean_cost_usd": ("Mean cost ($)", "money"),
    "month": ("Month", "count"),
    "stage": ("Stage", "words"),
    "tokens_per_month": ("Volume (tokens/month)", "volume"),
    "million_tokens_per_month": ("Volume (M tokens/month)", "count"),
    "cost_usd_per_month": ("Monthly cost ($)", "money"),
    "cumulative_cost_usd": ("Cumulative cost ($)", "money"),
    "break_even_million_tokens_per_month": ("Break-even (M tokens/month)", "count"),
    "always_cheaper_from_million_tokens_per_month": (
        "Always cheaper from (M tokens/month)",
        "count",
    ),
    "api_usd_per_million_tokens": ("API ($ per M tokens)", "price"),
    "diy_usd_per_million_tokens_busy": ("Busy replica ($ per M tokens)", "price"),
    "replicas_at_break_even": ("Replicas at break-even", "count"),
    "break_even_utilization": ("Utilization needed", "fraction"),
    "fixed_usd_per_month": ("Fixed cost ($/month)", "money"),
    "cost_usd_old": ("Cost then ($)", "money"),
    "cost_usd_new": ("Cost now ($)", "money"),
    "change_pct": ("Change", "signed_pct"),
    "change_pct_input": ("Input price change", "signed_pct"),
    "change_pct_output": ("Output price change", "signed_pct"),
    "change_pct_gpu_hour": ("GPU-hour price change", "signed_pct"),
    "total_change_usd": ("Total change ($)", "money"),
    "price_effect_usd": ("Price effect ($)", "money"),
    "mix_effect_usd": ("Mix effect ($)", "money"),
    "total_change_pct": ("Total change", "signed_pct"),
    "offerings_old": ("Offerings then", "count"),
    "offerings_new": ("Offerings now", "count"),
    "workload": ("Workload", "text"),
    "statistic": ("Offering", "statistic"),
    "requests": ("Requests", "count"),
    "input_tokens": ("Uncached prompt tokens", "count"),
    "cached_input_tokens": ("Cached prompt tokens", "count"),
    "output_tokens": ("Output tokens", "count"),
    "total_tokens": ("Total tokens", "count"),
    "usd_per_request_mean": ("Mean $ per request", "money"),
    "usd_per_request_p50": ("Median $ per request", "money"),
    "usd_per_request_p95": ("P95 $ per request", "money"),
    "long_context_requests": ("Long-context requests", "count"),
    "replicas_peak": ("Replicas at peak", "count"),
    "replicas_mean": ("Replicas on average", "float"),
    "cost_usd_peak_sized": ("Cost sized for the peak ($)", "money"),
    "cost_usd_autoscaled": ("Cost autoscaled ($)", "money"),
    "cost_usd_serverless": ("Cost serverless ($)", "money"),
    "serverless_to_peak": ("Serverless ÷ peak-sized", "multiple"),
    "best_serverless_to_peak": ("At the best timeout, ÷ peak-sized", "multiple"),
    "idle_timeout_s": ("Idle timeout (s)", "count"),
    "best_idle_timeout_s": ("Cheapest idle timeout (s)", "count"),
    "cold_start_s": ("Cold start (s)", "count"),
    "cold_starts": ("Cold starts", "count"),
    "requests_delayed": ("Requests delayed by a start", "float"),
    "added_latency_s_mean": ("Added latency, mean (s)", "float"),
    "added_latency_s_max": ("Added latency, most (s)", "float"),
    "scale_interval_s": ("Scale interval (s)", "count"),
    "spot_time_factor": ("Spot time ÷ useful time", "multiple"),
    "billing_increment_seconds": ("Billing increment (s)", "count"),
    "gpus_per_instance_min": ("GPUs per instance, fewest", "count"),
    "log": ("Log", "text"),
    "start_month": ("Bought in month", "count"),
    "replicas_reserved": ("Replicas reserved", "count"),
    "payback_month": ("Pays back by month", "count"),
    "total_saving_usd": ("Saving over the path ($)", "money"),
    "unused_gpu_hours": ("Unused GPU-hours", "count"),
    "unused_usd": ("Unused hours cost ($)", "money"),
    "term_months": ("Term (months)", "count"),
    "cost_usd_with_cache": ("With cached-input prices ($)", "money"),
    "cost_usd_without_cache": ("Cached input billed as input ($)", "money"),
    "saving_usd": ("Saving ($)", "money"),
    "saving_share": ("Saving", "fraction"),
    "penalty_multiple": ("Real time ÷ batch", "multiple"),
    "penalty_usd_per_million_tokens": ("Real-time premium ($ per M tokens)", "price"),
    "realtime_usd_per_million_tokens": ("Real time ($ per M tokens)", "price"),
    "batch_usd_per_million_tokens": ("Batch ($ per M tokens)", "price"),
    "batch_reading": ("Batch reading", "serving"),
    "output_tokens_per_second": ("Output tokens/s", "count"),
    "output_tokens_per_second_per_stream": ("Tokens/s per stream", "float"),
    "estimated_tokens_per_second": ("Estimated tokens/s", "count"),
    "loo_estimated_tokens_per_second": ("Estimated without the point (tokens/s)", "count"),
    "ape": ("Error", "pct"),
    "loo_ape": ("Error without the point", "pct"),
    "median_ape_percent": ("Median error", "pct"),
    "worst_ape_percent": ("Worst error", "pct"),
    "mean_signed_error_percent": ("Mean signed error", "signed_pct"),
    "loo_median_ape_percent": ("Median error without the point", "pct"),
    "loo_mean_signed_error_percent": ("Mean signed error without the point", "signed_pct"),
    "regime": ("Regime", "text"),
    "group": ("Group", "text"),
    "points": ("Points", "count"),
    "itl_ms": ("ITL (ms/token)", "float"),
    "ttft_ms": ("TTFT (ms)", "count"),
    "itl_ms_target": ("ITL target (ms/token)", "float"),
    "ttft_ms_target": ("TTFT target (ms)", "count"),
    "limited_by": ("Limited by", "text"),
    "max_batch": ("Largest batch", "count"),
    "batch": ("Batch", "count"),
    "concurrency": ("Requests in flight", "count"),
    "decode_bound": ("Memory-bound", "bool"),
    "point_id": ("Measurement", "text"),
    "fit": ("Fit", "text"),
    "meets_target": ("Meets the target", "bool"),
    "reading": ("Reading", "text"),
    "target_tokens_per_second_per_stream": ("Target (tokens/s per stream)", "count"),
    "multiple_of_maximum_throughput_cost": ("\u00d7 cost at full load", "multiple"),
    "withdrawn_on": ("Withdrawn on", "date"),
    "withdrawal_source_url": ("Withdrawal source", "url"),
    "meaning": ("Meaning", "text"),
    "distribution": ("Distribution", "plain"),
    "sample_p10": ("P10 of the draws", "auto"),
    "sample_p50": ("Median of the draws", "auto"),
    "sample_p90": ("P90 of the draws", "auto"),
    "item": ("Item", "text"),
    "value": ("Value", "text"),
    "engine": ("Engine", "text"),
    "component": ("Layer", "words"),
    "basis": ("Basis", "text"),
    "share_of_price": ("Share of list price", "fraction"),
    "proprietary_api": ("Proprietary API ($/month)", "money"),
    "managed_api": ("Managed API ($/month)", "money"),
    "diy_gpu": ("Own GPUs ($/month)", "money"),
    "cheapest": ("Cheapest", "words"),
    "tokens": ("Tokens per request", "length"),
    "usd_per_million_input_tokens_old": ("Input then ($ per M)", "price"),
    "usd_per_million_input_tokens_new": ("Input now ($ per M)", "price"),
    "usd_per_million_output_tokens_old": ("Output then ($ per M)", "price"),
    "usd_per_million_output_tokens_new": ("Output now ($ per M)", "price"),
    "usd_per_gpu_hour_old": ("Then ($ per GPU-hour)", "gpu_price"),
    "usd_per_gpu_hour_new": ("Now ($ per GPU-hour)", "gpu_price"),
    "observed_on_old": ("Observed then", "date"),
    "observed_on_new": ("Observed now", "date"),
    "mean": ("Mean", "count"),
    "max": ("Largest", "count"),
    "event": ("Event", "event"),
    "cheaper_from_month": ("Cheaper from month", "count"),
    "pays_back_in_month": ("Pays back by month", "count"),
    "shock_month": ("Bill shock in month", "count"),
    "switching_cost_usd": ("Switching cost ($)", "money"),
    "monthly_saving_usd_at_horizon": ("Monthly saving at the end ($)", "money"),
    "shock_usd_per_month": ("Shock threshold ($/month)", "money"),
    "proprietary_over_managed": ("Proprietary ÷ managed", "multiple"),
    "managed_over_diy": ("Managed ÷ own GPUs (article throughput)", "multiple"),
    "managed_over_diy_measured": ("Managed ÷ own GPUs (measured throughput)", "multiple"),
    # bills (infermodel.pricing.reconcile, infermodel.pricing.bill_pricing)
    "charge_period_start": ("Charge period from", "date"),
    "charge_period_end": ("Charge period to (exclusive)", "date"),
    "priced_as_of": ("Priced as of", "date"),
    "line": ("Line", "plain"),
    "scope": ("Scope", "text"),
    "billed_model": ("Model billed", "text"),
    "billed_model_name": ("Model billed", "text"),
    "token_kind": ("Tokens of", "words"),
    "billed_tokens": ("Tokens", "count"),
    "recomputed_list_usd": ("Kit's list price ($)", "money"),
    "billed_cost_usd": ("Billed ($)", "money"),
    "list_cost_usd": ("Bill's list cost ($)", "money"),
    "effective_cost_usd": ("Effective cost ($)", "money"),
    "difference_usd": ("Billed \u2212 kit's list ($)", "money"),
    "billed_usd": ("Billed ($)", "money"),
    "cost_minus_billed_usd": ("Cost \u2212 billed ($)", "money"),
    "cost_to_billed": ("\u00d7 billed", "multiple"),
    "bill_reason": ("Reason", "text"),
    "like_offering": ("Cheapest like for like", "offering"),
    "like_usd": ("Like for like ($)", "money"),
    "best_usd": ("Best of staying or moving ($)", "money"),
    "list_usd": ("At the kit's list ($)", "money"),
}

_UNIT_SUFFIXES = (
    ("usd_per_million_tokens", "($ per M tokens)", "price"),
    ("usd_per_gpu_hour", "($ per GPU-hour)", "gpu_price"),
    ("_usd_per_month", "($/month)", "money"),
    ("_usd", "($)", "money"),
    ("_pct", "(%)", "signed_pct"),
    ("_share", "", "fraction"),
    ("_tokens", "(tokens)", "count"),
)


def column_spec(name: str) -> tuple[str, str]:
    """``(header, kind)`` of a column: from :data:`COLUMNS`, else guessed from its name."""
    if name in COLUMNS:
        return COLUMNS[name]
    for suffix, unit, kind in _UNIT_SUFFIXES:
        if name.endswith(suffix) or name.startswith(suffix.strip("_")):
            stem = name.removesuffix(suffix).replace("_", " ").strip() or name.replace("_", " ")
            return (f"{stem[:1].upper()}{stem[1:]} {unit}".strip(), kind)
    text = str(name).replace("_", " ")
    return (text[:1].upper() + text[1:], "text")


_SCIENTIFIC = re.compile(r"-?\d+(?:\.\d+)?e[+-]?\d+")


def plain(text: object) -> str:
    """Text with numbers in scientific notation written out (``1e+06`` -> ``1,000,000``)."""
    if is_missing(text):
        return MISSING
    return _SCIENTIFIC.sub(lambda m: number(float(m.group(0))), str(text))


def event_words(event: object) -> str:
    """``switch managed_api -> diy_gpu`` -> ``switch managed open-model API → own rented GPUs``."""
    if is_missing(event):
        return MISSING
    text = str(event).replace(" -> ", " \u2192 ")
    for stage, word in STAGE_WORDS.items():
        text = text.replace(stage, word)
    return text


def format_column(values: Sequence | pd.Series, kind: str) -> list[str]:
    """Every value of a column as text, with the column's decimals (see :data:`KINDS`)."""
    series = pd.Series(list(values), dtype=object)
    if kind in ("money", "price", "gpu_price"):
        d = decimals_for(series, large=1_000 if kind == "money" else 100)
        return [money(v, d) for v in series]
    if kind == "count":
        return [number(v, 0) for v in series]
    if kind == "float":
        d = decimals_for(series, large=100, least=1, whole=True)
        return [number(v, d) for v in series]
    if kind in ("fraction", "pct", "signed_pct"):
        scale = 1 if kind == "fraction" else 100
        fractions = [None if is_missing(v) else float(v) / scale for v in series]
        finite = finite_values(fractions)
        nonzero = np.abs(finite[finite != 0])
        d = 1 if nonzero.size and np.median(nonzero) < 0.05 else 0
        return [percent(v, d, signed=kind == "signed_pct") for v in fractions]
    if kind == "multiple":
        finite = finite_values(series)
        d = 2 if finite.size and np.median(np.abs(finite)) < 1 else 1
        return [multiple(v, d) for v in series]
    maps = {
        "date": date,
        "bool": lambda v: MISSING if is_missing(v) else ("yes" if bool(v) else "no"),
        "platform": platform_name,
        "tier": lambda v: words(v, table=TIER_WORDS),
        "pricing": lambda v: words(v, table=PRICING_WORDS),
        "serving": serving_label,
        "gpu": gpu_name,
        "mode": lambda v: words(v, table=MODE_WORDS),
        "words": lambda v: words(v, table=STAGE_WORDS),
        "input": lambda v: words(v, table=INPUT_WORDS),
        "url": lambda v: MISSING if is_missing(v) else str(v),
        "offering": tidy,
        "event": event_words,
        "statistic": lambda v: words(v, table={"min": "cheapest", "median": "median"}),
        "volume": tokens,
        "auto": number,
        "plain": plain,
        "length": lambda v: words(v, table=LENGTH_WORDS),
    }
    if kind in maps:
        return [maps[kind](v) for v in series]
    return [MISSING if is_missing(v) else cell_text(v) for v in series]


def cell_text(value: object) -> str:
    if isinstance(value, float):
        return number(value)
    if isinstance(value, pd.Timestamp):
        return date(value)
    return str(value)
