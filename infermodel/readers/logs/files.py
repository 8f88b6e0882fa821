"""How a request log is opened: compression, format, CSV layout, DuckDB's errors.

:mod:`infermodel.readers.logs` checks the rows of a log; this module says what its files are:

- Compression (:func:`detect_compression`) by content: gzip (magic bytes ``1f 8b``) and
  zstd (``28 b5 2f fd``) are read, whatever the file is called (a ``.gz``/``.zst``/``.zstd``
  name with plain content is read as plain); bzip2, xz and zip are refused in one line. The
  parts of a log (:mod:`infermodel.readers.logs.locations`) are all compressed alike, or refused.
  Spark's file systems decompress by name instead (:func:`codec_by_name`).
- Format (:func:`detect_format`) from the first bytes, inside the compressed stream.
- Binary data: an empty log, a UTF-16 one, a first line that is not UTF-8 text, and a NUL
  byte anywhere in any local part of a text log (:func:`find_nul`) are each one line, before
  any engine reads the log; the parts must still be the files listed once scanned
  (:meth:`~infermodel.readers.logs.locations.LogPath.check`).
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
import zstandard

from infermodel import checks
from infermodel.errors import DataError, InputError
from infermodel.readers.logs import formats
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
#: Longest line DuckDB reads (a JSON line, a CSV line); a longer one is one line's error. Far
#: above any request's line (a Mooncake line with thousands of block ids is ~50 kB, a JSON
#: line holding a million-token prompt's text about 4 MB), and a bound on what a line without
#: end (binary data inside a compressed log) may take. [bytes]
MAX_LINE_BYTES = 16 << 20
#: DuckDB's read buffer, per file scanned at once: twice the longest line (its default,
#: sixteen times, would hold 256 MiB per compressed file, counted against its memory_limit,
#: and a query reads the lines more than once). [bytes]
READ_BUFFER_BYTES = 2 * MAX_LINE_BYTES
#: Bytes scanned at a time for NUL bytes in a plain log (:func:`find_nul`). [bytes]
_SCAN_BYTES = 64 << 20
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
    if line and any("\\0\\0" in text for text in lines):
        return f"line {int(line.group(1)):,} holds binary data (NUL bytes): not a text log"
    size = next(
        (re.search(r"Actual Size:\s*(\d+)", t) for t in lines if "Maximum line size" in t), None
    )
    if line and size:
        return (
            f"line {int(line.group(1)):,} is {int(size.group(1)):,} bytes long, past the "
            f"{MAX_LINE_BYTES:,} bytes a log's line may have (a line is one request: is it the "
            "file you meant?)"
        )
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
    """An in-memory DuckDB in UTC, without its terminal progress bar (noise in notebooks).

    In UTC, as Spark's queries (:mod:`infermodel.readers.logs.engines`): a time-zone-aware
    column (Parquet's UTC-adjusted timestamps) is read as its UTC wall clock, whatever the
    machine's ``TZ``.
    """
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
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
    files = (
        quote_sql(str(paths[0]))
        if len(paths) == 1
        else ("[" + ", ".join(quote_sql(str(p)) for p in paths) + "]")
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
    """The first ``size`` bytes of the file's content (decompressed, as a stream: a huge
    first line costs no more memory than ``size``)."""
    opener = {"gzip": gzip.open, None: open, "zstd": zstandard.open}[compression]
    try:
        with opener(path, "rb") as handle:
            return handle.read(size)
    except (OSError, EOFError, zlib.error, zstandard.ZstdError) as exc:
        raise DataError(f"{path}: not readable {compression or 'plain'} data: {exc}") from None


@dataclass(frozen=True)
class LogFile:
    """A log as opened: its name, compression, first bytes (decompressed) and parts."""

    path: Path | str
    compression: str | None
    head: bytes
    #: The files it is made of (one for a file; a folder's or a glob's parts, or a URI's),
    #: with their sizes and modification times when listed (:meth:`LogPath.check`).
    where: LogPath | None = None

    @property
    def described(self) -> str:
        return f"{self.compression}-compressed " if self.compression else ""

    @property
    def parts(self) -> LogPath:
        """Its parts (a one-file log: the file)."""
        return self.where if self.where is not None else locate_local(str(self.path))


def open_log(path: str | Path) -> LogFile:
    """Check that ``path`` is one non-empty log (or bill) file and read its first bytes.

    A folder, pipe, device or dangling link is refused in one line saying what it is.
    """
    path = Path(path)
    problem = checks.not_a_file(path)
    if problem:
        found = "not found" if problem == "does not exist" else problem
        raise InputError(f"log {path}: {found}")
    return open_parts(locate_local(str(path)))


def _inside(compression: str | None) -> str:
    return f" (after {compression} decompression)" if compression else ""


def checked_head(log: LogFile) -> LogFile:
    """``log`` if its first bytes are a log's: not empty, UTF-8 text or Parquet."""
    inside = _inside(log.compression)
    if not log.head.strip():
        raise DataError(f"{log.path}: the file is empty{inside}")
    if log.head.startswith(b"PAR1"):
        return log
    _refuse_utf16(log.path, log.head, inside)
    if not _is_text(log.head.split(b"\n", 1)[0]):
        raise DataError(
            f"{log.path}: binary data{inside}, not a UTF-8 text log (CSV, JSON lines) nor Parquet"
        )
    return log


