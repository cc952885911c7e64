"""Dispatch policy and cross-border agreements (model layer, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sim.model.distributions import Dist

Rule = str
"""An agreement rule: a key of :data:`RULES`."""
Direction = Literal["both", "first_helps_second", "second_helps_first"]
Visibility = Literal["station", "full"]
"""What the requesting centre knows of the lending centre's units (see :class:`Agreement`)."""


@dataclass(frozen=True)
class Agreement:
    """A cross-border (or cross-centre) agreement on mutual help.

    Parameters
    ----------
    name
        e.g. ``"Benelux M (2009) 8"``.
    parties
        Two parties, each a country code (``"NL"``) or a dispatch-centre name (``"112 Antwerpen"``).
    unit_types
        Unit types it covers, e.g. ``("ambulance",)``.
    direction
        ``both``; or one way: ``first_helps_second`` (units of ``parties[0]`` may answer calls in
        ``parties[1]``, not the reverse) or ``second_helps_first``.
    rule
        When the requesting centre may ask for a foreign unit:
        ``always_fastest`` (whenever the foreign unit's ETA, request delay included, is smaller),
        ``if_faster_by`` (when it is smaller by more than `threshold_s`),
        ``if_home_eta_over`` (when the best home ETA exceeds `threshold_s`),
        ``if_no_home_unit`` (only when no home unit of that type is available),
        ``if_home_short_or_slower`` (when no home unit is free, or the home unit would arrive more
        than `threshold_s` after the call); :data:`RULES` says each exactly.
    threshold_s
        The margin or bound of the threshold rules.
    request_delay
        Time to arrange the help: the phone call between the 112 centres, language. Added before
        the foreign unit is alerted.
    keep_home_min
        The lending centre keeps at least this many free units of the type for its own area.
    foreign_hospital
        Whether a patient may be taken to a hospital outside the incident's country.
    stations
        If not empty, only these stations' units are lent.
    visibility
        ``station``: the requesting centre cannot see the lending centre's units (dispatch systems
        do not connect across the border): it estimates a foreign unit's ETA from its station, asks,
        and after the request delay the lending centre sends its own best free unit or declines
        (none free, fewer than `keep_home_min` would be left, or that unit would arrive no sooner
        than the requesting centre's own); a declined request costs its delay
        and the centre falls back to its next option. ``full``: the requesting centre sees every
        lent unit's state and position and picks the unit itself (the upper bound; a centre's own
        country). ``None``: ``station`` for units of another country than the requesting centre's,
        ``full`` within a country.
    """

    name: str
    parties: tuple[str, str]
    unit_types: tuple[str, ...]
    rule: Rule = "always_fastest"
    direction: Direction = "both"
    threshold_s: float = 0.0
    request_delay: Dist = field(default_factory=lambda: Dist.fixed(0.0))
    keep_home_min: int = 0
    foreign_hospital: bool = False
    stations: tuple[str, ...] = ()
    visibility: Visibility | None = None

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown agreement rule {self.rule!r} (known: {', '.join(RULES)})")

    def lending_pairs(self) -> tuple[tuple[str, str], ...]:
        """``(lender, borrower)`` parties in the directions the agreement allows: units of the
        lender may answer calls in the borrower's area."""
        a, b = self.parties
        pairs: list[tuple[str, str]] = []
        if self.direction in ("both", "first_helps_second"):
            pairs.append((a, b))
        if self.direction in ("both", "second_helps_first"):
            pairs.append((b, a))
        return tuple(pairs)

    def sees_units(self, *, lender_country: str, borrower_country: str) -> bool:
        """Whether the requesting centre (in `borrower_country`) sees the state and position of a
        lent unit of `lender_country` (``visibility``; by default only within one country)."""
        if self.visibility is not None:
            return self.visibility == "full"
        return lender_country == borrower_country


@dataclass(frozen=True)
class RuleSpec:
    """When a requesting centre may ask for a foreign unit.

    Parameters
    ----------
    name
        The name scenarios use.
    code
        The compiled core's code for it (:mod:`sim.engine._core` branches on it).
    needs_threshold
        Whether the rule reads ``threshold_s`` (a scenario must give a positive ``threshold``).
    description
        One line for people (``h`` is the best home ETA, ``f`` the foreign one, request delay
        included).
    """

    name: str
    code: int
    needs_threshold: bool
    description: str

    def can_fire(self, threshold_s: float) -> bool:
        """Whether an agreement with this rule and threshold can ever send a unit (a threshold rule
        with an infinite threshold cannot)."""
        return not (self.needs_threshold and not threshold_s < float("inf"))


RULES: dict[str, RuleSpec] = {spec.name: spec for spec in (
    RuleSpec("always_fastest", 0, False, "whenever f < h"),
    RuleSpec("if_faster_by", 1, True, "when f < h - threshold"),
    RuleSpec("if_home_eta_over", 2, True, "when h > threshold and f < h"),
    RuleSpec("if_no_home_unit", 3, False, "only when no home unit of the type is free (h is inf)"),
    RuleSpec("if_home_short_or_slower", 4, True,
             "when no home unit of the type is free (h is inf) or the home unit would arrive more than "
             "threshold after the call (time since the call + h > threshold); and f < h"),
)}
"""The one table of agreement rules; the compiled core implements each code
(``docs/architecture.md``: add a rule)."""


def party_matches(party: str, *, country: str, centres: tuple[str, ...]) -> bool:
    """Whether an agreement party (a country code or a centre name) names `country` or one of
    `centres`."""
    return party == country or party in centres


@dataclass(frozen=True)
class DispatchPolicy:
    """How a dispatch centre works.

    Parameters
    ----------
    call_processing
        Time from the call reaching the centre to the first unit being alerted.
    redispatch_returning
        Whether units driving back to base may be sent from where they are.
    hospital
        ``nearest`` emergency hospital of the incident's country (or any country when an agreement
        allows foreign hospitals); ``nearest_any`` ignores borders.
    tie_break
        Among units with the same ETA (units of one station waiting at base): ``idle_longest`` sends
        the one back at base the longest (the usual rotation, which shares the work out);
        ``first`` the first in station order.
    """

    call_processing: Dist = field(default_factory=lambda: Dist.fixed(120.0))
    redispatch_returning: bool = True
    hospital: Literal["nearest", "nearest_any"] = "nearest"
    tie_break: Literal["idle_longest", "first"] = "idle_longest"
