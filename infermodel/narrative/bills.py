"""A FOCUS bill in sentences: what was billed, what the same tokens cost elsewhere, and how
the bill compares with the list prices (from :mod:`infermodel.pricing.reconcile` and
:mod:`infermodel.pricing.bill_pricing`)."""

from __future__ import annotations

import pandas as pd

from infermodel import display
from infermodel.display import money, percent, tokens
from infermodel.narrative.base import names

#: Reasons of a reconciled line, as a sentence counts them.
_REASON_WORDS = {
    "at list": "at list",
    "committed discount": "under a commitment",
    "negotiated discount": "at a negotiated discount",
    "billed above list": "billed above list",
    "billed below list": "billed below the kit's list price",
}


def _lines(count: int) -> str:
    return f"{count:,} line{'' if count == 1 else 's'}"


def _usage(reconciled: pd.DataFrame) -> pd.DataFrame:
    return reconciled[reconciled["reason"] != "out of scope"]


def _label(offering_id: str, offering_labels: dict[str, str]) -> str:
    return offering_labels.get(offering_id, offering_id)


def bill_lead(bill, reconciled: pd.DataFrame, *, outside_window: int = 0) -> str:
    """Which export was read, how many lines, the charge periods, and how it is priced."""
    periods = reconciled["charge_period_start"]
    ends = reconciled["charge_period_end"]
    outside = (
        f"; {_lines(outside_window)} outside this report's dates are not counted"
        if outside_window
        else ""
    )
    converted = ", ".join(
        f"{code} at {rate:g} USD" for code, rate in bill.usd_per.items() if code != "USD"
    )
    rates = f"; costs converted to USD ({converted})" if converted else ""
    return (
        f"The FOCUS export {bill.path.name} ({bill.fmt}): {_lines(len(reconciled))} charged "
        f"from {display.date(periods.min())} to {display.date(ends.max())} (exclusive){outside}"
        f"{rates}. Each line of AI token usage is priced at the list prices in force on the "
        "last day of its charge period."
    )


def _billed_sentence(usage: pd.DataFrame, reconciled: pd.DataFrame, opening: str) -> str:
    models = usage[["provider", "billed_model"]].drop_duplicates()
    providers = list(dict.fromkeys(usage["provider"]))
    periods = usage["charge_period_start"].nunique()
    billed, count = usage["billed_cost_usd"].sum(), usage["billed_tokens"].sum()
    text = (
        f"{opening}: {money(billed)} for {tokens(count)} tokens across {len(models)} "
        f"model{'' if len(models) == 1 else 's'} from "
        f"{names(providers, most=4)} ({_lines(len(usage))} of AI token usage in {periods} "
        f"charge period{'' if periods == 1 else 's'})"
    )
    effective = usage["effective_cost_usd"].sum()
    if abs(effective - usage["billed_cost_usd"].sum()) >= 0.005:
        text += f"; {money(effective)} with commitments amortized (EffectiveCost)"
    return text + "."


def _alternative_sentence(alternatives: pd.DataFrame, offering_labels: dict[str, str]) -> str:
    if alternatives.empty:
        return ""
    best = alternatives["best_usd"].sum()
    billed = alternatives["billed_usd"].sum()
    moves, dearer, alone, untracked = [], [], [], []
    for row in alternatives.itertuples(index=False):
        if row.like_offering_id and row.saving_usd > 0.005:
            moves.append(
                f"{row.billed_model_name} on {_label(row.like_offering_id, offering_labels)} "
                f"for {money(row.like_usd)} instead of {money(row.billed_usd)}"
            )
        elif row.like_offering_id:
            dearer.append(row.billed_model_name)
        elif row.billed_offering_id:
            alone.append(row.billed_model_name)
        else:
            untracked.append(row.billed_model_name)
    change = (
        f", {percent(1 - best / billed)} less than billed" if billed > 0 and best < billed else ""
    )
    text = (
        f"The same tokens would have cost {money(best)} on the cheapest like-for-like "
        f"alternatives{change}"
    )
    if moves:
        text += ": " + names(moves, most=3)
    stays = []
    if dearer:
        stays.append(f"{names(dearer, most=3)} cost more at every other seller")
    if alone:
        verb = "has" if len(alone) == 1 else "have"
        stays.append(f"{names(alone, most=3)} {verb} no other seller in the price data")
    if untracked:
        verb = "is" if len(untracked) == 1 else "are"
        stays.append(f"{names(untracked, most=3)} {verb} no model the price data tracks")
    if stays:
        text += ("; " if moves else ": ") + " and ".join(stays) + ", so stay at what was billed"
    return text + "."


