"""The errors the kit raises on purpose, one family.

Every error infermodel raises because of what it was given derives from
:class:`InfermodelError`. The command line prints these as one line (exit status 2 for bad
input, 1 for bad data or a failed report); anything else that escapes is a bug and shows its
traceback. Library users can catch :class:`InfermodelError` for "the kit refused", or a
subclass:

- :class:`InputError` (also a ``ValueError``): an argument, option or notebook parameter that
  is out of range, of the wrong kind, or names nothing that exists;
- :class:`DataError` (also a ``ValueError``): a table or file breaks a rule; ``problems``
  lists each break as ``file:line: field 'name' = value: rule``;
- :class:`NoPricesError` (also a ``LookupError``): no price was observed on or before a date;
- :class:`ReportError` (also a ``RuntimeError``): a report could not be built.

This module imports nothing from ``infermodel``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


class InfermodelError(Exception):
    """Base of every error the kit raises on purpose."""


class InputError(InfermodelError, ValueError):
    """A value a user gave is not valid; the message names it and what would be valid."""


class ParameterError(InputError):
    """A notebook parameter is unknown, of the wrong type or out of range."""


class NoPricesError(InfermodelError, LookupError):
    """No price observation exists on or before the requested date."""


class ReportError(InfermodelError, RuntimeError):
    """A report could not be built; the message says which notebook, cell or folder."""


@dataclass(frozen=True)
class Problem:
    """One broken rule in one table: where (file, line, field), the value, and the rule."""

    path: Path
    line: int | None
    field: str | None
    value: object
    rule: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else f"{self.path}"
        what = f" field '{self.field}'" if self.field else ""
        detail = f"{what}{_shown(self.value)}"
        return f"{where}:{detail}: {self.rule}" if detail else f"{where}: {self.rule}"


def _shown(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing values
        return ""
    return f" = {value!r}"


class DataError(InfermodelError, ValueError):
    """A table or file breaks its rules; ``problems`` lists each break.

    Built either from :class:`Problem` records or, for a file-level fault, from a message.
    """

    #: Problems shown in the message; the rest are counted.
    SHOWN = 50

    def __init__(self, problems: Iterable[Problem] | str):
        if isinstance(problems, str):
            self.problems: list[Problem] = []
            super().__init__(problems)
            return
        self.problems = list(problems)
        shown = "\n".join(f"  {p}" for p in self.problems[: self.SHOWN])
        more = len(self.problems) - self.SHOWN
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(f"{len(self.problems)} problem(s) in data tables:\n{shown}{tail}")


#: The name most of the kit uses for a table that breaks its schema.
TableError = DataError
