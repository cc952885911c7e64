"""The discrete-event engine: calls, dispatch centres, units and cross-border agreements (SimPy).

A run takes one variant (:class:`sim.model.spec.ModelSpec`) on a road network and produces one row per
incident, per unit mission and per unit (:class:`sim.engine.records.SimRecords`). The run is
prepared (:mod:`sim.engine.prepare`), compiled into the core's state (:mod:`sim.engine.compile`),
run here (SimPy events, waiting queues, shifts) and recorded (:mod:`sim.engine.records`).

How a call is handled
---------------------
1. An incident happens at a network node. Its call reaches the dispatch centre of that node's
   jurisdiction; after the call-processing time (pre-drawn) the centre decides, slot by slot
   (a structure fire has slots pumper, pumper, ladder, ambulance).
2. For a slot of unit type ``u`` the centre considers its *own* available units of type ``u``:
   units of stations whose ``dispatch_centre`` is the centre or whose ``also_serves`` names it.
   ETA of a unit at its base = turnout (pre-drawn per slot, day or night draw by the alert time)
   + (estimated leg beyond the extract, if any, + network time) × the driving factor of ``u``
   (lights and sirens when the incident type says so; :mod:`sim.roads.driving`) + its start/stop
   cost. A unit driving back to base is taken from the last node
   it passed on its way home, with no turnout, at its exact shortest driving time from there (see
   Performance). The smallest ETA wins (ties: units at base first; among those, the one back at
   base the longest under ``policy.tie_break == "idle_longest"``, else the first in station order).
3. Foreign units: a unit of another centre may answer when an agreement covers its type in that
   direction (a party is a country code or a centre name; the first agreement in the list that
   covers a unit is the one used) and the agreement's rule allows it given the best home ETA ``h``
   (``inf`` when no home unit is free) and the foreign ETA ``f``, as
   :data:`sim.model.agreements.RULES` describes each rule (e.g. ``if_faster_by``:
   ``f < h - threshold``). ``f`` includes the agreement's request delay (pre-drawn per incident
   and agreement). A threshold of ``inf`` never fires. How the unit is found depends on what the
   requesting centre sees (``Agreement.visibility``):

   - ``full`` (within a country by default; the ``fastest-unit`` upper bounds): the centre sees
     the foreign units as its own, picks the best free one (the lending centre keeping
     ``keep_home_min`` other free units of the type), reserves it at once and it is alerted after
     the request delay.
   - ``station`` (across a border by default): the centre cannot see the foreign units. It
     estimates ``f`` from the posts of the lending centre's units on duty (turnout and request
     delay included) and asks that centre; nothing is reserved. After the request delay the
     lending centre offers its own best free unit of the type and sends it (alerted then) when it
     would arrive sooner than the centre's own best unit would from then; or it declines: none
     free, fewer than ``keep_home_min`` would be left, or its unit would arrive no sooner (the
     estimate from the posts was wrong: the unit near the call is busy). A declined request has
     cost its delay: the centre decides the slot again at that time without that lending centre
     (its own units, other agreements, another lending centre, or the queue). Each lending centre
     is a separate candidate; a second request under the same agreement reuses its delay draw.

   Every request is recorded with its outcome (:data:`sim.engine.records.REQUEST_COLUMNS`).
4. A slot no unit can take waits in the centre's queue for its unit type, ordered by urgency, then
   call time. Slots for a unit type the centre can never get (no own unit of that type on its
   roster and no agreement that can lend one, e.g. SMUR in the Netherlands) are *not applicable*:
   they do not count for ``served`` and their response time is NaN; but when that type is the
   incident type's ``primary`` kind the incident is recorded unserved.
5. Mission: alert → turnout (0 when already on the road) → drive (the ETA's driving time; with the
   driving model's ``variability`` above 0, × the slot's factor with median 1 drawn from the
   stream ``travel``, unseen by the choice: :func:`sim.roads.driving.travel_factor`) → on scene →
   for a transported patient, the incident's first slot of a unit type that ``transports``
   (:data:`sim.model.units.UNIT_TYPES`: the ambulance) drives to the nearest emergency hospital of
   the incident's country (any country when ``policy.hospital == "nearest_any"`` or the serving
   agreement has ``foreign_hospital``; any country also when the country has none), with lights and
   sirens only for urgency 1, then handover → free → drive back to base at normal speed. A free
   unit can be sent again from where it is (``policy.redispatch_returning``; otherwise it is
   available only once back at base). Other units never transport. A type with a
   ``ride_along_share`` (the SMUR/MUG physician team) goes by rendez-vous: alerted with the
   ambulance, it meets it on scene, and on that share of the transported patients (one draw per
   incident) it escorts the patient: it leaves the scene with the ambulance, is free when the
   patient is handed over and drives back from the hospital. It escorts only when the patient's
   transport was started before it (an earlier slot of the same decision, or of an earlier one)
   and has not left the scene when it arrives; otherwise it leaves after its own on-scene time.
6. When a unit becomes free it takes the highest-priority waiting call of its own centres, else one
   of a centre that sees it under an agreement (rules evaluated with ``h = inf``): a centre that
   cannot see a foreign unit does not know it became free.
7. Shifts: a unit whose shift ends goes off duty (after finishing its mission) and drives home; it
   comes back on duty at its next start hour where it is then: at base, or still on its way home.

Calls beyond the road extract (:attr:`sim.model.demand.Incidents.beyond`: the foreign side's own
calls, placed off the network) are answered only by their own centre's units, whatever the
agreements (those of the bundled scenarios are about help *into* the extract's side), and wait in a
queue of their own that only those units serve. A unit at base reaches such a call by its estimated
leg (:func:`sim.engine.prepare.station_leg_s`: the network's own pace, sped up and with the
start/stop cost like every leg, :mod:`sim.roads.driving`), a unit on its way home drives home
first; the patient goes to the nearest hospital of the call's country by estimated leg (any
country's under ``nearest_any``), and the unit returns to base by estimated leg; until it is home it
is priced for any call as if it drove home first. Such missions are flagged ``estimated_leg``.

Simplifications (documented modelling choices): a returning unit's position is the last node it
passed (progress along the current edge is ignored); a unit a centre sees abroad is reserved at the
decision and is held where it is during the request delay; a slot waiting for a lending centre's
answer is not in the queue (a home unit freed meanwhile does not take it); a centre's estimate of a
foreign unit uses the slot's turnout and the request delay drawn for the call; hospitals more than
1 km from the network are reached through their nearest node plus an estimated leg at normal speed
(the network's own pace for its straight-line distance, :func:`sim.roads.network.estimated_leg_s`).

Events: one SimPy timeout per dispatch decision, one per unit becoming available and one per
answer to a request (plus shift changes); everything else in a mission is computed at dispatch
because nothing can interrupt it.

Performance: the decisions (steps 2, 3, 5 and 6 above: choosing, pricing and starting units,
answering requests, a unit becoming free) are compiled with numba (:mod:`sim.engine._core`): each
SimPy event makes one call into it; queues, shifts and the records stay in Python. Its first use
after an install compiles it (about 20 s, once; numba caches it on disk). Times from stations and to
stations and hospitals are precomputed (:func:`sim.engine.prepare.prepare`), and so is each node's
hospital. A unit on its way home is priced only if two lower bounds (straight line at the network's
top speed; landmarks: the stations' forward and reverse times, by the triangle inequality) say it
may beat the best unit so far. Its time is then read off a landmark's shortest-path tree when that
tree holds its route (a part of a shortest path is a shortest path), summed edge by edge as Dijkstra
sums it, else from an A* search from its node to the incident that uses the same landmarks and stops
at the bound (:mod:`sim.roads._astar`, compiled). Both give Dijkstra's time (they could differ in
the last bit only where two shortest paths tie exactly).
"""

