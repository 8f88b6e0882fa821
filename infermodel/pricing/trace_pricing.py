"""A request log priced on every offering: per request on APIs, sized GPUs for DIY.

:func:`price_trace` prices every request of a log opened by
:func:`infermodel.readers.logs.read_trace` on each API offering of a price snapshot (input,
cached-input and output prices, the long-context tier applied per request, exact per-request
P50 and P95) and sizes rented GPUs for the log's per-minute token rate (replicas at the peak
minute, on average, and autoscaled per hour), as one row per offering. The trace's engine
(DuckDB or Spark, :mod:`infermodel.readers.logs.engines`) does the per-request work, in one SQL
text for both; only aggregates come back to Python.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from infermodel import checks, formulas
from infermodel.errors import InputError
from infermodel.prices import PriceSnapshot, service_tiers
from infermodel.pricing import compare, contracts, gpu_sizing
from infermodel.readers.logs import Trace
from infermodel.readers.logs.engines import Engine
from infermodel.tables import gpu_billing, offerings
from infermodel.units import MINUTES_PER_HOUR, TOKENS_PER_MILLION

DIY_SIZINGS = ("autoscaled", "peak", "serverless")

#: Columns of :func:`price_trace`'s table, in order
#: (:data:`infermodel.pricing.contracts.TRACE_TABLE`).
COLUMNS = list(contracts.TRACE_TABLE.columns)


def api_prices(
    trace: Trace,
    prices: PriceSnapshot,
    *,
    use_cached_pricing: bool = True,
    service_tier: str = "standard",
    uplifts: Sequence[str] = (),
) -> pd.DataFrame:
    """Each API offering's prices at the tier, with ``unpriced_reason`` ("" where priced).

    A log has no cache writes; its longest prompt decides whether long-context prices are
    needed (an offering whose tier has none cannot price the log's long prompts).
    """
    effective = service_tiers.for_snapshot(prices, service_tier=service_tier, uplift_ids=uplifts)
    if not use_cached_pricing:
        for suffix in ("", "_long_context"):
            effective[f"usd_per_million_cached_input_tokens{suffix}"] = effective[
                f"usd_per_million_input_tokens{suffix}"
            ]
    totals = trace.summary().iloc[0]
    longest = trace.engine.rows("SELECT max(input_tokens) FROM shape")[0][0] or 0
    uses = service_tiers.uses(
        uncached=True, cached=int(totals["cached_input_tokens"]) > 0, write=False, output=True
    )
    long_context = effective["long_context_threshold_tokens"] < longest
    effective["unpriced_reason"] = service_tiers.unpriced(
        effective, uses=uses, long_context=long_context
    )
    return effective


def api_unpriced(trace: Trace, prices: PriceSnapshot, **options) -> pd.DataFrame:
    """API offerings :func:`price_trace` leaves out at these options (``service_tier``,
    ``uplifts``, ``use_cached_pricing``), and why
    (:func:`infermodel.pricing.compare.left_out_frame`)."""
    if prices.api.empty:
        return compare.left_out_frame(prices.api, pd.Series(dtype=object))
    reasons = api_prices(trace, prices, **options)["unpriced_reason"]
    gone = (reasons != "").to_numpy()
    return compare.left_out_frame(prices.api[gone], reasons[gone])


def _api_offerings(effective: pd.DataFrame) -> pd.DataFrame:
    """Prices of each API offering, short and long context, as the SQL pass reads them."""
    pin = effective["usd_per_million_input_tokens"]
    pin_long = effective["usd_per_million_input_tokens_long_context"].fillna(pin)
    pout = effective["usd_per_million_output_tokens"]
    pout_long = effective["usd_per_million_output_tokens_long_context"].fillna(pout)
    cached = effective["usd_per_million_cached_input_tokens"]
    cached_long = effective["usd_per_million_cached_input_tokens_long_context"]
    # As compare.api_rows: no cached price means cached tokens are billed as input, at the
    # context's input price.
    return pd.DataFrame(
        {
            "k": np.arange(len(effective)),
            "pin": pin.to_numpy(),
            "pcached": cached.fillna(pin).to_numpy(),
            "pout": pout.to_numpy(),
            "threshold": effective["long_context_threshold_tokens"].to_numpy(),
            "pin_long": pin_long.to_numpy(),
            "pcached_long": cached_long.fillna(cached).fillna(pin_long).to_numpy(),
            "pout_long": pout_long.to_numpy(),
        }
    )


#: Per-request cost [USD] in SQL: the same arithmetic as formulas.api_cost_usd (input billed
#: excluding cached, plus cached, plus output, over TOKENS_PER_MILLION), with each
#: request's tier chosen by its prompt; _api_rows checks the totals against the formula.
_PRICED_SQL = f"""
    SELECT k, n, uncached, cached, generated, long_ctx,
           (uncached * CASE WHEN long_ctx THEN pin_long ELSE pin END
            + cached * CASE WHEN long_ctx THEN pcached_long ELSE pcached END
            + generated * CASE WHEN long_ctx THEN pout_long ELSE pout END
           ) / {TOKENS_PER_MILLION} AS cost
    FROM (
        SELECT o.*, s.n, s.input_tokens - s.cached_input_tokens AS uncached,
               s.cached_input_tokens AS cached, s.output_tokens AS generated,
               coalesce(s.input_tokens > o.threshold, false) AS long_ctx
        FROM shape s CROSS JOIN api_offerings o
    )
"""
#: Token totals per offering and price tier. The tier depends on the offering only through
#: its long-context threshold, so the shapes are summed once per distinct threshold (not once
#: per offering), exactly (HUGEINT).
_TIER_TOKENS_SQL = """
    SELECT o.k, t.long_ctx, t.n, t.uncached, t.cached, t.generated
    FROM api_offerings o JOIN (
        SELECT h.threshold, coalesce(s.input_tokens > h.threshold, false) AS long_ctx,
               sum(s.n)::BIGINT AS n,
               sum(s.n::HUGEINT * (s.input_tokens - s.cached_input_tokens))::DOUBLE AS uncached,
               sum(s.n::HUGEINT * s.cached_input_tokens)::DOUBLE AS cached,
               sum(s.n::HUGEINT * s.output_tokens)::DOUBLE AS generated
        FROM shape s CROSS JOIN (SELECT DISTINCT threshold FROM api_offerings) h
        GROUP BY ALL
    ) t ON o.threshold IS NOT DISTINCT FROM t.threshold
"""
#: Width of the cost bins used to find each percentile before the exact pass. [ln USD]
_COST_BINS_PER_E = 100
#: Per-request percentiles reported by :func:`price_trace`.
PERCENTILES = {"usd_per_request_p50": 0.5, "usd_per_request_p95": 0.95}


def _percentiles(engine: Engine, bins: pd.DataFrame) -> pd.DataFrame:
    """Exact weighted percentiles of request cost per offering, from a histogram of costs.

    ``bins`` holds, per offering ``k`` and log-cost ``bin``, the requests ``n``. The bin
    where each percentile falls is found from it; one more pass over only the requests in
    those bins gives the exact value: the smallest request cost with at least that share of
    requests at or below it (numpy's ``inverted_cdf`` percentile).
    """
    bins = bins.sort_values(["k", "bin"], kind="stable")
    cum = bins.groupby("k")["n"].cumsum()
    total = bins.groupby("k")["n"].transform("sum")
    targets = []
    for name, share in PERCENTILES.items():
        crossed = bins[cum >= share * total].groupby("k").head(1)
        before = (cum - bins["n"]).loc[crossed.index]
        targets.append(
            pd.DataFrame(
                {
                    "k": crossed["k"].to_numpy(),
                    "bin": crossed["bin"].to_numpy(),
                    "name": name,
                    "needed": share * total.loc[crossed.index].to_numpy() - before.to_numpy(),
                }
            )
        )
    target = pd.concat(targets, ignore_index=True)
    wanted = target[["k", "bin"]].drop_duplicates().reset_index(drop=True)
    # Each bin's cost range, a little widened: only requests in it get their bin computed.
    sentinel = wanted["bin"] == _NO_COST_BIN
    wanted["lo"] = np.where(sentinel, -np.inf, np.exp(wanted["bin"] / _COST_BINS_PER_E) * 0.999)
    wanted["hi"] = np.where(sentinel, 0.0, np.exp((wanted["bin"] + 1) / _COST_BINS_PER_E) * 1.001)
    with engine.register("wanted_bins", wanted):
        inside = engine.frame(
            f"""
            SELECT k, bin, cost, sum(n) AS n FROM (
                SELECT p.k, p.n, p.cost, w.bin AS wanted, {_bin_sql("p.cost")} AS bin
                FROM ({_PRICED_SQL}) p JOIN wanted_bins w
                  ON p.k = w.k AND p.cost >= w.lo AND p.cost <= w.hi
            ) WHERE bin = wanted
            GROUP BY k, bin, cost ORDER BY k, bin, cost
            """
        )
    inside["cum"] = inside.groupby(["k", "bin"])["n"].cumsum()
    result = pd.DataFrame({"k": sorted(set(target["k"]))}).set_index("k")
    for t in target.itertuples(index=False):
        block = inside[(inside["k"] == t.k) & (inside["bin"] == t.bin)]
        result.loc[t.k, t.name] = block.loc[block["cum"] >= t.needed - 1e-9, "cost"].iloc[0]
    return result.reindex(columns=list(PERCENTILES)).reset_index()


#: The bin of a request that costs nothing (or less).
_NO_COST_BIN = -2147483648


def _bin_sql(cost: str) -> str:
    scaled = f"floor(ln({cost}) * {_COST_BINS_PER_E})::INTEGER"
    return f"CASE WHEN {cost} > 0 THEN {scaled} ELSE {_NO_COST_BIN} END"


def _api_rows(trace: Trace, api: pd.DataFrame, effective: pd.DataFrame) -> pd.DataFrame:
    """Every request of ``trace`` priced on every API offering, by the trace's engine.

    One pass over the distinct request shapes gives the token totals per price tier (per
    distinct long-context threshold); one pass over (shapes x offerings) the summed cost and a
    histogram of request costs per offering and tier; a second pass over the few shapes near
    each percentile gives the exact P50 and P95.
    """
    offerings = _api_offerings(effective.reset_index(drop=True))
    engine = trace.engine
    with engine.reading(trace.path, trace.fmt), engine.register("api_offerings", offerings):
        grouped = engine.frame(
            f"""
            SELECT k, long_ctx, bin, sum(n)::BIGINT AS n, sum(n * cost) AS cost
            FROM (SELECT k, n, long_ctx, cost, {_bin_sql("cost")} AS bin FROM ({_PRICED_SQL}))
            GROUP BY k, long_ctx, bin
            """
        )
        tokens = engine.frame(_TIER_TOKENS_SQL)
        by_cost = grouped.groupby(["k", "bin"], as_index=False)["n"].sum()
        percentiles = _percentiles(engine, by_cost)
    grouped["long_ctx"] = grouped["long_ctx"].astype(bool)
    tokens["long_ctx"] = tokens["long_ctx"].astype(bool)
    costs = grouped.groupby(["k", "long_ctx"], as_index=False)["cost"].sum()
    tiers = tokens.merge(costs, on=["k", "long_ctx"], how="left", validate="1:1").fillna(
        {"cost": 0.0}
    )
    sums = ["k", "n", "uncached", "cached", "generated", "cost"]
    is_long = tiers["long_ctx"].astype(bool)
    short, long = tiers.loc[~is_long, sums].set_index("k"), tiers.loc[is_long, sums].set_index("k")
    index = pd.Index(offerings["k"], name="k")
    short, long = short.reindex(index, fill_value=0), long.reindex(index, fill_value=0)
    stats = pd.DataFrame(
        {
            "k": index,
            "requests": (short["n"] + long["n"]).to_numpy(),
            "long_context_requests": long["n"].to_numpy(),
            "u_short": short["uncached"].to_numpy(),
            "c_short": short["cached"].to_numpy(),
            "o_short": short["generated"].to_numpy(),
            "u_long": long["uncached"].to_numpy(),
            "c_long": long["cached"].to_numpy(),
            "o_long": long["generated"].to_numpy(),
            "cost_sql": (short["cost"] + long["cost"]).to_numpy(),
        }
    ).merge(percentiles, on="k", how="left", validate="1:1")
    o = offerings.set_index("k").loc[stats["k"]].reset_index(drop=True)
    cost = formulas.api_cost_usd(
        stats["u_short"],
        stats["o_short"],
        o["pin"],
        o["pout"],
        cached_input_tokens=stats["c_short"],
        usd_per_million_cached_input_tokens=o["pcached"],
    ) + formulas.api_cost_usd(
        stats["u_long"],
        stats["o_long"],
        o["pin_long"],
        o["pout_long"],
        cached_input_tokens=stats["c_long"],
        usd_per_million_cached_input_tokens=o["pcached_long"],
    )
    if not np.allclose(cost, stats["cost_sql"], rtol=1e-9, atol=1e-12):
        raise AssertionError("per-request SQL costs do not add up to formulas.api_cost_usd")
    api = api.reset_index(drop=True).loc[stats["k"]].reset_index(drop=True)
    tiering = effective.reset_index(drop=True).loc[stats["k"]].reset_index(drop=True)
    return pd.DataFrame(
        {
            "platform_type": api["platform_type"],
            "provider": api["provider"],
            "model": api["model"],
            "model_id": api["model_id"],
            "usd_per_million_input_tokens": o["pin"],
            "usd_per_million_cached_input_tokens": o["pcached"],
            "usd_per_million_output_tokens": o["pout"],
            "service_tier": tiering["service_tier"].to_numpy(),
            "uplift": tiering["uplift"].replace("", None).to_numpy(),
            "long_context_requests": stats["long_context_requests"],
            "cost_usd": cost,
            "usd_per_request_mean": cost / stats["requests"],
            "usd_per_request_p50": stats["usd_per_request_p50"],
            "usd_per_request_p95": stats["usd_per_request_p95"],
            "observed_on": api["observed_on"],
            "age_days": api["age_days"],
            "stale": api["stale"],
            "confidence": api["confidence"],
            "source_url": api["source_url"],
        }
    )


def _ceil(values: np.ndarray) -> np.ndarray:
    # A need of exactly 2.0 replicas computed as 2.0000000001 is 2 replicas, not 3.
    return np.ceil(np.asarray(values) - 1e-9)


def replica_needs(
    tokens_per_minute: np.ndarray,
    tokens_per_second: np.ndarray,
    *,
    minutes: np.ndarray | None = None,
    span_minutes: int | None = None,
) -> dict[str, np.ndarray]:
    """Replicas a per-minute token series needs, for each replica throughput.

    The series may list every minute of the log or only its busy minutes (``minutes``):
    idle minutes need no replica, so the figures are the same, and memory follows the busy
    minutes and hours, not the span.

    Parameters
    ----------
    tokens_per_minute
        Tokens to serve in each listed minute, shape (b,). [tokens/min]
    tokens_per_second
        Throughput of one busy replica, one per offering, shape (k,). [tokens/s]
    minutes
        Minute of each entry, counted from the minute of the first request (0), strictly
        increasing; by default ``0, 1, ..., b - 1`` (every minute listed). [min]
    span_minutes
        Minutes the log spans, first to last request's minute included; by default the last
        listed minute + 1. [min]

    Returns
    -------
    dict
        ``replicas_peak`` (whole replicas for the busiest minute), ``replicas_mean`` (mean
        busy replicas over the span), ``replica_hours_peak_sized`` (``replicas_peak`` for the
        whole span) and ``replica_hours_autoscaled`` (each 60-minute window from the first
        request gets the whole replicas its busiest minute needs; a window without a request
        none), each shape (k,). [-], [replica-h]

    References
    ----------
    One replica serves ``tokens_per_second x 60`` tokens a minute: the article's DIY formula
    (:func:`infermodel.formulas.wall_clock_hours` at utilization 1) applied per minute.
    """
    tokens = np.asarray(tokens_per_minute, dtype=float)
    tps = np.asarray(tokens_per_second, dtype=float)
    if tokens.ndim != 1 or not len(tokens):
        raise InputError("tokens_per_minute must list at least one minute")
    at = np.arange(len(tokens)) if minutes is None else np.asarray(minutes, dtype=np.int64)
    span = int(at[-1]) + 1 if span_minutes is None else int(span_minutes)
    if at.shape != tokens.shape or at[0] < 0 or (np.diff(at) <= 0).any() or at[-1] >= span:
        raise InputError(
            f"minutes must be strictly increasing, in [0, span_minutes = {span}), one per entry"
        )
    # Replicas busy in a minute rise with its tokens, so the busiest minute of each window is
    # the one with most tokens: only window maxima (busy hours x offerings) are kept.
    window = at // MINUTES_PER_HOUR
    starts = np.flatnonzero(np.r_[True, window[1:] != window[:-1]])
    window_tokens = np.maximum.reduceat(tokens, starts)
    window_minutes = np.minimum(MINUTES_PER_HOUR, span - MINUTES_PER_HOUR * window[starts])
    # Busy hours of a minute's tokens x 60 = replicas busy through that minute.
    hours = formulas.wall_clock_hours(window_tokens[:, None], tps[None, :], 1.0)
    window_peak = _ceil(hours * MINUTES_PER_HOUR)  # replicas, (windows with a request, k)
    replicas_peak = window_peak.max(axis=0)
    replica_minutes = formulas.wall_clock_hours(tokens.sum(), tps, 1.0) * MINUTES_PER_HOUR
    return {
        "replicas_peak": replicas_peak,
        "replicas_mean": replica_minutes / span,
        "replica_hours_peak_sized": replicas_peak * span / MINUTES_PER_HOUR,
        "replica_hours_autoscaled": (window_peak * window_minutes[:, None]).sum(axis=0)
        / MINUTES_PER_HOUR,
    }


def _diy_rows(
    trace: Trace,
    priced_pairs: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    diy_token_basis: str,
    diy_sizing: str,
    sizing_options: gpu_sizing.Options,
) -> pd.DataFrame:
    """Rented-GPU offerings sized for the log's arrivals and billed as their providers bill.

    With ``diy_sizing="serverless"``, offerings that do not scale to zero are left out
    (:func:`diy_unpriced` names them).
    """
    sized = gpu_sizing.size(
        trace, priced_pairs, as_of=as_of, diy_token_basis=diy_token_basis, options=sizing_options
    )
    if diy_sizing == "serverless":
        keep = ~gpu_sizing.not_serverless(sized)
        priced_pairs, sized = priced_pairs[keep], sized[keep]
    chosen = gpu_sizing.SIZING_COLUMNS[diy_sizing]
    minutes = trace.per_minute(busy_only=True)
    tokens = minutes["output_tokens"] + (
        minutes["prompt_tokens"] if diy_token_basis == "total" else 0
    )
    return pd.DataFrame(
        {
            "platform_type": priced_pairs["platform_type"].to_numpy(),
            "provider": priced_pairs["provider"].to_numpy(),
            "model": (priced_pairs["model"] + " (" + priced_pairs["precision"] + ")").to_numpy(),
            "gpu": priced_pairs["gpu"].to_numpy(),
            "tier": priced_pairs["tier"].to_numpy(),
            "pricing": priced_pairs["pricing"].to_numpy(),
            "serving_assumption": priced_pairs["assumption_id"].to_numpy(),
            "mode": priced_pairs["mode"].to_numpy(),
            "gpus_per_replica": priced_pairs["gpus_per_replica"].to_numpy(dtype=float),
            "tokens_per_second": priced_pairs["tokens_per_second"].to_numpy(dtype=float),
            "usd_per_gpu_hour": priced_pairs["usd_per_gpu_hour"].to_numpy(dtype=float),
            "peak_tokens_per_minute": float(tokens.max()),
            **{c: sized[c].to_numpy() for c in sized.columns},
            "diy_sizing": diy_sizing,
            "replica_hours": sized[f"replica_hours_{chosen}"].to_numpy(),
            "utilization": sized[f"utilization_{chosen}"].to_numpy(),
            "cost_usd": sized[f"cost_usd_{chosen}"].to_numpy(),
            "observed_on": priced_pairs["observed_on"].to_numpy(),
            "age_days": priced_pairs["age_days"].to_numpy(),
            "stale": priced_pairs["stale"].to_numpy(),
            "confidence": priced_pairs["confidence"].to_numpy(),
            "source_url": priced_pairs["source_url"].to_numpy(),
            "serving_source_url": priced_pairs["serving_source_url"].to_numpy(),
        }
    )


def diy_unpriced(
    prices: PriceSnapshot, serving: pd.DataFrame, *, diy_sizing: str, gpu_specs=None
) -> pd.DataFrame:
    """GPU offerings :func:`price_trace` leaves out at ``diy_sizing``, and why.

    Only ``serverless`` leaves any out: offerings whose provider bills instances that do not
    scale to zero (pods, nodes, reservations). Columns ``offering_id``, ``reason``.
    """
    priced = compare.priced_pairs(prices, serving, gpu_specs)
    if diy_sizing != "serverless" or priced.empty:
        return pd.DataFrame({"offering_id": pd.Series(dtype=str), "reason": pd.Series(dtype=str)})
    rules = gpu_billing.rules_for(priced, prices.as_of)
    gone = priced[~rules["scales_to_zero"].to_numpy(dtype=bool)]
    ids = offerings.ids(
        gone.assign(platform_type="diy_gpu", serving_assumption=gone["assumption_id"])
    )
    return pd.DataFrame(
        {"offering_id": ids, "reason": "its provider bills instances that do not scale to zero"}
    ).drop_duplicates(ignore_index=True)


def price_trace(
    trace: Trace,
    prices: PriceSnapshot,
    serving: pd.DataFrame,
    *,
    gpu_specs: pd.DataFrame | None = None,
    use_cached_pricing: bool = True,
    diy_token_basis: str = "total",
    diy_sizing: str = "autoscaled",
    service_tier: str = "standard",
    uplifts: Sequence[str] = (),
    sizing_options: gpu_sizing.Options | None = None,
) -> pd.DataFrame:
    """Price every request of a log on every offering of a price snapshot.

    Parameters
    ----------
    trace
        A log opened with :func:`read_trace`.
    prices
        Prices in force on a date (:func:`infermodel.prices.as_of`), possibly narrowed.
    serving
        Serving assumptions for the DIY rows (:func:`infermodel.tables.serving.select`); each is
        priced on every rented GPU it fits (:func:`infermodel.tables.serving.pairs`).
    gpu_specs
        GPU memory table; the shipped one by default.
    use_cached_pricing
        Bill cached input tokens at the provider's cached-input price (``False``: at the
        full input price, i.e. without prompt caching).
    diy_token_basis
        Tokens that take GPU time: ``"total"`` (prompt and output, the article's formula, as
        in :func:`infermodel.pricing.compare.cost_table`) or ``"output"``.
    diy_sizing, sizing_options
        ``cost_usd`` of DIY rows ``"autoscaled"`` per hour (default), sized for the
        ``"peak"`` minute, or ``"serverless"`` (offerings that do not scale to zero are then
        left out: :func:`diy_unpriced`); every sizing's cost is in the table. Options:
        :class:`infermodel.pricing.gpu_sizing.Options` (the billing rule's defaults otherwise).
    service_tier, uplifts
        As :func:`infermodel.pricing.compare.cost_table`: API offerings at that tier and with those
        uplifts; those without are left out (:func:`api_prices` says why).

    Returns
    -------
    pandas.DataFrame
        One row per API offering and per priced (GPU offering, serving assumption) pair,
        columns :data:`COLUMNS`, sorted by platform type then cost. Token columns [tokens]
        are the log's: ``input_tokens`` excludes ``cached_input_tokens``. API rows:
        ``cost_usd`` [USD] and the per-request mean, P50 and P95 [USD/request] (P-values
        are the smallest request cost with at least 50 % / 95 % of requests at or below),
        ``long_context_requests`` priced at the long-context tier (prompt above the
        offering's threshold). DIY rows (need timestamps): ``peak_tokens_per_minute``
        [tokens/min], ``replicas_peak`` and ``replicas_mean`` [-], ``replica_hours``
        [replica-h], cost and implied utilization [-] for both sizings; no per-request
        P50/P95 (GPU time is not billed per request). ``usd_per_million_tokens`` [USD/Mtok]
        over all tokens of the log. API offerings left out at the tier or uplift asked for
        are listed, with the reason, by :func:`api_unpriced`.
    """
    compare.check_diy_token_basis(diy_token_basis)
    checks.one_of("diy_sizing", diy_sizing, DIY_SIZINGS)
    totals = trace.summary().iloc[0]
    frames = []
    if not prices.api.empty:
        effective = api_prices(
            trace,
            prices,
            use_cached_pricing=use_cached_pricing,
            service_tier=service_tier,
            uplifts=uplifts,
        )
        keep = (effective["unpriced_reason"] == "").to_numpy()
        if keep.any():
            frames.append(_api_rows(trace, prices.api[keep], effective[keep]))
    priced = compare.priced_pairs(prices, serving, gpu_specs) if trace.has_timestamps else None
    if priced is not None and not priced.empty:
        options = sizing_options or gpu_sizing.Options()
        sizing = dict(diy_token_basis=diy_token_basis, diy_sizing=diy_sizing)
        diy = _diy_rows(trace, priced, as_of=prices.as_of, sizing_options=options, **sizing)
        frames.extend([diy] if not diy.empty else [])
    if not frames:
        raise InputError(
            f"nothing to price as of {prices.as_of.date()}: no API offering, and no GPU offering "
            "with a serving assumption that fits (or the log has no timestamps)"
        )
    table = pd.concat([f.dropna(axis=1, how="all") for f in frames], ignore_index=True)
    table = table.reindex(columns=COLUMNS)
    # Exact integers (summed as HUGEINT by the reader), added as Python ints: no overflow.
    requests = int(totals["requests"])
    counts = {c: int(totals[c]) for c in ("input_tokens", "cached_input_tokens", "output_tokens")}
    total_tokens = sum(counts.values())
    table["requests"] = requests
    for column, count in counts.items():
        table[column] = count
    table["total_tokens"] = total_tokens
    table["scales_to_zero"] = table["scales_to_zero"].astype("boolean")
    diy = table["platform_type"] == "diy_gpu"
    table.loc[diy, "usd_per_request_mean"] = table.loc[diy, "cost_usd"] / requests
    return contracts.typed(compare.finish(table, float(total_tokens)), contracts.TRACE_TABLE)


def caching_effect(with_cache: pd.DataFrame, without_cache: pd.DataFrame) -> pd.DataFrame:
    """API rows priced with and without cached-input prices, side by side.

    ``saving_usd`` [USD] and ``saving_share`` [-] are what prompt caching saves on the log.
    """
    key = ["provider", "model", "model_id"]
    api = with_cache["platform_type"] != "diy_gpu"
    left = with_cache.loc[api, [*key, "platform_type", "cost_usd"]]
    right = without_cache.loc[without_cache["platform_type"] != "diy_gpu", [*key, "cost_usd"]]
    both = left.merge(right, on=key, suffixes=("_with_cache", "_without_cache"), validate="1:1")
    both["saving_usd"] = both["cost_usd_without_cache"] - both["cost_usd_with_cache"]
    both["saving_share"] = both["saving_usd"] / both["cost_usd_without_cache"]
    return both.sort_values("saving_usd", ascending=False, kind="stable").reset_index(drop=True)
