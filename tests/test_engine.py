"""The engine against theory and hand calculation: exact event log, Erlang C, CRN, agreements."""

from __future__ import annotations

import math
import pickle
from dataclasses import replace

import numpy as np
import pytest
from _helpers import exact_driving

from sim.engine import INCIDENT_COLUMNS, MISSION_COLUMNS, UNIT_COLUMNS, SimRecords, prepare, simulate
from sim.engine._core import bounds, walk
from sim.engine._layout import FIELDS
from sim.engine.compile import compile_run, ordered_state
from sim.model.agreements import Agreement, DispatchPolicy
from sim.model.defaults import default_incident_types, default_turnout
from sim.model.demand import SECONDS_PER_YEAR, Demand, IncidentLog, IncidentType, generate_incidents
from sim.model.distributions import Dist
from sim.model.places import Place
from sim.model.spec import ModelSpec
from sim.model.streams import Streams
from sim.model.units import Hospital, Shift, Station, Turnout
from sim.roads.network import RoadNetwork

ZERO = Turnout(day=Dist.fixed(0.0))


def _same_records(a: SimRecords, b: SimRecords) -> None:
    for table in ("incidents", "missions", "units"):
        ta, tb = getattr(a, table), getattr(b, table)
        assert list(ta) == list(tb)
        for col in ta:
            np.testing.assert_array_equal(ta[col], tb[col], err_msg=f"{table}.{col}")
    assert a.n_events == b.n_events


# ---------------------------------------------------------------------------- exact event log
def _line() -> RoadNetwork:
    # 0 -100 s- 1 -200 s- 2 -300 s- 3, both ways
    lat, lon = [51.0, 51.0, 51.0, 51.0], [4.0, 4.01, 4.03, 4.06]
    edges = [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)]
    return RoadNetwork.from_arrays(lat=lat, lon=lon, edges=edges, times_s=[100, 100, 200, 200, 300, 300])


def test_exact_event_log_on_a_line() -> None:
    net = _line()
    fixed = Dist.fixed
    types = (
        IncidentType("urgent_t", 1, {"ambulance": 1}, {"ambulance": fixed(600)}, transport_share=1.0,
                     handover=fixed(300)),
        IncidentType("calm", 2, {"ambulance": 1}, {"ambulance": fixed(600)}, lights_and_sirens=False),
        IncidentType("urgent_nt", 1, {"ambulance": 1}, {"ambulance": fixed(600)}),
    )
    spec = ModelSpec(
        incident_types=types,
        stations=(Station("base", 51.0, 4.0, "XX", "centre", {"ambulance": 1}, source="test"),),
        hospitals=(Hospital("hosp", "XX", 51.0, 4.06),),
        turnout={"ambulance": Turnout(day=fixed(30))},
        policy=DispatchPolicy(call_processing=fixed(60)),
        driving=exact_driving(2.0),
        horizon_s=10_000.0,
        incident_log=IncidentLog(t_s=(0.0, 50.0, 100.0), lat=(51.0, 51.0, 51.0), lon=(4.03, 4.01, 4.0),
                                 type=("urgent_t", "calm", "urgent_nt")),
    )
    r = simulate(net, spec, seed=0)
    m = r.missions
    # I0 at node 2: alert 60, turnout 30, drive 300 s x 0.5, 600 on scene, hospital at node 3 (300 x 0.5),
    # handover 300, free 1290 at the hospital. I1 (urgency 2, called at 50) and I2 (urgency 1, called at 100)
    # wait; at 1290 the unit takes I2 first (urgency before time) from the hospital: no turnout, drives
    # 3 -> 0 (600 s x 0.5) and is free at its own base at 2190; then I1 from base: turnout 30, 100 s at
    # normal speed (no lights and sirens), 600 on scene, 100 s back.
    np.testing.assert_array_equal(m["incident_id"], [0, 2, 1])
    np.testing.assert_array_equal(m["t_call_s"], [0, 100, 50])
    np.testing.assert_array_equal(m["t_alert_s"], [60, 1290, 2190])
    np.testing.assert_array_equal(m["t_depart_s"], [90, 1290, 2220])
    np.testing.assert_array_equal(m["t_arrive_s"], [240, 1590, 2320])
    np.testing.assert_array_equal(m["t_leave_scene_s"], [840, 2190, 2920])
    np.testing.assert_array_equal(m["t_hospital_s"], [990, np.nan, np.nan])
    np.testing.assert_array_equal(m["t_free_s"], [1290, 2190, 2920])
    np.testing.assert_array_equal(m["t_base_s"], [np.nan, 2190, 3020])  # first one re-dispatched
    np.testing.assert_array_equal(m["travel_s"], [150, 300, 100])
    np.testing.assert_array_equal(m["from_returning"], [False, True, False])
    np.testing.assert_array_equal(m["hospital"], ["hosp", "", ""])
    i = r.incidents
    np.testing.assert_array_equal(i["response_time_s"], [240, 2270, 1490])
    np.testing.assert_array_equal(i["rt_ambulance_s"], [240, 2270, 1490])
    assert i["served"].all() and not i["cross_border"].any()
    assert r.n_events == 6  # 3 dispatch decisions + 3 units becoming free
    u = r.units
    assert u["busy_s"][0] == pytest.approx((1290 - 60) + (2190 - 1290) + (2920 - 2190))
    assert u["on_duty_s"][0] == 10_000.0
    assert list(i) == list(INCIDENT_COLUMNS) and list(m) == list(MISSION_COLUMNS)
    assert list(u) == list(UNIT_COLUMNS)


