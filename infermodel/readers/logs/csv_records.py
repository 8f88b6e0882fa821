"""A CSV log's records and fields, split by one SQL text on every engine.

Both engines read a CSV log as its physical lines, numbered (the view ``infermodel_lines``:
``block``, ``line``, ``text``; a block is a run of lines an engine reads together: a file on
DuckDB, a file's split on Spark), and this module's SQL turns them into records and fields, so
that the rules are written once and no line goes through the driver:

- The header is the first record of each file (:mod:`infermodel.readers.logs.files` tells its
  delimiter and names); a record is one line, or several when a quoted field spans lines.
- A ``"`` opens a quoted field only at a field's start; inside, ``""`` is a quote and a lone
  ``"`` closes the field. A ``"`` inside an unquoted field is text.
- Each line is a function of the quote state it starts in (outside or inside a quoted field)
  to the state it ends in (:func:`opens_sql`, :func:`stays_sql`: two regular expressions).
  When no line entered outside ends inside (almost every log) each line is a record;
  otherwise the state at each line is composed with window functions per block, from the
  block's entry state (outside at a file's start; for a file's later splits, composed on the
  driver from a few numbers per block, :func:`entries`; :class:`Blocks`).
- A record is ``malformed`` when its quote never closes (``unterminated quote``) or text
  follows a closing quote (spaces excepted); ``ragged`` when its number of fields is not the
  header's (only empty fields past the header's, a trailing delimiter, are dropped: no value
  is lost). Empty lines outside a quoted field are skipped.
- A field's value is its text; a quoted field's without its quotes, ``""`` read as ``"``; an
  empty unquoted field is NULL.

Regular expressions here mean the same in RE2 (DuckDB) and Java (Spark): no backreferences,
no lookaround, ``\\z`` for the end, loops unrolled so that Java's matcher does not recurse
per character.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from infermodel.readers.logs.files import quote_sql

#: Records that do not split into the header's fields (ragged or malformed); past this many
#: the file is refused as not a CSV of that layout (even when bad rows are dropped).
MAX_REJECTED_ROWS = 100_000
#: The view this SQL reads: a log's numbered lines.
LINES_VIEW = "infermodel_lines"
#: A quoted field, its quotes included (``""`` inside it is a quote).
_QUOTED = '"[^"]*(?:""[^"]*)*"'


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _in_class(delimiter: str) -> str:
    """The delimiter as written inside a regular expression's character class."""
    return r"\t" if delimiter == "\t" else delimiter


def _alone(delimiter: str) -> str:
    """The delimiter as written in a regular expression, outside a character class."""
    return {"\t": r"\t", "|": r"\|"}.get(delimiter, delimiter)


def _text(delimiter: str) -> str:
    """The delimiter as a SQL string literal."""
    return "chr(9)" if delimiter == "\t" else quote_sql(delimiter)


@dataclass(frozen=True)
class Patterns:
    """The regular expressions of one delimiter (and, for fields, one header)."""

    delimiter: str

    @property
    def loose_field(self) -> str:
        """A field as the quote state reads it: after a closing quote, text up to a delimiter."""
        d = _in_class(self.delimiter)
        return f'(?:{_QUOTED}(?:[^{d}"][^{d}]*)?|[^{d}"][^{d}]*|)'

    @property
    def closes_from_outside(self) -> str:
        """A line entered outside a quoted field that ends outside one."""
        f, d = self.loose_field, _alone(self.delimiter)
        return f"^{f}(?:{d}{f})*\\z"

    @property
    def closes_from_inside(self) -> str:
        """A line entered inside a quoted field that closes it and ends outside one."""
        f, d, c = self.loose_field, _alone(self.delimiter), _in_class(self.delimiter)
        return f'^[^"]*(?:""[^"]*)*"(?:[^{c}"][^{c}]*)?(?:{d}{f})*\\z'

    @property
    def field(self) -> str:
        """A well-formed field: quoted (then only spaces before the delimiter), or not."""
        d = _in_class(self.delimiter)
        return f'(?:{_QUOTED}[ \\t]*|[^{d}"][^{d}]*|)'

    @property
    def well_formed(self) -> str:
        f, d = self.field, _alone(self.delimiter)
        return f"^{f}(?:{d}{f})*\\z"

    def accepted(self, fields: int) -> str:
        """A well-formed record of ``fields`` fields (each a group), then only empty ones."""
        f, d = self.field, _alone(self.delimiter)
        groups = f"({f})" + f"{d}({f})" * (fields - 1)
        return f'^{groups}(?:{d}(?:""[ \\t]*)?)*\\z'


def opens_sql(delimiter: str, text: str = "text") -> str:
    """SQL: the line, entered outside a quoted field, ends inside one."""
    closes = quote_sql(Patterns(delimiter).closes_from_outside)
    return f"(contains({text}, '\"') AND NOT regexp_matches({text}, {closes}))"


def stays_sql(delimiter: str, text: str = "text") -> str:
    """SQL: the line, entered inside a quoted field, ends inside one (closes none, or opens)."""
    closes = quote_sql(Patterns(delimiter).closes_from_inside)
    return f"(NOT contains({text}, '\"') OR NOT regexp_matches({text}, {closes}))"


