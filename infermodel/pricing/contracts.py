"""Declared contracts of the kit's output tables: cost, trace, break-even, bill tables.

Each is a pandera schema: the columns in order with their types, units in the names, ranges,
and the rules that tie columns together (an API row has no GPU; a DIY row's cost is its
GPU-hours times the hourly rate). The analysis modules take their column lists from here, so
a column is declared once; the tests validate every table the kit produces against these.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from infermodel._compat import pa
from infermodel.formulas import BILLING_BASES
from infermodel.tables import CONFIDENCE_LEVELS, DISPUTED, PLATFORM_LABELS, PLATFORM_TYPES
from infermodel.tables.user_data import ORIGINS

#: Relative tolerance of the rules that recompute a column from others. [-]
RELATIVE_TOLERANCE = 1e-9


def _text(*, nullable: bool = False, **kwargs) -> pa.Column:
    return pa.Column(str, nullable=nullable, **kwargs)


def _amount(*, nullable: bool = False, positive: bool = False) -> pa.Column:
    check = pa.Check.gt(0) if positive else pa.Check.ge(0)
    return pa.Column(float, check, nullable=nullable)


def _is_diy(df: pd.DataFrame) -> pd.Series:
    return df["platform_type"] == "diy_gpu"


def _close(a: pd.Series, b: pd.Series) -> pd.Series:
    return pd.Series(np.isclose(a, b, rtol=RELATIVE_TOLERANCE, atol=0), index=a.index)


#: A table's ``total_tokens`` is the sum of its four token columns.
_TOTAL_TOKENS_CHECK = pa.Check(
    lambda df: _close(
        df["total_tokens"],
        df["input_tokens"]
        + df["cached_input_tokens"]
        + df["cache_write_tokens"]
        + df["output_tokens"],
    ),
    error="total_tokens = input + cached input + cache writes + output",
)


def _platform_order(df: pd.DataFrame) -> bool:
    rank = df["platform_type"].map({t: i for i, t in enumerate(PLATFORM_TYPES)})
    return bool(rank.is_monotonic_increasing)


def _cheapest_is_one(df: pd.DataFrame) -> bool:
    return bool(np.isclose(df["multiple_of_cheapest"].min(), 1.0)) if len(df) else True


_IDENTITY = {
    "offering_id": _text(unique=True),
    "platform_type": _text(checks=pa.Check.isin(PLATFORM_TYPES)),
    "platform": _text(checks=pa.Check.isin(list(PLATFORM_LABELS.values()))),
    "provider": _text(),
    "model": _text(),
    "model_id": _text(nullable=True),
    "gpu": _text(nullable=True),
    "tier": _text(nullable=True),
    "pricing": _text(nullable=True),
    "serving_assumption": _text(nullable=True),
    "mode": _text(nullable=True),
    # How the row's GPUs are paid (formulas.BILLING_BASES); empty on API rows.
    "billing_basis": _text(nullable=True, checks=pa.Check.isin(BILLING_BASES)),
    "gpus_per_replica": pa.Column(float, pa.Check.ge(1), nullable=True),
    "tokens_per_second": _amount(nullable=True, positive=True),
}
_PROVENANCE = {
    "observed_on": pa.Column("datetime64[ns]"),
    # Days from the source's date to the as-of date; negative for a price carried back from a
    # later source (gpu_prices.csv carried_back_to).
    "age_days": pa.Column(int),
    "stale": pa.Column(bool),
    # The price is a change announced for a date after today (infermodel.prices.as_of).
    "announced": pa.Column(bool),
    "confidence": _text(checks=pa.Check.isin((*CONFIDENCE_LEVELS, DISPUTED))),
    "source_url": _text(),
    "serving_source_url": _text(nullable=True),
    # "user" when a number of the row (its price, contract, server or throughput) came from
    # the user data folder (infermodel.tables.user_data), else "shipped".
    "data_origin": _text(checks=pa.Check.isin(ORIGINS)),
}
#: A contract's terms on an API row (infermodel.prices.negotiated): empty on DIY rows and where none
#: applies; the row's prices and cost are at the contract, ``*_list`` at the list price.
_CONTRACT = {
    "contract": _text(nullable=True),
    "committed_usd_per_month": _amount(nullable=True, positive=True),
}
#: What one GPU-hour of a server you own costs, by part (infermodel.tables.owned_gpus): empty on
#: other rows. ``usd_per_gpu_hour`` of an owned row is capital + hosting + staff + busy power
#: on the busy share + idle power on the rest. [USD/GPU-h]
_OWNED = {
    "gpus_per_server": pa.Column(float, pa.Check.ge(1), nullable=True),
    "usd_per_gpu_hour_capital": _amount(nullable=True),
    "usd_per_gpu_hour_hosting": _amount(nullable=True),
    "usd_per_gpu_hour_staff": _amount(nullable=True),
    "usd_per_gpu_hour_power_busy": _amount(nullable=True),
    "usd_per_gpu_hour_power_idle": _amount(nullable=True),
}
_AT_LIST = {
    "cost_usd_list": _amount(),
    "usd_per_million_tokens_list": _amount(),
}
_TABLE_RULES = [
    pa.Check(lambda df: _is_diy(df) | df["gpu"].isna(), error="an API row names no GPU"),
    pa.Check(lambda df: ~_is_diy(df) | df["gpu"].notna(), error="a DIY row names its GPU"),
    pa.Check(
        lambda df: ~_is_diy(df) | df["serving_assumption"].notna(),
        error="a DIY row names its serving assumption",
    ),
    pa.Check(
        lambda df: _is_diy(df) != df["billing_basis"].isna(),
        error="a DIY row names its billing basis; an API row has none",
    ),
    pa.Check(
        lambda df: _close(df["usd_per_million_tokens"], df["cost_usd"] * 1e6 / df["total_tokens"]),
        error="usd_per_million_tokens = cost_usd x 1e6 / total_tokens",
    ),
    pa.Check(_platform_order, error="rows are grouped by platform type in display order"),
    pa.Check(_cheapest_is_one, error="the cheapest row has multiple_of_cheapest 1"),
    pa.Check(
        lambda df: df["cost_usd"] <= df["cost_usd_list"] * (1 + RELATIVE_TOLERANCE),
        error="a contract costs no more than the list price",
    ),
    pa.Check(
        lambda df: _close(df["cost_usd"], df["cost_usd_list"]) | df["contract"].notna(),
        error="a row priced below its list price names the contract",
    ),
    pa.Check(
        lambda df: _close(
            df["usd_per_million_tokens_list"], df["cost_usd_list"] * 1e6 / df["total_tokens"]
        ),
        error="usd_per_million_tokens_list = cost_usd_list x 1e6 / total_tokens",
    ),
]

COST_TABLE = pa.DataFrameSchema(
    {
        **_IDENTITY,
        "utilization": pa.Column(float, pa.Check.in_range(0, 1, include_min=False), nullable=True),
        "input_tokens": _amount(),
        "cached_input_tokens": _amount(),
        "cache_write_tokens": _amount(),
        "output_tokens": _amount(),
        "total_tokens": _amount(positive=True),
        "usd_per_million_input_tokens": _amount(nullable=True),
        "usd_per_million_output_tokens": _amount(nullable=True),
        "usd_per_million_cached_input_tokens": _amount(nullable=True),
        "usd_per_million_cache_write_tokens": _amount(nullable=True),
        "usd_per_gpu_hour": _amount(nullable=True),
        **_OWNED,
        "service_tier": _text(nullable=True),
        "uplift": _text(nullable=True),
        **_CONTRACT,
        "batch_api_applied": pa.Column("boolean", nullable=True),
        "long_context_applied": pa.Column("boolean", nullable=True),
        # Where a long prompt's cache prices come from: "listed", or the kinds billed at the
        # short-context price because the source publishes none (service_tiers).
        "long_context_cache_basis": _text(nullable=True),
        "gpu_hours": _amount(nullable=True),
        "wall_clock_hours": _amount(nullable=True),
        "spot_time_factor": pa.Column(float, pa.Check.ge(1), nullable=True),
        "diy_token_basis": _text(nullable=True, checks=pa.Check.isin(("total", "output"))),
        "cost_usd": _amount(),
        "usd_per_million_tokens": _amount(),
        **_AT_LIST,
        "multiple_of_cheapest": pa.Column(float, pa.Check.ge(1 - RELATIVE_TOLERANCE)),
        **_PROVENANCE,
    },
    checks=[
        *_TABLE_RULES,
        pa.Check(
            lambda df: _is_diy(df) == df["diy_token_basis"].notna(),
            error="a DIY row (only) names the tokens that take its GPU time",
        ),
        pa.Check(
            lambda df: (
                ~_is_diy(df) | _close(df["cost_usd"], df["gpu_hours"] * df["usd_per_gpu_hour"])
            ),
            error="a DIY row costs its GPU-hours times the hourly rate",
        ),
        _TOTAL_TOKENS_CHECK,
    ],
    ordered=True,
    strict=True,
    name="cost table",
)

TRACE_TABLE = pa.DataFrameSchema(
    {
        **_IDENTITY,
        "requests": pa.Column(int, pa.Check.gt(0)),
        "input_tokens": pa.Column(int, pa.Check.ge(0)),
        "cached_input_tokens": pa.Column(int, pa.Check.ge(0)),
        "output_tokens": pa.Column(int, pa.Check.ge(0)),
        "total_tokens": pa.Column(int, pa.Check.gt(0)),
        "usd_per_million_input_tokens": _amount(nullable=True),
        "usd_per_million_cached_input_tokens": _amount(nullable=True),
        "usd_per_million_output_tokens": _amount(nullable=True),
        "service_tier": _text(nullable=True),
        "uplift": _text(nullable=True),
        **_CONTRACT,
        "long_context_requests": _amount(nullable=True),
        "usd_per_gpu_hour": _amount(nullable=True),
        **_OWNED,
        "peak_tokens_per_minute": _amount(nullable=True),
        "replicas_peak": _amount(nullable=True),
        "replicas_mean": _amount(nullable=True),
        "replica_hours": _amount(nullable=True),
        "diy_sizing": _text(nullable=True),
        "replica_hours_peak_sized": _amount(nullable=True),
        "replica_hours_autoscaled": _amount(nullable=True),
        "replica_hours_serverless": _amount(nullable=True),
        "cost_usd_peak_sized": _amount(nullable=True),
        "cost_usd_autoscaled": _amount(nullable=True),
        "cost_usd_serverless": _amount(nullable=True),
        "utilization_peak_sized": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        "utilization_autoscaled": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        "utilization_serverless": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        "utilization": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        "cold_starts": _amount(nullable=True),
        "requests_delayed": _amount(nullable=True),
        "added_latency_s_mean": _amount(nullable=True),
        "added_latency_s_max": _amount(nullable=True),
        "idle_timeout_s": _amount(nullable=True),
        "cold_start_s": _amount(nullable=True),
        "scale_interval_s": _amount(nullable=True),
        "spot_time_factor": _amount(nullable=True),
        "gpus_per_instance": _amount(nullable=True),
        "billing_increment_seconds": _amount(nullable=True),
        "gpus_per_instance_min": _amount(nullable=True),
        "scales_to_zero": pa.Column("boolean", nullable=True),
        "billing_rule": _text(nullable=True),
        "cost_usd": _amount(),
        "usd_per_request_mean": _amount(),
        "usd_per_request_p50": _amount(nullable=True),
        "usd_per_request_p95": _amount(nullable=True),
        "usd_per_million_tokens": _amount(),
        **_AT_LIST,
        "multiple_of_cheapest": pa.Column(float, pa.Check.ge(1 - RELATIVE_TOLERANCE)),
        **_PROVENANCE,
    },
    checks=[
        *_TABLE_RULES,
        pa.Check(
            lambda df: _is_diy(df) | (df["usd_per_request_p50"] <= df["usd_per_request_p95"]),
            error="an API row's P50 request cost is at most its P95",
        ),
        pa.Check(
            lambda df: (
                ~_is_diy(df)
                | (df["cost_usd_autoscaled"] <= df["cost_usd_peak_sized"] * (1 + 1e-12))
            ),
            error="autoscaling costs no more than sizing for the peak",
        ),
        pa.Check(
            lambda df: _close(df["usd_per_request_mean"], df["cost_usd"] / df["requests"]),
            error="usd_per_request_mean = cost_usd / requests",
        ),
    ],
    ordered=True,
    strict=True,
    name="trace table",
)

BREAK_EVEN_TABLE = pa.DataFrameSchema(
    {
        "api_offering_id": _text(),
        "api_offering": _text(),
        "api_platform_type": _text(checks=pa.Check.isin(PLATFORM_TYPES[:-1])),
        "api_provider": _text(),
        "api_model": _text(),
        "api_usd_per_million_tokens": _amount(positive=True),
        "diy_offering_id": _text(),
        "diy_offering": _text(),
        "diy_provider": _text(),
        "gpu": _text(),
        "tier": _text(),
        "serving_assumption": _text(),
        "tokens_per_second": _amount(positive=True),
        "utilization": pa.Column(float, pa.Check.in_range(0, 1, include_min=False)),
        "gpus_per_replica": pa.Column(float, pa.Check.ge(1)),
        "usd_per_gpu_hour": _amount(),
        "diy_usd_per_million_tokens_busy": _amount(),
        "billing": _text(checks=pa.Check.isin(["always_on", "per_hour"])),
        "billing_basis": _text(checks=pa.Check.isin(["always_on", "per_hour"])),
        "min_replicas": pa.Column(int, pa.Check.ge(0)),
        "max_replicas": pa.Column(nullable=True),  # a whole number, or None for no limit
        "fixed_usd_per_month": _amount(),
        "break_even_million_tokens_per_month": _amount(nullable=True),
        "always_cheaper_from_million_tokens_per_month": _amount(nullable=True),
        "replicas_at_break_even": pa.Column(float, pa.Check.ge(1), nullable=True),
        "reason": _text(),
        # "user" when either side has a number of the user folder (a contract, a server).
        "data_origin": _text(checks=pa.Check.isin(ORIGINS), required=False),
        "tokens_per_month": pa.Column(float, pa.Check.gt(0), required=False),
        "break_even_utilization": pa.Column(float, nullable=True, required=False),
    },
    checks=[
        pa.Check(
            lambda df: df["break_even_million_tokens_per_month"].isna() == (df["reason"] != ""),
            error="a pair that never breaks even says why; one that does has no reason",
        ),
        pa.Check(
            lambda df: (
                df["break_even_million_tokens_per_month"].isna()
                | (
                    df["always_cheaper_from_million_tokens_per_month"]
                    >= df["break_even_million_tokens_per_month"] * (1 - RELATIVE_TOLERANCE)
                )
            ),
            error="always cheaper from no earlier than the first break-even",
        ),
        pa.Check(
            lambda df: ~df.duplicated(["api_offering_id", "diy_offering_id"]),
            error="one row per (API offering, DIY option)",
        ),
    ],
    ordered=True,
    strict=True,
    name="break-even table",
)

# --- bills (infermodel.pricing.reconcile, infermodel.pricing.bill_pricing)
# -------------------------------------

#: Reasons a reconciled bill line carries (:func:`infermodel.pricing.reconcile.reconcile`), in the
#: order
#: they are decided.
RECONCILE_REASONS = (
    "at list",
    "at contract",
    "committed discount",
    "negotiated discount",
    "billed above list",
    "billed below list",
    "negative charge",
    "unpriced model",
    "unit or quantity mismatch",
    "out of scope",
)
_PRICED_REASONS = RECONCILE_REASONS[:7]
#: A cent, the rounding of a bill; the contract's tolerance on "at list". [USD]
_CENT = 0.01 + 1e-9


def _period_groups(df: pd.DataFrame) -> list[str]:
    keys = ["charge_period_start"]
    return [*keys, "billed_offering_id", "billed_model"] if "billed_model" in df else keys


def _each_period(df: pd.DataFrame, rule) -> bool:
    return all(rule(part) for _, part in df.groupby(_period_groups(df), sort=False))


def _close_or_both_missing(a: pd.Series, b: pd.Series) -> pd.Series:
    both = a.isna() & b.isna()
    return both | pd.Series(np.isclose(a, b, rtol=RELATIVE_TOLERANCE, atol=1e-9), index=a.index)


_GROUP = {
    name: _text(required=False)
    for name in ("billed_provider", "billed_model", "billed_offering_id")
}

BILL_TABLE = pa.DataFrameSchema(
    {
        **_GROUP,
        "charge_period_start": pa.Column("datetime64[ns]"),
        "charge_period_end": pa.Column("datetime64[ns]"),
        "priced_as_of": pa.Column("datetime64[ns]"),
        # Offerings repeat from one period to the next: the id is unique per period.
        **{**COST_TABLE.columns, "offering_id": _text()},
        "cache_write_1h_tokens": _amount(),
        "lines": pa.Column(int, pa.Check.gt(0)),
        "billed_usd": pa.Column(float),
        "effective_usd": pa.Column(float, nullable=True),
        "list_cost_usd": pa.Column(float, nullable=True),
        "cost_minus_billed_usd": pa.Column(float),
        "cost_to_billed": pa.Column(float, nullable=True),
        "billed_offering": pa.Column(bool),
        # How the tokens were served: requests answered as they came, or a batch job; rented
        # GPUs are billed as that traffic would be (billing_basis), in whole replicas.
        "traffic": _text(checks=pa.Check.isin(["batch", "realtime"])),
        "replicas": pa.Column(float, pa.Check.ge(0), nullable=True),
        "fits_traffic": pa.Column("boolean", nullable=True),
    },
    checks=[
        pa.Check(
            lambda df: ~df.duplicated([*_period_groups(df), "offering_id"]),
            error="one row per (charge period, offering)",
        ),
        pa.Check(
            lambda df: _each_period(df, _platform_order),
            error="each period's rows are grouped by platform type in display order",
        ),
        pa.Check(
            lambda df: _each_period(df, _cheapest_is_one),
            error="each period's cheapest row has multiple_of_cheapest 1",
        ),
        pa.Check(
            lambda df: df["priced_as_of"] < df["charge_period_end"],
            error="a period is priced on a day before its (exclusive) end",
        ),
        pa.Check(
            lambda df: _close(df["cost_minus_billed_usd"], df["cost_usd"] - df["billed_usd"]),
            error="cost_minus_billed_usd = cost_usd - billed_usd",
        ),
        _TOTAL_TOKENS_CHECK,
        pa.Check(
            lambda df: df["cache_write_1h_tokens"] <= df["cache_write_tokens"] * (1 + 1e-12),
            error="1-hour cache writes are part of the cache writes",
        ),
        pa.Check(
            lambda df: (
                ~_is_diy(df)
                | (
                    df["billing_basis"]
                    == np.where(df["traffic"] == "realtime", "always_on", "busy_hours")
                )
            ),
            error="rented GPUs are billed as the traffic would be: replicas kept up for "
            "real-time traffic, busy hours for a batch job",
        ),
        pa.Check(
            lambda df: (
                ~_is_diy(df)
                | (df["billing_basis"] != "always_on")
                | _close(df["cost_usd"], df["gpu_hours"] * df["usd_per_gpu_hour"])
            ),
            error="replicas kept up cost their paid GPU-hours times the hourly rate",
        ),
    ],
    ordered=True,
    strict=True,
    name="bill table",
)

RECONCILE_TABLE = pa.DataFrameSchema(
    {
        "line": pa.Column(int, pa.Check.gt(0), unique=True),
        "charge_period_start": pa.Column("datetime64[ns]"),
        "charge_period_end": pa.Column("datetime64[ns]"),
        "priced_as_of": pa.Column("datetime64[ns]", nullable=True),
        "scope": _text(),
        "provider": _text(),
        "billed_model": _text(),
        "offering_id": _text(),
        "mapped_by": _text(),
        "token_kind": _text(
            checks=pa.Check.isin(("", "input", "cached_input", "cache_write", "output"))
        ),
        "cache_ttl": _text(checks=pa.Check.isin(("", "5m", "1h"))),
        "service_tier": _text(),
        "long_context": pa.Column(bool),
        "consumed_quantity": pa.Column(float, nullable=True),
        "consumed_unit": _text(),
        "billed_tokens": _amount(nullable=True),
        "usd_per_million_tokens": _amount(nullable=True),
        "recomputed_list_usd": _amount(nullable=True),
        # Your contract (infermodel.prices.negotiated) for the line's offering, tier and date.
        "contract": _text(),
        "usd_per_million_tokens_contract": _amount(nullable=True),
        "recomputed_contract_usd": _amount(nullable=True),
        "list_cost_usd": pa.Column(float, nullable=True),
        "billed_cost_usd": pa.Column(float),
        "effective_cost_usd": pa.Column(float, nullable=True),
        "difference_usd": pa.Column(float, nullable=True),
        "list_difference_usd": pa.Column(float, nullable=True),
        "commitment_discount_id": _text(),
        "price_changed_in_period": pa.Column(bool),
        "reason": _text(checks=pa.Check.isin(RECONCILE_REASONS)),
        "detail": _text(),
        "billing_currency": _text(),
        "usd_per_unit_of_currency": pa.Column(float, pa.Check.gt(0)),
    },
    checks=[
        pa.Check(
            lambda df: _close_or_both_missing(
                df["difference_usd"], df["billed_cost_usd"] - df["recomputed_list_usd"]
            ),
            error="difference_usd = billed_cost_usd - recomputed_list_usd",
        ),
        pa.Check(
            lambda df: df["reason"].isin(_PRICED_REASONS) == df["recomputed_list_usd"].notna(),
            error="a line is priced exactly when its reason compares it with the list price",
        ),
        pa.Check(
            lambda df: (df["reason"] != "at list") | (df["difference_usd"].abs() <= _CENT),
            error="a line at list is billed within a cent of the recomputed list price",
        ),
        pa.Check(
            lambda df: (df["reason"] != "out of scope") | df["billed_tokens"].isna(),
            error="a line out of scope is never priced",
        ),
    ],
    ordered=True,
    strict=True,
    name="reconciled bill",
)

__all__ = [
    "BILL_TABLE",
    "BREAK_EVEN_TABLE",
    "COST_TABLE",
    "RECONCILE_REASONS",
    "RECONCILE_TABLE",
    "TRACE_TABLE",
]


def typed(table: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """``table`` with its float columns as floats and its all-empty text columns as text.

    A table with no API row has all-NaN text columns (``model_id``, ``service_tier``) and
    whole-number GPU columns; the values are right, the inferred dtypes are not.
    """
    for name, column in schema.columns.items():
        if name not in table:
            continue
        if str(column.dtype) == "float64" and pd.api.types.is_numeric_dtype(table[name]):
            table[name] = table[name].astype(float)
        elif str(column.dtype).startswith(("str", "string[")) and table[name].isna().all():
            # pandas 3 text is "str", "string[python]", or "string[pyarrow]" with pyarrow.
            table[name] = pd.Series(None, index=table.index, dtype=object)
    return table
