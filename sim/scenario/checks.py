"""Checks of a scenario document: schema errors in a planner's words, checks across fields, and the
checks that need the road network.

Each check gives ``(location, message)`` pairs; the caller turns the location into a file line.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ValidationError

from sim.errors import DataError
from sim.model import defaults
from sim.model.agreements import RULES
from sim.model.countries import COUNTRIES
from sim.model.norms import NORM_CLASSES, split_norm_key
from sim.model.units import UNIT_TYPES
from sim.roads.network import SNAP_LIMIT_M, RoadNetwork, haversine_m
from sim.roads.speeds import HIGHWAY_CLASSES
from sim.scenario.problems import Problem, capped, path_str, unknown_name
from sim.scenario.schema import MAX_UNITS, ScenarioDoc
from sim.scenario.specs import read_log_rows, scenario_hospitals
from sim.scenario.yaml_lines import Lines

if TYPE_CHECKING:  # pragma: no cover
    from sim.scenario.build import Scenario

Found = tuple[tuple[Any, ...], str]
"""A problem before it has a line: ``(location, message)``."""

_UNIT_KEYED = ("units", "shifts", "needs", "on_scene", "optional_needs", "turnout", "relative_speed",
               "start_stop")

# ---------------------------------------------------------------------------------------- schema


def validate_doc(data: dict[str, Any], lines: Lines, filename: str,
                 variant: str = "") -> tuple[ScenarioDoc | None, list[Problem]]:
    """Validate one document: its schema, then (if that passes) the checks across fields."""
    try:
        doc = ScenarioDoc.model_validate(data)
    except ValidationError as exc:
        probs = []
        for err in exc.errors(include_url=False):
            loc, msg = friendly(dict(err))
            probs.append(Problem(filename, lines.find(loc), path_str(loc), msg, variant))
        return None, probs
    return doc, [Problem(filename, lines.find(loc), path_str(loc), msg, variant)
                 for loc, msg in semantic_checks(doc)]


def friendly(err: dict[str, Any]) -> Found:
    """A pydantic error as (location, message) in words a planner understands."""
    loc = tuple(err.get("loc", ()))
    kind = err.get("type", "")
    msg = str(err.get("msg", ""))
    if "[key]" in loc:
        return _bad_key(err, tuple(p for p in loc if p != "[key]"))
    if kind == "extra_forbidden":
        return loc, _extra_key(loc)
    if kind == "missing":
        return loc, "missing (required)"
    if kind in ("value_error", "assertion_error"):
        return loc, msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "literal_error":
        return loc, msg.replace("Input should be", "must be")
    if kind == "too_long":
        ctx = err.get("ctx", {})
        return loc, (f"{ctx.get('actual_length', 'too many')} items: at most {ctx.get('max_length')} "
                     "(the limit of a scenario file)")
    if kind == "too_short":
        return loc, msg.replace("List should have", "must have").replace("Input should have", "must have")
    return loc, msg.replace("Input should be", "must be")


def _bad_key(err: dict[str, Any], loc: tuple[Any, ...]) -> Found:
    """A mapping key that is not allowed: an unknown unit type, country or key."""
    parent = loc[-2] if len(loc) >= 2 else ""
    grandparent = loc[-3] if len(loc) >= 3 else ""
    if parent in _UNIT_KEYED or grandparent == "caps":
        extra = ", default" if parent == "on_scene" else ""
        return loc, f"unknown unit type {loc[-1]!r} (known: {', '.join(UNIT_TYPES)}{extra})"
    if parent in ("rates", "caps"):
        return loc, f"unknown country {loc[-1]!r} (known: {', '.join(COUNTRIES)})"
    if parent == "class_speeds":
        return loc, unknown_name("road class", str(loc[-1]), HIGHWAY_CLASSES)
    expected = err.get("ctx", {}).get("expected", "")
    return loc, f"unknown key {loc[-1]!r}" + (f" (allowed: {expected})" if expected else "")


def _extra_key(loc: tuple[Any, ...]) -> str:
    """An unknown key, with the closest allowed key or the list of allowed keys."""
    model = _model_at(loc[:-1])
    allowed = list(model.model_fields) if model is not None else []
    hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    text = f"unknown key {loc[-1]!r}"
    if hint:
        text += f" (did you mean {hint[0]!r}?)"
    elif allowed:
        text += f" (allowed: {', '.join(allowed)})"
    return text


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


# ---------------------------------------------------------------------------------------- across fields


def known_type_names(doc: ScenarioDoc) -> list[str]:
    """The incident types of a document: its own, or the defaults."""
    if doc.incident_types is not None:
        return [t.name for t in doc.incident_types]
    return [t.name for t in defaults.default_incident_types()]


def semantic_checks(doc: ScenarioDoc) -> list[Found]:
    """Checks across fields that need no network."""
    out: list[Found] = []
    if (doc.region is None) == (doc.network is None):
        out.append(((), "give exactly one of region (a bundled region or a region folder) and network"))
    if doc.warmup >= doc.horizon:
        out.append((("warmup",), "must be shorter than the horizon"))
    out += _names_used_twice(doc)
    for i, s in enumerate(doc.stations):
        for unit in s.shifts:
            if unit not in s.units:
                out.append((("stations", i, "shifts", unit), f"the station has no {unit} units"))
    n_units = sum(sum(s.units.values()) for s in doc.stations)
    if n_units == 0:
        out.append((("stations",), "no station has any unit"))
    elif n_units > MAX_UNITS:
        out.append((("stations",), f"{n_units:,} units in all: at most {MAX_UNITS:,} (the limit of a "
                                   "scenario file)"))
    out += _agreement_checks(doc)
    types = known_type_names(doc)
    for i, t in enumerate(doc.incident_types or []):
        if t.primary is not None and t.primary not in t.needs:
            out.append((("incident_types", i, "primary"), f"{t.primary!r} is not among its needs"))
        for unit in t.on_scene:
            if unit != "default" and unit not in t.needs and unit not in t.optional_needs:
                out.append((("incident_types", i, "on_scene", unit),
                            f"the type sends no {unit} (not in needs or optional_needs)"))
    for country, rates in doc.demand.rates.items():
        for name in rates:
            if name not in types:
                out.append((("demand", "rates", country, name), unknown_name("incident type", name, types)))
    if doc.demand.hour_of_week != "default":
        how = doc.demand.hour_of_week
        if len(how) != 168:
            out.append((("demand", "hour_of_week"),
                        f"must hold 168 weights (one per hour of the week), not {len(how)}"))
        elif sum(how) <= 0:
            out.append((("demand", "hour_of_week"), "the weights must not all be zero"))
    return out


def _names_used_twice(doc: ScenarioDoc) -> list[Found]:
    out: list[Found] = []
    named: tuple[tuple[str, Sequence[Any]], ...] = (
        ("stations", doc.stations), ("agreements", doc.agreements),
        ("incident_types", doc.incident_types or []), ("focus", doc.focus),
        ("hospitals", doc.hospitals if isinstance(doc.hospitals, list) else []),
        ("emergency_departments", doc.emergency_departments))
    for key, items in named:
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if item.name in seen:
                out.append(((key, i, "name"), f"{item.name!r} is used twice (also {key}[{seen[item.name]}])"))
            seen[item.name] = i
    return out


def _agreement_checks(doc: ScenarioDoc) -> list[Found]:
    out: list[Found] = []
    station_names = {s.name for s in doc.stations}
    for i, a in enumerate(doc.agreements):
        if a.parties[0] == a.parties[1]:
            out.append((("agreements", i, "parties"), "the two parties must differ"))
        for j, st in enumerate(a.stations):
            if st not in station_names:
                out.append((("agreements", i, "stations", j), unknown_name("station", st, station_names)))
        if RULES[a.rule].needs_threshold and a.threshold <= 0:
            out.append((("agreements", i, "threshold"), f"rule {a.rule} needs a threshold above 0 s"))
    return out


# ---------------------------------------------------------------------------------------- the network


def network_problems(scenario: Scenario, region: Any) -> list[Problem]:
    """Problems only the network reveals: points off the network, unknown centres, places.

    A problem shared by several variants is reported once, at the base document's line when it
    is written there.
    """
    problems: list[Problem] = []
    seen: set[tuple[int, str, str]] = set()
    # the base document too: a mistake in it is one even when every variant replaces that part
    for vname, doc in [("", scenario.base), *scenario.variants.items()]:
        for loc, msg in _variant_network_problems(scenario, doc, region):
            line = scenario.line_of(loc, vname or None)
            key = (line, path_str(loc), msg)
            if key not in seen:
                seen.add(key)
                problems.append(Problem(scenario.filename, line, path_str(loc), msg,
                                        vname if line != scenario.line_of(loc) else ""))
    for loc, msg in _focus_problems(scenario, region.network):
        problems.append(Problem(scenario.filename, scenario.line_of(loc), path_str(loc), msg))
    return capped(sorted(problems, key=lambda p: (p.line, p.path)))


def _focus_problems(scenario: Scenario, net: RoadNetwork) -> Iterator[Found]:
    """Focus areas that hold no node of the network (a polygon at sea, an empty country's enclaves)."""
    areas = scenario.base.focus
    if not areas:
        return
    try:
        names = np.asarray([*net.countries, ""], dtype=object)  # code -1: no jurisdiction
        masks = scenario.focus_masks(net.lat, net.lon, names[net.node_country])
    except DataError as exc:
        yield ("focus",), str(exc)
        return
    for i, f in enumerate(areas):
        if not masks[f.name].any():
            hint = (f" ({f.enclaves_of} has no enclave in the region's jurisdictions file)"
                    if f.enclaves_of else "")
            yield ("focus", i), (f"{f.name!r} holds no node of the road network{hint}: nothing would be "
                                 "reported for it")


def _variant_network_problems(scenario: Scenario, doc: ScenarioDoc, region: Any) -> Iterator[Found]:
    net: RoadNetwork = region.network
    yield from _station_network_problems(doc, net)
    place_names = ({p.name for p in getattr(region, "places", ())} if doc.demand.places == "region"
                   else {p.name for p in doc.demand.places})
    for i, name in enumerate(doc.demand.exclude_places):
        if name not in place_names:
            yield ("demand", "exclude_places", i), unknown_name("place", name, place_names)
    yield from _emergency_department_problems(doc, region)
    yield from _hospital_needed(doc, region)
    yield from _places_out_of_reach(doc, net)
    if isinstance(doc.hospitals, list):
        for i, h in enumerate(doc.hospitals):
            d = _distance_to_network(net, h.lat, h.lon)
            if d > SNAP_LIMIT_M:
                yield ("hospitals", i), (f"{h.name!r} is {d / 1000:.1f} km from the nearest road of the "
                                         f"network (more than {SNAP_LIMIT_M / 1000:g} km)")
    parties_known = set(net.countries) | set(net.centres)
    for i, a in enumerate(doc.agreements):
        for j, party in enumerate(a.parties):
            if party not in parties_known:
                yield (("agreements", i, "parties", j),
                       unknown_name("party (country or dispatch centre)", party, parties_known))
    for key in doc.norms:
        where, cls = split_norm_key(key)
        if where not in COUNTRIES and where not in net.centres:
            yield ("norms", key), unknown_name("country or dispatch centre", where,
                                               list(COUNTRIES) + list(net.centres))
        elif cls not in NORM_CLASSES:
            yield ("norms", key), unknown_name("norm class (after the '/')", cls, NORM_CLASSES)
    if doc.demand.incident_log is not None:
        yield from _log_problems(scenario.resolve(doc.demand.incident_log), doc, net)
    else:
        yield from _demand_size(doc, region)


def _places_out_of_reach(doc: ScenarioDoc, net: RoadNetwork) -> Iterator[Found]:
    """Places the file lists itself that are beyond ``max_place_distance`` (they would draw nothing).

    A region's own places beyond the road extract are expected (its places file covers more than
    the extract); a place written in the scenario is meant to draw incidents.
    """
    d = doc.demand
    lists = [("extra_places", d.extra_places)]
    if isinstance(d.places, list):
        lists.append(("places", d.places))
    for key, places in lists:
        if not places:
            continue
        _, dist = net.nearest_nodes(np.asarray([p.lat for p in places]), np.asarray([p.lon for p in places]))
        for i, (p, dd) in enumerate(zip(places, dist, strict=True)):
            if dd > d.max_place_distance and p.population > 0:
                yield ("demand", key, i), (f"{p.name!r} is {dd / 1000:,.1f} km from the road network, beyond "
                                           f"demand.max_place_distance ({d.max_place_distance / 1000:g} km): "
                                           "it would draw no incident")


def _emergency_department_problems(doc: ScenarioDoc, region: Any) -> Iterator[Found]:
    """``emergency_departments`` name hospitals of the region (and only with ``hospitals: region``)."""
    if not doc.emergency_departments:
        return
    if doc.hospitals != "region":
        yield ("emergency_departments",), ("applies to the region's hospitals (hospitals: region); a "
                                           "hospitals list gives each hospital its own emergency flag")
        return
    names = {h.name for h in getattr(region, "hospitals", ()) or ()}
    for i, e in enumerate(doc.emergency_departments):
        if e.name not in names:
            yield ("emergency_departments", i, "name"), unknown_name("hospital", e.name, names)


def _hospital_needed(doc: ScenarioDoc, region: Any) -> Iterator[Found]:
    """A variant whose incident types transport patients needs a hospital that takes them."""
    if any(h.emergency for h in scenario_hospitals(doc, region)):
        return
    types = doc.incident_types if doc.incident_types is not None else defaults.default_incident_types()
    transporting = [t.name for t in types if t.transport_share > 0]
    if transporting:
        where = "the region has" if doc.hospitals == "region" else "hospitals lists"
        yield ("hospitals",), (f"{where} no hospital with an emergency department, but "
                               f"{', '.join(transporting)} transport patients: give one")


def _log_problems(path: Path, doc: ScenarioDoc, net: RoadNetwork) -> Iterator[Found]:
    """An incident log whose every row is usable: readable, and each position within reach."""
    loc = ("demand", "incident_log")
    try:
        log, lines = read_log_rows(path, known_type_names(doc), horizon_s=doc.horizon)
    except DataError as exc:
        yield loc, f"incident log {exc}"
        return
    _, dist = net.nearest_nodes(np.asarray(log.lat), np.asarray(log.lon))
    reach = doc.demand.max_place_distance
    far = np.flatnonzero(dist > reach)
    if len(far):
        rows = ", ".join(f"{path.name}:{lines[i]} ({log.lat[i]:.5f}, {log.lon[i]:.5f}: "
                         f"{dist[i] / 1000:,.1f} km)" for i in far[:3])
        more = f" and {len(far) - 3} more" if len(far) > 3 else ""
        yield loc, (f"incident log {path}: {len(far)} row(s) farther from the road network than demand."
                    f"max_place_distance ({reach / 1000:g} km), which would not be simulated: {rows}{more}")


MAX_INCIDENTS = 1_000_000
"""Most incidents a replication may be expected to draw (about ten Euregio years)."""


def _demand_size(doc: ScenarioDoc, region: Any) -> Iterator[Found]:
    """The incidents a replication is expected to draw: some, and at most :data:`MAX_INCIDENTS`.

    Counts the places within ``max_place_distance`` of the network, as the engine does; a demand
    that draws nothing (no place within reach, every rate zero, scale 0) is refused.
    """
    d = doc.demand
    places = list(getattr(region, "places", ()) or ()) if d.places == "region" else list(d.places)
    excluded = set(d.exclude_places)
    places = [p for p in places if p.name not in excluded] + list(d.extra_places)
    rates = {c: dict(r) for c, r in defaults.default_rates().items()}
    for country, r in d.rates.items():
        rates.setdefault(country, {}).update(r)
    types = set(known_type_names(doc))
    if places:
        _, dist = region.network.nearest_nodes(np.asarray([p.lat for p in places]),
                                               np.asarray([p.lon for p in places]))
        places = [p for p, dd in zip(places, dist, strict=True) if dd <= d.max_place_distance]
    per_year = sum(p.population / 1000 * sum(r for t, r in rates.get(p.country, {}).items() if t in types)
                   for p in places)
    expected = per_year * d.scale * doc.horizon / (365.25 * 86400)
    if expected <= 0:
        yield ("demand",), ("no incidents would be drawn: no place within demand.max_place_distance of the "
                            "road network has a population and a rate above 0 (or the scale is 0)")
    elif expected > MAX_INCIDENTS:
        loc = ("demand", "scale") if d.scale != 1 else ("horizon",)
        yield loc, (f"about {expected:,.0f} incidents per replication (population x rates x scale x "
                    f"horizon): more than {MAX_INCIDENTS:,}, the limit of a run; shorten the horizon "
                    "or lower the scale")


MAX_ACCESS_LEG_M = 60_000.0
"""Longest straight line from an off-network station to its entry point: a unit based farther from
the road extract than this is a mistaken position (a station left at 0, 0), not part of the region."""


def _station_network_problems(doc: ScenarioDoc, net: RoadNetwork) -> Iterator[Found]:
    for i, s in enumerate(doc.stations):
        if s.off_network is not None:
            ways: list[tuple[tuple[Any, ...], Any]] = (
                [(("entry",), s.off_network.entry)] if s.off_network.entry is not None else [])
            ways += [(("entries", k), e) for k, e in enumerate(s.off_network.entries)]
            for at, e in ways:
                leg = float(haversine_m(s.lat, s.lon, e.lat, e.lon))
                if leg > MAX_ACCESS_LEG_M:
                    yield (("stations", i, "off_network", *at),
                           f"{s.name!r} is {leg / 1000:,.0f} km from its entry point (at most "
                           f"{MAX_ACCESS_LEG_M / 1000:g} km): check the station's lat and lon")
        d = _distance_to_network(net, s.lat, s.lon)
        if s.off_network is None and d > SNAP_LIMIT_M:
            yield ("stations", i), (f"{s.name!r} is {d / 1000:.1f} km from the nearest road of the network "
                                    f"(more than {SNAP_LIMIT_M / 1000:g} km): move it or declare "
                                    "off_network with an entry point on a border road")
        if s.off_network is not None:
            o = s.off_network
            points: list[tuple[tuple[Any, ...], Any]] = (
                [(("stations", i, "off_network", "entry"), o.entry)] if o.entry is not None else [])
            points += [(("stations", i, "off_network", "entries", j), e) for j, e in enumerate(o.entries)]
            for loc, e in points:
                de = _distance_to_network(net, e.lat, e.lon)
                if de > SNAP_LIMIT_M:
                    yield (loc, f"the entry point is {de / 1000:.1f} km from the network (at most "
                                f"{SNAP_LIMIT_M / 1000:g} km)")
        for j, centre in enumerate([s.dispatch_centre, *s.also_serves]):
            if centre is not None and centre not in net.centres:
                loc = ("stations", i, "dispatch_centre") if j == 0 else ("stations", i, "also_serves", j - 1)
                yield loc, unknown_name("dispatch centre", centre, net.centres)
        if s.dispatch_centre is None and s.country not in net.centre_country:
            yield (("stations", i, "dispatch_centre"),
                   f"the network has no dispatch centre in {s.country}; name one ({', '.join(net.centres)})")


def _distance_to_network(net: RoadNetwork, lat: float, lon: float) -> float:
    _, d = net.nearest_nodes([lat], [lon])
    return float(d[0])
