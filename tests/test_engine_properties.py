"""Property tests of the engine (hypothesis) on small random networks, stations and incidents.

Every generated case is checked for three invariants of the records:

* every incident is served by each unit kind it needs (as many missions as units needed) or is
  recorded unserved; a kind its dispatch centre can never get (no own unit, no agreement that lends
  one) counts as not applicable, unless it is the incident's primary kind;
* no unit is on two missions at once: from the moment it is committed (``t_alert - request_delay``;
  at its alert when a lending centre sent it in answer to a request) to ``t_free`` the missions of a
  unit do not overlap (a unit driving home may be sent again, so ``t_base`` may lie after the next
  decision only when the next mission starts from the road);
* every mission's timestamps are ordered:
  call <= alert <= depart <= arrive <= leave scene <= hospital <= free <= base (where present);
* every mission under an agreement has one accepted request, alerted when it was answered; a
  declined request has a reason and sends nothing.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.engine import SimRecords, simulate
from sim.model.agreements import Agreement, DispatchPolicy
from sim.model.defaults import default_incident_types, default_turnout
from sim.model.demand import IncidentLog
from sim.model.distributions import Dist
from sim.model.spec import ModelSpec
from sim.model.units import UNIT_TYPES, EntryPoint, Hospital, OffNetworkAccess, Shift, Station
from sim.roads.network import RoadNetwork

UNIT_NAMES = list(UNIT_TYPES)

COUNTRIES = ["BE", "NL"]
CENTRES = ["A", "B"]  # centre A is in BE, centre B in NL
TYPES = default_incident_types()
HORIZON = 2 * 86_400.0
TS = ("t_call_s", "t_alert_s", "t_depart_s", "t_arrive_s", "t_leave_scene_s", "t_hospital_s", "t_free_s",
      "t_base_s")


@dataclass(frozen=True)
class Case:
    network: RoadNetwork
    spec: ModelSpec
    seed: int


@st.composite
def cases(draw: st.DrawFn) -> Case:
    n = draw(st.integers(3, 8))
    lon = [4.0 + 0.02 * k + draw(st.floats(-0.005, 0.005)) for k in range(n)]
    lat = [51.0 + draw(st.floats(-0.01, 0.01)) for _ in range(n)]
    # a path both ways keeps it strongly connected; extra one-way edges make it irregular
    edges = [(k, k + 1) for k in range(n - 1)] + [(k + 1, k) for k in range(n - 1)]
    extra = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=4))
    edges += [(u, v) for u, v in extra if u != v and (u, v) not in edges]
    times = [draw(st.floats(20.0, 900.0)) for _ in edges]
    split = draw(st.integers(1, n - 1))  # nodes < split are BE / centre A
    side = [0 if k < split else 1 for k in range(n)]
    net = RoadNetwork.from_arrays(lat=lat, lon=lon, edges=edges, times_s=times, node_country=side,
                                  node_centre=side, countries=COUNTRIES, centres=CENTRES)
    stations = []
    for k in range(draw(st.integers(1, 4))):
        node = draw(st.integers(0, n - 1))
        c = draw(st.integers(0, 1))
        units = {u: draw(st.integers(0, 2)) for u in draw(st.lists(st.sampled_from(UNIT_NAMES), min_size=1,
                                                                     max_size=4, unique=True))}
        shifts = {u: Shift(float(draw(st.integers(0, 23))), float(draw(st.integers(0, 23))))
                  for u in units if draw(st.booleans())}
        off = None
        if draw(st.integers(0, 3)) == 0:  # beyond the extract, entering at its node (and maybe another)
            more = tuple(EntryPoint(lat[e], lon[e], access_time_s=draw(st.floats(0.0, 600.0)))
                         for e in draw(st.lists(st.integers(0, n - 1), max_size=2)))
            off = OffNetworkAccess(entry_lat=lat[node], entry_lon=lon[node],
                                   access_time_s=draw(st.floats(0.0, 600.0)), more_entries=more)
        stations.append(Station(f"s{k}", lat[node] + (0.05 if off else 0.0), lon[node], COUNTRIES[c],
                                CENTRES[c], {u: m for u, m in units.items() if m > 0}, shifts=shifts,
                                off_network=off,
                                also_serves=(CENTRES[1 - c],) if draw(st.integers(0, 4)) == 0 else ()))
    hospitals = tuple(Hospital(f"h{k}", COUNTRIES[side[node]], lat[node], lon[node])
                      for k, node in enumerate(draw(st.lists(st.integers(0, n - 1), max_size=2))))
    agreements = []
    for k in range(draw(st.integers(0, 2))):
        parties = draw(st.sampled_from([("BE", "NL"), ("NL", "BE"), ("A", "B"), ("B", "A")]))
        agreements.append(Agreement(
            f"ag{k}", parties, tuple(draw(st.lists(st.sampled_from(UNIT_NAMES), min_size=1, unique=True))),
            rule=draw(st.sampled_from(["always_fastest", "if_faster_by", "if_home_eta_over",
                                       "if_no_home_unit", "if_home_short_or_slower"])),
            visibility=draw(st.sampled_from([None, "station", "full"])),
            direction=draw(st.sampled_from(["both", "first_helps_second", "second_helps_first"])),
            threshold_s=draw(st.floats(0.0, 1200.0)),
            request_delay=draw(st.sampled_from([Dist.fixed(0.0), Dist.fixed(90.0), Dist.exponential(60.0)])),
            keep_home_min=draw(st.integers(0, 2)), foreign_hospital=draw(st.booleans())))
    k_inc = draw(st.integers(1, 30))
    window = draw(st.sampled_from([HORIZON, 4 * 3600.0]))  # spread out, or busy (queues, requests)
    t = draw(st.lists(st.floats(0.0, window, exclude_max=True), min_size=k_inc, max_size=k_inc))
    where = draw(st.lists(st.integers(0, n - 1), min_size=k_inc, max_size=k_inc))
    kinds = draw(st.lists(st.sampled_from([ty.name for ty in TYPES]), min_size=k_inc, max_size=k_inc))
    log = IncidentLog(t_s=tuple(t), lat=tuple(lat[w] for w in where), lon=tuple(lon[w] for w in where),
                      type=tuple(kinds))
    policy = DispatchPolicy(call_processing=draw(st.sampled_from([Dist.fixed(0.0), Dist.fixed(60.0),
                                                                  Dist.exponential(90.0)])),
                            redispatch_returning=draw(st.booleans()),
                            hospital=draw(st.sampled_from(["nearest", "nearest_any"])),
                            tie_break=draw(st.sampled_from(["idle_longest", "first"])))
    spec = ModelSpec(incident_types=TYPES, stations=tuple(stations), hospitals=hospitals,
                     turnout=default_turnout(), policy=policy, agreements=tuple(agreements),
                     horizon_s=HORIZON, incident_log=log)
    return Case(net, spec, draw(st.integers(0, 2**31)))


# ---------------------------------------------------------------------------------------- helpers
def _home(station: Station, centre: str) -> bool:
    return station.dispatch_centre == centre or centre in station.also_serves


def _matches(party: str, station_or_centre: tuple[str, str]) -> bool:
    return party in station_or_centre


def _gettable(spec: ModelSpec, centre: int, unit: str) -> bool:
    """Whether centre `centre` can ever get a unit of kind `unit` (own or through an agreement)."""
    cname, country = CENTRES[centre], COUNTRIES[centre]
    having = [s for s in spec.stations if s.units.get(unit, 0) > 0]
    if any(_home(s, cname) for s in having):
        return True
    for ag in spec.agreements:
        if unit not in ag.unit_types:
            continue
        a, b = ag.parties
        pairs = ([(a, b)] if ag.direction in ("both", "first_helps_second") else []) + (
            [(b, a)] if ag.direction in ("both", "second_helps_first") else [])
        for lender, borrower in pairs:
            if _matches(borrower, (cname, country)) and any(
                    _matches(lender, (s.dispatch_centre, s.country)) for s in having):
                return True
    return False


def _run(case: Case) -> SimRecords:
    return simulate(case.network, case.spec, seed=case.seed)


def _committed(r: SimRecords) -> np.ndarray:
    """When each mission's unit was committed: at the decision (alert less the request delay), or at
    its alert when a lending centre sent it in answer to a request."""
    m, q = r.missions, r.requests
    sent = {(i, u) for i, u, v, o in zip(q["incident_id"], q["unit_id"], q["visibility"], q["outcome"],
                                         strict=True) if v == "station" and o == "accepted"}
    answered = np.array([(i, u) in sent for i, u in zip(m["incident_id"], m["unit_id"], strict=True)], bool)
    return np.where(answered, m["t_alert_s"], m["t_alert_s"] - m["request_delay_s"])


PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------------------------------- properties
@PROPS
@given(cases())
def test_every_incident_is_served_by_each_needed_kind_or_recorded_unserved(case: Case) -> None:
    r = _run(case)
    inc, m = r.incidents, r.missions
    types = {ty.name: ty for ty in case.spec.incident_types}
    assert len(inc["incident_id"]) == len(case.spec.incident_log.t_s)  # type: ignore[union-attr]
    for i in range(len(inc["incident_id"])):
        ty = types[inc["type"][i]]
        centre = CENTRES.index(inc["dispatch_centre"][i])
        mine = m["incident_id"] == i
        count = {u: int(np.sum(mine & (m["unit_type"] == u))) for u in UNIT_TYPES}
        # never more units of a kind than the type can ask for (needs plus optional ones)
        for u in UNIT_TYPES:
            assert count[u] <= ty.needs.get(u, 0) + ty.optional_needs.get(u, (0, 0.0))[0]
        short = [u for u, k in ty.needs.items() if _gettable(case.spec, centre, u) and count[u] < k]
        if inc["served"][i]:
            assert _gettable(case.spec, centre, ty.primary)
            assert not short
            for u in ty.needs:
                assert math.isfinite(inc[f"rt_{u}_s"][i]) == _gettable(case.spec, centre, u)
            first = np.min(m["t_arrive_s"][mine & (m["unit_type"] == ty.primary)])
            assert inc["response_time_s"][i] == first - inc["t_call_s"][i]
        else:
            # recorded unserved: some needed kind it could get is missing (e.g. still queued at the
            # end of the run), an optional unit is missing, or its primary kind can never come
            opt_short = any(_gettable(case.spec, centre, u) and count[u] < ty.needs.get(u, 0) + k
                            for u, (k, _) in ty.optional_needs.items())
            assert short or opt_short or not _gettable(case.spec, centre, ty.primary)
        assert inc["cross_border"][i] == bool(np.any(m["cross_border"][mine]))


@PROPS
@given(cases())
def test_no_unit_is_on_two_missions_at_once(case: Case) -> None:
    r = _run(case)
    m = r.missions
    redispatch = case.spec.policy.redispatch_returning
    decided = _committed(r)
    for unit in np.unique(m["unit_id"]):
        k = np.flatnonzero(m["unit_id"] == unit)
        k = k[np.argsort(decided[k], kind="stable")]
        for a, b in itertools.pairwise(k):
            assert decided[b] >= m["t_free_s"][a] - 1e-6, (unit, a, b)
            if np.isnan(m["t_base_s"][a]):  # sent again before it was home: from the road
                assert redispatch and m["from_returning"][b]
            elif not m["from_returning"][b]:
                assert decided[b] >= m["t_base_s"][a] - 1e-6, (unit, a, b)
    # a unit's kind is the kind of the mission
    np.testing.assert_array_equal([u.split("/")[1] for u in m["unit_id"]], m["unit_type"])


@PROPS
@given(cases())
def test_every_mission_timestamp_sequence_is_ordered(case: Case) -> None:
    r = _run(case)
    m = r.missions
    seq = np.column_stack([m[c] for c in TS]) if len(m["unit_id"]) else np.zeros((0, len(TS)))
    for row in seq:
        present = row[~np.isnan(row)]
        assert np.all(np.diff(present) >= 0), row
        assert not np.isnan(row[:5]).any() and not np.isnan(row[6])  # call .. leave and free always set
    # a hospital stop always has a hospital; only ambulances take patients there, a physician team
    # escorting one arrives with it and is free with it
    has_h = ~np.isnan(m["t_hospital_s"])
    assert (m["hospital"][has_h] != "").all() and (m["hospital"][~has_h] == "").all()
    assert set(m["unit_type"][has_h]) <= {"ambulance", "smur"}
    for k in np.flatnonzero(has_h & (m["unit_type"] == "smur")):
        amb = (m["incident_id"] == m["incident_id"][k]) & (m["unit_type"] == "ambulance") & has_h
        assert amb.sum() == 1
        for c in ("t_leave_scene_s", "t_hospital_s", "t_free_s", "hospital"):
            assert m[c][k] == m[c][amb][0]
    # units alerted abroad only through an agreement, or as their station's own also_serves centre
    by_name = {s.name: s for s in case.spec.stations}
    ctr = dict(zip(r.incidents["incident_id"], r.incidents["dispatch_centre"], strict=True))
    for k in range(len(m["unit_id"])):
        home = _home(by_name[m["station"][k]], ctr[m["incident_id"][k]])
        assert (m["agreement"][k] == "") == home
        assert m["t_alert_s"][k] - m["request_delay_s"][k] >= m["t_call_s"][k] - 1e-6


@PROPS
@given(cases())
def test_every_mission_under_an_agreement_answers_one_accepted_request(case: Case) -> None:
    r = _run(case)
    m, q = r.missions, r.requests
    accepted = q["outcome"] == "accepted"
    lent = m["agreement"] != ""
    assert int(lent.sum()) == int(accepted.sum())
    # the same unit may serve two slots of one incident: pair them in time order
    for key in {(i, u) for i, u in zip(m["incident_id"][lent], m["unit_id"][lent], strict=True)}:
        ks = np.flatnonzero(lent & (m["incident_id"] == key[0]) & (m["unit_id"] == key[1]))
        rows = np.flatnonzero(accepted & (q["incident_id"] == key[0]) & (q["unit_id"] == key[1]))
        assert len(ks) == len(rows)
        for k, row in zip(ks[np.argsort(m["t_alert_s"][ks], kind="stable")],
                          rows[np.argsort(q["t_answer_s"][rows], kind="stable")], strict=True):
            assert q["agreement"][row] == m["agreement"][k]
            assert q["t_answer_s"][row] == q["t_request_s"][row] + q["request_delay_s"][row]
            assert m["request_delay_s"][k] == q["request_delay_s"][row]
            if q["visibility"][row] == "station":  # alerted when the lending centre answered
                assert m["t_alert_s"][k] == q["t_answer_s"][row]
            else:  # reserved at the request, alerted after the delay
                assert m["t_alert_s"][k] == q["t_request_s"][row] + q["request_delay_s"][row]
    declined = q["outcome"] == "declined"
    assert set(q["reason"][declined]) <= {"none_free", "keep_home_min", "not_sooner"}
    assert (q["unit_id"][~accepted] == "").all() and (q["reason"][~declined] == "").all()
    assert (q["visibility"][~accepted] == "station").all()
    assert (q["t_request_s"] >= q["t_call_s"]).all()
