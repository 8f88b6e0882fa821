"""The report runner: parameter checks before any kernel, all-or-nothing builds, run records."""

from __future__ import annotations

import datetime as dt
import json

import nbformat
import pytest

from infermodel import cli, errors, narrative, paths
from infermodel.reports import manifest, runner
from infermodel.reports.notebook import read_saved

ARTICLE = paths.NOTEBOOKS_DIR / "article_20m_table.ipynb"


def test_declared_parameters_are_read_from_the_parameters_cell():
    declared = manifest.notebook_parameters(ARTICLE)
    assert declared["as_of"]["inferred_type_name"] == "str"
    assert declared["utilization"]["inferred_type_name"] == "float"
    assert declared["total_tokens"]["inferred_type_name"] == "int"


def test_unknown_parameter_is_refused_with_the_valid_list():
    with pytest.raises(errors.ParameterError) as error:
        manifest.check_parameters(ARTICLE, {"utilisation": 0.5})
    message = str(error.value)
    assert "unknown parameter 'utilisation'" in message
    assert "utilization (float, default 0.8)" in message
    assert "as_of (str" in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("utilization", "high"),
        ("total_tokens", 2.5),
        ("use_batch_api", "yes"),
        ("serving_assumptions", "article-batch-1m"),
        ("as_of", 20250531),
    ],
)
def test_wrong_type_is_refused(name, value):
    with pytest.raises(errors.ParameterError, match=f"parameter '{name}' must be"):
        manifest.check_parameters(ARTICLE, {name: value})


def test_values_are_normalised():
    checked = manifest.check_parameters(ARTICLE, {"as_of": dt.date(2025, 5, 31), "utilization": 1})
    assert checked == {"as_of": "2025-05-31", "utilization": 1}


@pytest.mark.slow
def test_cli_refuses_a_typo_before_starting_a_kernel(capsys, tmp_path):
    status = cli.main(["report", "--out", str(tmp_path / "r"), "-p", "utilisation=0.5"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2
    assert len(err) == 1 and "unknown parameter 'utilisation'" in err[0]
    assert not (tmp_path / "r").exists()


def _notebook(path, *, fail: bool):
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell(
        'value: int = 1  # a number\ntables_dir: str = ""  # set by the runner'
    )
    parameters.metadata["tags"] = ["parameters"]
    body = (
        "raise RuntimeError('boom')"
        if fail
        else (
            "import pandas as pd\nfrom infermodel import reports\n"
            "reports.save_table(pd.DataFrame({'value': [value]}), 'values', tables_dir)"
        )
    )
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# test"),
        parameters,
        nbformat.v4.new_code_cell(body),
    ]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, path)
    return path


@pytest.mark.notebook
def test_a_failing_notebook_leaves_the_last_good_report_untouched(tmp_path):
    good = manifest.Manifest(
        "t", [manifest.NotebookRun(_notebook(tmp_path / "ok.ipynb", fail=False))]
    )
    out = tmp_path / "reports" / "r"
    runner.build_report(out, manifest=good, progress=lambda _: None)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    assert (out / "tables" / "values.csv").read_text().splitlines() == ["value", "1"]

    bad = manifest.Manifest(
        "t",
        [
            manifest.NotebookRun(tmp_path / "ok.ipynb", {"value": 2}),
            manifest.NotebookRun(_notebook(tmp_path / "bad.ipynb", fail=True)),
        ],
    )
    with pytest.raises(errors.ReportError) as error:
        runner.build_report(out, manifest=bad, progress=lambda _: None)
    message = str(error.value)
    assert "bad.ipynb failed in cell #3" in message and "RuntimeError: boom" in message
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert (out / "tables" / "values.csv").read_text().splitlines() == ["value", "1"]
    kept = list((out.parent / ".failed").iterdir())
    assert len(kept) == 1 and (kept[0] / "bad.ipynb").is_file()
    assert not [p for p in out.parent.iterdir() if ".building-" in p.name]


