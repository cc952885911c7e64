"""Requests between dispatch centres, escorts and the choice among equal units: exact event logs.

Tiny line networks, fixed durations, every time computed by hand in the comments (the emergency
driving is :func:`_helpers.exact_driving`: driving times are the edge times).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest
from _helpers import exact_driving

from sim.engine import REQUEST_COLUMNS, simulate
from sim.model.agreements import Agreement, DispatchPolicy
from sim.model.demand import IncidentLog, IncidentType
from sim.model.distributions import Dist
from sim.model.spec import ModelSpec
from sim.model.units import UNIT_TYPES, Hospital, Station, Turnout
from sim.roads.network import RoadNetwork

fixed = Dist.fixed
ONE = exact_driving()  # every vehicle at the network's times, no start/stop cost
CALL = IncidentType("call", 1, {"ambulance": 1}, {"ambulance": fixed(600)})


def _line(countries: list[int], centres: list[int], names: list[str], codes: list[str]) -> RoadNetwork:
    # 0 -100 s- 1 -200 s- 2 -300 s- 3, both ways
    lat, lon = [51.0] * 4, [4.0, 4.01, 4.03, 4.06]
    edges = [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)]
    return RoadNetwork.from_arrays(lat=lat, lon=lon, edges=edges, times_s=[100, 100, 200, 200, 300, 300],
                                   node_country=countries, node_centre=centres, countries=codes,
                                   centres=names)


def _log(*calls: tuple[float, int]) -> IncidentLog:
    lon = [4.0, 4.01, 4.03, 4.06]
    return IncidentLog(t_s=tuple(t for t, _ in calls), lat=(51.0,) * len(calls),
                       lon=tuple(lon[n] for _, n in calls), type=("call",) * len(calls))


def _spec(stations: tuple[Station, ...], agreements: tuple[Agreement, ...], log: IncidentLog,
          **kw: object) -> ModelSpec:
    base = ModelSpec(incident_types=(CALL,), stations=stations, hospitals=(),
                     turnout={"ambulance": Turnout(day=fixed(30)), "smur": Turnout(day=fixed(60))},
                     policy=DispatchPolicy(call_processing=fixed(60)), agreements=agreements, driving=ONE,
                     horizon_s=10_000.0, incident_log=log)
    return replace(base, **kw)  # type: ignore[arg-type]


def test_a_declined_request_costs_its_delay_and_the_call_waits_for_a_home_unit() -> None:
    """BE (centre A: nodes 0, 1) asks NL (centre B: nodes 2, 3), which cannot send its only unit.

    I0 at node 0 (A) at 0: A's unit, at node 0, alert 60, on scene 90-690, free there at 690.
    I1 at node 1 (A) at 100: decision 160, no home unit free (h = inf); A estimates B's unit from its
    station: 60 s delay + 30 s turnout + 500 s (3 -> 1) = 590, and asks. I2 at node 2 (B) at 150:
    decision 210, B's own unit is free (the request has not arrived): alert 210, arrives 240 + 300 =
    540, free at 1140. At 220 B answers A: no unit free, declined. A decides again: nothing to ask,
    its unit still busy: I1 waits until 690 and A's unit, turnout 30, 100 s: arrives 820.
    """
    net = _line([0, 0, 1, 1], [0, 0, 1, 1], ["A", "B"], ["BE", "NL"])
    ag = Agreement("NL-BE", ("NL", "BE"), ("ambulance",), request_delay=fixed(60.0))
    stations = (Station("be", 51.0, 4.0, "BE", "A", {"ambulance": 1}),
                Station("nl", 51.0, 4.06, "NL", "B", {"ambulance": 1}))
    r = simulate(net, _spec(stations, (ag,), _log((0.0, 0), (100.0, 1), (150.0, 2))), seed=0)
    m, q = r.missions, r.requests
    np.testing.assert_array_equal(m["incident_id"], [0, 2, 1])
    np.testing.assert_array_equal(m["unit_id"], ["be/ambulance/1", "nl/ambulance/1", "be/ambulance/1"])
    np.testing.assert_array_equal(m["t_alert_s"], [60, 210, 690])
    np.testing.assert_array_equal(m["t_arrive_s"], [90, 540, 820])
    np.testing.assert_array_equal(m["t_free_s"], [690, 1140, 1420])
    assert not m["cross_border"].any() and (m["agreement"] == "").all()
    np.testing.assert_array_equal(r.incidents["response_time_s"], [90, 720, 390])
    assert list(q) == list(REQUEST_COLUMNS)
    assert len(q["incident_id"]) == 1
    row = {k: v[0] for k, v in q.items()}
    assert row == {**row, "incident_id": 1, "unit_type": "ambulance", "requesting_centre": "A",
                   "incident_country": "BE", "lending_centre": "B", "lending_country": "NL",
                   "agreement": "NL-BE", "visibility": "station", "direction": "NL->BE", "t_call_s": 100.0,
                   "t_request_s": 160.0, "t_answer_s": 220.0, "request_delay_s": 60.0,
                   "estimated_eta_s": 590.0, "outcome": "declined", "reason": "none_free", "unit_id": "",
                   "in_warmup": False}
    assert np.isnan(row["home_eta_s"])
    assert r.n_events == 3 + 3 + 1  # decisions, units free, one answer
    # with full visibility A sees B's unit free at 160 and takes it (held during the delay: alert 220,
    # arrives 250 + 500 = 750); I2 then waits until A's unit is free at 690 and comes under the
    # agreement, alerted after the delay at 750, arriving 780 + 300 = 1080
    seen = simulate(net, _spec(stations, (replace(ag, visibility="full"),),
                               _log((0.0, 0), (100.0, 1), (150.0, 2))), seed=0)
    np.testing.assert_array_equal(seen.missions["unit_id"], ["be/ambulance/1", "nl/ambulance/1",
                                                             "be/ambulance/1"])
    np.testing.assert_array_equal(seen.missions["t_arrive_s"], [90, 750, 1080])
    q = seen.requests
    np.testing.assert_array_equal(q["incident_id"], [1, 2])
    np.testing.assert_array_equal(q["visibility"], ["full", "full"])
    np.testing.assert_array_equal(q["outcome"], ["accepted", "accepted"])
    np.testing.assert_array_equal(q["t_request_s"], [160, 690])
    np.testing.assert_array_equal(q["estimated_eta_s"], [590, 390])


def test_a_declined_request_falls_back_to_the_next_lending_centre() -> None:
    """BE (centre A: nodes 1, 2) may ask NL (B: node 0, two units, keeps two at home) and DE (C: node 3).

    I0 at node 1 at 0: A's unit, alert 60, on scene 90-690. I1 at node 2 at 100: decision 160, no home
    unit (h = inf). Estimates from the stations: NL 60 + 30 + 300 (0 -> 2) = 390, DE 90 + 30 + 300
    (3 -> 2) = 420: A asks NL, which declines at 220 (two free units, keep_home_min 2). A asks DE at
    220; DE answers at 310 and sends its unit: alert 310, departs 340, arrives 640, free at 1240,
    home at 1540. The unit is busy from its alert, when DE sent it.
    """
    net = _line([0, 1, 1, 2], [0, 1, 1, 2], ["B", "A", "C"], ["NL", "BE", "DE"])
    nl_be = Agreement("NL-BE", ("NL", "BE"), ("ambulance",), request_delay=fixed(60.0), keep_home_min=2)
    de_be = Agreement("DE-BE", ("DE", "BE"), ("ambulance",), request_delay=fixed(90.0))
    stations = (Station("nl", 51.0, 4.0, "NL", "B", {"ambulance": 2}),
                Station("be", 51.0, 4.01, "BE", "A", {"ambulance": 1}),
                Station("de", 51.0, 4.06, "DE", "C", {"ambulance": 1}))
    r = simulate(net, _spec(stations, (nl_be, de_be), _log((0.0, 1), (100.0, 2))), seed=0)
    m, q, u = r.missions, r.requests, r.units
    np.testing.assert_array_equal(m["unit_id"], ["be/ambulance/1", "de/ambulance/1"])
    np.testing.assert_array_equal(m["t_alert_s"], [60, 310])
    np.testing.assert_array_equal(m["t_depart_s"], [90, 340])
    np.testing.assert_array_equal(m["t_arrive_s"], [90, 640])
    np.testing.assert_array_equal(m["t_free_s"], [690, 1240])
    np.testing.assert_array_equal(m["t_base_s"], [690, 1540])
    np.testing.assert_array_equal(m["agreement"], ["", "DE-BE"])
    np.testing.assert_array_equal(m["direction"], ["", "DE->BE"])
    np.testing.assert_array_equal(m["request_delay_s"], [0, 90])
    np.testing.assert_array_equal(r.incidents["response_time_s"], [90, 540])
    np.testing.assert_array_equal(q["lending_centre"], ["B", "C"])
    np.testing.assert_array_equal(q["t_request_s"], [160, 220])
    np.testing.assert_array_equal(q["t_answer_s"], [220, 310])
    np.testing.assert_array_equal(q["estimated_eta_s"], [390, 420])
    np.testing.assert_array_equal(q["outcome"], ["declined", "accepted"])
    np.testing.assert_array_equal(q["reason"], ["keep_home_min", ""])
    np.testing.assert_array_equal(q["unit_id"], ["", "de/ambulance/1"])
    np.testing.assert_array_equal(u["busy_s"], [0, 0, 690 - 60, 1240 - 310])


def test_a_lending_centre_declines_when_its_free_unit_would_arrive_no_sooner() -> None:
    """BE (centre A: nodes 2, 3; its unit at 3) asks NL (B: nodes 0, 1; units at 1 and at 0) from
    the posts, but NL's unit near the call is busy: NL offers the far one, which would arrive later
    than BE's own, so the request is declined and BE sends its own unit.

    Line 0 -100 s- 1 -200 s- 2 -280 s- 3. I0 at node 1 (B) at 0: nl-near, alert 60, arrives 90, on
    scene until 690. I1 at node 2 (A) at 100: decision 160, h = 30 + 280 = 310; A's estimate of NL
    from its posts (it cannot see that nl-near is busy): 60 + 30 + 200 = 290 < 310: A asks. At 220 NL
    answers: its best free unit, nl-far, would arrive 30 + 300 = 330 s later, A's own 30 + 280 = 310:
    declined (not sooner). A decides again at 220: its unit, alert 220, departs 250, arrives 530.
    """
    net = RoadNetwork.from_arrays(lat=[51.0] * 4, lon=[4.0, 4.01, 4.03, 4.06],
                                  edges=[(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)],
                                  times_s=[100, 100, 200, 200, 280, 280], node_country=[1, 1, 0, 0],
                                  node_centre=[1, 1, 0, 0], countries=["BE", "NL"], centres=["A", "B"])
    ag = Agreement("NL-BE", ("NL", "BE"), ("ambulance",), request_delay=fixed(60.0), visibility="station")
    stations = (Station("be", 51.0, 4.06, "BE", "A", {"ambulance": 1}),
                Station("nl-near", 51.0, 4.01, "NL", "B", {"ambulance": 1}),
                Station("nl-far", 51.0, 4.0, "NL", "B", {"ambulance": 1}))
    r = simulate(net, _spec(stations, (ag,), _log((0.0, 1), (100.0, 2))), seed=0)
    m, q = r.missions, r.requests
    np.testing.assert_array_equal(m["unit_id"], ["nl-near/ambulance/1", "be/ambulance/1"])
    np.testing.assert_array_equal(m["t_alert_s"], [60, 220])
    np.testing.assert_array_equal(m["t_arrive_s"], [90, 530])
    assert not m["cross_border"].any()
    np.testing.assert_array_equal(r.incidents["response_time_s"], [90, 430])
    np.testing.assert_array_equal(q["incident_id"], [1])
    np.testing.assert_array_equal(q["t_answer_s"], [220])
    np.testing.assert_array_equal(q["estimated_eta_s"], [290])
    np.testing.assert_array_equal(q["home_eta_s"], [310])
    np.testing.assert_array_equal(q["outcome"], ["declined"])
    np.testing.assert_array_equal(q["reason"], ["not_sooner"])
    np.testing.assert_array_equal(q["unit_id"], [""])


def _unknown_delay_case(delay: Dist) -> tuple[RoadNetwork, ModelSpec]:
    """Line 0 -400 s- 1 -60 s- 2 -100 s- 3; BE (A) owns nodes 0-2, its unit at 0; NL (B) node 3, its
    unit there. Twenty calls at node 2 (A), 3,000 s apart: A's own unit arrives 30 + 460 = 490 s
    after the decision, NL's 30 + 100 + the request delay."""
    net = RoadNetwork.from_arrays(lat=[51.0] * 4, lon=[4.0, 4.02, 4.03, 4.04],
                                  edges=[(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)],
                                  times_s=[400, 400, 60, 60, 100, 100], node_country=[0, 0, 0, 1],
                                  node_centre=[0, 0, 0, 1], countries=["BE", "NL"], centres=["A", "B"])
    ag = Agreement("NL-BE", ("NL", "BE"), ("ambulance",), request_delay=delay, visibility="station")
    stations = (Station("be", 51.0, 4.0, "BE", "A", {"ambulance": 1}),
                Station("nl", 51.0, 4.04, "NL", "B", {"ambulance": 1}))
    log = IncidentLog(t_s=tuple(3000.0 * k for k in range(20)), lat=(51.0,) * 20, lon=(4.03,) * 20,
                      type=("call",) * 20)
    return net, _spec(stations, (ag,), log, horizon_s=70_000.0)


