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

from infermodel import checks
from infermodel.readers.price_files import (
    ImportRefused,
    LazyQuotes,
    Quote,
    Source,
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
            f"{p['id']}/{m['id']}": (_active_json_prices(m.get("prices"), when), None)
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
            checks.date(observed_on, name="--observed-on")
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
        quotes=LazyQuotes(
            entries,
            lambda k, e: _genai_quote(e[0], e[1], f"{path or 'genai-prices'}: model {k!r}"),
        ),
        key_column="genai_prices_key",
    )
