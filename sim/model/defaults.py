"""Default incident types, rates, turnout times and time profile, each value with its source.

Sources are the lines of ``shared/reference/emergency-services-facts.md`` (quoted in short next to
each value). Where no published figure exists the value is marked *modelling choice*.
"""

from __future__ import annotations

import math

from sim.model.countries import COUNTRIES
from sim.model.demand import Demand, IncidentType
from sim.model.distributions import Dist
from sim.model.units import UNIT_TYPES, Turnout

MIN = 60.0

DEFAULT_CALL_PROCESSING = Dist.lognormal(120.0, 45.0, cap=600.0)
"""Call to first unit alerted: mean 2 min (NL A1 norm "call handling 2 min", RIVM / AZN).
Spread (sd 45 s) and cap (10 min): modelling choice."""

# Hospital handover: Weibull(shape 1.5, scale 18 min), mean about 16 min (JEMSS Utrecht model).
_HANDOVER = Dist("weibull", shape=1.5, scale=18 * MIN, cap=88 * MIN)
# On scene: about 20 min (RIVM 2009); lognormal, capped at 88 min (ELASPY Utrecht).
# The sd (10 min) is a modelling choice.
_ON_SCENE_AMBULANCE = Dist.lognormal(20 * MIN, 10 * MIN, cap=88 * MIN)


def default_incident_types() -> tuple[IncidentType, ...]:
    """The default incident types.

    Returns
    -------
    tuple of IncidentType
        ``medical_urgent`` (NL A1), ``medical_non_urgent`` (NL B), ``cardiac_arrest``,
        ``road_collision``, ``structure_fire``, ``fire_small``, ``medical_a2`` (NL A2).
    """
    return (
        IncidentType(
            name="medical_urgent", urgency=1, needs={"ambulance": 1},
            on_scene={"ambulance": _ON_SCENE_AMBULANCE},
            # 80 % transported (JEMSS Utrecht); ELASPY has 63 % over all rides.
            transport_share=0.80, handover=_HANDOVER, lights_and_sirens=True,
        ),
        IncidentType(
            name="medical_non_urgent", urgency=3, needs={"ambulance": 1},
            on_scene={"ambulance": _ON_SCENE_AMBULANCE},
            # NL B rides (planned, a time agreed: vzinfo.nl): no norm, no lights and sirens.
            # 63 % transported (ELASPY Utrecht, all rides).
            transport_share=0.63, handover=_HANDOVER, lights_and_sirens=False, norm_class="",
        ),
        IncidentType(
            name="cardiac_arrest", urgency=1, needs={"ambulance": 1, "smur": 1},
            # Resuscitation on scene: 30 min ambulance, 35 min SMUR/MUG (modelling choice).
            on_scene={"ambulance": Dist.lognormal(30 * MIN, 10 * MIN, cap=88 * MIN),
                      "smur": Dist.lognormal(35 * MIN, 10 * MIN, cap=88 * MIN)},
            transport_share=0.50,  # modelling choice (patients with return of circulation)
            handover=_HANDOVER, lights_and_sirens=True,
        ),
        IncidentType(
            name="road_collision", urgency=1, needs={"ambulance": 1, "pumper": 1},
            optional_needs={"smur": (1, 0.3)},  # SMUR/MUG to 30 %: modelling choice
            on_scene={"ambulance": _ON_SCENE_AMBULANCE,
                      "pumper": Dist.lognormal(45 * MIN, 20 * MIN, cap=180 * MIN),  # modelling choice
                      "smur": Dist.lognormal(25 * MIN, 10 * MIN, cap=88 * MIN)},  # modelling choice
            transport_share=0.70,  # modelling choice (between ELASPY 63 % and JEMSS 80 %)
            handover=_HANDOVER, lights_and_sirens=True,
        ),
        IncidentType(
            name="structure_fire", urgency=1, needs={"pumper": 2, "ladder": 1, "ambulance": 1},
            # Fire-fighting times and the ambulance on standby: modelling choice. Judged as a fire
            # in a building with the common Dutch 8-min norm ("for most buildings", brandweer.nl);
            # a scenario may add types for the 5-, 6- and 10-min buildings (classes fire_5 ...).
            on_scene={"pumper": Dist.lognormal(75 * MIN, 40 * MIN, cap=360 * MIN),
                      "ladder": Dist.lognormal(60 * MIN, 30 * MIN, cap=360 * MIN),
                      "ambulance": Dist.lognormal(45 * MIN, 20 * MIN, cap=180 * MIN)},
            transport_share=0.10, handover=_HANDOVER, lights_and_sirens=True,  # modelling choice
            norm_class="fire_8",
        ),
        IncidentType(
            name="fire_small", urgency=1, needs={"pumper": 1},
            # Outdoor fires, automatic alarms, technical rescue: one pumper (modelling choice).
            # No norm in the model's countries for this mix: reported by the shares within 10 and
            # 15 min (class "fire").
            on_scene={"pumper": Dist.lognormal(30 * MIN, 15 * MIN, cap=180 * MIN)},
            lights_and_sirens=True, norm_class="fire",
        ),
        IncidentType(
            name="medical_a2", urgency=2, needs={"ambulance": 1},
            # NL A2: no immediate danger to life, on scene as soon as possible, within 30 min
            # (vzinfo.nl). Driven without lights and sirens and transported as the urgent calls
            # (80 %, JEMSS Utrecht): modelling choices. Last in the list, so that the types before
            # keep their random streams.
            on_scene={"ambulance": _ON_SCENE_AMBULANCE},
            transport_share=0.80, handover=_HANDOVER, lights_and_sirens=False, norm_class="a2",
        ),
    )


def default_rates() -> dict[str, dict[str, float]]:
    """Incidents per 1,000 inhabitants per year, per country and incident type: the ``rates`` of
    :data:`sim.model.countries.COUNTRIES` (their sources are there)."""
    return {code: dict(c.rates) for code, c in COUNTRIES.items() if c.rates}


def default_turnout() -> dict[str, Turnout]:
    """Turnout (alert to wheels rolling) per unit type: the defaults of
    :data:`sim.model.units.UNIT_TYPES` (their sources are there)."""
    return {name: ut.turnout for name, ut in UNIT_TYPES.items()}


def default_hour_of_week() -> tuple[float, ...]:
    """168 relative weights, Monday 00:00 first: the same daily pattern every day.

    Demand follows consistent daily patterns across jurisdictions, low at night and highest from
    late morning to early evening (review of 38 studies, Emerg Med J 30(11):883). The exact shape —
    a cosine with its trough at 04:00 at 45 % of its peak at 16:00 — is a modelling choice.
    """
    out = []
    for h in range(168):
        hod = h % 24 + 0.5
        out.append(round(1.0 + 0.38 * math.cos(2 * math.pi * (hod - 16.0) / 24.0), 4))
    return tuple(out)


def default_demand() -> Demand:
    """The demand of a spec that gives none: :func:`default_rates` over
    :func:`default_hour_of_week` (spread and scale: the defaults of :class:`sim.model.demand.Demand`)."""
    return Demand(rates_per_1000=default_rates(), hour_of_week=default_hour_of_week())
