"""Prices in force on a date, and what changed between two dates.

Prices are kept as append-only history (:mod:`infermodel.tables`): one row says "on
``observed_on``, ``source_url`` listed this price". A price change is a new row, never an
edit, so past work can be priced at the prices of its day. :func:`as_of` returns, for each
offering, the newest observation on or before a date, with its age and a ``stale`` flag, as
a :class:`PriceSnapshot`; :func:`diff` compares two snapshots.

Two tables, both under ``data/prices/``:

- ``api_prices.csv``: token-priced APIs, key (``provider``, ``model_id``);
- ``gpu_prices.csv``: rented GPUs, key (``provider``, ``gpu``, ``tier``, ``pricing``).

Column meanings and the readings chosen for ambiguous sources are in
``data/prices/SOURCES.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from infermodel import checks, tables
from infermodel.errors import InputError, NoPricesError
from infermodel.tables import (
    API_KEY,
    DEFAULT_STALE_AFTER_DAYS,
    DISPUTED,
    GPU_KEY,
    PLATFORM_TYPES,
    api_terms,
    offerings,
    provenance,
)


def newest_on_or_before(
    observations: pd.DataFrame,
    date: pd.Timestamp,
    key: Sequence[str],
    *,
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS,
) -> pd.DataFrame:
    """For each ``key``, the newest observation dated on or before ``date``.

    Adds ``age_days`` (days from ``observed_on`` to ``date``) and ``stale``
    (``age_days > stale_after_days``).
    """
    known = observations[observations["observed_on"] <= date]
    newest = known.sort_values("observed_on", kind="stable").groupby(list(key)).tail(1)
    age_days = (date - newest["observed_on"]).dt.days
    return newest.assign(age_days=age_days, stale=age_days > stale_after_days).reset_index(
        drop=True
    )


@dataclass(frozen=True)
class PriceSnapshot:
    """The prices in force on one date, one row per offering.

    Attributes
    ----------
    as_of
        The date the snapshot speaks for.
    api
        API offerings (columns of ``api_prices.csv`` plus ``age_days`` and ``stale``).
    gpu
        GPU offerings (columns of ``gpu_prices.csv`` plus ``age_days`` and ``stale``).
    stale_after_days
        Age beyond which an observation is flagged stale. [days]
    """

    as_of: pd.Timestamp
    api: pd.DataFrame
    gpu: pd.DataFrame
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS
    #: API offerings withdrawn on or before ``as_of`` (their last observation, plus
    #: ``withdrawn_on`` and the withdrawal's source); empty when none.
    withdrawn: pd.DataFrame | None = None
    #: Retirement dates sources had scheduled, as read on or before ``as_of``, for the
    #: offerings of ``api`` (rows of ``scheduled_retirements.csv``); they hide nothing.
    scheduled: pd.DataFrame | None = None

    @property
    def providers(self) -> list[str]:
        """Every provider with an offering in the snapshot."""
        return sorted({*self.api["provider"], *self.gpu["provider"]})

    def select(
        self,
        *,
        providers: Sequence[str] | None = None,
        platform_types: Sequence[str] | None = None,
    ) -> PriceSnapshot:
        """Keep only some providers (case-insensitive) and/or platform types.

        Raises :class:`~infermodel.errors.InputError` naming an unknown provider or platform
        type and the valid ones.
        """
        api, gpu = self.api, self.gpu
        if providers is not None:
            by_lower = {name.lower(): name for name in self.providers}
            unknown = [p for p in providers if p.lower() not in by_lower]
            if unknown:
                raise InputError(
                    f"unknown provider {unknown[0]!r} as of {self.as_of.date()}; "
                    f"valid: {', '.join(self.providers)}"
                )
            wanted = {by_lower[p.lower()] for p in providers}
            api = api[api["provider"].isin(wanted)]
            gpu = gpu[gpu["provider"].isin(wanted)]
        if platform_types is not None:
            unknown = [t for t in platform_types if t not in PLATFORM_TYPES]
            if unknown:
                raise InputError(
                    f"unknown platform type {unknown[0]!r}; valid: {', '.join(PLATFORM_TYPES)}"
                )
            api = api[api["platform_type"].isin(platform_types)]
            gpu = gpu[gpu["platform_type"].isin(platform_types)]
        return PriceSnapshot(
            self.as_of, api, gpu, self.stale_after_days, self.withdrawn, self.scheduled
        )

    def observations(self) -> pd.DataFrame:
        """The observations the snapshot uses, for provenance: one row per offering."""
        api = self.api.assign(offering=self.api["model"] + " (" + self.api["model_id"] + ")")
        gpu = self.gpu.assign(
            offering=self.gpu["gpu"] + " " + self.gpu["tier"] + " " + self.gpu["pricing"]
        )
        columns = [
            "platform_type",
            "provider",
            "offering",
            "observed_on",
            "age_days",
            "stale",
            "confidence",
            "source_url",
            "note",
        ]
        return pd.concat([api[columns], gpu[columns]], ignore_index=True)


def as_of(
    date: object,
    *,
    api_prices: pd.DataFrame | None = None,
    gpu_prices: pd.DataFrame | None = None,
    stale_after_days: int = DEFAULT_STALE_AFTER_DAYS,
    withdrawals: pd.DataFrame | None = None,
    readings: pd.DataFrame | None = None,
    scheduled_retirements: pd.DataFrame | None = None,
) -> PriceSnapshot:
    """The prices in force on ``date`` (``YYYY-MM-DD``), from the shipped tables by default.

    An API offering whose newest withdrawal (``withdrawals.csv``) on or before ``date`` is
    not older than its newest observation is left out of ``api`` and listed in
    ``withdrawn``. ``withdrawals`` defaults to the shipped table when the shipped prices
    are used, and to none when ``api_prices`` is given. A scheduled retirement
    (``scheduled_retirements``, defaulting the same way) hides nothing: the ones read by
    ``date`` for offerings on sale are listed in ``scheduled``.

    The reviewed readings (``price_readings.csv``; same defaults as ``withdrawals``) are
    honoured (rules in :mod:`infermodel.tables.provenance`): a field marked as a source error is not
    used, and an offering whose sources disagree near ``date`` with no reading settling it
    comes out ``disputed`` instead of ``confirmed``, its ``note`` saying where they disagree.

    Raises
    ------
    InputError
        ``date`` is not a ``YYYY-MM-DD`` date, or ``stale_after_days`` is negative.
    NoPricesError
        No observation is dated on or before ``date``.
    """
    when = checks.date(date)
    if stale_after_days < 0:
        raise InputError(f"stale_after_days must be >= 0, got {stale_after_days}")
    api_all = tables.load_api_prices() if api_prices is None else api_prices
    gpu_all = tables.load_gpu_prices() if gpu_prices is None else gpu_prices
    if readings is None:
        readings = tables.load_price_readings() if api_prices is None else provenance.no_readings()
    api = newest_on_or_before(
        provenance.corrected(api_all, readings), when, API_KEY, stale_after_days=stale_after_days
    )
    api = mark_disputed(api, provenance.disagreements(api_all, when, readings=readings))
    gpu = newest_on_or_before(gpu_all, when, GPU_KEY, stale_after_days=stale_after_days)
    if withdrawals is None:
        withdrawals = tables.load_withdrawals() if api_prices is None else tables.no_withdrawals()
    api, withdrawn = split_withdrawn(api, withdrawals, when)
    if api.empty and gpu.empty and withdrawn.empty:
        earliest = min(api_all["observed_on"].min(), gpu_all["observed_on"].min())
        raise NoPricesError(
            f"no price observations on or before {when.date()}; the earliest is "
            f"{pd.Timestamp(earliest).date()}"
        )
    if scheduled_retirements is None:
        shipped = api_prices is None
        scheduled_retirements = (
            api_terms.load_scheduled_retirements()
            if shipped
            else api_terms.no_scheduled_retirements()
        )
    scheduled = scheduled_retirements[scheduled_retirements["read_on"] <= when].merge(
        api[API_KEY].drop_duplicates(), on=API_KEY
    )
    return PriceSnapshot(when, api, gpu, stale_after_days, withdrawn, scheduled)


def mark_disputed(api: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """``api`` with ``confidence`` ``disputed`` (instead of ``confirmed``) for every offering
    with an unresolved row in ``pairs`` (:func:`infermodel.tables.provenance.disagreements`)."""
    open_pairs = pairs[pairs["status"] == "unresolved"]
    if open_pairs.empty:
        return api
    api = api.copy()
    for pair in open_pairs.itertuples():
        rows = (api["provider"] == pair.provider) & (api["model_id"] == pair.model_id)
        said = (
            f"sources disagree: {provenance.FIELD_WORDS[pair.field]} "
            f"{pair.value_a_usd_per_million_tokens:g} ({provenance.label(pair.source_a)}, "
            f"{pair.observed_on_a.date()}) vs {pair.value_b_usd_per_million_tokens:g} "
            f"({provenance.label(pair.source_b)}, {pair.observed_on_b.date()}), unresolved"
        )
        api.loc[rows, "note"] = api.loc[rows, "note"].map(
            lambda note, said=said: said if pd.isna(note) else f"{note}; {said}"
        )
        api.loc[rows & (api["confidence"] == "confirmed"), "confidence"] = DISPUTED
    return api


def split_withdrawn(
    api: pd.DataFrame, withdrawals: pd.DataFrame, date: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split newest API observations into (on sale, withdrawn) as of ``date``.

    An offering is withdrawn when its newest withdrawal on or before ``date`` is a provider's
    retirement (``kind`` ``retired``: final, whatever a price file said later) or is on or
    after its newest observation (a later observation means a source listed it again). A
    scheduled retirement date (``scheduled_retirements.csv``) never counts. The withdrawn
    frame keeps the last observation and adds ``withdrawn_on``, ``withdrawal_source_url``
    and ``withdrawal_note``.
    """
    known = withdrawals[withdrawals["withdrawn_on"] <= date]
    known = known.assign(kind=known.get("kind", "unlisted"))  # a hand-made table may lack it
    latest = (
        known.sort_values("withdrawn_on", kind="stable")
        .groupby(API_KEY)
        .tail(1)[[*API_KEY, "withdrawn_on", "kind", "source_url", "note"]]
        .rename(
            columns={
                "kind": "withdrawal_kind",
                "source_url": "withdrawal_source_url",
                "note": "withdrawal_note",
            }
        )
    )
    merged = api.merge(latest, on=API_KEY, how="left")
    final = merged["withdrawal_kind"].eq("retired")
    later = merged["withdrawn_on"] >= merged["observed_on"]
    gone = merged["withdrawn_on"].notna() & (final | later)
    on_sale = api.loc[~gone.to_numpy()].reset_index(drop=True)
    return on_sale, merged.loc[gone].reset_index(drop=True)


