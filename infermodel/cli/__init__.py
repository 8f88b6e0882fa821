"""The ``infermodel`` command: price a workload, check the data, build reports.

Subcommands (``infermodel SUBCOMMAND --help`` for options)::

    infermodel table --as-of 2025-05-31 --format csv   # the comparison table
    infermodel break-even --as-of 2025-05-31 --format csv  # API vs DIY break-even volumes
    infermodel validate                                # check every shipped table
    infermodel report [--out DIR] [-p NAME=VALUE ...]  # build the rendered report
    infermodel prices import litellm PATH [--write]    # refresh prices from a dated source
    infermodel prices discrepancies --as-of 2026-12-01  # where price sources disagree
    infermodel trace PATH --as-of 2025-05-31 --format csv  # price a request log on every offering
    infermodel bill FOCUS.csv [--reconcile]            # a FOCUS bill re-priced, or reconciled
    infermodel throughput --model M --gpu G --gpus N --precision P --input-tokens I ...

Each subcommand lives in its own module (:mod:`~infermodel.cli.pricing`,
:mod:`~infermodel.cli.trace`, :mod:`~infermodel.cli.report`,
:mod:`~infermodel.cli.price_import`, :mod:`~infermodel.cli.price_discrepancies`,
:mod:`~infermodel.cli.throughput`, :mod:`~infermodel.cli.bill`) with shared option
groups in :mod:`~infermodel.cli.options`.

Errors the kit raises on purpose (:class:`~infermodel.errors.InfermodelError`) end with one
line on stderr: exit status 2 for bad input (an option, a date, a parameter, a name that
does not exist), 1 for bad data or a failed report. Anything else is a bug: its traceback is
shown, with a line asking to report it.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

from infermodel import __version__
from infermodel.cli import (
    bill,
    price_discrepancies,
    price_import,
    pricing,
    report,
    throughput,
    trace,
)
from infermodel.cli.options import Parser, UsageError
from infermodel.errors import InfermodelError, InputError, NoPricesError
from infermodel.tables import registry

EXIT_USAGE = 2
EXIT_DATA = 1
EXIT_BUG = 3
ISSUES_URL = "https://github.com/infermodel/infermodel/issues"

__all__ = ["EXIT_DATA", "EXIT_USAGE", "UsageError", "build_parser", "main"]


def _validate(_) -> int:
    counts = registry.validate_all()
    print("ok: " + ", ".join(f"{name} {rows} rows" for name, rows in counts.items()))
    return 0


def build_parser() -> Parser:
    """The ``infermodel`` argument parser with every subcommand."""
    parser = Parser(prog="infermodel", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"infermodel {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    pricing.add_parsers(commands)
    commands.add_parser("validate", help="check every shipped data table").set_defaults(
        handler=_validate
    )
    report.add_parser(commands)
    price_discrepancies.add_parser(price_import.add_parser(commands))
    throughput.add_parser(commands)
    trace.add_parser(commands)
    bill.add_parser(commands)
    return parser


def exit_status(error: InfermodelError) -> int:
    """2 for bad input (and a date with no prices), 1 for bad data or a failed report."""
    return EXIT_USAGE if isinstance(error, (InputError, NoPricesError)) else EXIT_DATA


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``infermodel`` command; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        return args.handler(args)
    except InfermodelError as exc:
        print(f"infermodel: error: {exc}", file=sys.stderr)
        return exit_status(exc)
    except BrokenPipeError:  # output piped into `head` and the like: not an error
        sys.stderr.close()
        return 0
    except Exception:  # a bug: show where, and ask for a report
        traceback.print_exc()
        print(
            f"infermodel: this is a bug in infermodel {__version__}, not a mistake of yours; "
            f"please report it with the lines above at {ISSUES_URL}",
            file=sys.stderr,
        )
        return EXIT_BUG
