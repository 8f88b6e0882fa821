"""Serving engines and their defaults: memory fraction, largest batch and KV-cache dtype.

The same GPU serves a model at different speeds under vLLM, SGLang and TensorRT-LLM, and
the batch that fits differs too: each engine gives the KV cache its own share of memory and
caps the batch its own way. ``data/serving_engines.csv`` holds each engine's defaults, read
from its documentation or code and cited row by row; :func:`defaults` applies them to
configurations (vectorized), and :mod:`infermodel.estimator.throughput` estimates with them.

- vLLM: ``gpu_memory_utilization`` of the *whole* memory for weights and cache,
  ``max_num_seqs`` (1024 on GPUs of 70 GiB or more other than A100, 256 otherwise), a cache in
  the model's dtype (BF16 for an FP8 checkpoint);
- SGLang: ``mem_fraction_static`` of the whole memory, by tensor-parallel size;
- TensorRT-LLM: ``free_gpu_memory_fraction`` of the memory the weights leave, a batch of at
  most 2048, the checkpoint's cache dtype (FP8 for NVIDIA's FP8 and FP4 checkpoints).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from infermodel import paths
from infermodel.errors import InputError, Problem, TableError
from infermodel.formulas.roofline import KV_CACHE_DTYPES, MEMORY_BASES
from infermodel.tables.reading import date_column, read_table

#: Engines the estimator knows, in display order.
ENGINES = ("vllm", "sglang", "trtllm")
ENGINE_LABELS = {"vllm": "vLLM", "sglang": "SGLang", "trtllm": "TensorRT-LLM"}
#: The engine an estimate uses when none is named: the most deployed open-source one.
DEFAULT_ENGINE = "vllm"
#: Engines that run only on NVIDIA GPUs.
NVIDIA_ONLY = ("trtllm",)
#: vLLM's larger batch defaults apply from this much memory per GPU. [GiB]
LARGE_GPU_MEMORY_GIB = 70
#: Weight precisions whose checkpoints may carry a low-precision KV cache.
LOW_PRECISION_WEIGHTS = ("fp8", "fp4")

SERVING_ENGINES_SCHEMA = pa.DataFrameSchema(
    {
        "engine": pa.Column(str, pa.Check.isin(ENGINES)),
        "label": pa.Column(str),
        "tensor_parallel_from": pa.Column(int, pa.Check.in_range(1, 64)),
        "memory_fraction": pa.Column(
            float, pa.Check.in_range(0.05, 1.0, error="must be a fraction in [0.05, 1]")
        ),
        "memory_basis": pa.Column(str, pa.Check.isin(MEMORY_BASES)),
        "max_num_seqs": pa.Column("Int64", pa.Check.ge(1), nullable=True),
        "max_num_seqs_small_gpu": pa.Column("Int64", pa.Check.ge(1), nullable=True),
        "kv_cache_dtype_low_precision": pa.Column(str, pa.Check.isin(KV_CACHE_DTYPES)),
        "version": pa.Column(str),
        "observed_on": date_column("observed_on"),
        "source_url": pa.Column(str),
        "note": pa.Column(str),
    },
    unique=["engine", "tensor_parallel_from"],
    strict=True,
    coerce=True,
    name="serving_engines",
)


def load_engines(path: Path = paths.SERVING_ENGINES_CSV) -> pd.DataFrame:
    """The engines' defaults, validated; every engine must have a row from one GPU."""
    table = read_table(path, SERVING_ENGINES_SCHEMA)
    from_one = set(table.loc[table["tensor_parallel_from"] == 1, "engine"])
    missing = [e for e in ENGINES if e not in from_one]
    if missing:
        rule = f"engine {missing[0]!r} has no row from one GPU (its defaults at tensor parallel 1)"
        raise TableError([Problem(Path(path), None, "tensor_parallel_from", missing[0], rule)])
    return table


def check_engine(engine: object) -> str:
    """The engine's canonical name; an unknown one names the valid ones."""
    name = str(engine).strip().lower().replace("-", "").replace("_", "")
    aliases = {"tensorrtllm": "trtllm", "trtllm": "trtllm", "vllm": "vllm", "sglang": "sglang"}
    if name not in aliases:
        raise InputError(
            f"unknown engine {engine!r}; valid: {', '.join(ENGINES)} (vLLM, SGLang, TensorRT-LLM)"
        )
    return aliases[name]


def defaults(
    engine: np.ndarray,
    gpus: np.ndarray,
    gpu_memory_gb: np.ndarray,
    gpu_names: np.ndarray,
    precision: np.ndarray,
    engines: pd.DataFrame,
) -> dict[str, np.ndarray]:
    """Each configuration's memory fraction, memory basis, batch cap and KV-cache dtype.

    Parameters
    ----------
    engine, gpus, gpu_memory_gb, gpu_names, precision
        One value per configuration: canonical engine, GPUs per replica, memory of one GPU
        [GiB], GPU SKU, weight precision.
    engines
        :func:`load_engines`.

    Returns
    -------
    dict of arrays: ``memory_fraction`` [-], ``memory_basis`` (``total``/``free``),
    ``max_num_seqs`` [sequences] (infinite where the engine sets none) and
    ``kv_cache_dtype`` (what the engine's ``auto`` gives these weights).
    """
    table = engines.sort_values("tensor_parallel_from").reset_index(drop=True)
    engine = np.asarray(engine, dtype=object)
    gpus = np.asarray(gpus, dtype=float)
    # The row of each configuration: its engine's row with the largest tensor_parallel_from
    # <= its GPU count (rows sorted by it, so the last that matches).
    matches = (table["engine"].to_numpy()[:, None] == engine[None, :]) & (
        table["tensor_parallel_from"].to_numpy(dtype=float)[:, None] <= gpus[None, :]
    )
    if len(engine) and not matches.any(axis=0).all():
        missing = engine[~matches.any(axis=0)][0]
        raise InputError(f"no defaults for engine {missing!r}; valid: {', '.join(ENGINES)}")
    pick = len(table) - 1 - matches[::-1].argmax(axis=0)
    row = table.iloc[pick]
    names = pd.Series(np.asarray(gpu_names, dtype=object)).astype(str).str.lower()
    small = (np.asarray(gpu_memory_gb, dtype=float) < LARGE_GPU_MEMORY_GIB) | names.str.contains(
        "a100"
    ).to_numpy()
    large_cap = row["max_num_seqs"].astype("Float64").to_numpy(dtype=float, na_value=np.inf)
    small_cap = (
        row["max_num_seqs_small_gpu"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    )
    cap = np.where(small & ~np.isnan(small_cap), small_cap, large_cap)
    low = np.isin(np.asarray(precision, dtype=object), LOW_PRECISION_WEIGHTS)
    return {
        "memory_fraction": row["memory_fraction"].to_numpy(dtype=float),
        "memory_basis": row["memory_basis"].to_numpy(dtype=object),
        "max_num_seqs": cap,
        "kv_cache_dtype": np.where(
            low, row["kv_cache_dtype_low_precision"].to_numpy(dtype=object), "bf16"
        ).astype(object),
    }


__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "ENGINE_LABELS",
    "SERVING_ENGINES_SCHEMA",
    "check_engine",
    "defaults",
    "load_engines",
]
