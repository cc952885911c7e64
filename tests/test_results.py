"""summary.json recomputed independently from the parquet files; ``xborder compare`` prints it.

The study has four replications, so its differences are paired across replications: the paired-t
interval of the per-replication differences of the means, and for the 90th percentile the pooled
difference with the t-interval of the per-replication differences (sectioning). One long
replication (batch means) is tested in ``test_intervals.py``.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis.stats import replication_intervals
from sim.cli.main import main
from sim.study.runner import run_scenario

# Three variants on the bundled Baarle-Turnhout network, with a norm set for one dispatch centre.
STUDY = """\
name: study
region: baarle-turnhout
horizon: 2 d
warmup: 6 h
replications: 4
seed: 11
demand:
  max_place_distance: 1.5 km
  rates:
    NL: {medical_urgent: 240}   # busy enough that Belgian units are asked across the border
norms:
  112 Antwerpen: {limit: 12 min, share: 0.9, source: test override}
focus:
  - name: Baarle-Hertog enclaves
    enclaves_of: BE
    source: enclaves in jurisdictions.geojson
stations:
  - name: Turnhout
    country: BE
    dispatch_centre: 112 Antwerpen
    lat: 51.3138986
    lon: 4.9437965
    source: Eurostat healthcare services 2020
    units: {ambulance: 2, smur: 1, pumper: 1, ladder: 1}
  - name: Hoogstraten
    country: BE
    dispatch_centre: 112 Antwerpen
    lat: 51.40029
    lon: 4.76034
    source: town centre, approximate
    units: {ambulance: 1, pumper: 1}
  - name: Baarle-Nassau
    country: NL
    dispatch_centre: Meldkamer (NL)
    lat: 51.4475
    lon: 4.92917
    source: town centre, approximate
    units: {ambulance: 1, pumper: 1}
  - name: Gilze
    country: NL
    dispatch_centre: Meldkamer (NL)
    lat: 51.54693404
    lon: 4.94681132
    source: RIVM ambulance posts 2019
    units: {ambulance: 1}
    shifts: {ambulance: "07:00-23:00"}
    off_network:
      entry: {lat: 51.45679, lon: 4.944873, source: extract node}
variants:
  national:
    agreements: []
  ambulances:
    agreements:
      - name: ambulances
        parties: [NL, BE]
        unit_types: [ambulance]
        rule: if_faster_by
        threshold: 2 min
        request_delay: {kind: lognormal, mean: 2 min, sd: 1 min}
  everything:
    agreements:
      - name: everything
        parties: [NL, BE]
        unit_types: [ambulance, smur, pumper, ladder]
        rule: always_fastest
