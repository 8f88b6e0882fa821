"""Readings of what a job or a request log costs, like for like."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from infermodel import display
from infermodel.display import money, multiple, percent, tokens
from infermodel.narrative.base import cheapest, labelled, like_rows, named, names, ratio

# --- the 20M-token table ---------------------------------------------------------------------


def article_groups(
    table: pd.DataFrame, others: pd.DataFrame | None = None, *, like_for_like: str = "70B"
) -> pd.DataFrame:
    """Offerings grouped like for like: every proprietary API, the managed APIs of the model
    class ``like_for_like``, and the DIY rows of that class per serving assumption.

    Returns ``group``, ``platform_type``, ``serving_assumption``, ``offering`` (label),
    ``offering_id`` and ``cost_usd``, one row per offering; DIY rows of ``others`` (other
    readings) follow those of ``table``.
    """
    rows = [labelled(table)]
    if others is not None and not others.empty:
        rows.append(labelled(others))
    both = pd.concat(rows, ignore_index=True).drop_duplicates("offering_id")
    like = like_rows(both, like_for_like)
    groups = []
    proprietary = both[both["platform_type"] == "proprietary_api"]
    if len(proprietary):
        groups.append(proprietary.assign(group="Proprietary APIs, all models"))
    managed = both[(both["platform_type"] == "managed_api") & like]
    if len(managed):
        groups.append(managed.assign(group=f"Managed APIs, {like_for_like} models"))
    diy = both[(both["platform_type"] == "diy_gpu") & like]
    for assumption, part in diy.groupby("serving_assumption", sort=False):
        groups.append(part.assign(group=f"Own GPUs: {display.serving_label(assumption)}"))
    columns = [
        "group",
        "platform_type",
        "serving_assumption",
        "offering",
        "offering_id",
        "cost_usd",
    ]
    if not groups:
        return pd.DataFrame(columns=columns)
    return pd.concat(groups, ignore_index=True).reindex(columns=columns)


def article_answer(
    table: pd.DataFrame, others: pd.DataFrame | None = None, *, like_for_like: str = "70B"
) -> list[str]:
    """The cheapest like-for-like option per platform type, the spread, what flips the ranking.

    ``table`` is the main :func:`~infermodel.pricing.compare.cost_table` (the article's serving
    assumptions); ``others`` DIY rows under other readings (e.g. measured throughput).
    """
    table = labelled(table)
    like = like_rows(table, like_for_like)
    managed = table[(table["platform_type"] == "managed_api") & like]
    diy = table[(table["platform_type"] == "diy_gpu") & like]
    proprietary = table[table["platform_type"] == "proprietary_api"]
    lines = []
    if managed.empty:
        lines.append(f"No managed API sells a {like_for_like}-class model on this date.")
    else:
        best = cheapest(managed)
        lines.append(
            f"For a {like_for_like}-class model the cheapest managed API is {named(best)}: "
            f"{money(best['cost_usd'].iloc[0])} for the job, "
            f"{money(best['usd_per_million_tokens'].iloc[0])} per million tokens."
        )
    if diy.empty:
        lines.append(
            f"No rented GPU in the price data holds a {like_for_like}-class model under the "
            "serving assumptions chosen, so there is no self-hosted price to compare."
        )
    else:
        best = cheapest(diy)
        cost = best["cost_usd"].iloc[0]
        against = (
            f": {ratio(cost, managed['cost_usd'].min())} the managed API" if len(managed) else ""
        )
        gpu = best.assign(offering=display.offering_labels(best.drop(columns="serving_assumption")))
        reading = quoted(best["serving_assumption"].iloc[0])
        lines.append(
            f"At the main table's throughput assumptions, the cheapest rented GPU is "
            f"{named(gpu)} at {reading}, {money(cost)} "
            f"({money(best['usd_per_million_tokens'].iloc[0])} per million tokens){against}."
        )
    if len(proprietary):
        lines.append(_proprietary_sentence(proprietary, managed, like_for_like))
    if len(diy) > 1:
        low, high = diy["cost_usd"].min(), diy["cost_usd"].max()
        lines.append(
            f"Self-hosting the same model costs {money(low)} to {money(high)} depending on GPU, "
            f"provider and throughput assumption: a {multiple(high / low)} spread."
        )
    flips = _what_flips(diy, others, managed, like_for_like)
    if flips:
        lines.append(flips)
    return lines


def _proprietary_sentence(proprietary: pd.DataFrame, managed: pd.DataFrame, like: str) -> str:
    low, high = cheapest(proprietary), proprietary.loc[[proprietary["cost_usd"].idxmax()]]
    text = (
        f"Proprietary APIs, which sell no {like}-class open model, charge "
        f"{money(low['cost_usd'].iloc[0])} ({named(low)}) to {money(high['cost_usd'].iloc[0])} "
        f"({high['offering'].iloc[0]}) for the same job"
    )
    if managed.empty:
        return text + "."
    median = proprietary["cost_usd"].median()
    return text + (
        f"; their median, {money(median)}, is "
        f"{multiple(median / managed['cost_usd'].min())} the managed {like} price."
    )


def _what_flips(
    diy: pd.DataFrame, others: pd.DataFrame | None, managed: pd.DataFrame, like: str
) -> str:
    """Which serving assumptions put rented GPUs under / over the managed API."""
    if managed.empty:
        return ""
    rows = [diy]
    if others is not None and not others.empty:
        other = labelled(others)
        rows.append(other[(other["platform_type"] == "diy_gpu") & like_rows(other, like)])
    every = pd.concat(rows, ignore_index=True)
    if every["serving_assumption"].nunique() < 2:
        return ""
    reference = managed["cost_usd"].min()
    best = every.groupby("serving_assumption", sort=False)["cost_usd"].min().sort_values()
    under, over = best[best < reference], best[best >= reference]
    if under.empty:
        return (
            f"Under every throughput assumption priced, rented GPUs cost more than the managed "
            f"API: {multiple(over.iloc[0] / reference)} at best, "
            f"under {quoted(over.index[0])}."
        )
    if over.empty:
        return "Rented GPUs beat the managed API under every throughput assumption priced."
    return (
        "The throughput assumption decides the ranking: rented GPUs beat the managed API under "
        f"{len(under)} of the {len(best)} assumptions priced (from {money(under.iloc[0])} at "
        f"{quoted(under.index[0])}) and cost {_range_of(over / reference)} as much under the "
        f"other {len(over)} ({multiple(over.iloc[0] / reference)} at {quoted(over.index[0])})."
    )


def quoted(assumption: str) -> str:
    """A serving assumption's label in quotation marks (labels hold commas)."""
    return f"\u201c{display.serving_label(assumption)}\u201d"


