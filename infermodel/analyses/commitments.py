"""Reserved GPUs on a growing volume: what a term bought in month N costs, and when it pays back.

A reservation (RunPod's savings plans, a provider's 1-year term) buys ``replicas`` for
``term_months`` at the reserved rate, billed every hour of the term whether used or not. The
volume above what they serve runs on on-demand replicas at the on-demand rate; after the term
everything is on demand again. Against staying on demand all along, the reservation
saves the on-demand replicas it replaces and costs its committed hours (its unused hours
included, and counted). Paid upfront, the whole term is paid in month N; else month by month.

``payback_month`` is the first month by which the reservation's cumulative saving (on-demand
cost avoided minus what it cost so far, upfront counted in month N) is at least 0; empty when
it never is within the path. Replicas follow :func:`infermodel.formulas.diy_monthly_cost_usd`'s
``always_on`` billing: whole replicas, each serving ``tokens_per_second x 3600 x utilization x
730`` tokens a month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from infermodel import checks
from infermodel.analyses.growth import find_offering
from infermodel.errors import InputError
from infermodel.units import HOURS_PER_MONTH, SECONDS_PER_HOUR

MAX_TERM_MONTHS = 60


def reservation_path(
    table: pd.DataFrame,
    path: pd.DataFrame,
    diy_offering_id: str,
    *,
    reserved_usd_per_gpu_hour: float,
    start_month: int,
    term_months: int = 12,
    replicas: int | None = None,
    upfront: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly cost of a reservation bought in ``start_month`` against staying on demand.

    Parameters
    ----------
    table
        A :func:`~infermodel.pricing.compare.cost_table` holding ``diy_offering_id`` (its on-demand
        rate, throughput, utilization and GPUs per replica).
    path
        :func:`infermodel.analyses.growth.volume_path` (``month``, ``tokens_per_month``).
    reserved_usd_per_gpu_hour
        The reserved rate. [USD/GPU-h]
    start_month
        Month the term starts (a month of ``path``). [-]
    term_months
        Length of the term. [months]
    replicas
        Replicas reserved; by default those the start month needs. [-]
    upfront
        The whole term is paid in the start month (RunPod's savings plans); else monthly.

    Returns
    -------
    monthly
        Per month: ``replicas_needed``, ``replicas_reserved`` (0 outside the term),
        ``on_demand_usd`` (staying on demand), ``reserved_usd`` (the commitment billed that
        month: all of it in the start month when upfront), ``overflow_usd`` (on-demand
        replicas above the reservation), ``with_reservation_usd``, ``unused_gpu_hours``
        (reserved GPU-hours no token needed) and ``cumulative_saving_usd``.
    summary
        One row: the inputs, ``total_saving_usd`` over the path and the rest of the term,
        ``unused_gpu_hours``, ``unused_usd``, ``months_beyond_path`` and ``payback_month``
        (empty: never by the end of the term or the path).
    """
    checks.values_in_range("reserved_usd_per_gpu_hour", reserved_usd_per_gpu_hour, low=0.0)
    checks.whole("term_months", term_months, minimum=1, maximum=MAX_TERM_MONTHS)
    months = path["month"].to_numpy()
    if start_month not in set(months.tolist()):
        raise InputError(
            f"start_month must be a month of the path ({months.min()}-{months.max()}), "
            f"got {start_month!r}"
        )
    row = find_offering(table, diy_offering_id, kind="diy_gpu")
    path = _through_term(path, start_month + term_months - 1)
    monthly, reserved = _monthly(
        row, path, reserved_usd_per_gpu_hour, start_month, term_months, replicas, upfront
    )
    saving = monthly["cumulative_saving_usd"].to_numpy()
    months = monthly["month"].to_numpy()
    paid_back = np.flatnonzero((months >= start_month) & (saving >= -1e-9))
    unused = float(monthly["unused_gpu_hours"].sum())
    summary = pd.DataFrame(
        {
            "diy_offering_id": [diy_offering_id],
            "on_demand_usd_per_gpu_hour": [float(row["usd_per_gpu_hour"])],
            "reserved_usd_per_gpu_hour": [float(reserved_usd_per_gpu_hour)],
            "start_month": [start_month],
            "term_months": [term_months],
            "replicas_reserved": [reserved],
            "upfront": [upfront],
            "total_saving_usd": [float(saving[-1])],
            "unused_gpu_hours": [unused],
            "unused_usd": [unused * reserved_usd_per_gpu_hour],
            "months_beyond_path": [int(path["beyond_path"].sum())],
            "payback_month": pd.array(
                [int(months[paid_back[0]]) if len(paid_back) else None], dtype="Int64"
            ),
        }
    )
    return monthly, summary


