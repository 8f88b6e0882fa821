"""The open-weight models of 2025-2026 in data/model_specs.csv, checked against their configs.

``CONFIGS`` transcribes the fields of each model's Hugging Face ``config.json`` that fix its
parameter count (read from the copies in ai-dynamo/aiconfigurator, see data/prices/SOURCES.md,
"Model specs"); the parameter counts are recomputed from them layer by layer and must match
the rows to 0.5%, and the model cards' rounded figures to 3% (Kimi's "1T" is 1,026B). The
rows' columns that the estimator reads as an equivalent (MLA's compressed KV cache,
gpt-oss's sliding-window layers) are checked against the KV cache the config implies.
"""

from __future__ import annotations

import pandas as pd
import pytest

from infermodel import prices, tables, workloads
from infermodel.errors import InputError
from infermodel.estimator import throughput
from infermodel.formulas import roofline
from infermodel.pricing import compare
from infermodel.tables import serving

MODELS = tables.load_model_specs().set_index("model")

#: Fields of each config.json (the text_config of a multimodal one) that fix the parameters.
CONFIGS = {
    "gpt-oss-120b": dict(
        kind="gpt_oss",
        layers=36,
        hidden=2880,
        heads=64,
        kv_heads=8,
        head_dim=64,
        expert_inter=2880,
        vocab=201088,
        experts=128,
        top_k=4,
        sliding_layers=18,
        window=128,
    ),
    "gpt-oss-20b": dict(
        kind="gpt_oss",
        layers=24,
        hidden=2880,
        heads=64,
        kv_heads=8,
        head_dim=64,
        expert_inter=2880,
        vocab=201088,
        experts=32,
        top_k=4,
        sliding_layers=12,
        window=128,
    ),
    "DeepSeek-V3.1": dict(
        kind="mla",
        layers=61,
        dense_layers=3,
        hidden=7168,
        heads=128,
        q_lora=1536,
        kv_lora=512,
        nope=128,
        rope=64,
        v_dim=128,
        inter=18432,
        expert_inter=2048,
        vocab=129280,
        experts=256,
        shared=1,
        top_k=8,
        indexer=None,
    ),
    "DeepSeek-V3.2": dict(
        kind="mla",
        layers=61,
        dense_layers=3,
        hidden=7168,
        heads=128,
        q_lora=1536,
        kv_lora=512,
        nope=128,
        rope=64,
        v_dim=128,
        inter=18432,
        expert_inter=2048,
        vocab=129280,
        experts=256,
        shared=1,
        top_k=8,
        indexer=(64, 128),
    ),
    "Kimi-K2": dict(
        kind="mla",
        layers=61,
        dense_layers=1,
        hidden=7168,
        heads=64,
        q_lora=1536,
        kv_lora=512,
        nope=128,
        rope=64,
        v_dim=128,
        inter=18432,
        expert_inter=2048,
        vocab=163840,
        experts=384,
        shared=1,
        top_k=8,
        indexer=None,
    ),
    "Kimi-K2.5": dict(
        kind="mla",
        layers=61,
        dense_layers=1,
        hidden=7168,
        heads=64,
        q_lora=1536,
        kv_lora=512,
        nope=128,
        rope=64,
        v_dim=128,
        inter=18432,
        expert_inter=2048,
        vocab=163840,
        experts=384,
        shared=1,
        top_k=8,
        indexer=None,
    ),
    "Qwen3-235B-A22B": dict(
        kind="qwen3_moe",
        layers=94,
        hidden=4096,
        heads=64,
        kv_heads=4,
        head_dim=128,
        expert_inter=1536,
        vocab=151936,
        experts=128,
        top_k=8,
    ),
    "Qwen3-Coder-480B-A35B": dict(
        kind="qwen3_moe",
        layers=62,
        hidden=6144,
        heads=96,
        kv_heads=8,
        head_dim=128,
        expert_inter=2560,
        vocab=151936,
        experts=160,
        top_k=8,
    ),
    "Llama-4-Maverick-17B-128E": dict(
        kind="llama4",
        layers=48,
        moe_every=2,
        hidden=5120,
        heads=40,
        kv_heads=8,
        head_dim=128,
        expert_inter=8192,
        dense_inter=16384,
        vocab=202048,
        experts=128,
        top_k=1,
    ),
    "Llama-4-Scout-17B-16E": dict(
        kind="llama4",
        layers=48,
        moe_every=1,
        hidden=5120,
        heads=40,
        kv_heads=8,
        head_dim=128,
        expert_inter=8192,
        dense_inter=16384,
        vocab=202048,
        experts=16,
        top_k=1,
    ),
}

