"""A validated scenario document turned into the :class:`sim.model.spec.ModelSpec` the engine runs.

What the document leaves out comes from :mod:`sim.model.defaults` (incident types, turnout, rates,
time profile, call processing) and from the region (places, hospitals).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from sim.model import defaults
from sim.model.agreements import Agreement, DispatchPolicy
from sim.model.demand import Demand, IncidentLog, IncidentType
from sim.model.places import Place
from sim.model.spec import ModelSpec
from sim.model.units import EntryPoint, Hospital, OffNetworkAccess, Shift, Station, Turnout
from sim.roads.driving import DrivingModel
from sim.roads.network import RoadNetwork
from sim.roads.speeds import SpeedSettings
from sim.scenario.files import FileProblem, MiB, csv_rows, number
from sim.scenario.problems import unknown_name
from sim.scenario.schema import DemandSpec, IncidentTypeSpec, ScenarioDoc, SpeedsSpec, StationSpec


def scenario_hospitals(doc: ScenarioDoc, region: Any) -> tuple[Hospital, ...]:
    """The hospitals of one document: its ``hospitals`` list, or the region's (``hospitals: region``)
    with the flags of ``emergency_departments`` set on the hospitals they name."""
    if doc.hospitals != "region":
        return tuple(Hospital(h.name, h.country, h.lat, h.lon, h.emergency, h.source) for h in doc.hospitals)
    flags = {e.name: e for e in doc.emergency_departments}
    return tuple(replace(h, emergency=flags[h.name].emergency,
                         source=f"{h.source}; emergency department: {flags[h.name].source}")
                 if h.name in flags else h
                 for h in getattr(region, "hospitals", ()) or ())


def model_spec(doc: ScenarioDoc, region: Any, *, incident_log: Path | None = None) -> ModelSpec:
    """The :class:`ModelSpec` of one document on `region` (its network, places and hospitals).

    Parameters
    ----------
    doc
        One validated variant.
    region
        A :class:`sim.scenario.region.Region` (or any object with ``network``, ``places`` and
        ``hospitals``).
    incident_log
        The resolved path of ``demand.incident_log``, if the document names one.
    """
    net: RoadNetwork = region.network
    if doc.incident_types is None:
        types = tuple(defaults.default_incident_types())
    else:
        types = tuple(_incident_type(t) for t in doc.incident_types)
    turnout = dict(defaults.default_turnout())
    for unit, t in doc.turnout.items():
        turnout[unit] = Turnout(day=t.day.to_dist(), night=t.night.to_dist() if t.night else None,
                                night_start_hour=t.night_start_hour, night_end_hour=t.night_end_hour)
    hospitals = scenario_hospitals(doc, region)
    p = doc.policy
    policy = DispatchPolicy(
        call_processing=p.call_processing.to_dist() if p.call_processing
        else defaults.DEFAULT_CALL_PROCESSING,
        redispatch_returning=p.redispatch_returning, hospital=p.hospital, tie_break=p.tie_break)
    agreements = tuple(
        Agreement(name=a.name, parties=(a.parties[0], a.parties[1]), unit_types=tuple(a.unit_types),
                  rule=a.rule, direction=a.direction, threshold_s=a.threshold,
                  request_delay=a.request_delay.to_dist(), keep_home_min=a.keep_home_min,
                  foreign_hospital=a.foreign_hospital, stations=tuple(a.stations), visibility=a.visibility)
        for a in doc.agreements)
    log = None if incident_log is None else read_incident_log(incident_log, [t.name for t in types],
                                                              horizon_s=doc.horizon)
    return ModelSpec(incident_types=types, stations=tuple(_station(s, net) for s in doc.stations),
                     hospitals=hospitals, turnout=turnout, demand=_demand(doc.demand),
                     places=_places(doc.demand, region), policy=policy, agreements=agreements,
                     driving=driving_model(doc.speeds), horizon_s=doc.horizon, warmup_s=doc.warmup,
                     incident_log=log)


def road_speeds(s: SpeedsSpec) -> SpeedSettings:
    """The road speeds a scenario's ``speeds:`` block sets (the defaults, overridden)."""
    base = SpeedSettings()
    return SpeedSettings(class_kmh={**base.class_kmh, **s.class_speeds},
                         normal_factor=base.normal_factor if s.normal_factor is None else s.normal_factor,
                         rural_factor=base.rural_factor if s.rural_factor is None else s.rural_factor)


def driving_model(s: SpeedsSpec) -> DrivingModel:
    """The driving model a scenario's ``speeds:`` block sets (the defaults, overridden)."""
    base = DrivingModel()
    caps = {str(c): {str(u): float(v) for u, v in t.items()} for c, t in s.caps.items()}
    return DrivingModel(
        roads=road_speeds(s),
        lights_and_sirens=base.lights_and_sirens if s.lights_and_sirens is None else s.lights_and_sirens,
        relative_speed={**base.relative_speed, **s.relative_speed}, caps_kmh=caps,
        start_stop_s={str(u): float(v) for u, v in s.start_stop.items()},
        variability=base.variability if s.variability is None else s.variability)


