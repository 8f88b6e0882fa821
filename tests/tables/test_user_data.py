"""Your own numbers (issue 25) in a user data folder (issue 22, item 3).

The folder of the "Done when": a 20% Anthropic contract, an owned 8x H100 server and an
announced price change (plus a reseller's private offering), read beside the shipped data by
``table``, ``trace``, ``bill --reconcile``, ``break-even`` and the report, each number worked
out by hand. The announced change is dated from today, so the tests hold on any day.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
import subprocess

import numpy as np
import pandas as pd
import pytest

from infermodel import cli, formulas, narrative, parameters, paths, prices, tables
from infermodel.analyses import growth, ownership
from infermodel.errors import InputError, TableError
from infermodel.formulas import owning
from infermodel.prices import importers
from infermodel.pricing import compare, trace_pricing
from infermodel.readers import genai_prices, logs
from infermodel.tables import owned_gpus, reading, registry, serving, user_data
from infermodel.workloads import Workload

TODAY = reading.today()
#: The announced change takes effect 30 days from today (read today).
ANNOUNCED = TODAY + pd.Timedelta(days=30)
DAY = "%Y-%m-%d"

CONTRACTS = (
    "provider,model_id,service_tier,discount_fraction,valid_from,valid_to,source,note\n"
    "Anthropic,,,0.2,2026-01-01,,Enterprise agreement 2026,20% off every model and tier\n"
)
# An 8x H100 server whose parts come out round (a month is 730.5 hours, 8 GPUs: 5,844
# GPU-hours a server-month): capital 210,384 / (36 x 5,844) = 1.00, hosting 1,461 / 5,844 =
# 0.25, staff 2,922 / 5,844 = 0.50, power busy 700 W / 1000 x 1.25 x 0.16 = 0.14 and idle
# 100 W / 1000 x 1.25 x 0.16 = 0.02 USD per GPU-hour.
OWNED = (
    "name,gpu,gpus_per_server,server_purchase_usd,amortization_months,watts_per_gpu_busy,"
    "watts_per_gpu_idle,pue,usd_per_kwh,hosting_usd_per_server_month,staff_usd_per_month,"
    "valid_from,source\n"
    "rack-a,H100-SXM-80GB,8,210384,36,700,100,1.25,0.16,1461,2922,2026-01-01,quote Q-17\n"
)
API_HEADER = (
    "platform_type,provider,model,model_id,usd_per_million_input_tokens,"
    "usd_per_million_output_tokens,usd_per_million_cached_input_tokens,"
    "usd_per_million_cache_write_tokens,batch_discount_fraction,long_context_threshold_tokens,"
    "usd_per_million_input_tokens_long_context,usd_per_million_output_tokens_long_context,"
    "observed_on,confidence,source_url,note,effective_from\n"
)


def _api_rows() -> str:
    # Claude Sonnet 5 is shipped at 2 / 10 USD/Mtok (observed 2026-12-01); Anthropic
    # announces 1.5 / 7.5 from ANNOUNCED. A reseller sells Llama 3.3 70B at 0.5 / 0.5.
    return (
        f"proprietary_api,Anthropic,Claude Sonnet 5,claude-sonnet-5,1.5,7.5,0.15,1.875,0.5,,,,"
        f"{TODAY:{DAY}},confirmed,https://example.com/anthropic-notice,price cut,"
        f"{ANNOUNCED:{DAY}}\n"
        "managed_api,Acme Reseller,Llama 3.3 70B,acme/llama-3.3-70b,0.5,0.5,,,,,,,"
        "2026-11-01,confirmed,https://example.com/acme-quote,our quote,\n"
    )


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """The user folder of the issue's "Done when", in use through INFERMODEL_DATA_DIR."""
    root = tmp_path / "mine"
    (root / "prices").mkdir(parents=True)
    (root / "prices" / "contracts.csv").write_text(CONTRACTS)
    (root / "owned_gpus.csv").write_text(OWNED)
    (root / "prices" / "api_prices.csv").write_text(API_HEADER + _api_rows())
    monkeypatch.setenv(paths.DATA_DIR_VARIABLE, str(root))
    paths.choose_user_data_dir(None)
    yield root
    paths.choose_user_data_dir(None)


@pytest.fixture
def no_folder(monkeypatch):
    monkeypatch.delenv(paths.DATA_DIR_VARIABLE, raising=False)
    paths.choose_user_data_dir(None)
    yield
    paths.choose_user_data_dir(None)


