"""Confidence intervals for simulation output.

Intervals of one system: Student-t for a mean of independent observations (e.g. replication
means), Wilson for a proportion. Intervals of the difference between two variants run with common
random numbers (the same incidents in both), following standard output analysis:

- **several replications** (:func:`replication_intervals`): the replications are the independent
  observations, and each gives one paired difference. The mean difference gets the paired-t
  interval of the per-replication differences of the means (Law 2015, §10.2.1). The difference of
  the 90th percentiles is estimated from the pooled calls, and its interval is
  ``estimate ± t(k-1) · s / √k`` with ``s`` the standard deviation of the per-replication
  differences of the percentile (*sectioning*: Asmussen & Glynn 2007, ch. III; Nakayama 2014),
  which avoids estimating the density a single-sample quantile interval needs.
- **one long replication** (:func:`batch_intervals`): the measured period is cut into ``k``
  non-overlapping batches of whole weeks (of whole days when it holds fewer than 10 weeks), with
  10 ≤ k ≤ 30 (Schmeiser 1982; Law 2015, §9.5.3). Whole weeks because demand follows the hour of
  the week, so every batch holds the same hours. Each batch gives one paired difference (the same
  calls fall in the same batch in both variants): batch means for the mean, batched quantiles
  with sectioning for the 90th percentile, both centred on the estimate from every measured call.
  The batches are accepted when every batch holds at least :data:`MIN_BATCH_CALLS` calls with a
  response time in each variant and the lag-1 autocorrelation of the batch differences of the
  means is at most ``2 / √k`` (about two standard deviations of its estimate when the batch
  means are independent); otherwise the batches are made larger (fewer) while ``k ≥ 10``.
- otherwise, **no interval**, with a one-line reason (:attr:`Interval.reason`).

The intervals draw no random numbers, so they depend only on the records.

References
----------
Law, A. M. (2015). *Simulation Modeling and Analysis*, 5th ed. McGraw-Hill (§9.5.3 batch means,
§10.2.1 paired-t interval, ch. 11 common random numbers).
Schmeiser, B. (1982). Batch size effects in the analysis of simulation output. *Operations
Research* 30(3), 556–568.
Asmussen, S., Glynn, P. W. (2007). *Stochastic Simulation: Algorithms and Analysis*. Springer
(ch. III, sectioning).
Nakayama, M. K. (2014). Confidence intervals for quantiles using sectioning when applying
variance-reduction techniques. *ACM Transactions on Modeling and Computer Simulation* 24(4).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MIN_BATCHES = 10
"""Fewest batches for batch means (Schmeiser 1982: 10 to 30)."""
MAX_BATCHES = 30
"""Most batches for batch means."""
MIN_BATCH_CALLS = 30
"""Fewest calls with a response time per batch and variant (a batch's 90th percentile then rests
on at least its 3 largest values)."""
BATCH_UNITS: tuple[tuple[str, float], ...] = (("week", 7 * 86_400.0), ("day", 86_400.0))
"""Units of time batches are made of, in order of preference (calls are timed from Monday 00:00)."""
P90 = 0.9


@dataclass(frozen=True)
class Interval:
    """An estimate with its two-sided confidence interval (NaN bounds when undefined).

    Attributes
    ----------
    n
        The independent observations the interval rests on (replications or batches).
    method
        How the interval was made: ``"replications"``, ``"batch means"``, ``"batched quantiles"``
        or ``"none"`` (empty for the intervals of one system).
    reason
        Why there is no interval (``method == "none"``); empty otherwise.
    """

    estimate: float
    low: float
    high: float
    n: int
    level: float = 0.95
    method: str = ""
    reason: str = ""

    def excludes_zero(self) -> bool:
        """Whether the interval lies wholly above or below zero."""
        return bool(self.low > 0 or self.high < 0)

    def as_dict(self) -> dict[str, Any]:
        """``estimate``, ``low``, ``high``, ``n``, ``level``, and ``method`` / ``reason`` when set."""
        d: dict[str, Any] = {"estimate": self.estimate, "low": self.low, "high": self.high,
                             "n": self.n, "level": self.level}
        if self.method:
            d["method"] = self.method
        if self.reason:
            d["reason"] = self.reason
        return d


@functools.lru_cache(maxsize=256)
def t_quantile(p: float, df: int) -> float:
    """The `p` quantile of Student's t with `df` degrees of freedom."""
    from scipy.special import stdtrit  # the same function scipy.stats.t.ppf evaluates

    return float(stdtrit(df, p))


