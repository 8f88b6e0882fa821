"""The report runner cannot destroy, leaks nothing of the build machine, and fails in one line.

Destructive cases run against a scratch copy of the kit (``kit``: the checkout copied into
``tmp_path``, with :mod:`infermodel.paths` pointed at it), never the real checkout.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from infermodel import cli, errors, paths
from infermodel.reports import folders, manifest, pages, record, runner

ROOT = paths.ROOT_DIR
SKIP = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".*_cache", ".hypothesis")


def copy_kit(target: Path) -> Path:
    """A copy of the checkout (no .git/.venv/caches) at ``target``, with an empty .git and
    .venv so the rules about them can be tried."""
    shutil.copytree(ROOT, target, ignore=SKIP)
    (target / ".git").mkdir()
    (target / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (target / ".venv").mkdir()
    return target


@pytest.fixture
def kit(tmp_path, monkeypatch) -> Path:
    """A scratch copy of the kit; :mod:`infermodel.paths` and the working folder point at it."""
    root = copy_kit(tmp_path / "kit")
    for name, value in {
        "ROOT_DIR": root,
        "PACKAGE_DIR": root / "infermodel",
        "DATA_DIR": root / "data",
        "NOTEBOOKS_DIR": root / "notebooks",
        "REPORTS_DIR": root / "reports",
    }.items():
        monkeypatch.setattr(paths, name, value)
    monkeypatch.chdir(root)
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def tiny_notebook(path: Path, body: str = "") -> Path:
    """A notebook with the runner's parameters that saves one table, then runs ``body``."""
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell(
        'value: int = 1  # a number\nlabel: str = "x"  # a text\n'
        'tables_dir: str = ""  # set by the runner'
    )
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# tiny"),
        parameters,
        nbformat.v4.new_code_cell(
            "import pandas as pd\nfrom infermodel import reports\n"
            "reports.save_table(pd.DataFrame({'value': [value]}), 'values', "
            "tables_dir)\nprint('value is', value)"
        ),
    ]
    if body:
        notebook.cells.append(nbformat.v4.new_code_cell(body))
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, path)
    return path


def tiny(path: Path, body: str = "", **parameters) -> manifest.Manifest:
    return manifest.Manifest("tiny", [manifest.NotebookRun(tiny_notebook(path, body), parameters)])


def fake_report(folder: Path, *, extra: str | None = None) -> Path:
    """A folder that looks like a report the kit built (no kernel needed)."""
    (folder / "tables").mkdir(parents=True)
    (folder / "tables" / "values.csv").write_text("value\n1\n")
    (folder / "tiny.html").write_text("<html>old</html>")
    (folder / "index.html").write_text("<html>old index</html>")
    entry = {
        "name": "tiny",
        "notebook": "tiny.ipynb",
        "html": "tiny.html",
        "tables": ["values.csv"],
    }
    (folder / "run_record.json").write_text(
        json.dumps({"generator": "infermodel", "notebooks": [entry]})
    )
    if extra:
        (folder / extra).write_text("mine")
    return folder


def one_error_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("infermodel: error:")]
    assert len(lines) == 1, err
    return lines[0]


# --------------------------------------------------------------------------------------
# Writes that cannot destroy: which folders a report may be written to
# --------------------------------------------------------------------------------------

REFUSED = {
    "empty (unset variable)": ("", "--out is empty"),
    "blank": ("  ", "--out is empty"),
    "dot": (".", "current folder"),
    "the checkout": ("{root}", "the kit's checkout"),
    "an ancestor of the checkout": ("..", "the kit's checkout"),
    "data": ("data", "inside data/"),
    "data/prices": ("data/prices", "inside data/"),
    "a new folder in data": ("data/new-report", "inside data/"),
    "notebooks": ("notebooks", "inside notebooks/"),
    "the package": ("infermodel/reports", "inside the infermodel package"),
    ".git": (".git", "inside .git"),
    ".venv": (".venv/lib", "inside .venv"),
    "the reports folder": ("reports", "the reports folder itself"),
    "an existing file": ("README.md", "is a file"),
    "a folder of other files": ("tests", "not an infermodel report"),
}


