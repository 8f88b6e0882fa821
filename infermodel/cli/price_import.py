"""``infermodel prices import {litellm,genai-prices}``: dated observations from sources.

A price that moves more than 10x either way against the offering's newest earlier
observation, to or from zero, or that looks per-token (input or output below 0.01 USD/Mtok)
is refused; ``--accept-change MODEL_ID`` (repeatable, the ``model_id`` the review prints)
accepts it for that offering only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from infermodel.cli.options import Parser
from infermodel.prices import importers
from infermodel.readers.genai_prices import read_genai_prices
from infermodel.readers.litellm import read_litellm, read_litellm_installed, read_litellm_wheel


def add_parser(commands):
    """Add ``prices import ...`` to the subcommands; return the ``prices`` subcommands."""
    prices_cmd = commands.add_parser("prices", help="refresh price observations from sources")
    actions = prices_cmd.add_subparsers(dest="prices_action", required=True, parser_class=Parser)
    importer = actions.add_parser("import", help="review (and with --write append) a source")
    sources = importer.add_subparsers(dest="source", required=True, parser_class=Parser)
    litellm = sources.add_parser(
        "litellm",
        help="LiteLLM's price file: a dated JSON copy, a litellm wheel, or the installed package",
    )
    where = litellm.add_mutually_exclusive_group(required=True)
    where.add_argument("path", type=Path, nargs="?", help="the JSON file (dated copy)")
    where.add_argument(
        "--from-wheel",
        type=Path,
        metavar="WHEEL",
        help="read the price file inside a litellm wheel ('pip download litellm --no-deps'); "
        "dated today unless --observed-on, cited by the wheel's version",
    )
    where.add_argument(
        "--installed",
        action="store_true",
        help="read the installed litellm package's price file (dated today unless --observed-on)",
    )
    litellm.add_argument(
        "--package-version",
        default=None,
        metavar="VERSION",
        help="with PATH: the litellm release the JSON file was taken from (cited on PyPI)",
    )
    genai = sources.add_parser("genai-prices", help="the installed genai-prices package's data")
    genai.add_argument(
        "--file", type=Path, default=None, help="read a copy of genai-prices' data.json instead"
    )
    for sub in (litellm, genai):
        sub.add_argument(
            "--observed-on",
            default=None,
            help="date the source speaks for, YYYY-MM-DD (default: a date in the file name; "
            "for the installed package, today)",
        )
        sub.add_argument("--write", action="store_true", help="append the reviewed rows")
        sub.add_argument(
            "--allow-missing",
            action="store_true",
            help="write even if some tracked offerings are missing from the source",
        )
        sub.add_argument(
            "--withdraw-missing",
            action="store_true",
            help="record tracked offerings the source no longer lists as withdrawn on its date",
        )
        sub.add_argument(
            "--accept-change",
            action="append",
            default=[],
            metavar="MODEL_ID",
            help="accept an implausible price (more than 10x either way, to or from zero, or "
            "looking per-token) for this offering's model_id, as the review prints it; "
            "repeat for each offering",
        )
        sub.set_defaults(handler=run)
    return actions


def run(args: argparse.Namespace) -> int:
    if args.source == "litellm" and args.from_wheel is not None:
        source = read_litellm_wheel(args.from_wheel, observed_on=args.observed_on)
    elif args.source == "litellm" and args.installed:
        source = read_litellm_installed(observed_on=args.observed_on)
    elif args.source == "litellm":
        source = read_litellm(
            args.path, observed_on=args.observed_on, package_version=args.package_version
        )
    else:
        source = read_genai_prices(args.file, observed_on=args.observed_on)
    result = importers.review(source, accept=args.accept_change)
    print(result.render())
    if not args.write:
        print("Review only: nothing written (add --write to append these observations).")
        return 0
    rows, withdrawals = importers.write(
        result, allow_missing=args.allow_missing, withdraw_missing=args.withdraw_missing
    )
    print(f"Wrote {rows} observation(s) and {withdrawals} withdrawal(s).")
    return 0
