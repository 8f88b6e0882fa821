"""Executing a report's notebooks: each in a worker process with its own kernel, a few at a time.

A build runs up to ``workers`` notebooks at once (:func:`run_all`). Each runs in a process of
a ``spawn`` pool (one at a time: in the caller's process, with no worker to start), so
nothing is shared between notebooks but the files they write: papermill
executes the notebook in an IPC kernel (:mod:`~infermodel.reports.kernel`) and the page is
rendered there too. Each notebook writes its tables into a folder of its own, which the
runner then moves into the report's ``tables/``. Results come back in the manifest's order.

The first failure stops the build: the other workers are terminated (each kills its kernel
on the way out, a SIGTERM becomes ``SystemExit`` there) and the failure is raised in the
caller, naming the notebook and the cell.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill
from jupyter_client.kernelspec import NoSuchKernel
from nbclient.exceptions import DeadKernelError
from papermill.exceptions import PapermillExecutionError

from infermodel.errors import ReportError
from infermodel.reports import kernel
from infermodel.reports.manifest import TABLES_PARAMETER
from infermodel.reports.pages import render_html

#: How often the caller looks at the workers. [s]
_POLL_SECONDS = 0.05
#: How long closing the pool may take before its workers are killed. [s]
_STOP_SECONDS = 10.0


class NotebookFailed(Exception):
    """A notebook of the build failed; the message names it and the cell."""


@dataclass(frozen=True)
class Job:
    """One notebook to execute and render; plain paths and values, so it pickles."""

    number: int
    notebook: Path
    parameters: dict
    executed: Path
    tables: Path
    html: Path
    show_code: bool = False


def run_job(job: Job) -> dict:
    """Execute and render one notebook (in a worker): when it started and how long it took."""
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    start = time.perf_counter()
    with kernel.ipc_kernels() as kernels:
        _papermill(job, kernels.options(job.number))
    seconds = time.perf_counter() - start
    render_html(job.executed, job.html, show_code=job.show_code)
    return {"started": started, "seconds": round(seconds, 2)}


def _papermill(job: Job, options: dict) -> None:
    name = job.notebook.name
    try:
        papermill.execute_notebook(
            str(job.notebook),
            str(job.executed),
            parameters={**job.parameters, TABLES_PARAMETER: str(job.tables)},
            kernel_name="python3",
            cwd=str(job.notebook.parent),
            progress_bar=False,
            **options,
        )
    except PapermillExecutionError as exc:
        cell = source_cell_number(job.executed, exc.cell_index)
        text = str(exc.evalue).strip()
        evalue = text.splitlines()[0] if text else ""
        raise NotebookFailed(
            f"{name} failed in cell #{cell} (In [{exc.exec_count}]): {exc.ename}: {evalue}"
        ) from None
    except DeadKernelError:
        cell = running_cell(job.executed)
        where = f" in cell #{cell}" if cell else ""
        raise NotebookFailed(
            f"{name}: the kernel died{where} (the process exited or was killed, e.g. out of memory)"
        ) from None
    except NoSuchKernel:
        raise ReportError(
            f"{name}: no Jupyter kernel 'python3' is installed; install ipykernel in this "
            "environment"
        ) from None


def _worker_start() -> None:
    """In each worker: a SIGTERM (the build stopping) unwinds, so the kernel is killed; and
    papermill's log lines stay off stderr (the build's own error says it in one line)."""
    signal.signal(signal.SIGTERM, _stop_quietly)
    logging.getLogger("papermill").setLevel(logging.CRITICAL)


def _stop_quietly(*_) -> None:
    """Leave the worker: stderr to /dev/null first, so the cell being cut short prints no
    traceback (the build says in one line why it stopped), then unwind (killing the kernel)."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stderr.fileno())
    sys.exit(1)


