"""What the service tiers cost, in sentences (from
:func:`infermodel.pricing.compare.tier_costs`)."""

from __future__ import annotations

import pandas as pd

from infermodel import display
from infermodel.display import money, multiple
from infermodel.narrative.base import names
from infermodel.tables import SERVICE_TIERS

#: How each tier is sold, for the reader.
TIER_MEANING = {
    "batch": "asynchronous, results within a day",
    "flex": "slower, may queue",
    "priority": "faster, reserved capacity",
}


def _range(multiples: pd.Series) -> str:
    low, high = multiples.min(), multiples.max()
    if abs(high - low) < 0.005:
        return multiple(low)
    return f"{multiple(low)} to {multiple(high)} (median {multiple(multiples.median())})"


def tier_answer(tiers: pd.DataFrame) -> list[str]:
    """Sentences on the tiers: how many offerings sell each, at what multiple of the list
    price, the cheapest at each tier, and which providers sell none."""
    labels = display.offering_labels(tiers)
    total = len(tiers)
    lines = []
    for tier in SERVICE_TIERS[1:]:
        sold = tiers[f"cost_usd_{tier}"].notna()
        if not sold.any():
            lines.append(f"No API offering publishes a {tier} price ({TIER_MEANING[tier]}).")
            continue
        providers = sorted(set(tiers.loc[sold, "provider"]))
        none = sorted(set(tiers["provider"]) - set(providers))
        cheapest = tiers.loc[sold, f"cost_usd_{tier}"].idxmin()
        line = (
            f"{tier.capitalize()} ({TIER_MEANING[tier]}): {sold.sum()} of {total} API offerings "
            f"({names(providers, most=4)}) at {_range(tiers.loc[sold, f'{tier}_multiple'])} "
            f"their list price for this job; cheapest {labels[cheapest]} at "
            f"{money(tiers.loc[cheapest, f'cost_usd_{tier}'])}."
        )
        if none:
            verb = "publishes" if len(none) == 1 else "publish"
            line += f" {names(none, most=4)} {verb} no {tier} price."
        lines.append(line)
    return lines
