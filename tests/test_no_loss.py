"""Nothing lost: no command changes or removes a file it did not write, through links too.

Issue 23: a user's notebook saved in a previous report folder under a notebook's name was
deleted by the next build into that folder, and ``prices import --write`` replaced a
symlinked ``api_prices.csv`` with a plain file (the shared history it pointed to never got
the rows). The property test at the end runs the commands that write (a report swap, an
import) and those that only read (table, break-even, trace, bill, validate) over folders of
files and links made up by Hypothesis, and checks that every file they did not write is as
it was.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from helpers import TEST_DATA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infermodel import cli, paths, tables
from infermodel.errors import InputError
from infermodel.prices import importers
from infermodel.readers import litellm
from infermodel.reports import folders, pages
from infermodel.tables import writes

TRACE = TEST_DATA / "traces" / "azure2023_conv.csv"
BILL = TEST_DATA / "bills" / "real_openai_anthropic.csv"


def fake_report(folder: Path, *, files: bool = True) -> Path:
    """A folder as a build publishes it (page, index, record, one table); no kernel needed."""
    (folder / "tables").mkdir(parents=True)
    (folder / "tables" / "values.csv").write_text("value\n1\n")
    (folder / "tiny.html").write_text("<html>old</html>")
    (folder / "index.html").write_text("<html>old index</html>")
    run = {"name": "tiny", "notebook": "tiny.ipynb", "html": "tiny.html", "tables": ["values.csv"]}
    record: dict = {"generator": "infermodel", "notebooks": [run]}
    if files:
        record["files"] = ["index.html", "run_record.json", "tiny.html", "tables/values.csv"]
    (folder / "run_record.json").write_text(json.dumps(record))
    return folder


def new_build(parent: Path, name: str) -> Path:
    staging = folders.staging_folder(parent, name)
    (staging / "index.html").write_text("new")
    record = {"files": ["index.html", "run_record.json"]}
    (staging / "run_record.json").write_text(json.dumps(record))
    return staging


# --- the report swap keeps what the kit did not write ---------------------------------------


@pytest.mark.parametrize("files", [True, False], ids=["record lists files", "older record"])
def test_a_notebook_named_file_in_a_report_is_not_the_kits(tmp_path, files):
    # The executed notebooks are never published: tiny.ipynb here is the user's own.
    report = fake_report(tmp_path / "r", files=files)
    (report / "tiny.ipynb").write_text("my analysis")
    with pytest.raises(InputError, match=r"holding 'tiny\.ipynb', which infermodel did not"):
        folders.check_target(report)
    assert (report / "tiny.ipynb").read_text() == "my analysis"


@pytest.mark.parametrize("where", ["index.html", "tables/values.csv", "tables"])
def test_a_link_in_a_report_is_not_the_kits(tmp_path, where):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "values.csv").write_text("precious\n")
    report = fake_report(tmp_path / "r")
    link = report / where
    shutil.rmtree(link) if link.is_dir() else link.unlink()
    link.symlink_to(mine if where == "tables" else mine / "values.csv")
    with pytest.raises(InputError, match="which infermodel did not write there"):
        folders.check_target(report)
    assert (mine / "values.csv").read_text() == "precious\n"


def test_a_file_saved_in_the_old_report_during_the_swap_is_kept(tmp_path, monkeypatch):
    target = fake_report(tmp_path / "r")
    staging = new_build(tmp_path, "r")
    real_replace = os.replace

    def saved_meanwhile(source, destination):
        for old in tmp_path.glob(".r.replaced-*"):
            (old / "notes.txt").write_text("typed while it was building")
        return real_replace(source, destination)

    monkeypatch.setattr(os, "replace", saved_meanwhile)
    kept = folders.swap(staging, target)
    assert (target / "index.html").read_text() == "new"
    assert kept is not None and (kept / "notes.txt").read_text() == "typed while it was building"
    assert sorted(p.name for p in kept.iterdir()) == ["notes.txt", "run_record.json"]
    # A later sweep keeps it too: it is not the kit's to remove.
    assert folders.sweep(tmp_path, "r") == [] and (kept / "notes.txt").exists()


# --- writes go through links ------------------------------------------------------------------


def test_replace_file_writes_through_a_link_and_keeps_it(tmp_path):
    shared = tmp_path / "shared" / "api_prices.csv"
    shared.parent.mkdir()
    shared.write_text("a,b\n1,2\n")
    link = tmp_path / "data" / "api_prices.csv"
    link.parent.mkdir()
    link.symlink_to(shared)
    writes.append_rows(link, [{"a": "3", "b": "4"}], columns=["a", "b"])
    assert link.is_symlink() and link.resolve() == shared
    assert shared.read_text() == "a,b\n1,2\n3,4\n"
    assert [p.name for p in link.parent.iterdir()] == ["api_prices.csv"]  # no stray file


def test_a_link_to_nothing_is_refused_not_replaced(tmp_path):
    link = tmp_path / "api_prices.csv"
    link.symlink_to(tmp_path / "gone.csv")
    with pytest.raises(writes.WriteRefused, match=r"a link to .*gone\.csv, which does not exist"):
        writes.replace_file(link, b"a\n")
    assert link.is_symlink() and not (tmp_path / "gone.csv").exists()


def test_prices_import_write_appends_to_the_linked_history(tmp_data, tmp_path):
    # data/prices/api_prices.csv -> a shared history: the rows reach the history.
    shared = tmp_path / "shared"
    shared.mkdir()
    api = tmp_data / "prices" / "api_prices.csv"
    shutil.move(api, shared / "api_prices.csv")
    api.symlink_to(shared / "api_prices.csv")
    before = (shared / "api_prices.csv").read_bytes()
    review = importers.review(
        litellm.read_litellm(_one_model_source(tmp_path)),
        api_prices=tables.load_api_prices(api),
        withdrawals=tables.load_withdrawals(tmp_data / "prices" / "withdrawals.csv"),
    )
    importers.write(
        review,
        allow_missing=True,
        api_path=api,
        withdrawals_path=tmp_data / "prices" / "withdrawals.csv",
    )
    assert api.is_symlink()
    after = (shared / "api_prices.csv").read_bytes()
    assert after.startswith(before) and after.count(b"\n") == before.count(b"\n") + 1


def _one_model_source(folder: Path) -> Path:
    path = folder / "litellm_2026-12-04.json"
    path.write_text(
        json.dumps({"gpt-4o": {"input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05}})
    )
    return path


# --- the property: nothing the kit did not write changes ------------------------------------

#: Names a user's file may have where the kit writes: kit names, a notebook's name, a lock.
NAMES = ["index.html", "run_record.json", "tiny.html", "tiny.ipynb", "notes.txt",
         "article_20m_table.ipynb", ".r.lock", "values.csv", ".index.html.lock"]  # fmt: skip
PLACES = ["reports", "reports/r", "reports/r/tables", "data/prices", "elsewhere"]


def _snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under ``root``: a file's bytes, a link's target (and what it names)."""
    seen = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        if path.is_symlink():
            target = os.readlink(path)
            seen[key] = ("link", target, path.read_bytes() if path.is_file() else None)
        elif path.is_file():
            seen[key] = ("file", path.read_bytes())
    return seen


