"""The house plan, enforced: layers that point one way, no cycles, short functions.

The layers (docs/architecture.md), lowest first; a module may import modules of its own layer
or a lower one, never a higher one:

0. foundation: errors, units, paths, checks (modules at the top of the package)
1. formulas: formulas/ (pure, vectorized, no I/O)
2. data: tables/, prices/, readers/, workloads
3. analysis: pricing/, estimator/, analyses/, parameters/
4. presentation: display/, narrative/, plots/, reports/, cli/

A module's layer is its package's: this map is the one place it is written.

Imports inside a function are allowed only where a module says why: the command line defers
the report machinery for start-up speed, and an optional extra is imported where it is used.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from infermodel import paths

LAYERS = {
    "foundation": ["_compat", "_moved", "errors", "units", "paths", "checks"],
    "formulas": ["formulas"],
    "data": ["tables", "prices", "readers", "workloads"],
    "analysis": ["pricing", "estimator", "analyses", "parameters"],
    "presentation": ["display", "narrative", "plots", "reports", "cli"],
}
RANK = {name: rank for rank, names in enumerate(LAYERS.values()) for name in names}
#: Imports inside functions, each with the reason it is there: (module, imported module).
DEFERRED = {
    # `infermodel report` alone needs papermill and nbconvert; other commands start without.
    ("infermodel.cli.report", "infermodel.reports.folders"),
    ("infermodel.cli.report", "infermodel.reports.manifest"),
    ("infermodel.cli.report", "infermodel.reports.runner"),
    # genai-prices is an optional extra (infermodel[prices]).
    ("infermodel.readers.genai_prices", "genai_prices.data"),
    # pyspark, sqlglot and pyarrow are the optional extra infermodel[spark], imported only
    # when a log is read with engine="spark".
    ("infermodel.readers.logs.dialects", "sqlglot"),
    ("infermodel.readers.logs.engines", "pyspark.sql"),
    ("infermodel.readers.logs.engines", "pyarrow"),
    ("infermodel.readers.logs.spark_sessions", "sqlglot"),
    ("infermodel.readers.logs.spark_sessions", "pyspark.sql"),
    ("infermodel.readers.logs.spark_sessions", "pyspark.errors"),
    ("infermodel.readers.logs.spark_sessions", "pyspark.logger"),
    ("infermodel.readers.logs.spark_sessions", "pyspark.testing.utils"),
    ("infermodel.readers.logs.spark_sessions", "py4j.protocol"),
    ("infermodel.readers.logs.spark_sources", "pyspark.sql"),
    ("infermodel.readers.logs.spark_sources", "pyarrow"),
}
MAX_FUNCTION_LINES = 100


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(paths.PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(paths.ROOT_DIR).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _top(module: str) -> str:
    """The layer key of a module: ``infermodel.readers.logs`` -> ``readers``."""
    return module.split(".")[1] if module.count(".") else ""


def _resolve(module: str, node: ast.ImportFrom) -> list[str]:
    """The infermodel modules an ``import from`` names (``from infermodel import a, b``)."""
    if node.level:  # relative import
        base = module.rsplit(".", node.level)[0]
        target = f"{base}.{node.module}" if node.module else base
    else:
        target = node.module or ""
    if not target.startswith("infermodel"):
        return [target]
    named = [f"{target}.{alias.name}" for alias in node.names]
    return [n for n in named if n in MODULES] or [target]


def _imports(module: str) -> list[tuple[str, bool, int]]:
    """(imported module, inside a function?, line) for every import of ``module``."""
    tree = ast.parse(MODULES[module].read_text())
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside |= {id(child) for child in ast.walk(node) if child is not node}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in inside, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found += [(name, id(node) in inside, node.lineno) for name in _resolve(module, node)]
    return found


def test_every_module_has_a_layer():
    unplaced = sorted(
        m for m in MODULES if m != "infermodel" and _top(m) not in RANK and _top(m) != "__main__"
    )
    assert not unplaced, f"modules with no layer (add them to docs/architecture.md): {unplaced}"


@pytest.mark.parametrize("module", [m for m in MODULES if _top(m) in RANK])
def test_imports_point_down(module):
    mine = RANK[_top(module)]
    upward = [
        f"line {line}: {target}"
        for target, _, line in _imports(module)
        if target.startswith("infermodel.") and RANK.get(_top(target), -1) > mine
    ]
    assert not upward, f"{module} imports a higher layer: {upward}"


@pytest.mark.slow
def test_no_import_cycles():
    graph = {
        m: {t for t, _, _ in _imports(m) if t in MODULES and t != m and t != "infermodel"}
        for m in MODULES
    }
    # A package imports its own submodules to re-export them: that edge is not a cycle.
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.slow
def test_imports_inside_functions_only_where_a_reason_is_recorded():
    found = {
        (module, target, line)
        for module in MODULES
        for target, inside, line in _imports(module)
        if inside
    }
    unexplained = sorted(
        f"{m}:{line} imports {t}" for m, t, line in found if (m, t) not in DEFERRED
    )
    assert not unexplained, f"imports inside functions without a recorded reason: {unexplained}"


@pytest.mark.slow
def test_functions_are_small():
    # Modules are split by meaning, not by a line count (docs/architecture.md); functions
    # stay short enough to read in one screen.
    too_big = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_big.append(f"{module}.{node.name}: {length} lines")
    assert not too_big, f"split these by meaning: {too_big}"


@pytest.mark.slow
def test_pandera_is_imported_only_through_compat():
    # infermodel._compat quiets pandera's probe for pyspark.pandas before pandera is first
    # imported; a module importing pandera itself could come first and bring the warning back.
    direct = sorted(
        f"{module}:{line}"
        for module in MODULES
        if module != "infermodel._compat"
        for target, _, line in _imports(module)
        if target.split(".")[0] == "pandera"
    )
    assert not direct, f"import pandera through infermodel._compat: {direct}"


def test_test_folders_mirror_the_packages():
    # tests/<package>/ tests infermodel/<package>/; the kit-wide suites stay at the top.
    tests = Path(__file__).resolve().parent
    folders = {p.name for p in tests.iterdir() if p.is_dir() and any(p.glob("test_*.py"))}
    packages = {p.parent.name for p in paths.PACKAGE_DIR.glob("*/__init__.py")}
    assert folders and folders <= packages, sorted(folders - packages)