#: Price columns compared by :func:`diff`, per platform kind.
_API_PRICE_COLUMNS = [
    "usd_per_million_input_tokens",
    "usd_per_million_output_tokens",
    "usd_per_million_cached_input_tokens",
]
_GPU_PRICE_COLUMNS = ["usd_per_gpu_hour"]
CHANGE_STATUSES = ("new", "withdrawn", "repriced", "unchanged")


def _offerings(snapshot: PriceSnapshot | None) -> pd.DataFrame:
    """One row per offering of a snapshot: ``offering_id``, label and prices."""
    columns = [
        "offering_id",
        "platform_type",
        "provider",
        "offering",
        *_API_PRICE_COLUMNS,
        *_GPU_PRICE_COLUMNS,
        "observed_on",
        "stale",
        "confidence",
        "source_url",
    ]
    if snapshot is None:
        return pd.DataFrame(columns=columns)
    api = snapshot.api.assign(
        offering_id=offerings.ids(snapshot.api), offering=snapshot.api["model"]
    )
    gpu = snapshot.gpu.assign(
        offering_id=offerings.ids(snapshot.gpu),
        offering=snapshot.gpu["gpu"] + " " + snapshot.gpu["tier"] + " " + snapshot.gpu["pricing"],
    )
    return pd.concat(
        [api.reindex(columns=columns), gpu.reindex(columns=columns)], ignore_index=True
    )


