"""A road network as flat numpy arrays, with many-to-many travel times from ``scipy.sparse.csgraph``.

`RoadNetwork` is the model's only view of the roads: node coordinates, directed edges with a length
and a travel time at normal driving speed, and the country and dispatch centre of every node. It is
built from OpenStreetMap by :mod:`sim.roads.osm` (and cached there); tests build tiny ones with
:meth:`RoadNetwork.from_arrays`. Nothing here reads files.

Travel times are in seconds of the reference vehicle (an ambulance) driving normally
(:mod:`sim.roads.speeds`); every vehicle, with or without lights and sirens, drives them at a
constant multiple (:mod:`sim.roads.driving`). Bases beyond the extract reach it through estimated
legs timed at the network's own pace (:class:`LegPace`), one per entry point (:func:`leg_times`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from sim.roads._dead_ends import PrunedSearch, find_dead_ends

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), used for haversine distances."""


SNAP_LIMIT_M = 1000.0
"""A station, hospital or entry point must lie within this distance of a node of the network;
farther ones must be declared off-network (modelling choice: about a short walk from the road)."""
DETOUR_FACTOR = 1.3
"""Road distance over straight-line distance reported for an estimated leg beyond the extract, and
used with an explicitly given leg speed (modelling choice)."""

_LEG_BANDS_M = np.array([0.0, 250.0, 500.0, 1e3, 2e3, 3e3, 5e3, 7.5e3, 1e4, 1.5e4, 2e4, 3e4, 5e4, 7.5e4,
                         1e5, 1.5e5])
"""Straight-line distance bands over which the network's own routes are summarised (metres)."""
_LEG_SOURCES = 24
"""How many nodes (a fixed random sample) the leg pace is measured from."""
_LEG_MIN_PAIRS = 10
"""Fewest routes a band needs to count."""


@dataclass(frozen=True)
class LegPace:
    """Normal driving time per straight-line metre of the network's own fastest routes, by
    straight-line distance: how a leg beyond the extract is timed, so a base off the network and
    one on it at the same distance get the same time (the shorter the distance, the longer the
    detour and the slower the roads: a pace per band, interpolated in log distance).

    Attributes
    ----------
    distance_m
        Representative straight-line distance of each band (the median of its routes).
    pace_s_per_m
        Median seconds per straight-line metre of the band's routes.
    routes
        How many routes each band summarises.
    """

    distance_m: FloatArray
    pace_s_per_m: FloatArray
    routes: IntArray

    def time_s(self, straight_m: Any) -> Any:
        """Normal driving time (s) of legs of `straight_m` straight-line metres (scalar or array)."""
        d = np.asarray(straight_m, dtype=np.float64)
        pace = np.interp(np.log(np.maximum(d, 1.0)), np.log(self.distance_m), self.pace_s_per_m)
        out = d * pace
        return float(out) if np.ndim(out) == 0 else out


def estimated_leg_s(network: RoadNetwork, straight_m: Any, *, speed_kmh: float | None = None,
                    detour_factor: float = DETOUR_FACTOR) -> Any:
    """Normal driving time (s) of a leg not routed on `network` (scalars or arrays): the network's
    own pace at that straight-line distance (:attr:`RoadNetwork.leg_pace`), or, when `speed_kmh`
    is given, straight-line metres × `detour_factor` at that speed."""
    if speed_kmh is not None:
        return straight_m * detour_factor / (speed_kmh / 3.6)
    return network.leg_pace.time_s(straight_m)


class OffNetworkError(ValueError):
    """A point lies farther from the road network than the allowed snapping distance."""


