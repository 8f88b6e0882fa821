"""Cost as volume grows: break-even volumes, monthly cost curves and the maturity path.

An API bill grows with every token. A self-hosted bill grows in steps: whole replicas kept
up for the month (or whole GPU-hours), at least ``min_replicas`` for availability, plus an
optional fixed monthly cost for the people and tooling self-hosting needs
(:func:`infermodel.formulas.diy_monthly_cost_usd`). This module applies those formulas to
the rows of a :func:`~infermodel.pricing.compare.cost_table`:

- :func:`break_even_table`: for every (API offering, DIY option) pair, the monthly volume from
  which self-hosting is no dearer, and the utilization it would need at a given volume, with
  the reason when it can never win;
- :func:`monthly_cost_curves`: monthly cost against monthly volume for each offering;
- :func:`volume_path` and :func:`maturity_path`: a volume that grows (e.g. 100x in six
  months), its monthly and cumulative cost on a proprietary API, a managed API and own GPUs,
  the month each switch pays back a one-off switching cost, and the month the API bill
  passes a "shock" threshold.

API offerings are priced per token at the cost table's token mix (its
``usd_per_million_tokens``); DIY options keep the table's throughput, GPUs per replica and
GPU price, with ``utilization`` read as the busy fraction a replica can sustain.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from infermodel import formulas
from infermodel.errors import InputError
from infermodel.tables.offerings import find as find_offering
from infermodel.tables.offerings import ids as offering_ids
from infermodel.tables.offerings import labels as offering_labels
from infermodel.units import HOURS_PER_MONTH, SECONDS_PER_HOUR, TOKENS_PER_MILLION


def _check_billing(billing: str, min_replicas, fixed_usd_per_month, max_replicas) -> None:
    if billing not in formulas.BILLING:
        raise InputError(f"billing must be one of {', '.join(formulas.BILLING)}, got {billing!r}")
    if isinstance(min_replicas, bool) or not isinstance(min_replicas, (int, np.integer)):
        raise InputError(f"min_replicas must be a whole number >= 0, got {min_replicas!r}")
    if min_replicas < 0:
        raise InputError(f"min_replicas must be a whole number >= 0, got {min_replicas!r}")
    if not np.isfinite(fixed_usd_per_month) or fixed_usd_per_month < 0:
        raise InputError(
            f"fixed_usd_per_month must be >= 0 [USD/month], got {fixed_usd_per_month!r}"
        )
    if max_replicas is not None and (
        isinstance(max_replicas, bool)
        or not isinstance(max_replicas, (int, np.integer))
        or max_replicas < max(1, min_replicas)
    ):
        raise InputError(
            f"max_replicas must be a whole number >= max(1, min_replicas), or None; "
            f"got {max_replicas!r}"
        )


def _split(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    labelled = table.assign(offering_id=offering_ids(table), offering=offering_labels(table))
    is_diy = labelled["platform_type"] == "diy_gpu"
    return labelled[~is_diy], labelled[is_diy]


def break_even_table(
    table: pd.DataFrame,
    *,
    billing: str = "always_on",
    min_replicas: int = 1,
    fixed_usd_per_month: float = 0.0,
    max_replicas: int | None = None,
    tokens_per_month: float | None = None,
) -> pd.DataFrame:
    """Break-even monthly volume for every (API offering, DIY option) pair of a cost table.

    Parameters
    ----------
    table
        A :func:`~infermodel.pricing.compare.cost_table`: its API rows give the price per token at
        the
        workload's mix, its DIY rows the throughput, utilization, GPUs and GPU price.
    billing, min_replicas, fixed_usd_per_month
        How the DIY option pays (:func:`infermodel.formulas.diy_monthly_cost_usd`).
    max_replicas
        Most replicas the DIY option can get (a capacity limit); None for no limit.
    tokens_per_month
        A volume at which to give the break-even utilization; None to skip. [tokens/month]

    Returns
    -------
    pandas.DataFrame
        One row per pair, API offerings in the table's order: ``api_offering``,
        ``diy_offering``, the prices, ``break_even_million_tokens_per_month`` (NaN when
        self-hosting never wins), ``always_cheaper_from_million_tokens_per_month``,
        ``replicas_at_break_even``, ``break_even_utilization`` (when ``tokens_per_month``
        is given) and ``reason`` saying why a DIY option never wins.
    """
    _check_billing(billing, min_replicas, fixed_usd_per_month, max_replicas)
    pairs = _pairs(table)
    api_price = pairs["usd_per_million_tokens_api"].to_numpy(float)
    tps = effective_tokens_per_second(pairs, "_diy")
    utilization = pairs["utilization_diy"].to_numpy(float)
    gpu_price = pairs["usd_per_gpu_hour_diy"].to_numpy(float)
    gpus = pairs["gpus_per_replica_diy"].to_numpy(float)
    options = dict(
        gpus_per_replica=gpus,
        min_replicas=min_replicas,
        fixed_usd_per_month=fixed_usd_per_month,
        billing=billing,
    )
    reserved = (pairs["pricing_diy"] == "reserved").to_numpy()
    first, always = _break_even(api_price, tps, utilization, gpu_price, reserved, options)
    capacity = tps * SECONDS_PER_HOUR * utilization * HOURS_PER_MONTH  # per replica
    replicas = np.maximum(max(min_replicas, 1), np.ceil(first / capacity))
    full_use = formulas.self_hosted_usd_per_million_tokens(
        tps, utilization, gpu_price, gpus_per_replica=gpus
    )
    reason = _price_reasons(first, full_use, utilization, api_price)
    if max_replicas is not None:
        first, always, replicas, reason = _capacity_limit(
            first, always, replicas, reason, max_replicas
        )
    out = pd.DataFrame(
        {
            "api_offering_id": pairs["offering_id_api"],
            "api_offering": pairs["offering_api"],
            "api_platform_type": pairs["platform_type_api"],
            "api_provider": pairs["provider_api"],
            "api_model": pairs["model_api"],
            "api_usd_per_million_tokens": api_price,
            "diy_offering_id": pairs["offering_id_diy"],
            "diy_offering": pairs["offering_diy"],
            "diy_provider": pairs["provider_diy"],
            "gpu": pairs["gpu_diy"],
            "tier": pairs["tier_diy"],
            "serving_assumption": pairs["serving_assumption_diy"],
            "tokens_per_second": tps,
            "utilization": utilization,
            "gpus_per_replica": gpus,
            "usd_per_gpu_hour": gpu_price,
            "diy_usd_per_million_tokens_busy": full_use,
            "billing": billing,
            "min_replicas": min_replicas,
            "max_replicas": max_replicas,
            "fixed_usd_per_month": float(fixed_usd_per_month),
            "break_even_million_tokens_per_month": first / TOKENS_PER_MILLION,
            "always_cheaper_from_million_tokens_per_month": always / TOKENS_PER_MILLION,
            "replicas_at_break_even": np.where(np.isnan(first), np.nan, replicas),
            "reason": reason,
        }
    )
    if tokens_per_month is not None:
        out["tokens_per_month"] = float(tokens_per_month)
        out["break_even_utilization"] = formulas.break_even_utilization(
            api_price,
            tps,
            gpu_price,
            gpus_per_replica=gpus,
            tokens_per_month=float(tokens_per_month),
            fixed_usd_per_month=fixed_usd_per_month,
        )
    return out


def _break_even(api_price, tps, utilization, gpu_price, reserved, options: dict):
    """:func:`formulas.break_even_tokens_per_month`, reservations billed every hour."""
    first, always = formulas.break_even_tokens_per_month(
        api_price, tps, utilization, gpu_price, **options
    )
    if options["billing"] != "always_on" and reserved.any():
        # A reservation bills every hour of its term: whole replicas all month, never per hour.
        held = formulas.break_even_tokens_per_month(
            api_price, tps, utilization, gpu_price, **{**options, "billing": "always_on"}
        )
        first = np.where(reserved, held[0], first)
        always = np.where(reserved, held[1], always)
    return first, always


def effective_tokens_per_second(rows: pd.DataFrame, suffix: str = "") -> np.ndarray:
    """Useful throughput of DIY rows: spot capacity loses ``1 - 1/spot_time_factor`` of it.

    [tokens/s]
    """
    tps = rows[f"tokens_per_second{suffix}"].to_numpy(float)
    factor = rows.get(f"spot_time_factor{suffix}")
    if factor is None:
        return tps
    return tps / pd.to_numeric(factor, errors="coerce").fillna(1.0).to_numpy(float)


def _pairs(table: pd.DataFrame) -> pd.DataFrame:
    """Every (API row, DIY row) of a cost table, columns suffixed ``_api`` and ``_diy``."""
    api, diy = _split(table)
    if api.empty or diy.empty:
        raise InputError(
            "break-even needs API rows and DIY rows in the table; got "
            f"{len(api)} API and {len(diy)} DIY rows"
        )
    return api.merge(diy, how="cross", suffixes=("_api", "_diy"))


def _price_reasons(first, full_use, utilization, api_price) -> np.ndarray:
    """Why self-hosting never wins where ``first`` is NaN: a busy replica costs more."""
    return np.where(
        np.isnan(first),
        [
            f"price: a busy replica costs ${f:,.3f}/M tokens at utilization {u:g}, "
            f"above the API's ${a:,.3f}/M"
            for f, u, a in zip(full_use, utilization, api_price, strict=True)
        ],
        "",
    )


def _capacity_limit(first, always, replicas, reason, max_replicas: int):
    """Pairs whose break-even needs more than ``max_replicas`` never win, for capacity."""
    over = ~np.isnan(first) & (replicas > max_replicas)
    reason = np.where(
        over,
        [
            f"capacity: needs {r:,.0f} replicas, more than max_replicas {max_replicas}"
            for r in replicas
        ],
        reason,
    )
    return (
        np.where(over, np.nan, first),
        np.where(over, np.nan, always),
        np.where(over, np.nan, replicas),
        reason,
    )


def monthly_cost_curves(
    table: pd.DataFrame,
    tokens_per_month: Sequence[float] | np.ndarray,
    *,
    billing: str = "always_on",
    min_replicas: int = 1,
    fixed_usd_per_month: float = 0.0,
) -> pd.DataFrame:
    """Monthly cost of every offering of a cost table at each monthly volume.

    Returns a tidy frame: ``offering_id``, ``offering`` (label), ``platform_type``,
    ``tokens_per_month`` [tokens/month], ``cost_usd_per_month`` [USD/month].
    """
    _check_billing(billing, min_replicas, fixed_usd_per_month, None)
    volumes = np.asarray(tokens_per_month, dtype=float)
    if (
        volumes.ndim != 1
        or volumes.size == 0
        or np.any(volumes < 0)
        or not np.all(np.isfinite(volumes))
    ):
        raise InputError("tokens_per_month must be a non-empty list of volumes >= 0 [tokens/month]")
    api, diy = _split(table)
    frames = []
    if not api.empty:
        cost = api["usd_per_million_tokens"].to_numpy(float)[:, None] * volumes / TOKENS_PER_MILLION
        frames.append(_tidy(api, volumes, cost))
    if not diy.empty:
        inputs = (
            effective_tokens_per_second(diy)[:, None],
            diy["utilization"].to_numpy(float)[:, None],
            diy["usd_per_gpu_hour"].to_numpy(float)[:, None],
        )
        paid = dict(
            gpus_per_replica=diy["gpus_per_replica"].to_numpy(float)[:, None],
            min_replicas=min_replicas,
            fixed_usd_per_month=fixed_usd_per_month,
        )
        cost = formulas.diy_monthly_cost_usd(volumes, *inputs, **paid, billing=billing)
        reserved = (diy["pricing"] == "reserved").to_numpy()[:, None]
        if billing != "always_on" and reserved.any():
            held = formulas.diy_monthly_cost_usd(volumes, *inputs, **paid, billing="always_on")
            cost = np.where(reserved, held, cost)  # a reservation bills all its hours
        frames.append(_tidy(diy, volumes, cost))
    return pd.concat(frames, ignore_index=True)


def _tidy(rows: pd.DataFrame, volumes: np.ndarray, cost: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "offering_id": np.repeat(rows["offering_id"].to_numpy(), len(volumes)),
            "offering": np.repeat(rows["offering"].to_numpy(), len(volumes)),
            "platform_type": np.repeat(rows["platform_type"].to_numpy(), len(volumes)),
            "tokens_per_month": np.tile(volumes, len(rows)),
            "cost_usd_per_month": cost.ravel(),
        }
    )


# --- the maturity path -----------------------------------------------------------------------


def volume_path(
    start_tokens_per_month: float,
    *,
    growth_multiple: float = 100.0,
    growth_months: int = 6,
    horizon_months: int = 12,
) -> pd.DataFrame:
    """Monthly volume growing ``growth_multiple``-fold over ``growth_months``, then flat.

    Month 1 serves ``start_tokens_per_month``; each month until month
    ``growth_months + 1`` multiplies the volume by ``growth_multiple ** (1 / growth_months)``
    (steady compound growth), after which it holds until ``horizon_months``.

    Returns ``month`` (1..horizon) and ``tokens_per_month`` [tokens/month].
    """
    for name, value in (("growth_months", growth_months), ("horizon_months", horizon_months)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InputError(f"{name} must be a whole number of months >= 1, got {value!r}")
    if not np.isfinite(start_tokens_per_month) or start_tokens_per_month <= 0:
        raise InputError(
            f"start_tokens_per_month must be > 0 [tokens/month], got {start_tokens_per_month!r}"
        )
    if not np.isfinite(growth_multiple) or growth_multiple <= 0:
        raise InputError(f"growth_multiple must be > 0, got {growth_multiple!r}")
    month = np.arange(1, horizon_months + 1)
    exponent = np.minimum(month - 1, growth_months) / growth_months
    return pd.DataFrame(
        {"month": month, "tokens_per_month": start_tokens_per_month * growth_multiple**exponent}
    )


#: The stages of the article's maturity path, in order.
STAGES = ("proprietary_api", "managed_api", "diy_gpu")


def maturity_path(
    table: pd.DataFrame,
    path: pd.DataFrame,
    offerings: Mapping[str, str],
    *,
    switching_cost_usd: float = 0.0,
    shock_usd_per_month: float | None = None,
    billing: str = "always_on",
    min_replicas: int = 1,
    fixed_usd_per_month: float = 0.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly and cumulative cost of a growing volume on each stage of the maturity path.

    Parameters
    ----------
    table
        A :func:`~infermodel.pricing.compare.cost_table` holding the chosen offerings.
    path
        :func:`volume_path`.
    offerings
        ``{stage: offering id}`` for stages in :data:`STAGES` (ids as in
        :mod:`infermodel.tables.offerings`), e.g. GPT-4o, a managed Llama 70B and a rented H100.
    switching_cost_usd
        One-off cost of each switch (engineering, migration, evaluation). [USD]
    shock_usd_per_month
        Monthly bill that counts as a "bill shock"; None to skip. [USD/month]
    billing, min_replicas, fixed_usd_per_month
        How the DIY stage pays (:func:`infermodel.formulas.diy_monthly_cost_usd`).

    Returns
    -------
    monthly
        One row per month and stage: ``offering_id``, ``offering`` (label),
        ``tokens_per_month``, ``cost_usd_per_month``, ``cumulative_cost_usd`` and
        ``cheapest`` (this stage is the cheapest that month).
    events
        One row per switch (``from_stage`` -> ``to_stage``: ``cheaper_from_month``, the first
        month the new stage costs less; ``pays_back_in_month``, the first month by which the
        savings since then cover ``switching_cost_usd``) and per API stage whose bill passes
        ``shock_usd_per_month`` (``shock_month``). Empty months mean "not within the horizon".
    """
    if not np.isfinite(switching_cost_usd) or switching_cost_usd < 0:
        raise InputError(f"switching_cost_usd must be >= 0 [USD], got {switching_cost_usd!r}")
    if shock_usd_per_month is not None and not shock_usd_per_month > 0:
        raise InputError(
            f"shock_usd_per_month must be > 0 [USD/month], got {shock_usd_per_month!r}"
        )
    unknown = [s for s in offerings if s not in STAGES]
    if unknown or not offerings:
        raise InputError(f"offerings takes stages {', '.join(STAGES)}; got {list(offerings)}")
    options = dict(
        billing=billing, min_replicas=min_replicas, fixed_usd_per_month=fixed_usd_per_month
    )
    stages = [s for s in STAGES if s in offerings]
    monthly = pd.concat(
        [_stage_costs(table, path, stage, offerings[stage], options) for stage in stages],
        ignore_index=True,
    )
    monthly["cumulative_cost_usd"] = monthly.groupby("stage", sort=False)[
        "cost_usd_per_month"
    ].cumsum()
    cheapest = monthly.groupby("month")["cost_usd_per_month"].transform("min")
    monthly["cheapest"] = monthly["cost_usd_per_month"] == cheapest
    wide = monthly.pivot_table(index="month", columns="stage", values="cost_usd_per_month")
    events = _switch_events(wide, stages, switching_cost_usd)
    if shock_usd_per_month is not None:
        events += _shock_events(wide, stages, shock_usd_per_month)
    events_frame = pd.DataFrame(events)
    for column in ("cheaper_from_month", "pays_back_in_month", "shock_month"):
        if column in events_frame:
            events_frame[column] = events_frame[column].astype("Int64")
    return monthly, events_frame


