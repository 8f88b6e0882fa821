"""Request logs (traces) priced on every offering, by DuckDB, at any size.

A trace is a log of requests: when each was sent, how many prompt tokens it carried (and how
many of them a prompt cache could serve) and how many it generated. :func:`read_trace` opens
one where it lies, without loading it into pandas: DuckDB reads CSV, JSONL and Parquet larger
than memory and does the per-request work; only aggregates (a histogram of request shapes,
one row per minute, one row per offering) come back to Python.

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

:func:`price_trace` prices every request on each API offering of a price snapshot (input,
cached-input and output prices, the long-context tier applied per request) and sizes rented
GPUs for the log's per-minute token rate (replicas at the peak minute, on average, and
autoscaled per hour), as one row per offering.
"""

from __future__ import annotations

import difflib
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from infermodel import formulas
from infermodel import serving as serving_mod
from infermodel.compare import check_diy_token_basis
from infermodel.prices import PLATFORM_LABELS, PLATFORM_TYPES, PriceSnapshot
from infermodel.schema import Problem, TableError
from infermodel.units import SECONDS_PER_HOUR, TOKENS_PER_MILLION

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
DIY_SIZINGS = ("autoscaled", "peak")
SECONDS_PER_MINUTE = 60
MINUTES_PER_HOUR = 60
#: First bad lines shown in an error message.
SHOWN_BAD_LINES = 5

