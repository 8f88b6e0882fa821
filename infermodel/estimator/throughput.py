"""DIY serving throughput estimated from model and GPU specs, engine by engine.

The article's DIY rows rest on one guess ("1-2M tokens/hour for a large LLM") and DIY cost is
inversely proportional to it. This module estimates output tokens per second for a model on a
replica of GPUs under a serving engine (vLLM, SGLang or TensorRT-LLM) from the spec tables
(``data/model_specs.csv``, ``data/gpu_specs.csv``), the engine's defaults
(``data/serving_engines.csv``: memory fraction, largest batch, KV-cache dtype) and the pure
formulas of :mod:`infermodel.formulas.roofline`, with the factors fitted per engine on
published measurements (:mod:`infermodel.estimator.calibration`, shipped in
``data/throughput_efficiency.csv``).

- :func:`estimate_table` / :func:`estimate`: throughput, largest batch, memory, bounds, and
  a ``warning`` where the estimate should not be trusted (:func:`trust_warnings`);
- :func:`at_stream_speed`: the most a replica serves while each stream keeps a set speed;
- :func:`smallest_replicas`: for each GPU, the smallest replica that holds a model;
- :func:`serving_rows` and :func:`price_estimates` (:mod:`infermodel.estimator.throughput_rows`):
  estimates into the cost table.

Without a concurrency the batch is the largest that fits (offline, maximum throughput).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from infermodel import checks, tables
from infermodel.errors import InputError
from infermodel.estimator.throughput_rows import ESTIMATOR_SOURCE, price_estimates, serving_rows
from infermodel.estimator.trust import trust_warnings
from infermodel.formulas.roofline import (
    COMPUTE_COLUMN,
    EXPERT_ONLY_PRECISIONS,
    FACTORS,
    KV_CACHE_BYTES,
    KV_CACHE_DTYPES,
    PRECISIONS,
    Efficiency,
    bytes_per_parameter,
    kv_cache_bytes_per_token,
    kv_cache_capacity_bytes,
    max_batch,
    roofline,
    weight_bytes,
)
from infermodel.tables import serving_engines, specs
from infermodel.units import BYTES_PER_GB, SECONDS_PER_MS

#: GPU counts tried when picking the smallest replica that holds a model. [GPUs]
DEFAULT_GPU_COUNTS = (1, 2, 4, 8)

ESTIMATE_COLUMNS = [
    *("model", "gpu", "gpus", "precision", "engine", "kv_cache_dtype"),
    *("input_tokens", "output_tokens", "concurrency", "batch", "max_batch", "fits"),
    "output_tokens_per_second",
    "output_tokens_per_second_per_stream",
    "output_tokens_per_second_per_gpu",
    *("prefill_seconds", "decode_step_ms", "decode_overhead_ms", "decode_bound"),
    *("weight_gb", "kv_cache_gb_per_sequence", "memory_gb_usable", "memory_fraction"),
    *("max_num_seqs", "min_gpus_to_fit", *FACTORS, "warning"),
]
#: Columns :func:`_resolved` gives every configuration.
_CONFIG_COLUMNS = [*ESTIMATE_COLUMNS[:9], "max_num_seqs", "static_batch"]


def _optional(record: dict, name: str):
    value = record.get(name)
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _batch_cap(value) -> float | None:
    """A row's ``max_num_seqs``: ``None`` (the engine's default), infinite (no cap) or whole."""
    if value is None:
        return None
    if isinstance(value, float) and np.isinf(value) and value > 0:
        return np.inf
    return float(checks.whole("max_num_seqs", value))


def _resolved_row(record: dict, models, gpu_by, experts, engine: str) -> dict:
    """One configuration with canonical names, every count and option checked."""
    model = specs.resolve_model(record["model"], models)
    gpu = specs.resolve_gpu(record["gpu"], gpu_by.reset_index())
    precision = specs.check_precision(record["precision"], gpu, gpu_by.loc[gpu])
    if precision in EXPERT_ONLY_PRECISIONS and experts[model] <= 1:
        raise InputError(
            f"precision {precision!r} quantizes the experts of a mixture-of-experts model "
            f"only (as gpt-oss ships), and {model} is dense; use int4 or fp4 for 4-bit weights"
        )
    row_engine = serving_engines.check_engine(_optional(record, "engine") or engine)
    vendor = gpu_by.loc[gpu, "vendor"]
    if row_engine in serving_engines.NVIDIA_ONLY and vendor != "NVIDIA":
        raise InputError(
            f"engine {row_engine!r} (TensorRT-LLM) runs on NVIDIA GPUs only, and {gpu} is "
            f"{vendor}'s; use vllm or sglang"
        )
    kv = _optional(record, "kv_cache_dtype")
    if kv is not None:
        kv = str(kv).strip().lower()
        if kv not in KV_CACHE_DTYPES:
            raise InputError(
                f"unknown kv_cache_dtype {record['kv_cache_dtype']!r}; valid: "
                f"{', '.join(KV_CACHE_DTYPES)} (empty: the engine's default)"
            )
    concurrency, seqs = _optional(record, "concurrency"), _optional(record, "max_num_seqs")
    static = bool(_optional(record, "static_batch") or False)
    gpus = checks.whole("gpus", record["gpus"])
    return {
        "model": model,
        "gpu": gpu,
        "gpus": specs.check_tensor_parallel(model, gpus, models),
        "precision": precision,
        "engine": row_engine,
        "kv_cache_dtype": kv,
        "input_tokens": checks.whole("input_tokens", record["input_tokens"]),
        "output_tokens": checks.whole("output_tokens", record["output_tokens"]),
        "concurrency": None if concurrency is None else checks.whole("concurrency", concurrency),
        "max_num_seqs": _batch_cap(seqs),
        "static_batch": static,
    }


def _resolved(
    configs: pd.DataFrame, models: pd.DataFrame, gpu_specs: pd.DataFrame, engine: str
) -> pd.DataFrame:
    """``configs`` with canonical names and every count checked (:data:`_CONFIG_COLUMNS`)."""
    missing = [
        c
        for c in ("model", "gpu", "gpus", "precision", "input_tokens", "output_tokens")
        if c not in configs.columns
    ]
    if missing:
        raise InputError(f"configs lack column(s) {', '.join(missing)}")
    gpu_by = gpu_specs.set_index("gpu")
    experts = models.set_index("model")["experts"]
    # A sweep repeats one configuration at many concurrencies: resolve each distinct one once.
    done: dict[tuple, dict] = {}
    rows = []
    for record in configs.to_dict("records"):
        concurrency = _optional(record, "concurrency")
        key = tuple((k, str(v)) for k, v in sorted(record.items()) if k.lower() != "concurrency")
        if key not in done:
            done[key] = _resolved_row(
                {**record, "concurrency": None}, models, gpu_by, experts, engine
            )
        rows.append(
            {
                **done[key],
                "concurrency": None
                if concurrency is None
                else checks.whole("concurrency", concurrency),
            }
        )
    frame = pd.DataFrame(rows, columns=_CONFIG_COLUMNS)
    frame["concurrency"] = pd.array(frame["concurrency"].astype(float), dtype="Float64").astype(
        "Int64"
    )
    frame["max_num_seqs"] = frame["max_num_seqs"].astype(float)
    return frame


def roofline_inputs(
    frame: pd.DataFrame,
    models: pd.DataFrame,
    gpu_specs: pd.DataFrame,
    *,
    kv_cache_bytes: float | None = None,
) -> dict[str, np.ndarray]:
    """What :func:`~infermodel.formulas.roofline.roofline` needs for each row, batch and efficiency
    aside.

    ``frame`` holds resolved configs (canonical ``model`` and ``gpu``, ``gpus``,
    ``precision``, ``kv_cache_dtype``, ``input_tokens``, ``output_tokens``), e.g. rows of
    :func:`estimate_table`; ``kv_cache_bytes`` overrides every row's cache dtype. [bytes]
    """
    m = models.set_index("model").loc[frame["model"]].reset_index(drop=True)
    g = gpu_specs.set_index("gpu").loc[frame["gpu"]].reset_index(drop=True)
    gpus = frame["gpus"].to_numpy(dtype=float)
    kv_bpv = (
        frame["kv_cache_dtype"].map(KV_CACHE_BYTES).to_numpy(dtype=float)
        if kv_cache_bytes is None
        else np.full(len(frame), float(kv_cache_bytes))
    )
    peak = [g.loc[k, COMPUTE_COLUMN[p]] for k, p in enumerate(frame["precision"])]
    routing = [
        m[c].to_numpy(dtype=float)
        for c in ("total_params_b", "active_params_b", "experts", "experts_per_token")
    ]
    weight_width = np.array(
        [bytes_per_parameter(p, *(r[k] for r in routing)) for k, p in enumerate(frame.precision)],
        dtype=float,
    )
    return {
        "total_params_b": routing[0],
        "active_params_b": routing[1],
        "experts": routing[2],
        "experts_per_token": routing[3],
        "layers": m["layers"].to_numpy(dtype=float),
        "attention_width": (m["attention_heads"] * m["head_dim"]).to_numpy(dtype=float),
        "bytes_per_parameter": weight_width,
        "kv_bytes_per_token": kv_cache_bytes_per_token(
            m["layers"].to_numpy(),
            m["kv_heads"].to_numpy(),
            m["head_dim"].to_numpy(),
            bytes_per_value=kv_bpv,
        ),
        "kv_replication": np.maximum(1.0, gpus / m["kv_heads"].to_numpy(dtype=float)),
        "gpus": gpus,
        "peak_tflops": np.array(peak, dtype=float),
        "bandwidth_tb_per_s": g["memory_bandwidth_tb_per_s"].to_numpy(dtype=float),
        "input_tokens": frame["input_tokens"].to_numpy(dtype=float),
        "output_tokens": frame["output_tokens"].to_numpy(dtype=float),
    }


def engine_settings(
    frame: pd.DataFrame,
    gpu_specs: pd.DataFrame,
    engines: pd.DataFrame,
    *,
    memory_headroom: float | None = None,
) -> pd.DataFrame:
    """``frame`` (resolved configs) with each engine's defaults filled in where not given.

    Adds ``memory_fraction`` [-] (``1 - memory_headroom`` when that is given),
    ``memory_basis``, and fills ``kv_cache_dtype`` and ``max_num_seqs`` (infinite: no cap)
    from ``data/serving_engines.csv`` (:func:`infermodel.tables.serving_engines.defaults`).
    """
    g = gpu_specs.set_index("gpu").loc[frame["gpu"]]
    found = serving_engines.defaults(
        frame["engine"].to_numpy(),
        frame["gpus"].to_numpy(dtype=float),
        g["memory_gb"].to_numpy(dtype=float),
        frame["gpu"].to_numpy(),
        frame["precision"].to_numpy(),
        engines,
    )
    out = frame.copy()
    out["kv_cache_dtype"] = out["kv_cache_dtype"].where(
        out["kv_cache_dtype"].notna(), pd.Series(found["kv_cache_dtype"], index=out.index)
    )
    given = out["max_num_seqs"].to_numpy(dtype=float)
    out["max_num_seqs"] = np.where(np.isnan(given), found["max_num_seqs"], given)
    out["memory_fraction"] = (
        found["memory_fraction"] if memory_headroom is None else 1.0 - memory_headroom
    )
    out["memory_basis"] = found["memory_basis"]
    return out


def factor_arrays(
    frame: pd.DataFrame,
    gpu_specs: pd.DataFrame,
    efficiency: Efficiency | Mapping[tuple[str, str], Efficiency] | None,
) -> dict[str, np.ndarray]:
    """Each row's fitted factors: one :class:`Efficiency` for all, or by (engine, vendor)."""
    if isinstance(efficiency, Efficiency):
        return {f: np.full(len(frame), v) for f, v in efficiency.as_dict().items()}
    fitted = tables.load_efficiencies() if efficiency is None else efficiency
    vendor = frame["gpu"].map(gpu_specs.set_index("gpu")["vendor"])
    keys = list(zip(frame["engine"], vendor, strict=True))
    missing = sorted({k for k in keys if k not in fitted})
    if missing:
        raise InputError(
            f"no fitted factors for engine {missing[0][0]} on {missing[0][1]} GPUs; fitted: "
            + ", ".join(f"{e}/{v}" for e, v in fitted)
        )
    return {f: np.array([getattr(fitted[k], f) for k in keys], dtype=float) for f in FACTORS}


