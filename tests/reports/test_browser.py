"""The report as a reader sees it: every page of a small report in Chromium at 1280x800.

Builds a report of all seven notebooks with the small parameters of tests/reports/test_notebooks.py,
opens each page (the index, every notebook page, the reports index) in the system's Chromium
(or Chrome) via Playwright and checks what a reader would trip on. Screenshots of each page
(first screen and full page) are saved under the test's temporary folder, and copied to the
folder ``$INFERMODEL_SCREENSHOTS`` names, if set, for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright
from test_notebooks import SMALL

from infermodel import paths
from infermodel.reports import manifest, runner

pytestmark = pytest.mark.notebook

#: The browser: ``$INFERMODEL_CHROMIUM``, else the first of these on the PATH (``make
#: chromium`` installs Debian's when none is found).
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM = os.environ.get("INFERMODEL_CHROMIUM") or next(
    (found for name in BROWSERS if (found := shutil.which(name))), "/usr/bin/chromium"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
SHOTS = os.environ.get("INFERMODEL_SCREENSHOTS")
NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb"))
PAGES = ["index", *(n.stem for n in NOTEBOOKS)]
#: Text a reader must never see: a missing-value marker, raw Markdown, a broken minus sign.
FORBIDDEN = [r"\bNaN\b", r"<NA>", r"\bNone\b", r"\*\*", r"\$-", r"Traceback", r"\bnan\b"]
NBCONVERT_ALT = "No description has been provided for this image"
MAX_VISIBLE_ROWS = 60
#: The text from a heading to the next heading of its level (or the end of the page).
SECTION_TEXT = """h => {
  const all = [...document.querySelectorAll(h.tagName)];
  const next = all[all.indexOf(h) + 1];
  const range = document.createRange();
  range.setStartAfter(h);
  if (next) { range.setEndBefore(next); } else { range.setEndAfter(document.body.lastChild); }
  return range.toString();
}"""


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "reports" / "small"
    runs = [manifest.NotebookRun(n, dict(SMALL[n.stem])) for n in NOTEBOOKS]
    small = manifest.Manifest("infermodel: a small report", runs)
    runner.build_report(out, manifest=small, progress=lambda _: None)
    return out


@pytest.fixture(scope="module")
def page():
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            pytest.fail(f"cannot start Chromium at {CHROMIUM}: {first}", pytrace=False)
        tab = browser.new_page(viewport=VIEWPORT)
        yield tab
        browser.close()


def _open(page, path: Path, shots: Path):
    assert path.is_file(), f"{path.name} was not built"
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    shots.mkdir(parents=True, exist_ok=True)
    name = f"{path.parent.name}-{path.stem}" if path.stem == "index" else path.stem
    for suffix, full in (("", False), ("-full", True)):
        target = shots / f"{name}{suffix}.png"
        page.screenshot(path=str(target), full_page=full)
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            shutil.copy(target, Path(SHOTS) / target.name)
    return page


def _visible_text(page) -> str:
    return page.evaluate("document.body.innerText")


def _check_reader_view(page, heading: str) -> None:
    """What every page must pass: answer on the first screen, no overflow, clean text."""
    title = page.get_by_role("heading", name=heading, exact=True).first
    box = title.bounding_box()
    assert box is not None and box["y"] < VIEWPORT["height"], f"'{heading}' is below the fold"
    answer = title.evaluate(SECTION_TEXT)
    assert re.search(r"\d", answer), f"no figure under '{heading}': {answer[:200]!r}"
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px window"
    text = _visible_text(page)
    for pattern in FORBIDDEN:
        found = re.search(pattern, text)
        start = max(0, found.start() - 60) if found else 0
        assert not found, f"{pattern!r} in the visible text: ...{text[start : start + 120]!r}"
    for alt in page.eval_on_selector_all("img", "imgs => imgs.map(i => i.alt)"):
        assert alt.strip() and alt != NBCONVERT_ALT, f"an image without a description: {alt!r}"
    rows = page.eval_on_selector_all("tr", "rows => rows.filter(r => r.checkVisibility()).length")
    assert rows <= MAX_VISIBLE_ROWS, f"{rows} table rows visible before anything is expanded"


@pytest.mark.parametrize("name", PAGES)
def test_page_reads_answer_first(report, page, name, tmp_path_factory):
    shots = tmp_path_factory.getbasetemp() / "shots"
    _open(page, report / f"{name}.html", shots)
    _check_reader_view(page, "The answer")
    if name != "index":
        assert page.locator("details.im-appendix").count() == 1, "one folded appendix per page"
        assert not page.locator("details.im-appendix").get_attribute("open")
        assert page.locator(".im-banner").count() <= 1, "the stale-price banner shows twice"


def test_index_links_every_page_and_states_each_answer(report, page, tmp_path_factory):
    _open(page, report / "index.html", tmp_path_factory.getbasetemp() / "shots")
    links = set(page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))"))
    missing = [f"{n.stem}.html" for n in NOTEBOOKS if f"{n.stem}.html" not in links]
    assert not missing, f"the index does not link {missing}"
    answers = page.locator("ul.answer").count()
    assert answers == len(NOTEBOOKS), f"{answers} answers on the index for {len(NOTEBOOKS)} pages"
    downloads = page.locator("details.im-appendix")
    assert downloads.count() == 1 and "run_record.json" in downloads.inner_html()


def test_reports_index_opens_with_what_changed(report, page, tmp_path_factory):
    _open(page, report.parent / "index.html", tmp_path_factory.getbasetemp() / "shots")
    _check_reader_view(page, "What changed since the last quarter")
    assert f"{report.name}/index.html" in page.content()
