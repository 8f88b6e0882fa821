"""The bill as people read it: the answer's sentences, ``infermodel bill``, and the bill page
of the quarterly report (run only when a bill is given, its parameters checked first).

Figures are those of ``tests/data/bills/real_openai_anthropic.csv``, worked out by hand in
tests/pricing/test_bills.py.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import pandas as pd
import papermill
import pytest
from helpers import TEST_DATA, one_line, run

from infermodel import cli, display, narrative, paths, tables
from infermodel.errors import ParameterError, ReportError
from infermodel.pricing import bill_pricing, reconcile
from infermodel.readers import focus
from infermodel.reports import manifest
from infermodel.tables import serving

#: Left out of make check: each bill is priced on every offering and period (seconds).
pytestmark = pytest.mark.slow

DATA = TEST_DATA / "bills"
REAL = DATA / "real_openai_anthropic.csv"
SOLORA = DATA / "focus" / "per_token_foundation_model_api.csv"


def edited(tmp_path: Path, line: int, cells: dict) -> Path:
    with REAL.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[line - 2].update(cells)
    path = tmp_path / "bill.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def answer() -> list[str]:
    bill = focus.read_bill(REAL)
    prices_on = reconcile.shipped_prices()
    reconciled = reconcile.reconcile(bill, prices_on=prices_on)
    assumptions = serving.select(tables.load_serving(), ["article-batch-2m"])
    by_model = bill_pricing.reprice(bill, assumptions, by_model=True, prices_on=prices_on).table
    alternatives = bill_pricing.like_for_like(by_model, tables.load_api_prices())
    labels = display.label_map(by_model)
    return narrative.bill_answer(reconciled, alternatives, offering_labels=labels)


@pytest.fixture
def no_kernel(monkeypatch):
    def refuse(*_, **__):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(papermill, "execute_notebook", refuse)


# --------------------------------------------------------------------------------------
# The answer, first sentence first
# --------------------------------------------------------------------------------------


def test_the_answer_states_the_bill_the_alternative_and_the_lines_above_list(answer):
    # 759.90 billed for 374M tokens (tests/pricing/test_bills.py).
    assert answer[0] == (
        "This quarter's bill: $759.90 for 374 million tokens across 3 models from OpenAI, "
        "Anthropic and Together AI (16 lines of AI token usage in 2 charge periods)."
    )
    # Real-time traffic is never moved to a batch throughput (the only assumption here): the
    # other seller of Llama (Fireworks, 118.80) costs more than the 116.40 billed, and GPT-4o
    # and Claude have no other seller, so the best is what was billed, 759.90.
    assert answer[1] == (
        "The same tokens would have cost $759.90 on the cheapest like-for-like alternatives: "
        "Llama 3.3 70B Instruct Turbo cost more at every other seller and GPT-4o and Claude "
        "Sonnet 4.5 have no other seller in the price data, so stay at what was billed."
    )
    assert "$98.17" not in " ".join(answer)
    assert answer[2].startswith(
        "At the kit's list prices these 16 lines come to $772.16 against $759.90 billed: 14 at "
        "list and 1 at a negotiated discount ($12.50 below list); 1 line is billed above list, "
        "line 18"
    )
    assert answer[2].endswith("by $0.24.")
    assert answer[3] == (
        "3 lines outside AI token usage are listed, not re-priced: tax $12.00, credit "
        "\u2212$25.00 and other service (Storage) $3.00; the whole bill is $749.90."
    )


def test_an_unmapped_bill_says_what_it_cannot_compare():
    bill = focus.read_bill(SOLORA)
    reconciled = reconcile.reconcile(bill)
    assumptions = serving.select(tables.load_serving(), ["article-batch-2m"])
    by_model = bill_pricing.reprice(bill, assumptions, by_model=True).table
    alternatives = bill_pricing.like_for_like(by_model, tables.load_api_prices())
    lines = narrative.bill_answer(reconciled, alternatives, opening="This bill")
    assert lines[0].startswith("This bill: $94.50 for 10 million tokens across 1 model from")
    assert "solora-saturn-4.8 is no model the price data tracks" in lines[1]
    assert lines[2].startswith("2 lines ($94.50 billed) could not be compared with a list price")
    assert "no tracked offering of provider 'Solora AI'" in lines[2]
    assert lines[-1] == "Every line of the bill is AI token usage."


# --------------------------------------------------------------------------------------
# infermodel bill
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def printed() -> dict[str, tuple[int, str, str]]:
    """``infermodel bill`` on the real bill, run once per way of printing it."""
    outputs = {}
    for name, argv in {
        "csv": ["--format", "csv"],
        "json": ["--reconcile", "--format", "json"],
        "reconcile": ["--reconcile"],
        "people": ["--top", "1"],
    }.items():
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main(["bill", str(REAL), *argv])
        outputs[name] = (status, out.getvalue(), err.getvalue())
    return outputs


def test_bill_csv_one_row_per_period_and_offering(printed):
    status, out, err = printed["csv"]
    assert status == 0
    table = pd.read_csv(io.StringIO(out))
    assert set(table["charge_period_start"]) == {"2026-07-01", "2026-08-01"}
    gpt = table[(table["offering_id"] == "openai/gpt-4o")].set_index("charge_period_start")
    assert gpt.loc["2026-07-01", "cost_usd"] == pytest.approx(527.50)  # tests/pricing/test_bills.py
    assert gpt.loc["2026-08-01", "billed_usd"] == pytest.approx(403.10)
    assert "3 line(s) of real_openai_anthropic.csv out of scope, not re-priced" in err
    assert "x_Project" in err


def test_bill_reconcile_json_and_table(printed):
    status, out, _ = printed["json"]
    assert status == 0
    lines = pd.DataFrame(json.loads(out)).set_index("line")
    assert lines.loc[18, "reason"] == "billed above list"
    assert lines.loc[18, "difference_usd"] == pytest.approx(0.24)
    status, out, _ = printed["reconcile"]
    assert status == 0 and "Totals:" in out and "the whole bill" in out
    assert "negotiated discount" in out


def test_bill_for_people_opens_with_the_answer(printed):
    status, out, _ = printed["people"]
    assert status == 0
    assert out.index("- This bill: $759.90") < out.index("Charge period 2026-07-01")


@pytest.mark.parametrize(
    ("cells", "argv", "status", "message"),
    [
        ({"BillingCurrency": "EUR"}, [], 1, "costs in USD, EUR (first EUR line: 5)"),
        ({"ConsumedQuantity": "-1"}, [], 1, "bill.csv:5: field 'ConsumedQuantity' = -1"),
        ({"ConsumedUnit": "Token-Hours"}, [], 1, "a unit the kit does not price"),
        ({}, ["--usd-per", "EUR"], 2, "give the rate as CUR=RATE"),
        ({}, ["--usd-per", "EURO=1.1"], 2, "'EURO' is not a currency code"),
        ({}, ["--usd-per", "EUR=0"], 2, "--usd-per['EUR'] must be a number in (0, 10000]"),
        ({}, ["--reconcile", "--top", "3"], 2, "--top applies to the re-priced table"),
    ],
)
def test_bad_bills_and_options_are_one_line(capsys, tmp_path, cells, argv, status, message):
    path = edited(tmp_path, 5, cells)
    code, out, err = run(capsys, "bill", str(path), *argv)
    assert (code, out) == (status, "")
    assert message in one_line(err)


def test_a_converted_bill_and_dropped_lines(capsys, tmp_path):
    path = edited(tmp_path, 5, {"BillingCurrency": "EUR"})
    argv = ["--usd-per", "EUR=1.1", "--reconcile", "--format", "csv"]
    status, out, _ = run(capsys, "bill", str(path), *argv)
    assert status == 0
    line = pd.read_csv(io.StringIO(out)).set_index("line").loc[5]
    # Line 5: 60.00 EUR at 1.1 USD/EUR = 66.00 USD billed, against 20M x 3 = 60.00 at list.
    assert line["billed_cost_usd"] == pytest.approx(66.0)
    assert line["usd_per_unit_of_currency"] == 1.1 and line["reason"] == "billed above list"
    path = edited(tmp_path, 5, {"ConsumedQuantity": "-1"})
    status, out, err = run(capsys, "bill", str(path), "--drop-bad-lines", "--format", "csv")
    assert status == 0 and "dropped 1 line(s) whose tokens cannot be counted" in err


def test_a_mapping_of_ones_own(capsys, tmp_path):
    mapping = tmp_path / "models.csv"
    mapping.write_text(
        "provider,billed_model,offering_id,checked_on,source_url,note\n"
        "Solora AI,solora-saturn-4.8,openai/gpt-4o,2025-05-31,https://example.com,a test\n"
    )
    status, out, _ = run(
        capsys, "bill", str(SOLORA), "--reconcile", "--models", str(mapping), "--format", "csv"
    )
    assert status == 0
    lines = pd.read_csv(io.StringIO(out))
    # May 2025 GPT-4o: 8.4M input x 2.50 = 21.00; 2.1M output x 10 = 21.00 USD, against 42.00
    # and 52.50 billed (Solora's own list prices, 5 and 25): billed above list.
    assert list(lines["recomputed_list_usd"]) == [21.0, 21.0]
    assert set(lines["reason"]) == {"billed above list"}


# --------------------------------------------------------------------------------------
# The bill page of the quarterly report
# --------------------------------------------------------------------------------------


def quarterly(**overrides) -> list[str]:
    """The pages of the quarterly manifest's price-changes and bill entries that would run."""
    shipped = manifest.Manifest.load(paths.QUARTERLY_MANIFEST).notebooks
    kept = [run for run in shipped if run.name in ("price_changes", "bill")]
    runs = manifest.plan(
        manifest.Manifest("quarterly", kept),
        {"as_of": "2026-09-30", "previous_as_of": "2026-06-30", **overrides},
    )
    return [run.name for run in runs]


