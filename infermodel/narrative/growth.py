"""Readings of volume and growth: break-even volumes and the maturity path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from infermodel import display
from infermodel.display import money, multiple, percent, tokens
from infermodel.narrative.base import Answer, cheapest, claim, names
from infermodel.narrative.costs import price_caveat

# --- break-even ------------------------------------------------------------------------------


def break_even_answer(
    even: pd.DataFrame,
    api_offerings: Sequence[str],
    labels: Mapping[str, str],
    *,
    fixed: pd.DataFrame | None = None,
    table: pd.DataFrame | None = None,
) -> Answer:
    """For each API: the monthly volume from which self-hosting pays, on which option, or why never.

    ``even`` is :func:`~infermodel.analyses.growth.break_even_table`; ``fixed`` the same table for
    several fixed monthly costs (``fixed_usd_per_month``), for one sentence on their effect.
    Every sentence names how the rented GPUs are paid (``billing_basis``); the first managed
    API's claim is the headline of its basis. With ``table`` (the cost table the break-even
    table was made from), a rented GPU's price that is stale, carried back or below
    ``confirmed`` says so in the same sentence.
    """
    rows_by_id = (
        table.set_index("offering_id") if table is not None and "offering_id" in table else None
    )
    answer = Answer()
    headline = True
    for api in api_offerings:
        rows = even[even["api_offering_id"] == api]
        if rows.empty:
            continue
        name = labels.get(api, api)
        price = money(rows["api_usd_per_million_tokens"].iloc[0])
        basis = str(rows["billing_basis"].iloc[0]) if "billing_basis" in rows else "always_on"
        paid = display.BASIS_WORDS.get(basis, basis)
        kind = rows["api_platform_type"].iloc[0] if "api_platform_type" in rows else ""
        top = headline and kind == "managed_api"
        headline = headline and not top
        won = rows.dropna(subset=["break_even_million_tokens_per_month"])
        if won.empty:
            reason = rows["reason"].astype(str).iloc[0]
            why = (
                "no option can get enough replicas"
                if reason.startswith("capacity")
                else "a busy replica costs more per token than the API charges"
            )
            options = f"the {len(rows)} options priced"
            answer.add(
                f"Against {name} ({price} per million tokens), {paid}, self-hosting never pays "
                f"on {options}: {why}.",
                claim(
                    basis, api=(api, name), diy=("", options), never=True, per="month", headline=top
                ),
            )
            continue
        best = cheapest(won, "break_even_million_tokens_per_month").iloc[0]
        diy = labels.get(best["diy_offering_id"], best["diy_offering"])
        volume = best["break_even_million_tokens_per_month"] * 1e6
        caveat = ""
        if rows_by_id is not None and best["diy_offering_id"] in rows_by_id.index:
            caveat = price_caveat(rows_by_id.loc[best["diy_offering_id"]])
        answer.add(
            f"Against {name} ({price} per million tokens), {paid}, self-hosting pays from "
            f"{tokens(volume)} tokens a month, on {diy}{caveat}.",
            claim(
                basis,
                api=(api, name),
                diy=(best["diy_offering_id"], diy),
                per="month",
                break_even_tokens_per_month=volume,
                headline=top,
            ),
        )
    if fixed is not None:
        answer.extend_lines(_fixed_sentence(fixed, labels)[:1])
    return answer


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
    basis = str(first["billing_basis"].iloc[0]) if "billing_basis" in first else "always_on"
    return [
        f"A fixed monthly cost for people and tooling ({display.BASIS_KEYS[basis]}) moves the "
        f"break-even of {labels.get(diy, diy)} against {labels.get(api, api)} from "
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
) -> Answer:
    """Which stage is cheapest when, when each switch pays back, when the API bill shocks.

    ``monthly`` and ``events`` are :func:`~infermodel.analyses.growth.maturity_path`;
    ``alternative``
    the ``monthly`` table of the same path with another DIY offering (e.g. measured
    throughput), for one sentence comparing it with the managed API. Sentences comparing
    own GPUs with an API name how the GPUs are paid and claim who wins in the last month.
    """
    horizon = int(monthly["month"].max())
    shown = f"the {horizon} months shown"
    name = {
        stage: labels.get(oid, off)
        for stage, oid, off in monthly[["stage", "offering_id", "offering"]]
        .drop_duplicates("stage")
        .itertuples(index=False)
    }
    answer = Answer()
    answer.add(_cheapest_stages(monthly, name, shown) + _paid(monthly) + ".")
    for event in events[events["event"].str.startswith("switch")].itertuples():
        text = _switch_sentence(event, name, shown, switching_cost_usd)
        if event.to_stage != "diy_gpu":
            answer.add(text)
            continue
        paid = _paid(monthly).strip(" ()")
        if paid:
            text = text.replace("Switching", "switching", 1) if text.startswith("Sw") else text
            text = f"{paid[0].upper()}{paid[1:]}: {text}"
        answer.add(text, _last_month_claim(monthly, name))
    shocks = events[events["event"].str.startswith("bill shock")]
    if len(shocks):
        threshold = money(shocks["shock_usd_per_month"].iloc[0], 0)
        parts = [
            f"{name[s.from_stage]} in month {int(s.shock_month)}"
            if pd.notna(s.shock_month)
            else f"{name[s.from_stage]} not within {shown}"
            for s in shocks.itertuples()
        ]
        answer.add(f"The monthly bill reaches the {threshold} shock threshold on {names(parts)}.")
    if alternative is not None and {"managed_api", "diy_gpu"} <= set(alternative["stage"]):
        last = alternative[alternative["month"] == alternative["month"].max()].set_index("stage")
        diy_id = last.loc["diy_gpu", "offering_id"]
        other = labels.get(diy_id, last.loc["diy_gpu", "offering"])
        ratio = (
            last.loc["diy_gpu", "cost_usd_per_month"]
            / last.loc["managed_api", "cost_usd_per_month"]
        )
        names_alt = {**name, "diy_gpu": other}
        paid = _paid(alternative).strip(" ()").removeprefix("own GPUs ")
        answer.add(
            f"With {other} instead, own GPUs {paid} cost {multiple(ratio)} "
            f"{name['managed_api']} at the final "
            f"{tokens(last.loc['diy_gpu', 'tokens_per_month'])} tokens a month.",
            _last_month_claim(alternative, names_alt),
        )
    return answer


def _paid(monthly: pd.DataFrame) -> str:
    """`` (own GPUs serving steady traffic on replicas kept up all month)``: how the DIY stage
    of a maturity path pays, or ``""`` without one."""
    diy = monthly[monthly["stage"] == "diy_gpu"]
    if diy.empty or "billing_basis" not in diy:
        return ""
    basis = str(diy["billing_basis"].iloc[0])
    return f" (own GPUs {display.BASIS_WORDS.get(basis, basis)})"


def _last_month_claim(monthly: pd.DataFrame, name: Mapping[str, str]) -> dict:
    """Who is cheaper in the path's last month, own GPUs or the managed API."""
    last = monthly[monthly["month"] == monthly["month"].max()].set_index("stage")
    if not {"managed_api", "diy_gpu"} <= set(last.index) or "billing_basis" not in last:
        return {}
    return claim(
        str(last.loc["diy_gpu", "billing_basis"]),
        api=(last.loc["managed_api", "offering_id"], name["managed_api"]),
        diy=(last.loc["diy_gpu", "offering_id"], name["diy_gpu"]),
        api_usd=last.loc["managed_api", "cost_usd_per_month"],
        diy_usd=last.loc["diy_gpu", "cost_usd_per_month"],
        tokens=last.loc["diy_gpu", "tokens_per_month"],
        per="month",
        inputs={
            "api_usd_per_million_tokens": last.loc["managed_api", "cost_usd_per_month"]
            / last.loc["managed_api", "tokens_per_month"]
            * 1e6
        },
    )


def _cheapest_stages(monthly: pd.DataFrame, name: Mapping[str, str], shown: str) -> str:
    best = monthly.sort_values(["month", "cost_usd_per_month"]).drop_duplicates("month")
    runs = best[best["stage"] != best["stage"].shift()]
    if len(runs) == 1:
        stage = runs["stage"].iloc[0]
        return (
            f"The {display.STAGE_WORDS.get(stage, stage)} ({name[stage]}) is the cheapest stage "
            f"in every one of {shown}"
        )
    parts = [
        f"the {display.STAGE_WORDS.get(r.stage, r.stage)} from month {int(r.month)}"
        for r in runs.itertuples()
    ]
    return f"Cheapest stage: {names(parts, most=4)}"


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
