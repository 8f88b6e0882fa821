"""Set-up and house rules: one dependency list, thin clean notebooks, the front door commands."""

from __future__ import annotations

import json
import re
import tomllib

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement

from infermodel import paths
from infermodel.reports import manifest

ROOT = paths.ROOT_DIR


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _canonical(spec: str) -> tuple[str, str]:
    requirement = Requirement(spec.replace(" ", ""))
    return requirement.name.lower().replace("_", "-"), str(requirement.specifier)


def test_environment_yml_lists_exactly_the_pyproject_dependencies():
    project = _pyproject()["project"]
    wanted = {_canonical(s) for s in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        wanted |= {_canonical(s) for s in extra}
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    listed = list(environment["dependencies"])
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):  # the pip: section, for packages conda-forge lacks
            listed += [s for s in entry.get("pip", []) if not s.startswith("-e")]
    conda = {
        _canonical(s) for s in listed if isinstance(s, str) and not s.startswith(("python", "pip"))
    }
    assert conda == wanted, (
        f"only in pyproject.toml: {sorted(wanted - conda)}; only in environment.yml: "
        f"{sorted(conda - wanted)}"
    )


def test_conda_python_matches_requires_python():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(
        s for s in environment["dependencies"] if isinstance(s, str) and s.startswith("python")
    )
    assert python.removeprefix("python") == _pyproject()["project"]["requires-python"]


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make report" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_makefile_targets_describe_themselves():
    makefile = (ROOT / "Makefile").read_text()
    described = set(re.findall(r"^([a-z-]+):.*## ", makefile, re.M))
    assert {"help", "report", "test", "lab", "validate"} <= described


NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


def test_committed_notebooks_are_clean_and_thin():
    for notebook in NOTEBOOKS:
        cells = json.loads(notebook.read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{notebook.name}: {len(tagged)} parameters cells"
        for cell in code:
            assert not cell.get("outputs"), f"{notebook.name}: outputs committed"
            assert not cell.get("execution_count"), f"{notebook.name}: execution counts committed"
            source = "".join(cell["source"])
            assert not re.search(r"^\s*(def|class)\s", source, re.M), f"{notebook.name}: def/class"
            assert "sys.path" not in source, f"{notebook.name}: sys.path hack"


def test_every_parameter_line_is_understood_by_papermill():
    # papermill silently drops a line it cannot parse (e.g. an '=' inside the comment), and
    # such a parameter could then not be checked or documented.
    for notebook in NOTEBOOKS:
        cells = json.loads(notebook.read_text())["cells"]
        source = "".join(
            next(c for c in cells if "parameters" in c.get("metadata", {}).get("tags", []))[
                "source"
            ]
        )
        assigned = re.findall(r"^(\w+)\s*:\s*\w+\s*=", source, re.M)
        declared = manifest.notebook_parameters(notebook)
        assert list(declared) == assigned, notebook.name
        assert manifest.TABLES_PARAMETER in declared
        for name, spec in declared.items():
            assert spec["inferred_type_name"] != "None", f"{notebook.name}: {name} has no type"
            assert spec["help"], f"{notebook.name}: {name} has no comment"


def test_report_manifest_names_existing_notebooks():
    report = manifest.Manifest.load()
    assert report.notebooks
    for run in report.notebooks:
        assert run.path.is_file()


def test_the_product_never_reads_the_shared_folder():
    for source in [*paths.PACKAGE_DIR.rglob("*.py"), *NOTEBOOKS, paths.REPORT_MANIFEST]:
        assert "shared/" not in source.read_text(), f"{source} refers to ../shared"


def test_notebooks_are_canonical_with_stable_cell_ids():
    # The .ipynb files are the source (README): saving one from JupyterLab must change only
    # what was edited, so each file is in nbformat's own layout and every cell has an id.
    for notebook in NOTEBOOKS:
        text = notebook.read_text()
        parsed = nbformat.reads(text, as_version=4)
        assert nbformat.writes(parsed) + "\n" == text, f"{notebook.name}: not nbformat's layout"
        ids = [cell.get("id") for cell in parsed.cells]
        assert all(ids), f"{notebook.name}: a cell without an id"
        assert len(set(ids)) == len(ids), f"{notebook.name}: duplicate cell ids"


@pytest.mark.slow
def test_readme_python_examples_run(readme_examples):
    assert len(readme_examples) >= 2
    for block in readme_examples:
        exec(compile(block, "README.md", "exec"), {"print": lambda *args, **kwargs: None})