#: Total and active parameters the model cards state, rounded as they give them. [billions]
MODEL_CARDS = {
    "gpt-oss-120b": (117, 5.1),
    "gpt-oss-20b": (21, 3.6),
    "DeepSeek-V3.1": (671, 37),
    "DeepSeek-V3.2": None,  # no card figure read; V3.1's layers plus the indexer (below)
    "Kimi-K2": (1000, 32),
    "Kimi-K2.5": (1000, 32),
    "Qwen3-235B-A22B": (235, 22),
    "Qwen3-Coder-480B-A35B": (480, 35),
    "Llama-4-Maverick-17B-128E": (400, 17),
    "Llama-4-Scout-17B-16E": (109, 17),
}

#: The new DIY serving assumptions: the GPU they are for, and one too small for them.
NEW_SERVING = {
    "estimated-gpt-oss-120b-h100-sxm-x1-mxfp4": ("H100-SXM-80GB", "L40S-48GB"),
    "estimated-gpt-oss-20b-h100-sxm-x1-mxfp4": ("H100-SXM-80GB", None),
    "estimated-qwen3-235b-a22b-h100-sxm-x4-fp8": ("H100-SXM-80GB", None),
    "estimated-llama-4-maverick-h100-sxm-x8-fp8": ("H100-SXM-80GB", None),
    "estimated-deepseek-v3-1-h200-x8-fp8": ("H200-SXM-141GB", "H100-SXM-80GB"),
    "estimated-kimi-k2-h200-x8-fp8": ("H200-SXM-141GB", "H100-SXM-80GB"),
}


def _embeddings(c) -> int:
    return 2 * c["vocab"] * c["hidden"]  # input embeddings and LM head, untied in all of these


def _gqa(c, *, bias: bool = False, qk_norm: bool = False) -> int:
    q, kv = c["heads"] * c["head_dim"], c["kv_heads"] * c["head_dim"]
    weights = c["hidden"] * (q + 2 * kv) + q * c["hidden"]
    biases = (q + 2 * kv + c["hidden"]) if bias else 0
    return weights + biases + (2 * c["head_dim"] if qk_norm else 0)


def _mla(c) -> int:
    h, heads = c["hidden"], c["heads"]
    attention = (
        h * c["q_lora"]
        + c["q_lora"]  # q_a_proj, q_a_layernorm
        + c["q_lora"] * heads * (c["nope"] + c["rope"])  # q_b_proj
        + h * (c["kv_lora"] + c["rope"])
        + c["kv_lora"]  # kv_a_proj_with_mqa, kv_a_layernorm
        + c["kv_lora"] * heads * (c["nope"] + c["v_dim"])  # kv_b_proj
        + heads * c["v_dim"] * h  # o_proj
    )
    if c["indexer"]:  # DeepSeek sparse attention's lightning indexer
        index_heads, index_dim = c["indexer"]
        attention += (
            c["q_lora"] * index_heads * index_dim + h * index_dim + 2 * index_dim + h * index_heads
        )
    return attention


def parameters_b(name: str) -> tuple[float, float]:
    """(total, active) parameters recomputed from the config, the main model only. [billions]

    Norm weights are counted; multi-token-prediction layers and vision towers are not (the
    model cards' totals leave them out too, e.g. DeepSeek-V3's 671B of 685B).
    """
    c = CONFIGS[name]
    h, layers = c["hidden"], c["layers"]
    norms = 2 * h * layers + h
    expert = 3 * h * c["expert_inter"]  # gate, up and down projections of one expert
    if c["kind"] == "gpt_oss":
        expert += 2 * c["expert_inter"] + h  # gate_up and down biases
        router = h * c["experts"] + c["experts"]
        fixed = layers * (_gqa(c, bias=True) + c["heads"] + router)  # + attention sinks
        total = fixed + layers * c["experts"] * expert
        active = fixed + layers * c["top_k"] * expert
    elif c["kind"] == "qwen3_moe":
        fixed = layers * (_gqa(c, qk_norm=True) + h * c["experts"])
        total = fixed + layers * c["experts"] * expert
        active = fixed + layers * c["top_k"] * expert
    elif c["kind"] == "llama4":
        moe_layers = layers // c["moe_every"]
        dense = (layers - moe_layers) * 3 * h * c["dense_inter"]
        fixed = layers * _gqa(c) + dense + moe_layers * (expert + h * c["experts"])  # shared
        total = fixed + moe_layers * c["experts"] * expert
        active = fixed + moe_layers * c["top_k"] * expert
    else:  # MLA
        moe_layers = layers - c["dense_layers"]
        router = h * c["experts"] + c["experts"]  # gate and e_score_correction_bias
        fixed = (
            layers * _mla(c)
            + c["dense_layers"] * 3 * h * c["inter"]
            + moe_layers * (c["shared"] * expert + router)
        )
        total = fixed + moe_layers * c["experts"] * expert
        active = fixed + moe_layers * c["top_k"] * expert
    base = _embeddings(c) + norms
    return (base + total) / 1e9, (base + active) / 1e9


