"""Every write of a shipped table: by column name, under a lock, atomic, nothing else changed.

The tables under ``data/`` are history: a price import appends rows and must never reorder,
rewrite or lose one. Every write of a shipped file goes through this module:

- :func:`appended` adds rows **by column name**, in the order of the file's own header, and
  refuses a header that lacks a column the rows carry or has one they do not. The existing
  bytes are kept as they are (a prefix of the result), new lines use the file's line ending
  (``\\r\\n`` stays ``\\r\\n``), and a file without a final newline gets one first.
- :func:`replace_file` writes a whole file atomically: a temporary file in the same folder,
  ``fsync``, then :func:`os.replace`, keeping the file's permission mode. A reader sees the
  old file or the new one, never half of one.
- :func:`locked` holds an exclusive ``fcntl.flock`` on a sidecar lock file
  (``.api_prices.csv.lock`` beside ``api_prices.csv``) from reading a file to replacing it,
  so two writers take turns: the second waits (up to ``timeout`` seconds, then
  :class:`WriteRefused`) and then reads what the first wrote. The lock file stays in place:
  removing it would let a waiting writer and a new one lock different files.

Cells are given as text: formatting values is the caller's business. POSIX only (``fcntl``).
This module imports nothing from ``infermodel`` but :mod:`infermodel.errors`.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import fcntl
import io
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from infermodel.errors import DataError

#: How long a writer waits for another one to finish before refusing. [s]
LOCK_TIMEOUT_SECONDS = 60.0
#: How often a waiting writer tries the lock again. [s]
_POLL_SECONDS = 0.05

# Locks this process holds: resolved path -> (open lock file, depth). A flock is per open
# file, so taking the same lock twice in one process would wait for itself.
_HELD: dict[Path, list] = {}

__all__ = [
    "LOCK_TIMEOUT_SECONDS",
    "WriteRefused",
    "append_rows",
    "appended",
    "line_ending",
    "lock_path",
    "locked",
    "read_bytes",
    "replace_file",
]


class WriteRefused(DataError):
    """A shipped file cannot be written safely; the message names the file and why."""


def lock_path(path: Path) -> Path:
    """The sidecar lock file of ``path``: ``.NAME.lock`` in the same folder."""
    path = Path(path)
    return path.with_name(f".{path.name}.lock")


def _acquire(path: Path, timeout: float) -> None:
    held = _HELD.get(path)
    if held is not None:
        held[1] += 1
        return
    lock = lock_path(path)
    try:
        # Kept open (not a with-block) for as long as the lock is held.
        handle = open(lock, "a+b")
    except OSError as exc:
        raise WriteRefused(
            f"{path}: cannot open its lock file {lock} ({exc.strerror}); nothing written"
        ) from None
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                handle.close()
                raise WriteRefused(f"{path}: cannot lock {lock} ({exc.strerror})") from None
        if time.monotonic() >= deadline:
            handle.close()
            raise WriteRefused(
                f"{path}: another write has held its lock {lock} for more than {timeout:g} s; "
                "nothing written: try again when it has finished"
            )
        time.sleep(_POLL_SECONDS)
    _HELD[path] = [handle, 1]


def _release(path: Path) -> None:
    held = _HELD[path]
    held[1] -= 1
    if held[1] == 0:
        del _HELD[path]
        fcntl.flock(held[0].fileno(), fcntl.LOCK_UN)
        held[0].close()


@contextlib.contextmanager
def locked(*paths: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold the write lock of every path in ``paths`` (in a fixed order, so never a deadlock).

    Re-entrant within a process. Raises :class:`WriteRefused` naming the file and its lock
    file when another process holds a lock for longer than ``timeout`` seconds.
    """
    wanted = sorted({Path(p).resolve() for p in paths})
    taken: list[Path] = []
    try:
        for path in wanted:
            _acquire(path, timeout)
            taken.append(path)
        yield
    finally:
        for path in reversed(taken):
            _release(path)


def read_bytes(path: Path) -> bytes:
    """The bytes of ``path``, or ``b""`` when it does not exist yet."""
    path = Path(path)
    return path.read_bytes() if path.is_file() else b""


