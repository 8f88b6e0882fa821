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
:data:`MAX_DEADLINE_HOURS`        a job's deadline: 876,600 (a century) [h]
:data:`MAX_DEADLINE_REPLICAS`     replicas a deadline analysis steps through: 1,000 [-]
================================  =========================================================

This module sits with the analyses (it reads prices, serving assumptions and specs); the
command line and the report runner import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import yaml

from infermodel import formulas, paths, tables
from infermodel.analyses import commitments, deadlines
from infermodel.formulas.roofline import PRECISIONS
from infermodel.parameters.kinds import (  # re-exported: parameters.Rule, parameters.Context, ...
    MAX_MONTHS,
    ApiModelId,
    AsOf,
    BillFile,
    Choice,
    Context,
    Each,
    File,
    GpuName,
    ModelName,
    MonthsWithin,
    NotAfter,
    Number,
    Offering,
    Rates,
    Rule,
    ServingId,
    Span,
    UpliftId,
    Whole,
)
from infermodel.parameters.kinds import (
    price_date_range as price_date_range,
)
from infermodel.prices.discrepancies import MAX_TOLERANCE
from infermodel.pricing import compare, trace_pricing
from infermodel.readers import logs
from infermodel.units import SECONDS_PER_HOUR

MAX_TOKENS = 1e15
TOKENS_PER_SECOND = (1e-3, 1e7)
MAX_TOKENS_PER_HOUR = TOKENS_PER_SECOND[1] * SECONDS_PER_HOUR
MAX_USD_PER_MONTH = 1e9
MAX_USD = 1e9
MAX_REQUESTS = 10**12
MAX_REPLICAS = 10**6
#: A day: no provider keeps an idle replica, or scales, on a longer clock. [s]
MAX_IDLE_TIMEOUT_SECONDS = 86_400
#: An hour: a replica that takes longer to start is not a cold start but an outage. [s]
MAX_COLD_START_SECONDS = 3_600
#: One a minute: more and no work would ever finish. [1/h]
MAX_INTERRUPTIONS_PER_HOUR = 60
#: The upper bound of a shipped GPU price (tables.MAX_USD_PER_GPU_HOUR). [USD/GPU-h]
MAX_USD_PER_GPU_HOUR_RESERVED = 100.0
MAX_STALE_AFTER_DAYS = 36_500
MAX_GPUS_PER_REPLICA = 1_024
MAX_TOKENS_PER_REQUEST = 10**8
MAX_DEADLINE_HOURS = 876_600
MAX_DEADLINE_REPLICAS = 1_000
MAX_CONCURRENCY = 10**6
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


@dataclass(frozen=True)
class UsageTiers(Rule):
    """A mapping provider -> usage tier of ``data/prices/api_rate_limits.csv``."""

    def check(self, name, value, *, given=None, context=None):
        return deadlines.check_usage_tiers(name, value)


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
    "serverless_assumption": ServingId(),
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
    # how rented replicas follow a log (infermodel.pricing.gpu_sizing)
    "idle_timeout_s": Number(0, MAX_IDLE_TIMEOUT_SECONDS),
    "idle_timeouts_s": Each(Number(0, MAX_IDLE_TIMEOUT_SECONDS)),
    "serverless_logs": Each(Choice(tuple(paths.SHIPPED_TRACES)), empty_ok=True),
    "cold_start_s": Number(0, MAX_COLD_START_SECONDS),
    "scale_interval_s": Whole(1, MAX_IDLE_TIMEOUT_SECONDS),
    "interruptions_per_hour": Number(0, MAX_INTERRUPTIONS_PER_HOUR),
    "restart_s": Number(0, MAX_COLD_START_SECONDS),
    # reserving GPUs on the maturity path (infermodel.analyses.commitments)
    "reservation_start_months": MonthsWithin("horizon_months"),
    "reservation_term_months": Whole(1, commitments.MAX_TERM_MONTHS),
    "reserved_usd_per_gpu_hour": Number(0, MAX_USD_PER_GPU_HOUR_RESERVED),
    "top_offerings": Whole(1, MAX_SHOWN),
    "top": Whole(1, MAX_SHOWN),
    # a job with a deadline (infermodel.analyses.deadlines)
    "deadline_hours": Number(0, MAX_DEADLINE_HOURS, low_open=True),
    "deadline_tokens": Number(0, MAX_TOKENS, low_open=True),
    "deadline_requests": Whole(1, MAX_REQUESTS),
    "deadline_output_share": SHARE,
    "api_usage_tiers": UsageTiers(),
    "diy_max_replicas": Whole(1, MAX_DEADLINE_REPLICAS),
    # the report runner
    "jobs": Whole(1, MAX_JOBS),
    # bills (infermodel bill, the bill page)
    "bill_path": BillFile(),
    "usd_per": Rates(),
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
