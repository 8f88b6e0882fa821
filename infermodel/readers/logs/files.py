"""How a request log is opened: compression, format, CSV layout, DuckDB's errors.

:mod:`infermodel.readers.logs` checks the rows of a log; this module says what its files are:

- Compression (:func:`detect_compression`) by content: gzip (magic bytes ``1f 8b``) and
  zstd (``28 b5 2f fd``) are read, whatever the file is called (a ``.gz``/``.zst``/``.zstd``
  name with plain content is read as plain); bzip2, xz and zip are refused in one line. The
  parts of a log (:mod:`infermodel.readers.logs.locations`) are all compressed alike, or refused.
  Spark's file systems decompress by name instead (:func:`codec_by_name`).
- Format (:func:`detect_format`) from the first bytes, inside the compressed stream.
- A CSV's layout (:func:`csv_layout`): the header is the first record, the delimiter the one
  of ``,``, tab, ``;``, ``|`` that splits it into most fields, the quote ``"`` (doubled
  inside a quoted field, RFC 4180). How records and fields are split by that layout, on
  every engine, is :mod:`infermodel.readers.logs.csv_records`.
- DuckDB's errors (:func:`reading`) become one line: the file, the format, the cause.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from infermodel.errors import DataError, InputError
from infermodel.readers.logs.locations import LogPath, locate_local

#: Compressions read, by their magic bytes, and the file-name suffixes that usually say so.
COMPRESSIONS = {"gzip": b"\x1f\x8b", "zstd": b"\x28\xb5\x2f\xfd"}
COMPRESSED_SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
#: Compressions refused (by magic bytes), with what to do instead.
_REFUSED = {
    "bzip2": re.compile(rb"BZh[1-9]1AY&SY"),
    "xz": re.compile(rb"\xfd7zXZ\x00"),
    "zip": re.compile(rb"PK\x03\x04"),
}
#: Delimiters a CSV log may use; the one splitting the header into most fields wins.
CSV_DELIMITERS = (",", "\t", ";", "|")
#: Bytes of a log read to tell its format and CSV header. [bytes]
HEAD_BYTES = 1 << 16
#: Longest line DuckDB reads (a JSON line, a CSV line); a longer one is one line's error. A
#: request log's lines are a few kB (a Mooncake line with thousands of block ids, ~50 kB).
#: [bytes]
MAX_LINE_BYTES = 1 << 25
#: DuckDB's read buffer, per file scanned at once: twice the longest line (its default,
#: sixteen times, would hold 512 MiB per compressed file, counted against its memory_limit,
#: and a query reads the lines more than once). [bytes]
READ_BUFFER_BYTES = 2 * MAX_LINE_BYTES
#: Codecs Hadoop's file systems (Spark's) pick by a file name's suffix, whatever the content.
HADOOP_CODECS = {".gz": "gzip", ".zst": "zstd", ".bz2": "bzip2", ".deflate": "deflate",
                 ".lz4": "lz4", ".snappy": "snappy"}  # fmt: skip


def quote_sql(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def duckdb_cause(exc: BaseException) -> str:
    """DuckDB's error on one line: its first line (and, for a CSV error, the cause after it)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    first = lines[0]
    line = re.search(r"CSV Error on Line: (\d+)", first)
    if line and any("Invalid unicode" in text for text in lines):
        return not_utf8(int(line.group(1)))
    if "CSV Error on Line" in first and len(lines) > 1:
        first = f"{first}: {lines[1]}"
    return first if len(first) <= 300 else first[:297] + "..."


def not_utf8(line: int) -> str:
    """Why a text log whose ``line`` is not UTF-8 cannot be read (both engines say it)."""
    return (
        f"line {line:,} is not UTF-8 text (an invalid byte sequence); infermodel reads UTF-8 "
        "logs: convert it, e.g. iconv -f LATIN1 -t UTF-8"
    )