def haversine_m(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in metres between points given in degrees (vectorised)."""
    p1, l1, p2, l2 = (np.radians(np.asarray(a, dtype=float)) for a in (lat1, lon1, lat2, lon2))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=float)


@dataclass(eq=False)
class RoadNetwork:
    """A directed road network stored as arrays.

    Parameters
    ----------
    lat, lon
        Node coordinates in degrees, shape ``(n,)``.
    edge_u, edge_v
        Edge endpoints as node indices ``0..n-1``, shape ``(m,)``.
    edge_length_m
        Edge lengths in metres.
    edge_time_s
        Edge travel times in seconds at normal driving speed (must be > 0).
    node_country, node_centre
        Per-node codes into `countries` and `centres` (-1 where unknown).
    countries, centres
        Names behind the codes (e.g. ``["BE", "NL"]`` and ``["112 Antwerpen", "Meldkamer (NL)"]``).
    name
        Human-readable name (region name or file name).
    node_osmid
        Original node ids (optional; defaults to ``0..n-1``).
    edge_highway, highway_classes
        Per-edge code into `highway_classes` (e.g. ``"motorway"``), for plotting and speed rules.
    edge_maxspeed_kmh
        Parsed ``maxspeed`` tag per edge (NaN where the tag is missing).
    edge_limit_kmh
        Legal speed limit of each edge (km/h; ``None`` where the network has no road classes):
        where the caps of emergency driving apply (:mod:`sim.roads.driving`).
    edge_country
        Country code of each edge (its midpoint), into `countries`; ``None``: the country of the
        edge's first node.
    edge_geom_offsets, edge_geom_lonlat
        Ragged edge geometries: the points of edge ``i`` are
        ``edge_geom_lonlat[edge_geom_offsets[i]:edge_geom_offsets[i + 1]]`` (lon, lat), for maps.
    meta
        Free-form provenance (source file, hash, what was dropped while building).
    """

    lat: FloatArray
    lon: FloatArray
    edge_u: IntArray
    edge_v: IntArray
    edge_length_m: FloatArray
    edge_time_s: FloatArray
    node_country: IntArray
    node_centre: IntArray
    countries: list[str]
    centres: list[str]
    name: str = "network"
    node_osmid: IntArray | None = None
    edge_highway: IntArray | None = None
    highway_classes: list[str] = field(default_factory=list)
    edge_maxspeed_kmh: FloatArray | None = None
    edge_limit_kmh: FloatArray | None = None
    edge_country: IntArray | None = None
    edge_geom_offsets: IntArray | None = None
    edge_geom_lonlat: FloatArray | None = None
    centre_country: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.lat)
        self.lat = np.ascontiguousarray(self.lat, dtype=np.float64)
        self.lon = np.ascontiguousarray(self.lon, dtype=np.float64)
        self.edge_u = np.ascontiguousarray(self.edge_u, dtype=np.int64)
        self.edge_v = np.ascontiguousarray(self.edge_v, dtype=np.int64)
        self.edge_length_m = np.ascontiguousarray(self.edge_length_m, dtype=np.float64)
        self.edge_time_s = np.ascontiguousarray(self.edge_time_s, dtype=np.float64)
        self.node_country = np.ascontiguousarray(self.node_country, dtype=np.int64)
        self.node_centre = np.ascontiguousarray(self.node_centre, dtype=np.int64)
        if self.node_osmid is None:
            self.node_osmid = np.arange(n, dtype=np.int64)
        m = len(self.edge_u)
        for name in ("lon", "node_country", "node_centre", "node_osmid"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} entries, expected {n}")
        for name in ("edge_v", "edge_length_m", "edge_time_s"):
            if len(getattr(self, name)) != m:
                raise ValueError(f"{name} has {len(getattr(self, name))} entries, expected {m}")
        if m and (self.edge_u.min() < 0 or self.edge_v.min() < 0 or max(self.edge_u.max(),
                                                                        self.edge_v.max()) >= n):
            raise ValueError("edge endpoints must be node indices 0..n-1")
        if m and not np.all(self.edge_time_s > 0):
            raise ValueError("every edge travel time must be positive")
        if not self.centre_country:
            # country of each centre = most common country of its nodes
            self.centre_country = []
            for c in range(len(self.centres)):
                codes = self.node_country[(self.node_centre == c) & (self.node_country >= 0)]
                self.centre_country.append(
                    self.countries[int(np.bincount(codes).argmax())] if len(codes) else ""
                )

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        *,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        edges: npt.ArrayLike,
        times_s: npt.ArrayLike,
        lengths_m: npt.ArrayLike | None = None,
        node_country: npt.ArrayLike | None = None,
        node_centre: npt.ArrayLike | None = None,
        countries: list[str] | None = None,
        centres: list[str] | None = None,
        name: str = "network",
    ) -> RoadNetwork:
        """Build a small network directly (tests, toy examples).

        ``edges`` is an ``(m, 2)`` array of directed ``(u, v)`` node indices. Country and centre
        default to a single country ``"XX"`` with one centre ``"centre"``.
        """
        lat_a = np.asarray(lat, dtype=float)
        e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
        n = len(lat_a)
        lengths = (
            haversine_m(lat_a[e[:, 0]], np.asarray(lon, float)[e[:, 0]], lat_a[e[:, 1]],
                        np.asarray(lon, float)[e[:, 1]])
            if lengths_m is None
            else np.asarray(lengths_m, dtype=float)
        )
        return cls(
            lat=lat_a,
            lon=np.asarray(lon, dtype=float),
            edge_u=e[:, 0],
            edge_v=e[:, 1],
            edge_length_m=lengths,
            edge_time_s=np.asarray(times_s, dtype=float),
            node_country=np.zeros(n, np.int64) if node_country is None else np.asarray(node_country),
            node_centre=np.zeros(n, np.int64) if node_centre is None else np.asarray(node_centre),
            countries=countries or ["XX"],
            centres=centres or ["centre"],
            name=name,
        )

    # ------------------------------------------------------------------ basic facts
    @property
    def n_nodes(self) -> int:
        return len(self.lat)

    @property
    def n_edges(self) -> int:
        return len(self.edge_u)

    def bbox(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` in degrees."""
        return (float(self.lon.min()), float(self.lat.min()), float(self.lon.max()),
                float(self.lat.max()))

    def country_of(self, nodes: npt.ArrayLike) -> list[str]:
        """Country names of the given node indices (``""`` where unknown)."""
        codes = self.node_country[np.asarray(nodes, dtype=np.int64)]
        return [self.countries[c] if c >= 0 else "" for c in np.atleast_1d(codes)]

    def centre_of(self, nodes: npt.ArrayLike) -> list[str]:
        """Dispatch-centre names of the given node indices (``""`` where unknown)."""
        codes = self.node_centre[np.asarray(nodes, dtype=np.int64)]
        return [self.centres[c] if c >= 0 else "" for c in np.atleast_1d(codes)]

    def edge_country_codes(self) -> IntArray:
        """Country code of every edge (-1 where unknown)."""
        if self.edge_country is not None:
            return np.asarray(self.edge_country, dtype=np.int64)
        return self.node_country[self.edge_u]

    def cross_border_edges(self) -> int:
        """Number of directed edges whose endpoints lie in different countries."""
        cu, cv = self.node_country[self.edge_u], self.node_country[self.edge_v]
        return int(np.count_nonzero((cu != cv) & (cu >= 0) & (cv >= 0)))

    # ------------------------------------------------------------------ graphs
    def _fastest_edges(self, *, reverse: bool) -> tuple[IntArray, IntArray, IntArray]:
        """``(u, v, edge index)`` with one edge per node pair: the fastest of parallel edges."""
        u, v = (self.edge_v, self.edge_u) if reverse else (self.edge_u, self.edge_v)
        order = np.lexsort((self.edge_time_s, v, u))
        u, v = u[order], v[order]
        keep = np.ones(len(u), dtype=bool)
        keep[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
        keep &= u != v  # self-loops never shorten a route
        return u[keep], v[keep], order[keep]

    def _csr(self, *, reverse: bool) -> csr_matrix:
        # csr_matrix would add parallel edges together, hence the de-duplication above
        u, v, e = self._fastest_edges(reverse=reverse)
        return csr_matrix((self.edge_time_s[e], (u, v)), shape=(self.n_nodes, self.n_nodes))

    @cached_property
    def _graph(self) -> csr_matrix:
        return self._csr(reverse=False)

    @cached_property
    def _graph_rev(self) -> csr_matrix:
        return self._csr(reverse=True)

    @cached_property
    def _pruned(self) -> tuple[PrunedSearch, PrunedSearch] | None:
        """Forward and reverse searches without the dead-end trees, if the network has enough of them."""
        dead = find_dead_ends(self._graph)
        if not dead.worthwhile:
            return None
        return PrunedSearch(self._graph, dead), PrunedSearch(self._graph_rev, dead)

    @cached_property
    def _hop_edge(self) -> dict[tuple[int, int], int]:
        u, v, e = self._fastest_edges(reverse=False)
        return dict(zip(zip(u.tolist(), v.tolist(), strict=True), e.tolist(), strict=True))

    def path_edges(self, path: list[int]) -> list[int]:
        """Edge indices along a node path (the fastest of parallel edges for each hop)."""
        hop = self._hop_edge
        return [hop[(a, b)] for a, b in itertools.pairwise(path)]

    # ------------------------------------------------------------------ travel times
    def times_from(self, sources: npt.ArrayLike, *, limit: float = np.inf) -> FloatArray:
        """Travel times (s) from each source node to every node: shape ``(len(sources), n)``.

        Unreachable nodes (or beyond `limit`) are ``inf``. Without a limit, the search skips the
        network's dead-end trees and fills them in afterwards (:mod:`sim.roads._dead_ends`): the same
        matrix, bit for bit, in about four fifths of the time on an OpenStreetMap network.
        """
        src = np.atleast_1d(np.asarray(sources, dtype=np.int64))
        if len(src) == 0:
            return np.empty((0, self.n_nodes))
        pruned = self._pruned if limit == np.inf else None
        if pruned is not None:
            return pruned[0].times(src)
        out = dijkstra(self._graph, directed=True, indices=src, limit=limit)
        return np.asarray(out, dtype=np.float64).reshape(len(src), self.n_nodes)

    def times_to(
        self, targets: npt.ArrayLike, *, return_next_hop: bool = False
    ) -> FloatArray | tuple[FloatArray, IntArray]:
        """Travel times (s) from every node to each target: shape ``(len(targets), n)``.

        Row ``i`` holds ``t(x -> targets[i])`` for every node ``x`` (Dijkstra on the reversed graph).
        With ``return_next_hop``, also return for every node the next node on its fastest path
        to the target (``-9999`` at the target itself and where unreachable): the route a unit takes
        back to its base can be walked from any node without another search.
        """
        tgt = np.atleast_1d(np.asarray(targets, dtype=np.int64))
        if return_next_hop:
            d, pred = dijkstra(self._graph_rev, directed=True, indices=tgt,
                               return_predecessors=True)
            return (np.asarray(d, dtype=np.float64).reshape(len(tgt), self.n_nodes),
                    np.asarray(pred, dtype=np.int64).reshape(len(tgt), self.n_nodes))
        pruned = self._pruned
        if pruned is not None:
            return pruned[1].times(tgt)
        d = dijkstra(self._graph_rev, directed=True, indices=tgt)
        return np.asarray(d, dtype=np.float64).reshape(len(tgt), self.n_nodes)

    def route(self, source: int, target: int) -> tuple[float, float, list[int]]:
        """Fastest route between two nodes: ``(time_s, length_m, node path)``.

        Raises ``ValueError`` when the target cannot be reached.
        """
        d, pred = dijkstra(self._graph, directed=True, indices=int(source),
                           return_predecessors=True)
        if not np.isfinite(d[target]):
            raise ValueError(f"node {target} cannot be reached from node {source}")
        path = [int(target)]
        while path[-1] != source:
            path.append(int(pred[path[-1]]))
        path.reverse()
        return float(d[target]), self.path_length_m(path), path

    def path_length_m(self, path: list[int]) -> float:
        """Length in metres of a node path."""
        return float(self.edge_length_m[self.path_edges(path)].sum())

    def path_lonlat(self, path: list[int]) -> FloatArray:
        """Coordinates ``(k, 2)`` (lon, lat) of a node path, with edge geometry where known."""
        if self.edge_geom_offsets is None or self.edge_geom_lonlat is None or len(path) < 2:
            return np.column_stack([self.lon[path], self.lat[path]])
        pts: list[FloatArray] = []
        for (a, b), e in zip(itertools.pairwise(path), self.path_edges(path),
                             strict=True):
            seg = self.edge_geom_lonlat[self.edge_geom_offsets[e]:self.edge_geom_offsets[e + 1]]
            if len(seg) < 2:
                seg = np.array([[self.lon[a], self.lat[a]], [self.lon[b], self.lat[b]]])
            pts.append(seg if not pts else seg[1:])
        return np.vstack(pts)

    # ------------------------------------------------------------------ estimated legs
    @cached_property
    def leg_pace(self) -> LegPace:
        """The pace of this network's own fastest routes by straight-line distance (see
        :class:`LegPace`), measured from a fixed random sample of nodes to every node."""
        n = self.n_nodes
        rng = np.random.default_rng(0)
        src = np.sort(rng.choice(n, size=min(_LEG_SOURCES, n), replace=False)) if n else np.zeros(0, int)
        times = self.times_from(src) if len(src) else np.zeros((0, n))
        straight = haversine_m(self.lat[src][:, None], self.lon[src][:, None], self.lat[None, :],
                               self.lon[None, :])
        ok = np.isfinite(times) & (straight > 0)
        d, t = straight[ok], times[ok]
        band = np.searchsorted(_LEG_BANDS_M, d, side="right") - 1
        dist, pace, count = [], [], []
        for b in range(len(_LEG_BANDS_M)):
            m = band == b
            if m.sum() >= _LEG_MIN_PAIRS:
                dist.append(float(np.median(d[m])))
                pace.append(float(np.median(t[m] / d[m])))
                count.append(int(m.sum()))
        if not dist:
            if len(d):  # a tiny network: one pace for all
                dist, pace, count = [float(np.median(d))], [float(np.median(t / d))], [len(d)]
            else:  # no two nodes apart: the edges' own pace with the usual detour
                good = self.edge_length_m > 0
                mean = (float(self.edge_time_s[good].sum() / self.edge_length_m[good].sum())
                        if good.any() else 1.0 / 10.0)
                dist, pace, count = [1000.0], [mean * DETOUR_FACTOR], [0]
        return LegPace(distance_m=np.asarray(dist), pace_s_per_m=np.asarray(pace),
                       routes=np.asarray(count, dtype=np.int64))

    # ------------------------------------------------------------------ snapping
    @cached_property
    def _kdtree(self) -> cKDTree:
        return cKDTree(self._project(self.lat, self.lon))

    def _project(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray:
        """Local equirectangular projection (metres) around the network's mean latitude."""
        lat0 = np.radians(float(np.mean(self.lat))) if len(self.lat) else 0.0
        la, lo = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
        return np.column_stack([lo * np.cos(lat0) * EARTH_RADIUS_M, la * EARTH_RADIUS_M])

    def nearest_nodes(
        self, lat: npt.ArrayLike, lon: npt.ArrayLike
    ) -> tuple[IntArray, FloatArray]:
        """Nearest node of each point and its great-circle distance in metres (vectorised)."""
        la, lo = np.atleast_1d(np.asarray(lat, float)), np.atleast_1d(np.asarray(lon, float))
        _, idx = self._kdtree.query(self._project(la, lo))
        idx = np.asarray(idx, dtype=np.int64)
        return idx, haversine_m(la, lo, self.lat[idx], self.lon[idx])

    def nodes_within(self, lat: npt.ArrayLike, lon: npt.ArrayLike, *, radius_m: float) -> list[IntArray]:
        """For each point, the nodes within `radius_m` of it, unordered (measured in the local
        projection of :meth:`nearest_nodes`, which the nearest node of a point lies in)."""
        la, lo = np.atleast_1d(np.asarray(lat, float)), np.atleast_1d(np.asarray(lon, float))
        if len(la) == 0:
            return []
        found = self._kdtree.query_ball_point(self._project(la, lo), r=radius_m)
        return [np.asarray(f, dtype=np.int64) for f in found]

    def snap(
        self,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        *,
        max_distance_m: float = SNAP_LIMIT_M,
        labels: str | list[str] | tuple[str, ...] | None = None,
    ) -> tuple[Any, Any]:
        """Snap points to their nearest node, refusing points too far from the roads.

        Parameters
        ----------
        lat, lon
            One point (scalars) or several (arrays), in degrees.
        max_distance_m
            Largest allowed great-circle distance to the nearest node.
        labels
            Name(s) of the point(s), used in the error message.

        Returns
        -------
        (idx, dist_m)
            ``int`` and ``float`` for a scalar point, arrays otherwise.

        Raises
        ------
        OffNetworkError
            Naming the first point beyond `max_distance_m` (label, coordinates, distance).
        """
        scalar = np.ndim(lat) == 0 and np.ndim(lon) == 0
        idx, dist = self.nearest_nodes(lat, lon)
        far = np.flatnonzero(~(dist <= max_distance_m))
        if len(far):
            i = int(far[0])
            la = np.atleast_1d(np.asarray(lat, float))[i]
            lo = np.atleast_1d(np.asarray(lon, float))[i]
            if labels is None:
                label = "point"
            elif isinstance(labels, str):
                label = labels
            else:
                label = str(labels[i])
            more = f" (and {len(far) - 1} more points)" if len(far) > 1 else ""
            raise OffNetworkError(
                f"{label} ({la:.5f}, {lo:.5f}) is {dist[i]:,.0f} m from the nearest road of "
                f"{self.name!r} (limit {max_distance_m:,.0f} m){more}; declare it off-network "
                f"with an entry point if it lies beyond the extract"
            )
        if scalar:
            return int(idx[0]), float(dist[0])
        return idx, dist


@dataclass(frozen=True)
class AccessLeg:
    """How a unit based somewhere reaches the network through one entry point.

    Parameters
    ----------
    node
        The network node of the entry point.
    time_s
        Normal driving time of the reference vehicle from the base to `node` (given, or estimated;
        0 on the network): sped up and slowed down with the network's times
        (:mod:`sim.roads.driving`).
    distance_m
        Estimated road distance from the base to `node` (straight line × detour factor).
    estimated
        True for a leg beyond the extract: it is not routed on the network, so wherever it is
        reported it is flagged as an estimate (even when the access time was given). False for a
        base on the network (no leg, time 0).
    entry_name
        Name of the entry point (e.g. the border road).
    """

    node: int
    time_s: float
    distance_m: float
    estimated: bool
    entry_name: str


def access_legs(network: RoadNetwork, *, lat: float, lon: float, access: Any) -> tuple[AccessLeg, ...]:
    """The off-network legs of a unit based at (`lat`, `lon`), beyond the road extract: one per
    entry point.

    `access` is a :class:`sim.model.units.OffNetworkAccess`: each entry point is snapped to the
    network with the normal 1 km limit; a leg's time is the entry's ``access_time_s`` if given,
    else :func:`estimated_leg_s` of the straight-line distance (at ``speed_kmh`` × ``detour_factor``
    when the access gives a speed, else at the network's own pace).

    Raises
    ------
    OffNetworkError
        When an entry point itself is more than 1 km from the network.
    """
    legs = []
    for e in access.entries:
        name = e.name or f"entry point of the unit at ({lat:.5f}, {lon:.5f})"
        node, _ = network.snap(e.lat, e.lon, labels=name)
        straight = float(haversine_m(lat, lon, network.lat[node], network.lon[node]))
        distance = straight * float(access.detour_factor)
        if e.access_time_s is not None:
            time_s = float(e.access_time_s)
        else:
            if access.speed_kmh is not None and not access.speed_kmh > 0:
                raise ValueError(f"{name}: access speed must be positive, got {access.speed_kmh}")
            time_s = float(estimated_leg_s(network, straight, speed_kmh=access.speed_kmh,
                                           detour_factor=float(access.detour_factor)))
        if time_s < 0:
            raise ValueError(f"{name}: access time must not be negative, got {time_s}")
        legs.append(AccessLeg(node=int(node), time_s=time_s, distance_m=distance, estimated=True,
                              entry_name=e.name))
    return tuple(legs)


def entry_legs(network: RoadNetwork, *, lat: float, lon: float, access: Any = None,
               label: str = "point") -> tuple[AccessLeg, ...]:
    """Where a unit based at (`lat`, `lon`) enters the network, and how long it takes to get there.

    On the network (`access` is ``None``): its nearest node, within :data:`SNAP_LIMIT_M`
    (:class:`OffNetworkError` naming `label` otherwise), in no time. Beyond the extract (`access` is
    a :class:`sim.model.units.OffNetworkAccess`): :func:`access_legs`, one per entry point. The
    engine and the coverage maps place stations with this (:func:`leg_times`).
    """
    if access is not None:
        return access_legs(network, lat=lat, lon=lon, access=access)
    node, _ = network.snap(lat, lon, max_distance_m=SNAP_LIMIT_M, labels=label)
    return (AccessLeg(node=int(node), time_s=0.0, distance_m=0.0, estimated=False, entry_name=""),)


def _group_key(legs: Sequence[AccessLeg]) -> tuple[tuple[int, float], ...]:
    """``(entry node, leg time)`` of a base's legs, the fastest leg per node, sorted."""
    best: dict[int, float] = {}
    for leg in legs:
        best[leg.node] = min(leg.time_s, best.get(leg.node, np.inf))
    return tuple(sorted(best.items()))


def leg_times(network: RoadNetwork, groups: Sequence[Sequence[AccessLeg]], *, reverse: bool = False,
              limit: float = np.inf, predecessors: bool = False) -> Any:
    """Normal driving times between bases and every node, through the bases' legs.

    Row ``i`` holds, for every node ``x``, the smallest over the legs of ``groups[i]`` of the leg's
    time plus the network time from its entry node to ``x`` (``reverse``: from ``x`` to the entry
    node plus the leg): the base enters or leaves the network wherever that is fastest. ``inf``
    where unreachable (or beyond `limit`).

    With `predecessors`, also return the search trees: forward, the node before ``x`` on its route
    from the base; reverse, the node after ``x`` on its route to the base; ``-9999`` at the entry
    node a route starts or ends at, and where unreachable.
    """
    n = network.n_nodes
    k = len(groups)
    out = np.full((k, n), np.inf)
    pred = np.full((k, n), -9999, dtype=np.int64) if predecessors else None
    single = [i for i, g in enumerate(groups) if len(g) == 1]
    multi = [i for i, g in enumerate(groups) if len(g) > 1]
    if single:
        nodes = np.asarray([groups[i][0].node for i in single], dtype=np.int64)
        uniq, inv = np.unique(nodes, return_inverse=True)
        if predecessors:
            if reverse:
                t, p = network.times_to(uniq, return_next_hop=True)
            else:
                t, p = dijkstra(network._graph, directed=True, indices=uniq, limit=limit,
                                return_predecessors=True)
                t = np.asarray(t, np.float64).reshape(len(uniq), n)
                p = np.asarray(p, np.int64).reshape(len(uniq), n)
            assert pred is not None
            pred[single] = np.where(p[inv] < 0, -9999, p[inv])
        elif reverse:
            t = network.times_to(uniq) if limit == np.inf else np.asarray(
                dijkstra(network._graph_rev, directed=True, indices=uniq, limit=limit)).reshape(len(uniq), n)
        else:
            t = network.times_from(uniq, limit=limit)
        lead = np.asarray([groups[i][0].time_s for i in single])
        out[single] = t[inv] + lead[:, None]
    if multi:
        keys = [_group_key(groups[i]) for i in multi]
        distinct = list(dict.fromkeys(keys))
        g = network._graph_rev if reverse else network._graph
        # one virtual node per distinct group, with an edge to each of its entry nodes
        vu, vv, vw = [], [], []
        for j, key in enumerate(distinct):
            for node, t_leg in key:
                vu.append(n + j)
                vv.append(node)
                vw.append(t_leg)
        coo = g.tocoo()
        m = len(distinct)
        aug = csr_matrix((np.concatenate([coo.data, np.asarray(vw) + 0.0]),
                          (np.concatenate([coo.row, vu]), np.concatenate([coo.col, vv]))),
                         shape=(n + m, n + m))
        res = dijkstra(aug, directed=True, indices=np.arange(n, n + m), limit=limit,
                       return_predecessors=predecessors)
        t = np.asarray(res[0] if predecessors else res, np.float64).reshape(m, n + m)[:, :n]
        row = [distinct.index(key) for key in keys]
        out[multi] = t[row]
        if predecessors:
            assert pred is not None
            p = np.asarray(res[1], np.int64).reshape(m, n + m)[:, :n]
            pred[multi] = np.where((p < 0) | (p >= n), -9999, p)[row]
    if predecessors:
        return out, pred
    return out
