"""Tables, charts and pages for people: one formatter, labels for ids, alt text, folded appendix."""

from __future__ import annotations

import json
import math

import nbformat
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

from infermodel import display, plots, prices, tables, workloads
from infermodel.pricing import compare
from infermodel.reports import notebook, pages
from infermodel.tables import serving

MINUS = "\u2212"


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (-30, f"{MINUS}$30.00"),
        (1234.5, "$1,234"),
        (234.5, "$234.50"),
        (17.6, "$17.60"),
        (0.88, "$0.88"),
        (0.0004, "$0.00040"),
        (3000, "$3,000"),
        (None, "—"),
        (float("nan"), "—"),
        (pd.NA, "—"),
        (float("inf"), "—"),
    ],
)
def test_money(value, text):
    assert display.money(value) == text


def test_money_below_the_column_precision_says_so():
    assert display.money(0.004, 2) == "<$0.01"
    assert display.money(-0.004, 2) == f"> {MINUS}$0.01"
    assert display.money(-0.001, 2) != "$-0.00"


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**12), 10**12)))
def test_no_scientific_notation_nan_or_hyphen_minus_whatever_the_number(value):
    for text in (display.money(value), display.number(value), display.percent(value)):
        assert "e+" not in text and "e-" not in text and "nan" not in text.lower()
        assert "$-" not in text and "inf" not in text


def test_a_column_keeps_one_precision():
    assert display.format_column([1234.5, 2.0, None], "money") == ["$1,234.50", "$2.00", "—"]
    assert display.format_column([20_000, 150_000.4], "money") == ["$20,000", "$150,000"]
    assert display.format_column([0.456, 0.05], "fraction") == ["46%", "5%"]
    assert display.format_column([12.0, -3.0], "signed_pct") == ["+12%", f"{MINUS}3%"]
    assert display.format_column([6.160776e-01, 48.471276], "float") == ["0.6", "48.5"]


def test_token_volumes_in_words():
    assert display.tokens(988e6) == "988 million"
    assert display.tokens(86.9e6) == "87 million"
    assert display.tokens(6.6e9) == "6.6 billion"
    assert display.tokens(20_000) == "20,000"


# --- words for ids ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cost_table():
    snapshot = prices.as_of("2025-05-31")
    assumptions = serving.select(tables.load_serving(), ["article-batch-2m", "article-realtime-60"])
    return compare.cost_table(workloads.article_workload(), snapshot, assumptions)


def test_labels_use_words_not_ids(cost_table):
    labels = display.offering_labels(cost_table)
    row = (
        cost_table["offering_id"]
        == "runpod/H100-PCIe-80GB/community_cloud/on_demand@article-batch-2m"
    )
    assert labels[row].iloc[0] == (
        "RunPod · H100 PCIe 80GB, community cloud · Batch, 2M tok/h (article, high)"
    )
    for token in ("community_cloud", "article-batch", "on_demand", "_"):
        assert not labels.str.contains(token, regex=False).any(), token
    assert display.tidy("RunPod · H100-SXM-80GB secure_cloud · article-realtime-60") == (
        "RunPod · H100 SXM 80GB secure cloud · Real-time stream, 60 tok/s (article)"
    )


def test_source_links_are_clickable():
    pinned = (
        "cloud-gpus/cloud-gpus.github.io@32dd5902855baa4d092b65d98ee7e694c0958f51:cloud_gpu.json"
    )
    href, _ = display.source_link(pinned)
    assert href == (
        "https://github.com/cloud-gpus/cloud-gpus.github.io/blob/"
        "32dd5902855baa4d092b65d98ee7e694c0958f51/cloud_gpu.json"
    )
    assert display.source_link("https://openai.com/api/pricing/") == (
        "https://openai.com/api/pricing/",
        "openai.com",
    )
    assert display.source_link("the article") is None


# --- tables ----------------------------------------------------------------------------------


