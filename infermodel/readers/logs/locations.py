"""Where a request log lies: one file, a folder of part files or a glob, here or on a cluster.

A log is named as its user sees it (:func:`parse`):

- a plain path (``logs/may.csv``, ``logs/``, ``logs/part-*.parquet``) or a ``file://`` URI is
  a file (or the files) of this machine, on both engines; Spark reads it as ``file://``, so a
  cluster reads it where its executors see this machine's disk (a shared mount);
- any other URI (``s3a://``, ``hdfs://``, ``abfss://``, ``gs://``, ``dbfs:/``, ``s3://``) is read
  where the data is: by Spark through its Hadoop file systems, by DuckDB through its
  extensions (``s3://`` with ``httpfs``), each engine saying in one line when it cannot.

A folder means every file under it, at any depth, except names starting with ``.`` or ``_``
(``_SUCCESS``, ``.crc`` checksums, ``_temporary``), as Spark skips them; a glob means the
files it matches (``*``, ``?``, ``[...]``; ``**`` spans folders). The parts of a log are read in
the order of their paths, as one log: their lines are numbered on, part after part, and a
bad row is reported with its part and its line in that part.

A log is identified by its parts' paths, sizes and modification times (:attr:`LogPath.identity`),
so that a log rewritten at the same path is a new log to every engine and cache. A log is
read in several scans (the checks, then the shapes and minutes that price it, later the views a
page draws); :meth:`LogPath.check` refuses a log whose local parts are no longer the files
listed (still being written, truncated, replaced), so that the rows checked are the rows priced.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from infermodel import checks
from infermodel.errors import DataError, InputError

#: A URI's scheme: two characters or more (so that ``C:\logs`` stays a path).
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")
#: Characters that make a path a glob pattern (for DuckDB, Python and Hadoop alike).
GLOB_CHARACTERS = frozenset("*?[")
#: Characters Hadoop reads as a glob in a path, escaped when a file's own name has them.
_HADOOP_GLOB = re.compile(r"([\\*?\[\]{}])")


@dataclass(frozen=True)
class Part:
    """One file of a log.

    Attributes
    ----------
    name
        As messages show it: the local path, or the URI the file system gives.
    spark
        What Spark reads: ``file://`` and the absolute path, or the URI.
    size
        Bytes stored (compressed, if it is). [bytes]
    modified
        Modification time as the file system gives it (nanoseconds since 1970 locally,
        milliseconds on a Hadoop file system). [ns or ms]
    stamp
        A local file's device, inode and status-change time [ns] (``os.stat``), so that a
        file replaced by another of the same size and modification time is told apart
        (empty at a URI).
    """

    name: str
    spark: str
    size: int
    modified: int
    stamp: tuple[int, ...] = ()


@dataclass(frozen=True)
class LogPath:
    """A log's name as given, its scheme (``None``: this machine) and its parts, in order."""

    given: str
    scheme: str | None
    parts: tuple[Part, ...]

    @property
    def local(self) -> bool:
        """Whether the parts are this machine's files (a plain path or ``file://``)."""
        return self.scheme is None

    @property
    def identity(self) -> str:
        """A digest of every part's path, size and modification time (changes on a rewrite)."""
        digest = hashlib.sha256()
        for part in self.parts:
            digest.update(f"{part.name}\0{part.size}\0{part.modified}\0{part.stamp}\n".encode())
        return digest.hexdigest()[:16]

    @property
    def size(self) -> int:
        """Bytes stored in all parts. [bytes]"""
        return sum(part.size for part in self.parts)

    def check(self) -> None:
        """Raise :class:`DataError` when a local part is no longer the file listed: gone,
        truncated, grown, rewritten or replaced (a URI's parts are the engine's to read)."""
        if not self.local:
            return
        for part in self.parts:
            try:
                now = _part(Path(part.name))
            except OSError as exc:
                raise DataError(
                    f"{part.name}: the log went away while it was read ({exc.strerror}); "
                    "nothing is priced from it"
                ) from None
            if (now.size, now.modified, now.stamp) == (part.size, part.modified, part.stamp):
                continue
            what = (
                f"its size went from {part.size:,} to {now.size:,} bytes"
                if now.size != part.size
                else "it was rewritten or replaced"
            )
            raise DataError(
                f"{part.name}: the log changed while it was read ({what}); the rows checked "
                "would not be the rows priced, so nothing is priced: read it again once it is "
                "complete (or price a copy of it)"
            )


