"""Compiling a run: a variant, its prepared matrices and its drawn incidents as the core's state.

:func:`compile_run` turns a :class:`sim.model.spec.ModelSpec`, its :class:`sim.engine.Prepared` and
its :class:`sim.model.demand.Incidents` into the arrays of the compiled core
(:class:`sim.engine._core.Core`) and the few Python lists the SimPy side and the records read.

The state is built by name, in parts (units; unit and incident types; incidents and their slots;
agreements and candidate lists; prepared matrices; searches; output), then put in the order of
:data:`sim.engine._layout.FIELDS`: a field that no part builds, that two parts build or that the
core does not know is an error naming it.

Unit types are read from :data:`sim.model.units.UNIT_TYPES` when a run is compiled: a type's code is
its index in the table, so a type added with :func:`sim.model.units.register_unit_type` runs like
the bundled ones. On a transported call the first slot of a type that ``transports`` takes the
patient to hospital; a type with a ``ride_along_share`` escorts it on that share of transports.

Candidate lists: per requesting centre and unit type, its home units, then per agreement the units
it may borrow. Units the centre sees (``visibility: full``; by default those of its own country,
:meth:`sim.model.agreements.Agreement.sees_units`) form one entry per agreement; units it cannot see
form one entry per lending centre (the centre it phones). A unit is listed under the first agreement
that covers it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.engine._layout import FIELDS, M_FLOAT, M_INT, N_COUNTERS, R_FLOAT, R_INT
from sim.engine._load import with_core
from sim.engine.prepare import Prepared, beyond_legs
from sim.model.agreements import RULES, Agreement, party_matches
from sim.model.demand import Incidents, IncidentType
from sim.model.spec import ModelSpec
from sim.model.streams import Streams
from sim.model.units import UNIT_TYPES, Shift, unit_type_names
from sim.roads.driving import Factors
from sim.roads.network import RoadNetwork

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_F64 = np.float64


@dataclass(eq=False)
class Units:
    """The units of a run, one entry per unit (station order, then the station's unit types).

    Attributes
    ----------
    station, type
        Station index and unit-type code of each unit (``type_l``: the same codes as a list).
    ids
        ``"station/type/k"``.
    shift, country, centre
        Each unit's shift, and its station's country and dispatch centre.
    lender
        Code of the unit's own dispatch centre among ``network.centres`` (``len(centres)`` where the
        network does not know it): the centre whose free units an agreement's ``keep_home_min``
        counts.
    home_of
        Codes of the centres that send the unit as their own (its centre and ``also_serves``).
    """

    station: IntArray
    type: IntArray
    type_l: list[int]
    ids: list[str]
    shift: list[Shift]
    country: list[str]
    centre: list[str]
    lender: list[int]
    home_of: list[list[int]]

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(eq=False)
class CompiledRun:
    """A run ready for the event loop: the core's state and what the SimPy side and records read.

    Attributes
    ----------
    state
        The core's arrays by field name, in :data:`sim.engine._layout.FIELDS` order.
    core
        The :class:`sim.engine._core.Core` holding the same arrays.
    entry_points
        ``(dispatch, start, free, answer)`` of the compiled core for `core`
        (:func:`sim.engine._core.entry_points`).
    type_names, n_types
        The unit types of :data:`sim.model.units.UNIT_TYPES` when the run was compiled (a type's code
        is its index here), and how many; the records use the same.
    n_centres
        Dispatch centres of the network (code ``n_centres`` stands for an unknown centre).
    home_q, lend_q
        Per unit: the waiting queues (key ``centre * n_types + type``; ``(n_centres + 1 + centre)
        * n_types + type`` for calls beyond the extract, which only home units answer) it serves as
        a home unit, and ``(queue, agreement)`` those it may serve under an agreement whose
        requesting centre sees it (a centre that cannot see a foreign unit does not know it became
        free).
    i_country, i_centre, i_type, i_t_call, urg, i_queue
        Per incident: country name, centre code, incident-type index, call time; per incident
        type: urgency; per incident: the key of its waiting queue less its unit type.
    """

    network: RoadNetwork
    spec: ModelSpec
    prep: Prepared
    inc: Incidents
    types: tuple[IncidentType, ...]
    agreements: tuple[Agreement, ...]
    type_names: tuple[str, ...]
    n_types: int
    n_centres: int
    units: Units
    can_fire: list[bool]
    redispatch: bool
    home_q: list[list[int]]
    lend_q: list[list[tuple[int, int]]]
    i_country: list[str]
    i_centre: list[int]
    i_type: list[int]
    i_t_call: list[float]
    urg: list[int]
    i_queue: list[int]
    state: dict[str, Any]
    core: Any
    entry_points: tuple[Any, Any, Any, Any]


def _can_fire(ag: Agreement) -> bool:
    """Whether an agreement's rule can ever allow help (a threshold of ``inf`` never does)."""
    return RULES[ag.rule].can_fire(ag.threshold_s)


