"""Response times per hexagon: count, mean, 90th percentile and share within the norm per variant,
and each variant's difference to the reference (first) variant.

The grid is of pointy-top hexagons `size_km` across the flats on an equirectangular projection
around the latitude `lat0` (:func:`hex_cells`, :func:`hex_polygon`). The statistics follow the
summary's conventions (:mod:`sim.analysis.summary`): measured calls only
(:func:`sim.analysis.measures.measured_calls`: warm-up and calls beyond the road extract left out),
mean and percentile of the response times of calls that were reached, the share within the norm
of :mod:`sim.analysis.measures` (urgent calls; one never reached is outside), pooled over
replications. Differences are point estimates (variant minus reference) for the hexagons both
variants have.

In ``summary.json`` the statistics are stored by column (:func:`hexagon_summary`);
:func:`hexagon_frame` reads them back as a table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.analysis.measures import judged, measured_calls, norm_limits, within
from sim.model.norms import Norm

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

KM_PER_DEG_LAT = 110.57
"""Kilometres per degree of latitude (mid-latitudes)."""
KM_PER_DEG_LON_EQUATOR = 111.32
"""Kilometres per degree of longitude at the equator (times the cosine of the latitude elsewhere)."""
HEXAGONS_ACROSS = 22.0
"""Hexagons across the region's width when the size is chosen automatically (:func:`auto_size_km`)."""
STATS: tuple[str, ...] = ("count", "mean_s", "p90_s", "urgent", "within_norm_share")
"""Statistics of a hexagon, as stored in ``summary.json``."""
DIFFS: tuple[str, ...] = ("mean_s", "p90_s", "within_norm_share")
"""Differences to the reference, as stored in ``summary.json``."""


def _project_km(lon: FloatArray, lat: FloatArray, lat0: float) -> tuple[FloatArray, FloatArray]:
    return lon * KM_PER_DEG_LON_EQUATOR * np.cos(np.radians(lat0)), lat * KM_PER_DEG_LAT


def hex_cells(lon: npt.ArrayLike, lat: npt.ArrayLike, *, size_km: float, lat0: float) -> IntArray:
    """Cell ``(q, r)`` (axial coordinates) of each point, shape ``(n, 2)``.

    Parameters
    ----------
    lon, lat
        Points in degrees.
    size_km
        Hexagon width across the flats.
    lat0
        Latitude of the projection (the region's middle).
    """
    x, y = _project_km(np.asarray(lon, float), np.asarray(lat, float), lat0)
    radius = size_km / np.sqrt(3.0)
    cx = (np.sqrt(3.0) / 3.0 * x - y / 3.0) / radius
    cz = (2.0 / 3.0 * y) / radius
    cy = -cx - cz
    rx, ry, rz = np.round(cx), np.round(cy), np.round(cz)  # cube rounding
    dx, dy, dz = np.abs(rx - cx), np.abs(ry - cy), np.abs(rz - cz)
    fix_x = (dx > dy) & (dx > dz)
    fix_z = ~fix_x & (dz >= dy)
    rx = np.where(fix_x, -ry - rz, rx)
    rz = np.where(fix_z, -rx - ry, rz)
    return np.column_stack([rx, rz]).astype(np.int64)


def hex_polygon(q: int, r: int, *, size_km: float, lat0: float) -> FloatArray:
    """The six corners ``(lon, lat)`` of cell ``(q, r)``, shape ``(6, 2)``."""
    radius = size_km / np.sqrt(3.0)
    x = radius * np.sqrt(3.0) * (q + r / 2.0)
    y = radius * 1.5 * r
    ang = np.radians(60.0 * np.arange(6) + 30.0)
    kx = KM_PER_DEG_LON_EQUATOR * np.cos(np.radians(lat0))
    return np.column_stack([(x + radius * np.cos(ang)) / kx, (y + radius * np.sin(ang)) / KM_PER_DEG_LAT])


def auto_size_km(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[float, float]:
    """``(size_km, lat0)`` for points spread like these: about 22 hexagons across, whole km, at
    least 1 km; `lat0` the middle of their latitudes."""
    lo, la = np.asarray(lon, float), np.asarray(lat, float)
    ok = np.isfinite(lo) & np.isfinite(la)
    if not ok.any():
        return 1.0, 0.0
    lat0 = float(0.5 * (la[ok].min() + la[ok].max()))
    width = float(lo[ok].max() - lo[ok].min()) * KM_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat0))
    return float(max(1.0, round(width / HEXAGONS_ACROSS))), lat0


