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

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from infermodel._compat import SchemaError, SchemaErrors, pa, pandas_engine
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


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row, checked after the schema; reported on ``field``.

    ``valid`` maps the validated table to a boolean Series, true where a row obeys the rule.
    """

    field: str
    valid: Callable[[pd.DataFrame], pd.Series]
    rule: str


def read_csv_text(path: Path) -> pd.DataFrame:
    """Read a CSV with every cell as stripped text and empty cells as missing."""
    path = Path(path)
    if not path.is_file():
        raise TableError([Problem(path, None, None, None, "file not found")])
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise TableError([Problem(path, None, None, None, f"not a readable CSV: {exc}")]) from exc
    frame = frame.apply(lambda column: column.str.strip())
    return frame.replace("", pd.NA)


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


def read_table(
    path: Path, schema: pa.DataFrameSchema, *, rules: Sequence[RowRule] = ()
) -> pd.DataFrame:
    """Read ``path``, validate it against ``schema``, then check the row ``rules``."""
    table = validate(read_csv_text(path), schema, path)
    problems = [
        problem
        for rule in rules
        for problem in row_problems(table, ~rule.valid(table), path, rule.field, rule.rule)
    ]
    if problems:
        raise TableError(sorted(problems, key=lambda p: (p.line or 0, p.field or "")))
    return table


def row_problems(
    frame: pd.DataFrame, mask: pd.Series, path: Path, field: str, rule: str
) -> list[Problem]:
    """One :class:`Problem` per row of ``frame`` where ``mask`` is true."""
    return [
        Problem(Path(path), int(index) + 2, field, frame.loc[index, field], rule)
        for index in frame.index[mask.fillna(True).astype(bool)]
    ]
