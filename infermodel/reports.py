"""Build rendered reports: run notebooks with papermill, render HTML, write a run record.

A report is described by a manifest (``notebooks/report.yml``): which notebooks, with which
parameters. :func:`build_report`

1. checks every parameter against the notebook's ``parameters`` cell before any kernel
   starts (unknown names and wrong types are refused with the list of valid parameters);
2. executes each notebook into a staging folder beside the target, saving its key tables
   as CSV (the runner passes the notebook a ``tables_dir``);
3. renders each executed notebook to self-contained HTML (figures embedded, code hidden by
   default), writes ``index.html`` and ``run_record.json`` (parameters, price-data hash,
   package versions, git commit, timings);
4. only when every notebook succeeded, swaps the staging folder into place. A failure names
   the notebook and the cell, keeps the failed run under ``reports/.failed/`` for reading,
   and leaves the last good report untouched.

Quarterly reports (:func:`build_quarterly`, issue 4) run ``notebooks/quarterly.yml`` with
``as_of`` = the quarter's last day (or today, marked provisional, for the running quarter)
into ``reports/<YYYYQn>/``; every build refreshes ``reports/index.html``, which lists each
built report newest first with its as-of date. :func:`stale_banner` is the one-line warning
notebooks show when prices are older than the stale threshold.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from infermodel import paths

#: Parameter the runner fills in itself; notebooks declare it with an empty default.
TABLES_PARAMETER = "tables_dir"
#: The quarterly report's manifest (``infermodel report --quarter``).
QUARTERLY_MANIFEST = paths.NOTEBOOKS_DIR / "quarterly.yml"
_PACKAGES = (
    "infermodel",
    "numpy",
    "pandas",
    "pandera",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "nbformat",
    "ipykernel",
)


class ReportError(RuntimeError):
    """A report could not be built; the message says which notebook, cell or parameter."""


class ParameterError(ReportError, ValueError):
    """A notebook parameter is unknown or of the wrong type."""


@dataclass(frozen=True)
class NotebookRun:
    """One notebook of a manifest and the parameters it runs with."""

    path: Path
    parameters: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.stem


@dataclass(frozen=True)
class Manifest:
    """What a report runs: a title and notebooks with their parameters."""

    title: str
    notebooks: list[NotebookRun]

    @classmethod
    def load(cls, path: Path = paths.REPORT_MANIFEST) -> Manifest:
        """Read a manifest YAML; notebook paths are relative to the manifest's folder."""
        path = Path(path)
        try:
            raw = yaml.safe_load(path.read_text())
        except (OSError, yaml.YAMLError) as exc:
            raise ReportError(f"{path}: cannot read the report manifest: {exc}") from exc
        if not isinstance(raw, dict) or not isinstance(raw.get("notebooks"), list):
            raise ReportError(f"{path}: a manifest needs a 'notebooks' list")
        runs = []
        for i, entry in enumerate(raw["notebooks"], start=1):
            if not isinstance(entry, dict) or "path" not in entry:
                raise ReportError(f"{path}: notebooks[{i}] needs a 'path'")
            parameters = entry.get("parameters") or {}
            if not isinstance(parameters, dict):
                raise ReportError(f"{path}: notebooks[{i}].parameters must be a mapping")
            runs.append(NotebookRun(path.parent / entry["path"], dict(parameters)))
        return cls(str(raw.get("title", "infermodel report")), runs)


def notebook_parameters(notebook: Path) -> dict[str, dict]:
    """The parameters a notebook declares in its ``parameters`` cell (papermill's view).

    Returns ``{name: {"inferred_type_name": ..., "default": ..., "help": ...}}``.
    """
    import papermill

    notebook = Path(notebook)
    if not notebook.is_file():
        raise ReportError(f"notebook not found: {notebook}")
    return papermill.inspect_notebook(str(notebook))


_TYPE_CHECKS: dict[str, Callable[[object], bool]] = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, list),
    "dict": lambda v: isinstance(v, dict),
}