def test_the_bill_page_runs_only_when_a_bill_is_given():
    assert quarterly() == ["price_changes"]
    assert quarterly(bill_path=manifest.rules.Typed("")) == ["price_changes"]
    assert quarterly(bill_path=str(REAL)) == ["price_changes", "bill"]
    shipped = manifest.Manifest.load(paths.QUARTERLY_MANIFEST).notebooks
    assert [run.when for run in shipped if run.name == "bill"] == ["bill_path"]
    with pytest.raises(ParameterError, match=r"'usd_per' is for bill\.ipynb, which runs only"):
        quarterly(usd_per={"EUR": 1.1})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"bill_path": "no-such.csv"}, "bill.ipynb: parameter bill_path must be empty or an"),
        (
            {"bill_path": str(SOLORA)},
            "has no AI token usage priced after 2026-06-30 up to 2026-09-30",
        ),
        ({"bill_path": str(REAL), "usd_per": {"EUR": -1}}, "usd_per['EUR'] must be a number in"),
    ],
)
def test_a_bill_that_cannot_make_the_page_is_refused_before_any_kernel(overrides, message):
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace("[", r"\[")):
        quarterly(**overrides)


def test_the_cli_refuses_a_bad_bill_before_any_kernel(capsys, tmp_path, no_kernel):
    path = edited(tmp_path, 5, {"ConsumedQuantity": "-1"})
    status, _, err = run(
        capsys, "report", "--quarter", "2026Q3", "--out", str(tmp_path / "r"), "-p",
        f"bill_path={path}",
    )  # fmt: skip
    assert status == 2
    assert "bill.ipynb: parameter bill_path: " in one_line(err) and "--drop-bad-lines" in err
    assert not (tmp_path / "r").exists()


def test_a_when_that_names_no_parameter_is_refused(tmp_path):
    (tmp_path / "m.yml").write_text(
        f"notebooks:\n  - path: {paths.NOTEBOOKS_DIR / 'bill.ipynb'}\n    when: bill_file\n"
    )
    with pytest.raises(ReportError, match="runs it when 'bill_file' is given, a parameter it"):
        manifest.plan(manifest.Manifest.load(tmp_path / "m.yml"), {"bill_file": "x"})
    (tmp_path / "n.yml").write_text("notebooks:\n  - path: bill.ipynb\n    when: [a, b]\n")
    with pytest.raises(ReportError, match="when must name one parameter"):
        manifest.Manifest.load(tmp_path / "n.yml")
