"""FOCUS cost-and-usage exports, read through DuckDB, checked and sorted line by line.

FOCUS, the FinOps Foundation's open format for bills (FinOps Open Cost and Usage
Specification, focus.finops.org), is what clouds, SaaS providers, LiteLLM's proxy and other
exporters write; version 1.2 (ratified 2025-05-29) added SaaS and PaaS billing, and AI token
usage appears as lines with ``ConsumedQuantity`` in tokens and the model and token kind in
``SkuPriceDetails``. :func:`read_bill` opens an export (CSV with a header, or Parquet, told by
its content; gzip or zstd CSV too; any column order; 1.2 and later, whose provider column is
``ServiceProviderName`` where 1.2 has ``ProviderName``) and returns a :class:`Bill`: one row
per line of the file, costs in USD, every line sorted:

- **AI token usage** (priced by :mod:`infermodel.pricing.reconcile`): ``ChargeCategory`` Usage,
  ``ServiceCategory`` "AI and Machine Learning", a ``ConsumedUnit`` that counts tokens, and
  not a correction (``ChargeClass`` Correction). Each gets its tokens (``ConsumedQuantity``
  times the unit's multiple), token kind, cache lifetime, tier and model
  (:mod:`infermodel.readers.focus.skus`); a line whose tokens cannot be counted or whose kind
  cannot be told carries a ``problem`` instead (a negative quantity, a token unit the kit does
  not price, ``PricingQuantity`` that disagrees with ``ConsumedQuantity``, no kind).
- **Out of scope**, with why (``scope``): tax, credit, purchase, adjustment, a correction,
  another service, AI usage in another unit (requests, hours). Listed, never priced.

Refused as a whole, in one line naming the file (and the line and field): a missing FOCUS
column (with "did you mean" from the header), a cost, quantity or date that is not one, a
charge period that ends before it starts, and costs in a currency other than USD unless its
rate is given (``usd_per``: USD per unit of that currency; mixed currencies alike).

``x_`` columns are the providers' own extensions (FOCUS's prefix for columns it does not
define): they are allowed and listed (:attr:`Bill.extension_columns`) but not read, since
their meaning is each provider's; the standard columns say everything pricing needs.
"""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from infermodel import checks
from infermodel.errors import DataError, InputError
from infermodel.readers.focus import skus as focus_skus
from infermodel.readers.logs.files import connect, open_log, quote_sql, reading

#: FOCUS columns a bill must have (FOCUS 1.2 mandatory or, for usage, conditional columns).
REQUIRED = (
    "BilledCost",
    "BillingCurrency",
    "ChargeCategory",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ConsumedQuantity",
    "ConsumedUnit",
    "EffectiveCost",
    "ListCost",
    "ServiceCategory",
)
#: Columns of which a bill must have at least one (first present is read).
ONE_OF = {
    "provider": ("ServiceProviderName", "ProviderName"),
    "sku": ("SkuPriceDetails", "SkuMeter"),
}
#: Columns read when present.
OPTIONAL = (
    "ChargeClass",
    "ChargeDescription",
    "CommitmentDiscountId",
    "PricingQuantity",
    "PricingUnit",
    "ServiceName",
    "SkuId",
    "SkuMeter",
    "SkuPriceDetails",
    "ServiceProviderName",
    "ProviderName",
)
#: FOCUS ServiceCategory of AI services.
AI_SERVICE_CATEGORY = "AI and Machine Learning"
#: Scope of the lines :mod:`infermodel.pricing.reconcile` prices.
IN_SCOPE = "AI token usage"
#: Relative tolerance between ConsumedQuantity and PricingQuantity x PricingUnit. [-]
QUANTITY_TOLERANCE = 1e-6