def _fill_memory(frame, inputs, settings, models, gpu_specs) -> dict[str, np.ndarray]:
    """Largest batch, smallest GPU count and memory figures of each row."""
    memory_gb = gpu_specs.set_index("gpu").loc[frame["gpu"], "memory_gb"].to_numpy(dtype=float)
    kv_heads = models.set_index("model").loc[frame["model"], "kv_heads"].to_numpy(dtype=float)
    gpus, kv_token = inputs["gpus"], inputs["kv_bytes_per_token"]
    weights = weight_bytes(
        inputs["total_params_b"], bytes_per_parameter=inputs["bytes_per_parameter"]
    )
    seq = (frame["input_tokens"] + frame["output_tokens"]).to_numpy(dtype=float)
    fit = dict(
        memory_headroom=1.0 - settings["memory_fraction"].to_numpy(dtype=float),
        memory_basis=settings["memory_basis"].to_numpy(),
    )
    capacity = max_batch(
        gpus, memory_gb, weights, kv_token, seq, kv_heads,
        max_sequences=settings["max_num_seqs"].to_numpy(dtype=float), **fit,
    )  # fmt: skip
    counts = np.arange(1, 65, dtype=float)[:, None]
    grid = max_batch(counts, memory_gb, weights, kv_token, seq, kv_heads, **fit)
    min_gpus = np.where(grid.max(axis=0) >= 1, (grid >= 1).argmax(axis=0) + 1.0, np.nan)
    kv_room = kv_cache_capacity_bytes(
        gpus, memory_gb, weights,
        memory_fraction=settings["memory_fraction"].to_numpy(dtype=float),
        memory_basis=fit["memory_basis"],
    )  # fmt: skip
    return {
        "capacity": capacity,
        "min_gpus": min_gpus,
        "weights": weights,
        "kv_per_sequence": kv_token * seq * np.maximum(1.0, gpus / kv_heads),
        "usable": weights + kv_room,
    }