def test_a_cost_table_for_people(cost_table):
    shown = display.cost_table(cost_table, max_rows=15)
    text = shown.text()
    assert list(text.columns) == [
        "Platform type",
        "Offering",
        "Cost ($)",
        "$ per M tokens",
        "\u00d7 cheapest",
        "Price confidence",
    ]
    assert len(text) == len(cost_table)
    flat = " ".join(text.to_numpy().ravel())
    for bad in ("nan", "NaN", "None", "<NA>", "e+", "$-"):
        assert bad not in flat, bad
    page = shown._repr_html_()
    assert page.count("<tbody>") == 2 and f"Show all {len(cost_table)} rows" in page
    visible = page.split("<details")[0]
    assert visible.count("<tr>") == 15 + 1  # 15 rows and the header


def test_table_escapes_and_hides_the_index():
    frame = pd.DataFrame({"note": ["<b>x</b>", None]}, index=[7, 9])
    page = display.table(frame)._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "—" in page
    assert ">7<" not in page and ">9<" not in page


def test_unknown_numeric_columns_get_separators():
    frame = pd.DataFrame({"p50": [994, 3675], "mean": [2118.4, 650.2]})
    assert display.table(frame).text().to_dict("list") == {
        "P50": ["994", "3,675"],
        "Mean": ["2,118", "650"],
    }


def test_matrix_says_never_and_formats_headers():
    frame = pd.DataFrame({0.0: [87.0, np.nan], 5000.0: [587.0, np.nan]}, index=["a", "b"])
    table = display.matrix(frame, "count", corner="Option", header_kind="money", missing="never")
    assert table.text().to_dict("list") == {
        "Option": ["a", "b"],
        "$0": ["87", "never"],
        "$5,000": ["587", "never"],
    }


# --- charts ----------------------------------------------------------------------------------


def test_charts_carry_a_description_of_their_data(cost_table):
    chart = plots.cost_by_offering(cost_table, top_n=5)
    png, metadata = chart._repr_png_()
    assert png.startswith(b"\x89PNG")
    assert metadata["alt"].startswith("Bar chart, log scale: cost of 5 offerings;")
    # Fireworks' Llama 3.1 8B costs $4.00 since LiteLLM's $0.10 is read as a source error.
    assert "Cheapest Together AI · Llama 3.1 8B Instruct Turbo at $3.60" in metadata["alt"]
    assert chart.figure.get_size_inches()[0] == pytest.approx(plots.WIDTH)


def test_price_and_mix_legend_matches_the_bars():
    split = pd.DataFrame(
        {
            "workload": "w",
            "statistic": ["min", "median"],
            "platform": ["Proprietary API", "DIY GPU rental"],
            "price_effect_usd": [-5.0, 2.0],
            "mix_effect_usd": [-20.0, 0.0],
        }
    )
    chart = plots.price_vs_mix(split, previous="2026-06-30", as_of="2026-09-30")
    legend = chart.figure.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    assert labels[0].startswith("price effect") and labels[1].startswith("mix effect")
    ax = chart.figure.axes[0]
    colours = {tuple(p.get_facecolor()) for p in ax.patches}
    for handle in legend.legend_handles:
        assert tuple(handle.get_facecolor()) in colours
    price_bars = [p for p in ax.patches if p.get_hatch() is None]
    assert tuple(price_bars[0].get_facecolor()) == tuple(legend.legend_handles[0].get_facecolor())
    assert "price -$" not in chart.alt and f"mix {MINUS}$20" in chart.alt


# --- pages -----------------------------------------------------------------------------------


