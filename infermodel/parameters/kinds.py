"""The kinds of rule a named input follows, and what a rule may look at besides the value.

:mod:`infermodel.parameters` names every command-line option and notebook parameter with one of
these (its ``RULES``); split from it to keep modules small. A rule parses a typed value
(:meth:`Rule.parse`) and checks it (:meth:`Rule.check`), raising
:class:`~infermodel.errors.InputError` with one line that names the input and what is valid;
rules that read other parameters or shipped tables (an as-of date, a serving assumption, an
offering at a tier) get a :class:`Context`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from infermodel import checks, prices, tables
from infermodel.errors import InfermodelError, InputError
from infermodel.pricing import compare, reconcile
from infermodel.readers import focus
from infermodel.tables import api_terms, offerings
from infermodel.tables import serving as serving_mod
from infermodel.workloads import Workload

#: Most months a path or horizon may span (a century). [months]
MAX_MONTHS = 1_200
#: Most USD one unit of a currency may be worth (the dearest, the Kuwaiti dinar, is ~3.3). [USD]
MAX_USD_PER_UNIT_OF_CURRENCY = 1e4


@dataclass
class Context:
    """What a rule may look at besides the value.

    ``values`` are the other parameters of the same notebook (defaults included),
    ``base_dir`` the folder a relative file path is read from (the notebook's folder, where
    its kernel runs). ``cache`` keeps tables built for one check (offering labels).
    """

    values: Mapping[str, object] = field(default_factory=dict)
    base_dir: Path | None = None
    cache: dict = field(default_factory=dict)

    def get(self, name: str, default: object = None) -> object:
        """Another parameter's value (``default`` when the notebook has none)."""
        return self.values.get(name, default)

    def as_of(self) -> str:
        """The as-of date of these parameters (today when none is set)."""
        value = self.values.get("as_of")
        return str(value) if value else dt.date.today().isoformat()

    def assumptions(self) -> list[str]:
        """The serving assumptions these parameters price DIY rows with."""
        many = self.values.get("serving_assumptions")
        if isinstance(many, list):
            return [str(v) for v in many]
        one = self.values.get("serving_assumption")
        return [str(one)] if isinstance(one, str) else []

    def service_tier(self) -> str:
        """The API tier these parameters price at (``use_batch_api`` is the batch tier)."""
        tier = str(self.values.get("service_tier") or "standard")
        return "batch" if self.values.get("use_batch_api") is True and tier == "standard" else tier

    def left_out(self) -> pd.DataFrame:
        """API offerings on sale that have no price at :meth:`service_tier`, and why."""
        key = ("left_out", self.as_of(), self.service_tier())
        if key not in self.cache:
            self.cache[key] = compare.api_unpriced(
                Workload.from_total(1_000_000, output_share=1.0),
                prices.as_of(self.as_of()),
                service_tier=self.service_tier(),
            )
        return self.cache[key]

    def offerings(self) -> pd.DataFrame:
        """``offering_id``, ``label`` and ``platform_type`` of the cost table these build."""
        key = ("offerings", self.as_of(), tuple(self.assumptions()), self.service_tier())
        if key not in self.cache:
            snapshot = prices.as_of(self.as_of())
            serving = serving_mod.select(tables.load_serving(), self.assumptions() or "article")
            table = compare.cost_table(
                Workload.from_total(1_000_000, output_share=1.0),
                snapshot,
                serving,
                service_tier=self.service_tier(),
            )
            self.cache[key] = pd.DataFrame(
                {
                    "offering_id": table["offering_id"],
                    "label": offerings.labels(table),
                    "platform_type": table["platform_type"],
                }
            )
        return self.cache[key]


class Rule:
    """What one value must be. ``parse`` reads an option's text, ``check`` refuses or returns.

    ``needs_context`` rules look at other parameters; they run after the plain rules, so a bad
    ``as_of`` is named before a label that depends on it.
    """

    needs_context = False

    def parse(self, text: str) -> object:
        """The value an option's text stands for (the text itself by default)."""
        return text

    def check(
        self, name: str, value: object, *, given: str | None = None, context: Context | None = None
    ) -> object:
        raise NotImplementedError


