"""``--format table`` for people: fits the terminal, words not ids, chosen columns, top N."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import TEST_DATA

from infermodel import cli
from infermodel.cli import terminal

TRACE = TEST_DATA / "traces" / "azure2023_code.csv"
COMMANDS = {
    "table": ["table", "--as-of", "2025-05-31", "--serving", "all"],
    "break-even": ["break-even", "--as-of", "2025-05-31"],
    "trace": ["trace", str(TRACE), "--as-of", "2025-05-31", "--serving", "all"],
}


def run(capsys, argv, columns, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(columns))
    status = cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("columns", [60, 100, 120, 160])
@pytest.mark.slow
def test_every_line_fits_the_terminal(capsys, monkeypatch, command, columns):
    status, out, _ = run(capsys, COMMANDS[command], columns, monkeypatch)
    assert status == 0
    lines = out.splitlines()
    assert len(lines) > 3
    assert max(len(line) for line in lines) <= columns
    for bad in ("nan", "NaN", "<NA>", "None", "$-", "e+0", "_cloud", "article-batch"):
        assert bad not in out, bad


@pytest.mark.slow
def test_the_table_names_offerings_in_words_under_their_platform(capsys, monkeypatch):
    _, out, _ = run(capsys, COMMANDS["table"], 120, monkeypatch)
    lines = out.splitlines()
    assert "Proprietary API" in lines and "DIY GPU rental" in lines
    assert any("OpenAI · GPT-4o" in line and "$200.00" in line for line in lines)
    assert any("RunPod · H100 PCIe 80GB, community" in line for line in lines)


@pytest.mark.parametrize("columns", [100, 120])
@pytest.mark.slow
def test_a_cut_keeps_what_tells_rows_apart_and_names_the_model_on_a_gpu(
    capsys, monkeypatch, columns
):
    # Every rented-GPU row names the model its GPUs serve, its precision and GPUs per replica
    # and its rate; two different rows never print the same words, however the labels are cut.
    _, out, _ = run(capsys, COMMANDS["table"], columns, monkeypatch)
    lines = out.splitlines()
    start = lines.index("DIY GPU rental")
    diy = [line for line in lines[start + 1 :] if line.startswith("  ")]
    assert len(diy) > 40
    assert all(("Llama" in line or "Qwen3" in line) and "\u00d7" in line for line in diy)
    assert all(("batch" in line or "real time" in line) for line in diy)
    texts = [line.split("   $")[0].rstrip() for line in diy]  # the words before the costs
    assert len(set(texts)) == len(texts), "two rows read the same"
    assert "8-GPU node" in out and "community" in out and "secure" in out  # tiers kept


def test_a_column_of_labels_is_cut_where_rows_do_not_differ():
    labels = [
        "RunPod · H100 SXM 80GB, community · Batch, 2M tok/h (article, high)",
        "RunPod · H100 SXM 80GB, community · Batch, 1M tok/h (article, low)",
        "RunPod · H100 SXM 80GB, secure · Batch, 2M tok/h (article, high)",
    ]
    cut = terminal.fit_column(labels, 40)
    assert max(map(len, cut)) <= 40 and len(set(cut)) == 3
    # Cut at the end, two of these would read alike.
    assert len({label[:39] for label in labels}) == 2


@pytest.mark.slow
def test_top_keeps_the_cheapest_rows_of_each_platform_type(capsys, monkeypatch):
    _, out, _ = run(capsys, [*COMMANDS["table"], "--top", "2"], 120, monkeypatch)
    lines = out.splitlines()
    start = lines.index("Proprietary API")
    assert lines[start + 1].lstrip().startswith("Google · Gemini 2.0 Flash")
    assert lines[start + 3] == "Managed open-model API"
    assert any("more row(s) not shown" in line for line in lines[-2:])


@pytest.mark.slow
def test_columns_choose_what_is_shown(capsys, monkeypatch):
    argv = [*COMMANDS["table"], "--columns", "offering", "gpu_hours", "confidence"]
    _, out, _ = run(capsys, argv, 120, monkeypatch)
    header = out.splitlines()[1]
    assert "GPU-hours" in header or "GPU hours" in header
    assert "Cost" not in header


@pytest.mark.slow
def test_an_unknown_column_is_one_line_naming_it(capsys, monkeypatch):
    status, _, err = run(capsys, [*COMMANDS["table"], "--columns", "cots_usd"], 100, monkeypatch)
    assert status == cli.EXIT_USAGE
    assert err.count("\n") == 1 and "did you mean 'cost_usd'" in err


def test_a_narrow_terminal_leaves_columns_out_and_says_which():
    frame = pd.DataFrame(
        {
            "offering": ["A very long offering name that cannot fit in a narrow terminal"],
            "cost_usd": [1234.5],
            "usd_per_million_tokens": [0.88],
            "observed_on": [pd.Timestamp("2025-05-31")],
        }
    )
    text = terminal.render(frame, limit=40)
    assert max(len(line) for line in text.splitlines()) <= 40
    assert "columns left out to fit 40 characters" in text
    assert "$1,234" in text and "\u2026" in text