def _normalise(value: object, type_name: str) -> object:
    # YAML reads 2025-05-31 as a date; a notebook declaring a str parameter wants the text.
    if type_name == "str" and isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def check_parameters(
    notebook: Path, parameters: Mapping[str, object], *, declared: dict | None = None
) -> dict:
    """Check ``parameters`` against the notebook's ``parameters`` cell; return them normalised.

    Raises :class:`ParameterError` for an unknown name or a value of the wrong type, listing
    every valid parameter with its type and default.
    """
    declared = notebook_parameters(notebook) if declared is None else declared
    listing = ", ".join(
        f"{name} ({spec['inferred_type_name']}, default {spec['default']})"
        for name, spec in declared.items()
        if name != TABLES_PARAMETER
    )
    checked = {}
    for name, value in parameters.items():
        if name not in declared:
            raise ParameterError(
                f"{Path(notebook).name}: unknown parameter {name!r}; valid parameters: {listing}"
            )
        type_name = declared[name]["inferred_type_name"].split("[")[0].strip()
        value = _normalise(value, type_name)
        check = _TYPE_CHECKS.get(type_name)
        if check is not None and not check(value):
            raise ParameterError(
                f"{Path(notebook).name}: parameter {name!r} must be {type_name}, got "
                f"{type(value).__name__} {value!r}; valid parameters: {listing}"
            )
        checked[name] = value
    return checked


def git_commit(root: Path = paths.ROOT_DIR) -> str:
    """The checkout's commit, with ``-dirty`` when files differ from it, or ``unknown``."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a report depends on."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def provenance() -> pd.DataFrame:
    """Library version, git commit, price-data hash and package versions, as a table."""
    from infermodel.prices import data_hash

    rows = {"git commit": git_commit(), "price and spec data (sha256)": data_hash()}
    rows.update(package_versions())
    return pd.DataFrame({"item": list(rows), "value": list(rows.values())})


def save_table(table: pd.DataFrame, name: str, tables_dir: str | os.PathLike) -> Path | None:
    """Write ``table`` as ``<tables_dir>/<name>.csv``; do nothing when ``tables_dir`` is empty.

    Notebooks call this for their key tables; the report runner sets ``tables_dir``.
    """
    if not str(tables_dir):
        return None
    target = Path(tables_dir) / f"{name}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(target, index=False)
    return target


def render_html(executed: Path, target: Path, *, show_code: bool = False) -> None:
    """Render an executed notebook to standalone HTML: figures embedded, no CDN scripts."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="offline", extra_template_basedirs=[str(paths.PACKAGE_DIR / "templates")]
    )
    exporter.exclude_input = not show_code
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    target.write_text(body, encoding="utf-8")


def stale_banner(snapshot, *, html_output: bool = False):
    """A warning naming the observations older than the snapshot's stale threshold.

    Returns an IPython ``Markdown`` object for notebooks (shows nothing when no price is
    stale), or with ``html_output=True`` an HTML paragraph (empty string when none).
    Use in a notebook as ``reports.stale_banner(snapshot)``.
    """
    observations = snapshot.observations()
    stale = observations[observations["stale"]]
    if stale.empty:
        text = ""
    else:
        oldest = stale["observed_on"].min()
        providers = ", ".join(sorted(set(stale["provider"])))
        text = (
            f"**Stale prices:** {len(stale)} of {len(observations)} price observations used "
            f"are older than {snapshot.stale_after_days} days at {snapshot.as_of.date()} "
            f"(oldest {pd.Timestamp(oldest).date()}; providers: {providers}). No newer dated "
            "source was found for them; read those rows as the last known price."
        )
    if html_output:
        if not text:
            return ""
        body = html.escape(text).replace("**Stale prices:**", "<strong>Stale prices:</strong>")
        return f"<p style='background:#fff3cd;padding:0.6em;border:1px solid #e0c060'>{body}</p>"
    from IPython.display import Markdown

    return Markdown(f"> {text}" if text else "")


def _as_of_html(record: dict) -> str:
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
    banner = ""
    try:
        from infermodel import prices

        banner = stale_banner(prices.as_of(as_of), html_output=True)
    except (ValueError, LookupError):
        banner = ""
    return (
        f"<p>{quarter}prices as of <strong>{html.escape(str(as_of))}</strong>{provisional}.</p>"
        + banner
    )


