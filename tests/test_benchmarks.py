"""Every script in ``benchmarks/`` runs, at a tiny size (a smoke test: no timing is asserted).

The benchmarks are run by hand on an idle machine (``benchmarks/README.md``); nothing else
runs them, so a renamed function broke ``monte_carlo.py`` unnoticed. Each runs here as a
subprocess, as a person runs it, and must exit 0 and print its headline.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from infermodel import paths

BENCHMARKS = paths.ROOT_DIR / "benchmarks"
SMOKE = {
    "monte_carlo.py": (
        ["--draws", "2000", "--loop-draws", "20", "--repeats", "1"],
        "library speed-up over the loop",
    ),
    "peer_genai_prices.py": (["--requests", "30"], "infermodel and genai-prices agree within"),
    "trace_pricing.py": (
        ["--requests", "3000", "--sample", "20", "--threads", "1", "--memory-limit", "500MB"],
        "3,000 requests priced in",
    ),
}


def run_benchmark(name: str, *argv: str, cwd: Path = paths.ROOT_DIR) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / name), *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(paths.ROOT_DIR), "MPLBACKEND": "Agg"},
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_every_benchmark_script_has_a_smoke_test():
    scripts = {p.name for p in BENCHMARKS.glob("*.py")}
    assert scripts == {*SMOKE, "report_build.py"}


@pytest.mark.parametrize("name", sorted(SMOKE))
@pytest.mark.slow
def test_a_benchmark_runs_at_a_tiny_size(name):
    argv, headline = SMOKE[name]
    assert headline in run_benchmark(name, *argv)


@pytest.mark.notebook
def test_the_report_build_benchmark_runs_on_a_tiny_manifest(tmp_path):
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('tables_dir: str = ""  # set by the runner')
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# tiny\n\nA page."),
        parameters,
        nbformat.v4.new_code_cell("print(1 + 1)"),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}  # fmt: skip
    nbformat.write(notebook, tmp_path / "tiny.ipynb")
    (tmp_path / "tiny.yml").write_text("title: tiny\nnotebooks:\n  - path: tiny.ipynb\n")
    out = run_benchmark(
        "report_build.py", "--manifest", str(tmp_path / "tiny.yml"), "--runs", "1", "--jobs", "1"
    )
    assert "1 notebooks of tiny.yml" in out and "x the floor" in out