def _refuse_utf16(name: Path | str, head: bytes, inside: str) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16(head[:200]):
        raise DataError(
            f"{name}: UTF-16 text{inside}; infermodel reads UTF-8 logs: convert it, e.g. "
            "iconv -f UTF-16 -t UTF-8"
        )


def _refuse_binary(name: str, compression: str | None) -> None:
    """Refuse a text log's part holding a NUL byte anywhere (a text log has none; DuckDB read
    gigabytes of NULs after a header as one line before failing), or in UTF-16."""
    inside = _inside(compression)
    at, line = find_nul(Path(name), compression)
    if at < 0:
        return
    _refuse_utf16(name, read_head(Path(name), compression, 200), inside)
    raise DataError(
        f"{name}: binary data (a NUL byte) on line {line:,}{inside}, byte {at:,}: not a "
        "text log; a CSV or JSON-lines log holds text only (was it cut short, or another "
        "file appended to it?)"
    )


def _utf16(start: bytes) -> bool:
    """Text in UTF-16 without a byte-order mark: every other byte NUL, the others not."""
    if len(start) < 8:
        return False
    for zeros, chars in ((start[1::2], start[0::2]), (start[0::2], start[1::2])):
        if zeros.count(0) == len(zeros) and chars.count(0) == 0:
            return True
    return False


def find_nul(path: Path, compression: str | None = None) -> tuple[int, int]:
    """(offset, line) of the first NUL byte of a file's content (decompressed), or (-1, -1).

    DuckDB reads a run of NULs as one line, gigabytes of memory before failing, and drops one
    past its longest line at the end of a file without a word; a text log has none. Scanned in
    blocks (``bytes.find``, memchr): well under a second per gigabyte of plain text, about a
    second per hundred megabytes of gzip or zstd, memory for one block.
    """
    opener = {"gzip": gzip.open, None: open, "zstd": zstandard.open}[compression]
    offset, lines = 0, 1
    try:
        with opener(path, "rb") as handle:
            while block := handle.read(_SCAN_BYTES):
                at = block.find(b"\0")
                if at >= 0:
                    return offset + at, lines + block.count(b"\n", 0, at)
                offset += len(block)
                lines += block.count(b"\n")
    except (OSError, EOFError, zlib.error, zstandard.ZstdError) as exc:
        raise DataError(f"{path}: not readable {compression or 'plain'} data: {exc}") from None
    return -1, -1


def open_parts(where: LogPath) -> LogFile:
    """Open a log of this machine's files (one, or a folder's or a glob's parts).

    Every part is compressed alike and is Parquet or text alike (else one line naming the
    first that differs); the head is the first non-blank part's. A text log's every part is
    scanned for binary data (:func:`find_nul`) before any engine reads it, and the parts
    must still be the files listed after that (:meth:`LogPath.check`).
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
    log = checked_head(LogFile(shown, compression, head, where))
    if not head.startswith(b"PAR1"):
        for part in where.parts:
            _refuse_binary(part.name, compression)
    where.check()
    return log


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
        return formats.detect("parquet", "", set())
    text = log.head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first = text.lstrip().splitlines()[0]
    if first.startswith("{"):
        return formats.detect("jsonl", first, set())
    header = {name.strip().strip('"') for name in first.split(",")}
    return formats.detect("csv", first, header)


def detect_format(path: str | Path) -> str:
    """The format of a log (one of :data:`infermodel.readers.logs.FORMATS`), from its content.

    Read inside a gzip or zstd stream. Parquet by its magic bytes; JSON lines when the first
    character is ``{`` (``mooncake`` when the first object has ``input_length``,
    ``output_length`` and ``hash_ids``); else CSV (``azure`` when the header names the Azure
    trace's three columns).
    """
    return format_of(open_parts(locate_local(str(path))))


@dataclass(frozen=True)
class CsvLayout:
    """How a CSV log is split: its delimiter and header names (made unique, never empty).

    ``repeated``: each name the header gives more than one field, with those fields'
    numbers (1-based); the second is read as ``name_1``, the third ``name_2``.
    """

    delimiter: str
    names: tuple[str, ...]
    repeated: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def check_not_repeated(self, path: Path, used: dict[str, str]) -> None:
        """Refuse a header that names a column the kit reads (``used``: role -> name) twice.

        Which field holds the value is then a guess; the first was taken, silently.
        """
        twice = dict(self.repeated)
        for role, name in used.items():
            if name in twice:
                at = [str(n) for n in twice[name]]
                fields = ", ".join(at[:-1]) + " and " + at[-1]
                raise DataError(
                    f"{path}:1: the CSV header names column {name!r} more than once (fields "
                    f"{fields}); which one holds the {role.replace('_', ' ')} is a guess: "
                    "rename the others"
                )


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
    fields: dict[str, list[int]] = {}
    for index, raw in enumerate(best[1]):
        name, base, n = raw.strip() or f"column{index}", raw.strip() or f"column{index}", 0
        fields.setdefault(base, []).append(index + 1)
        while name in names:  # as DuckDB's sniffer: a repeated name gets _1, _2, ...
            n += 1
            name = f"{base}_{n}"
        names.append(name)
    repeated = tuple((name, tuple(at)) for name, at in fields.items() if len(at) > 1)
    return CsvLayout(best[0], tuple(names), repeated)


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
    "find_nul",
    "not_utf8",
    "open_log",
    "open_parts",
    "quote_sql",
    "raw_lines_sql",
    "read_head",
    "reading",
]
