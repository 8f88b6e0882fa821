"""LiteLLM's price file (``model_prices_and_context_window.json``), read into a Source.

A JSON object keyed by model, prices in **USD per token**: input, output, cache read and
cache creation (``cache_creation_input_token_cost`` is the 5-minute write,
``..._above_1hr`` the 1-hour one), service tiers (suffixes ``_batches``, ``_flex``,
``_priority``) and long-context tiers (``*_above_<N>k_tokens``, inside each service tier).
Its ``deprecation_date`` is read as a *scheduled* retirement date (often release + 1 year,
set by LiteLLM): a plan, never a withdrawal.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import zipfile
from collections.abc import Mapping
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

LITELLM_URL = "https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json"
#: The price file inside every litellm wheel (and installed package).
PACKAGED_FILE = "model_prices_and_context_window_backup.json"


def package_url(version: str) -> str:
    """The PyPI page of a litellm release."""
    return f"https://pypi.org/project/litellm/{version}/"


#: LiteLLM's suffix of each service tier the kit prices.
TIER_SUFFIXES = {"batch": "_batches", "flex": "_flex", "priority": "_priority"}
#: LiteLLM's field (before tier and context suffixes) of each tier price column.
_TIER_FIELDS = {
    "usd_per_million_input_tokens": "input_cost_per_token",
    "usd_per_million_cached_input_tokens": "cache_read_input_token_cost",
    "usd_per_million_cache_write_tokens": "cache_creation_input_token_cost",
    "usd_per_million_cache_write_1h_tokens": "cache_creation_input_token_cost_above_1hr",
    "usd_per_million_output_tokens": "output_cost_per_token",
}


def _tier_rows(entry: Mapping, get) -> list[dict[str, object]]:
    """One row per (service tier, context threshold) the entry prices input and output for."""
    thresholds = sorted(
        {
            int(m.group(1))
            for name in entry
            if (m := re.fullmatch(r"input_cost_per_token_above_(\d+)k_tokens(_\w+)?", name))
        }
    )
    rows = []
    for tier, suffix in TIER_SUFFIXES.items():
        for threshold in [None, *thresholds]:
            context = "" if threshold is None else f"_above_{threshold}k_tokens"
            # A 1-hour write above a threshold is spelled ..._above_1hr_above_<N>k_tokens.
            row = {column: get(f"{name}{context}{suffix}") for column, name in _TIER_FIELDS.items()}
            if row["usd_per_million_input_tokens"] is None:
                continue
            if row["usd_per_million_output_tokens"] is None:
                continue
            rows.append(
                {
                    "service_tier": tier,
                    "long_context_threshold_tokens": None
                    if threshold is None
                    else threshold * 1000,
                    **row,
                }
            )
    return rows


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
            "usd_per_million_cache_write_1h_tokens": get(
                "cache_creation_input_token_cost_above_1hr"
            ),
        }
    )
    quote.tiers = _tier_rows(entry, get)
    if quote.tiers:
        listed = sorted({t["service_tier"] for t in quote.tiers}, key=list(TIER_SUFFIXES).index)
        quote.remarks.append(f"service tiers {'/'.join(listed)} from *_batches/_flex/_priority")
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


def _source(
    raw: object, where: str, when: pd.Timestamp, *, source_url: str, described_as: str
) -> Source:
    if isinstance(raw, list):
        raise ImportRefused(
            f"{where}: a JSON list, not a LiteLLM price file (a JSON object keyed by model "
            "name); a list of providers is genai-prices' format: use "
            "'infermodel prices import genai-prices --file PATH'"
        )
    if not isinstance(raw, dict) or not any(
        isinstance(v, dict) and "input_cost_per_token" in v for v in raw.values()
    ):
        raise ImportRefused(
            f"{where}: not a LiteLLM price file: expected a JSON object of model keys whose "
            "entries carry 'input_cost_per_token' and 'output_cost_per_token'"
        )
    entries = {k: v for k, v in raw.items() if isinstance(v, dict)}
    return Source(
        name="litellm",
        observed_on=when,
        source_url=source_url,
        described_as=described_as,
        quotes=LazyQuotes(entries, lambda k, e: _litellm_quote(k, e, f"{where}: key {k!r}")),
        key_column="litellm_key",
    )


def read_litellm(
    path: Path, *, observed_on: object | None = None, package_version: str | None = None
) -> Source:
    """Read a LiteLLM ``model_prices_and_context_window.json`` copy.

    Parameters
    ----------
    path
        The JSON file.
    observed_on
        The date the file speaks for (``YYYY-MM-DD``); by default a date in the file name.
    package_version
        The litellm release the file was taken from (its wheel's price file), if it was;
        the observations then cite that release on PyPI.

    Raises
    ------
    ImportRefused
        The file is missing, not JSON, in another format, or has no date.
    """
    path = Path(path)
    when = observed_on_for(path, observed_on)
    described = f"the LiteLLM snapshot dated {when.date()} (file {path.name})"
    url = LITELLM_URL
    if package_version is not None:
        described = (
            f"the price file of the litellm {package_version} wheel, read {when.date()} "
            f"(file {path.name})"
        )
        url = package_url(package_version)
    return _source(read_json(path), str(path), when, source_url=url, described_as=described)


def _today() -> pd.Timestamp:
    return pd.Timestamp.today().normalize()


def read_litellm_wheel(path: Path, *, observed_on: object | None = None) -> Source:
    """Read the price file inside a litellm wheel (``pip download litellm --no-deps``).

    The observations are dated ``observed_on`` (default: today, the day the file is read)
    and cite the wheel's release on PyPI, by the version in its metadata.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as wheel:
            names = wheel.namelist()
            member = next((n for n in names if n == f"litellm/{PACKAGED_FILE}"), None)
            meta = next((n for n in names if n.endswith(".dist-info/METADATA")), None)
            if member is None or meta is None:
                raise ImportRefused(
                    f"{path}: not a litellm wheel: it has no litellm/{PACKAGED_FILE} or no "
                    "metadata (get one with 'pip download litellm --no-deps')"
                )
            version = _version(wheel.read(meta).decode("utf-8", "replace"), path)
            raw = json.loads(wheel.read(member))
    except FileNotFoundError:
        raise ImportRefused(f"{path}: no such file") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportRefused(f"{path}: not a wheel (zip) file ({exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportRefused(f"{path}: litellm/{PACKAGED_FILE} is not JSON ({exc})") from None
    when = _today() if observed_on is None else checks.date(observed_on)
    described = f"the price file of the litellm {version} wheel, read {when.date()} ({path.name})"
    return _source(
        raw, f"{path}:{member}", when, source_url=package_url(version), described_as=described
    )


def _version(metadata: str, path: Path) -> str:
    found = re.search(r"^Version:\s*(\S+)\s*$", metadata, re.MULTILINE)
    if not found:
        raise ImportRefused(f"{path}: the wheel's metadata gives no Version")
    return found.group(1)


def read_litellm_installed(*, observed_on: object | None = None) -> Source:
    """Read the price file of the installed litellm package (without importing it)."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        raise ImportRefused(
            "litellm is not installed here: install it ('pip install litellm') or give a "
            "wheel with --from-wheel PATH ('pip download litellm --no-deps')"
        )
    file = Path(next(iter(spec.submodule_search_locations))) / PACKAGED_FILE
    version = importlib.metadata.version("litellm")
    when = _today() if observed_on is None else checks.date(observed_on)
    described = f"the price file of the installed litellm {version}, read {when.date()}"
    return _source(
        read_json(file), str(file), when, source_url=package_url(version), described_as=described
    )
