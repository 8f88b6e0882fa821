"""The pages of a report: each notebook rendered to HTML, the report's index, the reports index.

Every page opens with its answer. A notebook page is the executed notebook rendered with the
``offline`` template (one small style sheet, nothing fetched from a CDN, every chart's alt
text from its output metadata), with a link back to the index and the section headed
:data:`APPENDIX` and everything after it folded into one ``<details>`` element, closed by
default. The report's index (:func:`index_html`) opens with the answer of every page (each
saved by the notebook as ``tables/<name>.answer.json``, see
:func:`infermodel.reports.notebook.save_answer`), then the pages with one line each, then
the downloads folded away. The reports index (:func:`write_reports_index`) opens with what
changed since the last quarter (the newest report's ``price_changes`` answer).
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import re
from pathlib import Path

import nbformat
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

from infermodel import narrative, paths, prices
from infermodel.errors import InfermodelError, ReportError
from infermodel.reports import folders
from infermodel.reports.notebook import ANSWER_SUFFIX, read_answer, read_saved, stale_banner

#: Heading of the appendix every notebook ends with; it and what follows are folded away.
APPENDIX = "Provenance and method"
CSS_FILE = paths.TEMPLATES_DIR / "offline" / "report.css"


@functools.cache
def css() -> str:
    """The report style sheet (``templates/offline/report.css``), shared by every page."""
    return CSS_FILE.read_text(encoding="utf-8")


def render_html(executed: Path, target: Path, *, show_code: bool = False) -> None:
    """Render an executed notebook to standalone HTML: figures embedded, no CDN scripts."""
    exporter = HTMLExporter(
        template_name="offline", extra_template_basedirs=[str(paths.TEMPLATES_DIR)]
    )
    exporter.exclude_input = not show_code
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.exclude_anchor_links = True
    exporter.embed_images = True
    notebook = nbformat.read(executed, as_version=4)
    scrub_notebook(notebook, Path(target).parent)
    body, _ = exporter.from_notebook_node(notebook)
    title, _ = page_summary(notebook, Path(executed).stem)
    target.write_text(finish_page(body, title), encoding="utf-8")


#: Outputs holding text a person reads (images are left alone).
_TEXT_MIMES = ("text/plain", "text/html", "text/markdown", "text/latex")


def scrub_notebook(notebook, report_dir: Path) -> None:
    """Every path of the build machine in the notebook's code and text outputs made public
    (:func:`infermodel.paths.scrub`): the staging folder a page was built in (the parameters
    cell ``--show-code`` shows names it), the checkout, the home and temporary folders."""

    def clean(text):
        joined = "".join(text) if isinstance(text, list) else text
        return paths.scrub(joined, report_dir) if isinstance(joined, str) else text

    for cell in notebook.cells:
        cell.source = clean(cell.source)
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = clean(output["text"])
            if "traceback" in output:
                output["traceback"] = [clean(line) for line in output["traceback"]]
            data = output.get("data", {})
            for mime in _TEXT_MIMES:
                if mime in data:
                    data[mime] = clean(data[mime])


def page_summary(notebook, fallback: str) -> tuple[str, str]:
    """``(title, one-line description)`` of a notebook: its ``# heading`` and first sentence."""
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.strip().splitlines()
        if not lines or not lines[0].startswith("# "):
            continue
        title = lines[0][2:].strip()
        rest = " ".join(line.strip() for line in lines[1:] if line.strip())
        text = re.sub(r"\\\$", "$", re.sub(r"[*_`]", "", rest))
        first = re.split(r"(?<=[.!?])\s+", text, maxsplit=1)[0] if text else ""
        return title, first
    return fallback.replace("_", " ").capitalize(), ""


def finish_page(body: str, title: str) -> str:
    """Title the page, link it to the index and fold the appendix away."""
    soup = BeautifulSoup(body, "html.parser")
    if soup.title is not None:
        soup.title.string = title
    main = soup.find("main")
    if main is not None:
        nav = BeautifulSoup(
            "<nav class='im-nav'><a href='index.html'>All pages of this report</a></nav>",
            "html.parser",
        )
        main.insert(0, nav)
    _fold_appendix(soup)
    return str(soup)


