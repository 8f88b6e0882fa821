"""Retirements from the providers' own notices, scheduled dates, and uplifts (issue 13).

A withdrawal of kind ``retired`` (a provider's notice) hides an offering from
``prices.as_of`` from its date on, even when a third-party price file still listed the model
later; a scheduled retirement date (``scheduled_retirements.csv``) never hides anything.
"""

from __future__ import annotations

import fnmatch

import pandas as pd
import pytest

from infermodel import paths, prices, tables
from infermodel.errors import TableError
from infermodel.tables import api_terms, registry, user_data

SCHEDULED_REL = paths.SCHEDULED_RETIREMENTS_CSV.relative_to(paths.DATA_DIR)
UPLIFTS_REL = paths.UPLIFTS_CSV.relative_to(paths.DATA_DIR)


def _on_sale(date: str) -> set[str]:
    return set(prices.as_of(date).api["model_id"])


def _day(date: str, days: int) -> str:
    return (pd.Timestamp(date) + pd.Timedelta(days=days)).strftime("%Y-%m-%d")


#: (model_id, the provider's retirement date), each read from the provider's notice.
RETIREMENTS = [
    ("claude-3-sonnet-20240229", "2025-07-21"),
    ("claude-3-opus-20240229", "2026-01-05"),
    ("claude-3-7-sonnet-20250219", "2026-02-19"),
    ("claude-3-haiku-20240307", "2026-04-20"),
    ("claude-opus-4-20250514", "2026-06-15"),
    ("claude-sonnet-4-20250514", "2026-06-15"),
    ("claude-opus-4-1-20250805", "2026-08-05"),
    ("gpt-4.5-preview", "2025-07-14"),
    ("gpt-4.1-nano", "2026-10-23"),
    ("gemini-1.5-pro", "2025-09-24"),
    ("gemini-2.0-flash", "2026-06-01"),
    ("gemini-2.5-pro-preview-05-06", "2025-12-02"),
    # Issue 24: Anthropic's Sonnet 4.5 page ("retires on November 30, 2026"); Google's
    # deprecations page as read on 2026-11-10 (Gemini 2.5 Pro and Flash shut down on the
    # Gemini API on 2026-12-01, requests routed to another model at its rates).
    ("claude-sonnet-4-5-20250929", "2026-11-30"),
    ("gemini-2.5-pro", "2026-12-01"),
    ("gemini-2.5-flash", "2026-12-01"),
]


def test_every_shipped_withdrawal_is_a_dated_provider_retirement():
    withdrawals = tables.load_withdrawals()
    dates = withdrawals["withdrawn_on"].dt.strftime("%Y-%m-%d")
    got = sorted(zip(withdrawals["model_id"], dates, strict=True))
    assert got == sorted(RETIREMENTS)
    assert set(withdrawals["kind"]) == {"retired"}
    # Each row names the provider's page, never LiteLLM's file, and keeps the old reading.
    assert not withdrawals["source_url"].str.contains("litellm").any()
    assert (
        withdrawals["note"]
        .str.contains("read 2026-12-01|read through|stored copy", regex=True)
        .all()
    )


@pytest.mark.parametrize(("model_id", "retired_on"), RETIREMENTS, ids=[m for m, _ in RETIREMENTS])
@pytest.mark.slow
def test_a_model_is_on_sale_the_day_before_its_retirement_and_gone_from_that_day(
    model_id, retired_on
):
    assert model_id in _on_sale(_day(retired_on, -1))
    assert model_id not in _on_sale(retired_on)
    assert model_id not in _on_sale(_day(retired_on, 1))
    snapshot = prices.as_of(retired_on)
    row = snapshot.withdrawn.set_index("model_id").loc[model_id]
    assert row["withdrawn_on"] == pd.Timestamp(retired_on)
    assert row["withdrawal_kind"] == "retired"


