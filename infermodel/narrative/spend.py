"""What a usage log cost as it was spent, in sentences (from
:class:`infermodel.pricing.spend.Spend`)."""

from __future__ import annotations

from infermodel.display import money, tokens
from infermodel.narrative.base import names


def spend_answer(spend) -> list[str]:
    """The answer first: the total, over how many requests, models and days; the model and
    the day that cost most; and the requests that could not be priced, with why."""
    priced, unpriced = spend.priced, spend.unpriced
    requests = int(priced["requests"].sum())
    lines = []
    if requests:
        by_model, by_day = spend.by_model(), spend.by_day()
        days = by_day["day"]
        when = (
            f"over {len(days)} day(s), {days.min().date()} to {days.max().date()}"
            if spend.dated
            else f"at the prices of {days.min().date()} (the log has no timestamps)"
        )
        lines.append(
            f"This log cost {money(spend.total_usd)}: {requests:,} request(s) on "
            f"{len(by_model)} model(s) {when}, each priced on its own model at the prices "
            "of its own day."
        )
        top = by_model.iloc[0]
        share = top["cost_usd"] / spend.total_usd if spend.total_usd else 0.0
        lines.append(
            f"{top['model']} cost most: {money(top['cost_usd'])} ({share:.0%}) for "
            f"{int(top['requests']):,} request(s)."
        )
        if spend.dated and len(by_day) > 1:
            peak = by_day.loc[by_day["cost_usd"].idxmax()]
            lines.append(f"The dearest day was {peak['day'].date()}: {money(peak['cost_usd'])}.")
    else:
        lines.append("No request of this log could be priced.")
    if len(unpriced):
        count = int(unpriced["requests"].sum())
        prompt = unpriced["input_tokens"] + unpriced["cached_input_tokens"]
        why = names([_short(r) for r in unpriced["unpriced_reason"]], most=3)
        lines.append(
            f"{count:,} request(s) ({tokens(prompt.sum())} prompt tokens) could not be priced "
            f"and are listed, not dropped: {why}."
        )
    return lines


def _short(reason: str) -> str:
    """A reason without its detail after the first ';' or ':' clause ending."""
    return reason.split("; ")[0]
