"""A log's raw rows in Spark, read where the data is, numbered by line part after part.

Spark reads every log itself, from any path its file systems read (``file://`` for this
machine's files, ``s3a://``, ``hdfs://``, ``abfss://``, ``gs://``, ``dbfs:/`` on a cluster that
has their connectors), a folder of parts or a glob, so that no line of a log goes through the
driver:

- A URI's parts are listed by Spark (:func:`locate`; the ``binaryFile`` source, which reads
  paths, sizes and modification times, not contents), its first lines read by Spark too
  (:func:`open_uri`). A path Spark cannot read is one line: not found, or which connector a
  scheme needs.
- Parquet: each row numbered by ``_metadata.row_index`` (+ the rows of the parts before it).
- Text (CSV, JSON lines): Spark's text source, split across executors; each line's number is
  its place in its block (a file's split) plus the lines of the blocks before it, counted per
  block: a few numbers per block reach the driver, never a line. CSV records and fields are
  then split by the SQL both engines share (:mod:`infermodel.readers.logs.csv_records`).
- Spark decompresses by name (Hadoop's codecs: ``.gz``, ``.zst``), infermodel by content. A
  local log whose content is compressed unlike its name (``log.csv`` holding gzip data) is
  read by DuckDB on this machine and handed to Spark, up to :data:`DRIVER_MAX_BYTES` of
  text, refused in one line past it (rename it, or write Parquet); a URI's, refused in one line.

Every source carries the log's identity
(:attr:`~infermodel.readers.logs.locations.LogPath.identity`) as a constant column, so that
Spark never answers from data it cached for an earlier version of the same path.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from urllib.parse import unquote

from infermodel.errors import DataError, InputError
from infermodel.readers.logs import csv_records
from infermodel.readers.logs.engines import SparkEngine, spark_cause
from infermodel.readers.logs.files import (
    HEAD_BYTES,
    CsvLayout,
    LogFile,
    checked_head,
    codec_by_name,
    compression_of,
    not_utf8,
    raw_lines_sql,
)
from infermodel.readers.logs.locations import LogPath, Part, escape_glob, skipped
from infermodel.readers.logs.sources import KEY_LINES, Block, Parts, Source
from infermodel.readers.logs.spark_sessions import spark_errors

#: Name of the Spark view holding a Parquet log's rows.
SOURCE_VIEW = "infermodel_source"
#: Name of the Spark view of a text log's lines before they are numbered.
RAW_VIEW = "infermodel_raw_lines"
#: Most text (Arrow bytes) DuckDB reads on this machine for Spark: a compressed local log
#: whose name does not say its compression. Past it the log is refused in one line. [bytes]
DRIVER_MAX_BYTES = 32 << 20
#: Spark's type names as DuckDB's, for the checks that depend on a column being text.
_TYPES = {"string": "VARCHAR", "double": "DOUBLE", "bigint": "BIGINT", "int": "INTEGER"}
#: What each URI scheme needs on a Spark cluster, said when Spark has no file system for it.
CONNECTORS = {
    "s3a": "Hadoop's S3A connector (hadoop-aws, e.g. spark.jars.packages="
    "org.apache.hadoop:hadoop-aws:<the cluster's Hadoop version>)",
    "s3": "a file system for s3:// (EMR's EMRFS); elsewhere use s3a:// with hadoop-aws",
    "gs": "Google's Cloud Storage connector (com.google.cloud.bigdataoss:gcs-connector)",
    "abfs": "Hadoop's Azure connector (hadoop-azure)",
    "abfss": "Hadoop's Azure connector (hadoop-azure)",
    "wasb": "Hadoop's Azure connector (hadoop-azure)",
    "wasbs": "Hadoop's Azure connector (hadoop-azure)",
    "dbfs": "Databricks' runtime (dbfs:/ paths are read on a Databricks cluster)",
}


def _no_file_system(cause: str) -> bool:
    said = ("No FileSystem for scheme", "ClassNotFoundException", "UNSUPPORTED_FILE_SYSTEM")
    return any(words in cause for words in said)


@contextmanager
def _listing(given: str, scheme: str):
    """Spark's errors while it lists or opens ``given``, as one line (see CONNECTORS)."""
    try:
        yield
    except spark_errors() as exc:
        cause = spark_cause(exc)
        if "PATH_NOT_FOUND" in cause or "FileNotFoundException" in cause:
            raise InputError(f"log {given}: not found (Spark: {cause})") from None
        if _no_file_system(cause):
            needs = CONNECTORS.get(scheme, f"a Hadoop file system for {scheme}://")
            raise InputError(
                f"{given}: Spark cannot read {scheme}:// paths here ({cause}); the cluster "
                f"needs {needs}"
            ) from None
        raise DataError(f"{given}: Spark cannot list it: {cause}") from None


