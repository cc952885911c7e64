"""The Euregio file's foreign margins: Dutch and German calls on the extract's roads are answered by
their own units in the ``emric`` variant, and its patients go to hospitals with an emergency
department of their own country."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest

from sim.scenario import Scenario, load_scenario
from sim.study.runner import run_replications

REPO = Path(__file__).resolve().parents[1]
EUREGIO = REPO / "scenarios" / "euregio-meuse-rhine-be.yaml"

# One urgent call each, minutes apart (no unit is busy with another): positions of the extract's
# Dutch and German roads, beyond which the foreign posts lie.
CALLS = [
    # Via Regia, the Maastricht-Malberg road where it leaves the extract: 3.9 km from the Lanaken
    # ambulance, 6.1 km from the Maastricht post (which reaches it over Dutch streets off the extract)
    (600, 50.85867, 5.645353, "Maastricht"),
    # Tongerseweg pocket (Maastricht-West, at the Riemst border)
    (2400, 50.83436, 5.65280, "Maastricht"),
    # Roetgen, German, cut off from Germany by the Belgian Vennbahn strip: its own Rettungswache
    (4200, 50.64860, 6.18591, "Roetgen Rettungswache"),
]


@pytest.fixture(scope="module")
def margin_missions(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    log = tmp_path_factory.mktemp("emric") / "calls.csv"
    rows = "".join(f"{t},{lat},{lon},medical_urgent\n" for t, lat, lon, _ in CALLS)
    log.write_text("t_s,lat,lon,type\n" + rows, encoding="utf-8")
    sc = load_scenario(EUREGIO)
    data = copy.deepcopy(sc.data)
    data.pop("uncertain", None)
    data.update(horizon="2 h", warmup="0 s", replications=1, demand={"incident_log": str(log)})
    # every patient is transported (the default type transports 80 %)
    data["incident_types"] = [{
        "name": "medical_urgent", "urgency": 1, "needs": {"ambulance": 1},
        "on_scene": {"ambulance": {"kind": "fixed", "value": "20 min"}}, "transport_share": 1.0,
        "handover": {"kind": "fixed", "value": "15 min"}}]
    data["variants"] = {"emric": data["variants"]["emric"]}
    frames = run_replications(Scenario.from_data(data, filename=sc.filename, path=sc.path), reps=1,
                              variants=["emric"], workers=1)
    return frames["incidents"], frames["missions"]


@pytest.mark.slow
def test_foreign_margin_calls_are_answered_by_their_own_units(
        margin_missions: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    incidents, missions = margin_missions
    assert list(incidents["country"]) == ["NL", "NL", "DE"]
    amb = missions[missions["unit_type"] == "ambulance"].sort_values("incident_id")
    assert list(amb["station"]) == [station for *_, station in CALLS]
    assert not amb["cross_border"].any()
    # the Dutch units arrive through the Dutch entry points (estimated legs), within the NL norm
    assert amb["estimated_leg"].tolist()[:2] == [True, True]
    assert (incidents["response_time_s"] < 15 * 60).all()


@pytest.mark.slow
def test_german_and_dutch_patients_go_to_their_emergency_departments(
        margin_missions: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, missions = margin_missions
    transported = missions[missions["unit_type"].eq("ambulance") & missions["t_hospital_s"].notna()]
    by_call = dict(zip(transported["incident_id"], transported["hospital"], strict=True))
    assert sorted(by_call) == [0, 1, 2]
    for k, hospital in by_call.items():
        if CALLS[k][3] == "Maastricht":
            assert hospital == "Maastricht UMC+"  # not the outpatient Stadspoli West next door
        else:
            assert "Aachen" in hospital  # not the Belgian St.-Nikolaus-Hospital in Eupen
