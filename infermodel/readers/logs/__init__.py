"""Request logs opened where they lie, in DuckDB or Spark, and checked row by row.

A request log (trace) says when each request was sent, how many prompt tokens it carried
(and how many of them a prompt cache could serve) and how many it generated. :func:`read_trace`
opens one without loading it into pandas: an engine (:mod:`infermodel.readers.logs.engines`;
DuckDB by default, which reads CSV, JSONL and Parquet larger than memory, or Spark) does the
per-request work; only aggregates (distinct request shapes, one row per minute) are kept, for
:mod:`infermodel.pricing.trace_pricing` to price. The checks and aggregates are one SQL text
for both engines (:mod:`infermodel.readers.logs.dialects`); how each engine gets the raw rows is
:mod:`infermodel.readers.logs.sources` (DuckDB) and :mod:`infermodel.readers.logs.spark_sources`.

A log is a file, a folder of part files or a glob, on this machine or (Spark, and DuckDB with
its extensions) at a URI such as ``s3a://bucket/logs/``
(:mod:`infermodel.readers.logs.locations`).
A :class:`Trace` holds what its engine made and cached until :meth:`Trace.close` (or the end
of a ``with`` block); it refuses to answer once a local part has changed since it was read.

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
it compresses its own columns); see :mod:`infermodel.readers.logs.files`. A CSV's records and
fields are split by one SQL text on both engines (:mod:`infermodel.readers.logs.csv_records`).

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from infermodel import checks
from infermodel.errors import DataError, InputError, Problem, TableError
from infermodel.readers.logs import csv_records, spark_sources
from infermodel.readers.logs import sources as log_sources
from infermodel.readers.logs.engines import ENGINES, DuckDBEngine, Engine, SparkEngine, make_engine
from infermodel.readers.logs.files import (
    CsvLayout,
    LogFile,
    connect,
    csv_layout,
    detect_format,
    format_of,
    open_parts,
    quote_sql,
)
from infermodel.readers.logs.formats import FORMATS, REGISTRY
from infermodel.readers.logs.locations import LogPath, locate_local, scheme_of
from infermodel.readers.logs.row_checks import (
    BAD_ROW_KINDS,
    MAX_TOKENS_PER_REQUEST,
    ColumnMapping,
    Columns,
    checked_sql,
)
from infermodel.readers.logs.sources import Parts, Source

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


AZURE_MAPPING = ColumnMapping(**REGISTRY["azure"].columns)
MOONCAKE_MAPPING = ColumnMapping(**REGISTRY["mooncake"].columns)
#: Optional columns a generic log may carry under these names without a mapping.
GENERIC_OPTIONAL = {"cached_input_tokens": "cached_input_tokens", "timestamp": "timestamp",
                    "model": "model"}  # fmt: skip


class BadRowsError(TableError):
    """A log has bad rows; ``counts`` per kind, ``problems`` the first ones."""

    def __init__(self, path: Path | str, counts: dict[str, int], problems: list[Problem]):
        self.path = Path(path) if scheme_of(str(path)) is None else str(path)
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

    Build with :func:`read_trace`, best in a ``with`` block (or call :meth:`close`): what
    the engine made for the log (views, tables, Spark's cached data) is released at its end.
    The views ``requests`` (one row per good request: ``line``, ``ts``, ``input_tokens`` (all
    prompt tokens), ``cached_input_tokens``, ``output_tokens``) and ``shape`` / ``per_minute``
    (aggregates) live in :attr:`engine` (for DuckDB, in its connection :attr:`con`). ``line``
    is the line a request starts on (JSON lines, CSV: a record spanning lines counts from its
    first), or its row + 1 for Parquet; a log of several parts is numbered on from one part
    to the next (:attr:`parts` says which part a line is in, and its line there).
    """

    path: Path | str
    fmt: str
    mapping: ColumnMapping
    engine: Engine
    dropped_rows: int = 0
    dropped_by_kind: dict[str, int] = field(default_factory=dict)
    has_timestamps: bool = True
    compression: str | None = None
    #: The log's files as they were checked (sizes, modification times); every later scan
    #: must find them so (:meth:`LogPath.check`).
    where: LogPath | None = None
    #: Where each part starts in the log's numbering.
    parts: Parts | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection holding the views (DuckDB engine only)."""
        if not isinstance(self.engine, DuckDBEngine):
            raise InputError(
                f"{self.path}: opened with engine {self.engine.name!r}, which has no DuckDB "
                "connection; query trace.engine instead"
            )
        return self.engine.con

    def close(self) -> None:
        """Release what the engine made and cached for this log (again: nothing to do)."""
        self.engine.close()

    def __enter__(self) -> Trace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _usable(self) -> None:
        if self.engine.closed:
            raise InputError(f"{self.path}: this trace was closed; read the log again")
        self._same_log()

    def _same_log(self) -> None:
        if self.where is not None:
            self.where.check()

    def _rows(self, query: str) -> list[tuple]:
        """Run ``query``; an engine error, or a log that changed since it was checked (before
        or while the query read it: :meth:`LogPath.check`), is one line."""
        self._usable()
        with self.engine.reading(self.path, self.fmt):
            rows = self.engine.rows(query)
        self._same_log()
        return rows

    def _frame(self, query: str) -> pd.DataFrame:
        self._usable()
        with self.engine.reading(self.path, self.fmt):
            frame = self.engine.frame(query)
        self._same_log()
        return frame

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


def _resolve_mapping(
    path: Path, fmt: str, mapping: ColumnMapping | None, available: Sequence[str]
) -> ColumnMapping:
    if mapping is None:
        if REGISTRY[fmt].columns:
            mapping = ColumnMapping(**REGISTRY[fmt].columns)
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


def _format(log: LogFile, fmt: str | None) -> str:
    """The format asked for, or detected; one asked for a file of another kind is refused."""
    detected = format_of(log)
    if fmt is None:
        return detected
    if REGISTRY[fmt].family != REGISTRY[detected].family:
        raise InputError(
            f"{log.path}: format {fmt} reads {REGISTRY[fmt].words}, but the file is "
            f"{REGISTRY[detected].words} (detected: {detected}); give its format or let it be "
            "detected (--trace-format, fmt=)"
        )
    return fmt


def _used_columns(mapping: ColumnMapping) -> dict[str, str]:
    """Role -> column name of every column the kit reads from a log."""
    roles = ("input_tokens", "output_tokens", "cached_input_tokens", "timestamp", "model")
    return {role: getattr(mapping, role) for role in roles if getattr(mapping, role)}


def _load(engine: Engine, log: LogFile, fmt: str, layout: CsvLayout | None) -> Source:
    """The log's raw rows in ``engine``: its own reading of the files, the rest shared."""
    spark = isinstance(engine, SparkEngine)
    if REGISTRY[fmt].family == "parquet":
        return (
            spark_sources.parquet(engine, log) if spark else log_sources.duckdb_parquet(engine, log)
        )
    if spark:
        blocks = spark_sources.lines(engine, log, fmt, layout)
    else:
        delimiter = layout.delimiter if layout else None
        blocks = log_sources.duckdb_lines(engine, log, csv_delimiter=delimiter)
    return log_sources.text_source(engine, log, layout, blocks)


