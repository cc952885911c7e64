"""``xborder export``: the GeoPackage opens with pyogrio with the expected layers and its hexagons
equal summary.json's; the Excel workbook's numbers equal summary.json's; hexagon statistics are
computed as the summary computes its groups."""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _small_results import small_results

from sim.analysis.hexagons import hex_cells, hex_polygon, hexagon_frame, hexagon_summary
from sim.cli.main import main
from sim.model.norms import Norm

LAYER_TYPES = {
    "incidents": "Point", "stations": "Point", "units": "Point", "hexagons": "Polygon",
    "coverage": "MultiPolygon", "cross_border_missions": "LineString", "focus_areas": "MultiPolygon",
    "jurisdictions": "MultiPolygon",
}


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> tuple[Path, Path, dict[str, Any]]:
    folder = small_results(tmp_path_factory, worker_id)
    out = tmp_path_factory.mktemp("export")
    rc, stdout, err = _run(["export", str(folder), "--to", "gpkg,csv,xlsx", "--out", str(out)])
    assert rc == 0, err
    assert len(stdout.splitlines()) == 6  # gpkg, 4 csv, xlsx
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return folder, out, summary


# ---------------------------------------------------------------------------------------- gpkg


def test_geopackage_layers_geometry_types_and_crs(exported: tuple[Path, Path, dict[str, Any]]) -> None:
    import pyogrio

    gpkg = exported[1] / "baarle-turnhout.gpkg"
    layers = {str(name): str(kind) for name, kind in pyogrio.list_layers(gpkg)}
    assert layers == LAYER_TYPES
    for name in LAYER_TYPES:
        info = pyogrio.read_info(gpkg, layer=name)
        assert info["crs"] == "EPSG:4326", name
        assert info["features"] > 0, name


def test_geopackage_layers_carry_a_description(exported: tuple[Path, Path, dict[str, Any]]) -> None:
    import sqlite3

    with contextlib.closing(sqlite3.connect(exported[1] / "baarle-turnhout.gpkg")) as db:
        rows = dict(db.execute("select table_name, description from gpkg_contents").fetchall())
    assert set(rows) == set(LAYER_TYPES)
    assert all(len(text) > 40 for text in rows.values())
    assert "90th percentile" in rows["hexagons"]


def test_geopackage_hexagons_equal_the_summary(exported: tuple[Path, Path, dict[str, Any]]) -> None:
    import pyogrio

    _, out, summary = exported
    gdf = pyogrio.read_dataframe(out / "baarle-turnhout.gpkg", layer="hexagons")
    hexes = summary["hexagons"]
    n_rows = 0
    for v, cols in hexes["variants"].items():
        mine = gdf[gdf["variant"] == v].set_index(["q", "r"]).sort_index()
        ref = pd.DataFrame(cols).set_index(["q", "r"]).sort_index()
        assert list(mine.index) == list(ref.index)
        assert (mine["calls"].to_numpy() == ref["count"].to_numpy()).all()
        assert (mine["urgent_calls"].to_numpy() == ref["urgent"].to_numpy()).all()
        for col, json_col, scale in (("mean_min", "mean_s", 60.0), ("p90_min", "p90_s", 60.0),
                                     ("within_norm_pct", "within_norm_share", 0.01)):
            a = mine[col].to_numpy(float) * scale
            b = ref[json_col].to_numpy(float)
            assert np.allclose(a, b, rtol=1e-12, atol=0, equal_nan=True), (v, col)
        if v in hexes["differences"]:
            d = pd.DataFrame(hexes["differences"][v]).set_index(["q", "r"])
            a = mine.loc[d.index, "diff_p90_min"].to_numpy(float) * 60.0
            assert np.allclose(a, d["p90_s"].to_numpy(float), rtol=1e-12, equal_nan=True)
        else:
            assert mine["diff_p90_min"].isna().all()  # the reference
        n_rows += len(ref)
    assert len(gdf) == n_rows
    # each polygon is its cell: its centre falls in the cell (q, r)
    centres = np.array([np.asarray(g.exterior.coords)[:-1].mean(axis=0) for g in gdf.geometry])
    cells = hex_cells(centres[:, 0], centres[:, 1], size_km=hexes["size_km"], lat0=hexes["lat0"])
    assert (cells == gdf[["q", "r"]].to_numpy()).all()


def test_summary_hexagons_recomputed_from_the_incidents(exported: tuple[Path, Path, dict[str, Any]]) -> None:
    folder, _, summary = exported
    inc = pd.read_parquet(folder / "incidents.parquet")
    hexes = summary["hexagons"]
    inc = inc[(inc["variant"] == "benelux-2009") & ~inc["in_warmup"]]
    cells = hex_cells(inc["lon"], inc["lat"], size_km=hexes["size_km"], lat0=hexes["lat0"])
    df = hexagon_frame(hexes)
    row = df[df["variant"] == "benelux-2009"].sort_values("count").iloc[-1]  # the busiest hexagon
    here = inc[(cells[:, 0] == row["q"]) & (cells[:, 1] == row["r"])]
    rt = here["response_time_s"].to_numpy(float)
    rt = rt[np.isfinite(rt)]
    assert row["count"] == len(here)
    assert row["p90_s"] == pytest.approx(float(np.quantile(rt, 0.9)), rel=1e-12)
    assert row["mean_s"] == pytest.approx(float(rt.mean()), rel=1e-12)


# ---------------------------------------------------------------------------------------- tables


