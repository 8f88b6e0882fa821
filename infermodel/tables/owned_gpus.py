"""GPU servers you own, priced per GPU-hour from their parts, as self-hosted offerings.

``DIR/owned_gpus.csv`` (a user data folder, :mod:`infermodel.tables.user_data`; the kit ships
none) holds one row per kind of server you own or would buy: its GPU (a SKU of ``gpu_specs.csv``)
and count, purchase price and amortization, power drawn per GPU busy and idle, the site's
PUE and electricity price, hosting per server and month, staff per month, the day it is in
service (``valid_from``) and where the figures come from (``source``).

Each row becomes a DIY offering (:func:`gpu_rows`): provider ``Owned``, tier the row's
``name``, pricing ``owned``, so ``owned/H100-SXM-80GB/rack-a/owned``, priced per GPU-hour by
:func:`infermodel.formulas.owning.owned_gpu_hour_parts` (capital, hosting, staff, power). At full
use one GPU-hour costs all four parts with busy power; below full use the idle hours draw
idle power (:func:`usd_per_gpu_hour_at`). An owned server is bought whole and costs every
hour, used or not: it is billed like a reservation, whole servers every hour
(:func:`billing_rule`).

Rules (one line each, naming the file, line and field): a GPU SKU of ``gpu_specs.csv`` (did
you mean); positive purchase price, amortization and GPUs; watts, prices and fees not
negative; idle watts not above busy watts; a PUE of at least 1; units guarded (watts per GPU,
USD per kWh).
"""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pandas as pd

from infermodel import tables
from infermodel._compat import pa, pandas_engine
from infermodel.errors import Problem, TableError
from infermodel.formulas import owning
from infermodel.tables import user_data
from infermodel.tables.reading import RowRule, today
from infermodel.units import HOURS_PER_MONTH

OWNED_NAME = "owned_gpus.csv"
#: Provider and pricing of the offerings owned servers become.
PROVIDER = "Owned"
PRICING = "owned"
#: Parts of an owned GPU-hour, as columns of :func:`gpu_rows` and :func:`parts`. [USD/GPU-h]
PART_COLUMNS = {
    "capital": "usd_per_gpu_hour_capital",
    "hosting": "usd_per_gpu_hour_hosting",
    "staff": "usd_per_gpu_hour_staff",
    "power_busy": "usd_per_gpu_hour_power_busy",
    "power_idle": "usd_per_gpu_hour_power_idle",
}
#: The inputs of an owned row that the ownership analyses read, carried by :func:`gpu_rows`.
SERVER_COLUMNS = (
    "gpus_per_server",
    "server_purchase_usd",
    "amortization_months",
    "hosting_usd_per_server_month",
    "staff_usd_per_month",
)


def _range(low: float, high: float, unit: str, hint: str, *, low_open: bool = False):
    above = ">" if low_open else ">="
    error = f"must be {above} {low:g} and <= {high:g} {unit}{hint}"
    return pa.Check.in_range(low, high, include_min=not low_open, error=error)


OWNED_SCHEMA = pa.DataFrameSchema(
    {
        "name": pa.Column(
            str,
            pa.Check.str_matches(
                r"^[a-z0-9][a-z0-9-]*$", error="must be lowercase-with-dashes, e.g. rack-a"
            ),
            unique=True,
        ),
        "gpu": pa.Column(str),
        "gpus_per_server": pa.Column(int, _range(1, 64, "GPUs", "")),
        "server_purchase_usd": pa.Column(
            float, _range(0, 1e8, "USD", " (one server, GPUs included)", low_open=True)
        ),
        "amortization_months": pa.Column(int, _range(1, 240, "months", "")),
        "watts_per_gpu_busy": pa.Column(
            float, _range(0, 5_000, "W", " per GPU (watts, not kW; its share of the server)")
        ),
        "watts_per_gpu_idle": pa.Column(float, _range(0, 5_000, "W", " per GPU (watts)")),
        "pue": pa.Column(
            float, _range(1, 5, "", " (power usage effectiveness: facility / IT power)")
        ),
        "usd_per_kwh": pa.Column(float, _range(0, 5, "USD per kWh", " (not per MWh)")),
        "hosting_usd_per_server_month": pa.Column(
            float, _range(0, 1e6, "USD per server and month", "")
        ),
        "staff_usd_per_month": pa.Column(float, _range(0, 1e8, "USD per month", "")),
        "valid_from": pa.Column(pandas_engine.DateTime(to_datetime_kwargs={"format": "%Y-%m-%d"})),
        "source": pa.Column(str),
        "note": pa.Column(str, nullable=True, required=False),
    },
    strict=True,
    coerce=True,
    name="owned_gpus",
)

