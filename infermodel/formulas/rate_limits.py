"""How long a job takes on an API at its published rate limits: pure, vectorized formulas.

An API lets a job through no faster than its tightest published limit allows. Each limit
alone needs (job size) / (limit) of time; the job needs the largest of these:

    completion_hours = max(requests / requests_per_minute,
                           (prompt_tokens + output_tokens) / tokens_per_minute,
                           prompt_tokens / input_tokens_per_minute,
                           uncached_prompt_tokens / uncached_input_tokens_per_minute,
                           output_tokens / output_tokens_per_minute) / 60
                       max requests / requests_per_day x 24

Providers define their token limits differently, so each kind has its own argument (the
columns of ``data/prices/api_rate_limits.csv``): OpenAI's TPM is one budget of input plus
output tokens; Anthropic's ITPM and Gemini's TPM count prompt tokens only; Anthropic's OTPM
and Fireworks' generated TPM count output tokens. A limit a provider does not publish is
NaN and bounds nothing; where no limit is published at all the time is NaN (unknown, never
zero).

Readings (each conservative or stated): every prompt token counts against an input limit,
cache reads included (Anthropic exempts them on most models, so its time is an upper bound
for cached prompts); output counts as generated (OpenAI's limiter reserves ``max_tokens``
when a request arrives, so a caller who sets it high is slowed more); the limit is used
evenly all the time (no ramp-up, no retries after a 429).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from infermodel import checks
from infermodel.units import HOURS_PER_DAY, MINUTES_PER_HOUR


class LimitHours(NamedTuple):
    """The hours each limit alone needs to let a job through; NaN where not published. [h]"""

    requests_per_minute: object
    requests_per_day: object
    tokens_per_minute: object
    input_tokens_per_minute: object
    uncached_input_tokens_per_minute: object
    output_tokens_per_minute: object


def _per(amount, limit):
    """``amount / limit``, NaN where the limit is not published (NaN). [limit's time unit]"""
    limit = np.asarray(limit, dtype=float)
    checks.values_in_range("rate limit", limit[~np.isnan(limit)], low=0.0, low_open=True)
    with np.errstate(invalid="ignore"):
        return np.asarray(amount, dtype=float) / limit


def limit_hours(
    requests,
    prompt_tokens,
    output_tokens,
    *,
    uncached_prompt_tokens=None,
    requests_per_minute=np.nan,
    requests_per_day=np.nan,
    tokens_per_minute=np.nan,
    input_tokens_per_minute=np.nan,
    uncached_input_tokens_per_minute=np.nan,
    output_tokens_per_minute=np.nan,
) -> LimitHours:
    """Hours each published limit alone needs to let a job through.

    Parameters
    ----------
    requests
        Requests of the job. [requests]
    prompt_tokens
        Prompt tokens of the job: uncached, cache reads and cache writes. [tokens]
    output_tokens
        Generated tokens of the job. [tokens]
    uncached_prompt_tokens
        Prompt tokens not read from a cache (uncached input and cache writes); all prompt
        tokens by default. [tokens]
    requests_per_minute, requests_per_day
        Request limits; NaN where not published. [requests/min], [requests/day]
    tokens_per_minute
        One budget of prompt plus output tokens (OpenAI's TPM); NaN where not published.
        [tokens/min]
    input_tokens_per_minute
        Prompt tokens only (Anthropic's ITPM, Gemini's TPM). [tokens/min]
    uncached_input_tokens_per_minute
        Uncached prompt tokens only (Fireworks' uncached prompt TPM). [tokens/min]
    output_tokens_per_minute
        Generated tokens only (Anthropic's OTPM). [tokens/min]

    Returns
    -------
    LimitHours
        One field per limit. [h]

    References
    ----------
    The providers' rate-limit pages cited in ``data/prices/api_rate_limits.csv``: a request
    that would exceed any one limit is refused (HTTP 429), so the tightest one sets the pace.
    """
    for name, value in (
        ("requests", requests),
        ("prompt_tokens", prompt_tokens),
        ("output_tokens", output_tokens),
    ):
        checks.values_in_range(name, value, low=0.0)
    uncached = prompt_tokens if uncached_prompt_tokens is None else uncached_prompt_tokens
    checks.values_in_range("uncached_prompt_tokens", uncached, low=0.0)
    total = np.asarray(prompt_tokens, dtype=float) + np.asarray(output_tokens, dtype=float)
    return LimitHours(
        requests_per_minute=_per(requests, requests_per_minute) / MINUTES_PER_HOUR,
        requests_per_day=_per(requests, requests_per_day) * HOURS_PER_DAY,
        tokens_per_minute=_per(total, tokens_per_minute) / MINUTES_PER_HOUR,
        input_tokens_per_minute=_per(prompt_tokens, input_tokens_per_minute) / MINUTES_PER_HOUR,
        uncached_input_tokens_per_minute=_per(uncached, uncached_input_tokens_per_minute)
        / MINUTES_PER_HOUR,
        output_tokens_per_minute=_per(output_tokens, output_tokens_per_minute) / MINUTES_PER_HOUR,
    )


def _stacked(hours: LimitHours) -> np.ndarray:
    """The fields of ``hours`` broadcast to one shape, one row per limit."""
    arrays = np.broadcast_arrays(*[np.atleast_1d(np.asarray(h, dtype=float)) for h in hours])
    return np.vstack(arrays)


def _scalar(hours: LimitHours) -> bool:
    return all(np.ndim(h) == 0 for h in hours)


def completion_hours(hours: LimitHours):
    """The job's time at its rate limits: the largest of :func:`limit_hours`. [h]

    NaN where no limit is published (the time is unknown, not zero).
    """
    stacked = _stacked(hours)
    result = np.full(stacked.shape[1], np.nan)
    known = ~np.isnan(stacked).all(axis=0)
    result[known] = np.nanmax(stacked[:, known], axis=0)
    return result[0] if _scalar(hours) else result


def binding_limit(hours: LimitHours):
    """Which limit sets the pace: the field name of the largest of ``hours`` ("" if none)."""
    stacked = _stacked(hours)
    names = np.array(LimitHours._fields, dtype=object)
    known = ~np.isnan(stacked).all(axis=0)
    result = np.full(stacked.shape[1], "", dtype=object)
    result[known] = names[np.nanargmax(stacked[:, known], axis=0)]
    return result[0] if _scalar(hours) else result
