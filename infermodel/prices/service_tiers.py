"""The prices an API offering bills at a service tier, a cache lifetime and an uplift.

A provider sells the same model at several **service tiers**: the list price (``standard``,
the ``api_prices.csv`` row), and where published a ``batch`` (asynchronous, usually half
price), ``flex`` (slower, cheaper) or ``priority`` (faster, dearer) tier, each with its own
input, cached-input, cache-write and output prices and its own long-context prices
(``api_price_tiers.csv``, one row per observation, tier and context threshold).
:func:`effective_prices` gives, for each offering of a price snapshot, the prices a workload
is billed at, and :func:`unpriced` says which offerings cannot be priced as asked, and why:
never a silent fallback to another tier.

Readings (each stated where it is applied, and one argument away from the other):

- **Batch without tier rows.** Older observations give only ``batch_discount_fraction``;
  their batch prices are the standard ones times ``1 - fraction`` (basis ``derived``).
- **Cached input without a price** is billed at the tier's input price: the provider has no
  prompt caching (or the source gives no cached price for it).
- **Cache writes** are billed at the write price of the workload's cache lifetime
  (``5m`` -> ``usd_per_million_cache_write_tokens``, ``1h`` ->
  ``usd_per_million_cache_write_1h_tokens``). An offering with no write price at all
  (OpenAI, Google's implicit caching) bills writes as ordinary input; one that prices
  5-minute writes but publishes no 1-hour price cannot be priced at ``1h``.
- **Long context** applies per prompt above the tier's threshold; a tier that has no
  long-context price where the standard tier has one cannot price long prompts.
- **Uplifts** (``uplifts.csv``: data-residency or regional multipliers) multiply every token
  price of the offerings they name; an offering of the same provider that the uplift does not
  name cannot be priced with it (the provider does not sell that model that way).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

import numpy as np
import pandas as pd

from infermodel import checks, tables
from infermodel.errors import InputError
from infermodel.tables import API_KEY, CACHE_TTLS, SERVICE_TIERS, api_terms

#: The price columns of the frame :func:`effective_prices` returns, short context first.
PRICE_COLUMNS = (
    "usd_per_million_input_tokens",
    "usd_per_million_cached_input_tokens",
    "usd_per_million_cache_write_tokens",
    "usd_per_million_output_tokens",
)
LONG_COLUMNS = tuple(f"{c}_long_context" for c in PRICE_COLUMNS)
#: Token kinds a workload bills, by the price column that bills them.
KIND_OF = dict(zip(PRICE_COLUMNS, ("input", "cached input", "cache write", "output"), strict=True))


def check_service_tier(service_tier: str) -> None:
    """Raise :class:`~infermodel.errors.InputError` unless it is one of the service tiers."""
    checks.one_of("service_tier", service_tier, SERVICE_TIERS)


def check_cache_ttl(cache_ttl: str) -> None:
    """Raise :class:`~infermodel.errors.InputError` unless it is a priced cache lifetime."""
    checks.one_of("cache_ttl", cache_ttl, CACHE_TTLS)


def _write_column(cache_ttl: str) -> str:
    return (
        "usd_per_million_cache_write_tokens"
        if cache_ttl == "5m"
        else "usd_per_million_cache_write_1h_tokens"
    )


def _standard(api: pd.DataFrame, cache_ttl: str) -> pd.DataFrame:
    """The standard tier's prices, in the columns of :data:`PRICE_COLUMNS` (+ long)."""
    write = api[_write_column(cache_ttl)].astype(float)
    out = pd.DataFrame(
        {
            "usd_per_million_input_tokens": api["usd_per_million_input_tokens"].astype(float),
            "usd_per_million_cached_input_tokens": api[
                "usd_per_million_cached_input_tokens"
            ].astype(float),
            "usd_per_million_cache_write_tokens": write,
            "usd_per_million_output_tokens": api["usd_per_million_output_tokens"].astype(float),
            "long_context_threshold_tokens": api["long_context_threshold_tokens"].astype(float),
        },
        index=api.index,
    )
    long_input = api["usd_per_million_input_tokens_long_context"].astype(float)
    out["usd_per_million_input_tokens_long_context"] = long_input
    # The standard row has no long-context cached or write price: the short one applies.
    out["usd_per_million_cached_input_tokens_long_context"] = out[
        "usd_per_million_cached_input_tokens"
    ].where(long_input.notna())
    out["usd_per_million_cache_write_tokens_long_context"] = write.where(long_input.notna())
    out["usd_per_million_output_tokens_long_context"] = api[
        "usd_per_million_output_tokens_long_context"
    ].astype(float)
    return out


