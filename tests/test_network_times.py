"""Travel times on the real network: csgraph against networkx, routes, the reverse graph's next hops."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from sim.roads.network import RoadNetwork


def _nx_graph(net: RoadNetwork) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(net.n_nodes))
    g.add_weighted_edges_from(
        zip(net.edge_u.tolist(), net.edge_v.tolist(), net.edge_time_s.tolist(), strict=True), weight="t"
    )
    return g


def test_csgraph_matrix_equals_networkx_on_random_pairs(baarle_network) -> None:
    net = baarle_network
    g = _nx_graph(net)
    rng = np.random.default_rng(2026)
    sources = rng.choice(net.n_nodes, 10, replace=False)
    fwd = net.times_from(sources)
    back = net.times_to(sources)  # back[i, x] = t(x -> sources[i])
    g_rev = g.reverse(copy=False)
    pairs = 0
    for i, s in enumerate(sources):
        dist = nx.single_source_dijkstra_path_length(g, int(s), weight="t")
        dist_rev = nx.single_source_dijkstra_path_length(g_rev, int(s), weight="t")
        for t in rng.choice(net.n_nodes, 25, replace=False):
            assert fwd[i, t] == pytest.approx(dist[int(t)], abs=1e-6)
            assert back[i, t] == pytest.approx(dist_rev[int(t)], abs=1e-6)
            pairs += 1
    assert pairs >= 200
    assert np.isfinite(fwd).all()  # strongly connected: everything reachable


def test_route_and_times_from_agree(baarle_network) -> None:
    net = baarle_network
    a, _ = net.snap(51.314, 4.944)
    b, _ = net.snap(51.4420, 4.9316)
    t, length, path = net.route(a, b)
    assert path[0] == a and path[-1] == b
    assert t == pytest.approx(net.times_from([a])[0, b])
    assert t == pytest.approx(float(net.edge_time_s[net.path_edges(path)].sum()))
    assert 40 <= length / t * 3.6 <= 60  # normal driving at JEMSS road-class speeds on minor roads
    assert 10_000 < length < 25_000
    geom = net.path_lonlat(path)
    assert len(geom) >= len(path)
    np.testing.assert_allclose(geom[0], [net.lon[a], net.lat[a]])
    np.testing.assert_allclose(geom[-1], [net.lon[b], net.lat[b]])


def test_next_hop_walks_the_fastest_route(baarle_network) -> None:
    net = baarle_network
    target, _ = net.snap(51.314, 4.944)
    times, hop = net.times_to([target], return_next_hop=True)
    start, _ = net.snap(51.4420, 4.9316)
    node, total = start, 0.0
    while node != target:
        nxt = int(hop[0, node])
        total += float(net.edge_time_s[net.path_edges([node, nxt])][0])
        node = nxt
    assert total == pytest.approx(times[0, start])
