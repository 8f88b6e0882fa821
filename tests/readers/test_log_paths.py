"""Logs where they lie, on DuckDB: folders of parts, globs, file:// URIs, rewrites, URIs.

The same logs on Spark, and Spark's own refusals, are in tests/test_engines.py; this file
needs no JVM. The CSV splitting shared by both engines (:mod:`infermodel.readers.logs.csv_records`)
is checked here by hand.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pandas as pd
import pytest
from helpers import run

from infermodel import cli
from infermodel.errors import DataError, InputError
from infermodel.readers import logs
from infermodel.readers.logs import csv_records, engines, synthetic
from infermodel.readers.logs import locations as log_paths
from infermodel.readers.logs import sources as log_sources

AS_OF = "2025-05-31"


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode())
    return path


def test_a_folder_a_glob_and_a_file_uri_are_one_log_part_after_part(tmp_path):
    folder = tmp_path / "logs"
    (folder / "2025" / "_temporary").mkdir(parents=True)
    write(folder / "a.csv", "input_tokens,output_tokens\n10,1\n20,2\n")
    write(folder / "2025" / "b.csv", "input_tokens,output_tokens\n30,3\n")
    write(folder / "_SUCCESS", "")
    write(folder / ".a.csv.swp", "not a log")
    write(folder / "2025" / "_temporary" / "c.csv", "input_tokens,output_tokens\n1,1\n")
    where = log_paths.locate_local(str(folder))
    # Every file under the folder, but names starting with . or _, in the order of paths.
    assert [Path(p.name).relative_to(folder).as_posix() for p in where.parts] == [
        "2025/b.csv", "a.csv"
    ]  # fmt: skip
    with logs.read_trace(folder) as trace:
        summary = trace.summary().iloc[0]
        assert (summary["requests"], summary["input_tokens"]) == (3, 30 + 10 + 20)
    for given in (f"{folder}/*.csv", f"{folder}/**/*.csv", f"file://{folder}/a.csv"):
        with logs.read_trace(given) as trace:
            assert trace.summary().iloc[0]["requests"] == (3 if "**" in given else 2), given


@pytest.mark.slow
def test_a_bad_row_is_reported_in_its_part_at_its_own_line(tmp_path, capsys):
    folder = tmp_path / "logs"
    folder.mkdir()
    write(folder / "part-0.csv", "input_tokens,output_tokens\n10,1\n20,2\n")
    write(folder / "part-1.csv", "input_tokens,output_tokens\n30,3\n-4,1\n")
    status, out, err = run(capsys, "trace", folder, "--as-of", AS_OF)
    assert status == cli.EXIT_DATA and out == ""
    # Line 3 of part-1.csv: the log's lines are numbered on (part-0 has 3), its own is 3.
    said = "field 'input_tokens' = '-4': a token count is negative"
    assert f"{folder / 'part-1.csv'}:3: {said}" in err
    with logs.read_trace(folder, drop_bad_rows=True) as trace:
        assert trace.parts.where(6) == (str(folder / "part-1.csv"), 3)
        assert trace.parts.where(2) == (str(folder / "part-0.csv"), 2)


@pytest.mark.parametrize(
    ("second", "said"),
    [
        ("tokens_in,output_tokens\n1,2\n", "its header 'tokens_in,output_tokens' is not"),
        ("gzip", "where {first} is uncompressed text"),
        ("parquet", "uncompressed Parquet, where"),
    ],
)
def test_parts_unlike_each_other_are_refused_in_one_line(tmp_path, capsys, second, said):
    folder = tmp_path / "logs"
    folder.mkdir()
    first = write(folder / "a.csv", "input_tokens,output_tokens\n1,2\n")
    if second == "gzip":
        (folder / "b.csv.gz").write_bytes(gzip.compress(b"input_tokens,output_tokens\n1,2\n"))
    elif second == "parquet":
        synthetic.write_synthetic_log(folder / "b.parquet", requests=10)
    else:
        write(folder / "b.csv", second)
    status, out, err = run(capsys, "trace", folder, "--as-of", AS_OF)
    assert status == cli.EXIT_DATA and out == "" and err.count("\n") == 1, err
    assert said.format(first=first) in err


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("{tmp}/nothing.csv", "log {tmp}/nothing.csv: not found"),
        ("{tmp}/none-*.csv", "log {tmp}/none-*.csv: not found (no file matches it)"),
        ("{tmp}/empty", "{tmp}/empty: a folder with no log file in it"),
        ("file://elsewhere/x.csv", "'elsewhere' is another host"),
        (
            "s3://bucket/logs/",
            "DuckDB reads s3:// through its httpfs extension, which is not installed here",
        ),
        ("hdfs://namenode/logs/", "DuckDB cannot read hdfs:// paths; read it with --engine spark"),
    ],
)
@pytest.mark.slow
def test_logs_duckdb_cannot_find_or_read_are_one_line(tmp_path, capsys, given, said):
    (tmp_path / "empty").mkdir()
    write(tmp_path / "empty" / "_SUCCESS", "")
    status, out, err = run(capsys, "trace", given.format(tmp=tmp_path), "--as-of", AS_OF)
    assert status == cli.EXIT_USAGE and out == "" and err.count("\n") == 1, err
    assert said.format(tmp=tmp_path) in err


def test_a_rewritten_log_is_read_again_and_an_open_trace_says_it_changed(tmp_path):
    path = write(tmp_path / "log.csv", "input_tokens,output_tokens\n10,1\n")
    trace = logs.read_trace(path)
    first = trace.where.identity
    write(path, "input_tokens,output_tokens\n10,1\n20,2\n")
    with logs.read_trace(path) as again:
        assert again.summary().iloc[0]["input_tokens"] == 30
        assert again.where.identity != first  # size and modification time are its identity
    with pytest.raises(DataError, match="the log changed while it was read"):
        trace.summary()
    trace.close()
    with pytest.raises(InputError, match="this trace was closed"):
        trace.summary()


@pytest.mark.parametrize(
    ("second", "said"),
    [
        # A NUL byte anywhere in any part (issue 23: DuckDB read gigabytes of NULs as a line).
        (b"input_tokens,output_tokens\n30,3\n4\x00\x00,1\n", "binary data (a NUL byte) on line 3"),
        ("input_tokens,output_tokens\n30,3\n".encode("utf-16-le"), "UTF-16 text"),
    ],
)
def test_every_part_of_a_folder_is_refused_as_binary_as_one_file_is(tmp_path, capsys, second, said):
    folder = tmp_path / "logs"
    folder.mkdir()
    write(folder / "part-0.csv", "input_tokens,output_tokens\n10,1\n")
    (folder / "part-1.csv").write_bytes(second)
    status, out, err = run(capsys, "trace", folder, "--as-of", AS_OF)
    assert status == cli.EXIT_DATA and out == "" and err.count("\n") == 1, err
    assert f"{folder / 'part-1.csv'}: {said}" in err


def test_a_part_replaced_or_cut_while_the_log_is_read_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "logs"
    folder.mkdir()
    write(folder / "part-0.csv", "input_tokens,output_tokens\n10,1\n")
    part = write(folder / "part-1.csv", "input_tokens,output_tokens\n30,3\n")
    trace = logs.read_trace(folder)
    # Replaced by a file of the same size and modification time: told apart by its inode.
    info = part.stat()
    other = write(tmp_path / "other.csv", "input_tokens,output_tokens\n90,9\n")
    os.utime(other, ns=(info.st_atime_ns, info.st_mtime_ns))
    other.replace(part)
    assert (part.stat().st_size, part.stat().st_mtime_ns) == (info.st_size, info.st_mtime_ns)
    with pytest.raises(DataError, match=r"part-1.csv: the log changed while it was read \(it was "):
        trace.summary()
    trace.close()
    # Cut short between the checks and the pricing: nothing is priced (issue 23, per part).
    create = logs._create_requests

    def truncated_first(*args, **kwargs):
        with part.open("r+b") as handle:
            handle.truncate(10)
        return create(*args, **kwargs)

    monkeypatch.setattr(logs, "_create_requests", truncated_first)
    with pytest.raises(DataError) as caught:
        logs.read_trace(folder)
    said = str(caught.value)
    size = info.st_size  # the part's 33 bytes, cut to 10
    assert said.startswith(
        f"{part}: the log changed while it was read (its size went from {size} to 10 bytes)"
    )
    assert "nothing is priced" in said


def test_a_folders_format_and_header_are_checked_as_one_files(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    write(folder / "a.csv", "input_tokens,output_tokens\n10,1\n")
    with pytest.raises(InputError, match="format parquet reads Parquet, but the file is CSV"):
        logs.read_trace(folder, fmt="parquet")
    with pytest.raises(InputError, match="format jsonl reads JSON lines, but the file is CSV"):
        logs.read_trace(f"{folder}/*.csv", fmt="jsonl")
    twice = tmp_path / "twice"
    twice.mkdir()
    write(twice / "a.csv", "input_tokens,output_tokens,input_tokens\n10,1,99\n")
    with pytest.raises(DataError, match="names column 'input_tokens' more than once"):
        logs.read_trace(twice)


def test_a_ragged_row_after_a_multi_line_field_is_named_at_its_line_in_its_part(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    write(folder / "a.csv", "input_tokens,output_tokens,note\n10,1,x\n")
    # part b: header (1), a record over lines 2-4, a ragged row on line 5.
    write(folder / "b.csv", 'input_tokens,output_tokens,note\n20,2,"one\ntwo\nthree"\n30,3\n')
    with pytest.raises(logs.BadRowsError) as caught:
        logs.read_trace(folder)
    assert caught.value.counts == {"ragged": 1}
    (problem,) = caught.value.problems
    assert (str(problem.path), problem.line) == (str(folder / "b.csv"), 5), problem


def test_a_connection_given_keeps_nothing_of_the_log(tmp_path):
    con = logs.connect()
    path = write(tmp_path / "log.csv", "input_tokens,output_tokens\n10,1\n")
    with logs.read_trace(path, con=con) as trace:
        assert trace.summary().iloc[0]["requests"] == 1
    made = "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views()"
    left = con.sql(f"{made} WHERE NOT internal").fetchall()
    assert left == []  # its views and tables dropped; the connection itself still open
    assert con.sql("SELECT 1").fetchall() == [(1,)]


def test_spark_conf_is_checked_before_anything_starts(tmp_path, capsys):
    path = write(tmp_path / "log.csv", "input_tokens,output_tokens\n1,2\n")
    status, _, err = run(capsys, "trace", path, "--spark-conf", "spark.sql.shuffle.partitions=8")
    assert status == cli.EXIT_USAGE and "--spark-conf is for --engine spark" in err
    for conf, said in (
        (["shuffle=8"], "Spark's settings start with spark."),
        (["spark.sql.shuffle.partitions"], "is not KEY=VALUE"),
        (["spark.sql.session.timeZone=America/New_York"], "infermodel's queries need "
         "spark.sql.session.timeZone=UTC"),
    ):  # fmt: skip
        with pytest.raises(InputError, match=said):
            engines.SparkEngine(conf=conf)
    with pytest.raises(InputError, match="spark_conf is for the spark engine"):
        logs.read_trace(path, spark_conf={"spark.sql.shuffle.partitions": "8"})


# --- the CSV splitting both engines share ---------------------------------------------------


def test_a_blocks_entry_state_is_composed_from_the_blocks_before_it():
    # last_fixed packs line * 4 + 2 * (ends inside) + (flips up to it) % 2; flips: parity.
    # Block 0 starts a file (outside); no fixing line, one flip: it ends inside.
    # Block 1: its last fixing line (7) ends outside, one flip up to it, two flips in all,
    # so one flip after it: it ends inside, whatever it was entered in.
    # Block 2 starts a new file: outside again. Block 3: no fixing line, no flip: as entered.
    blocks = [(0, True, None, 1), (1, False, 7 * 4 + 0 + 1, 2), (2, True, None, 0),
              (3, False, None, 0)]  # fmt: skip
    assert csv_records.entries(blocks) == {0: False, 1: True, 2: False, 3: False}
    assert csv_records.exit_state(True, None, 1) is False  # one flip undoes being inside
    assert csv_records.exit_state(False, 5 * 4 + 2 + 0, 0) is True  # fixed inside, no flip


@pytest.mark.parametrize(
    ("line", "opens", "stays"),
    [
        ("m,1,2", False, True),  # no quote: the state passes through
        ('"a",1,2', False, False),  # a closed quoted field: ends outside either way
        ('"a\t', True, False),  # from outside it opens a field; from inside it closes one
        ('"a"b,"c', True, True),  # ends inside either way: its last quote opens a field
        ('x",1,2', False, False),  # closes a field opened above (from outside: text)
        ('x""y', False, True),  # escaped quotes only: from inside, still inside
        ('ab"c,1,2', False, False),  # a quote inside an unquoted field is text
    ],
)
def test_each_line_is_a_function_of_the_quote_state(line, opens, stays):
    con = logs.connect()
    frame = pd.DataFrame({"text": [line]})  # noqa: F841  (read by name)
    query = f"SELECT {csv_records.opens_sql(',')}, {csv_records.stays_sql(',')} FROM frame"
    assert con.sql(query).fetchall() == [(opens, stays)]


def test_duckdb_reads_a_uri_only_through_an_installed_extension(tmp_path):
    engine = engines.DuckDBEngine()
    with pytest.raises(InputError, match="httpfs extension, which is not installed here"):
        log_sources.open_duckdb_uri(engine, "gs://bucket/logs/")
    engine.close()
