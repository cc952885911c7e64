"""The schema of a scenario file: pydantic models, one per kind of mapping, refusing unknown keys.

:class:`ScenarioDoc` validates one document (the base, or the base with a variant merged over it).
Field types come from :mod:`sim.scenario.quantities` (quantities with units, bounded numbers) and
from the model's tables, read when a file is validated: unit types from
:data:`sim.model.units.UNIT_TYPES` (a type added with ``register_unit_type`` is accepted at once),
agreement rules from :data:`sim.model.agreements.RULES`, countries from
:data:`sim.model.countries.COUNTRIES`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import shapely
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from sim.model.agreements import RULES, Direction, Visibility
from sim.model.countries import COUNTRIES
from sim.model.distributions import Dist, DistKind
from sim.model.norms import NORM_CLASSES
from sim.model.units import UNIT_TYPES, Service
from sim.roads.network import DETOUR_FACTOR
from sim.roads.speeds import HIGHWAY_CLASSES
from sim.scenario.quantities import (
    MAX_POPULATION,
    NUMBER,
    Distance,
    Duration,
    Horizon,
    Hour,
    Lat,
    Lon,
    Name,
    NonNegSpeed,
    NormLimit,
    PosDuration,
    Share,
    Source,
    Speed,
    WarmUp,
    between,
    bounded,
)
from sim.scenario.ranges import UncertainSpec

# Limits of a scenario file's counts and factors. Each bounds what a file can make the program
# allocate (the travel-time tables grow with the stations, the incident arrays with the units an
# incident needs) or refuses a value no study means (a population of 1e9, a factor of 100).
MAX_STATIONS = 500
"""Most stations (the Euregio scenario has 60); each adds travel-time tables over every node."""
MAX_UNITS_PER_STATION = 100
"""Most units of one type at one station."""
MAX_UNITS = 5000
"""Most units in a scenario, all stations and types together."""
MAX_NEEDS = 20
"""Most units of one type an incident type needs (or may optionally need)."""
MAX_LIST = 500
"""Most hospitals, places, incident types, agreements or focus areas in one list."""
MAX_RATE = 1000.0
"""Largest rate: incidents per 1,000 inhabitants per year (one per inhabitant)."""
MAX_SCALE = 100.0
"""Largest demand scale factor."""
MAX_REPLICATIONS = 1000
"""Most replications a file may ask for."""
FACTOR_RANGE = (0.2, 5.0)
"""Travel-time multipliers (emergency factors) allowed."""

Population = Annotated[float, NUMBER, between(0, MAX_POPULATION, "must be between 0 and 50,000,000")]
Rate = Annotated[float, NUMBER, between(0, MAX_RATE, "must be between 0 and 1000 (per 1,000 inhabitants "
                                                     "per year)")]
Weight = Annotated[float, NUMBER, between(0, 1e6, "must be between 0 and 1,000,000")]
UnitCount = Annotated[int, NUMBER, between(0, MAX_UNITS_PER_STATION, "must be between 0 and 100")]
NeedCount = Annotated[int, NUMBER, between(1, MAX_NEEDS, "must be between 1 and 20")]
Factor = Annotated[float, NUMBER, between(*FACTOR_RANGE, "must be between 0.2 and 5")]
Coordinate = Annotated[float, NUMBER]

FIXED_IN_VARIANTS = ("name", "description", "region", "network", "horizon", "warmup",
                     "replications", "seed", "focus", "speeds", "variants", "uncertain")
"""Top-level keys every variant shares (common random numbers: every variant replays the same calls;
road speeds time the one network all variants run on)."""


def _one_of(names: list[str]) -> str:
    """``'a', 'b' or 'c'``: a list of allowed names in the words of pydantic's own messages."""
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _in_table(table: Mapping[str, object], *extra: str) -> BeforeValidator:
    """A validator accepting a key of `table` (read at validation time) or one of `extra`."""

    def check(v: Any) -> Any:
        if isinstance(v, str) and (v in table or v in extra):
            return v
        raise ValueError(f"must be {_one_of([*table, *extra])}")

    return BeforeValidator(check)


