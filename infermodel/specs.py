"""Model and GPU names: canonical names from what a person types, and what a GPU can serve.

A model matches case-insensitively, by its name in ``data/model_specs.csv`` or its Hugging
Face id, with suffixes such as ``-Instruct`` or ``-FP8`` ignored; a GPU matches its exact SKU
in ``data/gpu_specs.csv`` case-insensitively. An unknown name is refused with close matches
and the full list of valid names.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import pandas as pd

from infermodel import tables
from infermodel.errors import InputError
from infermodel.roofline import COMPUTE_COLUMN, PRECISIONS


def _unknown(kind: str, name: str, valid: Sequence[str], keys: Sequence[str], key: str) -> str:
    close = difflib.get_close_matches(key, list(keys), n=3, cutoff=0.5)
    close += [k for k in keys if key and key in k and k not in close][: max(0, 3 - len(close))]
    by_key = dict(zip(keys, valid, strict=True))
    hint = f"; did you mean {', '.join(repr(by_key[c]) for c in close)}?" if close else ""
    return f"unknown {kind} {name!r}{hint} (valid: {', '.join(valid)})"


def resolve_model(name: str, models: pd.DataFrame | None = None) -> str:
    """The canonical model name for ``name`` (case-insensitive; an HF id also matches).

    Raises :class:`~infermodel.errors.InputError` naming close matches and every valid name.
    """
    models = tables.load_model_specs() if models is None else models
    valid = list(models["model"])
    lookup = {tables.model_key(m): m for m in valid}
    lookup.update({tables.model_key(h): m for h, m in zip(models["hf_id"], valid, strict=True)})
    key = tables.model_key(name)
    if key in lookup:
        return lookup[key]
    raise InputError(_unknown("model", name, valid, [tables.model_key(m) for m in valid], key))


def resolve_gpu(name: str, gpu_specs: pd.DataFrame | None = None) -> str:
    """The exact GPU SKU for ``name`` (case-insensitive).

    Raises :class:`~infermodel.errors.InputError` naming close matches and every valid SKU.
    """
    specs = tables.load_gpu_specs() if gpu_specs is None else gpu_specs
    valid = list(specs["gpu"])
    key = str(name).strip().lower()
    lookup = {g.lower(): g for g in valid}
    if key in lookup:
        return lookup[key]
    raise InputError(_unknown("GPU", name, valid, list(lookup), key))


def supported_precisions(gpu_row: pd.Series) -> list[str]:
    """Precisions a GPU can serve: those whose compute format it has tensor cores for."""
    return [p for p in PRECISIONS if pd.notna(gpu_row[COMPUTE_COLUMN[p]])]


def check_precision(precision: str, gpu: str, gpu_row: pd.Series) -> str:
    """``precision`` in lower case, when it is known and ``gpu_row`` has tensor cores for it."""
    key = str(precision).strip().lower()
    if key not in PRECISIONS:
        raise InputError(f"unknown precision {precision!r}; valid: {', '.join(PRECISIONS)}")
    if pd.isna(gpu_row[COMPUTE_COLUMN[key]]):
        raise InputError(
            f"{gpu} has no {COMPUTE_COLUMN[key].split('_')[1].upper()} tensor cores, so it cannot "
            f"serve precision {key!r} ({COMPUTE_COLUMN[key]} is empty in gpu_specs.csv); "
            f"precisions it serves: {', '.join(supported_precisions(gpu_row))}"
        )
    return key
