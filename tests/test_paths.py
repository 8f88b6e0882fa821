"""Where the kit reads its shipped files and where it writes the user's, in a checkout and
when installed."""

from __future__ import annotations

from pathlib import Path

from infermodel import paths


def test_a_checkout_reads_its_own_data_and_notebooks():
    assert not paths.INSTALLED
    assert paths.DATA_DIR == paths.PACKAGE_DIR.parent / "data"
    assert paths.NOTEBOOKS_DIR == paths.PACKAGE_DIR.parent / "notebooks"
    assert paths.REPORTS_DIR == paths.PACKAGE_DIR.parent / "reports"


def test_the_user_data_folder_is_the_option_then_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv(paths.DATA_DIR_VARIABLE, str(tmp_path / "from-env"))
    assert paths.user_data_dir(tmp_path / "given") == tmp_path / "given"
    assert paths.user_data_dir() == tmp_path / "from-env"
    assert paths.user_data_dir("") == tmp_path / "from-env"  # an unset shell variable
    monkeypatch.delenv(paths.DATA_DIR_VARIABLE)
    assert paths.user_data_dir() is None  # a checkout: none unless named


def test_an_installed_kit_writes_reports_to_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "INSTALLED", True)
    monkeypatch.delenv(paths.DATA_DIR_VARIABLE, raising=False)
    assert paths.user_data_dir() == paths.DEFAULT_USER_DATA_DIR
    assert paths.reports_dir() == paths.DEFAULT_USER_DATA_DIR / "reports"
    assert paths.reports_dir(tmp_path) == tmp_path / "reports"
    assert paths.DEFAULT_USER_DATA_DIR.name == "infermodel"
    assert Path.home() in paths.DEFAULT_USER_DATA_DIR.parents
