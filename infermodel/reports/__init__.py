"""Rendered reports: notebooks run by papermill, rendered to HTML, with a run record.

A report is described by a manifest (``notebooks/report.yml``): which notebooks, with which
parameters. :func:`infermodel.reports.runner.build_report`

1. checks every parameter against the notebook's ``parameters`` cell before any kernel
   starts (:mod:`~infermodel.reports.manifest`: unknown names and wrong types are refused
   with the list of valid parameters);
2. executes each notebook into a staging folder beside the target, saving its key tables
   as CSV (the runner passes the notebook a ``tables_dir``);
3. renders each executed notebook to self-contained HTML (:mod:`~infermodel.reports.pages`:
   figures embedded, code hidden by default), writes ``index.html`` and ``run_record.json``
   (:mod:`~infermodel.reports.record`: parameters, price-data hash, package versions, git
   commit, timings);
4. only when every notebook succeeded, swaps the staging folder into place, into a folder
   that is new, empty or a previous report (:mod:`~infermodel.reports.folders`); the
   executed ``.ipynb`` files, which carry the build machine's paths, are not published. A
   failure names the notebook and the cell (or the dead kernel, the signal, the folder
   fault), keeps the failed run under ``.failed/`` for reading, and leaves the last good
   report untouched. Kernels talk over Unix sockets (:mod:`~infermodel.reports.kernel`;
   ipykernel keeps one localhost TCP port for forked processes' output, keyed, said there).

Quarterly reports (:func:`~infermodel.reports.runner.build_quarterly`) run
``notebooks/quarterly.yml`` with ``as_of`` = the quarter's last day (or today, marked
provisional, for the running quarter) into ``reports/<YYYYQn>/``.

This package's top level holds only what notebooks call (:func:`show_answer`, which also
saves the page's answer for the index, :func:`lead`, :func:`notes`, :func:`save_table`,
:func:`stale_banner`, :func:`provenance`, :func:`user_numbers`), so a kernel does not
import papermill or nbconvert.
"""

from infermodel.reports.notebook import (
    lead,
    notes,
    on_sale,
    provenance,
    save_answer,
    save_table,
    show_answer,
    stale_banner,
    user_numbers,
)

__all__ = [
    "lead",
    "notes",
    "on_sale",
    "provenance",
    "save_answer",
    "save_table",
    "show_answer",
    "stale_banner",
    "user_numbers",
]
