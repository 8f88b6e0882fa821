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
    # MathJax 3 (JupyterLab 4) skips mathjax_ignore, MathJax 2 (classic notebook) tex2jax_ignore:
    # two dollar amounts in one sentence are never typeset as LaTeX.
    assert page.startswith('<ul class="answer tex2jax_ignore mathjax_ignore">')


def test_markdown_escapes_every_dollar_and_plain_text_keeps_them():
    line = "costs $17.60 for the job, $0.88 per *million* tokens [x_y]"
    assert narrative.markdown([line]) == (
        '<div class="answer tex2jax_ignore mathjax_ignore">\n\n'
        "- costs \\$17.60 for the job, \\$0.88 per \\*million\\* tokens \\[x\\_y\\]"
        "\n\n</div>"
    )
    assert narrative.plain([line, "two"]) == f"- {line}\n- two"


# --- the 20M-token table ---------------------------------------------------------------------


def test_article_answer_compares_like_for_like_never_8b_with_70b():
    lines = narrative.article_answer(table(*PROPRIETARY, MANAGED_8B, MANAGED_70B, *DIY))
    assert lines[0] == (
        "For a 70B-class model the cheapest managed API is Together AI · Llama 3.3 70B Instruct "
        "Turbo: $17.60 for the job, $0.88 per million tokens."
    )
    # 14.875 / 17.6 = 0.845: 15% less; the label says the GPU, tier and reading in words, and
    # the sentence how the GPUs are paid (the busy hours of one job).
    assert lines[1] == (
        "As a one-off batch job rented by the hour (the article's formula: the busy GPU-hours "
        "only), the cheapest rented GPU is RunPod · A100 PCIe 80GB, community cloud at "
        "\u201cBatch, 2M tok/h (article, high)\u201d, $14.88 ($0.74 per million tokens): 15% less "
        "than Together AI · Llama 3.3 70B Instruct Turbo."
    )
    assert [(c["basis"], c["winner"], c["line"]) for c in lines.claims] == [
        ("busy_hours", "self_hosting", 1)
    ]
    # median of 8, 200, 3000 is 200; 200 / 17.6 = 11.4
    assert lines[2] == (
        "Proprietary APIs, which sell no 70B-class open model, charge $8.00 (Google · Gemini 2.0 "
        "Flash) to $3,000 (OpenAI · GPT-4.5) for the same job; their median, $200.00, is "
        "11.4\u00d7 the managed 70B price."
    )
    assert lines[3].startswith("Self-hosting the same model costs $14.88 to $137.73 for the job")
    assert "9.3\u00d7 spread" in lines[3]  # 137.73 / 14.875
    assert "8B" not in " ".join(lines)
    assert not any(token in " ".join(lines) for token in ("article-batch", "community_cloud"))


def test_article_answer_says_what_flips_the_ranking():
    flips = narrative.article_answer(table(*PROPRIETARY, MANAGED_70B, *DIY))[-1]
    # batch-2m 14.875 < 17.6; batch-1m 29.75 / 17.6 = 1.7; realtime 137.73 / 17.6 = 7.8
    assert flips == (
        "As a one-off batch job, the throughput assumption decides the ranking: rented GPUs beat "
        "the managed API under 1 "
        "of the 3 assumptions priced (from $14.88 at \u201cBatch, 2M tok/h (article, high)\u201d) "
        "and cost 1.7\u00d7 to 7.8\u00d7 as much under the other 2 (1.7\u00d7 at "
        "\u201cBatch, 1M tok/h (article, low)\u201d)."
    )


