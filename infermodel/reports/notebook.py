"""Helpers a notebook calls: show the answer and save it for the index, save a key table,
warn about stale prices, show provenance."""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from infermodel import narrative, paths
from infermodel.errors import ParameterError
from infermodel.reports.record import provenance

__all__ = [
    "ANSWER_SUFFIX",
    "lead",
    "notes",
    "on_sale",
    "provenance",
    "save_answer",
    "save_table",
    "show_answer",
    "stale_banner",
]

#: Suffix of the file a notebook's answer is saved in, beside its tables.
ANSWER_SUFFIX = ".answer.json"


def save_table(table: pd.DataFrame, name: str, tables_dir: str | os.PathLike) -> Path | None:
    """Write ``table`` as ``<tables_dir>/<name>.csv``; do nothing when ``tables_dir`` is empty.

    Notebooks call this for their key tables; the report runner sets ``tables_dir``.
    """
    if not str(tables_dir):
        return None
    target = Path(tables_dir) / f"{name}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    published(table, report_dir=target.parent.parent.parent).to_csv(target, index=False)
    return target


class Sentences:
    """Sentences that read the same wherever the notebook is opened: HTML for JupyterLab and
    the report (marked so no MathJax typesets a ``$``), escaped Markdown for a front end that
    prefers it, plain text for a terminal (:func:`infermodel.narrative.html`,
    :func:`~infermodel.narrative.markdown`, :func:`~infermodel.narrative.plain`)."""

    def __init__(self, lines: Sequence[str], *, kind: str = "answer", paragraph: bool = False):
        self.lines = [str(line) for line in lines if line]
        self.kind, self.paragraph = kind, paragraph

    def _repr_html_(self) -> str:
        if self.paragraph:
            return narrative.paragraph(" ".join(self.lines), kind=self.kind)
        return narrative.html(self.lines, kind=self.kind)

    def _repr_markdown_(self) -> str:
        if self.paragraph:
            text = narrative.markdown_text(" ".join(self.lines))
            return f'<div class="{self.kind} {narrative.NO_MATH}">\n\n{text}\n\n</div>'
        return narrative.markdown(self.lines, kind=self.kind)

    def __repr__(self) -> str:
        return " ".join(self.lines) if self.paragraph else narrative.plain(self.lines)


def published(table: pd.DataFrame, report_dir: Path | None = None) -> pd.DataFrame:
    """``table`` with every path of the build machine in its text cells made public: a cell
    that is an absolute path (a log's ``path``) by :func:`infermodel.paths.public_path`, a
    path inside a text by :func:`infermodel.paths.scrub`. Numbers and URLs are kept."""

    def cell(value):
        if not isinstance(value, str):
            return value
        if os.path.isabs(value) and "\n" not in value:
            return paths.public_path(value, report_dir)
        return paths.scrub(value, report_dir)

    out = table.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(cell)
    return out


def save_answer(lines: Sequence[str], name: str, tables_dir: str | os.PathLike) -> Path | None:
    """Write the page's answer as ``<tables_dir>/<name>.answer.json`` for the report's index.

    ``lines`` are the sentences of an ``infermodel.narrative.*_answer`` function, and their
    claims when it returns a :class:`~infermodel.narrative.Answer` (who is cheaper on which
    billing basis, read by the index's verdict and the consistency test); nothing is written
    when ``tables_dir`` is empty (a notebook run by hand).
    """
    if not str(tables_dir):
        return None
    target = Path(tables_dir) / f"{name}{ANSWER_SUFFIX}"
    target.parent.mkdir(parents=True, exist_ok=True)
    claims = list(getattr(lines, "claims", []))
    saved = {"name": name, "lines": list(lines), "claims": claims}
    target.write_text(json.dumps(saved, indent=1, allow_nan=False) + "\n")
    return target


def read_saved(path: str | os.PathLike) -> dict:
    """The answer saved by :func:`save_answer`: ``name``, ``lines`` and ``claims`` (empty
    lists when the file is unreadable)."""
    try:
        saved = json.loads(Path(path).read_text())
    except (OSError, ValueError, RecursionError):
        saved = {}
    if not isinstance(saved, dict):
        saved = {}
    lines = saved.get("lines", [])
    claims = saved.get("claims", [])
    return {
        "name": str(saved.get("name", Path(path).name.removesuffix(ANSWER_SUFFIX))),
        "lines": [str(line) for line in lines] if isinstance(lines, list) else [],
        "claims": [c for c in claims if isinstance(c, dict)] if isinstance(claims, list) else [],
    }