def test_returning_unit_is_taken_from_the_last_node_it_passed() -> None:
    net = _line()
    fixed = Dist.fixed
    types = (IncidentType("a", 1, {"ambulance": 1}, {"ambulance": fixed(100)}, lights_and_sirens=False),)
    spec = ModelSpec(
        incident_types=types,
        stations=(Station("base", 51.0, 4.0, "XX", "centre", {"ambulance": 1}),),
        hospitals=(), turnout={"ambulance": Turnout(day=fixed(30))}, driving=exact_driving(),
        policy=DispatchPolicy(call_processing=fixed(0)), horizon_s=5_000.0,
        # I0 at node 3: arrive 30 + 600, free 730, home at 1330 via node 2 (1030) and node 1 (1230).
        # I1 at node 3 at 1100: the unit passed node 2 (not yet node 1): 300 s back to node 3.
        incident_log=IncidentLog(t_s=(0.0, 1100.0), lat=(51.0, 51.0), lon=(4.06, 4.06), type=("a", "a")),
    )
    m = simulate(net, spec, seed=0).missions
    np.testing.assert_array_equal(m["t_arrive_s"], [630, 1400])
    np.testing.assert_array_equal(m["t_base_s"], [np.nan, 1500 + 600])
    np.testing.assert_array_equal(m["from_returning"], [False, True])
    spec_nr = replace(spec, policy=DispatchPolicy(call_processing=fixed(0), redispatch_returning=False))
    m = simulate(net, spec_nr, seed=0).missions  # now it must get home first: 1330 + 30 + 600
    np.testing.assert_array_equal(m["t_arrive_s"], [630, 1960])


def test_a_unit_back_on_duty_while_driving_home_is_sent_from_the_road() -> None:
    """The same calls as above, with a shift break from 800 s to 1000 s while the unit drives home.

    It is free at 730 at node 3, goes off duty at 800, back on duty at 1000 still on its way home
    (base at 1330): at 1100 it has passed node 2, not node 1, and is sent from there, no turnout.
    """
    net = _line()
    fixed = Dist.fixed
    types = (IncidentType("a", 1, {"ambulance": 1}, {"ambulance": fixed(100)}, lights_and_sirens=False),)
    shift = Shift(start_hour=1000 / 3600, end_hour=800 / 3600)
    spec = ModelSpec(
        incident_types=types,
        stations=(Station("base", 51.0, 4.0, "XX", "centre", {"ambulance": 1},
                          shifts={"ambulance": shift}),),
        hospitals=(), turnout={"ambulance": Turnout(day=fixed(30))}, driving=exact_driving(),
        policy=DispatchPolicy(call_processing=fixed(0)), horizon_s=5_000.0,
        incident_log=IncidentLog(t_s=(0.0, 1100.0), lat=(51.0, 51.0), lon=(4.06, 4.06), type=("a", "a")),
    )
    r = simulate(net, spec, seed=0)
    m = r.missions
    np.testing.assert_array_equal(m["t_arrive_s"], [630, 1400])
    np.testing.assert_array_equal(m["t_depart_s"], [30, 1100])
    np.testing.assert_array_equal(m["t_base_s"], [np.nan, 2100])  # the first never got home
    np.testing.assert_array_equal(m["from_returning"], [False, True])
    assert r.units["on_duty_s"][0] == pytest.approx(5_000.0 - 200.0)


