"""Words for ids: platform types, tiers, pricing, serving assumptions, offering labels."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

import pandas as pd

from infermodel import tables
from infermodel.display.numbers import MISSING, is_missing
from infermodel.tables import PLATFORM_LABELS

TIER_WORDS = {
    "community_cloud": "community cloud",
    "secure_cloud": "secure cloud",
    "serverless": "serverless",
    "1x_instance": "1-GPU instance",
    "8x_node": "8-GPU node",
}
#: The same, in fewer characters, for a terminal (:func:`offering_labels` ``compact``).
TIER_SHORT_WORDS = {
    "community_cloud": "community",
    "secure_cloud": "secure",
    "serverless": "serverless",
    "1x_instance": "1-GPU",
    "8x_node": "8-GPU node",
}
PRICING_WORDS = {
    "on_demand": "on demand",
    "spot": "spot",
    "reserved": "reserved",
    "owned": "owned",
}
MODE_WORDS = {"batch": "batch", "realtime": "real time"}
BILLING_WORDS = {"always_on": "replicas up all month", "per_hour": "whole GPU-hours as needed"}
#: How a self-hosted cost's GPUs are paid (:mod:`infermodel.pricing.billing_basis`), in the reader's
#: words: the phrase an answer sentence names its basis with. Each holds its
#: :data:`BASIS_KEYS` phrase, which the report's consistency test looks for.
BASIS_WORDS = {
    "busy_hours": "as a one-off batch job rented by the hour",
    "per_hour": "renting whole GPU-hours as the volume needs them",
    "always_on": "serving steady traffic on replicas kept up all month",
    "peak_sized": "serving a request log on replicas sized for its busiest minute, kept all along",
    "autoscaled": "serving a request log on replicas autoscaled hour by hour to its arrivals",
    "serverless": "serving a request log on serverless replicas that follow its arrivals",
}
#: The few words of each :data:`BASIS_WORDS` phrase that name the basis wherever it is told.
BASIS_KEYS = {
    "busy_hours": "one-off batch job",
    "per_hour": "whole GPU-hours",
    "always_on": "replicas kept up",
    "peak_sized": "busiest minute",
    "autoscaled": "autoscaled",
    "serverless": "serverless",
}
#: What the token columns of a request log hold, per request.
LENGTH_WORDS = {
    "input_tokens": "prompt (cached part included)",
    "cached_input_tokens": "cached part of the prompt",
    "output_tokens": "output",
}
COMPONENT_WORDS = {
    "base": "base compute",
    "ip_markup": "IP markup",
    "platform_overhead": "platform overhead",
    "latency_penalty": "latency/batch penalty",
}
STAGE_WORDS = {
    "proprietary_api": "proprietary API",
    "managed_api": "managed open-model API",
    "diy_gpu": "own rented GPUs",
    # whose number a row is (data_origin, infermodel.tables.user_data)
    "shipped": "shipped, cited",
    "user": "yours",
}
#: Inputs of the sensitivity analysis, in words.
INPUT_WORDS = {
    "utilization": "utilization",
    "tokens_per_hour_per_replica": "throughput per replica",
    "usd_per_gpu_hour": "GPU price",
    "usd_per_gpu_hour_factor": "GPU price",
    "api_price_factor": "API price",
    "output_share": "output share",
    "gpus_per_replica": "GPUs per replica",
    "usd_per_million_input_tokens": "API input price",
    "usd_per_million_output_tokens": "API output price",
}


# --- words for ids ---------------------------------------------------------------------------


@functools.cache
def _serving_labels() -> dict[str, str]:
    serving = tables.load_serving()
    return dict(zip(serving["assumption_id"], serving["label"], strict=True))


def words(value: object, *, table: Mapping[str, str] | None = None) -> str:
    """``community_cloud`` -> ``community cloud``: a word map's entry, else ``_`` as spaces."""
    if is_missing(value):
        return MISSING
    text = str(value)
    if table is not None and text in table:
        return table[text]
    return text.replace("_", " ")


def serving_label(assumption_id: object, extra: Mapping[str, str] | None = None) -> str:
    """A serving assumption's ``label``: from ``extra`` (e.g. estimated rows), else
    ``data/serving_assumptions.csv``, else the id in words."""
    if is_missing(assumption_id):
        return MISSING
    key = str(assumption_id)
    if extra and key in extra:
        return extra[key]
    if key.startswith("estimated-"):
        return "estimated throughput"
    return _serving_labels().get(key, key.replace("-", " "))


def serving_labels(serving: pd.DataFrame | None) -> dict[str, str]:
    """``{assumption_id: label}`` of a serving table (e.g. ``throughput.serving_rows``)."""
    if serving is None or "label" not in serving:
        return {}
    return dict(zip(serving["assumption_id"], serving["label"], strict=True))


