"""Which source an API price observation came from, where sources disagree near a date, and
the reviewed readings that settle a disagreement or set aside a source's error.

:func:`infermodel.prices.as_of` uses these rules, so they sit in the data layer;
:mod:`infermodel.prices.discrepancies` builds the report on top of them. The rules, explicitly:

Source
    The dataset whose maintainers set the number, read from an observation's ``source_url``
    by :data:`SOURCE_PATTERNS` (first match wins): ``litellm`` (BerriAI/litellm's
    ``model_prices_and_context_window.json``, the same file in a litellm release on PyPI,
    and AgentOps-AI/tokencost, a daily mirror of
    it) and ``genai-prices`` (pydantic/genai-prices' ``data.json`` and its PyPI package). Any
    other ``source_url`` is a source of its own. A mirror, or a file and its package, are one
    source: what changes between them is that source changing over time.
Near a date ``D``
    Each source's newest observation of an offering dated in ``[D - window_days, D]``
    (default :data:`DEFAULT_WINDOW_DAYS` = 180 days: half a year, since the shipped sources
    are re-read once or twice a year; LiteLLM's snapshots are 181 and 238 days apart).
Disagree
    Two sources' values of one tracked field (input, output, cached input, cache write) differ
    by a relative difference, larger / smaller - 1 (0.10 against 0.20 is 100%), of more than
    ``tolerance`` (default 0.01; exactly 1% is not a disagreement; compared at 9 decimals so
    that float noise does not decide). A zero against a non-zero price is an infinite
    difference; a field one source leaves empty is not compared.
A price change is not a disagreement
    For a pair with A dated on or before B: when B's source has an observation of the offering
    on or before A's date whose value agreed with A's, the sources agreed then and B shows a
    later change that A's source was not re-read for; it is not reported.
Readings (``data/prices/price_readings.csv``)
    A person's verdict on one field of one observation (provider, model_id, observed_on,
    source). ``source_error``: the value is wrong and is not used; :func:`corrected` puts in
    its place ``usd_per_million_tokens`` when given, else the same field of the offering's
    previous observation. ``confirmed``: the value was checked and is right. A disagreement
    is *resolved* when a ``source_error`` names either side, or a ``confirmed`` names the side
    dated later (the one ``as_of`` uses); else it is *unresolved*.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from infermodel.errors import Problem

#: The key of an API offering (as :data:`infermodel.tables.API_KEY`).
KEY = ["provider", "model_id"]
#: Tracked price fields: the name a reading uses, and the column of ``api_prices.csv``.
FIELDS = {
    "input": "usd_per_million_input_tokens",
    "output": "usd_per_million_output_tokens",
    "cached_input": "usd_per_million_cached_input_tokens",
    "cache_write": "usd_per_million_cache_write_tokens",
}
FIELD_WORDS = {
    "input": "input",
    "output": "output",
    "cached_input": "cached input",
    "cache_write": "cache write",
}
#: ``(pattern in source_url, source)``; the first that matches names the source.
SOURCE_PATTERNS = (
    (
        re.compile(r"BerriAI/litellm|AgentOps-AI/tokencost|pypi\.org/project/litellm", re.I),
        "litellm",
    ),
    (
        re.compile(r"pydantic/genai-prices|pypi\.org/project/genai-prices", re.IGNORECASE),
        "genai-prices",
    ),
)
#: How sources are named for people.
SOURCE_LABELS = {"litellm": "LiteLLM", "genai-prices": "genai-prices"}
VERDICTS = ("source_error", "confirmed")
STATUSES = ("unresolved", "resolved")
DEFAULT_TOLERANCE = 0.01
DEFAULT_WINDOW_DAYS = 180
#: Relative differences are compared at this many decimals (1.01 / 1.00 - 1 is 1%, not more).
_DECIMALS = 9

PAIR_COLUMNS = [
    *KEY,
    "field",
    "source_a",
    "value_a_usd_per_million_tokens",
    "observed_on_a",
    "source_b",
    "value_b_usd_per_million_tokens",
    "observed_on_b",
    "relative_difference_pct",
    "status",
    "reading_ids",
]


def source_of(source_url: object) -> str:
    """The source an observation came from (:data:`SOURCE_PATTERNS`), else its ``source_url``."""
    text = "" if pd.isna(source_url) else str(source_url)
    for pattern, name in SOURCE_PATTERNS:
        if pattern.search(text):
            return name
    return text


def label(source: str) -> str:
    """A source in people's words: ``LiteLLM``, ``genai-prices``, else the source itself."""
    return SOURCE_LABELS.get(source, source)