def _pct(new: pd.Series, old: pd.Series) -> pd.Series:
    old = old.astype(float)
    return ((new.astype(float) - old) / old.where(old != 0) * 100).astype(float)


_CHANGE_NAMES = {
    "usd_per_million_input_tokens": ("input", "USD/Mtok"),
    "usd_per_million_output_tokens": ("output", "USD/Mtok"),
    "usd_per_million_cached_input_tokens": ("cached input", "USD/Mtok"),
    "usd_per_gpu_hour": ("GPU-hour", "USD/GPU-h"),
}


def describe_change(row) -> str:
    """The price fields that moved in one row of :func:`diff`, in words.

    E.g. ``"input 0.6 -> 0.9 USD/Mtok (+50%); output 0.6 -> 0.9 USD/Mtok (+50%)"``; a price
    that appears or disappears says so (``"cached input new at 0.07 USD/Mtok"``).
    """
    parts = []
    for column, (name, unit) in _CHANGE_NAMES.items():
        old = getattr(row, f"{column}_old", None)
        new = getattr(row, f"{column}_new", None)
        if pd.isna(old) and pd.isna(new):
            continue
        if pd.isna(old):
            parts.append(f"{name} new at {new:g} {unit}")
        elif pd.isna(new):
            parts.append(f"{name} no longer listed (was {old:g} {unit})")
        elif abs(new - old) > 1e-12:
            parts.append(f"{name} {old:g} -> {new:g} {unit} ({(new / old - 1) * 100:+.0f}%)")
    return "; ".join(parts) or "no price field moved"


