"""A FOCUS bill checked line by line against the kit's list prices.

:func:`identify` maps each AI token usage line of a :class:`~infermodel.readers.focus.Bill`
to a tracked offering; :func:`reconcile` prices each such line at the kit's list price for
its model and token kind on its date and says how the bill compares; :func:`totals` adds the
lines up by scope and reason. The same tokens on every alternative are
:mod:`infermodel.pricing.bill_pricing`.

Readings (each one argument or table row away from the other):

- **Which model.** A line's model is its ``SkuPriceDetails`` ``ModelId``, its provider the
  bill's ``ServiceProviderName`` (``ProviderName`` in FOCUS 1.2), matched by provider slug
  (:func:`infermodel.tables.offerings.provider_slug`) and model ignoring case, first in a mapping
  given by the caller, then in ``data/bill_models.csv`` (dated snapshots and other ids, each
  with its source), then as the offering's own ``model_id`` (``openai/gpt-4o``), then as a
  source key of ``tracked_offerings.csv`` (LiteLLM key, genai-prices id) naming one offering
  only. An unmapped model is named with the closest ids ("did you mean").
- **Which date.** A line is priced at the prices in force on the last day of its charge
  period (``ChargePeriodEnd`` is exclusive: the day before it): the newest observation on or
  before the period's end is the latest reading of the price during the period, and a
  quarter's lines then price at the quarter's own observations. Where the kit's list price on
  the period's first day differs, the line says so (``price_changed_in_period``).
- **Which price.** The price column of the line's token kind from
  :func:`infermodel.prices.service_tiers.for_snapshot` at the line's tier and cache lifetime: the
  very prices ``infermodel table`` bills a workload at, so a line at list reconciles to what
  ``table`` says for its tokens.
- **Reasons** (:data:`REASONS`), first that applies: the line's tokens cannot be counted
  (``unit or quantity mismatch``); no tracked price for its model and kind on its date
  (``unpriced model``); a ``CommitmentDiscountId`` (``committed discount``); billed below the
  bill's own ``ListCost`` by more than a cent (``negotiated discount``); billed within a cent
  of the kit's list price (``at list``); else above or below it (``billed above list``,
  ``billed below list``: the provider's list differs from the kit's, or the kit's is stale).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from infermodel import checks, formulas, prices, tables
from infermodel.analyses import quarters
from infermodel.errors import DataError, NoPricesError
from infermodel.prices import PriceSnapshot, service_tiers
from infermodel.pricing import contracts
from infermodel.readers.focus import Bill
from infermodel.readers.focus.skus import TOKEN_KINDS
from infermodel.tables import api_terms, offerings

#: A cent: amounts closer than this are the same on a bill rounded to the cent. [USD]
CENT_USD = 0.01
#: Every reason a reconciled line can carry (declared with its table's contract).
REASONS = contracts.RECONCILE_REASONS
AT_LIST, COMMITTED, NEGOTIATED, ABOVE, BELOW, UNPRICED, MISMATCH, OUT_OF_SCOPE = REASONS
#: The price column of each token kind (:data:`infermodel.prices.service_tiers.PRICE_COLUMNS`).
PRICE_OF = dict(zip(TOKEN_KINDS, service_tiers.PRICE_COLUMNS, strict=True))

#: Columns of :func:`reconcile`, in order (:data:`infermodel.pricing.contracts.RECONCILE_TABLE`).
RECONCILE_COLUMNS = tuple(contracts.RECONCILE_TABLE.columns)

PricesOn = Callable[[pd.Timestamp], PriceSnapshot]


class ShippedPrices:
    """:func:`infermodel.prices.as_of` over the shipped tables, each read once and each date's
    snapshot built once (a bill asks for the prices of many dates, often the same ones).

    Call it with a date; :attr:`api_prices` is the API price table it reads.
    """

    def __init__(self):
        self.api_prices = tables.load_api_prices()
        self._tables = {
            "api_prices": self.api_prices,
            "gpu_prices": tables.load_gpu_prices(),
            "withdrawals": tables.load_withdrawals(),
            "readings": tables.load_price_readings(),
            "scheduled_retirements": api_terms.load_scheduled_retirements(),
        }
        self._snapshots: dict = {}

    def __call__(self, date: object) -> PriceSnapshot:
        day = pd.Timestamp(date)
        if day not in self._snapshots:
            self._snapshots[day] = prices.as_of(day, **self._tables)
        return self._snapshots[day]


def shipped_prices() -> ShippedPrices:
    """The shipped prices of any date (:class:`ShippedPrices`)."""
    return ShippedPrices()


def period_last_day(end: pd.Series) -> pd.Series:
    """The date a charge period is priced at: the day before its (exclusive) end."""
    return (pd.to_datetime(end) - pd.Timedelta(microseconds=1)).dt.normalize()


# --- which offering -------------------------------------------------------------------------


def _slug(provider: object) -> str:
    return offerings.provider_slug(str(provider))


def model_names(
    api_prices: pd.DataFrame | None = None,
    tracked: pd.DataFrame | None = None,
    bill_models: pd.DataFrame | None = None,
    extra: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every (provider slug, model as billed) the kit maps, with its ``offering_id`` and how.

    ``extra`` (a table in the layout of ``data/bill_models.csv``) comes first, then the
    shipped mapping, the offerings' own ids, and the tracked source keys that name one
    offering; the first mapping of a name wins. Columns ``provider_slug``, ``name`` (lower
    case), ``offering_id``, ``mapped_by``.
    """
    api = tables.load_api_prices() if api_prices is None else api_prices
    tracked = tables.load_tracked() if tracked is None else tracked
    shipped = api_terms.load_bill_models() if bill_models is None else bill_models
    frames = []
    for table, how in ((extra, "mapping given"), (shipped, "bill_models.csv")):
        if table is not None and len(table):
            frames.append(
                pd.DataFrame(
                    {
                        "provider_slug": table["provider"].map(_slug),
                        "name": table["billed_model"].str.casefold(),
                        "offering_id": table["offering_id"],
                        "mapped_by": how,
                    }
                )
            )
    own = api.drop_duplicates(["provider", "model_id"])
    frames.append(
        pd.DataFrame(
            {
                "provider_slug": own["provider"].map(_slug),
                "name": own["model_id"].str.casefold(),
                "offering_id": offerings.ids(own),
                "mapped_by": "tracked id",
            }
        )
    )
    for column in ("litellm_key", "genai_prices_model"):
        keys = tracked[tracked[column].notna()]
        alias = pd.DataFrame(
            {
                "provider_slug": keys["provider"].map(_slug),
                "name": keys[column].str.casefold(),
                "offering_id": offerings.ids(keys),
                "mapped_by": f"tracked_offerings.csv {column}",
            }
        )
        ambiguous = alias.groupby(["provider_slug", "name"])["offering_id"].transform("nunique")
        frames.append(alias[ambiguous == 1])
    names = pd.concat(frames, ignore_index=True)
    return names.drop_duplicates(["provider_slug", "name"]).reset_index(drop=True)


