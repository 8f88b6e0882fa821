"""The rules of every named input, written once: command-line options and notebook parameters.

:data:`RULES` maps a name to its :class:`Rule`. The option ``--output-share`` of
``infermodel table`` (:func:`infermodel.cli.options.ruled`) and the notebook parameter
``output_share`` (checked by :func:`infermodel.reports.manifest.plan` before any kernel
starts) are checked by the same rule, with the same words. A rule refuses a value with
:class:`~infermodel.errors.InputError`: one line naming the option or parameter and what
would be valid.

Rules that look at other values (an offering label exists at the as-of date under the chosen
serving assumptions; ``previous_as_of`` is not after ``as_of``; a file path exists) get a
:class:`Context`: the notebook's other parameters and the folder its relative paths are read
from. So an error a parameter would cause five notebooks into a report is caught before the
first one runs.

Bounds, in one place. They are physical limits (what a workload, a GPU or a budget can be),
not advice, and they keep every result finite:

================================  =========================================================
:data:`MAX_TOKENS`                tokens in a job or a month: ``1e15`` [tokens]
:data:`TOKENS_PER_SECOND`         a replica's throughput: ``1e-3`` to ``1e7`` [tokens/s]
:data:`MAX_USD_PER_MONTH`         a fixed or shock monthly cost: ``1e9`` [USD/month]
:data:`MAX_USD`                   a one-off cost: ``1e9`` [USD]
:data:`MAX_REQUESTS`              requests in a job: ``1e12`` [requests]
:data:`MAX_REPLICAS`              replicas of a DIY option: ``1e6`` [-]
:data:`MAX_STALE_AFTER_DAYS`      the stale threshold: 36,500 (a century) [days]
:data:`MAX_GPUS_PER_REPLICA`      tensor-parallel GPUs: 1,024 [-]
:data:`MAX_TOKENS_PER_REQUEST`    prompt or output tokens of one request: ``1e8`` [tokens]
================================  =========================================================

This module sits with the analyses (it reads prices, serving assumptions and specs); the
command line and the report runner import it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from infermodel import (
    checks,
    compare,
    formulas,
    offerings,
    price_tables,
    prices,
    tables,
    trace_pricing,
)
from infermodel import serving as serving_mod
from infermodel.discrepancies import MAX_TOLERANCE
from infermodel.errors import InputError
from infermodel.readers import logs
from infermodel.roofline import PRECISIONS
from infermodel.units import SECONDS_PER_HOUR
from infermodel.workloads import Workload

MAX_TOKENS = 1e15
TOKENS_PER_SECOND = (1e-3, 1e7)
MAX_TOKENS_PER_HOUR = TOKENS_PER_SECOND[1] * SECONDS_PER_HOUR
MAX_USD_PER_MONTH = 1e9
MAX_USD = 1e9
MAX_REQUESTS = 10**12
MAX_REPLICAS = 10**6
MAX_STALE_AFTER_DAYS = 36_500
MAX_GPUS_PER_REPLICA = 1_024
MAX_TOKENS_PER_REQUEST = 10**8
MAX_CONCURRENCY = 10**6
MAX_MONTHS = 1_200
MAX_POINTS = 10_000
MAX_DRAWS = 10**7
MAX_SEED = 2**32 - 1
MAX_GROWTH_MULTIPLE = 1e6
MAX_SYNTHETIC_REQUESTS = 10**7
MAX_SHOWN = 10_000
#: Notebooks a report runs at once: each is a kernel process. [-]
MAX_JOBS = 64
#: Longest latency target: an hour per token or to the first token is no target. [ms]
MAX_LATENCY_MS = 3.6e6


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
        return list(dict.fromkeys(price_tables.load_uplifts()["uplift_id"]))


@dataclass(frozen=True)
class Offering(Rule):
    """The id (:mod:`infermodel.offerings`) of an offering on sale at the context's as-of
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


API = ("proprietary_api", "managed_api")
SHARE = Number(0, 1)
WHOLE_TOKENS_PER_REQUEST = Whole(1, MAX_TOKENS_PER_REQUEST)
GPUS = Whole(1, MAX_GPUS_PER_REPLICA)
SEED = Whole(0, MAX_SEED)
PRECISION = Choice(tuple(PRECISIONS))
FIXED_USD_PER_MONTH = Number(0, MAX_USD_PER_MONTH)
TOKENS_PER_MONTH = Number(0, MAX_TOKENS, low_open=True)

