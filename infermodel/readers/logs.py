"""Request logs opened where they lie, in DuckDB, and checked row by row.

A request log (trace) says when each request was sent, how many prompt tokens it carried
(and how many of them a prompt cache could serve) and how many it generated. :func:`read_trace`
opens one without loading it into pandas: DuckDB reads CSV, JSONL and Parquet larger than
memory and does the per-request work; only aggregates (distinct request shapes, one row per
minute) are kept, for :mod:`infermodel.trace_pricing` to price.

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

Counts are checked row by row (:data:`BAD_ROW_KINDS`): a log with a bad row is refused with
the file, the number of bad rows per kind and the first line numbers, unless
``drop_bad_rows=True`` drops them (and :attr:`Trace.dropped_rows` says how many).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from infermodel.errors import DataError, InputError, Problem, TableError

FORMATS = ("azure", "mooncake", "csv", "jsonl", "parquet")
#: Tokens per prompt block in the Mooncake trace's ``hash_ids`` (its README). [tokens]
MOONCAKE_BLOCK_TOKENS = 512
#: Kinds of bad rows and what each means.
BAD_ROW_KINDS = {
    "malformed": "not a readable JSON object",
    "missing": "a token count is missing",
    "non_numeric": "a token count is not a number",
    "not_whole": "a token count is not a whole number",
    "negative": "a token count is negative",
    "cached_exceeds_input": "cached input tokens exceed input tokens",
    "bad_timestamp": "the timestamp is missing or cannot be read",
}
TIMESTAMP_UNITS = {"s": 1.0, "ms": 1e3, "us": 1e6}

#: First bad lines shown in an error message.
SHOWN_BAD_LINES = 5


@dataclass(frozen=True)
class ColumnMapping:
    """Which column of a log holds what.

    Attributes
    ----------
    input_tokens
        Prompt tokens of a request, *including* cached ones. [tokens]
    output_tokens
        Generated tokens. [tokens]
    cached_input_tokens
        Prompt tokens served from a prompt cache (part of ``input_tokens``); none: 0. [tokens]
    timestamp
        When the request arrived; none: no DIY sizing (it needs the arrival pattern).
    timestamp_unit
        ``None`` for a date-time text (``2025-05-01 12:00:00``), else ``"s"``, ``"ms"`` or
        ``"us"`` for a number of seconds, milliseconds or microseconds (since 1970 or since
        the trace's start).
    model
        The model a request was sent to (kept for the summary only).
    """

    input_tokens: str = "input_tokens"
    output_tokens: str = "output_tokens"
    cached_input_tokens: str | None = None
    timestamp: str | None = None
    timestamp_unit: str | None = None
    model: str | None = None

    def __post_init__(self) -> None:
        if self.timestamp_unit is not None and self.timestamp_unit not in TIMESTAMP_UNITS:
            raise InputError(
                f"timestamp_unit must be None (date-time text) or one of "
                f"{', '.join(TIMESTAMP_UNITS)}, got {self.timestamp_unit!r}"
            )


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


def detect_format(path: str | Path) -> str:
    """The format of a log (one of :data:`FORMATS`), read from its first bytes.

    Parquet by its magic bytes; JSON lines when the first character is ``{`` (``mooncake``
    when the first object has ``input_length``, ``output_length`` and ``hash_ids``); else CSV
    (``azure`` when the header names the Azure trace's three columns).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"trace file not found: {path}")
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if not head.strip():
        raise DataError(f"{path}: the file is empty")
    if head[:4] == b"PAR1":
        return "parquet"
    text = head.decode("utf-8", errors="replace")
    first = text.lstrip().splitlines()[0]
    if first.startswith("{"):
        keys = {"input_length", "output_length", "hash_ids"}
        return "mooncake" if all(f'"{key}"' in first for key in keys) else "jsonl"
    header = {name.strip().strip('"') for name in first.split(",")}
    return "azure" if {"TIMESTAMP", "ContextTokens", "GeneratedTokens"} <= header else "csv"


def quote_sql(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Trace:
    """A request log opened in DuckDB, checked, ready to describe and price.

    Build with :func:`read_trace`. The views ``requests`` (one row per good request:
    ``line``, ``ts``, ``input_tokens`` (all prompt tokens), ``cached_input_tokens``,
    ``output_tokens``) and ``shape`` / ``per_minute`` (aggregates) live in :attr:`con`.
    """

    path: Path
    fmt: str
    mapping: ColumnMapping
    con: duckdb.DuckDBPyConnection
    dropped_rows: int = 0
    dropped_by_kind: dict[str, int] = field(default_factory=dict)
    has_timestamps: bool = True

    def summary(self) -> pd.DataFrame:
        """One row: requests, token totals [tokens], first and last arrival, span [min]."""
        row = self.con.sql(
            """
            SELECT sum(n)::BIGINT AS requests,
                   sum(n * (input_tokens - cached_input_tokens))::BIGINT AS input_tokens,
                   sum(n * cached_input_tokens)::BIGINT AS cached_input_tokens,
                   sum(n * output_tokens)::BIGINT AS output_tokens
            FROM shape
            """
        ).df()
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
        first, last = self.con.sql("SELECT min(ts), max(ts) FROM requests").fetchall()[0]
        minutes = int((pd.Timestamp(last).floor("min") - pd.Timestamp(first).floor("min"))
                      / pd.Timedelta(minutes=1)) + 1  # fmt: skip
        return pd.Timestamp(first), pd.Timestamp(last), minutes

    def per_minute(self) -> pd.DataFrame:
        """Requests and tokens per minute, every minute of the span (0 where idle).

        Columns ``minute``, ``requests``, ``prompt_tokens`` (cached included),
        ``cached_input_tokens``, ``output_tokens`` [tokens per minute].
        """
        if not self.has_timestamps:
            raise InputError(
                f"{self.path}: the log has no timestamp column, so no arrival pattern; "
                "map one with ColumnMapping(timestamp=...)"
            )
        table = self.con.sql("SELECT * FROM per_minute ORDER BY minute").df()
        first, _, minutes = self.span()
        index = pd.date_range(first.floor("min"), periods=minutes, freq="min", name="minute")
        table["minute"] = pd.to_datetime(table["minute"]).astype(index.dtype)
        return table.set_index("minute").reindex(index, fill_value=0).reset_index()

    def length_quantiles(self, quantiles: Sequence[float] = (0.5, 0.9, 0.99)) -> pd.DataFrame:
        """Quantiles of prompt, cached and output tokens per request, and their means."""
        rows = []
        for column in ("input_tokens", "cached_input_tokens", "output_tokens"):
            qs = ", ".join(
                f"quantile_disc({column}, {q}) AS p{round(q * 100):02d}" for q in quantiles
            )
            frame = self.con.sql(
                f"SELECT '{column}' AS tokens, avg({column}) AS mean, {qs}, max({column}) AS max "
                "FROM requests"
            ).df()
            rows.append(frame)
        return pd.concat(rows, ignore_index=True)

    def length_histogram(self, column: str, *, bins: int = 40) -> pd.DataFrame:
        """Requests per log-spaced bin of ``column`` (``input_tokens`` or ``output_tokens``).

        Columns ``low``, ``high`` [tokens] and ``requests``.
        """
        if column not in ("input_tokens", "cached_input_tokens", "output_tokens"):
            valid = "input_tokens, cached_input_tokens or output_tokens"
            raise InputError(f"column must be {valid}, got {column!r}")
        top = max(1, self.con.sql(f"SELECT max({column}) FROM requests").fetchall()[0][0] or 1)
        scale = bins / math.log(top + 1)  # bin i holds [(top + 1)^(i / bins), ...^((i + 1) / bins))
        counts = self.con.sql(
            f"SELECT CASE WHEN {column} < 1 THEN -1 ELSE least({bins - 1}, "
            f"floor(ln({column}) * {scale})::INTEGER) END AS bin, count(*) AS requests "
            "FROM requests GROUP BY bin"
        ).df()
        edges = (top + 1.0) ** (np.arange(bins + 1) / bins)
        table = pd.DataFrame(
            {"low": [0.0, *edges[:-1]], "high": [1.0, *edges[1:]], "requests": 0},
            index=range(-1, bins),
        )
        table.loc[counts["bin"].to_numpy(), "requests"] = counts["requests"].to_numpy()
        return table.iloc[0 if table.loc[-1, "requests"] else 1 :].reset_index(drop=True)


def _source_sql(path: Path, fmt: str) -> tuple[str, list[str]]:
    """SQL for the raw rows of a log, with ``line`` (1-based, as in an editor), and columns."""
    quoted = quote_sql(str(path))
    if fmt in ("azure", "csv"):
        # Every cell as text, so that a bad value is reported instead of failing the read.
        sql = (
            f"SELECT (row_number() OVER () + 1)::BIGINT AS line, * FROM read_csv({quoted}, "
            "all_varchar = true, header = true, null_padding = true)"
        )
    elif fmt in ("mooncake", "jsonl"):
        # One text value per line (no delimiter or quote can occur in it), so a malformed line
        # is kept and reported with its line number; blank lines are skipped after numbering.
        sql = (
            "SELECT line, text FROM (SELECT row_number() OVER ()::BIGINT AS line, text FROM "
            f"read_csv({quoted}, columns = {{'text': 'VARCHAR'}}, header = false, "
            "delim = '\\x01', quote = '', escape = '', auto_detect = false, "
            "max_line_size = 1073741824)) WHERE trim(coalesce(text, '')) <> ''"
        )
        return sql, ["text"]
    elif fmt == "parquet":
        sql = (
            "SELECT (file_row_number + 1)::BIGINT AS line, * EXCLUDE (file_row_number) "
            f"FROM read_parquet({quoted}, file_row_number = true)"
        )
    else:
        raise InputError(f"trace format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    return sql, []


def _columns(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, str]:
    described = con.sql(f"DESCRIBE {sql}").fetchall()
    return {name: type_ for name, type_, *_ in described if name != "line"}


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


def _case(branches) -> str:
    """A SQL ``CASE`` taking the first (condition, value) whose condition is true, else NULL."""
    whens = " ".join(
        f"WHEN coalesce({condition}, false) THEN {value}" for condition, value in branches
    )
    return f"CASE {whens} END"


def _count_checks(value: str, is_text: bool) -> list[tuple[str, str]]:
    """(kind, SQL condition) pairs for one token-count expression, in order of precedence."""
    number = f"TRY_CAST({value} AS DOUBLE)"
    missing = f"{value} IS NULL" + (f" OR trim({value}) = ''" if is_text else "")
    return [
        ("missing", missing),
        ("non_numeric", f"{number} IS NULL OR NOT isfinite({number})"),
        ("not_whole", f"{number} <> floor({number})"),
        ("negative", f"{number} < 0"),
    ]


def _describe(
    path: Path, fmt: str, con: duckdb.DuckDBPyConnection
) -> tuple[str, list[str], dict[str, str]]:
    """The raw-rows SQL of a log, its column (or JSON key) names, and their DuckDB types."""
    source, _ = _source_sql(path, fmt)
    json_like = fmt in ("mooncake", "jsonl")
    if json_like:
        available = sorted(_json_keys(con, source))
        types = dict.fromkeys(available, "VARCHAR")
    else:
        types = _columns(con, source)
        available = list(types)
    return source, available, types


@dataclass(frozen=True)
class _Columns:
    """How the columns of one log are reached in SQL: by name, or inside each JSON line."""

    json_like: bool
    types: dict[str, str]

    def raw(self, column: str) -> str:
        """SQL for the raw value of ``column`` (text for JSON, the file's type otherwise)."""
        if self.json_like:
            return f"(doc ->> {quote_sql('$.' + column if column.isidentifier() else column)})"
        return _ident(column)

    def is_text(self, column: str) -> bool:
        return self.types.get(column, "VARCHAR") == "VARCHAR"

    def number(self, column: str) -> str:
        return f"TRY_CAST({self.raw(column)} AS DOUBLE)"


def _row_checks(mapping: ColumnMapping, columns: _Columns) -> list[tuple[str, str, str]]:
    """(kind, SQL condition, field) of every row rule, in order of precedence."""
    checks: list[tuple[str, str, str]] = []
    if columns.json_like:
        checks.append(("malformed", "doc IS NULL OR json_type(doc) <> 'OBJECT'", "line"))
    counted = [mapping.input_tokens, mapping.output_tokens]
    if mapping.cached_input_tokens is not None:
        counted.append(mapping.cached_input_tokens)
    for column in counted:
        for kind, condition in _count_checks(columns.raw(column), columns.is_text(column)):
            checks.append((kind, condition, column))
    if mapping.cached_input_tokens is not None:
        cached, prompt = (
            columns.number(mapping.cached_input_tokens),
            columns.number(mapping.input_tokens),
        )
        checks.append(("cached_exceeds_input", f"{cached} > {prompt}", mapping.cached_input_tokens))
    if mapping.timestamp is not None:
        checks.append(
            ("bad_timestamp", f"({_timestamp_sql(mapping, columns)}) IS NULL", mapping.timestamp)
        )
    return checks


def _timestamp_sql(mapping: ColumnMapping, columns: _Columns) -> str:
    """SQL for a request's arrival as a TIMESTAMP (NULL when unreadable or absent)."""
    if mapping.timestamp is None:
        return "NULL::TIMESTAMP"
    value = columns.raw(mapping.timestamp)
    if mapping.timestamp_unit is None:
        return f"TRY_CAST({value} AS TIMESTAMP)"
    seconds = f"TRY_CAST({value} AS DOUBLE) / {TIMESTAMP_UNITS[mapping.timestamp_unit]}"
    return f"CASE WHEN isfinite({seconds}) THEN make_timestamp(({seconds} * 1e6)::BIGINT) END"


def _checked_sql(source: str, fmt: str, mapping: ColumnMapping, columns: _Columns) -> str:
    """The ``checked`` view: every raw row with its first broken rule (or NULL) and values."""
    checks = _row_checks(mapping, columns)
    kind_sql = _case((condition, quote_sql(kind)) for kind, condition, _ in checks)
    field_sql = _case((condition, quote_sql(column)) for _, condition, column in checks)
    value_sql = _case(
        (
            condition,
            "left(text, 80)" if column == "line" else f"CAST({columns.raw(column)} AS VARCHAR)",
        )
        for _, condition, column in checks
    )
    # A malformed JSON line is reported, not read: values come from ``doc``, NULL for it.
    rows = (
        f"SELECT *, CASE WHEN json_valid(text) THEN text END AS doc FROM ({source})"
        if columns.json_like
        else source
    )

    def count(column: str) -> str:
        return f"TRY_CAST({columns.number(column)} AS BIGINT)"

    cached = count(mapping.cached_input_tokens) if mapping.cached_input_tokens else "0::BIGINT"
    model = f"CAST({columns.raw(mapping.model)} AS VARCHAR)" if mapping.model else "NULL::VARCHAR"
    blocks = "TRY_CAST(doc -> '$.hash_ids' AS BIGINT[])" if fmt == "mooncake" else "NULL"
    return f"""
        SELECT line, {kind_sql} AS kind, {field_sql} AS field, {value_sql} AS value,
               {_timestamp_sql(mapping, columns)} AS ts,
               {count(mapping.input_tokens)} AS input_tokens, {cached} AS cached_raw,
               {count(mapping.output_tokens)} AS output_tokens, {model} AS model,
               {blocks} AS hash_ids
        FROM ({rows})
    """


def _bad_rows(con: duckdb.DuckDBPyConnection, path: Path, fmt: str) -> dict[str, int]:
    """Bad rows per kind, in order of their first line (empty when every row is good)."""
    try:
        bad = con.sql(
            "SELECT kind, count(*) AS n, min(line) AS first FROM checked "
            "WHERE kind IS NOT NULL GROUP BY kind ORDER BY first"
        ).fetchall()
    except duckdb.Error as exc:
        raise DataError(f"{path}: cannot be read as {fmt}: {exc}") from None
    return {kind: int(n) for kind, n, _ in bad}


def _refuse(con: duckdb.DuckDBPyConnection, path: Path, by_kind: dict[str, int]) -> None:
    """Raise :class:`BadRowsError` with the first bad lines."""
    first = con.sql(
        f"SELECT line, kind, field, value FROM checked WHERE kind IS NOT NULL "
        f"ORDER BY line LIMIT {SHOWN_BAD_LINES}"
    ).fetchall()
    problems = [
        Problem(path, int(line), fld, value, BAD_ROW_KINDS[kind])
        for line, kind, fld, value in first
    ]
    raise BadRowsError(path, by_kind, problems)


#: Mooncake's cached tokens per request: a block is cached when its id was first seen on an
#: earlier line (module docstring).
_MOONCAKE_REQUESTS_SQL = f"""
    WITH blocks AS (
        SELECT line, input_tokens, unnest(hash_ids) AS block,
               generate_subscripts(hash_ids, 1) AS position
        FROM checked WHERE kind IS NULL),
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


def _create_requests(con: duckdb.DuckDBPyConnection, fmt: str, has_timestamps: bool) -> int:
    """Create ``requests``, ``shape`` and ``per_minute``; return the good requests."""
    if fmt == "mooncake":
        con.execute(f"CREATE OR REPLACE TEMP TABLE requests AS {_MOONCAKE_REQUESTS_SQL}")
    else:
        con.execute(
            "CREATE OR REPLACE TEMP VIEW requests AS SELECT line, ts, input_tokens, "
            "cached_raw AS cached_input_tokens, output_tokens, model FROM checked "
            "WHERE kind IS NULL"
        )
    # Two aggregates feed everything else: distinct request shapes with their counts (for
    # pricing each request) and tokens per minute (for sizing GPUs).
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE shape AS
        SELECT input_tokens, cached_input_tokens, output_tokens, count(*)::BIGINT AS n
        FROM requests GROUP BY ALL
        """
    )
    if has_timestamps:
        con.execute(
            """
            CREATE OR REPLACE TEMP TABLE per_minute AS
            SELECT date_trunc('minute', ts) AS minute, count(*)::BIGINT AS requests,
                   sum(input_tokens)::BIGINT AS prompt_tokens,
                   sum(cached_input_tokens)::BIGINT AS cached_input_tokens,
                   sum(output_tokens)::BIGINT AS output_tokens
            FROM requests GROUP BY minute
            """
        )
    return con.sql("SELECT coalesce(sum(n), 0) FROM shape").fetchall()[0][0]


def read_trace(
    path: str | Path,
    *,
    fmt: str | None = None,
    mapping: ColumnMapping | None = None,
    drop_bad_rows: bool = False,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Trace:
    """Open a request log in DuckDB and check every row.

    Parameters
    ----------
    path
        The log file (CSV, JSON lines or Parquet).
    fmt
        One of :data:`FORMATS`; detected from the file by default (:func:`detect_format`).
    mapping
        Columns of a generic log; by default ``input_tokens``, ``output_tokens`` and, when
        present, ``cached_input_tokens``, ``timestamp`` (date-time text) and ``model``.
    drop_bad_rows
        Drop bad rows (their count is kept in :attr:`Trace.dropped_rows`) instead of
        refusing the log.
    con
        A DuckDB connection to use (a new in-memory one by default).

    Raises
    ------
    BadRowsError
        The log has bad rows and ``drop_bad_rows`` is false: the message names the file, the
        count per kind (:data:`BAD_ROW_KINDS`) and the first line numbers.
    InputError
        The file is missing or empty, the format is unknown, or a mapped column is absent.
    DataError
        The file cannot be read in its format, or no good row is left.
    """
    path = Path(path)
    fmt = detect_format(path) if fmt is None else fmt
    if fmt not in FORMATS:
        raise InputError(f"trace format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if not path.is_file():
        raise InputError(f"trace file not found: {path}")
    con = connect() if con is None else con
    try:
        source, available, types = _describe(path, fmt, con)
    except duckdb.Error as exc:
        raise DataError(f"{path}: cannot be read as {fmt}: {exc}") from None
    mapping = _resolve_mapping(path, fmt, mapping, available)
    columns = _Columns(json_like=fmt in ("mooncake", "jsonl"), types=types)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW checked AS {_checked_sql(source, fmt, mapping, columns)}"
    )
    by_kind = _bad_rows(con, path, fmt)
    if by_kind and not drop_bad_rows:
        _refuse(con, path, by_kind)
    has_timestamps = mapping.timestamp is not None
    if not _create_requests(con, fmt, has_timestamps):
        raise DataError(f"{path}: no request left to price (the log has no good rows)")
    return Trace(
        path=path,
        fmt=fmt,
        mapping=mapping,
        con=con,
        dropped_rows=sum(by_kind.values()),
        dropped_by_kind=by_kind,
        has_timestamps=has_timestamps,
    )


__all__ = [
    "BAD_ROW_KINDS",
    "FORMATS",
    "BadRowsError",
    "ColumnMapping",
    "Trace",
    "detect_format",
    "read_trace",
]
