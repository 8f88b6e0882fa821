"""The ``infermodel`` command: price a workload, check the data, build reports.

Subcommands (``infermodel SUBCOMMAND --help`` for options)::

    infermodel table --as-of 2025-05-31 --format csv   # the comparison table
    infermodel break-even --as-of 2025-05-31 --format csv  # API vs DIY break-even volumes
    infermodel validate                                # check every shipped table
    infermodel report [--out DIR] [-p NAME=VALUE ...]  # build the rendered report
    infermodel prices import litellm PATH [--write]    # refresh prices from a dated source
    infermodel trace PATH --as-of 2025-05-31 --format csv  # price a request log on every offering
    infermodel throughput --model M --gpu G --gpus N --precision P --input-tokens I ...

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


def _add_pricing_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that prices a workload (``table``, ``break-even``)."""
    parser.add_argument(
        "--as-of", default=None, help="prices in force on this date, YYYY-MM-DD (default: today)"
    )
    parser.add_argument(
        "--total-tokens",
        type=_positive_float("--total-tokens"),
        default=20_000_000,
        help="tokens in the job [tokens] (default 20,000,000)",
    )
    parser.add_argument(
        "--output-share",
        type=_fraction("--output-share", open_low=False),
        default=1.0,
        help="fraction of tokens that is output (default 1.0, the article's reading)",
    )
    parser.add_argument(
        "--cached-input-share",
        type=_fraction("--cached-input-share", open_low=False),
        default=0.0,
        help="fraction of input tokens read from a prompt cache (default 0)",
    )
    parser.add_argument(
        "--requests",
        type=_positive_int("--requests"),
        default=10_000,
        help="requests in the job, for long-context tiers (default 10,000)",
    )
    parser.add_argument(
        "--utilization",
        type=_fraction("--utilization", open_low=True),
        default=0.8,
        help="busy fraction of paid GPU time, in (0, 1] (default 0.8, the article's)",
    )
    parser.add_argument(
        "--throughput",
        type=_positive_float("--throughput"),
        default=None,
        help="override every DIY row's throughput [output tokens/s per replica]",
    )
    parser.add_argument(
        "--serving",
        nargs="+",
        default=["article"],
        metavar="ID",
        help="serving assumptions for DIY rows: ids, 'article' (default) or 'all'",
    )
    parser.add_argument(
        "--provider",
        action="append",
        default=None,
        help="only this provider (repeatable, case-insensitive)",
    )
    parser.add_argument(
        "--platform-type",
        action="append",
        default=None,
        choices=["proprietary_api", "managed_api", "diy_gpu"],
        help="only this platform type (repeatable)",
    )
    parser.add_argument(
        "--diy-token-basis",
        choices=["total", "output"],
        default="total",
        help="tokens that take DIY GPU time (default total, the article's formula)",
    )
    parser.add_argument(
        "--batch-api", action="store_true", help="apply providers' published batch-API discounts"
    )
    parser.add_argument(
        "--stale-after-days",
        type=_positive_int("--stale-after-days"),
        default=120,
        help="flag prices older than this at the as-of date",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="infermodel", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"infermodel {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    table = commands.add_parser("table", help="price one workload on every offering")
    _add_pricing_options(table)
    table.add_argument(
        "--format",
        choices=["csv", "table", "json"],
        default="table",
        help="csv or json (all columns) for machines, table for people",
    )

    even = commands.add_parser(
        "break-even",
        help="monthly volume from which each DIY option is no dearer than each API",
        description="One row per (API offering, DIY option): the break-even million tokens "
        "per month (empty when self-hosting never wins, with the reason), and the assumptions "
        "used as columns. API prices are taken at the workload's token mix.",
    )
    _add_pricing_options(even)
    even.add_argument(
        "--billing",
        choices=["always_on", "per_hour"],
        default="always_on",
        help="DIY pays for whole replicas all month (default) or for whole GPU-hours as needed",
    )
    even.add_argument(
        "--min-replicas",
        type=_number(
            "--min-replicas", convert=int, valid=lambda v: v >= 0, expect="a whole number >= 0"
        ),
        default=1,
        help="replicas kept up all month for availability (default 1)",
    )
    even.add_argument(
        "--max-replicas",
        type=_positive_int("--max-replicas"),
        default=None,
        help="most replicas a DIY option can get (capacity limit; default none)",
    )
    even.add_argument(
        "--fixed-usd-per-month",
        type=_number(
            "--fixed-usd-per-month",
            valid=lambda v: v >= 0 and math.isfinite(v),
            expect="a finite number >= 0",
        ),
        default=0.0,
        help="people and tooling self-hosting needs [USD/month] (default 0)",
    )
    even.add_argument(
        "--tokens-per-month",
        type=_positive_float("--tokens-per-month"),
        default=None,
        help="also give the break-even utilization at this monthly volume [tokens/month]",
    )
    even.add_argument(
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
        default=None,
        help="which notebooks to run, with which parameters (default notebooks/report.yml; "
        "with --quarter notebooks/quarterly.yml)",
    )
    report.add_argument("--show-code", action="store_true", help="keep code cells in the HTML")
    when = report.add_mutually_exclusive_group()
    when.add_argument(
        "--quarter",
        default=None,
        help="quarterly report YYYYQn into reports/YYYYQn (prices as of the quarter's end, or "
        "today, provisional, for the running quarter)",
    )
    when.add_argument(
        "--as-of", default=None, help="prices in force on this date, YYYY-MM-DD (sets as_of)"
    )
    _add_prices_parser(commands)
    _add_throughput_parser(commands)
    _add_trace_parser(commands)
    return parser


def _add_prices_parser(commands) -> None:
    """``infermodel prices import {litellm,genai-prices}``: dated observations from sources."""
    prices_cmd = commands.add_parser("prices", help="refresh price observations from sources")
    actions = prices_cmd.add_subparsers(dest="prices_action", required=True, parser_class=_Parser)
    importer = actions.add_parser("import", help="review (and with --write append) a source")
    sources = importer.add_subparsers(dest="source", required=True, parser_class=_Parser)
    litellm = sources.add_parser("litellm", help="a LiteLLM model_prices_and_context_window.json")
    litellm.add_argument("path", type=Path, help="the JSON file (dated copy)")
    genai = sources.add_parser("genai-prices", help="the installed genai-prices package's data")
    genai.add_argument(
        "--file", type=Path, default=None, help="read a copy of genai-prices' data.json instead"
    )
    for sub in (litellm, genai):
        sub.add_argument(
            "--observed-on",
            default=None,
            help="date the source speaks for, YYYY-MM-DD (default: a date in the file name; "
            "for the installed package, today)",
        )
        sub.add_argument("--write", action="store_true", help="append the reviewed rows")
        sub.add_argument(
            "--allow-missing",
            action="store_true",
            help="write even if some tracked offerings are missing from the source",
        )
        sub.add_argument(
            "--withdraw-missing",
            action="store_true",
            help="record tracked offerings the source no longer lists as withdrawn on its date",
        )


def _prices(args: argparse.Namespace) -> int:
    from infermodel import importers

    if args.source == "litellm":
        source = importers.read_litellm(args.path, observed_on=args.observed_on)
    else:
        source = importers.read_genai_prices(args.file, observed_on=args.observed_on)
    result = importers.review(source)
    print(result.render())
    if not args.write:
        print("Review only: nothing written (add --write to append these observations).")
        return 0
    rows, withdrawals = importers.write(
        result, allow_missing=args.allow_missing, withdraw_missing=args.withdraw_missing
    )
    print(f"Wrote {rows} observation(s) and {withdrawals} withdrawal(s).")
    return 0


def _priced(args: argparse.Namespace):
    """The snapshot, workload and cost table the pricing options ask for."""
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
    return snapshot, workload, table


def _write(frame, args: argparse.Namespace) -> bool:
    """Write ``frame`` as csv or json when asked; False when the caller prints a table."""
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False, date_format="%Y-%m-%d")
    elif args.format == "json":
        sys.stdout.write(frame.to_json(orient="records", date_format="iso", indent=1) + "\n")
    else:
        return False
    return True