def _fold_appendix(soup: BeautifulSoup) -> None:
    heading = soup.find(
        lambda tag: tag.name == "h2" and tag.get_text(strip=True).startswith(APPENDIX)
    )
    if heading is None:
        return
    cell = heading.find_parent("div", class_="jp-Cell") or heading
    following = [cell, *cell.find_next_siblings()]
    details = soup.new_tag("details", attrs={"class": "im-appendix"})
    summary = soup.new_tag("summary")
    summary.string = heading.get_text(strip=True)
    details.append(summary)
    cell.insert_before(details)
    heading.decompose()
    for element in following:
        details.append(element.extract())


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1.0'>"
        f"<title>{html.escape(title)}</title><style>{css()}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def _answer_list(lines: list[str]) -> str:
    return "<ul class='answer'>" + "".join(f"<li>{html.escape(s)}</li>" for s in lines) + "</ul>"


def as_of_html(record: dict) -> str:
    as_of = record.get("as_of")
    if not as_of:
        return ""
    provisional = (
        " <strong>(provisional: the quarter is not over; prices as of today)</strong>"
        if record.get("provisional")
        else ""
    )
    quarter = (
        f"Quarter <strong>{html.escape(str(record['quarter']))}</strong>, "
        if record.get("quarter")
        else ""
    )
    try:
        banner = stale_banner(prices.as_of(as_of), html_output=True)
    except InfermodelError:  # a record from an older kit, or no prices on that date
        banner = ""
    lead = f"{quarter}prices" if quarter else "Prices"
    return (
        f"<p class='lead'>{lead} as of <strong>{html.escape(str(as_of))}</strong>"
        f"{provisional}.</p>" + banner
    )


def _page_entry(run: dict, report_dir: Path | None) -> dict:
    title, description = run["name"].replace("_", " ").capitalize(), ""
    lines: list[str] = []
    claims: list[dict] = []
    if report_dir is not None:
        executed = report_dir / run.get("notebook", "")
        if executed.is_file():
            try:
                notebook = nbformat.read(executed, as_version=4)
                title, description = page_summary(notebook, run["name"])
            except (OSError, ValueError):
                pass
        for name in run.get("tables", []):
            if name.endswith(ANSWER_SUFFIX):
                saved = read_saved(report_dir / "tables" / name)
                lines, claims = saved["lines"], saved["claims"]
    return {"title": title, "description": description, "lines": lines, "claims": claims, **run}


def verdict_html(entries: list[dict]) -> str:
    """The report's one verdict (:func:`infermodel.narrative.verdict`) from every page's
    claims, as a paragraph; empty when no page compares self-hosting with an API."""
    claims = [c for e in entries for c in e.get("claims", [])]
    lines = narrative.verdict(claims)
    if not lines:
        return ""
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines[1:])
    return (
        f"<div class='verdict {narrative.NO_MATH}'><p><strong>The verdict:</strong> "
        f"{html.escape(lines[0])}</p>" + (f"<ul>{items}</ul>" if items else "") + "</div>"
    )


def index_html(title: str, record: dict, tables_dir: Path | None = None) -> str:
    """The report's index page: the one verdict, every page's answer, the pages, the downloads
    folded away.

    The answers are read from ``tables_dir`` (the report's ``tables`` folder, where each
    notebook saved its answer); without it the index lists the pages without answers.
    """
    report_dir = None if tables_dir is None else Path(tables_dir).parent
    entries = [_page_entry(run, report_dir) for run in record["notebooks"]]
    answers = "".join(
        f"<h3><a href='{html.escape(e['html'])}'>{html.escape(e['title'])}</a></h3>"
        + (_answer_list(e["lines"]) if e["lines"] else "<p>See the page.</p>")
        for e in entries
    )
    listing = "".join(
        f"<li><a href='{html.escape(e['html'])}'>{html.escape(e['title'])}</a>"
        + (f": {html.escape(e['description'])}" if e["description"] else "")
        + "</li>"
        for e in entries
    )
    yours = narrative.folder_lead(record.get("user_data"))
    body = (
        f"<h1>{html.escape(title)}</h1>{as_of_html(record)}"
        + (f"<p class='lead'>{html.escape(yours)}</p>" if yours else "")
        + f"<h2>The answer</h2>{verdict_html(entries)}{answers}"
        f"<h2>The pages</h2><ul>{listing}</ul>"
        f"{_downloads(record, entries)}"
    )
    return _page(title, body)