def _describe(
    engine: Engine, log: LogFile, fmt: str, layout: CsvLayout | None, source: Source
) -> tuple[list[str], dict[str, str]]:
    """A log's column (or JSON key) names and their types (DuckDB's names)."""
    if REGISTRY[fmt].family == "jsonl":  # the first lines' keys, read as DuckDB reads them
        if log.parts.local:
            lines = log_sources.first_lines(engine.local, log)
        else:
            lines = spark_sources.first_lines(engine, log)
        available = log_sources.json_keys(engine.local, lines)
        return available, dict.fromkeys(available, "VARCHAR")
    if layout is not None:
        return list(layout.names), dict.fromkeys(layout.names, "VARCHAR")
    return list(source.types), source.types


@dataclass(frozen=True)
class _BadRows:
    """Bad rows per kind, and the line of the first of each kind."""

    counts: dict[str, int]
    first: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


_STRUCTURE_KINDS = ("ragged", "malformed")


def _count_bad_rows(engine: Engine, log: LogFile, fmt: str, view_sql: str) -> _BadRows:
    """Create ``checked`` and count its bad rows per kind (one scan)."""
    engine.view("checked", view_sql, reused=True)
    rows = engine.rows(
        "SELECT kind, count(*) AS n, min(line) AS first FROM checked "
        "WHERE kind IS NOT NULL GROUP BY kind"
    )
    rows.sort(key=lambda row: row[2])
    bad = _BadRows({k: int(n) for k, n, _ in rows}, {k: int(f) for k, _, f in rows})
    unsplit = sum(bad.counts.get(kind, 0) for kind in _STRUCTURE_KINDS)
    if REGISTRY[fmt].family == "csv" and unsplit > csv_records.MAX_REJECTED_ROWS:
        raise DataError(
            f"{log.path}: more than {csv_records.MAX_REJECTED_ROWS:,} rows do not split into "
            "the header's fields or cannot be read as CSV; is it a CSV log with that header, "
            'delimiter and " quotes?'
        )
    return bad


