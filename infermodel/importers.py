"""Importers: turn well-kept public price files into dated price observations.

Nobody should retype hundreds of prices. Two sources are read, each in its own format:

- LiteLLM's ``model_prices_and_context_window.json`` (a JSON object keyed by model, prices
  in **USD per token**), from a dated copy: :func:`read_litellm`;
- pydantic's genai-prices data, either the installed ``genai-prices`` package or a copy of
  its ``prices/data.json`` (a JSON list of providers, prices in **USD per million tokens**):
  :func:`read_genai_prices`.

Only the offerings in the small reviewed mapping ``data/prices/tracked_offerings.csv`` are
imported. :func:`review` compares what the source says on its date with the observations
already shipped and labels each tracked offering ``new`` | ``changed`` | ``unchanged`` |
``missing`` | ``retired`` | ``withdrawn`` | ``duplicate``; :func:`write` appends the new
observation rows (and withdrawals for ``retired`` offerings) only when nothing is wrong,
validating the result first, so a refused import leaves every file as it was.

A price whose size does not fit its unit (a per-million price in LiteLLM's per-token field,
or a per-token price in genai-prices' per-million field) is refused, never imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
import math
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from infermodel import paths, prices
from infermodel.schema import TableError, read_table
from infermodel.units import TOKENS_PER_MILLION

TRACKED_CSV = paths.PRICES_DIR / "tracked_offerings.csv"
LITELLM_URL = "https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json"
GENAI_PRICES_URL = "https://github.com/pydantic/genai-prices/blob/main/prices/data.json"

TRACKED_SCHEMA = pa.DataFrameSchema(
    {
        "platform_type": pa.Column(str, pa.Check.isin(prices.API_PLATFORM_TYPES)),
        "provider": pa.Column(str),
        "model": pa.Column(str),
        "model_id": pa.Column(str),
        "litellm_key": pa.Column(str, nullable=True),
        "genai_prices_provider": pa.Column(str, nullable=True),
        "genai_prices_model": pa.Column(str, nullable=True),
        # Where the keys were looked up; the prices themselves cite their file row by row.
        "source_url": pa.Column(str),
        "note": pa.Column(str, nullable=True),
    },
    unique=prices.API_KEY,
    strict=True,
    coerce=True,
    name="tracked_offerings",
)

#: Columns written to ``api_prices.csv``, in file order.
API_COLUMNS = list(prices.API_SCHEMA.columns)
WITHDRAWAL_COLUMNS = list(prices.WITHDRAWALS_SCHEMA.columns)
_PRICE_FIELDS = [
    "usd_per_million_input_tokens",
    "usd_per_million_output_tokens",
    "usd_per_million_cached_input_tokens",
    "usd_per_million_cache_write_tokens",
    "batch_discount_fraction",
    "long_context_threshold_tokens",
    "usd_per_million_input_tokens_long_context",
    "usd_per_million_output_tokens_long_context",
]
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


class ImportRefused(ValueError):
    """A source file or mapping cannot be imported; the message says what and why."""


@dataclass
class Quote:
    """What a source says about one model, in the kit's units (USD per million tokens)."""

    prices: dict[str, float | None]
    retired_on: pd.Timestamp | None = None
    remarks: list[str] = field(default_factory=list)


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


# --------------------------------------------------------------------------------------
# Reading the sources
# --------------------------------------------------------------------------------------


def load_tracked(path: Path = TRACKED_CSV) -> pd.DataFrame:
    """The reviewed mapping of tracked offerings to source keys, validated."""
    return read_table(path, TRACKED_SCHEMA)


def observed_on_for(path: Path, observed_on: object | None) -> pd.Timestamp:
    """The date a price file speaks for: ``observed_on`` if given, else a date in its name."""
    if observed_on is not None:
        return prices.parse_date(observed_on, name="--observed-on")
    found = _DATE_IN_NAME.search(Path(path).name)
    if not found:
        raise ImportRefused(
            f"{path}: cannot tell which date this price file speaks for; give --observed-on "
            "YYYY-MM-DD or put the date in the file name (e.g. litellm_2026-07-24.json)"
        )
    return prices.parse_date(found.group(1), name=f"date in the file name {Path(path).name!r}")


