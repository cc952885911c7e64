"""A results folder for planners' tools: a GeoPackage for QGIS, the planner's tables as CSV and Excel.

:func:`results_layers` builds one GeoDataFrame per kind of feature (EPSG:4326, field names with
their units), described in :data:`LAYERS`; :func:`planner_tables` the tables of ``xborder
compare`` as numbers (times in minutes, shares in per cent, the unit in each column's name);
:func:`export_results` writes them (``xborder export``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sim.analysis.compare import planner_tables
from sim.analysis.coverage import coverage
from sim.analysis.hexagons import auto_size_km, hex_cells, hex_polygon, hexagon_frame
from sim.analysis.measures import norm_classes, services
from sim.analysis.tables import station_utilisation
from sim.errors import DataError, UsageError
from sim.model.units import UNIT_TYPES
from sim.paths import atomic_path
from sim.scenario import Scenario
from sim.study.folders import Results, load_results

CRS = "EPSG:4326"
FORMATS: tuple[str, ...] = ("gpkg", "csv", "xlsx")
"""What ``xborder export --to`` writes."""

LAYERS: dict[str, str] = {
    "incidents": "One point per call and variant and replication: type, urgency, norm class (urgent = NL A1, "
                 "a2, fire_8 ...; empty: none), service (ambulance or fire), call time, country and "
                 "dispatch centre, response time (call to first unit on scene, minutes) overall and per "
                 "unit kind, whether it was served and whether a unit came from abroad. Calls during "
                 "the warm-up have in_warmup = 1, calls beyond the road extract (the foreign side's own "
                 "calls, placed off the network) beyond_extract = 1: both are left out of every statistic.",
    "stations": "One point per station and variant: its units and their utilisation (busy time over "
                "time on duty, mean over replications, per cent).",
    "units": "One point per unit (at its station) and variant: utilisation in per cent, missions and "
             "cross-border missions per replication (mean).",
    "hexagons": "Hexagons per variant: calls, mean and 90th percentile of the response time (minutes, "
                "calls reached), urgent calls and the share of them within the norm (per cent); diff_* "
                "is the variant minus the reference variant (empty for the reference). As in "
                "summary.json: warm-up and calls beyond the extract left out, replications pooled.",
    "coverage": "Areas a unit can reach within 8 and 15 minutes of driving with lights and sirens, per "
                "variant: national (each country's own stations) and with the variant's agreements. "
                "A hexagon is in when the median of its road nodes is reached in time; population from "
                "GeoNames places spread over the roads. Driving only (no call handling or turnout).",
    "cross_border_missions": "One straight line per cross-border mission, from the unit's station to "
                             "the incident: variant, replication, unit, direction (e.g. NL->BE), "
                             "agreement and driving time in minutes. Warm-up missions included.",
    "focus_areas": "The areas the scenario reports on separately (e.g. the Baarle-Hertog enclaves).",
    "jurisdictions": "The countries and dispatch centres (112 / Meldkamer) of the region.",
}
"""Layer name -> description written into the GeoPackage (shown by QGIS)."""

_MIN = 60.0


# ---------------------------------------------------------------------------------------- context


@dataclass(eq=False)
class _Context:
    res: Results
    scenario: Scenario
    region: Any

    @property
    def variants(self) -> list[str]:
        return self.res.variants or self.scenario.variant_names


def _context(results: Results | str | os.PathLike[str], region: Any = None) -> _Context:
    res = results if isinstance(results, Results) else load_results(results)
    if not res.scenario_yaml:
        raise DataError(f"{res.path}: scenario.yaml is missing (the scenario as run)")
    sc = Scenario.from_text(res.scenario_yaml, filename=str(res.path / "scenario.yaml"),
                            path=res.path / "scenario.yaml")
    return _Context(res=res, scenario=sc, region=region if region is not None else sc.load_region())


def _points(df: pd.DataFrame, lon: Any, lat: Any) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(df.reset_index(drop=True), geometry=gpd.points_from_xy(lon, lat), crs=CRS)


# ---------------------------------------------------------------------------------------- layers


def _incidents(ctx: _Context) -> gpd.GeoDataFrame:
    inc = ctx.res.incidents
    df = pd.DataFrame({
        "variant": inc["variant"].astype(str), "replication": inc["replication"].astype(np.int64),
        "incident_id": inc["incident_id"].astype(np.int64), "type": inc["type"].astype(str),
        "urgency": inc["urgency"].astype(np.int64), "norm_class": norm_classes(inc).astype(str),
        "service": services(inc).astype(str), "call_time_h": inc["t_call_s"] / 3600.0,
        "country": inc["country"].astype(str), "dispatch_centre": inc["dispatch_centre"].astype(str),
        "response_time_min": inc["response_time_s"] / _MIN,
    })
    for u in UNIT_TYPES:
        if f"rt_{u}_s" in inc:
            df[f"{u}_response_min"] = inc[f"rt_{u}_s"] / _MIN
    for c in ("served", "cross_border", "estimated_leg", "in_warmup", "beyond_extract"):
        df[c] = inc[c].astype(bool) if c in inc else False
    df["first_unit_country"] = inc["primary_unit_country"].astype(str)
    df["focus_area"] = inc["focus"].astype(str) if "focus" in inc else ""
    return _points(df, inc["lon"], inc["lat"])


def _station_table(ctx: _Context) -> dict[str, Any]:
    stations: dict[str, Any] = {}
    for v in ctx.variants:
        for s in ctx.scenario.model_spec(v, ctx.region).stations:
            stations.setdefault(s.name, s)
    return stations


def _units(ctx: _Context) -> gpd.GeoDataFrame:
    units, mis = ctx.res.units, ctx.res.missions
    stations = _station_table(ctx)
    reps = units.groupby("variant")["replication"].nunique()
    g = units.groupby(["variant", "unit_id"], sort=False)
    df = g.agg(station=("station", "first"), unit_type=("unit_type", "first"),
               country=("country", "first"), dispatch_centre=("dispatch_centre", "first"),
               utilisation=("utilisation", "mean")).reset_index()
    df["utilisation_pct"] = 100.0 * df.pop("utilisation")
    n_rep = df["variant"].map(reps).astype(float)
    count = mis.groupby(["variant", "unit_id"]).size()
    xb = mis[mis["cross_border"].astype(bool)].groupby(["variant", "unit_id"]).size()
    key = pd.MultiIndex.from_frame(df[["variant", "unit_id"]])
    df["missions_per_replication"] = count.reindex(key, fill_value=0).to_numpy() / n_rep.to_numpy()
    df["cross_border_missions_per_replication"] = xb.reindex(key, fill_value=0).to_numpy() / n_rep.to_numpy()
    lon = [stations[s].lon if s in stations else np.nan for s in df["station"]]
    lat = [stations[s].lat if s in stations else np.nan for s in df["station"]]
    return _points(df, lon, lat)


def _stations(ctx: _Context) -> gpd.GeoDataFrame:
    stations = _station_table(ctx)
    util = station_utilisation(ctx.res.units).rename(columns={"mean": "utilisation"})
    rows = []
    records: list[Any] = list(util.itertuples())
    for r in records:
        s = stations.get(str(r.station))
        if s is None:
            continue
        rows.append({"variant": r.variant, "station": s.name, "country": s.country,
                     "dispatch_centre": s.dispatch_centre,
                     "units": ", ".join(f"{k}: {n}" for k, n in s.units.items() if n),
                     "unit_count": int(r.units), "utilisation_pct": 100.0 * float(r.utilisation),
                     "off_network": s.off_network is not None, "position_source": s.source,
                     "lon": s.lon, "lat": s.lat})
    df = pd.DataFrame(rows, columns=["variant", "station", "country", "dispatch_centre", "units",
                                     "unit_count", "utilisation_pct", "off_network", "position_source",
                                     "lon", "lat"])
    return _points(df.drop(columns=["lon", "lat"]), df["lon"], df["lat"])


def _hexagons(ctx: _Context) -> gpd.GeoDataFrame:
    hexes = ctx.res.summary.get("hexagons")
    if not hexes:
        raise DataError(f"{ctx.res.path}: summary.json has no hexagon statistics (written by an older "
                        "xborder: run the scenario again)")
    df = hexagon_frame(hexes)
    size, lat0 = float(hexes["size_km"]), float(hexes["lat0"])
    out = pd.DataFrame({
        "variant": df["variant"], "q": df["q"], "r": df["r"], "calls": df["count"],
        "mean_min": df["mean_s"] / _MIN, "p90_min": df["p90_s"] / _MIN, "urgent_calls": df["urgent"],
        "within_norm_pct": 100.0 * df["within_norm_share"],
        "diff_mean_min": df["diff_mean_s"] / _MIN, "diff_p90_min": df["diff_p90_s"] / _MIN,
        "diff_within_norm_pts": 100.0 * df["diff_within_norm_share"], "hexagon_km": size,
    })
    geoms = [shapely.Polygon(hex_polygon(int(q), int(r), size_km=size, lat0=lat0))
             for q, r in zip(df["q"], df["r"], strict=True)]
    return gpd.GeoDataFrame(out, geometry=geoms, crs=CRS)


def coverage_hex_km(network: Any) -> tuple[float, float]:
    """``(size_km, lat0)`` of the coverage hexagons: half the size of the statistics' hexagons, at
    least 0.5 km, over the road network's extent."""
    w, s, e, n = network.bbox()
    size, lat0 = auto_size_km([w, e], [s, n])
    return max(0.5, size / 2), lat0


