"""Load a road network from OpenStreetMap into a `RoadNetwork`, with a compact on-disk cache.

Sources (see `load_network`):

- a bundled region name (``baarle-turnhout``) -> ``$XBORDER_DATA/osm/<name>.osm.bz2`` with the
  jurisdictions of ``$XBORDER_DATA/regions/<name>/``;
- an OSM file: ``.osm`` / ``.osm.bz2`` (read by OSMnx), ``.osm.gz`` / ``.osm.pbf`` (converted to
  OSM XML with pyosmium first, then read by OSMnx);
- a GraphML file saved by OSMnx;
- ``place:NAME`` or ``bbox:W,S,E,N`` downloaded with OSMnx (online only).

Building keeps the drivable highway classes (`sim.roads.speeds.HIGHWAY_CLASSES`, without
``access=no/private``), simplifies the graph with OSMnx (without merging edges whose ``highway`` or
``maxspeed`` differ, so every edge has one road class and one tag), and keeps the largest strongly
connected component. What was dropped is reported in ``network.meta``.

The cache stores the raw per-edge attributes (length, highway class, parsed ``maxspeed``, country)
rather than travel times, so speed settings can change without a rebuild: travel times are computed
on every load (vectorised). The cache key is the OSM file hash, the jurisdictions file hash and
`CACHE_FORMAT`; writes are atomic (temporary file + ``os.replace``). Each cache carries a SHA-256
digest of its arrays, checked on every load: an unreadable, altered or inconsistent cache is rebuilt
with a one-line notice on stderr.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import DataError
from sim.paths import atomic_path, bundled_regions, cache_dir, data_dir, file_hash
from sim.roads.jurisdictions import Jurisdictions, load_jurisdictions
from sim.roads.network import RoadNetwork, haversine_m
from sim.roads.speeds import HIGHWAY_CLASSES, SpeedSettings, parse_maxspeed

CACHE_FORMAT = 1
"""Version of the graph-cache layout; bump it when the arrays or their meaning change."""

OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".graphml")
_NO_ACCESS = {"no", "private"}


@dataclass(frozen=True)
class _Source:
    kind: str  # "file" or "online"
    name: str
    path: Path | None
    query: str
    jurisdictions: Path | None


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for s in sorted(OSM_SUFFIXES, key=len, reverse=True):
        if name.endswith(s):
            return s
    return path.suffix.lower()


def _stem(path: Path) -> str:
    s = _suffix(path)
    return path.name[: -len(s)] if s and path.name.lower().endswith(s) else path.stem


def region_dir_for(osm_path: Path) -> Path | None:
    """The region folder of an OSM file laid out as ``<data>/osm/<name>.osm.bz2`` (if it exists)."""
    candidate = osm_path.parent.parent / "regions" / _stem(osm_path)
    return candidate if osm_path.parent.name == "osm" and candidate.is_dir() else None


def resolve_source(source: str | os.PathLike[str],
                   jurisdictions: str | os.PathLike[str] | None = None) -> _Source:
    """Turn a region name, file path or ``place:``/``bbox:`` query into a source description."""
    text = str(source)
    jur = Path(jurisdictions) if jurisdictions is not None else None
    if text.startswith(("place:", "bbox:")):
        return _Source("online", text.split(":", 1)[1].strip() or text, None, text, jur)
    if text in bundled_regions():
        path = data_dir() / "osm" / f"{text}.osm.bz2"
        if jur is None:
            default = data_dir() / "regions" / text / "jurisdictions.geojson"
            jur = default if default.is_file() else None
        return _Source("file", text, path, "", jur)
    path = Path(text).expanduser()
    if not path.exists():
        known = ", ".join(bundled_regions()) or "none found in " + str(data_dir() / "osm")
        raise DataError(f"{text}: no such region or file (bundled regions: {known})")
    if not path.is_file():
        raise DataError(f"{path}: not a file")
    if _suffix(path) not in OSM_SUFFIXES:
        raise DataError(f"{path}: unsupported file type (expected one of {', '.join(OSM_SUFFIXES)})")
    if jur is None:
        rdir = region_dir_for(path.resolve())
        if rdir is not None and (rdir / "jurisdictions.geojson").is_file():
            jur = rdir / "jurisdictions.geojson"
    return _Source("file", _stem(path), path, "", jur)


# ---------------------------------------------------------------------------- building
def _say(progress: bool, msg: str) -> None:
    if progress:
        print(f"[xborder] {msg}", file=sys.stderr, flush=True)


def _as_list(value: Any) -> list[Any]:
    """OSMnx keeps merged attributes as lists; GraphML stores them as their string form."""
    if value is None:
        return []
    if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        with contextlib.suppress(ValueError, SyntaxError):
            parsed = ast.literal_eval(value)
            if isinstance(parsed, list):
                return parsed
    if isinstance(value, (list, tuple, set)):
        return list(value)
    return [value]


def _highway_of(value: Any) -> str:
    """The road class of an edge: the first drivable class of a merged list (OSMnx order)."""
    values = [str(v) for v in _as_list(value)]
    for v in values:
        if v in HIGHWAY_CLASSES:
            return v
    return values[0] if values else ""


@contextlib.contextmanager
def _as_osm_xml(path: Path) -> Iterator[Path]:
    """Yield an OSM XML file OSMnx can read: the file itself, or a pyosmium conversion."""
    if _suffix(path) in (".osm", ".osm.bz2"):
        yield path
        return
    import osmium

    tmpdir = tempfile.mkdtemp(prefix="xborder-osm-", dir=cache_dir())
    out = Path(tmpdir) / "converted.osm"
    try:
        with osmium.SimpleWriter(str(out)) as writer:
            for obj in osmium.FileProcessor(str(path)):
                writer.add(obj)
        yield out
    finally:
        with contextlib.suppress(OSError):
            out.unlink()
        with contextlib.suppress(OSError):
            os.rmdir(tmpdir)


def _check_online(query: str) -> None:
    for host in ("nominatim.openstreetmap.org", "overpass-api.de"):
        try:
            socket.create_connection((host, 443), timeout=3).close()
        except OSError as exc:
            raise DataError(f"{query}: downloading from OpenStreetMap needs the internet "
                            f"({host} unreachable: {exc}); use a bundled region or an OSM file") from exc


def _read_graph(src: _Source, progress: bool) -> Any:
    """Read the unsimplified (where possible) OSMnx graph of a source."""
    import osmnx as ox

    if src.kind == "online":
        _check_online(src.query)
        kind, arg = src.query.split(":", 1)
        try:
            if kind == "bbox":
                parts = [float(x) for x in arg.split(",")]
                if len(parts) != 4:
                    raise ValueError("expected bbox:W,S,E,N")
                w, s, e, n = parts
                return ox.graph_from_bbox((w, s, e, n), network_type="drive", simplify=False,
                                          retain_all=True)
            return ox.graph_from_place(arg, network_type="drive", simplify=False, retain_all=True)
        except Exception as exc:  # network errors, geocoding failures, empty results
            raise DataError(f"{src.query}: download failed ({type(exc).__name__}: {exc})") from exc
    assert src.path is not None
    path = src.path
    try:
        if _suffix(path) == ".graphml":
            _say(progress, f"reading GraphML {path}")
            return ox.load_graphml(path)
        with _as_osm_xml(path) as xml:
            _say(progress, f"reading OSM XML {path} with OSMnx")
            return ox.graph_from_xml(xml, simplify=False, retain_all=True)
    except DataError:
        raise
    except Exception as exc:  # any parser error means the file is not usable OSM data
        msg = str(exc).splitlines()[0] if str(exc) else ""
        raise DataError(f"{path}: not a readable OSM/GraphML file ({type(exc).__name__}: {msg})") from exc


def _drivable_core(G: Any, info: dict[str, Any], progress: bool) -> Any:
    """The drivable roads of `G`, simplified, largest strongly connected part; counts in `info`."""
    import osmnx as ox

    drop = [
        (u, v, k)
        for u, v, k, d in G.edges(keys=True, data=True)
        if _highway_of(d.get("highway")) not in HIGHWAY_CLASSES
        or str(d.get("access", "")).lower() in _NO_ACCESS
        or str(d.get("area", "")).lower() == "yes"
    ]
    G.remove_edges_from(drop)
    isolated = [n for n in G.nodes if G.degree(n) == 0]
    G.remove_nodes_from(isolated)
    info["non_drivable_edges_dropped"] = len(drop)
    info["isolated_nodes_dropped"] = len(isolated)
    if G.number_of_edges() == 0:
        raise DataError("no drivable roads in the input")
    if not G.graph.get("simplified"):
        _say(progress, f"simplifying {G.number_of_nodes():,} nodes / {G.number_of_edges():,} edges")
        G = ox.simplify_graph(G, edge_attrs_differ=["highway", "maxspeed"])
    before_n, before_e = G.number_of_nodes(), G.number_of_edges()
    G = ox.truncate.largest_component(G, strongly=True)
    info["simplified_nodes"], info["simplified_edges"] = before_n, before_e
    info["nodes_dropped_outside_scc"] = before_n - G.number_of_nodes()
    info["edges_dropped_outside_scc"] = before_e - G.number_of_edges()
    return G


def _edge_geometry(geometry: list[Any], lat: np.ndarray, lon: np.ndarray, eu: np.ndarray,
                   ev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ragged edge polylines ``(offsets, lon/lat points)``: OSMnx's geometry where edges were
    merged, else the straight segment from u to v."""
    import shapely

    geoms = np.array(geometry, dtype=object)
    missing = np.array([g is None for g in geoms], dtype=bool)
    if missing.any():
        seg = np.stack([np.column_stack([lon[eu[missing]], lat[eu[missing]]]),
                        np.column_stack([lon[ev[missing]], lat[ev[missing]]])], axis=1)
        geoms[missing] = shapely.linestrings(seg)
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=len(geoms)))]).astype(np.int64)
    return offsets, coords.astype(np.float64)


