"""The ``infermodel`` command: price a workload, check the data, build reports.

Subcommands (``infermodel SUBCOMMAND --help`` for options)::

    infermodel table --as-of 2025-05-31 --format csv   # the comparison table
    infermodel validate                                # check every shipped table
    infermodel report [--out DIR] [-p NAME=VALUE ...]  # build the rendered report

A mistake a user can make (a malformed date, a date with no prices, an unknown option,
provider or serving assumption, a utilization outside (0, 1], a non-positive token count or
throughput) ends with exit status 2 and one line on stderr naming what is wrong.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from infermodel import __version__, paths

EXIT_USAGE = 2
EXIT_DATA = 1

TABLE_COLUMNS_FOR_PEOPLE = [
    "platform",
    "provider",
    "model",
    "gpu",
    "tier",
    "serving_assumption",
    "tokens_per_second",
    "gpu_hours",
    "wall_clock_hours",
    "cost_usd",
    "usd_per_million_tokens",
    "multiple_of_cheapest",
    "observed_on",
    "confidence",
]


class UsageError(Exception):
    """A mistake on the command line; printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + traceback
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _number(name: str, *, convert=float, valid, expect: str):
    """An argparse type: ``convert`` the text, then require ``valid(value)``."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be {expect}, got {text!r}") from None
        if not valid(value):
            raise argparse.ArgumentTypeError(f"{name} must be {expect}, got {text}")
        return value

    return parse


def _positive_float(name: str):
    return _number(name, valid=lambda v: v > 0 and math.isfinite(v), expect="a finite number > 0")


def _fraction(name: str, *, open_low: bool):
    if open_low:
        return _number(name, valid=lambda v: 0 < v <= 1, expect="a number in (0, 1]")
    return _number(name, valid=lambda v: 0 <= v <= 1, expect="a number in [0, 1]")


def _positive_int(name: str):
    return _number(name, convert=int, valid=lambda v: v > 0, expect="a whole number > 0")


def _parameter(text: str) -> tuple[str, object]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"parameters are NAME=VALUE, got {text!r}")
    try:
        return name.strip(), yaml.safe_load(value)
    except yaml.YAMLError:
        raise argparse.ArgumentTypeError(f"cannot read the value of {name!r}: {value!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="infermodel", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"infermodel {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    table = commands.add_parser("table", help="price one workload on every offering")
    table.add_argument(
        "--as-of", default=None, help="prices in force on this date, YYYY-MM-DD (default: today)"
    )
    table.add_argument(
        "--total-tokens",
        type=_positive_float("--total-tokens"),
        default=20_000_000,
        help="tokens in the job [tokens] (default 20,000,000)",
    )
    table.add_argument(
        "--output-share",
        type=_fraction("--output-share", open_low=False),
        default=1.0,
        help="fraction of tokens that is output (default 1.0, the article's reading)",
    )
    table.add_argument(
        "--cached-input-share",
        type=_fraction("--cached-input-share", open_low=False),
        default=0.0,
        help="fraction of input tokens read from a prompt cache (default 0)",
    )
    table.add_argument(
        "--requests",
        type=_positive_int("--requests"),
        default=10_000,
        help="requests in the job, for long-context tiers (default 10,000)",
    )
    table.add_argument(
        "--utilization",
        type=_fraction("--utilization", open_low=True),
        default=0.8,
        help="busy fraction of paid GPU time, in (0, 1] (default 0.8, the article's)",
    )
    table.add_argument(
        "--throughput",
        type=_positive_float("--throughput"),
        default=None,
        help="override every DIY row's throughput [output tokens/s per replica]",
    )
    table.add_argument(
        "--serving",
        nargs="+",
        default=["article"],
        metavar="ID",
        help="serving assumptions for DIY rows: ids, 'article' (default) or 'all'",
    )
    table.add_argument(
        "--provider",
        action="append",
        default=None,
        help="only this provider (repeatable, case-insensitive)",
    )
    table.add_argument(
        "--platform-type",
        action="append",
        default=None,
        choices=["proprietary_api", "managed_api", "diy_gpu"],
        help="only this platform type (repeatable)",
    )
    table.add_argument(
        "--diy-token-basis",
        choices=["total", "output"],
        default="total",
        help="tokens that take DIY GPU time (default total, the article's formula)",
    )
    table.add_argument(
        "--batch-api", action="store_true", help="apply providers' published batch-API discounts"
    )
    table.add_argument(
        "--stale-after-days",
        type=_positive_int("--stale-after-days"),
        default=120,
        help="flag prices older than this at the as-of date",
    )
    table.add_argument(
        "--format",
        choices=["csv", "table", "json"],
        default="table",
        help="csv or json (all columns) for machines, table for people",
    )

    commands.add_parser("validate", help="check every shipped data table")

    report = commands.add_parser("report", help="build the rendered report with papermill")
    report.add_argument(
        "--out", type=Path, default=None, help="report folder (default reports/as-of-<as_of>)"
    )
    report.add_argument(
        "-p",
        "--parameter",
        type=_parameter,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a notebook parameter (repeatable)",
    )
    report.add_argument(
        "--manifest",
        type=Path,
        default=paths.REPORT_MANIFEST,
        help="which notebooks to run, with which parameters",
    )
    report.add_argument("--show-code", action="store_true", help="keep code cells in the HTML")
    return parser


def _table(args: argparse.Namespace) -> int:
    import pandas as pd

    from infermodel import compare, prices, serving
    from infermodel.workloads import Workload

    as_of = args.as_of or pd.Timestamp.today().strftime("%Y-%m-%d")
    snapshot = prices.as_of(as_of, stale_after_days=args.stale_after_days)
    if args.provider or args.platform_type:
        snapshot = snapshot.select(providers=args.provider, platform_types=args.platform_type)
    ids = args.serving[0] if args.serving in (["article"], ["all"]) else args.serving
    assumptions = serving.select(serving.load_serving(), ids)
    if args.throughput is not None:
        assumptions = assumptions.assign(tokens_per_second=args.throughput)
    workload = Workload.from_total(
        args.total_tokens,
        output_share=args.output_share,
        cached_input_share=args.cached_input_share,
        requests=args.requests,
    )
    table = compare.cost_table(
        workload,
        snapshot,
        assumptions,
        utilization=args.utilization,
        diy_token_basis=args.diy_token_basis,
        use_batch_api=args.batch_api,
    )
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False, date_format="%Y-%m-%d")
    elif args.format == "json":
        sys.stdout.write(table.to_json(orient="records", date_format="iso", indent=1) + "\n")
    else:
        stale = int(table["stale"].sum())
        with pd.option_context(
            "display.width", 250, "display.max_columns", None, "display.max_colwidth", 40
        ):
            print(
                f"Prices as of {snapshot.as_of.date()}; {workload.total_tokens:,.0f} tokens "
                f"({workload.output_share:.0%} output); utilization {args.utilization}"
            )
            if stale:
                print(
                    f"WARNING: {stale} row(s) priced from observations older than "
                    f"{args.stale_after_days} days (column 'stale')"
                )
            print(
                table[TABLE_COLUMNS_FOR_PEOPLE].to_string(
                    index=False, float_format="{:,.4g}".format
                )
            )
    return 0


def _validate(_: argparse.Namespace) -> int:
    from infermodel import prices

    counts = prices.validate_all()
    print("ok: " + ", ".join(f"{name} {rows} rows" for name, rows in counts.items()))
    return 0


def _report(args: argparse.Namespace) -> int:
    from infermodel import reports

    manifest = reports.Manifest.load(args.manifest)
    overrides = dict(args.parameter)
    runs = reports.plan(manifest, overrides)  # refuse bad parameters before naming the folder
    out = args.out
    if out is None:
        as_of = next((r.parameters.get("as_of") for r in runs if "as_of" in r.parameters), None)
        out = paths.REPORTS_DIR / (f"as-of-{as_of}" if as_of else "latest")
    built = reports.build_report(
        out,
        manifest=manifest,
        overrides=overrides,
        show_code=args.show_code,
        progress=lambda line: print(line, file=sys.stderr),
    )
    print(built / "index.html")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``infermodel`` command; returns the exit status."""
    from infermodel.prices import NoPricesError
    from infermodel.reports import ParameterError, ReportError
    from infermodel.schema import TableError

    try:
        args = build_parser().parse_args(argv)
        handler = {"table": _table, "validate": _validate, "report": _report}[args.command]
        return handler(args)
    except UsageError as exc:
        print(f"infermodel: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except TableError as exc:
        print(f"infermodel: error: {exc}", file=sys.stderr)
        return EXIT_DATA
    except (ValueError, NoPricesError, TypeError, ParameterError) as exc:
        print(f"infermodel: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ReportError as exc:
        print(f"infermodel: error: {exc}", file=sys.stderr)
        return EXIT_DATA
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