def _range_of(multiples: pd.Series) -> str:
    low, high = multiples.min(), multiples.max()
    return multiple(low) if np.isclose(low, high) else f"{multiple(low)} to {multiple(high)}"


def _tier_words(service_tier: str) -> str:
    return {
        "standard": "list prices",
        "batch": "APIs at their batch prices where published",
        "flex": "APIs at their flex prices where published",
        "priority": "APIs at their priority prices where published",
    }[service_tier]


def workload_lead(
    workload,
    *,
    as_of: object,
    utilization: float | None = None,
    use_batch_api: bool = False,
    service_tier: str = "standard",
    left_out_frame: pd.DataFrame | None = None,
) -> str:
    """What was priced: the job's tokens and mix, the as-of date, utilization, the API tier
    (``use_batch_api`` is the batch tier), the lifetime of cache writes if any, and the API
    offerings left out at that tier (``left_out_frame``, :func:`left_out`)."""
    total = workload.total_tokens
    share = workload.output_tokens / total if total else 0.0
    cached = (
        f", {percent(workload.cached_input_tokens / workload.prompt_tokens)} of the prompt "
        "read from a cache"
        if workload.cached_input_tokens
        else ""
    )
    text = (
        f"A job of {tokens(total)} tokens ({percent(share)} generated output{cached}) priced "
        f"at the prices in force on {display.date(as_of)}"
    )
    if workload.cache_write_tokens:
        text += (
            f"; {percent(workload.cache_write_tokens / workload.prompt_tokens)} of the prompt "
            f"written to a cache kept {workload.cache_ttl}"
        )
    if utilization is not None:
        text += f"; rented GPUs busy {percent(utilization)} of the paid time"
    tier = "batch" if use_batch_api else service_tier
    text += f"; {_tier_words(tier)}."
    if left_out_frame is not None and not left_out_frame.empty:
        text += " " + left_out(left_out_frame, service_tier=tier)
    return text


