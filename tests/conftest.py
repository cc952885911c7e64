"""Shared test fixtures (others may append).

Network fixtures load the small bundled ``baarle-turnhout`` region through the graph cache
(``$XBORDER_CACHE``, default ``.cache/xborder``): the first test run builds it once (about 15 s),
later runs load it in well under a second.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.paths import data_dir


def _tiny_osm_text() -> str:
    """A 5 × 5 street grid in Baarle (straddling BE/NL), plus a footway and a one-way dead end.

    Node ids 1..25 form the grid (row-major, south to north); 100 is the end of a one-way spur
    from node 25 (so it is not strongly connected); 200 and 201 carry a footway.
    """
    nodes: list[str] = []
    lat0, lon0, d = 51.437, 4.925, 0.002
    for r in range(5):
        for c in range(5):
            nid = r * 5 + c + 1
            nodes.append(f'<node id="{nid}" lat="{lat0 + r * d:.6f}" lon="{lon0 + c * d:.6f}"/>')
    nodes.append(f'<node id="100" lat="{lat0 + 4 * d + 0.001:.6f}" lon="{lon0 + 4 * d + 0.001:.6f}"/>')
    nodes.append(f'<node id="200" lat="{lat0 - 0.001:.6f}" lon="{lon0:.6f}"/>')
    nodes.append(f'<node id="201" lat="{lat0 - 0.001:.6f}" lon="{lon0 + d:.6f}"/>')
    row_speed = ["50", "BE:urban", "30 mph", None, "70"]
    ways: list[str] = []
    wid = 1
    for r in range(5):
        refs = "".join(f'<nd ref="{r * 5 + c + 1}"/>' for c in range(5))
        tag = f'<tag k="maxspeed" v="{row_speed[r]}"/>' if row_speed[r] else ""
        ways.append(f'<way id="{wid}">{refs}<tag k="highway" v="residential"/>{tag}</way>')
        wid += 1
    for c in range(5):
        refs = "".join(f'<nd ref="{r * 5 + c + 1}"/>' for r in range(5))
        hw = "tertiary" if c == 2 else "unclassified"
        tag = '<tag k="maxspeed" v="50;70"/>' if c == 0 else ""
        ways.append(f'<way id="{wid}">{refs}<tag k="highway" v="{hw}"/>{tag}</way>')
        wid += 1
    ways.append(f'<way id="{wid}"><nd ref="25"/><nd ref="100"/><tag k="highway" v="service"/>'
                '<tag k="oneway" v="yes"/></way>')
    ways.append(f'<way id="{wid + 1}"><nd ref="200"/><nd ref="201"/><tag k="highway" v="footway"/></way>')
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\" generator=\"xborder-test\">\n"
            + "\n".join(nodes + ways) + "\n</osm>\n")


@pytest.fixture
def tiny_osm(tmp_path: Path) -> Path:
    """A hand-written OSM XML file (see `_tiny_osm_text`) in a temporary folder."""
    path = tmp_path / "tiny.osm"
    path.write_text(_tiny_osm_text(), encoding="utf-8")
    return path


@pytest.fixture
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty build-cache folder for this test only."""
    folder = tmp_path / "cache"
    folder.mkdir()
    monkeypatch.setenv("XBORDER_CACHE", str(folder))
    return folder


@pytest.fixture(scope="session")
def baarle_jurisdictions() -> Path:
    return data_dir() / "regions" / "baarle-turnhout" / "jurisdictions.geojson"


@pytest.fixture(scope="session")
def baarle_network():
    """The bundled baarle-turnhout network at default speeds (graph cache)."""
    from sim.roads.osm import load_network

    return load_network("baarle-turnhout")


@pytest.fixture(scope="session")
def baarle_region():
    """The bundled baarle-turnhout region (network, places, hospitals, ambulance posts)."""
    from sim.scenario.region import load_region

    return load_region("baarle-turnhout")
