"""``infermodel trace PATH``: a request log priced on every offering."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infermodel import display, paths
from infermodel.cli import options, terminal
from infermodel.cli.pricing import (
    assumptions_for,
    billing_words,
    say_user_numbers,
    snapshot_for,
    write,
)
from infermodel.errors import InputError
from infermodel.formulas import autoscaling
from infermodel.pricing import billing_basis, gpu_sizing, trace_pricing
from infermodel.readers import logs

#: Columns of ``trace --format table`` unless ``--columns`` says otherwise.
TRACE_COLUMNS_FOR_PEOPLE = [
    "platform",  # printed as a line above each platform type's rows
    "offering",
    "serving",  # on a rented GPU: the model served, its precision, GPUs and rate
    "cost_usd",
    "usd_per_request_p50",
    "usd_per_request_p95",
    "usd_per_million_tokens",
    "replicas_peak",
    "utilization",
]


def add_parser(commands) -> None:
    """Add ``trace`` to the subcommands."""
    trace = commands.add_parser(
        "trace",
        help="price every request of a log (Azure, Mooncake, CSV/JSONL/Parquet) on every offering",
        description="One row per offering: the log's requests and tokens, cost_usd, USD per "
        "request (mean, P50, P95); for rented GPUs the replicas needed at the peak minute and "
        "on average, and the utilization that implies.",
    )
    trace.add_argument(
        "path",
        help="the log: a file, a folder of part files or a glob, here (a path or file://) or "
        "where Spark reads it (s3a://, hdfs://, abfss://, gs://, dbfs:/; --engine spark); or "
        "the name of a log shipped with the kit: " + ", ".join(paths.SHIPPED_TRACES),
    )
    options.add_as_of(trace)
    trace.add_argument(
        "--trace-format",
        choices=list(logs.FORMATS),
        default=None,
        help="force the log's format (default: detected from the file)",
    )
    trace.add_argument(
        "--engine",
        choices=list(logs.ENGINES),
        default="duckdb",
        help="where the log is checked and priced: duckdb (default, in this process, out of "
        "core) or spark (infermodel[spark]; same table, for logs past one machine)",
    )
    trace.add_argument(
        "--spark-master",
        default=None,
        metavar="URL",
        help="with --engine spark: the Spark master (local[2], spark://host:7077, yarn); "
        "default: Spark Connect at $SPARK_REMOTE when set, else local[*]",
    )
    trace.add_argument(
        "--spark-conf",
        action="append",
        default=None,
        metavar="KEY=VALUE",
        help="with --engine spark: a Spark setting (repeatable), e.g. "
        "spark.sql.shuffle.partitions=64, spark.driver.memory=2g, "
        "spark.hadoop.fs.s3a.endpoint=...; the session's own settings are kept otherwise",
    )
    trace.add_argument(
        "--drop-bad-rows",
        action="store_true",
        help="drop bad rows (missing, negative, non-whole or impossibly large counts, a wrong "
        "number of fields, an unreadable timestamp) instead of refusing the log",
    )
    options.add_selection(trace, provider_help="only this provider (repeatable)")
    trace.add_argument(
        "--no-cached-pricing",
        action="store_true",
        help="bill cached input tokens at the full input price (as without prompt caching)",
    )
    options.add_billing(trace, cache_ttl=False)
    options.add_diy_token_basis(trace)
    trace.add_argument(
        "--diy-sizing",
        choices=list(trace_pricing.DIY_SIZINGS),
        default="autoscaled",
        help="DIY cost_usd with replicas autoscaled per hour (default), sized for the peak "
        "minute all along, or serverless: following the arrivals, idle replicas kept for the "
        "idle timeout, new ones paying the cold start (offerings that do not scale to zero "
        "are then left out); every sizing's cost is a column",
    )
    _add_sizing(trace)
    options.add_format(trace)
    terminal.add_options(trace, default_columns=TRACE_COLUMNS_FOR_PEOPLE)
    trace.set_defaults(handler=run)


def _add_sizing(parser: argparse.ArgumentParser) -> None:
    """Options of how rented replicas follow the log (:class:`gpu_sizing.Options`)."""
    group = parser.add_argument_group("how rented GPUs follow the log")
    for option, meaning in (
        ("--idle-timeout-s", "seconds an idle serverless replica stays up (default: the "
         "provider's, RunPod 5, Modal 60; 60 where none is known)"),
        ("--cold-start-s", "seconds a new replica takes before it serves, billed (default: "
         f"the provider's where stated, else {autoscaling.DEFAULT_COLD_START_SECONDS:g})"),
        ("--scale-interval-s", "autoscaling window (default 3600) and serverless step "
         f"(default {autoscaling.DEFAULT_SERVERLESS_STEP_SECONDS}); a window is never shorter "
         "than the provider's billing increment"),
        ("--min-replicas", "replicas always on, the whole log (default 0)"),
        ("--interruptions-per-hour", "spot interruptions per running hour (default: "
         "gpu_billing_rules.csv)"),
        ("--restart-s", "seconds a spot replica takes to restart after an interruption "
         "(default: gpu_billing_rules.csv)"),
    ):  # fmt: skip
        name = option.lstrip("-").replace("-", "_")
        default = 0 if name == "min_replicas" else None
        group.add_argument(option, type=options.ruled(option), default=default, help=meaning)


def _sizing_options(args: argparse.Namespace) -> gpu_sizing.Options:
    return gpu_sizing.Options(
        idle_timeout_s=args.idle_timeout_s,
        cold_start_s=args.cold_start_s,
        scale_interval_s=args.scale_interval_s,
        min_replicas=args.min_replicas,
        interruptions_per_hour=args.interruptions_per_hour,
        restart_s=args.restart_s,
    )


def shipped_or_given(path: str) -> str:
    """``path``, or the shipped log of that name (``azure-code-2023``) when no such file is
    here: an installed kit's users can price the shipped logs without knowing where they are."""
    if not Path(path).exists() and path in paths.SHIPPED_TRACES:
        return str(paths.SHIPPED_TRACES[path])
    return path