def diff(old: PriceSnapshot | None, new: PriceSnapshot) -> pd.DataFrame:
    """What changed between two price snapshots, one row per offering in either.

    Parameters
    ----------
    old
        The earlier snapshot, or ``None`` when nothing was priced then (every offering is new).
    new
        The later snapshot.

    Returns
    -------
    pandas.DataFrame
        ``status`` (``new`` | ``withdrawn`` | ``repriced`` | ``unchanged``), identity columns
        (``platform_type``, ``provider``, ``offering``, ``offering_id``), each price column
        with ``_old`` and ``_new`` suffixes [USD/Mtok or USD/GPU-hour], ``change_pct_input``,
        ``change_pct_output``, ``change_pct_gpu_hour`` [%], the two observation dates and
        the new observation's ``confidence_new`` (``disputed`` where sources disagree).
        Sorted by status, platform type, provider and offering.
    """
    before, after = _offerings(old), _offerings(new)
    ident = ["platform_type", "provider", "offering"]
    merged = before.merge(after, on="offering_id", how="outer", suffixes=("_old", "_new"))
    for column in ident:
        merged[column] = merged[f"{column}_new"].fillna(merged[f"{column}_old"])
    in_old = merged["observed_on_old"].notna()
    in_new = merged["observed_on_new"].notna()
    prices_cols = [*_API_PRICE_COLUMNS, *_GPU_PRICE_COLUMNS]
    same = pd.Series(True, index=merged.index)
    for column in prices_cols:
        a, b = merged[f"{column}_old"].astype(float), merged[f"{column}_new"].astype(float)
        same &= ((a - b).abs() < 1e-12) | (a.isna() & b.isna())
    status = pd.Series("unchanged", index=merged.index)
    status[in_old & in_new & ~same] = "repriced"
    status[~in_old] = "new"
    status[~in_new] = "withdrawn"
    merged["status"] = pd.Categorical(status, categories=CHANGE_STATUSES, ordered=True)
    merged["change_pct_input"] = _pct(
        merged["usd_per_million_input_tokens_new"], merged["usd_per_million_input_tokens_old"]
    )
    merged["change_pct_output"] = _pct(
        merged["usd_per_million_output_tokens_new"], merged["usd_per_million_output_tokens_old"]
    )
    merged["change_pct_gpu_hour"] = _pct(
        merged["usd_per_gpu_hour_new"], merged["usd_per_gpu_hour_old"]
    )
    columns = [
        "status",
        *ident,
        "offering_id",
        *[f"{c}_{s}" for c in prices_cols for s in ("old", "new")],
        "change_pct_input",
        "change_pct_output",
        "change_pct_gpu_hour",
        "observed_on_old",
        "observed_on_new",
        "confidence_new",
        "source_url_new",
    ]
    order = merged["platform_type"].map({t: i for i, t in enumerate(PLATFORM_TYPES)})
    return (
        merged.assign(_order=order)
        .sort_values(["status", "_order", "provider", "offering"], kind="stable")[columns]
        .reset_index(drop=True)
    )
