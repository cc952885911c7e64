"""The discrete-event engine: calls, dispatch centres, units and cross-border agreements (SimPy).

A run takes one variant (:class:`sim.model.ModelSpec`) on a road network and produces one row per
incident, per unit mission and per unit (:class:`SimRecords`, the columns of the records contract).

How a call is handled
---------------------
1. An incident happens at a network node. Its call reaches the dispatch centre of that node's
   jurisdiction; after the call-processing time (pre-drawn) the centre decides, slot by slot
   (a structure fire has slots pumper, pumper, ladder, ambulance).
2. For a slot of unit type ``u`` the centre considers its *own* available units of type ``u``:
   units of stations whose ``dispatch_centre`` is the centre or whose ``also_serves`` names it.
   ETA of a unit at its base = turnout (pre-drawn per slot, day or night draw by the alert time)
   + off-network access leg (unfactored) + network time × emergency factor of ``u`` (lights and
   sirens when the incident type says so). A unit driving back to base is taken from the last node
   it passed on its way home, with no turnout, at its exact shortest driving time from there (see
   Performance). The smallest ETA wins (ties: units at base first, then the first unit in station
   order).
3. Foreign units: a unit of another centre may answer when an agreement covers its type in that
   direction (a party is a country code or a centre name; the first agreement in the list that
   covers a unit is the one used), the lending centre keeps ``keep_home_min`` other free units of
   that type, and the rule allows it given the best home ETA ``h`` (``inf`` when no home unit is
   free): ``always_fastest``: foreign ETA < h; ``if_faster_by``: foreign ETA < h - threshold;
   ``if_home_eta_over``: h > threshold and foreign ETA < h; ``if_no_home_unit``: h is ``inf``. The
   foreign ETA includes the agreement's request delay (pre-drawn per incident and agreement); the
   foreign unit is alerted after that delay. A threshold of ``inf`` never fires.
4. A slot no unit can take waits in the centre's queue for its unit type, ordered by urgency, then
   call time. Slots for a unit type the centre can never get (no own unit of that type on its
   roster and no agreement that can lend one, e.g. SMUR in the Netherlands) are *not applicable*:
   they do not count for ``served`` and their response time is NaN; but when that type is the
   incident type's ``primary`` kind the incident is recorded unserved.
5. Mission: alert → turnout (0 when already on the road) → drive → on scene → for the first
   ambulance slot of a transported patient: drive to the nearest emergency hospital of the
   incident's country (any country when ``policy.hospital == "nearest_any"`` or the serving
   agreement has ``foreign_hospital``; any country also when the country has none), with lights and
   sirens only for urgency 1, then handover → free → drive back to base at normal speed. A free
   unit can be sent again from where it is (``policy.redispatch_returning``; otherwise it is
   available only once back at base). SMUR and fire units never transport.
6. When a unit becomes free it takes the highest-priority waiting call of its own centres, else one
   of a centre it may help under an agreement (rules evaluated with ``h = inf``).
7. Shifts: a unit whose shift ends goes off duty (after finishing its mission) and drives home; it
   comes back on duty at its next start hour where it is then: at base, or still on its way home.

Simplifications (documented modelling choices): a returning unit's position is the last node it
passed (progress along the current edge is ignored); a unit asked abroad is reserved at the decision
and is held where it is during the request delay; hospitals more than 1 km from the network are
reached through their nearest node plus an estimated leg (straight line × 1.3 at 70 km/h).

Events: one SimPy timeout per dispatch decision and one per unit becoming available (plus shift
changes); everything else in a mission is computed at dispatch because nothing can interrupt it.

Performance: times from stations and to stations and hospitals are precomputed (:func:`prepare`),
and so is each node's hospital. A unit on its way home is priced only if two lower bounds (straight
line at the network's top speed; landmarks: the stations' forward and reverse times, by the
triangle inequality) say it may beat the best unit so far. Its time is then read off a landmark's
shortest-path tree when that tree holds its route (a part of a shortest path is a shortest path),
summed edge by edge as Dijkstra sums it, else from an A* search from its node to the incident that
uses the same landmarks and stops at the bound (:mod:`sim._astar`, compiled). Both give Dijkstra's
time (they could differ in the last bit only where two shortest paths tie exactly).
"""

from __future__ import annotations

import gc
import heapq
import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy
from scipy.sparse.csgraph import dijkstra
from simpy.events import Timeout

from sim._astar import PointSearch
from sim.demand import Incidents, generate_incidents, incidents_from_log
from sim.model import ModelSpec
from sim.network import EARTH_RADIUS_M, OffNetworkError, RoadNetwork, access_leg
from sim.policy import Agreement, party_matches
from sim.resources import UNIT_TYPES, Hospital, Shift, Station
from sim.streams import Streams

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SNAP_LIMIT_M = 1000.0
"""On-network stations and hospitals must lie within this distance of a node."""
HOSPITAL_DETOUR = 1.3
HOSPITAL_SPEED_KMH = 70.0
"""Estimated leg to a hospital beyond the extract: straight line × detour at this speed
(the defaults of :class:`sim.resources.OffNetworkAccess`; modelling choice)."""

_INF = float("inf")
_NAN = float("nan")
_NT = len(UNIT_TYPES)
_FAR = 1e18
"""Stands for ``inf`` in the landmark tables (keeps their differences free of NaN)."""

INCIDENT_COLUMNS: tuple[str, ...] = (
    "incident_id", "type", "urgency", "t_call_s", "lat", "lon", "node", "country", "dispatch_centre",
    "response_time_s", "rt_ambulance_s", "rt_smur_s", "rt_pumper_s", "rt_ladder_s", "served",
    "cross_border", "primary_unit_country", "estimated_leg", "in_warmup",
)
MISSION_COLUMNS: tuple[str, ...] = (
    "incident_id", "unit_id", "unit_type", "station", "station_country", "station_centre",
    "incident_country", "agreement", "direction", "cross_border", "from_returning", "estimated_leg",
    "t_call_s", "t_alert_s", "t_depart_s", "t_arrive_s", "t_leave_scene_s", "t_hospital_s", "t_free_s",
    "t_base_s", "hospital", "hospital_country", "request_delay_s", "travel_s",
)
UNIT_COLUMNS: tuple[str, ...] = (
    "unit_id", "station", "unit_type", "country", "dispatch_centre", "busy_s", "on_duty_s", "utilisation",
)


