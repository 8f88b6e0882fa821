"""A job with a deadline: how long each option takes, what it costs, which ones make it.

"I must process 2 billion tokens (N requests of this mix) by Friday: which options can finish
in time, how long does each take, and what does it cost?" Two kinds of option:

- an API offering at a usage tier: the time its published rate limits allow
  (:func:`infermodel.formulas.rate_limits.limit_hours`, the largest of requests / RPM, tokens / TPM,
  ... over the limits the provider publishes; ``data/prices/api_rate_limits.csv``), at the
  cost of the job in the cost table (:func:`infermodel.pricing.compare.cost_table`, which does not
  depend on the tier);
- a rented-GPU (DIY) row on ``R`` replicas: ``tokens / (R x tokens_per_second x
  utilization)`` (:func:`infermodel.formulas.wall_clock_hours`), at the cost table's cost, the
  same for every ``R`` (GPU-hours are the same, spread over more replicas; whole-hour
  billing increments are not modelled).

:func:`options` lists every (offering, tier or replica count) with its time and cost;
:func:`frontier` keeps the options no other option beats on both; :func:`meeting` those
within a deadline; :func:`tier_verdicts` says, for each API, whether it makes the deadline
at the tier asked and the lowest tier on record that would. An API with no published limit
on record at the as-of date has an unknown time (NaN), is named, and is never assumed fast.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping

import numpy as np
import pandas as pd

from infermodel import checks, formulas
from infermodel.errors import InputError
from infermodel.formulas import rate_limits
from infermodel.tables import GPU_PLATFORM_TYPES, offerings
from infermodel.tables.api_terms import RATE_LIMIT_COLUMNS, USAGE_TIERS, load_api_rate_limits
from infermodel.workloads import Workload

#: Columns of :func:`options`, in order.
COLUMNS = [
    "offering_id",
    "platform_type",
    "provider",
    "model",
    "usage_tier",
    "replicas",
    "completion_hours",
    "binding_limit",
    "cost_usd",
    "limit_observed_on",
    "limit_confidence",
    "limit_source_url",
    "reason",
]
TIER_RANK = {tier: rank for rank, tier in enumerate(USAGE_TIERS)}


def _specificity(pattern: str) -> tuple[int, int]:
    """Exact ids first, then fewer wildcards, then longer patterns (sort ascending)."""
    wild = sum(pattern.count(c) for c in "*?[")
    return (wild, -len(pattern))


def limits_for(api: pd.DataFrame, limits: pd.DataFrame, as_of: object) -> pd.DataFrame:
    """The rate limits in force for each API row at ``as_of``, one row per usage tier.

    For each (API row, tier): the latest reading on or before ``as_of`` whose
    ``model_pattern`` matches the row's ``model_id`` (fnmatch) for the same provider; where
    several patterns match, the most specific (an exact id before a wildcard). ``api`` needs
    ``provider`` and ``model_id``; the result carries its ``offering_id``.
    """
    when = checks.date(as_of)
    known = limits[limits["observed_on"] <= when]
    rows = []
    for offering_id, provider, model_id in zip(
        offerings.ids(api), api["provider"], api["model_id"], strict=True
    ):
        mine = known[known["provider"] == provider]
        matches = mine["model_pattern"].map(lambda p, m=model_id: fnmatch.fnmatchcase(m, p))
        mine = mine[matches.astype(bool)]
        for _tier, group in mine.groupby("usage_tier", sort=False):
            order = group.assign(_s=group["model_pattern"].map(_specificity))
            best = order.sort_values(["_s", "observed_on"], ascending=[True, False]).iloc[0]
            rows.append({"offering_id": offering_id, **best.drop("_s").to_dict()})
    frame = pd.DataFrame(rows, columns=["offering_id", *limits.columns])
    frame["tier_rank"] = frame["usage_tier"].map(TIER_RANK)
    return frame.sort_values(["offering_id", "tier_rank"], kind="stable").reset_index(drop=True)


def _job_requests(job: Workload) -> int:
    if job.requests is None:
        raise InputError(
            "a job with a deadline needs its request count (Workload.requests): request "
            "limits bound it as much as token limits"
        )
    return job.requests


def api_options(
    table: pd.DataFrame, job: Workload, limits: pd.DataFrame, *, as_of: object
) -> pd.DataFrame:
    """Every API row of ``table`` at every usage tier on record: time and cost of ``job``.

    ``table`` is :func:`infermodel.pricing.compare.cost_table` of ``job`` (its ``cost_usd`` is the
    job's cost). An offering with no limit on record at ``as_of`` gets one row with
    ``completion_hours`` NaN and a ``reason``.
    """
    api = table[~table["platform_type"].isin(GPU_PLATFORM_TYPES)]
    found = limits_for(api, limits, as_of)
    merged = api[["offering_id", "platform_type", "provider", "model", "cost_usd"]].merge(
        found.drop(columns=["provider"]), on="offering_id", how="left"
    )
    args = {c: merged[c].to_numpy(dtype=float) for c in RATE_LIMIT_COLUMNS[:6]}
    count = len(merged)
    hours = rate_limits.limit_hours(
        np.full(count, float(_job_requests(job))),
        np.full(count, job.prompt_tokens),
        np.full(count, job.output_tokens),
        uncached_prompt_tokens=np.full(count, job.input_tokens + job.cache_write_tokens),
        **args,
    )
    none = merged["usage_tier"].isna()
    when = checks.date(as_of).date()
    return pd.DataFrame(
        {
            "offering_id": merged["offering_id"],
            "platform_type": merged["platform_type"],
            "provider": merged["provider"],
            "model": merged["model"],
            "usage_tier": merged["usage_tier"].fillna(""),
            "replicas": np.nan,
            "completion_hours": rate_limits.completion_hours(hours),
            "binding_limit": rate_limits.binding_limit(hours),
            "cost_usd": merged["cost_usd"],
            "limit_observed_on": merged["observed_on"],
            "limit_confidence": merged["confidence"],
            "limit_source_url": merged["source_url"],
            "reason": np.where(none, f"no published rate limit on record on or before {when}", ""),
        }
    )


def diy_options(
    table: pd.DataFrame, *, max_replicas: int, diy_token_basis: str = "total"
) -> pd.DataFrame:
    """Every DIY row of ``table`` on 1 to ``max_replicas`` replicas: time and cost.

    Time is :func:`infermodel.formulas.wall_clock_hours` of the table's tokens (all of them,
    or the output only with ``diy_token_basis="output"``, as in the cost table) at the row's
    throughput and utilization, over ``R`` replicas [h]; cost is the row's ``cost_usd``.
    """
    checks.whole("diy_max_replicas", max_replicas, minimum=1)
    diy = table[table["platform_type"].isin(GPU_PLATFORM_TYPES)]
    basis = "total_tokens" if diy_token_basis == "total" else "output_tokens"
    frames = []
    for replicas in range(1, max_replicas + 1):
        hours = formulas.wall_clock_hours(
            diy[basis], diy["tokens_per_second"], diy["utilization"], replicas=replicas
        )
        frames.append(
            pd.DataFrame(
                {
                    "offering_id": diy["offering_id"],
                    "platform_type": diy["platform_type"],
                    "provider": diy["provider"],
                    "model": diy["model"],
                    "usage_tier": "",
                    "replicas": float(replicas),
                    "completion_hours": hours,
                    "binding_limit": "replicas",
                    "cost_usd": diy["cost_usd"],
                    "reason": "",
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def options(
    table: pd.DataFrame,
    job: Workload,
    *,
    as_of: object,
    max_replicas: int,
    limits: pd.DataFrame | None = None,
    diy_token_basis: str = "total",
) -> pd.DataFrame:
    """Every option for ``job``: API offerings at each usage tier, DIY rows at 1..N replicas.

    Columns :data:`COLUMNS`; ``completion_hours`` [h], ``cost_usd`` [USD]; sorted by time.
    ``limits`` defaults to the shipped ``api_rate_limits.csv``.
    """
    limits = load_api_rate_limits() if limits is None else limits
    frames = [
        api_options(table, job, limits, as_of=as_of),
        diy_options(table, max_replicas=max_replicas, diy_token_basis=diy_token_basis),
    ]
    out = pd.concat([f for f in frames if not f.empty], ignore_index=True).reindex(columns=COLUMNS)
    return out.sort_values(["completion_hours", "cost_usd"], kind="stable").reset_index(drop=True)


def frontier(table: pd.DataFrame) -> pd.DataFrame:
    """The options no other beats on both time and cost (cost against completion time).

    Sorted by time: each row is cheaper than every faster one. Options of unknown time are
    left out.
    """
    known = table.dropna(subset=["completion_hours"])
    known = known.sort_values(["completion_hours", "cost_usd"], kind="stable")
    cheapest_so_far = known["cost_usd"].cummin().shift(fill_value=np.inf)
    return known[known["cost_usd"] < cheapest_so_far].reset_index(drop=True)


def meeting(table: pd.DataFrame, deadline_hours: float) -> pd.DataFrame:
    """The options that finish within ``deadline_hours`` [h], cheapest first."""
    checks.number("deadline_hours", deadline_hours, low=0, low_open=True)
    made = table[table["completion_hours"] <= deadline_hours]
    return made.sort_values(["cost_usd", "completion_hours"], kind="stable").reset_index(drop=True)


def check_usage_tiers(
    name: str, value: object, limits: pd.DataFrame | None = None
) -> dict[str, str]:
    """A mapping provider -> usage tier, each published for that provider; else InputError."""
    if not isinstance(value, dict):
        raise InputError(f"{name} must be a mapping provider: usage tier, got {value!r}")
    limits = load_api_rate_limits() if limits is None else limits
    tiers = limits.groupby("provider")["usage_tier"].unique()
    for provider, tier in value.items():
        if provider not in tiers.index:
            valid = ", ".join(sorted(tiers.index))
            raise InputError(f"{name}: no rate limits on record for {provider!r}; valid: {valid}")
        mine = sorted(tiers[provider], key=TIER_RANK.get)
        if tier not in mine:
            raise InputError(
                f"{name}[{provider!r}] = {tier!r}: no such usage tier on record; valid: "
                + ", ".join(mine)
            )
    return dict(value)


def at_tiers(table: pd.DataFrame, tiers: Mapping[str, str]) -> pd.DataFrame:
    """The options at the usage tiers asked: each API at its provider's tier in ``tiers``, or
    at its lowest tier on record where the provider is not named; every DIY row.

    An API with no limit on record, or none at the tier asked, keeps one row of unknown time
    (``completion_hours`` NaN) whose ``reason`` says so, so that it can be named.
    """
    api = table["replicas"].isna()
    rank = table["usage_tier"].map(TIER_RANK)
    asked = table["provider"].map(dict(tiers))
    lowest = rank.where(api).groupby(table["offering_id"]).transform("min")
    keep = (
        ~api
        | (table["usage_tier"] == "")
        | np.where(asked.notna(), table["usage_tier"] == asked, rank == lowest)
    )
    kept = table[keep]
    missing = []
    for offering_id, rows in table[api].groupby("offering_id", sort=False):
        if offering_id in set(kept["offering_id"]):
            continue
        row = rows.iloc[0].copy()
        tiers_on_record = sorted(rows["usage_tier"], key=TIER_RANK.get)
        on_record = ", ".join(t.replace("_", " ") for t in tiers_on_record)
        row[["usage_tier", "completion_hours", "binding_limit"]] = ["", np.nan, ""]
        tier = str(asked[rows.index[0]]).replace("_", " ")
        row["reason"] = f"no {tier} limit on record (on record: {on_record})"
        missing.append(row)
    out = pd.concat([kept, pd.DataFrame(missing)], ignore_index=True) if missing else kept
    return out.reset_index(drop=True)


def tier_verdicts(
    table: pd.DataFrame, tiers: Mapping[str, str], deadline_hours: float
) -> pd.DataFrame:
    """For each API offering: does it make the deadline at the tier asked, and if not, the
    lowest tier on record that would.

    Columns ``offering_id``, ``provider``, ``usage_tier`` (asked, or the lowest on record),
    ``completion_hours`` [h] there, ``binding_limit``, ``meets``, ``lowest_tier_meeting``
    ("" when none on record does) and ``hours_at_lowest_tier_meeting`` [h]; offerings with no
    limit on record have ``usage_tier`` "" and ``meets`` false.
    """
    checks.number("deadline_hours", deadline_hours, low=0, low_open=True)
    api = table[table["replicas"].isna()]
    chosen = at_tiers(api, tiers)
    rows = []
    for _, row in chosen.iterrows():
        mine = api[(api["offering_id"] == row["offering_id"]) & (api["usage_tier"] != "")]
        good = mine[mine["completion_hours"] <= deadline_hours]
        good = good.assign(_r=good["usage_tier"].map(TIER_RANK)).sort_values("_r")
        rows.append(
            {
                "offering_id": row["offering_id"],
                "provider": row["provider"],
                "usage_tier": row["usage_tier"],
                "completion_hours": row["completion_hours"],
                "binding_limit": row["binding_limit"],
                "meets": bool(row["completion_hours"] <= deadline_hours),
                "lowest_tier_meeting": good["usage_tier"].iloc[0] if len(good) else "",
                "hours_at_lowest_tier_meeting": (
                    good["completion_hours"].iloc[0] if len(good) else np.nan
                ),
            }
        )
    return pd.DataFrame(rows)
