"""Quantities with their unit (durations, distances, speeds) and the bounded numbers of the schema.

A quantity is a string holding a number and a unit: ``"90 s"``, ``"1.5 km"``, ``"70 km/h"``. A bare
number is an error (a reader of ``request_delay: 90`` cannot tell seconds from minutes). The
``Annotated`` types below are the field types of :mod:`sim.scenario.schema`; their messages are
the ones a planner reads.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

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
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value!r} is not a {what}: write a finite number and a unit, e.g. {example}")
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


def bounded(cond: Callable[[float], bool], msg: str) -> AfterValidator:
    """A pydantic validator refusing a value for which `cond` is false, with message `msg`."""

    def check(v: float) -> float:
        if not cond(v):
            raise ValueError(msg)
        return v

    return AfterValidator(check)


def between(low: float, high: float, msg: str) -> AfterValidator:
    """A validator refusing a value outside ``[low, high]`` (and NaN, which compares false)."""
    return bounded(lambda v: low <= v <= high, msg)


def _not_bool(v: Any) -> Any:
    # YAML's true and false are not numbers (pydantic would take true as 1)
    if isinstance(v, bool):
        raise ValueError(f"must be a number, not {str(v).lower()}")
    return v


def _non_empty(v: str) -> str:
    if not v.strip():
        raise ValueError("must not be empty")
    return v


_CONTROL = ("Cc", "Cf", "Cs", "Co", "Cn")


def _no_control(v: str, allowed: str = "") -> str:
    bad = next((c for c in v if c not in allowed and unicodedata.category(c) in _CONTROL), None)
    if bad is not None:
        raise ValueError(f"holds the control character U+{ord(bad):04X}")
    return v


def _name(v: str) -> str:
    _non_empty(v)
    if len(v) > MAX_NAME:
        raise ValueError(f"must be at most {MAX_NAME} characters long")
    return _no_control(v)


def _source(v: str) -> str:
    return _no_control(_non_empty(v), "\n\t")


NUMBER = BeforeValidator(_not_bool)
"""A validator refusing ``true`` and ``false`` where a number is expected."""

# Limits of the quantities of a scenario: beyond them a value is a mistake (a unit slip, 1e400,
# .inf), and some bound what a file can make the program allocate.
DAY = 86_400.0
MAX_HORIZON_S = 3660 * DAY
"""Longest simulated time (about ten years)."""
MAX_DURATION_S = 7 * DAY
"""Longest duration of one step of an incident (turnout, on scene, handover, a delay, a threshold)."""
MAX_NORM_S = DAY
"""Longest response-time norm."""
MAX_DISTANCE_M = 50_000.0
"""Longest distance setting (spread of incidents around a place, reach of a place)."""
MAX_POPULATION = 50_000_000
"""Largest population of one place (GeoNames' largest city has under 25 million)."""
MIN_SPEED_KMH, MAX_SPEED_KMH = 5.0, 250.0
"""Slowest and fastest speed of an estimated leg."""

Lat = Annotated[float, NUMBER, between(-90, 90, "must be between -90 and 90")]
Lon = Annotated[float, NUMBER, between(-180, 180, "must be between -180 and 180")]
Duration = Annotated[float, BeforeValidator(parse_duration), between(0, MAX_DURATION_S,
                                                                     "must be between 0 s and 7 d")]
PosDuration = Annotated[Duration, bounded(lambda v: v > 0, "must be longer than 0 s")]
Horizon = Annotated[float, BeforeValidator(parse_duration),
                    bounded(lambda v: 0 < v <= MAX_HORIZON_S, "must be longer than 0 s and at most 3660 d")]
WarmUp = Annotated[float, BeforeValidator(parse_duration),
                   between(0, MAX_HORIZON_S, "must be between 0 s and 3660 d")]
NormLimit = Annotated[float, BeforeValidator(parse_duration),
                      bounded(lambda v: 0 < v <= MAX_NORM_S, "must be longer than 0 s and at most 24 h")]
Distance = Annotated[float, BeforeValidator(parse_distance),
                     between(0, MAX_DISTANCE_M, "must be between 0 m and 50 km")]
Speed = Annotated[float, BeforeValidator(parse_speed),
                  between(MIN_SPEED_KMH, MAX_SPEED_KMH, "must be between 5 and 250 km/h")]
NonNegSpeed = Annotated[float, BeforeValidator(parse_speed),
                        between(0, MAX_SPEED_KMH, "must be between 0 and 250 km/h")]
Share = Annotated[float, NUMBER, between(0, 1, "must be between 0 and 1")]
Hour = Annotated[float, NUMBER, between(0, 24, "must be between 0 and 24")]


MAX_NAME = 200
"""Longest name of a station, place, agreement, incident type or focus area."""
Name = Annotated[str, AfterValidator(_name)]
Source = Annotated[str, AfterValidator(_source)]