def _coverage(ctx: _Context) -> gpd.GeoDataFrame:
    net = ctx.region.network
    size, lat0 = coverage_hex_km(net)
    cells = hex_cells(net.lon, net.lat, size_km=size, lat0=lat0)
    rows, geoms = [], []
    for v in ctx.variants:
        spec = ctx.scenario.model_spec(v, ctx.region)
        cov = coverage(net, spec.stations, spec.places, agreements=spec.agreements, driving=spec.driving,
                       spread_m=spec.demand.spread_m, max_distance_m=spec.demand.max_place_distance_m,
                       reach_m=spec.demand.split_reach_m)
        for scope, times in (("national", cov.time_national_s), ("agreements", cov.time_agreements_s)):
            frame = pd.DataFrame({"q": cells[:, 0], "r": cells[:, 1], "t": times})
            med = frame.groupby(["q", "r"])["t"].median()
            for th in cov.thresholds_s:
                inside = med.index[med.to_numpy() <= th]
                poly = shapely.union_all([shapely.Polygon(hex_polygon(q, r, size_km=size, lat0=lat0))
                                          for q, r in inside]) if len(inside) else shapely.MultiPolygon()
                pop = float(cov.node_population[times <= th].sum())
                total = float(cov.node_population.sum() + cov.unassigned_population)
                rows.append({"variant": v, "scope": scope, "threshold_min": th / _MIN,
                             "unit_type": cov.vehicle or "any", "population": pop,
                             "population_pct": 100.0 * pop / total if total > 0 else np.nan})
                geoms.append(shapely.MultiPolygon([poly]) if isinstance(poly, shapely.Polygon) else poly)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs=CRS)


