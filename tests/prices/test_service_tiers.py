"""Service tiers, cache lifetimes, reasoning tokens and uplifts, as billed (issue 13).

Figures checked by hand against the litellm 1.110.2 price file (tests/data/prices-upstream/,
the fields named in each test, USD per token x 1e6).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from helpers import TEST_DATA

from infermodel import narrative, prices, tables
from infermodel.errors import InputError
from infermodel.prices import service_tiers
from infermodel.pricing import compare, trace_pricing
from infermodel.readers import logs
from infermodel.readers.litellm import read_litellm, read_litellm_wheel
from infermodel.readers.price_files import ImportRefused
from infermodel.tables import serving
from infermodel.workloads import Workload, article_workload

DATA = TEST_DATA
LITELLM = DATA / "prices-upstream" / "litellm_1.110.2_read-2026-12-01.json"
TODAY = "2026-12-01"


@pytest.fixture(scope="module")
def today():
    return prices.as_of(TODAY)


@pytest.fixture(scope="module")
def no_diy():
    return serving.select(tables.load_serving(), "article").iloc[0:0]


def cost_of(table: pd.DataFrame, model_id: str) -> float:
    rows = table[table["model_id"] == model_id]
    assert len(rows) == 1, model_id
    return float(rows["cost_usd"].iloc[0])


# --------------------------------------------------------------------------------------
# Reading the tiers
# --------------------------------------------------------------------------------------


def test_litellm_tiers_are_read_by_hand():
    quote = read_litellm(LITELLM, package_version="1.110.2").quotes["gpt-5.4"]
    tiers = {(t["service_tier"], t["long_context_threshold_tokens"]): t for t in quote.tiers}
    # input_cost_per_token_batches 1.25e-06, cache_read_..._batches 1.3e-07, output 7.5e-06
    assert tiers[("batch", None)]["usd_per_million_input_tokens"] == 1.25
    assert tiers[("batch", None)]["usd_per_million_cached_input_tokens"] == 0.13
    assert tiers[("batch", None)]["usd_per_million_output_tokens"] == 7.5
    assert tiers[("flex", None)]["usd_per_million_output_tokens"] == 7.5
    assert tiers[("priority", None)]["usd_per_million_input_tokens"] == 5.0
    assert tiers[("priority", None)]["usd_per_million_output_tokens"] == 30.0
    # ..._above_272k_tokens_batches: 2.5 / 11.25; no priority price above 272k in the file.
    assert tiers[("batch", 272_000)]["usd_per_million_output_tokens"] == 11.25
    assert ("priority", 272_000) not in tiers


def test_cache_writes_by_lifetime_are_read():
    quote = read_litellm(LITELLM).quotes["claude-opus-4-6"]
    assert quote.prices["usd_per_million_cache_write_tokens"] == 6.25  # 5-minute write
    assert quote.prices["usd_per_million_cache_write_1h_tokens"] == 10.0  # ..._above_1hr
    (batch,) = quote.tiers
    assert batch["service_tier"] == "batch"
    assert batch["usd_per_million_cache_write_tokens"] == 3.125


def test_the_shipped_tier_rows_belong_to_observations():
    tiers = tables.load_api_price_tiers()
    api = tables.load_api_prices()
    observed = set(zip(api["provider"], api["model_id"], api["observed_on"], strict=True))
    assert set(zip(tiers["provider"], tiers["model_id"], tiers["observed_on"], strict=True)) <= (
        observed
    )
    assert set(tiers["service_tier"]) == {"batch", "flex", "priority"}
    assert tiers["source_url"].str.startswith("https://pypi.org/project/litellm/1.110.2").all()


# --------------------------------------------------------------------------------------
# Pricing at a tier
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "usd"),
    # 20M output tokens of GPT-5.4: 15 (list), 7.5 (batch, flex), 30 (priority) USD/Mtok.
    [("standard", 300.0), ("batch", 150.0), ("flex", 150.0), ("priority", 600.0)],
)
@pytest.mark.slow
def test_a_tier_prices_at_its_published_rate(today, no_diy, tier, usd):
    table = compare.cost_table(article_workload(), today, no_diy, service_tier=tier)
    assert cost_of(table, "gpt-5.4") == pytest.approx(usd)
    api = table[table["platform_type"] != "diy_gpu"]
    assert set(api["service_tier"]) == {tier}


def test_an_offering_without_the_tier_is_left_out_and_named(today, no_diy):
    table = compare.cost_table(article_workload(), today, no_diy, service_tier="priority")
    assert "claude-opus-4-6" not in set(table["model_id"])  # Anthropic publishes no priority
    left = compare.api_unpriced(article_workload(), today, service_tier="priority")
    reason = left.set_index("offering_id").loc["anthropic/claude-opus-4-6", "reason"]
    assert reason == "no priority tier in the source of its price observation"
    priced = set(table["offering_id"]) | set(left["offering_id"])
    assert priced == set(compare.cost_table(article_workload(), today, no_diy)["offering_id"])


def test_batch_api_is_an_alias_and_conflicts_are_refused(today, no_diy):
    alias = compare.cost_table(article_workload(), today, no_diy, use_batch_api=True)
    tier = compare.cost_table(article_workload(), today, no_diy, service_tier="batch")
    pd.testing.assert_frame_equal(alias, tier)
    with pytest.raises(InputError, match="conflicts with service tier 'priority'"):
        compare.cost_table(
            article_workload(), today, no_diy, use_batch_api=True, service_tier="priority"
        )
    with pytest.raises(InputError, match="service_tier"):
        compare.cost_table(article_workload(), today, no_diy, service_tier="premium")


def test_batch_without_tier_rows_is_derived_from_the_discount(no_diy):
    may = prices.as_of("2025-05-31")
    table = compare.cost_table(article_workload(), may, no_diy, service_tier="batch")
    assert cost_of(table, "gpt-4o") == pytest.approx(100.0)  # 10 USD/Mtok x 0.5
    effective = service_tiers.effective_prices(
        may.api, tables.load_api_price_tiers(), service_tier="batch"
    )
    assert set(effective.loc[may.api["model_id"] == "gpt-4o", "tier_basis"]) == {"derived"}


@pytest.mark.slow
def test_long_prompts_need_the_tiers_long_context_price(today, no_diy):
    # 300k-token prompts: above GPT-5.4's 272k threshold; its priority tier has no price there.
    long = Workload(input_tokens=3e6, output_tokens=1e5, requests=10)
    standard = compare.cost_table(long, today, no_diy)
    # 3M x 5 + 0.1M x 22.5 (the long-context list prices) = 17.25 USD
    assert cost_of(standard, "gpt-5.4") == pytest.approx(17.25)
    assert "gpt-5.4" not in set(
        compare.cost_table(long, today, no_diy, service_tier="priority")["model_id"]
    )
    left = compare.api_unpriced(long, today, service_tier="priority").set_index("offering_id")
    assert left.loc["openai/gpt-5.4", "reason"] == (
        "no priority price for input above the long-context threshold"
    )
    batch = compare.cost_table(long, today, no_diy, service_tier="batch")
    assert cost_of(batch, "gpt-5.4") == pytest.approx(3 * 2.5 + 0.1 * 11.25)


# --------------------------------------------------------------------------------------
# Cache writes, reasoning tokens
# --------------------------------------------------------------------------------------


def test_cache_writes_are_billed_by_lifetime(today, no_diy):
    for ttl, write_price in (("5m", 6.25), ("1h", 10.0)):
        job = Workload(input_tokens=0, output_tokens=0, cache_write_tokens=1e6, cache_ttl=ttl)
        table = compare.cost_table(job, today, no_diy)
        assert cost_of(table, "claude-opus-4-6") == pytest.approx(write_price)
        # GPT-5.4 has no write price: writes are billed as input (2.5 USD/Mtok).
        assert cost_of(table, "gpt-5.4") == pytest.approx(2.5)
        assert table["total_tokens"].eq(1e6).all()


def test_a_1h_write_without_a_published_price_is_left_out(today, no_diy):
    job = Workload(input_tokens=1e6, output_tokens=1e5, cache_write_tokens=1e6, cache_ttl="1h")
    table = compare.cost_table(job, today, no_diy)
    # GPT-5.6 (litellm 1.110.2) prices 5-minute writes ($5/Mtok) only.
    assert "gpt-5.6" not in set(table["model_id"])
    left = compare.api_unpriced(job, today).set_index("offering_id")
    assert left.loc["openai/gpt-5.6", "reason"] == "no standard price for 1h cache write"
    five = Workload(input_tokens=1e6, output_tokens=1e5, cache_write_tokens=1e6)
    five_table = compare.cost_table(five, today, no_diy)
    # in 5, out 30 x 0.1, write 6.25: the list price after the promotion ended (readings
    # R10-R13, issue 24; LiteLLM's promotional 4 / 20 / 5 gave 11.0)
    assert cost_of(five_table, "gpt-5.6") == pytest.approx(5.0 + 3.0 + 6.25)


def test_shares_split_the_prompt_and_are_checked():
    job = Workload.from_total(1e6, output_share=0.5, cached_input_share=0.3, cache_write_share=0.2)
    assert (job.input_tokens, job.cached_input_tokens, job.cache_write_tokens) == pytest.approx(
        (250_000, 150_000, 100_000)
    )
    assert job.total_tokens == pytest.approx(1e6)
    with pytest.raises(InputError, match="together at most 1"):
        Workload.from_total(1e6, output_share=0.5, cached_input_share=0.7, cache_write_share=0.4)
    with pytest.raises(InputError, match="cache_ttl"):
        Workload(input_tokens=1, output_tokens=1, cache_ttl="24h")


def test_reasoning_tokens_are_billed_as_output(today, no_diy):
    plain = Workload(input_tokens=1e6, output_tokens=1e6)
    thinking = Workload(input_tokens=1e6, output_tokens=1e6, reasoning_tokens=6e5)
    a = compare.cost_table(plain, today, no_diy)
    b = compare.cost_table(thinking, today, no_diy)
    assert cost_of(b, "gpt-5.4") == cost_of(a, "gpt-5.4") == pytest.approx(2.5 + 15)
    with pytest.raises(InputError, match="reasoning tokens are part of the output"):
        Workload(input_tokens=1, output_tokens=1, reasoning_tokens=2)


# --------------------------------------------------------------------------------------
# Uplifts
# --------------------------------------------------------------------------------------


def test_an_uplift_multiplies_the_models_it_names_and_leaves_out_the_rest(today):
    uplifts = pd.DataFrame(
        {
            "uplift_id": ["us-only"],
            "provider": ["Anthropic"],
            "model_pattern": ["claude-opus-4-[6-9]"],
            "multiplier": [1.1],
            "effective_from": [pd.Timestamp("2026-02-05")],
            "applies_to": ["all_token_prices"],
        }
    )
    api = today.api.reset_index(drop=True)
    tiers = tables.load_api_price_tiers()
    effective = service_tiers.effective_prices(
        api, tiers, uplifts=uplifts, uplift_ids=["us-only"], as_of=today.as_of
    )
    by_id = effective.assign(model_id=api["model_id"]).set_index("model_id")
    assert by_id.loc["claude-opus-4-6", "usd_per_million_output_tokens"] == pytest.approx(27.5)
    assert by_id.loc["claude-opus-4-6", "uplift"] == "us-only"
    assert by_id.loc["claude-opus-5", "no_uplift"] == "us-only is not offered for this model"
    assert by_id.loc["gpt-5.4", "uplift_multiplier"] == 1.0  # another provider: unaffected
    before = service_tiers.effective_prices(
        api, tiers, uplifts=uplifts, uplift_ids=["us-only"], as_of=pd.Timestamp("2026-01-01")
    )
    assert (before.loc[api["provider"] == "Anthropic", "no_uplift"] != "").all()
    with pytest.raises(InputError, match="uplift"):
        service_tiers.effective_prices(api, tiers, uplifts=uplifts, uplift_ids=["eu-only"])


# --------------------------------------------------------------------------------------
# Request logs and the command line
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_log_prices_at_a_tier(today, no_diy):
    trace = logs.read_trace(DATA / "traces" / "azure2023_code.csv")
    listed = trace_pricing.price_trace(trace, today, no_diy).set_index("model_id")
    fast = trace_pricing.price_trace(trace, today, no_diy, service_tier="priority")
    fast = fast.set_index("model_id")
    # GPT-5.4's priority prices are exactly twice its list prices (5/2.5, 0.5/0.25, 30/15);
    # no prompt of this log is above 272k tokens.
    assert fast.loc["gpt-5.4", "cost_usd"] == pytest.approx(2 * listed.loc["gpt-5.4", "cost_usd"])
    assert set(fast["service_tier"].dropna()) == {"priority"}
    assert "claude-opus-4-6" not in fast.index
    left = trace_pricing.api_unpriced(trace, today, service_tier="priority")
    assert "anthropic/claude-opus-4-6" in set(left["offering_id"])


def run_cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "infermodel", *argv], capture_output=True, text=True, check=False
    )


@pytest.mark.slow
def test_cli_prices_today_at_priority_and_names_what_it_leaves_out():
    done = run_cli("table", "--as-of", TODAY, "--service-tier", "priority", "--format", "csv")
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(__import__("io").StringIO(done.stdout))
    api = table[table["platform_type"] != "diy_gpu"]
    assert set(api["service_tier"]) == {"priority"}
    assert api.set_index("model_id").loc["gpt-5.4", "cost_usd"] == pytest.approx(600.0)
    (line,) = done.stderr.splitlines()
    assert line.startswith("Left out ") and "no priority tier" in line


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--service-tier", "premium"], "--service-tier"),
        (["--batch-api", "--service-tier", "flex"], "--batch-api"),
        (["--cache-ttl", "24h"], "--cache-ttl"),
        (["--uplift", "no-such-uplift"], "--uplift"),
        (
            ["--cached-input-share", "0.8", "--cache-write-share", "0.5", "--output-share", "0.5"],
            "together at most 1",
        ),
    ],
)
@pytest.mark.slow
def test_cli_bad_billing_options_are_one_line(argv, message):
    done = run_cli("table", "--as-of", TODAY, *argv)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert message in line


# --------------------------------------------------------------------------------------
# Refreshing from a litellm wheel
# --------------------------------------------------------------------------------------


def fake_wheel(path: Path, *, member: bool = True) -> Path:
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("litellm-1.110.2.dist-info/METADATA", "Name: litellm\nVersion: 1.110.2\n")
        if member:
            wheel.writestr(
                "litellm/model_prices_and_context_window_backup.json",
                json.dumps({"gpt-5.4": json.loads(LITELLM.read_text())["gpt-5.4"]}),
            )
    return path


def test_a_wheel_is_read_and_cited_by_its_version(tmp_path):
    source = read_litellm_wheel(
        fake_wheel(tmp_path / "litellm-1.110.2-py3-none-any.whl"), observed_on=TODAY
    )
    assert source.source_url == "https://pypi.org/project/litellm/1.110.2/"
    assert source.observed_on == pd.Timestamp(TODAY)
    assert "litellm 1.110.2 wheel" in source.described_as
    assert source.quotes["gpt-5.4"].prices["usd_per_million_output_tokens"] == 15.0


@pytest.mark.slow
def test_a_zip_that_is_not_a_litellm_wheel_is_refused(tmp_path):
    with pytest.raises(ImportRefused, match="not a litellm wheel"):
        read_litellm_wheel(fake_wheel(tmp_path / "x.whl", member=False))
    (tmp_path / "y.whl").write_text("not a zip")
    with pytest.raises(ImportRefused, match="not a wheel"):
        read_litellm_wheel(tmp_path / "y.whl")
    done = run_cli("prices", "import", "litellm", "--from-wheel", str(tmp_path / "y.whl"))
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1


# --------------------------------------------------------------------------------------
# The tiers side by side, in words
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_tier_costs_side_by_side(today):
    tiers = compare.tier_costs(article_workload(), today).set_index("offering_id")
    row = tiers.loc["openai/gpt-5.4"]
    assert (row["cost_usd_standard"], row["cost_usd_batch"], row["cost_usd_priority"]) == (
        pytest.approx(300.0),
        pytest.approx(150.0),
        pytest.approx(600.0),
    )
    assert row["priority_multiple"] == pytest.approx(2.0)
    opus = tiers.loc["anthropic/claude-opus-4-6"]
    assert pd.isna(opus["cost_usd_priority"]) and opus["cost_usd_batch"] == pytest.approx(250.0)


def test_tier_answer_states_counts_multiples_and_who_sells_none():
    frame = pd.DataFrame(
        {
            "offering_id": ["a/x", "b/y", "c/z"],
            "platform_type": ["proprietary_api"] * 3,
            "provider": ["A", "B", "C"],
            "model": ["X", "Y", "Z"],
            "cost_usd_standard": [10.0, 20.0, 40.0],
            "cost_usd_batch": [5.0, 10.0, float("nan")],
            "cost_usd_flex": [float("nan")] * 3,
            "cost_usd_priority": [17.0, float("nan"), 100.0],
        }
    )
    for tier in ("batch", "flex", "priority"):
        frame[f"{tier}_multiple"] = frame[f"cost_usd_{tier}"] / frame["cost_usd_standard"]
    batch, flex, priority = narrative.tier_answer(frame)
    assert batch == (
        "Batch (asynchronous, results within a day): 2 of 3 API offerings (A and B) at 0.50\u00d7 "
        "their list price for this job; cheapest A · X at $5.00. C publishes no batch price."
    )
    assert flex == "No API offering publishes a flex price (slower, may queue)."
    assert (
        "1.7\u00d7 to 2.5\u00d7 (median 2.1\u00d7)" in priority
        and "cheapest A · X at $17.00" in priority
    )


def test_the_lead_names_the_tier_and_what_it_leaves_out(today):
    job = article_workload()
    left = compare.api_unpriced(job, today, service_tier="flex")
    lead = narrative.workload_lead(job, as_of=today.as_of, service_tier="flex", left_out_frame=left)
    assert "; APIs at their flex prices where published." in lead
    assert f"{len(left)} API offerings are not priced at the flex tier" in lead
    assert lead.endswith("none is priced at another tier instead.")
    assert narrative.left_out(left.iloc[0:0], service_tier="flex") == ""
    written = Workload(input_tokens=1e6, output_tokens=1e6, cache_write_tokens=1e6, cache_ttl="1h")
    assert "50% of the prompt written to a cache kept 1h" in narrative.workload_lead(
        written, as_of=today.as_of
    )


@pytest.mark.slow
def test_a_report_at_a_tier_refuses_chosen_offerings_without_it_before_any_kernel(tmp_path):
    done = run_cli(
        "report", "--out", str(tmp_path / "r"), "-p", "service_tier=priority",
        "-p", f"as_of={TODAY}",
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.splitlines()
    assert "'together-ai/meta-llama/Llama-3.3-70B-Instruct-Turbo' has no priority price" in line
    assert "(no priority tier in the source of its price observation)" in line
    assert not (tmp_path / "r").exists()