def _index_html(title: str, record: dict) -> str:
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
        f"{_as_of_html(record)}"
        f"<p>Built {html.escape(record['finished'])} from commit "
        f"<code>{html.escape(record['git_commit'])}</code>; price data sha256 "
        f"<code>{html.escape(record['data_sha256'][:16])}</code>. "
        "Run record: <a href='run_record.json'>run_record.json</a>.</p>"
        f"<h2>Notebooks</h2><ul>{''.join(items)}</ul></body></html>"
    )


def plan(manifest: Manifest, overrides: Mapping[str, object] | None = None) -> list[NotebookRun]:
    """Merge ``overrides`` into each notebook's parameters and check them all.

    An override applies to every notebook that declares it and must be declared by at least
    one; nothing is executed here.
    """
    overrides = dict(overrides or {})
    runs, used, known = [], set(), set()
    for run in manifest.notebooks:
        declared = notebook_parameters(run.path)
        known.update(declared)
        if TABLES_PARAMETER not in declared:
            raise ReportError(f"{run.path.name}: needs a '{TABLES_PARAMETER}' parameter (str)")
        mine = {k: v for k, v in overrides.items() if k in declared}
        used.update(mine)
        checked = check_parameters(run.path, {**run.parameters, **mine}, declared=declared)
        runs.append(NotebookRun(run.path, checked))
    unused = sorted(set(overrides) - used)
    if unused:
        valid = sorted(known - {TABLES_PARAMETER})
        raise ParameterError(
            f"unknown parameter {unused[0]!r} (in no notebook of the report); valid: "
            + ", ".join(valid)
        )
    return runs