def _unmapped_detail(provider: str, model: str, names: pd.DataFrame) -> str:
    slug = _slug(provider)
    if not model:
        return "no ModelId in SkuPriceDetails: the line names no model"
    mine = names[names["provider_slug"] == slug]
    if mine.empty:
        providers = sorted(set(names["provider_slug"]))
        hint = checks.close_matches(slug, providers, n=2)
        return (
            f"no tracked offering of provider {provider!r}{hint} (providers: "
            f"{', '.join(providers)}); map its models in data/bill_models.csv"
        )
    hint = checks.close_matches(model.casefold(), list(mine["name"]), n=2)
    return (
        f"model {model!r} of {provider} maps to no tracked offering{hint}; add it to "
        "data/bill_models.csv with the offering it is billed as"
    )


def identify(lines: pd.DataFrame, names: pd.DataFrame | None = None) -> pd.DataFrame:
    """``lines`` with ``offering_id``, ``mapped_by`` and ``unmapped`` (why there is no
    offering, "" when there is) for every AI token usage line (others get "")."""
    names = model_names() if names is None else names
    lookup = {
        (row.provider_slug, row.name): (row.offering_id, row.mapped_by)
        for row in names.itertuples(index=False)
    }
    out = lines.assign(offering_id="", mapped_by="", unmapped="")
    usage = out[out["in_scope"]]
    pairs = dict.fromkeys(zip(usage["provider"], usage["billed_model"], strict=True))
    found = {}
    for provider, model in pairs:
        hit = lookup.get((_slug(provider), str(model).casefold()))
        found[(provider, model)] = (
            (*hit, "") if hit else ("", "", _unmapped_detail(provider, model, names))
        )
    keys = list(zip(usage["provider"], usage["billed_model"], strict=True))
    for position, column in enumerate(("offering_id", "mapped_by", "unmapped")):
        out.loc[usage.index, column] = [found[key][position] for key in keys]
    return out


