"""What a FOCUS usage line bills: the token unit, the token kind, the cache lifetime, the model.

A FOCUS line of AI token usage says what it counts in three places (FOCUS 1.2; the AI keys
are being settled for a later version, FOCUS_Spec PR #2442 and #2606):

- ``ConsumedUnit`` (and ``PricingUnit``): ``Tokens``, or a multiple of them (``1K Tokens``,
  ``1000000 Tokens``, ``Million Tokens``): :func:`token_multiple`;
- ``SkuPriceDetails``, a JSON object of the SKU price's properties: the model (``ModelId``)
  and the token kind, spelled either ``TokenType`` (older samples: ``Input``, ``Output``,
  ``Cache Read``...) or ``TokenDirection`` (``Input``/``Output``) + ``TokenCacheAction``
  (``Uncached``/``Read``/``Write``): :func:`sku_facts`;
- ``SkuMeter``, the meter's name (``Cache Read Input Tokens``), read when
  ``SkuPriceDetails`` does not say the kind.

Readings (each stated where it is applied):

- **Kinds.** Four are priced, as :class:`infermodel.workloads.Workload` holds them:
  ``input`` (uncached prompt), ``cached_input`` (read from a prompt cache), ``cache_write``
  and ``output``. Reasoning ("thinking") tokens are billed as output, as every provider in the
  price sources bills them.
- **Cache lifetime.** A cache write is priced at its lifetime's write price (5 minutes or 1
  hour) where the SKU says it (a ``TokenCacheTtl``-like key, or ``1h`` / ``1 hour`` in the
  meter); where it does not, at 5 minutes, the default lifetime of the providers that price
  writes (Anthropic's prompt caching documentation), and the line says so.
- **Service tier and long context.** A SKU that names a tier (``ServiceTier`` key, or the
  word batch, flex or priority in the meter) or long context (``long context`` in the meter)
  is priced at that tier's or context's list price.

Pure text parsing: no file is read here (:mod:`infermodel.readers.focus` reads the file).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from infermodel.tables import CACHE_TTLS, SERVICE_TIERS

#: Token kinds a bill line may bill, as the kit prices them.
TOKEN_KINDS = ("input", "cached_input", "cache_write", "output")
#: The lifetime a cache write is priced at when its SKU does not say (providers' default).
DEFAULT_CACHE_TTL = "5m"
#: Token units read, for messages.
TOKEN_UNITS = "Tokens, 1K Tokens, 1M Tokens, Million Tokens or '<n> Tokens'"

_TOKEN_UNIT = re.compile(
    r"^(?:(?P<count>\d+(?:\.\d+)?)\s*(?P<si>[km])?\s+|(?P<word>thousand|million)\s+)?tokens?$"
)
_SI = {None: 1.0, "k": 1e3, "m": 1e6}
_WORDS = {"thousand": 1e3, "million": 1e6}

#: ``TokenType`` values (letters only, lower case, a trailing "tokens" dropped) -> kind.
_TYPES = {
    "input": "input",
    "prompt": "input",
    "uncachedinput": "input",
    "inputuncached": "input",
    "output": "output",
    "completion": "output",
    "reasoning": "output",
    "thinking": "output",
    "outputreasoning": "output",
    "cached": "cached_input",
    "cachedinput": "cached_input",
    "inputcached": "cached_input",
    "cacheread": "cached_input",
    "cachereadinput": "cached_input",
    "inputcacheread": "cached_input",
    "cachehit": "cached_input",
    "cachewrite": "cache_write",
    "cachewriteinput": "cache_write",
    "inputcachewrite": "cache_write",
    "cachecreation": "cache_write",
    "cachecreationinput": "cache_write",
}
_DIRECTIONS = {"input": "input", "prompt": "input", "output": "output", "completion": "output"}
_CACHE_ACTIONS = {
    "": "input",
    "none": "input",
    "uncached": "input",
    "miss": "input",
    "read": "cached_input",
    "hit": "cached_input",
    "write": "cache_write",
    "create": "cache_write",
    "creation": "cache_write",
}
#: Keys that name the model, the kind and the lifetime (matched ignoring case).
MODEL_KEYS = ("modelid", "model", "modelname")
_TTL_KEYS = ("tokencachettl", "cachettl", "tokencacheduration", "cacheduration", "cachelifetime")
_TTL_1H = re.compile(r"(?<![\d.])(1\s*-?\s*h(?:ou)?r?s?|60\s*-?\s*min(?:ute)?s?|pt1h|3600\s*s?)\b")
_TTL_5M = re.compile(r"(?<![\d.])(5\s*-?\s*m(?:in(?:ute)?s?)?|pt5m|300\s*s?)\b")
_LONG = re.compile(r"long[\s_-]*context")


def token_multiple(unit: object) -> float | None:
    """Tokens in one ``unit`` (``Tokens`` 1, ``1K Tokens`` 1,000, ``1000000 Tokens`` 1e6), or
    ``None`` for a unit that is not a count of tokens."""
    if not isinstance(unit, str):
        return None
    match = _TOKEN_UNIT.match(" ".join(unit.strip().lower().split()))
    if match is None:
        return None
    if match["word"]:
        return _WORDS[match["word"]]
    count = float(match["count"]) if match["count"] else 1.0
    return count * _SI[match["si"]] if count > 0 else None


def _letters(text: object) -> str:
    word = re.sub(r"[^a-z]", "", str(text).lower())
    return word.removesuffix("tokens").removesuffix("token")


def parse_details(text: object) -> tuple[dict, str]:
    """``SkuPriceDetails`` as ``({key in lower case: value}, problem)``; ``({}, "")`` when
    empty, ``({}, why)`` when it is not a JSON object."""
    if not isinstance(text, str) or not text.strip():
        return {}, ""
    try:
        value = json.loads(text)
    except ValueError:
        return {}, "field 'SkuPriceDetails' is not JSON (FOCUS key-value format is a JSON object)"
    if not isinstance(value, dict):
        return {}, "field 'SkuPriceDetails' is not a JSON object"
    return {str(k).lower(): v for k, v in value.items()}, ""


def _kind_from_details(details: dict) -> tuple[str, str]:
    """(kind, problem) from ``TokenType`` or ``TokenDirection`` + ``TokenCacheAction``."""
    kinds = []
    if "tokentype" in details:
        word = _letters(details["tokentype"])
        if word not in _TYPES:
            return "", f"SkuPriceDetails TokenType {details['tokentype']!r} is not a token kind"
        kinds.append(_TYPES[word])
    if "tokendirection" in details:
        direction = _DIRECTIONS.get(_letters(details["tokendirection"]))
        action = _CACHE_ACTIONS.get(_letters(details.get("tokencacheaction", "")))
        if direction is None or action is None:
            shown = {k: details[k] for k in ("tokendirection", "tokencacheaction") if k in details}
            return "", f"SkuPriceDetails {shown} is not a token kind"
        if direction == "output" and action != "input":
            return "", "SkuPriceDetails names a cache action on output tokens"
        kinds.append(direction if direction == "output" else action)
    if len(set(kinds)) > 1:
        return "", f"SkuPriceDetails TokenType and TokenDirection disagree ({' vs '.join(kinds)})"
    return (kinds[0] if kinds else ""), ""


def _kind_from_meter(meter: object) -> str:
    """The kind a ``SkuMeter`` text names ("" when it names none)."""
    text = str(meter).lower() if isinstance(meter, str) else ""
    if "cache" in text and re.search(r"\b(read|hit|cached)\b", text):
        return "cached_input"
    if "cache" in text and re.search(r"\b(write|writes|creation|create)\b", text):
        return "cache_write"
    if re.search(r"\bcached\b", text):
        return "cached_input"
    if re.search(r"\b(output|completion|reasoning|thinking)\b", text):
        return "output"
    if re.search(r"\b(input|prompt)\b", text):
        return "input"
    return ""


def _ttl(text: str) -> str | None:
    lowered = str(text).lower()
    if _TTL_1H.search(lowered):
        return "1h"
    if _TTL_5M.search(lowered):
        return "5m"
    return None


def _tier(details: dict, meter: str) -> tuple[str, str]:
    if "servicetier" in details:
        word = _letters(details["servicetier"])
        word = "standard" if word in ("default", "ondemand", "") else word
        if word not in SERVICE_TIERS:
            return "", (
                f"SkuPriceDetails ServiceTier {details['servicetier']!r} is not a tier the kit "
                f"prices ({', '.join(SERVICE_TIERS)})"
            )
        return word, ""
    for tier in SERVICE_TIERS[1:]:
        if re.search(rf"\b{tier}\b", meter):
            return tier, ""
    return "standard", ""


@dataclass(frozen=True)
class SkuFacts:
    """What one (``SkuPriceDetails``, ``SkuMeter``) pair says a line bills.

    ``kind`` is one of :data:`TOKEN_KINDS` ("" when neither says); ``cache_ttl`` the write
    lifetime ("" unless a cache write) and ``cache_ttl_from`` ``"sku"`` or ``"default"``;
    ``problem`` why the line cannot be priced ("" when it can).
    """

    model: str
    kind: str
    cache_ttl: str
    cache_ttl_from: str
    service_tier: str
    long_context: bool
    problem: str


def sku_facts(details_text: object, meter: object) -> SkuFacts:
    """Read the model, token kind, cache lifetime, tier and context of one SKU price."""
    details, problem = parse_details(details_text)
    meter_text = str(meter).lower() if isinstance(meter, str) else ""
    model = next((str(details[k]).strip() for k in MODEL_KEYS if details.get(k)), "")
    kind, kind_problem = _kind_from_details(details)
    if not kind and not kind_problem:
        kind = _kind_from_meter(meter)
    problems = [p for p in (problem, kind_problem) if p]
    if not kind and not problems:
        problems.append(
            f"neither SkuPriceDetails (TokenType, or TokenDirection and TokenCacheAction) nor "
            f"SkuMeter {meter!r} says which tokens these are (input, cached input, cache write "
            "or output)"
        )
    ttl, ttl_from = "", ""
    if kind == "cache_write":
        given = next((details[k] for k in _TTL_KEYS if k in details), None)
        if given is not None:
            ttl, ttl_from = _ttl(str(given)) or "", "sku"
            if not ttl:
                problems.append(
                    f"SkuPriceDetails cache lifetime {given!r} is not one the kit prices "
                    f"({', '.join(CACHE_TTLS)})"
                )
        elif _ttl(meter_text):
            ttl, ttl_from = _ttl(meter_text), "sku"
        else:
            ttl, ttl_from = DEFAULT_CACHE_TTL, "default"
    tier, tier_problem = _tier(details, meter_text)
    if tier_problem:
        problems.append(tier_problem)
    long_context = bool(_LONG.search(meter_text)) or str(
        details.get("contexttier", details.get("longcontext", ""))
    ).lower() in ("long", "true", "1")
    return SkuFacts(model, kind, ttl, ttl_from, tier, long_context, "; ".join(problems))