user_files = st.lists(
    st.tuples(
        st.sampled_from(PLACES),
        st.sampled_from(NAMES),
        st.sampled_from(["file", "link to elsewhere", "link to a data table"]),
        st.binary(min_size=0, max_size=40),
    ),
    max_size=6,
    unique_by=lambda t: (t[0], t[1]),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(user=user_files, link_history=st.booleans(), previous=st.booleans())
@pytest.mark.slow
def test_no_command_changes_a_file_it_did_not_write(tmp_path_factory, user, link_history,
                                                    previous):  # fmt: skip
    root = tmp_path_factory.mktemp("home")
    data = root / "data"
    shutil.copytree(paths.DATA_DIR / "prices", data / "prices")
    (root / "elsewhere").mkdir()
    api = data / "prices" / "api_prices.csv"
    if link_history:  # the price history lives elsewhere, linked in
        shutil.move(api, root / "elsewhere" / "history.csv")
        api.symlink_to(root / "elsewhere" / "history.csv")
    reports = root / "reports"
    if previous:
        fake_report(reports / "r")
    for place, name, kind, content in user:
        folder = root / place
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        if path.exists() or path.is_symlink():
            continue
        if kind == "file":
            path.write_bytes(content)
        elif kind == "link to elsewhere":
            (root / "elsewhere" / f"{place.replace('/', '_')}_{name}.target").write_bytes(content)
            path.symlink_to(root / "elsewhere" / f"{place.replace('/', '_')}_{name}.target")
        else:
            path.symlink_to(data / "prices" / "uplifts.csv")
    reports.mkdir(exist_ok=True)
    before = _snapshot(root)

    # A report build's folder work: check, sweep, stage, swap, reports index.
    target = reports / "r"
    try:
        checked = folders.check_target(target)
    except InputError:
        checked = None  # refused: nothing may change
    if checked is not None:
        folders.sweep(reports, "r")
        folders.swap(new_build(reports, "r"), checked)
        if folders.is_reports_folder(reports):
            pages.write_reports_index(reports)
    # An import that appends (one model; others may be missing).
    review = importers.review(
        litellm.read_litellm(_one_model_source(root / "elsewhere")),
        api_prices=tables.load_api_prices(api),
        withdrawals=tables.load_withdrawals(data / "prices" / "withdrawals.csv"),
    )
    importers.write(
        review, allow_missing=True, api_path=api,
        withdrawals_path=data / "prices" / "withdrawals.csv",
    )  # fmt: skip
    after = _snapshot(root)

    wrote = {"elsewhere/litellm_2026-12-04.json", "reports/index.html"}
    history = "elsewhere/history.csv" if link_history else "data/prices/api_prices.csv"
    for key, was in before.items():
        now = after.get(key)
        if key.startswith("reports/r/") and checked is not None:
            continue  # a previous report the kit wrote, replaced (user files refuse it)
        if key == "reports/index.html" and was[0] == "file" and b"infermodel reports" in was[1]:
            continue  # an index the kit wrote
        if key in (history, "data/prices/api_prices.csv"):
            assert now is not None and now[0] == was[0], key  # a link stays a link
            assert now[-1].startswith(was[-1]), key  # rows appended, nothing else changed
            continue
        if key.endswith(".lock") and key.startswith(("data/prices/", "elsewhere/.")):
            continue  # a write lock the import may have taken (it only creates one)
        assert now == was, f"{key} changed: {was!r} -> {now!r}"
    for key in set(after) - set(before):
        assert (
            key in wrote
            or key.startswith("reports/r/")
            or key.endswith(".lock")
            or key.startswith("reports/.r.replaced-")  # a report holding a user's file
        ), f"{key} appeared"


@pytest.mark.slow
def test_commands_that_read_change_nothing_they_read_through_links(tmp_path, capsys):
    # The log and the bill are links in a folder of the user's; the commands read them and
    # write nothing anywhere under it.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "log.csv").symlink_to(TRACE)
    (mine / "bill.csv").symlink_to(BILL)
    (mine / "notes.txt").write_text("mine")
    before = _snapshot(tmp_path)
    shipped = {p: p.read_bytes() for p in sorted(paths.DATA_DIR.rglob("*")) if p.is_file()}
    for argv in (
        ["table", "--as-of", "2025-05-31", "--format", "csv"],
        ["break-even", "--as-of", "2025-05-31", "--format", "csv"],
        ["trace", str(mine / "log.csv"), "--as-of", "2025-05-31", "--format", "csv"],
        ["bill", str(mine / "bill.csv"), "--format", "csv"],
        ["bill", str(mine / "bill.csv"), "--reconcile", "--format", "csv"],
        ["validate"],
        ["prices", "import", "litellm", str(_one_model_source(mine))],  # review only
    ):
        assert cli.main(argv) == 0, argv
        capsys.readouterr()
    after = _snapshot(tmp_path)
    assert after.pop("mine/litellm_2026-12-04.json")  # written by the test itself
    assert after == before
    assert {p: p.read_bytes() for p in sorted(paths.DATA_DIR.rglob("*")) if p.is_file()} == shipped


@pytest.mark.notebook
def test_a_rebuild_replaces_its_own_report_and_keeps_a_users_notebook(tmp_path, capsys):
    import nbformat

    from infermodel.reports import manifest, runner

    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('tables_dir: str = ""  # set by the runner')
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# tiny\n\nA page."),
        parameters,
        nbformat.v4.new_code_cell(
            "import pandas as pd\nfrom infermodel import reports\n"
            "reports.save_table(pd.DataFrame({'v': [1]}), 'values', tables_dir)"
        ),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}  # fmt: skip
    nbformat.write(notebook, tmp_path / "tiny.ipynb")
    plan = manifest.Manifest("tiny", [manifest.NotebookRun(tmp_path / "tiny.ipynb", {})])
    out = tmp_path / "reports" / "r"
    runner.build_report(out, manifest=plan, progress=lambda _: None)
    record = json.loads((out / "run_record.json").read_text())
    published = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert record["files"] == published == [
        "index.html", "run_record.json", "tables/values.csv", "tiny.html"
    ]  # fmt: skip
    runner.build_report(out, manifest=plan, progress=lambda _: None)  # its own: replaced
    (out / "tiny.ipynb").write_text("my own analysis, saved beside the page")
    with pytest.raises(InputError, match=r"holding 'tiny\.ipynb'"):
        runner.build_report(out, manifest=plan, progress=lambda _: None)
    assert (out / "tiny.ipynb").read_text() == "my own analysis, saved beside the page"
