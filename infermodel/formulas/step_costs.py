"""What an engine adds to the roofline: the fitted factors and the fixed cost of a step (pure).

The roofline (:mod:`infermodel.formulas.roofline`) is a bound. :class:`Efficiency` holds the factors
that bring it to what an engine achieves (:data:`FACTORS`): achieved fractions of peak
bandwidth, compute and expert-kernel speed, the tensor-parallel allowances of decode and
prefill, and the fixed costs of a decode step (:func:`step_overhead_seconds`: per step, per
layer, per mixture-of-experts layer, per all-reduce and per running sequence), which dominate
at small batches. :mod:`infermodel.estimator.calibration` fits them per engine and GPU vendor.

Every function takes scalars or arrays and returns the same shape; nothing here reads a file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from infermodel import checks

FACTORS = (
    "bandwidth_efficiency",
    "compute_efficiency",
    "expert_efficiency",
    "communication_fraction",
    "prefill_communication_fraction",
    "step_overhead_ms",
    "layer_overhead_us",
    "moe_layer_overhead_us",
    "allreduce_overhead_us",
    "sequence_overhead_us",
)
#: Factors that are fractions of peak, in (0, 1].
FRACTIONS_OF_PEAK = ("bandwidth_efficiency", "compute_efficiency", "expert_efficiency")
#: Factors that are fixed times of a decode step. [ms or us]
OVERHEADS = (
    "step_overhead_ms",
    "layer_overhead_us",
    "moe_layer_overhead_us",
    "allreduce_overhead_us",
    "sequence_overhead_us",
)
#: Unit of each factor, for tables people read.
FACTOR_UNITS = {
    "bandwidth_efficiency": "-",
    "compute_efficiency": "-",
    "expert_efficiency": "-",
    "communication_fraction": "-",
    "prefill_communication_fraction": "-",
    "step_overhead_ms": "ms",
    "layer_overhead_us": "us",
    "moe_layer_overhead_us": "us",
    "allreduce_overhead_us": "us",
    "sequence_overhead_us": "us",
}


@dataclass(frozen=True)
class Efficiency:
    """Achieved fractions of peak and fixed costs, applied to every estimate.

    Attributes
    ----------
    bandwidth_efficiency
        Achieved fraction of memory bandwidth, in (0, 1]. [-]
    compute_efficiency
        Achieved fraction of dense tensor peak, in (0, 1]. [-]
    expert_efficiency
        Fraction of those that a mixture of experts' expert kernels achieve (grouped matrix
        products over a few tokens per expert), in (0, 1]; 1 for a dense model. [-]
    communication_fraction
        Tensor-parallel allowance of a decode step: step time x (1 + this x (N - 1) / N). [-]
    prefill_communication_fraction
        The same allowance for prefill, fitted apart (prefill moves far more activations per
        all-reduce, but overlaps them with large matrix products). [-]
    step_overhead_ms
        Fixed cost of every decode step (scheduling, one launch). [ms]
    layer_overhead_us
        Fixed cost per layer of every decode step (kernel launches). [us]
    moe_layer_overhead_us
        Extra fixed cost per layer of a mixture of experts (routing, gathering tokens per
        expert, more kernels). [us]
    allreduce_overhead_us
        Latency of one layer's all-reduces in a decode step, per doubling of the GPUs
        (x log2 N; nothing on one GPU). [us]
    sequence_overhead_us
        Cost of each sequence of the batch per decode step (sampling, detokenizing and
        streaming one token, on the CPU). [us]
    """

    bandwidth_efficiency: float = 1.0
    compute_efficiency: float = 1.0
    expert_efficiency: float = 1.0
    communication_fraction: float = 0.0
    prefill_communication_fraction: float = 0.0
    step_overhead_ms: float = 0.0
    layer_overhead_us: float = 0.0
    moe_layer_overhead_us: float = 0.0
    allreduce_overhead_us: float = 0.0
    sequence_overhead_us: float = 0.0

    def __post_init__(self) -> None:
        for name in FRACTIONS_OF_PEAK:
            checks.number(name, getattr(self, name), low=0, high=1, low_open=True)
        for name in ("communication_fraction", "prefill_communication_fraction"):
            checks.number(name, getattr(self, name), low=0, high=5)
        for name in OVERHEADS:
            checks.number(name, getattr(self, name), low=0, high=1_000)

    def as_dict(self) -> dict[str, float]:
        return {f: float(getattr(self, f)) for f in FACTORS}


#: No losses: the pure roofline bound.
IDEAL = Efficiency()


def step_overhead_seconds(
    layers,
    gpus,
    batch=0.0,
    moe=False,
    *,
    step_overhead_ms,
    layer_overhead_us,
    allreduce_overhead_us,
    moe_layer_overhead_us=0.0,
    sequence_overhead_us=0.0,
):
    """Fixed time of one decode step: the engine's own costs beside the roofline.

    Parameters
    ----------
    layers
        Transformer layers. [-]
    gpus
        GPUs of the replica (tensor parallel). [GPUs]
    batch
        Sequences in the step. [sequences]
    moe
        The model is a mixture of experts (its layers pay ``moe_layer_overhead_us``).
    step_overhead_ms
        Per step (scheduling, one launch). [ms]
    layer_overhead_us
        Per layer (kernel launches, synchronisation). [us]
    allreduce_overhead_us
        Latency of a layer's all-reduces per doubling of the GPUs. [us]
    moe_layer_overhead_us
        Extra per layer of a mixture of experts (routing, token gathering). [us]
    sequence_overhead_us
        Per sequence of the batch (sampling, detokenizing, streaming). [us]

    Returns
    -------
    ``step_ms / 1e3 + layers x (layer_us + moe x moe_us + allreduce_us x log2 N) / 1e6
    + batch x sequence_us / 1e6``. [s]

    References
    ----------
    A tensor-parallel layer all-reduces twice (after attention and after the MLP, Shoeybi et
    al., "Megatron-LM", arXiv:1909.08053); a small all-reduce's latency grows with the log of
    the GPUs in a tree or recursive-doubling algorithm (Thakur et al., "Optimization of
    Collective Communication Operations in MPICH", IJHPCA 2005).
    """
    layers = np.asarray(layers, dtype=float)
    doublings = np.log2(np.asarray(gpus, dtype=float))
    per_layer = (
        np.asarray(layer_overhead_us)
        + np.asarray(moe, dtype=float) * np.asarray(moe_layer_overhead_us)
        + np.asarray(allreduce_overhead_us) * doublings
    )
    per_sequence = np.asarray(batch, dtype=float) * np.asarray(sequence_overhead_us)
    return np.asarray(step_overhead_ms) / 1e3 + (layers * per_layer + per_sequence) / 1e6


__all__ = [
    "FACTORS",
    "FACTOR_UNITS",
    "FRACTIONS_OF_PEAK",
    "IDEAL",
    "OVERHEADS",
    "Efficiency",
    "step_overhead_seconds",
]
