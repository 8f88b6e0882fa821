"""How each rented-GPU offering is billed: increments, minimums, node sizes, scale to zero.

``data/prices/gpu_billing_rules.csv`` holds one row per (``provider``, ``tier``,
``pricing``) and date read: the billing increment and minimum billed duration of one
instance's lifetime, the fewest GPUs an instance has (an 8-GPU node is billed whole), whether
the product scales to zero (serverless) with its default idle timeout and cold start, a spot
product's interruption assumption, and a reservation's term. Each row is cited and dated like
a price (``data/prices/SOURCES.md``); what a provider does not publish is left empty and said
in ``note``. Append-only: a changed rule is a new row with a later ``observed_on``.

:func:`rules_for` attaches to GPU offerings the rule in force on a date. An offering with no
rule is billed as the article bills it (by the second, no minimum, one GPU an instance) and
says so in ``billing_rule``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from infermodel import paths
from infermodel._compat import pa
from infermodel.errors import Problem
from infermodel.tables import CONFIDENCE_LEVELS, GPU_PRICING
from infermodel.tables.reading import RowRule, date_column, read_table, row_problems

RULE_KEY = ["provider", "tier", "pricing"]
#: Said in ``billing_rule`` of an offering the table has no rule for.
NO_RULE = "no row in gpu_billing_rules.csv: billed by the second, no minimum (assumed)"


def _whole(name: str, *, low: int, nullable: bool = True) -> pa.Column:
    return pa.Column(
        "Int64", pa.Check.ge(low, error=f"must be a whole number >= {low}"), nullable=nullable
    )


def _seconds(name: str) -> pa.Column:
    return pa.Column(float, pa.Check.ge(0, error="must be >= 0 seconds"), nullable=True)


BILLING_RULES_SCHEMA = pa.DataFrameSchema(
    {
        "provider": pa.Column(str),
        "tier": pa.Column(str),
        "pricing": pa.Column(str, pa.Check.isin(GPU_PRICING)),
        "billing_increment_seconds": _whole("billing_increment_seconds", low=1, nullable=False),
        "minimum_billed_seconds": _whole("minimum_billed_seconds", low=0),
        "gpus_per_instance_min": _whole("gpus_per_instance_min", low=1, nullable=False),
        "scales_to_zero": pa.Column(str, pa.Check.isin(["true", "false"])),
        "idle_timeout_seconds_default": _seconds("idle_timeout_seconds_default"),
        "cold_start_seconds_default": _seconds("cold_start_seconds_default"),
        "interruptions_per_hour": pa.Column(
            float,
            pa.Check.in_range(0, 60, error="must be 0-60 interruptions per hour"),
            nullable=True,
        ),
        "restart_seconds": _seconds("restart_seconds"),
        "commitment_term_days": _whole("commitment_term_days", low=1),
        "observed_on": date_column("observed_on"),
        "confidence": pa.Column(str, pa.Check.isin(CONFIDENCE_LEVELS)),
        "source_url": pa.Column(str),
        "note": pa.Column(str),
    },
    unique=[*RULE_KEY, "observed_on"],
    strict=True,
    coerce=True,
    name="gpu_billing_rules",
)

_SPOT_HAS_INTERRUPTIONS = RowRule(
    "interruptions_per_hour",
    lambda df: (df["pricing"] != "spot") | df["interruptions_per_hour"].notna(),
    "required on a spot row (say the assumption in note if the provider publishes none)",
)
_RESERVED_HAS_TERM = RowRule(
    "commitment_term_days",
    lambda df: (df["pricing"] != "reserved") | df["commitment_term_days"].notna(),
    "required on a reserved row (the term the rate commits to)",
)
_IDLE_ONLY_SERVERLESS = RowRule(
    "idle_timeout_seconds_default",
    lambda df: (df["scales_to_zero"] == "true") | df["idle_timeout_seconds_default"].isna(),
    "only a product that scales to zero has an idle timeout (scales_to_zero true)",
)


def load_billing_rules(path: Path = paths.GPU_BILLING_RULES_CSV) -> pd.DataFrame:
    """Every GPU billing rule, validated; raises :class:`TableError` on a bad row."""
    rules = [_SPOT_HAS_INTERRUPTIONS, _RESERVED_HAS_TERM, _IDLE_ONLY_SERVERLESS]
    table = read_table(path, BILLING_RULES_SCHEMA, rules=rules)
    return table.assign(scales_to_zero=table["scales_to_zero"] == "true")


def rules_for(
    gpu: pd.DataFrame, as_of: pd.Timestamp, rules: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The billing rule of each GPU offering on ``as_of``, aligned with ``gpu``'s rows.

    Columns of :data:`BILLING_RULES_SCHEMA` but the key and provenance, plus
    ``billing_rule`` (the rule's source, or :data:`NO_RULE`) and
    ``billing_rule_observed_on``. A price row's own ``billing_increment_seconds`` wins over
    the rule's (the validator checks they agree where both are given).
    """
    table = load_billing_rules() if rules is None else rules
    # The rule in force: the newest read on or before the date; for a date before the first
    # reading, the first (rules change rarely, and the kit read most of them in 2026), which
    # ``billing_rule`` says.
    table = table.sort_values("observed_on", kind="stable")
    before = table[table["observed_on"] <= pd.Timestamp(as_of)]
    later = table[~table.set_index(RULE_KEY).index.isin(before.set_index(RULE_KEY).index)]
    newest = pd.concat(
        [
            before.groupby(RULE_KEY, as_index=False).tail(1),
            later.groupby(RULE_KEY, as_index=False).head(1).assign(_later=True),
        ],
        ignore_index=True,
    )
    newest["_later"] = newest.get("_later", False)
    newest["_later"] = newest["_later"].fillna(False).astype(bool)
    merged = (
        gpu[RULE_KEY].reset_index(drop=True).merge(newest, on=RULE_KEY, how="left", validate="m:1")
    )
    found = merged["source_url"].notna().to_numpy()
    own = (
        gpu["billing_increment_seconds"].to_numpy() if "billing_increment_seconds" in gpu else None
    )
    increment = merged["billing_increment_seconds"].astype("Float64").fillna(1.0)
    if own is not None:
        own = pd.Series(own, dtype="Float64")
        increment = own.fillna(increment)
    result = pd.DataFrame(
        {
            "billing_increment_seconds": increment.astype(float).to_numpy(),
            "minimum_billed_seconds": merged["minimum_billed_seconds"]
            .astype("Float64")
            .fillna(0.0)
            .astype(float)
            .to_numpy(),
            "gpus_per_instance_min": merged["gpus_per_instance_min"]
            .astype("Float64")
            .fillna(1.0)
            .astype(int)
            .to_numpy(),
            "scales_to_zero": merged["scales_to_zero"].fillna(False).astype(bool).to_numpy(),
            "idle_timeout_seconds_default": merged["idle_timeout_seconds_default"].to_numpy(),
            "cold_start_seconds_default": merged["cold_start_seconds_default"].to_numpy(),
            "interruptions_per_hour": merged["interruptions_per_hour"].to_numpy(),
            "restart_seconds": merged["restart_seconds"].to_numpy(),
            "commitment_term_days": merged["commitment_term_days"].astype("Float64").to_numpy(),
            "billing_rule": np.where(
                found,
                merged["source_url"].astype(str)
                + np.where(
                    merged["_later"].fillna(False).astype(bool),
                    " (read on "
                    + merged["observed_on"].dt.strftime("%Y-%m-%d").fillna("")
                    + ", after the as-of date)",
                    "",
                ),
                NO_RULE,
            ),
            "billing_rule_observed_on": merged["observed_on"].to_numpy(),
        },
        index=gpu.index,
    )
    return result


