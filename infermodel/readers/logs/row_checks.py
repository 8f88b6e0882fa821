"""The rules every row of a request log must meet, as SQL for DuckDB.

:mod:`infermodel.readers.logs` builds its ``checked`` view from :func:`checked_sql`: every raw
row of a log with the first rule it breaks (:data:`BAD_ROW_KINDS`, in order of precedence),
the field and value, and its values as DuckDB types. A token count is read as a DOUBLE (every
whole number up to :data:`MAX_TOKENS_PER_REQUEST` is exact in one) and is bad when missing,
not a number, not whole, negative or above that maximum; a timestamp is bad when missing,
unreadable or outside :data:`TIMESTAMP_YEARS`. ``ragged`` and CSV ``malformed`` records are
found by the CSV splitting (:mod:`infermodel.readers.logs.csv_records`) and come first here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from infermodel.errors import InputError
from infermodel.readers.logs import formats
from infermodel.readers.logs.dialects import JSON_STRING_REGEX
from infermodel.readers.logs.files import quote_sql

#: The most tokens one request may count in any token column; a larger count is a bad row
#: (``too_large``): a million times today's longest context windows, and far below 2^53, so
#: every accepted count is exact as a DOUBLE and sums over billions of requests fit a HUGEINT.
MAX_TOKENS_PER_REQUEST = 10**12
#: Arrivals outside these years are bad rows (``bad_timestamp``). [year]
TIMESTAMP_YEARS = (1900, 2200)
#: Kinds of bad rows and what each means.
BAD_ROW_KINDS = {
    "ragged": "wrong number of fields (not the header's number)",
    "malformed": "not a readable record: a JSON object (RFC 8259, each key once; Mooncake's "
    "hash_ids a list of whole block ids) or a CSV record",
    "missing": "a token count is missing",
    "non_numeric": "a token count is not a number",
    "not_whole": "a token count is not a whole number",
    "negative": "a token count is negative",
    "too_large": f"a token count is above {MAX_TOKENS_PER_REQUEST:,} tokens, the most one "
    "request may count",
    "cached_exceeds_input": "cached input tokens exceed input tokens",
    "bad_timestamp": f"the timestamp is missing, cannot be read, or is not in "
    f"{TIMESTAMP_YEARS[0]}-{TIMESTAMP_YEARS[1] - 1}",
}
TIMESTAMP_UNITS = {"s": 1.0, "ms": 1e3, "us": 1e6}


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


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _case(branches) -> str:
    """A SQL ``CASE`` taking the first (condition, value) whose condition is true, else NULL."""
    whens = " ".join(
        f"WHEN coalesce({condition}, false) THEN {value}" for condition, value in branches
    )
    return f"CASE {whens} END"


#: A token count written as text: digits, a sign, a decimal point and an exponent. Anything
#: else is not a number on either engine (DuckDB's cast read ``1_000`` as 1000 and Spark's
#: as nothing; ``0x10``, ``Infinity`` and full-width digits are refused alike).
NUMBER_REGEX = r"^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$"
#: A decimal written without exponent whose fraction is not all zeros (``100.5``,
#: ``7.0000000000000000001``): not whole, even where a DOUBLE would round it to a whole number.
_FRACTION_REGEX = r"^[+-]?[0-9]*\.[0-9]*[1-9][0-9]*$"


def _count_checks(value: str, number: str, is_text: bool) -> list[tuple[str, str]]:
    """(kind, SQL condition) pairs for one token count (raw and as a DOUBLE), by precedence."""
    missing = f"{value} IS NULL" + (f" OR trim({value}) = ''" if is_text else "")
    fraction = f" OR regexp_matches(trim({value}), '{_FRACTION_REGEX}')" if is_text else ""
    return [
        ("missing", missing),
        ("non_numeric", f"{number} IS NULL OR isnan({number})"),
        ("not_whole", f"(isfinite({number}) AND {number} <> floor({number})){fraction}"),
        ("negative", f"{number} < 0"),
        ("too_large", f"{number} > {MAX_TOKENS_PER_REQUEST}"),
    ]


#: Columns :func:`checked_sql` computes once per row before the checks read them (each
#: check reads a value up to three times: kind, field and value of the first broken rule).
_RAW, _NUMBER, _TS = "infermodel_raw:{}", "infermodel_number:{}", "infermodel_ts"
#: Whether a JSON line names a key twice (which makes it malformed), computed once.
_TWICE = "infermodel_key_twice"


def key_named_twice_sql(doc: str) -> str:
    """SQL: the JSON object ``doc`` names one of its keys more than once."""
    return f"array_length(json_keys({doc})) <> array_length(list_distinct(json_keys({doc})))"


@dataclass(frozen=True)
class Columns:
    """How the columns of one log are reached in SQL: by name, or inside each JSON line.

    ``staged``: ``""`` computes each value where it is used; ``"raw"`` reads a JSON line's
    values from columns extracted once; ``"all"`` also reads token counts as DOUBLE and the
    arrival as TIMESTAMP from columns computed once (see :func:`checked_sql`). ``records``:
    the rows are a CSV's records, whose structure (ragged, malformed) is their column
    ``infermodel_csv`` (:mod:`infermodel.readers.logs.csv_records`).
    """

    json_like: bool
    types: dict[str, str]
    staged: str = ""
    records: bool = False

    def raw(self, column: str) -> str:
        """SQL for the raw value of ``column`` (text for JSON, the file's type otherwise)."""
        if self.json_like and self.staged:
            return _ident(_RAW.format(column))
        if self.json_like:
            return f"(doc ->> {quote_sql('$.' + column if column.isidentifier() else column)})"
        return _ident(column)

    def is_text(self, column: str) -> bool:
        return self.types.get(column, "VARCHAR") == "VARCHAR"

    def number(self, column: str) -> str:
        if self.staged == "all":
            return _ident(_NUMBER.format(column))
        raw = self.raw(column)
        if self.is_text(column):  # a number as text, written as both engines read it
            return (
                f"CASE WHEN regexp_matches(trim({raw}), {quote_sql(NUMBER_REGEX)}) "
                f"THEN TRY_CAST(trim({raw}) AS DOUBLE) END"
            )
        return f"TRY_CAST({raw} AS DOUBLE)"


def strict_json_sql(text: str) -> str:
    """SQL: ``text`` is one JSON value as the standard defines it (RFC 8259).

    DuckDB's ``json_valid`` also takes trailing commas (``{"a": 1,}``) and the literals NaN
    and Infinity, which Spark's JSON functions (and the standard) refuse; so a line with them
    is ``malformed`` on every engine. Tested with the strings masked out (each ``""``), where
    no letters but those of ``true``, ``false`` and ``null`` remain in a standard value.
    """
    masked = f"regexp_replace({text}, {quote_sql(JSON_STRING_REGEX)}, '\"\"', 'g')"
    return f"(json_valid({text}) AND NOT regexp_matches({masked}, ',\\s*[}}\\]]|(?i:nan|inf)'))"


#: The inside of a Mooncake ``hash_ids`` list: whole numbers that fit a BIGINT, comma
#: separated (its brackets are tested apart: a bracket in a regex is spelt differently by
#: the two engines' regex syntaxes).
_BLOCK_IDS_REGEX = r"^[ ]*(-?[0-9]{1,18}([ ]*,[ ]*-?[0-9]{1,18})*)?[ ]*$"


def block_ids_sql(text: str) -> str:
    """SQL: ``text``, a Mooncake line's ``hash_ids`` as JSON text, is a list of whole numbers.

    A number, a text, ``[1.5]`` or an id past a BIGINT was read as no block at all (no
    cached tokens, without a word); it is a ``malformed`` line on both engines.
    """
    ids = f"coalesce(CAST({text} AS VARCHAR), '')"
    inner = f"substr({ids}, 2, length({ids}) - 2)"
    return (
        f"left({ids}, 1) = '[' AND right({ids}, 1) = ']' AND "
        f"regexp_matches({inner}, {quote_sql(_BLOCK_IDS_REGEX)})"
    )


def row_checks(mapping: ColumnMapping, columns: Columns) -> list[tuple[str, str, str]]:
    """(kind, SQL condition, field) of every row rule, in order of precedence."""
    checks: list[tuple[str, str, str]] = []
    if columns.json_like:
        # A key named twice has no one value: DuckDB reads the first, Spark refused the line;
        # both refuse it (RFC 8259: names "SHOULD be unique"; which value counts is not said).
        twice = _ident(_TWICE) if columns.staged else key_named_twice_sql("doc")
        not_object = "doc IS NULL OR json_type(doc) <> 'OBJECT'"
        checks.append(("malformed", f"{not_object} OR {twice}", "line"))
    if columns.records:
        checks += [(kind, f"infermodel_csv = '{kind}'", "line") for kind in ("ragged", "malformed")]
    counted = [mapping.input_tokens, mapping.output_tokens]
    if mapping.cached_input_tokens is not None:
        counted.append(mapping.cached_input_tokens)
    for column in counted:
        checked = _count_checks(
            columns.raw(column), columns.number(column), columns.is_text(column)
        )
        for kind, condition in checked:
            checks.append((kind, condition, column))
    if mapping.cached_input_tokens is not None:
        cached, prompt = (
            columns.number(mapping.cached_input_tokens),
            columns.number(mapping.input_tokens),
        )
        checks.append(("cached_exceeds_input", f"{cached} > {prompt}", mapping.cached_input_tokens))
    if mapping.timestamp is not None:
        checks.append(
            ("bad_timestamp", f"({timestamp_sql(mapping, columns)}) IS NULL", mapping.timestamp)
        )
    return checks


#: A date-time written as text: an ISO 8601 date (``2025-05-01``), a time (``T`` or a space,
#: ``12:00``, seconds and a fraction optional) and a UTC offset (``Z``, ``UTC``, ``+02:00``,
#: ``+0200``, ``-05``) or none. Groups: the wall-clock part, the offset's sign, hours and
#: minutes. Anything else (``12:00 PM``, ``BC``, a zone name) is not read: DuckDB's cast
#: drops such suffixes and an offset without a word, so the text is matched first.
_WALL_CLOCK = (
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[T ][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.][0-9]+)?)?)?"
)
DATETIME_REGEX = rf"^({_WALL_CLOCK}) ?(?:[Zz]|UTC|([+-])([0-9]{{2}}):?([0-9]{{2}})?)?$"
#: The same without an offset: most logs' arrivals, read with one test and a cast.
NAIVE_DATETIME_REGEX = rf"^{_WALL_CLOCK}$"
#: The largest UTC offset in use (Kiribati, +14:00). [h]
MAX_UTC_OFFSET_HOURS = 14


