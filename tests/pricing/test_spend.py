"""``infermodel spend``: a usage log priced as it was spent (issue 24, part 5).

A small log with three models over two price dates (api_prices.csv observations of
2026-11-27, genai-prices 0.2.3, in force on 2026-11-30; and of 2026-12-01, litellm 1.110.2,
in force on 2026-12-02), priced by hand in the comments.
"""

from __future__ import annotations

import io
import shutil

import pandas as pd
import pytest

from infermodel import narrative
from infermodel.cli import main
from infermodel.errors import InputError
from infermodel.pricing import reconcile, spend
from infermodel.readers import logs

LOG = """timestamp,model,input_tokens,cached_input_tokens,output_tokens
2026-11-30 10:00:00,gpt-4o,10000,4000,1000
2026-11-30 11:00:00,meta-llama/Llama-3.3-70B-Instruct-Turbo,20000,0,2000
2026-11-30 12:00:00,claude-opus-4-6,1000,0,100
2026-12-02 09:00:00,gpt-4o,10000,4000,1000
2026-12-02 09:30:00,together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo,20000,0,2000
2026-12-02 10:00:00,claude-opus-4-6,1000,500,100
2026-12-02 11:00:00,gpt-4o,300000,0,100
2026-12-02 12:00:00,gpt-4o-2024-08-06,1000,0,100
2026-12-02 13:00:00,gpt4o-mini,100,0,10
"""
# By hand (USD per million tokens; input billed without the cached part):
# 2026-11-30  gpt-4o 2.5 / cached 1.25 / out 10: 6000 x 2.5 + 4000 x 1.25 + 1000 x 10 = 0.03
#             Together Llama 3.3 70B 0.88 / 0.88: 22000 x 0.88 = 0.01936
#             Claude Opus 4.6: no price observation on or before 2026-11-30 (listed)
# 2026-12-02  gpt-4o: 0.03 again; its dated snapshot gpt-4o-2024-08-06 (bill_models.csv):
#             1000 x 2.5 + 100 x 10 = 0.0035
#             Llama 3.3 70B, named by its LiteLLM key, 1.04 / 1.04: 22000 x 1.04 = 0.02288
#             Opus 4.6 5 / cached 0.5 / out 25: 500 x 5 + 500 x 0.5 + 100 x 25 = 0.00525
#             gpt-4o with a 300,000-token prompt: over its 128,000 window (listed)
#             gpt4o-mini: no such model (listed, did you mean 'gpt-4o-mini')
# Total 0.03 + 0.01936 + 0.03 + 0.0035 + 0.02288 + 0.00525 = 0.11099 USD
TOTAL = 0.11099


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    path = tmp_path_factory.mktemp("spend") / "usage.csv"
    path.write_text(LOG, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def result(log):
    return spend.price_spend(logs.read_trace(log))


@pytest.mark.slow
def test_the_total_is_the_hand_computed_one(result):
    assert result.total_usd == pytest.approx(TOTAL, rel=1e-12)
    by_day = result.by_day().set_index(result.by_day()["day"].dt.strftime("%Y-%m-%d"))
    assert by_day.loc["2026-11-30", "cost_usd"] == pytest.approx(0.03 + 0.01936)
    assert by_day.loc["2026-12-02", "cost_usd"] == pytest.approx(0.0335 + 0.02288 + 0.00525)


def test_totals_by_model_join_the_names_of_one_offering(result):
    by_model = result.by_model().set_index("offering_id")
    gpt = by_model.loc["openai/gpt-4o"]
    assert gpt["model"] == "gpt-4o / gpt-4o-2024-08-06"
    assert gpt["requests"] == 3 and gpt["cost_usd"] == pytest.approx(0.0635)
    llama = by_model.loc["together-ai/meta-llama/Llama-3.3-70B-Instruct-Turbo"]
    assert llama["cost_usd"] == pytest.approx(0.01936 + 0.02288)  # two days, two prices


def test_unpriced_requests_are_listed_with_their_reason_never_dropped(result):
    unpriced = result.unpriced.set_index("first_line")
    assert int(unpriced["requests"].sum()) == 3
    assert int(result.groups["requests"].sum()) == 9  # every request of the log
    assert unpriced.loc[4, "unpriced_reason"] == (
        "no price on 2026-11-30: no price observation of anthropic/claude-opus-4-6 on or "
        "before 2026-11-30"
    )
    assert unpriced.loc[8, "unpriced_reason"] == (
        "prompt of 300,000 tokens above the 128,000-token context window (max input)"
    )
    assert "did you mean 'gpt-4o-mini'" in unpriced.loc[10, "unpriced_reason"]
    assert unpriced["cost_usd"].isna().all()


def test_the_answer_states_the_total_first(result):
    lines = narrative.spend_answer(result)
    # Three offerings priced: GPT-4o (two names), Llama 3.3 70B, Claude Opus 4.6.
    assert lines[0].startswith("This log cost $0.11: 6 request(s) on 3 model(s) over 2 day(s)")
    assert "3 request(s)" in lines[-1] and "not dropped" in lines[-1]


@pytest.mark.slow
def test_a_log_without_timestamps_is_priced_at_as_of(tmp_path):
    path = tmp_path / "untimed.jsonl"
    path.write_text(
        '{"model": "gpt-4o", "input_tokens": 10000, "cached_input_tokens": 4000, '
        '"output_tokens": 1000}\n',
        encoding="utf-8",
    )
    trace = logs.read_trace(path)
    with pytest.raises(InputError, match="give --as-of"):
        spend.price_spend(trace)
    assert spend.price_spend(trace, as_of="2026-12-02").total_usd == pytest.approx(0.03)


def test_a_timed_log_refuses_as_of_and_a_log_without_models_is_refused(log, tmp_path):
    with pytest.raises(InputError, match="priced at the prices of its own day"):
        spend.price_spend(logs.read_trace(log), as_of="2026-12-02")
    bare = tmp_path / "bare.csv"
    bare.write_text("input_tokens,output_tokens\n10,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="no model column"):
        spend.price_spend(logs.read_trace(bare), as_of="2026-12-02")


@pytest.mark.slow
def test_bad_rows_follow_the_trace_rules(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(LOG + "2026-12-02 14:00:00,gpt-4o,-5,0,10\n", encoding="utf-8")
    with pytest.raises(logs.BadRowsError, match="line"):
        logs.read_trace(bad)
    code = main(["spend", str(bad), "--drop-bad-rows", "--format", "csv"])
    assert code == 0


@pytest.mark.slow
def test_cli_csv_rows_and_user_mapping(log, tmp_path, capsys):
    mapping = tmp_path / "models.csv"
    mapping.write_text(
        "provider,billed_model,offering_id,checked_on,source_url,note\n"
        "OpenAI,gpt4o-mini,openai/gpt-4o-mini,2026-12-01,https://example.com,a typo we use\n",
        encoding="utf-8",
    )
    assert main(["spend", str(log), "--format", "csv", "--models", str(mapping)]) == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out))
    # gpt-4o-mini 0.15 / 0.6 on 2026-12-01: 100 x 0.15 + 10 x 0.6 = 0.000021 USD more
    assert out["cost_usd"].sum() == pytest.approx(TOTAL + 0.000021, rel=1e-9)
    assert (out["unpriced_reason"].fillna("") != "").sum() == 2
    assert main(["spend", str(log), "--by", "day", "--format", "csv"]) == 0
    days = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert len(days) == 2 + 3  # two priced days, three unpriced rows


@pytest.mark.slow
def test_cli_for_people_opens_with_the_answer(log, capsys):
    assert main(["spend", str(log)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("This log cost $0.11")
    assert "Not priced (listed, not dropped)" in out


@pytest.mark.slow
def test_resolving_names(result):
    names = reconcile.model_names()
    found = spend.resolve_models(["OpenAI/GPT-4o", "nothing-at-all"], names)
    assert found["OpenAI/GPT-4o"] == ("openai/gpt-4o", "")
    assert found["nothing-at-all"][0] == ""


@pytest.mark.spark
@pytest.mark.xdist_group("spark")  # the process's one Spark session, shared with the others
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java 17+")
def test_spark_gives_the_same_total(log, spark_session):
    # No master asked for: the session running in this process (the suite's one).
    with logs.read_trace(log, engine="spark") as trace:
        assert spend.price_spend(trace).total_usd == pytest.approx(TOTAL, rel=1e-12)
