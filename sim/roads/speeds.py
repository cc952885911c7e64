"""Road speeds: legal limits (``maxspeed`` tags, per-country defaults), road-class speeds, caps.

Travel time on an edge is its length over its normal speed: in built-up areas and on minor roads
``min(class speed, limit) × normal_factor``, the road-class speeds of the JEMSS Utrecht ambulance
model (`CLASS_SPEEDS_KMH`, × 0.86 for normal driving, see
``shared/reference/emergency-services-facts.md``, section Speeds), never above the edge's legal
limit: its parsed ``maxspeed`` tag or, where the tag is missing or unusable, the legal default of
the edge's country for its highway class (`DEFAULT_LIMITS`, each value with its source). Where the
limit is a rural one (at least `RURAL_LIMIT_KMH`), the edge is driven at the faster of that and
``limit × rural_factor`` (`RURAL_FACTOR`): JEMSS's class speeds are Utrecht's, urban, and would
drive an 80 km/h provincial road at 52 km/h. These are the times of the reference vehicle (an
ambulance) driving normally; :mod:`sim.roads.driving` turns them into each vehicle's times with and
without lights and sirens, within the caps of each country's road rules (`SPEED_CAPS`).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

# ---------------------------------------------------------------------------- default limits
HIGHWAY_CLASSES: tuple[str, ...] = (
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
    "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential", "living_street",
    "service", "road",
)
"""The drivable OSM highway classes (the rest of OSM's classes are dropped when loading)."""

_LINKS = "modelling choice: slip roads are driven slower than the road they join"
_MINOR = "modelling choice: minor roads are rarely driven at the rural limit"
_SERVICE = "modelling choice: service roads (car parks, driveways) at 30 km/h"
_ROAD = "modelling choice: unknown road class treated as built-up area (50 km/h)"

_BE = "Belgian Code de la route (KB 1 Dec 1975)"
_NL = "Dutch RVV 1990"
_DE = "German StVO"
_LU = "Luxembourg Code de la route (AGD 23 Nov 1955)"
_FR = "French Code de la route"

DEFAULT_LIMITS: dict[str, dict[str, tuple[float, str]]] = {
    "BE": {
        "motorway": (120.0, f"{_BE} art. 11.3 (motorways 120)"),
        "trunk": (90.0, f"{_BE} art. 11.2 (outside built-up areas 90; 120 only on 2×2 lanes)"),
        "primary": (90.0, f"{_BE} art. 11.2 (outside built-up areas 90)"),
        "secondary": (70.0, "Flemish Region decree: 70 outside built-up areas since 1 Jan 2017"),
        "tertiary": (70.0, "Flemish Region decree: 70 outside built-up areas since 1 Jan 2017"),
        "unclassified": (50.0, _MINOR),
        "residential": (50.0, f"{_BE} art. 11.1 (built-up areas 50)"),
        "living_street": (20.0, f"{_BE} art. 22bis (woonerf / zone résidentielle 20)"),
    },
    "NL": {
        "motorway": (100.0, f"{_NL} art. 21 (autosnelweg 130), 100 by day (06-19 h) since 16 Mar 2020"),
        "trunk": (100.0, f"{_NL} art. 21 (autoweg 100)"),
        "primary": (80.0, f"{_NL} art. 21 (outside built-up areas 80)"),
        "secondary": (80.0, f"{_NL} art. 21 (outside built-up areas 80)"),
        "tertiary": (60.0, "Dutch BABW art. 18: 60 km/h zones on rural access roads (Duurzaam Veilig)"),
        "unclassified": (60.0, "Dutch BABW art. 18: 60 km/h zones on rural access roads (Duurzaam Veilig)"),
        "residential": (50.0, f"{_NL} art. 20 (built-up areas 50)"),
        "living_street": (15.0, f"{_NL} art. 45 (woonerf: stapvoets, about 15 km/h)"),
    },
    "DE": {
        "motorway": (130.0, "German Autobahn-Richtgeschwindigkeits-Verordnung (advisory 130; no limit)"),
        "trunk": (100.0, f"{_DE} §3 Abs. 3 Nr. 2 (outside built-up areas 100)"),
        "primary": (100.0, f"{_DE} §3 Abs. 3 Nr. 2 (outside built-up areas 100)"),
        "secondary": (100.0, f"{_DE} §3 Abs. 3 Nr. 2 (outside built-up areas 100)"),
        "tertiary": (80.0, _MINOR),
        "unclassified": (70.0, _MINOR),
        "residential": (50.0, f"{_DE} §3 Abs. 3 Nr. 1 (built-up areas 50)"),
        "living_street": (7.0, f"{_DE} Anlage 3 Zeichen 325.1 (Schrittgeschwindigkeit, about 7 km/h)"),
    },
    "LU": {
        "motorway": (130.0, f"{_LU} art. 139 (autoroutes 130)"),
        "trunk": (90.0, f"{_LU} art. 139 (outside built-up areas 90)"),
        "primary": (90.0, f"{_LU} art. 139 (outside built-up areas 90)"),
        "secondary": (90.0, f"{_LU} art. 139 (outside built-up areas 90)"),
        "tertiary": (70.0, _MINOR),
        "unclassified": (60.0, _MINOR),
        "residential": (50.0, f"{_LU} art. 139 (built-up areas 50)"),
        "living_street": (20.0, f"{_LU} art. 162bis (zone résidentielle 20)"),
    },
    "FR": {
        "motorway": (130.0, f"{_FR} R413-2 (autoroutes 130)"),
        "trunk": (110.0, f"{_FR} R413-2 (2×2 lanes with a central reserve 110)"),
        "primary": (80.0, f"{_FR} R413-2 (outside built-up areas 80 since 1 Jul 2018)"),
        "secondary": (80.0, f"{_FR} R413-2 (outside built-up areas 80 since 1 Jul 2018)"),
        "tertiary": (80.0, f"{_FR} R413-2 (outside built-up areas 80 since 1 Jul 2018)"),
        "unclassified": (60.0, _MINOR),
        "residential": (50.0, f"{_FR} R413-3 (built-up areas 50)"),
        "living_street": (20.0, f"{_FR} R110-2 (zone de rencontre 20)"),
    },
}
"""Country -> highway class -> (legal default km/h, source)."""

for _limits in DEFAULT_LIMITS.values():
    _limits.setdefault("motorway_link", (70.0, _LINKS))
    _limits.setdefault("trunk_link", (60.0, _LINKS))
    _limits.setdefault("primary_link", (50.0, _LINKS))
    _limits.setdefault("secondary_link", (50.0, _LINKS))
    _limits.setdefault("tertiary_link", (40.0, _LINKS))
    _limits.setdefault("service", (30.0, _SERVICE))
    _limits.setdefault("road", (50.0, _ROAD))

# Zone values of OSM's implicit limits (``maxspeed=BE:urban`` etc., OSM wiki "Default speed limits"),
# taken from the same laws as DEFAULT_LIMITS.
_ZONES: dict[str, dict[str, float]] = {
    "BE": {"urban": 50, "rural": 70, "motorway": 120, "trunk": 120, "living_street": 20},
    "BE-VLG": {"urban": 50, "rural": 70, "motorway": 120, "trunk": 120, "living_street": 20},
    "BE-WAL": {"urban": 50, "rural": 90, "motorway": 120, "trunk": 120, "living_street": 20},
    "BE-BRU": {"urban": 30, "rural": 70, "motorway": 120, "trunk": 120, "living_street": 20},
    "NL": {"urban": 50, "rural": 80, "motorway": 100, "trunk": 100, "living_street": 15},
    "DE": {"urban": 50, "rural": 100, "motorway": 130, "trunk": 100, "living_street": 7},
    "LU": {"urban": 50, "rural": 90, "motorway": 130, "trunk": 90, "living_street": 20},
    "FR": {"urban": 50, "rural": 80, "motorway": 130, "trunk": 110, "living_street": 20},
}

WALK_KMH = 7.0
"""``maxspeed=walk`` (walking pace, e.g. German Schrittgeschwindigkeit): 7 km/h (modelling choice)."""

NO_LIMIT_KMH = 130.0
"""``maxspeed=none`` where the country has no motorway default here: 130 km/h, the German
advisory speed (Autobahn-Richtgeschwindigkeits-Verordnung)."""

_MPH = 1.609344
_KNOT = 1.852
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$", re.IGNORECASE)
_ZONE = re.compile(r"^\s*([A-Za-z]{2}(?:-[A-Za-z]{2,3})?)\s*:\s*([A-Za-z_]+?)(?::?(\d+))?\s*$")


def _parse_one(text: str, country: str | None) -> float:
    s = text.strip()
    if not s:
        return math.nan
    m = _NUMBER.match(s)
    if m:
        value = float(m.group(1))
        unit = (m.group(2) or "").lower()
        if unit == "mph":
            value *= _MPH
        elif unit == "knots":
            value *= _KNOT
        return value if value > 0 else math.nan
    low = s.lower()
    if low == "none":
        zones = _ZONES.get((country or "").upper())
        return float(zones["motorway"]) if zones else NO_LIMIT_KMH
    if low == "walk":
        return WALK_KMH
    m = _ZONE.match(s)
    if m:
        code, zone, number = m.group(1).upper(), m.group(2).lower(), m.group(3)
        if zone == "zone" and number:  # "DE:zone:30" / "DE:zone30"
            return float(number)
        if zone.startswith("zone") and zone[4:].isdigit():
            return float(zone[4:])
        if zone == "walk":
            return WALK_KMH
        if zone == "none":
            return _parse_one("none", code[:2])
        table = _ZONES.get(code) or _ZONES.get(code[:2])
        if table and zone in table:
            return float(table[zone])
        return math.nan
    # "signals", "variable", "unposted", misspellings: unknown
    return math.nan


def parse_maxspeed(value: Any, *, country: str | None = None) -> float:
    """Parse an OSM ``maxspeed`` value into km/h (NaN when unknown).

    Handles numbers (``"50"``, ``"50 km/h"``), miles and knots (``"30 mph"``), several values
    (``"50;70"``, ``"50|70"``, or a list such as OSMnx produces after simplification: the mean of
    the values that parse, as OSMnx's ``add_edge_speeds`` does), implicit country limits
    (``"BE:urban"``, ``"NL:rural"``, ``"DE:motorway"``, ``"BE-VLG:rural"``, ``"DE:zone30"``),
    ``"walk"`` (`WALK_KMH`) and ``"none"`` (the motorway default of `country`, else `NO_LIMIT_KMH`).
    ``"signals"``, ``"variable"`` and anything else give NaN.

    Parameters
    ----------
    value
        The tag value: a string, a number, a list of them, or None/NaN.
    country
        ISO code of the edge's country, used for ``"none"``.
    """
    if value is None:
        return math.nan
    if isinstance(value, str):
        parts = re.split(r"[;|]", value) if (";" in value or "|" in value) else [value]
        vals = [_parse_one(p, country) for p in parts]
    elif isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        return v if math.isfinite(v) and v > 0 else math.nan
    elif isinstance(value, Iterable):
        vals = [parse_maxspeed(v, country=country) for v in value]
    else:
        return math.nan
    good = [v for v in vals if math.isfinite(v)]
    return float(np.mean(good)) if good else math.nan


# ---------------------------------------------------------------------------- road-class speeds
_JEMSS = ("JEMSS Utrecht model (uoa-ems-research/JEMSS.jl, data/cities/utrecht/models/1/travel/roads/"
          "run.jl; facts, section Speeds)")

CLASS_SPEEDS_KMH: dict[str, tuple[float, str]] = {
    "motorway": (113.0, _JEMSS),
    "trunk": (74.0, _JEMSS),
    "primary": (61.0, _JEMSS),
    "secondary": (50.0, _JEMSS),
    "tertiary": (46.0, _JEMSS),
    "unclassified": (42.0, _JEMSS),
    "residential": (42.0, f"{_JEMSS}: one class with unclassified"),
    "living_street": (42.0, "modelling choice: as residential; the legal limit (15-20 km/h) bounds it"),
    "service": (42.0, "modelling choice: as residential; the legal limit (30 km/h) bounds it"),
    "road": (42.0, "modelling choice: unknown road class treated as residential"),
}
"""Highway class -> (road-class speed in km/h before `NORMAL_FACTOR`, source). Slip roads take the
class of their road (JEMSS reads OpenStreetMap classes with their links)."""

for _cls in ("motorway", "trunk", "primary", "secondary", "tertiary"):
    CLASS_SPEEDS_KMH[f"{_cls}_link"] = (CLASS_SPEEDS_KMH[_cls][0], f"{_JEMSS}: as its road")

NORMAL_FACTOR = 0.86
"""Normal driving (no lights and sirens) at road-class speed × 0.86 (JEMSS Utrecht model)."""

RURAL_LIMIT_KMH = 70.0
"""Limits from this one up are rural ones (modelling choice: 70 km/h is the Flemish default outside
built-up areas, the lowest of the bundled countries'; below it lie built-up areas, at 50 km/h or
less, and the Dutch 60 km/h zones of rural access roads, which keep their class speed)."""

RURAL_FACTOR = 0.8
"""Normal driving on a road with a rural limit at the limit × 0.8, where that is faster than the
class speed: the OSRM car profile's ``speed_reduction`` (Project-OSRM/osrm-backend,
``profiles/car.lua``; ``profiles/lib/way_handlers.lua``, ``WayHandlers.maxspeed``: a tagged limit ×
0.8 is the average speed). A modelling choice for an ambulance driving normally, overridable with
``speeds: {rural_factor: ...}``. Kept for checking: Valhalla's rural class speeds (primary 75,
secondary 60 km/h, against 57 and 49 in towns: ``lua/graph.lua``, ``src/mjolnir/speed_assigner.h``),
and SWOV R-93-29 (1993): cars on Dutch 80 and 100 km/h roads mostly drive near or above the limit."""


# ---------------------------------------------------------------------------- caps
_NL_RULE = ("Dutch rule: with lights and sirens an ambulance may exceed the limit by at most 40 km/h, a "
            "fire truck over 5 t by at most 20 km/h (rtvnoord.nl 2020; ad.nl; nhnieuws.nl 2019)")
_CAR = "modelling choice: a car with lights and sirens, capped as an ambulance"

SPEED_CAPS: dict[str, dict[str, tuple[float, str]]] = {
    "NL": {"ambulance": (40.0, _NL_RULE), "smur": (40.0, _CAR), "pumper": (20.0, _NL_RULE),
           "ladder": (20.0, _NL_RULE)},
}
"""Country -> unit type -> (km/h above the legal limit allowed with lights and sirens, source).

Only the Netherlands publishes such a rule; every other country (BE, LU, DE, FR, and any added
later) takes the Dutch caps as a modelling choice (`cap_over_limit_kmh`)."""

DEFAULT_CAP_KMH = 40.0
"""Cap of a unit type missing from the table (modelling choice: as an ambulance)."""


def cap_over_limit_kmh(country: str | None, vehicle: str) -> tuple[float, str]:
    """The published cap of `vehicle` in `country` (km/h over the limit) and its source; the Dutch
    cap where the country publishes none (modelling choice)."""
    table = SPEED_CAPS.get(country or "")
    if table is not None and vehicle in table:
        return table[vehicle]
    kmh, source = SPEED_CAPS["NL"].get(vehicle, (DEFAULT_CAP_KMH, "modelling choice: as an ambulance"))
    return kmh, f"modelling choice: no published rule in {country or 'an unknown country'}; {source}"


# ---------------------------------------------------------------------------- settings
def _default_limits_kmh() -> dict[str, dict[str, float]]:
    return {c: {k: v[0] for k, v in t.items()} for c, t in DEFAULT_LIMITS.items()}


def _default_class_kmh() -> dict[str, float]:
    return {k: v[0] for k, v in CLASS_SPEEDS_KMH.items()}


@dataclass(frozen=True)
class SpeedSettings:
    """How edge travel times are computed (normal driving of the reference vehicle, the ambulance).

    An edge is driven at ``min(class speed, legal limit) × normal_factor``: the road-class speeds of
    the JEMSS Utrecht ambulance model (`CLASS_SPEEDS_KMH`, × 0.86 for normal driving), never above
    the edge's legal limit (its ``maxspeed`` tag, else its country's default for the class,
    `DEFAULT_LIMITS`): a 30 km/h zone or a village stretch of a main road is slower than its class.
    Where the limit is rural (at least `rural_limit_kmh`), at ``limit × rural_factor`` if that is
    faster.

    Parameters
    ----------
    defaults
        Country -> highway class -> legal limit (km/h) where ``maxspeed`` is missing (default:
        `DEFAULT_LIMITS`, with their sources).
    class_kmh
        Highway class -> road-class speed (km/h) before `normal_factor` (default: `CLASS_SPEEDS_KMH`).
    normal_factor
        Normal driving as a share of the road-class speed: 0.86 (`NORMAL_FACTOR`).
    rural_factor
        Normal driving on roads with a rural limit as a share of the limit, where that is faster
        than the class speed: 0.8 (`RURAL_FACTOR`; 0 turns it off).
    rural_limit_kmh
        Limits from this one up are rural (`RURAL_LIMIT_KMH`).
    use_maxspeed
        Use the ``maxspeed`` tag where present (else only the defaults).
    fallback_country
        Country whose defaults apply to nodes outside every jurisdiction (unknown country).
    unknown_class_kmh
        Legal limit and class speed of highway classes missing from the tables.
    min_kmh
        Lower bound on any limit (a tag of ``"1"`` is a mistake, not a road).
    """

    defaults: Mapping[str, Mapping[str, float]] = field(default_factory=_default_limits_kmh)
    class_kmh: Mapping[str, float] = field(default_factory=_default_class_kmh)
    normal_factor: float = NORMAL_FACTOR
    rural_factor: float = RURAL_FACTOR
    rural_limit_kmh: float = RURAL_LIMIT_KMH
    use_maxspeed: bool = True
    fallback_country: str = "BE"
    unknown_class_kmh: float = 50.0
    min_kmh: float = 5.0

    def __post_init__(self) -> None:
        if not 0 < self.normal_factor <= 2:
            raise ValueError(f"normal_factor must be in (0, 2], got {self.normal_factor}")
        if not 0 <= self.rural_factor <= 2:
            raise ValueError(f"rural_factor must be in [0, 2], got {self.rural_factor}")
        if not self.rural_limit_kmh > 0:
            raise ValueError(f"rural_limit_kmh must be above 0, got {self.rural_limit_kmh}")
        if self.fallback_country not in self.defaults:
            raise ValueError(f"fallback_country {self.fallback_country!r} has no default speeds")
        for c, table in self.defaults.items():
            for k, v in table.items():
                if not v > 0:
                    raise ValueError(f"default speed {c}/{k} must be positive, got {v}")
        for k, v in self.class_kmh.items():
            if not v > 0:
                raise ValueError(f"class speed {k} must be positive, got {v}")

    def cache_key(self) -> str:
        """A short stable hash of the settings (for travel-time caches)."""
        payload = json.dumps(
            {
                "defaults": {c: dict(sorted(t.items())) for c, t in sorted(self.defaults.items())},
                "class_kmh": dict(sorted(self.class_kmh.items())),
                "normal_factor": self.normal_factor,
                "rural_factor": self.rural_factor,
                "rural_limit_kmh": self.rural_limit_kmh,
                "use_maxspeed": self.use_maxspeed,
                "fallback_country": self.fallback_country,
                "unknown_class_kmh": self.unknown_class_kmh,
                "min_kmh": self.min_kmh,
            },
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def default_kmh(self, country: str | None, highway: str) -> float:
        """The default legal limit of a highway class in a country (fallback country if unknown)."""
        table = self.defaults.get(country or "") or self.defaults[self.fallback_country]
        return float(table.get(highway, self.unknown_class_kmh))

    def edge_limits_kmh(
        self,
        *,
        edge_highway: npt.ArrayLike,
        highway_classes: list[str],
        edge_maxspeed_kmh: npt.ArrayLike,
        edge_country: npt.ArrayLike,
        countries: list[str],
    ) -> npt.NDArray[np.float64]:
        """Legal limit of every edge (km/h): its tag, else its country's default, vectorised.

        `edge_highway` and `edge_country` are codes into `highway_classes` and `countries`
        (-1 = unknown).
        """
        hw = np.asarray(edge_highway, dtype=np.int64)
        cc = np.asarray(edge_country, dtype=np.int64)
        # table[country code + 1, highway code + 1]; row 0 / column 0 for unknown
        names = [None, *countries]
        classes = ["", *highway_classes]
        table = np.array([[self.default_kmh(c, h) for h in classes] for c in names])
        speed = table[cc + 1, hw + 1]
        if self.use_maxspeed:
            tag = np.asarray(edge_maxspeed_kmh, dtype=np.float64)
            speed = np.where(np.isfinite(tag) & (tag > 0), tag, speed)
        return np.maximum(speed, self.min_kmh)

    def edge_cruise_kmh(self, *, edge_highway: npt.ArrayLike, highway_classes: list[str],
                        edge_limit_kmh: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """``min(class speed, legal limit)`` of every edge (km/h, before `normal_factor`)."""
        hw = np.asarray(edge_highway, dtype=np.int64)
        by_class = np.array([self.unknown_class_kmh,
                             *(self.class_kmh.get(h, self.unknown_class_kmh) for h in highway_classes)])
        return np.minimum(by_class[hw + 1], np.asarray(edge_limit_kmh, dtype=np.float64))

    def edge_normal_kmh(self, *, edge_highway: npt.ArrayLike, highway_classes: list[str],
                        edge_limit_kmh: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Normal driving speed of every edge (km/h): ``min(class speed, limit) × normal_factor``,
        or ``limit × rural_factor`` where the limit is rural and that is faster."""
        limit = np.asarray(edge_limit_kmh, dtype=np.float64)
        kmh = self.edge_cruise_kmh(edge_highway=edge_highway, highway_classes=highway_classes,
                                   edge_limit_kmh=limit) * self.normal_factor
        rural = limit >= self.rural_limit_kmh
        return np.where(rural, np.maximum(kmh, limit * self.rural_factor), kmh)

    def edge_times_s(
        self,
        *,
        edge_length_m: npt.ArrayLike,
        edge_highway: npt.ArrayLike,
        highway_classes: list[str],
        edge_maxspeed_kmh: npt.ArrayLike,
        edge_country: npt.ArrayLike,
        countries: list[str],
    ) -> npt.NDArray[np.float64]:
        """Travel time of every edge at normal driving speed (s; at least 1 ms)."""
        limit = self.edge_limits_kmh(edge_highway=edge_highway, highway_classes=highway_classes,
                                     edge_maxspeed_kmh=edge_maxspeed_kmh, edge_country=edge_country,
                                     countries=countries)
        kmh = self.edge_normal_kmh(edge_highway=edge_highway, highway_classes=highway_classes,
                                   edge_limit_kmh=limit)
        length = np.asarray(edge_length_m, dtype=np.float64)
        return np.maximum(length / (kmh / 3.6), 1e-3)


def limit_source(country: str, highway: str) -> str:
    """The source of a default limit in `DEFAULT_LIMITS` (empty if there is none)."""
    return DEFAULT_LIMITS.get(country, {}).get(highway, (0.0, ""))[1]
