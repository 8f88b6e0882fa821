"""Readings of what changed in prices since the last quarter."""

from __future__ import annotations

import numpy as np
import pandas as pd

from infermodel import display
from infermodel.display import money, percent
from infermodel.narrative.base import names

# --- price changes ---------------------------------------------------------------------------


def change_labels(changes: pd.DataFrame) -> pd.Series:
    """Labels for the rows of :func:`~infermodel.prices.diff`: API by model, GPU by SKU and tier."""
    parts = changes["offering_id"].astype(str).str.split("/")
    gpu = changes["platform_type"] == "diy_gpu"
    sku = parts.map(lambda p: display.gpu_name(p[1]) if len(p) > 3 else "")
    tier = parts.map(lambda p: display.words(p[2], table=display.TIER_WORDS) if len(p) > 3 else "")
    pricing = parts.map(
        lambda p: "" if len(p) < 4 or p[3] == "on_demand" else " " + display.words(p[3])
    )
    offering = changes["offering"].astype(str)
    providers = changes["provider"].astype(str)
    prefixed = pd.Series(
        [o.startswith(f"{p} · ") for o, p in zip(offering, providers, strict=True)],
        index=changes.index,
    )
    label = offering.where(prefixed, changes["provider"] + " · " + offering)
    return label.where(~gpu, changes["provider"] + " · " + sku + ", " + tier + pricing)


_MOVES = (
    ("input", "usd_per_million_input_tokens", "change_pct_input", "per M input tokens"),
    ("output", "usd_per_million_output_tokens", "change_pct_output", "per M output tokens"),
    ("GPU-hour", "usd_per_gpu_hour", "change_pct_gpu_hour", "per GPU-hour"),
)


def price_changes_answer(
    changes: pd.DataFrame, split: pd.DataFrame, *, previous: object, as_of: object
) -> list[str]:
    """What changed since the last quarter: new, withdrawn, repriced, the biggest moves.

    ``changes`` is :func:`~infermodel.prices.diff`, ``split``
    :func:`~infermodel.analyses.quarters.effects` for the reference workloads.
    """
    labelled = changes.assign(label=change_labels(changes))
    count = labelled["status"].astype(str).value_counts()
    new, gone, moved = (int(count.get(s, 0)) for s in ("new", "withdrawn", "repriced"))
    same = int(count.get("unchanged", 0))
    since = display.date(previous)
    if new + gone + moved == 0:
        return [
            f"Nothing changed since {since}: no offering was added, withdrawn or repriced "
            f"({same} offerings unchanged)."
        ]
    if same == 0 and gone == 0 and moved == 0:
        return [f"No prices were recorded by {since}; all {new} offerings count as new."]
    lines = [
        f"Since {since}: {new} new, {gone} withdrawn and {moved} repriced offerings; "
        f"{same} unchanged."
    ]
    moves = _biggest_moves(labelled[labelled["status"].astype(str) == "repriced"])
    if moves:
        lines.append(f"Biggest price moves: {'; '.join(moves)}.")
    for status, verb in (("new", "New"), ("withdrawn", "Withdrawn")):
        rows = labelled[labelled["status"].astype(str) == status]
        if len(rows):
            lines.append(f"{verb}: {names(list(rows['label']), most=4)}.")
    effect = _effect_sentence(split)
    if effect:
        lines.append(effect)
    return lines[:6]


def _biggest_moves(repriced: pd.DataFrame, most: int = 3) -> list[str]:
    """The ``most`` offerings whose price moved most, each once, its moved prices named."""
    found = []
    for row in repriced.itertuples():
        moved = []
        for name, column, pct, unit in _MOVES:
            change = getattr(row, pct, np.nan)
            if pd.notna(change) and change != 0:
                old, new = getattr(row, f"{column}_old"), getattr(row, f"{column}_new")
                moved.append((abs(change), name, f"{money(old)} to {money(new)} {unit}", change))
        if moved:
            moved.sort(key=lambda item: -item[0])
            parts = [
                f"{name} {prices} ({percent(change / 100, signed=True)})"
                for _, name, prices, change in moved
            ]
            text = f"{row.label}, {' and '.join(parts)}"
            if getattr(row, "confidence_new", "") == "disputed":
                text += " (sources disagree on this price: perhaps no real move)"
            found.append((moved[0][0], text))
    found.sort(key=lambda item: -item[0])
    return [text for _, text in found[:most]]


def _effect_sentence(split: pd.DataFrame) -> str:
    if split.empty:
        return ""
    rows = split[(split["statistic"] == "min") & split["cost_usd_old"].notna()]
    rows = rows[rows["workload"] == rows["workload"].iloc[0]] if len(rows) else rows
    rows = rows[rows["total_change_usd"].abs() > 1e-9]
    if rows.empty:
        return ""
    row = rows.loc[rows["total_change_usd"].abs().idxmax()]
    return (
        f"For {row['workload']}, the cheapest "
        f"{display.STAGE_WORDS.get(row['platform_type'], row['platform'])} went from "
        f"{money(row['cost_usd_old'])} to {money(row['cost_usd_new'])} "
        f"({percent(row['total_change_pct'] / 100, signed=True)}): "
        f"{money(row['price_effect_usd'])} from price changes, "
        f"{money(row['mix_effect_usd'])} from offerings new or withdrawn."
    )


def changes_lead(as_of: object, previous: object, *, provisional: bool, had_prices: bool) -> str:
    """Which two dates are compared, and whether the later one is provisional."""
    text = f"Prices in force on {display.date(as_of)}"
    if provisional:
        text += " (provisional: the quarter is not over)"
    text += f" compared with those in force on {display.date(previous)}"
    if not had_prices:
        text += " (no price observation existed yet, so every offering counts as new)"
    return text + "."


def past_schedule(snapshot, *, most: int = 4) -> str:
    """A sentence naming offerings priced as on sale though a retirement date that a source
    schedules (``scheduled_retirements.csv``) has passed by the snapshot's date; "" if none.

    Per offering, the newest reading counts (a moved date replaces the old one). A scheduled
    date is not a retirement notice, so these stay priced; the sentence says so.
    """
    scheduled = getattr(snapshot, "scheduled", None)
    if scheduled is None or scheduled.empty or snapshot.api.empty:
        return ""
    newest = (
        scheduled.sort_values(["read_on", "scheduled_on"], kind="stable")
        .groupby(["provider", "model_id"])
        .tail(1)
    )
    due = newest[newest["scheduled_on"] <= snapshot.as_of]
    priced = snapshot.api.merge(due, on=["provider", "model_id"])
    if priced.empty:
        return ""
    priced = priced.sort_values("scheduled_on", kind="stable")
    labels = [
        f"{row.provider} · {row.model} ({display.date(row.scheduled_on)})"
        for row in priced.itertuples(index=False)
    ]
    count = len(labels)
    return (
        f"{count} offering{'s' if count != 1 else ''} priced here {'are' if count != 1 else 'is'} "
        f"past a retirement date that a source schedules, with no provider notice of the "
        f"retirement on record: {names(labels, most=most)}. A schedule is not a retirement, "
        "so they are priced as on sale; check them before relying on them."
    )
