"""The pages of a report: each notebook rendered to HTML, the report's index, the reports index."""

from __future__ import annotations

import html
import json
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from infermodel import paths, prices
from infermodel.errors import InfermodelError, ReportError
from infermodel.reports import folders
from infermodel.reports.notebook import stale_banner


def render_html(executed: Path, target: Path, *, show_code: bool = False) -> None:
    """Render an executed notebook to standalone HTML: figures embedded, no CDN scripts."""
    exporter = HTMLExporter(
        template_name="offline", extra_template_basedirs=[str(paths.TEMPLATES_DIR)]
    )
    exporter.exclude_input = not show_code
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    target.write_text(body, encoding="utf-8")


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
    return (
        f"<p>{quarter}prices as of <strong>{html.escape(str(as_of))}</strong>{provisional}.</p>"
        + banner
    )


def index_html(title: str, record: dict) -> str:
    items = []
    for run in record["notebooks"]:
        tables = "".join(
            f'<li><a href="tables/{html.escape(t)}">{html.escape(t)}</a></li>'
            for t in run["tables"]
        )
        params = html.escape(json.dumps(run["parameters"], default=str))
        items.append(
            f'<li><a href="{html.escape(run["html"])}">{html.escape(run["name"])}</a> '
            f"({run['seconds']:.1f} s)<br><small>parameters: {params}</small>"
            f"<ul>{tables}</ul></li>"
        )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
        "code{background:#eee}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f"{as_of_html(record)}"
        f"<p>Built {html.escape(record['finished'])} from commit "
        f"<code>{html.escape(record['git_commit'])}</code>; price data sha256 "
        f"<code>{html.escape(record['data_sha256'][:16])}</code>. "
        "Run record: <a href='run_record.json'>run_record.json</a>.</p>"
        f"<h2>Notebooks</h2><ul>{''.join(items)}</ul></body></html>"
    )


def write_reports_index(reports_dir: Path = paths.REPORTS_DIR) -> Path:
    """Write ``reports_dir/index.html``: every built report there, newest as-of date first.

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
        except (OSError, ValueError):
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
            f"<tr><td><a href='{html.escape(name)}/index.html'>{html.escape(name)}</a></td>"
            f"<td>{html.escape(str(record.get('as_of') or '-'))}{flag}</td>"
            f"<td>{html.escape(str(record.get('title', '')))}</td>"
            f"<td>{html.escape(str(record.get('finished', '')))}</td>"
            f"<td><code>{html.escape(str(record.get('data_sha256', ''))[:12])}</code></td></tr>"
        )
    latest = entries[0][1] if entries else None
    banner = as_of_html(latest) if latest else "<p>No report built yet.</p>"
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>infermodel reports</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
        "td,th{padding:0.2em 0.8em;text-align:left}</style></head><body>"
        "<h1>infermodel reports</h1><h2>Latest</h2>"
        f"{banner}<h2>All reports, newest as-of date first</h2>"
        "<table><tr><th>report</th><th>as of</th><th>title</th><th>built (UTC)</th>"
        f"<th>price data</th></tr>{''.join(rows)}</table></body></html>"
    )
    target = reports_dir / "index.html"
    folders.write_atomic(target, page)
    return target
