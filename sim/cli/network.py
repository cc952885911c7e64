"""``xborder network info|route``: inspect a road network and time a route on it."""

from __future__ import annotations

import argparse
import math
from typing import Any

import numpy as np
from scipy.sparse.csgraph import connected_components

from sim.cli._common import print_json
from sim.errors import UsageError
from sim.model.units import UNIT_TYPES
from sim.roads.driving import DrivingModel
from sim.roads.network import SNAP_LIMIT_M, OffNetworkError, RoadNetwork


def register(subparsers: Any) -> None:
    """Add the ``network`` command group."""
    net = subparsers.add_parser("network", help="inspect road networks and route on them")
    sub = net.add_subparsers(dest="network_command", metavar="SUBCOMMAND")

    info = sub.add_parser("info", help="size, countries, dispatch centres and tags of a network")
    info.add_argument("source", metavar="NAME_OR_FILE",
                      help="bundled region name, OSM/PBF/GraphML file, place:NAME or bbox:W,S,E,N")
    info.add_argument("--jurisdictions", metavar="GEOJSON", help="jurisdiction polygons to use")
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.add_argument("--progress", action="store_true", help="report build steps on stderr")
    info.set_defaults(func=_info)

    route = sub.add_parser("route", help="fastest route between two points")
    route.add_argument("source", metavar="NAME_OR_FILE", help="bundled region name or OSM file")
    route.add_argument("--from", dest="origin", required=True, metavar="LAT,LON")
    route.add_argument("--to", dest="dest", required=True, metavar="LAT,LON")
    route.add_argument("--vehicle", choices=UNIT_TYPES, help="unit type (for the emergency factor)")
    route.add_argument("--urgent", action="store_true", help="lights and sirens (needs --vehicle)")
    route.add_argument("--max-snap", type=float, default=SNAP_LIMIT_M, metavar="M",
                       help="largest distance from a point to the road network (default 1000 m)")
    route.add_argument("--jurisdictions", metavar="GEOJSON", help="jurisdiction polygons to use")
    route.add_argument("--json", action="store_true", help="print one JSON object")
    route.set_defaults(func=_route)

    def _help(args: argparse.Namespace) -> int:
        net.print_help()
        return 2

    net.set_defaults(func=_help)


def _load(args: argparse.Namespace) -> RoadNetwork:
    from sim.roads.osm import load_network

    return load_network(args.source, jurisdictions=args.jurisdictions,
                        progress=getattr(args, "progress", False))


def _counts(names: list[str], codes: np.ndarray) -> dict[str, int]:
    out = {name: int(np.count_nonzero(codes == i)) for i, name in enumerate(names)}
    unknown = int(np.count_nonzero(codes < 0))
    if unknown:
        out["unknown"] = unknown
    return out


def network_summary(net: RoadNetwork) -> dict[str, Any]:
    """The facts ``xborder network info`` reports, as a JSON-ready dict."""
    n_scc, _ = connected_components(net._graph, directed=True, connection="strong")
    meta = net.meta
    return {
        "name": net.name,
        "source": meta.get("path") or meta.get("source", ""),
        "nodes": net.n_nodes,
        "edges": net.n_edges,
        "strongly_connected": bool(n_scc == 1),
        "bbox": list(net.bbox()),
        "nodes_per_country": _counts(net.countries, net.node_country),
        "nodes_per_dispatch_centre": _counts(net.centres, net.node_centre),
        "cross_border_edges": net.cross_border_edges(),
        "maxspeed_tag_share": meta.get("maxspeed_tag_share"),
        "total_length_km": float(net.edge_length_m.sum() / 1000.0),
        "dropped": {
            k: meta.get(k)
            for k in ("raw_nodes", "raw_edges", "non_drivable_edges_dropped", "isolated_nodes_dropped",
                      "nodes_dropped_outside_scc", "edges_dropped_outside_scc")
        },
        "jurisdictions": meta.get("jurisdictions", ""),
        "file_hash": meta.get("file_hash", ""),
        "cache": meta.get("cache", ""),
    }


def _info(args: argparse.Namespace) -> int:
    s = network_summary(_load(args))
    if args.json:
        print_json(s)
        return 0
    w, so, e, n = s["bbox"]
    d = s["dropped"]
    print(f"network      {s['name']}  ({s['source']})")
    print(f"nodes        {s['nodes']:,}")
    print(f"edges        {s['edges']:,}  ({s['total_length_km']:,.0f} km of road)")
    print(f"strongly connected: {'yes' if s['strongly_connected'] else 'no'}")
    print(f"bbox         W {w:.4f}  S {so:.4f}  E {e:.4f}  N {n:.4f}")
    print("countries    " + ", ".join(f"{k} {v:,}" for k, v in s["nodes_per_country"].items()))
    print("dispatch     " + ", ".join(f"{k} {v:,}" for k, v in s["nodes_per_dispatch_centre"].items()))
    print(f"cross-border edges {s['cross_border_edges']:,}")
    share = s["maxspeed_tag_share"]
    print(f"maxspeed tag on {share:.1%} of edges" if share is not None else "maxspeed tag share unknown")
    if d.get("raw_edges") is not None:
        print(f"dropped      {d['non_drivable_edges_dropped']:,} non-drivable edges of {d['raw_edges']:,}; "
              f"after simplification {d['nodes_dropped_outside_scc']:,} nodes / "
              f"{d['edges_dropped_outside_scc']:,} edges outside the largest strongly connected part")
    return 0


def _point(text: str, flag: str) -> tuple[float, float]:
    parts = text.split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected LAT,LON in degrees, e.g. 51.314,4.944") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat + lon):
        raise UsageError(f"{flag} {text!r}: latitude must be within ±90 and longitude within ±180")
    return lat, lon


def _route(args: argparse.Namespace) -> int:
    a = _point(args.origin, "--from")
    b = _point(args.dest, "--to")
    if args.urgent and not args.vehicle:
        raise UsageError("--urgent needs --vehicle (one of " + ", ".join(UNIT_TYPES) + ")")
    net = _load(args)
    try:
        src, d_src = net.snap(a[0], a[1], max_distance_m=args.max_snap, labels="--from point")
        dst, d_dst = net.snap(b[0], b[1], max_distance_m=args.max_snap, labels="--to point")
    except OffNetworkError as exc:
        raise UsageError(str(exc)) from None
    normal_s, length_m, path = net.route(src, dst)
    factor, start = 1.0, 0.0
    if args.vehicle:
        f = DrivingModel().factors(net, [args.vehicle])
        factor = float((f.urgent if args.urgent else f.normal)[0])
        start = float(f.start_stop_s[0])
    countries = sorted({c for c in net.country_of(path) if c})
    out = {
        "travel_time_s": normal_s * factor + start,
        "length_m": length_m,
        "normal_time_s": normal_s,
        "emergency_factor": factor,
        "start_stop_s": start,
        "vehicle": args.vehicle,
        "urgent": bool(args.urgent),
        "from_node": src, "to_node": dst,
        "from_snap_m": d_src, "to_snap_m": d_dst,
        "countries": countries,
        "nodes_on_path": len(path),
    }
    if args.json:
        print_json(out)
        return 0
    how = f"{args.vehicle}, {'lights and sirens' if args.urgent else 'normal driving'}" \
        if args.vehicle else "normal driving"
    print(f"{out['travel_time_s'] / 60:.1f} min, {length_m / 1000:.2f} km ({how}; "
          f"through {', '.join(countries) or 'unknown country'})")
    print(f"snapped: from {d_src:.0f} m, to {d_dst:.0f} m off the road")
    return 0