"""

# Norm limits written out here, not read from the package: NL A1 and BE ambulance 15 min (facts);
# the file above sets 12 min for 112 Antwerpen, which takes precedence over its country's.
COUNTRY_LIMIT_S = {"NL": 900.0, "BE": 900.0}
CENTRE_LIMIT_S = {"112 Antwerpen": 720.0}
# The published norms of the other classes (facts; brandweer.nl): NL A2 30 min, NL fire in a building
# with the common 8-min norm; Belgian fires have none (only the shares within 10 and 15 min).
CLASS_LIMIT_S = {("NL", "a2"): 1800.0, ("NL", "fire_8"): 480.0}
SERVICE = {"urgent": "ambulance", "a2": "ambulance", "fire_8": "fire", "fire": "fire"}
VARIANTS = ["national", "ambulances", "everything"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("study")
    f = base / "study.yaml"
    f.write_text(STUDY, encoding="utf-8")
    return run_scenario(f, out=base / "out", workers=1, progress=False)


@pytest.fixture(scope="module")
def tables(folder: Path) -> dict[str, Any]:
    out: dict[str, Any] = {t: pd.read_parquet(folder / f"{t}.parquet")
                           for t in ("incidents", "missions", "units")}
    out["summary"] = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    return out


def _limit(centre: str, country: str, norm_class: str) -> float:
    if norm_class == "urgent":
        return CENTRE_LIMIT_S.get(centre, COUNTRY_LIMIT_S.get(country, math.nan))
    return CLASS_LIMIT_S.get((country, norm_class), math.nan)


def _expected(inc: pd.DataFrame, mis: pd.DataFrame, units: pd.DataFrame | None,
              n_reps: int) -> dict[str, Any]:
    """The statistics of one group, from first principles."""
    rt = inc["response_time_s"].to_numpy(dtype=float)
    fin = rt[np.isfinite(rt)]
    limits = np.array([_limit(c, k, n) for c, k, n in zip(inc["dispatch_centre"], inc["country"],
                                                            inc["norm_class"], strict=True)])
    urgent = np.isfinite(limits)
    with np.errstate(invalid="ignore"):
        within = int(np.sum(rt[urgent] <= limits[urgent]))
    n_urgent = int(urgent.sum())
    keys = set(zip(inc["variant"], inc["replication"], inc["incident_id"], strict=True))
    mine = [k in keys for k in zip(mis["variant"], mis["replication"], mis["incident_id"], strict=True)]
    m = mis[np.asarray(mine, dtype=bool)]
    out: dict[str, Any] = {
        "count": len(inc),
        "count_per_replication": len(inc) / n_reps,
        "mean_s": float(fin.mean()) if len(fin) else None,
        "median_s": float(np.percentile(fin, 50)) if len(fin) else None,
        "p90_s": float(np.percentile(fin, 90)) if len(fin) else None,
        "p95_s": float(np.percentile(fin, 95)) if len(fin) else None,
        "unserved": int((inc["served"] == False).sum()),  # noqa: E712
        "cross_border_incidents": int((inc["cross_border"] == True).sum()),  # noqa: E712
        "urgent_with_norm": n_urgent,
        "within_norm_share": within / n_urgent if n_urgent else None,
        "cross_border_missions": dict(Counter(m.loc[m["cross_border"], "direction"])),
        "cross_border_missions_by_type": _by_direction_and_type(m),
        "within_10min_share": float(np.sum(rt <= 600.0) / len(inc)) if len(inc) else None,
        "within_15min_share": float(np.sum(rt <= 900.0) / len(inc)) if len(inc) else None,
    }
    if n_urgent:  # Wilson score interval
        z = stats.norm.ppf(0.975)
        p = within / n_urgent
        centre = (p + z * z / (2 * n_urgent)) / (1 + z * z / n_urgent)
        half = z * math.sqrt(p * (1 - p) / n_urgent + z * z / (4 * n_urgent**2)) / (1 + z * z / n_urgent)
        out["within_norm_ci"] = [centre - half, centre + half]
    if units is not None and len(units):
        # weighted by time on duty: busy time over time on duty, per unit type
        out["utilisation"] = {t: float(g["busy_s"].sum() / g["on_duty_s"].sum())
                              for t, g in units.groupby("unit_type")}
    return out


def _by_direction_and_type(m: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Cross-border missions of `m` counted by direction, then unit type, one mission at a time."""
    out: dict[str, dict[str, int]] = {}
    for xb, direction, unit_type in zip(m["cross_border"], m["direction"], m["unit_type"], strict=True):
        if xb:
            by = out.setdefault(str(direction), {})
            by[str(unit_type)] = by.get(str(unit_type), 0) + 1
    return out


def _check(got: dict[str, Any], want: dict[str, Any], where: str) -> None:
    for key, value in want.items():
        if isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-12, abs=1e-9), (where, key)
        elif isinstance(value, list):
            assert got[key] == pytest.approx(value, rel=1e-9), (where, key)
        elif isinstance(value, dict) and value and isinstance(next(iter(value.values())), float):
            assert got[key] == pytest.approx(value, rel=1e-12), (where, key)
        else:
            assert got[key] == value, (where, key)