def test_the_requesting_centre_estimates_with_the_expected_request_delay() -> None:
    """The centre cannot know how long the phone call will take: it decides on the agreement's
    expected delay, and the unit is alerted after the realised one.

    Delay uniform on [0, 800 s], expected 400: NL's estimate 400 + 30 + 100 = 530 > 490, so BE never
    asks, although some realised delays are under 360 s (with them NL would have been sooner).
    Delay uniform on [0, 400 s], expected 200: estimate 330 < 490, BE asks every time (NL's unit is
    always free and sooner by the estimate), and NL's unit arrives after the realised delay: 130 s
    after it, later than BE's own would have on the calls whose delay exceeds 360 s.
    """
    net, spec = _unknown_delay_case(Dist("uniform", low=0.0, high=800.0))
    r = simulate(net, spec, seed=0)
    assert len(r.requests["incident_id"]) == 0 and not r.missions["cross_border"].any()
    np.testing.assert_array_equal(r.incidents["response_time_s"], np.full(20, 60.0 + 490.0))

    net, spec = _unknown_delay_case(Dist("uniform", low=0.0, high=400.0))
    r = simulate(net, spec, seed=0)
    q, m = r.requests, r.missions
    np.testing.assert_array_equal(q["outcome"], ["accepted"] * 20)
    np.testing.assert_array_equal(q["estimated_eta_s"], np.full(20, 330.0))
    np.testing.assert_array_equal(q["home_eta_s"], np.full(20, 490.0))
    delay = q["request_delay_s"]
    assert np.all((delay >= 0) & (delay <= 400)) and delay.std() > 50  # realised delays vary
    decision = 3000.0 * np.arange(20) + 60.0
    np.testing.assert_allclose(m["t_alert_s"], decision + delay)
    np.testing.assert_allclose(m["t_arrive_s"], decision + delay + 130.0)
    assert np.any(delay > 360.0)  # calls where the estimate was wrong: NL later than BE's own
    # the same seed draws the same uniforms: the first case's delays were twice these, and some were
    # under 360 s, where a centre that knew the delay would have asked
    assert np.any(2 * delay < 360.0)