def _reconcile_sentence(usage: pd.DataFrame) -> str:
    priced = usage[usage["recomputed_list_usd"].notna()]
    if priced.empty:
        return ""  # the lines that could not be compared are named by _unpriced_sentence
    counts = priced["reason"].value_counts()
    parts = []
    for reason, words in _REASON_WORDS.items():
        if counts.get(reason, 0) and reason != "billed above list":
            amount = priced.loc[priced["reason"] == reason, "difference_usd"].sum()
            side = "above" if amount > 0 else "below"
            gap = "" if reason == "at list" else f" ({money(abs(amount))} {side} list)"
            parts.append(f"{counts[reason]} {words}{gap}")
    recomputed = money(priced["recomputed_list_usd"].sum())
    text = (
        f"At the kit's list prices these {_lines(len(priced))} come to {recomputed} against "
        f"{money(priced['billed_cost_usd'].sum())} billed"
        + (f": {names(parts, most=5)}" if parts else "")
    )
    above = priced[priced["reason"] == "billed above list"]
    if above.empty:
        return text + "; no line is billed above list."
    worst = above.loc[above["difference_usd"].idxmax()]
    where = (
        f"line {int(worst['line'])}: {worst['provider']} {worst['billed_model']} "
        f"{worst['token_kind'].replace('_', ' ')} from {display.date(worst['charge_period_start'])}"
    )
    if len(above) == 1:
        return (
            text + f"; 1 line is billed above list, {where}, by {money(worst['difference_usd'])}."
        )
    return text + (
        f"; {len(above)} lines are billed above list, by {money(above['difference_usd'].sum())} "
        f"in all (the most, {money(worst['difference_usd'])}, on {where})."
    )


def _unpriced_sentence(usage: pd.DataFrame) -> str:
    gone = usage[usage["recomputed_list_usd"].isna()]
    if gone.empty:
        return ""
    first = gone.iloc[0]
    return (
        f"{_lines(len(gone))} ({money(gone['billed_cost_usd'].sum())} billed) could not be "
        f"compared with a list price, e.g. line {int(first['line'])}: {first['detail']}."
    )


def _out_of_scope_sentence(reconciled: pd.DataFrame) -> str:
    out = reconciled[reconciled["reason"] == "out of scope"]
    if out.empty:
        return "Every line of the bill is AI token usage."
    parts = [
        f"{scope} {money(part['billed_cost_usd'].sum())}"
        for scope, part in out.groupby("scope", sort=False)
    ]
    return (
        f"{_lines(len(out))} outside AI token usage are listed, not re-priced: "
        f"{names(parts, most=4)}; the whole bill is {money(reconciled['billed_cost_usd'].sum())}."
    )


def bill_answer(
    reconciled: pd.DataFrame,
    alternatives: pd.DataFrame,
    *,
    offering_labels: dict[str, str] | None = None,
    opening: str = "This quarter's bill",
    dropped: int = 0,
) -> list[str]:
    """The answer of the bill page, first sentence first.

    ``reconciled`` is :func:`infermodel.pricing.reconcile.reconcile`, ``alternatives``
    :func:`infermodel.pricing.bill_pricing.like_for_like`; ``offering_labels`` names offerings by id
    (:func:`infermodel.display.label_map`); ``dropped`` counts lines left out because their
    tokens could not be priced.
    """
    labels = offering_labels or {}
    usage = _usage(reconciled)
    if usage.empty:
        return [
            f"{opening} has no AI token usage line: {_lines(len(reconciled))}, all out of scope.",
            _out_of_scope_sentence(reconciled),
        ]
    lines = [
        _billed_sentence(usage, reconciled, opening),
        _alternative_sentence(alternatives, labels),
        _reconcile_sentence(usage),
        _unpriced_sentence(usage),
        _out_of_scope_sentence(reconciled),
    ]
    if dropped:
        lines.append(
            f"{_lines(dropped)} of AI usage whose tokens could not be counted were left out "
            "(drop_bad_lines); the reconciliation lists them."
        )
    return [line for line in lines if line]