def left_out(frame: pd.DataFrame, *, service_tier: str, most: int = 4) -> str:
    """A sentence naming the API offerings a table leaves out at a tier or uplift, and why
    (``frame`` from :func:`infermodel.pricing.compare.api_unpriced`); empty when none is."""
    if frame.empty:
        return ""
    labels = list(display.offering_labels(frame))
    reasons = sorted(set(frame["reason"]))
    why = reasons[0] if len(reasons) == 1 else f"{len(reasons)} reasons, e.g. {reasons[0]}"
    count = len(frame)
    verb = "is" if count == 1 else "are"
    return (
        f"{count} API offering{'s' if count != 1 else ''} {verb} not priced at the "
        f"{service_tier} tier ({why}): {names(labels, most=most)}; none is priced at "
        "another tier instead."
    )


def not_on_sale(wanted: Sequence[str], on_sale: Sequence[str], *, as_of: object) -> str:
    """A sentence naming the chosen offerings not on sale on ``as_of`` (empty when none)."""
    gone = [w for w in wanted if w not in set(on_sale)]
    if not gone:
        return ""
    verb = "is" if len(gone) == 1 else "are"
    return f"{names(gone, most=6)} {verb} not on sale on {display.date(as_of)} and left out."


# --- request logs ----------------------------------------------------------------------------


def trace_answer(
    table: pd.DataFrame,
    caching: pd.DataFrame,
    summary: pd.DataFrame,
    *,
    synthetic: bool,
    like_for_like: str = "70B",
) -> list[str]:
    """What a request log costs on the cheapest like-for-like options, and what caching saves.

    ``table`` is :func:`~infermodel.pricing.trace_pricing.price_trace`, ``caching``
    :func:`~infermodel.pricing.trace_pricing.caching_effect`, ``summary`` the log's summary row.
    """
    row = summary.iloc[0]
    prompt = row["input_tokens"] + row["cached_input_tokens"]
    cached = f", {percent(row['cached_input_tokens'] / prompt)} of them cached" if prompt else ""
    kind = "This SYNTHETIC log" if synthetic else "This log"
    lines = [
        f"{kind} of {display.number(row['requests'])} requests holds {tokens(prompt)} prompt "
        f"tokens{cached}, and {tokens(row['output_tokens'])} output tokens."
    ]
    table = labelled(table)
    like = like_rows(table, like_for_like)
    parts = []
    for kind_name, rows in (
        ("proprietary API", table[table["platform_type"] == "proprietary_api"]),
        (
            f"managed {like_for_like}-class API",
            table[(table["platform_type"] == "managed_api") & like],
        ),
        (
            f"rented GPU for a {like_for_like}-class model",
            table[(table["platform_type"] == "diy_gpu") & like],
        ),
    ):
        if len(rows):
            best = cheapest(rows).iloc[0]
            where = best["offering"]
            if best["platform_type"] == "diy_gpu":
                gpu = display.offering_labels(best.to_frame().T.drop(columns="serving_assumption"))
                where = f"{gpu.iloc[0]} at {quoted(best['serving_assumption'])}"
            parts.append(f"{money(best['cost_usd'])} on the cheapest {kind_name} ({where})")
    if parts:
        lines.append(f"It costs {names(parts)}.")
    diy = table[(table["platform_type"] == "diy_gpu") & like]
    if len(diy):
        best = cheapest(diy).iloc[0]
        lines.append(
            f"That rented GPU needs {display.number(best['replicas_peak'])} "
            f"replica{'' if best['replicas_peak'] == 1 else 's'} at the "
            f"busiest minute ({display.number(best['replicas_mean'])} on average), so it is busy "
            f"{percent(best['utilization'])} of the paid time."
        )
    lines.extend(_caching_sentences(caching))
    return lines


def _caching_sentences(caching: pd.DataFrame) -> list[str]:
    saving = caching[caching["saving_usd"] > 0]
    if saving.empty:
        return [
            "No offering prices cached prompt tokens lower (or the log has none), so prompt "
            "caching saves nothing."
        ]
    top = saving.loc[saving["saving_share"].idxmax()]
    cheap = saving.loc[saving["cost_usd_with_cache"].idxmin()]
    return [
        f"Prompt caching saves {percent(top['saving_share'])} on {top['provider']} · "
        f"{top['model']} ({money(top['saving_usd'])}) and {money(cheap['saving_usd'])} "
        f"({percent(cheap['saving_share'])}) on the cheapest API that prices it, "
        f"{cheap['provider']} · {cheap['model']}; "
        f"{len(caching) - len(saving)} of {len(caching)} API offerings save nothing."
    ]


