"""Serving assumptions for self-hosted (DIY) rows, and the GPU specs they are matched on.

A serving assumption says how fast one *replica* of a model serves: which model, at which
precision, on how many GPUs, in which mode (``batch`` or ``realtime``), at how many output
tokens per hour, and from which source (the article, a measurement). Utilization is a
scenario parameter, not part of the assumption.

An assumption applies to a rented GPU offering when its ``gpu`` is ``any`` or that exact SKU,
and when ``gpus_per_replica`` of that GPU hold ``min_memory_gb_per_replica``;
:func:`pairs` lists every (GPU offering, assumption) pair with the reason it is not priced.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from infermodel import tables
from infermodel.errors import InputError
from infermodel.tables import ANY_GPU


def select(serving: pd.DataFrame, ids: Sequence[str] | str | None = None) -> pd.DataFrame:
    """Pick serving assumptions by id, in the order given; an id given twice counts once.

    ``None`` or ``"article"`` gives the article's defaults, ``"all"`` every assumption.
    Duplicates are dropped (the first place kept), so ``--serving X X`` prices each row once.
    Raises :class:`~infermodel.errors.InputError` naming an unknown id and listing the valid ones.
    """
    if ids is None or ids == "article":
        return serving[serving["article_default"]].reset_index(drop=True)
    if ids == "all":
        return serving.reset_index(drop=True)
    if isinstance(ids, str):
        ids = [ids]
    ids = list(dict.fromkeys(ids))
    valid = list(serving["assumption_id"])
    unknown = [i for i in ids if i not in valid]
    if unknown:
        raise InputError(
            f"unknown serving assumption {unknown[0]!r}; valid: 'article', 'all', "
            + ", ".join(valid)
        )
    if not ids:
        raise InputError("no serving assumption selected; give at least one id, 'article' or 'all'")
    return serving.set_index("assumption_id").loc[list(ids)].reset_index()


def assumptions(ids: Sequence[str] | str | None = None) -> pd.DataFrame:
    """The shipped serving assumptions picked by id: :func:`select` of
    :func:`~infermodel.tables.load_serving` (``None``: the article's defaults; ``"all"``)."""
    return select(tables.load_serving(), ids)


def pairs(
    gpu_offerings: pd.DataFrame, serving: pd.DataFrame, gpu_specs: pd.DataFrame
) -> pd.DataFrame:
    """Every (GPU offering, serving assumption) pair, with whether it can be priced.

    Returns the columns of both tables (serving columns prefixed where they clash), plus
    ``memory_gb_per_replica``, ``priced`` (bool) and ``reason`` (why not, else empty).
    """
    offers = gpu_offerings.merge(
        gpu_specs[["gpu", "memory_gb"]], on="gpu", how="left", validate="many_to_one"
    )
    serve = serving.rename(
        columns={
            "gpu": "serving_gpu",
            "observed_on": "serving_observed_on",
            "source_url": "serving_source_url",
            "note": "serving_note",
        }
    )
    grid = offers.merge(serve, how="cross")
    grid["memory_gb_per_replica"] = grid["memory_gb"] * grid["gpus_per_replica"]
    other_gpu = (grid["serving_gpu"] != ANY_GPU) & (grid["serving_gpu"] != grid["gpu"])
    too_small = grid["memory_gb_per_replica"] < grid["min_memory_gb_per_replica"]
    no_spec = grid["memory_gb"].isna()  # never price a GPU whose memory is unknown
    grid["priced"] = ~other_gpu & ~too_small & ~no_spec
    reason = pd.Series("", index=grid.index, dtype=object)
    reason[too_small] = (
        "model needs "
        + grid["min_memory_gb_per_replica"].map("{:g} GB".format)
        + ", replica has "
        + grid["memory_gb_per_replica"].map("{:g} GB".format)
    )
    reason[other_gpu] = "assumption measured on " + grid["serving_gpu"]
    reason[no_spec] = "GPU not in gpu_specs.csv (memory unknown)"
    grid["reason"] = reason
    return grid
