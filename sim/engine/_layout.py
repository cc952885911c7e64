"""The layout of the compiled core's state, without numba: what :mod:`sim.engine.compile` builds,
:mod:`sim.engine._core` computes on and :mod:`sim.engine.records` reads.

Unit types are codes: their index in :data:`sim.model.units.UNIT_TYPES` when the run is compiled.
"""

from __future__ import annotations

FIELDS: tuple[str, ...] = (
    # units
    "u_station", "u_type", "u_node", "u_acc", "u_est", "u_lender",
    "avail", "in_mission", "on_duty", "off_after",
    "t_base", "t_avail", "ret_t0", "ret_from", "ret_leg_out", "ret_mission",
    "cur_set", "cur_y", "cur_c", "cur_rv0", "cur_end", "free_cnt",
    # unit types, incident types
    "f_urgent", "f_normal", "night_s", "night_e", "ride_share", "urg", "primary", "lights",
    # incidents and their slots (slot arrays are flat: [incident * n_slots + slot])
    "n_slots", "i_node", "i_centre", "i_type", "t_call", "transport", "first_transport_slot", "handover",
    "ride_u", "inc_tm", "slot_off", "slot_cols", "slot_type", "on_scene", "turnout_day", "turnout_night",
    "tt_z", "tt_var", "applicable", "req", "declined",
    # agreements and candidate lists (CSR, keyed centre * n_types + type)
    "ag_rule", "ag_threshold", "ag_keep", "ag_foreign_hosp", "ag_req_exp",
    "home_ptr", "home_units", "fl_ptr", "fl_ag", "fl_station", "fl_lender", "fl_uptr", "fl_units",
    # prepared matrices, hospitals
    "fwd", "rev", "rev_next", "hosp_rev", "hosp_extra", "hosp_node", "hosp_est", "hosp_own",
    "hosp_any", "hospital_any_policy", "redispatch", "tie_idle",
    # landmarks, network, searches
    "lm", "n_lm", "lm_station", "lm_pred", "indptr", "indices", "data", "n_nodes",
    "lat_r", "lon_r", "cos_lat", "inv_vmax", "g", "hv", "stamp", "heap_f", "heap_v", "tt_cache",
    "path_buf", "moving_buf", "mh_i", "mh_f", "cnt",
    # incidents beyond the extract (sim.engine.compile._beyond_state)
    "b_leg", "b_hosp", "b_hosp_s", "hs_leg", "ret_off",
    # records and output
    "unserved", "na", "m_i", "m_f", "r_i", "r_f", "out_kind", "out_a", "out_t",
)
"""The fields of :class:`sim.engine._core.Core`, in the order its constructor takes them."""

M_INT: tuple[str, ...] = ("inc", "unit", "ag", "from_ret", "est", "hosp")
"""Columns of the mission records ``m_i`` (integers), in the order :func:`sim.engine._core.start`
writes them."""
M_FLOAT: tuple[str, ...] = ("t_dec", "t_alert", "t_depart", "t_arrive", "t_leave", "t_hosp", "t_free",
                            "req", "travel", "t_base")
"""Columns of the mission records ``m_f`` (floats)."""

R_INT: tuple[str, ...] = ("inc", "slot", "ag", "entry", "centre", "lender", "outcome", "unit", "full")
"""Columns of the request records ``r_i`` (integers): incident, slot, agreement, candidate-list entry
(``-1`` for a unit picked in sight), requesting centre, lending centre, outcome (a code of
:data:`OUTCOMES`), unit sent (``-1``), whether the requesting centre saw the unit (``visibility:
full``)."""
R_FLOAT: tuple[str, ...] = ("t_request", "t_answer", "delay", "est", "home")
"""Columns of the request records ``r_f`` (floats): when asked, when answered, the request delay,
the requesting centre's ETA of the foreign unit and of its best home unit (``inf``: none free),
both counted from the request."""
OUTCOMES: tuple[tuple[str, str], ...] = (("pending", ""), ("accepted", ""), ("declined", "none_free"),
                                         ("declined", "keep_home_min"), ("declined", "not_sooner"))
"""(outcome, reason) of each outcome code: not answered before the horizon, a unit sent, declined
because no unit of the type is free, declined because fewer than ``keep_home_min`` would be left,
declined because the lending centre's best free unit would arrive no sooner than the requesting
centre's own best unit."""
PENDING, ACCEPTED, NONE_FREE, KEEP_HOME, NOT_SOONER = 0, 1, 2, 3, 4

C_STAMP, C_SEARCHES, C_SETTLED, C_MISSIONS, C_REQUESTS = 0, 1, 2, 3, 4
"""Counters in ``cnt``: the searches' stamp, A* searches, nodes they settled, missions and requests
recorded."""
N_COUNTERS = 5
