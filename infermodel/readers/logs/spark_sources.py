"""A log's raw rows in Spark, numbered by their line in the file, for the same checks as DuckDB.

Everything from the per-row checks on is one SQL text for both engines
(:mod:`infermodel.readers.logs.dialects`); what differs is how the raw rows reach it. On Spark:

- Parquet is read by Spark itself, from wherever its executors read (a local path here, any
  path on a cluster's shared storage), each row numbered by ``_metadata.row_index``
  (``line`` = row + 1, as DuckDB's ``file_row_number``).
- JSON lines (plain) are read by Spark as text, one value per line, split across executors;
  each line's number is its position inside its file block plus the lines of the blocks
  before it (counted per block, a few numbers, on the driver). Blank lines are numbered,
  then skipped, as in DuckDB.
- CSV, and any gzip- or zstd-compressed log, are split into rows by DuckDB on the driver, with
  the same code as the DuckDB engine (:func:`infermodel.readers.logs.files.csv_sql`: strict
  fields, rejected rows, line numbers), and handed to Spark through Arrow. This is the one
  boundary: a CSV's records (quoted fields over several lines, rows with the wrong number of
  fields, the real line of each) are what DuckDB's reader says they are, so both engines
  report the same bad rows. A CSV (or compressed) log larger than one machine should be
  written as Parquet first; DuckDB does that in one statement (``COPY ... TO 'log.parquet'``).
"""

from __future__ import annotations

from collections.abc import Callable

from infermodel.errors import DataError
from infermodel.readers.logs.engines import SparkEngine
from infermodel.readers.logs.files import LogFile, clear_rejects, not_utf8, take_rejects

#: Name of the Spark view holding a log's raw rows.
SOURCE_VIEW = "infermodel_source"
#: Spark's type names as DuckDB's, for the checks that depend on a column being text.
_TYPES = {"string": "VARCHAR", "double": "DOUBLE", "bigint": "BIGINT", "int": "INTEGER"}


def staged(fmt: str, log: LogFile) -> bool:
    """Whether DuckDB splits this log into rows for Spark (CSV, or any compressed log)."""
    return fmt in ("azure", "csv") or log.compression is not None


def load(
    engine: SparkEngine, log: LogFile, fmt: str, duckdb_source: Callable[[bool], str]
) -> dict[str, str]:
    """Put a log's raw rows in the Spark view :data:`SOURCE_VIEW`; return column -> type.

    ``duckdb_source(store_rejects)`` is the DuckDB engine's SQL for the same rows, used for
    the logs DuckDB splits (:func:`staged`); a CSV's rejected rows are then in ``rejected``
    of :attr:`engine.local <infermodel.readers.logs.engines.Engine.local>`, as for DuckDB.
    """
    session = engine.session
    if staged(fmt, log):
        csv_like = fmt in ("azure", "csv")
        if csv_like:
            clear_rejects(engine.local)
        table = engine.local.sql(duckdb_source(csv_like)).to_arrow_table()
        if csv_like:
            take_rejects(engine.local, log.path)
        engine.arrow(SOURCE_VIEW, table)
        return {}
    if fmt == "parquet":
        frame = session.read.parquet(str(log.path))
        types = {f.name: _TYPES.get(f.dataType.simpleString(), f.dataType.simpleString())
                 for f in frame.schema.fields}  # fmt: skip
        numbered = frame.selectExpr("CAST(_metadata.row_index + 1 AS BIGINT) AS line", "*")
        engine.keep(SOURCE_VIEW, numbered, cache=False)
        return types
    _number_lines(engine, log, fmt)
    return {}


def _number_lines(engine: SparkEngine, log: LogFile, fmt: str) -> None:
    """A text file's non-blank lines as (``line``, ``text``), numbered as in the file.

    A line that is not UTF-8 refuses the log, as DuckDB's reader does (Spark's text reader
    would keep its bytes and read them as replacement characters).
    """
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    lines = engine.session.read.text(str(log.path)).select(
        F.col("value").alias("text"),
        F.col("_metadata.file_block_start").alias("block"),
        F.monotonically_increasing_id().alias("seq"),
    )
    lines = lines.cache()
    counts = sorted(tuple(row) for row in lines.groupBy("block").count().collect())
    offsets, before = [], 0
    for block, count in counts:
        offsets.append((block, before))
        before += count
    starts = engine.session.createDataFrame(offsets, "block BIGINT, before BIGINT")
    within = F.row_number().over(Window.partitionBy("block").orderBy("seq"))
    numbered = (
        lines.join(F.broadcast(starts), "block")
        .select((F.col("before") + within).cast("bigint").alias("line"), "text")
        .where(F.trim(F.coalesce(F.col("text"), F.lit(""))) != "")
    )
    (first_bad,) = numbered.where("NOT is_valid_utf8(text)").agg(F.min("line")).first()
    if first_bad is not None:
        raise DataError(f"{log.path}: cannot be read as {fmt}: {not_utf8(first_bad)}")
    engine.keep(SOURCE_VIEW, numbered, cache=False)


__all__ = ["SOURCE_VIEW", "load", "staged"]
