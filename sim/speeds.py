"""Road speeds: ``maxspeed`` parsing, per-country defaults by road class, emergency-driving factors."""

from __future__ import annotations

from dataclasses import dataclass, field


def _default_urgent() -> dict[str, float]:
    # Lights and sirens save 38.5 % of travel time in urban and 30.9 % in rural settings
    # (Brown et al. 1998, PMID 9795322; Ho & Lindquist 2001): time factor 0.615-0.691.
    # Ambulance: 0.66, the middle of that range. SMUR/MUG cars are lighter and faster (modelling
    # choice: 0.62); pumpers and ladders are heavy trucks (modelling choice: 0.75 and 0.80).
    return {"ambulance": 0.66, "smur": 0.62, "pumper": 0.75, "ladder": 0.80}


@dataclass(frozen=True)
class EmergencyFactors:
    """Travel-time multipliers: driving time = normal time × factor(vehicle, urgent).

    `urgent` applies with lights and sirens; `normal` otherwise (returning, non-urgent transport).
    Vehicle types missing from a table use 1.0.
    """

    urgent: dict[str, float] = field(default_factory=_default_urgent)
    normal: dict[str, float] = field(default_factory=dict)

    def factor(self, vehicle: str | None, *, urgent: bool) -> float:
        """The travel-time multiplier of a vehicle type with or without lights and sirens."""
        if vehicle is None:
            return 1.0
        table = self.urgent if urgent else self.normal
        return float(table.get(vehicle, 1.0))
