"""The tables the figures draw: shares within the norm (per dispatch centre and class of call) and
within 10 and 15 min, cross-border missions, utilisation, response-time distributions, hexagon bins
and coverage classes.

Each function takes DataFrames following the Records contract (plus ``variant`` and
``replication``) or model values and returns numbers; :mod:`sim.figures` draws them. "Within the
norm" is :mod:`sim.analysis.measures`'s, intervals are :mod:`sim.analysis.stats`'s. Calls made
during the warm-up are left out everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.analysis.coverage import Coverage, coverage
from sim.analysis.hexagons import hex_cells, hex_polygon
from sim.analysis.measures import (
    measured_calls,
    norm_classes,
    norms_of,
    services,
    within_bands,
    within_norm,
)
from sim.analysis.stats import mean_ci, wilson_ci
from sim.model.countries import DEFAULT_NORMS
from sim.model.norms import BANDS_S, NORM_CLASSES, Norm, service_of
from sim.model.spec import ModelSpec
from sim.roads.network import RoadNetwork

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# ---------------------------------------------------------------------------------------- calls


def variant_order(df: pd.DataFrame, variants: Sequence[str] | None = None) -> list[str]:
    """`variants` if given, else the variants of `df` in order of appearance (the first is the
    reference)."""
    if variants:
        return list(variants)
    return list(dict.fromkeys(df["variant"].astype(str))) if len(df) else []


def measured(incidents: pd.DataFrame) -> pd.DataFrame:
    """The incidents called after the warm-up, within the road extract
    (:func:`sim.analysis.measures.measured_calls`)."""
    return measured_calls(incidents)


def urgent_calls(incidents: pd.DataFrame) -> pd.DataFrame:
    """The measured incidents of class ``urgent``: NL A1 and the other countries' urgent ambulance
    calls (:func:`sim.analysis.measures.norm_classes`; fires and A2 calls are not among them)."""
    inc = measured(incidents)
    return inc[norm_classes(inc) == "urgent"] if len(inc) else inc


def service_calls(incidents: pd.DataFrame, service: str) -> pd.DataFrame:
    """The measured incidents of `service` (``ambulance``, ``fire``:
    :func:`sim.analysis.measures.services`)."""
    inc = measured(incidents)
    return inc[services(inc) == service] if len(inc) else inc


def response_ecdf(response_s: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Empirical CDF of response times: sorted times (min) and the share of calls (%) answered by each.

    A call never reached (NaN) counts in the total but has no time, so the share stays below 100 %.
    """
    x = np.sort(np.asarray(response_s, dtype=float) / 60.0)
    n_all = len(x)
    x = x[np.isfinite(x)]
    return x, np.arange(1, len(x) + 1) / n_all * 100.0


# ---------------------------------------------------------------------------------------- norms


SHARE_KEYS = ["dispatch_centre", "country", "norm_class", "service", "variant"]
NORM_SHARE_COLUMNS = [*SHARE_KEYS, "n", "within", "share", "low", "high", "target", "limit_min"]
BAND_SHARE_COLUMNS = [*SHARE_KEYS, "band_min", "n", "within", "share", "low", "high"]
CLASS_SHARE_COLUMNS = [*NORM_SHARE_COLUMNS, "has_norm"]


def _classified(incidents: pd.DataFrame, norms: Mapping[str, Norm]) -> pd.DataFrame:
    """The measured calls of a class, with ``norm_class``, ``service``, ``judged``, ``within_norm``
    and ``norm`` (the :class:`~sim.model.norms.Norm` or ``None``) as :mod:`sim.analysis.measures`
    gives them."""
    inc = measured(incidents)
    is_judged, is_within = within_norm(inc, norms)
    out = inc.assign(norm_class=norm_classes(inc), service=services(inc), judged=is_judged,
                     within_norm=is_judged & is_within, norm=pd.Series(norms_of(inc, norms), index=inc.index,
                                                                       dtype=object))
    return out[out["norm_class"].to_numpy() != ""]


def _pooled(calls: pd.DataFrame, hits: str,
            variants: Sequence[str]) -> Iterator[tuple[pd.DataFrame, dict[str, Any]]]:
    """Per variant, dispatch centre, country and class: the calls and their pooled share of `hits`
    (a boolean column) with its Wilson interval."""
    for v in variants:
        sub = calls[calls["variant"].astype(str).to_numpy() == v]
        for (centre, country, cls), g in sub.groupby(["dispatch_centre", "country", "norm_class"], sort=True):
            k = int(np.count_nonzero(g[hits].to_numpy(bool)))
            ci = wilson_ci(k, len(g))
            yield g, {"dispatch_centre": str(centre), "country": str(country), "norm_class": str(cls),
                      "service": service_of(str(cls)), "variant": v, "n": len(g), "within": k,
                      "share": ci.estimate, "low": ci.low, "high": ci.high}


