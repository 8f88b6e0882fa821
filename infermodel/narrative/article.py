"""The article page's reproducible parts in words: each DIY row's formula with its numbers,
and each of the article's own figures with the kit's verdict
(:mod:`infermodel.analyses.article`)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from infermodel import display
from infermodel.display import money, multiple, number, tokens

#: How each unit of :data:`infermodel.analyses.article.CLAIMS` is written.
_UNIT = {
    "minutes": lambda v: f"{number(v, 0)} minutes",
    "tokens/s": lambda v: f"{number(v, 0)} tokens/s",
    "tokens/h": lambda v: f"{tokens(v)} tokens/h",
    "USD/GPU-h": lambda v: f"{money(v)}/GPU-hour",
    "x": multiple,
}


def _span(low: float, high: float, unit: str) -> str:
    say = _UNIT[unit]
    return say(low) if low == high else f"{say(low)} to {say(high)}"


def formula_lines(
    terms: pd.DataFrame, labels: Mapping[str, str], disputes: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The article's DIY formula written out for each row of
    :func:`infermodel.analyses.article.formula_terms`: ``offering`` and ``formula``, e.g.
    ``20,000,000 tokens / (556 tokens/s x 0.80 x 3,600 s/h) x 1 GPU = 12.50 GPU-hours;
    x $1.19/GPU-hour = $14.88``, so that a reader can redo every row by hand; with
    ``disputes`` (:func:`infermodel.estimator.serving_checks.estimator_view`), ``estimator``: what
    the
    throughput estimator says of the row's configuration ("agrees" within a factor of 2)."""
    lines = []
    for row in terms.itertuples(index=False):
        spot = (
            f" x {row.spot_time_factor:.3f} (spot interruptions)"
            if row.spot_time_factor > 1
            else ""
        )
        gpus = int(row.gpus_per_replica)
        lines.append(
            f"{number(row.tokens)} tokens / ({number(row.tokens_per_second, 1)} tokens/s "
            f"{display.TIMES} {row.utilization:.2f} {display.TIMES} 3,600 s/h) {display.TIMES} "
            f"{gpus} GPU{'s' if gpus > 1 else ''}{spot} = {row.gpu_hours:,.2f} GPU-hours; "
            f"{display.TIMES} {money(row.usd_per_gpu_hour)}/GPU-hour = {money(row.cost_usd)}"
        )
    out = pd.DataFrame(
        {
            "offering": [labels.get(i, i) for i in terms["offering_id"]],
            "formula": lines,
        }
    )
    if disputes is not None and len(disputes):
        said = {
            (r.serving_assumption, r.gpu): (r.estimator_says or "agrees")
            for r in disputes.itertuples(index=False)
        }
        keys = terms["offering_id"].map(lambda i: (i.split("@")[-1], i.split("/")[1]))
        out["estimator"] = [said.get(k, "not estimated") for k in keys]
    return out


def claims_verdicts(checked: pd.DataFrame) -> pd.DataFrame:
    """Each of the article's figures (:func:`infermodel.analyses.article.check`) with the kit's
    figure and a verdict in words: ``claim``, ``article``, ``kit``, ``verdict``."""
    rows = []
    for row in checked.itertuples(index=False):
        said = getattr(row, "figure", "") or _span(row.article_low, row.article_high, row.unit)
        found = _span(row.kit_low, row.kit_high, row.unit)
        verdict = f"{'Borne out' if row.holds else 'Not borne out'}: {row.how}."
        rows.append({"claim": row.says, "article": said, "kit": found, "verdict": verdict})
    return pd.DataFrame(rows, columns=["claim", "article", "kit", "verdict"])


__all__ = ["claims_verdicts", "formula_lines"]