def _read_json(path: Path) -> object:
    path = Path(path)
    if not path.is_file():
        raise ImportRefused(f"{path}: file not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportRefused(f"{path}: not a JSON price file ({exc})") from None


def _per_million(value: object, *, per_token: bool, where: str, field_name: str) -> float | None:
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
    low, high = prices._MIN_USD_PER_MILLION, prices._MAX_USD_PER_MILLION
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


def _litellm_quote(key: str, entry: Mapping, where: str) -> Quote | None:
    if entry.get("input_cost_per_token") is None or entry.get("output_cost_per_token") is None:
        return None

    def get(name: str) -> float | None:
        return _per_million(entry.get(name), per_token=True, where=where, field_name=name)

    quote = Quote(
        {
            "usd_per_million_input_tokens": get("input_cost_per_token"),
            "usd_per_million_output_tokens": get("output_cost_per_token"),
            "usd_per_million_cached_input_tokens": get("cache_read_input_token_cost"),
            "usd_per_million_cache_write_tokens": get("cache_creation_input_token_cost"),
        }
    )
    batch = get("input_cost_per_token_batches")
    base = quote.prices["usd_per_million_input_tokens"]
    if batch is not None and base:
        fraction = round(1 - batch / base, 6)
        if 0 < fraction < 1:
            quote.prices["batch_discount_fraction"] = fraction
            quote.remarks.append(
                "batch fraction = 1 - input_cost_per_token_batches/input_cost_per_token"
            )
    thresholds = sorted(
        int(m.group(1))
        for name in entry
        if (m := re.fullmatch(r"input_cost_per_token_above_(\d+)k_tokens", name))
    )
    if thresholds:
        tier = thresholds[0]
        quote.prices["long_context_threshold_tokens"] = tier * 1000
        quote.prices["usd_per_million_input_tokens_long_context"] = get(
            f"input_cost_per_token_above_{tier}k_tokens"
        )
        quote.prices["usd_per_million_output_tokens_long_context"] = get(
            f"output_cost_per_token_above_{tier}k_tokens"
        )
        quote.remarks.append(f"long-context tier from *_above_{tier}k_tokens")
    if entry.get("deprecation_date"):
        try:
            quote.retired_on = prices.parse_date(entry["deprecation_date"])
        except ValueError:
            quote.remarks.append(f"unreadable deprecation_date {entry['deprecation_date']!r}")
    return quote


def read_litellm(path: Path, *, observed_on: object | None = None) -> Source:
    """Read a LiteLLM ``model_prices_and_context_window.json`` copy.

    Parameters
    ----------
    path
        The JSON file.
    observed_on
        The date the file speaks for (``YYYY-MM-DD``); by default a date in the file name.

    Raises
    ------
    ImportRefused
        The file is missing, not JSON, in another format, or has no date.
    """
    path = Path(path)
    when = observed_on_for(path, observed_on)
    raw = _read_json(path)
    if isinstance(raw, list):
        raise ImportRefused(
            f"{path}: a JSON list, not a LiteLLM price file (a JSON object keyed by model "
            "name); a list of providers is genai-prices' format: use "
            "'infermodel prices import genai-prices --file PATH'"
        )
    if not isinstance(raw, dict) or not any(
        isinstance(v, dict) and "input_cost_per_token" in v for v in raw.values()
    ):
        raise ImportRefused(
            f"{path}: not a LiteLLM price file: expected a JSON object of model keys whose "
            "entries carry 'input_cost_per_token' and 'output_cost_per_token'"
        )
    entries = {k: v for k, v in raw.items() if isinstance(v, dict)}
    return Source(
        name="litellm",
        observed_on=when,
        source_url=LITELLM_URL,
        described_as=f"the LiteLLM snapshot dated {when.date()} (file {path.name})",
        quotes=_LazyQuotes(entries, lambda k, e: _litellm_quote(k, e, f"{path}: key {k!r}")),
        key_column="litellm_key",
    )


class _LazyQuotes(dict):
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


def _genai_value(value: object) -> tuple[object, list[tuple[int, object]]]:
    """(base, [(tier start, price), ...]) of a genai-prices price, JSON or package object."""
    if isinstance(value, dict):
        tiers = [(int(t["start"]), t["price"]) for t in value.get("tiers", [])]
        return value.get("base"), tiers
    if hasattr(value, "base") and hasattr(value, "tiers"):
        return value.base, [(int(t.start), t.price) for t in value.tiers]
    return value, []


def _number(value: object) -> object:
    # The package holds Decimals; JSON holds ints/floats.
    return float(value) if value is not None and not isinstance(value, (bool, str)) else value


def _genai_quote(
    price_map: Mapping[str, object], batch_map: Mapping[str, object] | None, where: str
) -> Quote | None:
    if price_map.get("input_mtok") is None or price_map.get("output_mtok") is None:
        return None

    def get(name: str, value: object) -> float | None:
        return _per_million(_number(value), per_token=False, where=where, field_name=name)

    quote = Quote({})
    columns = {
        "input_mtok": "usd_per_million_input_tokens",
        "output_mtok": "usd_per_million_output_tokens",
        "cache_read_mtok": "usd_per_million_cached_input_tokens",
        "cache_write_mtok": "usd_per_million_cache_write_tokens",
    }
    tier_starts: dict[str, list[tuple[int, object]]] = {}
    for source_name, column in columns.items():
        base, tiers = _genai_value(price_map.get(source_name))
        quote.prices[column] = get(source_name, base)
        if tiers:
            tier_starts[source_name] = tiers
    if "input_mtok" in tier_starts:
        start, price = tier_starts["input_mtok"][0]
        quote.prices["long_context_threshold_tokens"] = start
        quote.prices["usd_per_million_input_tokens_long_context"] = get("input_mtok tier", price)
        out = dict(tier_starts.get("output_mtok", []))
        quote.prices["usd_per_million_output_tokens_long_context"] = (
            get("output_mtok tier", out[start]) if start in out else None
        )
        quote.remarks.append(f"long-context tier from the first input_mtok tier (start {start})")
    if batch_map:
        batch_base, _ = _genai_value(batch_map.get("input_mtok"))
        base = quote.prices["usd_per_million_input_tokens"]
        if batch_base is not None and base:
            fraction = round(1 - float(_number(batch_base)) / base, 6)
            if 0 < fraction < 1:
                quote.prices["batch_discount_fraction"] = fraction
                quote.remarks.append("batch fraction from the 'processing: batch' price variant")
    return quote


def _active_json_prices(prices_field: object, when: pd.Timestamp) -> Mapping[str, object]:
    """The price map in force on ``when`` from a JSON ``prices`` field (dict or conditions)."""
    if isinstance(prices_field, dict):
        return prices_field
    chosen: Mapping[str, object] = {}
    for i, conditional in enumerate(prices_field or []):
        start = (conditional.get("constraint") or {}).get("start_date")
        if i == 0 or start is None or pd.Timestamp(start) <= when:
            chosen = conditional.get("prices", {})
    return chosen


def read_genai_prices(path: Path | None = None, *, observed_on: object | None = None) -> Source:
    """Read genai-prices data: the installed package (default) or a ``data.json`` copy.

    Parameters
    ----------
    path
        A copy of genai-prices' ``prices/data.json``; ``None`` reads the installed package.
    observed_on
        The date the data speaks for (``YYYY-MM-DD``). For a file, by default a date in its
        name; for the installed package, by default today (the day the package was read).
        Prices with date conditions are taken as in force on that date.

    Raises
    ------
    ImportRefused
        The package is not installed, or the file is missing, not JSON, in another format or
        undated.
    """
    if path is not None:
        path = Path(path)
        when = observed_on_for(path, observed_on)
        raw = _read_json(path)
        if isinstance(raw, dict):
            raise ImportRefused(
                f"{path}: a JSON object, not genai-prices data (a JSON list of providers with "
                "'models'); an object keyed by model is LiteLLM's format: use "
                "'infermodel prices import litellm PATH'"
            )
        if not isinstance(raw, list) or not all(
            isinstance(p, dict) and "id" in p and "models" in p for p in raw
        ):
            raise ImportRefused(
                f"{path}: not genai-prices data: expected a JSON list of providers, each with "
                "'id' and 'models'"
            )
        entries = {
            f"{p['id']}/{m['id']}": (_active_json_prices(m.get("prices"), when), None)
            for p in raw
            for m in p["models"]
        }
        source_url = GENAI_PRICES_URL
        described = f"pydantic genai-prices prices/data.json dated {when.date()} (file {path.name})"
    else:
        try:
            from importlib import metadata

            from genai_prices.data import providers

            version = metadata.version("genai-prices")
        except ImportError as exc:
            raise ImportRefused(
                "the genai-prices package is not installed: pip install 'infermodel[prices]' "
                f"({exc})"
            ) from None
        when = (
            prices.parse_date(observed_on, name="--observed-on")
            if observed_on is not None
            else pd.Timestamp.today().normalize()
        )
        moment = dt.datetime.combine(when.date(), dt.time(12), tzinfo=dt.UTC)
        entries = {}
        for provider in providers:
            for model in provider.models:
                standard = model.get_prices(moment)
                batch = None
                for variant in model.price_variants or ():
                    active = variant.constraint is None or variant.constraint.active(moment)
                    if variant.when == {"processing": "batch"} and active:
                        batch = variant.prices.__dict__
                entries[f"{provider.id}/{model.id}"] = (standard.__dict__, batch)
        source_url = f"https://pypi.org/project/genai-prices/{version}/"
        described = f"the installed genai-prices {version} package data, in force on {when.date()}"
    return Source(
        name="genai-prices",
        observed_on=when,
        source_url=source_url,
        described_as=described,
        quotes=_LazyQuotes(
            entries,
            lambda k, e: _genai_quote(e[0], e[1], f"{path or 'genai-prices'}: model {k!r}"),
        ),
        key_column="genai_prices_key",
    )


# --------------------------------------------------------------------------------------
# Review and write
# --------------------------------------------------------------------------------------


@dataclass
class Review:
    """The outcome of comparing a source with the shipped observations."""

    source: Source
    table: pd.DataFrame
    rows: pd.DataFrame
    withdrawals: pd.DataFrame

    def counts(self) -> dict[str, int]:
        return self.table["status"].value_counts().to_dict()

    def render(self) -> str:
        """The review as text for a person: one line per tracked offering, then totals."""
        lines = [
            f"Review of {self.source.described_as}, observed_on {self.source.observed_on.date()}"
        ]
        for row in self.table.itertuples(index=False):
            detail = f": {row.detail}" if row.detail else ""
            lines.append(f"  {row.status:<10} {row.provider} {row.model_id} [{row.key}]{detail}")
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.counts().items()))
        lines.append(f"Totals: {counts}")
        return "\n".join(lines)