def _run(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def _row(table: pd.DataFrame, offering_id: str) -> pd.Series:
    rows = table[table["offering_id"] == offering_id]
    assert len(rows) == 1, offering_id
    return rows.iloc[0]


ONE_MILLION_OUT = Workload.from_total(1_000_000, output_share=1.0)


def _table(as_of, **options):
    serving_rows = serving.select(tables.load_serving(), ["measured-trtllm-h100x2-fp8"])
    serving_rows = serving_rows.assign(tokens_per_second=1_000.0)  # round numbers below
    return compare.cost_table(ONE_MILLION_OUT, prices.as_of(as_of), serving_rows, **options)


# --------------------------------------------------------------------------------------
# Which folder, and what is in it
# --------------------------------------------------------------------------------------


def test_the_folder_is_the_option_else_the_choice_else_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.DATA_DIR_VARIABLE, str(tmp_path / "env"))
    paths.choose_user_data_dir(None)
    try:
        assert paths.user_data_dir() == tmp_path / "env"
        paths.choose_user_data_dir(tmp_path / "chosen")
        assert paths.user_data_dir() == tmp_path / "chosen"
        assert paths.user_data_dir(tmp_path / "given") == tmp_path / "given"
        monkeypatch.setenv(paths.DATA_DIR_VARIABLE, "")
        paths.choose_user_data_dir("")
        assert paths.user_data_dir() is None
    finally:
        paths.choose_user_data_dir(None)


@pytest.mark.slow
def test_rows_say_where_they_came_from(folder):
    api = tables.load_api_prices()
    mine = api[api["data_origin"] == "user"]
    assert list(mine["model_id"]) == ["claude-sonnet-5", "acme/llama-3.3-70b"]
    assert list(mine["data_line"]) == [2, 3]  # the header is line 1
    assert set(mine["data_file"]) == {str(folder / "prices" / "api_prices.csv")}
    assert (
        api.loc[api["data_origin"] == "shipped", "data_file"] == str(paths.API_PRICES_CSV)
    ).all()
    assert registry.user_rows() == {"api_prices": 2, "contracts": 1, "owned_gpus": 1}


@pytest.mark.slow
def test_nothing_of_the_folder_is_written_into_data(folder, capsys):
    before = {p: p.read_bytes() for p in paths.DATA_DIR.rglob("*.csv")}
    assert _run(capsys, "validate")[0] == 0
    assert {p: p.read_bytes() for p in paths.DATA_DIR.rglob("*.csv")} == before


# --------------------------------------------------------------------------------------
# table: a contract, an owned server, an announced price, a private offering
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_table_prices_anthropic_at_the_contract_with_the_list_price_beside(folder):
    table = _table(TODAY)
    row = _row(table, "anthropic/claude-sonnet-5")
    # 1,000,000 output tokens x 10 USD/Mtok (list) = 10.00; x (1 - 0.2) = 8.00 at contract.
    assert row["cost_usd_list"] == pytest.approx(10.0)
    assert row["cost_usd"] == pytest.approx(8.0)
    assert row["usd_per_million_tokens_list"] == pytest.approx(10.0)
    assert row["contract"].startswith("Enterprise agreement 2026 (20% off list; contracts.csv")
    assert row["data_origin"] == "user" and not row["announced"]
    # OpenAI has no contract: list price, shipped numbers.
    gpt = _row(table, "openai/gpt-4o")
    assert gpt["cost_usd"] == gpt["cost_usd_list"] and pd.isna(gpt["contract"])
    assert gpt["data_origin"] == "shipped"


@pytest.mark.slow
def test_an_owned_server_is_priced_per_gpu_hour_from_its_parts(folder):
    table = _table(TODAY, utilization=0.8)
    row = _row(table, "owned/H100-SXM-80GB/rack-a/owned@measured-trtllm-h100x2-fp8")
    # capital 1.00 + hosting 0.25 + staff 0.50 + 0.8 x busy 0.14 + 0.2 x idle 0.02 = 1.866
    assert row["usd_per_gpu_hour"] == pytest.approx(1.866)
    assert row[list(owned_gpus.PART_COLUMNS.values())].tolist() == pytest.approx(
        [1.0, 0.25, 0.5, 0.14, 0.02]
    )
    # 1e6 tokens / (1,000 tok/s x 3,600 s x 0.8) = 0.347222 h x 2 GPUs = 0.694444 GPU-h
    # x 1.866 USD = 1.295833 USD
    assert row["gpu_hours"] == pytest.approx(0.694444, rel=1e-5)
    assert row["cost_usd"] == pytest.approx(1.295833, rel=1e-5)
    assert row["data_origin"] == "user" and row["gpus_per_server"] == 8
    full = owned_gpus.parts(owned_gpus.load_owned()).iloc[0]
    # at full use 1.00 + 0.25 + 0.50 + 0.14 = 1.89; a server-month 1.89 x 730.5 x 8 = 11,045.16
    assert full["usd_per_gpu_hour"] == pytest.approx(1.89)
    assert full["usd_per_server_month"] == pytest.approx(11_045.16)


@pytest.mark.slow
def test_an_announced_price_is_used_from_its_date_and_labelled(folder):
    now = _row(_table(TODAY), "anthropic/claude-sonnet-5")
    later = _row(_table(ANNOUNCED), "anthropic/claude-sonnet-5")
    # Until ANNOUNCED: 10 USD/Mtok list, 8 at contract; from it: 7.5 list x 0.8 = 6.00.
    assert (now["cost_usd_list"], now["announced"]) == (pytest.approx(10.0), False)
    assert later["cost_usd_list"] == pytest.approx(7.5) and later["cost_usd"] == pytest.approx(6.0)
    assert later["announced"]
    snapshot = prices.as_of(ANNOUNCED)
    assert list(snapshot.announced["model_id"]) == ["claude-sonnet-5"]
    assert parameters.price_date_range()[2] == ANNOUNCED
    with pytest.raises(InputError, match=r"to \d{4}-\d\d-\d\d \(the last price change announced"):
        parameters.check("as_of", (ANNOUNCED + pd.Timedelta(days=1)).strftime(DAY))


