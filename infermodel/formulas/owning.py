"""Pure formulas of owning GPU servers: a GPU-hour by part, a month of whole servers, and
the first monthly volume at which one cost is no more than another.

No I/O: :mod:`infermodel.tables.owned_gpus` reads ``owned_gpus.csv`` and
:mod:`infermodel.analyses.ownership` compares buying with renting and with APIs. Units are
in every name; a month is the kit's 730.5 hours (:data:`infermodel.units.HOURS_PER_MONTH`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TypeVar

import numpy as np

from infermodel import checks
from infermodel.units import HOURS_PER_MONTH, SECONDS_PER_HOUR

Number = TypeVar("Number")


def _nonnegative(name: str, value) -> None:
    checks.values_in_range(name, value, low=0.0)


def _positive(name: str, value) -> None:
    checks.values_in_range(name, value, low=0.0, low_open=True)


class OwnedParts(NamedTuple):
    """What one GPU-hour of an owned server costs, by part. [USD/GPU-h]"""

    capital: Number
    hosting: Number
    staff: Number
    power_busy: Number
    power_idle: Number


#: Watts per kilowatt. [W/kW]
WATTS_PER_KILOWATT = 1_000


def owned_gpu_hour_parts(
    server_purchase_usd: Number,
    amortization_months: Number,
    gpus_per_server: Number,
    watts_per_gpu_busy: Number,
    watts_per_gpu_idle: Number,
    pue: Number,
    usd_per_kwh: Number,
    hosting_usd_per_server_month: Number,
    staff_usd_per_month: Number,
) -> OwnedParts:
    """The cost of one GPU-hour of a server you own, by part (issue 25's formula).

    ``capital = server_purchase_usd / (amortization_months x H x gpus_per_server)``,
    ``hosting = hosting_usd_per_server_month / (H x gpus_per_server)``,
    ``staff = staff_usd_per_month / (H x gpus_per_server)``,
    ``power_busy = watts_per_gpu_busy / 1000 x pue x usd_per_kwh`` and ``power_idle`` the
    same at idle watts, where ``H`` is the kit's month, 730.5 hours (365.25 x 24 / 12; the
    issue writes 730), so that a month of a server costs exactly its monthly parts.

    Parameters
    ----------
    server_purchase_usd
        Price of one server, GPUs included, > 0. [USD]
    amortization_months
        Months the purchase is spread over, > 0. [months]
    gpus_per_server
        GPUs in one server, > 0. [-]
    watts_per_gpu_busy, watts_per_gpu_idle
        Power drawn per GPU (its share of the server) when serving and when idle, >= 0. [W]
    pue
        Power usage effectiveness of the site, >= 1 (facility power / IT power). [-]
    usd_per_kwh
        Price of electricity, >= 0. [USD/kWh]
    hosting_usd_per_server_month
        Rack space, network and colocation fees of one server, >= 0. [USD/month]
    staff_usd_per_month
        People who run one server (their share), >= 0. [USD/month]
    """
    _positive("server_purchase_usd", server_purchase_usd)
    _positive("amortization_months", amortization_months)
    _positive("gpus_per_server", gpus_per_server)
    for name, value in (
        ("watts_per_gpu_busy", watts_per_gpu_busy),
        ("watts_per_gpu_idle", watts_per_gpu_idle),
        ("usd_per_kwh", usd_per_kwh),
        ("hosting_usd_per_server_month", hosting_usd_per_server_month),
        ("staff_usd_per_month", staff_usd_per_month),
    ):
        _nonnegative(name, value)
    checks.values_in_range("pue", pue, low=1.0)
    gpu_months = HOURS_PER_MONTH * np.asarray(gpus_per_server, dtype=float)
    energy = np.asarray(pue, dtype=float) * np.asarray(usd_per_kwh, dtype=float)
    return OwnedParts(
        capital=np.asarray(server_purchase_usd) / (np.asarray(amortization_months) * gpu_months),
        hosting=np.asarray(hosting_usd_per_server_month) / gpu_months,
        staff=np.asarray(staff_usd_per_month) / gpu_months,
        power_busy=np.asarray(watts_per_gpu_busy) / WATTS_PER_KILOWATT * energy,
        power_idle=np.asarray(watts_per_gpu_idle) / WATTS_PER_KILOWATT * energy,
    )


def owned_usd_per_gpu_hour(parts: OwnedParts, utilization: Number = 1.0) -> Number:
    """One GPU-hour of an owned server at ``utilization``: capital, hosting and staff every
    hour, busy power for the busy share and idle power for the rest. [USD/GPU-h]"""
    checks.values_in_range("utilization", utilization, low=0.0, high=1.0)
    u = np.asarray(utilization, dtype=float)
    return (
        parts.capital
        + parts.hosting
        + parts.staff
        + u * parts.power_busy
        + (1 - u) * parts.power_idle
    )


def server_months_fixed_usd(parts: OwnedParts, gpus_per_server: Number) -> Number:
    """What one server costs a month whatever it does: capital, hosting and staff, and idle
    power on every hour. [USD/month]"""
    per_gpu_hour = parts.capital + parts.hosting + parts.staff + parts.power_idle
    return per_gpu_hour * HOURS_PER_MONTH * np.asarray(gpus_per_server, dtype=float)


def busy_gpu_hours(
    tokens_per_month: Number, tokens_per_second: Number, gpus_per_replica: Number
) -> Number:
    """GPU-hours a volume keeps busy: ``tokens / (tokens_per_second x 3600) x GPUs``. [GPU-h]"""
    return (
        np.asarray(tokens_per_month, dtype=float)
        / (np.asarray(tokens_per_second, dtype=float) * SECONDS_PER_HOUR)
        * np.asarray(gpus_per_replica, dtype=float)
    )


def owned_servers(
    tokens_per_month: Number,
    tokens_per_second: Number,
    utilization: Number,
    *,
    gpus_per_replica: Number,
    gpus_per_server: Number,
    min_servers: int = 1,
) -> Number:
    """Whole servers a monthly volume needs, at least ``min_servers``.

    A replica of ``gpus_per_replica`` GPUs serves ``tokens_per_second x 3600 x utilization x
    730.5`` tokens a month (``utilization``: the busy share it can sustain); a server holds
    ``gpus_per_server // gpus_per_replica`` replicas, or a replica spans
    ``ceil(gpus_per_replica / gpus_per_server)`` servers. [-]
    """
    unit, servers_per_unit = server_unit(
        tokens_per_second, utilization, gpus_per_replica, gpus_per_server
    )
    units = np.ceil(np.asarray(tokens_per_month, dtype=float) / unit - 1e-9)
    return np.maximum(min_servers, units * servers_per_unit)


def server_unit(tokens_per_second, utilization, gpus_per_replica, gpus_per_server):
    """(tokens a month one unit serves [tokens/month], servers in one unit [-]): a unit is a
    server holding whole replicas, or the servers one replica spans."""
    gpr = np.asarray(gpus_per_replica, dtype=float)
    gps = np.asarray(gpus_per_server, dtype=float)
    replica = (
        np.asarray(tokens_per_second, dtype=float)
        * SECONDS_PER_HOUR
        * np.asarray(utilization, dtype=float)
        * HOURS_PER_MONTH
    )
    fits = gpr <= gps
    per_server = np.where(fits, np.floor(gps / np.where(fits, gpr, 1.0)), 1.0)
    return replica * np.where(fits, per_server, 1.0), np.where(fits, 1.0, np.ceil(gpr / gps))


def owned_monthly_cost_usd(
    tokens_per_month: Number,
    tokens_per_second: Number,
    utilization: Number,
    parts: OwnedParts,
    *,
    gpus_per_replica: Number,
    gpus_per_server: Number,
    min_servers: int = 1,
    fixed_usd_per_month: Number = 0.0,
) -> Number:
    """What serving a monthly volume on servers you own costs a month. [USD/month]

    ``servers x (capital + hosting + staff + idle power) per server-month`` for the servers
    :func:`owned_servers` needs, plus ``(busy power - idle power)`` on the GPU-hours the
    volume keeps busy (:func:`busy_gpu_hours`), plus ``fixed_usd_per_month``.
    """
    _nonnegative("tokens_per_month", tokens_per_month)
    _positive("tokens_per_second", tokens_per_second)
    checks.values_in_range("utilization", utilization, low=0.0, high=1.0, low_open=True)
    servers = owned_servers(
        tokens_per_month,
        tokens_per_second,
        utilization,
        gpus_per_replica=gpus_per_replica,
        gpus_per_server=gpus_per_server,
        min_servers=min_servers,
    )
    busy = busy_gpu_hours(tokens_per_month, tokens_per_second, gpus_per_replica)
    return (
        servers * server_months_fixed_usd(parts, gpus_per_server)
        + busy * (parts.power_busy - parts.power_idle)
        + fixed_usd_per_month
    )


#: Steps a search for the first cheaper volume goes through at most. [-]
MAX_STEPS = 100_000


def _gaps(breaks, cost, other):
    ends = np.unique(np.asarray(breaks, dtype=float))
    ends = ends[ends > 0][:MAX_STEPS]
    starts = np.r_[0.0, ends[:-1]]
    ci, cs = cost(ends)
    oi, os = other(ends)
    gap_i = np.asarray(ci - oi, dtype=float) * np.ones_like(ends)
    gap_s = np.asarray(cs - os, dtype=float) * np.ones_like(ends)
    tolerance = 1e-9 * np.maximum(1.0, np.abs(np.asarray(oi + os * ends, dtype=float)))
    return starts, ends, gap_i, gap_s, tolerance


def volumes_cheaper(
    breaks: np.ndarray,
    cost: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    other: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
) -> tuple[float, float]:
    """(the first monthly volume at which ``cost`` is no more than ``other``, the volume
    from which it always is) [tokens/month], exactly, as :func:`first_volume_cheaper`;
    ``nan`` for one not reached by the last break."""
    starts, ends, gap_i, gap_s, tolerance = _gaps(breaks, cost, other)
    if ends.size == 0:
        return float("nan"), float("nan")
    start_gap, end_gap = gap_i + gap_s * starts, gap_i + gap_s * ends
    cheaper_start, cheaper_end = start_gap <= tolerance, end_gap <= tolerance
    found = np.flatnonzero(cheaper_start | cheaper_end)
    if found.size == 0:
        return float("nan"), float("nan")
    k = found[0]
    first = starts[k] if cheaper_start[k] else -gap_i[k] / gap_s[k]
    dearer = np.flatnonzero(~cheaper_start | ~cheaper_end)
    if dearer.size == 0:
        return float(first), float(starts[0])
    last = dearer[-1]
    if cheaper_end[last]:
        return float(first), float(-gap_i[last] / gap_s[last])
    if last + 1 < ends.size:
        return float(first), float(ends[last])
    return float(first), float("nan")


def first_volume_cheaper(
    breaks: np.ndarray,
    cost: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    other: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
) -> tuple[float, float]:
    """The smallest monthly volume at which ``cost`` is no more than ``other``, exactly.

    Both costs are linear between consecutive ``breaks`` (every volume at which either
    steps: a new server, a new replica, a commitment's floor); each maps the upper ends of
    the intervals ``(a, b]`` to the (intercept [USD/month], slope [USD/token]) of the cost on
    that interval. Returns ``(volume [tokens/month], upper end of its interval)``, or
    ``(nan, nan)`` when ``cost`` stays above ``other`` up to the last break.
    """
    starts, ends, gap_i, gap_s, tolerance = _gaps(breaks, cost, other)
    if ends.size == 0:
        return float("nan"), float("nan")
    at_start = gap_i + gap_s * starts <= tolerance
    at_end = gap_i + gap_s * ends <= tolerance
    found = np.flatnonzero(at_start | at_end)
    if found.size == 0:
        return float("nan"), float("nan")
    k = found[0]
    if at_start[k]:
        return float(starts[k]), float(ends[k])
    return float(-gap_i[k] / gap_s[k]), float(ends[k])
