"""Model and GPU names: canonical names from what a person types, and what a GPU can serve.

A model matches case-insensitively, by its name in ``data/model_specs.csv`` or its Hugging
Face id, with suffixes such as ``-Instruct`` or ``-FP8`` ignored; a GPU matches its exact SKU
in ``data/gpu_specs.csv`` case-insensitively. An unknown name is refused with close matches
and the full list of valid names. A replica of GPUs splits a model by tensor parallelism,
which works for some GPU counts only (:func:`tensor_parallel_sizes`).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import pandas as pd

from infermodel import tables
from infermodel.errors import InputError
from infermodel.formulas.roofline import COMPUTE_COLUMN, PRECISIONS


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


def tensor_parallel_sizes(attention_heads: int, kv_heads: int) -> list[int]:
    """Every GPU count that can split a model by tensor parallelism. [GPUs]

    Each GPU takes the same number of attention heads, so the count divides the attention
    heads (and is at most that many); KV heads are split evenly when there are more of them
    than GPUs (the count divides them), else each is copied onto the same number of GPUs (the
    count is a multiple of them).

    References
    ----------
    vLLM, ``QKVParallelLinear`` (vllm/model_executor/layers/linear.py):
    ``divide(total_num_heads, tp_size)``, then ``divide(tp_size, total_num_kv_heads)`` when
    ``tp_size >= total_num_kv_heads``, else ``divide(total_num_kv_heads, tp_size)``.
    """
    return [
        n
        for n in range(1, attention_heads + 1)
        if attention_heads % n == 0 and (kv_heads % n == 0 if n < kv_heads else n % kv_heads == 0)
    ]


def model_tensor_parallel_sizes(model: str, models: pd.DataFrame) -> list[int]:
    """:func:`tensor_parallel_sizes` of ``model`` (canonical name) from its spec row."""
    row = models.set_index("model").loc[model]
    return tensor_parallel_sizes(int(row["attention_heads"]), int(row["kv_heads"]))


def check_tensor_parallel(model: str, gpus: int, models: pd.DataFrame) -> int:
    """``gpus`` when it can split ``model`` (canonical name) by tensor parallelism.

    Raises :class:`~infermodel.errors.InputError` naming the count, the model's heads and the
    valid counts: an estimate for a count that cannot split the model would describe no
    deployment that exists.
    """
    valid = model_tensor_parallel_sizes(model, models)
    if gpus not in valid:
        row = models.set_index("model").loc[model]
        raise InputError(
            f"gpus = {gpus} cannot split {model} by tensor parallelism "
            f"({row['attention_heads']} attention heads, {row['kv_heads']} KV heads): the GPU "
            "count must divide the attention heads, and divide the KV heads or be a multiple "
            f"of them; valid counts: {', '.join(map(str, valid))}"
        )
    return gpus