def workload_name(total_tokens: float, output_share: float) -> str:
    """A reference workload's name: ``20 million tokens, 50% output``."""
    return f"{tokens(total_tokens)} tokens, {percent(output_share)} output"


def stack_base(base_row: pd.Series, assumption: str) -> str:
    """Where the price stack's base (compute) layer comes from."""
    row = base_row.to_frame().T.drop(columns="serving_assumption", errors="ignore")
    gpu = display.offering_labels(row).iloc[0]
    return (
        f"Base layer: {money(base_row['usd_per_million_tokens'])} per million tokens, the "
        f"cheapest rented GPU under {quoted(assumption)} ({gpu})."
    )


def estimator_notes(
    estimated: pd.DataFrame, table: pd.DataFrame, estimates: pd.DataFrame
) -> list[str]:
    """What the throughput estimator changes in the DIY rows, against the article's rates.

    ``estimated`` is a cost table at estimated throughput, ``table`` the main cost table,
    ``estimates`` :func:`~infermodel.estimator.throughput.smallest_replicas` (its ``fits`` column).
    """
    lines = []
    if len(estimated):
        gpus = estimated.drop(columns="serving_assumption")
        best = cheapest(gpus.assign(offering=display.offering_labels(gpus))).iloc[0]
        batch = table[(table["platform_type"] == "diy_gpu") & (table["mode"] == "batch")]
        against = (
            f", against {money(batch['cost_usd'].min())} at the article's best batch assumption"
            if len(batch)
            else ""
        )
        lines.append(
            f"With estimated throughput the cheapest rented GPU is {best['offering']} "
            f"({display.number(best['gpus_per_replica'])} GPU per replica, "
            f"{display.number(best['tokens_per_second'])} output tokens/s, "
            f"{tokens(best['tokens_per_second'] * 3600)} tokens an hour): "
            f"{money(best['cost_usd'])} for the job{against}."
        )
    else:
        lines.append("The estimator finds no GPU on sale that holds the model.")
    unfit = sorted(set(estimates.loc[~estimates["fits"], "gpu"]))
    if unfit:
        lines.append(f"No replica of up to 8 GPUs holds the model on {names(unfit, most=6)}.")
    return lines


def article_readings(
    workload, *, diy_token_basis: str, use_batch_api: bool = False, service_tier: str = "standard"
) -> list[str]:
    """The readings of the article that depend on parameters, as this run used them."""
    total = workload.total_tokens
    share = workload.output_tokens / total if total else 0.0
    prompts = (
        "prompts are not counted (lower output_share to price them)"
        if share == 1
        else f"the other {percent(1 - share)} are prompt tokens"
    )
    basis = (
        "every token of the job takes GPU time, as in the article's formula"
        if diy_token_basis == "total"
        else "only generated tokens take GPU time (prompts processed on the side)"
    )
    tier = "batch" if use_batch_api else service_tier
    batch = (
        "real-time list prices (service_tier prices the batch, flex or priority tier)"
        if tier == "standard"
        else f"the providers' published {tier}-tier prices; offerings without one are left out"
    )
    return [
        f"Token mix: {percent(share)} of the {tokens(total)} tokens are generated output; "
        f"{prompts}.",
        f"DIY GPU time: {basis}.",
        f"API prices: {batch}.",
    ]


def trace_lead(summary: pd.DataFrame, trace, *, synthetic: bool, as_of: object) -> str:
    """Which log was priced, how many requests, rows dropped, and the prices' date."""
    row = summary.iloc[0]
    what = (
        "A SYNTHETIC request log generated by the kit (not real traffic)"
        if synthetic
        else f"The request log {trace.path}"
    )
    dropped = (
        f" ({display.number(trace.dropped_rows)} bad rows dropped)" if trace.dropped_rows else ""
    )
    return (
        f"{what}, format {trace.fmt}: {display.number(row['requests'])} requests{dropped}, "
        f"priced at the prices in force on {display.date(as_of)}."
    )