@dataclass(frozen=True)
class Number(Rule):
    """One finite number in a range (:func:`infermodel.checks.number`)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def parse(self, text: str) -> object:
        try:
            return float(text)
        except ValueError:
            return text

    def check(self, name, value, *, given=None, context=None):
        checks.number(
            name,
            value,
            low=self.low,
            high=self.high,
            low_open=self.low_open,
            high_open=self.high_open,
            given=given,
        )
        return value


@dataclass(frozen=True)
class Whole(Rule):
    """A whole number in ``[minimum, maximum]`` (:func:`infermodel.checks.whole`)."""

    minimum: int = 1
    maximum: int | None = None

    def parse(self, text: str) -> object:
        try:
            return int(text)
        except ValueError:
            return text

    def check(self, name, value, *, given=None, context=None):
        return checks.whole(name, value, minimum=self.minimum, maximum=self.maximum, given=given)


@dataclass(frozen=True)
class Choice(Rule):
    """One of a fixed set of words (:func:`infermodel.checks.one_of`)."""

    values: tuple[str, ...]

    def check(self, name, value, *, given=None, context=None):
        return checks.one_of(name, value, self.values)


@dataclass(frozen=True)
class Each(Rule):
    """A non-empty list whose every item passes ``rule``."""

    rule: Rule
    empty_ok: bool = False

    @property
    def needs_context(self) -> bool:  # type: ignore[override]
        return self.rule.needs_context

    def check(self, name, value, *, given=None, context=None):
        if not isinstance(value, list) or (not value and not self.empty_ok):
            raise InputError(f"{name} must be a non-empty list, got {value!r}")
        for i, item in enumerate(value):
            self.rule.check(f"{name}[{i}]", item, context=context)
        return value


@dataclass(frozen=True)
class Span(Rule):
    """``[low, high]`` with ``low < high``, each passing ``rule`` (an axis of a chart)."""

    rule: Rule

    def check(self, name, value, *, given=None, context=None):
        if not isinstance(value, list) or len(value) != 2:
            raise InputError(f"{name} must be a list [low, high], got {value!r}")
        for i, item in enumerate(value):
            self.rule.check(f"{name}[{i}]", item, context=context)
        if not value[0] < value[1]:
            raise InputError(f"{name} must be [low, high] with low < high, got {value!r}")
        return value


def price_date_range() -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """(earliest observation, newest observation, today) of the shipped price tables."""
    dates = pd.concat(
        [tables.load_api_prices()["observed_on"], tables.load_gpu_prices()["observed_on"]]
    )
    return dates.min(), dates.max(), pd.Timestamp(dt.date.today())


@dataclass(frozen=True)
class AsOf(Rule):
    """A date ``YYYY-MM-DD`` with prices: from the earliest observation to today.

    A date before the first observation has no prices; a date after today would price the
    future at today's prices and label it otherwise.
    """

    def check(self, name, value, *, given=None, context=None):
        text = value.isoformat() if isinstance(value, dt.date) else value
        if not isinstance(text, str) or not text.strip():
            shown = repr(value) if given is None else given
            raise InputError(f"{name} must be a date YYYY-MM-DD, got {shown}")
        when = checks.date(text, name=name)
        context = context or Context()
        if "dates" not in context.cache:
            context.cache["dates"] = price_date_range()
        earliest, newest, today = context.cache["dates"]
        if not earliest <= when <= today:
            raise InputError(
                f"{name} must be a date from {earliest.date()} (the earliest price observation) "
                f"to {today.date()} (today; the newest observation is {newest.date()}), "
                f"got {when.date()}"
            )
        return when.strftime("%Y-%m-%d")


@dataclass(frozen=True)
class NotAfter(Rule):
    """Empty, or a date ``YYYY-MM-DD`` not after the parameter ``other`` (a comparison date)."""

    other: str = "as_of"
    needs_context = True

    def check(self, name, value, *, given=None, context=None):
        context = context or Context()
        if value == "":
            return value
        if not isinstance(value, str):
            raise InputError(f"{name} must be empty or a date YYYY-MM-DD, got {value!r}")
        when = checks.date(value, name=name)
        if when > checks.date(context.as_of(), name=self.other):
            raise InputError(
                f"{name} must be empty or a date on or before {self.other} "
                f"({context.as_of()}), got {value}"
            )
        return value


@dataclass(frozen=True)
class MonthsWithin(Rule):
    """A list of months, each from 1 to the parameter ``other`` (the months shown)."""

    other: str = "horizon_months"
    needs_context = True

    def check(self, name, value, *, given=None, context=None):
        Each(Whole(1, MAX_MONTHS), empty_ok=True).check(name, value)
        horizon = (context or Context()).get(self.other)
        if isinstance(horizon, int) and any(month > horizon for month in value):
            raise InputError(
                f"{name} must be months from 1 to {self.other} ({horizon}), got {value!r}"
            )
        return value


@dataclass(frozen=True)
class File(Rule):
    """Empty, or a file that exists; a relative path is read from the context's folder."""

    needs_context = True

    def check(self, name, value, *, given=None, context=None):
        context = context or Context()
        if value == "":
            return value
        if not isinstance(value, str):
            raise InputError(f"{name} must be empty or a file path, got {value!r}")
        path = Path(value)
        if not path.is_absolute() and context.base_dir is not None:
            path = context.base_dir / path
        if not path.is_file():
            where = (
                f" (a relative path is read from {context.base_dir})"
                if not Path(value).is_absolute() and context.base_dir is not None
                else ""
            )
            raise InputError(f"{name} must be empty or an existing file, got {value!r}{where}")
        return value