@pytest.mark.slow
def test_a_third_party_price_after_a_retirement_does_not_put_the_model_back_on_sale():
    # LiteLLM and genai-prices kept listing Claude 3 Haiku after Anthropic retired it on
    # 2026-04-20: api_prices.csv has observations of 2026-07-24 .. 2026-11-27.
    api = tables.load_api_prices()
    haiku = api[api["model_id"] == "claude-3-haiku-20240307"]["observed_on"]
    assert haiku.max() > pd.Timestamp("2026-04-20")
    for date in ("2026-07-24", "2026-08-21", "2026-11-27", "2026-12-01"):
        assert "claude-3-haiku-20240307" not in _on_sale(date)


def test_an_unlisted_withdrawal_is_undone_by_a_later_observation():
    api = tables.load_api_prices()
    api = api[api["model_id"] == "gpt-4o"]
    withdrawals = pd.DataFrame(
        {
            "provider": ["OpenAI"],
            "model_id": ["gpt-4o"],
            "withdrawn_on": [pd.Timestamp("2025-06-01")],
            "kind": ["unlisted"],
            "confidence": ["estimated"],
            "source_url": ["x"],
            "note": ["a source stopped listing it"],
        }
    )
    kept = prices.as_of("2025-07-01", api_prices=api, withdrawals=withdrawals)
    assert kept.api.empty and list(kept.withdrawn["model_id"]) == ["gpt-4o"]
    again = prices.as_of("2025-12-01", api_prices=api, withdrawals=withdrawals)
    assert list(again.api["model_id"]) == ["gpt-4o"]  # observed again on 2025-11-28
    retired = withdrawals.assign(kind="retired")
    assert prices.as_of("2025-12-01", api_prices=api, withdrawals=retired).api.empty


@pytest.mark.parametrize(
    ("model_id", "scheduled_on"),
    [
        ("meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo", "2026-02-25"),  # LiteLLM, Together
        ("claude-opus-4-5-20251101", "2027-01-22"),  # Anthropic's date, in the future
    ],
)
@pytest.mark.slow
def test_a_scheduled_date_never_hides_a_model(model_id, scheduled_on):
    scheduled = api_terms.load_scheduled_retirements()
    rows = scheduled[
        (scheduled["model_id"] == model_id)
        & (scheduled["scheduled_on"] == pd.Timestamp(scheduled_on))
    ]
    assert not rows.empty
    assert not tables.load_withdrawals()["model_id"].eq(model_id).any()
    for days in (-1, 0, 1):
        date = min(_day(scheduled_on, days), "2026-12-01")
        assert model_id in _on_sale(date)


@pytest.mark.slow
def test_a_moved_schedule_hides_nothing_until_the_provider_notice():
    # Google's "earliest possible" 2026-10-16 for Gemini 2.5 Pro was a schedule (it moved):
    # on sale around it; the shutdown the page gave for 2026-12-01 is a withdrawal row.
    scheduled = api_terms.load_scheduled_retirements()
    assert (scheduled["model_id"].eq("gemini-2.5-pro")
            & scheduled["scheduled_on"].eq(pd.Timestamp("2026-10-16"))).any()  # fmt: skip
    for date in ("2026-10-15", "2026-10-16", "2026-10-17", "2026-11-30"):
        assert "gemini-2.5-pro" in _on_sale(date)
    assert "gemini-2.5-pro" not in _on_sale("2026-12-01")


@pytest.mark.slow
def test_the_snapshot_lists_the_schedules_read_by_its_date():
    snapshot = prices.as_of("2026-12-01")
    planned = snapshot.scheduled
    assert (planned["read_on"] <= snapshot.as_of).all()
    assert set(planned["model_id"]) <= set(snapshot.api["model_id"])
    opus = planned[planned["model_id"] == "claude-opus-4-5-20251101"]
    assert list(opus["scheduled_on"]) == [pd.Timestamp("2027-01-22")]
    # Read on 2026-11-26: not yet known on 2026-11-01.
    earlier = prices.as_of("2026-11-01").scheduled
    assert not earlier["model_id"].eq("claude-opus-4-5-20251101").any()


def test_litellm_scheduled_dates_that_were_read_as_withdrawals_are_kept_as_schedules():
    scheduled = api_terms.load_scheduled_retirements()
    opus = scheduled[scheduled["model_id"] == "claude-3-opus-20240229"]
    assert pd.Timestamp("2026-05-01") in set(opus["scheduled_on"])
    assert opus["note"].str.contains("superseded").any()


