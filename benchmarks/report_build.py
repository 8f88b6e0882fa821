"""The report build against its floor: the same notebooks' code as plain Python scripts.

Three ways to produce the default report's results, each timed as whole processes (wall
clock, the median of ``--runs``):

- **build**: ``infermodel report --jobs J`` (papermill, a kernel per notebook, HTML pages,
  run record, the all-or-nothing swap), J notebooks at a time;
- **naive**: the same build one notebook at a time (``--jobs 1``);
- **floor**: each notebook's code, with the same parameters injected, exported to a plain
  Python script (nbconvert) and run by ``python`` with the Agg backend, J at a time: no
  kernel, no rendering, no record.

Prints the times and the ratios build/floor and naive/floor. Run from the project root::

    .venv/bin/python benchmarks/report_build.py --runs 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from nbconvert import PythonExporter
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from infermodel import paths
from infermodel.reports import manifest as manifests
from infermodel.reports.manifest import TABLES_PARAMETER

PYTHON = sys.executable
CLI = [PYTHON, "-m", "infermodel", "report"]


def scripts(manifest_path: Path, folder: Path) -> list[Path]:
    """Each notebook of the manifest as a script with its parameters injected."""
    runs = manifests.plan(manifests.Manifest.load(manifest_path))
    out = []
    for run in runs:
        tables = folder / f"tables-{run.name}"
        tables.mkdir()
        notebook = load_notebook_node(str(run.path))  # as papermill reads it (tags, metadata)
        notebook = parameterize_notebook(
            notebook, {**run.parameters, TABLES_PARAMETER: str(tables)}
        )
        source, _ = PythonExporter().from_notebook_node(notebook)
        script = folder / f"{run.name}.py"
        script.write_text(source)
        out.append(script)
    return out


def run_scripts(found: list[Path], jobs: int) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg"}

    def one(script: Path) -> None:
        subprocess.run(
            [PYTHON, str(script)],
            cwd=paths.NOTEBOOKS_DIR,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, found))


def build(manifest: Path, out: Path, jobs: int) -> None:
    subprocess.run(
        [*CLI, "--manifest", str(manifest), "--out", str(out), "--jobs", str(jobs)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def timed(action, runs: int) -> float:
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", type=Path, default=paths.REPORT_MANIFEST)
    parser.add_argument("--jobs", type=int, default=2, help="notebooks at a time (default 2)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (median)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        found = scripts(args.manifest, scratch)
        floor = timed(lambda: run_scripts(found, args.jobs), args.runs)
        built = timed(lambda: build(args.manifest, scratch / "build", args.jobs), args.runs)
        naive = timed(lambda: build(args.manifest, scratch / "naive", 1), args.runs)
    print(f"{len(found)} notebooks of {args.manifest.name}, {args.jobs} at a time, "
          f"median of {args.runs} runs (wall clock, whole processes):")  # fmt: skip
    print(f"  floor (plain scripts, {args.jobs} at a time)   {floor:7.1f} s")
    print(f"  build (infermodel report --jobs {args.jobs})    {built:7.1f} s   "
          f"{built / floor:.2f}x the floor")  # fmt: skip
    print(f"  naive (infermodel report --jobs 1)    {naive:7.1f} s   "
          f"{naive / floor:.2f}x the floor")  # fmt: skip


if __name__ == "__main__":
    main()