def _cell_stats(inc: pd.DataFrame, limits: FloatArray, cells: IntArray) -> pd.DataFrame:
    rt = inc["response_time_s"].to_numpy(dtype=float)
    urgent = judged(inc, limits)
    df = pd.DataFrame({"q": cells[:, 0], "r": cells[:, 1],
                       "rt": np.where(np.isfinite(rt), rt, np.nan),
                       "urgent": urgent, "within": urgent & within(rt, limits)})
    g = df.groupby(["q", "r"], sort=True)
    out = pd.DataFrame({
        "count": g.size(),
        "mean_s": g["rt"].mean(),
        "p90_s": g["rt"].quantile(0.9),  # linear interpolation, as numpy.quantile
        "urgent": g["urgent"].sum().astype(np.int64),
    })
    out["within_norm_share"] = g["within"].sum() / out["urgent"].where(out["urgent"] > 0)
    return out


def _columns(df: pd.DataFrame, names: Sequence[str]) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {"q": [int(x) for x in df.index.get_level_values("q")],
                                  "r": [int(x) for x in df.index.get_level_values("r")]}
    for name in names:
        values = df[name].to_numpy()
        if values.dtype.kind in "iub":
            cols[name] = [int(x) for x in values]
        else:
            cols[name] = [float(x) if np.isfinite(x) else None for x in values]
    return cols


def hexagon_summary(incidents: pd.DataFrame, *, variants: Sequence[str], norms: Mapping[str, Norm],
                    size_km: float | None = None, lat0: float | None = None,
                    limits: npt.NDArray[np.float64] | None = None) -> dict[str, Any]:
    """Statistics per hexagon and variant, and differences to the first variant (JSON-ready).

    Parameters
    ----------
    incidents
        Incidents (records plus ``variant``, ``replication``); those called during the warm-up are
        left out.
    variants
        Variants in order; the first is the reference.
    norms
        Norm per dispatch centre or country (:func:`sim.analysis.measures.norm_limits`).
    size_km, lat0
        The grid (default: :func:`auto_size_km` of the measured incidents).
    limits
        The norm limits of the measured incidents, in their order, if the caller has them already
        (:func:`sim.analysis.measures.norm_limits` of :func:`sim.analysis.measures.measured_calls`).

    Returns
    -------
    dict
        ``size_km``, ``lat0``, ``reference``, ``variants`` (variant -> column -> list: ``q``, ``r``
        and :data:`STATS`) and ``differences`` (variant -> column -> list: ``q``, ``r`` and
        :data:`DIFFS`, variant minus reference, for the hexagons both have).
    """
    measured = measured_calls(incidents)
    auto_km, auto_lat0 = auto_size_km(measured["lon"], measured["lat"]) if len(measured) else (1.0, 0.0)
    size_km = auto_km if size_km is None else float(size_km)
    lat0 = auto_lat0 if lat0 is None else float(lat0)
    out: dict[str, Any] = {"size_km": size_km, "lat0": lat0,
                           "reference": variants[0] if variants else None,
                           "variants": {}, "differences": {}}
    if not len(measured):
        return out
    if limits is None:
        limits = norm_limits(measured, norms)
    cells = hex_cells(measured["lon"], measured["lat"], size_km=size_km, lat0=lat0)
    names = measured["variant"].astype(str).to_numpy()
    stats: dict[str, pd.DataFrame] = {}
    for v in variants:
        sel = names == v
        stats[v] = _cell_stats(measured[sel], limits[sel], cells[sel])
        out["variants"][v] = _columns(stats[v], STATS)
    for v in variants[1:]:
        ref = stats[variants[0]]
        both = stats[v].index.intersection(ref.index)
        diff = stats[v].loc[both, list(DIFFS)] - ref.loc[both, list(DIFFS)]
        out["differences"][v] = _columns(diff, DIFFS)
    return out


def hexagon_frame(hexagons: Mapping[str, Any]) -> pd.DataFrame:
    """The hexagon statistics of ``summary.json`` as a table: one row per variant and hexagon.

    Columns ``variant``, ``q``, ``r``, :data:`STATS`, and ``diff_`` + :data:`DIFFS` (NaN for the
    reference and for hexagons the reference has not).
    """
    rows = []
    for v, cols in hexagons.get("variants", {}).items():
        df = pd.DataFrame(cols).astype({"q": np.int64, "r": np.int64})
        diff = hexagons.get("differences", {}).get(v)
        if diff is not None:
            d = pd.DataFrame(diff).rename(columns={c: f"diff_{c}" for c in DIFFS})
            df = df.merge(d, on=["q", "r"], how="left")
        for c in DIFFS:
            if f"diff_{c}" not in df:
                df[f"diff_{c}"] = np.nan
        df.insert(0, "variant", v)
        rows.append(df)
    columns = ["variant", "q", "r", *STATS, *(f"diff_{c}" for c in DIFFS)]
    if not rows:
        return pd.DataFrame(columns=columns)
    out = pd.concat(rows, ignore_index=True)[columns]
    return out.astype({c: float for c in columns if c not in ("variant", "q", "r", "count", "urgent")})
