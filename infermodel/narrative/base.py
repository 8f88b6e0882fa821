"""What every reading shares: lists of names, ties, ratios, escaping to HTML."""

from __future__ import annotations

import html as html_lib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from infermodel import display
from infermodel.display import multiple, percent

TIE = 1e-9


# --- helpers ---------------------------------------------------------------------------------


def names(items: Sequence[str], *, most: int = 3) -> str:
    """``A``, ``A and B``, ``A, B and C``; beyond ``most`` items, ``A, B, C and 2 more``."""
    items = list(dict.fromkeys(items))
    if len(items) > most:
        shown, rest = items[:most], len(items) - most
        return ", ".join(shown) + f" and {rest} more"
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def cheapest(rows: pd.DataFrame, by: str = "cost_usd") -> pd.DataFrame:
    """The rows that tie for the lowest ``by`` (one row unless there is a tie)."""
    if rows.empty:
        return rows
    low = rows[by].min()
    return rows[np.isclose(rows[by], low, rtol=TIE, atol=0)]


def named(rows: pd.DataFrame, label: str = "offering") -> str:
    """The first of tied rows by label, with ``(tied with ...)`` when several tie."""
    first, others = rows[label].iloc[0], list(rows[label].iloc[1:])
    return first + (f" (tied with {names(others, most=1)})" if others else "")


def ratio(value: float, reference: float) -> str:
    """``15% less than`` / ``1.7 times the`` / ``the same as``: ``value`` against ``reference``."""
    if np.isclose(value, reference, rtol=1e-6):
        return "the same as"
    if value < reference:
        return f"{percent(1 - value / reference)} less than"
    return f"{multiple(value / reference)}"


def html(lines: Sequence[str], *, kind: str = "answer") -> str:
    """Sentences as an HTML list (``kind`` is its CSS class); every character escaped."""
    items = "".join(f"<li>{html_lib.escape(line)}</li>" for line in lines)
    return f'<ul class="{html_lib.escape(kind)}">{items}</ul>'


def paragraph(text: str, *, kind: str = "lead") -> str:
    """One paragraph of text as HTML (escaped)."""
    return f'<p class="{html_lib.escape(kind)}">{html_lib.escape(text)}</p>'


def labelled(table: pd.DataFrame) -> pd.DataFrame:
    if "offering" in table and "offering_id" not in table:
        return table
    return table.assign(offering=display.offering_labels(table))


def like_rows(table: pd.DataFrame, like_for_like: str) -> pd.Series:
    return table["model"].astype(str).str.contains(like_for_like, case=False, regex=False)