#: Columns of :attr:`Bill.lines`, in order. Costs [USD], tokens [tokens].
LINE_COLUMNS = (
    "line",
    "charge_period_start",
    "charge_period_end",
    "charge_category",
    "charge_class",
    "service_category",
    "service_name",
    "provider",
    "billed_model",
    "sku_meter",
    "charge_description",
    "consumed_quantity",
    "consumed_unit",
    "billed_tokens",
    "token_kind",
    "cache_ttl",
    "cache_ttl_from",
    "service_tier",
    "long_context",
    "in_scope",
    "scope",
    "problem",
    "billing_currency",
    "usd_per_unit_of_currency",
    "billed_cost_usd",
    "list_cost_usd",
    "effective_cost_usd",
    "commitment_discount_id",
)


@dataclass(frozen=True)
class Bill:
    """A FOCUS export, read and sorted (build with :func:`read_bill`).

    ``lines`` has :data:`LINE_COLUMNS`, one row per line of the file in file order;
    ``line`` is the line's number in the file (header = line 1) for CSV, its row + 1 for
    Parquet. ``usd_per`` holds the rates applied ({"USD": 1.0, ...}).
    """

    path: Path
    fmt: str
    lines: pd.DataFrame
    extension_columns: tuple[str, ...] = ()
    usd_per: dict[str, float] = field(default_factory=dict)

    @property
    def usage(self) -> pd.DataFrame:
        """The AI token usage lines (those :mod:`infermodel.pricing.reconcile` prices or names)."""
        return self.lines[self.lines["in_scope"]]

    @property
    def bad(self) -> pd.DataFrame:
        """AI token usage lines that cannot be priced (their ``problem`` says why)."""
        usage = self.usage
        return usage[usage["problem"] != ""]

    def where(self, line: int) -> str:
        """``path:line`` for messages."""
        return f"{self.path}:{line}"


def _format(path: Path) -> tuple[str, str | None]:
    log = open_log(path)
    if log.head[:4] == b"PAR1":
        return "parquet", None
    if log.head.lstrip()[:1] in (b"{", b"["):
        raise DataError(f"{path}: JSON, not a FOCUS export; FOCUS exports are CSV or Parquet")
    return "csv", log.compression


def _source(path: Path, fmt: str, compression: str | None) -> str:
    if fmt == "parquet":
        return f"read_parquet({quote_sql(str(path))})"
    return (
        f"read_csv({quote_sql(str(path))}, all_varchar = true, header = true, "
        f"compression = {quote_sql(compression or 'none')})"
    )


def _check_columns(path: Path, columns: list[str]) -> None:
    present = set(columns)
    missing = [c for c in REQUIRED if c not in present]
    for names in ONE_OF.values():
        if not present.intersection(names):
            missing.append(" or ".join(names))
    if not missing:
        return
    if len(missing) > len(REQUIRED) // 2:
        raise DataError(
            f"{path}: not a FOCUS cost-and-usage export: it lacks the FOCUS columns "
            f"{', '.join(missing)} (its header: {', '.join(columns[:8])}"
            f"{', ...' if len(columns) > 8 else ''})"
        )
    first = missing[0].split(" or ")[0]
    hint = checks.close_matches(first, columns, n=1)
    if not hint:  # a column named in another case is a near miss too
        hint = checks.close_matches(first.lower(), [c.lower() for c in columns], n=1)
    more = f" (and {', '.join(missing[1:])})" if len(missing) > 1 else ""
    raise DataError(
        f"{path}: missing FOCUS column {missing[0]}{hint}{more}; a FOCUS 1.2 export names "
        f"its columns exactly so (any order)"
    )