def _structure_rules(engine: Engine, layout: CsvLayout, lines: list[int]) -> dict[int, str]:
    """Why each of a few CSV records is ragged or malformed, in the reader's words."""
    if not lines:
        return {}
    found = engine.rows(
        f"SELECT line, infermodel_csv, infermodel_fields, infermodel_cause "
        f"FROM {log_sources.RECORDS_VIEW} WHERE line IN ({', '.join(map(str, lines))})"
    )
    return {
        int(line): (
            f"wrong number of fields: {fields}, the header has {len(layout.names)}"
            if kind == "ragged"
            else f"{BAD_ROW_KINDS['malformed']}: {cause}"
        )
        for line, kind, fields, cause in found
    }


def _refuse(
    engine: Engine, log: LogFile, layout: CsvLayout | None, bad: _BadRows, parts: Parts
) -> None:
    """Raise :class:`BadRowsError` with the first bad lines, each in its part."""
    checked = engine.rows(
        "SELECT line, kind, field, value FROM checked WHERE kind IS NOT NULL "
        f"ORDER BY line LIMIT {SHOWN_BAD_LINES}"
    )
    structure = [int(line) for line, kind, *_ in checked if kind in _STRUCTURE_KINDS]
    rules = _structure_rules(engine, layout, structure) if layout is not None else {}
    problems = []
    for line, kind, fld, value in checked:
        rule = rules.get(int(line), BAD_ROW_KINDS[kind])
        name, own = parts.where(int(line))
        shown_field = None if int(line) in rules else fld
        problems.append(Problem(name, own, shown_field, value, rule))
    raise BadRowsError(log.path, bad.counts, problems)


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
    if REGISTRY[fmt].block_ids:
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


def _open(given: str, engine: str | Engine, make: Callable[[], Engine]) -> tuple[LogFile, Engine]:
    """The opened log and its engine: this machine's files are found (or said missing)
    before an engine starts; a URI is found by the engine, where the data is."""
    scheme = scheme_of(given)
    if scheme in (None, "file"):
        return open_parts(locate_local(given)), make()
    if engine == "duckdb" or isinstance(engine, DuckDBEngine):
        opened = make()
        return log_sources.open_duckdb_uri(opened, given), opened
    opened = make()
    return spark_sources.open_uri(opened, given, scheme), opened


