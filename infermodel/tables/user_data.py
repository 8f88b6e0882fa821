"""Your own numbers: a user data folder, read beside the shipped tables by the same rules.

A user data folder is laid out like ``data/``: ``DIR/prices/api_prices.csv`` adds API price
rows (a reseller's price, a price you were quoted, a change a provider announced),
``DIR/prices/gpu_prices.csv`` the GPUs of a cloud the kit does not ship,
``DIR/serving_assumptions.csv`` your measured throughput, and so on for every shipped table;
two tables only a user folder holds: ``DIR/prices/contracts.csv`` (negotiated discounts and
committed spend, :mod:`infermodel.prices.negotiated`) and ``DIR/owned_gpus.csv`` (GPU
servers you own, :mod:`infermodel.tables.owned_gpus`). Which folder is in use is
:func:`infermodel.paths.user_data_dir` (``--data-dir``, the ``data_dir`` notebook parameter,
``INFERMODEL_DATA_DIR``).

:func:`read` is how every table is read: the file asked for and, when it is a shipped table
and a user folder is in use, the file of the same name in that folder, each through the same
schema and row rules (errors name the user's file and line). Every row carries where it came
from: ``data_origin`` (``shipped`` for a row of ``data/``, ``user`` for any other file),
``data_file`` (the file it was read from) and ``data_line`` (its line, the header being line
1). A user row with the key of a shipped row (the same observation, GPU, model, serving
assumption...) is refused naming both files and lines: a user folder adds rows, it never
replaces or edits shipped ones (a newer price is a row with a later ``observed_on``).

Nothing here writes into ``data/``: :func:`write_target` sends a price import's new rows to
the user folder whenever one is in use.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pandas as pd

from infermodel import paths
from infermodel._compat import pa
from infermodel.errors import InputError, Problem, TableError
from infermodel.tables.reading import RowRule, read_csv_text, read_table

#: The provenance columns every table read by :func:`read` carries.
ORIGIN_COLUMNS = ("data_origin", "data_file", "data_line")
SHIPPED, USER = "shipped", "user"
ORIGINS = (SHIPPED, USER)
#: Tables only a user folder holds (the kit ships none), by path inside the folder.
USER_ONLY = {
    "prices/contracts.csv": "negotiated discounts and committed monthly spend",
    "owned_gpus.csv": "GPU servers you own, priced per GPU-hour from their parts",
}
#: Shipped tables a user folder may not extend, and why.
NOT_EXTENDABLE = {
    "throughput_efficiency.csv": "it is fitted from the measurements "
    "(infermodel.calibration); add your points to throughput_measured.csv instead",
}


# --- which folder ------------------------------------------------------------------------


def _named_by(option: object) -> str | None:
    """What named the folder in use: an option or parameter, the environment, or nothing (an
    installed kit's default folder, :data:`infermodel.paths.DEFAULT_USER_DATA_DIR`)."""
    if (option is not None and str(option).strip()) or paths._CHOSEN:
        return "--data-dir / data_dir"
    if os.environ.get(paths.DATA_DIR_VARIABLE, "").strip():
        return paths.DATA_DIR_VARIABLE
    return None


def check_folder(folder: Path, named_by: str = "--data-dir") -> Path:
    """``folder`` if it is a readable folder other than the kit's own ``data/``; else one
    line (:class:`~infermodel.errors.InputError`) saying what is wrong."""
    folder = Path(folder)
    where = f"user data folder {folder} ({named_by})"
    if not folder.exists():
        raise InputError(f"{where}: not found; create it, or name an existing folder")
    if not folder.is_dir():
        raise InputError(f"{where}: not a folder; name a folder laid out like data/")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise InputError(f"{where}: cannot be read (permission denied)")
    shipped = paths.DATA_DIR.resolve()
    real = folder.resolve()
    if real == shipped or real.is_relative_to(shipped):
        raise InputError(
            f"{where}: is the kit's shipped data folder; a user folder is a folder of your "
            "own that holds only your rows"
        )
    return folder


def folder(option: object = None) -> Path | None:
    """The user data folder in use (:func:`infermodel.paths.user_data_dir`), checked by
    :func:`check_folder`; ``None`` when none is named (or when an installed kit's default
    folder, named by nothing, does not exist yet)."""
    found = paths.user_data_dir(option)  # type: ignore[arg-type]
    named_by = _named_by(option)
    if found is None or (named_by is None and not found.exists()):
        return None
    return check_folder(found, named_by or "the default user data folder")


def use(option: object) -> Path | None:
    """Use ``option`` as this process's user data folder (empty: the environment's, if any);
    returns the folder in use, checked with every file in it (:func:`survey`)."""
    found = folder(option)
    if found is not None:
        survey(found)
    paths.choose_user_data_dir(option if option is not None and str(option).strip() else None)
    return found


@contextlib.contextmanager
def using(option: object) -> Iterator[Path | None]:
    """:func:`use` for the length of a ``with`` block, then the previous choice again; with
    no ``option`` (``None`` or empty), the folder already in use, checked."""
    before = list(paths._CHOSEN)
    try:
        yield use(option) if option is not None and str(option).strip() else folder()
    finally:
        paths._CHOSEN[:] = before


# --- what is in it -----------------------------------------------------------------------


def shipped_names() -> list[str]:
    """Every table the kit ships, as its path inside ``data/`` (``prices/api_prices.csv``)."""
    return sorted(p.relative_to(paths.DATA_DIR).as_posix() for p in paths.DATA_DIR.rglob("*.csv"))


def known_names() -> list[str]:
    """Every table a user folder may hold: the shipped ones it may extend and its own."""
    extendable = [n for n in shipped_names() if n not in NOT_EXTENDABLE]
    return sorted({*extendable, *USER_ONLY})


def survey(found: Path) -> list[str]:
    """The tables in user folder ``found`` (paths inside it); refuses, in one line, a CSV file
    the kit does not read (with the name it may have meant) or a table a folder may not
    extend. Other files (notes, README) are left alone."""
    known = known_names()
    names = sorted(
        p.relative_to(found).as_posix()
        for p in found.rglob("*.csv")
        if not any(part.startswith(".") for part in p.relative_to(found).parts)
    )
    for name in names:
        if name in NOT_EXTENDABLE:
            why = NOT_EXTENDABLE[name]
            raise InputError(f"{found / name}: a user folder may not add to {name}: {why}")
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise InputError(
                f"{found / name}: not a table the kit reads{hint} (a user folder is laid out "
                f"like data/: {', '.join(known)})"
            )
    return [n for n in names if n in known]


def describe(found: Path | None) -> str:
    """One line saying which user folder is in use and what it holds (for people)."""
    if found is None:
        return "no user data folder (shipped data only)"
    names = survey(found)
    if not names:
        return (
            f"user data folder {found} holds no table the kit reads (expected files laid out "
            "like data/, e.g. prices/contracts.csv, owned_gpus.csv, prices/api_prices.csv); "
            "only shipped data is used"
        )
    return f"user data folder {found}: {', '.join(names)}"


def files(found: Path | None = None) -> list[dict]:
    """The tables of the user folder in use, for a run record: ``file`` (path inside the
    folder), ``rows`` and ``sha256`` of its bytes; empty when no folder is in use."""
    found = folder() if found is None else found
    if found is None:
        return []
    out = []
    for name in survey(found):
        data = (found / name).read_bytes()
        rows = len(read_csv_text(found / name))
        out.append({"file": name, "rows": rows, "sha256": hashlib.sha256(data).hexdigest()})
    return out


def shipped_name(path: Path) -> str | None:
    """``path`` inside ``data/`` (``prices/api_prices.csv``) if it is a shipped table, else
    ``None``."""
    try:
        resolved = Path(path).resolve()
    except OSError:
        return None
    shipped = paths.DATA_DIR.resolve()
    return resolved.relative_to(shipped).as_posix() if resolved.is_relative_to(shipped) else None


def user_path(name: str) -> Path | None:
    """The file ``name`` (a path inside ``data/``) in the user folder in use, if it exists."""
    found = folder()
    if found is None:
        return None
    candidate = found / name
    return candidate if candidate.is_file() else None


# --- reading -----------------------------------------------------------------------------


def tag(table: pd.DataFrame, path: Path, origin: str) -> pd.DataFrame:
    """``table`` (as read, index = row number) with its :data:`ORIGIN_COLUMNS`."""
    return table.assign(
        data_origin=origin, data_file=str(path), data_line=(table.index + 2).astype(int)
    )


def _keys(schema: pa.DataFrameSchema) -> list[list[str]]:
    keys = [list(schema.unique)] if schema.unique else []
    return keys + [[name] for name, column in schema.columns.items() if column.unique]


def _clash_field(key: list[str]) -> str:
    return next((c for c in key if c != "provider"), key[0])


def clashes(table: pd.DataFrame, schema: pa.DataFrameSchema) -> list[Problem]:
    """User rows with the key of a row of another file (a shipped one): one problem each,
    naming both files and lines."""
    problems = []
    for key in _keys(schema):
        if not set(key) <= set(table.columns):
            continue
        first = table.drop_duplicates(key, keep="first").set_index(key)
        twice = table[table.duplicated(key, keep="first")]
        for _, row in twice.iterrows():
            other = first.loc[tuple(row[key]) if len(key) > 1 else row[key[0]]]
            words = ", ".join(key)
            field = _clash_field(key)
            problems.append(
                Problem(
                    Path(row["data_file"]),
                    int(row["data_line"]),
                    field,
                    row[field],
                    f"the same {words} as {other['data_file']} line {int(other['data_line'])}; "
                    "a user folder adds rows, it never replaces a shipped one (a newer price "
                    "is a row with a later observed_on; a private offering needs its own name)",
                )
            )
    return problems


def empty(schema: pa.DataFrameSchema, dates: Sequence[str] = ()) -> pd.DataFrame:
    """An empty table with ``schema``'s columns (its date columns, and ``dates``, as dates)
    and the origin columns."""
    columns = {
        name: pd.Series(
            dtype="datetime64[ns]"
            if name in dates or "datetime" in str(column.dtype).lower()
            else object
        )
        for name, column in schema.columns.items()
    }
    return pd.DataFrame(
        {
            **columns,
            "data_origin": pd.Series(dtype=object),
            "data_file": pd.Series(dtype=object),
            "data_line": pd.Series(dtype=int),
        }
    )


def read(
    path: Path,
    schema: pa.DataFrameSchema,
    *,
    rules: Sequence[RowRule] = (),
    if_absent: Callable[[], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Read a table: ``path`` and, when it is a shipped table and a user folder is in use,
    the file of the same name in that folder, through ``schema`` and ``rules``.

    ``if_absent`` makes a missing file an empty table (that callable gives its empty form);
    without it a missing ``path`` is an error. Rows carry :data:`ORIGIN_COLUMNS`; a user
    row that repeats a shipped row's key is refused (:func:`clashes`). Returns the rows of
    ``path`` first, then the user's, on a fresh index.
    """
    path = Path(path)
    name = shipped_name(path)
    frames = []
    if path.is_file() or if_absent is None:
        frames.append(tag(read_table(path, schema, rules=rules), path, SHIPPED if name else USER))
    extra = user_path(name) if name is not None else None
    if extra is not None:
        frames.append(tag(read_table(extra, schema, rules=rules), extra, USER))
    if not frames:
        table = if_absent()  # type: ignore[misc]
        for column, dtype in zip(ORIGIN_COLUMNS, (object, object, int), strict=True):
            table[column] = pd.Series(dtype=dtype)
        return table
    table = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    table = table.reset_index(drop=True)
    if len(frames) > 1:
        problems = clashes(table, schema)
        if problems:
            raise TableError(problems)
    return table


def read_user_only(
    name: str,
    schema: pa.DataFrameSchema,
    *,
    rules: Sequence[RowRule] = (),
    path: Path | None = None,
) -> pd.DataFrame:
    """A table only a user folder holds (:data:`USER_ONLY`): ``path`` when given, else
    ``name`` in the user folder in use; empty (:func:`empty`) when there is none."""
    found = Path(path) if path is not None else user_path(name)
    if found is None:
        return empty(schema)
    return tag(read_table(found, schema, rules=rules), found, USER).reset_index(drop=True)


# --- writing -----------------------------------------------------------------------------


def write_folder() -> Path | None:
    """The folder new rows of shipped tables are written into: the user folder in use; an
    installed kit's default folder (created by the writer) when none is named; ``None`` in a
    checkout with no folder, whose ``data/`` is then written (its maintainers' source)."""
    found = folder()
    if found is not None:
        return found
    if paths.INSTALLED:
        default = paths.user_data_dir()
        if default is None:  # pragma: no cover - an installed kit always has a default
            raise InputError(
                "nowhere to write: an installed kit never writes into its own files; name a "
                f"user data folder with --data-dir DIR or {paths.DATA_DIR_VARIABLE}=DIR"
            )
        return default
    return None


def write_target(shipped: Path) -> Path:
    """Where new rows of the shipped table ``shipped`` are written: the same-named file in
    :func:`write_folder` (created with every column when absent, by the writer), else the
    shipped file itself (a checkout with no user folder)."""
    name = shipped_name(shipped)
    into = write_folder()
    return into / name if into is not None and name is not None else Path(shipped)


def origin_of(frame: pd.DataFrame) -> pd.Series:
    """``data_origin`` of each row of ``frame`` (``shipped`` where it has none)."""
    if "data_origin" in frame:
        return frame["data_origin"].fillna(SHIPPED).astype(object)
    return pd.Series(SHIPPED, index=frame.index, dtype=object)