def _demand(d: DemandSpec) -> Demand:
    rates = {c: dict(r) for c, r in defaults.default_rates().items()}
    for country, r in d.rates.items():
        rates.setdefault(country, {}).update(r)
    how = d.hour_of_week
    hour_of_week = tuple(defaults.default_hour_of_week()) if how == "default" else tuple(how)
    return Demand(rates_per_1000=rates, hour_of_week=hour_of_week, spread_m=d.spread,
                  max_place_distance_m=d.max_place_distance, scale=d.scale,
                  beyond_radius_m=None if d.beyond_extract is None else d.beyond_extract.radius,
                  beyond_unit_radius_m={} if d.beyond_extract is None else
                  {str(u): r for u, r in d.beyond_extract.unit_radius.items()},
                  **({} if d.beyond_extract is None or d.beyond_extract.reach is None
                     else {"extract_reach_m": d.beyond_extract.reach}))


def _places(d: DemandSpec, region: Any) -> tuple[Place, ...]:
    if d.places == "region":
        places = tuple(getattr(region, "places", ()) or ())
    else:
        places = tuple(Place(p.name, p.country, p.lat, p.lon, p.population) for p in d.places)
    excluded = set(d.exclude_places)
    return tuple(p for p in places if p.name not in excluded) + tuple(
        Place(p.name, p.country, p.lat, p.lon, p.population) for p in d.extra_places)


def _incident_type(t: IncidentTypeSpec) -> IncidentType:
    return IncidentType(
        name=t.name, urgency=t.urgency, needs={str(k): v for k, v in t.needs.items()},
        on_scene={k: v.to_dist() for k, v in t.on_scene.items()},
        transport_share=t.transport_share, handover=t.handover.to_dist(), primary=t.primary or "",
        optional_needs={k: (v.count, v.share) for k, v in t.optional_needs.items()},
        lights_and_sirens=t.lights_and_sirens, norm_class=t.norm)


def _station(s: StationSpec, net: RoadNetwork) -> Station:
    off = None
    lat, lon = s.lat, s.lon
    if s.off_network is not None:
        o = s.off_network
        first, *more = o.all_entries()
        off = OffNetworkAccess(entry_lat=first.lat, entry_lon=first.lon, entry_name=first.name,
                               access_time_s=first.access_time, detour_factor=o.detour_factor,
                               speed_kmh=o.speed,
                               more_entries=tuple(EntryPoint(e.lat, e.lon, e.name, e.access_time)
                                                  for e in more))
        lat, lon = first.lat, first.lon
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


MAX_LOG_BYTES = 64 * MiB
"""Largest incident log read."""
MAX_LOG_ROWS = 1_000_000
"""Most rows of an incident log."""


def read_incident_log(path: Path, types: Sequence[str], *, horizon_s: float | None = None) -> IncidentLog:
    """An incident log CSV with columns ``t_s`` (seconds from start), ``lat``, ``lon``, ``type``.

    Every row must be usable: a row the engine would drop (no time, a position out of range, a
    time at or after the horizon) is an error naming its line, not a silent loss. Positions far
    from the network are checked with the network (:func:`sim.scenario.checks.network_problems`).

    Raises
    ------
    DataError
        Naming the file and line: a missing, unreadable or oversized file, a missing column, an
        empty log, a time that is not a number in ``[0, horizon)``, a latitude or longitude out of
        range, or an unknown incident type.
    """
    return read_log_rows(path, types, horizon_s=horizon_s)[0]


def read_log_rows(path: Path, types: Sequence[str], *,
                  horizon_s: float | None = None) -> tuple[IncidentLog, list[int]]:
    """:func:`read_incident_log` with the file line of each row of the log (in time order)."""
    rows = csv_rows(path, ("t_s", "lat", "lon", "type"), limit=MAX_LOG_BYTES, what="incident log",
                    max_rows=MAX_LOG_ROWS)
    if not rows:
        raise FileProblem(path, 0, "holds no incidents (only a header, or nothing)")
    known = set(types)
    high = horizon_s if horizon_s is not None else float("inf")
    t, lat, lon, kind, lines = [], [], [], [], []
    for n, row in rows:
        ts = number(path, n, row, "t_s", low=0, high=high if high < float("inf") else 1e12)
        if ts >= high:
            raise FileProblem(path, n, f"t_s {row['t_s']!r} is at or after the end of the horizon "
                                       f"({high:g} s): the incident would never happen")
        name = row["type"].strip()
        if name not in known:
            raise FileProblem(path, n, unknown_name("incident type", name, known))
        t.append(ts)
        lat.append(number(path, n, row, "lat", low=-90, high=90))
        lon.append(number(path, n, row, "lon", low=-180, high=180))
        kind.append(name)
        lines.append(n)
    order = sorted(range(len(t)), key=lambda i: t[i])
    log = IncidentLog(t_s=tuple(t[i] for i in order), lat=tuple(lat[i] for i in order),
                      lon=tuple(lon[i] for i in order), type=tuple(kind[i] for i in order))
    return log, [lines[i] for i in order]
