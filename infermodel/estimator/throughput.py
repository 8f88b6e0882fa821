"""DIY serving throughput estimated from model and GPU specs, with the calibrated roofline.

The article's DIY rows rest on one guess ("1-2M tokens/hour for a large LLM") and DIY cost is
inversely proportional to it. This module estimates output tokens per second for a model on a
replica of GPUs from the spec tables (``data/model_specs.csv``, ``data/gpu_specs.csv``) with the
pure formulas of :mod:`infermodel.formulas.roofline`, corrected by the efficiency factors fitted on
published measurements (:mod:`infermodel.estimator.calibration`, shipped in
``data/throughput_efficiency.csv``), so the cost table can use a throughput with a known error.

- :func:`estimate_table` / :func:`estimate`: throughput, largest batch, memory and bounds;
- :func:`at_stream_speed`: the most a replica serves while each stream keeps a set speed;
- :func:`smallest_replicas`: for each GPU, the smallest replica that holds a model;
- :func:`serving_rows` and :func:`price_estimates`: estimates into the cost table.

Without a concurrency the batch is the largest that fits (offline, maximum throughput).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from infermodel import checks, formulas, paths, tables
from infermodel.errors import InputError
from infermodel.formulas.roofline import (
    COMPUTE_COLUMN,
    DEFAULT_KV_CACHE_BYTES,
    DEFAULT_MEMORY_HEADROOM,
    EXPERT_ONLY_PRECISIONS,
    FACTORS,
    PRECISIONS,
    Efficiency,
    bytes_per_parameter,
    kv_cache_bytes_per_token,
    max_batch,
    roofline,
    weight_bytes,
)
from infermodel.tables import specs
from infermodel.tables.reading import validate
from infermodel.units import (
    BYTES_PER_GB,
    BYTES_PER_GPU_MEMORY_GB,
    SECONDS_PER_HOUR,
    SECONDS_PER_MS,
)

#: GPU counts tried when picking the smallest replica that holds a model. [GPUs]
DEFAULT_GPU_COUNTS = (1, 2, 4, 8)
ESTIMATOR_SOURCE = "infermodel.throughput roofline calibrated on data/throughput_measured.csv"

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


def _resolved(configs: pd.DataFrame, models: pd.DataFrame, gpu_specs: pd.DataFrame) -> pd.DataFrame:
    """``configs`` with canonical names and every count checked (first 7 estimate columns)."""
    missing = [
        c
        for c in ("model", "gpu", "gpus", "precision", "input_tokens", "output_tokens")
        if c not in configs.columns
    ]
    if missing:
        raise InputError(f"configs lack column(s) {', '.join(missing)}")
    gpu_by = gpu_specs.set_index("gpu")
    experts = models.set_index("model")["experts"]
    rows = []
    for record in configs.to_dict("records"):
        model = specs.resolve_model(record["model"], models)
        gpu = specs.resolve_gpu(record["gpu"], gpu_specs)
        precision = specs.check_precision(record["precision"], gpu, gpu_by.loc[gpu])
        if precision in EXPERT_ONLY_PRECISIONS and experts[model] <= 1:
            raise InputError(
                f"precision {precision!r} quantizes the experts of a mixture-of-experts model "
                f"only (as gpt-oss ships), and {model} is dense; use int4 or fp4 for 4-bit weights"
            )
        concurrency = record.get("concurrency")
        if concurrency is not None and pd.isna(concurrency):
            concurrency = None
        gpus = checks.whole("gpus", record["gpus"])
        rows.append(
            {
                "model": model,
                "gpu": gpu,
                "gpus": specs.check_tensor_parallel(model, gpus, models),
                "precision": precision,
                "input_tokens": checks.whole("input_tokens", record["input_tokens"]),
                "output_tokens": checks.whole("output_tokens", record["output_tokens"]),
                "concurrency": None
                if concurrency is None
                else checks.whole("concurrency", concurrency),
            }
        )
    frame = pd.DataFrame(rows, columns=ESTIMATE_COLUMNS[:7])
    frame["concurrency"] = frame["concurrency"].astype("Int64")
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
    ``precision``, ``input_tokens``, ``output_tokens``), e.g. rows of :func:`estimate_table`.
    """
    m = models.set_index("model").loc[frame["model"]].reset_index(drop=True)
    g = gpu_specs.set_index("gpu").loc[frame["gpu"]].reset_index(drop=True)
    gpus = frame["gpus"].to_numpy(dtype=float)
    kv_bpv = (
        frame["precision"].map(DEFAULT_KV_CACHE_BYTES).to_numpy(dtype=float)
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
    InputError
        Unknown model, GPU or precision (with close matches), a precision the GPU lacks,
        a length, GPU count or concurrency that is not a whole number >= 1, or a headroom
        outside [0, 1).
    """
    if not 0 <= memory_headroom < 1:
        raise InputError(f"memory_headroom must be in [0, 1), got {memory_headroom!r}")
    if kv_cache_bytes is not None:
        checks.number("kv_cache_bytes", kv_cache_bytes, low=0, low_open=True)
    models = tables.load_model_specs() if models is None else models
    gpu_specs = tables.load_gpu_specs() if gpu_specs is None else gpu_specs
    eff = tables.load_efficiency() if efficiency is None else efficiency
    frame = _resolved(configs, models, gpu_specs)
    inputs = roofline_inputs(frame, models, gpu_specs, kv_cache_bytes=kv_cache_bytes)
    memory_gb = gpu_specs.set_index("gpu").loc[frame["gpu"], "memory_gb"].to_numpy(dtype=float)
    kv_heads = models.set_index("model").loc[frame["model"], "kv_heads"].to_numpy(dtype=float)
    gpus, kv_token = inputs["gpus"], inputs["kv_bytes_per_token"]
    weights = weight_bytes(
        inputs["total_params_b"], bytes_per_parameter=inputs["bytes_per_parameter"]
    )
    seq = (frame["input_tokens"] + frame["output_tokens"]).to_numpy(dtype=float)
    fit = {"memory_headroom": memory_headroom}
    capacity = max_batch(gpus, memory_gb, weights, kv_token, seq, kv_heads, **fit)
    fits = capacity >= 1
    wanted = frame["concurrency"].astype(float).to_numpy()
    batch = np.where(np.isnan(wanted), capacity, np.minimum(wanted, capacity))
    counts = np.arange(1, 65, dtype=float)[:, None]
    fit_grid = max_batch(counts, memory_gb, weights, kv_token, seq, kv_heads, **fit)
    min_gpus = np.where(fit_grid.max(axis=0) >= 1, (fit_grid >= 1).argmax(axis=0) + 1.0, np.nan)
    result = roofline(**inputs, batch=np.maximum(batch, 1.0), **eff.as_dict())
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
        Weight precision: one of :data:`infermodel.formulas.roofline.PRECISIONS` (``mxfp4``: the
        experts of a mixture-of-experts model in MXFP4, the rest in BF16, as gpt-oss ships).
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
    InputError
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
        models = tables.load_model_specs() if models is None else models
        raise InputError(not_fit_message(table.iloc[0], models))
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
    InputError
        Everything :func:`estimate` raises, or a non-positive target.
    """
    if not (np.isfinite(tokens_per_second_per_stream) and tokens_per_second_per_stream > 0):
        raise InputError(
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
    smallest of ``gpu_counts`` that holds one sequence; counts that cannot split the model by
    tensor parallelism (:func:`infermodel.tables.specs.tensor_parallel_sizes`) are skipped. GPUs
    where nothing fits are returned with ``fits=False`` and ``gpus`` the largest count tried;
    GPUs with no supported precision are left out.

    Returns
    -------
    pandas.DataFrame
        :data:`ESTIMATE_COLUMNS`, one row per GPU SKU in ``gpus`` (duplicates dropped).
    """
    models = tables.load_model_specs() if models is None else models
    gpu_specs = tables.load_gpu_specs() if gpu_specs is None else gpu_specs
    if not gpu_counts:
        raise InputError("gpu_counts must name at least one GPU count")
    wanted = [str(p).lower() for p in precisions]
    bad = [p for p in wanted if p not in PRECISIONS]
    if bad or not wanted:
        raise InputError(
            f"unknown precision {bad[0] if bad else None!r}; valid: {', '.join(PRECISIONS)}"
        )
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
        if not usable:
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
    table = estimate_table(
        pd.DataFrame(configs), efficiency=efficiency, models=models, gpu_specs=gpu_specs
    )
    fitting = table[table["fits"]].groupby("gpu", sort=False).head(1)
    unfit = table[~table["gpu"].isin(fitting["gpu"])].groupby("gpu", sort=False).tail(1)
    return pd.concat([fitting, unfit]).sort_index().reset_index(drop=True)


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in str(text).lower())
    return "-".join(part for part in out.split("-") if part)


def serving_rows(
    estimates: pd.DataFrame,
    *,
    mode: str = "batch",
    memory_headroom: float = DEFAULT_MEMORY_HEADROOM,
    efficiency_path: Path = paths.EFFICIENCY_CSV,
) -> pd.DataFrame:
    """Estimates as serving assumptions that :func:`infermodel.pricing.compare.cost_table` prices.

    Parameters
    ----------
    estimates
        Rows of :func:`estimate_table` (those that do not fit are dropped).
    mode
        ``batch`` or ``realtime`` (see :data:`infermodel.tables.MODES`).
    memory_headroom
        Headroom the estimates used, for ``min_memory_gb_per_replica``. [-]
    efficiency_path
        The efficiency table the estimates used, quoted in the note with its errors.

    Returns
    -------
    pandas.DataFrame
        The columns of ``data/serving_assumptions.csv`` (validated by
        :data:`infermodel.tables.SERVING_SCHEMA`), plus ``tokens_per_second`` and a boolean
        ``article_default`` as :func:`infermodel.tables.load_serving` returns. Ids read
        ``estimated-<model>-<gpu>-x<gpus>-<precision>[-c<concurrency>]`` with every
        character other than a letter or digit turned into ``-`` (the schema allows no dot).
    """
    checks.one_of("mode", mode, tables.MODES)
    fit = estimates[estimates["fits"]].reset_index(drop=True)
    info = tables.load_efficiency_table(efficiency_path)
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
            # In the unit of gpu_specs.csv's memory_gb (GiB, see roofline), which
            # serving.pairs compares it with: a replica the estimator fits is priced.
            "min_memory_gb_per_replica": (
                (fit["weight_gb"] + fit["kv_cache_gb_per_sequence"])
                * BYTES_PER_GB
                / BYTES_PER_GPU_MEMORY_GB
                / (1 - memory_headroom)
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
    return tables.with_serving_rates(validate(rows, tables.SERVING_SCHEMA, Path("<estimator>")))


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
    "at_stream_speed",
    "estimate",
    "estimate_table",
    "price_estimates",
    "roofline_inputs",
    "serving_rows",
    "smallest_replicas",
]
