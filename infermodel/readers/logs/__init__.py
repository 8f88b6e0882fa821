"""Request logs opened where they lie, in DuckDB or Spark, and checked row by row.

A request log (trace) says when each request was sent, how many prompt tokens it carried
(and how many of them a prompt cache could serve) and how many it generated. :func:`read_trace`
opens one without loading it into pandas: an engine (:mod:`infermodel.readers.logs.engines`;
DuckDB by default, which reads CSV, JSONL and Parquet larger than memory, or Spark) does the
per-request work; only aggregates (distinct request shapes, one row per minute) are kept, for
:mod:`infermodel.pricing.trace_pricing` to price. The checks and aggregates are one SQL text for
both
engines (:mod:`infermodel.readers.logs.dialects`); how Spark gets the raw rows is
:mod:`infermodel.readers.logs.spark_sources`.

Formats (:data:`FORMATS`), detected from the file's content, or forced with ``fmt=``:

- ``azure``: the Azure LLM inference trace CSV (``TIMESTAMP, ContextTokens,
  GeneratedTokens``; Splitwise, ISCA 2024). No cache information: cached input is 0.
- ``mooncake``: the Mooncake trace JSONL (``timestamp`` [ms from the trace start],
  ``input_length``, ``output_length``, ``hash_ids``: one id per 512-token prompt block;
  Mooncake, FAST'25). Reading of the cache: a block whose id appeared in an *earlier* request
  (earlier line of the file) is a prefix-cache hit; block ``k`` (1-based) covers prompt
  tokens ``512 (k - 1)`` to ``min(512 k, input_length)``, so the last block may be partial,
  and the cached tokens of a request are the tokens of its cached blocks. When the cached
  blocks are a prefix (as in the trace) this equals ``512 x cached blocks``, capped at
  ``input_length``. Ids repeated within one request do not count.
- ``csv``, ``jsonl``, ``parquet``: any log with a :class:`ColumnMapping` (input, output,
  optional cached input, timestamp and model columns).

Any of them may be gzip- or zstd-compressed (told by content, not name; Parquet excepted:
it compresses its own columns); see :mod:`infermodel.readers.logs.files`.

Rows are checked one by one (:data:`BAD_ROW_KINDS`): a CSV row with more or fewer fields
than the header (``ragged``) or that is not CSV, a JSON line that is not an object, and a
token count that is missing, not a whole number, negative or above
:data:`MAX_TOKENS_PER_REQUEST`. A log with a bad row is refused with the file, the number of
bad rows per kind and the first line numbers (1-based, header = line 1, as an editor shows
them, also after fields that span lines), unless ``drop_bad_rows=True`` drops them (and
:attr:`Trace.dropped_rows` says how many). Totals are summed as HUGEINT (exact) and
per-minute tokens as DOUBLE (exact below 2^53 tokens a minute), so no sum can overflow.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from infermodel import checks
from infermodel.errors import DataError, InputError, Problem, TableError
from infermodel.readers.logs import spark_sources
from infermodel.readers.logs.engines import ENGINES, DuckDBEngine, Engine, SparkEngine, make_engine
from infermodel.readers.logs.files import (
    CsvLayout,
    FileState,
    LogFile,
    clear_rejects,
    connect,
    csv_layout,
    csv_sql,
    detect_format,
    format_of,
    open_log,
    physical_lines,
    quote_sql,
    raw_lines_sql,
    reading,
    take_rejects,
)
from infermodel.readers.logs.row_checks import (
    BAD_ROW_KINDS,
    MAX_TOKENS_PER_REQUEST,
    ColumnMapping,
    Columns,
    checked_sql,
)

FORMATS = ("azure", "mooncake", "csv", "jsonl", "parquet")
#: Tokens per prompt block in the Mooncake trace's ``hash_ids`` (its README). [tokens]
MOONCAKE_BLOCK_TOKENS = 512
#: Longest span :meth:`Trace.per_minute` returns every minute of (about 694 days); past it,
#: only busy minutes (``busy_only=True``). [min]
MAX_DENSE_MINUTES = 1_000_000
#: Most intervals :meth:`Trace.per_interval` lists with ``busy_only=False``. [intervals]
MAX_DENSE_INTERVALS = 1_000_000
#: Microseconds in a second, for the per-interval arithmetic on timestamps. [us/s]
MICROSECONDS_PER_SECOND = 1_000_000

#: First bad lines shown in an error message.
SHOWN_BAD_LINES = 5


AZURE_MAPPING = ColumnMapping("ContextTokens", "GeneratedTokens", timestamp="TIMESTAMP")
MOONCAKE_MAPPING = ColumnMapping(
    "input_length", "output_length", timestamp="timestamp", timestamp_unit="ms"
)
#: Optional columns a generic log may carry under these names without a mapping.
GENERIC_OPTIONAL = {"cached_input_tokens": "cached_input_tokens", "timestamp": "timestamp",
                    "model": "model"}  # fmt: skip


class BadRowsError(TableError):
    """A log has bad rows; ``counts`` per kind, ``problems`` the first ones."""

    def __init__(self, path: Path, counts: dict[str, int], problems: list[Problem]):
        self.path = Path(path)
        self.counts = counts
        self.problems = problems
        total = sum(counts.values())
        kinds = ", ".join(f"{n:,} {kind} ({BAD_ROW_KINDS[kind]})" for kind, n in counts.items())
        lines = ", ".join(str(p.line) for p in problems)
        shown = "\n".join(f"  {p}" for p in problems)
        Exception.__init__(
            self,
            f"{self.path}: {total:,} bad row(s): {kinds}; first at line(s) {lines}:\n{shown}\n"
            "Fix them, or drop them with drop_bad_rows=True (command line: --drop-bad-rows).",
        )


@dataclass
class Trace:
    """A request log opened in an engine, checked, ready to describe and price.

    Build with :func:`read_trace`. The views ``requests`` (one row per good request:
    ``line``, ``ts``, ``input_tokens`` (all prompt tokens), ``cached_input_tokens``,
    ``output_tokens``) and ``shape`` / ``per_minute`` (aggregates) live in :attr:`engine`
    (for DuckDB, in its connection :attr:`con`). ``line`` is the request's line for JSON
    lines, its row + 1 for Parquet, and for CSV its row + 1 among the rows read (the line
    itself when no blank line, dropped row or field spanning lines comes before it; bad rows
    are always reported with their real line).
    """

    path: Path
    fmt: str
    mapping: ColumnMapping
    engine: Engine
    dropped_rows: int = 0
    dropped_by_kind: dict[str, int] = field(default_factory=dict)
    has_timestamps: bool = True
    compression: str | None = None
    #: The file as it was checked; every later scan of it must find it so.
    state: FileState | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection holding the views (DuckDB engine only)."""
        if not isinstance(self.engine, DuckDBEngine):
            raise InputError(
                f"{self.path}: opened with engine {self.engine.name!r}, which has no DuckDB "
                "connection; query trace.engine instead"
            )
        return self.engine.con

    def _rows(self, query: str) -> list[tuple]:
        """Run ``query``; an engine error or a file that changed since it was checked is one
        line (:class:`~infermodel.readers.logs.files.FileState`)."""
        with self.engine.reading(self.path, self.fmt):
            rows = self.engine.rows(query)
        self._same_file()
        return rows

    def _frame(self, query: str) -> pd.DataFrame:
        with self.engine.reading(self.path, self.fmt):
            frame = self.engine.frame(query)
        self._same_file()
        return frame

    def _same_file(self) -> None:
        if self.state is not None:
            self.state.check(self.path)

    def summary(self) -> pd.DataFrame:
        """One row: requests, token totals [tokens], first and last arrival, span [min].

        Totals are exact integers (summed as HUGEINT).
        """
        requests, uncached, cached, output = self._rows(
            """
            SELECT sum(n)::HUGEINT,
                   sum(n::HUGEINT * (input_tokens - cached_input_tokens)),
                   sum(n::HUGEINT * cached_input_tokens),
                   sum(n::HUGEINT * output_tokens)
            FROM shape
            """
        )[0]
        row = pd.DataFrame(
            {
                "requests": [int(requests)],
                "input_tokens": [int(uncached)],
                "cached_input_tokens": [int(cached)],
                "output_tokens": [int(output)],
            }
        )
        span = self.span()
        return row.assign(
            path=str(self.path),
            format=self.fmt,
            dropped_rows=self.dropped_rows,
            first_request=span[0],
            last_request=span[1],
            span_minutes=span[2],
        )

    def span(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None, int]:
        """First and last arrival and the minutes they span (0 without timestamps)."""
        if not self.has_timestamps:
            return None, None, 0
        first, last = self._rows("SELECT min(first_ts), max(last_ts) FROM per_minute")[0]
        minutes = int((pd.Timestamp(last).floor("min") - pd.Timestamp(first).floor("min"))
                      / pd.Timedelta(minutes=1)) + 1  # fmt: skip
        return pd.Timestamp(first), pd.Timestamp(last), minutes

    def per_minute(self, *, busy_only: bool = False) -> pd.DataFrame:
        """Requests and tokens per minute: every minute of the span (0 where idle), or busy ones.

        Columns ``minute``, ``requests``, ``prompt_tokens`` (cached included),
        ``cached_input_tokens``, ``output_tokens`` [tokens per minute]. Every minute is
        returned for a span of up to :data:`MAX_DENSE_MINUTES`; ``busy_only=True`` returns
        only the minutes with a request, which needs memory for those alone, whatever the span.
        """
        self._need_timestamps()
        table = self._frame(
            "SELECT minute, requests, prompt_tokens, cached_input_tokens, output_tokens "
            "FROM per_minute ORDER BY minute"
        )
        if busy_only:
            return table
        first, last, minutes = self.span()
        if minutes > MAX_DENSE_MINUTES:
            raise InputError(
                f"{self.path}: the log spans {minutes:,} minutes ({first} to {last}); every "
                f"minute is listed up to {MAX_DENSE_MINUTES:,} minutes: call "
                "per_minute(busy_only=True) for the busy minutes only"
            )
        index = pd.date_range(first.floor("min"), periods=minutes, freq="min", name="minute")
        table["minute"] = pd.to_datetime(table["minute"]).astype(index.dtype)
        return table.set_index("minute").reindex(index, fill_value=0).reset_index()

    def _need_timestamps(self) -> None:
        if not self.has_timestamps:
            raise InputError(
                f"{self.path}: the log has no timestamp column, so no arrival pattern; "
                "map one with ColumnMapping(timestamp=...)"
            )

    def per_interval(self, seconds: int = 1, *, busy_only: bool = True) -> pd.DataFrame:
        """Requests and tokens per interval of ``seconds``, from the first request's second.

        Columns ``start_s`` (int64: the interval's start in seconds from the first request's
        second, floored), ``requests``, ``prompt_tokens`` (cached included),
        ``cached_input_tokens``, ``output_tokens`` [tokens per interval], ordered by
        ``start_s``. ``busy_only=True`` lists the intervals with a request (memory for those
        alone); ``False`` every interval of the span, 0 where idle, up to
        :data:`MAX_DENSE_INTERVALS`. Computed from the requests on each call.
        """
        seconds = checks.whole("seconds", seconds, minimum=1)
        self._need_timestamps()
        first, last, _ = self.span()
        origin = first.floor("s")
        origin_us = (origin - pd.Timestamp(0)) // pd.Timedelta(microseconds=1)
        width_us = seconds * MICROSECONDS_PER_SECOND
        table = self._frame(
            f"SELECT (epoch_us(ts) - {origin_us}) // {width_us} * {seconds} AS start_s, "
            "count(*)::BIGINT AS requests, sum(input_tokens)::DOUBLE AS prompt_tokens, "
            "sum(cached_input_tokens)::DOUBLE AS cached_input_tokens, "
            "sum(output_tokens)::DOUBLE AS output_tokens "
            "FROM requests GROUP BY ALL ORDER BY start_s"
        ).astype({"start_s": "int64", "requests": "int64"})
        if busy_only:
            return table
        intervals = (last - origin) // pd.Timedelta(seconds=seconds) + 1
        if intervals > MAX_DENSE_INTERVALS:
            raise InputError(
                f"{self.path}: the log spans {intervals:,} intervals of {seconds} s ({first} to "
                f"{last}); every interval is listed up to {MAX_DENSE_INTERVALS:,}: call "
                "per_interval(busy_only=True) for the busy ones only"
            )
        index = pd.Index(np.arange(intervals, dtype=np.int64) * seconds, name="start_s")
        return table.set_index("start_s").reindex(index, fill_value=0).reset_index()

    def length_quantiles(self, quantiles: Sequence[float] = (0.5, 0.9, 0.99)) -> pd.DataFrame:
        """Quantiles of prompt, cached and output tokens per request, and their means."""
        rows = []
        for column in ("input_tokens", "cached_input_tokens", "output_tokens"):
            qs = ", ".join(
                f"quantile_disc({column}, {q})::BIGINT AS p{round(q * 100):02d}" for q in quantiles
            )
            frame = self._frame(
                f"SELECT '{column}' AS tokens, avg({column}) AS mean, {qs}, max({column}) AS max "
                "FROM requests"
            )
            rows.append(frame)
        return pd.concat(rows, ignore_index=True)

    def length_histogram(self, column: str, *, bins: int = 40) -> pd.DataFrame:
        """Requests per log-spaced bin of ``column`` (``input_tokens`` or ``output_tokens``).

        Columns ``low``, ``high`` [tokens] and ``requests``.
        """
        if column not in ("input_tokens", "cached_input_tokens", "output_tokens"):
            valid = "input_tokens, cached_input_tokens or output_tokens"
            raise InputError(f"column must be {valid}, got {column!r}")
        top = max(1, self._rows(f"SELECT max({column}) FROM requests")[0][0] or 1)
        scale = bins / math.log(top + 1)  # bin i holds [(top + 1)^(i / bins), ...^((i + 1) / bins))
        counts = self._frame(
            f"SELECT CASE WHEN {column} < 1 THEN -1 ELSE least({bins - 1}, "
            f"floor(ln({column}) * {scale})::INTEGER) END AS bin, count(*) AS requests "
            "FROM requests GROUP BY bin"
        )
        edges = (top + 1.0) ** (np.arange(bins + 1) / bins)
        table = pd.DataFrame(
            {"low": [0.0, *edges[:-1]], "high": [1.0, *edges[1:]], "requests": 0},
            index=range(-1, bins),
        )
        table.loc[counts["bin"].to_numpy(), "requests"] = counts["requests"].to_numpy()
        return table.iloc[0 if table.loc[-1, "requests"] else 1 :].reset_index(drop=True)