@pytest.mark.slow
def test_a_private_offering_is_priced_like_a_shipped_one(folder):
    row = _row(_table(TODAY), "acme-reseller/acme/llama-3.3-70b")
    # 1,000,000 output tokens x 0.5 USD/Mtok = 0.50 USD
    assert row["cost_usd"] == pytest.approx(0.5) and row["platform_type"] == "managed_api"
    assert row["data_origin"] == "user"


@pytest.mark.slow
def test_table_command_says_which_numbers_are_yours(folder, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")  # labels whole (80 columns cut them where rows agree)
    status, out, _ = _run(
        capsys, "table", "--as-of", ANNOUNCED.strftime(DAY), "--provider", "Anthropic",
        "--provider", "Owned", "--serving", "measured-trtllm-h100x2-fp8", "--throughput", "1000",
        "--total-tokens", "1000000",
    )  # fmt: skip
    assert status == 0
    out = " ".join(out.split())  # the terminal wraps lines
    assert re.search(r"APIs at your contract where one applies \(\d+ offerings\), else", out)
    assert "priced at your contract Enterprise agreement 2026 (20% off list" in out
    assert "Your server rack-a (8 x H100-SXM-80GB) costs $1.87 per GPU-hour at 80% busy" in out
    assert "priced at a change announced for later" in out
    assert "Anthropic · Claude Sonnet 5" in out and "At list price" in out


@pytest.mark.slow
def test_table_csv_marks_the_rows_and_the_same_command_without_the_folder(
    folder, capsys, monkeypatch
):
    argv = ["table", "--as-of", TODAY.strftime(DAY), "--format", "csv", "--provider", "Anthropic"]
    status, out, _ = _run(capsys, *argv)
    mine = pd.read_csv(io.StringIO(out))
    assert status == 0 and set(mine["data_origin"]) == {"user"} and mine["contract"].notna().all()
    monkeypatch.delenv(paths.DATA_DIR_VARIABLE)
    status, out, _ = _run(capsys, *argv)
    shipped = pd.read_csv(io.StringIO(out))
    assert set(shipped["data_origin"]) == {"shipped"} and shipped["contract"].isna().all()
    # The same offerings at list: each 20% dearer than at your contract.
    both = mine.merge(shipped, on="offering_id", suffixes=("_mine", "_list"))
    assert np.allclose(both["cost_usd_mine"], 0.8 * both["cost_usd_list"])


# --------------------------------------------------------------------------------------
# trace, bill --reconcile, break-even
# --------------------------------------------------------------------------------------


def _log(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(
        "timestamp,input_tokens,output_tokens\n"
        "2026-06-01 10:00:00,1000,500\n"
        "2026-06-01 10:00:30,1000,500\n"
    )
    return path


@pytest.mark.slow
def test_trace_prices_the_log_at_the_contract(folder, tmp_path, capsys):
    status, out, _ = _run(
        capsys, "trace", str(_log(tmp_path)), "--as-of", TODAY.strftime(DAY), "--format", "csv",
        "--provider", "Anthropic",
    )  # fmt: skip
    assert status == 0
    row = _row(pd.read_csv(io.StringIO(out)), "anthropic/claude-sonnet-5")
    # 2,000 input x 2 + 1,000 output x 10 = 0.004 + 0.010 = 0.014 USD at list; x 0.8 = 0.0112
    assert row["cost_usd_list"] == pytest.approx(0.014)
    assert row["cost_usd"] == pytest.approx(0.0112)
    assert row["usd_per_request_mean"] == pytest.approx(0.0056)
    assert row["data_origin"] == "user"


@pytest.mark.slow
def test_trace_bills_an_owned_server_every_hour_with_idle_power(folder, tmp_path):
    trace = logs.read_trace(_log(tmp_path))
    snapshot = prices.as_of(TODAY).select(providers=["Owned"])
    assumptions = serving.select(tables.load_serving(), ["measured-trtllm-h100x2-fp8"])
    row = trace_pricing.price_trace(trace, snapshot, assumptions, diy_sizing="peak").iloc[0]
    # A whole server (8 GPUs) for the log's one billed hour; its busy share u sets the rate:
    # 1.75 + u x 0.14 + (1 - u) x 0.02 per GPU-hour, x 8 GPUs.
    u = row["utilization"]
    assert row["cost_usd"] == pytest.approx(8 * (1.75 + u * 0.14 + (1 - u) * 0.02))
    assert row["billing_rule"].startswith("your servers") and row["gpus_per_instance"] == 8


def _bill(tmp_path, billed: str) -> str:
    header = (
        "BillingAccountId,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceCategory,"
        "ProviderName,SkuPriceDetails,ConsumedQuantity,ConsumedUnit,BillingCurrency,ListCost,"
        "BilledCost,EffectiveCost\n"
    )
    line = (
        "acct,2026-07-01T00:00:00Z,2026-08-01T00:00:00Z,Usage,AI and Machine Learning,"
        'Anthropic,"{""ModelId"":""claude-sonnet-4-5"",""TokenType"":""Input""}",20000000,Tokens,'
        f"USD,60.00,{billed},{billed}\n"
    )
    path = tmp_path / "bill.csv"
    path.write_text(header + line)
    return str(path)


@pytest.mark.slow
def test_a_bill_line_at_the_contracted_price_is_at_contract(folder, tmp_path, capsys, monkeypatch):
    # Claude Sonnet 4.5 in July 2026: 20,000,000 input tokens x 3 USD/Mtok = 60.00 at list;
    # x (1 - 0.2) = 48.00 at the contract.
    bill = _bill(tmp_path, "48.00")
    status, out, _ = _run(capsys, "bill", bill, "--reconcile", "--format", "csv")
    line = pd.read_csv(io.StringIO(out)).iloc[0]
    assert status == 0
    assert line["reason"] == "at contract"
    assert line["recomputed_list_usd"] == 60.0
    assert line["recomputed_contract_usd"] == pytest.approx(48.0)
    assert line["contract"].startswith("Enterprise agreement 2026")
    assert line["detail"].startswith("billed at your contract: Enterprise agreement 2026")
    monkeypatch.delenv(paths.DATA_DIR_VARIABLE)
    status, out, _ = _run(capsys, "bill", bill, "--reconcile", "--format", "csv")
    assert pd.read_csv(io.StringIO(out)).iloc[0]["reason"] == "negotiated discount"


@pytest.mark.slow
def test_break_even_of_the_owned_server_against_the_contract(folder, capsys):
    status, out, _ = _run(
        capsys, "break-even", "--as-of", TODAY.strftime(DAY), "--format", "csv",
        "--provider", "Anthropic", "--provider", "Owned",
        "--serving", "measured-trtllm-h100x2-fp8", "--throughput", "1000",
    )  # fmt: skip
    assert status == 0
    even = pd.read_csv(io.StringIO(out))
    row = even[
        (even["api_offering_id"] == "anthropic/claude-sonnet-5")
        & (even["diy_offering_id"] == "owned/H100-SXM-80GB/rack-a/owned@measured-trtllm-h100x2-fp8")
    ].iloc[0]
    # A server-month costs (1.00 + 0.25 + 0.50 + idle 0.02) x 730.5 x 8 = 10,343.88 USD, and
    # each token adds (0.14 - 0.02) x 2 GPUs / (1,000 tok/s x 3,600) = 6.6667e-8 USD of busy
    # power; the API costs 8 USD/Mtok at the contract. Owning wins from
    # 10,343.88 / (8e-6 - 6.6667e-8) = 1.303851e9 tokens a month (one server holds 4 replicas
    # of 2 GPUs: 4 x 1,000 x 3,600 x 0.8 x 730.5 = 8.4e9 tokens, so one server is enough).
    assert row["api_usd_per_million_tokens"] == pytest.approx(8.0)
    assert row["break_even_million_tokens_per_month"] == pytest.approx(1_303.851, rel=1e-6)
    assert row["data_origin"] == "user"
    assert "Your server rack-a" not in out  # csv is for machines: no sentences


# --------------------------------------------------------------------------------------
# Buy, rent or API; commitments
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_buy_rent_api_and_the_payback_of_the_purchase(folder):
    table = _table(TODAY)
    snapshot = prices.as_of(TODAY)
    buy = ownership.buy_rent_api(
        table, snapshot.gpu, tokens_per_month=1e9, api_offerings=["anthropic/claude-sonnet-5"]
    )
    api = buy[buy["alternative_kind"] == "API"].iloc[0]
    assert api["owning_wins_from_million_tokens_per_month"] == pytest.approx(1_303.851, rel=1e-6)
    # 1.303851e9 tokens keep 1.303851e9 / 3.6e6 x 2 = 724.36 GPU-hours busy of 5,844.
    assert api["owned_busy_share_at_break_even"] == pytest.approx(724.362 / 5_844, rel=1e-5)
    # At 1e9 tokens: 1 server, 210,384 USD; running it: hosting 1,461 + staff 2,922 + idle
    # power 0.02 x 5,844 = 116.88 + busy extra 0.12 x 555.56 GPU-h = 66.67 -> 4,566.55 a
    # month; the API bills 1e9 x 8e-6 = 8,000 a month: 210,384 / (8,000 - 4,566.55) = 61.27
    assert api["owned_running_usd_per_month"] == pytest.approx(4_566.55, rel=1e-5)
    assert api["alternative_usd_per_month"] == pytest.approx(8_000.0)
    assert api["payback_months"] == pytest.approx(61.275, rel=1e-4)
    said = narrative.buy_answer(buy)
    assert "beats Anthropic · Claude Sonnet 5 from 1.3 billion tokens a month" in said[0]


@pytest.mark.slow
def test_a_purchase_in_month_n_pays_back_against_renting(folder):
    table = _table(TODAY)
    path = growth.volume_path(1e9, growth_multiple=1.0, growth_months=1, horizon_months=3)
    snapshot = prices.as_of(TODAY)
    owned_id = "owned/H100-SXM-80GB/rack-a/owned@measured-trtllm-h100x2-fp8"
    monthly, summary = ownership.purchase_path(
        table, snapshot.gpu, path, owned_id, "anthropic/claude-sonnet-5", start_month=2
    )
    # Month 1 on the API: 8,000; month 2: 210,384 + 4,566.5467 (hosting 1,461 + staff 2,922
    # + idle power 116.88 + busy extra 66.6667); month 3: 4,566.5467.
    assert monthly["with_purchase_usd"].tolist() == pytest.approx(
        [8_000.0, 214_950.5467, 4_566.5467], rel=1e-7
    )
    assert summary["payback_month"].isna().all()  # 3 months are far from 61


@pytest.mark.slow
def test_a_committed_spend_bills_its_shortfall(folder):
    (folder / "prices" / "contracts.csv").write_text(
        "provider,model_id,service_tier,discount_fraction,valid_from,valid_to,source,note,kind,"
        "committed_usd_per_month\n"
        "Anthropic,,,0.2,2026-01-01,,Enterprise agreement 2026,,,\n"
        "OpenAI,gpt-4o,,0.1,2026-01-01,,Commit 2026,,commitment,1000\n"
    )
    table = _table(TODAY)
    gpt = _row(table, "openai/gpt-4o")
    assert gpt["committed_usd_per_month"] == 1000 and gpt["contract"].startswith("Commit 2026")
    short = growth.commitment_shortfall(table, [50e6, 200e6])
    # 50M output tokens x 10 USD/Mtok x 0.9 = 450 used; billed 1,000: 550 for nothing,
    # 1,000 / 50 = 20 USD per million tokens. 200M: 1,800 used, no shortfall.
    assert short["shortfall_usd_per_month"].tolist() == pytest.approx([550.0, 0.0])
    assert short["effective_usd_per_million_tokens"].tolist() == pytest.approx([20.0, 9.0])
    curve = growth.monthly_cost_curves(table.loc[[gpt.name]], np.array([50e6]))
    assert curve["cost_usd_per_month"].tolist() == pytest.approx([1000.0])
    said = narrative.commitment_answer(short)[0]
    assert "billed at least $1,000 a month" in said and "$550.00 for nothing" in said


def test_the_owned_formulas_by_hand():
    parts = owning.owned_gpu_hour_parts(210_384, 36, 8, 700, 100, 1.25, 0.16, 1_461, 2_922)
    assert parts == pytest.approx((1.0, 0.25, 0.5, 0.14, 0.02))
    assert owning.owned_usd_per_gpu_hour(parts, 0.5) == pytest.approx(1.75 + 0.07 + 0.01)
    # Two servers for 10e9 tokens at 1,000 tok/s, 2 GPUs a replica, 80% busy (8.4e9 a server):
    # 2 x 10,343.88 + 10e9 / 3.6e6 x 2 x 0.12 = 20,687.76 + 666.67 = 21,354.43
    cost = owning.owned_monthly_cost_usd(
        10e9, 1_000, 0.8, parts, gpus_per_replica=2, gpus_per_server=8
    )
    assert cost == pytest.approx(21_354.43, rel=1e-6)
    # The first volume at which a 100 USD/month fixed cost beats 1 USD per million tokens.
    first, always = owning.volumes_cheaper(
        np.array([1e9]),
        lambda ends: (np.full(ends.shape, 100.0), np.zeros(ends.shape)),
        lambda ends: (np.zeros(ends.shape), np.full(ends.shape, 1e-6)),
    )
    assert (first, always) == pytest.approx((1e8, 1e8))
    with pytest.raises(InputError, match="pue"):
        owning.owned_gpu_hour_parts(1, 1, 1, 1, 1, 0.9, 1, 0, 0)
    assert formulas.gpu_cost_usd(1e6, 1000, 0.8, 1.866, gpus_per_replica=2) == pytest.approx(
        1.295833, rel=1e-5
    )


# --------------------------------------------------------------------------------------
# Bad input: one line each, naming file, line and field
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "text", "message"),
    [
        ("prices/contracts.csv", CONTRACTS.replace(",0.2,", ",1,"),
         r"contracts.csv:2: field 'discount_fraction' = 1.0: must be a fraction in \[0, 1\)"),
        ("prices/contracts.csv", CONTRACTS.replace("Anthropic,", "Anthropik,"),
         r"contracts.csv:2: field 'provider' = 'Anthropik': no API offering of this provider; "
         r"did you mean 'Anthropic'\?"),
        ("prices/contracts.csv", CONTRACTS.replace("Anthropic,,", "Anthropic,claude-sonet-5,"),
         r"field 'model_id' = 'claude-sonet-5': no Anthropic offering with this model_id; "
         r"did you mean claude-sonnet-5"),
        ("prices/contracts.csv", CONTRACTS.replace("2026-01-01,,", "2026-01-01,2025-12-31,"),
         r"contracts.csv:2: field 'valid_to' .*must not be before valid_from"),
        ("prices/contracts.csv",
         CONTRACTS + "Anthropic,claude-sonnet-5,,0.3,2026-06-01,2026-12-31,Side letter,\n",
         r"contracts.csv:3: field 'valid_from' = '2026-06-01': overlaps line 2 \(Anthropic every "
         r"model, from 2026-01-01 open-ended\)"),
        ("owned_gpus.csv", OWNED.replace("H100-SXM-80GB", "H100-SXM"),
         r"owned_gpus.csv:2: field 'gpu' = 'H100-SXM': unknown GPU SKU; did you mean "
         r"'H100-SXM-80GB'\?"),
        ("owned_gpus.csv", OWNED.replace(",700,100,", ",-700,100,"),
         r"owned_gpus.csv:2: field 'watts_per_gpu_busy' = -700.0: must be >= 0"),
        ("owned_gpus.csv", OWNED.replace(",1.25,", ",0.9,"),
         r"owned_gpus.csv:2: field 'pue' = 0.9: must be >= 1"),
        ("prices/api_prices.csv", API_HEADER + _api_rows().replace(",1.5,7.5,", ",-1.5,7.5,"),
         r"api_prices.csv:2: field 'usd_per_million_input_tokens' = -1.5: must be >= 0"),
    ],
    ids=["discount", "provider", "model", "dates", "overlap", "gpu", "watts", "pue", "price"],
)  # fmt: skip
@pytest.mark.slow
def test_bad_input_is_one_line_naming_file_line_and_field(folder, capsys, table, text, message):
    (folder / table).write_text(text)
    status, _, err = _run(capsys, "validate")
    assert status == cli.EXIT_DATA
    assert str(folder / table) in err
    assert re.search(message, err), err