# ------------------------------------------------------------------------------------------ prepare
@dataclass(eq=False)
class Prepared:
    """Stations and hospitals resolved to nodes, with the travel-time matrices the engine needs.

    Attributes
    ----------
    station_node, station_access_s, station_estimated
        Node where each station's units enter the network, the off-network leg time (0 on the
        network) and whether that leg is an estimate.
    fwd
        ``(n_stations, n_nodes)`` normal driving time from each station node to every node.
    rev, rev_next
        ``(n_stations, n_nodes)`` normal driving time from every node to each station node, and the
        next node on that route (``-9999`` at the station and where unreachable).
    hosp_node, hosp_extra_s, hosp_estimated, hosp_rev
        Emergency hospitals: node, estimated leg beyond the network, and ``(n_hosp, n_nodes)`` time
        from every node to them.
    vmax_mps
        Top speed of any edge (straight-line lower bound on travel times).
    landmark_pred
        Forward shortest-path trees of the distinct station nodes (in ``np.unique`` order): the
        predecessor of every node (negative at the root and where unreachable).
    """

    network: RoadNetwork
    stations: tuple[Station, ...]
    hospitals: tuple[Hospital, ...]
    station_node: IntArray
    station_access_s: FloatArray
    station_estimated: npt.NDArray[np.bool_]
    fwd: FloatArray
    rev: FloatArray
    rev_next: IntArray
    hosp_node: IntArray
    hosp_extra_s: FloatArray
    hosp_estimated: npt.NDArray[np.bool_]
    hosp_rev: FloatArray
    vmax_mps: float
    notes: list[str] = field(default_factory=list)
    landmark_pred: npt.NDArray[np.int32] = field(default_factory=lambda: np.zeros((0, 0), np.int32),
                                                 repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def nearest_hospitals(self) -> tuple[list[int], list[int]]:
        """For every node, the hospital a patient from there goes to: ``(own country, any country)``.

        Index into `hospitals` (``-1`` when none can be reached): the smallest time from the node
        (network time + estimated leg), the first on ties; "own country" falls back to any country
        when the node's country (``""`` where unknown) has no hospital.
        """
        if "hospitals" not in self._memo:
            net, n_h = self.network, len(self.hospitals)
            if n_h == 0:
                self._memo["hospitals"] = ([-1] * net.n_nodes, [-1] * net.n_nodes)
            else:
                cost = self.hosp_rev + self.hosp_extra_s[:, None]
                h_any = np.where(np.isfinite(cost).any(axis=0), np.argmin(cost, axis=0), -1)
                h_own = h_any.copy()
                h_country = np.asarray([h.country for h in self.hospitals], dtype=object)
                node_country = np.asarray(net.node_country)
                for code in np.unique(node_country).tolist():
                    mask = h_country == (net.countries[code] if code >= 0 else "")
                    if not mask.any():
                        continue
                    nodes = np.flatnonzero(node_country == code)
                    c = np.where(mask[:, None], cost[:, nodes], _INF)
                    h_own[nodes] = np.where(np.isfinite(c).any(axis=0), np.argmin(c, axis=0), -1)
                self._memo["hospitals"] = (h_own.tolist(), h_any.tolist())
        own, any_country = self._memo["hospitals"]
        return own, any_country

    def landmarks(self) -> tuple[FloatArray, int]:
        """``(table, L)``: per node, the forward times from the ``L`` distinct station nodes and
        minus the reverse times to them (``inf`` as :data:`_FAR`), shape ``(n_nodes, 2 L)``."""
        if "landmarks" not in self._memo:
            _, first = np.unique(self.station_node, return_index=True)
            fwd = np.where(np.isfinite(self.fwd[first]), self.fwd[first], _FAR)
            rev = np.where(np.isfinite(self.rev[first]), self.rev[first], _FAR)
            self._memo["landmarks"] = (np.ascontiguousarray(np.vstack([fwd, -rev]).T), len(first))
        table, n = self._memo["landmarks"]
        return table, n

    def trees(self) -> tuple[list[int], list[memoryview], dict[int, float]]:
        """``(station, pred, weight)``: for landmark ``k`` (see :meth:`landmarks`) the index of a
        station at that node and the predecessor of every node in its forward shortest-path tree
        (``< 0`` where none); ``weight[u * n_nodes + v]``: the time of edge ``u -> v`` as the
        shortest-path searches use it (the fastest of parallel edges)."""
        if "trees" not in self._memo:
            net = self.network
            _, first = np.unique(self.station_node, return_index=True)
            g = net._graph
            pred = self.landmark_pred
            if pred.shape != (len(first), net.n_nodes):  # built by hand: search again
                _, pred = dijkstra(g, directed=True, indices=self.station_node[first],
                                   return_predecessors=True)
                pred = np.asarray(pred, np.int32).reshape(len(first), net.n_nodes)
            rows = np.repeat(np.arange(net.n_nodes, dtype=np.int64), np.diff(g.indptr))
            keys = rows * net.n_nodes + g.indices.astype(np.int64)
            weight = dict(zip(keys.tolist(), np.asarray(g.data, np.float64).tolist(), strict=True))
            self._memo["trees"] = (first.tolist(), np.ascontiguousarray(pred), weight)
        station, pred, weight = self._memo["trees"]
        return station, [r.data for r in pred], weight

    def __getstate__(self) -> dict[str, Any]:
        # the lazily built tables are large and quick to rebuild: not pickled (e.g. to Dask workers)
        state = dict(self.__dict__)
        state["_memo"] = {}
        return state


def _snap_one(network: RoadNetwork, lat: float, lon: float, label: str) -> int:
    snap = getattr(network, "snap", None)
    if snap is not None:
        node, _ = snap(lat, lon, max_distance_m=SNAP_LIMIT_M, labels=label)
        return int(node)
    idx, dist = network.nearest_nodes(lat, lon)  # pragma: no cover - older networks without snap
    if dist[0] > SNAP_LIMIT_M:
        raise OffNetworkError(f"{label} is {dist[0]:,.0f} m from the nearest road (limit 1 km)")
    return int(idx[0])


def prepare(network: RoadNetwork, spec: ModelSpec) -> Prepared:
    """Resolve stations and hospitals to nodes and compute the travel-time matrices.

    On-network stations are snapped with a 1 km limit (:class:`sim.network.OffNetworkError` naming
    the station otherwise); stations with ``off_network`` enter through their entry point
    (:func:`sim.network.access_leg`). Only hospitals with an emergency department are used.

    Parameters
    ----------
    network
        The road network.
    spec
        The variant (only its stations and hospitals are used: variants with the same ones can
        share the result).
    """
    st_node, st_acc, st_est = [], [], []
    for s in spec.stations:
        label = f"station {s.name!r}"
        if s.off_network is not None:
            leg = access_leg(network, lat=s.lat, lon=s.lon, access=s.off_network)
            st_node.append(int(leg.node))
            st_acc.append(float(leg.time_s))
            st_est.append(bool(leg.estimated))
        else:
            st_node.append(_snap_one(network, s.lat, s.lon, label))
            st_acc.append(0.0)
            st_est.append(False)
    station_node = np.asarray(st_node, dtype=np.int64)
    hospitals = tuple(h for h in spec.hospitals if h.emergency)
    notes: list[str] = []
    if hospitals:
        hn, hd = network.nearest_nodes([h.lat for h in hospitals], [h.lon for h in hospitals])
    else:
        hn, hd = np.zeros(0, np.int64), np.zeros(0)
    far = hd > SNAP_LIMIT_M
    hosp_extra = np.where(far, hd * HOSPITAL_DETOUR / (HOSPITAL_SPEED_KMH / 3.6), 0.0)
    for k in np.flatnonzero(far):
        notes.append(f"hospital {hospitals[k].name!r} is {hd[k]:,.0f} m off the network: estimated leg "
                     f"of {hosp_extra[k]:.0f} s")
    n = network.n_nodes
    # one search per distinct node (stations often share a node: a town centre, an entry point)
    uniq, inv = np.unique(station_node, return_inverse=True)
    if len(uniq):
        # as network.times_from, with the shortest-path trees kept for the engine's landmarks
        fwd_u, pred_u = dijkstra(network._graph, directed=True, indices=uniq, return_predecessors=True)
        fwd_u = np.asarray(fwd_u, np.float64).reshape(len(uniq), n)
        pred_u = np.asarray(pred_u, np.int32).reshape(len(uniq), n)
        rev_u, next_u = network.times_to(uniq, return_next_hop=True)
        fwd, rev, rev_next = fwd_u[inv], rev_u[inv], next_u[inv]
    else:
        fwd = rev = np.zeros((0, n))
        rev_next = np.zeros((0, n), np.int64)
        pred_u = np.zeros((0, n), np.int32)
    h_uniq, h_inv = np.unique(hn, return_inverse=True)
    hosp_rev = network.times_to(h_uniq)[h_inv] if len(hn) else np.zeros((0, n))
    ok = network.edge_time_s > 0
    vmax = float(np.max(network.edge_length_m[ok] / network.edge_time_s[ok])) if ok.any() else 1.0
    return Prepared(
        network=network, stations=tuple(spec.stations), hospitals=hospitals, station_node=station_node,
        station_access_s=np.asarray(st_acc, float), station_estimated=np.asarray(st_est, bool),
        fwd=np.ascontiguousarray(fwd), rev=np.ascontiguousarray(rev),
        rev_next=np.ascontiguousarray(rev_next, dtype=np.int64), hosp_node=np.asarray(hn, np.int64),
        hosp_extra_s=np.asarray(hosp_extra, float), hosp_estimated=np.asarray(far, bool),
        hosp_rev=np.asarray(hosp_rev, float), vmax_mps=max(vmax, 1e-6), notes=notes,
        landmark_pred=np.ascontiguousarray(pred_u),
    )


# ------------------------------------------------------------------------------------------ records
@dataclass(eq=False)
class SimRecords:
    """The output of one run: column name -> numpy array (the records contract).

    Attributes
    ----------
    incidents, missions, units
        One row per incident, per unit mission, per unit.
    n_events
        SimPy events processed.
    notes
        Things the user should know (dropped places, hospitals with estimated legs).
    timings
        Seconds (wall) spent drawing the incidents (``incidents_s``), setting up (``setup_s``), in
        the SimPy event loop (``run_s``) and assembling these records (``records_s``); within the
        loop, the number of A* searches from units on their way home (``searches``) and the
        seconds they took (``search_s``).
    """

    incidents: dict[str, np.ndarray]
    missions: dict[str, np.ndarray]
    units: dict[str, np.ndarray]
    n_events: int
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def _can_fire(ag: Agreement) -> bool:
    """Whether an agreement's rule can ever allow help (a threshold of ``inf`` never does)."""
    return not (ag.rule in ("if_home_eta_over", "if_faster_by") and not ag.threshold_s < _INF)


def _shift_seconds(shift: Shift, a: float, b: float) -> float:
    """Seconds of duty of a shift within ``[a, b)``."""
    if b <= a:
        return 0.0
    if shift.always:
        return b - a
    s, e = shift.start_hour % 24 * 3600.0, shift.end_hour % 24 * 3600.0
    total = 0.0
    d0, d1 = int(np.floor(a / 86400.0)) - 1, int(np.ceil(b / 86400.0)) + 1
    for d in range(d0, d1):
        base = d * 86400.0
        lo, hi = (base + s, base + e) if s < e else (base + s, base + 86400.0 + e)
        total += max(0.0, min(hi, b) - max(lo, a))
    return total


def _next_shift_change(shift: Shift, t: float) -> float:
    """The first time after `t` at which the shift starts or ends."""
    best = _INF
    for hour in (shift.start_hour % 24, shift.end_hour % 24):
        c = math.floor(t / 86400.0) * 86400.0 + hour * 3600.0  # Python floats: no numpy scalars
        while c <= t + 1e-9:
            c += 86400.0
        best = min(best, c)
    return float(best)


def _follow(links: Any, dist: Any, start: int, stop: int) -> list[int] | None:
    """Nodes from `start` to `stop` following ``links`` (a predecessor or next-hop row of a
    shortest-path tree), or ``None`` when the chain ends (``< 0``) or leaves the part of the tree
    where `dist` (the tree's times) is at least ``dist[stop]``: then `stop` is not on it."""
    bound = dist[stop]
    path = [start]
    y = start
    while y != stop:
        y = links[y]
        if y < 0 or dist[y] < bound:
            return None
        path.append(y)
    return path


def _row_views(m: FloatArray) -> list[memoryview]:
    """The rows of a matrix as memoryviews: indexing one gives a Python float, fast."""
    return [np.ascontiguousarray(r, dtype=np.float64).data for r in m]


# ------------------------------------------------------------------------------------------ engine
class _Engine:
    """State of one run. Not public: use :func:`simulate`.

    Performance notes: everything touched per event is a Python list (or a memoryview row of a
    prepared matrix, which yields Python floats); numpy is used only to set up and to assemble the
    records. Each SimPy event is a plain ``Timeout`` with one bound-method callback; the handler
    reads the exact event time from the engine's state (not ``env.now``, which may differ from it by
    rounding). A unit on its way home is priced with a search from where it is only when two lower
    bounds (straight line at top speed; landmarks: the stations' forward and reverse times) say it
    may beat the best unit so far; that A* search stops at the bound (or at a landmark upper bound).
    """

    def __init__(self, network: RoadNetwork, spec: ModelSpec, prep: Prepared, inc: Incidents,
                 streams: Streams) -> None:
        self.net, self.spec, self.prep, self.inc = network, spec, prep, inc
        self.env = simpy.Environment()
        self.now = 0.0
        self.n_events = 0
        inc.ensure_request_delays(spec.agreements, streams)
        self.types = spec.incident_types
        self.agreements: tuple[Agreement, ...] = tuple(spec.agreements)
        n_centres = len(network.centres)
        centre_code = {c: k for k, c in enumerate(network.centres)}
        self.centre_country = [*network.centre_country, ""]
        # ---------------------------------------------------------------- units
        u_station, u_type, u_ids, u_shift = [], [], [], []
        for si, st in enumerate(spec.stations):
            for ut, k in st.units.items():
                if ut not in UNIT_TYPES:
                    raise ValueError(f"station {st.name!r} has unknown unit type {ut!r}")
                for m in range(int(k)):
                    u_station.append(si)
                    u_type.append(UNIT_TYPES.index(ut))
                    u_ids.append(f"{st.name}/{ut}/{m + 1}")
                    u_shift.append(st.shifts.get(ut, Shift()))
        nu = len(u_ids)
        self.nu = nu
        self.u_station = np.asarray(u_station, np.int64)
        self.u_station_l: list[int] = list(u_station)
        self.u_type = np.asarray(u_type, np.int64)
        self.u_type_l: list[int] = list(u_type)
        self.u_ids = u_ids
        self.u_shift = u_shift
        self.u_node_l: list[int] = [int(prep.station_node[s]) for s in u_station]
        self.u_acc_l: list[float] = [float(prep.station_access_s[s]) for s in u_station]
        self.u_est_l: list[bool] = [bool(prep.station_estimated[s]) for s in u_station]
        self.u_country = [spec.stations[s].country for s in u_station]
        self.u_centre_name = [spec.stations[s].dispatch_centre for s in u_station]
        # lending centre code (its own dispatch centre; n_centres where unknown to the network)
        self.u_lender_l: list[int] = [centre_code.get(c, n_centres) for c in self.u_centre_name]
        f = spec.factors
        self.f_urgent = [f.factor(u, urgent=True) for u in UNIT_TYPES]
        self.f_normal = [f.factor(u, urgent=False) for u in UNIT_TYPES]
        # home centres of each unit
        home_of: list[list[int]] = []
        for s in u_station:
            st = spec.stations[s]
            codes = [centre_code[c] for c in (st.dispatch_centre, *st.also_serves) if c in centre_code]
            home_of.append(sorted(set(codes)))
        self.home_of = home_of
        nt = len(UNIT_TYPES)
        self.home: list[list[list[int]]] = [[[] for _ in range(nt)] for _ in range(n_centres + 1)]
        for c in range(n_centres):
            for t in range(nt):
                self.home[c][t] = [j for j in range(nu) if u_type[j] == t and c in home_of[j]]
        # foreign candidates: foreign[c][t] = [(agreement index, unit ids)]
        self.foreign: list[list[list[tuple[int, list[int]]]]] = [[[] for _ in range(nt)]
                                                                 for _ in range(n_centres + 1)]
        self.lend_targets: list[list[tuple[int, int]]] = [[] for _ in range(nu)]
        for c in range(n_centres):
            cname, ccountry = network.centres[c], self.centre_country[c]
            for t in range(nt):
                claimed = set(self.home[c][t])
                for a, ag in enumerate(self.agreements):
                    if UNIT_TYPES[t] not in ag.unit_types:
                        continue
                    units = []
                    for lender, borrower in ag.lending_pairs():
                        if not party_matches(borrower, country=ccountry, centres=(cname,)):
                            continue
                        for j in range(nu):
                            if u_type[j] != t or j in claimed:
                                continue
                            st = spec.stations[u_station[j]]
                            if ag.stations and st.name not in ag.stations:
                                continue
                            if party_matches(lender, country=st.country, centres=(st.dispatch_centre,)):
                                units.append(j)
                                claimed.add(j)
                    if units:
                        self.foreign[c][t].append((a, units))
                        for j in units:
                            self.lend_targets[j].append((c, a))
        self.applicable = [[len(self.home[c][t]) > 0
                            or any(_can_fire(self.agreements[a]) for a, _ in self.foreign[c][t])
                            for t in range(nt)] for c in range(n_centres + 1)]
        self.can_fire = [_can_fire(ag) for ag in self.agreements]
        # ---------------------------------------------------------------- state
        self.redispatch = spec.policy.redispatch_returning
        self.avail = [False] * nu
        self.free_cnt = [[0] * nt for _ in range(n_centres + 1)]
        self.in_mission = [False] * nu
        self.on_duty = [True] * nu
        self.off_after = [False] * nu
        self.t_base = [-_INF] * nu                # time the unit is (was) back at base
        self.t_avail = [0.0] * nu                 # time of the unit's pending "free" event
        self.t_shift = [0.0] * nu                 # time of the unit's pending shift change
        self.ret_t0 = [0.0] * nu                  # time the way home started
        self.ret_from = [0] * nu                  # node where the network part starts
        self.ret_leg_out = [0.0] * nu             # estimated leg before the network part
        self.ret_path: list[list[Any] | None] = [None] * nu  # cursor on the route home, see _position
        self.ret_mission = [-1] * nu              # mission whose t_base is pending
        # waiting slots per (centre, unit type): queue c * _NT + t holds (urgency, t_call, incident, slot)
        self.qs: list[list[tuple[int, float, int, int]]] = [[] for _ in range((n_centres + 1) * nt)]
        self.n_waiting = 0                        # slots in all queues
        self.u_home_q = [[c * nt + self.u_type_l[j] for c in home_of[j]] for j in range(nu)]
        self.u_lend_q = [[(c * nt + self.u_type_l[j], a) for c, a in self.lend_targets[j]] for j in range(nu)]
        self._cbd, self._cbf, self._cbs = self._cb_dispatch, self._cb_free, self._cb_shift
        # searches from units on their way home: (x * n_nodes + target) -> (time or inf, limit)
        self.tt_cache: dict[int, tuple[float, float]] = {}
        self.point: PointSearch | None = None      # built at the first search
        self.search_s, self.n_search = 0.0, 0
        self.moving_hit: tuple[int, float, int, int, float] | None = None  # (unit, now, target, x, tt)
        # ---------------------------------------------------------------- prepared matrices
        self.fwd_rows = _row_views(prep.fwd)       # fwd_rows[station][node] -> float
        self.rev_rows = _row_views(prep.rev)       # rev_rows[station][node] -> float
        self.hosp_rows = _row_views(prep.hosp_rev)
        self.hosp_extra = prep.hosp_extra_s.tolist()
        self.hosp_node_l = prep.hosp_node.tolist()
        self.hosp_est_l = prep.hosp_estimated.tolist()
        self.hosp_own, self.hosp_any = prep.nearest_hospitals()
        self.lm, self.n_lm = prep.landmarks()
        self.lm_station, self.lm_pred, self.edge_w = prep.trees()
        self.rev_next_rows = [np.ascontiguousarray(r).data for r in prep.rev_next]
        # candidate lists as (unit, its station's fwd row, access leg) for _best
        cinfo = [(j, self.fwd_rows[self.u_station_l[j]], self.u_acc_l[j]) for j in range(nu)]
        self.home_c = [[[cinfo[j] for j in self.home[c][t]] for t in range(nt)] for c in range(n_centres + 1)]
        self.foreign_c = [[[(a, [cinfo[j] for j in units]) for a, units in self.foreign[c][t]]
                           for t in range(nt)] for c in range(n_centres + 1)]
        self.n_nodes = network.n_nodes
        self.lat_r = np.radians(network.lat).tolist()
        self.lon_r = np.radians(network.lon).tolist()
        self.cos_lat = np.cos(np.radians(network.lat)).tolist()
        self.inv_vmax = 1.0 / prep.vmax_mps
        # ---------------------------------------------------------------- incident views
        self.i_node = inc.node.tolist()
        self.i_centre = [c if c >= 0 else n_centres for c in inc.centre.tolist()]
        self.i_country = [network.countries[c] if c >= 0 else "" for c in inc.country.tolist()]
        self.i_type = inc.type_idx.tolist()
        self.i_t_call = inc.t_call.tolist()
        self.urg = [t.urgency for t in self.types]
        self.primary = [UNIT_TYPES.index(t.primary) for t in self.types]
        self.lights = [t.lights_and_sirens for t in self.types]
        # per-slot arrays as flat memoryviews: element [i * n_slots + s] (no per-incident lists)
        self.n_slots = inc.n_slots
        self.slot_type_v: Any = np.ascontiguousarray(inc.slot_type, dtype=np.int64).ravel().data
        used = (inc.slot_type >= 0) & inc.slot_active  # slots to fill, per incident in slot order
        self.slot_cols: list[int] = np.nonzero(used)[1].tolist()
        self.slot_off: list[int] = np.concatenate([[0], np.cumsum(used.sum(axis=1))]).tolist()
        is_amb = inc.slot_type == UNIT_TYPES.index("ambulance")
        self.first_amb_slot: list[int] = np.where(is_amb.any(axis=1), is_amb.argmax(axis=1), -1).tolist() \
            if inc.slot_type.shape[1] else [-1] * len(inc)
        self.transport = inc.transport.tolist()
        self.on_scene_v: Any = np.ascontiguousarray(inc.on_scene, dtype=np.float64).ravel().data
        self.handover = inc.handover.tolist()
        self.turnout_day_v: Any = np.ascontiguousarray(inc.turnout_day, dtype=np.float64).ravel().data
        self.turnout_night_v: Any = np.ascontiguousarray(inc.turnout_night, dtype=np.float64).ravel().data
        self.req = [inc.request_delay[ag.name].tolist() for ag in self.agreements]
        night = []
        for u in UNIT_TYPES:
            tout = spec.turnout.get(u)
            night.append((tout.night_start_hour, tout.night_end_hour) if tout is not None else (0.0, 0.0))
        self.night_hours = night
        self.hospital_any_policy = spec.policy.hospital == "nearest_any"
        # ---------------------------------------------------------------- records
        self.m_rows: list[tuple[Any, ...]] = []   # one tuple per mission, see records()
        self.m_tbase: list[float] = []
        self.unserved_slots = [0] * len(inc)
        self.na_slots = [0] * len(inc)

    # ------------------------------------------------------------------ events
    def _cb_dispatch(self, ev: simpy.events.Event) -> None:
        """A dispatch decision: the call of incident ``order[k]`` is handled, slot by slot."""
        self.n_events += 1
        k = ev._value
        now = self.now = self._t_dec[k]
        i = self._order[k]
        c = self.i_centre[i]
        applicable = self.applicable[c]
        types, base = self.slot_type_v, i * self.n_slots
        for s in self.slot_cols[self.slot_off[i]:self.slot_off[i + 1]]:
            t = types[base + s]
            if not applicable[t]:
                if t == self.primary[self.i_type[i]]:
                    self.unserved_slots[i] += 1  # can never be served; not queued
                else:
                    self.na_slots[i] += 1
                continue
            j, a, tout = self._choose(i, s, t, c, now)
            if j < 0:
                self.unserved_slots[i] += 1
                self.n_waiting += 1
                heapq.heappush(self.qs[c * _NT + t], (self.urg[self.i_type[i]], self.i_t_call[i], i, s))
            else:
                self._start(j, i, s, now, a, tout)
        k += 1
        if k < self._n_dec:
            env = self.env
            d = self._t_dec[k] - env._now
            Timeout(env, d if d > 0.0 else 0.0, k).callbacks.append(self._cbd)

    def _cb_free(self, ev: simpy.events.Event) -> None:
        """A unit is free (at the scene or hospital; at base when returning units are not re-sent)."""
        self.n_events += 1
        j = ev._value
        self.now = self.t_avail[j]
        self.in_mission[j] = False
        if self.off_after[j] or not self.on_duty[j]:
            self.off_after[j] = False
            self.on_duty[j] = False
            return
        self.avail[j] = True
        self.free_cnt[self.u_lender_l[j]][self.u_type_l[j]] += 1
        if self.n_waiting:
            self._serve_queue(j)

    def _cb_shift(self, ev: simpy.events.Event) -> None:
        self.n_events += 1
        j = ev._value
        self.now = self.t_shift[j]
        self._on_shift(j)

    def _schedule_shift(self, j: int, at: float) -> None:
        self.t_shift[j] = at
        d = at - self.env._now
        Timeout(self.env, d if d > 0.0 else 0.0, j).callbacks.append(self._cbs)

    # ------------------------------------------------------------------ helpers
    def _turnout(self, i: int, s: int, t: int, t_alert: float) -> float:
        ns, ne = self.night_hours[t]
        if ns == ne:
            return self.turnout_day_v[i * self.n_slots + s]
        h = (t_alert / 3600.0) % 24.0
        night = (h >= ns or h < ne) if ns > ne else (ns <= h < ne)
        v: float = (self.turnout_night_v if night else self.turnout_day_v)[i * self.n_slots + s]
        return v

    def _search(self, x: int, target: int, need: float) -> float:
        """Normal driving time from node `x` to `target`: exact up to `need` seconds (a little more,
        for rounding), ``inf`` beyond; remembered for later calls."""
        lim = need if need == _INF else need * (1.0 + 1e-9) + 1e-6
        t0 = time.perf_counter()
        point = self.point
        if point is None:
            point = self.point = PointSearch(self.net._graph, self.lm)
        tt = point.time(x, target, lim)
        self.search_s += time.perf_counter() - t0
        self.n_search += 1
        self.tt_cache[x * self.n_nodes + target] = (tt, lim)
        return tt

    def _bounds(self, x: int, target: int) -> tuple[float, float, int]:
        """Landmark bounds of the normal driving time from `x` to `target`: ``(lower, upper, k)``.

        Lower: ``max(fwd[L, target] - fwd[L, x], rev[L, x] - rev[L, target])`` over the station
        nodes ``L`` (triangle inequality), less a rounding margin; `k` says which term gave it (see
        :meth:`_walk`). Upper: ``min(rev[L, x] + fwd[L, target])`` (``inf`` when no landmark links
        them).
        """
        n = self.n_lm
        if n == 0:
            return 0.0, _INF, -1
        dt, dx = self.lm[target], self.lm[x]
        diff = dt - dx
        k = int(diff.argmax())
        lo = float(diff[k])
        hi = float((dt[:n] - dx[n:]).min())
        return lo - 1e-6 * (1.0 + abs(lo)), (hi if hi < 1e17 else _INF), k

    def _walk(self, x: int, target: int, k: int) -> float:
        """Driving time from `x` to `target` along a landmark's shortest-path tree, or ``-1``.

        Term `k` of :meth:`_bounds`: for ``k < L`` the path is found when `x` is an ancestor of
        `target` in the forward tree of landmark ``k``; for ``k >= L`` when `target` lies on the
        route from `x` to landmark ``k - L`` (e.g. a unit driving home past the incident). A part of
        a shortest path is a shortest path, so this is the exact shortest time; it is summed edge by
        edge from `x`, as Dijkstra does (the two can differ in the last bit only where two shortest
        paths tie exactly). ``-1`` when the tree does not contain such a path.
        """
        n = self.n_lm
        if k < 0:
            return -1.0
        if k < n:  # up the forward tree from target (predecessors), back to x
            s = self.lm_station[k]
            path = _follow(self.lm_pred[k], self.fwd_rows[s], target, x)
            if path is not None:
                path.reverse()
        else:  # along the route home from x (next hops), through target
            s = self.lm_station[k - n]
            path = _follow(self.rev_next_rows[s], self.rev_rows[s], x, target)
        if path is None:
            return -1.0
        w, nn = self.edge_w, self.n_nodes
        d = 0.0
        a = path[0]
        for b in path[1:]:
            d = d + w[a * nn + b]
            a = b
        return d

    def _travel(self, x: int, target: int) -> float:
        """Exact normal driving time from node `x` to `target` (an earlier search reused when exact)."""
        hit = self.tt_cache.get(x * self.n_nodes + target)
        if hit is not None and hit[0] <= hit[1]:
            return hit[0]
        _, hi, k = self._bounds(x, target)
        tt = self._walk(x, target, k)
        if tt >= 0.0:
            return tt
        return self._search(x, target, hi)

    def _position(self, j: int, now: float) -> tuple[int, float, bool]:
        """``(node, extra seconds before driving from it, at base)`` of an available unit.

        On its way home a unit is at the last node of its route that it has passed: a cursor
        (node, time from the start of the route) moves along the route one next hop at a time, as
        far as the unit has come (time only moves forward, so it never moves back).
        """
        if now >= self.t_base[j]:
            return self.u_node_l[j], 0.0, True
        e = now - self.ret_t0[j]
        out = self.ret_leg_out[j]
        if e < out:
            return self.ret_from[j], out - e, False
        e2 = e - out
        st = self.u_station_l[j]
        rv = self.rev_rows[st]
        cur = self.ret_path[j]
        if cur is None:
            x0 = self.ret_from[j]
            rv0 = rv[x0]
            cur = self.ret_path[j] = [x0, (rv0 - rv0) * self.f_normal[self.u_type_l[j]], rv0, False]
        y, c, rv0, end = cur
        if not end:
            nxt = self.rev_next_rows[st]
            fn = self.f_normal[self.u_type_l[j]]
            while True:
                z = nxt[y]
                if z < 0:
                    end = cur[3] = True
                    break
                cz = (rv0 - rv[z]) * fn
                if cz > e2:
                    break
                y, c = z, cz
            cur[0], cur[1] = y, c
        if end and e2 >= c:  # on the off-network leg of an off-network station: turn back
            return self.u_node_l[j], e2 - c, False
        return y, 0.0, False

    def _moving_eta(self, j: int, now: float, target: int, f: float, best: float) -> float:
        """ETA of a unit on its way home (no turnout), or ``inf`` if it cannot beat `best`."""
        x, extra, _ = self._position(j, now)
        if x == target:
            self.moving_hit = (j, now, target, x, 0.0)
            return extra
        # straight line at top speed (a little less, for rounding)
        d_lat, d_lon = self.lat_r[target] - self.lat_r[x], self.lon_r[target] - self.lon_r[x]
        a = math.sin(d_lat * 0.5) ** 2 + self.cos_lat[x] * self.cos_lat[target] * math.sin(d_lon * 0.5) ** 2
        straight = 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))
        if extra + straight * self.inv_vmax * (1.0 - 1e-9) * f >= best:
            return _INF
        need = (best - extra) / f if best < _INF else _INF
        hit = self.tt_cache.get(x * self.n_nodes + target)
        if hit is not None and (hit[1] >= need or hit[0] <= hit[1]):  # exact (or beyond need)
            tt = hit[0]
        else:
            lo, hi, k = self._bounds(x, target)
            if extra + lo * f >= best:
                return _INF
            tt = self._walk(x, target, k)
            if tt < 0.0:
                tt = self._search(x, target, min(need, hi))
        if tt == _INF:
            return _INF
        self.moving_hit = (j, now, target, x, tt)
        return extra + tt * f

    def _best(self, cand: list[tuple[int, Any, float]], now: float, target: int, f: float, turnout: float,
              best: float, keep: tuple[int, int] | None = None) -> tuple[float, int]:
        """Best (ETA, unit) among available units `cand` (``(unit, fwd row of its station, access leg)``;
        the ETA must beat `best`).

        Units at base first (ties: the first in `cand`), then units on their way home in order.
        `keep` = ``(unit type, keep_home_min)`` skips units whose centre would keep too few free.
        """
        avail, t_base = self.avail, self.t_base
        bmin, bj = _INF, -1
        moving: list[int] | None = None
        if keep is None:
            for j, row, ac in cand:
                if avail[j]:
                    if t_base[j] <= now:
                        eta = row[target] * f + ac + turnout
                        if eta < bmin:
                            bmin, bj = eta, j
                    elif moving is None:
                        moving = [j]
                    else:
                        moving.append(j)
        else:
            free_cnt, lender = self.free_cnt, self.u_lender_l
            kt, kmin = keep
            for j, row, ac in cand:
                if not avail[j] or free_cnt[lender[j]][kt] - 1 < kmin:
                    continue
                if t_base[j] <= now:
                    eta = row[target] * f + ac + turnout
                    if eta < bmin:
                        bmin, bj = eta, j
                elif moving is None:
                    moving = [j]
                else:
                    moving.append(j)
        if bmin < best:
            best = bmin
        else:
            bj = -1
        if moving is not None:
            for j in moving:
                e = self._moving_eta(j, now, target, f, best)
                if e < best:
                    best, bj = e, j
        return best, bj

    # ------------------------------------------------------------------ dispatch
    def _choose(self, i: int, s: int, t: int, c: int, now: float) -> tuple[int, int, float]:
        """``(unit, agreement or -1, its turnout if at base)`` for slot `s` of incident `i`."""
        target = self.i_node[i]
        f = self.f_urgent[t] if self.lights[self.i_type[i]] else self.f_normal[t]
        ns, ne = self.night_hours[t]
        if ns == ne:
            turnout = self.turnout_day_v[i * self.n_slots + s]
        else:
            hour = (now / 3600.0) % 24.0
            night = (hour >= ns or hour < ne) if ns > ne else (ns <= hour < ne)
            turnout = (self.turnout_night_v if night else self.turnout_day_v)[i * self.n_slots + s]
        h, j = self._best(self.home_c[c][t], now, target, f, turnout, _INF)
        foreign = self.foreign_c[c][t]
        if not foreign:
            return j, -1, turnout
        best, bj, ba, btout = h, j, -1, turnout
        for a, units in foreign:
            ag = self.agreements[a]
            rule = ag.rule
            if rule == "if_no_home_unit" and j >= 0:
                continue
            if rule == "if_home_eta_over" and not h > ag.threshold_s:
                continue
            margin = ag.threshold_s if rule == "if_faster_by" else 0.0
            lim = h - margin  # NaN when both are inf: such a rule never fires
            if not lim > 0:
                continue
            bound = min(best, lim)
            delay = self.req[a][i]
            tout = self._turnout(i, s, t, now + delay)
            e, fj = self._best(units, now, target, f, tout + delay, bound,
                               (t, ag.keep_home_min) if ag.keep_home_min > 0 else None)
            if fj >= 0 and e < bound:
                best, bj, ba, btout = e, fj, a, tout
        return bj, ba, btout

    def _start(self, j: int, i: int, s: int, now: float, a: int, turnout: float = -1.0) -> None:
        """Send unit `j` to slot `s` of incident `i` (decision at `now`; `a` agreement or -1).

        `turnout`: the unit's turnout when it is at base, if the caller already drew it for this
        alert time (:meth:`_choose`); negative: look it up.
        """
        t = self.u_type_l[j]
        target = self.i_node[i]
        itype = self.i_type[i]
        f = self.f_urgent[t] if self.lights[itype] else self.f_normal[t]
        delay = self.req[a][i] if a >= 0 else 0.0
        t_alert = now + delay
        st = self.u_station_l[j]
        at_base = now >= self.t_base[j]
        if at_base:
            if turnout < 0.0:
                ns, ne = self.night_hours[t]
                if ns == ne:
                    turnout = self.turnout_day_v[i * self.n_slots + s]
                else:
                    hour = (t_alert / 3600.0) % 24.0
                    night = (hour >= ns or hour < ne) if ns > ne else (ns <= hour < ne)
                    turnout = (self.turnout_night_v if night else self.turnout_day_v)[i * self.n_slots + s]
            travel = self.u_acc_l[j] + self.fwd_rows[st][target] * f
            est = self.u_est_l[j]
        else:
            x, extra, _ = self._position(j, now)
            turnout = 0.0
            hit = self.moving_hit
            if hit is not None and hit[0] == j and hit[1] == now and hit[2] == target and hit[3] == x:
                tt = hit[4]
            else:
                tt = 0.0 if x == target else self._travel(x, target)
            travel = extra + tt * f
            est = False
            m_prev = self.ret_mission[j]
            if m_prev >= 0:
                self.m_tbase[m_prev] = _NAN
        self.moving_hit = None
        t_depart = t_alert + turnout
        t_arrive = t_depart + travel
        t_leave = t_arrive + self.on_scene_v[i * self.n_slots + s]
        hosp, t_hosp = -1, _NAN
        ret_from, leg_out = target, 0.0
        if s == self.first_amb_slot[i] and self.transport[i]:
            any_c = self.hospital_any_policy or (a >= 0 and self.agreements[a].foreign_hospital)
            hosp = self.hosp_any[target] if any_c else self.hosp_own[target]
            if hosp >= 0:
                ft = self.f_urgent[t] if self.urg[itype] == 1 else self.f_normal[t]
                t_hosp = t_leave + self.hosp_rows[hosp][target] * ft + self.hosp_extra[hosp]
                t_free = t_hosp + self.handover[i]
                ret_from = self.hosp_node_l[hosp]
                leg_out = self.hosp_extra[hosp]
                est = est or self.hosp_est_l[hosp]
            else:
                t_free = t_leave
        else:
            t_free = t_leave
        t_base = t_free + leg_out + self.rev_rows[st][ret_from] * self.f_normal[t] + self.u_acc_l[j]
        # state
        self.avail[j] = False
        self.free_cnt[self.u_lender_l[j]][t] -= 1
        self.in_mission[j] = True
        self.ret_t0[j] = t_free
        self.ret_from[j] = ret_from
        self.ret_leg_out[j] = leg_out
        self.ret_path[j] = None
        self.t_base[j] = t_base
        self.ret_mission[j] = len(self.m_rows)
        self.m_rows.append((i, j, a, not at_base, est, now, t_alert, t_depart, t_arrive, t_leave, t_hosp,
                            t_free, hosp, delay, travel))
        self.m_tbase.append(t_base)
        at = t_free if self.redispatch else t_base
        self.t_avail[j] = at
        d = at - self.env._now
        Timeout(self.env, d if d > 0.0 else 0.0, j).callbacks.append(self._cbf)

    # ------------------------------------------------------------------ units becoming free
    def _make_available(self, j: int) -> None:
        self.avail[j] = True
        self.free_cnt[self.u_lender_l[j]][self.u_type_l[j]] += 1

    def _serve_queue(self, j: int) -> None:
        """A unit just became available: it takes the most urgent waiting call it may take."""
        qs = self.qs
        best: tuple[int, float, int, int] | None = None
        bq: list[tuple[int, float, int, int]] | None = None
        for key in self.u_home_q[j]:
            q = qs[key]
            if q and (best is None or q[0] < best):
                best, bq = q[0], q
        ba = -1
        if best is None:
            t = self.u_type_l[j]
            for key, a in self.u_lend_q[j]:
                q = qs[key]
                if not q or (best is not None and not q[0] < best):
                    continue
                if not self.can_fire[a]:
                    continue
                if self.free_cnt[self.u_lender_l[j]][t] - 1 < self.agreements[a].keep_home_min:
                    continue
                best, bq, ba = q[0], q, a
        if best is None or bq is None:
            return
        heapq.heappop(bq)
        self.n_waiting -= 1
        _, _, i, s = best
        self.unserved_slots[i] -= 1
        self._start(j, i, s, self.now, ba)

    # ------------------------------------------------------------------ shifts
    def _on_shift(self, j: int) -> None:
        now = self.now
        sh = self.u_shift[j]
        if sh.on_duty(now + 1e-6):
            self.on_duty[j] = True
            self.off_after[j] = False
            if not self.in_mission[j] and not self.avail[j]:
                # where it is: at base, or still on its way home (then sent from the road, as any
                # returning unit, when redispatch_returning)
                self._make_available(j)
                self._serve_queue(j)
        else:
            if self.in_mission[j]:
                self.off_after[j] = True
            elif self.avail[j]:
                self.avail[j] = False
                self.free_cnt[self.u_lender_l[j]][self.u_type_l[j]] -= 1
                self.on_duty[j] = False  # it drives home off duty
            else:
                self.on_duty[j] = False
        nxt = _next_shift_change(sh, now)
        if nxt < self.spec.horizon_s:
            self._schedule_shift(j, nxt)

    # ------------------------------------------------------------------ run
    def run(self) -> None:
        horizon = float(self.spec.horizon_s)
        for j in range(self.nu):
            sh = self.u_shift[j]
            if sh.always or sh.on_duty(0.0):
                self._make_available(j)
            else:
                self.on_duty[j] = False
            if not sh.always:
                self._schedule_shift(j, _next_shift_change(sh, 0.0))
        t_dec = self.inc.t_call + self.inc.call_processing
        order = np.argsort(t_dec, kind="stable")
        order = order[t_dec[order] < horizon]
        self._order: list[int] = order.tolist()
        self._t_dec: list[float] = t_dec[order].tolist()
        self._n_dec = len(self._order)
        if self._order:
            Timeout(self.env, max(self._t_dec[0], 0.0), 0).callbacks.append(self._cb_dispatch)
        self.env.run(until=horizon)

    # ------------------------------------------------------------------ records
    def records(self, notes: list[str]) -> SimRecords:
        inc, spec, net = self.inc, self.spec, self.net
        n = len(inc)
        keys = ("inc", "unit", "ag", "from_ret", "est", "t_dec", "t_alert", "t_depart", "t_arrive", "t_leave",
                "t_hosp", "t_free", "hosp", "req", "travel")  # the order of the tuples in _start
        # one C call for the whole table: ints and bools are exact as float64, the times are floats
        table = np.fromiter(itertools.chain.from_iterable(self.m_rows), dtype=np.float64,
                            count=len(self.m_rows) * len(keys)).reshape(len(self.m_rows), len(keys))
        cols: dict[str, Any] = dict(zip(keys, np.ascontiguousarray(table.T), strict=True))
        cols["t_base"] = self.m_tbase
        na_slots = np.asarray(self.na_slots, np.int64)
        unserved_slots = np.asarray(self.unserved_slots, np.int64)
        m_inc = cols["inc"].astype(np.int64)
        m_unit = cols["unit"].astype(np.int64)
        m_ag = cols["ag"].astype(np.int64)
        m_hosp = cols["hosp"].astype(np.int64)
        t_arrive = np.asarray(cols["t_arrive"], float)
        m_type = self.u_type[m_unit] if len(m_unit) else np.zeros(0, np.int64)
        st_country = np.asarray(self.u_country, dtype=object)[m_unit] if len(m_unit) else np.zeros(0, object)
        inc_country = np.asarray(self.i_country, dtype=object)[m_inc] if len(m_inc) else np.zeros(0, object)
        cross = st_country != inc_country
        direction = np.full(len(m_unit), "", dtype=object)
        if cross.any():
            direction[cross] = st_country[cross] + "->" + inc_country[cross]
        t_call = inc.t_call
        # first arrival per incident and unit type
        rt = np.full((n, len(UNIT_TYPES)), np.nan)
        first_unit = np.full((n, len(UNIT_TYPES)), -1, np.int64)
        if len(m_inc):
            order = np.lexsort((t_arrive, m_type, m_inc))
            mi, mt = m_inc[order], m_type[order]
            first = np.ones(len(order), bool)
            first[1:] = (mi[1:] != mi[:-1]) | (mt[1:] != mt[:-1])
            sel = order[first]
            rt[m_inc[sel], m_type[sel]] = t_arrive[sel] - t_call[m_inc[sel]]
            first_unit[m_inc[sel], m_type[sel]] = m_unit[sel]
        prim = np.array([UNIT_TYPES.index(t.primary) for t in self.types], np.int64)[inc.type_idx] \
            if n else np.zeros(0, np.int64)
        ar = np.arange(n)
        response = rt[ar, prim] if n else np.zeros(0)
        pu = first_unit[ar, prim] if n else np.zeros(0, np.int64)
        uc = np.asarray([*self.u_country, ""], dtype=object)
        served_slots = np.bincount(m_inc, minlength=n) if n else np.zeros(0, np.int64)
        active = inc.slot_active.sum(axis=1) if n else np.zeros(0, np.int64)
        applicable = active - na_slots
        served = (served_slots >= applicable) & (applicable > 0)
        served &= unserved_slots == 0
        cross_inc = np.zeros(n, bool)
        est_inc = np.zeros(n, bool)
        m_est = np.asarray(cols["est"], bool)
        if len(m_inc):
            np.logical_or.at(cross_inc, m_inc, cross)
            np.logical_or.at(est_inc, m_inc, m_est)
        names = np.asarray(inc.type_names, dtype=object)
        country_names = np.asarray([*net.countries, ""], dtype=object)
        centre_names = np.asarray([*net.centres, ""], dtype=object)
        incidents = {
            "incident_id": np.arange(n, dtype=np.int64),
            "type": names[inc.type_idx] if n else np.zeros(0, object),
            "urgency": np.asarray(self.urg, np.int64)[inc.type_idx] if n else np.zeros(0, np.int64),
            "t_call_s": t_call.astype(float),
            "lat": inc.lat.astype(float), "lon": inc.lon.astype(float),
            "node": inc.node.astype(np.int64),
            "country": country_names[inc.country],
            "dispatch_centre": centre_names[inc.centre],
            "response_time_s": response,
            **{f"rt_{u}_s": rt[:, k] for k, u in enumerate(UNIT_TYPES)},
            "served": served,
            "cross_border": cross_inc,
            "primary_unit_country": uc[pu],
            "estimated_leg": est_inc,
            "in_warmup": t_call < spec.warmup_s,
        }
        hosp_name = np.asarray([h.name for h in self.prep.hospitals] + [""], dtype=object)
        hosp_cty = np.asarray([h.country for h in self.prep.hospitals] + [""], dtype=object)
        st_names = np.asarray([s.name for s in spec.stations], dtype=object)
        ag_names = np.asarray([a.name for a in self.agreements] + [""], dtype=object)
        missions = {
            "incident_id": m_inc,
            "unit_id": np.asarray(self.u_ids, dtype=object)[m_unit] if len(m_unit) else np.zeros(0, object),
            "unit_type": np.asarray(UNIT_TYPES, dtype=object)[m_type],
            "station": st_names[self.u_station[m_unit]] if len(m_unit) else np.zeros(0, object),
            "station_country": st_country,
            "station_centre": np.asarray(self.u_centre_name, dtype=object)[m_unit] if len(m_unit)
            else np.zeros(0, object),
            "incident_country": inc_country,
            "agreement": ag_names[m_ag],
            "direction": np.asarray(direction, dtype=object),
            "cross_border": cross.astype(bool),
            "from_returning": np.asarray(cols["from_ret"], bool),
            "estimated_leg": m_est,
            "t_call_s": t_call[m_inc] if len(m_inc) else np.zeros(0),
            "t_alert_s": np.asarray(cols["t_alert"], float),
            "t_depart_s": np.asarray(cols["t_depart"], float),
            "t_arrive_s": t_arrive,
            "t_leave_scene_s": np.asarray(cols["t_leave"], float),
            "t_hospital_s": np.asarray(cols["t_hosp"], float),
            "t_free_s": np.asarray(cols["t_free"], float),
            "t_base_s": np.asarray(cols["t_base"], float),
            "hospital": hosp_name[m_hosp],
            "hospital_country": hosp_cty[m_hosp],
            "request_delay_s": np.asarray(cols["req"], float),
            "travel_s": np.asarray(cols["travel"], float),
        }
        # units: busy from decision to available again, within [warmup, horizon)
        lo, hi = float(spec.warmup_s), float(spec.horizon_s)
        t_dec = np.asarray(cols["t_dec"], float)
        t_av = missions["t_free_s"] if self.redispatch else missions["t_base_s"]
        busy_each = np.clip(np.minimum(t_av, hi) - np.maximum(t_dec, lo), 0.0, None)
        busy = np.bincount(m_unit, weights=busy_each, minlength=self.nu) if len(m_unit) else np.zeros(self.nu)
        duty: dict[tuple[float, float], float] = {}  # units share a few shifts
        for sh in self.u_shift:
            if (sh.start_hour, sh.end_hour) not in duty:
                duty[sh.start_hour, sh.end_hour] = _shift_seconds(sh, lo, hi)
        on_duty = np.asarray([duty[sh.start_hour, sh.end_hour] for sh in self.u_shift], float)
        with np.errstate(divide="ignore", invalid="ignore"):
            util = np.where(on_duty > 0, busy / on_duty, np.nan)
        units = {
            "unit_id": np.asarray(self.u_ids, dtype=object),
            "station": st_names[self.u_station] if self.nu else np.zeros(0, object),
            "unit_type": np.asarray(UNIT_TYPES, dtype=object)[self.u_type],
            "country": np.asarray(self.u_country, dtype=object),
            "dispatch_centre": np.asarray(self.u_centre_name, dtype=object),
            "busy_s": busy, "on_duty_s": on_duty, "utilisation": util,
        }
        return SimRecords(incidents=incidents, missions=missions, units=units, n_events=self.n_events,
                          notes=notes)


