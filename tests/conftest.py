"""Shared fixtures: a throw-away copy of the shipped data tables, the README's Python examples,
the test process's one Spark session (plain helpers: ``helpers.py``)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from infermodel import paths
from infermodel.errors import DataError, InputError
from infermodel.readers.logs import engines


@pytest.fixture(scope="session")
def spark_session():
    """The one local Spark session (``local[2]``) of this test process, shared by every Spark
    test: a process has one session, and a master asked for while another runs is refused."""
    try:
        return engines.spark_session("local[2]")
    except (InputError, DataError) as exc:
        pytest.fail(f"Spark cannot start, so the spark engine is untested: {exc}", pytrace=False)


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
