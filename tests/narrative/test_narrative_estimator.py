"""Sentences about the throughput estimator: an estimate, a capacity, warnings, the NIM check,
a refit, the regime the Monte Carlo draws from (infermodel.narrative.estimator)."""

from __future__ import annotations

import pandas as pd

from infermodel import narrative
from infermodel.formulas.roofline import Efficiency

ROW = pd.Series(
    {
        "model": "Llama-3.3-70B",
        "gpu": "H100-SXM-80GB",
        "gpus": 2,
        "precision": "fp8",
        "engine": "trtllm",
        "concurrency": pd.NA,
        "batch": 101,
        "output_tokens_per_second": 2949.6,
        "output_tokens_per_second_per_gpu": 1474.8,
        "output_tokens_per_second_per_stream": 29.2,
        "decode_step_ms": 34.24,
        "decode_bound": "compute",
        "kv_cache_dtype": "fp8",
        "warning": "",
    }
)


def test_an_estimate_answers_first_then_says_where_it_comes_from():
    lines = narrative.estimate_answer(ROW, "factors fitted on 209 points")
    assert lines == [
        "Llama-3.3-70B in FP8 on 2 \u00d7 H100 SXM 80GB under TensorRT-LLM serves about 2,950 "
        "output tokens/s per replica at the largest batch that fits (101 sequences): 1,475 per "
        "GPU, each stream 29.2 tokens/s, a token every 34.2 ms (decode compute-bound, FP8 KV "
        "cache).",
        "Estimated, not measured: factors fitted on 209 points.",
    ]
    at_eight = narrative.estimate_answer(pd.Series({**ROW.to_dict(), "concurrency": 8, "gpus": 1}))
    assert "on one H100 SXM 80GB" in at_eight[0] and "at 8 requests in flight" in at_eight[0]


def test_warnings_become_sentences_once_each():
    lines = narrative.trust_lines(["a; b", "", "a; b", None, "c"])
    assert lines == [
        "Not to be trusted as it stands: a.",
        "Not to be trusted as it stands: b.",
        "Not to be trusted as it stands: c.",
    ]
    gpus = narrative.trust_lines(
        [
            "no published measurement on L40S-48GB: factors borrowed from other GPUs",
            "no published measurement on GH200-96GB: factors borrowed from other GPUs; "
            "no published measurement of Mistral-7B",
            "no published measurement of Mixtral-8x7B",
        ]
    )
    assert gpus == [
        "Not to be trusted as it stands: no published measurement on L40S-48GB and GH200-96GB: "
        "factors borrowed from other GPUs.",
        "Not to be trusted as it stands: no published measurement of Mistral-7B and Mixtral-8x7B.",
    ]
    warned = narrative.estimate_answer(
        pd.Series({**ROW.to_dict(), "warning": "speculative decoding is not modelled"})
    )
    assert warned[-1] == "Not to be trusted as it stands: speculative decoding is not modelled."


def test_capacity_at_a_target_against_the_largest_batch():
    base = ROW.to_dict() | {"itl_ms_target": 50.0, "ttft_ms_target": 1000.0, "warning": ""}
    readings = pd.DataFrame(
        [
            base | {"reading": "at latency target", "meets_target": True, "batch": 113,
                    "limited_by": "itl", "itl_ms": 49.8, "ttft_ms": 154.2,
                    "output_tokens_per_second": 2260.0},
            base | {"reading": "maximum", "meets_target": False, "batch": 256,
                    "limited_by": "", "itl_ms": 80.0, "ttft_ms": 300.0,
                    "output_tokens_per_second": 3202.0},
        ]
    )  # fmt: skip
    # 2,260 / 3,202 = 70.6% -> "71%"
    assert narrative.capacity_answer(readings) == [
        "Llama-3.3-70B in FP8 on 2 \u00d7 H100 SXM 80GB under TensorRT-LLM holds 113 concurrent "
        "streams within ITL 50.0 ms and TTFT 1,000 ms (limited by itl; ITL 49.8 ms, TTFT 154 "
        "ms): 2,260 output tokens/s per replica, 71% of the 3,202 at the largest batch (256 "
        "streams)."
    ]
    missed = readings.assign(meets_target=False, ttft_ms_target=float("nan"))
    assert narrative.capacity_answer(missed)[0].endswith(
        "cannot meet ITL 50.0 ms: one stream alone sees 49.8 ms per token and a first token "
        "after 154 ms."
    )


