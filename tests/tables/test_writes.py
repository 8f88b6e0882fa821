"""Writes of shipped tables (infermodel.tables.writes): by column name, kept bytes, atomic, locked.

Every test writes into ``tmp_path``; the lock tests hold a lock from a second process, since
one process may take its own lock again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from infermodel.tables import writes

COLUMNS = ["provider", "model_id", "usd_in", "usd_out"]
ROW = {"provider": "OpenAI", "model_id": "gpt-4o", "usd_in": "2.5", "usd_out": "10"}


def _file(tmp_path: Path, text: str, name: str = "table.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


# --------------------------------------------------------------------------------------
# By column name
# --------------------------------------------------------------------------------------


def test_rows_follow_the_files_header_order(tmp_path):
    path = _file(tmp_path, "usd_out,model_id,provider,usd_in\n99,x,Y,1\n")
    data = writes.append_rows(path, [ROW], columns=COLUMNS)
    assert data.decode().splitlines()[-1] == "10,gpt-4o,OpenAI,2.5"


def test_header_names_are_matched_after_trimming_spaces_and_a_bom(tmp_path):
    path = tmp_path / "table.csv"
    path.write_bytes(b"\xef\xbb\xbfprovider, model_id,usd_in ,usd_out\n")
    data = writes.append_rows(path, [ROW], columns=COLUMNS)
    assert data.endswith(b"OpenAI,gpt-4o,2.5,10\n")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("provider,model_id,usd_in", r"header lacks column 'usd_out' that the new rows carry"),
        ("provider,model_id,usd_in,usd_out,usd_cached", r"has column 'usd_cached' that the new"),
        ("provider,model_id,usd_input,usd_out", r"lacks column 'usd_in'"),
    ],
    ids=["lacks", "extra", "misspelled"],
)
def test_header_that_does_not_match_the_rows_is_refused_naming_the_column(
    tmp_path, header, message
):
    path = _file(tmp_path, header + "\n")
    before = path.read_bytes()
    with pytest.raises(writes.WriteRefused, match=message) as info:
        writes.append_rows(path, [ROW], columns=COLUMNS)
    assert str(info.value).startswith(f"{path}:1:") and "\n" not in str(info.value)
    assert path.read_bytes() == before


def test_row_that_lacks_or_adds_a_column_is_refused(tmp_path):
    path = _file(tmp_path, ",".join(COLUMNS) + "\n")
    short = {k: v for k, v in ROW.items() if k != "usd_out"}
    with pytest.raises(writes.WriteRefused, match=r"new row 1 lacks column 'usd_out'"):
        writes.append_rows(path, [short], columns=COLUMNS)
    with pytest.raises(writes.WriteRefused, match=r"new row 2 has unknown column 'note'"):
        writes.append_rows(path, [ROW, {**ROW, "note": "x"}], columns=COLUMNS)


def test_new_file_gets_a_header_in_the_columns_order(tmp_path):
    path = tmp_path / "new.csv"
    writes.append_rows(path, [ROW], columns=COLUMNS)
    assert path.read_text() == "provider,model_id,usd_in,usd_out\nOpenAI,gpt-4o,2.5,10\n"


def test_cells_that_need_quotes_are_quoted(tmp_path):
    path = _file(tmp_path, ",".join(COLUMNS) + "\n")
    writes.append_rows(path, [{**ROW, "model_id": 'a, "b"'}], columns=COLUMNS)
    assert path.read_text().splitlines()[-1] == 'OpenAI,"a, ""b""",2.5,10'


# --------------------------------------------------------------------------------------
# Existing bytes, line endings, mode
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("ending", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_old_bytes_are_a_prefix_and_new_lines_use_the_files_ending(tmp_path, ending):
    text = ending.join(["provider,model_id,usd_in,usd_out", 'A,"m, 1",1,2', "B,m2,3,4"]) + ending
    path = _file(tmp_path, text)
    before = path.read_bytes()
    writes.append_rows(path, [ROW, ROW], columns=COLUMNS)
    after = path.read_bytes()
    assert after.startswith(before)
    added = after[len(before) :].decode()
    assert added == f"OpenAI,gpt-4o,2.5,10{ending}" * 2
    if ending == "\r\n":
        assert after.count(b"\n") == after.count(b"\r\n")


@pytest.mark.parametrize("ending", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_file_without_a_final_newline_gets_one_in_its_own_style(tmp_path, ending):
    path = _file(tmp_path, f"provider,model_id,usd_in,usd_out{ending}A,m,1,2")
    before = path.read_bytes()
    writes.append_rows(path, [ROW], columns=COLUMNS)
    assert path.read_bytes() == before + f"{ending}OpenAI,gpt-4o,2.5,10{ending}".encode()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o664, 0o600])
def test_mode_is_kept(tmp_path, mode):
    path = _file(tmp_path, ",".join(COLUMNS) + "\n")
    path.chmod(mode)
    writes.append_rows(path, [ROW], columns=COLUMNS)
    assert path.stat().st_mode & 0o7777 == mode
    writes.replace_file(path, b"x\n")
    assert path.stat().st_mode & 0o7777 == mode