def _flag(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _kinds_sql(delimiter: str) -> str:
    """Each line with its quote function: ``opens``, ``stays``, ``fixed``, ``flips`` and
    ``flips_upto`` (lines that flip the state, up to this one, in its block)."""
    return f"""
        SELECT *, opens = stays AS fixed, {_flag("opens AND NOT stays")} AS flips,
               sum({_flag("opens AND NOT stays")}) OVER (PARTITION BY block ORDER BY line
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS flips_upto
        FROM (SELECT block, line, coalesce(text, '') AS text, {opens_sql(delimiter)} AS opens,
                     {stays_sql(delimiter)} AS stays
              FROM {LINES_VIEW})
    """


#: The last line of a block that fixes the state whatever it is entered in (its value and
#: the parity of flips up to it packed into the low bits: ``line * 4 + 2 * ends_inside +
#: flips_upto % 2``).
_LAST_FIXED = f"CASE WHEN fixed THEN line * 4 + 2 * {_flag('opens')} + flips_upto % 2 END"


def summary_sql(delimiter: str) -> str:
    """Per block: the last fixing line (packed, see above) and the parity of all its flips.

    From them the state a block ends in, given the one it is entered in (:func:`entries`).
    """
    return f"""
        SELECT block, max({_LAST_FIXED}) AS last_fixed, sum(flips) % 2 AS flips
        FROM ({_kinds_sql(delimiter)}) GROUP BY block
    """


def exit_state(entry: bool, last_fixed: int | None, flips: int) -> bool:
    """Whether a block ends inside a quoted field, entered in ``entry`` (see summary_sql)."""
    if last_fixed is None:
        return entry != bool(flips % 2)
    return bool((last_fixed // 2) % 2) != bool((flips - last_fixed % 2) % 2)


def entries(blocks: Sequence[tuple[int, bool, int | None, int]]) -> dict[int, bool]:
    """Each block's entry state, from (block, starts a file, last_fixed, flips) in order."""
    state, found = False, {}
    for block, starts_file, last_fixed, flips in blocks:
        if starts_file:
            state = False
        found[block] = state
        state = exit_state(state, last_fixed, flips)
    return found


@dataclass(frozen=True)
class Blocks:
    """What each block (by its number, 0, 1, ...) needs from the others: the line its file
    starts on (its header), whether it is entered inside a quoted field, and then the line
    the record open at its start starts on.

    Read in the SQL as constants (``list_extract([...], block + 1)``; one constant when all
    blocks agree), not joined: a join would keep DuckDB from streaming the lines in parallel.
    """

    firsts: tuple[int, ...]
    entries: tuple[bool, ...] = ()
    carries: tuple[int | None, ...] = ()

    def first(self) -> str:
        return _by_block(self.firsts, "BIGINT")

    def entry(self) -> str:
        return _by_block(self.entries or (False,) * len(self.firsts), "BOOLEAN")

    def carry(self) -> str:
        return _by_block(self.carries or (None,) * len(self.firsts), "BIGINT")


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(int(value))


def _by_block(values: Sequence[object], sql_type: str) -> str:
    """SQL: the value of each row's block (``block`` 0, 1, ...), as ``sql_type``."""
    if len(set(values)) == 1:
        return f"CAST({_literal(values[0])} AS {sql_type})"
    listed = ", ".join(_literal(v) for v in values)
    return f"CAST(list_extract([{listed}], CAST(block AS INTEGER) + 1) AS {sql_type})"


def states_sql(delimiter: str, blocks: Blocks) -> str:
    """Each line with ``inside`` (the state it starts in) and ``exits`` (the state it ends in),
    from the blocks' entry states."""
    before = "(flips_upto - flips)"
    return f"""
        SELECT block, line, text, part_first,
               inside, CASE WHEN inside THEN stays ELSE opens END AS exits, carry
        FROM (
            SELECT *, CASE WHEN last_fixed IS NULL THEN ({_flag("entry")} + {before}) % 2 = 1
                           ELSE ((last_fixed // 2) % 2 + {before} + last_fixed % 2) % 2 = 1
                      END AS inside
            FROM (
                SELECT *, {blocks.entry()} AS entry, {blocks.first()} AS part_first,
                       {blocks.carry()} AS carry,
                       max({_LAST_FIXED}) OVER (PARTITION BY block ORDER BY line
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_fixed
                FROM ({_kinds_sql(delimiter)})))
    """


def starts_sql(delimiter: str, blocks: Blocks) -> str:
    """Per block: the last line a record starts on (to carry into the blocks after it)."""
    return (
        f"SELECT block, max(CASE WHEN NOT inside THEN line END) AS last_start "
        f"FROM ({states_sql(delimiter, blocks)}) GROUP BY block"
    )


def _joined_sql(delimiter: str, blocks: Blocks) -> str:
    """Records (``line``: where each starts, ``text``, ``unterminated``) when quoted fields
    span lines: single-line records as they are, the others' lines joined by a newline."""
    states = states_sql(delimiter, blocks)
    return f"""
        SELECT line, text, false AS unterminated, part_first FROM ({states})
        WHERE NOT inside AND NOT exits
        UNION ALL
        SELECT record AS line, string_agg(text, chr(10) ORDER BY line) AS text,
               bool_and(exits) AS unterminated, min(part_first) AS part_first
        FROM (
            SELECT *, coalesce(max(CASE WHEN NOT inside THEN line END) OVER (PARTITION BY block
                          ORDER BY line ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
                          carry) AS record
            FROM ({states}) WHERE inside OR exits)
        GROUP BY record
    """


def _single_sql(blocks: Blocks) -> str:
    """Records when no line opens a quoted field it does not close: one per line."""
    return (
        f"SELECT line, coalesce(text, '') AS text, false AS unterminated, "
        f"{blocks.first()} AS part_first FROM {LINES_VIEW}"
    )


def _unquote(value: str) -> str:
    """SQL: a field's value: a quoted one without its quotes, ``""`` as ``"``; empty: NULL."""
    inner = f"""replace(regexp_extract({value}, '(?s)^"(.*)"[ \\t]*\\z', 1), '""', '"')"""
    return f"""CASE WHEN starts_with({value}, '"') THEN {inner} ELSE nullif({value}, '') END"""


def records_sql(delimiter: str, names: Sequence[str], blocks: Blocks, *, spanning: bool) -> str:
    """SQL: every data record of a CSV log with ``line`` (where it starts), ``text``, a column
    per header name (text), ``infermodel_csv`` (``ragged``, ``malformed`` or NULL: a bad
    record's values are never read, the checks come first), ``infermodel_fields`` (its number
    of fields) and ``infermodel_cause`` (why it is malformed).

    A record without a quote is split once on the delimiter; one with quotes is matched once
    against the header's fields (one group each, ``regexp_extract`` of them all), and only a
    bad one is split field by field (``regexp_extract_all``), to count them. ``spanning``:
    some quoted field spans lines (else the faster one-line-per-record form).
    """
    patterns = Patterns(delimiter)
    d, h, alone, inside = _text(delimiter), len(names), _alone(delimiter), _in_class(delimiter)
    accepted = quote_sql(patterns.accepted(h))
    groups = "[" + ", ".join(f"'f{i + 1}'" for i in range(h)) + "]"
    raw_field = f'({_QUOTED}[ \\t]*|[^{inside}"][^{inside}]*|)'
    counted = f"array_length(regexp_extract_all({d} || text, {quote_sql(alone + raw_field)}, 1))"
    # Past the header's fields, only empty ones (a trailing delimiter) are dropped.
    plain_tail = quote_sql(f"^[^{inside}]*(?:{alone}[^{inside}]*){{{h - 1}}}(?:{alone})*\\z")
    kind = f"""CASE WHEN unterminated THEN 'malformed'
                    WHEN quoted THEN CASE WHEN fits THEN NULL
                        WHEN NOT regexp_matches(text, {quote_sql(patterns.well_formed)})
                            THEN 'malformed' ELSE 'ragged' END
                    WHEN array_length(parts) = {h} THEN NULL
                    WHEN array_length(parts) < {h} THEN 'ragged'
                    WHEN regexp_matches(text, {plain_tail}) THEN NULL
                    ELSE 'ragged' END"""
    cause = """CASE WHEN unterminated THEN 'unterminated quote: a quoted field never closes'
                    ELSE 'text after a closing quote (a quoted field ends at a delimiter)'
               END"""
    values = ", ".join(
        f"""CASE WHEN quoted THEN {_unquote(f"found.f{i + 1}")}
                 ELSE nullif(list_extract(parts, {i + 1}), '') END AS {_ident(name)}"""
        for i, name in enumerate(names)
    )
    source = _joined_sql(delimiter, blocks) if spanning else _single_sql(blocks)
    return f"""
        SELECT line, text, {values}, infermodel_csv,
               CASE WHEN quoted THEN {counted} ELSE array_length(parts) END AS infermodel_fields,
               CASE WHEN infermodel_csv = 'malformed' THEN {cause} END AS infermodel_cause
        FROM (SELECT *, {kind} AS infermodel_csv,
                     CASE WHEN fits THEN regexp_extract(text, {accepted}, {groups}) END AS found
              FROM (SELECT *, CASE WHEN quoted THEN NULL ELSE string_split(text, {d}) END
                                  AS parts,
                              quoted AND NOT unterminated AND regexp_matches(text, {accepted})
                                  AS fits
                    FROM (SELECT *, contains(text, '"') AS quoted FROM ({source})
                          WHERE line <> part_first AND (text <> '' OR unterminated))))
    """


__all__ = [
    "LINES_VIEW",
    "MAX_REJECTED_ROWS",
    "Blocks",
    "Patterns",
    "entries",
    "exit_state",
    "opens_sql",
    "records_sql",
    "starts_sql",
    "stays_sql",
    "summary_sql",
]
