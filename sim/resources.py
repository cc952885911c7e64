"""Stations, their units and shifts (model layer, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.distributions import Dist

UNIT_TYPES: tuple[str, ...] = ("ambulance", "smur", "pumper", "ladder")
"""Unit types the model knows: ambulance, SMUR/MUG physician car, fire pumper, aerial ladder."""


@dataclass(frozen=True)
class Shift:
    """When a unit is staffed: every day from `start_hour` to `end_hour` (24 h when equal).

    ``Shift(7, 23)`` is the RIVM "Dag/avond" (day/evening) post; ``Shift()`` is 24 hours.
    A unit busy when its shift ends finishes its mission, then goes off duty.
    """

    start_hour: float = 0.0
    end_hour: float = 0.0

    @property
    def always(self) -> bool:
        return self.start_hour % 24 == self.end_hour % 24

    def on_duty(self, t_s: float) -> bool:
        """Whether the unit is staffed at simulation time `t_s` (t = 0 is Monday 00:00)."""
        if self.always:
            return True
        h = (t_s / 3600.0) % 24.0
        s, e = self.start_hour % 24, self.end_hour % 24
        return s <= h < e if s < e else (h >= s or h < e)


@dataclass(frozen=True)
class OffNetworkAccess:
    """How a station outside the road extract reaches it.

    The unit drives from the station to `entry` (a border-road point on the network) in
    `access_time_s` if given, else in ``straight-line distance * detour_factor / speed_kmh``.
    Such legs are estimates and are flagged as such in the records.
    """

    entry_lat: float
    entry_lon: float
    entry_name: str = ""
    access_time_s: float | None = None
    detour_factor: float = 1.3
    speed_kmh: float = 70.0


@dataclass(frozen=True)
class Station:
    """A base holding units.

    Parameters
    ----------
    name, lat, lon, country, dispatch_centre
        Where it is and which 112 / dispatch centre sends its units.
    source
        Where the position comes from (e.g. "RIVM ambulance posts 2019", "town centre, approximate").
    units
        Unit type -> number of units.
    shifts
        Unit type -> shift (missing types are staffed 24 h).
    off_network
        Set when the station lies beyond the road extract.
    also_serves
        Further dispatch centres that send this station's units as if they were their own (e.g. the
        joint NL-BE fire corps of Baarle, whose Dutch trucks serve both territories).
    """

    name: str
    lat: float
    lon: float
    country: str
    dispatch_centre: str
    units: dict[str, int]
    source: str = ""
    shifts: dict[str, Shift] = field(default_factory=dict)
    off_network: OffNetworkAccess | None = None
    also_serves: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hospital:
    """A hospital that takes patients (only those with an emergency department by default)."""

    name: str
    country: str
    lat: float
    lon: float
    emergency: bool = True
    source: str = ""


@dataclass(frozen=True)
class Turnout:
    """Turnout time (alert to wheels rolling) of a unit type, by day and night."""

    day: Dist
    night: Dist | None = None
    night_start_hour: float = 23.0
    night_end_hour: float = 7.0

    def at(self, t_s: float) -> Dist:
        """The distribution for an alert at `t_s` seconds (night hours: :func:`is_night`)."""
        if self.night is None:
            return self.day
        return self.night if is_night(t_s, self.night_start_hour, self.night_end_hour) else self.day


def is_night(t_s: float, start_hour: float, end_hour: float) -> bool:
    """Whether `t_s` seconds (from a midnight) fall in the night hours ``[start_hour, end_hour)``;
    the window wraps midnight when ``start_hour > end_hour``; equal hours: no night.

    The engine's compiled core compiles this same function (:mod:`sim._core`).
    """
    if start_hour == end_hour:
        return False
    h = (t_s / 3600.0) % 24.0
    if start_hour > end_hour:
        return h >= start_hour or h < end_hour
    return start_hour <= h and h < end_hour
