"""The roofline: memory, bandwidth, compute and step time of LLM serving (pure formulas).

The model (Williams et al., "Roofline", CACM 2009, applied to LLM serving as in Yuan et al.,
"LLM Inference Unveiled", arXiv:2402.16363):

- **Memory**: weights take ``parameters x bytes per parameter``; the KV cache takes
  ``2 x layers x KV heads x head dim x bytes per value`` per token of every sequence, at its
  own precision (:data:`KV_CACHE_BYTES`: an FP8 model often keeps a BF16 cache). The engine
  decides what the cache gets (:func:`kv_cache_capacity_bytes`): vLLM and SGLang a fraction of
  the *total* memory less the weights, TensorRT-LLM a fraction of the memory the weights leave
  free; the largest batch is the number of ``input + output``-token sequences that fit, capped
  by the engine's maximum batch.
- **Time per step**: the larger of memory time (bytes moved / (N x bandwidth x bandwidth
  efficiency)) and compute time (FLOPs / (N x dense peak x compute efficiency)); tensor
  parallelism over N GPUs stretches that by ``1 + fraction x (N - 1) / N``, with one fraction
  for decode and another for prefill; and every decode step pays a fixed overhead
  (:func:`infermodel.formulas.step_costs.step_overhead_seconds`: scheduler, sampling and kernel
  launches, and the latency of each layer's all-reduce when N > 1), which dominates at small
  batches. The factors are :class:`infermodel.formulas.step_costs.Efficiency` (re-exported here).
- **Mixture of experts**: a step reads the shared weights and only the experts its tokens are
  routed to (:func:`expert_fraction_read`), so a few streams read a fraction of the experts.
- **Throughput**: in a server's steady state each decode step of ``b`` streams (at the
  average context ``input + (output - 1) / 2``) also prefills the prompts of the streams that
  replace finished ones, ``b x input / output`` tokens, sharing its weight reads (chunked
  prefill): output tokens/s = b / step. A static batch (a latency benchmark) is prefilled,
  then decoded for ``output`` steps: b x output / time.

Every function takes scalars or arrays and returns the same shape; nothing here reads a
file. :mod:`infermodel.estimator.throughput` applies these to the spec tables and the engines'
defaults (:mod:`infermodel.tables.serving_engines`), and
:mod:`infermodel.estimator.calibration` fits the :class:`Efficiency` of each engine on
measurements.

GPU memory capacity (``memory_gb`` of ``gpu_specs.csv``) is read as GiB, since vendors' "80 GB"
parts hold 80 GiB (:data:`infermodel.units.BYTES_PER_GPU_MEMORY_GB`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from infermodel.formulas.step_costs import (  # re-exported: roofline.Efficiency, ...
    FACTOR_UNITS,
    FACTORS,
    FRACTIONS_OF_PEAK,
    IDEAL,
    OVERHEADS,
    Efficiency,
    step_overhead_seconds,
)
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
#: Storage of one cached key or value by KV-cache dtype. [bytes]
KV_CACHE_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0}
KV_CACHE_DTYPES = tuple(KV_CACHE_BYTES)
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
#: How an engine's memory fraction is read: of the GPU's whole memory (vLLM
#: ``gpu_memory_utilization``, SGLang ``mem_fraction_static``: weights and KV cache together
#: within it), or of what the weights leave free (TensorRT-LLM ``free_gpu_memory_fraction``).
MEMORY_BASES = ("total", "free")


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


def kv_cache_capacity_bytes(
    gpus, memory_gb, weight_bytes_total, *, memory_fraction, memory_basis="total"
):
    """Memory an engine gives the KV cache on a replica of ``gpus`` GPUs.

    Parameters
    ----------
    gpus
        GPUs in the replica (tensor parallel). [GPUs]
    memory_gb
        Memory of one GPU as the vendor labels it (GiB in fact). [GiB]
    weight_bytes_total
        Weights of the model, all GPUs together. [bytes]
    memory_fraction
        The engine's memory fraction, in (0, 1]. [-]
    memory_basis
        One of :data:`MEMORY_BASES` (a scalar or one per configuration). ``"total"``: the
        fraction is of the whole memory and holds weights and KV cache
        (vLLM ``gpu_memory_utilization``, SGLang ``mem_fraction_static``); ``"free"``: the
        fraction is of what the weights leave (TensorRT-LLM ``free_gpu_memory_fraction``).

    Returns
    -------
    KV-cache memory, 0 when the weights do not fit. [bytes]

    References
    ----------
    vLLM: ``gpu_memory_utilization`` x memory, less the weights and the activations of a
    profiling run (the activations are not modelled); TensorRT-LLM ``KvCacheConfig``:
    ``free_gpu_memory_fraction`` of the memory free after the model is loaded.
    """
    memory = np.asarray(gpus, dtype=float) * memory_gb * BYTES_PER_GPU_MEMORY_GB
    fraction = np.asarray(memory_fraction, dtype=float)
    of_free = fraction * (memory - weight_bytes_total)
    of_total = fraction * memory - weight_bytes_total
    kv = np.where(np.asarray(memory_basis) == "free", of_free, of_total)
    return np.maximum(kv, 0.0)


def max_batch(
    gpus,
    memory_gb,
    weight_bytes_total,
    kv_bytes_per_token,
    sequence_tokens,
    kv_heads,
    *,
    memory_headroom=DEFAULT_MEMORY_HEADROOM,
    memory_basis="total",
    max_sequences=np.inf,
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
        One minus the engine's memory fraction, in [0, 1). [-]
    memory_basis
        What the fraction is of (:func:`kv_cache_capacity_bytes`).
    max_sequences
        The engine's cap on sequences in a batch (vLLM ``max_num_seqs``, TensorRT-LLM
        ``max_batch_size``); infinite for none. [sequences]

    Returns
    -------
    Sequences that fit; 0 when the weights or one sequence do not fit. [sequences]

    References
    ----------
    Memory budget of vLLM's scheduler (Kwon et al., SOSP 2023): usable memory less the
    weights, divided by the KV cache of one sequence.
    """
    kv = kv_cache_capacity_bytes(
        gpus,
        memory_gb,
        weight_bytes_total,
        memory_fraction=1 - np.asarray(memory_headroom, dtype=float),
        memory_basis=memory_basis,
    )
    replication = np.maximum(1.0, np.asarray(gpus, dtype=float) / kv_heads)
    per_sequence = kv_bytes_per_token * sequence_tokens * replication
    return np.minimum(np.floor(kv / per_sequence), max_sequences)


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
    expert_efficiency=1.0,
    prefill_communication_fraction=0.0,
    static_batch=False,
    **overheads,
) -> dict[str, np.ndarray]:
    """Step times and output throughput of a replica serving ``batch`` streams, by the roofline.

    In the steady state of a server (``static_batch`` False, the default), each decode step
    also prefills the prompts of the streams that replace finished ones, ``b x input /
    output`` tokens a step: they share the step's weight reads (chunked prefill, as vLLM,
    SGLang and TensorRT-LLM schedule it), so the step costs the larger of its memory and
    compute time, not their sum. A static batch (``static_batch`` True: ``b`` requests
    started together, as ``benchmark_latency.py`` runs them) is prefilled first, then decoded.

    Parameters
    ----------
    total_params_b, active_params_b
        Parameters in all / used per token. [billions]
    experts, experts_per_token
        Mixture-of-experts routing (1, 1 for dense). [-]
    layers, attention_width
        Transformer layers, and attention heads x head dim. [-]
    bytes_per_parameter
        Weight storage. [bytes]
    kv_bytes_per_token, kv_replication
        KV cache per token per sequence [bytes/token], and its copies across GPUs (>= 1) [-].
    gpus, peak_tflops, bandwidth_tb_per_s
        GPUs of the replica [GPUs]; dense peak of one GPU in the compute format [TFLOP/s]
        and its memory bandwidth [TB/s].
    input_tokens, output_tokens
        Prompt and generated tokens per request. [tokens]
    batch
        Requests served together, >= 1. [requests]
    bandwidth_efficiency, compute_efficiency, expert_efficiency
        Achieved fractions of peak bandwidth and compute, and the fraction of those the expert
        kernels of a mixture of experts achieve. [-]
    communication_fraction, prefill_communication_fraction
        Tensor-parallel allowance of decode and of prefill: step time x (1 + f x (N - 1) / N). [-]
    static_batch
        One static batch rather than a server's steady state (scalar or per row).
    **overheads
        Fixed costs of a decode step, 0 when not given: ``step_overhead_ms``,
        ``layer_overhead_us``, ``moe_layer_overhead_us``, ``allreduce_overhead_us``,
        ``sequence_overhead_us`` (:func:`step_overhead_seconds`). [ms, us]

    Returns
    -------
    dict of arrays: ``prefill_seconds`` [s] (the whole batch's prompts alone),
    ``decode_step_seconds`` [s] (a step of the steady state, prefill included: the mean time
    between two tokens of a stream; of a static batch, the decode step alone),
    ``decode_overhead_seconds`` [s] (its fixed part), ``decode_compute_bound`` [bool],
    ``output_tokens_per_second`` [tokens/s] (whole replica).

    References
    ----------
    FLOPs per token 2 x active parameters + 4 x layers x attention width x context (Kaplan
    et al., "Scaling Laws for Neural Language Models", arXiv:2001.08361, table 1); causal
    prefill attention counts half the square. Roofline: :func:`step_seconds`.
    """
    b, i, o, n = (np.asarray(x, dtype=float) for x in (batch, input_tokens, output_tokens, gpus))
    model = (total_params_b, active_params_b, experts, experts_per_token, layers, attention_width)
    cache = (bytes_per_parameter, kv_bytes_per_token, kv_replication, expert_efficiency)
    work = _StepWork.of(*model, *cache)
    roof = dict(
        gpus=gpus,
        peak_tflops=peak_tflops,
        bandwidth_tb_per_s=bandwidth_tb_per_s,
        compute_efficiency=compute_efficiency,
        bandwidth_efficiency=bandwidth_efficiency,
    )
    fixed = {name: overheads.get(name, 0.0) for name in OVERHEADS}
    unknown = sorted(set(overheads) - set(OVERHEADS))
    if unknown:
        raise TypeError(f"roofline() got an unexpected keyword argument {unknown[0]!r}")
    moe = np.asarray(experts, dtype=float) > 1
    overhead = step_overhead_seconds(layers, n, b, moe, **fixed)
    allowances = (np.asarray(communication_fraction), np.asarray(prefill_communication_fraction))
    return _steps(work, roof, (b, i, o, n), overhead, allowances, static_batch)


