"""Scenario files: YAML validated by pydantic, with file and line in every message, and variants.

A scenario file describes one study: the region (or a road network file), demand, incident types,
stations and units, the dispatch policy, cross-border agreements, the simulated time and the
replications; and under ``variants:`` the named alternatives to compare (e.g. ``national`` and
``benelux-2009``). :func:`load_scenario` reads and checks a file; :meth:`Scenario.check_network`
adds the checks that need the road network; :meth:`Scenario.model_specs` turns every variant into
the :class:`sim.model.spec.ModelSpec` the engine runs.

Conventions
-----------
- Quantities carry their unit as a string: durations ``"90 s"``, ``"15 min"``, ``"2 h"``,
  ``"28 d"``; distances ``"1500 m"``, ``"1.5 km"``; speeds ``"70 km/h"``. A bare number is an
  error (a reader of ``request_delay: 90`` cannot tell seconds from minutes).
- A duration distribution is ``{kind: lognormal, mean: 90 s, sd: 30 s, cap: 88 min}``
  (kinds and parameters as in :class:`sim.model.distributions.Dist`), or a single duration for a fixed
  value (``request_delay: 90 s``).
- Every coordinate carries a ``source`` saying where the position comes from.
- Unknown keys are errors.

Variants
--------
Each variant is a mapping deep-merged over the base document (everything except ``variants:``):
mappings merge key by key; a list replaces the base list wholesale; and for the lists of named
items (``stations``, ``hospitals``, ``agreements``, ``incident_types``, ``focus`` and
``demand.places``) a *mapping* addresses items by name: ``{"Baarle fire": {also_serves: []}}``
edits that station, ``{"Baarle fire": null}`` removes it, an unknown name adds a new item.
Variants cannot change ``region``, ``network``, ``horizon``, ``warmup``, ``replications``,
``seed`` or ``focus``: every variant replays the same incidents (common random numbers).
The first variant is the reference the others are compared with.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from sim.errors import DataError
from sim.model.agreements import Agreement, DispatchPolicy
from sim.model.countries import DEFAULT_NORMS
from sim.model.demand import Demand, IncidentLog, IncidentType, Place
from sim.model.distributions import Dist
from sim.model.norms import Norm
from sim.model.spec import ModelSpec
from sim.model.units import UNIT_TYPES, Hospital, OffNetworkAccess, Shift, Station, Turnout
from sim.paths import bundled_regions, data_dir
from sim.roads.network import DETOUR_FACTOR, OFF_NETWORK_SPEED_KMH, SNAP_LIMIT_M
from sim.roads.speeds import EmergencyFactors

if TYPE_CHECKING:  # pragma: no cover
    from sim.roads.network import RoadNetwork


COUNTRIES = ("BE", "NL", "LU", "DE", "FR")
FIXED_IN_VARIANTS = ("name", "description", "region", "network", "horizon", "warmup",
                     "replications", "seed", "focus", "variants")
NAMED_LISTS = {("stations",), ("hospitals",), ("agreements",), ("incident_types",), ("focus",),
               ("demand", "places"), ("demand", "extra_places")}

# ---------------------------------------------------------------------------------------- units

_DURATION_UNITS: dict[str, float] = {
    "s": 1.0, "sec": 1.0, "second": 1.0, "seconds": 1.0,
    "min": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86_400.0, "day": 86_400.0, "days": 86_400.0,
    "w": 604_800.0, "week": 604_800.0, "weeks": 604_800.0,
}
_DISTANCE_UNITS: dict[str, float] = {"m": 1.0, "km": 1000.0}
_SPEED_UNITS: dict[str, float] = {"km/h": 1.0, "kmh": 1.0, "kph": 1.0}
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z/]+)\s*$")


_CANONICAL = {"duration": "s, min, h, d, w", "distance": "m, km", "speed": "km/h"}


def _parse_quantity(value: object, units: dict[str, float], what: str, example: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a {what} with a unit, e.g. {example}")
    if isinstance(value, int | float):
        raise ValueError(f"{value!r} needs a unit, e.g. {example}")
    m = _QUANTITY.match(value)
    if not m:
        raise ValueError(f"{value!r} is not a {what}: write a number and a unit, e.g. {example}")
    unit = m.group(2)
    factor = units.get(unit, units.get(unit.lower()))
    if factor is None:
        raise ValueError(f"{value!r} is not a {what}: unit {unit!r} is not one of {_CANONICAL[what]}")
    return float(m.group(1)) * factor


def parse_duration(value: object) -> float:
    """Seconds from ``"90 s"``, ``"15 min"``, ``"2 h"``, ``"28 d"`` or ``"1 w"``."""
    return _parse_quantity(value, _DURATION_UNITS, "duration", "'90 s', '15 min', '2 h' or '28 d'")


def parse_distance(value: object) -> float:
    """Metres from ``"1500 m"`` or ``"1.5 km"``."""
    return _parse_quantity(value, _DISTANCE_UNITS, "distance", "'1500 m' or '1.5 km'")


def parse_speed(value: object) -> float:
    """Kilometres per hour from ``"70 km/h"``."""
    return _parse_quantity(value, _SPEED_UNITS, "speed", "'70 km/h'")


def _check(cond: Callable[[float], bool], msg: str) -> Callable[[float], float]:
    def check(v: float) -> float:
        if not cond(v):
            raise ValueError(msg)
        return v

    return check


def _non_empty(v: str) -> str:
    if not v.strip():
        raise ValueError("must not be empty")
    return v


Lat = Annotated[float, AfterValidator(_check(lambda v: -90 <= v <= 90, "must be between -90 and 90"))]
Lon = Annotated[float, AfterValidator(_check(lambda v: -180 <= v <= 180,
                                             "must be between -180 and 180"))]
Duration = Annotated[float, BeforeValidator(parse_duration),
                     AfterValidator(_check(lambda v: v >= 0, "must not be negative"))]
PosDuration = Annotated[Duration, AfterValidator(_check(lambda v: v > 0, "must be longer than 0 s"))]
Distance = Annotated[float, BeforeValidator(parse_distance),
                     AfterValidator(_check(lambda v: v >= 0, "must not be negative"))]
Speed = Annotated[float, BeforeValidator(parse_speed),
                  AfterValidator(_check(lambda v: v > 0, "must be above 0 km/h"))]
NonNeg = Annotated[float, AfterValidator(_check(lambda v: v >= 0, "must be at least 0"))]
Positive = Annotated[float, AfterValidator(_check(lambda v: v > 0, "must be above 0"))]
Share = Annotated[float, AfterValidator(_check(lambda v: 0 <= v <= 1, "must be between 0 and 1"))]
Count = Annotated[int, AfterValidator(_check(lambda v: v >= 0, "must be at least 0"))]
PosCount = Annotated[int, AfterValidator(_check(lambda v: v >= 1, "must be at least 1"))]
Hour = Annotated[float, AfterValidator(_check(lambda v: 0 <= v <= 24, "must be between 0 and 24"))]
Name = Annotated[str, AfterValidator(_non_empty)]
Source = Annotated[str, AfterValidator(_non_empty)]
Country = Literal["BE", "NL", "LU", "DE", "FR"]
UnitType = Literal["ambulance", "smur", "pumper", "ladder"]
DistKind = Literal["fixed", "exponential", "lognormal", "weibull", "gamma", "uniform", "triangular"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------------------------------- schema

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
    detour_factor: Annotated[float, AfterValidator(_check(lambda v: v >= 1, "must be at least 1"))] = (
        DETOUR_FACTOR)
    speed: Speed = OFF_NETWORK_SPEED_KMH
    note: str = ""


class StationSpec(_Strict):
    name: Name
    country: Country
    dispatch_centre: str | None = None
    lat: Lat
    lon: Lon
    source: Source
    units: dict[UnitType, Count]
    shifts: dict[UnitType, ShiftField] = Field(default_factory=dict)
    off_network: OffNetworkSpec | None = None
    also_serves: list[str] = Field(default_factory=list)
    note: str = ""


class HospitalSpec(_Strict):
    name: Name
    country: Country
    lat: Lat
    lon: Lon
    emergency: bool = True
    source: Source


class PlaceSpec(_Strict):
    name: Name
    country: Country
    lat: Lat
    lon: Lon
    population: NonNeg
    source: Source


class OptionalNeedSpec(_Strict):
    count: PosCount = 1
    share: Share


class IncidentTypeSpec(_Strict):
    name: Name
    urgency: Annotated[int, AfterValidator(_check(lambda v: v in (1, 2, 3), "must be 1, 2 or 3"))]
    needs: dict[UnitType, PosCount]
    primary: UnitType | None = None
    optional_needs: dict[UnitType, OptionalNeedSpec] = Field(default_factory=dict)
    on_scene: dict[UnitType | Literal["default"], DistField] = Field(default_factory=dict)
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
    rates: dict[Country, dict[str, NonNeg]] = Field(default_factory=dict)
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
    unit_types: Annotated[list[UnitType], Field(min_length=1)]
    rule: Literal["always_fastest", "if_faster_by", "if_home_eta_over", "if_no_home_unit"] = "always_fastest"
    direction: Literal["both", "first_helps_second", "second_helps_first"] = "both"
    threshold: Duration = 0.0
    request_delay: DistField = Field(default_factory=lambda: _zero_dist())
    keep_home_min: Count = 0
    foreign_hospital: bool = False
    stations: list[str] = Field(default_factory=list)
    source: str = ""


class FactorsSpec(_Strict):
    urgent: dict[UnitType, Positive] = Field(default_factory=dict)
    normal: dict[UnitType, Positive] = Field(default_factory=dict)


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
    country: Country | None = None
    enclaves_of: Country | None = None
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
    turnout: dict[UnitType, TurnoutSpec] = Field(default_factory=dict)
    stations: Annotated[list[StationSpec], Field(min_length=1)]
    hospitals: Literal["region"] | list[HospitalSpec] = "region"
    policy: PolicySpec = Field(default_factory=PolicySpec)
    agreements: list[AgreementSpec] = Field(default_factory=list)
    emergency_factors: FactorsSpec = Field(default_factory=FactorsSpec)
    norms: dict[str, NormSpec] = Field(default_factory=dict)
    focus: list[FocusSpec] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file, located by file, line and field path."""

    file: str
    line: int
    path: str
    message: str
    variant: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        what = self.path + (f" (variant {self.variant!r})" if self.variant else "")
        return f"{where} {what}: {self.message}" if what else f"{where}: {self.message}"


