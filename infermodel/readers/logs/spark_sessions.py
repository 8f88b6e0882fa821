"""The Spark session a log is read in: found or started, its settings left as its owner set them.

- :func:`spark_session`: the active session, else a new one (a master URL, else Spark Connect
  at ``SPARK_REMOTE``, else local on every core). A session the kit starts gets the user's
  ``spark_conf`` (``--spark-conf KEY=VALUE``: shuffle partitions, driver memory, a file
  system's credentials) and, unless they say otherwise, no web UI and no console progress.
- :class:`QuerySettings`: what the kit's own queries need (:data:`SPARK_QUERY_SETTINGS`), and
  the user's runtime settings on a session the kit did not start (an active one, or Spark
  Connect's), set around each query and put back after it, so that the session's owner
  finds it as they left it.

A setting that only takes effect when a session starts (``spark.executor.memory``) cannot be
given to a running one: that is one line saying so, not a silent no-op.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from infermodel.errors import DataError, InputError

#: What the kit's own Spark queries need, whatever the session says, set around each of them
#: and put back after: wall-clock timestamps read in UTC (as DuckDB's TIMESTAMP; a session in
#: New York would move every arrival by 5 hours), ANSI arithmetic (an overflow is an error,
#: never a NULL), column names told apart by case (as DuckDB's readers), and a JSON key named
#: twice read by ``try_parse_json``, so that both engines refuse such a line by one rule
#: (:func:`~infermodel.readers.logs.row_checks.key_named_twice_sql`; Spark refused it alone).
SPARK_QUERY_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.ansi.enabled": "true",
    "spark.sql.caseSensitive": "true",
    "spark.sql.variant.allowDuplicateKeys": "true",
}
#: Settings of a local Spark session the kit starts itself, unless the user's ``spark_conf``
#: says otherwise: no web UI (no port taken) and no console progress bar.
SPARK_SESSION_DEFAULTS = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false"}
#: Shuffle partitions per core of a *local* session the kit starts (Spark's default of 200 is
#: meant for a cluster: on two cores it made pricing a 1,000-request log 100 s instead of
#: 27 s). A cluster's session keeps its own (spark-defaults.conf, or ``spark_conf``).
LOCAL_SHUFFLE_PARTITIONS_PER_CORE = 2
SPARK_INSTALL = "install infermodel[spark] (pip install 'infermodel[spark]')"


def parse_spark_conf(items: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``KEY=VALUE`` texts (or a mapping) as Spark settings; one line for a malformed one."""
    if items is None:
        return {}
    pairs = items.items() if isinstance(items, Mapping) else (_split(i) for i in items)
    settings = {}
    for key, value in pairs:
        key = str(key).strip()
        if not key.startswith("spark."):
            raise InputError(
                f"spark conf {key!r}: Spark's settings start with spark. (e.g. "
                "spark.sql.shuffle.partitions=8, spark.hadoop.fs.s3a.endpoint=http://host:9000)"
            )
        settings[key] = str(value)
    return settings


def _split(item: str) -> tuple[str, str]:
    key, equals, value = str(item).partition("=")
    if not equals or not key.strip():
        raise InputError(
            f"spark conf {item!r} is not KEY=VALUE (e.g. spark.sql.shuffle.partitions=8)"
        )
    return key, value


def keeps_query_settings(settings: Mapping[str, str]) -> None:
    """Refuse a user's setting that would change what the kit's queries need (one line)."""
    for key, value in settings.items():
        if key in SPARK_QUERY_SETTINGS and value != SPARK_QUERY_SETTINGS[key]:
            raise InputError(
                f"spark conf {key}={value}: infermodel's queries need {key}="
                f"{SPARK_QUERY_SETTINGS[key]} (set around each of them, the session's own value "
                "put back after); drop it"
            )


def spark_errors() -> tuple[type[BaseException], ...]:
    """The exceptions Spark raises for a query or setting it refuses (classic and Connect)."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    return (PySparkException, Py4JJavaError)


def is_connect(session) -> bool:
    """Whether ``session`` is a Spark Connect client (no JVM of its own here)."""
    return type(session).__module__.startswith("pyspark.sql.connect")


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


def _quiet_imports() -> None:
    """Import what PySpark imports when it first hands a value to the JVM, its pandas-3
    warning silenced (infermodel hands it Arrow, never pandas)."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        import pyspark.testing.utils  # noqa: F401


def _defaults(master: str) -> dict[str, str]:
    """The kit's settings for a new session on ``master``: a local one's (see
    SPARK_SESSION_DEFAULTS); none on a cluster, whose own settings stand."""
    local = re.fullmatch(r"local(?:\[(\d+|\*)(?:,\d+)?\])?", master)
    if local is None:
        return {}
    threads = local.group(1)
    if threads is None:
        cores = 1  # "local": one thread
    elif threads == "*":
        cores = os.cpu_count() or 1
    else:
        cores = int(threads)
    partitions = str(LOCAL_SHUFFLE_PARTITIONS_PER_CORE * cores)
    return {**SPARK_SESSION_DEFAULTS, "spark.sql.shuffle.partitions": partitions}


