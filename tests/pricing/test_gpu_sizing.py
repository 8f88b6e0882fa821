"""Rented GPUs billed as billed: tiny logs worked by hand, the command line, reservations.

The GPU is RunPod's Serverless H100 (flex) at $0.00116 a second = $4.176 an hour
(data/prices/gpu_prices.csv, 2026-12-01; idle timeout 5 s by default, billed by the second:
data/prices/gpu_billing_rules.csv) under the article's 2M tokens/hour serving assumption:
2,000,000 / 3,600 = 555.55... tokens a second, so a request of 5,000 tokens is 9 s of work.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from infermodel import cli, narrative, paths, prices, tables
from infermodel.analyses import commitments, growth
from infermodel.errors import InputError, TableError
from infermodel.pricing import compare, gpu_sizing, trace_pricing
from infermodel.readers import logs
from infermodel.tables import gpu_billing, serving
from infermodel.units import HOURS_PER_MONTH

AS_OF = "2026-12-01"
OFFERING = "runpod/H100-SXM-80GB/serverless/on_demand@article-batch-2m"
USD_PER_SECOND = 4.176 / 3600
COLD = 30.0  # the kit's default cold start [s]


@pytest.fixture(scope="module")
def snapshot():
    return prices.as_of(AS_OF).select(providers=["RunPod"])


@pytest.fixture(scope="module")
def batch_2m():
    return serving.select(tables.load_serving(), ["article-batch-2m"])


def write_log(tmp_path: Path, *seconds: int) -> Path:
    """A log with one 5,000-token request (4,500 prompt + 500 output) at each second."""
    rows = [
        f"2026-11-02 10:00:{s:02d},4500,500"
        if s < 60
        else f"2026-11-02 10:{s // 60:02d}:{s % 60:02d},4500,500"
        for s in seconds
    ]
    path = tmp_path / "log.csv"
    path.write_text("timestamp,input_tokens,output_tokens\n" + "\n".join(rows) + "\n")
    return path


def serverless_row(path, snapshot, batch_2m, **options) -> pd.Series:
    trace = logs.read_trace(path)
    table = trace_pricing.price_trace(
        trace, snapshot, batch_2m, diy_sizing="serverless",
        sizing_options=gpu_sizing.Options(**options),
    )  # fmt: skip
    return table.set_index("offering_id").loc[OFFERING]


@pytest.mark.slow
def test_one_burst_is_billed_its_start_work_and_idle_timeout(tmp_path, snapshot, batch_2m):
    row = serverless_row(write_log(tmp_path, 0), snapshot, batch_2m)
    # 30 s cold start + 9 s of work + 5 s (RunPod's default idle timeout) = 44 s.
    assert row["cost_usd_serverless"] == pytest.approx(44 * USD_PER_SECOND)
    assert row["cost_usd"] == row["cost_usd_serverless"]
    # Sized for the peak: one replica for the log's minute, 60 s, plus its 30 s start.
    assert row["cost_usd_peak_sized"] == pytest.approx(90 * USD_PER_SECOND)
    assert (row["cold_starts"], row["idle_timeout_s"]) == (1, 5)
    assert row["added_latency_s_mean"] == pytest.approx(COLD)  # the one request waits 30 s


@pytest.mark.slow
def test_two_bursts_closer_and_farther_than_the_idle_timeout(tmp_path, snapshot, batch_2m):
    path = write_log(tmp_path, 0, 20)  # steps of 10 s: the replica idles 20 - 9 = 11 s between
    far = serverless_row(path, snapshot, batch_2m, scale_interval_s=10)
    # 11 s > 5 s: it stops, and the second request starts a new one: 2 x (30 + 9 + 5) = 88 s.
    assert far["cost_usd_serverless"] == pytest.approx(88 * USD_PER_SECOND)
    assert far["cold_starts"] == 2
    near = serverless_row(path, snapshot, batch_2m, scale_interval_s=10, idle_timeout_s=15)
    # 11 s <= 15 s: one replica, warm for the second: 30 + 9 + 11 + 9 + 15 = 74 s.
    assert near["cost_usd_serverless"] == pytest.approx(74 * USD_PER_SECOND)
    assert near["cold_starts"] == 1
    assert near["added_latency_s_mean"] == pytest.approx(COLD / 2)  # one of two waits
    free = serverless_row(path, snapshot, batch_2m, scale_interval_s=10, idle_timeout_s=0,
                          cold_start_s=0)  # fmt: skip
    assert free["cost_usd_serverless"] == pytest.approx(18 * USD_PER_SECOND)  # the work only
    assert free["cost_usd_serverless"] <= free["cost_usd_autoscaled"] <= free["cost_usd_peak_sized"]


@pytest.mark.slow
def test_pods_are_left_out_of_serverless_and_named(tmp_path, capsys):
    path = write_log(tmp_path, 0, 20)
    status = cli.main(
        ["trace", str(path), "--as-of", AS_OF, "--provider", "RunPod", "--serving",
         "article-batch-2m", "--diy-sizing", "serverless", "--scale-interval-s", "10",
         "--format", "csv"]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(captured.out)))
    assert {r["tier"] for r in rows} == {"serverless"}
    row = next(r for r in rows if r["offering_id"] == OFFERING)
    assert float(row["cost_usd"]) == pytest.approx(88 * USD_PER_SECOND)
    left = [line for line in captured.err.splitlines() if line.startswith("Left out")]
    assert len(left) == 1 and "GPU offering(s)" in left[0] and "do not scale to zero" in left[0]
    # 16 pods (14, plus the B200 and B300 Secure Cloud pods of issue 24)
    assert "(16: runpod/" in left[0] and "community_cloud/spot" in left[0]


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--idle-timeout-s", "-1", "--idle-timeout-s must be a number in [0, 86400]"),
        ("--cold-start-s", "soon", "--cold-start-s must be a number"),
        ("--scale-interval-s", "2.5", "--scale-interval-s must be a whole number"),
        ("--min-replicas", "-2", "--min-replicas must be a whole number >= 0"),
    ],
)
def test_a_bad_sizing_option_is_one_line(tmp_path, capsys, option, value, words):
    status = cli.main(["trace", str(write_log(tmp_path, 0)), option, value])
    err = capsys.readouterr().err
    assert status == 2 and words in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_min_replicas_run_the_whole_log(tmp_path, snapshot, batch_2m):
    # One always-on replica bills the log's minute (60 s) and takes the request: no start.
    row = serverless_row(write_log(tmp_path, 0), snapshot, batch_2m, min_replicas=1)
    assert row["cost_usd_serverless"] == pytest.approx(60 * USD_PER_SECOND)
    assert row["cold_starts"] == 0 and row["added_latency_s_mean"] == 0


@pytest.mark.slow
def test_an_eight_gpu_node_is_billed_whole(tmp_path):
    # Lambda's 8x tier is an 8-GPU node (gpu_billing_rules.csv): a 1-GPU replica alone on it
    # pays for 8 GPUs; the utilization says how little of that it uses.
    snapshot = prices.as_of(AS_OF).select(providers=["Lambda"])
    assumptions = serving.select(tables.load_serving(), ["article-batch-2m"])
    trace = logs.read_trace(write_log(tmp_path, 0))
    options = gpu_sizing.Options(cold_start_s=0)
    table = trace_pricing.price_trace(
        trace, snapshot, assumptions, diy_sizing="peak", sizing_options=options
    )
    node = table[table["tier"] == "8x_node"].iloc[0]
    assert node["gpus_per_instance"] == 8 and node["replicas_peak"] == 1
    # One node for the minute: 8 GPUs x 60 s at the per-GPU rate.
    assert node["cost_usd"] == pytest.approx(8 * 60 / 3600 * node["usd_per_gpu_hour"])
    assert node["utilization_peak_sized"] == pytest.approx(9 / (8 * 60))


def test_spot_pays_its_interruptions(snapshot, batch_2m):
    # RunPod spot: 0.1 interruptions an hour, 120 s restart (the kit's stated assumption), plus
    # one mean request redone: a 20M-token job in 10,000 requests is 2,000 tokens = 3.6 s.
    workload = compare.Workload.from_total(20_000_000, output_share=1.0, requests=10_000)
    table = compare.cost_table(workload, snapshot, batch_2m)
    spot = table[table["pricing"] == "spot"].iloc[0]
    factor = 1 / (1 - 0.1 * (120 + 2000 / (2e6 / 3600)) / 3600)
    assert spot["spot_time_factor"] == pytest.approx(factor)
    hours = 20e6 / (2e6 * 0.8)  # the article's formula before interruptions
    assert spot["cost_usd"] == pytest.approx(hours * factor * spot["usd_per_gpu_hour"])


# --- billing rules as data -----------------------------------------------------------------


def test_every_shipped_gpu_price_has_a_billing_rule():
    rules = gpu_billing.load_billing_rules()
    problems = gpu_billing.check_prices_have_rules(
        tables.load_gpu_prices(), rules, paths.GPU_PRICES_CSV
    )
    assert problems == []
    assert rules["scales_to_zero"].dtype == bool


def test_a_bad_billing_rule_is_named(tmp_path):
    spot = "RunPod,community_cloud,spot,1,,1,false,,,"
    text = paths.GPU_BILLING_RULES_CSV.read_text().replace(spot + "0.1,", spot + ",")
    broken = tmp_path / "gpu_billing_rules.csv"
    broken.write_text(text)
    with pytest.raises(TableError, match=r"interruptions_per_hour.*required on a spot row"):
        gpu_billing.load_billing_rules(broken)


def test_a_price_without_a_rule_is_named(tmp_path):
    gpu = tables.load_gpu_prices()
    rules = gpu_billing.load_billing_rules()
    problems = gpu_billing.check_prices_have_rules(
        gpu, rules[rules["provider"] != "Modal"], tmp_path / "gpu_prices.csv"
    )
    assert problems and all("no (provider, tier, pricing) row" in p.rule for p in problems)
    assert {gpu.loc[p.line - 2, "provider"] for p in problems} == {"Modal"}


# --- reservations ----------------------------------------------------------------------------


def diy_table(rate: float = 2.0) -> pd.DataFrame:
    """One DIY row: 1,000 tokens/s at utilization 1 on 1 GPU at ``rate`` per hour."""
    return pd.DataFrame(
        {
            "platform_type": ["diy_gpu"], "provider": ["RunPod"], "gpu": ["H100-SXM-80GB"],
            "tier": ["secure_cloud"], "pricing": ["on_demand"], "serving_assumption": ["x"],
            "model": ["m"], "tokens_per_second": [1000.0], "utilization": [1.0],
            "gpus_per_replica": [1.0], "usd_per_gpu_hour": [rate],
        }
    )  # fmt: skip


def test_a_reservation_pays_back_by_hand():
    # A month is H = 730.5 hours (units.HOURS_PER_MONTH). A replica serves 1,000 x 3,600 x H
    # = 2.63e9 tokens a month and costs 2H = $1,461 on demand. Months 1-4 need 1, 1, 2, 2
    # replicas. A 3-month reservation of the month-1 need (1 replica) at $1.00/h, paid upfront
    # in month 1: 3H = $2,191.50.
    path = pd.DataFrame({"month": [1, 2, 3, 4], "tokens_per_month": [2e9, 2.5e9, 4e9, 5e9]})
    table = diy_table()
    oid = "runpod/H100-SXM-80GB/secure_cloud/on_demand@x"
    monthly, summary = commitments.reservation_path(
        table, path, oid, reserved_usd_per_gpu_hour=1.0, start_month=1, term_months=3
    )
    h = HOURS_PER_MONTH
    # With it: month 1 3H (upfront), month 2 0, month 3 2H (one replica over), month 4 on
    # demand 4H. On demand: 2H, 2H, 4H, 4H. Cumulative saving: -H, H, 3H, 3H: paid back by
    # month 2.
    np.testing.assert_allclose(monthly["with_reservation_usd"], [3 * h, 0, 2 * h, 4 * h])
    np.testing.assert_allclose(monthly["cumulative_saving_usd"], [-h, h, 3 * h, 3 * h])
    assert summary["payback_month"].iloc[0] == 2
    # Unused: H less the GPU-hours the tokens took, in months 1 and 2; month 3 the reserved
    # replica is fully used (the replica over it takes the rest).
    used = np.array([2e9, 2.5e9]) / 3.6e6
    assert summary["unused_gpu_hours"].iloc[0] == pytest.approx((h - used).sum())
    never = commitments.reservation_path(
        table, path, oid, reserved_usd_per_gpu_hour=1.9, start_month=4, term_months=3,
        replicas=3,
    )[1]  # fmt: skip
    assert pd.isna(never["payback_month"].iloc[0])
    with pytest.raises(InputError, match="start_month must be a month of the path"):
        commitments.reservation_path(table, path, oid, reserved_usd_per_gpu_hour=1.0,
                                     start_month=9)  # fmt: skip


def test_the_reserved_rate_is_given_tracked_or_illustrative():
    table = diy_table(rate=3.0)
    oid = "runpod/H100-SXM-80GB/secure_cloud/on_demand@x"
    gpu = prices.as_of(AS_OF).gpu
    assert commitments.rate_for(table, oid, gpu, reserved_usd_per_gpu_hour=1.5) == (1.5, "given")
    assert commitments.rate_for(table, oid, gpu) == (1.94, "tracked")
    none = gpu[gpu["pricing"] != "reserved"]
    assert commitments.rate_for(table, oid, none) == (pytest.approx(2.1), "illustrative")


def test_a_reservation_bills_all_its_hours_in_break_even(snapshot, batch_2m):
    table = compare.cost_table(compare.Workload.from_total(1e6, output_share=1.0), snapshot,
                               batch_2m)  # fmt: skip
    per_hour = growth.monthly_cost_curves(table, [1e6], billing="per_hour", min_replicas=0)
    reserved = per_hour[per_hour["offering_id"].str.contains("/reserved@")]
    # 1M tokens a month is under 1 replica-hour, yet the reservation bills every hour.
    assert reserved["cost_usd_per_month"].iloc[0] == pytest.approx(HOURS_PER_MONTH * 1.94)


def test_sentences_state_the_bills():
    headline = pd.DataFrame(
        {
            "log": ["azure-code-2023"], "platform_type": ["diy_gpu"], "provider": ["RunPod"],
            "gpu": ["H100-SXM-80GB"], "tier": ["serverless"], "pricing": ["on_demand"],
            "serving_assumption": ["article-batch-2m"], "cost_usd_serverless": [33.46],
            "cost_usd_peak_sized": [101.37], "serverless_to_peak": [0.33],
            "idle_timeout_s": [5.0], "cold_start_s": [30.0], "cold_starts": [298],
            "added_latency_s_mean": [15.65], "best_idle_timeout_s": [15.0],
            "best_serverless_to_peak": [0.35],
        }
    )  # fmt: skip
    lines = narrative.serverless_answer(headline)
    assert lines[0].startswith("On the Azure coding hour (2023), the cheapest serverless GPU")
    assert "$33.46: 0.33\N{MULTIPLICATION SIGN}" in lines[0] and "idle timeout of 5 s" in lines[0]
    assert "298 cold starts (30 s each) add 15.65 s" in lines[0]
    times = "\N{MULTIPLICATION SIGN}"
    assert lines[1] == f"An idle timeout of 15 s would bill 0.35{times} peak sizing instead."
    assert "scales to zero" in narrative.serverless_answer(headline.iloc[:0])[0]
    summary = pd.DataFrame(
        {
            "term_months": [12], "reserved_usd_per_gpu_hour": [1.94],
            "on_demand_usd_per_gpu_hour": [3.99], "upfront": [True], "start_month": [4],
            "replicas_reserved": [2], "payback_month": pd.array([None], dtype="Int64"),
            "total_saving_usd": [-120.0], "unused_gpu_hours": [461.0], "unused_usd": [894.34],
        }
    )  # fmt: skip
    words = narrative.reservation_answer(summary, offering="RunPod · H100", rate_source="tracked")
    assert "A 12-month reservation of RunPod · H100 at $1.94 per GPU-hour" in words[0]
    assert "never pays back and costs $120.00 more than staying on demand" in words[1]
    assert "461 unused GPU-hours included ($894.34)" in words[1]
