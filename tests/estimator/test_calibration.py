"""The estimator against the world: the fit, its leave-one-source-out error, the refit command.

Every error the README, docs/estimator.md and data/throughput_efficiency.csv state is
recomputed here from the shipped points.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from infermodel import cli, paths, plots, tables
from infermodel.estimator import calibration, refit
from infermodel.estimator.throughput import estimate_table

#: Left out of make check: the leave-one-source-out fit (seconds) is set up for these tests.
pytestmark = pytest.mark.slow

MEASURED = tables.load_measured()
ROOT = Path(__file__).resolve().parents[2]
README, ESTIMATOR_DOC = ROOT / "README.md", ROOT / "docs" / "estimator.md"


@pytest.fixture(scope="module")
def calibrated() -> pd.DataFrame:
    return calibration.calibration(MEASURED)


@pytest.fixture(scope="module")
def regimes(calibrated) -> pd.DataFrame:
    return calibration.error_by_regime(calibrated)


# --- the measured points ----------------------------------------------------------------


def test_the_points_span_engines_vendors_architectures_loads_and_publishers():
    assert MEASURED["source_url"].str.len().gt(10).all()
    assert MEASURED["engine_version"].notna().all() and MEASURED["reading"].notna().all()
    assert set(MEASURED["engine"]) == {"vllm", "sglang", "trtllm"}
    vendors = MEASURED["gpu"].map(tables.load_gpu_specs().set_index("gpu")["vendor"])
    assert set(vendors) == {"NVIDIA", "AMD"}
    experts = MEASURED["model"].map(tables.load_model_specs().set_index("model")["experts"])
    assert (experts > 1).sum() >= 40 and (experts == 1).sum() >= 100
    assert MEASURED["publisher"].nunique() >= 6
    assert (MEASURED["concurrency"] == 1).sum() >= 5 and MEASURED["concurrency"].isna().sum() >= 30
    assert MEASURED["input_tokens"].min() <= 200 and MEASURED["input_tokens"].max() >= 20_000


# --- the fit ----------------------------------------------------------------------------


def test_shipped_factors_are_the_fit_on_the_shipped_points():
    shipped = tables.load_efficiencies()
    fitted = calibration.fit_efficiency(MEASURED)
    assert set(shipped) == {k for k in fitted if k != ("trtllm", "AMD")}
    for key, factors in shipped.items():
        assert factors.as_dict() == pytest.approx(fitted[key].as_dict(), rel=1e-4, abs=1e-6), key
    table = tables.load_efficiency_table()
    assert (table["points"] == calibration.fitted_points(MEASURED).sum()).all()
    assert (table["publishers"] == MEASURED["publisher"].nunique()).all()


def test_bursts_are_predicted_not_fitted():
    bursts = MEASURED["arrival"] == "burst"
    assert bursts.sum() >= 10
    without = calibration.fit_efficiency(MEASURED[~bursts].reset_index(drop=True))
    assert calibration.fit_efficiency(MEASURED) == without


def test_each_publisher_weighs_as_the_square_root_of_its_points():
    # 4 points of A and 1 of B: raw weights 1/2 and 1, normalised to a mean of one:
    # mean = (4 x 0.5 + 1) / 5 = 0.6, so A's points weigh 0.5 / 0.6 and B's 1 / 0.6
    weights = calibration._weights(np.array(["A", "A", "A", "A", "B"], dtype=object))
    assert weights == pytest.approx([0.5 / 0.6] * 4 + [1 / 0.6])
    # A's four points together weigh 4 x 0.833 = 3.33, B's one 1.67: twice, not four times


def test_leave_one_source_out_predicts_a_publisher_by_a_fit_without_it(calibrated):
    out = MEASURED["publisher"] == "Oracle"
    factors = calibration.fit_efficiency(MEASURED[~out].reset_index(drop=True))
    configs = MEASURED[out].assign(static_batch=MEASURED[out]["arrival"] == "static")
    expected = estimate_table(configs, efficiency=factors)["output_tokens_per_second"]
    got = calibrated.loc[out.to_numpy(), "loso_estimated_tokens_per_second"]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-6)


def test_leave_one_source_out_is_no_better_than_in_sample(calibrated):
    fitted = calibrated[calibrated["fitted"]]
    assert fitted["loso_ape"].median() >= fitted["ape"].median()
    ape = (fitted["estimated_tokens_per_second"] / fitted["output_tokens_per_second"] - 1).abs()
    np.testing.assert_allclose(fitted["ape"], ape * 100)


def test_the_errors_meet_the_aims(calibrated, regimes):
    accuracy = calibration.accuracy(calibrated).set_index("fit")
    assert accuracy.loc["leave-one-source-out", "median_ape_percent"] <= 25
    by_kind = regimes[~regimes["regime"].isin(["publisher", "not fitted"])]
    assert (by_kind.loc[by_kind["points"] > 0, "loso_median_ape_percent"] <= 50).all(), by_kind
    # the efficiency table's note quotes the same figures
    inside, out = accuracy.loc["in-sample"], accuracy.loc["leave-one-source-out"]
    note = tables.load_efficiency_table()["note"].iloc[0]
    assert (
        f"{inside['median_ape_percent']:.1f}% / {inside['worst_ape_percent']:.1f}% in-sample, "
        f"{out['median_ape_percent']:.1f}% / {out['worst_ape_percent']:.1f}% "
        "leave-one-source-out" in note
    )


def test_every_fitted_point_falls_in_one_group_of_each_regime(calibrated, regimes):
    fitted = int(calibrated["fitted"].sum())
    for regime in calibration.REGIMES:
        assert regimes.loc[regimes["regime"] == regime, "points"].sum() == fitted, regime
    assert regimes.loc[regimes["regime"] == "publisher", "points"].sum() == fitted
    bursts = regimes.set_index("regime").loc["not fitted"]
    assert bursts["points"] == (~calibrated["fitted"]).sum()
    amd = calibrated[calibrated["fitted"] & (calibrated["vendor"] == "AMD")]
    row = regimes.set_index(["regime", "group"]).loc[("vendor", "AMD")]
    assert row["loso_median_ape_percent"] == pytest.approx(amd["loso_ape"].median())
    signed = (amd["loso_estimated_tokens_per_second"] / amd["output_tokens_per_second"] - 1) * 100
    assert row["loso_mean_signed_error_percent"] == pytest.approx(signed.mean())
    assert row["publishers"] == amd["publisher"].nunique()


# --- the README ---------------------------------------------------------------------------


def _readme_table() -> pd.DataFrame:
    """The rows of the estimator page's table of errors by regime (between its two markers)."""
    text = ESTIMATOR_DOC.read_text(encoding="utf-8")
    block = text.split("<!-- throughput-errors:start -->")[1].split("<!-- throughput-errors:end")[0]
    rows = []
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"\d+", cells[2]):
            rows.append(cells)
    return pd.DataFrame(rows, columns=["regime", "group", "points", "publishers", "median"])


