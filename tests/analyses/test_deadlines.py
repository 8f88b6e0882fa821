"""A job with a deadline: completion time at published rate limits, on rented GPUs, and the
options that make it (issue 14, part 6). Expected values are worked by hand in comments."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from infermodel import narrative, parameters
from infermodel.analyses import deadlines
from infermodel.errors import InputError, TableError
from infermodel.formulas import rate_limits
from infermodel.tables import api_terms, registry
from infermodel.workloads import Workload

LIMITS_REL = Path("prices") / "api_rate_limits.csv"


# --- the formula: which limit binds ----------------------------------------------------------


def test_openai_tpm_counts_input_plus_output():
    # 1,000 requests at 500 RPM: 2 min; (1,000,000 + 250,000) tokens at 30,000 TPM:
    # 41.67 min = 0.6944 h. Tokens bind.
    hours = rate_limits.limit_hours(
        1_000, 1_000_000, 250_000, requests_per_minute=500, tokens_per_minute=30_000
    )
    assert hours.requests_per_minute == pytest.approx(2 / 60)
    assert rate_limits.completion_hours(hours) == pytest.approx(1_250_000 / 30_000 / 60)
    assert rate_limits.binding_limit(hours) == "tokens_per_minute"


def test_anthropic_separate_input_and_output_limits():
    # 600 requests at 50 RPM: 12 min; 300,000 prompt tokens at 30,000 ITPM: 10 min;
    # 120,000 output tokens at 8,000 OTPM: 15 min = 0.25 h. Output binds.
    hours = rate_limits.limit_hours(
        600,
        300_000,
        120_000,
        requests_per_minute=50,
        input_tokens_per_minute=30_000,
        output_tokens_per_minute=8_000,
    )
    assert rate_limits.completion_hours(hours) == pytest.approx(0.25)
    assert rate_limits.binding_limit(hours) == "output_tokens_per_minute"


def test_requests_per_day_bind_a_long_job():
    # 20,000 requests at 10,000 a day: 2 days = 48 h; at 500 RPM only 40 min.
    hours = rate_limits.limit_hours(
        20_000, 1_000, 1_000, requests_per_minute=500, requests_per_day=10_000
    )
    assert rate_limits.completion_hours(hours) == pytest.approx(48)
    assert rate_limits.binding_limit(hours) == "requests_per_day"


def test_uncached_limit_counts_only_uncached_prompt_tokens():
    # 900,000 prompt tokens of which 90,000 uncached, 900,000 uncached TPM: 0.1 min;
    # 3,600,000 total prompt TPM: 0.25 min. Total prompt binds: 0.25 / 60 h.
    hours = rate_limits.limit_hours(
        1,
        900_000,
        0,
        uncached_prompt_tokens=90_000,
        input_tokens_per_minute=3_600_000,
        uncached_input_tokens_per_minute=900_000,
    )
    assert rate_limits.completion_hours(hours) == pytest.approx(0.25 / 60)


def test_no_published_limit_is_unknown_not_instant():
    requests = np.array([10.0, 10.0])
    hours = rate_limits.limit_hours(requests, 1e6, 1e5, requests_per_minute=[5, np.nan])
    assert rate_limits.completion_hours(hours)[0] == pytest.approx(2 / 60)
    assert math.isnan(rate_limits.completion_hours(hours)[1])
    assert list(rate_limits.binding_limit(hours)) == ["requests_per_minute", ""]


def test_a_negative_limit_is_refused():
    with pytest.raises(InputError, match="rate limit"):
        rate_limits.limit_hours(10, 10, 10, requests_per_minute=-5)


# --- options, the frontier and the deadline --------------------------------------------------


def _limits(rows: list[dict]) -> pd.DataFrame:
    base = {c: np.nan for c in api_terms.RATE_LIMIT_COLUMNS}
    frame = pd.DataFrame([{**base, **row} for row in rows])
    frame["observed_on"] = pd.to_datetime(frame["observed_on"])
    for column in ("confidence", "date_basis", "source_url", "note"):
        frame[column] = "x"
    return frame


def _table() -> pd.DataFrame:
    """A tiny cost table: one API (OpenAI gpt-4o, $100) and one DIY row ($40)."""
    api = {
        "offering_id": "openai/gpt-4o",
        "platform_type": "proprietary_api",
        "provider": "OpenAI",
        "model": "GPT-4o",
        "model_id": "gpt-4o",
        "cost_usd": 100.0,
    }
    diy = {
        "offering_id": "runpod/H100/community/on_demand@x",
        "platform_type": "diy_gpu",
        "provider": "RunPod",
        "model": "Llama (fp8)",
        "model_id": None,
        "cost_usd": 40.0,
        "tokens_per_second": 1_000.0,
        "utilization": 0.5,
        "total_tokens": 7_200_000.0,
        "output_tokens": 1_800_000.0,
    }
    return pd.DataFrame([api, diy])


# 7.2 million tokens, a quarter output, in 3,600 requests.
JOB = Workload.from_total(7_200_000, output_share=0.25, requests=3_600)
LIMITS = _limits(
    [
        # tier 1: 7,200,000 tokens at 60,000 TPM: 120 min = 2 h
        {"provider": "OpenAI", "model_pattern": "gpt-4o*", "usage_tier": "tier_1",
         "tokens_per_minute": 60_000, "observed_on": "2024-05-13"},
        # an exact id beats the wildcard: 3,600 requests at 60 RPM: 1 h
        {"provider": "OpenAI", "model_pattern": "gpt-4o", "usage_tier": "tier_1",
         "requests_per_minute": 60, "observed_on": "2024-05-13"},
        # tier 2: 7,200,000 at 720,000 TPM: 10 min = 1/6 h
        {"provider": "OpenAI", "model_pattern": "gpt-4o", "usage_tier": "tier_2",
         "tokens_per_minute": 720_000, "observed_on": "2024-05-13"},
        # read after the as-of date: ignored
        {"provider": "OpenAI", "model_pattern": "gpt-4o", "usage_tier": "tier_3",
         "tokens_per_minute": 1e9, "observed_on": "2030-01-01"},
    ]
)  # fmt: skip


@pytest.fixture(scope="module")
def every() -> pd.DataFrame:
    return deadlines.options(_table(), JOB, as_of="2025-05-31", max_replicas=4, limits=LIMITS)


def test_api_time_per_tier_most_specific_pattern_and_as_of(every):
    api = every[every["replicas"].isna()].set_index("usage_tier")
    assert set(api.index) == {"tier_1", "tier_2"}  # tier_3 was read after the as-of date
    assert api.loc["tier_1", "completion_hours"] == pytest.approx(1.0)  # the exact id's RPM
    assert api.loc["tier_1", "binding_limit"] == "requests_per_minute"
    assert api.loc["tier_2", "completion_hours"] == pytest.approx(1 / 6)
    assert (api["cost_usd"] == 100).all()  # the tier changes time, not cost


def test_diy_time_shrinks_with_replicas_at_the_same_cost(every):
    # 7,200,000 / (1,000 tokens/s x 0.5 x 3,600 s/h) = 4 h on one replica, 4/R on R.
    diy = every[every["replicas"].notna()].set_index("replicas").sort_index()
    assert list(diy["completion_hours"]) == pytest.approx([4, 2, 4 / 3, 1])
    assert (diy["cost_usd"] == 40).all()


def test_frontier_keeps_what_nothing_beats(every):
    # API tier 2 (1/6 h, $100) is fastest; DIY on 4 replicas (1 h, $40) is cheaper; DIY on
    # fewer replicas is slower at the same cost, API tier 1 (1 h, $100) is beaten by DIY.
    front = deadlines.frontier(every)
    assert list(zip(front["usage_tier"], front["replicas"].fillna(0), strict=True)) == [
        ("tier_2", 0),
        ("", 4),
    ]


def test_deadline_filter(every):
    made = deadlines.meeting(every, 1.5)  # DIY on 3 (1.33 h) and 4 (1 h), API tiers 1 and 2
    assert made["cost_usd"].iloc[0] == 40
    assert sorted(made["completion_hours"].round(3)) == [0.167, 1.0, 1.0, 1.333]
    with pytest.raises(InputError, match="deadline_hours"):
        deadlines.meeting(every, 0)


def test_tier_verdicts_name_the_lowest_tier_that_makes_it(every):
    # asked tier 1 (1 h) misses a 0.5 h deadline; tier 2 (1/6 h) makes it.
    verdicts = deadlines.tier_verdicts(every, {"OpenAI": "tier_1"}, 0.5).iloc[0]
    assert not verdicts["meets"]
    assert verdicts["lowest_tier_meeting"] == "tier_2"
    assert verdicts["hours_at_lowest_tier_meeting"] == pytest.approx(1 / 6)


def test_an_api_without_limits_is_named_not_assumed_fast():
    table = _table().assign(provider=["Together AI", "RunPod"])
    table.loc[0, "offering_id"] = "together-ai/gpt-4o"
    got = deadlines.options(table, JOB, as_of="2025-05-31", max_replicas=1, limits=LIMITS)
    api = got[got["replicas"].isna()].iloc[0]
    assert math.isnan(api["completion_hours"])
    assert "no published rate limit" in api["reason"]
    assert deadlines.frontier(got)["offering_id"].tolist() == ["runpod/H100/community/on_demand@x"]


def test_a_tier_not_on_record_for_an_offering_keeps_a_row_of_unknown_time(every):
    shown = deadlines.at_tiers(every, {"OpenAI": "tier_5"})
    api = shown[shown["replicas"].isna()].iloc[0]
    assert math.isnan(api["completion_hours"])
    assert api["reason"] == "no tier 5 limit on record (on record: tier 1, tier 2)"


def test_a_job_needs_its_request_count():
    job = Workload.from_total(1e6, output_share=0.5)
    with pytest.raises(InputError, match="request count"):
        deadlines.options(_table(), job, as_of="2025-05-31", max_replicas=1, limits=LIMITS)


# --- the answer in words ---------------------------------------------------------------------


def test_deadline_answer_states_cheapest_fastest_and_late_apis(every):
    tiers = {"OpenAI": "tier_1"}
    lines = narrative.deadline_answer(
        deadlines.at_tiers(every, tiers),
        deadlines.tier_verdicts(every, tiers, 1.5),
        deadline_hours=1.5,
        total_tokens=JOB.total_tokens,
        labels={"openai/gpt-4o": "OpenAI · GPT-4o", "runpod/H100/community/on_demand@x": "DIY"},
    )
    # DIY makes 1.5 h on 3 replicas (1.33 h) at $40; the fastest is API tier 1 (1 h) or DIY
    # on 4 (1 h): the cheaper of the tie is DIY.
    assert lines[0] == (
        "2 of the 2 offerings with a known time finish the 7.2 million tokens within 1.5 "
        "hours; the cheapest is DIY on 3 replicas ($40.00, 1.3 hours)."
    )
    assert lines[1] == "The fastest is DIY on 4 replicas ($40.00, 1.0 hours)."
    assert len(lines) == 2  # gpt-4o makes it at tier 1; no API unknown


def test_deadline_answer_names_the_tier_that_would_make_it(every):
    tiers = {"OpenAI": "tier_1"}
    lines = narrative.deadline_answer(
        deadlines.at_tiers(every, tiers),
        deadlines.tier_verdicts(every, tiers, 0.5),
        deadline_hours=0.5,
        total_tokens=JOB.total_tokens,
        labels={"openai/gpt-4o": "GPT-4o", "runpod/H100/community/on_demand@x": "DIY"},
    )
    assert lines[0].startswith("No offering of the 2 with a known time finishes")
    assert lines[1] == (
        "Too slow at the tier given: GPT-4o needs 1.0 hours at tier 1 (requests per minute); "
        "it would at tier 2 (0.2 hours)."
    )


# --- the data: one line per bad cell ---------------------------------------------------------


def _corrupt(tmp_data: Path, row: int, field: str, value: str) -> Path:
    path = tmp_data / LIMITS_REL
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[row, field] = value
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("requests_per_minute", "-50", "must be a limit > 0"),
        ("observed_on", "2025-13-01", "must be a date YYYY-MM-DD"),
        ("provider", "OpenAl", "no tracked offering of this provider"),
        ("model_pattern", "gpt-40", "matches no tracked OpenAI model_id"),
        ("usage_tier", "tier 1", "must be one of"),
    ],
)
@pytest.mark.slow
def test_a_bad_rate_limit_cell_is_one_line(tmp_data, field, value, rule):
    path = _corrupt(tmp_data, 0, field, value)
    with pytest.raises(TableError) as info:
        registry.validate_all(tmp_data)
    lines = [str(p) for p in info.value.problems if p.path == path]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}:2: field '{field}'") and rule in lines[0], lines


def test_a_row_with_no_limit_is_refused(tmp_data):
    path = tmp_data / LIMITS_REL
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, ["requests_per_minute", "tokens_per_minute"]] = ""
    frame.to_csv(path, index=False)
    with pytest.raises(TableError, match="at least one of requests_per_minute"):
        api_terms.load_api_rate_limits(path)


def test_shipped_limits_each_cite_a_source_and_a_date():
    limits = api_terms.load_api_rate_limits()
    assert limits["source_url"].str.len().gt(0).all()
    providers = {"OpenAI", "Anthropic", "Google", "Fireworks AI", "Together AI"}
    assert set(limits["provider"]) == providers


# --- the parameters --------------------------------------------------------------------------


def test_usage_tier_parameter_names_the_typo():
    assert parameters.check("api_usage_tiers", {"OpenAI": "tier_3"}) == {"OpenAI": "tier_3"}
    with pytest.raises(InputError, match=r"api_usage_tiers\['OpenAI'\] = 'tier_9'.*tier_5"):
        parameters.check("api_usage_tiers", {"OpenAI": "tier_9"})
    with pytest.raises(InputError, match="no rate limits on record for 'OpenAl'"):
        parameters.check("api_usage_tiers", {"OpenAl": "tier_1"})
    with pytest.raises(InputError, match="diy_max_replicas"):
        parameters.check("diy_max_replicas", 0)
