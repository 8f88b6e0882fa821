"""Manifests (which notebooks a report runs, with which parameters) and parameter checks.

A notebook's parameters are what papermill reads from its one cell tagged ``parameters``.
:func:`check_parameters` refuses, before any kernel starts, an unknown name, a wrong type, and
a value its rule in :data:`infermodel.parameters.RULES` refuses (the same rule as the
command-line option of the same name: ranges, dates with prices, serving assumptions and
offering labels that exist, files that exist); the rules see the notebook's other parameters,
defaults included, so an error five notebooks into a report is named before the first.
:func:`plan` does it for a whole manifest with command-line overrides, and refuses a
parameter the runner sets itself (``tables_dir``).
"""

from __future__ import annotations

import ast
import datetime as dt
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import papermill
import yaml

from infermodel import parameters as rules
from infermodel import paths
from infermodel.errors import InputError, ParameterError, ReportError

#: Parameter the runner fills in itself; notebooks declare it with an empty default.
TABLES_PARAMETER = "tables_dir"


@dataclass(frozen=True)
class NotebookRun:
    """One notebook of a manifest and the parameters it runs with.

    ``when`` names a parameter the notebook runs only with: a page that needs an input no
    default can stand for (a bill) is in the manifest, and runs when that parameter is
    given, by the manifest or on the command line (``-p bill_path=...``), and not empty.
    """

    path: Path
    parameters: dict = field(default_factory=dict)
    when: str | None = None

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
            text = path.read_text()
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            if node is not None:
                rules.refuse_yaml_features(text, node, label="it")
            raw = yaml.safe_load(text)
        except UnicodeDecodeError:
            raise ReportError(
                f"{path}: cannot read the report manifest: not UTF-8 text (a manifest is YAML)"
            ) from None
        except (OSError, yaml.YAMLError, InputError) as exc:
            raise ReportError(f"{path}: cannot read the report manifest: {exc}") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("notebooks"), list):
            raise ReportError(f"{path}: a manifest needs a 'notebooks' list")
        runs = []
        for i, entry in enumerate(raw["notebooks"], start=1):
            if not isinstance(entry, dict) or "path" not in entry:
                raise ReportError(f"{path}: notebooks[{i}] needs a 'path'")
            parameters = entry.get("parameters") or {}
            if not isinstance(parameters, dict):
                raise ReportError(f"{path}: notebooks[{i}].parameters must be a mapping")
            when = entry.get("when")
            if when is not None and (not isinstance(when, str) or not when.isidentifier()):
                raise ReportError(
                    f"{path}: notebooks[{i}].when must name one parameter of the notebook "
                    f"(the page runs only when it is given), got {when!r}"
                )
            runs.append(NotebookRun(path.parent / entry["path"], dict(parameters), when))
        return cls(str(raw.get("title", "infermodel report")), runs)


def notebook_parameters(notebook: Path) -> dict[str, dict]:
    """The parameters a notebook declares in its ``parameters`` cell (papermill's view).

    Returns ``{name: {"inferred_type_name": ..., "default": ..., "help": ...}}``.
    """
    notebook = Path(notebook)
    if not notebook.is_file():
        raise ReportError(f"notebook not found: {notebook}")
    with warnings.catch_warnings():  # nbformat's notes on old files are not the user's
        warnings.simplefilter("ignore")
        try:
            nbformat.validate(nbformat.read(notebook, as_version=4))
            return papermill.inspect_notebook(str(notebook))
        except _UNREADABLE as exc:
            raise ReportError(
                f"{notebook}: not a Jupyter notebook that can be run ({_why(exc)}); a manifest "
                "names .ipynb files saved by Jupyter"
            ) from None


#: What reading a file that is not a notebook raises (its bytes are never echoed).
_UNREADABLE = (
    OSError, UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError,
    RecursionError, nbformat.ValidationError,
)  # fmt: skip


def _why(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, nbformat.reader.NotJSONError) or type(exc).__name__ == "JSONDecodeError":
        return "not JSON"
    if isinstance(exc, nbformat.ValidationError):
        return f"not nbformat's layout: {str(exc.message)[:120]}"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return f"not nbformat's layout ({type(exc).__name__})"


_TYPE_CHECKS: dict[str, Callable[[object], bool]] = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, list),
    "dict": lambda v: isinstance(v, dict),
}


