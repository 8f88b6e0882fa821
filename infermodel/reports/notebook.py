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

    ``lines`` are the sentences of an ``infermodel.narrative.*_answer`` function; nothing is
    written when ``tables_dir`` is empty (a notebook run by hand).
    """
    if not str(tables_dir):
        return None
    target = Path(tables_dir) / f"{name}{ANSWER_SUFFIX}"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"name": name, "lines": list(lines)}, indent=1) + "\n")
    return target


def read_answer(path: str | os.PathLike) -> list[str]:
    """The sentences saved by :func:`save_answer` (empty when the file is unreadable)."""
    try:
        lines = json.loads(Path(path).read_text()).get("lines", [])
    except (OSError, ValueError, AttributeError, RecursionError):
        return []
    return [str(line) for line in lines] if isinstance(lines, list) else []


def show_answer(lines: Sequence[str], name: str, tables_dir: str | os.PathLike) -> HTML:
    """Save the answer (:func:`save_answer`) and show it as a list of sentences."""
    save_answer(lines, name, tables_dir)
    return HTML(narrative.html(lines))


def lead(text: str) -> HTML:
    """One paragraph saying what was priced (e.g. :func:`infermodel.narrative.workload_lead`)."""
    return HTML(narrative.paragraph(text))


def notes(lines: Sequence[str]) -> HTML:
    """Sentences under a table or chart (e.g. what a section's numbers mean), as a list."""
    return HTML(narrative.html([line for line in lines if line], kind="notes"))


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
            "<p class='im-banner'><strong>Stale prices:</strong> "
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
            "<p class='im-banner'><strong>Past a scheduled retirement:</strong> "
            + html.escape(scheduled)
            + "</p>"
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
