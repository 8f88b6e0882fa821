"""Charts of what things cost: one job, a growing volume, a change of prices."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.patches import Patch

from infermodel import display
from infermodel.plots.base import (
    COMPONENT_COLOURS,
    HATCH,
    PALETTE,
    PLATFORM_COLOURS,
    cut_top,
    drawn,
    money_axis,
    new_figure,
    platform_legend,
    titled,
    wrap,
)
from infermodel.pricing.compare import STACK_COMPONENTS
from infermodel.tables import PLATFORM_LABELS

# --- costs of one job ------------------------------------------------------------------------


@drawn
def cost_ranges(
    groups: pd.DataFrame,
    *,
    title: str | None = None,
    as_of: object = None,
    unit: str = "cost of the job",
) -> tuple:
    """Cost range of each like-for-like group (a platform type, or one serving assumption).

    ``groups`` (:func:`infermodel.narrative.article_groups`): ``group``, ``platform_type``,
    ``offering`` (label) and ``cost_usd``, one row per offering. Each group is a line from
    its cheapest to its dearest offering (log scale) with a dot per offering; the cheapest is
    labelled.
    """
    order = list(dict.fromkeys(groups["group"]))
    fig, ax = new_figure(0.66 * len(order) + 1.9)
    lines, notes = [], []
    for y, name in enumerate(order):
        rows = groups[groups["group"] == name].sort_values("cost_usd", kind="stable")
        colour = PLATFORM_COLOURS[rows["platform_type"].iloc[0]]
        low, high = rows["cost_usd"].min(), rows["cost_usd"].max()
        ax.plot([low, high], [y, y], color=colour, linewidth=3, alpha=0.45, solid_capstyle="round")
        ax.scatter(rows["cost_usd"], [y] * len(rows), color=colour, s=22, zorder=3)
        ax.scatter([low], [y], color=colour, s=70, zorder=4, edgecolor="black")
        cheapest = rows.iloc[0]
        where = " · ".join(str(cheapest["offering"]).split(" · ")[:2])
        notes.append((low, y, f"{display.money(low)}  {where}"))
        lines.append(
            f"{name}: {display.money(low)} ({cheapest['offering']}) to {display.money(high)}"
        )
    ax.set_xscale("log")
    left, right = groups["cost_usd"].min() / 1.6, groups["cost_usd"].max() * 1.6
    ax.set_xlim(left, right)
    for x, y, text in notes:  # right of the dot, or left of it in the right half
        late = np.log(x / left) / np.log(right / left) > 0.45
        note = ax.annotate(
            text,
            (x, y),
            xytext=(4 if late else -4, 8),
            fontsize=10,
            textcoords="offset points",
            ha="right" if late else "left",
        )
        note.set_in_layout(False)
    ax.set_yticks(range(len(order)), [wrap(n, 34) for n in order])
    ax.set_ylim(len(order) - 0.5, -0.8)
    ax.grid(axis="y", visible=False)
    money_axis(ax)
    ax.set_xlabel(f"{unit} [USD, log scale]; big dot: the cheapest of the row")
    platform_legend(fig, groups["platform_type"], loc="outside lower center", ncols=3)
    ax.set_title(titled(title, "Cost of the job, like for like", as_of))
    alt = f"Range chart, log scale: {unit} per group. " + "; ".join(lines) + "."
    return fig, alt


@drawn
def cost_by_offering(
    table: pd.DataFrame, *, title: str | None = None, as_of: object = None, top_n: int = 20
) -> tuple:
    """Horizontal bars of ``cost_usd`` for the ``top_n`` cheapest offerings, log scale."""
    shown, note = cut_top(table.assign(label=display.offering_labels(table)), top_n, "cost_usd")
    data = shown.iloc[::-1]
    fig, ax = new_figure(0.34 * len(data) + 1.4)
    ax.barh(
        [wrap(label, 56) for label in data["label"]],
        data["cost_usd"],
        color=[PLATFORM_COLOURS[t] for t in data["platform_type"]],
    )
    ax.set_xscale("log")
    money_axis(ax)
    ax.grid(axis="y", visible=False)
    d = display.decimals_for(shown["cost_usd"])
    for y, cost in enumerate(data["cost_usd"]):
        ax.annotate(
            display.money(cost, d),
            (cost, y),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=10,
        )
    ax.set_xlabel("cost [USD, log scale]")
    platform_legend(fig, shown["platform_type"], loc="outside lower center", ncols=3)
    title = titled(title, "Cost by offering", as_of)
    ax.set_title(title + (f"\nthe {len(shown)} cheapest{note}" if note else ""))
    cheapest, dearest = shown.iloc[0], shown.iloc[-1]
    alt = (
        f"Bar chart, log scale: cost of {len(shown)} offerings{note}. Cheapest "
        f"{cheapest['label']} at {display.money(cheapest['cost_usd'])}; the dearest shown "
        f"{dearest['label']} at {display.money(dearest['cost_usd'])}."
    )
    return fig, alt


@drawn
def price_stack(stacks: pd.DataFrame, *, title: str | None = None) -> tuple:
    """Stacked bars of the article's price-per-token layers as shares of each list price.

    One bar per API offering, labelled with its price; hatched segments are not sourced
    (``illustrative`` or ``remainder``). A negative layer (a provider pricing below the
    base cost assumed) is drawn left of zero.
    """
    models = list(dict.fromkeys(stacks["model"]))
    totals = stacks.groupby("model", sort=False)["usd_per_million_tokens"].sum().loc[models]
    labels = [f"{m}\n({display.money(t)} per M)" for m, t in totals.items()]
    fig, ax = new_figure(0.62 * len(models) + 2.2)
    positive, negative = np.zeros(len(models)), np.zeros(len(models))
    for component in STACK_COMPONENTS:
        part = stacks[stacks["component"] == component].set_index("model").loc[models]
        values = 100 * part["share_of_price"].to_numpy()
        left = np.where(values >= 0, positive, negative)
        bars = ax.barh(
            labels,
            values,
            left=left,
            color=COMPONENT_COLOURS[component],
            edgecolor="black",
            linewidth=0.3,
            label=display.COMPONENT_WORDS.get(component, component),
        )
        for bar, basis in zip(bars, part["basis"], strict=True):
            bar.set_hatch(HATCH.get(basis, ""))
        positive += np.where(values >= 0, values, 0)
        negative += np.where(values < 0, values, 0)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("share of the list price [%]")
    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Patch(facecolor="white", edgecolor="black", hatch="//", label="illustrative (not sourced)"),
        Patch(facecolor="white", edgecolor="black", hatch="..", label="remainder of list price"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=3)
    ax.set_title(title or "Price-per-token stack (the article's layers)")
    base = stacks[stacks["component"] == "base"].set_index("model")["share_of_price"]
    alt = "Stacked bar chart of the share of each list price by layer: " + "; ".join(
        f"{m} {display.money(t)} per M tokens, base compute {display.percent(base[m])}"
        for m, t in totals.items()
    )
    return fig, alt + "."


# --- volume and growth -----------------------------------------------------------------------


@drawn
def cost_curves(
    curves: pd.DataFrame,
    *,
    title: str | None = None,
    as_of: object = None,
    labels: Mapping[str, str] | None = None,
) -> tuple:
    """Monthly cost against monthly volume (log-log), one line per offering.

    ``curves`` is :func:`infermodel.analyses.growth.monthly_cost_curves`; API lines are straight,
    DIY lines step up with each whole replica. ``labels`` maps offering ids to names.
    """
    labels = dict(labels or {})
    fig, ax = new_figure(6.2)
    styles = {"proprietary_api": "-", "managed_api": "--", "diy_gpu": "-"}
    colours = iter(sns.color_palette("colorblind", curves["offering_id"].nunique()))
    described = []
    for offering_id, line in curves.groupby("offering_id", sort=False):
        kind = line["platform_type"].iloc[0]
        name = labels.get(offering_id, line["offering"].iloc[0])
        ax.plot(
            line["tokens_per_month"] / 1e6,
            line["cost_usd_per_month"],
            linewidth=2,
            linestyle=styles[kind],
            drawstyle="steps-post" if kind == "diy_gpu" else "default",
            label=wrap(name, 60),
            color=next(colours),
        )
        described.append(f"{name} {display.money(line['cost_usd_per_month'].iloc[-1])}")
    ax.set(xscale="log", yscale="log")
    money_axis(ax, "y")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: display.number(v)))
    ax.set_xlabel("monthly volume [million tokens per month, log scale]")
    ax.set_ylabel("monthly cost [USD per month, log scale]")
    ax.legend(loc="upper left", fontsize=10)
    ax.set_title(titled(title, "Monthly cost against monthly volume", as_of))
    top = curves["tokens_per_month"].max()
    alt = (
        "Line chart, log-log, of monthly cost against monthly volume: straight lines are "
        f"APIs, stepped lines rented GPUs. At {display.tokens(top)} tokens a month: "
        + "; ".join(described)
        + "."
    )
    return fig, alt


@drawn
def maturity_path(
    monthly: pd.DataFrame,
    *,
    title: str | None = None,
    as_of: object = None,
    labels: Mapping[str, str] | None = None,
) -> tuple:
    """Monthly (left) and cumulative (right) cost per stage of a maturity path."""
    labels = dict(labels or {})
    fig, (left, right) = new_figure(4.8, ncols=2)
    described = []
    for stage, line in monthly.groupby("stage", sort=False):
        colour = PLATFORM_COLOURS[stage]
        name = labels.get(line["offering_id"].iloc[0], line["offering"].iloc[0])
        label = wrap(f"{PLATFORM_LABELS[stage]}: {name}", 70)
        left.plot(line["month"], line["cost_usd_per_month"], marker="o", color=colour, label=label)
        right.plot(line["month"], line["cumulative_cost_usd"], marker="o", color=colour)
        described.append(
            f"{name} {display.money(line['cost_usd_per_month'].iloc[0])} in month 1, "
            f"{display.money(line['cost_usd_per_month'].iloc[-1])} in month "
            f"{line['month'].iloc[-1]}, "
            f"{display.money(line['cumulative_cost_usd'].iloc[-1])} in all"
        )
    left.set_yscale("log")
    money_axis(left, "y")
    money_axis(right, "y")
    left.set_ylabel("monthly cost [USD per month, log scale]")
    right.set_ylabel("cumulative cost [USD]")
    for ax in (left, right):
        ax.set_xlabel("month")
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.legend(loc="outside lower center", ncols=1)
    fig.suptitle(titled(title, "Cost of a growing volume on each stage", as_of))
    return fig, "Line charts of monthly and cumulative cost per stage: " + "; ".join(
        described
    ) + "."


# --- price changes ---------------------------------------------------------------------------


@drawn
def price_vs_mix(split: pd.DataFrame, *, previous: object, as_of: object) -> tuple:
    """Change in a workload's cost split into price effect and mix effect, per platform.

    ``split`` is :func:`infermodel.analyses.quarters.effects`: one pair of bars per platform type,
    statistic and workload with a change (the others are named in the title); the legend is
    built from the bars themselves.
    """
    moved = (split["price_effect_usd"].abs() + split["mix_effect_usd"].abs()) > 1e-9
    still = int((~moved).sum())
    split = split[moved] if moved.any() else split
    names = [
        wrap(f"{p}, {'cheapest' if s == 'min' else 'median'} offering · {w}", 44)
        for p, s, w in zip(split["platform"], split["statistic"], split["workload"], strict=True)
    ]
    fig, ax = new_figure(0.62 * len(split) + 1.8)
    y = np.arange(len(split))
    price = ax.barh(y - 0.2, split["price_effect_usd"], height=0.4, color=PALETTE[0])
    mix = ax.barh(y + 0.2, split["mix_effect_usd"], height=0.4, color=PALETTE[1], hatch="//")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    money_axis(ax)
    ax.set_xlabel(
        f"change in the cost of the workload, {display.date(previous)} to "
        f"{display.date(as_of)} [USD]"
    )
    ax.set_title(
        "Price effect and mix effect per platform type"
        + (f"\n{still} platform types and statistics without a change not shown" if still else "")
    )
    fig.legend(
        [price, mix],
        ["price effect (same offerings, new prices)", "mix effect (offerings new or withdrawn)"],
        loc="outside lower center",
        ncols=2,
    )
    alt = "Bar chart of the change in cost, split into price and mix effect: " + "; ".join(
        f"{n.replace(chr(10), ' ')}: price {display.money(p)}, mix {display.money(m)}"
        for n, p, m in zip(names, split["price_effect_usd"], split["mix_effect_usd"], strict=True)
    )
    return fig, alt + "."