from __future__ import annotations

import gc
import heapq
import math
import time

import numpy as np
import simpy
from simpy.events import Timeout

from sim.engine._layout import C_SEARCHES, C_SETTLED
from sim.engine.compile import CompiledRun, compile_run
from sim.engine.prepare import Prepared, prepare
from sim.engine.records import SimRecords, build_records
from sim.model.demand import Incidents, generate_incidents, incidents_from_log
from sim.model.spec import ModelSpec
from sim.model.streams import Streams
from sim.model.units import Shift
from sim.roads.network import RoadNetwork


def _next_shift_change(shift: Shift, t: float) -> float:
    """The first time after `t` at which the shift starts or ends."""
    best = math.inf
    for hour in (shift.start_hour % 24, shift.end_hour % 24):
        c = math.floor(t / 86400.0) * 86400.0 + hour * 3600.0  # Python floats: no numpy scalars
        while c <= t + 1e-9:
            c += 86400.0
        best = min(best, c)
    return float(best)


class _Engine:
    """The event loop of one run. Not public: use :func:`simulate`.

    Each SimPy event is a plain ``Timeout`` with one bound-method callback that makes one call
    into the compiled core (:mod:`sim.engine._core`); the handler reads the exact event time from
    the engine's state (not ``env.now``, which may differ from it by rounding). The core's state
    arrays (:attr:`CompiledRun.state`) are shared: this class reads and writes the few it needs
    for the paths it handles itself (waiting queues, shifts).
    """

    def __init__(self, run: CompiledRun) -> None:
        self.compiled = run
        self.env = simpy.Environment()
        self.now = 0.0
        self.n_events = 0
        self.core = run.core
        self.nt = run.n_types
        self.agreements = run.agreements
        self.can_fire = run.can_fire
        self.horizon = float(run.spec.horizon_s)
        self.slot_type = run.inc.slot_type
        units = run.units
        self.nu = len(units)
        self.u_type_l, self.u_lender_l, self.u_shift = units.type_l, units.lender, units.shift
        self.u_home_q, self.u_lend_q = run.home_q, run.lend_q
        self.i_queue_l, self.i_type_l, self.i_t_call = run.i_queue, run.i_type, run.i_t_call
        self.urg = run.urg
        # waiting slots per (centre, unit type): queue c * nt + t holds (urgency, t_call, incident, slot)
        n_queues = 2 * (run.n_centres + 1) * self.nt  # and one per centre for calls beyond the extract
        self.qs: list[list[tuple[int, float, int, int]]] = [[] for _ in range(n_queues)]
        self.n_waiting = 0                        # slots in all queues
        self._cbd, self._cbf, self._cbs, self._cba = (self._cb_dispatch, self._cb_free, self._cb_shift,
                                                      self._cb_answer)
        self.t_shift = [0.0] * self.nu            # time of the unit's pending shift change
        state = run.state
        # the arrays this class reads or writes itself (the same memory as the core's)
        self.avail, self.free_cnt, self.t_avail = state["avail"], state["free_cnt"], state["t_avail"]
        self.on_duty, self.off_after = state["on_duty"], state["off_after"]
        self.in_mission, self.unserved = state["in_mission"], state["unserved"]
        self.out_kind, self.out_a, self.out_t = state["out_kind"], state["out_a"], state["out_t"]
        self.r_i, self.r_f = state["r_i"], state["r_f"]
        # one call per event through the compiled functions' entry points (fixed argument types)
        self._dispatch, self._start, self._free, self._answer = run.entry_points
        self._order: list[int] = []
        self._t_dec: list[float] = []
        self._n_dec = 0

    # ------------------------------------------------------------------ events
    def _cb_dispatch(self, ev: simpy.events.Event) -> None:
        """A dispatch decision: the call of incident ``order[k]`` is handled, slot by slot."""
        self.n_events += 1
        k = ev._value
        now = self.now = self._t_dec[k]
        i = self._order[k]
        no = self._dispatch(self.core, i, now)
        if no:
            self._outcomes(i, no)
        k += 1
        if k < self._n_dec:
            d = self._t_dec[k] - self.env._now
            Timeout(self.env, d if d > 0.0 else 0.0, k).callbacks.append(self._cbd)

    def _cb_answer(self, ev: simpy.events.Event) -> None:
        """A lending centre answers request ``r``: a unit sent, or the slot decided again."""
        self.n_events += 1
        r = ev._value
        self.now = float(self.r_f[r, 1])
        self._outcomes(int(self.r_i[r, 0]), self._answer(self.core, r, self.now))

    def _outcomes(self, i: int, no: int) -> None:
        """Schedule what the core decided for incident `i` (``out_*``, `no` entries)."""
        env = self.env
        kinds, ua, ts = self.out_kind.tolist(), self.out_a.tolist(), self.out_t.tolist()
        for q in range(no):
            kind = kinds[q]
            if kind == 1:  # no unit: the slot waits in its centre's queue
                self.n_waiting += 1
                sl = ua[q]
                t = int(self.slot_type[i, sl])
                heapq.heappush(self.qs[self.i_queue_l[i] + t],
                               (self.urg[self.i_type_l[i]], self.i_t_call[i], i, sl))
            else:  # a unit started (free at ts), or a request sent (answered at ts)
                d = ts[q] - env._now
                Timeout(env, d if d > 0.0 else 0.0, ua[q]).callbacks.append(self._cbf if kind == 0
                                                                            else self._cba)

    def _cb_free(self, ev: simpy.events.Event) -> None:
        """A unit is free (at the scene or hospital; at base when returning units are not re-sent)."""
        self.n_events += 1
        j = ev._value
        if self._free(self.core, j) and self.n_waiting:
            self.now = float(self.t_avail[j])
            self._serve_queue(j)

    def _cb_shift(self, ev: simpy.events.Event) -> None:
        self.n_events += 1
        j = ev._value
        self.now = self.t_shift[j]
        self._on_shift(j)

    def _schedule_shift(self, j: int, at: float) -> None:
        self.t_shift[j] = at
        d = at - self.env._now
        Timeout(self.env, d if d > 0.0 else 0.0, j).callbacks.append(self._cbs)

    def _send(self, j: int, i: int, sl: int, a: int) -> None:
        """Start unit `j` on slot `sl` of incident `i` now (a slot taken from a queue)."""
        at = self._start(self.core, j, i, sl, self.now, a, -1.0)
        d = at - self.env._now
        Timeout(self.env, d if d > 0.0 else 0.0, j).callbacks.append(self._cbf)

    # ------------------------------------------------------------------ units becoming free
    def _make_available(self, j: int) -> None:
        self.avail[j] = True
        self.free_cnt[self.u_lender_l[j], self.u_type_l[j]] += 1

    def _serve_queue(self, j: int) -> None:
        """A unit just became available: it takes the most urgent waiting call it may take."""
        qs = self.qs
        best: tuple[int, float, int, int] | None = None
        bq: list[tuple[int, float, int, int]] | None = None
        for key in self.u_home_q[j]:
            q = qs[key]
            if q and (best is None or q[0] < best):
                best, bq = q[0], q
        ba = -1
        if best is None:
            t = self.u_type_l[j]
            for key, a in self.u_lend_q[j]:
                q = qs[key]
                if not q or (best is not None and not q[0] < best):
                    continue
                if not self.can_fire[a]:
                    continue
                if self.free_cnt[self.u_lender_l[j], t] - 1 < self.agreements[a].keep_home_min:
                    continue
                best, bq, ba = q[0], q, a
        if best is None or bq is None:
            return
        heapq.heappop(bq)
        self.n_waiting -= 1
        _, _, i, s = best
        self.unserved[i] -= 1
        self._send(j, i, s, ba)

    # ------------------------------------------------------------------ shifts
    def _on_shift(self, j: int) -> None:
        now = self.now
        sh = self.u_shift[j]
        if sh.on_duty(now + 1e-6):
            self.on_duty[j] = True
            self.off_after[j] = False
            if not self.in_mission[j] and not self.avail[j]:
                # where it is: at base, or still on its way home (then sent from the road, as any
                # returning unit, when redispatch_returning)
                self._make_available(j)
                self._serve_queue(j)
        else:
            if self.in_mission[j]:
                self.off_after[j] = True
            elif self.avail[j]:
                self.avail[j] = False
                self.free_cnt[self.u_lender_l[j], self.u_type_l[j]] -= 1
                self.on_duty[j] = False  # it drives home off duty
            else:
                self.on_duty[j] = False
        nxt = _next_shift_change(sh, now)
        if nxt < self.horizon:
            self._schedule_shift(j, nxt)

    # ------------------------------------------------------------------ run
    def run(self) -> None:
        """Put the units on duty and run the events up to the horizon."""
        horizon = self.horizon
        inc = self.compiled.inc
        for j in range(self.nu):
            sh = self.u_shift[j]
            if sh.always or sh.on_duty(0.0):
                self._make_available(j)
            else:
                self.on_duty[j] = False
            if not sh.always:
                self._schedule_shift(j, _next_shift_change(sh, 0.0))
        t_dec = inc.t_call + inc.call_processing
        order = np.argsort(t_dec, kind="stable")
        order = order[t_dec[order] < horizon]
        self._order = order.tolist()
        self._t_dec = t_dec[order].tolist()
        self._n_dec = len(self._order)
        if self._order:
            Timeout(self.env, max(self._t_dec[0], 0.0), 0).callbacks.append(self._cb_dispatch)
        self.env.run(until=horizon)

    def search_counts(self) -> dict[str, float]:
        """A* searches from units on their way home, and the nodes they settled."""
        cnt = self.compiled.state["cnt"]
        return {"searches": float(cnt[C_SEARCHES]), "settled": float(cnt[C_SETTLED])}


