"""Preparing a run: stations and hospitals resolved to network nodes, and the travel-time matrices.

The matrices hold the reference vehicle's normal driving times (the network's edge times,
:mod:`sim.roads.speeds`), a station's estimated legs beyond the extract included: every vehicle,
with or without lights and sirens, drives them at a constant multiple (:mod:`sim.roads.driving`),
so the legs of a foreign post are sped up exactly as the roads of a home post are. A station with
several entry points enters and leaves the network wherever that is fastest for each node.

Variants with the same network and stations share one :class:`Prepared` (it pickles, e.g. to Dask
workers, without its lazily built tables).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import dijkstra

from sim.model.spec import ModelSpec
from sim.model.units import Hospital, Station
from sim.roads.network import (
    SNAP_LIMIT_M,
    AccessLeg,
    RoadNetwork,
    entry_legs,
    estimated_leg_s,
    haversine_m,
    leg_times,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_FAR = 1e18
"""Stands for ``inf`` in the landmark tables (keeps their differences free of NaN)."""


@dataclass(eq=False)
class Prepared:
    """Stations and hospitals resolved to nodes, with the travel-time matrices the engine needs.

    Attributes
    ----------
    station_legs
        Each station's ways onto the network (:func:`sim.roads.network.entry_legs`): one leg of
        time 0 on the network, one estimated leg per entry point beyond it.
    station_node, station_estimated
        Node where each station's units enter the network (its first entry point) and whether
        its legs are estimates.
    fwd
        ``(n_stations, n_nodes)`` normal driving time from each station to every node (legs
        included, through the fastest entry point).
    rev, rev_next
        ``(n_stations, n_nodes)`` normal driving time from every node to each station, and the
        next node on that route (``-9999`` at the entry node it leaves the network by, and where
        unreachable).
    hosp_node, hosp_extra_s, hosp_estimated, hosp_rev
        Emergency hospitals: node, estimated leg beyond the network, and ``(n_hosp, n_nodes)`` time
        from every node to them.
    vmax_mps
        Top speed of any edge (straight-line lower bound on travel times).
    landmark_station, landmark_pred
        The stations whose times serve as landmarks (one per distinct node, stations with a single
        way onto the network only: a landmark's times must be those of one network node plus a
        constant), and their forward shortest-path trees: the predecessor of every node (negative
        at the root and where unreachable).
    """

    network: RoadNetwork
    stations: tuple[Station, ...]
    hospitals: tuple[Hospital, ...]
    station_legs: tuple[tuple[AccessLeg, ...], ...]
    station_node: IntArray
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
    landmark_station: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
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
                    c = np.where(mask[:, None], cost[:, nodes], np.inf)
                    h_own[nodes] = np.where(np.isfinite(c).any(axis=0), np.argmin(c, axis=0), -1)
                self._memo["hospitals"] = (h_own.astype(np.int64), h_any.astype(np.int64))
        own, any_country = self._memo["hospitals"]
        return own, any_country

    def landmarks(self) -> tuple[FloatArray, int]:
        """``(table, L)``: per node, the forward times from the ``L`` landmark stations and minus
        the reverse times to them (``inf`` as :data:`_FAR`), shape ``(n_nodes, 2 L)``."""
        if "landmarks" not in self._memo:
            first = self.landmark_station
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
            first = self.landmark_station
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

    def hospital_legs(self) -> FloatArray:
        """``(n_hosp, n_stations)``: the estimated leg from each hospital to each station's base
        (:func:`station_leg_s`): how units return from a mission beyond the extract."""
        if "hospital_legs" not in self._memo:
            out = np.zeros((len(self.hospitals), len(self.stations)))
            for s, st in enumerate(self.stations):
                out[:, s] = station_leg_s(self.network, st, haversine_m(
                    [h.lat for h in self.hospitals], [h.lon for h in self.hospitals], st.lat, st.lon))
            self._memo["hospital_legs"] = out
        legs: FloatArray = self._memo["hospital_legs"]
        return legs

    def __getstate__(self) -> dict[str, Any]:
        # the lazily built tables are large and quick to rebuild: not pickled (e.g. to Dask workers)
        state = dict(self.__dict__)
        state["_memo"] = {}
        return state


def _landmark_stations(legs: list[tuple[AccessLeg, ...]]) -> IntArray:
    """The first station at each distinct node among those with a single way onto the network, in
    the order of their nodes."""
    first: dict[int, int] = {}
    for i, group in enumerate(legs):
        if len(group) == 1:
            first.setdefault(group[0].node, i)
    return np.asarray([first[node] for node in sorted(first)], dtype=np.int64)


def station_leg_s(network: RoadNetwork, station: Station, straight_m: Any) -> Any:
    """The estimated leg (s, normal driving of the reference vehicle) of a station's units over
    `straight_m` metres of straight line, not routed on `network`:
    :func:`sim.roads.network.estimated_leg_s` as for the station's own off-network legs (its
    ``speed_kmh`` and detour factor when given, else the network's own pace). The engine speeds it
    up and adds the start/stop cost like every leg (:mod:`sim.roads.driving`)."""
    off = station.off_network
    if off is None or off.speed_kmh is None:
        return estimated_leg_s(network, straight_m)
    return estimated_leg_s(network, straight_m, speed_kmh=float(off.speed_kmh),
                           detour_factor=float(off.detour_factor))


def beyond_legs(prep: Prepared, lat: FloatArray, lon: FloatArray, country: IntArray,
                centre: IntArray) -> tuple[FloatArray, IntArray, FloatArray]:
    """Estimated legs of incidents beyond the extract (at `lat`, `lon`; codes of the network's
    `country` and `centre`).

    Returns
    -------
    leg
        ``(n, n_stations)``: from each station's base to the incident (:func:`station_leg_s`) for
        the stations whose units the incident's centre sends as its own (``dispatch_centre`` or
        ``also_serves``); ``inf`` for the others.
    hosp, hosp_s
        ``(n, 2)``: the hospital (index into ``prep.hospitals``, ``-1``: none) a patient goes to
        and the estimated leg there (:func:`sim.roads.network.estimated_leg_s`, as for a hospital
        beyond the extract): column 0 the nearest of the incident's country (any country when it
        has none), column 1 the nearest of any country.
    """
    net, n = prep.network, len(lat)
    leg = np.full((n, len(prep.stations)), np.inf)
    for s, st in enumerate(prep.stations):
        codes = [k for k, c in enumerate(net.centres) if c in (st.dispatch_centre, *st.also_serves)]
        rows = np.flatnonzero(np.isin(centre, codes))
        leg[rows, s] = station_leg_s(net, st, haversine_m(lat[rows], lon[rows], st.lat, st.lon))
    hosp = np.full((n, 2), -1, np.int64)
    hosp_s = np.zeros((n, 2))
    if prep.hospitals and n:
        h_lat = np.array([h.lat for h in prep.hospitals])
        h_lon = np.array([h.lon for h in prep.hospitals])
        cost = estimated_leg_s(net, haversine_m(lat[:, None], lon[:, None], h_lat[None, :], h_lon[None, :]))
        h_country = np.array([h.country for h in prep.hospitals], dtype=object)
        own = h_country[None, :] == np.array([net.countries[c] if c >= 0 else "" for c in country],
                                             dtype=object)[:, None]
        own[~own.any(axis=1)] = True
        hosp[:, 0] = np.argmin(np.where(own, cost, np.inf), axis=1)
        hosp[:, 1] = np.argmin(cost, axis=1)
        hosp_s = np.take_along_axis(cost, hosp, axis=1)
    return leg, hosp, hosp_s


def prepare(network: RoadNetwork, spec: ModelSpec) -> Prepared:
    """Resolve stations and hospitals to nodes and compute the travel-time matrices.

    Stations enter the network as :func:`sim.roads.network.entry_legs` says: on-network ones at their
    nearest node within 1 km (:class:`sim.roads.network.OffNetworkError` naming the station
    otherwise), those with ``off_network`` through their entry points (the fastest for each node).
    Only hospitals with an emergency department are used.

    Parameters
    ----------
    network
        The road network.
    spec
        The variant (only its stations and hospitals are used: variants with the same ones can
        share the result).
    """
    spec.driving.check_network(network)
    legs = [entry_legs(network, lat=s.lat, lon=s.lon, access=s.off_network, label=f"station {s.name!r}")
            for s in spec.stations]
    station_node = np.asarray([group[0].node for group in legs], dtype=np.int64)
    hospitals = tuple(h for h in spec.hospitals if h.emergency)
    notes: list[str] = []
    if hospitals:
        hn, hd = network.nearest_nodes([h.lat for h in hospitals], [h.lon for h in hospitals])
    else:
        hn, hd = np.zeros(0, np.int64), np.zeros(0)
    far = hd > SNAP_LIMIT_M
    hosp_extra = np.where(far, estimated_leg_s(network, hd) if far.any() else 0.0, 0.0)
    for k in np.flatnonzero(far):
        notes.append(f"hospital {hospitals[k].name!r} is {hd[k]:,.0f} m off the network: estimated leg "
                     f"of {hosp_extra[k]:.0f} s")
    n = network.n_nodes
    if legs:
        fwd, pred = leg_times(network, legs, predecessors=True)
        rev, rev_next = leg_times(network, legs, reverse=True, predecessors=True)
    else:
        fwd = rev = np.zeros((0, n))
        pred = rev_next = np.zeros((0, n), np.int64)
    lm_station = _landmark_stations(legs)
    h_uniq, h_inv = np.unique(hn, return_inverse=True)
    hosp_rev = network.times_to(h_uniq)[h_inv] if len(hn) else np.zeros((0, n))
    ok = network.edge_time_s > 0
    vmax = float(np.max(network.edge_length_m[ok] / network.edge_time_s[ok])) if ok.any() else 1.0
    return Prepared(
        network=network, stations=tuple(spec.stations), hospitals=hospitals, station_legs=tuple(legs),
        station_node=station_node, station_estimated=np.asarray([any(leg.estimated for leg in group)
                                                                 for group in legs], bool),
        fwd=np.ascontiguousarray(fwd), rev=np.ascontiguousarray(rev),
        rev_next=np.ascontiguousarray(rev_next, dtype=np.int64), hosp_node=np.asarray(hn, np.int64),
        hosp_extra_s=np.asarray(hosp_extra, float), hosp_estimated=np.asarray(far, bool),
        hosp_rev=np.asarray(hosp_rev, float), vmax_mps=max(vmax, 1e-6), notes=notes,
        landmark_station=lm_station,
        landmark_pred=np.ascontiguousarray(np.where(pred[lm_station] < 0, -9999, pred[lm_station]),
                                           dtype=np.int32),
    )


_NODE_MATRICES = ("fwd", "rev", "rev_next", "hosp_rev", "landmark_pred")
"""The fields of :class:`Prepared` that depend only on the network and the station and hospital nodes."""


def share_matrices(prepared: Iterable[Prepared]) -> int:
    """Make objects prepared on one network for the same station and hospital nodes share one copy of
    their travel-time matrices (in place); return how many distinct copies remain.

    Stations that differ only in what does not move their entry node (their units, an off-network
    leg's speed) give equal matrices: sharing them keeps memory, and what is pickled to workers once,
    to one copy per set of nodes.
    """
    first: dict[tuple[int, bytes, bytes], Prepared] = {}
    for p in prepared:
        key = (id(p.network), p.station_node.tobytes(), p.hosp_node.tobytes())
        owner = first.setdefault(key, p)
        if owner is not p:
            for name in _NODE_MATRICES:
                setattr(p, name, getattr(owner, name))
    return len(first)