def kv_values_per_token(name: str, context: int) -> float:
    """Cached values one token of a ``context``-token sequence takes, from the config. [-]"""
    c = CONFIGS[name]
    if c["kind"] == "mla":  # one compressed latent and one shared RoPE key per layer
        index_key = c["indexer"][1] if c["indexer"] else 0  # DeepSeek sparse attention's
        return c["layers"] * (c["kv_lora"] + c["rope"] + index_key)
    per_layer = 2 * c["kv_heads"] * c["head_dim"]
    sliding = c.get("sliding_layers", 0)
    window_share = min(1.0, c.get("window", context) / context)
    return per_layer * ((c["layers"] - sliding) + sliding * window_share)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_parameters_recomputed_from_the_config_match_the_row(name):
    total, active = parameters_b(name)
    row = MODELS.loc[name]
    assert row["total_params_b"] == pytest.approx(total, rel=0.005)
    assert row["active_params_b"] == pytest.approx(active, rel=0.005)
    if MODEL_CARDS[name] is None:
        indexer = parameters_b(name)[0] - parameters_b("DeepSeek-V3.1")[0]
        assert indexer == pytest.approx(61 * (1536 * 64 * 128 + 7168 * 128 + 256 + 7168 * 64) / 1e9)
        return
    card_total, card_active = MODEL_CARDS[name]
    c = CONFIGS[name]
    if c["kind"] == "gpt_oss":  # OpenAI's active count leaves out the input embeddings
        active -= c["vocab"] * c["hidden"] / 1e9
    assert total == pytest.approx(card_total, rel=0.03)
    assert active == pytest.approx(card_active, rel=0.03)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_the_row_holds_the_config_architecture(name):
    c, row = CONFIGS[name], MODELS.loc[name]
    assert row["layers"] == c["layers"]
    assert row["hidden_size"] == c["hidden"]
    assert row["attention_heads"] == c["heads"]
    assert row["vocab_size"] == c["vocab"]
    assert (row["experts"], row["experts_per_token"]) == (c["experts"], c["top_k"])
    assert row["intermediate_size"] == c["expert_inter"]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_the_kv_columns_give_the_cache_the_config_implies(name):
    # The estimator caches 2 x layers x kv_heads x head_dim values a token; rows whose
    # attention is not plain GQA hold an equivalent (see their notes). Exact for MLA; for
    # gpt-oss the sliding layers' 128-token window is left out (within 10% from 2k tokens).
    row = MODELS.loc[name]
    estimator = 2 * row["layers"] * row["kv_heads"] * row["head_dim"]
    assert estimator == pytest.approx(kv_values_per_token(name, 2_000), rel=0.10)
    if CONFIGS[name]["kind"] == "mla":
        assert row["kv_heads"] == 1  # one latent shared by every head: copied on every GPU


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_the_estimator_runs_on_every_new_row(name):
    c = CONFIGS[name]
    precision = "mxfp4" if c["kind"] == "gpt_oss" else "fp8"
    table = throughput.smallest_replicas(
        name,
        ["H100-SXM-80GB", "H200-SXM-141GB"],
        precisions=[precision],
        input_tokens=1000,
        output_tokens=1000,
    )
    assert len(table) == 2
    fitting = table[table["fits"]]
    assert len(fitting) >= 1, table[["gpu", "gpus", "weight_gb", "memory_gb_usable"]]
    assert (fitting["output_tokens_per_second"] > 0).all()


