"""Rented GPUs sized for a request log's arrivals and billed as their providers bill them.

For every (GPU offering, serving assumption) pair, the log's tokens become replica work
(tokens / the replica's tokens per second), and :mod:`infermodel.formulas.autoscaling` turns that
work
into replica lifetimes under three sizings:

- ``peak_sized``: the busiest minute's replicas for the whole log;
- ``autoscaled``: each window of ``scale_interval_s`` (an hour by default) holds the replicas
  its busiest minute needs; a window is never shorter than the offering's billing increment;
- ``serverless``: replicas follow the arrivals in steps of ``scale_interval_s`` (a minute by
  default, the standard the other two count need by); an idle replica stays up for the idle
  timeout (the provider's default unless given), a new one pays the cold start, billed,
  and the work it takes waits for it (the added latency reported).

Each lifetime is rounded up to the offering's billing increment and minimum
(:mod:`infermodel.tables.gpu_billing`); replicas of fewer GPUs than an instance holds share it, and
the instance is what is billed (an 8-GPU node). A spot offering's replica time grows by the
work lost to interruptions (each costs a restart and the in-flight work redone); a reserved
offering is billed for its peak replicas over the whole log, whatever the sizing (committed
capacity runs whether used or not).

Pure arithmetic lives in :mod:`infermodel.formulas.autoscaling` and :mod:`infermodel.formulas`; this
module joins them to the log (:class:`~infermodel.readers.logs.Trace`) and the price tables.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from infermodel import checks, formulas
from infermodel.errors import InputError
from infermodel.formulas import autoscaling
from infermodel.readers.logs import Trace
from infermodel.tables import gpu_billing, offerings
from infermodel.units import SECONDS_PER_HOUR

SIZING_COLUMNS = {"peak": "peak_sized", "autoscaled": "autoscaled", "serverless": "serverless"}
SECONDS_PER_MINUTE = 60


@dataclass(frozen=True)
class Options:
    """How replicas follow the log (``None``: the offering's or the kit's default). [s], [-]"""

    idle_timeout_s: float | None = None
    cold_start_s: float | None = None
    scale_interval_s: int | None = None
    min_replicas: int = 0
    interruptions_per_hour: float | None = None
    restart_s: float | None = None

    def check(self) -> None:
        for name in ("idle_timeout_s", "cold_start_s", "restart_s", "interruptions_per_hour"):
            value = getattr(self, name)
            if value is not None:
                checks.values_in_range(name, value, low=0.0)
        if self.scale_interval_s is not None:
            checks.whole("scale_interval_s", self.scale_interval_s, minimum=1)
        checks.whole("min_replicas", self.min_replicas, minimum=0)


def _work(trace: Trace, basis: str, seconds: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(step numbers, tokens, requests) per busy step of ``seconds``.

    Minutes are calendar minutes counted from the first request's minute (as
    :meth:`~infermodel.readers.logs.Trace.per_minute`); shorter steps count from the first
    request's second.
    """
    if seconds == SECONDS_PER_MINUTE:
        table = trace.per_minute(busy_only=True)
        first = np.datetime64(trace.span()[0].floor("min"), "m")
        minute = table["minute"].to_numpy().astype("datetime64[m]")
        steps = (minute - first).astype(np.int64)
    else:
        table = trace.per_interval(seconds)
        steps = table["start_s"].to_numpy(dtype=np.int64) // seconds
    tokens = table["output_tokens"].to_numpy(dtype=float)
    if basis == "total":
        tokens = tokens + table["prompt_tokens"].to_numpy(dtype=float)
    return steps, tokens, table["requests"].to_numpy(dtype=float)


def _span_seconds(trace: Trace) -> float:
    """The billing horizon: from the first request's minute to the end of the last one's. [s]"""
    return float(trace.span()[2] * SECONDS_PER_MINUTE)