def locate(engine: SparkEngine, given: str, scheme: str) -> LogPath:
    """The parts of a log at a URI, as Spark lists them where the data is (any depth)."""
    from pyspark.sql import functions as F

    with engine.settings, _listing(given, scheme):
        listed = (
            engine.session.read.format("binaryFile")
            .option("recursiveFileLookup", "true")
            .load(given)
            .select("path", "length", F.unix_millis("modificationTime").alias("modified"))
            .collect()
        )
    parts = sorted(
        (Part(row.path, escape_glob(row.path), int(row.length), int(row.modified))
         for row in listed if not skipped(row.path.rsplit("/", 1)[-1])),
        key=lambda part: unquote(part.name),
    )  # fmt: skip
    if not parts:
        raise InputError(f"log {given}: not found (nothing to read there)")
    return LogPath(given, scheme, tuple(parts))


def _first_values(engine: SparkEngine, part: Part, count: int, *, blank: bool) -> list[bytes]:
    """The first ``count`` lines of a part as Spark reads them (decompressed by name)."""
    frame = engine.session.read.text(part.spark)
    if not blank:
        frame = frame.where("trim(value) <> ''")
    cut = frame.selectExpr(f"substring(CAST(value AS BINARY), 1, {HEAD_BYTES}) AS head")
    with engine.settings:
        return [bytes(row.head) for row in cut.limit(count).collect()]


def open_uri(engine: SparkEngine, given: str, scheme: str) -> LogFile:
    """A log at a URI: its parts listed and its first bytes read by Spark.

    Compression is told by name, as Spark reads it; content compressed under a name that
    does not say so is refused in one line.
    """
    where = locate(engine, given, scheme)
    codecs = {codec_by_name(part.name) for part in where.parts}
    if len(codecs) > 1 or not codecs <= {None, "gzip", "zstd"}:
        raise DataError(
            f"{given}: its parts are named as compressed unlike each other, or with a codec "
            "infermodel does not read (it reads plain, gzip .gz and zstd .zst logs)"
        )
    first = where.parts[0]
    with _listing(given, scheme):
        lines = _first_values(engine, first, 64, blank=True)
    head = b"\n".join(lines)[:HEAD_BYTES]
    hidden = compression_of(head[:16], first.name)
    if hidden is not None:
        raise DataError(
            f"{first.name}: {hidden}-compressed data under a name Spark does not decompress "
            "(it picks the codec by the name's suffix): rename it to end in "
            f"{'.gz' if hidden == 'gzip' else '.zst'}"
        )
    return checked_head(LogFile(given, codecs.pop(), head, where))


def first_lines(engine: SparkEngine, log: LogFile) -> list[str]:
    """The first non-blank lines of a log's first part (to list a JSON log's keys)."""
    values = _first_values(engine, log.parts.parts[0], KEY_LINES, blank=False)
    return [value.decode("utf-8", errors="replace") for value in values]


def through_driver(log: LogFile) -> bool:
    """Whether DuckDB must read this log's lines for Spark: a local log compressed unlike
    its parts' names say (Spark would decompress by the name)."""
    return log.parts.local and any(
        codec_by_name(part.name) != log.compression for part in log.parts.parts
    )


