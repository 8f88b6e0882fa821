"""Where a request log is checked and priced: DuckDB in this process, or Spark.

A log's relational plan (its checks, the reduction to distinct request shapes and busy
minutes, the pricing of shapes x offerings) is one SQL text
(:mod:`infermodel.readers.logs.dialects`)
run by an :class:`Engine`:

- ``duckdb`` (:class:`DuckDBEngine`, the default): embedded, nothing to start, out of core
  within its ``memory_limit``; it runs the text as written.
- ``spark`` (:class:`SparkEngine`, the ``infermodel[spark]`` extra): the text transpiled to
  Spark SQL, on a local Spark (``local[*]``), on a cluster (``spark_master``, e.g.
  ``spark://host:7077`` or ``yarn``) or through Spark Connect (``SPARK_REMOTE=sc://host``).

Both expose the same few operations (:meth:`Engine.rows`, :meth:`~Engine.frame`,
:meth:`~Engine.view`, :meth:`~Engine.table`, :meth:`~Engine.register`), so
:mod:`infermodel.readers.logs` and :mod:`infermodel.pricing.trace_pricing` are written once. Each
also
has a DuckDB connection for the work done on the file itself (its first bytes, a CSV's
records and rejects, real line numbers): :attr:`Engine.local`, the same connection for DuckDB.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from infermodel.errors import DataError, InputError
from infermodel.readers.logs.dialects import to_spark
from infermodel.readers.logs.files import connect, duckdb_cause

ENGINES = ("duckdb", "spark")
#: Settings of every Spark session infermodel starts: wall-clock timestamps in UTC (as
#: DuckDB's TIMESTAMP), column names told apart by case (as DuckDB's CSV reader), few
#: shuffle partitions (the plan's aggregates are small), no UI or console progress bar.
SPARK_CONFIG = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.caseSensitive": "true",
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # Let try_parse_json read a key named twice, so that both engines refuse it by one rule
    # (log_checks: a top-level key twice is malformed; nested values are never read).
    "spark.sql.variant.allowDuplicateKeys": "true",
}
SPARK_INSTALL = "install infermodel[spark] (pip install 'infermodel[spark]')"


class Engine:
    """What :mod:`infermodel.readers.logs` asks of an engine (DuckDB's and Spark's below)."""

    name: str
    #: DuckDB connection for the file-level work (and, for DuckDB, everything).
    local: duckdb.DuckDBPyConnection

    def rows(self, query: str) -> list[tuple]:
        raise NotImplementedError

    def frame(self, query: str) -> pd.DataFrame:
        raise NotImplementedError

    def view(self, name: str, query: str, *, reused: bool = False) -> None:
        """``name`` as a view of ``query`` (computed again by each query that reads it).

        ``reused``: several later steps read it; an engine may keep it (Spark caches it,
        DuckDB streams it again, so that a log larger than memory stays out of core).
        """
        raise NotImplementedError

    def table(self, name: str, query: str) -> None:
        """``name`` as the result of ``query``, computed once and kept."""
        raise NotImplementedError

    @contextmanager
    def register(self, name: str, frame: pd.DataFrame) -> Iterator[None]:
        """``frame`` readable as ``name`` inside the block."""
        raise NotImplementedError
        yield

    @contextmanager
    def reading(self, path: Path, fmt: str) -> Iterator[None]:
        """Any engine error inside the block as a one-line :class:`DataError`."""
        raise NotImplementedError
        yield


class DuckDBEngine(Engine):
    """DuckDB in this process; the SQL runs as written."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection | None = None):
        self.con = connect() if con is None else con
        self.local = self.con

    def rows(self, query: str) -> list[tuple]:
        return self.con.sql(query).fetchall()

    def frame(self, query: str) -> pd.DataFrame:
        return self.con.sql(query).df()

    def view(self, name: str, query: str, *, reused: bool = False) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {query}")

    def table(self, name: str, query: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}")

    @contextmanager
    def register(self, name: str, frame: pd.DataFrame) -> Iterator[None]:
        self.con.register(name, frame)
        try:
            yield
        finally:
            self.con.unregister(name)

    @contextmanager
    def reading(self, path: Path, fmt: str) -> Iterator[None]:
        try:
            yield
        except duckdb.Error as exc:
            raise DataError(f"{path}: cannot be read as {fmt}: {duckdb_cause(exc)}") from None


