"""Where a place's people are: spread over the network nodes of their own country near the place,
and the share of them the road extract covers (model layer, no I/O).

A populated place (GeoNames, :class:`Place`) is spread over the nodes of its own country within
``spread_m`` under a Gaussian kernel of that scale (:func:`place_kernels`), the one kernel incidents
(:mod:`sim.model.demand`) and coverage (:mod:`sim.analysis.coverage`) share. A place at the edge of
the extract has only part of its kernel over the extract's roads: :func:`place_coverage` measures
that share on a grid, and the rest of its calls happen beyond the extract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from sim.roads.network import EARTH_RADIUS_M, RoadNetwork, haversine_m

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Place:
    """A populated place (GeoNames) that generates incidents in proportion to its population."""

    name: str
    country: str
    lat: float
    lon: float
    population: float


def country_codes(network: RoadNetwork, places: Sequence[Place]) -> IntArray:
    """Per place: the code of its country in ``network.countries`` (``-1`` when the network has
    none of it); ``-2`` for every place on a network that knows no jurisdiction (all nodes ``-1``),
    where any node is the place's own."""
    if not np.any(network.node_country >= 0):
        return np.full(len(places), -2, dtype=np.int64)
    code = {c: k for k, c in enumerate(network.countries)}
    return np.array([code.get(p.country, -1) for p in places], dtype=np.int64)


def _nearest_own(network: RoadNetwork, lat: float, lon: float, code: int,
                 limit_m: float) -> tuple[int, float]:
    """The nearest node of country `code` within `limit_m` of a point and its distance, or
    ``(-1, inf)``."""
    if code < 0 or not np.isfinite(limit_m):
        return -1, np.inf
    cand = network.nodes_within([lat], [lon], radius_m=limit_m * 1.05 + 10.0)[0]
    cand = cand[network.node_country[cand] == code]
    if not len(cand):
        return -1, np.inf
    d = haversine_m(lat, lon, network.lat[cand], network.lon[cand])
    k = int(np.argmin(d))
    return int(cand[k]), float(d[k])


def place_kernel_weights(network: RoadNetwork, places: Sequence[Place], *, spread_m: float,
             max_distance_m: float) -> list[tuple[IntArray, FloatArray] | None]:
    """Per place: the nodes of its country within `spread_m` of it and its nearest node of its
    country (sorted), with their weights under a Gaussian kernel of scale `spread_m` (not
    normalised; with ``spread_m == 0`` only the nearest node weighs); ``None`` for a place whose
    nearest node of its country is farther than `max_distance_m` (or whose country has no node).
    On a network that knows no jurisdiction every node counts as the place's country."""
    if not len(places):
        return []
    plat = np.array([p.lat for p in places], dtype=float)
    plon = np.array([p.lon for p in places], dtype=float)
    nearest, dist = network.nearest_nodes(plat, plon)
    within = network.nodes_within(plat, plon, radius_m=spread_m)
    codes = country_codes(network, places)
    out: list[tuple[IntArray, FloatArray] | None] = []
    for p in range(len(places)):
        code, near_p, d_p, cand = int(codes[p]), int(nearest[p]), float(dist[p]), within[p]
        if code != -2:
            cand = cand[network.node_country[cand] == code]
            if network.node_country[near_p] != code:
                near_p, d_p = _nearest_own(network, plat[p], plon[p], code, max_distance_m)
        if not d_p <= max_distance_m:
            out.append(None)
            continue
        near = np.union1d(cand, [near_p])
        d = haversine_m(plat[p], plon[p], network.lat[near], network.lon[near])
        w = np.exp(-0.5 * (d / spread_m) ** 2) if spread_m > 0 else (near == near_p).astype(float)
        out.append((near, w))
    return out