# --- the kit's list price of each line ------------------------------------------------------


class _Snapshots:
    """Price snapshots and effective prices by date, tier and lifetime, built once each."""

    def __init__(self, prices_on: PricesOn):
        self.prices_on = prices_on
        self.snapshots: dict = {}
        self.effective: dict = {}
        self.tiers = tables.load_api_price_tiers()

    def snapshot(self, date: pd.Timestamp) -> PriceSnapshot | str:
        """The snapshot, or why there is none (before the first observation)."""
        if date not in self.snapshots:
            try:
                self.snapshots[date] = self.prices_on(date)
            except NoPricesError as exc:
                self.snapshots[date] = str(exc)
        return self.snapshots[date]

    def prices(self, date: pd.Timestamp, tier: str, ttl: str) -> pd.DataFrame | str:
        """Effective prices by offering id (with the snapshot's provenance columns)."""
        key = (date, tier, ttl)
        if key not in self.effective:
            snapshot = self.snapshot(date)
            if isinstance(snapshot, str):
                self.effective[key] = snapshot
            else:
                effective = service_tiers.for_snapshot(snapshot, service_tier=tier, cache_ttl=ttl)
                effective.index = offerings.ids(snapshot.api).to_numpy()
                self.effective[key] = effective
        return self.effective[key]


def _gone(snapshot: PriceSnapshot, offering_id: str) -> str:
    """Why an offering has no row in ``snapshot.api``."""
    withdrawn = snapshot.withdrawn
    if withdrawn is not None and len(withdrawn):
        ids = offerings.ids(withdrawn)
        if offering_id in set(ids):
            row = withdrawn[ids == offering_id].iloc[0]
            return (
                f"{offering_id} was withdrawn on {pd.Timestamp(row['withdrawn_on']).date()} "
                f"({row['withdrawal_source_url']}), before {snapshot.as_of.date()}"
            )
    return f"no price observation of {offering_id} on or before {snapshot.as_of.date()}"


def _line_price(line, book: _Snapshots, date: pd.Timestamp) -> tuple[float, str]:
    """(price [USD/Mtok], why not) of one identified usage line on ``date``."""
    ttl = line.cache_ttl or "5m"
    effective = book.prices(date, line.service_tier, ttl)
    if isinstance(effective, str):
        return np.nan, effective
    if line.offering_id not in effective.index:
        return np.nan, _gone(book.snapshot(date), line.offering_id)
    row = effective.loc[[line.offering_id]]
    column = PRICE_OF[line.token_kind]
    long = pd.Series(bool(line.long_context), index=row.index)
    uses = dict.fromkeys(service_tiers.PRICE_COLUMNS, False) | {column: True}
    why = service_tiers.unpriced(row, uses=uses, long_context=long).iloc[0]
    if why:
        return np.nan, f"{line.offering_id} on {date.date()}: {why}"
    suffix = "_long_context" if line.long_context else ""
    return float(row[f"{column}{suffix}"].iloc[0]), ""