def test_a_user_row_repeating_a_shipped_key_is_refused_naming_both(folder):
    shipped = tables.load_api_prices(paths.API_PRICES_CSV)
    first = shipped[shipped["model_id"] == "claude-sonnet-5"].iloc[0]
    copy = (
        f"proprietary_api,Anthropic,Claude Sonnet 5,claude-sonnet-5,1,1,,,,,,,"
        f"{first['observed_on']:{DAY}},confirmed,https://example.com,mine,\n"
    )
    (folder / "prices" / "api_prices.csv").write_text(API_HEADER + copy)
    with pytest.raises(TableError) as info:
        tables.load_api_prices()
    text = str(info.value)
    assert f"{folder / 'prices' / 'api_prices.csv'}:2: field 'model_id' = 'claude-sonnet-5'" in text
    assert f"as {paths.API_PRICES_CSV} line {int(first['data_line'])}" in text


@pytest.mark.slow
def test_a_folder_missing_empty_unreadable_or_odd_is_said_in_one_line(tmp_path, capsys, no_folder):
    status, _, err = _run(capsys, "validate", "--data-dir", str(tmp_path / "nowhere"))
    assert status == cli.EXIT_USAGE and err.count("\n") == 1
    assert "nowhere (--data-dir / data_dir): not found" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    status, _, err = _run(capsys, "validate", "--data-dir", str(empty))
    assert status == 0 and "holds no table the kit reads" in err
    odd = tmp_path / "odd"
    (odd / "prices").mkdir(parents=True)
    (odd / "prices" / "contract.csv").write_text(CONTRACTS)
    status, _, err = _run(capsys, "validate", "--data-dir", str(odd))
    assert status == cli.EXIT_USAGE and "did you mean prices/contracts.csv?" in err
    (odd / "prices" / "contract.csv").unlink()
    (odd / "throughput_efficiency.csv").write_text("factor\n")
    status, _, err = _run(capsys, "validate", "--data-dir", str(odd))
    assert "may not add to throughput_efficiency.csv" in err
    assert _run(capsys, "table", "--data-dir", "")[2].count("--data-dir is empty") == 1
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked"
        locked.mkdir(mode=0)
        status, _, err = _run(capsys, "validate", "--data-dir", str(locked))
        assert "cannot be read" in err
        locked.chmod(stat.S_IRWXU)
    status, _, err = _run(capsys, "validate", "--data-dir", str(paths.DATA_DIR))
    assert "is the kit's shipped data folder" in err


