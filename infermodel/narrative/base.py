"""What every reading shares: lists of names, ties, ratios, escaping to HTML."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from infermodel import display
from infermodel.display import multiple, percent

TIE = 1e-9
#: Who a claim says is cheaper: rented GPUs, the API, or neither.
WINNERS = ("self_hosting", "api", "tie")
#: What a claim's volume is counted over: one job, a month, a request log, a bill.
PERIODS = ("job", "month", "log", "bill")


class Answer(list):
    """A page's answer: its sentences (a list of str) and the claims they make.

    A claim (:func:`claim`) says, for one sentence, which rented-GPU option and which API it
    compares, on which billing basis (:mod:`infermodel.pricing.billing_basis`), and who wins at what
    volume, or from which monthly volume self-hosting wins. The claims are saved with the
    sentences (``tables/<page>.answer.json``), so the report's index can tell one verdict
    (:func:`infermodel.narrative.verdict`) and a test can check that no two pages disagree
    on the winner without naming the basis that separates them, without reading English.
    """

    def __init__(self, lines: Sequence[str] = (), claims: Sequence[dict] = ()):
        super().__init__(lines)
        self.claims: list[dict] = [dict(c) for c in claims]

    def add(self, line: str, *claims: dict) -> None:
        """Append a sentence, with the claims it makes (their ``line`` set to its index)."""
        if not line:
            return
        self.append(line)
        self.claims.extend({**c, "line": len(self) - 1} for c in claims if c)

    def extend_lines(self, lines: Sequence[str]) -> None:
        """Append sentences that make no claim (empty ones left out)."""
        self.extend(line for line in lines if line)


def claim(
    basis: str,
    *,
    api: tuple[str, str],
    diy: tuple[str, str],
    api_usd: float | None = None,
    diy_usd: float | None = None,
    tokens: float | None = None,
    per: str = "job",
    break_even_tokens_per_month: float | None = None,
    never: bool = False,
    headline: bool = False,
    inputs: dict | None = None,
    caveat: str = "",
) -> dict:
    """One claim of a sentence: self-hosting on ``diy`` against ``api`` on a billing basis.

    ``api`` and ``diy`` are ``(offering_id, label)``. Give ``api_usd`` and ``diy_usd`` (what
    each costs for ``tokens`` over ``per``) for a winner at that volume, or
    ``break_even_tokens_per_month`` (self-hosting no dearer from that volume) or ``never``
    (self-hosting never wins at any volume) for a threshold. ``headline`` marks the claim
    the report's verdict may tell for its basis. ``inputs`` are the values the winner rests
    on beyond the pair and the basis (``api_usd_per_million_tokens`` at the token mix,
    ``utilization``): two claims with different inputs describe different workloads and are
    not held to agree. ``caveat`` says that a price the claim rests on is stale, carried back
    or below ``confirmed`` confidence (:func:`~infermodel.narrative.costs.price_caveat`), for
    the verdict to repeat.
    """
    if per not in PERIODS:
        raise ValueError(f"per must be one of {PERIODS}, got {per!r}")
    winner = None
    if api_usd is not None and diy_usd is not None:
        if np.isclose(api_usd, diy_usd, rtol=TIE, atol=0):
            winner = "tie"
        else:
            winner = "self_hosting" if diy_usd < api_usd else "api"
    elif never:
        winner = "api"
    return {
        "basis": basis,
        "api_offering_id": api[0],
        "api_label": api[1],
        "diy_offering_id": diy[0],
        "diy_label": diy[1],
        "winner": winner,
        "tokens": None if tokens is None else float(tokens),
        "per": per,
        "api_usd": None if api_usd is None else float(api_usd),
        "diy_usd": None if diy_usd is None else float(diy_usd),
        "break_even_tokens_per_month": None
        if break_even_tokens_per_month is None or not np.isfinite(break_even_tokens_per_month)
        else float(break_even_tokens_per_month),
        "never": bool(never),
        "headline": bool(headline),
        "inputs": {
            k: float(v) for k, v in (inputs or {}).items() if v is not None and np.isfinite(v)
        },
    }


# --- helpers ---------------------------------------------------------------------------------


def names(items: Sequence[str], *, most: int = 3) -> str:
    """``A``, ``A and B``, ``A, B and C``; beyond ``most`` items, ``A, B, C and 2 more``."""
    items = list(dict.fromkeys(items))
    if len(items) > most:
        shown, rest = items[:most], len(items) - most
        return ", ".join(shown) + f" and {rest} more"
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def cheapest(rows: pd.DataFrame, by: str = "cost_usd") -> pd.DataFrame:
    """The rows that tie for the lowest ``by`` (one row unless there is a tie)."""
    if rows.empty:
        return rows
    low = rows[by].min()
    return rows[np.isclose(rows[by], low, rtol=TIE, atol=0)]


def named(rows: pd.DataFrame, label: str = "offering") -> str:
    """The first of tied rows by label, with ``(tied with ...)`` when several tie."""
    first, others = rows[label].iloc[0], list(rows[label].iloc[1:])
    return first + (f" (tied with {names(others, most=1)})" if others else "")


def ratio(value: float, reference: float) -> str:
    """``15% less than`` / ``1.7 times the`` / ``the same as``: ``value`` against ``reference``."""
    if np.isclose(value, reference, rtol=1e-6):
        return "the same as"
    if value < reference:
        return f"{percent(1 - value / reference)} less than"
    return f"{multiple(value / reference)}"


def versus(value: float, reference: float) -> str:
    """``15% less than`` / ``1.7x the cost on`` / ``the same as``, before the reference's name."""
    if not np.isclose(value, reference, rtol=1e-6) and value > reference:
        return f"{multiple(value / reference)} the cost on"
    return ratio(value, reference)


