"""Sources that disagree: the rules (source, window, tolerance, a change over time), the
shipped readings, as_of and diff honouring them, the sentences and the command line."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import TEST_DATA

from infermodel import cli, narrative, prices, tables
from infermodel.errors import InputError
from infermodel.prices import discrepancies
from infermodel.tables import provenance

UPSTREAM = TEST_DATA / "prices-upstream"
FW8B = "accounts/fireworks/models/llama-v3p1-8b-instruct"
MIXTRAL = "mistralai/Mixtral-8x7B-Instruct-v0.1"
OSS = "accounts/fireworks/models/gpt-oss-120b"
LITELLM = "https://github.com/BerriAI/litellm/blob/main/model_prices_and_context_window.json"
GENAI = "https://github.com/pydantic/genai-prices/blob/main/prices/data.json"


def obs(day, url, value, *, cached=None, model_id="m", provider="P"):
    return {
        "platform_type": "managed_api",
        "provider": provider,
        "model": "Model M",
        "model_id": model_id,
        "usd_per_million_input_tokens": value,
        "usd_per_million_output_tokens": value,
        "usd_per_million_cached_input_tokens": cached,
        "usd_per_million_cache_write_tokens": None,
        "observed_on": pd.Timestamp(day),
        "confidence": "confirmed",
        "source_url": url,
        "note": None,
    }


def history(*rows):
    return pd.DataFrame(list(rows)).astype({"usd_per_million_cached_input_tokens": float})


def reading(rid, day, source, verdict, field="input", value=None, model_id="m"):
    return {
        "reading_id": rid,
        "provider": "P",
        "model_id": model_id,
        "field": field,
        "observed_on": pd.Timestamp(day),
        "source": source,
        "verdict": verdict,
        "usd_per_million_tokens": value,
    }


def readings(*rows):
    return pd.DataFrame(list(rows)).astype({"usd_per_million_tokens": float})


# --- the rules --------------------------------------------------------------------------------


def test_source_identity_joins_mirrors_and_packages():
    assert (
        provenance.source_of("AgentOps-AI/tokencost@2bf3:tokencost/model_prices.json") == "litellm"
    )
    assert provenance.source_of(LITELLM) == "litellm"
    assert provenance.source_of(GENAI) == "genai-prices"
    assert provenance.source_of("https://pypi.org/project/genai-prices/0.2.3/") == "genai-prices"
    assert provenance.source_of("https://example.com/p") == "https://example.com/p"


def test_tolerance_edge_exactly_one_percent_is_not_a_disagreement():
    day = "2026-01-10"
    at_edge = history(obs(day, LITELLM, 1.00), obs(day, GENAI, 1.01))
    assert provenance.disagreements(at_edge, pd.Timestamp(day)).empty
    above = history(obs(day, LITELLM, 1.00), obs(day, GENAI, 1.0101))
    found = provenance.disagreements(above, pd.Timestamp(day))
    assert set(found["field"]) == {"input", "output"}
    assert found["relative_difference_pct"].iloc[0] == pytest.approx(1.01)


def test_window_edge_counts_the_last_day_and_not_the_one_before():
    frame = history(obs("2026-01-01", LITELLM, 0.1), obs("2026-06-30", GENAI, 0.2))
    # 2026-06-30 - 180 days = 2026-01-01: still near; a day later it is not.
    assert len(provenance.disagreements(frame, pd.Timestamp("2026-06-30"))) == 2
    assert provenance.disagreements(frame, pd.Timestamp("2026-07-01")).empty
    assert provenance.disagreements(frame, pd.Timestamp("2026-06-30"), window_days=179).empty


def test_a_change_one_source_shows_over_time_is_not_a_disagreement():
    # Both said 1.0 in January; genai-prices shows 2.0 in March, LiteLLM was not re-read.
    moved = history(
        obs("2026-01-05", LITELLM, 1.0),
        obs("2026-01-05", GENAI, 1.0),
        obs("2026-03-01", GENAI, 2.0),
    )
    assert provenance.disagreements(moved, pd.Timestamp("2026-03-10")).empty
    # The same source over time is never a pair.
    alone = history(obs("2026-01-05", LITELLM, 1.0), obs("2026-03-01", LITELLM, 2.0))
    assert provenance.disagreements(alone, pd.Timestamp("2026-03-10")).empty


def test_an_empty_field_is_not_compared_and_zero_against_a_price_is():
    frame = history(obs("2026-01-05", LITELLM, 1.0, cached=0.5), obs("2026-01-06", GENAI, 1.0))
    assert provenance.disagreements(frame, pd.Timestamp("2026-01-10")).empty
    assert provenance.relative_difference(0, 0.5) == float("inf")
    assert provenance.relative_difference(0, 0) == 0


# --- the shipped history and readings -----------------------------------------------------------


def test_shipped_disagreements_at_2026_09_30_with_values_sources_and_readings():
    found = discrepancies.find("2026-09-30").set_index(["model_id", "field"])
    assert len(found) == 5
    row = found.loc[(FW8B, "input")]
    assert (row["source_a"], row["value_a_usd_per_million_tokens"]) == ("litellm", 0.1)
    assert (row["source_b"], row["value_b_usd_per_million_tokens"]) == ("genai-prices", 0.2)
    assert row["observed_on_a"] == pd.Timestamp("2026-07-24")
    assert row["observed_on_b"] == pd.Timestamp("2026-08-21")
    assert (row["relative_difference_pct"], row["status"], row["reading_ids"]) == (
        100.0,
        "resolved",
        "R5",
    )
    oss = found.loc[(OSS, "cached_input")]
    assert (oss["value_a_usd_per_million_tokens"], oss["value_b_usd_per_million_tokens"]) == (
        0.015,
        0.07,
    )
    assert oss["status"] == "resolved" and oss["reading_ids"] == "R7"
    mixtral = found.loc[(MIXTRAL, "output")]
    values = mixtral[["value_a_usd_per_million_tokens", "value_b_usd_per_million_tokens"]]
    assert list(values) == [0.6, 0.9]
    assert mixtral["status"] == "unresolved" and mixtral["offering_id"] == f"together-ai/{MIXTRAL}"


def test_shipped_disagreements_at_2026_12_01_and_an_extra_source_file(tmp_path):
    found = discrepancies.find("2026-12-01")
    assert sorted(found["model_id"].unique()) == sorted([FW8B, MIXTRAL])
    # genai-prices read 2026-11-27 against the litellm 1.110.2 file read 2026-12-01.
    assert (found["observed_on_a"] == pd.Timestamp("2026-11-27")).all()
    assert (found["observed_on_b"] == pd.Timestamp("2026-12-01")).all()
    status = found.set_index(["model_id", "field"])["status"]
    assert status[(FW8B, "input")] == "resolved" and status[(MIXTRAL, "input")] == "unresolved"
    # The same file read again a day later still says 0.10: a new observation that no
    # reading covers (a reading names one observation), so it is unresolved again.
    later = tmp_path / "litellm_2026-12-02.json"
    later.write_bytes((UPSTREAM / "litellm_1.110.2_read-2026-12-01.json").read_bytes())
    extra = discrepancies.find("2026-12-03", source_files=[later]).set_index(["model_id", "field"])
    row = extra.loc[(FW8B, "input")]
    assert row["observed_on_b"] == pd.Timestamp("2026-12-02") and row["status"] == "unresolved"


@pytest.mark.slow
def test_the_source_error_is_not_used_so_the_fake_cached_jump_leaves_the_history():
    q3 = prices.as_of("2026-09-30").api.set_index("model_id")
    assert q3.loc[OSS, "usd_per_million_cached_input_tokens"] == 0.015
    assert "R7" in q3.loc[OSS, "note"]
    q4 = prices.diff(prices.as_of("2026-09-30"), prices.as_of("2026-12-01"))
    q4 = q4.set_index("offering_id")
    assert q4.loc[f"fireworks-ai/{OSS}", "status"] == "unchanged"
    # Without the readings the history shows 0.07 on 2026-09-30 and a fall to 0.015 after.
    raw = tables.load_api_prices()
    none = provenance.no_readings()
    old = prices.as_of("2026-09-30", api_prices=raw, readings=none)
    new = prices.as_of("2026-12-01", api_prices=raw, readings=none)
    assert prices.diff(old, new).set_index("offering_id").loc[f"fireworks-ai/{OSS}", "status"] == (
        "repriced"
    )


@pytest.mark.slow
def test_fireworks_8b_is_priced_as_billed_at_every_date():
    for day in ("2025-05-31", "2026-06-30", "2026-12-01"):
        row = prices.as_of(day).api.set_index("model_id").loc[FW8B]
        assert row["usd_per_million_input_tokens"] == 0.2, day
        assert row["confidence"] == "confirmed", day


def test_an_unresolved_disagreement_makes_the_price_disputed():
    snapshot = prices.as_of("2026-09-30")
    mixtral = snapshot.api.set_index("model_id").loc[MIXTRAL]
    assert mixtral["confidence"] == tables.DISPUTED
    assert "sources disagree: input 0.6 (LiteLLM, 2026-07-24) vs 0.9" in mixtral["note"]
    assert prices.as_of("2026-06-30").api.set_index("model_id").loc[MIXTRAL, "confidence"] == (
        "confirmed"
    )


def test_readings_resolve_by_source_error_either_side_or_confirmed_later_side():
    frame = history(obs("2026-01-05", LITELLM, 0.1), obs("2026-02-05", GENAI, 0.2))
    day = pd.Timestamp("2026-02-10")

    def status(*rows):
        return set(provenance.disagreements(frame, day, readings=readings(*rows))["status"])

    assert status(reading("R1", "2026-01-05", "litellm", "confirmed")) == {"unresolved"}
    assert status(reading("R1", "2026-02-05", "genai-prices", "confirmed")) == {
        "unresolved",
        "resolved",
    }
    assert status(reading("R1", "2026-01-05", "litellm", "source_error")) == {
        "unresolved",
        "resolved",
    }
    earlier_confirmed = readings(reading("R1", "2026-01-05", "litellm", "confirmed"))
    snapshot = prices.as_of(day, api_prices=frame, readings=earlier_confirmed)
    assert snapshot.api["confidence"].iloc[0] == "disputed"


def test_a_source_error_takes_the_readings_value_or_the_previous_observation():
    frame = history(obs("2026-01-05", LITELLM, 0.1), obs("2026-02-05", GENAI, 0.2))
    taken = readings(reading("R1", "2026-02-05", "genai-prices", "source_error"))
    assert prices.as_of("2026-02-10", api_prices=frame, readings=taken).api[
        "usd_per_million_input_tokens"
    ].iloc[0] == pytest.approx(0.1)
    valued = readings(reading("R1", "2026-02-05", "genai-prices", "source_error", value=0.3))
    assert prices.as_of("2026-02-10", api_prices=frame, readings=valued).api[
        "usd_per_million_input_tokens"
    ].iloc[0] == pytest.approx(0.3)


def test_validate_refuses_a_reading_of_no_observation(tmp_path):
    shipped = tables.load_price_readings()
    bad = shipped.assign(observed_on=pd.Timestamp("2020-01-01"))
    problems = provenance.check_readings(bad, tables.load_api_prices(), tmp_path / "r.csv")
    assert problems and problems[0].field == "observed_on" and problems[0].line == 2
    wrong = shipped.assign(source="genai-prices").head(1)
    assert provenance.check_readings(wrong, tables.load_api_prices(), tmp_path / "r.csv")[
        0
    ].field == ("source")


# --- sentences ---------------------------------------------------------------------------------


def test_answer_states_counts_the_unresolved_and_the_largest():
    found = discrepancies.find("2026-09-30")
    first, second = narrative.discrepancies_answer(found, as_of="2026-09-30")
    assert first.startswith(
        "5 tracked prices disagree between sources near 2026-09-30 by more than 1% (each "
        "source's newest observation within 180 days); 2 are unresolved: Together AI · "
        "Mixtral 8x7B Instruct v0.1 input, $0.60 (LiteLLM, 2026-07-24) vs $0.90 (genai-prices, "
        "2026-08-21), 50% apart and"
    )
    assert second == (
        "The largest: Fireworks AI · gpt-oss 120B cached input, $0.015 (LiteLLM, 2026-07-24) "
        "vs $0.070 (genai-prices, 2026-08-21), 367% apart."
    )


def test_answer_with_none_all_resolved_and_a_tie():
    empty = discrepancies.find("2026-06-30")
    assert narrative.discrepancies_answer(empty, as_of="2026-06-30") == [
        "No tracked price disagrees between sources near 2026-06-30 by more than 1% (each "
        "source's newest observation within 180 days)."
    ]
    found = discrepancies.find("2026-12-01")
    resolved = found[found["status"] == "resolved"]
    first, second = narrative.discrepancies_answer(resolved, as_of="2026-12-01")
    assert first.endswith(
        "; all are resolved by reviewed readings (data/prices/price_readings.csv)."
    )
    assert first.startswith("2 tracked prices disagree")
    # Input and output of Fireworks 8B tie at 100%: both are named.
    assert second.startswith("The largest, tied: Fireworks AI · Llama 3.1 8B Instruct input,")
    assert "and Fireworks AI · Llama 3.1 8B Instruct output, $0.20" in second


# --- the command line ----------------------------------------------------------------------------


def test_cli_table_answers_first(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    assert cli.main(["prices", "discrepancies", "--as-of", "2026-12-01"]) == 0
    out = capsys.readouterr().out
    assert " ".join(out.split()).startswith(
        "4 disagreements between sources near 2026-12-01, 2 unresolved; the largest "
        "unresolved: Together AI · Mixtral 8x7B Instruct v0.1 input, $0.90 (genai-prices, "
        "2026-11-27) vs $0.60 (LiteLLM, 2026-12-01)"
    )
    assert "genai-prices" in out and "unresolved" in out


def test_cli_csv_and_json(capsys):
    assert cli.main(["prices", "discrepancies", "--as-of", "2026-09-30", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(",") == discrepancies.COLUMNS and len(lines) == 6
    args = ["prices", "discrepancies", "--as-of", "2026-09-30", "--format", "json"]
    assert cli.main([*args, "--tolerance", "2"]) == 0
    assert '"reading_ids":"R7"' in capsys.readouterr().out.replace(" ", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tolerance", "-1"], "--tolerance must be a number in [0, 10], got -1"),
        (["--tolerance", "a"], "--tolerance must be a number in [0, 10], got 'a'"),
        (["--window-days", "1.5"], "--window-days must be a whole number >= 0"),
        (["--as-of", "2026-13-01"], "--as-of must be a date YYYY-MM-DD"),
        (["--source", "missing.json"], "--source: no such file 'missing.json'"),
        (["--source", str(UPSTREAM / "LICENSE-litellm-MIT.txt")], "put it in the file name"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(args, message, capsys):
    assert cli.main(["prices", "discrepancies", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_find_refuses_bad_arguments():
    with pytest.raises(InputError, match="tolerance"):
        discrepancies.find("2026-09-30", tolerance=-0.1)
    with pytest.raises(InputError, match="window_days"):
        discrepancies.find("2026-09-30", window_days=-1)
