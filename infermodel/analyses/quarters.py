"""Calendar quarters and quarter-over-quarter changes for the quarterly cost report.

A quarterly report prices everything as of the quarter's last day; for the quarter that is
still running it prices as of today and says the report is provisional. Between two price
snapshots, :func:`cost_changes` gives each offering's cost of a workload then and now, and
:func:`effects` splits the change of a platform type's cost (cheapest or median offering)
into a *price effect* (offerings on sale at both dates changed price) and a *mix effect*
(offerings appeared or were withdrawn).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from infermodel import prices, tables
from infermodel.errors import InputError, NoPricesError
from infermodel.pricing import compare
from infermodel.tables import offerings, serving
from infermodel.workloads import Workload

_QUARTER = re.compile(r"(\d{4})[Qq]([1-4])")


@dataclass(frozen=True, order=True)
class Quarter:
    """One calendar quarter: ``year`` and ``number`` (1-4)."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: object) -> Quarter:
        """Read ``YYYYQn`` (e.g. ``2026Q3``); raise ``ValueError`` saying what is valid."""
        match = _QUARTER.fullmatch(str(text).strip())
        if not match:
            raise InputError(
                f"quarter must be YYYYQn with a four-digit year and n in 1-4 (e.g. 2026Q3), "
                f"got {text!r}"
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, date: object) -> Quarter:
        """The quarter a date falls in."""
        when = pd.Timestamp(date)
        return cls(when.year, (when.month - 1) // 3 + 1)

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def start(self) -> pd.Timestamp:
        """First day of the quarter."""
        return pd.Timestamp(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> pd.Timestamp:
        """Last day of the quarter."""
        return (self.start + pd.offsets.QuarterEnd(0)).normalize()

    @property
    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    def __str__(self) -> str:
        return self.label


def report_date(quarter: Quarter, *, today: object | None = None) -> tuple[pd.Timestamp, bool]:
    """The as-of date of a quarter's report and whether it is provisional.

    A finished quarter is priced as of its last day; the current quarter as of ``today``
    (provisional). A quarter that has not started raises ``ValueError``.
    """
    now = pd.Timestamp.today().normalize() if today is None else pd.Timestamp(today).normalize()
    if quarter.start > now:
        raise InputError(
            f"quarter {quarter} has not started (today is {now.date()}); the latest is "
            f"{Quarter.of(now)}"
        )
    if quarter.end < now:
        return quarter.end, False
    return now, True


def previous_quarter_end(as_of: object) -> pd.Timestamp:
    """Last day of the quarter before the one ``as_of`` falls in (the comparison date)."""
    return Quarter.of(as_of).previous.end


def snapshot_or_none(date: object, **options) -> prices.PriceSnapshot | None:
    """:func:`infermodel.prices.as_of`, or ``None`` when nothing was priced by ``date``."""
    try:
        return prices.as_of(date, **options)
    except NoPricesError:
        return None


def cost_changes(
    workload: Workload,
    old: prices.PriceSnapshot | None,
    new: prices.PriceSnapshot,
    serving: pd.DataFrame,
    *,
    utilization: float = 0.8,
) -> pd.DataFrame:
    """Cost of ``workload`` on each offering at the old and new snapshot, side by side.

    Returns one row per offering (API offering, or GPU offering x serving assumption) in
    either snapshot, keyed by ``offering_id``: ``status`` (``new`` | ``withdrawn`` |
    ``repriced`` | ``unchanged``),
    ``cost_usd_old``, ``cost_usd_new`` [USD] and ``change_pct`` [%].
    """

    def priced(snapshot: prices.PriceSnapshot | None) -> pd.DataFrame:
        if snapshot is None:
            columns = ["offering_id", "platform_type", "provider", "offering", "cost_usd"]
            return pd.DataFrame(columns=[*columns, "stale"])
        table = compare.cost_table(workload, snapshot, serving, utilization=utilization)
        return pd.DataFrame(
            {
                "offering_id": table["offering_id"],
                "platform_type": table["platform_type"],
                "provider": table["provider"],
                "offering": offerings.labels(table),
                "cost_usd": table["cost_usd"],
                "stale": table["stale"].astype(bool),
            }
        )

    before, after = priced(old), priced(new)
    merged = before.merge(after, on="offering_id", how="outer", suffixes=("_old", "_new"))
    for column in ("platform_type", "provider", "offering"):
        merged[column] = merged[f"{column}_new"].fillna(merged[f"{column}_old"])
    cost_old = merged["cost_usd_old"].astype(float)
    cost_new = merged["cost_usd_new"].astype(float)
    status = np.select(
        [cost_old.isna(), cost_new.isna(), (cost_new - cost_old).abs() > 1e-9 * cost_old],
        ["new", "withdrawn", "repriced"],
        "unchanged",
    )
    result = pd.DataFrame(
        {
            "workload": workload.name,
            "status": pd.Categorical(status, categories=prices.CHANGE_STATUSES, ordered=True),
            "offering_id": merged["offering_id"],
            "platform_type": merged["platform_type"],
            "provider": merged["provider"],
            "offering": merged["offering"],
            "cost_usd_old": cost_old,
            "cost_usd_new": cost_new,
            "change_pct": (cost_new - cost_old) / cost_old * 100,
            "stale_new": merged["stale_new"].astype("boolean"),
        }
    )
    order = result["platform_type"].map({t: i for i, t in enumerate(tables.PLATFORM_TYPES)})
    return (
        result.assign(_order=order)
        .sort_values(["_order", "status", "provider", "offering"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


STATISTICS = ("min", "median")


def effects(changes: pd.DataFrame, *, statistic: str = "min") -> pd.DataFrame:
    """Split each platform type's change in cost into price and mix effects.

    With ``S`` the statistic (``min``: the cheapest offering on sale; ``median``: the typical
    one) over a set of offerings at given prices:

    - total change = S(offerings on sale now, new prices) - S(offerings on sale then, old prices)
    - price effect = S(offerings on sale at both dates, new prices) - S(same, old prices)
    - mix effect = total - price effect (offerings that appeared or were withdrawn).

    Parameters
    ----------
    changes
        Output of :func:`cost_changes` (one workload).
    statistic
        ``"min"`` or ``"median"``.

    Returns
    -------
    pandas.DataFrame
        Per platform type: ``cost_usd_old``, ``cost_usd_new``, ``total_change_usd``,
        ``price_effect_usd``, ``mix_effect_usd`` [USD] and ``total_change_pct`` [%].

    References
    ----------
    The split is the usual price/mix (shift-share) decomposition of a change in an average
    into a within-group and a composition term.
    """
    if statistic not in STATISTICS:
        raise InputError(f"statistic must be one of {', '.join(STATISTICS)}, got {statistic!r}")
    rows = []
    for platform_type, group in changes.groupby("platform_type", sort=False):
        both = group[group["cost_usd_old"].notna() & group["cost_usd_new"].notna()]
        old = group["cost_usd_old"].agg(statistic)
        new = group["cost_usd_new"].agg(statistic)
        total = new - old
        price = (
            both["cost_usd_new"].agg(statistic) - both["cost_usd_old"].agg(statistic)
            if not both.empty
            else 0.0
        )
        rows.append(
            {
                "workload": group["workload"].iloc[0],
                "statistic": statistic,
                "platform_type": platform_type,
                "platform": tables.PLATFORM_LABELS[platform_type],
                "offerings_old": int(group["cost_usd_old"].notna().sum()),
                "offerings_new": int(group["cost_usd_new"].notna().sum()),
                "cost_usd_old": old,
                "cost_usd_new": new,
                "total_change_usd": total,
                "price_effect_usd": price,
                "mix_effect_usd": total - price,
                "total_change_pct": total / old * 100 if old and not np.isnan(old) else np.nan,
            }
        )
    return pd.DataFrame(rows)


def default_serving() -> pd.DataFrame:
    """The serving assumptions the quarterly comparison prices DIY rows with (article ones)."""
    return serving.select(tables.load_serving(), "article")
