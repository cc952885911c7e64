"""The validation report: generated from the bundled scenarios, every row sourced and valued."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from sim.analysis.validation import PUBLISHED, Published, agrees, erlang_c, row
from sim.cli.main import main

ROOT = Path(__file__).resolve().parents[1]


def test_the_generator_writes_every_row_with_a_source_and_a_value(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check-model", "--scenarios", str(ROOT / "scenarios"), "--out", str(tmp_path),
                 "--horizon", "3 d", "--reps", "2", "--queue-calls", "3000"])
    assert code == 0, capsys.readouterr().err
    report = json.loads((tmp_path / "validation.json").read_text(encoding="utf-8"))
    rows = report["rows"]
    assert len(rows) >= 8
    assert sorted(r["key"] for r in rows) == sorted(p.key for p in PUBLISHED)
    for r in rows:
        assert r["source"].strip() and r["figure"].strip(), r
        assert isinstance(r["published"], float) and math.isfinite(r["published"]), r
        assert isinstance(r["model"], float) and math.isfinite(r["model"]), r
        assert r["use"] in ("calibration", "checking")
        assert r["difference"] == pytest.approx(r["model"] - r["published"])
    assert {r["use"] for r in rows} == {"calibration", "checking"}
    md = (tmp_path / "validation.md").read_text(encoding="utf-8")
    assert md.count("\n| ") == len(rows) + 1  # the header and one line per row
    disagree = [r for r in rows if not r["agrees"]]
    assert md.count("\n- Row ") == len(disagree)  # every row that disagrees is listed
    assert "Woensdrecht" in md
    out = capsys.readouterr().out
    assert f"{len(rows) - len(disagree)} of {len(rows)} published figures agree" in out


def test_agreement_widens_the_interval_by_the_tolerance_of_the_figure() -> None:
    share = Published("s", "a share", 50.0, "%", "src", "checking")
    minutes = Published("m", "a duration", 10.0, "min", "src", "checking")
    assert agrees(share, 54.0, 60.0, 57.0) and not agrees(share, 55.5, 60.0, 57.0)
    assert agrees(minutes, 10.9, 12.0, 11.0) and not agrees(minutes, 11.1, 12.0, 11.5)
    assert agrees(minutes, math.nan, math.nan, 10.5)  # a parameter: its value alone
    r = row(minutes, [9.0, 11.0, 10.0], scenario="x", published=12.0)
    assert (r.figure.value, r.model, r.replications) == (12.0, 10.0, 3)


def test_erlang_c_of_a_single_server_is_its_utilisation() -> None:
    p, w = erlang_c(3 / 3600, 1 / 600, 1)
    assert p == pytest.approx(0.5)
    assert w == pytest.approx(600.0)  # rho / (mu - lambda) = 0.5 / (1/600 - 1/1200)
