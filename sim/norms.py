"""Response-time norms by country and service, with their sources.

A norm says: a share `target_share` of calls of an urgency level answered within `limit_s`
(call to first unit on scene). Values from ``shared/reference/emergency-services-facts.md``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Norm:
    """``target_share`` of calls within ``limit_s`` seconds."""

    country: str
    service: str
    limit_s: float
    target_share: float
    source: str
    label: str = ""


DEFAULT_NORMS: dict[str, Norm] = {
    "NL": Norm("NL", "ambulance", 15 * 60.0, 0.95,
               "RIVM / AZN; vzinfo.nl (A1: 95 % within 15 min)", "NL A1 15 min / 95 %"),
    "BE": Norm("BE", "ambulance", 15 * 60.0, 0.90,
               "FOD Volksgezondheid service agreement (90 % within 15 min)", "BE 15 min / 90 %"),
    "LU": Norm("LU", "ambulance", 15 * 60.0, 0.90,
               "CGDIS (greng.lu; lessentiel.lu): 90 % within 15 min", "LU 15 min / 90 %"),
    "DE": Norm("DE", "ambulance", 12 * 60.0, 0.90,
               "NRW Rettungsdienst: 8 min urban / 12 min rural for 90 % (kommunen.nrw); "
               "rural value used", "NRW 12 min / 90 %"),
    "FR": Norm("FR", "smur", 30 * 60.0, 0.90,
               "senat.fr: access to urgent care within 30 min (share: modelling choice)",
               "FR 30 min"),
}
"""Default norm per country, applied to urgent incidents (urgency 1)."""

NRW_URBAN = Norm("DE", "ambulance", 8 * 60.0, 0.90, "NRW Rettungsdienst urban (kommunen.nrw)",
                 "NRW urban 8 min / 90 %")


def norm_for(country: str, norms: dict[str, Norm] | None = None) -> Norm | None:
    """The norm of a country (``None`` where none is known)."""
    return (norms or DEFAULT_NORMS).get(country)
