"""Everything the engine needs to run one variant, as one immutable value (no I/O).

A scenario file (:mod:`sim.scenario.scenario`) is turned into one `ModelSpec` per variant; the engine
(:func:`sim.engine.simulate`) runs a `ModelSpec` on a :class:`sim.roads.network.RoadNetwork`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.model.agreements import Agreement, DispatchPolicy
from sim.model.defaults import default_demand
from sim.model.demand import Demand, IncidentLog, IncidentType
from sim.model.places import Place
from sim.model.units import Hospital, Station, Turnout
from sim.roads.driving import DrivingModel


@dataclass(frozen=True)
class ModelSpec:
    """One variant of a study.

    Parameters
    ----------
    incident_types
        The kinds of incident that can occur.
    places
        Populated places that generate incidents (ignored when `incident_log` is given).
    demand
        Rates and time profile of generated incidents (default:
        :func:`sim.model.defaults.default_demand`).
    stations, hospitals
        Resources; hospitals take transported patients.
    turnout
        Unit type -> turnout-time distribution.
    policy
        Dispatch-centre behaviour.
    agreements
        Cross-border agreements in force (empty: every centre uses only its own units).
    driving
        Road speeds and emergency driving: each vehicle's speed, normal and with lights and sirens,
        the caps of road rules, the start/stop cost of a trip.
    horizon_s, warmup_s
        Simulated time; incidents called during the warm-up are simulated but flagged
        ``in_warmup`` and left out of the statistics.
    incident_log
        Incidents to replay instead of generating them.
    """

    incident_types: tuple[IncidentType, ...]
    stations: tuple[Station, ...]
    hospitals: tuple[Hospital, ...]
    turnout: dict[str, Turnout]
    demand: Demand = field(default_factory=default_demand)
    places: tuple[Place, ...] = ()
    policy: DispatchPolicy = field(default_factory=DispatchPolicy)
    agreements: tuple[Agreement, ...] = ()
    driving: DrivingModel = field(default_factory=DrivingModel)
    horizon_s: float = 7 * 86_400.0
    warmup_s: float = 0.0
    incident_log: IncidentLog | None = None
