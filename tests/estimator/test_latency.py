"""Capacity at a latency target, serving rows defined by one, and the estimator's own error.

Hand-worked case (data/model_specs.csv, data/gpu_specs.csv): Llama 3.1 8B in FP8 on one
H100 SXM with an FP8 KV cache, the pure roofline (no efficiency losses, no overheads), 100
input and 101 output tokens, so the average decode context is 100 + (101 - 1) / 2 = 150.

- weights W = 8.03e9 B; KV cache 2 x 32 layers x 8 KV heads x 128 x 1 B = 65,536 B/token;
  attention width x layers A = 32 x 4096 = 131,072;
- a steady-state step of b streams decodes b tokens and prefills b x 100 / 101 prompt tokens
  (the streams that replace finished ones): FLOPs = 2 x (b + 0.990099 b) x 8.03e9
  + b x 4 x A x 150 + 0.990099 b x 2 x A x 100 = b x 3.2065588e10, i.e. b x 1.6203744e-5 s at
  1978.9 TFLOP/s; bytes = W + b x (150 + 0.990099) x 65,536, i.e. 2.3970149e-3 + b x
  2.9538171e-6 s at 3.35 TB/s; the step (the ITL) is the larger: memory-bound up to b = 180,
  compute-bound from 181;
- prefill of one prompt alone, memory-bound: (W + 100 x 65,536) / 3.35e12 = 2.3989712e-3 s;
- TTFT(b) = 2.3989712e-3 + ITL(b).
"""

from __future__ import annotations

import io
import shutil

import numpy as np
import pandas as pd
import pytest

from infermodel import cli, prices, tables
from infermodel.analyses import sensitivity
from infermodel.errors import DataError, InputError
from infermodel.estimator import calibration, latency
from infermodel.formulas import roofline
from infermodel.pricing import compare
from infermodel.tables import registry, serving, serving_targets
from infermodel.workloads import Workload

#: Left out of make check: the published-latency checks run the fitted estimator (seconds).
pytestmark = pytest.mark.slow

CASE = ("Llama-3.1-8B", "H100-SXM-80GB", 1, "fp8", 100, 101)
HAND = dict(kv_cache_dtype="fp8", efficiency=roofline.IDEAL)


def hand_itl_ms(b: int) -> float:
    return max(b * 1.6203744e-5, 2.3970149e-3 + b * 2.9538171e-6) * 1e3


def hand_ttft_ms(b: int) -> float:
    return 2.3989712 + hand_itl_ms(b)


def test_itl_and_ttft_of_a_batch_are_the_hand_worked_step_times():
    rows = latency.latency_table(
        pd.DataFrame(
            [
                dict(
                    zip(("model", "gpu", "gpus", "precision"), CASE[:4], strict=True),
                    input_tokens=100,
                    output_tokens=101,
                    concurrency=b,
                    kv_cache_dtype="fp8",
                )
                for b in (10, 54, 300)
            ]
        ),
        efficiency=roofline.IDEAL,
    )
    for b, row in zip((10, 54, 300), rows.itertuples(), strict=True):
        assert row.itl_ms == pytest.approx(hand_itl_ms(b), rel=1e-6)
        assert row.ttft_ms == pytest.approx(hand_ttft_ms(b), rel=1e-6)
        # ITL is the reciprocal of the per-stream rate: batch / ITL is the replica's throughput
        assert row.output_tokens_per_second == pytest.approx(b / (row.itl_ms / 1e3), rel=1e-9)
    assert list(rows["decode_bound"]) == ["memory", "memory", "compute"]


def test_capacity_is_the_largest_batch_within_the_itl_target():
    # memory-bound b <= (3.0e-3 - 2.3970149e-3) / 2.9538171e-6 = 204 is past the crossover;
    # compute-bound b x 1.6203744e-5 <= 3.0e-3 -> b <= 185.1, so 185 streams
    cap = latency.capacity_at_latency(*CASE, itl_ms=3.0, **HAND)
    at = cap.set_index("reading").loc["at latency target"]
    assert at["batch"] == 185 and at["meets_target"] and at["limited_by"] == "itl"
    assert hand_itl_ms(185) <= 3.0 < hand_itl_ms(186)
    assert at["output_tokens_per_second"] == pytest.approx(185 / (at["itl_ms"] / 1e3))


def test_a_ttft_target_binds_when_it_is_the_tighter_one():
    # 2.3989712e-3 + 2.3970149e-3 + b x 2.9538171e-6 <= 5.0e-3  ->  b <= 69.07, so 69 streams
    cap = latency.capacity_at_latency(*CASE, itl_ms=1000, ttft_ms=5.0, **HAND)
    at = cap.set_index("reading").loc["at latency target"]
    assert at["batch"] == 69 and at["limited_by"] == "ttft"
    assert hand_ttft_ms(69) <= 5.0 < hand_ttft_ms(70)