def _spark_errors() -> tuple[type[BaseException], ...]:
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    return (PySparkException, Py4JJavaError, duckdb.Error)


def spark_cause(exc: BaseException) -> str:
    """Spark's (or DuckDB's) error on one line: its first line, without the Java trace."""
    if isinstance(exc, duckdb.Error):
        return duckdb_cause(exc)
    text = getattr(exc, "java_exception", None)
    lines = [line.strip() for line in str(text or exc).splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    return first if len(first) <= 300 else first[:297] + "..."


@contextmanager
def _jvm_output_kept() -> Iterator[int]:
    """Standard error (file descriptor 2) into an unnamed temporary file inside the block.

    A local Spark's JVM, started inside, inherits it for its life: its start-up banner, its
    log4j warnings before the log level is set and the JVM's own notices stay off the user's
    terminal (errors reach infermodel as exceptions, one line each). Yields the file's
    descriptor, for :func:`_last_words` when the start fails; nothing is left on disk.
    """
    with tempfile.TemporaryFile() as kept:  # the JVM keeps its own copy of the descriptor
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(kept.fileno(), 2)
        try:
            yield kept.fileno()
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


#: A line of the JVM's output that says why it stopped (else its last line is used).
_TELLING = re.compile(r"error|exception|no such file|not found|unsupported", re.IGNORECASE)


def _last_words(fd: int) -> str:
    """Why the JVM stopped, from what it wrote to ``fd``: its first telling line (cut to 300).

    E.g. ``spark-class: line 71: /opt/jdk/bin/java: No such file or directory`` or Java's
    ``UnsupportedClassVersionError`` (a Java older than 17); else its last line.
    """
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 1 << 20).decode("utf-8", errors="replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    telling = [line for line in lines if _TELLING.search(line)]
    said = (telling or lines or [""])[0 if telling else -1]
    return said[:300]


def spark_session(master: str | None = None):
    """The active Spark session, or a new one: ``master``, else ``SPARK_REMOTE``, else local.

    ``master`` is any Spark master URL (``local[2]``, ``spark://host:7077``, ``yarn``);
    without it, a ``SPARK_REMOTE`` in the environment (``sc://host:15002``) connects through
    Spark Connect, and otherwise Spark runs in this machine's JVM on every core. Raises
    :class:`InputError` when pyspark is not installed, and :class:`DataError` (one line, with
    Spark's reason) when no session can start, e.g. without Java 17 or later.
    """
    # pyspark is an optional extra (infermodel[spark]): imported only when Spark is asked for.
    try:
        import sqlglot  # noqa: F401  (the SQL is transpiled for Spark)
        from pyspark.sql import SparkSession
    except ImportError as exc:
        needed = (exc.name or "pyspark").split(".")[0]
        raise InputError(f"the spark engine needs {needed}: {SPARK_INSTALL}") from None
    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    builder = SparkSession.builder.appName("infermodel")
    if master is not None:
        builder = builder.master(master)
    elif os.environ.get("SPARK_REMOTE"):
        builder = builder.remote(os.environ["SPARK_REMOTE"])
    else:
        builder = builder.master("local[*]")
    for key, value in SPARK_CONFIG.items():
        builder = builder.config(key, value)
    with warnings.catch_warnings():
        # PySpark imports this module when it first hands a Python value to the JVM (while
        # the session starts); on import it warns that pandas 3 is not fully supported
        # (infermodel hands it Arrow, never pandas).
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        import pyspark.testing.utils  # noqa: F401
    with _jvm_output_kept() as jvm_output:
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # the JVM or the cluster could not be reached: say why, once
            where = master or os.environ.get("SPARK_REMOTE") or "local[*]"
            reason = " ".join(str(exc).split())[:300] or type(exc).__name__
            said = _last_words(jvm_output)
            said = f"; the JVM said: {said}" if said and said not in reason else ""
            raise DataError(f"Spark could not start ({where}): {reason}{said}") from None
    # Errors come back as exceptions (one line each); Spark's logs would repeat them, with
    # the Java stack, on stderr: its JVM's log (classic sessions) and PySpark's own loggers.
    if not os.environ.get("SPARK_REMOTE") or master is not None:
        session.sparkContext.setLogLevel("FATAL")
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
    for key, value in SPARK_CONFIG.items():
        if key.startswith("spark.sql."):
            session.conf.set(key, value)
    return session


def _naive_utc(frame: pd.DataFrame) -> pd.DataFrame:
    """Time-zone-aware columns (Spark's TIMESTAMP) as naive UTC, as DuckDB returns them."""
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert("UTC").dt.tz_localize(None)
    return frame


class SparkEngine(Engine):
    """A Spark session; the SQL is transpiled
    (:func:`~infermodel.readers.logs.dialects.to_spark`)."""

    name = "spark"

    def __init__(self, session=None, *, master: str | None = None):
        self.session = spark_session(master) if session is None else session
        self.local = connect()
        self._kept: dict[str, object] = {}
        # Views are named apart per engine, so that several logs can share one session.
        SparkEngine._opened += 1
        self.suffix = f"_infermodel{SparkEngine._opened}"

    _opened = 0

    def _names(self) -> tuple[tuple[str, str], ...]:
        return tuple((name, name + self.suffix) for name in sorted(self._kept))

    def dataframe(self, query: str, *, read: str = "duckdb"):
        return self.session.sql(to_spark(query, self._names(), read=read))

    def rows(self, query: str) -> list[tuple]:
        return [tuple(row) for row in self.dataframe(query).collect()]

    def frame(self, query: str) -> pd.DataFrame:
        # Through Arrow, not pyspark.pandas (which does not support pandas 3 yet).
        return _naive_utc(self.dataframe(query).toArrow().to_pandas())

    def keep(self, name: str, dataframe, *, cache: bool) -> None:
        """A Spark DataFrame readable as ``name`` (cached when ``cache``)."""
        old = self._kept.pop(name, None)
        if cache:
            dataframe = dataframe.cache()
            dataframe.count()  # computed now, once, with its errors raised here
        dataframe.createOrReplaceTempView(name + self.suffix)
        self._kept[name] = dataframe
        if old is not None and cache:
            old.unpersist()

    def view(self, name: str, query: str, *, reused: bool = False) -> None:
        self.keep(name, self.dataframe(query), cache=reused)

    def native_view(self, name: str, spark_sql: str) -> None:
        """``name`` as a view of a query written in Spark's SQL (not transpiled)."""
        self.keep(name, self.dataframe(spark_sql, read="spark"), cache=False)

    def table(self, name: str, query: str) -> None:
        self.keep(name, self.dataframe(query), cache=True)

    def arrow(self, name: str, table, *, cache: bool = True) -> None:
        """A pyarrow table (rows DuckDB read from the file) readable as ``name`` in Spark."""
        self.keep(name, self.session.createDataFrame(table), cache=cache)

    @contextmanager
    def register(self, name: str, frame: pd.DataFrame) -> Iterator[None]:
        import pyarrow as pa

        self.keep(name, self.session.createDataFrame(pa.Table.from_pandas(frame)), cache=False)
        try:
            yield
        finally:
            self.session.catalog.dropTempView(name + self.suffix)
            self._kept.pop(name, None)

    def close(self) -> None:
        """Drop this engine's views and free what Spark cached for them."""
        for name, dataframe in list(self._kept.items()):
            self.session.catalog.dropTempView(name + self.suffix)
            dataframe.unpersist()
        self._kept.clear()
        self.local.close()

    @contextmanager
    def reading(self, path: Path, fmt: str) -> Iterator[None]:
        try:
            yield
        except _spark_errors() as exc:
            raise DataError(f"{path}: cannot be read as {fmt}: {spark_cause(exc)}") from None


def make_engine(
    engine: str | Engine = "duckdb",
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    spark_master: str | None = None,
) -> Engine:
    """An engine by name (:data:`ENGINES`), or ``engine`` itself when it is one."""
    if isinstance(engine, Engine):
        return engine
    if engine not in ENGINES:
        raise InputError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "duckdb":
        if spark_master is not None:
            raise InputError("spark_master is for the spark engine; drop it or use engine='spark'")
        return DuckDBEngine(con)
    if con is not None:
        raise InputError("con is a DuckDB connection, for the duckdb engine only")
    return SparkEngine(master=spark_master)


__all__ = [
    "ENGINES",
    "SPARK_CONFIG",
    "DuckDBEngine",
    "Engine",
    "SparkEngine",
    "make_engine",
    "spark_cause",
    "spark_session",
]
