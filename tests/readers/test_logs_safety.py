"""Request logs that could mislead: ragged rows, impossible counts, compression, sparse sizing.

Each class of fault has its tests: a CSV row whose fields do not match the header, a token
count past what a request can carry, compressed logs (by name and by content), DuckDB errors
as one line, and GPU sizing whose memory follows the busy minutes, not the span (checked
against the dense implementation it replaced, kept here as the reference).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tracemalloc
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from helpers import TEST_DATA, run
from hypothesis import given, settings
from hypothesis import strategies as st

from infermodel import cli, formulas, prices, tables
from infermodel.errors import DataError, InputError
from infermodel.pricing import gpu_sizing, trace_pricing
from infermodel.readers import logs
from infermodel.readers.logs import csv_records, synthetic
from infermodel.readers.logs import files as log_files
from infermodel.tables import context_windows, serving
from infermodel.units import MINUTES_PER_HOUR

TRACES = TEST_DATA / "traces"
SHIPPED = sorted([*TRACES.glob("*.csv"), *TRACES.glob("*.jsonl")])
AS_OF = "2025-05-31"


@pytest.fixture(scope="module")
def snapshot():
    return prices.as_of(AS_OF)


@pytest.fixture(scope="module")
def assumptions():
    return serving.select(tables.load_serving(), "all")


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode())
    return path


def refused(path: Path, **kwargs) -> logs.BadRowsError:
    with pytest.raises(logs.BadRowsError) as caught:
        logs.read_trace(path, **kwargs)
    return caught.value


def one_line_error(err: str) -> None:
    assert err.startswith("infermodel: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err


# --- ragged rows ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "fields"),
    [("1,500,50", 3), ("1,2,3,4,5", 5), ("7", 1), ("  ", 1), ("1,2, ", 3)],
)
def test_a_row_with_other_than_the_headers_fields_is_ragged(tmp_path, row, fields):
    path = write(tmp_path / "log.csv", f"input_tokens,output_tokens\n100,10\n{row}\n200,20\n")
    error = refused(path)
    assert error.counts == {"ragged": 1}
    (problem,) = error.problems
    assert problem.line == 3
    assert f"wrong number of fields: {fields}, the header has 2" in str(problem)
    # Dropped whole, never truncated: the sum holds the two good rows only.
    trace = logs.read_trace(path, drop_bad_rows=True)
    assert trace.dropped_by_kind == {"ragged": 1}
    summary = trace.summary().iloc[0]
    assert (summary["requests"], summary["input_tokens"], summary["output_tokens"]) == (2, 300, 30)


def test_empty_fields_past_the_header_lose_nothing_and_are_read(tmp_path):
    # DuckDB drops empty trailing fields (a trailing delimiter): no value is lost.
    path = write(tmp_path / "log.csv", 'input_tokens,output_tokens\n1,2,\n3,4,,\n5,6,""\n')
    summary = logs.read_trace(path).summary().iloc[0]
    assert (summary["requests"], summary["input_tokens"], summary["output_tokens"]) == (3, 9, 12)


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab"), ("|", "bar")])
def test_other_delimiters_are_read_and_checked_alike(tmp_path, delimiter, name):
    rows = ["input_tokens", "output_tokens"], ["100", "10"], ["1", "500", "50"], ["200", "20"]
    path = write(tmp_path / f"{name}.csv", "".join(delimiter.join(r) + "\n" for r in rows))
    assert refused(path).problems[0].line == 3
    assert logs.read_trace(path, drop_bad_rows=True).summary().iloc[0]["input_tokens"] == 300


# Pieces of a CSV log (model,input_tokens,output_tokens): text, lines it takes, its bad kind
# (None: a good row; "" : a blank line, no row) and its input tokens when good.
PIECES = {
    "good": ("m,{n},2", 1, None),
    "good over two lines": ('"m\n{n}",{n},2', 2, None),
    "good, escaped quotes over two lines": ('"a""\n""b",{n},2', 2, None),
    "good, quote inside a field": ('ab"c,{n},2', 1, None),
    "blank": ("", 1, ""),
    "ragged, more fields": ("m,1,2,3", 1, "ragged"),
    "ragged, fewer fields": ("m,1", 1, "ragged"),
    "ragged over two lines": ('"p\nq",1', 2, "ragged"),
    "not whole": ("m,1.5,2", 1, "not_whole"),
    "too large": ("m,99999999999999999999,2", 1, "too_large"),
    "negative": ("m,1,-2", 1, "negative"),
    "missing": ("m,,2", 1, "missing"),
}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(sorted(PIECES)), max_size=25), st.sampled_from(["\n", "\r\n"]))
@pytest.mark.slow
def test_bad_rows_keep_their_real_lines_whatever_comes_before(tmp_path_factory, names, newline):
    lines, bad, good_inputs, line = ["model,input_tokens,output_tokens"], [], [], 2
    for n, name in enumerate([*names, "good"], start=10):
        text, count, kind = PIECES[name]
        lines.append(text.format(n=n).replace("\n", newline))
        if kind:
            bad.append((line, kind))
        elif kind is None:
            good_inputs.append(n)
        line += count
    path = tmp_path_factory.mktemp("log") / "log.csv"
    path.write_bytes(newline.join(lines).encode() + newline.encode())
    trace = logs.read_trace(path, drop_bad_rows=True)
    assert trace.dropped_rows == len(bad)
    summary = trace.summary().iloc[0]
    assert (summary["requests"], summary["input_tokens"]) == (len(good_inputs), sum(good_inputs))
    if bad:
        error = refused(path)
        assert [p.line for p in error.problems] == [at for at, _ in bad][: logs.SHOWN_BAD_LINES]
        expected = pd.Series([kind for _, kind in bad]).value_counts().to_dict()
        assert error.counts == expected


def test_every_kind_of_structure_at_once_gives_editor_lines(tmp_path):
    path = write(
        tmp_path / "log.csv",
        "model,input_tokens,output_tokens\n"  # 1
        '"a\nb",1,2\n'  # 2-3: good, a field over two lines
        "m,3\n"  # 4: ragged
        "\n\n"  # 5-6: blank
        "m,4,5,6\n"  # 7: ragged
        '"x""\n""y",7,8\n'  # 8-9: good
        "m,abc,1\n"  # 10: non_numeric
        'ab"c,5,5\n'  # 11: good, a quote inside an unquoted field is text
        '"u\n\nv",1,x\n'  # 12-14: non_numeric, a field with a blank line in it
        "m,1,2\n"  # 15: good
        '"unterminated,1,2\nm,3,4\n',  # 16-17: not CSV (the quote never closes)
    )
    error = refused(path)
    assert [p.line for p in error.problems] == [4, 7, 10, 12, 16]
    assert error.counts == {"ragged": 2, "non_numeric": 2, "malformed": 1}
    assert list(error.counts) == ["ragged", "non_numeric", "malformed"]  # by first line
    assert "unterminated quote" in str(error.problems[-1])


@pytest.mark.slow
def test_ragged_and_multi_line_rows_keep_their_lines_in_a_large_file(tmp_path):
    log = synthetic.write_synthetic_log(tmp_path / "big.csv", requests=200_000, seed=5)
    lines = log.read_text().splitlines()
    # line 100,001 becomes a record over three lines, line 150,001 a ragged row
    lines[100_000] = lines[100_000].replace(",synthetic,", ',"synth\n\netic",')
    lines[150_000] += ",extra"
    lines[190_000] = lines[190_000].split(",", 1)[0] + ",12x,5,0,synthetic,x"
    log.write_text("\n".join(lines) + "\n")
    error = refused(log)
    assert [p.line for p in error.problems] == [150_003, 190_003]
    assert error.counts == {"ragged": 1, "non_numeric": 1}


def test_a_file_that_is_mostly_not_this_csv_is_refused_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_records, "MAX_REJECTED_ROWS", 10)
    path = write(tmp_path / "log.csv", "input_tokens,output_tokens\n" + "1,2,3\n" * 50 + "1,2\n")
    with pytest.raises(DataError, match=r"more than 10 rows do not split into the header"):
        logs.read_trace(path, drop_bad_rows=True)


@pytest.mark.slow
def test_cli_ragged_row_exits_1_and_drops_on_request(tmp_path, capsys):
    path = write(tmp_path / "log.csv", "input_tokens,output_tokens\n100,10\n1,500,50\n200,20\n")
    status, out, err = run(capsys, "trace", path, "--as-of", AS_OF, "--format", "csv")
    assert status == cli.EXIT_DATA and out == ""
    assert f"{path}:3: = '1,500,50': wrong number of fields: 3, the header has 2" in err
    assert "--drop-bad-rows" in err and "Traceback" not in err
    status, out, err = run(capsys, "trace", path, "--as-of", AS_OF, "--format", "csv",
                           "--drop-bad-rows")  # fmt: skip
    assert status == 0 and "dropped 1 bad row(s)" in err and "1 ragged" in err
    assert (pd.read_csv(io.StringIO(out))["input_tokens"] == 300).all()


# --- counts past what a request can carry -------------------------------------------------

LIMIT = logs.MAX_TOKENS_PER_REQUEST


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("99999999999999999999", "too_large"),  # past int64
        ("1e20", "too_large"),
        (str(LIMIT + 1), "too_large"),
        ("inf", "non_numeric"),  # not written as a number (log_checks.NUMBER_REGEX)
        ("1e400", "too_large"),  # past a DOUBLE
        ("-99999999999999999999", "negative"),
        ("100.5", "not_whole"),
        ("7.0000000000000000001", "not_whole"),  # a DOUBLE would round it to 7
        ("99999999999999999999.5", "not_whole"),
        ("nan", "non_numeric"),
        ("0x10", "non_numeric"),
    ],
)
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_impossible_counts_are_bad_rows(tmp_path, value, kind, fmt):
    if fmt == "csv":
        path = write(tmp_path / "log.csv", f"input_tokens,output_tokens\n5,1\n{value},2\n")
    else:  # as a JSON string, read as written
        path = write(
            tmp_path / "log.jsonl",
            f'{{"input_tokens": 5, "output_tokens": 1}}\n{{"input_tokens": "{value}", '
            '"output_tokens": 2}\n',
        )
    error = refused(path)
    assert error.counts == {kind: 1} and error.problems[0].line == 2 + (fmt == "csv")
    assert error.problems[0].field == "input_tokens"


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("99999999999999999999", "too_large"),
        ("18446744073709551615", "too_large"),
        ("1e400", "too_large"),
        ("-99999999999999999999", "negative"),
        ("100.5", "not_whole"),
    ],
)
def test_impossible_json_numbers_are_bad_rows(tmp_path, number, kind):
    # A JSON number with a fraction is read as the JSON parser reads it (a DOUBLE).
    path = write(
        tmp_path / "log.jsonl",
        f'{{"input_tokens": 5, "output_tokens": 1}}\n{{"input_tokens": 3, '
        f'"output_tokens": {number}}}\n',
    )
    error = refused(path)
    assert error.counts == {kind: 1}
    assert (error.problems[0].line, error.problems[0].field) == (2, "output_tokens")


@pytest.mark.slow
def test_the_largest_count_is_accepted_and_summed_exactly(tmp_path, snapshot, assumptions):
    path = write(tmp_path / "log.csv", f"input_tokens,output_tokens\n{LIMIT},{LIMIT}\n1,1\n")
    trace = logs.read_trace(path)
    assert trace.summary().iloc[0]["input_tokens"] == LIMIT + 1
    table = trace_pricing.price_trace(trace, snapshot, assumptions)
    assert (table["total_tokens"] == 2 * LIMIT + 2).all()


def test_parquet_counts_past_int64_are_bad_rows(tmp_path):
    path = tmp_path / "log.parquet"
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT * FROM (VALUES (5::UBIGINT, 1.0::DOUBLE), (18446744073709551615, 2.0), "
        f"(7, 1e20)) t(input_tokens, output_tokens)) TO '{path}' (FORMAT parquet)"
    )
    error = refused(path)
    assert error.counts == {"too_large": 2}
    assert [(p.line, p.field) for p in error.problems] == [
        (2, "input_tokens"),
        (3, "output_tokens"),
    ]


@pytest.mark.parametrize(
    ("mapping", "value"),
    [
        (logs.ColumnMapping(timestamp="timestamp", timestamp_unit="s"), "1e300"),
        (logs.ColumnMapping(timestamp="timestamp", timestamp_unit="us"), "-9.3e18"),
        (logs.ColumnMapping(timestamp="timestamp"), "1800-01-01 00:00:00"),
        (logs.ColumnMapping(timestamp="timestamp"), "2250-01-01 00:00:00"),
    ],
)
def test_timestamps_off_any_log_are_bad_rows(tmp_path, mapping, value):
    good = "0" if mapping.timestamp_unit else "2025-05-01 00:00:00"
    path = write(
        tmp_path / "log.csv",
        f"timestamp,input_tokens,output_tokens\n{good},5,1\n{value},5,1\n",
    )
    error = refused(path, mapping=mapping)
    assert error.counts == {"bad_timestamp": 1} and error.problems[0].line == 3


@pytest.mark.slow
def test_sums_over_a_huge_log_cannot_overflow(tmp_path, snapshot, assumptions, monkeypatch):
    # The sums are the point, not context windows: a request of 10^12 tokens fits no model's
    # window (it would be left out), so the windows are taken away here.
    monkeypatch.setattr(context_windows, "load_context_windows", context_windows.no_context_windows)
    path = write(
        tmp_path / "log.csv",
        f"timestamp,input_tokens,output_tokens\n2025-05-01 00:00:00,{LIMIT},{LIMIT}\n",
    )
    trace = logs.read_trace(path)
    # As if the log held ten million such requests: every total passes 2^63.
    n = 10_000_000
    trace.con.execute(f"UPDATE shape SET n = {n}")
    trace.con.execute(
        f"UPDATE per_minute SET requests = {n}, prompt_tokens = {n} * {LIMIT}::DOUBLE, "
        f"output_tokens = {n} * {LIMIT}::DOUBLE"
    )
    summary = trace.summary().iloc[0]
    assert int(summary["input_tokens"]) == n * LIMIT > 2**63
    table = trace_pricing.price_trace(trace, snapshot, assumptions)
    assert (table["total_tokens"] == 2 * n * LIMIT).all()
    assert (table["requests"] == n).all()
    assert np.isfinite(table["cost_usd"]).all() and (table["cost_usd"] > 0).all()
    gpt4o = table[table["model_id"] == "gpt-4o"].iloc[0]
    assert gpt4o["cost_usd"] == pytest.approx(n * LIMIT * (2.5 + 10.0) / 1e6, rel=1e-12)


@pytest.mark.slow
def test_cli_count_past_int64_exits_1_with_its_line(tmp_path, capsys):
    path = write(
        tmp_path / "log.csv", "input_tokens,output_tokens\n100,10\n99999999999999999999,5\n"
    )
    status, out, err = run(capsys, "trace", path, "--as-of", AS_OF, "--format", "csv")
    assert status == cli.EXIT_DATA and out == "" and "Traceback" not in err
    assert f"{path}:3: field 'input_tokens' = '99999999999999999999'" in err
    assert "1 too_large" in err and "1,000,000,000,000" in err


# --- compressed logs --------------------------------------------------------------------


def gzipped(source: Path, target: Path) -> Path:
    target.write_bytes(gzip.compress(source.read_bytes()))
    return target


@pytest.mark.parametrize("source", SHIPPED, ids=lambda p: p.name)
@pytest.mark.parametrize("name", ["{stem}{suffix}.gz", "{stem}{suffix}", "{stem}.log"])
@pytest.mark.slow
def test_gzip_logs_are_read_by_content_whatever_their_name(
    tmp_path, snapshot, assumptions, source, name
):
    target = gzipped(source, tmp_path / name.format(stem=source.stem, suffix=source.suffix))
    plain = logs.read_trace(source)
    packed = logs.read_trace(target)
    assert log_files.detect_compression(target) == "gzip" and packed.compression == "gzip"
    assert logs.detect_format(target) == plain.fmt
    expected = trace_pricing.price_trace(plain, snapshot, assumptions)
    pd.testing.assert_frame_equal(
        trace_pricing.price_trace(packed, snapshot, assumptions), expected
    )


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
@pytest.mark.parametrize("name", ["log{suffix}.zst", "log{suffix}.zstd", "log{suffix}"])
@pytest.mark.slow
def test_zstd_logs_are_read_by_content_whatever_their_name(tmp_path, snapshot, assumptions,
                                                           suffix, name):  # fmt: skip
    plain = synthetic.write_synthetic_log(tmp_path / f"plain{suffix}", requests=2_000, seed=4)
    packed = synthetic.write_synthetic_log(tmp_path / f"z{suffix}.zst", requests=2_000, seed=4)
    packed = packed.rename(tmp_path / name.format(suffix=suffix))
    assert log_files.detect_compression(packed) == "zstd"
    assert logs.detect_format(packed) == suffix.removeprefix(".")
    tables_ = [
        trace_pricing.price_trace(logs.read_trace(p), snapshot, assumptions)
        for p in (plain, packed)
    ]
    pd.testing.assert_frame_equal(*tables_)


def test_zstd_azure_trace_is_told_from_inside_the_stream(tmp_path):
    source = TRACES / "azure2023_conv.csv"
    target = tmp_path / "azure.csv.zst"
    duckdb.connect().execute(
        f"COPY (SELECT * FROM read_csv('{source}', all_varchar = true)) TO '{target}' "
        "(FORMAT csv, HEADER, COMPRESSION zstd)"
    )
    assert logs.detect_format(target) == "azure"
    summary = logs.read_trace(target).summary().iloc[0]
    assert summary["requests"] == 1_000 and summary["input_tokens"] == 1_014_189


def test_bad_rows_in_a_compressed_log_keep_their_lines(tmp_path):
    text = 'model,input_tokens,output_tokens\nm,100,10\n"a\nb",2,3\nm,1,500,50\nm,-4,1\n'
    target = tmp_path / "log.csv.gz"
    target.write_bytes(gzip.compress(text.encode()))
    error = refused(target)
    assert [p.line for p in error.problems] == [5, 6]  # a field over lines 3-4 comes first
    assert error.counts == {"ragged": 1, "negative": 1}


def test_plain_data_under_a_compressed_name_is_read(tmp_path):
    path = write(tmp_path / "log.csv.gz", "input_tokens,output_tokens\n1,2\n")
    assert log_files.detect_compression(path) is None
    assert logs.read_trace(path).summary().iloc[0]["requests"] == 1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda b: bz2.compress(b), "bzip2-compressed data"),
        (lambda b: lzma.compress(b), "xz-compressed data"),
        (None, "zip-compressed data"),
        (lambda b: gzip.compress(b)[:-12], "not readable gzip data"),  # cut short
        # Cut past the head: found by the scan for binary data, before DuckDB reads it.
        (lambda b: gzip.compress(b * 100)[:-12], "not readable gzip data: Compressed file"),
        (lambda b: gzip.compress(bytes(range(256)) * 4), "binary data (after gzip"),
        (lambda b: gzip.compress(b""), "empty (after gzip decompression)"),
        (lambda b: b"\x89PNG\r\n\x1a\n" + bytes(64), "binary data, not a UTF-8 text log"),
    ],
)
@pytest.mark.slow
def test_unreadable_or_other_compressed_files_are_one_line(tmp_path, capsys, make, message):
    content = b"input_tokens,output_tokens\n" + b"1,2\n" * 2_000
    path = tmp_path / "log.csv"
    if make is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("log.csv", content)
    else:
        path.write_bytes(make(content))
    status, out, err = run(capsys, "trace", path, "--as-of", AS_OF, "--format", "csv")
    assert status == cli.EXIT_DATA and out == ""
    one_line_error(err)
    assert message in err and str(path) in err


@pytest.mark.slow
def test_compressed_parquet_is_refused_in_one_line(tmp_path, capsys):
    parquet = synthetic.write_synthetic_log(tmp_path / "log.parquet", requests=100)
    target = gzipped(parquet, tmp_path / "log.parquet.gz")
    assert logs.detect_format(target) == "parquet"
    status, _, err = run(capsys, "trace", target, "--as-of", AS_OF)
    assert status == cli.EXIT_DATA
    one_line_error(err)
    assert "gzip-compressed Parquet cannot be read" in err


@pytest.mark.parametrize(
    ("content", "forced", "cause"),
    [
        # (Parquet forced on a CSV is refused before DuckDB reads: test_hostile_inputs.py.)
        (b"PAR1" + bytes(range(256)) * 4, None, "cannot be read as parquet"),
        (b'{"input_tokens": 1, "output_tokens": 2}\n\xff\xfe\n', None, "cannot be read as jsonl"),
    ],
)
def test_duckdb_read_errors_are_one_line_naming_the_file(tmp_path, capsys, content, forced, cause):
    path = tmp_path / "log.data"
    path.write_bytes(content)
    extra = ["--trace-format", forced] if forced else []
    status, _, err = run(capsys, "trace", path, "--as-of", AS_OF, *extra)
    assert status == cli.EXIT_DATA
    one_line_error(err)
    assert f"{path}: {cause}: " in err


def test_duckdb_cause_keeps_the_first_line_and_a_csv_errors_reason():
    error = duckdb.InvalidInputException(
        "Invalid Input Error: CSV Error on Line: 3\nMaximum line size of 100 bytes exceeded.\n\n"
        "  file = x\n"
    )
    assert log_files.duckdb_cause(error) == (
        "Invalid Input Error: CSV Error on Line: 3: Maximum line size of 100 bytes exceeded."
    )
    # A line that is not UTF-8 is said in the reader's words, with its line (as on Spark).
    error = duckdb.InvalidInputException(
        "Invalid Input Error: CSV Error on Line: 1200\nOriginal Line: x\nInvalid unicode (byte "
        "sequence mismatch) detected. This file is not utf-8 encoded.\n\n  file = x\n"
    )
    assert log_files.duckdb_cause(error) == log_files.not_utf8(1200)
    assert log_files.not_utf8(1200).startswith("line 1,200 is not UTF-8 text")
    assert log_files.duckdb_cause(duckdb.IOException("IO Error: gone\nmore")) == "IO Error: gone"


# --- sparse per-minute sizing -------------------------------------------------------------


def dense_replica_needs(tokens_per_minute, tokens_per_second):
    """The implementation replaced: every minute of the span, shape (minutes, offerings)."""
    tokens = np.asarray(tokens_per_minute, dtype=float)[:, None]
    tps = np.asarray(tokens_per_second, dtype=float)[None, :]
    busy = formulas.wall_clock_hours(tokens, tps, 1.0) * MINUTES_PER_HOUR
    minutes = busy.shape[0]
    starts = np.arange(0, minutes, MINUTES_PER_HOUR)
    window_minutes = np.diff(np.append(starts, minutes))
    window_peak = np.ceil(np.maximum.reduceat(busy, starts, axis=0) - 1e-9)
    replicas_peak = np.ceil(busy.max(axis=0) - 1e-9)
    return {
        "replicas_peak": replicas_peak,
        "replicas_mean": busy.mean(axis=0),
        "replica_hours_peak_sized": replicas_peak * minutes / MINUTES_PER_HOUR,
        "replica_hours_autoscaled": (window_peak * window_minutes[:, None]).sum(axis=0)
        / MINUTES_PER_HOUR,
    }


def assert_same_needs(sparse, dense):
    for name in ("replicas_peak", "replica_hours_peak_sized", "replica_hours_autoscaled"):
        np.testing.assert_array_equal(sparse[name], dense[name], err_msg=name)
    np.testing.assert_allclose(sparse["replicas_mean"], dense["replicas_mean"], rtol=1e-12)


TPS = np.array([1.0, 37.5, 277.78, 555.56, 4_205.0, 60_000.0])


def sparse_needs(busy: pd.DataFrame, first: pd.Timestamp, span: int, tokens: pd.Series, tps):
    offsets = (busy["minute"] - first.floor("min")) // pd.Timedelta(minutes=1)
    return trace_pricing.replica_needs(tokens, tps, minutes=offsets.to_numpy(), span_minutes=span)


LOGS = [*SHIPPED, "synthetic-24h", "synthetic-gaps"]


@pytest.mark.parametrize("source", LOGS, ids=str)
def test_sparse_sizing_equals_the_dense_one(tmp_path, source):
    if source == "synthetic-24h":
        source = synthetic.write_synthetic_log(tmp_path / "s.parquet", requests=20_000, seed=2)
    elif source == "synthetic-gaps":  # three bursts days apart, hours of silence between
        source = tmp_path / "gaps.csv"
        con = duckdb.connect()
        con.execute(
            "COPY (SELECT TIMESTAMP '2025-05-01' + to_minutes(i // 50 * 1500 + i % 50 * 3) "
            "AS timestamp, 100 + i AS input_tokens, 10 + i % 7 AS output_tokens "
            f"FROM range(150) t(i)) TO '{source}' (FORMAT csv, HEADER)"
        )
    trace = logs.read_trace(source)
    dense, busy = trace.per_minute(), trace.per_minute(busy_only=True)
    first, _, span = trace.span()
    assert len(dense) == span and len(busy) <= span
    for column in ("prompt_tokens", "output_tokens"):
        sparse = sparse_needs(busy, first, span, busy[column], TPS)
        assert_same_needs(sparse, dense_replica_needs(dense[column], TPS))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 400), min_size=1, max_size=60, unique=True),
    st.lists(st.integers(0, 10**9), min_size=60, max_size=60),
    st.integers(0, 130),
)
def test_sparse_sizing_equals_dense_on_any_busy_minutes(gaps, tokens, idle_tail):
    minutes = np.cumsum([0, *gaps[:-1]])
    busy = np.array(tokens[: len(minutes)], dtype=float)
    span = int(minutes[-1]) + 1 + idle_tail
    dense = np.zeros(span)
    dense[minutes] = busy
    sparse = trace_pricing.replica_needs(busy, TPS, minutes=minutes, span_minutes=span)
    assert_same_needs(sparse, dense_replica_needs(dense, TPS))


@pytest.mark.parametrize("source", SHIPPED, ids=lambda p: p.name)
@pytest.mark.slow
def test_priced_diy_rows_equal_the_dense_sizing(source, snapshot, assumptions):
    trace = logs.read_trace(source)
    # Without cold starts the billed replica-hours are the dense per-minute sizing's (every
    # shipped GPU bills by the second or the minute, and windows are whole hours).
    options = gpu_sizing.Options(cold_start_s=0)
    table = trace_pricing.price_trace(trace, snapshot, assumptions, sizing_options=options)
    diy = table[table["platform_type"] == "diy_gpu"]
    dense = trace.per_minute()
    expected = dense_replica_needs(dense["prompt_tokens"] + dense["output_tokens"],
                                   diy["tokens_per_second"])  # fmt: skip
    np.testing.assert_array_equal(diy["replicas_peak"], expected["replicas_peak"])
    # A replica alone on a bigger node (Lambda's 8x tier) pays the node: at least as much.
    whole = (diy["gpus_per_instance"] == diy["gpus_per_replica"]).to_numpy()
    np.testing.assert_allclose(
        diy["replica_hours"][whole], expected["replica_hours_autoscaled"][whole], rtol=1e-12
    )
    assert (diy["replica_hours"][~whole] >= expected["replica_hours_autoscaled"][~whole]).all()
    np.testing.assert_allclose(diy["replicas_mean"], expected["replicas_mean"], rtol=1e-12)
    # A cold start of 30 s adds 30 s per replica started, to peak sizing one per replica
    cold = trace_pricing.price_trace(
        trace, snapshot, assumptions, sizing_options=gpu_sizing.Options(cold_start_s=30)
    )
    cold = cold.set_index("offering_id").loc[diy["offering_id"]]  # the same rows, in order
    # (on rows billed by the second: Lambda rounds a lifetime to the minute)
    by_second = (diy["billing_increment_seconds"] == 1).to_numpy()
    one = whole & by_second & (diy["pricing"] == "on_demand").to_numpy()
    np.testing.assert_allclose(
        cold["replica_hours_peak_sized"].to_numpy()[one],
        (diy["replica_hours_peak_sized"] + diy["replicas_peak"] * 30 / 3600).to_numpy()[one],
        rtol=1e-12,
    )


@pytest.mark.slow
def test_requests_decades_apart_price_with_little_memory(tmp_path, snapshot, assumptions):
    path = write(
        tmp_path / "log.csv",
        "timestamp,input_tokens,output_tokens\n"
        "1995-01-01 00:00:00,1000,100\n2025-01-01 00:00:00,2000,200\n",
    )
    tracemalloc.start()
    try:
        trace = logs.read_trace(path)
        # No cold start: the replica-hours are the windows' (a start would add 30 s each).
        options = gpu_sizing.Options(cold_start_s=0)
        table = trace_pricing.price_trace(trace, snapshot, assumptions, sizing_options=options)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 2**20, f"{peak / 2**20:,.0f} MiB"
    span = trace.span()[2]
    assert span == 10_958 * 1_440 + 1  # 30 years of minutes
    diy = table[table["platform_type"] == "diy_gpu"]
    # each request has its hour; the last window is the one minute of the last request
    one = formulas.wall_clock_hours(1100.0, diy["tokens_per_second"], 1.0) * 60
    two = formulas.wall_clock_hours(2200.0, diy["tokens_per_second"], 1.0) * 60
    expected = (np.ceil(one - 1e-9) * 60 + np.ceil(two - 1e-9) * 1) / 60
    whole = (diy["gpus_per_instance"] == diy["gpus_per_replica"]).to_numpy()
    np.testing.assert_allclose(diy["replica_hours"][whole], expected[whole], rtol=1e-12)
    np.testing.assert_allclose(diy["replicas_mean"], (one + two) / span, rtol=1e-12)
    with pytest.raises(InputError, match=r"spans 15,779,521 minutes.*busy_only=True"):
        trace.per_minute()
    busy = trace.per_minute(busy_only=True)
    assert list(busy["requests"]) == [1, 1]


def test_per_minute_still_lists_every_minute_of_a_normal_log(tmp_path):
    path = write(
        tmp_path / "log.csv",
        "timestamp,input_tokens,output_tokens\n"
        "2025-05-01 00:00:10,10,1\n2025-05-01 00:00:50,20,2\n2025-05-01 00:03:00,30,3\n",
    )
    minutes = logs.read_trace(path).per_minute()
    assert list(minutes["minute"].dt.minute) == [0, 1, 2, 3]
    assert list(minutes["requests"]) == [2, 0, 0, 1]
    assert list(minutes["prompt_tokens"]) == [30, 0, 0, 30]


def test_replica_needs_refuses_minutes_out_of_order():
    with pytest.raises(InputError, match="strictly increasing"):
        trace_pricing.replica_needs([1.0, 2.0], TPS, minutes=[3, 1])
    with pytest.raises(InputError, match="strictly increasing"):
        trace_pricing.replica_needs([1.0], TPS, minutes=[5], span_minutes=5)