def test_the_bracketing_sweep_finds_what_a_sweep_of_every_batch_finds():
    # 70B FP8 on two H100 under vLLM's defaults, fitted factors: every batch from 1 to the
    # largest, against the geometric sweep and its bracket
    args = ("Llama-3.3-70B", "H100-SXM-80GB", 2, "fp8", 2000, 500)
    top = int(latency.estimate(*args).loc[0, "max_batch"])
    every = latency.latency_table(
        pd.DataFrame(
            {**dict(zip(latency._SHAPE, args, strict=True)), "concurrency": range(1, top + 1)}
        )
    )
    for itl_ms, ttft_ms in ((30.0, None), (45.0, 1500.0), (1e4, None)):
        ok = every["itl_ms"] <= itl_ms
        if ttft_ms is not None:
            ok &= every["ttft_ms"] <= ttft_ms
        cap = latency.capacity_at_latency(*args, itl_ms=itl_ms, ttft_ms=ttft_ms).iloc[0]
        assert cap["batch"] == every.loc[ok, "batch"].max()
    assert latency.concurrency_grid(1000)[:4].tolist() == [1, 2, 3, 4]
    assert latency.concurrency_grid(1000)[-1] == 1000 and len(latency.concurrency_grid(1000)) <= 64


def test_a_loose_target_is_limited_by_memory_and_an_impossible_one_is_flagged():
    cap = latency.capacity_at_latency(*CASE, itl_ms=10_000, **HAND)
    at, top = cap.iloc[0], cap.iloc[1]
    assert at["batch"] == top["batch"] == top["max_batch"] and at["limited_by"] == "memory"
    # one stream alone needs 2.3970149e-3 + 2.9538171e-6 s = 2.4000 ms per token
    miss = latency.capacity_at_latency(*CASE, itl_ms=2.0, **HAND).iloc[0]
    assert not miss["meets_target"] and miss["batch"] == 1 and miss["limited_by"] == "unreachable"
    with pytest.raises(InputError, match="itl_ms must be a number"):
        latency.capacity_at_latency(*CASE, itl_ms=0)
    with pytest.raises(InputError, match="ttft_ms must be a number"):
        latency.capacity_at_latency(*CASE, itl_ms=5, ttft_ms=-1)


# --- serving rows defined by a latency target ---------------------------------------------


@pytest.mark.parametrize("sid", sorted(serving_targets.load_serving_targets()["assumption_id"]))
def test_shipped_latency_rows_are_the_estimators_capacity(sid):
    target = serving_targets.load_serving_targets().set_index("assumption_id").loc[sid]
    row = tables.load_serving().set_index("assumption_id").loc[sid]
    ttft = None if pd.isna(target["ttft_ms_target"]) else target["ttft_ms_target"]
    cap = latency.capacity_at_latency(
        target["model"],
        target["gpu"],
        int(target["gpus_per_replica"]),
        target["precision"],
        int(target["input_tokens"]),
        int(target["output_tokens"]),
        itl_ms=target["itl_ms_target"],
        ttft_ms=ttft,
    ).iloc[0]
    assert cap["meets_target"]
    assert row["output_tokens_per_hour_per_replica"] == pytest.approx(
        cap["output_tokens_per_second"] * 3600, rel=1e-6
    )
    assert row["mode"] == "realtime" and "Estimated, not measured" in row["note"]


def test_the_cost_table_prices_a_latency_target_row():
    sid = "latency-llama-3-3-70b-h100-sxm-x2-fp8-itl50"
    rows = serving.select(tables.load_serving(), [sid])
    table = compare.cost_table(
        Workload.from_total(20_000_000, output_share=1.0), prices.as_of("2026-12-01"), rows
    )
    diy = table[table["offering_id"].str.endswith("@" + sid)]
    assert len(diy) and (diy["gpu"] == "H100-SXM-80GB").all()
    tps = rows.loc[0, "tokens_per_second"]
    first = diy.iloc[0]
    # 20M tokens / (tps x 0.8 x 3600 s/h) replica-hours x 2 GPUs x the hourly price (x the
    # time spot capacity loses to interruptions, 1 on other rows)
    expected = 20_000_000 / (tps * 0.8 * 3600) * 2 * first["usd_per_gpu_hour"]
    expected *= first["spot_time_factor"]
    assert first["cost_usd"] == pytest.approx(expected, rel=1e-9)


def test_an_unreachable_target_is_refused_naming_file_line_and_field(tmp_path):
    path = tmp_path / "serving_latency_targets.csv"
    shipped = serving_targets.load_serving_targets()
    bad = shipped.iloc[[0]].assign(itl_ms_target=5.0)  # 70B on 2 GPUs: ~26 ms per token alone
    with pytest.raises(DataError, match=r"serving_latency_targets.csv:2: field 'itl_ms_target'"):
        latency.serving_rows(bad, targets_path=path)