@dataclass(frozen=True)
class Rates(Rule):
    """USD per unit of currencies: ``{CODE: rate}``, three-letter codes, rates in (0, 1e4]."""

    def check(self, name, value, *, given=None, context=None):
        if not isinstance(value, dict):
            raise InputError(
                f"{name} must map currency codes to USD per unit, e.g. {{EUR: 1.08}}, got {value!r}"
            )
        for code, rate in value.items():
            if not isinstance(code, str) or not re.fullmatch(r"[A-Za-z]{3}", code.strip()):
                raise InputError(
                    f"{name}: {code!r} is not a currency code (three letters, e.g. EUR)"
                )
            checks.number(
                f"{name}[{code!r}]", rate, low=0, high=MAX_USD_PER_UNIT_OF_CURRENCY, low_open=True
            )
        return value


@dataclass(frozen=True)
class BillFile(File):
    """A FOCUS export that reads (:func:`infermodel.readers.focus.read_bill`, at the rates of
    the parameter ``usd_per``) and has AI token usage in the page's quarter
    (:func:`infermodel.pricing.reconcile.quarter_window` of ``as_of`` and ``previous_as_of``); and,
    unless
    ``drop_bad_lines``, no line whose tokens cannot be counted."""

    def check(self, name, value, *, given=None, context=None):
        context = context or Context()
        if value == "":
            raise InputError(f"{name} must name a FOCUS cost-and-usage export (CSV or Parquet)")
        super().check(name, value, given=given, context=context)
        path = Path(value)
        path = path if path.is_absolute() or context.base_dir is None else context.base_dir / path
        rates = context.get("usd_per") or {}
        try:
            bill = focus.read_bill(path, usd_per=rates if isinstance(rates, dict) else {})
            after = context.get("previous_as_of") or ""
            inside, _ = reconcile.quarter_window(bill, context.as_of(), after)
            if not context.get("drop_bad_lines"):
                reconcile.refuse_bad_lines(inside, drop_bad_lines=False)
        except InfermodelError as exc:
            raise InputError(f"{name}: {exc}") from None
        if inside.usage.empty:
            since = f"after {after}" if after else "in the quarter"
            raise InputError(
                f"{name}: {value} has no AI token usage priced {since} up to {context.as_of()} "
                f"({len(bill.usage)} such lines in the file, each priced on the last day of its "
                "charge period); set as_of and previous_as_of to the bill's dates"
            )
        return value


