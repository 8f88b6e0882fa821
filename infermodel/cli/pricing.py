"""``infermodel table`` and ``infermodel break-even``: one workload priced on every offering."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from infermodel import parameters, prices, tables
from infermodel.analyses import growth
from infermodel.cli import options, terminal
from infermodel.pricing import compare
from infermodel.tables import serving
from infermodel.workloads import Workload

#: Columns of ``table --format table`` unless ``--columns`` says otherwise.
TABLE_COLUMNS_FOR_PEOPLE = [
    "platform",  # printed as a line above each platform type's rows
    "offering",
    "cost_usd",
    "usd_per_million_tokens",
    "multiple_of_cheapest",
    "observed_on",
]
#: Columns of ``break-even --format table`` unless ``--columns`` says otherwise.
BREAK_EVEN_COLUMNS_FOR_PEOPLE = [
    "api_offering",
    "diy_offering",
    "break_even_million_tokens_per_month",
    "replicas_at_break_even",
    "api_usd_per_million_tokens",
]


def add_parsers(commands) -> None:
    """Add ``table`` and ``break-even`` to the subcommands."""
    table = commands.add_parser("table", help="price one workload on every offering")
    options.add_pricing(table)
    options.add_format(table)
    terminal.add_options(table, default_columns=TABLE_COLUMNS_FOR_PEOPLE)
    table.set_defaults(handler=run_table)

    even = commands.add_parser(
        "break-even",
        help="monthly volume from which each DIY option is no dearer than each API",
        description="One row per (API offering, DIY option): the break-even million tokens "
        "per month (empty when self-hosting never wins, with the reason), and the assumptions "
        "used as columns. API prices are taken at the workload's token mix.",
    )
    options.add_pricing(even)
    even.add_argument(
        "--billing",
        choices=["always_on", "per_hour"],
        default="always_on",
        help="DIY pays for whole replicas all month (default) or for whole GPU-hours as needed",
    )
    even.add_argument(
        "--min-replicas",
        type=options.ruled("--min-replicas"),
        default=1,
        help="replicas kept up all month for availability (default 1)",
    )
    even.add_argument(
        "--max-replicas",
        type=options.ruled("--max-replicas", parameters.REPLICA_LIMIT),
        default=None,
        help="most replicas a DIY option can get (capacity limit; default none)",
    )
    even.add_argument(
        "--fixed-usd-per-month",
        type=options.ruled("--fixed-usd-per-month"),
        default=0.0,
        help="people and tooling self-hosting needs, at most 1e9 [USD/month] (default 0)",
    )
    even.add_argument(
        "--tokens-per-month",
        type=options.ruled("--tokens-per-month"),
        default=None,
        help="also give the break-even utilization at this monthly volume [tokens/month]",
    )
    options.add_format(even)
    terminal.add_options(even, default_columns=BREAK_EVEN_COLUMNS_FOR_PEOPLE)
    even.set_defaults(handler=run_break_even)


def snapshot_for(args: argparse.Namespace, **as_of_options) -> prices.PriceSnapshot:
    """The price snapshot ``--as-of``, ``--provider`` and ``--platform-type`` ask for."""
    # --as-of '' is refused by its option type; only an absent option means today.
    as_of = pd.Timestamp.today().strftime("%Y-%m-%d") if args.as_of is None else args.as_of
    snapshot = prices.as_of(as_of, **as_of_options)
    if args.provider or args.platform_type:
        snapshot = snapshot.select(providers=args.provider, platform_types=args.platform_type)
    return snapshot


def assumptions_for(args: argparse.Namespace) -> pd.DataFrame:
    """The serving assumptions ``--serving`` asks for."""
    ids = args.serving[0] if args.serving in (["article"], ["all"]) else args.serving
    return serving.select(tables.load_serving(), ids)


def priced(args: argparse.Namespace):
    """The snapshot, workload and cost table the pricing options ask for."""
    snapshot = snapshot_for(args, stale_after_days=args.stale_after_days)
    assumptions = assumptions_for(args)
    if args.throughput is not None:
        assumptions = assumptions.assign(tokens_per_second=args.throughput)
    workload = Workload.from_total(
        args.total_tokens,
        output_share=args.output_share,
        cached_input_share=args.cached_input_share,
        cache_write_share=args.cache_write_share,
        cache_ttl=args.cache_ttl,
        requests=args.requests,
    )
    tier = options.service_tier(args)
    table = compare.cost_table(
        workload,
        snapshot,
        assumptions,
        utilization=args.utilization,
        diy_token_basis=args.diy_token_basis,
        service_tier=tier,
        uplifts=args.uplift,
    )
    left_out = compare.api_unpriced(workload, snapshot, service_tier=tier, uplifts=args.uplift)
    terminal.note_left_out(left_out)
    return snapshot, workload, table


def write(frame: pd.DataFrame, args: argparse.Namespace) -> bool:
    """Write ``frame`` as csv or json when asked; False when the caller prints a table."""
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False, date_format="%Y-%m-%d")
    elif args.format == "json":
        sys.stdout.write(frame.to_json(orient="records", date_format="iso", indent=1) + "\n")
    else:
        return False
    return True


def billing_words(args: argparse.Namespace, workload: Workload | None = None) -> str:
    """How the API rows are billed, in words: tier, cache lifetime, uplifts."""
    tier = options.service_tier(args)
    words = "APIs at list price" if tier == "standard" else f"APIs at their {tier} tier"
    if workload is not None and workload.cache_write_tokens:
        words += f", cache writes kept {workload.cache_ttl}"
    if args.uplift:
        words += f", with {' and '.join(args.uplift)}"
    return words


def run_table(args: argparse.Namespace) -> int:
    snapshot, workload, table = priced(args)
    if not write(table, args):
        shown = terminal.choose(table, args.columns, TABLE_COLUMNS_FOR_PEOPLE, top=args.top)
        print(
            terminal.paragraph(
                f"Prices as of {snapshot.as_of.date()}; {workload.total_tokens:,.0f} tokens "
                f"({workload.output_share:.0%} output); {billing_words(args, workload)}; "
                f"rented GPUs busy {args.utilization:.0%} of the paid time."
            )
        )
        stale = int(table["stale"].sum())
        if stale:
            print(
                f"Warning: {stale} row(s) priced from observations older than "
                f"{args.stale_after_days} days (column 'stale' of --format csv)."
            )
        print(terminal.render(shown, group="platform", total_rows=len(table)))
    return 0


def run_break_even(args: argparse.Namespace) -> int:
    snapshot, workload, table = priced(args)
    even = growth.break_even_table(
        table,
        billing=args.billing,
        min_replicas=args.min_replicas,
        fixed_usd_per_month=args.fixed_usd_per_month,
        max_replicas=args.max_replicas,
        tokens_per_month=args.tokens_per_month,
    )
    even.insert(0, "as_of", snapshot.as_of.date().isoformat())
    even["output_share"] = workload.output_share
    even["diy_token_basis"] = args.diy_token_basis
    if not write(even, args):
        wins = even[even["break_even_million_tokens_per_month"].notna()]
        print(
            terminal.paragraph(
                f"Prices as of {snapshot.as_of.date()}; token mix {workload.output_share:.0%} "
                f"output; billing {args.billing}, min replicas {args.min_replicas}, fixed "
                f"${args.fixed_usd_per_month:,.0f}/month. Self-hosting wins from some volume "
                f"in {len(wins)} of {len(even)} pairs, listed by break-even volume (the others "
                "and why: --format csv, column reason)."
            )
        )
        ordered = wins.sort_values("break_even_million_tokens_per_month", kind="stable")
        shown = terminal.choose(
            ordered, args.columns, BREAK_EVEN_COLUMNS_FOR_PEOPLE, top=None
        ).head(args.top or len(ordered))
        print(terminal.render(shown, total_rows=len(ordered)))
    return 0