def test_writing_the_rows_keeps_every_other_line(tmp_path):
    copy = tmp_path / "serving_assumptions.csv"
    shutil.copy(tables.paths.SERVING_CSV, copy)
    before = copy.read_bytes()
    written = latency.write_serving_rows(copy)
    assert copy.read_bytes() == before  # the shipped rows are already the generated ones
    lines = before.decode().splitlines(keepends=True)
    kept = [ln for ln in lines if not ln.startswith("latency-")]
    copy.write_text("".join(kept))
    assert latency.write_serving_rows(copy) == written
    assert copy.read_bytes() == before  # appended in the targets' order, as shipped


def test_a_target_without_its_serving_row_breaks_a_cross_table_rule():
    targets = serving_targets.load_serving_targets()
    serving_table = tables.load_serving()
    problems = registry.check_serving_targets(
        targets,
        serving_table[~serving_table["assumption_id"].str.startswith("latency-")],
        tables.load_model_specs(),
        set(tables.load_gpu_specs()["gpu"]),
        serving_targets.paths.SERVING_TARGETS_CSV,
    )
    assert len(problems) == len(targets) and "write_serving_rows" in str(problems[0])
    other = targets.assign(gpus_per_replica=8)
    problems = registry.check_serving_targets(
        other,
        serving_table,
        tables.load_model_specs(),
        set(tables.load_gpu_specs()["gpu"]),
        serving_targets.paths.SERVING_TARGETS_CSV,
    )
    assert {p.field for p in problems} == {"gpus_per_replica"}


# --- command line -------------------------------------------------------------------------

ARGS = ["throughput", "--model", "llama-3.3-70b", "--gpu", "H100-SXM-80GB", "--gpus", "2"]
ARGS += ["--precision", "fp8", "--input-tokens", "1000", "--output-tokens", "1000"]


