"""``infermodel prices discrepancies``: tracked prices on which dated sources disagree.

Rules (source identity, the window, the tolerance, a price change against a disagreement)
are in :mod:`infermodel.tables.provenance`; the readings that settle a disagreement are
``data/prices/price_readings.csv``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from infermodel import narrative
from infermodel.cli import options, terminal
from infermodel.cli.pricing import write
from infermodel.prices import discrepancies
from infermodel.tables import provenance

#: Columns of ``--format table`` unless ``--columns`` says otherwise.
COLUMNS_FOR_PEOPLE = [
    "status",
    "offering",
    "field",
    "source_a",
    "value_a_usd_per_million_tokens",
    "source_b",
    "value_b_usd_per_million_tokens",
    "relative_difference_pct",
]


def _dated_file(text: str) -> Path:
    try:
        return discrepancies.require_dated(Path(text))
    except ValueError as exc:  # InputError is a ValueError
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--source: ")) from None


def add_parser(actions) -> None:
    """Add ``discrepancies`` to the ``prices`` subcommands."""
    cmd = actions.add_parser(
        "discrepancies",
        help="tracked prices on which dated sources disagree near a date",
        description="One row per (offering, price field, pair of sources) whose values near "
        "the date differ by more than the tolerance: each source's newest observation within "
        "--window-days; a change one source shows over time is not a disagreement. status "
        "says whether a reading of data/prices/price_readings.csv resolves it.",
    )
    options.add_as_of(cmd)
    cmd.add_argument(
        "--tolerance",
        type=options.ruled("--tolerance"),
        default=discrepancies.DEFAULT_TOLERANCE,
        help="relative difference above which two sources disagree, 0 to 10 (default 0.01 = "
        "1%%; exactly the tolerance is not a disagreement)",
    )
    cmd.add_argument(
        "--window-days",
        type=options.ruled("--window-days"),
        default=discrepancies.DEFAULT_WINDOW_DAYS,
        help="a source's newest observation counts if at most this many days before the date "
        f"(default {discrepancies.DEFAULT_WINDOW_DAYS})",
    )
    cmd.add_argument(
        "--source",
        nargs="+",
        default=[],
        type=_dated_file,
        metavar="FILE",
        help="also compare these price files (LiteLLM or genai-prices JSON, dated by a "
        "YYYY-MM-DD in the name); nothing is written",
    )
    options.add_format(cmd)
    cmd.add_argument(
        "--columns",
        nargs="+",
        default=None,
        metavar="NAME",
        help="columns of --format table, by their csv names (default: "
        + ", ".join(COLUMNS_FOR_PEOPLE)
        + "; 'offering' is the offering's label)",
    )
    cmd.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    as_of = pd.Timestamp.today().strftime("%Y-%m-%d") if args.as_of is None else args.as_of
    table = discrepancies.find(
        as_of,
        source_files=args.source,
        tolerance=args.tolerance,
        window_days=args.window_days,
    )
    if write(table, args):
        return 0
    print(terminal.paragraph(narrative.discrepancies_headline(table, as_of=as_of)))
    if not table.empty:
        shown = terminal.choose(for_people(table), args.columns, COLUMNS_FOR_PEOPLE)
        print(terminal.render(shown))
        print(
            terminal.paragraph(
                "(Dates and reading ids: --columns observed_on_a observed_on_b reading_ids, or "
                "--format csv. A reading of data/prices/price_readings.csv resolves a row.)"
            )
        )
    return 0


def for_people(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with sources and fields in people's words (``LiteLLM``, ``cached input``)."""
    return table.assign(
        source_a=table["source_a"].map(provenance.label),
        source_b=table["source_b"].map(provenance.label),
        field=table["field"].map(provenance.FIELD_WORDS),
    )
