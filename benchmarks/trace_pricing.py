"""Price a synthetic request log on every offering: infermodel (DuckDB) against the numpy floor.

Writes a seeded synthetic log of ``--requests`` rows (10 million by default) with DuckDB into
a temporary folder (deleted afterwards unless ``--keep``): Parquet by default, or gzip CSV
(``--log-format csv.gz``); one file (past 10 million rows, 10-million-row parts of
consecutive seeds, concatenated) or, with ``--layout parts``, a folder of those parts as a
cluster leaves them. Then, each in a child process of its own so that each peak memory is
its own:

- ``infermodel``: :func:`infermodel.readers.logs.read_trace` (every row checked) and
  :func:`infermodel.pricing.trace_pricing.price_trace` (every request on every API offering of
  ``--as-of``, exact P50/P95, and the DIY GPU rows) on DuckDB with ``memory_limit`` =
  ``--memory-limit`` and ``--threads`` threads: out of core past that limit;
- the floor: one pass in numpy that reads the three token columns and prices every API
  offering (long-context tiers included) with exact P50/P95 (``np.quantile``,
  ``inverted_cdf``), no checks and no DIY rows, up to ``--floor-max-requests`` (it holds the
  columns and one cost per request in memory); its totals are checked against infermodel's;
- with ``--sample N``: genai-prices' ``calc_price`` and a plain Python loop on the first N
  requests, one request at a time;
- with ``--spark``: the same pricing on a local Spark (``--engine spark``; ``--spark-conf
  KEY=VALUE`` repeatable, e.g. ``spark.driver.memory=1g``), with the peak resident memory of
  Spark's JVM (the driver, which in local mode also runs the tasks) and its heap limit.

Prints, for each, seconds and peak resident memory (``VmHWM``), and the ratio to the
floor. Run: ``.venv/bin/python benchmarks/trace_pricing.py [--requests N]``. Timings depend on
the machine; nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from infermodel import prices, tables
from infermodel.prices import service_tiers
from infermodel.pricing import trace_pricing
from infermodel.readers import logs
from infermodel.readers.logs import synthetic
from infermodel.tables import serving

#: genai-prices provider ids for the providers of the shipped price table.
GENAI_PROVIDERS = {
    "OpenAI": "openai",
    "Anthropic": "anthropic",
    "Google": "google",
    "Together AI": "together",
    "Fireworks AI": "fireworks",
}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far [MB]: Linux's ``VmHWM``.

    Not ``ru_maxrss``: Linux carries it over an ``exec``, so a child started by a parent that
    wrote a large log reports at least the parent's peak (both measurements read 2,432 MB).
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def cpu_s() -> float:
    """CPU time of this process so far, user + system, all threads [s]: on a busy machine
    the wall-clock time grows with the other load, this much less."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


#: Rows of one synthetic part: a larger log is written as parts of this many (one seed each,
#: ``--seed``, ``--seed`` + 1, ...) concatenated, so that writing it needs little memory.
PART_REQUESTS = 10_000_000


def write_log(path: Path, requests: int, seed: int, *, parts: bool = False) -> Path:
    """A synthetic log of ``requests`` rows at ``path`` (its suffix says the format): one file,
    written as parts of :data:`PART_REQUESTS` concatenated past that, or (``parts``) a
    folder at ``path`` of those parts, ``part-00000.<suffix>``, ...; returns what it wrote."""
    suffix = "".join(path.suffixes)
    if parts:
        path.mkdir()
        for index, start in enumerate(range(0, requests, PART_REQUESTS)):
            rows = min(PART_REQUESTS, requests - start)
            part = path / f"part-{index:05d}{suffix}"
            synthetic.write_synthetic_log(part, requests=rows, seed=seed + index)
        return path
    if requests <= PART_REQUESTS:
        return synthetic.write_synthetic_log(path, requests=requests, seed=seed)
    pieces = write_log(path.with_name(f"pieces{suffix}"), requests, seed, parts=True)
    options = "FORMAT parquet" if suffix == ".parquet" else "FORMAT csv, HEADER, COMPRESSION gzip"
    logs.connect().execute(
        f"SET memory_limit = '2GB'; COPY (SELECT * FROM {scan_sql(pieces)}) TO '{path}' ({options})"
    )
    shutil.rmtree(pieces)
    return path


def scan_sql(log: Path) -> str:
    """DuckDB's table function reading a synthetic log (a file, or a folder of parts)."""
    files = f"{log}/*" if log.is_dir() else str(log)
    if ".parquet" in log.name or (log.is_dir() and any(log.glob("*.parquet"))):
        return f"read_parquet('{files}')"
    return f"read_csv('{files}', header = true)"