def simulate(
    network: RoadNetwork,
    spec: ModelSpec,
    *,
    seed: int,
    replication: int = 0,
    prepared: Prepared | None = None,
    incidents: Incidents | None = None,
) -> SimRecords:
    """Run one variant for one replication.

    Parameters
    ----------
    network
        The road network.
    spec
        The variant.
    seed, replication
        Root seed and replication number of the random streams (:class:`sim.model.streams.Streams`).
    prepared
        Result of :func:`sim.engine.prepare.prepare` for the same network and stations (computed
        if not given).
    incidents
        Pre-drawn incidents (e.g. shared by variants); drawn from the streams if not given,
        replayed from ``spec.incident_log`` when that is set.

    Returns
    -------
    SimRecords
        Deterministic: the same inputs give identical records.
    """
    if prepared is None or prepared.network is not network or prepared.stations != tuple(spec.stations):
        prepared = prepare(network, spec)
    streams = Streams(seed, replication)
    t0 = time.perf_counter()
    if incidents is None:
        if spec.incident_log is not None:
            incidents = incidents_from_log(network, spec.incident_log, spec, streams)
        else:
            incidents = generate_incidents(network, spec, streams)
    elif tuple(incidents.type_names) != tuple(t.name for t in spec.incident_types):
        raise ValueError("the incidents were drawn for other incident types than this variant's")
    notes = list(prepared.notes)
    if incidents.dropped:
        notes.append(f"{len(incidents.dropped)} places generate no incidents (no road within reach): "
                     + ", ".join(incidents.dropped[:10]) + (" ..." if len(incidents.dropped) > 10 else ""))
    # The run allocates many small objects and frees them by reference counting: the cyclic
    # garbage collector only slows it down (it runs again afterwards).
    gc_enabled = gc.isenabled()
    gc.disable()
    try:
        t1 = time.perf_counter()
        eng = _Engine(compile_run(network, spec, prepared, incidents, streams))
        t2 = time.perf_counter()
        eng.run()
        t3 = time.perf_counter()
        records = build_records(eng.compiled, n_events=eng.n_events, notes=notes)
        t4 = time.perf_counter()
    finally:
        if gc_enabled:
            gc.enable()
    records.timings = {"incidents_s": t1 - t0, "setup_s": t2 - t1, "run_s": t3 - t2, "records_s": t4 - t3,
                       **eng.search_counts()}
    return records
