"""Offerings: one stable id for each thing a price can be paid for, and a label for display.

An **offering id** names an offering the same way in every table, notebook parameter and
command, and does not change when a label is reworded:

- an API offering: ``<provider>/<model_id>``, e.g. ``openai/gpt-4o`` or
  ``together-ai/meta-llama/Llama-3.3-70B-Instruct-Turbo``;
- a rented-GPU offering: ``<provider>/<gpu>/<tier>/<pricing>``, e.g.
  ``runpod/H100-PCIe-80GB/community_cloud/on_demand``;
- a DIY row of a cost table (a GPU offering under a serving assumption):
  ``<gpu offering id>@<assumption_id>``, e.g.
  ``runpod/H100-PCIe-80GB/community_cloud/on_demand@article-batch-2m``.

``<provider>`` is the provider's name in lower case with every run of other characters
turned into ``-`` (``Together AI`` -> ``together-ai``). A **label** (``OpenAI · GPT-4o``) is
for people only: tables and charts show it, nothing looks an offering up by it.
"""

from __future__ import annotations

import re

import pandas as pd

from infermodel import checks
from infermodel.errors import InputError
from infermodel.tables import GPU_PLATFORM_TYPES

#: What :func:`find` may be asked for: API offerings, DIY rows, or either.
KINDS = ("api", "diy_gpu", "any")


def provider_slug(provider: str) -> str:
    """``Together AI`` -> ``together-ai``: lower case, other characters as single dashes."""
    return re.sub(r"[^a-z0-9]+", "-", str(provider).lower()).strip("-")


def _slugs(providers: pd.Series) -> pd.Series:
    return providers.map(provider_slug)


def _is_gpu(frame: pd.DataFrame) -> pd.Series:
    if "platform_type" in frame:
        return frame["platform_type"].isin(GPU_PLATFORM_TYPES)
    return pd.Series("gpu" in frame, index=frame.index)


def ids(frame: pd.DataFrame) -> pd.Series:
    """The offering id of every row of a price snapshot frame, cost table or trace table.

    API rows need ``provider`` and ``model_id``; GPU rows ``provider``, ``gpu``, ``tier`` and
    ``pricing``, plus ``serving_assumption`` for a DIY row of a cost table.
    """
    gpu = _is_gpu(frame)
    out = pd.Series("", index=frame.index, dtype=str)
    if (~gpu).any():
        api = frame.loc[~gpu]
        out[~gpu] = _slugs(api["provider"]) + "/" + api["model_id"].astype(str)
    if gpu.any():
        rows = frame.loc[gpu]
        key = (
            _slugs(rows["provider"])
            + "/"
            + rows["gpu"].astype(str)
            + "/"
            + rows["tier"].astype(str)
            + "/"
            + rows["pricing"].astype(str)
        )
        if "serving_assumption" in rows:
            assumption = rows["serving_assumption"]
            key = key.where(assumption.isna(), key + "@" + assumption.astype(str))
        out[gpu] = key
    return out


def labels(frame: pd.DataFrame) -> pd.Series:
    """Short labels for people: ``OpenAI · GPT-4o``, ``RunPod · H100-PCIe-80GB
    community_cloud · article-batch-2m``. Unique within a cost table; never used as a key."""
    api = frame["provider"] + " · " + frame["model"]
    if "gpu" not in frame:
        return api
    diy = (
        frame["provider"]
        + " · "
        + frame["gpu"].fillna("")
        + " "
        + frame["tier"].fillna("")
        + " · "
        + frame["serving_assumption"].fillna("")
    )
    return api.where(~_is_gpu(frame), diy)


def label_of(frame: pd.DataFrame) -> dict[str, str]:
    """``{offering id: label}`` for the rows of ``frame`` (to show ids in people's words)."""
    return dict(zip(ids(frame), labels(frame), strict=True))


def _in_kind(frame: pd.DataFrame, kind: str) -> pd.Series:
    checks.one_of("kind", kind, KINDS)
    gpu = _is_gpu(frame)
    return {"api": ~gpu, "diy_gpu": gpu, "any": pd.Series(True, index=frame.index)}[kind]


def find(frame: pd.DataFrame, offering_id: str, *, kind: str = "any") -> pd.Series:
    """The row of ``frame`` whose offering id is ``offering_id``.

    ``kind`` restricts the search to API offerings (``"api"``), DIY rows (``"diy_gpu"``) or
    neither (``"any"``). Raises :class:`~infermodel.errors.InputError` naming close ids; a
    label given instead of an id gets the id it stands for.
    """
    return frame.loc[select(frame, [offering_id], kind=kind).index[0]]


def select(frame: pd.DataFrame, wanted: list[str], *, kind: str = "any") -> pd.DataFrame:
    """The rows of ``frame`` for each id in ``wanted``, in that order (duplicates once)."""
    allowed = _in_kind(frame, kind)
    all_ids = ids(frame)
    valid = all_ids[allowed]
    positions = []
    for offering_id in dict.fromkeys(wanted):
        hits = valid.index[valid == offering_id]
        if len(hits):
            positions.append(hits[0])
            continue
        raise InputError(_unknown(frame, offering_id, kind, valid, allowed))
    return frame.loc[positions]


def _unknown(
    frame: pd.DataFrame, offering_id: str, kind: str, valid: pd.Series, allowed: pd.Series
) -> str:
    what = {"api": "API offering", "diy_gpu": "DIY offering", "any": "offering"}[kind]
    by_label = labels(frame)[allowed]
    if offering_id in set(by_label):
        real = valid[by_label == offering_id].iloc[0]
        return f"{offering_id!r} is a label, not an offering id; its id is {real!r}"
    hint = checks.close_matches(offering_id, valid, n=3, cutoff=0.5)
    examples = ", ".join(map(repr, valid.head(3)))
    return (
        f"no {what} with id {offering_id!r} in this table{hint} "
        f"({len(valid)} valid ids, e.g. {examples})"
    )
