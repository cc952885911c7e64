"""Calls beyond the road extract in the engine: exact event log, Erlang C, who may answer them.

A call beyond the extract (``Incidents.beyond``, drawn by :func:`sim.model.demand.generate_incidents`
for places with no road of their country within reach) happens off the network: a unit at base
reaches it by its estimated leg (:func:`sim.engine.prepare.station_leg_s`: the network's own pace,
sped up like every leg), a unit on its way home drives home first; the patient goes to the nearest
hospital of its country by estimated leg, and the unit returns by estimated leg. Only its own
centre's units answer it, whatever the agreements; it is recorded with ``beyond_extract`` and left
out of the statistics, but its missions count in the units' utilisation.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from _helpers import exact_driving

from sim.analysis.frames import records_to_frames
from sim.analysis.measures import measured_calls
from sim.engine import simulate
from sim.model.agreements import Agreement, DispatchPolicy
from sim.model.demand import SECONDS_PER_YEAR, Demand, Incidents, IncidentType
from sim.model.distributions import Dist
from sim.model.places import Place
from sim.model.spec import ModelSpec
from sim.model.units import Hospital, OffNetworkAccess, Station, Turnout, unit_type_names
from sim.roads.network import RoadNetwork, estimated_leg_s, haversine_m

fixed = Dist.fixed
TYPES = (
    IncidentType("urgent_t", 1, {"ambulance": 1}, {"ambulance": fixed(600)}, transport_share=1.0,
                 handover=fixed(300)),
    IncidentType("urgent_nt", 1, {"ambulance": 1}, {"ambulance": fixed(600)}),
)
NL_POST = (51.0, 4.06)


def _line() -> RoadNetwork:
    # BE 0 -100 s- 1 -200 s- 2 -300 s- 3 NL (both ways)
    return RoadNetwork.from_arrays(lat=[51.0] * 4, lon=[4.0, 4.01, 4.03, 4.06],
                                   edges=[(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)],
                                   times_s=[100, 100, 200, 200, 300, 300], node_country=[0, 0, 0, 1],
                                   node_centre=[0, 0, 0, 1], countries=["BE", "NL"], centres=["A", "B"])


def _incidents(rows: list[tuple[float, float, float, int, bool]]) -> Incidents:
    """Hand-made incidents ``(t_call, lon, node, type, beyond)`` at latitude 51, in NL (centre B);
    turnout 30 s, on scene and handover as the types say."""
    n = len(rows)
    amb = unit_type_names().index("ambulance")
    t_call, lon, node, typ, beyond = (np.array(c) for c in zip(*rows, strict=True))
    return Incidents(
        t_call=t_call.astype(float), lat=np.full(n, 51.0), lon=lon.astype(float), node=node.astype(np.int64),
        type_idx=typ.astype(np.int64), type_names=tuple(t.name for t in TYPES),
        country=np.ones(n, np.int64), centre=np.ones(n, np.int64), call_processing=np.full(n, 60.0),
        slot_type=np.full((n, 1), amb, np.int64), slot_active=np.ones((n, 1), bool),
        on_scene=np.full((n, 1), 600.0), turnout_day=np.full((n, 1), 30.0),
        turnout_night=np.full((n, 1), 30.0), transport=typ == 0, handover=np.full(n, 300.0),
        beyond=beyond.astype(bool))


def test_exact_event_log_of_calls_beyond_the_extract() -> None:
    net = _line()
    spec = ModelSpec(
        incident_types=TYPES,
        stations=(Station("be", 51.0, 4.0, "BE", "A", {"ambulance": 1}),
                  Station("nl", *NL_POST, "NL", "B", {"ambulance": 1})),
        hospitals=(Hospital("hbe", "BE", 51.0, 4.0), Hospital("hnl", "NL", 51.0, 4.08)),
        turnout={"ambulance": Turnout(day=fixed(30))},
        agreements=(Agreement("everything", ("BE", "NL"), ("ambulance",), rule="always_fastest"),),
        driving=exact_driving(lights_and_sirens=2.0), horizon_s=20_000.0)
    # I0 and I1 beyond the extract, east of the Dutch post; I2 at the Dutch node 3
    inc = _incidents([(0.0, 4.10, -1, 0, True), (100.0, 4.12, -1, 1, True), (200.0, 4.06, 3, 1, False)])
    r = simulate(net, spec, seed=0, incidents=inc)

    def leg(lon_a: float, lon_b: float) -> float:  # estimated leg at 51 N: the network's own pace
        return float(estimated_leg_s(net, haversine_m(51.0, lon_a, 51.0, lon_b)))

    # urgent legs with lights and sirens (twice the normal speed), legs home at normal speed
    # I0: the Dutch unit from its base (turnout 30, estimated leg), 600 on scene, to the Dutch
    # hospital by estimated leg, handover 300, free there; it would return by estimated leg.
    arrive0 = 90 + leg(4.06, 4.10) * 0.5
    hosp0 = arrive0 + 600 + leg(4.10, 4.08) * 0.5
    free0 = hosp0 + 300
    # I1 waits for it (the free Belgian unit may not answer a call beyond the extract, though the
    # agreement sends the fastest unit): taken at free0 on its way home, it drives home first.
    travel1 = (free0 + leg(4.08, 4.06)) - free0 + leg(4.06, 4.12) * 0.5
    # I2, on the Dutch road while the Dutch unit is busy: the Belgian unit under the agreement
    # (turnout 30, 600 s of road at twice the speed), back home by road at normal speed.
    m = r.missions
    np.testing.assert_array_equal(m["incident_id"], [0, 2, 1])
    np.testing.assert_array_equal(m["station"], ["nl", "be", "nl"])
    np.testing.assert_array_equal(m["t_alert_s"], [60, 260, free0])
    np.testing.assert_array_equal(m["t_depart_s"], [90, 290, free0])
    np.testing.assert_array_equal(m["t_arrive_s"], [arrive0, 590, free0 + travel1])
    np.testing.assert_array_equal(m["t_hospital_s"], [hosp0, np.nan, np.nan])
    np.testing.assert_array_equal(m["hospital"], ["hnl", "", ""])
    np.testing.assert_array_equal(m["t_free_s"], [free0, 1190, free0 + travel1 + 600])
    np.testing.assert_array_equal(m["t_base_s"], [np.nan, 1790, free0 + travel1 + 600 + leg(4.06, 4.12)])
    np.testing.assert_array_equal(m["travel_s"], [leg(4.06, 4.10) * 0.5, 300, travel1])
    np.testing.assert_array_equal(m["from_returning"], [False, False, True])
    np.testing.assert_array_equal(m["estimated_leg"], [True, False, True])
    np.testing.assert_array_equal(m["cross_border"], [False, True, False])
    np.testing.assert_array_equal(m["agreement"], ["", "everything", ""])
    i = r.incidents
    np.testing.assert_array_equal(i["beyond_extract"], [True, True, False])
    np.testing.assert_array_equal(i["node"], [-1, -1, 3])
    np.testing.assert_array_equal(i["lon"], [4.10, 4.12, 4.06])
    np.testing.assert_array_equal(i["country"], ["NL"] * 3)
    np.testing.assert_array_equal(i["dispatch_centre"], ["B"] * 3)
    np.testing.assert_array_equal(i["response_time_s"], [arrive0, free0 + travel1 - 100, 390])
    np.testing.assert_array_equal(i["estimated_leg"], [True, True, False])
    assert i["served"].all()
    # left out of the statistics, counted in utilisation
    frames = records_to_frames(r, variant="v", replication=0, focus={"all": np.ones(3, bool)})
    assert measured_calls(frames["incidents"])["incident_id"].tolist() == [2]
    assert frames["incidents"]["focus"].tolist() == ["", "", "all"]
    u = pd.DataFrame(r.units).set_index("station")
    assert u.loc["nl", "busy_s"] == pytest.approx((free0 - 60) + (free0 + travel1 + 600 - free0))


def test_without_a_home_unit_a_call_beyond_the_extract_is_unserved_whatever_the_agreements() -> None:
    net = _line()
    spec = ModelSpec(
        incident_types=TYPES, stations=(Station("be", 51.0, 4.0, "BE", "A", {"ambulance": 1}),),
        hospitals=(), driving=exact_driving(), turnout={"ambulance": Turnout(day=fixed(30))},
        agreements=(Agreement("everything", ("BE", "NL"), ("ambulance",), rule="always_fastest"),),
        horizon_s=5_000.0)
    inc = _incidents([(0.0, 4.10, -1, 1, True), (10.0, 4.06, 3, 1, False)])
    r = simulate(net, spec, seed=0, incidents=inc)
    np.testing.assert_array_equal(r.incidents["served"], [False, True])
    np.testing.assert_array_equal(r.missions["incident_id"], [1])


def erlang_c(lam: float, mu: float, c: int) -> tuple[float, float]:
    """Probability of waiting and mean wait of an M/M/c queue."""
    a = lam / mu
    top = a ** c / math.factorial(c) / (1 - a / c)
    p_wait = top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)
    return p_wait, p_wait / (c * mu - lam)


def test_erlang_c_beyond_the_extract() -> None:
    """Calls of a place beyond the extract, at the base of its country's only station (an
    off-network post, estimated leg 0): exactly M/M/c, generated and queued as such calls are."""
    lam, mean_s, c = 12.6 / 3600.0, 600.0, 3
    net = RoadNetwork.from_arrays(lat=[51.0, 51.0], lon=[4.0, 4.01], edges=[(0, 1), (1, 0)],
                                  times_s=[120.0, 120.0])
    n_calls = 25_000
    spec = ModelSpec(
        incident_types=(IncidentType("call", 1, {"ambulance": 1}, {"ambulance": Dist.exponential(mean_s)}),),
        stations=(Station("s", 51.05, 4.0, "XX", "centre", {"ambulance": c},
                          off_network=OffNetworkAccess(entry_lat=51.0, entry_lon=4.0)),),
        hospitals=(), turnout={"ambulance": Turnout(day=fixed(0.0))},
        places=(Place("p", "XX", 51.05, 4.0, 1000.0),),
        demand=Demand({"XX": {"call": lam * SECONDS_PER_YEAR}}, spread_m=0.0, beyond_radius_m=1000.0),
        policy=DispatchPolicy(call_processing=fixed(0.0)), driving=exact_driving(), horizon_s=n_calls / lam)
    r = simulate(net, spec, seed=4321)
    assert r.incidents["beyond_extract"].all() and (r.incidents["node"] == -1).all()
    m = r.missions
    order = np.argsort(m["incident_id"])
    wait = (m["t_alert_s"] - m["t_call_s"])[order]
    np.testing.assert_allclose(r.incidents["response_time_s"][m["incident_id"][order]], wait)
    wait = wait[len(wait) // 50:]
    batches = np.array_split(wait, 25)
    p_b = np.array([np.mean(b > 1e-9) for b in batches])
    w_b = np.array([np.mean(b) for b in batches])
    p_th, w_th = erlang_c(lam, 1.0 / mean_s, c)
    assert abs(p_b.mean() - p_th) < 4 * p_b.std(ddof=1) / 5 + 0.005
    assert abs(w_b.mean() - w_th) < 4 * w_b.std(ddof=1) / 5 + 0.005 * w_th