class ScenarioError(DataError):
    """A scenario file with problems; ``str()`` gives one line per problem."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def path_str(loc: Iterable[str | int]) -> str:
    """``("stations", 3, "lat")`` -> ``"stations[3].lat"``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


# ---------------------------------------------------------------------------------------- YAML


@dataclass
class _Lines:
    """Line numbers mirroring a YAML value: the line of this node and of its children."""

    line: int
    children: dict[Any, _Lines] | list[_Lines] | None = None

    def find(self, loc: Sequence[Any]) -> int:
        node = self
        for part in loc:
            kids = node.children
            if isinstance(kids, dict) and part in kids:
                node = kids[part]
                continue
            if isinstance(kids, list) and isinstance(part, int) and 0 <= part < len(kids):
                node = kids[part]
                continue
            break
        return node.line


def _read_yaml(text: str, filename: str) -> tuple[Any, _Lines, list[Problem]]:
    """Parse YAML into plain values and a parallel tree of line numbers (1-based)."""
    loader = yaml.SafeLoader(text)
    problems: list[Problem] = []
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 0
            msg = " ".join(str(s) for s in (exc.context, exc.problem) if s)
            raise ScenarioError([Problem(filename, line, "", f"not valid YAML: {msg}")]) from None
        except yaml.YAMLError as exc:
            raise ScenarioError([Problem(filename, 0, "", f"not valid YAML: {exc}")]) from None
        if root is None:
            raise ScenarioError([Problem(filename, 1, "", "the file is empty")])

        def build(node: yaml.Node, line: int, loc: tuple[Any, ...]) -> tuple[Any, _Lines]:
            if isinstance(node, yaml.MappingNode):
                loader.flatten_mapping(node)
                out: dict[Any, Any] = {}
                kids: dict[Any, _Lines] = {}
                for knode, vnode in node.value:
                    key = loader.construct_object(knode, deep=True)
                    kline = knode.start_mark.line + 1
                    if key in out:
                        problems.append(Problem(filename, kline, path_str((*loc, key)),
                                                "duplicate key (the earlier one would be ignored)"))
                    out[key], kids[key] = build(vnode, kline, (*loc, key))
                return out, _Lines(line, kids)
            if isinstance(node, yaml.SequenceNode):
                items, lines = [], []
                for i, item in enumerate(node.value):
                    v, lk = build(item, item.start_mark.line + 1, (*loc, i))
                    items.append(v)
                    lines.append(lk)
                return items, _Lines(line, lines)
            return loader.construct_object(node, deep=True), _Lines(line)

        try:
            data, lines = build(root, root.start_mark.line + 1, ())
        except yaml.YAMLError as exc:
            raise ScenarioError([Problem(filename, 0, "", f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ScenarioError([Problem(filename, lines.line, "",
                                     "a scenario file is a mapping of keys (name, region, stations, ...)")])
    return data, lines, problems


# ---------------------------------------------------------------------------------------- variants


def _is_named_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, dict) and "name" in x for x in v)


def _merge(base: Any, bl: _Lines, over: Any, ol: _Lines, loc: tuple[str, ...]) -> tuple[Any, _Lines]:
    """Deep-merge `over` onto `base`, carrying the line numbers of whichever value wins."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        bk = dict(bl.children) if isinstance(bl.children, dict) else {}
        ok = ol.children if isinstance(ol.children, dict) else {}
        for key, val in over.items():
            kl = ok.get(key, _Lines(ol.line))
            if key in out:
                out[key], bk[key] = _merge(out[key], bk.get(key, _Lines(bl.line)), val, kl, (*loc, key))
            else:
                out[key], bk[key] = val, kl
        return out, _Lines(bl.line, bk)
    if loc in NAMED_LISTS and isinstance(over, dict) and _is_named_list(base):
        items = list(base)
        lines = list(bl.children) if isinstance(bl.children, list) else [_Lines(bl.line)] * len(items)
        ok = ol.children if isinstance(ol.children, dict) else {}
        for name, val in over.items():
            idx = next((i for i, x in enumerate(items) if x.get("name") == name), None)
            kl = ok.get(name, _Lines(ol.line))
            if val is None:
                if idx is not None:
                    del items[idx], lines[idx]
                continue
            if idx is None:
                new = {"name": name, **val} if isinstance(val, dict) else val
                items.append(new)
                lines.append(kl)
            else:
                items[idx], lines[idx] = _merge(items[idx], lines[idx], val, kl, ())
        return items, _Lines(ol.line, lines)
    return over, ol


# ---------------------------------------------------------------------------------------- errors


def _friendly(err: dict[str, Any], data: Any) -> tuple[tuple[Any, ...], str]:
    """A pydantic error as (location, message) in words a planner understands."""
    loc = tuple(err.get("loc", ()))
    kind = err.get("type", "")
    msg = str(err.get("msg", ""))
    if "[key]" in loc:
        loc = tuple(p for p in loc if p != "[key]")
        parent = loc[-2] if len(loc) >= 2 else ""
        if parent in ("units", "shifts", "needs", "on_scene", "optional_needs", "turnout", "urgent",
                      "normal"):
            extra = ", default" if parent == "on_scene" else ""
            return loc, f"unknown unit type {loc[-1]!r} (known: {', '.join(UNIT_TYPES)}{extra})"
        if parent == "rates":
            return loc, f"unknown country {loc[-1]!r} (known: {', '.join(COUNTRIES)})"
        expected = err.get("ctx", {}).get("expected", "")
        return loc, f"unknown key {loc[-1]!r}" + (f" (allowed: {expected})" if expected else "")
    if kind == "extra_forbidden":
        parent = data
        allowed: list[str] = []
        try:
            for p in loc[:-1]:
                parent = parent[p]
        except (KeyError, IndexError, TypeError):
            parent = None
        model = _model_at(loc[:-1])
        if model is not None:
            allowed = list(model.model_fields)
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        text = f"unknown key {loc[-1]!r}"
        if hint:
            text += f" (did you mean {hint[0]!r}?)"
        elif allowed:
            text += f" (allowed: {', '.join(allowed)})"
        return loc, text
    if kind == "missing":
        return loc, "missing (required)"
    if kind in ("value_error", "assertion_error"):
        return loc, msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "literal_error":
        return loc, msg.replace("Input should be", "must be")
    if kind == "too_short" or kind == "too_long":
        return loc, msg.replace("List should have", "must have").replace("Input should have", "must have")
    return loc, msg.replace("Input should be", "must be")


def _model_at(loc: Sequence[Any]) -> type[BaseModel] | None:
    """The pydantic model that validates the value at `loc` (for listing allowed keys)."""
    model: type[BaseModel] | None = ScenarioDoc
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        fld = model.model_fields.get(str(part))
        if fld is None:
            # dict values (units, turnout, norms) keep the same model one level further down
            continue
        model = _inner_model(fld.annotation)
    return model


def _inner_model(tp: Any) -> type[BaseModel] | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    for arg in getattr(tp, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    meta = getattr(tp, "__origin__", None)
    if meta is not None and isinstance(meta, type) and issubclass(meta, BaseModel):
        return meta
    return None


def _validate_doc(data: dict[str, Any], lines: _Lines, filename: str,
                  variant: str = "") -> tuple[ScenarioDoc | None, list[Problem]]:
    try:
        doc = ScenarioDoc.model_validate(data)
    except ValidationError as exc:
        probs = []
        for err in exc.errors(include_url=False):
            loc, msg = _friendly(dict(err), data)
            probs.append(Problem(filename, lines.find(loc), path_str(loc), msg, variant))
        return None, probs
    return doc, [Problem(filename, lines.find(loc), path_str(loc), msg, variant)
                 for loc, msg in _semantic_checks(doc)]


def _known_type_names(doc: ScenarioDoc) -> list[str]:
    if doc.incident_types is not None:
        return [t.name for t in doc.incident_types]
    from sim.model import defaults

    return [t.name for t in defaults.default_incident_types()]


def _semantic_checks(doc: ScenarioDoc) -> list[tuple[tuple[Any, ...], str]]:
    """Checks across fields that need no network."""
    out: list[tuple[tuple[Any, ...], str]] = []
    if (doc.region is None) == (doc.network is None):
        out.append(((), "give exactly one of region (a bundled region or a region folder) and network"))
    if doc.warmup >= doc.horizon:
        out.append((("warmup",), "must be shorter than the horizon"))
    named: tuple[tuple[str, Sequence[Any]], ...] = (
        ("stations", doc.stations), ("agreements", doc.agreements),
        ("incident_types", doc.incident_types or []), ("focus", doc.focus),
        ("hospitals", doc.hospitals if isinstance(doc.hospitals, list) else []))
    for key, items in named:
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if item.name in seen:
                out.append(((key, i, "name"), f"{item.name!r} is used twice (also {key}[{seen[item.name]}])"))
            seen[item.name] = i
    station_names = {s.name for s in doc.stations}
    for i, s in enumerate(doc.stations):
        for unit in s.shifts:
            if unit not in s.units:
                out.append((("stations", i, "shifts", unit), f"the station has no {unit} units"))
    if sum(sum(s.units.values()) for s in doc.stations) == 0:
        out.append((("stations",), "no station has any unit"))
    for i, a in enumerate(doc.agreements):
        if a.parties[0] == a.parties[1]:
            out.append((("agreements", i, "parties"), "the two parties must differ"))
        for j, st in enumerate(a.stations):
            if st not in station_names:
                out.append((("agreements", i, "stations", j), _unknown("station", st, station_names)))
        if a.rule in ("if_faster_by", "if_home_eta_over") and a.threshold <= 0:
            out.append((("agreements", i, "threshold"), f"rule {a.rule} needs a threshold above 0 s"))
    types = _known_type_names(doc)
    for i, t in enumerate(doc.incident_types or []):
        if t.primary is not None and t.primary not in t.needs:
            out.append((("incident_types", i, "primary"), f"{t.primary!r} is not among its needs"))
    for country, rates in doc.demand.rates.items():
        for name in rates:
            if name not in types:
                out.append((("demand", "rates", country, name), _unknown("incident type", name, types)))
    if doc.demand.hour_of_week != "default":
        how = doc.demand.hour_of_week
        if len(how) != 168:
            out.append((("demand", "hour_of_week"),
                        f"must hold 168 weights (one per hour of the week), not {len(how)}"))
        elif sum(how) <= 0:
            out.append((("demand", "hour_of_week"), "the weights must not all be zero"))
    return out


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    known = sorted(set(known))
    hint = difflib.get_close_matches(name, known, n=1) or [
        k for k in known if name and (k.lower().startswith(name.lower()) or name.lower() in k.lower())][:1]
    if hint:
        return f"unknown {what} {name!r} (did you mean {hint[0]!r}?)"
    return f"unknown {what} {name!r} (known: {', '.join(known)})"


# ---------------------------------------------------------------------------------------- scenario


@dataclass
class Scenario:
    """A validated scenario file: the base document and one validated document per variant.

    Build it with :func:`load_scenario` (or :meth:`from_text`).
    """

    name: str
    path: Path | None
    text: str
    data: dict[str, Any]
    base: ScenarioDoc
    variants: dict[str, ScenarioDoc]
    _lines: _Lines = field(repr=False)
    _variant_lines: dict[str, _Lines] = field(repr=False, default_factory=dict)

    # -------------------------------------------------------------- construction
    @classmethod
    def from_text(cls, text: str, *, filename: str = "<scenario>", path: Path | None = None) -> Scenario:
        """Parse and validate a scenario; raise :class:`ScenarioError` listing every problem."""
        data, lines, problems = _read_yaml(text, filename)
        base_data = {k: v for k, v in data.items() if k != "variants"}
        base, probs = _validate_doc(base_data, lines, filename)
        problems += probs
        seen = {(p.line, p.path, p.message) for p in problems}
        variants: dict[str, ScenarioDoc] = {}
        variant_lines: dict[str, _Lines] = {}
        raw_variants = data.get("variants", None)
        vlines = lines.children.get("variants", _Lines(lines.line)) if isinstance(lines.children, dict) \
            else _Lines(lines.line)
        if "variants" not in data:
            raw_variants = {"base": {}}
        elif not isinstance(raw_variants, dict) or not raw_variants:
            problems.append(Problem(filename, vlines.line, "variants",
                                    "must name at least one variant, e.g. national: {agreements: []}"))
            raw_variants = {}
        for vname, over in raw_variants.items():
            ol = vlines.children.get(vname, _Lines(vlines.line)) if isinstance(vlines.children, dict) \
                else _Lines(vlines.line)
            vloc = ("variants", vname)
            if not isinstance(vname, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", str(vname)):
                problems.append(Problem(filename, ol.line, path_str(vloc),
                                        "a variant name uses letters, digits, '-', '_' and '.'"))
                continue
            if "variants" in data and (not isinstance(over, dict) or not over):
                problems.append(Problem(filename, ol.line, path_str(vloc),
                                        "empty variant: give the keys it changes, e.g. agreements: []"))
                continue
            fixed = [k for k in over if k in FIXED_IN_VARIANTS]
            okids = ol.children if isinstance(ol.children, dict) else {}
            for k in fixed:
                problems.append(Problem(filename, okids.get(k, ol).line, path_str((*vloc, k)),
                                        "cannot change in a variant: every variant shares region, "
                                        "network, horizon, warm-up, replications, seed and focus"))
            if fixed:
                continue
            merged, mlines = _merge(base_data, lines, over, ol, ())
            doc, probs = _validate_doc(merged, mlines, filename, vname)
            for p in probs:
                key = (p.line, p.path, p.message)
                if key not in seen:
                    problems.append(p)
                    seen.add(key)
            if doc is not None:
                variants[vname] = doc
                variant_lines[vname] = mlines
        if problems or base is None:
            raise ScenarioError(sorted(problems, key=lambda p: (p.line, p.path)))
        name = base.name or (path.name.removesuffix(".yaml").removesuffix(".yml") if path else "scenario")
        return cls(name=name, path=path, text=text, data=data, base=base, variants=variants,
                   _lines=lines, _variant_lines=variant_lines)

    # -------------------------------------------------------------- facts
    @property
    def filename(self) -> str:
        return self.path.name if self.path else "<scenario>"

    @property
    def variant_names(self) -> list[str]:
        """Variant names in file order; the first is the reference."""
        return list(self.variants)

    @property
    def replications(self) -> int:
        return self.base.replications

    @property
    def seed(self) -> int:
        return self.base.seed

    def line_of(self, loc: Sequence[Any], variant: str | None = None) -> int:
        lines = self._variant_lines.get(variant, self._lines) if variant else self._lines
        return lines.find(loc)

    def resolve(self, relative: str) -> Path:
        """A path written in the file, relative to the file's folder."""
        p = Path(relative).expanduser()
        if not p.is_absolute() and self.path is not None:
            p = self.path.parent / p
        return p

    def norms(self) -> dict[str, Norm]:
        """Norms by country (or dispatch centre): the defaults with the file's overrides."""
        out = dict(DEFAULT_NORMS)
        for key, n in self.base.norms.items():
            out[key] = Norm(key if key in COUNTRIES else "", n.service, n.limit, n.share, n.source,
                            n.label or f"{key} {n.limit / 60:g} min / {n.share:.0%}")
        return out

    def as_run_yaml(self, *, replications: int, seed: int) -> str:
        """The scenario as run: the file's text with the effective replications and seed."""
        doc = copy.deepcopy(self.data)
        doc["replications"], doc["seed"] = int(replications), int(seed)
        head = (f"# Scenario as run by xborder (from {self.filename}); "
                f"replications={replications}, seed={seed}\n")
        return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110)

    # -------------------------------------------------------------- the network
    def load_region(self) -> Any:
        """Load the region (or network) the scenario runs on; raise ScenarioError if unknown."""
        b = self.base
        if b.region is not None:
            from sim.scenario.region import load_region

            candidate = self.resolve(b.region)
            known = bundled_regions()
            if b.region not in known and not candidate.exists():
                raise ScenarioError([Problem(self.filename, self.line_of(("region",)), "region",
                                             _unknown("region", b.region, known)
                                             + f"; or a path to a region folder (data: {data_dir()})")])
            try:
                return load_region(b.region if b.region in known else str(candidate))
            except DataError as exc:
                raise ScenarioError([Problem(self.filename, self.line_of(("region",)), "region",
                                             str(exc))]) from None
        assert b.network is not None
        from sim.roads.osm import load_network

        src = self.resolve(b.network.file)
        if not src.exists():
            raise ScenarioError([Problem(self.filename, self.line_of(("network", "file")), "network.file",
                                         f"no such file: {src}")])
        try:
            return _NetworkOnly(b.network.name or src.name, load_network(src))
        except DataError as exc:
            raise ScenarioError([Problem(self.filename, self.line_of(("network", "file")),
                                         "network.file", str(exc))]) from None

    def check_network(self, region: Any) -> list[Problem]:
        """Problems only the network reveals: points off the network, unknown centres, places."""
        net: RoadNetwork = region.network
        problems: list[Problem] = []
        seen: set[tuple[int, str, str]] = set()

        def add(variant: str, loc: tuple[Any, ...], msg: str) -> None:
            line = self.line_of(loc, variant)
            key = (line, path_str(loc), msg)
            if key not in seen:
                seen.add(key)
                problems.append(Problem(self.filename, line, path_str(loc), msg,
                                        variant if line != self.line_of(loc) else ""))

        parties_known = set(net.countries) | set(net.centres)
        for vname, doc in self.variants.items():
            for i, s in enumerate(doc.stations):
                d = _distance_to_network(net, s.lat, s.lon)
                if s.off_network is None and d > SNAP_LIMIT_M:
                    add(vname, ("stations", i), f"{s.name!r} is {d / 1000:.1f} km from the nearest road "
                        f"of the network (more than {SNAP_LIMIT_M / 1000:g} km): move it or declare "
                        "off_network with an entry point on a border road")
                if s.off_network is not None:
                    e = s.off_network.entry
                    de = _distance_to_network(net, e.lat, e.lon)
                    if de > SNAP_LIMIT_M:
                        add(vname, ("stations", i, "off_network", "entry"),
                            f"the entry point is {de / 1000:.1f} km from the network (at most "
                            f"{SNAP_LIMIT_M / 1000:g} km)")
                for j, centre in enumerate([s.dispatch_centre, *s.also_serves]):
                    if centre is not None and centre not in net.centres:
                        loc = (("stations", i, "dispatch_centre") if j == 0
                               else ("stations", i, "also_serves", j - 1))
                        add(vname, loc, _unknown("dispatch centre", centre, net.centres))
                if s.dispatch_centre is None and s.country not in net.centre_country:
                    add(vname, ("stations", i, "dispatch_centre"),
                        f"the network has no dispatch centre in {s.country}; name one "
                        f"({', '.join(net.centres)})")
            place_names = ({p.name for p in getattr(region, "places", ())} if doc.demand.places == "region"
                           else {p.name for p in doc.demand.places})
            for i, name in enumerate(doc.demand.exclude_places):
                if name not in place_names:
                    add(vname, ("demand", "exclude_places", i), _unknown("place", name, place_names))
            if isinstance(doc.hospitals, list):
                for i, h in enumerate(doc.hospitals):
                    d = _distance_to_network(net, h.lat, h.lon)
                    if d > SNAP_LIMIT_M:
                        add(vname, ("hospitals", i), f"{h.name!r} is {d / 1000:.1f} km from the nearest "
                            f"road of the network (more than {SNAP_LIMIT_M / 1000:g} km)")
            for i, a in enumerate(doc.agreements):
                for j, party in enumerate(a.parties):
                    if party not in parties_known:
                        add(vname, ("agreements", i, "parties", j),
                            _unknown("party (country or dispatch centre)", party, parties_known))
            for key in doc.norms:
                if key not in COUNTRIES and key not in net.centres:
                    add(vname, ("norms", key), _unknown("country or dispatch centre", key,
                                                         list(COUNTRIES) + list(net.centres)))
            if doc.demand.incident_log is not None:
                try:
                    _read_incident_log(self.resolve(doc.demand.incident_log), _known_type_names(doc))
                except DataError as exc:
                    add(vname, ("demand", "incident_log"), str(exc))
        return sorted(problems, key=lambda p: (p.line, p.path))

    # -------------------------------------------------------------- model specs
    def model_specs(self, region: Any) -> dict[str, ModelSpec]:
        """One :class:`ModelSpec` per variant (file order), defaults filled from :mod:`sim.model.defaults`."""
        return {name: self.model_spec(name, region) for name in self.variants}

    def model_spec(self, variant: str, region: Any) -> ModelSpec:
        """The :class:`ModelSpec` of one variant."""
        from sim.model import defaults

        doc = self.variants[variant]
        net: RoadNetwork = region.network
        if doc.incident_types is None:
            types = tuple(defaults.default_incident_types())
        else:
            types = tuple(_incident_type(t) for t in doc.incident_types)
        turnout = dict(defaults.default_turnout())
        for unit, t in doc.turnout.items():
            turnout[unit] = Turnout(day=t.day.to_dist(), night=t.night.to_dist() if t.night else None,
                                    night_start_hour=t.night_start_hour, night_end_hour=t.night_end_hour)
        rates = {c: dict(r) for c, r in defaults.default_rates().items()}
        for country, r in doc.demand.rates.items():
            rates.setdefault(country, {}).update(r)
        how = doc.demand.hour_of_week
        hour_of_week = tuple(defaults.default_hour_of_week()) if how == "default" else tuple(how)
        demand = Demand(rates_per_1000=rates, hour_of_week=hour_of_week, spread_m=doc.demand.spread,
                        max_place_distance_m=doc.demand.max_place_distance, scale=doc.demand.scale)
        if doc.demand.places == "region":
            places = tuple(getattr(region, "places", ()) or ())
        else:
            places = tuple(Place(p.name, p.country, p.lat, p.lon, p.population) for p in doc.demand.places)
        excluded = set(doc.demand.exclude_places)
        places = tuple(p for p in places if p.name not in excluded) + tuple(
            Place(p.name, p.country, p.lat, p.lon, p.population) for p in doc.demand.extra_places)
        if doc.hospitals == "region":
            hospitals = tuple(getattr(region, "hospitals", ()) or ())
        else:
            hospitals = tuple(Hospital(h.name, h.country, h.lat, h.lon, h.emergency, h.source)
                              for h in doc.hospitals)
        stations = tuple(_station(s, net) for s in doc.stations)
        p = doc.policy
        policy = DispatchPolicy(
            call_processing=p.call_processing.to_dist() if p.call_processing
            else defaults.DEFAULT_CALL_PROCESSING,
            redispatch_returning=p.redispatch_returning, hospital=p.hospital)
        agreements = tuple(
            Agreement(name=a.name, parties=(a.parties[0], a.parties[1]), unit_types=tuple(a.unit_types),
                      rule=a.rule, direction=a.direction, threshold_s=a.threshold,
                      request_delay=a.request_delay.to_dist(), keep_home_min=a.keep_home_min,
                      foreign_hospital=a.foreign_hospital, stations=tuple(a.stations))
            for a in doc.agreements)
        base_f = EmergencyFactors()
        factors = EmergencyFactors(
            urgent={**base_f.urgent, **{str(k): v for k, v in doc.emergency_factors.urgent.items()}},
            normal={**base_f.normal, **{str(k): v for k, v in doc.emergency_factors.normal.items()}})
        log = None
        if doc.demand.incident_log is not None:
            log = _read_incident_log(self.resolve(doc.demand.incident_log), [t.name for t in types])
        return ModelSpec(incident_types=types, stations=stations, hospitals=hospitals, turnout=turnout,
                         demand=demand, places=places, policy=policy, agreements=agreements,
                         factors=factors, horizon_s=doc.horizon, warmup_s=doc.warmup, incident_log=log)

    # -------------------------------------------------------------- focus areas
    def focus_masks(self, lat: Any, lon: Any, country: Any) -> dict[str, np.ndarray]:
        """For each focus area, whether each point lies in it (vectorised)."""
        import shapely

        lat_a, lon_a = np.asarray(lat, float), np.asarray(lon, float)
        ctry = np.asarray(country, dtype=object)
        out: dict[str, np.ndarray] = {}
        for f in self.base.focus:
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
                geom = self._enclaves(f.enclaves_of)
                mask &= shapely.contains_xy(geom, lon_a, lat_a) if geom is not None else False
            out[f.name] = mask
        return out

    def _enclaves(self, country: str) -> Any:
        """The parts of a country's jurisdiction other than its largest (enclaves and exclaves)."""
        import json

        import shapely
        from shapely.geometry import shape

        folder = self.resolve(self.base.region) if self.base.region else None
        if folder is None or not folder.is_dir():
            folder = data_dir() / "regions" / str(self.base.region)
        gj = folder / "jurisdictions.geojson"
        if not gj.exists():
            raise DataError(f"{gj}: not found (needed for the focus area enclaves_of: {country})")
        with open(gj, encoding="utf-8") as fh:
            feats = json.load(fh)["features"]
        parts: list[Any] = []
        for feat in feats:
            if feat["properties"].get("country") == country:
                g = shape(feat["geometry"])
                parts.extend(getattr(g, "geoms", [g]))
        if len(parts) < 2:
            return None
        parts.sort(key=lambda p: -p.area)
        geom = shapely.union_all(parts[1:])
        shapely.prepare(geom)
        return geom


