"""The summary a planner reads: per variant, centre, type and focus area, with paired differences.

Statistics leave out incidents called during the warm-up. Response times are call to first unit of
the incident type's primary kind on scene. The share within the norm is :mod:`sim.analysis.measures`'s.
Differences are each variant minus the first (reference) variant, paired by common random numbers
(the same incidents in every variant): across replications with two or more, by batches of one
long replication with one (:mod:`sim.analysis.stats` says how and cites the sources). Each interval
says which method gave it (``method``), or why there is none (``reason``).

Every statistic is computed on arrays, once per grouping: the calls of a variant are grouped by a
label (centre, type, focus area ...) and counted, summed and sorted for all groups at once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.analysis.hexagons import hexagon_summary
from sim.analysis.measures import (
    class_services,
    judged,
    measured_calls,
    norm_classes,
    norm_limits,
    within,
    within_bands,
)
from sim.analysis.stats import (
    BatchPlan,
    Interval,
    batch_intervals,
    grouped_quantiles,
    plan_batches,
    replication_intervals,
    wilson_ci,
)
from sim.model.norms import NORM_CLASSES, Norm, find_norm

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

INTERVALS = {
    "replications": "two or more replications: paired-t interval of the per-replication differences "
                    "of the means; the p90 difference of the pooled calls with the t-interval of the "
                    "per-replication differences of the p90 (sectioning)",
    "batch means": "one replication: the measured period cut into 10-30 batches of whole weeks (or "
                   "days), the same calls in each batch in both variants; t-interval of the batch "
                   "differences of the means, centred on the difference of all measured calls",
    "batched quantiles": "one replication: as batch means, with the batch differences of the p90",
    "none": "no interval: its reason says why",
    "sources": "Law (2015) Simulation Modeling and Analysis §9.5.3, §10.2.1; Schmeiser (1982); "
               "Asmussen & Glynn (2007) ch. III; Nakayama (2014); see sim.analysis.stats",
}
"""The methods an interval of a difference may name (``summary.json`` key ``intervals``)."""

QUANTILES = (0.5, 0.9, 0.95)
_CALL_COLUMNS = ["replication", "t_call_s", "urgency", "response_time_s", "served", "cross_border"]


# ---------------------------------------------------------------------------------------- tables


@dataclass
class _Calls:
    """Measured calls of one variant as arrays, string columns as codes into shared name arrays."""

    rt: FloatArray
    rep: IntArray
    t: FloatArray
    unserved: BoolArray
    cross_border: BoolArray
    judged: BoolArray
    within: BoolArray
    centre: IntArray
    type: IntArray
    focus: IntArray
    service: IntArray
    norm_group: IntArray
    """Codes of the call's service and of its country and norm class (``"NL/a2"``)."""
    bands: dict[str, BoolArray]
    """Within 10 and 15 min (:func:`sim.analysis.measures.within_bands`)."""
    xb_row: IntArray
    xb_dir: IntArray
    xb_type: IntArray
    """Cross-border missions to these calls: the call's row, the direction's and unit type's codes."""


@dataclass
class _Units:
    centre: npt.NDArray[np.object_]
    country: npt.NDArray[np.object_]
    type: npt.NDArray[np.object_]
    busy: FloatArray
    on_duty: FloatArray


def _codes(col: pd.Series) -> tuple[IntArray, list[str]]:
    codes, names = pd.factorize(col.astype(str))
    return np.asarray(codes, dtype=np.int64), [str(x) for x in names]


def _variant_codes(frame: pd.DataFrame, variants: list[str]) -> IntArray:
    """Position of each row's variant in `variants` (-1 if absent)."""
    return np.asarray(pd.Index(variants).get_indexer(pd.Index(frame["variant"].astype(str))), dtype=np.int64)


@dataclass
class _CrossBorder:
    """Cross-border missions to measured calls: variant, call row within it, direction and unit type codes."""

    variant: IntArray
    row: IntArray
    direction: IntArray
    names: list[str]
    unit_type: IntArray
    type_names: list[str]