def with_sources(history: pd.DataFrame) -> pd.DataFrame:
    """``history`` with a ``source`` column (:func:`source_of`), unless it has one already."""
    if "source" in history:
        return history
    return history.assign(source=history["source_url"].map(source_of))


def no_readings() -> pd.DataFrame:
    """An empty readings table with the columns the rules look at."""
    columns = ["reading_id", *KEY, "field", "observed_on", "source", "verdict"]
    frame = pd.DataFrame({c: pd.Series(dtype=str) for c in columns})
    return frame.assign(
        observed_on=pd.Series(dtype="datetime64[ns]"),
        usd_per_million_tokens=pd.Series(dtype=float),
    )


def relative_difference(a: float, b: float) -> float:
    """larger / smaller - 1; infinite for zero against non-zero, 0 for two zeros."""
    low, high = sorted((float(a), float(b)))
    if low == 0:
        return 0.0 if high == 0 else float("inf")
    return high / low - 1


def differ(a: float, b: float, tolerance: float) -> bool:
    """Whether two prices differ by more than ``tolerance`` (at :data:`_DECIMALS` decimals)."""
    return round(relative_difference(a, b), _DECIMALS) > tolerance


def corrected(history: pd.DataFrame, readings: pd.DataFrame) -> pd.DataFrame:
    """``history`` with every ``source_error`` reading applied (earliest first).

    The marked field takes the reading's ``usd_per_million_tokens`` when given, else the same
    field of the offering's previous observation (as corrected so far; empty when there is
    none). The observation's ``note`` says what was set aside and why.
    """
    errors = readings[readings["verdict"] == "source_error"]
    if errors.empty:
        return history
    out = history.copy()
    by_date = out.sort_values("observed_on", kind="stable")
    groups = by_date.groupby(KEY, sort=False).groups
    dates = out["observed_on"]
    for reading in errors.sort_values("observed_on", kind="stable").itertuples():
        column = FIELDS[reading.field]
        offering = groups.get((reading.provider, reading.model_id), [])
        rows = [i for i in offering if dates[i] == reading.observed_on]
        earlier = [i for i in offering if dates[i] < reading.observed_on]
        value, whence = reading.usd_per_million_tokens, "the reading's value"
        if pd.isna(value):
            value = out.loc[earlier[-1], column] if earlier else np.nan
            whence = (
                f"the previous observation's ({out.loc[earlier[-1], 'observed_on'].date()})"
                if earlier
                else "none (no previous observation)"
            )
        for i in rows:
            was = out.loc[i, column]
            remark = (
                f"{FIELD_WORDS[reading.field]} {was:g} not used: a source error "
                f"(price_readings.csv {reading.reading_id}); used {whence}"
            )
            note = out.loc[i, "note"]
            out.loc[i, "note"] = remark if pd.isna(note) else f"{note}; {remark}"
            out.loc[i, column] = value
    return out


def near(history: pd.DataFrame, date: pd.Timestamp, window_days: int) -> pd.DataFrame:
    """Each (offering, source)'s newest observation dated in ``[date - window_days, date]``."""
    history = with_sources(history)
    start = date - pd.Timedelta(days=window_days)
    inside = history[(history["observed_on"] <= date) & (history["observed_on"] >= start)]
    newest = inside.sort_values("observed_on", kind="stable").groupby([*KEY, "source"]).tail(1)
    return newest.reset_index(drop=True)


def _agreed_before(history: pd.DataFrame, pair, column: str, tolerance: float) -> bool:
    """Whether source B's value on or before A's date agreed with A's (a later change of B)."""
    then = history[
        (history["provider"] == pair.provider)
        & (history["model_id"] == pair.model_id)
        & (history["source"] == pair.source_b)
        & (history["observed_on"] <= pair.observed_on_a)
    ].sort_values("observed_on", kind="stable")
    if then.empty or pd.isna(then[column].iloc[-1]):
        return False
    return not differ(then[column].iloc[-1], getattr(pair, f"{column}_a"), tolerance)


def _pairs(history: pd.DataFrame, date: pd.Timestamp, window_days: int) -> pd.DataFrame:
    """Every pair of sources' newest observations of one offering near ``date``, older first."""
    newest = near(history, date, window_days)
    both = newest.merge(newest, on=KEY, suffixes=("_a", "_b"))
    a_first = (both["observed_on_a"] < both["observed_on_b"]) | (
        (both["observed_on_a"] == both["observed_on_b"]) & (both["source_a"] < both["source_b"])
    )
    return both[a_first].reset_index(drop=True)