def read_answer(path: str | os.PathLike) -> list[str]:
    """The sentences saved by :func:`save_answer` (empty when the file is unreadable)."""
    return read_saved(path)["lines"]


def show_answer(lines: Sequence[str], name: str, tables_dir: str | os.PathLike) -> Sentences:
    """Save the answer (:func:`save_answer`) and show it as a list of sentences."""
    save_answer(lines, name, tables_dir)
    return Sentences(lines)


def lead(text: str) -> Sentences:
    """One paragraph saying what was priced (e.g. :func:`infermodel.narrative.workload_lead`)."""
    return Sentences([text], kind="lead", paragraph=True)


def notes(lines: Sequence[str]) -> Sentences:
    """Sentences under a table or chart (e.g. what a section's numbers mean), as a list."""
    return Sentences(lines, kind="notes")


def user_numbers(table, snapshot) -> HTML:
    """Which numbers of the page are yours (:mod:`infermodel.tables.user_data`): of ``table`` (a
    cost, trace or bill table) priced from ``snapshot``, or of the snapshot alone when
    ``table`` is ``None``. Shows nothing when none is."""
    if table is None:
        lines = narrative.future_note(snapshot) + narrative.snapshot_numbers(snapshot)
    else:
        lines = narrative.user_numbers(table, snapshot) or narrative.snapshot_numbers(snapshot)
    return HTML(narrative.html(lines, kind="notes") if lines else "")


def stale_banner(snapshot, *, html_output: bool = False):
    """A warning naming the observations older than the snapshot's stale threshold, and one
    naming the offerings past a retirement date a source schedules
    (:func:`infermodel.narrative.past_schedule`).

    Returns an IPython ``HTML`` object for notebooks (shows nothing when no price is
    stale), or with ``html_output=True`` the HTML text (empty string when none). Use it once
    per page, as ``reports.stale_banner(snapshot)``.
    """
    observations = snapshot.observations()
    stale = observations[observations["stale"]]
    text = ""
    if not stale.empty:
        oldest = stale["observed_on"].min()
        providers = ", ".join(sorted(set(stale["provider"])))
        text = (
            f"<p class='im-banner {narrative.NO_MATH}'><strong>Stale prices:</strong> "
            + html.escape(
                f"{len(stale)} of {len(observations)} price observations used are older than "
                f"{snapshot.stale_after_days} days at {snapshot.as_of.date()} (oldest "
                f"{pd.Timestamp(oldest).date()}; providers: {providers}). No newer dated "
                "source was found for them; read those rows as the last known price."
            )
            + "</p>"
        )
    scheduled = narrative.past_schedule(snapshot)
    if scheduled:
        text += (
            f"<p class='im-banner {narrative.NO_MATH}'><strong>Past a scheduled retirement:"
            "</strong> " + html.escape(scheduled) + "</p>"
        )
    return text if html_output else HTML(text)


def on_sale(
    wanted: Sequence[str], on_sale_ids: Sequence[str], listed: Sequence[str], *, parameter: str
) -> list[str]:
    """The ids of ``wanted`` on sale, in order; an id never listed is a :class:`ParameterError`.

    ``on_sale_ids`` are the ids on sale on the as-of date, ``listed`` every id the price
    data ever held (a withdrawn one is left out quietly, and named by
    :func:`infermodel.narrative.not_on_sale`).
    """
    unknown = [w for w in wanted if w not in set(listed)]
    if unknown:
        raise ParameterError(
            f"{parameter}: unknown id {unknown[0]!r}; on sale: {', '.join(sorted(on_sale_ids))}"
        )
    shown = [w for w in wanted if w in set(on_sale_ids)]
    if not shown:
        raise ParameterError(
            f"{parameter}: none of {list(wanted)} is on sale; on sale: "
            + ", ".join(sorted(on_sale_ids))
        )
    return shown
