"""One verdict for a whole report: is self-hosting cheaper, on each basis its GPUs are paid.

The pages of a report answer "is self-hosting cheaper?" on different billing bases
(:mod:`infermodel.pricing.billing_basis`): the article's table prices the busy GPU-hours of one job,
the break-even and maturity pages replicas kept up all month, the request-log page replicas
sized for the log's arrivals, the bill page replicas kept up for each charge period. Each
page's answer saves its claims (:class:`~infermodel.narrative.base.Answer`); :func:`verdict`
tells them as one answer, one clause per basis, so that a reader sees why the winner
changes; :func:`conflicts` lists the pairs of claims that disagree without a basis, a volume
or an offering to separate them (the report's consistency test).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from infermodel.display import BASIS_KEYS, BASIS_WORDS, money, multiple, percent, tokens
from infermodel.formulas import BILLING_BASES

#: Relative tolerance between two break-even volumes of the same pair and basis. [-]
VOLUME_TOLERANCE = 1e-6


def _clause(item: dict, before: dict | None) -> str:
    """One basis's clause of the verdict, from its headline claim; an API or rented GPUs
    named by the clause ``before`` are "that API" and "the same GPUs"."""
    words = BASIS_WORDS[item["basis"]]
    same_api = before is not None and before["api_offering_id"] == item["api_offering_id"]
    same_diy = before is not None and before["diy_offering_id"] == item["diy_offering_id"]
    api = "that API" if same_api else item["api_label"]
    diy = "the same GPUs" if same_diy else f"rented GPUs ({item['diy_label']})"
    if not same_diy and item.get("caveat"):
        diy += item["caveat"]
    if item["winner"] in ("self_hosting", "api", "tie") and item.get("diy_usd") is not None:
        low, high = item["diy_usd"], item["api_usd"]
        volume = f" for {tokens(item['tokens'])} tokens" if item.get("tokens") else ""
        if item["winner"] == "tie":
            how = "cost the same as"
        elif item["winner"] == "self_hosting":
            how = f"cost {percent(1 - low / high)} less than"
        else:
            how = f"cost {multiple(low / high)} as much as"
        return f"{words}, {diy} {how} {api} ({money(low)} against {money(high)}{volume})"
    if item.get("break_even_tokens_per_month") is not None:
        volume = tokens(item["break_even_tokens_per_month"])
        return f"{words}, {diy} need {volume} tokens a month to beat {api}"
    if item.get("never"):
        return f"{words}, {diy} never beat {api} at any volume"
    return ""


def verdict(claims: Iterable[dict]) -> list[str]:
    """The report's verdict: for each billing basis with a headline claim (the first one of
    each basis, in :data:`infermodel.formulas.BILLING_BASES` order), who is cheaper, with the
    numbers, one sentence each after an opening one when the bases are several; empty when
    no page compares self-hosting with an API.

    ``claims`` are the claims of every page (:func:`~infermodel.narrative.base.claim`).
    """
    first: dict[str, dict] = {}
    for item in claims:
        if item.get("headline") and item.get("basis") in BASIS_WORDS:
            first.setdefault(item["basis"], item)
    clauses, before = [], None
    for basis in BILLING_BASES:
        if basis in first:
            clause = _clause(first[basis], before)
            if clause:
                clauses.append(clause)
                before = first[basis]
    if not clauses:
        return []
    if len(clauses) == 1:
        return [clauses[0][0].upper() + clauses[0][1:] + "."]
    opening = "Whether self-hosting is cheaper than an API depends on how its GPUs are paid:"
    return [opening, *(c[0].upper() + c[1:] + "." for c in clauses)]


def _winner_at(item: dict, volume: float) -> str | None:
    """Who a threshold claim says wins at a monthly ``volume``."""
    if item.get("never"):
        return "api"
    even = item.get("break_even_tokens_per_month")
    if even is None:
        return None
    return "self_hosting" if volume >= even * (1 - VOLUME_TOLERANCE) else "api"


def conflicts(answers: Sequence[dict]) -> list[str]:
    """Pairs of claims of a report that disagree without naming what separates them.

    ``answers`` are the saved answers (``{"name", "lines", "claims"}``). A claim must name its
    basis (:data:`infermodel.display.BASIS_KEYS`), its API and its rented-GPU option in its
    own sentence; two claims on the same basis, API and rented-GPU option must agree: the
    same winner at the same volume (at any volume on the busy-hours basis, where both bills
    grow with the tokens), the same break-even volume, and a winner at a monthly volume on
    the side of the break-even it falls on. Returns one line per problem.
    """
    found, flat = [], []
    for answer in answers:
        lines = answer.get("lines", [])
        for item in answer.get("claims", []):
            where = f"{answer.get('name')}[{item.get('line')}]"
            sentence = lines[item["line"]] if 0 <= item.get("line", -1) < len(lines) else ""
            for name in ("api_label", "diy_label"):
                if item.get(name) and item[name] not in sentence:
                    found.append(f"{where}: the sentence does not name {item[name]!r}")
            key = BASIS_KEYS.get(item.get("basis"), None)
            if key is None or key.lower() not in sentence.lower():
                found.append(f"{where}: the sentence does not name its basis ({key!r})")
            flat.append((where, item))
    for i, (where_a, a) in enumerate(flat):
        for where_b, b in flat[i + 1 :]:
            same = (a["basis"], a["api_offering_id"], a["diy_offering_id"]) == (
                b["basis"],
                b["api_offering_id"],
                b["diy_offering_id"],
            )
            if same and not _agree(a, b):
                found.append(
                    f"{where_a} and {where_b} disagree on {a['basis']}: {a['api_offering_id']} "
                    f"against {a['diy_offering_id']}"
                )
    return found


def _agree(a: dict, b: dict) -> bool:
    """Whether two claims on the same basis and pair can both hold."""
    ia, ib = a.get("inputs") or {}, b.get("inputs") or {}
    if any(not np.isclose(ia[k], ib[k], rtol=1e-9) for k in set(ia) & set(ib)):
        return True  # another token mix, date or utilization: another question
    ea, eb = a.get("break_even_tokens_per_month"), b.get("break_even_tokens_per_month")
    if ea is not None and eb is not None:
        return bool(np.isclose(ea, eb, rtol=VOLUME_TOLERANCE))
    if a.get("never") or b.get("never"):
        if a.get("never") and b.get("never"):
            return True
        other = b if a.get("never") else a
        return (
            other.get("winner") in ("api", "tie", None)
            and other.get("break_even_tokens_per_month") is None
        )
    for threshold, point in ((a, b), (b, a)):
        if threshold.get("break_even_tokens_per_month") is not None and point.get("winner"):
            if point.get("per") != "month" or point.get("tokens") is None:
                return True  # a job or a bill is not a monthly volume: nothing to compare
            return point["winner"] in ("tie", _winner_at(threshold, point["tokens"]))
    if a.get("winner") and b.get("winner") and a["basis"] == "busy_hours":
        # Busy hours grow with the tokens as an API bill does: one winner at every volume.
        return a["winner"] == b["winner"] or "tie" in (a["winner"], b["winner"])
    if a.get("winner") and b.get("winner") and a.get("per") == b.get("per"):
        if a.get("tokens") is not None and a.get("tokens") == b.get("tokens"):
            return a["winner"] == b["winner"] or "tie" in (a["winner"], b["winner"])
    return True


__all__ = ["conflicts", "verdict"]