def _in_report_order(df: pd.DataFrame, variants: Sequence[str], extra: Sequence[str] = ()) -> pd.DataFrame:
    """A centre spanning countries keeps its largest one (per class and variant); rows by service
    (ambulance, then fire), dispatch centre, class (:data:`~sim.model.norms.NORM_CLASSES` order) and
    variant (`variants` order)."""
    if not len(df):
        return df
    df = df.sort_values("n", ascending=False, kind="stable").drop_duplicates(
        ["dispatch_centre", "norm_class", "variant", *extra])
    classes, vs = list(NORM_CLASSES), list(variants)
    rank = pd.DataFrame({
        "s": df["service"].map(lambda s: ("ambulance", "fire").index(s) if s in ("ambulance", "fire") else 2),
        "c": df["dispatch_centre"], "k": df["norm_class"].map(classes.index),
        "v": df["variant"].map(vs.index), **{e: df[e] for e in extra}}, index=df.index)
    return df.loc[rank.sort_values(["s", "c", "k", "v", *extra], kind="stable").index].reset_index(drop=True)


def norm_shares(
    incidents: pd.DataFrame, *, norms: Mapping[str, Norm] | None = None,
    variants: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Share of calls within their norm per dispatch centre, class of call and variant, with Wilson
    intervals.

    A class is judged where it has a norm (:func:`sim.analysis.measures.within_norm`: the dispatch
    centre's norm if set, else the country's; a call never reached is outside): NL A1 and A2 apart,
    fires against the fire norms of their building's class. Calls of a class without a norm are
    :func:`band_shares`'. Calls are pooled over replications.

    Returns
    -------
    DataFrame
        ``dispatch_centre``, ``country``, ``norm_class``, ``service``, ``variant``, ``n``, ``within``,
        ``share``, ``low``, ``high``, ``target`` (the norm's target share; NaN where the norm sets
        a time but no share, the Dutch fire norms), ``limit_min``: one row per centre, class and
        variant (a centre spanning countries keeps its largest country), ambulance before fire.
    """
    norms = dict(DEFAULT_NORMS) if norms is None else dict(norms)
    calls = _classified(incidents, norms)
    calls = calls[calls["judged"].to_numpy(bool)]
    vs = variant_order(incidents, variants)
    rows = []
    for g, row in _pooled(calls, "within_norm", vs):
        norm = g["norm"].iloc[0]
        rows.append({**row, "target": norm.target_share, "limit_min": norm.limit_s / 60.0})
    return _in_report_order(pd.DataFrame(rows, columns=NORM_SHARE_COLUMNS), vs)


def band_shares(
    incidents: pd.DataFrame, *, norms: Mapping[str, Norm] | None = None,
    variants: Sequence[str] | None = None, service: str | None = None,
) -> pd.DataFrame:
    """Share of the calls without a norm within 10 and within 15 min
    (:func:`sim.analysis.measures.within_bands`) per dispatch centre, class and variant, with Wilson
    intervals: the measure of a class a country has no norm for (Belgian fires, the fires of no
    building class).

    Parameters
    ----------
    incidents
        Incidents (Records contract plus ``variant``, ``replication``); calls of no class (NL B
        rides) and warm-up calls are left out, calls are pooled over replications.
    norms
        Norms by dispatch centre or country (default :data:`sim.model.countries.DEFAULT_NORMS`):
        the calls of a class with a norm there are :func:`norm_shares`'.
    variants
        Variants (default: order of appearance).
    service
        Only this service's calls (``ambulance``, ``fire``; default: all).

    Returns
    -------
    DataFrame
        ``dispatch_centre``, ``country``, ``norm_class``, ``service``, ``variant``, ``band_min``
        (10, 15), ``n``, ``within``, ``share``, ``low``, ``high``: one row per centre, class,
        variant and band, ambulance before fire.
    """
    norms = dict(DEFAULT_NORMS) if norms is None else dict(norms)
    calls = _classified(incidents, norms)
    keep = ~calls["judged"].to_numpy(bool)
    if service is not None:
        keep &= calls["service"].to_numpy() == service
    calls = calls[keep]
    rt = calls["response_time_s"].to_numpy(float) if len(calls) else np.zeros(0)
    bands = within_bands(rt)
    vs = variant_order(incidents, variants)
    rows = []
    for (name, hit), band in zip(bands.items(), BANDS_S, strict=True):
        for _, row in _pooled(calls.assign(**{name: hit}), name, vs):
            rows.append({**row, "band_min": band / 60.0})
    return _in_report_order(pd.DataFrame(rows, columns=BAND_SHARE_COLUMNS), vs, extra=["band_min"])


def class_shares(
    incidents: pd.DataFrame, *, norms: Mapping[str, Norm] | None = None,
    variants: Sequence[str] | None = None, band_min: float = BANDS_S[-1] / 60.0,
) -> pd.DataFrame:
    """Every class of call of every dispatch centre by one share: within its norm where it has one
    (:func:`norm_shares`), else within `band_min` minutes (:func:`band_shares`).

    Returns
    -------
    DataFrame
        The columns of :func:`norm_shares` and ``has_norm``; a row without a norm has ``target``
        NaN and ``limit_min`` = `band_min`. Ambulance before fire, then by centre, class and variant.
    """
    vs = variant_order(incidents, variants)
    with_norm = norm_shares(incidents, norms=norms, variants=vs).assign(has_norm=True)
    bands = band_shares(incidents, norms=norms, variants=vs)
    bands = bands[np.isclose(bands["band_min"].to_numpy(float), band_min)]
    without = bands.drop(columns="band_min").assign(target=np.nan, limit_min=float(band_min), has_norm=False)
    parts = [d for d in (with_norm, without) if len(d)]
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CLASS_SHARE_COLUMNS)
    return _in_report_order(df[CLASS_SHARE_COLUMNS], vs)


# ---------------------------------------------------------------------------------------- missions


def _measured_missions(missions: pd.DataFrame, incidents: pd.DataFrame | None) -> pd.DataFrame:
    """`missions` without those to incidents called during the warm-up."""
    if incidents is None or "in_warmup" not in incidents or not len(missions):
        return missions
    warm = incidents.loc[incidents["in_warmup"].astype(bool), ["variant", "replication", "incident_id"]]
    if not len(warm):
        return missions
    key = pd.MultiIndex.from_frame(missions[["variant", "replication", "incident_id"]])
    return missions[~key.isin(pd.MultiIndex.from_frame(warm))]


def cross_border_counts(
    missions: pd.DataFrame, *, incidents: pd.DataFrame | None = None,
    variants: Sequence[str] | None = None, per_s: float | None = None,
) -> pd.DataFrame:
    """Cross-border missions per replication by unit type, direction and variant (mean and 95 % CI).

    Missions of warm-up incidents are left out when `incidents` is given (whose replications also
    count, with zero missions if they have none). With `per_s` (the measured simulated time of one
    replication, in seconds) the counts are per week.

    Returns
    -------
    DataFrame
        ``variant``, ``unit_type``, ``direction`` (``NL->BE``), ``mean``, ``low``, ``high``,
        ``replications``.
    """
    mis = _measured_missions(missions, incidents)
    scale = 7 * 86_400.0 / per_s if per_s else 1.0
    xb = mis[mis["cross_border"].astype(bool)] if len(mis) else mis
    rows = []
    for v in variant_order(missions, variants):
        reps = sorted(set(missions.loc[missions["variant"].astype(str) == v, "replication"]))
        if incidents is not None:
            reps = sorted(set(reps) | set(incidents.loc[incidents["variant"].astype(str) == v,
                                                        "replication"]))
        sub = xb[xb["variant"].astype(str) == v]
        for (ut, direction), g in sub.groupby(["unit_type", "direction"], sort=True):
            per_rep = g.groupby("replication").size().reindex(reps, fill_value=0).to_numpy(float) * scale
            ci = mean_ci(per_rep)
            rows.append({"variant": v, "unit_type": str(ut), "direction": str(direction),
                         "mean": ci.estimate, "low": ci.low, "high": ci.high, "replications": len(reps)})
    return pd.DataFrame(rows, columns=["variant", "unit_type", "direction", "mean", "low", "high",
                                       "replications"])


# ---------------------------------------------------------------------------------------- units


def _utilisation(units: pd.DataFrame, keys: list[str], variants: Sequence[str] | None) -> pd.DataFrame:
    """Busy / on-duty time summed over the units of each group of `keys`, per replication; mean over
    replications with a 95 % t-interval, and the number of units."""
    rows = []
    for v in variant_order(units, variants):
        sub = units[units["variant"].astype(str) == v]
        for key, g in sub.groupby(keys, sort=True):
            per_rep = g.groupby("replication")[["busy_s", "on_duty_s"]].sum()
            ratio = (per_rep["busy_s"] / per_rep["on_duty_s"].where(per_rep["on_duty_s"] > 0)).to_numpy()
            ci = mean_ci(ratio)
            rows.append({**dict(zip(keys, map(str, key), strict=True)), "variant": v,
                         "units": int(g["unit_id"].nunique()), "mean": ci.estimate, "low": ci.low,
                         "high": ci.high})
    return pd.DataFrame(rows, columns=[*keys, "variant", "units", "mean", "low", "high"])


def station_utilisation(units: pd.DataFrame, *, variants: Sequence[str] | None = None) -> pd.DataFrame:
    """Utilisation per station and variant: busy / on-duty time summed over its units, mean over
    replications with a 95 % t-interval.

    Returns
    -------
    DataFrame
        ``station``, ``variant``, ``units`` (number of units), ``mean``, ``low``, ``high``.
    """
    return _utilisation(units, ["station"], variants)


def unit_utilisation(units: pd.DataFrame, *, variants: Sequence[str] | None = None) -> pd.DataFrame:
    """Utilisation per country, unit type and variant, weighted by time on duty: the busy time of
    the country's units of that type over their time on duty (so that idle units of one country are
    not averaged with busy ones of another), mean over replications with a 95 % t-interval.

    Returns
    -------
    DataFrame
        ``country``, ``unit_type``, ``variant``, ``units`` (number of units), ``mean``, ``low``,
        ``high``.
    """
    return _utilisation(units, ["country", "unit_type"], variants)


# ---------------------------------------------------------------------------------------- hexagons


def hex_outlines(cells: npt.ArrayLike, *, size_km: float, lat0: float) -> list[FloatArray]:
    """The six corners (lon, lat) of each cell ``(q, r)`` of :func:`hex_cells`' grid."""
    arr = np.asarray(cells, dtype=np.int64).reshape(-1, 2)
    return [hex_polygon(int(q), int(r), size_km=size_km, lat0=lat0) for q, r in arr]