#: ``--max-replicas`` of the command line: a limit, so at least 1 (the notebook parameter
#: ``max_replicas`` takes 0 for "no limit" instead of leaving the option out).
REPLICA_LIMIT = Whole(1, MAX_REPLICAS)

#: The rule of every named input; an option ``--a-b`` is checked by ``RULES["a_b"]``.
RULES: dict[str, Rule] = {
    # dates
    "as_of": AsOf(),
    "previous_as_of": NotAfter("as_of"),
    # workload and scenario
    "total_tokens": Number(0, MAX_TOKENS, low_open=True),
    "output_share": SHARE,
    "output_shares": Each(SHARE),
    "cached_input_share": SHARE,
    "cache_write_share": SHARE,
    "cache_ttl": Choice(tables.CACHE_TTLS),
    "service_tier": Choice(tables.SERVICE_TIERS),
    "uplift": UpliftId(),
    "uplifts": Each(UpliftId()),
    "requests": Whole(1, MAX_REQUESTS),
    "utilization": Number(0, 1, low_open=True),
    "throughput": Number(*TOKENS_PER_SECOND),
    "stale_after_days": Whole(1, MAX_STALE_AFTER_DAYS),
    "diy_token_basis": Choice(compare.DIY_TOKEN_BASES),
    "proprietary_overhead_share": Number(0, 1, high_open=True),
    # serving assumptions
    "serving_assumptions": Each(ServingId()),
    "other_readings": Each(ServingId()),
    "batch_assumptions": Each(ServingId()),
    "serving_assumption": ServingId(),
    "realtime_assumption": ServingId(),
    "stack_base_assumption": ServingId(),
    "stack_offerings": Each(ApiModelId()),
    # offerings (labels of the cost table at as_of)
    "api_offerings": Each(Offering(API)),
    "mc_offerings": Each(Offering(API)),
    "diy_offerings": Each(Offering(("diy_gpu",))),
    "api_offering": Offering(API),
    "diy_offering": Offering(("diy_gpu",)),
    "diy_alternative": Offering(("diy_gpu",)),
    "proprietary_offering": Offering(("proprietary_api",)),
    "managed_offering": Offering(("managed_api",)),
    # break-even and growth
    "billing": Choice(formulas.BILLING),
    "min_replicas": Whole(0, MAX_REPLICAS),
    "max_replicas": Whole(0, MAX_REPLICAS),
    "fixed_usd_per_month": FIXED_USD_PER_MONTH,
    "fixed_cost_options": Each(FIXED_USD_PER_MONTH),
    "tokens_per_month": TOKENS_PER_MONTH,
    "start_tokens_per_month": TOKENS_PER_MONTH,
    "volume_range": Span(TOKENS_PER_MONTH),
    "volume_points": Whole(2, MAX_POINTS),
    "growth_multiple": Number(0, MAX_GROWTH_MULTIPLE, low_open=True),
    "growth_months": Whole(1, MAX_MONTHS),
    "horizon_months": Whole(1, MAX_MONTHS),
    "switching_cost_usd": Number(0, MAX_USD),
    "shock_usd_per_month": Number(0, MAX_USD_PER_MONTH, low_open=True),
    # sensitivity
    "grid_utilization": Span(Number(0, 1, low_open=True)),
    "grid_tokens_per_hour": Span(Number(0, MAX_TOKENS_PER_HOUR, low_open=True)),
    "grid_points": Whole(2, MAX_POINTS),
    "draws": Whole(1, MAX_DRAWS),
    "seed": SEED,
    "stream_tokens_per_second": Each(Number(*TOKENS_PER_SECOND)),
    "throughput_uncertainty": Choice(("estimator", "range")),
    # throughput estimator
    "models": Each(ModelName()),
    "estimator_model": ModelName(),
    "latency_model": ModelName(),
    "frontier_model": ModelName(),
    "latency_gpu": GpuName(),
    "frontier_gpu": GpuName(),
    "precisions": Each(PRECISION),
    "estimator_precisions": Each(PRECISION),
    "latency_precision": PRECISION,
    "frontier_precision": PRECISION,
    "gpu_counts": Each(GPUS),
    "latency_gpus": GPUS,
    "frontier_gpus": GPUS,
    "input_tokens": WHOLE_TOKENS_PER_REQUEST,
    "output_tokens": WHOLE_TOKENS_PER_REQUEST,
    "estimator_input_tokens": WHOLE_TOKENS_PER_REQUEST,
    "latency_input_tokens": WHOLE_TOKENS_PER_REQUEST,
    "latency_output_tokens": WHOLE_TOKENS_PER_REQUEST,
    "concurrencies": Each(Whole(1, MAX_CONCURRENCY)),
    "concurrency": Whole(1, MAX_CONCURRENCY),
    "gpus": GPUS,
    "itl_ms": Number(0, MAX_LATENCY_MS, low_open=True),
    "ttft_ms": Number(0, MAX_LATENCY_MS, low_open=True),
    "latency_itl_ms": Each(Number(0, MAX_LATENCY_MS, low_open=True)),
    "latency_ttft_ms": Number(0, MAX_LATENCY_MS),
    "measured_csv": File(),
    # request logs
    "log_path": File(),
    "trace_format": Choice(("", *logs.FORMATS)),
    "synthetic_requests": Whole(1, MAX_SYNTHETIC_REQUESTS),
    "synthetic_seed": SEED,
    "diy_sizing": Choice(trace_pricing.DIY_SIZINGS),
    "top_offerings": Whole(1, MAX_SHOWN),
    "top": Whole(1, MAX_SHOWN),
    # the report runner
    "jobs": Whole(1, MAX_JOBS),
    # sources that disagree (infermodel prices discrepancies)
    "tolerance": Number(0, MAX_TOLERANCE),
    "window_days": Whole(0, MAX_STALE_AFTER_DAYS),
}


