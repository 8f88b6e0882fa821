"""Inputs that used to give a wrong number without a word (issue 23, third round).

Each test shows the number worked out by hand, or the one line that now refuses the input.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from helpers import TEST_DATA, run

from infermodel import narrative
from infermodel.errors import InputError
from infermodel.pricing import reconcile
from infermodel.readers import focus

AS_OF = ["--as-of", "2025-05-31"]
A100 = "runpod/A100-PCIe-80GB/community_cloud/on_demand@article-batch-2m"


def one_error_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("infermodel: error:")]
    assert len(lines) == 1, err
    return lines[0]


# --- the DIY token basis ---------------------------------------------------------------------


@pytest.mark.slow
def test_break_even_follows_the_diy_token_basis(capsys):
    # RunPod A100 PCIe community cloud: $1.19/GPU-hour, 2M output tokens/h (article-batch-2m),
    # utilization 0.8. Half the workload's tokens are output. On the output basis a busy hour
    # serves 2M x 0.8 = 1.6M output tokens, which carry 3.2M tokens of the mix:
    # 1.19 / 3.2 = $0.371875 per million tokens (the total basis: 1.19 / 1.6 = $0.74375).
    costs = {}
    for basis in ("total", "output"):
        status, out, err = run(
            capsys, "break-even", *AS_OF, "--format", "csv", "--output-share", "0.5",
            "--diy-token-basis", basis, "--provider", "runpod", "--provider", "openai",
        )  # fmt: skip
        assert status == 0, err
        table = pd.read_csv(io.StringIO(out))
        row = table[table["diy_offering_id"] == A100].iloc[0]
        costs[basis] = row["diy_usd_per_million_tokens_busy"]
        assert (table["diy_token_basis"] == basis).all()
    assert costs["total"] == pytest.approx(1.19 / 1.6, rel=1e-9)
    assert costs["output"] == pytest.approx(1.19 / 3.2, rel=1e-9)


@pytest.mark.slow
def test_the_output_basis_without_output_tokens_is_refused_not_free(capsys):
    # --output-share 0 leaves no output token: every rented GPU was priced at $0.
    for command in ("table", "break-even"):
        status, out, err = run(
            capsys, command, *AS_OF, "--output-share", "0", "--diy-token-basis", "output"
        )
        line = one_error_line(err)
        assert status == 2 and out == ""
        assert "diy_token_basis 'output'" in line and "would cost $0" in line


# --- trace --min-replicas under hourly autoscaling --------------------------------------------


def one_minute_log(folder) -> str:
    path = folder / "minute.csv"
    rows = [f"2025-05-01 00:00:{s:02d},100,100" for s in range(0, 60, 10)]
    path.write_text("timestamp,input_tokens,output_tokens\n" + "\n".join(rows) + "\n")
    return str(path)


@pytest.mark.slow
def test_min_replicas_bill_the_log_not_a_whole_autoscaling_window(capsys, tmp_path):
    # A log of one minute, one replica kept on (--min-replicas 1), RunPod A100 community cloud
    # at $1.19/GPU-hour billed by the second. Autoscaled: that replica runs the minute, 60 s:
    # 1.19 x 60 / 3600 = $0.019833 (it was billed the whole hourly window, $1.19, 60x).
    # Sized for the peak: the same replica plus its billed 30 s cold start, 90 s = $0.02975.
    status, out, err = run(
        capsys, "trace", one_minute_log(tmp_path), *AS_OF, "--format", "csv",
        "--min-replicas", "1", "--provider", "runpod",
    )  # fmt: skip
    assert status == 0, err
    table = pd.read_csv(io.StringIO(out)).set_index("offering_id")
    row = table.loc[A100]
    assert row["cost_usd_autoscaled"] == pytest.approx(1.19 * 60 / 3600, rel=1e-9)
    assert row["cost_usd_peak_sized"] == pytest.approx(1.19 * 90 / 3600, rel=1e-9)
    diy = table[table["platform_type"] == "diy_gpu"]
    assert (diy["cost_usd_autoscaled"] <= diy["cost_usd_peak_sized"] * (1 + 1e-12)).all()


# --- FOCUS bills ------------------------------------------------------------------------------

BILL = TEST_DATA / "bills" / "real_openai_anthropic.csv"


def bill_with(tmp_path, changes: dict[int, dict]) -> Path:
    """The real test bill with cells changed, by file line (header = line 1)."""
    with BILL.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for line, cells in changes.items():
        rows[line - 2].update(cells)
    path = tmp_path / "bill.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_charge_period_that_has_not_begun_is_refused(tmp_path, capsys):
    start = (pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=40)).strftime("%Y-%m-01T00:00:00Z")
    path = bill_with(tmp_path, {4: {"ChargePeriodStart": start, "ChargePeriodEnd": "2099-01-01"}})
    status, out, err = run(capsys, "bill", str(path), "--format", "csv")
    line = one_error_line(err)
    assert status == 1 and out == ""
    assert f"bill.csv:4: field 'ChargePeriodStart' = {start[:10]} 00:00:00 is in the future" in line


@pytest.mark.slow
def test_a_running_charge_period_is_priced_as_of_today_not_its_end(tmp_path):
    # Line 2 (GPT-4o input, 40M tokens) in a month that ends after today: priced at today's
    # prices and said so, never at a day that has not come.
    today = pd.Timestamp.now(tz="UTC").tz_localize(None).normalize()
    start = (today - pd.Timedelta(days=today.day - 1)).strftime("%Y-%m-%dT00:00:00Z")
    end = (today + pd.Timedelta(days=40)).strftime("%Y-%m-%dT00:00:00Z")
    path = bill_with(tmp_path, {2: {"ChargePeriodStart": start, "ChargePeriodEnd": end}})
    reconciled = reconcile.reconcile(focus.read_bill(path)).set_index("line")
    assert reconciled.loc[2, "priced_as_of"] == today


def test_a_bill_line_past_a_quadrillion_tokens_is_not_priced(tmp_path, capsys):
    # 2e12 "1000000 Tokens" = 2e18 tokens: a unit slip, priced as 5 billion dollars before.
    cells = {"ConsumedQuantity": "2000000000000", "ConsumedUnit": "1000000 Tokens"}
    path = bill_with(tmp_path, {4: {**cells, "PricingQuantity": ""}})
    status, _, err = run(capsys, "bill", str(path), "--format", "csv")
    line = one_error_line(err)
    assert status == 1
    assert "bill.csv:4: field 'ConsumedQuantity' = 2e+12 x '1000000 Tokens'" in line
    assert "more than 1e+15 on one line" in line


@pytest.mark.slow
def test_a_line_whose_token_kind_fields_disagree_is_not_priced(tmp_path):
    # SkuPriceDetails says output, SkuMeter says input: it was priced as output.
    details = '{"ModelId":"gpt-4o-2024-08-06","TokenType":"Output"}'
    alone = '{"ModelId":"gpt-4o-2024-08-06","TokenType":"Input","TokenCacheAction":"Read"}'
    path = bill_with(tmp_path, {2: {"SkuPriceDetails": details}, 4: {"SkuPriceDetails": alone}})
    reconciled = reconcile.reconcile(focus.read_bill(path)).set_index("line")
    assert reconciled.loc[2, "reason"] == "unit or quantity mismatch"
    assert (
        "SkuPriceDetails says output tokens but SkuMeter 'Input Tokens' says input"
        in (reconciled.loc[2, "detail"])
    )
    assert reconciled.loc[4, "reason"] == "unit or quantity mismatch"  # Input, yet Read
    assert "input vs cached_input" in reconciled.loc[4, "detail"]


@pytest.mark.slow
def test_a_negative_charge_on_a_usage_line_is_not_a_negotiated_discount(tmp_path):
    # Line 4, GPT-4o output, 6M tokens: 60.00 USD at list; billed -60.00.
    path = bill_with(tmp_path, {4: {"BilledCost": "-60.00", "EffectiveCost": "-60.00"}})
    reconciled = reconcile.reconcile(focus.read_bill(path)).set_index("line")
    assert reconciled.loc[4, "reason"] == "negative charge"
    assert reconciled.loc[4, "recomputed_list_usd"] == pytest.approx(60.0)  # 6M x 10 USD/Mtok
    assert reconciled.loc[4, "detail"].startswith("BilledCost -60.00 USD on a usage line of")
    assert "not a discount" in reconciled.loc[4, "detail"]
    answer = narrative.bill_answer(reconciled.reset_index(), pd.DataFrame())
    said = " ".join(answer)
    assert "1 at a negotiated discount ($12.50 below list)" in said  # line 12's, not line 4's
    assert "1 with a negative charge, money back booked as usage ($120.00 below list)" in said


def test_an_infinite_cost_is_refused(tmp_path, capsys):
    path = bill_with(tmp_path, {3: {"BilledCost": "inf"}})
    status, _, err = run(capsys, "bill", str(path))
    assert status == 1
    assert "bill.csv:3: field 'BilledCost' = 'inf': must be a finite number" in one_error_line(err)


def test_two_rates_for_one_currency_are_refused(tmp_path, capsys):
    path = bill_with(tmp_path, {2: {"BillingCurrency": "EUR"}})
    status, out, err = run(capsys, "bill", str(path), "--usd-per", "EUR=1.08", "--usd-per", "eur=2")
    line = one_error_line(err)
    assert status == 2 and out == ""
    assert "--usd-per gives two rates for EUR (1.08 and 2); give one" in line
    with pytest.raises(InputError, match=r"usd_per gives two rates for EUR \(1.08 and 2\)"):
        focus.read_bill(path, usd_per={"EUR": 1.08, "eur": 2})
