"""``infermodel report``: build the rendered report (or a quarterly one) with papermill.

papermill and nbconvert are imported only when a report is built, so the other commands
start without them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infermodel import checks, paths, prices
from infermodel.cli import options


def add_parser(commands) -> None:
    """Add ``report`` to the subcommands."""
    report = commands.add_parser("report", help="build the rendered report with papermill")
    report.add_argument(
        "--out", type=Path, default=None, help="report folder (default reports/as-of-<as_of>)"
    )
    report.add_argument(
        "-p",
        "--parameter",
        type=options.parameter,
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
    report.set_defaults(handler=run)


def _progress(line: str) -> None:
    print(line, file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from infermodel.reports import manifest as manifests
    from infermodel.reports import runner

    overrides = dict(args.parameter)
    if args.quarter is not None:
        manifest = manifests.Manifest.load(args.manifest) if args.manifest else None
        built = runner.build_quarterly(
            args.quarter,
            out_dir=args.out,
            manifest=manifest,
            overrides=overrides,
            show_code=args.show_code,
            progress=_progress,
        )
        print(built / "index.html")
        return 0
    manifest = manifests.Manifest.load(args.manifest or paths.REPORT_MANIFEST)
    if args.as_of is not None:
        overrides["as_of"] = checks.date(args.as_of, name="--as-of").strftime("%Y-%m-%d")
        prices.as_of(overrides["as_of"])  # no prices on that date: refuse before any kernel
    runs = manifests.plan(manifest, overrides)  # refuse bad parameters before naming the folder
    out = args.out
    if out is None:
        as_of = next((r.parameters.get("as_of") for r in runs if "as_of" in r.parameters), None)
        out = paths.REPORTS_DIR / (f"as-of-{as_of}" if as_of else "latest")
    built = runner.build_report(
        out,
        manifest=manifest,
        overrides=overrides,
        show_code=args.show_code,
        progress=_progress,
    )
    print(built / "index.html")
    return 0
