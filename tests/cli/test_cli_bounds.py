"""Parameters and options: conflicts, literal -p values, bounds written once, early errors.

Every refusal here happens before any kernel starts (``no_kernel`` makes starting one fail
the test). The last test is a property: any run of the command line with arbitrary
arguments leaves a scratch copy of the checkout byte-identical.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import papermill
import pytest
from helpers import one_line, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infermodel import cli, errors, parameters, paths, tables
from infermodel.parameters import Typed
from infermodel.reports import manifest
from infermodel.tables import serving

ROOT = paths.ROOT_DIR
AS_OF = ["--as-of", "2025-05-31"]


@pytest.fixture
def no_kernel(monkeypatch):
    def refuse(*_, **__):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(papermill, "execute_notebook", refuse)


# --------------------------------------------------------------------------------------
# Conflicts and runner-owned names: refused before any kernel, nothing written
# --------------------------------------------------------------------------------------

CONFLICTS = {
    "quarter with -p as_of": (
        ["--quarter", "2026Q3", "-p", "as_of=2025-05-31"],
        "-p as_of cannot be used with --quarter 2026Q3",
    ),
    "quarter with -p previous_as_of": (
        ["--quarter", "2026Q3", "-p", "previous_as_of=2025-05-31"],
        "-p previous_as_of cannot be used with --quarter 2026Q3",
    ),
    "--as-of with -p as_of": (
        ["--as-of", "2025-05-31", "-p", "as_of=2025-06-30"],
        "--as-of and -p as_of both set the as-of date",
    ),
    "runner-owned tables_dir": (["-p", "tables_dir=/tmp/x"], "'tables_dir' is set by the report"),
    "empty --as-of": (["--as-of", ""], "--as-of must be a date YYYY-MM-DD, got ''"),
}


@pytest.mark.parametrize(("argv", "message"), CONFLICTS.values(), ids=CONFLICTS.keys())
def test_conflicting_parameters_are_refused_before_any_kernel(
    capsys, tmp_path, no_kernel, argv, message
):
    status, out, err = run(capsys, "report", "--out", str(tmp_path / "r"), *argv)
    assert status == 2 and out == ""
    assert message in one_line(err)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["tables_dir", "as_of"])
def test_a_manifest_may_not_set_what_the_runner_sets(capsys, tmp_path, no_kernel, name):
    shutil.copy(paths.NOTEBOOKS_DIR / "price_changes.ipynb", tmp_path)
    (tmp_path / "m.yml").write_text(
        f"title: t\nnotebooks:\n  - path: price_changes.ipynb\n    parameters:\n"
        f"      {name}: '2025-05-31'\n"
    )
    argv = ["report", "--manifest", str(tmp_path / "m.yml"), "--out", str(tmp_path / "r")]
    if name == "as_of":
        argv += ["--quarter", "2025Q2"]
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert f"manifest sets {name!r} for price_changes.ipynb" in one_line(err)
    assert not (tmp_path / "r").exists()


# --------------------------------------------------------------------------------------
# -p values are read literally, by the declared type
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "type_name", "value"),
    [
        ("70B # the like-for-like fragment", "str", "70B # the like-for-like fragment"),
        ("yes", "str", "yes"),
        ("2025-05-31", "str", "2025-05-31"),
        ("'quoted'", "str", "'quoted'"),
        ("", "str", ""),
        ("[a, b]", "list", ["a", "b"]),
        ("{utilization: [0.2, 1.0]}", "dict", {"utilization": [0.2, 1.0]}),
        ("[a, b] # c", "list", "[a, b] # c"),
        ("0.5 # half", "float", "0.5 # half"),
        ("2e9", "float", 2e9),
        ("20_000_000", "int", 20_000_000),
        ("true", "bool", True),
    ],
)
def test_typed_values_survive_as_typed(text, type_name, value):
    assert Typed(text).read(type_name) == value


def test_a_text_parameter_keeps_what_follows_a_hash(tmp_path):
    notebook = tmp_path / "t.ipynb"
    shutil.copy(paths.NOTEBOOKS_DIR / "article_20m_table.ipynb", notebook)
    runs = manifest.plan(
        manifest.Manifest("t", [manifest.NotebookRun(notebook)]),
        {"like_for_like": Typed("70B # Llama"), "utilization": Typed("0.6")},
    )
    assert runs[0].parameters == {"like_for_like": "70B # Llama", "utilization": 0.6}


def test_a_number_with_a_comment_is_refused_naming_the_parameter(capsys, tmp_path, no_kernel):
    status, _, err = run(
        capsys, "report", "--out", str(tmp_path / "r"), "-p", "utilization=0.6 # x"
    )
    assert status == 2
    assert "parameter 'utilization' must be float, got str '0.6 # x'" in one_line(err)


def test_help_documents_the_quoting_rules(capsys):
    with pytest.raises(SystemExit):
        cli.main(["report", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "exactly as typed" in text and "YAML flow syntax" in text


# --------------------------------------------------------------------------------------
# Dates: an explicit empty date is an error; errors name the option and the range
# --------------------------------------------------------------------------------------

EMPTY_DATE = {
    "table": ["table", "--as-of", ""],
    "break-even": ["break-even", "--as-of", ""],
    "trace": ["trace", str(ROOT / "tests/data/traces/azure2023_code.csv"), "--as-of", ""],
    "report": ["report", "--as-of", ""],
}


@pytest.mark.parametrize("argv", EMPTY_DATE.values(), ids=EMPTY_DATE.keys())
def test_an_empty_as_of_is_refused_everywhere(capsys, no_kernel, argv):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == ""
    assert "--as-of must be a date YYYY-MM-DD, got ''" in one_line(err)


@pytest.mark.parametrize("date", ["2020-01-01", "2099-01-01"])
def test_a_date_without_prices_names_the_option_and_the_range(capsys, no_kernel, tmp_path, date):
    earliest, _, today = parameters.price_date_range()
    _, _, err = run(capsys, "table", "--as-of", date)
    line = one_line(err)
    assert f"--as-of must be a date from {earliest.date()}" in line and str(today.date()) in line
    _, _, err = run(capsys, "report", "--out", str(tmp_path / "r"), "-p", f"as_of={date}")
    line = one_line(err)
    assert "parameter as_of must be a date from" in line and date in line


# --------------------------------------------------------------------------------------
# --serving X X prints each row once
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_serving_id_given_twice_counts_once(capsys):
    def rows(*ids):
        status, out, err = run(capsys, "table", *AS_OF, "--format", "csv", "--serving", *ids)
        assert status == 0, err
        return pd.read_csv(io.StringIO(out))

    once, twice = rows("article-batch-2m"), rows("article-batch-2m", "article-batch-2m")
    pd.testing.assert_frame_equal(once, twice)
    ids = serving.select(tables.load_serving(), ["article-batch-2m", "article-batch-1m"] * 2)
    assert list(ids["assumption_id"]) == ["article-batch-2m", "article-batch-1m"]


# --------------------------------------------------------------------------------------
# Bounds: every numeric option, written once, the same for a notebook parameter
# --------------------------------------------------------------------------------------

OUT_OF_BOUNDS = [
    ("table", "--total-tokens", "1e16"),
    ("table", "--total-tokens", "0"),
    ("table", "--throughput", "1e-300"),
    ("table", "--throughput", "1e8"),
    ("table", "--requests", "10000000000000"),
    ("table", "--stale-after-days", "100000"),
    ("table", "--output-share", "1.01"),
    ("table", "--cached-input-share", "-0.1"),
    ("table", "--utilization", "0"),
    ("break-even", "--fixed-usd-per-month", "1e308"),
    ("break-even", "--tokens-per-month", "1e16"),
    ("break-even", "--min-replicas", "10000000"),
    ("break-even", "--max-replicas", "10000000"),
]


@pytest.mark.parametrize(("command", "option", "value"), OUT_OF_BOUNDS)
def test_every_numeric_option_has_a_bound_naming_it(capsys, command, option, value):
    status, out, err = run(capsys, command, *AS_OF, option, value)
    assert status == 2 and out == ""
    line = one_line(err)
    assert f"{option} must be a " in line and "inf" not in line.replace("infermodel", "")


@pytest.mark.slow
def test_the_extremes_inside_the_bounds_stay_finite(capsys):
    status, out, err = run(
        capsys,
        "table",
        *AS_OF,
        "--format",
        "csv",
        "--throughput",
        "0.001",
        "--total-tokens",
        "1e15",
        # 1,000 tokens a request: the extreme volume, not one request past every context window
        "--requests",
        "1000000000000",
    )
    assert status == 0 and err == ""
    costs = pd.read_csv(io.StringIO(out))["cost_usd"]
    assert costs.notna().all() and (costs.abs() < float("inf")).all()
    status, out, err = run(
        capsys,
        "break-even",
        *AS_OF,
        "--format",
        "csv",
        "--fixed-usd-per-month",
        "1e9",
        "--throughput",
        "1e7",
        "--tokens-per-month",
        "1e15",
    )
    assert status == 0 and err == ""
    numbers = pd.read_csv(io.StringIO(out)).select_dtypes("number")
    assert not numbers.isin([float("inf"), float("-inf")]).any().any()


SHARED = [
    ("utilization", "1.5"),
    ("output_share", "-0.5"),
    ("cached_input_share", "2"),
    ("total_tokens", "0"),
    ("requests", "0"),
    ("stale_after_days", "0"),
    ("fixed_usd_per_month", "2e9"),
    ("tokens_per_month", "2e15"),
    ("min_replicas", "2000000"),
]


@pytest.mark.parametrize(("name", "value"), SHARED)
def test_an_option_and_the_notebook_parameter_of_the_same_name_share_one_rule(name, value):
    notebook = next(
        p
        for p in sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb"))
        if name in manifest.notebook_parameters(p)
    )
    declared = manifest.notebook_parameters(notebook)[name]["inferred_type_name"]
    number = Typed(value).read(declared)
    option = "--" + name.replace("_", "-")
    with pytest.raises(errors.InputError) as by_option:
        parameters.check(name, number, label=option)
    with pytest.raises(errors.InputError) as by_parameter:
        parameters.check(name, number)
    assert str(by_option.value) == str(by_parameter.value).replace(name, option, 1)
    with pytest.raises(errors.ParameterError) as in_notebook:
        manifest.check_parameters(notebook, {name: Typed(value)})
    assert f"{notebook.name}: parameter {by_parameter.value}" == str(in_notebook.value)


# --------------------------------------------------------------------------------------
# Errors a parameter would cause notebooks later are caught before the first
# --------------------------------------------------------------------------------------

LATER = {
    "a log that does not exist": (
        "log_path=no-such-log.csv",
        "workload_trace.ipynb: parameter log_path",
    ),
    "an unknown serving assumption": (
        "serving_assumptions=[article-batch-2m, article-batch-3m]",
        "article_20m_table.ipynb: parameter serving_assumptions[1]: unknown serving "
        "assumption 'article-batch-3m'",
    ),
    "an unknown offering id": (
        "api_offerings=[openai/gpt-4o, openai/gpt-9]",
        "break_even.ipynb: parameter api_offerings[1]: 'openai/gpt-9' is not the id of a",
    ),
    "a label given for an id": (
        "api_offerings=[OpenAI · GPT-4o]",
        "that is a label, its id is 'openai/gpt-4o'",
    ),
    "a DIY offering under an assumption not chosen": (
        "diy_offering=runpod/H100-PCIe-80GB/community_cloud/on_demand@article-batch-1m",
        "sensitivity.ipynb: parameter diy_offering",
    ),
    "an unknown model": (
        "models=[Llama-9-1T]",
        "throughput.ipynb: parameter models[0]: unknown model",
    ),
    "an unknown choice": ("diy_sizing=sometimes", "diy_sizing must be one of autoscaled, peak"),
    "a chart axis upside down": (
        "volume_range=[1_000_000_000, 1_000_000]",
        "volume_range must be [low, high] with low < high",
    ),
}


@pytest.mark.parametrize(("parameter", "message"), LATER.values(), ids=LATER.keys())
@pytest.mark.slow
def test_an_error_notebooks_later_is_caught_before_the_first(
    capsys, tmp_path, no_kernel, parameter, message
):
    status, _, err = run(capsys, "report", "--out", str(tmp_path / "r"), "-p", parameter)
    assert status == 2
    assert message in one_line(err)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_the_shipped_manifests_pass_their_own_rules():
    manifest.plan(manifest.Manifest.load())
    quarterly = manifest.Manifest.load(paths.QUARTERLY_MANIFEST)
    manifest.plan(quarterly, {"as_of": "2025-06-30", "previous_as_of": "2025-03-31"})
    today = dt.date.today().isoformat()
    manifest.plan(quarterly, {"as_of": today, "previous_as_of": "2025-06-30"})


# --------------------------------------------------------------------------------------
# Property: any run leaves the checkout byte-identical (a scratch copy, in a subprocess)
# --------------------------------------------------------------------------------------


#: Runs the command line with papermill's execution replaced by a copy of the notebook, so a
#: report is built (staged, rendered, recorded, swapped, indexed) without starting a kernel.
NO_KERNEL_MAIN = """
import shutil, sys
import papermill
papermill.execute_notebook = lambda source, executed, **_: shutil.copyfile(source, executed)
from infermodel.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def scratch_kit(tmp_path_factory) -> Path:
    # Nested, so that '../..' in a run still lands inside this test's own folder.
    root = tmp_path_factory.mktemp("kit") / "a" / "b" / "kit"
    skip = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".*_cache", ".hypothesis")
    shutil.copytree(ROOT, root, ignore=skip)
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / ".venv").mkdir()
    (root / "reports" / "old").mkdir()  # a previous report, which a run may replace
    (root / "reports" / "old" / "run_record.json").write_text('{"notebooks": []}')
    (root.parent / "main.py").write_text(NO_KERNEL_MAIN)
    return root


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def told_to_write(root: Path, argv: list[str]) -> list[str]:
    """What a report run may change: its --out folder (the last one given, as argparse
    reads it), the reports index beside it and failed runs kept beside it."""
    outs = [argv[i + 1] for i, word in enumerate(argv[:-1]) if word == "--out"]
    if argv[0] != "report" or not outs or not outs[-1].strip():
        return []
    target = (root / outs[-1]).resolve()
    if target == root or not target.is_relative_to(root):
        return []  # the checkout itself, or outside it: nothing of it may change
    name = target.relative_to(root).as_posix()
    parent = target.parent.relative_to(root).as_posix()
    prefix = "" if parent == "." else parent + "/"
    return [name + "/", prefix + "index.html", prefix + ".failed/"]


