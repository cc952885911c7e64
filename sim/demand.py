"""Incidents: their types and how they arise (model layer, no I/O).

An `IncidentType` says which units an incident needs and how long they are busy with it. `Demand`
says how many incidents of each type arise per 1,000 inhabitants per year in each country, and how
they are spread over the hours of the week. Incidents are placed by population (`Place`), each place
spread over the network nodes near it; or replayed from a log (`IncidentLog`).

Default figures and their sources are in :mod:`sim.defaults`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from sim.distributions import Dist

SECONDS_PER_YEAR = 365.0 * 86_400.0
HOURS_PER_WEEK = 168


@dataclass(frozen=True)
class IncidentType:
    """A kind of incident and the response it needs.

    Parameters
    ----------
    name
        e.g. ``"medical_urgent"``.
    urgency
        1 is the most urgent (NL A1-like, lights and sirens), 2 urgent (A2), 3 not urgent. Waiting
        calls are served by urgency, then by call time.
    needs
        Unit type -> number of units, e.g. ``{"pumper": 2, "ladder": 1, "ambulance": 1}``.
    primary
        The unit type whose first arrival is the incident's response time (default: the first key
        of `needs`). Per-type arrivals are recorded too.
    optional_needs
        Unit type -> (count, share): extra units sent to that share of incidents, e.g. SMUR to
        30 % of road collisions: ``{"smur": (1, 0.3)}``.
    on_scene
        Unit type -> on-scene time distribution (a unit type missing here uses ``"default"``).
    transport_share
        Share of incidents whose patient an ambulance takes to hospital.
    handover
        Hospital handover time distribution (from arrival at hospital to the unit being free).
    lights_and_sirens
        Whether units drive to the scene with lights and sirens (emergency driving factor).
    """

    name: str
    urgency: int
    needs: dict[str, int]
    on_scene: dict[str, Dist]
    transport_share: float = 0.0
    handover: Dist = field(default_factory=lambda: Dist.fixed(0.0))
    primary: str = ""
    optional_needs: dict[str, tuple[int, float]] = field(default_factory=dict)
    lights_and_sirens: bool = True

    def __post_init__(self) -> None:
        if not self.needs:
            raise ValueError(f"incident type {self.name!r} needs at least one unit")
        if not self.primary:
            object.__setattr__(self, "primary", next(iter(self.needs)))
        if self.primary not in self.needs:
            raise ValueError(f"primary {self.primary!r} of {self.name!r} is not among its needs")
        if not 0.0 <= self.transport_share <= 1.0:
            raise ValueError(f"transport_share of {self.name!r} must be between 0 and 1")

    def on_scene_for(self, unit_type: str) -> Dist:
        """The on-scene time distribution of a unit type at this kind of incident."""
        if unit_type in self.on_scene:
            return self.on_scene[unit_type]
        return self.on_scene.get("default", Dist.fixed(0.0))


@dataclass(frozen=True)
class Place:
    """A populated place (GeoNames) that generates incidents in proportion to its population."""

    name: str
    country: str
    lat: float
    lon: float
    population: float


@dataclass(frozen=True)
class Demand:
    """How often incidents arise.

    Parameters
    ----------
    rates_per_1000
        Country -> incident type -> incidents per 1,000 inhabitants per year.
    hour_of_week
        168 relative weights (Monday 00:00 first); normalised to mean 1. Default: flat.
    spread_m
        A place's incidents are spread over the network nodes within this distance of it
        (at least the nearest node), weighted by a Gaussian kernel of this scale.
    max_place_distance_m
        Places farther than this from any node generate no incidents (they are reported).
    scale
        Multiplies every rate (sensitivity studies, surges).
    """

    rates_per_1000: dict[str, dict[str, float]]
    hour_of_week: tuple[float, ...] = ()
    spread_m: float = 1500.0
    max_place_distance_m: float = 3000.0
    scale: float = 1.0

    def profile(self) -> npt.NDArray[np.float64]:
        """The hour-of-week weights as an array of 168 values with mean 1."""
        w = np.ones(HOURS_PER_WEEK) if not self.hour_of_week else np.asarray(self.hour_of_week, float)
        if w.shape != (HOURS_PER_WEEK,) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("hour_of_week must hold 168 non-negative weights, not all zero")
        return w / w.mean()


@dataclass(frozen=True)
class IncidentLog:
    """Incidents to replay instead of generating them: call times (s from start) and places."""

    t_s: tuple[float, ...]
    lat: tuple[float, ...]
    lon: tuple[float, ...]
    type: tuple[str, ...]
