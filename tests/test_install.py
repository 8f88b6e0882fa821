"""The kit installed from its wheel (and from its sdist) works from any folder, with no checkout.

The wheel is built from this checkout and installed into a fresh virtual environment whose
only ``infermodel`` is that wheel; its dependencies are the test environment's own, reached
through a path file (no download, and the checkout's editable install is not seen). Every
command then runs from an empty temporary folder.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from infermodel import paths

ROOT = paths.ROOT_DIR
BILL = ROOT / "tests" / "data" / "bills" / "focus" / "per_token_foundation_model_api.csv"
pytestmark = [
    pytest.mark.skipif(paths.INSTALLED, reason="builds the wheel from a checkout"),
    pytest.mark.xdist_group("install"),
    pytest.mark.slow,
]


def _build(*args: str, cwd: Path) -> None:
    subprocess.run([sys.executable, *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """The wheel built from the checkout, and the wheel built from the checkout's sdist."""
    out = tmp_path_factory.mktemp("dist")
    _build(
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        out / "direct",
        ROOT,
        cwd=ROOT,
    )
    _build("-m", "hatchling", "build", "-t", "sdist", "-d", out / "sdist", cwd=ROOT)
    (sdist,) = (out / "sdist").glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(out / "unpacked", filter="data")
    (unpacked,) = (out / "unpacked").iterdir()
    _build(
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        out / "via",
        unpacked,
        cwd=unpacked,
    )
    (direct,) = (out / "direct").glob("*.whl")
    (via_sdist,) = (out / "via").glob("*.whl")
    return {"wheel": direct, "wheel_from_sdist": via_sdist, "sdist": sdist}


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> Path:
    """A fresh virtual environment holding the wheel built from the sdist; its bin folder."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # The test environment's packages, as a plain path (its .pth files, the checkout's
    # editable install among them, are not processed from there).
    Path(site, "test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", dist["wheel_from_sdist"]],
        check=True,
        capture_output=True,
    )
    return venv / "bin"


def _in_empty_folder(bin_dir: Path, tmp_path: Path, *argv: str, check=True):
    work = tmp_path / "empty"
    work.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "INFERMODEL"))}
    env["HOME"] = str(tmp_path / "home")  # the user data folder lands under it
    # nbconvert's templates are data files of the dependencies' environment (share/jupyter)
    env["JUPYTER_PATH"] = str(Path(sys.prefix, "share", "jupyter"))
    done = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True)
    if check:
        assert done.returncode == 0, f"{argv}: {done.stderr[-3000:]}"
    return done


def test_the_wheel_carries_the_shipped_tables_and_notebooks_and_nothing_else(dist):
    names = set(zipfile.ZipFile(dist["wheel"]).namelist())
    packed = sorted(n.removeprefix("infermodel/_shipped/") for n in names if "_shipped/" in n)
    tracked = subprocess.run(
        ["git", "ls-files", "data", "notebooks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert packed == sorted(tracked)
    assert names == set(zipfile.ZipFile(dist["wheel_from_sdist"]).namelist())
    assert not [n for n in names if n.startswith(("tests/", "data/", "notebooks/"))]


def test_an_installed_kit_reads_its_packed_tables(installed, tmp_path):
    done = _in_empty_folder(
        installed,
        tmp_path,
        installed / "python",
        "-c",
        "from infermodel import paths; print(paths.INSTALLED, paths.API_PRICES_CSV.is_file())",
    )
    assert done.stdout.split() == ["True", "True"]


def test_validate_and_table_from_an_empty_folder_match_the_checkout(installed, tmp_path):
    _in_empty_folder(installed, tmp_path, installed / "infermodel", "validate")
    done = _in_empty_folder(
        installed,
        tmp_path,
        installed / "infermodel",
        "table",
        "--as-of",
        "2025-05-31",
        "--format",
        "csv",
    )
    here = subprocess.run(
        [sys.executable, "-m", "infermodel", "table", "--as-of", "2025-05-31", "--format", "csv"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == here.stdout


def test_trace_prices_a_shipped_log_by_its_name(installed, tmp_path):
    done = _in_empty_folder(
        installed,
        tmp_path,
        installed / "infermodel",
        "trace",
        "azure-code-2023",
        "--as-of",
        "2025-05-31",
        "--format",
        "csv",
    )
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert rows and all(float(r["cost_usd"]) >= 0 for r in rows)


def test_bill_reprices_a_sample_bill(installed, tmp_path):
    done = _in_empty_folder(
        installed, tmp_path, installed / "infermodel", "bill", str(BILL), "--format", "csv"
    )
    assert list(csv.DictReader(io.StringIO(done.stdout)))


def test_the_readme_python_examples_run_on_the_installed_kit(installed, tmp_path, readme_examples):
    for block in readme_examples:
        _in_empty_folder(installed, tmp_path, installed / "python", "-c", block)


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.mark.notebook
def test_report_runs_the_packed_notebooks_into_the_folder_named(installed, tmp_path):
    site = Path(
        _in_empty_folder(
            installed,
            tmp_path,
            installed / "python",
            "-c",
            "import infermodel, os; print(os.path.dirname(infermodel.__file__))",
        ).stdout.strip()
    )
    before = _files(site)
    out = tmp_path / "my-report"
    done = _in_empty_folder(installed, tmp_path, installed / "infermodel", "report", "--out", out)
    assert (out / "index.html").is_file() and (out / "tables" / "cost_table.csv").is_file()
    assert str(out) in done.stdout + done.stderr
    assert _files(site) == before  # nothing was written into the installed package
