"""``infermodel report``: build the rendered report (or a quarterly one) with papermill.

papermill and nbconvert are imported only when a report is built, so the other commands
start without them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infermodel import parameters, paths, prices
from infermodel.cli import options
from infermodel.cli.options import UsageError
from infermodel.parameters import kinds as rules
from infermodel.tables import user_data

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


def _data_dir(args: argparse.Namespace, overrides: dict, manifest, declared_by) -> None:
    """``--data-dir`` and ``-p data_dir`` name one folder: in use for the checks and every
    kernel, and given to each notebook that declares ``data_dir``."""
    given = overrides.get("data_dir")
    if given is not None:
        text = given.text if hasattr(given, "text") else str(given)
        folder = str(paths.user_data_dir(text)) if text.strip() else ""
        if args.data_dir is not None and folder != args.data_dir:
            raise UsageError(
                f"--data-dir {args.data_dir} and -p data_dir={text} name two folders; give one"
            )
        user_data.use(folder)
        overrides["data_dir"] = folder
        return
    folder = user_data.folder()
    declared = any("data_dir" in declared_by(run.path) for run in manifest.notebooks)
    if folder is not None and declared:
        overrides["data_dir"] = str(folder)


def from_working_directory(overrides: dict, cwd: Path | None = None) -> dict:
    """``-p`` file parameters (``bill_path``, ``log_path``, ``measured_csv``: those whose rule
    is a file) with a relative path made absolute from the working directory, where the
    person typing the command means it; the notebooks themselves run in ``notebooks/``."""
    here = Path.cwd() if cwd is None else Path(cwd)
    out = dict(overrides)
    for name, value in overrides.items():
        rule = parameters.RULES.get(name)
        text = getattr(value, "text", None)
        if isinstance(rule, rules.File) and text and not Path(text).expanduser().is_absolute():
            out[name] = parameters.Typed(str((here / text).resolve()))
    return out


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

    overrides = from_working_directory(_overrides(args.parameter))
    if args.out is not None:
        folders.check_target(args.out)  # refuse a dangerous folder before anything else
    manifest_path = _manifest_path(args.manifest)
    default = paths.QUARTERLY_MANIFEST if args.quarter is not None else paths.REPORT_MANIFEST
    manifest = manifests.Manifest.load(manifest_path or default)
    _data_dir(args, overrides, manifest, manifests.notebook_parameters)
    if args.quarter is not None:
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
        out = paths.reports_dir() / (f"as-of-{as_of}" if as_of else "latest")
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
