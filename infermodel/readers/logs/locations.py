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
so that a log rewritten at the same path is a new log to every engine and cache.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from infermodel.errors import InputError

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
    """

    name: str
    spark: str
    size: int
    modified: int


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
            digest.update(f"{part.name}\0{part.size}\0{part.modified}\n".encode())
        return digest.hexdigest()[:16]

    @property
    def size(self) -> int:
        """Bytes stored in all parts. [bytes]"""
        return sum(part.size for part in self.parts)

    def changed(self) -> bool:
        """Whether a local part was rewritten or removed since it was listed (else False)."""
        if not self.local:
            return False
        for part in self.parts:
            try:
                stat = os.stat(part.name)
            except OSError:
                return True
            if (stat.st_size, stat.st_mtime_ns) != (part.size, part.modified):
                return True
        return False


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
    return Part(str(path), spark_uri(path), stat.st_size, stat.st_mtime_ns)


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

    Raises :class:`InputError` (one line) when nothing is there.
    """
    name = local_name(given)
    path = Path(name)
    if path.is_file():
        return LogPath(given, None, (_part(path),))
    if path.is_dir():
        files = _under(path)
        if not files:
            raise InputError(
                f"{given}: a folder with no log file in it (names starting with . or _ are "
                "skipped, as Spark skips them)"
            )
        return LogPath(given, None, tuple(_part(f) for f in files))
    if is_glob(name):
        root = len(_fixed_prefix(name))
        matched = sorted((Path(m) for m in glob.glob(name, recursive=True)), key=str)
        files = [m for m in matched if m.is_file() and not any(
            skipped(part) for part in m.parts[root:]
        )]  # fmt: skip
        if not files:
            raise InputError(f"trace file not found: no file matches {given}")
        return LogPath(given, None, tuple(_part(f) for f in files))
    raise InputError(f"trace file not found: {given}")


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
