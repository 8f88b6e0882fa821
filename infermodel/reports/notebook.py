"""Helpers a notebook calls: save a key table, warn about stale prices, show provenance."""

from __future__ import annotations

import html
import os
from pathlib import Path

import pandas as pd
from IPython.display import Markdown

from infermodel.reports.record import provenance

__all__ = ["provenance", "save_table", "stale_banner"]


def save_table(table: pd.DataFrame, name: str, tables_dir: str | os.PathLike) -> Path | None:
    """Write ``table`` as ``<tables_dir>/<name>.csv``; do nothing when ``tables_dir`` is empty.

    Notebooks call this for their key tables; the report runner sets ``tables_dir``.
    """
    if not str(tables_dir):
        return None
    target = Path(tables_dir) / f"{name}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(target, index=False)
    return target


def stale_banner(snapshot, *, html_output: bool = False):
    """A warning naming the observations older than the snapshot's stale threshold.

    Returns an IPython ``Markdown`` object for notebooks (shows nothing when no price is
    stale), or with ``html_output=True`` an HTML paragraph (empty string when none).
    Use in a notebook as ``reports.stale_banner(snapshot)``.
    """
    observations = snapshot.observations()
    stale = observations[observations["stale"]]
    if stale.empty:
        text = ""
    else:
        oldest = stale["observed_on"].min()
        providers = ", ".join(sorted(set(stale["provider"])))
        text = (
            f"**Stale prices:** {len(stale)} of {len(observations)} price observations used "
            f"are older than {snapshot.stale_after_days} days at {snapshot.as_of.date()} "
            f"(oldest {pd.Timestamp(oldest).date()}; providers: {providers}). No newer dated "
            "source was found for them; read those rows as the last known price."
        )
    if html_output:
        if not text:
            return ""
        body = html.escape(text).replace("**Stale prices:**", "<strong>Stale prices:</strong>")
        return f"<p style='background:#fff3cd;padding:0.6em;border:1px solid #e0c060'>{body}</p>"
    return Markdown(f"> {text}" if text else "")
