"""How a request log file is opened: compression, format, CSV layout, real line numbers.

:mod:`infermodel.readers.logs` checks the rows of a log; this module says what the file is
and how DuckDB reads it:

- Compression (:func:`detect_compression`) by content: gzip (magic bytes ``1f 8b``) and
  zstd (``28 b5 2f fd``) are read, whatever the file is called (a ``.gz``/``.zst``/``.zstd``
  name with plain content is read as plain); bzip2, xz and zip are refused in one line.
- Format (:func:`detect_format`) from the first bytes, inside the compressed stream.
- A CSV's layout (:func:`csv_layout`): the header is the first record, the delimiter the one
  of ``,``, tab, ``;``, ``|`` that splits it into most fields, the quote ``"`` (doubled
  inside a quoted field, RFC 4180). DuckDB reads the rows with exactly that layout, in
  strict mode: a row whose number of fields differs from the header's is *rejected*
  (reported as a bad row), never truncated or padded (only empty fields past the header's,
  a trailing delimiter, are dropped: no value is lost).
- Real line numbers (:func:`physical_lines`). DuckDB numbers a rejected CSV row by records
  (a record spanning lines counts once, a blank line counts) and numbers nothing else, so the
  lines of the bad rows to show are found by one pass over the file's lines that follows
  the quotes the way DuckDB does (a ``"`` opens a quoted field only at a field's start).
- DuckDB's errors (:func:`reading`) become one line: the file, the format, the cause.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import zstandard

from infermodel import checks
from infermodel.errors import DataError, InputError

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
#: Longest line DuckDB reads (JSON lines, CSV records): far above any request's line (a
#: JSON line holding a million-token prompt's text is about 4 MB), and a bound on what a
#: line without end (binary data inside a compressed log) may take. [bytes]
MAX_LINE_BYTES = 16 << 20
#: Bytes scanned at a time for NUL bytes in a plain log (:func:`find_nul`). [bytes]
_SCAN_BYTES = 64 << 20
#: Rejected CSV rows DuckDB keeps; past this many the file is refused as not this CSV.
MAX_REJECTED_ROWS = 100_000
#: DuckDB's error types for a CSV row with too many or too few fields.
RAGGED_ERRORS = ("TOO MANY COLUMNS", "MISSING COLUMNS")

_REJECTS_TABLE = "infermodel_rejects"
_REJECTS_SCAN = "infermodel_reject_scans"


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

    In UTC, as Spark's sessions (:mod:`infermodel.readers.logs.engines`): a time-zone-aware
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
        magic = handle.read(16)
    for name, signature in COMPRESSIONS.items():
        if magic.startswith(signature):
            return name
    for name, pattern in _REFUSED.items():
        if pattern.match(magic):
            raise DataError(
                f"{path}: {name}-compressed data; infermodel reads plain, gzip (.gz) and zstd "
                "(.zst) logs: decompress it, or recompress it with gzip or zstd"
            )
    return None


def raw_lines_sql(path: Path, compression: str | None, *, encoding: str = "utf-8") -> str:
    """SQL for the file's physical lines, one text value each (NULL for an empty line)."""
    # No delimiter or quote can occur in a value: a line is read as it is.
    return (
        f"SELECT text FROM read_csv({quote_sql(str(path))}, columns = {{'text': 'VARCHAR'}}, "
        "header = false, delim = '\\x01', quote = '', escape = '', auto_detect = false, "
        f"compression = {quote_sql(compression or 'none')}, encoding = {quote_sql(encoding)}, "
        f"max_line_size = {MAX_LINE_BYTES})"
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
class FileState:
    """What a file is at one moment: device, inode, size and change times (``os.stat``).

    A log is read in several scans (the checks, then the shapes and minutes that price it,
    later the views a page draws); if the file changes between two of them (a log still being
    written, truncated, replaced), the rows checked are not the rows priced. Every scan is
    followed by :meth:`check`, which refuses a file that is no longer this state.
    """

    device: int
    inode: int
    size: int
    modified_ns: int
    changed_ns: int

    @classmethod
    def of(cls, path: Path) -> FileState:
        info = Path(path).stat()
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)

    def check(self, path: Path) -> None:
        """Raise :class:`DataError` when ``path`` is no longer the file this state describes."""
        try:
            now = FileState.of(path)
        except OSError as exc:
            raise DataError(
                f"{path}: the log went away while it was read ({exc.strerror}); nothing is "
                "priced from it"
            ) from None
        if now == self:
            return
        what = (
            f"its size went from {self.size:,} to {now.size:,} bytes"
            if now.size != self.size
            else "it was rewritten or replaced"
        )
        raise DataError(
            f"{path}: the log changed while it was read ({what}); the rows checked would not "
            "be the rows priced, so nothing is priced: read it again once it is complete (or "
            "price a copy of it)"
        )