@pytest.mark.slow
def test_scheduled_retirement_naming_no_offering_fails_validate(tmp_data):
    path = tmp_data / SCHEDULED_REL
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = frame.index[frame["model_id"] == "claude-3-opus-20240229"][0]
    frame.loc[row, "model_id"] = "claude-3-opus-2024022"
    frame.to_csv(path, index=False)
    api_terms.load_scheduled_retirements(path)  # the table alone is valid
    with pytest.raises(TableError) as info:
        registry.validate_all(tmp_data)
    assert f"{path}:{row + 2}: field 'model_id'" in str(info.value)
    assert "did you mean claude-3-opus-20240229" in str(info.value)


@pytest.mark.slow
def test_a_scheduled_date_may_lie_in_the_future_but_not_its_reading(tmp_data):
    path = tmp_data / SCHEDULED_REL
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, "scheduled_on"] = "2031-01-01"
    frame.to_csv(path, index=False)
    registry.validate_all(tmp_data)
    frame.loc[0, "read_on"] = "2031-01-01"
    frame.to_csv(path, index=False)
    with pytest.raises(TableError, match=r"field 'read_on'.*must not be in the future"):
        registry.validate_all(tmp_data)


# --------------------------------------------------------------------------------------
# Uplifts
# --------------------------------------------------------------------------------------


def test_shipped_uplifts_are_valid_and_match_kit_model_ids():
    uplifts = api_terms.load_uplifts()
    assert list(uplifts.columns) == [
        "uplift_id",
        "provider",
        "model_pattern",
        "multiplier",
        "effective_from",
        "applies_to",
        "confidence",
        "source_url",
        "note",
        *user_data.ORIGIN_COLUMNS,  # where each row was read (shipped data or a user folder)
    ]
    by_id = uplifts.groupby("uplift_id")["multiplier"].unique()
    # Fireworks' US-only page: "a 10% premium" (issue 24; LiteLLM's -us keys had said 1.5x).
    assert list(by_id["anthropic-us-only"]) == [1.1] and list(by_id["fireworks-us"]) == [1.1]
    # US-only inference exists from Opus 4.6 on: the new lineup matches, older Claude not.
    us = uplifts[uplifts["uplift_id"] == "anthropic-us-only"]["model_pattern"]
    newer = [
        "claude-opus-4-6",
        "claude-sonnet-4-6",
        "claude-opus-4-8",
        "claude-opus-5",
        "claude-sonnet-5-5",
        "claude-haiku-5-5",
    ]
    older = [
        "claude-opus-4-5-20251101",
        "claude-haiku-4-5-20251001",
        "claude-3-haiku-20240307",
        "claude-sonnet-4-5-20250929",
        "claude-opus-4-1-20250805",
    ]
    matches = lambda m: any(fnmatch.fnmatchcase(m, p) for p in us)  # noqa: E731
    assert all(matches(m) for m in newer) and not any(matches(m) for m in older)


@pytest.mark.parametrize(
    ("cells", "field"),
    [
        ({"uplift_id": "Anthropic US"}, "uplift_id"),
        ({"multiplier": "0"}, "multiplier"),
        ({"multiplier": "110"}, "multiplier"),
        ({"applies_to": "everything"}, "applies_to"),
        ({"confidence": "estimated-low"}, "confidence"),
        ({"effective_from": "2026/02/05"}, "effective_from"),
    ],
)
@pytest.mark.slow
def test_a_bad_uplift_row_is_refused_naming_its_field(tmp_data, cells, field):
    path = tmp_data / UPLIFTS_REL
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column, value in cells.items():
        frame.loc[0, column] = value
    frame.to_csv(path, index=False)
    with pytest.raises(TableError) as info:
        registry.validate_all(tmp_data)
    assert f"{path}:2: field '{field}'" in str(info.value)


@pytest.mark.slow
def test_a_duplicate_uplift_row_is_refused(tmp_data):
    path = tmp_data / UPLIFTS_REL
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[1, "model_pattern"] = frame.loc[0, "model_pattern"]
    frame.to_csv(path, index=False)
    with pytest.raises(TableError, match="model_pattern"):
        registry.validate_all(tmp_data)
