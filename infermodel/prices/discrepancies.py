"""Tracked prices on which dated sources disagree near a date, and whether a reading settles it.

:func:`find` lists, for a date ``D``, every tracked API price field (input, output, cached
input, cache write) where two sources give values more than ``tolerance`` apart near ``D``:
one row per (offering, field, pair of sources), with each side's value, source and date,
the relative difference and a ``status`` (``unresolved``, or ``resolved`` by the readings of
``data/prices/price_readings.csv`` it names). The rules, written once in
:mod:`infermodel.tables.provenance`:

- a *source* is the dataset that set the number (``litellm``: BerriAI/litellm and its
  tokencost mirror; ``genai-prices``: pydantic's data file and package; else the
  ``source_url``), so a file and its package, or a mirror, never disagree with each other;
- *near ``D``* is each source's newest observation of the offering dated in
  ``[D - window_days, D]`` (default 180 days);
- the *relative difference* is larger / smaller - 1, reported when more than ``tolerance``
  (default 0.01: exactly 1% is not reported); a field a source leaves empty is not compared;
- a *price change is not a disagreement*: when the later source's own observation on or
  before the earlier side's date agreed with it, the later source shows a move the other was
  not re-read for, and nothing is reported.

Extra source files (a LiteLLM ``model_prices_and_context_window.json`` or a genai-prices
``data.json``, dated by a date in the file name) add the observations they give for the
offerings of ``tracked_offerings.csv``, without writing anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from infermodel import checks, tables
from infermodel.errors import InputError
from infermodel.readers.genai_prices import read_genai_prices
from infermodel.readers.litellm import read_litellm
from infermodel.readers.price_files import Source
from infermodel.tables import offerings, provenance

DEFAULT_TOLERANCE = provenance.DEFAULT_TOLERANCE
DEFAULT_WINDOW_DAYS = provenance.DEFAULT_WINDOW_DAYS
#: The largest tolerance: 10 (1,000%), the importers' implausible-move factor. [-]
MAX_TOLERANCE = 10.0
_DATE_IN_NAME = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Columns of :func:`find`, in order.
COLUMNS = [
    "offering_id",
    "platform_type",
    "provider",
    "model",
    "model_id",
    *provenance.PAIR_COLUMNS[2:],
]


def read_source(path: Path) -> Source:
    """A price file as a :class:`~infermodel.readers.price_files.Source`: genai-prices
    when it is a JSON list, else LiteLLM (the readers refuse any other format)."""
    path = Path(path)
    try:
        is_list = isinstance(json.loads(path.read_text(encoding="utf-8")), list)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        is_list = False  # the reader says what is wrong with the file
    return read_genai_prices(path) if is_list else read_litellm(path)


def source_observations(source: Source, tracked: pd.DataFrame) -> pd.DataFrame:
    """The observations a source gives for the tracked offerings, as ``api_prices.csv`` rows
    (only what the rules compare: key, model, platform type, prices, date, source)."""
    rows = []
    for row in tracked.itertuples(index=False):
        key = source.key_of(pd.Series(row._asdict()))
        quote = source.quotes[key] if key is not None and key in source.quotes else None
        if quote is None:
            continue
        prices = {column: quote.prices.get(column) for column in provenance.FIELDS.values()}
        rows.append(
            {
                "platform_type": row.platform_type,
                "provider": row.provider,
                "model": row.model,
                "model_id": row.model_id,
                **{k: float("nan") if v is None else v for k, v in prices.items()},
                "observed_on": source.observed_on,
                "source_url": source.source_url,
                "note": source.described_as,
            }
        )
    return pd.DataFrame(rows)


def find(
    date: object,
    *,
    api_prices: pd.DataFrame | None = None,
    readings: pd.DataFrame | None = None,
    source_files: Sequence[Path] = (),
    tolerance: float = DEFAULT_TOLERANCE,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> pd.DataFrame:
    """Every tracked price on which two sources disagree near ``date``.

    Parameters
    ----------
    date
        ``YYYY-MM-DD``.
    api_prices, readings
        The price history and the reviewed readings; the shipped tables by default (no
        readings when ``api_prices`` is given).
    source_files
        Price files read with the existing readers and added to the history (not written).
    tolerance
        Relative difference above which two values disagree, >= 0 (0.01 = 1%).
    window_days
        How far back, in days, a source's newest observation still counts as near ``date``.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`: ``offering_id``, identity, ``field``, side ``a`` (dated first) and
        side ``b`` (``source_*``, ``value_*_usd_per_million_tokens`` [USD/Mtok],
        ``observed_on_*``), ``relative_difference_pct`` [%], ``status`` and ``reading_ids``.
        Unresolved first, then the largest difference first.
    """
    when = checks.date(date)
    checks.number("tolerance", tolerance, low=0, high=MAX_TOLERANCE)
    window_days = checks.whole("window_days", window_days, minimum=0)
    history = tables.load_api_prices() if api_prices is None else api_prices
    if readings is None:
        readings = tables.load_price_readings() if api_prices is None else provenance.no_readings()
    extra = [source_observations(read_source(p), tables.load_tracked()) for p in source_files]
    if any(not frame.empty for frame in extra):
        history = pd.concat([history, *extra], ignore_index=True)
    pairs = provenance.disagreements(
        history, when, readings=readings, tolerance=tolerance, window_days=window_days
    )
    names = history.drop_duplicates(provenance.KEY, keep="last")
    names = names[[*provenance.KEY, "platform_type", "model"]]
    table = pairs.merge(names, on=provenance.KEY, how="left")
    table["offering_id"] = offerings.ids(table) if not table.empty else pd.Series(dtype=str)
    return table[COLUMNS]


def summary(table: pd.DataFrame) -> dict[str, object]:
    """Counts of :func:`find`'s rows: ``disagreements`` (rows), ``prices`` (distinct
    offering fields), ``unresolved`` rows, and ``largest`` (the rows tied for the largest
    relative difference, unresolved ones first)."""
    if table.empty:
        return {"disagreements": 0, "prices": 0, "unresolved": 0, "largest": table}
    size = table["relative_difference_pct"].astype(float)
    largest = table[(size - size.max()).abs() <= 1e-9 * max(size.max(), 1.0)]
    return {
        "disagreements": len(table),
        "prices": len(table.drop_duplicates(["offering_id", "field"])),
        "unresolved": int((table["status"] == "unresolved").sum()),
        "largest": largest,
    }


def require_dated(path: Path, option: str = "--source") -> Path:
    """``path`` if it is a file with a date in its name; else an :class:`InputError` naming
    ``option`` and what is valid."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"{option}: no such file {str(path)!r}; give a LiteLLM or genai-prices JSON file"
        )
    if _DATE_IN_NAME.search(path.name) is None:
        raise InputError(
            f"{option}: cannot tell which date {path.name!r} speaks for; put it in the file "
            "name as YYYY-MM-DD (e.g. litellm_2026-12-01.json)"
        )
    return path
