"""Replicas that follow a demand series, and what their provider bills for them.

A rented-GPU bill is not ``GPU-hours x rate`` but the lifetimes of the replicas that ran:
each replica is billed from the moment it starts (its cold start included) until it stops,
rounded up to the provider's billing increment, and at least the minimum billed duration.
This module turns a demand series (replicas needed per step) into those lifetimes. It is
pure: arrays in, arrays out, no file and no table.

The model (one pool of identical replicas; the busiest replicas are reused first, so
replica ``k`` is in use in every step whose need is ``>= k``):

- in a step the ``need`` replicas in use share its work equally: replica ``k`` is busy for
  ``busy / need`` seconds of the step;
- a replica with no work stays up (billed) for at most ``idle_timeout_seconds``; if work
  comes back before that, it serves it warm; otherwise it stops and the next use pays a
  cold start of ``cold_start_seconds`` (billed, and the work it takes waits that long);
- the first ``always_on`` replicas run the whole span, never start cold and are billed the
  whole span;
- ``idle_timeout_seconds = 0`` and ``cold_start_seconds = 0`` bill exactly the busy time.

Sizings (:func:`bill`):

- ``peak``: the busiest step's replicas run the whole span (one start each);
- ``autoscaled``: the replicas a window needs run the whole window (steps are windows of
  the scale interval; a replica no window needs is stopped at the window's end);
- ``serverless``: steps of a minute by default (the standard the other two count need by),
  work billed as it is done, idle replicas kept ``idle_timeout_seconds``, new ones started
  cold.

What holds (tested in ``tests/test_scaling.py``): serverless with no idle timeout and no cold
start bills the busy replica-seconds, no more than autoscaling (whose windows cover every
step's work), which bills no more than peak sizing when the cold start is no longer than a
window and windows are whole billing increments; no bill falls as the cold start grows; and
with no cold start and no rounding no bill falls as the idle timeout grows. With a billed
cold start, a longer idle timeout can be *cheaper*: it keeps a replica warm through a gap
instead of paying a new start (a gap ``g`` costs ``min(g, timeout) + cold start`` if the
timeout is shorter, ``g`` if not), which is why providers let it be set.

References
----------
RunPod Serverless pricing (billed from start to stop, rounded up to the second; start,
execution and idle-timeout time all billed; default idle timeout 5 s):
https://docs.runpod.io/serverless/pricing. Modal (containers stop after 60 s idle by
default): https://modal.com/docs/guide/cold-start. Lambda On-Demand (one-minute increments):
https://docs.lambda.ai/public-cloud/billing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from infermodel import checks
from infermodel.errors import InputError

#: Sizings of rented GPUs for a demand series (:func:`bill`).
SIZINGS = ("peak", "autoscaled", "serverless")
#: Cold start of an LLM replica when neither the user nor the provider gives one: container
#: start plus loading the weights into GPU memory. An assumption of the kit (RunPod and
#: Modal state no figure that includes the model load; third-party reports for large LLMs
#: range from about 6 to 60 s). [s]
DEFAULT_COLD_START_SECONDS = 30.0
#: Idle timeout when neither the user nor the provider gives one. [s]
DEFAULT_IDLE_TIMEOUT_SECONDS = 60.0
#: Step of the serverless simulation when the user gives no scale interval: demand is
#: counted per step (a step's work done within the step, so it may wait up to a step), and
#: a replica's work in a step is one busy block at its start, then idle. A minute is the
#: standard the peak and hourly sizings count need by, so the three compare like for like;
#: a shorter step is a stricter latency standard (more replicas at bursts), a longer one
#: lets work queue longer. [s]
DEFAULT_SERVERLESS_STEP_SECONDS = 60
#: Window of hourly autoscaling (the kit's default ``autoscaled`` sizing). [s]
DEFAULT_AUTOSCALE_WINDOW_SECONDS = 3_600


@dataclass(frozen=True)
class Billing:
    """How a provider bills one replica's lifetime. [s]

    ``increment_seconds``: each lifetime is rounded up to a whole number of these (0: not
    rounded); ``minimum_seconds``: a lifetime is billed at least this long.
    """

    increment_seconds: float = 0.0
    minimum_seconds: float = 0.0


@dataclass(frozen=True)
class Bill:
    """The replica time a demand series is billed, and what the cold starts cost in latency.

    ``replica_seconds`` [replica-s] billed (rounded as the provider rounds);
    ``busy_replica_seconds`` [replica-s] of work; ``starts`` [-] replicas started (cold
    starts included, always-on ones too); ``cold_starts`` [-] starts that delayed work;
    ``delayed_share`` [-] per step, the share of the step's work that waited for a cold
    start; ``peak_replicas`` [-].
    """

    replica_seconds: float
    busy_replica_seconds: float
    starts: int
    cold_starts: int
    delayed_share: np.ndarray
    peak_replicas: int


def replicas_needed(work_replica_seconds: np.ndarray, step_seconds: float) -> np.ndarray:
    """Whole replicas that do each step's work within the step. [-]

    ``work_replica_seconds`` [replica-s] per step (tokens / tokens per second of one
    replica). A need of exactly 2.0 computed as 2.0000000001 is 2 replicas, not 3.
    """
    work = np.asarray(work_replica_seconds, dtype=float)
    return np.ceil(work / float(step_seconds) - 1e-9).clip(min=0).astype(np.int64)


def _check(steps, need, busy, step_seconds, idle, cold, always_on) -> None:
    checks.values_in_range("step_seconds", step_seconds, low=0.0, low_open=True)
    checks.values_in_range("idle_timeout_seconds", idle, low=0.0)
    checks.values_in_range("cold_start_seconds", cold, low=0.0)
    checks.values_in_range("always_on", always_on, low=0.0)
    if not (steps.shape == need.shape == busy.shape) or steps.ndim != 1:
        raise InputError("steps, need and busy must be 1-d arrays of the same length")
    if len(steps) and ((np.diff(steps) <= 0).any() or steps[0] < 0):
        raise InputError("steps must be strictly increasing step numbers from 0")
    if (need < 0).any() or (busy < 0).any():
        raise InputError("need and busy must be >= 0")
    if (busy > need * step_seconds * (1 + 1e-9) + 1e-9).any():
        raise InputError("busy replica-seconds exceed need x step_seconds in some step")


def _round(lifetimes: np.ndarray, billing: Billing) -> np.ndarray:
    billed = lifetimes
    if billing.increment_seconds > 0:
        billed = np.ceil(billed / billing.increment_seconds - 1e-9) * billing.increment_seconds
    return np.maximum(billed, billing.minimum_seconds)


def simulate(
    steps: np.ndarray,
    need: np.ndarray,
    busy: np.ndarray,
    *,
    step_seconds: float,
    span_steps: int,
    idle_timeout_seconds: float,
    cold_start_seconds: float,
    billing: Billing = Billing(),
    always_on: int = 0,
) -> Bill:
    """Bill a pool of replicas that follows a need series (see the module docstring).

    Parameters
    ----------
    steps
        Step numbers with work, strictly increasing from 0 (steps without work may be left
        out), shape (s,). [-]
    need
        Replicas in use in each listed step, shape (s,). [-]
    busy
        Work of each listed step, at most ``need x step_seconds``, shape (s,). [replica-s]
    step_seconds
        Length of a step. [s]
    span_steps
        Steps the series spans (always-on replicas are billed all of them). [-]
    idle_timeout_seconds, cold_start_seconds
        How long an idle replica stays up, and what a new one takes to serve. [s]
    billing
        Rounding of each lifetime (:class:`Billing`).
    always_on
        Replicas that run the whole span (``--min-replicas``). [-]
    """
    steps = np.asarray(steps, dtype=np.int64)
    need = np.asarray(need, dtype=np.int64)
    busy = np.asarray(busy, dtype=float)
    _check(steps, need, busy, step_seconds, idle_timeout_seconds, cold_start_seconds, always_on)
    always_on = int(always_on)
    delayed = np.zeros(len(steps))
    peak = int(need.max()) if len(need) else 0
    lifetimes: list[np.ndarray] = []
    starts = cold_starts = 0
    if always_on:
        lifetimes.append(np.full(1, span_steps * step_seconds))
        starts += always_on
    # Replicas between two consecutive need values are used in exactly the same steps (every
    # step whose need reaches the band's top), so they have the same lifetimes: one band of
    # ``width`` replicas stands for them all, and memory follows the distinct need values,
    # not the replica count. Replicas 1..always_on run the whole span and are left out.
    tops = np.unique(need[need > always_on])
    widths = np.diff(np.r_[always_on, tops])
    used = need[None, :] >= tops[:, None] if len(tops) else np.zeros((0, len(steps)), bool)
    band, index = np.nonzero(used)  # sorted by band, then by step
    weights: list[np.ndarray] = []
    if len(index):
        share = busy[index] / need[index]  # each replica's busy seconds in that step
        start_time = steps[index] * step_seconds
        same = np.r_[band[1:] == band[:-1], False]  # the band's next use comes next
        gap = np.full(len(index), np.inf)
        gap[same] = start_time[1:][same[:-1]] - (start_time[:-1] + share[:-1])[same[:-1]]
        warm = gap <= idle_timeout_seconds  # still up for its next use
        kept_idle = np.where(warm, gap, idle_timeout_seconds)
        # A lifetime starts at a band's first use and after every use it was not kept.
        first = np.r_[True, ~warm[:-1]]
        life = np.cumsum(first) - 1
        lifetimes.append(np.bincount(life, weights=share + kept_idle) + cold_start_seconds)
        weights.append(widths[band[first]].astype(float))
        started = int(widths[band[first]].sum())
        starts += started
        if cold_start_seconds > 0:
            cold_starts += started
            hit = index[first]
            delayed += np.bincount(
                hit, weights=widths[band[first]] / need[hit], minlength=len(steps)
            )
    if always_on:
        weights.insert(0, np.full(1, float(always_on)))
    billed = (
        float((_round(np.concatenate(lifetimes), billing) * np.concatenate(weights)).sum())
        if lifetimes
        else 0.0
    )
    return Bill(
        replica_seconds=billed,
        busy_replica_seconds=float(busy.sum()),
        starts=starts,
        cold_starts=cold_starts,
        delayed_share=delayed,
        peak_replicas=max(peak, always_on),
    )


def windows(
    steps: np.ndarray, work_replica_seconds: np.ndarray, need: np.ndarray, steps_per_window: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fine steps grouped into windows: (window numbers, work, need = busiest step's need).

    Autoscaling holds in each window the replicas its busiest step needs, for the whole
    window. ``steps`` strictly increasing, one entry per step with work. [-], [replica-s], [-]
    """
    steps = np.asarray(steps, dtype=np.int64)
    window = steps // int(steps_per_window)
    starts = np.flatnonzero(np.r_[True, window[1:] != window[:-1]])
    work = np.add.reduceat(np.asarray(work_replica_seconds, dtype=float), starts)
    return window[starts], work, np.maximum.reduceat(np.asarray(need), starts)


