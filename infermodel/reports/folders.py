"""Where a report may be written, and writes that cannot destroy what the kit did not make.

The rules (each refusal is one line naming the path and what would be valid):

- **Target.** ``infermodel report --out DIR`` writes only into a folder that does not exist
  yet, is empty, or is a previous infermodel report: it holds a ``run_record.json`` (a JSON
  object) and nothing but what a report holds (``index.html``, ``run_record.json``, the
  notebooks' ``.html`` pages and ``.ipynb`` files named in the record, ``tables/`` with the
  tables named in the record). Refused: an empty path (an unset variable in a cron line),
  ``.`` or the current folder, the kit's checkout or any folder holding it, anything inside
  ``data/``, ``notebooks/``, the package, ``.git`` or ``.venv``, the kit's ``reports/``
  folder itself, and a file (:func:`check_target`).
- **Swap.** A report is built in a staging folder ``.<name>.building-<stamp>-<pid>`` beside
  the target and moved into place only when complete; only a previous report is moved aside
  (to ``.<name>.replaced-<stamp>-<pid>``) and, after the swap, emptied of the files its run
  record says the kit wrote (``files``); anything else found there stays, with the folder
  (:func:`swap`, :func:`remove_report`). A link is never a file the kit wrote, and a
  ``.ipynb`` never is (executed notebooks are not published).
- **Reports index.** The ``index.html`` listing reports is written in a folder only when it is
  a *reports folder*: the kit's ``reports/``, or a folder whose every visible entry is a
  report, an empty folder, or an index this kit wrote (:func:`is_reports_folder`); always
  atomically (:func:`write_atomic`).
- **Leftovers.** A staging or replaced folder of a run that was killed is removed (or, when
  the new report never arrived, the replaced one is put back) at the next run in that
  folder, once its process is gone or it is older than :data:`STALE_HOURS`
  (:func:`sweep`). ``.failed/`` keeps the newest :data:`KEEP_FAILED` failed runs of each
  report name (:func:`keep_failed`).
- **Busy.** A second build into the same target while the first runs is refused.

This module imports nothing from the rest of :mod:`infermodel.reports`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import re
import shutil
from pathlib import Path

from infermodel import paths
from infermodel.errors import InputError, ReportError

#: Staging and replaced folders older than this are swept even if their process id is alive
#: (a process id can be reused) [hours].
STALE_HOURS = 24
#: Failed runs kept per report name under ``.failed/``.
KEEP_FAILED = 3
#: The title of the reports index page; an ``index.html`` with it was written by this kit.
INDEX_TITLE = "<title>infermodel reports</title>"

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_LEFTOVER = re.compile(
    r"^\.(?P<name>.+)\.(?P<kind>building|replaced)-(?P<stamp>\d{8}T\d{6}Z)-(?P<pid>\d+)$"
)
_FAILED = re.compile(r"^(?P<name>.+)-(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<pid>\d+))?$")
_VALID = "valid: a new or empty folder, or a previous infermodel report (e.g. reports/my-run)"


def _protected() -> dict[Path, str]:
    """Folders of the kit nothing may be written into, with their names for messages."""
    root = paths.ROOT_DIR.resolve()
    return {
        paths.DATA_DIR.resolve(): "data/",
        paths.NOTEBOOKS_DIR.resolve(): "notebooks/",
        paths.PACKAGE_DIR.resolve(): "the infermodel package",
        root / ".git": ".git",
        root / ".venv": ".venv",
    }


def check_target(out: object) -> Path:
    """The resolved report folder ``out`` names, if a report may be written there.

    Raises :class:`InputError` (exit status 2) naming the path and what would be valid.
    """
    text = os.fspath(out) if isinstance(out, os.PathLike) else str(out)
    if not text.strip():
        raise InputError(f"--out is empty (an unset variable?); {_VALID}")
    try:
        return _check_target(text)
    except InputError:
        raise
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte, a loop of links
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError(f"--out {text!r} cannot be used: {reason}; {_VALID}") from None


def _check_target(text: str) -> Path:
    path = Path(text)
    if path == Path("."):
        raise InputError(f"--out {text!r} is the current folder; {_VALID}")
    target = path.resolve()
    root = paths.ROOT_DIR.resolve()
    if target == root or root.is_relative_to(target):
        raise InputError(
            f"--out {text!r} is the kit's checkout {root} or a folder holding it; {_VALID}"
        )
    for folder, name in _protected().items():
        if target.is_relative_to(folder):
            raise InputError(f"--out {text!r} is inside {name} (the kit's own files); {_VALID}")
    if target == paths.REPORTS_DIR.resolve():
        raise InputError(
            f"--out {text!r} is the reports folder itself; valid: a new or empty folder inside "
            f"it, or a previous report there (e.g. {paths.REPORTS_DIR.name}/my-run)"
        )
    if target == Path.cwd().resolve():
        raise InputError(f"--out {text!r} is the current folder; {_VALID}")
    if target.exists() and not target.is_dir():
        raise InputError(f"--out {text!r} is a file, not a folder; {_VALID}")
    problem = not_replaceable(target)
    if problem:
        raise InputError(f"--out {text!r} {problem}; {_VALID}")
    return target


def read_record(folder: Path) -> dict | None:
    """``folder/run_record.json`` as a dict, or None when there is none or it is not one."""
    try:
        record = json.loads((folder / "run_record.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None


def kit_names(record: dict) -> tuple[set[str], set[str]]:
    """(entries, table files) a report with ``record`` may hold: what the kit wrote.

    A record lists every file the build published (``files``, since issue 23); an older
    record names its pages and tables. The executed notebooks are never published, so a
    ``.ipynb`` in a report folder is someone's own file, whatever its name.
    """
    files = record.get("files")
    if isinstance(files, list):
        names = [str(f) for f in files]
        entries = {n for n in names if _plain(n)}
        tables = {n.removeprefix("tables/") for n in names if n.startswith("tables/")}
        # Every build makes tables/, even when no notebook saves a table in it.
        return entries | {"tables"}, {t for t in tables if _plain(t)}
    entries = {"index.html", "run_record.json", "tables"}
    tables = set()
    for run in record.get("notebooks") or []:
        if not isinstance(run, dict):
            continue
        entries |= {str(run["html"])} if run.get("html") else set()
        tables |= {str(t) for t in run.get("tables") or [] if not isinstance(t, (list, dict))}
    return {e for e in entries if _plain(e)}, {t for t in tables if _plain(t)}


def _plain(name: str) -> bool:
    """A file name inside its folder: no folder part, not ``.`` or ``..`` (a run record is
    read from a folder that may hold anything: it names no file elsewhere)."""
    return bool(name) and "/" not in name and "\0" not in name and name not in (".", "..")


def _kit_file(path: Path) -> bool:
    """A plain file (a link, even to a file, is not one the kit wrote)."""
    return path.is_file() and not path.is_symlink()


def not_replaceable(folder: Path) -> str:
    """Why a report may not be written into ``folder`` (empty string: it may).

    It may when it does not exist, is empty, or is a previous report holding only what the
    kit wrote there.
    """
    if not folder.exists():
        return ""
    try:
        entries = sorted(p.name for p in folder.iterdir())
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if not entries:
        return ""
    record = read_record(folder)
    if record is None:
        return (
            f"is a folder that is not an infermodel report (it holds {entries[0]!r} and no "
            "run_record.json)"
        )
    return _foreign_files(folder, record)


def _foreign_files(folder: Path, record: dict) -> str:
    """Why ``folder`` holds something the kit did not write there ("" when it does not)."""
    names, table_names = kit_names(record)
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
        foreign = [
            p.name
            for p in entries
            if p.name not in names or (p.name != "tables" and not _kit_file(p))
        ]
        tables = folder / "tables"
        if not foreign and (tables.is_symlink() or (tables.exists() and not tables.is_dir())):
            foreign = ["tables"]
        if not foreign and tables.is_dir():
            foreign = [
                f"tables/{p.name}"
                for p in sorted(tables.iterdir(), key=lambda p: p.name)
                if p.name not in table_names or not _kit_file(p)
            ]
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if foreign:
        return f"is a report holding {foreign[0]!r}, which infermodel did not write there"
    return ""


def is_report(folder: Path) -> bool:
    """``folder`` is a non-empty previous infermodel report (see :func:`not_replaceable`)."""
    return folder.is_dir() and read_record(folder) is not None and not not_replaceable(folder)


def is_reports_folder(folder: Path) -> bool:
    """``folder`` is where a reports index belongs.

    The kit's ``reports/``, or a folder whose every visible entry (hidden ones such as
    ``.failed`` are skipped) is a report, an empty folder, or a reports index this kit wrote.
    """
    folder = Path(folder).resolve()
    if folder == paths.REPORTS_DIR.resolve():
        return True
    try:
        entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError:
        return False
    return all(_belongs_in_reports_folder(entry) for entry in entries)


def _belongs_in_reports_folder(entry: Path) -> bool:
    try:
        if entry.name == "index.html" and entry.is_file():
            return INDEX_TITLE in entry.read_text(encoding="utf-8", errors="replace")
        if entry.is_dir() and not entry.is_symlink():
            return is_report(entry) or not any(entry.iterdir())
    except OSError:
        return False
    return False


def write_atomic(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` through a temporary file and :func:`os.replace`.

    A reader sees the old file or the new one, never half of one; the new file gets the
    mode a new file gets (the umask), not a temporary file's 0600.
    """
    target = Path(target)
    if target.is_symlink():  # written through: the link stays, the file it names is replaced
        target = Path(os.path.realpath(target))
    temporary = target.with_name(f".{target.name}.writing-{os.getpid()}")
    try:
        with open(temporary, "x", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def stamp_now() -> str:
    return dt.datetime.now(dt.UTC).strftime(STAMP_FORMAT)


def _age_hours(stamp: str) -> float:
    started = dt.datetime.strptime(stamp, STAMP_FORMAT).replace(tzinfo=dt.UTC)
    return (dt.datetime.now(dt.UTC) - started).total_seconds() / 3600


def pid_alive(pid: int) -> bool:
    """A process with this id exists (ours or another user's)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False
    return True


def sweep(parent: Path, name: str) -> list[Path]:
    """Remove what killed runs left in ``parent`` for report ``name``; refuse a busy target.

    A staging folder whose process is gone (or older than :data:`STALE_HOURS`) is removed; a
    replaced report is removed when the new one is in place, else put back. Returns what
    was removed. Raises :class:`ReportError` when another live build is writing ``name``.
    """
    removed = []
    try:
        leftovers = [p for p in parent.iterdir() if _LEFTOVER.match(p.name)]
    except OSError:
        return removed
    for path in sorted(leftovers):
        match = _LEFTOVER.match(path.name)
        pid, stamp = int(match["pid"]), match["stamp"]
        if pid == os.getpid():
            continue
        stale = not pid_alive(pid) or _age_hours(stamp) > STALE_HOURS
        if not stale:
            if match["name"] == name:
                raise ReportError(
                    f"{parent / name} is busy: another infermodel report (process {pid}, "
                    f"started {stamp}) is building it; wait for it or choose another --out"
                )
            continue
        if match["kind"] == "replaced" and not (parent / match["name"]).exists():
            path.rename(parent / match["name"])  # the new report never arrived: restore
            continue
        if match["kind"] == "replaced":
            if remove_report(path):
                continue  # it holds someone's file: kept, as the swap left it
        else:
            shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def staging_folder(parent: Path, name: str) -> Path:
    """A new, empty staging folder for report ``name`` in ``parent``."""
    staging = parent / f".{name}.building-{stamp_now()}-{os.getpid()}"
    try:
        staging.mkdir()
        (staging / "tables").mkdir()
    except OSError as exc:
        raise folder_error(parent, exc) from None
    return staging


def folder_error(folder: Path, exc: OSError) -> ReportError:
    """One line for an output-folder fault: read-only, busy, full, missing..."""
    reason = exc.strerror or str(exc)
    hint = {
        errno.EACCES: "it is read-only for you; choose --out in a folder you can write",
        errno.EPERM: "it is read-only for you; choose --out in a folder you can write",
        errno.EROFS: "it is on a read-only file system; choose --out elsewhere",
        errno.EBUSY: "it is in use (a mount point, or open elsewhere); choose another --out",
        errno.ENOSPC: "the disk is full; free space or choose --out elsewhere",
        errno.EXDEV: "the staging folder and the target are on different file systems",
    }.get(exc.errno, "nothing was published")
    return ReportError(f"cannot write the report in {folder}: {reason} ({hint})")


def swap(staging: Path, target: Path) -> Path | None:
    """Move ``staging`` into place as ``target``, replacing only a previous report.

    ``target`` is checked again (it may have changed during the build); a previous report
    is moved aside and removed only after the new one is in place (:func:`remove_report`).
    Returns where the previous report was kept when it held a file the kit did not write
    (saved there during the swap), else None.
    """
    problem = "is a file" if target.exists() and not target.is_dir() else not_replaceable(target)
    if problem:
        raise ReportError(
            f"{target} {problem} (it changed during the build); nothing was published and "
            f"the built report is in {staging}"
        )
    replaced = None
    try:
        if target.exists() and any(target.iterdir()):
            replaced = target.parent / f".{target.name}.replaced-{stamp_now()}-{os.getpid()}"
            target.rename(replaced)
        os.replace(staging, target)  # onto a missing or empty folder
    except OSError as exc:
        if replaced is not None and not target.exists():
            replaced.rename(target)
        raise folder_error(target.parent, exc) from None
    if replaced is not None and remove_report(replaced):
        return replaced
    return None


def remove_report(folder: Path) -> list[str]:
    """Remove a previous report: the files its record says the kit wrote, then the folders
    if they are empty. Anything else (a file saved there meanwhile) stays, with the folder;
    returns what stayed (empty: the folder is gone)."""
    record = read_record(folder) or {}
    names, table_names = kit_names(record)
    tables = folder / "tables"
    try:
        if tables.is_dir() and not tables.is_symlink():
            for name in table_names:
                if _kit_file(tables / name):
                    (tables / name).unlink()
            with contextlib.suppress(OSError):
                tables.rmdir()
        for name in names - {"tables", "run_record.json"}:
            if _kit_file(folder / name):
                (folder / name).unlink()
        left = sorted(p.name for p in folder.iterdir() if p.name != "run_record.json")
        if left:
            return left  # the record stays too: it says which files are the kit's
        (folder / "run_record.json").unlink(missing_ok=True)
        folder.rmdir()
    except OSError as exc:
        return [f"(not removed: {exc.strerror})"]
    return []


def keep_failed(staging: Path, target: Path) -> Path | None:
    """Move a failed run's staging folder to ``.failed/<name>-<stamp>-<pid>``; keep only the
    newest :data:`KEEP_FAILED` of that report name. Returns where it went (None: it could
    not be kept and was removed)."""
    stamp_pid = staging.name.rsplit(".building-", 1)[-1]
    failed = target.parent / ".failed" / f"{target.name}-{stamp_pid}"
    try:
        failed.parent.mkdir(exist_ok=True)
        staging.rename(failed)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        return None
    prune_failed(failed.parent, target.name)
    return failed


def prune_failed(failed_dir: Path, name: str, keep: int = KEEP_FAILED) -> list[Path]:
    """Remove all but the newest ``keep`` failed runs of report ``name``; return the removed."""
    runs = []
    for path in failed_dir.iterdir():
        match = _FAILED.match(path.name)
        if match and match["name"] == name and path.is_dir():
            runs.append(((match["stamp"], int(match["pid"] or 0)), path))
    runs.sort()
    removed = [path for _, path in runs[:-keep]] if keep else [p for _, p in runs]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed
