"""Price observations: load, validate, and pick the prices in force on a date.

Prices are kept as append-only history: one row says "on ``observed_on``, ``source_url``
listed this price". A price change is a new row, never an edit, so past work can be priced
at the prices of its day. :func:`as_of` returns, for each offering, the newest observation
on or before a date, with its age and a ``stale`` flag.

Two tables, both under ``data/prices/``:

- ``api_prices.csv``: token-priced APIs, key (``provider``, ``model_id``);
- ``gpu_prices.csv``: rented GPUs, key (``provider``, ``gpu``, ``tier``, ``pricing``).

Column meanings and the readings chosen for ambiguous sources are in
``data/prices/SOURCES.md``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from infermodel import paths
from infermodel.schema import (
    Problem,
    RowRule,
    TableError,
    date_column,
    read_table,
    row_problems,
)

API_PLATFORM_TYPES = ("proprietary_api", "managed_api")
GPU_PLATFORM_TYPES = ("diy_gpu",)
#: Display order of platform types, cheapest-to-run-yourself last, as in the article.
PLATFORM_TYPES = (*API_PLATFORM_TYPES, *GPU_PLATFORM_TYPES)
PLATFORM_LABELS = {
    "proprietary_api": "Proprietary API",
    "managed_api": "Managed open-model API",
    "diy_gpu": "DIY GPU rental",
}
CONFIDENCE_LEVELS = ("confirmed", "estimated", "estimated-low")
GPU_PRICING = ("on_demand", "spot", "reserved")

API_KEY = ["provider", "model_id"]
GPU_KEY = ["provider", "gpu", "tier", "pricing"]

#: An observation older than this at the as-of date is flagged stale (issue 4 default). [days]
DEFAULT_STALE_AFTER_DAYS = 120

# Unit guards: a per-token price typed into a per-million column is ~1e-6 of the right
# value; a per-second GPU price is 1/3600 of the hourly one. Real prices in 2025-2026 sit
# well inside these bounds (GPT-4.5 output at 150 USD/Mtok is among the highest).
_MIN_USD_PER_MILLION = 0.001
_MAX_USD_PER_MILLION = 1_000.0
_MIN_USD_PER_GPU_HOUR = 0.05
_MAX_USD_PER_GPU_HOUR = 100.0


def _usd_per_million(*, required: bool) -> pa.Column:
    return pa.Column(
        float,
        [
            pa.Check.ge(0, error="must be >= 0 (a price cannot be negative)"),
            pa.Check(
                lambda s: (s <= 0) | (s >= _MIN_USD_PER_MILLION),
                error=f"below {_MIN_USD_PER_MILLION} USD per million tokens: looks like a "
                "per-token price; give USD per million tokens",
            ),
            pa.Check.le(
                _MAX_USD_PER_MILLION,
                error=f"above {_MAX_USD_PER_MILLION:g} USD per million tokens: check the unit",
            ),
        ],
        nullable=not required,
    )


def _provenance_columns() -> dict[str, pa.Column]:
    return {
        "observed_on": date_column("observed_on"),
        "confidence": pa.Column(str, pa.Check.isin(CONFIDENCE_LEVELS)),
        "source_url": pa.Column(str),
        "note": pa.Column(str, nullable=True),
    }


_NOTE_FOR_ESTIMATES = RowRule(
    "note",
    lambda df: (df["confidence"] == "confirmed") | df["note"].notna(),
    "required when confidence is not 'confirmed' (say what was assumed and the source's date)",
)
_LONG_CONTEXT_TOGETHER = RowRule(
    "usd_per_million_input_tokens_long_context",
    lambda df: (
        df["long_context_threshold_tokens"].isna()
        == df["usd_per_million_input_tokens_long_context"].isna()
    ),
    "long_context_threshold_tokens and the long-context prices are given together or not at all",
)

API_SCHEMA = pa.DataFrameSchema(
    {
        "platform_type": pa.Column(str, pa.Check.isin(API_PLATFORM_TYPES)),
        "provider": pa.Column(str),
        "model": pa.Column(str),
        "model_id": pa.Column(str),
        "usd_per_million_input_tokens": _usd_per_million(required=True),
        "usd_per_million_output_tokens": _usd_per_million(required=True),
        "usd_per_million_cached_input_tokens": _usd_per_million(required=False),
        "usd_per_million_cache_write_tokens": _usd_per_million(required=False),
        "batch_discount_fraction": pa.Column(
            float,
            pa.Check.in_range(
                0,
                1,
                include_min=False,
                include_max=False,
                error="must be a fraction in (0, 1), e.g. 0.5 for 50% off",
            ),
            nullable=True,
        ),
        "long_context_threshold_tokens": pa.Column(
            "Int64", pa.Check.gt(0, error="must be > 0 tokens"), nullable=True
        ),
        "usd_per_million_input_tokens_long_context": _usd_per_million(required=False),
        "usd_per_million_output_tokens_long_context": _usd_per_million(required=False),
        **_provenance_columns(),
    },
    unique=[*API_KEY, "observed_on"],
    strict=True,
    coerce=True,
    name="api_prices",
)

GPU_SCHEMA = pa.DataFrameSchema(
    {
        "platform_type": pa.Column(str, pa.Check.isin(GPU_PLATFORM_TYPES)),
        "provider": pa.Column(str),
        "gpu": pa.Column(str),
        "tier": pa.Column(str),
        "pricing": pa.Column(str, pa.Check.isin(GPU_PRICING)),
        "usd_per_gpu_hour": pa.Column(
            float,
            [
                pa.Check.ge(0, error="must be >= 0 (a price cannot be negative)"),
                pa.Check(
                    lambda s: (s < 0) | s.between(_MIN_USD_PER_GPU_HOUR, _MAX_USD_PER_GPU_HOUR),
                    error=f"outside {_MIN_USD_PER_GPU_HOUR}-{_MAX_USD_PER_GPU_HOUR:g} USD per "
                    "GPU-hour: a per-second or per-node price? give USD per GPU per hour",
                ),
            ],
        ),
        "billing_increment_seconds": pa.Column(
            "Int64", pa.Check.gt(0, error="must be > 0 seconds"), nullable=True
        ),
        **_provenance_columns(),
    },
    unique=[*GPU_KEY, "observed_on"],
    strict=True,
    coerce=True,
    name="gpu_prices",
)


class NoPricesError(LookupError):
    """No price observation exists on or before the requested date."""


def parse_date(value: object, *, name: str = "as-of date") -> pd.Timestamp:
    """Parse a ``YYYY-MM-DD`` date or raise ``ValueError`` naming ``name``."""
    if isinstance(value, pd.Timestamp):
        return value.normalize()
    text = str(value).strip()
    try:
        parsed = pd.Timestamp(pd.to_datetime(text, format="%Y-%m-%d"))
    except (ValueError, TypeError):
        parsed = pd.NaT
    if pd.isna(parsed):
        raise ValueError(f"{name} must be a date YYYY-MM-DD, got {text!r}")
    return parsed.normalize()


def load_api_prices(path: Path = paths.API_PRICES_CSV) -> pd.DataFrame:
    """All API price observations, validated; raises :class:`TableError` on a bad row."""
    return read_table(path, API_SCHEMA, rules=[_NOTE_FOR_ESTIMATES, _LONG_CONTEXT_TOGETHER])


def load_gpu_prices(path: Path = paths.GPU_PRICES_CSV) -> pd.DataFrame:
    """All GPU price observations, validated; raises :class:`TableError` on a bad row."""
    return read_table(path, GPU_SCHEMA, rules=[_NOTE_FOR_ESTIMATES])


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

        Raises ``ValueError`` naming an unknown provider or platform type and the valid ones.
        """
        api, gpu = self.api, self.gpu
        if providers is not None:
            by_lower = {name.lower(): name for name in self.providers}
            unknown = [p for p in providers if p.lower() not in by_lower]
            if unknown:
                raise ValueError(
                    f"unknown provider {unknown[0]!r} as of {self.as_of.date()}; "
                    f"valid: {', '.join(self.providers)}"
                )
            wanted = {by_lower[p.lower()] for p in providers}
            api = api[api["provider"].isin(wanted)]
            gpu = gpu[gpu["provider"].isin(wanted)]
        if platform_types is not None:
            unknown = [t for t in platform_types if t not in PLATFORM_TYPES]
            if unknown:
                raise ValueError(
                    f"unknown platform type {unknown[0]!r}; valid: {', '.join(PLATFORM_TYPES)}"
                )
            api = api[api["platform_type"].isin(platform_types)]
            gpu = gpu[gpu["platform_type"].isin(platform_types)]
        return PriceSnapshot(self.as_of, api, gpu, self.stale_after_days, self.withdrawn)

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
) -> PriceSnapshot:
    """The prices in force on ``date`` (``YYYY-MM-DD``), from the shipped tables by default.

    An API offering whose newest withdrawal (``withdrawals.csv``) on or before ``date`` is
    not older than its newest observation is left out of ``api`` and listed in
    ``withdrawn``. ``withdrawals`` defaults to the shipped table when the shipped prices
    are used, and to none when ``api_prices`` is given.

    Raises
    ------
    ValueError
        ``date`` is not a ``YYYY-MM-DD`` date, or ``stale_after_days`` is negative.
    NoPricesError
        No observation is dated on or before ``date``.
    """
    when = parse_date(date)
    if stale_after_days < 0:
        raise ValueError(f"stale_after_days must be >= 0, got {stale_after_days}")
    api_all = load_api_prices() if api_prices is None else api_prices
    gpu_all = load_gpu_prices() if gpu_prices is None else gpu_prices
    api = newest_on_or_before(api_all, when, API_KEY, stale_after_days=stale_after_days)
    gpu = newest_on_or_before(gpu_all, when, GPU_KEY, stale_after_days=stale_after_days)
    if withdrawals is None:
        withdrawals = load_withdrawals() if api_prices is None else _no_withdrawals()
    api, withdrawn = split_withdrawn(api, withdrawals, when)
    if api.empty and gpu.empty and withdrawn.empty:
        earliest = min(api_all["observed_on"].min(), gpu_all["observed_on"].min())
        raise NoPricesError(
            f"no price observations on or before {when.date()}; the earliest is "
            f"{pd.Timestamp(earliest).date()}"
        )
    return PriceSnapshot(when, api, gpu, stale_after_days, withdrawn)


# --------------------------------------------------------------------------------------
# Withdrawn offerings and snapshot-to-snapshot changes (issue 4)
# --------------------------------------------------------------------------------------

#: Offerings that stopped being sold: one row = "on ``withdrawn_on``, ``source_url`` showed
#: that this offering was no longer on sale". Append-only, like the prices.
WITHDRAWALS_CSV = paths.PRICES_DIR / "withdrawals.csv"

WITHDRAWALS_SCHEMA = pa.DataFrameSchema(
    {
        "provider": pa.Column(str),
        "model_id": pa.Column(str),
        "withdrawn_on": date_column("withdrawn_on"),
        **{k: v for k, v in _provenance_columns().items() if k != "observed_on"},
    },
    unique=[*API_KEY, "withdrawn_on"],
    strict=True,
    coerce=True,
    name="withdrawals",
)


def load_withdrawals(path: Path = WITHDRAWALS_CSV) -> pd.DataFrame:
    """All recorded withdrawals of API offerings, validated; none when the file is absent."""
    if not Path(path).is_file():
        return _no_withdrawals()
    return read_table(path, WITHDRAWALS_SCHEMA, rules=[_NOTE_FOR_ESTIMATES])


def _no_withdrawals() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "provider": pd.Series(dtype=str),
            "model_id": pd.Series(dtype=str),
            "withdrawn_on": pd.Series(dtype="datetime64[ns]"),
            "confidence": pd.Series(dtype=str),
            "source_url": pd.Series(dtype=str),
            "note": pd.Series(dtype=str),
        }
    )


