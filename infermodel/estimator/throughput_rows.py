"""Throughput estimates into the cost table: serving rows, prices, and the shipped estimate rows.

- :func:`serving_rows`: rows of :func:`infermodel.estimator.throughput.estimate_table` as serving
  assumptions that :func:`infermodel.pricing.compare.cost_table` prices;
- :func:`price_estimates`: USD per million output tokens of each estimate on each offering;
- :func:`refreshed_estimate_row`: a shipped ``estimated-*`` row of
  ``data/serving_assumptions.csv`` with a new estimate (its hand-written tail kept), and
  :func:`replace_serving_lines`, the one safe rewrite of that file's generated rows (used by
  :mod:`infermodel.estimator.refit` and :func:`infermodel.estimator.latency.write_serving_rows`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from infermodel import checks, formulas, paths, tables
from infermodel.tables import serving_engines, writes
from infermodel.tables.reading import validate
from infermodel.units import BYTES_PER_GB, BYTES_PER_GPU_MEMORY_GB, SECONDS_PER_HOUR

ESTIMATOR_SOURCE = "infermodel.throughput roofline calibrated on data/throughput_measured.csv"
#: Where the generated sentence of a shipped estimate row's note ends; the rest is by hand.
GENERATED_END = "in GiB like gpu_specs.csv's memory_gb."


def _slug(text: str) -> str:
    out = "".join(c if c.isalnum() else "-" for c in str(text).lower())
    return "-".join(part for part in out.split("-") if part)


def min_memory_gib(estimates: pd.DataFrame) -> np.ndarray:
    """GPU memory a replica needs for the weights and one sequence, under its engine. [GiB]

    An engine whose fraction is of the whole memory (vLLM, SGLang) needs
    ``(weights + cache) / fraction``; one whose fraction is of the memory the weights leave
    (TensorRT-LLM) needs ``weights + cache / fraction``. In GiB, the unit of
    ``gpu_specs.csv``'s ``memory_gb``, which :func:`infermodel.tables.serving.pairs` compares
    it with.
    """
    weights = estimates["weight_gb"].to_numpy(dtype=float) * BYTES_PER_GB
    cache = estimates["kv_cache_gb_per_sequence"].to_numpy(dtype=float) * BYTES_PER_GB
    fraction = estimates["memory_fraction"].to_numpy(dtype=float)
    of_free = estimates["engine"].isin(serving_engines.NVIDIA_ONLY).to_numpy()
    need = np.where(of_free, weights + cache / fraction, (weights + cache) / fraction)
    return need / BYTES_PER_GPU_MEMORY_GB


def efficiency_summary(efficiency_path: Path) -> str:
    """The fitted factors' provenance in words, from the efficiency table's note."""
    info = tables.load_efficiency_table(efficiency_path)
    first = info.iloc[0]
    errors = first["note"].split("; ")[-1]
    return (
        f"factors of data/throughput_efficiency.csv fitted on {first['points']} measured points "
        f"from {first['publishers']} publishers ({errors})"
    )


def serving_rows(
    estimates: pd.DataFrame,
    *,
    mode: str = "batch",
    efficiency_path: Path = paths.EFFICIENCY_CSV,
    memory_headroom: float | None = None,
) -> pd.DataFrame:
    """Estimates as serving assumptions that :func:`infermodel.pricing.compare.cost_table` prices.

    Parameters
    ----------
    estimates
        Rows of :func:`~infermodel.estimator.throughput.estimate_table` (those that do not fit are
        dropped).
    mode
        ``batch`` or ``realtime`` (see :data:`infermodel.tables.MODES`).
    efficiency_path
        The efficiency table the estimates used, quoted in the note with its errors.
    memory_headroom
        Ignored (the estimates carry their engine's memory fraction); kept so that callers of
        the earlier signature keep working.

    Returns
    -------
    pandas.DataFrame
        The columns of ``data/serving_assumptions.csv`` (validated by
        :data:`infermodel.tables.SERVING_SCHEMA`), plus ``tokens_per_second`` and a boolean
        ``article_default`` as :func:`infermodel.tables.load_serving` returns. Ids read
        ``estimated-<model>-<gpu>-x<gpus>-<precision>[-<engine>][-c<concurrency>]`` (the
        engine when it is not the default vLLM) with every character other than a letter or
        digit turned into ``-`` (the schema allows no dot). A row the estimator warns about
        says so in its note.
    """
    checks.one_of("mode", mode, tables.MODES)
    fit = estimates[estimates["fits"]].reset_index(drop=True)
    engine_tag = fit["engine"].map(lambda e: "" if e == serving_engines.DEFAULT_ENGINE else f"-{e}")
    ids = (
        "estimated-"
        + fit["model"].map(_slug)
        + "-"
        + fit["gpu"].map(_slug)
        + "-x"
        + fit["gpus"].astype(str)
        + "-"
        + fit["precision"]
        + engine_tag
        + fit["concurrency"].map(lambda c: "" if pd.isna(c) else f"-c{int(c)}")
    )
    load = (
        fit["concurrency"].map(lambda c: "max batch" if pd.isna(c) else f"concurrency {int(c)}")
        + " (batch "
        + fit["batch"].astype(str)
        + ")"
    )
    engine = fit["engine"].map(serving_engines.ENGINE_LABELS)
    warning = fit["warning"].map(lambda w: f" Not to be trusted as it stands: {w}." if w else "")
    info = tables.load_efficiency_table(efficiency_path)
    rows = pd.DataFrame(
        {
            "assumption_id": ids,
            "label": "Estimated: " + fit["model"] + " " + fit["precision"] + " on "
            + fit["gpus"].astype(str) + "x " + fit["gpu"] + " (" + engine + "), " + load,
            "model": fit["model"],
            "precision": fit["precision"],
            "gpu": fit["gpu"],
            "gpus_per_replica": fit["gpus"].astype(str),
            "min_memory_gb_per_replica": pd.Series(min_memory_gib(fit)).map("{:.3f}".format),
            "mode": mode,
            "output_tokens_per_hour_per_replica": (
                fit["output_tokens_per_second"] * SECONDS_PER_HOUR
            ).map("{:.1f}".format),
            "article_default": "false",
            "observed_on": pd.Timestamp(info["observed_on"].max()).strftime("%Y-%m-%d"),
            "source_url": ESTIMATOR_SOURCE,
            "note": "Roofline estimate under " + engine + "'s defaults, "
            + fit["input_tokens"].astype(str) + " input / " + fit["output_tokens"].astype(str)
            + " output tokens per request at " + load + f"; {efficiency_summary(efficiency_path)}"
            "; see notebooks/throughput.ipynb." + warning,
        }
    )  # fmt: skip
    return tables.with_serving_rates(validate(rows, tables.SERVING_SCHEMA, Path("<estimator>")))


def price_estimates(
    estimates: pd.DataFrame, gpu_offerings: pd.DataFrame, *, utilization: float = 0.8
) -> pd.DataFrame:
    """USD per million output tokens of each estimate on each offering of its GPU SKU.

    Parameters
    ----------
    estimates
        Rows of :func:`~infermodel.estimator.throughput.estimate_table` (rows that do not fit are
        dropped).
    gpu_offerings
        GPU offerings with ``provider``, ``gpu``, ``tier``, ``pricing``, ``usd_per_gpu_hour``
        (``PriceSnapshot.gpu``).
    utilization
        Busy fraction of paid GPU time, in (0, 1]. [-]

    Returns
    -------
    pandas.DataFrame
        The estimate columns with the offering's columns and ``usd_per_million_output_tokens``
        [USD/Mtok] (all GPUs of the replica paid for), sorted cheapest first.

    References
    ----------
    :func:`infermodel.formulas.self_hosted_usd_per_million_tokens`.
    """
    offers = gpu_offerings[
        ["provider", "gpu", "tier", "pricing", "usd_per_gpu_hour", "observed_on", "confidence"]
    ]
    merged = estimates[estimates["fits"]].merge(offers, on="gpu", how="inner")
    merged["usd_per_million_output_tokens"] = formulas.self_hosted_usd_per_million_tokens(
        merged["output_tokens_per_second"],
        utilization,
        merged["usd_per_gpu_hour"],
        gpus_per_replica=merged["gpus"],
    )
    return merged.sort_values("usd_per_million_output_tokens", kind="stable").reset_index(drop=True)


def _csv_line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    return out.getvalue()


def replace_serving_lines(
    path: Path,
    update: Callable[[dict[str, str]], dict[str, str] | None],
    new_rows: Iterable[dict[str, str]] = (),
) -> list[str]:
    """Rewrite the rows ``update`` changes in a serving table; append ``new_rows``.

    ``update`` gets each row as text cells by column and returns the row to write in its
    place, or ``None`` to keep the line's bytes. A row of ``new_rows`` whose id is already
    there replaces that line; the others are appended in order. Every other line keeps its
    bytes; the file is replaced atomically under its write lock (:mod:`infermodel.tables.writes`).
    Refuses a header other than the serving schema's columns. Returns the ids written.
    """
    path = Path(path)
    by_id = {row["assumption_id"]: row for row in new_rows}
    written = []
    with writes.locked(path):
        data = writes.read_bytes(path)
        ending = writes.line_ending(data)
        lines = data.decode("utf-8").split(ending)
        header = next(csv.reader([lines[0]]))
        if header != list(tables.SERVING_SCHEMA.columns):
            raise writes.WriteRefused(f"{path}: header is not the serving table's: {header}")
        for k, line in enumerate(lines[1:], start=1):
            cells = next(csv.reader([line])) if line else []
            if not cells:
                continue
            row = by_id.pop(cells[0], None) or update(dict(zip(header, cells, strict=True)))
            if row is not None:
                lines[k] = _csv_line([row[c] for c in header])
                written.append(cells[0])
        new = [_csv_line([row[c] for c in header]) for row in by_id.values()]
        written += list(by_id)
        lines = lines[:-1] + new + [""] if lines[-1] == "" else lines + new
        writes.replace_file(path, ending.join(lines).encode("utf-8"))
    return written


def _estimated_head(estimate: pd.Series, row: dict[str, str], summary: str) -> str:
    """The generated sentence of a shipped estimate row's note."""
    rate = estimate["output_tokens_per_second"] * SECONDS_PER_HOUR
    engine = serving_engines.ENGINE_LABELS[estimate["engine"]]
    caps = "" if not np.isfinite(estimate["max_num_seqs"]) else (
        f", at most {int(estimate['max_num_seqs']):,} by max_num_seqs"
    )  # fmt: skip
    return (
        "Calibrated roofline estimate, not a measurement: `infermodel throughput --model "
        f"{row['model']} --gpu {row['gpu']} --gpus {row['gpus_per_replica']} --precision "
        f"{row['precision']} --input-tokens 1000 --output-tokens 1000` (engine "
        f"{estimate['engine']}, the default) gives {estimate['output_tokens_per_second']:,.0f} "
        f"output tok/s per replica (x 3600 = {rate:,.0f} tok/h) at the largest batch that fits "
        f"({int(estimate['batch']):,} sequences of 1,000 input + 1,000 output tokens with a "
        f"{estimate['kv_cache_dtype'].upper()} KV cache in {estimate['memory_fraction']:.0%} of "
        f"the memory, {engine}'s defaults{caps}), decode {estimate['decode_bound']}-bound, "
        f"{estimate['weight_gb']:,.1f} GB of weights; {summary}. min_memory_gb_per_replica = "
        "the memory the weights and one sequence's KV cache need under the engine's memory "
        f"fraction, {GENERATED_END}"
    )


def refreshed_estimate_row(row: dict[str, str], est: pd.Series, summary: str) -> dict[str, str]:
    """A shipped estimate row (cells as text) with the rate, memory and note of ``est``.

    ``est`` is the estimator's row for the row's model, GPU, GPU count and precision at
    1,000 input and 1,000 output tokens under the default engine and largest batch;
    ``summary`` the fitted factors' provenance (:func:`efficiency_summary`). The note's
    generated sentence, up to :data:`GENERATED_END`, is rewritten; the rest is kept.
    """
    tail = row["note"].split(GENERATED_END, 1)[1]
    return {
        **row,
        "min_memory_gb_per_replica": f"{min_memory_gib(est.to_frame().T)[0]:.1f}",
        "output_tokens_per_hour_per_replica": f"{est['output_tokens_per_second'] * 3600:.0f}",
        "note": _estimated_head(est, row, summary) + tail,
    }


def is_estimate_row(row: dict[str, str]) -> bool:
    """A shipped row the estimator generates: its source is the estimator, its note ours."""
    return row["source_url"] == ESTIMATOR_SOURCE and GENERATED_END in row["note"]


__all__ = [
    "ESTIMATOR_SOURCE",
    "efficiency_summary",
    "is_estimate_row",
    "min_memory_gib",
    "price_estimates",
    "refreshed_estimate_row",
    "replace_serving_lines",
    "serving_rows",
]
