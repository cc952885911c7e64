"""Where each unit is while it is away from its base: tracks along its routes on the road network.

The records give each mission's times (alert, departure, arrival, leaving the scene, hospital,
free, back at base) but not the roads driven; the routes are rebuilt here as the engine drives
them (:mod:`sim.engine.simulate`): shortest paths from the station's node to the incident's node,
from the incident to the patient's hospital, and back to the station along the tree of shortest
paths to it. A unit sent again on its way home leaves from the last node of its way home that it
has passed (the engine's modelling choice), held there during a request delay. Estimated legs (a
station or hospital beyond the road extract) are straight lines and flagged as such; so are the
missions to calls beyond the extract (node ``-1``), which the engine drives home first, then out, and
back by estimated legs.

Times along a route follow its edges' driving times scaled to the recorded leg, and, within an
edge, the length of its drawn geometry: a unit drawn at any time lies on its route.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.engine import Prepared, prepare
from sim.engine.prepare import station_leg_s
from sim.model.spec import ModelSpec
from sim.roads.network import RoadNetwork, haversine_m, leg_times

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(eq=False)
class MissionTrack:
    """One mission of one unit, from its alert (or decision) until it is back at base or sent again.

    Attributes
    ----------
    mission
        Row label of the mission in the missions table.
    unit_id, unit_type, country, cross_border, incident_id
        From the mission's record (`country`: the unit's station's country).
    t, lon, lat
        The track: the unit is at (`lon`, `lat`)[k] at time `t`[k] (s), moving in a straight line
        between them; `t` does not decrease.
    estimated
        Per point: whether the stretch that ends there is an estimated leg (off the road network).
    route
        The nodes of the drive to the incident (the route the test and the figures can check).
    route_lonlat
        Its drawn polyline, ``(k, 2)`` (lon, lat).
    route_time_s
        The normal driving time of that route on the network (s), before the vehicle's factor.
    """

    mission: Any
    unit_id: str
    unit_type: str
    country: str
    cross_border: bool
    incident_id: int
    t: FloatArray
    lon: FloatArray
    lat: FloatArray
    estimated: npt.NDArray[np.bool_]
    route: list[int] = field(default_factory=list)
    route_lonlat: FloatArray = field(default_factory=lambda: np.zeros((0, 2)))
    route_time_s: float = 0.0

    @property
    def start(self) -> float:
        return float(self.t[0])

    @property
    def end(self) -> float:
        return float(self.t[-1])

    def at(self, time: float) -> tuple[float, float]:
        """Position ``(lon, lat)`` at `time` (clamped to the track's ends)."""
        return float(np.interp(time, self.t, self.lon)), float(np.interp(time, self.t, self.lat))


class _Builder:
    """Pieces of a track appended in time order."""

    def __init__(self, t0: float, lon: float, lat: float) -> None:
        self.t, self.lon, self.lat, self.est = [t0], [lon], [lat], [False]

    @property
    def here(self) -> tuple[float, float]:
        return self.lon[-1], self.lat[-1]

    def hold(self, until: float) -> None:
        if until > self.t[-1]:
            self.t.append(until)
            self.lon.append(self.lon[-1])
            self.lat.append(self.lat[-1])
            self.est.append(False)

    def line(self, lon: float, lat: float, t1: float, *, estimated: bool) -> None:
        self.t.append(max(t1, self.t[-1]))
        self.lon.append(lon)
        self.lat.append(lat)
        self.est.append(estimated)

    def polyline(self, times: FloatArray, pts: FloatArray) -> None:
        for tk, (x, y) in zip(times, pts, strict=True):
            self.line(float(x), float(y), float(tk), estimated=False)

    def cut(self, at: float) -> None:
        """Drop what comes after `at` (the unit was sent again), ending at its position then."""
        t = np.asarray(self.t)
        if at >= t[-1]:
            return
        k = int(np.searchsorted(t, at, side="right"))
        x, y = float(np.interp(at, t, self.lon)), float(np.interp(at, t, self.lat))
        self.t, self.lon, self.lat, self.est = ([*self.t[:k], at], [*self.lon[:k], x], [*self.lat[:k], y],
                                                [*self.est[:k], self.est[k] if k < len(self.est) else False])


def _edge_points(network: RoadNetwork, path: Sequence[int]) -> tuple[FloatArray, FloatArray]:
    """Polyline of a node path and the normal driving time (s) from its start to each point."""
    if len(path) < 2:
        p = int(path[0])
        return np.array([[network.lon[p], network.lat[p]]]), np.zeros(1)
    off, geom = network.edge_geom_offsets, network.edge_geom_lonlat
    pts: list[FloatArray] = []
    times: list[FloatArray] = []
    t0 = 0.0
    for (a, b), e in zip(itertools.pairwise(path), network.path_edges(list(path)), strict=True):
        seg = geom[off[e]:off[e + 1]] if off is not None and geom is not None else np.zeros((0, 2))
        if len(seg) < 2:
            seg = np.array([[network.lon[a], network.lat[a]], [network.lon[b], network.lat[b]]])
        step = np.hypot(np.diff(seg[:, 0]) * np.cos(np.radians(seg[0, 1])), np.diff(seg[:, 1]))
        frac = np.r_[0.0, np.cumsum(step)] / step.sum() if step.sum() > 0 else np.linspace(0, 1, len(seg))
        te = t0 + frac * float(network.edge_time_s[e])
        if pts:
            seg, te = seg[1:], te[1:]
        pts.append(seg)
        times.append(te)
        t0 += float(network.edge_time_s[e])
    return np.vstack(pts), np.concatenate(times)


def _tree_path(nxt: IntArray, start: int) -> list[int]:
    path = [int(start)]
    while nxt[path[-1]] >= 0:
        path.append(int(nxt[path[-1]]))
    return path


def _pred_path(pred: npt.NDArray[Any], root: int, target: int) -> list[int]:
    path = [int(target)]
    while path[-1] != root:
        p = int(pred[path[-1]])
        if p < 0:
            raise ValueError(f"node {target} is not reached from node {root}")
        path.append(p)
    return path[::-1]


@dataclass
class _Return:
    """A unit's way home after a mission: enough to find where it is when it is sent again."""

    t_free: float
    leg_out: float
    hosp_lonlat: tuple[float, float] | None
    ret_from: int
    path: list[int]
    node_times: FloatArray  # normal-speed time from ret_from to each node, times the factor
    station: int
    t_home: float  # back at base, as the engine computes it
    off_lonlat: tuple[float, float] | None = None  # straight way home from beyond the extract from here


class _Routes:
    """The engine's routes for one variant: trees from and to the stations and to the hospitals."""

    def __init__(self, network: RoadNetwork, spec: ModelSpec, prep: Prepared | None = None) -> None:
        self.net = network
        self.spec = spec
        self.prep = prep if prep is not None else prepare(network, spec)
        p = self.prep
        self.station_index = {s.name: k for k, s in enumerate(p.stations)}
        self.hospital_index = {h.name: k for k, h in enumerate(p.hospitals)}
        # the prepared trees are those of the stations with one way onto the network, by node
        self.tree_of_node = {int(p.station_node[s]): k for k, s in enumerate(p.landmark_station)}
        self._hosp_next: dict[int, IntArray] = {}
        self._entries_pred: dict[int, IntArray] = {}

    def hosp_next(self, h: int) -> IntArray:
        if h not in self._hosp_next:
            _, nxt = self.net.times_to([int(self.prep.hosp_node[h])], return_next_hop=True)
            self._hosp_next[h] = np.asarray(nxt)[0]
        return self._hosp_next[h]

    def forward(self, station: int, target: int) -> list[int]:
        """The engine's route from `station` to `target`, from the entry node it goes through."""
        legs = self.prep.station_legs[station]
        if len(legs) == 1:
            root = int(legs[0].node)
            return _pred_path(self.prep.landmark_pred[self.tree_of_node[root]], root, target)
        if station not in self._entries_pred:  # several entry points: its own tree through them
            _, pred = leg_times(self.net, [legs], predecessors=True)
            self._entries_pred[station] = np.asarray(pred[0])
        pred = self._entries_pred[station]
        path = [int(target)]
        while pred[path[-1]] >= 0:
            path.append(int(pred[path[-1]]))
        return path[::-1]

    def leg_s(self, station: int, node: int) -> float:
        """Normal time of `station`'s estimated leg to `node` (0 on the network or at no entry)."""
        if not bool(self.prep.station_estimated[station]):
            return 0.0
        times = [leg.time_s for leg in self.prep.station_legs[station] if leg.node == node]
        return float(min(times)) if times else 0.0


def _drive(b: _Builder, net: RoadNetwork, path: list[int], t0: float, t1: float) -> tuple[FloatArray, float]:
    """Append the drive along `path` (which starts where the track is) from `t0` to `t1`; return its
    polyline and its normal driving time."""
    pts, times = _edge_points(net, path)
    total = float(times[-1])
    if len(path) >= 2 and total > 0:
        b.polyline(t0 + (times[1:] / total) * (t1 - t0), pts[1:])
    b.hold(t1)
    return pts, total


def _position(ret: _Return, now: float, net: RoadNetwork, station_lonlat: tuple[float, float],
              access_s: float) -> tuple[int, float, tuple[float, float]]:
    """Where a unit on its way home is at `now`, as the engine places it: ``(node, extra seconds
    before it drives from that node, drawn point)``."""
    e = now - ret.t_free
    node_ll = (float(net.lon[ret.ret_from]), float(net.lat[ret.ret_from]))
    if e < ret.leg_out and ret.hosp_lonlat is not None:  # still on the hospital's estimated leg
        f = e / ret.leg_out
        (x0, y0), (x1, y1) = ret.hosp_lonlat, node_ll
        return ret.ret_from, ret.leg_out - e, (x0 + f * (x1 - x0), y0 + f * (y1 - y0))
    e2 = e - ret.leg_out
    k = max(int(np.searchsorted(ret.node_times, e2, side="right")) - 1, 0)
    node = ret.path[k]
    ll = (float(net.lon[node]), float(net.lat[node]))
    if k == len(ret.path) - 1 and access_s > 0:  # beyond the last node: on the station's access leg
        extra = e2 - float(ret.node_times[k])
        f = min(extra / access_s, 1.0)
        return node, extra, (ll[0] + f * (station_lonlat[0] - ll[0]), ll[1] + f * (station_lonlat[1] - ll[1]))
    return node, 0.0, ll


def _off_point(ret: _Return, now: float, home: tuple[float, float]) -> tuple[float, float]:
    """Where a unit on its straight way home from beyond the extract is drawn at `now`."""
    assert ret.off_lonlat is not None
    span = ret.t_home - ret.t_free
    f = min(max((now - ret.t_free) / span, 0.0), 1.0) if span > 0 else 1.0
    (x0, y0), (x1, y1) = ret.off_lonlat, home
    return x0 + f * (x1 - x0), y0 + f * (y1 - y0)


def _start(routes: _Routes, m: Any, st: int, ret: _Return | None, now: float) -> _Builder:
    """A mission to a call beyond the extract up to the unit leaving its base: at base, or, sent on
    its way home, driving home first (the engine's choice)."""
    net, station = routes.net, routes.prep.stations[st]
    home = (station.lon, station.lat)
    if not (bool(m.from_returning) and ret is not None):
        b = _Builder(float(m.t_alert_s), *home)
        b.hold(float(m.t_depart_s))
        return b
    if ret.off_lonlat is not None:
        b = _Builder(now, *_off_point(ret, now, home))
        b.hold(float(m.t_depart_s))
    else:
        acc = routes.leg_s(st, ret.path[-1])
        x, _extra, drawn = _position(ret, now, net, home, acc)
        b = _Builder(now, *drawn)
        b.hold(float(m.t_depart_s))
        rest = ret.path[ret.path.index(x):] if x in ret.path else [x]
        _drive(b, net, rest, float(m.t_depart_s), max(ret.t_home - acc, float(m.t_depart_s)))
    b.line(*home, ret.t_home, estimated=True)
    return b


def _beyond_mission(routes: _Routes, m: Any, incident: Any, st: int, ret: _Return | None,
                    next_now: float) -> tuple[MissionTrack, _Return]:
    """The track of a mission to a call beyond the extract: straight estimated legs out, to the
    hospital and home (:func:`sim.engine.prepare.station_leg_s`)."""
    net, p, spec = routes.net, routes.prep, routes.spec
    station = p.stations[st]
    b = _start(routes, m, st, ret, float(m.decision_s))
    b.line(float(incident["lon"]), float(incident["lat"]), float(m.t_arrive_s), estimated=True)
    b.hold(float(m.t_leave_scene_s))
    t_free = float(m.t_free_s)
    back_from = (float(incident["lon"]), float(incident["lat"]))
    hosp_name = str(m.hospital)
    if hosp_name and hosp_name in routes.hospital_index and np.isfinite(m.t_hospital_s):
        hosp = p.hospitals[routes.hospital_index[hosp_name]]
        back_from = (hosp.lon, hosp.lat)
        b.line(*back_from, float(m.t_hospital_s), estimated=True)
        b.hold(t_free)
    unit_type = str(m.unit_type)
    straight = float(haversine_m(back_from[1], back_from[0], station.lat, station.lon))
    t_home = (t_free + float(station_leg_s(net, station, straight)) / spec.driving.relative(unit_type)
              + spec.driving.start_stop(unit_type))
    b.line(station.lon, station.lat, t_home, estimated=True)
    if np.isfinite(next_now):
        b.cut(next_now)
    node = int(p.station_node[st])
    ret = _Return(t_free=t_free, leg_out=0.0, hosp_lonlat=None, ret_from=node, path=[node],
                  node_times=np.zeros(1), station=st, t_home=t_home, off_lonlat=back_from)
    track = MissionTrack(
        mission=m.Index, unit_id=str(m.unit_id), unit_type=unit_type, country=str(m.station_country),
        cross_border=bool(m.cross_border), incident_id=int(m.incident_id), t=np.asarray(b.t, float),
        lon=np.asarray(b.lon, float), lat=np.asarray(b.lat, float), estimated=np.asarray(b.est, bool))
    return track, ret


def mission_tracks(network: RoadNetwork, spec: ModelSpec, missions: pd.DataFrame, incidents: pd.DataFrame,
                   *, start: float = -np.inf, end: float = np.inf,
                   prep: Prepared | None = None) -> list[MissionTrack]:
    """The tracks of the missions of one variant and replication that overlap ``[start, end]``.

    Parameters
    ----------
    network, spec
        The road network and the variant's model (stations, hospitals, speed factors), as run.
    missions, incidents
        The records of that variant and replication (``incident_id``, ``node``, ``lat``, ``lon``).
    start, end
        The stretch of simulated time (s).
    prep
        The engine's prepared tables for `spec` (computed when not given).
    """
    routes = _Routes(network, spec, prep)
    inc = incidents.set_index("incident_id")
    out: list[MissionTrack] = []
    mis = missions.assign(decision_s=missions["t_alert_s"] - missions["request_delay_s"])
    for _unit, g in mis.sort_values(["decision_s", "t_alert_s"]).groupby("unit_id", sort=False):
        ret: _Return | None = None
        rows: list[Any] = list(g.itertuples())
        for k, m in enumerate(rows):
            nxt_now = float(rows[k + 1].decision_s) if k + 1 < len(rows) else np.inf
            if float(m.decision_s) > end:
                break
            st = routes.station_index[str(m.station)]
            track, ret = _one_mission(routes, m, inc.loc[int(m.incident_id)], st, ret, nxt_now)
            if track.end >= start and track.start <= end:
                out.append(track)
    return sorted(out, key=lambda tr: tr.start)


def _one_mission(routes: _Routes, m: Any, incident: Any, st: int, ret: _Return | None,
                 next_now: float) -> tuple[MissionTrack, _Return]:
    net, p, spec = routes.net, routes.prep, routes.spec
    station = p.stations[st]
    target = int(incident["node"])
    if target < 0:
        return _beyond_mission(routes, m, incident, st, ret, next_now)
    now = float(m.decision_s)
    if bool(m.from_returning) and ret is not None and ret.off_lonlat is not None:
        b = _start(routes, m, st, ret, now)  # home first, then as from its base
        path = routes.forward(st, target)
        st_node, acc = path[0], routes.leg_s(st, path[0])
        node_ll = (float(net.lon[st_node]), float(net.lat[st_node]))
        t_net = ret.t_home + acc
        b.line(*node_ll, t_net, estimated=acc > 0)
    elif bool(m.from_returning) and ret is not None:
        x, extra, drawn = _position(ret, now, net, (station.lon, station.lat), routes.leg_s(st, ret.path[-1]))
        b = _Builder(now, *drawn)
        b.hold(float(m.t_depart_s))
        path = net.route(x, target)[2] if x != target else [x]
        t_net = float(m.t_depart_s) + extra
        if extra > 0:
            b.line(float(net.lon[x]), float(net.lat[x]), t_net, estimated=True)
    else:
        path = routes.forward(st, target)
        st_node, acc = path[0], routes.leg_s(st, path[0])
        node_ll = (float(net.lon[st_node]), float(net.lat[st_node]))
        start_pt = (station.lon, station.lat) if acc > 0 else node_ll
        b = _Builder(float(m.t_alert_s), *start_pt)
        b.hold(float(m.t_depart_s))
        t_net = float(m.t_depart_s) + acc
        if acc > 0:
            b.line(float(net.lon[st_node]), float(net.lat[st_node]), t_net, estimated=True)
    route_pts, route_time = _drive(b, net, path, t_net, float(m.t_arrive_s))
    b.hold(float(m.t_leave_scene_s))
    t_free = float(m.t_free_s)
    ret_from, leg_out, hosp_ll = target, 0.0, None
    hosp_name = str(m.hospital)
    if hosp_name and hosp_name in routes.hospital_index and np.isfinite(m.t_hospital_s):
        h = routes.hospital_index[hosp_name]
        hosp = p.hospitals[h]
        extra_h = float(p.hosp_extra_s[h])
        hpath = _tree_path(routes.hosp_next(h), target)
        _drive(b, net, hpath, float(m.t_leave_scene_s), float(m.t_hospital_s) - extra_h)
        if extra_h > 0:
            b.line(hosp.lon, hosp.lat, float(m.t_hospital_s), estimated=True)
        b.hold(t_free)
        ret_from, leg_out, hosp_ll = int(p.hosp_node[h]), extra_h, (hosp.lon, hosp.lat)
        if extra_h > 0:
            b.line(float(net.lon[ret_from]), float(net.lat[ret_from]), t_free + leg_out, estimated=True)
    # the way home: along the station's tree, at normal speed
    fn = 1.0 / spec.driving.relative(str(m.unit_type))  # normal driving, as the engine's f_normal
    rpath = _tree_path(p.rev_next[st], ret_from)
    rv = p.rev[st]
    node_times = np.array([(rv[ret_from] - rv[z]) * fn for z in rpath])
    pts, times = _edge_points(net, rpath)
    # the drawn points between nodes take their times from the edges, fitted to the nodes' times
    if len(rpath) >= 2:
        node_at = np.r_[0.0, np.cumsum(net.edge_time_s[net.path_edges(rpath)])]
        scaled = np.interp(times, node_at, node_times)
        b.polyline(t_free + leg_out + scaled[1:], pts[1:])
    t_home = t_free + leg_out + float(node_times[-1])
    acc_home = routes.leg_s(st, rpath[-1])
    if acc_home > 0:
        b.line(station.lon, station.lat, t_home + acc_home, estimated=True)
    t_back = t_free + leg_out + float(rv[ret_from]) * fn + spec.driving.start_stop(str(m.unit_type))
    ret = _Return(t_free=t_free, leg_out=leg_out, hosp_lonlat=hosp_ll, ret_from=ret_from, path=rpath,
                  node_times=node_times, station=st, t_home=t_back)
    if np.isfinite(next_now):
        b.cut(next_now)
    track = MissionTrack(
        mission=m.Index, unit_id=str(m.unit_id), unit_type=str(m.unit_type),
        country=str(m.station_country), cross_border=bool(m.cross_border), incident_id=int(m.incident_id),
        t=np.asarray(b.t, float), lon=np.asarray(b.lon, float), lat=np.asarray(b.lat, float),
        estimated=np.asarray(b.est, bool), route=list(path), route_lonlat=route_pts, route_time_s=route_time)
    return track, ret
