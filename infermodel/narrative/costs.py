"""Readings of what a job or a request log costs, like for like."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from infermodel import display, paths
from infermodel.display import money, multiple, percent, tokens
from infermodel.estimator import serving_checks
from infermodel.narrative.base import (
    Answer,
    cheapest,
    claim,
    labelled,
    like_rows,
    named,
    names,
    versus,
)

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
    table: pd.DataFrame,
    others: pd.DataFrame | None = None,
    *,
    like_for_like: str = "70B",
    even: pd.DataFrame | None = None,
    disputes: pd.DataFrame | None = None,
) -> Answer:
    """The cheapest like-for-like option per platform type, the spread, what flips the ranking.

    ``table`` is the main :func:`~infermodel.pricing.compare.cost_table` (the article's serving
    assumptions, busy GPU-hours of one job); ``others`` DIY rows under other readings (e.g.
    measured throughput); ``even`` :func:`~infermodel.analyses.growth.break_even_table` of ``table``
    (replicas kept up all month), for the same pair on that basis; ``disputes``
    :func:`~infermodel.estimator.serving_checks.estimator_view` of the DIY rows, to flag a headline
    configuration the throughput estimator disputes.
    """
    table = labelled(table)
    like = like_rows(table, like_for_like)
    managed = table[(table["platform_type"] == "managed_api") & like]
    diy = table[(table["platform_type"] == "diy_gpu") & like]
    proprietary = table[table["platform_type"] == "proprietary_api"]
    answer = Answer()
    if managed.empty:
        answer.add(f"No managed API sells a {like_for_like}-class model on this date.")
    else:
        best = cheapest(managed)
        answer.add(
            f"For a {like_for_like}-class model the cheapest managed API is {named(best)}: "
            f"{money(best['cost_usd'].iloc[0])} for the job, "
            f"{money(best['usd_per_million_tokens'].iloc[0])} per million tokens"
            f"{price_caveat(best.iloc[0])}."
        )
    if diy.empty:
        answer.add(
            f"No rented GPU in the price data holds a {like_for_like}-class model under the "
            "serving assumptions chosen, so there is no self-hosted price to compare."
        )
    else:
        best = cheapest(diy)
        answer.add(*_self_hosting_sentence(best, managed, even))
        answer.add(dispute_sentence(disputes, best.iloc[0]))
    if len(proprietary):
        answer.add(_proprietary_sentence(proprietary, managed, like_for_like))
    if len(diy) > 1:
        low, high = diy["cost_usd"].min(), diy["cost_usd"].max()
        answer.add(
            f"Self-hosting the same model costs {money(low)} to {money(high)} for the job "
            f"depending on GPU, provider and throughput assumption: a {multiple(high / low)} "
            "spread."
        )
    answer.add(_what_flips(diy, others, managed, like_for_like))
    return answer


def _self_hosting_sentence(
    best: pd.DataFrame, managed: pd.DataFrame, even: pd.DataFrame | None
) -> tuple:
    """The cheapest rented GPU as a one-off job, against the managed API on both bases."""
    row = best.iloc[0]
    cost = row["cost_usd"]
    gpu = best.assign(offering=display.offering_labels(best.drop(columns="serving_assumption")))
    reading = quoted(row["serving_assumption"])
    where = f"{named(gpu)} at {reading}"
    text = (
        f"{display.BASIS_WORDS['busy_hours'].capitalize()} (the article's formula: the busy "
        f"GPU-hours only), the cheapest rented GPU is {where}, {money(cost)} "
        f"({money(row['usd_per_million_tokens'])} per million tokens){price_caveat(row)}"
    )
    if managed.empty:
        return (text + ".",)
    api = cheapest(managed).iloc[0]
    api_pair = (api.get("offering_id", api["offering"]), api["offering"])
    diy_pair = (row.get("offering_id", where), where)
    text += f": {versus(cost, api['cost_usd'])} {api['offering']}"
    inputs = {
        "api_usd_per_million_tokens": api.get("usd_per_million_tokens"),
        "utilization": row.get("utilization"),
    }
    claims = [
        claim(
            "busy_hours",
            api=api_pair,
            diy=diy_pair,
            api_usd=api["cost_usd"],
            diy_usd=cost,
            tokens=row.get("total_tokens"),
            per="job",
            headline=True,
            inputs=inputs,
            caveat=price_caveat(row),
        )
    ]
    pair = None
    if even is not None and len(even):
        pair = even[
            (even["api_offering_id"] == api_pair[0]) & (even["diy_offering_id"] == diy_pair[0])
        ]
    if pair is not None and len(pair):
        volume = pair["break_even_million_tokens_per_month"].iloc[0] * 1e6
        steady = display.BASIS_WORDS["always_on"]
        text += (
            f"; {steady}, it needs {tokens(volume)} tokens a month to beat that API"
            if np.isfinite(volume)
            else f"; {steady}, it never beats that API (a busy replica costs more per token)"
        )
        claims.append(
            claim(
                "always_on",
                api=api_pair,
                diy=diy_pair,
                break_even_tokens_per_month=volume,
                never=not np.isfinite(volume),
                per="month",
                headline=True,
                inputs=inputs,
                caveat=price_caveat(row),
            )
        )
    return (text + ".", *claims)


def price_caveat(row: pd.Series) -> str:
    """`` (its price is 204 days old, confidence estimated-low)`` when a row's price is stale,
    carried back from a later source or below ``confirmed`` confidence; else ``""``."""
    parts = []
    age = row.get("age_days")
    if pd.notna(age) and age < 0:
        parts.append(
            f"carried back from a source dated {display.date(row['observed_on'])}, "
            f"{display.number(-age)} days after the as-of date"
        )
    elif bool(row.get("stale", False)) and pd.notna(age):
        parts.append(f"{display.number(age)} days old at the as-of date")
    confidence = row.get("confidence")
    if isinstance(confidence, str) and confidence != "confirmed":
        parts.append(f"confidence {confidence}")
    return f" (its price is {', '.join(parts)})" if parts else ""


def dispute_sentence(disputes: pd.DataFrame | None, row: pd.Series) -> str:
    """A sentence flagging a DIY row whose (serving assumption, GPU) the throughput estimator
    disputes (``disputes``: :func:`~infermodel.estimator.serving_checks.estimator_view`); else
    ``""``."""
    if disputes is None or disputes.empty:
        return ""
    found = disputes[
        (disputes["serving_assumption"] == row.get("serving_assumption"))
        & (disputes["gpu"] == row.get("gpu"))
        & disputes["disputed"]
    ]
    if found.empty:
        return ""
    return (
        f"The throughput estimator disputes that configuration "
        f"({quoted(row['serving_assumption'])} on {display.gpu_name(row['gpu'])}): "
        f"{found['estimator_says'].iloc[0]}."
    )


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
    job = display.BASIS_KEYS["busy_hours"]
    if under.empty:
        return (
            f"As a {job}, under every throughput assumption priced, rented GPUs cost more than "
            f"the managed API: {multiple(over.iloc[0] / reference)} at best, "
            f"under {quoted(over.index[0])}."
        )
    if over.empty:
        return (
            f"As a {job}, rented GPUs beat the managed API under every throughput assumption "
            "priced."
        )
    return (
        f"As a {job}, the throughput assumption decides the ranking: rented GPUs beat the "
        "managed API under "
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


def not_released(models: Sequence[str], *, as_of: object) -> str:
    """A sentence naming the models left out because they were released after ``as_of``
    (:func:`infermodel.tables.specs.released`); empty when none is."""
    if not models:
        return ""
    verb = "was" if len(models) == 1 else "were"
    return (
        f"{names(list(models), most=6)} {verb} released after {display.date(as_of)} and "
        "left out: a report at a past date prices nothing that did not exist yet."
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
    disputes: pd.DataFrame | None = None,
) -> Answer:
    """What a request log costs on the cheapest like-for-like options, and what caching saves.

    ``table`` is :func:`~infermodel.pricing.trace_pricing.price_trace`, ``caching``
    :func:`~infermodel.pricing.trace_pricing.caching_effect`, ``summary`` the log's summary row,
    ``disputes`` :func:`~infermodel.estimator.serving_checks.estimator_view` of its DIY rows. A log
    is
    requests answered as they arrived: rented GPUs are proposed only under a real-time
    serving assumption (:func:`~infermodel.estimator.serving_checks.fits_traffic`), billed as the
    table sized them (``billing_basis``), which the sentence names.
    """
    row = summary.iloc[0]
    prompt = row["input_tokens"] + row["cached_input_tokens"]
    cached = f", {percent(row['cached_input_tokens'] / prompt)} of them cached" if prompt else ""
    kind = "This SYNTHETIC log" if synthetic else "This log"
    answer = Answer()
    answer.add(
        f"{kind} of {display.number(row['requests'])} requests holds {tokens(prompt)} prompt "
        f"tokens{cached}, and {tokens(row['output_tokens'])} output tokens."
    )
    table = labelled(table)
    like = like_rows(table, like_for_like)
    managed = table[(table["platform_type"] == "managed_api") & like]
    all_diy = table[(table["platform_type"] == "diy_gpu") & like]
    diy = all_diy[serving_checks.fits_traffic(all_diy["mode"], "realtime")]
    parts = []
    for kind_name, rows in (
        ("proprietary API", table[table["platform_type"] == "proprietary_api"]),
        (f"managed {like_for_like}-class API", managed),
    ):
        if len(rows):
            best = cheapest(rows).iloc[0]
            parts.append(
                f"{money(best['cost_usd'])} on the cheapest {kind_name} ({best['offering']})"
            )
    gpu_claim = {}
    if len(diy):
        best = cheapest(diy).iloc[0]
        gpu = display.offering_labels(best.to_frame().T.drop(columns="serving_assumption"))
        where = f"{gpu.iloc[0]} at {quoted(best['serving_assumption'])}"
        basis = str(best["billing_basis"])
        parts.append(
            f"{money(best['cost_usd'])} on the cheapest rented GPU serving a "
            f"{like_for_like}-class model in real time ({where}){price_caveat(best)}, "
            f"{display.BASIS_WORDS.get(basis, basis)}"
        )
        if len(managed):
            api = cheapest(managed).iloc[0]
            gpu_claim = claim(
                basis,
                api=(api["offering_id"], api["offering"]),
                diy=(best["offering_id"], where),
                api_usd=api["cost_usd"],
                diy_usd=best["cost_usd"],
                tokens=row["input_tokens"] + row["cached_input_tokens"] + row["output_tokens"],
                per="log",
                headline=True,
                caveat=price_caveat(best),
            )
    if parts:
        answer.add(f"It costs {names(parts)}.", gpu_claim)
    if len(all_diy) and diy.empty:
        answer.add(
            f"No real-time serving assumption for a {like_for_like}-class model is priced: the "
            "batch throughputs of this page are reached only with long queues, which requests "
            "answered as they arrive do not allow, so no rented GPU is proposed."
        )
    if len(diy):
        best = cheapest(diy).iloc[0]
        answer.add(
            f"That rented GPU needs {display.number(best['replicas_peak'])} "
            f"replica{'' if best['replicas_peak'] == 1 else 's'} at the "
            f"busiest minute ({display.number(best['replicas_mean'])} on average), so it is busy "
            f"{percent(best['utilization'])} of the paid time."
        )
        answer.add(dispute_sentence(disputes, best))
    answer.extend_lines(_caching_sentences(caching))
    return answer


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


def stack_negatives(stacks: pd.DataFrame) -> str:
    """A sentence explaining every negative layer of a price stack
    (:func:`infermodel.pricing.compare.price_stacks`): the list price is below the base compute cost
    plus the sourced and illustrative layers, so the remainder goes negative; empty when no
    layer is negative."""
    negative = stacks[stacks["usd_per_million_tokens"] < 0]
    if negative.empty:
        return ""
    base = stacks[stacks["component"] == "base"].set_index("model")
    total = stacks.groupby("model", sort=False)["usd_per_million_tokens"].sum()
    parts = []
    for model in dict.fromkeys(negative["model"]):
        layers = negative[negative["model"] == model]["component"]
        words = names([display.COMPONENT_WORDS.get(c, c) for c in layers])
        cost, share = base.loc[model, ["usd_per_million_tokens", "share_of_price"]]
        parts.append(
            f"{model} (list {money(total[model])} per M tokens, base {money(cost)}, "
            f"{percent(share)} of its list; {words} negative)"
        )
    return (
        f"Negative layers, drawn left of zero: {names(parts, most=4)}. Such a list price is "
        "below the base compute cost assumed plus the other layers, so what is left for the "
        "remainder is negative: the provider serves that model for less than this proxy (a "
        "70B-class model on rented GPUs) costs, as a smaller model or a better-used fleet can."
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
        else f"The request log {paths.public_path(trace.path)}"
    )
    dropped = (
        f" ({display.number(trace.dropped_rows)} bad rows dropped)" if trace.dropped_rows else ""
    )
    return (
        f"{what}, format {trace.fmt}: {display.number(row['requests'])} requests{dropped}, "
        f"priced at the prices in force on {display.date(as_of)}."
    )
