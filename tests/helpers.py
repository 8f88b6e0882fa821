"""Plain helpers the test files share (fixtures live in ``conftest.py``).

Importable as ``helpers`` from any test folder (``pythonpath = ["tests"]`` in pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

from infermodel import cli

#: The suite's own fixtures (``tests/data/README.md`` says where each comes from).
TEST_DATA = Path(__file__).resolve().parent / "data"


def run(capsys, *argv) -> tuple[int, str, str]:
    """Run ``infermodel ARGV...`` in this process: (exit status, stdout, stderr)."""
    status = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def one_line(err: str) -> str:
    """The one line of an error on stderr (no traceback, ``infermodel: error: ...``)."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("infermodel: error: ")
    return lines[0]
