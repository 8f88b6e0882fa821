"""The notebooks as an analyst opens them: `make lab`, then a page's answer in JupyterLab.

JupyterLab typesets every HTML and Markdown output with MathJax, which reads two dollar
amounts in one sentence ("$17.60 for the job, $0.88 per million tokens") as LaTeX and drops
the dollar signs. This test starts JupyterLab with `make lab` (as root it must add
--allow-root and say so), opens the article page executed with small parameters and a cell
showing an answer as escaped Markdown, in the system Chromium, waits for MathJax, and checks
that every amount reads as written. Screenshots go to the test's temporary folder, and to
``$INFERMODEL_SCREENSHOTS`` when set.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import papermill
import pytest
from playwright.sync_api import sync_playwright
from test_browser import CHROMIUM, CHROMIUM_ARGS, SHOTS, VIEWPORT
from test_notebooks import SMALL

from infermodel import paths

pytestmark = pytest.mark.notebook

TOKEN = "infermodel-test"
#: Two dollar amounts in one sentence: LaTeX to MathJax unless escaped or marked.
TWO_AMOUNTS = re.compile(r"\$[\d,]+\.\d\d[^$]*\$[\d,]+\.\d\d")
MARKDOWN_CELL = (
    "from IPython.display import Markdown\n"
    "from infermodel import narrative\n"
    "lines = ['Two amounts: $17.60 for the job, $0.88 per million tokens.']\n"
    "Markdown(narrative.markdown(lines))"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab started by `make lab` on a folder holding two executed notebooks."""
    folder = tmp_path_factory.mktemp("lab")
    notebook = paths.NOTEBOOKS_DIR / "article_20m_table.ipynb"
    papermill.execute_notebook(
        str(notebook),
        str(folder / "article.ipynb"),
        parameters=dict(SMALL["article_20m_table"]),
        kernel_name="python3",
        cwd=str(notebook.parent),
        progress_bar=False,
    )
    markdown = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(MARKDOWN_CELL)])
    nbformat.write(markdown, folder / "markdown.ipynb")
    papermill.execute_notebook(
        str(folder / "markdown.ipynb"),
        str(folder / "markdown.ipynb"),
        kernel_name="python3",
        progress_bar=False,
    )
    port = _free_port()
    args = f"--no-browser --IdentityProvider.token={TOKEN}"
    make = shutil.which("make") or "make"
    command = [make, "-C", str(paths.ROOT_DIR), "lab", f"LAB_PORT={port}", f"LAB_DIR={folder}"]
    log = folder / "lab.err"
    with log.open("w") as err:
        server = subprocess.Popen(
            [*command, f"LAB_ARGS={args}"],
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"`make lab` did not start: {log.read_text()[-2000:]}")
                time.sleep(1)
        yield url, log, port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _shot(locator, name: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.png"
    locator.screenshot(path=str(target))
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        shutil.copy(target, Path(SHOTS) / target.name)


def _opened(browser, url: str, name: str):
    page = browser.new_page(viewport=VIEWPORT)
    # A workspace of its own, reset: only this notebook open, in front.
    workspace = name.replace(".", "-")
    page.goto(f"{url}/lab/workspaces/{workspace}/tree/{name}?token={TOKEN}&reset")
    page.wait_for_selector(".jp-OutputArea-output", timeout=120_000)
    page.wait_for_timeout(4_000)  # MathJax typesets after the outputs are rendered
    return page


def test_make_lab_says_where_jupyterlab_listens_and_allows_root(lab):
    _, log, port = lab
    said = log.read_text()
    assert f"make lab: JupyterLab listens on http://127.0.0.1:{port}/lab" in said
    if os.geteuid() == 0:
        assert "warning: running as root" in said and "--allow-root" in said


def test_answers_show_their_dollar_amounts_in_jupyterlab(lab, tmp_path_factory):
    url, _, _ = lab
    shots = tmp_path_factory.getbasetemp() / "shots"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = _opened(browser, url, "article.ipynb")
            # JupyterLab shows the Markdown form of an answer before its HTML form.
            answer = page.locator(".jp-OutputArea-output .answer").first
            answer.scroll_into_view_if_needed()
            _shot(answer, "jupyterlab-article-answer", shots)
            page.screenshot(path=str(shots / "jupyterlab-article.png"))
            text = answer.inner_text()
            assert TWO_AMOUNTS.search(text), f"an answer lost its dollar amounts: {text[:300]!r}"
            assert answer.locator("mjx-container").count() == 0
            assert page.locator("mjx-container").count() == 0, "MathJax typeset an output"

            page = _opened(browser, url, "markdown.ipynb")
            output = page.locator(".jp-OutputArea-output.jp-RenderedMarkdown").first
            _shot(output, "jupyterlab-markdown-answer", shots)
            shown = output.inner_text()
            assert "$17.60 for the job, $0.88 per million tokens" in shown, shown
            assert "\\$" not in shown and output.locator("mjx-container").count() == 0
        finally:
            browser.close()
