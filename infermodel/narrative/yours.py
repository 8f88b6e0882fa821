"""Which numbers are yours: sentences on the rows a user data folder priced
(:mod:`infermodel.tables.user_data`): contracts, servers you own, your own price rows, and prices
announced for later."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from infermodel import display
from infermodel.display import money, percent
from infermodel.narrative.base import names
from infermodel.tables import offerings, owned_gpus


def _labels(table: pd.DataFrame) -> pd.Series:
    return pd.Series(display.offering_labels(table).to_numpy(), index=table.index)


def _contracts(table: pd.DataFrame, labels: pd.Series) -> list[str]:
    if "contract" not in table:
        return []
    sentences = []
    for contract, rows in table[table["contract"].notna()].groupby("contract", sort=False):
        low = rows.loc[rows["cost_usd"].idxmin()]
        count = len(rows)
        what = f"{count} API offering{'s are' if count > 1 else ' is'}"
        sentences.append(
            f"{what} priced at your contract {contract}, the list price beside each: the "
            f"cheapest, {labels[low.name]}, costs {money(low['cost_usd'])} instead of "
            f"{money(low['cost_usd_list'])} at list."
        )
    return sentences


def _owned(table: pd.DataFrame) -> list[str]:
    owned = table[owned_gpus.is_owned(table)]
    if owned.empty:
        return []
    sentences = []
    for _, row in owned.drop_duplicates(["gpu", "tier"]).iterrows():
        power = (
            row["utilization"] * row["usd_per_gpu_hour_power_busy"]
            + (1 - row["utilization"]) * row["usd_per_gpu_hour_power_idle"]
        )
        sentences.append(
            f"Your server {row['tier']} ({row['gpus_per_server']:g} x {row['gpu']}) costs "
            f"{money(row['usd_per_gpu_hour'])} per GPU-hour at {percent(row['utilization'])} "
            f"busy: capital {money(row['usd_per_gpu_hour_capital'])}, hosting "
            f"{money(row['usd_per_gpu_hour_hosting'])}, staff "
            f"{money(row['usd_per_gpu_hour_staff'])} and power {money(power)} (idle hours "
            "draw idle power)."
        )
    return sentences


def _own_rows(table: pd.DataFrame, labels: pd.Series, snapshot) -> list[str]:
    contract = table["contract"] if "contract" in table else pd.Series(None, index=table.index)
    theirs = table["data_origin"].eq("user") & contract.isna() & ~owned_gpus.is_owned(table)
    if "announced" in table:
        theirs &= ~table["announced"]
    if not theirs.any():
        return []
    shown = list(labels[theirs])
    where = ""
    if snapshot is not None:
        frames = [f for f in (snapshot.api, snapshot.gpu) if "data_origin" in f and len(f)]
        mine = pd.concat([f[f["data_origin"] == "user"] for f in frames]) if frames else None
        if mine is not None and len(mine):
            files = sorted({Path(f).name for f in mine["data_file"]})
            where = f" ({', '.join(files)} of your data folder)"
    count = len(shown)
    return [
        f"{count} row{'s' if count > 1 else ''} use{'' if count > 1 else 's'} your own prices "
        f"or throughput{where}: {names(shown, most=3)}."
    ]


def _announced(table: pd.DataFrame, labels: pd.Series, snapshot) -> list[str]:
    if "announced" not in table or not table["announced"].any():
        return []
    rows = table[table["announced"]]
    when = ""
    if snapshot is not None and len(snapshot.announced):
        ahead = snapshot.announced
        starts = pd.Series(ahead["effective_from"].to_numpy(), index=offerings.ids(ahead))
        dates = sorted({display.date(starts[i]) for i in rows["offering_id"] if i in starts.index})
        when = f" (in force from {names(dates, most=3)})" if dates else ""
    count = len(rows)
    return [
        f"{count} row{'s are' if count > 1 else ' is'} priced at a change announced for later"
        f"{when}, not yet in force today: {names(list(labels[rows.index]), most=3)}."
    ]


def user_numbers(table: pd.DataFrame, snapshot=None) -> list[str]:
    """Sentences saying which numbers of a priced table (a cost, trace or bill table) are
    the user's: offerings at a contract (what they cost at it and at list), servers owned
    (a GPU-hour by part), rows priced from the user's own prices or throughput, and prices
    announced for a later date (first, for a date after today, :func:`future_note`). Empty
    when none is.

    ``snapshot`` (the :class:`~infermodel.prices.PriceSnapshot` priced) adds which files the
    rows came from and the dates announced prices take effect.
    """
    future = future_note(snapshot) if snapshot is not None else []
    if "data_origin" not in table or not table["data_origin"].eq("user").any():
        if "announced" not in table or not table["announced"].any():
            return future
    labels = _labels(table)
    return [
        *future,
        *_contracts(table, labels),
        *_owned(table),
        *_own_rows(table, labels, snapshot),
        *_announced(table, labels, snapshot),
    ]


def billing_basis(table: pd.DataFrame) -> str:
    """How the API rows of a table are priced, in a few words: at list, or at your contract
    where one applies."""
    if "contract" in table and table["contract"].notna().any():
        count = int(table["contract"].notna().sum())
        return f"APIs at your contract where one applies ({count} offerings), else at list price"
    return "APIs at list price"


def folder_lead(entry: dict | None) -> str:
    """One sentence naming the user data folder a report read and its tables (the run
    record's ``user_data`` entry: ``folder`` and ``files``, each ``file`` and ``rows``);
    empty when the report read none."""
    if not entry:
        return ""
    held = [
        f"{f['file']} ({f['rows']:,} row{'s' if f['rows'] != 1 else ''})" for f in entry["files"]
    ]
    what = names(held, most=6) if held else "no table the kit reads"
    return (
        f"Your numbers: this report read your data folder {entry['folder']}: {what}. Each page "
        "says which of its numbers are yours; the tables mark them in data_origin."
    )


def snapshot_numbers(snapshot) -> list[str]:
    """What the user data folder adds to a price snapshot, in one sentence: contracts in force,
    servers owned, the user's own price rows and the prices announced for later; empty when
    it adds nothing."""
    parts = []
    contracts = snapshot.contracts if snapshot.contracts is not None else pd.DataFrame()
    if len(contracts):
        parts.append(
            f"{len(contracts)} contract{'s' if len(contracts) > 1 else ''} in force "
            f"({names([str(c) for c in contracts['source']], most=2)})"
        )
    owned = snapshot.gpu[owned_gpus.is_owned(snapshot.gpu)]
    if len(owned):
        parts.append(f"{len(owned)} kind{'s' if len(owned) > 1 else ''} of server you own "
                     f"({names(list(owned['tier']), most=3)})")  # fmt: skip
    rows = [f for f in (snapshot.api, snapshot.gpu) if "data_origin" in f]
    mine = sum(int((f["data_origin"].eq("user") & ~owned_gpus.is_owned(f)).sum()) for f in rows)
    if mine:
        parts.append(f"{mine} offering{'s' if mine > 1 else ''} priced from your own rows")
    ahead = len(snapshot.announced)
    if ahead:
        parts.append(f"{ahead} price{'s' if ahead > 1 else ''} announced for later")
    if not parts:
        return []
    return [f"Your data folder on {display.date(snapshot.as_of)}: {names(parts, most=4)}."]


def future_note(snapshot) -> list[str]:
    """For a snapshot dated after today: which prices are changes announced for it and that
    the others are the last known prices; empty for today or a past date."""
    today = pd.Timestamp.today().normalize()
    if snapshot.as_of <= today:
        return []
    ahead = snapshot.announced
    changed = (
        f"{len(ahead)} price{'s are' if len(ahead) != 1 else ' is'} a change announced for it "
        f"({names(list(display.offering_labels(ahead)), most=3)})"
        if len(ahead)
        else "no price change is announced for it"
    )
    return [
        f"{display.date(snapshot.as_of)} is after today: {changed}; every other offering is "
        "priced at its last known price."
    ]
