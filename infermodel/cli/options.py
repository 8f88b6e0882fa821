"""Option types and option groups shared by the commands, each declared once.

Numeric option types check values with :mod:`infermodel.checks`, so ``--utilization 2`` is
refused with the same rule and words as ``utilization=2`` in a formula or a notebook.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import yaml

from infermodel import checks, tables
from infermodel.errors import InputError


class UsageError(InputError):
    """A mistake on the command line; printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (a :class:`UsageError`), not usage text."""

    def error(self, message: str) -> None:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _checked(convert: Callable[[str], object], check: Callable[..., object]):
    """An argparse type: ``convert`` the text, then ``check`` it (InputError: usage error)."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = text  # the check names the option and says what would be valid
        try:
            return check(value, given=repr(text) if value is text else text)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def number(name: str, **bounds) -> Callable[[str], float]:
    """A number option checked by :func:`infermodel.checks.number` with ``bounds``."""
    return _checked(float, lambda value, given: checks.number(name, value, given=given, **bounds))


def whole(name: str, *, minimum: int = 1) -> Callable[[str], int]:
    """A whole-number option checked by :func:`infermodel.checks.whole`."""
    return _checked(
        int, lambda value, given: checks.whole(name, value, minimum=minimum, given=given)
    )


def parameter(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` of ``-p``, the value read as YAML (so lists and numbers work)."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"parameters are NAME=VALUE, got {text!r}")
    try:
        return name.strip(), yaml.safe_load(value)
    except yaml.YAMLError:
        raise argparse.ArgumentTypeError(f"cannot read the value of {name!r}: {value!r}") from None


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
        "--as-of", default=None, help="prices in force on this date, YYYY-MM-DD (default: today)"
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


def add_pricing(parser: argparse.ArgumentParser) -> None:
    """Options of every command that prices a workload given as totals (``table``,
    ``break-even``)."""
    add_as_of(parser)
    parser.add_argument(
        "--total-tokens",
        type=number("--total-tokens", low=0, low_open=True),
        default=20_000_000,
        help="tokens in the job [tokens] (default 20,000,000)",
    )
    parser.add_argument(
        "--output-share",
        type=number("--output-share", low=0, high=1),
        default=1.0,
        help="fraction of tokens that is output (default 1.0, the article's reading)",
    )
    parser.add_argument(
        "--cached-input-share",
        type=number("--cached-input-share", low=0, high=1),
        default=0.0,
        help="fraction of input tokens read from a prompt cache (default 0)",
    )
    parser.add_argument(
        "--requests",
        type=whole("--requests"),
        default=10_000,
        help="requests in the job, for long-context tiers (default 10,000)",
    )
    parser.add_argument(
        "--utilization",
        type=number("--utilization", low=0, high=1, low_open=True),
        default=0.8,
        help="busy fraction of paid GPU time, in (0, 1] (default 0.8, the article's)",
    )
    parser.add_argument(
        "--throughput",
        type=number("--throughput", low=0, low_open=True),
        default=None,
        help="override every DIY row's throughput [output tokens/s per replica]",
    )
    add_selection(parser, provider_help="only this provider (repeatable, case-insensitive)")
    add_diy_token_basis(parser)
    parser.add_argument(
        "--batch-api", action="store_true", help="apply providers' published batch-API discounts"
    )
    parser.add_argument(
        "--stale-after-days",
        type=whole("--stale-after-days"),
        default=tables.DEFAULT_STALE_AFTER_DAYS,
        help="flag prices older than this at the as-of date",
    )