@dataclass(frozen=True)
class LogFile:
    """A log file's path, compression and first bytes (decompressed)."""

    path: Path
    compression: str | None
    head: bytes
    state: FileState | None = None

    @property
    def described(self) -> str:
        return f"{self.compression}-compressed " if self.compression else ""


def open_log(path: str | Path) -> LogFile:
    """Check that ``path`` is a non-empty log and read its first bytes."""
    path = Path(path)
    problem = checks.not_a_file(path)
    if problem:
        found = "not found" if problem == "does not exist" else problem
        raise InputError(f"log {path}: {found}")
    state = FileState.of(path)
    compression = detect_compression(path)
    head = read_head(path, compression)
    inside = f" (after {compression} decompression)" if compression else ""
    if not head.strip():
        raise DataError(f"{path}: the file is empty{inside}")
    if not head.startswith(b"PAR1"):
        _refuse_binary(path, head, compression, inside)
    state.check(path)
    return LogFile(path, compression, head, state)


def _refuse_binary(path: Path, head: bytes, compression: str | None, inside: str) -> None:
    """Refuse a text log with binary data: in its first line, or a NUL byte anywhere (a text
    log has none; DuckDB read gigabytes of NULs after a header as one line before failing)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16(head[:200]):
        raise DataError(
            f"{path}: UTF-16 text{inside}; infermodel reads UTF-8 logs: convert it, e.g. "
            "iconv -f UTF-16 -t UTF-8"
        )
    if not _is_text(head.split(b"\n", 1)[0]):
        raise DataError(
            f"{path}: binary data{inside}, not a UTF-8 text log (CSV, JSON lines) nor Parquet"
        )
    at, line = find_nul(path, compression)
    if at >= 0:
        raise DataError(
            f"{path}: binary data (a NUL byte) on line {line:,}{inside}, byte {at:,}: not a "
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
    """(offset, line) of the first NUL byte of a log's content (decompressed), or (-1, -1).

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


def csv_sql(log: LogFile, layout: CsvLayout, *, store_rejects: bool) -> str:
    """SQL reading a CSV log with ``layout``, every cell as text, strict about its fields.

    A row that does not split into the header's fields (or cannot be read as CSV) is skipped;
    with ``store_rejects`` DuckDB also records it in its rejects table (:func:`take_rejects`).
    """
    columns = ", ".join(f"{quote_sql(name)}: 'VARCHAR'" for name in layout.names)
    errors = (
        f"store_rejects = true, rejects_table = {quote_sql(_REJECTS_TABLE)}, "
        f"rejects_scan = {quote_sql(_REJECTS_SCAN)}, rejects_limit = {MAX_REJECTED_ROWS}"
        if store_rejects
        else "ignore_errors = true"
    )
    return (
        f"read_csv({quote_sql(str(log.path))}, header = true, auto_detect = false, "
        f"columns = {{{columns}}}, delim = {quote_sql(layout.delimiter)}, quote = '\"', "
        f"escape = '\"', strict_mode = true, compression = {quote_sql(log.compression or 'none')}, "
        f"max_line_size = {MAX_LINE_BYTES}, {errors})"
    )


def clear_rejects(con: duckdb.DuckDBPyConnection) -> None:
    """Drop DuckDB's rejects tables, so that the next scan's rejects are the only ones."""
    con.execute(f"DROP TABLE IF EXISTS {_REJECTS_TABLE}; DROP TABLE IF EXISTS {_REJECTS_SCAN}")


