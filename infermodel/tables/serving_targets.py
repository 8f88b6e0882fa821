"""Serving assumptions defined by a latency target, not by a rate.

"Real time" is a latency target, not a throughput: what a team needs is how many streams one
replica serves while each keeps its inter-token latency (ITL) under X ms and its time to
first token (TTFT) under Y ms. ``data/serving_latency_targets.csv`` holds such targets, one
row per serving assumption of ``data/serving_assumptions.csv`` with the same id: the replica
(model, precision, GPU, GPU count), the request shape (input and output tokens) and the
targets. The rate of that serving row is not typed in: :mod:`infermodel.estimator.latency` finds the
capacity at the target with the calibrated estimator and writes it there (generated, labelled
estimated), so every command that prices serving assumptions prices it.

A separate table, rather than new columns of ``serving_assumptions.csv``: the definition of a
target (request shape, targets) means nothing for the rows that state a rate, and the serving
table keeps one meaning per column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from infermodel import paths
from infermodel._compat import pa
from infermodel.formulas.roofline import PRECISIONS
from infermodel.tables.reading import date_column, read_table

SERVING_TARGETS_SCHEMA = pa.DataFrameSchema(
    {
        "assumption_id": pa.Column(
            str,
            pa.Check.str_matches(r"^[a-z0-9][a-z0-9-]*$", error="must be lowercase-with-dashes"),
            unique=True,
        ),
        "label": pa.Column(str),
        "model": pa.Column(str),
        "precision": pa.Column(str, pa.Check.isin(PRECISIONS)),
        "gpu": pa.Column(str),
        "gpus_per_replica": pa.Column(int, pa.Check.in_range(1, 64, error="must be 1-64 GPUs")),
        "input_tokens": pa.Column(int, pa.Check.ge(1, error="must be >= 1 token")),
        "output_tokens": pa.Column(int, pa.Check.ge(1, error="must be >= 1 token")),
        "itl_ms_target": pa.Column(
            float, pa.Check.in_range(0.01, 100_000, error="must be 0.01-100,000 ms per token")
        ),
        "ttft_ms_target": pa.Column(
            float,
            pa.Check.in_range(0.01, 10_000_000, error="must be 0.01-10,000,000 ms (empty: none)"),
            nullable=True,
        ),
        "observed_on": date_column("observed_on"),
        "source_url": pa.Column(str),
        "note": pa.Column(str),
    },
    strict=True,
    coerce=True,
    name="serving_latency_targets",
)


def load_serving_targets(path: Path = paths.SERVING_TARGETS_CSV) -> pd.DataFrame:
    """Serving assumptions defined by a latency target, validated; none when absent."""
    if not Path(path).is_file():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SERVING_TARGETS_SCHEMA.columns})
    return read_table(path, SERVING_TARGETS_SCHEMA)
