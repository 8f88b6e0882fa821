"""Serving engines: their cited defaults, what they do to memory and batch, and the warnings.

Memory figures are worked by hand from data/gpu_specs.csv (memory_gb read as GiB) and
data/model_specs.csv, under the defaults of data/serving_engines.csv.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

from infermodel import cli, tables
from infermodel.errors import InputError, TableError
from infermodel.estimator import throughput
from infermodel.formulas import roofline
from infermodel.tables import serving_engines

MODELS = tables.load_model_specs()
SPECS = tables.load_gpu_specs()
ENGINES = serving_engines.load_engines()
GIB = 2**30


def est(*args, **kwargs) -> pd.Series:
    options = dict(models=MODELS, gpu_specs=SPECS, engines=ENGINES, efficiency=roofline.IDEAL)
    return throughput.estimate(*args, **{**options, **kwargs}).iloc[0]


# --- the table --------------------------------------------------------------------------


def test_every_engine_row_is_cited_and_dated():
    assert set(ENGINES["engine"]) == set(serving_engines.ENGINES)
    assert ENGINES["source_url"].str.len().gt(10).all()
    assert ENGINES["note"].str.len().gt(40).all()
    assert ENGINES["observed_on"].notna().all()
    by = ENGINES.set_index(["engine", "tensor_parallel_from"])
    # vLLM CacheConfig: gpu_memory_utilization 0.9 of the whole memory; max_num_seqs 1024 on
    # GPUs of 70 GiB or more other than A100, 256 otherwise (EngineArgs.get_batch_defaults)
    assert tuple(by.loc[("vllm", 1), ["memory_fraction", "memory_basis"]]) == (0.9, "total")
    assert (by.loc[("vllm", 1), "max_num_seqs"], by.loc[("vllm", 1), "max_num_seqs_small_gpu"]) == (
        1024,
        256,
    )
    # SGLang mem_fraction_static by tensor-parallel size (0.88 at TP 1 and 0.85 at TP 4 in the
    # SGLang team's README)
    assert [by.loc[("sglang", tp), "memory_fraction"] for tp in (1, 2, 4, 8)] == [
        0.88,
        0.87,
        0.85,
        0.81,
    ]
    # TensorRT-LLM: 0.9 of the memory the weights leave free, batch 2048, the checkpoint's cache
    trt = by.loc[("trtllm", 1)]
    assert (trt["memory_fraction"], trt["memory_basis"], trt["max_num_seqs"]) == (0.9, "free", 2048)
    assert trt["kv_cache_dtype_low_precision"] == "fp8"


def test_a_broken_engine_table_names_its_file_and_field(tmp_path):
    path = tmp_path / "serving_engines.csv"
    text = tables.paths.SERVING_ENGINES_CSV.read_text(encoding="utf-8")
    path.write_text(text.replace("vllm,vLLM,1,0.9,total", "vllm,vLLM,1,1.5,total"))
    with pytest.raises(TableError, match=r"serving_engines.csv:2: field 'memory_fraction'"):
        serving_engines.load_engines(path)
    lines = text.splitlines()
    path.write_text("\n".join(line for line in lines if not line.startswith("trtllm")) + "\n")
    with pytest.raises(TableError, match=r"'trtllm': engine 'trtllm' has no row from one GPU"):
        serving_engines.load_engines(path)


# --- memory and batch under each engine ------------------------------------------------


def test_vllm_keeps_a_bf16_cache_for_fp8_weights_in_0_9_of_the_whole_memory():
    # Llama 3.1 8B FP8 on one H100: cache 2 x 32 layers x 8 heads x 128 x 2 B = 131,072 B a
    # token, 262,144,000 B a 2,000-token sequence; (0.9 x 80 GiB - 8.03e9) / 262,144,000
    # = 69,279,411,328 / 262,144,000 = 264.3 -> 264 sequences.
    row = est("Llama-3.1-8B", "H100-SXM-80GB", 1, "fp8", 1000, 1000)
    assert (row["engine"], row["kv_cache_dtype"], row["memory_fraction"]) == ("vllm", "bf16", 0.9)
    assert row["max_batch"] == int((0.9 * 80 * GIB - 8.03e9) // 262_144_000) == 264
    # --kv-cache-dtype fp8 halves the cache: 528 sequences
    assert (
        est("Llama-3.1-8B", "H100-SXM-80GB", 1, "fp8", 1000, 1000, kv_cache_dtype="FP8")[
            "max_batch"
        ]
        == int((0.9 * 80 * GIB - 8.03e9) // 131_072_000)
        == 528
    )


def test_tensorrt_llm_gives_the_cache_0_9_of_the_memory_the_weights_leave():
    # FP8 checkpoint, FP8 cache (131,072,000 B a sequence): 0.9 x (80 GiB - 8.03e9)
    # = 0.9 x 77,869,345,920 = 70,082,411,328 B -> 534.7 -> 534 sequences.
    row = est("Llama-3.1-8B", "H100-SXM-80GB", 1, "fp8", 1000, 1000, engine="TensorRT-LLM")
    assert (row["engine"], row["kv_cache_dtype"]) == ("trtllm", "fp8")
    assert row["max_batch"] == int(0.9 * (80 * GIB - 8.03e9) // 131_072_000) == 534


def test_sglang_takes_its_fraction_by_tensor_parallel_size():
    # Llama 3.3 70B BF16 on 4 H100: 0.85 x 4 x 80 GiB = 292,057,776,128 B, less 141.1e9 B of
    # weights = 150,957,776,128 B; 327,680 B of cache a token x 2,000 = 655,360,000 B a
    # sequence -> 230.3 -> 230 sequences. One GPU: 0.88 (Llama 3.1 8B FP8: 257).
    row = est("Llama-3.3-70B", "H100-SXM-80GB", 4, "bf16", 1000, 1000, engine="sglang")
    assert row["memory_fraction"] == 0.85
    assert row["max_batch"] == int((0.85 * 4 * 80 * GIB - 141.1e9) // 655_360_000) == 230
    one = est("Llama-3.1-8B", "H100-SXM-80GB", 1, "fp8", 1000, 1000, engine="sglang")
    assert one["max_batch"] == int((0.88 * 80 * GIB - 8.03e9) // 262_144_000) == 257


@pytest.mark.parametrize(
    ("gpu", "precision", "cap"),
    [
        ("H100-SXM-80GB", "fp8", 1024),  # 80 GiB: vLLM's large-GPU default
        ("A100-SXM-80GB", "bf16", 256),  # 'a100' in the name: 256 though it has 80 GiB
        ("L40S-48GB", "fp8", 256),  # under 70 GiB
    ],
)
@pytest.mark.slow
def test_vllm_max_num_seqs_caps_a_batch_that_memory_would_allow(gpu, precision, cap):
    # 200-token sequences of an 8B model: memory holds thousands, the engine caps the batch
    row = est("Llama-3.1-8B", gpu, 1, precision, 100, 100)
    assert row["max_num_seqs"] == cap and row["max_batch"] == cap
    assert est("Llama-3.1-8B", gpu, 1, precision, 100, 100, max_num_seqs=64)["max_batch"] == 64


def test_memory_headroom_still_overrides_every_engine():
    row = est("Llama-3.1-8B", "H100-SXM-80GB", 1, "fp8", 1000, 1000, memory_headroom=0.2)
    assert row["memory_fraction"] == pytest.approx(0.8)
    assert row["max_batch"] == int((0.8 * 80 * GIB - 8.03e9) // 262_144_000)


@pytest.mark.slow
def test_each_engine_has_its_own_fitted_factors():
    fitted = tables.load_efficiencies()
    assert {(e, "NVIDIA") for e in serving_engines.ENGINES} <= set(fitted)
    assert ("trtllm", "AMD") not in fitted  # TensorRT-LLM does not run on AMD GPUs
    rows = [
        est("Llama-3.3-70B", "H100-SXM-80GB", 2, "fp8", 1000, 1000, engine=e, efficiency=None)
        for e in serving_engines.ENGINES
    ]
    for row in rows:
        factors = fitted[(row["engine"], "NVIDIA")]
        assert row["step_overhead_ms"] == pytest.approx(factors.step_overhead_ms)
        assert row["bandwidth_efficiency"] == pytest.approx(factors.bandwidth_efficiency)


# --- bad engines ------------------------------------------------------------------------


def test_tensorrt_llm_on_an_amd_gpu_is_refused():
    with pytest.raises(InputError, match=r"'trtllm' \(TensorRT-LLM\) runs on NVIDIA GPUs only"):
        est("Llama-3.1-8B", "MI300X-192GB", 1, "fp8", 100, 100, engine="trtllm")
    replicas = throughput.smallest_replicas(
        "Llama-3.1-8B",
        ["MI300X-192GB", "H100-SXM-80GB"],
        input_tokens=100,
        output_tokens=100,
        engine="trtllm",
        models=MODELS,
        gpu_specs=SPECS,
    )
    assert list(replicas["gpu"]) == ["H100-SXM-80GB"]  # the AMD GPU is left out, not priced


def test_an_unknown_engine_or_cache_dtype_names_the_valid_ones():
    with pytest.raises(InputError, match=r"unknown engine 'tgi'; valid: vllm, sglang, trtllm"):
        est("Llama-3.1-8B", "H100-SXM-80GB", 1, "fp8", 100, 100, engine="tgi")
    with pytest.raises(InputError, match=r"unknown kv_cache_dtype 'int4'; valid: bf16, fp16, fp8"):
        est("Llama-3.1-8B", "H100-SXM-80GB", 1, "fp8", 100, 100, kv_cache_dtype="int4")
    with pytest.raises(InputError, match=r"max_num_seqs must be a whole number >= 1, got 0"):
        est("Llama-3.1-8B", "H100-SXM-80GB", 1, "fp8", 100, 100, max_num_seqs=0)


# --- where the estimate should not be trusted ------------------------------------------


def test_nothing_known_against_a_measured_configuration():
    row = est("Llama-3.3-70B", "H100-SXM-80GB", 2, "fp8", 1000, 1000, engine="trtllm")
    assert row["warning"] == ""


@pytest.mark.parametrize(
    ("args", "options", "words"),
    [
        (("DeepSeek-V3.1", "H100-SXM-80GB", 16, "fp8"), {}, "16 GPUs span more than one 8-GPU"),
        (("Llama-3.3-70B", "H100-SXM-80GB", 2, "fp8"), {"speculative_decoding": True}, "specul"),
        (("Llama-3.3-70B", "H100-SXM-80GB", 2, "fp8"), {"disaggregated": True}, "disaggregated"),
        (("Llama-3.1-8B", "L40S-48GB", 1, "fp8"), {}, "no published measurement on L40S-48GB"),
        (("Kimi-K2", "H200-SXM-141GB", 8, "fp8"), {}, "no published measurement of Kimi-K2"),
        (("Llama-3.1-8B", "B200-180GB", 1, "fp8"), {}, "of vllm on B200-180GB"),
    ],
)
def test_a_warning_says_where_the_estimate_should_not_be_trusted(args, options, words):
    row = est(*args, 1000, 1000, **options)
    assert words in row["warning"]


def test_a_longer_request_than_any_measured_one_is_flagged():
    longest = int((tables.load_measured().eval("input_tokens + output_tokens")).max())
    row = est("Llama-3.1-8B", "H100-SXM-80GB", 1, "fp8", longest, 1000)
    assert f"requests longer than any measured one ({longest:,} tokens)" in row["warning"]


def test_a_warned_estimate_says_so_in_its_serving_row():
    table = throughput.estimate_table(
        pd.DataFrame(
            [dict(model="Kimi-K2", gpu="H200-SXM-141GB", gpus=8, precision="fp8",
                  input_tokens=1000, output_tokens=1000)]
        ),
        models=MODELS,
        gpu_specs=SPECS,
    )  # fmt: skip
    note = throughput.serving_rows(table).loc[0, "note"]
    assert "Not to be trusted as it stands: no published measurement of Kimi-K2." in note


ARGS = ["throughput", "--model", "Llama-3.3-70B", "--gpu", "H100-SXM-80GB", "--gpus", "2"]
ARGS += ["--precision", "fp8", "--input-tokens", "1000", "--output-tokens", "1000"]


@pytest.mark.slow
def test_cli_answers_first_under_the_engine_asked(capsys):
    assert cli.main([*ARGS, "--engine", "sglang"]) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith(
        "Llama-3.3-70B in FP8 on 2 \u00d7 H100 SXM 80GB under SGLang serves about"
    )
    assert "output tokens/s per replica at the largest batch that fits" in first
    assert "Estimated, not measured: factors of data/throughput_efficiency.csv" in out
    assert cli.main([*ARGS, "--engine", "trtllm", "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert table.loc[0, "engine"] == "trtllm" and table.loc[0, "kv_cache_dtype"] == "fp8"


def test_cli_warns_on_stderr_and_in_the_answer(capsys):
    assert cli.main([*ARGS, "--speculative-decoding"]) == 0
    captured = capsys.readouterr()
    assert "warning: Not to be trusted as it stands: speculative decoding" in captured.err
    assert "Not to be trusted as it stands: speculative decoding" in captured.out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--engine", "tgi"], "--engine must be one of vllm, sglang, trtllm"),
        (["--kv-cache-dtype", "int4"], "--kv-cache-dtype must be one of"),
        (["--max-num-seqs", "-1"], "--max-num-seqs must be a whole number"),
        (["--write"], "--write and --measured go with --refit"),
    ],
)
def test_cli_bad_engine_options_exit_2_with_one_line(capsys, extra, message):
    assert cli.main([*ARGS, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_cli_tensorrt_llm_on_amd_exits_2_with_one_line(capsys):
    argv = [*ARGS, "--engine", "trtllm"]
    argv[argv.index("--gpu") + 1] = "MI300X-192GB"
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "runs on NVIDIA GPUs only" in err and err.count("\n") == 1
