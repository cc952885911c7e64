"""Intervals of paired differences against an analytic truth: M/M/c against M/M/(c + 1).

One station with c or c + 1 units answers Poisson calls: the response time is the wait of an M/M/c
queue, whose law is known (Erlang C): ``P(W > t) = C(c, a) e^{-(cμ - λ) t}``. Both variants see
the same calls and the same times on scene (common random numbers).

The coverage tests draw exact M/M/c waits from the Kiefer–Wolfowitz recursion (Lindley's, for c
servers), 400 seeds at once in a few seconds; the engine would need about a minute for 100 seeds
of runs that long. Their case: one replication of 81 days (10 batches of a week) and 5 replications of
10 days; measured with 2,000 seeds, the 95 % intervals cover the truth in 95.4 % (mean) and 95.7 %
(p90) of long runs and 93.7 % and 93.5 % of replicated ones (t-intervals of few, skewed batch or
replication means cover a little less than nominal; longer runs come closer). The engine runs the
same queue in a smaller version (30 seeds of shorter runs), and through the summary.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.analysis.frames import TABLES, concat_frames, records_to_frames
from sim.analysis.stats import (
    MIN_BATCH_CALLS,
    BatchPlan,
    batch_intervals,
    grouped_quantiles,
    plan_batches,
    replication_intervals,
)
from sim.analysis.summary import summarise
from sim.engine import prepare, simulate
from sim.model.agreements import DispatchPolicy
from sim.model.demand import SECONDS_PER_YEAR, Demand, IncidentType
from sim.model.distributions import Dist
from sim.model.places import Place
from sim.model.spec import ModelSpec
from sim.model.units import Station, Turnout
from sim.roads.network import RoadNetwork

DAY = 86_400.0
C, OFFERED, SERVICE_S = 3, 2.0, 600.0  # 3 against 4 units, offered load 2 Erlang (ρ = 2/3 and 1/2)
LAM, MU = OFFERED / SERVICE_S, 1.0 / SERVICE_S
LONG = {"horizon_s": 21 * DAY, "warmup_s": DAY}          # 20 measured days, ~290 calls a day
REPS, SHORT = 5, {"horizon_s": 3 * DAY, "warmup_s": DAY / 2}


def erlang_c(c: int) -> float:
    """Probability that a call waits in an M/M/c queue (offered load OFFERED)."""
    a = OFFERED
    top = a ** c / math.factorial(c) / (1 - a / c)
    return top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)


def wait_mean_p90(c: int) -> tuple[float, float]:
    """Mean and 90th percentile of the wait: E W = C / θ; P(W > t) = C e^{-θ t} = 0.1 at the p90."""
    p_wait, theta = erlang_c(c), c * MU - LAM
    assert p_wait > 0.1  # the p90 lies in the continuous part of the law, not in the atom at 0
    return p_wait / theta, math.log(p_wait / 0.1) / theta


TRUE_MEAN = wait_mean_p90(C + 1)[0] - wait_mean_p90(C)[0]
TRUE_P90 = wait_mean_p90(C + 1)[1] - wait_mean_p90(C)[1]


def _spec(units: int, *, horizon_s: float, warmup_s: float) -> ModelSpec:
    return ModelSpec(
        incident_types=(IncidentType("call", 1, {"ambulance": 1},
                                     {"ambulance": Dist.exponential(SERVICE_S)}),),
        stations=(Station("s", 51.0, 4.0, "XX", "centre", {"ambulance": units}),),
        hospitals=(), turnout={"ambulance": Turnout(day=Dist.fixed(0.0))},
        places=(Place("p", "XX", 51.0, 4.0, 1000.0),),
        demand=Demand({"XX": {"call": LAM * SECONDS_PER_YEAR}}, spread_m=0.0),
        policy=DispatchPolicy(call_processing=Dist.fixed(0.0)),
        horizon_s=horizon_s, warmup_s=warmup_s,
    )


class _Pair:
    """The two variants (c and c + 1 units, or c twice) of one horizon, prepared once."""

    def __init__(self, units: tuple[int, int], **horizon: float) -> None:
        self.net = RoadNetwork.from_arrays(lat=[51.0, 51.0], lon=[4.0, 4.01], edges=[(0, 1), (1, 0)],
                                           times_s=[120.0, 120.0])
        self.specs = [_spec(u, **horizon) for u in units]
        self.prepared = [prepare(self.net, s) for s in self.specs]

    def run(self, seed: int, replication: int = 0) -> list[Any]:
        return [simulate(self.net, s, seed=seed, replication=replication, prepared=p)
                for s, p in zip(self.specs, self.prepared, strict=True)]

    def frames(self, seed: int, reps: int) -> dict[str, pd.DataFrame]:
        parts: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
        for r in range(reps):
            for name, rec in zip(("few", "more"), self.run(seed, r), strict=True):
                for t, df in records_to_frames(rec, variant=name, replication=r).items():
                    parts.setdefault(t, []).append(df)
        return {t: concat_frames(p) for t, p in parts.items()}


def _measured(inc: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    m = ~inc["in_warmup"]
    return inc["response_time_s"][m], inc["t_call_s"][m]


def _covered(iv: Any, truth: float) -> bool:
    return bool(iv.low <= truth <= iv.high)


@pytest.fixture(scope="module")
def long_pair() -> _Pair:
    return _Pair((C, C + 1), **LONG)


# ---------------------------------------------------------------------------------------- coverage


def test_the_truth_is_a_clear_difference() -> None:
    # one more unit shortens the mean wait by 214 s and its p90 by 729 s (from 895 s to 166 s)
    assert round(TRUE_MEAN, 2) == -214.49
    assert round(TRUE_P90, 2) == -728.98


def mmc_waits(rng: np.random.Generator, runs: int, horizon_s: float) -> tuple[np.ndarray, ...]:
    """Call times and FCFS waits with C and C + 1 servers of `runs` runs that start empty.

    Kiefer–Wolfowitz: the sorted remaining work of the servers ``w`` seen by call n gives its wait
    ``w[0]``; then ``w[0] += service``, ``w = sort(max(w - gap to the next call, 0))``. Both systems
    in one array (the C-server rows have one more server that never frees: infinite work).
    """
    n = int(LAM * horizon_s + 6 * math.sqrt(LAM * horizon_s) + 10)
    gaps = rng.exponential(1 / LAM, (runs, n))
    service = rng.exponential(SERVICE_S, (runs, n))
    w = np.zeros((2 * runs, C + 1))
    w[:runs, C] = np.inf
    waits = np.empty((2 * runs, n))
    for i in range(n):
        waits[:, i] = w[:, 0]
        w[:, 0] += np.tile(service[:, i], 2)
        w -= np.tile(gaps[:, i + 1] if i + 1 < n else gaps[:, i], 2)[:, None]
        np.maximum(w, 0.0, out=w)
        w.sort(axis=1)
    t = np.cumsum(gaps, axis=1)
    t[t >= horizon_s] = np.nan  # calls after the horizon
    return t, waits[:runs], waits[runs:]


def test_batch_means_of_one_long_replication_cover_the_truth() -> None:
    rng = np.random.default_rng(2026)
    t, few, more = mmc_waits(rng, 400, 81 * DAY)
    covered = np.zeros(2, int)
    for i in range(400):
        called = np.isfinite(t[i])
        warm = t[i][called] < DAY
        plan = plan_batches(t[i][called], warm)
        assert plan == BatchPlan("week", 7 * DAY, 7 * DAY, 10)
        m = ~warm
        mean, p90, _ = batch_intervals(few[i][called][m], t[i][called][m], more[i][called][m],
                                       t[i][called][m], plan)
        covered += [_covered(mean, TRUE_MEAN), _covered(p90, TRUE_P90)]
    assert 360 <= covered[0] <= 396, covered
    assert 360 <= covered[1] <= 396, covered


def test_paired_replications_cover_the_truth() -> None:
    rng = np.random.default_rng(2027)
    t, few, more = mmc_waits(rng, 400 * REPS, 10 * DAY)
    covered = np.zeros(2, int)
    for seed in range(400):
        rows = slice(seed * REPS, (seed + 1) * REPS)
        m = t[rows] >= DAY / 2  # after a warm-up of 12 hours, before the horizon
        reps = np.broadcast_to(np.arange(REPS)[:, None], m.shape)[m]
        mean, p90, k = replication_intervals(few[rows][m], reps, more[rows][m], reps, n_reps=REPS)
        assert (mean.method, p90.method, k) == ("replications", "replications", REPS)
        covered += [_covered(mean, TRUE_MEAN), _covered(p90, TRUE_P90)]
    assert 360 <= covered[0] <= 396, covered
    assert 360 <= covered[1] <= 396, covered


def test_the_engine_is_that_queue_with_common_random_numbers(long_pair: _Pair) -> None:
    covered = np.zeros(4, int)
    short = _Pair((C, C + 1), **SHORT)
    for seed in range(30):
        few, more = (r.incidents for r in long_pair.run(seed))
        # the same calls, at the same times, in both variants; the wait is the response time
        np.testing.assert_array_equal(few["incident_id"], more["incident_id"])
        np.testing.assert_array_equal(few["t_call_s"], more["t_call_s"])
        plan = plan_batches(few["t_call_s"], few["in_warmup"])
        assert plan == BatchPlan("day", DAY, DAY, 19)  # day 1 to the last whole day before the last call
        mean, p90, _ = batch_intervals(*_measured(few), *_measured(more), plan)
        covered[:2] += [_covered(mean, TRUE_MEAN), _covered(p90, TRUE_P90)]
        a, b, ra = [], [], []
        for r in range(REPS):
            x, y = (z.incidents for z in short.run(seed, r))
            a.append(_measured(x)[0])
            b.append(_measured(y)[0])
            ra.append(np.full(len(a[-1]), r))
        mean, p90, _ = replication_intervals(np.concatenate(a), np.concatenate(ra), np.concatenate(b),
                                             np.concatenate(ra), n_reps=REPS)
        covered[2:] += [_covered(mean, TRUE_MEAN), _covered(p90, TRUE_P90)]
    # 19 batches of a day, 5 replications of 2.5 days: shorter runs, 90-94 % covered in 500 seeds
    assert all(covered >= 24), covered


# ---------------------------------------------------------------------------------------- summary


def _summary(frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    return summarise(frames["incidents"], frames["missions"], frames["units"], variants=["few", "more"],
                     norms={})


def test_the_summary_gives_the_same_batch_intervals(long_pair: _Pair) -> None:
    frames = long_pair.frames(seed=7, reps=1)
    d = _summary(frames)["differences"]["more"]
    few, more = (r.incidents for r in long_pair.run(7))
    plan = plan_batches(few["t_call_s"], few["in_warmup"])
    mean, p90, info = batch_intervals(*_measured(few), *_measured(more), plan)
    for key, iv in (("mean_s", mean), ("p90_s", p90)):
        got = d["overall"][key]
        assert (got["estimate"], got["low"], got["high"], got["n"]) == (iv.estimate, iv.low, iv.high, 19)
        assert got["method"] == iv.method and got["excludes_zero"]
    assert d["overall"]["batches"] == info and d["overall"]["replications"] == 1
    assert d["by_dispatch_centre"]["centre"]["mean_s"] == d["overall"]["mean_s"]  # the one centre


@pytest.mark.parametrize(("reps", "method"), [(1, "batch means"), (3, "replications")])
def test_identical_variants_give_a_zero_width_interval_at_zero(reps: int, method: str) -> None:
    pair = _Pair((C, C), **(LONG if reps == 1 else SHORT))
    d = _summary(pair.frames(seed=3, reps=reps))["differences"]["more"]["overall"]
    for key in ("mean_s", "p90_s"):
        assert (d[key]["estimate"], d[key]["low"], d[key]["high"]) == (0.0, 0.0, 0.0), key
        assert not d[key]["excludes_zero"]
    assert d["mean_s"]["method"] == method


# ---------------------------------------------------------------------------------------- rules


def test_batches_are_whole_weeks_or_days_after_the_warm_up() -> None:
    # a year with a one-day warm-up: weeks 1 to 51 (the last call falls in week 52)
    t = np.array([0.5 * DAY, 0.9 * DAY, 2 * DAY, 364.9 * DAY])
    warm = np.array([True, True, False, False])
    assert plan_batches(t, warm) == BatchPlan("week", 7 * DAY, 7 * DAY, 51)
    t45 = np.array([0.9 * DAY, 44.99 * DAY])
    assert plan_batches(t45, np.array([True, False])) == BatchPlan("day", DAY, DAY, 43)
    assert plan_batches(np.array([1.0, 12 * DAY]), np.array([False, False])) == BatchPlan("day", DAY, 0.0, 12)
    reason = plan_batches(np.array([0.5 * DAY, 8 * DAY]), np.array([True, False]))
    assert reason == ("one replication of 7.5 measured days: fewer than 10 whole days for batch means; "
                      "run 2 or more replications")


def _daily(values_per_day: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    t = np.concatenate([d * DAY + np.linspace(0, DAY, len(v), endpoint=False)
                        for d, v in enumerate(values_per_day)])
    return np.concatenate(values_per_day), t


def test_no_interval_without_enough_calls_or_days() -> None:
    rng = np.random.default_rng(1)
    plan = BatchPlan("day", DAY, 0.0, 20)  # batches of 1 or 2 days: 20 or 10 batches
    x, t = _daily([rng.exponential(300, 14) for _ in range(20)])
    mean, p90, info = batch_intervals(x, t, x - 10, t, plan)
    assert mean.method == p90.method == "none" and info == {}
    assert mean.reason == ("too few calls for batch means (280 measured; "
                           f"need 10 batches of {MIN_BATCH_CALLS} or more)")
    assert mean.estimate == pytest.approx(-10) and math.isnan(mean.low) and math.isnan(mean.high)
    # 29 calls on odd days: one day is too short a batch, two days are not
    x, t = _daily([rng.exponential(300, 29 if d % 2 else 30) for d in range(20)])
    mean, p90, info = batch_intervals(x, t, x - 10, t, plan)
    assert (mean.method, p90.method) == ("batch means", "batched quantiles")
    assert (info["batches"], info["batch"]) == (10, "2 days")
    assert mean.low == pytest.approx(-10) and mean.high == pytest.approx(-10)
    short = plan_batches(t[:5], np.zeros(5, bool))
    assert isinstance(short, str) and short.startswith("one replication of 0.")
    mean, p90, _ = batch_intervals(x, t, x, t, short)
    assert mean.reason == p90.reason == short and mean.estimate == 0.0 and mean.method == "none"


def test_correlated_batches_are_made_larger_or_give_no_interval() -> None:
    rng = np.random.default_rng(2)
    x, t = _daily([rng.exponential(300, 100) for _ in range(30)])
    plan = BatchPlan("day", DAY, 0.0, 30)  # batches of 1, 2 or 3 days
    # days 2j and 2j + 1 share one difference: the daily batch differences have a lag-1
    # autocorrelation of 0.51 (over 2 / √30 = 0.37), the two-day ones of 0.02 (under 2 / √15)
    pairs = np.array([-10, 10, -40, -20, 30, 5, -30, 25, -45, -5, -15, 0, 40, 35, 20], dtype=float)
    mean, p90, info = batch_intervals(x, t, x + np.repeat(pairs, 2 * 100), t, plan)
    assert (mean.method, p90.method) == ("batch means", "batched quantiles")
    assert (info["batches"], info["batch"]) == (15, "2 days")
    assert info["lag1"] == pytest.approx(0.022, abs=0.001)
    assert mean.estimate == pytest.approx(0) and mean.low < 0 < mean.high
    # a trend through the whole run: correlated at every batch size
    trend = np.repeat(np.linspace(-100, 100, 30), 100)
    mean, p90, info = batch_intervals(x, t, x + trend, t, plan)
    assert mean.method == p90.method == "none" and info == {}
    assert mean.reason.startswith("batch means correlated (lag-1 autocorrelation 0.")
    assert mean.reason.endswith("with 10 batches of 3 days); run 2 or more replications")


def test_replications_without_calls_in_both_variants_are_left_out() -> None:
    a = np.array([100.0, 200.0, np.nan, 300.0, 400.0])
    ra = np.array([0, 0, 1, 2, 2])
    b = a - 50.0
    mean, p90, k = replication_intervals(a, ra, b, ra, n_reps=3)  # replication 1 has no response
    assert k == 2 and mean.n == 2 and (mean.estimate, mean.low, mean.high) == (-50.0, -50.0, -50.0)
    assert p90.n == 2 and p90.method == "replications"
    assert [p90.estimate, p90.low, p90.high] == pytest.approx([-50.0] * 3)
    mean, p90, k = replication_intervals(a[:2], ra[:2], b[:2], ra[:2], n_reps=3)
    assert k == 1 and mean.method == p90.method == "none" and mean.estimate == -50.0
    assert mean.reason == "one replication with calls in both variants: no spread across replications"


def test_grouped_quantiles_equal_numpy() -> None:
    rng = np.random.default_rng(4)
    groups = np.repeat([0, 2, 3, 5], [1, 7, 30, 12])  # a single value, ties, and empty groups 1 and 4
    values = np.round(rng.lognormal(6, 0.6, len(groups)))
    perm = rng.permutation(len(groups))
    got = grouped_quantiles(values[perm], groups[perm], 6, (0.5, 0.9, 0.95))
    for g in range(6):
        sel = values[groups == g]
        want = np.quantile(sel, [0.5, 0.9, 0.95]) if len(sel) else np.full(3, np.nan)
        np.testing.assert_array_equal(got[:, g], want)