def test_the_notebook_parameter_follows_the_same_rule(tmp_path, no_folder):
    with pytest.raises(InputError, match="not found"):
        parameters.check("data_dir", str(tmp_path / "nowhere"))
    assert parameters.check("data_dir", "") == ""


# --------------------------------------------------------------------------------------
# Imports write into the folder; genai-prices' start dates are kept
# --------------------------------------------------------------------------------------


def _source_day() -> pd.Timestamp:
    """The import tests' source date: the latest day up to today on which the shipped history
    holds no gpt-4o observation (it may hold one read today: it did on 2026-12-06), so that
    the source is a new observation, not a duplicate, on any day the tests run."""
    shipped = pd.read_csv(paths.API_PRICES_CSV, usecols=["model_id", "observed_on"])
    read = set(shipped.loc[shipped["model_id"] == "gpt-4o", "observed_on"])
    day = TODAY
    while f"{day:{DAY}}" in read:
        day -= pd.Timedelta(days=1)
    return day


def _genai_file(tmp_path) -> str:
    later = (TODAY + pd.Timedelta(days=20)).strftime(DAY)
    data = [
        {
            "id": "openai",
            "models": [
                {
                    "id": "gpt-4o",
                    "prices": [
                        {"prices": {"input_mtok": 2.5, "output_mtok": 10}},
                        {"constraint": {"start_date": later},
                         "prices": {"input_mtok": 2, "output_mtok": 8}},
                    ],
                }
            ],
        }
    ]  # fmt: skip
    path = tmp_path / f"genai_{_source_day():{DAY}}.json"
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.slow
def test_an_import_keeps_the_start_date_and_writes_into_the_folder(folder, tmp_path, capsys):
    before = {p: p.read_bytes() for p in paths.PRICES_DIR.glob("*.csv")}
    tracked = tables.load_tracked()
    tracked = tracked[tracked["model_id"] == "gpt-4o"]
    review = importers.review(
        genai_prices.read_genai_prices(_genai_file(tmp_path)), tracked=tracked
    )
    announced = review.rows[review.rows["effective_from"].notna()]
    assert list(review.table["status"]) == ["changed", "announced"]
    assert announced["usd_per_million_output_tokens"].tolist() == [8.0]
    assert importers.write(review, into=folder) == (2, 0)
    assert {p: p.read_bytes() for p in paths.PRICES_DIR.glob("*.csv")} == before
    written = tables.load_api_prices(folder / "prices" / "api_prices.csv")
    assert written["model_id"].tolist()[-2:] == ["gpt-4o", "gpt-4o"]
    later = TODAY + pd.Timedelta(days=20)
    row = _row(_table(later), "openai/gpt-4o")
    # 1,000,000 output tokens x 8 USD/Mtok from the announced date, labelled announced.
    assert row["cost_usd"] == pytest.approx(8.0) and row["announced"]