def _settled_by(row: dict, readings: pd.DataFrame) -> list[str]:
    """The ids of the readings that resolve one disagreement (rules in the module docstring)."""
    about = readings[
        (readings["provider"] == row["provider"])
        & (readings["model_id"] == row["model_id"])
        & (readings["field"] == row["field"])
    ]
    found = []
    for reading in about.itertuples():
        for side in ("a", "b"):
            if (reading.observed_on, reading.source) != (
                row[f"observed_on_{side}"],
                row[f"source_{side}"],
            ):
                continue
            later = side == "b" and row["observed_on_b"] > row["observed_on_a"]
            if reading.verdict == "source_error" or later:
                found.append(str(reading.reading_id))
    return found


def disagreements(
    history: pd.DataFrame,
    date: pd.Timestamp,
    *,
    readings: pd.DataFrame | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> pd.DataFrame:
    """Where two sources disagree near ``date``: one row per (offering, field, pair).

    ``history`` has the columns of ``api_prices.csv`` (a ``source`` column is derived when
    absent). Returns :data:`PAIR_COLUMNS`: side ``a`` is the observation dated first (on the
    same date, the source first by name), ``relative_difference_pct`` [%], ``status``
    (``unresolved`` | ``resolved``) and ``reading_ids`` (``;``-separated). Unresolved first,
    then the largest difference first.
    """
    history = with_sources(history)
    readings = no_readings() if readings is None else readings
    rows = []
    pairs = _pairs(history, date, window_days)
    differs = pd.Series(False, index=pairs.index)
    for column in FIELDS.values():  # a quick first pass: pairs with any field apart
        a, b = pairs[f"{column}_a"].astype(float), pairs[f"{column}_b"].astype(float)
        differs |= (a - b).abs() > 0
    for pair in pairs[differs].itertuples():
        for field, column in FIELDS.items():
            a, b = getattr(pair, f"{column}_a"), getattr(pair, f"{column}_b")
            if pd.isna(a) or pd.isna(b) or not differ(a, b, tolerance):
                continue
            if _agreed_before(history, pair, column, tolerance):
                continue
            row = {
                "provider": pair.provider,
                "model_id": pair.model_id,
                "field": field,
                "source_a": pair.source_a,
                "value_a_usd_per_million_tokens": float(a),
                "observed_on_a": pair.observed_on_a,
                "source_b": pair.source_b,
                "value_b_usd_per_million_tokens": float(b),
                "observed_on_b": pair.observed_on_b,
                "relative_difference_pct": relative_difference(a, b) * 100,
            }
            ids = _settled_by(row, readings)
            rows.append({**row, "status": STATUSES[bool(ids)], "reading_ids": ";".join(ids)})
    table = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    table["observed_on_a"] = pd.to_datetime(table["observed_on_a"])
    table["observed_on_b"] = pd.to_datetime(table["observed_on_b"])
    order = table["status"].map({s: i for i, s in enumerate(STATUSES)})
    return (
        table.assign(_order=order, _size=-table["relative_difference_pct"].astype(float))
        .sort_values(["_order", "_size", *KEY, "field"], kind="stable")
        .drop(columns=["_order", "_size"])
        .reset_index(drop=True)
    )


def check_readings(readings: pd.DataFrame, api_prices: pd.DataFrame, path: Path) -> list[Problem]:
    """Readings that name no observation of ``api_prices`` (or its wrong source or an empty
    field), or would leave an input or output price empty."""
    history = with_sources(api_prices)
    problems = []
    for index, row in readings.iterrows():
        same = (history["provider"] == row["provider"]) & (history["model_id"] == row["model_id"])
        seen = history[same & (history["observed_on"] == row["observed_on"])]
        column, when = FIELDS[row["field"]], row["observed_on"].strftime("%Y-%m-%d")
        if seen.empty:
            rule = f"no observation of {row['provider']} {row['model_id']} on this date"
            problems.append(Problem(Path(path), int(index) + 2, "observed_on", when, rule))
        elif row["source"] not in set(seen["source"]):
            rule = f"the observation's source is {', '.join(sorted(set(seen['source'])))}"
            problems.append(Problem(Path(path), int(index) + 2, "source", row["source"], rule))
        elif seen[column].isna().all():
            rule = "the observation gives no price for this field"
            problems.append(Problem(Path(path), int(index) + 2, "field", row["field"], rule))
        elif (
            row["verdict"] == "source_error"
            and row["field"] in ("input", "output")
            and pd.isna(row["usd_per_million_tokens"])
            and not (same & (history["observed_on"] < row["observed_on"])).any()
        ):
            rule = "give the value billed: no earlier observation to take the price from"
            problems.append(Problem(Path(path), int(index) + 2, "usd_per_million_tokens", "", rule))
    return problems