def spark_memory(session) -> dict:
    """Peak resident memory of Spark's JVM (local mode: driver and tasks) and its heap limit
    [MB]; none through Spark Connect."""
    jvm = session.sparkContext._jvm
    pid = jvm.java.lang.ProcessHandle.current().pid()
    with open(f"/proc/{pid}/status") as status:
        peak = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
    return {"jvm_peak_rss_mb": peak, "jvm_heap_max_mb": jvm.java.lang.Runtime.getRuntime()
            .maxMemory() / 2**20}  # fmt: skip


def run_infermodel(
    log: Path, as_of: str, memory_limit: str, threads: int, engine: str, spark_conf: list[str]
) -> dict:
    snapshot = prices.as_of(as_of)
    assumptions = serving.select(tables.load_serving(), "article")
    start = time.perf_counter()
    if engine == "duckdb":
        con = logs.connect()
        con.execute(f"SET memory_limit = '{memory_limit}'; SET threads = {int(threads)}")
        trace = logs.read_trace(log, con=con)
    else:
        trace = logs.read_trace(log, engine="spark", spark_master=f"local[{int(threads)}]",
                                spark_conf=spark_conf)  # fmt: skip
    with trace:
        read_s = time.perf_counter() - start
        table = trace_pricing.price_trace(trace, snapshot, assumptions)
        total_s = time.perf_counter() - start
        shapes = int(trace.engine.rows("SELECT count(*) FROM shape")[0][0])
        jvm = spark_memory(trace.engine.session) if engine == "spark" else {}
    api = table[table["platform_type"] != "diy_gpu"]
    return {
        "read_s": read_s,
        "total_s": total_s,
        "api_offerings": len(api),
        "diy_rows": int((table["platform_type"] == "diy_gpu").sum()),
        "shapes": shapes,
        "cost": dict(zip(api["model_id"], api["cost_usd"], strict=True)),
        "p50": dict(zip(api["model_id"], api["usd_per_request_p50"], strict=True)),
        "p95": dict(zip(api["model_id"], api["usd_per_request_p95"], strict=True)),
        "peak_rss_mb": peak_rss_mb(),
        "cpu_s": cpu_s(),
        **jvm,
    }


def run_floor(log: Path, as_of: str) -> dict:
    """Read the three token columns once and price every API offering in numpy."""
    snapshot = prices.as_of(as_of)
    effective = service_tiers.for_snapshot(snapshot).reset_index(drop=True)
    # The prices as the SQL pass reads them (cached input billed as input where no cached
    # price; long-context prices where a threshold is set).
    offerings = trace_pricing._api_offerings(effective)
    start = time.perf_counter()
    columns = (
        duckdb.connect()
        .sql(f"SELECT input_tokens, cached_input_tokens, output_tokens FROM {scan_sql(log)}")
        .fetchnumpy()
    )
    prompt, cached, output = (np.asarray(columns[c]) for c in columns)
    uncached = (prompt - cached).astype(np.float64)
    cached, output = cached.astype(np.float64), output.astype(np.float64)
    cost, p50, p95 = {}, {}, {}
    for k, o in offerings.iterrows():
        request_cost = (uncached * o["pin"] + cached * o["pcached"] + output * o["pout"]) / 1e6
        if np.isfinite(o["threshold"]):
            long = prompt > o["threshold"]
            long_cost = (
                uncached[long] * o["pin_long"]
                + cached[long] * o["pcached_long"]
                + output[long] * o["pout_long"]
            ) / 1e6
            request_cost[long] = long_cost
        model = snapshot.api["model_id"].iloc[k]
        cost[model] = float(request_cost.sum())
        p50[model], p95[model] = np.quantile(request_cost, [0.5, 0.95], method="inverted_cdf")
    return {
        "total_s": time.perf_counter() - start,
        "api_offerings": len(offerings),
        "cost": cost,
        "p50": {m: float(v) for m, v in p50.items()},
        "p95": {m: float(v) for m, v in p95.items()},
        "peak_rss_mb": peak_rss_mb(),
        "cpu_s": cpu_s(),
    }


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


