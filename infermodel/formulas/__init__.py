"""Pure, vectorized cost formulas for LLM inference.

Every function takes scalars, numpy arrays or pandas Series and returns the same shape; it
reads no file and draws no plot. Units are in every name and in square brackets in each
docstring. Each formula names its source under References.

The two pricing models are the ones the article compares (Procure.FYI, "A Deep Dive into AI
Inference Platforms - Part 3", May 2025, section "Cost Formulas for AI Inference"):

- token-priced APIs: cost = tokens x price per token, with input, cached-input and output
  tokens priced separately as providers bill them;
- rented GPUs: cost = tokens / (throughput x utilization x 3600) x GPU hourly rate.

Arguments a user can get wrong (a negative price, a utilization outside (0, 1], a
non-positive throughput) raise :class:`~infermodel.errors.InputError` (a ``ValueError``)
naming the parameter and the valid range (:mod:`infermodel.checks`).
"""

from __future__ import annotations

from typing import NamedTuple, TypeVar

import numpy as np

from infermodel import checks
from infermodel.errors import InputError
from infermodel.units import HOURS_PER_MONTH, SECONDS_PER_HOUR, TOKENS_PER_MILLION

#: A scalar, numpy array or pandas Series; results keep the shape (and index) of the inputs.
Number = TypeVar("Number")

ARTICLE = (
    "Procure.FYI, 'A Deep Dive into AI Inference Platforms - Part 3', May 2025, "
    "https://procurefyi.substack.com/p/a-deep-dive-into-inference-platforms-33b"
)


def _nonnegative(name: str, value) -> None:
    checks.values_in_range(name, value, low=0.0)


def _positive(name: str, value) -> None:
    checks.values_in_range(name, value, low=0.0, low_open=True)


def _utilization(value) -> None:
    checks.values_in_range("utilization", value, low=0.0, high=1.0, low_open=True)


def api_cost_usd(
    input_tokens: Number,
    output_tokens: Number,
    usd_per_million_input_tokens: Number,
    usd_per_million_output_tokens: Number,
    *,
    cached_input_tokens: Number = 0,
    usd_per_million_cached_input_tokens: Number | None = None,
    cache_write_tokens: Number = 0,
    usd_per_million_cache_write_tokens: Number | None = None,
) -> Number:
    """Cost of a job on a token-priced API.

    Parameters
    ----------
    input_tokens
        Prompt tokens billed at the full input price, *excluding* cached ones. [tokens]
    output_tokens
        Generated tokens. [tokens]
    usd_per_million_input_tokens
        List price of input tokens. [USD/Mtok]
    usd_per_million_output_tokens
        List price of output tokens. [USD/Mtok]
    cached_input_tokens
        Prompt tokens served from the provider's prompt cache. [tokens]
    usd_per_million_cached_input_tokens
        Price of cached input tokens; ``None`` bills them at the full input price (a
        provider without prompt caching). [USD/Mtok]
    cache_write_tokens
        Prompt tokens written into the provider's prompt cache. [tokens]
    usd_per_million_cache_write_tokens
        Price of a cache write (at the cache lifetime asked for); ``None`` bills writes at
        the full input price (a provider that does not price writes separately). [USD/Mtok]

    Returns
    -------
    Cost of the job. [USD]

    References
    ----------
    The article's "Total Cost = Tokens x Price Per Token" ({article}), with input, cached
    input and output billed separately as on OpenAI's, Anthropic's and Google's price pages.
    """
    if usd_per_million_cached_input_tokens is None:
        usd_per_million_cached_input_tokens = usd_per_million_input_tokens
    if usd_per_million_cache_write_tokens is None:
        usd_per_million_cache_write_tokens = usd_per_million_input_tokens
    for name, value in (
        ("input_tokens", input_tokens),
        ("output_tokens", output_tokens),
        ("cached_input_tokens", cached_input_tokens),
        ("cache_write_tokens", cache_write_tokens),
        ("usd_per_million_input_tokens", usd_per_million_input_tokens),
        ("usd_per_million_output_tokens", usd_per_million_output_tokens),
        ("usd_per_million_cached_input_tokens", usd_per_million_cached_input_tokens),
        ("usd_per_million_cache_write_tokens", usd_per_million_cache_write_tokens),
    ):
        _nonnegative(name, value)
    return (
        input_tokens * usd_per_million_input_tokens
        + cached_input_tokens * usd_per_million_cached_input_tokens
        + cache_write_tokens * usd_per_million_cache_write_tokens
        + output_tokens * usd_per_million_output_tokens
    ) / TOKENS_PER_MILLION