def _stage_costs(
    table: pd.DataFrame, path: pd.DataFrame, stage: str, offering_id: str, options: dict
) -> pd.DataFrame:
    """Monthly cost of one stage's offering along ``path``."""
    row = find_offering(table, offering_id, kind="diy_gpu" if stage == "diy_gpu" else "api")
    if row["platform_type"] != stage:
        raise InputError(
            f"offering {offering_id!r} is a {row['platform_type']} offering, not {stage}"
        )
    volumes = path["tokens_per_month"].to_numpy(float)
    curve = monthly_cost_curves(table.loc[[row.name]], volumes, **options)
    return pd.DataFrame(
        {
            "month": path["month"].to_numpy(),
            "stage": stage,
            "offering_id": offering_id,
            "offering": curve["offering"].iloc[0],
            "tokens_per_month": volumes,
            "cost_usd_per_month": curve["cost_usd_per_month"].to_numpy(),
        }
    )


def _switch_events(wide: pd.DataFrame, stages: list[str], switching_cost_usd: float) -> list:
    """When each switch to the next stage becomes cheaper and pays back its one-off cost."""
    events = []
    for from_stage, to_stage in itertools.pairwise(stages):
        saving = wide[from_stage] - wide[to_stage]
        cheaper = saving[saving > 0]
        start = cheaper.index[0] if len(cheaper) else None
        payback = None
        if start is not None:
            recovered = saving.loc[start:].cumsum()
            paid = recovered[recovered >= switching_cost_usd]
            payback = paid.index[0] if len(paid) else None
        events.append(
            {
                "event": f"switch {from_stage} -> {to_stage}",
                "from_stage": from_stage,
                "to_stage": to_stage,
                "cheaper_from_month": start,
                "pays_back_in_month": payback,
                "switching_cost_usd": float(switching_cost_usd),
                "monthly_saving_usd_at_horizon": float(saving.iloc[-1]),
            }
        )
    return events


