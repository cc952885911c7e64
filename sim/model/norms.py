"""Response-time norms by country, service and class of call, with their sources.

A norm says: a share `target_share` of the calls of one **class** answered within `limit_s` (call to
first unit of the incident type's primary kind on scene). Classes (:data:`NORM_CLASSES`) separate
what the countries judge apart: urgent ambulance calls (NL A1), Dutch A2 calls, fires by the
building's use (NL), technical rescue. Each incident type names its class
(:attr:`sim.model.demand.IncidentType.norm_class`); each country lists its norms per class in
:data:`sim.model.countries.COUNTRIES`. A class a country has no norm for is not judged there; its
calls are still reported, with the shares within :data:`BANDS_S` (e.g. Belgian fires: no legal
norm).

Norms are looked up by a key: the country or dispatch centre for the class ``urgent`` (``"NL"``),
``"<country or centre>/<class>"`` for the others (``"NL/a2"``), as in a scenario's ``norms:`` block
(:func:`norm_key`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

ServiceName = Literal["ambulance", "physician", "fire"]


@dataclass(frozen=True)
class NormClass:
    """A class of calls judged against one norm.

    Parameters
    ----------
    name
        Its key (``urgent``, ``a2``, ``fire_8`` ...).
    service
        The service whose report it belongs to (``ambulance`` or ``fire``; SMUR/MUG physician calls
        are medical calls and report as ``ambulance``).
    label
        A short name for tables and figures (``A1 / urgent``).
    description
        One line for people.
    """

    name: str
    service: ServiceName
    label: str
    description: str


NORM_CLASSES: dict[str, NormClass] = {c.name: c for c in (
    NormClass("urgent", "ambulance", "urgent (A1)",
              "urgent medical call, lights and sirens (NL A1; the Belgian, Luxembourg and German "
              "urgent 112 call)"),
    NormClass("a2", "ambulance", "A2",
              "NL A2: no immediate danger to life, but an ambulance as soon as possible (vzinfo.nl)"),
    NormClass("fire_5", "fire", "fire, 5-min building",
              "fire in a building whose use has a 5-min norm in NL (closed shops, homes above shops, "
              "cells; brandweer.nl)"),
    NormClass("fire_6", "fire", "fire, 6-min building",
              "fire in a porch flat or a home for people less able to flee (NL 6 min; brandweer.nl)"),
    NormClass("fire_8", "fire", "building fire",
              "fire in a building with the common 8-min norm in NL: other homes, shops, care, "
              "schools, lodging (brandweer.nl: 'for most buildings')"),
    NormClass("fire_10", "fire", "fire, 10-min building",
              "fire in an office, industrial, sports or assembly building (NL 10 min; brandweer.nl)"),
    NormClass("technical_rescue", "fire", "technical rescue",
              "technical rescue (NL 15 min; brandweer.nl)"),
    NormClass("fire", "fire", "other fire",
              "outdoor fires, automatic alarms and other fire-service calls (no norm in the countries "
              "of the model: reported by the shares within 10 and 15 min)"),
)}
"""The classes of calls the norms judge, in report order. The one table of them: incident types,
countries' norms, the scenario schema and the reports read it."""

BANDS_S: tuple[float, ...] = (600.0, 900.0)
"""Every report also gives the share of calls within 10 and 15 min: the measure for calls without a
norm (Belgian fires: no legal norm, 12 min proposed; facts: ringtv.be, atv.be)."""


@dataclass(frozen=True)
class Norm:
    """``target_share`` of the calls of class `norm_class` within ``limit_s`` seconds.

    `target_share` is NaN where the rule sets a time but no share (the Dutch fire norms).
    """

    country: str
    service: str
    limit_s: float
    target_share: float
    source: str
    label: str = ""
    norm_class: str = "urgent"

    def __post_init__(self) -> None:
        if self.norm_class not in NORM_CLASSES:
            raise ValueError(f"unknown norm class {self.norm_class!r} (known: {', '.join(NORM_CLASSES)})")

    @property
    def has_target(self) -> bool:
        return not math.isnan(self.target_share)


def norm_key(where: str, norm_class: str = "urgent") -> str:
    """The key of the norm of `norm_class` in a country or dispatch centre `where`."""
    return where if norm_class == "urgent" else f"{where}/{norm_class}"


def split_norm_key(key: str) -> tuple[str, str]:
    """``(country or centre, class)`` of a norm key (:func:`norm_key`)."""
    where, _, cls = key.partition("/")
    return where, cls or "urgent"


def find_norm(norms: Mapping[str, Norm], *, centre: str, country: str, norm_class: str) -> Norm | None:
    """The norm of a call of `norm_class`: its dispatch centre's if set, else its country's."""
    if not norm_class:
        return None
    return norms.get(norm_key(centre, norm_class)) or norms.get(norm_key(country, norm_class))


def service_of(norm_class: str) -> str:
    """The service a class reports under (``""`` for a call of no class)."""
    c = NORM_CLASSES.get(norm_class)
    return c.service if c is not None else ""
