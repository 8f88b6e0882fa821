"""How sure is a cost comparison? One-way sweeps, a tornado, a two-way grid and Monte Carlo.

The comparison that matters to a team is the *gap* between serving a model on its own
rented GPUs and buying the same tokens from an API. :func:`gap_usd_per_million_tokens` is
that gap as one vectorized expression of the inputs that drive it (utilization, throughput,
GPU price, GPUs per replica, API price, token mix). On top of it:

- :func:`one_way` and :func:`tornado` sweep each input over a stated range, the others held
  at their base values, and rank the inputs by how far they move the result;
- :func:`grid` evaluates the result over two inputs at once (e.g. utilization x throughput);
- :func:`monte_carlo` draws every uncertain input from a distribution (:class:`Distribution`:
  ``uniform``, ``triangular``, ``lognormal``, ``empirical`` or ``fixed``) with a fixed seed;
  :func:`throughput_distributions` makes the DIY throughput a draw from the estimator's own
  leave-one-out error (``throughput_factor``), the hand-set range one parameter away. It
  prices every row of a :func:`~infermodel.pricing.compare.cost_table` under each draw, as one array
  expression (rows x draws): P10/P50/P90 per offering and the probability that a DIY row
  beats an API.

Same seed, same numbers: draws come from :func:`numpy.random.default_rng` seeded once.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from infermodel import checks, formulas
from infermodel.errors import InputError
from infermodel.estimator import calibration
from infermodel.pricing.compare import check_diy_token_basis
from infermodel.tables import offerings
from infermodel.units import SECONDS_PER_HOUR, TOKENS_PER_MILLION

#: Distribution kinds and the parameters each takes, in order.
DISTRIBUTIONS = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "lognormal": ("p10", "p90"),
    "empirical": ("values...",),
}

#: z-score of the 90th percentile of a standard normal (a lognormal is given by P10 and P90).
_Z90 = 1.2815515655446004

#: Inputs of the Monte Carlo cost model and the values each may take.
MONTE_CARLO_INPUTS = {
    "utilization": ("DIY rows: busy fraction of paid GPU time", 0.0, 1.0, False),
    "output_share": ("fraction of the job's tokens that is output", 0.0, 1.0, True),
    "tokens_per_hour_per_replica": (
        "DIY rows: throughput of one replica [tokens/h]",
        0.0,
        None,
        False,
    ),
    "throughput_factor": (
        "DIY rows: multiple of each row's own throughput (measured / estimated)",
        0.0,
        None,
        False,
    ),
    "usd_per_gpu_hour_factor": ("DIY rows: multiple of each listed GPU price", 0.0, None, False),
    "api_price_factor": ("API rows: multiple of each listed token price", 0.0, None, False),
}

DEFAULT_SEED = 20250531
DEFAULT_DRAWS = 1_000_000


@dataclass(frozen=True)
class Distribution:
    """An uncertain input: ``kind`` (a key of :data:`DISTRIBUTIONS`) and its parameters.

    ``lognormal`` is given by its 10th and 90th percentiles, so its range reads like the
    P10-P90 results it produces.
    """

    name: str
    kind: str
    parameters: tuple[float, ...]

    @classmethod
    def parse(cls, name: str, spec) -> Distribution:
        """Read ``[kind, *parameters]`` (a notebook parameter) or a bare number (fixed).

        Raises ``ValueError`` naming ``name`` for an unknown kind, a wrong number of
        parameters, a non-number, or a range given high to low.
        """
        if isinstance(spec, Distribution):
            return spec
        if isinstance(spec, (int, float)) and not isinstance(spec, bool):
            spec = ["fixed", spec]
        if not isinstance(spec, (list, tuple)) or not spec or not isinstance(spec[0], str):
            raise InputError(
                f"{name}: give a distribution as [kind, parameters...], e.g. "
                f"['triangular', 0.5, 0.8, 0.95], or a number; got {spec!r}"
            )
        kind, *values = spec
        if kind not in DISTRIBUTIONS:
            close = difflib.get_close_matches(kind, DISTRIBUTIONS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(
                f"{name}: unknown distribution {kind!r}{hint}; valid: {', '.join(DISTRIBUTIONS)}"
            )
        expected = DISTRIBUTIONS[kind]
        if kind == "empirical" and not values:
            raise InputError(f"{name}: an empirical distribution takes at least one value")
        if kind != "empirical" and len(values) != len(expected):
            raise InputError(
                f"{name}: a {kind} distribution takes {len(expected)} parameter(s) "
                f"({', '.join(expected)}), got {len(values)}: {values!r}"
            )
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise InputError(f"{name}: {kind} parameters must be numbers, got {values!r}")
        if not all(np.isfinite(values)):
            raise InputError(f"{name}: {kind} parameters must be finite, got {values!r}")
        if kind == "empirical":  # a sample: its order carries nothing
            values = sorted(values)
        if list(values) != sorted(values):
            order = " <= ".join(expected)
            raise InputError(f"{name}: {kind} needs {order}, got {values!r} (inverted range?)")
        if kind == "lognormal" and values[0] <= 0:
            raise InputError(f"{name}: lognormal needs p10 > 0, got {values[0]!r}")
        return cls(name, kind, tuple(float(v) for v in values))

    @property
    def low(self) -> float:
        """Smallest value this input can take (the P10 for a lognormal)."""
        return self.parameters[0]

    @property
    def high(self) -> float:
        """Largest value this input can take (the P90 for a lognormal)."""
        return self.parameters[-1]

    @property
    def central(self) -> float:
        """The deterministic reading: the value, the mode, the median, or the midpoint."""
        if self.kind == "triangular":
            return self.parameters[1]
        if self.kind == "lognormal":
            return float(np.sqrt(self.parameters[0] * self.parameters[1]))
        if self.kind == "empirical":
            return float(np.median(self.parameters))
        return (self.low + self.high) / 2

    def sample(self, draws: int, rng: np.random.Generator) -> np.ndarray:
        """``draws`` values from ``rng``. [unit of the input]"""
        if self.kind == "fixed":
            return np.full(draws, self.parameters[0])
        if self.low == self.high:
            return np.full(draws, self.low)
        if self.kind == "empirical":  # resampled with replacement, each value equally likely
            return rng.choice(np.asarray(self.parameters), draws, replace=True)
        if self.kind == "uniform":
            return rng.uniform(self.low, self.high, draws)
        if self.kind == "triangular":
            return rng.triangular(*self.parameters, draws)
        p10, p90 = self.parameters
        mu = np.log(np.sqrt(p10 * p90))
        sigma = (np.log(p90) - np.log(p10)) / (2 * _Z90)
        return rng.lognormal(mu, sigma, draws)

    def describe(self) -> str:
        """One line for tables: ``triangular(low 0.5, mode 0.8, high 0.95)``."""
        if self.kind == "empirical":
            p10, p50, p90 = np.percentile(self.parameters, [10, 50, 90])
            return (
                f"empirical({len(self.parameters)} values, P10 {p10:,.4g}, median {p50:,.4g}, "
                f"P90 {p90:,.4g})"
            )
        names = DISTRIBUTIONS[self.kind]
        inner = ", ".join(f"{n} {v:,.4g}" for n, v in zip(names, self.parameters, strict=True))
        return f"{self.kind}({inner})"


def parse_distributions(specs: Mapping[str, object]) -> dict[str, Distribution]:
    """Check a ``{input: [kind, ...]}`` mapping against :data:`MONTE_CARLO_INPUTS`."""
    parsed = {}
    for name, spec in specs.items():
        if name not in MONTE_CARLO_INPUTS:
            close = difflib.get_close_matches(name, MONTE_CARLO_INPUTS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(
                f"unknown Monte Carlo input {name!r}{hint}; valid: {', '.join(MONTE_CARLO_INPUTS)}"
            )
        dist = Distribution.parse(name, spec)
        _, low, high, low_inclusive = MONTE_CARLO_INPUTS[name]
        below = dist.low < low if low_inclusive else dist.low <= low
        if below or (high is not None and dist.high > high):
            bracket = "[" if low_inclusive else "("
            top = f"{high:g}]" if high is not None else "inf)"
            raise InputError(
                f"{name}: values must lie in {bracket}{low:g}, {top}, got {dist.describe()}"
            )
        parsed[name] = dist
    return parsed


# --- the gap between self-hosting and an API --------------------------------------------------


def api_blended_usd_per_million_tokens(
    usd_per_million_input_tokens, usd_per_million_output_tokens, *, output_share
):
    """An API's price per million tokens at a token mix. [USD/Mtok]

    ``output_share`` is the fraction of tokens that is output [-]; the rest is input.
    """
    return formulas.api_cost_usd(
        TOKENS_PER_MILLION * (1 - np.asarray(output_share)),
        TOKENS_PER_MILLION * np.asarray(output_share),
        usd_per_million_input_tokens,
        usd_per_million_output_tokens,
    )


def gap_usd_per_million_tokens(
    *,
    utilization,
    tokens_per_hour_per_replica,
    usd_per_gpu_hour,
    gpus_per_replica,
    usd_per_million_input_tokens,
    usd_per_million_output_tokens,
    output_share,
    api_price_factor=1.0,
    diy_token_basis: str = "total",
):
    """How much cheaper self-hosting is than an API, per million tokens of the job.

    Parameters
    ----------
    utilization
        Busy fraction of paid GPU time, in (0, 1]. [-]
    tokens_per_hour_per_replica
        Throughput of one replica while busy. [tokens/h]
    usd_per_gpu_hour
        Rental price of one GPU. [USD/GPU-h]
    gpus_per_replica
        GPUs one replica occupies. [-]
    usd_per_million_input_tokens, usd_per_million_output_tokens
        The API's list prices. [USD/Mtok]
    output_share
        Fraction of the job's tokens that is output. [-]
    api_price_factor
        Multiple of the API's list prices (a price cut is < 1). [-]
    diy_token_basis
        ``"total"``: every token takes GPU time (the article's formula); ``"output"``: only
        output tokens do.

    Returns
    -------
    API price minus DIY cost; positive when self-hosting is cheaper. [USD/Mtok of the job]

    References
    ----------
    The article's API and DIY formulas ({article}).
    """
    api = api_price_factor * api_blended_usd_per_million_tokens(
        usd_per_million_input_tokens, usd_per_million_output_tokens, output_share=output_share
    )
    diy = diy_usd_per_million_tokens(
        utilization=utilization,
        tokens_per_hour_per_replica=tokens_per_hour_per_replica,
        usd_per_gpu_hour=usd_per_gpu_hour,
        gpus_per_replica=gpus_per_replica,
        output_share=output_share,
        diy_token_basis=diy_token_basis,
    )
    return api - diy


gap_usd_per_million_tokens.__doc__ = gap_usd_per_million_tokens.__doc__.replace(
    "{article}", formulas.ARTICLE
)


def diy_usd_per_million_tokens(
    *,
    utilization,
    tokens_per_hour_per_replica,
    usd_per_gpu_hour,
    gpus_per_replica,
    output_share=1.0,
    diy_token_basis: str = "total",
):
    """Self-hosted cost per million tokens of the job, in the inputs of the gap. [USD/Mtok]

    Same inputs and readings as :func:`gap_usd_per_million_tokens` (without the API's).
    """
    diy = formulas.self_hosted_usd_per_million_tokens(
        np.asarray(tokens_per_hour_per_replica) / SECONDS_PER_HOUR,
        utilization,
        usd_per_gpu_hour,
        gpus_per_replica=gpus_per_replica,
    )
    check_diy_token_basis(diy_token_basis)
    return diy * output_share if diy_token_basis == "output" else diy


#: Inputs of :func:`gap_usd_per_million_tokens` that a sweep may vary.
GAP_INPUTS = (
    "utilization",
    "tokens_per_hour_per_replica",
    "usd_per_gpu_hour",
    "gpus_per_replica",
    "usd_per_million_input_tokens",
    "usd_per_million_output_tokens",
    "output_share",
    "api_price_factor",
)


def pair_inputs(
    table: pd.DataFrame, diy_offering: str, api_offering: str, *, output_share: float
) -> dict[str, float]:
    """Base values of :data:`GAP_INPUTS` for one (DIY row, API row) pair of a cost table.

    The two rows are named by offering id (:mod:`infermodel.tables.offerings`).
    """
    diy = offerings.find(table, diy_offering, kind="diy_gpu")
    api = offerings.find(table, api_offering, kind="api")
    return {
        "utilization": float(diy["utilization"]),
        "tokens_per_hour_per_replica": float(diy["tokens_per_second"]) * SECONDS_PER_HOUR,
        "usd_per_gpu_hour": float(diy["usd_per_gpu_hour"]),
        "gpus_per_replica": float(diy["gpus_per_replica"]),
        "usd_per_million_input_tokens": float(api["usd_per_million_input_tokens"]),
        "usd_per_million_output_tokens": float(api["usd_per_million_output_tokens"]),
        "output_share": float(output_share),
        "api_price_factor": 1.0,
    }


# --- sweeps --------------------------------------------------------------------------------


def _inputs_of(function: Callable, base: Mapping[str, float], swept) -> dict[str, float]:
    """The base values ``function`` takes; an error naming any swept input it does not take."""
    accepted = set(inspect.signature(function).parameters)
    unknown = [n for n in swept if n not in accepted]
    if unknown:
        raise InputError(
            f"unknown input(s) {', '.join(map(repr, unknown))}; "
            f"valid: {', '.join(sorted(accepted))}"
        )
    missing = [n for n in swept if n not in base]
    if missing:
        raise InputError(f"no base value for swept input(s) {', '.join(map(repr, missing))}")
    return {name: value for name, value in base.items() if name in accepted}


def _check_range(name: str, bounds) -> tuple[float, float]:
    if not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
        raise InputError(f"{name}: a sweep range is [low, high], got {bounds!r}")
    low, high = (float(b) for b in bounds)
    if not (np.isfinite(low) and np.isfinite(high)):
        raise InputError(f"{name}: range must be finite, got {bounds!r}")
    if low > high:
        raise InputError(f"{name}: range is [low, high] with low <= high, got {bounds!r}")
    return low, high


def one_way(
    function: Callable,
    base: Mapping[str, float],
    ranges: Mapping[str, Sequence[float]],
    *,
    points: int = 25,
) -> pd.DataFrame:
    """Sweep each input of ``function`` over its range, the others held at ``base``.

    Returns a tidy frame: ``input``, ``value``, ``result`` (``points`` rows per input, the
    base value included).
    """
    if points < 2:
        raise InputError(f"points must be >= 2, got {points}")
    base = _inputs_of(function, base, list(ranges))
    frames = []
    for name, bounds in ranges.items():
        low, high = _check_range(name, bounds)
        values = np.union1d(np.linspace(low, high, points), [base[name]])
        result = function(**{**base, name: values})
        frames.append(
            pd.DataFrame(
                {"input": name, "value": values, "result": np.broadcast_to(result, values.shape)}
            )
        )
    return pd.concat(frames, ignore_index=True)


def tornado(
    function: Callable, base: Mapping[str, float], ranges: Mapping[str, Sequence[float]]
) -> pd.DataFrame:
    """Rank inputs by how far each moves ``function`` across its range (a tornado chart).

    Returns one row per input, widest swing first: ``input``, ``low``, ``high`` (the range),
    ``base_value``, ``result_at_low``, ``result_at_high``, ``result_at_base``, ``swing``
    (max - min of the result over the range, ends and base) and ``crosses_zero`` (the sign of
    the result changes inside the range: the decision flips).
    """
    sweep = one_way(function, base, ranges, points=2)
    base = _inputs_of(function, base, list(ranges))
    at_base = float(function(**base))
    rows = []
    for name, bounds in ranges.items():
        low, high = _check_range(name, bounds)
        results = sweep.loc[sweep["input"] == name, "result"]
        at_low = float(function(**{**base, name: low}))
        at_high = float(function(**{**base, name: high}))
        rows.append(
            {
                "input": name,
                "low": low,
                "high": high,
                "base_value": float(base[name]),
                "result_at_low": at_low,
                "result_at_high": at_high,
                "result_at_base": at_base,
                "swing": float(results.max() - results.min()),
                "crosses_zero": bool(results.min() < 0 < results.max()),
            }
        )
    return (
        pd.DataFrame(rows)
        .sort_values("swing", ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def grid(
    function: Callable,
    base: Mapping[str, float],
    x: tuple[str, Sequence[float]],
    y: tuple[str, Sequence[float]],
) -> pd.DataFrame:
    """``function`` over every pair of ``x`` and ``y`` values: rows ``y``, columns ``x``."""
    (x_name, x_values), (y_name, y_values) = x, y
    base = _inputs_of(function, {x_name: np.nan, y_name: np.nan, **base}, [x_name, y_name])
    xs, ys = np.meshgrid(np.asarray(x_values, float), np.asarray(y_values, float))
    result = np.broadcast_to(function(**{**base, x_name: xs, y_name: ys}), xs.shape)
    return pd.DataFrame(
        result,
        index=pd.Index(np.asarray(y_values, float), name=y_name),
        columns=pd.Index(np.asarray(x_values, float), name=x_name),
    )


# --- Monte Carlo ---------------------------------------------------------------------------


def draw(
    distributions: Mapping[str, object], *, draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED
) -> dict[str, np.ndarray]:
    """``draws`` joint samples of each input, from one generator seeded with ``seed``."""
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 1:
        raise InputError(f"draws must be a whole number >= 1, got {draws!r}")
    parsed = parse_distributions(distributions)
    rng = np.random.default_rng(seed)
    return {name: dist.sample(int(draws), rng) for name, dist in parsed.items()}


def simulate_costs(
    table: pd.DataFrame,
    samples: Mapping[str, np.ndarray],
    *,
    diy_token_basis: str = "total",
) -> np.ndarray:
    """Cost of the table's workload on every row under every draw. [USD], rows x draws.

    ``table`` is a :func:`~infermodel.pricing.compare.cost_table`; inputs missing from ``samples``
    keep the table's values. API rows are priced with their input, cached-input and output
    prices (batch and long-context choices as in the table); DIY rows with the article's
    formula at each draw's utilization, throughput and GPU price.
    """
    unknown = set(samples) - set(MONTE_CARLO_INPUTS)
    if unknown:
        raise InputError(
            f"unknown Monte Carlo input(s) {sorted(unknown)}; valid: {list(MONTE_CARLO_INPUTS)}"
        )
    draws = len(next(iter(samples.values()))) if samples else 1
    totals = table["total_tokens"].unique()
    if len(totals) != 1:
        raise InputError(f"the table must price one workload, got total_tokens {totals!r}")
    first = table.iloc[0]
    total = float(totals[0])
    # ``input_tokens`` are the uncached prompt tokens; the cached share of the prompt is kept.
    prompt = first["input_tokens"] + first["cached_input_tokens"]
    cached_share = first["cached_input_tokens"] / prompt if prompt else 0.0
    output_share = samples.get("output_share", first["output_tokens"] / total)
    output_tokens = total * output_share  # [tokens], one value per draw (or a scalar)
    cached = (total - output_tokens) * cached_share
    input_tokens = total - output_tokens - cached

    is_api = (table["platform_type"] != "diy_gpu").to_numpy()
    cost = np.empty((len(table), draws))
    if is_api.any():
        api = table[is_api]
        factor = samples.get("api_price_factor", 1.0)
        cached_price = api["usd_per_million_cached_input_tokens"].fillna(
            api["usd_per_million_input_tokens"]
        )
        cost[is_api] = factor * formulas.api_cost_usd(
            input_tokens,
            output_tokens,
            api["usd_per_million_input_tokens"].to_numpy(float)[:, None],
            api["usd_per_million_output_tokens"].to_numpy(float)[:, None],
            cached_input_tokens=cached,
            usd_per_million_cached_input_tokens=cached_price.to_numpy(float)[:, None],
        )
    if (~is_api).any():
        diy = table[~is_api]
        check_diy_token_basis(diy_token_basis)
        tokens = output_tokens if diy_token_basis == "output" else total
        throughput = samples.get("tokens_per_hour_per_replica")
        tps = (
            diy["tokens_per_second"].to_numpy(float)[:, None]
            if throughput is None
            else throughput / SECONDS_PER_HOUR
        ) * samples.get("throughput_factor", 1.0)
        cost[~is_api] = formulas.gpu_cost_usd(
            tokens,
            tps,
            samples.get("utilization", diy["utilization"].to_numpy(float)[:, None]),
            diy["usd_per_gpu_hour"].to_numpy(float)[:, None]
            * samples.get("usd_per_gpu_hour_factor", 1.0),
            gpus_per_replica=diy["gpus_per_replica"].to_numpy(float)[:, None],
        )
    return cost


@dataclass(frozen=True)
class MonteCarloResult:
    """What :func:`monte_carlo` found.

    ``summary``: one row per offering (``offering_id``, ``offering`` label) with its
    deterministic cost and P10/P50/P90/mean [USD]; ``beats``: probability that each DIY row
    costs less than each API row, DIY offering ids x API offering ids; ``costs``: the raw
    matrix (rows x draws) [USD]; ``inputs``: the distributions.
    """

    summary: pd.DataFrame
    beats: pd.DataFrame
    costs: np.ndarray
    inputs: pd.DataFrame
    draws: int
    seed: int


def monte_carlo(
    table: pd.DataFrame,
    distributions: Mapping[str, object],
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    diy_token_basis: str = "total",
) -> MonteCarloResult:
    """Price every row of a cost table under ``draws`` joint draws of the uncertain inputs.

    Every row sees the same draws (common random numbers), so "DIY beats the API" is
    counted draw by draw. Inputs: :data:`MONTE_CARLO_INPUTS`; a distribution is
    ``[kind, *parameters]`` (:data:`DISTRIBUTIONS`) or a number.
    """
    parsed = parse_distributions(distributions)
    samples = draw(parsed, draws=draws, seed=seed)
    costs = simulate_costs(table, samples, diy_token_basis=diy_token_basis)
    p10, p50, p90 = np.percentile(costs, [10, 50, 90], axis=1)
    ids = offerings.ids(table)
    summary = pd.DataFrame(
        {
            "offering_id": ids,
            "offering": offerings.labels(table),
            "platform_type": table["platform_type"],
            "cost_usd": table["cost_usd"],
            "p10_cost_usd": p10,
            "p50_cost_usd": p50,
            "p90_cost_usd": p90,
            "mean_cost_usd": costs.mean(axis=1),
        }
    )
    is_api = (table["platform_type"] != "diy_gpu").to_numpy()
    diy_costs, api_costs = costs[~is_api], costs[is_api]
    beats = pd.DataFrame(
        [(d[None, :] < api_costs).mean(axis=1) for d in diy_costs],
        index=pd.Index(ids[~is_api], name="diy_offering_id"),
        columns=pd.Index(ids[is_api], name="api_offering_id"),
    )
    inputs = pd.DataFrame(
        [
            {
                "input": name,
                "meaning": MONTE_CARLO_INPUTS[name][0],
                "distribution": dist.describe(),
                "sample_p10": np.percentile(samples[name], 10),
                "sample_p50": np.percentile(samples[name], 50),
                "sample_p90": np.percentile(samples[name], 90),
            }
            for name, dist in parsed.items()
        ]
    )
    return MonteCarloResult(summary, beats, costs, inputs, int(draws), int(seed))


# --- throughput drawn from the estimator's own error ------------------------------------------

#: How the Monte Carlo draws DIY throughput: from the estimator's leave-one-out errors, or from
#: the ``tokens_per_hour_per_replica`` range the caller gives.
THROUGHPUT_UNCERTAINTY = ("estimator", "range")


def estimator_error_distribution(calibrated: pd.DataFrame) -> list:
    """``["empirical", *factors]``: measured / leave-one-out estimate of every measured point.

    ``calibrated`` is :func:`infermodel.estimator.calibration.calibration`. A draw multiplies a DIY
    row's
    throughput by the error the estimator made on a point it had not seen. [-]
    """
    return ["empirical", *map(float, calibration.loo_throughput_factors(calibrated))]


def throughput_distributions(
    distributions: Mapping[str, object], uncertainty: str, calibrated: pd.DataFrame | None = None
) -> dict[str, object]:
    """The Monte Carlo inputs with DIY throughput drawn as ``uncertainty`` says.

    ``"estimator"`` (the default of the sensitivity page): ``throughput_factor`` from
    :func:`estimator_error_distribution` multiplies each DIY row's own throughput, and a
    ``tokens_per_hour_per_replica`` range is dropped; ``"range"``: ``distributions`` as given
    (the hand-set range of earlier reports).
    """
    checks.one_of("throughput_uncertainty", uncertainty, THROUGHPUT_UNCERTAINTY)
    if uncertainty == "range":
        return dict(distributions)
    if calibrated is None:
        raise InputError("throughput_uncertainty 'estimator' needs the calibrated points")
    kept = {k: v for k, v in distributions.items() if k != "tokens_per_hour_per_replica"}
    return {**kept, "throughput_factor": estimator_error_distribution(calibrated)}
