"""Readings of where price sources disagree (:func:`infermodel.prices.discrepancies.find`)."""

from __future__ import annotations

import pandas as pd

from infermodel import display
from infermodel.display import money
from infermodel.narrative.base import names
from infermodel.tables import provenance


def _side(row, side: str) -> str:
    value = row[f"value_{side}_usd_per_million_tokens"]
    when = display.date(row[f"observed_on_{side}"])
    return f"{money(value)} ({provenance.label(row[f'source_{side}'])}, {when})"


def disagreement_words(row) -> str:
    """One disagreement in words: ``Fireworks AI · Llama 3.1 8B Instruct input, $0.10
    (LiteLLM, 2026-07-24) vs $0.20 (genai-prices, 2026-11-27), 100% apart``."""
    size = row["relative_difference_pct"]
    apart = "one is zero" if size == float("inf") else f"{size:,.0f}% apart"
    return (
        f"{row['provider']} · {row['model']} {provenance.FIELD_WORDS[row['field']]}, "
        f"{_side(row, 'a')} vs {_side(row, 'b')}, {apart}"
    )


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def discrepancies_answer(
    table: pd.DataFrame,
    *,
    as_of: object,
    tolerance: float = provenance.DEFAULT_TOLERANCE,
    window_days: int = provenance.DEFAULT_WINDOW_DAYS,
) -> list[str]:
    """Where sources disagree near ``as_of``, in sentences with the numbers.

    ``table`` is :func:`infermodel.prices.discrepancies.find` for that date, tolerance and window.
    The first sentence gives the counts and the unresolved ones (at most three named); the
    second the largest difference (every row tied for it).
    """
    when = display.date(as_of)
    rule = (
        f"by more than {tolerance * 100:g}% (each source's newest observation within "
        f"{window_days} days)"
    )
    if table.empty:
        return [f"No tracked price disagrees between sources near {when} {rule}."]
    prices = len(table.drop_duplicates(["offering_id", "field"]))
    open_rows = table[table["status"] == "unresolved"]
    verb = "disagrees" if prices == 1 else "disagree"
    count = _plural(prices, "tracked price", "tracked prices")
    first = f"{count} {verb} between sources near {when} {rule}"
    if open_rows.empty:
        first += "; all are resolved by reviewed readings (data/prices/price_readings.csv)."
    else:
        listed = [disagreement_words(row) for _, row in open_rows.iterrows()]
        is_are = "is" if len(open_rows) == 1 else "are"
        first += f"; {len(open_rows)} {is_are} unresolved: {names(listed, most=3)}."
    size = table["relative_difference_pct"].astype(float)
    tied = table[(size - size.max()).abs() <= 1e-9 * max(float(size.max()), 1.0)]
    words = [disagreement_words(row) for _, row in tied.iterrows()]
    if len(words) == 1:
        second = f"The largest: {words[0]}."
    else:
        second = f"The largest, tied: {names(words, most=len(words))}."
    return [first, second]


def discrepancies_headline(table: pd.DataFrame, *, as_of: object) -> str:
    """One line for a terminal: how many disagreements, how many unresolved, the largest."""
    when = display.date(as_of)
    if table.empty:
        return f"0 disagreements between sources near {when}."
    open_count = int((table["status"] == "unresolved").sum())
    # The one that needs a person: the largest unresolved, else the largest.
    pool = table[table["status"] == "unresolved"] if open_count else table
    size = pool["relative_difference_pct"].astype(float)
    top = pool.loc[size.idxmax()]
    which = "the largest unresolved" if open_count else "the largest"
    return (
        f"{_plural(len(table), 'disagreement', 'disagreements')} between sources near {when}, "
        f"{open_count} unresolved; {which}: {disagreement_words(top)}."
    )
