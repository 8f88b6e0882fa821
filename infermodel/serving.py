"""Serving assumptions for self-hosted (DIY) rows, and the GPU specs they are matched on.

A serving assumption says how fast one *replica* of a model serves: which model, at which
precision, on how many GPUs, in which mode (``batch`` or ``realtime``), at how many output
tokens per hour, and from which source (the article, a measurement). Utilization is a
scenario parameter, not part of the assumption.

An assumption applies to a rented GPU offering when its ``gpu`` is ``any`` or that exact SKU,
and when ``gpus_per_replica`` of that GPU hold ``min_memory_gb_per_replica``;
:func:`pairs` lists every (GPU offering, assumption) pair with the reason it is not priced.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from infermodel import paths
from infermodel.schema import TableError, date_column, read_table, row_problems
from infermodel.units import SECONDS_PER_HOUR

MODES = ("batch", "realtime")
ANY_GPU = "any"

GPU_SPECS_SCHEMA = pa.DataFrameSchema(
    {
        "gpu": pa.Column(str, unique=True),
        "vendor": pa.Column(str),
        "memory_gb": pa.Column(float, pa.Check.in_range(1, 1024, error="must be 1-1024 GB")),
        "memory_bandwidth_tb_per_s": pa.Column(
            float, pa.Check.in_range(0.1, 50, error="must be 0.1-50 TB/s"), nullable=True
        ),
        # Dense (no 2:4 sparsity) tensor throughput; empty where the chip lacks the format.
        **{
            f"dense_{fmt}_tflops": pa.Column(
                float,
                pa.Check.in_range(1, 100_000, error="must be 1-100,000 TFLOP/s (dense)"),
                nullable=True,
            )
            for fmt in ("bf16", "fp8", "fp4")
        },
        "source_url": pa.Column(str),
        "observed_on": date_column("observed_on"),
        "note": pa.Column(str, nullable=True),
    },
    strict=True,
    coerce=True,
    name="gpu_specs",
)

SERVING_SCHEMA = pa.DataFrameSchema(
    {
        "assumption_id": pa.Column(
            str,
            pa.Check.str_matches(r"^[a-z0-9][a-z0-9-]*$", error="must be lowercase-with-dashes"),
            unique=True,
        ),
        "label": pa.Column(str),
        "model": pa.Column(str),
        "precision": pa.Column(
            str, pa.Check.isin(("fp32", "bf16", "fp16", "fp8", "int8", "int4", "fp4"))
        ),
        "gpu": pa.Column(str),
        "gpus_per_replica": pa.Column(int, pa.Check.in_range(1, 64, error="must be 1-64 GPUs")),
        "min_memory_gb_per_replica": pa.Column(float, pa.Check.gt(0, error="must be > 0 GB")),
        "mode": pa.Column(str, pa.Check.isin(MODES)),
        "output_tokens_per_hour_per_replica": pa.Column(
            float, pa.Check.gt(0, error="must be > 0 tokens per hour")
        ),
        "article_default": pa.Column(
            str, pa.Check.isin(("true", "false"), error="must be true or false")
        ),
        "observed_on": date_column("observed_on"),
        "source_url": pa.Column(str),
        "note": pa.Column(str),
    },
    strict=True,
    coerce=True,
    name="serving_assumptions",
)


def load_gpu_specs(path: Path = paths.GPU_SPECS_CSV) -> pd.DataFrame:
    """GPU specs (memory, bandwidth), one row per exact SKU, validated."""
    return read_table(path, GPU_SPECS_SCHEMA)


def load_serving(
    path: Path = paths.SERVING_CSV, *, gpu_specs: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Serving assumptions, validated; adds ``tokens_per_second`` per replica.

    A ``gpu`` other than ``any`` must be a SKU in the GPU specs table.
    """
    table = read_table(path, SERVING_SCHEMA)
    specs = load_gpu_specs() if gpu_specs is None else gpu_specs
    known = set(specs["gpu"])
    unknown = (table["gpu"] != ANY_GPU) & ~table["gpu"].isin(known)
    if unknown.any():
        rule = f"must be 'any' or a SKU in gpu_specs.csv: {', '.join(sorted(known))}"
        raise TableError(row_problems(table, unknown, path, "gpu", rule))
    return table.assign(
        article_default=table["article_default"] == "true",
        tokens_per_second=table["output_tokens_per_hour_per_replica"] / SECONDS_PER_HOUR,
    )


def select(serving: pd.DataFrame, ids: Sequence[str] | str | None = None) -> pd.DataFrame:
    """Pick serving assumptions by id, in the order given.

    ``None`` or ``"article"`` gives the article's defaults, ``"all"`` every assumption.
    Raises ``ValueError`` naming an unknown id and listing the valid ones.
    """
    if ids is None or ids == "article":
        return serving[serving["article_default"]].reset_index(drop=True)
    if ids == "all":
        return serving.reset_index(drop=True)
    if isinstance(ids, str):
        ids = [ids]
    valid = list(serving["assumption_id"])
    unknown = [i for i in ids if i not in valid]
    if unknown:
        raise ValueError(
            f"unknown serving assumption {unknown[0]!r}; valid: 'article', 'all', "
            + ", ".join(valid)
        )
    if not ids:
        raise ValueError("no serving assumption selected; give at least one id, 'article' or 'all'")
    return serving.set_index("assumption_id").loc[list(ids)].reset_index()


def pairs(
    gpu_offerings: pd.DataFrame, serving: pd.DataFrame, gpu_specs: pd.DataFrame
) -> pd.DataFrame:
    """Every (GPU offering, serving assumption) pair, with whether it can be priced.

    Returns the columns of both tables (serving columns prefixed where they clash), plus
    ``memory_gb_per_replica``, ``priced`` (bool) and ``reason`` (why not, else empty).
    """
    offers = gpu_offerings.merge(
        gpu_specs[["gpu", "memory_gb"]], on="gpu", how="left", validate="many_to_one"
    )
    serve = serving.rename(
        columns={
            "gpu": "serving_gpu",
            "observed_on": "serving_observed_on",
            "source_url": "serving_source_url",
            "note": "serving_note",
        }
    )
    grid = offers.merge(serve, how="cross")
    grid["memory_gb_per_replica"] = grid["memory_gb"] * grid["gpus_per_replica"]
    other_gpu = (grid["serving_gpu"] != ANY_GPU) & (grid["serving_gpu"] != grid["gpu"])
    too_small = grid["memory_gb_per_replica"] < grid["min_memory_gb_per_replica"]
    no_spec = grid["memory_gb"].isna()  # never price a GPU whose memory is unknown
    grid["priced"] = ~other_gpu & ~too_small & ~no_spec
    reason = pd.Series("", index=grid.index, dtype=object)
    reason[too_small] = (
        "model needs "
        + grid["min_memory_gb_per_replica"].map("{:g} GB".format)
        + ", replica has "
        + grid["memory_gb_per_replica"].map("{:g} GB".format)
    )
    reason[other_gpu] = "assumption measured on " + grid["serving_gpu"]
    reason[no_spec] = "GPU not in gpu_specs.csv (memory unknown)"
    grid["reason"] = reason
    return grid