def _cross_border(ctx: _Context) -> gpd.GeoDataFrame:
    mis = ctx.res.missions
    xb = mis[mis["cross_border"].astype(bool)]
    stations = _station_table(ctx)
    inc = ctx.res.incidents.set_index(["variant", "replication", "incident_id"])[["lon", "lat"]]
    where = inc.reindex(pd.MultiIndex.from_frame(xb[["variant", "replication", "incident_id"]]))
    rows, geoms = [], []
    records: list[Any] = list(xb.itertuples())
    for m, (ilon, ilat) in zip(records, where.itertuples(index=False), strict=True):
        s = stations.get(str(m.station))
        if s is None or not np.isfinite(ilon):
            continue
        rows.append({"variant": m.variant, "replication": int(m.replication),
                     "incident_id": int(m.incident_id), "unit_id": m.unit_id, "unit_type": m.unit_type,
                     "station": m.station, "direction": m.direction, "agreement": m.agreement,
                     "call_time_h": float(m.t_call_s) / 3600.0, "drive_min": float(m.travel_s) / _MIN,
                     "estimated_leg": bool(m.estimated_leg)})
        geoms.append(shapely.LineString([(s.lon, s.lat), (ilon, ilat)]))
    cols = ["variant", "replication", "incident_id", "unit_id", "unit_type", "station", "direction",
            "agreement", "call_time_h", "drive_min", "estimated_leg"]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=cols), geometry=geoms, crs=CRS)


