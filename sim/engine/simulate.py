"""The discrete-event engine: calls, dispatch centres, units and cross-border agreements (SimPy).

A run takes one variant (:class:`sim.model.spec.ModelSpec`) on a road network and produces one row per
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

Performance: the decisions (steps 2, 3, 5 and 6 above: choosing, pricing and starting units, a unit
becoming free) are compiled with numba (:mod:`sim.engine._core`): each SimPy event makes one call into it;
queues, shifts and the records stay in Python. Its first use after an install compiles it (about 20
s, once; numba caches it on disk). Times from stations and to stations and hospitals are precomputed
(:func:`prepare`), and so is each node's hospital. A unit on its way home is priced only if two
lower bounds (straight line at the network's top speed; landmarks: the stations' forward and reverse
times, by the triangle inequality) say it may beat the best unit so far. Its time is then read off a
landmark's shortest-path tree when that tree holds its route (a part of a shortest path is a
shortest path), summed edge by edge as Dijkstra sums it, else from an A* search from its node to the
incident that uses the same landmarks and stops at the bound (:mod:`sim.roads._astar`, compiled). Both
give Dijkstra's time (they could differ in the last bit only where two shortest paths tie exactly).
"""

from __future__ import annotations

import gc
import heapq
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy
from scipy.sparse.csgraph import dijkstra
from simpy.events import Timeout