def _cross_border(missions: pd.DataFrame, measured: pd.DataFrame, rows_of: dict[str, IntArray],
                  variants: list[str]) -> _CrossBorder:
    """The cross-border missions of `missions` whose call is in `measured` (one sort, one search)."""
    xb = missions[missions["cross_border"].astype(bool).to_numpy()] if len(missions) else missions
    if not len(xb) or not len(measured):
        empty = np.zeros(0, np.int64)
        return _CrossBorder(empty, empty, empty, [], empty, [])
    span_id = int(max(measured["incident_id"].max(), xb["incident_id"].max())) + 1
    span_rep = int(max(measured["replication"].max(), xb["replication"].max())) + 1

    def key(frame: pd.DataFrame, v: IntArray) -> IntArray:
        r, i = frame["replication"].to_numpy(np.int64), frame["incident_id"].to_numpy(np.int64)
        return (v * span_rep + r) * span_id + i

    var = _variant_codes(xb, variants)
    m_key = key(measured, _variant_codes(measured, variants))
    order = np.argsort(m_key, kind="stable")
    x_key = key(xb, var)
    pos = np.minimum(np.searchsorted(m_key[order], x_key), len(order) - 1)
    found = (m_key[order][pos] == x_key) & (var >= 0)
    local = np.full(len(measured), -1, dtype=np.int64)  # row of each measured call within its variant
    for rows in rows_of.values():
        local[rows] = np.arange(len(rows))
    dirs, names = _codes(xb["direction"][found])
    types, type_names = _codes(xb["unit_type"][found])
    return _CrossBorder(var[found], local[order[pos[found]]], dirs, names, types, type_names)


# ---------------------------------------------------------------------------------------- groups


def _missions_by_type(c: _Calls, xb_lab: IntArray, n: int, *, dir_names: list[str],
                      type_names: list[str]) -> list[dict[str, dict[str, int]]]:
    """Cross-border missions of each group by direction and unit type (nonzero counts, sorted)."""
    keep = xb_lab >= 0
    nd, nt = max(1, len(dir_names)), max(1, len(type_names))
    key = (xb_lab[keep] * nd + c.xb_dir[keep]) * nt + c.xb_type[keep]
    counts = np.bincount(key, minlength=n * nd * nt).reshape(n, nd, nt)
    dirs = sorted(range(len(dir_names)), key=lambda j: dir_names[j])
    types = sorted(range(len(type_names)), key=lambda k: type_names[k])
    out: list[dict[str, dict[str, int]]] = []
    for g in range(n):
        by = {dir_names[j]: {type_names[k]: int(counts[g, j, k]) for k in types if counts[g, j, k]}
              for j in dirs}
        out.append({d: t for d, t in by.items() if t})
    return out


def _stats_by(c: _Calls, labels: IntArray, n: int, *, n_reps: int, dir_names: list[str],
              type_names: list[str], units: _Units | None = None,
              unit_labels: IntArray | None = None) -> list[dict[str, Any]]:
    """The statistics of each group ``0 <= g < n`` of calls labelled `labels` (-1: in no group)."""
    ok = labels >= 0
    lab = labels[ok]
    rt = c.rt[ok]
    fin = np.isfinite(rt)
    count = np.bincount(lab, minlength=n)
    n_fin = np.bincount(lab[fin], minlength=n)
    total = np.bincount(lab[fin], weights=rt[fin], minlength=n)
    quant = grouped_quantiles(rt[fin], lab[fin], n, QUANTILES)

    def per_group(mask: BoolArray) -> IntArray:
        return np.bincount(lab[mask[ok]], minlength=n)

    unserved, xb, urgent = per_group(c.unserved), per_group(c.cross_border), per_group(c.judged)
    within_ = per_group(c.judged & c.within)
    bands = {k: per_group(m) for k, m in c.bands.items()}
    xb_lab = labels[c.xb_row] if len(c.xb_row) else np.zeros(0, np.int64)
    keep = xb_lab >= 0
    nd = max(1, len(dir_names))
    by_dir = np.bincount(xb_lab[keep] * nd + c.xb_dir[keep], minlength=n * nd).reshape(n, nd)
    by_type = _missions_by_type(c, xb_lab, n, dir_names=dir_names, type_names=type_names)
    util = _utilisation(units, unit_labels, n) if units is not None and unit_labels is not None else None
    out = []
    for g in range(n):
        ci = wilson_ci(int(within_[g]), int(urgent[g]))
        d: dict[str, Any] = {
            "count": int(count[g]),
            "count_per_replication": int(count[g]) / n_reps if n_reps else math.nan,
            "mean_s": float(total[g] / n_fin[g]) if n_fin[g] else math.nan,
            "median_s": float(quant[0, g]), "p90_s": float(quant[1, g]), "p95_s": float(quant[2, g]),
            "unserved": int(unserved[g]), "cross_border_incidents": int(xb[g]),
            "urgent_with_norm": int(urgent[g]), "within_norm_share": ci.estimate,
            "within_norm_ci": [ci.low, ci.high],
            **{f"{k}_share": float(v[g] / count[g]) if count[g] else math.nan for k, v in bands.items()},
            "cross_border_missions": {name: int(by_dir[g, j])
                                      for j, name in sorted(enumerate(dir_names), key=lambda x: x[1])
                                      if by_dir[g, j]},
            "cross_border_missions_by_type": by_type[g],
        }
        if util is not None and util[g]:
            d["utilisation"] = util[g]
        out.append(d)
    return out