def _normalise(value: object, type_name: str) -> object:
    if isinstance(value, rules.Typed):  # typed after -p: read as the notebook declares
        return value.read(type_name)
    # YAML reads 2025-05-31 as a date; a notebook declaring a str parameter wants the text.
    if type_name == "str" and isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def defaults(declared: Mapping[str, dict]) -> dict:
    """The default values a notebook declares (those written as Python literals)."""
    values = {}
    for name, spec in declared.items():
        try:
            values[name] = ast.literal_eval(str(spec["default"]))
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return values


def check_parameters(
    notebook: Path,
    parameters: Mapping[str, object],
    *,
    declared: dict | None = None,
    cache: dict | None = None,
) -> dict:
    """Check ``parameters`` against the notebook's ``parameters`` cell; return them normalised.

    Raises :class:`ParameterError` for an unknown name or a value of the wrong type, listing
    every valid parameter with its type and default, and for a value (given or default) its
    rule refuses, naming the notebook and the parameter. Relative file paths are read from
    the notebook's folder, where its kernel runs. ``cache`` keeps the tables the rules read
    between calls (one plan).
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
        try:
            value = _normalise(value, type_name)
        except InputError as exc:
            raise ParameterError(f"{Path(notebook).name}: parameter {name!r}: {exc}") from None
        check = _TYPE_CHECKS.get(type_name)
        if check is not None and not check(value):
            raise ParameterError(
                f"{Path(notebook).name}: parameter {name!r} must be {type_name}, got "
                f"{type(value).__name__} {value!r}; valid parameters: {listing}"
            )
        checked[name] = value
    values = {**defaults(declared), **checked}
    values.pop(TABLES_PARAMETER, None)
    context = rules.Context(
        values, base_dir=Path(notebook).resolve().parent, cache={} if cache is None else cache
    )
    try:
        rules.check_all(values, context=context)
    except InputError as exc:
        raise ParameterError(f"{Path(notebook).name}: parameter {exc}") from None
    return checked


def _text_of(value: object) -> str:
    return value.text.strip() if isinstance(value, rules.Typed) else str(value).strip()


def plan(manifest: Manifest, overrides: Mapping[str, object] | None = None) -> list[NotebookRun]:
    """Merge ``overrides`` into each notebook's parameters and check them all.

    An override applies to every notebook that declares it and must be declared by at least
    one; a notebook with a ``when`` parameter that is not given (or empty) is left out of the
    plan. Nothing is executed here.
    """
    overrides = dict(overrides or {})
    if TABLES_PARAMETER in overrides:
        raise ParameterError(
            f"parameter {TABLES_PARAMETER!r} is set by the report runner (the report's tables/ "
            "folder) and cannot be given"
        )
    runs, used, known, cache = [], set(), set(), {}
    waiting: dict[str, NotebookRun] = {}  # parameter -> a notebook left out that declares it
    for run in manifest.notebooks:
        declared = notebook_parameters(run.path)
        known.update(declared)
        if run.when is not None:
            if run.when not in declared:
                raise ReportError(
                    f"{run.path.name}: the manifest runs it when {run.when!r} is given, a "
                    "parameter it does not declare"
                )
            given = {**run.parameters, **overrides}.get(run.when)
            if given is None or _text_of(given) == "":
                if given is not None:
                    used.add(run.when)  # given empty: no bill, and no page (a blank variable)
                waiting.update({name: run for name in declared if name not in waiting})
                continue
        if TABLES_PARAMETER not in declared:
            raise ReportError(f"{run.path.name}: needs a '{TABLES_PARAMETER}' parameter (str)")
        if TABLES_PARAMETER in run.parameters:
            raise ParameterError(
                f"the manifest sets {TABLES_PARAMETER!r} for {run.path.name}; the report runner "
                "sets it (the report's tables/ folder), remove it from the manifest"
            )
        mine = {k: v for k, v in overrides.items() if k in declared}
        used.update(mine)
        checked = check_parameters(
            run.path, {**run.parameters, **mine}, declared=declared, cache=cache
        )
        runs.append(NotebookRun(run.path, checked, run.when))
    unused = sorted(set(overrides) - used)
    for name in unused:
        if name in waiting:
            page = waiting[name]
            raise ParameterError(
                f"parameter {name!r} is for {page.path.name}, which runs only when "
                f"{page.when} is given (-p {page.when}=...)"
            )
    if unused:
        valid = sorted(known - {TABLES_PARAMETER})
        raise ParameterError(
            f"unknown parameter {unused[0]!r} (in no notebook of the report); valid: "
            + ", ".join(valid)
        )
    return runs