# ---------------------------------------------------------------------------- Erlang C
def erlang_c(lam: float, mu: float, c: int) -> tuple[float, float]:
    """Probability of waiting and mean wait of an M/M/c queue."""
    a = lam / mu
    rho = a / c
    top = a ** c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)
    return p_wait, p_wait / (c * mu - lam)


@pytest.mark.parametrize(("lam_per_h", "mean_service_s", "c"), [(3.0, 600.0, 1), (12.6, 600.0, 3),
                                                                (8.0, 1800.0, 5)])
def test_erlang_c(lam_per_h: float, mean_service_s: float, c: int) -> None:
    """One station with c units, Poisson calls, exponential on-scene service, fixed travel time.

    The calls happen at the station's own node, so the fixed travel time is 0 and a unit is free at
    its base the moment it leaves the scene: the system is exactly M/M/c and the wait (call to alert;
    call processing and turnout are 0) must match Erlang C. Tolerance: 4 standard errors from 25
    batch means of about 1,000 calls each, plus 0.5 % for the remaining start-up bias.
    """
    net = RoadNetwork.from_arrays(lat=[51.0, 51.0], lon=[4.0, 4.01], edges=[(0, 1), (1, 0)],
                                  times_s=[120.0, 120.0])
    lam, mu = lam_per_h / 3600.0, 1.0 / mean_service_s
    n_calls = 25_000
    spec = ModelSpec(
        incident_types=(IncidentType("call", 1, {"ambulance": 1},
                                     {"ambulance": Dist.exponential(mean_service_s)}),),
        stations=(Station("s", 51.0, 4.0, "XX", "centre", {"ambulance": c}),),
        hospitals=(), turnout={"ambulance": ZERO},
        places=(Place("p", "XX", 51.0, 4.0, 1000.0),),
        demand=Demand({"XX": {"call": lam * SECONDS_PER_YEAR}}, spread_m=0.0),
        policy=DispatchPolicy(call_processing=Dist.fixed(0.0)), driving=exact_driving(),
        horizon_s=n_calls / lam,
    )
    r = simulate(net, spec, seed=12345 + c)
    m = r.missions
    assert r.incidents["node"].max() == 0
    order = np.argsort(m["incident_id"])
    wait = (m["t_alert_s"] - m["t_call_s"])[order]
    np.testing.assert_allclose(r.incidents["response_time_s"][m["incident_id"][order]], wait)
    wait = wait[len(wait) // 50:]  # drop the first 2 % (start empty)
    batches = np.array_split(wait, 25)
    p_b = np.array([np.mean(b > 1e-9) for b in batches])
    w_b = np.array([np.mean(b) for b in batches])
    p_th, w_th = erlang_c(lam, mu, c)
    assert abs(p_b.mean() - p_th) < 4 * p_b.std(ddof=1) / 5 + 0.005
    assert abs(w_b.mean() - w_th) < 4 * w_b.std(ddof=1) / 5 + 0.005 * w_th


# ---------------------------------------------------------------------------- agreements and CRN
def _two_centres() -> RoadNetwork:
    # BE nodes 0-2 (centre A), NL nodes 3-5 (centre B); the border between 2 and 3
    lat = [51.0] * 6
    lon = [4.0, 4.02, 4.04, 4.06, 4.08, 4.10]
    edges, times = [], []
    for u in range(5):
        edges += [(u, u + 1), (u + 1, u)]
        times += [120.0, 120.0]
    return RoadNetwork.from_arrays(lat=lat, lon=lon, edges=edges, times_s=times,
                                   node_country=[0, 0, 0, 1, 1, 1], node_centre=[0, 0, 0, 1, 1, 1],
                                   countries=["BE", "NL"], centres=["A", "B"])


def _two_centre_spec(agreements: tuple[Agreement, ...] = (), **kw: object) -> ModelSpec:
    base = ModelSpec(
        incident_types=default_incident_types(),
        stations=(Station("be", 51.0, 4.0, "BE", "A", {"ambulance": 2, "pumper": 2, "ladder": 1, "smur": 1}),
                  Station("nl", 51.0, 4.10, "NL", "B", {"ambulance": 2, "pumper": 1, "ladder": 1})),
        hospitals=(Hospital("hbe", "BE", 51.0, 4.02), Hospital("hnl", "NL", 51.0, 4.08)),
        turnout=default_turnout(),
        places=(Place("west", "BE", 51.0, 4.03, 60_000), Place("east", "NL", 51.0, 4.07, 60_000)),
        demand=Demand({"BE": {"medical_urgent": 60.0, "structure_fire": 3.0, "cardiac_arrest": 2.0},
                       "NL": {"medical_urgent": 60.0, "road_collision": 3.0, "medical_non_urgent": 20.0}},
                      spread_m=2000.0),
        agreements=agreements, horizon_s=21 * 86_400.0, warmup_s=86_400.0,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("rule", ["if_home_eta_over", "if_faster_by", "if_home_short_or_slower"])
def test_agreement_that_never_fires_changes_nothing(rule: str) -> None:
    net = _two_centres()
    never = Agreement("never", ("BE", "NL"), ("ambulance", "pumper", "smur", "ladder"),
                      rule=rule, threshold_s=math.inf,  # type: ignore[arg-type]
                      request_delay=Dist.exponential(60.0))
    a = simulate(net, _two_centre_spec(), seed=3)
    b = simulate(net, _two_centre_spec((never,)), seed=3)
    _same_records(a, b)
    assert (a.missions["t_alert_s"] > a.missions["t_call_s"] + 600).any()  # calls did queue
    # the same agreement with a rule that fires does change things (so the comparison can fail)
    fires = replace(never, rule="always_fastest", threshold_s=0.0)
    c = simulate(net, _two_centre_spec((fires,)), seed=3)
    assert c.missions["cross_border"].any()
    assert set(c.missions["agreement"][c.missions["cross_border"]]) == {"never"}


def test_cross_border_only_through_agreements_and_by_direction() -> None:
    net = _two_centres()
    one_way = Agreement("be-helps-nl", ("BE", "NL"), ("ambulance",), direction="first_helps_second",
                        request_delay=Dist.fixed(90.0), foreign_hospital=True)
    hosp = (Hospital("hbe", "BE", 51.0, 4.04), Hospital("hnl", "NL", 51.0, 4.10))  # nodes 2 and 5
    r = simulate(net, _two_centre_spec((one_way,), hospitals=hosp), seed=4)
    m = r.missions
    assert not simulate(net, _two_centre_spec(), seed=4).missions["cross_border"].any()
    xb = m["cross_border"]
    assert xb.any()
    assert set(m["direction"][xb]) == {"BE->NL"} and set(m["unit_type"][xb]) == {"ambulance"}
    np.testing.assert_array_equal(m["request_delay_s"][xb], 90.0)
    np.testing.assert_array_equal(m["t_alert_s"][xb] - 90.0 >= m["t_call_s"][xb], True)
    assert (m["request_delay_s"][~xb] == 0).all()
    # foreign_hospital: a Belgian ambulance in NL may take its patient to the Belgian hospital
    # (node 3 is nearer to hbe at node 2); a Dutch ambulance takes its patient to a Dutch one
    at3 = m["incident_id"][m["hospital"] != ""]
    node = r.incidents["node"][at3]
    taken = m["hospital"][m["hospital"] != ""]
    xb_t = xb[m["hospital"] != ""]
    assert set(taken[(node == 3) & xb_t]) == {"hbe"}
    assert set(taken[(node == 3) & ~xb_t]) == {"hnl"}
    np.testing.assert_array_equal(m["hospital_country"][m["hospital"] == "hbe"], "BE")
    inc = r.incidents
    crossed = np.unique(m["incident_id"][xb])
    assert inc["cross_border"][crossed].all()
    assert inc["cross_border"].sum() == len(crossed)


def test_keep_home_min_protects_the_lender() -> None:
    net = _two_centres()
    ag = Agreement("k", ("BE", "NL"), ("ambulance",), rule="if_no_home_unit")
    runs = {k: simulate(net, _two_centre_spec((replace(ag, keep_home_min=k),)), seed=5) for k in (0, 1, 2)}
    n_xb = {k: int((r.missions["cross_border"]).sum()) for k, r in runs.items()}
    # each side has exactly 2 ambulances: keeping 2 free for home means never lending
    assert n_xb[2] == 0 and n_xb[1] > 0 and n_xb[0] > n_xb[1]
    # keep_home_min=1: when a unit is lent, the other ambulance of its centre is free at that moment
    m = runs[1].missions
    dec = m["t_alert_s"] - m["request_delay_s"]
    amb = m["unit_type"] == "ambulance"
    for k in np.flatnonzero(m["cross_border"]):
        other = amb & (m["station"] == m["station"][k]) & (m["unit_id"] != m["unit_id"][k])
        busy = other & (dec <= dec[k]) & (m["t_free_s"] > dec[k])
        assert not busy.any()


def test_common_random_numbers_across_variants() -> None:
    net = _two_centres()
    ag = Agreement("ag", ("BE", "NL"), ("ambulance",), request_delay=Dist.exponential(120.0))
    s0, s1 = _two_centre_spec(), _two_centre_spec((ag,))
    i0, i1 = generate_incidents(net, s0, Streams(8)), generate_incidents(net, s1, Streams(8))
    for f in ("t_call", "node", "type_idx", "call_processing", "on_scene", "turnout_day", "turnout_night",
              "transport", "handover", "slot_active"):
        np.testing.assert_array_equal(getattr(i0, f), getattr(i1, f))
    r0, r1 = simulate(net, s0, seed=8), simulate(net, s1, seed=8)
    for col in ("t_call_s", "node", "type", "lat", "lon", "urgency", "in_warmup"):
        np.testing.assert_array_equal(r0.incidents[col], r1.incidents[col])
    # a variant run alone gives exactly what it gives after another variant (and with shared prep)
    alone = simulate(net, s1, seed=8)
    prep = prepare(net, s1)
    simulate(net, s0, seed=8, prepared=prep)
    after = simulate(net, s1, seed=8, prepared=prep)
    shared = simulate(net, s1, seed=8, incidents=generate_incidents(net, s1, Streams(8)))
    _same_records(alone, after)
    _same_records(alone, shared)
    _same_records(alone, r1)
    # other seeds or replications give other incidents
    assert not np.array_equal(simulate(net, s0, seed=8, replication=1).incidents["t_call_s"],
                              r0.incidents["t_call_s"])


def test_joint_fire_corps_via_also_serves() -> None:
    # Baarle: the Dutch fire station serves both territories as if it were Belgian too.
    net = _two_centres()
    spec = _two_centre_spec()
    be = Station("be", 51.0, 4.0, "BE", "A", {"ambulance": 2, "smur": 1})
    nl = Station("nl", 51.0, 4.10, "NL", "B", {"ambulance": 2})
    fire = Station("nl-fire", 51.0, 4.10, "NL", "B", {"pumper": 2, "ladder": 1})
    alone = simulate(net, replace(spec, stations=(be, nl, fire)), seed=6)
    joint = simulate(net, replace(spec, stations=(be, nl, replace(fire, also_serves=("A",)))), seed=6)
    for r, expect in ((alone, False), (joint, True)):
        inc = r.incidents
        be_fire = (inc["type"] == "structure_fire") & (inc["country"] == "BE")
        assert be_fire.sum() > 3
        assert (inc["served"][be_fire] == expect).all()
        assert np.isfinite(inc["rt_pumper_s"][be_fire]).all() == expect
    m = joint.missions
    is_fire = np.isin(m["unit_type"], ["pumper", "ladder"])
    assert (is_fire & m["cross_border"]).any()
    assert (m["agreement"][is_fire] == "").all()  # its own units, no agreement needed
    assert not (m["cross_border"] & (m["unit_type"] == "ambulance")).any()


def test_shifts_take_units_off_duty() -> None:
    net = _two_centres()
    spec = _two_centre_spec()
    day = Station("nl", 51.0, 4.10, "NL", "B", {"ambulance": 2}, shifts={"ambulance": Shift(7, 23)})
    r = simulate(net, replace(spec, stations=(spec.stations[0], day)), seed=7)
    m = r.missions
    nl = m["station"] == "nl"
    hour = (m["t_alert_s"][nl] / 3600.0) % 24
    assert len(hour) > 20
    assert ((hour >= 7) & (hour < 23)).all()  # alerted only on duty (they finish missions past 23:00)
    u = r.units
    # on duty: its shifts, plus the time spent finishing missions past 23:00 (busy time counts from
    # the decision, within [warm-up, horizon))
    lo, hi = spec.warmup_s, spec.horizon_s
    t_dec = np.maximum(m["t_alert_s"] - np.nan_to_num(m["request_delay_s"]), lo)
    end = np.minimum(m["t_free_s"], hi)
    shift_s = sum(max(0.0, min(hi, d * 86400 + 23 * 3600) - max(lo, d * 86400 + 7 * 3600))
                  for d in range(int(hi // 86400) + 1))
    for uid in u["unit_id"][u["station"] == "nl"]:
        mine = (m["unit_id"] == uid) & (end > t_dec)
        off = [(d // 86400) * 86400 + 23 * 3600 for d in t_dec[mine]]  # 23:00 of the decision's day
        late = sum(e - max(d, o) for d, e, o in zip(t_dec[mine], end[mine], off, strict=True) if e > o)
        row = u["unit_id"] == uid
        np.testing.assert_allclose(u["on_duty_s"][row], shift_s + late, rtol=1e-9)
        assert u["busy_s"][row] <= u["on_duty_s"][row]


# ---------------------------------------------------------------------------- records assembly and fast paths
def test_records_agree_with_the_missions_they_summarise() -> None:
    """Incident and unit rows re-derived from the mission rows (a check of the records assembly)."""
    net = _two_centres()
    ag = Agreement("ag", ("BE", "NL"), ("ambulance", "pumper"), rule="if_faster_by", threshold_s=60.0,
                   request_delay=Dist.exponential(60.0), foreign_hospital=True)
    r = simulate(net, _two_centre_spec((ag,)), seed=9)
    inc, m, u = r.incidents, r.missions, r.units
    assert len(m["incident_id"]) > 200 and m["cross_border"].any() and m["from_returning"].any()
    for i in range(len(inc["incident_id"])):
        mine = m["incident_id"] == i
        np.testing.assert_array_equal(m["t_call_s"][mine], inc["t_call_s"][i])
        for k, ut in enumerate(("ambulance", "smur", "pumper", "ladder")):
            sel = mine & (m["unit_type"] == ut)
            expect = np.min(m["t_arrive_s"][sel]) - inc["t_call_s"][i] if sel.any() else np.nan
            np.testing.assert_array_equal(inc[f"rt_{ut}_s"][i], expect, err_msg=f"{i} {k}")
        assert inc["cross_border"][i] == m["cross_border"][mine].any()
        assert inc["estimated_leg"][i] == m["estimated_leg"][mine].any()
    prim = {"medical_urgent": "ambulance", "medical_non_urgent": "ambulance", "cardiac_arrest": "ambulance",
            "road_collision": "ambulance", "structure_fire": "pumper"}
    for i in np.flatnonzero(inc["served"]).tolist():
        p = prim[inc["type"][i]]
        np.testing.assert_array_equal(inc["response_time_s"][i], inc[f"rt_{p}_s"][i])
        rows = np.flatnonzero((m["incident_id"] == i) & (m["unit_type"] == p))
        first = rows[np.argmin(m["t_arrive_s"][rows])]
        assert inc["primary_unit_country"][i] == m["station_country"][first]
    # busy time: decision (alert minus request delay; a unit sent in answer to a request from a centre
    # that cannot see it is committed when sent, at its alert) to free again, within [warm-up, horizon)
    lo, hi = 86_400.0, 21 * 86_400.0
    rq = r.requests
    answered = {(i, u) for i, u, v, o in zip(rq["incident_id"], rq["unit_id"], rq["visibility"],
                                             rq["outcome"], strict=True)
                if v == "station" and o == "accepted"}
    assert answered
    sent = np.array([(i, u) in answered for i, u in zip(m["incident_id"], m["unit_id"], strict=True)])
    dec = np.where(sent, m["t_alert_s"], m["t_alert_s"] - m["request_delay_s"])
    busy = np.clip(np.minimum(m["t_free_s"], hi) - np.maximum(dec, lo), 0.0, None)
    for k, unit in enumerate(u["unit_id"]):
        assert u["busy_s"][k] == pytest.approx(busy[m["unit_id"] == unit].sum(), rel=1e-12, abs=1e-6)
    np.testing.assert_allclose(u["utilisation"], u["busy_s"] / u["on_duty_s"])


def test_shortest_path_tree_walks_and_landmark_bounds_match_dijkstra(baarle_network: RoadNetwork) -> None:
    """The engine prices a unit on its way home without Dijkstra when a landmark's shortest-path tree
    holds the route: that time must equal Dijkstra's exactly; the landmark bounds must hold."""
    net = baarle_network
    rng = np.random.default_rng(3)
    nodes = rng.integers(0, net.n_nodes, 6)
    lat, lon = net.lat[nodes], net.lon[nodes]
    stations = tuple(Station(f"s{k}", float(a), float(b), "BE", net.centres[0], {"ambulance": 1})
                     for k, (a, b) in enumerate(zip(lat, lon, strict=True)))
    spec = ModelSpec(incident_types=(IncidentType("a", 1, {"ambulance": 1}, {"ambulance": Dist.fixed(60)}),),
                     stations=stations, hospitals=(), turnout={}, horizon_s=10.0,
                     places=(Place("p", "BE", float(lat[0]), float(lon[0]), 10.0),),
                     demand=Demand({"BE": {"a": 1.0}}))
    prep = prepare(net, spec)
    eng = compile_run(net, spec, prep, generate_incidents(net, spec, Streams(1)), Streams(1))
    walked = 0
    for x in rng.integers(0, net.n_nodes, 60).tolist():
        row = net.times_from([x])[0]
        for t in rng.integers(0, net.n_nodes, 40).tolist():
            lo, hi, k = bounds(eng.core, x, t)
            assert lo <= row[t] <= hi * (1 + 1e-12)
            d = walk(eng.core, x, t, k)
            if d >= 0:
                walked += 1
                assert d == row[t]  # bit-identical
        # along a station's own tree the walk always succeeds
        for s in range(len(stations)):
            node = int(prep.station_node[s])
            k_rev = eng.state["n_lm"] + int(np.flatnonzero(np.unique(prep.station_node) == node)[0])
            assert walk(eng.core, x, node, k_rev) == row[node] or not np.isfinite(row[node])
    assert walked > 50


def test_prepared_pickles_after_use_and_gives_the_same_records() -> None:
    """Prepared matrices go to Dask and pool workers by pickle, also after a local run used them."""
    net = _two_centres()
    spec = _two_centre_spec((Agreement("ag", ("BE", "NL"), ("ambulance",)),), horizon_s=5 * 86_400.0)
    prep = prepare(net, spec)
    a = simulate(net, spec, seed=2, prepared=prep)
    copy = pickle.loads(pickle.dumps(prep))
    _same_records(a, simulate(copy.network, spec, seed=2, prepared=copy))


def test_the_cores_state_is_ordered_by_its_fields_and_checked_by_name() -> None:
    parts = [{k: k for k in FIELDS[40:]}, {k: k for k in FIELDS[:40]}]
    assert list(ordered_state(parts)) == list(FIELDS)
    assert list(ordered_state(parts).values()) == list(FIELDS)
    everything = {k: 0 for k in FIELDS}
    with pytest.raises(ValueError, match=r"missing: cnt$"):
        ordered_state([{k: 0 for k in FIELDS if k != "cnt"}])
    with pytest.raises(ValueError, match=r"unknown: first_amb_slot$"):
        ordered_state([everything, {"first_amb_slot": 0}])
    with pytest.raises(ValueError, match=r"built twice: avail$"):
        ordered_state([everything, {"avail": 1}])
