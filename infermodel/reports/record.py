"""What a report records about how it was built: commit, package versions, data hash."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

from infermodel import paths
from infermodel.tables import data_hash

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
    """The checkout's commit, with ``-dirty`` when files differ from it, or ``unknown``."""
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