def _jurisdiction_file(ctx: _Context) -> Path | None:
    folder = getattr(ctx.region, "region_dir", None)
    path = Path(folder) / "jurisdictions.geojson" if folder else None
    return path if path is not None and path.is_file() else None


def _jurisdictions(ctx: _Context) -> gpd.GeoDataFrame:
    path = _jurisdiction_file(ctx)
    if path is None:
        return gpd.GeoDataFrame({"country": [], "dispatch_centre": []}, geometry=[], crs=CRS)
    gdf = gpd.read_file(path)[["country", "dispatch_centre", "geometry"]]
    return gdf.set_crs(CRS, allow_override=True)


def _focus(ctx: _Context, jurisdictions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    for f in ctx.scenario.base.focus:
        parts = []
        if f.bbox is not None:
            parts.append(shapely.box(*f.bbox))
        if f.polygon is not None:
            parts.append(shapely.Polygon(f.polygon))
        if f.enclaves_of is not None:
            # the parts of the country other than its largest, as the scenario counts them
            polys = [p for g in jurisdictions.loc[jurisdictions["country"] == f.enclaves_of, "geometry"]
                     for p in getattr(g, "geoms", [g])]
            polys.sort(key=lambda p: -p.area)
            parts.append(shapely.union_all(polys[1:]) if len(polys) > 1 else shapely.Polygon())
        if f.country is not None and len(jurisdictions):
            parts.append(shapely.union_all(list(jurisdictions.loc[jurisdictions["country"] == f.country,
                                                                  "geometry"])))
        geom = parts[0]
        for p in parts[1:]:
            geom = shapely.intersection(geom, p)
        rows.append({"name": f.name, "source": f.source})
        geoms.append(geom)
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=["name", "source"]), geometry=geoms, crs=CRS)


def results_layers(results: Results | str | os.PathLike[str], *, region: Any = None,
                   layers: Sequence[str] | None = None) -> dict[str, gpd.GeoDataFrame]:
    """The layers of :data:`LAYERS` for a results folder, as GeoDataFrames in EPSG:4326.

    Parameters
    ----------
    results
        A results folder (or one loaded with :func:`sim.study.folders.load_results`).
    region
        The region the scenario ran on (default: loaded from the scenario as run).
    layers
        Which layers (default: all, in the order of :data:`LAYERS`).
    """
    ctx = _context(results, region)
    wanted = list(LAYERS) if layers is None else list(layers)
    unknown = [n for n in wanted if n not in LAYERS]
    if unknown:
        raise UsageError(f"unknown layer {', '.join(unknown)}; choose from {', '.join(LAYERS)}")
    build = {"incidents": _incidents, "stations": _stations, "units": _units, "hexagons": _hexagons,
             "coverage": _coverage, "cross_border_missions": _cross_border, "jurisdictions": _jurisdictions}
    out: dict[str, gpd.GeoDataFrame] = {}
    for name in wanted:
        if name == "focus_areas":
            out[name] = _focus(ctx, out["jurisdictions"] if "jurisdictions" in out else _jurisdictions(ctx))
        else:
            out[name] = build[name](ctx)
    return out


