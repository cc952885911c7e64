"""The bundled two-sided region arlon-luxembourg: one network in which Belgium and Luxembourg meet.

The region is stitched from two sources (its README paragraph in ``shared/data``): Luxembourg's
2013 primary roads fill the strip west of 5.977°E (Steinfort to Differdange) where the 2017 tiles
hold no Luxembourg roads. Without them the largest strongly connected part holds no Belgian node,
so these tests check that the two countries are joined, and that routes between Belgian and
Luxembourg towns cross the border through that strip at plausible lengths and times.

Runtime: the region loads from the graph cache in about a second; a cold cache builds it first
(about a minute and a few GB of memory), hence ``slow``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from sim.roads.network import haversine_m
from sim.scenario.region import load_region

pytestmark = pytest.mark.slow

STRIP_EAST_LON = 5.977
"""East edge of the strip whose Luxembourg roads are the 2013 primary roads (region README)."""


@pytest.fixture(scope="module")
def region() -> Any:
    return load_region("arlon-luxembourg")


def _place(region: Any, name: str, country: str) -> tuple[float, float]:
    (p,) = [p for p in region.places if p.name == name and p.country == country]
    return p.lat, p.lon


def _route(region: Any, a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float, list[int]]:
    net = region.network
    (i, j), dist = net.nearest_nodes([a[0], b[0]], [a[1], b[1]])
    assert (dist < 1000).all()  # both towns lie on the network
    return net.route(int(i), int(j))


def test_one_strongly_connected_network_with_both_countries(region: Any) -> None:
    net = region.network
    graph = csr_matrix((np.ones(net.n_edges), (net.edge_u, net.edge_v)), shape=(net.n_nodes, net.n_nodes))
    n_parts, _ = connected_components(graph, directed=True, connection="strong")
    assert n_parts == 1
    counts = {c: int(np.count_nonzero(net.node_country == i)) for i, c in enumerate(net.countries)}
    # README: about 10,000 Belgian and 27,000 Luxembourg nodes after simplification
    assert counts["BE"] > 8_000 and counts["LU"] > 20_000
    assert {"112 Luxembourg (BE)", "CGDIS 112 (LU)"} <= set(net.centres)


def test_roads_cross_the_border_both_ways(region: Any) -> None:
    net = region.network
    be, lu = net.countries.index("BE"), net.countries.index("LU")
    cu, cv = net.node_country[net.edge_u], net.node_country[net.edge_v]
    be_to_lu = (cu == be) & (cv == lu)
    lu_to_be = (cu == lu) & (cv == be)
    # tens of crossings (91 edges when written), each way, along the whole border
    assert be_to_lu.sum() >= 20 and lu_to_be.sum() >= 20
    lat = net.lat[net.edge_u[be_to_lu | lu_to_be]]
    assert lat.min() < 49.6 and lat.max() > 49.9  # from Athus/Rodange in the south to past Martelange


@pytest.mark.parametrize("reverse", [False, True])
def test_arlon_luxembourg_route_is_plausible(region: Any, reverse: bool) -> None:
    # Arlon and Luxembourg City are 23.9 km apart in a straight line (GeoNames). A road route is
    # between 1.0 and 1.4 times that (regional roads; the README's osmnx route: 26.3 km), and its
    # mean speed at normal driving speeds between 45 km/h (town streets all the way) and 90 km/h
    # (motorway all the way): the route runs on the N4/N6 through Steinfort, then the A6.
    arlon, luxembourg = _place(region, "Arlon", "BE"), _place(region, "Luxembourg", "LU")
    a, b = (luxembourg, arlon) if reverse else (arlon, luxembourg)
    straight = haversine_m(a[0], a[1], b[0], b[1])
    time_s, length_m, path = _route(region, a, b)
    assert 23_000 < straight < 25_000
    assert straight <= length_m <= 1.4 * straight
    assert 45.0 <= length_m / time_s * 3.6 <= 90.0
    net = region.network
    countries = {net.countries[c] for c in net.node_country[path]}
    assert countries == {"BE", "LU"}
    # it crosses through the strip of 2013 roads west of 5.977°E, the only link between the sides
    lu = net.countries.index("LU")
    in_strip = (net.lon[path] < STRIP_EAST_LON) & (net.node_country[path] == lu)
    assert in_strip.any()


def test_aubange_petange_route_is_short(region: Any) -> None:
    # Neighbouring towns 5.5 km apart across the border at Athus/Rodange: the README's osmnx route
    # is 8.1 km, 7.8 min; a route over twice the straight line or over 15 min would mean a
    # missing crossing.
    a, b = _place(region, "Aubange", "BE"), _place(region, "Pétange", "LU")
    straight = haversine_m(a[0], a[1], b[0], b[1])
    time_s, length_m, _ = _route(region, a, b)
    assert straight <= length_m <= 2.0 * straight
    assert time_s < 15 * 60
