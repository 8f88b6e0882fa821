"""Option types and option groups shared by the commands, each declared once.

Option types check values by the rules of :data:`infermodel.parameters.RULES` (bounds in one
place), so ``--utilization 2`` is refused with the same rule and words as ``-p utilization=2``
for a notebook, and every numeric option has a bound that keeps results finite.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from infermodel import parameters, tables
from infermodel.errors import InputError
from infermodel.pricing import compare

#: How ``-p NAME=VALUE`` is read, for ``--help``.
PARAMETER_HELP = (
    "override a notebook parameter (repeatable). The value is read as the notebook declares "
    "it: a str parameter takes the text after '=' exactly as typed (no quotes needed; quotes "
    "and ' # ...' are kept as part of the text); int and float take a number (2e9, "
    "20_000_000); list, dict and bool take YAML flow syntax ([a, b], {k: 1}, true). Quote "
    "the whole argument for your shell when it holds spaces or brackets: "
    "-p 'serving_assumptions=[article-batch-2m, article-realtime-60]'"
)


class UsageError(InputError):
    """A mistake on the command line; printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (a :class:`UsageError`), not usage text."""

    def error(self, message: str) -> None:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def ruled(option: str, rule: parameters.Rule | None = None) -> Callable[[str], object]:
    """An option type checked by ``rule`` (default: the rule of the option's name in
    :data:`infermodel.parameters.RULES`, ``--a-b`` -> ``a_b``)."""
    rule = rule or parameters.RULES[option.lstrip("-").replace("-", "_")]

    def parse(text: str):
        value = rule.parse(text)
        try:
            return rule.check(option, value, given=repr(text) if value is text else text)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def parameter(text: str) -> tuple[str, parameters.Typed]:
    """``NAME=VALUE`` of ``-p``; the value is kept as typed and read by the type the notebook
    declares (:class:`infermodel.parameters.Typed`, rules in :data:`PARAMETER_HELP`)."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"parameters are NAME=VALUE, got {text!r}")
    return name.strip(), parameters.Typed(value)


def add_format(parser: argparse.ArgumentParser, *, help_text: str | None = None) -> None:
    """``--format csv|table|json``."""
    parser.add_argument(
        "--format",
        choices=["csv", "table", "json"],
        default="table",
        help=help_text or "csv or json (all columns) for machines, table for people",
    )


def add_as_of(parser: argparse.ArgumentParser) -> None:
    """``--as-of DATE``: the prices in force on that date."""
    parser.add_argument(
        "--as-of",
        type=ruled("--as-of"),
        default=None,
        help="prices in force on this date, YYYY-MM-DD, from the earliest price observation "
        "to today (default: today)",
    )


def add_selection(parser: argparse.ArgumentParser, *, provider_help: str) -> None:
    """``--serving``, ``--provider``, ``--platform-type``: which offerings are priced."""
    parser.add_argument(
        "--serving",
        nargs="+",
        default=["article"],
        metavar="ID",
        help="serving assumptions for DIY rows: ids, 'article' (default) or 'all'",
    )
    parser.add_argument("--provider", action="append", default=None, help=provider_help)
    parser.add_argument(
        "--platform-type",
        action="append",
        default=None,
        choices=list(tables.PLATFORM_TYPES),
        help="only this platform type (repeatable)",
    )


def add_diy_token_basis(parser: argparse.ArgumentParser) -> None:
    """``--diy-token-basis total|output``."""
    parser.add_argument(
        "--diy-token-basis",
        choices=["total", "output"],
        default="total",
        help="tokens that take DIY GPU time (default total, the article's formula)",
    )


def add_billing(parser: argparse.ArgumentParser, *, cache_ttl: bool = True) -> None:
    """``--service-tier``, ``--batch-api``, ``--cache-ttl``, ``--uplift``: how APIs bill.

    ``cache_ttl=False`` leaves out ``--cache-ttl`` (a request log has no cache writes)."""
    parser.add_argument(
        "--service-tier",
        type=ruled("--service-tier"),
        default="standard",
        metavar="{" + ",".join(tables.SERVICE_TIERS) + "}",
        help="price API offerings at this tier (default standard, the list price); "
        "offerings without it are left out and named, never priced at another tier",
    )
    parser.add_argument(
        "--batch-api",
        action="store_true",
        help="the same as --service-tier batch (providers' published batch prices)",
    )
    if cache_ttl:
        parser.add_argument(
            "--cache-ttl",
            type=ruled("--cache-ttl"),
            default="5m",
            metavar="{" + ",".join(tables.CACHE_TTLS) + "}",
            help="lifetime of prompt-cache writes, which selects their price (default 5m)",
        )
    parser.add_argument(
        "--uplift",
        type=ruled("--uplift"),
        action="append",
        default=[],
        metavar="ID",
        help="opt into a regional or data-residency price uplift of data/prices/uplifts.csv "
        "(repeatable); that provider's offerings without it are left out and named",
    )


def service_tier(args: argparse.Namespace) -> str:
    """The tier ``--service-tier`` and its alias ``--batch-api`` ask for."""
    try:
        return compare.tier_asked(args.service_tier, args.batch_api)
    except InputError as exc:
        raise UsageError(str(exc).replace("use_batch_api (--batch-api)", "--batch-api")) from None


def add_pricing(parser: argparse.ArgumentParser) -> None:
    """Options of every command that prices a workload given as totals (``table``,
    ``break-even``)."""
    add_as_of(parser)
    parser.add_argument(
        "--total-tokens",
        type=ruled("--total-tokens"),
        default=20_000_000,
        help="tokens in the job, at most 1e15 [tokens] (default 20,000,000)",
    )
    parser.add_argument(
        "--output-share",
        type=ruled("--output-share"),
        default=1.0,
        help="fraction of tokens that is output (default 1.0, the article's reading)",
    )
    parser.add_argument(
        "--cached-input-share",
        type=ruled("--cached-input-share"),
        default=0.0,
        help="fraction of input tokens read from a prompt cache (default 0)",
    )
    parser.add_argument(
        "--cache-write-share",
        type=ruled("--cache-write-share"),
        default=0.0,
        help="fraction of input tokens written into the prompt cache, billed at the write "
        "price of --cache-ttl (default 0)",
    )
    parser.add_argument(
        "--requests",
        type=ruled("--requests"),
        default=10_000,
        help="requests in the job, for long-context tiers (default 10,000)",
    )
    parser.add_argument(
        "--utilization",
        type=ruled("--utilization"),
        default=0.8,
        help="busy fraction of paid GPU time, in (0, 1] (default 0.8, the article's)",
    )
    parser.add_argument(
        "--throughput",
        type=ruled("--throughput"),
        default=None,
        help="override every DIY row's throughput, 0.001 to 1e7 [output tokens/s per replica]",
    )
    add_selection(parser, provider_help="only this provider (repeatable, case-insensitive)")
    add_diy_token_basis(parser)
    add_billing(parser)
    parser.add_argument(
        "--stale-after-days",
        type=ruled("--stale-after-days"),
        default=tables.DEFAULT_STALE_AFTER_DAYS,
        help="flag prices older than this at the as-of date",
    )