def split_withdrawn(
    api: pd.DataFrame, withdrawals: pd.DataFrame, date: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split newest API observations into (on sale, withdrawn) as of ``date``.

    An offering is withdrawn when its newest withdrawal on or before ``date`` is on or after
    its newest observation (a later observation means it was listed again). The withdrawn
    frame keeps the last observation and adds ``withdrawn_on``, ``withdrawal_source_url``
    and ``withdrawal_note``.
    """
    known = withdrawals[withdrawals["withdrawn_on"] <= date]
    latest = (
        known.sort_values("withdrawn_on", kind="stable")
        .groupby(API_KEY)
        .tail(1)[[*API_KEY, "withdrawn_on", "source_url", "note"]]
        .rename(columns={"source_url": "withdrawal_source_url", "note": "withdrawal_note"})
    )
    merged = api.merge(latest, on=API_KEY, how="left")
    gone = merged["withdrawn_on"].notna() & (merged["withdrawn_on"] >= merged["observed_on"])
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
    """One row per offering of a snapshot: ``offering_key``, label and prices."""
    columns = [
        "offering_key",
        "platform_type",
        "provider",
        "offering",
        *_API_PRICE_COLUMNS,
        *_GPU_PRICE_COLUMNS,
        "observed_on",
        "stale",
        "source_url",
    ]
    if snapshot is None:
        return pd.DataFrame(columns=columns)
    api = snapshot.api.assign(
        offering_key="api|" + snapshot.api["provider"] + "|" + snapshot.api["model_id"],
        offering=snapshot.api["model"],
    )
    gpu = snapshot.gpu.assign(
        offering_key="gpu|"
        + snapshot.gpu["provider"]
        + "|"
        + snapshot.gpu["gpu"]
        + "|"
        + snapshot.gpu["tier"]
        + "|"
        + snapshot.gpu["pricing"],
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
        (``platform_type``, ``provider``, ``offering``, ``offering_key``), each price column
        with ``_old`` and ``_new`` suffixes [USD/Mtok or USD/GPU-hour], ``change_pct_input``,
        ``change_pct_output``, ``change_pct_gpu_hour`` [%] and the two observation dates.
        Sorted by status, platform type, provider and offering.
    """
    before, after = _offerings(old), _offerings(new)
    ident = ["platform_type", "provider", "offering"]
    merged = before.merge(after, on="offering_key", how="outer", suffixes=("_old", "_new"))
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
        "offering_key",
        *[f"{c}_{s}" for c in prices_cols for s in ("old", "new")],
        "change_pct_input",
        "change_pct_output",
        "change_pct_gpu_hour",
        "observed_on_old",
        "observed_on_new",
        "source_url_new",
    ]
    order = merged["platform_type"].map({t: i for i, t in enumerate(PLATFORM_TYPES)})
    return (
        merged.assign(_order=order)
        .sort_values(["status", "_order", "provider", "offering"], kind="stable")[columns]
        .reset_index(drop=True)
    )


