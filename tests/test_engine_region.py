"""The engine on the real Baarle–Turnhout region with the bundled scenario's stations.

Under the Benelux 2009 ambulance agreement the Belgian enclaves of Baarle-Hertog (the scenario's
focus area) must be reached faster than under national dispatch — mean response time and share
within 15 minutes, pooled over replications run with the same seed (common random numbers) — and
cross-border missions must be counted by direction (NL->BE, BE->NL), present only where an
agreement (or the joint Baarle fire corps) allows them.

Runtime: 2 variants × 6 replications of 8 weeks, plus one replication of the fastest-unit variant.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.analysis.stats import paired_diff_ci
from sim.engine import SimRecords, prepare, simulate
from sim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "baarle-turnhout.yaml"
FOCUS = "Baarle-Hertog enclaves"
HORIZON_S = 56 * 86_400.0
REPS = 6
SEED = 2009


@pytest.fixture(scope="module")
def study() -> dict[str, Any]:
    sc = load_scenario(SCENARIO)
    region = sc.load_region()
    specs = {k: replace(v, horizon_s=HORIZON_S) for k, v in sc.model_specs(region).items()}
    runs: dict[str, list[SimRecords]] = {}
    for name, reps in (("national", REPS), ("benelux-2009", REPS), ("fastest-unit", 1)):
        prep = prepare(region.network, specs[name])
        runs[name] = [simulate(region.network, specs[name], seed=SEED, replication=r, prepared=prep)
                      for r in range(reps)]
    # the focus area on the network's nodes (incidents lie on nodes, at the node's coordinates)
    net = region.network
    country = np.asarray([*net.countries, ""], dtype=object)[net.node_country]
    in_focus = sc.focus_masks(net.lat, net.lon, country)[FOCUS]
    return {"scenario": sc, "specs": specs, "runs": runs, "in_focus": in_focus}


def _enclave_rt(in_focus: np.ndarray, r: SimRecords) -> np.ndarray:
    inc = r.incidents
    mask = in_focus[inc["node"]] & ~inc["in_warmup"] & ~inc["beyond_extract"]  # node -1 beyond
    return np.asarray(inc["response_time_s"][mask], float)


def test_enclaves_are_reached_faster_under_the_benelux_agreement(study: dict[str, Any]) -> None:
    runs, in_focus = study["runs"], study["in_focus"]
    nat, bnl = runs["national"], runs["benelux-2009"]
    for a, b in zip(nat, bnl, strict=True):  # common random numbers: the very same incidents
        for col in ("t_call_s", "node", "type", "in_warmup"):
            np.testing.assert_array_equal(a.incidents[col], b.incidents[col])
    rt_nat = [_enclave_rt(in_focus, r) for r in nat]
    rt_bnl = [_enclave_rt(in_focus, r) for r in bnl]
    a, b = np.concatenate(rt_nat), np.concatenate(rt_bnl)
    assert len(a) >= 100  # enough enclave calls to compare
    assert (a[np.isfinite(a)] > 0).all() and np.isfinite(b).all()
    # pooled mean response and share within 15 minutes
    assert np.nanmean(b) < np.nanmean(a)
    assert np.mean(b <= 900.0) > np.mean(a <= 900.0)
    # and the gain is not noise: paired over replications, national minus benelux is above zero
    gain = paired_diff_ci([x.mean() for x in rt_bnl], [x.mean() for x in rt_nat])
    assert gain.low > 0, gain
    # the help comes from Dutch ambulances under the agreement
    enclave_help = 0
    for r in bnl:
        m = r.missions
        to_enclave = (in_focus[r.incidents["node"][m["incident_id"]]]
                      & ~r.incidents["beyond_extract"][m["incident_id"]])
        dutch_amb = (m["direction"] == "NL->BE") & (m["unit_type"] == "ambulance")
        enclave_help += int(np.sum(to_enclave & dutch_amb))
    assert enclave_help > 0


def test_cross_border_missions_are_counted_by_direction(study: dict[str, Any]) -> None:
    runs = study["runs"]
    counts: dict[str, dict[tuple[str, str, str], int]] = {}
    for name, recs in runs.items():
        c: dict[tuple[str, str, str], int] = {}
        for r in recs:
            m = r.missions
            expect = np.where(m["cross_border"],
                              m["station_country"].astype(str) + "->" + m["incident_country"].astype(str), "")
            np.testing.assert_array_equal(m["direction"], expect)
            np.testing.assert_array_equal(m["cross_border"], m["station_country"] != m["incident_country"])
            for d, u, ag in zip(m["direction"][m["cross_border"]], m["unit_type"][m["cross_border"]],
                                m["agreement"][m["cross_border"]], strict=True):
                c[(str(d), str(u), str(ag))] = c.get((str(d), str(u), str(ag)), 0) + 1
        counts[name] = c
    # national: no help across the border at all (the Baarle corps answers Dutch calls only)
    assert counts["national"] == {}
    # Benelux 2009: ambulances both ways, only through the agreement; the joint Baarle fire corps
    # (Dutch trucks on both territories) crosses NL->BE as its own centre, with no agreement
    bnl = counts["benelux-2009"]
    assert bnl.get(("NL->BE", "ambulance", "Benelux M (2009) 8"), 0) > 0
    assert bnl.get(("BE->NL", "ambulance", "Benelux M (2009) 8"), 0) > 0
    assert {(d, u) for d, u, ag in bnl if ag == ""} <= {("NL->BE", "pumper"), ("NL->BE", "ladder")}
    assert {u for _, u, ag in bnl if ag} == {"ambulance"}
    # fastest unit: every unit type may cross, in both directions
    fu = counts["fastest-unit"]
    dirs = {d for d, _, ag in fu if ag == "fastest unit, no border"}
    assert dirs == {"NL->BE", "BE->NL"}
    assert {u for _, u, ag in fu if ag} > {"ambulance"}
    # per incident, cross_border says whether any of its units came from abroad
    for recs in runs.values():
        for r in recs:
            crossed = np.unique(r.missions["incident_id"][r.missions["cross_border"]])
            assert set(np.flatnonzero(r.incidents["cross_border"])) == set(crossed.tolist())
