"""Context windows and providers' default rules (issue 24, parts 2 and 3).

A request over an offering's window is refused by the provider, so the kit never prices it:
the offering is left out of the table with the reason. Figures worked by hand from the rows
named (data/prices/context_windows.csv, provider_rules.csv, api_prices.csv).
"""

from __future__ import annotations

import pandas as pd
import pytest

from infermodel import prices, tables
from infermodel.prices import service_tiers
from infermodel.pricing import compare, trace_pricing
from infermodel.readers import logs
from infermodel.tables import context_windows, provider_rules, registry, serving
from infermodel.workloads import Workload


@pytest.fixture(scope="module")
def no_diy():
    return serving.select(tables.load_serving(), "article").iloc[0:0]


@pytest.fixture(scope="module")
def today():
    return prices.as_of("2026-12-01")


@pytest.mark.slow
def test_a_300k_request_is_left_out_of_a_128k_model_with_its_reason(today, no_diy):
    # One request: 300,000 prompt tokens, 1,000 output. GPT-4o's window is 128,000 input
    # (context_windows.csv, litellm 1.110.2 max_input_tokens); GPT-5.4's is 1,050,000.
    one = Workload(input_tokens=300_000, output_tokens=1_000, requests=1)
    table = compare.cost_table(one, today, no_diy)
    assert "gpt-4o" not in set(table["model_id"])
    assert "gpt-5.4" in set(table["model_id"])
    left = compare.api_unpriced(one, today).set_index("offering_id")["reason"]
    assert left["openai/gpt-4o"] == (
        "prompt of 300,000 tokens above the 128,000-token context window (max input)"
    )
    # GPT-5.4 prices it at long context: 0.3 x 5 + 0.001 x 22.5 = 1.5225 USD
    assert table.set_index("model_id").loc["gpt-5.4", "cost_usd"] == pytest.approx(1.5225)


def test_an_output_over_the_max_output_is_refused(today):
    # GPT-4o: max output 16,384 tokens; 20,000 generated in one request is over it.
    long_answer = Workload(input_tokens=1_000, output_tokens=20_000, requests=1)
    left = compare.api_unpriced(long_answer, today).set_index("offering_id")["reason"]
    assert left["openai/gpt-4o"] == "output of 20,000 tokens above the 16,384-token max output"


def test_a_window_read_later_applies_before_its_date_and_an_unknown_one_checks_nothing():
    api = pd.DataFrame({"provider": ["OpenAI", "Example"], "model_id": ["gpt-4o", "nothing"]})
    windows = context_windows.windows_for(api, pd.Timestamp("2025-05-31"))
    assert windows.loc[0, "max_input_tokens"] == 128_000  # the 2026-12-01 reading
    assert pd.isna(windows.loc[1, "max_input_tokens"])
    reasons = context_windows.over_window(windows, prompt_tokens=10**7, output_tokens=1)
    assert reasons.tolist()[1] == ""


@pytest.mark.slow
def test_a_trace_with_one_request_over_the_window_leaves_the_offering_out(tmp_path, today):
    log = tmp_path / "log.csv"
    log.write_text("input_tokens,output_tokens\n1000,100\n300000,100\n2000,200\n", encoding="utf-8")
    trace = logs.read_trace(log)
    left = trace_pricing.api_unpriced(trace, today).set_index("offering_id")["reason"]
    assert left["openai/gpt-4o"] == (
        "1 request(s) above its context window (128,000 input / 16,384 output tokens; "
        "longest prompt 300,000, longest output 200 tokens)"
    )
    table = trace_pricing.price_trace(trace, today, serving.select(tables.load_serving()))
    assert "gpt-4o" not in set(table["model_id"])
    # GPT-5.4 takes all three: 1000 x 2.5 + 100 x 15, 300000 x 5 + 100 x 22.5 (above 272k),
    # 2000 x 2.5 + 200 x 15 = 0.004 + 1.50225 + 0.008 = 1.51425 USD
    row = table.set_index("model_id").loc["gpt-5.4"]
    assert row["cost_usd"] == pytest.approx(1.51425, rel=1e-12)
    assert row["long_context_requests"] == 1


# --------------------------------------------------------------------------------------
# Providers' default rules (provider_rules.csv)
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_fireworks_batch_is_half_the_list_price_by_its_rule(no_diy):
    # provider_rules.csv: Fireworks batch_discount 0.5 from 2026-12-06 (pricing page).
    # Llama 3.3 70B on Fireworks, 0.9 / 0.9 USD/Mtok: 1M in + 1M out = 1.8 standard, 0.9 batch.
    snapshot = prices.as_of("2026-12-06")
    job = Workload(1e6, 1e6)
    batch = compare.cost_table(job, snapshot, no_diy, service_tier="batch")
    fireworks = batch[batch["provider"] == "Fireworks AI"]
    assert len(fireworks) == (snapshot.api["provider"] == "Fireworks AI").sum()
    row = fireworks.set_index("model_id").loc["accounts/fireworks/models/llama-v3p3-70b-instruct"]
    assert row["cost_usd"] == pytest.approx(0.9)
    effective = service_tiers.for_snapshot(snapshot, service_tier="batch")
    assert set(effective.loc[snapshot.api["provider"] == "Fireworks AI", "tier_basis"]) <= {
        "listed",
        "provider rule",
    }
    # Before the rule's date (the page is undated: the day it was read), none is priced.
    earlier = compare.api_unpriced(job, prices.as_of("2026-12-01"), service_tier="batch")
    assert (earlier["provider"] == "Fireworks AI").sum() > 0


@pytest.mark.slow
def test_fireworks_cached_input_without_a_listed_price_takes_the_default_discount():
    # Llama 3.3 70B on Fireworks lists no cached price: 0.9 x (1 - 0.5) = 0.45 USD/Mtok by
    # the rule; without the rules (the other reading) cached tokens bill as input, 0.9.
    snapshot = prices.as_of("2026-12-06")
    at = snapshot.api.index[
        snapshot.api["model_id"] == "accounts/fireworks/models/llama-v3p3-70b-instruct"
    ][0]
    assert pd.isna(snapshot.api.loc[at, "usd_per_million_cached_input_tokens"])
    ruled = service_tiers.for_snapshot(snapshot)
    assert ruled.loc[at, "usd_per_million_cached_input_tokens"] == pytest.approx(0.45)
    plain = service_tiers.for_snapshot(snapshot, rules=provider_rules.no_provider_rules())
    assert plain.loc[at, "usd_per_million_cached_input_tokens"] == pytest.approx(0.9)
    # A listed cached price always wins: gpt-oss-120b on Fireworks lists its own.
    listed = snapshot.api.index[
        snapshot.api["model_id"] == "accounts/fireworks/models/gpt-oss-120b"
    ][0]
    assert ruled.loc[listed, "usd_per_million_cached_input_tokens"] == pytest.approx(
        snapshot.api.loc[listed, "usd_per_million_cached_input_tokens"]
    )


def test_a_rule_naming_no_offering_is_refused(tmp_path):
    rules = provider_rules.load_provider_rules()
    bad = rules.assign(provider="Fireworks", model_pattern="*")
    problems = registry.check_provider_rules(bad, tables.load_api_prices(), tmp_path / "r.csv")
    assert problems and "no API offering of this provider" in str(problems[0])
