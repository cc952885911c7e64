"""The one table of countries: each one's response-time norm, call rates and map colour.

Adding a country is a row here and its road rules (legal speed limits) in
:data:`sim.roads.speeds.DEFAULT_LIMITS`; ``docs/architecture.md`` has the recipe. Values come from
``shared/reference/emergency-services-facts.md``; where no published figure exists the value is
marked *modelling choice*.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.model.norms import Norm, norm_key


@dataclass(frozen=True)
class Country:
    """A country the model knows.

    Parameters
    ----------
    code
        ISO 3166-1 alpha-2 code, as in the jurisdictions file and scenarios (``BE``).
    name
        English name.
    norm
        The norm urgent calls (class ``urgent``) are judged against (call to first unit on scene).
    more_norms
        Its norms for the other classes of :data:`sim.model.norms.NORM_CLASSES` (a class missing
        here has no norm in the country: its calls are reported by the shares within 10 and 15 min).
    rates
        Incidents per 1,000 inhabitants per year, per incident type (the defaults of a scenario's
        demand).
    colour
        Its colour on maps and in charts (Okabe & Ito palette: neighbours stay apart under every
        common colour-vision deficiency).
    """

    code: str
    name: str
    norm: Norm
    rates: dict[str, float] = field(default_factory=dict)
    colour: str = "#009E73"
    more_norms: tuple[Norm, ...] = ()

    def norms(self) -> dict[str, Norm]:
        """Its norms by key (:func:`sim.model.norms.norm_key`)."""
        return {norm_key(self.code, n.norm_class): n for n in (self.norm, *self.more_norms)}


# Rates. NL: 80.6 ambulance runs per 1,000 (2022), about 78 % urgent (A1+A2) (vzinfo.nl): 62.9 urgent,
# 17.7 not urgent (B rides). A1 is 60 % of the urgent runs, A2 40 % (modelling choice: the facts give
# only A1 + A2; the A2 calls, medical_a2, have their own 30-min norm); cardiac arrests (1.0) and road
# collisions (1.0) are taken out of the A1 part (their split: modelling choice). Fire: 143,500 alarms
# in 2019, about 8 per 1,000 (CBS 83122NED): structure fires 1.0 and road collisions (above) of it,
# the rest (6.0) small fires and technical rescue (split: modelling choice).
# BE: 35.2 primary 112 ambulance interventions per 1,000 in Flanders (gezondbelgie.be, 2020), all
# urgent (non-urgent patient transport is not a 112 task; no A2 class: 0, as for LU); fire: 231,571
# turnouts in 2019 (atv.be) over 11.5 M inhabitants, about 20 per 1,000.
# LU: CGDIS activity report 2019 (rtl.lu 2020-09): 53,568 urgent ambulance interventions with first
# responders and SAMU counted in, of which SAMU 7,979; 1,858 road collisions with injured; 2,180 fires
# and 2,459 technical interventions; population 602,000 (facts). Urgent ambulance calls
# (53,568 - 7,979) / 602 = 75.7 per 1,000 (an upper bound: first-responder departures stay in), less
# road collisions 1,858 / 602 = 3.1 and cardiac arrests 1.0 (as for NL and BE): 71.6. The 5,604
# non-urgent interventions include the duty GP's visits and are not split: 0. Fire: structure fires
# 1.0 (as for NL) and the rest of fires and technical interventions, (2,180 + 2,459) / 602 - 1.0 =
# 6.7. With these default types a SAMU goes only to cardiac arrests and 30 % of road collisions,
# far fewer than the 7,979 / 602 = 13.3 SAMU calls per 1,000: scenarios/arlon-luxembourg.yaml has
# its own incident types for that. DE and FR: the NL figures as a stand-in: modelling choice.
_NL_A1 = 0.6 * 62.9
_NL_RATES = {"medical_urgent": _NL_A1 - 2.0, "medical_a2": 62.9 - _NL_A1, "medical_non_urgent": 17.7,
             "cardiac_arrest": 1.0, "road_collision": 1.0, "structure_fire": 1.0, "fire_small": 6.0}
_BE_RATES = {"medical_urgent": 35.2 - 2.0, "medical_a2": 0.0, "medical_non_urgent": 0.0,
             "cardiac_arrest": 1.0, "road_collision": 1.0, "structure_fire": 1.5, "fire_small": 17.6}
_LU_RATES = {"medical_urgent": 75.7 - 3.1 - 1.0, "medical_a2": 0.0, "medical_non_urgent": 0.0,
             "cardiac_arrest": 1.0, "road_collision": 3.1, "structure_fire": 1.0, "fire_small": 6.7}

# Dutch norms beyond A1. A2: "expected on scene within 30 min" (vzinfo.nl); no share is published:
# 95 % as for A1 (modelling choice). Fire (Besluit veiligheidsregio's; brandweer.nl "Normen voor
# opkomsttijd"): 5, 6, 8 or 10 min from the call by the building's use, 8 min "for most buildings";
# technical rescue 15 min (facts). The decree sets times, not a share: target NaN, the reports give
# the share within.
_NO_SHARE = float("nan")
_BRANDWEER = "Besluit veiligheidsregio's; brandweer.nl 'Normen voor opkomsttijd'"
_NL_MORE_NORMS = (
    Norm("NL", "ambulance", 30 * 60.0, 0.95, "vzinfo.nl: A2 within 30 min (share as A1: modelling choice)",
         "NL A2 30 min / 95 %", "a2"),
    *(Norm("NL", "fire", m * 60.0, _NO_SHARE, _BRANDWEER, f"NL fire {m} min", f"fire_{m}")
      for m in (5, 6, 8, 10)),
    Norm("NL", "fire", 15 * 60.0, _NO_SHARE, "brandweer.nl: technical rescue 15 min",
         "NL technical rescue 15 min", "technical_rescue"),
)

COUNTRIES: dict[str, Country] = {c.code: c for c in (
    Country("BE", "Belgium",
            Norm("BE", "ambulance", 15 * 60.0, 0.90,
                 "FOD Volksgezondheid service agreement (90 % within 15 min)", "BE 15 min / 90 %"),
            rates=_BE_RATES, colour="#0072B2"),
    Country("NL", "Netherlands",
            Norm("NL", "ambulance", 15 * 60.0, 0.95,
                 "RIVM / AZN; vzinfo.nl (A1: 95 % within 15 min)", "NL A1 15 min / 95 %"),
            rates=_NL_RATES, colour="#E69F00", more_norms=_NL_MORE_NORMS),
    Country("LU", "Luxembourg",
            Norm("LU", "ambulance", 15 * 60.0, 0.90,
                 "CGDIS (greng.lu; lessentiel.lu): 90 % within 15 min", "LU 15 min / 90 %"),
            rates=_LU_RATES, colour="#56B4E9"),
    Country("DE", "Germany",
            Norm("DE", "ambulance", 12 * 60.0, 0.90,
                 "NRW Rettungsdienst: 8 min urban / 12 min rural for 90 % (kommunen.nrw); "
                 "rural value used", "NRW 12 min / 90 %"),
            rates=dict(_NL_RATES), colour="#000000"),
    Country("FR", "France",
            Norm("FR", "smur", 30 * 60.0, 0.90,
                 "senat.fr: access to urgent care within 30 min (share: modelling choice)",
                 "FR 30 min"),
            rates={}, colour="#CC79A7"),
)}
"""Country code -> :class:`Country`. The scenario schema, the default demand, the norms and the
figures all read this table."""

DEFAULT_NORMS: dict[str, Norm] = {k: n for c in COUNTRIES.values() for k, n in c.norms().items()}
"""Default norms by key (``"NL"`` for the urgent class, ``"NL/a2"`` for the others:
:func:`sim.model.norms.norm_key`)."""
