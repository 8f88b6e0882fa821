"""A usage log priced the way it was spent: each request on its own model, on its own day.

:func:`price_spend` takes a request log opened by :func:`infermodel.readers.logs.read_trace`
(any format ``trace`` reads, with a ``model`` column) and prices every request on the offering
its model names, at the prices in force on the date of its timestamp (the prices of
``as_of`` when the log has no timestamps). The log's engine (DuckDB or Spark) groups the
requests by (model, day, prompt, cached prompt, output); the groups are priced here with the
prices of their day (:func:`infermodel.prices.service_tiers.for_snapshot`: long-context tiers per
request, cache reads at the cached price, the providers' rules).

A request that cannot be priced is listed with the reason, never dropped:

- its model names no tracked offering (with the closest names: "did you mean"), or names
  several (write it as an offering id, e.g. ``openai/gpt-4o``);
- its offering has no price that day (not yet observed, or withdrawn before it);
- its prompt or output is over the offering's context window
  (:mod:`infermodel.tables.context_windows`): the provider refuses it;
- the offering has no price at the service tier asked for.

Models are matched, ignoring case, by offering id, by the kit's ``model_id``, by the source
keys of ``tracked_offerings.csv`` and by ``data/bill_models.csv`` (dated snapshots and other
ids a provider bills as one offering; ``names`` adds a user's own), as bills are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from infermodel import checks
from infermodel.errors import InputError, NoPricesError
from infermodel.prices import service_tiers
from infermodel.pricing import reconcile
from infermodel.readers.logs import Trace
from infermodel.tables import context_windows, offerings
from infermodel.units import TOKENS_PER_MILLION

#: Columns of :attr:`Spend.groups`, one row per (model as logged, day) and reason.
GROUP_COLUMNS = [
    "model",
    "offering_id",
    "day",
    "requests",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "long_context_requests",
    "cost_usd",
    "unpriced_reason",
    "first_line",
    "prices_observed_on",
    "source_url",
]
#: The reason of a request whose log names no model.
NO_MODEL = "the request names no model"


@dataclass(frozen=True)
class Spend:
    """A log priced request by request: the groups, and the totals people read.

    ``groups`` has :data:`GROUP_COLUMNS`: priced rows have ``cost_usd`` [USD] and an empty
    ``unpriced_reason``; unpriced rows the reason and no cost. Token columns [tokens]:
    ``input_tokens`` excludes ``cached_input_tokens``. ``first_line`` is the log line of the
    first request of the row.
    """

    groups: pd.DataFrame
    dated: bool
    #: Every distinct request of the log (model, day, prompt, cached prompt, output) with
    #: ``requests`` of that shape, their ``cost_usd`` [USD, all of them] and
    #: ``unpriced_reason``: each request's own price.
    shapes: pd.DataFrame | None = None

    @property
    def priced(self) -> pd.DataFrame:
        return self.groups[self.groups["unpriced_reason"] == ""]

    @property
    def unpriced(self) -> pd.DataFrame:
        """Requests that could not be priced, by (model, day, reason)."""
        return self.groups[self.groups["unpriced_reason"] != ""].reset_index(drop=True)

    @property
    def total_usd(self) -> float:
        return float(self.priced["cost_usd"].sum())

    def by_model(self) -> pd.DataFrame:
        """Priced requests, tokens and cost per offering, with the names the log gave it
        (``model``: several joined by " / ", e.g. a dated snapshot and its alias)."""
        priced = self.priced
        totals = _totals(priced, ["offering_id"])
        logged = priced.groupby("offering_id")["model"].agg(lambda m: " / ".join(dict.fromkeys(m)))
        totals.insert(0, "model", totals["offering_id"].map(logged))
        return totals.sort_values("cost_usd", ascending=False, kind="stable", ignore_index=True)

    def by_day(self) -> pd.DataFrame:
        """Priced requests, tokens and cost per day (the prices' date)."""
        return _totals(self.priced, ["day"]).sort_values("day", kind="stable", ignore_index=True)


def _totals(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    sums = [
        "requests",
        "input_tokens",
        "cached_input_tokens",
        "output_tokens",
        "long_context_requests",
        "cost_usd",
    ]
    if frame.empty:
        return pd.DataFrame(columns=[*keys, *sums])
    return frame.groupby(keys, as_index=False, dropna=False)[sums].sum()


#: The log's requests grouped by model, day and shape (one SQL text for both engines).
_GROUPS_SQL = """
    SELECT model, CAST(ts AS DATE) AS day, input_tokens, cached_input_tokens, output_tokens,
           count(*)::BIGINT AS n, min(line)::BIGINT AS first_line
    FROM requests GROUP BY ALL
"""


def request_groups(trace: Trace) -> pd.DataFrame:
    """The log's requests grouped by (model, day, prompt, cached prompt, output), by its engine.

    Columns ``model`` (as logged; missing where none), ``day`` (NaT without timestamps),
    the three token counts [tokens], ``n`` [requests] and ``first_line``.
    """
    with trace.engine.reading(trace.path, trace.fmt):
        groups = trace.engine.frame(_GROUPS_SQL)
    groups["day"] = pd.to_datetime(groups["day"])
    return groups


def resolve_models(models: list[str], names: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """``{model as logged: (offering_id, why not)}``: an id, or "" and the reason.

    A model matches an offering id, or a name of :func:`infermodel.pricing.reconcile.model_names`
    (any
    provider) that names one offering, ignoring case.
    """
    ids = {i.casefold(): i for i in names["offering_id"]}
    by_name = names.groupby("name")["offering_id"].unique()
    known = sorted({*ids, *by_name.index})
    out = {}
    for model in models:
        key = str(model).casefold()
        if key in ids:
            out[model] = (ids[key], "")
        elif key in by_name.index and len(by_name[key]) == 1:
            out[model] = (by_name[key][0], "")
        elif key in by_name.index:
            several = ", ".join(sorted(by_name[key]))
            out[model] = ("", f"model {model!r} names several offerings ({several}): write "
                          "it as an offering id")  # fmt: skip
        else:
            hint = checks.close_matches(key, known, n=2)
            out[model] = ("", f"model {model!r} names no tracked offering{hint}; map it in "
                          "data/bill_models.csv or with --models")  # fmt: skip
    return out


class _PricesByDay:
    """Each day's effective prices and windows by offering id, built once a day."""

    def __init__(self, service_tier: str):
        self.prices_on = reconcile.shipped_prices()
        self.service_tier = service_tier
        self.days: dict = {}

    def __call__(self, day: pd.Timestamp) -> tuple[pd.DataFrame | None, str, object]:
        """(prices with windows by offering id, or None; why none; the snapshot)."""
        if day not in self.days:
            try:
                snapshot = self.prices_on(day)
            except NoPricesError as exc:
                self.days[day] = (None, str(exc), None)
                return self.days[day]
            effective = service_tiers.for_snapshot(snapshot, service_tier=self.service_tier)
            windows = context_windows.windows_for(snapshot.api, snapshot.as_of)
            frame = pd.concat([effective, windows], axis=1)
            frame["observed_on"] = snapshot.api["observed_on"]
            frame["source_url"] = snapshot.api["source_url"]
            frame.index = offerings.ids(snapshot.api).to_numpy()
            self.days[day] = (frame, "", snapshot)
        return self.days[day]


def _group_cost(rows: pd.DataFrame, price: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(cost [USD], long-context flag) of each request group at one offering's prices."""
    threshold = price["long_context_threshold_tokens"]
    long = (rows["input_tokens"] > threshold).to_numpy() if pd.notna(threshold) else None
    long = np.zeros(len(rows), dtype=bool) if long is None else long

    def pick(column: str) -> np.ndarray:
        short, wide = price[column], price[f"{column}_long_context"]
        return np.where(long, wide if pd.notna(wide) else short, short)

    pin, pout = pick("usd_per_million_input_tokens"), pick("usd_per_million_output_tokens")
    pcached = pick("usd_per_million_cached_input_tokens")
    pcached = np.where(np.isnan(pcached.astype(float)), pin, pcached)
    n = rows["n"].to_numpy(dtype=float)
    uncached = (rows["input_tokens"] - rows["cached_input_tokens"]).to_numpy(dtype=float)
    cost = n * (
        uncached * pin
        + rows["cached_input_tokens"].to_numpy(dtype=float) * pcached
        + rows["output_tokens"].to_numpy(dtype=float) * pout
    )
    return cost / TOKENS_PER_MILLION, long


def _why_not(price: pd.Series, rows: pd.DataFrame) -> pd.Series:
    """Per request group: why the offering cannot price it ("" where it can): over its
    context window, or no price at the tier for a kind of token the group has."""
    windows = pd.DataFrame(
        {c: float(price[c]) for c in ("max_input_tokens", "max_output_tokens")}, index=rows.index
    )
    too_long = context_windows.over_window(
        windows,
        prompt_tokens=rows["input_tokens"].to_numpy(dtype=float),
        output_tokens=rows["output_tokens"].to_numpy(dtype=float),
    )
    one = price.to_frame().T.reset_index(drop=True)
    gaps = {}
    for is_long in (False, True):
        cached = bool(rows["cached_input_tokens"].gt(0).any())
        uses = service_tiers.uses(uncached=True, cached=cached, write=False, output=True)
        gaps[is_long] = service_tiers.unpriced(
            one, uses=uses, long_context=pd.Series([is_long])
        ).iloc[0]
    long = (rows["input_tokens"] > price["long_context_threshold_tokens"]).to_numpy()
    tier_gap = pd.Series(np.where(long, gaps[True], gaps[False]), index=rows.index)
    return too_long.where(too_long != "", tier_gap).astype(object)


def price_spend(
    trace: Trace,
    *,
    as_of: object | None = None,
    service_tier: str = "standard",
    names: pd.DataFrame | None = None,
) -> Spend:
    """Price every request of ``trace`` on its own model at the prices of its own day.

    Parameters
    ----------
    trace
        A log with a ``model`` column (:func:`infermodel.readers.logs.read_trace`).
    as_of
        The date whose prices apply to a log without timestamps (``YYYY-MM-DD``); refused
        for a log with timestamps, whose requests are priced on their own dates.
    service_tier
        The tier every request was sent at (:data:`infermodel.tables.SERVICE_TIERS`).
    names
        Model names to offerings (:func:`infermodel.pricing.reconcile.model_names`; the shipped
        mapping
        by default, plus a user's table through ``model_names(extra=...)``).

    Raises
    ------
    InputError
        The log has no model column, or ``as_of`` is missing (untimed log) or given for a
        timed one.
    """
    service_tiers.check_service_tier(service_tier)
    if trace.mapping.model is None:
        raise InputError(
            f"{trace.path}: the log has no model column, so no request names the model it "
            "was sent to; add a 'model' column (or map one with ColumnMapping(model=...))"
        )
    if trace.has_timestamps and as_of is not None:
        raise InputError(
            f"{trace.path}: the log has timestamps, so each request is priced at the prices "
            "of its own day; --as-of is for a log without a timestamp column: drop it"
        )
    if not trace.has_timestamps and as_of is None:
        raise InputError(
            f"{trace.path}: the log has no timestamps: give --as-of YYYY-MM-DD, the date "
            "whose prices apply to every request"
        )
    groups = request_groups(trace)
    if not trace.has_timestamps:
        groups["day"] = checks.date(as_of)
    names = reconcile.model_names() if names is None else names
    models = [m for m in groups["model"].dropna().unique()]
    resolved = resolve_models(models, names)
    book = _PricesByDay(service_tier)
    priced = [
        _price_model_day(rows, model, day, resolved, book)
        for (model, day), rows in groups.groupby(["model", "day"], dropna=False, sort=True)
    ]
    summed = pd.concat([p[0] for p in priced], ignore_index=True)[GROUP_COLUMNS]
    shapes = pd.concat([p[1] for p in priced], ignore_index=True)
    return Spend(summed, trace.has_timestamps, shapes)


def _price_model_day(
    rows: pd.DataFrame, model, day: pd.Timestamp, resolved: dict, book: _PricesByDay
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of :data:`GROUP_COLUMNS` for one (model, day), priced or why not, and its
    request shapes each with its cost (:attr:`Spend.shapes`)."""
    rows = rows.reset_index(drop=True)
    offering_id, why = ("", NO_MODEL) if pd.isna(model) else resolved[model]
    reasons = pd.Series(why, index=rows.index, dtype=object)
    cost = np.full(len(rows), np.nan)
    long = np.zeros(len(rows), dtype=bool)
    observed, source = None, None
    if not why:
        frame, none, snapshot = book(day)
        if frame is None:
            reasons[:] = f"no price on {day.date()}: {none}"
        elif offering_id not in frame.index:
            reasons[:] = f"no price on {day.date()}: {reconcile._gone(snapshot, offering_id)}"
        else:
            price = frame.loc[offering_id]
            reasons = _why_not(price, rows)
            cost, long = _group_cost(rows, price)
            observed, source = price["observed_on"], price["source_url"]
    out = pd.DataFrame(
        {
            "model": model,
            "offering_id": offering_id,
            "day": day,
            "n": rows["n"],
            "input_tokens": rows["input_tokens"] - rows["cached_input_tokens"],
            "cached_input_tokens": rows["cached_input_tokens"],
            "output_tokens": rows["output_tokens"],
            "long": long,
            "cost": np.where(reasons == "", cost, np.nan),
            "unpriced_reason": reasons.to_numpy(),
            "first_line": rows["first_line"],
        }
    )
    shapes = pd.DataFrame(
        {
            "model": model,
            "offering_id": offering_id,
            "day": day,
            "input_tokens": rows["input_tokens"],
            "cached_input_tokens": rows["cached_input_tokens"],
            "output_tokens": rows["output_tokens"],
            "requests": rows["n"],
            "cost_usd": out["cost"],
            "unpriced_reason": out["unpriced_reason"],
            "first_line": rows["first_line"],
        }
    )
    for column in ("input_tokens", "cached_input_tokens", "output_tokens"):
        out[column] = out[column] * out["n"]
    out["long"] = out["long"] * out["n"]
    summed = out.groupby("unpriced_reason", as_index=False, sort=False).agg(
        requests=("n", "sum"),
        input_tokens=("input_tokens", "sum"),
        cached_input_tokens=("cached_input_tokens", "sum"),
        output_tokens=("output_tokens", "sum"),
        long_context_requests=("long", "sum"),
        cost_usd=("cost", "sum"),
        first_line=("first_line", "min"),
    )
    summed["cost_usd"] = summed["cost_usd"].where(summed["unpriced_reason"] == "")
    summed = summed.assign(
        model=model,
        offering_id=offering_id,
        day=day,
        prices_observed_on=observed,
        source_url=source,
    )
    return summed, shapes