def _csv_lines(path: Path, compression: str | None, rows: int) -> np.ndarray:
    """The file line each CSV record starts on (header = line 1); row + 2 if unsure."""
    fallback = np.arange(rows, dtype=np.int64) + 2
    if compression not in (None, "gzip"):
        return fallback
    opener = gzip.open if compression == "gzip" else open
    starts: list[int] = []
    with opener(path, "rt", newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.reader(handle)
        previous = 0
        for record in reader:
            if record:
                starts.append(previous + 1)
            previous = reader.line_num
    data = starts[1:]
    return np.asarray(data, dtype=np.int64) if len(data) == rows else fallback


def _numbers(frame: pd.DataFrame, column: str, lines: np.ndarray, path: Path) -> pd.Series:
    """A column as floats (empty -> NaN); text that is no number is refused, naming it."""
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw):
        return raw.astype(float)
    text = raw.astype("string").str.strip()
    values = pd.to_numeric(text.replace("", pd.NA), errors="coerce").astype(float)
    bad = text.notna() & (text != "") & values.isna()
    if bad.any():
        at = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{path}:{lines[at]}: field {column!r} = {raw.iloc[at]!r}: must be a number"
            f"{f' ({int(bad.sum())} such lines)' if bad.sum() > 1 else ''}"
        )
    return values


def _dates(frame: pd.DataFrame, column: str, lines: np.ndarray, path: Path) -> pd.Series:
    """A column as UTC timestamps (no time zone kept); a missing or unreadable one refused."""
    raw = frame[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        values = pd.to_datetime(raw, utc=True)
    else:
        text = raw.astype("string").str.strip()
        values = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    bad = values.isna()
    if bad.any():
        at = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{path}:{lines[at]}: field {column!r} = {raw.iloc[at]!r}: must be a date and time "
            "in ISO 8601 (e.g. 2026-07-01T00:00:00Z)"
        )
    return values.dt.tz_localize(None).astype("datetime64[ns]")


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].astype("string").fillna("").str.strip().astype(object)


def _rates(
    path: Path, currency: pd.Series, lines: np.ndarray, usd_per: Mapping[str, float]
) -> tuple[pd.Series, dict[str, float]]:
    """USD per unit of each line's currency; refuses a currency without a rate."""
    rates = {"USD": 1.0}
    for code, rate in usd_per.items():
        code = str(code).strip().upper()
        checks.number(f"usd_per[{code!r}]", rate, low=0, low_open=True)
        if code == "USD" and float(rate) != 1.0:
            raise InputError(f"usd_per['USD'] must be 1 (a bill is priced in USD), got {rate!r}")
        rates[code] = float(rate)
    empty = currency == ""
    if empty.any():
        at = int(np.flatnonzero(empty.to_numpy())[0])
        raise DataError(f"{path}:{lines[at]}: field 'BillingCurrency' is empty (FOCUS needs one)")
    found = list(dict.fromkeys(currency))
    unknown = [c for c in found if c not in rates]
    if unknown:
        first = int(np.flatnonzero((currency == unknown[0]).to_numpy())[0])
        kinds = f"in {', '.join(found)}" if len(found) > 1 else f"in {found[0]}"
        raise DataError(
            f"{path}: costs {kinds} (first {unknown[0]} line: {lines[first]}); the kit prices "
            f"in USD: give the rate, USD per {unknown[0]}, with --usd-per {unknown[0]}=RATE "
            f"(notebook parameter usd_per: {{'{unknown[0]}': RATE}})"
        )
    return currency.map(rates).astype(float), {c: rates[c] for c in found}


