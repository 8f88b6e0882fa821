"""``infermodel prices import {litellm,genai-prices}``: dated observations from sources.

A price that moves more than 10x either way against the offering's newest earlier
observation, to or from zero, or that looks per-token (input or output below 0.01 USD/Mtok)
is refused; ``--accept-change MODEL_ID`` (repeatable, the ``model_id`` the review prints)
accepts it for that offering only.

With a user data folder (``--data-dir`` or ``INFERMODEL_DATA_DIR``) ``--write`` appends into
that folder's tables, never into the kit's ``data/``; an installed kit (no checkout) needs
one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from infermodel import paths
from infermodel.cli.options import Parser, UsageError
from infermodel.prices import importers
from infermodel.readers.genai_prices import read_genai_prices
from infermodel.readers.litellm import read_litellm, read_litellm_installed, read_litellm_wheel
from infermodel.tables import user_data


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
            "--max-withdrawals",
            type=_count,
            default=None,
            metavar="N",
            help="with --withdraw-missing: withdraw at most N offerings (default: a quarter of "
            "those the source is reviewed for; more is refused as a likely incomplete file)",
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


def _count(text: str) -> int:
    """A whole number >= 0 (``--max-withdrawals``)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    if args.max_withdrawals is not None and not args.withdraw_missing:
        raise UsageError("--max-withdrawals is for --withdraw-missing: add it, or drop this")
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
    folder = user_data.write_folder()  # yours; an installed kit's own when none is named
    target = user_data.write_target(paths.API_PRICES_CSV)
    skipped = importers.announced_not_written(result, target)
    if skipped:
        print(
            f"infermodel: note: {skipped} price(s) the source announces for later are not "
            f"written: {target} has no effective_from column; write them into a user data "
            "folder (--data-dir DIR), whose new files get every column",
            file=sys.stderr,
        )
    rows, withdrawals = importers.write(
        result,
        allow_missing=args.allow_missing,
        withdraw_missing=args.withdraw_missing,
        into=folder,
        max_withdrawals=args.max_withdrawals,
    )
    where = f"your data folder {folder}" if folder is not None else f"{target.parent}"
    print(f"Wrote {rows} observation(s) and {withdrawals} withdrawal(s) into {where}.")
    return 0