def wall_clock_hours(
    tokens: Number, tokens_per_second: Number, utilization: Number, *, replicas: Number = 1
) -> Number:
    """Elapsed time to process ``tokens`` on ``replicas`` serving replicas.

    Parameters
    ----------
    tokens
        Tokens to process. [tokens]
    tokens_per_second
        Throughput of one replica while busy. [tokens/s]
    utilization
        Fraction of paid time the replica is busy, in (0, 1]. [-]
    replicas
        Replicas working in parallel. [-]

    Returns
    -------
    Elapsed hours. [h]

    References
    ----------
    The article's DIY formula without the hourly rate ({article}).
    """
    _nonnegative("tokens", tokens)
    _positive("tokens_per_second", tokens_per_second)
    _utilization(utilization)
    _positive("replicas", replicas)
    return tokens / (tokens_per_second * utilization * SECONDS_PER_HOUR * replicas)


def gpu_hours(
    tokens: Number, tokens_per_second: Number, utilization: Number, *, gpus_per_replica: Number = 1
) -> Number:
    """GPU-hours paid for to process ``tokens``.

    Parameters
    ----------
    tokens
        Tokens to process. [tokens]
    tokens_per_second
        Throughput of one replica (all of its GPUs together) while busy. [tokens/s]
    utilization
        Fraction of paid time the replica is busy, in (0, 1]. [-]
    gpus_per_replica
        GPUs one model replica occupies (e.g. 2 for a 70B model in 16-bit on 80 GB GPUs). [-]

    Returns
    -------
    GPU-hours. [GPU-h]

    References
    ----------
    tokens / (throughput x utilization x 3600), the article's DIY formula ({article}),
    times the GPUs a replica needs.
    """
    _positive("gpus_per_replica", gpus_per_replica)
    return wall_clock_hours(tokens, tokens_per_second, utilization) * gpus_per_replica


def gpu_cost_usd(
    tokens: Number,
    tokens_per_second: Number,
    utilization: Number,
    usd_per_gpu_hour: Number,
    *,
    gpus_per_replica: Number = 1,
) -> Number:
    """Cost of processing ``tokens`` on rented GPUs.

    Parameters
    ----------
    tokens
        Tokens to process. [tokens]
    tokens_per_second
        Throughput of one replica while busy. [tokens/s]
    utilization
        Fraction of paid time the replica is busy, in (0, 1]. [-]
    usd_per_gpu_hour
        Rental price of one GPU. [USD/GPU-h]
    gpus_per_replica
        GPUs one model replica occupies. [-]

    Returns
    -------
    Cost. [USD]

    References
    ----------
    "Total Cost = Total Tokens / (Throughput x GPU Utilization x 3600) x GPU Hourly Rate",
    the article's DIY formula ({article}).
    """
    _nonnegative("usd_per_gpu_hour", usd_per_gpu_hour)
    hours = gpu_hours(tokens, tokens_per_second, utilization, gpus_per_replica=gpus_per_replica)
    return hours * usd_per_gpu_hour


def self_hosted_usd_per_million_tokens(
    tokens_per_second: Number,
    utilization: Number,
    usd_per_gpu_hour: Number,
    *,
    gpus_per_replica: Number = 1,
) -> Number:
    """Effective price per million tokens of serving on rented GPUs.

    Parameters
    ----------
    tokens_per_second
        Throughput of one replica while busy. [tokens/s]
    utilization
        Fraction of paid time the replica is busy, in (0, 1]. [-]
    usd_per_gpu_hour
        Rental price of one GPU. [USD/GPU-h]
    gpus_per_replica
        GPUs one model replica occupies. [-]

    Returns
    -------
    Price per million tokens. [USD/Mtok]

    References
    ----------
    :func:`gpu_cost_usd` for one million tokens ({article}).
    """
    return gpu_cost_usd(
        TOKENS_PER_MILLION,
        tokens_per_second,
        utilization,
        usd_per_gpu_hour,
        gpus_per_replica=gpus_per_replica,
    )


def usd_per_million_tokens(cost_usd: Number, tokens: Number) -> Number:
    """Average price per million tokens of a job.

    Parameters
    ----------
    cost_usd
        Cost of the job. [USD]
    tokens
        Tokens in the job, > 0. [tokens]

    Returns
    -------
    Price per million tokens. [USD/Mtok]

    References
    ----------
    Definition (prices are quoted per million tokens by every provider in the article).
    """
    _positive("tokens", tokens)
    return cost_usd * TOKENS_PER_MILLION / tokens