def estimate_table(
    configs: pd.DataFrame,
    *,
    engine: str = serving_engines.DEFAULT_ENGINE,
    efficiency: Efficiency | Mapping[tuple[str, str], Efficiency] | None = None,
    memory_headroom: float | None = None,
    kv_cache_bytes: float | None = None,
    speculative_decoding: bool = False,
    disaggregated: bool = False,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
    engines: pd.DataFrame | None = None,
    measured: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Estimate throughput for each row of ``configs`` (vectorized over rows).

    Parameters
    ----------
    configs
        Columns ``model``, ``gpu``, ``gpus``, ``precision``, ``input_tokens``,
        ``output_tokens``; optionally ``concurrency`` (missing or empty: the largest batch
        that fits, i.e. offline maximum throughput), ``engine``, ``kv_cache_dtype`` and
        ``max_num_seqs`` (each empty: the engine's default), and ``static_batch`` (True: one
        batch started together and decoded to the end, as a latency benchmark runs it; by
        default a server's steady state). Names match case-insensitively.
    engine
        Engine of rows without one: ``vllm``, ``sglang`` or ``trtllm``.
    efficiency
        One :class:`Efficiency` for every row (:data:`~infermodel.formulas.roofline.IDEAL` for the
        bound), or factors by (engine, vendor); the shipped fitted ones by default.
    memory_headroom
        Fraction of GPU memory kept free, in [0, 1), for every row; by default each engine's
        own memory fraction (``data/serving_engines.csv``). [-]
    kv_cache_bytes
        Bytes per cached value for every row; by default each row's KV-cache dtype. [bytes]
    speculative_decoding, disaggregated
        The deployment uses speculative decoding, or separate prefill and decode replicas:
        neither is modelled, so every row then carries a warning.
    models, gpu_specs, engines, measured
        Spec, engine and measurement tables; the shipped ones by default (``measured`` only
        says which GPUs and models were measured, for the warnings).

    Returns
    -------
    pandas.DataFrame
        :data:`ESTIMATE_COLUMNS`, one row per config. Rows that do not fit have
        ``fits=False``, ``batch=0`` and empty throughput. ``output_tokens_per_second``
        [tokens/s] is the whole replica (all its GPUs); ``..._per_stream`` is one request's
        average rate including its share of prefill; ``decode_step_ms`` is the mean time
        between two tokens of a stream (a steady-state step carries the new prompts' prefill,
        :func:`~infermodel.formulas.roofline.roofline`); ``decode_bound`` is ``memory`` or
        ``compute``; ``min_gpus_to_fit`` is the smallest GPU count in 1-64 that holds one
        sequence; ``warning`` says where the estimate should not be trusted (empty: nothing
        known against it).

    Raises
    ------
    InputError
        Unknown model, GPU, precision, engine or KV-cache dtype (with close matches or the
        valid values), a precision the GPU lacks, TensorRT-LLM on a GPU not NVIDIA's, a
        length, GPU count or concurrency that is not a whole number >= 1, or a headroom
        outside [0, 1).
    """
    if memory_headroom is not None and not 0 <= memory_headroom < 1:
        raise InputError(f"memory_headroom must be in [0, 1), got {memory_headroom!r}")
    if kv_cache_bytes is not None:
        checks.number("kv_cache_bytes", kv_cache_bytes, low=0, low_open=True)
    models = tables.load_model_specs() if models is None else models
    gpu_specs = tables.load_gpu_specs() if gpu_specs is None else gpu_specs
    engines = serving_engines.load_engines() if engines is None else engines
    frame = _resolved(configs, models, gpu_specs, serving_engines.check_engine(engine))
    settings = engine_settings(frame, gpu_specs, engines, memory_headroom=memory_headroom)
    frame["kv_cache_dtype"] = settings["kv_cache_dtype"]
    factors = factor_arrays(frame, gpu_specs, efficiency)
    inputs = roofline_inputs(frame, models, gpu_specs, kv_cache_bytes=kv_cache_bytes)
    memory = _fill_memory(frame, inputs, settings, models, gpu_specs)
    capacity = memory["capacity"]
    fits = capacity >= 1
    wanted = frame["concurrency"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    batch = np.where(np.isnan(wanted), capacity, np.minimum(wanted, capacity))
    static = frame["static_batch"].to_numpy(dtype=bool)
    result = roofline(**inputs, batch=np.maximum(batch, 1.0), static_batch=static, **factors)
    _fill(frame, result, memory, settings, factors, batch=batch, fits=fits)
    frame["warning"] = trust_warnings(
        frame,
        measured=measured,
        speculative_decoding=speculative_decoding,
        disaggregated=disaggregated,
        gpu_specs=gpu_specs,
    )
    return frame[ESTIMATE_COLUMNS]


def _fill(frame, result, memory, settings, factors, *, batch, fits) -> None:
    """Write the estimate columns of :func:`estimate_table` into ``frame`` (in place)."""
    gpus = frame["gpus"].to_numpy(dtype=float)
    tps = np.where(fits, result["output_tokens_per_second"], np.nan)
    frame["batch"] = batch.astype(int)
    frame["max_batch"] = memory["capacity"].astype(int)
    frame["fits"] = fits
    frame["output_tokens_per_second"] = tps
    frame["output_tokens_per_second_per_stream"] = tps / np.maximum(batch, 1.0)
    frame["output_tokens_per_second_per_gpu"] = tps / gpus
    frame["prefill_seconds"] = np.where(fits, result["prefill_seconds"], np.nan)
    frame["decode_step_ms"] = np.where(fits, result["decode_step_seconds"] / SECONDS_PER_MS, np.nan)
    frame["decode_overhead_ms"] = result["decode_overhead_seconds"] / SECONDS_PER_MS
    frame["decode_bound"] = np.where(
        fits, np.where(result["decode_compute_bound"], "compute", "memory"), ""
    )
    frame["weight_gb"] = memory["weights"] / BYTES_PER_GB
    frame["kv_cache_gb_per_sequence"] = memory["kv_per_sequence"] / BYTES_PER_GB
    frame["memory_gb_usable"] = memory["usable"] / BYTES_PER_GB
    frame["memory_fraction"] = settings["memory_fraction"].to_numpy(dtype=float)
    frame["max_num_seqs"] = settings["max_num_seqs"].to_numpy(dtype=float)
    frame["min_gpus_to_fit"] = pd.array(memory["min_gpus"], dtype="Float64").astype("Int64")
    for name, values in factors.items():
        frame[name] = values


def not_fit_message(row: pd.Series, models: pd.DataFrame | None = None) -> str:
    """Why an estimate row does not fit, and (with ``models``) the GPU count that would."""
    need = row["weight_gb"] + row["kv_cache_gb_per_sequence"]
    more = (
        f"; it needs at least {row['min_gpus_to_fit']} GPUs"
        if pd.notna(row["min_gpus_to_fit"])
        else "; no count up to 64 GPUs holds it"
    )
    if models is not None and pd.notna(row["min_gpus_to_fit"]):
        valid = specs.model_tensor_parallel_sizes(row["model"], models)
        split = [n for n in valid if n >= row["min_gpus_to_fit"]]
        if split and split[0] != row["min_gpus_to_fit"]:
            more += f", so {split[0]} to split it by tensor parallelism"
    return (
        f"{row['model']} in {row['precision']} does not fit on {row['gpus']} x {row['gpu']}: "
        f"{row['weight_gb']:,.1f} GB of weights + {row['kv_cache_gb_per_sequence']:,.2f} GB of "
        f"KV cache for one {row['input_tokens'] + row['output_tokens']:,}-token sequence = "
        f"{need:,.1f} GB, usable {row['memory_gb_usable']:,.1f} GB under {row['engine']}"
        f"{more}, or a smaller precision"
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
    engine: str = serving_engines.DEFAULT_ENGINE,
    kv_cache_dtype: str | None = None,
    max_num_seqs: int | None = None,
    **options,
) -> pd.DataFrame:
    """Estimate one configuration; a one-row :func:`estimate_table`.

    Parameters
    ----------
    model, gpu
        Names from ``data/model_specs.csv`` and ``data/gpu_specs.csv`` (any case).
    gpus
        GPUs in the replica (tensor parallel). [GPUs]
    precision
        Weight precision: one of :data:`infermodel.formulas.roofline.PRECISIONS` (``mxfp4``: the
        experts of a mixture-of-experts model in MXFP4, the rest in BF16, as gpt-oss ships).
    input_tokens, output_tokens
        Prompt and generated tokens per request, >= 1. [tokens]
    concurrency
        Requests in flight; ``None`` for the largest batch that fits. [requests]
    engine, kv_cache_dtype, max_num_seqs
        Serving engine and, when not its defaults, the KV-cache dtype and batch cap.
    **options
        Keyword options of :func:`estimate_table` (``efficiency``, ``memory_headroom``,
        ``speculative_decoding``, ``disaggregated``, ``models``, ``gpu_specs``, ...).

    Returns
    -------
    pandas.DataFrame
        One row, :data:`ESTIMATE_COLUMNS`.

    Raises
    ------
    InputError
        Every bad input of :func:`estimate_table`, and a model that does not fit (naming
        the memory it needs and the GPU count that would hold it).
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
                "engine": engine,
                "kv_cache_dtype": kv_cache_dtype,
                "max_num_seqs": max_num_seqs,
            }
        ]
    )
    table = estimate_table(config, **options)
    if not table.loc[0, "fits"]:
        models = options.get("models")
        models = tables.load_model_specs() if models is None else models
        raise InputError(not_fit_message(table.iloc[0], models))
    return table


