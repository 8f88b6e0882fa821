"""Tests of infermodel.formulas: hand-worked values, shapes, properties, bad arguments.

Hand-worked values use the inputs of Procure.FYI, "A Deep Dive into AI Inference Platforms -
Part 3" (May 2025; /work/shared/source/article-part3.txt, section "Cost Formulas for AI
Inference"): RunPod H100 at 1.99 USD/h, GPU utilization 0.8, "1-2M tokens/hour for large
LLMs", "real-time at 60 tok/sec", and the 20-million-token benchmark job.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infermodel import formulas
from infermodel.units import SECONDS_PER_HOUR, TOKENS_PER_MILLION

# The article's inputs (article-part3.txt, "Cost Formulas for AI Inference" and the
# "What Does 20 Million Tokens Really Cost?" section).
ARTICLE_TOKENS = 20_000_000  # "20 million tokens of inference"
RUNPOD_H100_USD_PER_HOUR = 1.99  # "e.g., $1.99/hr for RunPod H100"
ARTICLE_UTILIZATION = 0.8  # "e.g., 0.8 = 80% utilization"
ONE_M_PER_HOUR_TPS = 1_000_000 / 3600  # "1-2M tokens/hour for large LLMs", low end: 277.78 tok/s
TWO_M_PER_HOUR_TPS = 2_000_000 / 3600  # high end: 555.56 tok/s
REALTIME_TPS = 60  # "real-time at 60 tok/sec"

# OpenAI GPT-4o list prices, May 2025 (may2025-price-facts.csv, tokencost@2bf35675:
# 2.5 USD/Mtok input, 10 USD/Mtok output; cached input 1.25 in data/prices/api_prices.csv).
GPT4O_INPUT, GPT4O_CACHED, GPT4O_OUTPUT = 2.5, 1.25, 10.0

# Hypothesis settings: enough examples to find a counter-example, no deadline (no timing
# assertions in this suite).
PROPERTY = settings(max_examples=60, deadline=None)

tokens_st = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)
price_st = st.floats(min_value=0, max_value=1_000, allow_nan=False, allow_infinity=False)
gpu_price_st = st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False)
tps_st = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)
utilization_st = st.floats(min_value=1e-3, max_value=1.0, allow_nan=False, allow_infinity=False)
factor_st = st.floats(min_value=0, max_value=1e3, allow_nan=False, allow_infinity=False)


def close(a: float, b: float, rel: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


# --------------------------------------------------------------------------------------
# (a) Hand-worked values from the article's inputs
# --------------------------------------------------------------------------------------


class TestArticleDIY:
    """DIY formula: tokens / (throughput x utilization x 3600) x hourly rate (article)."""

    def test_one_million_tokens_per_hour(self):
        # 20e6 / (277.78 x 0.8 x 3600) = 20e6 / 800,000 = 25 GPU-h; x 1.99 = 49.75 USD.
        hours = formulas.gpu_hours(ARTICLE_TOKENS, ONE_M_PER_HOUR_TPS, ARTICLE_UTILIZATION)
        cost = formulas.gpu_cost_usd(
            ARTICLE_TOKENS, ONE_M_PER_HOUR_TPS, ARTICLE_UTILIZATION, RUNPOD_H100_USD_PER_HOUR
        )
        assert hours == pytest.approx(25.0)
        assert cost == pytest.approx(49.75)

    def test_two_million_tokens_per_hour(self):
        # 20e6 / (2e6 x 0.8) = 12.5 GPU-h; x 1.99 = 24.875 USD.
        hours = formulas.gpu_hours(ARTICLE_TOKENS, TWO_M_PER_HOUR_TPS, ARTICLE_UTILIZATION)
        cost = formulas.gpu_cost_usd(
            ARTICLE_TOKENS, TWO_M_PER_HOUR_TPS, ARTICLE_UTILIZATION, RUNPOD_H100_USD_PER_HOUR
        )
        assert hours == pytest.approx(12.5)
        assert cost == pytest.approx(24.875)

    def test_realtime_60_tokens_per_second(self):
        # 20e6 / (60 x 0.8 x 3600) = 20e6 / 172,800 = 115.7407 h; x 1.99 = 230.324 USD.
        hours = formulas.gpu_hours(ARTICLE_TOKENS, REALTIME_TPS, ARTICLE_UTILIZATION)
        cost = formulas.gpu_cost_usd(
            ARTICLE_TOKENS, REALTIME_TPS, ARTICLE_UTILIZATION, RUNPOD_H100_USD_PER_HOUR
        )
        assert hours == pytest.approx(115.7407, abs=1e-4)
        assert cost == pytest.approx(230.3241, abs=1e-4)
        assert cost == pytest.approx(20e6 / (60 * 0.8 * 3600) * 1.99)

    def test_wall_clock_equals_gpu_hours_on_one_gpu(self):
        wall = formulas.wall_clock_hours(ARTICLE_TOKENS, ONE_M_PER_HOUR_TPS, ARTICLE_UTILIZATION)
        assert wall == pytest.approx(25.0)

    def test_two_gpus_per_replica_double_gpu_hours_not_wall_clock(self):
        # A 70B model in 16-bit needs two 80 GB GPUs (shared/source/README.md): the replica
        # runs at the same rate, so elapsed time is unchanged and GPU-hours double.
        one = formulas.gpu_hours(ARTICLE_TOKENS, ONE_M_PER_HOUR_TPS, ARTICLE_UTILIZATION)
        two = formulas.gpu_hours(
            ARTICLE_TOKENS, ONE_M_PER_HOUR_TPS, ARTICLE_UTILIZATION, gpus_per_replica=2
        )
        wall = formulas.wall_clock_hours(ARTICLE_TOKENS, ONE_M_PER_HOUR_TPS, ARTICLE_UTILIZATION)
        assert two == pytest.approx(50.0)
        assert two == pytest.approx(2 * one)
        assert wall == pytest.approx(25.0)
        cost = formulas.gpu_cost_usd(
            ARTICLE_TOKENS,
            ONE_M_PER_HOUR_TPS,
            ARTICLE_UTILIZATION,
            RUNPOD_H100_USD_PER_HOUR,
            gpus_per_replica=2,
        )
        assert cost == pytest.approx(99.5)

    def test_replicas_divide_wall_clock(self):
        wall = formulas.wall_clock_hours(
            ARTICLE_TOKENS, ONE_M_PER_HOUR_TPS, ARTICLE_UTILIZATION, replicas=4
        )
        assert wall == pytest.approx(25.0 / 4)

    def test_self_hosted_price_per_million_tokens(self):
        # 1e6 / (555.5556 x 0.8 x 3600) = 0.625 h per Mtok; x 1.99 = 1.24375 USD/Mtok.
        price = formulas.self_hosted_usd_per_million_tokens(555.5556, 0.8, 1.99)
        assert price == pytest.approx(1.24375, rel=1e-6)

    def test_self_hosted_price_matches_job_cost(self):
        # Price per Mtok x 20 Mtok = the 2M tok/h job's 24.875 USD.
        price = formulas.self_hosted_usd_per_million_tokens(
            TWO_M_PER_HOUR_TPS, ARTICLE_UTILIZATION, RUNPOD_H100_USD_PER_HOUR
        )
        assert price * ARTICLE_TOKENS / TOKENS_PER_MILLION == pytest.approx(24.875)

    def test_units_are_the_articles(self):
        # The article's "3600 = number of seconds per hour"; prices are per million tokens.
        assert SECONDS_PER_HOUR == 3600
        assert TOKENS_PER_MILLION == 1_000_000


class TestArticleAPI:
    """API formula: Total Cost = Tokens x Price Per Token (article)."""

    def test_gpt4o_20m_output_tokens(self):
        # The article's job read literally (all 20M are output) at GPT-4o's 10 USD/Mtok:
        # 20 x 10 = 200 USD.
        cost = formulas.api_cost_usd(0, ARTICLE_TOKENS, GPT4O_INPUT, GPT4O_OUTPUT)
        assert cost == pytest.approx(200.0)

    def test_input_cached_output_mix(self):
        # 1M input x 2.5 + 4M cached x 1.25 + 0.5M output x 10 = 2.5 + 5 + 5 = 12.5 USD.
        cost = formulas.api_cost_usd(
            1_000_000,
            500_000,
            GPT4O_INPUT,
            GPT4O_OUTPUT,
            cached_input_tokens=4_000_000,
            usd_per_million_cached_input_tokens=GPT4O_CACHED,
        )
        assert cost == pytest.approx(12.5)

    def test_cached_price_none_bills_input_price(self):
        # Claude 3 Sonnet lists no cache price (api_prices.csv): 1M input + 4M cached at
        # 3 USD/Mtok + 0.5M output at 15 = 3 + 12 + 7.5 = 22.5 USD.
        cost = formulas.api_cost_usd(
            1_000_000,
            500_000,
            3.0,
            15.0,
            cached_input_tokens=4_000_000,
            usd_per_million_cached_input_tokens=None,
        )
        assert cost == pytest.approx(22.5)
        same = formulas.api_cost_usd(5_000_000, 500_000, 3.0, 15.0)
        assert cost == pytest.approx(same)

    def test_usd_per_million_tokens(self):
        # 49.75 USD over 20M tokens = 2.4875 USD/Mtok.
        assert formulas.usd_per_million_tokens(49.75, ARTICLE_TOKENS) == pytest.approx(2.4875)
        assert formulas.usd_per_million_tokens(200.0, ARTICLE_TOKENS) == pytest.approx(10.0)

    def test_price_per_token_stack_sums_to_total(self):
        # "Total Price Per Token = Base Cost + IP Markup + Infrastructure Cost +
        # Batch/Latency Penalty" (article): 1.24375 + 3.75 + 2.0 + 3.00625 = 10.
        stack = formulas.price_per_token_stack(1.24375, 3.75, 2.0, 3.00625)
        assert stack.total == pytest.approx(10.0)
        assert stack.base + stack.ip_markup + stack.platform_overhead + stack.latency_penalty == (
            pytest.approx(stack.total)
        )
        assert stack._fields == (
            "base",
            "ip_markup",
            "platform_overhead",
            "latency_penalty",
            "total",
        )

    def test_price_per_token_stack_allows_negative_fitted_layers(self):
        # Documented: markup, overhead and penalty may be negative when fitted; base may not.
        stack = formulas.price_per_token_stack(1.0, -0.2, 0.0, -0.3)
        assert stack.total == pytest.approx(0.5)


# --------------------------------------------------------------------------------------
# (b) Vectorization: the same shape (and index) out as in
# --------------------------------------------------------------------------------------


class TestVectorized:
    def test_numpy_arrays_keep_shape(self):
        tps = np.array([[ONE_M_PER_HOUR_TPS, TWO_M_PER_HOUR_TPS, REALTIME_TPS]] * 2)
        cost = formulas.gpu_cost_usd(ARTICLE_TOKENS, tps, ARTICLE_UTILIZATION, 1.99)
        assert isinstance(cost, np.ndarray)
        assert cost.shape == (2, 3)
        np.testing.assert_allclose(cost[0], [49.75, 24.875, 20e6 / (60 * 0.8 * 3600) * 1.99])

    def test_numpy_arrays_in_every_function(self):
        n = np.array([1e6, 2e6, 4e6])
        assert formulas.api_cost_usd(n, n, 2.5, 10.0).shape == (3,)
        assert formulas.gpu_hours(n, 100.0, 0.8).shape == (3,)
        assert formulas.wall_clock_hours(n, 100.0, 0.8).shape == (3,)
        assert formulas.self_hosted_usd_per_million_tokens(n, 0.8, 1.99).shape == (3,)
        assert formulas.usd_per_million_tokens(n, n).shape == (3,)
        assert formulas.price_per_token_stack(n, n, n, n).total.shape == (3,)

    def test_series_keep_index(self):
        index = pd.Index(["batch-1m", "batch-2m", "realtime"], name="assumption")
        tps = pd.Series([ONE_M_PER_HOUR_TPS, TWO_M_PER_HOUR_TPS, REALTIME_TPS], index=index)
        cost = formulas.gpu_cost_usd(ARTICLE_TOKENS, tps, ARTICLE_UTILIZATION, 1.99)
        assert isinstance(cost, pd.Series)
        assert cost.index.equals(index)
        assert cost["batch-1m"] == pytest.approx(49.75)
        assert cost["batch-2m"] == pytest.approx(24.875)
        hours = formulas.gpu_hours(ARTICLE_TOKENS, tps, ARTICLE_UTILIZATION, gpus_per_replica=2)
        assert hours.index.equals(index)
        per_m = formulas.self_hosted_usd_per_million_tokens(tps, ARTICLE_UTILIZATION, 1.99)
        assert per_m.index.equals(index)

    def test_api_series_with_missing_cached_price(self):
        index = pd.Index(["gpt-4o", "claude-3-sonnet"])
        input_price = pd.Series([2.5, 3.0], index=index)
        output_price = pd.Series([10.0, 15.0], index=index)
        cost = formulas.api_cost_usd(
            1_000_000, 500_000, input_price, output_price, cached_input_tokens=4_000_000
        )
        assert isinstance(cost, pd.Series)
        assert cost.index.equals(index)
        np.testing.assert_allclose(cost.to_numpy(), [2.5 * 5 + 5, 3.0 * 5 + 7.5])

    def test_usd_per_million_tokens_series(self):
        cost = pd.Series([49.75, 200.0], index=["diy", "api"])
        out = formulas.usd_per_million_tokens(cost, ARTICLE_TOKENS)
        assert list(out.index) == ["diy", "api"]
        np.testing.assert_allclose(out.to_numpy(), [2.4875, 10.0])


# --------------------------------------------------------------------------------------
# (c) Properties
# --------------------------------------------------------------------------------------


class TestProperties:
    @PROPERTY
    @given(tokens_st, tokens_st, tokens_st, price_st, price_st, price_st, factor_st)
    def test_api_cost_linear_in_tokens(self, inp, out, cached, p_in, p_out, p_cached, k):
        base = formulas.api_cost_usd(
            inp,
            out,
            p_in,
            p_out,
            cached_input_tokens=cached,
            usd_per_million_cached_input_tokens=p_cached,
        )
        scaled = formulas.api_cost_usd(
            k * inp,
            k * out,
            p_in,
            p_out,
            cached_input_tokens=k * cached,
            usd_per_million_cached_input_tokens=p_cached,
        )
        assert close(scaled, k * base)

    @PROPERTY
    @given(tokens_st, tokens_st, tokens_st, price_st, price_st, price_st)
    def test_api_cost_non_negative(self, inp, out, cached, p_in, p_out, p_cached):
        cost = formulas.api_cost_usd(
            inp,
            out,
            p_in,
            p_out,
            cached_input_tokens=cached,
            usd_per_million_cached_input_tokens=p_cached,
        )
        assert cost >= 0

    @PROPERTY
    @given(
        tokens_st,
        tokens_st,
        tokens_st,
        price_st,
        price_st,
        price_st,
        price_st,
        st.sampled_from(["input", "output", "cached"]),
    )
    def test_api_cost_monotone_in_each_price(
        self, inp, out, cached, p_in, p_out, p_cached, extra, which
    ):
        prices = {"input": p_in, "output": p_out, "cached": p_cached}
        higher = dict(prices, **{which: prices[which] + extra})

        def cost(p):
            return formulas.api_cost_usd(
                inp,
                out,
                p["input"],
                p["output"],
                cached_input_tokens=cached,
                usd_per_million_cached_input_tokens=p["cached"],
            )

        assert cost(higher) >= cost(prices)

    @PROPERTY
    @given(tokens_st, tps_st, utilization_st, gpu_price_st, factor_st)
    def test_gpu_cost_linear_in_tokens(self, tokens, tps, utilization, usd_per_hour, k):
        base = formulas.gpu_cost_usd(tokens, tps, utilization, usd_per_hour)
        scaled = formulas.gpu_cost_usd(k * tokens, tps, utilization, usd_per_hour)
        assert close(scaled, k * base)

    @PROPERTY
    @given(tokens_st, tps_st, utilization_st, gpu_price_st, st.integers(1, 64))
    def test_gpu_cost_non_negative(self, tokens, tps, utilization, usd_per_hour, gpus):
        cost = formulas.gpu_cost_usd(tokens, tps, utilization, usd_per_hour, gpus_per_replica=gpus)
        assert cost >= 0

    @PROPERTY
    @given(tokens_st, tps_st, utilization_st, gpu_price_st, gpu_price_st)
    def test_gpu_cost_monotone_in_price(self, tokens, tps, utilization, usd_per_hour, extra):
        low = formulas.gpu_cost_usd(tokens, tps, utilization, usd_per_hour)
        high = formulas.gpu_cost_usd(tokens, tps, utilization, usd_per_hour + extra)
        assert high >= low

    @PROPERTY
    @given(tokens_st, tps_st, utilization_st, utilization_st, gpu_price_st)
    def test_gpu_cost_inverse_in_utilization(self, tokens, tps, u1, u2, usd_per_hour):
        c1 = formulas.gpu_cost_usd(tokens, tps, u1, usd_per_hour)
        c2 = formulas.gpu_cost_usd(tokens, tps, u2, usd_per_hour)
        assert close(c1 * u1, c2 * u2)

    @PROPERTY
    @given(tokens_st, tps_st, tps_st, utilization_st, gpu_price_st)
    def test_gpu_cost_inverse_in_throughput(self, tokens, t1, t2, utilization, usd_per_hour):
        c1 = formulas.gpu_cost_usd(tokens, t1, utilization, usd_per_hour)
        c2 = formulas.gpu_cost_usd(tokens, t2, utilization, usd_per_hour)
        assert close(c1 * t1, c2 * t2)

    @PROPERTY
    @given(tokens_st, tps_st, utilization_st, gpu_price_st, st.integers(1, 64))
    def test_gpu_cost_proportional_to_gpus_per_replica(
        self, tokens, tps, utilization, usd_per_hour, gpus
    ):
        one = formulas.gpu_cost_usd(tokens, tps, utilization, usd_per_hour)
        many = formulas.gpu_cost_usd(tokens, tps, utilization, usd_per_hour, gpus_per_replica=gpus)
        assert close(many, gpus * one)

    @PROPERTY
    @given(tps_st, utilization_st, gpu_price_st, tokens_st)
    def test_self_hosted_price_times_tokens_is_job_cost(
        self, tps, utilization, usd_per_hour, tokens
    ):
        per_m = formulas.self_hosted_usd_per_million_tokens(tps, utilization, usd_per_hour)
        cost = formulas.gpu_cost_usd(tokens, tps, utilization, usd_per_hour)
        assert close(per_m * tokens / TOKENS_PER_MILLION, cost)


# --------------------------------------------------------------------------------------
# (d) Bad arguments: ValueError naming the parameter
# --------------------------------------------------------------------------------------


def _api(**changes):
    args = {
        "input_tokens": 1e6,
        "output_tokens": 1e6,
        "usd_per_million_input_tokens": 2.5,
        "usd_per_million_output_tokens": 10.0,
    }
    keywords = {}
    for name, value in changes.items():
        if name in args:
            args[name] = value
        else:
            keywords[name] = value
    return lambda: formulas.api_cost_usd(*args.values(), **keywords)


def _gpu(**changes):
    args = {"tokens": 1e6, "tokens_per_second": 100.0, "utilization": 0.8, "usd_per_gpu_hour": 1.99}
    keywords = {}
    for name, value in changes.items():
        if name in args:
            args[name] = value
        else:
            keywords[name] = value
    return lambda: formulas.gpu_cost_usd(*args.values(), **keywords)


BAD_CALLS = {
    "negative input price": (
        _api(usd_per_million_input_tokens=-2.5),
        "usd_per_million_input_tokens",
    ),
    "negative output price": (
        _api(usd_per_million_output_tokens=-1),
        "usd_per_million_output_tokens",
    ),
    "negative cached price": (
        _api(cached_input_tokens=1e6, usd_per_million_cached_input_tokens=-1),
        "usd_per_million_cached_input_tokens",
    ),
    "NaN output price": (
        _api(usd_per_million_output_tokens=float("nan")),
        "usd_per_million_output_tokens",
    ),
    "negative input tokens": (_api(input_tokens=-1), "input_tokens"),
    "negative output tokens": (_api(output_tokens=-5), "output_tokens"),
    "negative cached tokens": (_api(cached_input_tokens=-5), "cached_input_tokens"),
    "negative GPU price": (_gpu(usd_per_gpu_hour=-1.99), "usd_per_gpu_hour"),
    "utilization 0": (_gpu(utilization=0), "utilization"),
    "utilization 1.5": (_gpu(utilization=1.5), "utilization"),
    "utilization NaN": (_gpu(utilization=float("nan")), "utilization"),
    "utilization negative": (_gpu(utilization=-0.5), "utilization"),
    "utilization array with one bad": (_gpu(utilization=np.array([0.5, 1.5])), "utilization"),
    "throughput 0": (_gpu(tokens_per_second=0), "tokens_per_second"),
    "throughput negative": (_gpu(tokens_per_second=-60), "tokens_per_second"),
    "throughput NaN": (_gpu(tokens_per_second=float("nan")), "tokens_per_second"),
    "negative tokens": (_gpu(tokens=-1), "tokens"),
    "gpus_per_replica 0": (_gpu(gpus_per_replica=0), "gpus_per_replica"),
    "wall clock replicas 0": (
        lambda: formulas.wall_clock_hours(1e6, 100, 0.8, replicas=0),
        "replicas",
    ),
    "self-hosted utilization 0": (
        lambda: formulas.self_hosted_usd_per_million_tokens(100, 0, 1.99),
        "utilization",
    ),
    "self-hosted negative price": (
        lambda: formulas.self_hosted_usd_per_million_tokens(100, 0.8, -1),
        "usd_per_gpu_hour",
    ),
    "usd_per_million_tokens with 0 tokens": (
        lambda: formulas.usd_per_million_tokens(1.0, 0),
        "tokens",
    ),
    "usd_per_million_tokens with negative tokens": (
        lambda: formulas.usd_per_million_tokens(1.0, -10),
        "tokens",
    ),
    "stack with negative base": (lambda: formulas.price_per_token_stack(-1, 0, 0, 0), "base"),
}


@pytest.mark.parametrize("call, parameter", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_bad_argument_raises_value_error_naming_parameter(call, parameter):
    with pytest.raises(ValueError, match=rf"^{parameter} must be (in |[<>]=? )") as info:
        call()
    # The message states the valid range and the offending value.
    assert "got" in str(info.value)


def test_utilization_message_gives_range_and_value():
    with pytest.raises(ValueError) as info:
        formulas.gpu_cost_usd(1e6, 100, 1.5, 1.99)
    assert str(info.value) == "utilization must be in (0, 1], got 1.5"


@pytest.mark.parametrize(
    "call, parameter",
    [
        (_gpu(tokens_per_second=np.inf), "tokens_per_second"),
        (_api(usd_per_million_output_tokens=np.inf), "usd_per_million_output_tokens"),
    ],
    ids=["throughput inf", "output price inf"],
)
def test_infinite_argument_is_rejected(call, parameter):
    # The error message itself states the range as "[0, inf)" / "(0, inf)", open at
    # infinity; an infinite throughput would silently price a job at 0 USD.
    with pytest.raises(ValueError, match=rf"^{parameter} must be (in |[<>]=? )"):
        call()
