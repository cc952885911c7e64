"""The defaults a scenario file leaves out, written as the file would write them.

A field path (:mod:`sim.scenario.field_paths`) can only edit what the file holds. To make a
default value addressable (``incident_types[medical_urgent].on_scene.ambulance.mean`` in a file
without ``incident_types``), :func:`write_defaults` writes the default of the top-level field the
path leads into: the default incident types (:func:`sim.model.defaults.default_incident_types`), a
unit type's turnout (:data:`sim.model.units.UNIT_TYPES`) or the call processing time
(:data:`sim.model.defaults.DEFAULT_CALL_PROCESSING`). The written document builds the same model as
the file did.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sim.model import defaults
from sim.model.demand import IncidentType
from sim.model.distributions import Dist
from sim.model.units import UNIT_TYPES, Turnout

_DIST_FIELDS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",), "exponential": ("mean",), "lognormal": ("mean", "sd"),
    "gamma": ("mean", "sd"), "weibull": ("shape", "scale"), "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
}


def _seconds(x: float) -> str:
    return f"{float(x)!r} s"


def dist_doc(d: Dist) -> dict[str, Any]:
    """A distribution as a scenario file writes it (durations in seconds; a Weibull shape is a number)."""
    out: dict[str, Any] = {"kind": d.kind}
    for p in _DIST_FIELDS[d.kind]:
        v = getattr(d, p)
        out[p] = float(v) if p == "shape" else _seconds(v)
    if d.cap is not None:
        out["cap"] = _seconds(d.cap)
    return out


def incident_type_doc(t: IncidentType) -> dict[str, Any]:
    """An incident type as a scenario file writes it."""
    out: dict[str, Any] = {"name": t.name, "urgency": t.urgency, "needs": dict(t.needs)}
    if t.primary:
        out["primary"] = t.primary
    if t.optional_needs:
        out["optional_needs"] = {k: {"count": c, "share": s} for k, (c, s) in t.optional_needs.items()}
    out["on_scene"] = {k: dist_doc(d) for k, d in t.on_scene.items()}
    out["transport_share"] = float(t.transport_share)
    out["handover"] = dist_doc(t.handover)
    out["lights_and_sirens"] = bool(t.lights_and_sirens)
    out["norm"] = t.norm_class or ""
    return out


def turnout_doc(t: Turnout) -> dict[str, Any]:
    """A unit type's turnout as a scenario file writes it."""
    out: dict[str, Any] = {"day": dist_doc(t.day)}
    if t.night is not None:
        out["night"] = dist_doc(t.night)
    out["night_start_hour"] = float(t.night_start_hour)
    out["night_end_hour"] = float(t.night_end_hour)
    return out


def write_defaults(data: dict[str, Any], loc: Sequence[Any]) -> None:
    """Write into `data` (in place) the default of the field `loc` leads into, if the file leaves it out.

    `loc` is a parsed field path of the base document (a variant's path without
    ``variants.NAME``); the defaults go into the base document, which every variant inherits.
    Fields that have no such default, or that the file writes, are left alone.
    """
    if not loc or not isinstance(loc[0], str):
        return
    head = loc[0]
    if head == "incident_types" and data.get("incident_types") is None:
        data["incident_types"] = [incident_type_doc(t) for t in defaults.default_incident_types()]
    elif head == "turnout" and len(loc) > 2 and loc[1] in UNIT_TYPES:
        table = data.get("turnout")
        if table is None:
            table = data["turnout"] = {}
        if isinstance(table, dict) and table.get(loc[1]) is None:
            table[loc[1]] = turnout_doc(UNIT_TYPES[str(loc[1])].turnout)
    elif head == "policy" and len(loc) > 2 and loc[1] == "call_processing":
        policy = data.get("policy")
        if policy is None:
            policy = data["policy"] = {}
        if isinstance(policy, dict) and policy.get("call_processing") is None:
            policy["call_processing"] = dist_doc(defaults.DEFAULT_CALL_PROCESSING)