def _table(args: argparse.Namespace) -> int:
    import pandas as pd

    snapshot, workload, table = _priced(args)
    if not _write(table, args):
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


BREAK_EVEN_COLUMNS_FOR_PEOPLE = [
    "api_offering",
    "api_usd_per_million_tokens",
    "diy_offering",
    "diy_usd_per_million_tokens_busy",
    "break_even_million_tokens_per_month",
    "always_cheaper_from_million_tokens_per_month",
    "replicas_at_break_even",
]


def _break_even(args: argparse.Namespace) -> int:
    import pandas as pd

    from infermodel import growth

    snapshot, workload, table = _priced(args)
    even = growth.break_even_table(
        table,
        billing=args.billing,
        min_replicas=args.min_replicas,
        fixed_usd_per_month=args.fixed_usd_per_month,
        max_replicas=args.max_replicas,
        tokens_per_month=args.tokens_per_month,
    )
    even.insert(0, "as_of", snapshot.as_of.date().isoformat())
    even["output_share"] = workload.output_share
    even["diy_token_basis"] = args.diy_token_basis
    if not _write(even, args):
        wins = even["break_even_million_tokens_per_month"].notna()
        print(
            f"Prices as of {snapshot.as_of.date()}; token mix {workload.output_share:.0%} output; "
            f"billing {args.billing}, min replicas {args.min_replicas}, fixed "
            f"${args.fixed_usd_per_month:,.0f}/month. DIY wins somewhere in "
            f"{int(wins.sum())} of {len(even)} pairs (others: see --format csv, column reason)."
        )
        shown = even.loc[wins, BREAK_EVEN_COLUMNS_FOR_PEOPLE].sort_values(
            "break_even_million_tokens_per_month"
        )
        with pd.option_context("display.width", 250, "display.max_colwidth", 60):
            print(shown.to_string(index=False, float_format="{:,.4g}".format))
    return 0