def check_prices_have_rules(
    gpu_prices: pd.DataFrame, rules: pd.DataFrame, path: Path
) -> list[Problem]:
    """Every shipped GPU price has a billing rule, and an increment both give agrees."""
    keys = rules[RULE_KEY].drop_duplicates()
    merged = gpu_prices.reset_index().merge(keys, on=RULE_KEY, how="left", indicator=True)
    missing = merged.set_index("index")["_merge"].eq("left_only")
    known = ", ".join(sorted({"/".join(k) for k in keys.itertuples(index=False)}))
    problems = row_problems(
        gpu_prices, missing.reindex(gpu_prices.index), path, "tier",
        f"no (provider, tier, pricing) row in gpu_billing_rules.csv (rules for: {known})",
    )  # fmt: skip
    newest = rules.sort_values("observed_on").groupby(RULE_KEY, as_index=False).tail(1)
    both = gpu_prices.reset_index().merge(newest, on=RULE_KEY, how="inner", suffixes=("", "_r"))
    clash = both["billing_increment_seconds"].notna() & (
        both["billing_increment_seconds"] != both["billing_increment_seconds_r"]
    )
    bad = pd.Series(gpu_prices.index.isin(both.loc[clash, "index"]), index=gpu_prices.index)
    return problems + row_problems(
        gpu_prices, bad, path, "billing_increment_seconds",
        "differs from the newest gpu_billing_rules.csv row of its provider, tier and pricing",
    )  # fmt: skip


__all__ = [
    "BILLING_RULES_SCHEMA",
    "NO_RULE",
    "RULE_KEY",
    "check_prices_have_rules",
    "load_billing_rules",
    "rules_for",
]
