"""Searches without dead-end trees: the trees found, and matrices bit-identical to plain Dijkstra."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from sim.roads import _dead_ends
from sim.roads._dead_ends import PrunedSearch, find_dead_ends


def _graph(edges: list[tuple[int, int, float]], n: int) -> csr_matrix:
    u, v, w = zip(*edges, strict=True)
    return csr_matrix((np.asarray(w, dtype=float), (np.asarray(u), np.asarray(v))), shape=(n, n))


def _both_ways(pairs: list[tuple[int, int, float, float]]) -> list[tuple[int, int, float]]:
    out = []
    for a, b, ab, ba in pairs:
        out += [(a, b, ab), (b, a, ba)]
    return out


def _plain(g: csr_matrix, src: np.ndarray, limit: float = np.inf) -> np.ndarray:
    return np.asarray(dijkstra(g, directed=True, indices=src, limit=limit)).reshape(len(src), g.shape[0])


# a one-way triangle 0 -> 1 -> 2 -> 0 (the core) with a tree hanging from node 1:
# 1 - 3, 3 - 4, 3 - 5, 5 - 6 (two-way, different times each way)
TRIANGLE_WITH_TREE = [
    (0, 1, 10.0), (1, 2, 20.0), (2, 0, 30.0),
    *_both_ways([(1, 3, 5.0, 6.0), (3, 4, 1.0, 2.0), (3, 5, 3.0, 4.0), (5, 6, 7.0, 8.0)]),
]


def test_find_dead_ends_on_a_hand_built_tree() -> None:
    dead = find_dead_ends(_graph(TRIANGLE_WITH_TREE, 7))
    assert dead.core.tolist() == [0, 1, 2]
    assert dead.parent.tolist() == [-1, -1, -1, 1, 3, 3, 5]
    # leaves first: 4 and 6, then 5, then 3
    assert [sorted(r.tolist()) for r in dead.rounds] == [[4, 6], [5], [3]]
    assert dead.n_pruned == 4
    assert dead.path_to_core(np.array([6, 4])).tolist() == [3, 4, 5, 6]


def test_hand_computed_times_through_the_tree() -> None:
    g = _graph(TRIANGLE_WITH_TREE, 7)
    ps = PrunedSearch(g, find_dead_ends(g))
    # from 0: to 1 = 10, to 3 = 15, 4 = 16, 5 = 18, 6 = 25, 2 = 30
    np.testing.assert_array_equal(ps.times(np.array([0]))[0], [0, 10, 30, 15, 16, 18, 25])
    # from the leaf 6 (inside the tree; four sources so that a graph is cut for them):
    # 6 -> 5 = 8, -> 3 = 12, -> 4 = 13, -> 1 = 18, -> 2 = 38, -> 0 = 68
    src = np.array([6, 0, 1, 2])
    out = ps.times(src)
    np.testing.assert_array_equal(out[0], [68, 18, 38, 12, 13, 8, 0])
    np.testing.assert_array_equal(out, _plain(g, src))


def test_a_lone_edge_and_a_line_keep_one_node() -> None:
    dead = find_dead_ends(_graph(_both_ways([(0, 1, 1.0, 1.0)]), 2))
    assert dead.core.tolist() == [0] and dead.parent.tolist() == [-1, 0]
    line = _graph(_both_ways([(k, k + 1, 1.0 + k, 2.0 + k) for k in range(5)]), 6)
    dead = find_dead_ends(line)
    assert len(dead.core) == 1 and dead.n_pruned == 5
    ps = PrunedSearch(line, dead)
    for src in ([0], [5], [0, 5, 2, 3], [2, 3, 4, 1, 0]):
        s = np.array(src)
        np.testing.assert_array_equal(ps.times(s), _plain(line, s))


def _random_network(rng: np.random.Generator, n_core: int, n_tree: int) -> csr_matrix:
    """A strongly connected core (a ring with chords, some one-way) with random trees hanging off it."""
    edges: list[tuple[int, int, float]] = []
    for k in range(n_core):
        edges.append((k, (k + 1) % n_core, float(rng.uniform(1, 100))))
    for _ in range(n_core):
        a, b = rng.integers(0, n_core, 2)
        if a != b:
            edges.append((int(a), int(b), float(rng.uniform(1, 100))))
    for v in range(n_core, n_core + n_tree):
        p = int(rng.integers(0, v))  # any earlier node: the core or an earlier tree node
        edges += [(p, v, float(rng.uniform(1, 50))), (v, p, float(rng.uniform(1, 50)))]
    # one entry per pair, as RoadNetwork's graphs have (the fastest of parallel edges)
    best: dict[tuple[int, int], float] = {}
    for a, b, w in edges:
        best[(a, b)] = min(w, best.get((a, b), np.inf))
    return _graph([(a, b, w) for (a, b), w in best.items()], n_core + n_tree)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_core=st.integers(3, 40), n_tree=st.integers(0, 60),
       n_src=st.integers(1, 12), limited=st.booleans())
def test_matrices_equal_plain_dijkstra_bit_for_bit(seed: int, n_core: int, n_tree: int, n_src: int,
                                                   limited: bool) -> None:
    rng = np.random.default_rng(seed)
    g = _random_network(rng, n_core, n_tree)
    n = g.shape[0]
    dead = find_dead_ends(g)
    src = rng.choice(n, min(n_src, n), replace=False)
    limit = float(rng.uniform(10, 200)) if limited else np.inf
    for graph in (g, g.T.tocsr()):
        ps = PrunedSearch(graph, dead)
        np.testing.assert_array_equal(ps.times(src, limit=limit), _plain(graph, src, limit))


def test_every_branch_of_times_is_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    """Core sources only; few sources in trees (plain search); many (a cut graph); a limit."""
    rng = np.random.default_rng(7)
    g = _random_network(rng, 30, 40)
    dead = find_dead_ends(g)
    tree = np.flatnonzero(dead.parent >= 0)
    ps = PrunedSearch(g, dead)
    cases = [dead.core[:5], tree[:2], np.concatenate([tree[:3], dead.core[:3]]), tree]
    for src in cases:
        np.testing.assert_array_equal(ps.times(src), _plain(g, src))
        np.testing.assert_array_equal(ps.times(src, limit=60.0), _plain(g, src, 60.0))
    monkeypatch.setattr(_dead_ends, "MIN_SOURCES_TO_CUT", 1)
    np.testing.assert_array_equal(ps.times(tree[:1]), _plain(g, tree[:1]))


def test_road_network_uses_it_and_agrees_with_plain_search(baarle_network) -> None:
    net = baarle_network
    assert net._pruned is not None
    dead = net._pruned[0].dead
    assert 0.15 < dead.n_pruned / net.n_nodes < 0.5  # OSM networks are full of dead ends
    rng = np.random.default_rng(11)
    src = rng.choice(net.n_nodes, 20, replace=False)
    assert (dead.parent[src] >= 0).any()
    np.testing.assert_array_equal(net.times_from(src), _plain(net._graph, src))
    np.testing.assert_array_equal(net.times_to(src), _plain(net._graph_rev, src))
    np.testing.assert_array_equal(net.times_from(src[:1])[0], _plain(net._graph, src[:1])[0])
