"""The tokens of a FOCUS bill priced on every offering, charge period by charge period.

:func:`reprice` adds the AI token usage lines of a bill (:mod:`infermodel.readers.focus`)
up per charge period into a :class:`~infermodel.workloads.Workload` (uncached input, cached
input, cache writes, output) and prices it on every offering with
:func:`infermodel.pricing.compare.cost_table`, at the prices in force on the period's last day (the
reading of :mod:`infermodel.pricing.reconcile`), next to what the bill charged for those same
tokens.
:func:`like_for_like` names, for each model billed, the cheapest offering of the same model
(another seller, or rented GPUs serving it) and the cheapest API of any model.

Readings:

- **The token mix, not the model.** A line's tokens are priced on the alternatives whether or
  not its model maps to a tracked offering (the mix is known from the bill); only the
  comparison with its own list price needs the mapping
  (:func:`infermodel.pricing.reconcile.reconcile`).
- **Rented GPUs** are sized as ``infermodel table`` sizes them: the article's formula, every
  token of the period (or only output, ``diy_token_basis``) at the serving assumption's
  throughput and the ``utilization`` given.
- **Linear in each kind.** A period's cost on an offering is the sum, over the kinds of
  tokens it bills, of its tokens times the offering's cost of a million tokens of that kind
  (:func:`infermodel.pricing.compare.cost_table` of :data:`UNIT_WORKLOADS`): exact, since API prices
  are per token and GPU time grows with tokens at a fixed throughput and utilization, and
  it prices each set of observations once, however many periods or models share it.
- **Cache writes** of each lifetime are priced at that lifetime's write price; an offering
  without a 1-hour price cannot price 1-hour writes and is left out of that period (named in
  :attr:`Repriced.left_out`). A bill has no per-request lengths, so no long-context price
  applies to the alternatives.
- **Same model** (:func:`model_family`): model names in lower case without the words that
  name a packaging rather than a model (Instruct, Turbo, a precision, a parenthesis), with a
  serving assumption's version wildcard (``Llama 3.x 70B``) matching any version.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from infermodel import prices
from infermodel import tables as tables_mod
from infermodel.errors import DataError
from infermodel.pricing import compare, contracts
from infermodel.pricing.reconcile import (
    PricesOn,
    identify,
    period_last_day,
    refuse_bad_lines,
    shipped_prices,
)
from infermodel.readers.focus import Bill
from infermodel.tables import offerings
from infermodel.units import TOKENS_PER_MILLION
from infermodel.workloads import Workload

#: Columns naming the model billed, in :func:`reprice` ``by_model`` tables.
GROUP_COLUMNS = ("billed_provider", "billed_model", "billed_offering_id")
#: Columns of :func:`reprice`'s table, in order (:data:`infermodel.pricing.contracts.BILL_TABLE`).
COLUMNS = list(contracts.BILL_TABLE.columns)
#: Words of a model name that say how it is packaged, not which model it is.
PACKAGING_WORDS = frozenset(
    {"instruct", "turbo", "chat", "basic", "hf", "it", "fp8", "fp16", "bf16", "fp4"}
    | {"int8", "int4", "mxfp4", "tput"}
)


@dataclass(frozen=True)
class Repriced:
    """What :func:`reprice` returns.

    ``table``: one row per (charge period, offering) (and model billed, ``by_model``);
    ``left_out``: API offerings left out of a period and why (``charge_period_start``,
    ``offering_id``, ``provider``, ``model``, ``reason``); ``dropped``: AI token usage lines
    left out because their tokens cannot be priced (``line``, ``problem``), only with
    ``drop_bad_lines``.
    """

    table: pd.DataFrame
    left_out: pd.DataFrame
    dropped: pd.DataFrame


def model_family(model: object) -> str:
    """A model name without its packaging: ``Llama 3.3 70B Instruct Turbo`` -> ``llama 3.3
    70b``, ``Llama 3.x 70B (fp8)`` -> ``llama 3.x 70b``."""
    text = re.sub(r"\([^)]*\)", " ", str(model).lower())
    words = [w for w in re.split(r"[\s_/-]+", text) if w and w not in PACKAGING_WORDS]
    return " ".join(words)


def _pattern(family: str) -> re.Pattern:
    # A version wildcard ("3.x") stands for any version number.
    return re.compile(re.sub(r"\\\.x\b", r"\\.\\d+", re.escape(family)))


def same_family(a: object, b: object) -> bool:
    """Whether two model names name the same model (:func:`model_family`)."""
    fa, fb = model_family(a), model_family(b)
    return bool(fa and fb and (_pattern(fa).fullmatch(fb) or _pattern(fb).fullmatch(fa)))


#: The kinds a group of lines bills, each with the workload of one million of its tokens.
UNIT_WORKLOADS = {
    ("input", ""): Workload(TOKENS_PER_MILLION, 0.0),
    ("cached_input", ""): Workload(0.0, 0.0, cached_input_tokens=TOKENS_PER_MILLION),
    ("cache_write", "5m"): Workload(0.0, 0.0, cache_write_tokens=TOKENS_PER_MILLION),
    ("cache_write", "1h"): Workload(
        0.0, 0.0, cache_write_tokens=TOKENS_PER_MILLION, cache_ttl="1h"
    ),
    ("output", ""): Workload(0.0, TOKENS_PER_MILLION),
}
#: Columns of a cost table that grow with the tokens (every cost is linear in the tokens of
#: each kind: per-token API prices, and GPU time at a fixed throughput and utilization).
_LINEAR = ["cost_usd", "gpu_hours", "wall_clock_hours"]


class _UnitCosts:
    """Each offering's cost of a million tokens of each kind, per set of prices in force.

    Dates whose snapshots hold the same observations share one set of cost tables (a bill of
    daily lines prices each observation once, not each day); ``cache`` keeps them between
    calls with the same serving assumptions and options.
    """

    def __init__(self, serving: pd.DataFrame, options: dict, cache: dict):
        self.serving, self.options = serving, options
        self.key = (tuple(serving.get("assumption_id", ())), tuple(sorted(options.items())))
        if "gpu_specs" not in cache:
            cache["gpu_specs"] = tables_mod.load_gpu_specs()
        self.gpu_specs = cache["gpu_specs"]
        self.tables = cache.setdefault(("tables", self.key), {})
        self.gone = cache.setdefault(("gone", self.key), {})

    @staticmethod
    def fingerprint(snapshot: prices.PriceSnapshot) -> tuple:
        api = snapshot.api[["provider", "model_id", "observed_on", "confidence"]]
        gpu = snapshot.gpu[["provider", "gpu", "tier", "pricing", "observed_on", "confidence"]]
        return (tuple(map(tuple, api.to_numpy())), tuple(map(tuple, gpu.to_numpy())))

    def table(self, snapshot: prices.PriceSnapshot, kind: tuple) -> pd.DataFrame:
        key = (self.fingerprint(snapshot), kind)
        if key not in self.tables:
            workload = UNIT_WORKLOADS[kind]
            table = compare.cost_table(
                workload, snapshot, self.serving, gpu_specs=self.gpu_specs, **self.options
            )
            self.tables[key] = table.set_index("offering_id")
            api = table["platform_type"] != "diy_gpu"
            missing = len(snapshot.api) - int(api.sum())
            tier = {"service_tier": self.options["service_tier"]}
            self.gone[key] = (
                compare.api_unpriced(UNIT_WORKLOADS[kind], snapshot, **tier)
                if missing
                else compare.left_out_frame(snapshot.api.iloc[:0], pd.Series(dtype=object))
            )
        return self.tables[key]

    def left_out(self, snapshot: prices.PriceSnapshot, kind: tuple) -> pd.DataFrame:
        self.table(snapshot, kind)
        return self.gone[(self.fingerprint(snapshot), kind)]


def _tokens_by_kind(part: pd.DataFrame) -> dict[tuple, float]:
    """Tokens of each kind (and cache lifetime) a group of lines bills, kinds with none left
    out. [tokens]"""
    summed = part.groupby(["token_kind", "cache_ttl"])["billed_tokens"].sum()
    return {key: float(summed[key]) for key in UNIT_WORKLOADS if summed.get(key, 0.0) > 0}


def _priced(
    tokens: dict[tuple, float], snapshot: prices.PriceSnapshot, units: _UnitCosts
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every offering's cost of these tokens (those that price every kind of them), as a cost
    table, and the API offerings left out with why."""
    tables = {kind: units.table(snapshot, kind) for kind in tokens}
    first = next(iter(tables.values()))
    keep = first.index
    for table in tables.values():
        keep = keep.intersection(table.index, sort=False)
    out = first.loc[keep].copy()
    for column in _LINEAR:
        out[column] = sum(
            table.loc[keep, column] * (count / TOKENS_PER_MILLION)
            for (kind, count), table in zip(tokens.items(), tables.values(), strict=True)
        )
    out["input_tokens"] = tokens.get(("input", ""), 0.0)
    out["cached_input_tokens"] = tokens.get(("cached_input", ""), 0.0)
    out["cache_write_1h_tokens"] = tokens.get(("cache_write", "1h"), 0.0)
    out["cache_write_tokens"] = (
        tokens.get(("cache_write", "5m"), 0.0) + out["cache_write_1h_tokens"]
    )
    out["output_tokens"] = tokens.get(("output", ""), 0.0)
    total = float(sum(tokens.values()))
    out["total_tokens"] = total
    age = (snapshot.as_of - out["observed_on"]).dt.days
    out["age_days"], out["stale"] = age, age > snapshot.stale_after_days
    finished = compare.finish(out.reset_index(drop=True), total)
    gone = pd.concat([units.left_out(snapshot, kind) for kind in tokens], ignore_index=True)
    return finished, gone.drop_duplicates("offering_id")


