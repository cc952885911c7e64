"""Global sensitivity analysis of a study's gain: SALib designs and indices, outputs, bands.

The question: which declared uncertain inputs move the answer (the gain of a variant over the
reference), and how wide is the gain over their ranges, next to the replication interval?

- :func:`design`: the points to run, from SALib: Morris trajectories (``SALib.sample.morris``,
  ``levels`` grid levels; ``n`` trajectories give ``n (k + 1)`` points) or the Saltelli scheme
  on a Sobol' sequence (``SALib.sample.sobol``, first and total order: ``n (k + 2)`` points,
  ``n`` a power of 2). Values are in SI units, drawn from each input's distribution.
- :func:`gains`: per point, the gain of each variant over the reference in each area: the mean
  over replications of the paired per-replication differences of the KPIs (common random
  numbers: every point and variant replays the same calls).
- :func:`indices`: the indices of one output from SALib (``SALib.analyze.morris``: ``mu``,
  ``mu_star`` with its bootstrap interval, ``sigma``; ``SALib.analyze.sobol``: ``S1`` and ``ST``
  with their bootstrap intervals), as a tidy table with each input's rank.
- :func:`band`: the spread of an output over the design points (its 5th, 50th and 95th
  percentiles, min and max): the gain over the declared uncertainty.

References
----------
Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
*Technometrics* 33(2). Campolongo, F., Cariboni, J., Saltelli, A. (2007). An effective screening
design for sensitivity analysis of large models. *Environ. Modell. Softw.* 22(10) (``mu_star``).
Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output. *Comput. Phys.
Commun.* 181(2). Herman, J., Usher, W. (2017). SALib. *J. Open Source Softw.* 2(9).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.analysis.stats import paired_diff_ci

METHODS: tuple[str, ...] = ("morris", "sobol")
"""The methods :func:`design` and :func:`indices` know."""

OUTPUTS: dict[str, str] = {
    "mean_s": "gain in mean response time (s): variant minus reference (negative: faster)",
    "p90_s": "gain in the 90th percentile of the response time (s): variant minus reference",
    "within_norm": "gain in the share of urgent calls within their norm: variant minus reference",
}
"""The outputs analysed, per variant and area: KPIs of :mod:`sim.analysis.sweep_stats`, as gains."""

INDEX_COLUMNS: dict[str, tuple[str, ...]] = {
    "morris": ("mu", "mu_star", "mu_star_conf", "sigma"),
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
}
"""The index columns of each method (``_conf``: half-width of the 95 % bootstrap interval)."""

RANK_BY: dict[str, str] = {"morris": "mu_star", "sobol": "ST"}
"""The index the inputs are ranked by."""


@dataclass(frozen=True)
class Factor:
    """An uncertain input as the analysis sees it.

    Attributes
    ----------
    name
        Its name (the field path).
    low, high
        Its range (SI units).
    distribution, params
        ``uniform``; ``triangular`` with ``mode``; ``normal`` with ``mean`` and ``sd``, cut to the range.
    """

    name: str
    low: float
    high: float
    distribution: str = "uniform"
    params: Mapping[str, float] = field(default_factory=dict)


def problem(factors: Sequence[Factor]) -> dict[str, Any]:
    """The SALib problem of `factors` (names, bounds and distributions)."""
    bounds: list[list[float]] = []
    dists: list[str] = []
    for f in factors:
        if f.distribution == "triangular":
            bounds.append([f.low, f.high, (f.params["mode"] - f.low) / (f.high - f.low)])
            dists.append("triang")
        elif f.distribution == "normal":
            bounds.append([f.low, f.high, f.params["mean"], f.params["sd"]])
            dists.append("truncnorm")
        else:
            bounds.append([f.low, f.high])
            dists.append("unif")
    return {"num_vars": len(factors), "names": [f.name for f in factors], "bounds": bounds, "dists": dists}


def design(factors: Sequence[Factor], *, method: str, n: int, seed: int, levels: int = 4) -> np.ndarray:
    """The design points, one row per point and one column per factor (SI units).

    Parameters
    ----------
    method
        ``"morris"`` (`n` trajectories of `levels` grid levels: ``n (k + 1)`` rows) or ``"sobol"``
        (Saltelli's scheme on a scrambled Sobol' sequence, `n` a power of 2: ``n (k + 2)`` rows).
    seed
        Seeds the design (the same seed gives the same points).
    """
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    if method not in METHODS:
        raise ValueError(f"unknown method {method!r} (known: {', '.join(METHODS)})")
    if len(factors) < 2:
        raise ValueError("a sensitivity analysis needs at least two uncertain inputs")
    prob = problem(factors)
    if method == "morris":
        x = morris_sample.sample(prob, n, num_levels=levels, seed=seed)
    else:
        x = sobol_sample.sample(prob, n, calc_second_order=False, scramble=True, seed=seed)
    return np.asarray(x, dtype=float)


def indices(factors: Sequence[Factor], x: npt.ArrayLike, y: npt.ArrayLike, *, method: str, seed: int,
            levels: int = 4, resamples: int = 1000) -> pd.DataFrame:
    """The sensitivity indices of one output `y` over the design `x`, one row per factor.

    Columns: ``input``, the method's :data:`INDEX_COLUMNS` and ``rank`` (1: the input that moves the
    output most, by ``mu_star`` or ``ST``). `y` must be finite.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    prob = problem(factors)
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    if method == "morris":
        res = morris_analyze.analyze(prob, xa, ya, num_resamples=resamples, num_levels=levels, seed=seed)
    else:
        res = sobol_analyze.analyze(prob, ya, calc_second_order=False, num_resamples=resamples, seed=seed)
    table = pd.DataFrame({"input": [f.name for f in factors]})
    for col in INDEX_COLUMNS[method]:
        table[col] = np.asarray(res[col], dtype=float)
    key = table[RANK_BY[method]].fillna(-math.inf)
    table["rank"] = key.rank(ascending=False, method="first").astype(int)
    return table


