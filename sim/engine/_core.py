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
unit to one slot, for a slot taken from a queue), :func:`free` (a unit becomes free); and, for
tests, :func:`bounds` and :func:`walk`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import typeof, types
from numba.experimental import structref
from numba.typed import Dict

from sim.engine._layout import C_MISSIONS, C_SEARCHES, C_SETTLED, C_STAMP, FIELDS, M_FLOAT
from sim.model.agreements import RULES
from sim.model.units import is_night
from sim.roads._astar import K_BEST, astar, jit
from sim.roads.network import EARTH_RADIUS_M

# agreement rules (sim.model.agreements.RULES): the codes this core branches on
_IF_FASTER_BY = RULES["if_faster_by"].code
_IF_HOME_ETA_OVER = RULES["if_home_eta_over"].code
_IF_NO_HOME_UNIT = RULES["if_no_home_unit"].code

_TBASE = M_FLOAT.index("t_base")

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
    if s.ret_off[j]:  # back from beyond the extract: home first, then out (modelling choice)
        return s.u_node[j], s.t_base[j] - now + s.u_acc[j]
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
        return s.u_node[j], e2 - c
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
def _best(s: Any, units: Any, lo: int, hi: int, now: float, target: int, f: float, turnout: float,
          best: float, keep_type: int, keep_min: int) -> tuple[float, int]:
    """Best (ETA, unit) among the available units ``units[lo:hi]``; the ETA must beat `best`.

    Units at base first (ties: the first in the list), then units on their way home in list
    order. ``keep_min > 0`` skips units whose lending centre would keep fewer free units of
    ``keep_type``. A `target` below 0 is incident row ``-1 - target`` beyond the extract: a unit
    at base takes its estimated leg, one on its way home drives home first.
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
            st = s.u_station[j]
            eta = (s.fwd[st, target] * f + s.u_acc[j] if target >= 0 else s.b_leg[-1 - target, st]) + turnout
            if eta < bmin:
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
        if target >= 0:
            e = _moving_eta(s, j, now, target, f, best)
        else:
            e = s.t_base[j] - now + s.b_leg[-1 - target, s.u_station[j]]
        if e < best:
            best, bj = e, j
    return best, bj


@_jit
def _choose(s: Any, i: int, sl: int, t: int, c: int, now: float) -> tuple[int, int, float]:
    """``(unit or -1, agreement or -1, its turnout if at base)`` for slot `sl` of incident `i`."""
    target = s.i_node[i]
    f = s.f_urgent[t] if s.lights[s.i_type[i]] else s.f_normal[t]
    turnout = _turnout(s, i, sl, t, now)
    ct = c * s.f_normal.shape[0] + t
    h, j = _best(s, s.home_units, s.home_ptr[ct], s.home_ptr[ct + 1], now, target, f, turnout, np.inf, 0, 0)
    e0, e1 = s.fl_ptr[ct], s.fl_ptr[ct + 1]
    if e0 == e1 or target < 0:  # beyond the extract: home units only
        return j, -1, turnout
    best, bj, ba, btout = h, j, -1, turnout
    for e in range(e0, e1):
        a = s.fl_ag[e]
        rule = s.ag_rule[a]
        if rule == _IF_NO_HOME_UNIT and j >= 0:
            continue
        if rule == _IF_HOME_ETA_OVER and not h > s.ag_threshold[a]:
            continue
        margin = s.ag_threshold[a] if rule == _IF_FASTER_BY else 0.0
        lim = h - margin  # NaN when both are inf: such a rule never fires
        if not lim > 0:
            continue
        bound = lim if lim < best else best
        delay = s.req[a, i]
        tout = _turnout(s, i, sl, t, now + delay)
        ea, fj = _best(s, s.fl_units, s.fl_uptr[e], s.fl_uptr[e + 1], now, target, f, tout + delay, bound,
                       t, s.ag_keep[a])
        if fj >= 0 and ea < bound:
            best, bj, ba, btout = ea, fj, a, tout
    return bj, ba, btout


# -------------------------------------------------------------------------------------- entry points
@_jit
def start(s: Any, j: int, i: int, sl: int, now: float, a: int, turnout: float) -> float:
    """Send unit `j` to slot `sl` of incident `i` (decision at `now`; `a` agreement or -1); record
    the mission; return when the unit is free again (to schedule).

    `turnout`: the unit's turnout when it is at base, if the caller already drew it for this alert
    time (:func:`_choose`); negative: look it up.
    """
    t = s.u_type[j]
    target = s.i_node[i]
    itype = s.i_type[i]
    f = s.f_urgent[t] if s.lights[itype] else s.f_normal[t]
    delay = s.req[a, i] if a >= 0 else 0.0
    t_alert = now + delay
    st = s.u_station[j]
    at_base = now >= s.t_base[j]
    if at_base:
        if turnout < 0.0:
            turnout = _turnout(s, i, sl, t, t_alert)
        travel = s.u_acc[j] + s.fwd[st, target] * f if target >= 0 else s.b_leg[-1 - target, st]
        est = s.u_est[j] or target < 0
    elif target < 0:  # on its way home, to beyond the extract: home first (as priced)
        turnout = 0.0
        travel = s.t_base[j] - now + s.b_leg[-1 - target, st]
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
    t_depart = t_alert + turnout
    t_arrive = t_depart + travel
    t_leave = t_arrive + s.on_scene[i * s.n_slots + sl]
    hosp, t_hosp = -1, np.nan
    ret_from, leg_out = target, 0.0
    t_free = t_leave
    if sl == s.first_transport_slot[i] and s.transport[i] and target < 0:
        hosp = s.b_hosp[-1 - target, 1 if s.hospital_any_policy else 0]
        if hosp >= 0:
            t_hosp = t_leave + s.b_hosp_s[-1 - target, 1 if s.hospital_any_policy else 0]
            t_free = t_hosp + s.handover[i]
    elif sl == s.first_transport_slot[i] and s.transport[i]:
        any_c = s.hospital_any_policy or (a >= 0 and s.ag_foreign_hosp[a])
        hosp = s.hosp_any[target] if any_c else s.hosp_own[target]
        if hosp >= 0:
            ft = s.f_urgent[t] if s.urg[itype] == 1 else s.f_normal[t]
            t_hosp = t_leave + s.hosp_rev[hosp, target] * ft + s.hosp_extra[hosp]
            t_free = t_hosp + s.handover[i]
            ret_from = s.hosp_node[hosp]
            leg_out = s.hosp_extra[hosp]
            est = est or s.hosp_est[hosp]
    if target >= 0:
        t_base = t_free + leg_out + s.rev[st, ret_from] * s.f_normal[t] + s.u_acc[j]
    else:  # back from beyond the extract: an estimated leg from the scene or the hospital
        t_base = t_free + (s.hs_leg[hosp, st] if hosp >= 0 else s.b_leg[-1 - target, st])
        ret_from = s.u_node[j]
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
    m = s.cnt[C_MISSIONS]
    s.ret_mission[j] = m
    s.cnt[C_MISSIONS] = m + 1
    mi, mf = s.m_i[m], s.m_f[m]
    mi[0], mi[1], mi[2], mi[3], mi[4], mi[5] = i, j, a, not at_base, est, hosp
    mf[0], mf[1], mf[2], mf[3], mf[4] = now, t_alert, t_depart, t_arrive, t_leave
    mf[5], mf[6], mf[7], mf[8], mf[9] = t_hosp, t_free, delay, travel, t_base
    at = t_free if s.redispatch else t_base
    s.t_avail[j] = at
    return at


@_jit
def dispatch(s: Any, i: int, now: float) -> int:
    """The dispatch decision for incident `i` at `now`, slot by slot; returns the number of entries
    written to ``out_*``: kind 0, a unit ``out_a`` started, free at ``out_t``; kind 1, slot
    ``out_a`` left waiting (the caller queues it)."""
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
        j, a, tout = _choose(s, i, sl, t, c, now)
        if j < 0:
            s.unserved[i] += 1
            s.out_kind[no] = 1
            s.out_a[no] = sl
        else:
            s.out_kind[no] = 0
            s.out_a[no] = j
            s.out_t[no] = start(s, j, i, sl, now, a, tout)
        no += 1
    return no


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


def entry_points(core: Core) -> tuple[Any, Any, Any]:
    """``(dispatch, start, free)`` for `core`, to call as ``dispatch(core, i: int, now: float)``,
    ``start(core, j, i, sl: int, now: float, a: int, turnout: float)``, ``free(core, j: int)``:
    Python ints and floats exactly as annotated (the entry points do not convert)."""
    i64, f64 = types.int64, types.float64
    return (_entry(dispatch, core, i64, f64), _entry(start, core, i64, i64, i64, f64, i64, f64),
            _entry(free, core, i64))