@pytest.fixture
def smur_share() -> Iterator[None]:
    """Restores the SMUR row of ``UNIT_TYPES`` after a test changes its ride-along share."""
    row = UNIT_TYPES["smur"]
    yield
    UNIT_TYPES["smur"] = row


@pytest.mark.parametrize(("share", "amb_on_scene", "escorts"), [(1.0, 600, True), (0.0, 600, False),
                                                               (1.0, 20, False)])
def test_the_physician_meets_the_ambulance_on_scene_and_may_escort_the_patient(
        smur_share: None, share: float, amb_on_scene: float, escorts: bool) -> None:
    """Rendez-vous: ambulance and SMUR alerted together from node 0 for a call at node 2 (at 0).

    Ambulance: alert 60, turnout 30, 300 s: on scene 390 until 390 + `amb_on_scene`; with 600 s it
    leaves at 990, reaches the hospital at node 3 at 1290, hands over until 1590, home at 2190.
    SMUR: turnout 60, arrives 420. Escorting (share 1, and the patient still there at 420), it leaves
    with the patient at 990 and is free at the hospital at 1590, home (3 -> 0, 600 s) at 2190.
    Otherwise it leaves the scene after its own 900 s, at 1320, home (2 -> 0) at 1620.
    """
    UNIT_TYPES["smur"] = replace(UNIT_TYPES["smur"], ride_along_share=share)
    net = _line([0] * 4, [0] * 4, ["A"], ["BE"])
    arrest = IncidentType("call", 1, {"ambulance": 1, "smur": 1},
                          {"ambulance": fixed(amb_on_scene), "smur": fixed(900)}, transport_share=1.0,
                          handover=fixed(300))
    spec = _spec((Station("h", 51.0, 4.0, "BE", "A", {"ambulance": 1, "smur": 1}),), (), _log((0.0, 2)),
                 incident_types=(arrest,), hospitals=(Hospital("hosp", "BE", 51.0, 4.06),))
    m = simulate(net, spec, seed=0).missions
    amb_leave = 390 + amb_on_scene
    np.testing.assert_array_equal(m["unit_type"], ["ambulance", "smur"])
    np.testing.assert_array_equal(m["t_alert_s"], [60, 60])
    np.testing.assert_array_equal(m["t_arrive_s"], [390, 420])
    np.testing.assert_array_equal(m["t_hospital_s"],
                                  [amb_leave + 300, amb_leave + 300 if escorts else np.nan])
    np.testing.assert_array_equal(m["hospital"], ["hosp", "hosp" if escorts else ""])
    if escorts:
        np.testing.assert_array_equal(m["t_leave_scene_s"], [990, 990])
        np.testing.assert_array_equal(m["t_free_s"], [1590, 1590])
        np.testing.assert_array_equal(m["t_base_s"], [2190, 2190])
    else:
        np.testing.assert_array_equal(m["t_leave_scene_s"], [amb_leave, 1320])
        np.testing.assert_array_equal(m["t_free_s"][1], 1320)
        np.testing.assert_array_equal(m["t_base_s"][1], 1620)