def test_markdown_cells_never_turn_dollars_into_maths():
    render = MarkdownWithMath(renderer=IPythonRenderer(escape=False)).render
    assert "<strong>b</strong>" in render(r"costs US\$8 and **b** then \$30.")
    for path in sorted(tables.paths.NOTEBOOKS_DIR.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                html = render(cell.source)
                assert "**" not in html, (path.name, cell.id)
                assert not any(c == "$" for c in cell.source.replace(r"\$", "")), (
                    f"{path.name} cell {cell.id}: escape $ as \\$ in Markdown"
                )


def _executed_notebook(path):
    notebook_node = nbformat.v4.new_notebook()
    chart = plots.price_vs_mix(
        pd.DataFrame(
            {
                "workload": ["w"],
                "statistic": ["min"],
                "platform": ["Proprietary API"],
                "price_effect_usd": [1.0],
                "mix_effect_usd": [2.0],
            }
        ),
        previous="2026-06-30",
        as_of="2026-09-30",
    )
    png, metadata = chart._repr_png_()
    import base64

    image = nbformat.v4.new_output(
        "display_data",
        data={"image/png": base64.b64encode(png).decode()},
        metadata={"image/png": metadata},
    )
    figure = nbformat.v4.new_code_cell("chart")
    figure.outputs = [image]
    notebook_node.cells = [
        nbformat.v4.new_markdown_cell("# What changed?\n\nPrices then and now. More text."),
        nbformat.v4.new_markdown_cell("## The answer"),
        figure,
        nbformat.v4.new_markdown_cell("## Provenance and method\n\nSources."),
        nbformat.v4.new_markdown_cell("### Observations\n\nA table."),
    ]
    nbformat.write(notebook_node, path)
    return chart.alt


def test_a_page_folds_its_appendix_and_describes_its_images(tmp_path):
    alt = _executed_notebook(tmp_path / "page.ipynb")
    pages.render_html(tmp_path / "page.ipynb", tmp_path / "page.html")
    page = (tmp_path / "page.html").read_text()
    assert "<title>What changed?</title>" in page
    assert page.count("<style") == 1 and len(page) < 150_000
    assert "<script src=" not in page and "MathJax" not in page
    assert f'alt="{alt}"' in page.replace("&amp;", "&")
    appendix = page.split('<details class="im-appendix">', 1)[1]
    assert "<summary>Provenance and method</summary>" in appendix and "Observations" in appendix
    assert "The answer" not in appendix


def test_index_opens_with_every_answer(tmp_path):
    (tmp_path / "tables").mkdir()
    notebook.save_answer(["It costs $8.00.", "Second."], "page", tmp_path / "tables")
    _executed_notebook(tmp_path / "page.ipynb")
    record = {
        "finished": "now",
        "git_commit": "abc",
        "data_sha256": "0" * 64,
        "notebooks": [
            {
                "name": "page",
                "notebook": "page.ipynb",
                "html": "page.html",
                "parameters": {"as_of": "2026-09-30"},
                "seconds": 1.5,
                "tables": ["page.answer.json", "values.csv"],
            }
        ],
    }
    html = pages.index_html("A report", record, tables_dir=tmp_path / "tables")
    answer = html.index("<h2>The answer</h2>")
    assert answer < html.index("It costs $8.00.") < html.index("<h2>The pages</h2>")
    assert "<a href='page.html'>What changed?</a>: Prices then and now." in html
    assert html.index("<h2>The pages</h2>") < html.index("Downloads and provenance")
    assert "tables/values.csv" in html and "page.answer.json</a>" not in html


def test_reports_index_opens_with_what_changed(tmp_path):
    report = tmp_path / "2026Q3"
    (report / "tables").mkdir(parents=True)
    notebook.save_answer(["Since 2026-06-30: 1 new."], "price_changes", report / "tables")
    record = {
        "as_of": "2026-09-30",
        "title": "q",
        "finished": "x",
        "notebooks": [
            {
                "name": "price_changes",
                "html": "price_changes.html",
                "tables": ["price_changes.answer.json"],
            }
        ],
    }
    (report / "run_record.json").write_text(json.dumps(record))
    page = pages.write_reports_index(tmp_path).read_text()
    changed = page.index("What changed since the last quarter")
    assert changed < page.index("Since 2026-06-30: 1 new.") < page.index("All reports")
    assert "2026Q3/price_changes.html" in page


def test_answer_files_round_trip(tmp_path):
    path = notebook.save_answer(["a $1 sentence"], "x", tmp_path)
    assert notebook.read_answer(path) == ["a $1 sentence"]
    assert notebook.save_answer(["a"], "x", "") is None
    assert notebook.read_answer(tmp_path / "missing.json") == []
    assert math.isclose(len(json.loads(path.read_text())["lines"]), 1)