def parquet(engine: SparkEngine, log: LogFile) -> Source:
    """A Parquet log's rows in Spark (the view :data:`SOURCE_VIEW`), ``line`` its place + 1."""
    from pyspark.sql import functions as F

    where = log.parts
    frame = engine.session.read.parquet(*(part.spark for part in where.parts))
    types = {f.name: _TYPES.get(f.dataType.simpleString(), f.dataType.simpleString())
             for f in frame.schema.fields}  # fmt: skip
    columns = [*frame.columns, "infermodel_log"]
    base = frame.select(
        F.col("_metadata.file_path").alias("infermodel_path"),
        (F.col("_metadata.row_index") + 1).alias("infermodel_row"),
        "*",
        F.lit(where.identity).alias("infermodel_log"),
    )
    if len(where.parts) == 1:
        numbered = base.select(F.col("infermodel_row").cast("bigint").alias("line"), *columns)
        parts = Parts((where.parts[0].name,), (1,))
    else:
        with engine.settings:
            counts = dict(base.groupBy("infermodel_path").count().collect())
        befores, firsts, names, before = [], [], [], 0
        for spark_path, name, rows in _in_order(where, counts):
            befores.append((spark_path, before))
            firsts.append(before + 1)
            names.append(name)
            before += rows
        offsets = engine.session.createDataFrame(befores, "infermodel_path STRING, before BIGINT")
        line = (F.col("before") + F.col("infermodel_row")).cast("bigint").alias("line")
        numbered = base.join(F.broadcast(offsets), "infermodel_path").select(line, *columns)
        parts = Parts(tuple(names), tuple(firsts))
    engine.keep(SOURCE_VIEW, numbered, cache=False)
    return Source(f"SELECT * FROM {SOURCE_VIEW}", types, parts)


def _plain(spark_path: str) -> str:
    """A path as Spark's metadata gives it (``file:/a%20b``), decoded (``/a b``)."""
    decoded = unquote(spark_path)
    if decoded.startswith("file:"):
        return "/" + decoded[len("file:") :].lstrip("/")
    return decoded


