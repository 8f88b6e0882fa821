"""The answer in words: sentences from hand-built tables, checked by hand, and the edge cases."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from infermodel import narrative, prices
from infermodel.workloads import Workload

NAN = np.nan
JOB = 20_000_000  # tokens in the hand-built job


def api(provider, model, cost, platform="proprietary_api"):
    return {
        "offering_id": f"{provider.lower()}/{model}",
        "platform_type": platform,
        "provider": provider,
        "model": model,
        "gpu": NAN,
        "tier": NAN,
        "pricing": NAN,
        "serving_assumption": NAN,
        "cost_usd": cost,
        "usd_per_million_tokens": cost / JOB * 1e6,
    }


def diy(provider, gpu, assumption, cost, *, tier="community_cloud", model="Llama 3.x 70B (fp8)"):
    return {
        "offering_id": f"{provider.lower()}/{gpu}/{tier}/on_demand@{assumption}",
        "platform_type": "diy_gpu",
        "provider": provider,
        "model": model,
        "gpu": gpu,
        "tier": tier,
        "pricing": "on_demand",
        "serving_assumption": assumption,
        "cost_usd": cost,
        "usd_per_million_tokens": cost / JOB * 1e6,
    }


PROPRIETARY = [
    api("Google", "Gemini 2.0 Flash", 8.0),
    api("OpenAI", "GPT-4o", 200.0),
    api("OpenAI", "GPT-4.5", 3000.0),
]
MANAGED_8B = api("Fireworks AI", "Llama 3.1 8B Instruct", 2.0, "managed_api")
MANAGED_70B = api("Together AI", "Llama 3.3 70B Instruct Turbo", 17.6, "managed_api")
DIY = [
    diy("RunPod", "A100-PCIe-80GB", "article-batch-2m", 14.875),
    diy("RunPod", "H100-PCIe-80GB", "article-batch-2m", 24.875),
    diy("RunPod", "A100-PCIe-80GB", "article-batch-1m", 29.75),
    diy("RunPod", "A100-PCIe-80GB", "article-realtime-60", 137.73),
]


def table(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


# --- helpers ---------------------------------------------------------------------------------


def test_names_lists_and_cuts():
    assert narrative.names(["A"]) == "A"
    assert narrative.names(["A", "B"]) == "A and B"
    assert narrative.names(["A", "B", "C"]) == "A, B and C"
    assert narrative.names(["A", "B", "C", "D", "E"]) == "A, B, C and 2 more"


def test_html_escapes_and_never_becomes_markdown():
    page = narrative.html(["costs $8.00 to $30.00 and **more** <b>"])
    assert "$8.00 to $30.00 and **more** &lt;b&gt;" in page
    assert page.startswith('<ul class="answer">')


# --- the 20M-token table ---------------------------------------------------------------------


def test_article_answer_compares_like_for_like_never_8b_with_70b():
    lines = narrative.article_answer(table(*PROPRIETARY, MANAGED_8B, MANAGED_70B, *DIY))
    assert lines[0] == (
        "For a 70B-class model the cheapest managed API is Together AI · Llama 3.3 70B Instruct "
        "Turbo: $17.60 for the job, $0.88 per million tokens."
    )
    # 14.875 / 17.6 = 0.845: 15% less; the label says the GPU, tier and reading in words.
    assert lines[1] == (
        "At the main table's throughput assumptions, the cheapest rented GPU is RunPod · A100 "
        "PCIe 80GB, community cloud at \u201cBatch, 2M tok/h (article, high)\u201d, $14.88 ($0.74 "
        "per million tokens): 15% less than the managed API."
    )
    # median of 8, 200, 3000 is 200; 200 / 17.6 = 11.4
    assert lines[2] == (
        "Proprietary APIs, which sell no 70B-class open model, charge $8.00 (Google · Gemini 2.0 "
        "Flash) to $3,000 (OpenAI · GPT-4.5) for the same job; their median, $200.00, is "
        "11.4\u00d7 the managed 70B price."
    )
    assert lines[3].startswith("Self-hosting the same model costs $14.88 to $137.73")
    assert "9.3\u00d7 spread" in lines[3]  # 137.73 / 14.875
    assert "8B" not in " ".join(lines)
    assert not any(token in " ".join(lines) for token in ("article-batch", "community_cloud"))


def test_article_answer_says_what_flips_the_ranking():
    flips = narrative.article_answer(table(*PROPRIETARY, MANAGED_70B, *DIY))[-1]
    # batch-2m 14.875 < 17.6; batch-1m 29.75 / 17.6 = 1.7; realtime 137.73 / 17.6 = 7.8
    assert flips == (
        "The throughput assumption decides the ranking: rented GPUs beat the managed API under 1 "
        "of the 3 assumptions priced (from $14.88 at \u201cBatch, 2M tok/h (article, high)\u201d) "
        "and cost 1.7\u00d7 to 7.8\u00d7 as much under the other 2 (1.7\u00d7 at "
        "\u201cBatch, 1M tok/h (article, low)\u201d)."
    )


def test_article_answer_names_a_tie():
    twin = api("Together AI", "Llama 3.1 70B Instruct Turbo", 17.6, "managed_api")
    first = narrative.article_answer(table(*PROPRIETARY, twin, MANAGED_70B, *DIY))[0]
    assert "(tied with Together AI · Llama 3.3 70B Instruct Turbo)" in first


def test_article_answer_without_a_diy_row_that_fits():
    lines = narrative.article_answer(table(*PROPRIETARY, MANAGED_70B))
    assert lines[1] == (
        "No rented GPU in the price data holds a 70B-class model under the serving assumptions "
        "chosen, so there is no self-hosted price to compare."
    )
    assert len(lines) == 3


def test_article_answer_without_a_managed_model_of_the_class():
    lines = narrative.article_answer(table(*PROPRIETARY, MANAGED_8B, *DIY))
    assert lines[0] == "No managed API sells a 70B-class model on this date."
    assert "less than the managed API" not in lines[1]


def test_article_groups_keep_the_class_and_split_diy_by_reading():
    groups = narrative.article_groups(table(*PROPRIETARY, MANAGED_8B, MANAGED_70B, *DIY))
    sizes = groups.groupby("group", sort=False).size().to_dict()
    assert sizes == {
        "Proprietary APIs, all models": 3,
        "Managed APIs, 70B models": 1,
        "Own GPUs: Batch, 2M tok/h (article, high)": 2,
        "Own GPUs: Batch, 1M tok/h (article, low)": 1,
        "Own GPUs: Real-time stream, 60 tok/s (article)": 1,
    }


def test_workload_lead_states_the_output_share_used():
    job = Workload.from_total(20_000_000, output_share=0.25, cached_input_share=0.5)
    lead = narrative.workload_lead(job, as_of="2025-05-31", utilization=0.8)
    assert lead == (
        "A job of 20 million tokens (25% generated output, 50% of the prompt read from a cache) "
        "priced at the prices in force on 2025-05-31; rented GPUs busy 80% of the paid time; "
        "list prices."
    )
    readings = narrative.article_readings(job, diy_token_basis="total", use_batch_api=False)
    assert readings[0].startswith("Token mix: 25% of the 20 million tokens are generated output")


def test_a_withdrawn_default_offering_is_named():
    wanted = ["gpt-4.5-preview", "gpt-4o"]
    assert narrative.not_on_sale(wanted, ["gpt-4o"], as_of="2026-09-30") == (
        "gpt-4.5-preview is not on sale on 2026-09-30 and left out."
    )
    assert narrative.not_on_sale(wanted, wanted, as_of="2026-09-30") == ""


# --- break-even ------------------------------------------------------------------------------


def even_rows(api_id, price, volumes, reasons=None):
    reasons = reasons or [""] * len(volumes)
    return pd.DataFrame(
        {
            "api_offering_id": api_id,
            "api_usd_per_million_tokens": price,
            "diy_offering_id": [f"diy-{i}" for i in range(len(volumes))],
            "diy_offering": [f"DIY {i}" for i in range(len(volumes))],
            "break_even_million_tokens_per_month": volumes,
            "reason": reasons,
        }
    )


LABELS = {"openai/gpt-4o": "OpenAI · GPT-4o", "diy-0": "RunPod · A100", "diy-1": "RunPod · H100"}


def test_break_even_answer_names_the_volume_and_the_option():
    even = pd.concat(
        [
            even_rows("openai/gpt-4o", 10.0, [86.9, 145.0]),
            even_rows("mini", 0.6, [NAN, 6600.0]),
        ]
    )
    lines = narrative.break_even_answer(even, ["openai/gpt-4o", "mini"], LABELS)
    assert lines == [
        "Against OpenAI · GPT-4o ($10.00 per million tokens) self-hosting pays from 87 million "
        "tokens a month, on RunPod · A100.",
        "Against mini ($0.60 per million tokens) self-hosting pays from 6.6 billion tokens a "
        "month, on RunPod · H100.",
    ]


def test_break_even_answer_says_why_never():
    price = even_rows("mini", 0.6, [NAN, NAN], ["price: a busy replica costs more", "price: x"])
    capacity = even_rows("big", 5.0, [NAN], ["capacity: needs 9 replicas"])
    lines = narrative.break_even_answer(pd.concat([price, capacity]), ["mini", "big"], LABELS)
    assert lines == [
        "Against mini ($0.60 per million tokens) self-hosting never pays on the 2 options "
        "priced: a busy replica costs more per token than the API charges.",
        "Against big ($5.00 per million tokens) self-hosting never pays on the 1 options priced: "
        "no option can get enough replicas.",
    ]


def test_break_even_answer_shows_what_a_fixed_cost_does():
    fixed = pd.concat(
        [
            even_rows("openai/gpt-4o", 10.0, [87.0]).assign(fixed_usd_per_month=0.0),
            even_rows("openai/gpt-4o", 10.0, [587.0]).assign(fixed_usd_per_month=5000.0),
            even_rows("openai/gpt-4o", 10.0, [NAN]).assign(fixed_usd_per_month=20000.0),
        ]
    )
    line = narrative.break_even_answer(fixed, [], LABELS, fixed=fixed)[0]
    assert line == (
        "A fixed monthly cost for people and tooling moves the break-even of RunPod · A100 "
        "against OpenAI · GPT-4o from 87 million tokens a month to 587 million with $5,000 and "
        "never with $20,000 a month."
    )


# --- sensitivity -----------------------------------------------------------------------------

SWING = pd.DataFrame(
    {
        "input": ["utilization", "tokens_per_hour_per_replica", "output_share"],
        "low": [0.3, 1_000_000.0, 0.25],
        "high": [0.95, 7_569_000.0, 1.0],
        "result_at_base": -0.36375,
        "swing": [2.269, 2.159, 0.0],
        "crosses_zero": [False, True, False],
    }
)


def monte_carlo(p):
    summary = pd.DataFrame(
        {
            "offering_id": ["diy", "api"],
            "p10_cost_usd": [6.97, 17.6],
            "p50_cost_usd": [19.42, 17.6],
            "p90_cost_usd": [54.19, 17.6],
        }
    )
    beats = pd.DataFrame({"api": [p]}, index=pd.Index(["diy"]))
    return SimpleNamespace(summary=summary, beats=beats, draws=1_000_000)


@pytest.mark.parametrize(
    ("p", "verdict"),
    [
        (0.45, "45% of draws: too close to call without better inputs."),
        (0.95, "95% of draws: self-hosting is very likely the cheaper option."),
        (0.05, "5% of draws: the API is very likely the cheaper option."),
    ],
)
def test_sensitivity_answer_says_what_decides_and_how_sure(p, verdict):
    labels = {"api": "Together AI · Llama 3.3 70B", "diy": "RunPod · H100"}
    lines = narrative.sensitivity_answer(
        SWING, monte_carlo(p), api_offering="api", diy_offering="diy", labels=labels, api_price=0.88
    )
    # 0.88 + 0.36375 = 1.24375
    assert lines[0] == (
        "At the base case RunPod · H100 costs $1.24 per million tokens against $0.88 on Together "
        "AI · Llama 3.3 70B: self-hosting is $0.36 per million tokens dearer."
    )
    assert lines[1] == (
        "Utilization moves the gap most: by $2.27 per million tokens across 0.30 to 0.95, then "
        "throughput per replica ($2.16)."
    )
    assert lines[2] == "Within the stated ranges the decision flips with throughput per replica."
    assert lines[3].endswith(verdict)
    assert "$6.97 to $54.19" in lines[4] and "median $19.42" in lines[4]


def test_sensitivity_answer_when_nothing_flips():
    still = SWING.assign(crosses_zero=False)
    lines = narrative.sensitivity_answer(
        still, monte_carlo(0.5), api_offering="api", diy_offering="diy", labels={}, api_price=1.0
    )
    assert "No single input flips the decision within its stated range." in lines


# --- maturity path ---------------------------------------------------------------------------


def monthly_rows(costs: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for stage, values in costs.items():
        for month, cost in enumerate(values, start=1):
            rows.append(
                {
                    "month": month,
                    "stage": stage,
                    "offering_id": stage,
                    "offering": stage,
                    "tokens_per_month": 1e9,
                    "cost_usd_per_month": cost,
                }
            )
    return pd.DataFrame(rows)


def events(cheaper, payback, shocks=(5, NAN)):
    return pd.DataFrame(
        [
            {
                "event": "switch proprietary_api -> managed_api",
                "from_stage": "proprietary_api",
                "to_stage": "managed_api",
                "cheaper_from_month": cheaper[0],
                "pays_back_in_month": payback[0],
            },
            {
                "event": "switch managed_api -> diy_gpu",
                "from_stage": "managed_api",
                "to_stage": "diy_gpu",
                "cheaper_from_month": cheaper[1],
                "pays_back_in_month": payback[1],
            },
            *(
                {
                    "event": f"bill shock on {stage}",
                    "from_stage": stage,
                    "shock_month": month,
                    "shock_usd_per_month": 10_000.0,
                }
                for stage, month in zip(("proprietary_api", "managed_api"), shocks, strict=True)
            ),
        ]
    )


NAMES = {"proprietary_api": "GPT-4o", "managed_api": "Llama 70B", "diy_gpu": "RunPod H100"}
COSTS = {"proprietary_api": [500, 5000, 50000], "managed_api": [44, 440, 4400]}
COSTS["diy_gpu"] = [1454, 1454, 7268]


def test_maturity_answer_a_switch_that_never_pays_back():
    lines = narrative.maturity_answer(
        monthly_rows(COSTS), events((1, NAN), (2, NAN)), labels=NAMES, switching_cost_usd=20_000
    )
    text = " ".join(lines)
    assert lines[0] == (
        "The managed open-model API (Llama 70B) is the cheapest stage in every one of the 3 "
        "months shown."
    )
    assert lines[1] == (
        "Switching from GPT-4o to Llama 70B is cheaper from month 1 and pays back the $20,000 "
        "switching cost by month 2."
    )
    assert lines[2] == (
        "RunPod H100 is never cheaper than Llama 70B within the 3 months shown, so that switch "
        "does not pay back within the 3 months shown."
    )
    assert lines[3] == (
        "The monthly bill reaches the $10,000 shock threshold on GPT-4o in month 5 and Llama 70B "
        "not within the 3 months shown."
    )
    assert "from not within" not in text and "by not within" not in text


def test_maturity_answer_cheaper_but_not_paid_back_and_stage_changes():
    costs = {**COSTS, "diy_gpu": [1454, 300, 300]}
    lines = narrative.maturity_answer(
        monthly_rows(costs), events((1, 2), (1, NAN)), labels=NAMES, switching_cost_usd=20_000
    )
    assert lines[0] == (
        "Cheapest stage: the managed open-model API from month 1 and the own rented GPUs from "
        "month 2."
    )
    assert lines[2] == (
        "Switching from Llama 70B to RunPod H100 saves money from month 2 but does not pay back "
        "the $20,000 switching cost within the 3 months shown."
    )


# --- throughput, request logs ----------------------------------------------------------------

ACCURACY = pd.DataFrame(
    {
        "fit": ["in-sample", "leave-one-source-out"],
        "points": [209, 209],
        "publishers": [7, 7],
        "median_ape_percent": [13.3, 20.3],
        "p90_ape_percent": [37.5, 73.8],
        "worst_ape_percent": [152.6, 277.8],
    }
)


def test_throughput_answer_states_the_error_and_the_cheapest_gpus():
    cheapest = pd.DataFrame(
        {
            "model": ["Llama-3.3-70B", "Llama-3.1-405B"],
            "gpus": [1, 8],
            "gpu": ["GH200-96GB", "GH200-96GB"],
            "provider": ["Lambda", "Lambda"],
            "usd_per_million_output_tokens": [0.338, 1.149],
        }
    )
    lines = narrative.throughput_answer(ACCURACY, cheapest, utilization=0.8)
    assert lines[0] == (
        "Predicted by a fit that never saw its publisher, a published throughput is 20% off at "
        "the median over 209 measurements from 7 publishers (90th percentile 74%; 13% in-sample)."
    )
    assert lines[1] == (
        "Cheapest GPU per million output tokens at 80% utilization: Llama-3.3-70B on a GH200 96GB "
        "(Lambda) at $0.34 and Llama-3.1-405B on 8 \u00d7 GH200 96GB (Lambda) at $1.15."
    )
    empty = narrative.throughput_answer(ACCURACY, cheapest.iloc[:0], utilization=0.8)
    assert empty[1] == "No GPU on sale on the as-of date holds any of the models chosen."


def test_trace_answer_like_for_like_and_no_caching_saving():
    rows = table(MANAGED_8B, MANAGED_70B, *PROPRIETARY, DIY[0]).assign(
        replicas_peak=[NAN] * 5 + [14],
        replicas_mean=[NAN] * 5 + [1.0],
        utilization=[NAN] * 5 + [0.14],
    )
    summary = pd.DataFrame(
        {
            "requests": [20_000],
            "input_tokens": [29_360_554],
            "cached_input_tokens": [13_003_865],
            "output_tokens": [6_914_780],
        }
    )
    caching = pd.DataFrame(
        {
            "provider": ["OpenAI"],
            "model": ["GPT-4o"],
            "cost_usd_with_cache": [200.0],
            "saving_usd": [0.0],
            "saving_share": [0.0],
        }
    )
    lines = narrative.trace_answer(rows, caching, summary, synthetic=True)
    # 29,360,554 + 13,003,865 = 42,364,419 prompt tokens, 31% cached
    assert lines[0] == (
        "This SYNTHETIC log of 20,000 requests holds 42 million prompt tokens, 31% of them "
        "cached, and 6.9 million output tokens."
    )
    assert "$17.60 on the cheapest managed 70B-class API (Together AI" in lines[1]
    assert "$8.00 on the cheapest proprietary API" in lines[1]
    assert "8B" not in lines[1]
    assert lines[2].startswith("That rented GPU needs 14 replicas at the busiest minute")
    assert lines[-1].endswith("so prompt caching saves nothing.")


# --- price changes ---------------------------------------------------------------------------


def test_nothing_changed_since_last_quarter():
    snapshot = prices.as_of("2026-09-30")
    changes = prices.diff(snapshot, snapshot)
    lines = narrative.price_changes_answer(
        changes, pd.DataFrame(columns=["statistic"]), previous="2026-09-30", as_of="2026-09-30"
    )
    assert lines == [
        f"Nothing changed since 2026-09-30: no offering was added, withdrawn or repriced "
        f"({len(changes)} offerings unchanged)."
    ]


def test_price_changes_name_the_withdrawn_and_the_biggest_moves():
    old, new = prices.as_of("2026-06-30"), prices.as_of("2026-09-30")
    changes = prices.diff(old, new)
    lines = narrative.price_changes_answer(
        changes, pd.DataFrame(columns=["statistic"]), previous="2026-06-30", as_of="2026-09-30"
    )
    text = " ".join(lines)
    assert lines[0].startswith("Since 2026-06-30: ")
    # Anthropic retired Claude Opus 4.1 on 2026-08-05 (GPT-4.5 preview left in 2025).
    withdrawn = next(line for line in lines if line.startswith("Withdrawn: "))
    assert withdrawn == "Withdrawn: Anthropic · Claude Opus 4.1."
    moves = next(line for line in lines if line.startswith("Biggest price moves: "))
    # Lambda's 8x A100 80GB node went from $1.79 to $2.79 per GPU-hour. Fireworks' Llama 3.1 8B
    # did not move: LiteLLM's $0.10 is a source error (price_readings.csv R1-R6).
    assert "Lambda · A100 SXM 80GB, 8-GPU node" in moves and "(+56%)" in moves
    assert "Fireworks AI · Llama 3.1 8B Instruct" not in moves
    assert "_" not in text and "$-" not in text