def test_summary_statistics_recomputed_from_the_parquet_files(tables: dict[str, Any]) -> None:
    inc, mis, units, summary = tables["incidents"], tables["missions"], tables["units"], tables["summary"]
    assert summary["variant_order"] == VARIANTS and summary["reference"] == "national"
    assert summary["norms"]["112 Antwerpen"]["limit_s"] == 720.0
    measured = inc[~inc["in_warmup"]]
    assert len(measured) < len(inc)  # the warm-up is left out
    checked = 0
    for v in VARIANTS:
        iv, uv = measured[measured["variant"] == v], units[units["variant"] == v]
        mv = mis[mis["variant"] == v]
        n = iv["replication"].nunique()
        assert n == 4 and summary["variants"][v]["replications"] == 4
        s = summary["variants"][v]
        _check(s["overall"], _expected(iv, mv, uv, n), f"{v} overall")
        for c in sorted(set(iv["dispatch_centre"])):
            _check(s["by_dispatch_centre"][c], _expected(iv[iv["dispatch_centre"] == c], mv,
                                                         uv[uv["dispatch_centre"] == c], n), f"{v} {c}")
            checked += 1
        for t in sorted(set(iv["type"])):
            _check(s["by_type"][t], _expected(iv[iv["type"] == t], mv, None, n), f"{v} {t}")
            checked += 1
        for (c, t), g in iv.groupby(["dispatch_centre", "type"]):
            _check(s["by_dispatch_centre_and_type"][c][t], _expected(g, mv, None, n), f"{v} {c} {t}")
        services = iv["norm_class"].map(SERVICE)
        assert list(s["by_service"]) == [x for x in ("ambulance", "fire") if x in set(services)]
        for service in s["by_service"]:
            _check(s["by_service"][service], _expected(iv[services == service], mv, None, n),
                   f"{v} {service}")
        groups = {f"{k}/{c}": g for (k, c), g in iv.groupby(["country", "norm_class"]) if c}
        assert set(s["by_norm"]) == set(groups)
        for key, g in groups.items():
            _check(s["by_norm"][key], _expected(g, mv, None, n), f"{v} {key}")
        assert s["by_norm"]["NL/a2"]["norm"]["limit_s"] == 1800.0 and s["by_norm"]["BE/fire"]["norm"] is None
        for country, by_type in s["utilisation_by_country"].items():
            uc = uv[uv["country"] == country]
            assert by_type == pytest.approx({t: g["busy_s"].sum() / g["on_duty_s"].sum()
                                             for t, g in uc.groupby("unit_type")}, rel=1e-12)
        enclaves = iv[iv["focus"] == "Baarle-Hertog enclaves"]
        by_service = s["focus_by_service"].get("Baarle-Hertog enclaves", {})  # none without calls
        assert set(by_service) == set(services[iv["focus"] == "Baarle-Hertog enclaves"])
        for service, st in by_service.items():
            _check(st, _expected(enclaves[services[enclaves.index] == service], mv, None, n),
                   f"{v} enclaves {service}")
            checked += 1
        _check(s["focus"]["Baarle-Hertog enclaves"], _expected(enclaves, mv, None, n), f"{v} enclaves")
    assert checked >= 3 * (2 + 4 + 2)  # centres, types, the enclaves' ambulance and fire calls
    # the study has cross-border missions in both directions once the border opens
    directions = summary["variants"]["everything"]["overall"]["cross_border_missions"]
    assert set(directions) == {"NL->BE", "BE->NL"} and min(directions.values()) > 0
    assert summary["variants"]["national"]["overall"]["cross_border_missions"] == {}
    # by unit type: the counts add up to those by direction, in every group
    for v in VARIANTS:
        s = summary["variants"][v]
        groups = [s["overall"], *s["by_dispatch_centre"].values(), *s["by_type"].values()]
        for st in [*groups, *s["focus"].values()]:
            by_type = st["cross_border_missions_by_type"]
            assert {d: sum(by.values()) for d, by in by_type.items()} == st["cross_border_missions"]
    by_type = summary["variants"]["everything"]["overall"]["cross_border_missions_by_type"]
    assert set(by_type) == {"NL->BE", "BE->NL"} and all(by_type.values())


def _paired(ref: pd.DataFrame, var: pd.DataFrame) -> tuple[list[np.ndarray], list[np.ndarray]]:
    a, b = [], []
    for r in sorted(set(ref["replication"]) | set(var["replication"])):
        x = ref.loc[ref["replication"] == r, "response_time_s"].to_numpy(float)
        y = var.loc[var["replication"] == r, "response_time_s"].to_numpy(float)
        x, y = x[np.isfinite(x)], y[np.isfinite(y)]
        if len(x) and len(y):
            a.append(x)
            b.append(y)
    return a, b