def _checked_trace(
    engine: Engine, log: LogFile, fmt: str, mapping: ColumnMapping | None, drop_bad_rows: bool
) -> Trace:
    """Read the log's rows in ``engine``, check each, and build its aggregates."""
    with engine.reading(log.path, fmt):
        layout = csv_layout(log) if REGISTRY[fmt].family == "csv" else None
        source = _load(engine, log, fmt, layout)
        available, types = _describe(engine, log, fmt, layout, source)
        mapping = _resolve_mapping(log.path, fmt, mapping, available)
        if layout is not None:
            layout.check_not_repeated(log.path, _used_columns(mapping))
        columns = Columns(
            json_like=REGISTRY[fmt].family == "jsonl", types=types, records=layout is not None
        )
        bad = _count_bad_rows(engine, log, fmt, checked_sql(source.sql, fmt, mapping, columns))
        log.parts.check()
        if bad.total and not drop_bad_rows:
            _refuse(engine, log, layout, bad, source.parts)
        has_timestamps = mapping.timestamp is not None
        good = _create_requests(engine, fmt, has_timestamps)
        log.parts.check()  # the rows checked are the rows priced
        if not good:
            raise DataError(f"{log.path}: no request left to price (the log has no good rows)")
    return Trace(
        path=log.path,
        fmt=fmt,
        mapping=mapping,
        engine=engine,
        dropped_rows=bad.total,
        dropped_by_kind=bad.counts,
        has_timestamps=has_timestamps,
        compression=log.compression,
        where=log.parts,
        parts=source.parts,
    )


def read_trace(
    path: str | Path,
    *,
    fmt: str | None = None,
    mapping: ColumnMapping | None = None,
    drop_bad_rows: bool = False,
    con: duckdb.DuckDBPyConnection | None = None,
    engine: str | Engine = "duckdb",
    spark_master: str | None = None,
    spark_conf: Mapping[str, str] | Sequence[str] | None = None,
) -> Trace:
    """Open a request log in an engine (DuckDB by default, or Spark) and check every row.

    Use it in a ``with`` block (or call :meth:`Trace.close`): what the engine made and
    cached for the log is released at its end; on an error, before the error is raised.

    Parameters
    ----------
    path
        The log: a file, a folder of part files (every file under it but names starting with
        ``.`` or ``_``) or a glob, on this machine (a plain path or ``file://``), or a URI the
        engine reads (Spark: ``s3a://``, ``hdfs://``, ``abfss://``, ``gs://``, ``dbfs:/`` where
        the cluster has their connectors; DuckDB: ``s3://`` when its httpfs extension is
        installed); see :mod:`infermodel.readers.logs.locations`. CSV, JSON lines or Parquet; CSV
        and JSON lines may be gzip- or zstd-compressed (told by content; at a URI, by name).
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
        ``local[*]`` (:func:`infermodel.readers.logs.spark_sessions.spark_session`).
    spark_conf
        Spark settings (``{"spark.sql.shuffle.partitions": "64"}`` or ``["KEY=VALUE"]``): a
        session the kit starts starts with them; on one already running they are set around
        each of the kit's queries and the session's own values put back after.

    Raises
    ------
    BadRowsError
        The log has bad rows and ``drop_bad_rows`` is false: the message names the file (the
        part), the count per kind (:data:`BAD_ROW_KINDS`) and the first line numbers.
    InputError
        The log is missing, the format is unknown, or a mapped column is absent.
    DataError
        The file is empty, compressed in a way not read, cannot be read in its format (one
        line with the engine's cause), or no good row is left.
    """
    given = str(path)
    if isinstance(engine, str) and engine not in ENGINES:
        raise InputError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if fmt is not None and fmt not in REGISTRY:
        raise InputError(f"trace format must be one of {', '.join(REGISTRY)}, got {fmt!r}")
    made: list[Engine] = []  # released on an error (an engine given is this log's too)

    def make() -> Engine:
        made.append(make_engine(engine, con=con, spark_master=spark_master, spark_conf=spark_conf))
        return made[-1]

    try:
        log, opened = _open(given, engine, make)
        fmt = _format(log, fmt)
        if REGISTRY[fmt].family == "parquet" and log.compression:
            raise DataError(
                f"{log.path}: {log.compression}-compressed Parquet cannot be read; decompress "
                "it (Parquet compresses its own columns)"
            )
        return _checked_trace(opened, log, fmt, mapping, drop_bad_rows)
    except BaseException:
        for each in made:
            each.close()
        raise


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
