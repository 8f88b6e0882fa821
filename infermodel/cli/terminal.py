"""Tables for a terminal: chosen columns in people's words, fitted to the terminal's width.

``--format table`` prints through :func:`render`: headers with units and cells formatted by
:mod:`infermodel.display` (``$`` amounts, thousands separators, an em dash for a missing
value, labels instead of ids), right-aligned numbers, and a width that fits ``$COLUMNS``
(default 100): long text is cut with an ellipsis and, if that is not enough, the last
columns are left out and named in a closing line. ``--columns`` chooses the columns (any
column of the ``--format csv`` output), ``--top N`` keeps the cheapest N rows of each
platform type.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import textwrap
from collections.abc import Sequence

import pandas as pd

from infermodel import checks, display
from infermodel.cli import options
from infermodel.cli.options import UsageError

#: Width when the terminal's is unknown (a pipe, a cron job). [characters]
DEFAULT_WIDTH = 100
#: Widest a header is kept on one line; a longer one wraps. [characters]
HEADER_WIDTH = 14
#: Narrowest a text column is cut to before columns are left out (a GPU offering in full:
#: "Lambda · H100 SXM 80GB, 8-GPU node"). [characters]
MIN_TEXT_WIDTH = 34
#: Narrowest a text column is cut to at all, once only the table's first number is left.
NARROWEST_TEXT = 12
_GAP = "  "


def add_options(parser: argparse.ArgumentParser, *, default_columns: Sequence[str]) -> None:
    """``--columns`` and ``--top`` for a command's ``--format table``."""
    parser.add_argument(
        "--columns",
        nargs="+",
        default=None,
        metavar="NAME",
        help="columns of --format table, by their csv names (default: "
        + ", ".join(default_columns)
        + "; 'offering' is the offering's label)",
    )
    parser.add_argument(
        "--top",
        type=options.ruled("--top"),
        default=None,
        metavar="N",
        help="--format table: only the cheapest N rows of each platform type",
    )


def width() -> int:
    """The terminal's width: ``$COLUMNS``, the terminal, else :data:`DEFAULT_WIDTH`."""
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def choose(
    frame: pd.DataFrame,
    columns: Sequence[str] | None,
    default: Sequence[str],
    *,
    top: int | None = None,
    cost: str = "cost_usd",
) -> pd.DataFrame:
    """The rows and columns to print: ``columns`` (default ``default``), ``offering`` as a
    label and ``serving`` as what a rented GPU serves (the model, its precision and GPUs per
    replica, the mode and rate: :func:`infermodel.display.serving_descriptions`; when it is
    shown, a DIY row's offering names the GPU offering only); with ``top``, the cheapest
    ``top`` rows of each platform type by ``cost``."""
    wanted = list(dict.fromkeys(columns or default))
    if "serving" in wanted and "serving" not in frame and "tokens_per_second" in frame:
        frame = frame.assign(serving=display.serving_descriptions(frame))
    if "offering" not in frame and {"provider", "platform_type"} <= set(frame):
        named = frame.drop(columns="serving_assumption") if "serving" in wanted else frame
        frame = frame.assign(offering=display.offering_labels(named, compact=True))
    unknown = [c for c in wanted if c not in frame]
    if unknown:
        hint = checks.close_matches(unknown[0], frame.columns, n=2)
        raise UsageError(
            f"--columns: no column {unknown[0]!r}{hint}; the columns are those of "
            f"--format csv: {', '.join(frame.columns)}"
        )
    if top is not None and "platform_type" in frame and cost in frame:
        frame = frame.sort_values(cost, kind="stable").groupby("platform_type", sort=False)
        frame = frame.head(top).sort_index()
    return frame[wanted]


