"""Emergency driving: each vehicle's speed, normal and with lights and sirens, capped by road rules.

The network's edge times are the reference vehicle (an ambulance) driving normally
(:mod:`sim.roads.speeds`: JEMSS road-class speeds × 0.86, never above the legal limit, and on roads
with a rural limit at least the limit × 0.8). A vehicle drives every edge at that speed × its
`relative_speed`, and with lights and sirens × a further `lights_and_sirens` speed-up (× 1.15,
calibrated: see `LIGHTS_AND_SIRENS`). With lights and sirens
no edge may be driven faster than its legal limit plus the host country's cap for the vehicle
(:data:`sim.roads.speeds.SPEED_CAPS`: the Dutch rule, +40 km/h for ambulances, +20 km/h for fire
trucks over 5 t, and the same caps as a modelling choice where a country publishes none). Each trip
from a standstill to a standstill costs a further `start_stop_s` (the Kolesar-Walker form of a run
with acceleration and braking: the cruise speed ``v`` is lost for ``v / a`` seconds), so short runs
are slower than cruising.

Every vehicle and urgency is a constant multiple of the reference times, so all of them share the
reference's shortest routes and the engine prices any of them from one set of matrices exactly
(:meth:`DrivingModel.factors`). The cap is enforced on that multiple: where the nominal speed-up
would take a vehicle above its cap on some edge, its speed-up is lowered until no edge exceeds it.
With the default parameters it never binds (normal driving stays at or below 0.86 × the limit, so
with lights and sirens an ambulance at or below 0.99 × the limit).

These are expected times: dispatchers choose on them. With `variability` above 0 the leg actually
driven to a scene is the expected time × a random factor with median 1 (:func:`travel_factor`,
:func:`travel_cv`), drawn per incident slot from its own stream (``travel``, common to every
variant); legs to hospital and home keep their expected times.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.errors import UsageError
from sim.roads.speeds import CLASS_SPEEDS_KMH, NORMAL_FACTOR, SpeedSettings, cap_over_limit_kmh

FloatArray = npt.NDArray[np.float64]

LIGHTS_AND_SIRENS = 1.15
"""Speed-up with lights and sirens over normal driving: × 1.15, **calibrated** so that the Belgian
urgent ambulance calls of the Euregio study answer in the shape of the only published national
distribution (NL 2015: 8 % under 5 min, 58 % 5-10, 29 % 10-15, 5.8 % over 15; the model gives
8.9 / 57.3 / 27.6 / 6.1 %: the least sum of squared differences of × 1.10 to 1.30, tried in steps of
0.01 near the best).
Kept for checking: lights and sirens measured to save 31-39 % against ordinary traffic (Brown et
al.; Ho & Lindquist 2001; × 1.15 saves 13 %), Baarle-Nassau's 56.5 % over 15 min, the Brussels fire
drive. A modelling input with a range in the bundled studies' ``uncertain:`` blocks;
``speeds: {lights_and_sirens: ...}`` overrides it."""

RELATIVE_SPEED: dict[str, tuple[float, str]] = {
    "ambulance": (1.0, "the reference vehicle"),
    "smur": (1.06, "modelling choice: a physician car is lighter and quicker than a box ambulance"),
    "pumper": (0.88, "modelling choice: a fire truck over 10 t is slower than an ambulance"),
    "ladder": (0.83, "modelling choice: an aerial ladder truck is the heaviest and slowest"),
}
"""Unit type -> (speed relative to the ambulance on every road, normal and urgent; source). Types
missing here drive as the ambulance."""

ACCELERATION_MPS2: dict[str, tuple[float, str]] = {
    "ambulance": (1.4, "modelling choice: a loaded van-based ambulance"),
    "smur": (1.4, "modelling choice: as an ambulance"),
    "pumper": (0.7, "modelling choice: a fire truck accelerates about half as fast"),
    "ladder": (0.7, "modelling choice: as a pumper"),
}
"""Unit type -> (mean acceleration and braking, m/s², source) for the start/stop cost."""

END_SPEED_KMH = CLASS_SPEEDS_KMH["residential"][0] * NORMAL_FACTOR * LIGHTS_AND_SIRENS
"""Speed reached on leaving a station and left on arriving: the JEMSS urgent speed of minor
roads with lights and sirens (42 × 0.86 × 1.15 ≈ 42 km/h), where runs start and end."""


def kolesar_walker_s(vehicle: str) -> float:
    """The start/stop cost of one trip (s): ``v / a`` with ``v`` = `END_SPEED_KMH` × the vehicle's
    relative speed and ``a`` its acceleration (Kolesar & Walker, RAND 1974: a run of distance ``d``
    at cruise speed ``v`` takes ``d / v + v / a`` beyond ``v² / a``)."""
    v = END_SPEED_KMH / 3.6 * RELATIVE_SPEED.get(vehicle, (1.0, ""))[0]
    a = ACCELERATION_MPS2.get(vehicle, ACCELERATION_MPS2["ambulance"])[0]
    return v / a


VARIABILITY_REF_S = 600.0
"""Expected leg (s) at which `DrivingModel.variability` is the coefficient of variation (10 min)."""

VARIABILITY_MIN_S = 150.0
"""Legs shorter than this (s) vary as much as one of this length (2.5 min: at most twice the
coefficient of variation of a 10-minute leg), so a leg of a few seconds does not vary without
bound."""


def travel_cv(variability: float, expected_s: float) -> float:
    """Coefficient of variation of a leg expected to take `expected_s` seconds: `variability` ×
    sqrt(`VARIABILITY_REF_S` / max(`expected_s`, `VARIABILITY_MIN_S`)).

    The decline with the square root of the leg's length is a modelling choice: a leg is a chain
    of independent delays (junctions, traffic, the crew finding the address), so its standard
    deviation grows with the square root of its length and its coefficient of variation falls as
    one over it. Budge, Ingolfsson & Zerom (Management Science 56(4), 2010, Calgary) found the
    coefficient of variation of ambulance travel times to fall with distance; their figures could
    not be read here, so none of them is used.
    """
    return variability * math.sqrt(VARIABILITY_REF_S / max(expected_s, VARIABILITY_MIN_S))


def travel_factor(cv: float, z: float) -> float:
    """The realised leg over the expected one for the standard normal draw `z`: lognormal with
    median 1 and coefficient of variation `cv` (:func:`travel_cv`): ``exp(sigma × z)`` with
    ``sigma² = log(1 + cv²)``, exactly 1 when `cv` is 0."""
    return math.exp(math.sqrt(math.log1p(cv * cv)) * z)


def _default_relative() -> dict[str, float]:
    return {k: v[0] for k, v in RELATIVE_SPEED.items()}


@dataclass(frozen=True)
class Factors:
    """What the engine multiplies and adds, per vehicle (in the order asked for).

    Attributes
    ----------
    urgent, normal
        Travel-time multipliers of the reference times with and without lights and sirens.
    start_stop_s
        Seconds added to each trip from a standstill.
    capped
        Vehicles whose speed-up with lights and sirens was lowered to respect a cap, with the
        speed-up used.
    """

    urgent: FloatArray
    normal: FloatArray
    start_stop_s: FloatArray
    capped: dict[str, float]


@dataclass(frozen=True)
class DrivingModel:
    """Emergency driving: road speeds, each vehicle's speed, lights and sirens, caps, start/stop.

    Parameters
    ----------
    roads
        Road speeds of the reference vehicle driving normally (they time the network's edges when
        it is loaded).
    lights_and_sirens
        Speed-up with lights and sirens (`LIGHTS_AND_SIRENS`).
    relative_speed
        Unit type -> speed relative to the ambulance (`RELATIVE_SPEED`; missing types: 1).
    caps_kmh
        Country -> unit type -> km/h allowed above the limit with lights and sirens, overriding
        :func:`sim.roads.speeds.cap_over_limit_kmh`.
    start_stop_s
        Unit type -> seconds per trip from a standstill, overriding :func:`kolesar_walker_s`.
    variability
        Coefficient of variation of a 10-minute leg to a scene (:func:`travel_cv`); 0 (the default)
        drives every leg in exactly its expected time.
    """

    roads: SpeedSettings = field(default_factory=SpeedSettings)
    lights_and_sirens: float = LIGHTS_AND_SIRENS
    relative_speed: Mapping[str, float] = field(default_factory=_default_relative)
    caps_kmh: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    start_stop_s: Mapping[str, float] = field(default_factory=dict)
    variability: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.variability <= 2:
            raise ValueError(f"variability must be in [0, 2], got {self.variability}")
        if not self.lights_and_sirens > 0:
            raise ValueError(f"lights_and_sirens must be above 0, got {self.lights_and_sirens}")
        for k, v in self.relative_speed.items():
            if not v > 0:
                raise ValueError(f"relative speed of {k} must be above 0, got {v}")
        for k, v in self.start_stop_s.items():
            if not v >= 0:
                raise ValueError(f"start/stop time of {k} must not be negative, got {v}")
        for c, t in self.caps_kmh.items():
            for k, v in t.items():
                if not v >= 0:
                    raise ValueError(f"cap {c}/{k} must not be negative, got {v}")

    # ------------------------------------------------------------------ per vehicle
    def relative(self, vehicle: str | None) -> float:
        """Speed of `vehicle` relative to the reference vehicle (1 for ``None`` and missing types)."""
        return float(self.relative_speed.get(vehicle, 1.0)) if vehicle is not None else 1.0

    def speedup(self, vehicle: str | None, *, urgent: bool) -> float:
        """Nominal speed of `vehicle` as a multiple of the network's (reference) speed (1 for
        ``None``: the network's times as they are)."""
        if vehicle is None:
            return 1.0
        return self.relative(vehicle) * (self.lights_and_sirens if urgent else 1.0)

    def cap_kmh(self, country: str | None, vehicle: str) -> float:
        """km/h `vehicle` may drive above the limit in `country` with lights and sirens."""
        own = self.caps_kmh.get(country or "", {})
        if vehicle in own:
            return float(own[vehicle])
        return cap_over_limit_kmh(country, vehicle)[0]

    def start_stop(self, vehicle: str | None) -> float:
        """Seconds added to a trip of `vehicle` from a standstill (0 for ``None``)."""
        if vehicle is None:
            return 0.0
        if vehicle in self.start_stop_s:
            return float(self.start_stop_s[vehicle])
        return kolesar_walker_s(vehicle)

    # ------------------------------------------------------------------ on a network
    def check_network(self, network: Any) -> None:
        """Refuse a network whose edge times come from other road speeds than `roads`.

        Raises
        ------
        UsageError
            When the network was loaded with road speeds (``meta["speed_key"]``) other than these
            (networks built by hand, without that key, are taken as they are).
        """
        key = network.meta.get("speed_key")
        if key and key != self.roads.cache_key():
            raise UsageError(f"the network {network.name!r} was timed with other road speeds than this "
                             "variant's: load it with the variant's speeds (every variant and sweep "
                             "point of a scenario shares its road speeds)")

    def max_speedup(self, vehicle: str, network: Any) -> float:
        """The largest speed-up over the network's speed that keeps `vehicle` within its cap on
        every edge with a known limit (``inf`` when no edge has one)."""
        limit = getattr(network, "edge_limit_kmh", None)
        if limit is None or not network.n_edges:
            return float("inf")
        base_kmh = network.edge_length_m / network.edge_time_s * 3.6
        country = network.edge_country_codes()
        caps = np.array([self.cap_kmh(c, vehicle) for c in [None, *network.countries]])[country + 1]
        ok = np.isfinite(limit) & (base_kmh > 0) & (network.edge_length_m > 0)
        if not ok.any():
            return float("inf")
        return float(np.min((limit[ok] + caps[ok]) / base_kmh[ok]))

    def factors(self, network: Any, vehicles: Sequence[str]) -> Factors:
        """Travel-time multipliers and start/stop costs of `vehicles` on `network`, within the caps
        (:meth:`check_network` first)."""
        self.check_network(network)
        urgent, normal, start, capped = [], [], [], {}
        for v in vehicles:
            rel = self.relative(v)
            k = self.speedup(v, urgent=True)
            k_max = self.max_speedup(v, network)
            if k > k_max:
                k = k_max
                capped[v] = k / rel
            urgent.append(1.0 / k)
            normal.append(1.0 / rel)
            start.append(self.start_stop(v))
        return Factors(urgent=np.asarray(urgent, np.float64), normal=np.asarray(normal, np.float64),
                       start_stop_s=np.asarray(start, np.float64), capped=capped)

    def cache_key(self) -> str:
        """A short stable hash of the whole model."""
        payload = json.dumps({
            "roads": self.roads.cache_key(), "lights_and_sirens": self.lights_and_sirens,
            "relative_speed": dict(sorted(self.relative_speed.items())),
            "caps_kmh": {c: dict(sorted(t.items())) for c, t in sorted(self.caps_kmh.items())},
            "start_stop_s": dict(sorted(self.start_stop_s.items())),
            "variability": self.variability,
        }, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]
