"""Output tables keep their declared contracts (infermodel.pricing.contracts), and the contracts
bite."""

from __future__ import annotations

import pandera.errors
import pytest
from helpers import TEST_DATA
from hypothesis import given, settings
from hypothesis import strategies as st

from infermodel import prices, tables
from infermodel.analyses import growth
from infermodel.pricing import compare, contracts, trace_pricing
from infermodel.readers import logs
from infermodel.tables import serving
from infermodel.workloads import Workload

TRACES = TEST_DATA / "traces"
DATES = ["2025-05-31", "2026-09-30"]


@pytest.fixture(scope="module")
def every_assumption():
    return serving.select(tables.load_serving(), "all")


@pytest.fixture(scope="module", params=DATES)
def snapshot(request):
    return prices.as_of(request.param)


@pytest.fixture(scope="module")
def cost(snapshot, every_assumption):
    workload = Workload.from_total(2e6, output_share=0.4, cached_input_share=0.5, requests=20)
    # The batch tier where the snapshot has one (the 2026-09-30 sources publish none).
    batch = request_date_has_batch(snapshot)
    return compare.cost_table(workload, snapshot, every_assumption, use_batch_api=batch)


def request_date_has_batch(snapshot) -> bool:
    return bool(snapshot.api["batch_discount_fraction"].notna().any())


@pytest.mark.slow
def test_cost_table_keeps_its_contract(cost):
    contracts.COST_TABLE.validate(cost, lazy=True)
    assert list(cost.columns) == list(contracts.COST_TABLE.columns)


@settings(max_examples=25, deadline=None)
@given(
    total=st.floats(1, 1e12),
    output_share=st.floats(0, 1),
    cached=st.floats(0, 1),
    requests=st.integers(1, 10**6),
    utilization=st.floats(0.01, 1),
    batch=st.booleans(),
    basis=st.sampled_from(["total", "output"]),
)
@pytest.mark.slow
def test_any_workload_gives_a_cost_table_that_keeps_the_contract(
    total, output_share, cached, requests, utilization, batch, basis
):
    workload = Workload.from_total(
        total, output_share=output_share, cached_input_share=cached, requests=requests
    )
    if basis == "output" and workload.output_tokens == 0:
        basis = "total"  # no output tokens: no GPU time to price on an output basis
    table = compare.cost_table(
        workload,
        prices.as_of(DATES[0]),
        serving.select(tables.load_serving(), "article"),
        utilization=utilization,
        use_batch_api=batch,
        diy_token_basis=basis,
    )
    contracts.COST_TABLE.validate(table, lazy=True)


@pytest.mark.parametrize("max_replicas", [None, 2])
@pytest.mark.slow
def test_break_even_table_keeps_its_contract(cost, max_replicas):
    even = growth.break_even_table(cost, tokens_per_month=1e9, max_replicas=max_replicas)
    contracts.BREAK_EVEN_TABLE.validate(even, lazy=True)


@pytest.mark.parametrize("name", ["azure2023_code.csv", "mooncake_conversation_trace.jsonl"])
@pytest.mark.parametrize("sizing", ["peak", "autoscaled", "serverless"])
@pytest.mark.slow
def test_trace_table_keeps_its_contract(name, sizing, every_assumption):
    trace = logs.read_trace(TRACES / name)
    table = trace_pricing.price_trace(
        trace, prices.as_of(DATES[0]), every_assumption, diy_sizing=sizing
    )
    contracts.TRACE_TABLE.validate(table, lazy=True)


@pytest.mark.parametrize(
    ("corrupt", "rule"),
    [
        (lambda t: t.assign(cost_usd=t["cost_usd"] * 1.01), "usd_per_million_tokens"),
        (lambda t: t.iloc[::-1], "grouped by platform type"),
        (lambda t: t.assign(offering_id="same"), "offering_id"),
        (lambda t: t.assign(gpu="H100-SXM-80GB"), "an API row names no GPU"),
        (lambda t: t.drop(columns="stale"), "stale"),
        (lambda t: t[[*t.columns[1:], t.columns[0]]], "offering_id"),
    ],
    ids=["cost vs price", "order", "duplicate id", "api with gpu", "missing column", "moved"],
)
def test_a_broken_cost_table_is_caught(cost, corrupt, rule):
    with pytest.raises(pandera.errors.SchemaErrors, match=rule):
        contracts.COST_TABLE.validate(corrupt(cost), lazy=True)


def test_a_diy_row_must_cost_its_gpu_hours(cost):
    diy = cost["platform_type"] == "diy_gpu"
    broken = cost.copy()
    broken.loc[diy, "gpu_hours"] = broken.loc[diy, "gpu_hours"] * 2
    with pytest.raises(pandera.errors.SchemaErrors, match="GPU-hours times the hourly rate"):
        contracts.COST_TABLE.validate(broken, lazy=True)


def test_a_break_even_without_reason_is_caught(cost):
    even = growth.break_even_table(cost)
    never = even["break_even_million_tokens_per_month"].isna()
    assert never.any()
    with pytest.raises(pandera.errors.SchemaErrors, match="says why"):
        contracts.BREAK_EVEN_TABLE.validate(even.assign(reason=""), lazy=True)