def data_hash(files: Sequence[Path] | None = None) -> str:
    """SHA-256 over the shipped data tables (names and bytes), for run records."""
    files = sorted(paths.DATA_DIR.rglob("*.csv")) if files is None else list(files)
    digest = hashlib.sha256()
    for file in files:
        digest.update(Path(file).relative_to(paths.ROOT_DIR).as_posix().encode())
        digest.update(Path(file).read_bytes())
    return digest.hexdigest()


def check_gpus_known(gpu_prices: pd.DataFrame, known_gpus: set[str], path: Path) -> list[Problem]:
    """Rows of ``gpu_prices`` whose ``gpu`` has no row in the GPU specs table."""
    rule = f"unknown GPU SKU; add it to gpu_specs.csv or use one of {', '.join(sorted(known_gpus))}"
    return row_problems(gpu_prices, ~gpu_prices["gpu"].isin(known_gpus), path, "gpu", rule)


__all__ = [
    "API_KEY",
    "GPU_KEY",
    "PLATFORM_LABELS",
    "PLATFORM_TYPES",
    "NoPricesError",
    "PriceSnapshot",
    "TableError",
    "as_of",
    "data_hash",
    "diff",
    "load_api_prices",
    "load_gpu_prices",
    "load_withdrawals",
    "newest_on_or_before",
    "parse_date",
    "validate_all",
]


def validate_all(data_dir: Path = paths.DATA_DIR) -> dict[str, int]:
    """Check every shipped table under ``data_dir``; return row counts per table.

    Collects the problems of all tables (schemas, then cross-table rules such as every GPU
    SKU having a spec row) and raises one :class:`TableError` listing them all.
    """
    # Tables owned by modules that import this one are loaded through them, lazily.
    from infermodel import importers, serving, throughput

    data_dir = Path(data_dir)
    shipped = {
        "api_prices": paths.API_PRICES_CSV,
        "gpu_prices": paths.GPU_PRICES_CSV,
        "withdrawals": WITHDRAWALS_CSV,
        "tracked_offerings": importers.TRACKED_CSV,
        "gpu_specs": paths.GPU_SPECS_CSV,
        "model_specs": throughput.MODEL_SPECS_CSV,
        "throughput_measured": throughput.MEASURED_CSV,
        "throughput_efficiency": throughput.EFFICIENCY_CSV,
        "serving_assumptions": paths.SERVING_CSV,
    }
    files = {name: data_dir / path.relative_to(paths.DATA_DIR) for name, path in shipped.items()}
    loaders = {
        "api_prices": load_api_prices,
        "gpu_prices": load_gpu_prices,
        "withdrawals": load_withdrawals,
        "tracked_offerings": importers.load_tracked,
        "gpu_specs": serving.load_gpu_specs,
        "model_specs": throughput.load_model_specs,
        "throughput_measured": throughput.load_measured,
        "throughput_efficiency": throughput.load_efficiency_table,
    }
    tables: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for name, loader in loaders.items():
        try:
            tables[name] = loader(files[name])
        except TableError as exc:
            problems.extend(exc.problems)
    if "gpu_specs" in tables:
        known = set(tables["gpu_specs"]["gpu"])
        if "gpu_prices" in tables:
            problems.extend(check_gpus_known(tables["gpu_prices"], known, files["gpu_prices"]))
        try:
            tables["serving_assumptions"] = serving.load_serving(
                files["serving_assumptions"], gpu_specs=tables["gpu_specs"]
            )
        except TableError as exc:
            problems.extend(exc.problems)
    if problems:
        raise TableError(problems)
    return {name: len(table) for name, table in tables.items()}