def _validate(_: argparse.Namespace) -> int:
    from infermodel import prices

    counts = prices.validate_all()
    print("ok: " + ", ".join(f"{name} {rows} rows" for name, rows in counts.items()))
    return 0


def _report(args: argparse.Namespace) -> int:
    from infermodel import prices, reports

    overrides = dict(args.parameter)
    progress = lambda line: print(line, file=sys.stderr)  # noqa: E731
    if args.quarter is not None:
        manifest = reports.Manifest.load(args.manifest) if args.manifest else None
        built = reports.build_quarterly(
            args.quarter,
            out_dir=args.out,
            manifest=manifest,
            overrides=overrides,
            show_code=args.show_code,
            progress=progress,
        )
        print(built / "index.html")
        return 0
    manifest = reports.Manifest.load(args.manifest or paths.REPORT_MANIFEST)
    if args.as_of is not None:
        overrides["as_of"] = prices.parse_date(args.as_of, name="--as-of").strftime("%Y-%m-%d")
        prices.as_of(overrides["as_of"])  # no prices on that date: refuse before any kernel
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


def _add_throughput_parser(commands) -> None:
    """``infermodel throughput``: roofline estimate of serving throughput (issue 5)."""
    tp = commands.add_parser(
        "throughput", help="estimate serving throughput from model and GPU specs"
    )
    tp.add_argument("--list", action="store_true", help="print the accepted model and GPU names")
    tp.add_argument("--model", help="model name, any case (see --list)")
    tp.add_argument("--gpu", help="GPU SKU, any case (see --list)")
    tp.add_argument("--gpus", type=int, help="GPUs in the replica (tensor parallel)")
    tp.add_argument("--precision", help="bf16, fp16, fp8, int8, int4 or fp4")
    tp.add_argument("--input-tokens", type=int, help="prompt tokens per request [tokens]")
    tp.add_argument("--output-tokens", type=int, help="generated tokens per request [tokens]")
    tp.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="requests in flight (default: the largest batch that fits, maximum throughput)",
    )
    tp.add_argument(
        "--format", choices=["csv", "table", "json"], default="table", help="output format"
    )


def _throughput(args: argparse.Namespace) -> int:
    from infermodel import serving, throughput

    if args.list:
        models = throughput.load_model_specs()
        specs = serving.load_gpu_specs()
        print("models: " + ", ".join(models["model"]))
        print("gpus: " + ", ".join(specs["gpu"]))
        print("precisions: " + ", ".join(throughput.PRECISIONS))
        return 0
    needed = ["model", "gpu", "gpus", "precision", "input_tokens", "output_tokens"]
    missing = ["--" + n.replace("_", "-") for n in needed if getattr(args, n) is None]
    if missing:
        raise UsageError(
            f"throughput needs {', '.join(missing)} (or --list); see 'infermodel throughput --help'"
        )
    table = throughput.estimate(
        args.model,
        args.gpu,
        args.gpus,
        args.precision,
        args.input_tokens,
        args.output_tokens,
        concurrency=args.concurrency,
    )
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        sys.stdout.write(table.to_json(orient="records", indent=1) + "\n")
    else:
        print(table.T.to_string(header=False, float_format="{:,.4g}".format))
    return 0


