"""Every notebook runs under papermill with its defaults and with small, unusual parameters."""

from __future__ import annotations

import ast

import nbformat
import pandas as pd
import papermill
import pytest

from infermodel import paths

pytestmark = pytest.mark.notebook

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb"))

#: Small or unusual parameters per notebook (defaults run in tests/reports/test_reports.py).
SMALL = {
    # The bill page needs a bill; this one is two months of 2026Q3 (tests/data/README.md).
    "bill": {
        "bill_path": "../tests/data/bills/real_openai_anthropic.csv",
        "as_of": "2026-09-30",
        "previous_as_of": "2026-07-31",
        "serving_assumptions": ["article-realtime-60"],
        "utilization": 0.5,
        "drop_bad_lines": True,
    },
    "workload_trace": {
        "synthetic_requests": 500,
        "synthetic_seed": 3,
        "diy_sizing": "peak",
        "diy_token_basis": "output",
        "serving_assumptions": ["article-batch-2m"],
        "top_offerings": 3,
    },
    "sensitivity": {
        "total_tokens": 1_000,
        "output_share": 0.5,
        "utilization": 0.6,
        "diy_offering": "runpod/A100-PCIe-80GB/community_cloud/on_demand@article-batch-1m",
        "serving_assumption": "article-batch-1m",
        "sweep_ranges": {"utilization": [0.2, 1.0], "output_share": [0.5, 0.5]},
        "grid_points": 4,
        "distributions": {"utilization": ["uniform", 0.4, 0.9], "output_share": 0.5},
        "draws": 500,
        "seed": 7,
        "mc_offerings": ["openai/gpt-4o"],
        "batch_assumptions": ["article-batch-1m"],
    },
    "break_even": {
        "output_share": 0.5,
        "serving_assumptions": ["article-batch-2m"],
        "api_offerings": ["openai/gpt-4o", "together-ai/meta-llama/Llama-3.3-70B-Instruct-Turbo"],
        "diy_offerings": ["runpod/A100-PCIe-80GB/community_cloud/on_demand@article-batch-2m"],
        "billing": "per_hour",
        "min_replicas": 0,
        "max_replicas": 3,
        "fixed_cost_options": [0, 100],
        "volume_points": 5,
    },
    "maturity_path": {
        "start_tokens_per_month": 1_000_000.0,
        "growth_multiple": 1_000.0,
        "growth_months": 2,
        "horizon_months": 3,
        "switching_cost_usd": 0.0,
        "shock_usd_per_month": 1.0,
        "min_replicas": 2,
        "fixed_usd_per_month": 500.0,
        "reservation_start_months": [2],
        "purchase_start_months": [2],
        "reservation_term_months": 1,
        "reserved_usd_per_gpu_hour": 1.5,
    },
    "price_changes": {
        "as_of": "2026-08-31",
        "previous_as_of": "2025-05-31",
        "total_tokens": 1_000,
        "output_shares": [0.25],
        "requests": 2,
        "utilization": 0.5,
        "serving_assumptions": ["article-batch-2m"],
        "stale_after_days": 30,
    },
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
        "estimator_model": "Llama-3.1-8B",
        "estimator_precisions": ["bf16"],
        "estimator_input_tokens": 50,
    },
    "throughput": {
        "models": ["Llama-3.1-8B", "Mixtral-8x7B"],
        "precisions": ["bf16"],
        "gpu_counts": [1, 2],
        "input_tokens": 100,
        "output_tokens": 50,
        "utilization": 0.5,
        "frontier_model": "Llama-3.1-8B",
        "frontier_gpu": "A100-SXM-80GB",
        "frontier_gpus": 1,
        "frontier_precision": "bf16",
        "engine": "sglang",
        "kv_cache_dtype": "fp8",
        "max_num_seqs": 64,
        "concurrencies": [1, 4],
    },
}


def test_every_notebook_has_small_parameters():
    assert {n.stem for n in NOTEBOOKS} == set(SMALL)


#: Most lines in a code cell other than the parameters cell.
MAX_CELL_LINES = 12


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_thin_and_answers_first(notebook):
    """Load, compute by library calls, display: the logic and the sentences live in the kit."""
    cells = nbformat.read(notebook, as_version=4).cells
    tagged = [c for c in cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged parameters"
    assert len({c.id for c in cells}) == len(cells), "cell ids are unique"
    headings = [c.source.splitlines()[0] for c in cells if c.cell_type == "markdown"]
    assert headings[0].startswith("# ") and "## The answer" in headings
    assert headings.index("## The answer") < headings.index("## Provenance and method")
    assert headings[-1] != "## The answer"
    answer = cells.index(next(c for c in cells if c.source == "## The answer"))
    assert "reports.show_answer(" in cells[answer + 1].source
    for cell in cells:
        if cell.cell_type != "code":
            continue
        assert not cell.outputs and cell.execution_count is None, f"{cell.id} has outputs"
        tree = ast.parse(cell.source)
        made = [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Lambda)
        ]
        assert not made, f"cell {cell.id} defines a function or class: move it to the kit"
        if cell in tagged:
            continue
        lines = len(cell.source.splitlines())
        assert lines <= MAX_CELL_LINES, f"cell {cell.id} has {lines} lines"
        assert "Markdown(" not in cell.source, f"cell {cell.id}: sentences come from narrative"


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
    answers = list((tmp_path / "tables").glob("*.answer.json"))
    assert len(answers) == 1 and answers[0].stat().st_size > 40


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