def band(y: npt.ArrayLike) -> dict[str, float]:
    """The spread of an output over the design points: 5th, 50th, 95th percentiles, min, max."""
    a = np.asarray(y, dtype=float)
    a = a[np.isfinite(a)]
    if not len(a):
        return {k: math.nan for k in ("p05", "median", "p95", "min", "max")}
    p05, med, p95 = np.quantile(a, [0.05, 0.5, 0.95])
    return {"p05": float(p05), "median": float(med), "p95": float(p95), "min": float(a.min()),
            "max": float(a.max())}


def gains(per_rep: pd.DataFrame, *, reference: str) -> pd.DataFrame:
    """Per point, variant (other than `reference`) and area: the gain in each output.

    `per_rep` has one row per point, variant, replication and area with the KPIs of
    :func:`sim.analysis.sweep_stats.replication_kpis`. The gain is the mean over the replications
    both variants have of the per-replication difference (variant minus reference); columns
    ``point``, ``variant``, ``area``, ``replications`` and one per output of :data:`OUTPUTS`.
    """
    keys = ["point", "area", "replication"]
    ref = per_rep[per_rep["variant"] == reference].set_index(keys)[list(OUTPUTS)]
    rows = []
    for v, d in per_rep[per_rep["variant"] != reference].groupby("variant", sort=False):
        diff = d.set_index(keys)[list(OUTPUTS)] - ref.reindex(d.set_index(keys).index)
        g = diff.groupby(level=["point", "area"], sort=False)
        out = g.mean()
        out["replications"] = g.size()
        out = out.reset_index()
        out.insert(1, "variant", v)
        rows.append(out)
    if not rows:
        return pd.DataFrame(columns=["point", "variant", "area", *OUTPUTS, "replications"])
    table = pd.concat(rows, ignore_index=True)
    return table[["point", "variant", "area", "replications", *OUTPUTS]]


def replication_interval(per_rep: pd.DataFrame, *, point: Any, variant: str, reference: str, area: str,
                         output: str) -> tuple[float, float, float]:
    """The gain at one point with its paired-t 95 % interval over the replications:
    ``(estimate, low, high)`` (the replication interval of that point)."""
    sel = (per_rep["point"] == point) & (per_rep["area"] == area)
    a = per_rep[sel & (per_rep["variant"] == reference)].set_index("replication")[output]
    b = per_rep[sel & (per_rep["variant"] == variant)].set_index("replication")[output]
    common = a.index.intersection(b.index)
    av, bv = a.loc[common].to_numpy(float), b.loc[common].to_numpy(float)
    ok = np.isfinite(av) & np.isfinite(bv)
    iv = paired_diff_ci(av[ok], bv[ok])
    return iv.estimate, iv.low, iv.high