@pytest.mark.notebook
def test_default_report_builds_everything_it_promises(tmp_path):
    # The shipped manifest, every notebook, two at a time; smaller sizes where a notebook
    # takes them (what is checked here is what the report holds, not the figures).
    out = tmp_path / "report"
    small = {"draws": 20_000, "synthetic_requests": 2_000, "grid_points": 12, "volume_points": 40}
    runner.build_report(out, overrides=small, progress=lambda _: None)
    assert {
        "index.html",
        "run_record.json",
        "article_20m_table.html",
        "tables",
    } <= {p.name for p in out.iterdir()}
    # The executed notebooks carry the build machine's paths: not published.
    assert not list(out.glob("*.ipynb"))
    for published in out.rglob("*.*"):
        text = published.read_text(encoding="utf-8")
        assert str(paths.ROOT_DIR) not in text and str(tmp_path) not in text, published
    page = (out / "article_20m_table.html").read_text()
    assert "data:image/png;base64," in page  # figures embedded: readable offline
    assert "<script src=" not in page  # nothing fetched from a CDN
    assert "from infermodel import" not in page  # code hidden by default
    assert "Provenance" in page and "Reading" in page
    record = json.loads((out / "run_record.json").read_text())
    assert {"git_commit", "data_sha256", "packages", "notebooks", "started", "finished"} <= set(
        record
    )
    run = record["notebooks"][0]
    assert run["parameters"]["as_of"] == "2025-05-31" and run["seconds"] > 0
    assert "cost_table.csv" in run["tables"]
    assert "article_20m_table.html" in (out / "index.html").read_text()
    table = (out / "tables" / "cost_table.csv").read_text()
    assert "GPT-4o" in table and "article-realtime-60" in table
    assert_one_story(out, {"busy_hours", "always_on", "autoscaled"})


def assert_one_story(out, bases: set[str]) -> None:
    """No two answers of a built report disagree on who is cheaper without naming the basis
    that separates them (read from the claims each page saved beside its sentences, never
    from the English), and the index opens with the one verdict."""
    answers = [read_saved(p) for p in sorted((out / "tables").glob("*.answer.json"))]
    assert narrative.conflicts(answers) == []
    claims = [c for answer in answers for c in answer["claims"]]
    assert bases <= {c["basis"] for c in claims}
    index = (out / "index.html").read_text()
    verdict = narrative.verdict(claims)
    assert verdict and "The verdict:" in index
    assert index.index("The verdict:") < index.index("<h3>")  # before every page's answer


@pytest.mark.notebook
def test_the_quarterly_report_with_a_bill_tells_one_story(tmp_path):
    # The quarter of the shipped real bill (tests/data/bills), every notebook of the quarterly
    # manifest, small where a notebook takes it.
    small = {"draws": 2_000, "grid_points": 8, "volume_points": 20}
    bill = paths.ROOT_DIR / "tests" / "data" / "bills" / "real_openai_anthropic.csv"
    small["bill_path"] = str(bill)
    out = runner.build_quarterly(
        "2026Q3", out_dir=tmp_path / "2026Q3", overrides=small, progress=lambda _: None
    )
    assert_one_story(out, {"busy_hours", "always_on"})
    bill = read_saved(out / "tables" / "bill.answer.json")
    kept = [c for c in bill["claims"] if c["basis"] == "always_on"]
    assert kept and all(c["per"] == "bill" for c in kept)


def test_a_relative_file_parameter_is_read_from_the_working_directory(tmp_path, monkeypatch):
    from infermodel.cli import report as report_cli
    from infermodel.parameters import Typed

    bill = tmp_path / "exports" / "focus.csv"
    bill.parent.mkdir()
    bill.write_text("x\n")
    monkeypatch.chdir(tmp_path)
    given = {"bill_path": Typed("exports/focus.csv"), "as_of": Typed("2026-09-30")}
    read = report_cli.from_working_directory(given)
    assert read["bill_path"].text == str(bill) and read["as_of"].text == "2026-09-30"
    # An absolute path, and an empty one, stay as typed.
    assert report_cli.from_working_directory({"log_path": Typed(str(bill))})["log_path"].text == (
        str(bill)
    )
    assert report_cli.from_working_directory({"log_path": Typed("")})["log_path"].text == ""


@pytest.mark.slow
def test_the_cli_reads_a_relative_bill_path_from_where_it_is_typed(capsys, tmp_path, monkeypatch):
    # From a folder that is not notebooks/, a bill named relative to it is found; the
    # parameters are checked before any kernel starts (an as_of outside the bill's quarter
    # is refused by the bill's own rule, which proves the file was read).
    source = paths.ROOT_DIR / "tests" / "data" / "bills" / "real_openai_anthropic.csv"
    (tmp_path / "bill.csv").write_bytes(source.read_bytes())
    monkeypatch.chdir(tmp_path)
    out = str(tmp_path / "out")
    status = cli.main(["report", "--quarter", "2025Q2", "--out", out, "-p", "bill_path=bill.csv"])
    err = capsys.readouterr().err
    assert status == 2 and "no AI token usage priced" in err and "existing file" not in err