def build_report(
    out_dir: Path,
    *,
    manifest: Manifest | None = None,
    overrides: Mapping[str, object] | None = None,
    show_code: bool = False,
    progress: Callable[[str], None] = print,
    record_extra: Mapping[str, object] | None = None,
) -> Path:
    """Build a report into ``out_dir``, all or nothing; return ``out_dir``.

    ``record_extra`` (e.g. ``as_of``, ``quarter``, ``provisional``) is added to the run
    record and shown on the index page. After the swap, ``index.html`` in ``out_dir``'s
    parent is rewritten to list every built report there (:func:`write_reports_index`).

    Raises :class:`ParameterError` before any kernel starts, or :class:`ReportError` naming
    the notebook and cell that failed; ``out_dir`` is then left as it was.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from infermodel.prices import data_hash

    manifest = Manifest.load() if manifest is None else manifest
    runs = plan(manifest, overrides)
    out_dir = Path(out_dir).resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    staging = out_dir.parent / f".{out_dir.name}.building-{stamp}-{os.getpid()}"
    tables = staging / "tables"
    tables.mkdir(parents=True)
    record = {
        "title": manifest.title,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "data_sha256": data_hash(),
        "packages": package_versions(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        **dict(record_extra or {}),
        "notebooks": [],
    }
    if "as_of" not in record:
        as_of = next((r.parameters["as_of"] for r in runs if "as_of" in r.parameters), None)
        if as_of is not None:
            record["as_of"] = str(as_of)
    try:
        for number, run in enumerate(runs, start=1):
            progress(f"[{number}/{len(runs)}] {run.path.name} ...")
            executed = staging / run.path.name
            before = set(tables.iterdir())
            started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            start = time.perf_counter()
            try:
                papermill.execute_notebook(
                    str(run.path),
                    str(executed),
                    parameters={**run.parameters, TABLES_PARAMETER: str(tables)},
                    kernel_name="python3",
                    cwd=str(run.path.parent),
                    progress_bar=False,
                )
            except PapermillExecutionError as exc:
                cell = _source_cell_number(executed, exc.cell_index)
                failed = _keep_failed(staging, out_dir)
                raise ReportError(
                    f"{run.path.name} failed in cell #{cell} (In [{exc.exec_count}]): "
                    f"{exc.ename}: {exc.evalue}. The executed notebook is "
                    f"kept in {failed}; the previous report in {out_dir} is untouched."
                ) from None
            seconds = time.perf_counter() - start
            render_html(executed, staging / f"{run.name}.html", show_code=show_code)
            record["notebooks"].append(
                {
                    "name": run.name,
                    "notebook": run.path.name,
                    "html": f"{run.name}.html",
                    "parameters": run.parameters,
                    "started": started,
                    "seconds": round(seconds, 2),
                    "tables": sorted(p.name for p in set(tables.iterdir()) - before),
                }
            )
            progress(f"[{number}/{len(runs)}] {run.path.name} done in {seconds:.1f} s")
        record["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        record["total_seconds"] = round(sum(n["seconds"] for n in record["notebooks"]), 2)
        (staging / "run_record.json").write_text(json.dumps(record, indent=2, default=str))
        (staging / "index.html").write_text(_index_html(manifest.title, record), encoding="utf-8")
    except ReportError:
        raise
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap_into_place(staging, out_dir)
    write_reports_index(out_dir.parent)
    return out_dir


def write_reports_index(reports_dir: Path = paths.REPORTS_DIR) -> Path:
    """Write ``reports_dir/index.html``: every built report there, newest as-of date first."""
    reports_dir = Path(reports_dir)
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
    banner = _as_of_html(latest) if latest else "<p>No report built yet.</p>"
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
    target.write_text(page, encoding="utf-8")
    return target


def build_quarterly(
    quarter: str,
    *,
    out_dir: Path | None = None,
    manifest: Manifest | None = None,
    overrides: Mapping[str, object] | None = None,
    today: object | None = None,
    show_code: bool = False,
    progress: Callable[[str], None] = print,
) -> Path:
    """Build the quarterly report for ``quarter`` (``YYYYQn``) into ``reports/<quarter>/``.

    Notebooks get ``as_of`` = the quarter's last day (today, provisional, for the running
    quarter) and, where declared, ``previous_as_of`` = the previous quarter's last day.

    Raises
    ------
    ValueError
        A malformed quarter, or one that has not started.
    infermodel.prices.NoPricesError
        No price observation on or before the as-of date; nothing is written.
    """
    from infermodel import prices
    from infermodel.quarters import Quarter, report_date

    parsed = Quarter.parse(quarter)
    as_of, provisional = report_date(parsed, today=today)
    try:
        prices.as_of(as_of)
    except prices.NoPricesError as exc:
        raise prices.NoPricesError(f"quarter {parsed}: {exc}") from None
    manifest = Manifest.load(QUARTERLY_MANIFEST) if manifest is None else manifest
    wanted = {"as_of": as_of.strftime("%Y-%m-%d")}
    if any("previous_as_of" in notebook_parameters(run.path) for run in manifest.notebooks):
        wanted["previous_as_of"] = parsed.previous.end.strftime("%Y-%m-%d")
    title = f"{manifest.title}: {parsed}" + (" (provisional)" if provisional else "")
    manifest = Manifest(title, manifest.notebooks)
    out_dir = paths.REPORTS_DIR / parsed.label if out_dir is None else Path(out_dir)
    return build_report(
        out_dir,
        manifest=manifest,
        overrides={**wanted, **dict(overrides or {})},
        show_code=show_code,
        progress=progress,
        record_extra={
            "quarter": parsed.label,
            "as_of": wanted["as_of"],
            "provisional": provisional,
        },
    )


def _source_cell_number(executed: Path, cell_index: int) -> int:
    """1-based number of the failing cell in the *source* notebook.

    papermill inserts an ``injected-parameters`` cell (counted in ``cell_index``) and error
    banner cells (not counted); the user's notebook has neither.
    """
    import nbformat

    try:
        cells = nbformat.read(executed, as_version=4).cells
    except (OSError, ValueError):
        return cell_index + 1
    cells = [
        c for c in cells if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])
    ]
    injected = sum(
        "injected-parameters" in c.get("metadata", {}).get("tags", []) for c in cells[:cell_index]
    )
    return cell_index + 1 - injected


def _keep_failed(staging: Path, out_dir: Path) -> Path:
    failed = out_dir.parent / ".failed" / f"{out_dir.name}-{staging.name.rsplit('-', 2)[-2]}"
    failed.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(failed, ignore_errors=True)
    staging.rename(failed)
    return failed


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    if out_dir.exists():
        out_dir.rename(old)
    staging.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
