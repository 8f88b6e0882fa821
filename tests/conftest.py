"""Shared fixtures: a throw-away copy of the shipped data tables."""

from __future__ import annotations

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