def _source_sql(
    log: LogFile, fmt: str, layout: CsvLayout | None, *, store_rejects: bool = False
) -> str:
    """SQL for the raw rows of a log, with ``line`` (1-based, as in an editor; CSV: see Trace)."""
    if fmt in ("azure", "csv"):
        # Every cell as text, so that a bad value is reported instead of failing the read.
        assert layout is not None
        return "SELECT (row_number() OVER () + 1)::BIGINT AS line, * FROM " + csv_sql(
            log, layout, store_rejects=store_rejects
        )
    if fmt in ("mooncake", "jsonl"):
        # One text value per line, so a malformed line is kept and reported with its line
        # number; blank lines are skipped after numbering.
        return (
            "SELECT line, text FROM (SELECT row_number() OVER ()::BIGINT AS line, text FROM "
            f"({raw_lines_sql(log.path, log.compression)})) WHERE trim(coalesce(text, '')) <> ''"
        )
    return (
        "SELECT (file_row_number + 1)::BIGINT AS line, * EXCLUDE (file_row_number) "
        f"FROM read_parquet({quote_sql(str(log.path))}, file_row_number = true)"
    )


def _json_keys(con: duckdb.DuckDBPyConnection, sql: str) -> set[str]:
    rows = con.sql(
        f"SELECT DISTINCT unnest(json_keys(text)) FROM ({sql} LIMIT 1000) WHERE json_valid(text)"
    ).fetchall()
    return {key for (key,) in rows}


