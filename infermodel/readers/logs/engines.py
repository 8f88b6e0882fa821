"""Where a request log is checked and priced: DuckDB in this process, or Spark.

A log's relational plan (its checks, the reduction to distinct request shapes and busy
minutes, the pricing of shapes x offerings) is one SQL text
(:mod:`infermodel.readers.logs.dialects`) run by an :class:`Engine`:

- ``duckdb`` (:class:`DuckDBEngine`, the default): embedded, nothing to start, out of core
  within its ``memory_limit``; it runs the text as written.
- ``spark`` (:class:`SparkEngine`, the ``infermodel[spark]`` extra): the text transpiled to
  Spark SQL, on the active Spark session, else a new one: on a cluster (``spark_master``, e.g.
  ``spark://host:7077`` or ``yarn``), through Spark Connect (``SPARK_REMOTE=sc://host``) or
  local (``local[*]``).

Both expose the same few operations (:meth:`Engine.rows`, :meth:`~Engine.frame`,
:meth:`~Engine.view`, :meth:`~Engine.table`, :meth:`~Engine.register`, :meth:`~Engine.close`),
so :mod:`infermodel.readers.logs` and :mod:`infermodel.pricing.trace_pricing` are written once. Each
also has a DuckDB connection for work on this machine (a CSV header, a log's first lines):
:attr:`Engine.local`, the same connection for DuckDB.

A Spark session's own settings win (shuffle partitions, memory, the file systems'
credentials); ``spark_conf`` (``--spark-conf KEY=VALUE``) adds the user's. The kit sets only
what its answers depend on (:data:`SPARK_QUERY_SETTINGS`: UTC wall-clock time, ANSI
arithmetic, column names told apart by case) around each of its own queries, and puts the
session's values back after each. What an engine cached is released by :meth:`Engine.close`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from infermodel.errors import DataError, InputError
from infermodel.readers.logs.dialects import to_spark
from infermodel.readers.logs.files import connect, duckdb_cause
from infermodel.readers.logs.spark_sessions import (
    SPARK_INSTALL,
    SPARK_QUERY_SETTINGS,
    SPARK_SESSION_DEFAULTS,
    QuerySettings,
    is_connect,
    keeps_query_settings,
    parse_spark_conf,
    runtime_defaults,
    spark_errors,
    spark_session,
)

ENGINES = ("duckdb", "spark")


class Engine:
    """What :mod:`infermodel.readers.logs` asks of an engine (DuckDB's and Spark's below)."""

    name: str
    #: DuckDB connection for the work done on this machine (and, for DuckDB, everything).
    local: duckdb.DuckDBPyConnection
    closed: bool = False

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

    def constant(self, name: str, frame: pd.DataFrame) -> None:
        """A small ``frame`` (made on this machine) readable as ``name`` until :meth:`close`."""
        raise NotImplementedError

    @contextmanager
    def register(self, name: str, frame: pd.DataFrame) -> Iterator[None]:
        """``frame`` readable as ``name`` inside the block."""
        raise NotImplementedError
        yield

    @contextmanager
    def reading(self, path: Path | str, fmt: str) -> Iterator[None]:
        """Any engine error inside the block as a one-line :class:`DataError`."""
        raise NotImplementedError
        yield

    def close(self) -> None:
        """Drop what this engine made (views, tables, cached data) and close what it opened."""
        raise NotImplementedError


class DuckDBEngine(Engine):
    """DuckDB in this process; the SQL runs as written."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection | None = None):
        self._own = con is None
        self.con = connect() if con is None else con
        self.local = self.con
        self._made: dict[str, str] = {}

    def rows(self, query: str) -> list[tuple]:
        return self.con.sql(query).fetchall()

    def frame(self, query: str) -> pd.DataFrame:
        return self.con.sql(query).df()

    def view(self, name: str, query: str, *, reused: bool = False) -> None:
        self._drop(name)
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {query}")
        self._made[name] = "VIEW"

    def table(self, name: str, query: str) -> None:
        self._drop(name)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}")
        self._made[name] = "TABLE"

    def constant(self, name: str, frame: pd.DataFrame) -> None:
        self._drop(name)
        self.con.register(name, frame)
        self._made[name] = "REGISTERED"

    def _drop(self, name: str) -> None:
        """Drop ``name`` if this engine made it (a view may replace a table, or the reverse)."""
        kind = self._made.pop(name, None)
        if kind == "REGISTERED":
            self.con.unregister(name)
        elif kind is not None:
            self.con.execute(f"DROP {kind} IF EXISTS {name}")

    @contextmanager
    def register(self, name: str, frame: pd.DataFrame) -> Iterator[None]:
        self.con.register(name, frame)
        try:
            yield
        finally:
            self.con.unregister(name)

    @contextmanager
    def reading(self, path: Path | str, fmt: str) -> Iterator[None]:
        try:
            yield
        except duckdb.Error as exc:
            raise DataError(f"{path}: cannot be read as {fmt}: {duckdb_cause(exc)}") from None

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._own:
            self.con.close()
            return
        for name in reversed(list(self._made)):  # later views read earlier ones
            self._drop(name)


