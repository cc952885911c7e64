"""``xborder network info|route``: outputs on the bundled region and every error path (exit 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sim.cli.main import main

AZ_TURNHOUT = "51.314,4.944"
BAARLE_HERTOG_CHURCH = "51.4420,4.9316"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_info_json(capsys, baarle_network) -> None:
    code, out, err = _run(capsys, "network", "info", "baarle-turnhout", "--json")
    assert code == 0, err
    info = json.loads(out)
    assert info["nodes"] == baarle_network.n_nodes >= 6000
    assert info["edges"] == baarle_network.n_edges
    assert info["strongly_connected"] is True
    assert info["nodes_per_country"]["BE"] > 0 and info["nodes_per_country"]["NL"] > 0
    assert sum(info["nodes_per_country"].values()) == info["nodes"]
    assert info["cross_border_edges"] >= 20
    assert set(info["nodes_per_dispatch_centre"]) == {"112 Antwerpen", "Meldkamer (NL)"}
    assert 0 < info["maxspeed_tag_share"] < 1
    w, s, e, n = info["bbox"]
    assert 4.7 < w < e < 5.3 and 51.2 < s < n < 51.6


def test_info_text(capsys, baarle_network) -> None:
    code, out, _ = _run(capsys, "network", "info", "baarle-turnhout")
    assert code == 0
    assert "strongly connected: yes" in out and "cross-border edges" in out and "NL" in out


def test_route_normal_and_urgent(capsys, baarle_network) -> None:
    code, out, err = _run(capsys, "network", "route", "baarle-turnhout", "--from", AZ_TURNHOUT,
                          "--to", BAARLE_HERTOG_CHURCH, "--json")
    assert code == 0, err
    normal = json.loads(out)
    # JEMSS road-class speeds x 0.86 (docs/model.md): 40-60 km/h on this route of minor roads
    assert 40 <= normal["length_m"] / normal["travel_time_s"] * 3.6 <= 60
    assert 10_000 < normal["length_m"] < 25_000
    code, out, _ = _run(capsys, "network", "route", "baarle-turnhout", "--from", AZ_TURNHOUT,
                        "--to", BAARLE_HERTOG_CHURCH, "--vehicle", "ambulance", "--urgent", "--json")
    urgent = json.loads(out)
    assert code == 0
    assert urgent["travel_time_s"] < normal["travel_time_s"]
    assert urgent["travel_time_s"] == pytest.approx(normal["travel_time_s"] / 1.1 + urgent["start_stop_s"])
    assert urgent["length_m"] == normal["length_m"]
    code, out, _ = _run(capsys, "network", "route", "baarle-turnhout", "--from", AZ_TURNHOUT,
                        "--to", BAARLE_HERTOG_CHURCH)
    assert code == 0 and "min" in out and "km" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["network", "info", "atlantis"], "atlantis: no such region or file"),
        (["network", "info", "/no/such/file.osm.bz2"], "no such region or file"),
        (["network", "route", "baarle-turnhout", "--from", "51.6,4.7", "--to", BAARLE_HERTOG_CHURCH],
         "--from point (51.60000, 4.70000) is 11,"),
        (["network", "route", "baarle-turnhout", "--from", "51.3", "--to", BAARLE_HERTOG_CHURCH],
         "--from '51.3': expected LAT,LON"),
        (["network", "route", "baarle-turnhout", "--from", "95,4", "--to", BAARLE_HERTOG_CHURCH],
         "latitude must be within"),
        (["network", "route", "baarle-turnhout", "--from", AZ_TURNHOUT, "--to", BAARLE_HERTOG_CHURCH,
          "--urgent"], "--urgent needs --vehicle"),
    ],
)
def test_error_paths_exit_2_with_one_line(capsys, baarle_network, argv, message) -> None:
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("xborder: error: ")
    assert message in lines[0]


def test_unreadable_osm_file(capsys, tmp_path, isolated_cache) -> None:
    bad = tmp_path / "bad.osm"
    bad.write_text("this is not xml")
    code, _, err = _run(capsys, "network", "info", str(bad))
    assert code == 2
    assert err.count("\n") == 1 and "bad.osm: not a readable OSM" in err


def test_no_traceback_from_the_console_command(tmp_path) -> None:
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"\x00\x01garbage")
    proc = subprocess.run([sys.executable, "-m", "sim.cli", "network", "info", str(bad)],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "XBORDER_CACHE": str(tmp_path / "c")})
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("xborder: error: ") and "bad.osm.pbf" in proc.stderr