def test_cli_itl_target_prints_the_capacity_beside_the_maximum(capsys):
    assert cli.main([*ARGS, "--itl-ms", "50", "--ttft-ms", "1000", "--format", "csv"]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("reading")
    expected = latency.capacity_at_latency(
        "Llama-3.3-70B", "H100-SXM-80GB", 2, "fp8", 1000, 1000, itl_ms=50, ttft_ms=1000
    ).set_index("reading")
    assert out.loc["at latency target", "batch"] == expected.loc["at latency target", "batch"]
    assert out.loc["at latency target", "itl_ms"] <= 50
    assert out.loc["maximum", "batch"] == out.loc["maximum", "max_batch"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--ttft-ms", "100"], "--ttft-ms needs --itl-ms"),
        (["--itl-ms", "50", "--concurrency", "8"], "not both"),
        (["--itl-ms", "-1"], "--itl-ms must be a number in (0,"),
    ],
)
def test_cli_bad_latency_options_exit_2_with_one_line(capsys, extra, message):
    assert cli.main([*ARGS, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


# --- the published latency the estimator is held to --------------------------------------


@pytest.fixture(scope="module")
def latency_checks() -> pd.DataFrame:
    measured = tables.load_measured()
    return latency.published_latency_checks(
        measured,
        calibration.fit_efficiency(measured),
        calibration.held_out_efficiencies(measured),
    )


def test_nim_holds_50_streams_at_60_ms_and_the_estimator_within_30_percent(latency_checks):
    # NVIDIA NIM 1.8.0, Llama 3.3 70B FP8 on 2 x H100, 5,000 in / 500 out: 50 concurrent
    # streams at a mean ITL of 59.73 ms (docs.nvidia.com/nim/benchmarking/llm/1.0.0/performance)
    nim = tables.load_measured().set_index("point_id").loc[latency.NIM_LATENCY_POINT]
    assert (nim["model"], nim["gpu"], nim["gpus"], nim["precision"]) == (
        "Llama-3.3-70B",
        "H100-SXM-80GB",
        2,
        "fp8",
    )
    assert (nim["input_tokens"], nim["output_tokens"], nim["concurrency"]) == (5000, 500, 50)
    assert nim["itl_ms"] == 59.73
    row = latency_checks.set_index("point_id").loc[latency.NIM_LATENCY_POINT]
    assert abs(row["streams_error_percent"]) <= 30
    assert abs(row["loso_streams_error_percent"]) <= 30  # fitted without NVIDIA's 145 points
    assert row["streams_error_percent"] == pytest.approx((row["streams_at_itl"] / 50 - 1) * 100)
    # the same capacity by the latency target itself: within one stream of the interpolation
    cap = latency.capacity_at_latency(
        "Llama-3.3-70B", "H100-SXM-80GB", 2, "fp8", 5000, 500, itl_ms=59.73, engine="trtllm",
        efficiency=calibration.fit_efficiency(tables.load_measured()),
    ).iloc[0]  # fmt: skip
    assert abs(cap["batch"] - row["streams_at_itl"]) <= 1


def test_every_published_itl_is_checked(latency_checks):
    measured = tables.load_measured()
    with_itl = measured[measured["itl_ms"].notna() & measured["concurrency"].notna()]
    assert set(latency_checks["point_id"]) <= set(with_itl["point_id"])
    assert len(latency_checks) >= 80 and latency_checks["publisher"].nunique() >= 3
    errors = latency_checks["loso_itl_error_percent"].abs()
    assert errors.median() < 30  # the estimated ITL at the measured concurrency
    assert (
        latency_checks["itl_error_percent"]
        == (latency_checks["estimated_itl_ms"] / latency_checks["itl_ms"] - 1) * 100
    ).all()


# --- the estimator's own error in the Monte Carlo -----------------------------------------


@pytest.fixture(scope="module")
def calibrated() -> pd.DataFrame:
    return calibration.calibration(tables.load_measured())


def test_monte_carlo_draws_throughput_from_the_estimators_errors(calibrated):
    fitted = calibrated[calibrated["fitted"]]
    factors = calibration.loso_throughput_factors(calibrated)
    expected = fitted["output_tokens_per_second"] / fitted["loso_estimated_tokens_per_second"]
    assert np.allclose(factors, np.sort(expected))
    inputs = sensitivity.throughput_distributions(
        {"utilization": 0.8, "tokens_per_hour_per_replica": ["lognormal", 1e6, 7.569e6]},
        "estimator",
        calibrated,
    )
    assert set(inputs) == {"utilization", "throughput_factor"}
    drawn = sensitivity.draw(inputs, draws=200_000, seed=7)["throughput_factor"]
    assert set(np.unique(drawn)) <= set(factors)
    # each point equally likely: the share of draws at or below the median point is ~1/2
    share = (drawn <= np.median(factors)).mean()
    assert share == pytest.approx(np.mean(factors <= np.median(factors)), abs=0.01)
    assert np.percentile(drawn, 90) == pytest.approx(np.percentile(factors, 90), rel=0.05)
    # the hand-set range is one parameter away
    ranged = sensitivity.throughput_distributions(
        {"tokens_per_hour_per_replica": ["lognormal", 1e6, 7.569e6]}, "range"
    )
    assert list(ranged) == ["tokens_per_hour_per_replica"]


def test_monte_carlo_draws_the_error_of_the_regime_at_hand(calibrated):
    # a dense model at full load on 2-4 GPUs: the points of that regime only
    regime = calibration.regime_for(
        {"model": "Llama-3.3-70B", "gpus": 2, "mode": "batch", "gpu": "H100-SXM-80GB"}
    )
    assert regime == {
        "architecture": "dense",
        "load": "65+ streams or maximum load",
        "parallelism": "2-4 GPUs",
        "vendor": "NVIDIA",
    }
    inside, kept = calibration.regime_points(calibrated, regime)
    groups = calibration.regimes_of(calibrated)
    expected = calibrated["fitted"].copy()
    for key, value in regime.items():
        expected &= groups[key] == value
    assert kept == regime and inside.sum() == expected.sum() >= calibration.MIN_REGIME_POINTS
    inputs = sensitivity.throughput_distributions({}, "estimator", calibrated, regime)
    points = calibrated[expected]
    ratio = points["output_tokens_per_second"] / points["loso_estimated_tokens_per_second"]
    assert inputs["throughput_factor"] == ["empirical", *np.sort(ratio.to_numpy())]
    # a regime with too few points drops its least telling groups until enough match
    rare = {"architecture": "mixture of experts", "vendor": "AMD", "engine": "TensorRT-LLM"}
    inside, kept = calibration.regime_points(calibrated, rare)
    assert "engine" not in kept and inside.sum() >= calibration.MIN_REGIME_POINTS
    with pytest.raises(InputError, match="unknown regime 'size'"):
        calibration.regime_points(calibrated, {"size": "big"})


def test_a_throughput_factor_divides_each_diy_cost():
    rows = serving.select(tables.load_serving(), ["article-batch-2m"])
    table = compare.cost_table(
        Workload.from_total(20_000_000, output_share=1.0), prices.as_of("2025-05-31"), rows
    )
    diy = (table["platform_type"] == "diy_gpu").to_numpy()
    costs = sensitivity.simulate_costs(table, {"throughput_factor": np.array([0.5, 2.0])})
    assert costs[diy, 0] == pytest.approx(table.loc[diy, "cost_usd"].to_numpy() / 0.5)
    assert costs[diy, 1] == pytest.approx(table.loc[diy, "cost_usd"].to_numpy() / 2.0)
    assert costs[~diy, 0] == pytest.approx(table.loc[~diy, "cost_usd"].to_numpy())