def _resolve_mapping(
    path: Path, fmt: str, mapping: ColumnMapping | None, available: Sequence[str]
) -> ColumnMapping:
    if mapping is None:
        if fmt == "azure":
            mapping = AZURE_MAPPING
        elif fmt == "mooncake":
            mapping = MOONCAKE_MAPPING
        else:
            optional = {k: v for k, v in GENERIC_OPTIONAL.items() if v in available}
            mapping = ColumnMapping(**optional)
    wanted = {
        "input_tokens": mapping.input_tokens,
        "output_tokens": mapping.output_tokens,
        "cached_input_tokens": mapping.cached_input_tokens,
        "timestamp": mapping.timestamp,
        "model": mapping.model,
    }
    for role, column in wanted.items():
        if column is not None and column not in available:
            close = difflib.get_close_matches(column, available, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(
                f"{path}: no column {column!r} for {role} (format {fmt}); the log has "
                f"{', '.join(available) or 'no columns'}{hint}"
            )
    return mapping


#: What each format is made of, in words, to tell a format forced on the wrong file.
_FAMILIES = {"azure": "CSV", "csv": "CSV", "mooncake": "JSON lines", "jsonl": "JSON lines",
             "parquet": "Parquet"}  # fmt: skip


def _format(log: LogFile, fmt: str | None) -> str:
    """The format asked for, or detected; one asked for a file of another kind is refused."""
    detected = format_of(log)
    if fmt is None:
        return detected
    if _FAMILIES[fmt] != _FAMILIES[detected]:
        raise InputError(
            f"{log.path}: format {fmt} reads {_FAMILIES[fmt]}, but the file is "
            f"{_FAMILIES[detected]} (detected: {detected}); give its format or let it be "
            "detected (--trace-format, fmt=)"
        )
    return fmt


def _used_columns(mapping: ColumnMapping) -> dict[str, str]:
    """Role -> column name of every column the kit reads from a log."""
    roles = ("input_tokens", "output_tokens", "cached_input_tokens", "timestamp", "model")
    return {role: getattr(mapping, role) for role in roles if getattr(mapping, role)}


def _describe(
    engine: Engine, log: LogFile, fmt: str, layout: CsvLayout | None
) -> tuple[list[str], dict[str, str]]:
    """A log's column (or JSON key) names and their types (DuckDB's names).

    On Spark this also puts the raw rows in Spark
    (:func:`infermodel.readers.logs.spark_sources.load`).
    """
    if isinstance(engine, SparkEngine):
        types = spark_sources.load(
            engine, log, fmt, lambda store: _source_sql(log, fmt, layout, store_rejects=store)
        )
        if fmt in ("mooncake", "jsonl"):  # the first lines' keys, read as DuckDB reads them
            available = sorted(_json_keys(engine.local, _source_sql(log, fmt, None)))
            return available, dict.fromkeys(available, "VARCHAR")
        if layout is not None:
            return list(layout.names), dict.fromkeys(layout.names, "VARCHAR")
        return list(types), types
    con = engine.local
    if fmt in ("mooncake", "jsonl"):
        available = sorted(_json_keys(con, _source_sql(log, fmt, None)))
        return available, dict.fromkeys(available, "VARCHAR")
    if layout is not None:
        return list(layout.names), dict.fromkeys(layout.names, "VARCHAR")
    described = con.sql(f"DESCRIBE {_source_sql(log, fmt, None)}").fetchall()
    types = {name: type_ for name, type_, *_ in described if name != "line"}
    return list(types), types


@dataclass(frozen=True)
class _BadRows:
    """Bad rows per kind, and where the first of each kind is (in its own numbering)."""

    counts: dict[str, int]
    first: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _count_bad_rows(
    engine: Engine, log: LogFile, fmt: str, view_sql: Callable[[bool], str]
) -> _BadRows:
    """Create ``checked`` and count its bad rows, and (CSV) those DuckDB rejects.

    One scan counts the bad rows and, for CSV, keeps the rows DuckDB rejects (the wrong
    number of fields, or not CSV) in ``rejected``; ``checked`` is then re-created to skip
    them without keeping them again (later scans). On Spark, DuckDB's scan of a CSV was
    done when its rows were handed over (:mod:`infermodel.readers.logs.spark_sources`).
    """
    csv_like = fmt in ("azure", "csv")
    scans = csv_like and isinstance(engine, DuckDBEngine)
    if scans:
        clear_rejects(engine.local)
    engine.view("checked", view_sql(scans), reused=True)
    rows = engine.rows(
        "SELECT kind, count(*) AS n, min(line) AS first FROM checked "
        "WHERE kind IS NOT NULL GROUP BY kind"
    )
    if csv_like:
        con = engine.local
        if scans:
            take_rejects(con, log.path)
        rows += con.sql("SELECT kind, count(*), min(record) FROM rejected GROUP BY kind").fetchall()
        if scans:
            engine.view("checked", view_sql(False))
    rows.sort(key=lambda row: row[2])
    return _BadRows({k: int(n) for k, n, _ in rows}, {k: int(f) for k, _, f in rows})


_REJECTED_KINDS = ("ragged", "malformed")


def _refuse(engine: Engine, log: LogFile, layout: CsvLayout | None, bad: _BadRows) -> None:
    """Raise :class:`BadRowsError` with the first bad lines, at their real line numbers."""
    shown = f"ORDER BY line LIMIT {SHOWN_BAD_LINES}"
    checked = engine.rows(
        f"SELECT line, kind, field, value FROM checked WHERE kind IS NOT NULL {shown}"
    )
    con = engine.local
    problems = [
        (int(line), kind, fld, value, BAD_ROW_KINDS[kind]) for line, kind, fld, value in checked
    ]
    first = bad.first
    if layout is not None:
        rejected = con.sql(
            "SELECT record, kind, value, fields, cause FROM rejected "
            f"ORDER BY record LIMIT {SHOWN_BAD_LINES}"
        ).fetchall()
        every = {r for (r,) in con.sql("SELECT record FROM rejected").fetchall()}
        # Rows read (``line`` - 1 of ``checked``) and rows rejected (DuckDB's record numbers)
        # are numbered apart; both are placed on the file's lines.
        rows = {p[0] - 1 for p in problems}
        rows |= {f - 1 for k, f in first.items() if k not in _REJECTED_KINDS}
        records = {r[0] for r in rejected} | {f for k, f in first.items() if k in _REJECTED_KINDS}
        with reading(log.path, "csv"):
            at_record, at_row = physical_lines(
                log, layout, records=records, rows=rows, rejected=every
            )
        problems = [(at_row.get(p[0] - 1, p[0]), *p[1:]) for p in problems]
        for record, kind, value, fields, cause in rejected:
            rule = (
                f"wrong number of fields: {fields}, the header has {len(layout.names)}"
                if kind == "ragged"
                else f"{BAD_ROW_KINDS[kind]}: {cause}"
            )
            problems.append((at_record.get(record, record), kind, None, value, rule))
        first = {
            k: at_record.get(f, f) if k in _REJECTED_KINDS else at_row.get(f - 1, f)
            for k, f in first.items()
        }
    problems = sorted(problems, key=lambda p: p[0])[:SHOWN_BAD_LINES]
    counts = {k: bad.counts[k] for k in sorted(bad.counts, key=lambda k: first[k])}
    raise BadRowsError(
        log.path,
        counts,
        [Problem(log.path, line, fld, value, rule) for line, _, fld, value, rule in problems],
    )


#: Mooncake's cached tokens per request: a block is cached when its id was first seen on an
#: earlier line (module docstring).
_MOONCAKE_REQUESTS_SQL = f"""
    WITH blocks AS ({{blocks}}),
    first_seen AS (SELECT block, min(line) AS first_line FROM blocks GROUP BY block),
    hits AS (
        SELECT b.line, sum(greatest(0, least({MOONCAKE_BLOCK_TOKENS},
                   b.input_tokens - {MOONCAKE_BLOCK_TOKENS} * (b.position - 1))))
                   ::BIGINT AS cached
        FROM blocks b JOIN first_seen f USING (block)
        WHERE f.first_line < b.line GROUP BY b.line)
    SELECT c.line, c.ts, c.input_tokens, coalesce(h.cached, 0) AS cached_input_tokens,
           c.output_tokens, c.model
    FROM checked c LEFT JOIN hits h USING (line) WHERE c.kind IS NULL
"""
#: Each prompt block of each good Mooncake request, with its 1-based position: DuckDB's
#: ``unnest``, Spark's ``posexplode`` (no function of one SQL spells both).
_MOONCAKE_BLOCKS_SQL = {
    "duckdb": "SELECT line, input_tokens, unnest(hash_ids) AS block, "
    "generate_subscripts(hash_ids, 1) AS position FROM checked WHERE kind IS NULL",
    "spark": "SELECT line, input_tokens, block, position0 + 1 AS position FROM checked "
    "LATERAL VIEW posexplode(hash_ids) exploded AS position0, block WHERE kind IS NULL",
}


def _create_requests(engine: Engine, fmt: str, has_timestamps: bool) -> int:
    """Create ``requests``, ``shape`` and ``per_minute``; return the good requests."""
    if fmt == "mooncake":
        if isinstance(engine, SparkEngine):
            engine.native_view("mooncake_blocks", _MOONCAKE_BLOCKS_SQL["spark"])
            blocks = "SELECT * FROM mooncake_blocks"
        else:
            blocks = _MOONCAKE_BLOCKS_SQL["duckdb"]
        engine.table("requests", _MOONCAKE_REQUESTS_SQL.format(blocks=blocks))
    else:
        engine.view(
            "requests",
            "SELECT line, ts, input_tokens, cached_raw AS cached_input_tokens, output_tokens, "
            "model FROM checked WHERE kind IS NULL",
        )
    # Two aggregates feed everything else: distinct request shapes with their counts (for
    # pricing each request) and tokens per busy minute (for sizing GPUs). Per-minute sums are
    # DOUBLE: exact up to 2^53 tokens a minute, and sizing works in floating point anyway.
    engine.table(
        "shape",
        """
        SELECT input_tokens, cached_input_tokens, output_tokens, count(*)::BIGINT AS n
        FROM requests GROUP BY ALL
        """,
    )
    if has_timestamps:
        engine.table(
            "per_minute",
            """
            SELECT date_trunc('minute', ts) AS minute, count(*)::BIGINT AS requests,
                   sum(input_tokens)::DOUBLE AS prompt_tokens,
                   sum(cached_input_tokens)::DOUBLE AS cached_input_tokens,
                   sum(output_tokens)::DOUBLE AS output_tokens,
                   min(ts) AS first_ts, max(ts) AS last_ts
            FROM requests GROUP BY minute
            """,
        )
    return engine.rows("SELECT coalesce(sum(n), 0) FROM shape")[0][0]


def read_trace(
    path: str | Path,
    *,
    fmt: str | None = None,
    mapping: ColumnMapping | None = None,
    drop_bad_rows: bool = False,
    con: duckdb.DuckDBPyConnection | None = None,
    engine: str | Engine = "duckdb",
    spark_master: str | None = None,
) -> Trace:
    """Open a request log in an engine (DuckDB by default, or Spark) and check every row.

    Parameters
    ----------
    path
        The log file (CSV, JSON lines or Parquet; CSV and JSON lines may be gzip- or
        zstd-compressed, told by content).
    fmt
        One of :data:`FORMATS`; detected from the file by default (:func:`detect_format`).
    mapping
        Columns of a generic log; by default ``input_tokens``, ``output_tokens`` and, when
        present, ``cached_input_tokens``, ``timestamp`` (date-time text) and ``model``.
    drop_bad_rows
        Drop bad rows (their count is kept in :attr:`Trace.dropped_rows`) instead of
        refusing the log.
    con
        A DuckDB connection to use (a new in-memory one by default), e.g. one with a
        ``memory_limit``; DuckDB engine only.
    engine
        One of :data:`ENGINES` (``"duckdb"``, ``"spark"``) or an engine
        (:mod:`infermodel.readers.logs.engines`). Both give the same aggregates, prices and bad-row
        reports; ``"spark"`` needs the ``infermodel[spark]`` extra.
    spark_master
        Spark master URL (``local[2]``, ``spark://host:7077``, ``yarn``); by default the
        active Spark session, else Spark Connect at ``SPARK_REMOTE`` when set, else
        ``local[*]`` (:func:`infermodel.readers.logs.engines.spark_session`).

    Raises
    ------
    BadRowsError
        The log has bad rows and ``drop_bad_rows`` is false: the message names the file, the
        count per kind (:data:`BAD_ROW_KINDS`) and the first line numbers.
    InputError
        The file is missing, the format is unknown, or a mapped column is absent.
    DataError
        The file is empty, compressed in a way not read, cannot be read in its format (one
        line with the engine's cause), or no good row is left.
    """
    path = Path(path)
    if isinstance(engine, str) and engine not in ENGINES:
        raise InputError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if fmt is not None and fmt not in FORMATS:
        raise InputError(f"trace format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    log = open_log(path)
    fmt = _format(log, fmt)
    if fmt == "parquet" and log.compression:
        raise DataError(
            f"{path}: {log.compression}-compressed Parquet cannot be read; decompress it "
            "(Parquet compresses its own columns)"
        )
    engine = make_engine(engine, con=con, spark_master=spark_master)
    with engine.reading(path, fmt):
        layout = csv_layout(log) if fmt in ("azure", "csv") else None
        available, types = _describe(engine, log, fmt, layout)
        mapping = _resolve_mapping(path, fmt, mapping, available)
        if layout is not None:
            layout.check_not_repeated(path, _used_columns(mapping))
        columns = Columns(json_like=fmt in ("mooncake", "jsonl"), types=types)

        def view_sql(store_rejects: bool) -> str:
            if isinstance(engine, SparkEngine):
                source = f"SELECT * FROM {spark_sources.SOURCE_VIEW}"
            else:
                source = _source_sql(log, fmt, layout, store_rejects=store_rejects)
            return checked_sql(source, fmt, mapping, columns)

        bad = _count_bad_rows(engine, log, fmt, view_sql)
        log.state.check(path)
        if bad.total and not drop_bad_rows:
            _refuse(engine, log, layout, bad)
        has_timestamps = mapping.timestamp is not None
        good = _create_requests(engine, fmt, has_timestamps)
        log.state.check(path)  # the rows checked are the rows priced
        if not good:
            raise DataError(f"{path}: no request left to price (the log has no good rows)")
    return Trace(
        path=path,
        fmt=fmt,
        mapping=mapping,
        engine=engine,
        dropped_rows=bad.total,
        dropped_by_kind=bad.counts,
        has_timestamps=has_timestamps,
        compression=log.compression,
        state=log.state,
    )


__all__ = [
    "BAD_ROW_KINDS",
    "ENGINES",
    "FORMATS",
    "MAX_TOKENS_PER_REQUEST",
    "BadRowsError",
    "ColumnMapping",
    "Trace",
    "connect",
    "detect_format",
    "quote_sql",
    "read_trace",
]