@dataclass(frozen=True)
class Typed:
    """A value as typed after ``-p NAME=``, read by the type the notebook declares.

    - ``str``: the text exactly as typed (``-p like_for_like=yes # 70B`` is that text; quotes
      are kept, so type none);
    - ``int`` and ``float``: a number, in YAML or Python spelling (``2e9``, ``20_000_000``);
    - ``list``, ``dict``, ``bool``: YAML flow syntax (``[a, b]``, ``{k: 1}``, ``true``).

    YAML is used only when its value spans the whole text: ``1 # one`` is not the number 1
    with a comment but the text ``1 # one``, which a number parameter then refuses.
    """

    text: str

    def read(self, type_name: str) -> object:
        if type_name == "str":
            return self.text
        value = literal(self.text)
        if isinstance(value, str) and type_name in ("int", "float"):
            try:
                return int(value.strip()) if type_name == "int" else float(value.strip())
            except ValueError:
                return value
        return value


def literal(text: str) -> object:
    """``text`` read as YAML when the YAML value spans all of it, else ``text`` as it is."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return text
    if node is None:
        return None if text.strip() in ("", "~", "null", "Null", "NULL") else text
    if node.end_mark.index < len(text.rstrip()):  # a comment or more text YAML would drop
        return text
    return yaml.safe_load(text)


def check(
    name: str,
    value: object,
    *,
    label: str | None = None,
    given: str | None = None,
    context: Context | None = None,
) -> object:
    """Check ``value`` by the rule of ``name`` (no rule: returned as it is).

    ``label`` is what the message calls the value (``--output-share``, ``output_share``).
    """
    rule = RULES.get(name)
    if rule is None:
        return value
    return rule.check(label or name, value, given=given, context=context)


def check_all(
    values: Mapping[str, object], names: Iterable[str] | None = None, *, context: Context
) -> None:
    """Check ``names`` (default every one) of ``values``: plain rules first, then the rules
    that look at other values (so a bad ``as_of`` is named before a label that needs it)."""
    names = list(values if names is None else names)
    ordered: Sequence[str] = sorted(
        (n for n in names if n in RULES), key=lambda n: RULES[n].needs_context
    )
    for name in ordered:
        check(name, values[name], context=context)
