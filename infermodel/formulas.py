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
non-positive throughput) raise ``ValueError`` naming the parameter and the valid range.
"""

from __future__ import annotations

from typing import NamedTuple, TypeVar

import numpy as np

from infermodel.units import SECONDS_PER_HOUR, TOKENS_PER_MILLION

#: A scalar, numpy array or pandas Series; results keep the shape (and index) of the inputs.
Number = TypeVar("Number")

ARTICLE = (
    "Procure.FYI, 'A Deep Dive into AI Inference Platforms - Part 3', May 2025, "
    "https://procurefyi.substack.com/p/a-deep-dive-into-inference-platforms-33b"
)


def _check(name: str, value, *, low: float, low_inclusive: bool, high: float = np.inf) -> None:
    """Raise ``ValueError`` naming ``name`` when any element of ``value`` leaves the range."""
    array = np.asarray(value, dtype=float)
    below = array < low if low_inclusive else array <= low
    outside = below | (array > high) | ~np.isfinite(array)
    if np.any(outside):
        bad = array[outside].flat[0] if array.ndim else array
        bracket = "[" if low_inclusive else "("
        upper = "inf)" if np.isinf(high) else f"{high:g}]"
        raise ValueError(f"{name} must be in {bracket}{low:g}, {upper}, got {float(bad):g}")


def _nonnegative(name: str, value) -> None:
    _check(name, value, low=0.0, low_inclusive=True)


def _positive(name: str, value) -> None:
    _check(name, value, low=0.0, low_inclusive=False)


def _utilization(value) -> None:
    _check("utilization", value, low=0.0, low_inclusive=False, high=1.0)


def api_cost_usd(
    input_tokens: Number,
    output_tokens: Number,
    usd_per_million_input_tokens: Number,
    usd_per_million_output_tokens: Number,
    *,
    cached_input_tokens: Number = 0,
    usd_per_million_cached_input_tokens: Number | None = None,
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
    for name, value in (
        ("input_tokens", input_tokens),
        ("output_tokens", output_tokens),
        ("cached_input_tokens", cached_input_tokens),
        ("usd_per_million_input_tokens", usd_per_million_input_tokens),
        ("usd_per_million_output_tokens", usd_per_million_output_tokens),
        ("usd_per_million_cached_input_tokens", usd_per_million_cached_input_tokens),
    ):
        _nonnegative(name, value)
    return (
        input_tokens * usd_per_million_input_tokens
        + cached_input_tokens * usd_per_million_cached_input_tokens
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


for _function in (
    api_cost_usd,
    wall_clock_hours,
    gpu_hours,
    gpu_cost_usd,
    self_hosted_usd_per_million_tokens,
    usd_per_million_tokens,
    price_per_token_stack,
):
    _function.__doc__ = _function.__doc__.replace("{article}", ARTICLE)