def place_kernels(
    network: RoadNetwork, places: Sequence[Place], *, spread_m: float, max_distance_m: float
) -> tuple[BoolArray, IntArray, IntArray, FloatArray]:
    """Spread each place over the nodes near it, for drawing incidents.

    Returns ``(kept, offsets, nodes, cum)``: place ``p`` (where ``kept[p]``) owns
    ``nodes[offsets[p]:offsets[p + 1]]`` with cumulative weights ``cum[...]`` rising to ``p + 1``
    (Gaussian kernel of scale `spread_m` over the nodes of the place's country within `spread_m`,
    always including its nearest node of that country), so a node is drawn with
    ``searchsorted(cum, p + u)``. Places whose nearest node of their country is farther than
    `max_distance_m` are not kept and own no nodes.
    """
    kernels = place_kernel_weights(network, places, spread_m=spread_m, max_distance_m=max_distance_m)
    kept = np.array([k is not None for k in kernels], dtype=bool)
    offsets = np.zeros(len(places) + 1, dtype=np.int64)
    nodes_parts: list[IntArray] = []
    cum_parts: list[FloatArray] = []
    for p, kernel in enumerate(kernels):
        if kernel is None:
            offsets[p + 1] = offsets[p]
            continue
        near, w = kernel
        c = np.cumsum(w)
        c = p + c / c[-1]
        c[-1] = p + 1.0
        nodes_parts.append(near)
        cum_parts.append(c)
        offsets[p + 1] = offsets[p] + len(near)
    nodes = np.concatenate(nodes_parts) if nodes_parts else np.zeros(0, np.int64)
    cum = np.concatenate(cum_parts) if cum_parts else np.zeros(0)
    return kept, offsets, nodes, cum


_GRID_STEPS = 8
"""Grid points per `spread_m` in :func:`place_coverage`: the kernel's disc sampled every
``spread_m / 8`` (188 m at 1.5 km), 197 points."""


@dataclass(frozen=True)
class Coverage:
    """Per place: the share of its kernel within the road extract, and its kernel's grid points
    beyond the extract (offsets east and north of the place in metres, with their kernel weights as
    cumulative sums rising to ``p + 1`` within ``offsets[p]:offsets[p + 1]``, as in
    :func:`place_kernels`), from which its calls beyond the extract are drawn."""

    share: FloatArray
    offsets: IntArray
    east_m: FloatArray
    north_m: FloatArray
    cum: FloatArray
    step_m: float


def _kernel_grid(spread_m: float) -> tuple[FloatArray, FloatArray, FloatArray, float]:
    """``(east_m, north_m, weight, step_m)``: the grid points of a place's kernel (its disc of radius
    `spread_m`, Gaussian weights of that scale, as the kernel over nodes); one point for a place
    without spread."""
    if spread_m <= 0:
        return np.zeros(1), np.zeros(1), np.ones(1), 0.0
    step = spread_m / _GRID_STEPS
    k = np.arange(-_GRID_STEPS, _GRID_STEPS + 1)
    ii, jj = np.meshgrid(k, k, indexing="ij")
    inside = (ii ** 2 + jj ** 2 <= _GRID_STEPS ** 2).ravel()
    east, north = (jj.ravel()[inside] * step).astype(float), (ii.ravel()[inside] * step).astype(float)
    return east, north, np.exp(-0.5 * (east ** 2 + north ** 2) / spread_m ** 2), step


def _xy(lat: npt.ArrayLike, lon: npt.ArrayLike, lat0: float) -> FloatArray:
    """Equirectangular metres around latitude `lat0`."""
    la, lo = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    return np.column_stack([lo * np.cos(np.radians(lat0)) * EARTH_RADIUS_M, la * EARTH_RADIUS_M])


