"""Seeded synthetic request logs, labelled as such, for demos, tests and benchmarks.

:func:`write_synthetic_log` writes a log of the shape real chat traffic has (log-normal prompt
and output lengths, a few very long prompts, shared cached prefixes, a daily arrival peak)
with DuckDB, streaming, so 10 million rows need little memory. Every row says it is synthetic
in its ``source`` column; nothing in it is measured.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pandas as pd

from infermodel.errors import InputError
from infermodel.readers.logs import MOONCAKE_BLOCK_TOKENS, connect, quote_sql
from infermodel.units import SECONDS_PER_HOUR

#: Label written into every synthetic log (column ``source``) and its file name.
SYNTHETIC_LABEL = "SYNTHETIC (infermodel.synthetic.write_synthetic_log; not real traffic)"


def _uniform(salt: int, seed: int) -> str:
    """SQL for a draw in (0, 1) with 53 random bits, one per (row ``i``, ``salt``, ``seed``)."""
    # One hashed value per (row, draw, seed): DuckDB's several-argument hash combines the
    # arguments' hashes, which leaves draws of the same row correlated.
    key = f"(i * 64 + {salt} + {int(seed)} * 1099511627776)"
    return f"(((hash({key}) >> 11)::DOUBLE + 0.5) / 9007199254740992.0)"


def _normal(salt: int, seed: int) -> str:
    """SQL for a standard normal draw (Box-Muller on two uniform draws)."""
    return f"(sqrt(-2 * ln({_uniform(salt, seed)})) * cos(2 * pi() * {_uniform(salt + 1, seed)}))"


def write_synthetic_log(
    path: str | Path,
    *,
    requests: int = 10_000,
    seed: int = 0,
    start: str = "2025-05-01 00:00:00",
    hours: float = 24.0,
) -> Path:
    """Write a seeded synthetic request log (Parquet, CSV or JSONL by ``path``'s suffix).

    CSV and JSONL may be compressed: a name ending ``.gz`` or ``.zst`` (``log.csv.gz``,
    ``log.jsonl.zst``) writes gzip or zstd.

    Built by DuckDB from hashes of the row number and ``seed`` (same file for the same
    arguments, on any number of threads), streaming, so 10 million rows need little memory.
    Labelled synthetic in its ``source`` column. Shape (illustrative, not measured): prompts
    log-normal with median 1,000 tokens (sigma 1.0, at most 32,000), plus 0.3 % long
    prompts (median 150,000, at most 1,000,000) that reach long-context tiers; 60 % of
    requests share a cached prefix of 1-8 blocks of 512 tokens; outputs log-normal with median
    250 tokens (sigma 0.8, at most 8,192); arrivals over ``hours`` with one smooth peak mid
    span (peak rate 4x the trough).

    Parameters
    ----------
    path
        Target file; ``.parquet``, ``.csv`` or ``.jsonl``, the last two optionally followed by
        ``.gz`` or ``.zst``.
    requests
        Rows to write, > 0. [requests]
    seed
        Seed of the pseudo-random draws.
    start
        Arrival time of the first request, ``YYYY-MM-DD HH:MM:SS``.
    hours
        Span of the arrivals, > 0. [h]
    """
    path = Path(path)
    formats = {".parquet": "FORMAT parquet", ".csv": "FORMAT csv, HEADER", ".jsonl": "FORMAT json"}
    compressions = {".gz": "gzip", ".zst": "zstd"}
    compression = compressions.get(path.suffix)
    suffix = Path(path.stem).suffix if compression else path.suffix
    if suffix not in formats or (compression and suffix == ".parquet"):
        valid = ", ".join([*formats, ".csv.gz", ".csv.zst", ".jsonl.gz", ".jsonl.zst"])
        raise InputError(f"path must end in {valid}, got {path.name!r}")
    options = formats[suffix] + (f", COMPRESSION {compression}" if compression else "")
    if isinstance(requests, bool) or not isinstance(requests, int) or requests <= 0:
        raise InputError(f"requests must be a whole number > 0, got {requests!r}")
    if not (isinstance(hours, (int, float)) and math.isfinite(hours) and hours > 0):
        raise InputError(f"hours must be a number > 0, got {hours!r}")
    start_ts = pd.Timestamp(start)

    seconds = float(hours) * SECONDS_PER_HOUR
    amplitude = 0.6  # arrival rate from 1 / 1.6 to 1 / 0.4 of the mean: peak 4x the trough
    sql = f"""
        WITH draws AS (
            SELECT i, (i + {_uniform(1, seed)}) / {requests} AS u,
                   CASE WHEN {_uniform(2, seed)} < 0.003
                        THEN least(1000000,
                                   greatest(1, round(150000 * exp(0.5 * {_normal(3, seed)}))))
                        ELSE least(32000, greatest(1, round(1000 * exp({_normal(5, seed)}))))
                   END::BIGINT AS input_tokens,
                   CASE WHEN {_uniform(7, seed)} < 0.6
                        THEN 1 + floor(8 * {_uniform(8, seed)}) ELSE 0 END AS prefix_blocks,
                   least(8192, greatest(1, round(250 * exp(0.8 * {_normal(9, seed)}))))::BIGINT
                       AS output_tokens
            FROM range({requests}) t(i)
        )
        SELECT TIMESTAMP '{start_ts:%Y-%m-%d %H:%M:%S}' + to_milliseconds(round(
                   {seconds * 1000} * (u + {amplitude} / (2 * pi()) * sin(2 * pi() * u)))::BIGINT
               ) AS timestamp,
               input_tokens,
               least(input_tokens, {MOONCAKE_BLOCK_TOKENS} * prefix_blocks)::BIGINT
                   AS cached_input_tokens,
               output_tokens, 'synthetic' AS model, {quote_sql(SYNTHETIC_LABEL)} AS source
        FROM draws ORDER BY i
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    con = connect()
    try:
        con.execute(f"COPY ({sql}) TO {quote_sql(str(path))} ({options})")
    finally:
        con.close()
    return path


def synthetic_log_path(*, requests: int = 10_000, seed: int = 0, suffix: str = ".parquet") -> Path:
    """A synthetic log in the system's temporary folder, written on first use."""
    folder = Path(tempfile.gettempdir()) / "infermodel-synthetic"
    path = folder / f"synthetic_log_{requests}_requests_seed{seed}{suffix}"
    if not path.is_file():
        # Write to a side file first so that a half-written log is never picked up.
        partial = path.with_name(f".partial-{path.name}")
        write_synthetic_log(partial, requests=requests, seed=seed)
        partial.replace(path)
    return path
