"""The summary a planner reads: per variant, centre, type and focus area, with paired differences.

Statistics leave out incidents called during the warm-up. Response times are call to first unit of
the incident type's primary kind on scene. The share within the norm is :mod:`sim.analysis.measures`'s.
Differences are each variant minus the first (reference) variant, paired by replication (common
random numbers): a t-interval of the per-replication mean differences
(:func:`sim.analysis.stats.paired_diff_ci`) and a paired bootstrap of the 90th percentile
(:func:`sim.analysis.stats.paired_bootstrap_ci`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.analysis.measures import judged, measured_calls, norm_limits, within
from sim.analysis.stats import Interval, paired_bootstrap_ci, paired_diff_ci, wilson_ci
from sim.model.norms import Norm

N_BOOT = 2000
"""Bootstrap resamples for the percentile differences."""

# ---------------------------------------------------------------------------------------- stats


def _finite(x: pd.Series | npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    a = np.asarray(x, dtype=float)
    return a[np.isfinite(a)]


def _q(a: npt.NDArray[np.float64], q: float) -> float:
    return float(np.quantile(a, q)) if len(a) else math.nan


def _p90(a: npt.NDArray[np.float64]) -> float:
    return float(np.quantile(a, 0.9)) if len(a) else math.nan


def group_stats(inc: pd.DataFrame, missions: pd.DataFrame | None, units: pd.DataFrame | None,
                *, n_reps: int, limits: npt.NDArray[np.float64] | None = None) -> dict[str, Any]:
    """Count, mean/median/p90/p95 response time, share within norm, unserved calls of a group.

    `inc` holds measured incidents (warm-up removed) of one variant; `limits` their norm limits;
    `missions` the missions to those incidents (for cross-border counts by direction); `units`
    the units (for utilisation by unit type).
    """
    rt = _finite(inc["response_time_s"])
    out: dict[str, Any] = {
        "count": len(inc),
        "count_per_replication": len(inc) / n_reps if n_reps else math.nan,
        "mean_s": float(rt.mean()) if len(rt) else math.nan,
        "median_s": _q(rt, 0.5),
        "p90_s": _q(rt, 0.9),
        "p95_s": _q(rt, 0.95),
        "unserved": int((~inc["served"].astype(bool)).sum()),
        "cross_border_incidents": int(inc["cross_border"].astype(bool).sum()),
    }
    if limits is not None:
        urgent = judged(inc, limits)
        n_urgent = int(urgent.sum())
        n_within = int((urgent & within(inc["response_time_s"].to_numpy(dtype=float), limits)).sum())
        ci = wilson_ci(n_within, n_urgent)
        out["urgent_with_norm"] = n_urgent
        out["within_norm_share"] = ci.estimate
        out["within_norm_ci"] = [ci.low, ci.high]
    if missions is not None:
        xb = missions[missions["cross_border"].astype(bool)]
        out["cross_border_missions"] = {str(k): int(v) for k, v in
                                        xb.groupby("direction").size().sort_index().items()}
    if units is not None and len(units):
        out["utilisation"] = {str(k): float(v) for k, v in
                              units.groupby("unit_type")["utilisation"].mean().sort_index().items()}
    return out


def _per_rep(inc: pd.DataFrame, reps: Sequence[int]) -> list[npt.NDArray[np.float64]]:
    by = {int(str(r)): _finite(g["response_time_s"]) for r, g in inc.groupby("replication")}
    return [by.get(int(r), np.array([])) for r in reps]


def paired_differences(ref: pd.DataFrame, var: pd.DataFrame, reps: Sequence[int], *,
                       seed: int = 0, n_boot: int = N_BOOT) -> dict[str, Any]:
    """Differences ``var - ref`` of the mean (t-interval) and p90 (paired bootstrap) response time."""
    a: list[Any] = _per_rep(ref, reps)
    b: list[Any] = _per_rep(var, reps)
    keep = [i for i in range(len(reps)) if len(a[i]) and len(b[i])]
    a, b = [a[i] for i in keep], [b[i] for i in keep]
    ma = np.array([x.mean() for x in a])
    mb = np.array([x.mean() for x in b])
    mean = paired_diff_ci(ma, mb)
    p90 = bootstrap_p90_difference(a, b, n_boot=n_boot, seed=seed)
    return {"mean_s": _interval(mean), "p90_s": _interval(p90), "replications": len(keep)}


_CHUNK = 4_000_000
"""Resampled observations held at once when a single replication is bootstrapped."""


def _lerp(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64],
          t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    # numpy's own interpolation between neighbours (numpy.quantile, method "linear"), bit for bit
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def pooled_quantiles(samples: Sequence[npt.NDArray[np.float64]], draws: npt.NDArray[np.int64],
                     q: float) -> npt.NDArray[np.float64]:
    """The `q` quantile of the pooled observations of each bootstrap draw.

    Row ``k`` of `draws` lists replication indices (with repeats); the result ``[k]`` equals
    ``np.quantile(np.concatenate([samples[j] for j in draws[k]]), q)`` exactly, without building the
    pooled arrays: the observations are sorted once, and the ``i``-th smallest pooled value of a
    draw is found by a binary search over that order, counting ``sum_j count_j * rank_j``.
    """
    r = len(samples)
    n_draws = len(draws)
    lens = np.array([len(x) for x in samples], dtype=np.int64)
    values = np.concatenate([np.asarray(x, dtype=float) for x in samples])
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    labels = np.repeat(np.arange(r), lens)[order]
    # ranks[m, j]: observations of replication j among the m + 1 smallest of all
    ranks = np.cumsum(labels[:, None] == np.arange(r)[None, :], axis=0, dtype=np.int64)
    counts = np.zeros((n_draws, r), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(n_draws), draws.shape[1]), draws.ravel()), 1)
    total = counts @ lens
    virtual = (total - 1) * q                      # as numpy: (n - 1) * q
    prev = np.floor(virtual).astype(np.int64)
    top = virtual >= total - 1
    prev[top] = total[top] - 1
    nxt = np.where(top, prev, prev + 1)
    gamma = virtual - np.floor(virtual)

    def kth(k: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        # smallest m whose pooled count sum_j counts_j * ranks[m, j] exceeds k
        lo = np.zeros(n_draws, dtype=np.int64)
        hi = np.full(n_draws, len(values) - 1, dtype=np.int64)
        while (lo < hi).any():
            mid = (lo + hi) // 2
            above = np.einsum("ij,ij->i", ranks[mid], counts) > k
            hi = np.where(above, mid, hi)
            lo = np.where(above, lo, mid + 1)
        return sorted_values[lo]

    return _lerp(kth(prev), kth(nxt), gamma)


def bootstrap_p90_difference(a: Sequence[npt.NDArray[np.float64]], b: Sequence[npt.NDArray[np.float64]],
                             *, n_boot: int = N_BOOT, seed: int = 0, level: float = 0.95) -> Interval:
    """Paired bootstrap interval of ``p90(b) - p90(a)``, resampling replications in pairs.

    The same draws and numbers as ``sim.analysis.stats.paired_bootstrap_ci(a, b, p90, ...)``, computed
    without pooling arrays for each draw (:func:`pooled_quantiles`); with a single replication the
    observations are resampled, as there, and the quantiles taken by blocks of draws.
    """
    r = len(a)
    if r == 0 or len(b) != r or any(len(x) == 0 for x in (*a, *b)):
        return paired_bootstrap_ci(list(a), list(b), _p90, n_boot=n_boot, seed=seed, level=level)
    est = _p90(np.concatenate(b)) - _p90(np.concatenate(a))
    rng = np.random.default_rng(seed)
    if r >= 2:
        draws = np.stack([rng.integers(0, r, r) for _ in range(n_boot)])
        diffs = pooled_quantiles(b, draws, 0.9) - pooled_quantiles(a, draws, 0.9)
    else:
        # one replication: observations are resampled (draws alternate a, b as in sim.analysis.stats)
        xa, xb = np.asarray(a[0], dtype=float), np.asarray(b[0], dtype=float)
        diffs = np.empty(n_boot)
        step = max(1, _CHUNK // (len(xa) + len(xb)))
        for lo in range(0, n_boot, step):
            hi = min(n_boot, lo + step)
            ia, ib = [], []
            for _ in range(lo, hi):
                ia.append(rng.integers(0, len(xa), len(xa)))
                ib.append(rng.integers(0, len(xb), len(xb)))
            diffs[lo:hi] = (np.quantile(xb[np.stack(ib)], 0.9, axis=1)
                            - np.quantile(xa[np.stack(ia)], 0.9, axis=1))
    lo, hi = np.quantile(diffs, [0.5 - level / 2, 0.5 + level / 2])
    return Interval(float(est), float(lo), float(hi), r, level)


def _interval(iv: Any) -> dict[str, Any]:
    d = iv.as_dict()
    d["excludes_zero"] = bool(iv.excludes_zero())
    return d


def summarise(incidents: pd.DataFrame, missions: pd.DataFrame, units: pd.DataFrame, *,
              variants: Sequence[str], norms: Mapping[str, Norm], focus: Sequence[str] = (),
              seed: int = 0, n_boot: int = N_BOOT) -> dict[str, Any]:
    """The summary of a run, per variant, dispatch centre, incident type and focus area.

    Returns a JSON-ready dict with ``variants`` (statistics per variant: ``overall``,
    ``by_dispatch_centre``, ``by_type``, ``by_dispatch_centre_and_type``, ``focus``) and
    ``differences`` (per variant other than the first: paired differences against the first,
    overall, by dispatch centre, by type and per focus area).
    """
    measured = measured_calls(incidents)
    # missions of measured incidents, with the incident's dispatch centre, type and focus
    key = ["variant", "replication", "incident_id"]
    attrs = measured[[*key, "dispatch_centre", "type", "focus"]] if "focus" in measured else \
        measured[[*key, "dispatch_centre", "type"]].assign(focus="")
    mis = missions.merge(attrs, on=key, how="inner", suffixes=("", "_incident"))
    limits_all = norm_limits(measured, norms) if len(measured) else np.array([])
    focus_col = measured["focus"] if "focus" in measured else pd.Series("", index=measured.index)

    reps_by_variant = {v: sorted({int(r) for r in incidents.loc[incidents["variant"] == v, "replication"]})
                       for v in variants}
    out_vars: dict[str, Any] = {}
    for v in variants:
        sel = (measured["variant"] == v).to_numpy()
        inc_v, lim_v = measured[sel], limits_all[sel]
        mis_v = mis[mis["variant"] == v]
        units_v = units[units["variant"] == v]
        n = len(reps_by_variant[v])
        res: dict[str, Any] = {"replications": n}
        res["overall"] = group_stats(inc_v, mis_v, units_v, n_reps=n, limits=lim_v)
        res["by_dispatch_centre"] = {}
        centres = set(inc_v["dispatch_centre"].astype(str)) | set(units_v["dispatch_centre"].astype(str))
        for c in sorted(centres):
            m = (inc_v["dispatch_centre"].astype(str) == c).to_numpy()
            res["by_dispatch_centre"][c] = group_stats(
                inc_v[m], mis_v[mis_v["dispatch_centre"].astype(str) == c],
                units_v[units_v["dispatch_centre"].astype(str) == c], n_reps=n, limits=lim_v[m])
        res["by_type"] = {}
        for t in sorted(set(inc_v["type"].astype(str))):
            m = (inc_v["type"].astype(str) == t).to_numpy()
            res["by_type"][t] = group_stats(inc_v[m], mis_v[mis_v["type"].astype(str) == t], None,
                                            n_reps=n, limits=lim_v[m])
        res["by_dispatch_centre_and_type"] = {}
        for (c_, t_), g in inc_v.groupby(["dispatch_centre", "type"], sort=True):
            m = ((inc_v["dispatch_centre"] == c_) & (inc_v["type"] == t_)).to_numpy()
            res["by_dispatch_centre_and_type"].setdefault(str(c_), {})[str(t_)] = group_stats(
                g, mis_v[(mis_v["dispatch_centre"] == c_) & (mis_v["type"] == t_)], None, n_reps=n,
                limits=lim_v[m])
        res["focus"] = {}
        fv = focus_col[sel].astype(str).to_numpy()
        for f in focus:
            m = fv == f
            res["focus"][f] = group_stats(inc_v[m], mis_v[mis_v["focus"].astype(str) == f], None,
                                          n_reps=n, limits=lim_v[m])
        out_vars[v] = res

    diffs: dict[str, Any] = {}
    if variants:
        ref = variants[0]
        inc_ref = measured[measured["variant"] == ref]
        for i, v in enumerate(variants[1:], start=1):
            reps = sorted(set(reps_by_variant[ref]) & set(reps_by_variant[v]))
            inc_v = measured[measured["variant"] == v]
            s = seed + 7919 * i
            d: dict[str, Any] = {"against": ref,
                                 "overall": paired_differences(inc_ref, inc_v, reps, seed=s, n_boot=n_boot)}
            d["by_dispatch_centre"] = {
                str(c): paired_differences(inc_ref[inc_ref["dispatch_centre"] == c],
                                           inc_v[inc_v["dispatch_centre"] == c], reps, seed=s, n_boot=n_boot)
                for c in sorted(set(inc_ref["dispatch_centre"].astype(str)))}
            d["by_type"] = {
                str(t): paired_differences(inc_ref[inc_ref["type"] == t], inc_v[inc_v["type"] == t], reps,
                                           seed=s, n_boot=n_boot)
                for t in sorted(set(inc_ref["type"].astype(str)))}
            d["focus"] = {
                f: paired_differences(inc_ref[inc_ref["focus"] == f], inc_v[inc_v["focus"] == f], reps,
                                      seed=s, n_boot=n_boot)
                for f in focus} if "focus" in measured else {}
            diffs[v] = d
    return {"variants": out_vars, "differences": diffs}


# ---------------------------------------------------------------------------------------- files


