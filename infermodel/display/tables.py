"""Tables for people: formatted cells, at most ``max_rows`` shown, the rest folded away."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from infermodel.display.columns import (
    COLUMNS,
    NUMERIC_KINDS,
    cell_text,
    column_spec,
    format_column,
)
from infermodel.display.numbers import MAX_ROWS, MISSING, source_link
from infermodel.display.words import offering_labels


@dataclass(frozen=True)
class Table:
    """A table for people: formatted text cells, headers, and how many rows to show.

    Shows as HTML in a notebook and in a report (:meth:`_repr_html_`); :meth:`text` gives the
    formatted cells as a frame (what a reader sees, for tests and the terminal).
    """

    headers: tuple[str, ...]
    kinds: tuple[str, ...]
    cells: tuple[tuple[str, ...], ...]
    max_rows: int = MAX_ROWS
    caption: str = ""
    css: str = "im-table"

    def text(self) -> pd.DataFrame:
        """The formatted cells, one column per header."""
        return pd.DataFrame(list(self.cells), columns=list(self.headers))

    def _rows_html(self, rows: Sequence[tuple[str, ...]]) -> str:
        out = []
        for row in rows:
            cells = []
            for value, kind in zip(row, self.kinds, strict=True):
                cls = _css_class(kind) if value != MISSING else ""
                cells.append(f"<td{cls}>{_cell_html(value, kind)}</td>")
            out.append("<tr>" + "".join(cells) + "</tr>")
        return "".join(out)

    def _table_html(self, rows: Sequence[tuple[str, ...]]) -> str:
        head = "".join(
            f"<th{_css_class(kind)}>{html.escape(h)}</th>"
            for h, kind in zip(self.headers, self.kinds, strict=True)
        )
        return (
            f"<table><thead><tr>{head}</tr></thead><tbody>{self._rows_html(rows)}</tbody></table>"
        )

    def _repr_html_(self) -> str:
        rows = self.cells
        caption = f'<p class="im-caption">{html.escape(self.caption)}</p>' if self.caption else ""
        if not rows:
            return f'<div class="{self.css}">{caption}<p class="im-empty">No rows.</p></div>'
        shown = self._table_html(rows[: self.max_rows])
        more = ""
        if len(rows) > self.max_rows:
            more = (
                f'<details class="im-more"><summary>Show all {len(rows):,} rows</summary>'
                f"{self._table_html(rows)}</details>"
            )
        return f'<div class="{self.css}">{caption}{shown}{more}</div>'


#: Kinds whose cells never wrap (short words a reader scans down a column).
_NOWRAP = {"platform", "label", "date", "bool", "mode", "tier"}


def _css_class(kind: str) -> str:
    if kind in NUMERIC_KINDS:
        return ' class="num"'
    return ' class="nw"' if kind in _NOWRAP else ""


def _cell_html(value: str, kind: str) -> str:
    if kind == "url" and value != MISSING:
        link = source_link(value)
        if link is not None:
            href, text = link
            return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'
    return html.escape(value)


def _numeric_kind(values: pd.Series) -> str:
    """A column the spec does not know: ``count`` or ``float`` when it holds numbers."""
    if pd.api.types.is_bool_dtype(values):
        return "bool"
    if pd.api.types.is_integer_dtype(values):
        return "count"
    return "float" if pd.api.types.is_float_dtype(values) else "text"


def table(
    frame: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    names: Mapping[str, str] | None = None,
    kinds: Mapping[str, str] | None = None,
    max_rows: int = MAX_ROWS,
    caption: str = "",
    sort_by: str | None = None,
    descending: bool = False,
) -> Table:
    """A :class:`Table` of ``frame``'s ``columns`` (all by default), formatted for people.

    ``names`` and ``kinds`` override :func:`column_spec` per column; ``sort_by`` sorts
    by that column first (ascending unless ``descending``). The index is never shown: reset
    it to show it.
    """
    data = frame
    if sort_by is not None:
        data = frame.sort_values(sort_by, ascending=not descending, kind="stable")
    columns = list(data.columns if columns is None else columns)
    names, kinds = dict(names or {}), dict(kinds or {})
    headers, column_kinds, formatted = [], [], []
    for column in columns:
        header, kind = column_spec(str(column))
        if kind == "text" and column not in COLUMNS:
            kind = _numeric_kind(data[column])
        kind = kinds.get(column, kind)
        headers.append(names.get(column, header))
        column_kinds.append(kind)
        formatted.append(format_column(data[column], kind))
    cells = tuple(zip(*formatted, strict=True)) if formatted else ()
    return Table(tuple(headers), tuple(column_kinds), cells, max_rows, caption)


def matrix(
    frame: pd.DataFrame,
    kind: str,
    *,
    corner: str | Sequence[str],
    labels: Mapping[str, str] | None = None,
    missing: str = MISSING,
    header_kind: str | None = None,
    max_rows: int = MAX_ROWS,
    caption: str = "",
) -> Table:
    """A pivot table (index down, columns across) with every value of one ``kind``.

    Row and column keys are shown through ``labels`` (e.g. :func:`label_map`), column keys
    formatted as ``header_kind`` when given (e.g. ``money`` for fixed costs); a missing value
    reads ``missing`` (e.g. ``never`` for a break-even that never comes). A row index of
    several levels gives one key column per level, ``corner`` naming each.
    """
    labels = dict(labels or {})
    corners = [corner] if isinstance(corner, str) else list(corner)
    index = frame.index.to_frame(index=False)
    formatted = [[labels.get(k, cell_text(k)) for k in index[level]] for level in index]
    for column in frame.columns:
        values = format_column(frame[column], kind)
        formatted.append([missing if v == MISSING else v for v in values])
    if header_kind is None:
        across = [labels.get(c, cell_text(c)) for c in frame.columns]
    else:
        across = format_column(list(frame.columns), header_kind)
    headers = (*corners[: len(formatted) - len(across)], *across)
    kinds = (*["text"] * (len(headers) - len(across)), *([kind] * len(across)))
    cells = tuple(zip(*formatted, strict=True))
    return Table(headers, kinds, cells, max_rows, caption, css="im-table im-matrix")


#: Columns that hold an offering id, and the label column each fills.
ID_COLUMNS = {"offering_id": "offering", "api_offering_id": "api_offering",
              "diy_offering_id": "diy_offering"}  # fmt: skip


def relabel(frame: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` with its ``offering`` (``api_offering``, ``diy_offering``) labels replaced by
    ``labels[id]`` (e.g. :func:`label_map`) where the id is known."""
    out = frame.copy()
    for id_column, label_column in ID_COLUMNS.items():
        if id_column in out:
            known = out[id_column].map(dict(labels))
            old = out[label_column] if label_column in out else known
            out[label_column] = known.fillna(old)
    return out


