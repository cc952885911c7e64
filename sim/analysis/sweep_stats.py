"""The statistics of a parameter sweep: KPIs per replication, then one row per point × variant.

Per replication (warm-up incidents left out, as in ``summary.json``): mean and 90th percentile of
the response time, the share of urgent incidents within their norm (a call never reached counts
as outside), cross-border missions and calls. The tables give their mean over replications with
a Student-t 95 % interval, and the paired difference (variant minus the first variant,
replication by replication: common random numbers) with its t-interval. ``summary.json`` of each
point keeps its own intervals (Wilson for shares; t-intervals or batch means for differences).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.measures import judged, measured_calls, norm_limits, within
from sim.analysis.stats import mean_ci, paired_diff_ci

KPI_MEANINGS: dict[str, str] = {
    "mean_s": "mean response time (s), call to first unit of the primary kind on scene",
    "p90_s": "90th percentile of the response time (s)",
    "within_norm": "share of urgent incidents within their norm (never reached counts as outside)",
    "cross_border_missions": "missions by a unit crossing the border, per replication",
    "calls": "measured calls (after the warm-up) per replication",
}
"""What each per-replication KPI is (``sweep.json`` lists them)."""

KPIS: tuple[str, ...] = tuple(KPI_MEANINGS)
"""Per-replication KPIs: mean and p90 response time (s), share of urgent calls within the norm,
cross-border missions and measured calls per replication."""


def replication_kpis(frames: Mapping[str, pd.DataFrame], *, norms: Mapping[str, Any],
                     areas: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The KPIs of one replication of one variant, for all incidents (area ``""``) and each area.

    `frames` are the task's ``incidents``, ``missions`` (and ``units``) frames; warm-up incidents
    are left out; shares count the calls whose class has a norm in their dispatch centre or country
    (:mod:`sim.analysis.measures`), a call never reached counting as outside.
    """
    inc = frames["incidents"]
    mis = frames["missions"]
    measured = measured_calls(inc)
    limits = norm_limits(measured, norms) if len(measured) else np.zeros(0)
    rt_all = measured["response_time_s"].to_numpy(dtype=float) if len(measured) else np.zeros(0)
    focus = measured["focus"].astype(str).to_numpy() if "focus" in measured else np.full(len(measured), "")
    ids = measured["incident_id"].to_numpy() if len(measured) else np.zeros(0)
    xb = mis[mis["cross_border"].astype(bool)] if len(mis) else mis
    xb_ids = xb["incident_id"].to_numpy() if len(xb) else np.zeros(0)
    out = []
    for area in ("", *areas):
        sel = np.ones(len(measured), bool) if area == "" else focus == area
        rt = rt_all[sel]
        fin = rt[np.isfinite(rt)]
        urgent = judged(measured[sel], limits[sel])
        n_urgent = int(urgent.sum())
        n_within = int((urgent & within(rt, limits[sel])).sum())
        out.append({
            "area": area,
            "calls": float(sel.sum()),
            "mean_s": float(fin.mean()) if len(fin) else math.nan,
            "p90_s": float(np.quantile(fin, 0.9)) if len(fin) else math.nan,
            "within_norm": n_within / n_urgent if n_urgent else math.nan,
            "cross_border_missions": float(np.isin(xb_ids, ids[sel]).sum()),
        })
    return out


def sweep_table(per_rep: pd.DataFrame, *, params: Sequence[str], variants: Sequence[str]) -> pd.DataFrame:
    """The tidy table from per-replication KPIs: one row per point × variant (× area).

    Columns: ``point``, the parameters (values as written), ``area`` (if present), ``variant``,
    ``reference``, ``replications``, and for each KPI its mean over replications with
    ``_low``/``_high`` (Student-t 95 %), and ``_diff`` / ``_diff_low`` / ``_diff_high``: the paired
    difference to the reference variant over the replications both have (empty for the reference).
    """
    ref = variants[0]
    keys = ["point", *params] + (["area"] if "area" in per_rep else [])
    rows = []
    for gkey, g in per_rep.groupby(keys, sort=False):
        gvals = gkey if isinstance(gkey, tuple) else (gkey,)
        ref_rows = g[g["variant"] == ref].set_index("replication")
        for v in variants:
            d = g[g["variant"] == v].set_index("replication").sort_index()
            if not len(d):
                continue
            row: dict[str, Any] = dict(zip(keys, gvals, strict=True))
            row.update(variant=v, reference=ref, replications=len(d))
            common = sorted(set(d.index) & set(ref_rows.index))
            for k in KPIS:
                iv = mean_ci(d[k].to_numpy(float))
                row[k], row[f"{k}_low"], row[f"{k}_high"] = iv.estimate, iv.low, iv.high
            for k in KPIS:
                if v == ref or not common:
                    row[f"{k}_diff"] = row[f"{k}_diff_low"] = row[f"{k}_diff_high"] = math.nan
                    continue
                a = ref_rows.loc[common, k].to_numpy(float)
                b = d.loc[common, k].to_numpy(float)
                ok = np.isfinite(a) & np.isfinite(b)
                iv = paired_diff_ci(a[ok], b[ok])
                row[f"{k}_diff"], row[f"{k}_diff_low"], row[f"{k}_diff_high"] = iv.estimate, iv.low, iv.high
            rows.append(row)
    return pd.DataFrame(rows)


def replication_table(rows: Sequence[Mapping[str, Any]], *, params: Sequence[str],
                      variants: Sequence[str]) -> pd.DataFrame:
    """The per-replication KPIs as one table, in (point, area, variant order, replication) order.

    Each row of `rows` holds ``point``, the parameters' values (written as strings), ``variant``,
    ``replication`` and one :func:`replication_kpis` row (``area`` and the KPIs).
    """
    order = {v: i for i, v in enumerate(variants)}
    table = pd.DataFrame(list(rows), columns=["point", *params, "variant", "replication", "area", *KPIS])
    table = table.sort_values(["point", "area", "variant", "replication"],
                              key=lambda c: c.map(order) if c.name == "variant" else c,
                              kind="stable").reset_index(drop=True)
    for path in params:
        table[path] = table[path].astype(str)
    return table