def bill_sizings(
    minute_steps: np.ndarray,
    minute_work: np.ndarray,
    fine_steps: np.ndarray,
    fine_work: np.ndarray,
    *,
    fine_step_seconds: float,
    span_seconds: float,
    window_seconds: int,
    idle_timeout_seconds: float,
    cold_start_seconds: float,
    billing: Billing = Billing(),
    always_on: int = 0,
) -> dict[str, Bill]:
    """The bill of each of :data:`SIZINGS` for one replica type on one demand series.

    Parameters
    ----------
    minute_steps, minute_work
        Minutes with work (from the first request's minute, strictly increasing) and the
        replica-seconds of work in each. [-], [replica-s]
    fine_steps, fine_work
        The same work in steps of ``fine_step_seconds`` (the serverless simulation). [-],
        [replica-s]
    span_seconds
        From the first request to the end of the last one's second. [s]
    window_seconds
        Autoscaling window, a whole number of minutes. [s]
    idle_timeout_seconds, cold_start_seconds, billing, always_on
        As :func:`simulate`; peak and autoscaled replicas stop at a window's end (no idle
        timeout), and every new replica pays the cold start.
    """
    if window_seconds % 60 or window_seconds < 60:
        raise InputError(f"window_seconds must be a whole number of minutes, got {window_seconds}")
    minute_need = replicas_needed(minute_work, 60)
    peak = max(int(minute_need.max()) if len(minute_need) else 0, int(always_on))
    bills = {
        "peak": simulate(
            np.array([0]),
            np.array([peak]),
            np.array([peak * span_seconds]),
            step_seconds=span_seconds,
            span_steps=1,
            idle_timeout_seconds=0,
            cold_start_seconds=cold_start_seconds,
            billing=billing,
        )
    }
    w_steps, _, w_need = windows(minute_steps, minute_work, minute_need, window_seconds // 60)
    w_len = np.minimum(window_seconds, span_seconds - w_steps * window_seconds).astype(float)
    bills["autoscaled"] = simulate(
        w_steps,
        w_need,
        w_need * w_len,
        step_seconds=window_seconds,
        span_steps=int(np.ceil(span_seconds / window_seconds)),
        idle_timeout_seconds=0,
        cold_start_seconds=cold_start_seconds,
        billing=billing,
        always_on=always_on,
    )
    bills["serverless"] = simulate(
        fine_steps,
        replicas_needed(fine_work, fine_step_seconds),
        fine_work,
        step_seconds=fine_step_seconds,
        span_steps=int(np.ceil(span_seconds / fine_step_seconds)),
        idle_timeout_seconds=idle_timeout_seconds,
        cold_start_seconds=cold_start_seconds,
        billing=billing,
        always_on=always_on,
    )
    return bills


__all__ = [
    "DEFAULT_AUTOSCALE_WINDOW_SECONDS",
    "DEFAULT_COLD_START_SECONDS",
    "DEFAULT_IDLE_TIMEOUT_SECONDS",
    "DEFAULT_SERVERLESS_STEP_SECONDS",
    "SIZINGS",
    "Bill",
    "Billing",
    "bill_sizings",
    "replicas_needed",
    "simulate",
    "windows",
]
