"""The kit on Spark Connect, run by tests/readers/test_engines.py in a process of its own.

``SPARK_REMOTE=local[1] python tests/readers/spark_connect_probe.py FOLDER CSV`` starts a local
Spark Connect server (pyspark's own, in this process's JVM) and a Connect client session, then
prices a folder of Parquet parts, a glob, a ``file://`` URI and a CSV log on DuckDB and on
Spark Connect, re-reads the CSV after rewriting it, runs ``infermodel trace --engine spark
--spark-conf ...`` and prints one JSON line: what it saw, and whether the server holds any
cached data afterwards. A Connect client cannot share a process with a classic session,
hence the process of its own.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import pandas as pd

from infermodel import cli, prices, tables
from infermodel.pricing import trace_pricing
from infermodel.readers import logs
from infermodel.readers.logs import engines
from infermodel.readers.logs.spark_sessions import is_connect
from infermodel.tables import serving

AS_OF = "2025-05-31"


def priced(trace: logs.Trace) -> pd.DataFrame:
    snapshot = prices.as_of(AS_OF)
    assumptions = serving.select(tables.load_serving(), "article")
    return trace_pricing.price_trace(trace, snapshot, assumptions)


def cli_table(*argv: str) -> pd.DataFrame:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = cli.main(["trace", *argv, "--as-of", AS_OF, "--format", "csv"])
    if status:
        raise SystemExit(f"infermodel trace {' '.join(argv)} exited {status}")
    return pd.read_csv(io.StringIO(out.getvalue()))


def main(folder: str, csv_log: str) -> dict:
    session = engines.spark_session()
    seen: dict = {"connect": is_connect(session), "alike": []}
    for given in (folder, f"{folder}/part-*.parquet", f"file://{folder}/part-1.parquet", csv_log):
        with logs.read_trace(given) as duck, logs.read_trace(given, engine="spark") as sparked:
            pd.testing.assert_frame_equal(priced(duck), priced(sparked), rtol=1e-9, atol=0)
            seen["alike"].append(Path(given).name)
    Path(csv_log).write_text(Path(csv_log).read_text() + "2025-05-01 00:30:00,1000,10\n")
    with logs.read_trace(csv_log, engine="spark") as again:
        seen["requests after a rewrite"] = int(again.summary().iloc[0]["requests"])
    on_spark = cli_table(csv_log, "--engine", "spark", "--spark-conf",
                         "spark.sql.shuffle.partitions=8")  # fmt: skip
    pd.testing.assert_frame_equal(cli_table(csv_log), on_spark, rtol=1e-9, atol=0)
    seen["shuffle partitions after"] = session.conf.get("spark.sql.shuffle.partitions")
    from pyspark.sql.session import SparkSession as ClassicSession

    server = ClassicSession._instantiatedSession  # the local server's own session
    seen["server cache empty"] = bool(server._jsparkSession.sharedState().cacheManager().isEmpty())
    return seen


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:3])))
