"""The tables the figures draw: shares within the norm, cross-border missions, utilisation,
response-time distributions, hexagon bins and coverage classes.

Each function takes DataFrames following the Records contract (plus ``variant`` and
``replication``) or model values and returns numbers; :mod:`sim.figures` draws them. "Within the
norm" is :mod:`sim.analysis.measures`'s, intervals are :mod:`sim.analysis.stats`'s. Calls made
during the warm-up are left out everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.analysis.coverage import Coverage, coverage
from sim.analysis.hexagons import hex_cells, hex_polygon
from sim.analysis.measures import within_norm
from sim.analysis.stats import mean_ci, wilson_ci
from sim.model.countries import DEFAULT_NORMS
from sim.model.norms import Norm
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
    """The incidents called after the warm-up."""
    if "in_warmup" in incidents and len(incidents):
        return incidents[~incidents["in_warmup"].astype(bool)]
    return incidents


def urgent_calls(incidents: pd.DataFrame) -> pd.DataFrame:
    """The measured incidents of urgency 1 (those the norms judge)."""
    inc = measured(incidents)
    return inc[inc["urgency"] == 1] if "urgency" in inc else inc


def response_ecdf(response_s: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Empirical CDF of response times: sorted times (min) and the share of calls (%) answered by each.

    A call never reached (NaN) counts in the total but has no time, so the share stays below 100 %.
    """
    x = np.sort(np.asarray(response_s, dtype=float) / 60.0)
    n_all = len(x)
    x = x[np.isfinite(x)]
    return x, np.arange(1, len(x) + 1) / n_all * 100.0


# ---------------------------------------------------------------------------------------- norms


NORM_SHARE_COLUMNS = ["dispatch_centre", "country", "variant", "n", "within", "share", "low", "high",
                      "target", "limit_min"]


def _norm_of(centre: str, country: str, norms: Mapping[str, Norm]) -> Norm | None:
    # the norm whose limit sim.analysis.measures.norm_limits applies, for its target share
    return norms.get(centre) or norms.get(country)


def norm_shares(
    incidents: pd.DataFrame, *, norms: Mapping[str, Norm] | None = None,
    variants: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Share of urgent calls within the norm per dispatch centre and variant, with Wilson intervals.

    Which calls are judged and which are within their norm is :func:`sim.analysis.measures.within_norm`
    (the dispatch centre's norm if set, else the country's; a call never reached is outside). Calls
    are pooled over replications.

    Returns
    -------
    DataFrame
        ``dispatch_centre``, ``country``, ``variant``, ``n``, ``within``, ``share``, ``low``,
        ``high``, ``target``, ``limit_min``: one row per centre and variant (a centre spanning
        countries keeps its largest country).
    """
    norms = dict(DEFAULT_NORMS) if norms is None else dict(norms)
    inc = urgent_calls(incidents)
    is_judged, is_within = within_norm(inc, norms)
    inc = inc.assign(within_norm=is_within)[is_judged]
    rows = []
    for v in variant_order(incidents, variants):
        sub = inc[inc["variant"].astype(str) == v]
        for (centre, country), g in sub.groupby(["dispatch_centre", "country"], sort=True):
            norm = _norm_of(str(centre), str(country), norms)
            if norm is None:
                continue
            k = int(np.count_nonzero(g["within_norm"].to_numpy(bool)))
            ci = wilson_ci(k, len(g))
            rows.append({"dispatch_centre": str(centre), "country": str(country), "variant": v,
                         "n": len(g), "within": k, "share": ci.estimate, "low": ci.low,
                         "high": ci.high, "target": norm.target_share,
                         "limit_min": norm.limit_s / 60.0})
    df = pd.DataFrame(rows, columns=NORM_SHARE_COLUMNS)
    if len(df):
        df = (df.sort_values("n", ascending=False).drop_duplicates(["dispatch_centre", "variant"])
              .sort_values(["dispatch_centre", "variant"]).reset_index(drop=True))
    return df


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


def station_utilisation(units: pd.DataFrame, *, variants: Sequence[str] | None = None) -> pd.DataFrame:
    """Utilisation per station and variant: busy / on-duty time summed over its units, mean over
    replications with a 95 % t-interval.

    Returns
    -------
    DataFrame
        ``station``, ``variant``, ``units`` (number of units), ``mean``, ``low``, ``high``.
    """
    rows = []
    for v in variant_order(units, variants):
        sub = units[units["variant"].astype(str) == v]
        for station, g in sub.groupby("station", sort=True):
            per_rep = g.groupby("replication")[["busy_s", "on_duty_s"]].sum()
            ratio = (per_rep["busy_s"] / per_rep["on_duty_s"].where(per_rep["on_duty_s"] > 0)).to_numpy()
            ci = mean_ci(ratio)
            rows.append({"station": str(station), "variant": v,
                         "units": int(g["unit_id"].nunique()), "mean": ci.estimate, "low": ci.low,
                         "high": ci.high})
    return pd.DataFrame(rows, columns=["station", "variant", "units", "mean", "low", "high"])


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
                    max_distance_m=demand.max_place_distance_m)