#: How a self-hosted deployment pays for GPUs over a month (see :func:`diy_monthly_cost_usd`).
BILLING = ("always_on", "per_hour")


def _steps(
    tokens_per_second, utilization, usd_per_gpu_hour, gpus_per_replica, min_replicas, billing
):
    """Capacity [tokens], cost [USD] and minimum count of one billing step."""
    _positive("tokens_per_second", tokens_per_second)
    _utilization(utilization)
    _nonnegative("usd_per_gpu_hour", usd_per_gpu_hour)
    _positive("gpus_per_replica", gpus_per_replica)
    _nonnegative("min_replicas", min_replicas)
    tokens_per_replica_hour = tokens_per_second * SECONDS_PER_HOUR * utilization
    usd_per_replica_hour = usd_per_gpu_hour * gpus_per_replica
    if billing == "always_on":
        return (
            tokens_per_replica_hour * HOURS_PER_MONTH,
            usd_per_replica_hour * HOURS_PER_MONTH,
            np.floor(min_replicas),
        )
    if billing == "per_hour":
        return tokens_per_replica_hour, usd_per_replica_hour, min_replicas * HOURS_PER_MONTH
    raise InputError(f"billing must be one of {', '.join(BILLING)}, got {billing!r}")


def diy_monthly_cost_usd(
    tokens_per_month: Number,
    tokens_per_second: Number,
    utilization: Number,
    usd_per_gpu_hour: Number,
    *,
    gpus_per_replica: Number = 1,
    min_replicas: Number = 1,
    fixed_usd_per_month: Number = 0.0,
    billing: str = "always_on",
) -> Number:
    """Monthly cost of serving a token volume on rented GPUs, in whole billing steps.

    Parameters
    ----------
    tokens_per_month
        Tokens served in the month, >= 0. [tokens/month]
    tokens_per_second
        Throughput of one replica while busy. [tokens/s]
    utilization
        Busy fraction a replica can sustain, in (0, 1]: the headroom kept for peaks. [-]
    usd_per_gpu_hour
        Rental price of one GPU. [USD/GPU-h]
    gpus_per_replica
        GPUs one model replica occupies. [-]
    min_replicas
        Replicas kept up all month whatever the volume (availability); 0 lets a
        ``per_hour`` deployment scale to zero. [-]
    fixed_usd_per_month
        People and tooling that self-hosting needs, whatever the volume. [USD/month]
    billing
        ``"always_on"``: whole replicas rented for the whole month, as many as the volume
        needs; ``"per_hour"``: replica-hours bought as needed, rounded up to whole hours
        (the article's formula, in whole hours), on top of ``min_replicas`` kept up.

    Returns
    -------
    Cost of the month. [USD/month]

    References
    ----------
    The article's DIY formula ({article}), billed in whole replicas or hours.
    """
    _nonnegative("tokens_per_month", tokens_per_month)
    _nonnegative("fixed_usd_per_month", fixed_usd_per_month)
    capacity, step_cost, min_steps = _steps(
        tokens_per_second, utilization, usd_per_gpu_hour, gpus_per_replica, min_replicas, billing
    )
    steps = np.maximum(min_steps, np.ceil(tokens_per_month / capacity))
    return steps * step_cost + fixed_usd_per_month


