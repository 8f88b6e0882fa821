"""What a report records about how it was built: commit, package versions, data hash.

A published record holds no absolute path, user name or host name of the machine that built
it: :func:`public` rewrites every path in it relative to the report (inside the report), to
the kit's checkout (inside the checkout), to ``~`` (inside the home folder), or else to
``.../<name>``.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pandas as pd

from infermodel import paths
from infermodel.tables.registry import data_hash

_PACKAGES = (
    "infermodel",
    "numpy",
    "pandas",
    "pandera",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "nbformat",
    "ipykernel",
)


def git_commit(root: Path = paths.ROOT_DIR) -> str:
    """The checkout's commit, with ``-dirty`` when files differ from it, or ``unknown``.

    An installed kit has no checkout (a git repository around its folder is the user's, not
    the kit's): its version is the record."""
    if paths.INSTALLED and root == paths.ROOT_DIR:
        return "none: installed package"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a report depends on."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def provenance() -> pd.DataFrame:
    """Library version, git commit, price-data hash and package versions, as a table."""
    rows = {"git commit": git_commit(), "price and spec data (sha256)": data_hash()}
    rows.update(package_versions())
    return pd.DataFrame({"item": list(rows), "value": list(rows.values())})


_ABSOLUTE = re.compile(r"(?<![\w.~])/[^\s'\"=,;:]+")


def public_path(text: str, report_dir: Path | None = None) -> str:
    """An absolute path written so that it names nothing of the build machine."""
    path = Path(os.path.normpath(text))
    bases = [(Path(report_dir).resolve(), ".")] if report_dir is not None else []
    bases += [(paths.ROOT_DIR.resolve(), "."), (Path.home().resolve(), "~")]
    for base, shown in bases:
        if path == base or path.is_relative_to(base):
            relative = path.relative_to(base).as_posix()
            if shown == ".":
                return relative if relative != "." else "."
            return f"{shown}/{relative}" if relative != "." else shown
    return f".../{path.name}" if path.name else "..."


def public(value: object, report_dir: Path | None = None) -> object:
    """``value`` (a record, a list, text) with every absolute path made public."""
    if isinstance(value, dict):
        return {k: public(v, report_dir) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [public(v, report_dir) for v in value]
    if isinstance(value, str):
        return _ABSOLUTE.sub(lambda m: public_path(m.group(0), report_dir), value)
    return value


def command_line(report_dir: Path | None = None) -> str:
    """The command that built the report, its paths made public."""
    program = Path(sys.argv[0]).name
    program = "infermodel" if program in ("__main__.py", "infermodel") else program
    words = [program, *sys.argv[1:]]
    return " ".join(str(public(word, report_dir)) for word in words)