def simulate(
    network: RoadNetwork,
    spec: ModelSpec,
    *,
    seed: int,
    replication: int = 0,
    prepared: Prepared | None = None,
    incidents: Incidents | None = None,
) -> SimRecords:
    """Run one variant for one replication.

    Parameters
    ----------
    network
        The road network.
    spec
        The variant.
    seed, replication
        Root seed and replication number of the random streams (:class:`sim.streams.Streams`).
    prepared
        Result of :func:`prepare` for the same network and stations (computed if not given).
    incidents
        Pre-drawn incidents (e.g. shared by variants); drawn from the streams if not given,
        replayed from ``spec.incident_log`` when that is set.

    Returns
    -------
    SimRecords
        Deterministic: the same inputs give identical records.
    """
    if prepared is None or prepared.network is not network or prepared.stations != tuple(spec.stations):
        prepared = prepare(network, spec)
    streams = Streams(seed, replication)
    t0 = time.perf_counter()
    if incidents is None:
        if spec.incident_log is not None:
            incidents = incidents_from_log(network, spec.incident_log, spec, streams)
        else:
            incidents = generate_incidents(network, spec, streams)
    elif tuple(incidents.type_names) != tuple(t.name for t in spec.incident_types):
        raise ValueError("the incidents were drawn for other incident types than this variant's")
    notes = list(prepared.notes)
    if incidents.dropped:
        notes.append(f"{len(incidents.dropped)} places generate no incidents (no road within reach): "
                     + ", ".join(incidents.dropped[:10]) + (" ..." if len(incidents.dropped) > 10 else ""))
    # The run allocates many small objects and frees them by reference counting: the cyclic
    # garbage collector only slows it down (it runs again afterwards).
    gc_enabled = gc.isenabled()
    gc.disable()
    try:
        t1 = time.perf_counter()
        eng = _Engine(network, spec, prepared, incidents, streams)
        t2 = time.perf_counter()
        eng.run()
        t3 = time.perf_counter()
        records = eng.records(notes)
        t4 = time.perf_counter()
    finally:
        if gc_enabled:
            gc.enable()
    records.timings = {"incidents_s": t1 - t0, "setup_s": t2 - t1, "run_s": t3 - t2, "records_s": t4 - t3,
                       "search_s": eng.search_s, "searches": float(eng.n_search)}
    return records