def _offsets(lengths: Sequence[int]) -> IntArray:
    """CSR offsets of lists of these lengths."""
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


# ------------------------------------------------------------------------------------------ units
def _units(spec: ModelSpec, network: RoadNetwork, names: tuple[str, ...]) -> Units:
    code = {name: k for k, name in enumerate(names)}
    centre_code = {c: k for k, c in enumerate(network.centres)}
    station, types, ids, shifts = [], [], [], []
    for si, st in enumerate(spec.stations):
        for ut, k in st.units.items():
            if ut not in code:
                raise ValueError(f"station {st.name!r} has unknown unit type {ut!r}")
            for m in range(int(k)):
                station.append(si)
                types.append(code[ut])
                ids.append(f"{st.name}/{ut}/{m + 1}")
                shifts.append(st.shifts.get(ut, Shift()))
    centre = [spec.stations[s].dispatch_centre for s in station]
    home_of = []
    for s in station:
        st = spec.stations[s]
        codes = [centre_code[c] for c in (st.dispatch_centre, *st.also_serves) if c in centre_code]
        home_of.append(sorted(set(codes)))
    return Units(station=np.asarray(station, np.int64), type=np.asarray(types, np.int64), type_l=list(types),
                 ids=ids, shift=shifts, country=[spec.stations[s].country for s in station], centre=centre,
                 lender=[centre_code.get(c, len(network.centres)) for c in centre], home_of=home_of)


@dataclass(frozen=True)
class _Entry:
    """Foreign units a centre may get under one agreement: those it sees (``lender`` -1), or those
    of one lending centre it cannot see (``station``: it asks that centre)."""

    agreement: int
    units: list[int]
    station: bool
    lender: int


MAX_ENTRIES = 62
"""Most candidate-list entries per centre and unit type (the core keeps a slot's declined entries
as bits of one integer)."""


@dataclass(eq=False)
class _Candidates:
    """Per centre code and unit-type code: the home units, and the entries of foreign ones in
    agreement order (a unit is listed under the first agreement that covers it)."""

    home: list[list[list[int]]]
    foreign: list[list[list[_Entry]]]
    lend_targets: list[list[tuple[int, int]]]
    """Per unit: ``(centre, agreement)`` under which it may answer that centre's waiting calls
    (only where the centre sees it)."""


def _lent_units(spec: ModelSpec, units: Units, ag: Agreement, *, t: int, centre: str, country: str,
                claimed: set[int]) -> list[int]:
    """Units of type `t` that `ag` lends to `centre` (in `country`) and no earlier list claimed;
    they are added to `claimed`."""
    out: list[int] = []
    for lender, borrower in ag.lending_pairs():
        if not party_matches(borrower, country=country, centres=(centre,)):
            continue
        for j in range(len(units)):
            if units.type_l[j] != t or j in claimed:
                continue
            st = spec.stations[int(units.station[j])]
            if ag.stations and st.name not in ag.stations:
                continue
            if party_matches(lender, country=st.country, centres=(st.dispatch_centre,)):
                out.append(j)
                claimed.add(j)
    return out


def _entries(ag: Agreement, a: int, lent: list[int], units: Units, country: str) -> list[_Entry]:
    """`lent` as entries: the units the requesting centre (in `country`) sees, then those it does
    not see by lending centre."""
    seen = [j for j in lent if ag.sees_units(lender_country=units.country[j], borrower_country=country)]
    out = [_Entry(a, seen, False, -1)] if seen else []
    seen_set = set(seen)
    unseen = [j for j in lent if j not in seen_set]
    for lender in sorted({units.lender[j] for j in unseen}):
        out.append(_Entry(a, [j for j in unseen if units.lender[j] == lender], True, lender))
    return out


