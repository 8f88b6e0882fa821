"""Bad input is one clear line, never a traceback, and it blames the right thing (issue 23).

Tracebacks: a deeply nested JSON price file, a YAML tag in a ``-p`` value, a manifest naming a
file that is not a notebook (the traceback echoed its first bytes), an empty
``api_prices.csv``. Unclear: a bad row in a shipped table blamed the user's valid ``--as-of``;
a folder, pipe or device given as a log or bill was "not found".
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest
from helpers import TEST_DATA

from infermodel import cli, paths, tables
from infermodel.errors import ReportError, TableError
from infermodel.reports import folders, manifest
from infermodel.tables import registry

TRACE = TEST_DATA / "traces" / "azure2023_conv.csv"
BILL = TEST_DATA / "bills" / "real_openai_anthropic.csv"


def one_error_line(err: str) -> str:
    assert "Traceback" not in err and "this is a bug" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("infermodel: error:")]
    assert len(lines) == 1, err
    return lines[0]


def run(capsys, *argv) -> tuple[int, str]:
    status = cli.main([str(a) for a in argv])
    return status, capsys.readouterr().err


# --- tracebacks ----------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["litellm", "genai-prices"])
def test_a_deeply_nested_json_price_file_is_one_line(tmp_path, capsys, source):
    path = tmp_path / "prices_2026-12-01.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    where = [str(path)] if source == "litellm" else ["--file", str(path)]
    status, err = run(capsys, "prices", "import", source, *where)
    line = one_error_line(err)
    assert status == 1
    assert "JSON nested deeper than Python can read" in line and "not a price file" in line


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("!!python/object:os.system ls", "holds the YAML tag !!python/object:os.system"),
        ("!!binary aGVsbG8=", "holds the YAML tag !!binary"),
        ("!custom 1", "holds the YAML tag !custom"),
        ("[&a x, *a]", "holds a YAML anchor or alias (a)"),
    ],
)
def test_a_yaml_tag_or_anchor_in_a_parameter_is_one_line(tmp_path, capsys, value, said):
    status, err = run(
        capsys, "report", "--out", tmp_path / "r", "-p", f"serving_assumptions={value}"
    )
    line = one_error_line(err)
    assert status == 2
    assert "article_20m_table.ipynb: parameter 'serving_assumptions': " in line and said in line
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_a_key_given_twice_in_a_parameter_is_refused(tmp_path, capsys):
    # YAML keeps the last of two keys without a word: -p 'usd_per={EUR: 1.08, EUR: 2}'.
    status, err = run(capsys, "report", "--quarter", "2026Q3", "--out", tmp_path / "r",
                      "-p", f"bill_path={BILL}", "-p", "usd_per={EUR: 1.08, EUR: 2}")  # fmt: skip
    line = one_error_line(err)
    assert status == 2
    assert "parameter 'usd_per': '{EUR: 1.08, EUR: 2}' gives the key 'EUR' twice" in line


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"SECRET-TOKEN not json at all\n", "not JSON"),
        (bytes(range(128, 256)) * 3, "not UTF-8 text"),
        (b'{"cells": 5, "nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "not nbformat's"),
    ],
    ids=["text", "binary", "not a notebook's layout"],
)
def test_a_manifest_naming_a_broken_notebook_is_one_line(tmp_path, capsys, content, why):
    (tmp_path / "broken.ipynb").write_bytes(content)
    (tmp_path / "m.yml").write_text("title: t\nnotebooks:\n  - path: broken.ipynb\n")
    status, err = run(capsys, "report", "--manifest", tmp_path / "m.yml", "--out", tmp_path / "r")
    line = one_error_line(err)
    assert status == 1
    assert f"broken.ipynb: not a Jupyter notebook that can be run ({why}" in line
    assert "SECRET-TOKEN" not in err  # the file's bytes are not echoed


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("title: t\nnotebooks: []\nnotebooks: []\n", "it gives the key 'notebooks' twice (line 3)"),
        ("title: !!python/name:os.system\nnotebooks: []\n", "the YAML tag !!python/name:os.system"),
    ],
)
def test_a_manifest_in_odd_yaml_is_refused(tmp_path, text, said):
    (tmp_path / "m.yml").write_text(text)
    with pytest.raises(ReportError, match="cannot read the report manifest") as caught:
        manifest.Manifest.load(tmp_path / "m.yml")
    assert said in str(caught.value)


@pytest.mark.parametrize("content", ["", "\n\n"], ids=["empty", "blank lines"])
@pytest.mark.slow
def test_an_empty_price_table_is_one_line(tmp_data, content):
    path = tmp_data / "prices" / "api_prices.csv"
    path.write_text(content)
    with pytest.raises(TableError) as caught:
        tables.load_api_prices(path)
    assert str(caught.value.problems[0]) == (
        f"{path}:1: empty: no header line (the table's columns)"
    )
    with pytest.raises(TableError, match="empty: no header line"):
        registry.validate_all(tmp_data)


# --- unclear messages ---------------------------------------------------------------------


@pytest.fixture
def broken_shipped_row(tmp_data, monkeypatch):
    """The shipped api_prices.csv with line 6's confidence 'sure', read by every command."""
    path = tmp_data / "prices" / "api_prices.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines[5] = lines[5].replace(",confirmed,", ",sure,", 1)
    path.write_text("".join(lines))
    real = tables.load_api_prices
    monkeypatch.setattr(tables, "load_api_prices", functools.partial(real, path))
    return path


