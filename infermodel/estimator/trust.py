"""Where a throughput estimate should not be trusted, in words (a warning, not a number).

The estimator is calibrated on published measurements of one replica in one machine serving
a steady stream of requests. :func:`trust_warnings` says, for each estimate, what takes it
outside that: more GPUs than one machine holds (multi-node: the inter-node all-reduce is not
modelled), speculative decoding and disaggregated prefill/decode (not modelled at all), a GPU,
engine-on-GPU or model no published measurement used, a request longer than any measured one.
:mod:`infermodel.estimator.throughput` puts the words in each estimate's ``warning`` column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from infermodel import tables

#: GPUs one machine holds; a replica beyond it spans nodes. [GPUs]
GPUS_PER_NODE = 8


def _measured_reach(measured: pd.DataFrame) -> dict[str, object]:
    """GPUs, models, (engine, GPU) pairs and the longest request [tokens] ever measured."""
    vendor_engine = set(zip(measured["engine"], measured["gpu"], strict=True))
    return {
        "gpus": set(measured["gpu"]),
        "models": set(measured["model"]),
        "engine_gpu": vendor_engine,
        "longest": int((measured["input_tokens"] + measured["output_tokens"]).max()),
    }


def trust_warnings(
    frame: pd.DataFrame,
    *,
    measured: pd.DataFrame | None = None,
    speculative_decoding: bool = False,
    disaggregated: bool = False,
    gpu_specs: pd.DataFrame | None = None,
) -> np.ndarray:
    """Why each estimate of ``frame`` should not be trusted, in words ("" when nothing known).

    - more GPUs than one machine holds (:data:`GPUS_PER_NODE`): multi-node serving, whose
      inter-node all-reduce the step model does not know;
    - speculative decoding and disaggregated prefill/decode: not modelled at all;
    - a GPU no published measurement used: its factors are borrowed from other GPUs;
    - an engine never measured on that GPU, a model never measured, a request longer than any
      measured one: the estimate extrapolates.

    ``frame`` has ``model``, ``gpu``, ``gpus``, ``engine``, ``input_tokens``,
    ``output_tokens`` (resolved); ``measured`` the shipped points by default.
    """
    measured = tables.load_measured() if measured is None else measured
    reach = _measured_reach(measured)
    out = []
    for row in frame.itertuples():
        notes = []
        if speculative_decoding:
            notes.append("speculative decoding is not modelled (the estimate is without it)")
        if disaggregated:
            notes.append("disaggregated prefill/decode is not modelled (one replica does both)")
        if row.gpus > GPUS_PER_NODE:
            notes.append(
                f"{row.gpus} GPUs span more than one {GPUS_PER_NODE}-GPU machine: inter-node "
                "communication is not modelled"
            )
        if row.gpu not in reach["gpus"]:
            notes.append(f"no published measurement on {row.gpu}: factors borrowed from other GPUs")
        elif (row.engine, row.gpu) not in reach["engine_gpu"]:
            notes.append(f"no published measurement of {row.engine} on {row.gpu}")
        if row.model not in reach["models"]:
            notes.append(f"no published measurement of {row.model}")
        if row.input_tokens + row.output_tokens > reach["longest"]:
            notes.append(f"requests longer than any measured one ({reach['longest']:,} tokens)")
        out.append("; ".join(notes))
    return np.array(out, dtype=object)


__all__ = ["GPUS_PER_NODE", "trust_warnings"]