def test_the_latency_check_names_the_measurement_and_the_estimate():
    checks = pd.DataFrame(
        {
            "point_id": ["nim-c50", "other"],
            "publisher": ["NVIDIA", "dstack"],
            "model": ["Llama-3.3-70B", "DeepSeek-V3.1"],
            "gpu": ["H100-SXM-80GB", "H200-SXM-141GB"],
            "gpus": [2, 8],
            "precision": ["fp8", "fp8"],
            "input_tokens": [5000, 3200],
            "output_tokens": [500, 800],
            "concurrency": [50, 4],
            "itl_ms": [59.73, 25.7],
            "streams_at_itl": [44.9, 2.0],
            "streams_error_percent": [-10.2, -50.0],
            "loso_streams_at_itl": [43.2, 4.4],
            "loso_streams_error_percent": [-13.6, 10.0],
            "itl_error_percent": [10.0, -30.0],
            "loso_itl_error_percent": [15.0, 40.0],
        }
    )
    lines = narrative.latency_check_answer(checks, "nim-c50")
    assert lines[0] == (
        "NVIDIA measured Llama-3.3-70B in FP8 on 2 \u00d7 H100 SXM 80GB (5,000 input / 500 "
        "output tokens) holding 50 streams at 59.7 ms per token; the estimator holds 45 streams "
        "at that latency (\u221210%; 43 streams, \u221214%, when fitted without NVIDIA's "
        "points)."
    )
    # medians of |15|, |40| = 27.5 and of |10|, |30| = 20
    assert lines[1] == (
        "Over all 2 published inter-token latencies from 2 publishers, the estimated ITL at the "
        "measured concurrency is 28% off at the median leave-one-source-out (20% in-sample)."
    )
    assert len(narrative.latency_check_answer(checks, "absent")) == 1


def test_a_refit_says_before_after_and_what_moves():
    errors = pd.DataFrame(
        {
            "fit": [
                "before: shipped factors on these points",
                "after: in-sample",
                "after: leave-one-source-out",
            ],
            "points": [209, 209, 209],
            "publishers": [7, 7, 7],
            "median_ape_percent": [13.84, 13.31, 20.26],
            "worst_ape_percent": [152.0, 152.6, 277.8],
        }
    )
    rows = pd.DataFrame({"assumption_id": ["a", "b"], "change_percent": [-3.3, 0.1]})
    lines = narrative.refit_answer(errors, rows, ())
    assert lines == [
        "Refitted on 209 measured points from 7 publishers: median error 13.3% in-sample (the "
        "shipped factors: 13.8% on the same points), 20.3% leave-one-source-out (worst 278%).",
        "The 2 estimated serving rows move by \u22123.3% to +0.1% in output tokens per hour, "
        "most a (0.97\u00d7 its rate).",
        "Dry run: nothing written; add --write to replace the efficiency table and the "
        "estimated serving rows.",
    ]
    written = narrative.refit_answer(errors.iloc[1:], rows.iloc[:0], ("x.csv", "y.csv"))
    assert "the shipped factors could not be read" in written[0]
    assert written[-1] == "Written: x.csv and y.csv."


def test_the_regime_the_draws_come_from():
    factors = [0.5, 0.8, 0.9, 1.0, 1.0, 1.1, 1.2, 1.3, 1.5, 2.0]
    # numpy's linear quantiles: P10 = 0.5 + 0.9 x 0.3 = 0.77, median 1.05, P90 = 1.5 + 0.1 x 0.5
    regime = {"architecture": "dense", "load": "1-8 streams"}
    assert narrative.error_regime_note(regime, factors) == [
        "Throughput draws come from the estimator's leave-one-source-out error on the 10 "
        "published points of the regime dense and 1-8 streams: the measurement was 0.77\u00d7 "
        "the estimate at P10, 1.05\u00d7 at the median and 1.55\u00d7 at P90."
    ]
    assert "of all regimes" in narrative.error_regime_note({}, factors)[0]
    assert narrative.error_regime_note({}, []) == []


def test_calibration_notes_name_each_engines_factors():
    measured = pd.DataFrame({"publisher": ["A", "A", "B"]})
    factors = {
        ("vllm", "NVIDIA"): Efficiency(0.62, 0.44, step_overhead_ms=0.5, layer_overhead_us=9.9,
                                       sequence_overhead_us=20.7),
        ("vllm", "AMD"): Efficiency(0.5, 0.19),
    }  # fmt: skip
    assert narrative.calibration_notes(measured, factors) == [
        "3 measured points from 2 publishers; fitted on NVIDIA GPUs: vLLM: bandwidth 0.62 and "
        "compute 0.44 of peak, 0.50 ms a step + 9.9 \u00b5s a layer + 20.7 \u00b5s a running "
        "sequence; on AMD GPUs vLLM reaches 0.50 of peak bandwidth."
    ]


def test_regime_answer_reads_the_kinds_of_configuration_not_publishers():
    regimes = pd.DataFrame(
        {
            "regime": ["all", "engine", "engine", "publisher", "publisher", "not fitted"],
            "group": ["all points", "vLLM", "SGLang", "dstack", "NVIDIA", "bursts"],
            "points": [10, 6, 4, 3, 7, 2],
            "publishers": [3, 2, 2, 1, 1, 1],
            "loso_median_ape_percent": [20.0, 15.0, 45.0, 80.0, 10.0, 90.0],
            "loso_mean_signed_error_percent": [5.0, -3.0, 30.0, 70.0, -5.0, 100.0],
        }
    )
    assert narrative.regime_answer(regimes) == [
        "By regime, leave-one-source-out, the estimate is weakest for SGLang (4 points from 2 "
        "publishers: 45% median error, over-estimating by 30% on average) and strongest for "
        "vLLM (6 points from 2 publishers: 15% median error, under-estimating by 3% on "
        "average)."
    ]