def _scope(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(in scope?, scope words) per line."""
    category = frame["charge_category"].str.casefold()
    usage = category == "usage"
    correction = frame["charge_class"].str.casefold() == "correction"
    ai = frame["service_category"].str.casefold() == AI_SERVICE_CATEGORY.casefold()
    tokens = frame["consumed_unit"].str.casefold().str.contains("token")
    in_scope = usage & ~correction & ai & tokens
    unit = frame["consumed_unit"].where(frame["consumed_unit"] != "", "no ConsumedUnit")
    scope = np.select(
        [in_scope, ~usage, correction, ~ai],
        [
            IN_SCOPE,
            frame["charge_category"].str.lower().where(category != "", "no ChargeCategory"),
            "correction",
            "other service ("
            + frame["service_category"].where(frame["service_category"] != "", "none named")
            + ")",
        ],
        default="AI usage not in tokens (" + unit + ")",
    )
    return in_scope, pd.Series(scope, index=frame.index, dtype=object)


def _quantity_problem(row) -> str:
    """Why the tokens of one usage line cannot be counted ("" when they can)."""
    quantity = row.consumed_quantity
    if math.isnan(quantity):
        return "field 'ConsumedQuantity' is empty (a usage line says how many tokens)"
    if quantity < 0:
        return (
            f"field 'ConsumedQuantity' = {quantity:g}: a negative quantity of tokens (a refund "
            "is a Credit line or a Correction, not usage)"
        )
    if math.isnan(row.multiple):
        return (
            f"field 'ConsumedUnit' = {row.consumed_unit!r}: a unit the kit does not price "
            f"(it reads {focus_skus.TOKEN_UNITS})"
        )
    priced = row.pricing_quantity * row.per
    return (
        f"field 'PricingQuantity' = {row.pricing_quantity:g} x {row.pricing_unit!r} = "
        f"{priced:,.0f} tokens disagrees with ConsumedQuantity {quantity:g} x "
        f"{row.consumed_unit!r} = {quantity * row.multiple:,.0f} tokens"
    )


def _multiples(units: pd.Series) -> pd.Series:
    known = {u: focus_skus.token_multiple(u) for u in dict.fromkeys(units)}
    return units.map(lambda u: np.nan if known[u] is None else known[u]).astype(float)


def _classify(lines: pd.DataFrame) -> pd.DataFrame:
    """Tokens, kind, lifetime, tier, model and problem of every AI token usage line."""
    lines = lines.assign(
        billed_model="",
        token_kind="",
        cache_ttl="",
        cache_ttl_from="",
        service_tier="",
        long_context=False,
        problem="",
        billed_tokens=np.nan,
    )
    usage = lines[lines["in_scope"]].copy()
    if usage.empty:
        return lines
    keys = list(zip(usage["sku_price_details"], usage["sku_meter"], strict=True))
    known = {key: focus_skus.sku_facts(*key) for key in dict.fromkeys(keys)}
    facts = pd.DataFrame([vars(known[key]) for key in keys], index=usage.index)
    usage["multiple"] = _multiples(usage["consumed_unit"])
    usage["per"] = _multiples(usage["pricing_unit"])
    quantity = usage["consumed_quantity"]
    tokens = quantity * usage["multiple"]
    priced = usage["pricing_quantity"] * usage["per"]
    disagree = priced.notna() & ~np.isclose(
        priced, tokens, rtol=QUANTITY_TOLERANCE, atol=0.5, equal_nan=True
    )
    wrong = quantity.isna() | (quantity < 0) | usage["multiple"].isna() | disagree
    counted = pd.Series("", index=usage.index, dtype=object)
    if wrong.any():
        counted[wrong] = [_quantity_problem(row) for row in usage[wrong].itertuples()]
    both = pd.concat([counted, facts["problem"]], axis=1)
    problem = both.apply(lambda r: "; ".join(p for p in r if p), axis=1)
    index = usage.index
    lines.loc[index, "billed_model"] = facts["model"]
    lines.loc[index, "token_kind"] = facts["kind"]
    lines.loc[index, "cache_ttl"] = facts["cache_ttl"]
    lines.loc[index, "cache_ttl_from"] = facts["cache_ttl_from"]
    lines.loc[index, "service_tier"] = facts["service_tier"]
    lines.loc[index, "long_context"] = facts["long_context"].astype(bool)
    lines.loc[index, "problem"] = problem
    lines.loc[index, "billed_tokens"] = tokens.where(problem == "")
    lines["long_context"] = lines["long_context"].astype(bool)
    return lines


def _frame(path: Path, fmt: str, compression: str | None) -> tuple[pd.DataFrame, list[str]]:
    """The columns pricing reads, as DuckDB reads them, and the file's header."""
    con = connect()
    source = _source(path, fmt, compression)
    with reading(path, f"a FOCUS {fmt} export"):
        header = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        _check_columns(path, header)
        wanted = [c for c in (*REQUIRED, *OPTIONAL) if c in header]
        selected = ", ".join(f'"{c}"' for c in dict.fromkeys(wanted))
        frame = con.execute(f"SELECT {selected} FROM {source}").df()
    con.close()
    return frame, header


def read_bill(path: str | Path, *, usd_per: Mapping[str, float] | None = None) -> Bill:
    """Open a FOCUS export and sort its lines (see the module's description).

    Parameters
    ----------
    path
        A FOCUS cost-and-usage export: CSV with a header (plain, gzip or zstd) or Parquet.
    usd_per
        USD per unit of each currency other than USD the bill is in, e.g. ``{"EUR": 1.08}``;
        costs are converted line by line. [USD per unit of currency]

    Raises
    ------
    InputError
        No such file, or a rate that is not a positive number.
    DataError
        Not a FOCUS export, a missing column, a cost, quantity or date that is not one, a
        charge period ending before it starts, a currency without a rate.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"bill not found: {path} (a FOCUS export, CSV or Parquet)")
    fmt, compression = _format(path)
    frame, header = _frame(path, fmt, compression)
    rows = len(frame)
    if fmt == "csv":
        numbers = _csv_lines(path, compression, rows)
    else:
        numbers = np.arange(rows, dtype=np.int64) + 1
    provider = next(c for c in ONE_OF["provider"] if c in frame)
    lines = pd.DataFrame(
        {
            "line": numbers,
            "charge_period_start": _dates(frame, "ChargePeriodStart", numbers, path),
            "charge_period_end": _dates(frame, "ChargePeriodEnd", numbers, path),
            "charge_category": _text(frame, "ChargeCategory"),
            "charge_class": _text(frame, "ChargeClass"),
            "service_category": _text(frame, "ServiceCategory"),
            "service_name": _text(frame, "ServiceName"),
            "provider": _text(frame, provider),
            "sku_meter": _text(frame, "SkuMeter"),
            "sku_price_details": _text(frame, "SkuPriceDetails"),
            "charge_description": _text(frame, "ChargeDescription"),
            "consumed_quantity": _numbers(frame, "ConsumedQuantity", numbers, path),
            "consumed_unit": _text(frame, "ConsumedUnit"),
            "pricing_quantity": (
                _numbers(frame, "PricingQuantity", numbers, path)
                if "PricingQuantity" in frame
                else np.nan
            ),
            "pricing_unit": _text(frame, "PricingUnit"),
            "billing_currency": _text(frame, "BillingCurrency").str.upper(),
            "commitment_discount_id": _text(frame, "CommitmentDiscountId"),
        }
    )
    backwards = lines["charge_period_end"] <= lines["charge_period_start"]
    if backwards.any():
        at = int(np.flatnonzero(backwards.to_numpy())[0])
        raise DataError(
            f"{path}:{numbers[at]}: field 'ChargePeriodEnd' = "
            f"{lines['charge_period_end'].iloc[at]} is not after ChargePeriodStart (FOCUS "
            "periods end, exclusive, after they start)"
        )
    rate, applied = _rates(path, lines["billing_currency"], numbers, usd_per or {})
    lines["usd_per_unit_of_currency"] = rate
    for column, name in (
        ("BilledCost", "billed_cost_usd"),
        ("ListCost", "list_cost_usd"),
        ("EffectiveCost", "effective_cost_usd"),
    ):
        lines[name] = _numbers(frame, column, numbers, path) * rate
    missing = lines["billed_cost_usd"].isna()
    if missing.any():
        at = int(np.flatnonzero(missing.to_numpy())[0])
        raise DataError(f"{path}:{numbers[at]}: field 'BilledCost' is empty (FOCUS needs one)")
    lines["in_scope"], lines["scope"] = _scope(lines)
    lines = _classify(lines)
    extensions = tuple(c for c in header if c.startswith("x_"))
    return Bill(path, fmt, lines.reindex(columns=list(LINE_COLUMNS)), extensions, applied)