UnitTypeName = Annotated[str, _in_table(UNIT_TYPES)]
"""A key of :data:`sim.model.units.UNIT_TYPES`."""
OnSceneKey = Annotated[str, _in_table(UNIT_TYPES, "default")]
"""A unit type, or ``default`` for the others."""
RuleName = Annotated[str, _in_table(RULES)]
"""A key of :data:`sim.model.agreements.RULES`."""
CountryCode = Annotated[str, _in_table(COUNTRIES)]
"""A key of :data:`sim.model.countries.COUNTRIES`."""
NormClassName = Annotated[str, _in_table(NORM_CLASSES, "")]
"""A key of :data:`sim.model.norms.NORM_CLASSES`, or ``""`` for none."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_DIST_PARAMS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",), "exponential": ("mean",), "lognormal": ("mean", "sd"),
    "gamma": ("mean", "sd"), "weibull": ("shape", "scale"), "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
}


class DistSpec(_Strict):
    """A duration distribution; or, written as a single duration, a fixed value."""

    kind: DistKind
    value: Duration | None = None
    mean: Duration | None = None
    sd: Duration | None = None
    shape: Annotated[float, NUMBER, between(0.2, 20, "must be between 0.2 and 20")] | None = None
    scale: Duration | None = None
    low: Duration | None = None
    mode: Duration | None = None
    high: Duration | None = None
    cap: Duration | None = None

    @model_validator(mode="after")
    def _params(self) -> DistSpec:
        need = _DIST_PARAMS[self.kind]
        given = [p for p in ("value", "mean", "sd", "shape", "scale", "low", "mode", "high")
                 if getattr(self, p) is not None]
        missing = [p for p in need if p not in given]
        extra = [p for p in given if p not in need]
        if missing or extra:
            raise ValueError(f"a {self.kind} distribution takes {' and '.join(need)}"
                             + (f"; missing {', '.join(missing)}" if missing else "")
                             + (f"; {', '.join(extra)} does not apply" if extra else ""))
        if self.kind in ("exponential", "lognormal", "gamma") and not (self.mean or 0) > 0:
            raise ValueError(f"the mean of a {self.kind} distribution must be above 0 s")
        if self.kind in ("lognormal", "gamma") and (self.sd or 0) > 10 * (self.mean or 0):
            raise ValueError(f"the sd of a {self.kind} distribution must be at most 10 times its mean")
        if self.kind == "uniform" and (self.low or 0) > (self.high or 0):
            raise ValueError("low must not exceed high")
        if self.kind == "triangular" and not ((self.low or 0) <= (self.mode or 0) <= (self.high or 0)):
            raise ValueError("a triangular distribution needs low <= mode <= high")
        if self.kind == "triangular" and not (self.low or 0) < (self.high or 0):
            raise ValueError("a triangular distribution needs low < high (for a constant, write one "
                             "duration)")
        return self

    def to_dist(self) -> Dist:
        kw = {p: float(getattr(self, p)) for p in _DIST_PARAMS[self.kind]}
        return Dist(self.kind, cap=self.cap, **kw)


def _dist_shorthand(v: Any) -> Any:
    if isinstance(v, str | int | float) and not isinstance(v, bool):
        return {"kind": "fixed", "value": v}
    return v


DistField = Annotated[DistSpec, BeforeValidator(_dist_shorthand)]


def _zero_dist() -> DistSpec:
    """The default of an omitted duration distribution: a fixed 0 s (validated like a written one)."""
    return DistSpec.model_validate({"kind": "fixed", "value": "0 s"})


def _shift(v: Any) -> Any:
    if not isinstance(v, str):
        raise ValueError("a shift is '24h' or 'HH:MM-HH:MM', e.g. '07:00-23:00'")
    s = v.strip().lower().replace(" ", "")
    if s in ("24h", "24uur", "always"):
        return (0.0, 0.0)
    if s in ("dag/avond", "day/evening"):  # RIVM "Dag/avond" posts: 07:00-23:00
        return (7.0, 23.0)
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?-(\d{1,2})(?::(\d{2}))?", s)
    if not m:
        raise ValueError(f"{v!r} is not a shift: write '24h' or 'HH:MM-HH:MM', e.g. '07:00-23:00'")
    if int(m.group(2) or 0) > 59 or int(m.group(4) or 0) > 59:
        raise ValueError(f"{v!r}: minutes must be between 00 and 59")
    a = int(m.group(1)) + int(m.group(2) or 0) / 60
    b = int(m.group(3)) + int(m.group(4) or 0) / 60
    if not (0 <= a <= 24 and 0 <= b <= 24):
        raise ValueError(f"{v!r}: hours must be between 00:00 and 24:00")
    return (a, b)


ShiftField = Annotated[tuple[float, float], BeforeValidator(_shift)]


class PointSpec(_Strict):
    """A named point with the source of its coordinates."""

    name: str = ""
    lat: Lat
    lon: Lon
    source: Source


class EntrySpec(PointSpec):
    """One more entry point of a station beyond the extract, with its own access time if known."""

    access_time: Annotated[PosDuration, bounded(lambda v: v <= 7200, "must be at most 2 h")] | None = None


class OffNetworkSpec(_Strict):
    """How a station beyond the road extract reaches it (estimated legs): through `entry`, and
    `entries` where it can enter the network at several points (the fastest is used for each
    destination). Without `speed` a leg is timed at the network's own pace for its straight-line
    distance; `speed` (normal driving, with `detour_factor`) and `access_time` override that."""

    entry: PointSpec | None = None
    entries: list[EntrySpec] = Field(default_factory=list)
    access_time: Annotated[PosDuration, bounded(lambda v: v <= 7200, "must be at most 2 h")] | None = None
    detour_factor: Annotated[float, NUMBER, between(1, 5, "must be between 1 and 5")] = DETOUR_FACTOR
    speed: Speed | None = None
    note: str = ""

    @model_validator(mode="after")
    def _some_entry(self) -> OffNetworkSpec:
        if self.entry is None and not self.entries:
            raise ValueError("an off-network station needs an entry point (entry, or entries)")
        return self

    def all_entries(self) -> list[EntrySpec]:
        """`entry` (with `access_time`) first, then `entries`."""
        # model_construct: the values are validated already (durations parsed to seconds)
        first = ([EntrySpec.model_construct(name=self.entry.name, lat=self.entry.lat, lon=self.entry.lon,
                                            source=self.entry.source, access_time=self.access_time)]
                 if self.entry is not None else [])
        return first + list(self.entries)


class StationSpec(_Strict):
    name: Name
    country: CountryCode
    dispatch_centre: str | None = None
    lat: Lat
    lon: Lon
    source: Source
    units: dict[UnitTypeName, UnitCount]
    shifts: dict[UnitTypeName, ShiftField] = Field(default_factory=dict)
    off_network: OffNetworkSpec | None = None
    also_serves: list[str] = Field(default_factory=list)
    note: str = ""


class HospitalSpec(_Strict):
    name: Name
    country: CountryCode
    lat: Lat
    lon: Lon
    emergency: bool = True
    source: Source


class EmergencyDepartmentSpec(_Strict):
    """The emergency-department flag of a region hospital (facilities.csv), named exactly, where the
    file has none or a wrong one: whether it takes emergency patients, and the source that says so."""

    name: Name
    emergency: bool = True
    source: Source


class PlaceSpec(_Strict):
    name: Name
    country: CountryCode
    lat: Lat
    lon: Lon
    population: Population
    source: Source


class OptionalNeedSpec(_Strict):
    count: NeedCount = 1
    share: Share


class IncidentTypeSpec(_Strict):
    name: Name
    urgency: Annotated[int, NUMBER, bounded(lambda v: v in (1, 2, 3), "must be 1, 2 or 3")]
    needs: Annotated[dict[UnitTypeName, NeedCount], Field(min_length=1)]
    primary: UnitTypeName | None = None
    optional_needs: dict[UnitTypeName, OptionalNeedSpec] = Field(default_factory=dict)
    on_scene: dict[OnSceneKey, DistField] = Field(default_factory=dict)
    transport_share: Share = 0.0
    handover: DistField = Field(default_factory=lambda: _zero_dist())
    lights_and_sirens: bool = True
    norm: NormClassName | None = None


class TurnoutSpec(_Strict):
    day: DistField
    night: DistField | None = None
    night_start_hour: Hour = 23.0
    night_end_hour: Hour = 7.0


def _hour_of_week(v: Any) -> Any:
    if v == "flat":
        return [1.0] * 168
    return v


class BeyondExtractSpec(_Strict):
    """Calls of places beyond the road extract, answered by their own centre's units: a place
    generates an incident type's calls when a station of its country with the type's primary unit
    lies within `radius` of it (`unit_radius` of that unit type if given). `reach`: land within it
    of a road node of the place's country lies within the extract (default: ``Demand``'s)."""

    radius: Distance
    unit_radius: dict[UnitTypeName, Distance] = Field(default_factory=dict)
    reach: Distance | None = None


class DemandSpec(_Strict):
    rates: dict[CountryCode, dict[str, Rate]] = Field(default_factory=dict)
    hour_of_week: Literal["default"] | Annotated[list[Weight], BeforeValidator(_hour_of_week)] = "default"
    spread: Distance = 1500.0
    max_place_distance: Distance = 3000.0
    scale: Annotated[float, NUMBER, between(0, MAX_SCALE, "must be between 0 and 100")] = 1.0
    places: Literal["region"] | Annotated[list[PlaceSpec], Field(max_length=20 * MAX_LIST)] = "region"
    exclude_places: list[str] = Field(default_factory=list)
    extra_places: Annotated[list[PlaceSpec], Field(max_length=MAX_LIST)] = Field(default_factory=list)
    incident_log: str | None = None
    beyond_extract: BeyondExtractSpec | None = None


class PolicySpec(_Strict):
    call_processing: DistField | None = None
    redispatch_returning: bool = True
    hospital: Literal["nearest", "nearest_any"] = "nearest"
    tie_break: Literal["idle_longest", "first"] = "idle_longest"


class AgreementSpec(_Strict):
    name: Name
    parties: Annotated[list[Name], Field(min_length=2, max_length=2)]
    unit_types: Annotated[list[UnitTypeName], Field(min_length=1)]
    rule: RuleName = "always_fastest"
    direction: Direction = "both"
    threshold: Duration = 0.0
    request_delay: DistField = Field(default_factory=lambda: _zero_dist())
    keep_home_min: UnitCount = 0
    foreign_hospital: bool = False
    stations: list[str] = Field(default_factory=list)
    visibility: Visibility | None = None
    source: str = ""


HighwayClass = Annotated[str, _in_table(dict.fromkeys(HIGHWAY_CLASSES))]
"""An OpenStreetMap highway class the network keeps (:data:`sim.roads.speeds.HIGHWAY_CLASSES`)."""


class SpeedsSpec(_Strict):
    """Overrides of the driving model's parameters (:mod:`sim.roads.driving`), shared by every variant.

    `class_speeds`, `normal_factor` and `rural_factor` (normal driving on roads with a rural limit as
    a share of the limit) time the network's edges; `lights_and_sirens` is the speed-up
    with lights and sirens, `relative_speed` a vehicle's speed relative to the ambulance, `caps` the
    km/h a vehicle may drive above the limit with lights and sirens (per country), `start_stop` the
    time a trip from a standstill costs, `variability` the coefficient of variation of a 10-minute
    leg to a scene (0: every leg takes exactly its expected time).
    """

    class_speeds: dict[HighwayClass, Speed] = Field(default_factory=dict)
    normal_factor: Annotated[float, bounded(lambda v: 0 < v <= 2,
                                            "must be above 0 and at most 2")] | None = None
    rural_factor: Annotated[float, bounded(lambda v: 0 <= v <= 2,
                                           "must be at least 0 and at most 2")] | None = None
    lights_and_sirens: Factor | None = None
    relative_speed: dict[UnitTypeName, Factor] = Field(default_factory=dict)
    caps: dict[CountryCode, dict[UnitTypeName, NonNegSpeed]] = Field(default_factory=dict)
    start_stop: dict[UnitTypeName, Duration] = Field(default_factory=dict)
    variability: Annotated[float, bounded(lambda v: 0 <= v <= 2,
                                          "must be at least 0 and at most 2")] | None = None
    note: str = ""


class NormSpec(_Strict):
    limit: NormLimit
    share: Share
    source: Source
    service: Service = "ambulance"
    label: str = ""


class FocusSpec(_Strict):
    """An area reported on its own (e.g. the Baarle-Hertog enclaves)."""

    name: Name
    source: Source
    country: CountryCode | None = None
    enclaves_of: CountryCode | None = None
    bbox: Annotated[list[Coordinate], Field(min_length=4, max_length=4)] | None = None
    polygon: Annotated[list[Annotated[list[Coordinate], Field(min_length=2, max_length=2)]],
                       Field(min_length=3, max_length=10_000)] | None = None

    @model_validator(mode="after")
    def _some_area(self) -> FocusSpec:
        if self.enclaves_of is None and self.bbox is None and self.polygon is None:
            raise ValueError("a focus area needs enclaves_of, bbox or polygon")
        if self.bbox is not None:
            w, s, e, n = self.bbox
            if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
                raise ValueError("bbox is [west, south, east, north] in degrees with west < east "
                                 "and south < north")
        if self.polygon is not None:
            _check_polygon(self.polygon)
        return self


def _check_polygon(points: list[list[float]]) -> None:
    """A focus polygon: points ``[lon, lat]`` in range, enclosing some area, not crossing itself."""
    for i, (lon, lat) in enumerate(points):
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(f"polygon point {i} ({lon}, {lat}) is not [lon, lat] in degrees "
                             "(lon between -180 and 180, lat between -90 and 90)")
    poly = shapely.Polygon(points)
    if not poly.is_valid or poly.area <= 0:
        raise ValueError(f"the polygon is not a simple area ({shapely.is_valid_reason(poly)}): "
                         "list its corners [lon, lat] in order around it")


class NetworkSpec(_Strict):
    file: Name
    name: str = ""


class ScenarioDoc(_Strict):
    """The validated content of a scenario file (one variant, or the base document)."""

    name: str = ""
    description: str = ""
    region: str | None = None
    network: NetworkSpec | None = None
    horizon: Horizon
    warmup: WarmUp = 0.0
    replications: Annotated[int, NUMBER, between(1, MAX_REPLICATIONS, "must be between 1 and 1,000")] = 5
    seed: Annotated[int, NUMBER, between(0, 2**63 - 1, "must be between 0 and 2**63 - 1")] = 0
    demand: DemandSpec = Field(default_factory=DemandSpec)
    incident_types: Annotated[list[IncidentTypeSpec], Field(min_length=1, max_length=MAX_LIST)] | None = None
    turnout: dict[UnitTypeName, TurnoutSpec] = Field(default_factory=dict)
    stations: Annotated[list[StationSpec], Field(min_length=1, max_length=MAX_STATIONS)]
    hospitals: Literal["region"] | Annotated[list[HospitalSpec], Field(max_length=MAX_LIST)] = "region"
    emergency_departments: Annotated[list[EmergencyDepartmentSpec], Field(max_length=MAX_LIST)] = Field(
        default_factory=list)
    policy: PolicySpec = Field(default_factory=PolicySpec)
    agreements: Annotated[list[AgreementSpec], Field(max_length=MAX_LIST)] = Field(default_factory=list)
    speeds: SpeedsSpec = Field(default_factory=SpeedsSpec)
    norms: dict[str, NormSpec] = Field(default_factory=dict)
    focus: Annotated[list[FocusSpec], Field(max_length=MAX_LIST)] = Field(default_factory=list)
    uncertain: dict[str, UncertainSpec] = Field(default_factory=dict)
