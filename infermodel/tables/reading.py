"""Reading shipped CSV tables through a declared schema, with errors a person can act on.

Every table under ``data/`` is read here: cells are read as text, empty cells become
missing values, and a pandera schema coerces types and checks units, ranges, allowed values,
required provenance and unique keys. A table that breaks a rule raises
:class:`~infermodel.errors.TableError` listing every problem as
``file:line: field 'name' = value: rule`` (line numbers count the header as line 1), so a bad
row is found without opening a debugger. The schemas themselves are in
:mod:`infermodel.tables`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from infermodel._compat import SchemaError, SchemaErrors, pa, pandas_engine
from infermodel.checks import not_a_file
from infermodel.errors import Problem, TableError

__all__ = ["Problem", "RowRule", "TableError", "date_column", "read_table", "row_problems"]


def today() -> pd.Timestamp:
    """Today's date (local), the latest date an observation may carry."""
    return pd.Timestamp.today().normalize()


def not_after_today(column: str) -> pa.Check:
    """A check that a date column holds no date in the future."""
    return pa.Check(
        lambda s: s <= today(), element_wise=False, error=f"{column} must not be in the future"
    )


def date_column(name: str) -> pa.Column:
    """A required ``YYYY-MM-DD`` date column, no date in the future (no format guessing)."""
    return pa.Column(
        pandas_engine.DateTime(to_datetime_kwargs={"format": "%Y-%m-%d"}),
        not_after_today(name),
    )


def optional_date_column(name: str) -> pa.Column:
    """A ``YYYY-MM-DD`` date column that may be empty or absent, no date in the future."""
    return pa.Column(
        pandas_engine.DateTime(to_datetime_kwargs={"format": "%Y-%m-%d"}),
        not_after_today(name),
        nullable=True,
        required=False,
    )


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row, checked after the schema; reported on ``field``.

    ``valid`` maps the validated table to a boolean Series, true where a row obeys the rule.
    """

    field: str
    valid: Callable[[pd.DataFrame], pd.Series]
    rule: str


def read_csv_text(path: Path) -> pd.DataFrame:
    """Read a CSV with every cell as stripped text and empty cells as missing.

    Each row's index label is its line in the file minus 2 (the header is line 1), so that
    ``label + 2``, which every message shows, is the line an editor shows also after a blank
    line or a quoted field that spans lines.
    """
    path = Path(path)
    problem = not_a_file(path)
    if problem:
        rule = "file not found" if problem == "does not exist" else problem
        raise TableError([Problem(path, None, None, None, rule)])
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise TableError(
            [Problem(path, 1, None, None, "empty: no header line (the table's columns)")]
        ) from None
    except UnicodeDecodeError:
        data = path.read_bytes()
        try:
            data.decode("utf-8")
            at = 0
        except UnicodeDecodeError as exc:
            at = exc.start
        rule = f"not UTF-8 text (byte {at:,}: {data[at : at + 1]!r}); save it as UTF-8"
        raise TableError([Problem(path, data.count(b"\n", 0, at) + 1, None, None, rule)]) from None
    except pd.errors.ParserError as exc:
        raise TableError([Problem(path, None, None, None, f"not a readable CSV: {exc}")]) from exc
    _refuse_repeated_header(path)
    frame = frame.apply(lambda column: column.str.strip())
    lines = _record_lines(path)
    if (
        lines is not None
        and len(lines) == len(frame) + 1
        and lines[1:] != list(range(2, len(frame) + 2))
    ):
        frame.index = pd.Index([line - 2 for line in lines[1:]])
    return frame.replace("", pd.NA)


def _refuse_repeated_header(path: Path) -> None:
    """A header naming a column twice: pandas reads the second as ``name.1``, and every row
    then broke the schema (a thousand problems for one slip); say it once, on line 1."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            header = next((r for r in csv.reader(handle) if any(f.strip() for f in r)), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return
    names = [name.strip() for name in header]
    twice = [name for i, name in enumerate(names) if name and name in names[:i]]
    if twice:
        rule = "the header names this column twice; each column once"
        raise TableError([Problem(path, 1, twice[0], None, rule)])


