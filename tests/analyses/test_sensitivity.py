"""Sweeps, tornado, grid and Monte Carlo: hand-worked values, properties and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from infermodel import prices, tables
from infermodel.analyses import sensitivity
from infermodel.pricing import compare
from infermodel.tables import serving
from infermodel.workloads import Workload, article_workload

AS_OF = "2025-05-31"
DIY = "runpod/H100-PCIe-80GB/community_cloud/on_demand@article-batch-2m"
API = "together-ai/meta-llama/Llama-3.3-70B-Instruct-Turbo"


@pytest.fixture(scope="module")
def snapshot():
    return prices.as_of(AS_OF)


@pytest.fixture(scope="module")
def table(snapshot):
    assumptions = serving.select(tables.load_serving(), ["article-batch-2m"])
    return compare.cost_table(article_workload(), snapshot, assumptions)


# --- the gap, by hand --------------------------------------------------------------------------


@pytest.mark.slow
def test_gap_matches_the_article_figures_worked_by_hand(table):
    # Together AI Llama 3.3 70B: $0.88/M in and out (data/prices/api_prices.csv, 2025-05).
    # RunPod H100 PCIe community: $1.99/GPU-h; the article's 2M tokens/h at utilization 0.8:
    # 1.99 / (2,000,000 x 0.8) x 1e6 = $1.24375/M tokens; gap = 0.88 - 1.24375 = -0.36375.
    base = sensitivity.pair_inputs(table, DIY, API, output_share=1.0)
    assert base["tokens_per_hour_per_replica"] == pytest.approx(2_000_000)
    assert sensitivity.gap_usd_per_million_tokens(**base) == pytest.approx(-0.36375)
    assert sensitivity.diy_usd_per_million_tokens(
        **{
            k: base[k]
            for k in (
                "utilization",
                "tokens_per_hour_per_replica",
                "usd_per_gpu_hour",
                "gpus_per_replica",
            )
        }
    ) == pytest.approx(1.24375)


def test_gap_counts_only_output_tokens_on_the_output_basis(table):
    base = sensitivity.pair_inputs(table, DIY, API, output_share=0.25)
    gap = sensitivity.gap_usd_per_million_tokens(**base, diy_token_basis="output")
    assert gap == pytest.approx(0.88 - 1.24375 * 0.25)


def test_unknown_offering_id_suggests_close_ones(table):
    with pytest.raises(
        ValueError,
        match=r"no DIY offering with id .*did you mean 'runpod/H100-PCIe-80GB/community_cloud/",
    ):
        sensitivity.pair_inputs(table, DIY.replace("2m", "3m"), API, output_share=1.0)
    with pytest.raises(ValueError, match="no API offering with id 'together-ai/llama-9'"):
        sensitivity.pair_inputs(table, DIY, "together-ai/llama-9", output_share=1.0)


def test_a_label_given_for_an_id_is_answered_with_the_id(table):
    with pytest.raises(ValueError, match="is a label, not an offering id; its id is 'openai/gpt"):
        sensitivity.pair_inputs(table, DIY, "OpenAI · GPT-4o", output_share=1.0)


# --- sweeps and tornado --------------------------------------------------------------------


@pytest.fixture
def base(table):
    return sensitivity.pair_inputs(table, DIY, API, output_share=1.0)


def test_one_way_includes_the_base_value_and_holds_the_rest(base):
    sweep = sensitivity.one_way(
        sensitivity.gap_usd_per_million_tokens, base, {"utilization": [0.5, 0.95]}, points=4
    )
    assert set(sweep["value"]) == {0.5, 0.65, 0.8, 0.95}
    at_base = sweep.loc[np.isclose(sweep["value"], 0.8), "result"].item()
    assert at_base == pytest.approx(-0.36375)


def test_tornado_ranks_by_swing_and_flags_a_flip(base):
    ranges = {
        "utilization": [0.3, 0.95],
        "tokens_per_hour_per_replica": [1_000_000, 7_569_000],
        "output_share": [0.25, 1.0],
    }
    frame = sensitivity.tornado(sensitivity.gap_usd_per_million_tokens, base, ranges)
    assert list(frame["swing"]) == sorted(frame["swing"], reverse=True)
    by_input = frame.set_index("input")
    # Together prices input and output alike, so the token mix cannot move the gap.
    assert by_input.loc["output_share", "swing"] == pytest.approx(0.0)
    # 7.569M tokens/h: 1.99 / (7.569e6 x 0.8) x 1e6 = $0.3286/M, under the API's $0.88.
    assert by_input.loc["tokens_per_hour_per_replica", "result_at_high"] == pytest.approx(
        0.88 - 1.99 / (7_569_000 * 0.8) * 1e6
    )
    assert bool(by_input.loc["tokens_per_hour_per_replica", "crosses_zero"])
    assert not bool(by_input.loc["utilization", "crosses_zero"])  # 1.99/(2M x 0.95) > 0.88


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        ({"utilization": [0.9, 0.3]}, r"utilization: range is \[low, high\] with low <= high"),
        ({"utilisation": [0.3, 0.9]}, "unknown input"),
        ({"utilization": [0.3]}, r"a sweep range is \[low, high\]"),
    ],
)
@pytest.mark.slow
def test_bad_sweep_ranges_are_named(base, ranges, message):
    with pytest.raises(ValueError, match=message):
        sensitivity.tornado(sensitivity.gap_usd_per_million_tokens, base, ranges)


def test_grid_has_one_row_per_y_and_one_column_per_x(base):
    surface = sensitivity.grid(
        sensitivity.diy_usd_per_million_tokens,
        base,
        ("utilization", [0.5, 1.0]),
        ("tokens_per_hour_per_replica", [1e6, 2e6, 4e6]),
    )
    assert surface.shape == (3, 2)
    assert surface.loc[2e6, 1.0] == pytest.approx(1.99 / 2e6 * 1e6)
    assert surface.loc[1e6, 0.5] == pytest.approx(1.99 / 0.5e6 * 1e6)


# --- distributions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (["uniform", 0.9, 0.2], "inverted range"),
        (["triangular", 0.2, 0.95, 0.8], r"low <= mode <= high"),
        (["normal", 0.2, 0.8], r"unknown distribution 'normal'.*valid: fixed, uniform"),
        (["trianglar", 0.2, 0.5, 0.8], "did you mean 'triangular'"),
        (["uniform", 0.2], r"takes 2 parameter\(s\) \(low, high\), got 1"),
        (["uniform", "low", 0.8], "must be numbers"),
        (["lognormal", 0, 5], "p10 > 0"),
        ("0.5", r"\[kind, parameters...\]"),
    ],
)
def test_bad_distributions_are_named(spec, message):
    with pytest.raises(ValueError, match=message):
        sensitivity.Distribution.parse("utilization", spec)


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        ({"utilization": ["uniform", 0.5, 1.2]}, r"utilization: values must lie in \(0, 1\]"),
        ({"output_share": ["uniform", -0.1, 0.5]}, r"output_share: values must lie in \[0, 1\]"),
        ({"utilisation": 0.5}, "did you mean 'utilization'"),
        ({"usd_per_gpu_hour_factor": ["fixed", 0]}, r"\(0, inf\)"),
    ],
)
def test_inputs_outside_their_valid_values_are_refused(specs, message):
    with pytest.raises(ValueError, match=message):
        sensitivity.parse_distributions(specs)


@pytest.mark.parametrize("draws", [0, -5, 2.5, True])
def test_draw_count_must_be_a_positive_whole_number(draws):
    with pytest.raises(ValueError, match="draws must be a whole number >= 1"):
        sensitivity.draw({"utilization": 0.8}, draws=draws)


def test_same_seed_same_numbers_other_seed_other_numbers():
    specs = {"utilization": ["triangular", 0.5, 0.8, 0.95]}
    first = sensitivity.draw(specs, draws=1000, seed=3)["utilization"]
    again = sensitivity.draw(specs, draws=1000, seed=3)["utilization"]
    other = sensitivity.draw(specs, draws=1000, seed=4)["utilization"]
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_lognormal_is_given_by_its_p10_and_p90():
    values = sensitivity.draw(
        {"tokens_per_hour_per_replica": ["lognormal", 1e6, 7.569e6]}, draws=400_000
    )["tokens_per_hour_per_replica"]
    p10, p50, p90 = np.percentile(values, [10, 50, 90])
    assert p10 == pytest.approx(1e6, rel=0.01)
    assert p90 == pytest.approx(7.569e6, rel=0.01)
    assert p50 == pytest.approx(np.sqrt(7.569e12), rel=0.01)


def test_bounded_distributions_stay_in_bounds():
    samples = sensitivity.draw(
        {"utilization": ["uniform", 0.3, 0.6], "output_share": ["triangular", 0.1, 0.2, 0.9]},
        draws=50_000,
    )
    assert samples["utilization"].min() >= 0.3 and samples["utilization"].max() <= 0.6
    assert samples["output_share"].min() >= 0.1 and samples["output_share"].max() <= 0.9


# --- Monte Carlo -----------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    output_share=st.floats(0.0, 1.0),
    cached_share=st.floats(0.0, 1.0),
    batch=st.booleans(),
    basis=st.sampled_from(["total", "output"]),
)
@pytest.mark.slow
def test_without_uncertainty_the_simulation_is_the_cost_table(
    snapshot, output_share, cached_share, batch, basis
):
    workload = Workload.from_total(
        5e6, output_share=output_share, cached_input_share=cached_share, requests=1000
    )
    # The output basis of a workload without output tokens is refused (test_silently_wrong).
    assume(basis == "total" or workload.output_tokens > 0)
    assumptions = serving.select(tables.load_serving(), "all")
    table = compare.cost_table(
        workload, snapshot, assumptions, use_batch_api=batch, diy_token_basis=basis
    )
    costs = sensitivity.simulate_costs(table, {}, diy_token_basis=basis)
    np.testing.assert_allclose(costs[:, 0], table["cost_usd"], rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(
    low=st.floats(0.05, 0.9),
    width=st.floats(0.0, 0.1),
    p10=st.floats(1e5, 1e7),
    spread=st.floats(1.0, 10.0),
    seed=st.integers(0, 2**32 - 1),
)
@pytest.mark.slow
def test_percentiles_are_ordered(table, low, width, p10, spread, seed):
    result = sensitivity.monte_carlo(
        table,
        {
            "utilization": ["uniform", low, low + width],
            "tokens_per_hour_per_replica": ["lognormal", p10, p10 * spread],
        },
        draws=2_000,
        seed=seed,
    )
    summary = result.summary
    assert (summary["p10_cost_usd"] <= summary["p50_cost_usd"] + 1e-12).all()
    assert (summary["p50_cost_usd"] <= summary["p90_cost_usd"] + 1e-12).all()
    assert ((result.beats >= 0) & (result.beats <= 1)).all().all()


@settings(max_examples=15, deadline=None)
@given(width=st.sampled_from([1e-1, 1e-2, 1e-3, 1e-4]), seed=st.integers(0, 1000))
@pytest.mark.slow
def test_median_approaches_the_deterministic_value_as_ranges_shrink(table, width, seed):
    tph = 2_000_000
    result = sensitivity.monte_carlo(
        table,
        {
            "utilization": ["triangular", 0.8 * (1 - width), 0.8, 0.8 * (1 + width)],
            "tokens_per_hour_per_replica": ["lognormal", tph * (1 - width), tph * (1 + width)],
        },
        draws=5_000,
        seed=seed,
    )
    diy = result.summary["platform_type"] == "diy_gpu"
    relative = (result.summary["p50_cost_usd"] / result.summary["cost_usd"] - 1).abs()
    assert (relative[diy] <= 3 * width).all()
    assert (relative[~diy] == 0).all()


@pytest.mark.slow
def test_probability_that_diy_beats_an_api_is_counted_draw_by_draw(table):
    # Throughput uniform on [1M, 3M] tokens/h at utilization 0.8 on a $1.99 GPU: DIY is under
    # Together's $0.88/M when 1.99 / (0.8 t) < 0.88e-6, i.e. t > 2.8267M: P = (3 - 2.8267)/2.
    result = sensitivity.monte_carlo(
        table,
        {"tokens_per_hour_per_replica": ["uniform", 1e6, 3e6], "utilization": 0.8},
        draws=400_000,
    )
    expected = (3e6 - 1.99 / (0.8 * 0.88e-6)) / 2e6
    assert result.beats.loc[DIY, API] == pytest.approx(expected, abs=0.005)
    assert result.inputs.set_index("input").loc["utilization", "distribution"] == (
        "fixed(value 0.8)"
    )


def test_api_price_factor_and_gpu_price_factor_scale_their_rows(table):
    samples = {"api_price_factor": np.array([0.5]), "usd_per_gpu_hour_factor": np.array([2.0])}
    costs = sensitivity.simulate_costs(table, samples)[:, 0]
    api = (table["platform_type"] != "diy_gpu").to_numpy()
    np.testing.assert_allclose(costs[api], table.loc[api, "cost_usd"] * 0.5)
    np.testing.assert_allclose(costs[~api], table.loc[~api, "cost_usd"] * 2.0)


def test_a_table_of_two_workloads_is_refused(table):
    mixed = pd.concat([table, table.assign(total_tokens=1.0)], ignore_index=True)
    with pytest.raises(ValueError, match="one workload"):
        sensitivity.simulate_costs(mixed, {})


def test_the_monte_carlo_is_centred_on_the_pages_utilization():
    # The page at utilization 0.5 with the default triangular(0.5, 0.8, 0.95): scaled by
    # 0.5 / 0.8 = 0.625 to (0.3125, 0.5, 0.59375), the same relative spread around 0.5.
    default = {"utilization": ["triangular", 0.5, 0.8, 0.95], "output_share": 0.5}
    centred, moved = sensitivity.centre_on(default, {"utilization": 0.5, "output_share": 1.0})
    assert centred["utilization"].parameters == pytest.approx((0.3125, 0.5, 0.59375))
    assert centred["output_share"].parameters == (1.0,)
    assert len(moved) == 2 and moved[0].startswith("utilization: triangular(low 0.5")
    # Near the top the scaled spread is kept within (0, 1].
    high, _ = sensitivity.centre_on(default, {"utilization": 0.95})
    assert high["utilization"].parameters == pytest.approx((0.59375, 0.95, 1.0))
    # Already centred: nothing moves.
    same, moved = sensitivity.centre_on(default, {"utilization": 0.8})
    assert moved == [] and same["utilization"].parameters == (0.5, 0.8, 0.95)
    # A lognormal keeps its P90/P10 ratio around the page's median.
    rate = {"tokens_per_hour_per_replica": ["lognormal", 1e6, 4e6]}
    moved_rate, _ = sensitivity.centre_on(rate, {"tokens_per_hour_per_replica": 4e6})
    assert moved_rate["tokens_per_hour_per_replica"].parameters == pytest.approx((2e6, 8e6))


def test_the_monte_carlo_median_follows_the_pages_utilization(snapshot):
    # The case: at utilization 0.5 the page's median fell below its own base case,
    # the draws staying around 0.8. Centred, the median DIY cost sits near the base case
    # (a little above: the scaled triangle's longer tail is below 0.5, and cost goes as 1/u).
    workload = Workload.from_total(20_000_000, output_share=1.0)
    rows = serving.select(tables.load_serving(), ["article-batch-2m"])
    table = compare.cost_table(workload, snapshot, rows, utilization=0.5)
    default = {"utilization": ["triangular", 0.5, 0.8, 0.95]}
    centred, _ = sensitivity.centre_on(default, {"utilization": 0.5})
    mc = sensitivity.monte_carlo(table, centred, draws=20_000, seed=1)
    diy = mc.summary[mc.summary["platform_type"] == "diy_gpu"].iloc[0]
    assert diy["cost_usd"] <= diy["p50_cost_usd"] <= 1.1 * diy["cost_usd"]
    stale = sensitivity.monte_carlo(table, default, draws=20_000, seed=1)
    old = stale.summary[stale.summary["platform_type"] == "diy_gpu"].iloc[0]
    assert old["p50_cost_usd"] < 0.7 * old["cost_usd"]
