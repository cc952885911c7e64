"""A region: its road network plus the places, hospitals and ambulance posts bundled with it.

``load_region("baarle-turnhout")`` reads ``$XBORDER_DATA/osm/baarle-turnhout.osm.bz2`` (through the
graph cache of :mod:`sim.roads.osm`) and ``$XBORDER_DATA/regions/baarle-turnhout/`` (``places.csv``,
``facilities.csv``, ``jurisdictions.geojson``). A plain OSM file with no region folder gives a
region without places or facilities, and unknown jurisdictions unless a jurisdictions file is given.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from sim.errors import DataError
from sim.model.demand import Place
from sim.model.units import Hospital
from sim.roads.network import RoadNetwork
from sim.roads.osm import load_network, region_dir_for, resolve_source
from sim.roads.speeds import SpeedSettings


@dataclass(frozen=True)
class AmbulancePost:
    """An ambulance post from ``facilities.csv`` (Dutch posts, RIVM 2019).

    `hours` is as published: ``"24 uur"`` (24 hours) or ``"Dag/avond"`` (day and evening).
    """

    name: str
    country: str
    lat: float
    lon: float
    hours: str
    source: str = ""
    city: str = ""


@dataclass(frozen=True)
class Region:
    """A road network with the region's places, hospitals and ambulance posts."""

    name: str
    network: RoadNetwork
    places: tuple[Place, ...] = ()
    hospitals: tuple[Hospital, ...] = ()
    ambulance_posts: tuple[AmbulancePost, ...] = ()
    osm_path: Path | None = None
    region_dir: Path | None = None


def _float(path: Path, line: int, row: dict[str, str], key: str) -> float:
    try:
        return float(row[key])
    except (KeyError, TypeError, ValueError):
        raise DataError(f"{path}:{line}: field {key!r} must be a number, got {row.get(key)!r}") from None


def _rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [k for k in required if k not in (reader.fieldnames or [])]
            if missing:
                raise DataError(f"{path}:1: missing column(s) {', '.join(missing)}")
            return [(i + 2, row) for i, row in enumerate(reader)]
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc})") from exc


def read_places(path: str | os.PathLike[str]) -> tuple[Place, ...]:
    """Populated places from a ``places.csv`` (GeoNames: name, country, lat, lon, population)."""
    p = Path(path)
    return tuple(
        Place(name=row["name"], country=row["country"], lat=_float(p, n, row, "lat"),
              lon=_float(p, n, row, "lon"), population=_float(p, n, row, "population"))
        for n, row in _rows(p, ("name", "country", "lat", "lon", "population"))
    )


def _emergency(path: Path, line: int, country: str, flag: str) -> bool:
    flag = flag.strip().lower()
    if flag == "yes":
        return True
    if flag == "no":
        return False
    if flag == "unknown":
        # Eurostat carries no emergency-department flag outside Belgium. The Dutch rows are
        # general hospitals, which have an emergency department (SEH), so they take patients.
        # The German rows mix acute hospitals with psychiatric clinics and day clinics, so without
        # a flag they are not used (a scenario may list German hospitals explicitly).
        return country == "NL"
    raise DataError(f"{path}:{line}: field 'emergency' must be yes, no or unknown, got {flag!r}")


def read_facilities(
    path: str | os.PathLike[str],
) -> tuple[tuple[Hospital, ...], tuple[AmbulancePost, ...]]:
    """Hospitals and ambulance posts from a ``facilities.csv``."""
    p = Path(path)
    hospitals: list[Hospital] = []
    posts: list[AmbulancePost] = []
    for n, row in _rows(p, ("kind", "name", "country", "lat", "lon", "emergency", "source")):
        lat, lon = _float(p, n, row, "lat"), _float(p, n, row, "lon")
        if row["kind"] == "hospital":
            hospitals.append(Hospital(
                name=row["name"], country=row["country"], lat=lat, lon=lon,
                emergency=_emergency(p, n, row["country"], row["emergency"]), source=row["source"],
            ))
        elif row["kind"] == "ambulance_post":
            posts.append(AmbulancePost(name=row["name"], country=row["country"], lat=lat, lon=lon,
                                       hours=row["emergency"], source=row["source"],
                                       city=row.get("city") or ""))
        else:
            raise DataError(f"{p}:{n}: field 'kind' must be hospital or ambulance_post, "
                            f"got {row['kind']!r}")
    return tuple(hospitals), tuple(posts)


def load_region(
    name_or_path: str | os.PathLike[str],
    *,
    speeds: SpeedSettings | None = None,
    jurisdictions: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> Region:
    """Load a bundled region (or an OSM file, with its region folder if it has one).

    Parameters
    ----------
    name_or_path
        A bundled region name (see ``sim.paths.bundled_regions()``) or an OSM/GraphML file.
    speeds
        Speed settings for the network's travel times.
    jurisdictions
        A jurisdictions GeoJSON overriding the region's own.
    progress
        Print build steps on stderr.
    """
    src = resolve_source(name_or_path, jurisdictions)
    network = load_network(name_or_path, speeds=speeds, jurisdictions=jurisdictions,
                           progress=progress)
    region_dir: Path | None = None
    if src.path is not None:
        region_dir = region_dir_for(src.path.resolve())
    places: tuple[Place, ...] = ()
    hospitals: tuple[Hospital, ...] = ()
    posts: tuple[AmbulancePost, ...] = ()
    if region_dir is not None:
        if (region_dir / "places.csv").is_file():
            places = read_places(region_dir / "places.csv")
        if (region_dir / "facilities.csv").is_file():
            hospitals, posts = read_facilities(region_dir / "facilities.csv")
    return Region(name=src.name, network=network, places=places, hospitals=hospitals,
                  ambulance_posts=posts, osm_path=src.path, region_dir=region_dir)
