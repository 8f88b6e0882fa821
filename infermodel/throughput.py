"""DIY serving throughput from model and GPU specs (a roofline), calibrated on measurements.

The article's DIY rows rest on one guess ("1-2M tokens/hour for a large LLM") and DIY cost is
inversely proportional to it. This module estimates output tokens per second from first
principles and corrects the estimate with efficiency factors fitted on published
measurements, so the cost table can use a throughput with a known error.

The model (a roofline, as in Williams et al., "Roofline", CACM 2009, applied to LLM serving
as in Yuan et al., "LLM Inference Unveiled", arXiv:2402.16363):

- **Memory**: weights take ``parameters x bytes per parameter``; the KV cache takes
  ``2 x layers x KV heads x head dim x bytes per value`` per token of every sequence. A
  replica of N GPUs keeps ``memory_headroom`` of its memory free (activations, runtime;
  vLLM's default ``gpu_memory_utilization=0.9`` keeps 10%); the largest batch is the number
  of sequences of ``input + output`` tokens whose KV cache fits in what the weights leave.
- **Time per step**: the larger of memory time (bytes moved / (N x bandwidth x bandwidth
  efficiency)) and compute time (FLOPs / (N x dense peak x compute efficiency)), for the
  prefill of a batch and for each decode step; tensor parallelism over N GPUs adds a
  communication allowance ``communication_fraction x (N - 1) / N`` of the step time.
- **Throughput**: a batch of ``b`` requests is prefilled, then decoded for ``output`` steps
  at the average context ``input + (output - 1) / 2``; output tokens/s = b x output / time.
  Without a concurrency the batch is the largest that fits (offline, maximum throughput).

Efficiency factors are fitted on ``data/throughput_measured.csv`` (a grid search minimising
squared log error) and shipped in ``data/throughput_efficiency.csv`` with the points they
came from; :func:`calibration` recomputes the in-sample and leave-one-out errors. Users can
calibrate on their own stack with :func:`read_measured_csv` and :func:`read_vllm_bench_json`.

Sizes are decimal (1 GB = 1e9 bytes, 1 TB/s = 1e12 bytes/s, 1 TFLOP/s = 1e12 FLOP/s) except
GPU memory capacity: vendors' "80 GB" parts hold 80 GiB (nvidia-smi shows 81,559 MiB usable on
an H100 80GB), so ``memory_gb`` of ``gpu_specs.csv`` is read as GiB (2**30 bytes).
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from infermodel import formulas, paths
from infermodel import serving as serving_mod
from infermodel.schema import Problem, TableError, date_column, read_table, validate
from infermodel.units import SECONDS_PER_HOUR

MODEL_SPECS_CSV = paths.DATA_DIR / "model_specs.csv"
MEASURED_CSV = paths.DATA_DIR / "throughput_measured.csv"
EFFICIENCY_CSV = paths.DATA_DIR / "throughput_efficiency.csv"

#: Bytes per 1e9 bytes (decimal gigabyte, as GPU memory and model sizes are quoted). [B/GB]
BYTES_PER_GB = 1e9
#: Bytes per GiB: GPU memory capacities are quoted in GiB though labelled "GB". [B/GiB]
BYTES_PER_GPU_MEMORY_GB = 2**30
#: Bytes/s per TB/s (memory bandwidth). [B/s per TB/s]
BYTES_PER_S_PER_TB_PER_S = 1e12
#: FLOP/s per TFLOP/s. [FLOP/s per TFLOP/s]
FLOPS_PER_TFLOPS = 1e12
#: Parameters per billion parameters. [-]
PARAMETERS_PER_BILLION = 1e9
#: Seconds per millisecond. [s/ms]
SECONDS_PER_MS = 1e-3

#: Weight storage by precision. [bytes/parameter] int4 and fp4 pack two values per byte.
BYTES_PER_PARAMETER = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5, "fp4": 0.5}
PRECISIONS = tuple(BYTES_PER_PARAMETER)
#: KV-cache storage by weight precision when not given: FP8 and FP4 deployments keep an FP8
#: cache (TensorRT-LLM's FP8/NVFP4 checkpoints do); weight-only int8/int4 keep 16 bits. [bytes]
DEFAULT_KV_CACHE_BYTES = {
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 2.0,
    "int4": 2.0,
    "fp4": 1.0,
}
#: Tensor-core format doing the matrix products: weight-only int8/int4 compute in BF16.
COMPUTE_COLUMN = {
    "bf16": "dense_bf16_tflops",
    "fp16": "dense_bf16_tflops",
    "fp8": "dense_fp8_tflops",
    "int8": "dense_bf16_tflops",
    "int4": "dense_bf16_tflops",
    "fp4": "dense_fp4_tflops",
}
#: Memory kept free of weights and KV cache (vLLM's default gpu_memory_utilization 0.9). [-]
DEFAULT_MEMORY_HEADROOM = 0.10
#: GPU counts tried when picking the smallest replica that holds a model. [GPUs]
DEFAULT_GPU_COUNTS = (1, 2, 4, 8)

FACTORS = ("bandwidth_efficiency", "compute_efficiency", "communication_fraction")
ESTIMATOR_SOURCE = "infermodel.throughput roofline calibrated on data/throughput_measured.csv"

MODEL_SPECS_SCHEMA = pa.DataFrameSchema(
    {
        "model": pa.Column(str, unique=True),
        "hf_id": pa.Column(str),
        "total_params_b": pa.Column(float, pa.Check.in_range(0.01, 10_000)),
        "active_params_b": pa.Column(float, pa.Check.in_range(0.01, 10_000)),
        "layers": pa.Column(int, pa.Check.in_range(1, 1_000)),
        "hidden_size": pa.Column(int, pa.Check.gt(0)),
        "attention_heads": pa.Column(int, pa.Check.gt(0)),
        "kv_heads": pa.Column(int, pa.Check.gt(0)),
        "head_dim": pa.Column(int, pa.Check.gt(0)),
        "intermediate_size": pa.Column(int, pa.Check.gt(0)),
        "vocab_size": pa.Column(int, pa.Check.gt(0)),
        "experts": pa.Column(int, pa.Check.ge(1)),
        "experts_per_token": pa.Column(int, pa.Check.ge(1)),
        "source_url": pa.Column(str),
        "observed_on": date_column("observed_on"),
        "note": pa.Column(str, nullable=True),
    },
    checks=[
        pa.Check(
            lambda df: df["active_params_b"] <= df["total_params_b"],
            error="active_params_b must be <= total_params_b",
        ),
        pa.Check(
            lambda df: df["experts_per_token"] <= df["experts"],
            error="experts_per_token must be <= experts",
        ),
    ],
    strict=True,
    coerce=True,
    name="model_specs",
)

MEASURED_SCHEMA = pa.DataFrameSchema(
    {
        "point_id": pa.Column(str, unique=True),
        "model": pa.Column(str),
        "gpu": pa.Column(str),
        "gpus": pa.Column(int, pa.Check.in_range(1, 64, error="must be 1-64 GPUs")),
        "precision": pa.Column(str, pa.Check.isin(PRECISIONS)),
        "input_tokens": pa.Column(int, pa.Check.ge(1, error="must be >= 1 token")),
        "output_tokens": pa.Column(int, pa.Check.ge(1, error="must be >= 1 token")),
        "concurrency": pa.Column(
            "Int64",
            pa.Check.ge(1, error="must be >= 1 (empty: offline maximum load)"),
            nullable=True,
        ),
        "output_tokens_per_second": pa.Column(
            float, pa.Check.gt(0, error="must be > 0 tokens/s (all GPUs of the replica)")
        ),
        "engine": pa.Column(str, nullable=True),
        "observed_on": date_column("observed_on"),
        "source_url": pa.Column(str),
        "note": pa.Column(str, nullable=True),
    },
    strict=True,
    coerce=True,
    name="throughput_measured",
)

EFFICIENCY_SCHEMA = pa.DataFrameSchema(
    {
        "factor": pa.Column(str, pa.Check.isin(FACTORS), unique=True),
        "value": pa.Column(float, pa.Check.in_range(0, 1, error="must be in [0, 1]")),
        "fitted_on_points": pa.Column(str),
        "points": pa.Column(int, pa.Check.ge(1)),
        "observed_on": date_column("observed_on"),
        "source_url": pa.Column(str),
        "note": pa.Column(str),
    },
    strict=True,
    coerce=True,
    name="throughput_efficiency",
)


# ---------------------------------------------------------------------------------------
# Formulas (pure, vectorized)
# ---------------------------------------------------------------------------------------


def weight_bytes(total_params_b, *, bytes_per_parameter):
    """Memory taken by a model's weights.

    Parameters
    ----------
    total_params_b
        Parameters of the model, all experts included. [billions]
    bytes_per_parameter
        Storage per parameter (2 for BF16, 1 for FP8, 0.5 for INT4/FP4). [bytes]

    Returns
    -------
    Weight memory. [bytes]

    References
    ----------
    Parameter count times storage width; e.g. 70.55e9 x 2 B = 141 GB for Llama 3.1 70B in
    BF16 (model card and config.json of meta-llama/Llama-3.1-70B-Instruct).
    """
    return np.asarray(total_params_b, dtype=float) * PARAMETERS_PER_BILLION * bytes_per_parameter


def kv_cache_bytes_per_token(layers, kv_heads, head_dim, *, bytes_per_value):
    """KV-cache memory one token of one sequence takes (keys and values, every layer).

    Parameters
    ----------
    layers
        Transformer layers. [-]
    kv_heads
        Key/value heads (fewer than attention heads under grouped-query attention). [-]
    head_dim
        Width of one head. [-]
    bytes_per_value
        Storage of one cached value (2 for FP16, 1 for FP8). [bytes]

    Returns
    -------
    KV cache per token. [bytes/token]

    References
    ----------
    2 x layers x KV heads x head dim x bytes (Kwon et al., "Efficient Memory Management for
    Large Language Model Serving with PagedAttention", SOSP 2023, section 2).
    """
    return 2.0 * np.asarray(layers) * kv_heads * head_dim * bytes_per_value


def max_batch(
    gpus,
    memory_gb,
    weight_bytes_total,
    kv_bytes_per_token,
    sequence_tokens,
    kv_heads,
    *,
    memory_headroom=DEFAULT_MEMORY_HEADROOM,
):
    """Largest number of sequences whose weights and KV cache fit on a replica.

    Parameters
    ----------
    gpus
        GPUs in the replica (tensor parallel). [GPUs]
    memory_gb
        Memory of one GPU as the vendor labels it (GiB in fact). [GiB]
    weight_bytes_total
        Weights of the model. [bytes]
    kv_bytes_per_token
        KV cache per token of one sequence. [bytes/token]
    sequence_tokens
        Tokens one sequence holds at its longest (input + output). [tokens]
    kv_heads
        KV heads; beyond that many GPUs each KV head is replicated. [-]
    memory_headroom
        Fraction of memory kept free for activations and the runtime, in [0, 1). [-]

    Returns
    -------
    Sequences that fit; 0 when the weights or one sequence do not fit. [sequences]

    References
    ----------
    Memory budget of vLLM's scheduler (Kwon et al., SOSP 2023): usable memory less the
    weights, divided by the KV cache of one sequence.
    """
    usable = (
        np.asarray(gpus, dtype=float) * memory_gb * BYTES_PER_GPU_MEMORY_GB * (1 - memory_headroom)
    )
    replication = np.maximum(1.0, np.asarray(gpus, dtype=float) / kv_heads)
    per_sequence = kv_bytes_per_token * sequence_tokens * replication
    return np.maximum(np.floor((usable - weight_bytes_total) / per_sequence), 0.0)


def expert_fraction_read(experts, experts_per_token, tokens):
    """Expected fraction of a mixture-of-experts layer's experts that ``tokens`` touch.

    Parameters
    ----------
    experts
        Experts per layer (1 for a dense model). [-]
    experts_per_token
        Experts each token is routed to. [-]
    tokens
        Tokens processed in one step. [tokens]

    Returns
    -------
    Fraction of expert weights read, in (0, 1]; 1 for a dense model. [-]

    References
    ----------
    Uniform, independent routing: an expert is missed by one token with probability
    1 - k/E, by all with (1 - k/E)^tokens.
    """
    experts = np.asarray(experts, dtype=float)
    miss = 1.0 - np.asarray(experts_per_token, dtype=float) / experts
    return 1.0 - miss ** np.asarray(tokens, dtype=float)


def weight_bytes_read(
    weight_bytes_total, total_params_b, active_params_b, experts, experts_per_token, tokens
):
    """Weight bytes a step over ``tokens`` tokens reads (all of a dense model).

    Parameters
    ----------
    weight_bytes_total
        Weights of the model. [bytes]
    total_params_b, active_params_b
        Parameters in all / per token. [billions]
    experts, experts_per_token
        Mixture-of-experts routing (1 and 1 for a dense model). [-]
    tokens
        Tokens in the step (the batch in decode). [tokens]

    Returns
    -------
    Weight bytes read. [bytes]

    References
    ----------
    Expert parameters = (total - active) x E / (E - k); the rest is read every step.
    """
    experts = np.asarray(experts, dtype=float)
    sparse = experts > experts_per_token
    expert_params = np.where(
        sparse,
        (np.asarray(total_params_b) - active_params_b)
        * experts
        / np.where(sparse, experts - experts_per_token, 1.0),
        0.0,
    )
    expert_share = expert_params / total_params_b
    touched = expert_fraction_read(experts, experts_per_token, tokens)
    return weight_bytes_total * (1.0 - expert_share + expert_share * touched)


def step_seconds(
    flops,
    bytes_moved,
    *,
    gpus,
    peak_tflops,
    bandwidth_tb_per_s,
    compute_efficiency,
    bandwidth_efficiency,
):
    """Roofline time of one step: the larger of compute time and memory time.

    Parameters
    ----------
    flops
        Floating-point operations of the step, all GPUs together. [FLOP]
    bytes_moved
        Bytes read from or written to GPU memory, all GPUs together. [bytes]
    gpus
        GPUs sharing the work. [GPUs]
    peak_tflops
        Dense peak of one GPU in the compute format. [TFLOP/s]
    bandwidth_tb_per_s
        Memory bandwidth of one GPU. [TB/s]
    compute_efficiency, bandwidth_efficiency
        Achieved fractions of the peaks, in (0, 1]. [-]

    Returns
    -------
    Step time. [s]

    References
    ----------
    Williams, Waterman and Patterson, "Roofline", CACM 52(4), 2009.
    """
    compute = flops / (gpus * peak_tflops * FLOPS_PER_TFLOPS * compute_efficiency)
    memory = bytes_moved / (
        gpus * bandwidth_tb_per_s * BYTES_PER_S_PER_TB_PER_S * bandwidth_efficiency
    )
    return np.maximum(compute, memory)


def roofline(
    *,
    total_params_b,
    active_params_b,
    experts,
    experts_per_token,
    layers,
    attention_width,
    bytes_per_parameter,
    kv_bytes_per_token,
    kv_replication,
    gpus,
    peak_tflops,
    bandwidth_tb_per_s,
    input_tokens,
    output_tokens,
    batch,
    bandwidth_efficiency,
    compute_efficiency,
    communication_fraction,
) -> dict[str, np.ndarray]:
    """Prefill and decode times and output throughput of a batch, by the roofline.

    Parameters
    ----------
    total_params_b, active_params_b
        Parameters in all / used per token. [billions]
    experts, experts_per_token
        Mixture-of-experts routing (1, 1 for dense). [-]
    layers
        Transformer layers. [-]
    attention_width
        Attention heads x head dim. [-]
    bytes_per_parameter
        Weight storage. [bytes]
    kv_bytes_per_token
        KV cache per token per sequence. [bytes/token]
    kv_replication
        Copies of the KV cache across GPUs (>= 1). [-]
    gpus
        GPUs of the replica. [GPUs]
    peak_tflops
        Dense peak of one GPU in the compute format. [TFLOP/s]
    bandwidth_tb_per_s
        Memory bandwidth of one GPU. [TB/s]
    input_tokens, output_tokens
        Prompt and generated tokens per request. [tokens]
    batch
        Requests served together, >= 1. [requests]
    bandwidth_efficiency, compute_efficiency
        Achieved fractions of peak bandwidth and compute. [-]
    communication_fraction
        Tensor-parallel allowance: step time grows by this x (N - 1) / N. [-]

    Returns
    -------
    dict of arrays: ``prefill_seconds`` [s] (the whole batch), ``decode_step_seconds`` [s],
    ``decode_compute_bound`` [bool], ``output_tokens_per_second`` [tokens/s] (whole replica).

    References
    ----------
    FLOPs per token 2 x active parameters + 4 x layers x attention width x context (Kaplan
    et al., "Scaling Laws for Neural Language Models", arXiv:2001.08361, table 1); causal
    prefill attention counts half the square. Roofline: :func:`step_seconds`.
    """
    b = np.asarray(batch, dtype=float)
    i = np.asarray(input_tokens, dtype=float)
    o = np.asarray(output_tokens, dtype=float)
    weights = weight_bytes(total_params_b, bytes_per_parameter=bytes_per_parameter)
    linear_flops = 2.0 * np.asarray(active_params_b) * PARAMETERS_PER_BILLION
    attention = np.asarray(layers, dtype=float) * attention_width
    roof = dict(
        gpus=gpus,
        peak_tflops=peak_tflops,
        bandwidth_tb_per_s=bandwidth_tb_per_s,
        compute_efficiency=compute_efficiency,
        bandwidth_efficiency=bandwidth_efficiency,
    )
    comm = 1.0 + np.asarray(communication_fraction) * (np.asarray(gpus, dtype=float) - 1) / gpus

    prefill_flops = b * (linear_flops * i + 2.0 * attention * i**2)
    prefill_bytes = (
        weight_bytes_read(
            weights, total_params_b, active_params_b, experts, experts_per_token, b * i
        )
        + b * i * kv_bytes_per_token * kv_replication
    )
    prefill = step_seconds(prefill_flops, prefill_bytes, **roof) * comm

    context = i + (o - 1.0) / 2.0
    decode_flops = b * (linear_flops + 4.0 * attention * context)
    decode_bytes = (
        weight_bytes_read(weights, total_params_b, active_params_b, experts, experts_per_token, b)
        + b * context * kv_bytes_per_token * kv_replication
    )
    decode = step_seconds(decode_flops, decode_bytes, **roof) * comm
    compute_time = decode_flops / (gpus * peak_tflops * FLOPS_PER_TFLOPS * compute_efficiency)
    return {
        "prefill_seconds": prefill,
        "decode_step_seconds": decode,
        "decode_compute_bound": compute_time * comm >= decode,
        "output_tokens_per_second": b * o / (prefill + o * decode),
    }


# ---------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Efficiency:
    """Achieved fractions of peak, applied to every estimate.

    Attributes
    ----------
    bandwidth_efficiency
        Achieved fraction of memory bandwidth, in (0, 1]. [-]
    compute_efficiency
        Achieved fraction of dense tensor peak, in (0, 1]. [-]
    communication_fraction
        Tensor-parallel allowance, step time x (1 + this x (N - 1) / N). [-]
    """

    bandwidth_efficiency: float = 1.0
    compute_efficiency: float = 1.0
    communication_fraction: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {f: float(getattr(self, f)) for f in FACTORS}


#: No losses: the pure roofline bound.
IDEAL = Efficiency()


def load_model_specs(path: Path = MODEL_SPECS_CSV) -> pd.DataFrame:
    """Model architectures (parameters, layers, heads), one row per model, validated."""
    return read_table(path, MODEL_SPECS_SCHEMA)


def load_measured(path: Path = MEASURED_CSV) -> pd.DataFrame:
    """Measured serving throughput points (shipped or a user's), validated."""
    return read_table(path, MEASURED_SCHEMA)


def load_efficiency(path: Path = EFFICIENCY_CSV) -> Efficiency:
    """The fitted efficiency factors shipped in ``data/throughput_efficiency.csv``."""
    table = read_table(path, EFFICIENCY_SCHEMA)
    missing = [f for f in FACTORS if f not in set(table["factor"])]
    if missing:
        raise TableError([Problem(Path(path), None, "factor", missing[0], "factor missing")])
    return Efficiency(**table.set_index("factor")["value"].astype(float).to_dict())


def load_efficiency_table(path: Path = EFFICIENCY_CSV) -> pd.DataFrame:
    """The efficiency table itself (factors, points used, error figures), validated."""
    return read_table(path, EFFICIENCY_SCHEMA)


_MODEL_SUFFIXES = ("-instruct", "-fp8", "-fp4", "-hf", "-chat", "-v0.1", "-v0.2", "-v0.3")


def _model_key(name: str) -> str:
    key = str(name).strip().lower().rsplit("/", 1)[-1].replace("_", "-").replace(" ", "-")
    changed = True
    while changed:
        changed = False
        for suffix in _MODEL_SUFFIXES:
            if key.endswith(suffix):
                key, changed = key.removesuffix(suffix), True
    return key


def _unknown(kind: str, name: str, valid: Sequence[str], keys: Sequence[str], key: str) -> str:
    close = difflib.get_close_matches(key, list(keys), n=3, cutoff=0.5)
    close += [k for k in keys if key and key in k and k not in close][: max(0, 3 - len(close))]
    by_key = dict(zip(keys, valid, strict=True))
    hint = f"; did you mean {', '.join(repr(by_key[c]) for c in close)}?" if close else ""
    return f"unknown {kind} {name!r}{hint} (valid: {', '.join(valid)})"


def resolve_model(name: str, models: pd.DataFrame | None = None) -> str:
    """The canonical model name for ``name`` (case-insensitive; an HF id also matches).

    Raises ``ValueError`` naming close matches and every valid name.
    """
    models = load_model_specs() if models is None else models
    valid = list(models["model"])
    lookup = {_model_key(m): m for m in valid}
    lookup.update({_model_key(h): m for h, m in zip(models["hf_id"], valid, strict=True)})
    key = _model_key(name)
    if key in lookup:
        return lookup[key]
    raise ValueError(_unknown("model", name, valid, [_model_key(m) for m in valid], key))


def resolve_gpu(name: str, gpu_specs: pd.DataFrame | None = None) -> str:
    """The exact GPU SKU for ``name`` (case-insensitive); ``ValueError`` with close matches."""
    specs = serving_mod.load_gpu_specs() if gpu_specs is None else gpu_specs
    valid = list(specs["gpu"])
    key = str(name).strip().lower()
    lookup = {g.lower(): g for g in valid}
    if key in lookup:
        return lookup[key]
    raise ValueError(_unknown("GPU", name, valid, list(lookup), key))


def supported_precisions(gpu_row: pd.Series) -> list[str]:
    """Precisions a GPU can serve: those whose compute format it has tensor cores for."""
    return [p for p in PRECISIONS if pd.notna(gpu_row[COMPUTE_COLUMN[p]])]


def _whole(name: str, value, *, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float)):
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    if isinstance(value, float) and (not math.isfinite(value) or value != int(value)):
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    return int(value)


def _check_precision(precision: str, gpu: str, gpu_row: pd.Series) -> str:
    key = str(precision).strip().lower()
    if key not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")
    if pd.isna(gpu_row[COMPUTE_COLUMN[key]]):
        raise ValueError(
            f"{gpu} has no {COMPUTE_COLUMN[key].split('_')[1].upper()} tensor cores, so it cannot "
            f"serve precision {key!r} ({COMPUTE_COLUMN[key]} is empty in gpu_specs.csv); "
            f"precisions it serves: {', '.join(supported_precisions(gpu_row))}"
        )
    return key


ESTIMATE_COLUMNS = [
    "model",
    "gpu",
    "gpus",
    "precision",
    "input_tokens",
    "output_tokens",
    "concurrency",
    "batch",
    "max_batch",
    "fits",
    "output_tokens_per_second",
    "output_tokens_per_second_per_stream",
    "output_tokens_per_second_per_gpu",
    "prefill_seconds",
    "decode_step_ms",
    "decode_bound",
    "weight_gb",
    "kv_cache_gb_per_sequence",
    "memory_gb_usable",
    "min_gpus_to_fit",
    "bandwidth_efficiency",
    "compute_efficiency",
    "communication_fraction",
]


def estimate_table(
    configs: pd.DataFrame,
    *,
    efficiency: Efficiency | None = None,
    memory_headroom: float = DEFAULT_MEMORY_HEADROOM,
    kv_cache_bytes: float | None = None,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Estimate throughput for each row of ``configs`` (vectorized over rows).

    Parameters
    ----------
    configs
        Columns ``model``, ``gpu``, ``gpus``, ``precision``, ``input_tokens``,
        ``output_tokens`` and optionally ``concurrency`` (missing or empty: the largest batch
        that fits, i.e. offline maximum throughput). Names match case-insensitively.
    efficiency
        Efficiency factors; the shipped fitted ones by default, :data:`IDEAL` for the bound.
    memory_headroom
        Fraction of GPU memory kept free, in [0, 1). [-]
    kv_cache_bytes
        Bytes per cached value; by default from the precision (:data:`DEFAULT_KV_CACHE_BYTES`).
    models, gpu_specs
        Spec tables; the shipped ones by default.

    Returns
    -------
    pandas.DataFrame
        :data:`ESTIMATE_COLUMNS`, one row per config. Rows that do not fit have
        ``fits=False``, ``batch=0`` and empty throughput. ``output_tokens_per_second``
        [tokens/s] is the whole replica (all its GPUs); ``..._per_stream`` is one request's
        average rate including its share of prefill; ``decode_bound`` is ``memory`` or
        ``compute``; ``min_gpus_to_fit`` is the smallest GPU count in 1-64 that holds one
        sequence.

    Raises
    ------
    ValueError
        Unknown model, GPU or precision (with close matches), a precision the GPU lacks,
        a length, GPU count or concurrency that is not a whole number >= 1, or a headroom
        outside [0, 1).
    """
    if not 0 <= memory_headroom < 1:
        raise ValueError(f"memory_headroom must be in [0, 1), got {memory_headroom!r}")
    if kv_cache_bytes is not None and not kv_cache_bytes > 0:
        raise ValueError(f"kv_cache_bytes must be > 0 bytes, got {kv_cache_bytes!r}")
    models = load_model_specs() if models is None else models
    specs = serving_mod.load_gpu_specs() if gpu_specs is None else gpu_specs
    eff = load_efficiency() if efficiency is None else efficiency
    for name, value in eff.as_dict().items():
        low_ok = value >= 0 if name == "communication_fraction" else value > 0
        if not (low_ok and value <= 1):
            raise ValueError(f"{name} must be in (0, 1] (communication in [0, 1]), got {value}")
    missing = [
        c
        for c in ("model", "gpu", "gpus", "precision", "input_tokens", "output_tokens")
        if c not in configs.columns
    ]
    if missing:
        raise ValueError(f"configs lack column(s) {', '.join(missing)}")

    model_by = models.set_index("model")
    gpu_by = specs.set_index("gpu")
    rows = []
    for record in configs.to_dict("records"):
        model = resolve_model(record["model"], models)
        gpu = resolve_gpu(record["gpu"], specs)
        concurrency = record.get("concurrency")
        if concurrency is not None and pd.isna(concurrency):
            concurrency = None
        rows.append(
            {
                "model": model,
                "gpu": gpu,
                "gpus": _whole("gpus", record["gpus"]),
                "precision": _check_precision(record["precision"], gpu, gpu_by.loc[gpu]),
                "input_tokens": _whole("input_tokens", record["input_tokens"]),
                "output_tokens": _whole("output_tokens", record["output_tokens"]),
                "concurrency": _whole("concurrency", concurrency, allow_none=True),
            }
        )
    frame = pd.DataFrame(rows, columns=ESTIMATE_COLUMNS[:7])
    frame["concurrency"] = frame["concurrency"].astype("Int64")
    m = model_by.loc[frame["model"]].reset_index(drop=True)
    g = gpu_by.loc[frame["gpu"]].reset_index(drop=True)

    bpp = frame["precision"].map(BYTES_PER_PARAMETER).to_numpy(dtype=float)
    kv_bpv = (
        frame["precision"].map(DEFAULT_KV_CACHE_BYTES).to_numpy(dtype=float)
        if kv_cache_bytes is None
        else np.full(len(frame), float(kv_cache_bytes))
    )
    peak = np.array([g.loc[k, COMPUTE_COLUMN[p]] for k, p in enumerate(frame["precision"])])
    gpus = frame["gpus"].to_numpy(dtype=float)
    weights = weight_bytes(m["total_params_b"].to_numpy(dtype=float), bytes_per_parameter=bpp)
    kv_token = kv_cache_bytes_per_token(
        m["layers"].to_numpy(),
        m["kv_heads"].to_numpy(),
        m["head_dim"].to_numpy(),
        bytes_per_value=kv_bpv,
    )
    seq = (frame["input_tokens"] + frame["output_tokens"]).to_numpy(dtype=float)
    memory_gb = g["memory_gb"].to_numpy(dtype=float)
    kv_heads = m["kv_heads"].to_numpy(dtype=float)
    capacity = max_batch(
        gpus, memory_gb, weights, kv_token, seq, kv_heads, memory_headroom=memory_headroom
    )
    fits = capacity >= 1
    wanted = frame["concurrency"].astype(float).to_numpy()
    batch = np.where(np.isnan(wanted), capacity, np.minimum(wanted, capacity))
    counts = np.arange(1, 65, dtype=float)[:, None]
    fit_grid = max_batch(
        counts, memory_gb, weights, kv_token, seq, kv_heads, memory_headroom=memory_headroom
    )
    min_gpus = np.where(fit_grid.max(axis=0) >= 1, (fit_grid >= 1).argmax(axis=0) + 1.0, np.nan)

    result = roofline(
        total_params_b=m["total_params_b"].to_numpy(dtype=float),
        active_params_b=m["active_params_b"].to_numpy(dtype=float),
        experts=m["experts"].to_numpy(dtype=float),
        experts_per_token=m["experts_per_token"].to_numpy(dtype=float),
        layers=m["layers"].to_numpy(dtype=float),
        attention_width=(m["attention_heads"] * m["head_dim"]).to_numpy(dtype=float),
        bytes_per_parameter=bpp,
        kv_bytes_per_token=kv_token,
        kv_replication=np.maximum(1.0, gpus / kv_heads),
        gpus=gpus,
        peak_tflops=peak.astype(float),
        bandwidth_tb_per_s=g["memory_bandwidth_tb_per_s"].to_numpy(dtype=float),
        input_tokens=frame["input_tokens"].to_numpy(dtype=float),
        output_tokens=frame["output_tokens"].to_numpy(dtype=float),
        batch=np.maximum(batch, 1.0),
        bandwidth_efficiency=eff.bandwidth_efficiency,
        compute_efficiency=eff.compute_efficiency,
        communication_fraction=eff.communication_fraction,
    )
    tps = np.where(fits, result["output_tokens_per_second"], np.nan)
    frame["batch"] = batch.astype(int)
    frame["max_batch"] = capacity.astype(int)
    frame["fits"] = fits
    frame["output_tokens_per_second"] = tps
    frame["output_tokens_per_second_per_stream"] = tps / np.maximum(batch, 1.0)
    frame["output_tokens_per_second_per_gpu"] = tps / gpus
    frame["prefill_seconds"] = np.where(fits, result["prefill_seconds"], np.nan)
    frame["decode_step_ms"] = np.where(fits, result["decode_step_seconds"] / SECONDS_PER_MS, np.nan)
    frame["decode_bound"] = np.where(
        fits, np.where(result["decode_compute_bound"], "compute", "memory"), ""
    )
    frame["weight_gb"] = weights / BYTES_PER_GB
    frame["kv_cache_gb_per_sequence"] = (
        kv_token * seq * np.maximum(1.0, gpus / kv_heads) / BYTES_PER_GB
    )
    frame["memory_gb_usable"] = (
        gpus * memory_gb * BYTES_PER_GPU_MEMORY_GB / BYTES_PER_GB * (1 - memory_headroom)
    )
    frame["min_gpus_to_fit"] = pd.array(min_gpus, dtype="Float64").astype("Int64")
    for name, value in eff.as_dict().items():
        frame[name] = value
    return frame[ESTIMATE_COLUMNS]


def _not_fit_message(row: pd.Series) -> str:
    need = row["weight_gb"] + row["kv_cache_gb_per_sequence"]
    more = (
        f"; it needs at least {row['min_gpus_to_fit']} GPUs"
        if pd.notna(row["min_gpus_to_fit"])
        else "; no count up to 64 GPUs holds it"
    )
    return (
        f"{row['model']} in {row['precision']} does not fit on {row['gpus']} x {row['gpu']}: "
        f"{row['weight_gb']:,.1f} GB of weights + {row['kv_cache_gb_per_sequence']:,.2f} GB of "
        f"KV cache for one {row['input_tokens'] + row['output_tokens']:,}-token sequence = "
        f"{need:,.1f} GB, usable {row['memory_gb_usable']:,.1f} GB{more}, or a smaller precision"
    )


def estimate(
    model: str,
    gpu: str,
    gpus: int,
    precision: str,
    input_tokens: int,
    output_tokens: int,
    *,
    concurrency: int | None = None,
    efficiency: Efficiency | None = None,
    memory_headroom: float = DEFAULT_MEMORY_HEADROOM,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Estimate one configuration; a one-row :func:`estimate_table`.

    Parameters
    ----------
    model, gpu
        Names from ``data/model_specs.csv`` and ``data/gpu_specs.csv`` (any case).
    gpus
        GPUs in the replica (tensor parallel). [GPUs]
    precision
        Weight precision: one of :data:`PRECISIONS`.
    input_tokens, output_tokens
        Prompt and generated tokens per request, >= 1. [tokens]
    concurrency
        Requests in flight; ``None`` for the largest batch that fits. [requests]
    efficiency, memory_headroom, models, gpu_specs
        As in :func:`estimate_table`.

    Returns
    -------
    pandas.DataFrame
        One row, :data:`ESTIMATE_COLUMNS`.

    Raises
    ------
    ValueError
        Every bad input of :func:`estimate_table`, and a model that does not fit (naming
        the memory it needs and the GPU count that would hold it).

    References
    ----------
    :func:`roofline`.
    """
    config = pd.DataFrame(
        [
            {
                "model": model,
                "gpu": gpu,
                "gpus": gpus,
                "precision": precision,
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "concurrency": concurrency,
            }
        ]
    )
    table = estimate_table(
        config,
        efficiency=efficiency,
        memory_headroom=memory_headroom,
        models=models,
        gpu_specs=gpu_specs,
    )
    if not table.loc[0, "fits"]:
        raise ValueError(_not_fit_message(table.iloc[0]))
    return table


def at_stream_speed(
    model: str,
    gpu: str,
    gpus: int,
    precision: str,
    input_tokens: int,
    output_tokens: int,
    *,
    tokens_per_second_per_stream: float,
    efficiency: Efficiency | None = None,
    memory_headroom: float = DEFAULT_MEMORY_HEADROOM,
) -> pd.DataFrame:
    """The most a replica serves while every stream keeps a set speed, against its maximum.

    A latency target (each user sees at least ``tokens_per_second_per_stream``) caps the
    batch a replica may run; this finds the largest concurrency meeting it (every
    concurrency from 1 to the largest batch that fits is estimated) and sets it beside the
    offline maximum, so the cost of the target can be read off as the throughput ratio.

    Parameters
    ----------
    model, gpu, gpus, precision, input_tokens, output_tokens
        As in :func:`estimate`.
    tokens_per_second_per_stream
        Speed each request must see, > 0, e.g. the article's 60. [tokens/s]
    efficiency, memory_headroom
        As in :func:`estimate_table`.

    Returns
    -------
    pandas.DataFrame
        Two rows of :data:`ESTIMATE_COLUMNS` plus ``reading``: ``"at stream speed"`` and
        ``"maximum"`` (largest batch that fits), and ``meets_target``: False when even a
        single stream is slower than the target (the first row is then that single stream).

    Raises
    ------
    ValueError
        Everything :func:`estimate` raises, or a non-positive target.
    """
    if not (np.isfinite(tokens_per_second_per_stream) and tokens_per_second_per_stream > 0):
        raise ValueError(
            "tokens_per_second_per_stream must be a finite number > 0 [tokens/s], got "
            f"{tokens_per_second_per_stream!r}"
        )
    options = dict(efficiency=efficiency, memory_headroom=memory_headroom)
    args = (model, gpu, gpus, precision, input_tokens, output_tokens)
    maximum = estimate(*args, **options)
    largest = int(maximum.loc[0, "max_batch"])
    configs = pd.DataFrame(
        {
            "model": model,
            "gpu": gpu,
            "gpus": gpus,
            "precision": precision,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "concurrency": np.arange(1, largest + 1),
        }
    )
    sweep = estimate_table(configs, **options)
    meets = sweep["output_tokens_per_second_per_stream"] >= tokens_per_second_per_stream
    fast = sweep[meets]
    # No batch meets the target: report the single stream, flagged, rather than a cost.
    best = fast.loc[[fast["output_tokens_per_second"].idxmax()]] if len(fast) else sweep.loc[[0]]
    return pd.concat(
        [
            best.assign(reading="at stream speed", meets_target=bool(len(fast))),
            maximum.assign(reading="maximum", meets_target=True),
        ],
        ignore_index=True,
    )


def smallest_replicas(
    model: str,
    gpus: Sequence[str],
    *,
    precisions: Sequence[str] = ("fp8", "bf16"),
    input_tokens: int,
    output_tokens: int,
    concurrency: int | None = None,
    gpu_counts: Sequence[int] = DEFAULT_GPU_COUNTS,
    efficiency: Efficiency | None = None,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """For each GPU SKU, the smallest replica that serves ``model``, and its estimate.

    For each GPU, the first of ``precisions`` it has tensor cores for is used, with the
    smallest of ``gpu_counts`` that holds one sequence. GPUs where nothing fits (or no
    precision is supported) are returned with ``fits=False`` and ``gpus`` the largest count
    tried.

    Returns
    -------
    pandas.DataFrame
        :data:`ESTIMATE_COLUMNS`, one row per GPU SKU in ``gpus`` (duplicates dropped).
    """
    models = load_model_specs() if models is None else models
    specs = serving_mod.load_gpu_specs() if gpu_specs is None else gpu_specs
    if not gpu_counts:
        raise ValueError("gpu_counts must name at least one GPU count")
    wanted = [str(p).lower() for p in precisions]
    bad = [p for p in wanted if p not in PRECISIONS]
    if bad or not wanted:
        raise ValueError(
            f"unknown precision {bad[0] if bad else None!r}; valid: {', '.join(PRECISIONS)}"
        )
    gpu_by = specs.set_index("gpu")
    configs = []
    for name in dict.fromkeys(resolve_gpu(g, specs) for g in gpus):
        usable = [p for p in wanted if p in supported_precisions(gpu_by.loc[name])]
        if not usable:
            continue
        for count in sorted(gpu_counts):
            configs.append(
                {
                    "model": model,
                    "gpu": name,
                    "gpus": count,
                    "precision": usable[0],
                    "input_tokens": input_tokens,
                    "output_tokens": output_tokens,
                    "concurrency": concurrency,
                }
            )
    if not configs:
        return pd.DataFrame(columns=ESTIMATE_COLUMNS)
    table = estimate_table(
        pd.DataFrame(configs), efficiency=efficiency, models=models, gpu_specs=specs
    )
    fitting = table[table["fits"]].groupby("gpu", sort=False).head(1)
    unfit = table[~table["gpu"].isin(fitting["gpu"])].groupby("gpu", sort=False).tail(1)
    return pd.concat([fitting, unfit]).sort_index().reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# Calibration
# ---------------------------------------------------------------------------------------

#: Grid searched by :func:`fit_efficiency` (steps of 0.01 / 0.05).
BANDWIDTH_GRID = np.round(np.arange(0.20, 1.0001, 0.01), 2)
COMPUTE_GRID = np.round(np.arange(0.10, 1.0001, 0.01), 2)
COMMUNICATION_GRID = np.round(np.arange(0.0, 1.0001, 0.05), 2)


def _ideal_inputs(measured: pd.DataFrame, models, gpu_specs) -> dict[str, np.ndarray]:
    """Everything :func:`roofline` needs for the measured points, efficiency aside."""
    ideal = estimate_table(measured, efficiency=IDEAL, models=models, gpu_specs=gpu_specs)
    if not ideal["fits"].all():
        bad = ideal.loc[~ideal["fits"]].iloc[0]
        raise ValueError("measured point does not fit: " + _not_fit_message(bad))
    models = load_model_specs() if models is None else models
    specs = serving_mod.load_gpu_specs() if gpu_specs is None else gpu_specs
    m = models.set_index("model").loc[ideal["model"]].reset_index(drop=True)
    g = specs.set_index("gpu").loc[ideal["gpu"]].reset_index(drop=True)
    gpus = ideal["gpus"].to_numpy(dtype=float)
    kv_bpv = ideal["precision"].map(DEFAULT_KV_CACHE_BYTES).to_numpy(dtype=float)
    return {
        "total_params_b": m["total_params_b"].to_numpy(dtype=float),
        "active_params_b": m["active_params_b"].to_numpy(dtype=float),
        "experts": m["experts"].to_numpy(dtype=float),
        "experts_per_token": m["experts_per_token"].to_numpy(dtype=float),
        "layers": m["layers"].to_numpy(dtype=float),
        "attention_width": (m["attention_heads"] * m["head_dim"]).to_numpy(dtype=float),
        "bytes_per_parameter": ideal["precision"].map(BYTES_PER_PARAMETER).to_numpy(dtype=float),
        "kv_bytes_per_token": kv_cache_bytes_per_token(
            m["layers"].to_numpy(),
            m["kv_heads"].to_numpy(),
            m["head_dim"].to_numpy(),
            bytes_per_value=kv_bpv,
        ),
        "kv_replication": np.maximum(1.0, gpus / m["kv_heads"].to_numpy(dtype=float)),
        "gpus": gpus,
        "peak_tflops": np.array(
            [g.loc[k, COMPUTE_COLUMN[p]] for k, p in enumerate(ideal["precision"])], dtype=float
        ),
        "bandwidth_tb_per_s": g["memory_bandwidth_tb_per_s"].to_numpy(dtype=float),
        "input_tokens": ideal["input_tokens"].to_numpy(dtype=float),
        "output_tokens": ideal["output_tokens"].to_numpy(dtype=float),
        "batch": ideal["batch"].to_numpy(dtype=float),
    }


def _grid_fit(inputs: dict[str, np.ndarray], measured_tps: np.ndarray) -> Efficiency:
    bw, cp, cm = np.meshgrid(BANDWIDTH_GRID, COMPUTE_GRID, COMMUNICATION_GRID, indexing="ij")
    shape = (*bw.shape, 1)
    predicted = roofline(
        **inputs,
        bandwidth_efficiency=bw.reshape(shape),
        compute_efficiency=cp.reshape(shape),
        communication_fraction=cm.reshape(shape),
    )["output_tokens_per_second"]
    loss = (np.log(predicted / measured_tps) ** 2).sum(axis=-1)
    best = np.unravel_index(np.argmin(loss), loss.shape)
    return Efficiency(float(bw[best]), float(cp[best]), float(cm[best]))


def fit_efficiency(
    measured: pd.DataFrame,
    *,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
) -> Efficiency:
    """Fit bandwidth and compute efficiency and the communication allowance on measurements.

    Parameters
    ----------
    measured
        Measured points (:func:`load_measured`, :func:`read_measured_csv`,
        :func:`read_vllm_bench_json`); at least 3.

    Returns
    -------
    Efficiency
        The grid point (:data:`BANDWIDTH_GRID` x :data:`COMPUTE_GRID` x
        :data:`COMMUNICATION_GRID`) minimising the sum of squared log errors
        ``log(estimate / measured)``, which treats over- and under-estimates alike.

    References
    ----------
    Least squares on log throughput; a grid search keeps the fit dependency-free and
    bounded to physical values.
    """
    if len(measured) < 3:
        raise ValueError(f"need at least 3 measured points to fit 3 factors, got {len(measured)}")
    inputs = _ideal_inputs(measured, models, gpu_specs)
    return _grid_fit(inputs, measured["output_tokens_per_second"].to_numpy(dtype=float))


def calibration(
    measured: pd.DataFrame,
    *,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Estimates against measurements, in-sample and leave-one-out.

    Returns
    -------
    pandas.DataFrame
        The measured points with ``estimated_tokens_per_second`` (factors fitted on all
        points), ``loo_estimated_tokens_per_second`` (refitted without that point),
        ``ape`` and ``loo_ape`` (absolute percentage error, [%]), ``ratio`` (estimate /
        measured), ``max_batch`` and ``decode_bound``.
    """
    inputs = _ideal_inputs(measured, models, gpu_specs)
    actual = measured["output_tokens_per_second"].to_numpy(dtype=float)
    fitted = _grid_fit(inputs, actual)
    full = roofline(**inputs, **fitted.as_dict())
    loo = np.empty(len(actual))
    for k in range(len(actual)):
        keep = np.arange(len(actual)) != k
        sub = {name: (v[keep] if np.ndim(v) else v) for name, v in inputs.items()}
        factors = _grid_fit(sub, actual[keep])
        one = {name: (v[k : k + 1] if np.ndim(v) else v) for name, v in inputs.items()}
        loo[k] = roofline(**one, **factors.as_dict())["output_tokens_per_second"][0]
    estimated = full["output_tokens_per_second"]
    out = measured.reset_index(drop=True).copy()
    out["estimated_tokens_per_second"] = estimated
    out["ratio"] = estimated / actual
    out["ape"] = np.abs(estimated / actual - 1) * 100
    out["loo_estimated_tokens_per_second"] = loo
    out["loo_ape"] = np.abs(loo / actual - 1) * 100
    out["max_batch"] = inputs["batch"].astype(int)
    out["decode_bound"] = np.where(full["decode_compute_bound"], "compute", "memory")
    return out


def accuracy(calibrated: pd.DataFrame) -> pd.DataFrame:
    """Median and worst absolute percentage error, in-sample and leave-one-out. [%]"""
    return pd.DataFrame(
        {
            "fit": ["in-sample", "leave-one-out"],
            "points": len(calibrated),
            "median_ape_percent": [calibrated["ape"].median(), calibrated["loo_ape"].median()],
            "worst_ape_percent": [calibrated["ape"].max(), calibrated["loo_ape"].max()],
        }
    )


def efficiency_table(
    measured: pd.DataFrame,
    *,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
    source: str = "data/throughput_measured.csv",
) -> pd.DataFrame:
    """The fitted factors as rows of ``data/throughput_efficiency.csv``, with their points."""
    calibrated = calibration(measured, models=models, gpu_specs=gpu_specs)
    fitted = fit_efficiency(measured, models=models, gpu_specs=gpu_specs)
    summary = accuracy(calibrated).set_index("fit")
    errors = (
        f"median / worst absolute error {summary.loc['in-sample', 'median_ape_percent']:.1f}% / "
        f"{summary.loc['in-sample', 'worst_ape_percent']:.1f}% in-sample, "
        f"{summary.loc['leave-one-out', 'median_ape_percent']:.1f}% / "
        f"{summary.loc['leave-one-out', 'worst_ape_percent']:.1f}% leave-one-out"
    )
    meaning = {
        "bandwidth_efficiency": "achieved fraction of peak memory bandwidth [-]",
        "compute_efficiency": "achieved fraction of dense tensor peak [-]",
        "communication_fraction": "tensor-parallel allowance: step time x (1 + f x (N-1)/N) [-]",
    }
    return pd.DataFrame(
        {
            "factor": list(FACTORS),
            "value": [fitted.as_dict()[f] for f in FACTORS],
            "fitted_on_points": ";".join(measured["point_id"]),
            "points": len(measured),
            "observed_on": pd.Timestamp(measured["observed_on"].max()).strftime("%Y-%m-%d"),
            "source_url": source,
            "note": [
                f"GENERATED by infermodel.throughput.write_efficiency(), do not edit: "
                f"{meaning[f]}; grid search minimising squared log error; {errors}"
                for f in FACTORS
            ],
        }
    )


def write_efficiency(path: Path = EFFICIENCY_CSV, *, measured_path: Path = MEASURED_CSV) -> Path:
    """Refit the factors on the shipped measured points and write the efficiency table."""
    efficiency_table(load_measured(measured_path)).to_csv(path, index=False)
    return path


# ---------------------------------------------------------------------------------------
# Importers: calibrate on your own stack
# ---------------------------------------------------------------------------------------

_IMPORT_REQUIRED = (
    "model",
    "gpu",
    "gpus",
    "precision",
    "input_tokens",
    "output_tokens",
    "concurrency",
    "output_tokens_per_second",
)


def _check_names(table: pd.DataFrame, path: Path, models, gpu_specs) -> pd.DataFrame:
    problems = []
    table = table.copy()
    for column, resolve in (("model", resolve_model), ("gpu", resolve_gpu)):
        for index, value in table[column].items():
            try:
                table.loc[index, column] = resolve(
                    value, models if column == "model" else gpu_specs
                )
            except ValueError as exc:
                problems.append(Problem(Path(path), int(index) + 2, column, value, str(exc)))
    if problems:
        raise TableError(problems)
    return table


def read_measured_csv(
    path: Path,
    *,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Measured points from a generic CSV, in the shape of ``data/throughput_measured.csv``.

    Required columns: ``model, gpu, gpus, precision, input_tokens, output_tokens,
    concurrency`` (empty for offline maximum load) and ``output_tokens_per_second`` (whole
    replica). Optional: ``point_id`` (default ``<file stem>-<row>``), ``engine``,
    ``observed_on`` (default today), ``source_url`` (default the file's path), ``note``.
    Model and GPU names match case-insensitively; a bad row raises
    :class:`~infermodel.schema.TableError` naming file, line and field.
    """
    from infermodel.schema import read_csv_text, today

    path = Path(path)
    raw = read_csv_text(path)
    missing = [c for c in _IMPORT_REQUIRED if c not in raw.columns]
    if missing:
        raise TableError([Problem(path, 1, c, None, "required column missing") for c in missing])
    if "precision" in raw:
        raw["precision"] = raw["precision"].str.lower()
    defaults = {
        "point_id": [f"{path.stem}-{k + 1}" for k in range(len(raw))],
        "engine": pd.NA,
        "observed_on": today().strftime("%Y-%m-%d"),
        "source_url": str(path),
        "note": pd.NA,
    }
    for column, default in defaults.items():
        if column not in raw:
            raw[column] = default
        elif column in ("observed_on", "source_url", "point_id"):
            raw[column] = raw[column].fillna(pd.Series(default, index=raw.index))
    table = validate(raw, MEASURED_SCHEMA, path)
    return _check_names(table, path, models, gpu_specs)


def read_vllm_bench_json(
    path: Path,
    *,
    gpu: str,
    gpus: int,
    precision: str,
    model: str | None = None,
    observed_on: str | None = None,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One measured point from a ``vllm bench serve --save-result`` JSON file.

    The result file gives ``completed``, ``total_input_tokens``, ``total_output_tokens``,
    ``output_throughput`` [tokens/s], ``max_concurrency`` (absent or null: unlimited, read
    as offline maximum load) and ``model_id``; it does not say which GPU, how many or at
    which precision, so those are arguments. Lengths are the per-request means.

    Raises
    ------
    ValueError
        The file is not JSON, lacks a key, or reports no completed request.
    """
    path = Path(path)
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a readable vLLM bench result JSON: {exc}") from None
    if not isinstance(result, dict):
        raise ValueError(f"{path}: expected a JSON object (vLLM bench serve --save-result)")
    needed = ["completed", "total_input_tokens", "total_output_tokens", "output_throughput"]
    if model is None:
        needed.append("model_id")
    missing = [k for k in needed if result.get(k) is None]
    if missing:
        raise ValueError(
            f"{path}: key {missing[0]!r} missing; a vLLM bench serve result has "
            + ", ".join(needed)
        )
    completed = result["completed"]
    if not isinstance(completed, (int, float)) or completed < 1:
        raise ValueError(f"{path}: 'completed' must be >= 1 request, got {completed!r}")
    date = observed_on or str(result.get("date", ""))[:8]
    if len(date) == 8 and date.isdigit():  # vLLM writes e.g. "20250531-120000"
        date = f"{date[:4]}-{date[4:6]}-{date[6:]}"
    elif observed_on is None:
        from infermodel.schema import today

        date = today().strftime("%Y-%m-%d")
    raw = pd.DataFrame(
        [
            {
                "point_id": path.stem,
                "model": model if model is not None else str(result["model_id"]),
                "gpu": gpu,
                "gpus": str(gpus),
                "precision": str(precision).lower(),
                "input_tokens": str(max(1, round(result["total_input_tokens"] / completed))),
                "output_tokens": str(max(1, round(result["total_output_tokens"] / completed))),
                "concurrency": None
                if result.get("max_concurrency") is None
                else str(result["max_concurrency"]),
                "output_tokens_per_second": str(result["output_throughput"]),
                "engine": f"vLLM bench serve ({result.get('backend', 'vllm')})",
                "observed_on": date,
                "source_url": str(path),
                "note": f"{completed} requests; mean lengths from the totals",
            }
        ]
    ).replace({None: pd.NA})
    table = validate(raw, MEASURED_SCHEMA, path)
    return _check_names(table, path, models, gpu_specs)


# ---------------------------------------------------------------------------------------
# Into the cost table
# ---------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in str(text).lower())
    return "-".join(part for part in out.split("-") if part)


def serving_rows(
    estimates: pd.DataFrame,
    *,
    mode: str = "batch",
    memory_headroom: float = DEFAULT_MEMORY_HEADROOM,
    efficiency_path: Path = EFFICIENCY_CSV,
) -> pd.DataFrame:
    """Estimates as serving assumptions that :func:`infermodel.compare.cost_table` prices.

    Parameters
    ----------
    estimates
        Rows of :func:`estimate_table` (those that do not fit are dropped).
    mode
        ``batch`` or ``realtime`` (see :data:`infermodel.serving.MODES`).
    memory_headroom
        Headroom the estimates used, for ``min_memory_gb_per_replica``. [-]
    efficiency_path
        The efficiency table the estimates used, quoted in the note with its errors.

    Returns
    -------
    pandas.DataFrame
        The columns of ``data/serving_assumptions.csv`` (validated by
        :data:`infermodel.serving.SERVING_SCHEMA`), plus ``tokens_per_second`` and a boolean
        ``article_default`` as :func:`infermodel.serving.load_serving` returns. Ids read
        ``estimated-<model>-<gpu>-x<gpus>-<precision>[-c<concurrency>]`` with every
        character other than a letter or digit turned into ``-`` (the schema allows no dot).
    """
    if mode not in serving_mod.MODES:
        raise ValueError(f"mode must be one of {', '.join(serving_mod.MODES)}, got {mode!r}")
    fit = estimates[estimates["fits"]].reset_index(drop=True)
    info = load_efficiency_table(efficiency_path)
    first = info.iloc[0]
    note_errors = first["note"].split("; ")[-1]
    ids = (
        "estimated-"
        + fit["model"].map(_slug)
        + "-"
        + fit["gpu"].map(_slug)
        + "-x"
        + fit["gpus"].astype(str)
        + "-"
        + fit["precision"]
        + fit["concurrency"].map(lambda c: "" if pd.isna(c) else f"-c{int(c)}")
    )
    load = (
        fit["concurrency"].map(lambda c: "max batch" if pd.isna(c) else f"concurrency {int(c)}")
        + " (batch "
        + fit["batch"].astype(str)
        + ")"
    )
    factors = ", ".join(f"{f} {info.set_index('factor').loc[f, 'value']:g}" for f in FACTORS)
    rows = pd.DataFrame(
        {
            "assumption_id": ids,
            "label": "Estimated: "
            + fit["model"]
            + " "
            + fit["precision"]
            + " on "
            + fit["gpus"].astype(str)
            + "x "
            + fit["gpu"]
            + ", "
            + load,
            "model": fit["model"],
            "precision": fit["precision"],
            "gpu": fit["gpu"],
            "gpus_per_replica": fit["gpus"].astype(str),
            "min_memory_gb_per_replica": (
                (fit["weight_gb"] + fit["kv_cache_gb_per_sequence"]) / (1 - memory_headroom)
            ).map("{:.3f}".format),
            "mode": mode,
            "output_tokens_per_hour_per_replica": (
                fit["output_tokens_per_second"] * SECONDS_PER_HOUR
            ).map("{:.1f}".format),
            "article_default": "false",
            "observed_on": pd.Timestamp(info["observed_on"].max()).strftime("%Y-%m-%d"),
            "source_url": ESTIMATOR_SOURCE,
            "note": "Roofline estimate, "
            + fit["input_tokens"].astype(str)
            + " input / "
            + fit["output_tokens"].astype(str)
            + " output tokens per request at "
            + load
            + f"; efficiency factors {factors} fitted on {first['points']} measured points "
            + f"({note_errors}); see notebooks/throughput.ipynb.",
        }
    )
    table = validate(rows, serving_mod.SERVING_SCHEMA, Path("<estimator>"))
    return table.assign(
        article_default=table["article_default"] == "true",
        tokens_per_second=table["output_tokens_per_hour_per_replica"] / SECONDS_PER_HOUR,
    )


def price_estimates(
    estimates: pd.DataFrame, gpu_offerings: pd.DataFrame, *, utilization: float = 0.8
) -> pd.DataFrame:
    """USD per million output tokens of each estimate on each offering of its GPU SKU.

    Parameters
    ----------
    estimates
        Rows of :func:`estimate_table` (rows that do not fit are dropped).
    gpu_offerings
        GPU offerings with ``provider``, ``gpu``, ``tier``, ``pricing``, ``usd_per_gpu_hour``
        (``PriceSnapshot.gpu``).
    utilization
        Busy fraction of paid GPU time, in (0, 1]. [-]

    Returns
    -------
    pandas.DataFrame
        The estimate columns with the offering's columns and ``usd_per_million_output_tokens``
        [USD/Mtok] (all GPUs of the replica paid for), sorted cheapest first.

    References
    ----------
    :func:`infermodel.formulas.self_hosted_usd_per_million_tokens`.
    """
    offers = gpu_offerings[
        ["provider", "gpu", "tier", "pricing", "usd_per_gpu_hour", "observed_on", "confidence"]
    ]
    merged = estimates[estimates["fits"]].merge(offers, on="gpu", how="inner")
    merged["usd_per_million_output_tokens"] = formulas.self_hosted_usd_per_million_tokens(
        merged["output_tokens_per_second"],
        utilization,
        merged["usd_per_gpu_hour"],
        gpus_per_replica=merged["gpus"],
    )
    return merged.sort_values("usd_per_million_output_tokens", kind="stable").reset_index(drop=True)


__all__ = [
    "ESTIMATE_COLUMNS",
    "IDEAL",
    "PRECISIONS",
    "Efficiency",
    "accuracy",
    "calibration",
    "efficiency_table",
    "estimate",
    "estimate_table",
    "fit_efficiency",
    "kv_cache_bytes_per_token",
    "load_efficiency",
    "load_measured",
    "load_model_specs",
    "max_batch",
    "price_estimates",
    "read_measured_csv",
    "read_vllm_bench_json",
    "resolve_gpu",
    "resolve_model",
    "roofline",
    "serving_rows",
    "smallest_replicas",
    "step_seconds",
    "weight_bytes",
    "write_efficiency",
]