def _build_arrays(G: Any, jur: Jurisdictions | None, progress: bool) -> tuple[dict[str, np.ndarray],
                                                                             dict[str, Any]]:
    """Filter, simplify and flatten an OSMnx graph into the cached arrays."""
    info: dict[str, Any] = {"raw_nodes": G.number_of_nodes(), "raw_edges": G.number_of_edges()}
    G = _drivable_core(G, info, progress)

    nodes = list(G.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    lat = np.array([G.nodes[n]["y"] for n in nodes], dtype=np.float64)
    lon = np.array([G.nodes[n]["x"] for n in nodes], dtype=np.float64)
    try:
        osmid = np.array([int(n) for n in nodes], dtype=np.int64)
    except (TypeError, ValueError):
        osmid = np.arange(len(nodes), dtype=np.int64)
    edges = list(G.edges(keys=True, data=True))
    eu = np.array([index[u] for u, _, _, _ in edges], dtype=np.int64)
    ev = np.array([index[v] for _, v, _, _ in edges], dtype=np.int64)
    highway = [_highway_of(d.get("highway")) for *_, d in edges]
    classes = sorted(set(highway))
    hw_code = np.array([classes.index(h) for h in highway], dtype=np.int64)
    length = np.array([float(d.get("length", np.nan)) for *_, d in edges], dtype=np.float64)
    if np.isnan(length).any():  # GraphML without lengths: straight line
        bad = np.isnan(length)
        length[bad] = haversine_m(lat[eu[bad]], lon[eu[bad]], lat[ev[bad]], lon[ev[bad]])
    raw_maxspeed = [d.get("maxspeed") for *_, d in edges]
    tagged = np.array([bool(_as_list(m)) and str(m) not in ("", "nan") for m in raw_maxspeed])

    # countries: nodes by position; edges by their midpoint
    if jur is not None:
        _say(progress, "joining nodes to jurisdictions")
        node_country, node_centre = jur.locate(lat, lon)
        edge_country, _ = jur.locate((lat[eu] + lat[ev]) / 2, (lon[eu] + lon[ev]) / 2)
        countries, centres = list(jur.countries), list(jur.centres)
    else:
        node_country = np.full(len(nodes), -1, dtype=np.int64)
        node_centre = np.full(len(nodes), -1, dtype=np.int64)
        edge_country = np.full(len(edges), -1, dtype=np.int64)
        countries, centres = [], []
    maxspeed = np.full(len(edges), np.nan)
    for i in np.flatnonzero(tagged):
        c = countries[edge_country[i]] if edge_country[i] >= 0 else None
        maxspeed[i] = parse_maxspeed(_as_list(raw_maxspeed[i]), country=c)

    offsets, coords = _edge_geometry([d.get("geometry") for *_, d in edges], lat, lon, eu, ev)

    arrays = {
        "lat": lat, "lon": lon, "node_osmid": osmid, "edge_u": eu, "edge_v": ev,
        "edge_length_m": length, "edge_highway": hw_code, "edge_maxspeed_kmh": maxspeed,
        "edge_maxspeed_tagged": tagged, "edge_country": edge_country,
        "node_country": node_country, "node_centre": node_centre,
        "edge_geom_offsets": offsets, "edge_geom_lonlat": coords,
    }
    info.update(highway_classes=classes, countries=countries, centres=centres,
                maxspeed_tag_share=float(tagged.mean()) if len(tagged) else 0.0,
                maxspeed_parsed_share=float(np.isfinite(maxspeed).mean()) if len(tagged) else 0.0)
    return arrays, info


# ---------------------------------------------------------------------------- cache
def _cache_path(src: _Source, key: str) -> Path:
    folder = cache_dir() / "graphs"
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in src.name)[:60]
    return folder / f"{safe}-{key}.npz"