def _group_keys(by_model: bool) -> list[str]:
    keys = ["charge_period_start", "charge_period_end"]
    return ["provider", "billed_model", "offering_id", *keys] if by_model else keys


def reprice(
    bill: Bill,
    serving: pd.DataFrame,
    *,
    prices_on: PricesOn | None = None,
    utilization: float = 0.8,
    diy_token_basis: str = "total",
    service_tier: str = "standard",
    providers: Sequence[str] | None = None,
    platform_types: Sequence[str] | None = None,
    drop_bad_lines: bool = False,
    by_model: bool = False,
    identified: pd.DataFrame | None = None,
    cache: dict | None = None,
) -> Repriced:
    """Price the bill's tokens on every offering, charge period by charge period.

    Parameters
    ----------
    bill
        A bill read by :func:`infermodel.readers.focus.read_bill`.
    serving
        Serving assumptions of the DIY rows (:func:`infermodel.tables.serving.select`).
    prices_on
        The price snapshot of a date (:func:`infermodel.pricing.reconcile.shipped_prices` by
        default).
    utilization, diy_token_basis, service_tier
        As :func:`infermodel.pricing.compare.cost_table`.
    providers, platform_types
        Only these alternatives (:meth:`infermodel.prices.PriceSnapshot.select`).
    drop_bad_lines
        Leave out lines whose tokens cannot be priced (listed in ``dropped``) instead of
        refusing the bill (:func:`infermodel.pricing.reconcile.refuse_bad_lines`).
    by_model
        One workload per model billed and period, instead of the period's whole mix.
    identified
        :func:`infermodel.pricing.reconcile.identify` of the bill's lines (computed when not given).
    cache
        A dict kept between calls on the same bill and prices (the whole mix, then by
        model): each offering's cost of a million tokens of each kind is computed once.

    Returns
    -------
    Repriced
        ``table`` has :data:`COLUMNS`: the period (``priced_as_of`` the date priced), the
        offering's cost of the period's tokens (:data:`infermodel.pricing.contracts.COST_TABLE`
        columns) and, for the same lines, what the bill charged: ``billed_usd``,
        ``effective_usd``, ``list_cost_usd`` [USD], ``cost_minus_billed_usd`` [USD],
        ``cost_to_billed`` [-] and ``billed_offering`` (the offering the lines were billed
        on). Sorted by period, then as a cost table.
    """
    usage = refuse_bad_lines(bill, drop_bad_lines=drop_bad_lines)
    if usage.empty:
        scopes = bill.lines["scope"].value_counts()
        kinds = ", ".join(f"{n} {scope}" for scope, n in scopes.items()) or "no lines"
        raise DataError(
            f"{bill.path}: no AI token usage line to price ({kinds}); the kit prices lines with "
            "ChargeCategory Usage, ServiceCategory 'AI and Machine Learning' and ConsumedUnit "
            "in tokens"
        )
    identified = identify(bill.lines) if identified is None else identified
    prices_on = shipped_prices() if prices_on is None else prices_on
    usage = usage.join(identified[["offering_id"]])
    dropped = bill.bad[["line", "problem"]].reset_index(drop=True)
    options = dict(
        utilization=utilization, diy_token_basis=diy_token_basis, service_tier=service_tier
    )
    units = _UnitCosts(serving, options, {} if cache is None else cache)
    tables, left = [], []
    snapshots: dict = {}
    for key, part in usage.groupby(_group_keys(by_model), sort=True):
        start, end = key[-2], key[-1]
        day = period_last_day(pd.Series([end])).iloc[0]
        if day not in snapshots:
            snapshot = prices_on(day)
            if providers or platform_types:
                snapshot = snapshot.select(providers=providers, platform_types=platform_types)
            snapshots[day] = snapshot
        table, gone = _priced(_tokens_by_kind(part), snapshots[day], units)
        group = dict(zip(GROUP_COLUMNS, key[:3], strict=True)) if by_model else {}
        tables.append(_with_bill(table, part, start, end, day, group))
        left.append(gone.assign(charge_period_start=start))
    out = pd.concat(tables, ignore_index=True)
    if not by_model:
        out = out.drop(columns=list(GROUP_COLUMNS))
    left_out = pd.concat(left, ignore_index=True)
    return Repriced(out, left_out, dropped)