from sim.model.agreements import RULES, Agreement, party_matches
from sim.model.demand import Incidents, generate_incidents, incidents_from_log
from sim.model.spec import ModelSpec
from sim.model.streams import Streams
from sim.model.units import UNIT_TYPES, Hospital, Shift, Station, unit_type_names
from sim.roads.network import (
    DETOUR_FACTOR,
    OFF_NETWORK_SPEED_KMH,
    SNAP_LIMIT_M,
    OffNetworkError,
    RoadNetwork,
    access_leg,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


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

    def nearest_hospitals(self) -> tuple[IntArray, IntArray]:
        """For every node, the hospital a patient from there goes to: ``(own country, any country)``.

        Index into `hospitals` (``-1`` when none can be reached): the smallest time from the node
        (network time + estimated leg), the first on ties; "own country" falls back to any country
        when the node's country (``""`` where unknown) has no hospital.
        """
        if "hospitals" not in self._memo:
            net, n_h = self.network, len(self.hospitals)
            if n_h == 0:
                none = np.full(net.n_nodes, -1, np.int64)
                self._memo["hospitals"] = (none, none.copy())
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
                self._memo["hospitals"] = (h_own.astype(np.int64), h_any.astype(np.int64))
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

    def trees(self) -> tuple[IntArray, npt.NDArray[np.int32]]:
        """``(station, pred)``: for landmark ``k`` (see :meth:`landmarks`) the index of a station at
        that node and the predecessor of every node in its forward shortest-path tree (``< 0``
        where none), shape ``(L, n_nodes)``."""
        if "trees" not in self._memo:
            net = self.network
            _, first = np.unique(self.station_node, return_index=True)
            pred = self.landmark_pred
            if pred.shape != (len(first), net.n_nodes):  # built by hand: search again
                _, pred = dijkstra(net._graph, directed=True, indices=self.station_node[first],
                                   return_predecessors=True)
                pred = np.asarray(pred, np.int32).reshape(len(first), net.n_nodes)
            self._memo["trees"] = (first.astype(np.int64), np.ascontiguousarray(pred, dtype=np.int32))
        station, pred = self._memo["trees"]
        return station, pred

    def search_graph(self) -> tuple[IntArray, IntArray, FloatArray]:
        """The network's CSR arrays as the compiled searches take them: ``(indptr, indices, data)``."""
        if "graph" not in self._memo:
            g = self.network._graph
            self._memo["graph"] = (np.ascontiguousarray(g.indptr, dtype=np.int64),
                                   np.ascontiguousarray(g.indices, dtype=np.int64),
                                   np.ascontiguousarray(g.data, dtype=np.float64))
        graph: tuple[IntArray, IntArray, FloatArray] = self._memo["graph"]
        return graph

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

    On-network stations are snapped with a 1 km limit (:class:`sim.roads.network.OffNetworkError` naming
    the station otherwise); stations with ``off_network`` enter through their entry point
    (:func:`sim.roads.network.access_leg`). Only hospitals with an emergency department are used.

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
    hosp_extra = np.where(far, hd * DETOUR_FACTOR / (OFF_NETWORK_SPEED_KMH / 3.6), 0.0)
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
        loop, the number of A* searches from units on their way home (``searches``) and the nodes
        they settled (``settled``), counts rather than seconds.
    """

    incidents: dict[str, np.ndarray]
    missions: dict[str, np.ndarray]
    units: dict[str, np.ndarray]
    n_events: int
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def _can_fire(ag: Agreement) -> bool:
    """Whether an agreement's rule can ever allow help (a threshold of ``inf`` never does)."""
    return RULES[ag.rule].can_fire(ag.threshold_s)


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


# ------------------------------------------------------------------------------------------ engine
class _Engine:
    """State of one run. Not public: use :func:`simulate`.

    Performance notes: the decisions (choosing, pricing and starting units) are compiled
    (:mod:`sim.engine._core`): each SimPy event makes one call into it, and its state is a set of numpy
    arrays (a :class:`sim.engine._core.Core`) that this class also holds, for the rare paths it handles
    itself (waiting queues, shifts) and for the records. Each SimPy event is a plain ``Timeout``
    with one bound-method callback; the handler reads the exact event time from the engine's state
    (not ``env.now``, which may differ from it by rounding). A unit on its way home is priced with
    a search from where it is only when two lower bounds (straight line at top speed; landmarks:
    the stations' forward and reverse times) say it may beat the best unit so far; that A* search
    stops at the bound (or at a landmark upper bound).
    """

    def __init__(self, network: RoadNetwork, spec: ModelSpec, prep: Prepared, inc: Incidents,
                 streams: Streams) -> None:
        from sim.engine import _core  # numba: imported when a run starts, not with the package

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
                    u_type.append(unit_type_names().index(ut))
                    u_ids.append(f"{st.name}/{ut}/{m + 1}")
                    u_shift.append(st.shifts.get(ut, Shift()))
        nu = len(u_ids)
        self.nu = nu
        self.u_station = np.asarray(u_station, np.int64)
        self.u_type = np.asarray(u_type, np.int64)
        self.u_type_l: list[int] = list(u_type)
        self.u_ids = u_ids
        self.u_shift = u_shift
        self.u_country = [spec.stations[s].country for s in u_station]
        self.u_centre_name = [spec.stations[s].dispatch_centre for s in u_station]
        # lending centre code (its own dispatch centre; n_centres where unknown to the network)
        self.u_lender_l: list[int] = [centre_code.get(c, n_centres) for c in self.u_centre_name]
        f = spec.factors
        # home centres of each unit
        home_of: list[list[int]] = []
        for s in u_station:
            st = spec.stations[s]
            codes = [centre_code[c] for c in (st.dispatch_centre, *st.also_serves) if c in centre_code]
            home_of.append(sorted(set(codes)))
        nt = _NT
        home: list[list[list[int]]] = [[[] for _ in range(nt)] for _ in range(n_centres + 1)]
        for c in range(n_centres):
            for t in range(nt):
                home[c][t] = [j for j in range(nu) if u_type[j] == t and c in home_of[j]]
        # foreign candidates: foreign[c][t] = [(agreement index, unit ids)]
        foreign: list[list[list[tuple[int, list[int]]]]] = [[[] for _ in range(nt)]
                                                             for _ in range(n_centres + 1)]
        lend_targets: list[list[tuple[int, int]]] = [[] for _ in range(nu)]
        for c in range(n_centres):
            cname, ccountry = network.centres[c], self.centre_country[c]
            for t in range(nt):
                claimed = set(home[c][t])
                for a, ag in enumerate(self.agreements):
                    if unit_type_names()[t] not in ag.unit_types:
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
                        foreign[c][t].append((a, units))
                        for j in units:
                            lend_targets[j].append((c, a))
        applicable = np.array([[len(home[c][t]) > 0
                                or any(_can_fire(self.agreements[a]) for a, _ in foreign[c][t])
                                for t in range(nt)] for c in range(n_centres + 1)], dtype=np.bool_)
        self.can_fire = [_can_fire(ag) for ag in self.agreements]
        self.redispatch = bool(spec.policy.redispatch_returning)
        # waiting slots per (centre, unit type): queue c * _NT + t holds (urgency, t_call, incident, slot)
        self.qs: list[list[tuple[int, float, int, int]]] = [[] for _ in range((n_centres + 1) * nt)]
        self.n_waiting = 0                        # slots in all queues
        self.u_home_q = [[c * nt + self.u_type_l[j] for c in home_of[j]] for j in range(nu)]
        self.u_lend_q = [[(c * nt + self.u_type_l[j], a) for c, a in lend_targets[j]] for j in range(nu)]
        self._cbd, self._cbf, self._cbs = self._cb_dispatch, self._cb_free, self._cb_shift
        self.t_shift = [0.0] * nu                 # time of the unit's pending shift change
        # candidate lists in CSR form, keyed c * nt + t
        lists = [home[c][t] for c in range(n_centres + 1) for t in range(nt)]
        home_ptr = np.concatenate([[0], np.cumsum([len(x) for x in lists])]).astype(np.int64)
        home_units = np.asarray([j for x in lists for j in x], np.int64)
        fl = [foreign[c][t] for c in range(n_centres + 1) for t in range(nt)]
        fl_ptr = np.concatenate([[0], np.cumsum([len(x) for x in fl])]).astype(np.int64)
        entries = [e for x in fl for e in x]
        fl_ag = np.asarray([a for a, _ in entries], np.int64)
        fl_uptr = np.concatenate([[0], np.cumsum([len(u) for _, u in entries])]).astype(np.int64)
        fl_units = np.asarray([j for _, u in entries for j in u], np.int64)
        # ---------------------------------------------------------------- incidents
        self.i_country = [network.countries[c] if c >= 0 else "" for c in inc.country.tolist()]
        self.i_centre_l = [c if c >= 0 else n_centres for c in inc.centre.tolist()]
        self.i_type_l = inc.type_idx.tolist()
        self.i_t_call = inc.t_call.tolist()
        self.urg = [t.urgency for t in self.types]
        n_inc = len(inc)
        used = (inc.slot_type >= 0) & inc.slot_active  # slots to fill, per incident in slot order
        slot_cols = np.nonzero(used)[1].astype(np.int64)
        slot_off = np.concatenate([[0], np.cumsum(used.sum(axis=1))]).astype(np.int64)
        is_amb = inc.slot_type == unit_type_names().index("ambulance")
        first_amb = (np.where(is_amb.any(axis=1), is_amb.argmax(axis=1), -1) if inc.slot_type.shape[1]
                     else np.full(n_inc, -1)).astype(np.int64)
        night = []
        for u in UNIT_TYPES:
            tout = spec.turnout.get(u)
            night.append((tout.night_start_hour, tout.night_end_hour) if tout is not None else (0.0, 0.0))
        req = np.zeros((len(self.agreements), n_inc))
        for a, ag in enumerate(self.agreements):
            req[a] = inc.request_delay[ag.name]
        # ---------------------------------------------------------------- the compiled core's state
        lm, n_lm = prep.landmarks()
        lm_station, lm_pred = prep.trees()
        indptr, indices, data = prep.search_graph()
        hosp_own, hosp_any = prep.nearest_hospitals()
        n = network.n_nodes
        n_missions = int(used.sum())  # a slot is started at most once
        fl64 = np.float64
        state: dict[str, Any] = {
            "u_station": self.u_station, "u_type": self.u_type,
            "u_node": prep.station_node[self.u_station].astype(np.int64),
            "u_acc": prep.station_access_s[self.u_station].astype(fl64),
            "u_est": prep.station_estimated[self.u_station].astype(np.bool_),
            "u_lender": np.asarray(self.u_lender_l, np.int64),
            "avail": np.zeros(nu, np.bool_), "in_mission": np.zeros(nu, np.bool_),
            "on_duty": np.ones(nu, np.bool_), "off_after": np.zeros(nu, np.bool_),
            "t_base": np.full(nu, -_INF), "t_avail": np.zeros(nu), "ret_t0": np.zeros(nu),
            "ret_from": np.zeros(nu, np.int64), "ret_leg_out": np.zeros(nu),
            "ret_mission": np.full(nu, -1, np.int64),
            "cur_set": np.zeros(nu, np.bool_), "cur_y": np.zeros(nu, np.int64), "cur_c": np.zeros(nu),
            "cur_rv0": np.zeros(nu), "cur_end": np.zeros(nu, np.bool_),
            "free_cnt": np.zeros((n_centres + 1, nt), np.int64),
            "f_urgent": np.asarray([f.factor(u, urgent=True) for u in UNIT_TYPES], fl64),
            "f_normal": np.asarray([f.factor(u, urgent=False) for u in UNIT_TYPES], fl64),
            "night_s": np.asarray([a for a, _ in night], fl64),
            "night_e": np.asarray([b for _, b in night], fl64),
            "urg": np.asarray(self.urg, np.int64),
            "primary": np.asarray([unit_type_names().index(t.primary) for t in self.types], np.int64),
            "lights": np.asarray([t.lights_and_sirens for t in self.types], np.bool_),
            "n_slots": int(inc.n_slots), "i_node": inc.node.astype(np.int64),
            "i_centre": np.asarray(self.i_centre_l, np.int64), "i_type": inc.type_idx.astype(np.int64),
            "transport": inc.transport.astype(np.bool_), "first_amb_slot": first_amb,
            "handover": inc.handover.astype(fl64), "slot_off": slot_off, "slot_cols": slot_cols,
            "slot_type": np.ascontiguousarray(inc.slot_type, dtype=np.int64).ravel(),
            "on_scene": np.ascontiguousarray(inc.on_scene, dtype=fl64).ravel(),
            "turnout_day": np.ascontiguousarray(inc.turnout_day, dtype=fl64).ravel(),
            "turnout_night": np.ascontiguousarray(inc.turnout_night, dtype=fl64).ravel(),
            "applicable": applicable, "req": req,
            "ag_rule": np.asarray([RULES[ag.rule].code for ag in self.agreements], np.int64),
            "ag_threshold": np.asarray([ag.threshold_s for ag in self.agreements], fl64),
            "ag_keep": np.asarray([ag.keep_home_min for ag in self.agreements], np.int64),
            "ag_foreign_hosp": np.asarray([ag.foreign_hospital for ag in self.agreements], np.bool_),
            "home_ptr": home_ptr, "home_units": home_units, "fl_ptr": fl_ptr, "fl_ag": fl_ag,
            "fl_uptr": fl_uptr, "fl_units": fl_units,
            "fwd": np.ascontiguousarray(prep.fwd, dtype=fl64).reshape(len(spec.stations), n),
            "rev": np.ascontiguousarray(prep.rev, dtype=fl64).reshape(len(spec.stations), n),
            "rev_next": np.ascontiguousarray(prep.rev_next, dtype=np.int64).reshape(len(spec.stations), n),
            "hosp_rev": np.ascontiguousarray(prep.hosp_rev, dtype=fl64).reshape(len(prep.hospitals), n),
            "hosp_extra": prep.hosp_extra_s.astype(fl64), "hosp_node": prep.hosp_node.astype(np.int64),
            "hosp_est": prep.hosp_estimated.astype(np.bool_),
            "hosp_own": hosp_own, "hosp_any": hosp_any,
            "hospital_any_policy": spec.policy.hospital == "nearest_any",
            "redispatch": bool(spec.policy.redispatch_returning),
            "lm": np.ascontiguousarray(lm, dtype=fl64).reshape(n, 2 * n_lm), "n_lm": int(n_lm),
            "lm_station": lm_station, "lm_pred": lm_pred,
            "indptr": indptr, "indices": indices, "data": data, "n_nodes": int(n),
            "lat_r": np.radians(network.lat).astype(fl64), "lon_r": np.radians(network.lon).astype(fl64),
            "cos_lat": np.cos(np.radians(network.lat)).astype(fl64), "inv_vmax": 1.0 / prep.vmax_mps,
            "g": np.full(n, np.inf), "hv": np.zeros(n), "stamp": np.zeros(n, np.int64),
            "heap_f": np.empty(len(data) + 1), "heap_v": np.empty(len(data) + 1, np.int64),
            "tt_cache": _core.new_tt_cache(),
            "path_buf": np.zeros(n + 1, np.int64), "moving_buf": np.zeros(max(nu, 1), np.int64),
            "mh_i": np.full(3, -1, np.int64), "mh_f": np.zeros(2), "cnt": np.zeros(4, np.int64),
            "unserved": np.zeros(n_inc, np.int64), "na": np.zeros(n_inc, np.int64),
            "m_i": np.zeros((n_missions, len(_core.M_INT)), np.int64),
            "m_f": np.zeros((n_missions, len(_core.M_FLOAT))),
            "out_kind": np.zeros(inc.n_slots + 1, np.int64), "out_a": np.zeros(inc.n_slots + 1, np.int64),
            "out_t": np.zeros(inc.n_slots + 1),
        }
        assert tuple(state) == _core.FIELDS, "sim.engine._core.FIELDS and the engine's state differ"
        self.state = state
        self.core = _core.Core(*state.values())
        # the arrays this class reads or writes itself (the same memory as the core's)
        self.avail, self.free_cnt, self.t_avail = state["avail"], state["free_cnt"], state["t_avail"]
        self.on_duty, self.off_after = state["on_duty"], state["off_after"]
        self.in_mission, self.unserved = state["in_mission"], state["unserved"]
        self.out_kind, self.out_a, self.out_t = state["out_kind"], state["out_a"], state["out_t"]
        # one call per event through the compiled functions' entry points (fixed argument types)
        self._dispatch, self._start, self._free = _core.entry_points(self.core)

    # ------------------------------------------------------------------ events
    def _cb_dispatch(self, ev: simpy.events.Event) -> None:
        """A dispatch decision: the call of incident ``order[k]`` is handled, slot by slot."""
        self.n_events += 1
        k = ev._value
        now = self.now = self._t_dec[k]
        i = self._order[k]
        env = self.env
        no = self._dispatch(self.core, i, now)
        if no:
            kinds, ua, ts = self.out_kind.tolist(), self.out_a.tolist(), self.out_t.tolist()
            for q in range(no):
                if kinds[q]:  # no unit: the slot waits in its centre's queue
                    self.n_waiting += 1
                    sl = ua[q]
                    t = self._slot_type(i, sl)
                    heapq.heappush(self.qs[self.i_centre_l[i] * _NT + t],
                                   (self.urg[self.i_type_l[i]], self.i_t_call[i], i, sl))
                else:
                    d = ts[q] - env._now
                    Timeout(env, d if d > 0.0 else 0.0, ua[q]).callbacks.append(self._cbf)
        k += 1
        if k < self._n_dec:
            d = self._t_dec[k] - env._now
            Timeout(env, d if d > 0.0 else 0.0, k).callbacks.append(self._cbd)

    def _slot_type(self, i: int, sl: int) -> int:
        return int(self.inc.slot_type[i, sl])

    def _cb_free(self, ev: simpy.events.Event) -> None:
        """A unit is free (at the scene or hospital; at base when returning units are not re-sent)."""
        self.n_events += 1
        j = ev._value
        if self._free(self.core, j) and self.n_waiting:
            self.now = float(self.t_avail[j])
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

    def _send(self, j: int, i: int, sl: int, a: int) -> None:
        """Start unit `j` on slot `sl` of incident `i` now (a slot taken from a queue)."""
        at = self._start(self.core, j, i, sl, self.now, a, -1.0)
        d = at - self.env._now
        Timeout(self.env, d if d > 0.0 else 0.0, j).callbacks.append(self._cbf)

    # ------------------------------------------------------------------ units becoming free
    def _make_available(self, j: int) -> None:
        self.avail[j] = True
        self.free_cnt[self.u_lender_l[j], self.u_type_l[j]] += 1

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
                if self.free_cnt[self.u_lender_l[j], t] - 1 < self.agreements[a].keep_home_min:
                    continue
                best, bq, ba = q[0], q, a
        if best is None or bq is None:
            return
        heapq.heappop(bq)
        self.n_waiting -= 1
        _, _, i, s = best
        self.unserved[i] -= 1
        self._send(j, i, s, ba)

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
                self.free_cnt[self.u_lender_l[j], self.u_type_l[j]] -= 1
                self.on_duty[j] = False  # it drives home off duty
            else:
                self.on_duty[j] = False
        nxt = _next_shift_change(sh, now)
        if nxt < self.spec.horizon_s:
            self._schedule_shift(j, nxt)

    def search_counts(self) -> dict[str, float]:
        from sim.engine import _core

        cnt = self.state["cnt"]
        return {"searches": float(cnt[_core.C_SEARCHES]), "settled": float(cnt[_core.C_SETTLED])}

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
        from sim.engine import _core

        m = int(self.state["cnt"][_core.C_MISSIONS])
        m_i, m_f = self.state["m_i"][:m], self.state["m_f"][:m]
        cols: dict[str, Any] = {k: m_i[:, c].copy() for c, k in enumerate(_core.M_INT)}
        cols.update({k: m_f[:, c].copy() for c, k in enumerate(_core.M_FLOAT)})
        na_slots, unserved_slots = self.state["na"], self.state["unserved"]
        m_inc, m_unit, m_ag, m_hosp = cols["inc"], cols["unit"], cols["ag"], cols["hosp"]
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
        prim = np.array([unit_type_names().index(t.primary) for t in self.types], np.int64)[inc.type_idx] \
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
            "unit_type": np.asarray(unit_type_names(), dtype=object)[m_type],
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
            "unit_type": np.asarray(unit_type_names(), dtype=object)[self.u_type],
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
        Root seed and replication number of the random streams (:class:`sim.model.streams.Streams`).
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
                       **eng.search_counts()}
    return records
