"""Calibration of the roofline on measured serving throughput.

The pure roofline (:mod:`infermodel.formulas.roofline`) is an upper bound. Three efficiency factors
(achieved fraction of memory bandwidth, of dense tensor peak, and a tensor-parallel
communication allowance) bring it to what engines achieve. :func:`fit_efficiency` fits them
on measured points (``data/throughput_measured.csv``, or a user's own from
:mod:`infermodel.readers.measurements`) by a grid search minimising squared log error;
:func:`calibration` gives the in-sample and leave-one-out errors; :func:`write_efficiency`
regenerates ``data/throughput_efficiency.csv`` with the points the factors came from.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from infermodel import paths, tables
from infermodel.errors import InputError
from infermodel.estimator.throughput import estimate_table, not_fit_message, roofline_inputs
from infermodel.formulas.roofline import FACTORS, IDEAL, Efficiency, roofline
from infermodel.tables import writes

#: Grid searched by :func:`fit_efficiency` (steps of 0.01 / 0.05).
BANDWIDTH_GRID = np.round(np.arange(0.20, 1.0001, 0.01), 2)
COMPUTE_GRID = np.round(np.arange(0.10, 1.0001, 0.01), 2)
COMMUNICATION_GRID = np.round(np.arange(0.0, 1.0001, 0.05), 2)


def _ideal_inputs(measured: pd.DataFrame, models, gpu_specs) -> dict[str, np.ndarray]:
    """Everything :func:`roofline` needs for the measured points, efficiency aside."""
    models = tables.load_model_specs() if models is None else models
    gpu_specs = tables.load_gpu_specs() if gpu_specs is None else gpu_specs
    ideal = estimate_table(measured, efficiency=IDEAL, models=models, gpu_specs=gpu_specs)
    if not ideal["fits"].all():
        bad = ideal.loc[~ideal["fits"]].iloc[0]
        raise InputError("measured point does not fit: " + not_fit_message(bad))
    inputs = roofline_inputs(ideal, models, gpu_specs)
    return {**inputs, "batch": ideal["batch"].to_numpy(dtype=float)}


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
        raise InputError(f"need at least 3 measured points to fit 3 factors, got {len(measured)}")
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
                f"GENERATED by infermodel.calibration.write_efficiency(), do not edit: "
                f"{meaning[f]}; grid search minimising squared log error; {errors}"
                for f in FACTORS
            ],
        }
    )


def write_efficiency(
    path: Path = paths.EFFICIENCY_CSV, *, measured_path: Path = paths.MEASURED_CSV
) -> Path:
    """Refit the factors on the shipped measured points and write the efficiency table.

    The file is replaced atomically under its write lock, keeping its permission mode
    (:func:`infermodel.tables.writes.replace_file`).
    """
    text = efficiency_table(tables.load_measured(measured_path)).to_csv(index=False)
    writes.replace_file(Path(path), text.encode("utf-8"))
    return path


#: Regimes :func:`error_by_regime` splits the points by, each with its groups in order.
REGIMES = {
    "all": ("all points",),
    "load": ("offline maximum load", "fixed concurrency"),
    "batch": ("batch <= 256", "batch > 256"),
    "parallelism": ("1 GPU", "2+ GPUs"),
    "architecture": ("dense", "mixture of experts"),
    "vendor": ("NVIDIA", "AMD"),
}
#: Largest batch counted as small by the ``batch`` regime. [sequences]
SMALL_BATCH = 256


def regimes_of(
    calibrated: pd.DataFrame,
    *,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The group of every point in each regime of :data:`REGIMES` (one column per regime)."""
    models = tables.load_model_specs() if models is None else models
    gpu_specs = tables.load_gpu_specs() if gpu_specs is None else gpu_specs
    experts = calibrated["model"].map(models.set_index("model")["experts"])
    vendor = calibrated["gpu"].map(gpu_specs.set_index("gpu")["vendor"])
    return pd.DataFrame(
        {
            "all": "all points",
            "load": np.where(
                calibrated["concurrency"].isna(), "offline maximum load", "fixed concurrency"
            ),
            "batch": np.where(
                calibrated["max_batch"] <= SMALL_BATCH, "batch <= 256", "batch > 256"
            ),
            "parallelism": np.where(calibrated["gpus"] == 1, "1 GPU", "2+ GPUs"),
            "architecture": np.where(experts > 1, "mixture of experts", "dense"),
            "vendor": vendor.to_numpy(),
        },
        index=calibrated.index,
    )


def error_by_regime(
    calibrated: pd.DataFrame,
    *,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The estimator's error by regime, in-sample and leave-one-out.

    Parameters
    ----------
    calibrated
        :func:`calibration` of the measured points.

    Returns
    -------
    pandas.DataFrame
        One row per regime and group of :data:`REGIMES` with points (groups without a point
        are kept, with 0 points and empty errors): ``points``; ``median_ape_percent`` and
        ``mean_signed_error_percent`` (mean of estimate / measured - 1: positive means the
        estimator promises more than was measured) in-sample [%]; the same leave-one-out,
        ``loo_median_ape_percent`` and ``loo_mean_signed_error_percent`` [%].
    """
    groups = regimes_of(calibrated, models=models, gpu_specs=gpu_specs)
    signed = (calibrated["ratio"] - 1) * 100
    loo_signed = (
        calibrated["loo_estimated_tokens_per_second"] / calibrated["output_tokens_per_second"] - 1
    ) * 100
    rows = []
    for regime, names in REGIMES.items():
        for name in names:
            inside = (groups[regime] == name).to_numpy()
            rows.append(
                {
                    "regime": regime,
                    "group": name,
                    "points": int(inside.sum()),
                    "median_ape_percent": calibrated.loc[inside, "ape"].median(),
                    "mean_signed_error_percent": signed[inside].mean(),
                    "loo_median_ape_percent": calibrated.loc[inside, "loo_ape"].median(),
                    "loo_mean_signed_error_percent": loo_signed[inside].mean(),
                }
            )
    return pd.DataFrame(rows)


def loo_throughput_factors(calibrated: pd.DataFrame) -> np.ndarray:
    """Measured / leave-one-out estimate of every point, sorted: the estimator's own error.

    A draw from these is what a throughput the estimator gives for a configuration nobody
    measured should be multiplied by (:mod:`infermodel.analyses.sensitivity` draws them). [-]
    """
    factors = calibrated["output_tokens_per_second"] / calibrated["loo_estimated_tokens_per_second"]
    return np.sort(factors.to_numpy(dtype=float))
