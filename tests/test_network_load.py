"""Loading road networks: bundled region, OSM XML/gz/pbf, GraphML, the graph cache, bad input."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import osmium
import pytest
from scipy.sparse.csgraph import connected_components

from sim.errors import DataError
from sim.roads.osm import load_network
from sim.roads.speeds import SpeedSettings

ARRAYS = ("lat", "lon", "edge_u", "edge_v", "edge_length_m", "edge_time_s", "node_country",
          "node_centre", "node_osmid", "edge_highway", "edge_maxspeed_kmh", "edge_geom_offsets",
          "edge_geom_lonlat")


def _same_arrays(a, b) -> None:
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def _convert(src: Path, dst: Path) -> Path:
    with osmium.SimpleWriter(str(dst)) as writer:
        for obj in osmium.FileProcessor(str(src)):
            writer.add(obj)
    return dst


def test_bundled_region_meets_the_done_criteria(baarle_network) -> None:
    net = baarle_network
    assert net.n_nodes >= 6000
    n_scc, _ = connected_components(net._graph, directed=True, connection="strong")
    assert n_scc == 1
    counts = {c: int(np.count_nonzero(net.node_country == i)) for i, c in enumerate(net.countries)}
    assert counts["BE"] > 0 and counts["NL"] > 0
    assert (net.node_country >= 0).all() and (net.node_centre >= 0).all()
    assert net.cross_border_edges() >= 20
    assert set(net.centres) == {"112 Antwerpen", "Meldkamer (NL)"}
    # a street in Baarle-Nassau (NL) is Dutch, central Turnhout is Belgian
    (nl, be), _ = net.nearest_nodes([51.4455, 51.3225], [4.9270, 4.9447])
    assert net.country_of([nl, be]) == ["NL", "BE"]
    meta = net.meta
    for key in ("source", "file_hash", "nodes_dropped", "edges_dropped", "maxspeed_tag_share",
                "nodes_dropped_outside_scc", "non_drivable_edges_dropped", "speed_key"):
        assert key in meta, key
    assert 0.15 < meta["maxspeed_tag_share"] < 0.4  # "about a quarter" per the data README
    # geometry: every edge's polyline starts at u and ends at v
    off, pts = net.edge_geom_offsets, net.edge_geom_lonlat
    np.testing.assert_allclose(pts[off[:-1]], np.column_stack([net.lon[net.edge_u], net.lat[net.edge_u]]))
    np.testing.assert_allclose(pts[off[1:] - 1], np.column_stack([net.lon[net.edge_v], net.lat[net.edge_v]]))


def test_tiny_osm_drops_footway_and_dead_end(tiny_osm, isolated_cache, baarle_jurisdictions) -> None:
    net = load_network(tiny_osm, jurisdictions=baarle_jurisdictions)
    assert net.n_nodes == 25
    assert "footway" not in net.highway_classes
    assert net.meta["non_drivable_edges_dropped"] == 2  # the footway, both directions
    assert net.meta["nodes_dropped_outside_scc"] == 1  # the end of the one-way spur
    assert 100 not in set(net.node_osmid.tolist())
    assert set(net.countries) == {"BE", "NL"} and set(net.country_of(range(25))) == {"BE", "NL"}
    assert net.meta["cache"] == "built"
    # tags parsed per edge: "50", "BE:urban", "30 mph", "50;70" (mean 60), "70"
    got = set(np.round(net.edge_maxspeed_kmh[np.isfinite(net.edge_maxspeed_kmh)], 2).tolist())
    assert got == {50.0, 48.28, 60.0, 70.0}


def test_plain_file_without_jurisdictions_has_unknown_country(tiny_osm, isolated_cache) -> None:
    net = load_network(tiny_osm)
    assert (net.node_country == -1).all() and net.countries == []
    assert net.cross_border_edges() == 0
    assert set(net.country_of([0, 1])) == {""}


def test_cache_hit_returns_identical_arrays(tiny_osm, isolated_cache) -> None:
    first = load_network(tiny_osm)
    second = load_network(tiny_osm)
    assert (first.meta["cache"], second.meta["cache"]) == ("built", "hit")
    assert len(list((isolated_cache / "graphs").glob("*.npz"))) == 1
    assert not list((isolated_cache / "graphs").glob("*.tmp"))
    _same_arrays(first, second)


def test_speed_settings_change_times_without_rebuild(tiny_osm, isolated_cache) -> None:
    base = load_network(tiny_osm)
    slow = load_network(tiny_osm, speeds=SpeedSettings(normal_factor=0.43, rural_factor=0.4))
    assert slow.meta["cache"] == "hit"
    np.testing.assert_allclose(slow.edge_time_s, base.edge_time_s * 2, rtol=1e-12)
    assert slow.meta["speed_key"] != base.meta["speed_key"]


def test_changed_file_is_rebuilt(tiny_osm, isolated_cache) -> None:
    load_network(tiny_osm)
    tiny_osm.write_text(tiny_osm.read_text().replace('v="70"', 'v="90"'))
    again = load_network(tiny_osm)
    assert again.meta["cache"] == "built"
    assert 90.0 in again.edge_maxspeed_kmh


@pytest.mark.parametrize("suffix", [".osm.pbf", ".osm.gz", ".osm.bz2"])
def test_pbf_and_compressed_xml_equal_plain_xml(tiny_osm, isolated_cache, suffix: str) -> None:
    other = _convert(tiny_osm, tiny_osm.parent / f"converted{suffix}")
    a, b = load_network(tiny_osm), load_network(other)
    assert b.n_nodes == 25
    _same_arrays(a, b)


def test_graphml_equals_xml(tiny_osm, isolated_cache, tmp_path) -> None:
    import osmnx as ox

    g = ox.graph_from_xml(tiny_osm, simplify=False, retain_all=True)
    ox.save_graphml(g, tmp_path / "tiny.graphml")
    a = load_network(tiny_osm)
    b = load_network(tmp_path / "tiny.graphml")
    assert b.n_nodes == a.n_nodes == 25
    assert b.n_edges == a.n_edges
    assert sorted(b.node_osmid.tolist()) == sorted(a.node_osmid.tolist())
    np.testing.assert_allclose(np.sort(b.edge_length_m), np.sort(a.edge_length_m), rtol=1e-9)
    np.testing.assert_allclose(np.sort(b.edge_time_s), np.sort(a.edge_time_s), rtol=1e-9)


def test_presimplified_graphml_with_merged_tags(tiny_osm, isolated_cache, tmp_path) -> None:
    import osmnx as ox

    # OSMnx's default simplification merges edges with different tags into lists, which GraphML
    # stores as strings such as "['50', '50;70']"; they are parsed and averaged like OSMnx does
    g = ox.graph_from_xml(tiny_osm, simplify=True, retain_all=True)
    merged = [d["maxspeed"] for *_, d in g.edges(data=True) if isinstance(d.get("maxspeed"), list)]
    assert merged
    ox.save_graphml(g, tmp_path / "simplified.graphml")
    net = load_network(tmp_path / "simplified.graphml")
    assert net.n_nodes == len(g) - 3  # minus the two footway nodes and the end of the one-way spur
    assert net.meta["maxspeed_parsed_share"] == net.meta["maxspeed_tag_share"] > 0
    assert np.isfinite(net.edge_maxspeed_kmh).sum() > 0


def test_unknown_region_or_missing_file(isolated_cache, tmp_path) -> None:
    with pytest.raises(DataError, match=r"no-such-region: no such region or file.*baarle-turnhout"):
        load_network("no-such-region")
    with pytest.raises(DataError, match=r"missing.osm"):
        load_network(tmp_path / "missing.osm")


def test_unreadable_osm_names_the_file(isolated_cache, tmp_path) -> None:
    bad = tmp_path / "broken.osm"
    bad.write_text("<osm><node id='1' lat='51' lon='4'>")
    with pytest.raises(DataError, match=r"broken.osm: not a readable OSM"):
        load_network(bad)
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(b"not a pbf at all")
    with pytest.raises(DataError, match=r"junk.osm.pbf"):
        load_network(junk)
    txt = tmp_path / "roads.txt"
    txt.write_text("x")
    with pytest.raises(DataError, match="unsupported file type"):
        load_network(txt)


def test_osm_without_roads_is_an_error(isolated_cache, tmp_path) -> None:
    f = tmp_path / "paths.osm"
    f.write_text('<osm version="0.6"><node id="1" lat="51.4" lon="4.9"/><node id="2" lat="51.41" lon="4.9"/>'
                 '<way id="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way></osm>')
    with pytest.raises(DataError, match=r"paths.osm.*no drivable roads"):
        load_network(f)


def test_online_source_offline_is_a_clear_error(isolated_cache, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(socket, "create_connection", refuse)
    with pytest.raises(DataError, match=r"place:Baarle-Nassau.*needs the internet"):
        load_network("place:Baarle-Nassau")
    with pytest.raises(DataError, match="needs the internet"):
        load_network("bbox:4.9,51.4,4.95,51.45")