def render(
    frame: pd.DataFrame,
    *,
    group: str | None = None,
    total_rows: int | None = None,
    limit: int | None = None,
) -> str:
    """``frame`` as aligned text no wider than ``limit`` (default :func:`width`).

    With ``group`` (a column, e.g. ``platform``), rows are listed under a line naming their
    group instead of repeating it in a column. Headers wrap onto a second line rather than
    widen a column of short numbers.
    """
    limit = width() if limit is None else limit
    sections = frame[group].tolist() if group in frame else None
    if sections is not None:
        frame = frame.drop(columns=group)
    specs = {name: display.column_spec(name) for name in frame.columns}
    if "offering" in specs:
        specs["offering"] = ("Offering", "text")
    if "serving" in specs:
        specs["serving"] = ("Model served, speed", "text")
    cells = {name: display.format_column(frame[name], kind) for name, (_, kind) in specs.items()}
    sizes = {n: _size(specs[n][0], cells[n]) for n in frame.columns}
    room = limit - (2 if sections else 0)
    natural = {n: max(sizes[n], *map(len, cells[n])) for n in frame.columns}
    shown = _fitted(list(frame.columns), sizes, specs, room)
    _widen(shown, sizes, natural, room)
    groups = pd.Series(sections if sections is not None else [0] * len(frame))
    for name in shown:
        if specs[name][1] in display.NUMERIC_KINDS:
            continue
        fitted = list(cells[name])
        for rows in groups.groupby(groups, sort=False).indices.values():  # each section apart
            cut = fit_column([fitted[r] for r in rows], sizes[name])
            for row, text in zip(rows, cut, strict=True):
                fitted[row] = text
        cells[name] = fitted
    indent = "  " if sections else ""
    lines = [indent + line for line in _header([specs[n][0] for n in shown], shown, sizes)]
    current = object()
    for row in range(len(frame)):
        if sections is not None and sections[row] != current:
            current = sections[row]
            lines.append(display.format_column([current], display.column_spec(group)[1])[0])
        values = [cells[n][row] for n in shown]
        lines.append(indent + _line(values, shown, sizes, specs))
    return "\n".join(lines + _notes(frame, shown, total_rows, limit))


def _size(header: str, cells: list[str]) -> int:
    """A column's width: its longest cell, or its header up to :data:`HEADER_WIDTH` (a longer
    header wraps), or the header's longest word."""
    longest_word = max((len(word) for word in header.split()), default=0)
    return max([longest_word, min(len(header), HEADER_WIDTH), *map(len, cells)])


def _shrink(shown: list[str], sizes: dict, specs: dict, limit: int, floor: int) -> None:
    """Cut text columns down to ``floor`` until the row fits: the widest gives way first,
    never below the next widest, so text columns end up as wide as each other."""
    while _total(sizes, shown) > limit:
        text = [n for n in shown if specs[n][1] not in display.NUMERIC_KINDS and sizes[n] > floor]
        if not text:
            return
        ordered = sorted(text, key=lambda n: -sizes[n])
        next_widest = sizes[ordered[1]] if len(ordered) > 1 else floor
        over = _total(sizes, shown) - limit
        target = max(floor, next_widest, sizes[ordered[0]] - over)
        sizes[ordered[0]] = min(sizes[ordered[0]] - 1, target)


def _fitted(names: list[str], sizes: dict, specs: dict, limit: int) -> list[str]:
    """The columns that fit: long text cut to :data:`MIN_TEXT_WIDTH`, then the last columns
    left out (but not the first number, the one the table is about), then text cut to
    :data:`NARROWEST_TEXT`, and only then more columns left out."""
    shown = list(names)
    numbers = [k for k, n in enumerate(shown) if specs[n][1] in display.NUMERIC_KINDS]
    essential = numbers[0] + 1 if numbers else 1
    _shrink(shown, sizes, specs, limit, MIN_TEXT_WIDTH)
    while _total(sizes, shown) > limit and len(shown) > essential:
        shown.pop()
    _shrink(shown, sizes, specs, limit, NARROWEST_TEXT)
    while _total(sizes, shown) > limit and len(shown) > 1:
        shown.pop()
    return shown


def _widen(shown: list[str], sizes: dict, natural: dict, limit: int) -> None:
    """Give width left over (after columns were left out) back to text that was cut, most
    to the column cut most."""
    while limit - _total(sizes, shown) > 0:
        short = [n for n in shown if sizes[n] < natural[n]]
        if not short:
            return
        neediest = max(short, key=lambda n: natural[n] - sizes[n])
        sizes[neediest] += 1


def _header(headers: list[str], shown: list[str], sizes: dict) -> list[str]:
    wrapped = [textwrap.wrap(h, sizes[n]) or [""] for h, n in zip(headers, shown, strict=True)]
    depth = max(len(w) for w in wrapped)
    rows = []
    for k in range(depth):
        parts = [
            (w[k] if k < len(w) else "").ljust(sizes[n])
            for w, n in zip(wrapped, shown, strict=True)
        ]
        rows.append(_GAP.join(parts).rstrip())
    return rows


