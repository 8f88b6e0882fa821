"""pydantic's genai-prices data, from the installed package or a copy of ``data.json``.

A JSON list of providers, each with models; prices in **USD per million tokens**, possibly
with date conditions and tiers, and a ``processing: batch`` price variant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import pandas as pd

from infermodel.readers.price_files import (
    ImportRefused,
    LazyQuotes,
    Quote,
    Source,
    observed_date,
    observed_on_for,
    per_million,
    read_json,
)

GENAI_PRICES_URL = "https://github.com/pydantic/genai-prices/blob/main/prices/data.json"


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
        return per_million(_number(value), per_token=False, where=where, field_name=name)

    quote = Quote({})
    columns = {
        "input_mtok": "usd_per_million_input_tokens",
        "output_mtok": "usd_per_million_output_tokens",
        "cache_read_mtok": "usd_per_million_cached_input_tokens",
        "cache_write_mtok": "usd_per_million_cache_write_tokens",
        "cache_write_1h_mtok": "usd_per_million_cache_write_1h_tokens",
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
        for source_name, column in list(columns.items())[2:]:
            tiers = dict(tier_starts.get(source_name, []))
            if start in tiers and quote.prices[column] is not None:
                quote.prices[f"{column}_long_context"] = get(f"{source_name} tier", tiers[start])
                quote.remarks.append(f"long-context {source_name} from its tier at {start}")
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


def _json_start_dates(prices_field: object, when: pd.Timestamp) -> list[pd.Timestamp]:
    """The start dates after ``when`` of a JSON ``prices`` field's conditions."""
    if isinstance(prices_field, dict):
        return []
    starts = [
        pd.Timestamp((c.get("constraint") or {}).get("start_date"))
        for c in prices_field or []
        if (c.get("constraint") or {}).get("start_date") is not None
    ]
    return sorted({d.normalize() for d in starts if d.normalize() > when})


def _package_start_dates(model, when: pd.Timestamp) -> list[pd.Timestamp]:
    """The start dates after ``when`` of an installed model's conditional prices."""
    if not isinstance(model.prices, list):
        return []
    starts = [
        pd.Timestamp(c.constraint.start_date)
        for c in model.prices
        if c.constraint is not None and hasattr(c.constraint, "start_date")
    ]
    return sorted({d for d in starts if d > when})


def _with_announced(quote: Quote | None, later: list[tuple[pd.Timestamp, Quote | None]]):
    """``quote`` carrying the prices announced for later dates (those that price)."""
    if quote is not None:
        quote.announced = [(day, q) for day, q in later if q is not None]
    return quote


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
        raw = read_json(path)
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
            f"{p['id']}/{m['id']}": (
                _active_json_prices(m.get("prices"), when),
                None,
                [
                    (day, _active_json_prices(m.get("prices"), day), None)
                    for day in _json_start_dates(m.get("prices"), when)
                ],
            )
            for p in raw
            for m in p["models"]
        }
        source_url = GENAI_PRICES_URL
        described = f"pydantic genai-prices prices/data.json dated {when.date()} (file {path.name})"
    else:
        try:
            # genai-prices is an optional extra (infermodel[prices]): imported only when used.
            from genai_prices.data import providers

            version = metadata.version("genai-prices")
        except ImportError as exc:
            raise ImportRefused(
                "the genai-prices package is not installed: pip install 'infermodel[prices]' "
                f"({exc})"
            ) from None
        when = (
            observed_date(observed_on, "--observed-on")
            if observed_on is not None
            else pd.Timestamp.today().normalize()
        )
        moment = _noon(when)
        entries = {}
        for provider in providers:
            for model in provider.models:
                entries[f"{provider.id}/{model.id}"] = (
                    *_package_prices(model, moment),
                    [
                        (day, *_package_prices(model, _noon(day)))
                        for day in _package_start_dates(model, when)
                    ],
                )
        source_url = f"https://pypi.org/project/genai-prices/{version}/"
        described = f"the installed genai-prices {version} package data, in force on {when.date()}"
    return Source(
        name="genai-prices",
        observed_on=when,
        source_url=source_url,
        described_as=described,
        quotes=LazyQuotes(entries, lambda k, e: _quote_of(k, e, path)),
        key_column="genai_prices_key",
    )


def _noon(day: pd.Timestamp) -> dt.datetime:
    return dt.datetime.combine(day.date(), dt.time(12), tzinfo=dt.UTC)


def _package_prices(model, moment: dt.datetime) -> tuple[dict, dict | None]:
    """(standard price map, batch price map or None) of an installed model at ``moment``."""
    batch = None
    for variant in model.price_variants or ():
        active = variant.constraint is None or variant.constraint.active(moment)
        if variant.when == {"processing": "batch"} and active:
            batch = variant.prices.__dict__
    return model.get_prices(moment).__dict__, batch


def _quote_of(key: str, entry: tuple, path: Path | None) -> Quote | None:
    """The quote of one entry (price map, batch map, [(start, price map, batch map)])."""
    where = f"{path or 'genai-prices'}: model {key!r}"
    standard, batch, later = entry
    announced = [
        (day, _genai_quote(prices, later_batch, f"{where}, from {day.date()}"))
        for day, prices, later_batch in later
    ]
    return _with_announced(_genai_quote(standard, batch, where), announced)