def coverage_grid(network: RoadNetwork, places: Sequence[Place], *, spread_m: float,
              reach_m: float) -> Coverage:
    """:func:`place_coverage` with the grid points beyond the extract (:class:`Coverage`)."""
    east, north, w, step = _kernel_grid(spread_m)
    n, m = len(places), len(w)
    share = np.ones(n)
    beyond = np.zeros((n, m), dtype=bool)
    if n and network.n_nodes:
        lat0 = float(np.mean(network.lat))
        plat = np.array([p.lat for p in places], dtype=float)
        plon = np.array([p.lon for p in places], dtype=float)
        glat = plat[:, None] + np.degrees(north[None, :] / EARTH_RADIUS_M)
        scale_lon = EARTH_RADIUS_M * np.cos(np.radians(plat[:, None]))
        glon = plon[:, None] + np.degrees(east[None, :] / scale_lon)
        pts = _xy(glat.ravel(), glon.ravel(), lat0)
        xy = _xy(network.lat, network.lon, lat0)
        d_any = cKDTree(xy).query(pts, distance_upper_bound=reach_m)[0].reshape(n, m)
        codes = country_codes(network, places)
        covered = np.zeros((n, m), dtype=bool)
        for code in np.unique(codes):
            rows = np.flatnonzero(codes == code)
            own = np.ones(network.n_nodes, bool) if code == -2 else network.node_country == code
            if code == -1 or not own.any():
                continue
            d = cKDTree(xy[own]).query(pts.reshape(n, m, 2)[rows].reshape(-1, 2),
                                       distance_upper_bound=reach_m)[0]
            covered[rows] = d.reshape(len(rows), m) <= reach_m
        beyond = d_any > reach_m
        den = (w * (covered | beyond)).sum(axis=1)
        share = np.where(den > 0, (w * covered).sum(axis=1) / np.where(den > 0, den, 1.0), 1.0)
        beyond &= (share < 1.0)[:, None]
    counts = beyond.sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    rows, cols = np.nonzero(beyond)
    cum = np.zeros(len(rows))
    for p in np.flatnonzero(counts):
        c = np.cumsum(w[cols[offsets[p]:offsets[p + 1]]])
        cum[offsets[p]:offsets[p + 1]] = p + c / c[-1]
        cum[offsets[p + 1] - 1] = p + 1.0
    return Coverage(share=share, offsets=offsets, east_m=east[cols], north_m=north[cols], cum=cum,
                     step_m=step)


def place_coverage(network: RoadNetwork, places: Sequence[Place], *, spread_m: float,
                   reach_m: float) -> FloatArray:
    """The share of each place's population that lives within the road extract.

    A place's kernel (its disc of radius `spread_m` with Gaussian weights of that scale, as its
    calls are spread over nodes) is sampled on a grid every ``spread_m / 8``. A grid point within
    `reach_m` of a node of the place's country lies within the extract; one within `reach_m` of no
    node lies beyond it; one near nodes of other countries only is the neighbour's land, not the
    place's, and counts for neither. The coverage is the kernel weight of the points within over
    that of the points within or beyond (1 where there are none: a place hemmed in by the
    neighbour's roads keeps its calls on the network). On a network that knows no jurisdiction
    every node is the place's country's.

    Returns
    -------
    numpy.ndarray
        Per place, its coverage in ``[0, 1]``.
    """
    return coverage_grid(network, places, spread_m=spread_m, reach_m=reach_m).share


def spread_places(
    network: RoadNetwork,
    places: Sequence[Place],
    *,
    spread_m: float = 1500.0,
    max_distance_m: float = 3000.0,
    reach_m: float | None = None,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Spread each place's population over the network nodes of its country near it, as incidents
    are spread.

    The kernel of :func:`place_kernels` (the defaults are those of
    :class:`sim.model.demand.Demand`), as shares. With `reach_m`
    (:attr:`sim.model.demand.Demand.split_reach_m`: places may put calls beyond the extract), a
    place puts only its coverage (:func:`place_coverage`) on the network: the rest of its
    population lives beyond the extract.

    Returns
    -------
    place_index, node, weight
        Parallel arrays: place ``place_index[i]`` puts the fraction ``weight[i]`` of its population
        on ``node[i]``; the weights of each placed place sum to 1, or to its coverage.
    """
    pi: list[IntArray] = []
    nodes: list[IntArray] = []
    weights: list[FloatArray] = []
    if network.n_nodes:
        on = (np.ones(len(places)) if reach_m is None
              else place_coverage(network, places, spread_m=spread_m, reach_m=reach_m))
        for p, kernel in enumerate(place_kernel_weights(network, places, spread_m=spread_m,
                                            max_distance_m=max_distance_m)):
            if kernel is not None:
                near, w = kernel
                pi.append(np.full(len(near), p, dtype=np.int64))
                nodes.append(near)
                weights.append(w / w.sum() * on[p])
    if not pi:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty.copy(), np.empty(0)
    return np.concatenate(pi), np.concatenate(nodes), np.concatenate(weights)
