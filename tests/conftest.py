"""Shared fixtures and helpers: a throw-away copy of the shipped data tables, the README's
Python examples."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from infermodel import paths


@pytest.fixture
def tmp_data(tmp_path: Path) -> Path:
    """A copy of ``data/`` under ``tmp_path`` that a test may corrupt; returns its path."""
    target = tmp_path / "data"
    shutil.copytree(paths.DATA_DIR, target)
    return target


def readme_python_blocks() -> list[str]:
    """The README's ```python blocks a user can run as they are (not the Airflow sketch)."""
    readme = (paths.ROOT_DIR / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    return [b for b in blocks if "airflow" not in b]


@pytest.fixture
def readme_examples() -> list[str]:
    """:func:`readme_python_blocks`, as a fixture."""
    return readme_python_blocks()
