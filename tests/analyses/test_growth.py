"""Monthly DIY cost in whole steps, break-even volumes and the maturity path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from infermodel import formulas, prices, tables
from infermodel.analyses import growth
from infermodel.pricing import compare
from infermodel.tables import serving
from infermodel.units import HOURS_PER_MONTH
from infermodel.workloads import Workload

# One replica at 1,000 tokens/s and utilization 0.5 serves 1.8M tokens per hour,
# 1.8M x 730.5 h = 1,314.9M tokens per month; on one $2/h GPU it costs 2 x 730.5 = $1,461.
TPS, UTIL, PRICE = 1000.0, 0.5, 2.0
CAPACITY = 1.8e6 * HOURS_PER_MONTH
STEP = 2.0 * HOURS_PER_MONTH


def test_always_on_cost_is_whole_replicas_for_the_month():
    cost = formulas.diy_monthly_cost_usd(
        np.array([0, 1, CAPACITY, CAPACITY + 1, 2_000e6]), TPS, UTIL, PRICE
    )
    np.testing.assert_allclose(cost, [STEP, STEP, STEP, 2 * STEP, 2 * STEP])


def test_per_hour_cost_is_whole_hours_plus_the_replicas_kept_up():
    # 2.0M tokens at 1.8M tokens per replica-hour: 2 whole hours = $4, plus $100 fixed.
    cost = formulas.diy_monthly_cost_usd(
        2e6, TPS, UTIL, PRICE, billing="per_hour", min_replicas=0, fixed_usd_per_month=100
    )
    assert cost == pytest.approx(104.0)
    kept_up = formulas.diy_monthly_cost_usd(2e6, TPS, UTIL, PRICE, billing="per_hour")
    assert kept_up == pytest.approx(STEP)


def test_break_even_by_hand_on_the_flat_first_replica():
    # API at $5/M: one replica's $1,461 buys 292.2M API tokens, within its 1,314.9M capacity.
    first, always = formulas.break_even_tokens_per_month(5.0, TPS, UTIL, PRICE)
    assert first == pytest.approx(STEP / 5e-6)
    assert always == pytest.approx(first)  # at 1,314.9M the API bill ($6,574) covers 2 replicas


def test_break_even_by_hand_with_a_fixed_cost():
    # $5,000 fixed: k replicas break even when k x (5e-6 x C - 1461) >= 5000 - ... solved exactly:
    # a full replica saves 6574.5 - 1461 = 5113.5 per month, so one replica cannot cover
    # 1461 + 5000 = 6461 until 1,292.2M tokens (inside its capacity of 1,314.9M).
    first, _ = formulas.break_even_tokens_per_month(5.0, TPS, UTIL, PRICE, fixed_usd_per_month=5000)
    assert first == pytest.approx((STEP + 5000) / 5e-6)


def test_no_break_even_when_a_busy_replica_costs_more_than_the_api():
    # The article's reading: $1.99 GPU, 2M tokens/h, utilization 0.8 -> $1.244/M > $0.88/M.
    first, always = formulas.break_even_tokens_per_month(0.88, 2e6 / 3600, 0.8, 1.99)
    assert np.isnan(first) and np.isnan(always)


def test_break_even_utilization_by_hand():
    # A busy H100 at $1.99 and 2M tokens/h costs $0.995/M: it matches $0.88/M only above 100%.
    assert formulas.break_even_utilization(0.88, 2e6 / 3600, 1.99) == pytest.approx(0.995 / 0.88)
    # Against $2/M it needs 0.995 / 2 = 49.75% busy; $500 fixed over 1,000M tokens adds $0.5/M.
    assert formulas.break_even_utilization(2.0, 2e6 / 3600, 1.99) == pytest.approx(0.4975)
    with_fixed = formulas.break_even_utilization(
        2.0, 2e6 / 3600, 1.99, tokens_per_month=1e9, fixed_usd_per_month=500
    )
    assert with_fixed == pytest.approx(0.995 / 1.5)


def test_break_even_at_a_tie_between_a_step_and_the_api_by_hand():
    # One GPU at $1/h serves 3.6M tokens/h; the API charges $1/3 per M, so a full hour's
    # tokens cost $1.20 on it and k steps match the API at step 6's start exactly (6 x $1 =
    # 18M x $1/3M). The API wins just after each of steps 2-5 starts; from step 5's
    # break-even (15M tokens, $5) self-hosting is never dearer. Rounding once put that at
    # step 6's tie (per hour: "always" 3M; always on: one month-step late).
    for billing, hours in (("per_hour", 1), ("always_on", HOURS_PER_MONTH)):
        first, always = formulas.break_even_tokens_per_month(
            1 / 3, 1000.0, 1.0, 1.0, min_replicas=0, billing=billing
        )
        assert first == pytest.approx(3e6 * hours, rel=1e-12)
        assert always == pytest.approx(15e6 * hours, rel=1e-12)


deployments = st.fixed_dictionaries(
    {
        "tokens_per_second": st.floats(50, 5000),
        "utilization": st.floats(0.1, 1.0),
        "usd_per_gpu_hour": st.floats(0.2, 10),
        "gpus_per_replica": st.integers(1, 8),
        "min_replicas": st.integers(0, 3),
        "fixed_usd_per_month": st.sampled_from([0.0, 300.0, 5000.0]),
        "billing": st.sampled_from(["always_on", "per_hour"]),
    }
)


@settings(max_examples=120, deadline=None)
@given(api=st.floats(0.05, 200), deployment=deployments)
def test_break_even_agrees_with_a_brute_force_search(api, deployment):
    kw = dict(deployment)
    args = (kw.pop("tokens_per_second"), kw.pop("utilization"), kw.pop("usd_per_gpu_hour"))
    first, always = formulas.break_even_tokens_per_month(api, *args, **kw)
    if np.isnan(first):
        return
    diy = lambda v: formulas.diy_monthly_cost_usd(v, *args, **kw)  # noqa: E731
    bill = lambda v: v * api / 1e6  # noqa: E731
    slack = 1e-9 * (1 + bill(first))
    assert diy(first) <= bill(first) + slack
    below = np.linspace(0, first, 2001)[:-1]
    assert (diy(below) > bill(below) - slack).all()
    if not np.isnan(always):
        beyond = np.linspace(always, always * 20 + 1, 4001)
        assert (diy(beyond) <= bill(beyond) * (1 + 1e-9) + slack).all()
        if always > first:
            just_below = always * (1 - 1e-9)
            assert diy(just_below) > bill(just_below) - slack


@settings(max_examples=80, deadline=None)
@given(low=st.floats(0.05, 100), factor=st.floats(1.0, 10.0), deployment=deployments)
def test_break_even_volume_falls_as_the_api_price_rises(low, factor, deployment):
    kw = dict(deployment)
    args = (kw.pop("tokens_per_second"), kw.pop("utilization"), kw.pop("usd_per_gpu_hour"))
    cheap, _ = formulas.break_even_tokens_per_month(low, *args, **kw)
    dear, _ = formulas.break_even_tokens_per_month(low * factor, *args, **kw)
    assume(not np.isnan(cheap))
    assert not np.isnan(dear)
    assert dear <= cheap * (1 + 1e-12)


# --- tables over a cost table ----------------------------------------------------------------


@pytest.fixture(scope="module")
def table():
    snapshot = prices.as_of("2025-05-31")
    assumptions = serving.select(
        tables.load_serving(), ["article-batch-2m", "measured-trtllm-h100x2-fp8"]
    )
    return compare.cost_table(Workload.from_total(1e6, output_share=1.0), snapshot, assumptions)


@pytest.mark.slow
def test_break_even_table_pairs_every_api_with_every_diy_option(table):
    even = growth.break_even_table(table, tokens_per_month=1e9)
    api = (table["platform_type"] != "diy_gpu").sum()
    diy = (table["platform_type"] == "diy_gpu").sum()
    assert len(even) == api * diy
    never = even["break_even_million_tokens_per_month"].isna()
    assert never.any() and (~never).any()
    assert even.loc[never, "reason"].str.startswith("price: a busy replica costs").all()
    assert (even.loc[~never, "reason"] == "").all()
    row = even[
        (even["api_offering_id"] == "openai/gpt-4o")
        & (
            even["diy_offering_id"]
            == "runpod/H100-PCIe-80GB/community_cloud/on_demand@article-batch-2m"
        )
    ].iloc[0]
    # One always-on H100 at $1.99/h: $1,453.70 a month buys 145.37M GPT-4o output tokens ($10/M).
    assert row["break_even_million_tokens_per_month"] == pytest.approx(1.99 * HOURS_PER_MONTH / 10)
    assert row["replicas_at_break_even"] == 1


def test_capacity_limit_is_a_reason_too(table):
    even = growth.break_even_table(table, min_replicas=0, max_replicas=1, fixed_usd_per_month=1e6)
    capped = even["reason"].str.startswith("capacity:")
    assert capped.any()
    assert even.loc[capped, "break_even_million_tokens_per_month"].isna().all()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"billing": "monthly"}, "billing must be one of always_on, per_hour"),
        ({"min_replicas": -1}, "min_replicas must be a whole number >= 0"),
        ({"min_replicas": 1.5}, "min_replicas must be a whole number >= 0"),
        ({"fixed_usd_per_month": -5.0}, "fixed_usd_per_month must be >= 0"),
        ({"max_replicas": 0}, "max_replicas must be a whole number"),
    ],
)
@pytest.mark.slow
def test_bad_deployment_options_are_named(table, options, message):
    with pytest.raises(ValueError, match=message):
        growth.break_even_table(table, **options)


def test_volume_path_grows_then_holds():
    path = growth.volume_path(1e6, growth_multiple=100, growth_months=6, horizon_months=9)
    assert list(path["month"]) == list(range(1, 10))
    assert path["tokens_per_month"].iloc[0] == pytest.approx(1e6)
    assert path["tokens_per_month"].iloc[6] == pytest.approx(1e8)
    assert path["tokens_per_month"].iloc[8] == pytest.approx(1e8)
    ratios = path["tokens_per_month"].iloc[1:7].to_numpy() / path["tokens_per_month"].iloc[:6]
    np.testing.assert_allclose(ratios, 100 ** (1 / 6))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"horizon_months": -3}, "horizon_months must be a whole number of months >= 1"),
        ({"horizon_months": 0}, "horizon_months must be a whole number of months >= 1"),
        ({"growth_months": 2.5}, "growth_months must be a whole number of months >= 1"),
        ({"growth_multiple": -1.0}, "growth_multiple must be > 0"),
    ],
)
def test_bad_growth_paths_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        growth.volume_path(1e6, **options)


def test_bad_start_volume_is_named():
    with pytest.raises(ValueError, match="start_tokens_per_month must be > 0"):
        growth.volume_path(0.0)


STAGES = {
    "proprietary_api": "openai/gpt-4o",
    "managed_api": "together-ai/meta-llama/Llama-3.3-70B-Instruct-Turbo",
    "diy_gpu": "runpod/H100-SXM-80GB/community_cloud/on_demand@measured-trtllm-h100x2-fp8",
}


def test_maturity_path_switches_pay_back_by_hand(table):
    path = growth.volume_path(50e6, growth_multiple=100, growth_months=6, horizon_months=12)
    monthly, events = growth.maturity_path(
        table, path, STAGES, switching_cost_usd=20_000, shock_usd_per_month=10_000
    )
    wide = monthly.pivot_table(index="month", columns="stage", values="cost_usd_per_month")
    volume = path.set_index("month")["tokens_per_month"]
    np.testing.assert_allclose(wide["proprietary_api"], volume * 10 / 1e6)  # GPT-4o $10/M out
    np.testing.assert_allclose(wide["managed_api"], volume * 0.88 / 1e6)
    saving = wide["proprietary_api"] - wide["managed_api"]
    paid = saving.cumsum()
    switch = events.set_index("event")
    assert switch.loc["switch proprietary_api -> managed_api", "cheaper_from_month"] == 1
    assert (
        switch.loc["switch proprietary_api -> managed_api", "pays_back_in_month"]
        == (paid[paid >= 20_000].index[0])
    )
    shock = wide["proprietary_api"][wide["proprietary_api"] >= 10_000].index[0]
    assert switch.loc["bill shock on proprietary_api", "shock_month"] == shock
    cumulative = monthly[monthly["stage"] == "managed_api"]["cumulative_cost_usd"]
    assert cumulative.iloc[-1] == pytest.approx(wide["managed_api"].sum())
    assert (monthly.groupby("month")["cheapest"].sum() >= 1).all()


def test_maturity_path_refuses_a_stage_given_the_wrong_kind_of_offering(table):
    path = growth.volume_path(1e6)
    with pytest.raises(ValueError, match="is a proprietary_api offering, not managed_api"):
        growth.maturity_path(table, path, {"managed_api": "openai/gpt-4o"})
    with pytest.raises(ValueError, match="offerings takes stages"):
        growth.maturity_path(table, path, {"gpu": "x"})
    with pytest.raises(ValueError, match="switching_cost_usd must be >= 0"):
        growth.maturity_path(table, path, STAGES, switching_cost_usd=-1)
