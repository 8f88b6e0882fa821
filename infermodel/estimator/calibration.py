"""Calibration of the step-time model on published serving measurements, engine by engine.

The pure roofline (:mod:`infermodel.formulas.roofline`) is a bound. Ten factors bring it to what an
engine achieves (:data:`~infermodel.formulas.roofline.FACTORS`: fractions of peak bandwidth, compute
and expert-kernel speed, the tensor-parallel allowances of decode and prefill, and the fixed
cost of a step: per step, per layer, per mixture-of-experts layer, per all-reduce and per
running sequence). They differ by engine and by GPU vendor, so they
are fitted as one shared value plus an offset per engine and one for AMD GPUs, each offset
pulled toward zero (a ridge), in transformed units that keep every factor physical
(:func:`fit_efficiency`). The loss is the squared log error of throughput, robust to the odd
outlier (soft L1), each point weighted by one over the square root of its publisher's points,
so that no one publisher's tables decide the fit.

The error that matters is the one on configurations nobody measured, so it is reported
**leave-one-source-out** (:func:`calibration`): each publisher's points are predicted by a fit
that never saw that publisher. :func:`error_by_regime` splits it by engine, load, prompt
length, parallelism, architecture, vendor and publisher; :func:`loso_throughput_factors` gives
the errors of a regime for the Monte Carlo; :func:`efficiency_table` and
:func:`write_efficiency` write ``data/throughput_efficiency.csv`` (refitting in one command:
:mod:`infermodel.estimator.refit`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from infermodel import paths, tables
from infermodel.errors import InputError
from infermodel.estimator.throughput import estimate_table, not_fit_message, roofline_inputs
from infermodel.formulas.roofline import (
    FACTOR_UNITS,
    FACTORS,
    FRACTIONS_OF_PEAK,
    IDEAL,
    Efficiency,
    roofline,
)
from infermodel.tables import serving_engines, writes

ENGINES = serving_engines.ENGINES
VENDORS = tables.VENDORS
#: How each factor is kept physical in the fit: a logistic for fractions of peak (0 to 1),
#: an exponential for allowances and overheads (>= 0).
_LOGISTIC = FRACTIONS_OF_PEAK
#: Where the shared values start, and what the weak prior pulls them toward (a fit without
#: a kind of point, e.g. no multi-GPU run, keeps these): typical of 2025 engines on Hopper.
PRIOR = Efficiency(
    bandwidth_efficiency=0.75,
    compute_efficiency=0.5,
    expert_efficiency=0.7,
    communication_fraction=0.2,
    prefill_communication_fraction=0.2,
    step_overhead_ms=1.0,
    layer_overhead_us=20.0,
    moe_layer_overhead_us=20.0,
    allreduce_overhead_us=15.0,
    sequence_overhead_us=5.0,
)
#: Arrivals the steady-state estimator models; bursts of varying lengths are predicted and
#: shown, not fitted (:data:`infermodel.tables.ARRIVALS`).
FITTED_ARRIVALS = ("offline", "concurrency", "static")
#: Ridge strengths: on the shared values' distance from :data:`PRIOR`, on each engine's offset
#: and on the AMD offset (in transformed units).
PRIOR_STRENGTH = 0.05
ENGINE_STRENGTH = 0.5
VENDOR_STRENGTH = 0.5
#: Scale of the robust loss: log errors well beyond this count linearly, not squared. [-]
ROBUST_SCALE = 0.25


@dataclass(frozen=True)
class Prepared:
    """The measured points resolved once: everything a fit needs but the factors."""

    frame: pd.DataFrame  # the estimator's rows (batch, max batch, KV dtype, engine, ...)
    inputs: dict  # roofline inputs, batch included
    engine: np.ndarray  # engine index into ENGINES
    vendor: np.ndarray  # vendor index into VENDORS
    publisher: np.ndarray  # publisher of each point
    measured: np.ndarray  # output tokens/s
    weight: np.ndarray  # weight of each point in the loss

    def subset(self, keep: np.ndarray) -> Prepared:
        inputs = {k: (v[keep] if np.ndim(v) else v) for k, v in self.inputs.items()}
        return Prepared(
            self.frame[keep].reset_index(drop=True),
            inputs,
            self.engine[keep],
            self.vendor[keep],
            self.publisher[keep],
            self.measured[keep],
            _weights(self.publisher[keep]),
        )


def _weights(publisher: np.ndarray) -> np.ndarray:
    """One over the square root of each point's publisher count, averaging one."""
    counts = pd.Series(publisher).map(pd.Series(publisher).value_counts()).to_numpy(float)
    raw = 1.0 / np.sqrt(counts)
    return raw / raw.mean()