def test_article_answer_says_both_bases_when_the_basis_changes_the_winner():
    # The same pair kept up all month: a replica of the A100 at 2M tok/h x 0.8 serves
    # 1.6M x 730.5 h = 1,168.8M tokens a month for 1.19 x 730.5 = $869.30, which Together's
    # $0.88/M buys at 869.30 / 0.88 = 987.8 million tokens: the API wins below that.
    rows = table(*PROPRIETARY, MANAGED_70B, *DIY)
    even = pd.DataFrame(
        {
            "api_offering_id": [MANAGED_70B["offering_id"]],
            "diy_offering_id": [DIY[0]["offering_id"]],
            "break_even_million_tokens_per_month": [869.30 / 0.88],
        }
    )
    lines = narrative.article_answer(rows, even=even)
    assert lines[1].endswith(
        "15% less than Together AI · Llama 3.3 70B Instruct Turbo; serving steady traffic on "
        "replicas kept up all month, it needs 988 million tokens a month to beat that API."
    )
    bases = {c["basis"]: c for c in lines.claims}
    assert bases["busy_hours"]["winner"] == "self_hosting" and bases["busy_hours"]["headline"]
    assert bases["always_on"]["break_even_tokens_per_month"] == pytest.approx(987.84e6, rel=1e-3)
    assert {c["line"] for c in lines.claims} == {1}
    never = even.assign(break_even_million_tokens_per_month=NAN)
    line = narrative.article_answer(rows, even=never)[1]
    assert line.endswith("it never beats that API (a busy replica costs more per token).")


def test_a_headline_on_a_stale_or_weak_price_says_so_in_the_same_sentence():
    old = {**DIY[0], "age_days": 204, "stale": True, "confidence": "estimated-low"}
    lines = narrative.article_answer(table(*PROPRIETARY, MANAGED_70B, old, *DIY[1:]))
    assert "(its price is 204 days old at the as-of date, confidence estimated-low)" in lines[1]
    fresh = {**DIY[0], "age_days": 2, "stale": False, "confidence": "confirmed"}
    assert "its price" not in narrative.article_answer(table(MANAGED_70B, fresh))[1]
    later = pd.Series(
        {
            "age_days": -341,
            "observed_on": pd.Timestamp("2026-05-07"),
            "confidence": "estimated",
            "stale": False,
        }
    )
    assert narrative.price_caveat(later) == (
        " (its price is carried back from a source dated 2026-05-07, 341 days after the as-of "
        "date, confidence estimated)"
    )


def test_a_disputed_headline_configuration_is_flagged():
    disputes = pd.DataFrame(
        {
            "serving_assumption": ["article-batch-2m"],
            "gpu": ["A100-PCIe-80GB"],
            "disputed": [True],
            "estimator_says": ["A100 PCIe 80GB has no FP8 tensor cores"],
        }
    )
    lines = narrative.article_answer(table(*PROPRIETARY, MANAGED_70B, *DIY), disputes=disputes)
    assert lines[2] == (
        "The throughput estimator disputes that configuration (\u201cBatch, 2M tok/h (article, "
        "high)\u201d on A100 PCIe 80GB): A100 PCIe 80GB has no FP8 tensor cores."
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
        "Against OpenAI · GPT-4o ($10.00 per million tokens), serving steady traffic on replicas "
        "kept up all month, self-hosting pays from 87 million tokens a month, on RunPod · A100.",
        "Against mini ($0.60 per million tokens), serving steady traffic on replicas kept up all "
        "month, self-hosting pays from 6.6 billion tokens a month, on RunPod · H100.",
    ]
    assert [c["break_even_tokens_per_month"] for c in lines.claims] == [86.9e6, 6600e6]
    hourly = even.assign(billing_basis="per_hour")
    line = narrative.break_even_answer(hourly, ["openai/gpt-4o"], LABELS)[0]
    assert "renting whole GPU-hours as the volume needs them, self-hosting pays" in line


