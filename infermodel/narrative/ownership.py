"""Buy, rent or API, and what a commitment costs, in sentences (from
:mod:`infermodel.analyses.ownership` and
:func:`infermodel.analyses.growth.commitment_shortfall`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from infermodel.display import money, percent, tokens
from infermodel.narrative.base import names
from infermodel.tables import owned_gpus

NO_SERVERS = (
    "No servers you own are in your data folder: add owned_gpus.csv (one row per kind of "
    "server: its GPUs, purchase price, power and running costs) to compare buying with "
    "renting and with APIs."
)


def _volume(million: float) -> str:
    return f"{tokens(million * 1e6)} tokens a month"


def _against(rows: pd.DataFrame, what: str) -> str:
    """How owning fares against the alternatives of one kind."""
    wins = rows[rows["owning_wins_from_million_tokens_per_month"].notna()]
    if rows.empty:
        return ""
    if wins.empty:
        return f"never beats {what} ({names(list(rows['alternative_offering']), most=2)})"
    first = wins.loc[wins["owning_wins_from_million_tokens_per_month"].idxmin()]
    share = first["owned_busy_share_at_break_even"]
    return (
        f"beats {first['alternative_offering']} from "
        f"{_volume(first['owning_wins_from_million_tokens_per_month'])} "
        f"({first['servers_at_break_even']:,.0f} server"
        f"{'s' if first['servers_at_break_even'] != 1 else ''}, {percent(share)} busy)"
        + (f" and {len(wins) - 1} more of the {what} at higher volumes" if len(wins) > 1 else "")
    )


def _pays_back(rows: pd.DataFrame, what: str) -> str:
    """Against the cheapest alternative of one kind at the table's volume."""
    if rows.empty:
        return ""
    cheapest = rows.loc[rows["alternative_usd_per_month"].idxmin()]
    against = (
        f"{what} ({cheapest['alternative_offering']}, "
        f"{money(cheapest['alternative_usd_per_month'])} a month)"
    )
    if np.isnan(cheapest["payback_months"]):
        return f"against {against} it never pays back"
    return f"against {against} it pays back in {cheapest['payback_months']:.1f} months"


def _payback(rows: pd.DataFrame) -> str:
    """The purchase at the table's volume, and when it pays back against the cheapest rented
    GPUs and the cheapest API there."""
    first = rows.iloc[0]
    servers = f"{first['servers']:,.0f} server{'s' if first['servers'] != 1 else ''}"
    said = [
        _pays_back(rows[rows["alternative_kind"] == "rented GPUs"], "renting"),
        _pays_back(rows[rows["alternative_kind"] == "API"], "the cheapest API"),
    ]
    verb = "costs" if first["servers"] == 1 else "cost"
    return (
        f"at {tokens(first['tokens_per_month'])} tokens a month, {servers} {verb} "
        f"{money(first['purchase_usd'])} to buy and "
        f"{money(first['owned_running_usd_per_month'])} a month to run: "
        + "; ".join(s for s in said if s)
        + "."
    )


def buy_answer(buy: pd.DataFrame | None) -> list[str]:
    """Per server you own: against which rented GPUs and APIs owning wins, from which monthly
    volume and how busy the servers are there, and the months the purchase takes to pay back
    at the table's volume against the cheapest alternative (:func:`infermodel.analyses.ownership.
    buy_rent_api`)."""
    if buy is None or buy.empty:
        return [NO_SERVERS]
    sentences = []
    for _, rows in buy.groupby("owned_offering_id", sort=False):
        label = str(rows["owned_offering"].iloc[0]).removeprefix(f"{owned_gpus.PROVIDER} · ")
        parts = [
            _against(rows[rows["alternative_kind"] == "rented GPUs"], "rented GPUs"),
            _against(rows[rows["alternative_kind"] == "API"], "APIs"),
        ]
        said = "; it ".join(p for p in parts if p)
        sentences.append(f"Your servers ({label}): owning {said}; {_payback(rows)}")
    return sentences


def purchase_answer(summary: pd.DataFrame, *, owned: str, alternative: str) -> list[str]:
    """When servers bought in month N pay back against staying on ``alternative``
    (:func:`infermodel.analyses.ownership.purchase_paths`); ``owned`` is the servers' label, empty
    when the user owns none."""
    if not owned:
        return [NO_SERVERS]
    if summary is None or summary.empty:
        return [f"Buying {owned} is not priced: no purchase month is given."]
    parts = []
    for row in summary.itertuples(index=False):
        when = (
            f"pays back by month {int(row.payback_month)}"
            if pd.notna(row.payback_month)
            else "does not pay back within the months shown"
        )
        net = (
            f"{money(row.total_saving_usd)} saved over the path"
            if row.total_saving_usd >= 0
            else f"{money(-row.total_saving_usd)} more than renting over the path"
        )
        parts.append(
            f"bought in month {row.start_month} ({row.servers:,.0f} server"
            f"{'s' if row.servers != 1 else ''}, {money(row.purchase_usd)}), it {when} ({net})"
        )
    yours = owned.removeprefix(f"{owned_gpus.PROVIDER} · ")
    return [
        f"Buying your servers ({yours}) instead of staying on {alternative}: {'; '.join(parts)}."
    ]


def commitment_answer(shortfall: pd.DataFrame) -> list[str]:
    """What each committed monthly spend costs when the volume falls short
    (:func:`infermodel.analyses.growth.commitment_shortfall`); empty when there is none."""
    if shortfall is None or shortfall.empty:
        return []
    sentences = []
    for _, rows in shortfall.groupby("offering_id", sort=False):
        row = rows.iloc[0]
        committed = row["committed_usd_per_month"]
        price = row["usage_usd_per_month"] / row["tokens_per_month"] * 1e6
        covered = committed / price * 1e6
        short = rows[rows["shortfall_usd_per_month"] > 0]
        worst = short.loc[short["tokens_per_month"].idxmin()] if len(short) else None
        text = (
            f"{row['offering']} is billed at least {money(committed)} a month (your commitment): "
            f"below {tokens(covered)} tokens a month at the contract's price the shortfall is "
            "billed"
        )
        if worst is not None:
            text += (
                f"; at {tokens(worst['tokens_per_month'])} tokens a month it is "
                f"{money(worst['shortfall_usd_per_month'])} for nothing, "
                f"{money(worst['effective_usd_per_million_tokens'])} per million tokens used"
            )
        sentences.append(text + ".")
    return sentences
