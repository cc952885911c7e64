"""Stations, their units and shifts (model layer, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sim.model.distributions import Dist
from sim.roads.network import DETOUR_FACTOR


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
class EntryPoint:
    """A point on the network where a unit based beyond the extract enters it (a border road).

    `access_time_s`: normal driving time from the base to it, if known (else estimated).
    """

    lat: float
    lon: float
    name: str = ""
    access_time_s: float | None = None


@dataclass(frozen=True)
class OffNetworkAccess:
    """How a station outside the road extract reaches it.

    The unit drives from the station to an entry point (a border-road point on the network) in
    its `access_time_s` if given, else in the time :func:`sim.roads.network.estimated_leg_s` gives
    the straight-line distance (the network's own pace; or ``straight * detour_factor /
    speed_kmh`` when `speed_kmh` is given). These are normal driving times, sped up with lights and
    sirens like the network's. With several entry points (the first, then `more_entries`) the unit
    uses, for every destination, the one that gives the shortest time. Such legs are estimates and
    are flagged as such in the records.
    """

    entry_lat: float
    entry_lon: float
    entry_name: str = ""
    access_time_s: float | None = None
    detour_factor: float = DETOUR_FACTOR
    speed_kmh: float | None = None
    more_entries: tuple[EntryPoint, ...] = ()

    @property
    def entries(self) -> tuple[EntryPoint, ...]:
        """Every entry point, the first one first."""
        first = EntryPoint(self.entry_lat, self.entry_lon, self.entry_name, self.access_time_s)
        return (first, *self.more_entries)


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

    The engine's compiled core compiles this same function (:mod:`sim.engine._core`).
    """
    if start_hour == end_hour:
        return False
    h = (t_s / 3600.0) % 24.0
    if start_hour > end_hour:
        return h >= start_hour or h < end_hour
    return start_hour <= h and h < end_hour


Service = Literal["ambulance", "physician", "fire"]


@dataclass(frozen=True)
class UnitType:
    """One kind of unit: what it is, which service's norms judge it, and its defaults.

    Parameters
    ----------
    name
        The name scenarios use (``ambulance``); records get a column ``rt_<name>_s``.
    service
        ``ambulance``, ``physician`` (SMUR/MUG) or ``fire``: the norms and reports it belongs to.
    turnout
        Default turnout time (alert to wheels rolling), by day and night.
    transports
        Whether it takes patients to hospital: on a transported call, the first slot of any
        transporting type carries the patient.
    ride_along_share
        For a unit that meets the transporting unit on scene (the SMUR/MUG physician team, sent at
        the same time as the ambulance: a "rendez-vous"): the share of transported patients it
        escorts to hospital. Escorting, it leaves the scene with the patient, is free when the
        patient is handed over and drives back to base from the hospital; otherwise it leaves the
        scene after its own on-scene time. 0: never escorts.
    description
        One line for people.
    """

    name: str
    service: Service
    turnout: Turnout
    transports: bool = False
    ride_along_share: float = 0.0
    description: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.ride_along_share <= 1.0:
            raise ValueError(f"ride_along_share of {self.name!r} must be between 0 and 1")
        if self.transports and self.ride_along_share > 0.0:
            raise ValueError(f"{self.name!r} transports patients itself: it cannot ride along")


# Ambulance and SMUR: about 2 min (DE and LU norms; NL A1 norm "turnout 2 min"); lognormal sd and the
# slower night value (+30 s, 23:00-07:00): modelling choice. SMUR/MUG and SAMU go by rendez-vous
# with the ambulance, the physician team riding along when the doctor decides so (facts: BE
# techno-science.net / Wikipedia "SMUR", europehospitals.be; LU 112.public.lu): on half of the
# transports, a modelling choice (no published share). Fire: Belgian average turnout 4:26
# (Brussels 2019, atv.be); part-time crews are slower at night (+90 s): modelling choice.
_MEDICAL_TURNOUT = Turnout(day=Dist.lognormal(120.0, 40.0, cap=600.0),
                           night=Dist.lognormal(150.0, 45.0, cap=600.0))
_FIRE_TURNOUT = Turnout(day=Dist.lognormal(266.0, 90.0, cap=900.0),
                        night=Dist.lognormal(356.0, 110.0, cap=900.0))

UNIT_TYPES: dict[str, UnitType] = {
    "ambulance": UnitType("ambulance", "ambulance", _MEDICAL_TURNOUT, transports=True,
                          description="emergency ambulance (EMS, Rettungswagen, ambulance 112)"),
    "smur": UnitType("smur", "physician", _MEDICAL_TURNOUT, ride_along_share=0.5,
                     description="SMUR/MUG/SAMU physician car (Notarzt, mobiele urgentiegroep)"),
    "pumper": UnitType("pumper", "fire", _FIRE_TURNOUT, description="fire engine (autopompe, TS, LF)"),
    "ladder": UnitType("ladder", "fire", _FIRE_TURNOUT, description="aerial ladder or platform"),
}
"""The unit types the model knows, in a fixed order (their index is the engine's type code).

The one table of unit types: scenarios, the engine, the records' columns and the reports read it.
Add a type with :func:`register_unit_type` (or a row here); ``docs/architecture.md`` has the recipe.
"""


def unit_type_names() -> tuple[str, ...]:
    """The names of :data:`UNIT_TYPES` in table order."""
    return tuple(UNIT_TYPES)


def register_unit_type(unit_type: UnitType) -> None:
    """Add `unit_type` at the end of :data:`UNIT_TYPES` (an error if the name is taken)."""
    if unit_type.name in UNIT_TYPES:
        raise ValueError(f"unit type {unit_type.name!r} exists already")
    UNIT_TYPES[unit_type.name] = unit_type


def unregister_unit_type(name: str) -> None:
    """Remove a type added by :func:`register_unit_type` (for tests and notebooks)."""
    del UNIT_TYPES[name]
