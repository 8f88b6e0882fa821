"""Refitting the throughput estimator in one step, with its errors before and after.

When ``data/throughput_measured.csv`` gains points (or the step model changes), the fitted
factors, the estimated serving rows that rest on them and the generated latency rows must move
together. :func:`refit` fits the factors again (:mod:`infermodel.estimator.calibration`),
measures the error of the shipped factors and of the new fit on the same points, and, asked
to write, replaces ``data/throughput_efficiency.csv``, the ``estimated-*`` rows of
``data/serving_assumptions.csv``
(:func:`infermodel.estimator.throughput_rows.refreshed_estimate_row`) and the latency rows
(:func:`infermodel.estimator.latency.write_serving_rows`).

``infermodel throughput --refit`` prints :func:`infermodel.narrative.refit_answer` (the answer
first), then the before/after table and the serving rows that move; ``--write`` writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from infermodel import paths, tables
from infermodel.errors import DataError, TableError
from infermodel.estimator import calibration, latency
from infermodel.estimator.throughput import estimate
from infermodel.estimator.throughput_rows import (
    efficiency_summary,
    is_estimate_row,
    refreshed_estimate_row,
    replace_serving_lines,
)

#: Request shape of the shipped ``estimated-*`` rows. [tokens]
ESTIMATE_ROW_TOKENS = (1000, 1000)


@dataclass(frozen=True)
class Refit:
    """What a refit changes: errors before and after, factors, and the serving rows that move."""

    errors: pd.DataFrame  # fit, points, publishers, median/p90/worst APE [%]
    calibrated: pd.DataFrame  # calibration.calibration() of the measured points
    efficiency: pd.DataFrame  # the new rows of data/throughput_efficiency.csv
    rows: pd.DataFrame  # assumption_id, before/after output tokens per hour per replica
    written: tuple[str, ...]  # files written (empty for a dry run)


def _shipped_errors(measured: pd.DataFrame, efficiency_path: Path) -> dict | None:
    """Median, p90 and worst error of the shipped factors on the fitted points, or None."""
    try:
        shipped = tables.load_efficiencies(efficiency_path)
    except (TableError, DataError, FileNotFoundError):
        return None  # an older or missing table: there is no "before" to compare
    keep = calibration.fitted_points(measured)
    predicted = calibration.predict(measured[keep], shipped)
    ape = np.abs(predicted / measured.loc[keep, "output_tokens_per_second"].to_numpy() - 1) * 100
    return {
        "fit": "before: shipped factors on these points",
        "points": int(keep.sum()),
        "publishers": int(measured.loc[keep, "publisher"].nunique()),
        "median_ape_percent": float(np.median(ape)),
        "p90_ape_percent": float(np.quantile(ape, 0.9)),
        "worst_ape_percent": float(ape.max()),
    }


def _estimate_rows(serving_path: Path, efficiency) -> list[tuple[dict, pd.Series]]:
    """Each shipped estimate row (cells as text) with the estimator's row under ``efficiency``."""
    frame = pd.read_csv(serving_path, dtype=str, keep_default_na=False)
    out = []
    for row in frame.to_dict("records"):
        if not is_estimate_row(row):
            continue
        shape = (row["model"], row["gpu"], int(row["gpus_per_replica"]), row["precision"])
        out.append((row, estimate(*shape, *ESTIMATE_ROW_TOKENS, efficiency=efficiency).iloc[0]))
    return out


def refit(
    *,
    measured_path: Path = paths.MEASURED_CSV,
    efficiency_path: Path = paths.EFFICIENCY_CSV,
    serving_path: Path = paths.SERVING_CSV,
    targets_path: Path = paths.SERVING_TARGETS_CSV,
    write: bool = False,
) -> Refit:
    """Fit the factors again on ``measured_path``; with ``write``, replace what rests on them.

    Parameters
    ----------
    measured_path
        The measured points (``data/throughput_measured.csv``).
    efficiency_path, serving_path, targets_path
        The fitted factors, the serving table whose ``estimated-*`` and latency rows are
        regenerated, and the latency targets those rows come from.
    write
        Write the three results (atomically, each under its file's lock); a dry run otherwise.

    Returns
    -------
    Refit
        ``errors``: the shipped factors' error on the measured points (when the shipped table
        loads), and the new fit's in-sample and leave-one-source-out errors; ``rows``: each
        estimated serving row's output tokens per hour before and after.
    """
    measured = tables.load_measured(measured_path)
    before = _shipped_errors(measured, efficiency_path)
    calibrated = calibration.calibration(measured)
    after = calibration.accuracy(calibrated)
    after["fit"] = "after: " + after["fit"]
    errors = pd.DataFrame(([before] if before else []) + after.to_dict("records"))
    table = calibration.efficiency_table(
        measured, calibrated=calibrated, source=f"data/{Path(measured_path).name}"
    )
    fitted = calibration.fit_efficiency(measured)
    rows = [
        {
            "assumption_id": row["assumption_id"],
            "before_output_tokens_per_hour": float(row["output_tokens_per_hour_per_replica"]),
            "after_output_tokens_per_hour": est["output_tokens_per_second"] * 3600,
        }
        for row, est in _estimate_rows(Path(serving_path), fitted)
    ]
    moved = pd.DataFrame(rows, columns=_ROW_COLUMNS)
    moved["change_percent"] = (
        moved["after_output_tokens_per_hour"] / moved["before_output_tokens_per_hour"] - 1
    ) * 100
    written: tuple[str, ...] = ()
    if write:
        written = _write(measured_path, efficiency_path, serving_path, targets_path, calibrated)
    return Refit(errors, calibrated, table, moved, written)


_ROW_COLUMNS = ["assumption_id", "before_output_tokens_per_hour", "after_output_tokens_per_hour"]


def _write(measured_path, efficiency_path, serving_path, targets_path, calibrated):
    """Write the factors, then the estimate rows and latency rows computed from them."""
    calibration.write_efficiency(
        Path(efficiency_path), measured_path=Path(measured_path), calibrated=calibrated
    )
    efficiency = tables.load_efficiencies(efficiency_path)
    summary = efficiency_summary(Path(efficiency_path))
    observed = pd.Timestamp(tables.load_efficiency_table(efficiency_path)["observed_on"].max())
    fresh = {
        row["assumption_id"]: {
            **refreshed_estimate_row(row, est, summary),
            "observed_on": observed.strftime("%Y-%m-%d"),
        }
        for row, est in _estimate_rows(Path(serving_path), efficiency)
    }
    replace_serving_lines(Path(serving_path), lambda row: fresh.get(row["assumption_id"]))
    latency.write_serving_rows(
        Path(serving_path), targets_path=Path(targets_path), efficiency_path=Path(efficiency_path)
    )
    return (str(efficiency_path), str(serving_path))


__all__ = ["ESTIMATE_ROW_TOKENS", "Refit", "refit"]
