"""Buy, rent or API: when servers you own win, and when a purchase pays back.

The servers of ``owned_gpus.csv`` (:mod:`infermodel.tables.owned_gpus`) are DIY rows of a cost table
like rented GPUs, but they are bought whole and cost every hour: capital (the purchase over
its amortization), hosting and staff per server and month, idle power on every hour and busy
power on the hours the volume keeps busy
(:func:`infermodel.formulas.owning.owned_monthly_cost_usd`).

- :func:`buy_rent_api`: for each owned option against each API and each rented GPU option
  under the same serving assumption: the monthly volume from which owning costs no more
  (exactly, server by server and replica by replica), the share of the owned GPU-hours busy
  at that volume, and at a given volume the purchase, the monthly costs and the months the
  purchase takes to pay back (purchase / (the alternative's monthly bill - the servers'
  running cost: hosting, staff, power)).
- :func:`purchase_path`: buying servers in month N of a growing volume (the maturity path):
  the purchase is paid that month, the servers then serve what they can and the rest stays on
  the alternative; against staying on the alternative, the cumulative saving and the month it
  pays back.

Readings: rented options are billed as whole replicas all month (``always_on``), as the
break-even page bills them; an API bill is its tokens at the row's price (at your contract
where one applies) and no less than a committed spend.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from infermodel import checks
from infermodel.analyses import growth
from infermodel.errors import InputError
from infermodel.formulas import owning
from infermodel.tables import owned_gpus
from infermodel.tables.offerings import find as find_offering
from infermodel.tables.offerings import labels as offering_labels
from infermodel.units import HOURS_PER_MONTH, TOKENS_PER_MILLION

#: Columns of :func:`buy_rent_api`, in order.
COLUMNS = (
    "owned_offering_id",
    "owned_offering",
    "alternative_offering_id",
    "alternative_offering",
    "alternative_kind",
    "owning_wins_from_million_tokens_per_month",
    "owning_always_wins_from_million_tokens_per_month",
    "servers_at_break_even",
    "owned_busy_share_at_break_even",
    "tokens_per_month",
    "servers",
    "purchase_usd",
    "owned_usd_per_month",
    "owned_running_usd_per_month",
    "alternative_usd_per_month",
    "payback_months",
    "reason",
)


def _server(servers: pd.DataFrame, row: pd.Series) -> pd.Series:
    """The owned-server row (a snapshot's GPU row) behind an owned DIY row of a cost table."""
    match = servers[(servers["tier"] == row["tier"]) & (servers["gpu"] == row["gpu"])]
    if match.empty:
        raise InputError(
            f"no server named {row['tier']!r} ({row['gpu']}) in the owned servers given; "
            "pass the price snapshot's GPU rows (snapshot.gpu)"
        )
    return match.iloc[0]


def rented_pieces(row: pd.Series, *, min_replicas: int = 1, fixed_usd_per_month: float = 0.0):
    """(breaks, cost) of a rented DIY row billed as whole replicas all month, for
    :func:`infermodel.formulas.owning.volumes_cheaper`."""
    tps = float(growth.effective_tokens_per_second(row.to_frame().T)[0])
    capacity = tps * 3600 * float(row["utilization"]) * HOURS_PER_MONTH
    per_replica = float(row["gpus_per_replica"]) * HOURS_PER_MONTH * float(row["usd_per_gpu_hour"])
    breaks = capacity * np.arange(1, owning.MAX_STEPS + 1)

    def cost(ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        replicas = np.maximum(min_replicas, np.ceil(ends / capacity - 1e-9))
        return replicas * per_replica + fixed_usd_per_month, np.zeros(ends.shape)

    return breaks, cost


def _pieces(row: pd.Series, **rented):
    if row["platform_type"] != "diy_gpu":
        committed = row.get("committed_usd_per_month", np.nan)
        return growth.api_pieces(float(row["usd_per_million_tokens"]), float(committed))
    return rented_pieces(row, **rented)


def _monthly(rows: pd.DataFrame, volumes: np.ndarray, **paid) -> np.ndarray:
    """Monthly cost of each row at each volume [USD/month] (growth's monthly curves)."""
    curves = growth.monthly_cost_curves(rows, volumes, **paid)
    return curves["cost_usd_per_month"].to_numpy(float).reshape(len(rows), len(volumes))


def _alternatives(table: pd.DataFrame, owned_row: pd.Series, apis) -> pd.DataFrame:
    """The APIs asked for (all by default) and the rented rows of the owned row's serving
    assumption."""
    rented = table[
        (table["platform_type"] == "diy_gpu")
        & (table["serving_assumption"] == owned_row["serving_assumption"])
        & ~owned_gpus.is_owned(table)
    ]
    if apis is None:
        api = table[table["platform_type"] != "diy_gpu"]
    else:
        api = table.loc[[find_offering(table, i, kind="api").name for i in apis]]
    return pd.concat([api, rented])


def _running_usd(row: pd.Series, server: pd.Series, servers: float, volume: float) -> float:
    """What ``servers`` cost a month without their capital: hosting, staff, power. [USD]"""
    parts = owned_gpus.parts_of(row.to_frame().T)
    total = float(
        owning.owned_monthly_cost_usd(
            volume,
            float(growth.effective_tokens_per_second(row.to_frame().T)[0]),
            float(row["utilization"]),
            owning.OwnedParts(*(float(p[0]) for p in parts)),
            gpus_per_replica=float(row["gpus_per_replica"]),
            gpus_per_server=float(row["gpus_per_server"]),
            min_servers=int(servers),
        )
    )
    capital = server["server_purchase_usd"] / server["amortization_months"]
    return total - servers * capital


def buy_rent_api(
    table: pd.DataFrame,
    servers: pd.DataFrame,
    *,
    tokens_per_month: float,
    owned_offerings: Sequence[str] | None = None,
    api_offerings: Sequence[str] | None = None,
    min_replicas: int = 1,
    fixed_usd_per_month: float = 0.0,
) -> pd.DataFrame:
    """Owning servers against each API and each rented GPU option: where owning wins.

    Parameters
    ----------
    table
        A :func:`~infermodel.pricing.compare.cost_table` with owned rows (its API rows give
        the price per token at the workload's mix, at your contract where one applies).
    servers
        The owned servers' rows of the price snapshot (``snapshot.gpu``): their purchase
        price and amortization.
    tokens_per_month
        The volume of the monthly costs and the payback. [tokens/month]
    owned_offerings, api_offerings
        Ids of the owned DIY rows and of the APIs to compare them with; by default every owned
        row and every API. Each owned row is also compared with every rented GPU row under
        its serving assumption.
    min_replicas, fixed_usd_per_month
        How the rented options pay (:func:`infermodel.formulas.diy_monthly_cost_usd`);
        ``fixed_usd_per_month`` is added to owning and renting alike.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`: ``owning_wins_from_million_tokens_per_month`` (NaN: never, ``reason``
        says why), the servers and the busy share of their GPU-hours there, and at
        ``tokens_per_month`` the servers, the purchase [USD], owning's monthly cost with its
        capital and its running cost without, the alternative's bill [USD/month] and
        ``payback_months`` (NaN: the servers cost more to run than the alternative).
    """
    checks.number("tokens_per_month", tokens_per_month, low=0, low_open=True)
    table = _labelled(table)
    owned = table[owned_gpus.is_owned(table)]
    if owned_offerings is not None:
        owned = table.loc[[find_offering(table, i, kind="diy_gpu").name for i in owned_offerings]]
    if owned.empty:  # no servers of yours: nothing to compare (the narrative says how to add)
        return pd.DataFrame(columns=list(COLUMNS))
    rows = [
        _one_pair(table, servers, own, other, tokens_per_month, min_replicas, fixed_usd_per_month)
        for _, own in owned.iterrows()
        for _, other in _alternatives(table, own, api_offerings).iterrows()
    ]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _servers_at(own: pd.Series, volume: float) -> float:
    """Whole servers ``own`` needs for ``volume`` (at least one). [-]"""
    return float(
        owning.owned_servers(
            volume,
            float(growth.effective_tokens_per_second(own.to_frame().T)[0]),
            float(own["utilization"]),
            gpus_per_replica=float(own["gpus_per_replica"]),
            gpus_per_server=float(own["gpus_per_server"]),
        )
    )


def _busy_share(own: pd.Series, volume: float, servers: float) -> float:
    """Share of the owned GPU-hours ``volume`` keeps busy. [-]"""
    tps = float(growth.effective_tokens_per_second(own.to_frame().T)[0])
    busy = owning.busy_gpu_hours(volume, tps, float(own["gpus_per_replica"]))
    return float(busy / (servers * float(own["gpus_per_server"]) * HOURS_PER_MONTH))


def _one_pair(table, servers, own, other, volume, min_replicas, fixed) -> dict:
    """One row of :func:`buy_rent_api`."""
    server = _server(servers, own)
    rented = other["platform_type"] == "diy_gpu"
    breaks, cost = growth.owned_pieces(own, fixed_usd_per_month=fixed)
    other_breaks, other_cost = _pieces(
        other, min_replicas=min_replicas, fixed_usd_per_month=fixed if rented else 0.0
    )
    first, always = owning.volumes_cheaper(np.r_[breaks, other_breaks], cost, other_cost)
    at_even = np.nan if np.isnan(first) else _servers_at(own, first)
    n = _servers_at(own, volume)
    owned_cost = _monthly(table.loc[[own.name]], np.array([volume]), fixed_usd_per_month=fixed)
    paid = dict(min_replicas=min_replicas, fixed_usd_per_month=fixed if rented else 0.0)
    alternative = float(_monthly(table.loc[[other.name]], np.array([volume]), **paid)[0, 0])
    running = _running_usd(own, server, n, volume) + fixed
    purchase = n * float(server["server_purchase_usd"])
    saving = alternative - running
    never = f"owning costs more at every volume up to {owning.MAX_STEPS:,} servers"
    return {
        "owned_offering_id": own["offering_id"],
        "owned_offering": own["offering"],
        "alternative_offering_id": other["offering_id"],
        "alternative_offering": other["offering"],
        "alternative_kind": "rented GPUs" if rented else "API",
        "owning_wins_from_million_tokens_per_month": first / TOKENS_PER_MILLION,
        "owning_always_wins_from_million_tokens_per_month": always / TOKENS_PER_MILLION,
        "servers_at_break_even": at_even,
        "owned_busy_share_at_break_even": np.nan
        if np.isnan(first)
        else _busy_share(own, first, at_even),
        "tokens_per_month": float(volume),
        "servers": n,
        "purchase_usd": purchase,
        "owned_usd_per_month": float(owned_cost[0, 0]),
        "owned_running_usd_per_month": running,
        "alternative_usd_per_month": alternative,
        "payback_months": purchase / saving if saving > 0 else np.nan,
        "reason": never if np.isnan(first) else "",
    }


def purchase_path(
    table: pd.DataFrame,
    servers: pd.DataFrame,
    path: pd.DataFrame,
    owned_offering: str,
    alternative: str,
    *,
    start_month: int,
    servers_bought: int | None = None,
    min_replicas: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Buying servers in ``start_month`` of a growing volume, against staying on an
    alternative (an API or rented GPUs).

    The servers (by default as many as ``start_month``'s volume needs) are paid that month;
    from then on they serve what they can (their capacity at the cost table's utilization)
    and the rest stays on the alternative. Their running cost is hosting, staff and power
    (idle power on idle hours); their capital is the purchase, counted once.

    Returns
    -------
    monthly
        Per month: ``tokens_per_month``, ``servers_owned`` (0 before the purchase),
        ``alternative_usd`` (everything on the alternative), ``purchase_usd``,
        ``running_usd``, ``overflow_usd`` (the volume the servers cannot serve, on the
        alternative), ``with_purchase_usd`` and ``cumulative_saving_usd`` (from the purchase
        month on) [USD].
    summary
        One row: the offerings, ``start_month``, ``servers``, ``purchase_usd``,
        ``total_saving_usd`` over the path and ``payback_month`` (empty: not within the
        path).
    """
    months = path["month"].to_numpy()
    if start_month not in set(months.tolist()):
        raise InputError(
            f"start_month must be a month of the path ({months.min()}-{months.max()}), "
            f"got {start_month!r}"
        )
    table = _labelled(table)
    own = find_offering(table, owned_offering, kind="diy_gpu")
    if not owned_gpus.is_owned(own.to_frame().T).iloc[0]:
        raise InputError(f"{owned_offering!r} is not a server you own (owned_gpus.csv)")
    other = find_offering(table, alternative)
    server = _server(servers, own)
    volume = path["tokens_per_month"].to_numpy(float)
    start = int(np.flatnonzero(months == start_month)[0])
    n = _servers_at(own, volume[start]) if servers_bought is None else float(servers_bought)
    checks.number("servers_bought", n, low=1)
    unit, per_unit = owning.server_unit(
        float(growth.effective_tokens_per_second(own.to_frame().T)[0]),
        float(own["utilization"]),
        float(own["gpus_per_replica"]),
        float(own["gpus_per_server"]),
    )
    capacity = np.floor(n / per_unit) * unit
    owned_now = months >= start_month
    served = np.where(owned_now, np.minimum(volume, capacity), 0.0)
    overflow = volume - served
    paid = dict(min_replicas=min_replicas)
    alternative_usd = _monthly(table.loc[[other.name]], volume, **paid)[0]
    overflow_usd = np.where(
        overflow > 0, _monthly(table.loc[[other.name]], np.maximum(overflow, 0), **paid)[0], 0.0
    )
    running = np.array(
        [
            _running_usd(own, server, n, v) if owned else 0.0
            for v, owned in zip(served, owned_now, strict=True)
        ]
    )
    purchase = np.where(months == start_month, n * float(server["server_purchase_usd"]), 0.0)
    with_purchase = np.where(owned_now, purchase + running + overflow_usd, alternative_usd)
    saving = np.cumsum(np.where(owned_now, alternative_usd - with_purchase, 0.0))
    monthly = pd.DataFrame(
        {
            "month": months,
            "tokens_per_month": volume,
            "servers_owned": np.where(owned_now, n, 0.0),
            "alternative_usd": alternative_usd,
            "purchase_usd": purchase,
            "running_usd": running,
            "overflow_usd": np.where(owned_now, overflow_usd, 0.0),
            "with_purchase_usd": with_purchase,
            "cumulative_saving_usd": saving,
        }
    )
    paid_back = np.flatnonzero(owned_now & (saving >= -1e-9))
    summary = pd.DataFrame(
        {
            "owned_offering_id": [owned_offering],
            "alternative_offering_id": [alternative],
            "start_month": [start_month],
            "servers": [n],
            "purchase_usd": [n * float(server["server_purchase_usd"])],
            "total_saving_usd": [float(saving[-1])],
            "payback_month": pd.array(
                [int(months[paid_back[0]]) if len(paid_back) else None], dtype="Int64"
            ),
        }
    )
    return monthly, summary


def purchase_paths(
    table, servers, path, owned_offering, alternative, start_months, **options
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`purchase_path` for each start month: (monthly with ``start_month``, summary)."""
    monthly, summaries = [], []
    for start in start_months:
        one, summary = purchase_path(
            table, servers, path, owned_offering, alternative, start_month=int(start), **options
        )
        monthly.append(one.assign(start_month=int(start)))
        summaries.append(summary)
    if not summaries:
        return pd.DataFrame(), pd.DataFrame()
    return pd.concat(monthly, ignore_index=True), pd.concat(summaries, ignore_index=True)


def _labelled(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with ``offering`` labels (as :mod:`infermodel.analyses.growth` shows offerings)."""
    return table.assign(offering=offering_labels(table))


def owned_choice(table: pd.DataFrame, owned_offering: str, *, like: str) -> str:
    """The owned DIY row to buy: ``owned_offering`` when given, else the first server you own
    under the serving assumption of ``like`` (a DIY offering id), else ``""`` (none)."""
    if owned_offering:
        return find_offering(table, owned_offering, kind="diy_gpu")["offering_id"]
    owned = table[owned_gpus.is_owned(table)]
    assumption = find_offering(table, like, kind="diy_gpu")["serving_assumption"]
    same = owned[owned["serving_assumption"] == assumption]
    return str(same["offering_id"].iloc[0]) if len(same) else ""
