"""How the GPUs of a self-hosted cost are paid: the billing basis of every DIY number.

"Is self-hosting cheaper?" has no answer until one says how the rented GPUs are paid. The
article's formula pays only the busy GPU-hours of one job; a replica that serves steady
traffic is paid all month whether busy or not; a deployment sized for a known arrival
pattern pays the replicas the arrivals need. Each is a *billing basis*
(:data:`infermodel.formulas.BILLING_BASES`), carried as the column ``billing_basis`` on every
DIY row the kit emits (cost, trace, break-even, bill and maturity tables), and priced here by
one function per basis, each reusing the formulas already there:

- :func:`busy_hours_cost`: ``busy_hours``, :func:`infermodel.formulas.gpu_cost_usd`;
- :func:`kept_up_cost`: ``always_on`` over any period (a month, a bill's charge period),
  :func:`infermodel.formulas.diy_period_cost_usd`, the formula the break-even page uses;
- ``per_hour`` is :func:`infermodel.formulas.diy_period_cost_usd` with ``billing="per_hour"``
  (:mod:`infermodel.analyses.growth`), and ``peak_sized``, ``autoscaled`` and ``serverless`` are
  sized
  from a request log's arrivals by :mod:`infermodel.pricing.gpu_sizing` (:func:`of_sizing` names
  them).

Traffic that must be answered as it arrives (``realtime``) is billed as replicas kept up for
the period (:func:`for_traffic`); a batch job's tokens as its busy hours. The serving
assumption must fit the traffic as well: :mod:`infermodel.estimator.serving_checks`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from infermodel import checks, formulas

#: Every billing basis, in the order the kit explains them.
BASES = formulas.BILLING_BASES
#: Kinds of traffic an alternative is asked to serve: a batch job, or requests answered as
#: they arrive.
TRAFFIC = ("batch", "realtime")
#: The billing basis of each ``diy_sizing`` of a request log
#: (:mod:`infermodel.pricing.trace_pricing`).
SIZING_BASES = {"peak": "peak_sized", "autoscaled": "autoscaled", "serverless": "serverless"}


def check(basis: str) -> str:
    """``basis`` if it is one of :data:`BASES`, else :class:`~infermodel.errors.InputError`."""
    checks.one_of("billing_basis", basis, BASES)
    return basis


def of_sizing(diy_sizing: str) -> str:
    """The billing basis of a request log's ``diy_sizing`` (``peak``, ``autoscaled``,
    ``serverless``)."""
    checks.one_of("diy_sizing", diy_sizing, tuple(SIZING_BASES))
    return SIZING_BASES[diy_sizing]


def of_billing(billing: str) -> str:
    """The billing basis of a monthly ``billing`` (``always_on`` or ``per_hour``,
    :data:`infermodel.formulas.BILLING`): the same words."""
    checks.one_of("billing", billing, formulas.BILLING)
    return billing


def for_traffic(traffic: str) -> str:
    """How rented GPUs serving ``traffic`` are billed: ``always_on`` for requests answered as
    they arrive (replicas are up whether a request comes or not), ``busy_hours`` for a batch
    job (GPUs rented for the hours the job takes)."""
    checks.one_of("traffic", traffic, TRAFFIC)
    return "always_on" if traffic == "realtime" else "busy_hours"


def traffic_of_tiers(service_tiers) -> str:
    """The traffic a bill's lines carry: ``batch`` when every line was billed at the batch
    tier (the provider's batch API), else ``realtime``."""
    tiers = {str(t) for t in service_tiers}
    return "batch" if tiers and tiers == {"batch"} else "realtime"


def _useful_tokens_per_second(tokens_per_second, spot_time_factor):
    """Throughput net of spot interruptions (their time is bought, their work redone)."""
    factor = np.asarray(1.0 if spot_time_factor is None else spot_time_factor, dtype=float)
    return np.asarray(tokens_per_second, dtype=float) / np.where(np.isnan(factor), 1.0, factor)


def busy_hours_cost(
    tokens,
    tokens_per_second,
    utilization,
    usd_per_gpu_hour,
    *,
    gpus_per_replica=1,
    spot_time_factor=None,
) -> dict[str, np.ndarray]:
    """The ``busy_hours`` basis: the GPU-hours one job keeps its replica busy, at the article's
    formula (:func:`infermodel.formulas.gpu_cost_usd`), spot interruptions bought on top.

    Returns ``gpu_hours`` [GPU-h], ``wall_clock_hours`` [h] and ``cost_usd`` [USD].
    """
    factor = 1.0 if spot_time_factor is None else np.asarray(spot_time_factor, dtype=float)
    hours = formulas.gpu_hours(tokens, tokens_per_second, utilization, gpus_per_replica=1)
    return {
        "gpu_hours": hours * gpus_per_replica * factor,
        "wall_clock_hours": formulas.wall_clock_hours(tokens, tokens_per_second, utilization)
        * factor,
        "cost_usd": formulas.gpu_cost_usd(
            tokens,
            tokens_per_second,
            utilization,
            usd_per_gpu_hour,
            gpus_per_replica=gpus_per_replica,
        )
        * factor,
    }


def kept_up_cost(
    tokens,
    period_hours,
    tokens_per_second,
    utilization,
    usd_per_gpu_hour,
    *,
    gpus_per_replica=1,
    spot_time_factor=None,
    min_replicas: int = 1,
) -> dict[str, np.ndarray]:
    """The ``always_on`` basis: whole replicas kept up for the whole period, at least
    ``min_replicas`` or as many as ``tokens`` need at ``utilization``.

    The cost is :func:`infermodel.formulas.diy_period_cost_usd` (``billing="always_on"``),
    the formula of the break-even page (a month is ``HOURS_PER_MONTH`` hours there), with
    spot capacity's useful throughput net of its interruptions as on that page.

    Returns ``replicas`` [-], ``gpu_hours`` (paid: replicas x GPUs x ``period_hours``)
    [GPU-h], ``wall_clock_hours`` (the period) [h], ``busy_share`` (busy time over paid time)
    [-] and ``cost_usd`` [USD].
    """
    tps = _useful_tokens_per_second(tokens_per_second, spot_time_factor)
    replicas = formulas.replicas_kept_up(
        tokens, period_hours, tps, utilization, min_replicas=min_replicas
    )
    cost = formulas.diy_period_cost_usd(
        tokens,
        period_hours,
        tps,
        utilization,
        usd_per_gpu_hour,
        gpus_per_replica=gpus_per_replica,
        min_replicas=min_replicas,
        billing="always_on",
    )
    busy = formulas.wall_clock_hours(tokens, tps, 1.0)
    paid = replicas * np.asarray(period_hours, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(paid > 0, busy / paid, np.nan)
    return {
        "replicas": replicas,
        "gpu_hours": paid * gpus_per_replica,
        "wall_clock_hours": np.broadcast_to(np.asarray(period_hours, dtype=float), np.shape(cost)),
        "busy_share": share,
        "cost_usd": cost,
    }


def reprice_kept_up(
    rows: pd.DataFrame, tokens: float, period_hours: float, *, min_replicas: int = 1
) -> pd.DataFrame:
    """DIY rows of a cost table repriced on the ``always_on`` basis for ``tokens`` served
    over ``period_hours``: ``billing_basis``, ``replicas``, ``gpu_hours``,
    ``wall_clock_hours`` and ``cost_usd`` replaced (:func:`kept_up_cost`); the throughput,
    utilization and GPU price of each row kept. [tokens], [h]
    """
    kept = kept_up_cost(
        tokens,
        period_hours,
        rows["tokens_per_second"].to_numpy(float),
        rows["utilization"].to_numpy(float),
        rows["usd_per_gpu_hour"].to_numpy(float),
        gpus_per_replica=rows["gpus_per_replica"].to_numpy(float),
        spot_time_factor=(
            pd.to_numeric(rows["spot_time_factor"], errors="coerce").to_numpy(float)
            if "spot_time_factor" in rows
            else None
        ),
        min_replicas=min_replicas,
    )
    return rows.assign(
        billing_basis="always_on",
        replicas=kept["replicas"],
        gpu_hours=kept["gpu_hours"],
        wall_clock_hours=kept["wall_clock_hours"],
        cost_usd=kept["cost_usd"],
    )


__all__ = [
    "BASES",
    "SIZING_BASES",
    "TRAFFIC",
    "busy_hours_cost",
    "check",
    "for_traffic",
    "kept_up_cost",
    "of_billing",
    "of_sizing",
    "reprice_kept_up",
    "traffic_of_tiers",
]