def _candidates(spec: ModelSpec, network: RoadNetwork, units: Units, agreements: tuple[Agreement, ...],
                names: tuple[str, ...]) -> _Candidates:
    n_centres, nu, nt = len(network.centres), len(units), len(names)
    centre_country = [*network.centre_country, ""]
    home: list[list[list[int]]] = [[[] for _ in range(nt)] for _ in range(n_centres + 1)]
    for c in range(n_centres):
        for t in range(nt):
            home[c][t] = [j for j in range(nu) if units.type_l[j] == t and c in units.home_of[j]]
    foreign: list[list[list[_Entry]]] = [[[] for _ in range(nt)] for _ in range(n_centres + 1)]
    lend_targets: list[list[tuple[int, int]]] = [[] for _ in range(nu)]
    for c in range(n_centres):
        for t in range(nt):
            claimed = set(home[c][t])
            for a, ag in enumerate(agreements):
                if names[t] not in ag.unit_types:
                    continue
                lent = _lent_units(spec, units, ag, t=t, centre=network.centres[c],
                                   country=centre_country[c], claimed=claimed)
                for entry in _entries(ag, a, lent, units, centre_country[c]):
                    foreign[c][t].append(entry)
                    if not entry.station:
                        for j in entry.units:
                            lend_targets[j].append((c, a))
            if len(foreign[c][t]) > MAX_ENTRIES:
                raise ValueError(f"centre {network.centres[c]!r} may borrow {names[t]} units through "
                                 f"{len(foreign[c][t])} agreements and lending centres "
                                 f"(at most {MAX_ENTRIES})")
    return _Candidates(home=home, foreign=foreign, lend_targets=lend_targets)


# ------------------------------------------------------------------------------------------ state parts
def _unit_state(prep: Prepared, units: Units, n_centres: int, nt: int, factors: Factors) -> dict[str, Any]:
    nu, st = len(units), units.station
    return {
        "u_station": units.station, "u_type": units.type,
        "u_node": prep.station_node[st].astype(np.int64),
        # a trip from the base starts and ends at a standstill (the legs beyond the extract are in fwd)
        "u_acc": factors.start_stop_s[units.type].astype(_F64),
        "u_est": prep.station_estimated[st].astype(np.bool_),
        "u_lender": np.asarray(units.lender, np.int64),
        "avail": np.zeros(nu, np.bool_), "in_mission": np.zeros(nu, np.bool_),
        "on_duty": np.ones(nu, np.bool_), "off_after": np.zeros(nu, np.bool_),
        "t_base": np.full(nu, -np.inf), "t_avail": np.zeros(nu), "ret_t0": np.zeros(nu),
        "ret_from": np.zeros(nu, np.int64), "ret_leg_out": np.zeros(nu),
        "ret_mission": np.full(nu, -1, np.int64),
        "cur_set": np.zeros(nu, np.bool_), "cur_y": np.zeros(nu, np.int64), "cur_c": np.zeros(nu),
        "cur_rv0": np.zeros(nu), "cur_end": np.zeros(nu, np.bool_),
        "free_cnt": np.zeros((n_centres + 1, nt), np.int64),
    }


def _type_state(spec: ModelSpec, urg: list[int], names: tuple[str, ...], factors: Factors) -> dict[str, Any]:
    types = spec.incident_types
    night = []
    for u in names:
        tout = spec.turnout.get(u)
        night.append((tout.night_start_hour, tout.night_end_hour) if tout is not None else (0.0, 0.0))
    return {
        "f_urgent": factors.urgent.astype(_F64), "f_normal": factors.normal.astype(_F64),
        "night_s": np.asarray([a for a, _ in night], _F64),
        "night_e": np.asarray([b for _, b in night], _F64),
        "ride_share": np.asarray([UNIT_TYPES[u].ride_along_share for u in names], _F64),
        "urg": np.asarray(urg, np.int64),
        "primary": np.asarray([names.index(t.primary) for t in types], np.int64),
        "lights": np.asarray([t.lights_and_sirens for t in types], np.bool_),
    }


def _first_transport_slot(inc: Incidents, names: tuple[str, ...]) -> IntArray:
    """Per incident: its first slot of a unit type that transports patients (``-1``: none)."""
    if not inc.slot_type.shape[1]:
        return np.full(len(inc), -1).astype(np.int64)
    carriers = [k for k, name in enumerate(names) if UNIT_TYPES[name].transports]
    carries = np.isin(inc.slot_type, carriers)
    return np.where(carries.any(axis=1), carries.argmax(axis=1), -1).astype(np.int64)