def _same(a: object, b: object) -> bool:
    a_missing, b_missing = a is None or pd.isna(a), b is None or pd.isna(b)
    if a_missing or b_missing:
        return a_missing and b_missing
    return abs(float(a) - float(b)) < 1e-9


def _fmt(value: object) -> str:
    if value is None or pd.isna(value):
        return "-"
    return f"{float(value):g}"


def _changes(old: pd.Series, new: Mapping[str, object]) -> list[str]:
    changes = []
    for name in _PRICE_FIELDS:
        before, after = old.get(name), new.get(name)
        if not _same(before, after):
            text = f"{name.removeprefix('usd_per_million_')} {_fmt(before)} -> {_fmt(after)}"
            if before is not None and not pd.isna(before) and after is not None and before:
                text += f" ({(float(after) - float(before)) / float(before):+.0%})"
            changes.append(text)
    return changes


def review(
    source: Source,
    *,
    tracked: pd.DataFrame | None = None,
    api_prices: pd.DataFrame | None = None,
    withdrawals: pd.DataFrame | None = None,
) -> Review:
    """Compare ``source`` with the shipped observations for every tracked offering.

    Statuses: ``new`` (no earlier observation), ``changed`` / ``unchanged`` (against the
    newest observation on or before the source's date), ``missing`` (the mapped key is not in
    the source or has no price), ``retired`` (the source says the model was retired on or
    before its date: a withdrawal is proposed, no price), ``withdrawn`` (a withdrawal is
    already recorded: skipped), ``duplicate`` (an observation on that date already exists).
    Offerings with no key for this source are not listed.
    """
    tracked = load_tracked() if tracked is None else tracked
    api_prices = prices.load_api_prices() if api_prices is None else api_prices
    withdrawals = prices.load_withdrawals() if withdrawals is None else withdrawals
    when = source.observed_on
    if source.key_column == "genai_prices_key":
        tracked = tracked.assign(
            genai_prices_key=tracked["genai_prices_provider"] + "/" + tracked["genai_prices_model"]
        )
    newest = prices.newest_on_or_before(api_prices, when, prices.API_KEY)
    _, withdrawn_now = prices.split_withdrawn(newest, withdrawals, when)
    withdrawn_keys = set(zip(withdrawn_now["provider"], withdrawn_now["model_id"], strict=True))
    recorded_keys = set(
        zip(
            withdrawals["provider"],
            withdrawals["model_id"],
            withdrawals["withdrawn_on"],
            strict=True,
        )
    )
    same_day = set(
        zip(
            *[api_prices.loc[api_prices["observed_on"] == when, c] for c in prices.API_KEY],
            strict=True,
        )
    )
    newest_by_key = newest.set_index(prices.API_KEY)
    source_keys = list(source.quotes.keys())
    report, rows, retire = [], [], []
    for offering in tracked.itertuples(index=False):
        row = pd.Series(offering._asdict())
        key = source.key_of(row)
        if key is None:
            continue
        ident = (row["provider"], row["model_id"])
        entry = {"provider": ident[0], "model_id": ident[1], "key": key}
        if ident in withdrawn_keys:
            report.append({**entry, "status": "withdrawn", "detail": "withdrawal on record"})
            continue
        if key not in source.quotes:
            close = difflib.get_close_matches(key, source_keys, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            report.append({**entry, "status": "missing", "detail": f"not in the source{hint}"})
            continue
        quote = source.quotes[key]
        if quote is None:
            report.append({**entry, "status": "missing", "detail": "listed without a price"})
            continue
        if quote.retired_on is not None and quote.retired_on <= when:
            detail = f"source says retired on {quote.retired_on.date()}"
            if (*ident, quote.retired_on) in recorded_keys:
                report.append({**entry, "status": "withdrawn", "detail": detail})
                continue
            report.append({**entry, "status": "retired", "detail": detail})
            retire.append(
                {
                    "provider": ident[0],
                    "model_id": ident[1],
                    "withdrawn_on": quote.retired_on,
                    "confidence": "confirmed",
                    "source_url": source.source_url,
                    "note": f"key {key} in {source.described_as} gives deprecation_date "
                    f"{quote.retired_on.date()}; imported by 'infermodel prices import "
                    f"{source.name}'",
                }
            )
            continue
        if ident in same_day:
            report.append(
                {
                    **entry,
                    "status": "duplicate",
                    "detail": f"an observation dated {when.date()} is already recorded",
                }
            )
            continue
        observation = {c: None for c in API_COLUMNS}
        observation.update(
            platform_type=row["platform_type"],
            provider=ident[0],
            model=row["model"],
            model_id=ident[1],
            observed_on=when,
            confidence="confirmed",
            source_url=source.source_url,
        )
        observation.update({k: v for k, v in quote.prices.items() if k in _PRICE_FIELDS})
        note = [f"key {key} in {source.described_as}"]
        note += quote.remarks
        if quote.retired_on is not None:
            note.append(f"source gives retirement date {quote.retired_on.date()}")
        note.append(f"imported by 'infermodel prices import {source.name}'")
        observation["note"] = "; ".join(note)
        rows.append(observation)
        if ident in newest_by_key.index:
            previous = newest_by_key.loc[ident]
            changes = _changes(previous, observation)
            since = f"vs {previous['observed_on'].date()}"
            status = "changed" if changes else "unchanged"
            detail = f"{'; '.join(changes)} ({since})" if changes else since
        else:
            status = "new"
            detail = (
                f"in {_fmt(observation['usd_per_million_input_tokens'])} / out "
                f"{_fmt(observation['usd_per_million_output_tokens'])} USD/Mtok"
            )
        report.append({**entry, "status": status, "detail": detail})
    table = pd.DataFrame(report, columns=["status", "provider", "model_id", "key", "detail"])
    return Review(
        source,
        table,
        pd.DataFrame(rows, columns=API_COLUMNS),
        pd.DataFrame(retire, columns=WITHDRAWAL_COLUMNS),
    )


def _csv_cell(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | dt.date):
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if isinstance(value, float):
        return format(round(value, 6), ".10g")
    return str(value)


def _appended(path: Path, header: list[str], rows: pd.DataFrame) -> str:
    """The text of ``path`` with ``rows`` appended (the file's existing bytes unchanged)."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if not text:
        writer.writerow(header)
    elif not text.endswith("\n"):
        text += "\n"
    for record in rows[header].itertuples(index=False):
        writer.writerow([_csv_cell(v) for v in record])
    return text + buffer.getvalue()


def _replace_atomically(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
        out.write(text)
    os.replace(temp, path)


def write(
    result: Review,
    *,
    allow_missing: bool = False,
    withdraw_missing: bool = False,
    api_path: Path = paths.API_PRICES_CSV,
    withdrawals_path: Path = prices.WITHDRAWALS_CSV,
) -> tuple[int, int]:
    """Append the reviewed observations (and withdrawals); return (rows, withdrawals) written.

    Refuses, writing nothing, when an observation for the same offering and date exists
    (``duplicate``), or when a tracked offering is ``missing`` unless ``allow_missing`` (write
    the others) or ``withdraw_missing`` (record each missing one as withdrawn on the source's
    date) is given. The appended tables are validated before either file is replaced.
    """
    table = result.table
    duplicates = table[table["status"] == "duplicate"]
    if not duplicates.empty:
        listed = ", ".join(f"{r.provider} {r.model_id}" for r in duplicates.itertuples())
        raise ImportRefused(
            f"refusing to write: {len(duplicates)} observation(s) dated "
            f"{result.source.observed_on.date()} already recorded ({listed}); this source was "
            "imported before (duplicate observation). Nothing written."
        )
    missing = table[table["status"] == "missing"]
    withdrawals = result.withdrawals
    if withdraw_missing:
        # Only offerings the source no longer lists; one listed without a price is not gone.
        unlisted = missing[missing["detail"].str.startswith("not in the source")]
        missing = missing.drop(unlisted.index)
    else:
        unlisted = missing.iloc[0:0]
    if not unlisted.empty:
        extra = pd.DataFrame(
            {
                "provider": unlisted["provider"],
                "model_id": unlisted["model_id"],
                "withdrawn_on": result.source.observed_on,
                "confidence": "estimated",
                "source_url": result.source.source_url,
                "note": "no longer listed (key " + unlisted["key"] + f") in "
                f"{result.source.described_as}; withdrawn on or before this date, exact date "
                "unknown; recorded by --withdraw-missing",
            }
        )
        withdrawals = pd.concat([withdrawals, extra], ignore_index=True)
    if not missing.empty and not allow_missing:
        listed = "\n".join(
            f"  {r.provider} {r.model_id} -> {r.key}: {r.detail}" for r in missing.itertuples()
        )
        raise ImportRefused(
            f"refusing to write: {len(missing)} tracked offering(s) map to a model the source "
            f"lacks:\n{listed}\nFix the key in {TRACKED_CSV.name}, or pass --allow-missing to "
            "write the others, or --withdraw-missing to record them as withdrawn. Nothing "
            "written."
        )
    api_text = _appended(Path(api_path), API_COLUMNS, result.rows) if len(result.rows) else None
    wd_text = (
        _appended(Path(withdrawals_path), WITHDRAWAL_COLUMNS, withdrawals)
        if len(withdrawals)
        else None
    )
    # Validate both new tables from temporary copies before touching the real files.
    with tempfile.TemporaryDirectory() as scratch:
        if api_text is not None:
            check = Path(scratch) / Path(api_path).name
            check.write_text(api_text, encoding="utf-8")
            try:
                prices.load_api_prices(check)
            except TableError as exc:
                raise ImportRefused(
                    f"refusing to write: the imported rows break the schema: {exc}"
                ) from None
        if wd_text is not None:
            check = Path(scratch) / Path(withdrawals_path).name
            check.write_text(wd_text, encoding="utf-8")
            try:
                prices.load_withdrawals(check)
            except TableError as exc:
                raise ImportRefused(
                    f"refusing to write: the withdrawals break the schema: {exc}"
                ) from None
    if api_text is not None:
        _replace_atomically(Path(api_path), api_text)
    if wd_text is not None:
        _replace_atomically(Path(withdrawals_path), wd_text)
    return len(result.rows), len(withdrawals)