def test_xlsx_numbers_equal_the_summary(exported: tuple[Path, Path, dict[str, Any]]) -> None:
    import openpyxl

    _, out, summary = exported
    wb = openpyxl.load_workbook(out / "baarle-turnhout-compare.xlsx", read_only=True)
    assert wb.sheetnames == ["variants", "differences", "cross-border missions", "utilisation"]
    rows = list(wb["variants"].iter_rows(values_only=True))
    head = list(rows[0])
    assert "mean response (min)" in head and "within norm (%)" in head and "within 15 min (%)" in head
    table = {(r[0], r[1]): dict(zip(head, r, strict=True)) for r in rows[1:]}
    checked = 0
    for v, stats in summary["variants"].items():
        over = stats["overall"]
        row = table[("All incidents", v)]
        assert isinstance(row["mean response (min)"], float)
        assert row["mean response (min)"] * 60 == pytest.approx(over["mean_s"], rel=1e-12)
        assert row["p90 (min)"] * 60 == pytest.approx(over["p90_s"], rel=1e-12)
        assert row["within norm (%)"] / 100 == pytest.approx(over["within_norm_share"], rel=1e-12)
        assert row["within norm 95% low (%)"] / 100 == pytest.approx(over["within_norm_ci"][0], rel=1e-12)
        assert row["unserved calls"] == over["unserved"]
        for f, st in stats["focus"].items():
            if st.get("mean_s") is not None:
                assert table[(f, v)]["mean response (min)"] * 60 == pytest.approx(st["mean_s"], rel=1e-12)
        checked += 1
    assert checked == 3
    diffs = list(wb["differences"].iter_rows(values_only=True))
    dhead = list(diffs[0])
    d = {(r[0], r[1]): dict(zip(dhead, r, strict=True)) for r in diffs[1:]}
    ref = summary["differences"]["benelux-2009"]["overall"]["p90_s"]
    row = d[("All incidents", "benelux-2009")]
    assert row["p90 difference (min)"] * 60 == pytest.approx(ref["estimate"], rel=1e-12)
    assert row["p90 95% high (min)"] * 60 == pytest.approx(ref["high"], rel=1e-12)
    assert row["p90 interval excludes zero"] is ref["excludes_zero"]
    xb = list(wb["cross-border missions"].iter_rows(values_only=True))[1:]
    for direction, v, n in xb:
        assert n == summary["variants"][v]["overall"]["cross_border_missions"].get(direction, 0)


def test_csv_tables_match_the_workbook(exported: tuple[Path, Path, dict[str, Any]]) -> None:
    out = exported[1]
    csv = pd.read_csv(out / "compare-variants.csv")
    xlsx = pd.read_excel(out / "baarle-turnhout-compare.xlsx", sheet_name="variants")
    pd.testing.assert_frame_equal(csv, xlsx, check_dtype=False, rtol=1e-12)


def test_export_rejects_an_unknown_format(exported: tuple[Path, Path, dict[str, Any]]) -> None:
    rc, _, err = _run(["export", str(exported[0]), "--to", "gpkg,shp"])
    assert rc == 2
    assert "unknown format 'shp'" in err and "gpkg, csv, xlsx" in err


# ---------------------------------------------------------------------------------------- hexagons


def test_hexagon_statistics_on_hand_made_incidents() -> None:
    # two cells 5 km apart; the second variant is 60 s faster everywhere but misses one call
    lon = [5.0, 5.0, 5.0, 5.0, 5.07]
    rows = []
    for v, shift in (("a", 0.0), ("b", -60.0)):
        for k, (x, rt) in enumerate(zip(lon, [600.0, 700.0, 800.0, 1000.0, 300.0], strict=True)):
            rows.append({"variant": v, "replication": 0, "lon": x, "lat": 51.0, "urgency": 1 if k < 4 else 2,
                         "country": "BE", "dispatch_centre": "C", "in_warmup": False,
                         "response_time_s": (math.nan if (v == "b" and k == 3) else rt + shift)})
    inc = pd.DataFrame(rows)
    norms = {"BE": Norm(country="BE", service="ambulance", limit_s=750.0, target_share=0.9, source="test")}
    out = hexagon_summary(inc, variants=["a", "b"], norms=norms, size_km=1.0, lat0=51.0)
    a = pd.DataFrame(out["variants"]["a"]).set_index(["q", "r"])
    b = pd.DataFrame(out["variants"]["b"]).set_index(["q", "r"])
    big = a["count"].idxmax()
    assert a.loc[big, "count"] == 4 and a.loc[big, "urgent"] == 4
    assert a.loc[big, "mean_s"] == 775.0
    assert a.loc[big, "p90_s"] == pytest.approx(np.quantile([600, 700, 800, 1000], 0.9))
    assert a.loc[big, "within_norm_share"] == 0.5          # 600 and 700 of 600, 700, 800, 1000
    assert b.loc[big, "within_norm_share"] == 0.75         # 540, 640, 740; the call never reached is out
    assert b.loc[big, "mean_s"] == 640.0                   # of the calls reached
    diff = pd.DataFrame(out["differences"]["b"]).set_index(["q", "r"])
    assert diff.loc[big, "mean_s"] == pytest.approx(640.0 - 775.0)
    small = a["count"].idxmin()
    assert a.loc[small, "urgent"] == 0 and a.loc[small, "count"] == 1
    assert out["variants"]["a"]["within_norm_share"][list(a.index).index(small)] is None
    corners = hex_polygon(*big, size_km=1.0, lat0=51.0)
    centre = corners.mean(axis=0)
    assert hex_cells(centre[:1], centre[1:], size_km=1.0, lat0=51.0).tolist() == [list(big)]