@pytest.mark.parametrize(
    "argv",
    [["table"], ["break-even"], ["trace", str(TRACE)]],
    ids=["table", "break-even", "trace"],
)
def test_a_bad_shipped_row_is_blamed_not_the_users_as_of(broken_shipped_row, capsys, argv):
    status, err = run(capsys, *argv, "--as-of", "2025-05-31")
    assert status == 1
    assert "invalid parse value" not in err and "Traceback" not in err
    assert f"{broken_shipped_row}:6: field 'confidence' = 'sure': must be one of" in err
    assert "(read to check --as-of 2025-05-31)" in err


def _special_files(folder: Path) -> dict[str, Path]:
    pipe = folder / "pipe.csv"
    os.mkfifo(pipe)
    link = folder / "gone.csv"
    link.symlink_to(folder / "nowhere.csv")
    return {
        "folder": (folder, "is a folder, not a file"),
        "named pipe": (pipe, "is a named pipe (FIFO): the kit reads a file more than once"),
        "device": (Path("/dev/null"), "is a device, not a file"),
        "link to nothing": (link, "is a link to"),
        "missing": (folder / "none.csv", "not found"),
    }


@pytest.mark.parametrize("kind", ["folder", "named pipe", "device", "link to nothing", "missing"])
def test_a_log_or_bill_that_is_no_file_says_what_it_is(tmp_path, capsys, kind):
    path, said = _special_files(tmp_path)[kind]
    for command, what in (("trace", "log"), ("bill", "bill")):
        expected = said
        if command == "trace" and kind == "folder":
            # A log may be a folder of part files (issue 28): this one's first part (by name)
            # is the link to nothing, named as what it is, not "not found".
            expected = f"part {tmp_path / 'gone.csv'}: is a link to"
        status, err = run(capsys, command, path)
        line = one_error_line(err)
        assert status == 2
        assert line.startswith(f"infermodel: error: {what} {path}: {expected}"), line


def test_a_run_record_naming_files_elsewhere_removes_nothing_there(tmp_path):
    # A planted run_record.json may not steer the swap to files outside the report.
    victim = tmp_path / "victim.csv"
    victim.write_text("precious")
    old = tmp_path / "reports" / "r"
    (old / "tables").mkdir(parents=True)
    (old / "run_record.json").write_text(
        '{"files": ["run_record.json", "tables/../../../victim.csv", "../../victim.csv"]}'
    )
    assert folders.remove_report(old) == []
    assert victim.read_text() == "precious"
    deep = tmp_path / "reports" / "q"
    deep.mkdir()
    (deep / "run_record.json").write_text("[" * 100_000 + "]" * 100_000)
    assert folders.read_record(deep) is None  # was a RecursionError
    assert paths.REPORTS_DIR.name == "reports"