def break_even_tokens_per_month(
    api_usd_per_million_tokens: Number,
    tokens_per_second: Number,
    utilization: Number,
    usd_per_gpu_hour: Number,
    *,
    gpus_per_replica: Number = 1,
    min_replicas: Number = 1,
    fixed_usd_per_month: Number = 0.0,
    billing: str = "always_on",
) -> tuple[Number, Number]:
    """Monthly volume from which self-hosting costs no more than an API.

    The API bill grows with every token; the self-hosted bill (:func:`diy_monthly_cost_usd`)
    grows in whole steps. Solved exactly, step by step, rather than searched.

    Parameters
    ----------
    api_usd_per_million_tokens
        The API's price at the workload's token mix, > 0. [USD/Mtok]
    tokens_per_second, utilization, usd_per_gpu_hour, gpus_per_replica
        As in :func:`diy_monthly_cost_usd`.
    min_replicas, fixed_usd_per_month, billing
        As in :func:`diy_monthly_cost_usd`.

    Returns
    -------
    first
        The smallest volume at which self-hosting costs no more than the API; NaN when it
        never does (at full use a step costs more than the API charges for its tokens).
        [tokens/month]
    always
        The volume from which self-hosting stays no dearer at every larger volume. Between
        ``first`` and ``always`` the API wins again just after each added step, when the new
        step's cost exceeds the API bill on the tokens it serves. [tokens/month]

    References
    ----------
    Equating ``volume x price`` with :func:`diy_monthly_cost_usd` ({article}).
    """
    _positive("api_usd_per_million_tokens", api_usd_per_million_tokens)
    _nonnegative("fixed_usd_per_month", fixed_usd_per_month)
    capacity, step_cost, min_steps = _steps(
        tokens_per_second, utilization, usd_per_gpu_hour, gpus_per_replica, min_replicas, billing
    )
    price = api_usd_per_million_tokens / TOKENS_PER_MILLION  # [USD/token]
    fixed = fixed_usd_per_month
    margin = price * capacity - step_cost  # what a full step saves against the API [USD]
    with np.errstate(divide="ignore", invalid="ignore"):
        # Below min_steps x capacity the bill is flat at min_steps steps. The flat part can
        # only hold the break-even when a full step saves (margin > 0); at margin 0 it may
        # still test true by rounding, for a tie at full use that the next step loses.
        flat = (min_steps * step_cost + fixed) / price
        in_flat = (min_steps > 0) & (flat <= min_steps * capacity) & (margin > 0)
        # Above it, step k (volumes up to k x capacity) breaks even when k x margin >= fixed.
        first_step = np.maximum(np.floor(min_steps) + 1, np.ceil(fixed / margin))
        first_step = np.where(np.isfinite(first_step), first_step, np.floor(min_steps) + 1)
        start = np.maximum(min_steps * capacity, (first_step - 1) * capacity)
        stepped = np.maximum(start, (first_step * step_cost + fixed) / price)
        wins = margin > 0
        first = np.where(in_flat, flat, np.where(wins, stepped, np.nan))
        # From step ``steady`` on, the API bill at a step's start already covers the step, so
        # the last volume where the API wins lies in step ``steady - 1`` (if that is stepped).
        # When the API bill at step ``steady``'s start equals the step (a tie, e.g. $1/h
        # against 1.2x its tokens' price), rounding may put ``last`` one step late, where the
        # API only ties; a step whose break-even is its start (to 1e-12) does not lose, and
        # the step before is tried.
        last = np.ceil((price * capacity + fixed) / margin) - 1

        def loses(k):
            start = np.maximum(min_steps * capacity, (k - 1) * capacity)
            even = (k * step_cost + fixed) / price
            return (k > min_steps) & (even > start * (1 + 1e-12)), even

        loses_last, even_last = loses(last)
        loses_before, even_before = loses(last - 1)
        last_even = np.where(loses_last, even_last, even_before)
        loses_late = loses_last | loses_before
        always = np.where(wins, np.where(loses_late, np.maximum(first, last_even), first), np.nan)
    return _like(first, api_usd_per_million_tokens), _like(always, api_usd_per_million_tokens)


def break_even_utilization(
    api_usd_per_million_tokens: Number,
    tokens_per_second: Number,
    usd_per_gpu_hour: Number,
    *,
    gpus_per_replica: Number = 1,
    tokens_per_month: Number | None = None,
    fixed_usd_per_month: Number = 0.0,
) -> Number:
    """Utilization at which self-hosting costs the same per token as an API.

    Parameters
    ----------
    api_usd_per_million_tokens
        The API's price at the workload's token mix, > 0. [USD/Mtok]
    tokens_per_second
        Throughput of one replica while busy. [tokens/s]
    usd_per_gpu_hour
        Rental price of one GPU. [USD/GPU-h]
    gpus_per_replica
        GPUs one model replica occupies. [-]
    tokens_per_month
        Monthly volume over which ``fixed_usd_per_month`` is spread; needed only when that
        is not zero. [tokens/month]
    fixed_usd_per_month
        People and tooling that self-hosting needs. [USD/month]

    Returns
    -------
    Break-even utilization [-]; values above 1 (or NaN when the fixed cost alone exceeds the
    API bill) mean self-hosting cannot win at any utilization.

    References
    ----------
    Solving the article's DIY formula ({article}) for utilization.
    """
    _positive("api_usd_per_million_tokens", api_usd_per_million_tokens)
    _positive("tokens_per_second", tokens_per_second)
    _nonnegative("usd_per_gpu_hour", usd_per_gpu_hour)
    _positive("gpus_per_replica", gpus_per_replica)
    _nonnegative("fixed_usd_per_month", fixed_usd_per_month)
    if tokens_per_month is None:
        if np.any(np.asarray(fixed_usd_per_month) > 0):
            raise InputError("tokens_per_month is needed to spread a fixed_usd_per_month > 0")
        tokens_per_month = np.inf
    else:
        _positive("tokens_per_month", tokens_per_month)
    with np.errstate(divide="ignore", invalid="ignore"):
        fixed_per_million = fixed_usd_per_month * TOKENS_PER_MILLION / tokens_per_month
        left_for_gpus = api_usd_per_million_tokens - fixed_per_million  # [USD/Mtok]
        full_use = self_hosted_usd_per_million_tokens(
            tokens_per_second, 1.0, usd_per_gpu_hour, gpus_per_replica=gpus_per_replica
        )
        result = np.where(left_for_gpus > 0, full_use / left_for_gpus, np.nan)
    return _like(result, api_usd_per_million_tokens)