def _sweep(model, gpu, gpus, precision, input_tokens, output_tokens, largest, **options):
    """Every concurrency from 1 to ``largest`` of one configuration (:func:`estimate_table`)."""
    keys = ("engine", "kv_cache_dtype", "max_num_seqs")
    config = {k: options.pop(k) for k in keys if k in options}
    configs = pd.DataFrame(
        {
            "model": model,
            "gpu": gpu,
            "gpus": gpus,
            "precision": precision,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "concurrency": np.arange(1, largest + 1),
            **config,
        }
    )
    return estimate_table(configs, **options)


def at_stream_speed(
    model: str,
    gpu: str,
    gpus: int,
    precision: str,
    input_tokens: int,
    output_tokens: int,
    *,
    tokens_per_second_per_stream: float,
    **options,
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
    **options
        ``engine``, ``kv_cache_dtype``, ``max_num_seqs`` and the options of
        :func:`estimate_table`.

    Returns
    -------
    pandas.DataFrame
        Two rows of :data:`ESTIMATE_COLUMNS` plus ``reading``: ``"at stream speed"`` and
        ``"maximum"`` (largest batch that fits), and ``meets_target``: False when even a
        single stream is slower than the target (the first row is then that single stream).

    Raises
    ------
    InputError
        Everything :func:`estimate` raises, or a non-positive target.
    """
    if not (np.isfinite(tokens_per_second_per_stream) and tokens_per_second_per_stream > 0):
        raise InputError(
            "tokens_per_second_per_stream must be a finite number > 0 [tokens/s], got "
            f"{tokens_per_second_per_stream!r}"
        )
    args = (model, gpu, gpus, precision, input_tokens, output_tokens)
    maximum = estimate(*args, **options)
    sweep = _sweep(*args, int(maximum.loc[0, "max_batch"]), **options)
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
    engine: str = serving_engines.DEFAULT_ENGINE,
    **options,
) -> pd.DataFrame:
    """For each GPU SKU, the smallest replica that serves ``model``, and its estimate.

    For each GPU, the first of ``precisions`` it has tensor cores for is used, with the
    smallest of ``gpu_counts`` that holds one sequence; counts that cannot split the model by
    tensor parallelism (:func:`infermodel.tables.specs.tensor_parallel_sizes`) are skipped. GPUs
    where nothing fits are returned with ``fits=False`` and ``gpus`` the largest count tried;
    GPUs with no supported precision, and GPUs the engine does not run on (TensorRT-LLM on
    AMD), are left out. ``**options`` are those of :func:`estimate_table`.

    Returns
    -------
    pandas.DataFrame
        :data:`ESTIMATE_COLUMNS`, one row per GPU SKU in ``gpus`` (duplicates dropped).
    """
    models = options.setdefault("models", tables.load_model_specs())
    gpu_specs = options.setdefault("gpu_specs", tables.load_gpu_specs())
    if not gpu_counts:
        raise InputError("gpu_counts must name at least one GPU count")
    wanted = [str(p).lower() for p in precisions]
    bad = [p for p in wanted if p not in PRECISIONS]
    if bad or not wanted:
        raise InputError(
            f"unknown precision {bad[0] if bad else None!r}; valid: {', '.join(PRECISIONS)}"
        )
    engine = serving_engines.check_engine(engine)
    canonical = specs.resolve_model(model, models)
    splits = specs.model_tensor_parallel_sizes(canonical, models)
    counts = sorted({checks.whole("gpu_counts", c) for c in gpu_counts})
    # A count that cannot split the model by tensor parallelism is skipped, not estimated.
    counts = [c for c in counts if c in splits]
    if not counts:
        raise InputError(
            f"none of gpu_counts {', '.join(map(str, gpu_counts))} can split {canonical} by "
            f"tensor parallelism; valid counts: {', '.join(map(str, splits))}"
        )
    gpu_by = gpu_specs.set_index("gpu")
    configs = []
    for name in dict.fromkeys(specs.resolve_gpu(g, gpu_specs) for g in gpus):
        usable = [p for p in wanted if p in specs.supported_precisions(gpu_by.loc[name])]
        runs = engine not in serving_engines.NVIDIA_ONLY or gpu_by.loc[name, "vendor"] == "NVIDIA"
        if not usable or not runs:
            continue
        for count in counts:
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
    table = estimate_table(pd.DataFrame(configs), engine=engine, **options)
    fitting = table[table["fits"]].groupby("gpu", sort=False).head(1)
    unfit = table[~table["gpu"].isin(fitting["gpu"])].groupby("gpu", sort=False).tail(1)
    return pd.concat([fitting, unfit]).sort_index().reset_index(drop=True)


__all__ = [
    "DEFAULT_GPU_COUNTS",
    "ESTIMATE_COLUMNS",
    "ESTIMATOR_SOURCE",
    "at_stream_speed",
    "engine_settings",
    "estimate",
    "estimate_table",
    "factor_arrays",
    "not_fit_message",
    "price_estimates",
    "roofline_inputs",
    "serving_rows",
    "smallest_replicas",
    "trust_warnings",
]