def prepare(
    measured: pd.DataFrame,
    *,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
    engines: pd.DataFrame | None = None,
) -> Prepared:
    """Resolve the measured points under their engines' defaults (batch, KV dtype, memory)."""
    models = tables.load_model_specs() if models is None else models
    gpu_specs = tables.load_gpu_specs() if gpu_specs is None else gpu_specs
    options = dict(models=models, gpu_specs=gpu_specs, engines=engines, measured=measured)
    configs = measured.assign(static_batch=measured["arrival"] == "static")
    ideal = estimate_table(configs, efficiency=IDEAL, **options)
    if not ideal["fits"].all():
        k = int(np.flatnonzero(~ideal["fits"].to_numpy())[0])
        raise InputError(
            f"measured point {measured['point_id'].iloc[k]} does not fit: "
            + not_fit_message(ideal.iloc[k], models)
        )
    inputs = roofline_inputs(ideal, models, gpu_specs)
    inputs["batch"] = np.maximum(ideal["batch"].to_numpy(dtype=float), 1.0)
    inputs["static_batch"] = configs["static_batch"].to_numpy(dtype=bool)
    vendor = ideal["gpu"].map(gpu_specs.set_index("gpu")["vendor"])
    publisher = measured["publisher"].to_numpy(dtype=object)
    return Prepared(
        frame=ideal,
        inputs=inputs,
        engine=ideal["engine"].map({e: k for k, e in enumerate(ENGINES)}).to_numpy(int),
        vendor=vendor.map({v: k for k, v in enumerate(VENDORS)}).to_numpy(int),
        publisher=publisher,
        measured=measured["output_tokens_per_second"].to_numpy(dtype=float),
        weight=_weights(publisher),
    )


def _to_unit(name: str, value: np.ndarray) -> np.ndarray:
    """Transformed units to the factor's own."""
    if name in _LOGISTIC:
        return 1.0 / (1.0 + np.exp(-value))
    return np.exp(value)


def _from_unit(name: str, value: float) -> float:
    if name in _LOGISTIC:
        return float(np.log(value / (1.0 - value)))
    return float(np.log(value))


_PRIOR_X = np.array([_from_unit(f, getattr(PRIOR, f)) for f in FACTORS])
_K = len(FACTORS)
#: Factors that get an offset per engine, and per vendor (the rest are shared by all): the
#: engines differ in their kernels and scheduler, the vendors in their kernels' maturity.
ENGINE_FACTORS = (
    "bandwidth_efficiency",
    "compute_efficiency",
    "expert_efficiency",
    "step_overhead_ms",
    "sequence_overhead_us",
)
VENDOR_FACTORS = ("bandwidth_efficiency", "compute_efficiency", "layer_overhead_us")
_ENGINE_AT = np.array([FACTORS.index(f) for f in ENGINE_FACTORS])
_VENDOR_AT = np.array([FACTORS.index(f) for f in VENDOR_FACTORS])
_SIZES = (_K, len(ENGINES) * len(_ENGINE_AT), (len(VENDORS) - 1) * len(_VENDOR_AT))


