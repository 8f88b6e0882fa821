"""How far an API price may move from one observation of an offering to the next.

One rule, read by the importer (:mod:`infermodel.prices.importers`, before it appends what a source
says) and by ``infermodel validate`` (:func:`infermodel.tables.registry.check_price_steps`, over
every row of ``api_prices.csv``, hand-added ones included): an input, output or cached-input
price that moves more than :data:`MAX_CHANGE_FACTOR` times either way against the offering's
previous observation, to or from zero, or an input or output price below
:data:`MIN_PLAUSIBLE_USD_PER_MILLION` (a per-token or per-thousand-token figure read as per
million lands there), is implausible. A row whose note holds :data:`ACCEPTED_NOTE` was
checked by a person (the importer writes it for ``--accept-change``) and passes.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

#: A price moving by more than this factor either way needs a person's word. [-]
MAX_CHANGE_FACTOR = 10.0
#: Input or output prices below this need a person's word: the cheapest tracked offering
#: ever shipped is 0.05 USD/Mtok, and a per-token or per-thousand-token price read as per
#: million lands well below. [USD/Mtok]
MIN_PLAUSIBLE_USD_PER_MILLION = 0.01
#: The prices compared with the previous observation.
CHECKED_FIELDS = (
    "usd_per_million_input_tokens",
    "usd_per_million_output_tokens",
    "usd_per_million_cached_input_tokens",
)
#: Words in a row's note saying a person checked an implausible-looking price.
ACCEPTED_NOTE = "change accepted"


def missing(value: object) -> bool:
    """None, NaN or NA."""
    return value is None or bool(pd.isna(value))


def times(ratio: float) -> str:
    """A factor as a person reads it: ``x0.001``, ``x10.5``, ``x12,000``."""
    return f"x{ratio:,.0f}" if ratio >= 100 else f"x{ratio:.3g}"


def implausible(previous: Mapping | None, observation: Mapping) -> list[str]:
    """Why the prices of ``observation`` look wrong against ``previous`` (empty: they don't).

    Each reason names the price, old -> new [USD/Mtok] and the factor between them.
    ``previous`` is the offering's newest earlier observation (None for a new offering).
    """
    reasons = []
    for name in CHECKED_FIELDS:
        after = observation.get(name)
        before = None if previous is None else previous.get(name)
        if missing(after):
            continue
        after, why = float(after), []
        if not missing(before) and float(before) != after:
            before = float(before)
            ratio = after / before if before else float("inf")
            if before == 0 or after == 0:
                why.append("to or from zero")
            elif not 1 / MAX_CHANGE_FACTOR <= ratio <= MAX_CHANGE_FACTOR:
                direction = "up" if ratio > 1 else "down"
                why.append(f"{times(ratio)}, more than {MAX_CHANGE_FACTOR:g}x {direction}")
        if 0 < after < MIN_PLAUSIBLE_USD_PER_MILLION and "cached" not in name:
            why.append(
                f"below {MIN_PLAUSIBLE_USD_PER_MILLION:g}: looks like a per-token or "
                "per-thousand-token price"
            )
        if why:
            old = "" if missing(before) else f"{float(before):g} -> "
            short = name.removeprefix("usd_per_million_")
            reasons.append(f"{short} {old}{after:g} USD/Mtok ({'; '.join(why)})")
    return reasons


def accepted(note: object) -> bool:
    """A row's note says a person checked its price (:data:`ACCEPTED_NOTE`)."""
    return isinstance(note, str) and ACCEPTED_NOTE in note.casefold()


__all__ = [
    "ACCEPTED_NOTE",
    "CHECKED_FIELDS",
    "MAX_CHANGE_FACTOR",
    "MIN_PLAUSIBLE_USD_PER_MILLION",
    "accepted",
    "implausible",
    "missing",
    "times",
]
