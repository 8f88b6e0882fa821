"""``infermodel spend LOG``: a usage log priced as it was spent, each request on its own model
at the prices of its own day."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from infermodel.cli import options, terminal
from infermodel.cli.pricing import write
from infermodel.errors import InputError
from infermodel.narrative.spend import spend_answer
from infermodel.pricing import reconcile, spend
from infermodel.readers import logs

#: What ``--by`` groups the csv and json rows by (unpriced requests are always rows).
GROUPINGS = ("model-day", "model", "day")
SPEND_COLUMNS_FOR_PEOPLE = ["model", "requests", "cost_usd", "unpriced_reason"]


def add_parser(commands) -> None:
    """Add ``spend`` to the subcommands."""
    parser = commands.add_parser(
        "spend",
        help="price a usage log as it was spent: each request on its own model, at the prices "
        "of its own day",
        description="Each request of the log (any format trace reads, with a model column) is "
        "priced on the model it names at the prices in force on its timestamp's date; totals "
        "by model and by day; requests that cannot be priced (unknown model, over the context "
        "window, no price that day) are listed with the reason, never dropped.",
    )
    parser.add_argument("path", type=Path, help="the log file")
    parser.add_argument(
        "--as-of",
        type=options.ruled("--as-of"),
        default=None,
        help="for a log without timestamps: the date whose prices apply (YYYY-MM-DD)",
    )
    parser.add_argument(
        "--trace-format", choices=list(logs.FORMATS), default=None,
        help="force the log's format (default: detected from the file)",
    )  # fmt: skip
    parser.add_argument(
        "--engine", choices=list(logs.ENGINES), default="duckdb",
        help="where the log is read and grouped: duckdb (default) or spark (infermodel[spark])",
    )  # fmt: skip
    parser.add_argument("--spark-master", default=None, metavar="URL",
                        help="with --engine spark: the Spark master")  # fmt: skip
    parser.add_argument(
        "--drop-bad-rows",
        action="store_true",
        help="drop bad rows (as trace does) instead of refusing the log",
    )
    parser.add_argument(
        "--models",
        type=Path,
        default=None,
        metavar="CSV",
        help="your own model mapping, in the layout of data/bill_models.csv, read first",
    )
    parser.add_argument(
        "--service-tier",
        type=options.ruled("--service-tier"),
        default="standard",
        help="the tier the requests were sent at (default standard, the list price)",
    )
    parser.add_argument(
        "--by",
        choices=GROUPINGS,
        default="model-day",
        help="rows of --format csv/json: per model and day (default), per model or per day; "
        "unpriced requests are rows of their own with the reason",
    )
    options.add_format(parser)
    terminal.add_options(parser, default_columns=SPEND_COLUMNS_FOR_PEOPLE)
    parser.set_defaults(handler=run)


def rows_for(result: spend.Spend, by: str) -> pd.DataFrame:
    """The csv/json rows: priced groups by ``by``, then the unpriced ones (never dropped)."""
    if by == "model":
        priced = result.by_model()
    elif by == "day":
        priced = result.by_day()
    else:
        priced = result.priced
    frame = pd.concat([priced.assign(unpriced_reason=""), result.unpriced], ignore_index=True)
    columns = [c for c in spend.GROUP_COLUMNS if c in frame.columns]
    return frame[columns]


def run(args: argparse.Namespace) -> int:
    if args.spark_master is not None and args.engine != "spark":
        raise InputError("--spark-master is for --engine spark; add --engine spark or drop it")
    trace = logs.read_trace(
        args.path,
        fmt=args.trace_format,
        drop_bad_rows=args.drop_bad_rows,
        engine=args.engine,
        spark_master=args.spark_master,
    )
    if trace.dropped_rows:
        kinds = ", ".join(f"{n:,} {kind}" for kind, n in trace.dropped_by_kind.items())
        print(f"infermodel: dropped {trace.dropped_rows:,} bad row(s) of {args.path} ({kinds})",
              file=sys.stderr)  # fmt: skip
    extra = reconcile.load_mapping(args.models) if args.models is not None else None
    result = spend.price_spend(
        trace,
        as_of=args.as_of,
        service_tier=args.service_tier,
        names=reconcile.model_names(extra=extra),
    )
    if len(result.unpriced):
        count = int(result.unpriced["requests"].sum())
        print(f"infermodel: {count:,} request(s) could not be priced; they are rows with an "
              "unpriced_reason", file=sys.stderr)  # fmt: skip
    if write(rows_for(result, args.by), args):
        return 0
    print(terminal.paragraph(" ".join(spend_answer(result))))
    print()
    print("By model:")
    by_model = result.by_model()
    shown = terminal.choose(by_model, args.columns, ["model", "requests", "cost_usd"], top=None)
    print(terminal.render(shown.head(args.top or len(shown)), total_rows=len(by_model)))
    if result.dated:
        print("\nBy day:")
        by_day = result.by_day().assign(day=lambda f: f["day"].dt.strftime("%Y-%m-%d"))
        print(terminal.render(by_day[["day", "requests", "cost_usd"]], total_rows=len(by_day)))
    if len(result.unpriced):
        print("\nNot priced (listed, not dropped):")
        unpriced = result.unpriced.assign(day=lambda f: f["day"].dt.strftime("%Y-%m-%d"))
        columns = ["model", "day", "requests", "first_line", "unpriced_reason"]
        print(terminal.render(unpriced[columns], total_rows=len(unpriced)))
    return 0


__all__ = ["add_parser", "rows_for", "run"]