def run(args: argparse.Namespace) -> int:
    snapshot = snapshot_for(args)
    assumptions = assumptions_for(args)
    tier = options.service_tier(args)
    for option, given in (("--spark-master", args.spark_master), ("--spark-conf", args.spark_conf)):
        if given is not None and args.engine != "spark":
            raise InputError(f"{option} is for --engine spark; add --engine spark or drop it")
    args.path = shipped_or_given(args.path)
    with logs.read_trace(
        args.path,
        fmt=args.trace_format,
        drop_bad_rows=args.drop_bad_rows,
        engine=args.engine,
        spark_master=args.spark_master,
        spark_conf=args.spark_conf,
    ) as trace:  # what the engine cached is released at the end, also on an error
        return _priced(args, trace, snapshot, assumptions, tier)


def _priced(args: argparse.Namespace, trace: logs.Trace, snapshot, assumptions, tier) -> int:
    """Price an opened log on every offering and write (or print) the table."""
    if trace.dropped_rows:
        kinds = ", ".join(f"{n:,} {kind}" for kind, n in trace.dropped_by_kind.items())
        print(
            f"infermodel: dropped {trace.dropped_rows:,} bad row(s) of {args.path} ({kinds})",
            file=sys.stderr,
        )
    table = trace_pricing.price_trace(
        trace,
        snapshot,
        assumptions,
        use_cached_pricing=not args.no_cached_pricing,
        diy_token_basis=args.diy_token_basis,
        diy_sizing=args.diy_sizing,
        service_tier=tier,
        uplifts=args.uplift,
        sizing_options=_sizing_options(args),
    )
    terminal.note_left_out(
        trace_pricing.diy_unpriced(
            snapshot, assumptions, diy_sizing=args.diy_sizing, has_timestamps=trace.has_timestamps
        ),
        kind="GPU",
    )
    terminal.note_left_out(
        trace_pricing.api_unpriced(
            trace,
            snapshot,
            use_cached_pricing=not args.no_cached_pricing,
            service_tier=tier,
            uplifts=args.uplift,
        )
    )
    if not write(table, args):
        summary = trace.summary().iloc[0]
        print(
            terminal.paragraph(
                f"{args.path} ({trace.fmt}{engine_words(trace)}): "
                f"{summary['requests']:,} requests, "
                f"{summary['input_tokens']:,} input + {summary['cached_input_tokens']:,} "
                f"cached input + {summary['output_tokens']:,} output tokens; prices as of "
                f"{snapshot.as_of.date()}; {billing_words(args, table=table)}; rented GPUs "
                f"{display.BASIS_WORDS[billing_basis.of_sizing(args.diy_sizing)]}."
            )
        )
        say_user_numbers(table, snapshot)
        shown = terminal.choose(table, args.columns, TRACE_COLUMNS_FOR_PEOPLE, top=args.top)
        print(terminal.render(shown, group="platform", total_rows=len(table)))
    return 0


def engine_words(trace: logs.Trace) -> str:
    """``", on Spark"`` for a log priced on Spark; nothing for the default engine."""
    return "" if trace.engine.name == "duckdb" else f", on {trace.engine.name.capitalize()}"


__all__ = ["add_parser", "engine_words", "run"]
