"""The records of a run: one row per incident, per unit mission, per unit and per request for help
between dispatch centres (the records contract).

The incident table has a column ``rt_<type>_s`` (first arrival of that unit type) for every type in
:data:`sim.model.units.UNIT_TYPES` when the run was compiled (:attr:`CompiledRun.type_names`);
:func:`incident_columns` (and ``sim.engine.INCIDENT_COLUMNS``, computed on access) follow the table
when a type is registered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.engine._layout import C_MISSIONS, C_REQUESTS, M_FLOAT, M_INT, OUTCOMES, R_FLOAT, R_INT
from sim.engine.compile import CompiledRun
from sim.model.units import Shift, unit_type_names

MISSION_COLUMNS: tuple[str, ...] = (
    "incident_id", "unit_id", "unit_type", "station", "station_country", "station_centre",
    "incident_country", "agreement", "direction", "cross_border", "from_returning", "estimated_leg",
    "t_call_s", "t_alert_s", "t_depart_s", "t_arrive_s", "t_leave_scene_s", "t_hospital_s", "t_free_s",
    "t_base_s", "hospital", "hospital_country", "request_delay_s", "travel_s",
)
UNIT_COLUMNS: tuple[str, ...] = (
    "unit_id", "station", "unit_type", "country", "dispatch_centre", "busy_s", "on_duty_s", "utilisation",
)
REQUEST_COLUMNS: tuple[str, ...] = (
    "incident_id", "unit_type", "requesting_centre", "incident_country", "lending_centre", "lending_country",
    "agreement", "visibility", "direction", "t_call_s", "t_request_s", "t_answer_s", "request_delay_s",
    "estimated_eta_s", "home_eta_s", "outcome", "reason", "unit_id", "in_warmup",
)
"""Columns of the request records: one row per request of a dispatch centre for a unit under an
agreement. ``visibility`` ``full``: the centre picked a unit it sees (always ``accepted``);
``station``: it asked the lending centre, which answered after the request delay (``t_answer_s``):
``accepted`` (``unit_id`` sent), ``declined`` (``reason`` ``none_free``, ``keep_home_min`` or
``not_sooner``: the lending centre's best free unit would arrive no sooner than the own one) or
``pending`` (not answered before the horizon). ``estimated_eta_s``: the requesting centre's ETA of
the foreign unit, ``home_eta_s`` that of its best home unit (NaN: none free), both from the request
(turnout included; the foreign ETA with the agreement's expected request delay: the centre cannot
know how long the call will take); ``direction``: lending country -> incident country."""


def incident_columns() -> tuple[str, ...]:
    """The columns of the incident records, with ``rt_<type>_s`` for each unit type in the table."""
    return ("incident_id", "type", "urgency", "norm_class", "t_call_s", "lat", "lon", "node", "country",
            "dispatch_centre", "response_time_s", *(f"rt_{u}_s" for u in unit_type_names()), "served",
            "cross_border", "primary_unit_country", "estimated_leg", "in_warmup", "beyond_extract")


@dataclass(eq=False)
class SimRecords:
    """The output of one run: column name -> numpy array (the records contract).

    Attributes
    ----------
    incidents, missions, units, requests
        One row per incident, per unit mission, per unit, per request for help
        (:data:`REQUEST_COLUMNS`).
    n_events
        SimPy events processed.
    notes
        Things the user should know (dropped places, hospitals with estimated legs).
    timings
        Seconds (wall) spent drawing the incidents (``incidents_s``), setting up (``setup_s``), in
        the SimPy event loop (``run_s``) and assembling these records (``records_s``); within the
        loop, the number of A* searches from units on their way home (``searches``) and the nodes
        they settled (``settled``), counts rather than seconds.
    """

    incidents: dict[str, np.ndarray]
    missions: dict[str, np.ndarray]
    units: dict[str, np.ndarray]
    requests: dict[str, np.ndarray]
    n_events: int
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def shift_seconds(shift: Shift, a: float, b: float) -> float:
    """Seconds of duty of a shift within ``[a, b)``."""
    if b <= a:
        return 0.0
    if shift.always:
        return b - a
    s, e = shift.start_hour % 24 * 3600.0, shift.end_hour % 24 * 3600.0
    total = 0.0
    d0, d1 = int(np.floor(a / 86400.0)) - 1, int(np.ceil(b / 86400.0)) + 1
    for d in range(d0, d1):
        base = d * 86400.0
        lo, hi = (base + s, base + e) if s < e else (base + s, base + 86400.0 + e)
        total += max(0.0, min(hi, b) - max(lo, a))
    return total


def _mission_arrays(run: CompiledRun) -> dict[str, Any]:
    """The core's mission records as named columns (plus the station and incident countries)."""
    state = run.state
    m = int(state["cnt"][C_MISSIONS])
    m_i, m_f = state["m_i"][:m], state["m_f"][:m]
    cols: dict[str, Any] = {k: m_i[:, c].copy() for c, k in enumerate(M_INT)}
    cols.update({k: m_f[:, c].copy() for c, k in enumerate(M_FLOAT)})
    m_inc, m_unit = cols["inc"], cols["unit"]
    cols["type"] = run.units.type[m_unit] if len(m_unit) else np.zeros(0, np.int64)
    cols["st_country"] = (np.asarray(run.units.country, dtype=object)[m_unit] if len(m_unit)
                          else np.zeros(0, object))
    cols["inc_country"] = (np.asarray(run.i_country, dtype=object)[m_inc] if len(m_inc)
                           else np.zeros(0, object))
    cols["cross"] = cols["st_country"] != cols["inc_country"]
    return cols


def _incident_table(run: CompiledRun, cols: dict[str, Any]) -> dict[str, Any]:
    inc, net, nt = run.inc, run.network, run.n_types
    n = len(inc)
    m_inc, m_unit, m_type = cols["inc"], cols["unit"], cols["type"]
    t_arrive = np.asarray(cols["t_arrive"], float)
    t_call = inc.t_call
    # first arrival per incident and unit type
    rt = np.full((n, nt), np.nan)
    first_unit = np.full((n, nt), -1, np.int64)
    if len(m_inc):
        order = np.lexsort((t_arrive, m_type, m_inc))
        mi, mt = m_inc[order], m_type[order]
        first = np.ones(len(order), bool)
        first[1:] = (mi[1:] != mi[:-1]) | (mt[1:] != mt[:-1])
        sel = order[first]
        rt[m_inc[sel], m_type[sel]] = t_arrive[sel] - t_call[m_inc[sel]]
        first_unit[m_inc[sel], m_type[sel]] = m_unit[sel]
    prim = np.array([run.type_names.index(t.primary) for t in run.types], np.int64)[inc.type_idx] \
        if n else np.zeros(0, np.int64)
    ar = np.arange(n)
    response = rt[ar, prim] if n else np.zeros(0)
    pu = first_unit[ar, prim] if n else np.zeros(0, np.int64)
    uc = np.asarray([*run.units.country, ""], dtype=object)
    served_slots = np.bincount(m_inc, minlength=n) if n else np.zeros(0, np.int64)
    active = inc.slot_active.sum(axis=1) if n else np.zeros(0, np.int64)
    applicable = active - run.state["na"]
    served = (served_slots >= applicable) & (applicable > 0)
    served &= run.state["unserved"] == 0
    cross_inc = np.zeros(n, bool)
    est_inc = np.zeros(n, bool)
    if len(m_inc):
        np.logical_or.at(cross_inc, m_inc, cols["cross"])
        np.logical_or.at(est_inc, m_inc, np.asarray(cols["est"], bool))
    names = np.asarray(inc.type_names, dtype=object)
    country_names = np.asarray([*net.countries, ""], dtype=object)
    centre_names = np.asarray([*net.centres, ""], dtype=object)
    return {
        "incident_id": np.arange(n, dtype=np.int64),
        "type": names[inc.type_idx] if n else np.zeros(0, object),
        "urgency": np.asarray(run.urg, np.int64)[inc.type_idx] if n else np.zeros(0, np.int64),
        "norm_class": np.asarray([t.norm_class or "" for t in run.types], dtype=object)[inc.type_idx]
        if n else np.zeros(0, object),
        "t_call_s": t_call.astype(float),
        "lat": inc.lat.astype(float), "lon": inc.lon.astype(float),
        "node": inc.node.astype(np.int64),
        "country": country_names[inc.country],
        "dispatch_centre": centre_names[inc.centre],
        "response_time_s": response,
        **{f"rt_{u}_s": rt[:, k] for k, u in enumerate(run.type_names)},
        "served": served,
        "cross_border": cross_inc,
        "primary_unit_country": uc[pu],
        "estimated_leg": est_inc,
        "in_warmup": t_call < run.spec.warmup_s,
        "beyond_extract": inc.beyond.astype(bool),
    }


def _mission_table(run: CompiledRun, cols: dict[str, Any]) -> dict[str, Any]:
    m_inc, m_unit, st_country, inc_country, cross = (cols[k] for k in ("inc", "unit", "st_country",
                                                                         "inc_country", "cross"))
    direction = np.full(len(m_unit), "", dtype=object)
    if cross.any():
        direction[cross] = st_country[cross] + "->" + inc_country[cross]
    hospitals = run.prep.hospitals
    hosp_name = np.asarray([h.name for h in hospitals] + [""], dtype=object)
    hosp_cty = np.asarray([h.country for h in hospitals] + [""], dtype=object)
    st_names = np.asarray([s.name for s in run.spec.stations], dtype=object)
    ag_names = np.asarray([a.name for a in run.agreements] + [""], dtype=object)
    some = len(m_unit) > 0
    return {
        "incident_id": m_inc,
        "unit_id": np.asarray(run.units.ids, dtype=object)[m_unit] if some else np.zeros(0, object),
        "unit_type": np.asarray(run.type_names, dtype=object)[cols["type"]],
        "station": st_names[run.units.station[m_unit]] if some else np.zeros(0, object),
        "station_country": st_country,
        "station_centre": np.asarray(run.units.centre, dtype=object)[m_unit] if some else np.zeros(0, object),
        "incident_country": inc_country,
        "agreement": ag_names[cols["ag"]],
        "direction": np.asarray(direction, dtype=object),
        "cross_border": cross.astype(bool),
        "from_returning": np.asarray(cols["from_ret"], bool),
        "estimated_leg": np.asarray(cols["est"], bool),
        "t_call_s": run.inc.t_call[m_inc] if len(m_inc) else np.zeros(0),
        "t_alert_s": np.asarray(cols["t_alert"], float),
        "t_depart_s": np.asarray(cols["t_depart"], float),
        "t_arrive_s": np.asarray(cols["t_arrive"], float),
        "t_leave_scene_s": np.asarray(cols["t_leave"], float),
        "t_hospital_s": np.asarray(cols["t_hosp"], float),
        "t_free_s": np.asarray(cols["t_free"], float),
        "t_base_s": np.asarray(cols["t_base"], float),
        "hospital": hosp_name[cols["hosp"]],
        "hospital_country": hosp_cty[cols["hosp"]],
        "request_delay_s": np.asarray(cols["req"], float),
        "travel_s": np.asarray(cols["travel"], float),
    }


def _overtime(units: Any, m_unit: Any, start: Any, end: Any, busy_each: Any, nu: int) -> Any:
    """Per unit, the busy time of its missions outside its shift: a mission begun before the shift
    ends is finished (:class:`sim.model.units.Shift`), and that time counts as on duty, so that a
    unit is never busy longer than it is on duty. A unit's missions never overlap, so duty plus
    overtime is the union of the two."""
    out = np.zeros(nu)
    if not len(m_unit):
        return out
    shifted = np.asarray([not sh.always for sh in units.shift], bool)
    for k in np.flatnonzero(shifted[m_unit] & (busy_each > 0)):
        u = int(m_unit[k])
        out[u] += busy_each[k] - shift_seconds(units.shift[u], float(start[k]), float(end[k]))
    return out


def _unit_table(run: CompiledRun, cols: dict[str, Any], missions: dict[str, Any]) -> dict[str, Any]:
    """Units: busy from decision to available again, within ``[warmup, horizon)``; on duty during
    their shifts and while finishing a mission past a shift's end."""
    units, spec, nu = run.units, run.spec, len(run.units)
    m_unit = cols["unit"]
    lo, hi = float(spec.warmup_s), float(spec.horizon_s)
    t_dec = np.asarray(cols["t_dec"], float)
    t_av = missions["t_free_s"] if run.redispatch else missions["t_base_s"]
    busy_each = np.clip(np.minimum(t_av, hi) - np.maximum(t_dec, lo), 0.0, None)
    busy = np.bincount(m_unit, weights=busy_each, minlength=nu) if len(m_unit) else np.zeros(nu)
    duty: dict[tuple[float, float], float] = {}  # units share a few shifts
    for sh in units.shift:
        if (sh.start_hour, sh.end_hour) not in duty:
            duty[sh.start_hour, sh.end_hour] = shift_seconds(sh, lo, hi)
    on_duty = np.asarray([duty[sh.start_hour, sh.end_hour] for sh in units.shift], float)
    on_duty += _overtime(units, m_unit, np.maximum(t_dec, lo), np.minimum(t_av, hi), busy_each, nu)
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(on_duty > 0, busy / on_duty, np.nan)
    st_names = np.asarray([s.name for s in spec.stations], dtype=object)
    return {
        "unit_id": np.asarray(units.ids, dtype=object),
        "station": st_names[units.station] if nu else np.zeros(0, object),
        "unit_type": np.asarray(run.type_names, dtype=object)[units.type],
        "country": np.asarray(units.country, dtype=object),
        "dispatch_centre": np.asarray(units.centre, dtype=object),
        "busy_s": busy, "on_duty_s": on_duty, "utilisation": util,
    }


def _pick(values: Any, k: Any) -> Any:
    """``values[k]`` as an object array (empty when `k` is)."""
    return np.asarray(values, dtype=object)[k] if len(k) else np.zeros(0, object)


def _request_table(run: CompiledRun) -> dict[str, Any]:
    """The core's request records as named columns (:data:`REQUEST_COLUMNS`)."""
    state = run.state
    n = int(state["cnt"][C_REQUESTS])
    ri = {k: state["r_i"][:n, c] for c, k in enumerate(R_INT)}
    rf = {k: state["r_f"][:n, c] for c, k in enumerate(R_FLOAT)}
    inc, units = ri["inc"], ri["unit"]
    # the unit sent, else the entry's first unit: the lending centre and country
    first = state["fl_units"][state["fl_uptr"][np.maximum(ri["entry"], 0)]] if n else np.zeros(0, np.int64)
    who = np.where(units >= 0, units, first)
    lend_country = _pick(run.units.country, who)
    inc_country = _pick(run.i_country, inc)
    centres = [*run.network.centres, ""]
    outcome = np.asarray([o for o, _ in OUTCOMES], dtype=object)
    reason = np.asarray([r for _, r in OUTCOMES], dtype=object)
    home = rf["home"].copy()
    home[~np.isfinite(home)] = np.nan
    t_call = run.inc.t_call[inc] if n else np.zeros(0)
    return {
        "incident_id": inc.copy(),
        "unit_type": _pick(run.type_names, state["slot_type"][inc * state["n_slots"] + ri["slot"]]),
        "requesting_centre": _pick(centres, ri["centre"]),
        "incident_country": inc_country,
        "lending_centre": _pick(run.units.centre, who),
        "lending_country": lend_country,
        "agreement": _pick([a.name for a in run.agreements], ri["ag"]),
        "visibility": np.where(ri["full"] == 1, "full", "station").astype(object),
        "direction": (lend_country + "->" + inc_country) if n else np.zeros(0, object),
        "t_call_s": t_call,
        "t_request_s": rf["t_request"].copy(),
        "t_answer_s": rf["t_answer"].copy(),
        "request_delay_s": rf["delay"].copy(),
        "estimated_eta_s": rf["est"].copy(),
        "home_eta_s": home,
        "outcome": outcome[ri["outcome"]],
        "reason": reason[ri["outcome"]],
        "unit_id": _pick([*run.units.ids, ""], np.where(units >= 0, units, -1)),
        "in_warmup": t_call < run.spec.warmup_s,
    }


def build_records(run: CompiledRun, *, n_events: int, notes: list[str]) -> SimRecords:
    """The records of a run whose event loop has finished."""
    cols = _mission_arrays(run)
    missions = _mission_table(run, cols)
    return SimRecords(incidents=_incident_table(run, cols), missions=missions,
                      units=_unit_table(run, cols, missions), requests=_request_table(run),
                      n_events=n_events, notes=notes)