#: The cost-table columns shown to people, in order.
COST_COLUMNS = [
    "platform",
    "offering",
    "cost_usd",
    "usd_per_million_tokens",
    "multiple_of_cheapest",
    "confidence",
]


def cost_table(
    frame: pd.DataFrame,
    *,
    max_rows: int = MAX_ROWS,
    caption: str = "",
    serving: pd.DataFrame | None = None,
    columns: Sequence[str] = COST_COLUMNS,
) -> Table:
    """A :func:`~infermodel.pricing.compare.cost_table` (or a trace cost table) for reading.

    Platform type, offering (provider, model or GPU, serving assumption), cost, $ per million
    tokens, multiple of the cheapest and price confidence; cheapest first.
    """
    labels = offering_labels(frame, serving)
    shown = frame.assign(offering=labels).sort_values("cost_usd", kind="stable")
    columns = [c for c in columns if c in shown]
    return table(shown, columns, max_rows=max_rows, caption=caption)


def observations(snapshot, *, max_rows: int = MAX_ROWS) -> Table:
    """The price observations a snapshot uses: offering, date, age, confidence, source link."""
    api = snapshot.api.assign(offering=offering_labels(snapshot.api))
    gpu = snapshot.gpu.assign(offering=offering_labels(snapshot.gpu))
    columns = [
        "offering",
        "platform_type",
        "observed_on",
        "age_days",
        "stale",
        "confidence",
        "source_url",
    ]
    both = pd.concat([api.reindex(columns=columns), gpu.reindex(columns=columns)])
    return table(both, columns, names={"offering": "Offering"}, max_rows=max_rows)