@dataclass
class _NetworkOnly:
    """A region made only of a road network (scenarios with ``network:`` instead of ``region:``)."""

    name: str
    network: Any
    places: tuple[Place, ...] = ()
    hospitals: tuple[Hospital, ...] = ()
    ambulance_posts: tuple[Any, ...] = ()


def _distance_to_network(net: RoadNetwork, lat: float, lon: float) -> float:
    _, d = net.nearest_nodes([lat], [lon])
    return float(d[0])


def _incident_type(t: IncidentTypeSpec) -> IncidentType:
    return IncidentType(
        name=t.name, urgency=t.urgency, needs={str(k): v for k, v in t.needs.items()},
        on_scene={k: v.to_dist() for k, v in t.on_scene.items()},
        transport_share=t.transport_share, handover=t.handover.to_dist(), primary=t.primary or "",
        optional_needs={k: (v.count, v.share) for k, v in t.optional_needs.items()},
        lights_and_sirens=t.lights_and_sirens)


def _station(s: StationSpec, net: RoadNetwork) -> Station:
    off = None
    lat, lon = s.lat, s.lon
    if s.off_network is not None:
        o = s.off_network
        off = OffNetworkAccess(entry_lat=o.entry.lat, entry_lon=o.entry.lon, entry_name=o.entry.name,
                               access_time_s=o.access_time, detour_factor=o.detour_factor,
                               speed_kmh=o.speed)
        lat, lon = o.entry.lat, o.entry.lon
    centre = s.dispatch_centre or _default_centre(net, s.country, lat, lon)
    return Station(name=s.name, lat=s.lat, lon=s.lon, country=s.country, dispatch_centre=centre,
                   units={k: v for k, v in s.units.items() if v > 0}, source=s.source,
                   shifts={k: Shift(a, b) for k, (a, b) in s.shifts.items()}, off_network=off,
                   also_serves=tuple(s.also_serves))