def test_the_readme_and_the_estimator_page_state_the_recomputed_errors(calibrated, regimes):
    table = _readme_table()
    assert len(table) >= 15
    by = regimes.set_index(["regime", "group"])
    for row in table.itertuples():
        key = (row.regime, row.group.replace(" GPUs", "") if row.regime == "vendor" else row.group)
        assert int(row.points) == by.loc[key, "points"], key
        assert int(row.publishers) == by.loc[key, "publishers"], key
        assert row.median == f"{by.loc[key, 'loso_median_ape_percent']:.0f}%", key
    # the sentences above the table, and the README's
    text = ESTIMATOR_DOC.read_text(encoding="utf-8")
    accuracy = calibration.accuracy(calibrated).set_index("fit")
    out, inside = accuracy.loc["leave-one-source-out"], accuracy.loc["in-sample"]
    words = " ".join(text.split())
    assert (
        f"{out['median_ape_percent']:.0f}% off at the median over {int(out['points'])} measured "
        f"points from {int(out['publishers'])} publishers" in words
    )
    assert (
        f"({inside['median_ape_percent']:.0f}% in-sample; 90th percentile "
        f"{out['p90_ape_percent']:.0f}%)" in words
    )
    kinds = regimes[~regimes["regime"].isin(["all", "publisher", "not fitted"])]
    assert f"worse than {kinds['loso_median_ape_percent'].max():.0f}% at the median" in words
    for publisher in MEASURED["publisher"].unique():  # every source is named
        assert publisher in words, publisher
    dstack = by.loc[("publisher", "dstack"), "loso_median_ape_percent"]
    assert f"dstack's DeepSeek-R1 runs of early 2025 ({dstack:.0f}%)" in words
    readme = " ".join(README.read_text(encoding="utf-8").split())
    assert (
        f"is {out['median_ape_percent']:.0f}% off published measurements at the median when "
        "each publisher's points are predicted by a fit that never saw them "
        f"({int(out['points'])} points from {int(out['publishers'])} publishers; "
        f"{inside['median_ape_percent']:.0f}% in-sample)" in readme
    )


