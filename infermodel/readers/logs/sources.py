"""A log's raw rows in an engine, numbered by line, part after part.

Every engine gives :mod:`infermodel.readers.logs` the same thing: the SQL of a log's raw rows
(:class:`Source`), each with ``line``, numbered on from one part to the next (a bad row is
reported with its part and its line there, :class:`Parts`). What an engine does itself is
reading files: DuckDB's way is here (:func:`duckdb_lines`, :func:`duckdb_parquet`), Spark's
in :mod:`infermodel.readers.logs.spark_sources`. The rest is shared, written once:

- a text log is its physical lines (the view
  :data:`~infermodel.readers.logs.csv_records.LINES_VIEW`: ``block``, ``line``, ``text``) and
  a few numbers per block (:class:`Block`), from which :func:`text_source` makes JSON lines
  (each non-blank line) or CSV records and fields
  (:mod:`infermodel.readers.logs.csv_records`), the parts' headers checked alike;
- a Parquet log is its rows, ``line`` = the row's place in the log + 1.

DuckDB reads a URI (``s3://``) through its extensions when they are installed
(:func:`open_duckdb_uri`); it cannot download them here, so without them it says so in one line.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from infermodel.errors import DataError, InputError
from infermodel.readers.logs import csv_records
from infermodel.readers.logs.engines import Engine
from infermodel.readers.logs.files import (
    HEAD_BYTES,
    CsvLayout,
    LogFile,
    checked_head,
    codec_by_name,
    quote_sql,
    raw_lines_sql,
)
from infermodel.readers.logs.locations import LogPath, Part, is_glob, scheme_of, skipped

#: The view of a CSV log's records (with their structure: ragged, malformed).
RECORDS_VIEW = "infermodel_records"
#: DuckDB extensions that read each URI scheme (none is downloaded by the kit).
DUCKDB_EXTENSIONS = {
    "s3": "httpfs", "gs": "httpfs", "gcs": "httpfs", "r2": "httpfs", "http": "httpfs",
    "https": "httpfs", "hf": "httpfs", "az": "azure", "azure": "azure", "abfss": "azure",
}  # fmt: skip
#: Lines of a log's first part read to list its JSON keys (as the mapping needs them).
KEY_LINES = 1000


@dataclass(frozen=True)
class Block:
    """A run of lines an engine reads together (a file on DuckDB, a file's split on Spark).

    ``first`` is the line its file starts on, in the log's numbering; ``opens``: a line of it
    opens a quoted field it does not close (CSV); ``header``: its file's first line, when the
    block starts the file (CSV).
    """

    block: int
    name: str
    starts_file: bool
    first: int
    opens: bool = False
    header: str | None = None


@dataclass(frozen=True)
class Parts:
    """Where each part of a log starts in its numbering, to say a line as its part's."""

    names: tuple[str, ...]
    firsts: tuple[int, ...]

    def where(self, line: int) -> tuple[str, int]:
        """(the part, its own line) of the log's ``line``."""
        index = max(0, bisect.bisect_right(self.firsts, line) - 1)
        return self.names[index], line - self.firsts[index] + 1

    @classmethod
    def of(cls, blocks: Sequence[Block]) -> Parts:
        starts = [(b.first, b.name) for b in blocks if b.starts_file]
        return cls(tuple(n for _, n in starts), tuple(f for f, _ in starts))


@dataclass(frozen=True)
class Source:
    """A log's raw rows: their SQL (``line`` and the file's columns, or ``text``), the
    columns' types where the file says them (Parquet), and its parts."""

    sql: str
    types: dict[str, str]
    parts: Parts


def _files(where: LogPath) -> list[str]:
    return [part.name for part in where.parts]


def _list_sql(items: Sequence[object]) -> str:
    return "[" + ", ".join(quote_sql(i) if isinstance(i, str) else str(i) for i in items) + "]"


def duckdb_lines(engine: Engine, log: LogFile, *, csv_delimiter: str | None) -> list[Block]:
    """The view of a text log's lines in DuckDB (block = part), and its blocks.

    Lines are numbered in the order DuckDB reads the parts (given in order), one after the
    other; with ``csv_delimiter`` each block also says whether a line opens a quoted field
    and its part's header.
    """
    files = _files(log.parts)
    many = len(files) > 1
    raw = raw_lines_sql(files, log.compression, filename=many)
    block = f"list_position({_list_sql(files)}, filename) - 1" if many else "0"
    engine.view(
        csv_records.LINES_VIEW,
        f"SELECT ({block})::BIGINT AS block, line, text FROM "
        f"(SELECT *, row_number() OVER ()::BIGINT AS line FROM ({raw}))",
    )
    if not many and csv_delimiter is None:
        return [Block(0, files[0], True, 1)]
    opens = csv_records.opens_sql(csv_delimiter) if csv_delimiter else "false"
    header = "arg_min(coalesce(text, ''), line)" if csv_delimiter else "NULL"
    rows = engine.local.sql(
        f"SELECT block, min(line), bool_or({opens}), {header} FROM {csv_records.LINES_VIEW} "
        "GROUP BY block ORDER BY block"
    ).fetchall()
    return [Block(int(b), files[int(b)], True, int(first), bool(o), h) for b, first, o, h in rows]


def duckdb_parquet(engine: Engine, log: LogFile) -> Source:
    """The SQL of a Parquet log's rows in DuckDB, ``line`` = its row in the log + 1."""
    files = _files(log.parts)
    if len(files) == 1:
        sql = (
            "SELECT (file_row_number + 1)::BIGINT AS line, * EXCLUDE (file_row_number) "
            f"FROM read_parquet({quote_sql(files[0])}, file_row_number = true)"
        )
        firsts = [1]
    else:
        counts = dict(
            engine.local.sql(
                f"SELECT file_name, num_rows FROM parquet_file_metadata({_list_sql(files)})"
            ).fetchall()
        )
        befores = [0]
        for name in files[:-1]:
            befores.append(befores[-1] + int(counts.get(name, 0)))
        firsts = [b + 1 for b in befores]
        sql = (
            f"SELECT (file_row_number + 1 + {_list_sql(befores)}[list_position("
            f"{_list_sql(files)}, filename)])::BIGINT AS line, * EXCLUDE (file_row_number, "
            f"filename) FROM read_parquet({_list_sql(files)}, file_row_number = true, "
            "filename = true)"
        )
    described = engine.local.sql(f"DESCRIBE {sql}").fetchall()
    types = {name: type_ for name, type_, *_ in described if name != "line"}
    return Source(sql, types, Parts(tuple(files), tuple(firsts)))


def json_keys(con: duckdb.DuckDBPyConnection, lines: Sequence[str]) -> list[str]:
    """The keys of the JSON objects among ``lines`` (a log's first lines), sorted."""
    frame = pd.DataFrame({"text": list(lines)}, dtype=object)  # noqa: F841  (read by name)
    rows = con.sql(
        "SELECT DISTINCT unnest(json_keys(text)) FROM frame WHERE json_valid(text)"
    ).fetchall()
    return sorted(key for (key,) in rows)


def first_lines(con: duckdb.DuckDBPyConnection, log: LogFile, count: int = KEY_LINES) -> list[str]:
    """The first ``count`` non-blank lines of a text log's first part, read by DuckDB."""
    raw = raw_lines_sql(log.parts.parts[0].name, log.compression)
    rows = con.sql(f"SELECT text FROM ({raw}) WHERE trim(coalesce(text, '')) <> '' LIMIT {count}")
    return [text for (text,) in rows.fetchall()]


def _same_headers(log: LogFile, blocks: Sequence[Block]) -> None:
    """Refuse a part whose header (first line) is not the first part's (one line)."""
    heads = [(b.name, (b.header or "").lstrip("\ufeff").rstrip()) for b in blocks if b.starts_file]
    name, header = heads[0]
    for other, its in heads[1:]:
        if its != header:
            raise DataError(
                f"{other}: its header {its[:120]!r} is not {name}'s {header[:120]!r}: the parts "
                f"of one CSV log ({log.path}) share one header"
            )


def _carried(blocks: Sequence[Block], entries: dict[int, bool], last: dict[int, int | None]):
    """For each block entered inside a quoted field, the line its open record starts on."""
    carry, start = {}, None
    for b in blocks:
        if b.starts_file:
            start = None
        if entries.get(b.block) and start is not None:
            carry[b.block] = start
        start = last.get(b.block) if last.get(b.block) is not None else start
    return carry


def text_source(engine: Engine, log: LogFile, layout: CsvLayout | None, blocks) -> Source:
    """The raw rows of a text log whose lines are in the engine: JSON lines, or CSV records."""
    parts = Parts.of(blocks)
    if layout is None:
        lines = f"SELECT line, text FROM {csv_records.LINES_VIEW}"
        return Source(f"{lines} WHERE trim(coalesce(text, '')) <> ''", {}, parts)
    _same_headers(log, blocks)
    delimiter = layout.delimiter
    spanning = any(b.opens for b in blocks)
    known = csv_records.Blocks(tuple(b.first for b in blocks))
    if spanning and not all(b.starts_file for b in blocks):  # a file read in several blocks
        summary_rows = engine.rows(csv_records.summary_sql(delimiter))
        summary = {int(b): (fixed, int(flips)) for b, fixed, flips in summary_rows}
        entries = csv_records.entries(
            [(b.block, b.starts_file, *summary.get(b.block, (None, 0))) for b in blocks]
        )
        known = csv_records.Blocks(known.firsts, tuple(entries[b.block] for b in blocks))
        if any(known.entries):
            last = dict(engine.rows(csv_records.starts_sql(delimiter, known)))
            carry = _carried(blocks, entries, last)
            carries = tuple(carry.get(b.block) for b in blocks)
            known = csv_records.Blocks(known.firsts, known.entries, carries)
    engine.view(
        RECORDS_VIEW,
        csv_records.records_sql(delimiter, layout.names, known, spanning=spanning),
    )
    return Source(f"SELECT * FROM {RECORDS_VIEW}", {}, parts)


def open_duckdb_uri(engine: Engine, given: str) -> LogFile:
    """A log at a URI DuckDB reads through an installed extension (``s3://`` with httpfs).

    Its parts are listed and their first lines read by DuckDB, compression by name (as DuckDB
    reads remote files). Without the extension: one line (it cannot be downloaded here).
    """
    scheme = scheme_of(given) or ""
    needed = DUCKDB_EXTENSIONS.get(scheme)
    if needed is None:
        raise InputError(
            f"{given}: DuckDB cannot read {scheme}:// paths; read it with --engine spark "
            "(engine='spark'), whose file systems do"
        )
    con = engine.local
    ((installed,),) = con.sql(
        f"SELECT coalesce(any_value(installed), false) FROM duckdb_extensions() "
        f"WHERE extension_name = {quote_sql(needed)}"
    ).fetchall()
    if not installed:
        raise InputError(
            f"{given}: DuckDB reads {scheme}:// through its {needed} extension, which is not "
            f"installed here (INSTALL {needed} needs the internet): install it, or read the log "
            "with --engine spark (engine='spark')"
        )
    con.execute(f"LOAD {needed}")
    pattern = given if is_glob(given) or not given.endswith("/") else given + "**"
    listed = con.sql(
        f"SELECT filename, size, epoch_ms(last_modified) FROM read_blob({quote_sql(pattern)}) "
        "ORDER BY filename"
    ).fetchall()
    parts = tuple(
        Part(n, n, int(s), int(m)) for n, s, m in listed if not skipped(n.rsplit("/", 1)[-1])
    )
    if not parts:
        raise InputError(f"log {given}: not found (nothing there)")
    codecs = {codec_by_name(p.name) for p in parts}
    if len(codecs) > 1 or not codecs <= {None, "gzip", "zstd"}:
        raise DataError(f"{given}: its parts are compressed unlike each other or as infermodel "
                        "does not read (plain, gzip .gz and zstd .zst are read)")  # fmt: skip
    compression = codecs.pop()
    where = LogPath(given, scheme, parts)
    if all(part.name.endswith(".parquet") for part in parts):  # told by name, as DuckDB does
        return LogFile(given, None, b"PAR1", where)
    head = "\n".join(first_lines(con, LogFile(given, compression, b"", where), 200))
    return checked_head(LogFile(given, compression, head.encode()[:HEAD_BYTES], where))


__all__ = [
    "DUCKDB_EXTENSIONS",
    "KEY_LINES",
    "RECORDS_VIEW",
    "Block",
    "Parts",
    "Source",
    "duckdb_lines",
    "duckdb_parquet",
    "first_lines",
    "json_keys",
    "open_duckdb_uri",
    "text_source",
]
