"""What the throughput estimator says of a serving assumption (infermodel.estimator.serving_checks).

The article's assumptions are priced on the May-2025 GPUs; the estimator's view of each
(assumption, GPU) is recomputed here from :func:`infermodel.estimator.throughput.estimate_table`
directly, so a change of the estimator's inputs cannot turn the view into an error message.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from infermodel import prices, tables
from infermodel.estimator import serving_checks, throughput
from infermodel.pricing import compare
from infermodel.tables import serving

#: Left out of make check: the estimator's view of every priced pair takes seconds.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def view():
    snapshot = prices.as_of("2025-05-31")
    pairs = compare.priced_pairs(snapshot, serving.select(tables.load_serving(), "article"))
    return serving_checks.estimator_view(pairs).set_index(["serving_assumption", "gpu"])


def test_a_batch_assumption_is_held_to_the_estimators_own_number(view):
    # 2M tokens an hour (555.6 tok/s) of Llama 3.x 70B in FP8 on one H100 PCIe 80GB, against
    # the estimator's maximum throughput for 1,000-token prompts and outputs.
    row = view.loc[("article-batch-2m", "H100-PCIe-80GB")]
    config = {"model": "llama-3.3-70b", "gpu": "H100-PCIe-80GB", "gpus": 1, "precision": "fp8",
              "input_tokens": 1000, "output_tokens": 1000}  # fmt: skip
    estimated = throughput.estimate_table(pd.DataFrame([config])).iloc[0]
    assert row["estimated_tokens_per_second"] == pytest.approx(
        estimated["output_tokens_per_second"]
    )
    assert row["assumed_over_estimated"] == pytest.approx(
        2_000_000 / 3600 / estimated["output_tokens_per_second"]
    )
    assert row["disputed"] == (not 0.5 <= row["assumed_over_estimated"] <= 2)
    assert "the estimator finds" in row["estimator_says"]


def test_every_view_is_a_number_or_a_reason_in_words(view):
    # An estimate, or why there is none (no FP8 on an A100, no stream that fast): never an
    # error of the call itself (a configuration missing a column was shown as the reason).
    for (assumption, gpu), row in view.iterrows():
        says = row["estimator_says"]
        assert np.isfinite(row["estimated_tokens_per_second"]) or says, (assumption, gpu)
        assert "lack" not in says and "column" not in says, says
    a100 = view.loc[("article-batch-1m", "A100-PCIe-80GB")]
    assert "no FP8 tensor cores" in a100["estimator_says"]