def _shock_events(wide: pd.DataFrame, stages: list[str], shock_usd_per_month: float) -> list:
    """The first month each API stage's bill reaches ``shock_usd_per_month``."""
    events = []
    for stage in (s for s in stages if s != "diy_gpu"):
        over = wide[stage][wide[stage] >= shock_usd_per_month]
        events.append(
            {
                "event": f"bill shock on {stage}",
                "from_stage": stage,
                "shock_month": over.index[0] if len(over) else None,
                "shock_usd_per_month": float(shock_usd_per_month),
            }
        )
    return events


def stage_ratios(monthly: pd.DataFrame) -> pd.DataFrame:
    """Cost multiple of each stage over the next one, per month (the article's "10x, 5-10x").

    Returns ``month``, ``tokens_per_month`` and ``proprietary_over_managed`` /
    ``managed_over_diy`` [-] where both stages are present.
    """
    wide = monthly.pivot_table(index="month", columns="stage", values="cost_usd_per_month")
    out = pd.DataFrame({"tokens_per_month": monthly.groupby("month")["tokens_per_month"].first()})
    if {"proprietary_api", "managed_api"} <= set(wide):
        out["proprietary_over_managed"] = wide["proprietary_api"] / wide["managed_api"]
    if {"managed_api", "diy_gpu"} <= set(wide):
        out["managed_over_diy"] = wide["managed_api"] / wide["diy_gpu"]
    return out.reset_index()