#: What makes two lines' list prices the same: the offering, kind, tier, lifetime, context.
_PRICE_KEY = ["offering_id", "token_kind", "service_tier", "cache_ttl", "long_context"]


def _list_prices(lines: pd.DataFrame, prices_on: PricesOn) -> pd.DataFrame:
    """``usd_per_million_tokens``, ``price_changed_in_period`` and ``why`` (why no price, or
    the change in the period; "" when none) of identified usage lines, each distinct price
    looked up once."""
    book = _Snapshots(prices_on)
    keys = lines[[*_PRICE_KEY, "priced_as_of", "first_day"]].drop_duplicates()
    columns = ["usd_per_million_tokens", "price_changed_in_period", "why"]
    if keys.empty:
        return pd.DataFrame(columns=columns, index=lines.index)
    found = []
    for key in keys.itertuples(index=False):
        price, why = _line_price(key, book, key.priced_as_of)
        changed = False
        if not why and key.first_day < key.priced_as_of:
            before, _ = _line_price(key, book, key.first_day)
            changed = not np.isnan(before) and not np.isclose(before, price, rtol=1e-12)
            if changed:
                why = (
                    f"the kit's list price changed within the charge period: {before:g} on "
                    f"{key.first_day.date()}, {price:g} USD/Mtok on {key.priced_as_of.date()} "
                    "(priced at the last day's)"
                )
        found.append((price, changed, why))
    keys[columns] = pd.DataFrame(found, index=keys.index)
    merged = (
        lines[[*_PRICE_KEY, "priced_as_of", "first_day"]]
        .reset_index()
        .merge(keys, on=[*_PRICE_KEY, "priced_as_of", "first_day"], how="left")
    )
    return merged.set_index("index")[columns]


def _kind_cost(kind: str, tokens: np.ndarray, price: np.ndarray) -> np.ndarray:
    """Cost of one kind of tokens by :func:`infermodel.formulas.api_cost_usd`. [USD]"""
    zero = np.zeros_like(tokens)
    if kind == "input":
        return formulas.api_cost_usd(tokens, zero, price, zero)
    if kind == "output":
        return formulas.api_cost_usd(zero, tokens, zero, price)
    if kind == "cached_input":
        return formulas.api_cost_usd(
            zero,
            zero,
            zero,
            zero,
            cached_input_tokens=tokens,
            usd_per_million_cached_input_tokens=price,
        )
    return formulas.api_cost_usd(
        zero,
        zero,
        zero,
        zero,
        cache_write_tokens=tokens,
        usd_per_million_cache_write_tokens=price,
    )


def _reasons(frame: pd.DataFrame) -> pd.Series:
    billed, recomputed = frame["billed_cost_usd"], frame["recomputed_list_usd"]
    own_list = frame["list_cost_usd"]
    tolerance = CENT_USD + 1e-9
    return pd.Series(
        np.select(
            [
                ~frame["in_scope"],
                frame["problem"] != "",
                recomputed.isna(),
                frame["commitment_discount_id"] != "",
                own_list.notna() & (billed < own_list - tolerance),
                (billed - recomputed).abs() <= tolerance,
                billed > recomputed,
            ],
            [OUT_OF_SCOPE, MISMATCH, UNPRICED, COMMITTED, NEGOTIATED, AT_LIST, ABOVE],
            default=BELOW,
        ),
        index=frame.index,
        dtype=object,
    )