def _add_trace_parser(commands) -> None:
    """``infermodel trace PATH``: a request log priced on every offering (issue 6)."""
    from infermodel.traces import DIY_SIZINGS, FORMATS

    trace = commands.add_parser(
        "trace",
        help="price every request of a log (Azure, Mooncake, CSV/JSONL/Parquet) on every offering",
        description="One row per offering: the log's requests and tokens, cost_usd, USD per "
        "request (mean, P50, P95); for rented GPUs the replicas needed at the peak minute and "
        "on average, and the utilization that implies.",
    )
    trace.add_argument("path", type=Path, help="the log file")
    trace.add_argument(
        "--as-of", default=None, help="prices in force on this date, YYYY-MM-DD (default: today)"
    )
    trace.add_argument(
        "--trace-format",
        choices=list(FORMATS),
        default=None,
        help="force the log's format (default: detected from the file)",
    )
    trace.add_argument(
        "--drop-bad-rows",
        action="store_true",
        help="drop rows with missing, negative or unreadable values (default: refuse the log)",
    )
    trace.add_argument(
        "--serving",
        nargs="+",
        default=["article"],
        metavar="ID",
        help="serving assumptions for DIY rows: ids, 'article' (default) or 'all'",
    )
    trace.add_argument(
        "--provider", action="append", default=None, help="only this provider (repeatable)"
    )
    trace.add_argument(
        "--platform-type",
        action="append",
        default=None,
        choices=["proprietary_api", "managed_api", "diy_gpu"],
        help="only this platform type (repeatable)",
    )
    trace.add_argument(
        "--no-cached-pricing",
        action="store_true",
        help="bill cached input tokens at the full input price (as without prompt caching)",
    )
    trace.add_argument(
        "--diy-token-basis",
        choices=["total", "output"],
        default="total",
        help="tokens that take DIY GPU time (default total, the article's formula)",
    )
    trace.add_argument(
        "--diy-sizing",
        choices=list(DIY_SIZINGS),
        default="autoscaled",
        help="DIY cost_usd with replicas autoscaled per hour (default) or sized for the peak",
    )
    trace.add_argument(
        "--format",
        choices=["csv", "table", "json"],
        default="table",
        help="csv or json (all columns) for machines, table for people",
    )


def _trace(args: argparse.Namespace) -> int:
    import pandas as pd

    from infermodel import prices, serving, traces

    as_of = args.as_of or pd.Timestamp.today().strftime("%Y-%m-%d")
    snapshot = prices.as_of(as_of)
    if args.provider or args.platform_type:
        snapshot = snapshot.select(providers=args.provider, platform_types=args.platform_type)
    ids = args.serving[0] if args.serving in (["article"], ["all"]) else args.serving
    assumptions = serving.select(serving.load_serving(), ids)
    trace = traces.read_trace(args.path, fmt=args.trace_format, drop_bad_rows=args.drop_bad_rows)
    if trace.dropped_rows:
        kinds = ", ".join(f"{n:,} {kind}" for kind, n in trace.dropped_by_kind.items())
        print(
            f"infermodel: dropped {trace.dropped_rows:,} bad row(s) of {args.path} ({kinds})",
            file=sys.stderr,
        )
    table = traces.price_trace(
        trace,
        snapshot,
        assumptions,
        use_cached_pricing=not args.no_cached_pricing,
        diy_token_basis=args.diy_token_basis,
        diy_sizing=args.diy_sizing,
    )
    if not _write(table, args):
        summary = trace.summary().iloc[0]
        print(
            f"{args.path} ({trace.fmt}): {summary['requests']:,} requests, "
            f"{summary['input_tokens']:,} input + {summary['cached_input_tokens']:,} cached "
            f"input + {summary['output_tokens']:,} output tokens; prices as of "
            f"{snapshot.as_of.date()}"
        )
        columns = ["platform", "provider", "model", "gpu", "serving_assumption", "cost_usd",
                   "usd_per_request_p50", "usd_per_request_p95", "usd_per_million_tokens",
                   "replicas_peak", "replicas_mean", "utilization"]  # fmt: skip
        with pd.option_context("display.width", 250, "display.max_columns", None):
            print(table[columns].to_string(index=False, float_format="{:,.4g}".format, na_rep=""))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``infermodel`` command; returns the exit status."""
    from infermodel.prices import NoPricesError
    from infermodel.reports import ParameterError, ReportError
    from infermodel.schema import TableError

    try:
        args = build_parser().parse_args(argv)
        handler = {
            "table": _table,
            "break-even": _break_even,
            "validate": _validate,
            "report": _report,
            "prices": _prices,
            "throughput": _throughput,
            "trace": _trace,
        }[args.command]
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