def _default_centre(net: RoadNetwork, country: str, lat: float, lon: float) -> str:
    """The dispatch centre of the node nearest to a point if it is in `country`, else that country's first."""
    idx, _ = net.nearest_nodes([lat], [lon])
    code = int(net.node_centre[idx[0]])
    if code >= 0 and net.centre_country[code] == country:
        return net.centres[code]
    for name, c in zip(net.centres, net.centre_country, strict=False):
        if c == country:
            return name
    return ""


def _read_incident_log(path: Path, types: Sequence[str]) -> IncidentLog:
    """An incident log CSV with columns ``t_s`` (seconds from start), ``lat``, ``lon``, ``type``."""
    import pandas as pd

    if not path.exists():
        raise DataError(f"incident log {path}: no such file")
    try:
        df = pd.read_csv(path)
    except Exception as exc:  # pandas raises many kinds
        raise DataError(f"incident log {path}: cannot read it as CSV ({exc})") from None
    missing = [c for c in ("t_s", "lat", "lon", "type") if c not in df.columns]
    if missing:
        raise DataError(f"incident log {path}: missing column(s) {', '.join(missing)} "
                        "(needs t_s, lat, lon, type)")
    bad = sorted(set(df["type"].astype(str)) - set(types))
    if bad:
        raise DataError(f"incident log {path}: unknown incident type(s) {', '.join(bad)}")
    if (df["t_s"] < 0).any():
        raise DataError(f"incident log {path}: t_s must not be negative")
    df = df.sort_values("t_s", kind="stable")
    return IncidentLog(t_s=tuple(df["t_s"].astype(float)), lat=tuple(df["lat"].astype(float)),
                       lon=tuple(df["lon"].astype(float)), type=tuple(df["type"].astype(str)))


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (schema checks; see :meth:`Scenario.check_network`).

    Raises
    ------
    ScenarioError
        Listing every problem as ``file:line field.path: message``.
    """
    p = Path(path)
    if not p.is_file():
        raise ScenarioError([Problem(str(path), 0, "", "no such scenario file")])
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(p.name, 0, "", f"cannot read the file: {exc}")]) from None
    return Scenario.from_text(text, filename=p.name, path=p.resolve())


def validate_file(path: str | Path, *, network: bool = True) -> list[Problem]:
    """Every problem with a scenario file, including (if `network`) those the network reveals."""
    try:
        sc = load_scenario(path)
    except ScenarioError as exc:
        return exc.problems
    if not network:
        return []
    try:
        region = sc.load_region()
    except ScenarioError as exc:
        return exc.problems
    return sc.check_network(region)
