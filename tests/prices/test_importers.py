"""Importers: LiteLLM and genai-prices files -> reviewed, dated observation rows.

Excerpts of the dated upstream copies live in tests/data/prices-upstream/ (how each was cut:
tests/data/README.md); bad-input cases use tiny hand-made files in tmp_path.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import TEST_DATA

from infermodel import cli, paths, prices, tables
from infermodel.errors import InputError
from infermodel.prices import importers
from infermodel.readers import genai_prices, litellm
from infermodel.tables import api_terms, registry, writes

UPSTREAM = TEST_DATA / "prices-upstream"


def _may_2025_history() -> dict:
    """The shipped history as it stood before any import (May 2025), no withdrawals."""
    api = tables.load_api_prices()
    return {
        "api_prices": api[api["observed_on"] <= pd.Timestamp("2025-05-31")],
        "withdrawals": tables.load_withdrawals().iloc[0:0],
    }


def _row(review: importers.Review, model_id: str) -> pd.Series:
    return review.rows.set_index("model_id").loc[model_id]


def _status(review: importers.Review, model_id: str) -> str:
    return review.table.set_index("model_id").loc[model_id, "status"]


def test_litellm_2025_11_28_rows_checked_by_hand():
    review = importers.review(
        litellm.read_litellm(UPSTREAM / "litellm_2025-11-28.json"), **_may_2025_history()
    )
    # gpt-4o: input_cost_per_token 2.5e-06, output 1e-05, cache read 1.25e-06,
    # input_cost_per_token_batches 1.25e-06 -> 2.5 / 10 / 1.25 USD/Mtok, batch 50% off.
    gpt4o = _row(review, "gpt-4o")
    assert (gpt4o["usd_per_million_input_tokens"], gpt4o["usd_per_million_output_tokens"]) == (
        2.5,
        10.0,
    )
    assert gpt4o["usd_per_million_cached_input_tokens"] == 1.25
    assert gpt4o["batch_discount_fraction"] == 0.5
    assert gpt4o["observed_on"] == pd.Timestamp("2025-11-28")
    # Claude Opus 4.5 (new): 5e-06 / 2.5e-05, cache read 5e-07, cache write 6.25e-06.
    opus = _row(review, "claude-opus-4-5-20251101")
    assert [opus[c] for c in importers._PRICE_FIELDS[:4]] == [5.0, 25.0, 0.5, 6.25]
    assert _status(review, "claude-opus-4-5-20251101") == "new"
    # Claude Sonnet 4: *_above_200k_tokens -> long-context tier 6 / 22.5 above 200,000.
    sonnet = _row(review, "claude-sonnet-4-20250514")
    assert sonnet["long_context_threshold_tokens"] == 200_000
    assert sonnet["usd_per_million_input_tokens_long_context"] == 6.0
    assert sonnet["usd_per_million_output_tokens_long_context"] == 22.5
    # Llama 3.3 70B on Together: 8.8e-07 both ways, as in May 2025.
    assert _status(review, "meta-llama/Llama-3.3-70B-Instruct-Turbo") == "unchanged"
    assert "LiteLLM snapshot dated 2025-11-28" in gpt4o["note"]


def test_litellm_deprecation_dates_are_scheduled_never_withdrawals():
    review = importers.review(
        litellm.read_litellm(UPSTREAM / "litellm_2026-07-24.json"), **_may_2025_history()
    )
    # LiteLLM's deprecation_date is a date it schedules (issue 13): it becomes a row of
    # scheduled_retirements.csv, the price is recorded as usual, and nothing is withdrawn.
    assert review.withdrawals.empty
    planned = review.scheduled.set_index("model_id")
    assert planned.loc["claude-3-7-sonnet-20250219", "scheduled_on"] == pd.Timestamp("2026-02-19")
    assert planned.loc["claude-3-opus-20240229", "read_on"] == pd.Timestamp("2026-07-24")
    assert "deprecation_date" in planned.loc["claude-3-opus-20240229", "source"]
    assert "claude-3-7-sonnet-20250219" in set(review.rows["model_id"])
    sonnet = _row(review, "claude-3-7-sonnet-20250219")
    assert "schedules retirement on 2026-02-19" in sonnet["note"]


def test_an_offering_retired_by_its_provider_is_not_imported_again():
    # With the shipped withdrawals, Anthropic's retirement of Claude 3.7 Sonnet (2026-02-19)
    # is on record, so a later LiteLLM snapshot that still lists it records no price.
    review = importers.review(litellm.read_litellm(UPSTREAM / "litellm_2026-07-24.json"))
    assert _status(review, "claude-3-7-sonnet-20250219") == "withdrawn"
    assert "claude-3-7-sonnet-20250219" not in set(review.rows["model_id"])


def test_genai_prices_file_rows_checked_by_hand():
    source = genai_prices.read_genai_prices(UPSTREAM / "genai-prices_2026-08-21.json")
    review = importers.review(source, **_may_2025_history())
    # Fireworks Llama 3.1 8B: input_mtok 0.2, output_mtok 0.2 (LiteLLM still says 0.1).
    llama = _row(review, "accounts/fireworks/models/llama-v3p1-8b-instruct")
    assert (llama["usd_per_million_input_tokens"], llama["usd_per_million_output_tokens"]) == (
        0.2,
        0.2,
    )
    # Gemini 2.5 Pro: tiered {base 1.25, tier 2.5 from 200000}, output {10, 15}.
    gemini = _row(review, "gemini-2.5-pro")
    assert gemini["usd_per_million_input_tokens"] == 1.25
    assert gemini["long_context_threshold_tokens"] == 200_000
    assert gemini["usd_per_million_output_tokens_long_context"] == 15.0
    assert source.source_url == genai_prices.GENAI_PRICES_URL


def test_installed_genai_prices_package_is_read_with_its_version():
    pytest.importorskip("genai_prices")
    source = genai_prices.read_genai_prices(observed_on="2026-11-01")
    assert "pypi.org/project/genai-prices/" in source.source_url
    assert source.quotes["openai/gpt-4o"].prices["usd_per_million_output_tokens"] == 10.0


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------

_TRACKED = (
    "platform_type,provider,model,model_id,litellm_key,genai_prices_provider,"
    "genai_prices_model,source_url,note\n"
    "proprietary_api,OpenAI,GPT-4o,gpt-4o,gpt-4o,openai,gpt-4o,test fixture,\n"
)


@pytest.fixture
def tracked(tmp_path):
    path = tmp_path / "tracked.csv"
    path.write_text(_TRACKED)
    return tables.load_tracked(path)


def _litellm_file(tmp_path, name="litellm_2026-01-15.json", **gpt4o):
    entry = {"input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06, **gpt4o}
    path = tmp_path / name
    path.write_text(json.dumps({"gpt-4o": entry, "other": {"input_cost_per_token": 1}}))
    return path


def test_per_million_price_in_per_token_field_is_refused(tmp_path, tracked):
    path = _litellm_file(tmp_path, input_cost_per_token=2.5)
    with pytest.raises(importers.ImportRefused, match=r"looks like a per-million price"):
        importers.review(litellm.read_litellm(path), tracked=tracked)


def test_per_token_price_in_genai_per_million_field_is_refused(tmp_path, tracked):
    data = [
        {
            "id": "openai",
            "models": [{"id": "gpt-4o", "prices": {"input_mtok": 2.5e-06, "output_mtok": 10}}],
        }
    ]
    path = tmp_path / "genai_2026-01-15.json"
    path.write_text(json.dumps(data))
    with pytest.raises(importers.ImportRefused, match=r"looks like a per-token price"):
        importers.review(genai_prices.read_genai_prices(path), tracked=tracked)


def test_untracked_odd_entries_are_not_checked(tmp_path, tracked):
    # "other" holds a per-million value in a per-token field but is not tracked.
    review = importers.review(litellm.read_litellm(_litellm_file(tmp_path)), tracked=tracked)
    assert list(review.table["status"]) == ["changed"]


def test_foreign_formats_are_refused(tmp_path):
    genai_like = tmp_path / "x_2026-01-15.json"
    genai_like.write_text(json.dumps([{"id": "openai", "models": []}]))
    with pytest.raises(importers.ImportRefused, match="genai-prices' format"):
        litellm.read_litellm(genai_like)
    litellm_like = _litellm_file(tmp_path)
    with pytest.raises(importers.ImportRefused, match="LiteLLM's format"):
        genai_prices.read_genai_prices(litellm_like)
    csv_file = tmp_path / "prices_2026-01-15.json"
    csv_file.write_text("a,b\n1,2\n")
    with pytest.raises(importers.ImportRefused, match="not a JSON price file"):
        litellm.read_litellm(csv_file)
    other = tmp_path / "other_2026-01-15.json"
    other.write_text(json.dumps({"a": {"price": 1}}))
    with pytest.raises(importers.ImportRefused, match="not a LiteLLM price file"):
        litellm.read_litellm(other)


def test_undated_file_is_refused(tmp_path):
    path = _litellm_file(tmp_path, name="model_prices.json")
    with pytest.raises(importers.ImportRefused, match="--observed-on"):
        litellm.read_litellm(path)
    assert litellm.read_litellm(path, observed_on="2026-01-15").observed_on == pd.Timestamp(
        "2026-01-15"
    )


def _copies(tmp_path):
    api = tmp_path / "api_prices.csv"
    withdrawals = tmp_path / "withdrawals.csv"
    shutil.copy(paths.API_PRICES_CSV, api)
    shutil.copy(paths.WITHDRAWALS_CSV, withdrawals)
    return api, withdrawals


def test_missing_model_is_a_clear_error_and_nothing_is_written(tmp_path):
    tracked_path = tmp_path / "tracked.csv"
    tracked_path.write_text(
        _TRACKED + "proprietary_api,OpenAI,GPT-4o x,gpt-4o-x,gpt-4o-typo,,,test fixture,\n"
    )
    api, withdrawals = _copies(tmp_path)
    before = api.read_bytes()
    review = importers.review(
        litellm.read_litellm(_litellm_file(tmp_path)),
        tracked=tables.load_tracked(tracked_path),
        api_prices=tables.load_api_prices(api),
    )
    assert _status(review, "gpt-4o-x") == "missing"
    assert "did you mean gpt-4o" in review.table.set_index("model_id").loc["gpt-4o-x", "detail"]
    with pytest.raises(importers.ImportRefused, match=r"map to a model the source lacks"):
        importers.write(review, api_path=api, withdrawals_path=withdrawals)
    assert api.read_bytes() == before


@pytest.mark.slow
def test_write_appends_then_duplicate_is_refused(tmp_path, tracked):
    api, withdrawals = _copies(tmp_path)
    before = api.read_bytes()
    source = litellm.read_litellm(_litellm_file(tmp_path))
    review = importers.review(source, tracked=tracked, api_prices=tables.load_api_prices(api))
    assert importers.write(review, api_path=api, withdrawals_path=withdrawals) == (1, 0)
    assert api.read_bytes().startswith(before)  # existing rows byte-identical
    written = tables.load_api_prices(api).iloc[-1]
    assert written["usd_per_million_output_tokens"] == 8.0
    again = importers.review(source, tracked=tracked, api_prices=tables.load_api_prices(api))
    assert list(again.table["status"]) == ["duplicate"]
    after_first = api.read_bytes()
    with pytest.raises(importers.ImportRefused, match="duplicate observation"):
        importers.write(again, api_path=api, withdrawals_path=withdrawals)
    assert api.read_bytes() == after_first


def test_cli_review_only_writes_nothing(tmp_path, capsys):
    before = paths.API_PRICES_CSV.read_bytes()
    status = cli.main(["prices", "import", "litellm", str(_litellm_file(tmp_path))])
    out = capsys.readouterr().out
    assert status == 0 and "Review only" in out
    assert paths.API_PRICES_CSV.read_bytes() == before


def test_cli_unit_mix_up_is_a_data_error_exit_1(tmp_path, capsys):
    path = _litellm_file(tmp_path, output_cost_per_token=10)
    status = cli.main(["prices", "import", "litellm", str(path)])
    assert status == cli.EXIT_DATA
    assert "unit mix-up" in capsys.readouterr().err


def test_shipped_tracked_offerings_and_withdrawals_validate():
    tracked = tables.load_tracked()
    assert {"gpt-4.1-mini", "claude-opus-4-5-20251101"} <= set(tracked["model_id"])
    withdrawals = tables.load_withdrawals()
    known = set(zip(*[tables.load_api_prices()[c] for c in tables.API_KEY], strict=True))
    assert set(zip(*[withdrawals[c] for c in tables.API_KEY], strict=True)) <= known


def test_may_2025_rows_are_untouched_by_the_history():
    may = prices.as_of("2025-05-31")
    assert len(may.api) == 30 and may.withdrawn.empty
    assert may.api["observed_on"].max() <= pd.Timestamp("2025-05-31")


def test_withdrawn_offering_leaves_the_snapshot():
    assert "claude-3-sonnet-20240229" in set(prices.as_of("2025-07-20").api["model_id"])
    later = prices.as_of("2025-07-21")
    assert "claude-3-sonnet-20240229" not in set(later.api["model_id"])
    assert "claude-3-sonnet-20240229" in set(later.withdrawn["model_id"])


# --------------------------------------------------------------------------------------
# Writes: by column name, kept bytes, line endings and mode (issue 11)
# --------------------------------------------------------------------------------------


def _reordered_copy(tmp_path) -> Path:
    """A copy of api_prices.csv with the input and output price columns swapped in place."""
    rows = list(csv.reader(io.StringIO(paths.API_PRICES_CSV.read_text(encoding="utf-8"))))
    header = rows[0]
    i = header.index("usd_per_million_input_tokens")
    o = header.index("usd_per_million_output_tokens")
    order = list(range(len(header)))
    order[i], order[o] = o, i
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([row[k] for k in order])
    path = tmp_path / "api_prices.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_columns_in_another_order_get_each_price_in_its_column(tmp_path, tracked):
    # Before issue 11 the row was written in the schema's order: input 8, output 2, valid.
    _, withdrawals = _copies(tmp_path)
    api = _reordered_copy(tmp_path)
    assert api.read_bytes() != paths.API_PRICES_CSV.read_bytes()
    reloaded = tables.load_api_prices(api)[importers.API_COLUMNS]  # validate accepts it
    assert reloaded.equals(tables.load_api_prices()[importers.API_COLUMNS])
    before = api.read_bytes()
    review = importers.review(
        litellm.read_litellm(_litellm_file(tmp_path)),
        tracked=tracked,
        api_prices=tables.load_api_prices(api),
    )
    assert importers.write(review, api_path=api, withdrawals_path=withdrawals) == (1, 0)
    assert api.read_bytes().startswith(before)
    written = tables.load_api_prices(api).iloc[-1]
    assert written["usd_per_million_input_tokens"] == 2.0
    assert written["usd_per_million_output_tokens"] == 8.0


def test_import_keeps_a_crlf_file_crlf_its_mode_and_its_bytes(tmp_path, tracked):
    api, withdrawals = _copies(tmp_path)
    api.write_bytes(api.read_bytes().replace(b"\n", b"\r\n"))
    api.chmod(0o644)
    before = api.read_bytes()
    review = importers.review(
        litellm.read_litellm(_litellm_file(tmp_path)),
        tracked=tracked,
        api_prices=tables.load_api_prices(api),
    )
    importers.write(review, api_path=api, withdrawals_path=withdrawals)
    after = api.read_bytes()
    assert after.startswith(before) and len(after) > len(before)
    assert after.count(b"\n") == after.count(b"\r\n")  # no bare LF anywhere
    assert api.stat().st_mode & 0o777 == 0o644  # not 0600
    assert tables.load_api_prices(api).iloc[-1]["usd_per_million_output_tokens"] == 8.0


def test_import_into_a_file_without_a_final_newline(tmp_path, tracked):
    api, withdrawals = _copies(tmp_path)
    api.write_bytes(api.read_bytes().rstrip(b"\n"))
    before = api.read_bytes()
    review = importers.review(
        litellm.read_litellm(_litellm_file(tmp_path)),
        tracked=tracked,
        api_prices=tables.load_api_prices(api),
    )
    importers.write(review, api_path=api, withdrawals_path=withdrawals)
    assert api.read_bytes().startswith(before + b"\nproprietary_api,OpenAI,GPT-4o,gpt-4o,2,8,")


# --------------------------------------------------------------------------------------
# Plausibility (issue 11)
# --------------------------------------------------------------------------------------

_HISTORY_ROW = (
    "proprietary_api,OpenAI,GPT-4o,gpt-4o,2,8,1,,,,,,,2025-06-01,confirmed,test fixture,\n"
)


@pytest.fixture
def one_row_history(tmp_path):
    """api_prices.csv with one gpt-4o row (2 / 8 / cached 1 USD/Mtok) and no withdrawals."""
    api = tmp_path / "api_prices.csv"
    api.write_text(",".join(importers.API_COLUMNS) + "\n" + _HISTORY_ROW)
    withdrawals = tmp_path / "withdrawals.csv"
    withdrawals.write_text(",".join(importers.WITHDRAWAL_COLUMNS) + "\n")
    return api, withdrawals


def _review_of(tmp_path, tracked, api, **prices_per_token):
    prices = {"input_cost_per_token": 2e-06, "output_cost_per_token": 8e-06, **prices_per_token}
    source = litellm.read_litellm(_litellm_file(tmp_path, **prices))
    return lambda **kw: importers.review(
        source, tracked=tracked, api_prices=tables.load_api_prices(api), **kw
    )


@pytest.mark.parametrize(
    ("prices_per_token", "status", "said"),
    [
        ({"output_cost_per_token": 8e-05}, "changed", "output_tokens 8 -> 80 (+900%)"),
        ({"output_cost_per_token": 8.4e-05}, "implausible", "8 -> 84 USD/Mtok (x10.5, more "),
        ({"input_cost_per_token": 2e-07}, "changed", "input_tokens 2 -> 0.2 (-90%)"),
        ({"input_cost_per_token": 2e-07 / 1.1}, "implausible", "(x0.0909, more than 10x down"),
        ({"cache_read_input_token_cost": 5e-08}, "implausible", "cached_input_tokens 1 -> 0.05"),
        ({"output_cost_per_token": 0}, "implausible", "output_tokens 8 -> 0 USD/Mtok (to or f"),
        ({"input_cost_per_token": 2e-09}, "implausible", "looks like a per-token or per-thousand"),
    ],
    ids=["x10-ok", "x10.5-up", "div10-ok", "div11-down", "cached", "to-zero", "per-token"],
)
def test_price_moving_more_than_10x_either_way_is_implausible(
    tmp_path, tracked, one_row_history, prices_per_token, status, said
):
    api, withdrawals = one_row_history
    review = _review_of(tmp_path, tracked, api, **prices_per_token)()
    row = review.table.set_index("model_id").loc["gpt-4o"]
    assert row["status"] == status and said in row["detail"]
    before = api.read_bytes()
    if status == "implausible":
        assert "vs 2025-06-01; check the source's unit" in row["detail"]
        assert row["detail"].endswith("pass --accept-change gpt-4o")
        with pytest.raises(importers.ImportRefused, match="implausible prices") as info:
            importers.write(review, api_path=api, withdrawals_path=withdrawals)
        assert said in str(info.value) and "\n" not in str(info.value)
        assert str(info.value).endswith("pass --accept-change gpt-4o. Nothing written.")
        assert api.read_bytes() == before
    else:
        assert importers.write(review, api_path=api, withdrawals_path=withdrawals) == (1, 0)


def test_1000x_too_small_source_is_refused_not_a_minus_100_percent_change(
    tmp_path, tracked, one_row_history
):
    api, _ = one_row_history
    review = _review_of(
        tmp_path, tracked, api, input_cost_per_token=2e-09, output_cost_per_token=8e-09
    )()
    detail = review.table.set_index("model_id").loc["gpt-4o", "detail"]
    assert "input_tokens 2 -> 0.002 USD/Mtok (x0.001, more than 10x down" in detail
    assert "output_tokens 8 -> 0.008 USD/Mtok (x0.001" in detail
    assert "-100%" not in detail
    assert review.rows.empty


def test_new_offering_that_looks_per_token_is_implausible(tmp_path, tracked):
    api = tmp_path / "api_prices.csv"
    api.write_text(",".join(importers.API_COLUMNS) + "\n")
    review = _review_of(tmp_path, tracked, api, input_cost_per_token=5e-09)()
    row = review.table.set_index("model_id").loc["gpt-4o"]
    assert row["status"] == "implausible"
    assert row["detail"].startswith("input_tokens 0.005 USD/Mtok (below 0.01: looks like a per")


def test_accepted_change_is_written_and_says_so(tmp_path, tracked, one_row_history):
    api, withdrawals = one_row_history
    make = _review_of(tmp_path, tracked, api, input_cost_per_token=2e-09)
    review = make(accept=["gpt-4o"])
    row = review.table.set_index("model_id").loc["gpt-4o"]
    assert row["status"] == "changed"
    assert "accepted by --accept-change: input_tokens 2 -> 0.002 USD/Mtok (x0.001" in row["detail"]
    assert importers.write(review, api_path=api, withdrawals_path=withdrawals) == (1, 0)
    written = tables.load_api_prices(api)
    assert written.iloc[-1]["usd_per_million_input_tokens"] == 0.002
    # The row says a person accepted it, so validate (the same rule) lets it pass.
    assert "change accepted by --accept-change: input_tokens 2 -> 0.002" in written.iloc[-1]["note"]
    assert registry.check_price_steps(written, api) == []


def test_accept_change_naming_no_tracked_offering_is_an_input_error(tmp_path, tracked):
    make = _review_of(tmp_path, tracked, paths.API_PRICES_CSV)
    with pytest.raises(InputError, match=r"--accept-change 'gpt4o': not the model_id .*gpt-4o"):
        make(accept=["gpt4o"])


def test_cli_review_shows_implausible_and_help_documents_the_flag(tmp_path, capsys):
    path = _litellm_file(tmp_path, input_cost_per_token=2.5e-09, name="litellm_2026-11-30.json")
    before = paths.API_PRICES_CSV.read_bytes()
    assert cli.main(["prices", "import", "litellm", str(path)]) == 0
    out = capsys.readouterr().out
    assert "implausible  OpenAI gpt-4o [gpt-4o]: input_tokens 2.5 -> 0.0025 USD/Mtok" in out
    assert paths.API_PRICES_CSV.read_bytes() == before
    with pytest.raises(SystemExit):
        cli.main(["prices", "import", "litellm", "--help"])
    assert "--accept-change MODEL_ID" in capsys.readouterr().out


def test_existing_unit_mix_up_checks_still_come_first(tmp_path, tracked):
    path = _litellm_file(tmp_path, input_cost_per_token=2.5)
    with pytest.raises(importers.ImportRefused, match="unit mix-up"):
        importers.review(litellm.read_litellm(path), tracked=tracked, accept=["gpt-4o"])


def test_deprecation_date_of_an_offering_never_observed_is_a_schedule(tmp_path, tracked):
    api = tmp_path / "api_prices.csv"
    api.write_text(",".join(importers.API_COLUMNS) + "\n")
    review = _review_of(tmp_path, tracked, api, deprecation_date="2026-01-01")()
    row = review.table.set_index("model_id").loc["gpt-4o"]
    assert row["status"] == "new" and "schedules retirement on 2026-01-01" in row["detail"]
    assert review.withdrawals.empty
    assert list(review.scheduled["scheduled_on"]) == [pd.Timestamp("2026-01-01")]


def test_import_writes_a_deprecation_date_as_a_schedule_never_a_withdrawal(
    tmp_path, tracked, one_row_history
):
    api, withdrawals = one_row_history
    # Before the first observation and in the past: as a withdrawal this would be refused;
    # as a scheduled date it is only what the source said.
    review = _review_of(tmp_path, tracked, api, deprecation_date="2025-01-01")()
    before = withdrawals.read_bytes()
    assert importers.write(review, api_path=api, withdrawals_path=withdrawals) == (1, 0)
    assert withdrawals.read_bytes() == before
    scheduled = api_terms.load_scheduled_retirements(tmp_path / "scheduled_retirements.csv")
    assert list(scheduled["scheduled_on"]) == [pd.Timestamp("2025-01-01")]
    assert list(scheduled["read_on"]) == [pd.Timestamp("2026-01-15")]
    assert (
        prices.as_of("2026-01-15", api_prices=tables.load_api_prices(api))
        .api["model_id"]
        .eq("gpt-4o")
        .any()
    )


def test_import_refuses_a_schedule_of_an_offering_it_cannot_name(
    tmp_path, tracked, one_row_history
):
    api, withdrawals = one_row_history
    scheduled = tmp_path / "scheduled_retirements.csv"
    scheduled.write_text(
        ",".join(importers.SCHEDULED_COLUMNS)
        + "\nOpenAI,gpt-4o-typo,2026-01-01,hand,https://example.com,2025-06-01,\n"
    )
    review = _review_of(tmp_path, tracked, api, output_cost_per_token=9e-06)()
    before = (api.read_bytes(), scheduled.read_bytes())
    with pytest.raises(importers.ImportRefused, match=r"break a rule across tables") as info:
        importers.write(review, api_path=api, withdrawals_path=withdrawals)
    assert f"{scheduled}:2: field 'model_id'" in str(info.value)
    assert (api.read_bytes(), scheduled.read_bytes()) == before


# --------------------------------------------------------------------------------------
# Two imports at once, on a scratch copy of the kit (issue 11)
# --------------------------------------------------------------------------------------


@pytest.fixture
def kit(tmp_path):
    """A scratch copy of the package and data/, so the real CLI can --write into it."""
    root = tmp_path / "kit"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(paths.PACKAGE_DIR, root / "infermodel", ignore=ignore)
    shutil.copytree(paths.DATA_DIR, root / "data", ignore=ignore)
    real = {path: path.read_bytes() for path in paths.PRICES_DIR.glob("*.csv")}
    yield root
    assert {path: path.read_bytes() for path in paths.PRICES_DIR.glob("*.csv")} == real


def _cli(kit: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-u", "-m", "infermodel", "prices", "import", *args],
        cwd=kit,
        env={**os.environ, "PYTHONPATH": str(kit)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kit_source(tmp_path, date: str, **gpt4o) -> Path:
    folder = tmp_path / date
    folder.mkdir()
    return _litellm_file(folder, name=f"litellm_{date}.json", **gpt4o)


def _kit_write(kit: Path, source: Path) -> tuple[int, int]:
    """Import ``source`` into the kit from this process (as the first writer)."""
    api, withdrawals = kit / API_REL, kit / WITHDRAWALS_REL
    review = importers.review(
        litellm.read_litellm(source),
        api_prices=tables.load_api_prices(api),
        withdrawals=tables.load_withdrawals(withdrawals),
    )
    return importers.write(review, allow_missing=True, api_path=api, withdrawals_path=withdrawals)


def _second_import_while_first_holds_the_lock(kit, first: Path, second: Path):
    """Start importing ``second`` in a child; once it has reviewed, write ``first`` here."""
    api, withdrawals = kit / API_REL, kit / WITHDRAWALS_REL
    tiers = api.with_name(paths.API_PRICE_TIERS_CSV.name)
    # Every file an import writes, as importers.write locks them (in one sorted order).
    with writes.locked(api, withdrawals, tiers):
        child = _cli(kit, "litellm", str(second), "--write", "--allow-missing")
        for line in child.stdout:  # the child reviewed the files as they were...
            if line.startswith("Totals:"):
                break
        assert _kit_write(kit, first) == (1, 0)  # ...and they change before it may write
    out, err = child.communicate(timeout=120)
    return child.returncode, out, err


API_REL = paths.API_PRICES_CSV.relative_to(paths.ROOT_DIR)
WITHDRAWALS_REL = paths.WITHDRAWALS_CSV.relative_to(paths.ROOT_DIR)


@pytest.mark.slow
def test_second_import_of_the_same_source_waits_then_refuses_as_duplicate(tmp_path, kit):
    before = (kit / API_REL).read_bytes()
    source = _kit_source(tmp_path, "2026-11-30")
    status, out, err = _second_import_while_first_holds_the_lock(kit, source, source)
    assert status == cli.EXIT_DATA, err
    assert "duplicate observation" in err and "Wrote" not in out
    after = (kit / API_REL).read_bytes()
    assert after.startswith(before) and after.count(b"\n") == before.count(b"\n") + 1


@pytest.mark.slow
def test_second_import_of_another_date_waits_and_keeps_the_first_ones_rows(tmp_path, kit):
    before = (kit / API_REL).read_bytes()
    first = _kit_source(tmp_path, "2026-11-29")
    second = _kit_source(tmp_path, "2026-11-30", output_cost_per_token=9e-06)
    status, out, err = _second_import_while_first_holds_the_lock(kit, first, second)
    assert status == 0, err
    assert "Wrote 1 observation(s)" in out
    api = tables.load_api_prices(kit / API_REL)
    assert (kit / API_REL).read_bytes().startswith(before)
    added = api.iloc[-2:]
    assert list(added["observed_on"].dt.strftime("%Y-%m-%d")) == ["2026-11-29", "2026-11-30"]
    assert list(added["usd_per_million_output_tokens"]) == [8.0, 9.0]


@pytest.mark.slow
def test_two_imports_of_one_source_at_once_write_it_once(tmp_path, kit):
    before = (kit / API_REL).read_bytes()
    source = _kit_source(tmp_path, "2026-11-30")
    children = [_cli(kit, "litellm", str(source), "--write", "--allow-missing") for _ in "ab"]
    results = [(c.wait(timeout=120), c.stdout.read(), c.stderr.read()) for c in children]
    for child in children:
        child.stdout.close()
        child.stderr.close()
    assert sorted(status for status, _, _ in results) == [0, cli.EXIT_DATA], results
    assert sum("Wrote 1 observation(s)" in out for _, out, _ in results) == 1
    assert sum("duplicate observation" in err for _, _, err in results) == 1
    after = (kit / API_REL).read_bytes()
    assert after.startswith(before) and after.count(b"\n") == before.count(b"\n") + 1


@pytest.mark.slow
def test_import_waiting_too_long_for_the_lock_is_refused_in_one_line(tmp_path, kit):
    api, withdrawals = kit / API_REL, kit / WITHDRAWALS_REL
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(api)],
        env={**os.environ, "PYTHONPATH": str(kit)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        review = importers.review(
            litellm.read_litellm(_kit_source(tmp_path, "2026-11-30")),
            api_prices=tables.load_api_prices(api),
        )
        with pytest.raises(writes.WriteRefused) as info:
            importers.write(
                review, allow_missing=True, api_path=api, withdrawals_path=withdrawals, timeout=0.3
            )
    finally:
        holder.stdin.close()
        holder.stdout.close()
        holder.wait(timeout=30)
    message = str(info.value)
    assert f"{api.resolve()}: another write has held its lock" in message
    assert str(writes.lock_path(api.resolve())) in message and "\n" not in message
    assert api.read_bytes() == (paths.API_PRICES_CSV).read_bytes()


_HOLD_LOCK = (
    "import sys\nfrom infermodel.tables import writes\n"
    "with writes.locked(sys.argv[1]):\n    print('held', flush=True)\n    sys.stdin.read()\n"
)


@pytest.mark.slow
def test_withdraw_missing_from_a_source_holding_one_model_is_refused(tmp_data, capsys):
    # A LiteLLM file holding only gpt-4o: every other tracked offering is "not in the source".
    # --withdraw-missing withdrew them all (78 of 91); past a quarter of the offerings the
    # source is reviewed for, the import stops and says how to go on.
    source = tmp_data / "litellm_2026-12-04.json"
    source.write_text(json.dumps({"gpt-4o": {"input_cost_per_token": 2.5e-06,
                                             "output_cost_per_token": 1e-05}}))  # fmt: skip
    api, gone = tmp_data / "prices" / "api_prices.csv", tmp_data / "prices" / "withdrawals.csv"
    before = {p: p.read_bytes() for p in (api, gone)}
    review = importers.review(
        litellm.read_litellm(source),
        api_prices=tables.load_api_prices(api),
        withdrawals=tables.load_withdrawals(gone),
    )
    live = int((~review.table["status"].isin(["withdrawn", "later"])).sum())
    missing = int(review.table["detail"].str.startswith("not in the source").sum())
    assert missing > live // 4 >= 1
    with pytest.raises(importers.ImportRefused) as caught:
        importers.write(review, withdraw_missing=True, api_path=api, withdrawals_path=gone)
    text = str(caught.value)
    assert f"would withdraw {missing} of the {live} tracked offerings" in text
    assert f"more than {live // 4} (--max-withdrawals" in text
    assert text.endswith(f"pass --max-withdrawals {missing}. Nothing written.")
    assert {p: p.read_bytes() for p in (api, gone)} == before
    # Named as intended, it is written.
    _, withdrawn = importers.write(
        review, withdraw_missing=True, max_withdrawals=missing, api_path=api, withdrawals_path=gone
    )
    assert withdrawn == missing


def test_max_withdrawals_without_withdraw_missing_is_a_usage_error(tmp_path, capsys):
    path = _litellm_file(tmp_path)
    status = cli.main(["prices", "import", "litellm", str(path), "--max-withdrawals", "3"])
    assert status == 2
    assert "--max-withdrawals is for --withdraw-missing" in capsys.readouterr().err