def test_break_even_answer_says_why_never():
    price = even_rows("mini", 0.6, [NAN, NAN], ["price: a busy replica costs more", "price: x"])
    capacity = even_rows("big", 5.0, [NAN], ["capacity: needs 9 replicas"])
    lines = narrative.break_even_answer(pd.concat([price, capacity]), ["mini", "big"], LABELS)
    assert lines == [
        "Against mini ($0.60 per million tokens), serving steady traffic on replicas kept up all "
        "month, self-hosting never pays on the 2 options priced: a busy replica costs more per "
        "token than the API charges.",
        "Against big ($5.00 per million tokens), serving steady traffic on replicas kept up all "
        "month, self-hosting never pays on the 1 options priced: no option can get enough "
        "replicas.",
    ]
    assert all(c["never"] and c["winner"] == "api" for c in lines.claims)


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
        "A fixed monthly cost for people and tooling (replicas kept up) moves the break-even of "
        "RunPod · A100 against OpenAI · GPT-4o from 87 million tokens a month to 587 million "
        "with $5,000 and never with $20,000 a month."
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
        "At the base case, as a one-off batch job rented by the hour, RunPod · H100 costs $1.24 "
        "per million tokens against $0.88 on Together AI · Llama 3.3 70B: self-hosting is $0.36 "
        "per million tokens dearer."
    )
    assert lines.claims[0]["winner"] == "api" and lines.claims[0]["basis"] == "busy_hours"
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
                    "billing_basis": "always_on" if stage == "diy_gpu" else None,
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
        "months shown (own GPUs serving steady traffic on replicas kept up all month)."
    )
    assert lines[1] == (
        "Switching from GPT-4o to Llama 70B is cheaper from month 1 and pays back the $20,000 "
        "switching cost by month 2."
    )
    assert lines[2] == (
        "Own GPUs serving steady traffic on replicas kept up all month: RunPod H100 is never "
        "cheaper than Llama 70B within the 3 months shown, so that switch does not pay back "
        "within the 3 months shown."
    )
    # In month 3, 7,268 on own GPUs against 4,400 on the managed API at 1e9 tokens a month.
    assert [(c["basis"], c["winner"], c["tokens"], c["line"]) for c in lines.claims] == [
        ("always_on", "api", 1e9, 2)
    ]
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
        "month 2 (own GPUs serving steady traffic on replicas kept up all month)."
    )
    assert lines[2] == (
        "Own GPUs serving steady traffic on replicas kept up all month: switching from Llama 70B "
        "to RunPod H100 saves money from month 2 but does not pay back the $20,000 switching "
        "cost within the 3 months shown."
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
    # A log is requests answered as they arrive: the cheaper batch row (14.875) does not fit
    # it, the real-time row (137.73) does and is the one proposed, autoscaled per hour.
    rows = table(MANAGED_8B, MANAGED_70B, *PROPRIETARY, DIY[0], DIY[3]).assign(
        mode=[NAN] * 5 + ["batch", "realtime"],
        billing_basis=[NAN] * 5 + ["autoscaled"] * 2,
        replicas_peak=[NAN] * 5 + [14, 14],
        replicas_mean=[NAN] * 5 + [1.0, 1.0],
        utilization=[NAN] * 5 + [0.14, 0.14],
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
    assert lines[1].endswith(
        "$137.73 on the cheapest rented GPU serving a 70B-class model in real time (RunPod · "
        "A100 PCIe 80GB, community cloud at \u201cReal-time stream, 60 tok/s (article)\u201d), "
        "serving a request log on replicas autoscaled hour by hour to its arrivals."
    )
    assert [(c["basis"], c["winner"], c["per"]) for c in lines.claims] == [
        ("autoscaled", "api", "log")
    ]
    assert lines[2].startswith("That rented GPU needs 14 replicas at the busiest minute")
    assert lines[-1].endswith("so prompt caching saves nothing.")
    batch_only = narrative.trace_answer(rows.iloc[:6], caching, summary, synthetic=True)
    assert "no rented GPU is proposed" in batch_only[2] and not batch_only.claims


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


# --- one verdict for a report ----------------------------------------------------------------

A100 = ("runpod/A100@article-batch-2m", "RunPod · A100")
TOGETHER = ("together-ai/llama-3.3-70b", "Together AI · Llama 3.3 70B")


def saved(name: str, lines: list[str], *claims: dict) -> dict:
    return {"name": name, "lines": lines, "claims": [{**c, "line": 0} for c in claims]}


def test_the_verdict_tells_each_basis_with_its_numbers():
    job = narrative.claim(
        "busy_hours",
        api=TOGETHER,
        diy=A100,
        api_usd=17.6,
        diy_usd=14.875,
        tokens=2e7,
        headline=True,
    )
    month = narrative.claim(
        "always_on",
        api=TOGETHER,
        diy=A100,
        per="month",
        break_even_tokens_per_month=987.8e6,
        headline=True,
    )
    quiet = narrative.claim("always_on", api=TOGETHER, diy=("x", "X"), never=True, per="month")
    # 1 - 14.875 / 17.6 = 15%; the first headline of each basis, busy hours first.
    assert narrative.verdict([quiet, month, job]) == [
        "Whether self-hosting is cheaper than an API depends on how its GPUs are paid:",
        "As a one-off batch job rented by the hour, rented GPUs (RunPod · A100) cost 15% less "
        "than Together AI · Llama 3.3 70B ($14.88 against $17.60 for 20 million tokens).",
        "Serving steady traffic on replicas kept up all month, the same GPUs need 988 million "
        "tokens a month to beat that API.",
    ]
    assert narrative.verdict([quiet]) == []


def test_two_answers_may_disagree_only_when_a_basis_separates_them():
    job = narrative.claim("busy_hours", api=TOGETHER, diy=A100, api_usd=17.6, diy_usd=14.875)
    kept = narrative.claim(
        "always_on", api=TOGETHER, diy=A100, api_usd=116.4, diy_usd=1770.7, per="bill"
    )
    said_job = "As a one-off batch job, RunPod · A100 beats Together AI · Llama 3.3 70B."
    said_kept = "On replicas kept up, RunPod · A100 costs more than Together AI · Llama 3.3 70B."
    agree = [saved("article", [said_job], job), saved("bill", [said_kept], kept)]
    assert narrative.conflicts(agree) == []
    # The same disagreement without the basis in the sentence is refused.
    unnamed = [saved("article", ["RunPod · A100 beats Together AI · Llama 3.3 70B."], job)]
    assert "does not name its basis ('one-off batch job')" in narrative.conflicts(unnamed)[0]
    # On one basis the winner of a pair holds at every volume: busy hours are linear.
    dearer = narrative.claim(
        "busy_hours", api=TOGETHER, diy=A100, api_usd=0.88, diy_usd=1.24, tokens=1e6
    )
    clash = narrative.conflicts([agree[0], saved("sensitivity", [said_job], dearer)])
    assert clash == [
        "article[0] and sensitivity[0] disagree on busy_hours: together-ai/llama-3.3-70b "
        "against runpod/A100@article-batch-2m"
    ]


def test_a_winner_at_a_monthly_volume_must_fall_on_its_side_of_the_break_even():
    even = narrative.claim(
        "always_on", api=TOGETHER, diy=A100, per="month", break_even_tokens_per_month=988e6
    )
    said = "Replicas kept up: RunPod · A100 against Together AI · Llama 3.3 70B."
    below = narrative.claim(
        "always_on", api=TOGETHER, diy=A100, api_usd=440, diy_usd=869, tokens=5e8, per="month"
    )
    above = narrative.claim(
        "always_on", api=TOGETHER, diy=A100, api_usd=440, diy_usd=300, tokens=5e8, per="month"
    )
    never = narrative.claim("always_on", api=TOGETHER, diy=A100, never=True, per="month")
    page = saved("break_even", [said], even)
    assert narrative.conflicts([page, saved("maturity", [said], below)]) == []
    assert len(narrative.conflicts([page, saved("maturity", [said], above)])) == 1
    assert len(narrative.conflicts([page, saved("maturity", [said], never)])) == 1


# --- the article page's reproducible parts -----------------------------------------------------


def test_every_diy_row_shows_its_formula_with_its_numbers():
    from infermodel.analyses import article

    rows = table(*DIY[:1]).assign(
        total_tokens=float(JOB),
        tokens_per_second=2e6 / 3600,
        utilization=0.8,
        gpus_per_replica=1.0,
        usd_per_gpu_hour=1.19,
        spot_time_factor=1.0,
    )
    terms = article.formula_terms(rows)
    # 20,000,000 / (555.6 x 0.8 x 3,600) = 12.5 GPU-hours x $1.19 = $14.875.
    assert terms.loc[0, "gpu_hours"] == pytest.approx(12.5)
    assert terms.loc[0, "cost_usd"] == pytest.approx(14.875)
    disputes = pd.DataFrame(
        {
            "serving_assumption": ["article-batch-2m"],
            "gpu": ["A100-PCIe-80GB"],
            "disputed": [True],
            "estimator_says": ["A100 PCIe 80GB has no FP8 tensor cores"],
        }
    )
    lines = narrative.formula_lines(terms, {DIY[0]["offering_id"]: "RunPod · A100"}, disputes)
    assert lines.loc[0, "formula"] == (
        "20,000,000 tokens / (555.6 tokens/s \u00d7 0.80 \u00d7 3,600 s/h) \u00d7 1 GPU = "
        "12.50 GPU-hours; \u00d7 $1.19/GPU-hour = $14.88"
    )
    assert lines.loc[0, "estimator"] == "A100 PCIe 80GB has no FP8 tensor cores"


def test_the_articles_figures_get_a_verdict_each():
    checked = pd.DataFrame(
        [
            {
                "claim_id": "diy_5_10x",
                "says": "own GPUs cut costs by another 5-10x",
                "article_low": 5.0,
                "article_high": 10.0,
                "unit": "x",
                "kit_low": 1.18,
                "kit_high": 2.05,
                "holds": False,
                "how": "busy GPU-hours",
            },
            {
                "claim_id": "runpod_h100",
                "says": "a RunPod H100 rents at $1.99 an hour",
                "article_low": 1.99,
                "article_high": 1.99,
                "unit": "USD/GPU-h",
                "kit_low": 1.99,
                "kit_high": 2.99,
                "holds": True,
                "how": "prices in force",
            },
        ]
    )
    words = narrative.claims_verdicts(checked)
    assert list(words["article"]) == ["5.0\u00d7 to 10.0\u00d7", "$1.99/GPU-hour"]
    assert list(words["kit"]) == ["1.2\u00d7 to 2.0\u00d7", "$1.99/GPU-hour to $2.99/GPU-hour"]
    verdicts = ["Not borne out: busy GPU-hours.", "Borne out: prices in force."]
    assert list(words["verdict"]) == verdicts


def test_a_negative_layer_of_a_price_stack_is_explained():
    stacks = pd.DataFrame(
        {
            "model": ["GPT-4o mini"] * 4,
            "component": ["base", "ip_markup", "platform_overhead", "latency_penalty"],
            # list 0.60 = base 0.80 + markup -0.56 + overhead 0.06 + penalty 0.30
            "usd_per_million_tokens": [0.80, -0.56, 0.06, 0.30],
            "share_of_price": [0.80 / 0.6, -0.56 / 0.6, 0.1, 0.5],
        }
    )
    text = narrative.stack_negatives(stacks)
    assert text.startswith(
        "Negative layers, drawn left of zero: GPT-4o mini (list $0.60 per M tokens, base $0.80, "
        "133% of its list; IP markup negative)."
    )
    assert narrative.stack_negatives(stacks.assign(usd_per_million_tokens=0.15)) == ""


def test_an_answer_reads_the_same_in_html_markdown_and_plain_text():
    from infermodel.reports.notebook import Sentences

    shown = Sentences(["$17.60 for the job, $0.88 per million tokens."])
    page = shown._repr_html_()
    assert "$17.60 for the job, $0.88" in page and "mathjax_ignore" in page
    text = shown._repr_markdown_()
    assert "\\$17.60 for the job, \\$0.88" in text and "tex2jax_ignore mathjax_ignore" in text
    assert repr(shown) == "- $17.60 for the job, $0.88 per million tokens."
    lead = Sentences(["Priced at $1 and $2."], kind="lead", paragraph=True)
    assert lead._repr_html_().startswith('<p class="lead tex2jax_ignore mathjax_ignore">')
    assert "Priced at \\$1 and \\$2." in lead._repr_markdown_()


def test_a_break_even_on_a_stale_weak_price_says_so_in_the_same_sentence():
    even = even_rows("openai/gpt-4o", 10.0, [31.0])
    # The 2026Q3 case: RunPod's A100 spot price, estimated-low and 204 days old.
    table_rows = pd.DataFrame(
        {
            "offering_id": ["diy-0"],
            "age_days": [204],
            "stale": [True],
            "confidence": ["estimated-low"],
        }
    )
    line = narrative.break_even_answer(even, ["openai/gpt-4o"], LABELS, table=table_rows)[0]
    assert line.endswith(
        "on RunPod · A100 (its price is 204 days old at the as-of date, confidence estimated-low)."
    )