def _digest(arrays: dict[str, np.ndarray], info_json: str) -> str:
    """SHA-256 over every array (name, dtype, shape, bytes) and the info: the cache's proof of
    integrity, written with it and checked on every load."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    h.update(info_json.encode())
    return h.hexdigest()


def _write_cache(path: Path, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
    info_json = json.dumps(info)
    payload: dict[str, Any] = {**arrays, "info_json": np.array(info_json),
                               "digest": np.array(_digest(arrays, info_json))}
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **payload)


_REQUIRED = ("lat", "lon", "edge_u", "edge_v", "edge_length_m", "edge_highway", "edge_maxspeed_kmh",
             "edge_country", "node_country", "node_centre", "node_osmid", "edge_geom_offsets",
             "edge_geom_lonlat")


def _check_arrays(arrays: dict[str, np.ndarray], info: dict[str, Any]) -> str:
    """What is inconsistent in a cache whose digest matched ('' when nothing): a guard against a
    cache written by other code under the same key."""
    missing = [k for k in _REQUIRED if k not in arrays]
    if missing:
        return f"arrays missing: {', '.join(missing)}"
    n, m = len(arrays["lat"]), len(arrays["edge_u"])
    if any(len(arrays[k]) != n for k in ("lon", "node_country", "node_centre", "node_osmid")):
        return "node arrays of different lengths"
    if any(len(arrays[k]) != m for k in ("edge_v", "edge_length_m", "edge_highway", "edge_maxspeed_kmh",
                                         "edge_country")):
        return "edge arrays of different lengths"
    if m and (min(arrays["edge_u"].min(), arrays["edge_v"].min()) < 0
              or max(arrays["edge_u"].max(), arrays["edge_v"].max()) >= n):
        return "edges refer to nodes that do not exist"
    if not np.all(np.isfinite(arrays["edge_length_m"])) or np.any(arrays["edge_length_m"] < 0):
        return "edge lengths not finite and non-negative"
    if not all(k in info for k in ("highway_classes", "countries", "centres")):
        return "info incomplete"
    return ""


def _read_cache(path: Path) -> tuple[tuple[dict[str, np.ndarray], dict[str, Any]] | None, str]:
    """The cached arrays and info, or ``None`` with the reason it cannot be used ('' when there is
    no cache): unreadable, without its digest, altered (digest differs) or inconsistent."""
    if not path.is_file():
        return None, ""
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files if k not in ("info_json", "digest")}
            info_json = str(z["info_json"])
            digest = str(z["digest"]) if "digest" in z.files else ""
        info = json.loads(info_json)
    except Exception as exc:  # any damage (zip, npy header, JSON) means: rebuild
        return None, f"unreadable ({type(exc).__name__}: {exc})"
    if not digest:
        return None, "no integrity digest"
    if digest != _digest(arrays, info_json):
        return None, "contents altered (digest differs)"
    problem = _check_arrays(arrays, info) if isinstance(info, dict) else "info is not a mapping"
    if problem:
        return None, problem
    return (arrays, info), ""


def _network_from_arrays(name: str, arrays: dict[str, np.ndarray], info: dict[str, Any],
                         speeds: SpeedSettings) -> RoadNetwork:
    classes, countries = list(info["highway_classes"]), list(info["countries"])
    kw: dict[str, Any] = dict(edge_highway=arrays["edge_highway"], highway_classes=classes,
                              edge_maxspeed_kmh=arrays["edge_maxspeed_kmh"],
                              edge_country=arrays["edge_country"], countries=countries)
    times = speeds.edge_times_s(edge_length_m=arrays["edge_length_m"], **kw)
    limits = speeds.edge_limits_kmh(**kw)
    return RoadNetwork(
        lat=arrays["lat"], lon=arrays["lon"], edge_u=arrays["edge_u"], edge_v=arrays["edge_v"],
        edge_length_m=arrays["edge_length_m"], edge_time_s=times,
        node_country=arrays["node_country"], node_centre=arrays["node_centre"],
        countries=countries, centres=list(info["centres"]), name=name,
        node_osmid=arrays["node_osmid"], edge_highway=arrays["edge_highway"],
        highway_classes=classes, edge_maxspeed_kmh=arrays["edge_maxspeed_kmh"],
        edge_limit_kmh=limits, edge_country=arrays["edge_country"],
        edge_geom_offsets=arrays["edge_geom_offsets"], edge_geom_lonlat=arrays["edge_geom_lonlat"],
    )


def load_network(
    source: str | os.PathLike[str],
    *,
    speeds: SpeedSettings | None = None,
    jurisdictions: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> RoadNetwork:
    """Load a drivable, strongly connected road network (from the graph cache when possible).

    Parameters
    ----------
    source
        A bundled region name, an ``.osm``/``.osm.bz2``/``.osm.gz``/``.osm.pbf``/``.graphml``
        file, or ``"place:NAME"`` / ``"bbox:W,S,E,N"`` (downloaded with OSMnx; online only).
    speeds
        How travel times are computed (default `SpeedSettings()`); changing them needs no rebuild.
    jurisdictions
        A ``jurisdictions.geojson``; default: the region's own, if any. Without one every node's
        country and dispatch centre is unknown (code -1).
    progress
        Print build steps on stderr.

    Returns
    -------
    RoadNetwork
        With ``meta`` holding the source, file hashes, what was dropped while building, the share of
        edges with a ``maxspeed`` tag, the speed-settings key and whether the cache was hit.

    Raises
    ------
    DataError
        Unknown region, missing or unreadable file, no drivable roads, or a download while offline.
    """
    speeds = speeds or SpeedSettings()
    src = resolve_source(source, jurisdictions)
    jur = load_jurisdictions(src.jurisdictions) if src.jurisdictions is not None else None
    if src.kind == "online":
        in_hash = hashlib.sha256(src.query.encode()).hexdigest()[:16]
    else:
        assert src.path is not None
        in_hash = file_hash(src.path)[:16]
    jur_hash = jur.file_hash if jur is not None else "none"
    key = hashlib.sha256(f"{CACHE_FORMAT}|{in_hash}|{jur_hash}".encode()).hexdigest()[:16]
    cpath = _cache_path(src, key)
    t0 = time.perf_counter()
    cached, damage = _read_cache(cpath)
    if damage:
        print(f"xborder: graph cache {cpath} cannot be used ({damage}); rebuilding it", file=sys.stderr,
              flush=True)
    if cached is not None:
        arrays, info = cached
        status = "hit"
        _say(progress, f"graph cache hit: {cpath}")
    else:
        G = _read_graph(src, progress)
        try:
            arrays, info = _build_arrays(G, jur, progress)
        except DataError as exc:
            where = src.path if src.path is not None else src.query
            raise DataError(f"{where}: {exc}") from exc
        info["build_s"] = round(time.perf_counter() - t0, 2)
        _write_cache(cpath, arrays, info)
        status = "built"
        _say(progress, f"graph built in {info['build_s']} s, cached at {cpath}")
    net = _network_from_arrays(src.name, arrays, info, speeds)
    net.meta.update(
        {k: v for k, v in info.items() if k not in ("highway_classes", "countries", "centres")}
    )
    net.meta.update(
        source=str(source), kind=src.kind, path=str(src.path) if src.path else "",
        query=src.query, file_hash=in_hash,
        jurisdictions=str(src.jurisdictions) if src.jurisdictions else "",
        jurisdictions_hash=jur_hash, speed_key=speeds.cache_key(), cache=status,
        cache_path=str(cpath), cache_format=CACHE_FORMAT,
        nodes_dropped=int(info["isolated_nodes_dropped"] + info["nodes_dropped_outside_scc"]),
        edges_dropped=int(info["non_drivable_edges_dropped"] + info["edges_dropped_outside_scc"]),
        load_s=round(time.perf_counter() - t0, 3),
    )
    return net
