"""Point-to-point driving times for the engine: A* with landmarks (ALT), compiled with numba.

When a unit on its way home may beat the best unit at base, the engine needs its driving time from
where it is to the incident, exact up to a bound (:func:`sim.engine._core._search`). A one-to-all
Dijkstra from the unit would settle every node within the bound; A* aims at the target instead. Its
heuristic is the landmark lower bound the engine already uses (``max_k table[target, k] -
table[v, k]`` over the stations' forward and reverse times, :meth:`sim.engine.Prepared.landmarks`),
over the `k_best` landmarks that bound the source best, shrunk by a rounding margin.

The result is bit-identical to ``scipy.sparse.csgraph.dijkstra``'s: an entry is pushed again
whenever a node's time improves, so the search stays exact with a heuristic that is only admissible
(the rounding margin may cost consistency), and the time of the target is the least ``time(u) +
w(u, target)`` over the fastest paths as a plain Dijkstra computes it. A target farther than the
limit is ``inf``; one exactly at the limit is kept (as scipy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit

K_BEST = 16
"""Landmarks used per search: those whose bound is largest at the source."""


def jit(**options: Any) -> Callable[[Any], Any]:
    """``numba.njit(cache=True, **options)`` (compiled once, cached on disk); without a writable
    cache folder (in-tree or per user), compiled in each process instead."""

    def wrap(fn: Any) -> Any:
        try:
            return njit(cache=True, **options)(fn)
        except RuntimeError:  # pragma: no cover - depends on the file system
            return njit(**options)(fn)

    return wrap


@jit(inline="always")
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


@jit()
def astar(indptr: Any, indices: Any, data: Any, table: Any, k_best: int, source: int, target: int,
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
    hv[source] = _h(table, cols, tt, source)
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
                hv[u] = _h(table, cols, tt, u)
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
