"""The comparison table: the article's 20M-token job on every offering of May 2025.

Expected values are worked by hand from the article's inputs (Procure.FYI, Part 3, May 2025:
20M tokens, utilization 0.8, 1-2M tok/h batch, 60 tok/s real-time, RunPod H100 at 1.99 USD/h)
and from the shipped price tables; the expected set of DIY rows is rebuilt from the raw CSVs
with the standard library, independently of infermodel.tables.serving.pairs.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest

from infermodel import paths, prices, tables, workloads
from infermodel.pricing import compare
from infermodel.tables import serving
from infermodel.workloads import Workload

AS_OF = "2025-05-31"
RUNPOD_H100 = {"provider": "RunPod", "gpu": "H100-PCIe-80GB", "tier": "community_cloud"}


@pytest.fixture(scope="module")
def snapshot() -> prices.PriceSnapshot:
    return prices.as_of(AS_OF)


@pytest.fixture(scope="module")
def all_serving() -> pd.DataFrame:
    return tables.load_serving()


@pytest.fixture(scope="module")
def article_serving(all_serving) -> pd.DataFrame:
    return serving.select(all_serving)


@pytest.fixture(scope="module")
def article_table(snapshot, article_serving) -> pd.DataFrame:
    return compare.cost_table(workloads.article_workload(), snapshot, article_serving)


def table_for(snapshot, assumptions, workload=None, **options) -> pd.DataFrame:
    return compare.cost_table(
        workloads.article_workload() if workload is None else workload,
        snapshot,
        assumptions,
        **options,
    )


def api_row(table: pd.DataFrame, model_id: str) -> pd.Series:
    rows = table[table["model_id"] == model_id]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def diy_row(table: pd.DataFrame, assumption: str, **where) -> pd.Series:
    mask = table["serving_assumption"] == assumption
    for column, value in {**RUNPOD_H100, **where}.items():
        mask &= table[column] == value
    rows = table[mask]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# --------------------------------------------------------------------------------------
# Shape of the article table
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_has_every_column(article_table):
    assert list(article_table.columns) == compare.COLUMNS


def test_api_rows_leave_gpu_columns_empty(article_table):
    api = article_table[article_table["platform_type"] != "diy_gpu"]
    assert len(api) > 0
    for column in (
        "gpu",
        "tier",
        "tokens_per_second",
        "utilization",
        "gpu_hours",
        "serving_assumption",
        "usd_per_gpu_hour",
    ):
        assert api[column].isna().all(), column
    assert api["model_id"].notna().all()


def test_diy_rows_fill_gpu_columns(article_table):
    diy = article_table[article_table["platform_type"] == "diy_gpu"]
    for column in (
        "gpu",
        "tier",
        "tokens_per_second",
        "utilization",
        "gpu_hours",
        "wall_clock_hours",
        "serving_assumption",
        "usd_per_gpu_hour",
        "serving_source_url",
    ):
        assert diy[column].notna().all(), column
    assert (diy["utilization"] == 0.8).all()


def _expected_diy_pairs(as_of: str) -> set[tuple[str, str, str, str, str]]:
    """(provider, gpu, tier, pricing, assumption) pairs, rebuilt from the raw CSVs."""

    def start(row: dict) -> str:  # in force from: carried back to, else the source's date
        return row.get("carried_back_to") or row["observed_on"]

    with open(paths.GPU_PRICES_CSV, newline="") as f:
        observations = [r for r in csv.DictReader(f) if start(r) <= as_of]
    newest: dict[tuple, dict] = {}
    for row in sorted(observations, key=lambda r: (start(r), r["observed_on"])):
        newest[(row["provider"], row["gpu"], row["tier"], row["pricing"])] = row
    with open(paths.GPU_SPECS_CSV, newline="") as f:
        memory = {r["gpu"]: float(r["memory_gb"]) for r in csv.DictReader(f)}
    with open(paths.SERVING_CSV, newline="") as f:
        defaults = [r for r in csv.DictReader(f) if r["article_default"] == "true"]
    pairs = set()
    for provider, gpu, tier, pricing in newest:
        for assumption in defaults:
            fits_gpu = assumption["gpu"] in ("any", gpu)
            gpus = int(assumption["gpus_per_replica"])
            fits_memory = memory[gpu] * gpus >= float(assumption["min_memory_gb_per_replica"])
            if fits_gpu and fits_memory:
                pairs.add((provider, gpu, tier, pricing, assumption["assumption_id"]))
    return pairs


def test_one_diy_row_per_fitting_offering_and_default_assumption(article_table):
    expected = _expected_diy_pairs(AS_OF)
    diy = article_table[article_table["platform_type"] == "diy_gpu"]
    got = set(
        diy[["provider", "gpu", "tier", "pricing", "serving_assumption"]].itertuples(
            index=False, name=None
        )
    )
    assert len(diy) == len(expected)
    assert got == expected
    assert set(diy["serving_assumption"]) == {
        "article-batch-1m",
        "article-batch-2m",
        "article-realtime-60",
    }


def test_one_api_row_per_api_offering(article_table, snapshot):
    api = article_table[article_table["platform_type"] != "diy_gpu"]
    assert len(api) == len(snapshot.api)
    assert set(api["model_id"]) == set(snapshot.api["model_id"])


# --------------------------------------------------------------------------------------
# The article's numbers
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "assumption, tokens_per_second, gpu_hours, cost",
    [
        # 20e6 / (1e6 tok/h x 0.8) = 25 h x 1.99 = 49.75 USD
        ("article-batch-1m", 1e6 / 3600, 25.0, 49.75),
        # 20e6 / (2e6 tok/h x 0.8) = 12.5 h x 1.99 = 24.875 USD
        ("article-batch-2m", 2e6 / 3600, 12.5, 24.875),
        # 20e6 / (60 tok/s x 0.8 x 3600) = 115.74 h x 1.99 = 230.324 USD
        ("article-realtime-60", 60.0, 20e6 / (60 * 0.8 * 3600), 230.324),
    ],
)
def test_runpod_h100_rows(article_table, assumption, tokens_per_second, gpu_hours, cost):
    row = diy_row(article_table, assumption)
    assert row["usd_per_gpu_hour"] == pytest.approx(1.99)
    assert row["tokens_per_second"] == pytest.approx(tokens_per_second)
    assert row["gpu_hours"] == pytest.approx(gpu_hours)
    assert row["wall_clock_hours"] == pytest.approx(gpu_hours)
    assert row["cost_usd"] == pytest.approx(cost, abs=1e-3)
    assert row["usd_per_million_tokens"] == pytest.approx(row["cost_usd"] / 20)


@pytest.mark.parametrize(
    "model_id, cost",
    [
        ("gpt-4o", 200.0),  # 20 Mtok output x 10 USD/Mtok
        ("gpt-4.5-preview", 3000.0),  # 20 x 150
        ("claude-3-opus-20240229", 1500.0),  # 20 x 75
        ("meta-llama/Llama-3.3-70B-Instruct-Turbo", 17.6),  # 20 x 0.88
    ],
)
def test_api_rows(article_table, model_id, cost):
    row = api_row(article_table, model_id)
    assert row["cost_usd"] == pytest.approx(cost)
    assert row["output_tokens"] == 20_000_000
    assert row["input_tokens"] == 0


def test_multiple_of_cheapest(article_table):
    assert article_table["multiple_of_cheapest"].min() == pytest.approx(1.0)
    cheapest = article_table["cost_usd"].min()
    np.testing.assert_allclose(
        article_table["multiple_of_cheapest"], article_table["cost_usd"] / cheapest
    )


def test_sorted_by_platform_type_then_cost(article_table):
    order = article_table["platform_type"].map({t: i for i, t in enumerate(tables.PLATFORM_TYPES)})
    assert order.is_monotonic_increasing
    assert list(dict.fromkeys(article_table["platform_type"])) == [
        "proprietary_api",
        "managed_api",
        "diy_gpu",
    ]
    for _, group in article_table.groupby("platform_type"):
        assert group["cost_usd"].is_monotonic_increasing


def test_platform_labels(article_table):
    labels = dict(zip(article_table["platform_type"], article_table["platform"], strict=False))
    assert labels == tables.PLATFORM_LABELS


# --------------------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------------------


def test_output_share_prices_input_tokens(snapshot, article_serving):
    # 20M tokens, 25% output: 15M input + 5M output.
    table = table_for(snapshot, article_serving, workloads.article_workload(output_share=0.25))
    gpt4o = api_row(table, "gpt-4o")
    assert gpt4o["input_tokens"] == 15_000_000
    assert gpt4o["output_tokens"] == 5_000_000
    assert gpt4o["cost_usd"] == pytest.approx(15 * 2.5 + 5 * 10)  # 87.5 USD
    opus = api_row(table, "claude-3-opus-20240229")
    assert opus["cost_usd"] == pytest.approx(15 * 15 + 5 * 75)  # 600 USD
    # DIY time follows all tokens by default: unchanged.
    assert diy_row(table, "article-batch-1m")["cost_usd"] == pytest.approx(49.75)


def test_cached_input_share_uses_cached_price(snapshot, article_serving):
    # 25% output (5M); of the 15M prompt tokens 60% cached: 9M cached, 6M full price.
    workload = Workload.from_total(
        20_000_000, output_share=0.25, cached_input_share=0.6, requests=10_000
    )
    assert workload.cached_input_tokens == pytest.approx(9_000_000)
    table = table_for(snapshot, article_serving, workload)
    # GPT-4o: 6 x 2.5 + 9 x 1.25 + 5 x 10 = 76.25 USD
    assert api_row(table, "gpt-4o")["cost_usd"] == pytest.approx(76.25)
    # Claude 3 Haiku: 6 x 0.25 + 9 x 0.03 + 5 x 1.25 = 8.02 USD
    assert api_row(table, "claude-3-haiku-20240307")["cost_usd"] == pytest.approx(8.02)
    # Claude 3 Sonnet lists no cache price: cached tokens at the input price, 15 x 3 + 5 x 15.
    assert api_row(table, "claude-3-sonnet-20240229")["cost_usd"] == pytest.approx(120.0)


def test_use_batch_api_halves_openai_prices(snapshot, article_serving, article_table):
    table = table_for(snapshot, article_serving, use_batch_api=True)
    for model_id, list_cost in [
        ("gpt-4o", 200.0),
        ("gpt-4o-mini", 12.0),
        ("gpt-4.5-preview", 3000.0),
    ]:
        row = api_row(table, model_id)
        assert row["cost_usd"] == pytest.approx(list_cost / 2)
        assert row["batch_api_applied"]
        listed = api_row(article_table, model_id)
        assert row["usd_per_million_output_tokens"] == pytest.approx(
            listed["usd_per_million_output_tokens"] / 2
        )
        assert not listed["batch_api_applied"]
    # No published batch price: left out and named, never priced at the list price.
    assert "gemini-2.0-flash" not in set(table["model_id"])
    left_out = compare.api_unpriced(
        workloads.article_workload(), snapshot, service_tier="batch"
    ).set_index("offering_id")
    assert left_out.loc["google/gemini-2.0-flash", "reason"] == (
        "no batch tier in the source of its price observation"
    )
    assert set(table.loc[table["platform_type"] != "diy_gpu", "service_tier"]) == {"batch"}


@pytest.mark.slow
def test_long_context_tier_applies_above_threshold(snapshot, article_serving):
    # Gemini 2.5 Pro: 1.25/10 USD/Mtok, 2.5/15 above 200k prompt tokens (api_prices.csv).
    # 300k prompt and 50k output each (within the 65,535-token max output of
    # context_windows.csv: 100k each would be refused, issue 24).
    long_prompts = Workload(input_tokens=3e6, output_tokens=0.5e6, requests=10)
    row = api_row(
        table_for(snapshot, article_serving, long_prompts), "gemini-2.5-pro-preview-05-06"
    )
    assert row["long_context_applied"]
    assert row["cost_usd"] == pytest.approx(3 * 2.5 + 0.5 * 15)
    short_prompts = Workload(input_tokens=3e6, output_tokens=1e6, requests=100)  # 30k each
    row = api_row(
        table_for(snapshot, article_serving, short_prompts), "gemini-2.5-pro-preview-05-06"
    )
    assert not row["long_context_applied"]
    assert row["cost_usd"] == pytest.approx(3 * 1.25 + 1 * 10)


@pytest.mark.slow
def test_diy_token_basis(snapshot, article_serving):
    half_output = workloads.article_workload(output_share=0.5)
    total = table_for(snapshot, article_serving, half_output, diy_token_basis="total")
    output = table_for(snapshot, article_serving, half_output, diy_token_basis="output")
    assert diy_row(total, "article-batch-1m")["cost_usd"] == pytest.approx(49.75)
    assert diy_row(output, "article-batch-1m")["cost_usd"] == pytest.approx(49.75 / 2)
    # API rows do not depend on it.
    assert api_row(total, "gpt-4o")["cost_usd"] == api_row(output, "gpt-4o")["cost_usd"]
    # With all tokens output, the two readings agree.
    full = workloads.article_workload()
    a = table_for(snapshot, article_serving, full, diy_token_basis="total")
    b = table_for(snapshot, article_serving, full, diy_token_basis="output")
    pd.testing.assert_series_equal(a["cost_usd"], b["cost_usd"])


def test_unknown_diy_token_basis(snapshot, article_serving):
    with pytest.raises(ValueError, match=r"diy_token_basis.*total, output.*'input'"):
        table_for(snapshot, article_serving, diy_token_basis="input")


def test_halving_utilization_doubles_diy_cost(snapshot, article_serving, article_table):
    half = table_for(snapshot, article_serving, utilization=0.4)
    assert diy_row(half, "article-batch-1m")["cost_usd"] == pytest.approx(2 * 49.75)
    assert api_row(half, "gpt-4o")["cost_usd"] == pytest.approx(200.0)


@pytest.mark.parametrize("utilization", [0, 0.0, -0.2, 1.5, 1.0001, math.nan])
def test_utilization_outside_unit_interval(snapshot, article_serving, utilization):
    with pytest.raises(ValueError, match="utilization must be a number in \\(0, 1\\]"):
        table_for(snapshot, article_serving, utilization=utilization)


def test_utilization_one_is_allowed(snapshot, article_serving):
    table = table_for(snapshot, article_serving, utilization=1.0)
    assert diy_row(table, "article-batch-1m")["cost_usd"] == pytest.approx(20 * 1.99)


@pytest.mark.parametrize(
    "fp8, bf16",
    [
        ("article-batch-1m", "article-batch-1m-bf16"),
        ("article-batch-2m", "article-batch-2m-bf16"),
        ("article-realtime-60", "article-realtime-60-bf16"),
    ],
)
def test_bf16_assumptions_use_two_gpus(snapshot, all_serving, fp8, bf16):
    table = table_for(snapshot, serving.select(all_serving, [fp8, bf16]))
    one, two = diy_row(table, fp8), diy_row(table, bf16)
    assert one["gpus_per_replica"] == 1
    assert two["gpus_per_replica"] == 2
    assert two["gpu_hours"] == pytest.approx(2 * one["gpu_hours"])
    assert two["wall_clock_hours"] == pytest.approx(one["wall_clock_hours"])
    assert two["cost_usd"] == pytest.approx(2 * one["cost_usd"])
    # 2 x 40 GB or 2 x 48 GB cannot hold the 160 GB a 16-bit 70B replica needs.
    bf16_gpus = set(table.loc[table["serving_assumption"] == bf16, "gpu"])
    assert not bf16_gpus & {"A100-SXM-40GB", "L40S-48GB"}


def test_unpriced_lists_gpus_too_small(snapshot, article_serving):
    left_out = compare.unpriced(snapshot, article_serving)
    assert set(left_out["gpu"]) == {"A100-SXM-40GB", "L40S-48GB"}
    assert left_out["reason"].str.contains("GB").all()
    assert left_out["reason"].str.contains("80 GB").all()  # what the model needs


def test_unpriced_names_the_measured_gpu(snapshot, all_serving):
    left_out = compare.unpriced(snapshot, serving.select(all_serving, "measured-trtllm-h200x1-fp8"))
    assert (left_out["reason"] == "assumption measured on H200-SXM-141GB").all()
    assert "H200-SXM-141GB" not in set(left_out["gpu"])


def test_cheapest_by_platform(article_table):
    summary = compare.cheapest_by_platform(article_table)
    assert list(summary["platform_type"]) == list(tables.PLATFORM_TYPES)
    for _, row in summary.iterrows():
        of_type = article_table[article_table["platform_type"] == row["platform_type"]]
        assert row["cost_usd"] == pytest.approx(of_type["cost_usd"].min())
    ratios = summary["times_next_type"]
    costs = summary["cost_usd"]
    assert ratios.iloc[0] == pytest.approx(costs.iloc[0] / costs.iloc[1])
    assert math.isnan(ratios.iloc[-1])


def test_price_stacks_add_up(article_table, snapshot):
    base = compare.base_usd_per_million_tokens(article_table, "article-batch-2m")
    discounts = snapshot.api.set_index("model_id")["batch_discount_fraction"]
    stacks = compare.price_stacks(
        article_table,
        base_usd_per_million_tokens=base["usd_per_million_tokens"],
        proprietary_overhead_share=0.2,
        batch_discounts=discounts,
    )
    assert set(stacks["component"]) == set(compare.STACK_COMPONENTS)
    totals = stacks.groupby("model_id")["usd_per_million_tokens"].sum()
    api = article_table[article_table["platform_type"] != "diy_gpu"].set_index("model_id")
    assert set(totals.index) == set(api.index)
    for model_id, total in totals.items():
        assert total == pytest.approx(api.loc[model_id, "usd_per_million_tokens"]), model_id
    overhead = stacks[stacks["component"] == "platform_overhead"]
    proprietary = overhead[overhead["platform_type"] == "proprietary_api"]
    assert len(proprietary) > 0
    assert (proprietary["basis"] == "illustrative").all()
    # GPT-4o at 10 USD/Mtok (all output): overhead 20% = 2, the 50% batch discount is the
    # sourced latency penalty = 5, the base is the derived compute cost, markup the rest.
    gpt4o = stacks[stacks["model_id"] == "gpt-4o"].set_index("component")
    assert gpt4o.loc["platform_overhead", "usd_per_million_tokens"] == pytest.approx(2.0)
    assert gpt4o.loc["latency_penalty", "usd_per_million_tokens"] == pytest.approx(5.0)
    assert gpt4o.loc["latency_penalty", "basis"] == "sourced"
    assert gpt4o.loc["base", "usd_per_million_tokens"] == pytest.approx(
        base["usd_per_million_tokens"]
    )
    assert gpt4o.loc["base", "basis"] == "derived"
    assert gpt4o.loc["ip_markup", "usd_per_million_tokens"] == pytest.approx(
        10 - 2 - 5 - base["usd_per_million_tokens"]
    )


@pytest.mark.parametrize("share", [-0.1, 1.0])
def test_price_stacks_overhead_share_out_of_range(article_table, share):
    with pytest.raises(ValueError, match="proprietary_overhead_share"):
        compare.price_stacks(
            article_table,
            base_usd_per_million_tokens=1.0,
            proprietary_overhead_share=share,
            batch_discounts=pd.Series(dtype=float),
        )


def test_price_stacks_unknown_offering(article_table):
    with pytest.raises(ValueError, match="unknown API offering 'gpt-5'"):
        compare.price_stacks(
            article_table,
            base_usd_per_million_tokens=1.0,
            proprietary_overhead_share=0.2,
            batch_discounts=pd.Series(dtype=float),
            offerings=["gpt-5"],
        )


def test_base_for_unknown_assumption(article_table):
    with pytest.raises(ValueError, match="no DIY row for serving assumption 'nosuch'"):
        compare.base_usd_per_million_tokens(article_table, "nosuch")


def test_narrowed_snapshot(snapshot, article_serving):
    table = table_for(snapshot.select(providers=["runpod"]), article_serving)
    assert set(table["provider"]) == {"RunPod"}
    assert set(table["platform_type"]) == {"diy_gpu"}


def test_nothing_to_price(snapshot, article_serving):
    empty = snapshot.select(providers=["RunPod"], platform_types=["managed_api"])
    with pytest.raises(ValueError, match="nothing to price as of 2025-05-31"):
        table_for(empty, article_serving)


def test_unknown_serving_assumption(all_serving):
    with pytest.raises(ValueError, match=r"unknown serving assumption 'nosuch'.*article-batch-1m"):
        serving.select(all_serving, ["nosuch"])


@pytest.mark.slow
def test_a_gpu_without_specs_is_never_priced():
    # A GPU price row whose SKU has no spec row cannot be checked for fit: it is listed as
    # not priced, with the reason, instead of being priced silently.
    snapshot = prices.as_of("2025-05-31")
    specs = tables.load_gpu_specs()
    specs = specs[specs["gpu"] != "H100-PCIe-80GB"]
    assumptions = serving.select(tables.load_serving())
    table = compare.cost_table(workloads.article_workload(), snapshot, assumptions, gpu_specs=specs)
    assert "H100-PCIe-80GB" not in set(table["gpu"].dropna())
    left_out = compare.unpriced(snapshot, assumptions, specs)
    reasons = left_out.loc[left_out["gpu"] == "H100-PCIe-80GB", "reason"]
    assert len(reasons) > 0 and reasons.str.contains("gpu_specs.csv").all()


@pytest.mark.slow
def test_nothing_released_after_the_as_of_date_is_priced(all_serving):
    # gpt-oss (2025-08-05), Kimi K2 (2025-07-11) and DeepSeek V3.1 (2025-08-21) came out after
    # May 2025: a report as of 2025-05-31 prices none of them, and says why; a year later it
    # prices them. Llama 3.3 70B (2024-12-06) is priced at both dates.
    later = {
        "estimated-gpt-oss-120b-h100-sxm-x1-mxfp4",
        "estimated-gpt-oss-20b-h100-sxm-x1-mxfp4",
        "estimated-kimi-k2-h200-x8-fp8",
        "estimated-deepseek-v3-1-h200-x8-fp8",
    }
    may = prices.as_of("2025-05-31")
    job = Workload.from_total(1e6, output_share=1.0)
    priced = set(compare.cost_table(job, may, all_serving)["serving_assumption"].dropna())
    assert not priced & later and "measured-trtllm-h100x2-fp8" in priced
    left = compare.unpriced(may, all_serving)
    why = left[left["assumption_id"].isin(later)]["reason"]
    assert len(why) and why.str.startswith("not possible before 2025-").all()
    assert "(the model's release), after the as-of date" in why.iloc[0]
    december = prices.as_of("2026-12-01")
    assert later & set(compare.cost_table(job, december, all_serving)["serving_assumption"])


def test_a_serving_assumption_before_its_model_was_released_is_refused(tmp_path):
    from infermodel.tables import registry as validation

    models = tables.load_model_specs()
    serving_rows = tables.read_table(paths.SERVING_CSV, tables.SERVING_SCHEMA)
    measured = serving_rows["assumption_id"] == "measured-trtllm-h100x2-fp8"
    early = serving_rows.assign(
        available_from=serving_rows["available_from"].where(~measured, pd.Timestamp("2024-01-01"))
    )
    problems = validation.check_available_after_release(early, models, paths.SERVING_CSV)
    # Llama 3.3 70B was released on 2024-12-06 (data/model_specs.csv).
    assert [(p.field, str(p.value)[:10]) for p in problems] == [("available_from", "2024-01-01")]
