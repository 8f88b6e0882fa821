"""Long prompts' cache reads and writes at their long-context prices, and mixed cache
lifetimes (issue 24, parts 1 and 4).

Every figure is worked by hand from the rows named in each test (USD per million tokens);
the arithmetic is in the comments.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from helpers import TEST_DATA

from infermodel import prices, tables
from infermodel.cli import main
from infermodel.errors import InputError
from infermodel.prices import service_tiers
from infermodel.pricing import compare, trace_pricing
from infermodel.readers import logs
from infermodel.readers.genai_prices import read_genai_prices
from infermodel.readers.litellm import read_litellm
from infermodel.tables import serving
from infermodel.workloads import Workload

UPSTREAM = TEST_DATA / "prices-upstream"


@pytest.fixture(scope="module")
def no_diy():
    return serving.select(tables.load_serving(), "article").iloc[0:0]


def one(table: pd.DataFrame, model_id: str) -> pd.Series:
    rows = table[table["model_id"] == model_id]
    assert len(rows) == 1, model_id
    return rows.iloc[0]


# A long prompt (one request, 300,000 prompt tokens: above the 200k and 272k thresholds).
LONG = Workload(
    input_tokens=100_000,
    cached_input_tokens=150_000,
    cache_write_tokens=50_000,
    output_tokens=10_000,
    requests=1,
)


@pytest.mark.slow
def test_gpt_5_4_long_prompt_reads_the_cache_at_the_long_context_price(no_diy):
    # api_prices.csv, GPT-5.4 2026-12-01 (litellm 1.110.2): above 272k input 5, output 22.5,
    # cache read 0.5 (cache_read_input_token_cost_above_272k_tokens 5e-07); OpenAI prices no
    # writes, so they are billed as input (5).
    # 100,000 x 5 + 150,000 x 0.5 + 50,000 x 5 + 10,000 x 22.5
    # = 0.5 + 0.075 + 0.25 + 0.225 = 1.05 USD (the short cache read, 0.25, gave 1.0125)
    table = compare.cost_table(LONG, prices.as_of("2026-12-01"), no_diy)
    row = one(table, "gpt-5.4")
    assert bool(row["long_context_applied"])
    assert row["usd_per_million_cached_input_tokens"] == pytest.approx(0.5)
    assert row["cost_usd"] == pytest.approx(1.05, rel=1e-12)
    assert row["long_context_cache_basis"] == "listed"


@pytest.mark.slow
def test_gemini_2_5_pro_long_prompt_reads_the_cache_at_the_long_context_price(no_diy):
    # Gemini 2.5 Pro on 2026-11-01: the 2026-08-21 observation (genai-prices data.json):
    # above 200k input 2.5, output 15, cache read 0.25 (cache_read_mtok tier at 200000);
    # Google prices no writes: billed as input (2.5).
    # 100,000 x 2.5 + 150,000 x 0.25 + 50,000 x 2.5 + 10,000 x 15
    # = 0.25 + 0.0375 + 0.125 + 0.15 = 0.5625 USD
    table = compare.cost_table(LONG, prices.as_of("2026-11-01"), no_diy)
    row = one(table, "gemini-2.5-pro")
    assert row["cost_usd"] == pytest.approx(0.5625, rel=1e-12)
    assert row["usd_per_million_cache_write_tokens"] == pytest.approx(2.5)


def test_claude_long_prompt_reads_and_writes_at_the_long_context_prices(no_diy):
    # Claude Sonnet 4.5 on 2026-11-01: the 2026-08-21 observation (genai-prices): above 200k
    # input 6, output 22.5, cache read 0.6, 5-minute write 7.5.
    # 100,000 x 6 + 150,000 x 0.6 + 50,000 x 7.5 + 10,000 x 22.5
    # = 0.6 + 0.09 + 0.375 + 0.225 = 1.29 USD (short cache prices 0.3 / 3.75 gave 1.0575)
    table = compare.cost_table(LONG, prices.as_of("2026-11-01"), no_diy)
    row = one(table, "claude-sonnet-4-5-20250929")
    assert row["usd_per_million_cached_input_tokens"] == pytest.approx(0.6)
    assert row["usd_per_million_cache_write_tokens"] == pytest.approx(7.5)
    assert row["cost_usd"] == pytest.approx(1.29, rel=1e-12)


def test_a_short_prompt_keeps_the_short_cache_prices(no_diy):
    # Same tokens over 10 requests: 30,000-token prompts, below every threshold. GPT-5.4:
    # 100,000 x 2.5 + 150,000 x 0.25 + 50,000 x 2.5 + 10,000 x 15 = 0.25 + 0.0375 + 0.125 +
    # 0.15 = 0.5625 USD
    short = Workload(100_000, 10_000, cached_input_tokens=150_000, cache_write_tokens=50_000,
                     requests=10)  # fmt: skip
    row = one(compare.cost_table(short, prices.as_of("2026-12-01"), no_diy), "gpt-5.4")
    assert not bool(row["long_context_applied"])
    assert pd.isna(row["long_context_cache_basis"])
    assert row["cost_usd"] == pytest.approx(0.5625, rel=1e-12)


def _api(**prices_by_column) -> pd.DataFrame:
    """One API observation with a long-context tier, cache prices as given."""
    row = {
        "platform_type": "proprietary_api",
        "provider": "Example",
        "model": "Example",
        "model_id": "example",
        "usd_per_million_input_tokens": 2.0,
        "usd_per_million_output_tokens": 10.0,
        "usd_per_million_cached_input_tokens": 0.2,
        "usd_per_million_cache_write_tokens": 2.5,
        "usd_per_million_cache_write_1h_tokens": 4.0,
        "batch_discount_fraction": None,
        "long_context_threshold_tokens": 100_000,
        "usd_per_million_input_tokens_long_context": 4.0,
        "usd_per_million_output_tokens_long_context": 15.0,
        "usd_per_million_cached_input_tokens_long_context": None,
        "usd_per_million_cache_write_tokens_long_context": None,
        "usd_per_million_cache_write_1h_tokens_long_context": None,
        "observed_on": pd.Timestamp("2026-01-01"),
        "confidence": "confirmed",
        "source_url": "https://example.com",
        "note": None,
        **prices_by_column,
    }
    return pd.DataFrame([row]).astype({"long_context_threshold_tokens": "Int64"})


def test_no_published_long_context_cache_price_takes_the_short_one_and_says_so():
    effective = service_tiers.effective_prices(_api(), tables.load_api_price_tiers().iloc[0:0])
    row = effective.iloc[0]
    assert row["usd_per_million_cached_input_tokens_long_context"] == 0.2
    assert row["usd_per_million_cache_write_tokens_long_context"] == 2.5
    assert row["usd_per_million_cache_write_1h_tokens_long_context"] == 4.0
    assert row["long_context_cache_basis"] == (
        "cached input and cache write and 1h cache write at the short-context price "
        "(none published)"
    )
    listed = service_tiers.effective_prices(
        _api(
            usd_per_million_cached_input_tokens_long_context=0.4,
            usd_per_million_cache_write_tokens_long_context=5.0,
            usd_per_million_cache_write_1h_tokens_long_context=8.0,
        ),
        tables.load_api_price_tiers().iloc[0:0],
    ).iloc[0]
    assert listed["long_context_cache_basis"] == "listed"
    assert listed["usd_per_million_cache_write_1h_tokens_long_context"] == 8.0


def test_litellm_reader_takes_the_long_context_cache_fields():
    source = read_litellm(UPSTREAM / "litellm_1.110.2_read-2026-12-01.json")
    gpt = source.quotes["gpt-5.6"].prices
    # cache_read_input_token_cost_above_272k_tokens 8e-07, cache_creation_..._above_272k 1e-05
    assert gpt["usd_per_million_cached_input_tokens_long_context"] == 0.8
    assert gpt["usd_per_million_cache_write_tokens_long_context"] == 10.0
    haiku = source.quotes["claude-haiku-5-5"].prices
    # cache_creation_input_token_cost_above_1hr_above_100k_tokens 1e-06
    assert haiku["usd_per_million_cache_write_1h_tokens_long_context"] == 1.0
    # Gemini 2.5 Pro lists cache_creation_..._above_200k_tokens but no short write price:
    # Google bills writes as input, so the long one is not taken.
    gemini = source.quotes["gemini-2.5-pro"].prices
    assert gemini.get("usd_per_million_cache_write_tokens_long_context") is None
    assert gemini["usd_per_million_cached_input_tokens_long_context"] == 0.25


def test_genai_prices_reader_takes_the_cache_tiers():
    source = read_genai_prices(UPSTREAM / "genai-prices_2026-08-21.json")
    claude = source.quotes["anthropic/claude-sonnet-4-5"].prices
    # cache_read_mtok tiers [{start 200000, price 0.6}], cache_write_mtok [{200000, 7.5}]
    assert claude["long_context_threshold_tokens"] == 200_000
    assert claude["usd_per_million_cached_input_tokens_long_context"] == 0.6
    assert claude["usd_per_million_cache_write_tokens_long_context"] == 7.5


def test_a_long_context_cache_price_without_a_threshold_is_refused(tmp_path):
    text = tables.paths.API_PRICES_CSV.read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    row = next(line for line in text[1:] if ",gpt-4o," in line)
    cells = next(csv.reader([row]))
    cells[header.index("usd_per_million_cached_input_tokens_long_context")] = "2.5"
    bad = tmp_path / "api_prices.csv"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, cells])
    bad.write_text(out.getvalue(), encoding="utf-8")
    with pytest.raises(tables.TableError, match="needs long_context_threshold_tokens"):
        tables.load_api_prices(bad)


# --------------------------------------------------------------------------------------
# Mixed cache lifetimes (part 4)
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_mixed_lifetime_workload_bills_each_write_at_its_lifetime(no_diy):
    # Claude Opus 4.6, 2026-12-01 (litellm 1.110.2): input 5, cache read 0.5, 5-minute write
    # 6.25, 1-hour write 10, output 25. 1M input, 2M written for 5 minutes, 1M for 1 hour,
    # 0.5M output: 1 x 5 + 2 x 6.25 + 1 x 10 + 0.5 x 25 = 5 + 12.5 + 10 + 12.5 = 40 USD
    mixed = Workload(1e6, 0.5e6, cache_write_tokens=2e6, cache_write_1h_tokens=1e6)
    table = compare.cost_table(mixed, prices.as_of("2026-12-01"), no_diy)
    row = one(table, "claude-opus-4-6")
    assert row["cost_usd"] == pytest.approx(40.0, rel=1e-12)
    assert row["cache_write_tokens"] == 3e6  # both lifetimes
    # GPT-5.6 prices 5-minute writes but no 1-hour write: left out, with the reason.
    assert "gpt-5.6" not in set(table["model_id"])
    left = compare.api_unpriced(mixed, prices.as_of("2026-12-01"))
    reason = left.set_index("offering_id").loc["openai/gpt-5.6", "reason"]
    assert reason == "no standard price for 1h cache write"


def test_mixed_shares_from_a_total():
    # 10M tokens, 20% output: 8M prompt; 10% read, 25% 5-minute writes, 15% 1-hour writes:
    # 0.8M read, 2M + 1.2M written, 8M - 0.8M - 2M - 1.2M = 4M uncached
    w = Workload.from_total(10e6, output_share=0.2, cached_input_share=0.1,
                            cache_write_share=0.25, cache_write_1h_share=0.15)  # fmt: skip
    assert (w.input_tokens, w.cache_write_tokens, w.cache_write_1h_tokens) == pytest.approx(
        (4e6, 2e6, 1.2e6)
    )
    assert w.prompt_tokens == pytest.approx(8e6)
    with pytest.raises(InputError, match="together at most 1"):
        Workload.from_total(1e6, output_share=0, cache_write_share=0.6, cache_write_1h_share=0.5)


@pytest.mark.slow
def test_cli_table_takes_a_mixed_lifetime(capsys):
    code = main(
        [
            "table", "--as-of", "2026-12-01", "--provider", "Anthropic", "--output-share",
            "0.1", "--cache-write-share", "0.2", "--cache-write-1h-share", "0.1",
            "--format", "csv", "--serving", "article",
        ]
    )  # fmt: skip
    assert code == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out))
    opus = out[out["model_id"] == "claude-opus-4-6"].iloc[0]
    # 20M tokens: 2M output, 18M prompt: 3.6M 5-minute, 1.8M 1-hour writes, 12.6M input:
    # 12.6 x 5 + 3.6 x 6.25 + 1.8 x 10 + 2 x 25 = 63 + 22.5 + 18 + 50 = 153.5 USD
    assert opus["cost_usd"] == pytest.approx(153.5, rel=1e-9)


@pytest.mark.slow
def test_a_logged_long_prompt_reads_the_cache_at_the_long_context_price(tmp_path):
    # trace: one request, 300,000 prompt tokens of which 100,000 read from the cache, 1,000
    # output, on GPT-5.4 (2026-12-01): 200,000 x 5 + 100,000 x 0.5 + 1,000 x 22.5
    # = 1.0 + 0.05 + 0.0225 = 1.0725 USD (the short cache read, 0.25, gave 1.0475)
    log = tmp_path / "long.csv"
    log.write_text(
        "input_tokens,cached_input_tokens,output_tokens\n300000,100000,1000\n", encoding="utf-8"
    )
    table = trace_pricing.price_trace(
        logs.read_trace(log), prices.as_of("2026-12-01"), serving.select(tables.load_serving())
    )
    row = table.set_index("model_id").loc["gpt-5.4"]
    assert row["cost_usd"] == pytest.approx(1.0725, rel=1e-12)
    assert row["long_context_requests"] == 1
