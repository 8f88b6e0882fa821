"""A bill's models: what was billed, the kit's list price, and the cheapest like for like."""

from __future__ import annotations

import numpy as np
import pandas as pd

from infermodel import display
from infermodel.plots.base import PALETTE, drawn, money_axis, new_figure, titled, wrap

#: Bars drawn per model billed: column, legend label, colour.
_BARS = (
    ("billed_usd", "billed", PALETTE[3]),
    ("list_usd", "at the kit's list price", PALETTE[7]),
    ("like_usd", "cheapest other seller of the same model", PALETTE[2]),
)


@drawn
def bill_alternatives(alternatives: pd.DataFrame, *, title: str | None = None) -> tuple:
    """Per model billed: what the bill charged, its tokens at the kit's list price, and on
    the cheapest other offering of the same model (a missing bar: none priced).

    ``alternatives`` is :func:`infermodel.pricing.bill_pricing.like_for_like`.
    """
    rows = alternatives.reset_index(drop=True)
    fig, ax = new_figure(0.75 * len(rows) + 1.8)
    y = np.arange(len(rows))
    height = 0.8 / len(_BARS)
    for k, (column, label, colour) in enumerate(_BARS):
        values = rows[column].astype(float)
        ax.barh(y + (k - 1) * height, values.fillna(0), height=height, color=colour, label=label)
    names = [
        wrap(f"{p} · {m}", 40)
        for p, m in zip(rows["billed_provider"], rows["billed_model_name"], strict=True)
    ]
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    money_axis(ax)
    ax.set_xlabel("cost of the model's tokens on the bill [USD]")
    fig.legend(loc="outside lower center", ncols=3)
    ax.set_title(titled(title, "The bill's models: billed, at list, and like for like"))
    parts = []
    for row in rows.itertuples(index=False):
        like = (
            f", cheapest like for like {display.money(row.like_usd)}"
            if not pd.isna(row.like_usd)
            else ", no other seller priced"
        )
        parts.append(
            f"{row.billed_provider} · {row.billed_model_name} billed "
            f"{display.money(row.billed_usd)}, at list {display.money(row.list_usd)}{like}"
        )
    return fig, "Bar chart per model billed: " + "; ".join(parts) + "."
