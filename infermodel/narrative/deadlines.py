"""Readings of a job with a deadline: which options finish in time, and at what cost."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from infermodel.display import money, number, tokens
from infermodel.narrative.base import names

LIMIT_WORDS = {
    "requests_per_minute": "requests per minute",
    "requests_per_day": "requests per day",
    "tokens_per_minute": "tokens per minute",
    "input_tokens_per_minute": "input tokens per minute",
    "uncached_input_tokens_per_minute": "uncached input tokens per minute",
    "output_tokens_per_minute": "output tokens per minute",
}


def hours(value: float) -> str:
    """``3.3 hours``, ``1,111 hours``, ``1 hour``."""
    text = number(value, 1 if value < 10 else 0)
    return f"{text} hour" + ("" if text == "1" else "s")


def _where(row: pd.Series) -> str:
    if pd.isna(row["replicas"]):
        return f"at {row['usage_tier'].replace('_', ' ')}"
    count = int(row["replicas"])
    return f"on {count} replica" + ("" if count == 1 else "s")


def _option(row: pd.Series, labels: Mapping[str, str]) -> str:
    name = labels.get(row["offering_id"], row["offering_id"])
    return f"{name} {_where(row)} ({money(row['cost_usd'])}, {hours(row['completion_hours'])})"


def deadline_answer(
    options: pd.DataFrame,
    verdicts: pd.DataFrame,
    *,
    deadline_hours: float,
    total_tokens: float,
    labels: Mapping[str, str],
) -> list[str]:
    """The answer first: the cheapest option within the deadline, the fastest, and the APIs
    that cannot make it at the tier given (and the tier at which they could).

    ``options`` is :func:`infermodel.analyses.deadlines.at_tiers` of the options (APIs at the tiers
    asked, DIY rows at every replica count); ``verdicts`` is
    :func:`infermodel.analyses.deadlines.tier_verdicts`.
    """
    known = options.dropna(subset=["completion_hours"])
    made = known[known["completion_hours"] <= deadline_hours]
    # Same cost on more replicas is no better: the fewest replicas that make it.
    made = made.sort_values(["cost_usd", "replicas"], kind="stable", na_position="first")
    job = f"{tokens(total_tokens)} tokens"
    lines = []
    offered = known["offering_id"].nunique()
    if made.empty:
        fastest = known.sort_values("completion_hours", kind="stable")
        tail = f"; the fastest is {_option(fastest.iloc[0], labels)}" if len(fastest) else ""
        lines.append(
            f"No offering of the {offered} with a known time finishes the {job} within "
            f"{hours(deadline_hours)}{tail}."
        )
    else:
        cheapest = made.iloc[0]
        fastest = known.sort_values(["completion_hours", "cost_usd"], kind="stable").iloc[0]
        lines.append(
            f"{made['offering_id'].nunique()} of the {offered} offerings with a known time "
            f"finish the {job} within "
            f"{hours(deadline_hours)}; the cheapest is {_option(cheapest, labels)}."
        )
        lines.append(f"The fastest is {_option(fastest, labels)}.")
    lines.extend(_late_apis(verdicts, deadline_hours, labels))
    unknown = options[options["completion_hours"].isna()].drop_duplicates("offering_id")
    if len(unknown):
        who = [
            f"{labels.get(row['offering_id'], row['offering_id'])} ({row['reason']})"
            for _, row in unknown.iterrows()
        ]
        lines.append(f"Left out, their time unknown: {names(who, most=4)}.")
    return lines


def _late_apis(
    verdicts: pd.DataFrame, deadline_hours: float, labels: Mapping[str, str]
) -> list[str]:
    """One sentence on the APIs too slow at the tier given: which could at a higher tier."""
    late = verdicts[(~verdicts["meets"]) & verdicts["completion_hours"].notna()]
    if late.empty:
        return []
    parts = []
    for _, row in late.head(3).iterrows():
        name = labels.get(row["offering_id"], row["offering_id"])
        limit = LIMIT_WORDS.get(row["binding_limit"], row["binding_limit"])
        tier = row["usage_tier"].replace("_", " ")
        then = (
            f"it would at {row['lowest_tier_meeting'].replace('_', ' ')} "
            f"({hours(row['hours_at_lowest_tier_meeting'])})"
            if row["lowest_tier_meeting"]
            else "no tier on record is fast enough"
        )
        parts.append(f"{name} needs {hours(row['completion_hours'])} at {tier} ({limit}); {then}")
    more = len(late) - len(parts)
    tail = f"; {more} more APIs cannot make it either" if more > 0 else ""
    return ["Too slow at the tier given: " + "; ".join(parts) + tail + "."]
