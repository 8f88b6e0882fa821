"""The documentation: the README is the manual, the site builds strict, references resolve."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys

import pytest

import infermodel
from infermodel import _moved, paths

ROOT = paths.ROOT_DIR
README = (ROOT / "README.md").read_text()
#: A Sphinx-style reference in a docstring: :func:`infermodel.x.y` or :mod:`~infermodel.x`.
REFERENCE = re.compile(r":(?:mod|func|class|data|meth|attr|exc):`~?(infermodel(?:\.\w+)+)`")


def test_the_readme_is_a_manual_of_at_most_250_lines():
    assert len(README.splitlines()) <= 250
    assert "make report" in README and "make test" in README


def test_every_link_of_the_readme_names_a_file_that_exists():
    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if not target.startswith("http"):
            assert (ROOT / target).is_file(), f"README links to missing {target}"


def test_the_readme_layout_names_every_package_of_the_layer_map():
    from test_architecture import LAYERS

    layout = README.split("## Layout", 1)[1]
    for names in LAYERS.values():
        for name in names:
            shown = name if (paths.PACKAGE_DIR / f"{name}.py").is_file() else f"{name}/"
            assert shown in layout, f"the README's layout misses {shown}"


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            fields = getattr(value, "__annotations__", {})  # a dataclass field is no attribute
            if attr in fields and not hasattr(value, attr):
                return True
            if not hasattr(value, attr):
                return False
            value = getattr(value, attr)
        return True
    return False


def test_every_docstring_reference_names_something_that_exists():
    broken = []
    for source in sorted(paths.PACKAGE_DIR.rglob("*.py")):
        for dotted in REFERENCE.findall(source.read_text()):
            if dotted.rsplit(".", 1)[0] in _moved.MOVED or dotted in _moved.MOVED:
                broken.append(f"{source.name}: {dotted} (an old path)")
            elif not _resolves(dotted):
                broken.append(f"{source.name}: {dotted}")
    assert not broken, broken


def test_the_api_page_documents_every_public_name_and_the_changelog_every_move():
    api = (ROOT / "docs" / "api.md").read_text()
    for name in infermodel.__all__:
        if name != "__version__":
            assert f"`im.{name}`" in api, name
    changelog = (ROOT / "docs" / "changelog.md").read_text()
    for old, new in _moved.MOVED.items():
        assert f"| `{old}` | `{new}` |" in changelog


@pytest.mark.xdist_group("docs")
@pytest.mark.slow
def test_the_site_builds_strict(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", tmp_path / "site"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    assert "Price one workload on every offering" in api or "cost_table" in api


@pytest.mark.xdist_group("docs")
def test_a_broken_link_fails_the_strict_build(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# x\n\n[gone](nowhere.md)\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: x\ndocs_dir: docs\nstrict: true\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            config,
            "-d",
            tmp_path / "site",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode != 0 and "nowhere.md" in done.stderr
