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

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from sim.model.agreements import RULES, Direction
from sim.model.countries import COUNTRIES
from sim.model.distributions import Dist, DistKind
from sim.model.units import UNIT_TYPES
from sim.roads.network import DETOUR_FACTOR, OFF_NETWORK_SPEED_KMH
from sim.scenario.quantities import (
    Count,
    Distance,
    Duration,
    Hour,
    Lat,
    Lon,
    Name,
    NonNeg,
    PosCount,
    PosDuration,
    Positive,
    Share,
    Source,
    Speed,
    bounded,
)
from sim.scenario.ranges import UncertainSpec

FIXED_IN_VARIANTS = ("name", "description", "region", "network", "horizon", "warmup",
                     "replications", "seed", "focus", "variants", "uncertain")
"""Top-level keys every variant shares (common random numbers: every variant replays the same calls)."""


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
    shape: Positive | None = None
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
        if self.kind == "uniform" and (self.low or 0) > (self.high or 0):
            raise ValueError("low must not exceed high")
        if self.kind == "triangular" and not ((self.low or 0) <= (self.mode or 0) <= (self.high or 0)):
            raise ValueError("a triangular distribution needs low <= mode <= high")
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


class OffNetworkSpec(_Strict):
    """How a station beyond the road extract reaches it (an estimated leg)."""

    entry: PointSpec
    access_time: PosDuration | None = None
    detour_factor: Annotated[float, bounded(lambda v: v >= 1, "must be at least 1")] = (
        DETOUR_FACTOR)
    speed: Speed = OFF_NETWORK_SPEED_KMH
    note: str = ""


class StationSpec(_Strict):
    name: Name
    country: CountryCode
    dispatch_centre: str | None = None
    lat: Lat
    lon: Lon
    source: Source
    units: dict[UnitTypeName, Count]
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


class PlaceSpec(_Strict):
    name: Name
    country: CountryCode
    lat: Lat
    lon: Lon
    population: NonNeg
    source: Source


class OptionalNeedSpec(_Strict):
    count: PosCount = 1
    share: Share


class IncidentTypeSpec(_Strict):
    name: Name
    urgency: Annotated[int, bounded(lambda v: v in (1, 2, 3), "must be 1, 2 or 3")]
    needs: dict[UnitTypeName, PosCount]
    primary: UnitTypeName | None = None
    optional_needs: dict[UnitTypeName, OptionalNeedSpec] = Field(default_factory=dict)
    on_scene: dict[OnSceneKey, DistField] = Field(default_factory=dict)
    transport_share: Share = 0.0
    handover: DistField = Field(default_factory=lambda: _zero_dist())
    lights_and_sirens: bool = True


class TurnoutSpec(_Strict):
    day: DistField
    night: DistField | None = None
    night_start_hour: Hour = 23.0
    night_end_hour: Hour = 7.0


def _hour_of_week(v: Any) -> Any:
    if v == "flat":
        return [1.0] * 168
    return v


class DemandSpec(_Strict):
    rates: dict[CountryCode, dict[str, NonNeg]] = Field(default_factory=dict)
    hour_of_week: Literal["default"] | Annotated[list[NonNeg], BeforeValidator(_hour_of_week)] = "default"
    spread: Distance = 1500.0
    max_place_distance: Distance = 3000.0
    scale: NonNeg = 1.0
    places: Literal["region"] | list[PlaceSpec] = "region"
    exclude_places: list[str] = Field(default_factory=list)
    extra_places: list[PlaceSpec] = Field(default_factory=list)
    incident_log: str | None = None


class PolicySpec(_Strict):
    call_processing: DistField | None = None
    redispatch_returning: bool = True
    hospital: Literal["nearest", "nearest_any"] = "nearest"


class AgreementSpec(_Strict):
    name: Name
    parties: Annotated[list[Name], Field(min_length=2, max_length=2)]
    unit_types: Annotated[list[UnitTypeName], Field(min_length=1)]
    rule: RuleName = "always_fastest"
    direction: Direction = "both"
    threshold: Duration = 0.0
    request_delay: DistField = Field(default_factory=lambda: _zero_dist())
    keep_home_min: Count = 0
    foreign_hospital: bool = False
    stations: list[str] = Field(default_factory=list)
    source: str = ""


class FactorsSpec(_Strict):
    urgent: dict[UnitTypeName, Positive] = Field(default_factory=dict)
    normal: dict[UnitTypeName, Positive] = Field(default_factory=dict)


class NormSpec(_Strict):
    limit: PosDuration
    share: Share
    source: Source
    service: str = "ambulance"
    label: str = ""


class FocusSpec(_Strict):
    """An area reported on its own (e.g. the Baarle-Hertog enclaves)."""

    name: Name
    source: Source
    country: CountryCode | None = None
    enclaves_of: CountryCode | None = None
    bbox: Annotated[list[float], Field(min_length=4, max_length=4)] | None = None
    polygon: Annotated[list[Annotated[list[float], Field(min_length=2, max_length=2)]],
                       Field(min_length=3)] | None = None

    @model_validator(mode="after")
    def _some_area(self) -> FocusSpec:
        if self.enclaves_of is None and self.bbox is None and self.polygon is None:
            raise ValueError("a focus area needs enclaves_of, bbox or polygon")
        if self.bbox is not None:
            w, s, e, n = self.bbox
            if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
                raise ValueError("bbox is [west, south, east, north] in degrees with west < east "
                                 "and south < north")
        return self


class NetworkSpec(_Strict):
    file: Name
    name: str = ""


class ScenarioDoc(_Strict):
    """The validated content of a scenario file (one variant, or the base document)."""

    name: str = ""
    description: str = ""
    region: str | None = None
    network: NetworkSpec | None = None
    horizon: PosDuration
    warmup: Duration = 0.0
    replications: PosCount = 5
    seed: Count = 0
    demand: DemandSpec = Field(default_factory=DemandSpec)
    incident_types: list[IncidentTypeSpec] | None = None
    turnout: dict[UnitTypeName, TurnoutSpec] = Field(default_factory=dict)
    stations: Annotated[list[StationSpec], Field(min_length=1)]
    hospitals: Literal["region"] | list[HospitalSpec] = "region"
    policy: PolicySpec = Field(default_factory=PolicySpec)
    agreements: list[AgreementSpec] = Field(default_factory=list)
    emergency_factors: FactorsSpec = Field(default_factory=FactorsSpec)
    norms: dict[str, NormSpec] = Field(default_factory=dict)
    focus: list[FocusSpec] = Field(default_factory=list)
    uncertain: dict[str, UncertainSpec] = Field(default_factory=dict)