def scheme_of(given: str) -> str | None:
    """The URI scheme of ``given`` in lower case (``"s3a"``, ``"file"``), or ``None``."""
    found = _SCHEME.match(given)
    return found.group(1).lower() if found else None


def local_name(given: str) -> str:
    """The local path a plain path or ``file://`` URI names (``file:///a%20b`` -> ``/a b``)."""
    if scheme_of(given) != "file":
        return given
    parts = urlsplit(given)
    if parts.netloc not in ("", "localhost"):
        raise InputError(
            f"{given}: a file:// URI names this machine's files (file:///path); "
            f"{parts.netloc!r} is another host: use a URI the engine reads there (hdfs://, s3a://)"
        )
    return unquote(parts.path)


def is_glob(name: str) -> bool:
    """Whether ``name`` is a pattern (it has ``*``, ``?`` or ``[``) rather than one path."""
    return any(c in GLOB_CHARACTERS for c in name)


def skipped(name: str) -> bool:
    """Whether a file or folder is skipped in a folder of parts, as Spark skips it."""
    return name.startswith((".", "_"))


def escape_glob(text: str) -> str:
    """``text`` with Hadoop's glob characters escaped, so that Spark reads it as written."""
    return _HADOOP_GLOB.sub(r"\\\1", text)


def spark_uri(path: Path) -> str:
    """``file://`` and the absolute path, Hadoop's glob characters escaped (read as written)."""
    return "file://" + escape_glob(str(path.absolute()))


def _part(path: Path) -> Part:
    stat = path.stat()
    stamp = (stat.st_dev, stat.st_ino, stat.st_ctime_ns)
    return Part(str(path), spark_uri(path), stat.st_size, stat.st_mtime_ns, stamp)


def _file_part(path: Path, given: str) -> Part:
    """``path`` as a part of the log ``given``; a folder, pipe, device or dangling link is
    refused in one line saying what it is (a pipe is read once, a log more than once)."""
    problem = checks.not_a_file(path)
    if problem:
        found = "not found" if problem == "does not exist" else problem
        named = f"log {given}" if str(path) == local_name(given) else f"log {given}: part {path}"
        raise InputError(f"{named}: {found}")
    return _part(path)


def _under(folder: Path) -> list[Path]:
    """Every file under ``folder`` (any depth), hidden and ``_`` names skipped, by path."""
    found = []
    for root, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not skipped(name)]
        found += [Path(root) / name for name in files if not skipped(name)]
    return sorted(found, key=str)


def _fixed_prefix(pattern: str) -> tuple[str, ...]:
    """The folders of a glob before its first pattern (``logs/2025/*.csv`` -> logs, 2025)."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts[:-1]:
        if is_glob(part):
            break
        fixed.append(part)
    return tuple(fixed)


def locate_local(given: str) -> LogPath:
    """The parts of a log on this machine: a file, a folder of parts or a glob.

    Raises :class:`InputError` (one line) when nothing is there, or when it (or a part) is
    there but no file (a pipe, a device, a link to nothing).
    """
    name = local_name(given)
    path = Path(name)
    if path.is_dir():
        files = _under(path)
        if not files:
            raise InputError(
                f"{given}: a folder with no log file in it (names starting with . or _ are "
                "skipped, as Spark skips them)"
            )
        return LogPath(given, None, tuple(_file_part(f, given) for f in files))
    if is_glob(name) and not os.path.lexists(name):
        root = len(_fixed_prefix(name))
        matched = sorted((Path(m) for m in glob.glob(name, recursive=True)), key=str)
        files = [m for m in matched if not m.is_dir() and not any(
            skipped(part) for part in m.parts[root:]
        )]  # fmt: skip
        if not files:
            raise InputError(f"log {given}: not found (no file matches it)")
        return LogPath(given, None, tuple(_file_part(f, given) for f in files))
    return LogPath(given, None, (_file_part(path, given),))


__all__ = [
    "GLOB_CHARACTERS",
    "LogPath",
    "Part",
    "escape_glob",
    "is_glob",
    "local_name",
    "locate_local",
    "scheme_of",
    "skipped",
    "spark_uri",
]
