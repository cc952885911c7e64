"""Jurisdictions: which country and which 112 / dispatch centre a point belongs to.

Read from a region's ``jurisdictions.geojson`` (polygons with ``country`` and ``dispatch_centre``
properties) and joined to points with a vectorised shapely 2 spatial index. Points outside every
polygon get the nearest polygon (the extract's margin can reach slightly beyond the polygons).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import shape

from sim.errors import DataError
from sim.paths import file_hash

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Jurisdictions:
    """Polygons with a country and a dispatch centre each.

    Parameters
    ----------
    geometries
        Shapely polygons (lon/lat, EPSG:4326), one per feature.
    polygon_country, polygon_centre
        Per-polygon codes into `countries` and `centres`.
    countries, centres
        Sorted distinct names.
    path, file_hash
        Where they were read from (empty for in-memory ones).
    """

    geometries: npt.NDArray[np.object_]
    polygon_country: IntArray
    polygon_centre: IntArray
    countries: list[str]
    centres: list[str]
    path: str = ""
    file_hash: str = ""

    @classmethod
    def from_features(
        cls, features: list[tuple[object, str, str]], *, path: str = "", file_hash: str = ""
    ) -> Jurisdictions:
        """Build from ``(shapely geometry, country, dispatch_centre)`` triples."""
        if not features:
            raise ValueError("no jurisdiction polygons")
        countries = sorted({f[1] for f in features})
        centres = sorted({f[2] for f in features})
        return cls(
            geometries=np.array([f[0] for f in features], dtype=object),
            polygon_country=np.array([countries.index(f[1]) for f in features], dtype=np.int64),
            polygon_centre=np.array([centres.index(f[2]) for f in features], dtype=np.int64),
            countries=countries,
            centres=centres,
            path=path,
            file_hash=file_hash,
        )

    def polygon_of(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> IntArray:
        """Index of the polygon each point lies in (the nearest polygon if in none)."""
        la = np.atleast_1d(np.asarray(lat, dtype=float))
        lo = np.atleast_1d(np.asarray(lon, dtype=float))
        points = shapely.points(lo, la)
        tree = shapely.STRtree(self.geometries)
        hit_point, hit_poly = tree.query(points, predicate="intersects")
        out = np.full(len(la), -1, dtype=np.int64)
        # a point on a shared boundary hits two polygons: keep the first polygon (file order)
        order = np.lexsort((-hit_poly, hit_point))
        out[hit_point[order]] = hit_poly[order]
        missing = np.flatnonzero(out < 0)
        if len(missing):
            near_point, near_poly = tree.query_nearest(points[missing], all_matches=False)
            out[missing[near_point]] = near_poly
        return out

    def locate(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> tuple[IntArray, IntArray]:
        """Country and dispatch-centre codes of each point (vectorised spatial join)."""
        poly = self.polygon_of(lat, lon)
        return self.polygon_country[poly], self.polygon_centre[poly]


def load_jurisdictions(path: str | Path) -> Jurisdictions:
    """Read a ``jurisdictions.geojson`` (features with ``country`` and ``dispatch_centre``).

    Raises
    ------
    DataError
        When the file is missing or a feature lacks a property or a polygon.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: jurisdictions file not found")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{p}: not readable GeoJSON ({exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("features", []), list):
        raise DataError(f"{p}: not a GeoJSON FeatureCollection (expected an object with a 'features' list)")
    features: list[tuple[object, str, str]] = []
    for i, feat in enumerate(doc.get("features", [])):
        features.append(_feature(p, i, feat))
    if not features:
        raise DataError(f"{p}: no features")
    return Jurisdictions.from_features(features, path=str(p), file_hash=file_hash(p)[:16])


def _feature(p: Path, i: int, feat: object) -> tuple[object, str, str]:
    """One feature as ``(polygon, country, dispatch_centre)``; a DataError naming the feature if
    it is not a valid, non-empty polygon with both properties."""
    if not isinstance(feat, dict):
        raise DataError(f"{p}: feature {i} is not a GeoJSON object")
    props = feat.get("properties") or {}
    if not isinstance(props, dict):
        raise DataError(f"{p}: feature {i} has properties that are not an object")
    for key in ("country", "dispatch_centre"):
        if not isinstance(props.get(key), str) or not props[key].strip():
            raise DataError(f"{p}: feature {i} has no {key!r} property (a non-empty text)")
    try:
        geom = shape(feat["geometry"])
    except Exception as exc:  # shapely raises many kinds on malformed coordinates
        raise DataError(f"{p}: feature {i} has no valid geometry ({type(exc).__name__}: {exc})") from None
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise DataError(f"{p}: feature {i} is a {geom.geom_type}, expected a polygon")
    if geom.is_empty or not np.all(np.isfinite(shapely.get_coordinates(geom))):
        raise DataError(f"{p}: feature {i} has an empty polygon or coordinates that are not numbers")
    lon, lat = shapely.get_coordinates(geom).T
    if lat.min() < -90 or lat.max() > 90 or lon.min() < -180 or lon.max() > 180:
        raise DataError(f"{p}: feature {i} has coordinates outside longitude -180..180, latitude -90..90")
    return geom, props["country"].strip(), props["dispatch_centre"].strip()