@pytest.mark.slow
def test_mxfp4_stores_gpt_oss_experts_in_4_25_bits_and_the_rest_in_bf16():
    # gpt-oss-120b: the checkpoint is ~60.8 GiB (65.3 GB); the experts hold 98% of the weights.
    row = throughput.estimate("gpt-oss-120b", "H100-SXM-80GB", 1, "mxfp4", 1000, 1000)
    assert row.loc[0, "weight_gb"] == pytest.approx(65.3, rel=0.01)
    assert row.loc[0, "decode_bound"] == "memory"
    bf16 = throughput.estimate_table(
        pd.DataFrame(
            [
                dict(
                    model="gpt-oss-120b",
                    gpu="H100-SXM-80GB",
                    gpus=1,
                    precision="bf16",
                    input_tokens=1000,
                    output_tokens=1000,
                )
            ]
        )
    )
    assert not bf16.loc[0, "fits"]  # 234 GB in 16 bits needs 4 GPUs
    share = roofline.expert_share_of_parameters(116.83, 5.71, 128, 4)
    assert share == pytest.approx(0.982, abs=0.001)
    assert roofline.bytes_per_parameter("mxfp4", 116.83, 5.71, 128, 4) == pytest.approx(
        share * 0.53125 + (1 - share) * 2.0
    )


def test_mxfp4_on_a_dense_model_is_refused():
    with pytest.raises(InputError, match="dense"):
        throughput.estimate("Llama-3.3-70B", "H100-SXM-80GB", 1, "mxfp4", 100, 100)


def test_tensor_parallel_check_on_the_new_rows():
    with pytest.raises(InputError, match="cannot split"):
        throughput.estimate("Llama-4-Maverick-17B-128E", "H100-SXM-80GB", 3, "fp8", 100, 100)
    with pytest.raises(InputError, match="cannot split"):
        throughput.estimate("Qwen3-235B-A22B", "H100-SXM-80GB", 6, "fp8", 100, 100)
    # MLA's one latent KV "head" is copied onto every GPU, which any head-dividing count allows
    assert len(throughput.estimate("DeepSeek-V3.1", "H200-SXM-141GB", 8, "fp8", 100, 100)) == 1


def _pairs(ids):
    snapshot = prices.as_of("2026-12-01")
    assumptions = serving.select(tables.load_serving(), list(ids))
    grid = serving.pairs(snapshot.gpu, assumptions, tables.load_gpu_specs())
    table = compare.cost_table(workloads.article_workload(), snapshot, assumptions)
    return grid, table


@pytest.mark.slow
def test_new_serving_assumptions_price_on_their_gpu_and_not_on_a_smaller_one():
    grid, table = _pairs(NEW_SERVING)
    serving_rows = tables.load_serving().set_index("assumption_id")
    for sid, (gpu, too_small) in NEW_SERVING.items():
        rows = grid[grid["assumption_id"] == sid]
        assert rows.loc[rows["gpu"] == gpu, "priced"].all(), sid
        assert not rows.loc[rows["gpu"] != gpu, "priced"].any(), sid
        diy = table[table["offering_id"].str.endswith("@" + sid)]
        assert len(diy) >= 1 and (diy["gpu"] == gpu).all(), sid
        assert (diy["usd_per_million_tokens"] > 0).all()
        row = serving_rows.loc[sid]
        assert not row["article_default"]
        # dated by the refit that wrote it: the fitted factors' date
        fitted_on = tables.load_efficiency_table()["observed_on"].max()
        assert str(row["observed_on"])[:10] == str(fitted_on)[:10]
        assert "infermodel throughput --model" in row["note"]
        if too_small:
            memory = tables.load_gpu_specs().set_index("gpu").loc[too_small, "memory_gb"]
            assert memory * row["gpus_per_replica"] < row["min_memory_gb_per_replica"]


@pytest.mark.parametrize("sid", sorted(NEW_SERVING))
def test_new_serving_rates_are_the_estimators(sid):
    row = tables.load_serving().set_index("assumption_id").loc[sid]
    estimate = throughput.estimate(
        row["model"], row["gpu"], int(row["gpus_per_replica"]), row["precision"], 1000, 1000
    )
    rate = estimate.loc[0, "output_tokens_per_second"] * 3600
    assert row["output_tokens_per_hour_per_replica"] == pytest.approx(rate, rel=0.001)