def _packing(gpus_per_replica: float, gpus_per_instance_min: int) -> tuple[int, float]:
    """(replicas one instance holds, GPUs billed per instance)."""
    if gpus_per_instance_min <= gpus_per_replica:
        return 1, float(gpus_per_replica)
    return max(1, int(gpus_per_instance_min // gpus_per_replica)), float(gpus_per_instance_min)


def _one(pair, rule, minutes, fine, span_s: float, options: Options) -> dict:
    """Every sizing of one pair: billed instance-seconds, cold starts and delays."""
    tps = float(pair["tokens_per_second"])
    per_instance, gpus = _packing(
        float(pair["gpus_per_replica"]), int(rule["gpus_per_instance_min"])
    )
    billing = autoscaling.Billing(rule["billing_increment_seconds"], rule["minimum_billed_seconds"])
    idle = options.idle_timeout_s
    if idle is None:
        default = rule["idle_timeout_seconds_default"]
        idle = autoscaling.DEFAULT_IDLE_TIMEOUT_SECONDS if pd.isna(default) else float(default)
    cold = options.cold_start_s
    if cold is None:
        default = rule["cold_start_seconds_default"]
        cold = autoscaling.DEFAULT_COLD_START_SECONDS if pd.isna(default) else float(default)
    m_steps, m_tokens, _ = minutes
    f_steps, f_tokens, f_requests, step_s = fine
    window_s = options.scale_interval_s or autoscaling.DEFAULT_AUTOSCALE_WINDOW_SECONDS
    # A window is whole minutes and never shorter than what the provider bills at least.
    window_s = max(
        int(np.ceil(window_s / 60) * 60), int(np.ceil(rule["billing_increment_seconds"] / 60) * 60)
    )
    peak_need = int(autoscaling.replicas_needed(m_tokens / tps, SECONDS_PER_MINUTE).max())
    bills = autoscaling.bill_sizings(
        m_steps,
        m_tokens / tps / per_instance,
        f_steps,
        f_tokens / tps / per_instance,
        fine_step_seconds=step_s,
        span_seconds=span_s,
        window_seconds=window_s,
        idle_timeout_seconds=idle,
        cold_start_seconds=cold,
        billing=billing,
        always_on=int(np.ceil(options.min_replicas / per_instance)),
    )
    delayed = float((bills["serverless"].delayed_share * f_requests).sum())
    return {
        "bills": bills,
        "peak_need": peak_need,
        "gpus_per_instance": gpus,
        "replicas_per_instance": per_instance,
        "idle_timeout_s": idle,
        "cold_start_s": cold,
        "scale_interval_s": window_s,
        "serverless_step_s": step_s,
        "requests_delayed": delayed,
    }


def _spot_factor(pair, rule, options: Options, mean_request_tokens: float) -> float:
    """Replica time per useful replica time on spot capacity (1 elsewhere). [-]"""
    if pair["pricing"] != "spot":
        return 1.0
    rate = options.interruptions_per_hour
    rate = float(rule["interruptions_per_hour"]) if rate is None else rate
    restart = options.restart_s
    restart = (
        (0.0 if pd.isna(rule["restart_seconds"]) else float(rule["restart_seconds"]))
        if restart is None
        else restart
    )
    redo = mean_request_tokens / float(pair["tokens_per_second"])
    return formulas.spot_time_factor(rate, restart + redo)


@dataclass(frozen=True)
class Demand:
    """A log's work, read once: tokens per minute and per serverless step, and its totals.

    Build with :meth:`from_trace`; every sizing and sweep prices from it without reading the
    log again.
    """

    path: str
    minutes: tuple[np.ndarray, np.ndarray, np.ndarray]
    fine: tuple[np.ndarray, np.ndarray, np.ndarray, float]
    span_s: float
    requests: float
    tokens: float

    @classmethod
    def from_trace(
        cls, trace: Trace, *, diy_token_basis: str = "total", step_s: int | None = None
    ) -> Demand:
        if not trace.has_timestamps:
            trace.per_minute()  # the one-line refusal without timestamps
        totals = trace.summary().iloc[0]
        tokens = float(totals["output_tokens"])
        if diy_token_basis == "total":
            tokens += float(totals["input_tokens"] + totals["cached_input_tokens"])
        if tokens <= 0:
            raise InputError(f"{trace.path}: no {diy_token_basis} tokens to serve on rented GPUs")
        step_s = step_s or autoscaling.DEFAULT_SERVERLESS_STEP_SECONDS
        return cls(
            path=str(trace.path),
            minutes=_work(trace, diy_token_basis, SECONDS_PER_MINUTE),
            fine=(*_work(trace, diy_token_basis, step_s), float(step_s)),
            span_s=_span_seconds(trace),
            requests=float(totals["requests"]),
            tokens=tokens,
        )


def _demand(trace: Trace | Demand, diy_token_basis: str, options: Options) -> Demand:
    """``trace`` read into a :class:`Demand` once (a Demand is used as it is)."""
    if isinstance(trace, Demand):
        return trace
    return Demand.from_trace(
        trace, diy_token_basis=diy_token_basis, step_s=options.scale_interval_s
    )


def size(
    trace: Trace | Demand,
    priced_pairs: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    diy_token_basis: str = "total",
    options: Options = Options(),
    rules: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every sizing of every priced pair on the log; one row per pair, aligned with it.

    ``trace`` may be a :class:`Demand` already read (its token basis and step then hold).
    Columns: for each sizing ``s`` in ``peak_sized``, ``autoscaled``, ``serverless``:
    ``replica_hours_{s}`` [replica-h billed: instance-hours x replicas an instance holds],
    ``cost_usd_{s}`` [USD], ``utilization_{s}`` [-] (busy share of the billed replica time);
    ``replicas_peak`` [-] (the busiest minute's), ``replicas_mean`` [-], ``cold_starts`` and
    ``requests_delayed`` [-] and ``added_latency_s_mean`` / ``added_latency_s_max`` [s] of
    the serverless sizing; the options used per row (``idle_timeout_s``, ``cold_start_s``,
    ``scale_interval_s``), the billing rule (``billing_increment_seconds``,
    ``gpus_per_instance_min``, ``gpus_per_instance``, ``scales_to_zero``, ``billing_rule``)
    and ``spot_time_factor`` [-].
    """
    options.check()
    demand = _demand(trace, diy_token_basis, options)
    rule_rows = gpu_billing.rules_for(priced_pairs, as_of, rules)
    rows = []
    for (_, pair), (_, rule) in zip(priced_pairs.iterrows(), rule_rows.iterrows(), strict=True):
        rows.append(_row(pair, rule, demand, options))
    result = pd.DataFrame(rows, index=priced_pairs.index)
    keep = ["billing_increment_seconds", "gpus_per_instance_min", "scales_to_zero", "billing_rule"]
    return pd.concat([result, rule_rows[keep]], axis=1)


def _row(pair, rule, demand: Demand, options: Options) -> dict:
    one = _one(pair, rule, demand.minutes, demand.fine, demand.span_s, options)
    spot = _spot_factor(pair, rule, options, demand.tokens / demand.requests)
    gpu_hour_usd = float(pair["usd_per_gpu_hour"]) * one["gpus_per_instance"]
    row = {"spot_time_factor": spot, "gpus_per_instance": one["gpus_per_instance"]}
    busy_h = demand.tokens / float(pair["tokens_per_second"]) / SECONDS_PER_HOUR
    for sizing, column in SIZING_COLUMNS.items():
        # Committed capacity runs whether used or not: a reservation bills its peak.
        bill = one["bills"]["peak" if pair["pricing"] == "reserved" else sizing]
        hours = bill.replica_seconds * spot / SECONDS_PER_HOUR  # instance-hours billed
        slots = hours * one["replicas_per_instance"]
        row[f"replica_hours_{column}"] = slots
        row[f"cost_usd_{column}"] = hours * gpu_hour_usd
        row[f"utilization_{column}"] = min(1.0, busy_h / slots)
    serverless = one["bills"]["serverless"]
    return row | {
        "replicas_peak": float(max(one["peak_need"], options.min_replicas)),
        "replicas_mean": busy_h * SECONDS_PER_HOUR / demand.span_s,
        "cold_starts": serverless.cold_starts,
        "requests_delayed": one["requests_delayed"],
        "added_latency_s_mean": one["requests_delayed"] * one["cold_start_s"] / demand.requests,
        "added_latency_s_max": one["cold_start_s"] if serverless.cold_starts else 0.0,
        **{k: one[k] for k in ("idle_timeout_s", "cold_start_s", "scale_interval_s")},
    }


def not_serverless(sized: pd.DataFrame) -> np.ndarray:
    """Rows whose provider does not scale to zero (no serverless bill exists for them)."""
    return ~sized["scales_to_zero"].to_numpy(dtype=bool)


def idle_timeout_sweep(
    trace: Trace | Demand,
    priced_pairs: pd.DataFrame,
    timeouts_s,
    *,
    as_of: pd.Timestamp,
    diy_token_basis: str = "total",
    options: Options = Options(),
) -> pd.DataFrame:
    """Serverless cost and added latency of each pair at each idle timeout. [USD], [s]

    One row per (pair, ``idle_timeout_s``): the pair's ``offering_id``, ``cost_usd`` of
    every sizing, ``cold_starts``, ``requests_delayed``, ``added_latency_s_mean`` and
    ``serverless_to_peak`` (serverless cost / peak-sized cost) [-]. The log is read once.
    """
    demand = _demand(trace, diy_token_basis, options)
    rules = gpu_billing.load_billing_rules()
    frames = []
    ids = offerings.ids(
        priced_pairs.assign(
            platform_type="diy_gpu", serving_assumption=priced_pairs["assumption_id"]
        )
    )
    for timeout in timeouts_s:
        at = replace(options, idle_timeout_s=float(timeout))
        sized = size(demand, priced_pairs, as_of=as_of, options=at, rules=rules)
        columns = ["cost_usd_serverless", "cost_usd_peak_sized", "cost_usd_autoscaled"]
        columns += ["cold_starts", "requests_delayed", "added_latency_s_mean", "cold_start_s"]
        frames.append(sized[columns].assign(offering_id=ids.to_numpy(), idle_timeout_s=timeout))
    table = pd.concat(frames, ignore_index=True)
    table["serverless_to_peak"] = table["cost_usd_serverless"] / table["cost_usd_peak_sized"]
    return table


def serverless_on_logs(
    logs_by_name: dict[str, Trace],
    priced_pairs: pd.DataFrame,
    timeouts_s,
    *,
    as_of: pd.Timestamp,
    options: Options = Options(),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The cheapest serverless offering on each log, and its cost and delay by idle timeout.

    For every log, the pairs whose provider scales to zero are sized at ``options`` (the
    provider's idle timeout unless given); the cheapest serverless bill is the log's
    headline, and that offering is swept over ``timeouts_s`` (its default included).

    Returns
    -------
    headline
        One row per log: ``log``, ``offering_id``, the pair's identity columns, every
        sizing's ``cost_usd_*`` [USD], ``serverless_to_peak`` [-], ``idle_timeout_s``,
        ``cold_start_s`` [s], ``cold_starts`` [-], ``added_latency_s_mean`` [s], and the
        sweep's ``best_idle_timeout_s`` [s] with its ``best_serverless_to_peak`` [-].
        Empty when no offering scales to zero.
    sweep
        :func:`idle_timeout_sweep` of each log's headline offering, with ``log``.
    """
    heads, sweeps = [], []
    if priced_pairs.empty:
        return pd.DataFrame(), pd.DataFrame()
    zero = gpu_billing.rules_for(priced_pairs, as_of)["scales_to_zero"].to_numpy(dtype=bool)
    pairs = priced_pairs[zero].reset_index(drop=True)
    if pairs.empty:
        return pd.DataFrame(), pd.DataFrame()
    for name, trace in logs_by_name.items():
        demand = Demand.from_trace(trace, step_s=options.scale_interval_s)
        sized = size(demand, pairs, as_of=as_of, options=options)
        best = int(np.argmin(sized["cost_usd_serverless"].to_numpy()))
        pair = pairs.iloc[[best]]
        timeouts = sorted({*map(float, timeouts_s), float(sized["idle_timeout_s"].iloc[best])})
        sweep = idle_timeout_sweep(demand, pair, timeouts, as_of=as_of, options=options)
        cheapest = sweep.loc[sweep["cost_usd_serverless"].idxmin()]
        row = sized.iloc[best]
        heads.append(
            {
                "log": name,
                "offering_id": sweep["offering_id"].iloc[0],
                "platform_type": "diy_gpu",
                **{c: pair.iloc[0][c] for c in ("provider", "gpu", "tier", "pricing")},
                "serving_assumption": pair.iloc[0]["assumption_id"],
                **{f"cost_usd_{c}": row[f"cost_usd_{c}"] for c in SIZING_COLUMNS.values()},
                "serverless_to_peak": row["cost_usd_serverless"] / row["cost_usd_peak_sized"],
                **{c: row[c] for c in ("idle_timeout_s", "cold_start_s", "cold_starts")},
                "added_latency_s_mean": row["added_latency_s_mean"],
                "best_idle_timeout_s": cheapest["idle_timeout_s"],
                "best_serverless_to_peak": cheapest["serverless_to_peak"],
            }
        )
        sweeps.append(sweep.assign(log=name))
    return pd.DataFrame(heads), pd.concat(sweeps, ignore_index=True)


__all__ = [
    "SIZING_COLUMNS",
    "Demand",
    "Options",
    "idle_timeout_sweep",
    "not_serverless",
    "serverless_on_logs",
    "size",
]