def _utilisation(units: _Units, labels: IntArray, n: int) -> list[dict[str, float]]:
    """Utilisation by unit type of each group of units, weighted by time on duty: the group's busy
    time over its time on duty (NaN where its units were never on duty)."""
    types, names = pd.factorize(pd.Series(units.type, dtype=object))
    nt = max(1, len(names))
    ok = labels >= 0
    key = labels[ok] * nt + types[ok]
    present = np.bincount(key, minlength=n * nt).reshape(n, nt)
    busy = np.bincount(key, weights=np.nan_to_num(units.busy[ok]), minlength=n * nt).reshape(n, nt)
    duty = np.bincount(key, weights=np.nan_to_num(units.on_duty[ok]), minlength=n * nt).reshape(n, nt)
    order = sorted(range(len(names)), key=lambda j: str(names[j]))
    return [{str(names[j]): float(busy[g, j] / duty[g, j]) if duty[g, j] > 0 else math.nan
             for j in order if present[g, j]} for g in range(n)]


def _utilisation_by_country(units: _Units) -> dict[str, dict[str, float]]:
    """Utilisation by unit type of each country's units, weighted by time on duty (the units of
    every country in the run: the foreign side's units, busy with their own calls, apart)."""
    countries = sorted({str(x) for x in units.country})
    lab = np.array([countries.index(str(x)) for x in units.country], dtype=np.int64)
    return dict(zip(countries, _utilisation(units, lab, len(countries)), strict=True))


def _report_order(names: list[str], present: IntArray) -> list[str]:
    """The groups present, in report order: ambulance before fire, NORM_CLASSES order within a
    country (``"NL/urgent"``, ``"NL/a2"`` ...), countries alphabetically; calls of no class
    (``""``, ``"NL/"``) left out."""
    classes = list(NORM_CLASSES)

    def rank(name: str) -> tuple[int, str, int]:
        where, _, cls = name.rpartition("/")
        if not where:  # a service
            return ({"ambulance": 0, "physician": 1, "fire": 2}.get(name, 3), name, 0)
        return (0, where, classes.index(cls) if cls in classes else len(classes))
    keep = [names[i] for i in present if names[i] and not names[i].endswith("/")]
    return sorted(keep, key=rank)


def _lut(codes_names: list[str], groups: list[str]) -> IntArray:
    """Code -> position of its name in `groups` (-1 if absent)."""
    pos = {g: i for i, g in enumerate(groups)}
    return np.array([pos.get(name, -1) for name in codes_names] or [-1], dtype=np.int64)