def test_paired_differences_recomputed_from_the_parquet_files(tables: dict[str, Any]) -> None:
    inc, summary = tables["incidents"], tables["summary"]
    measured = inc[~inc["in_warmup"]]
    ref = measured[measured["variant"] == "national"]
    assert set(summary["differences"]) == {"ambulances", "everything"}
    for v in ("ambulances", "everything"):
        var = measured[measured["variant"] == v]
        d = summary["differences"][v]
        assert d["against"] == "national"
        groups = [("overall", ref, var)]
        groups += [(("by_dispatch_centre", c), ref[ref["dispatch_centre"] == c],
                    var[var["dispatch_centre"] == c]) for c in sorted(set(ref["dispatch_centre"]))]
        groups += [(("by_type", t), ref[ref["type"] == t], var[var["type"] == t])
                   for t in sorted(set(ref["type"]))]
        for where, g_ref, g_var in groups:
            got = d[where] if isinstance(where, str) else d[where[0]][where[1]]
            a, b = _paired(g_ref, g_var)
            diff = np.array([y.mean() for y in b]) - np.array([x.mean() for x in a])
            k = len(diff)
            assert got["replications"] == k == got["mean_s"]["n"], where
            assert got["mean_s"]["estimate"] == pytest.approx(diff.mean(), rel=1e-12, abs=1e-9), where
            if k >= 2:
                half = stats.t.ppf(0.975, k - 1) * diff.std(ddof=1) / math.sqrt(k)
                assert got["mean_s"]["low"] == pytest.approx(diff.mean() - half, rel=1e-9, abs=1e-9), where
                assert got["mean_s"]["high"] == pytest.approx(diff.mean() + half, rel=1e-9, abs=1e-9), where
                excludes = bool(diff.mean() - half > 0 or diff.mean() + half < 0)
                assert got["mean_s"]["excludes_zero"] == excludes, where
            p90 = np.percentile(np.concatenate(b), 90) - np.percentile(np.concatenate(a), 90)
            assert got["p90_s"]["estimate"] == pytest.approx(p90, rel=1e-12, abs=1e-9), where
            assert got["p90_s"]["n"] == k, where
            if k >= 2:
                sections = np.array([np.percentile(y, 90) - np.percentile(x, 90)
                                     for x, y in zip(a, b, strict=True)])
                half = stats.t.ppf(0.975, k - 1) * sections.std(ddof=1) / math.sqrt(k)
                assert got["p90_s"]["low"] == pytest.approx(p90 - half, rel=1e-9, abs=1e-9), where
                assert got["p90_s"]["high"] == pytest.approx(p90 + half, rel=1e-9, abs=1e-9), where
                assert got["mean_s"]["method"] == got["p90_s"]["method"] == "replications", where
    # opening the border for every unit lowers the mean response of the whole study
    overall = summary["differences"]["everything"]["overall"]["mean_s"]
    assert overall["estimate"] < 0


def test_replication_intervals_of_a_clear_difference() -> None:
    rng = np.random.default_rng(8)
    a = [rng.normal(600, 60, 200) for _ in range(6)]
    reps = np.repeat(np.arange(6), 200)
    x = np.concatenate(a)
    # every call two minutes faster: the mean and the p90 too, in every replication
    mean, p90, k = replication_intervals(x, reps, x - 120, reps, n_reps=6)
    assert k == 6 and mean.n == p90.n == 6
    for iv in (mean, p90):
        assert [iv.estimate, iv.low, iv.high] == pytest.approx([-120, -120, -120])
    mean, p90, _ = replication_intervals(x, reps, x * 0.8, reps, n_reps=6)
    for iv in (mean, p90):
        assert iv.high < 0 and iv.low < iv.estimate < iv.high and iv.excludes_zero()
    assert p90.estimate == pytest.approx(0.8 * np.percentile(x, 90) - np.percentile(x, 90))