#: Classes MathJax never typesets inside: ``mathjax_ignore`` (MathJax 3, JupyterLab 4) and
#: ``tex2jax_ignore`` (MathJax 2, the classic notebook). Two dollar amounts in one sentence
#: ("$17.60 for the job, $0.88 per million tokens") would otherwise be read as LaTeX.
NO_MATH = "tex2jax_ignore mathjax_ignore"
#: Characters that mean something to Markdown (and ``$`` to its math extension).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|$~])")


def html(lines: Sequence[str], *, kind: str = "answer") -> str:
    """Sentences as an HTML list (``kind`` is its CSS class); every character escaped, and
    marked so that no MathJax (JupyterLab, the classic notebook) typesets a ``$`` in it."""
    items = "".join(f"<li>{html_lib.escape(line)}</li>" for line in lines)
    return f'<ul class="{html_lib.escape(kind)} {NO_MATH}">{items}</ul>'


def paragraph(text: str, *, kind: str = "lead") -> str:
    """One paragraph of text as HTML (escaped, never typeset as math)."""
    return f'<p class="{html_lib.escape(kind)} {NO_MATH}">{html_lib.escape(text)}</p>'


def markdown_text(text: str) -> str:
    """``text`` with every Markdown special character escaped: ``$17.60`` -> ``\\$17.60``, so
    a Markdown renderer with math (JupyterLab, nbconvert, GitHub) shows it as written."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown(lines: Sequence[str], *, kind: str = "answer") -> str:
    """Sentences as a Markdown list, every special character escaped (:func:`markdown_text`),
    inside a block (CSS class ``kind``) MathJax skips (:data:`NO_MATH`); JupyterLab, which
    shows a Markdown output before an HTML one, turns ``\\$`` back into ``$``
    before it typesets, so the escape alone would not keep two amounts from becoming LaTeX;
    other renderers show the block's list as plain Markdown."""
    items = "\n".join(f"- {markdown_text(line)}" for line in lines)
    return f'<div class="{html_lib.escape(kind)} {NO_MATH}">\n\n{items}\n\n</div>'


def plain(lines: Sequence[str]) -> str:
    """Sentences as plain text, one ``- `` item a line (a terminal, a log, ``print``)."""
    return "\n".join(f"- {line}" for line in lines)


def labelled(table: pd.DataFrame) -> pd.DataFrame:
    if "offering" in table and "offering_id" not in table:
        return table
    return table.assign(offering=display.offering_labels(table))


def like_rows(table: pd.DataFrame, like_for_like: str) -> pd.Series:
    return table["model"].astype(str).str.contains(like_for_like, case=False, regex=False)
