"""Shipped tables read as a person edits them: every row checked, every line named right.

Issue 23: a hand-added per-thousand price passed ``validate`` (the importer's rule was not
applied to the table itself), and after a blank line every problem was reported one line
early.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from infermodel import cli
from infermodel.errors import TableError
from infermodel.tables import registry

API = Path("prices") / "api_prices.csv"


def append_row(tmp_data: Path, row: str) -> int:
    """Append ``row`` to the copy's api_prices.csv; return its line number."""
    path = tmp_data / API
    text = path.read_text()
    path.write_text(text + row + "\n")
    return text.count("\n") + 1


def gpt4o_row(day: str, input_price: str, output_price: str, note: str = "typed by hand") -> str:
    return (
        f"proprietary_api,OpenAI,GPT-4o,gpt-4o,{input_price},{output_price},1.25,,,0.5,,,,"
        f"{day},confirmed,https://openai.com/api/pricing,{note}"
    )


@pytest.mark.slow
def test_validate_refuses_a_hand_added_per_thousand_price(tmp_data, capsys):
    # GPT-4o's newest observation (2026-12-01, line 153) is 2.5 / 10 USD per million tokens;
    # the row below was typed per thousand tokens: 0.0025 / 0.01.
    line = append_row(tmp_data, gpt4o_row("2026-12-03", "0.0025", "0.01"))
    with pytest.raises(TableError) as caught:
        registry.validate_all(tmp_data)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (line, "usd_per_million_input_tokens")
    text = str(problem)
    assert "input_tokens 2.5 -> 0.0025 USD/Mtok (x0.001, more than 10x down; below 0.01" in text
    assert "output_tokens 10 -> 0.01 USD/Mtok (x0.001" in text
    assert "against the observation of 2026-12-01 (line 153)" in text
    assert "add 'change accepted: <why>' to its note" in text


@pytest.mark.slow
def test_a_checked_implausible_price_passes_when_its_note_says_so(tmp_data):
    note = '"change accepted: 10x up, on the provider\'s page"'
    append_row(tmp_data, gpt4o_row("2026-12-03", "25", "100", note))
    registry.validate_all(tmp_data)


@pytest.mark.slow
def test_a_problem_after_a_blank_line_names_its_own_line(tmp_data):
    path = tmp_data / API
    lines = path.read_text().splitlines(keepends=True)
    lines.insert(3, "\n")  # a blank line after line 3
    lines[5] = lines[5].replace(",confirmed,", ",sure,", 1)  # line 6 of the file now
    path.write_text("".join(lines))
    with pytest.raises(TableError) as caught:
        registry.validate_all(tmp_data)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field, problem.value) == (6, "confidence", "sure")


@pytest.mark.slow
def test_cli_validate_names_the_line(tmp_data, capsys, monkeypatch):
    line = append_row(tmp_data, gpt4o_row("2026-12-03", "0.0025", "0.01"))
    monkeypatch.setattr(
        registry, "validate_all", functools.partial(registry.validate_all, tmp_data)
    )
    status = cli.main(["validate"])
    err = capsys.readouterr().err
    assert status == 1
    assert f"api_prices.csv:{line}: field 'usd_per_million_input_tokens' = 0.0025" in err


@pytest.mark.slow
def test_a_header_naming_a_column_twice_is_one_problem(tmp_data):
    # Hostile input 71: pandas read the second as 'model_id.1' and every row then broke the
    # schema: 1,177 problems for one slip in the header.
    path = tmp_data / API
    path.write_text(path.read_text().replace("model_id,", "model_id,model_id,", 1))
    with pytest.raises(TableError) as caught:
        registry.validate_all(tmp_data)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:1: field 'model_id': the header names this column twice; each column once"
    ]


@pytest.mark.slow
def test_a_byte_that_is_not_utf8_is_named_where_it_is(tmp_data):
    # Hostile input 16: "not UTF-8 text (byte 0)", wherever the byte was.
    path = tmp_data / "gpu_specs.csv"
    text = path.read_bytes()
    path.write_bytes(text + b"\xe9")
    with pytest.raises(TableError) as caught:
        registry.validate_all(tmp_data)
    (problem,) = caught.value.problems
    assert problem.line == text.count(b"\n") + 1
    assert problem.rule == f"not UTF-8 text (byte {len(text):,}: b'\\xe9'); save it as UTF-8"
