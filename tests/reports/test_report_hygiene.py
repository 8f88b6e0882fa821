"""Nothing of the build machine in what a report publishes; nothing trusted that it did not make.

Issue 23: the request-log page and ``tables/trace_summary.csv`` carried the log's absolute
path (the run record already hid it), ``--show-code`` showed the absolute staging folder, the
default synthetic log was a fixed-name file in the shared temporary folder, reused unchecked
(a planted file was published as the report's data), and the docs said a report's kernel
uses no TCP at all.
"""

from __future__ import annotations

import html
import json
import os
import re
import stat
import tempfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from helpers import TEST_DATA

from infermodel import narrative, paths
from infermodel.readers import logs
from infermodel.readers.logs import synthetic
from infermodel.reports import kernel, manifest, notebook, pages, runner

TRACE = TEST_DATA / "traces" / "azure2023_conv.csv"


# --- paths made public --------------------------------------------------------------------


def test_scrub_makes_machine_paths_public_and_keeps_the_rest(tmp_path):
    staging = tmp_path / ".r.building-20261206T000000Z-1"
    text = (
        f'tables_dir = "{staging}/.tables/workload_trace"\n'
        f'log_path = "{Path.home()}/logs/a.csv"  # {paths.ROOT_DIR}/data/x.csv, and\n'
        f"{tempfile.gettempdir()}/pytest-7/log.csv; https://openai.com/api/pricing; "
        "meta-llama/Llama-3.3-70B; USD/M tokens; :root {}"
    )
    assert paths.scrub(text, staging) == (
        'tables_dir = ".tables/workload_trace"\n'
        'log_path = "~/logs/a.csv"  # data/x.csv, and\n'
        ".../log.csv; https://openai.com/api/pricing; meta-llama/Llama-3.3-70B; USD/M tokens; "
        ":root {}"
    )


def test_a_saved_table_names_no_machine_path(tmp_path):
    tables_dir = tmp_path / ".r.building-x" / ".tables" / "workload_trace"
    trace = logs.read_trace(TRACE)
    summary = trace.summary()
    assert summary.loc[0, "path"] == str(TRACE)  # the library keeps the real path
    notebook.save_table(summary, "trace_summary", tables_dir)
    saved = (tables_dir / "trace_summary.csv").read_text()
    assert str(TRACE.parent) not in saved and str(paths.ROOT_DIR) not in saved
    assert pd.read_csv(tables_dir / "trace_summary.csv").loc[0, "path"] == (
        "tests/data/traces/azure2023_conv.csv"
    )


def test_the_request_log_lead_names_no_machine_path(tmp_path):
    log = tmp_path / "mine.csv"
    log.write_text(TRACE.read_text())
    trace = logs.read_trace(log)
    lead = narrative.trace_lead(trace.summary(), trace, synthetic=False, as_of="2025-05-31")
    assert str(tmp_path) not in lead and "The request log .../mine.csv, format azure" in lead


@pytest.mark.notebook
def test_show_code_shows_no_staging_folder_and_the_page_no_log_path(tmp_path):
    log = tmp_path / "private" / "requests.csv"
    log.parent.mkdir()
    log.write_text(TRACE.read_text())
    cell = nbformat.v4.new_code_cell(
        'tables_dir: str = ""  # set by the runner\nlog_path: str = ""  # a log'
    )
    cell.metadata["tags"] = ["parameters"]
    book = nbformat.v4.new_notebook()
    book.cells = [
        nbformat.v4.new_markdown_cell("# tiny\n\nA page."),
        cell,
        nbformat.v4.new_code_cell(
            "from infermodel import reports\nfrom infermodel.readers import logs\n"
            "trace = logs.read_trace(log_path)\nprint('read', log_path)\n"
            "reports.save_table(trace.summary(), 'trace_summary', tables_dir)"
        ),
    ]
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                   "language": "python"}  # fmt: skip
    nbformat.write(book, tmp_path / "tiny.ipynb")
    plan = manifest.Manifest(
        "tiny", [manifest.NotebookRun(tmp_path / "tiny.ipynb", {"log_path": str(log)})]
    )
    out = runner.build_report(tmp_path / "reports" / "r", manifest=plan, show_code=True,
                              progress=lambda _: None)  # fmt: skip
    for name in ("tiny.html", "tables/trace_summary.csv", "index.html", "run_record.json"):
        text = (out / name).read_text()
        for word in (str(tmp_path), ".building-", str(paths.ROOT_DIR)):
            assert word not in text, f"{name} holds {word!r}"
    page = html.unescape(re.sub(r"<[^>]+>", "", (out / "tiny.html").read_text()))
    assert "read .../requests.csv" in page  # the output, made public
    assert 'log_path = ".../requests.csv"' in page  # the code --show-code shows, too


