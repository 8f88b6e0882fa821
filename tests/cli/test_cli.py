"""The ``infermodel`` command: output formats, options that change numbers, and bad input.

Most tests call :func:`infermodel.cli.main` in-process (fast); one runs the real entry point
in a subprocess.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import run

from infermodel import cli
from infermodel.pricing import compare

AS_OF = ["--as-of", "2025-05-31"]
KEY = [
    "platform_type",
    "provider",
    "model",
    "model_id",
    "gpu",
    "tier",
    "pricing",
    "serving_assumption",
]
REQUIRED_COLUMNS = [
    "platform_type",
    "provider",
    "model",
    "gpu",
    "tokens_per_second",
    "utilization",
    "cost_usd",
    "usd_per_million_tokens",
]


def csv_table(capsys, *options: str) -> pd.DataFrame:
    status, out, err = run(capsys, "table", *AS_OF, "--format", "csv", *options)
    assert status == 0, err
    assert err == ""
    return pd.read_csv(io.StringIO(out))


def keyed_costs(table: pd.DataFrame) -> pd.Series:
    key = table[KEY].fillna("").astype(str).agg(" | ".join, axis=1)
    costs = pd.Series(table["cost_usd"].to_numpy(), index=key)
    assert costs.index.is_unique
    return costs.sort_index()


@pytest.fixture(scope="module")
def default_csv() -> pd.DataFrame:
    # Module-scoped: run once through main() and keep the parsed table (read-only).
    buffer = io.StringIO()
    stdout, sys.stdout = sys.stdout, buffer
    try:
        assert cli.main(["table", *AS_OF, "--format", "csv"]) == 0
    finally:
        sys.stdout = stdout
    return pd.read_csv(io.StringIO(buffer.getvalue()))


def runpod_h100(table: pd.DataFrame, assumption: str) -> pd.Series:
    rows = table[
        (table["provider"] == "RunPod")
        & (table["gpu"] == "H100-PCIe-80GB")
        & (table["tier"] == "community_cloud")
        & (table["serving_assumption"] == assumption)
    ]
    assert len(rows) == 1
    return rows.iloc[0]


def api(table: pd.DataFrame, model_id: str) -> pd.Series:
    rows = table[table["model_id"] == model_id]
    assert len(rows) == 1
    return rows.iloc[0]


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_csv_has_the_comparison_columns(default_csv):
    assert set(REQUIRED_COLUMNS) <= set(default_csv.columns)
    assert list(default_csv.columns) == compare.COLUMNS


def test_csv_api_rows_leave_gpu_columns_empty(default_csv):
    api_rows = default_csv[default_csv["platform_type"].isin(["proprietary_api", "managed_api"])]
    diy_rows = default_csv[default_csv["platform_type"] == "diy_gpu"]
    assert len(api_rows) > 0 and len(diy_rows) > 0
    assert api_rows["gpu"].isna().all()
    assert api_rows["tokens_per_second"].isna().all()
    assert api_rows["utilization"].isna().all()
    assert diy_rows["gpu"].notna().all()
    assert diy_rows["tokens_per_second"].notna().all()


def test_csv_reproduces_the_articles_numbers(default_csv):
    # 20M tokens / (1M tok/h x 0.8) x 1.99 USD/h; GPT-4o 20M output x 10 USD/Mtok.
    assert runpod_h100(default_csv, "article-batch-1m")["cost_usd"] == pytest.approx(49.75)
    assert runpod_h100(default_csv, "article-batch-2m")["cost_usd"] == pytest.approx(24.875)
    assert api(default_csv, "gpt-4o")["cost_usd"] == pytest.approx(200.0)
    assert (default_csv["observed_on"].str.fullmatch(r"\d{4}-\d{2}-\d{2}")).all()


@pytest.mark.slow
def test_halving_utilization_doubles_diy_costs(capsys, default_csv):
    half = csv_table(capsys, "--utilization", "0.4")
    is_diy = default_csv["platform_type"] == "diy_gpu"
    before = keyed_costs(default_csv[is_diy])
    after = keyed_costs(half[half["platform_type"] == "diy_gpu"])
    pd.testing.assert_index_equal(before.index, after.index)
    pd.testing.assert_series_equal(after, 2 * before, rtol=1e-9)
    pd.testing.assert_series_equal(
        keyed_costs(half[half["platform_type"] != "diy_gpu"]),
        keyed_costs(default_csv[~is_diy]),
    )
    assert (half.loc[half["platform_type"] == "diy_gpu", "utilization"] == 0.4).all()


@pytest.mark.slow
def test_halving_tokens_halves_every_cost(capsys, default_csv):
    half = csv_table(capsys, "--total-tokens", "10000000")
    before, after = keyed_costs(default_csv), keyed_costs(half)
    pd.testing.assert_index_equal(before.index, after.index)
    pd.testing.assert_series_equal(after, before / 2, rtol=1e-9)
    # The price per token does not depend on the job size.
    pd.testing.assert_series_equal(
        half.set_index(KEY)["usd_per_million_tokens"].sort_index(),
        default_csv.set_index(KEY)["usd_per_million_tokens"].sort_index(),
        rtol=1e-9,
    )


@pytest.mark.slow
def test_output_share_prices_input_tokens(capsys, default_csv):
    half = csv_table(capsys, "--output-share", "0.5")
    # GPT-4o: 10M input x 2.5 + 10M output x 10 = 125 USD.
    assert api(half, "gpt-4o")["cost_usd"] == pytest.approx(125.0)
    assert api(half, "gpt-4o")["input_tokens"] == 10_000_000
    # DIY time follows all tokens (the article's formula): unchanged.
    assert runpod_h100(half, "article-batch-1m")["cost_usd"] == pytest.approx(49.75)


@pytest.mark.slow
def test_throughput_override(capsys):
    table = csv_table(capsys, "--throughput", "60")
    diy = table[table["platform_type"] == "diy_gpu"]
    assert (diy["tokens_per_second"] == 60).all()
    # 20e6 / (60 x 0.8 x 3600) x 1.99 = 230.324 USD for every assumption on RunPod H100.
    assert runpod_h100(table, "article-batch-1m")["cost_usd"] == pytest.approx(230.324, abs=1e-3)


@pytest.mark.slow
def test_provider_filter_is_case_insensitive(capsys):
    table = csv_table(capsys, "--provider", "openai", "--provider", "RUNPOD")
    assert set(table["provider"]) == {"OpenAI", "RunPod"}


@pytest.mark.slow
def test_format_table(capsys, monkeypatch):
    # At 120 columns no label is cut (at the default 80, "H100 PCIe 80GB" is "H100 PCIe…",
    # where rows do not differ: tests/cli/test_terminal.py).
    monkeypatch.setenv("COLUMNS", "120")
    status, out, err = run(capsys, "table", *AS_OF, "--format", "table")
    assert status == 0, err
    assert out.startswith("Prices as of 2025-05-31; 20,000,000 tokens (100% output)")
    assert "RunPod" in out and "GPT-4o" in out and "H100 PCIe 80GB" in out  # SKUs in words
    assert "Warning" not in out  # no observation is older than 120 days on 2025-05-31


@pytest.mark.slow
def test_format_json(capsys, default_csv):
    status, out, err = run(capsys, "table", *AS_OF, "--format", "json")
    assert status == 0, err
    records = json.loads(out)
    assert len(records) == len(default_csv)
    assert set(records[0]) == set(compare.COLUMNS)
    gpt4o = next(r for r in records if r["model_id"] == "gpt-4o")
    assert gpt4o["cost_usd"] == pytest.approx(200.0)
    assert gpt4o["gpu"] is None and gpt4o["tokens_per_second"] is None


@pytest.mark.slow
def test_validate(capsys):
    status, out, err = run(capsys, "validate")
    assert status == 0, err
    assert out.startswith("ok")
    for table in ("api_prices", "gpu_prices", "gpu_specs", "serving_assumptions"):
        assert table in out


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("infermodel ")


@pytest.mark.slow
def test_real_entry_point(tmp_path):
    # Run from an unrelated folder: the kit finds its data without the working directory.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "infermodel.cli",
            "table",
            "--as-of",
            "2025-05-31",
            "--format",
            "csv",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    table = pd.read_csv(io.StringIO(result.stdout))
    assert set(REQUIRED_COLUMNS) <= set(table.columns)
    assert runpod_h100(table, "article-realtime-60")["cost_usd"] == pytest.approx(230.324, abs=1e-3)


# --------------------------------------------------------------------------------------
# Bad input: exit status 2, one line on stderr naming what is wrong
# --------------------------------------------------------------------------------------

BAD_INPUT = {
    "impossible month": (["table", "--as-of", "2025-13-01"], "2025-13-01"),
    "date with no prices": (["table", "--as-of", "2020-01-01"], "2020-01-01"),
    "not a date": (["table", "--as-of", "banana"], "banana"),
    "unknown provider": (["table", *AS_OF, "--provider", "nosuch"], "nosuch"),
    "utilization 0": (["table", *AS_OF, "--utilization", "0"], "--utilization"),
    "utilization 1.5": (["table", *AS_OF, "--utilization", "1.5"], "--utilization"),
    "utilization not a number": (["table", *AS_OF, "--utilization", "high"], "--utilization"),
    "zero tokens": (["table", *AS_OF, "--total-tokens", "0"], "--total-tokens"),
    "negative tokens": (["table", *AS_OF, "--total-tokens", "-5"], "--total-tokens"),
    "throughput 0": (["table", *AS_OF, "--throughput", "0"], "--throughput"),
    "output share 1.5": (["table", *AS_OF, "--output-share", "1.5"], "--output-share"),
    "unknown option": (["table", *AS_OF, "--bogus-option"], "--bogus-option"),
    "unknown serving assumption": (["table", *AS_OF, "--serving", "nosuch"], "nosuch"),
    "unknown format": (["table", *AS_OF, "--format", "xlsx"], "xlsx"),
    "unknown subcommand": (["nosuchcommand"], "nosuchcommand"),
    "no subcommand": ([], "command"),
    "nothing to price": (
        ["table", *AS_OF, "--provider", "RunPod", "--platform-type", "managed_api"],
        "nothing to price",
    ),
}


@pytest.mark.parametrize("argv, mentioned", BAD_INPUT.values(), ids=BAD_INPUT.keys())
@pytest.mark.slow
def test_bad_input_exits_2_with_one_line(capsys, argv, mentioned):
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("infermodel: error: ")
    assert mentioned in lines[0]


@pytest.mark.slow
def test_bad_value_is_quoted_back(capsys):
    _, _, err = run(capsys, "table", *AS_OF, "--utilization", "1.5")
    assert "got 1.5" in err
    _, _, err = run(capsys, "table", *AS_OF, "--provider", "nosuch")
    assert "OpenAI" in err  # lists the valid providers


@pytest.mark.parametrize("value", ["inf", "nan"])
def test_non_finite_throughput_is_refused(capsys, value):
    # An infinite throughput would price every DIY row at 0 USD (and the multiple of the
    # cheapest row becomes NaN); it must be refused like 0 is.
    status, out, err = run(capsys, "table", *AS_OF, "--throughput", value, "--format", "csv")
    assert status == 2, out[:500]
    assert "--throughput" in err


# --- break-even ----------------------------------------------------------------------------


@pytest.mark.slow
def test_break_even_csv_has_one_row_per_api_and_diy_pair(capsys):
    status, out, err = run(capsys, "break-even", *AS_OF, "--format", "csv")
    assert status == 0, err
    even = pd.read_csv(io.StringIO(out))
    table = csv_table(capsys)
    api = (table["platform_type"] != "diy_gpu").sum()
    diy = (table["platform_type"] == "diy_gpu").sum()
    assert len(even) == api * diy
    for column in [
        "api_offering",
        "diy_offering",
        "break_even_million_tokens_per_month",
        "utilization",
        "tokens_per_second",
        "usd_per_gpu_hour",
        "billing",
        "min_replicas",
        "fixed_usd_per_month",
        "output_share",
        "reason",
    ]:
        assert column in even.columns
    never = even["break_even_million_tokens_per_month"].isna()
    assert never.any() and (~never).any()
    assert even.loc[never, "reason"].str.len().gt(0).all()
    # Empty in the CSV text when there is no break-even, never a made-up number.
    first_never = out.splitlines()[1 + int(np.flatnonzero(never.to_numpy())[0])]
    assert ",,," in first_never


@pytest.mark.slow
def test_break_even_options_change_the_numbers(capsys):
    def volumes(*options):
        status, out, err = run(capsys, "break-even", *AS_OF, "--format", "csv", *options)
        assert status == 0, err
        return pd.read_csv(io.StringIO(out))["break_even_million_tokens_per_month"]

    base = volumes()
    with_fixed = volumes("--fixed-usd-per-month", "5000")
    both = base.notna() & with_fixed.notna()
    assert (with_fixed[both] > base[both]).all()
    scaled = volumes("--billing", "per_hour", "--min-replicas", "0")
    assert scaled.notna().sum() >= base.notna().sum()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--min-replicas", "-1"], "--min-replicas must be a whole number >= 0"),
        (
            ["--fixed-usd-per-month", "-10"],
            r"--fixed-usd-per-month must be a number in \[0, 1e\+09\]",
        ),
        (["--billing", "monthly"], "invalid choice: 'monthly'"),
        (["--max-replicas", "0"], "--max-replicas must be a whole number >= 1"),
        (["--utilization", "1.5"], r"--utilization must be a number in \(0, 1\]"),
    ],
)
def test_break_even_bad_options_exit_2_naming_the_option(capsys, options, message):
    status, out, err = run(capsys, "break-even", *AS_OF, *options)
    assert status == 2
    assert out == ""
    assert re.search(message, err), err
