"""Readings of volume and growth: break-even volumes and the maturity path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from infermodel import display
from infermodel.display import money, multiple, percent, tokens
from infermodel.narrative.base import cheapest, names

# --- break-even ------------------------------------------------------------------------------


def break_even_answer(
    even: pd.DataFrame,
    api_offerings: Sequence[str],
    labels: Mapping[str, str],
    *,
    fixed: pd.DataFrame | None = None,
) -> list[str]:
    """For each API: the monthly volume from which self-hosting pays, on which option, or why never.

    ``even`` is :func:`~infermodel.analyses.growth.break_even_table`; ``fixed`` the same table for
    several fixed monthly costs (``fixed_usd_per_month``), for one sentence on their effect.
    """
    lines = []
    for api in api_offerings:
        rows = even[even["api_offering_id"] == api]
        if rows.empty:
            continue
        name = labels.get(api, api)
        price = money(rows["api_usd_per_million_tokens"].iloc[0])
        won = rows.dropna(subset=["break_even_million_tokens_per_month"])
        if won.empty:
            reason = rows["reason"].astype(str).iloc[0]
            why = (
                "no option can get enough replicas"
                if reason.startswith("capacity")
                else "a busy replica costs more per token than the API charges"
            )
            lines.append(
                f"Against {name} ({price} per million tokens) self-hosting never pays on the "
                f"{len(rows)} options priced: {why}."
            )
            continue
        best = cheapest(won, "break_even_million_tokens_per_month").iloc[0]
        lines.append(
            f"Against {name} ({price} per million tokens) self-hosting pays from "
            f"{tokens(best['break_even_million_tokens_per_month'] * 1e6)} tokens a month, on "
            f"{labels.get(best['diy_offering_id'], best['diy_offering'])}."
        )
    if fixed is not None:
        lines.extend(_fixed_sentence(fixed, labels)[:1])
    return lines


def _fixed_sentence(fixed: pd.DataFrame, labels: Mapping[str, str]) -> list[str]:
    costs = sorted(fixed["fixed_usd_per_month"].unique())
    if len(costs) < 2:
        return []
    first = fixed[fixed["fixed_usd_per_month"] == costs[0]]
    first = first.dropna(subset=["break_even_million_tokens_per_month"])
    if first.empty:
        return []
    best = cheapest(first, "break_even_million_tokens_per_month").iloc[0]
    api, diy = best["api_offering_id"], best["diy_offering_id"]
    pair = fixed[(fixed["api_offering_id"] == api) & (fixed["diy_offering_id"] == diy)]
    pair = pair.set_index("fixed_usd_per_month")["break_even_million_tokens_per_month"]
    steps = [
        f"{tokens(pair[c] * 1e6)} with {money(c, 0)}"
        if pd.notna(pair[c])
        else f"never with {money(c, 0)}"
        for c in costs[1:]
    ]
    return [
        f"A fixed monthly cost for people and tooling moves the break-even of "
        f"{labels.get(diy, diy)} against {labels.get(api, api)} from "
        f"{tokens(pair[costs[0]] * 1e6)} tokens a month to {names(steps, most=4)} a month."
    ]


# --- maturity path ---------------------------------------------------------------------------


def maturity_answer(
    monthly: pd.DataFrame,
    events: pd.DataFrame,
    *,
    labels: Mapping[str, str],
    switching_cost_usd: float,
    alternative: pd.DataFrame | None = None,
) -> list[str]:
    """Which stage is cheapest when, when each switch pays back, when the API bill shocks.

    ``monthly`` and ``events`` are :func:`~infermodel.analyses.growth.maturity_path`;
    ``alternative``
    the ``monthly`` table of the same path with another DIY offering (e.g. measured
    throughput), for one sentence comparing it with the managed API.
    """
    horizon = int(monthly["month"].max())
    shown = f"the {horizon} months shown"
    name = {
        stage: labels.get(oid, off)
        for stage, oid, off in monthly[["stage", "offering_id", "offering"]]
        .drop_duplicates("stage")
        .itertuples(index=False)
    }
    lines = [_cheapest_stages(monthly, name, shown)]
    for event in events[events["event"].str.startswith("switch")].itertuples():
        lines.append(_switch_sentence(event, name, shown, switching_cost_usd))
    shocks = events[events["event"].str.startswith("bill shock")]
    if len(shocks):
        threshold = money(shocks["shock_usd_per_month"].iloc[0], 0)
        parts = [
            f"{name[s.from_stage]} in month {int(s.shock_month)}"
            if pd.notna(s.shock_month)
            else f"{name[s.from_stage]} not within {shown}"
            for s in shocks.itertuples()
        ]
        lines.append(f"The monthly bill reaches the {threshold} shock threshold on {names(parts)}.")
    if alternative is not None and {"managed_api", "diy_gpu"} <= set(alternative["stage"]):
        last = alternative[alternative["month"] == alternative["month"].max()].set_index("stage")
        diy_id = last.loc["diy_gpu", "offering_id"]
        ratio = (
            last.loc["diy_gpu", "cost_usd_per_month"]
            / last.loc["managed_api", "cost_usd_per_month"]
        )
        lines.append(
            f"With {labels.get(diy_id, last.loc['diy_gpu', 'offering'])} instead, own GPUs cost "
            f"{multiple(ratio)} the managed API at the final "
            f"{tokens(last.loc['diy_gpu', 'tokens_per_month'])} tokens a month."
        )
    return lines


def _cheapest_stages(monthly: pd.DataFrame, name: Mapping[str, str], shown: str) -> str:
    best = monthly.sort_values(["month", "cost_usd_per_month"]).drop_duplicates("month")
    runs = best[best["stage"] != best["stage"].shift()]
    if len(runs) == 1:
        stage = runs["stage"].iloc[0]
        return (
            f"The {display.STAGE_WORDS.get(stage, stage)} ({name[stage]}) is the cheapest stage "
            f"in every one of {shown}."
        )
    parts = [
        f"the {display.STAGE_WORDS.get(r.stage, r.stage)} from month {int(r.month)}"
        for r in runs.itertuples()
    ]
    return f"Cheapest stage: {names(parts, most=4)}."


def _switch_sentence(event, name: Mapping[str, str], shown: str, switching_cost: float) -> str:
    old, new = name[event.from_stage], name[event.to_stage]
    if pd.isna(event.cheaper_from_month):
        return (
            f"{new} is never cheaper than {old} within {shown}, so that switch does not pay "
            f"back within {shown}."
        )
    start = int(event.cheaper_from_month)
    if switching_cost <= 0:
        return f"Switching from {old} to {new} saves money from month {start} (no switching cost)."
    if pd.isna(event.pays_back_in_month):
        return (
            f"Switching from {old} to {new} saves money from month {start} but does not pay "
            f"back the {money(switching_cost, 0)} switching cost within {shown}."
        )
    return (
        f"Switching from {old} to {new} is cheaper from month {start} and pays back the "
        f"{money(switching_cost, 0)} switching cost by month {int(event.pays_back_in_month)}."
    )


def settings_lead(
    *,
    as_of: object,
    output_share: float,
    utilization: float,
    billing: str,
    min_replicas: int,
    fixed_usd_per_month: float,
) -> str:
    """What a volume analysis assumes: prices, token mix, how rented GPUs are paid."""
    paid = display.words(billing, table=display.BILLING_WORDS)
    fixed = (
        f"plus {money(fixed_usd_per_month, 0)} a month for people and tooling"
        if fixed_usd_per_month
        else "no fixed monthly cost"
    )
    return (
        f"Prices in force on {display.date(as_of)}; API prices at a mix of "
        f"{percent(output_share)} output tokens; rented GPUs paid as {paid}, at least "
        f"{min_replicas} replica{'s' if min_replicas != 1 else ''}, busy at most "
        f"{percent(utilization)} of the time, {fixed}."
    )


def volume_lead(path: pd.DataFrame, *, growth_months: int) -> str:
    """The volume path (:func:`~infermodel.analyses.growth.volume_path`) in words."""
    start, end = path["tokens_per_month"].iloc[0], path["tokens_per_month"].iloc[-1]
    horizon = int(path["month"].max())
    if np.isclose(start, end):
        return f"A steady {tokens(start)} tokens a month for {horizon} months."
    return (
        f"A volume of {tokens(start)} tokens in month 1, growing {multiple(end / start)} over "
        f"{growth_months} months to {tokens(end)} tokens a month, then flat; "
        f"{horizon} months shown."
    )