def take_rejects(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Copy the rows DuckDB rejected into ``rejected`` (one row per record) and clear them.

    ``rejected`` holds ``record`` (DuckDB's record number, header = 1), ``kind``
    (``ragged`` or ``malformed``), ``value`` (the row's text, cut), ``fields`` (how many a
    ragged row has) and ``cause`` (DuckDB's reason for a malformed one).
    """
    ragged = ", ".join(quote_sql(e) for e in RAGGED_ERRORS)
    try:
        stored = con.sql(f"SELECT count(*) FROM {_REJECTS_TABLE}").fetchall()[0][0]
    except duckdb.CatalogException:  # no scan stored any: nothing was rejected
        stored = 0
        con.execute(
            f"CREATE TEMP TABLE {_REJECTS_TABLE} (line BIGINT, error_type VARCHAR, "
            "csv_line VARCHAR, error_message VARCHAR)"
        )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE rejected AS
        SELECT line::BIGINT AS record,
               CASE WHEN bool_and(error_type IN ({ragged})) THEN 'ragged' ELSE 'malformed' END
                   AS kind,
               left(trim(any_value(csv_line), chr(10) || chr(13)), 80) AS value,
               max(TRY_CAST(regexp_extract(error_message, 'Found: ([0-9]+)', 1) AS BIGINT))
                   AS fields,
               string_agg(DISTINCT error_message, '; ') AS cause
        FROM {_REJECTS_TABLE} GROUP BY line
        """
    )
    clear_rejects(con)
    if stored >= MAX_REJECTED_ROWS:
        raise DataError(
            f"{path}: more than {MAX_REJECTED_ROWS:,} rows do not split into the header's "
            "fields or cannot be read as CSV; is it a CSV log with that header, delimiter and "
            '" quotes?'
        )


_FIELD_QUOTE = {d: re.compile(f'(?<={re.escape(d)})"') for d in CSV_DELIMITERS}


def _ends_inside_quotes(text: str, delimiter: str, inside: bool) -> bool:
    """Whether a CSV line ends inside a quoted field, as DuckDB reads it.

    A ``"`` opens a quoted field only at the start of a field (the start of the line when not
    already inside quotes, or after a delimiter); inside, ``""`` is a quote and a lone ``"``
    closes the field. A ``"`` inside an unquoted field is text.
    """
    position = 0
    if not inside:
        if text.startswith('"'):
            inside, position = True, 1
    while True:
        if inside:
            close = text.find('"', position)
            while close >= 0 and text.startswith('""', close):
                close = text.find('"', close + 2)
            if close < 0:
                return True
            inside, position = False, close + 1
        else:
            opened = _FIELD_QUOTE[delimiter].search(text, position)
            if opened is None:
                return False
            inside, position = True, opened.end()


def physical_lines(
    log: LogFile,
    layout: CsvLayout,
    *,
    records: set[int],
    rows: set[int],
    rejected: set[int],
) -> tuple[dict[int, int], dict[int, int]]:
    """The line (1-based) on which chosen CSV records and accepted rows start.

    Parameters
    ----------
    records
        DuckDB record numbers (header = 1, a blank line counts, a record over several lines
        counts once) of rejected rows to place.
    rows
        Ordinals (1 = first) of accepted data rows to place.
    rejected
        Record numbers of every rejected row (they are not accepted rows).

    Returns
    -------
    tuple of dict
        Record number -> line, and row ordinal -> line. The pass stops once all are found.
    """
    found_records: dict[int, int] = {}
    found_rows: dict[int, int] = {}
    wanted = len(records) + len(rows)
    record = accepted = 0
    inside = False
    for line, text in enumerate(_text_lines(log), start=1):
        if len(found_records) + len(found_rows) >= wanted:
            break
        if not inside:
            record += 1
            if record > 1 and text:
                if record in rejected:
                    if record in records:
                        found_records[record] = line
                else:
                    accepted += 1
                    if accepted in rows:
                        found_rows[accepted] = line
        if '"' in text:
            inside = _ends_inside_quotes(text, layout.delimiter, inside)
    return found_records, found_rows


def _text_lines(log: LogFile, block: int = 1 << 20) -> Iterator[str]:
    """The file's lines (decompressed) as text without their endings, as DuckDB splits them.

    Read as latin-1, which maps every byte to one character, so that no byte stops the count
    (DuckDB's own latin-1 refuses bytes 0x80-0x9F, which UTF-8 text is full of: a curly quote
    is E2 80 99). A lone CR ends a line in a file without LF.
    """
    opener = {"gzip": gzip.open, None: open, "zstd": zstandard.open}[log.compression]
    end = b"\r" if b"\r" in log.head and b"\n" not in log.head else b"\n"
    rest = b""
    with opener(log.path, "rb") as handle:
        while chunk := handle.read(block):
            lines = (rest + chunk).split(end)
            rest = lines.pop()
            for raw in lines:
                yield raw.removesuffix(b"\r").decode("latin-1")
    if rest:
        yield rest.removesuffix(b"\r").decode("latin-1")


__all__ = [
    "COMPRESSIONS",
    "CsvLayout",
    "FileState",
    "LogFile",
    "connect",
    "csv_layout",
    "detect_compression",
    "detect_format",
    "duckdb_cause",
    "open_log",
    "physical_lines",
    "quote_sql",
    "reading",
]
