"""Replica lifetimes and bills (infermodel.formulas.autoscaling): hand-worked bills and their
orderings.

Each hand-worked case states the lifetimes it expects: a replica is billed from its start
(cold start included) to its stop (its idle timeout after the last use, unless work comes
back sooner), rounded up to the billing increment (RunPod Serverless: "billed from when a
worker starts until it fully stops, rounded up to the nearest second",
https://docs.runpod.io/serverless/pricing).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infermodel import formulas
from infermodel.errors import InputError
from infermodel.formulas import autoscaling

STEP = 10.0  # [s]
NO_ROUNDING = autoscaling.Billing()


def bill(steps, need, busy, *, idle, cold, span=100, billing=NO_ROUNDING, always_on=0):
    return autoscaling.simulate(
        np.array(steps), np.array(need), np.array(busy, dtype=float), step_seconds=STEP,
        span_steps=span, idle_timeout_seconds=idle, cold_start_seconds=cold, billing=billing,
        always_on=always_on,
    )  # fmt: skip


def test_one_burst_pays_its_cold_start_work_and_idle_timeout():
    # One request needing 4 s of one replica: 30 s start + 4 s work + 5 s idle = 39 s.
    one = bill([0], [1], [4.0], idle=5, cold=30)
    assert one.replica_seconds == pytest.approx(39.0)
    assert (one.starts, one.cold_starts) == (1, 1)
    np.testing.assert_allclose(one.delayed_share, [1.0])  # its work waited for the start


def test_two_bursts_closer_than_the_idle_timeout_share_one_replica():
    # At 0 s and 10 s, 4 s of work each, idle timeout 60 s: the replica idles 10 - 4 = 6 s
    # between them and stays up; 30 + 4 + 6 + 4 + 60 (idle after the last) = 104 s, one start.
    two = bill([0, 1], [1, 1], [4.0, 4.0], idle=60, cold=30)
    assert two.replica_seconds == pytest.approx(104.0)
    assert (two.starts, two.cold_starts) == (1, 1)
    np.testing.assert_allclose(two.delayed_share, [1.0, 0.0])  # the second burst is warm


def test_two_bursts_farther_than_the_idle_timeout_start_twice():
    # At 0 s and 100 s: the gap of 96 s passes the 60 s timeout, so the replica stops after
    # 60 s and a new one starts cold: two lifetimes of 30 + 4 + 60 = 94 s.
    two = bill([0, 10], [1, 1], [4.0, 4.0], idle=60, cold=30)
    assert two.replica_seconds == pytest.approx(188.0)
    assert (two.starts, two.cold_starts) == (2, 2)
    np.testing.assert_allclose(two.delayed_share, [1.0, 1.0])


def test_no_idle_timeout_and_no_cold_start_bill_exactly_the_work():
    assert bill([0, 10], [1, 1], [4.0, 4.0], idle=0, cold=0).replica_seconds == 8.0
    # Two replicas sharing 10 s of work in one step: 5 s each.
    assert bill([0], [2], [10.0], idle=0, cold=0).replica_seconds == 10.0


def test_lifetimes_round_up_to_the_increment_and_the_minimum():
    # 39 s of lifetime: a minute increment bills 60 s; a 120 s minimum bills 120 s.
    assert (
        bill([0], [1], [4.0], idle=5, cold=30, billing=autoscaling.Billing(60)).replica_seconds
        == 60
    )
    minimum = autoscaling.Billing(1, 120)
    assert bill([0], [1], [4.0], idle=5, cold=30, billing=minimum).replica_seconds == 120


def test_always_on_replicas_run_the_span_and_never_start_cold():
    # Span 10 steps = 100 s; one always-on replica (100 s) takes half of step 1's work, the
    # second replica the other half: 6 s of work + 5 s idle + 30 s start = 41 s.
    both = bill([1], [2], [12.0], idle=5, cold=30, span=10, always_on=1)
    assert both.replica_seconds == pytest.approx(100 + 41)
    assert (both.starts, both.cold_starts) == (2, 1)
    np.testing.assert_allclose(both.delayed_share, [0.5])  # half the work waited


def test_bands_of_replicas_bill_like_replicas_one_by_one():
    # Needs 3, 1, 3 in steps 0, 1, 2 (idle 15 s): replica 1 works every step (one lifetime);
    # replicas 2 and 3 work at 0 and 20 s, a gap over 15 s, so each starts twice.
    busy = [9.0, 2.0, 9.0]
    total = bill([0, 1, 2], [3, 1, 3], busy, idle=15, cold=1)
    # replica 1: 1 + 3 + (10 - 3) + 2 + (10 - 2) + 3 + 15 = 39 s;
    # replicas 2, 3: (1 + 3 + 15) twice each = 38 s each.
    assert total.replica_seconds == pytest.approx(39 + 2 * 38)
    assert total.starts == 5


def test_bad_series_are_one_line():
    with pytest.raises(InputError, match="strictly increasing"):
        bill([1, 0], [1, 1], [1.0, 1.0], idle=0, cold=0)
    with pytest.raises(InputError, match="exceed need"):
        bill([0], [1], [11.0], idle=0, cold=0)
    with pytest.raises(InputError, match="idle_timeout_seconds"):
        bill([0], [1], [1.0], idle=-1, cold=0)


def test_spot_time_factor_by_hand():
    # 0.1 interruptions an hour, 180 s lost each: 0.1 x 180 / 3600 = 0.5 % of every hour lost,
    # so 1 / 0.995 of the useful time is bought.
    assert formulas.spot_time_factor(0.1, 180.0) == pytest.approx(1 / 0.995)
    with pytest.raises(InputError, match="every hour"):
        formulas.spot_time_factor(2.0, 1800.0)


# --- orderings on random demand ---------------------------------------------------------

SPAN_SECONDS = 2 * 3600


@st.composite
def demand(draw):
    """Work per second of a two-hour log [replica-s]: bursts of arrivals with idle gaps."""
    seconds = draw(st.lists(st.integers(0, SPAN_SECONDS - 1), min_size=1, max_size=60, unique=True))
    work = draw(st.lists(st.floats(0.01, 40.0), min_size=len(seconds), max_size=len(seconds)))
    order = np.argsort(seconds)
    return np.array(seconds)[order], np.array(work)[order]


def sizings(seconds, work, *, idle, cold, step=10, window=3600, billing=NO_ROUNDING):
    minute_steps, minute_index = np.unique(seconds // 60, return_inverse=True)
    minute_work = np.bincount(minute_index, weights=work)
    fine_steps, fine_index = np.unique(seconds // step, return_inverse=True)
    fine_work = np.bincount(fine_index, weights=work)
    # A step's work must fit the replicas the step holds: at most step seconds each, which
    # replicas_needed guarantees.
    return autoscaling.bill_sizings(
        minute_steps, minute_work, fine_steps, fine_work, fine_step_seconds=step,
        span_seconds=SPAN_SECONDS, window_seconds=window, idle_timeout_seconds=idle,
        cold_start_seconds=cold, billing=billing,
    )  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(demand(), st.floats(0, 600), st.sampled_from([60, 600, 3600]))
def test_serverless_at_zero_costs_no_more_than_autoscaling_nor_autoscaling_than_peak(
    series, cold, window
):
    seconds, work = series
    ideal = sizings(seconds, work, idle=0, cold=0, window=window)
    assert ideal["serverless"].replica_seconds == pytest.approx(work.sum())
    with_cold = sizings(seconds, work, idle=0, cold=min(cold, window), window=window)
    # Autoscaling holds every minute's work; it restarts a replica only after a window down,
    # which saves a window >= the cold start; so it stays at or below peak sizing.
    assert ideal["serverless"].replica_seconds <= with_cold["autoscaled"].replica_seconds + 1e-6
    assert with_cold["autoscaled"].replica_seconds <= with_cold["peak"].replica_seconds + 1e-6


@settings(max_examples=60, deadline=None)
@given(demand(), st.floats(0, 300), st.floats(0, 300), st.floats(0, 120))
def test_no_bill_falls_as_the_cold_start_grows(series, idle, cold, more):
    seconds, work = series
    low = sizings(seconds, work, idle=idle, cold=cold)
    high = sizings(seconds, work, idle=idle, cold=cold + more)
    for sizing in autoscaling.SIZINGS:
        assert high[sizing].replica_seconds >= low[sizing].replica_seconds - 1e-6
    # and the work that waits for a start waits longer
    assert (high["serverless"].delayed_share >= low["serverless"].delayed_share - 1e-12).all()


@settings(max_examples=60, deadline=None)
@given(demand(), st.floats(0, 300), st.floats(0, 300))
def test_without_cold_starts_no_bill_falls_as_the_idle_timeout_grows(series, idle, more):
    seconds, work = series
    low = sizings(seconds, work, idle=idle, cold=0)["serverless"]
    high = sizings(seconds, work, idle=idle + more, cold=0)["serverless"]
    assert high.replica_seconds >= low.replica_seconds - 1e-6
    assert high.starts <= low.starts  # fewer replicas stop, so fewer start again


def test_a_longer_idle_timeout_can_be_cheaper_when_starts_are_billed():
    # Two bursts 100 s apart (96 s idle between): a 60 s timeout pays 60 s idle and a second
    # 30 s start (188 s); a 100 s timeout keeps the replica warm: 30 + 4 + 96 + 4 + 100 = 234 s,
    # dearer here, but with a 120 s start the short timeout pays 2 x (120 + 4 + 60) = 368 s
    # against 120 + 4 + 96 + 4 + 100 = 324 s.
    assert bill([0, 10], [1, 1], [4.0, 4.0], idle=60, cold=120).replica_seconds == 368
    assert bill([0, 10], [1, 1], [4.0, 4.0], idle=100, cold=120).replica_seconds == 324
