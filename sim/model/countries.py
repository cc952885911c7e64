"""The one table of countries: each one's response-time norm, call rates and map colour.

Adding a country is a row here and its road rules (legal speed limits) in
:data:`sim.roads.speeds.DEFAULT_LIMITS`; ``docs/architecture.md`` has the recipe. Values come from
``shared/reference/emergency-services-facts.md``; where no published figure exists the value is
marked *modelling choice*.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.model.norms import Norm


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
        The norm urgent calls are judged against (call to first unit on scene).
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


# Rates. NL: 80.6 ambulance runs per 1,000 (2022), about 78 % urgent (A1+A2) (vzinfo.nl): 62.9 urgent,
# 17.7 not urgent; cardiac arrests (1.0) and road collisions (1.0) are taken out of the urgent part
# (their split: modelling choice). Fire: 143,500 alarms in 2019, about 8 per 1,000 (CBS 83122NED):
# structure fires 1.0 and road collisions (above) of it, the rest (6.0) small fires and technical
# rescue (split: modelling choice).
# BE: 35.2 primary 112 ambulance interventions per 1,000 in Flanders (gezondbelgie.be, 2020), all
# urgent (non-urgent patient transport is not a 112 task); fire: 231,571 turnouts in 2019 (atv.be)
# over 11.5 M inhabitants, about 20 per 1,000.
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
_NL_RATES = {"medical_urgent": 62.9 - 2.0, "medical_non_urgent": 17.7, "cardiac_arrest": 1.0,
             "road_collision": 1.0, "structure_fire": 1.0, "fire_small": 6.0}
_BE_RATES = {"medical_urgent": 35.2 - 2.0, "medical_non_urgent": 0.0, "cardiac_arrest": 1.0,
             "road_collision": 1.0, "structure_fire": 1.5, "fire_small": 17.6}
_LU_RATES = {"medical_urgent": 75.7 - 3.1 - 1.0, "medical_non_urgent": 0.0, "cardiac_arrest": 1.0,
             "road_collision": 3.1, "structure_fire": 1.0, "fire_small": 6.7}

COUNTRIES: dict[str, Country] = {c.code: c for c in (
    Country("BE", "Belgium",
            Norm("BE", "ambulance", 15 * 60.0, 0.90,
                 "FOD Volksgezondheid service agreement (90 % within 15 min)", "BE 15 min / 90 %"),
            rates=_BE_RATES, colour="#0072B2"),
    Country("NL", "Netherlands",
            Norm("NL", "ambulance", 15 * 60.0, 0.95,
                 "RIVM / AZN; vzinfo.nl (A1: 95 % within 15 min)", "NL A1 15 min / 95 %"),
            rates=_NL_RATES, colour="#E69F00"),
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

DEFAULT_NORMS: dict[str, Norm] = {code: c.norm for code, c in COUNTRIES.items()}
"""Default norm per country, applied to urgent incidents (urgency 1)."""