# --- refitting ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def refitted(tmp_path_factory) -> tuple[refit.Refit, Path]:
    folder = tmp_path_factory.mktemp("refit")
    for path in (paths.EFFICIENCY_CSV, paths.SERVING_CSV):
        shutil.copy(path, folder / path.name)
    done = refit.refit(
        efficiency_path=folder / paths.EFFICIENCY_CSV.name,
        serving_path=folder / paths.SERVING_CSV.name,
        write=True,
    )
    return done, folder


def test_a_refit_of_the_shipped_points_reproduces_the_shipped_files(refitted):
    done, folder = refitted
    assert (folder / paths.EFFICIENCY_CSV.name).read_bytes() == paths.EFFICIENCY_CSV.read_bytes()
    assert (folder / paths.SERVING_CSV.name).read_bytes() == paths.SERVING_CSV.read_bytes()
    assert len(done.written) == 2


def test_a_refit_reports_the_errors_before_and_after(refitted, calibrated):
    done, _ = refitted
    errors = done.errors.set_index("fit")
    assert list(errors.index) == [
        "before: shipped factors on these points",
        "after: in-sample",
        "after: leave-one-source-out",
    ]
    accuracy = calibration.accuracy(calibrated).set_index("fit")
    assert errors.loc["after: leave-one-source-out", "median_ape_percent"] == pytest.approx(
        accuracy.loc["leave-one-source-out", "median_ape_percent"]
    )
    # the shipped factors are this fit, so before = after in-sample
    assert errors.iloc[0]["median_ape_percent"] == pytest.approx(
        errors.loc["after: in-sample", "median_ape_percent"], rel=1e-4
    )
    assert (done.rows["change_percent"].abs() < 0.01).all()
    assert len(done.rows) == 6


def test_a_refit_on_other_points_moves_the_rows_and_says_so(tmp_path):
    # drop NVIDIA's 145 points: the factors, and the rows that rest on them, move
    measured = tmp_path / "measured.csv"
    frame = pd.read_csv(paths.MEASURED_CSV, dtype=str, keep_default_na=False)
    frame[frame["publisher"] != "NVIDIA"].to_csv(measured, index=False)
    for path in (paths.EFFICIENCY_CSV, paths.SERVING_CSV):
        shutil.copy(path, tmp_path / path.name)
    serving_before = (tmp_path / paths.SERVING_CSV.name).read_text()
    dry = refit.refit(
        measured_path=measured,
        efficiency_path=tmp_path / paths.EFFICIENCY_CSV.name,
        serving_path=tmp_path / paths.SERVING_CSV.name,
    )
    assert dry.written == ()
    assert (tmp_path / paths.SERVING_CSV.name).read_text() == serving_before  # a dry run
    assert (dry.rows["change_percent"].abs() > 0.5).any()
    assert (
        dry.errors.iloc[0]["points"]
        == calibration.fitted_points(tables.load_measured(measured)).sum()
    )


def test_cli_refit_answers_first_and_writes_nothing_without_write(capsys):
    before = paths.EFFICIENCY_CSV.read_bytes()
    assert cli.main(["throughput", "--refit"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Refitted on ")
    assert "leave-one-source-out" in out.splitlines()[0]
    assert "Dry run: nothing written; add --write" in out
    assert "before: shipped factors on these points" in out
    assert paths.EFFICIENCY_CSV.read_bytes() == before


def test_the_chart_sets_the_bursts_apart(calibrated):
    chart = plots.estimate_vs_measured(calibrated)
    bursts = int((~calibrated["fitted"]).sum())
    assert f"{len(calibrated)} measured throughputs against the estimate ({bursts} of them" in (
        chart.alt
    )
    labels = [t.get_text() for t in chart.figure.axes[0].get_legend().get_texts()]
    assert "bursts of varying lengths (not fitted), publisher left out" in labels
