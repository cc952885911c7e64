"""The driving model on the bundled regions: average urgent speed by route length, and a few routes.

For each bundled scenario (its first variant) and each vehicle type, every route from a station on
the network to every node is priced as the engine prices it (:func:`sim.engine.prepare.prepare`'s
matrices × the vehicle's lights-and-sirens factor + its start/stop cost); its road length is summed
along the same shortest-path tree. Routes are grouped by road length (0-2, 2-5, 5-10, 10-20, 20+ km)
and the mean of their average speeds is printed, with the estimated legs of off-network posts and
a few named routes. ``docs/model.md`` (section "Driving model") quotes this output.

Usage::

    python3 benchmarks/driving.py [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's sim, not an installed one

from sim.engine import prepare  # noqa: E402
from sim.roads.network import RoadNetwork  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

BANDS_KM = (0.0, 2.0, 5.0, 10.0, 20.0, np.inf)
VEHICLES = ("ambulance", "smur", "pumper")
ROUTES = {
    "baarle-turnhout": [("Turnhout", (51.3225, 4.9447), "Baarle-Hertog", (51.4418, 4.9281)),
                        ("Hoogstraten", (51.4003, 4.7605), "Baarle-Hertog", (51.4418, 4.9281))],
    "euregio-meuse-rhine-be": [("Liège", (50.6333, 5.5667), "Verviers", (50.5891, 5.8624)),
                               ("Liège", (50.6333, 5.5667), "Eupen", (50.6304, 6.0311)),
                               ("Hasselt", (50.9307, 5.3325), "Genk", (50.9650, 5.5008))],
}


def _lengths(net: RoadNetwork, pred: np.ndarray) -> np.ndarray:
    """Road length from the root of each shortest-path tree (rows of `pred`) to every node."""
    u, v, e = net._fastest_edges(reverse=False)
    lengths = csr_matrix((net.edge_length_m[e], (u, v)), shape=(net.n_nodes, net.n_nodes))
    out = np.zeros(pred.shape)
    for k in range(pred.shape[0]):
        p = pred[k].astype(np.int64)
        has = p >= 0
        w = np.zeros(net.n_nodes)
        w[has] = np.asarray(lengths[p[has], np.flatnonzero(has)]).ravel()
        # pointer jumping: add the parent's distance until every node points at the root
        while has.any():
            w[has] += w[p[has]]
            p[has] = p[p[has]]
            has = p >= 0
        out[k] = w
    return out


def region_table(name: str) -> dict[str, Any]:
    sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    region = sc.load_region()
    net = region.network
    spec = sc.model_spec(sc.variant_names[0], region)
    prep = prepare(net, spec)
    f = spec.driving.factors(net, list(VEHICLES))
    out: dict[str, Any] = {"region": name, "bands": {}, "legs": {}, "routes": []}
    for vi, vehicle in enumerate(VEHICLES):
        st = [i for i, s in enumerate(spec.stations) if s.units.get(vehicle) and s.off_network is None]
        nodes = prep.station_node[st]
        dist, pred = dijkstra(net._graph, directed=True, indices=nodes, return_predecessors=True)
        length = _lengths(net, pred) / 1000.0
        urgent = prep.fwd[st] * f.urgent[vi] + f.start_stop_s[vi]
        ok = np.isfinite(dist) & (length > 0)
        speed = length[ok] / (urgent[ok] / 3600.0)
        km = length[ok]
        rows = []
        for lo, hi in itertools.pairwise(BANDS_KM):
            m = (km >= lo) & (km < hi)
            rows.append({"band_km": f"{lo:g}-{hi:g}" if np.isfinite(hi) else f"{lo:g}+",
                         "routes": int(m.sum()), "mean_kmh": float(speed[m].mean()),
                         "p10_kmh": float(np.percentile(speed[m], 10)),
                         "p90_kmh": float(np.percentile(speed[m], 90))})
        out["bands"][vehicle] = rows
        legs = [(leg.distance_m, leg.time_s)
                for s, group in zip(spec.stations, prep.station_legs, strict=True)
                for leg in group if leg.estimated and s.units.get(vehicle)]
        if legs:
            d_m, t_s = np.array(legs).T
            kmh = d_m / (t_s * f.urgent[vi]) * 3.6
            out["legs"][vehicle] = {"legs": len(legs), "mean_kmh": float(np.mean(kmh)),
                                    "mean_km": float(np.mean(d_m) / 1000)}
    for a_name, a, b_name, b in ROUTES.get(name, []):
        src, _ = net.snap(*a)
        dst, _ = net.snap(*b)
        normal_s, length_m, _ = net.route(src, dst)
        urgent_s = normal_s * f.urgent[0] + f.start_stop_s[0]
        out["routes"].append({"route": f"{a_name} -> {b_name}", "km": length_m / 1000,
                              "urgent_min": urgent_s / 60, "urgent_kmh": length_m / urgent_s * 3.6})
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    tables = [region_table(name) for name in ("baarle-turnhout", "euregio-meuse-rhine-be")]
    if args.json:
        print(json.dumps(tables, indent=1))
        return 0
    for t in tables:
        print(f"== {t['region']}: mean urgent speed of routes from stations, km/h (p10-p90)")
        print("  " + "band km".ljust(10) + "".join(v.ljust(22) for v in VEHICLES))
        for k in range(len(BANDS_KM) - 1):
            cells = []
            for v in VEHICLES:
                r = t["bands"][v][k]
                cells.append(f"{r['mean_kmh']:5.1f} ({r['p10_kmh']:.0f}-{r['p90_kmh']:.0f})".ljust(22))
            print("  " + t["bands"][VEHICLES[0]][k]["band_km"].ljust(10) + "".join(cells))
        for v, leg in t["legs"].items():
            print(f"  estimated legs, {v}: {leg['legs']} legs, mean {leg['mean_km']:.1f} km at "
                  f"{leg['mean_kmh']:.1f} km/h (urgent)")
        for r in t["routes"]:
            print(f"  {r['route']}: {r['km']:.1f} km, {r['urgent_min']:.1f} min, {r['urgent_kmh']:.0f} km/h "
                  "(ambulance, lights and sirens)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