def reconcile(
    bill: Bill,
    *,
    prices_on: PricesOn | None = None,
    names: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every line of ``bill`` against the kit's list price for its model and kind on its date.

    Parameters
    ----------
    bill
        A bill read by :func:`infermodel.readers.focus.read_bill`.
    prices_on
        The price snapshot of a date (:func:`shipped_prices` by default).
    names
        The model mapping (:func:`model_names`, the shipped tables by default).

    Returns
    -------
    pandas.DataFrame
        One row per line of the file, in file order, columns :data:`RECONCILE_COLUMNS`:
        ``usd_per_million_tokens`` the kit's list price [USD/Mtok] and
        ``recomputed_list_usd`` the line's tokens at it [USD]; the bill's ``list_cost_usd``,
        ``billed_cost_usd`` and ``effective_cost_usd`` [USD]; ``difference_usd`` billed minus
        recomputed list and ``list_difference_usd`` the bill's list minus recomputed [USD];
        ``reason`` (:data:`REASONS`) and ``detail`` (what a person checks next). Lines out of
        scope keep their costs and are never priced.
    """
    frame = identify(bill.lines, names)
    frame["priced_as_of"] = period_last_day(frame["charge_period_end"])
    frame["first_day"] = frame["charge_period_start"].dt.normalize()
    detail = frame["scope"].where(~frame["in_scope"], "").astype(object)
    detail[frame["in_scope"] & (frame["problem"] != "")] = frame["problem"]
    detail[frame["in_scope"] & (frame["problem"] == "")] = frame["unmapped"]
    priceable = frame["in_scope"] & (frame["problem"] == "") & (frame["offering_id"] != "")
    priced = _list_prices(frame[priceable], shipped_prices() if prices_on is None else prices_on)
    frame = frame.join(priced)
    frame["price_changed_in_period"] = frame["price_changed_in_period"].fillna(False).astype(bool)
    detail[priceable] = frame.loc[priceable, "why"]
    frame["recomputed_list_usd"] = np.nan
    for kind in TOKEN_KINDS:
        rows = priceable & (frame["token_kind"] == kind) & frame["usd_per_million_tokens"].notna()
        if rows.any():
            frame.loc[rows, "recomputed_list_usd"] = _kind_cost(
                kind,
                frame.loc[rows, "billed_tokens"].to_numpy(float),
                frame.loc[rows, "usd_per_million_tokens"].to_numpy(float),
            )
    frame["difference_usd"] = frame["billed_cost_usd"] - frame["recomputed_list_usd"]
    frame["list_difference_usd"] = frame["list_cost_usd"] - frame["recomputed_list_usd"]
    frame["reason"] = _reasons(frame)
    frame["detail"] = detail
    frame.loc[~frame["in_scope"], "priced_as_of"] = pd.NaT
    out = frame.reindex(columns=list(RECONCILE_COLUMNS)).reset_index(drop=True)
    return contracts.typed(out, contracts.RECONCILE_TABLE)


def totals(reconciled: pd.DataFrame) -> pd.DataFrame:
    """The lines of :func:`reconcile` added up: one row per (scope, reason), then a row for
    all AI token usage, one for all lines out of scope and one for the whole bill.

    Columns ``scope``, ``reason``, ``lines``, ``tokens`` [tokens], ``recomputed_list_usd``,
    ``list_cost_usd``, ``billed_cost_usd``, ``effective_cost_usd``, ``difference_usd`` [USD]
    (sums over the lines that have a value; ``difference_usd`` over priced lines only).
    """
    sums = ["billed_tokens", "recomputed_list_usd", "list_cost_usd", "billed_cost_usd"]
    sums += ["effective_cost_usd", "difference_usd"]

    def added(part: pd.DataFrame, scope: str, reason: str) -> dict:
        row = {"scope": scope, "reason": reason, "lines": len(part)}
        for column in sums:
            values = part[column]
            row[column] = float(values.sum()) if values.notna().any() else np.nan
        return row

    usage = reconciled["reason"] != OUT_OF_SCOPE
    rows = [
        added(part, scope, reason)
        for (scope, reason), part in reconciled.groupby(["scope", "reason"], sort=False)
    ]
    rows.append(added(reconciled[usage], "all AI token usage", "all"))
    rows.append(added(reconciled[~usage], "all lines out of scope", "all"))
    rows.append(added(reconciled, "the whole bill", "all"))
    return pd.DataFrame(rows)


def by_model(reconciled: pd.DataFrame) -> pd.DataFrame:
    """AI token usage added up per provider and model as billed: ``lines``, tokens of each
    kind and in all [tokens], the bill's list, billed and effective costs, the kit's
    recomputed list and the difference [USD]; sorted by billed cost, largest first."""
    usage = reconciled[reconciled["reason"] != OUT_OF_SCOPE]
    keys = ["provider", "billed_model", "offering_id"]
    if usage.empty:
        return pd.DataFrame(columns=[*keys, "lines", "billed_tokens", "billed_cost_usd"])
    kinds = usage.pivot_table(
        index=keys, columns="token_kind", values="billed_tokens", aggfunc="sum", fill_value=0.0
    ).reindex(columns=list(TOKEN_KINDS), fill_value=0.0)
    kinds.columns = [f"{kind}_tokens" for kind in TOKEN_KINDS]
    money = ["list_cost_usd", "billed_cost_usd", "effective_cost_usd", "recomputed_list_usd"]
    grouped = usage.groupby(keys)
    summary = grouped[money].sum(min_count=1)
    summary.insert(0, "billed_tokens", grouped["billed_tokens"].sum())
    summary.insert(0, "lines", grouped.size())
    summary["unpriced_lines"] = grouped["recomputed_list_usd"].apply(lambda s: int(s.isna().sum()))
    summary["difference_usd"] = summary["billed_cost_usd"] - summary["recomputed_list_usd"]
    out = summary.join(kinds).reset_index()
    return out.sort_values("billed_cost_usd", ascending=False, kind="stable").reset_index(drop=True)


def load_mapping(path: str | Path) -> pd.DataFrame:
    """A user's own model mapping, in the layout of ``data/bill_models.csv``, validated."""
    return api_terms.load_bill_models(Path(path))


def refuse_bad_lines(bill: Bill, *, drop_bad_lines: bool) -> pd.DataFrame:
    """The AI token usage lines whose tokens can be priced; bad lines refuse the bill (one
    line naming the first) unless ``drop_bad_lines``, which leaves them out."""
    bad = bill.bad
    if len(bad) and not drop_bad_lines:
        first = bad.iloc[0]
        more = f" ({len(bad)} such lines)" if len(bad) > 1 else ""
        raise DataError(
            f"{bill.where(int(first['line']))}: {first['problem']}{more}; such a line's tokens "
            "cannot be priced: list every line with 'infermodel bill --reconcile', or leave "
            "them out with --drop-bad-lines (notebook: drop_bad_lines=True)"
        )
    usage = bill.usage
    return usage[usage["problem"] == ""]


def quarter_window(bill: Bill, as_of: object, previous_as_of: object = "") -> tuple[Bill, int]:
    """:func:`window` of a report page: lines priced after ``previous_as_of`` (empty: the
    end of the quarter before ``as_of``'s) up to ``as_of``; and how many fall outside."""
    after = previous_as_of or quarters.previous_quarter_end(as_of).strftime("%Y-%m-%d")
    return window(bill, after, as_of)


def window(bill: Bill, after: object = "", until: object = "") -> tuple[Bill, int]:
    """The bill's lines priced on a day in (``after``, ``until``] (a report's quarter; an
    empty bound is open), and how many lines fall outside.

    A line belongs to the day it is priced at (:func:`period_last_day`), so a charge period
    that straddles a bound counts in the quarter where it ends.
    """
    day = period_last_day(bill.lines["charge_period_end"])
    keep = pd.Series(True, index=bill.lines.index)
    if after not in ("", None):
        keep &= day > checks.date(after, name="previous_as_of")
    if until not in ("", None):
        keep &= day <= checks.date(until, name="as_of")
    inside = dataclasses.replace(bill, lines=bill.lines[keep].reset_index(drop=True))
    return inside, int((~keep).sum())