def _listed(api: pd.DataFrame, tiers: pd.DataFrame, tier: str, cache_ttl: str) -> pd.DataFrame:
    """A tier's prices from its rows in ``tiers`` (NaN rows for offerings without any)."""
    rows = tiers[tiers["service_tier"] == tier]
    write = _write_column(cache_ttl)
    columns = [
        "usd_per_million_input_tokens",
        "usd_per_million_cached_input_tokens",
        write,
        "usd_per_million_output_tokens",
    ]
    keys = [*API_KEY, "observed_on"]
    base = rows[rows["long_context_threshold_tokens"].isna()][[*keys, *columns]]
    base = base.rename(columns={write: "usd_per_million_cache_write_tokens"})
    # One long-context tier per offering, as in api_prices.csv: the lowest threshold.
    long = (
        rows[rows["long_context_threshold_tokens"].notna()]
        .sort_values("long_context_threshold_tokens", kind="stable")
        .groupby(keys)
        .head(1)[[*keys, "long_context_threshold_tokens", *columns]]
        .rename(columns={write: "usd_per_million_cache_write_tokens"})
    )
    long = long.rename(columns={c: f"{c}_long_context" for c in PRICE_COLUMNS})
    merged = api[keys].merge(base, on=keys, how="left").merge(long, on=keys, how="left")
    merged.index = api.index
    merged["long_context_threshold_tokens"] = merged["long_context_threshold_tokens"].astype(float)
    return merged.drop(columns=keys).astype(float)


def _fill_readings(prices: pd.DataFrame, api: pd.DataFrame) -> pd.DataFrame:
    """Cached input and cache writes the provider does not price separately, as input."""
    no_caching = api["usd_per_million_cached_input_tokens"].isna()
    no_writes = (
        api["usd_per_million_cache_write_tokens"].isna()
        & api["usd_per_million_cache_write_1h_tokens"].isna()
    )
    for suffix in ("", "_long_context"):
        source = prices[f"usd_per_million_input_tokens{suffix}"]
        cached = f"usd_per_million_cached_input_tokens{suffix}"
        write = f"usd_per_million_cache_write_tokens{suffix}"
        prices[cached] = prices[cached].where(~no_caching | prices[cached].notna(), source)
        prices[write] = prices[write].where(~no_writes | prices[write].notna(), source)
    return prices