def _layout(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shared values (factors), engine offsets (engines x factors), vendor offsets."""
    shared = x[:_K]
    by_engine = np.zeros((len(ENGINES), _K))
    by_engine[:, _ENGINE_AT] = x[_K : _K + _SIZES[1]].reshape(len(ENGINES), -1)
    by_vendor = np.zeros((len(VENDORS), _K))
    by_vendor[1:, _VENDOR_AT] = x[_K + _SIZES[1] :].reshape(len(VENDORS) - 1, -1)
    return shared, by_engine, by_vendor


def _point_factors(x: np.ndarray, engine: np.ndarray, vendor: np.ndarray) -> dict:
    shared, by_engine, by_vendor = _layout(x)
    raw = shared[None, :] + by_engine[engine] + by_vendor[vendor]
    return {f: _to_unit(f, raw[:, k]) for k, f in enumerate(FACTORS)}


def _predict(prepared: Prepared, x: np.ndarray) -> np.ndarray:
    factors = _point_factors(x, prepared.engine, prepared.vendor)
    return roofline(**prepared.inputs, **factors)["output_tokens_per_second"]


def _residuals(x: np.ndarray, prepared: Prepared) -> np.ndarray:
    shared, by_engine, by_vendor = _layout(x)
    errors = np.sqrt(prepared.weight) * np.log(_predict(prepared, x) / prepared.measured)
    ridge = np.concatenate(
        [
            np.sqrt(PRIOR_STRENGTH) * (shared - _PRIOR_X),
            np.sqrt(ENGINE_STRENGTH) * by_engine[:, _ENGINE_AT].ravel(),
            np.sqrt(VENDOR_STRENGTH) * by_vendor[1:, _VENDOR_AT].ravel(),
        ]
    )
    return np.concatenate([errors, ridge])


def _fit_x(prepared: Prepared) -> np.ndarray:
    """The transformed parameters minimising the robust loss plus the ridge."""
    if len(prepared.measured) < 2 * _K:
        raise InputError(
            f"need at least {2 * _K} measured points to fit {_K} factors, "
            f"got {len(prepared.measured)}"
        )
    x0 = np.concatenate([_PRIOR_X, np.zeros(_SIZES[1] + _SIZES[2])])
    result = least_squares(
        _residuals,
        x0,
        args=(prepared,),
        loss="soft_l1",
        f_scale=ROBUST_SCALE,
        bounds=(-12.0, 12.0),
        x_scale=1.0,
        xtol=1e-10,
        ftol=1e-10,
        max_nfev=4000,
    )
    return result.x


def _efficiencies(x: np.ndarray) -> dict[tuple[str, str], Efficiency]:
    out = {}
    for e, engine in enumerate(ENGINES):
        for v, vendor in enumerate(VENDORS):
            factors = _point_factors(x, np.array([e]), np.array([v]))
            out[(engine, vendor)] = Efficiency(**{f: float(a[0]) for f, a in factors.items()})
    return out


def fit_efficiency(
    measured: pd.DataFrame,
    *,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
) -> dict[tuple[str, str], Efficiency]:
    """Fit the factors of every (engine, vendor) on measured points.

    Parameters
    ----------
    measured
        Measured points (:func:`~infermodel.tables.load_measured`,
        :func:`~infermodel.readers.measurements.read_measured_csv`, ...); at least 14.

    Returns
    -------
    dict
        ``{(engine, vendor): Efficiency}`` for every engine of
        :data:`~infermodel.tables.serving_engines.ENGINES` and vendor of ``tables.VENDORS``; an
        engine or vendor without points gets the shared values.

    References
    ----------
    Robust nonlinear least squares on log throughput (``scipy.optimize.least_squares``,
    soft-L1 loss) with ridge penalties: a hierarchical (partial-pooling) fit, Gelman and
    Hill, "Data Analysis Using Regression and Multilevel/Hierarchical Models", 2007, ch. 12.
    """
    prepared = prepare(measured, models=models, gpu_specs=gpu_specs)
    return _efficiencies(_fit_x(prepared.subset(fitted_points(measured))))


def predict(
    measured: pd.DataFrame,
    efficiency: dict[tuple[str, str], Efficiency],
    *,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
) -> np.ndarray:
    """Output tokens/s the estimator gives each measured point under ``efficiency``.

    ``efficiency`` maps (engine, vendor) to factors (:func:`fit_efficiency`,
    :func:`infermodel.tables.load_efficiencies`). [tokens/s]
    """
    prepared = prepare(measured, models=models, gpu_specs=gpu_specs)
    keys = zip(np.array(ENGINES)[prepared.engine], np.array(VENDORS)[prepared.vendor], strict=True)
    chosen = [efficiency[k] for k in keys]
    factors = {f: np.array([getattr(e, f) for e in chosen], dtype=float) for f in FACTORS}
    return roofline(**prepared.inputs, **factors)["output_tokens_per_second"]


def fitted_points(measured: pd.DataFrame) -> np.ndarray:
    """Which measured points the fit uses: those whose arrival is in :data:`FITTED_ARRIVALS`."""
    return measured["arrival"].isin(FITTED_ARRIVALS).to_numpy()


def held_out_efficiencies(
    measured: pd.DataFrame,
    *,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
) -> dict[str, dict[tuple[str, str], Efficiency]]:
    """For each publisher, the factors fitted on every other publisher's fitted points."""
    prepared = prepare(measured, models=models, gpu_specs=gpu_specs)
    fitted = fitted_points(measured)
    return {
        str(publisher): _efficiencies(
            _fit_x(prepared.subset((prepared.publisher != publisher) & fitted))
        )
        for publisher in pd.unique(prepared.publisher)
    }


def calibration(
    measured: pd.DataFrame,
    *,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Estimates against measurements, in-sample and leave-one-source-out.

    The factors are fitted on the points whose arrival the estimator models
    (:data:`FITTED_ARRIVALS`); every point, bursts included, is predicted.

    Returns
    -------
    pandas.DataFrame
        The measured points with ``fitted`` (the point is one the fit uses),
        ``estimated_tokens_per_second`` (factors fitted on all fitted points),
        ``loso_estimated_tokens_per_second`` (fitted without the point's publisher),
        ``ape`` and ``loso_ape`` (absolute percentage error, [%]), ``ratio`` and
        ``loso_ratio`` (estimate / measured), ``batch``, ``max_batch``, ``decode_bound``,
        ``kv_cache_dtype`` (as the estimator used them) and ``vendor``.
    """
    prepared = prepare(measured, models=models, gpu_specs=gpu_specs)
    fitted = fitted_points(measured)
    full = _predict(prepared, _fit_x(prepared.subset(fitted)))
    loso = np.empty(len(full))
    for publisher in pd.unique(prepared.publisher):
        out = prepared.publisher == publisher
        x = _fit_x(prepared.subset(~out & fitted))
        loso[out] = _predict(prepared.subset(out), x)
    actual = prepared.measured
    result = measured.reset_index(drop=True).copy()
    result["fitted"] = fitted
    result["estimated_tokens_per_second"] = full
    result["ratio"] = full / actual
    result["ape"] = np.abs(full / actual - 1) * 100
    result["loso_estimated_tokens_per_second"] = loso
    result["loso_ratio"] = loso / actual
    result["loso_ape"] = np.abs(loso / actual - 1) * 100
    for column in ("batch", "max_batch", "decode_bound", "kv_cache_dtype"):
        result[column] = prepared.frame[column].to_numpy()
    result["vendor"] = np.array(VENDORS)[prepared.vendor]
    return result


def accuracy(calibrated: pd.DataFrame) -> pd.DataFrame:
    """Median, 90th-percentile and worst absolute error, in-sample and leave-one-source-out.

    Over the fitted points (``calibrated["fitted"]``); bursts are in :func:`error_by_regime`.
    """
    points = calibrated[calibrated["fitted"]]
    rows = []
    for fit, column in (("in-sample", "ape"), ("leave-one-source-out", "loso_ape")):
        rows.append(
            {
                "fit": fit,
                "points": len(points),
                "publishers": points["publisher"].nunique(),
                "median_ape_percent": points[column].median(),
                "p90_ape_percent": points[column].quantile(0.9),
                "worst_ape_percent": points[column].max(),
            }
        )
    return pd.DataFrame(rows)


def _errors_phrase(calibrated: pd.DataFrame) -> str:
    summary = accuracy(calibrated).set_index("fit")
    inside, out = summary.loc["in-sample"], summary.loc["leave-one-source-out"]
    return (
        f"median / worst absolute error {inside['median_ape_percent']:.1f}% / "
        f"{inside['worst_ape_percent']:.1f}% in-sample, {out['median_ape_percent']:.1f}% / "
        f"{out['worst_ape_percent']:.1f}% leave-one-source-out"
    )


def efficiency_table(
    measured: pd.DataFrame,
    *,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
    source: str = "data/throughput_measured.csv",
    calibrated: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The fitted factors as rows of ``data/throughput_efficiency.csv``, with their points."""
    options = dict(models=models, gpu_specs=gpu_specs)
    calibrated = calibration(measured, **options) if calibrated is None else calibrated
    fitted = fit_efficiency(measured, **options)
    errors = _errors_phrase(calibrated)
    used = measured[fitted_points(measured)]
    counts = used.groupby("engine").size()
    arrivals = ", ".join(FITTED_ARRIVALS)
    rows = []
    for (engine, vendor), eff in fitted.items():
        if engine in serving_engines.NVIDIA_ONLY and vendor != "NVIDIA":
            continue
        for factor, value in eff.as_dict().items():
            rows.append(
                {
                    "engine": engine,
                    "vendor": vendor,
                    "factor": factor,
                    "value": round(value, 6),
                    "unit": FACTOR_UNITS[factor],
                    "points": len(used),
                    "publishers": used["publisher"].nunique(),
                    "fitted_on_points": f"every point of {source} with arrival {arrivals}",
                    "observed_on": pd.Timestamp(used["observed_on"].max()).strftime("%Y-%m-%d"),
                    "source_url": source,
                    "note": "GENERATED by infermodel.calibration.write_efficiency(), do not edit: "
                    f"{engine} on {vendor} GPUs ({int(counts.get(engine, 0))} of the points are "
                    f"{engine}'s); shared value + engine offset + vendor offset, robust least "
                    f"squares on log throughput with ridge penalties; {errors}",
                }
            )
    return pd.DataFrame(rows)


def write_efficiency(
    path: Path = paths.EFFICIENCY_CSV,
    *,
    measured_path: Path = paths.MEASURED_CSV,
    calibrated: pd.DataFrame | None = None,
) -> Path:
    """Refit the factors on the measured points and write the efficiency table.

    The file is replaced atomically under its write lock, keeping its permission mode
    (:func:`infermodel.tables.writes.replace_file`).
    """
    measured = tables.load_measured(measured_path)
    table = efficiency_table(measured, calibrated=calibrated)
    writes.replace_file(Path(path), table.to_csv(index=False).encode("utf-8"))
    return path


# --- the error by regime ----------------------------------------------------------------------

#: Regimes :func:`error_by_regime` splits the points by, each with its groups in order.
REGIMES = {
    "all": ("all points",),
    "engine": tuple(serving_engines.ENGINE_LABELS[e] for e in ENGINES),
    "load": ("1-8 streams", "9-64 streams", "65+ streams or maximum load"),
    "prompt": ("prompts up to 2,048 tokens", "longer prompts"),
    "parallelism": ("1 GPU", "2-4 GPUs", "8 GPUs"),
    "architecture": ("dense", "mixture of experts"),
    "vendor": VENDORS,
}
#: The group of the points not fitted: bursts of requests of varying lengths.
BURSTS = "bursts of varying lengths (not modelled)"
#: Largest batch counted as few streams, and as a moderate load. [sequences]
FEW_STREAMS, SOME_STREAMS = 8, 64
#: Longest prompt counted as short. [tokens]
SHORT_PROMPT = 2048
#: A regime group needs at least this many points to speak for a configuration. [points]
MIN_REGIME_POINTS = 10


def regimes_of(
    calibrated: pd.DataFrame,
    *,
    models: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The group of every point in each regime of :data:`REGIMES`, plus its publisher."""
    models = tables.load_model_specs() if models is None else models
    experts = calibrated["model"].map(models.set_index("model")["experts"])
    batch = calibrated["batch"].to_numpy(dtype=float)
    load = np.where(
        batch <= FEW_STREAMS,
        "1-8 streams",
        np.where(batch <= SOME_STREAMS, "9-64 streams", "65+ streams or maximum load"),
    )
    gpus = calibrated["gpus"].to_numpy()
    return pd.DataFrame(
        {
            "all": "all points",
            "engine": calibrated["engine"].map(serving_engines.ENGINE_LABELS).to_numpy(),
            "load": load,
            "prompt": np.where(
                calibrated["input_tokens"] <= SHORT_PROMPT,
                "prompts up to 2,048 tokens",
                "longer prompts",
            ),
            "parallelism": np.where(gpus == 1, "1 GPU", np.where(gpus <= 4, "2-4 GPUs", "8 GPUs")),
            "architecture": np.where(experts > 1, "mixture of experts", "dense"),
            "vendor": calibrated["vendor"].to_numpy(),
            "publisher": calibrated["publisher"].to_numpy(),
        },
        index=calibrated.index,
    )


def error_by_regime(
    calibrated: pd.DataFrame,
    *,
    models: pd.DataFrame | None = None,
    by_publisher: bool = True,
) -> pd.DataFrame:
    """The estimator's error by regime, leave-one-source-out and in-sample.

    Parameters
    ----------
    calibrated
        :func:`calibration` of the measured points.
    by_publisher
        Add one row per publisher (regime ``publisher``): its points predicted without it.

    Returns
    -------
    pandas.DataFrame
        One row per regime and group over the fitted points, and a last row (regime ``not
        fitted``, group :data:`BURSTS`) for the bursts the estimator does not model (groups
        without a point kept, with 0 points and empty errors): ``points``, ``publishers``
        (sources counted), leave-one-source-out
        ``loso_median_ape_percent``, ``loso_p90_ape_percent`` and
        ``loso_mean_signed_error_percent`` (mean of estimate / measured - 1: above zero, the
        estimator promises more than was measured) [%], and in-sample ``median_ape_percent``.
    """
    groups = regimes_of(calibrated, models=models)
    signed = (calibrated["loso_ratio"] - 1) * 100
    regimes = dict(REGIMES)
    if by_publisher:
        regimes["publisher"] = tuple(sorted(calibrated["publisher"].unique()))
    fitted = calibrated["fitted"].to_numpy()
    rows = []
    for regime, names in [*regimes.items(), ("not fitted", (BURSTS,))]:
        for name in names:
            if regime == "not fitted":
                inside = ~fitted
            else:
                inside = (groups[regime] == name).to_numpy() & fitted
            picked = calibrated[inside]
            rows.append(
                {
                    "regime": regime,
                    "group": name,
                    "points": int(inside.sum()),
                    "publishers": int(picked["publisher"].nunique()),
                    "loso_median_ape_percent": picked["loso_ape"].median(),
                    "loso_p90_ape_percent": picked["loso_ape"].quantile(0.9),
                    "loso_mean_signed_error_percent": signed[inside].mean(),
                    "median_ape_percent": picked["ape"].median(),
                }
            )
    return pd.DataFrame(rows)


def regime_for(
    config: Mapping[str, object],
    *,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
) -> dict[str, str]:
    """The regime groups (:data:`REGIMES`) a configuration falls in, as far as it says.

    ``config`` may hold ``model``, ``gpu``, ``gpus`` (or ``gpus_per_replica``), ``engine``,
    ``input_tokens``, and ``batch`` or ``concurrency`` or ``mode`` (``batch``: maximum load,
    ``realtime``: few streams), e.g. a row of
    :func:`~infermodel.estimator.throughput.estimate_table` or of
    ``data/serving_assumptions.csv``. What it does not say (or names no known model or
    GPU) is left out. Keys run from the most telling to the least, the order in which
    :func:`loso_throughput_factors` drops them when too few points match.
    """
    models = tables.load_model_specs() if models is None else models
    gpu_specs = tables.load_gpu_specs() if gpu_specs is None else gpu_specs

    def given(*names):
        for name in names:
            value = config.get(name)
            if value is not None and not (isinstance(value, float) and np.isnan(value)):
                return value
        return None

    out: dict[str, str] = {}
    experts = {str(m).lower(): e for m, e in zip(models["model"], models["experts"], strict=True)}
    model = given("model")
    if model is not None and str(model).lower() in experts:
        out["architecture"] = "mixture of experts" if experts[str(model).lower()] > 1 else "dense"
    batch, mode = given("batch", "concurrency"), given("mode")
    if batch is not None or mode is not None:
        b = float(batch) if batch is not None else (np.inf if mode == "batch" else FEW_STREAMS)
        out["load"] = REGIMES["load"][0 if b <= FEW_STREAMS else 1 if b <= SOME_STREAMS else 2]
    gpus = given("gpus", "gpus_per_replica")
    if gpus is not None:
        n = int(gpus)
        out["parallelism"] = "1 GPU" if n == 1 else "2-4 GPUs" if n <= 4 else "8 GPUs"
    vendors = {
        str(g).lower(): v for g, v in zip(gpu_specs["gpu"], gpu_specs["vendor"], strict=True)
    }
    gpu = given("gpu")
    if gpu is not None and str(gpu).lower() in vendors:
        out["vendor"] = vendors[str(gpu).lower()]
    engine = given("engine")
    if engine is not None:
        out["engine"] = serving_engines.ENGINE_LABELS[serving_engines.check_engine(engine)]
    tokens = given("input_tokens")
    if tokens is not None:
        out["prompt"] = REGIMES["prompt"][0 if float(tokens) <= SHORT_PROMPT else 1]
    return out


def regime_points(
    calibrated: pd.DataFrame,
    regime: Mapping[str, str] | None = None,
    *,
    models: pd.DataFrame | None = None,
) -> tuple[np.ndarray, dict[str, str]]:
    """The fitted points of a regime, and the part of the regime they match.

    The points matching every group of ``regime`` (:func:`regime_for`) are used, or, when
    fewer than :data:`MIN_REGIME_POINTS` do, the last key is dropped until enough match (all
    fitted points at worst). Returns the boolean mask over ``calibrated`` and the groups kept.
    """
    keys = dict(regime or {})
    unknown = [k for k in keys if k not in REGIMES]
    if unknown:
        raise InputError(f"unknown regime {unknown[0]!r}; valid: {', '.join(REGIMES)}")
    groups = regimes_of(calibrated, models=models)
    while True:
        inside = calibrated["fitted"].to_numpy(dtype=bool).copy()
        for key, value in keys.items():
            inside &= (groups[key] == value).to_numpy()
        if inside.sum() >= MIN_REGIME_POINTS or not keys:
            return inside, keys
        keys.pop(list(keys)[-1])


def loso_throughput_factors(
    calibrated: pd.DataFrame,
    regime: Mapping[str, str] | None = None,
    *,
    models: pd.DataFrame | None = None,
) -> np.ndarray:
    """Measured / leave-one-source-out estimate of the points of a regime, sorted.

    A draw from these is what a throughput the estimator gives for a configuration nobody
    measured should be multiplied by (:mod:`infermodel.analyses.sensitivity` draws them). ``regime``
    maps regimes of :data:`REGIMES` to the configuration's groups (:func:`regime_for`, e.g.
    ``{"architecture": "dense", "load": "65+ streams or maximum load"}``); the points are
    those of :func:`regime_points`. [-]
    """
    inside, _ = regime_points(calibrated, regime, models=models)
    factors = (
        calibrated["output_tokens_per_second"] / calibrated["loso_estimated_tokens_per_second"]
    )
    return np.sort(factors[inside].to_numpy(dtype=float))


#: The earlier name (leave-one-out, all points), kept for callers.
loo_throughput_factors = loso_throughput_factors