def write_gpkg(layers: Mapping[str, gpd.GeoDataFrame], path: Path) -> Path:
    """Write `layers` into one GeoPackage (replacing the file), each with its description."""
    import pyogrio

    with atomic_path(path, suffix=".gpkg") as tmp:  # GDAL wants the .gpkg extension
        tmp.unlink()  # GDAL creates the file: the first layer makes it, the others are appended
        for name, gdf in layers.items():
            pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG", append=tmp.exists(),
                                    layer_options={"DESCRIPTION": LAYERS.get(name, ""), "IDENTIFIER": name})
    return path


# ---------------------------------------------------------------------------------------- tables


def write_csv(tables: Mapping[str, pd.DataFrame], folder: Path, *, prefix: str = "compare") -> list[Path]:
    """One CSV file per table: ``<prefix>-<table>.csv`` (UTF-8, a header row, dots for decimals)."""
    out = []
    for name, df in tables.items():
        path = folder / f"{prefix}-{name.replace(' ', '-')}.csv"
        with atomic_path(path) as tmp:
            df.to_csv(tmp, index=False, encoding="utf-8")
        out.append(path)
    return out


def write_xlsx(tables: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """An Excel workbook with one sheet per table: numbers as numbers, header row frozen."""
    from openpyxl.utils import get_column_letter

    with atomic_path(path, suffix=".xlsx") as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xl:
        for name, df in tables.items():
            sheet = name[:31]
            df.to_excel(xl, sheet_name=sheet, index=False)
            ws = xl.sheets[sheet]
            ws.freeze_panes = "A2"
            for i, col in enumerate(df.columns, start=1):
                width = max([len(str(col))] + [len(f"{x:.2f}" if isinstance(x, float) else str(x))
                                              for x in df[col].head(200)])
                ws.column_dimensions[get_column_letter(i)].width = min(60, width + 2)
                for cell in ws[get_column_letter(i)][1:]:
                    if isinstance(cell.value, float):
                        cell.number_format = "0.00"
    return path


# ---------------------------------------------------------------------------------------- export


def parse_formats(text: str | Sequence[str]) -> list[str]:
    """``"gpkg, xlsx"`` -> ``["gpkg", "xlsx"]``; raises ``UsageError`` for an unknown format."""
    items = [f.strip().lower().lstrip(".") for f in (text.split(",") if isinstance(text, str) else text)]
    items = [f for f in dict.fromkeys(items) if f]
    bad = [f for f in items if f not in FORMATS]
    if bad or not items:
        raise UsageError(f"--to: unknown format {', '.join(repr(b) for b in bad) or '(none)'}; choose from "
                         f"{', '.join(FORMATS)} (comma-separated)")
    return items


def export_results(results_dir: str | os.PathLike[str], *, to: str | Sequence[str],
                   out: str | os.PathLike[str] | None = None, region: Any = None) -> list[Path]:
    """Write a results folder for planners' tools; return the files written.

    Parameters
    ----------
    results_dir
        A folder written by ``xborder run``.
    to
        ``gpkg`` (every layer of :data:`LAYERS` in ``<scenario>.gpkg``), ``csv`` (the planner's
        tables, ``compare-<table>.csv``) and/or ``xlsx`` (the same tables, ``<scenario>-compare.xlsx``,
        one sheet each).
    out
        Folder for the files (default ``results_dir/export/``; made if missing).
    region
        The region the scenario ran on (default: loaded from the scenario as run).
    """
    formats = parse_formats(to)
    res = load_results(results_dir)
    folder = Path(out) if out is not None else res.path / "export"
    folder.mkdir(parents=True, exist_ok=True)
    name = str(res.summary.get("scenario") or "results")
    written: list[Path] = []
    if "gpkg" in formats:
        written.append(write_gpkg(results_layers(res, region=region), folder / f"{name}.gpkg"))
    tables = planner_tables(res.summary) if {"csv", "xlsx"} & set(formats) else {}
    if "csv" in formats:
        written += write_csv(tables, folder)
    if "xlsx" in formats:
        written.append(write_xlsx(tables, folder / f"{name}-compare.xlsx"))
    return written