def test_new_file_gets_the_umask_mode_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        writes.replace_file(tmp_path / "new.csv", b"a\n")
    finally:
        os.umask(old)
    assert (tmp_path / "new.csv").stat().st_mode & 0o777 == 0o644


# --------------------------------------------------------------------------------------
# Atomic
# --------------------------------------------------------------------------------------


def test_failed_replace_leaves_the_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = _file(tmp_path, "old\n")

    def refuse(*_args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(writes.os, "replace", refuse)
    with pytest.raises(writes.WriteRefused, match=r"cannot replace it \(Permission denied\)"):
        writes.replace_file(path, b"new\n")
    assert path.read_bytes() == b"old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".table.csv.lock", "table.csv"]


def test_data_is_on_disk_before_the_file_is_replaced(tmp_path, monkeypatch):
    path = _file(tmp_path, "old\n")
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(writes.os, "fsync", lambda fd: calls.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(
        writes.os, "replace", lambda a, b: calls.append("replace") or real_replace(a, b)
    )
    writes.replace_file(path, b"new\n")
    assert calls[:2] == ["fsync", "replace"]
    assert path.read_bytes() == b"new\n"


def test_read_only_folder_is_a_refusal_not_a_traceback(tmp_path, monkeypatch):
    path = _file(tmp_path, "a\n")

    def refuse(**_kwargs):  # what mkstemp does in a folder one may not write in
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(writes.tempfile, "mkstemp", refuse)
    with pytest.raises(writes.WriteRefused, match=rf"{path}: cannot write in {tmp_path}"):
        writes.replace_file(path, b"b\n")
    assert path.read_bytes() == b"a\n"


# --------------------------------------------------------------------------------------
# Locked
# --------------------------------------------------------------------------------------

_HOLDER = textwrap.dedent(
    """
    import sys
    from infermodel.tables import writes
    with writes.locked(sys.argv[1]):
        print("held", flush=True)
        sys.stdin.read()
    """
)


@pytest.fixture
def held_by_another_process():
    """Hold the lock of a path from a child process until the test ends."""
    children = []

    def hold(path: Path) -> None:
        child = subprocess.Popen(
            [sys.executable, "-c", _HOLDER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(writes.__file__).parents[2])},
        )
        children.append(child)
        assert child.stdout.readline() == "held\n"

    yield hold
    for child in children:
        child.stdin.close()
        child.stdout.close()
        child.wait(timeout=30)


def test_lock_file_is_a_sidecar(tmp_path):
    assert writes.lock_path(tmp_path / "api_prices.csv") == tmp_path / ".api_prices.csv.lock"


@pytest.mark.slow
def test_second_writer_is_refused_after_the_timeout_naming_file_and_lock(
    tmp_path, held_by_another_process
):
    path = _file(tmp_path, ",".join(COLUMNS) + "\n")
    before = path.read_bytes()
    held_by_another_process(path)
    with pytest.raises(writes.WriteRefused) as info:
        writes.append_rows(path, [ROW], columns=COLUMNS, timeout=0.3)
    message = str(info.value)
    assert str(path) in message and str(writes.lock_path(path)) in message
    assert "more than 0.3 s" in message and "nothing written" in message and "\n" not in message
    assert path.read_bytes() == before


def test_lock_is_reentrant_within_a_process(tmp_path):
    path = _file(tmp_path, ",".join(COLUMNS) + "\n")
    with writes.locked(path, tmp_path / "other.csv"), writes.locked(path, timeout=0.1):
        writes.append_rows(path, [ROW], columns=COLUMNS, timeout=0.1)
    assert path.read_text().endswith("OpenAI,gpt-4o,2.5,10\n")


_APPENDER = textwrap.dedent(
    """
    import sys
    from infermodel.tables import writes
    columns = ["writer", "n"]
    for n in range(int(sys.argv[3])):
        writes.append_rows(sys.argv[1], [{"writer": sys.argv[2], "n": str(n)}], columns=columns)
    """
)


@pytest.mark.slow
def test_two_processes_appending_at_once_lose_no_row(tmp_path):
    path = _file(tmp_path, "writer,n\n")
    env = {**os.environ, "PYTHONPATH": str(Path(writes.__file__).parents[2])}
    count = 40
    children = [
        subprocess.Popen([sys.executable, "-c", _APPENDER, str(path), name, str(count)], env=env)
        for name in ("a", "b")
    ]
    assert [child.wait(timeout=120) for child in children] == [0, 0]
    lines = path.read_text().splitlines()
    assert lines[0] == "writer,n"
    assert sorted(lines[1:]) == sorted(f"{w},{n}" for w in "ab" for n in range(count))
    for writer in "ab":  # each writer's rows in its own order
        mine = [line for line in lines[1:] if line.startswith(writer)]
        assert mine == [f"{writer},{n}" for n in range(count)]