@contextmanager
def reading(path: Path, fmt: str) -> Iterator[None]:
    """Turn any DuckDB error inside the block into a one-line :class:`DataError`."""
    try:
        yield
    except duckdb.Error as exc:
        raise DataError(f"{path}: cannot be read as {fmt}: {duckdb_cause(exc)}") from None


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB without its terminal progress bar (noise in notebooks and logs)."""
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
    except duckdb.InvalidInputException:
        # Inside a Jupyter kernel without ipywidgets DuckDB refuses the setting, and it has no
        # bar to draw there anyway.
        pass
    return con


def detect_compression(path: str | Path) -> str | None:
    """``"gzip"``, ``"zstd"`` or ``None`` (plain), from the file's first bytes.

    Raises :class:`DataError` for a compression that is not read (bzip2, xz, zip).
    """
    path = Path(path)
    with path.open("rb") as handle:
        return compression_of(handle.read(16), path)


def compression_of(magic: bytes, where: str | Path) -> str | None:
    """The compression a file's first bytes (``magic``) say (see :func:`detect_compression`)."""
    for name, signature in COMPRESSIONS.items():
        if magic.startswith(signature):
            return name
    for name, pattern in _REFUSED.items():
        if pattern.match(magic):
            raise DataError(
                f"{where}: {name}-compressed data; infermodel reads plain, gzip (.gz) and zstd "
                "(.zst) logs: decompress it, or recompress it with gzip or zstd"
            )
    return None


def codec_by_name(name: str) -> str | None:
    """The codec Spark's (Hadoop's) file systems decompress ``name`` with: by its suffix."""
    lowered = name.lower()
    return next((c for suffix, c in HADOOP_CODECS.items() if lowered.endswith(suffix)), None)


def raw_lines_sql(
    path: str | Path | Sequence[str | Path],
    compression: str | None,
    *,
    encoding: str = "utf-8",
    filename: bool = False,
) -> str:
    """SQL for the physical lines of a file (or of several, in order), one text value each
    (NULL for an empty line); with ``filename``, also the file each line is in."""
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    files = quote_sql(str(paths[0])) if len(paths) == 1 else (
        "[" + ", ".join(quote_sql(str(p)) for p in paths) + "]"
    )
    named = ", filename = true" if filename else ""
    # No delimiter or quote can occur in a value: a line is read as it is.
    return (
        f"SELECT {'filename, ' if filename else ''}text FROM read_csv({files}, "
        "columns = {'text': 'VARCHAR'}, header = false, delim = '\\x01', quote = '', "
        f"escape = '', auto_detect = false, compression = {quote_sql(compression or 'none')}, "
        f"encoding = {quote_sql(encoding)}, max_line_size = {MAX_LINE_BYTES}, "
        f"buffer_size = {READ_BUFFER_BYTES}{named})"
    )


