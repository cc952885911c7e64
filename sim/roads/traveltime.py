"""Travel-time matrices with a disk cache.

`times_from_cached` (sources -> every node) and `times_to_cached` (every node -> targets, on the
reversed graph) wrap :meth:`RoadNetwork.times_from` / :meth:`RoadNetwork.times_to`
(``scipy.sparse.csgraph.dijkstra``) and keep the result in ``cache_dir()/traveltime`` as ``.npy``
files keyed by the network's input hash, its speed-settings key and the node list, so a second run
gets identical arrays without another search. Writes are atomic (temporary file + ``os.replace``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

from sim.paths import cache_dir
from sim.roads.network import FloatArray, IntArray, RoadNetwork

CACHE_FORMAT = 1


def network_key(network: RoadNetwork) -> str:
    """What identifies a network's travel times: input hash + speed key, or a hash of its arrays.

    Networks built in memory (e.g. ``RoadNetwork.from_arrays``) have no input hash; their edge
    arrays are hashed instead.
    """
    meta = network.meta
    if meta.get("file_hash") and meta.get("speed_key"):
        return (f"{meta['file_hash']}-{meta.get('jurisdictions_hash', 'none')}-"
                f"{meta['speed_key']}")
    h = hashlib.sha256()
    for a in (network.edge_u, network.edge_v, network.edge_time_s):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(str(network.n_nodes).encode())
    return "arrays-" + h.hexdigest()[:16]


def _path(kind: str, network: RoadNetwork, nodes: IntArray) -> Path:
    key = hashlib.sha256(
        f"{CACHE_FORMAT}|{kind}|{network_key(network)}|".encode() + nodes.tobytes()
    ).hexdigest()[:24]
    folder = cache_dir() / "traveltime"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{kind}-{key}.npy"


def _load(path: Path, shape: tuple[int, int]) -> np.ndarray | None:
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    return arr if arr.shape == shape else None


def _save(path: Path, arr: np.ndarray) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, arr, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def times_from_cached(network: RoadNetwork, sources: npt.ArrayLike) -> FloatArray:
    """Travel times (s) from each source to every node, shape ``(len(sources), n)``, disk-cached."""
    src = np.ascontiguousarray(np.atleast_1d(np.asarray(sources, dtype=np.int64)))
    path = _path("from", network, src)
    hit = _load(path, (len(src), network.n_nodes))
    if hit is not None:
        return np.asarray(hit, dtype=np.float64)
    out = network.times_from(src)
    _save(path, out)
    return out


def times_to_cached(
    network: RoadNetwork, targets: npt.ArrayLike, *, return_next_hop: bool = False
) -> FloatArray | tuple[FloatArray, IntArray]:
    """Travel times (s) from every node to each target, shape ``(len(targets), n)``, disk-cached.

    With `return_next_hop`, also the next node on each node's fastest path to the target (see
    :meth:`RoadNetwork.times_to`).
    """
    tgt = np.ascontiguousarray(np.atleast_1d(np.asarray(targets, dtype=np.int64)))
    shape = (len(tgt), network.n_nodes)
    tpath = _path("to", network, tgt)
    hpath = _path("hop", network, tgt)
    times = _load(tpath, shape)
    if return_next_hop:
        hops = _load(hpath, shape)
        if times is not None and hops is not None:
            return np.asarray(times, dtype=np.float64), np.asarray(hops, dtype=np.int64)
        res = network.times_to(tgt, return_next_hop=True)
        assert isinstance(res, tuple)
        t, h = res
        _save(tpath, t)
        _save(hpath, h)
        return t, h
    if times is not None:
        return np.asarray(times, dtype=np.float64)
    res = network.times_to(tgt)
    assert not isinstance(res, tuple)
    _save(tpath, res)
    return res
