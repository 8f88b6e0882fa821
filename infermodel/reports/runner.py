"""Build a report all or nothing: stage, execute, render, record, swap into place.

Where a report may go and how it replaces a previous one is :mod:`~infermodel.reports.folders`;
the notebooks run in a kernel that talks over Unix sockets (:mod:`~infermodel.reports.kernel`).
A published report holds the rendered pages, ``tables/`` and ``run_record.json`` (its paths
relative to the report or the checkout); the executed ``.ipynb`` files, which carry the build
machine's paths, are kept only for a failed run, under ``.failed/``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from infermodel import __version__, paths, prices
from infermodel.analyses.quarters import Quarter, report_date
from infermodel.errors import NoPricesError, ParameterError, ReportError
from infermodel.reports import execute, folders
from infermodel.reports.manifest import (
    Manifest,
    NotebookRun,
    notebook_parameters,
    plan,
)
from infermodel.reports.pages import index_html, write_reports_index
from infermodel.reports.record import command_line, git_commit, package_versions, public
from infermodel.tables.registry import data_hash

#: Parameters ``build_quarterly`` sets from the quarter; a caller may not set them too.
QUARTER_PARAMETERS = ("as_of", "previous_as_of")
#: Notebooks run at once by default: one per core, at most two (each kernel is a process;
#: the analyses are numpy-bound and a third kernel on two cores only adds waiting).
DEFAULT_JOBS = max(1, min(2, os.cpu_count() or 1))


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived during a build (a BaseException, like KeyboardInterrupt,
    so that nothing on the way up mistakes it for a notebook's error)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.name = signal.Signals(signum).name


def build_report(
    out_dir: Path | str,
    *,
    manifest: Manifest | None = None,
    overrides: Mapping[str, object] | None = None,
    show_code: bool = False,
    progress: Callable[[str], None] = print,
    record_extra: Mapping[str, object] | None = None,
    jobs: int = DEFAULT_JOBS,
) -> Path:
    """Build a report into ``out_dir``, all or nothing; return the report folder.

    Up to ``jobs`` notebooks run at once, each in its own kernel; the run record and the
    index keep the manifest's order.

    ``out_dir`` must be a new or empty folder or a previous report
    (:func:`~infermodel.reports.folders.check_target`). ``record_extra`` (e.g. ``as_of``,
    ``quarter``, ``provisional``) is added to the run record and shown on the index page.
    After the swap, ``index.html`` in the parent folder is rewritten to list every report
    there, if the parent is a reports folder
    (:func:`~infermodel.reports.folders.is_reports_folder`).

    Raises :class:`~infermodel.errors.InputError` for a folder a report may not be written
    to and :class:`ParameterError` for a bad parameter, both before any kernel starts;
    :class:`ReportError` naming the notebook and cell that failed, the kernel that died, the
    signal that stopped the build or the folder fault. ``out_dir`` is then left as it was.
    """
    target = folders.check_target(out_dir)
    manifest = Manifest.load() if manifest is None else manifest
    runs = plan(manifest, overrides)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise folders.folder_error(parent, exc) from None
    folders.sweep(parent, target.name)
    staging = folders.staging_folder(parent, target.name)
    record = _new_record(manifest, runs, target, record_extra)
    try:
        with _signals_raise():
            record["notebooks"] = _run_notebooks(
                runs, staging, target, show_code=show_code, jobs=jobs, progress=progress
            )
            _finish(staging, manifest.title, record)
    except execute.NotebookFailed as failed:
        kept = folders.keep_failed(staging, target)
        where = f"kept in {kept}" if kept else "not kept (the folder could not be written)"
        raise ReportError(
            f"{failed}. The executed notebook is {where}; the previous report in {target} "
            "is untouched."
        ) from None
    except Interrupted as stop:
        shutil.rmtree(staging, ignore_errors=True)
        raise ReportError(
            f"interrupted by {stop.name}: nothing was published and {target} is as it was"
        ) from None
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise folders.folder_error(parent, exc) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _publish(staging, target, progress)
    return target


def _new_record(
    manifest: Manifest, runs: list[NotebookRun], target: Path, extra: Mapping | None
) -> dict:
    record = {
        "generator": f"infermodel {__version__}",
        "title": manifest.title,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "data_sha256": data_hash(),
        "packages": package_versions(),
        "command": command_line(target),
        **public(dict(extra or {}), target),
        "notebooks": [],
    }
    if "as_of" not in record:
        as_of = next((r.parameters["as_of"] for r in runs if "as_of" in r.parameters), None)
        if as_of is not None:
            record["as_of"] = str(as_of)
    return record


def _run_notebooks(
    runs: list[NotebookRun],
    staging: Path,
    target: Path,
    *,
    show_code: bool,
    jobs: int,
    progress: Callable[[str], None],
) -> list[dict]:
    """Execute and render every notebook into ``staging``; their run-record entries."""
    work = []
    for number, run in enumerate(runs, start=1):
        own = staging / ".tables" / run.name
        own.mkdir(parents=True)
        work.append(
            execute.Job(
                number=number,
                notebook=run.path,
                parameters=run.parameters,
                executed=staging / run.path.name,
                tables=own,
                html=staging / f"{run.name}.html",
                show_code=show_code,
            )
        )
    results = execute.run_all(work, jobs, progress)
    entries = []
    for run, job, result in zip(runs, work, results, strict=True):
        entries.append(
            {
                "name": run.name,
                "notebook": run.path.name,
                "html": job.html.name,
                "parameters": public(run.parameters, target),
                **result,
                "tables": _collect_tables(run, job.tables, staging / "tables"),
            }
        )
    (staging / ".tables").rmdir()
    return entries


def _collect_tables(run: NotebookRun, own: Path, tables: Path) -> list[str]:
    """Move the tables a notebook wrote into the report's ``tables/``; their names.

    Two notebooks may save the same table (the same prices, say) only with the same bytes;
    different contents under one name are refused, naming the notebook.
    """
    names = sorted(p.name for p in own.iterdir())
    for name in names:
        there = tables / name
        if there.exists():
            if there.read_bytes() != (own / name).read_bytes():
                raise ReportError(
                    f"{run.path.name} saved a table {name!r} that another notebook of the "
                    "report saved with other contents; give one of them another name"
                )
            (own / name).unlink()
        else:
            (own / name).replace(there)
    own.rmdir()
    return names


def _finish(staging: Path, title: str, record: dict) -> None:
    """Write the run record and the index page; drop the executed notebooks (they carry the
    build machine's paths; the rendered pages are the report)."""
    record["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record["total_seconds"] = round(sum(n["seconds"] for n in record["notebooks"]), 2)
    (staging / "run_record.json").write_text(json.dumps(record, indent=2, default=str))
    page = index_html(title, record, tables_dir=staging / "tables")
    (staging / "index.html").write_text(page, encoding="utf-8")
    for run in record["notebooks"]:
        (staging / run["notebook"]).unlink(missing_ok=True)


def _publish(staging: Path, target: Path, progress: Callable[[str], None]) -> None:
    """Swap the finished report into place and list it in the parent's reports index."""
    try:
        folders.swap(staging, target)
    except ReportError:
        kept = folders.keep_failed(staging, target)
        if kept is None:
            raise
        raise ReportError(
            f"{target} could not be replaced; the built report is kept in {kept}"
        ) from None
    parent = target.parent
    if folders.is_reports_folder(parent):
        try:
            write_reports_index(parent)
        except OSError as exc:
            raise folders.folder_error(parent, exc) from None
    else:
        progress(f"(no reports index written: {parent} holds more than reports)")


@contextmanager
def _signals_raise() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` during a build, so the staging
    folder is removed; the previous handlers are restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, _frame):
        raise Interrupted(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def build_quarterly(
    quarter: str,
    *,
    out_dir: Path | str | None = None,
    manifest: Manifest | None = None,
    overrides: Mapping[str, object] | None = None,
    today: object | None = None,
    show_code: bool = False,
    progress: Callable[[str], None] = print,
    jobs: int = DEFAULT_JOBS,
) -> Path:
    """Build the quarterly report for ``quarter`` (``YYYYQn``) into ``reports/<quarter>/``.

    Notebooks get ``as_of`` = the quarter's last day (today, provisional, for the running
    quarter) and, where declared, ``previous_as_of`` = the previous quarter's last day.

    Raises
    ------
    ValueError
        A malformed quarter, or one that has not started.
    infermodel.errors.ParameterError
        ``overrides`` or the manifest set ``as_of`` or ``previous_as_of``, which the quarter
        sets.
    infermodel.errors.NoPricesError
        No price observation on or before the as-of date; nothing is written.
    """
    parsed = Quarter.parse(quarter)
    as_of, provisional = report_date(parsed, today=today)
    manifest = Manifest.load(paths.QUARTERLY_MANIFEST) if manifest is None else manifest
    _refuse_quarter_parameters(parsed, as_of, overrides or {}, manifest)
    try:
        prices.as_of(as_of)
    except NoPricesError as exc:
        raise NoPricesError(f"quarter {parsed}: {exc}") from None
    wanted = {"as_of": as_of.strftime("%Y-%m-%d")}
    if any("previous_as_of" in notebook_parameters(run.path) for run in manifest.notebooks):
        wanted["previous_as_of"] = parsed.previous.end.strftime("%Y-%m-%d")
    title = f"{manifest.title}: {parsed}" + (" (provisional)" if provisional else "")
    manifest = Manifest(title, manifest.notebooks)
    out_dir = paths.REPORTS_DIR / parsed.label if out_dir is None else out_dir
    return build_report(
        out_dir,
        manifest=manifest,
        overrides={**wanted, **dict(overrides or {})},
        show_code=show_code,
        progress=progress,
        jobs=jobs,
        record_extra={
            "quarter": parsed.label,
            "as_of": wanted["as_of"],
            "provisional": provisional,
        },
    )


def _refuse_quarter_parameters(
    quarter: Quarter, as_of, overrides: Mapping[str, object], manifest: Manifest
) -> None:
    """A quarterly report is labelled with its quarter and priced at its end: nothing may
    set another date (``-p as_of`` would build a report labelled one date, priced at another)."""
    for name in QUARTER_PARAMETERS:
        if name in overrides:
            raise ParameterError(
                f"-p {name} cannot be used with --quarter {quarter}, which sets as_of to "
                f"{as_of.date()} and previous_as_of to {quarter.previous.end.date()}; drop "
                f"-p {name}, or build with --as-of instead of --quarter"
            )
        for run in manifest.notebooks:
            if name in run.parameters:
                raise ParameterError(
                    f"the quarterly manifest sets {name!r} for {run.path.name}; the quarter "
                    f"sets it ({quarter}: {as_of.date()}), remove it from the manifest"
                )