def mean_ci(x: npt.ArrayLike, *, level: float = 0.95) -> Interval:
    """Student-t interval for the mean of independent observations (e.g. replication means)."""
    a = np.asarray(x, dtype=float)
    a = a[np.isfinite(a)]
    n = len(a)
    if n == 0:
        return Interval(np.nan, np.nan, np.nan, 0, level)
    m = float(a.mean())
    if n < 2:
        return Interval(m, np.nan, np.nan, n, level)
    half = t_quantile(0.5 + level / 2, n - 1) * float(a.std(ddof=1)) / math.sqrt(n)
    return Interval(m, m - half, m + half, n, level)


def paired_diff_ci(a: npt.ArrayLike, b: npt.ArrayLike, *, level: float = 0.95) -> Interval:
    """t-interval for the mean of ``b - a`` over paired replications (common random numbers)."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError("paired samples must have the same length")
    return mean_ci(y - x, level=level)


def wilson_ci(successes: int, n: int, *, level: float = 0.95) -> Interval:
    """Wilson score interval for a proportion (share within a norm)."""
    if n <= 0:
        return Interval(np.nan, np.nan, np.nan, 0, level)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = successes / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return Interval(p, centre - half, centre + half, n, level)


def sectioning_ci(estimate: float, sections: npt.ArrayLike, *, level: float = 0.95,
                  method: str = "") -> Interval:
    """``estimate ± t(k-1) · s / √k``, `s` the standard deviation of `k` section estimates.

    The sections (replications or batches) are independent estimates of the same quantity; the
    interval is centred on `estimate`, computed from all the data (Asmussen & Glynn 2007, ch. III).
    """
    x = np.asarray(sections, dtype=float)
    k = len(x)
    if k < 2 or not math.isfinite(estimate):
        return Interval(estimate, np.nan, np.nan, k, level, method="none",
                        reason="fewer than 2 sections")
    half = t_quantile(0.5 + level / 2, k - 1) * float(x.std(ddof=1)) / math.sqrt(k)
    return Interval(estimate, estimate - half, estimate + half, k, level, method=method)


def lag1_autocorrelation(x: npt.ArrayLike) -> float:
    """The lag-1 autocorrelation of a series (0 for a constant series)."""
    a = np.asarray(x, dtype=float)
    d = a - a.mean()
    den = float(d @ d)
    return float(d[:-1] @ d[1:]) / den if den > 0 else 0.0


# ---------------------------------------------------------------------------------------- quantiles


def _lerp(a: FloatArray, b: FloatArray, t: FloatArray) -> FloatArray:
    # numpy's own interpolation between neighbours (numpy.quantile, method "linear"), bit for bit
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def grouped_quantiles(values: npt.ArrayLike, groups: npt.ArrayLike, n_groups: int,
                      qs: tuple[float, ...]) -> FloatArray:
    """The quantiles `qs` of `values` within each group, as ``numpy.quantile`` computes them.

    Parameters
    ----------
    values
        Finite observations.
    groups
        Group of each observation, ``0 <= g < n_groups``; negative groups are left out.
    n_groups, qs
        Number of groups; quantile levels in [0, 1].

    Returns
    -------
    numpy.ndarray
        Shape ``(len(qs), n_groups)``; ``[i, g]`` equals ``np.quantile(values[groups == g], qs[i])``
        (NaN for an empty group). One sort for all groups and levels.
    """
    v = np.asarray(values, dtype=float)
    g = np.asarray(groups, dtype=np.int64)
    keep = g >= 0
    v, g = v[keep], g[keep]
    by_value = np.argsort(v)
    v = v[by_value[np.argsort(g[by_value], kind="stable")]]  # by group, then by value
    counts = np.bincount(g, minlength=n_groups)[:n_groups]
    starts = np.cumsum(counts) - counts
    out = np.full((len(qs), n_groups), np.nan)
    has = counts > 0
    n, s = counts[has], starts[has]
    for i, q in enumerate(qs):
        virtual = (n - 1) * q  # as numpy: (n - 1) * q
        prev = np.floor(virtual).astype(np.int64)
        top = virtual >= n - 1
        prev[top] = n[top] - 1
        nxt = np.where(top, prev, prev + 1)
        out[i, has] = _lerp(v[s + prev], v[s + nxt], virtual - np.floor(virtual))
    return out


# ---------------------------------------------------------------------------------------- differences


def _none(estimate: float, n: int, reason: str, level: float) -> Interval:
    return Interval(estimate, np.nan, np.nan, n, level, method="none", reason=reason)


def _finite(values: npt.ArrayLike, *labels: npt.ArrayLike) -> tuple[FloatArray, ...]:
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    return (v[ok], *(np.asarray(x)[ok] for x in labels))


def replication_intervals(a: npt.ArrayLike, a_rep: npt.ArrayLike, b: npt.ArrayLike, b_rep: npt.ArrayLike,
                          *, n_reps: int, level: float = 0.95) -> tuple[Interval, Interval, int]:
    """Intervals of ``mean(b) - mean(a)`` and ``p90(b) - p90(a)`` across paired replications.

    Parameters
    ----------
    a, b
        Response times of the reference and the other variant (NaN, never reached, left out).
    a_rep, b_rep
        Replication index of each, ``0 <= r < n_reps``: replication ``r`` of one variant is paired
        with replication ``r`` of the other (common random numbers).
    level
        Confidence level.

    Returns
    -------
    tuple
        ``(mean, p90, k)``: the mean difference is the mean of the per-replication differences,
        with its paired-t interval; the p90 difference is that of the pooled calls, with the
        sectioning interval of the per-replication differences; `k` replications have calls
        with a response time in both variants.
    """
    xa, ra = _finite(a, a_rep)
    xb, rb = _finite(b, b_rep)
    ca, cb = np.bincount(ra, minlength=n_reps), np.bincount(rb, minlength=n_reps)
    kept = (ca > 0) & (cb > 0)
    k = int(kept.sum())
    if k == 0:
        return (_none(np.nan, 0, "no calls with a response time in both variants", level),) * 2 + (0,)
    sa = np.bincount(ra, weights=xa, minlength=n_reps)
    sb = np.bincount(rb, weights=xb, minlength=n_reps)
    mean_diffs = sb[kept] / cb[kept] - sa[kept] / ca[kept]
    in_a, in_b = kept[ra], kept[rb]
    est_p90 = float(np.quantile(xb[in_b], P90) - np.quantile(xa[in_a], P90))
    if k < 2:
        reason = "one replication with calls in both variants: no spread across replications"
        return _none(float(mean_diffs[0]), 1, reason, level), _none(est_p90, 1, reason, level), k
    mean = replace(mean_ci(mean_diffs, level=level), method="replications")
    qa = grouped_quantiles(xa, ra, n_reps, (P90,))[0, kept]
    qb = grouped_quantiles(xb, rb, n_reps, (P90,))[0, kept]
    p90 = sectioning_ci(est_p90, qb - qa, level=level, method="replications")
    return mean, p90, k


@dataclass(frozen=True)
class BatchPlan:
    """The whole units of time of one replication's measured period that batches are made of.

    Unit ``j`` (``0 <= j < n_units``) spans ``[start_s + j·unit_s, start_s + (j+1)·unit_s)``.
    """

    unit: str
    unit_s: float
    start_s: float
    n_units: int

    def describe(self, m: int) -> str:
        """``"2 weeks"``: the length of a batch of `m` units."""
        return f"{m} {self.unit}{'s' if m != 1 else ''}"


def plan_batches(t_call: npt.ArrayLike, in_warmup: npt.ArrayLike) -> BatchPlan | str:
    """The units of batches of one replication, or why there are none.

    Parameters
    ----------
    t_call, in_warmup
        Call times (s from Monday 00:00 of week 0) of every call of the replication, and whether
        each was called during the warm-up.

    Returns
    -------
    BatchPlan or str
        The whole weeks (boundaries at multiples of 7 days) between the end of the warm-up (after
        its last call) and the last call, when there are at least :data:`MIN_BATCHES` of them;
        else the whole days; else a one-line reason.
    """
    t = np.asarray(t_call, dtype=float)
    warm = np.asarray(in_warmup, dtype=bool)
    if not len(t) or warm.all():
        return "no measured calls"
    start = float(t[warm].max()) if warm.any() else 0.0
    end = float(t[~warm].max())
    for unit, unit_s in BATCH_UNITS:
        first = math.ceil(start / unit_s) * unit_s
        n = int(math.floor(end / unit_s) - first / unit_s)
        if n >= MIN_BATCHES:
            return BatchPlan(unit, unit_s, first, n)
    days = max(0.0, (end - start) / 86_400.0)
    return (f"one replication of {days:.3g} measured days: fewer than {MIN_BATCHES} whole days for "
            "batch means; run 2 or more replications")


def _batch_sizes(plan: BatchPlan) -> range:
    """Batch lengths in units, from the one giving the most batches (≤ 30) to the one giving 10."""
    return range(max(1, math.ceil(plan.n_units / MAX_BATCHES)), plan.n_units // MIN_BATCHES + 1)


def batch_intervals(a: npt.ArrayLike, a_t: npt.ArrayLike, b: npt.ArrayLike, b_t: npt.ArrayLike,
                    plan: BatchPlan | str, *,
                    level: float = 0.95) -> tuple[Interval, Interval, dict[str, Any]]:
    """Intervals of ``mean(b) - mean(a)`` and ``p90(b) - p90(a)`` by batches of one replication.

    Parameters
    ----------
    a, b
        Measured response times of the reference and the other variant (NaN left out).
    a_t, b_t
        Their call times (s): a call belongs to the batch its call time falls in, so the batches
        pair the same calls in both variants.
    plan
        The units of the batches (:func:`plan_batches`), or the reason there are none.
    level
        Confidence level.

    Returns
    -------
    tuple
        ``(mean, p90, info)``: both estimates are from every measured call; the intervals are
        :func:`sectioning_ci` of the batch differences (batch means, batched quantiles), or none
        with a reason. `info` holds ``batches``, ``batch`` (e.g. ``"2 weeks"``) and ``lag1`` (the
        lag-1 autocorrelation of the batch differences of the means) when batches were used.
    """
    xa, ta = _finite(a, a_t)
    xb, tb = _finite(b, b_t)
    if not len(xa) or not len(xb):
        reason = "no calls with a response time in both variants"
        return _none(np.nan, 0, reason, level), _none(np.nan, 0, reason, level), {}
    est_mean = float(xb.mean() - xa.mean())
    est_p90 = float(np.quantile(xb, P90) - np.quantile(xa, P90))
    if isinstance(plan, str):
        return _none(est_mean, 0, plan, level), _none(est_p90, 0, plan, level), {}
    ua = np.floor((ta - plan.start_s) / plan.unit_s).astype(np.int64)
    ub = np.floor((tb - plan.start_s) / plan.unit_s).astype(np.int64)
    reason, r1 = "", math.nan
    for m in _batch_sizes(plan):
        k = plan.n_units // m
        ia = np.where((ua >= 0) & (ua < k * m), ua // m, -1)
        ib = np.where((ub >= 0) & (ub < k * m), ub // m, -1)
        ca = np.bincount(ia[ia >= 0], minlength=k)
        cb = np.bincount(ib[ib >= 0], minlength=k)
        if min(ca.min(), cb.min()) < MIN_BATCH_CALLS:
            reason = (f"too few calls for batch means ({min(len(xa), len(xb))} measured; "
                      f"need {MIN_BATCHES} batches of {MIN_BATCH_CALLS} or more)")
            continue
        diffs = (np.bincount(ib[ib >= 0], weights=xb[ib >= 0], minlength=k) / cb
                 - np.bincount(ia[ia >= 0], weights=xa[ia >= 0], minlength=k) / ca)
        r1 = lag1_autocorrelation(diffs)
        if r1 > 2 / math.sqrt(k):
            reason = (f"batch means correlated (lag-1 autocorrelation {r1:.2f} with {k} batches "
                      f"of {plan.describe(m)}); run 2 or more replications")
            continue
        info = {"batches": k, "batch": plan.describe(m), "lag1": r1}
        mean = sectioning_ci(est_mean, diffs, level=level, method="batch means")
        qa = grouped_quantiles(xa, ia, k, (P90,))[0]
        qb = grouped_quantiles(xb, ib, k, (P90,))[0]
        p90 = sectioning_ci(est_p90, qb - qa, level=level, method="batched quantiles")
        return mean, p90, info
    reason = reason or f"fewer than {MIN_BATCHES} batches"
    return _none(est_mean, 0, reason, level), _none(est_p90, 0, reason, level), {}