def read_head(path: Path, compression: str | None, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of the file's content (decompressed)."""
    if compression is None:
        with path.open("rb") as handle:
            return handle.read(size)
    if compression == "gzip":
        try:
            with gzip.open(path, "rb") as handle:
                return handle.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{path}: not readable gzip data: {exc}") from None
    con = connect()
    try:
        with reading(path, f"{compression}-compressed text"):
            # latin-1 maps every byte to one character, so the bytes come back unchanged.
            lines = con.sql(f"{raw_lines_sql(path, compression, encoding='latin-1')} LIMIT 200")
            text = "\n".join(line or "" for (line,) in lines.fetchall())
    finally:
        con.close()
    return text.encode("latin-1")[:size]


@dataclass(frozen=True)
class LogFile:
    """A log as opened: its name, compression, first bytes (decompressed) and parts."""

    path: Path | str
    compression: str | None
    head: bytes
    #: The files it is made of (one for a file; a folder's or a glob's parts, or a URI's).
    where: LogPath | None = None

    @property
    def described(self) -> str:
        return f"{self.compression}-compressed " if self.compression else ""

    @property
    def parts(self) -> LogPath:
        """Its parts (a one-file log: the file)."""
        return self.where if self.where is not None else locate_local(str(self.path))


def open_log(path: str | Path) -> LogFile:
    """Check that ``path`` is a non-empty log file and read its first bytes."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"trace file not found: {path}")
    compression = detect_compression(path)
    return checked_head(LogFile(path, compression, read_head(path, compression)))


def checked_head(log: LogFile) -> LogFile:
    """``log`` if its first bytes are a log's: not empty, text or Parquet."""
    inside = f" (after {log.compression} decompression)" if log.compression else ""
    if not log.head.strip():
        raise DataError(f"{log.path}: the file is empty{inside}")
    if not log.head.startswith(b"PAR1") and not _is_text(log.head.split(b"\n", 1)[0]):
        raise DataError(
            f"{log.path}: binary data{inside}, not a UTF-8 text log (CSV, JSON lines) nor Parquet"
        )
    return log


def open_parts(where: LogPath) -> LogFile:
    """Open a log of this machine's files (one, or a folder's or a glob's parts).

    Every part is compressed alike and is Parquet or text alike (else one line naming the
    first that differs); the head is the first non-blank part's.
    """
    first: tuple[str, tuple[str | None, bool]] | None = None
    for part in where.parts:
        with open(part.name, "rb") as handle:
            magic = handle.read(16)
        kind = (compression_of(magic, part.name), magic.startswith(b"PAR1"))
        if first is not None and kind != first[1]:
            raise DataError(
                f"{part.name}: {_kind_words(kind)}, where {first[0]} is "
                f"{_kind_words(first[1])}: the parts of one log ({where.given}) are all "
                "Parquet or all text, compressed alike"
            )
        first = first or (part.name, kind)
    assert first is not None
    compression = first[1][0]
    head = b""
    for part in where.parts:
        head = read_head(Path(part.name), compression)
        if head.strip():
            break
    shown = where.parts[0].name if len(where.parts) == 1 else where.given
    return checked_head(LogFile(shown, compression, head, where))


def _kind_words(kind: tuple[str | None, bool]) -> str:
    compression, parquet = kind
    return f"{compression or 'uncompressed'} {'Parquet' if parquet else 'text'}"


def _is_text(line: bytes) -> bool:
    """Whether a first line is UTF-8 text without control characters (tab and CR allowed)."""
    try:
        # Not final: the line may be cut inside a character at the end of the head.
        text = codecs.getincrementaldecoder("utf-8")().decode(line, final=False)
    except UnicodeDecodeError:
        return False
    return not any(ord(c) < 32 and c not in "\t\r" for c in text)


def format_of(log: LogFile) -> str:
    """The format of an opened log (see :func:`detect_format`)."""
    if log.head[:4] == b"PAR1":
        return "parquet"
    text = log.head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first = text.lstrip().splitlines()[0]
    if first.startswith("{"):
        keys = {"input_length", "output_length", "hash_ids"}
        return "mooncake" if all(f'"{key}"' in first for key in keys) else "jsonl"
    header = {name.strip().strip('"') for name in first.split(",")}
    return "azure" if {"TIMESTAMP", "ContextTokens", "GeneratedTokens"} <= header else "csv"


def detect_format(path: str | Path) -> str:
    """The format of a log (one of :data:`infermodel.readers.logs.FORMATS`), from its content.

    Read inside a gzip or zstd stream. Parquet by its magic bytes; JSON lines when the first
    character is ``{`` (``mooncake`` when the first object has ``input_length``,
    ``output_length`` and ``hash_ids``); else CSV (``azure`` when the header names the Azure
    trace's three columns).
    """
    return format_of(open_log(path))


@dataclass(frozen=True)
class CsvLayout:
    """How a CSV log is split: its delimiter and header names (made unique, never empty)."""

    delimiter: str
    names: tuple[str, ...]


def csv_layout(log: LogFile) -> CsvLayout:
    """The delimiter and header of a CSV log, from its first record."""
    text = log.head.decode("utf-8", errors="replace").lstrip("\ufeff")
    if not text.split("\n", 1)[0].strip():
        raise DataError(f"{log.path}: the first line, the CSV header, is empty")
    best: tuple[str, list[str]] | None = None
    for delimiter in CSV_DELIMITERS:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"')
        try:
            fields = next(reader)
        except csv.Error as exc:
            raise DataError(f"{log.path}: the CSV header cannot be read: {exc}") from None
        if best is None or len(fields) > len(best[1]):
            best = (delimiter, fields)
    assert best is not None
    names: list[str] = []
    for index, raw in enumerate(best[1]):
        name, base, n = raw.strip() or f"column{index}", raw.strip() or f"column{index}", 0
        while name in names:  # as DuckDB's sniffer: a repeated name gets _1, _2, ...
            n += 1
            name = f"{base}_{n}"
        names.append(name)
    return CsvLayout(best[0], tuple(names))


__all__ = [
    "COMPRESSIONS",
    "HADOOP_CODECS",
    "CsvLayout",
    "LogFile",
    "checked_head",
    "codec_by_name",
    "compression_of",
    "connect",
    "csv_layout",
    "detect_compression",
    "detect_format",
    "duckdb_cause",
    "not_utf8",
    "open_log",
    "open_parts",
    "quote_sql",
    "raw_lines_sql",
    "read_head",
    "reading",
]