def datetime_text_sql(value: str) -> str:
    """SQL: the date-time text ``value`` as a wall-clock TIMESTAMP in UTC (NULL: unreadable).

    A text with a UTC offset is moved to UTC (``12:00+02:00`` is ``10:00``); one without is
    read as UTC. Both engines run this same text (``regexp_extract``, ``epoch_us`` and
    ``make_timestamp`` are transpiled for Spark), so they agree on every arrival.
    """
    text = f"trim(CAST({value} AS VARCHAR))"
    regex = quote_sql(DATETIME_REGEX)

    def group(n: int) -> str:
        return f"regexp_extract({text}, {regex}, {n})"

    hours = f"TRY_CAST(nullif({group(3)}, '') AS BIGINT)"
    minutes = f"coalesce(TRY_CAST(nullif({group(4)}, '') AS BIGINT), 0)"
    sign = f"CASE WHEN {group(2)} = '-' THEN -1 ELSE 1 END"
    offset_us = f"({sign} * ({hours} * 60 + {minutes}) * 60000000)"
    local = f"TRY_CAST({group(1)} AS TIMESTAMP)"
    return (
        f"CASE WHEN regexp_matches({text}, {quote_sql(NAIVE_DATETIME_REGEX)}) "
        f"THEN TRY_CAST({text} AS TIMESTAMP) "
        f"WHEN NOT regexp_matches({text}, {regex}) THEN NULL "
        f"WHEN {group(2)} = '' THEN {local} "
        f"WHEN {hours} <= {MAX_UTC_OFFSET_HOURS} AND {minutes} < 60 "
        f"THEN make_timestamp(epoch_us({local}) - {offset_us}) END"
    )