def run_per_call(log: Path, as_of: str, sample: int) -> dict:
    """genai-prices one call at a time, and a plain Python loop, on the first requests."""
    from genai_prices import Usage, calc_price

    snapshot = prices.as_of(as_of)
    rows = list(
        duckdb.connect()
        .sql(
            "SELECT input_tokens, cached_input_tokens, output_tokens "
            f"FROM {scan_sql(log)} LIMIT {int(sample)}"
        )
        .fetchall()
    )
    when = dt.datetime.combine(snapshot.as_of.date(), dt.time(), tzinfo=dt.UTC)
    known = genai_offerings(snapshot.api, when)
    start = time.perf_counter()
    for model_ref, provider in known:
        for prompt, cached, output in rows:
            usage = Usage(input_tokens=prompt, cache_read_tokens=cached, output_tokens=output)
            calc_price(usage, model_ref, provider_id=provider, genai_request_timestamp=when)
    genai_s = time.perf_counter() - start
    offerings = trace_pricing._api_offerings(service_tiers.for_snapshot(snapshot))
    start = time.perf_counter()
    total = 0.0
    for o in offerings.itertuples(index=False):
        for prompt, cached, output in rows:
            long = prompt > o.threshold
            total += (
                (prompt - cached) * (o.pin_long if long else o.pin)
                + cached * (o.pcached_long if long else o.pcached)
                + output * (o.pout_long if long else o.pout)
            ) / 1e6
    loop_s = time.perf_counter() - start
    return {"genai_s": genai_s, "genai_offerings": len(known), "loop_s": loop_s,
            "loop_offerings": len(offerings), "sample": len(rows)}  # fmt: skip


