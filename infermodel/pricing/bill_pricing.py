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
- **Rented GPUs are billed as the traffic would be billed**
(:mod:`infermodel.pricing.billing_basis`):
  a bill's tokens are requests answered as they arrived (``realtime`` traffic) unless every
  line of the group was billed at the batch tier, so rented GPUs serving them are replicas
  kept up for the whole charge period, at least ``min_replicas`` or as many as the period's
  tokens need at the serving assumption's throughput and ``utilization`` (``always_on``:
  :func:`infermodel.formulas.diy_period_cost_usd`, the break-even page's formula over the
  period's hours); batch-tier tokens are a batch job's busy GPU-hours (``busy_hours``, the
  article's formula). Every token of the period (or only output, ``diy_token_basis``) takes
  GPU time. Each row says whether its serving assumption fits the traffic
  (``fits_traffic``: real-time traffic needs a real-time assumption,
  :func:`infermodel.estimator.serving_checks.fits_traffic`); :func:`like_for_like` proposes only
  those.
- **Linear in each kind.** A period's API cost and busy GPU time on an offering are the sum,
  over the kinds of tokens it bills, of its tokens times the offering's cost (and busy time)
  of a million tokens of that kind (:func:`infermodel.pricing.compare.cost_table` of
  :data:`UNIT_WORKLOADS`): exact, since API prices are per token and busy GPU time grows
  with tokens at a fixed throughput and utilization, and it prices each set of observations
  once, however many periods or models share it; replicas kept up are then counted from the
  period's tokens.
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
from infermodel.errors import DataError, NoPricesError
from infermodel.estimator import serving_checks
from infermodel.pricing import billing_basis, compare, contracts
from infermodel.pricing.reconcile import (
    PricesOn,
    identify,
    period_last_day,
    refuse_bad_lines,
    shipped_prices,
)
from infermodel.readers.focus import Bill
from infermodel.tables import offerings
from infermodel.units import SECONDS_PER_HOUR, TOKENS_PER_MILLION
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
    tokens: dict[tuple, float],
    snapshot: prices.PriceSnapshot,
    units: _UnitCosts,
    served: dict,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every offering's cost of these tokens (those that price every kind of them), as a cost
    table, and the API offerings left out with why.

    ``served`` says how rented GPUs are billed: ``traffic``, ``period_hours`` [h],
    ``min_replicas`` and ``diy_token_basis`` (:func:`_billed_as_traffic`).
    """
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
    diy_tokens = total if served["diy_token_basis"] == "total" else out["output_tokens"].iloc[0]
    out = _billed_as_traffic(out.reset_index(drop=True), float(diy_tokens), served)
    finished = compare.finish(out, total)
    gone = pd.concat([units.left_out(snapshot, kind) for kind in tokens], ignore_index=True)
    return finished, gone.drop_duplicates("offering_id")


def _billed_as_traffic(table: pd.DataFrame, diy_tokens: float, served: dict) -> pd.DataFrame:
    """The DIY rows billed as ``served["traffic"]`` would be
    (:mod:`infermodel.pricing.billing_basis`): replicas kept up for the period for real-time
    traffic, busy hours for a batch job; with
    ``traffic``, ``replicas`` and ``fits_traffic`` on every row (empty on API rows)."""
    traffic = served["traffic"]
    diy = (table["platform_type"] == "diy_gpu").to_numpy()
    table = table.assign(traffic=traffic, replicas=np.nan, fits_traffic=pd.NA)
    if not diy.any():
        return table
    rows = table[diy]
    if billing_basis.for_traffic(traffic) == "always_on":
        rows = billing_basis.reprice_kept_up(
            rows, diy_tokens, served["period_hours"], min_replicas=served["min_replicas"]
        )
    rows = rows.assign(fits_traffic=serving_checks.fits_traffic(rows["mode"], traffic))
    table = table.astype({"replicas": float, "fits_traffic": "boolean"})
    table.loc[diy, list(rows.columns)] = rows.to_numpy(dtype=object)
    return table


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
    min_replicas: int = 1,
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
    min_replicas
        Replicas kept up for each charge period whatever its tokens, when rented GPUs serve
        real-time traffic (:func:`infermodel.pricing.billing_basis.kept_up_cost`). [-]

    Returns
    -------
    Repriced
        ``table`` has :data:`COLUMNS`: the period (``priced_as_of`` the date priced), the
        offering's cost of the period's tokens (:data:`infermodel.pricing.contracts.COST_TABLE`
        columns) and, for the same lines, what the bill charged: ``billed_usd``,
        ``effective_usd``, ``list_cost_usd`` [USD], ``cost_minus_billed_usd`` [USD],
        ``cost_to_billed`` [-] and ``billed_offering`` (the offering the lines were billed
        on); ``traffic`` (``realtime`` or ``batch``), and on DIY rows ``replicas`` kept up
        (real-time traffic) and ``fits_traffic``. DIY rows carry their ``billing_basis``.
        Sorted by period, then as a cost table.
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
            snapshots[day] = _period_prices(bill, part, prices_on, providers, platform_types)
        served = {
            "traffic": billing_basis.traffic_of_tiers(part["service_tier"]),
            "period_hours": (end - start) / pd.Timedelta(seconds=SECONDS_PER_HOUR),
            "min_replicas": min_replicas,
            "diy_token_basis": diy_token_basis,
        }
        table, gone = _priced(_tokens_by_kind(part), snapshots[day], units, served)
        group = dict(zip(GROUP_COLUMNS, key[:3], strict=True)) if by_model else {}
        tables.append(_with_bill(table, part, start, end, day, group))
        left.append(gone.assign(charge_period_start=start))
    out = pd.concat(tables, ignore_index=True)
    if not by_model:
        out = out.drop(columns=list(GROUP_COLUMNS))
    left_out = pd.concat(left, ignore_index=True)
    return Repriced(out, left_out, dropped)


def _period_prices(bill: Bill, part: pd.DataFrame, prices_on, providers, platform_types):
    """The price snapshot a charge period's lines are priced at (its last day), or one line
    naming the first line and the period when no price was read by then."""
    start, end = part["charge_period_start"].iloc[0], part["charge_period_end"].iloc[0]
    day = period_last_day(pd.Series([end])).iloc[0]
    try:
        snapshot = prices_on(day)
    except NoPricesError as exc:
        raise NoPricesError(
            f"{bill.where(int(part['line'].iloc[0]))}: the charge period {start:%Y-%m-%d} "
            f"to {end:%Y-%m-%d} is priced as of {day:%Y-%m-%d}: {exc}; leave such lines "
            "out of the bill (or price them with 'infermodel bill --reconcile', which "
            "lists them)"
        ) from None
    if providers or platform_types:
        snapshot = snapshot.select(providers=providers, platform_types=platform_types)
    return snapshot


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
    when it prices every period the model was billed in, and a rented GPU only when its
    serving assumption fits the traffic in every period (``fits_traffic``) and it is not
    interruptible (spot) capacity. ``api_prices`` names the models of the billed offerings
    (an unmapped model is matched by its name as billed). One row per model billed, sorted
    by billed cost, largest first: ``billed_usd``, ``effective_usd``, ``total_tokens``,
    ``periods``, ``traffic``; ``list_usd`` (its own offering at the kit's list price; NaN when
    unmapped or not on sale); ``like_offering_id``, ``like_platform_type`` and ``like_usd``
    (the cheapest other offering of the same model: another seller or rented GPUs serving
    it; empty when none is priced); ``best_usd`` (the smaller of what was billed and
    ``like_usd``) and ``saving_usd`` (billed minus best); ``diy_offering_id``, ``diy_usd``,
    ``diy_billing_basis`` and ``diy_replicas`` (the cheapest rented GPUs serving the same
    model as the traffic would bill them, most replicas in a period; whether or not they
    are cheaper); ``any_offering_id`` and ``any_usd`` (the cheapest API of any model: a
    floor, not like for like) [USD].
    """
    keys = list(GROUP_COLUMNS)
    periods = by_model.groupby(keys)["charge_period_start"].nunique().rename("periods")
    traffic = by_model.groupby(keys)["traffic"].agg(
        lambda t: "realtime" if (t == "realtime").any() else "batch"
    )
    bill = (
        by_model.drop_duplicates([*keys, "charge_period_start"])
        .groupby(keys)[["billed_usd", "effective_usd", "total_tokens"]]
        .sum()
        .join(periods)
        .join(traffic)
    )
    costs = by_model.assign(fits=by_model["fits_traffic"].fillna(True).astype(bool))
    costs = costs.groupby([*keys, "offering_id"], sort=False).agg(
        cost_usd=("cost_usd", "sum"),
        priced=("charge_period_start", "nunique"),
        platform_type=("platform_type", "first"),
        model=("model", "first"),
        fits=("fits", "all"),
        billing_basis=("billing_basis", "first"),
        replicas=("replicas", "max"),
    )
    costs = costs.join(periods)
    costs = costs[costs["priced"] == costs["periods"]].reset_index()
    names = dict(zip(offerings.ids(api_prices), api_prices["model"], strict=True))
    rows = [
        _alternatives(key, mine, names.get(key[2], key[1]))
        for key, mine in costs.groupby(keys, sort=False)
    ]
    out = bill.reset_index().merge(pd.DataFrame(rows), on=keys, how="left")
    out["best_usd"] = np.fmin(out["billed_usd"], out["like_usd"])
    out["saving_usd"] = out["billed_usd"] - out["best_usd"]
    return out.sort_values("billed_usd", ascending=False, kind="stable").reset_index(drop=True)


def _alternatives(key: tuple, mine: pd.DataFrame, name: str) -> dict:
    """The alternatives of one model billed (one ``like_for_like`` row, without the bill)."""
    billed_id = key[2]
    # Interruptible (spot) capacity is not like for like with billed production traffic, nor
    # is a serving assumption that does not fit the traffic (batch throughput for real time).
    spot = mine["offering_id"].str.contains("/spot@", regex=False)
    other = mine[(mine["offering_id"] != billed_id) & ~spot & mine["fits"]]
    same = other[other["model"].map(lambda m: same_family(m, name))]
    own = mine[mine["offering_id"] == billed_id]
    apis = mine[mine["platform_type"] != "diy_gpu"]
    diy = same[same["platform_type"] == "diy_gpu"]

    def best(rows: pd.DataFrame):
        return rows.loc[rows["cost_usd"].idxmin()] if len(rows) else None

    like, floor, gpu = best(same), best(apis), best(diy)
    return {
        **dict(zip(GROUP_COLUMNS, key, strict=True)),
        "billed_model_name": name,
        "list_usd": float(own["cost_usd"].iloc[0]) if len(own) else np.nan,
        "like_offering_id": "" if like is None else like["offering_id"],
        "like_platform_type": "" if like is None else like["platform_type"],
        "like_usd": np.nan if like is None else float(like["cost_usd"]),
        "diy_offering_id": "" if gpu is None else gpu["offering_id"],
        "diy_usd": np.nan if gpu is None else float(gpu["cost_usd"]),
        "diy_billing_basis": "" if gpu is None else gpu["billing_basis"],
        "diy_replicas": np.nan if gpu is None else float(gpu["replicas"]),
        "any_offering_id": "" if floor is None else floor["offering_id"],
        "any_usd": np.nan if floor is None else float(floor["cost_usd"]),
    }