def timestamp_sql(mapping: ColumnMapping, columns: Columns) -> str:
    """SQL for a request's arrival as a TIMESTAMP (NULL when unreadable, absent or off range)."""
    if mapping.timestamp is None:
        return "NULL::TIMESTAMP"
    if columns.staged == "all":
        return _TS
    value = columns.raw(mapping.timestamp)
    low, high = (f"TIMESTAMP '{year}-01-01'" for year in TIMESTAMP_YEARS)
    if mapping.timestamp_unit is None and columns.is_text(mapping.timestamp):
        ts = datetime_text_sql(value)
    elif mapping.timestamp_unit is None:
        ts = f"TRY_CAST({value} AS TIMESTAMP)"
    else:
        seconds = f"TRY_CAST({value} AS DOUBLE) / {TIMESTAMP_UNITS[mapping.timestamp_unit]}"
        # Bounded before the conversion, which fails on a number of microseconds past int64.
        bound = 1e11  # [s], about year 5138: past the range below, far inside int64 [us]
        ts = (
            f"CASE WHEN abs({seconds}) < {bound} THEN make_timestamp(({seconds} * 1e6)::BIGINT) END"
        )
    return f"CASE WHEN {ts} >= {low} AND {ts} < {high} THEN {ts} END"


def checked_sql(source: str, fmt: str, mapping: ColumnMapping, columns: Columns) -> str:
    """The ``checked`` view: every raw row with its first broken rule (or NULL) and values.

    A JSON line is parsed into its values once, and each token count and the arrival are
    converted once (staged columns), before the rules read them.
    """
    rows = (
        f"SELECT *, CASE WHEN {strict_json_sql('text')} THEN text END AS doc FROM ({source})"
        if columns.json_like
        else source
    )
    used = [mapping.input_tokens, mapping.output_tokens, mapping.cached_input_tokens]
    counted = [c for c in used if c is not None]
    ids = [formats.BLOCK_IDS] if formats.REGISTRY[fmt].block_ids else []
    named = dict.fromkeys([*counted, mapping.model, mapping.timestamp, *ids])
    named.pop(None, None)
    if columns.json_like:
        extracted = ", ".join(f"{columns.raw(c)} AS {_ident(_RAW.format(c))}" for c in named)
        twice = f"{key_named_twice_sql('doc')} AS {_ident(_TWICE)}"
        rows = f"SELECT *, {extracted}, {twice} FROM ({rows})"
    read = replace(columns, staged="raw")
    converted = [f"{read.number(c)} AS {_ident(_NUMBER.format(c))}" for c in counted]
    converted.append(f"{timestamp_sql(mapping, read)} AS {_TS}")
    rows = f"SELECT *, {', '.join(converted)} FROM ({rows})"
    columns = replace(columns, staged="all")
    checks = row_checks(mapping, columns)
    if formats.REGISTRY[fmt].block_ids:  # after "not a JSON object", before the token counts
        ids = block_ids_sql(columns.raw(formats.BLOCK_IDS))
        checks.insert(1, ("malformed", f"NOT ({ids})", formats.BLOCK_IDS))
    kind_sql = _case((condition, quote_sql(kind)) for kind, condition, _ in checks)
    field_sql = _case((condition, quote_sql(column)) for _, condition, column in checks)
    value_sql = _case(
        (
            condition,
            "left(text, 80)" if column == "line" else f"CAST({columns.raw(column)} AS VARCHAR)",
        )
        for _, condition, column in checks
    )

    def count(column: str) -> str:
        # Checked above: a whole number in [0, MAX_TOKENS_PER_REQUEST], exact as a DOUBLE.
        return f"TRY_CAST({columns.number(column)} AS BIGINT)"

    cached = count(mapping.cached_input_tokens) if mapping.cached_input_tokens else "0::BIGINT"
    model = f"CAST({columns.raw(mapping.model)} AS VARCHAR)" if mapping.model else "NULL::VARCHAR"
    blocks = "NULL"
    if formats.REGISTRY[fmt].block_ids:
        blocks = f"TRY_CAST(doc -> '$.{formats.BLOCK_IDS}' AS BIGINT[])"
    return f"""
        SELECT line, {kind_sql} AS kind, {field_sql} AS field, {value_sql} AS value,
               {timestamp_sql(mapping, columns)} AS ts,
               {count(mapping.input_tokens)} AS input_tokens, {cached} AS cached_raw,
               {count(mapping.output_tokens)} AS output_tokens, {model} AS model,
               {blocks} AS hash_ids
        FROM ({rows})
    """


__all__ = [
    "BAD_ROW_KINDS",
    "DATETIME_REGEX",
    "MAX_TOKENS_PER_REQUEST",
    "NUMBER_REGEX",
    "TIMESTAMP_UNITS",
    "TIMESTAMP_YEARS",
    "ColumnMapping",
    "Columns",
    "checked_sql",
    "datetime_text_sql",
    "row_checks",
    "timestamp_sql",
]