def effective_prices(
    api: pd.DataFrame,
    tiers: pd.DataFrame,
    *,
    service_tier: str = "standard",
    cache_ttl: str = "5m",
    uplifts: pd.DataFrame | None = None,
    uplift_ids: Sequence[str] = (),
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The prices each API offering of a snapshot bills at, aligned on ``api``'s index.

    Parameters
    ----------
    api
        API rows of a price snapshot (:attr:`infermodel.prices.PriceSnapshot.api`).
    tiers
        Service-tier rows (:func:`infermodel.tables.load_api_price_tiers`); only those of
        the snapshot's observations (same offering and ``observed_on``) are used.
    service_tier
        One of :data:`infermodel.tables.SERVICE_TIERS`.
    cache_ttl
        Lifetime of cache writes, one of :data:`infermodel.tables.CACHE_TTLS`.
    uplifts, uplift_ids
        The uplift table and the ids of the uplifts the workload opts into.
    as_of
        The snapshot's date: an uplift applies from its ``effective_from``.

    Returns
    -------
    pandas.DataFrame
        :data:`PRICE_COLUMNS`, ``long_context_threshold_tokens`` and :data:`LONG_COLUMNS`
        [USD/Mtok; NaN where the tier has no price], ``service_tier``, ``tier_basis``
        (``listed``, ``derived`` from ``batch_discount_fraction``, or empty when the
        offering has no such tier), ``uplift`` (ids applied, ``+``-joined),
        ``uplift_multiplier`` (input prices) and ``uplift_multiplier_output`` [-], plus
        ``no_tier`` and ``no_uplift`` (reasons, or empty).
    """
    check_service_tier(service_tier)
    check_cache_ttl(cache_ttl)
    standard = _standard(api, cache_ttl)
    if service_tier == "standard":
        prices = standard.copy()
        basis = pd.Series("listed", index=api.index, dtype=object)
    else:
        prices = _listed(api, tiers, service_tier, cache_ttl)
        listed = prices["usd_per_million_input_tokens"].notna()
        basis = pd.Series(np.where(listed, "listed", ""), index=api.index, dtype=object)
        if service_tier == "batch":
            fraction = api["batch_discount_fraction"].astype(float)
            derive = ~listed & fraction.notna()
            factor = 1 - fraction
            for column in [*PRICE_COLUMNS, *LONG_COLUMNS]:
                prices.loc[derive, column] = standard.loc[derive, column] * factor[derive]
            prices.loc[derive, "long_context_threshold_tokens"] = standard.loc[
                derive, "long_context_threshold_tokens"
            ]
            basis[derive] = "derived"
    prices = _fill_readings(prices, api)
    # A standard long-context tier that this tier lacks: long prompts cannot be priced.
    lacks_long = (
        standard["long_context_threshold_tokens"].notna()
        & prices["long_context_threshold_tokens"].isna()
    )
    prices.loc[lacks_long, "long_context_threshold_tokens"] = standard.loc[
        lacks_long, "long_context_threshold_tokens"
    ]
    prices["service_tier"] = service_tier
    prices["cache_ttl"] = cache_ttl
    prices["tier_basis"] = basis
    prices["no_tier"] = np.where(
        basis == "",
        f"no {service_tier} tier in the source of its price observation",
        "",
    )
    (on_input, on_output), applied, refused = _uplifts(api, uplifts, uplift_ids, as_of)
    for column in [*PRICE_COLUMNS, *LONG_COLUMNS]:
        prices[column] = prices[column] * (on_output if "_output_" in column else on_input)
    prices["uplift"] = applied
    prices["uplift_multiplier"] = on_input
    prices["uplift_multiplier_output"] = on_output
    prices["no_uplift"] = refused
    return prices


def _uplifts(
    api: pd.DataFrame,
    uplifts: pd.DataFrame | None,
    uplift_ids: Sequence[str],
    as_of: pd.Timestamp | None,
) -> tuple[tuple[pd.Series, pd.Series], pd.Series, pd.Series]:
    """((input multiplier, output multiplier), ids applied, reason it cannot apply) per
    offering; a row's ``applies_to`` says which prices it multiplies (input covers cached
    input and cache writes)."""
    multiplier = pd.Series(1.0, index=api.index)
    output = pd.Series(1.0, index=api.index)
    applied = pd.Series("", index=api.index, dtype=object)
    refused = pd.Series("", index=api.index, dtype=object)
    if not uplift_ids:
        return (multiplier, output), applied, refused
    if uplifts is None or uplifts.empty:
        raise InputError("uplift: no uplifts are recorded (data/prices/uplifts.csv)")
    known = list(dict.fromkeys(uplifts["uplift_id"]))
    for uplift_id in uplift_ids:
        checks.one_of("uplift", uplift_id, known)
        rows = uplifts[uplifts["uplift_id"] == uplift_id]
        if as_of is not None:
            rows = rows[rows["effective_from"] <= as_of]
        provider = set(uplifts.loc[uplifts["uplift_id"] == uplift_id, "provider"])
        of_provider = api["provider"].isin(provider)
        matched = pd.Series(False, index=api.index)
        for row in rows.itertuples(index=False):
            hit = (api["provider"] == row.provider) & api["model_id"].map(
                lambda m, pattern=row.model_pattern: fnmatch.fnmatchcase(m, pattern)
            )
            new = hit & ~matched
            applies = getattr(row, "applies_to", "all_token_prices")
            if applies in ("all_token_prices", "input_tokens"):
                multiplier[new] *= float(row.multiplier)
            if applies in ("all_token_prices", "output_tokens"):
                output[new] *= float(row.multiplier)
            matched |= hit
        applied[matched] = [f"{a}+{uplift_id}" if a else uplift_id for a in applied[matched]]
        missing = of_provider & ~matched
        refused[missing] = f"{uplift_id} is not offered for this model"
        if as_of is not None and rows.empty:
            refused[of_provider] = f"{uplift_id} is not in force on {as_of.date()}"
    return (multiplier, output), applied, refused


def for_snapshot(
    snapshot,
    *,
    service_tier: str = "standard",
    cache_ttl: str = "5m",
    uplift_ids: Sequence[str] = (),
) -> pd.DataFrame:
    """:func:`effective_prices` of a price snapshot's API offerings, with the shipped tier
    rows and (when any uplift is asked for) the shipped uplifts."""
    return effective_prices(
        snapshot.api,
        tables.load_api_price_tiers(),
        service_tier=service_tier,
        cache_ttl=cache_ttl,
        uplifts=api_terms.load_uplifts() if uplift_ids else None,
        uplift_ids=uplift_ids,
        as_of=snapshot.as_of,
    )


def uses(*, uncached: bool, cached: bool, write: bool, output: bool) -> dict[str, bool]:
    """Which prices of :data:`PRICE_COLUMNS` a job needs, for :func:`unpriced`."""
    return dict(zip(PRICE_COLUMNS, (uncached, cached, write, output), strict=True))


def unpriced(
    prices: pd.DataFrame,
    *,
    uses: dict[str, bool],
    long_context: pd.Series | None = None,
) -> pd.Series:
    """Why each offering cannot be priced as asked ("" where it can).

    ``uses`` (:func:`uses`) says which price columns the workload needs (a job
    without cache writes needs no write price); ``long_context`` marks offerings where some
    prompts are above the threshold (then the long-context prices are needed too).
    """
    reasons = prices["no_tier"].where(prices["no_tier"] != "", prices["no_uplift"])
    if prices.empty:
        return reasons
    tier, ttl = prices["service_tier"].iloc[0], prices["cache_ttl"].iloc[0]
    kinds = {**KIND_OF, "usd_per_million_cache_write_tokens": f"{ttl} cache write"}
    for column, needed in uses.items():
        if not needed:
            continue
        gaps = [(column, None)]
        if long_context is not None:
            gaps.append((f"{column}_long_context", long_context))
        for name, where in gaps:
            missing = prices[name].isna()
            if where is not None:
                missing &= where
            label = kinds[column]
            if where is not None:
                label += " above the long-context threshold"
            add = missing & (reasons == "")
            reasons = reasons.where(~add, f"no {tier} price for {label}")
    return reasons