_IDLE_NOT_ABOVE_BUSY = RowRule(
    "watts_per_gpu_idle",
    lambda df: df["watts_per_gpu_idle"] <= df["watts_per_gpu_busy"],
    "must not be above watts_per_gpu_busy (an idle GPU draws less than a busy one)",
)


def load_owned(gpu_specs: pd.DataFrame | None = None, path: Path | None = None) -> pd.DataFrame:
    """Owned servers of ``path`` (default: the user folder's ``owned_gpus.csv``), validated;
    every ``gpu`` must be a SKU of ``gpu_specs`` (the shipped and user specs by default)."""
    table = user_data.read_user_only(
        OWNED_NAME, OWNED_SCHEMA, rules=[_IDLE_NOT_ABOVE_BUSY], path=path
    )
    if table.empty:
        return table
    specs = tables.load_gpu_specs() if gpu_specs is None else gpu_specs
    problems = check_gpus(table, list(specs["gpu"]))
    if problems:
        raise TableError(problems)
    return table


def check_gpus(owned: pd.DataFrame, known: list[str]) -> list[Problem]:
    """Rows whose ``gpu`` is no SKU of ``gpu_specs.csv``, with the closest SKU."""
    problems = []
    for _, row in owned[~owned["gpu"].isin(known)].iterrows():
        close = difflib.get_close_matches(row["gpu"], known, n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}? " if close else ""
        rule = f"unknown GPU SKU; {hint}SKUs of gpu_specs.csv: {', '.join(sorted(known))}"
        problems.append(
            Problem(Path(row["data_file"]), int(row["data_line"]), "gpu", row["gpu"], rule)
        )
    return problems


def gpu_hour_parts(owned: pd.DataFrame) -> owning.OwnedParts:
    """:func:`infermodel.formulas.owning.owned_gpu_hour_parts` of each row. [USD/GPU-h]"""
    return owning.owned_gpu_hour_parts(
        owned["server_purchase_usd"].to_numpy(float),
        owned["amortization_months"].to_numpy(float),
        owned["gpus_per_server"].to_numpy(float),
        owned["watts_per_gpu_busy"].to_numpy(float),
        owned["watts_per_gpu_idle"].to_numpy(float),
        owned["pue"].to_numpy(float),
        owned["usd_per_kwh"].to_numpy(float),
        owned["hosting_usd_per_server_month"].to_numpy(float),
        owned["staff_usd_per_month"].to_numpy(float),
    )


def gpu_rows(owned: pd.DataFrame, date: pd.Timestamp) -> pd.DataFrame:
    """The servers in service on ``date`` as GPU offerings of a price snapshot.

    Columns of a snapshot's ``gpu`` frame (``usd_per_gpu_hour`` at full use, ``observed_on``
    = ``valid_from``, never stale: an owned server's cost is yours, not a market price), the
    parts (:data:`PART_COLUMNS`) and :data:`SERVER_COLUMNS`.
    """
    rows = owned[owned["valid_from"] <= date] if len(owned) else owned
    if rows.empty:
        return pd.DataFrame()
    parts = gpu_hour_parts(rows)
    frame = pd.DataFrame(
        {
            "platform_type": "diy_gpu",
            "provider": PROVIDER,
            "gpu": rows["gpu"].to_numpy(),
            "tier": rows["name"].to_numpy(),
            "pricing": PRICING,
            "usd_per_gpu_hour": owning.owned_usd_per_gpu_hour(parts, 1.0),
            "billing_increment_seconds": pd.array([pd.NA] * len(rows), dtype="Int64"),
            "observed_on": rows["valid_from"].to_numpy(),
            "confidence": "confirmed",
            "source_url": rows["source"].to_numpy(),
            "note": [
                f"your server: {Path(f).name} line {int(n)}"
                for f, n in zip(rows["data_file"], rows["data_line"], strict=True)
            ],
            "effective_from": pd.NaT,
            "data_origin": user_data.USER,
            "data_file": rows["data_file"].to_numpy(),
            "data_line": rows["data_line"].to_numpy(),
            **{column: getattr(parts, part) for part, column in PART_COLUMNS.items()},
            **{column: rows[column].to_numpy(float) for column in SERVER_COLUMNS},
        }
    )
    frame["age_days"] = (min(pd.Timestamp(date), today()) - frame["observed_on"]).dt.days.clip(
        lower=0
    )
    frame["stale"] = False
    frame["announced"] = frame["observed_on"] > today()
    return frame


