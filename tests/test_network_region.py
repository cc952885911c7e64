"""Regions: places, hospitals and ambulance posts next to the network; jurisdictions join."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from sim.roads.jurisdictions import Jurisdictions, load_jurisdictions
from sim.scenario.region import load_region


def test_region_contents(baarle_region) -> None:
    r = baarle_region
    assert r.name == "baarle-turnhout"
    assert r.region_dir is not None and r.region_dir.name == "baarle-turnhout"
    assert r.osm_path is not None and r.osm_path.name == "baarle-turnhout.osm.bz2"
    assert any(p.name == "Turnhout" and p.country == "BE" and p.population > 40_000 for p in r.places)
    az = [h for h in r.hospitals if "TURNHOUT - ST. ELISABETH" in h.name]
    assert len(az) == 1 and az[0].emergency and az[0].country == "BE"
    # Belgian 'no' rows are not emergency hospitals; Dutch 'unknown' rows are
    assert any(h.country == "BE" and not h.emergency for h in r.hospitals)
    nl = [h for h in r.hospitals if h.country == "NL"]
    assert nl and all(h.emergency for h in nl)
    assert {p.hours for p in r.ambulance_posts} >= {"24 uur", "Dag/avond"}
    assert all(p.country == "NL" and p.source.startswith("RIVM") for p in r.ambulance_posts)


def test_plain_osm_file_region_is_empty(tiny_osm, isolated_cache) -> None:
    r = load_region(tiny_osm)
    assert r.places == () and r.hospitals == () and r.ambulance_posts == ()
    assert r.region_dir is None
    assert (r.network.node_country == -1).all()


def test_jurisdictions_join_inside_boundary_and_nearest(baarle_jurisdictions) -> None:
    jur = load_jurisdictions(baarle_jurisdictions)
    assert jur.countries == ["BE", "NL"]
    # Baarle-Hertog church (BE enclave), a Baarle-Nassau street (NL), Breda (outside every polygon)
    country, centre = jur.locate([51.4420, 51.4455, 51.589], [4.9316, 4.9270, 4.776])
    assert [jur.countries[c] for c in country] == ["BE", "NL", "NL"]
    assert jur.centres[centre[0]] == "112 Antwerpen"


def test_jurisdictions_point_outside_gets_nearest_polygon() -> None:
    west = shapely.box(0, 0, 1, 1)
    east = shapely.box(2, 0, 3, 1)
    jur = Jurisdictions.from_features([(west, "BE", "A"), (east, "NL", "B")])
    country, centre = jur.locate([0.5, 0.5, 0.5, 0.5], [0.5, 2.5, 1.2, 1.9])
    assert country.tolist() == [0, 1, 0, 1]
    assert centre.tolist() == [0, 1, 0, 1]


def test_bad_jurisdictions_file(tmp_path) -> None:
    from sim.errors import DataError

    f = tmp_path / "j.geojson"
    f.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
                 '{"country": "BE"}, "geometry": {"type": "Polygon", '
                 '"coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}}]}')
    with pytest.raises(DataError, match=r"j.geojson: feature 0 has no 'dispatch_centre'"):
        load_jurisdictions(f)
    with pytest.raises(DataError, match="not found"):
        load_jurisdictions(tmp_path / "none.geojson")


def test_nodes_per_country_match_polygon_membership(baarle_network, baarle_jurisdictions) -> None:
    # an independent, non-vectorised check on a sample of nodes
    jur = load_jurisdictions(baarle_jurisdictions)
    rng = np.random.default_rng(7)
    sample = rng.choice(baarle_network.n_nodes, 300, replace=False)
    for i in sample:
        pt = shapely.Point(baarle_network.lon[i], baarle_network.lat[i])
        inside = [k for k, g in enumerate(jur.geometries) if g.covers(pt)]
        if inside:
            assert baarle_network.node_country[i] in {jur.polygon_country[k] for k in inside}