# --- the synthetic log is private and checked -----------------------------------------------


@pytest.fixture
def temp_folder(tmp_path, monkeypatch):
    """The system's temporary folder, moved to ``tmp_path`` for one test."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(synthetic, "_FALLBACK", [])
    return tmp_path


def test_the_synthetic_log_lives_in_a_folder_only_its_user_can_open(temp_folder):
    path = synthetic.synthetic_log_path(requests=200)
    assert path.parent == temp_folder / f"infermodel-{os.getuid()}" / "synthetic"
    for folder in (path.parent, path.parent.parent):
        info = folder.lstat()
        assert info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) == 0o700
    assert logs.read_trace(path).summary().loc[0, "requests"] == 200


@pytest.mark.slow
def test_a_planted_synthetic_log_is_not_used(temp_folder):
    # The old fixed name in the shared folder is never read ...
    old = temp_folder / "infermodel-synthetic" / "synthetic_log_200_requests_seed0.parquet"
    old.parent.mkdir()
    synthetic.write_synthetic_log(old, requests=3)
    assert synthetic.synthetic_log_path(requests=200) != old
    # ... and a file in the private folder that is not the kit's log of that size is
    # written again: a log of 3 rows, and a link to someone else's file.
    path = synthetic.synthetic_log_path(requests=200)
    synthetic.write_synthetic_log(path, requests=3)
    assert logs.read_trace(synthetic.synthetic_log_path(requests=200)).summary().loc[
        0, "requests"
    ] == 200  # fmt: skip
    path.unlink()
    path.symlink_to(old)
    again = synthetic.synthetic_log_path(requests=200)
    assert not again.is_symlink() and logs.read_trace(again).summary().loc[0, "requests"] == 200
    assert logs.read_trace(old).summary().loc[0, "requests"] == 3  # the other file untouched


def test_a_per_user_folder_taken_by_someone_else_is_not_used(temp_folder):
    # Another user (or a link) holding the per-user name: a fresh private folder is used.
    taken = temp_folder / f"infermodel-{os.getuid()}"
    elsewhere = temp_folder / "elsewhere"
    elsewhere.mkdir(mode=0o777)
    taken.symlink_to(elsewhere)
    path = synthetic.synthetic_log_path(requests=200)
    assert not str(path).startswith(str(taken)) and not path.is_relative_to(elsewhere)
    assert stat.S_IMODE(path.parent.lstat().st_mode) == 0o700
    assert list(elsewhere.iterdir()) == []


# --- the kernel's one TCP port ------------------------------------------------------------


def _listening_tcp(pid: int) -> list[str]:
    """Local addresses of the TCP sockets process ``pid`` listens on (Linux /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                address, port = fields[1].split(":")
                found.append(f"{address}:{int(port, 16)}")
    return found


@pytest.mark.notebook
@pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="needs Linux /proc")
def test_a_report_kernel_listens_on_one_localhost_tcp_port_only(tmp_path):
    # What reports/kernel.py says: the channels are Unix sockets; ipykernel's IOPub pipe
    # for forked processes is the one TCP port, on 127.0.0.1 (0100007F).
    import asyncio

    async def check() -> list[str]:
        with kernel.ipc_kernels() as kernels:
            options = kernels.options(1)
            manager = kernel.IPCKernelManager(config=options["config"])
            await manager.start_kernel()
            try:
                client = manager.client()
                client.start_channels()
                await client.wait_for_ready(timeout=60)
                client.stop_channels()
                return _listening_tcp(manager.provisioner.process.pid)
            finally:
                await manager.shutdown_kernel(now=True)

    listening = asyncio.run(check())
    assert len(listening) == 1 and listening[0].startswith("0100007F:"), listening


def test_the_kernel_docs_name_the_tcp_pipe():
    said = kernel.__doc__
    assert "One localhost TCP port remains" in said and "127.0.0.1" in said
    assert "not localhost TCP" not in said


def test_render_scrubs_only_text(tmp_path):
    book = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(f"x = '{paths.ROOT_DIR}/data/x.csv'")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=f"{Path.home()}/secret.csv\n"),
        nbformat.v4.new_output(
            "display_data",
            data={"text/plain": f"{paths.ROOT_DIR}", "image/png": "iVBORw0K/root/+abc="},
        ),
    ]
    book.cells = [cell]
    pages.scrub_notebook(book, tmp_path)
    assert book.cells[0].source == "x = 'data/x.csv'"
    assert book.cells[0].outputs[0]["text"] == "~/secret.csv\n"
    assert book.cells[0].outputs[1]["data"]["text/plain"] == "."
    assert book.cells[0].outputs[1]["data"]["image/png"] == "iVBORw0K/root/+abc="
    assert json.dumps(book)  # still a notebook
