"""Incidents: their types and how they arise (model layer, no I/O).

An `IncidentType` says which units an incident needs and how long they are busy with it. `Demand`
says how many incidents of each type arise per 1,000 inhabitants per year in each country, and how
they are spread over the hours of the week. Incidents are placed by population (`Place`), each place
spread over the network nodes of its own country near it (a place's calls are calls of its own
jurisdiction); or replayed from a log (`IncidentLog`). A place with no road of its country within
reach lies beyond the road extract: it generates no incidents, unless the demand says
``beyond_radius_m`` and a station of its country lies within that distance of it; then its calls
happen off the network, at estimated positions around it, and only its own dispatch centre's units
answer them (:func:`generate_incidents`).

Default figures and their sources are in :mod:`sim.model.defaults` (a spec without a demand gets
:func:`sim.model.defaults.default_demand`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from sim.model.agreements import Agreement
from sim.model.distributions import Dist
from sim.model.norms import NORM_CLASSES
from sim.model.places import (
    Coverage,
    Place,
    country_codes,
    coverage_grid,
    place_kernels,
)
from sim.model.streams import Streams
from sim.model.units import UNIT_TYPES, unit_type_names
from sim.roads.network import EARTH_RADIUS_M, RoadNetwork, haversine_m

if TYPE_CHECKING:  # the spec holds incident types and demand: imported for type hints only
    from sim.model.spec import ModelSpec

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
        Share of incidents whose patient is taken to hospital (by the first unit of a type that
        ``transports``, :data:`sim.model.units.UNIT_TYPES`: the ambulance).
    handover
        Hospital handover time distribution (from arrival at hospital to the unit being free).
    lights_and_sirens
        Whether units drive to the scene with lights and sirens (emergency driving factor).
    norm_class
        The class of :data:`sim.model.norms.NORM_CLASSES` whose norm judges its calls, ``""`` for
        none (not urgent). Default: from the primary unit type's service and the urgency: a fire
        unit ``fire``; a medical one ``urgent`` (urgency 1) or ``a2`` (urgency 2); else none.
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
    norm_class: str | None = None

    def __post_init__(self) -> None:
        if not self.needs:
            raise ValueError(f"incident type {self.name!r} needs at least one unit")
        if not self.primary:
            object.__setattr__(self, "primary", next(iter(self.needs)))
        if self.norm_class is None:
            object.__setattr__(self, "norm_class", default_norm_class(self.primary, self.urgency))
        elif self.norm_class and self.norm_class not in NORM_CLASSES:
            raise ValueError(f"norm class {self.norm_class!r} of {self.name!r} is unknown "
                             f"(known: {', '.join(NORM_CLASSES)})")
        if self.primary not in self.needs:
            raise ValueError(f"primary {self.primary!r} of {self.name!r} is not among its needs")
        if not 0.0 <= self.transport_share <= 1.0:
            raise ValueError(f"transport_share of {self.name!r} must be between 0 and 1")

    def on_scene_for(self, unit_type: str) -> Dist:
        """The on-scene time distribution of a unit type at this kind of incident."""
        if unit_type in self.on_scene:
            return self.on_scene[unit_type]
        return self.on_scene.get("default", Dist.fixed(0.0))


def default_norm_class(primary: str, urgency: int) -> str:
    """The norm class of an incident type that names none: a fire unit's calls ``fire``; a medical
    unit's ``urgent`` at urgency 1, ``a2`` at urgency 2, none (``""``) otherwise."""
    unit = UNIT_TYPES.get(primary)
    if unit is not None and unit.service == "fire":
        return "fire"
    return {1: "urgent", 2: "a2"}.get(int(urgency), "")


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
    beyond_radius_m
        ``None`` (the default): places with no road of their country within `max_place_distance_m`
        generate no incidents. A distance: such a place still generates the calls of an incident
        type when a station of its country with the type's primary unit type lies within this
        distance of it; they happen beyond the road extract (see :func:`beyond_places`).
    beyond_unit_radius_m
        Unit type -> the distance used instead of `beyond_radius_m` for stations' units of that
        type (e.g. a smaller one for fire engines, whose stations lie closer together).
    extract_reach_m
        With `beyond_radius_m` set, a point of a place's kernel within this distance of a node of
        the place's country lies within the road extract, one within this distance of no node
        beyond it (:func:`place_coverage`); a kept place puts the share of its kernel beyond the
        extract there (see :func:`beyond_places`). Default 800 m, a modelling choice measured on
        the bundled regions (docs/model.md): the shortest whole 100 m with which every place well
        inside the extract gets a coverage of at least 0.95.
    """

    rates_per_1000: dict[str, dict[str, float]]
    hour_of_week: tuple[float, ...] = ()
    spread_m: float = 1500.0
    max_place_distance_m: float = 3000.0
    scale: float = 1.0
    beyond_radius_m: float | None = None
    beyond_unit_radius_m: dict[str, float] = field(default_factory=dict)
    extract_reach_m: float = 800.0

    @property
    def split_reach_m(self) -> float | None:
        """`extract_reach_m` when places may put calls beyond the extract (`beyond_radius_m` set),
        else ``None``: the ``reach_m`` of :func:`spread_places` for this demand."""
        return None if self.beyond_radius_m is None else self.extract_reach_m

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


# ---------------------------------------------------------------------------------------------
# Generation (vectorised; every draw from its own stream, see sim.model.streams)
# ---------------------------------------------------------------------------------------------

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def unit_slots(itype: IncidentType) -> list[tuple[str, float]]:
    """The unit slots of an incident type: ``(unit type, share)`` per unit, needs first.

    ``share`` is 1 for a needed unit and the optional share for an optional one. A structure fire
    needing ``{"pumper": 2, "ladder": 1, "ambulance": 1}`` has four slots.
    """
    slots = [(u, 1.0) for u, k in itype.needs.items() for _ in range(int(k))]
    slots += [(u, float(share)) for u, (k, share) in itype.optional_needs.items() for _ in range(int(k))]
    return slots


@dataclass(eq=False)
class Incidents:
    """Incidents of one replication with every random draw they will ever need (CRN).

    All arrays have one row per incident, sorted by call time. Per-slot arrays have shape
    ``(n, n_slots)``; slot ``s`` of incident ``i`` is unit slot ``s`` of its type (see
    :func:`unit_slots`), ``slot_type`` is ``-1`` where the type has fewer slots.

    Parameters
    ----------
    t_call
        Call time (s from Monday 00:00 of week 0).
    lat, lon, node
        Where it happens (the node's coordinates) and its network node; for an incident beyond the
        extract (`beyond`) its estimated position and node ``-1``.
    type_idx
        Index into `type_names` (the order of ``spec.incident_types``).
    country, centre
        Codes into ``network.countries`` / ``network.centres`` of the *node* (the jurisdiction
        where it happens, whose dispatch centre gets the call); ``-1`` where unknown. Beyond the
        extract: the place's country and the centre of the nearest node of that country.
    call_processing
        Call reaching the centre to the first alert.
    slot_type
        Unit type of each slot as an index into :data:`sim.model.units.UNIT_TYPES`.
    slot_active
        Whether the slot is used (needed, or optional and drawn).
    on_scene
        On-scene time of the unit filling the slot.
    turnout_day, turnout_night
        Turnout time of the unit filling the slot if alerted by day / by night (both drawn so the
        draw does not depend on when the unit is alerted).
    transport, handover
        Whether the patient goes to hospital (taken by the first slot of a unit type that
        ``transports``) and the handover time there.
    request_delay
        Agreement name -> delay to arrange foreign help for this incident (one draw per incident
        and agreement, from a sub-stream keyed by the agreement name).
    dropped
        Places (or log rows) that generated no incidents because no node is near enough.
    beyond
        Whether the incident happens beyond the road extract (off the network; see
        :func:`generate_incidents`).
    """

    t_call: FloatArray
    lat: FloatArray
    lon: FloatArray
    node: IntArray
    type_idx: IntArray
    type_names: tuple[str, ...]
    country: IntArray
    centre: IntArray
    call_processing: FloatArray
    slot_type: IntArray
    slot_active: BoolArray
    on_scene: FloatArray
    turnout_day: FloatArray
    turnout_night: FloatArray
    transport: BoolArray
    handover: FloatArray
    request_delay: dict[str, FloatArray] = field(default_factory=dict)
    dropped: tuple[str, ...] = ()
    beyond: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        if len(self.beyond) != len(self.t_call):
            self.beyond = np.zeros(len(self.t_call), dtype=bool)

    def __len__(self) -> int:
        return len(self.t_call)

    @property
    def n_slots(self) -> int:
        return int(self.slot_type.shape[1])

    def ensure_request_delays(self, agreements: Sequence[Agreement], streams: Streams) -> None:
        """Draw the request delay of every agreement not drawn yet (keyed sub-streams, CRN-safe).

        Incidents beyond the extract get 0 and no draw (no agreement serves them), so the other
        incidents' delays do not depend on whether there are any.
        """
        on = ~self.beyond
        for ag in agreements:
            if ag.name not in self.request_delay:
                rng = streams.keyed("request_delay", ag.name)
                delay = np.zeros(len(self))
                delay[on] = ag.request_delay.sample(rng, int(on.sum()))
                self.request_delay[ag.name] = delay


class _Draws(Protocol):
    """Named random streams: :class:`sim.model.streams.Streams` or :class:`_KeyedStreams`."""

    def __getitem__(self, name: str) -> np.random.Generator: ...


class _KeyedStreams:
    """Stream `name` of `streams` as its keyed sub-stream for `key` (each made once): the draws of
    incidents beyond the extract, which leave every draw of the others unchanged."""

    def __init__(self, streams: Streams, key: str) -> None:
        self._streams, self._key = streams, key
        self._gens: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._gens:
            self._gens[name] = self._streams.keyed(name, self._key)
        return self._gens[name]


BEYOND_KEY = "beyond_extract"
"""The key of the sub-streams (:meth:`sim.model.streams.Streams.keyed`) of incidents beyond the extract."""


def _draw_service(
    spec: ModelSpec, streams: _Draws, type_idx: IntArray, t_call: FloatArray
) -> dict[str, Any]:
    """Every per-incident draw after type and place: slots, durations, transport (vectorised per type)."""
    types = spec.incident_types
    slots = [unit_slots(t) for t in types]
    n, n_slots = len(type_idx), max((len(s) for s in slots), default=0)
    slot_type = np.full((n, n_slots), -1, dtype=np.int64)
    slot_active = np.zeros((n, n_slots), dtype=bool)
    on_scene = np.full((n, n_slots), np.nan)
    t_day = np.full((n, n_slots), np.nan)
    t_night = np.full((n, n_slots), np.nan)
    transport = np.zeros(n, dtype=bool)
    handover = np.zeros(n)
    call_processing = spec.policy.call_processing.sample(streams["call_processing"], n)
    u_transport = streams["transport"].random(n)
    for k, itype in enumerate(types):
        rows = np.flatnonzero(type_idx == k)
        m = len(rows)
        if m == 0:
            continue
        opt_draw: dict[str, BoolArray] = {
            u: streams["optional_needs"].random(m) < share for u, (_, share) in itype.optional_needs.items()
        }
        for s, (u, share) in enumerate(slots[k]):
            if u not in UNIT_TYPES:
                raise ValueError(f"incident type {itype.name!r} needs unknown unit type {u!r}")
            slot_type[rows, s] = unit_type_names().index(u)
            slot_active[rows, s] = True if share >= 1.0 else opt_draw[u]
            on_scene[rows, s] = itype.on_scene_for(u).sample(streams["on_scene"], m)
            tout = spec.turnout.get(u)
            if tout is None:
                t_day[rows, s] = 0.0
                t_night[rows, s] = 0.0
            else:
                t_day[rows, s] = tout.day.sample(streams["turnout"], m)
                t_night[rows, s] = (tout.night or tout.day).sample(streams["turnout"], m)
        transport[rows] = u_transport[rows] < itype.transport_share
        handover[rows] = itype.handover.sample(streams["handover"], m)
    return dict(call_processing=call_processing, slot_type=slot_type, slot_active=slot_active,
                on_scene=on_scene, turnout_day=t_day, turnout_night=t_night, transport=transport,
                handover=handover)


def _group_rates(demand: Demand, countries: list[str], type_names: tuple[str, ...], pop: FloatArray,
                 pcountry: npt.NDArray[np.object_]) -> tuple[list[tuple[int, int]], list[float]]:
    """The (country, incident type) groups with incidents, and the rate per second of each (`pop`:
    ``(places, types)``, the population generating each type)."""
    groups: list[tuple[int, int]] = []
    grate: list[float] = []
    for ci, c in enumerate(countries):
        for k, name in enumerate(type_names):
            cpop = float(np.ascontiguousarray(pop[:, k])[pcountry == c].sum())
            r = demand.rates_per_1000.get(c, {}).get(name, 0.0)
            if r > 0 and cpop > 0:
                groups.append((ci, k))
                grate.append(r * cpop / 1000.0 / SECONDS_PER_YEAR * demand.scale)
    return groups, grate


def _call_times(demand: Demand, horizon: float, total_rate: float, streams: _Draws) -> FloatArray:
    """Sorted call times: Poisson counts per hour bin (hour-of-week weights), uniform within."""
    n_bins = int(np.ceil(horizon / 3600.0))
    starts = np.arange(n_bins) * 3600.0
    widths = np.minimum(starts + 3600.0, horizon) - starts
    weights = demand.profile()[np.arange(n_bins) % HOURS_PER_WEEK]
    counts = streams["arrivals"].poisson(total_rate * weights * widths)
    n = int(counts.sum())
    t_call = np.repeat(starts, counts) + streams["arrivals"].random(n) * np.repeat(widths, counts)
    t_call.sort()
    return t_call


def _draw_calls(demand: Demand, horizon: float, type_names: tuple[str, ...], places: Sequence[Place],
                pop: FloatArray, draws: _Draws) -> tuple[FloatArray, IntArray, IntArray]:
    """``(t_call, type_idx, place)``: call times, then each call's (country, type) in proportion to
    its rate ("types") and a place of that country by population ("places"). `pop` is
    ``(places, types)``: the population generating each type (0: none)."""
    generating = pop.max(axis=1, initial=0.0) > 0
    countries = sorted({p.country for p, g in zip(places, generating, strict=True) if g})
    pcountry = np.array([p.country for p in places], dtype=object)
    groups, grate = _group_rates(demand, countries, type_names, pop, pcountry)
    total_rate = float(sum(grate))
    t_call = _call_times(demand, horizon, total_rate, draws)
    n = len(t_call)
    if groups:
        gp = np.asarray(grate) / total_rate
        g = np.minimum(np.searchsorted(np.cumsum(gp), draws["types"].random(n) * gp.sum(), side="right"),
                       len(groups) - 1)
    else:
        g = np.zeros(0, np.int64)
    gt = np.array([k for _, k in groups], dtype=np.int64)
    type_idx = gt[g] if n else np.zeros(0, np.int64)
    place = np.zeros(n, dtype=np.int64)
    u_place = draws["places"].random(n)
    for gi, (ci, k) in enumerate(groups):
        rows = np.flatnonzero(g == gi)
        idx = np.flatnonzero((pcountry == countries[ci]) & (pop[:, k] > 0))
        cw = np.cumsum(pop[idx, k])
        j = np.minimum(np.searchsorted(cw, u_place[rows] * cw[-1], side="right"), len(idx) - 1)
        place[rows] = idx[j]
    return t_call, type_idx, place


def _beyond(network: RoadNetwork, spec: ModelSpec,
            kept: BoolArray) -> tuple[BoolArray, IntArray, FloatArray, Coverage]:
    """:func:`beyond_places` with the coverage grids the calls beyond the extract are drawn from
    (`kept`: which places :func:`place_kernels` keeps on the network)."""
    places, demand = spec.places, spec.demand
    types = np.zeros((len(places), len(spec.incident_types)), dtype=bool)
    centre = np.full(len(places), -1, dtype=np.int64)
    share = np.zeros(len(places))
    if demand.beyond_radius_m is None or not len(places):
        return types, centre, share, coverage_grid(network, (), spread_m=demand.spread_m, reach_m=0.0)
    cov = coverage_grid(network, places, spread_m=demand.spread_m, reach_m=demand.extract_reach_m)
    out = np.where(kept, 1.0 - cov.share, 1.0)
    codes = country_codes(network, places)
    st_lat = np.array([st.lat for st in spec.stations], dtype=float)
    st_lon = np.array([st.lon for st in spec.stations], dtype=float)
    for p, place in enumerate(places):
        if out[p] <= 0.0 or codes[p] < 0:
            continue
        d = haversine_m(place.lat, place.lon, st_lat, st_lon)
        near = {u for st, dist in zip(spec.stations, d, strict=True) if st.country == place.country
                for u, k in st.units.items()
                if k > 0 and dist <= demand.beyond_unit_radius_m.get(u, demand.beyond_radius_m)}
        types[p] = [t.primary in near for t in spec.incident_types]
        if not types[p].any():
            continue
        own = np.flatnonzero(network.node_country == codes[p])
        c = int(network.node_centre[own[int(np.argmin(haversine_m(place.lat, place.lon, network.lat[own],
                                                                    network.lon[own])))]])
        if c < 0:
            types[p] = False
        else:
            centre[p], share[p] = c, out[p]
    return types, centre, share, cov


def beyond_places(network: RoadNetwork, spec: ModelSpec) -> tuple[BoolArray, IntArray, FloatArray]:
    """Which incident types each place generates beyond the road extract, its dispatch centre, and
    the share of its population whose calls happen there.

    Only when ``demand.beyond_radius_m`` is set. A place lies wholly beyond the extract when no
    node of its country lies within ``demand.max_place_distance_m`` of it (:func:`place_kernels`
    does not keep it); a kept place lies beyond it by the share of its kernel that
    :func:`place_coverage` (with ``demand.extract_reach_m``) finds beyond the extract: a place at
    the edge of the extract whose own roads lie mostly beyond it. Such a place generates an
    incident type there when the network has nodes of its country and a station of its country
    with the type's ``primary`` unit type lies within ``demand.beyond_radius_m`` of it
    (``demand.beyond_unit_radius_m`` for that unit type if given): the posts the scenario includes
    answer the calls of their surroundings, not of places far beyond them. Its centre is that of
    its country's nearest node (the jurisdiction's 112 or dispatch centre; none when that node has
    none, and then it generates none). Otherwise a kept place keeps all its calls on the network
    (no demand is lost).

    Returns
    -------
    types, centre, share
        ``(places, incident types)``: whether place ``p`` generates type ``k`` beyond the extract;
        per place, its centre's code in ``network.centres`` (``-1`` where it generates none); per
        place, the share of its population generating those types beyond the extract (1 for a
        place not kept, one minus its coverage for a kept one, 0 where it generates none).
    """
    demand = spec.demand
    kept = place_kernels(network, spec.places, spread_m=demand.spread_m,
                         max_distance_m=demand.max_place_distance_m)[0]
    types, centre, share, _ = _beyond(network, spec, kept)
    return types, centre, share


def _around(lat: FloatArray, lon: FloatArray, spread_m: float, u_r: FloatArray,
            u_a: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Points around (`lat`, `lon`) as the place kernel spreads them: at a distance drawn from a
    Gaussian kernel of scale `spread_m` cut at `spread_m` (density ∝ exp(-d²/2s²) over the disc, as
    over evenly spread nodes; uniform `u_r`), in a uniform direction (uniform `u_a`)."""
    if spread_m <= 0:
        return lat.copy(), lon.copy()
    r = spread_m * np.sqrt(-2.0 * np.log1p(-u_r * (1.0 - np.exp(-0.5))))
    bearing = 2.0 * np.pi * u_a
    dlat = np.degrees(r * np.cos(bearing) / EARTH_RADIUS_M)
    dlon = np.degrees(r * np.sin(bearing) / (EARTH_RADIUS_M * np.cos(np.radians(lat))))
    return lat + dlat, lon + dlon