def spark_cause(exc: BaseException) -> str:
    """Spark's (or DuckDB's) error on one line: its first line, without the Java trace."""
    if isinstance(exc, duckdb.Error):
        return duckdb_cause(exc)
    text = getattr(exc, "java_exception", None)
    lines = [line.strip() for line in str(text or exc).splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    return first if len(first) <= 300 else first[:297] + "..."


def _naive_utc(frame: pd.DataFrame) -> pd.DataFrame:
    """Time-zone-aware columns (Spark's TIMESTAMP) as naive UTC, as DuckDB returns them."""
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            frame[column] = frame[column].dt.tz_convert("UTC").dt.tz_localize(None)
    return frame


class SparkEngine(Engine):
    """A Spark session; the SQL is transpiled (:func:`~infermodel.readers.logs.dialects.to_spark`).

    ``session``: the session to use (else the active one, else a new one: ``master``,
    :func:`~infermodel.readers.logs.spark_sessions.spark_session`). ``conf``: the user's settings
    (``KEY=VALUE`` texts or a mapping): a new session starts with them; on a session that was
    already running (or a Spark Connect one) they are set around each of the kit's queries.
    :meth:`close` releases everything the engine cached and made, and stops a Spark Connect
    session it started.
    """

    name = "spark"

    def __init__(
        self,
        session=None,
        *,
        master: str | None = None,
        conf: Mapping[str, str] | list[str] | None = None,
    ):
        settings = parse_spark_conf(conf)
        keeps_query_settings(settings)
        started = session is None and _no_active_session()
        self.session = spark_session(master, settings) if session is None else session
        self.started = started
        # A classic session the kit starts has the user's settings already; any other gets
        # them around each query, as the kit's own.
        runtime = settings if not started or is_connect(self.session) else {}
        if started:
            runtime = {**runtime_defaults(self.session), **runtime}
        self.settings = QuerySettings(self.session, runtime)
        self.local = connect()
        self._kept: dict[str, object] = {}
        self._cached: dict[str, object] = {}
        # Views are named apart per engine, so that several logs can share one session.
        SparkEngine._opened += 1
        self.suffix = f"_infermodel{SparkEngine._opened}"

    _opened = 0

    def _names(self) -> tuple[tuple[str, str], ...]:
        return tuple((name, name + self.suffix) for name in sorted(self._kept))

    def dataframe(self, query: str, *, read: str = "duckdb"):
        with self.settings:
            return self.session.sql(to_spark(query, self._names(), read=read))

    def rows(self, query: str) -> list[tuple]:
        with self.settings:
            return [tuple(row) for row in self.dataframe(query).collect()]

    def frame(self, query: str) -> pd.DataFrame:
        # Through Arrow, not pyspark.pandas (which does not support pandas 3 yet).
        with self.settings:
            return _naive_utc(self.dataframe(query).toArrow().to_pandas())

    def keep(self, name: str, dataframe, *, cache: bool) -> None:
        """A Spark DataFrame readable as ``name`` (cached when ``cache``) until :meth:`close`."""
        old = self._cached.pop(name, None)
        with self.settings:
            if cache:
                dataframe = dataframe.cache()
                self._cached[name] = dataframe
                dataframe.count()  # computed now, once, with its errors raised here
            dataframe.createOrReplaceTempView(name + self.suffix)
        if old is not None:
            old.unpersist(blocking=True)
        self._kept.pop(name, None)  # kept in the order made (dropped in reverse)
        self._kept[name] = dataframe

    def view(self, name: str, query: str, *, reused: bool = False) -> None:
        self.keep(name, self.dataframe(query), cache=reused)

    def native_view(self, name: str, spark_sql: str) -> None:
        """``name`` as a view of a query written in Spark's SQL (not transpiled)."""
        self.keep(name, self.dataframe(spark_sql, read="spark"), cache=False)

    def table(self, name: str, query: str) -> None:
        self.keep(name, self.dataframe(query), cache=True)

    def arrow(self, name: str, table, *, cache: bool = True) -> None:
        """A pyarrow table (made on this machine) readable as ``name`` in Spark."""
        with self.settings:
            self.keep(name, self.session.createDataFrame(table), cache=cache)

    def constant(self, name: str, frame: pd.DataFrame) -> None:
        import pyarrow as pa

        self.arrow(name, pa.Table.from_pandas(frame, preserve_index=False), cache=False)

    @contextmanager
    def register(self, name: str, frame: pd.DataFrame) -> Iterator[None]:
        self.constant(name, frame)
        try:
            yield
        finally:
            self.session.catalog.dropTempView(name + self.suffix)
            self._kept.pop(name, None)

    def close(self) -> None:
        """Drop this engine's views, free what Spark cached for them, and stop a Spark
        Connect session the engine started (the server keeps no state of it)."""
        if self.closed:
            return
        self.closed = True
        try:
            # Cached data first: a Spark Connect plan names the views it reads, and is
            # analysed again to be unpersisted.
            for dataframe in reversed(self._cached.values()):
                dataframe.unpersist(blocking=True)
            for name in reversed(self._kept):
                self.session.catalog.dropTempView(name + self.suffix)
        finally:
            self._kept.clear()
            self._cached.clear()
            self.local.close()
            if self.started and is_connect(self.session):
                self.session.stop()

    @contextmanager
    def reading(self, path: Path | str, fmt: str) -> Iterator[None]:
        try:
            yield
        except (*spark_errors(), duckdb.Error) as exc:
            raise DataError(f"{path}: cannot be read as {fmt}: {spark_cause(exc)}") from None


def _no_active_session() -> bool:
    """Whether :func:`spark_session` would start a session (none is active)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return True  # spark_session says it in one line
    return SparkSession.getActiveSession() is None


def make_engine(
    engine: str | Engine = "duckdb",
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    spark_master: str | None = None,
    spark_conf: Mapping[str, str] | list[str] | None = None,
) -> Engine:
    """An engine by name (:data:`ENGINES`), or ``engine`` itself when it is one."""
    if isinstance(engine, Engine):
        return engine
    if engine not in ENGINES:
        raise InputError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "duckdb":
        if spark_master is not None or spark_conf:
            which = "spark_master" if spark_master is not None else "spark_conf"
            raise InputError(f"{which} is for the spark engine; drop it or use engine='spark'")
        return DuckDBEngine(con)
    if con is not None:
        raise InputError("con is a DuckDB connection, for the duckdb engine only")
    return SparkEngine(master=spark_master, conf=spark_conf)


__all__ = [
    "ENGINES",
    "SPARK_INSTALL",
    "SPARK_QUERY_SETTINGS",
    "SPARK_SESSION_DEFAULTS",
    "DuckDBEngine",
    "Engine",
    "SparkEngine",
    "make_engine",
    "spark_cause",
    "spark_session",
]