def test_an_installed_kit_writes_into_its_default_folder(tmp_path, monkeypatch, no_folder):
    default = tmp_path / "default"
    monkeypatch.setattr(paths, "INSTALLED", True)
    monkeypatch.setattr(paths, "DEFAULT_USER_DATA_DIR", default)
    # Not there yet: nothing to read, and the writer creates it.
    assert user_data.folder() is None
    assert user_data.write_target(paths.API_PRICES_CSV) == default / "prices" / "api_prices.csv"
    monkeypatch.setattr(paths, "INSTALLED", False)
    assert user_data.write_target(paths.API_PRICES_CSV) == paths.API_PRICES_CSV  # a checkout


@pytest.mark.slow
def test_the_cli_import_writes_into_the_folder_and_says_where(folder, tmp_path, capsys):
    before = {p: p.read_bytes() for p in paths.PRICES_DIR.glob("*.csv")}
    status, out, _ = _run(
        capsys, "prices", "import", "genai-prices", "--file", _genai_file(tmp_path), "--write",
        "--allow-missing", "--data-dir", str(folder),
    )  # fmt: skip
    assert status == 0, out
    assert f"into your data folder {folder}" in out
    assert {p: p.read_bytes() for p in paths.PRICES_DIR.glob("*.csv")} == before


