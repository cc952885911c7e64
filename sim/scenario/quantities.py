"""Quantities with their unit (durations, distances, speeds) and the bounded numbers of the schema.

A quantity is a string holding a number and a unit: ``"90 s"``, ``"1.5 km"``, ``"70 km/h"``. A bare
number is an error (a reader of ``request_delay: 90`` cannot tell seconds from minutes). The
``Annotated`` types below are the field types of :mod:`sim.scenario.schema`; their messages are
the ones a planner reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

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


def _non_empty(v: str) -> str:
    if not v.strip():
        raise ValueError("must not be empty")
    return v


Lat = Annotated[float, bounded(lambda v: -90 <= v <= 90, "must be between -90 and 90")]
Lon = Annotated[float, bounded(lambda v: -180 <= v <= 180, "must be between -180 and 180")]
_NOT_NEGATIVE = bounded(lambda v: v >= 0, "must not be negative")
Duration = Annotated[float, BeforeValidator(parse_duration), _NOT_NEGATIVE]
PosDuration = Annotated[Duration, bounded(lambda v: v > 0, "must be longer than 0 s")]
Distance = Annotated[float, BeforeValidator(parse_distance), _NOT_NEGATIVE]
Speed = Annotated[float, BeforeValidator(parse_speed), bounded(lambda v: v > 0, "must be above 0 km/h")]
NonNegSpeed = Annotated[float, BeforeValidator(parse_speed),
                        bounded(lambda v: v >= 0, "must be at least 0 km/h")]
NonNeg = Annotated[float, bounded(lambda v: v >= 0, "must be at least 0")]
Positive = Annotated[float, bounded(lambda v: v > 0, "must be above 0")]
Share = Annotated[float, bounded(lambda v: 0 <= v <= 1, "must be between 0 and 1")]
Count = Annotated[int, bounded(lambda v: v >= 0, "must be at least 0")]
PosCount = Annotated[int, bounded(lambda v: v >= 1, "must be at least 1")]
Hour = Annotated[float, bounded(lambda v: 0 <= v <= 24, "must be between 0 and 24")]
Name = Annotated[str, AfterValidator(_non_empty)]
Source = Annotated[str, AfterValidator(_non_empty)]