def _variant_stats(c: _Calls, units: _Units, *, n_reps: int, names: dict[str, list[str]],
                   dir_names: list[str], type_names: list[str], focus: Sequence[str],
                   norm_info: Mapping[str, dict[str, Any] | None]) -> dict[str, Any]:
    """The ``variants`` entry of one variant: overall, by centre, by type, both, and per focus area."""
    n = len(c.rt)
    centres = sorted({names["centre"][i] for i in np.unique(c.centre)} | {str(x) for x in units.centre})
    types = sorted({names["type"][i] for i in np.unique(c.type)})
    kw: dict[str, Any] = {"n_reps": n_reps, "dir_names": dir_names, "type_names": type_names}
    res: dict[str, Any] = {"replications": n_reps}
    res["overall"] = _stats_by(c, np.zeros(n, np.int64), 1, units=units,
                               unit_labels=np.zeros(len(units.centre), np.int64), **kw)[0]
    res["utilisation_by_country"] = _utilisation_by_country(units)
    for key, col in (("by_service", "service"), ("by_norm", "norm_group")):
        groups = _report_order(names[col], np.unique(getattr(c, col)))
        labels = _lut(names[col], groups)[getattr(c, col)]
        res[key] = dict(zip(groups, _stats_by(c, labels, len(groups), **kw), strict=True))
    for group, st in res["by_norm"].items():
        st["norm"] = norm_info.get(group)
    unit_centre = np.array([centres.index(str(x)) for x in units.centre], dtype=np.int64)
    by_c = _stats_by(c, _lut(names["centre"], centres)[c.centre], len(centres), units=units,
                     unit_labels=unit_centre, **kw)
    res["by_dispatch_centre"] = dict(zip(centres, by_c, strict=True))
    res["by_type"] = dict(zip(types, _stats_by(c, _lut(names["type"], types)[c.type], len(types), **kw),
                              strict=True))
    nt = len(names["type"])
    pairs = sorted((names["centre"][k // nt], names["type"][k % nt])
                   for k in np.unique(c.centre * nt + c.type))
    lut = np.full(len(names["centre"]) * nt, -1, dtype=np.int64)
    for i, (ce, ty) in enumerate(pairs):
        lut[names["centre"].index(ce) * nt + names["type"].index(ty)] = i
    both = _stats_by(c, lut[c.centre * nt + c.type], len(pairs), **kw)
    res["by_dispatch_centre_and_type"] = {}
    for (ce, ty), st in zip(pairs, both, strict=True):
        res["by_dispatch_centre_and_type"].setdefault(ce, {})[ty] = st
    fs = list(focus)
    res["focus"] = dict(zip(fs, _stats_by(c, _lut(names["focus"], fs)[c.focus], len(fs), **kw),
                            strict=True))
    pairs_fs, labels = _focus_services(c, names, fs)
    res["focus_by_service"] = {}
    for (area, service), st in zip(pairs_fs, _stats_by(c, labels(c), len(pairs_fs), **kw), strict=True):
        res["focus_by_service"].setdefault(area, {})[service] = st
    return res


def _focus_services(ref: _Calls, names: dict[str, list[str]], focus: Sequence[str]
                    ) -> tuple[list[tuple[str, str]], Any]:
    """The (focus area, service) groups of the calls of `ref` (areas in `focus` order, services in
    report order), and a function giving any variant's calls their group (-1: none)."""
    services = _report_order(names["service"], np.unique(ref.service))
    ns = max(1, len(names["service"]))
    f_lut, s_lut = _lut(names["focus"], list(focus)), _lut(names["service"], services)

    def key(c: _Calls) -> IntArray:
        f, sv = f_lut[c.focus], s_lut[c.service]
        return np.where((f >= 0) & (sv >= 0), f * ns + sv, -1)

    present = np.unique(key(ref))
    pairs = [(focus[k // ns], services[k % ns]) for k in present.tolist() if k >= 0]
    lut = np.full(max(1, len(focus)) * ns, -1, dtype=np.int64)
    for i, k in enumerate(k for k in present.tolist() if k >= 0):
        lut[k] = i

    def labels(c: _Calls) -> IntArray:
        k = key(c)
        return np.where(k >= 0, lut[np.maximum(k, 0)], -1)

    return pairs, labels


# ---------------------------------------------------------------------------------------- differences


def _interval(iv: Interval) -> dict[str, Any]:
    d = iv.as_dict()
    d["excludes_zero"] = bool(iv.excludes_zero())
    return d


def _split(labels: IntArray, n: int) -> list[IntArray]:
    """Row indices of each group ``0 <= g < n`` (one stable sort, not a pass per group)."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n + 1))
    return [order[bounds[g]:bounds[g + 1]] for g in range(n)]


def _differences_by(ref: _Calls, var: _Calls, ref_labels: IntArray, var_labels: IntArray, n: int, *,
                    reps: list[int], plan: BatchPlan | str | None) -> list[dict[str, Any]]:
    """Paired differences ``var - ref`` of each group ``0 <= g < n``.

    Across the common replications `reps`, or by batches of the one replication when `plan` is
    given (the batches, or why there are none).
    """
    pos = np.full(max([*reps, int(ref.rep.max(initial=0)), int(var.rep.max(initial=0))]) + 1, -1, np.int64)
    pos[reps] = np.arange(len(reps))
    ra, rb = pos[ref.rep], pos[var.rep]
    ga = _split(np.where(ra >= 0, ref_labels, -1), n)
    gb = _split(np.where(rb >= 0, var_labels, -1), n)
    out = []
    for ia, ib in zip(ga, gb, strict=True):
        info: dict[str, Any] = {}
        if plan is None:
            mean, p90, k = replication_intervals(ref.rt[ia], ra[ia], var.rt[ib], rb[ib], n_reps=len(reps))
        else:
            mean, p90, info = batch_intervals(ref.rt[ia], ref.t[ia], var.rt[ib], var.t[ib], plan)
            k = int(np.isfinite(ref.rt[ia]).any() and np.isfinite(var.rt[ib]).any())
        entry = {"mean_s": _interval(mean), "p90_s": _interval(p90), "replications": k}
        if info:
            entry["batches"] = info
        out.append(entry)
    return out


def _batch_plan(incidents: pd.DataFrame, ref: str, rep: int) -> BatchPlan | str:
    """The batches of replication `rep` (from the reference variant's calls, the same in all)."""
    inc = incidents[(incidents["variant"] == ref).to_numpy() & (incidents["replication"] == rep).to_numpy()]
    return plan_batches(inc["t_call_s"].to_numpy(dtype=float), inc["in_warmup"].to_numpy(dtype=bool))


def _pair(calls: dict[str, _Calls], ref: str, v: str, *, reps: list[int], plan: BatchPlan | str | None,
          names: dict[str, list[str]], focus: Sequence[str] | None) -> dict[str, Any]:
    """The ``differences`` entry of variant `v` against `ref`."""
    a, b = calls[ref], calls[v]
    d: dict[str, Any] = {"against": ref}
    kw: dict[str, Any] = {"reps": reps, "plan": plan}
    d["overall"] = _differences_by(a, b, np.zeros(len(a.rt), np.int64), np.zeros(len(b.rt), np.int64),
                                   1, **kw)[0]
    for key, col in (("by_dispatch_centre", "centre"), ("by_type", "type"), ("by_service", "service"),
                     ("by_norm", "norm_group")):
        present = np.unique(getattr(a, col))
        groups = (_report_order(names[col], present) if col in ("service", "norm_group")
                  else sorted({names[col][i] for i in present}))
        lut = _lut(names[col], groups)
        d[key] = dict(zip(groups, _differences_by(a, b, lut[getattr(a, col)], lut[getattr(b, col)],
                                                  len(groups), **kw), strict=True))
    d["focus_by_service"] = {}
    if focus is None:
        d["focus"] = {}
    else:
        lut = _lut(names["focus"], list(focus))
        d["focus"] = dict(zip(focus, _differences_by(a, b, lut[a.focus], lut[b.focus], len(focus), **kw),
                              strict=True))
        pairs, labels = _focus_services(a, names, list(focus))
        for (area, service), diff in zip(pairs, _differences_by(a, b, labels(a), labels(b), len(pairs), **kw),
                                         strict=True):
            d["focus_by_service"].setdefault(area, {})[service] = diff
    return d


# ---------------------------------------------------------------------------------------- summary


def _calls(measured: pd.DataFrame, limits: FloatArray, rows: IntArray, codes: dict[str, IntArray],
           xb: _CrossBorder, vi: int) -> _Calls:
    """The measured calls of variant number `vi` (rows `rows` of `measured`) as arrays."""
    sub = measured[_CALL_COLUMNS].iloc[rows]
    lim = limits[rows]
    rt = sub["response_time_s"].to_numpy(dtype=float)
    mine = xb.variant == vi
    return _Calls(
        rt=rt, rep=sub["replication"].to_numpy(np.int64), t=sub["t_call_s"].to_numpy(dtype=float),
        unserved=~sub["served"].to_numpy(dtype=bool), cross_border=sub["cross_border"].to_numpy(dtype=bool),
        judged=judged(sub, lim), within=within(rt, lim), centre=codes["centre"][rows],
        type=codes["type"][rows], focus=codes["focus"][rows], service=codes["service"][rows],
        norm_group=codes["norm_group"][rows], bands=within_bands(rt), xb_row=xb.row[mine],
        xb_dir=xb.direction[mine], xb_type=xb.unit_type[mine])


def _units(units: pd.DataFrame, variant: str) -> _Units:
    uv = units[(units["variant"] == variant).to_numpy()]
    return _Units(centre=uv["dispatch_centre"].astype(str).to_numpy(object),
                  country=uv["country"].astype(str).to_numpy(object),
                  type=uv["unit_type"].astype(str).to_numpy(object),
                  busy=uv["busy_s"].to_numpy(dtype=float), on_duty=uv["on_duty_s"].to_numpy(dtype=float))


def _norm_info(groups: list[str], norms: Mapping[str, Norm]) -> dict[str, dict[str, Any] | None]:
    """The norm of each ``"<country>/<class>"`` group (its country's; ``None``: no norm there)."""
    out: dict[str, dict[str, Any] | None] = {}
    for g in groups:
        country, _, cls = g.rpartition("/")
        n = find_norm(norms, centre="", country=country, norm_class=cls)
        out[g] = None if n is None else {
            "label": n.label, "limit_s": n.limit_s,
            "target_share": n.target_share if n.has_target else None, "source": n.source}
    return out


def summarise(incidents: pd.DataFrame, missions: pd.DataFrame, units: pd.DataFrame, *,
              variants: Sequence[str], norms: Mapping[str, Norm], focus: Sequence[str] = (),
              seed: int = 0) -> dict[str, Any]:
    """The summary of a run, per variant, dispatch centre, incident type and focus area.

    Parameters
    ----------
    incidents, missions, units
        The run's tables (:mod:`sim.analysis.frames`), every variant and replication.
    variants
        Variants to summarise; the first is the reference of the differences.
    norms
        Norms by dispatch centre or country (:func:`sim.analysis.measures.norm_limits`).
    focus
        Focus-area names (the ``focus`` column of the incidents).
    seed
        Not used: the intervals draw no random numbers. Accepted so that a caller may pass the run's.

    Returns
    -------
    dict
        JSON-ready: ``variants`` (statistics per variant: ``overall``, ``by_dispatch_centre``,
        ``by_type``, ``by_dispatch_centre_and_type``, ``by_service``, ``by_norm``, ``focus``,
        ``focus_by_service``, ``utilisation_by_country``), ``differences`` (per variant
        other than the first: paired differences against the first, overall, by dispatch centre, by
        type and per focus area; each interval with its ``method``) and ``intervals`` (what each
        method means, :data:`INTERVALS`).
    """
    measured = measured_calls(incidents)
    if "focus" not in measured:
        measured = measured.assign(focus="")
    var_codes = _variant_codes(measured, list(variants))
    order = np.argsort(var_codes, kind="stable")
    bounds = np.searchsorted(var_codes[order], np.arange(len(variants) + 1))
    rows_of = {v: order[bounds[i]:bounds[i + 1]] for i, v in enumerate(variants)}
    names: dict[str, list[str]] = {}
    codes: dict[str, IntArray] = {}
    for key, col in (("centre", "dispatch_centre"), ("type", "type"), ("focus", "focus")):
        codes[key], names[key] = _codes(measured[col])
    cls = norm_classes(measured) if len(measured) else np.zeros(0, object)
    codes["service"], names["service"] = _codes(pd.Series(class_services(cls), dtype=object))
    codes["norm_group"], names["norm_group"] = _codes(
        pd.Series(measured["country"].astype(str).to_numpy(object) + "/" + cls, dtype=object))
    info = _norm_info(names["norm_group"], norms)
    limits = norm_limits(measured, norms) if len(measured) else np.zeros(0)
    xb = _cross_border(missions, measured, rows_of, list(variants))
    calls = {v: _calls(measured, limits, rows_of[v], codes, xb, i) for i, v in enumerate(variants)}
    reps_by_variant = {v: [int(r) for r in np.unique(incidents.loc[incidents["variant"] == v, "replication"])]
                       for v in variants}
    out_vars = {v: _variant_stats(calls[v], _units(units, v), n_reps=len(reps_by_variant[v]), names=names,
                                  dir_names=xb.names, type_names=xb.type_names, focus=focus, norm_info=info)
                for v in variants}
    diffs: dict[str, Any] = {}
    has_focus = "focus" in incidents
    for v in variants[1:]:
        reps = sorted(set(reps_by_variant[variants[0]]) & set(reps_by_variant[v]))
        plan = _batch_plan(incidents, variants[0], reps[0]) if len(reps) == 1 else None
        diffs[v] = _pair(calls, variants[0], v, reps=reps, plan=plan, names=names,
                         focus=list(focus) if has_focus else None)
    return {"variants": out_vars, "differences": diffs, "intervals": INTERVALS,
            "hexagons": hexagon_summary(incidents, variants=variants, norms=norms, limits=limits)}