@pytest.mark.parametrize(("tie_break", "sent"), [("idle_longest", [1, 2, 1]), ("first", [1, 1, 1])])
def test_among_equal_units_of_a_station_the_one_idle_longest_goes(tie_break: str, sent: list[int]) -> None:
    """Two ambulances at node 0; calls at node 1 at 0, 2000 and 4000 (alert 60 after each call).

    The first call takes unit 1 (neither has been out): back home at 60 + 30 + 100 + 600 + 100 = 890.
    At 2060 both wait at base with the same ETA: unit 2 has waited longest (never out); at 4060 unit 1
    (home since 890, unit 2 since 2890). The rule ``first`` always takes unit 1.
    """
    net = _line([0] * 4, [0] * 4, ["A"], ["BE"])
    spec = _spec((Station("s", 51.0, 4.0, "BE", "A", {"ambulance": 2}),), (),
                 _log((0.0, 1), (2000.0, 1), (4000.0, 1)),
                 policy=DispatchPolicy(call_processing=fixed(60), tie_break=tie_break))  # type: ignore[arg-type]
    m = simulate(net, spec, seed=0).missions
    np.testing.assert_array_equal(m["unit_id"], [f"s/ambulance/{k}" for k in sent])
    np.testing.assert_array_equal(m["t_arrive_s"], [190, 2190, 4190])
    np.testing.assert_array_equal(m["t_base_s"], [890, 2890, 4890])
