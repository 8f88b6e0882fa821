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

Every command takes ``--data-dir DIR`` (or ``INFERMODEL_DATA_DIR=DIR``): your data folder,
laid out like ``data/`` (contracts, servers you own, your own prices), read beside the
shipped tables and marked as yours (:mod:`infermodel.tables.user_data`).

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

import re
import sys
import traceback
from collections.abc import Sequence

from infermodel import __version__
from infermodel.cli import (
    bill,
    options,
    price_discrepancies,
    price_import,
    pricing,
    report,
    spend,
    throughput,
    trace,
)
from infermodel.cli.options import Parser, UsageError
from infermodel.errors import InfermodelError, InputError, NoPricesError
from infermodel.tables import registry, user_data

EXIT_USAGE = 2
EXIT_DATA = 1
EXIT_BUG = 3
ISSUES_URL = "https://github.com/infermodel/infermodel/issues"

__all__ = ["EXIT_DATA", "EXIT_USAGE", "UsageError", "build_parser", "main"]


def _validate(_) -> int:
    counts = registry.validate_all()
    shipped = {name: rows for name, rows in counts.items() if name not in registry.USER_ONLY}
    print("ok: " + ", ".join(f"{name} {rows} rows" for name, rows in shipped.items()))
    folder = user_data.folder()
    if folder is not None:
        mine = registry.user_rows()
        held = ", ".join(
            f"{name} {rows} row{'s' if rows != 1 else ''}" for name, rows in mine.items()
        )
        print(
            f"ok: your data folder {folder}: {held or 'no rows'} (read beside the shipped "
            "tables; the counts above include your rows of them)"
        )
    return 0


def _say_if_empty(folder) -> None:
    """One line on stderr when the user data folder in use (``--data-dir``, else
    ``$INFERMODEL_DATA_DIR``; read for every option check and table) holds no table."""
    if folder is not None and not user_data.survey(folder):
        print(f"infermodel: note: {user_data.describe(folder)}", file=sys.stderr)


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
    spend.add_parser(commands)
    for command in options.every_command(parser):
        options.add_data_dir(command)
    return parser


def exit_status(error: InfermodelError) -> int:
    """2 for bad input (and a date with no prices), 1 for bad data or a failed report."""
    return EXIT_USAGE if isinstance(error, (InputError, NoPricesError)) else EXIT_DATA


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")


def printable(message: str, argv: Sequence[str] = ()) -> str:
    """``message`` safe for a terminal: what was typed with a line break or a control
    character in it (a file name) is shown escaped, so the error stays one line, and no
    escape sequence from a file name or a cell reaches the terminal."""
    for word in sorted(argv, key=len, reverse=True):
        if _CONTROL.search(word) or "\n" in word or "\t" in word:
            message = message.replace(word, repr(word)[1:-1])
    return _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], message)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``infermodel`` command; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        with user_data.using(options.data_dir_given(argv)) as folder:
            _say_if_empty(folder)
            args = build_parser().parse_args(argv)
            return args.handler(args)
    except InfermodelError as exc:
        words = sys.argv[1:] if argv is None else list(argv)
        print(f"infermodel: error: {printable(str(exc), words)}", file=sys.stderr)
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