def line_ending(data: bytes) -> str:
    """The line ending of the first line of ``data`` (``"\\r\\n"`` or ``"\\n"``, the default)."""
    end = data.find(b"\n")
    return "\r\n" if end > 0 and data[end - 1 : end] == b"\r" else "\n"


def _header(data: bytes, path: Path) -> list[str]:
    try:
        first = data.decode("utf-8-sig").splitlines()[0]
    except UnicodeDecodeError as exc:
        raise WriteRefused(f"{path}: not UTF-8 text ({exc.reason}); nothing written") from None
    return [name.strip() for name in next(csv.reader([first]))]


def _check_columns(header: Sequence[str], columns: Sequence[str], path: Path) -> None:
    missing = [c for c in columns if c not in header]
    extra = [c for c in header if c not in columns]
    if missing:
        raise WriteRefused(
            f"{path}:1: the header lacks column {missing[0]!r} that the new rows carry; "
            "fix the header (columns: " + ", ".join(columns) + "); nothing written"
        )
    if extra:
        raise WriteRefused(
            f"{path}:1: the header has column {extra[0]!r} that the new rows do not carry; "
            "fix the header (columns: " + ", ".join(columns) + "); nothing written"
        )


def appended(
    existing: bytes,
    rows: Sequence[Mapping[str, str]],
    *,
    columns: Sequence[str],
    path: Path,
) -> bytes:
    """``existing`` with ``rows`` appended by column name; ``existing`` is a prefix of the result.

    Parameters
    ----------
    existing
        The file's current bytes; ``b""`` for a new file (a header in ``columns`` order is
        written first).
    rows
        One mapping per row, column name -> cell text; each carries exactly ``columns``.
    columns
        The columns the rows carry; the file's header must hold the same names, in any order.
    path
        The file the bytes belong to, for messages.
    """
    path = Path(path)
    for number, row in enumerate(rows, start=1):
        lacks = [c for c in columns if c not in row]
        has = [c for c in row if c not in columns]
        if lacks or has:
            what = f"lacks column {lacks[0]!r}" if lacks else f"has unknown column {has[0]!r}"
            raise WriteRefused(f"{path}: new row {number} {what}; nothing written")
    ending = line_ending(existing)
    head = existing
    if existing:
        header = _header(existing, path)
        _check_columns(header, columns, path)
        if not existing.endswith((b"\n", b"\r")):
            head += ending.encode()
    else:
        header = list(columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=ending)
    if not head:
        writer.writerow(header)
    for row in rows:
        writer.writerow([row[name] for name in header])
    return head + buffer.getvalue().encode("utf-8")


def _new_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def replace_file(path: Path, data: bytes) -> None:
    """Write ``data`` as the whole of ``path`` atomically, under its lock, keeping its mode.

    The bytes go to a temporary file in the same folder, are flushed to disk, and replace
    ``path`` in one :func:`os.replace`; a new file gets the mode the umask gives.
    """
    path = Path(path)
    with locked(path):
        mode = path.stat().st_mode & 0o7777 if path.exists() else _new_file_mode()
        try:
            handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        except OSError as exc:
            raise WriteRefused(f"{path}: cannot write in {path.parent} ({exc.strerror})") from None
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fchmod(out.fileno(), mode)
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            if isinstance(exc, OSError):
                raise WriteRefused(
                    f"{path}: cannot replace it ({exc.strerror}); the file is unchanged"
                ) from None
            raise
        _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Flush the folder entry of a replaced file to disk (best effort: not every OS can)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def append_rows(
    path: Path,
    rows: Sequence[Mapping[str, str]],
    *,
    columns: Sequence[str],
    timeout: float = LOCK_TIMEOUT_SECONDS,
) -> bytes:
    """Append ``rows`` to ``path`` by column name, under its lock, atomically; return the bytes."""
    with locked(path, timeout=timeout):
        data = appended(read_bytes(path), rows, columns=columns, path=path)
        replace_file(path, data)
    return data
