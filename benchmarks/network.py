"""Benchmark the road-network layer on a bundled region (default: the Euregio extract).

Prints: cold build seconds (OSM file -> cached arrays, in an empty temporary cache), warm load
seconds (a fresh process loading from that cache), peak memory of the cold build, and the time for
100 sources × all nodes with ``scipy.sparse.csgraph`` against a networkx Dijkstra loop, as a ratio.

Usage::

    python3 benchmarks/network.py [--region NAME] [--sources 100] [--json]

Targets (issue 2): warm load < 3 s; csgraph at least 20× faster than the networkx loop. Both wall
and CPU (process) time are printed: on a busy machine the CPU-time ratio is the steadier figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_WARM = """
import sys, time
t0 = time.perf_counter()
from sim.roads.osm import load_network
t1 = time.perf_counter()
net = load_network(sys.argv[1])
t2 = time.perf_counter()
assert net.meta["cache"] == "hit", net.meta["cache"]
print(t2 - t1, t2 - t0, net.n_nodes)
"""


def _peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="euregio-meuse-rhine-be")
    parser.add_argument("--sources", type=int, default=100, help="number of random source nodes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="xborder-bench-") as cache:
        os.environ["XBORDER_CACHE"] = cache
        from sim.roads.osm import load_network

        rss_before = _peak_rss_mib()
        t0 = time.perf_counter()
        net = load_network(args.region)
        cold_s = time.perf_counter() - t0
        assert net.meta["cache"] == "built"
        peak_build = _peak_rss_mib()

        proc = subprocess.run([sys.executable, "-c", _WARM, args.region], capture_output=True,
                              text=True, check=True, cwd=ROOT, env={**os.environ})
        warm_load_s, warm_total_s, _ = (float(x) for x in proc.stdout.split())

        rng = np.random.default_rng(args.seed)
        sources = rng.choice(net.n_nodes, args.sources, replace=False)
        net.times_from(sources[:1])  # build the sparse matrix outside the timing
        t0, c0 = time.perf_counter(), time.process_time()
        matrix = net.times_from(sources)
        csgraph_s, csgraph_cpu = time.perf_counter() - t0, time.process_time() - c0

        import networkx as nx

        g = nx.DiGraph()
        u, v, e = net._fastest_edges(reverse=False)
        g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), net.edge_time_s[e].tolist(),
                                      strict=True), weight="t")
        t0, c0 = time.perf_counter(), time.process_time()
        rows = [nx.single_source_dijkstra_path_length(g, int(s), weight="t") for s in sources]
        networkx_s, networkx_cpu = time.perf_counter() - t0, time.process_time() - c0
        # the two agree (spot check on the first source)
        first = rows[0]
        idx = np.fromiter(first.keys(), dtype=np.int64)
        np.testing.assert_allclose(matrix[0, idx], np.fromiter(first.values(), dtype=float), atol=1e-6)

    result = {
        "region": args.region,
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "raw_nodes": net.meta.get("raw_nodes"),
        "cold_build_s": round(cold_s, 2),
        "warm_load_s": round(warm_load_s, 3),
        "warm_process_s": round(warm_total_s, 3),
        "peak_memory_mib": round(peak_build, 0),
        "peak_memory_before_build_mib": round(rss_before, 0),
        "sources": int(args.sources),
        "csgraph_s": round(csgraph_s, 3),
        "networkx_s": round(networkx_s, 2),
        "speedup": round(networkx_s / csgraph_s, 1),
        "csgraph_cpu_s": round(csgraph_cpu, 3),
        "networkx_cpu_s": round(networkx_cpu, 2),
        "speedup_cpu": round(networkx_cpu / csgraph_cpu, 1),
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"region           {result['region']}: {net.n_nodes:,} nodes, {net.n_edges:,} edges "
              f"(from {result['raw_nodes']:,} raw nodes)")
        print(f"cold build       {cold_s:.1f} s (peak memory {peak_build:,.0f} MiB)")
        print(f"warm load        {warm_load_s:.2f} s (fresh process incl. imports {warm_total_s:.2f} s)")
        print(f"{args.sources} sources × all nodes: csgraph {csgraph_s:.2f} s, networkx loop "
              f"{networkx_s:.1f} s -> {result['speedup']:.0f}× faster (wall); "
              f"CPU time {csgraph_cpu:.2f} s vs {networkx_cpu:.1f} s -> {result['speedup_cpu']:.0f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
