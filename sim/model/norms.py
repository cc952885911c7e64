"""Response-time norms by country and service, with their sources.

A norm says: a share `target_share` of calls of an urgency level answered within `limit_s`
(call to first unit on scene). Each country's default norm is in :data:`sim.model.countries.COUNTRIES`.
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
