"""One source for every input: a parameter reaches every analysis on its page that depends on it.

Each notebook is run with its small parameters (tests/reports/test_notebooks.py), then again
with one input changed; every answer sentence that rests on that input must read differently, the
Monte Carlo's included (its draws are centred on the page's utilization), and the sentences
that do not rest on it must not move. Sentences are found by their opening words, which the
narrative functions fix.
"""

from __future__ import annotations

import json

import papermill
import pytest
from test_notebooks import SMALL

from infermodel import paths

pytestmark = pytest.mark.notebook

#: notebook -> (parameter, new value, opening words of the sentences that must move, opening
#: words of sentences that must not). A sentence that may rightly stay (a break-even set by the
#: first GPU-hour, a bill set by the replicas kept up for availability) is not listed.
CASES = {
    "sensitivity": (
        "utilization",
        0.9,
        ["At the base case", "Under uncertainty", "The job costs"],
        [],
    ),
    "article_20m_table": (
        "utilization",
        0.9,
        ["As a one-off batch job rented by the hour", "Self-hosting the same model costs"],
        ["Proprietary APIs"],
    ),
    # Together's break-even is the volume of whole GPU-hours that beats 0.88 USD/Mtok, which
    # rests on the tokens an hour at the utilization; GPT-4o's is its first hour, at any.
    "break_even": ("utilization", 0.6, ["Against Together AI"], ["Against OpenAI"]),
    "maturity_path": ("utilization", 0.4, ["With "], ["Switching from"]),
    "throughput": ("utilization", 0.6, ["Cheapest GPU per million output tokens"], []),
}


def _answer(notebook: str, parameters: dict, folder) -> list[str]:
    path = paths.NOTEBOOKS_DIR / f"{notebook}.ipynb"
    folder.mkdir(parents=True)
    tables = folder / "tables"
    papermill.execute_notebook(
        str(path),
        str(folder / path.name),
        parameters={**parameters, "tables_dir": str(tables)},
        kernel_name="python3",
        cwd=str(path.parent),
        progress_bar=False,
    )
    saved = json.loads(next(tables.glob("*.answer.json")).read_text())
    return saved["lines"]


def _starting(lines: list[str], opening: str) -> list[str]:
    return [line for line in lines if line.startswith(opening)]


#: Parameters of the base run beyond the small ones, where those would hide the input: a
#: path whose last month still needs more replicas than the two kept up for availability.
BASE = {"maturity_path": {"start_tokens_per_month": 1e10}}


@pytest.mark.parametrize("notebook", sorted(CASES))
def test_a_changed_input_moves_every_sentence_that_rests_on_it(notebook, tmp_path):
    name, value, moving, still = CASES[notebook]
    base = {**SMALL[notebook], **BASE.get(notebook, {})}
    assert base.get(name) != value
    before = _answer(notebook, base, tmp_path / "before")
    after = _answer(notebook, {**base, name: value}, tmp_path / "after")
    for opening in moving:
        old, new = _starting(before, opening), _starting(after, opening)
        assert old, f"{notebook}: no sentence opens with {opening!r}: {before}"
        assert len(old) == len(new) and all(a != b for a, b in zip(old, new, strict=True)), (
            f"{notebook}: {name}={value} did not move {opening!r}: {old} -> {new}"
        )
    for opening in still:
        assert _starting(before, opening) == _starting(after, opening), opening