WORDS = st.sampled_from(
    [
        "",
        " ",
        ".",
        "..",
        "../..",
        "/",
        "data",
        "data/prices",
        "data/new",
        "notebooks",
        "infermodel",
        "infermodel/reports",
        ".git",
        ".venv",
        "reports",
        "reports/old",
        "reports/new",
        "README.md",
        "tests",
        "tests/data",
        "~",
        "--out",
        "-p",
        "--as-of",
        "2025-05-31",
        "2020-01-01",
        "2099-12-31",
        "as_of=2025-05-31",
        "tables_dir=x",
        "utilization=2",
        "log_path=nosuch.csv",
        "--quarter",
        "2026Q3",
        "2025Q2",
        "--format",
        "csv",
        "json",
        "--utilization",
        "--throughput",
        "--total-tokens",
        "--serving",
        "article-batch-2m",
        "all",
        "--fixed-usd-per-month",
        "1e308",
        "1e-300",
        "-1",
        "0",
        "nan",
        "inf",
        "--provider",
        "RunPod",
        "--manifest",
        "--show-code",
        "--list",
        "--model",
        "llama-3.3-70b",
        "--gpu",
        "h100-sxm-80gb",
        "--gpus",
        "2",
        "--precision",
        "fp8",
        "--input-tokens",
        "--output-tokens",
        "1000",
    ]
) | st.text(alphabet="./-_=ab01 #'", max_size=6)
OUTS = st.sampled_from(
    [
        "",
        " ",
        ".",
        "./",
        "..",
        "../..",
        "/",
        "~",
        "data",
        "data/prices",
        "data/new",
        "notebooks",
        "notebooks/new",
        "infermodel",
        "infermodel/new",
        ".git",
        ".git/new",
        ".venv",
        "reports",
        "reports/old",
        "reports/new",
        "reports/README.md",
        "README.md",
        "tests",
        "tests/data",
        "tests/new",
        "new-folder",
        "reports/../data",
    ]
) | st.text(alphabet="./-_ab~", max_size=5)
REPORT_OPTIONS = st.sampled_from(
    [
        [],
        [],
        ["--show-code"],
        ["-p", "utilization=0.6"],
        ["--as-of", "2025-05-31"],
        ["--quarter", "2025Q2"],
        ["-p", "tables_dir=x"],
        ["-p", "log_path=nosuch.csv"],
        ["--quarter", "2025Q2", "-p", "as_of=2025-06-30"],
        ["--out", "reports/other"],
        ["--manifest", "notebooks/quarterly.yml"],
        ["--manifest", ""],
    ]
) | st.lists(WORDS, max_size=4)
COMMANDS = st.sampled_from(["table", "break-even", "validate", "throughput"])


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    argv=st.one_of(
        st.tuples(st.just("report"), OUTS, REPORT_OPTIONS).map(
            lambda t: [t[0], "--out", t[1], *t[2]]
        ),
        st.tuples(COMMANDS, st.lists(WORDS, max_size=6)).map(lambda t: [t[0], *t[1]]),
    )
)
@pytest.mark.slow
def test_any_run_leaves_the_checkout_byte_identical(scratch_kit, argv):
    # report runs do build (without a kernel: NO_KERNEL_MAIN), so the one thing they may
    # change is the folder they were told to write.
    before = tree(scratch_kit)
    result = subprocess.run(
        [sys.executable, str(scratch_kit.parent / "main.py"), *argv],
        cwd=scratch_kit,
        env={**os.environ, "PYTHONPATH": str(scratch_kit), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1, 2), result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    after = tree(scratch_kit)
    allowed = told_to_write(scratch_kit, argv)
    changed = sorted(
        name
        for name in set(before) | set(after)
        if before.get(name) != after.get(name)
        and not any(name.startswith(a) if a.endswith("/") else name == a for a in allowed)
    )
    assert not changed, f"{argv} changed {changed[:5]}"