def is_owned(frame: pd.DataFrame) -> pd.Series:
    """True for the rows of ``frame`` that are owned servers."""
    if "pricing" not in frame:
        return pd.Series(False, index=frame.index)
    return frame["pricing"].eq(PRICING).fillna(False).astype(bool)


#: The columns of an owned row that tables of offerings carry (:data:`PART_COLUMNS` and the
#: server's GPUs); empty on other rows.
TABLE_COLUMNS = ("gpus_per_server", *PART_COLUMNS.values())


def table_columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """:data:`TABLE_COLUMNS` of the rows of ``frame`` (NaN where not an owned server)."""
    return {c: frame.reindex(columns=[c])[c].to_numpy(dtype=float) for c in TABLE_COLUMNS}


def parts_of(frame: pd.DataFrame) -> owning.OwnedParts:
    """The :class:`~infermodel.formulas.owning.OwnedParts` of rows carrying :data:`PART_COLUMNS`."""
    return owning.OwnedParts(*(frame[c].to_numpy(float) for c in PART_COLUMNS.values()))


def usd_per_gpu_hour_at(frame: pd.DataFrame, utilization) -> np.ndarray:
    """``usd_per_gpu_hour`` of each row at ``utilization``: an owned server's idle hours draw
    idle power (:func:`infermodel.formulas.owning.owned_usd_per_gpu_hour`); other rows' price does
    not depend on use. [USD/GPU-h]"""
    price = frame["usd_per_gpu_hour"].to_numpy(float).copy()
    owned = is_owned(frame).to_numpy()
    if owned.any():
        parts = parts_of(frame[owned])
        use = np.broadcast_to(np.asarray(utilization, dtype=float), price.shape)[owned]
        price[owned] = owning.owned_usd_per_gpu_hour(parts, np.clip(use, 0.0, 1.0))
    return price


def parts(owned: pd.DataFrame) -> pd.DataFrame:
    """What one GPU-hour and one server-month of each owned server cost, by part.

    Columns ``name``, ``gpu``, ``gpus_per_server``, the parts per GPU-hour at full use
    (:data:`PART_COLUMNS`) [USD/GPU-h], ``usd_per_gpu_hour`` at full use, ``usd_per_gpu_hour_idle``
    (an hour with no work) [USD/GPU-h] and ``usd_per_server_month`` at full use [USD/month],
    ``data_origin`` (always ``user``) and ``source``.
    """
    if owned.empty:
        return pd.DataFrame(columns=["name", "gpu", *PART_COLUMNS.values()])
    p = gpu_hour_parts(owned)
    frame = pd.DataFrame(
        {
            "name": owned["name"].to_numpy(),
            "gpu": owned["gpu"].to_numpy(),
            "gpus_per_server": owned["gpus_per_server"].to_numpy(int),
            **{column: getattr(p, part) for part, column in PART_COLUMNS.items()},
            "usd_per_gpu_hour": owning.owned_usd_per_gpu_hour(p, 1.0),
            "usd_per_gpu_hour_idle": owning.owned_usd_per_gpu_hour(p, 0.0),
        }
    )
    frame["usd_per_server_month"] = (
        frame["usd_per_gpu_hour"] * HOURS_PER_MONTH * frame["gpus_per_server"]
    )
    frame["data_origin"] = user_data.USER
    frame["source"] = owned["source"].to_numpy()
    return frame