def _like(result: np.ndarray, template):
    """Return ``result`` as a scalar, array or Series shaped like ``template``."""
    if hasattr(template, "index") and np.ndim(result) == 1 and len(result) == len(template):
        return type(template)(result, index=template.index)
    return result[()] if np.ndim(result) == 0 else result


class PriceStack(NamedTuple):
    """The article's price-per-token stack; every field in [USD/Mtok]."""

    base: object
    ip_markup: object
    platform_overhead: object
    latency_penalty: object
    total: object


def price_per_token_stack(
    base: Number, ip_markup: Number, platform_overhead: Number, latency_penalty: Number
) -> PriceStack:
    """Compose a price per token from the article's four layers.

    Parameters
    ----------
    base
        Compute cost of serving the model, >= 0. [USD/Mtok]
    ip_markup
        R&D / IP markup a proprietary model's owner adds. [USD/Mtok]
    platform_overhead
        Autoscaling, orchestration, SLAs, support. [USD/Mtok]
    latency_penalty
        Extra cost of serving small or latency-sensitive requests that batch poorly
        (the "latency/batch penalty"). [USD/Mtok]

    Returns
    -------
    PriceStack
        The four components and their sum ``total``. [USD/Mtok]

    Notes
    -----
    Markup, overhead and penalty may be negative when the stack is fitted to observed prices
    (a provider can price below the compute cost this kit assumes); the base may not.

    References
    ----------
    "Total Price Per Token = Base Cost + IP Markup + Infrastructure Cost + Batch/Latency
    Penalty" ({article}).
    """
    _nonnegative("base", base)
    total = base + ip_markup + platform_overhead + latency_penalty
    return PriceStack(base, ip_markup, platform_overhead, latency_penalty, total)


def spot_time_factor(
    interruptions_per_hour: Number, lost_seconds_per_interruption: Number
) -> Number:
    """Replica time bought per unit of useful replica time on interruptible (spot) capacity. [-]

    An interruption costs ``lost_seconds_per_interruption`` of replica time (the restart and
    the in-flight work done again); interruptions arrive at ``interruptions_per_hour`` of
    running time, so a share ``rate x lost / 3600`` of every hour is lost and the time bought
    is ``1 / (1 - rate x lost / 3600)`` times the useful time. Refused when the losses would
    take the whole hour (nothing would ever finish).

    Parameters
    ----------
    interruptions_per_hour
        Interruptions per hour a replica runs. [1/h]
    lost_seconds_per_interruption
        Replica time each interruption wastes. [s]

    References
    ----------
    The renewal argument of checkpoint/restart models (Daly, "A higher order estimate of the
    optimum checkpoint interval for restart dumps", FGCS 22, 2006): expected wall time per
    unit of work under failures at a constant rate, to first order.
    """
    _nonnegative("interruptions_per_hour", interruptions_per_hour)
    _nonnegative("lost_seconds_per_interruption", lost_seconds_per_interruption)
    lost_share = (
        np.asarray(interruptions_per_hour) * lost_seconds_per_interruption / SECONDS_PER_HOUR
    )
    if np.any(lost_share >= 1):
        raise InputError(
            "interruptions_per_hour x lost_seconds_per_interruption must be below 3600 s: "
            "the interruptions would take every hour"
        )
    return 1.0 / (1.0 - lost_share)


for _function in (
    api_cost_usd,
    wall_clock_hours,
    gpu_hours,
    gpu_cost_usd,
    self_hosted_usd_per_million_tokens,
    usd_per_million_tokens,
    price_per_token_stack,
    diy_monthly_cost_usd,
    break_even_tokens_per_month,
    break_even_utilization,
):
    _function.__doc__ = _function.__doc__.replace("{article}", ARTICLE)