def _downloads(record: dict, entries: list[dict]) -> str:
    rows = []
    for e in entries:
        csvs = [t for t in e.get("tables", []) if t.endswith(".csv")]
        links = ", ".join(f"<a href='tables/{html.escape(t)}'>{html.escape(t)}</a>" for t in csvs)
        parameters = html.escape(json.dumps(e.get("parameters", {}), default=str))
        rows.append(
            f"<tr><td><a href='{html.escape(e['html'])}'>{html.escape(e['name'])}</a></td>"
            f"<td class='num'>{e.get('seconds', 0):.1f}</td><td>{links or '—'}</td>"
            f"<td><code>{parameters}</code></td></tr>"
        )
    return (
        "<details class='im-appendix'><summary>Downloads and provenance</summary>"
        f"<p>Built {html.escape(str(record.get('finished', '')))} (UTC) from commit "
        f"<code>{html.escape(str(record.get('git_commit', '')))}</code>; price data sha256 "
        f"<code>{html.escape(str(record.get('data_sha256', ''))[:16])}</code>. Run record "
        "(parameters, package versions, timings): <a href='run_record.json'>run_record.json</a>."
        "</p><div class='im-table'><table><thead><tr><th>Notebook</th><th class='num'>Time (s)"
        "</th><th>Tables (CSV)</th><th>Parameters</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div></details>"
    )


def _changes_html(name: str, record: dict, report_dir: Path) -> str:
    """What changed since the last quarter: the ``price_changes`` answer of one report."""
    runs = [r for r in record.get("notebooks") or [] if r.get("name") == "price_changes"]
    files = [report_dir / "tables" / t for r in runs for t in r.get("tables", [])]
    files = [f for f in files if f.name.endswith(ANSWER_SUFFIX)] or sorted(
        (report_dir / "tables").glob(f"price_changes*{ANSWER_SUFFIX}")
    )
    lines = read_answer(files[0]) if files else []
    if not lines:
        return "<p>The newest report has no price-changes page.</p>"
    link = f"{html.escape(name)}/{html.escape(runs[0]['html'] if runs else 'index.html')}"
    return _answer_list(lines) + f"<p><a href='{link}'>What changed, in detail</a></p>"


def _built(finished: object) -> str:
    """``2026-12-01T11:15:16+00:00`` -> ``2026-12-01 11:15 UTC`` (as written if unreadable)."""
    text = str(finished or "")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text or "—"
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def write_reports_index(reports_dir: Path = paths.REPORTS_DIR) -> Path:
    """Write ``reports_dir/index.html``: what changed since the last quarter, then every
    built report there, newest as-of date first.

    Only in a reports folder (:func:`~infermodel.reports.folders.is_reports_folder`), else
    :class:`ReportError`; atomically, so a reader never sees half a page.
    """
    reports_dir = Path(reports_dir)
    if not folders.is_reports_folder(reports_dir):
        raise ReportError(
            f"{reports_dir} is not a reports folder (it holds more than reports); "
            "no reports index written there"
        )
    entries = []
    for record_path in reports_dir.glob("*/run_record.json"):
        if record_path.parent.name.startswith("."):
            continue
        try:
            record = json.loads(record_path.read_text())
        except (OSError, ValueError, RecursionError):
            continue
        if not isinstance(record, dict):
            continue
        entries.append((record_path.parent.name, record))
    entries.sort(
        key=lambda e: (str(e[1].get("as_of") or ""), str(e[1].get("finished") or "")),
        reverse=True,
    )
    rows = []
    for name, record in entries:
        flag = " <strong>provisional</strong>" if record.get("provisional") else ""
        rows.append(
            f"<tr><td class='nw'><a href='{html.escape(name)}/index.html'>"
            f"{html.escape(name)}</a></td>"
            f"<td class='nw'>{html.escape(str(record.get('as_of') or '—'))}{flag}</td>"
            f"<td>{html.escape(str(record.get('title', '')))}</td>"
            f"<td class='nw'>{html.escape(_built(record.get('finished')))}</td>"
            f"<td class='nw'><code>{html.escape(str(record.get('data_sha256', ''))[:12])}</code>"
            "</td></tr>"
        )
    if entries:
        name, latest = entries[0]
        changed = (
            f"<h2>What changed since the last quarter</h2>{as_of_html(latest)}"
            + _changes_html(name, latest, reports_dir / name)
        )
    else:
        changed = "<p>No report built yet.</p>"
    page = _page(
        "infermodel reports",
        "<h1>infermodel reports</h1>"
        f"{changed}<h2>All reports, newest as-of date first</h2><div class='im-table'>"
        "<table><thead><tr><th>Report</th><th>As of</th><th>Title</th><th>Built</th>"
        f"<th>Price data</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>",
    )
    target = reports_dir / "index.html"
    folders.write_atomic(target, page)
    return target