def _incident_state(inc: Incidents, i_centre: list[int], agreements: tuple[Agreement, ...],
                    names: tuple[str, ...], streams: Streams, variability: float) -> dict[str, Any]:
    used = (inc.slot_type >= 0) & inc.slot_active  # slots to fill, per incident in slot order
    req = np.zeros((len(agreements), len(inc)))
    for a, ag in enumerate(agreements):
        req[a] = inc.request_delay[ag.name]
    i_node = inc.node.astype(np.int64)
    i_node[inc.beyond] = -1 - np.arange(int(inc.beyond.sum()))  # row -1 - i_node of the b_* tables
    return {
        "n_slots": int(inc.n_slots), "i_node": i_node,
        "i_centre": np.asarray(i_centre, np.int64), "i_type": inc.type_idx.astype(np.int64),
        "t_call": inc.t_call.astype(_F64),
        "transport": inc.transport.astype(np.bool_),
        "first_transport_slot": _first_transport_slot(inc, names),
        "handover": inc.handover.astype(_F64),
        # whether an escort rides along: one draw per incident, from its own keyed stream (CRN)
        "ride_u": streams.keyed("transport", "ride_along").random(len(inc)),
        "inc_tm": np.full(len(inc), -1, np.int64),
        "slot_off": _offsets(used.sum(axis=1)),
        "slot_cols": np.nonzero(used)[1].astype(np.int64),
        "slot_type": np.ascontiguousarray(inc.slot_type, dtype=np.int64).ravel(),
        "on_scene": np.ascontiguousarray(inc.on_scene, dtype=_F64).ravel(),
        "turnout_day": np.ascontiguousarray(inc.turnout_day, dtype=_F64).ravel(),
        "turnout_night": np.ascontiguousarray(inc.turnout_night, dtype=_F64).ravel(),
        # the realised leg to the scene over the expected one: a standard normal per slot, from its
        # own stream (CRN: every variant draws the same), turned into a factor by the core
        "tt_z": streams["travel"].standard_normal(len(inc) * inc.n_slots),
        "tt_var": float(variability),
        "req": req,
        "declined": np.zeros(len(inc) * inc.n_slots, np.int64),
    }


def _agreement_state(agreements: tuple[Agreement, ...], cand: _Candidates, can_fire: list[bool],
                     n_centres: int, nt: int) -> dict[str, Any]:
    home, foreign = cand.home, cand.foreign
    applicable = np.array([[len(home[c][t]) > 0 or any(can_fire[e.agreement] for e in foreign[c][t])
                            for t in range(nt)] for c in range(n_centres + 1)], dtype=np.bool_)
    lists = [home[c][t] for c in range(n_centres + 1) for t in range(nt)]
    fl = [foreign[c][t] for c in range(n_centres + 1) for t in range(nt)]
    entries = [e for x in fl for e in x]
    return {
        "applicable": applicable,
        "ag_rule": np.asarray([RULES[ag.rule].code for ag in agreements], np.int64),
        "ag_threshold": np.asarray([ag.threshold_s for ag in agreements], _F64),
        "ag_keep": np.asarray([ag.keep_home_min for ag in agreements], np.int64),
        "ag_foreign_hosp": np.asarray([ag.foreign_hospital for ag in agreements], np.bool_),
        "ag_req_exp": np.asarray([ag.request_delay.expected() for ag in agreements], _F64),
        "home_ptr": _offsets([len(x) for x in lists]),
        "home_units": np.asarray([j for x in lists for j in x], np.int64),
        "fl_ptr": _offsets([len(x) for x in fl]),
        "fl_ag": np.asarray([e.agreement for e in entries], np.int64),
        "fl_station": np.asarray([e.station for e in entries], np.bool_),
        "fl_lender": np.asarray([e.lender for e in entries], np.int64),
        "fl_uptr": _offsets([len(e.units) for e in entries]),
        "fl_units": np.asarray([j for e in entries for j in e.units], np.int64),
    }


