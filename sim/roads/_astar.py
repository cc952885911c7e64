"""Point-to-point driving times for the engine: A* with landmarks (ALT), compiled with numba.

When a unit on its way home may beat the best unit at base, the engine needs its driving time from
where it is to the incident, exact up to a bound (:func:`sim.engine._core._search`). A one-to-all
``scipy.sparse.csgraph.dijkstra(limit=...)`` from the unit settles every node within the bound and
sets up its heap for the whole network: 1.7 ms a search on the Euregio network (62,768 nodes), half
of the engine's time there. A* aims at the target instead: its heuristic is the landmark lower bound
the engine already uses (``max_k table[target, k] - table[v, k]`` over the stations' forward and
reverse times, :meth:`sim.engine.simulate.Prepared.landmarks`), over the `k_best` landmarks that bound the
source best, shrunk by a rounding margin. Measured on the searches of 45 days of the Euregio
scenario: 0.17 ms a search, about 400 nodes settled, every result bit-identical to scipy's.

Why bit-identical: an entry is pushed again whenever a node's time improves, so the search stays
exact with a heuristic that is only admissible (the rounding margin may cost consistency), and the
time of the target is the least ``time(u) + w(u, target)`` over the fastest paths as a plain Dijkstra
computes it. A target farther than the limit is ``inf``; one exactly at the limit is kept (as scipy).
Without numba (a dependency, but an environment may lack it), scipy's search gives the same numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix

FloatArray = npt.NDArray[np.float64]

K_BEST = 16
"""Landmarks used per search: those whose bound is largest at the source."""


def _h(table: Any, cols: Any, tt: Any, v: int) -> float:
    """Landmark lower bound of the time from `v` to the target, less a rounding margin (>= 0)."""
    h = 0.0
    for k in range(len(cols)):
        c = cols[k]
        val = tt[c] - table[v, c]
        if val > h:
            h = val
    h = h - 1e-6 * (1.0 + h)
    return h if h > 0.0 else 0.0


def _astar(indptr: Any, indices: Any, data: Any, table: Any, k_best: int, source: int, target: int,
           limit: float, g: Any, hv: Any, stamp: Any, cur: int, heap_f: Any, heap_v: Any) -> Any:
    """``(time source -> target or inf beyond limit, nodes settled)``.

    Scratch: `g` (times), `hv` (heuristic) are valid where ``stamp == cur``; `heap_f`, `heap_v` hold
    at least one entry per edge plus one.
    """
    tt = table[target]
    n_cols = table.shape[1]
    # the k_best landmarks with the largest bound at the source
    diff = np.empty(n_cols)
    for c in range(n_cols):
        diff[c] = tt[c] - table[source, c]
    cols = np.argsort(-diff)[:k_best]
    g[source] = 0.0
    stamp[source] = cur
    hv[source] = _h_nb(table, cols, tt, source)
    heap_f[0] = hv[source]
    heap_v[0] = source
    size = 1
    settled = 0
    while size > 0:
        f = heap_f[0]
        v = heap_v[0]
        size -= 1
        if size > 0:  # pop: the last entry to the root, sifted down
            lf, lv = heap_f[size], heap_v[size]
            i = 0
            while True:
                c = 2 * i + 1
                if c >= size:
                    break
                if c + 1 < size and heap_f[c + 1] < heap_f[c]:
                    c += 1
                if heap_f[c] < lf:
                    heap_f[i] = heap_f[c]
                    heap_v[i] = heap_v[c]
                    i = c
                else:
                    break
            heap_f[i] = lf
            heap_v[i] = lv
        gv = g[v]
        if f > gv + hv[v]:
            continue  # stale: v was reached faster since
        settled += 1
        if v == target:
            return gv, settled
        for e in range(indptr[v], indptr[v + 1]):
            u = indices[e]
            nd = gv + data[e]
            if nd > limit:
                continue
            if stamp[u] != cur:
                stamp[u] = cur
                g[u] = np.inf
                hv[u] = _h_nb(table, cols, tt, u)
            if nd < g[u]:
                fu = nd + hv[u]
                if fu > limit:
                    continue  # cannot reach the target within the limit
                g[u] = nd
                i = size  # push: sift up
                size += 1
                while i > 0:
                    p = (i - 1) >> 1
                    if heap_f[p] > fu:
                        heap_f[i] = heap_f[p]
                        heap_v[i] = heap_v[p]
                        i = p
                    else:
                        break
                heap_f[i] = fu
                heap_v[i] = u
    return np.inf, settled


_KERNEL: dict[str, Any] = {}


def kernel() -> Any:
    """The compiled search (numba, cached on disk), or ``None`` without numba.

    numba is imported here, at the first search of a process, not with the package: it costs about
    half a second, which every command that never searches (``xborder validate``, plots) is spared.
    """
    if "astar" not in _KERNEL:
        try:
            from numba import njit
        except ImportError:  # pragma: no cover - environments without numba use scipy
            _KERNEL["astar"] = None
        else:
            global _h_nb
            try:
                _h_nb = njit(cache=True, inline="always")(_h)
                _KERNEL["astar"] = njit(cache=True)(_astar)
            except RuntimeError:  # no writable cache folder (in-tree or per user): compile each time
                _h_nb = njit(inline="always")(_h)
                _KERNEL["astar"] = njit(_astar)
    return _KERNEL["astar"]


_h_nb: Any = None  # the compiled _h, which the compiled _astar calls (set by kernel())


class PointSearch:
    """Exact driving times between two nodes, up to a limit, on a fixed directed graph.

    Parameters
    ----------
    graph
        CSR matrix of edge times (one entry per node pair, non-negative).
    table
        Landmark table, ``(n_nodes, n_cols)``: the lower bound of the time from ``v`` to ``t`` is
        ``max_k table[t, k] - table[v, k]`` (and 0).
    k_best
        Landmarks used per search.
    """

    def __init__(self, graph: csr_matrix, table: FloatArray, *, k_best: int = K_BEST) -> None:
        self.graph = graph
        self.n = graph.shape[0]
        self._kernel = kernel()
        self.compiled = self._kernel is not None
        self.indptr = np.ascontiguousarray(graph.indptr, dtype=np.int64)
        self.indices = np.ascontiguousarray(graph.indices, dtype=np.int64)
        self.data = np.ascontiguousarray(graph.data, dtype=np.float64)
        self.table = np.ascontiguousarray(table, dtype=np.float64).reshape(self.n, -1)
        self.k_best = int(k_best)
        self.g = np.full(self.n, np.inf)
        self.hv = np.zeros(self.n)
        self.stamp = np.zeros(self.n, dtype=np.int64)
        self.cur = 0
        cap = len(self.data) + 1  # at most one heap entry per improvement: one per edge
        self.heap_f = np.empty(cap)
        self.heap_v = np.empty(cap, dtype=np.int64)
        self.settled = 0

    def time(self, source: int, target: int, limit: float = np.inf) -> float:
        """Time from `source` to `target`; ``inf`` if it exceeds `limit` (kept when equal)."""
        if not (0 <= source < self.n and 0 <= target < self.n):
            raise IndexError(f"node out of range 0..{self.n - 1}: {source} -> {target}")
        if self._kernel is None:  # pragma: no cover - numba missing
            from scipy.sparse.csgraph import dijkstra

            row = dijkstra(self.graph, directed=True, indices=int(source), limit=limit)
            return float(row[target])
        self.cur += 1
        tt, settled = self._kernel(self.indptr, self.indices, self.data, self.table, self.k_best,
                              int(source), int(target), float(limit), self.g, self.hv, self.stamp,
                              self.cur, self.heap_f, self.heap_v)
        self.settled += int(settled)
        return float(tt)