def hex_quantile(
    lon: npt.ArrayLike, lat: npt.ArrayLike, values: npt.ArrayLike, *, size_km: float, lat0: float,
    q: float = 0.9, min_count: int = 5,
) -> pd.DataFrame:
    """Quantile `q` of `values` per hexagon (NaN values count as larger than any other).

    Returns a frame indexed by the cell ``(q, r)`` with columns ``value`` and ``count``, keeping
    cells with at least `min_count` values.
    """
    v = np.asarray(values, float)
    cells = hex_cells(lon, lat, size_km=size_km, lat0=lat0)
    df = pd.DataFrame({"q": cells[:, 0], "r": cells[:, 1], "v": np.where(np.isnan(v), np.inf, v)})
    g = df.groupby(["q", "r"])["v"]
    out = pd.DataFrame({
        "value": g.quantile(q, interpolation="higher"),
        "count": g.size(),
    })
    return out[out["count"] >= min_count]


def hex_classes(lon: npt.ArrayLike, lat: npt.ArrayLike, classes: npt.ArrayLike, *, size_km: float,
                lat0: float) -> pd.Series:
    """The class of each hexagon: the median class of its points, rounded (indexed by ``(q, r)``)."""
    cells = hex_cells(lon, lat, size_km=size_km, lat0=lat0)
    df = pd.DataFrame({"q": cells[:, 0], "r": cells[:, 1], "c": np.asarray(classes)})
    return df.groupby(["q", "r"])["c"].median().round()


