"""``infermodel report``: build the rendered report (or a quarterly one) with papermill.

papermill and nbconvert are imported only when a report is built, so the other commands
start without them.
"""

from __future__ import annotations

import argparse
import sys

from infermodel import paths, prices
from infermodel.cli import options
from infermodel.cli.options import UsageError

OUT_HELP = (
    "report folder (default reports/as-of-<as_of>, with --quarter reports/<quarter>): a new "
    "or empty folder, or a previous infermodel report, which is replaced; never '', '.', the "
    "checkout, or a folder inside data/, notebooks/, the package, .git or .venv. The "
    "executed .ipynb files are not published; a failed run keeps them in .failed/"
)


def add_parser(commands) -> None:
    """Add ``report`` to the subcommands."""
    report = commands.add_parser("report", help="build the rendered report with papermill")
    # A str, not a Path: Path('') is '.', and an empty --out (an unset variable) must be
    # refused as such.
    report.add_argument("--out", default=None, help=OUT_HELP)
    report.add_argument(
        "-p",
        "--parameter",
        type=options.parameter,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help=options.PARAMETER_HELP,
    )
    report.add_argument(
        "--manifest",
        default=None,
        help="which notebooks to run, with which parameters (default notebooks/report.yml; "
        "with --quarter notebooks/quarterly.yml)",
    )
    report.add_argument("--show-code", action="store_true", help="keep code cells in the HTML")
    report.add_argument(
        "--jobs",
        type=options.ruled("--jobs"),
        default=None,
        help="notebooks run at once, each in its own kernel (default: one per core, at most 2)",
    )
    when = report.add_mutually_exclusive_group()
    when.add_argument(
        "--quarter",
        default=None,
        help="quarterly report YYYYQn into reports/YYYYQn (prices as of the quarter's end, or "
        "today, provisional, for the running quarter); sets as_of and previous_as_of, so "
        "-p as_of and -p previous_as_of are refused with it",
    )
    when.add_argument(
        "--as-of",
        type=options.ruled("--as-of"),
        default=None,
        help="prices in force on this date, YYYY-MM-DD (sets as_of; not with -p as_of)",
    )
    report.set_defaults(handler=run)


def _progress(line: str) -> None:
    print(line, file=sys.stderr)


def _manifest_path(text: str | None):
    if text is None:
        return None
    if not text.strip():
        raise UsageError("--manifest is empty (an unset variable?); give a manifest YAML file")
    return text


def _overrides(given: list) -> dict:
    """``-p NAME=VALUE`` as a mapping; a name given twice is refused (the last won)."""
    overrides: dict = {}
    for name, value in given:
        if name in overrides and overrides[name].text != value.text:
            raise UsageError(
                f"-p {name} is given twice ({overrides[name].text!r} and {value.text!r}); "
                "give it once"
            )
        overrides[name] = value
    return overrides


def run(args: argparse.Namespace) -> int:
    from infermodel.reports import folders, runner
    from infermodel.reports import manifest as manifests

    overrides = _overrides(args.parameter)
    if args.out is not None:
        folders.check_target(args.out)  # refuse a dangerous folder before anything else
    manifest_path = _manifest_path(args.manifest)
    if args.quarter is not None:
        manifest = manifests.Manifest.load(manifest_path) if manifest_path else None
        built = runner.build_quarterly(
            args.quarter,
            out_dir=args.out,
            manifest=manifest,
            overrides=overrides,
            show_code=args.show_code,
            progress=_progress,
            jobs=args.jobs or runner.DEFAULT_JOBS,
        )
        print(built / "index.html")
        return 0
    manifest = manifests.Manifest.load(manifest_path or paths.REPORT_MANIFEST)
    if args.as_of is not None:
        if "as_of" in overrides:
            raise UsageError(
                "--as-of and -p as_of both set the as-of date; give one of them "
                f"(--as-of {args.as_of}, -p as_of={overrides['as_of'].text})"
            )
        overrides["as_of"] = args.as_of
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
        jobs=args.jobs or runner.DEFAULT_JOBS,
    )
    print(built / "index.html")
    return 0