def runtime_defaults(session) -> dict[str, str]:
    """The kit's local defaults that a started Spark Connect session can take at run time:
    those of a local server (``SPARK_REMOTE=local[2]``); none for a cluster's server."""
    remote = os.environ.get("SPARK_REMOTE", "")
    if not is_connect(session) or not remote.startswith("local"):
        return {}
    return {k: v for k, v in _defaults(remote).items() if k.startswith("spark.sql.")}


def spark_session(master: str | None = None, conf: Mapping[str, str] | None = None):
    """The active Spark session, or a new one: ``master``, else ``SPARK_REMOTE``, else local.

    A process has one Spark session: an active one is used as it is, whatever ``master``
    says. ``master`` is any Spark master URL (``local[2]``, ``spark://host:7077``, ``yarn``);
    without it, a ``SPARK_REMOTE`` in the environment (``sc://host:15002``) connects through
    Spark Connect, and otherwise Spark runs in this machine's JVM on every core. A new classic
    session starts with :data:`SPARK_SESSION_DEFAULTS` (and, local,
    :data:`LOCAL_SHUFFLE_PARTITIONS_PER_CORE`) and ``conf`` over them (``conf`` wins);
    an active or Spark Connect session is left as it is (the caller sets ``conf`` around its
    queries, :class:`QuerySettings`). Raises :class:`InputError` when pyspark is not
    installed, and :class:`DataError` (one line, with Spark's reason) when no session can
    start, e.g. without Java 17 or later.
    """
    # pyspark is an optional extra (infermodel[spark]): imported only when Spark is asked for.
    try:
        import sqlglot  # noqa: F401  (the SQL is transpiled for Spark)
        from pyspark.sql import SparkSession
    except ImportError as exc:
        needed = (exc.name or "pyspark").split(".")[0]
        raise InputError(f"the spark engine needs {needed}: {SPARK_INSTALL}") from None
    active = SparkSession.getActiveSession()
    if active is not None:  # one per process: its owner's, with its owner's settings
        running = None if is_connect(active) else active.sparkContext.master
        if master is not None and running is not None and running != master:
            raise InputError(
                f"spark master {master}: a Spark session is already running on {running} in "
                "this process (one process has one); drop the master, or stop that session"
            )
        return active
    remote = os.environ.get("SPARK_REMOTE") if master is None else None
    builder = SparkSession.builder.appName("infermodel")
    if remote:
        builder = builder.remote(remote)  # a Connect session takes runtime settings only
    else:
        builder = builder.master(master or "local[*]")
        for key, value in {**_defaults(master or "local[*]"), **(conf or {})}.items():
            builder = builder.config(key, value)
    _quiet_imports()
    with _jvm_output_kept() as jvm_output:
        try:
            session = builder.getOrCreate()
        except Exception as exc:  # the JVM or the cluster could not be reached: say why, once
            where = master or remote or "local[*]"
            reason = " ".join(str(exc).split())[:300] or type(exc).__name__
            said = _last_words(jvm_output)
            said = f"; the JVM said: {said}" if said and said not in reason else ""
            raise DataError(f"Spark could not start ({where}): {reason}{said}") from None
    # Errors come back as exceptions (one line each); Spark's logs would repeat them, with
    # the Java stack, on stderr: its JVM's log (classic sessions) and PySpark's own loggers.
    if not is_connect(session):
        session.sparkContext.setLogLevel("FATAL")
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL)
    return session


class QuerySettings:
    """Settings set around each of the kit's queries on one session, and put back after.

    ``user``: the user's runtime settings for a session the kit did not start with them;
    :data:`SPARK_QUERY_SETTINGS` win over them (the kit's answers depend on those).
    """

    def __init__(self, session, user: Mapping[str, str] | None = None):
        self.session = session
        self.wanted = {**(user or {}), **SPARK_QUERY_SETTINGS}
        self._depth = 0
        if user:
            with self:  # a setting Spark refuses on a running session is said now, once
                pass

    def __enter__(self) -> QuerySettings:
        if self._depth == 0:
            self._saved = self._apply()
        self._depth += 1
        return self

    def __exit__(self, *exc) -> None:
        self._depth -= 1
        if self._depth == 0:
            conf = self.session.conf
            for key, old in self._saved.items():
                if old is None:
                    conf.unset(key)
                else:
                    conf.set(key, old)

    def _apply(self) -> dict[str, str | None]:
        conf, saved = self.session.conf, {}
        for key, value in self.wanted.items():
            old = conf.get(key, None)
            if old == value:
                continue
            try:
                conf.set(key, value)
            except spark_errors() as exc:
                for done, before in saved.items():
                    conf.unset(done) if before is None else conf.set(done, before)
                cause = " ".join(str(exc).split())[:200]
                raise InputError(
                    f"spark conf {key}: cannot be set on a running session ({cause}); a setting "
                    "read when a session starts goes in spark-submit --conf or the cluster's "
                    "spark-defaults.conf"
                ) from None
            saved[key] = old
        return saved


__all__ = [
    "LOCAL_SHUFFLE_PARTITIONS_PER_CORE",
    "SPARK_INSTALL",
    "SPARK_QUERY_SETTINGS",
    "SPARK_SESSION_DEFAULTS",
    "QuerySettings",
    "is_connect",
    "keeps_query_settings",
    "parse_spark_conf",
    "runtime_defaults",
    "spark_errors",
    "spark_session",
]