def _with_bill(
    table: pd.DataFrame,
    part: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    day: pd.Timestamp,
    group: dict,
) -> pd.DataFrame:
    """A period's cost table with the period and the bill's charges for its lines."""
    billed = float(part["billed_cost_usd"].sum())
    out = table.assign(
        charge_period_start=start,
        charge_period_end=end,
        priced_as_of=day,
        billed_provider=group.get("billed_provider", ""),
        billed_model=group.get("billed_model", ""),
        billed_offering_id=group.get("billed_offering_id", ""),
        lines=len(part),
        billed_usd=billed,
        effective_usd=float(part["effective_cost_usd"].sum()),
        list_cost_usd=float(part["list_cost_usd"].sum(min_count=1)),
        cost_minus_billed_usd=table["cost_usd"] - billed,
        cost_to_billed=table["cost_usd"] / billed if billed > 0 else np.nan,
    )
    out["billed_offering"] = out["offering_id"].isin(set(part["offering_id"]) - {""})
    return contracts.typed(out.reindex(columns=COLUMNS), contracts.BILL_TABLE)


def like_for_like(by_model: pd.DataFrame, api_prices: pd.DataFrame) -> pd.DataFrame:
    """For each model billed: its tokens on its own offering at list, on the cheapest other
    offering of the same model, and the best of staying or moving.

    ``by_model`` is :func:`reprice`'s table with ``by_model=True``; an offering counts only
    when it prices every period the model was billed in. ``api_prices`` names the models of
    the billed offerings (an unmapped model is matched by its name as billed). One row per
    model billed, sorted by billed cost, largest first: ``billed_usd``, ``effective_usd``,
    ``total_tokens``, ``periods``; ``list_usd`` (its own offering at the kit's list price;
    NaN when unmapped or not on sale); ``like_offering_id``, ``like_platform_type`` and
    ``like_usd`` (the cheapest other offering of the same model: another seller or rented
    GPUs serving it; empty when none is priced); ``best_usd`` (the smaller of what was billed
    and ``like_usd``) and ``saving_usd`` (billed minus best); ``any_offering_id`` and
    ``any_usd`` (the cheapest API of any model: a floor, not like for like) [USD].
    """
    keys = list(GROUP_COLUMNS)
    periods = by_model.groupby(keys)["charge_period_start"].nunique().rename("periods")
    bill = (
        by_model.drop_duplicates([*keys, "charge_period_start"])
        .groupby(keys)[["billed_usd", "effective_usd", "total_tokens"]]
        .sum()
        .join(periods)
    )
    costs = by_model.groupby([*keys, "offering_id"], sort=False).agg(
        cost_usd=("cost_usd", "sum"),
        priced=("charge_period_start", "nunique"),
        platform_type=("platform_type", "first"),
        model=("model", "first"),
    )
    costs = costs.join(periods)
    costs = costs[costs["priced"] == costs["periods"]].reset_index()
    names = dict(zip(offerings.ids(api_prices), api_prices["model"], strict=True))
    rows = []
    for key, mine in costs.groupby(keys, sort=False):
        billed_id = key[2]
        name = names.get(billed_id, key[1])
        # Interruptible (spot) capacity is not like for like with billed production traffic.
        spot = mine["offering_id"].str.contains("/spot@", regex=False)
        other = mine[(mine["offering_id"] != billed_id) & ~spot]
        same = other[other["model"].map(lambda m, n=name: same_family(m, n))]
        own = mine[mine["offering_id"] == billed_id]
        apis = mine[mine["platform_type"] != "diy_gpu"]
        like = same.loc[same["cost_usd"].idxmin()] if len(same) else None
        floor = apis.loc[apis["cost_usd"].idxmin()] if len(apis) else None
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "billed_model_name": name,
                "list_usd": float(own["cost_usd"].iloc[0]) if len(own) else np.nan,
                "like_offering_id": "" if like is None else like["offering_id"],
                "like_platform_type": "" if like is None else like["platform_type"],
                "like_usd": np.nan if like is None else float(like["cost_usd"]),
                "any_offering_id": "" if floor is None else floor["offering_id"],
                "any_usd": np.nan if floor is None else float(floor["cost_usd"]),
            }
        )
    out = bill.reset_index().merge(pd.DataFrame(rows), on=keys, how="left")
    out["best_usd"] = np.fmin(out["billed_usd"], out["like_usd"])
    out["saving_usd"] = out["billed_usd"] - out["best_usd"]
    return out.sort_values("billed_usd", ascending=False, kind="stable").reset_index(drop=True)