def _mmss(s: float) -> str:
    total = round(abs(s))
    return ("-" if s < 0 else "") + f"{total // 60}:{total % 60:02d}"


def test_compare_prints_the_planners_table(folder: Path, tables: dict[str, Any],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(folder)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Scenario study: 4 replication(s) of 2 d per variant, seed 11, complete"
    head = next(line for line in lines if line.startswith("All incidents"))
    assert head.split() == ["All", "incidents", *VARIANTS]
    inc = tables["incidents"]
    measured = inc[~inc["in_warmup"]]
    means = [_mmss(float(np.nanmean(measured.loc[measured["variant"] == v, "response_time_s"])))
             for v in VARIANTS]
    row = lines[lines.index(head) + 3]
    assert row.split() == ["mean", "response", *means]
    # ambulance and fire apart, NL A1 and A2 apart, each under its own norm
    assert any(line.startswith("Ambulance calls ") for line in lines)
    assert any(line.startswith("Fire calls ") for line in lines)
    assert any(line.startswith("NL A2 calls, norm NL A2 30 min / 95 %") for line in lines)
    assert any(line.startswith("NL urgent (A1) calls, norm NL A1 15 min / 95 %") for line in lines)
    assert any(line.startswith("Baarle-Hertog enclaves ") for line in lines)
    assert any(line.startswith("Dispatch centre 112 Antwerpen") for line in lines)
    # the difference of the mean, with its interval, for each variant against the first
    d = tables["summary"]["differences"]["everything"]["overall"]["mean_s"]
    sign = "+" if d["estimate"] >= 0 else ""
    diff_line = next(line for line in lines if line.strip().startswith("everything · all incidents"))
    assert f"{sign}{_mmss(d['estimate'])} [" in diff_line
    # cross-border missions by direction, counted from missions.parquet (all replications)
    mis = tables["missions"]
    keys = set(zip(measured["variant"], measured["replication"], measured["incident_id"], strict=True))
    mask = [k in keys for k in zip(mis["variant"], mis["replication"], mis["incident_id"], strict=True)]
    xb = mis[np.asarray(mask) & mis["cross_border"].to_numpy()]
    for direction in ("BE->NL", "NL->BE"):
        want = [str(int(((xb["variant"] == v) & (xb["direction"] == direction)).sum())) for v in VARIANTS]
        line = next(line for line in lines if line.strip().startswith(direction))
        assert line.split() == [direction, *want]


def test_compare_of_a_folder_without_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"xborder: error: {tmp_path}: not a results folder (no summary.json)"


def test_compare_leaves_out_centres_without_calls(tables: dict[str, Any]) -> None:
    import copy
    import io

    from sim.cli.run import print_compare

    summary = copy.deepcopy(tables["summary"])
    for v in VARIANTS:  # as for a centre that only lends units (its calls are all outside the study)
        summary["variants"][v]["by_dispatch_centre"]["Meldkamer (NL)"]["count"] = 0
    buf = io.StringIO()
    print_compare(summary, out=buf)
    text = buf.getvalue()
    assert "Dispatch centre 112 Antwerpen" in text and "Dispatch centre Meldkamer (NL)" not in text


_READERS = (["compare"], ["plot"], ["export", "--to", "csv"], ["report"],
            ["animate", "--variant", "national", "--out", "a.mp4"])


@pytest.mark.parametrize("command", _READERS, ids=lambda c: c[0])
def test_every_command_that_reads_a_results_folder_says_the_same(
        command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "stopped" / "parts").mkdir(parents=True)
    (tmp_path / "file").write_text("x", encoding="utf-8")
    want = {
        "nowhere": "no such results folder (give a folder written by xborder run)",
        "file": "not a folder (give a folder written by xborder run)",
        "empty": "not a results folder (no summary.json)",
        "stopped": (f"not assembled (the run stopped before it could assemble its results); "
                    f"xborder run --resume {tmp_path / 'stopped'} finishes it"),
    }
    for name, message in want.items():
        folder = tmp_path / name
        assert main([command[0], str(folder), *command[1:]]) == 2
        assert capsys.readouterr().err.strip() == f"xborder: error: {folder}: {message}", (command, name)
