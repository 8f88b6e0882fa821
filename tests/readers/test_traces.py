"""Request logs priced by DuckDB: totals against plain loops, cache counting, bad rows, CLI."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from helpers import TEST_DATA, run

from infermodel import cli, formulas, prices, tables
from infermodel.pricing import trace_pricing
from infermodel.readers import logs
from infermodel.readers.logs import formats, synthetic
from infermodel.tables import serving

# Excerpts of the real traces (first rows of each; how each was cut: tests/data/README.md).
TRACES = TEST_DATA / "traces"
AS_OF = "2025-05-31"


@pytest.fixture(scope="module")
def snapshot():
    return prices.as_of(AS_OF)


@pytest.fixture(scope="module")
def assumptions():
    return serving.select(tables.load_serving(), "article")


def api_row(table: pd.DataFrame, model_id: str) -> pd.Series:
    return table.loc[table["model_id"] == model_id].iloc[0]


def loop_costs(requests, price: pd.Series) -> list[float]:
    """Per-request cost in a plain loop; requests are (prompt, cached, output) tuples."""
    pin = price["usd_per_million_input_tokens"]
    pout = price["usd_per_million_output_tokens"]
    pcached = price["usd_per_million_cached_input_tokens"]
    pcached = pin if pd.isna(pcached) else pcached
    return [((p - c) * pin + c * pcached + o * pout) / 1e6 for p, c, o in requests]


def check_against_loop(table, requests, snapshot, model_id):
    price = snapshot.api.loc[snapshot.api["model_id"] == model_id].iloc[0]
    costs = loop_costs(requests, price)
    row = api_row(table, model_id)
    assert row["requests"] == len(requests)
    assert row["input_tokens"] == sum(p - c for p, c, _ in requests)
    assert row["cached_input_tokens"] == sum(c for _, c, _ in requests)
    assert row["output_tokens"] == sum(o for _, _, o in requests)
    assert row["cost_usd"] == pytest.approx(math.fsum(costs), rel=1e-12)
    for name, q in (("usd_per_request_p50", 50), ("usd_per_request_p95", 95)):
        assert row[name] == pytest.approx(np.percentile(costs, q, method="inverted_cdf"))


@pytest.mark.parametrize("name", ["azure2023_conv.csv", "azure2023_code.csv"])
@pytest.mark.slow
def test_azure_totals_match_a_plain_loop(name, snapshot, assumptions):
    path = TRACES / name
    with path.open(newline="") as handle:
        requests = [
            (int(r["ContextTokens"]), 0, int(r["GeneratedTokens"])) for r in csv.DictReader(handle)
        ]
    trace = logs.read_trace(path)
    assert trace.fmt == "azure"
    table = trace_pricing.price_trace(trace, snapshot, assumptions)
    for model_id in ("gpt-4o", "claude-3-7-sonnet-20250219", "gemini-2.5-pro-preview-05-06"):
        check_against_loop(table, requests, snapshot, model_id)
    diy = table[table["platform_type"] == "diy_gpu"]
    assert len(diy) > 0
    assert (diy["utilization"] > 0).all() and (diy["utilization"] <= 1).all()


@pytest.mark.slow
def test_mooncake_totals_and_cache_match_a_plain_loop(snapshot, assumptions):
    path = TRACES / "mooncake_conversation_trace.jsonl"
    seen: set[int] = set()
    requests = []
    with path.open() as handle:
        for line in handle:
            record = json.loads(line)
            prompt = record["input_length"]
            cached = 0
            for position, block in enumerate(dict.fromkeys(record["hash_ids"])):
                if block in seen:
                    cached += max(0, min(512, prompt - 512 * position))
            seen.update(record["hash_ids"])
            requests.append((prompt, cached, record["output_length"]))
    trace = logs.read_trace(path)
    assert trace.fmt == "mooncake"
    table = trace_pricing.price_trace(trace, snapshot, assumptions)
    assert sum(c for _, c, _ in requests) > 0
    for model_id in ("gpt-4o", "claude-3-7-sonnet-20250219", "gpt-4o-mini"):
        check_against_loop(table, requests, snapshot, model_id)


def write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_cached_tokens_on_a_hand_made_mooncake_file(tmp_path):
    path = write_lines(
        tmp_path / "tiny.jsonl",
        [
            # first request: nothing seen before; an id repeated inside it does not count
            '{"timestamp": 0, "input_length": 1000, "output_length": 10, "hash_ids": [1, 2, 2]}',
            # blocks 1 and 2 seen: 2 full blocks of 512
            '{"timestamp": 0, "input_length": 1200, "output_length": 20, "hash_ids": [1, 2, 3]}',
            # all blocks seen, the last one partial: 512 + 188 = the whole prompt
            '{"timestamp": 60000, "input_length": 700, "output_length": 30, "hash_ids": [1, 2]}',
            # only the second block seen (block 3 of line 2), partial: 600 - 512 = 88
            '{"timestamp": 120000, "input_length": 600, "output_length": 40, "hash_ids": [9, 3]}',
        ],
    )
    trace = logs.read_trace(path)
    assert trace.fmt == "mooncake"
    per_line = trace.con.sql("SELECT line, cached_input_tokens FROM requests ORDER BY line").df()
    assert per_line["cached_input_tokens"].tolist() == [0, 1024, 700, 88]
    summary = trace.summary().iloc[0]
    assert summary["cached_input_tokens"] == 1024 + 700 + 88
    assert summary["input_tokens"] == 1000 + 1200 + 700 + 600 - (1024 + 700 + 88)
    assert summary["span_minutes"] == 3


BAD_CSV = [
    "timestamp,input_tokens,output_tokens,cached_input_tokens",
    "2025-05-01 00:00:00,100,10,0",  # line 2: good
    "2025-05-01 00:00:01,,10,0",  # 3: missing
    "2025-05-01 00:00:02,abc,10,0",  # 4: non_numeric
    "2025-05-01 00:00:03,100,-5,0",  # 5: negative
    "2025-05-01 00:00:04,100.5,10,0",  # 6: not_whole
    "2025-05-01 00:00:05,100,10,200",  # 7: cached_exceeds_input
    "yesterday,100,10,0",  # 8: bad_timestamp
    "2025-05-01 00:01:00,300,30,100",  # 9: good
]


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (3, "missing"),
        (4, "non_numeric"),
        (5, "negative"),
        (6, "not_whole"),
        (7, "cached_exceeds_input"),
        (8, "bad_timestamp"),
    ],
)
def test_each_bad_row_kind_is_refused_with_its_line(tmp_path, line, kind):
    rows = [BAD_CSV[0], BAD_CSV[1], BAD_CSV[line - 1], BAD_CSV[-1]]
    path = write_lines(tmp_path / "log.csv", rows)
    with pytest.raises(logs.BadRowsError) as caught:
        logs.read_trace(path)
    assert caught.value.counts == {kind: 1}
    message = str(caught.value)
    assert str(path) in message and "1 bad row" in message and kind in message
    assert f"{path}:3:" in message  # the bad row sits on line 3 of this file
    assert "drop_bad_rows=True" in message


def test_malformed_json_line_is_a_bad_row(tmp_path):
    path = write_lines(
        tmp_path / "log.jsonl",
        [
            '{"input_tokens": 5, "output_tokens": 1}',
            '{"input_tokens": 5, "output_tokens"',
            "",
            '{"input_tokens": 7, "output_tokens": 2}',
        ],
    )
    with pytest.raises(logs.BadRowsError, match=r"1 malformed") as caught:
        logs.read_trace(path)
    assert caught.value.problems[0].line == 2
    trace = logs.read_trace(path, drop_bad_rows=True)
    assert trace.summary().iloc[0]["requests"] == 2


def test_all_bad_kinds_counted_and_dropped_on_request(tmp_path):
    path = write_lines(tmp_path / "log.csv", BAD_CSV)
    with pytest.raises(logs.BadRowsError) as caught:
        logs.read_trace(path)
    assert sum(caught.value.counts.values()) == 6
    assert [p.line for p in caught.value.problems] == [3, 4, 5, 6, 7]
    trace = logs.read_trace(path, drop_bad_rows=True)
    assert trace.dropped_rows == 6
    summary = trace.summary().iloc[0]
    assert (summary["requests"], summary["output_tokens"]) == (2, 40)
    assert (summary["input_tokens"], summary["cached_input_tokens"]) == (300, 100)


@pytest.mark.slow
def test_line_numbers_hold_in_a_large_file(tmp_path):
    log = synthetic.write_synthetic_log(tmp_path / "big.csv", requests=300_000, seed=3)
    lines = log.read_text().splitlines()
    lines[250_000] = lines[250_000].replace(",synthetic,", ",synthetic,").split(",", 1)[0] + (
        ",12x,5,0,synthetic,x"
    )
    write_lines(log, lines)
    with pytest.raises(logs.BadRowsError) as caught:
        logs.read_trace(log)
    assert caught.value.problems[0].line == 250_001


@pytest.mark.slow
def test_parquet_and_csv_give_identical_tables(tmp_path, snapshot, assumptions):
    tables = []
    for suffix in (".parquet", ".csv", ".jsonl"):
        log = synthetic.write_synthetic_log(tmp_path / f"log{suffix}", requests=3_000, seed=7)
        trace = logs.read_trace(log)
        assert trace.fmt == suffix.removeprefix(".")
        tables.append(trace_pricing.price_trace(trace, snapshot, assumptions))
    for other in tables[1:]:
        pd.testing.assert_frame_equal(tables[0], other)
    assert tables[0]["cached_input_tokens"].iloc[0] > 0


def test_synthetic_log_is_seeded_and_labelled(tmp_path):
    a = synthetic.write_synthetic_log(tmp_path / "a.csv", requests=500, seed=1)
    b = synthetic.write_synthetic_log(tmp_path / "b.csv", requests=500, seed=1)
    c = synthetic.write_synthetic_log(tmp_path / "c.csv", requests=500, seed=2)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    frame = pd.read_csv(a)
    assert (frame["source"] == synthetic.SYNTHETIC_LABEL).all()
    assert "SYNTHETIC" in synthetic.SYNTHETIC_LABEL
    with pytest.raises(ValueError, match="requests"):
        synthetic.write_synthetic_log(tmp_path / "d.csv", requests=0)
    with pytest.raises(ValueError, match=r"\.parquet"):
        synthetic.write_synthetic_log(tmp_path / "d.txt")


@pytest.mark.slow
def test_caching_lowers_cost_only_where_a_cached_price_exists(tmp_path, snapshot, assumptions):
    trace = logs.read_trace(synthetic.write_synthetic_log(tmp_path / "l.parquet", requests=2_000))
    with_cache = trace_pricing.price_trace(trace, snapshot, assumptions)
    without = trace_pricing.price_trace(trace, snapshot, assumptions, use_cached_pricing=False)
    effect = trace_pricing.caching_effect(with_cache, without)
    has_price = snapshot.api.set_index("model_id")["usd_per_million_cached_input_tokens"].notna()
    saves = effect.set_index("model_id")["saving_usd"] > 1e-12
    assert (saves == has_price.reindex(saves.index)).all()


def test_long_context_tier_applies_per_request(tmp_path, snapshot, assumptions):
    # Gemini 2.5 Pro (May 2025): 1.25 / 10 USD/Mtok up to 200,000 prompt tokens, 2.5 / 15 above.
    path = write_lines(
        tmp_path / "log.csv",
        ["input_tokens,output_tokens", "100000,1000", "300000,1000"],
    )
    table = trace_pricing.price_trace(logs.read_trace(path), snapshot, assumptions)
    row = api_row(table, "gemini-2.5-pro-preview-05-06")
    expected = (100_000 * 1.25 + 1_000 * 10 + 300_000 * 2.5 + 1_000 * 15) / 1e6
    assert row["cost_usd"] == pytest.approx(expected)
    assert row["long_context_requests"] == 1
    # no timestamps: no arrival pattern, so no DIY rows
    assert (table["platform_type"] != "diy_gpu").all()


def test_replica_needs_by_hand():
    # 100 tokens/s per replica = 6,000 tokens a minute. Minutes: 6,000, 12,001, 0 ... (61 min).
    tokens = np.zeros(61)
    tokens[0], tokens[1], tokens[60] = 6_000, 12_001, 6_000
    needs = trace_pricing.replica_needs(tokens, np.array([100.0]))
    assert needs["replicas_peak"][0] == 3
    assert needs["replicas_mean"][0] == pytest.approx((1 + 12_001 / 6_000 + 1) / 61)
    assert needs["replica_hours_peak_sized"][0] == pytest.approx(3 * 61 / 60)
    # first hour needs 3 replicas, the one-minute second window 1
    assert needs["replica_hours_autoscaled"][0] == pytest.approx(3 + 1 / 60)


@pytest.mark.slow
def test_diy_costs_follow_the_article_formula(tmp_path, snapshot, assumptions):
    trace = logs.read_trace(synthetic.write_synthetic_log(tmp_path / "l.parquet", requests=5_000))
    table = trace_pricing.price_trace(trace, snapshot, assumptions, diy_sizing="peak")
    diy = table[table["platform_type"] == "diy_gpu"]
    total = diy["total_tokens"].iloc[0]
    expected = formulas.gpu_cost_usd(
        total,
        diy["tokens_per_second"],
        diy["utilization_peak_sized"],
        diy["usd_per_gpu_hour"],
        gpus_per_replica=diy["gpus_per_replica"],
    )
    np.testing.assert_allclose(diy["cost_usd"], expected)
    np.testing.assert_allclose(
        diy["cost_usd"], diy["replica_hours"] * diy["gpus_per_replica"] * diy["usd_per_gpu_hour"]
    )
    assert (diy["cost_usd_autoscaled"] <= diy["cost_usd_peak_sized"] + 1e-9).all()
    assert (diy["replicas_mean"] <= diy["replicas_peak"]).all()


def test_format_detection_and_mapping_errors(tmp_path):
    assert logs.detect_format(write_lines(tmp_path / "a.txt", ["a,b", "1,2"])) == "csv"
    log = synthetic.write_synthetic_log(tmp_path / "s.parquet", requests=10)
    assert logs.detect_format(log) == "parquet"
    with pytest.raises(ValueError, match="empty"):
        logs.detect_format(write_lines(tmp_path / "e.csv", []))
    with pytest.raises(ValueError, match=r"no column 'input_tokens'.*did you mean 'input_token'"):
        logs.read_trace(write_lines(tmp_path / "m.csv", ["input_token,output_tokens", "1,2"]))
    mapped = logs.read_trace(
        write_lines(tmp_path / "m2.csv", ["when,prompt,completion", "1746057600,10,2"]),
        mapping=logs.ColumnMapping("prompt", "completion", timestamp="when", timestamp_unit="s"),
    )
    assert mapped.span()[0] == pd.Timestamp("2025-05-01")
    with pytest.raises(ValueError, match="timestamp_unit"):
        logs.ColumnMapping(timestamp_unit="minutes")


@pytest.mark.slow
def test_cli_prices_a_log_as_csv(tmp_path, capsys):
    log = synthetic.write_synthetic_log(tmp_path / "l.parquet", requests=1_000)
    status, out, err = run(capsys, "trace", str(log), "--as-of", AS_OF, "--format", "csv")
    assert status == 0, err
    table = pd.read_csv(io.StringIO(out))
    for column in ("platform_type", "provider", "model", "gpu", "requests", "input_tokens",
                   "output_tokens", "cost_usd", "replicas_peak", "utilization"):  # fmt: skip
        assert column in table.columns
    assert (table["requests"] == 1_000).all()
    assert set(table["platform_type"]) == {"proprietary_api", "managed_api", "diy_gpu"}
    status, out, _ = run(capsys, "trace", str(log), "--as-of", AS_OF)
    assert status == 0 and "1,000 requests" in out


@pytest.mark.slow
def test_cli_bad_rows_exit_1_and_drop(tmp_path, capsys):
    path = write_lines(tmp_path / "log.csv", BAD_CSV)
    status, out, err = run(capsys, "trace", str(path), "--as-of", AS_OF, "--format", "csv")
    assert status == cli.EXIT_DATA and out == ""
    assert "6 bad row(s)" in err and "--drop-bad-rows" in err and str(path) in err
    status, out, err = run(
        capsys, "trace", str(path), "--as-of", AS_OF, "--format", "csv", "--drop-bad-rows"
    )
    assert status == 0
    assert "dropped 6 bad row(s)" in err
    assert (pd.read_csv(io.StringIO(out))["requests"] == 2).all()


@pytest.mark.slow
def test_cli_usage_errors_exit_2(tmp_path, capsys):
    status, _, err = run(capsys, "trace", str(tmp_path / "nope.csv"), "--as-of", AS_OF)
    assert status == cli.EXIT_USAGE and "not found" in err
    log = write_lines(tmp_path / "log.csv", ["input_tokens,output_tokens", "1,2"])
    status, _, err = run(capsys, "trace", str(log), "--trace-format", "xml")
    assert status == cli.EXIT_USAGE and "invalid choice" in err
    status, _, err = run(capsys, "trace", str(log), "--as-of", AS_OF, "--trace-format", "azure")
    assert status == cli.EXIT_USAGE and "ContextTokens" in err
    status, _, err = run(capsys, "trace", str(log), "--as-of", "31/05/2025")
    assert status == cli.EXIT_USAGE and "YYYY-MM-DD" in err


@pytest.mark.slow
def test_a_synthetic_log_fits_the_128k_window_of_the_models_it_is_compared_on():
    # A recorded log never holds a request its model refused: the synthetic one keeps every
    # request within a 131,072-token window, so no 70B-class API (Together's and Fireworks'
    # Llama 3.x 70B: 131,072 tokens) is left out of the request-log page for it.
    trace = logs.read_trace(synthetic.synthetic_log_path(requests=20_000))
    longest_in, longest_out = trace.engine.rows(
        "SELECT max(input_tokens), max(output_tokens) FROM shape"
    )[0]
    assert 32_000 < longest_in <= synthetic.LONGEST_PROMPT_TOKENS  # long prompts remain
    assert longest_in + longest_out <= 131_072
    unpriced = trace_pricing.api_unpriced(trace, prices.as_of(AS_OF))
    over = unpriced[unpriced["reason"].str.contains("context window")]
    assert not over["model"].str.contains(r"Llama 3\.[13] 70B").any(), over.to_string()
    # Models whose windows are shorter still are left out, with the count that does not fit.
    replicate = over[over["offering_id"] == "replicate/meta/meta-llama-3-70b-instruct"]
    assert (
        replicate["reason"].str.contains("above its context window (8,192 input", regex=False).all()
    )


def test_a_new_format_is_one_registration(tmp_path, monkeypatch):
    # A format is a record in readers/logs/formats.py: its family, its columns and how its
    # first line is told apart; detection, the mapping and the row checks follow from it.
    usage = formats.LogFormat(
        "usage-export", "csv",
        columns={"input_tokens": "prompt_tokens", "output_tokens": "completion_tokens"},
        claims=lambda _, header: {"prompt_tokens", "completion_tokens"} <= header,
    )  # fmt: skip
    monkeypatch.setitem(formats.REGISTRY, usage.name, usage)
    log = tmp_path / "usage.csv"
    log.write_text("request_id,prompt_tokens,completion_tokens\na,100,10\nb,200,x\nc,300,30\n")
    with pytest.raises(logs.BadRowsError, match=r"usage.csv:3: field .completion_tokens. = .x."):
        logs.read_trace(log)  # the row checks apply as to every CSV format
    with logs.read_trace(log, drop_bad_rows=True) as trace:
        assert trace.fmt == "usage-export"
        summary = trace.summary().iloc[0]
        assert (summary["requests"], summary["input_tokens"], summary["output_tokens"]) == (
            2,
            400,
            40,
        )
    assert logs.read_trace(TRACES / "azure2023_code.csv").fmt == "azure"  # others unchanged