def _notes(frame: pd.DataFrame, shown: list[str], total_rows: int | None, limit: int) -> list:
    notes = []
    if total_rows is not None and total_rows > len(frame):
        notes.append(f"{total_rows - len(frame):,} more row(s) not shown (--top)")
    if len(shown) < len(frame.columns):
        left = ", ".join(n for n in frame.columns if n not in shown)
        notes.append(f"columns left out to fit {limit} characters: {left} (see --columns)")
    return [textwrap.fill(f"({note})", width=limit) for note in notes]


def left_out_line(left_out: pd.DataFrame, *, shown_ids: int = 3, kind: str = "API") -> str:
    """One line naming the offerings (``kind``) a table leaves out, by reason ("" if none)."""
    if left_out.empty:
        return ""
    parts = []
    for reason, group in left_out.groupby("reason", sort=False):
        ids = list(group["offering_id"])
        more = f" and {len(ids) - shown_ids} more" if len(ids) > shown_ids else ""
        parts.append(f"{reason} ({len(ids)}: {', '.join(ids[:shown_ids])}{more})")
    return f"Left out {len(left_out)} {kind} offering(s): " + "; ".join(parts) + "."


def note_left_out(left_out: pd.DataFrame, *, kind: str = "API") -> None:
    """Print :func:`left_out_line` to standard error, so csv and json stay clean."""
    line = left_out_line(left_out, kind=kind)
    if line:
        print(line, file=sys.stderr)


def paragraph(text: str) -> str:
    """Prose for the terminal, wrapped at its width."""
    return textwrap.fill(text, width=width())


def _total(sizes: dict[str, int], shown: list[str]) -> int:
    return sum(sizes[n] for n in shown) + len(_GAP) * (len(shown) - 1)


#: Where a label splits into parts (offering · GPU, tier · serving assumption).
_PARTS = re.compile(r"( \u00b7 |, )")
#: Shortest a part is cut to, its ellipsis included. [characters]
_MIN_PART = 4
_ELLIPSIS = "\u2026"


def _cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[: max(size - 1, 0)].rstrip() + _ELLIPSIS


def _fit(text: str, size: int) -> str:
    """``text`` in ``size`` characters: its end cut with an ellipsis."""
    return _cut(text, size)


def fit_column(values: Sequence[str], size: int) -> list[str]:
    """The labels of one column in ``size`` characters each, rows kept apart.

    Rows of a table differ anywhere in their labels (the GPU, the tier, the model, the
    serving assumption), so a label too long is not cut at its end. Each label splits into
    parts at `` · `` and ``, ``; the parts in the same place of every label are cut together,
    one character at a time, choosing first the place whose cut keeps every two different
    labels different (the widest such place), so that what tells rows apart survives; a
    part keeps at least :data:`_MIN_PART` characters. Only a label still too long is cut at
    its end.
    """
    values = [str(v) for v in values]
    if all(len(v) <= size for v in values):
        return values
    split = [_PARTS.split(v) for v in values]
    parts = [pieces[0::2] for pieces in split]
    seps = [pieces[1::2] for pieces in split]
    places = max(len(p) for p in parts)
    limits = [max((len(p[k]) for p in parts if k < len(p)), default=0) for k in range(places)]

    def render(limits_: list[int]) -> list[str]:
        return [
            "".join(
                _cut(part, limits_[k]) + (sep[k] if k < len(sep) else "")
                for k, part in enumerate(row)
            )
            for row, sep in zip(parts, seps, strict=True)
        ]

    shown = render(limits)
    while max(map(len, shown)) > size:
        distinct = len(set(shown))
        order = sorted(
            (k for k in range(places) if limits[k] > _MIN_PART), key=lambda k: -limits[k]
        )
        if not order:
            break
        for k in order:
            trial = [*limits[:k], limits[k] - 1, *limits[k + 1 :]]
            if len(set(render(trial))) >= distinct:
                break
        else:
            k = order[0]
        limits[k] -= 1
        shown = render(limits)
    return [_cut(v, size) for v in shown]


def _line(values: list[str], shown: list[str], sizes: dict, specs: dict) -> str:
    parts = []
    for value, name in zip(values, shown, strict=True):
        fitted = _fit(value, sizes[name])
        numeric = specs[name][1] in display.NUMERIC_KINDS
        parts.append(fitted.rjust(sizes[name]) if numeric else fitted.ljust(sizes[name]))
    return _GAP.join(parts).rstrip()
