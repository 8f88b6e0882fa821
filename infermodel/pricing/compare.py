"""One workload priced on every offering, as one tidy table.

:func:`cost_table` is the single place where a workload meets the prices: notebooks, the
command line and the tests all call it. API offerings are priced per token
(:func:`infermodel.formulas.api_cost_usd`); each rented-GPU offering is priced once per
serving assumption that fits on it (:func:`infermodel.formulas.gpu_cost_usd`).

Readings chosen where the article is ambiguous (each one parameter away from the other):

- DIY GPU time is driven by *all* tokens of the job, as in the article's formula
  ("total tokens / throughput"); ``diy_token_basis="output"`` counts generated tokens only,
  for a throughput measured in output tokens with prompts processed on the side.
- API long-context tiers apply when the *average* prompt per request exceeds the tier's
  threshold (a workload given as totals has no per-request lengths).
- API offerings are priced at their list (``standard``) tier by default, as the article
  does; ``service_tier`` prices the batch, flex or priority tier where the provider publishes
  one (:mod:`infermodel.prices.service_tiers`), and leaves out those that do not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from infermodel import checks, formulas, tables
from infermodel.errors import InputError
from infermodel.prices import PriceSnapshot, service_tiers
from infermodel.pricing import contracts
from infermodel.tables import PLATFORM_LABELS, PLATFORM_TYPES, gpu_billing, offerings
from infermodel.tables import serving as serving_mod
from infermodel.workloads import Workload

DIY_TOKEN_BASES = ("total", "output")


def check_diy_token_basis(diy_token_basis: str) -> None:
    """Raise :class:`~infermodel.errors.InputError` unless it is one of :data:`DIY_TOKEN_BASES`."""
    checks.one_of("diy_token_basis", diy_token_basis, DIY_TOKEN_BASES)


#: Columns of :func:`cost_table`, in order (declared in
#: :data:`infermodel.pricing.contracts.COST_TABLE`).
COLUMNS = list(contracts.COST_TABLE.columns)


def api_prices(
    workload: Workload,
    snapshot: PriceSnapshot,
    *,
    service_tier: str = "standard",
    uplifts: Sequence[str] = (),
) -> pd.DataFrame:
    """The prices each API offering of ``snapshot`` bills ``workload`` at, and why not.

    :func:`infermodel.prices.service_tiers.effective_prices` at the workload's cache lifetime,
    plus ``long_context_applied`` (the average prompt per request is above the tier's
    threshold) and ``unpriced_reason`` ("" where the offering can be priced as asked).
    """
    prices = service_tiers.for_snapshot(
        snapshot, service_tier=service_tier, cache_ttl=workload.cache_ttl, uplift_ids=uplifts
    )
    long_context = pd.Series(False, index=snapshot.api.index)
    if workload.requests:
        prompt_per_request = workload.prompt_tokens / workload.requests
        threshold = prices["long_context_threshold_tokens"]
        long_context = threshold.notna() & (prompt_per_request > threshold)
    uses = service_tiers.uses(
        uncached=workload.input_tokens > 0,
        cached=workload.cached_input_tokens > 0,
        write=workload.cache_write_tokens > 0,
        output=workload.output_tokens > 0,
    )
    prices["long_context_applied"] = long_context
    prices["unpriced_reason"] = service_tiers.unpriced(prices, uses=uses, long_context=long_context)
    for column in service_tiers.PRICE_COLUMNS:
        prices[column] = prices[column].where(~long_context, prices[f"{column}_long_context"])
    return prices


def left_out_frame(api: pd.DataFrame, reasons: pd.Series) -> pd.DataFrame:
    """API offerings left out of a table and why: ``offering_id``, ``provider``, ``model``,
    ``reason`` (``reasons`` aligned on ``api``)."""
    return pd.DataFrame(
        {
            "offering_id": offerings.ids(api) if len(api) else pd.Series(dtype=object),
            "provider": api["provider"].to_numpy(),
            "model": api["model"].to_numpy(),
            "reason": reasons.to_numpy(),
        }
    )


def api_unpriced(workload: Workload, snapshot: PriceSnapshot, **tier_options) -> pd.DataFrame:
    """API offerings :func:`cost_table` leaves out at these tier options, and why
    (:func:`left_out_frame`; empty when all are priced)."""
    if snapshot.api.empty:
        return left_out_frame(snapshot.api, pd.Series(dtype=object))
    prices = api_prices(workload, snapshot, **tier_options)
    gone = prices["unpriced_reason"] != ""
    return left_out_frame(snapshot.api[gone], prices.loc[gone, "unpriced_reason"])


def api_rows(
    workload: Workload,
    snapshot: PriceSnapshot,
    *,
    service_tier: str = "standard",
    uplifts: Sequence[str] = (),
) -> pd.DataFrame:
    """Price ``workload`` on each API offering of ``snapshot`` that sells it as asked.

    Offerings without the service tier, the cache lifetime's write price or the uplift are
    left out (:func:`api_unpriced` lists them); none is priced at another tier instead.
    """
    api = snapshot.api
    prices = api_prices(workload, snapshot, service_tier=service_tier, uplifts=uplifts)
    keep = prices["unpriced_reason"] == ""
    api, prices = api[keep], prices[keep]
    cost = formulas.api_cost_usd(
        workload.input_tokens,
        workload.output_tokens,
        prices["usd_per_million_input_tokens"],
        prices["usd_per_million_output_tokens"],
        cached_input_tokens=workload.cached_input_tokens,
        usd_per_million_cached_input_tokens=prices["usd_per_million_cached_input_tokens"].fillna(
            prices["usd_per_million_input_tokens"]
        ),
        cache_write_tokens=workload.cache_write_tokens,
        usd_per_million_cache_write_tokens=prices["usd_per_million_cache_write_tokens"].fillna(
            prices["usd_per_million_input_tokens"]
        ),
    )
    return pd.DataFrame(
        {
            "platform_type": api["platform_type"],
            "provider": api["provider"],
            "model": api["model"],
            "model_id": api["model_id"],
            "usd_per_million_input_tokens": prices["usd_per_million_input_tokens"],
            "usd_per_million_output_tokens": prices["usd_per_million_output_tokens"],
            "usd_per_million_cached_input_tokens": prices["usd_per_million_cached_input_tokens"],
            "usd_per_million_cache_write_tokens": prices["usd_per_million_cache_write_tokens"],
            "service_tier": prices["service_tier"],
            "uplift": prices["uplift"].replace("", None),
            "batch_api_applied": prices["service_tier"] == "batch",
            "long_context_applied": prices["long_context_applied"],
            "cost_usd": cost,
            "observed_on": api["observed_on"],
            "age_days": api["age_days"],
            "stale": api["stale"],
            "confidence": api["confidence"],
            "source_url": api["source_url"],
        }
    )


def diy_rows(
    workload: Workload,
    priced_pairs: pd.DataFrame,
    *,
    utilization: float,
    diy_token_basis: str = "total",
) -> pd.DataFrame:
    """Price ``workload`` on each priceable (GPU offering, serving assumption) pair."""
    check_diy_token_basis(diy_token_basis)
    tokens = workload.total_tokens if diy_token_basis == "total" else workload.output_tokens
    tps = priced_pairs["tokens_per_second"]
    gpus = priced_pairs["gpus_per_replica"]
    # Spot capacity: each interruption costs a restart and the in-flight work again (one
    # mean request at the replica's rate when the workload says how many requests it is).
    spot = spot_time_factors(priced_pairs, tokens / workload.requests if workload.requests else 0)
    return pd.DataFrame(
        {
            "platform_type": priced_pairs["platform_type"],
            "provider": priced_pairs["provider"],
            "model": priced_pairs["model"] + " (" + priced_pairs["precision"] + ")",
            "gpu": priced_pairs["gpu"],
            "tier": priced_pairs["tier"],
            "pricing": priced_pairs["pricing"],
            "serving_assumption": priced_pairs["assumption_id"],
            "mode": priced_pairs["mode"],
            "gpus_per_replica": gpus,
            "tokens_per_second": tps,
            "utilization": float(utilization),
            "usd_per_gpu_hour": priced_pairs["usd_per_gpu_hour"],
            "gpu_hours": formulas.gpu_hours(tokens, tps, utilization, gpus_per_replica=gpus) * spot,
            "wall_clock_hours": formulas.wall_clock_hours(tokens, tps, utilization) * spot,
            "cost_usd": formulas.gpu_cost_usd(
                tokens, tps, utilization, priced_pairs["usd_per_gpu_hour"], gpus_per_replica=gpus
            )
            * spot,
            "spot_time_factor": spot,
            "observed_on": priced_pairs["observed_on"],
            "age_days": priced_pairs["age_days"],
            "stale": priced_pairs["stale"],
            "confidence": priced_pairs["confidence"],
            "source_url": priced_pairs["source_url"],
            "serving_source_url": priced_pairs["serving_source_url"],
        }
    )


def spot_time_factors(priced_pairs: pd.DataFrame, mean_request_tokens: float) -> np.ndarray:
    """Time bought per useful time of each pair: >= 1 on spot capacity, 1 elsewhere. [-]

    Spot rows take their interruption rate and restart time from
    ``gpu_billing_rules.csv`` (:func:`infermodel.formulas.spot_time_factor`); the lost work
    per interruption is the restart plus ``mean_request_tokens`` [tokens] at the pair's rate.
    """
    factors = np.ones(len(priced_pairs))
    spot = (priced_pairs["pricing"] == "spot").to_numpy()
    if not spot.any():
        return factors
    rows = priced_pairs[spot]
    rules = gpu_billing.rules_for(rows, rows["observed_on"].max())
    rate = rules["interruptions_per_hour"].astype(float).fillna(0.0).to_numpy()
    restart = rules["restart_seconds"].astype(float).fillna(0.0).to_numpy()
    redo = mean_request_tokens / rows["tokens_per_second"].to_numpy(dtype=float)
    factors[spot] = formulas.spot_time_factor(rate, restart + redo)
    return factors


def cost_table(
    workload: Workload,
    prices: PriceSnapshot,
    serving: pd.DataFrame,
    *,
    gpu_specs: pd.DataFrame | None = None,
    utilization: float = 0.8,
    diy_token_basis: str = "total",
    use_batch_api: bool = False,
    service_tier: str = "standard",
    uplifts: Sequence[str] = (),
) -> pd.DataFrame:
    """Price one workload on every offering of a price snapshot.

    Parameters
    ----------
    workload
        Token volumes of the job.
    prices
        Prices in force on a date (:func:`infermodel.prices.as_of`), possibly narrowed with
        :meth:`~infermodel.prices.PriceSnapshot.select`.
    serving
        Serving assumptions for the DIY rows (:func:`infermodel.tables.serving.select`).
    gpu_specs
        GPU memory table used to decide which assumptions fit on which GPU; the shipped
        table by default.
    utilization
        Fraction of paid GPU time spent serving, in (0, 1]; the article uses 0.8. [-]
    diy_token_basis
        ``"total"`` (the article's formula) or ``"output"``: which tokens take GPU time.
    use_batch_api
        Same as ``service_tier="batch"`` (kept for older callers).
    service_tier
        Price API offerings at this tier (:data:`infermodel.tables.SERVICE_TIERS`); an
        offering without it is left out (listed by :func:`api_unpriced`), never priced at
        another tier. GPU rows have no tiers.
    uplifts
        Ids of ``uplifts.csv`` rows the workload opts into (e.g. data residency); offerings
        of that provider the uplift does not cover are left out.

    Returns
    -------
    pandas.DataFrame
        One row per API offering and per priced (GPU offering, serving assumption) pair,
        columns :data:`COLUMNS`, sorted by platform type then cost. ``offering_id`` is the
        row's stable id (:mod:`infermodel.tables.offerings`). ``cost_usd`` [USD],
        ``usd_per_million_tokens`` [USD/Mtok] over all tokens of the workload,
        ``multiple_of_cheapest`` [-] against the cheapest row. API rows leave the GPU
        columns empty. API offerings left out at the tier or uplift asked for are listed,
        with the reason, by :func:`api_unpriced`.
    """
    checks.number("utilization", utilization, low=0, high=1, low_open=True)
    service_tier = tier_asked(service_tier, use_batch_api)
    frames = []
    if not prices.api.empty:
        rows = api_rows(workload, prices, service_tier=service_tier, uplifts=uplifts)
        if not rows.empty:
            frames.append(rows)
    priced = priced_pairs(prices, serving, gpu_specs)
    if not priced.empty:
        frames.append(
            diy_rows(workload, priced, utilization=utilization, diy_token_basis=diy_token_basis)
        )
    if not frames:
        raise InputError(
            f"nothing to price as of {prices.as_of.date()}: no API offering at the "
            f"{service_tier} tier and no GPU offering with a serving assumption that fits"
        )
    table = pd.concat(frames, ignore_index=True).reindex(columns=COLUMNS)
    table["input_tokens"] = workload.input_tokens
    table["cached_input_tokens"] = workload.cached_input_tokens
    table["cache_write_tokens"] = workload.cache_write_tokens
    table["output_tokens"] = workload.output_tokens
    table["total_tokens"] = workload.total_tokens
    table.loc[table["platform_type"] != "diy_gpu", "utilization"] = np.nan
    for flag in ("batch_api_applied", "long_context_applied"):
        table[flag] = table[flag].astype("boolean")
    return contracts.typed(finish(table, workload.total_tokens), contracts.COST_TABLE)


def tier_asked(service_tier: str, use_batch_api: bool) -> str:
    """The service tier, with ``use_batch_api`` as an alias of ``"batch"``."""
    service_tiers.check_service_tier(service_tier)
    if use_batch_api and service_tier not in ("standard", "batch"):
        raise InputError(
            f"use_batch_api (--batch-api) is the batch tier; it conflicts with service tier "
            f"{service_tier!r}: give one of them"
        )
    return "batch" if use_batch_api else service_tier


def priced_pairs(
    prices: PriceSnapshot, serving: pd.DataFrame, gpu_specs: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The (GPU offering, serving assumption) pairs of a snapshot that can be priced.

    Rows of :func:`infermodel.tables.serving.pairs` whose model fits on the GPU offering; empty when
    the snapshot has no GPU offering or no assumption is given.
    """
    if prices.gpu.empty or serving.empty:
        return pd.DataFrame()
    specs = tables.load_gpu_specs() if gpu_specs is None else gpu_specs
    grid = serving_mod.pairs(prices.gpu, serving, specs)
    return grid[grid["priced"]].reset_index(drop=True)


def finish(table: pd.DataFrame, total_tokens: float) -> pd.DataFrame:
    """Ids, platform labels, price per token and multiple of the cheapest; display order.

    The last step of every table of offerings (:func:`cost_table`,
    :func:`infermodel.pricing.trace_pricing.price_trace`): ``offering_id`` and ``platform`` filled,
    ``usd_per_million_tokens`` over ``total_tokens`` [tokens], ``multiple_of_cheapest``
    against the cheapest row, rows sorted by platform type in display order, then cost.
    """
    table["offering_id"] = offerings.ids(table)
    table["platform"] = table["platform_type"].map(PLATFORM_LABELS)
    table["usd_per_million_tokens"] = formulas.usd_per_million_tokens(
        table["cost_usd"], total_tokens
    )
    cheapest = table["cost_usd"].min()
    # A free cheapest row (a cost that underflows to 0) is 1x itself; the rest infinitely more.
    table["multiple_of_cheapest"] = (
        table["cost_usd"] / cheapest
        if cheapest > 0
        else np.where(table["cost_usd"] == 0, 1.0, np.inf)
    )
    order = table["platform_type"].map({t: i for i, t in enumerate(PLATFORM_TYPES)})
    return (
        table.assign(_order=order)
        .sort_values(["_order", "cost_usd", "provider", "model"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def unpriced(
    prices: PriceSnapshot, serving: pd.DataFrame, gpu_specs: pd.DataFrame | None = None
) -> pd.DataFrame:
    """GPU offerings x serving assumptions that :func:`cost_table` leaves out, and why."""
    specs = tables.load_gpu_specs() if gpu_specs is None else gpu_specs
    grid = serving_mod.pairs(prices.gpu, serving, specs)
    return grid.loc[
        ~grid["priced"], ["provider", "gpu", "tier", "assumption_id", "reason"]
    ].reset_index(drop=True)


def cheapest_by_platform(table: pd.DataFrame) -> pd.DataFrame:
    """The cheapest row of each platform type in a :func:`cost_table`, with ratios.

    ``times_next_type`` compares each type's cheapest cost with the next type's cheapest
    (proprietary / managed, managed / DIY): the article's "up to ~10x" and "another 5-10x".
    """
    best = (
        table.sort_values("cost_usd", kind="stable")
        .groupby("platform_type", sort=False)
        .head(1)
        .set_index("platform_type")
        .reindex([t for t in PLATFORM_TYPES if t in set(table["platform_type"])])
    )
    summary = best[
        [
            "platform",
            "provider",
            "model",
            "gpu",
            "serving_assumption",
            "cost_usd",
            "usd_per_million_tokens",
        ]
    ].copy()
    summary["times_next_type"] = summary["cost_usd"] / summary["cost_usd"].shift(-1)
    return summary.reset_index()


STACK_COMPONENTS = ("base", "ip_markup", "platform_overhead", "latency_penalty")


def price_stacks(
    table: pd.DataFrame,
    *,
    base_usd_per_million_tokens: float,
    proprietary_overhead_share: float,
    batch_discounts: pd.Series,
    offerings: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Split each API offering's price per token into the article's four layers.

    Parameters
    ----------
    table
        A :func:`cost_table` (its API rows are used).
    base_usd_per_million_tokens
        Compute cost of serving a model, e.g. a DIY batch row's ``usd_per_million_tokens``
        (derived from a cited GPU price and a serving assumption). [USD/Mtok]
    proprietary_overhead_share
        Platform overhead assumed for proprietary APIs, as a fraction of the list price in
        [0, 1); no provider publishes it, so it is *illustrative*. [-]
    batch_discounts
        Batch-API discount fraction per ``model_id`` (missing: none published).
    offerings
        ``model_id`` values to include, in order; all API rows by default.

    Returns
    -------
    pandas.DataFrame
        Long table: ``model``, ``model_id``, ``platform_type``, ``component``,
        ``usd_per_million_tokens`` [USD/Mtok], ``share_of_price`` [-] and ``basis``:
        ``derived`` (base), ``sourced`` (latency penalty = the provider's own batch
        discount), ``illustrative`` (proprietary overhead) or ``remainder`` (what is left of
        the list price).
    """
    if not 0 <= proprietary_overhead_share < 1:
        raise InputError(
            f"proprietary_overhead_share must be in [0, 1), got {proprietary_overhead_share!r}"
        )
    api = table[table["platform_type"] != "diy_gpu"].drop_duplicates("model_id")
    if offerings is not None:
        missing = [o for o in offerings if o not in set(api["model_id"])]
        if missing:
            raise InputError(
                f"unknown API offering {missing[0]!r}; valid: {', '.join(api['model_id'])}"
            )
        api = api.set_index("model_id").loc[list(offerings)].reset_index()
    price = api["usd_per_million_tokens"].to_numpy()
    discount = api["model_id"].map(batch_discounts).astype(float).fillna(0.0).to_numpy()
    proprietary = (api["platform_type"] == "proprietary_api").to_numpy()
    base = np.full_like(price, base_usd_per_million_tokens)
    penalty = price * discount
    overhead = np.where(proprietary, price * proprietary_overhead_share, price - penalty - base)
    markup = np.where(proprietary, price - penalty - base - overhead, 0.0)
    stack = formulas.price_per_token_stack(base, markup, overhead, penalty)
    if not np.allclose(stack.total, price):  # the split must add back up to the list price
        raise AssertionError("price stack does not add up to the list price")
    basis = {
        "base": np.full(len(api), "derived"),
        "ip_markup": np.where(proprietary, "remainder", "none"),
        "platform_overhead": np.where(proprietary, "illustrative", "remainder"),
        "latency_penalty": np.where(discount > 0, "sourced", "not published"),
    }
    rows = []
    for component in STACK_COMPONENTS:
        rows.append(
            pd.DataFrame(
                {
                    "model": api["model"].to_numpy(),
                    "model_id": api["model_id"].to_numpy(),
                    "platform_type": api["platform_type"].to_numpy(),
                    "component": component,
                    "usd_per_million_tokens": getattr(stack, component),
                    "share_of_price": getattr(stack, component) / price,
                    "basis": basis[component],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def base_usd_per_million_tokens(table: pd.DataFrame, serving_assumption: str) -> pd.Series:
    """The cheapest DIY row of ``table`` for one serving assumption (a compute-cost proxy).

    Raises :class:`~infermodel.errors.InputError` when ``table`` has no DIY row for that assumption.
    """
    rows = table[table["serving_assumption"] == serving_assumption]
    if rows.empty:
        valid = sorted(set(table["serving_assumption"].dropna()))
        raise InputError(
            f"no DIY row for serving assumption {serving_assumption!r}; in this table: "
            + ", ".join(valid)
        )
    return rows.loc[rows["cost_usd"].idxmin()]


def latency_penalties(
    table: pd.DataFrame,
    batch_api_table: pd.DataFrame,
    *,
    realtime_assumption: str,
    batch_assumptions: Sequence[str],
) -> pd.DataFrame:
    """What serving in real time costs over serving in batch, per offering.

    The article's "latency/batch penalty", from prices and throughputs rather than assumed:

    - DIY: the same GPU offering priced under a real-time serving assumption (one stream at a
      set speed, e.g. 60 tokens/s) and under each batch assumption;
    - APIs: the list price against the provider's own batch-API price, where it publishes one.

    Parameters
    ----------
    table
        A :func:`cost_table` at list prices holding DIY rows for ``realtime_assumption`` and
        ``batch_assumptions``.
    batch_api_table
        The same workload priced with ``use_batch_api=True``.
    realtime_assumption, batch_assumptions
        Serving-assumption ids (``data/serving_assumptions.csv``).

    Returns
    -------
    pandas.DataFrame
        One row per (offering, batch reading): ``realtime_usd_per_million_tokens``,
        ``batch_usd_per_million_tokens`` [USD/Mtok], ``penalty_multiple`` [-] and
        ``penalty_usd_per_million_tokens`` [USD/Mtok], with the ``basis`` of each.
    """
    known = set(table["serving_assumption"].dropna())
    missing = [a for a in [realtime_assumption, *batch_assumptions] if a not in known]
    if missing:
        raise InputError(
            f"no DIY row for serving assumption(s) {', '.join(map(repr, missing))} in the "
            f"table; it has: {', '.join(sorted(known)) or 'none'}"
        )
    keys = ["provider", "gpu", "tier", "pricing"]
    diy = table[table["platform_type"] == "diy_gpu"]
    realtime = diy[diy["serving_assumption"] == realtime_assumption]
    frames = []
    for assumption in batch_assumptions:
        batch = diy[diy["serving_assumption"] == assumption]
        both = realtime.merge(batch, on=keys, suffixes=("_realtime", "_batch"))
        frames.append(
            pd.DataFrame(
                {
                    "platform_type": "diy_gpu",
                    "offering": both["provider"] + " · " + both["gpu"] + " " + both["tier"],
                    "batch_reading": assumption,
                    "realtime_usd_per_million_tokens": both["usd_per_million_tokens_realtime"],
                    "batch_usd_per_million_tokens": both["usd_per_million_tokens_batch"],
                    "basis": f"{realtime_assumption} vs {assumption} (serving assumptions)",
                }
            )
        )
    api_list = table[table["platform_type"] != "diy_gpu"]
    api_batch = batch_api_table[
        (batch_api_table["platform_type"] != "diy_gpu") & batch_api_table["batch_api_applied"]
    ]
    both = api_list.merge(api_batch, on=["provider", "model_id"], suffixes=("_list", "_batch"))
    frames.append(
        pd.DataFrame(
            {
                "platform_type": both["platform_type_list"],
                "offering": both["provider"] + " · " + both["model_list"],
                "batch_reading": "provider batch API",
                "realtime_usd_per_million_tokens": both["usd_per_million_tokens_list"],
                "batch_usd_per_million_tokens": both["usd_per_million_tokens_batch"],
                "basis": "provider's list price vs its batch-API price (data/prices)",
            }
        )
    )
    out = pd.concat(frames, ignore_index=True)
    out["penalty_multiple"] = (
        out["realtime_usd_per_million_tokens"] / out["batch_usd_per_million_tokens"]
    )
    out["penalty_usd_per_million_tokens"] = (
        out["realtime_usd_per_million_tokens"] - out["batch_usd_per_million_tokens"]
    )
    return out


def tier_costs(workload: Workload, snapshot: PriceSnapshot) -> pd.DataFrame:
    """The workload's cost on each API offering at every service tier, side by side.

    One row per API offering of ``snapshot``: ``offering_id``, ``platform_type``,
    ``provider``, ``model``, ``cost_usd_<tier>`` for each of
    :data:`infermodel.tables.SERVICE_TIERS` [USD; NaN where the offering has no such tier
    or cannot price the workload there] and ``<tier>_multiple`` [-] against the standard
    tier. Sorted by platform type, then standard cost.
    """
    if snapshot.api.empty:
        raise InputError(f"no API offering on sale on {snapshot.as_of.date()}")
    frame = pd.DataFrame(
        {
            "offering_id": offerings.ids(snapshot.api),
            "platform_type": snapshot.api["platform_type"].to_numpy(),
            "provider": snapshot.api["provider"].to_numpy(),
            "model": snapshot.api["model"].to_numpy(),
        }
    )
    for tier in tables.SERVICE_TIERS:
        rows = api_rows(workload, snapshot, service_tier=tier)
        costs = dict(zip(offerings.ids(rows), rows["cost_usd"], strict=True)) if len(rows) else {}
        frame[f"cost_usd_{tier}"] = frame["offering_id"].map(costs).astype(float)
    for tier in tables.SERVICE_TIERS[1:]:
        frame[f"{tier}_multiple"] = frame[f"cost_usd_{tier}"] / frame["cost_usd_standard"]
    order = frame["platform_type"].map({t: i for i, t in enumerate(PLATFORM_TYPES)})
    return (
        frame.assign(_order=order)
        .sort_values(["_order", "cost_usd_standard", "offering_id"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
