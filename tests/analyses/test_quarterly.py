"""Quarterly reports: quarter parsing, as-of dates, bad quarters, reproducible past quarters."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from infermodel import cli, narrative, paths, prices, reports, tables, workloads
from infermodel.analyses import quarters
from infermodel.analyses.quarters import Quarter
from infermodel.reports import manifest, pages, runner
from infermodel.tables import serving


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026Q3", "2026-07-01", "2026-09-30"),
        ("2025q2", "2025-04-01", "2025-06-30"),
        ("2024Q1", "2024-01-01", "2024-03-31"),
        ("2025Q4", "2025-10-01", "2025-12-31"),
    ],
)
def test_quarter_dates(text, start, end):
    quarter = Quarter.parse(text)
    assert (quarter.start, quarter.end) == (pd.Timestamp(start), pd.Timestamp(end))


@pytest.mark.parametrize("text", ["2026Q5", "26Q1", "2026Q0", "2026-Q3", "Q3 2026", ""])
def test_malformed_quarter_is_refused(text):
    with pytest.raises(ValueError, match=r"quarter must be YYYYQn"):
        Quarter.parse(text)


def test_previous_quarter_wraps_the_year():
    assert Quarter.parse("2026Q1").previous == Quarter(2025, 4)
    assert quarters.previous_quarter_end("2026-11-27") == pd.Timestamp("2026-09-30")
    assert quarters.previous_quarter_end("2026-09-30") == pd.Timestamp("2026-06-30")


def test_report_date_past_current_and_future_quarters():
    today = "2026-11-27"
    assert quarters.report_date(Quarter(2026, 3), today=today) == (
        pd.Timestamp("2026-09-30"),
        False,
    )
    assert quarters.report_date(Quarter(2026, 4), today=today) == (pd.Timestamp(today), True)
    with pytest.raises(ValueError, match="has not started"):
        quarters.report_date(Quarter(2027, 1), today=today)


@pytest.mark.parametrize(
    ("quarter", "message"),
    [
        ("2026Q5", "quarter must be YYYYQn"),
        ("26Q1", "quarter must be YYYYQn"),
        ("2024Q4", "no price observations on or before 2024-12-31"),
    ],
)
def test_cli_bad_quarters_exit_2_and_write_nothing(quarter, message, tmp_path, capsys):
    out = tmp_path / "r"
    status = cli.main(["report", "--quarter", quarter, "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 2 and message in err
    assert not out.exists() and not list(tmp_path.iterdir())


def test_cli_quarter_and_as_of_are_exclusive(capsys):
    assert cli.main(["report", "--quarter", "2026Q3", "--as-of", "2026-09-30"]) == 2
    assert "not allowed with" in capsys.readouterr().err


@pytest.mark.slow
def test_price_and_mix_effects_add_up():
    old, new = prices.as_of("2025-06-30"), prices.as_of("2026-09-30")
    changes = quarters.cost_changes(
        workloads.article_workload(), old, new, quarters.default_serving()
    )
    assert {"new", "withdrawn", "unchanged"} <= set(changes["status"])
    for statistic in quarters.STATISTICS:
        split = quarters.effects(changes, statistic=statistic)
        total = split["price_effect_usd"] + split["mix_effect_usd"]
        assert total.to_numpy() == pytest.approx(split["total_change_usd"].to_numpy())
    # GPT-4o sold at both dates at 10 USD/Mtok output: 20M output tokens cost 200 USD.
    gpt4o = changes[changes["offering_id"] == "openai/gpt-4o"].iloc[0]
    assert (gpt4o["cost_usd_old"], gpt4o["cost_usd_new"]) == (200.0, 200.0)


@pytest.mark.slow
def test_diff_labels_new_withdrawn_repriced():
    changes = prices.diff(prices.as_of("2026-06-30"), prices.as_of("2026-09-30")).set_index(
        "offering_id"
    )
    # Anthropic retired Claude Opus 4.1 on 2026-08-05 (its deprecations page); GPT-4.5
    # preview left on 2025-07-14 (OpenAI's page), so it is in neither snapshot here.
    assert changes.loc["anthropic/claude-opus-4-1-20250805", "status"] == "withdrawn"
    assert "openai/gpt-4.5-preview" not in changes.index
    earlier = prices.diff(prices.as_of("2025-06-30"), prices.as_of("2025-09-30"))
    assert earlier.set_index("offering_id").loc["openai/gpt-4.5-preview", "status"] == "withdrawn"
    mixtral = changes.loc["together-ai/mistralai/Mixtral-8x7B-Instruct-v0.1"]
    assert mixtral["status"] == "repriced" and mixtral["change_pct_output"] == pytest.approx(50)
    # LiteLLM's $0.10 for Fireworks' Llama 3.1 8B is a source error (price_readings.csv): no move.
    llama8b = changes.loc["fireworks-ai/accounts/fireworks/models/llama-v3p1-8b-instruct"]
    assert llama8b["status"] == "unchanged"


@pytest.mark.slow
def test_stale_banner_names_old_prices():
    banner = reports.stale_banner(prices.as_of("2026-09-30"), html_output=True)
    assert "Stale prices" in banner and "older than 120 days" in banner
    may = reports.stale_banner(prices.as_of("2025-05-31"), html_output=True)
    assert "Stale prices" not in may
    # LiteLLM's 2025-05-31 file schedules Claude 3 Opus and Haiku for 2025-03-01: past, and
    # no provider notice then, so they stay priced and the banner says so.
    assert "Past a scheduled retirement:" in may and "Claude 3 Haiku (2025-03-01)" in may


@pytest.mark.slow
def test_past_schedule_names_offerings_past_a_scheduled_date_only():
    today = narrative.past_schedule(prices.as_of("2026-12-01"))
    # 8, not 11, since issue 24: Claude Sonnet 4.5 and Gemini 2.5 Pro / Flash are withdrawn by
    # their providers' notices (withdrawals.csv) instead of only past a schedule.
    assert today.startswith("8 offerings priced here are past a retirement date")
    assert "Together AI · Llama 3.1 70B Instruct Turbo (2026-02-25)" in today
    # Anthropic's own tentative date for Opus 4.5 (2027-01-22) is ahead: not named.
    assert "Opus 4.5" not in today
    assert narrative.past_schedule(prices.as_of("2026-09-30")) == ""


#: Small sizes for the rebuild: determinism does not need a million Monte Carlo draws.
SMALL = {"draws": 2_000, "grid_points": 8}


@pytest.mark.notebook
def test_past_quarter_rebuild_reproduces_tables_and_lists_reports(tmp_path):
    # Built twice, one notebook at a time and two at a time: the same tables to the byte.
    # The first three notebooks of the quarterly manifest (the article table, the price
    # changes, the sensitivity's Monte Carlo) are the ones with dates and seeds at stake;
    # every notebook is built in tests/reports/test_reports.py and tests/reports/test_browser.py.
    shipped = manifest.Manifest.load(paths.QUARTERLY_MANIFEST)
    three = manifest.Manifest(shipped.title, shipped.notebooks[:3])
    builds = []
    for folder, jobs in (("a", 1), ("b", 2)):
        built = runner.build_quarterly(
            "2025Q2",
            out_dir=tmp_path / folder / "2025Q2",
            manifest=three,
            overrides=SMALL,
            progress=lambda _: None,
            jobs=jobs,
        )
        builds.append(built)
    first, second = builds
    names = sorted(p.name for p in (first / "tables").glob("*.csv"))
    assert "offering_changes.csv" in names and "cost_table.csv" in names
    assert names == sorted(p.name for p in (second / "tables").glob("*.csv"))
    for name in names:
        assert (first / "tables" / name).read_bytes() == (second / "tables" / name).read_bytes()
    record = json.loads((first / "run_record.json").read_text())
    assert record["quarter"] == "2025Q2" and record["as_of"] == "2025-06-30"
    assert record["provisional"] is False
    assert all(n["seconds"] > 0 and n["started"] for n in record["notebooks"])
    price_changes = next(n for n in record["notebooks"] if n["name"] == "price_changes")
    assert price_changes["parameters"]["previous_as_of"] == "2025-03-31"
    index = (tmp_path / "a" / "index.html").read_text()
    assert "2025Q2/index.html" in index and "2025-06-30" in index


def test_reports_index_lists_newest_first(tmp_path):
    for name, as_of in [
        ("2025Q2", "2025-06-30"),
        ("2026Q3", "2026-09-30"),
        ("2025Q4", "2025-12-31"),
    ]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "run_record.json").write_text(
            json.dumps({"as_of": as_of, "title": name, "finished": "x", "data_sha256": "ab"})
        )
    page = pages.write_reports_index(tmp_path).read_text()
    positions = [page.index(f"{q}/index.html") for q in ("2026Q3", "2025Q4", "2025Q2")]
    assert positions == sorted(positions)


def test_describe_change_names_every_field_that_moved():
    row = pd.Series(
        {
            "usd_per_million_input_tokens_old": 0.6,
            "usd_per_million_input_tokens_new": 0.9,
            "usd_per_million_output_tokens_old": 0.6,
            "usd_per_million_output_tokens_new": 0.6,
            "usd_per_million_cached_input_tokens_old": float("nan"),
            "usd_per_million_cached_input_tokens_new": 0.07,
            "usd_per_gpu_hour_old": float("nan"),
            "usd_per_gpu_hour_new": float("nan"),
        }
    )
    assert prices.describe_change(row) == (
        "input 0.6 -> 0.9 USD/Mtok (+50%); cached input new at 0.07 USD/Mtok"
    )


@pytest.mark.slow
def test_a_disputed_price_move_says_the_sources_disagree():
    old, new = prices.as_of("2026-09-30"), prices.as_of("2026-12-01")
    changes = prices.diff(old, new)
    assert (
        changes.set_index("offering_id").loc[
            "together-ai/mistralai/Mixtral-8x7B-Instruct-v0.1", "confidence_new"
        ]
        == "disputed"
    )
    assumptions = serving.select(tables.load_serving(), "article")
    split = quarters.effects(
        quarters.cost_changes(workloads.article_workload(), old, new, assumptions)
    )
    lines = narrative.price_changes_answer(changes, split, previous=old.as_of, as_of=new.as_of)
    moves = next(line for line in lines if line.startswith("Biggest price moves"))
    assert "Mixtral 8x7B Instruct v0.1, input $0.90 to $0.60" in moves
    assert "(sources disagree on this price: perhaps no real move)" in moves
    assert "Llama 3.3 70B Instruct Turbo, input $0.88 to $1.04" in moves


@pytest.mark.slow
def test_a_repriced_offering_says_what_changed_never_0_percent():
    # Fireworks gpt-oss-120b is repriced in 2026Q3 only because a cached-input price
    # appeared: its input and output moves are 0%, so the table says what did change.
    changes = prices.diff(prices.as_of("2026-06-30"), prices.as_of("2026-09-30"))
    oss = "fireworks-ai/accounts/fireworks/models/gpt-oss-120b"
    row = changes.set_index("offering_id").loc[oss]
    assert row["status"] == "repriced" and row["change_pct_input"] == 0
    assert row["what_changed"] == "cached input new at 0.015 USD/Mtok"
    assert (changes.loc[changes["status"] != "repriced", "what_changed"] == "").all()
    small = pd.Series(
        {"usd_per_million_input_tokens_old": 1.0, "usd_per_million_input_tokens_new": 1.003}
    )
    assert prices.describe_change(small) == "input 1 -> 1.003 USD/Mtok (+0.3%)"
