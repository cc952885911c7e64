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
   it passed on its way home (exact one-to-all from there, pruned by a straight-line bound at the
   network's top speed), with no turnout. The smallest ETA wins (ties: the first unit in station
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
7. Shifts: a unit whose shift ends goes off duty (after finishing its mission); it comes back on
   duty, at base, at its next start hour.

Simplifications (documented modelling choices): a returning unit's position is the last node it
passed (progress along the current edge is ignored); a unit asked abroad is reserved at the decision
and is held where it is during the request delay; hospitals more than 1 km from the network are
reached through their nearest node plus an estimated leg (straight line × 1.3 at 70 km/h).

Events: one SimPy timeout per dispatch decision and one per unit becoming available (plus shift
changes); everything else in a mission is computed at dispatch because nothing can interrupt it.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy

from sim.demand import Incidents, generate_incidents, incidents_from_log
from sim.model import ModelSpec
from sim.network import OffNetworkError, RoadNetwork, access_leg, haversine_m
from sim.policy import Agreement
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

_ROW_CACHE_SIZE = 256
_INF = float("inf")

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
    if len(station_node):
        fwd = network.times_from(station_node)
        rev, rev_next = network.times_to(station_node, return_next_hop=True)
    else:
        fwd = rev = np.zeros((0, network.n_nodes))
        rev_next = np.zeros((0, network.n_nodes), np.int64)
    hosp_rev = network.times_to(hn) if len(hn) else np.zeros((0, network.n_nodes))
    ok = network.edge_time_s > 0
    vmax = float(np.max(network.edge_length_m[ok] / network.edge_time_s[ok])) if ok.any() else 1.0
    return Prepared(
        network=network, stations=tuple(spec.stations), hospitals=hospitals, station_node=station_node,
        station_access_s=np.asarray(st_acc, float), station_estimated=np.asarray(st_est, bool),
        fwd=np.ascontiguousarray(fwd), rev=np.ascontiguousarray(rev),
        rev_next=np.ascontiguousarray(rev_next, dtype=np.int64), hosp_node=np.asarray(hn, np.int64),
        hosp_extra_s=np.asarray(hosp_extra, float), hosp_estimated=np.asarray(far, bool),
        hosp_rev=np.asarray(hosp_rev, float), vmax_mps=max(vmax, 1e-6), notes=notes,
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
    """

    incidents: dict[str, np.ndarray]
    missions: dict[str, np.ndarray]
    units: dict[str, np.ndarray]
    n_events: int
    notes: list[str] = field(default_factory=list)


def _agreement_party_matches(party: str, *, country: str, centre: str) -> bool:
    return party in (country, centre)


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
        c = np.floor(t / 86400.0) * 86400.0 + hour * 3600.0
        while c <= t + 1e-9:
            c += 86400.0
        best = min(best, c)
    return float(best)


# ------------------------------------------------------------------------------------------ engine
class _Engine:
    """State of one run. Not public: use :func:`simulate`."""

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
        self.u_node = prep.station_node[self.u_station] if nu else np.zeros(0, np.int64)
        self.u_node_l: list[int] = self.u_node.tolist()
        self.u_acc = prep.station_access_s[self.u_station] if nu else np.zeros(0)
        self.u_acc_l: list[float] = self.u_acc.tolist()
        self.u_est_l: list[bool] = (prep.station_estimated[self.u_station].tolist() if nu else [])
        self.u_country = [spec.stations[s].country for s in u_station]
        self.u_centre_name = [spec.stations[s].dispatch_centre for s in u_station]
        # lending centre code (its own dispatch centre; n_centres where unknown to the network)
        self.u_lender = np.asarray([centre_code.get(c, n_centres) for c in self.u_centre_name], np.int64)
        self.u_lender_l: list[int] = self.u_lender.tolist()
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
        self.home: list[list[IntArray]] = [[np.zeros(0, np.int64) for _ in range(nt)]
                                           for _ in range(n_centres + 1)]
        for c in range(n_centres):
            for t in range(nt):
                self.home[c][t] = np.asarray(
                    [j for j in range(nu) if u_type[j] == t and c in home_of[j]], np.int64)
        # foreign candidates: foreign[c][t] = [(agreement index, unit ids)]
        self.foreign: list[list[list[tuple[int, IntArray]]]] = [[[] for _ in range(nt)]
                                                                for _ in range(n_centres + 1)]
        self.lend_targets: list[list[tuple[int, int]]] = [[] for _ in range(nu)]
        for c in range(n_centres):
            cname, ccountry = network.centres[c], self.centre_country[c]
            for t in range(nt):
                claimed = set(self.home[c][t].tolist())
                for a, ag in enumerate(self.agreements):
                    if UNIT_TYPES[t] not in ag.unit_types:
                        continue
                    pairs = []  # (lender party, borrower party)
                    if ag.direction in ("both", "first_helps_second"):
                        pairs.append((ag.parties[0], ag.parties[1]))
                    if ag.direction in ("both", "second_helps_first"):
                        pairs.append((ag.parties[1], ag.parties[0]))
                    units = []
                    for lender, borrower in pairs:
                        if not _agreement_party_matches(borrower, country=ccountry, centre=cname):
                            continue
                        for j in range(nu):
                            if u_type[j] != t or j in claimed:
                                continue
                            st = spec.stations[u_station[j]]
                            if ag.stations and st.name not in ag.stations:
                                continue
                            if _agreement_party_matches(lender, country=st.country,
                                                        centre=st.dispatch_centre):
                                units.append(j)
                                claimed.add(j)
                    if units:
                        self.foreign[c][t].append((a, np.asarray(units, np.int64)))
                        for j in units:
                            self.lend_targets[j].append((c, a))
        self.applicable = [[len(self.home[c][t]) > 0
                            or any(_can_fire(self.agreements[a]) for a, _ in self.foreign[c][t])
                            for t in range(nt)] for c in range(n_centres + 1)]
        # ---------------------------------------------------------------- state
        self.redispatch = spec.policy.redispatch_returning
        self.avail = np.zeros(nu, dtype=bool)
        self.free_cnt = np.zeros((n_centres + 1, nt), np.int64)
        self.in_mission = [False] * nu
        self.on_duty = [True] * nu
        self.off_after = [False] * nu
        self.t_base = np.full(nu, -_INF)          # time the unit is (was) back at base
        self.ret_t0 = [0.0] * nu                  # time the way home started
        self.ret_from = [0] * nu                  # node where the network part starts
        self.ret_leg_out = [0.0] * nu             # estimated leg before the network part
        self.ret_path: list[tuple[list[int], FloatArray] | None] = [None] * nu
        self.ret_mission = [-1] * nu              # mission whose t_base is pending
        self.queues: dict[tuple[int, int], list[tuple[int, float, int, int]]] = {}
        self.row_cache: dict[int, tuple[FloatArray, float]] = {}
        self.hosp_cache: dict[tuple[int, bool], int] = {}
        # ---------------------------------------------------------------- incident views
        self.i_node = inc.node.tolist()
        self.i_centre = [c if c >= 0 else n_centres for c in inc.centre.tolist()]
        self.i_country = [network.countries[c] if c >= 0 else "" for c in inc.country.tolist()]
        self.i_type = inc.type_idx.tolist()
        self.i_t_call = inc.t_call.tolist()
        self.urg = [t.urgency for t in self.types]
        self.primary = [UNIT_TYPES.index(t.primary) for t in self.types]
        self.lights = [t.lights_and_sirens for t in self.types]
        self.slot_type = inc.slot_type.tolist()
        self.slot_active = inc.slot_active.tolist()
        self.first_amb_slot = []
        amb = UNIT_TYPES.index("ambulance")
        for i in range(len(inc)):
            row = self.slot_type[i]
            self.first_amb_slot.append(row.index(amb) if amb in row else -1)
        self.transport = inc.transport.tolist()
        self.on_scene = inc.on_scene
        self.req = {a: inc.request_delay[ag.name] for a, ag in enumerate(self.agreements)}
        night = []
        for u in UNIT_TYPES:
            tout = spec.turnout.get(u)
            night.append((tout.night_start_hour, tout.night_end_hour) if tout is not None else (0.0, 0.0))
        self.night_hours = night
        self.lat_l, self.lon_l = network.lat, network.lon
        # ---------------------------------------------------------------- records
        self.m_cols: dict[str, list[Any]] = {k: [] for k in (
            "inc", "unit", "ag", "from_ret", "est", "t_dec", "t_alert", "t_depart", "t_arrive", "t_leave",
            "t_hosp", "t_free", "t_base", "hosp", "req", "travel")}
        self.unserved_slots = np.zeros(len(inc), np.int64)
        self.na_slots = np.zeros(len(inc), np.int64)

    # ------------------------------------------------------------------ helpers
    def _schedule(self, at: float, fn: Callable[[int], None], arg: int) -> None:
        """Call ``fn(arg)`` at time `at` (the handler sees ``self.now == at`` exactly, not the clock's
        ``env.now``, which may differ from it by rounding)."""
        ev = self.env.timeout(max(at - self.env.now, 0.0), value=arg)
        ev.callbacks.append(lambda e: self._fire(fn, e.value, at))

    def _fire(self, fn: Callable[[int], None], arg: int, at: float) -> None:
        self.n_events += 1
        self.now = at
        fn(arg)

    def _turnout(self, i: int, s: int, t: int, t_alert: float) -> float:
        ns, ne = self.night_hours[t]
        if ns == ne:
            return float(self.inc.turnout_day[i, s])
        h = (t_alert / 3600.0) % 24.0
        night = (h >= ns or h < ne) if ns > ne else (ns <= h < ne)
        return float(self.inc.turnout_night[i, s] if night else self.inc.turnout_day[i, s])

    def _row(self, x: int, need: float) -> FloatArray:
        """Normal driving times from node `x` to every node, exact up to at least `need` seconds."""
        hit = self.row_cache.get(x)
        if hit is not None and hit[1] >= need:
            return hit[0]
        lim = _INF if need == _INF else need * 1.5 + 60.0
        row = self.net.one_to_all(x, limit=lim)
        if len(self.row_cache) >= _ROW_CACHE_SIZE:
            self.row_cache.clear()
        self.row_cache[x] = (row, lim)
        return row

    def _travel(self, x: int, target: int) -> float:
        """Exact normal driving time from node `x` to `target` (cached rows reused when exact)."""
        hit = self.row_cache.get(x)
        if hit is not None and hit[0][target] <= hit[1]:
            return float(hit[0][target])
        return float(self._row(x, _INF)[target])

    def _return_path(self, j: int) -> tuple[list[int], FloatArray]:
        p = self.ret_path[j]
        if p is None:
            st = self.u_station_l[j]
            nxt, rv = self.prep.rev_next[st], self.prep.rev[st]
            x = self.ret_from[j]
            nodes = [x]
            while True:
                y = int(nxt[x])
                if y < 0:
                    break
                nodes.append(y)
                x = y
            arr = np.asarray(nodes, np.int64)
            fn = self.f_normal[self.u_type_l[j]]
            cum = (rv[arr[0]] - rv[arr]) * fn
            p = (nodes, cum)
            self.ret_path[j] = p
        return p

    def _position(self, j: int, now: float) -> tuple[int, float, bool]:
        """``(node, extra seconds before driving from it, at base)`` of an available unit."""
        if now >= self.t_base[j]:
            return self.u_node_l[j], 0.0, True
        e = now - self.ret_t0[j]
        out = self.ret_leg_out[j]
        if e < out:
            return self.ret_from[j], out - e, False
        nodes, cum = self._return_path(j)
        e2 = e - out
        if e2 >= cum[-1]:  # on the off-network leg of an off-network station: turn back
            return self.u_node_l[j], e2 - float(cum[-1]), False
        k = int(np.searchsorted(cum, e2, side="right")) - 1
        return nodes[k], 0.0, False

    def _moving_eta(self, j: int, now: float, target: int, f: float, best: float) -> tuple[float, int, float]:
        """ETA of a unit on its way home (no turnout), or ``inf`` if it cannot beat `best`."""
        x, extra, _ = self._position(j, now)
        if x == target:
            return extra, x, extra
        lb = extra + float(haversine_m(self.lat_l[x], self.lon_l[x], self.lat_l[target],
                                       self.lon_l[target])) / self.prep.vmax_mps * f
        if lb >= best:
            return _INF, x, extra
        need = (best - extra) / f if best < _INF else _INF
        tt = float(self._row(x, need)[target])
        return extra + tt * f, x, extra

    def _best(self, cand: IntArray, now: float, target: int, f: float, turnout: float,
              best: float) -> tuple[float, int]:
        """Best (ETA, unit) among available units `cand` (ETA must beat `best`)."""
        if len(cand) == 0:
            return best, -1
        tb = self.t_base[cand]
        at_base = tb <= now
        bj = -1
        if at_base.any():
            c = cand[at_base]
            eta = self.prep.fwd[self.u_station[c], target] * f + self.u_acc[c] + turnout
            k = int(np.argmin(eta))
            if eta[k] < best:
                best, bj = float(eta[k]), int(c[k])
        if not at_base.all():
            for j in cand[~at_base].tolist():
                e, _, _ = self._moving_eta(j, now, target, f, best)
                if e < best:
                    best, bj = e, j
        return best, bj

    # ------------------------------------------------------------------ dispatch
    def _on_dispatch(self, i: int) -> None:
        now = self.now
        c = self.i_centre[i]
        types_row, active = self.slot_type[i], self.slot_active[i]
        for s in range(len(types_row)):
            t = types_row[s]
            if t < 0 or not active[s]:
                continue
            if not self.applicable[c][t]:
                if t == self.primary[self.i_type[i]]:
                    self.unserved_slots[i] += 1  # can never be served; not queued
                else:
                    self.na_slots[i] += 1
                continue
            j, a = self._choose(i, s, t, c, now)
            if j < 0:
                self.unserved_slots[i] += 1
                heapq.heappush(self.queues.setdefault((c, t), []),
                               (self.urg[self.i_type[i]], self.i_t_call[i], i, s))
            else:
                self._start(j, i, s, now, a)

    def _choose(self, i: int, s: int, t: int, c: int, now: float) -> tuple[int, int]:
        target = self.i_node[i]
        f = self.f_urgent[t] if self.lights[self.i_type[i]] else self.f_normal[t]
        home = self.home[c][t]
        cand = home[self.avail[home]] if len(home) else home
        turnout = self._turnout(i, s, t, now)
        h, j = self._best(cand, now, target, f, turnout, _INF)
        best, bj, ba = h, j, -1
        for a, units in self.foreign[c][t]:
            ag = self.agreements[a]
            rule = ag.rule
            if rule == "if_no_home_unit" and j >= 0:
                continue
            if rule == "if_home_eta_over" and not h > ag.threshold_s:
                continue
            cand = units[self.avail[units]]
            if len(cand) == 0:
                continue
            if ag.keep_home_min > 0:
                cand = cand[self.free_cnt[self.u_lender[cand], t] - 1 >= ag.keep_home_min]
                if len(cand) == 0:
                    continue
            delay = float(self.req[a][i])
            margin = ag.threshold_s if rule == "if_faster_by" else 0.0
            lim = h - margin  # NaN when both are inf: such a rule never fires
            if not lim > 0:
                continue
            bound = min(best, lim)
            tout = self._turnout(i, s, t, now + delay)
            e, fj = self._best(cand, now, target, f, tout + delay, bound)
            if fj >= 0 and e < bound:
                best, bj, ba = e, fj, a
        return bj, ba

    def _hospital(self, node: int, country: str, any_country: bool) -> int:
        key = (node, any_country)
        h = self.hosp_cache.get(key)
        if h is None:
            prep = self.prep
            cost = prep.hosp_rev[:, node] + prep.hosp_extra_s
            if not any_country:
                mask = np.array([ho.country == country for ho in prep.hospitals], bool)
                if mask.any():
                    cost = np.where(mask, cost, _INF)
            h = int(np.argmin(cost)) if len(cost) and np.isfinite(cost).any() else -1
            self.hosp_cache[key] = h
        return h

    def _start(self, j: int, i: int, s: int, now: float, a: int) -> None:
        """Send unit `j` to slot `s` of incident `i` (decision at `now`; `a` agreement or -1)."""
        t = self.u_type_l[j]
        target = self.i_node[i]
        itype = self.i_type[i]
        f = self.f_urgent[t] if self.lights[itype] else self.f_normal[t]
        delay = float(self.req[a][i]) if a >= 0 else 0.0
        t_alert = now + delay
        st = self.u_station_l[j]
        x, extra, at_base = self._position(j, now)
        if at_base:
            turnout = self._turnout(i, s, t, t_alert)
            travel = self.u_acc_l[j] + float(self.prep.fwd[st, target]) * f
            est = self.u_est_l[j]
        else:
            turnout = 0.0
            travel = extra + self._travel(x, target) * f
            est = False
            m_prev = self.ret_mission[j]
            if m_prev >= 0:
                self.m_cols["t_base"][m_prev] = np.nan
        self.ret_mission[j] = -1
        t_depart = t_alert + turnout
        t_arrive = t_depart + travel
        t_leave = t_arrive + float(self.on_scene[i, s])
        hosp, t_hosp = -1, np.nan
        ret_from, leg_out = target, 0.0
        if s == self.first_amb_slot[i] and self.transport[i]:
            any_c = (self.spec.policy.hospital == "nearest_any"
                     or (a >= 0 and self.agreements[a].foreign_hospital))
            hosp = self._hospital(target, self.i_country[i], any_c)
            if hosp >= 0:
                ft = self.f_urgent[t] if self.urg[itype] == 1 else self.f_normal[t]
                t_hosp = (t_leave + float(self.prep.hosp_rev[hosp, target]) * ft
                          + float(self.prep.hosp_extra_s[hosp]))
                t_free = t_hosp + float(self.inc.handover[i])
                ret_from = int(self.prep.hosp_node[hosp])
                leg_out = float(self.prep.hosp_extra_s[hosp])
                est = est or bool(self.prep.hosp_estimated[hosp])
            else:
                t_free = t_leave
        else:
            t_free = t_leave
        t_base = t_free + leg_out + float(self.prep.rev[st, ret_from]) * self.f_normal[t] + self.u_acc_l[j]
        # state
        self.avail[j] = False
        self.free_cnt[self.u_lender_l[j], t] -= 1
        self.in_mission[j] = True
        self.ret_t0[j] = t_free
        self.ret_from[j] = ret_from
        self.ret_leg_out[j] = leg_out
        self.ret_path[j] = None
        self.t_base[j] = t_base
        cols = self.m_cols
        self.ret_mission[j] = len(cols["inc"])
        for k, v in (("inc", i), ("unit", j), ("ag", a), ("from_ret", not at_base), ("est", est),
                     ("t_dec", now), ("t_alert", t_alert), ("t_depart", t_depart), ("t_arrive", t_arrive),
                     ("t_leave", t_leave), ("t_hosp", t_hosp), ("t_free", t_free), ("t_base", t_base),
                     ("hosp", hosp), ("req", delay), ("travel", travel)):
            cols[k].append(v)
        t_avail = t_free if self.redispatch else t_base
        self._schedule(t_avail, self._on_free, j)

    # ------------------------------------------------------------------ units becoming free
    def _make_available(self, j: int) -> None:
        self.avail[j] = True
        self.free_cnt[self.u_lender_l[j], self.u_type_l[j]] += 1

    def _on_free(self, j: int) -> None:
        self.in_mission[j] = False
        if self.off_after[j] or not self.on_duty[j]:
            self.off_after[j] = False
            self.on_duty[j] = False
            return
        self._make_available(j)
        self._serve_queue(j)

    def _serve_queue(self, j: int) -> None:
        t = self.u_type_l[j]
        best: tuple[int, float, int, int] | None = None
        bq: list[tuple[int, float, int, int]] | None = None
        for c in self.home_of[j]:
            q = self.queues.get((c, t))
            if q and (best is None or q[0] < best):
                best, bq = q[0], q
        ba = -1
        if best is None:
            for c, a in self.lend_targets[j]:
                q = self.queues.get((c, t))
                if not q or (best is not None and not q[0] < best):
                    continue
                ag = self.agreements[a]
                if not _can_fire(ag):
                    continue
                if self.free_cnt[self.u_lender_l[j], t] - 1 < ag.keep_home_min:
                    continue
                best, bq, ba = q[0], q, a
        if best is None or bq is None:
            return
        heapq.heappop(bq)
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
                self.t_base[j] = min(self.t_base[j], now)
                self._make_available(j)
                self._serve_queue(j)
        else:
            if self.in_mission[j]:
                self.off_after[j] = True
            elif self.avail[j]:
                self.avail[j] = False
                self.free_cnt[self.u_lender_l[j], self.u_type_l[j]] -= 1
                self.on_duty[j] = False
                self.ret_mission[j] = -1  # it drives home off duty; its mission keeps its t_base
            else:
                self.on_duty[j] = False
        nxt = _next_shift_change(sh, now)
        if nxt < self.spec.horizon_s:
            self._schedule(nxt, self._on_shift, j)

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
                self._schedule(_next_shift_change(sh, 0.0), self._on_shift, j)
        t_dec = self.inc.t_call + self.inc.call_processing
        order = np.argsort(t_dec, kind="stable")
        order = order[t_dec[order] < horizon]
        self._order = order.tolist()
        self._t_dec = t_dec[order].tolist()
        self._k = 0
        if self._order:
            self._schedule(self._t_dec[0], self._dispatch_next, 0)
        self.env.run(until=horizon)

    def _dispatch_next(self, k: int) -> None:
        self._on_dispatch(self._order[k])
        k += 1
        if k < len(self._order):
            self._schedule(self._t_dec[k], self._dispatch_next, k)

    # ------------------------------------------------------------------ records
    def records(self, notes: list[str]) -> SimRecords:
        inc, spec, net = self.inc, self.spec, self.net
        n = len(inc)
        cols = self.m_cols
        m_inc = np.asarray(cols["inc"], np.int64)
        m_unit = np.asarray(cols["unit"], np.int64)
        m_ag = np.asarray(cols["ag"], np.int64)
        m_hosp = np.asarray(cols["hosp"], np.int64)
        t_arrive = np.asarray(cols["t_arrive"], float)
        m_type = self.u_type[m_unit] if len(m_unit) else np.zeros(0, np.int64)
        st_country = np.asarray(self.u_country, dtype=object)[m_unit] if len(m_unit) else np.zeros(0, object)
        inc_country = np.asarray(self.i_country, dtype=object)[m_inc] if len(m_inc) else np.zeros(0, object)
        cross = st_country != inc_country
        direction = (np.where(cross, st_country + "->" + inc_country, "") if len(m_unit)
                     else np.zeros(0, object))
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
        applicable = active - self.na_slots
        served = (served_slots >= applicable) & (applicable > 0)
        served &= self.unserved_slots == 0
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
        on_duty = np.asarray([_shift_seconds(sh, lo, hi) for sh in self.u_shift], float)
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
    eng = _Engine(network, spec, prepared, incidents, streams)
    eng.run()
    return eng.records(notes)
