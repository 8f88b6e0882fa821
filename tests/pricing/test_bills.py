"""FOCUS bills: reading, bad input, reconciliation and re-pricing, worked out by hand.

The real-model bill ``tests/data/bills/real_openai_anthropic.csv`` (made for these tests,
source in tests/data/README.md) bills July and August 2026 at the list prices the kit ships
for those months (observations of 2026-07-24 and 2026-08-21: GPT-4o 2.50 input, 1.25 cached
input, 10 output; Claude Sonnet 4.5 3 input, 0.30 cached, 3.75 5-minute cache write, 15
output; Together Llama 3.3 70B 0.88 in and out, all USD per million tokens), with one
negotiated discount (line 12), one line above list (line 18), a tax, a credit and a storage
line. Variants are written to ``tmp_path`` by editing its cells.
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from helpers import TEST_DATA

from infermodel import prices, tables
from infermodel.analyses import growth
from infermodel.errors import DataError, InputError
from infermodel.pricing import bill_pricing, compare, contracts, reconcile
from infermodel.readers import focus
from infermodel.readers.focus import skus as focus_skus
from infermodel.tables import serving
from infermodel.units import HOURS_PER_MONTH
from infermodel.workloads import Workload

DATA = TEST_DATA / "bills"
REAL = DATA / "real_openai_anthropic.csv"
SAMPLES = DATA / "focus"


def rows_of(path: Path = REAL) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def write(rows: list[dict], path: Path, columns: list[str] | None = None) -> Path:
    columns = columns or list(rows[0])
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows([{c: row.get(c, "") for c in columns} for row in rows])
    return path


def edited(tmp_path: Path, changes: dict[int, dict], name: str = "bill.csv") -> Path:
    """The real bill with cells changed, by file line (header = line 1)."""
    rows = rows_of()
    for line, cells in changes.items():
        rows[line - 2].update(cells)
    return write(rows, tmp_path / name)


@pytest.fixture(scope="module")
def prices_on():
    return reconcile.shipped_prices()


@pytest.fixture(scope="module")
def real() -> focus.Bill:
    return focus.read_bill(REAL)


@pytest.fixture(scope="module")
def reconciled(real, prices_on) -> pd.DataFrame:
    return reconcile.reconcile(real, prices_on=prices_on)


@pytest.fixture(scope="module")
def assumptions() -> pd.DataFrame:
    return serving.select(tables.load_serving(), ["article-batch-2m"])


@pytest.fixture(scope="module")
def repriced(real, assumptions, prices_on) -> bill_pricing.Repriced:
    return bill_pricing.reprice(real, assumptions, prices_on=prices_on)


# --------------------------------------------------------------------------------------
# Reading: scope, token kinds in both spellings and from the meter, units, 1.2 columns
# --------------------------------------------------------------------------------------


def test_the_real_bill_is_sorted_line_by_line(real):
    lines = real.lines
    assert list(lines["line"]) == list(range(2, 21))
    assert lines["in_scope"].sum() == 16
    out = lines.loc[~lines["in_scope"], ["line", "scope"]].to_numpy().tolist()
    assert out == [[11, "tax"], [19, "credit"], [20, "other service (Storage)"]]
    # FOCUS 1.2 names the provider ProviderName; 1.3 ServiceProviderName (the samples).
    assert set(lines.loc[lines["in_scope"], "provider"]) == {"OpenAI", "Anthropic", "Together AI"}
    assert real.extension_columns == ("x_Project",)
    assert real.usd_per == {"USD": 1.0}
    by_line = lines.set_index("line")
    assert by_line.loc[3, "token_kind"] == "cached_input"  # TokenDirection + TokenCacheAction
    assert by_line.loc[2, "token_kind"] == "input"  # TokenType
    assert by_line.loc[6, ["token_kind", "cache_ttl", "cache_ttl_from"]].tolist() == [
        "cache_write",
        "5m",
        "sku",  # "Cache Write Input Tokens (5m)" in the meter
    ]
    assert by_line.loc[7, "token_kind"] == "cached_input"  # only the meter says it
    assert by_line.loc[2, "billed_tokens"] == 40_000_000
    assert (by_line.loc[[11, 19, 20], "billed_tokens"].isna()).all()


@pytest.mark.parametrize(
    ("sample", "kinds"),
    [
        # TokenType spelling
        ("per_token_foundation_model_api.csv", ["input", "output"]),
        # TokenDirection + TokenCacheAction; a write without a lifetime is priced at 5m
        ("ai_prompt_caching_a.csv", ["input", "cache_write", "cached_input", "output"]),
        # no token keys at all: the SkuMeter text ("Input Tokens", "Output Tokens")
        ("multi_model_usage.csv", ["input", "output", "input", "output"]),
        ("drawdown_via_prepayment_foundation_model_api.csv", ["", "input", "output"]),
    ],
)
def test_the_focus_working_group_samples(sample, kinds):
    bill = focus.read_bill(SAMPLES / sample)
    assert list(bill.lines["token_kind"]) == kinds
    assert (bill.lines["problem"] == "").all()
    if sample == "ai_prompt_caching_a.csv":
        write = bill.lines.set_index("token_kind").loc["cache_write"]
        assert (write["cache_ttl"], write["cache_ttl_from"]) == ("5m", "default")
        # 500,000 + 2,000,000 + 8,000,000 + 1,500,000 tokens
        assert bill.lines["billed_tokens"].sum() == 12_000_000
    if sample.startswith("drawdown"):
        assert bill.lines["scope"].iloc[0] == "purchase"
        assert (bill.usage["commitment_discount_id"] != "").all()


@pytest.mark.parametrize(
    ("unit", "multiple"),
    [
        ("Tokens", 1),
        ("token", 1),
        ("1K Tokens", 1_000),
        ("1000 Tokens", 1_000),
        ("1M Tokens", 1_000_000),
        ("1000000 Tokens", 1_000_000),
        ("Million Tokens", 1_000_000),
        ("Token-Hours", None),
        ("Requests", None),
        ("", None),
    ],
)
def test_token_units(unit, multiple):
    assert focus_skus.token_multiple(unit) == multiple


@pytest.mark.parametrize(
    ("details", "meter", "kind", "ttl"),
    [
        ({"TokenType": "Cache Read"}, "", "cached_input", ""),
        ({"TokenType": "cache_write"}, "", "cache_write", "5m"),
        ({"TokenType": "Reasoning"}, "", "output", ""),
        (
            {"TokenDirection": "Input", "TokenCacheAction": "Write", "TokenCacheTtl": "1h"},
            "",
            "cache_write",
            "1h",
        ),
        ({}, "Cache Write Input Tokens (1 hour)", "cache_write", "1h"),
        ({}, "Cached Input Tokens", "cached_input", ""),
        ({}, "Prompt Tokens", "input", ""),
        ({}, "Completion Tokens", "output", ""),
    ],
)
def test_token_kinds(details, meter, kind, ttl):
    facts = focus_skus.sku_facts(json.dumps({"ModelId": "m", **details}), meter)
    assert (facts.kind, facts.cache_ttl, facts.problem, facts.model) == (kind, ttl, "", "m")


@pytest.mark.parametrize(
    ("details", "meter", "problem"),
    [
        ({"TokenType": "Input", "TokenDirection": "Output"}, "", "disagree"),
        ({"TokenDirection": "Output", "TokenCacheAction": "Read"}, "", "cache action on output"),
        ({"TokenType": "Images"}, "", "is not a token kind"),
        ({}, "Tokens", "says which tokens these are"),
        ({"TokenType": "Cache Write", "TokenCacheTtl": "24h"}, "", "cache lifetime '24h'"),
        ({"ServiceTier": "Reserved"}, "Input Tokens", "not a tier the kit prices"),
    ],
)
def test_token_kinds_the_kit_cannot_tell(details, meter, problem):
    assert problem in focus_skus.sku_facts(json.dumps(details), meter).problem


@pytest.mark.slow
def test_any_column_order_gzip_and_parquet_read_the_same(tmp_path, real):
    rows = rows_of()
    shuffled = write(rows, tmp_path / "shuffled.csv", list(reversed(list(rows[0]))))
    packed = tmp_path / "bill.csv.gz"
    packed.write_bytes(gzip.compress(REAL.read_bytes()))
    parquet = tmp_path / "bill.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{REAL}', all_varchar = true)) TO '{parquet}'")
    for path in (shuffled, packed, parquet):
        other = focus.read_bill(path)
        assert other.fmt == ("parquet" if path.suffix == ".parquet" else "csv")
        lines = other.lines.drop(columns="line")
        pd.testing.assert_frame_equal(lines, real.lines.drop(columns="line"))
    # Parquet has no lines: a row is numbered row + 1.
    assert list(focus.read_bill(parquet).lines["line"]) == list(range(1, 20))


# --------------------------------------------------------------------------------------
# Bad input: each a clear line naming the file, line, field and what would be valid
# --------------------------------------------------------------------------------------


def test_a_missing_focus_column_is_named(tmp_path):
    rows = rows_of()
    for row in rows:
        row["ListCosts"] = row.pop("ListCost")
    path = write(rows, tmp_path / "bill.csv")
    with pytest.raises(DataError) as info:
        focus.read_bill(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    assert "missing FOCUS column ListCost; did you mean 'ListCosts'?" in message


def test_a_file_that_is_not_a_focus_export(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("timestamp,input_tokens,output_tokens\n2026-07-01T00:00:00Z,10,5\n")
    with pytest.raises(DataError, match="not a FOCUS cost-and-usage export: it lacks"):
        focus.read_bill(log)
    with pytest.raises(InputError, match=r"bill .*nothing\.csv: not found"):
        focus.read_bill(tmp_path / "nothing.csv")


def test_mixed_currencies_are_refused_unless_converted(tmp_path):
    path = edited(tmp_path, {9: {"BillingCurrency": "EUR"}, 10: {"BillingCurrency": "EUR"}})
    with pytest.raises(DataError) as info:
        focus.read_bill(path)
    message = str(info.value)
    assert "costs in USD, EUR (first EUR line: 9)" in message
    assert "--usd-per EUR=RATE" in message and "\n" not in message
    bill = focus.read_bill(path, usd_per={"EUR": 1.1})
    by_line = bill.lines.set_index("line")
    # Line 9: 44.00 EUR billed x 1.1 USD/EUR = 48.40 USD; line 10: 8.80 x 1.1 = 9.68 USD.
    assert by_line.loc[9, "billed_cost_usd"] == pytest.approx(48.40)
    assert by_line.loc[10, "list_cost_usd"] == pytest.approx(9.68)
    assert by_line.loc[2, "billed_cost_usd"] == 100.00
    assert bill.usd_per == {"USD": 1.0, "EUR": 1.1}
    with pytest.raises(InputError, match="must be 1"):
        focus.read_bill(REAL, usd_per={"USD": 0.9})


@pytest.mark.parametrize(
    ("cells", "problem"),
    [
        ({"ConsumedQuantity": "-5000"}, "field 'ConsumedQuantity' = -5000: a negative quantity"),
        ({"ConsumedUnit": "Token-Hours"}, "field 'ConsumedUnit' = 'Token-Hours': a unit the kit"),
        ({"PricingQuantity": "41"}, "field 'PricingQuantity' = 41 x '1000000 Tokens' = 41,000,"),
        ({"ConsumedQuantity": ""}, "field 'ConsumedQuantity' is empty"),
        ({"SkuMeter": "Tokens", "SkuPriceDetails": '{"ModelId":"gpt-4o"}'}, "says which tokens"),
    ],
)
def test_a_line_whose_tokens_cannot_be_counted(tmp_path, assumptions, cells, problem):
    path = edited(tmp_path, {2: cells})
    bill = focus.read_bill(path)
    assert problem in bill.bad.set_index("line").loc[2, "problem"]
    with pytest.raises(DataError) as info:
        bill_pricing.reprice(bill, assumptions)
    message = str(info.value)
    assert message.startswith(f"{path}:2: ") and problem in message and "\n" not in message
    assert "--drop-bad-lines" in message and "--reconcile" in message


@pytest.mark.slow
def test_bad_lines_left_out_on_request(tmp_path, assumptions, prices_on):
    bill = focus.read_bill(edited(tmp_path, {2: {"ConsumedQuantity": "-5000"}}))
    left = bill_pricing.reprice(bill, assumptions, drop_bad_lines=True, prices_on=prices_on)
    assert list(left.dropped["line"]) == [2]
    # July without line 2's 40M input tokens: gpt-4o 527.50 - 40 x 2.50 = 427.50 USD,
    # billed 356.80 - 100.00 = 256.80 USD.
    july = left.table[left.table["charge_period_start"] == "2026-07-01"].set_index("offering_id")
    assert july.loc["openai/gpt-4o", "cost_usd"] == pytest.approx(427.50)
    assert july.loc["openai/gpt-4o", "billed_usd"] == pytest.approx(256.80)
    line = reconcile.reconcile(bill, prices_on=prices_on).set_index("line").loc[2]
    assert line["reason"] == "unit or quantity mismatch"
    assert "a negative quantity" in line["detail"]


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("BilledCost", "ten", "field 'BilledCost' = 'ten': must be a number"),
        ("ChargePeriodEnd", "August", "field 'ChargePeriodEnd' = 'August': must be a date"),
        ("ChargePeriodEnd", "2026-06-01T00:00:00Z", "is not after ChargePeriodStart"),
        ("BillingCurrency", "", "field 'BillingCurrency' is empty"),
        ("BilledCost", "", "field 'BilledCost' is empty"),
    ],
)
def test_a_cell_that_is_no_number_or_date_refuses_the_file(tmp_path, field, value, rule):
    path = edited(tmp_path, {5: {field: value}})
    with pytest.raises(DataError) as info:
        focus.read_bill(path)
    assert str(info.value).startswith(f"{path}:5: ") and rule in str(info.value)


@pytest.mark.slow
def test_a_model_the_kit_cannot_map_gets_did_you_mean(tmp_path, prices_on):
    details = '{"ModelId":"gpt-4o-2024-08-07","TokenType":"Input"}'
    path = edited(tmp_path, {2: {"SkuPriceDetails": details}, 5: {"ProviderName": "Antropic"}})
    reconciled = reconcile.reconcile(focus.read_bill(path), prices_on=prices_on).set_index("line")
    assert reconciled.loc[2, "reason"] == "unpriced model"
    assert (
        "model 'gpt-4o-2024-08-07' of OpenAI maps to no tracked offering; did you mean "
        in (reconciled.loc[2, "detail"])
    )
    assert "'gpt-4o-2024-08-06'" in reconciled.loc[2, "detail"]
    assert (
        "no tracked offering of provider 'Antropic'; did you mean 'anthropic'?"
        in (reconciled.loc[5, "detail"])
    )
    assert np.isnan(reconciled.loc[2, "recomputed_list_usd"])


# --------------------------------------------------------------------------------------
# Reconciliation, to the cent
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_real_bill_reconciles_to_the_cent(reconciled):
    contracts.RECONCILE_TABLE.validate(reconciled)
    by_line = reconciled.set_index("line")
    # July: OpenAI 100 + 15 + 60, Anthropic 60 + 15 + 9 + 45, Together 44 + 8.80 = 356.80;
    # August: OpenAI 125 + 80, Anthropic 75 + 60 + 12, Together 52.80 + 12M x 0.88 = 10.56
    # -> 415.36. Recomputed list 356.80 + 415.36 = 772.16 USD.
    usage = reconciled[reconciled["reason"] != "out of scope"]
    assert usage["recomputed_list_usd"].sum() == pytest.approx(772.16, abs=1e-9)
    # Billed: 772.16 - 12.50 (line 12 at 10% off 125.00) + 0.24 (line 18 at 0.90 not 0.88).
    assert usage["billed_cost_usd"].sum() == pytest.approx(759.90, abs=1e-9)
    assert usage["difference_usd"].sum() == pytest.approx(-12.26, abs=1e-9)
    assert by_line.loc[12, ["reason", "difference_usd"]].tolist() == ["negotiated discount", -12.5]
    assert by_line.loc[18, "reason"] == "billed above list"
    assert by_line.loc[18, "difference_usd"] == pytest.approx(0.24)  # 10.80 - 10.56
    assert by_line.loc[18, "list_difference_usd"] == pytest.approx(0.24)  # its own list: 0.90
    assert (usage["reason"] == "at list").sum() == 14
    assert by_line.loc[2, ["offering_id", "mapped_by"]].tolist() == [
        "openai/gpt-4o",
        "bill_models.csv",  # the dated snapshot gpt-4o-2024-08-06
    ]
    assert by_line.loc[5, "mapped_by"] == "tracked_offerings.csv genai_prices_model"
    assert by_line.loc[9, "mapped_by"] == "tracked id"
    assert by_line.loc[2, "priced_as_of"] == pd.Timestamp("2026-07-31")
    assert by_line.loc[12, "priced_as_of"] == pd.Timestamp("2026-08-31")
    assert by_line.loc[[11, 19, 20], "reason"].eq("out of scope").all()


@pytest.mark.slow
def test_totals_show_usage_and_what_is_out_of_scope(reconciled):
    totals = reconcile.totals(reconciled).set_index("scope")
    assert totals.loc["all AI token usage", "lines"] == 16
    assert totals.loc["all AI token usage", "billed_tokens"] == 374_000_000
    # Out of scope: tax 12.00 + credit -25.00 + storage 3.00 = -10.00; whole bill 749.90.
    assert totals.loc["all lines out of scope", "billed_cost_usd"] == pytest.approx(-10.0)
    assert totals.loc["the whole bill", "billed_cost_usd"] == pytest.approx(749.90)
    assert totals.loc["the whole bill", "lines"] == 19


@pytest.mark.slow
def test_a_line_at_list_costs_what_table_says(reconciled):
    """The reconciliation and ``infermodel table`` bill the same tokens at the same prices."""
    snapshot = prices.as_of("2026-07-31")
    july = reconciled[reconciled["charge_period_start"] == "2026-07-01"]
    for offering_id, workload in {
        "openai/gpt-4o": Workload(40e6, 6e6, cached_input_tokens=12e6),
        "anthropic/claude-sonnet-4-5-20250929": Workload(
            20e6, 3e6, cached_input_tokens=30e6, cache_write_tokens=4e6
        ),
    }.items():
        table = compare.cost_table(workload, snapshot, pd.DataFrame()).set_index("offering_id")
        mine = july[july["offering_id"] == offering_id]["recomputed_list_usd"].sum()
        assert mine == pytest.approx(table.loc[offering_id, "cost_usd"], rel=1e-12)
    # 175.00 (100 + 15 + 60) and 129.00 (60 + 15 + 9 + 45) USD


@pytest.mark.slow
def test_a_commitment_and_a_mapping_of_ones_own(tmp_path):
    mapping = tmp_path / "models.csv"
    mapping.write_text(
        "provider,billed_model,offering_id,checked_on,source_url,note\n"
        "Solora AI,solora-saturn-5.0,openai/gpt-4o,2025-05-31,https://example.com/contract,test\n"
    )
    bill = focus.read_bill(SAMPLES / "drawdown_via_prepayment_foundation_model_api.csv")
    names = reconcile.model_names(extra=reconcile.load_mapping(mapping))
    reconciled = reconcile.reconcile(bill, names=names).set_index("line")
    # May 2025 GPT-4o: 5M input x 2.50 = 12.50; 1.5M output x 10 = 15.00 USD; billed 0 (drawn
    # from the prepayment), so a committed discount of 12.50 and 15.00.
    assert reconciled.loc[3, "recomputed_list_usd"] == pytest.approx(12.50)
    assert reconciled.loc[4, "recomputed_list_usd"] == pytest.approx(15.00)
    assert reconciled.loc[[3, 4], "reason"].eq("committed discount").all()
    assert reconciled.loc[3, "mapped_by"] == "mapping given"
    assert reconciled.loc[2, ["reason", "detail"]].tolist() == ["out of scope", "purchase"]


@pytest.mark.slow
def test_one_hour_cache_writes_and_a_model_without_them(tmp_path, prices_on):
    day = {"ChargePeriodStart": "2026-12-01T00:00:00Z", "ChargePeriodEnd": "2026-12-02T00:00:00Z"}
    # Claude Sonnet 4.5 retired on 2026-11-30 (issue 24): December's line bills Sonnet 4.6.
    sonnet_4_6 = '{"ModelId":"claude-sonnet-4-6"}'
    hour = {"SkuMeter": "Cache Write Input Tokens (1h)", "SkuPriceDetails": sonnet_4_6, **day}
    gpt = '{"ModelId":"gpt-4o","TokenType":"Cache Write","TokenCacheTtl":"1h"}'
    july = {"SkuMeter": "Cache Write Input Tokens (1h)"}
    path = edited(tmp_path, {6: hour, 2: {**hour, "SkuPriceDetails": gpt}, 16: july})
    reconciled = reconcile.reconcile(focus.read_bill(path), prices_on=prices_on).set_index("line")
    # Claude Sonnet 4.6 on 2026-12-01: 1-hour writes at 6 USD/Mtok: 4M x 6 = 24.00 USD,
    # against 15.00 billed (at the 5-minute price): billed below the kit's list.
    assert reconciled.loc[6, ["cache_ttl", "usd_per_million_tokens"]].tolist() == ["1h", 6.0]
    assert reconciled.loc[6, "recomputed_list_usd"] == pytest.approx(24.0)
    assert reconciled.loc[6, "reason"] == "billed below list"
    # OpenAI prices no cache write at all: written tokens are billed as input (the kit's
    # reading, as in `table`), 40M x 2.50 = 100.00 USD, at list.
    assert reconciled.loc[2, ["usd_per_million_tokens", "reason"]].tolist() == [2.5, "at list"]
    # In August 2026 the kit has no 1-hour write price for Claude Sonnet 4.5 (first read
    # 2026-12-01): that line cannot be priced, and says why.
    assert reconciled.loc[16, "reason"] == "unpriced model"
    assert "no standard price for 1h cache write" in reconciled.loc[16, "detail"]


@pytest.mark.slow
def test_a_batch_sku_reconciles_at_the_batch_price(tmp_path, prices_on):
    cells = {"SkuMeter": "Batch Input Tokens", "ListCost": "50.00", "BilledCost": "50.00"}
    line = reconcile.reconcile(focus.read_bill(edited(tmp_path, {2: cells})), prices_on=prices_on)
    line = line.set_index("line").loc[2]
    # GPT-4o's batch price in July 2026: 2.50 x (1 - 0.5, its batch_discount_fraction) = 1.25
    # USD/Mtok; 40M x 1.25 = 50.00 USD, as billed.
    assert (line["service_tier"], line["usd_per_million_tokens"]) == ("batch", 1.25)
    assert (line["recomputed_list_usd"], line["reason"]) == (50.0, "at list")


@pytest.mark.slow
def test_a_price_change_inside_the_charge_period_is_said(tmp_path, prices_on):
    mixtral = '{"ModelId":"mistralai/Mixtral-8x7B-Instruct-v0.1","TokenType":"Input"}'
    path = edited(tmp_path, {17: {"SkuPriceDetails": mixtral, "BilledCost": "9.00"}})
    line = reconcile.reconcile(focus.read_bill(path), prices_on=prices_on).set_index("line").loc[17]
    # Together Mixtral 8x7B: 0.60 USD/Mtok observed 2026-07-24, 0.90 on 2026-08-21; the
    # August line is priced on 2026-08-31: 60M x 0.90 = 54.00 USD.
    assert line["recomputed_list_usd"] == pytest.approx(54.0)
    assert bool(line["price_changed_in_period"])
    assert "0.6 on 2026-08-01, 0.9 USD/Mtok on 2026-08-31" in line["detail"]


@pytest.mark.slow
def test_withdrawn_and_unpriced_dates(tmp_path, prices_on):
    opus = '{"ModelId":"claude-opus-4-1-20250805","TokenType":"Input"}'
    early = {"ChargePeriodStart": "2024-01-01T00:00:00Z", "ChargePeriodEnd": "2024-02-01T00:00Z"}
    path = edited(tmp_path, {14: {"SkuPriceDetails": opus}, 2: early})
    reconciled = reconcile.reconcile(focus.read_bill(path), prices_on=prices_on).set_index("line")
    # Claude Opus 4.1 was retired on 2026-08-05 (withdrawals.csv); line 14 is of August.
    assert "was withdrawn on 2026-08-05" in reconciled.loc[14, "detail"]
    assert "no price observations on or before 2024-01-31" in reconciled.loc[2, "detail"]
    assert reconciled.loc[[2, 14], "reason"].eq("unpriced model").all()


# --------------------------------------------------------------------------------------
# The same tokens on every offering
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_real_bill_repriced_by_hand(repriced):
    table = repriced.table
    contracts.BILL_TABLE.validate(table)
    at = table.set_index(["charge_period_start", "offering_id"])["cost_usd"]
    july, august = pd.Timestamp("2026-07-01"), pd.Timestamp("2026-08-01")
    # July: input 40 + 20 + 50 = 110M, cached 12 + 30 = 42M, 5m writes 4M, output 6 + 3 + 10
    # = 19M. GPT-4o: 110 x 2.50 + 42 x 1.25 + 4 x 2.50 (OpenAI bills writes as input) + 19 x
    # 10 = 527.50 USD. Together Llama 3.3 70B, no cache prices: 175M x 0.88 = 154.00 USD.
    assert at[(july, "openai/gpt-4o")] == pytest.approx(527.50)
    assert at[(july, "together-ai/meta-llama/Llama-3.3-70B-Instruct-Turbo")] == pytest.approx(154.0)
    # August: input 50 + 25 + 60 = 135M, cached 40M, output 8 + 4 + 12 = 24M:
    # 135 x 2.50 + 40 x 1.25 + 24 x 10 = 627.50; Together 199M x 0.88 = 175.12 USD.
    assert at[(august, "openai/gpt-4o")] == pytest.approx(627.50)
    assert at[(august, "together-ai/meta-llama/Llama-3.3-70B-Instruct-Turbo")] == pytest.approx(
        175.12
    )
    # The bill's lines are real-time traffic (no batch tier): rented GPUs are replicas kept up
    # all of July (744 h). RunPod A100 PCIe community cloud at 1.19 USD/h, 2M tokens/h x 0.8 =
    # 1.6M tokens/h x 744 h = 1,190.4M tokens a replica: one replica, 744 x 1.19 = 885.36 USD
    # (the busy hours alone, 175M / 1.6M = 109.375 h, would be 130.16 USD), and a batch
    # throughput does not fit real-time traffic.
    diy = "runpod/A100-PCIe-80GB/community_cloud/on_demand@article-batch-2m"
    assert at[(july, diy)] == pytest.approx(885.36)
    row = table.set_index(["charge_period_start", "offering_id"]).loc[(july, diy)]
    assert (row["billing_basis"], row["replicas"], row["gpu_hours"]) == ("always_on", 1.0, 744.0)
    assert row["traffic"] == "realtime" and not row["fits_traffic"]
    billed = table.groupby("charge_period_start")["billed_usd"].first()
    assert billed[july] == pytest.approx(356.80) and billed[august] == pytest.approx(403.10)
    assert set(table.loc[table["billed_offering"], "offering_id"]) == {
        "openai/gpt-4o",
        "anthropic/claude-sonnet-4-5-20250929",
        "together-ai/meta-llama/Llama-3.3-70B-Instruct-Turbo",
    }
    assert (table["priced_as_of"] == table["charge_period_end"] - pd.Timedelta(days=1)).all()


@pytest.mark.slow
def test_one_hour_writes_are_priced_at_their_lifetime(tmp_path, assumptions, prices_on):
    day = {"ChargePeriodStart": "2026-12-01T00:00:00Z", "ChargePeriodEnd": "2026-12-02T00:00:00Z"}
    rows = {line: day for line in range(2, 11)}
    # Claude Sonnet 4.5 retired on 2026-11-30 (issue 24): the December lines bill Sonnet 4.6,
    # at the same prices.
    for line in (5, 6, 7, 8):
        details = rows_of()[line - 2]["SkuPriceDetails"].replace(
            "claude-sonnet-4-5", "claude-sonnet-4-6"
        )
        rows[line] = {**day, "SkuPriceDetails": details}
    rows[6] = {**rows[6], "SkuMeter": "Cache Write Input Tokens (1h)"}
    path = edited(tmp_path, rows)
    repriced = bill_pricing.reprice(focus.read_bill(path), assumptions, prices_on=prices_on)
    december = repriced.table["charge_period_start"] == "2026-12-01"
    at = repriced.table[december].set_index("offering_id")
    sonnet = at.loc["anthropic/claude-sonnet-4-6"]
    # 2026-12-01 prices: input 110M x 3 + cached 42M x 0.30 + output 19M x 15 + 1-hour writes
    # 4M x 6 = 330 + 12.60 + 285 + 24 = 651.60 USD.
    assert sonnet["cost_usd"] == pytest.approx(651.60)
    assert sonnet["cache_write_1h_tokens"] == 4e6 and sonnet["cache_write_tokens"] == 4e6
    # Offerings that price 5-minute writes but publish no 1-hour price are left out, named.
    left_out = repriced.left_out[repriced.left_out["charge_period_start"] == "2026-12-01"]
    gone = left_out.set_index("offering_id")["reason"]
    assert "no standard price for 1h cache write" in set(gone)
    assert not set(gone.index) & set(at.index)


def test_a_bill_without_ai_token_usage(tmp_path, assumptions):
    path = write([rows_of()[9]], tmp_path / "tax.csv")  # line 11, the tax
    with pytest.raises(DataError, match=r"no AI token usage line to price \(1 tax\)"):
        bill_pricing.reprice(focus.read_bill(path), assumptions)


@pytest.mark.slow
def test_like_for_like_per_model(real, assumptions, prices_on):
    by_model = bill_pricing.reprice(real, assumptions, by_model=True, prices_on=prices_on).table
    contracts.BILL_TABLE.validate(by_model)
    alternatives = bill_pricing.like_for_like(by_model, tables.load_api_prices())
    rows = alternatives.set_index("billed_offering_id")
    llama = rows.loc["together-ai/meta-llama/Llama-3.3-70B-Instruct-Turbo"]
    # The bill's Llama tokens were answered as they came: a batch throughput (2M tokens/h,
    # the only assumption here) does not fit them, so no rented GPU is proposed; the other
    # seller, Fireworks at 0.90/M, costs 132M x 0.90 = 118.80 USD, more than the 116.40
    # billed (52.80 + 10.80 + 44.00 + 8.80): stay.
    assert llama["traffic"] == "realtime" and llama["diy_offering_id"] == ""
    assert llama["like_offering_id"].startswith("fireworks-ai/")
    assert llama["like_usd"] == pytest.approx(118.80)
    assert llama["billed_usd"] == pytest.approx(116.40)
    assert llama["saving_usd"] == 0 and llama["best_usd"] == pytest.approx(116.40)
    assert llama["list_usd"] == pytest.approx(116.16)  # 132M x 0.88
    gpt = rows.loc["openai/gpt-4o"]
    # No other seller of GPT-4o: staying costs what was billed, 367.50 (175.00 + 192.50).
    assert gpt["like_offering_id"] == "" and gpt["best_usd"] == pytest.approx(367.50)
    assert gpt["list_usd"] == pytest.approx(380.0)
    assert alternatives["best_usd"].sum() == pytest.approx(367.50 + 276.00 + 116.40)


@pytest.mark.slow
def test_rented_gpus_for_real_time_traffic_are_replicas_kept_up(real, prices_on):
    realtime = serving.select(tables.load_serving(), ["article-realtime-60", "article-batch-2m"])
    by_model = bill_pricing.reprice(real, realtime, by_model=True, prices_on=prices_on).table
    alternatives = bill_pricing.like_for_like(by_model, tables.load_api_prices())
    llama = alternatives.set_index("billed_offering_id").loc[
        "together-ai/meta-llama/Llama-3.3-70B-Instruct-Turbo"
    ]
    # 60 tokens/s x 0.8 x 3,600 = 172,800 tokens/h a replica, x 744 h = 128.6M tokens in July
    # and in August: one replica each month for Llama's 66M tokens a month, 744 h x 1.19 USD
    # (RunPod A100 PCIe community) = 885.36 USD a month, 1,770.72 for the two: 15.2x the 116.40
    # billed, never the 98.18 USD the busy hours of a batch job would be.
    assert llama["diy_offering_id"] == (
        "runpod/A100-PCIe-80GB/community_cloud/on_demand@article-realtime-60"
    )
    assert llama["diy_usd"] == pytest.approx(1770.72)
    assert (llama["diy_billing_basis"], llama["diy_replicas"]) == ("always_on", 1.0)
    assert llama["best_usd"] == pytest.approx(116.40)


@pytest.mark.slow
def test_the_bill_alternatives_cost_what_the_break_even_page_charges(real, prices_on):
    # The same volume and basis on both pages: a charge period of H hours holding T tokens is
    # a monthly volume of T x HOURS_PER_MONTH / H on the break-even page, whose monthly cost
    # (growth.monthly_cost_curves, replicas kept up all month, at least one) scaled back to
    # H hours is what the bill page charges the rented GPUs for that period.
    realtime = serving.select(tables.load_serving(), ["article-realtime-60", "article-batch-2m"])
    table = bill_pricing.reprice(real, realtime, prices_on=prices_on).table
    diy = table[table["platform_type"] == "diy_gpu"]
    assert set(diy["billing_basis"]) == {"always_on"}
    checked = 0
    for (start, end), period in diy.groupby(["charge_period_start", "charge_period_end"]):
        hours = (end - start) / pd.Timedelta(hours=1)
        tokens = period["total_tokens"].iloc[0]
        page = compare.cost_table(
            Workload.from_total(1e6, output_share=0.5),
            prices_on(period["priced_as_of"].iloc[0]),
            realtime,
        )
        monthly = tokens * HOURS_PER_MONTH / hours
        curves = growth.monthly_cost_curves(page, [monthly], billing="always_on", min_replicas=1)
        charged = curves.set_index("offering_id")["cost_usd_per_month"] * hours / HOURS_PER_MONTH
        for row in period.itertuples():
            assert row.cost_usd == pytest.approx(charged[row.offering_id], rel=1e-12)
            checked += 1
    assert checked == len(diy) > 10
    # By hand, July (744 h, 175M tokens) at 60 tok/s x 0.8: 172,800 tokens/h a replica x 744 h
    # = 128.56M a replica, so 2 replicas x 744 h x 1.19 USD = 1,770.72 USD on the A100.
    july = diy.set_index(["charge_period_start", "offering_id"]).loc[
        (
            pd.Timestamp("2026-07-01"),
            "runpod/A100-PCIe-80GB/community_cloud/on_demand@article-realtime-60",
        ),
        "cost_usd",
    ]
    assert july == pytest.approx(2 * 744 * 1.19)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Llama 3.3 70B Instruct Turbo", "Llama 3.3 70B Instruct", True),
        ("Llama 3.x 70B (fp8)", "Llama 3.3 70B Instruct Turbo", True),
        ("Llama 3.x 70B (fp8)", "Llama 3.1 8B Instruct Turbo", False),
        ("Qwen3 235B A22B FP8 (throughput)", "Qwen3 235B A22B", True),
        ("Mistral 7B Instruct v0.1", "Mistral 7B Instruct v0.3", False),
        ("GPT-4o", "GPT-4o mini", False),
    ],
)
def test_same_model_family(a, b, same):
    assert bill_pricing.same_family(a, b) is same


def test_a_quarter_window_counts_the_lines_priced_in_it(real):
    inside, outside = reconcile.quarter_window(real, "2026-09-30")
    assert (len(inside.lines), outside) == (19, 0)
    # Only August: lines priced after 2026-07-31 (July's last day) up to 2026-09-30.
    august, outside = reconcile.window(real, "2026-07-31", "2026-09-30")
    assert (len(august.lines), outside) == (9, 10)
    none, outside = reconcile.quarter_window(real, "2026-12-01")
    assert none.usage.empty and outside == 19
