"""Build a report all or nothing: stage, execute, render, record, swap into place."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import nbformat
import papermill
from papermill.exceptions import PapermillExecutionError

from infermodel import paths, prices
from infermodel.errors import NoPricesError, ReportError
from infermodel.quarters import Quarter, report_date
from infermodel.reports.manifest import (
    TABLES_PARAMETER,
    Manifest,
    notebook_parameters,
    plan,
)
from infermodel.reports.pages import index_html, render_html, write_reports_index
from infermodel.reports.record import git_commit, package_versions
from infermodel.tables import data_hash


def build_report(
    out_dir: Path,
    *,
    manifest: Manifest | None = None,
    overrides: Mapping[str, object] | None = None,
    show_code: bool = False,
    progress: Callable[[str], None] = print,
    record_extra: Mapping[str, object] | None = None,
) -> Path:
    """Build a report into ``out_dir``, all or nothing; return ``out_dir``.

    ``record_extra`` (e.g. ``as_of``, ``quarter``, ``provisional``) is added to the run
    record and shown on the index page. After the swap, ``index.html`` in ``out_dir``'s
    parent is rewritten to list every built report there (:func:`write_reports_index`).

    Raises :class:`ParameterError` before any kernel starts, or :class:`ReportError` naming
    the notebook and cell that failed; ``out_dir`` is then left as it was.
    """
    manifest = Manifest.load() if manifest is None else manifest
    runs = plan(manifest, overrides)
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    staging = out_dir.parent / f".{out_dir.name}.building-{stamp}-{os.getpid()}"
    tables = staging / "tables"
    tables.mkdir(parents=True)
    record = {
        "title": manifest.title,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "data_sha256": data_hash(),
        "packages": package_versions(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        **dict(record_extra or {}),
        "notebooks": [],
    }
    if "as_of" not in record:
        as_of = next((r.parameters["as_of"] for r in runs if "as_of" in r.parameters), None)
        if as_of is not None:
            record["as_of"] = str(as_of)
    try:
        for number, run in enumerate(runs, start=1):
            progress(f"[{number}/{len(runs)}] {run.path.name} ...")
            executed = staging / run.path.name
            before = set(tables.iterdir())
            started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            start = time.perf_counter()
            try:
                papermill.execute_notebook(
                    str(run.path),
                    str(executed),
                    parameters={**run.parameters, TABLES_PARAMETER: str(tables)},
                    kernel_name="python3",
                    cwd=str(run.path.parent),
                    progress_bar=False,
                )
            except PapermillExecutionError as exc:
                cell = _source_cell_number(executed, exc.cell_index)
                failed = _keep_failed(staging, out_dir)
                raise ReportError(
                    f"{run.path.name} failed in cell #{cell} (In [{exc.exec_count}]): "
                    f"{exc.ename}: {exc.evalue}. The executed notebook is "
                    f"kept in {failed}; the previous report in {out_dir} is untouched."
                ) from None
            seconds = time.perf_counter() - start
            render_html(executed, staging / f"{run.name}.html", show_code=show_code)
            record["notebooks"].append(
                {
                    "name": run.name,
                    "notebook": run.path.name,
                    "html": f"{run.name}.html",
                    "parameters": run.parameters,
                    "started": started,
                    "seconds": round(seconds, 2),
                    "tables": sorted(p.name for p in set(tables.iterdir()) - before),
                }
            )
            progress(f"[{number}/{len(runs)}] {run.path.name} done in {seconds:.1f} s")
        record["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        record["total_seconds"] = round(sum(n["seconds"] for n in record["notebooks"]), 2)
        (staging / "run_record.json").write_text(json.dumps(record, indent=2, default=str))
        (staging / "index.html").write_text(index_html(manifest.title, record), encoding="utf-8")
    except ReportError:
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap_into_place(staging, out_dir)
    write_reports_index(out_dir.parent)
    return out_dir


def build_quarterly(
    quarter: str,
    *,
    out_dir: Path | None = None,
    manifest: Manifest | None = None,
    overrides: Mapping[str, object] | None = None,
    today: object | None = None,
    show_code: bool = False,
    progress: Callable[[str], None] = print,
) -> Path:
    """Build the quarterly report for ``quarter`` (``YYYYQn``) into ``reports/<quarter>/``.

    Notebooks get ``as_of`` = the quarter's last day (today, provisional, for the running
    quarter) and, where declared, ``previous_as_of`` = the previous quarter's last day.

    Raises
    ------
    ValueError
        A malformed quarter, or one that has not started.
    infermodel.errors.NoPricesError
        No price observation on or before the as-of date; nothing is written.
    """
    parsed = Quarter.parse(quarter)
    as_of, provisional = report_date(parsed, today=today)
    try:
        prices.as_of(as_of)
    except NoPricesError as exc:
        raise NoPricesError(f"quarter {parsed}: {exc}") from None
    manifest = Manifest.load(paths.QUARTERLY_MANIFEST) if manifest is None else manifest
    wanted = {"as_of": as_of.strftime("%Y-%m-%d")}
    if any("previous_as_of" in notebook_parameters(run.path) for run in manifest.notebooks):
        wanted["previous_as_of"] = parsed.previous.end.strftime("%Y-%m-%d")
    title = f"{manifest.title}: {parsed}" + (" (provisional)" if provisional else "")
    manifest = Manifest(title, manifest.notebooks)
    out_dir = paths.REPORTS_DIR / parsed.label if out_dir is None else Path(out_dir)
    return build_report(
        out_dir,
        manifest=manifest,
        overrides={**wanted, **dict(overrides or {})},
        show_code=show_code,
        progress=progress,
        record_extra={
            "quarter": parsed.label,
            "as_of": wanted["as_of"],
            "provisional": provisional,
        },
    )


def _source_cell_number(executed: Path, cell_index: int) -> int:
    """1-based number of the failing cell in the *source* notebook.

    papermill inserts an ``injected-parameters`` cell (counted in ``cell_index``) and error
    banner cells (not counted); the user's notebook has neither.
    """
    try:
        cells = nbformat.read(executed, as_version=4).cells
    except (OSError, ValueError):
        return cell_index + 1
    cells = [
        c for c in cells if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])
    ]
    injected = sum(
        "injected-parameters" in c.get("metadata", {}).get("tags", []) for c in cells[:cell_index]
    )
    return cell_index + 1 - injected


def _keep_failed(staging: Path, out_dir: Path) -> Path:
    failed = out_dir.parent / ".failed" / f"{out_dir.name}-{staging.name.rsplit('-', 2)[-2]}"
    failed.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(failed, ignore_errors=True)
    staging.rename(failed)
    return failed


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    if out_dir.exists():
        out_dir.rename(old)
    staging.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
