"""The same log pricing on DuckDB and on Spark: same tables, same bad-row reports, same refusals.

Spark runs in local mode, one session for the whole run, on one xdist worker (the tests share
the group ``spark``). When it cannot start (no pyspark, no Java 17+), every Spark test fails
with one line saying why: CI proves both engines or fails.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from helpers import TEST_DATA, run

from infermodel import cli, paths, prices, tables
from infermodel.cli import trace as cli_trace
from infermodel.errors import DataError, InputError
from infermodel.pricing import trace_pricing
from infermodel.readers import logs
from infermodel.readers.logs import (
    csv_records,
    dialects,
    engines,
    locations,
    spark_sources,
    synthetic,
)
from infermodel.readers.logs import files as log_files
from infermodel.readers.logs import row_checks as log_checks
from infermodel.tables import serving

TRACES = TEST_DATA / "traces"
SHIPPED = ["azure2023_code.csv", "azure2023_conv.csv", "mooncake_conversation_trace.jsonl"]
AS_OF = "2025-05-31"
spark = pytest.mark.spark
on_one_worker = pytest.mark.xdist_group("spark")


@pytest.fixture(scope="session")
def session(spark_session):
    return spark_session


@pytest.fixture(scope="module")
def snapshot():
    return prices.as_of(AS_OF)


@pytest.fixture(scope="module")
def assumptions():
    return serving.select(tables.load_serving(), "article")


@contextmanager
def both(session, path, **kwargs) -> Iterator[tuple[logs.Trace, logs.Trace]]:
    """The log read by DuckDB and by Spark, both closed at the end of the block."""
    with (
        logs.read_trace(path, **kwargs) as duck,
        logs.read_trace(path, engine=engines.SparkEngine(session), **kwargs) as sparked,
    ):
        yield duck, sparked


def same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=1e-9, atol=0)


@spark
@on_one_worker
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_traces_give_the_same_tables_on_both_engines(session, snapshot, assumptions, name):
    with both(session, TRACES / name) as (duck, sparked):
        assert (sparked.engine.name, sparked.fmt) == ("spark", duck.fmt)
        same(
            trace_pricing.price_trace(duck, snapshot, assumptions),
            trace_pricing.price_trace(sparked, snapshot, assumptions),
        )
        same(duck.summary(), sparked.summary())
        assert duck.span() == sparked.span()
        same(duck.per_minute(), sparked.per_minute())
        same(duck.length_quantiles(), sparked.length_quantiles())
        same(duck.length_histogram("output_tokens"), sparked.length_histogram("output_tokens"))
        same(duck.per_interval(7, busy_only=False), sparked.per_interval(7, busy_only=False))


@spark
@on_one_worker
@pytest.mark.parametrize("name", sorted(paths.SHIPPED_TRACES))
def test_shipped_real_hours_price_alike_sized_as_serverless(session, name):
    # The real hours of data/traces (gzip: split by DuckDB, then handed to Spark), with the
    # DIY rows sized minute by minute as the request-log page sizes them.
    snapshot = prices.as_of("2026-12-01")
    assumptions = serving.select(tables.load_serving(), "article-batch-2m")
    with both(session, paths.SHIPPED_TRACES[name]) as (duck, sparked):
        priced = [
            trace_pricing.price_trace(t, snapshot, assumptions, diy_sizing="serverless")
            for t in (duck, sparked)
        ]
        assert (priced[0]["platform_type"] == "diy_gpu").any()
        same(*priced)
        same(duck.summary(), sparked.summary())


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode())
    return path


def bad_logs(folder: Path) -> dict[str, Path]:
    """Logs with bad rows of every kind, in every way each engine reads rows."""
    parquet = folder / "big.parquet"
    duckdb.connect().execute(
        "COPY (SELECT * FROM (VALUES (5::UBIGINT, 1.0::DOUBLE), (18446744073709551615, 2.0), "
        f"(7, 1e20), (3, 0.5)) t(input_tokens, output_tokens)) TO '{parquet}' (FORMAT parquet)"
    )
    jsonl = (  # malformed, too_large (as a string and past a DOUBLE), not_whole
        '{"input_tokens": 5, "output_tokens": 1}\n{"input_tokens": 5, "output_tokens"\n\n'
        '{"input_tokens": "1e400", "output_tokens": 2}\n[1, 2]\n'
        '{"input_tokens": 3, "output_tokens": 18446744073709551615}\n'
        '{"input_tokens": 100.5, "output_tokens": 2}\n{"input_tokens": 7, "output_tokens": 2}\n'
        # Text after the object, two objects on a line, a trailing comma, a NaN: malformed on
        # both (Spark's JSON functions would read the first three, DuckDB's the last two).
        '{"input_tokens": 6, "output_tokens": 2} trailing\n'
        '{"input_tokens": 6, "output_tokens": 2}{"input_tokens": 1, "output_tokens": 1}\n'
        '{"input_tokens": 6, "output_tokens": 2,}\n{"input_tokens": 6, "output_tokens": NaN}\n'
    )
    packed = folder / "bad.jsonl.gz"  # compressed: DuckDB splits the lines for Spark
    packed.write_bytes(gzip.compress(jsonl.encode()))
    return {  # each way rows reach Spark: DuckDB-split CSV and gzip, Spark's text and Parquet
        "csv, one of each kind": write(
            folder / "kinds.csv",
            "timestamp,input_tokens,output_tokens,cached_input_tokens\n"
            "2025-05-01 00:00:00,100,10,0\n2025-05-01 00:00:01,,10,0\n"
            "2025-05-01 00:00:02,abc,10,0\n2025-05-01 00:00:03,100,-5,0\n"
            "2025-05-01 00:00:04,100.5,10,0\n2025-05-01 00:00:05,100,10,200\n"
            "yesterday,100,10,0\n2025-05-01 00:01:00,300,30,100\n",
        ),
        "csv, records over lines": write(
            folder / "structure.csv",
            'model,input_tokens,output_tokens\n"a\nb",1,2\nm,3\n\n\nm,4,5,6\n"x""\n""y",7,8\n'
            'm,abc,1\nab"c,5,5\n"u\n\nv",1,x\nm,1,2\n"unterminated,1,2\nm,3,4\n',
        ),
        "jsonl": write(folder / "bad.jsonl", jsonl),
        "jsonl, gzip": packed,
        "parquet past int64": parquet,
    }


@spark
@on_one_worker
def test_bad_rows_are_reported_and_dropped_alike(session, tmp_path):
    for label, path in bad_logs(tmp_path).items():
        refusals = []
        for engine in ("duckdb", engines.SparkEngine(session)):
            with pytest.raises(logs.BadRowsError) as caught:
                logs.read_trace(path, engine=engine)
            refusals.append(caught.value)
        duck, sparked = refusals
        assert duck.counts == sparked.counts and list(duck.counts) == list(sparked.counts), label
        assert [(p.line, p.field) for p in duck.problems] == [
            (p.line, p.field) for p in sparked.problems
        ], label
        if label.startswith(("csv, records", "jsonl, gzip", "parquet")):
            continue  # dropped rows are counted by the same query as the first two cases
        with both(session, path, drop_bad_rows=True) as kept:
            assert kept[0].dropped_by_kind == kept[1].dropped_by_kind, label
            same(kept[0].summary(), kept[1].summary())


@spark
@on_one_worker
def test_a_synthetic_parquet_log_prices_alike(session, tmp_path, snapshot):
    # Parquet, the lake's format, is read by Spark itself (the shipped traces are CSV, JSONL).
    log = synthetic.write_synthetic_log(tmp_path / "log.parquet", requests=3_000, seed=7)
    everything = serving.select(tables.load_serving(), "all")
    with both(session, log) as (duck, sparked):
        same(
            trace_pricing.price_trace(duck, snapshot, everything, use_cached_pricing=False),
            trace_pricing.price_trace(sparked, snapshot, everything, use_cached_pricing=False),
        )
        assert sparked.summary().iloc[0]["cached_input_tokens"] > 0


@spark
@on_one_worker
def test_two_logs_in_one_spark_session_keep_apart(session, tmp_path):
    first = logs.read_trace(
        write(tmp_path / "two.csv", "input_tokens,output_tokens\n10,2\n20,3\n"),
        engine=engines.SparkEngine(session),
    )
    second = logs.read_trace(
        write(tmp_path / "one.csv", "input_tokens,output_tokens\n10,2\n"),
        engine=engines.SparkEngine(session),
    )
    assert second.summary().iloc[0]["requests"] == 1
    assert first.summary().iloc[0]["requests"] == 2
    assert cli_trace.engine_words(first) == ", on Spark"  # said in trace --format table
    with pytest.raises(InputError, match="no DuckDB connection"):
        first.con  # noqa: B018


@spark
@on_one_worker
def test_cli_engine_spark_prints_the_same_table(session, capsys):
    path = TRACES / "azure2023_conv.csv"
    tables_ = []
    for engine in ("duckdb", "spark"):
        status, out, err = run(capsys, "trace", path, "--as-of", AS_OF, "--format", "csv",
                               "--engine", engine)  # fmt: skip
        assert status == 0, err
        tables_.append(pd.read_csv(io.StringIO(out)))
    same(*tables_)


def cli_process(*argv, **env) -> subprocess.CompletedProcess:
    """``infermodel ARGV`` in a fresh process (its own JVM), with ``env`` added."""
    command = [sys.executable, "-m", "infermodel.cli", *map(str, argv)]
    return subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **env}, timeout=600
    )


@spark
@on_one_worker
def test_spark_keeps_the_jvm_off_the_terminal(tmp_path):
    # The JVM's banner, log4j's notices and PySpark's pandas warning are not the user's.
    path = write(  # timestamps: no GPU offering is left out (a line on stderr)
        tmp_path / "log.csv",
        "timestamp,input_tokens,output_tokens\n2025-05-01 00:00:00,100,20\n"
        "2025-05-01 00:00:01,300,40\n",
    )
    done = cli_process("trace", path, "--as-of", AS_OF, "--engine", "spark", "--format", "csv")
    assert done.returncode == 0 and done.stderr == ""
    assert len(pd.read_csv(io.StringIO(done.stdout))) >= 30  # every API offering


@spark
def test_spark_that_cannot_start_says_why_in_one_line(tmp_path):
    path = write(tmp_path / "log.csv", "input_tokens,output_tokens\n100,20\n")
    done = cli_process("trace", path, "--engine", "spark", JAVA_HOME=str(tmp_path / "no-jdk"))
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("infermodel: error: Spark could not start (local[*]): ")
    assert f"{tmp_path / 'no-jdk'}/bin/java: No such file or directory" in done.stderr


@pytest.mark.slow
def test_cli_engine_spark_without_pyspark_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # as if pyspark were not installed
    path = write(tmp_path / "log.csv", "input_tokens,output_tokens\n1,2\n")
    status, out, err = run(capsys, "trace", path, "--as-of", AS_OF, "--engine", "spark")
    assert status == cli.EXIT_USAGE and out == ""
    assert err == (
        "infermodel: error: the spark engine needs pyspark: install infermodel[spark] "
        "(pip install 'infermodel[spark]')\n"
    )
    status, _, err = run(capsys, "trace", path, "--as-of", AS_OF, "--spark-master", "local")
    assert status == cli.EXIT_USAGE and "--spark-master is for --engine spark" in err
    with pytest.raises(InputError, match="engine must be one of duckdb, spark, got 'flink'"):
        logs.read_trace(path, engine="flink")


def test_per_interval_by_hand(tmp_path):
    path = write(
        tmp_path / "log.csv",
        "timestamp,input_tokens,output_tokens,cached_input_tokens\n"
        "2025-05-01 00:00:00.5,100,10,40\n2025-05-01 00:00:01.2,200,20,0\n"
        "2025-05-01 00:00:03.9,300,30,0\n2025-05-01 00:00:04.0,400,40,100\n",
    )
    trace = logs.read_trace(path)
    # From the first request's second (00:00:00): 2-second intervals start at 0 (0.5 s and
    # 1.2 s), 2 (3.9 s) and 4 (4.0 s).
    two = trace.per_interval(2)
    assert two["start_s"].tolist() == [0, 2, 4] and two["start_s"].dtype == "int64"
    assert two["requests"].tolist() == [2, 1, 1]
    assert two["prompt_tokens"].tolist() == [100 + 200, 300, 400]  # cached included
    assert two["cached_input_tokens"].tolist() == [40, 0, 100]
    assert two["output_tokens"].tolist() == [10 + 20, 30, 40]
    # 1-second intervals: 0, 1, 3, 4 are busy; every interval lists second 2 idle.
    assert trace.per_interval().loc[:, "start_s"].tolist() == [0, 1, 3, 4]
    dense = trace.per_interval(1, busy_only=False)
    assert dense["start_s"].tolist() == [0, 1, 2, 3, 4]
    assert dense["requests"].tolist() == [1, 1, 0, 1, 1]
    with pytest.raises(InputError, match="seconds must be a whole number >= 1, got 0"):
        trace.per_interval(0)


EDGE_JSON = [  # each kind of text DuckDB's json_valid and Spark's JSON functions read apart
    '{"a": 1}', '{"a": 1} x', '{"a": 1}{"b": 2}', '{"a": 1},{"b": 2}', '{"a": 1}}',
    '{"a": 1}],[', '{"a": 1}] x [', '{"a": {"b": [1, {"c": 2}]}, "d": "}x"}',
    '{"a": "\\"}"}', '{"a": "x\\\\"} y', '{"a": 1}\t', '{"a": [1, 2], "b": 3} ,',
    '{"a": 1,}', '[1, 2,]', '{"a": NaN}', '{"a": -Infinity}', '{"a": "nan", "b": "inf,}"}',
    '{"a": "\t"}', '[1, 2]', "{'a': 1}", '{"a": 01}', '{"a": .5}',
]  # fmt: skip


def fuzzed_json(count: int, seed: int = 16) -> list[str]:
    """Valid JSON objects cut, spliced and appended to at random (a seeded, fixed list)."""
    rng = random.Random(seed)
    pieces = ["{", "}", "[", "]", ",", ":", '"', "\\", " ", "1", "x", "null", "NaN", '"k"']
    out = []
    for _ in range(count):
        value = {"a": rng.randint(0, 9), "b": [rng.random(), {"c": "}]"}], "d": "q\\"}
        text = json.dumps(value) if rng.random() < 0.7 else json.dumps(value["b"])
        for _ in range(rng.randint(0, 2)):
            at = rng.randint(0, len(text))
            cut = rng.randint(0, 2)
            text = text[:at] + rng.choice(pieces) * rng.randint(1, 2) + text[at + cut :]
        out.append(text)
    return out


@spark
@on_one_worker
def test_one_json_value_is_read_alike_on_both_engines(session):
    texts = EDGE_JSON + fuzzed_json(3000)
    frame = pa.table({"text": texts})  # read by DuckDB by its name; handed to Spark as Arrow
    query = f"SELECT {log_checks.strict_json_sql('text')} AS valid FROM frame"
    on_duckdb = [valid for (valid,) in duckdb.sql(query).fetchall()]
    session.createDataFrame(frame).createOrReplaceTempView("fuzzed_json")
    spark_sql = dialects.to_spark(query, (("frame", "fuzzed_json"),))
    on_spark = [row.valid for row in session.sql(spark_sql).collect()]
    differ = [(t, d, s) for t, d, s in zip(texts, on_duckdb, on_spark, strict=True) if d != s]
    assert not differ, differ[:5]

    def standard(text: str) -> bool:  # Python's json, refusing NaN and Infinity as RFC 8259
        try:
            json.loads(text, parse_constant=lambda name: 1 / 0)
        except (ValueError, ZeroDivisionError):
            return False
        return True

    assert on_duckdb == [standard(t) for t in texts]
    assert 0.1 < sum(on_duckdb) / len(texts) < 0.9  # the fuzz makes both kinds


@spark
@on_one_worker
def test_a_line_not_utf8_refuses_the_log_on_both_engines(session, tmp_path):
    lines = [b'{"input_tokens": %d, "output_tokens": 1}' % n for n in range(1, 3001)]
    lines[2499] = b'{"input_tokens": 8, "output_tokens": 4, "model": "caf\xe9"}'  # Latin-1
    path = tmp_path / "latin.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    expected = (
        f"{path}: cannot be read as jsonl: line 2,500 is not UTF-8 text (an invalid byte "
        "sequence); infermodel reads UTF-8 logs: convert it, e.g. iconv -f LATIN1 -t UTF-8"
    )
    for engine in ("duckdb", engines.SparkEngine(session)):
        with pytest.raises(DataError) as caught:
            logs.read_trace(path, engine=engine)
        assert str(caught.value) == expected


def test_spark_sql_rewrites_what_sqlglot_leaves_duckdbs():
    sql = dialects.to_spark(
        "SELECT isfinite(x), json_valid(t), json_type(t) = 'OBJECT', t ->> '$.a', "
        "x::HUGEINT, quantile_disc(x, 0.5), epoch_us(ts) FROM shape",
        (("shape", "shape_infermodel1"),),
    )
    assert "ABS(x) < CAST('inf' AS DOUBLE)" in sql
    assert "NOT TRY_PARSE_JSON(t) IS NULL" in sql
    assert "JSON_OBJECT_KEYS(t)" in sql
    assert "GET_JSON_OBJECT(t, '$.a')" in sql and "Infinity" in sql
    assert "DECIMAL(38, 0)" in sql and "INT128" not in sql
    assert "PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY x" in sql
    assert "UNIX_MICROS(CAST(ts AS TIMESTAMP_LTZ))" in sql
    assert sql.endswith("FROM shape_infermodel1")


# --- logs where they live: parts, globs, URIs, rewrites, caches, settings -----------------


def persisted(session) -> int:
    """Datasets Spark holds cached (persisted RDDs of cached DataFrames)."""
    return session.sparkContext._jsc.getPersistentRDDs().size()


def parts_folder(folder: Path) -> Path:
    """A folder of Parquet parts as a cluster leaves them: a subfolder, _SUCCESS, hidden files."""
    (folder / "day=1").mkdir(parents=True)
    for index, sub in enumerate(["", "", "day=1/"]):
        synthetic.write_synthetic_log(folder / f"{sub}part-{index}.parquet", requests=400,
                                      seed=20 + index)  # fmt: skip
    (folder / "_SUCCESS").write_text("")
    (folder / ".DS_Store").write_bytes(b"\x00\x01")
    (folder / "_temporary").mkdir()
    (folder / "_temporary" / "part-9.parquet").write_bytes(b"not yet written")
    return folder


@spark
@on_one_worker
def test_a_folder_of_parts_a_glob_and_a_file_uri_price_alike(session, tmp_path, snapshot,
                                                             assumptions):  # fmt: skip
    folder = parts_folder(tmp_path / "parts")
    before = persisted(session)
    for given in (folder, f"{folder}/part-*.parquet", f"file://{folder}/day=1/part-2.parquet"):
        with both(session, str(given)) as (duck, sparked):
            same(
                trace_pricing.price_trace(duck, snapshot, assumptions),
                trace_pricing.price_trace(sparked, snapshot, assumptions),
            )
            same(duck.summary(), sparked.summary())
            same(duck.per_interval(60), sparked.per_interval(60))
    assert persisted(session) == before  # nothing stays cached after a run
    with logs.read_trace(folder) as whole:  # the parts in the order of their paths
        assert whole.summary().iloc[0]["requests"] == 3 * 400
        assert [Path(n).relative_to(folder).as_posix() for n in whole.parts.names] == [
            "day=1/part-2.parquet", "part-0.parquet", "part-1.parquet"
        ]  # fmt: skip
        assert whole.parts.where(401) == (f"{folder}/part-0.parquet", 1)  # 400 rows before it


def csv_parts(folder: Path) -> Path:
    """CSV parts, each with its header: a bad row, a field over lines."""
    folder.mkdir()
    header = "timestamp,input_tokens,output_tokens,model\n"
    rows = [f"2025-05-01 00:{m:02d}:00,{100 + m},{m + 1},m\n" for m in range(40)]
    write(folder / "part-0.csv", header + "".join(rows[:20]) + '2025-05-01 01:00:00,5,5,"a\nb"\n')
    write(folder / "part-1.csv", header + "".join(rows[20:]) + "2025-05-01 01:01:00,7\n")
    return folder


@spark
@on_one_worker
def test_csv_and_json_parts_are_split_by_spark_alike(session, tmp_path, monkeypatch):
    def no_driver(*args, **kwargs):
        raise AssertionError("a log Spark reads itself went through the driver")

    monkeypatch.setattr(spark_sources, "_driver_lines", no_driver)
    folder = csv_parts(tmp_path / "csv")
    refusals = []
    for engine in ("duckdb", engines.SparkEngine(session)):
        with pytest.raises(logs.BadRowsError) as caught:
            logs.read_trace(folder, engine=engine)
        refusals.append(caught.value)
    duck, sparked = refusals
    expected = [(str(folder / "part-1.csv"), 22, None)]  # the part and its own line
    assert [(str(p.path), p.line, p.field) for p in duck.problems] == expected
    assert [(str(p.path), p.line, p.field) for p in sparked.problems] == expected
    assert "wrong number of fields: 2, the header has 4" in str(sparked)
    with both(session, folder, drop_bad_rows=True) as (duck, sparked):
        same(duck.summary(), sparked.summary())
        assert sparked.summary().iloc[0]["requests"] == 20 + 1 + 20  # one over two lines
    jsonl = tmp_path / "json"
    jsonl.mkdir()
    for index in range(2):
        synthetic.write_synthetic_log(jsonl / f"part-{index}.jsonl", requests=200, seed=index)
    with both(session, f"{jsonl}/*.jsonl") as (duck, sparked):
        same(duck.per_minute(), sparked.per_minute())


@spark
@on_one_worker
def test_records_over_lines_across_spark_splits_are_joined(session, tmp_path, monkeypatch):
    # Splits of 512 bytes: quoted fields over lines cross the splits' edges, whose entry
    # states are composed on the driver from a few numbers per split.
    composed, entries = [], csv_records.entries
    monkeypatch.setattr(
        csv_records, "entries", lambda blocks: composed.append(entries(blocks)) or composed[-1]
    )
    rows = ["model,input_tokens,output_tokens"]
    for n in range(300):
        model = f'"a model\nover lines, {n}"' if n % 7 == 0 else ('"x""y"' if n % 5 else "m")
        rows.append(f"{model},{n + 1},{n % 9 if n % 50 else 'bad'}")
    path = write(tmp_path / "quoted.csv", "\n".join(rows) + "\n")
    small = engines.SparkEngine(session, conf={"spark.sql.files.maxPartitionBytes": "512"})
    refusals = []
    for engine in ("duckdb", small):
        with pytest.raises(logs.BadRowsError) as caught:
            logs.read_trace(path, engine=engine)
        refusals.append(caught.value)
    assert refusals[0].counts == refusals[1].counts == {"non_numeric": 6}
    (spark_entries,) = composed  # Spark's splits (DuckDB reads a file as one block)
    assert len(spark_entries) > 5 and any(spark_entries.values())  # some start inside quotes
    assert [p.line for p in refusals[0].problems] == [p.line for p in refusals[1].problems]
    with logs.read_trace(path, drop_bad_rows=True) as duck, logs.read_trace(
        path, drop_bad_rows=True,
        engine=engines.SparkEngine(session, conf={"spark.sql.files.maxPartitionBytes": "512"}),
    ) as sparked:  # fmt: skip
        same(duck.summary(), sparked.summary())
        assert duck.summary().iloc[0]["input_tokens"] == sum(range(1, 301)) - sum(
            n + 1 for n in range(0, 300, 50)
        )


@spark
@on_one_worker
def test_a_rewritten_log_is_read_again(session, tmp_path):
    path = write(tmp_path / "log.csv", "input_tokens,output_tokens\n10,1\n20,2\n")
    stale = logs.read_trace(path, engine=engines.SparkEngine(session))  # left open: cached
    assert stale.summary().iloc[0]["input_tokens"] == 30
    write(path, "input_tokens,output_tokens\n10,1\n20,2\n30,3\n")
    with logs.read_trace(path, engine=engines.SparkEngine(session)) as fresh:
        assert fresh.summary().iloc[0]["input_tokens"] == 60  # not the cached 30
    with pytest.raises(DataError, match="the log changed while it was read"):
        stale.summary()
    stale.close()


@spark
@on_one_worker
def test_nothing_stays_cached_after_a_refusal_or_an_error(session, tmp_path):
    before = persisted(session)
    bad = write(tmp_path / "bad.csv", "input_tokens,output_tokens\n10,1\n-3,2\n")
    with pytest.raises(logs.BadRowsError):
        logs.read_trace(bad, engine=engines.SparkEngine(session))
    good = write(tmp_path / "good.csv", "input_tokens,output_tokens\n10,1\n")
    with pytest.raises(ZeroDivisionError):
        with logs.read_trace(good, engine=engines.SparkEngine(session)) as trace:
            trace.summary()
            1 / 0  # noqa: B018  (an error while pricing)
    assert persisted(session) == before
    with pytest.raises(InputError, match="this trace was closed"):
        trace.summary()


@spark
@on_one_worker
def test_the_sessions_own_settings_win_and_come_back(session, tmp_path, capsys):
    conf = session.conf
    saved = {k: conf.get(k) for k in ("spark.sql.shuffle.partitions", "spark.sql.session.timeZone")}
    conf.set("spark.sql.shuffle.partitions", "3")
    conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        log = synthetic.write_synthetic_log(tmp_path / "log.csv", requests=300, seed=2)
        with (
            logs.read_trace(log) as duck,
            logs.read_trace(
                log,
                engine="spark",  # the active session, with the user's settings around each query
                spark_conf=["spark.sql.shuffle.partitions=8", "spark.sql.adaptive.enabled=false"],
            ) as sparked,
        ):
            # The kit's queries read wall-clock time in UTC whatever the session says (New
            # York would move every arrival by 5 h = 18,000 s).
            same(duck.per_interval(1), sparked.per_interval(1))
            shape = sparked.engine._cached["shape"]
            assert shape.rdd.getNumPartitions() == 8  # --spark-conf honoured
            assert conf.get("spark.sql.shuffle.partitions") == "3"  # the session's, back
        assert conf.get("spark.sql.session.timeZone") == "America/New_York"
        assert conf.get("spark.sql.adaptive.enabled") == "true"
        status, out, err = run(capsys, "trace", log, "--as-of", AS_OF, "--engine", "spark",
                               "--spark-conf", "spark.sql.shuffle.partitions=8",
                               "--format", "csv")  # fmt: skip
        assert status == 0 and len(pd.read_csv(io.StringIO(out))) >= 30, err
        with pytest.raises(InputError, match="cannot be set on a running session"):
            logs.read_trace(log, engine="spark", spark_conf={"spark.executor.memory": "2g"})
        assert conf.get("spark.sql.shuffle.partitions") == "3"
        with pytest.raises(InputError, match=r"already running on local\[2\] in this process"):
            logs.read_trace(log, engine="spark", spark_master="yarn")
    finally:
        for key, value in saved.items():
            conf.set(key, value)


@spark
@on_one_worker
def test_paths_spark_cannot_read_are_one_line(session, tmp_path, capsys):
    for given, said in (
        ("s3a://bucket/logs/", "Spark cannot read s3a:// paths here"),
        ("s3a://bucket/logs/", "hadoop-aws"),
        ("gs://bucket/logs/", "gcs-connector"),
        ("dbfs:/logs/x.parquet", "Databricks"),
        (f"file://{tmp_path}/nothing.csv", f"log file://{tmp_path}/nothing.csv: not found"),
        (f"{tmp_path}/none-*.csv", "not found (no file matches it)"),
    ):
        status, out, err = run(capsys, "trace", given, "--engine", "spark")
        assert status == cli.EXIT_USAGE and out == "", given
        assert err.startswith("infermodel: error: ") and err.count("\n") == 1, err
        assert said in err, err


@spark
@on_one_worker
def test_a_misnamed_compressed_log_goes_through_the_driver_within_a_limit(
    session, tmp_path, monkeypatch, snapshot, assumptions
):
    source = TRACES / "azure2023_conv.csv"
    hidden = tmp_path / "log.csv"  # gzip data Spark would read as text by its name
    hidden.write_bytes(gzip.compress(source.read_bytes()))
    assert spark_sources.through_driver(log_files.open_parts(locations.locate_local(str(hidden))))
    with both(session, hidden) as (duck, sparked):
        same(
            trace_pricing.price_trace(duck, snapshot, assumptions),
            trace_pricing.price_trace(sparked, snapshot, assumptions),
        )
    monkeypatch.setattr(spark_sources, "DRIVER_MAX_BYTES", 1024)
    with pytest.raises(DataError) as caught:
        logs.read_trace(hidden, engine=engines.SparkEngine(session))
    assert "past the 1,024 bytes of text infermodel hands Spark" in str(caught.value)
    assert "rename it to end in .gz (Spark then reads it itself)" in str(caught.value)


@spark
def test_spark_connect_prices_alike_and_leaves_nothing_cached(tmp_path):
    # A local Spark Connect server, started by pyspark in a process of its own.
    folder = parts_folder(tmp_path / "parts")
    rows = "".join(f"2025-05-01 00:{m:02d}:00,{100 + m},{m}\n" for m in range(30))
    csv_log = write(tmp_path / "log.csv", "timestamp,input_tokens,output_tokens\n" + rows)
    probe = Path(__file__).with_name("spark_connect_probe.py")
    done = subprocess.run(
        [sys.executable, str(probe), str(folder), str(csv_log)],
        capture_output=True, text=True, timeout=1200,
        env={**os.environ, "SPARK_REMOTE": "local[1]"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "connect": True,
        "alike": ["parts", "part-*.parquet", "part-1.parquet", "log.csv"],
        "requests after a rewrite": 31,  # the rewritten log, not what was cached of it
        "shuffle partitions after": "200",  # the session's own, --spark-conf's 8 undone
        "server cache empty": True,
    }
