"""What every chart shares: the style, the :class:`Chart` wrapper, axis and label helpers."""

from __future__ import annotations

import functools
import io
import textwrap
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import (
    Formatter,
    FuncFormatter,
    LogFormatterSciNotation,
    LogLocator,
    NullFormatter,
)

from infermodel import display
from infermodel.pricing.compare import STACK_COMPONENTS
from infermodel.tables import PLATFORM_LABELS, PLATFORM_TYPES

WIDTH = 9.75
#: Resolution of the embedded images [dots per inch]; shown at 100 px per inch.
DPI = 150
PALETTE = sns.color_palette("colorblind")
PLATFORM_COLOURS = dict(zip(PLATFORM_TYPES, PALETTE[:3], strict=True))
COMPONENT_COLOURS = dict(zip(STACK_COMPONENTS, [PALETTE[i] for i in (7, 0, 1, 4)], strict=True))
HATCH = {"illustrative": "//", "remainder": ".."}
_RC = {
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "figure.dpi": 100,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "text.parse_math": False,
}


@dataclass(frozen=True)
class Chart:
    """A drawn chart and its description; shows as a PNG with ``alt`` metadata."""

    figure: Figure
    alt: str

    def png(self) -> bytes:
        """The chart as PNG bytes at :data:`DPI`."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=DPI)
        return buffer.getvalue()

    def _repr_png_(self):
        return self.png(), {"alt": self.alt}


def drawn(function):
    """Draw with the report's style, close the figure (shown once, as the Chart)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs) -> Chart:
        with plt.rc_context(_RC):
            figure, alt = function(*args, **kwargs)
            for ax in figure.axes:
                plain_log_labels(ax)
        plt.close(figure)
        return Chart(figure, alt)

    return wrapper


def plain_log_labels(ax) -> None:
    """Label log axes with plain numbers (``1,000``, not mathtext powers of ten): the powers
    of ten, and 2 and 5 times them when the axis spans less than two decades."""
    for axis in (ax.xaxis, ax.yaxis):
        if axis.get_scale() != "log":
            continue
        if isinstance(axis.get_major_formatter(), LogFormatterSciNotation):
            axis.set_major_formatter(FuncFormatter(lambda v, _: display.number(v)))
        low, high = sorted(axis.get_view_interval())
        if low > 0 and high / low < 100:
            axis.set_minor_locator(LogLocator(base=10, subs=(2, 5)))
            axis.set_minor_formatter(axis.get_major_formatter())
        else:
            axis.set_minor_formatter(NullFormatter())


def new_figure(height: float, ncols: int = 1):
    return plt.subplots(1, ncols, figsize=(WIDTH, height), layout="constrained")


def wrap(text: str, width: int = 36) -> str:
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def platform_legend(ax, platform_types, **kwargs) -> None:
    present = [t for t in PLATFORM_TYPES if t in set(platform_types)]
    handles = [Patch(color=PLATFORM_COLOURS[t], label=PLATFORM_LABELS[t]) for t in present]
    ax.legend(handles=handles, **kwargs)


class MoneyFormatter(Formatter):
    """Tick labels in dollars with the decimals the tick spacing needs (``$2.50``, ``$1,000``)."""

    decimals = 0

    def set_locs(self, locs) -> None:
        super().set_locs(locs)
        values = np.sort(np.abs(np.asarray([v for v in locs if v != 0], dtype=float)))
        steps = np.diff(np.sort(np.asarray(locs, dtype=float)))
        small = min([*values[:1], *steps[steps > 0]], default=1.0)
        self.decimals = 0 if small >= 1 else 2 if small >= 0.01 else int(-np.floor(np.log10(small)))

    def __call__(self, value, pos=None) -> str:
        return display.money(value, self.decimals)


class CompactFormatter(Formatter):
    """Tick labels without scientific notation: ``2M``, ``500k``, ``0.25``."""

    def __call__(self, value, pos=None) -> str:
        for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(value) >= size:
                return f"{display.number(value / size)}{suffix}"
        return display.number(value)


def money_axis(ax, axis: str = "x") -> None:
    which = ax.xaxis if axis == "x" else ax.yaxis
    which.set_major_formatter(MoneyFormatter())


def compact_axis(ax, axis: str = "x") -> None:
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(CompactFormatter())


def titled(title: str | None, default: str, as_of: object = None) -> str:
    """``title``, else ``default`` with ``, prices as of <date>`` when ``as_of`` is given."""
    if title:
        return title
    return default + (f", prices as of {display.date(as_of)}" if as_of is not None else "")


def cut_top(frame: pd.DataFrame, top_n: int, by: str) -> tuple[pd.DataFrame, str]:
    """The ``top_n`` rows of ``frame`` cheapest by ``by``, and a note on the rest."""
    ordered = frame.sort_values(by, kind="stable")
    if len(ordered) <= top_n:
        return ordered, ""
    rest = ordered.iloc[top_n:]
    note = (
        f"; {len(rest)} more from {display.money(rest[by].min())} "
        f"to {display.money(rest[by].max())} not shown"
    )
    return ordered.head(top_n), note
