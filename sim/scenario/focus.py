"""Focus areas: the parts of a region reported on their own (a country, a box, a polygon, enclaves)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from sim.errors import DataError
from sim.roads.jurisdictions import load_jurisdictions
from sim.scenario.schema import FocusSpec


def focus_masks(areas: Sequence[FocusSpec], lat: Any, lon: Any, country: Any, *,
                jurisdictions: Path) -> dict[str, np.ndarray]:
    """For each focus area, whether each point lies in it (vectorised).

    Parameters
    ----------
    areas
        The scenario's focus areas.
    lat, lon, country
        The points (degrees) and their country codes.
    jurisdictions
        The region's ``jurisdictions.geojson``, read only for areas given by ``enclaves_of``.
    """
    lat_a, lon_a = np.asarray(lat, float), np.asarray(lon, float)
    ctry = np.asarray(country, dtype=object)
    out: dict[str, np.ndarray] = {}
    for f in areas:
        mask = np.ones(len(lat_a), dtype=bool)
        if f.country is not None:
            mask &= ctry == f.country
        if f.bbox is not None:
            w, s, e, n = f.bbox
            mask &= (lon_a >= w) & (lon_a <= e) & (lat_a >= s) & (lat_a <= n)
        if f.polygon is not None:
            poly = shapely.Polygon([(x, y) for x, y in f.polygon])
            mask &= shapely.contains_xy(poly, lon_a, lat_a)
        if f.enclaves_of is not None:
            geom = enclaves(jurisdictions, f.enclaves_of)
            mask &= shapely.contains_xy(geom, lon_a, lat_a) if geom is not None else False
        out[f.name] = mask
    return out


_ENCLAVES: dict[tuple[str, int, int, str], Any] = {}
"""Per process: the enclaves of each (jurisdictions file as it is now, country) already built."""


def enclaves(jurisdictions: Path, country: str) -> Any:
    """The parts of a country's jurisdiction other than its largest (enclaves and exclaves), or
    None when it has a single part (built once per process for each file and country).

    Raises
    ------
    DataError
        When the jurisdictions file is missing or malformed.
    """
    if not jurisdictions.exists():
        raise DataError(f"{jurisdictions}: not found (needed for the focus area enclaves_of: {country})")
    st = jurisdictions.stat()
    key = (str(jurisdictions.resolve()), st.st_mtime_ns, st.st_size, country)
    if key not in _ENCLAVES:
        _ENCLAVES[key] = _enclaves(jurisdictions, country)
    return _ENCLAVES[key]


def _enclaves(jurisdictions: Path, country: str) -> Any:
    juris = load_jurisdictions(jurisdictions)
    parts: list[Any] = []
    for geom, code in zip(juris.geometries, juris.polygon_country, strict=True):
        if juris.countries[code] == country:
            parts.extend(getattr(geom, "geoms", [geom]))
    if len(parts) < 2:
        return None
    parts.sort(key=lambda p: -p.area)
    geom = shapely.union_all(parts[1:])
    shapely.prepare(geom)
    return geom
