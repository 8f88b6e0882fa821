"""Price a synthetic request log on every offering: infermodel (DuckDB) against per-call pricing.

Writes a seeded synthetic log of ``--requests`` rows (10 million by default) as Parquet via
DuckDB, prices every request on every API offering in force on ``--as-of`` (and sizes the DIY
GPU rows) with :func:`infermodel.traces.price_trace`, then prices the first ``--sample``
requests one call at a time with the genai-prices package (``genai_prices.calc_price``, on the
offerings it knows) and with a plain Python loop (on every API offering). Prints requests per
second and request-prices (one request on one offering) per second for each, their ratios,
and the peak memory of the process.

Run: ``.venv/bin/python benchmarks/trace_pricing.py [--requests N] [--sample N]``. Timings
depend on the machine; nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

from infermodel import prices, serving, traces

#: genai-prices provider ids for the providers of the shipped price table.
GENAI_PROVIDERS = {
    "OpenAI": "openai",
    "Anthropic": "anthropic",
    "Google": "google",
    "Together AI": "together",
    "Fireworks AI": "fireworks",
}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far [MB] (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def genai_offerings(api: pd.DataFrame, when: dt.datetime) -> list[tuple[str, str]]:
    """(model_ref, provider_id) of the API offerings genai-prices can price."""
    from genai_prices import Usage, calc_price

    known = []
    for row in api.itertuples(index=False):
        provider = GENAI_PROVIDERS.get(row.provider)
        if provider is None:
            continue
        try:
            calc_price(Usage(input_tokens=1, output_tokens=1), row.model_id,
                       provider_id=provider, genai_request_timestamp=when)  # fmt: skip
        except LookupError:
            continue
        known.append((row.model_id, provider))
    return known


def time_genai(sample: pd.DataFrame, offerings, when: dt.datetime) -> tuple[float, float]:
    """Seconds to price every sample request on each offering, one call each; total USD."""
    from genai_prices import Usage, calc_price

    rows = list(sample.itertuples(index=False))
    total = 0.0
    start = time.perf_counter()
    for model_ref, provider in offerings:
        for r in rows:
            usage = Usage(input_tokens=r.input_tokens, cache_read_tokens=r.cached_input_tokens,
                          output_tokens=r.output_tokens)  # fmt: skip
            price = calc_price(usage, model_ref, provider_id=provider, genai_request_timestamp=when)
            total += float(price.total_price)
    return time.perf_counter() - start, total


def time_loop(sample: pd.DataFrame, api: pd.DataFrame) -> tuple[float, float]:
    """Seconds for a plain Python loop over requests x API offerings (long-context tiers too)."""
    offerings = []
    for row in api.itertuples(index=False):
        cached = row.usd_per_million_cached_input_tokens
        threshold = row.long_context_threshold_tokens
        offerings.append(
            (
                row.usd_per_million_input_tokens,
                row.usd_per_million_input_tokens if pd.isna(cached) else cached,
                row.usd_per_million_output_tokens,
                None if pd.isna(threshold) else threshold,
                row.usd_per_million_input_tokens_long_context,
                row.usd_per_million_output_tokens_long_context,
            )
        )
    rows = list(sample.itertuples(index=False))
    total = 0.0
    start = time.perf_counter()
    for pin, pcached, pout, threshold, pin_long, pout_long in offerings:
        for r in rows:
            long = threshold is not None and r.input_tokens > threshold
            uncached = r.input_tokens - r.cached_input_tokens
            total += (
                uncached * (pin_long if long else pin)
                + r.cached_input_tokens * (pcached if not long or pd.isna(pin_long) else pin_long)
                + r.output_tokens * (pout_long if long else pout)
            ) / 1e6
    return time.perf_counter() - start, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000_000, help="rows of the log")
    parser.add_argument("--sample", type=int, default=10_000, help="rows priced one call each")
    parser.add_argument("--as-of", default="2025-05-31", help="prices in force on this date")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic log")
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()),
                        help="where the log is written")  # fmt: skip
    args = parser.parse_args(argv)

    snapshot = prices.as_of(args.as_of)
    assumptions = serving.select(serving.load_serving(), "article")
    log = args.folder / f"synthetic_log_{args.requests}_seed{args.seed}.parquet"
    start = time.perf_counter()
    # Written by a child process, so this process's peak memory is the pricing's alone.
    writer = (
        "import sys; from infermodel import traces; "
        "traces.write_synthetic_log(sys.argv[1], requests=int(sys.argv[2]), seed=int(sys.argv[3]))"
    )
    subprocess.run(
        [sys.executable, "-c", writer, str(log), str(args.requests), str(args.seed)], check=True
    )
    write_s = time.perf_counter() - start
    print(f"synthetic log (SYNTHETIC, seed {args.seed}): {args.requests:,} requests -> {log} "
          f"({log.stat().st_size / 1e6:,.0f} MB) in {write_s:,.1f} s")  # fmt: skip

    rss_before = peak_rss_mb()
    start = time.perf_counter()
    trace = traces.read_trace(log)
    read_s = time.perf_counter() - start
    table = traces.price_trace(trace, snapshot, assumptions)
    total_s = time.perf_counter() - start
    n_api = int((table["platform_type"] != "diy_gpu").sum())
    n_diy = int((table["platform_type"] == "diy_gpu").sum())
    shapes = trace.con.sql("SELECT count(*) FROM shape").fetchall()[0][0]
    rss_after = peak_rss_mb()
    print(f"infermodel (DuckDB {duckdb.__version__}): read+check {read_s:,.1f} s, "
          f"read+check+price {total_s:,.1f} s for {args.requests:,} requests x {n_api} API "
          f"offerings (+{n_diy} DIY rows); {shapes:,} distinct request shapes; "
          f"peak memory {rss_after:,.0f} MB (before {rss_before:,.0f} MB)")  # fmt: skip

    sample = trace.con.sql(
        f"SELECT input_tokens, cached_input_tokens, output_tokens FROM requests "
        f"ORDER BY line LIMIT {args.sample}"
    ).df()
    when = dt.datetime.combine(snapshot.as_of.date(), dt.time(), tzinfo=dt.UTC)
    genai = genai_offerings(snapshot.api, when)
    genai_s, _ = time_genai(sample, genai, when)
    loop_s, _ = time_loop(sample, snapshot.api)

    rows = [
        ("infermodel.traces (DuckDB)", args.requests, n_api, total_s),
        ("genai-prices calc_price, one call each", len(sample), len(genai), genai_s),
        ("plain Python loop", len(sample), n_api, loop_s),
    ]
    result = pd.DataFrame(rows, columns=["method", "requests", "api_offerings", "seconds"])
    result["request_prices_per_second"] = (
        result["requests"] * result["api_offerings"] / result["seconds"]
    )
    result["requests_per_second_all_offerings"] = result["request_prices_per_second"] / n_api
    ours = result["request_prices_per_second"].iloc[0]
    result["infermodel_times_faster"] = ours / result["request_prices_per_second"]
    with pd.option_context("display.width", 200, "display.max_columns", None):
        print(result.to_string(index=False, float_format="{:,.1f}".format))
    print(
        "request_prices_per_second = requests x offerings priced / seconds; "
        "requests_per_second_all_offerings scales that to all "
        f"{n_api} API offerings. Peak memory (ru_maxrss) {peak_rss_mb():,.0f} MB."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