def _prepared_state(network: RoadNetwork, spec: ModelSpec, prep: Prepared) -> dict[str, Any]:
    n, ns = network.n_nodes, len(spec.stations)
    hosp_own, hosp_any = prep.nearest_hospitals()
    return {
        "fwd": np.ascontiguousarray(prep.fwd, dtype=_F64).reshape(ns, n),
        "rev": np.ascontiguousarray(prep.rev, dtype=_F64).reshape(ns, n),
        "rev_next": np.ascontiguousarray(prep.rev_next, dtype=np.int64).reshape(ns, n),
        "hosp_rev": np.ascontiguousarray(prep.hosp_rev, dtype=_F64).reshape(len(prep.hospitals), n),
        "hosp_extra": prep.hosp_extra_s.astype(_F64), "hosp_node": prep.hosp_node.astype(np.int64),
        "hosp_est": prep.hosp_estimated.astype(np.bool_),
        "hosp_own": hosp_own, "hosp_any": hosp_any,
        "hospital_any_policy": spec.policy.hospital == "nearest_any",
        "redispatch": bool(spec.policy.redispatch_returning),
        "tie_idle": spec.policy.tie_break == "idle_longest",
    }


def _beyond_state(prep: Prepared, inc: Incidents, nu: int) -> dict[str, Any]:
    """Incidents beyond the extract (core node ``-1 - k`` for row ``k``): the estimated legs from
    the stations, their hospital by policy column (0: own country, 1: any), and the legs from the
    hospitals back to the stations (:func:`sim.engine.prepare.beyond_legs`)."""
    b = inc.beyond
    leg, hosp, hosp_s = beyond_legs(prep, inc.lat[b], inc.lon[b], inc.country[b], inc.centre[b])
    return {"b_leg": np.ascontiguousarray(leg, dtype=_F64), "b_hosp": np.ascontiguousarray(hosp, np.int64),
            "b_hosp_s": np.ascontiguousarray(hosp_s, dtype=_F64),
            "hs_leg": np.ascontiguousarray(prep.hospital_legs(), dtype=_F64),
            "ret_off": np.zeros(nu, np.bool_)}


def _search_state(network: RoadNetwork, prep: Prepared, nu: int) -> dict[str, Any]:
    n = network.n_nodes
    lm, n_lm = prep.landmarks()
    lm_station, lm_pred = prep.trees()
    indptr, indices, data = prep.search_graph()
    return {
        "lm": np.ascontiguousarray(lm, dtype=_F64).reshape(n, 2 * n_lm), "n_lm": int(n_lm),
        "lm_station": lm_station, "lm_pred": lm_pred,
        "indptr": indptr, "indices": indices, "data": data, "n_nodes": int(n),
        "lat_r": np.radians(network.lat).astype(_F64), "lon_r": np.radians(network.lon).astype(_F64),
        "cos_lat": np.cos(np.radians(network.lat)).astype(_F64), "inv_vmax": 1.0 / prep.vmax_mps,
        "g": np.full(n, np.inf), "hv": np.zeros(n), "stamp": np.zeros(n, np.int64),
        "heap_f": np.empty(len(data) + 1), "heap_v": np.empty(len(data) + 1, np.int64),
        "tt_cache": None,  # made by the compiled core (_core_of)
        "path_buf": np.zeros(n + 1, np.int64), "moving_buf": np.zeros(max(nu, 1), np.int64),
        "mh_i": np.full(3, -1, np.int64), "mh_f": np.zeros(2), "cnt": np.zeros(N_COUNTERS, np.int64),
    }


def _request_capacity(inc: Incidents, i_centre: list[int], cand: _Candidates) -> int:
    """Most requests a run can record: per slot to fill, one per entry its centre cannot see (each
    asked at most once) and one for a unit it sees (a slot is started once)."""
    per_ct = np.array([[sum(e.station for e in x) + any(not e.station for e in x) for x in row]
                       for row in cand.foreign], np.int64)
    if not len(inc) or not per_ct.size:
        return 0
    used = (inc.slot_type >= 0) & inc.slot_active
    centre = np.broadcast_to(np.asarray(i_centre, np.int64)[:, None], used.shape)
    return int(per_ct[centre[used], inc.slot_type[used]].sum())