def _in_order(where: LogPath, counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """(Spark's path, the part's name, count) for each path Spark read, in the parts' order."""
    if where.local:
        names = {os.path.abspath(part.name): part.name for part in where.parts}
    else:
        names = {unquote(part.name): part.name for part in where.parts}
    found = [(path, names.get(_plain(path), _plain(path)), n) for path, n in counts.items()]
    return sorted(found, key=lambda item: _plain(item[0]))


def lines(engine: SparkEngine, log: LogFile, fmt: str, layout: CsvLayout | None) -> list[Block]:
    """A text log's lines in Spark (the view ``infermodel_lines``: block, line, text), numbered
    from counts per block, and its blocks; a line not UTF-8 refuses the log, as on DuckDB."""
    if through_driver(log):
        return _driver_lines(engine, log, fmt, layout)
    from pyspark.sql import functions as F

    raw = engine.session.read.text([part.spark for part in log.parts.parts]).select(
        F.col("value").alias("text"),
        F.col("_metadata.file_path").alias("path"),
        F.col("_metadata.file_block_start").alias("block_start"),
        F.monotonically_increasing_id().alias("seq"),
        F.lit(log.parts.identity).alias("infermodel_log"),
    )
    engine.keep(RAW_VIEW, raw, cache=False)
    d = layout.delimiter if layout else None
    opens = csv_records.opens_sql(d) if d else "false"
    summary = engine.rows(
        f"SELECT path, block_start, count(*), bool_or({opens}), "
        f"arg_min(substring(coalesce(text, ''), 1, {HEAD_BYTES}), seq), "
        f"min(CASE WHEN NOT is_valid_utf8(text) THEN seq END) FROM {RAW_VIEW} "
        "GROUP BY path, block_start"
    )
    counts: dict[str, int] = {}
    for path, _, n, *_ in summary:
        counts[path] = counts.get(path, 0) + n
    names = {path: name for path, name, _ in _in_order(log.parts, counts)}
    summary.sort(key=lambda row: (_plain(row[0]), row[1]))
    numbering, blocks, before, first = [], [], 0, 0
    for index, (path, start, n, opened, header, _) in enumerate(summary):
        starts_file = index == 0 or summary[index - 1][0] != path
        first = before + 1 if starts_file else first
        numbering.append((path, start, index, before))
        blocks.append(Block(index, names[path], starts_file, first, bool(opened),
                            header if starts_file else None))  # fmt: skip
        before += n
    engine.keep(
        "infermodel_numbering",
        engine.session.createDataFrame(
            numbering, "path STRING, block_start BIGINT, block BIGINT, lines_before BIGINT"
        ),
        cache=False,
    )
    engine.view(
        csv_records.LINES_VIEW,
        f"SELECT n.block, (n.lines_before + row_number() OVER (PARTITION BY r.path, "
        f"r.block_start ORDER BY r.seq))::BIGINT AS line, r.text, r.infermodel_log "
        f"FROM {RAW_VIEW} r JOIN infermodel_numbering n "
        "ON r.path = n.path AND r.block_start = n.block_start",
    )
    if any(row[5] is not None for row in summary):
        _refuse_not_utf8(engine, log, fmt, Parts.of(blocks))
    return blocks


def _refuse_not_utf8(engine: SparkEngine, log: LogFile, fmt: str, parts: Parts) -> None:
    (line,) = engine.rows(
        f"SELECT min(line) FROM {csv_records.LINES_VIEW} WHERE NOT is_valid_utf8(text)"
    )[0]
    name, own = parts.where(int(line))
    where = log.path if len(parts.names) == 1 else name
    raise DataError(f"{where}: cannot be read as {fmt}: {not_utf8(own)}")


def _bytes(size: int) -> str:
    return f"{size >> 20:,} MiB" if size >= 1 << 20 else f"{size:,} bytes"


def _driver_lines(engine: SparkEngine, log: LogFile, fmt: str, layout) -> list[Block]:
    """A small local log's lines, read (and decompressed) by DuckDB, handed to Spark."""
    import pyarrow as pa

    files = [part.name for part in log.parts.parts]
    many = len(files) > 1
    raw = raw_lines_sql(files, log.compression, filename=many)
    listed = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    block = f"list_position({listed}, filename) - 1" if many else "0"
    reader = engine.local.sql(
        f"SELECT ({block})::BIGINT AS block, line, text FROM "
        f"(SELECT *, row_number() OVER ()::BIGINT AS line FROM ({raw}))"
    ).to_arrow_reader(65_536)
    batches, size = [], 0
    with engine.reading(log.path, fmt):
        for batch in reader:
            size += batch.nbytes
            if size > DRIVER_MAX_BYTES:
                raise DataError(
                    f"{log.path}: {log.compression}-compressed, under a name Spark does not "
                    f"decompress (Spark picks the codec by the name's suffix), and past the "
                    f"{_bytes(DRIVER_MAX_BYTES)} of text infermodel hands Spark from this "
                    "machine: rename it to end in "
                    f"{'.gz' if log.compression == 'gzip' else '.zst'} (Spark then reads it "
                    "itself), or write it as Parquet"
                )
            batches.append(batch)
    driver_lines = pa.Table.from_batches(batches, reader.schema)
    d = layout.delimiter if layout else None
    opens = csv_records.opens_sql(d) if d else "false"
    summary = engine.local.sql(
        f"SELECT block, min(line), bool_or({opens}), arg_min(coalesce(text, ''), line) "
        "FROM driver_lines GROUP BY block ORDER BY block"
    ).fetchall()
    identity = pa.array([log.parts.identity] * len(driver_lines), pa.string())
    engine.arrow(csv_records.LINES_VIEW, driver_lines.append_column("infermodel_log", identity))
    return [Block(int(b), files[int(b)], True, int(f), bool(o), h) for b, f, o, h in summary]


__all__ = [
    "CONNECTORS",
    "DRIVER_MAX_BYTES",
    "SOURCE_VIEW",
    "first_lines",
    "lines",
    "locate",
    "open_uri",
    "parquet",
    "through_driver",
]