def child(args: list[str]) -> dict:
    """Run one measurement in a fresh process; its JSON result."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"benchmark step {args[0]} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def agree(ours: dict, floor: dict) -> str:
    """How far infermodel's totals and percentiles are from the floor's, on the offerings both
    price (infermodel leaves out an offering a request's prompt does not fit: the floor does
    not check context windows)."""
    both = [m for m in floor["cost"] if m in ours["cost"]]
    worst = max(abs(ours["cost"][m] / floor["cost"][m] - 1) for m in both)
    same = all(ours[p][m] == floor[p][m] for p in ("p50", "p95") for m in both)
    left = len(floor["cost"]) - len(both)
    return (
        f"totals within {worst:.1e} relative; P50 and P95 {'equal' if same else 'DIFFER'} "
        f"({len(both)} offerings; {left} left out by infermodel, a prompt past their window)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, nargs="+", default=[10_000_000],
                        help="rows of the log; several sizes, one log each")  # fmt: skip
    parser.add_argument("--sample", type=int, default=0, help="rows priced one call each")
    parser.add_argument("--as-of", default="2025-05-31", help="prices in force on this date")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic log")
    parser.add_argument("--memory-limit", default="1.5GB", help="DuckDB's memory_limit")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB's (and Spark's) threads")
    parser.add_argument("--floor-max-requests", type=int, default=100_000_000,
                        help="largest log the numpy floor is run on")  # fmt: skip
    parser.add_argument("--spark", action="store_true", help="also price it on local Spark")
    parser.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE",
                        help="a setting of the local Spark session (repeatable)")  # fmt: skip
    parser.add_argument("--layout", choices=["file", "parts"], default="file",
                        help="one file, or a folder of 10^7-row parts")  # fmt: skip
    parser.add_argument("--log-format", choices=["parquet", "csv.gz"], default="parquet",
                        help="the synthetic log's format (csv.gz: gzip CSV)")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the log (else deleted)")
    parser.add_argument("--log", type=Path, default=None,
                        help="price this synthetic log (a file or a folder of parts) instead "
                        "of writing one")  # fmt: skip
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # each figure as it comes, also into a file
    if args.child:
        kind, log = args.child[:2]
        if kind == "floor":
            result = run_floor(Path(log), args.as_of)
        elif kind == "per-call":
            result = run_per_call(Path(log), args.as_of, args.sample)
        else:
            result = run_infermodel(Path(log), args.as_of, args.memory_limit, args.threads, kind,
                                    args.spark_conf)  # fmt: skip
        print(json.dumps(result))
        return 0

    sizes = [None] if args.log is not None else args.requests
    results = [measure(args, requests) for requests in sizes]
    print("\n" + headline(results, args.memory_limit))
    return 0


def measure(args: argparse.Namespace, requests: int | None) -> dict:
    """Write (or take) one log, price it each way, print the figures; the headline figures."""
    folder = Path(tempfile.mkdtemp(prefix="infermodel-bench-"))
    layout = "_parts" if args.layout == "parts" else ""
    log = folder / f"synthetic_log_{requests}_seed{args.seed}{layout}.{args.log_format}"
    try:
        start = time.perf_counter()
        if args.log is None:
            write_log(log, requests, args.seed, parts=args.layout == "parts")
        else:
            log, args.keep = args.log, True
            requests = int(duckdb.sql(f"SELECT count(*) FROM {scan_sql(log)}").fetchall()[0][0])
        print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        made = (f"written in {time.perf_counter() - start:,.1f} s" if args.log is None
                else f"given: {log}")  # fmt: skip
        files = sorted(log.iterdir()) if log.is_dir() else [log]
        print(f"synthetic log (SYNTHETIC, seed {args.seed}): {requests:,} requests, "
              f"{sum(f.stat().st_size for f in files) / 1e6:,.0f} MB of {args.log_format} in "
              f"{len(files)} file(s), {made}")  # fmt: skip
        options = ["--as-of", args.as_of, "--memory-limit", args.memory_limit,
                   "--threads", str(args.threads), "--sample", str(args.sample)]  # fmt: skip
        options += [f"--spark-conf={conf}" for conf in args.spark_conf]
        ours = child(["duckdb", str(log), *options])
        print(f"infermodel, DuckDB {duckdb.__version__} (memory_limit {args.memory_limit}, "
              f"{args.threads} threads): read+check {ours['read_s']:,.1f} s, read+check+price "
              f"{ours['total_s']:,.1f} s ({ours['cpu_s']:,.0f} CPU-s); {requests:,} "
              f"requests x {ours['api_offerings']} "
              f"API offerings (+{ours['diy_rows']} DIY rows), {ours['shapes']:,} distinct "
              f"request shapes; peak RSS {ours['peak_rss_mb']:,.0f} MB")  # fmt: skip
        floor = None
        if requests <= args.floor_max_requests:
            floor = child(["floor", str(log), *options])
            print(f"numpy floor (read 3 columns, price, exact P50/P95): {floor['total_s']:,.1f} s "
                  f"({floor['cpu_s']:,.0f} CPU-s),"
                  f" peak RSS {floor['peak_rss_mb']:,.0f} MB; infermodel = "
                  f"{ours['total_s'] / floor['total_s']:,.2f}x the floor; "
                  f"{agree(ours, floor)}")  # fmt: skip
        if args.spark:
            sparked = child(["spark", str(log), *options])
            print(f"infermodel on local Spark ({args.threads} cores, "
                  f"{' '.join(args.spark_conf) or 'no --spark-conf'}): read+check "
                  f"{sparked['read_s']:,.1f} s, read+check+price {sparked['total_s']:,.1f} s "
                  f"({sparked['cpu_s']:,.0f} CPU-s of Python); Spark's JVM peak RSS "
                  f"{sparked['jvm_peak_rss_mb']:,.0f} MB (heap limit "
                  f"{sparked['jvm_heap_max_mb']:,.0f} MB), Python {sparked['peak_rss_mb']:,.0f} "
                  f"MB; {agree(sparked, ours)} with DuckDB")  # fmt: skip
        if args.sample:
            calls = child(["per-call", str(log), *options])
            ours_rate = requests * ours["api_offerings"] / ours["total_s"]
            genai_rate = calls["sample"] * calls["genai_offerings"] / calls["genai_s"]
            loop_rate = calls["sample"] * calls["loop_offerings"] / calls["loop_s"]
            print(f"request-prices per second: infermodel {ours_rate:,.0f}, genai-prices "
                  f"calc_price {genai_rate:,.0f} ({ours_rate / genai_rate:,.0f}x slower), plain "
                  f"Python loop {loop_rate:,.0f} ({ours_rate / loop_rate:,.1f}x slower), on "
                  f"{calls['sample']:,} requests")  # fmt: skip
    finally:
        if args.keep:
            print(f"kept {log}")
        if not (args.keep and log.parent == folder):
            shutil.rmtree(folder)
    ratio = ours["total_s"] / floor["total_s"] if floor else None
    return {"requests": requests, "total_s": ours["total_s"], "peak_rss_mb": ours["peak_rss_mb"],
            "ratio": ratio}  # fmt: skip


def headline(results: list[dict], memory_limit: str) -> str:
    """One line per log: its time, peak memory and ratio to the floor."""
    lines = []
    for r in results:
        against = f", {r['ratio']:.2f}x the numpy floor" if r["ratio"] is not None else ""
        lines.append(
            f"{r['requests']:,} requests priced in {r['total_s']:,.1f} s within "
            f"{r['peak_rss_mb']:,.0f} MB (memory_limit {memory_limit}){against}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
