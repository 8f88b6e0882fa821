"""LiteLLM's price file (``model_prices_and_context_window.json``), read into a Source.

A JSON object keyed by model, prices in **USD per token**: input, output, cache read and
cache creation, batch prices (``*_batches``) and long-context tiers
(``*_above_<N>k_tokens``). Its ``deprecation_date`` is read as a *scheduled* retirement
date (often release + 1 year, set by LiteLLM): a plan, never a withdrawal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from infermodel import checks
from infermodel.readers.price_sources import (
    ImportRefused,
    LazyQuotes,
    Quote,
    Source,
    observed_on_for,
    per_million,
    read_json,
)

LITELLM_URL = "https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json"


def _litellm_quote(key: str, entry: Mapping, where: str) -> Quote | None:
    if entry.get("input_cost_per_token") is None or entry.get("output_cost_per_token") is None:
        return None

    def get(name: str) -> float | None:
        return per_million(entry.get(name), per_token=True, where=where, field_name=name)

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
            quote.scheduled_retirement_on = checks.date(entry["deprecation_date"])
        except ValueError:  # checks.date raises InputError, a ValueError
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
    raw = read_json(path)
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
        quotes=LazyQuotes(entries, lambda k, e: _litellm_quote(k, e, f"{path}: key {k!r}")),
        key_column="litellm_key",
    )
