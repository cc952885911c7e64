"""Confidence intervals for simulation output (t-intervals, Wilson, paired bootstrap)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# scipy.stats is imported where it is used: it takes about 0.6 s to import, and a plain simulation
# run (which imports sim.analysis.summary) never needs it.


@dataclass(frozen=True)
class Interval:
    """An estimate with its two-sided confidence interval (NaN bounds when undefined)."""

    estimate: float
    low: float
    high: float
    n: int
    level: float = 0.95

    def excludes_zero(self) -> bool:
        return bool(self.low > 0 or self.high < 0)

    def as_dict(self) -> dict[str, float | int]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high, "n": self.n,
                "level": self.level}


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
    from scipy import stats as _st

    half = float(_st.t.ppf(0.5 + level / 2, n - 1) * a.std(ddof=1) / np.sqrt(n))
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
    from scipy import stats as _st

    z = float(_st.norm.ppf(0.5 + level / 2))
    p = successes / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return Interval(p, float(centre - half), float(centre + half), n, level)


def paired_bootstrap_ci(
    a: list[npt.ArrayLike],
    b: list[npt.ArrayLike],
    statistic: Callable[[npt.NDArray[np.float64]], float],
    *,
    level: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> Interval:
    """Bootstrap interval of ``statistic(b) - statistic(a)``, resampling replications in pairs.

    `a` and `b` hold one array of observations per replication (the same replications, run with
    common random numbers in two variants). Each bootstrap draw resamples replications with
    replacement, pools their observations and takes the difference of the statistic; with a single
    replication, observations are resampled instead.
    """
    if len(a) != len(b):
        raise ValueError("paired samples must have the same number of replications")
    xa = [np.asarray(v, dtype=float) for v in a]
    xb = [np.asarray(v, dtype=float) for v in b]
    pa, pb = np.concatenate(xa) if xa else np.array([]), np.concatenate(xb) if xb else np.array([])
    if len(pa) == 0 or len(pb) == 0:
        return Interval(np.nan, np.nan, np.nan, 0, level)
    est = float(statistic(pb) - statistic(pa))
    rng = np.random.default_rng(seed)
    r = len(xa)
    diffs = np.empty(n_boot)
    for i in range(n_boot):
        if r >= 2:
            idx = rng.integers(0, r, r)
            sa = np.concatenate([xa[j] for j in idx])
            sb = np.concatenate([xb[j] for j in idx])
        else:
            sa = pa[rng.integers(0, len(pa), len(pa))]
            sb = pb[rng.integers(0, len(pb), len(pb))]
        diffs[i] = statistic(sb) - statistic(sa)
    lo, hi = np.quantile(diffs, [0.5 - level / 2, 0.5 + level / 2])
    return Interval(est, float(lo), float(hi), r, level)
