"""A validated scenario document turned into the :class:`sim.model.spec.ModelSpec` the engine runs.

What the document leaves out comes from :mod:`sim.model.defaults` (incident types, turnout, rates,
time profile, call processing) and from the region (places, hospitals).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.errors import DataError
from sim.model import defaults
from sim.model.agreements import Agreement, DispatchPolicy
from sim.model.demand import Demand, IncidentLog, IncidentType, Place
from sim.model.spec import ModelSpec
from sim.model.units import Hospital, OffNetworkAccess, Shift, Station, Turnout
from sim.roads.network import RoadNetwork
from sim.roads.speeds import EmergencyFactors
from sim.scenario.schema import DemandSpec, IncidentTypeSpec, ScenarioDoc, StationSpec


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
    if doc.hospitals == "region":
        hospitals = tuple(getattr(region, "hospitals", ()) or ())
    else:
        hospitals = tuple(Hospital(h.name, h.country, h.lat, h.lon, h.emergency, h.source)
                          for h in doc.hospitals)
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
    log = None if incident_log is None else read_incident_log(incident_log, [t.name for t in types])
    return ModelSpec(incident_types=types, stations=tuple(_station(s, net) for s in doc.stations),
                     hospitals=hospitals, turnout=turnout, demand=_demand(doc.demand),
                     places=_places(doc.demand, region), policy=policy, agreements=agreements,
                     factors=factors, horizon_s=doc.horizon, warmup_s=doc.warmup, incident_log=log)


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
                  {str(u): r for u, r in d.beyond_extract.unit_radius.items()})


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


def read_incident_log(path: Path, types: Sequence[str]) -> IncidentLog:
    """An incident log CSV with columns ``t_s`` (seconds from start), ``lat``, ``lon``, ``type``.

    Raises
    ------
    DataError
        When the file is missing or unreadable, lacks a column, names an unknown incident type or
        holds a negative time.
    """
    import pandas as pd  # only scenarios that replay a log need pandas

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
