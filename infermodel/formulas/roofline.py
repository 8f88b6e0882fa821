"""The roofline: memory, bandwidth, compute and step time of LLM serving (pure formulas).

The model (Williams et al., "Roofline", CACM 2009, applied to LLM serving as in Yuan et al.,
"LLM Inference Unveiled", arXiv:2402.16363):

- **Memory**: weights take ``parameters x bytes per parameter``; the KV cache takes
  ``2 x layers x KV heads x head dim x bytes per value`` per token of every sequence. A
  replica of N GPUs keeps ``memory_headroom`` of its memory free (activations, runtime;
  vLLM's default ``gpu_memory_utilization=0.9`` keeps 10%); the largest batch is the number
  of sequences of ``input + output`` tokens whose KV cache fits in what the weights leave.
- **Time per step**: the larger of memory time (bytes moved / (N x bandwidth x bandwidth
  efficiency)) and compute time (FLOPs / (N x dense peak x compute efficiency)), for the
  prefill of a batch and for each decode step; tensor parallelism over N GPUs adds a
  communication allowance ``communication_fraction x (N - 1) / N`` of the step time.
- **Throughput**: a batch of ``b`` requests is prefilled, then decoded for ``output`` steps
  at the average context ``input + (output - 1) / 2``; output tokens/s = b x output / time.

Every function takes scalars or arrays and returns the same shape; nothing here reads a
file. :mod:`infermodel.estimator.throughput` applies these to the spec tables, and
:mod:`infermodel.estimator.calibration` fits the :class:`Efficiency` factors on measurements.

GPU memory capacity (``memory_gb`` of ``gpu_specs.csv``) is read as GiB, since vendors' "80 GB"
parts hold 80 GiB (:data:`infermodel.units.BYTES_PER_GPU_MEMORY_GB`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from infermodel import checks
from infermodel.units import (
    BYTES_PER_GPU_MEMORY_GB,
    BYTES_PER_S_PER_TB_PER_S,
    FLOPS_PER_TFLOPS,
    PARAMETERS_PER_BILLION,
)

#: Weight storage by precision. [bytes/parameter] int4 and fp4 pack two values per byte.
#: ``mxfp4`` is the OCP microscaling format of gpt-oss's checkpoints: blocks of 32 FP4 (E2M1)
#: values sharing one 8-bit (E8M0) scale, 4 + 8/32 = 4.25 bits a parameter; it applies to the
#: mixture-of-experts expert weights only (:data:`EXPERT_ONLY_PRECISIONS`).
BYTES_PER_PARAMETER = {
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4": 0.5,
    "fp4": 0.5,
    "mxfp4": 4.25 / 8,
}
PRECISIONS = tuple(BYTES_PER_PARAMETER)
#: Precisions that quantize only the experts of a mixture-of-experts model, with the storage of
#: every other weight (attention, embeddings, router, dense layers). [bytes/parameter] gpt-oss
#: ships MXFP4 experts and BF16 for the rest (``quantization_config.modules_to_not_convert`` of
#: openai/gpt-oss-120b's config.json: self_attn, router, embed_tokens, lm_head).
EXPERT_ONLY_PRECISIONS = {"mxfp4": 2.0}
#: KV-cache storage by weight precision when not given: FP8 and FP4 deployments keep an FP8
#: cache (TensorRT-LLM's FP8/NVFP4 checkpoints do); weight-only int8/int4 keep 16 bits. [bytes]
DEFAULT_KV_CACHE_BYTES = {
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 2.0,
    "int4": 2.0,
    "fp4": 1.0,
    "mxfp4": 2.0,
}
#: Tensor-core format doing the matrix products: weight-only int8/int4 compute in BF16, and so
#: does MXFP4 (Hopper has no FP4 tensor cores; vLLM and TensorRT-LLM dequantize gpt-oss's MXFP4
#: experts to BF16 there; Blackwell's native FP4 path is not modelled, so this is conservative).
COMPUTE_COLUMN = {
    "bf16": "dense_bf16_tflops",
    "fp16": "dense_bf16_tflops",
    "fp8": "dense_fp8_tflops",
    "int8": "dense_bf16_tflops",
    "int4": "dense_bf16_tflops",
    "fp4": "dense_fp4_tflops",
    "mxfp4": "dense_bf16_tflops",
}
#: Memory kept free of weights and KV cache (vLLM's default gpu_memory_utilization 0.9). [-]
DEFAULT_MEMORY_HEADROOM = 0.10

FACTORS = ("bandwidth_efficiency", "compute_efficiency", "communication_fraction")


@dataclass(frozen=True)
class Efficiency:
    """Achieved fractions of peak, applied to every estimate.

    Attributes
    ----------
    bandwidth_efficiency
        Achieved fraction of memory bandwidth, in (0, 1]. [-]
    compute_efficiency
        Achieved fraction of dense tensor peak, in (0, 1]. [-]
    communication_fraction
        Tensor-parallel allowance, step time x (1 + this x (N - 1) / N). [-]
    """

    bandwidth_efficiency: float = 1.0
    compute_efficiency: float = 1.0
    communication_fraction: float = 0.0

    def __post_init__(self) -> None:
        for name in ("bandwidth_efficiency", "compute_efficiency"):
            checks.number(name, getattr(self, name), low=0, high=1, low_open=True)
        checks.number("communication_fraction", self.communication_fraction, low=0, high=1)

    def as_dict(self) -> dict[str, float]:
        return {f: float(getattr(self, f)) for f in FACTORS}


#: No losses: the pure roofline bound.
IDEAL = Efficiency()


def weight_bytes(total_params_b, *, bytes_per_parameter):
    """Memory taken by a model's weights.

    Parameters
    ----------
    total_params_b
        Parameters of the model, all experts included. [billions]
    bytes_per_parameter
        Storage per parameter (2 for BF16, 1 for FP8, 0.5 for INT4/FP4). [bytes]

    Returns
    -------
    Weight memory. [bytes]

    References
    ----------
    Parameter count times storage width; e.g. 70.55e9 x 2 B = 141 GB for Llama 3.1 70B in
    BF16 (model card and config.json of meta-llama/Llama-3.1-70B-Instruct).
    """
    return np.asarray(total_params_b, dtype=float) * PARAMETERS_PER_BILLION * bytes_per_parameter


def kv_cache_bytes_per_token(layers, kv_heads, head_dim, *, bytes_per_value):
    """KV-cache memory one token of one sequence takes (keys and values, every layer).

    Parameters
    ----------
    layers
        Transformer layers. [-]
    kv_heads
        Key/value heads (fewer than attention heads under grouped-query attention). [-]
    head_dim
        Width of one head. [-]
    bytes_per_value
        Storage of one cached value (2 for FP16, 1 for FP8). [bytes]

    Returns
    -------
    KV cache per token. [bytes/token]

    References
    ----------
    2 x layers x KV heads x head dim x bytes (Kwon et al., "Efficient Memory Management for
    Large Language Model Serving with PagedAttention", SOSP 2023, section 2).
    """
    return 2.0 * np.asarray(layers) * kv_heads * head_dim * bytes_per_value


def max_batch(
    gpus,
    memory_gb,
    weight_bytes_total,
    kv_bytes_per_token,
    sequence_tokens,
    kv_heads,
    *,
    memory_headroom=DEFAULT_MEMORY_HEADROOM,
):
    """Largest number of sequences whose weights and KV cache fit on a replica.

    Parameters
    ----------
    gpus
        GPUs in the replica (tensor parallel). [GPUs]
    memory_gb
        Memory of one GPU as the vendor labels it (GiB in fact). [GiB]
    weight_bytes_total
        Weights of the model. [bytes]
    kv_bytes_per_token
        KV cache per token of one sequence. [bytes/token]
    sequence_tokens
        Tokens one sequence holds at its longest (input + output). [tokens]
    kv_heads
        KV heads; beyond that many GPUs each KV head is replicated. [-]
    memory_headroom
        Fraction of memory kept free for activations and the runtime, in [0, 1). [-]

    Returns
    -------
    Sequences that fit; 0 when the weights or one sequence do not fit. [sequences]

    References
    ----------
    Memory budget of vLLM's scheduler (Kwon et al., SOSP 2023): usable memory less the
    weights, divided by the KV cache of one sequence.
    """
    usable = (
        np.asarray(gpus, dtype=float) * memory_gb * BYTES_PER_GPU_MEMORY_GB * (1 - memory_headroom)
    )
    replication = np.maximum(1.0, np.asarray(gpus, dtype=float) / kv_heads)
    per_sequence = kv_bytes_per_token * sequence_tokens * replication
    return np.maximum(np.floor((usable - weight_bytes_total) / per_sequence), 0.0)


def expert_fraction_read(experts, experts_per_token, tokens):
    """Expected fraction of a mixture-of-experts layer's experts that ``tokens`` touch.

    Parameters
    ----------
    experts
        Experts per layer (1 for a dense model). [-]
    experts_per_token
        Experts each token is routed to. [-]
    tokens
        Tokens processed in one step. [tokens]

    Returns
    -------
    Fraction of expert weights read, in (0, 1]; 1 for a dense model. [-]

    References
    ----------
    Uniform, independent routing: an expert is missed by one token with probability
    1 - k/E, by all with (1 - k/E)^tokens.
    """
    experts = np.asarray(experts, dtype=float)
    miss = 1.0 - np.asarray(experts_per_token, dtype=float) / experts
    return 1.0 - miss ** np.asarray(tokens, dtype=float)


def expert_share_of_parameters(total_params_b, active_params_b, experts, experts_per_token):
    """Fraction of a model's parameters that sit in its routed experts (0 for a dense model).

    Parameters
    ----------
    total_params_b, active_params_b
        Parameters in all / per token. [billions]
    experts, experts_per_token
        Mixture-of-experts routing (1 and 1 for a dense model). [-]

    Returns
    -------
    Expert parameters / all parameters, in [0, 1). [-]

    References
    ----------
    A token uses k of E experts, so total - active = (E - k) x one expert's share of every
    layer: expert parameters = (total - active) x E / (E - k).
    """
    experts = np.asarray(experts, dtype=float)
    sparse = experts > experts_per_token
    expert_params = np.where(
        sparse,
        (np.asarray(total_params_b) - active_params_b)
        * experts
        / np.where(sparse, experts - experts_per_token, 1.0),
        0.0,
    )
    return expert_params / total_params_b


def bytes_per_parameter(precision, total_params_b, active_params_b, experts, experts_per_token):
    """Average weight storage of a model at ``precision`` (experts-only formats mixed in).

    Parameters
    ----------
    precision
        One of :data:`PRECISIONS`.
    total_params_b, active_params_b, experts, experts_per_token
        As in :func:`expert_share_of_parameters`.

    Returns
    -------
    Weight bytes / parameters: :data:`BYTES_PER_PARAMETER` for a uniform precision; for one of
    :data:`EXPERT_ONLY_PRECISIONS`, the expert share at that precision and the rest at the
    listed storage (gpt-oss-120b in MXFP4: 116.83B parameters, 98.7% of them in experts,
    ~64 GB). [bytes/parameter]
    """
    if precision not in EXPERT_ONLY_PRECISIONS:
        return BYTES_PER_PARAMETER[precision]
    share = expert_share_of_parameters(total_params_b, active_params_b, experts, experts_per_token)
    return share * BYTES_PER_PARAMETER[precision] + (1 - share) * EXPERT_ONLY_PRECISIONS[precision]


def weight_bytes_read(
    weight_bytes_total, total_params_b, active_params_b, experts, experts_per_token, tokens
):
    """Weight bytes a step over ``tokens`` tokens reads (all of a dense model).

    Parameters
    ----------
    weight_bytes_total
        Weights of the model. [bytes]
    total_params_b, active_params_b
        Parameters in all / per token. [billions]
    experts, experts_per_token
        Mixture-of-experts routing (1 and 1 for a dense model). [-]
    tokens
        Tokens in the step (the batch in decode). [tokens]

    Returns
    -------
    Weight bytes read. [bytes]

    References
    ----------
    Expert parameters = (total - active) x E / (E - k); the rest is read every step.
    """
    expert_share = expert_share_of_parameters(
        total_params_b, active_params_b, experts, experts_per_token
    )
    touched = expert_fraction_read(experts, experts_per_token, tokens)
    return weight_bytes_total * (1.0 - expert_share + expert_share * touched)


def step_seconds(
    flops,
    bytes_moved,
    *,
    gpus,
    peak_tflops,
    bandwidth_tb_per_s,
    compute_efficiency,
    bandwidth_efficiency,
):
    """Roofline time of one step: the larger of compute time and memory time.

    Parameters
    ----------
    flops
        Floating-point operations of the step, all GPUs together. [FLOP]
    bytes_moved
        Bytes read from or written to GPU memory, all GPUs together. [bytes]
    gpus
        GPUs sharing the work. [GPUs]
    peak_tflops
        Dense peak of one GPU in the compute format. [TFLOP/s]
    bandwidth_tb_per_s
        Memory bandwidth of one GPU. [TB/s]
    compute_efficiency, bandwidth_efficiency
        Achieved fractions of the peaks, in (0, 1]. [-]

    Returns
    -------
    Step time. [s]

    References
    ----------
    Williams, Waterman and Patterson, "Roofline", CACM 52(4), 2009.
    """
    compute = flops / (gpus * peak_tflops * FLOPS_PER_TFLOPS * compute_efficiency)
    memory = bytes_moved / (
        gpus * bandwidth_tb_per_s * BYTES_PER_S_PER_TB_PER_S * bandwidth_efficiency
    )
    return np.maximum(compute, memory)


def roofline(
    *,
    total_params_b,
    active_params_b,
    experts,
    experts_per_token,
    layers,
    attention_width,
    bytes_per_parameter,
    kv_bytes_per_token,
    kv_replication,
    gpus,
    peak_tflops,
    bandwidth_tb_per_s,
    input_tokens,
    output_tokens,
    batch,
    bandwidth_efficiency,
    compute_efficiency,
    communication_fraction,
) -> dict[str, np.ndarray]:
    """Prefill and decode times and output throughput of a batch, by the roofline.

    Parameters
    ----------
    total_params_b, active_params_b
        Parameters in all / used per token. [billions]
    experts, experts_per_token
        Mixture-of-experts routing (1, 1 for dense). [-]
    layers
        Transformer layers. [-]
    attention_width
        Attention heads x head dim. [-]
    bytes_per_parameter
        Weight storage. [bytes]
    kv_bytes_per_token
        KV cache per token per sequence. [bytes/token]
    kv_replication
        Copies of the KV cache across GPUs (>= 1). [-]
    gpus
        GPUs of the replica. [GPUs]
    peak_tflops
        Dense peak of one GPU in the compute format. [TFLOP/s]
    bandwidth_tb_per_s
        Memory bandwidth of one GPU. [TB/s]
    input_tokens, output_tokens
        Prompt and generated tokens per request. [tokens]
    batch
        Requests served together, >= 1. [requests]
    bandwidth_efficiency, compute_efficiency
        Achieved fractions of peak bandwidth and compute. [-]
    communication_fraction
        Tensor-parallel allowance: step time grows by this x (N - 1) / N. [-]

    Returns
    -------
    dict of arrays: ``prefill_seconds`` [s] (the whole batch), ``decode_step_seconds`` [s],
    ``decode_compute_bound`` [bool], ``output_tokens_per_second`` [tokens/s] (whole replica).

    References
    ----------
    FLOPs per token 2 x active parameters + 4 x layers x attention width x context (Kaplan
    et al., "Scaling Laws for Neural Language Models", arXiv:2001.08361, table 1); causal
    prefill attention counts half the square. Roofline: :func:`step_seconds`.
    """
    b = np.asarray(batch, dtype=float)
    i = np.asarray(input_tokens, dtype=float)
    o = np.asarray(output_tokens, dtype=float)
    work = _StepWork(
        weights=weight_bytes(total_params_b, bytes_per_parameter=bytes_per_parameter),
        reads=(total_params_b, active_params_b, experts, experts_per_token),
        linear_flops=2.0 * np.asarray(active_params_b) * PARAMETERS_PER_BILLION,
        attention=np.asarray(layers, dtype=float) * attention_width,
        kv_bytes=kv_bytes_per_token,
        kv_replication=kv_replication,
    )
    roof = dict(
        gpus=gpus,
        peak_tflops=peak_tflops,
        bandwidth_tb_per_s=bandwidth_tb_per_s,
        compute_efficiency=compute_efficiency,
        bandwidth_efficiency=bandwidth_efficiency,
    )
    comm = 1.0 + np.asarray(communication_fraction) * (np.asarray(gpus, dtype=float) - 1) / gpus
    prefill = step_seconds(*work.prefill(b, i), **roof) * comm
    decode_flops, decode_bytes = work.decode(b, i + (o - 1.0) / 2.0)
    decode = step_seconds(decode_flops, decode_bytes, **roof) * comm
    compute_time = decode_flops / (gpus * peak_tflops * FLOPS_PER_TFLOPS * compute_efficiency)
    return {
        "prefill_seconds": prefill,
        "decode_step_seconds": decode,
        "decode_compute_bound": compute_time * comm >= decode,
        "output_tokens_per_second": b * o / (prefill + o * decode),
    }


@dataclass(frozen=True)
class _StepWork:
    """FLOPs and bytes moved by one prefill or decode step of a model (all GPUs together)."""

    weights: np.ndarray  # weight bytes [bytes]
    reads: tuple  # (total_params_b, active_params_b, experts, experts_per_token)
    linear_flops: np.ndarray  # matrix FLOPs per token [FLOP/token]
    attention: np.ndarray  # layers x attention width [-]
    kv_bytes: np.ndarray  # KV cache per token of one sequence [bytes/token]
    kv_replication: np.ndarray  # copies of the KV cache across GPUs [-]

    def prefill(self, batch, input_tokens):
        """A batch's prefill: every prompt token once; causal attention half the square."""
        flops = batch * (self.linear_flops * input_tokens + 2.0 * self.attention * input_tokens**2)
        moved = (
            weight_bytes_read(self.weights, *self.reads, batch * input_tokens)
            + batch * input_tokens * self.kv_bytes * self.kv_replication
        )
        return flops, moved

    def decode(self, batch, context):
        """One decode step of a batch at the average ``context`` length."""
        flops = batch * (self.linear_flops + 4.0 * self.attention * context)
        moved = (
            weight_bytes_read(self.weights, *self.reads, batch)
            + batch * context * self.kv_bytes * self.kv_replication
        )
        return flops, moved


def inter_token_seconds(decode_step_seconds, prefill_seconds, output_tokens):
    """Mean time between two tokens of one stream at a steady batch (TPOT).

    Parameters
    ----------
    decode_step_seconds
        One decode step of the batch (:func:`roofline`'s ``decode_step_seconds``). [s]
    prefill_seconds
        Prefill of the whole batch's prompts (:func:`roofline`'s ``prefill_seconds``). [s]
    output_tokens
        Tokens each request generates. [tokens]

    Returns
    -------
    Mean inter-token latency of each stream. [s/token]

    References
    ----------
    At a steady batch of ``b`` streams each stream's life of ``output`` tokens spans
    ``output`` decode steps and the prefill of ``b`` prompts (its own and the ones that
    replace finished streams), so the mean gap is ``decode + prefill / output``: the decode
    step plus the prefill interference. It is the reciprocal of :func:`roofline`'s
    per-stream rate, ``batch / this`` its output tokens/s (TPOT as ``trtllm-bench`` and
    ``vllm bench`` report it: (request latency - TTFT) / (output - 1), for long outputs).
    """
    return np.asarray(decode_step_seconds) + np.asarray(prefill_seconds) / np.asarray(
        output_tokens, dtype=float
    )


def time_to_first_token_seconds(prefill_one_seconds, decode_step_seconds):
    """Time to first token of a request joining a running batch, queueing for a slot aside.

    Parameters
    ----------
    prefill_one_seconds
        Prefill of the request's own prompt alone (batch 1). [s]
    decode_step_seconds
        The running batch's decode step, which the request waits behind at worst. [s]

    Returns
    -------
    Time to first token. [s]

    References
    ----------
    The prefill produces the first token; a request arriving mid-step waits up to one decode
    step of the running batch. No wait for a free slot: the load is at or under capacity.
    """
    return np.asarray(prefill_one_seconds) + np.asarray(decode_step_seconds)
