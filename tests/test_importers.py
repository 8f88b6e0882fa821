"""Importers: LiteLLM and genai-prices files -> reviewed, dated observation rows.

Excerpts of the dated upstream copies live in tests/data/prices-upstream/ (how each was cut:
tests/data/README.md); bad-input cases use tiny hand-made files in tmp_path.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from infermodel import cli, importers, paths, prices, tables
from infermodel.readers import genai_prices, litellm

UPSTREAM = Path(__file__).resolve().parent / "data" / "prices-upstream"


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


def test_litellm_deprecation_dates_become_withdrawals():
    review = importers.review(
        litellm.read_litellm(UPSTREAM / "litellm_2026-07-24.json"), **_may_2025_history()
    )
    proposed = review.withdrawals.set_index("model_id")["withdrawn_on"]
    assert proposed["claude-3-7-sonnet-20250219"] == pd.Timestamp("2026-02-19")
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