#: Columns of :func:`price_trace`'s table, in order.
COLUMNS = [
    "platform_type",
    "platform",
    "provider",
    "model",
    "model_id",
    "gpu",
    "tier",
    "pricing",
    "serving_assumption",
    "mode",
    "gpus_per_replica",
    "tokens_per_second",
    "requests",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "total_tokens",
    "usd_per_million_input_tokens",
    "usd_per_million_cached_input_tokens",
    "usd_per_million_output_tokens",
    "long_context_requests",
    "usd_per_gpu_hour",
    "peak_tokens_per_minute",
    "replicas_peak",
    "replicas_mean",
    "replica_hours",
    "cost_usd_peak_sized",
    "cost_usd_autoscaled",
    "utilization_peak_sized",
    "utilization_autoscaled",
    "utilization",
    "cost_usd",
    "usd_per_request_mean",
    "usd_per_request_p50",
    "usd_per_request_p95",
    "usd_per_million_tokens",
    "multiple_of_cheapest",
    "observed_on",
    "age_days",
    "stale",
    "confidence",
    "source_url",
    "serving_source_url",
]


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
            raise ValueError(
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
        ValueError.__init__(
            self,
            f"{self.path}: {total:,} bad row(s): {kinds}; first at line(s) {lines}:\n{shown}\n"
            "Fix them, or drop them with drop_bad_rows=True (command line: --drop-bad-rows).",
        )


def _connect() -> duckdb.DuckDBPyConnection:
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
        raise ValueError(f"trace file not found: {path}")
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if not head.strip():
        raise ValueError(f"{path}: the file is empty")
    if head[:4] == b"PAR1":
        return "parquet"
    text = head.decode("utf-8", errors="replace")
    first = text.lstrip().splitlines()[0]
    if first.startswith("{"):
        keys = {"input_length", "output_length", "hash_ids"}
        return "mooncake" if all(f'"{key}"' in first for key in keys) else "jsonl"
    header = {name.strip().strip('"') for name in first.split(",")}
    return "azure" if {"TIMESTAMP", "ContextTokens", "GeneratedTokens"} <= header else "csv"


def _quote(text: str) -> str:
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
            raise ValueError(
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
            raise ValueError(f"column must be {valid}, got {column!r}")
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
    quoted = _quote(str(path))
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
        raise ValueError(f"trace format must be one of {', '.join(FORMATS)}, got {fmt!r}")
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
            raise ValueError(
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
    ValueError
        The file is missing or empty, the format is unknown, or a mapped column is absent.
    """
    path = Path(path)
    fmt = detect_format(path) if fmt is None else fmt
    if fmt not in FORMATS:
        raise ValueError(f"trace format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if not path.is_file():
        raise ValueError(f"trace file not found: {path}")
    con = _connect() if con is None else con
    try:
        source, available, types = _describe(path, fmt, con)
    except duckdb.Error as exc:
        raise ValueError(f"{path}: cannot be read as {fmt}: {exc}") from None
    mapping = _resolve_mapping(path, fmt, mapping, available)
    json_like = fmt in ("mooncake", "jsonl")

    def raw(column: str) -> str:
        if json_like:
            return f"(doc ->> {_quote('$.' + column if column.isidentifier() else column)})"
        return _ident(column)

    def is_text(column: str) -> bool:
        return types.get(column, "VARCHAR") == "VARCHAR"

    counts = [("input_tokens", mapping.input_tokens), ("output_tokens", mapping.output_tokens)]
    if mapping.cached_input_tokens is not None:
        counts.append(("cached_input_tokens", mapping.cached_input_tokens))
    checks: list[tuple[str, str, str]] = []  # (kind, condition, field)
    if json_like:
        checks.append(("malformed", "doc IS NULL OR json_type(doc) <> 'OBJECT'", "line"))
    for _, column in counts:
        for kind, condition in _count_checks(raw(column), is_text(column)):
            checks.append((kind, condition, column))
    number = {role: f"TRY_CAST({raw(column)} AS DOUBLE)" for role, column in counts}
    if mapping.cached_input_tokens is not None:
        checks.append(
            (
                "cached_exceeds_input",
                f"{number['cached_input_tokens']} > {number['input_tokens']}",
                mapping.cached_input_tokens,
            )
        )
    if mapping.timestamp is None:
        ts = "NULL::TIMESTAMP"
    else:
        value = raw(mapping.timestamp)
        if mapping.timestamp_unit is None:
            ts = f"TRY_CAST({value} AS TIMESTAMP)"
        else:
            scale = TIMESTAMP_UNITS[mapping.timestamp_unit]
            seconds = f"TRY_CAST({value} AS DOUBLE) / {scale}"
            ts = f"CASE WHEN isfinite({seconds}) THEN make_timestamp(({seconds} * 1e6)::BIGINT) END"
        checks.append(("bad_timestamp", f"({ts}) IS NULL", mapping.timestamp))
    kind_sql = _case((condition, _quote(kind)) for kind, condition, _ in checks)
    field_sql = _case((condition, _quote(column)) for _, condition, column in checks)
    value_sql = _case(
        (condition, "left(text, 80)" if column == "line" else f"CAST({raw(column)} AS VARCHAR)")
        for _, condition, column in checks
    )

    # A malformed JSON line is reported, not read: values come from ``doc``, NULL for it.
    source_docs = (
        f"SELECT *, CASE WHEN json_valid(text) THEN text END AS doc FROM ({source})"
        if json_like
        else source
    )

    def as_count(role: str) -> str:
        return f"TRY_CAST({number[role]} AS BIGINT)"

    cached = as_count("cached_input_tokens") if mapping.cached_input_tokens else "0::BIGINT"
    model = f"CAST({raw(mapping.model)} AS VARCHAR)" if mapping.model else "NULL::VARCHAR"
    blocks = "TRY_CAST(doc -> '$.hash_ids' AS BIGINT[])" if fmt == "mooncake" else "NULL"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW checked AS
        SELECT line, {kind_sql} AS kind, {field_sql} AS field, {value_sql} AS value,
               {ts} AS ts, {as_count("input_tokens")} AS input_tokens, {cached} AS cached_raw,
               {as_count("output_tokens")} AS output_tokens, {model} AS model,
               {blocks} AS hash_ids
        FROM ({source_docs})
        """
    )
    try:
        bad = con.sql(
            "SELECT kind, count(*) AS n, min(line) AS first FROM checked "
            "WHERE kind IS NOT NULL GROUP BY kind ORDER BY first"
        ).fetchall()
    except duckdb.Error as exc:
        raise ValueError(f"{path}: cannot be read as {fmt}: {exc}") from None
    by_kind = {kind: int(n) for kind, n, _ in bad}
    if by_kind and not drop_bad_rows:
        first = con.sql(
            f"SELECT line, kind, field, value FROM checked WHERE kind IS NOT NULL "
            f"ORDER BY line LIMIT {SHOWN_BAD_LINES}"
        ).fetchall()
        problems = [
            Problem(path, int(line), fld, value, BAD_ROW_KINDS[kind])
            for line, kind, fld, value in first
        ]
        raise BadRowsError(path, by_kind, problems)
    if fmt == "mooncake":
        # A block is cached when its id was first seen on an earlier line (module docstring).
        cached_sql = f"""
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
        con.execute(f"CREATE OR REPLACE TEMP TABLE requests AS {cached_sql}")
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
    total = con.sql("SELECT coalesce(sum(n), 0) FROM shape").fetchall()[0][0]
    if not total:
        raise ValueError(f"{path}: no request left to price (the log has no good rows)")
    has_ts = mapping.timestamp is not None
    if has_ts:
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
    return Trace(
        path=path,
        fmt=fmt,
        mapping=mapping,
        con=con,
        dropped_rows=sum(by_kind.values()),
        dropped_by_kind=by_kind,
        has_timestamps=has_ts,
    )


def _api_offerings(api: pd.DataFrame, *, use_cached_pricing: bool) -> pd.DataFrame:
    """Prices of each API offering by tier; cached input at the input price where none."""
    pin = api["usd_per_million_input_tokens"].astype(float)
    pout = api["usd_per_million_output_tokens"].astype(float)
    pin_long = api["usd_per_million_input_tokens_long_context"].astype(float).fillna(pin)
    pout_long = api["usd_per_million_output_tokens_long_context"].astype(float).fillna(pout)
    cached = api["usd_per_million_cached_input_tokens"].astype(float)
    if not use_cached_pricing:
        cached = pd.Series(np.nan, index=api.index)
    # As compare.api_rows: no cached price means cached tokens are billed as input, at the
    # tier's input price; the shipped tables have no long-context cached price.
    return pd.DataFrame(
        {
            "k": np.arange(len(api)),
            "pin": pin.to_numpy(),
            "pcached": cached.fillna(pin).to_numpy(),
            "pout": pout.to_numpy(),
            "threshold": api["long_context_threshold_tokens"].astype(float).to_numpy(),
            "pin_long": pin_long.to_numpy(),
            "pcached_long": cached.fillna(pin_long).to_numpy(),
            "pout_long": pout_long.to_numpy(),
        }
    )


#: Per-request cost [USD] in SQL: the same arithmetic as formulas.api_cost_usd (input billed
#: excluding cached, plus cached, plus output, over TOKENS_PER_MILLION), with each
#: request's tier chosen by its prompt; _api_rows checks the totals against the formula.
_PRICED_SQL = f"""
    SELECT k, n, uncached, cached, generated, long_ctx,
           (uncached * CASE WHEN long_ctx THEN pin_long ELSE pin END
            + cached * CASE WHEN long_ctx THEN pcached_long ELSE pcached END
            + generated * CASE WHEN long_ctx THEN pout_long ELSE pout END
           ) / {TOKENS_PER_MILLION} AS cost
    FROM (
        SELECT o.*, s.n, s.input_tokens - s.cached_input_tokens AS uncached,
               s.cached_input_tokens AS cached, s.output_tokens AS generated,
               coalesce(s.input_tokens > o.threshold, false) AS long_ctx
        FROM shape s CROSS JOIN api_offerings o
    )
"""
#: Width of the cost bins used to find each percentile before the exact pass. [ln USD]
_COST_BINS_PER_E = 100
#: Per-request percentiles reported by :func:`price_trace`.
PERCENTILES = {"usd_per_request_p50": 0.5, "usd_per_request_p95": 0.95}


def _percentiles(con: duckdb.DuckDBPyConnection, bins: pd.DataFrame) -> pd.DataFrame:
    """Exact weighted percentiles of request cost per offering, from a histogram of costs.

    ``bins`` holds, per offering ``k`` and log-cost ``bin``, the requests ``n``. The bin
    where each percentile falls is found from it; one more pass over only the requests in
    those bins gives the exact value: the smallest request cost with at least that share of
    requests at or below it (numpy's ``inverted_cdf`` percentile).
    """
    bins = bins.sort_values(["k", "bin"], kind="stable")
    cum = bins.groupby("k")["n"].cumsum()
    total = bins.groupby("k")["n"].transform("sum")
    targets = []
    for name, share in PERCENTILES.items():
        crossed = bins[cum >= share * total].groupby("k").head(1)
        before = (cum - bins["n"]).loc[crossed.index]
        targets.append(
            pd.DataFrame(
                {
                    "k": crossed["k"].to_numpy(),
                    "bin": crossed["bin"].to_numpy(),
                    "name": name,
                    "needed": share * total.loc[crossed.index].to_numpy() - before.to_numpy(),
                }
            )
        )
    target = pd.concat(targets, ignore_index=True)
    wanted = target[["k", "bin"]].drop_duplicates()
    con.register("wanted_bins", wanted)
    try:
        inside = con.sql(
            f"""
            SELECT k, bin, cost, sum(n) AS n FROM (
                SELECT *, {_bin_sql("cost")} AS bin FROM ({_PRICED_SQL})
            ) SEMI JOIN wanted_bins USING (k, bin)
            GROUP BY ALL ORDER BY k, bin, cost
            """
        ).df()
    finally:
        con.unregister("wanted_bins")
    inside["cum"] = inside.groupby(["k", "bin"])["n"].cumsum()
    result = pd.DataFrame({"k": sorted(set(target["k"]))}).set_index("k")
    for t in target.itertuples(index=False):
        block = inside[(inside["k"] == t.k) & (inside["bin"] == t.bin)]
        result.loc[t.k, t.name] = block.loc[block["cum"] >= t.needed - 1e-9, "cost"].iloc[0]
    return result.reindex(columns=list(PERCENTILES)).reset_index()


def _bin_sql(cost: str) -> str:
    scaled = f"floor(ln({cost}) * {_COST_BINS_PER_E})::INTEGER"
    return f"CASE WHEN {cost} > 0 THEN {scaled} ELSE -2147483648 END"


def _api_rows(trace: Trace, api: pd.DataFrame, *, use_cached_pricing: bool) -> pd.DataFrame:
    """Every request of ``trace`` priced on every API offering, by DuckDB.

    One pass over (distinct request shapes x offerings) gives the token totals per offering
    and price tier, the summed cost and a histogram of request costs; a second pass over the
    few shapes near each percentile gives the exact P50 and P95.
    """
    offerings = _api_offerings(api.reset_index(drop=True), use_cached_pricing=use_cached_pricing)
    con = trace.con
    con.register("api_offerings", offerings)
    try:
        grouped = con.sql(
            f"""
            SELECT k, long_ctx, bin, GROUPING(bin) = 1 AS by_tier, sum(n)::BIGINT AS n,
                   sum(n * uncached)::DOUBLE AS uncached, sum(n * cached)::DOUBLE AS cached,
                   sum(n * generated)::DOUBLE AS generated, sum(n * cost) AS cost
            FROM (SELECT *, {_bin_sql("cost")} AS bin FROM ({_PRICED_SQL}))
            GROUP BY GROUPING SETS ((k, long_ctx), (k, bin))
            """
        ).df()
        tiers = grouped[grouped["by_tier"]]
        percentiles = _percentiles(con, grouped.loc[~grouped["by_tier"], ["k", "bin", "n"]])
    finally:
        con.unregister("api_offerings")
    sums = ["k", "n", "uncached", "cached", "generated", "cost"]
    is_long = tiers["long_ctx"].astype(bool)
    short, long = tiers.loc[~is_long, sums].set_index("k"), tiers.loc[is_long, sums].set_index("k")
    index = pd.Index(offerings["k"], name="k")
    short, long = short.reindex(index, fill_value=0), long.reindex(index, fill_value=0)
    stats = pd.DataFrame(
        {
            "k": index,
            "requests": (short["n"] + long["n"]).to_numpy(),
            "long_context_requests": long["n"].to_numpy(),
            "u_short": short["uncached"].to_numpy(),
            "c_short": short["cached"].to_numpy(),
            "o_short": short["generated"].to_numpy(),
            "u_long": long["uncached"].to_numpy(),
            "c_long": long["cached"].to_numpy(),
            "o_long": long["generated"].to_numpy(),
            "cost_sql": (short["cost"] + long["cost"]).to_numpy(),
        }
    ).merge(percentiles, on="k", how="left", validate="1:1")
    o = offerings.set_index("k").loc[stats["k"]].reset_index(drop=True)
    cost = formulas.api_cost_usd(
        stats["u_short"],
        stats["o_short"],
        o["pin"],
        o["pout"],
        cached_input_tokens=stats["c_short"],
        usd_per_million_cached_input_tokens=o["pcached"],
    ) + formulas.api_cost_usd(
        stats["u_long"],
        stats["o_long"],
        o["pin_long"],
        o["pout_long"],
        cached_input_tokens=stats["c_long"],
        usd_per_million_cached_input_tokens=o["pcached_long"],
    )
    if not np.allclose(cost, stats["cost_sql"], rtol=1e-9, atol=1e-12):
        raise AssertionError("per-request SQL costs do not add up to formulas.api_cost_usd")
    api = api.reset_index(drop=True).loc[stats["k"]].reset_index(drop=True)
    return pd.DataFrame(
        {
            "platform_type": api["platform_type"],
            "provider": api["provider"],
            "model": api["model"],
            "model_id": api["model_id"],
            "usd_per_million_input_tokens": o["pin"],
            "usd_per_million_cached_input_tokens": o["pcached"],
            "usd_per_million_output_tokens": o["pout"],
            "long_context_requests": stats["long_context_requests"],
            "cost_usd": cost,
            "usd_per_request_mean": cost / stats["requests"],
            "usd_per_request_p50": stats["usd_per_request_p50"],
            "usd_per_request_p95": stats["usd_per_request_p95"],
            "observed_on": api["observed_on"],
            "age_days": api["age_days"],
            "stale": api["stale"],
            "confidence": api["confidence"],
            "source_url": api["source_url"],
        }
    )


def _ceil(values: np.ndarray) -> np.ndarray:
    # A need of exactly 2.0 replicas computed as 2.0000000001 is 2 replicas, not 3.
    return np.ceil(np.asarray(values) - 1e-9)


def replica_needs(
    tokens_per_minute: np.ndarray, tokens_per_second: np.ndarray
) -> dict[str, np.ndarray]:
    """Replicas a per-minute token series needs, for each replica throughput.

    Parameters
    ----------
    tokens_per_minute
        Tokens to serve in each minute of the log, idle minutes included, shape (m,).
        [tokens/min]
    tokens_per_second
        Throughput of one busy replica, one per offering, shape (k,). [tokens/s]

    Returns
    -------
    dict
        ``replicas_peak`` (whole replicas for the busiest minute), ``replicas_mean`` (mean
        busy replicas over the log), ``replica_hours_peak_sized`` (``replicas_peak`` for the
        whole span) and ``replica_hours_autoscaled`` (each 60-minute window from the first
        request gets the whole replicas its busiest minute needs), each shape (k,). [-],
        [replica-h]

    References
    ----------
    One replica serves ``tokens_per_second x 60`` tokens a minute: the article's DIY formula
    (:func:`infermodel.formulas.wall_clock_hours` at utilization 1) applied per minute.
    """
    tokens = np.asarray(tokens_per_minute, dtype=float)[:, None]
    tps = np.asarray(tokens_per_second, dtype=float)[None, :]
    busy = formulas.wall_clock_hours(tokens, tps, 1.0) * MINUTES_PER_HOUR  # replicas, (m, k)
    minutes = busy.shape[0]
    starts = np.arange(0, minutes, MINUTES_PER_HOUR)
    window_minutes = np.diff(np.append(starts, minutes))
    window_peak = _ceil(np.maximum.reduceat(busy, starts, axis=0))
    replicas_peak = _ceil(busy.max(axis=0))
    return {
        "replicas_peak": replicas_peak,
        "replicas_mean": busy.mean(axis=0),
        "replica_hours_peak_sized": replicas_peak * minutes / MINUTES_PER_HOUR,
        "replica_hours_autoscaled": (window_peak * window_minutes[:, None]).sum(axis=0)
        / MINUTES_PER_HOUR,
    }


def _diy_rows(
    trace: Trace,
    priced_pairs: pd.DataFrame,
    *,
    diy_token_basis: str,
    diy_sizing: str,
) -> pd.DataFrame:
    """Rented-GPU offerings sized for the log's per-minute token rate."""
    minutes = trace.per_minute()
    if diy_token_basis == "total":
        per_minute = minutes["prompt_tokens"] + minutes["output_tokens"]
    else:
        per_minute = minutes["output_tokens"]
    tokens = float(per_minute.sum())
    if tokens <= 0:
        raise ValueError(f"{trace.path}: no {diy_token_basis} tokens to serve on rented GPUs")
    tps = priced_pairs["tokens_per_second"].to_numpy(dtype=float)
    gpus = priced_pairs["gpus_per_replica"].to_numpy(dtype=float)
    price = priced_pairs["usd_per_gpu_hour"].to_numpy(dtype=float)
    needs = replica_needs(per_minute.to_numpy(dtype=float), tps)
    result = {}
    for sizing, hours in (
        ("peak_sized", needs["replica_hours_peak_sized"]),
        ("autoscaled", needs["replica_hours_autoscaled"]),
    ):
        utilization = tokens / (hours * tps * SECONDS_PER_HOUR)
        result[f"utilization_{sizing}"] = utilization
        # The article's DIY formula at the utilization the arrival pattern implies equals
        # replica-hours x GPUs per replica x hourly rate.
        result[f"cost_usd_{sizing}"] = formulas.gpu_cost_usd(
            tokens, tps, utilization, price, gpus_per_replica=gpus
        )
    chosen = "autoscaled" if diy_sizing == "autoscaled" else "peak_sized"
    return pd.DataFrame(
        {
            "platform_type": priced_pairs["platform_type"].to_numpy(),
            "provider": priced_pairs["provider"].to_numpy(),
            "model": (priced_pairs["model"] + " (" + priced_pairs["precision"] + ")").to_numpy(),
            "gpu": priced_pairs["gpu"].to_numpy(),
            "tier": priced_pairs["tier"].to_numpy(),
            "pricing": priced_pairs["pricing"].to_numpy(),
            "serving_assumption": priced_pairs["assumption_id"].to_numpy(),
            "mode": priced_pairs["mode"].to_numpy(),
            "gpus_per_replica": gpus,
            "tokens_per_second": tps,
            "usd_per_gpu_hour": price,
            "peak_tokens_per_minute": float(per_minute.max()),
            "replicas_peak": needs["replicas_peak"],
            "replicas_mean": needs["replicas_mean"],
            "replica_hours": needs[f"replica_hours_{chosen}"],
            **result,
            "utilization": result[f"utilization_{chosen}"],
            "cost_usd": result[f"cost_usd_{chosen}"],
            "observed_on": priced_pairs["observed_on"].to_numpy(),
            "age_days": priced_pairs["age_days"].to_numpy(),
            "stale": priced_pairs["stale"].to_numpy(),
            "confidence": priced_pairs["confidence"].to_numpy(),
            "source_url": priced_pairs["source_url"].to_numpy(),
            "serving_source_url": priced_pairs["serving_source_url"].to_numpy(),
        }
    )


def price_trace(
    trace: Trace,
    prices: PriceSnapshot,
    serving: pd.DataFrame,
    *,
    gpu_specs: pd.DataFrame | None = None,
    use_cached_pricing: bool = True,
    diy_token_basis: str = "total",
    diy_sizing: str = "autoscaled",
) -> pd.DataFrame:
    """Price every request of a log on every offering of a price snapshot.

    Parameters
    ----------
    trace
        A log opened with :func:`read_trace`.
    prices
        Prices in force on a date (:func:`infermodel.prices.as_of`), possibly narrowed.
    serving
        Serving assumptions for the DIY rows (:func:`infermodel.serving.select`); each is
        priced on every rented GPU it fits (:func:`infermodel.serving.pairs`).
    gpu_specs
        GPU memory table; the shipped one by default.
    use_cached_pricing
        Bill cached input tokens at the provider's cached-input price (``False``: at the
        full input price, i.e. without prompt caching).
    diy_token_basis
        Tokens that take GPU time: ``"total"`` (prompt and output, the article's formula, as
        in :func:`infermodel.compare.cost_table`) or ``"output"``.
    diy_sizing
        ``cost_usd`` of DIY rows with replicas ``"autoscaled"`` per hour (default) or sized
        for the ``"peak"`` minute over the whole log; both are in the table.

    Returns
    -------
    pandas.DataFrame
        One row per API offering and per priced (GPU offering, serving assumption) pair,
        columns :data:`COLUMNS`, sorted by platform type then cost. Token columns [tokens]
        are the log's: ``input_tokens`` excludes ``cached_input_tokens``. API rows:
        ``cost_usd`` [USD] and the per-request mean, P50 and P95 [USD/request] (P-values
        are the smallest request cost with at least 50 % / 95 % of requests at or below),
        ``long_context_requests`` priced at the long-context tier (prompt above the
        offering's threshold). DIY rows (need timestamps): ``peak_tokens_per_minute``
        [tokens/min], ``replicas_peak`` and ``replicas_mean`` [-], ``replica_hours``
        [replica-h], cost and implied utilization [-] for both sizings; no per-request
        P50/P95 (GPU time is not billed per request). ``usd_per_million_tokens`` [USD/Mtok]
        over all tokens of the log.
    """
    check_diy_token_basis(diy_token_basis)
    if diy_sizing not in DIY_SIZINGS:
        raise ValueError(f"diy_sizing must be one of {', '.join(DIY_SIZINGS)}, got {diy_sizing!r}")
    totals = trace.summary().iloc[0]
    frames = []
    if not prices.api.empty:
        frames.append(_api_rows(trace, prices.api, use_cached_pricing=use_cached_pricing))
    if trace.has_timestamps and not prices.gpu.empty and not serving.empty:
        specs = serving_mod.load_gpu_specs() if gpu_specs is None else gpu_specs
        grid = serving_mod.pairs(prices.gpu, serving, specs)
        priced = grid[grid["priced"]].reset_index(drop=True)
        if not priced.empty:
            frames.append(
                _diy_rows(trace, priced, diy_token_basis=diy_token_basis, diy_sizing=diy_sizing)
            )
    if not frames:
        raise ValueError(
            f"nothing to price as of {prices.as_of.date()}: no API offering, and no GPU offering "
            "with a serving assumption that fits (or the log has no timestamps)"
        )
    table = pd.concat([f.dropna(axis=1, how="all") for f in frames], ignore_index=True)
    table = table.reindex(columns=COLUMNS)
    requests = int(totals["requests"])
    total_tokens = float(
        totals["input_tokens"] + totals["cached_input_tokens"] + totals["output_tokens"]
    )
    table["platform"] = table["platform_type"].map(PLATFORM_LABELS)
    table["requests"] = requests
    table["input_tokens"] = int(totals["input_tokens"])
    table["cached_input_tokens"] = int(totals["cached_input_tokens"])
    table["output_tokens"] = int(totals["output_tokens"])
    table["total_tokens"] = int(total_tokens)
    diy = table["platform_type"] == "diy_gpu"
    table.loc[diy, "usd_per_request_mean"] = table.loc[diy, "cost_usd"] / requests
    table["usd_per_million_tokens"] = formulas.usd_per_million_tokens(
        table["cost_usd"], total_tokens
    )
    cheapest = table["cost_usd"].min()
    table["multiple_of_cheapest"] = table["cost_usd"] / cheapest if cheapest > 0 else np.nan
    order = table["platform_type"].map({t: i for i, t in enumerate(PLATFORM_TYPES)})
    return (
        table.assign(_order=order)
        .sort_values(["_order", "cost_usd", "provider", "model"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def caching_effect(with_cache: pd.DataFrame, without_cache: pd.DataFrame) -> pd.DataFrame:
    """API rows priced with and without cached-input prices, side by side.

    ``saving_usd`` [USD] and ``saving_share`` [-] are what prompt caching saves on the log.
    """
    key = ["provider", "model", "model_id"]
    api = with_cache["platform_type"] != "diy_gpu"
    left = with_cache.loc[api, [*key, "platform_type", "cost_usd"]]
    right = without_cache.loc[without_cache["platform_type"] != "diy_gpu", [*key, "cost_usd"]]
    both = left.merge(right, on=key, suffixes=("_with_cache", "_without_cache"), validate="1:1")
    both["saving_usd"] = both["cost_usd_without_cache"] - both["cost_usd_with_cache"]
    both["saving_share"] = both["saving_usd"] / both["cost_usd_without_cache"]
    return both.sort_values("saving_usd", ascending=False, kind="stable").reset_index(drop=True)


#: Label written into every synthetic log (column ``source``) and its file name.
SYNTHETIC_LABEL = "SYNTHETIC (infermodel.traces.write_synthetic_log; not real traffic)"


def write_synthetic_log(
    path: str | Path,
    *,
    requests: int = 10_000,
    seed: int = 0,
    start: str = "2025-05-01 00:00:00",
    hours: float = 24.0,
) -> Path:
    """Write a seeded synthetic request log (Parquet, CSV or JSONL by ``path``'s suffix).

    Built by DuckDB from hashes of the row number and ``seed`` (same file for the same
    arguments, on any number of threads), streaming, so 10 million rows need little memory.
    Labelled synthetic in its ``source`` column. Shape (illustrative, not measured): prompts
    log-normal with median 1,000 tokens (sigma 1.0, at most 32,000), plus 0.3 % long
    prompts (median 150,000, at most 1,000,000) that reach long-context tiers; 60 % of
    requests share a cached prefix of 1-8 blocks of 512 tokens; outputs log-normal with median
    250 tokens (sigma 0.8, at most 8,192); arrivals over ``hours`` with one smooth peak mid
    span (peak rate 4x the trough).

    Parameters
    ----------
    path
        Target file; ``.parquet``, ``.csv`` or ``.jsonl``.
    requests
        Rows to write, > 0. [requests]
    seed
        Seed of the pseudo-random draws.
    start
        Arrival time of the first request, ``YYYY-MM-DD HH:MM:SS``.
    hours
        Span of the arrivals, > 0. [h]
    """
    path = Path(path)
    formats = {".parquet": "(FORMAT parquet)", ".csv": "(FORMAT csv, HEADER)",
               ".jsonl": "(FORMAT json)"}  # fmt: skip
    if path.suffix not in formats:
        raise ValueError(f"path must end in {', '.join(formats)}, got {path.name!r}")
    if isinstance(requests, bool) or not isinstance(requests, int) or requests <= 0:
        raise ValueError(f"requests must be a whole number > 0, got {requests!r}")
    if not (isinstance(hours, (int, float)) and math.isfinite(hours) and hours > 0):
        raise ValueError(f"hours must be a number > 0, got {hours!r}")
    start_ts = pd.Timestamp(start)

    def uniform(salt: int) -> str:  # in (0, 1), 53 random bits
        # One hashed value per (row, draw, seed): DuckDB's several-argument hash combines
        # the arguments' hashes, which leaves draws of the same row correlated.
        key = f"(i * 64 + {salt} + {int(seed)} * 1099511627776)"
        return f"(((hash({key}) >> 11)::DOUBLE + 0.5) / 9007199254740992.0)"

    def normal(salt: int) -> str:  # Box-Muller
        return f"(sqrt(-2 * ln({uniform(salt)})) * cos(2 * pi() * {uniform(salt + 1)}))"

    seconds = float(hours) * SECONDS_PER_HOUR
    amplitude = 0.6  # arrival rate from 1 / 1.6 to 1 / 0.4 of the mean: peak 4x the trough
    sql = f"""
        WITH draws AS (
            SELECT i, (i + {uniform(1)}) / {requests} AS u,
                   CASE WHEN {uniform(2)} < 0.003
                        THEN least(1000000, greatest(1, round(150000 * exp(0.5 * {normal(3)}))))
                        ELSE least(32000, greatest(1, round(1000 * exp({normal(5)}))))
                   END::BIGINT AS input_tokens,
                   CASE WHEN {uniform(7)} < 0.6 THEN 1 + floor(8 * {uniform(8)}) ELSE 0 END
                       AS prefix_blocks,
                   least(8192, greatest(1, round(250 * exp(0.8 * {normal(9)}))))::BIGINT
                       AS output_tokens
            FROM range({requests}) t(i)
        )
        SELECT TIMESTAMP '{start_ts:%Y-%m-%d %H:%M:%S}' + to_milliseconds(round(
                   {seconds * 1000} * (u + {amplitude} / (2 * pi()) * sin(2 * pi() * u)))::BIGINT
               ) AS timestamp,
               input_tokens,
               least(input_tokens, {MOONCAKE_BLOCK_TOKENS} * prefix_blocks)::BIGINT
                   AS cached_input_tokens,
               output_tokens, 'synthetic' AS model, {_quote(SYNTHETIC_LABEL)} AS source
        FROM draws ORDER BY i
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    con = _connect()
    try:
        con.execute(f"COPY ({sql}) TO {_quote(str(path))} {formats[path.suffix]}")
    finally:
        con.close()
    return path


def synthetic_log_path(*, requests: int = 10_000, seed: int = 0, suffix: str = ".parquet") -> Path:
    """A synthetic log in the system's temporary folder, written on first use."""
    folder = Path(tempfile.gettempdir()) / "infermodel-synthetic"
    path = folder / f"synthetic_log_{requests}_requests_seed{seed}{suffix}"
    if not path.is_file():
        # Write to a side file first so that a half-written log is never picked up.
        partial = path.with_name(f".partial-{path.name}")
        write_synthetic_log(partial, requests=requests, seed=seed)
        partial.replace(path)
    return path


__all__ = [
    "BAD_ROW_KINDS",
    "COLUMNS",
    "FORMATS",
    "SYNTHETIC_LABEL",
    "BadRowsError",
    "ColumnMapping",
    "Trace",
    "caching_effect",
    "detect_format",
    "price_trace",
    "read_trace",
    "replica_needs",
    "synthetic_log_path",
    "write_synthetic_log",
]