class _Named(Rule):
    """A name from a table column (any case when ``casefold``), listing the valid ones."""

    what = "name"
    casefold = False

    def valid(self) -> list[str]:
        raise NotImplementedError

    def check(self, name, value, *, given=None, context=None):
        context = context or Context()
        key = ("valid", type(self).__name__)
        if key not in context.cache:
            context.cache[key] = self.valid()
        valid = context.cache[key]
        known = {v.casefold(): v for v in valid} if self.casefold else {v: v for v in valid}
        key = value.casefold() if self.casefold and isinstance(value, str) else value
        if not isinstance(value, str) or key not in known:
            hint = checks.close_matches(str(value), valid, n=1)
            raise InputError(
                f"{name}: unknown {self.what} {value!r}{hint}; valid: {', '.join(valid)}"
            )
        return value


class ServingId(_Named):
    """An id of ``data/serving_assumptions.csv``."""

    what = "serving assumption"

    def valid(self) -> list[str]:
        return list(tables.load_serving()["assumption_id"])


class ApiModelId(_Named):
    """A ``model_id`` listed in ``data/prices/api_prices.csv`` (at any date)."""

    what = "API model_id"

    def valid(self) -> list[str]:
        return sorted(set(tables.load_api_prices()["model_id"]))


class ModelName(_Named):
    """A model of ``data/model_specs.csv``, any case."""

    what = "model"
    casefold = True

    def valid(self) -> list[str]:
        return list(tables.load_model_specs()["model"])


class GpuName(_Named):
    """A GPU SKU of ``data/gpu_specs.csv``, any case."""

    what = "GPU"
    casefold = True

    def valid(self) -> list[str]:
        return list(tables.load_gpu_specs()["gpu"])


class UpliftId(_Named):
    """An ``uplift_id`` of ``data/prices/uplifts.csv``."""

    what = "uplift"

    def valid(self) -> list[str]:
        return list(dict.fromkeys(api_terms.load_uplifts()["uplift_id"]))


@dataclass(frozen=True)
class Offering(Rule):
    """The id (:mod:`infermodel.tables.offerings`) of an offering on sale at the context's as-of
    date, of one of ``platforms``, under the context's serving assumptions."""

    platforms: tuple[str, ...]
    needs_context = True

    def check(self, name, value, *, given=None, context=None):
        context = context or Context()
        table = context.offerings()
        mine = table[table["platform_type"].isin(self.platforms)]
        if value in set(mine["offering_id"]):
            return value
        tier = context.service_tier()
        if tier != "standard":
            gone = context.left_out().set_index("offering_id")["reason"]
            if value in gone.index:
                raise InputError(
                    f"{name}: {value!r} has no {tier} price on {context.as_of()} "
                    f"({gone[value]}); choose offerings sold at that tier, or price at "
                    "service_tier standard"
                )
        by_label = dict(zip(mine["label"], mine["offering_id"], strict=True))
        if value in by_label:
            hint = f"; that is a label, its id is {by_label[value]!r}"
        else:
            hint = checks.close_matches(str(value), mine["offering_id"], n=2, cutoff=0.5)
        kinds = " or ".join(tables.PLATFORM_LABELS.get(p, p) for p in self.platforms)
        examples = ", ".join(sorted(mine["offering_id"])[:4])
        raise InputError(
            f"{name}: {value!r} is not the id of a {kinds} offering on sale on "
            f"{context.as_of()} under serving assumptions "
            f"{', '.join(context.assumptions()) or 'article'}{hint} ({len(mine)} valid ids, "
            f"e.g. {examples})"
        )