def _beyond_positions(cov: Coverage, place: IntArray, plat: FloatArray, plon: FloatArray,
                      u: FloatArray, jitter: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Points of the kernels' grid beyond the extract (:class:`Coverage`) of `place`, drawn by
    kernel weight (uniform `u`), anywhere in the grid cell (uniform `jitter`, ``(n, 2)``)."""
    pos = np.searchsorted(cov.cum, place + u, side="right")
    pos = np.clip(pos, cov.offsets[place], cov.offsets[place + 1] - 1)
    east = cov.east_m[pos] + (jitter[:, 0] - 0.5) * cov.step_m
    north = cov.north_m[pos] + (jitter[:, 1] - 0.5) * cov.step_m
    return (plat + np.degrees(north / EARTH_RADIUS_M),
            plon + np.degrees(east / (EARTH_RADIUS_M * np.cos(np.radians(plat)))))


def _beyond_incidents(network: RoadNetwork, spec: ModelSpec, streams: Streams, pop: FloatArray,
                      centre: IntArray, share: FloatArray, cov: Coverage) -> Incidents:
    """The incidents beyond the extract (`pop`: ``(places, types)``, the population generating
    each type there; `centre`, `share`, `cov`: :func:`_beyond`), from their own keyed sub-streams."""
    places = spec.places
    draws = _KeyedStreams(streams, BEYOND_KEY)
    type_names = tuple(t.name for t in spec.incident_types)
    t_call, type_idx, place = _draw_calls(spec.demand, float(spec.horizon_s), type_names, places, pop, draws)
    n = len(t_call)
    plat = np.array([p.lat for p in places], dtype=float)[place]
    plon = np.array([p.lon for p in places], dtype=float)[place]
    u_r, u_a = draws["places"].random(n), draws["places"].random(n)
    jitter = draws["places"].random((n, 2))
    lat, lon = _around(plat, plon, spec.demand.spread_m, u_r, u_a)
    grid = share[place] < 1.0  # kept places at the edge of the extract: their land beyond it
    lat[grid], lon[grid] = _beyond_positions(cov, place[grid], plat[grid], plon[grid], u_r[grid],
                                             jitter[grid])
    return Incidents(
        t_call=t_call, lat=lat, lon=lon, node=np.full(n, -1, np.int64), type_idx=type_idx,
        type_names=type_names, country=country_codes(network, places)[place], centre=centre[place],
        beyond=np.ones(n, dtype=bool), **_draw_service(spec, draws, type_idx, t_call))


_PER_INCIDENT = ("t_call", "lat", "lon", "node", "type_idx", "country", "centre", "call_processing",
                 "slot_type", "slot_active", "on_scene", "turnout_day", "turnout_night", "transport",
                 "handover", "beyond")


def _merged(a: Incidents, b: Incidents) -> Incidents:
    """`a` and `b` as one set sorted by call time (`a` first on equal times); no request delays."""
    order = np.argsort(np.concatenate([a.t_call, b.t_call]), kind="stable")
    cols: dict[str, Any] = {k: np.concatenate([getattr(a, k), getattr(b, k)])[order] for k in _PER_INCIDENT}
    return Incidents(type_names=a.type_names, dropped=a.dropped, **cols)


def generate_incidents(network: RoadNetwork, spec: ModelSpec, streams: Streams) -> Incidents:
    """Draw the incidents of one replication (non-homogeneous Poisson by hour of week).

    The horizon ``[0, spec.horizon_s)`` is cut into hour bins (t = 0 is Monday 00:00). The expected
    count in a bin is the sum over countries and types of ``rate per 1,000 × population / 1,000 /
    year × scale × hour-of-week weight × bin length``, with the population of the *places* of each
    country (places too far from the network are dropped and listed in ``dropped``). Counts per bin
    are Poisson ("arrivals"), times uniform within the bin ("arrivals"); each incident's (country,
    type) is drawn in proportion to its rate ("types"), then a place of that country by population
    and a node of that place by its kernel (:func:`place_kernels`: nodes of the place's own
    country) ("places"). The incident's `country` and `centre` are those of its node: the
    jurisdiction where it happens. Rates of a country missing from ``rates_per_1000`` are zero.

    When ``demand.beyond_radius_m`` is set, places beyond the extract, wholly or by the share of
    their kernel the extract does not cover (:func:`beyond_places`), generate the calls of the
    types posts near them answer there in the same way, from their own sub-streams (keyed
    :data:`BEYOND_KEY`, so the draws of the other incidents do not depend on theirs), with node
    ``-1``, ``beyond`` set, the place's country and its centre; a place at the edge of the extract
    keeps the rest of its population on the network. A call of a place wholly beyond happens at a
    point drawn around it (Gaussian of scale ``demand.spread_m`` cut at that distance); one of a
    place at the edge at a point of its kernel's grid beyond the extract, drawn by kernel weight,
    anywhere in that grid cell (:func:`place_coverage`). They are merged in by call time.

    Parameters
    ----------
    network
        The road network.
    spec
        The variant (incident types, places, demand, turnout, policy, agreements, horizon).
    streams
        Random streams of the replication.

    Returns
    -------
    Incidents
    """
    demand = spec.demand
    places = spec.places
    kept, offsets, knodes, kcum = place_kernels(
        network, places, spread_m=demand.spread_m, max_distance_m=demand.max_place_distance_m)
    types, centre, share, cov = _beyond(network, spec, kept)
    type_names = tuple(t.name for t in spec.incident_types)
    pop = np.array([p.population for p in places], dtype=float)[:, None]
    pop_beyond = pop * types * share[:, None]
    pop_net = (pop * kept[:, None]) - pop_beyond * kept[:, None]
    t_call, type_idx, place = _draw_calls(demand, float(spec.horizon_s), type_names, places, pop_net, streams)
    n = len(t_call)
    # node within the place
    u_node = streams["places"].random(n)
    pos = np.searchsorted(kcum, place + u_node, side="right")
    pos = np.clip(pos, offsets[place], offsets[place + 1] - 1) if n else pos
    node = knodes[pos] if n else np.zeros(0, np.int64)
    draws = _draw_service(spec, streams, type_idx, t_call)
    inc = Incidents(
        t_call=t_call, lat=network.lat[node], lon=network.lon[node], node=node, type_idx=type_idx,
        type_names=type_names, country=network.node_country[node], centre=network.node_centre[node],
        dropped=tuple(p.name for i, p in enumerate(places) if not kept[i] and not types[i].any()), **draws)
    if types.any():
        inc = _merged(inc, _beyond_incidents(network, spec, streams, pop_beyond, centre, share, cov))
    inc.ensure_request_delays(spec.agreements, streams)
    return inc


def incidents_from_log(
    network: RoadNetwork, log: IncidentLog, spec: ModelSpec, streams: Streams
) -> Incidents:
    """Replay an incident log: given times, places and types; durations drawn as for generated ones.

    Each row goes to its nearest node; rows farther than ``spec.demand.max_place_distance_m`` from
    any node, or at or after the horizon, are dropped (listed in ``dropped`` as ``"log row i"``).
    Unknown type names raise ``ValueError``.
    """
    type_names = tuple(t.name for t in spec.incident_types)
    unknown = sorted(set(log.type) - set(type_names))
    if unknown:
        raise ValueError(f"incident log has unknown incident types: {', '.join(unknown)}")
    max_d = spec.demand.max_place_distance_m
    t = np.asarray(log.t_s, dtype=float)
    lat, lon = np.asarray(log.lat, float), np.asarray(log.lon, float)
    if len(t):
        near, dist = network.nearest_nodes(lat, lon)
    else:
        near, dist = np.zeros(0, np.int64), np.zeros(0)
    ok = (dist <= max_d) & (t >= 0) & (t < spec.horizon_s)
    order = np.flatnonzero(ok)[np.argsort(t[ok], kind="stable")]
    node = near[order]
    type_idx = np.array([type_names.index(log.type[i]) for i in order], dtype=np.int64)
    draws = _draw_service(spec, streams, type_idx, t[order])
    inc = Incidents(
        t_call=t[order], lat=lat[order], lon=lon[order], node=node, type_idx=type_idx,
        type_names=type_names, country=network.node_country[node], centre=network.node_centre[node],
        dropped=tuple(f"log row {i}" for i in np.flatnonzero(~ok)), **draws)
    inc.ensure_request_delays(spec.agreements, streams)
    return inc
