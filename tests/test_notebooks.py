"""Every notebook runs under papermill with its defaults and with small, unusual parameters."""

from __future__ import annotations

import pandas as pd
import papermill
import pytest

from infermodel import paths

pytestmark = pytest.mark.notebook

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb"))

#: Small or unusual parameters per notebook (defaults run in tests/test_reports.py).
SMALL = {
    "article_20m_table": {
        "total_tokens": 1_000,
        "output_share": 0.25,
        "cached_input_share": 0.5,
        "requests": 2,
        "utilization": 0.5,
        "use_batch_api": True,
        "diy_token_basis": "output",
        "serving_assumptions": ["article-batch-2m", "measured-trtllm-h100x2-fp8"],
        "other_readings": ["article-realtime-60-bf16"],
        "stack_base_assumption": "article-batch-2m",
    },
}


def test_every_notebook_has_small_parameters():
    assert {n.stem for n in NOTEBOOKS} == set(SMALL)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_with_small_parameters(notebook, tmp_path):
    parameters = {**SMALL[notebook.stem], "tables_dir": str(tmp_path / "tables")}
    papermill.execute_notebook(
        str(notebook),
        str(tmp_path / notebook.name),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(notebook.parent),
        progress_bar=False,
    )
    assert list((tmp_path / "tables").glob("*.csv"))


def test_article_notebook_prices_the_small_job(tmp_path):
    notebook = paths.NOTEBOOKS_DIR / "article_20m_table.ipynb"
    parameters = {**SMALL["article_20m_table"], "tables_dir": str(tmp_path)}
    papermill.execute_notebook(
        str(notebook),
        str(tmp_path / "out.ipynb"),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(notebook.parent),
        progress_bar=False,
    )
    table = pd.read_csv(tmp_path / "cost_table.csv")
    assert (table["total_tokens"] == 1_000).all()
    gpt4o = table.loc[table["model_id"] == "gpt-4o"].iloc[0]
    # 750 prompt tokens, half cached; 250 output; OpenAI batch API halves every price
    # (2.5 input, 1.25 cached, 10 output USD/Mtok in May 2025).
    expected = (375 * 2.5 + 375 * 1.25 + 250 * 10) / 1e6 * 0.5
    assert gpt4o["cost_usd"] == pytest.approx(expected)
    assert set(table["serving_assumption"].dropna()) == {
        "article-batch-2m",
        "measured-trtllm-h100x2-fp8",
    }
