"""The engine's decision core, compiled with numba: choosing, pricing and starting units.

The SimPy side (:mod:`sim.engine.simulate`: one timeout per decision and per unit becoming free,
the waiting queues, shifts) makes **one** call into this module at each dispatch decision and each
unit becoming free; the call reads and updates the run's state in place and says what to schedule.
The rules are those of :mod:`sim.engine.simulate` (its docstring is the reference); this module is
their implementation.

Why this shape: a call from Python into compiled code has a fixed cost (about a microsecond), and
state shared with compiled code must live in numpy arrays, which Python reads several times slower
than lists. So a whole decision is one call, and its state is one :class:`Core` (a numba
``structref``: one argument, cacheable on disk, unlike a ``jitclass``) holding the arrays (fields:
:data:`sim.engine._layout.FIELDS`, built by :mod:`sim.engine.compile`); the SimPy side keeps
references to the same arrays for the rare paths it handles itself (queues, shifts, records).

Entry points (:func:`entry_points`): :func:`dispatch` (all slots of one call), :func:`start` (one
unit to one slot, for a slot taken from a queue), :func:`free` (a unit becomes free),
:func:`answer` (a lending centre answers a request); and, for tests, :func:`bounds` and
:func:`walk`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import typeof, types
from numba.experimental import structref
from numba.typed import Dict

from sim.engine._layout import (
    ACCEPTED,
    C_MISSIONS,
    C_REQUESTS,
    C_SEARCHES,
    C_SETTLED,
    C_STAMP,
    FIELDS,
    KEEP_HOME,
    M_FLOAT,
    M_INT,
    NONE_FREE,
    NOT_SOONER,
)
from sim.model.agreements import RULES
from sim.model.units import is_night
from sim.roads._astar import K_BEST, astar, jit
from sim.roads.driving import travel_cv, travel_factor
from sim.roads.network import EARTH_RADIUS_M

# agreement rules (sim.model.agreements.RULES): the codes this core branches on
_IF_FASTER_BY = RULES["if_faster_by"].code
_IF_HOME_ETA_OVER = RULES["if_home_eta_over"].code
_IF_NO_HOME_UNIT = RULES["if_no_home_unit"].code
_IF_SHORT_OR_SLOWER = RULES["if_home_short_or_slower"].code

_TBASE, _TARRIVE, _TLEAVE = M_FLOAT.index("t_base"), M_FLOAT.index("t_arrive"), M_FLOAT.index("t_leave")
_THOSP, _TFREE, _HOSP = M_FLOAT.index("t_hosp"), M_FLOAT.index("t_free"), M_INT.index("hosp")

_jit = jit()


@structref.register
class CoreType(types.StructRef):
    def preprocess_fields(self, fields: Any) -> Any:
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class Core(structref.StructRefProxy):
    """The state of one run, shared between the compiled core and the engine (fields: `FIELDS`)."""

    def __new__(cls, *args: Any) -> Any:
        # numba's own constructor is compiled afresh in every process (seconds for this many
        # fields); this one is cached on disk like the rest of the core
        return _new_core(*args)


structref.define_proxy(Core, CoreType, list(FIELDS))


@_jit
def _new_core(*args: Any) -> Any:
    return Core(*args)


_TT_VALUE = types.UniTuple(types.float64, 2)


@_jit
def new_tt_cache() -> Any:
    """An empty cache of searches: ``(x * n_nodes + target) -> (time or inf, limit)``."""
    return Dict.empty(key_type=types.int64, value_type=_TT_VALUE)


# ------------------------------------------------------------------------------------------ helpers
_is_night = _jit(is_night)
_travel_cv = _jit(travel_cv)
_travel_factor = _jit(travel_factor)


@_jit
def _turnout(s: Any, i: int, sl: int, t: int, t_alert: float) -> float:
    """The slot's turnout draw, the night one when `t_alert` falls in type `t`'s night hours."""
    k = i * s.n_slots + sl
    if _is_night(t_alert, s.night_s[t], s.night_e[t]):
        return s.turnout_night[k]
    return s.turnout_day[k]


@_jit
def _position(s: Any, j: int, now: float) -> tuple[int, float]:
    """``(node, extra seconds before driving from it)`` of available unit `j`.

    On its way home a unit is at the last node of its route that it has passed: a cursor (node,
    time from the start of the route) moves along the route one next hop at a time, as far as the
    unit has come (time only moves forward, so it never moves back).
    """
    if now >= s.t_base[j]:
        return s.u_node[j], 0.0
    e = now - s.ret_t0[j]
    out = s.ret_leg_out[j]
    if e < out:
        return s.ret_from[j], out - e
    e2 = e - out
    st = s.u_station[j]
    fn = s.f_normal[s.u_type[j]]
    if not s.cur_set[j]:
        x0 = s.ret_from[j]
        rv0 = s.rev[st, x0]
        s.cur_set[j] = True
        s.cur_y[j] = x0
        s.cur_c[j] = (rv0 - rv0) * fn
        s.cur_rv0[j] = rv0
        s.cur_end[j] = False
    y, c, rv0, end = s.cur_y[j], s.cur_c[j], s.cur_rv0[j], s.cur_end[j]
    if not end:
        while True:
            z = s.rev_next[st, y]
            if z < 0:
                end = True
                s.cur_end[j] = True
                break
            cz = (rv0 - s.rev[st, z]) * fn
            if cz > e2:
                break
            y, c = z, cz
        s.cur_y[j], s.cur_c[j] = y, c
    if end and e2 >= c:  # on the off-network leg of an off-network station: turn back
        return y, e2 - c
    return y, 0.0


@_jit
def bounds(s: Any, x: int, target: int) -> tuple[float, float, int]:
    """Landmark bounds of the normal driving time from `x` to `target`: ``(lower, upper, k)``.

    Lower: ``max(fwd[L, target] - fwd[L, x], rev[L, x] - rev[L, target])`` over the station nodes
    ``L`` (triangle inequality), less a rounding margin; `k` says which term gave it (see
    :func:`walk`). Upper: ``min(rev[L, x] + fwd[L, target])`` (``inf`` when no landmark links them).
    """
    n = s.n_lm
    if n == 0:
        return 0.0, np.inf, -1
    lm = s.lm
    k = 0
    lo = lm[target, 0] - lm[x, 0]
    for c in range(1, 2 * n):
        d = lm[target, c] - lm[x, c]
        if d > lo:
            lo, k = d, c
    hi = lm[target, 0] - lm[x, n]
    for c in range(1, n):
        v = lm[target, c] - lm[x, n + c]
        if v < hi:
            hi = v
    return lo - 1e-6 * (1.0 + abs(lo)), (hi if hi < 1e17 else np.inf), k


@_jit
def _edge(s: Any, a: int, b: int) -> float:
    """The time of edge ``a -> b`` as the searches use it."""
    w = np.nan
    for e in range(s.indptr[a], s.indptr[a + 1]):
        if s.indices[e] == b:
            w = s.data[e]
    return w


@_jit
def walk(s: Any, x: int, target: int, k: int) -> float:
    """Driving time from `x` to `target` along a landmark's shortest-path tree, or ``-1``.

    Term `k` of :func:`bounds`: for ``k < L`` the path is found when `x` is an ancestor of
    `target` in the forward tree of landmark ``k``; for ``k >= L`` when `target` lies on the route
    from `x` to landmark ``k - L`` (e.g. a unit driving home past the incident). A part of a
    shortest path is a shortest path, so this is the exact shortest time; it is summed edge by edge
    from `x`, as Dijkstra does (the two can differ in the last bit only where two shortest paths
    tie exactly). ``-1`` when the tree does not contain such a path.
    """
    n = s.n_lm
    if k < 0:
        return -1.0
    if k < n:  # up the forward tree from target (predecessors), back to x; summed from x
        st = s.lm_station[k]
        bound = s.fwd[st, x]
        path = s.path_buf
        m = 0
        y = target
        path[m] = y
        m += 1
        while y != x:
            y = s.lm_pred[k, y]
            if y < 0 or s.fwd[st, y] < bound:
                return -1.0
            path[m] = y
            m += 1
        d = 0.0
        for q in range(m - 1, 0, -1):
            d = d + _edge(s, path[q], path[q - 1])
        return d
    st = s.lm_station[k - n]  # along the route home from x (next hops), through target
    bound = s.rev[st, target]
    d = 0.0
    y = x
    while y != target:
        z = s.rev_next[st, y]
        if z < 0 or s.rev[st, z] < bound:
            return -1.0
        d = d + _edge(s, y, z)
        y = z
    return d


@_jit
def _search(s: Any, x: int, target: int, need: float) -> float:
    """Normal driving time from `x` to `target`: exact up to `need` seconds (a little more, for
    rounding), ``inf`` beyond; remembered for later calls (A*, :mod:`sim.roads._astar`)."""
    lim = need if need == np.inf else need * (1.0 + 1e-9) + 1e-6
    s.cnt[C_STAMP] += 1
    tt, settled = astar(s.indptr, s.indices, s.data, s.lm, K_BEST, x, target, lim, s.g, s.hv, s.stamp,
                         s.cnt[C_STAMP], s.heap_f, s.heap_v)
    s.cnt[C_SEARCHES] += 1
    s.cnt[C_SETTLED] += settled
    s.tt_cache[x * s.n_nodes + target] = (tt, lim)
    return tt


@_jit
def _travel(s: Any, x: int, target: int) -> float:
    """Exact normal driving time from node `x` to `target` (an earlier search reused when exact)."""
    key = x * s.n_nodes + target
    if key in s.tt_cache:
        hit = s.tt_cache[key]
        if hit[0] <= hit[1]:
            return hit[0]
    _, hi, k = bounds(s, x, target)
    tt = walk(s, x, target, k)
    if tt >= 0.0:
        return tt
    return _search(s, x, target, hi)


@_jit
def _moving_eta(s: Any, j: int, now: float, target: int, f: float, best: float) -> float:
    """ETA of unit `j` on its way home (no turnout), or ``inf`` if it cannot beat `best`."""
    x, extra = _position(s, j, now)
    if x == target:
        s.mh_i[0], s.mh_i[1], s.mh_i[2] = j, target, x
        s.mh_f[0], s.mh_f[1] = now, 0.0
        return extra
    # straight line at top speed (a little less, for rounding)
    d_lat, d_lon = s.lat_r[target] - s.lat_r[x], s.lon_r[target] - s.lon_r[x]
    a = math.sin(d_lat * 0.5) ** 2 + s.cos_lat[x] * s.cos_lat[target] * math.sin(d_lon * 0.5) ** 2
    a = 0.0 if a < 0.0 else a
    a = 1.0 if a > 1.0 else a
    straight = 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(a))
    if extra + straight * s.inv_vmax * (1.0 - 1e-9) * f >= best:
        return np.inf
    need = (best - extra) / f if best < np.inf else np.inf
    key = x * s.n_nodes + target
    tt = -1.0
    found = False
    if key in s.tt_cache:
        hit = s.tt_cache[key]
        if hit[1] >= need or hit[0] <= hit[1]:  # exact (or beyond need)
            tt = hit[0]
            found = True
    if not found:
        lo, hi, k = bounds(s, x, target)
        if extra + lo * f >= best:
            return np.inf
        tt = walk(s, x, target, k)
        if tt < 0.0:
            tt = _search(s, x, target, hi if hi < need else need)
    if tt == np.inf:
        return np.inf
    s.mh_i[0], s.mh_i[1], s.mh_i[2] = j, target, x
    s.mh_f[0], s.mh_f[1] = now, tt
    return extra + tt * f


@_jit
def _leg(s: Any, st: int, target: int) -> float:
    """Normal driving time from station `st` to `target`: a node, or, below 0, incident row
    ``-1 - target`` beyond the extract (its estimated leg)."""
    return s.fwd[st, target] if target >= 0 else s.b_leg[-1 - target, st]


@_jit
def _home_first(s: Any, j: int, now: float, target: int, f: float) -> float:
    """ETA of unit `j` on its way home (no turnout) when it drives home first, then out: to a call
    beyond the extract, and to any call while it returns from one (modelling choice)."""
    return s.t_base[j] - now + _leg(s, s.u_station[j], target) * f + s.u_acc[j]


@_jit
def _best(s: Any, units: Any, lo: int, hi: int, now: float, target: int, f: float, turnout: float,
          best: float, keep_type: int, keep_min: int) -> tuple[float, int]:
    """Best (ETA, unit) among the available units ``units[lo:hi]``; the ETA must beat `best`.

    Units at base first (ties: the unit back at base the longest when ``tie_idle``, else the first
    in the list), then units on their way home in list order. ``keep_min > 0`` skips units whose
    lending centre would keep fewer free units of ``keep_type``. A `target` below 0 is incident row
    ``-1 - target`` beyond the extract (:func:`_leg`); a unit on its way home drives home first to
    such a call, and to any call while it returns from one (:func:`_home_first`).
    """
    bmin = np.inf
    bj = -1
    nm = 0
    for q in range(lo, hi):
        j = units[q]
        if not s.avail[j]:
            continue
        if keep_min > 0 and s.free_cnt[s.u_lender[j], keep_type] - 1 < keep_min:
            continue
        if s.t_base[j] <= now:
            eta = _leg(s, s.u_station[j], target) * f + s.u_acc[j] + turnout
            if eta < bmin or (eta == bmin and s.tie_idle and bj >= 0 and s.t_base[j] < s.t_base[bj]):
                bmin, bj = eta, j
        else:
            s.moving_buf[nm] = j
            nm += 1
    if bmin < best:
        best = bmin
    else:
        bj = -1
    for q in range(nm):
        j = s.moving_buf[q]
        if target < 0 or s.ret_off[j]:
            e = _home_first(s, j, now, target, f)
        else:
            e = _moving_eta(s, j, now, target, f, best)
        if e < best:
            best, bj = e, j
    return best, bj


@_jit
def _station_eta(s: Any, e: int, target: int, f: float) -> float:
    """The requesting centre's ETA of candidate-list entry `e` without turnout and request delay:
    the best drive from the stations of the entry's units on duty (it knows the rosters, not where
    units are or whether they are busy)."""
    best = np.inf
    for q in range(s.fl_uptr[e], s.fl_uptr[e + 1]):
        j = s.fl_units[q]
        if not s.on_duty[j]:
            continue
        eta = s.fwd[s.u_station[j], target] * f + s.u_acc[j]
        if eta < best:
            best = eta
    return best


@_jit
def _choose(s: Any, i: int, sl: int, t: int, c: int,
            now: float) -> tuple[int, int, float, int, float, float]:
    """What centre `c` does for slot `sl` of incident `i` at `now`.

    ``(unit, agreement, turnout, entry, h, eta)``: a unit to start (``agreement`` -1 for a home
    unit; `turnout` its turnout if at base), or, with unit -1 and ``entry >= 0``, a request to the
    lending centre of that ``visibility: station`` entry (`eta` the centre's estimate), or nothing
    (both -1); `h` is the best home ETA (``inf``: no home unit free). Entries already declined for
    the slot are skipped.
    """
    target = s.i_node[i]
    f = s.f_urgent[t] if s.lights[s.i_type[i]] else s.f_normal[t]
    turnout = _turnout(s, i, sl, t, now)
    ct = c * s.f_normal.shape[0] + t
    h, j = _best(s, s.home_units, s.home_ptr[ct], s.home_ptr[ct + 1], now, target, f, turnout, np.inf, 0, 0)
    e0, e1 = s.fl_ptr[ct], s.fl_ptr[ct + 1]
    if e0 == e1 or target < 0:  # beyond the extract: home units only
        return j, -1, turnout, -1, h, h
    best, bj, ba, btout, be = h, j, -1, turnout, -1
    declined = s.declined[i * s.n_slots + sl]
    since_call = now - s.t_call[i]
    for e in range(e0, e1):
        a = s.fl_ag[e]
        rule = s.ag_rule[a]
        if rule == _IF_NO_HOME_UNIT and j >= 0:
            continue
        if rule == _IF_HOME_ETA_OVER and not h > s.ag_threshold[a]:
            continue
        if rule == _IF_SHORT_OR_SLOWER and not (s.ag_threshold[a] < np.inf
                                                and (j < 0 or since_call + h > s.ag_threshold[a])):
            continue
        margin = s.ag_threshold[a] if rule == _IF_FASTER_BY else 0.0
        lim = h - margin  # NaN when both are inf: such a rule never fires
        if not lim > 0:
            continue
        bound = lim if lim < best else best
        if s.fl_station[e] and (declined >> (e - e0)) & 1:
            continue
        # the requesting centre cannot know how long the phone call will take: it estimates with the
        # agreement's expected delay; the unit it picks is alerted after the realised one, so its
        # turnout (returned) is the one at that alert
        est = s.ag_req_exp[a] + _turnout(s, i, sl, t, now + s.ag_req_exp[a])
        if s.fl_station[e]:
            ea = _station_eta(s, e, target, f) + est
            if ea < bound:
                best, bj, ba, btout, be = ea, -1, a, _turnout(s, i, sl, t, now + s.req[a, i]), e
            continue
        ea, fj = _best(s, s.fl_units, s.fl_uptr[e], s.fl_uptr[e + 1], now, target, f, est, bound,
                       t, s.ag_keep[a])
        if fj >= 0 and ea < bound:
            best, bj, ba, btout, be = ea, fj, a, _turnout(s, i, sl, t, now + s.req[a, i]), -1
    return bj, ba, btout, be, h, best


@_jit
def _ride_along(s: Any, i: int, t: int, t_arrive: float) -> int:
    """The mission of incident `i`'s transport that a unit of type `t` arriving at `t_arrive` escorts
    to hospital, or -1: its type rides along, the patient is transported by a unit already started,
    the draw falls within the type's share and the patient has not left the scene yet."""
    if not s.ride_share[t] > 0.0:
        return -1
    tm = s.inc_tm[i]
    if tm < 0 or not s.ride_u[i] < s.ride_share[t] or not t_arrive < s.m_f[tm, _TLEAVE]:
        return -1
    return tm


@_jit
def _launch(s: Any, j: int, i: int, sl: int, now: float, delay: float, a: int, turnout: float,
            req_rec: float) -> float:
    """Send unit `j` to slot `sl` of incident `i`: reserved at `now`, alerted after `delay` (`a`:
    agreement or -1; `req_rec`: the request delay the mission records); record the mission; return
    when the unit is free again (to schedule).

    `turnout`: the unit's turnout when it is at base, if the caller already drew it for this alert
    time (:func:`_choose`); negative: look it up.
    """
    t = s.u_type[j]
    target = s.i_node[i]
    itype = s.i_type[i]
    f = s.f_urgent[t] if s.lights[itype] else s.f_normal[t]
    t_alert = now + delay
    st = s.u_station[j]
    at_base = now >= s.t_base[j]
    if at_base:
        if turnout < 0.0:
            turnout = _turnout(s, i, sl, t, t_alert)
        travel = s.u_acc[j] + _leg(s, st, target) * f
        est = s.u_est[j] or target < 0
    elif target < 0 or s.ret_off[j]:  # on its way home, home first (as priced by _best)
        turnout = 0.0
        travel = _home_first(s, j, now, target, f)
        est = True
        m_prev = s.ret_mission[j]
        if m_prev >= 0:
            s.m_f[m_prev, _TBASE] = np.nan
    else:
        x, extra = _position(s, j, now)
        turnout = 0.0
        if s.mh_i[0] == j and s.mh_f[0] == now and s.mh_i[1] == target and s.mh_i[2] == x:
            tt = s.mh_f[1]
        else:
            tt = 0.0 if x == target else _travel(s, x, target)
        travel = extra + tt * f
        est = False
        m_prev = s.ret_mission[j]
        if m_prev >= 0:
            s.m_f[m_prev, _TBASE] = np.nan
    s.mh_i[0] = -1
    if s.tt_var > 0.0:  # the leg as driven: the expected one (chosen on) × this slot's factor
        travel *= _travel_factor(_travel_cv(s.tt_var, travel), s.tt_z[i * s.n_slots + sl])
    t_depart = t_alert + turnout
    t_arrive = t_depart + travel
    t_leave = t_arrive + s.on_scene[i * s.n_slots + sl]
    hosp, t_hosp = -1, np.nan
    ret_from, leg_out = target, 0.0
    t_free = t_leave
    m = s.cnt[C_MISSIONS]
    if sl == s.first_transport_slot[i] and s.transport[i] and target < 0:
        col = 1 if s.hospital_any_policy else 0
        hosp = s.b_hosp[-1 - target, col]
        if hosp >= 0:
            ft = s.f_urgent[t] if s.urg[itype] == 1 else s.f_normal[t]
            t_hosp = t_leave + s.b_hosp_s[-1 - target, col] * ft
            t_free = t_hosp + s.handover[i]
            s.inc_tm[i] = m
    elif sl == s.first_transport_slot[i] and s.transport[i]:
        any_c = s.hospital_any_policy or (a >= 0 and s.ag_foreign_hosp[a])
        hosp = s.hosp_any[target] if any_c else s.hosp_own[target]
        if hosp >= 0:
            ft = s.f_urgent[t] if s.urg[itype] == 1 else s.f_normal[t]
            t_hosp = t_leave + s.hosp_rev[hosp, target] * ft + s.hosp_extra[hosp]
            t_free = t_hosp + s.handover[i]
            s.inc_tm[i] = m
    else:
        tm = _ride_along(s, i, t, t_arrive)
        if tm >= 0:  # escorts the patient: leaves with it, free at the handover
            hosp = s.m_i[tm, _HOSP]
            t_leave, t_hosp, t_free = s.m_f[tm, _TLEAVE], s.m_f[tm, _THOSP], s.m_f[tm, _TFREE]
    if target < 0:  # back from beyond the extract: an estimated leg from the scene or the hospital
        back = s.hs_leg[hosp, st] if hosp >= 0 else s.b_leg[-1 - target, st]
        t_base = t_free + back * s.f_normal[t] + s.u_acc[j]
        ret_from = s.u_node[j]
    else:
        if hosp >= 0:
            ret_from = s.hosp_node[hosp]
            leg_out = s.hosp_extra[hosp]
            est = est or s.hosp_est[hosp]
        t_base = t_free + leg_out + s.rev[st, ret_from] * s.f_normal[t] + s.u_acc[j]
    s.ret_off[j] = target < 0
    # state
    s.avail[j] = False
    s.free_cnt[s.u_lender[j], t] -= 1
    s.in_mission[j] = True
    s.ret_t0[j] = t_free
    s.ret_from[j] = ret_from
    s.ret_leg_out[j] = leg_out
    s.cur_set[j] = False
    s.t_base[j] = t_base
    s.ret_mission[j] = m
    s.cnt[C_MISSIONS] = m + 1
    mi, mf = s.m_i[m], s.m_f[m]
    mi[0], mi[1], mi[2], mi[3], mi[4], mi[5] = i, j, a, not at_base, est, hosp
    mf[0], mf[1], mf[2], mf[3], mf[4] = now, t_alert, t_depart, t_arrive, t_leave
    mf[5], mf[6], mf[7], mf[8], mf[9] = t_hosp, t_free, req_rec, travel, t_base
    at = t_free if s.redispatch else t_base
    s.t_avail[j] = at
    return at


@_jit
def _new_request(s: Any, i: int, sl: int, a: int, e: int, lender: int, now: float, delay: float,
                 eta: float, h: float) -> int:
    """Record a request of incident `i`'s centre (outcome still pending); return its row."""
    r = s.cnt[C_REQUESTS]
    if r >= s.r_i.shape[0]:  # the compiled bound was wrong: never write past the records
        raise RuntimeError("more requests than the engine's bound")
    s.cnt[C_REQUESTS] = r + 1
    ri, rf = s.r_i[r], s.r_f[r]
    ri[0], ri[1], ri[2], ri[3], ri[4], ri[5] = i, sl, a, e, s.i_centre[i], lender
    ri[6], ri[7], ri[8] = 0, -1, 1 if e < 0 else 0
    rf[0], rf[1], rf[2], rf[3], rf[4] = now, now + delay, delay, eta, h
    return r


@_jit
def _record_seen(s: Any, i: int, sl: int, a: int, j: int, now: float, delay: float, h: float) -> None:
    """Record the request for unit `j` that the requesting centre picked in sight (``visibility:
    full``), just started: accepted, its ETA the mission's."""
    eta = s.m_f[s.cnt[C_MISSIONS] - 1, _TARRIVE] - now
    r = _new_request(s, i, sl, a, -1, s.u_lender[j], now, delay, eta, h)
    s.r_i[r, 6] = ACCEPTED
    s.r_i[r, 7] = j


@_jit
def _decide(s: Any, i: int, sl: int, t: int, c: int, now: float, no: int) -> int:
    """Decide slot `sl` (unit type `t`) of incident `i` at `now` and write it at ``out_*[no]``;
    return ``no + 1``. Kind 0: unit ``out_a`` started, free at ``out_t``; kind 1: slot ``out_a``
    left waiting (the caller queues it); kind 2: request ``out_a`` sent, answered at ``out_t``."""
    j, a, tout, e, h, eta = _choose(s, i, sl, t, c, now)
    if e >= 0:
        delay = s.req[a, i]
        s.out_kind[no] = 2
        s.out_a[no] = _new_request(s, i, sl, a, e, s.fl_lender[e], now, delay, eta, h)
        s.out_t[no] = now + delay
    elif j < 0:
        s.unserved[i] += 1
        s.out_kind[no] = 1
        s.out_a[no] = sl
    else:
        delay = s.req[a, i] if a >= 0 else 0.0
        s.out_kind[no] = 0
        s.out_a[no] = j
        s.out_t[no] = _launch(s, j, i, sl, now, delay, a, tout, delay)
        if a >= 0:
            _record_seen(s, i, sl, a, j, now, delay, h)
    return no + 1


# -------------------------------------------------------------------------------------- entry points
@_jit
def start(s: Any, j: int, i: int, sl: int, now: float, a: int, turnout: float) -> float:
    """Send unit `j` to slot `sl` of incident `i` (decision at `now`; `a` agreement or -1, its
    request delay before the alert); record the mission; return when the unit is free again (to
    schedule). `turnout`: as :func:`_launch` (negative: look it up)."""
    delay = s.req[a, i] if a >= 0 else 0.0
    at = _launch(s, j, i, sl, now, delay, a, turnout, delay)
    if a >= 0:
        _record_seen(s, i, sl, a, j, now, delay, np.inf)
    return at


@_jit
def dispatch(s: Any, i: int, now: float) -> int:
    """The dispatch decision for incident `i` at `now`, slot by slot; returns the number of entries
    written to ``out_*`` (:func:`_decide`)."""
    c = s.i_centre[i]
    base = i * s.n_slots
    no = 0
    for p in range(s.slot_off[i], s.slot_off[i + 1]):
        sl = s.slot_cols[p]
        t = s.slot_type[base + sl]
        ct = c * s.f_normal.shape[0] + t
        if not (s.applicable[c, t] if s.i_node[i] >= 0 else s.home_ptr[ct + 1] > s.home_ptr[ct]):
            if t == s.primary[s.i_type[i]]:
                s.unserved[i] += 1  # can never be served; not queued
            else:
                s.na[i] += 1
            continue
        no = _decide(s, i, sl, t, c, now, no)
    return no


@_jit
def answer(s: Any, r: int, now: float) -> int:
    """The lending centre answers request `r` at `now`: it offers its best free unit of the type
    among those the agreement lends, and sends it (alerted now) when it would arrive sooner than
    the requesting centre's own best unit would from now; or it declines (none free; fewer than
    ``keep_home_min`` would be left; its unit would arrive no sooner), and the requesting centre
    decides the slot again without that entry (:func:`_decide`). Returns the number of entries
    written to ``out_*`` (1)."""
    ri = s.r_i[r]
    i, sl, a, e, c = ri[0], ri[1], ri[2], ri[3], ri[4]
    t = s.slot_type[i * s.n_slots + sl]
    f = s.f_urgent[t] if s.lights[s.i_type[i]] else s.f_normal[t]
    tout = _turnout(s, i, sl, t, now)
    target = s.i_node[i]
    eta, j = _best(s, s.fl_units, s.fl_uptr[e], s.fl_uptr[e + 1], now, target, f, tout, np.inf, 0, 0)
    keep = s.ag_keep[a]
    kept = keep == 0 or s.free_cnt[s.fl_lender[e], t] - 1 >= keep
    ct = c * s.f_normal.shape[0] + t
    home, _ = _best(s, s.home_units, s.home_ptr[ct], s.home_ptr[ct + 1], now, target, f, tout, np.inf, 0, 0)
    if j >= 0 and kept and eta < home:
        ri[6], ri[7] = ACCEPTED, j
        s.out_kind[0] = 0
        s.out_a[0] = j
        s.out_t[0] = _launch(s, j, i, sl, now, 0.0, a, tout, s.r_f[r, 2])
        return 1
    ri[6] = NONE_FREE if j < 0 else KEEP_HOME if not kept else NOT_SOONER
    s.declined[i * s.n_slots + sl] |= 1 << (e - s.fl_ptr[c * s.f_normal.shape[0] + t])
    return _decide(s, i, sl, t, c, now, 0)


@_jit
def free(s: Any, j: int) -> bool:
    """Unit `j` is free (at the scene or hospital; at base when returning units are not re-sent):
    ``True`` when it is available now, ``False`` when it goes off duty."""
    s.in_mission[j] = False
    if s.off_after[j] or not s.on_duty[j]:
        s.off_after[j] = False
        s.on_duty[j] = False
        return False
    s.avail[j] = True
    s.free_cnt[s.u_lender[j], s.u_type[j]] += 1
    return True


def _entry(fn: Any, core: Core, *arg_types: Any) -> Any:
    """The entry point of compiled `fn` for ``(core, *arg_types)`` (numba types): the compiled
    function's own CPython wrapper, which skips the dispatcher's type resolution (a third of a
    call's cost). Compiled here, or loaded from numba's cache. Calls must pass exactly these types.
    """
    sig = (typeof(core), *arg_types)
    fn.compile(sig)
    try:
        return fn.overloads[sig].entry_point
    except (AttributeError, KeyError):  # pragma: no cover - another numba layout
        return fn


def entry_points(core: Core) -> tuple[Any, Any, Any, Any]:
    """``(dispatch, start, free, answer)`` for `core`, to call as ``dispatch(core, i: int, now: float)``,
    ``start(core, j, i, sl: int, now: float, a: int, turnout: float)``, ``free(core, j: int)``,
    ``answer(core, r: int, now: float)``: Python ints and floats exactly as annotated (the entry
    points do not convert)."""
    i64, f64 = types.int64, types.float64
    return (_entry(dispatch, core, i64, f64), _entry(start, core, i64, i64, i64, f64, i64, f64),
            _entry(free, core, i64), _entry(answer, core, i64, f64))