def gpu_name(sku: object) -> str:
    """``H100-PCIe-80GB`` -> ``H100 PCIe 80GB``."""
    return MISSING if is_missing(sku) else str(sku).replace("-", " ")


def platform_name(platform_type: object) -> str:
    """``managed_api`` -> ``Managed open-model API``."""
    return words(platform_type, table=PLATFORM_LABELS)


def offering_labels(
    frame: pd.DataFrame, serving: pd.DataFrame | None = None, *, compact: bool = False
) -> pd.Series:
    """Labels for people: ``OpenAI · GPT-4o``; ``RunPod · H100 PCIe 80GB, community cloud`` for
    a GPU offering, followed by ``· <serving assumption label>`` for a DIY row of a cost table
    (labels from ``serving`` first, then ``data/serving_assumptions.csv``). ``compact``: tiers
    in fewer words (``community``), for a terminal."""
    extra = serving_labels(serving)
    model = frame["model"] if "model" in frame else pd.Series("", index=frame.index)
    api = frame["provider"].astype(str) + " · " + model.astype(str)
    if "gpu" not in frame:
        return api
    gpu = frame["platform_type"].isin(tables.GPU_PLATFORM_TYPES)
    diy = frame["provider"].astype(str) + " · " + frame["gpu"].map(gpu_name)
    tiers = TIER_SHORT_WORDS if compact else TIER_WORDS
    diy = diy + ", " + frame["tier"].map(lambda t: words(t, table=tiers))
    if "pricing" in frame:
        spot = frame["pricing"].astype(object).fillna("on_demand") != "on_demand"
        diy = diy.where(
            ~spot, diy + " " + frame["pricing"].map(lambda p: words(p, table=PRICING_WORDS))
        )
    if "serving_assumption" in frame:
        has = frame["serving_assumption"].notna()
        named = frame["serving_assumption"].map(lambda a: serving_label(a, extra))
        diy = diy.where(~has, diy + " · " + named)
    return api.where(~gpu, diy)


def _rate(tokens_per_second: float, mode: object) -> str:
    """``2M tok/h`` for a batch rate, ``60 tok/s`` for a real-time one (as the article says)."""
    if mode == "realtime":
        return f"{tokens_per_second:,.0f} tok/s"
    per_hour = tokens_per_second * 3600
    if per_hour >= 1e6:
        return f"{per_hour / 1e6:,.3g}M tok/h"
    return f"{per_hour / 1e3:,.3g}k tok/h"


def serving_descriptions(frame: pd.DataFrame) -> pd.Series:
    """What a DIY row serves and how fast, in a few words: ``Llama 3.x 70B, fp8 x1, batch 2M
    tok/h`` (a multiplication sign for the x: the model on the GPUs, its precision and GPUs
    per replica, the mode and the replica's rate); ``—`` on an API row. Rows need ``model``,
    ``gpus_per_replica``, ``mode`` and ``tokens_per_second`` (a cost or trace table)."""
    out = pd.Series(MISSING, index=frame.index, dtype=object)
    if "tokens_per_second" not in frame or "mode" not in frame:
        return out
    diy = frame["tokens_per_second"].notna()
    for index, row in frame[diy].iterrows():
        model = re.sub(r" \(([^)]*)\)$", r" \1", str(row["model"]))  # "X (fp8)" -> "X fp8"
        gpus = int(row["gpus_per_replica"]) if pd.notna(row.get("gpus_per_replica")) else 1
        mode = MODE_WORDS.get(row["mode"], str(row["mode"]))
        model, _, precision = model.rpartition(" ")
        rate = _rate(float(row["tokens_per_second"]), row["mode"])
        out[index] = f"{model}, {precision} \u00d7{gpus}, {mode} {rate}"
    return out


_SKU = re.compile(r"\b[A-Z]+\d+[A-Za-z]*(?:-[A-Za-z0-9]+)*-\d+GB\b")


def tidy(text: object) -> str:
    """An offering label with ids in words: ``RunPod · H100-PCIe-80GB community_cloud ·
    article-batch-2m`` -> ``RunPod · H100 PCIe 80GB community cloud · Batch, 2M tok/h ...``."""
    if is_missing(text):
        return MISSING
    out = _SKU.sub(lambda m: m.group(0).replace("-", " "), str(text))
    for key, word in {**TIER_WORDS, **PRICING_WORDS}.items():
        out = re.sub(rf"\b{re.escape(key)}\b", word, out)
    for key, label in _serving_labels().items():
        out = re.sub(rf"(?<![\w-]){re.escape(key)}(?![\w-])", label, out)
    return out


def label_map(frame: pd.DataFrame) -> dict[str, str]:
    """``{offering_id: label}`` for the rows of a cost table (ids from its ``offering_id``)."""
    return dict(zip(frame["offering_id"], offering_labels(frame), strict=True))