def _output_state(inc: Incidents, n_requests: int) -> dict[str, Any]:
    n_inc = len(inc)
    n_missions = int(((inc.slot_type >= 0) & inc.slot_active).sum())  # a slot is started at most once
    return {
        "unserved": np.zeros(n_inc, np.int64), "na": np.zeros(n_inc, np.int64),
        "m_i": np.zeros((n_missions, len(M_INT)), np.int64),
        "m_f": np.zeros((n_missions, len(M_FLOAT))),
        "r_i": np.zeros((n_requests, len(R_INT)), np.int64),
        "r_f": np.zeros((n_requests, len(R_FLOAT))),
        "out_kind": np.zeros(inc.n_slots + 1, np.int64), "out_a": np.zeros(inc.n_slots + 1, np.int64),
        "out_t": np.zeros(inc.n_slots + 1),
    }


def ordered_state(parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The parts merged into one dict in :data:`sim.engine._layout.FIELDS` order.

    Raises
    ------
    ValueError
        Naming the fields built twice, those missing and those the core does not know.
    """
    merged: dict[str, Any] = {}
    twice: list[str] = []
    for part in parts:
        twice += [k for k in part if k in merged]
        merged.update(part)
    missing = [k for k in FIELDS if k not in merged]
    unknown = [k for k in merged if k not in FIELDS]
    if twice or missing or unknown:
        raise ValueError("the engine's state does not match the compiled core's fields: "
                         + "; ".join(f"{what}: {', '.join(names)}" for what, names in
                                     (("built twice", twice), ("missing", missing), ("unknown", unknown))
                                     if names))
    return {k: merged[k] for k in FIELDS}


def _core_of(state: dict[str, Any]) -> tuple[Any, tuple[Any, Any, Any, Any]]:
    """The :class:`sim.engine._core.Core` of `state` (its ``tt_cache`` made here) and its entry points.

    The core is imported here, not with the package: importing numba takes 0.1 to 0.3 s, which
    commands that never simulate (validate, plots) are spared. A corrupt numba cache is removed and
    the core compiled again (:func:`sim.engine._load.with_core`).
    """

    def build(module: ModuleType) -> tuple[Any, tuple[Any, Any, Any, Any]]:
        state["tt_cache"] = module.new_tt_cache()
        core = module.Core(*state.values())
        return core, module.entry_points(core)

    return with_core(build)


def compile_run(network: RoadNetwork, spec: ModelSpec, prep: Prepared, inc: Incidents,
                streams: Streams) -> CompiledRun:
    """Compile one run (draws the request delays of agreements `inc` lacks, and whether escorts
    ride along, from `streams`)."""
    inc.ensure_request_delays(spec.agreements, streams)
    agreements = tuple(spec.agreements)
    names = unit_type_names()
    nt, n_centres = len(names), len(network.centres)
    units = _units(spec, network, names)
    cand = _candidates(spec, network, units, agreements, names)
    can_fire = [_can_fire(ag) for ag in agreements]
    i_centre = [c if c >= 0 else n_centres for c in inc.centre.tolist()]
    urg = [t.urgency for t in spec.incident_types]
    factors = spec.driving.factors(network, names)
    state = ordered_state((
        _unit_state(prep, units, n_centres, nt, factors), _type_state(spec, urg, names, factors),
        _incident_state(inc, i_centre, agreements, names, streams, spec.driving.variability),
        _agreement_state(agreements, cand, can_fire, n_centres, nt), _prepared_state(network, spec, prep),
        _search_state(network, prep, len(units)),
        _output_state(inc, _request_capacity(inc, i_centre, cand)),
        _beyond_state(prep, inc, len(units)),
    ))
    core, entry_points = _core_of(state)
    return CompiledRun(
        network=network, spec=spec, prep=prep, inc=inc, types=spec.incident_types, agreements=agreements,
        type_names=names, n_types=nt, n_centres=n_centres, units=units, can_fire=can_fire,
        redispatch=bool(spec.policy.redispatch_returning),
        home_q=[[q * nt + units.type_l[j] for c in units.home_of[j] for q in (c, n_centres + 1 + c)]
                for j in range(len(units))],
        lend_q=[[(c * nt + units.type_l[j], a) for c, a in cand.lend_targets[j]] for j in range(len(units))],
        i_country=[network.countries[c] if c >= 0 else "" for c in inc.country.tolist()],
        i_centre=i_centre, i_type=inc.type_idx.tolist(), i_t_call=inc.t_call.tolist(), urg=urg,
        i_queue=[(c + (n_centres + 1) * b) * nt for c, b in zip(i_centre, inc.beyond.tolist(), strict=True)],
        state=state, core=core, entry_points=entry_points,
    )