def _record_lines(path: Path) -> list[int] | None:
    """The line (1-based) on which each non-blank CSV record starts, the header first."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            lines, start = [], 1
            for record in reader:
                if len(record) > 1 or (record and record[0].strip()):  # pandas skips blanks
                    lines.append(start)
                start = reader.line_num + 1
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return lines


def _problems_from(path: Path, errors: SchemaErrors) -> list[Problem]:
    cases = errors.failure_cases
    problems: list[Problem] = []
    # A value that fails to coerce also fails the dtype check and every value check of its
    # column; report only the coercion.
    uncoercible = set()
    missing = False
    for case in cases.itertuples(index=False):
        if str(case.check).startswith("coerce_dtype"):
            uncoercible.add(case.column)
        missing = missing or str(case.check) == "column_in_dataframe"
    for case in cases.itertuples(index=False):
        check = str(case.check)
        if case.column in uncoercible and not check.startswith("coerce_dtype"):
            continue
        # A key with a missing column is incomplete: its duplicates say nothing.
        if missing and check == "multiple_fields_uniqueness":
            continue
        index = case.index
        line = None if index is None or pd.isna(index) else int(index) + 2
        if check == "column_in_schema":
            rule = "unexpected column (not in the schema: check its spelling and unit)"
            problems.append(Problem(path, 1, str(case.failure_case), None, rule))
            continue
        if check == "column_in_dataframe":
            problems.append(
                Problem(path, 1, str(case.failure_case), None, "required column missing")
            )
            continue
        if check.startswith("coerce_dtype"):
            wanted = check.removeprefix("coerce_dtype('").removesuffix("')")
            rule = {"float64": "must be a number", "int64": "must be a whole number"}.get(
                wanted, "must be a date YYYY-MM-DD" if "datetime" in wanted else f"must be {wanted}"
            )
        elif check == "not_nullable":
            rule = "required (empty)"
        elif check in ("field_uniqueness", "multiple_fields_uniqueness"):
            rule = "duplicate key (another row has the same key)"
        elif check.startswith("isin("):
            rule = f"must be one of {check.removeprefix('isin(').removesuffix(')')}"
        else:
            rule = check
        problems.append(Problem(path, line, case.column, case.failure_case, rule))
    unique: dict[tuple, Problem] = {}
    for problem in problems:
        unique.setdefault((problem.line, problem.field, problem.rule), problem)
    return sorted(unique.values(), key=lambda p: (p.line or 0, p.field or ""))


def validate(frame: pd.DataFrame, schema: pa.DataFrameSchema, path: Path) -> pd.DataFrame:
    """Coerce and check ``frame`` against ``schema``; raise :class:`TableError` on any break."""
    try:
        return schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        raise TableError(_problems_from(Path(path), exc)) from None
    except SchemaError as exc:  # pragma: no cover - lazy validation collects errors instead
        raise TableError([Problem(Path(path), None, None, None, str(exc))]) from None


def with_optional_columns(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """``frame`` with every optional column of ``schema`` it lacks added empty, in the
    schema's order (a file written before a column was added reads as if it were empty)."""
    missing = [
        name for name, column in schema.columns.items() if not column.required and name not in frame
    ]
    if not missing:
        return frame
    frame = frame.assign(**{name: pd.Series(np.nan, index=frame.index) for name in missing})
    order = [name for name in schema.columns if name in frame]
    return frame[order + [c for c in frame.columns if c not in order]]


def read_table(
    path: Path, schema: pa.DataFrameSchema, *, rules: Sequence[RowRule] = ()
) -> pd.DataFrame:
    """Read ``path``, validate it against ``schema``, then check the row ``rules``.

    Optional columns the file lacks come back empty (:func:`with_optional_columns`).
    """
    table = validate(with_optional_columns(read_csv_text(path), schema), schema, path)
    problems = [
        problem
        for rule in rules
        for problem in row_problems(table, ~rule.valid(table), path, rule.field, rule.rule)
    ]
    if problems:
        raise TableError(sorted(problems, key=lambda p: (p.line or 0, p.field or "")))
    return table


def where(row: pd.Series, index: object, path: Path) -> tuple[Path, int]:
    """(file, line) of a row: its ``data_file`` and ``data_line`` when it carries them (a
    table read by :func:`infermodel.tables.user_data.read`), else line ``index + 2`` of ``path``."""
    if "data_file" in row and "data_line" in row and pd.notna(row["data_file"]):
        return Path(row["data_file"]), int(row["data_line"])
    return Path(path), int(index) + 2


def row_problems(
    frame: pd.DataFrame, mask: pd.Series, path: Path, field: str, rule: str
) -> list[Problem]:
    """One :class:`Problem` per row of ``frame`` where ``mask`` is true.

    A row read from a file says where it came from (``data_file``, ``data_line``: tables
    read with :func:`infermodel.tables.user_data.read`, shipped and a user's rows together); other
    rows are line ``index + 2`` of ``path``.
    """
    where = "data_file" in frame and "data_line" in frame
    return [
        Problem(
            Path(frame.loc[index, "data_file"]) if where else Path(path),
            int(frame.loc[index, "data_line"]) if where else int(index) + 2,
            field,
            frame.loc[index, field],
            rule,
        )
        for index in frame.index[mask.fillna(True).astype(bool)]
    ]
