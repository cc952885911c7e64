"""Preparing a run: stations and hospitals resolved to network nodes, and the travel-time matrices.

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
from sim.roads.network import SNAP_LIMIT_M, RoadNetwork, entry_leg, estimated_leg_s

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_FAR = 1e18
"""Stands for ``inf`` in the landmark tables (keeps their differences free of NaN)."""


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
                    c = np.where(mask[:, None], cost[:, nodes], np.inf)
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


def prepare(network: RoadNetwork, spec: ModelSpec) -> Prepared:
    """Resolve stations and hospitals to nodes and compute the travel-time matrices.

    Stations enter the network as :func:`sim.roads.network.entry_leg` says: on-network ones at their
    nearest node within 1 km (:class:`sim.roads.network.OffNetworkError` naming the station
    otherwise), those with ``off_network`` through their entry point. Only hospitals with an
    emergency department are used.

    Parameters
    ----------
    network
        The road network.
    spec
        The variant (only its stations and hospitals are used: variants with the same ones can
        share the result).
    """
    legs = [entry_leg(network, lat=s.lat, lon=s.lon, access=s.off_network, label=f"station {s.name!r}")
            for s in spec.stations]
    station_node = np.asarray([leg.node for leg in legs], dtype=np.int64)
    hospitals = tuple(h for h in spec.hospitals if h.emergency)
    notes: list[str] = []
    if hospitals:
        hn, hd = network.nearest_nodes([h.lat for h in hospitals], [h.lon for h in hospitals])
    else:
        hn, hd = np.zeros(0, np.int64), np.zeros(0)
    far = hd > SNAP_LIMIT_M
    hosp_extra = np.where(far, estimated_leg_s(hd), 0.0)
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
        station_access_s=np.asarray([leg.time_s for leg in legs], float),
        station_estimated=np.asarray([leg.estimated for leg in legs], bool),
        fwd=np.ascontiguousarray(fwd), rev=np.ascontiguousarray(rev),
        rev_next=np.ascontiguousarray(rev_next, dtype=np.int64), hosp_node=np.asarray(hn, np.int64),
        hosp_extra_s=np.asarray(hosp_extra, float), hosp_estimated=np.asarray(far, bool),
        hosp_rev=np.asarray(hosp_rev, float), vmax_mps=max(vmax, 1e-6), notes=notes,
        landmark_pred=np.ascontiguousarray(pred_u),
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