def _steps(work, roof, shape, overhead, allowances, static_batch) -> dict[str, np.ndarray]:
    """Prefill, decode steps and throughput of :func:`roofline` (its arguments, grouped)."""
    b, i, o, n = shape
    decode_fraction, prefill_fraction = allowances
    spread = (n - 1) / n
    prefill = step_seconds(*work.prefill(b, i), **roof) * (1.0 + prefill_fraction * spread)
    comm = 1.0 + decode_fraction * spread
    decode_flops, decode_bytes = work.decode(b, i + (o - 1.0) / 2.0)
    alone = step_seconds(decode_flops, decode_bytes, **roof) * comm + overhead
    # Steady state: the prompts of the streams that replace finished ones (b x i tokens per o
    # steps) ride on the decode steps, sharing each step's weight reads (chunked prefill).
    mixed_flops, mixed_bytes, prefill_flops = work.mixed(b, i, o)
    peak = n * roof["peak_tflops"] * FLOPS_PER_TFLOPS * roof["compute_efficiency"]
    mixed = (
        step_seconds(mixed_flops, mixed_bytes, **roof) * comm
        + prefill_flops / peak * prefill_fraction * spread
        + overhead
    )
    static = np.asarray(static_batch, dtype=bool)
    decode = np.where(static, alone, mixed)
    compute_bound = np.where(static, decode_flops, mixed_flops) / peak * comm >= decode - overhead
    return {
        "prefill_seconds": prefill,
        "decode_step_seconds": decode,
        "decode_overhead_seconds": overhead * np.ones_like(decode),
        "decode_compute_bound": compute_bound,
        "output_tokens_per_second": np.where(static, b * o / (prefill + o * alone), b / mixed),
    }