@pytest.mark.parametrize(("out", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_cli_refuses_a_dangerous_out_folder_and_changes_nothing(kit, capsys, out, message):
    before = snapshot(kit)
    status = cli.main(["report", "--out", out.format(root=kit)])
    line = one_error_line(capsys.readouterr().err)
    assert status == 2
    assert message in line and "valid: a new or empty folder" in line
    assert snapshot(kit) == before


def test_a_report_holding_a_file_the_kit_did_not_write_is_not_replaced(tmp_path):
    report = fake_report(tmp_path / "r", extra="notes.txt")
    with pytest.raises(errors.InputError, match=r"holding 'notes\.txt'"):
        folders.check_target(report)
    (report / "notes.txt").unlink()
    (report / "tables" / "mine.csv").write_text("x\n")
    with pytest.raises(errors.InputError, match=r"holding 'tables/mine\.csv'"):
        folders.check_target(report)


@pytest.mark.parametrize("state", ["missing", "empty", "previous report"])
def test_valid_targets(tmp_path, state):
    target = tmp_path / "r"
    if state == "empty":
        target.mkdir()
    elif state == "previous report":
        fake_report(target)
    assert folders.check_target(target) == target.resolve()


def test_swap_replaces_only_a_previous_report_and_removes_it_after(tmp_path):
    target = fake_report(tmp_path / "r")
    staging = folders.staging_folder(tmp_path, "r")
    (staging / "index.html").write_text("new")
    folders.swap(staging, target)
    assert (target / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # old copy gone, no staging


def test_swap_checks_the_target_again(tmp_path):
    target = tmp_path / "r"
    staging = folders.staging_folder(tmp_path, "r")
    target.mkdir()
    (target / "yours.txt").write_text("precious")  # appeared during the build
    with pytest.raises(errors.ReportError, match="changed during the build"):
        folders.swap(staging, target)
    assert (target / "yours.txt").read_text() == "precious"


# --------------------------------------------------------------------------------------
# The reports index: only in a reports folder, atomically
# --------------------------------------------------------------------------------------


def test_reports_folder_rule(tmp_path, kit):
    assert folders.is_reports_folder(paths.REPORTS_DIR)  # the kit's, with its README.md
    reports = tmp_path / "reports"
    fake_report(reports / "a")
    (reports / "empty").mkdir()
    (reports / ".failed").mkdir()
    assert folders.is_reports_folder(reports)
    pages.write_reports_index(reports)
    assert folders.INDEX_TITLE in (reports / "index.html").read_text()
    assert folders.is_reports_folder(reports)  # its own index does not disqualify it
    (reports / "notes.txt").write_text("mine")
    assert not folders.is_reports_folder(reports)
    (reports / "notes.txt").unlink()
    (reports / "index.html").write_text("<title>my page</title>")
    assert not folders.is_reports_folder(reports)
    with pytest.raises(errors.ReportError, match="not a reports folder"):
        pages.write_reports_index(reports)
    assert (reports / "index.html").read_text() == "<title>my page</title>"


def test_reports_index_is_written_atomically_with_a_normal_mode(tmp_path):
    fake_report(tmp_path / "a")
    (tmp_path / "index.html").write_text(f"<html>{folders.INDEX_TITLE}</html>")
    target = pages.write_reports_index(tmp_path)
    assert "a/index.html" in target.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.notebook
def test_a_build_beside_other_files_writes_no_index_there(tmp_path, capfd):
    home = tmp_path / "home"
    home.mkdir()
    (home / "index.html").write_text("<title>my own page</title>")
    out = runner.build_report(home / "r", manifest=tiny(tmp_path / "tiny.ipynb"), progress=print)
    assert (out / "index.html").is_file()
    assert (home / "index.html").read_text() == "<title>my own page</title>"
    assert "no reports index written" in capfd.readouterr().out


# --------------------------------------------------------------------------------------
# Leftovers: killed runs, busy folders, .failed/
# --------------------------------------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_sweep_removes_the_staging_folders_of_dead_runs_only(tmp_path):
    stamp = folders.stamp_now()
    dead = tmp_path / f".r.building-{stamp}-{_dead_pid()}"
    old = tmp_path / f".r.building-20200101T000000Z-{os.getppid()}"  # alive, but days old
    other = tmp_path / f".q.building-{stamp}-{os.getppid()}"  # alive, another report
    mine = tmp_path / ".r.building-notastamp-1"  # not a name the kit makes
    for folder in (dead, old, other, mine):
        folder.mkdir()
    removed = folders.sweep(tmp_path, "r")
    assert sorted(removed) == sorted([dead, old])
    assert other.is_dir() and mine.is_dir()


def test_a_replaced_report_of_a_killed_swap_is_put_back(tmp_path):
    replaced = fake_report(tmp_path / f".r.replaced-{folders.stamp_now()}-{_dead_pid()}")
    folders.sweep(tmp_path, "r")
    assert folders.is_report(tmp_path / "r") and not replaced.exists()


def test_a_second_build_into_a_busy_folder_is_refused(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / f".r.building-{folders.stamp_now()}-{sleeper.pid}").mkdir()
        with pytest.raises(errors.ReportError, match=r"r is busy: another infermodel report"):
            folders.sweep(tmp_path, "r")
    finally:
        sleeper.kill()
        sleeper.wait()


def test_failed_runs_are_pruned_to_the_newest_few_per_report(tmp_path):
    failed = tmp_path / ".failed"
    names = [f"r-2026010{i}T000000Z-{i}" for i in range(1, 6)] + ["q-20260101T000000Z"]
    for name in names:
        (failed / name).mkdir(parents=True)
    staging = folders.staging_folder(tmp_path, "r")
    kept = folders.keep_failed(staging, tmp_path / "r")
    left = sorted(p.name for p in failed.iterdir())
    assert kept.name in left and "q-20260101T000000Z" in left
    assert len([n for n in left if n.startswith("r-")]) == folders.KEEP_FAILED
    assert "r-20260101T000000Z-1" not in left


@pytest.mark.notebook
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("jobs", [1, 2], ids=["in the command", "in two workers"])
def test_a_signal_removes_the_staging_folder(tmp_path, signum, jobs):
    # One notebook at a time runs in the command's process; two at a time in two spawned
    # workers, which the build must stop with their kernels, printing nothing but one line.
    names = ["slow-a", "slow-b"][:jobs]
    for name in names:
        running = tmp_path / f"running-{name}"  # the cell writes it once the kernel runs it
        code = f"import pathlib, time\npathlib.Path({str(running)!r}).touch()\ntime.sleep(120)"
        tiny_notebook(tmp_path / f"{name}.ipynb", code)
    listed = "".join(f"  - path: {name}.ipynb\n" for name in names)
    (tmp_path / "m.yml").write_text(f"title: t\nnotebooks:\n{listed}")
    reports = tmp_path / "reports"
    argv = ["report", "--manifest", str(tmp_path / "m.yml"), "--out", str(reports / "r")]
    build = subprocess.Popen(
        [sys.executable, "-m", "infermodel", *argv, "--jobs", str(jobs)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    started = [tmp_path / f"running-{name}" for name in names]
    deadline = time.monotonic() + 120
    while not all(p.exists() for p in started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all(p.exists() for p in started), "the notebooks' cells never started"
    build.send_signal(signum)
    try:
        # Generous: on a loaded 2-core machine the stop (kernels killed, staging removed)
        # has taken over a minute; a build that never stops fails here with its stderr.
        _, err = build.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        build.kill()
        _, err = build.communicate()
        pytest.fail(f"the build did not stop within 180 s of {signum!r}; stderr:\n{err}")
    assert build.returncode == 1
    line = one_error_line(err)
    assert f"interrupted by {signal.Signals(signum).name}" in line
    assert [p.name for p in reports.iterdir()] == []
    assert [line for line in err.splitlines() if not line.startswith("[")] == [line]


# --------------------------------------------------------------------------------------
# Faults: one line naming the notebook, the folder or the cause
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_read_only_output_folder_is_one_line(tmp_path, monkeypatch, capsys):
    # Simulated (the tests may run as root, whom a mode 0555 folder does not stop).
    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if ".building-" in self.name:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    status = cli.main(["report", "--out", str(tmp_path / "r"), "-p", "utilization=0.5"])
    line = one_error_line(capsys.readouterr().err)
    assert status == 1
    assert f"cannot write the report in {tmp_path}: Permission denied" in line
    assert "read-only" in line


def test_a_really_read_only_output_folder_is_one_line(tmp_path):
    # A folder the OS refuses to write in: chmod 555 for a user; root ignores modes, so for
    # root the kernel's own /sys (where even root may not create a folder).
    if os.geteuid() == 0:
        parent = Path("/sys")
        with pytest.raises(errors.ReportError, match="cannot write the report in /sys"):
            runner.build_report(
                parent / f"infermodel-{os.getpid()}", manifest=tiny(tmp_path / "t.ipynb")
            )
        return
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        with pytest.raises(errors.ReportError, match="cannot write the report"):
            runner.build_report(parent / "r", manifest=tiny(tmp_path / "t.ipynb"))
    finally:
        parent.chmod(0o755)


def test_a_busy_output_folder_is_one_line(tmp_path, monkeypatch):
    target = fake_report(tmp_path / "r")
    staging = folders.staging_folder(tmp_path, "r")

    def busy(*_):
        raise OSError(errno.EBUSY, "Device or resource busy")

    monkeypatch.setattr(os, "replace", busy)
    with pytest.raises(errors.ReportError, match=r"Device or resource busy \(it is in use"):
        folders.swap(staging, target)
    assert folders.is_report(target)  # the previous report was put back


@pytest.mark.notebook
def test_a_kernel_that_dies_is_one_line_naming_the_notebook_and_cell(tmp_path, capfd):
    tiny_notebook(tmp_path / "dies.ipynb", "import os\nos._exit(1)")
    (tmp_path / "m.yml").write_text("title: t\nnotebooks:\n  - path: dies.ipynb\n")
    out = tmp_path / "reports" / "r"
    status = cli.main(["report", "--manifest", str(tmp_path / "m.yml"), "--out", str(out)])
    line = one_error_line(capfd.readouterr().err)
    assert status == 1
    assert "dies.ipynb: the kernel died in cell #4" in line
    assert not out.exists()
    kept = list((out.parent / ".failed").iterdir())
    assert len(kept) == 1 and (kept[0] / "dies.ipynb").is_file()


@pytest.mark.notebook
def test_a_worker_that_is_killed_is_one_line_not_a_hang(tmp_path, capfd):
    # The kernel's parent is the pool worker running the notebook: kill it outright, as the
    # out-of-memory killer would. The pool would wait for its lost task for ever.
    tiny_notebook(tmp_path / "a.ipynb", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)")
    tiny_notebook(tmp_path / "b.ipynb", "import time\ntime.sleep(1)")
    listed = "  - path: a.ipynb\n  - path: b.ipynb\n"
    (tmp_path / "m.yml").write_text(f"title: t\nnotebooks:\n{listed}")
    out = tmp_path / "reports" / "r"
    argv = ["report", "--manifest", str(tmp_path / "m.yml"), "--out", str(out), "--jobs", "2"]
    started = time.monotonic()
    status = cli.main(argv)
    line = one_error_line(capfd.readouterr().err)
    assert status == 1 and time.monotonic() - started < 120
    assert "a notebook worker process stopped (killed by signal 9)" in line
    assert "a.ipynb" in line and not out.exists()


# --------------------------------------------------------------------------------------
# Hygiene: nothing of the build machine in a published report; no TCP kernel
# --------------------------------------------------------------------------------------


def machine_words(*extra: Path) -> list[str]:
    """Strings that name the build machine: its paths, user and host names."""
    words = [str(ROOT), str(Path.home()), *map(str, extra)]
    user = Path.home().name
    if len(user) > 4:  # 'root' is a word of CSS (':root'); a real user name is not
        words.append(user)
    host = socket.gethostname()
    if len(host) > 3:
        words.append(host)
    return words


@pytest.mark.notebook
def test_a_published_report_names_nothing_of_the_build_machine(tmp_path, capfd):
    out = tmp_path / "reports" / "r"
    built = runner.build_report(
        out,
        manifest=tiny(tmp_path / "tiny.ipynb", label=str(ROOT / "notebooks" / "x.csv")),
        progress=lambda _: None,
    )
    err = capfd.readouterr().err
    assert "without encryption" not in err and "Kernel is running over TCP" not in err
    published = sorted(p.relative_to(built).as_posix() for p in built.rglob("*"))
    assert published == [
        "index.html",
        "run_record.json",
        "tables",
        "tables/values.csv",
        "tiny.html",
    ]
    for name in published:
        if (built / name).is_file():
            text = (built / name).read_text(encoding="utf-8")
            for word in machine_words(tmp_path, built / "tables"):
                assert word not in text, f"{name} holds {word!r}"
    saved = json.loads((built / "run_record.json").read_text())
    assert saved["notebooks"][0]["parameters"] == {"label": "notebooks/x.csv"}
    assert saved["generator"].startswith("infermodel")


def test_public_paths():
    report = Path("/srv/reports/r")
    assert record.public("/srv/reports/r/tables", report) == "tables"
    assert record.public(str(ROOT / "data" / "x.csv"), report) == "data/x.csv"
    assert record.public(str(Path.home() / "logs" / "a.csv"), report) == "~/logs/a.csv"
    assert record.public("--out=/mnt/build/2026Q3", report) == "--out=.../2026Q3"
    assert record.public({"k": ["/opt/x/y.csv", "OpenAI · GPT-4o"]}) == {
        "k": [".../y.csv", "OpenAI · GPT-4o"]
    }
    assert record.public("meta-llama/Llama-3.3-70B and USD/M tokens") == (
        "meta-llama/Llama-3.3-70B and USD/M tokens"
    )