# ---------------------------------------------------------------------------------------- coverage


def coverage_classes(cov: Coverage) -> tuple[IntArray, FloatArray]:
    """Per node: its coverage class and the threshold bounds (minutes).

    Class ``2 i`` means within threshold ``i`` nationally; ``2 i + 1`` within threshold ``i`` only
    with the agreements; ``2 k`` (k thresholds) beyond the last threshold either way.
    """
    bounds = np.array([th / 60.0 for th in cov.thresholds_s])
    nat = np.searchsorted(bounds, cov.time_national_s / 60.0, side="left")
    agr = np.searchsorted(bounds, cov.time_agreements_s / 60.0, side="left")
    cls = np.where(agr < nat, 2 * agr + 1, 2 * agr)
    return cls.astype(np.int64), bounds


def spec_coverage(network: RoadNetwork, spec: ModelSpec) -> Coverage:
    """:func:`sim.analysis.coverage.coverage` of a variant: its stations, places, agreements,
    driving factors and the spread of its demand's places (ambulances, 8 and 15 minutes)."""
    demand = spec.demand
    return coverage(network, spec.stations, spec.places, agreements=spec.agreements,
                    driving=spec.driving, spread_m=demand.spread_m,
                    max_distance_m=demand.max_place_distance_m, reach_m=demand.split_reach_m)