# --------------------------------------------------------------------------------------
# Sentences and the run record
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_sentences_name_your_numbers(folder):
    snapshot = prices.as_of(ANNOUNCED)
    said = narrative.user_numbers(_table(ANNOUNCED), snapshot)
    assert said[0] == (
        f"{ANNOUNCED:{DAY}} is after today: 1 price is a change announced for it (Anthropic · "
        "Claude Sonnet 5); every other offering is priced at its last known price."
    )
    assert any(re.match(r"\d+ API offerings are priced at your contract", s) for s in said)
    assert any("costs $1.87 per GPU-hour at 80% busy: capital $1.00" in s for s in said)
    assert any(f"in force from {ANNOUNCED:{DAY}}" in s for s in said)
    assert any("your own prices" in s and "Acme Reseller" in s for s in said)
    assert narrative.snapshot_numbers(snapshot) == [
        f"Your data folder on {ANNOUNCED:{DAY}}: 1 contract in force (Enterprise agreement "
        "2026), 1 kind of server you own (rack-a), 2 offerings priced from your own rows and "
        "1 price announced for later."
    ]
    entry = {"folder": ".../mine", "files": user_data.files()}
    assert narrative.folder_lead(entry).startswith(
        "Your numbers: this report read your data folder .../mine: owned_gpus.csv (1 row), "
        "prices/api_prices.csv (2 rows) and prices/contracts.csv (1 row)."
    )


@pytest.mark.slow
def test_without_a_folder_nothing_is_said(no_folder):
    table = _table(TODAY)
    assert narrative.user_numbers(table, prices.as_of(TODAY)) == []
    assert set(table["data_origin"]) == {"shipped"} and not table["announced"].any()


