"""Argument checks, written once: ranges, whole numbers, one-of, dates.

Formulas, :class:`~infermodel.workloads.Workload`, the command line's option types and the
notebook parameter check all call these, so a rule and its message are the same wherever a
value comes in. Every check names the value it refuses and says what would be valid, and
raises :class:`~infermodel.errors.InputError` (a ``ValueError``).

- :func:`number` one finite number in a range (``bool`` and text are refused);
- :func:`values_in_range` every element of a scalar, array or Series (for the formulas);
- :func:`whole` a whole number with a minimum (and maximum);
- :func:`one_of` a value from a fixed set, with "did you mean" for a near miss;
- :func:`date` a strict ``YYYY-MM-DD`` date, and :func:`describe_range` the range in words;
- :func:`not_a_file` why a path is not a readable file (a folder, a pipe, a device).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from infermodel.errors import InputError

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def describe_range(
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> str:
    """A range in words: ``in (0, 1]``, ``>= 0``, ``> 0`` or ``<= 100``."""
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return "finite"


def _outside(
    array: np.ndarray, low: float | None, high: float | None, low_open: bool, high_open: bool
) -> np.ndarray:
    outside = ~np.isfinite(array)
    if low is not None:
        outside |= array <= low if low_open else array < low
    if high is not None:
        outside |= array >= high if high_open else array > high
    return outside


def number(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    given: str | None = None,
) -> float:
    """``value`` as a float when it is one finite number in the range, else :class:`InputError`.

    E.g. ``number("utilization", 2, low=0, high=1, low_open=True)`` raises
    ``utilization must be a number in (0, 1], got 2``. ``given`` is what the message shows as
    the value (e.g. the text a person typed); ``repr(value)`` by default.
    """
    expect = f"a number {describe_range(low, high, low_open=low_open, high_open=high_open)}"
    expect = expect.replace("number finite", "finite number")
    shown = repr(value) if given is None else given
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"{name} must be {expect}, got {shown}")
    if _outside(np.asarray(float(value)), low, high, low_open, high_open):
        raise InputError(f"{name} must be {expect}, got {shown}")
    return float(value)


def values_in_range(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Check every element of a scalar, array or Series; the message shows the first bad one."""
    array = np.asarray(value, dtype=float)
    outside = _outside(array, low, high, low_open, high_open)
    if np.any(outside):
        bad = array[outside].flat[0] if array.ndim else array
        where = describe_range(low, high, low_open=low_open, high_open=high_open)
        raise InputError(f"{name} must be {where}, got {float(bad):g}")


def whole(
    name: str,
    value: object,
    *,
    minimum: int = 1,
    maximum: int | None = None,
    given: str | None = None,
) -> int:
    """``value`` as an int when it is a whole number in ``[minimum, maximum]``.

    ``given`` is what the message shows as the value; ``repr(value)`` by default.
    """
    expect = f"a whole number >= {minimum}" + (f" and <= {maximum:,}" if maximum else "")
    error = InputError(f"{name} must be {expect}, got {repr(value) if given is None else given}")
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise error
    if isinstance(value, (float, np.floating)) and (
        not math.isfinite(value) or value != int(value)
    ):
        raise error
    if value < minimum or (maximum is not None and value > maximum):
        raise error
    return int(value)


def close_matches(value: str, valid: Iterable[str], *, n: int = 3, cutoff: float = 0.6) -> str:
    """``"; did you mean 'a', 'b'?"`` for the valid names close to ``value``, else ``""``."""
    close = difflib.get_close_matches(str(value), list(valid), n=n, cutoff=cutoff)
    return f"; did you mean {', '.join(map(repr, close))}?" if close else ""


def one_of(name: str, value: object, valid: Iterable[str]) -> str:
    """``value`` when it is one of ``valid``; else an error listing them (and a near miss)."""
    valid = list(valid)
    if value not in valid:
        hint = close_matches(str(value), valid, n=1)
        raise InputError(f"{name} must be one of {', '.join(valid)}, got {value!r}{hint}")
    return str(value)


def date(value: object, *, name: str = "as-of date") -> pd.Timestamp:
    """Read a strict ``YYYY-MM-DD`` date (a ``date`` or ``Timestamp`` passes as it is).

    No format guessing: ``05/31/2025`` or ``2025-5-31`` are refused, naming ``name``.
    """
    if isinstance(value, pd.Timestamp):
        return value.normalize()
    if isinstance(value, dt.date):
        return pd.Timestamp(value).normalize()
    text = str(value).strip()
    try:
        if not _DATE.fullmatch(text):
            raise ValueError(text)
        return pd.Timestamp(dt.date.fromisoformat(text))
    except ValueError:
        raise InputError(f"{name} must be a date YYYY-MM-DD, got {text!r}") from None


def not_a_file(path: object) -> str:
    """Why ``path`` is not a file the kit can read ("" when it is one), in words.

    A folder, a named pipe, a device or a socket is not "not found": it is there, and
    something else. A pipe is refused because the kit reads a file more than once.
    """
    path = Path(os.fspath(path))
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            return f"is a link to {os.readlink(path)}, which does not exist"
        return "does not exist"
    except PermissionError:
        return "cannot be opened (permission denied)"
    except OSError as exc:
        return f"cannot be opened ({exc.strerror or type(exc).__name__})"
    kinds = (
        (stat.S_ISREG, ""),
        (stat.S_ISDIR, "is a folder, not a file: name a file in it"),
        (stat.S_ISFIFO, "is a named pipe (FIFO): the kit reads a file more than once, so save "
                        "the data to a file first"),
        (stat.S_ISCHR, "is a device, not a file"),
        (stat.S_ISBLK, "is a device, not a file"),
        (stat.S_ISSOCK, "is a socket, not a file"),
    )  # fmt: skip
    for test, why in kinds:
        if test(info.st_mode):
            return why
    return "is not a regular file"
