"""``infermodel bill PATH``: a FOCUS bill's tokens on every offering, or reconciled line by line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from infermodel import display, narrative, parameters, tables
from infermodel.cli import options, terminal
from infermodel.cli.options import UsageError
from infermodel.cli.pricing import assumptions_for, write
from infermodel.errors import InputError
from infermodel.pricing import bill_pricing, reconcile
from infermodel.readers import focus

#: Columns of ``bill --format table`` unless ``--columns`` says otherwise.
BILL_COLUMNS_FOR_PEOPLE = [
    "platform",  # printed as a line above each platform type's rows
    "offering",
    "cost_usd",
    "billed_usd",
    "cost_minus_billed_usd",
    "usd_per_million_tokens",
]
#: Columns of ``bill --reconcile --format table`` unless ``--columns`` says otherwise.
RECONCILE_COLUMNS_FOR_PEOPLE = [
    "line",
    "billed_model",
    "token_kind",
    "billed_tokens",
    "recomputed_list_usd",
    "billed_cost_usd",
    "bill_reason",
    "difference_usd",
]
TOTALS_COLUMNS = ["scope", "bill_reason", "lines", "recomputed_list_usd", "billed_cost_usd"]


def usd_rate(text: str) -> tuple[str, float]:
    """``CUR=RATE`` of ``--usd-per`` (USD per unit of CUR), checked by the rule of
    ``usd_per``."""
    code, sep, rate = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(
            f"give the rate as CUR=RATE (USD per unit of the currency), e.g. EUR=1.08; got {text!r}"
        )
    try:
        value = float(rate)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"the rate of {code} must be a number, got {rate!r}"
        ) from None
    try:
        parameters.check("usd_per", {code.strip(): value}, label="--usd-per")
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return code.strip().upper(), value


def add_parser(commands) -> None:
    """Add ``bill`` to the subcommands."""
    bill = commands.add_parser(
        "bill",
        help="re-price a FOCUS cost-and-usage export on every offering, or reconcile it",
        description="One row per (charge period, offering): the bill's AI token usage priced "
        "on that offering at the prices in force on the period's last day, next to what the "
        "bill charged for the same tokens. With --reconcile, one row per line of the bill "
        "against the kit's list price for its model and token kind.",
    )
    bill.add_argument("path", type=Path, help="the FOCUS export (CSV or Parquet)")
    bill.add_argument(
        "--reconcile",
        action="store_true",
        help="one row per line of the bill: the kit's list price, recomputed_list_usd, the "
        "bill's ListCost, BilledCost and EffectiveCost, difference_usd and a reason",
    )
    bill.add_argument(
        "--usd-per",
        type=usd_rate,
        action="append",
        default=[],
        metavar="CUR=RATE",
        help="USD per unit of a currency the bill is in, e.g. EUR=1.08 (repeatable); a bill "
        "in another currency than USD is refused without it",
    )
    bill.add_argument(
        "--drop-bad-lines",
        action="store_true",
        help="leave out AI usage lines whose tokens cannot be counted (a negative quantity, a "
        "unit the kit does not price, quantities that disagree, no token kind) instead of "
        "refusing the bill; they are named on stderr and listed by --reconcile",
    )
    bill.add_argument(
        "--models",
        type=Path,
        default=None,
        metavar="CSV",
        help="your own model mapping, in the layout of data/bill_models.csv (provider, "
        "billed_model, offering_id, checked_on, source_url, note), read before the shipped one",
    )
    options.add_selection(bill, provider_help="only alternatives of this provider (repeatable)")
    bill.add_argument(
        "--utilization",
        type=options.ruled("--utilization"),
        default=0.8,
        help="busy fraction of paid GPU time, in (0, 1] (default 0.8, the article's)",
    )
    options.add_diy_token_basis(bill)
    bill.add_argument(
        "--service-tier",
        type=options.ruled("--service-tier"),
        default="standard",
        metavar="{" + ",".join(tables.SERVICE_TIERS) + "}",
        help="price the alternatives at this API tier (default standard, the list price); "
        "--reconcile always compares each line with the list price of its SKU's own tier",
    )
    options.add_format(bill)
    terminal.add_options(bill, default_columns=BILL_COLUMNS_FOR_PEOPLE)
    bill.set_defaults(handler=run)


def _names(args: argparse.Namespace, api_prices: pd.DataFrame) -> pd.DataFrame:
    extra = reconcile.load_mapping(args.models) if args.models is not None else None
    return reconcile.model_names(api_prices, extra=extra)


def _note(line: str) -> None:
    if line:
        print(f"infermodel: {line}", file=sys.stderr)


def _notes(bill: focus.Bill, reconciled: pd.DataFrame, repriced=None) -> None:
    """What was not re-priced, on stderr (csv and json stay clean)."""
    out = reconciled[reconciled["reason"] == reconcile.OUT_OF_SCOPE]
    if len(out):
        parts = [
            f"{len(part)} {scope} ({display.money(part['billed_cost_usd'].sum())})"
            for scope, part in out.groupby("scope", sort=False)
        ]
        _note(
            f"{len(out)} line(s) of {bill.path.name} out of scope, not re-priced: "
            + "; ".join(parts)
        )
    unmapped = reconciled[reconciled["reason"] == reconcile.UNPRICED]
    for _, part in unmapped.groupby(["provider", "billed_model"], sort=False):
        first = part.iloc[0]
        _note(f"{bill.where(int(first['line']))}: {first['detail']} ({len(part)} line(s))")
    if repriced is not None:
        if len(repriced.dropped):
            first = repriced.dropped.iloc[0]
            _note(
                f"dropped {len(repriced.dropped)} line(s) whose tokens cannot be counted, first "
                f"{bill.where(int(first['line']))}: {first['problem']}"
            )
        terminal.note_left_out(repriced.left_out.drop_duplicates("offering_id"))
    if bill.extension_columns:
        _note(
            f"extension columns not read (their meaning is the provider's): "
            f"{', '.join(bill.extension_columns)}"
        )


def run(args: argparse.Namespace) -> int:
    if args.reconcile and args.top is not None:
        raise UsageError("--top applies to the re-priced table, not to --reconcile")
    bill = focus.read_bill(args.path, usd_per=dict(args.usd_per))
    if not args.reconcile:  # refuse uncountable lines before any pricing
        reconcile.refuse_bad_lines(bill, drop_bad_lines=args.drop_bad_lines)
    prices_on = reconcile.shipped_prices()
    names = _names(args, prices_on.api_prices)
    reconciled = reconcile.reconcile(bill, names=names, prices_on=prices_on)
    if args.reconcile:
        _notes(bill, reconciled)
        return _print_reconciled(bill, reconciled, args)
    assumptions = assumptions_for(args)
    identified = reconcile.identify(bill.lines, names)
    options_ = dict(
        utilization=args.utilization,
        diy_token_basis=args.diy_token_basis,
        service_tier=args.service_tier,
        providers=args.provider,
        platform_types=args.platform_type,
        drop_bad_lines=args.drop_bad_lines,
        identified=identified,
        prices_on=prices_on,
        cache={},
    )
    repriced = bill_pricing.reprice(bill, assumptions, **options_)
    _notes(bill, reconciled, repriced)
    table = repriced.table
    if write(table, args):
        return 0
    by_model = bill_pricing.reprice(bill, assumptions, by_model=True, **options_).table
    alternatives = bill_pricing.like_for_like(by_model, prices_on.api_prices)
    print(terminal.paragraph(narrative.bill_lead(bill, reconciled)))
    answer = narrative.bill_answer(
        reconciled,
        alternatives,
        offering_labels=display.label_map(by_model),
        opening="This bill",
        dropped=len(repriced.dropped),
    )
    for sentence in answer:
        print(terminal.paragraph(f"- {sentence}"))
    for (start, end), part in table.groupby(["charge_period_start", "charge_period_end"]):
        print(
            f"\nCharge period {display.date(start)} to {display.date(end)} (exclusive), "
            f"billed {display.money(part['billed_usd'].iloc[0])}, priced as of "
            f"{display.date(part['priced_as_of'].iloc[0])}:"
        )
        part = part.reset_index(drop=True)
        shown = terminal.choose(part, args.columns, BILL_COLUMNS_FOR_PEOPLE, top=args.top)
        print(terminal.render(shown, group="platform", total_rows=len(part)))
    return 0


def _print_reconciled(bill: focus.Bill, reconciled: pd.DataFrame, args) -> int:
    if write(reconciled, args):
        return 0
    print(terminal.paragraph(narrative.bill_lead(bill, reconciled)))
    people = reconciled.rename(columns={"reason": "bill_reason"})
    columns = args.columns
    if columns is None or columns == BILL_COLUMNS_FOR_PEOPLE:
        columns = RECONCILE_COLUMNS_FOR_PEOPLE
    columns = ["bill_reason" if c == "reason" else c for c in columns]
    print(terminal.render(terminal.choose(people, columns, RECONCILE_COLUMNS_FOR_PEOPLE)))
    totals = reconcile.totals(reconciled).rename(columns={"reason": "bill_reason"})
    print("\nTotals:")
    print(terminal.render(totals[TOTALS_COLUMNS]))
    return 0


__all__ = ["add_parser", "run", "usd_rate"]