@pytest.mark.notebook
def test_the_report_marks_your_numbers(folder, tmp_path):
    from infermodel.reports import manifest, runner

    book = tmp_path / "one.yml"
    shutil.copy(paths.NOTEBOOKS_DIR / "break_even.ipynb", tmp_path / "break_even.ipynb")
    book.write_text(
        "title: yours\nnotebooks:\n  - path: break_even.ipynb\n    parameters:\n"
        f"      as_of: '{TODAY:{DAY}}'\n"
        "      api_offerings: ['anthropic/claude-sonnet-5']\n"
        "      diy_offerings: ['owned/H100-SXM-80GB/rack-a/owned@measured-trtllm-h100x2-fp8']\n"
        "      serving_assumptions: ['measured-trtllm-h100x2-fp8']\n"
        "      volume_points: 5\n"
    )
    out = runner.build_report(
        tmp_path / "report", manifest=manifest.Manifest.load(book), progress=lambda _: None,
        jobs=1,
    )  # fmt: skip
    record = json.loads((out / "run_record.json").read_text())
    assert [f["file"] for f in record["user_data"]["files"]] == [
        "owned_gpus.csv",
        "prices/api_prices.csv",
        "prices/contracts.csv",
    ]
    assert str(folder) not in json.dumps(record)  # no machine path is published
    index = (out / "index.html").read_text()
    assert "Your numbers: this report read your data folder" in index
    page = (out / "break_even.html").read_text()
    assert "Your server rack-a (8 x H100-SXM-80GB) costs $1.87 per GPU-hour" in page
    assert "Your servers (H100 SXM 80GB, rack-a owned · Batch, measured: TensorRT-LLM" in page
    assert str(folder) not in page  # the folder's path is the user's, not the page's
    buy = pd.read_csv(out / "tables" / "buy_rent_api.csv")
    # At the measured 15,138,000 tokens/h = 4,205 tokens/s: each token adds 0.12 x 2 /
    # (4,205 x 3,600) = 1.585414e-8 USD of busy power; owning wins against 8 USD/Mtok from
    # 10,343.88 / (8e-6 - 1.585414e-8) = 1,295.552 M tokens a month.
    api = buy[buy["alternative_kind"] == "API"].iloc[0]
    assert api["owning_wins_from_million_tokens_per_month"] == pytest.approx(1_295.552, rel=1e-6)


@pytest.mark.slow
def test_the_readme_quick_start_of_a_user_folder_runs(tmp_path, no_folder):
    readme = (paths.ROOT_DIR / "README.md").read_text()
    block = re.search(r"## Your own numbers\n.*?```bash\n(.*?)```", readme, re.S)[1]
    assert len(block.strip().splitlines()) == 5
    (tmp_path / ".venv").symlink_to(paths.ROOT_DIR / ".venv")
    env = {k: v for k, v in os.environ.items() if k != paths.DATA_DIR_VARIABLE}
    done = subprocess.run(
        ["bash", "-e", "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    out = " ".join(done.stdout.split())
    assert "ok: your data folder" in out and "contracts 1 row " in out
    assert "priced at your contract our 2026 agreement (20% off list" in out


GPU_HEADER = (
    "platform_type,provider,gpu,tier,pricing,usd_per_gpu_hour,billing_increment_seconds,"
    "observed_on,confidence,source_url,note\n"
)
RULES_HEADER = (
    "provider,tier,pricing,billing_increment_seconds,minimum_billed_seconds,"
    "gpus_per_instance_min,scales_to_zero,idle_timeout_seconds_default,"
    "cold_start_seconds_default,interruptions_per_hour,restart_seconds,commitment_term_days,"
    "observed_on,confidence,source_url,note\n"
)


@pytest.mark.slow
def test_a_cloud_the_kit_does_not_ship_is_priced_like_a_shipped_one(folder, capsys):
    gpu = folder / "prices" / "gpu_prices.csv"
    gpu.write_text(
        GPU_HEADER + "diy_gpu,Acme Cloud,H100-SXM-80GB,standard,on_demand,1.5,,2026-11-01,"
        "confirmed,https://example.com/acme-cloud,our rate card\n"
    )
    status, _, err = _run(capsys, "validate")
    assert status == cli.EXIT_DATA
    assert f"{gpu}:2: field 'tier' = 'standard': no (provider, tier, pricing) row in " in err
    (folder / "prices" / "gpu_billing_rules.csv").write_text(
        RULES_HEADER + "Acme Cloud,standard,on_demand,60,60,1,false,,,,,,2026-11-01,confirmed,"
        "https://example.com/acme-cloud,billed by the minute\n"
    )
    assert _run(capsys, "validate")[0] == 0
    row = _row(
        _table(TODAY), "acme-cloud/H100-SXM-80GB/standard/on_demand@measured-trtllm-h100x2-fp8"
    )
    # 1e6 tokens / (1,000 tok/s x 3,600 s x 0.8) x 2 GPUs = 0.694444 GPU-h x 1.50 = 1.041667
    assert row["cost_usd"] == pytest.approx(1.041667, rel=1e-6)
    assert row["data_origin"] == "user"