def _monthly(row, path, rate, start_month, term_months, replicas, upfront):
    """The month-by-month table of :func:`reservation_path`, and the replicas reserved."""
    months = path["month"].to_numpy()
    volume = path["tokens_per_month"].to_numpy(float)
    tps = float(row["tokens_per_second"]) / float(row.get("spot_time_factor", 1.0) or 1.0)
    utilization, gpus = float(row["utilization"]), float(row["gpus_per_replica"])
    capacity = tps * SECONDS_PER_HOUR * utilization * HOURS_PER_MONTH  # tokens/replica-month
    need = np.ceil(volume / capacity - 1e-9).clip(min=0)
    replica_month = gpus * HOURS_PER_MONTH  # GPU-hours a replica is billed a month
    on_demand = need * replica_month * float(row["usd_per_gpu_hour"])
    in_term = (months >= start_month) & (months < start_month + term_months)
    start = int(np.flatnonzero(months == start_month)[0])
    reserved = int(need[start]) if replicas is None else checks.whole("replicas", replicas)
    held = np.where(in_term, reserved, 0)
    commitment = reserved * replica_month * rate  # USD a month
    if upfront:
        reserved_usd = np.where(months == start_month, commitment * term_months, 0.0)
    else:
        reserved_usd = np.where(in_term, commitment, 0.0)
    overflow = np.maximum(need - held, 0) * replica_month * float(row["usd_per_gpu_hour"])
    used_gpu_hours = volume / (tps * SECONDS_PER_HOUR) * gpus
    unused = np.where(in_term, np.maximum(held * replica_month - used_gpu_hours, 0.0), 0.0)
    with_reservation = np.where(in_term, reserved_usd + overflow, on_demand)
    saving = np.cumsum(np.where(months >= start_month, on_demand - with_reservation, 0.0))
    monthly = pd.DataFrame(
        {
            "month": months,
            "tokens_per_month": volume,
            "replicas_needed": need,
            "replicas_reserved": held,
            "on_demand_usd": on_demand,
            "reserved_usd": reserved_usd,
            "overflow_usd": np.where(in_term, overflow, 0.0),
            "with_reservation_usd": with_reservation,
            "unused_gpu_hours": unused,
            "cumulative_saving_usd": saving,
            "beyond_path": path["beyond_path"].to_numpy(),
        }
    )
    return monthly, reserved


def reserved_rate(
    table: pd.DataFrame, diy_offering_id: str, prices_gpu: pd.DataFrame
) -> float | None:
    """The reserved rate of the same provider and GPU as ``diy_offering_id``, if tracked.

    ``prices_gpu`` is a snapshot's GPU table; None when no ``reserved`` row exists.
    [USD/GPU-h]
    """
    row = find_offering(table, diy_offering_id, kind="diy_gpu")
    same = prices_gpu[
        (prices_gpu["provider"] == row["provider"])
        & (prices_gpu["gpu"] == row["gpu"])
        & (prices_gpu["pricing"] == "reserved")
    ]
    return float(same["usd_per_gpu_hour"].min()) if len(same) else None


#: Reserved-rate discount when no reserved rate is tracked for the GPU: RunPod's Serverless
#: page gives active (always-on) workers "a 20-30% discount compared to flex workers"
#: (https://docs.runpod.io/serverless/pricing); the kit takes the top of that range as an
#: illustration, labelled as such wherever it is used. [-]
ILLUSTRATIVE_DISCOUNT_SHARE = 0.3


def _through_term(path: pd.DataFrame, last_month: int) -> pd.DataFrame:
    """``path`` with ``beyond_path`` (False), extended to ``last_month`` at its last volume.

    A volume path holds after its growth months, so a term running past the months shown is
    priced at the last month's volume (``beyond_path`` True), not cut short.
    """
    path = path[["month", "tokens_per_month"]].assign(beyond_path=False)
    last = int(path["month"].max())
    if last_month <= last:
        return path
    extra = pd.DataFrame(
        {
            "month": np.arange(last + 1, last_month + 1),
            "tokens_per_month": float(path["tokens_per_month"].iloc[-1]),
            "beyond_path": True,
        }
    )
    return pd.concat([path, extra], ignore_index=True)


def rate_for(
    table: pd.DataFrame,
    diy_offering_id: str,
    prices_gpu: pd.DataFrame,
    *,
    reserved_usd_per_gpu_hour: float = 0.0,
    discount_share: float = ILLUSTRATIVE_DISCOUNT_SHARE,
) -> tuple[float, str]:
    """The reserved rate to use and where it comes from: given, tracked, or illustrative.

    A given rate (> 0) wins; else the tracked reserved rate of the same provider and GPU
    (:func:`reserved_rate`); else the on-demand rate less ``discount_share``. Returns
    ``(rate [USD/GPU-h], source)`` with ``source`` one of ``"given"``, ``"tracked"``,
    ``"illustrative"``.
    """
    checks.values_in_range("reserved_usd_per_gpu_hour", reserved_usd_per_gpu_hour, low=0.0)
    checks.values_in_range("discount_share", discount_share, low=0.0, high=1.0, high_open=True)
    if reserved_usd_per_gpu_hour > 0:
        return float(reserved_usd_per_gpu_hour), "given"
    tracked = reserved_rate(table, diy_offering_id, prices_gpu)
    if tracked is not None:
        return tracked, "tracked"
    row = find_offering(table, diy_offering_id, kind="diy_gpu")
    return float(row["usd_per_gpu_hour"]) * (1 - discount_share), "illustrative"


def reservation_paths(
    table: pd.DataFrame,
    path: pd.DataFrame,
    diy_offering_id: str,
    start_months,
    *,
    reserved_usd_per_gpu_hour: float,
    term_months: int = 12,
    upfront: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`reservation_path` for each start month: (monthly with ``start_month``, summary)."""
    monthly, summaries = [], []
    for start in start_months:
        one, summary = reservation_path(
            table,
            path,
            diy_offering_id,
            reserved_usd_per_gpu_hour=reserved_usd_per_gpu_hour,
            start_month=int(start),
            term_months=term_months,
            upfront=upfront,
        )
        monthly.append(one.assign(start_month=int(start)))
        summaries.append(summary)
    return pd.concat(monthly, ignore_index=True), pd.concat(summaries, ignore_index=True)


__all__ = [
    "ILLUSTRATIVE_DISCOUNT_SHARE",
    "MAX_TERM_MONTHS",
    "rate_for",
    "reservation_path",
    "reservation_paths",
    "reserved_rate",
]