def run_all(jobs: Sequence[Job], workers: int, say: Callable[[str], None]) -> list[dict]:
    """Run ``jobs``, ``workers`` at a time; their results in the order of ``jobs``.

    ``say`` gets one line when a notebook starts and one when it is done. The first worker to
    fail, or a signal in the caller, terminates the pool; the error is raised here.
    """
    total = len(jobs)
    workers = max(1, min(int(workers), total or 1))
    if workers == 1:
        return _run_here(jobs, say)
    # spawn, not fork: a worker starts clean (no copied threads or sockets), on every OS.
    pool = multiprocessing.get_context("spawn").Pool(workers, initializer=_worker_start)
    finished = False
    try:
        seen = {process.pid: process for process in getattr(pool, "_pool", [])}
        pending = [pool.apply_async(run_job, (job,)) for job in jobs]
        results: list[dict | None] = [None] * total
        for job in jobs[:workers]:
            say(f"[{job.number}/{total}] {job.notebook.name} ...")
        announced = workers
        while any(result is None for result in results):
            for index, future in enumerate(pending):
                if results[index] is not None or not future.ready():
                    continue
                results[index] = future.get()  # a worker's error is raised here
                job = jobs[index]
                say(f"[{job.number}/{total}] {job.notebook.name} done in "
                    f"{results[index]['seconds']:.1f} s")  # fmt: skip
                if announced < total:
                    say(f"[{announced + 1}/{total}] {jobs[announced].notebook.name} ...")
                    announced += 1
            _check_workers_alive(pool, seen, results, jobs)
            time.sleep(_POLL_SECONDS)
        finished = True
        return results
    finally:
        _stop(pool, finished)


def _check_workers_alive(pool, seen: dict, results, jobs) -> None:
    """A pool worker never leaves while notebooks are pending (no task limit), so one that is
    gone died (killed, out of memory) and lost its notebook without an error; the pool would
    wait for it for ever. Say so in one line instead. ``seen`` keeps every worker process by
    pid, so its exit status survives the pool replacing it."""
    for process in getattr(pool, "_pool", []):
        seen.setdefault(process.pid, process)
    codes = [p.exitcode for p in seen.values() if p.exitcode is not None]
    if not codes:
        return
    waiting = [jobs[i].notebook.name for i, r in enumerate(results) if r is None]
    how = f"killed by signal {-codes[0]}" if codes[0] < 0 else f"exit status {codes[0]}"
    raise ReportError(
        f"a notebook worker process stopped ({how}) while {', '.join(waiting)} were pending; "
        "nothing was published (out of memory? see the system log)"
    )


def _stop(pool, finished: bool) -> None:
    """Close the pool: let idle workers leave after a build that finished, kill them after
    one that did not. A worker that does not leave within a few seconds is killed, so the
    build never waits on a pool for ever."""
    if finished:
        pool.close()
    else:
        pool.terminate()
    stopper = threading.Thread(target=pool.join, daemon=True)
    stopper.start()
    stopper.join(_STOP_SECONDS)
    if stopper.is_alive():
        for process in getattr(pool, "_pool", []):
            if process.is_alive():
                process.kill()
        stopper.join(_STOP_SECONDS)


def _run_here(jobs: Sequence[Job], say: Callable[[str], None]) -> list[dict]:
    """One notebook at a time, in this process (no worker to start)."""
    logger = logging.getLogger("papermill")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    results = []
    try:
        for job in jobs:
            say(f"[{job.number}/{len(jobs)}] {job.notebook.name} ...")
            results.append(run_job(job))
            say(f"[{job.number}/{len(jobs)}] {job.notebook.name} done in "
                f"{results[-1]['seconds']:.1f} s")  # fmt: skip
    finally:
        logger.setLevel(level)
    return results


def source_cell_number(executed: Path, cell_index: int) -> int:
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


def running_cell(executed: Path) -> int | None:
    """1-based number (in the source notebook) of the last cell papermill started."""
    try:
        cells = nbformat.read(executed, as_version=4).cells
    except (OSError, ValueError):
        return None
    started = [
        index
        for index, cell in enumerate(cells)
        if cell.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    return source_cell_number(executed, started[-1]) if started else None
