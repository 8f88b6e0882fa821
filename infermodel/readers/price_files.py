"""What every price source gives, and the checks all price readers share.

A price file is read into a :class:`Source`: its name, the date it speaks for, where it came
from, and one :class:`Quote` per source key (prices in the kit's unit, USD per million
tokens). :func:`per_million` converts a source's price to that unit and refuses a value whose
size does not fit its unit (a per-million price in a per-token field, or the reverse).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from infermodel import checks
from infermodel.errors import DataError
from infermodel.tables import MAX_USD_PER_MILLION, MIN_USD_PER_MILLION
from infermodel.units import TOKENS_PER_MILLION

_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


class ImportRefused(DataError):
    """A source file or mapping cannot be imported; the message says what and why."""


@dataclass
class Quote:
    """What a source says about one model, in the kit's units (USD per million tokens)."""

    prices: dict[str, float | None]
    #: A retirement date the source *schedules* (e.g. LiteLLM's ``deprecation_date``): a
    #: plan, recorded in ``scheduled_retirements.csv``, never a withdrawal.
    scheduled_retirement_on: pd.Timestamp | None = None
    remarks: list[str] = field(default_factory=list)
    #: Service-tier prices (batch, flex, priority), one dict per (tier, context threshold)
    #: with ``service_tier``, ``long_context_threshold_tokens`` (None: every prompt) and
    #: the columns of :data:`infermodel.tables.TIER_PRICE_COLUMNS`.
    tiers: list[dict[str, object]] = field(default_factory=list)


@dataclass
class Source:
    """One dated source: its name, where it came from, and a quote per source key."""

    name: str
    observed_on: pd.Timestamp
    source_url: str
    described_as: str
    quotes: dict[str, Quote | None]
    key_column: str

    def key_of(self, tracked_row: pd.Series) -> str | None:
        """The source key a tracked offering maps to, or ``None`` when it is not mapped."""
        if self.key_column == "litellm_key":
            key = tracked_row["litellm_key"]
            return None if pd.isna(key) else str(key)
        provider, model = tracked_row["genai_prices_provider"], tracked_row["genai_prices_model"]
        if pd.isna(provider) or pd.isna(model):
            return None
        return f"{provider}/{model}"


def observed_on_for(path: Path, observed_on: object | None) -> pd.Timestamp:
    """The date a price file speaks for: ``observed_on`` if given, else a date in its name."""
    if observed_on is not None:
        return checks.date(observed_on, name="--observed-on")
    found = _DATE_IN_NAME.search(Path(path).name)
    if not found:
        raise ImportRefused(
            f"{path}: cannot tell which date this price file speaks for; give --observed-on "
            "YYYY-MM-DD or put the date in the file name (e.g. litellm_2026-07-24.json)"
        )
    return checks.date(found.group(1), name=f"date in the file name {Path(path).name!r}")


def read_json(path: Path) -> object:
    path = Path(path)
    if not path.is_file():
        raise ImportRefused(f"{path}: file not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportRefused(f"{path}: not a JSON price file ({exc})") from None


def per_million(value: object, *, per_token: bool, where: str, field_name: str) -> float | None:
    """Convert a source price to USD per million tokens, refusing a unit mix-up."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ImportRefused(f"{where}: field {field_name!r} = {value!r}: not a number")
    if value < 0:
        raise ImportRefused(f"{where}: field {field_name!r} = {value!r}: a price cannot be < 0")
    result = float(value) * TOKENS_PER_MILLION if per_token else float(value)
    if result == 0:
        return 0.0
    low, high = MIN_USD_PER_MILLION, MAX_USD_PER_MILLION
    if result > high and per_token:
        raise ImportRefused(
            f"{where}: field {field_name!r} = {value!r} would be {result:,.0f} USD per million "
            "tokens: this field is USD per token, and the value looks like a per-million "
            "price (unit mix-up); not imported"
        )
    if result < low and not per_token:
        raise ImportRefused(
            f"{where}: field {field_name!r} = {value!r} USD per million tokens is implausibly "
            "small: the value looks like a per-token price in a per-million field (unit "
            "mix-up); not imported"
        )
    if not low <= result <= high:
        raise ImportRefused(
            f"{where}: field {field_name!r} = {value!r} gives {result:g} USD per million "
            f"tokens, outside the plausible {low}-{high:g}; check the unit; not imported"
        )
    return round(result, 6)


class LazyQuotes(dict):
    """Source entries converted on first access, so only tracked keys are unit-checked."""

    def __init__(self, entries: Mapping[str, object], convert) -> None:
        super().__init__()
        self._entries = dict(entries)
        self._convert = convert

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __getitem__(self, key: str) -> Quote | None:
        if not dict.__contains__(self, key):
            dict.__setitem__(self, key, self._convert(key, self._entries[key]))
        return dict.__getitem__(self, key)

    def keys(self):  # type: ignore[override]
        return self._entries.keys()
