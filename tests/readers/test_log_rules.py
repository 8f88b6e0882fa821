"""Rules of a request log's rows that used to be read silently wrong (issue 23).

A timestamp's UTC offset was dropped (both engines), a JSON key named twice was read with its
first value on DuckDB and refused on Spark, and a CSV header naming a column twice was read
from its first field. Each rule is written once, in the SQL both engines run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from infermodel.errors import DataError
from infermodel.readers import logs
from infermodel.readers.logs import dialects, engines, row_checks

spark = pytest.mark.spark
on_one_worker = pytest.mark.xdist_group("spark")

OFFSETS = (
    "timestamp,input_tokens,output_tokens\n"
    "2025-05-01T12:00:00+02:00,100,10\n"  # 10:00 UTC
    "2025-05-01 10:00:30Z,100,10\n"  # 10:00:30 UTC
    "2025-05-01 05:31:00-05:30,100,10\n"  # 11:01 UTC
    "2025-05-01 11:02:00,100,10\n"  # no offset: read as UTC
    "2025-05-01T13:03:00 +0200,100,10\n"  # 11:03 UTC
)


@pytest.fixture(scope="module")
def session(spark_session):
    return spark_session


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_a_utc_offset_moves_the_arrival_to_utc(tmp_path):
    trace = logs.read_trace(write(tmp_path / "offsets.csv", OFFSETS))
    first, last, minutes = trace.span()
    # 12:00+02:00 is 10:00 UTC, the first; 13:03 +0200 is 11:03 UTC, the last: 64 minutes.
    assert (first, last, minutes) == (
        pd.Timestamp("2025-05-01 10:00:00"), pd.Timestamp("2025-05-01 11:03:00"), 64
    )  # fmt: skip
    busy = trace.per_minute(busy_only=True)
    assert busy["minute"].dt.strftime("%H:%M").tolist() == ["10:00", "11:01", "11:02", "11:03"]
    assert busy["requests"].tolist() == [2, 1, 1, 1]


@pytest.mark.parametrize(
    "text",
    [
        "2025-05-01 12:00:00 PM",  # DuckDB's cast dropped "PM": 12:00, not 12:00 PM
        "2025-05-01 12:00:00 BC",
        "2025-05-01 12:00:00 Europe/Paris",  # a zone name, not an offset
        "2025-05-01 12:00:00+15:00",  # no such offset
        "2025-05-01 12:00:00+02:75",
    ],
)
@pytest.mark.slow
def test_a_date_time_the_kit_cannot_read_exactly_is_a_bad_row(tmp_path, text):
    path = write(tmp_path / "odd.csv", f"timestamp,input_tokens,output_tokens\n{text},1,1\n")
    with pytest.raises(logs.BadRowsError) as caught:
        logs.read_trace(path)
    assert caught.value.counts == {"bad_timestamp": 1}
    assert caught.value.problems[0].line == 2


@pytest.mark.slow
def test_duckdb_reads_an_aware_parquet_column_in_utc_whatever_tz(tmp_path):
    # A UTC-adjusted Parquet timestamp column was read in the machine's time zone (TZ).
    log = tmp_path / "aware.parquet"
    code = (
        "import duckdb; duckdb.connect().execute(\"SET TimeZone='UTC'; COPY (SELECT "
        "TIMESTAMPTZ '2025-05-01 12:00:00+00' AS timestamp, 10 AS input_tokens, "
        f"2 AS output_tokens) TO '{log}' (FORMAT parquet)\")"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    read = (
        "from infermodel.readers import logs; import sys; "
        "print(logs.read_trace(sys.argv[1]).span()[0])"
    )
    done = subprocess.run(
        [sys.executable, "-c", read, str(log)],
        capture_output=True, text=True, check=True, env={**os.environ, "TZ": "Asia/Tokyo"},
    )  # fmt: skip
    assert done.stdout.strip() == "2025-05-01 12:00:00"


DUPLICATE_KEY = (
    '{"input_tokens": 5, "output_tokens": 1}\n'
    '{"input_tokens": 5, "output_tokens": 1, "input_tokens": 5000}\n'
    '{"input_tokens": 7, "output_tokens": 2, "meta": {"a": 1, "a": 2}}\n'  # nested: not read
)


def test_a_json_key_named_twice_is_a_malformed_line(tmp_path):
    path = write(tmp_path / "twice.jsonl", DUPLICATE_KEY)
    with pytest.raises(logs.BadRowsError) as caught:
        logs.read_trace(path)
    assert caught.value.counts == {"malformed": 1}
    assert caught.value.problems[0].line == 2
    kept = logs.read_trace(path, drop_bad_rows=True)
    assert kept.summary().iloc[0]["input_tokens"] == 5 + 7  # never 5000


def test_a_csv_header_naming_a_read_column_twice_is_refused(tmp_path):
    path = write(
        tmp_path / "twice.csv",
        "timestamp,input_tokens,output_tokens,input_tokens\n2025-05-01 00:00:00,100,10,5000\n",
    )
    with pytest.raises(DataError) as caught:
        logs.read_trace(path)
    assert str(caught.value) == (
        f"{path}:1: the CSV header names column 'input_tokens' more than once (fields 2 and "
        "4); which one holds the input tokens is a guess: rename the others"
    )
    other = write(tmp_path / "notes.csv", "note,input_tokens,output_tokens,note\na,1,2,b\n")
    assert logs.read_trace(other).summary().iloc[0]["requests"] == 1  # not a column it reads


def test_spark_sql_rewrites_functions_inside_rewritten_functions():
    # SQLGlot's top-down transform did not enter a node it replaced: epoch_us inside
    # make_timestamp stayed DuckDB's (Spark has no EPOCH_US).
    sql = dialects.to_spark("SELECT make_timestamp(epoch_us(ts) - 5), isfinite(epoch_us(x)) FROM t")
    assert "EPOCH_US" not in sql
    assert sql.count("UNIX_MICROS(CAST(") == 2
    arrival = dialects.to_spark(f"SELECT {row_checks.datetime_text_sql('x')} FROM t")
    assert "EPOCH_US" not in arrival and "RLIKE" in arrival


@spark
@on_one_worker
def test_offsets_and_repeated_keys_are_read_alike_on_spark(session, tmp_path):
    offsets = write(tmp_path / "offsets.csv", OFFSETS)
    offsets_jsonl = write(
        tmp_path / "offsets.jsonl",
        "".join(
            json.dumps({"timestamp": ts, "input_tokens": 100, "output_tokens": 10}) + "\n"
            for ts in [line.split(",")[0] for line in OFFSETS.splitlines()[1:]]
        ),
    )
    for path in (offsets, offsets_jsonl):
        duck = logs.read_trace(path)
        sparked = logs.read_trace(path, engine=engines.SparkEngine(session))
        assert duck.span() == sparked.span()
        pd.testing.assert_frame_equal(duck.per_minute(), sparked.per_minute())
    twice = write(tmp_path / "twice.jsonl", DUPLICATE_KEY)
    line = '{"timestamp": 0, "input_length": 600, "output_length": 5, "hash_ids": %s}\n'
    odd = {  # each read alike: one rule, in the SQL both engines run
        twice: ({"malformed": 1}, [2]),
        write(tmp_path / "ids.jsonl", line % "[1]" + line % "7" + line % "[1.5]"): (
            {"malformed": 2},
            [2, 3],
        ),
        write(tmp_path / "n.csv", 'input_tokens,output_tokens\n"1_000",1\n" +12 ",2\n'): (
            {"non_numeric": 1},
            [2],
        ),
    }
    for path, (counts, lines) in odd.items():
        for engine in ("duckdb", engines.SparkEngine(session)):
            with pytest.raises(logs.BadRowsError) as caught:
                logs.read_trace(path, engine=engine)
            assert caught.value.counts == counts, (path.name, engine)
            assert [p.line for p in caught.value.problems] == lines, (path.name, engine)


def test_a_log_that_changes_while_it_is_read_is_not_priced(tmp_path, monkeypatch):
    # The checks scan the file, then the pricing scans it again: a log cut short (or still
    # being written) between the two was priced half-way, exit status 0.
    rows = "".join(f"2025-05-01 00:{m:02d}:00,100,10\n" for m in range(60))
    path = write(tmp_path / "live.csv", "timestamp,input_tokens,output_tokens\n" + rows)
    create = logs._create_requests

    def truncated_first(*args, **kwargs):
        with path.open("r+b") as handle:
            handle.truncate(path.stat().st_size // 2)
        return create(*args, **kwargs)

    monkeypatch.setattr(logs, "_create_requests", truncated_first)
    with pytest.raises(DataError) as caught:
        logs.read_trace(path)
    assert str(caught.value).startswith(f"{path}: the log changed while it was read (its size")
    assert "nothing is priced" in str(caught.value)


def test_a_trace_whose_file_changed_since_is_refused_on_its_next_scan(tmp_path):
    path = write(tmp_path / "log.csv", OFFSETS)
    trace = logs.read_trace(path)
    assert trace.per_interval(60)["requests"].sum() == 5
    with path.open("a") as handle:
        handle.write("2025-05-01 12:00:00,1,1\n")  # appended by a logger meanwhile
    with pytest.raises(DataError, match="the log changed while it was read"):
        trace.per_interval(60)


@pytest.mark.parametrize("compression", [None, "gzip", "zstd"])
def test_binary_data_after_a_header_is_refused_before_any_scan(tmp_path, monkeypatch, compression):
    # A CSV header, good rows, then 20 MB of NUL bytes: DuckDB read the NULs as one line
    # (2 GB took 161 s and 10.8 GB), or dropped them without a word at the end of a file
    # past its longest line. Now the file is refused before an engine starts.
    import gzip

    import zstandard

    content = b"input_tokens,output_tokens\n" + b"1,2\n" * 30_000 + b"\0" * (20 << 20)
    path = tmp_path / {None: "log.csv", "gzip": "log.csv.gz", "zstd": "log.csv.zst"}[compression]
    packed = {None: lambda b: b, "gzip": gzip.compress,
              "zstd": zstandard.ZstdCompressor().compress}[compression]  # fmt: skip
    path.write_bytes(packed(content))

    def no_engine(*args, **kwargs):
        raise AssertionError("an engine started on a binary file")

    monkeypatch.setattr(logs, "make_engine", no_engine)
    with pytest.raises(DataError) as caught:
        logs.read_trace(path)
    inside = f" (after {compression} decompression)" if compression else ""
    assert str(caught.value).startswith(
        f"{path}: binary data (a NUL byte) on line 30,002{inside}, byte 120,027: not a text log"
    )


def test_a_utf16_log_is_named_as_such(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("input_tokens,output_tokens\r\n1,2\r\n".encode("utf-16-le"))
    with pytest.raises(DataError, match="UTF-16 text; infermodel reads UTF-8 logs: convert it"):
        logs.read_trace(path)
