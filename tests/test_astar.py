"""A* with landmarks for the engine's searches: the same times as scipy's Dijkstra, bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from sim.engine import prepare
from sim.roads._astar import K_BEST, astar
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


class PointSearch:
    """The compiled search on a fixed graph, with its scratch arrays: ``time(source, target, limit)``.

    `table` is a landmark table ``(n_nodes, n_cols)``: the lower bound of the time from ``v`` to
    ``t`` is ``max_k table[t, k] - table[v, k]`` (and 0); `settled` counts the nodes settled.
    """

    def __init__(self, graph: csr_matrix, table: np.ndarray, *, k_best: int = K_BEST) -> None:
        self.n = graph.shape[0]
        self.indptr = np.ascontiguousarray(graph.indptr, dtype=np.int64)
        self.indices = np.ascontiguousarray(graph.indices, dtype=np.int64)
        self.data = np.ascontiguousarray(graph.data, dtype=np.float64)
        self.table = np.ascontiguousarray(table, dtype=np.float64).reshape(self.n, -1)
        self.k_best = int(k_best)
        self.g = np.full(self.n, np.inf)
        self.hv = np.zeros(self.n)
        self.stamp = np.zeros(self.n, dtype=np.int64)
        self.cur = 0
        self.heap_f = np.empty(len(self.data) + 1)  # at most one heap entry per edge, plus the source
        self.heap_v = np.empty(len(self.data) + 1, dtype=np.int64)
        self.settled = 0

    def time(self, source: int, target: int, limit: float = np.inf) -> float:
        self.cur += 1
        tt, settled = astar(self.indptr, self.indices, self.data, self.table, self.k_best, int(source),
                            int(target), float(limit), self.g, self.hv, self.stamp, self.cur, self.heap_f,
                            self.heap_v)
        self.settled += int(settled)
        return float(tt)


def _random_graph(rng: np.random.Generator, n: int, extra: int) -> csr_matrix:
    """A ring (strongly connected) plus random one-way chords; one entry per node pair."""
    best: dict[tuple[int, int], float] = {}
    edges = [(k, (k + 1) % n) for k in range(n)] + [tuple(rng.integers(0, n, 2)) for _ in range(extra)]
    for a, b in edges:
        if a != b:
            w = float(rng.choice([rng.uniform(0.5, 60.0), round(rng.uniform(1, 10))]))  # some ties
            best[(int(a), int(b))] = min(w, best.get((int(a), int(b)), np.inf))
    (u, v), w = zip(*best.keys(), strict=True), list(best.values())
    return csr_matrix((w, (u, v)), shape=(n, n))


def _table(g: csr_matrix, landmarks: np.ndarray) -> np.ndarray:
    """The engine's landmark table: forward times from and minus reverse times to each landmark."""
    fwd = dijkstra(g, directed=True, indices=landmarks)
    rev = dijkstra(g.T.tocsr(), directed=True, indices=landmarks)
    return np.ascontiguousarray(np.vstack([fwd, -rev]).T)


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 80), n_lm=st.integers(0, 6),
       k_best=st.integers(1, 16))
def test_times_equal_scipy_dijkstra(seed: int, n: int, n_lm: int, k_best: int) -> None:
    rng = np.random.default_rng(seed)
    g = _random_graph(rng, n, 2 * n)
    table = _table(g, rng.choice(n, min(n_lm, n), replace=False)) if n_lm else np.zeros((n, 0))
    ps = PointSearch(g, table, k_best=k_best)
    full = dijkstra(g, directed=True)
    for _ in range(10):
        x, t = (int(a) for a in rng.integers(0, n, 2))
        exact = full[x, t]
        # no limit, a limit above, exactly at and just below the time, and a random one
        for limit in (np.inf, exact * 1.5 + 1.0, exact, np.nextafter(exact, 0.0), rng.uniform(0, 100)):
            want = dijkstra(g, directed=True, indices=x, limit=limit)[t]
            assert ps.time(x, t, limit) == want, (x, t, limit)


def test_hand_computed_line_and_shortcut() -> None:
    # 0 -> 1 -> 2 -> 3 at 10 s each, and a shortcut 0 -> 3 of 25 s; back edges 3 -> 0 of 1 s
    g = csr_matrix(([10.0, 10.0, 10.0, 25.0, 1.0], ([0, 1, 2, 0, 3], [1, 2, 3, 3, 0])), shape=(4, 4))
    ps = PointSearch(g, _table(g, np.array([0, 2])))
    assert ps.time(0, 3) == 25.0
    assert ps.time(0, 2) == 20.0
    assert ps.time(1, 0) == 21.0      # 1 -> 2 -> 3 -> 0
    assert ps.time(0, 3, 25.0) == 25.0  # kept at the limit, as scipy keeps it
    assert ps.time(0, 3, 24.9) == np.inf
    assert ps.time(2, 2) == 0.0
    assert ps.settled > 0


def test_on_the_real_network_with_the_engines_landmarks(baarle_network) -> None:
    sc = load_scenario(ROOT / "scenarios" / "baarle-turnhout.yaml")
    spec = next(iter(sc.model_specs(sc.load_region()).values()))
    prep = prepare(baarle_network, spec)
    table, n_lm = prep.landmarks()
    assert n_lm > 3
    g = baarle_network._graph
    ps = PointSearch(g, table)
    rng = np.random.default_rng(5)
    for x, t in rng.integers(0, baarle_network.n_nodes, (60, 2)).tolist():
        for limit in (np.inf, 300.0):
            assert ps.time(x, t, limit) == dijkstra(g, directed=True, indices=x, limit=limit)[t]
    assert ps.settled < 60 * 2 * baarle_network.n_nodes / 4  # aims at the target: far from every node
