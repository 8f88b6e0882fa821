"""Numbers for people: money, counts, percentages, multiples, token volumes, dates, links."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

#: Shown for a missing value.
MISSING = "—"
#: The minus sign of a negative amount (U+2212, not a hyphen).
MINUS = "\u2212"
#: The multiplication sign of a multiple (U+00D7).
TIMES = "\u00d7"
#: Rows shown before the rest of a table is folded away.
MAX_ROWS = 15


def is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def finite_values(values: Iterable) -> np.ndarray:
    array = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce")
    array = array.to_numpy(dtype=float, na_value=np.nan)
    return array[np.isfinite(array)]


def decimals_for(
    values: Iterable, *, large: float = 1_000.0, least: int = 2, whole: bool = False
) -> int:
    """Decimals that show a column's typical value (its median magnitude) with 2 digits.

    0 from ``large`` up, ``least`` from 1 up, more below 1 (at most 6); with ``whole``, a
    column of whole numbers gets 0.
    """
    array = finite_values(values)
    nonzero = np.abs(array[array != 0])
    if nonzero.size == 0:
        return least
    if whole and np.all(np.isclose(array, np.round(array))):
        return 0
    typical = float(np.median(nonzero))
    if typical >= large:
        return 0
    if typical >= 1:
        return least
    return int(min(6, max(least, math.ceil(-math.log10(typical)) + 1)))


def _signed(text: str, negative: bool) -> str:
    return MINUS + text if negative else text


def money(value: object, decimals: int | None = None) -> str:
    """``1234.5`` -> ``$1,234.50``; ``-30`` -> minus sign, ``$30.00``; missing -> an em dash.

    ``decimals`` defaults to :func:`decimals_for` the value; a non-zero amount too small for
    them reads ``<$0.01``.
    """
    if is_missing(value):
        return MISSING
    x = float(value)
    if not math.isfinite(x):
        return MISSING
    d = decimals_for([x]) if decimals is None else decimals
    if x != 0 and abs(x) < 0.5 * 10**-d:
        step = f"${10**-d:.{d}f}"
        return f"<{step}" if x > 0 else f"> {MINUS}{step}"
    return _signed(f"${abs(x):,.{d}f}", round(x, d) < 0)


def number(value: object, decimals: int | None = None) -> str:
    """Thousands separators, fixed decimals, never scientific notation."""
    if is_missing(value):
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    x = float(value)
    if not math.isfinite(x):
        return MISSING
    d = (
        decimals_for([x], large=100, least=0 if x == round(x) else 2)
        if decimals is None
        else decimals
    )
    return _signed(f"{abs(x):,.{d}f}", round(x, d) < 0)


def percent(fraction: object, decimals: int | None = None, *, signed: bool = False) -> str:
    """``0.456`` -> ``46%``; ``signed=True`` gives ``+12%`` / minus 12%."""
    if is_missing(fraction):
        return MISSING
    x = 100 * float(fraction)
    if not math.isfinite(x):
        return MISSING
    d = (0 if abs(x) >= 10 or x == round(x) else 1) if decimals is None else decimals
    text = f"{abs(x):,.{d}f}%"
    if round(x, d) < 0:
        return MINUS + text
    return ("+" + text) if signed and round(x, d) > 0 else text


def multiple(value: object, decimals: int | None = None) -> str:
    """``11.43`` -> ``11.4`` and a multiplication sign; below 1, two decimals."""
    if is_missing(value):
        return MISSING
    x = float(value)
    if not math.isfinite(x):
        return MISSING
    d = (0 if abs(x) >= 100 else 1 if abs(x) >= 1 else 2) if decimals is None else decimals
    return f"{x:,.{d}f}{TIMES}"


def tokens(count: object) -> str:
    """A token count in words: ``988 million``, ``6.6 billion``, ``20,000``."""
    if is_missing(count):
        return MISSING
    x = float(count)
    for size, name in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(x) >= size:
            scaled = x / size
            d = 0 if abs(scaled) >= 10 or round(scaled, 1) == round(scaled) else 1
            return f"{scaled:,.{d}f} {name}"
    return f"{x:,.0f}"


def date(value: object) -> str:
    """A date as ``YYYY-MM-DD``."""
    if is_missing(value):
        return MISSING
    try:
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    except (TypeError, ValueError):
        return str(value)


_GITHUB_PIN = re.compile(r"^([\w.-]+/[\w.-]+)@([0-9a-f]{7,40}):(.+)$")
_GITHUB_PATH = re.compile(r"^([\w.-]+/[\w.-]+):(.+)$")


def source_link(source: object) -> tuple[str, str] | None:
    """``(href, text)`` for a source: a URL, or ``owner/repo@commit:path`` on GitHub."""
    if is_missing(source):
        return None
    text = str(source).strip()
    if text.startswith(("http://", "https://")):
        host = re.sub(r"^https?://(www\.)?", "", text).split("/")[0]
        return text, host
    pinned = _GITHUB_PIN.match(text)
    if pinned:
        repo, commit, path = pinned.groups()
        return f"https://github.com/{repo}/blob/{commit}/{path}", f"{repo} ({path})"
    unpinned = _GITHUB_PATH.match(text)
    if unpinned and " " not in text:
        repo, path = unpinned.groups()
        return f"https://github.com/{repo}/blob/HEAD/{path}", f"{repo} ({path})"
    return None
