"""A region: its road network plus the places, hospitals and ambulance posts bundled with it.

``load_region("baarle-turnhout")`` reads ``$XBORDER_DATA/osm/baarle-turnhout.osm.bz2`` (through the
graph cache of :mod:`sim.roads.osm`) and ``$XBORDER_DATA/regions/baarle-turnhout/`` (``places.csv``,
``facilities.csv``, ``jurisdictions.geojson``). A plain OSM file with no region folder gives a
region without places or facilities, and unknown jurisdictions unless a jurisdictions file is given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sim.errors import DataError
from sim.model.places import Place
from sim.model.units import Hospital
from sim.paths import bundled_regions
from sim.roads.network import RoadNetwork
from sim.roads.osm import OSM_SUFFIXES, load_network, region_dir_for, resolve_source
from sim.roads.speeds import SpeedSettings
from sim.scenario.files import FileProblem, MiB, csv_rows, number
from sim.scenario.quantities import MAX_POPULATION


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


_CSV_LIMIT = 64 * MiB
"""Largest region CSV read (the bundled ones are under 25 kB)."""
_PLACE_ROWS, _FACILITY_ROWS = 100_000, 1000
"""Most rows of a places.csv and of a facilities.csv (each emergency hospital adds a travel-time
table over every node)."""


def _text(path: Path, line: int, row: dict[str, str], key: str) -> str:
    value = row.get(key, "").strip()
    if not value:
        raise FileProblem(path, line, f"field {key!r} is empty")
    return value


def _lat_lon(path: Path, line: int, row: dict[str, str]) -> tuple[float, float]:
    return (number(path, line, row, "lat", low=-90, high=90),
            number(path, line, row, "lon", low=-180, high=180))


def read_places(path: str | os.PathLike[str]) -> tuple[Place, ...]:
    """Populated places from a ``places.csv`` (GeoNames: name, country, lat, lon, population).

    Raises
    ------
    DataError
        Naming the file and line of the first bad row (not UTF-8, a missing column, a field that
        is not a finite number in range, an empty name or country), or when the file is too large.
    """
    p = Path(path)
    out = []
    for n, row in csv_rows(p, ("name", "country", "lat", "lon", "population"), limit=_CSV_LIMIT,
                           what="places file", max_rows=_PLACE_ROWS):
        lat, lon = _lat_lon(p, n, row)
        out.append(Place(name=_text(p, n, row, "name"), country=_text(p, n, row, "country"), lat=lat,
                         lon=lon, population=number(p, n, row, "population", low=0, high=MAX_POPULATION)))
    return tuple(out)


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
    raise FileProblem(path, line, f"field 'emergency' must be yes, no or unknown, got {flag!r}")


def read_facilities(
    path: str | os.PathLike[str],
) -> tuple[tuple[Hospital, ...], tuple[AmbulancePost, ...]]:
    """Hospitals and ambulance posts from a ``facilities.csv``.

    Raises
    ------
    DataError
        Naming the file and line of the first bad row, as :func:`read_places`.
    """
    p = Path(path)
    hospitals: list[Hospital] = []
    posts: list[AmbulancePost] = []
    for n, row in csv_rows(p, ("kind", "name", "country", "lat", "lon", "emergency", "source"),
                           limit=_CSV_LIMIT, what="facilities file", max_rows=_FACILITY_ROWS):
        lat, lon = _lat_lon(p, n, row)
        name, country = _text(p, n, row, "name"), _text(p, n, row, "country")
        if row["kind"] == "hospital":
            hospitals.append(Hospital(
                name=name, country=country, lat=lat, lon=lon,
                emergency=_emergency(p, n, country, row["emergency"]), source=row["source"],
            ))
        elif row["kind"] == "ambulance_post":
            posts.append(AmbulancePost(name=name, country=country, lat=lat, lon=lon,
                                       hours=row["emergency"], source=row["source"],
                                       city=row.get("city") or ""))
        else:
            raise FileProblem(p, n, f"field 'kind' must be hospital or ambulance_post, got {row['kind']!r}")
    return tuple(hospitals), tuple(posts)


def folder_network(folder: Path) -> Path:
    """The road network file of a region folder: its one OSM file, or ``osm/<name>.osm.bz2`` beside
    ``regions/<name>/`` (the layout of the bundled data).

    Raises
    ------
    DataError
        When the folder has no OSM file, or several.
    """
    own = sorted(f for f in folder.iterdir() if f.is_file() and f.name.lower().endswith(OSM_SUFFIXES))
    if len(own) == 1:
        return own[0]
    if len(own) > 1:
        raise DataError(f"{folder}: region folder with {len(own)} road network files "
                        f"({', '.join(f.name for f in own)}); keep one")
    beside = folder.parent.parent / "osm" / f"{folder.name}.osm.bz2"
    if folder.parent.name == "regions" and beside.is_file():
        return beside
    raise DataError(f"{folder}: region folder without a road network: put one OSM file in it "
                    f"({', '.join(OSM_SUFFIXES)}), or lay it out as osm/{folder.name}.osm.bz2 beside "
                    f"regions/{folder.name}/")


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
        A bundled region name (see ``sim.paths.bundled_regions()``), an OSM/GraphML file, or a
        region folder (``places.csv``, ``facilities.csv``, ``jurisdictions.geojson`` and its road
        network: see :func:`folder_network`).
    speeds
        Speed settings for the network's travel times.
    jurisdictions
        A jurisdictions GeoJSON overriding the region's own.
    progress
        Print build steps on stderr.
    """
    folder = Path(name_or_path).expanduser() if not isinstance(name_or_path, str) or (
        name_or_path not in bundled_regions()) else None
    if folder is not None and folder.is_dir():
        return _load_folder(folder, speeds=speeds, jurisdictions=jurisdictions, progress=progress)
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
        if (region_dir / "places.csv").exists():
            places = read_places(region_dir / "places.csv")
        if (region_dir / "facilities.csv").exists():
            hospitals, posts = read_facilities(region_dir / "facilities.csv")
    return Region(name=src.name, network=network, places=places, hospitals=hospitals,
                  ambulance_posts=posts, osm_path=src.path, region_dir=region_dir)


def _load_folder(folder: Path, *, speeds: SpeedSettings | None, jurisdictions: str | os.PathLike[str] | None,
                 progress: bool) -> Region:
    """A region folder: its network (with its own jurisdictions unless given) and its CSV files."""
    net_file = folder_network(folder)
    if jurisdictions is None and (folder / "jurisdictions.geojson").exists():
        jurisdictions = folder / "jurisdictions.geojson"
    network = load_network(net_file, speeds=speeds, jurisdictions=jurisdictions, progress=progress)
    places = read_places(folder / "places.csv") if (folder / "places.csv").exists() else ()
    hospitals: tuple[Hospital, ...] = ()
    posts: tuple[AmbulancePost, ...] = ()
    if (folder / "facilities.csv").exists():
        hospitals, posts = read_facilities(folder / "facilities.csv")
    return Region(name=folder.name, network=network, places=places, hospitals=hospitals,
                  ambulance_posts=posts, osm_path=net_file, region_dir=folder)