@dataclass(frozen=True)
class _StepWork:
    """FLOPs and bytes of one prefill or decode step of a model (all GPUs together).

    The parts an expert kernel moves or computes count ``1 / expert_efficiency`` times, so
    that the roofline divides them by the lower efficiency the expert kernels achieve.
    """

    weights: np.ndarray  # weight bytes [bytes]
    reads: tuple  # (total_params_b, active_params_b, experts, experts_per_token)
    active_params: np.ndarray  # parameters each token uses [-]
    expert_share: np.ndarray  # fraction of the parameters in routed experts [-]
    total_params: np.ndarray  # all parameters [-]
    attention: np.ndarray  # layers x attention width [-]
    kv_bytes: np.ndarray  # KV cache per token of one sequence [bytes/token]
    kv_replication: np.ndarray  # copies of the KV cache across GPUs [-]
    expert_efficiency: np.ndarray  # [-]

    @classmethod
    def of(cls, total_b, active_b, experts, per_token, layers, width, bpp, kv, copies, eff):
        """The work of a model from :func:`roofline`'s arguments (see there)."""
        reads = (total_b, active_b, experts, per_token)
        return cls(
            weights=weight_bytes(total_b, bytes_per_parameter=bpp),
            reads=reads,
            active_params=np.asarray(active_b, dtype=float) * PARAMETERS_PER_BILLION,
            expert_share=expert_share_of_parameters(*reads),
            total_params=np.asarray(total_b, dtype=float) * PARAMETERS_PER_BILLION,
            attention=np.asarray(layers, dtype=float) * width,
            kv_bytes=kv,
            kv_replication=copies,
            expert_efficiency=np.asarray(eff, dtype=float),
        )

    def _linear_flops(self, tokens):
        """Matrix FLOPs of ``tokens`` tokens, the expert part weighted (:class:`_StepWork`)."""
        shared = self.total_params * (1.0 - self.expert_share)
        expert = np.maximum(self.active_params - shared, 0.0)
        return 2.0 * tokens * (self.active_params - expert + expert / self.expert_efficiency)

    def _weight_reads(self, tokens):
        """Weight bytes ``tokens`` tokens read, the expert part weighted (:class:`_StepWork`)."""
        touched = expert_fraction_read(self.reads[2], self.reads[3], tokens)
        expert = self.weights * self.expert_share * touched
        return self.weights * (1.0 - self.expert_share) + expert / self.expert_efficiency

    def prefill(self, batch, input_tokens):
        """A batch's prefill: every prompt token once; causal attention half the square."""
        tokens = batch * input_tokens
        flops = self._linear_flops(tokens) + batch * 2.0 * self.attention * input_tokens**2
        moved = self._weight_reads(tokens) + tokens * self.kv_bytes * self.kv_replication
        return flops, moved

    def decode(self, batch, context):
        """One decode step of a batch at the average ``context`` length."""
        flops = self._linear_flops(batch) + batch * 4.0 * self.attention * context
        moved = self._weight_reads(batch) + batch * context * self.kv_bytes * self.kv_replication
        return flops, moved

    def mixed(self, batch, input_tokens, output_tokens):
        """A steady-state step: ``batch`` decodes and their share of new prompts' prefill.

        Returns the step's FLOPs and bytes, and the prefill part of its FLOPs. ``batch x
        input / output`` prompt tokens a step; each attends to half its prompt on average.
        """
        context = input_tokens + (output_tokens - 1.0) / 2.0
        prompt = batch * input_tokens / output_tokens
        linear = self._linear_flops(batch + prompt)
        attention = (
            batch * 4.0 * self.attention * context + prompt * 2.0 * self.attention * input_tokens
        )
        prefill_flops = self._linear_flops(prompt) + prompt * 2.0 * self.attention * input_tokens
        moved = (
            self._weight_reads(batch + prompt)
            + (batch * context + prompt) * self.kv_bytes * self.kv_replication
        )
        return linear + attention, moved, prefill_flops


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


__all__ = [
    "BYTES_PER_PARAMETER",
    "COMPUTE_COLUMN",
    "DEFAULT_MEMORY_HEADROOM",
    "EXPERT_ONLY_PRECISIONS",
    "FACTORS",
    "FACTOR_UNITS",
    "FRACTIONS_OF_PEAK",
    "IDEAL",
    "KV_CACHE_BYTES",
    "KV_CACHE_DTYPES",
    "MEMORY_BASES",
    "OVERHEADS",
    "PRECISIONS",
    "Efficiency",
    "bytes_per_parameter",
    "expert_fraction_read",
    "expert_share_of_parameters",
    "kv_cache_bytes_per_token",
    "kv_cache_capacity_bytes",
    "max_batch",
    "roofline",
    "step_overhead_seconds",
    "step_seconds",
    "time_to_first_token_seconds",
    "weight_bytes",
    "weight_bytes_read",
]
