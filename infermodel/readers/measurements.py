"""Measured serving throughput from a user's own benchmark files, for calibration.

Two formats: a generic CSV in the shape of ``data/throughput_measured.csv``
(:func:`read_measured_csv`) and the JSON that ``vllm bench serve --save-result`` writes
(:func:`read_vllm_bench_json`). Both return validated rows of
:data:`infermodel.tables.MEASURED_SCHEMA` with canonical model and GPU names, ready for
:func:`infermodel.estimator.calibration.fit_efficiency`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from infermodel.errors import DataError, InputError, Problem, TableError
from infermodel.tables import MEASURED_SCHEMA, specs
from infermodel.tables.reading import read_csv_text, today, validate

_IMPORT_REQUIRED = (
    "model",
    "gpu",
    "gpus",
    "precision",
    "input_tokens",
    "output_tokens",
    "concurrency",
    "output_tokens_per_second",
)


def _check_names(table: pd.DataFrame, path: Path, models, gpu_specs) -> pd.DataFrame:
    problems = []
    table = table.copy()
    for column, resolve in (("model", specs.resolve_model), ("gpu", specs.resolve_gpu)):
        for index, value in table[column].items():
            try:
                table.loc[index, column] = resolve(
                    value, models if column == "model" else gpu_specs
                )
            except InputError as exc:
                problems.append(Problem(Path(path), int(index) + 2, column, value, str(exc)))
    if problems:
        raise TableError(problems)
    return table


def read_measured_csv(
    path: Path,
    *,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Measured points from a generic CSV, in the shape of ``data/throughput_measured.csv``.

    Required columns: ``model, gpu, gpus, precision, input_tokens, output_tokens,
    concurrency`` (empty for offline maximum load) and ``output_tokens_per_second`` (whole
    replica). Optional: ``point_id`` (default ``<file stem>-<row>``), ``engine``,
    ``observed_on`` (default today), ``source_url`` (default the file's path), ``note``.
    Model and GPU names match case-insensitively; a bad row raises
    :class:`~infermodel.tables.reading.TableError` naming file, line and field.
    """
    path = Path(path)
    raw = read_csv_text(path)
    missing = [c for c in _IMPORT_REQUIRED if c not in raw.columns]
    if missing:
        raise TableError([Problem(path, 1, c, None, "required column missing") for c in missing])
    if "precision" in raw:
        raw["precision"] = raw["precision"].str.lower()
    defaults = {
        "point_id": [f"{path.stem}-{k + 1}" for k in range(len(raw))],
        "engine": pd.NA,
        "observed_on": today().strftime("%Y-%m-%d"),
        "source_url": str(path),
        "note": pd.NA,
    }
    for column, default in defaults.items():
        if column not in raw:
            raw[column] = default
        elif column in ("observed_on", "source_url", "point_id"):
            raw[column] = raw[column].fillna(pd.Series(default, index=raw.index))
    table = validate(raw, MEASURED_SCHEMA, path)
    return _check_names(table, path, models, gpu_specs)


def read_vllm_bench_json(
    path: Path,
    *,
    gpu: str,
    gpus: int,
    precision: str,
    model: str | None = None,
    observed_on: str | None = None,
    models: pd.DataFrame | None = None,
    gpu_specs: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One measured point from a ``vllm bench serve --save-result`` JSON file.

    The result file gives ``completed``, ``total_input_tokens``, ``total_output_tokens``,
    ``output_throughput`` [tokens/s], ``max_concurrency`` (absent or null: unlimited, read
    as offline maximum load) and ``model_id``; it does not say which GPU, how many or at
    which precision, so those are arguments. Lengths are the per-request means.

    Raises
    ------
    DataError
        The file is not JSON, lacks a key, or reports no completed request.
    """
    path = Path(path)
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: not a readable vLLM bench result JSON: {exc}") from None
    if not isinstance(result, dict):
        raise DataError(f"{path}: expected a JSON object (vLLM bench serve --save-result)")
    needed = ["completed", "total_input_tokens", "total_output_tokens", "output_throughput"]
    if model is None:
        needed.append("model_id")
    missing = [k for k in needed if result.get(k) is None]
    if missing:
        raise DataError(
            f"{path}: key {missing[0]!r} missing; a vLLM bench serve result has "
            + ", ".join(needed)
        )
    completed = result["completed"]
    if not isinstance(completed, (int, float)) or completed < 1:
        raise DataError(f"{path}: 'completed' must be >= 1 request, got {completed!r}")
    date = observed_on or str(result.get("date", ""))[:8]
    if len(date) == 8 and date.isdigit():  # vLLM writes e.g. "20250531-120000"
        date = f"{date[:4]}-{date[4:6]}-{date[6:]}"
    elif observed_on is None:
        date = today().strftime("%Y-%m-%d")
    raw = pd.DataFrame(
        [
            {
                "point_id": path.stem,
                "model": model if model is not None else str(result["model_id"]),
                "gpu": gpu,
                "gpus": str(gpus),
                "precision": str(precision).lower(),
                "input_tokens": str(max(1, round(result["total_input_tokens"] / completed))),
                "output_tokens": str(max(1, round(result["total_output_tokens"] / completed))),
                "concurrency": None
                if result.get("max_concurrency") is None
                else str(result["max_concurrency"]),
                "output_tokens_per_second": str(result["output_throughput"]),
                "engine": f"vLLM bench serve ({result.get('backend', 'vllm')})",
                "observed_on": date,
                "source_url": str(path),
                "note": f"{completed} requests; mean lengths from the totals",
            }
        ]
    ).replace({None: pd.NA})
    table = validate(raw, MEASURED_SCHEMA, path)
    return _check_names(table, path, models, gpu_specs)
