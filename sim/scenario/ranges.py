"""One entry of a scenario's ``uncertain:`` block: a range (or distribution) and its reason.

::

    uncertain:
      variants.benelux-2009.agreements[0].request_delay.mean:
        range: 1 min..5 min
        reason: the phone call between the 112 centres is not measured
      emergency_factors.urgent.ambulance:
        range: 0.60..0.75
        distribution: triangular
        mode: 0.66
        reason: lights and sirens save 31-38 % of the time in traffic (Brown et al.)

``range`` is ``LOW..HIGH``: two durations (``1 min..5 min``; ``1..5 min`` gives both ends the
unit of the high one), speeds (``70 km/h..110 km/h``), distances, or plain numbers (``0.6..0.8``).
Two whole numbers without a unit (``1..3``) make an integer input (unit counts): values are rounded.
``distribution`` is ``uniform`` over the range (the default), ``triangular`` (with ``mode``) or
``normal`` (``mean`` and ``sd``, cut to the range). ``also`` lists further paths that take the
same value (one modelling choice written in several places); ``label`` names the input in
figures and tables (default: its path). The paths are checked by :mod:`sim.scenario.uncertain`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.scenario.quantities import Source, parse_distance, parse_duration, parse_speed

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_BARE = re.compile(rf"^\s*({_NUMBER})\s*$")
_WITH_UNIT = re.compile(rf"^\s*({_NUMBER})\s*([A-Za-z/]+)\s*$")
_INTEGER = re.compile(r"^\s*[-+]?\d+\s*$")
_KINDS: tuple[tuple[str, Callable[[object], float]], ...] = (
    ("duration", parse_duration), ("speed", parse_speed), ("distance", parse_distance))

Kind = Literal["number", "duration", "speed", "distance"]


@dataclass(frozen=True)
class Scale:
    """How values of a range are written back into the file: a unit (and its factor to SI) or none."""

    kind: Kind
    unit: str = ""
    factor: float = 1.0
    integer: bool = False

    def parse(self, value: Any, what: str) -> float:
        """A value written in this scale (``mode: 20 min``) in SI units."""
        text = str(value).strip()
        m = _WITH_UNIT.match(text)
        if self.kind == "number":
            if isinstance(value, bool) or not _BARE.match(text):
                raise ValueError(f"{what} {value!r} must be a number, as the range is")
            return float(text)
        parser = dict(_KINDS)[self.kind]
        if m is None and _BARE.match(text):
            return float(text) * self.factor  # the range's unit
        try:
            return parser(text)
        except ValueError:
            raise ValueError(f"{what} {value!r} must be a {self.kind}, as the range is") from None

    def text(self, x: float) -> Any:
        """`x` (SI units) as the file writes it: ``"2.5 min"``, ``0.66`` or ``2``."""
        if self.integer:
            return round(x)
        if self.kind == "number":
            return float(f"{x:.6g}")
        return f"{x / self.factor:.6g} {self.unit}"


def _end(text: str, unit: str) -> tuple[float, Scale]:
    """One end of a range in SI units, and its scale."""
    m = _WITH_UNIT.match(text)
    if m is None:
        if not _BARE.match(text):
            raise ValueError(f"{text.strip()!r} is not a number or a quantity such as '2 min'")
        if not unit:
            return float(text), Scale("number", integer=bool(_INTEGER.match(text)))
        text = f"{text.strip()} {unit}"
        m = _WITH_UNIT.match(text)
        assert m is not None
    for kind, parser in _KINDS:
        try:
            value = parser(text)
        except ValueError:
            continue
        return value, Scale(kind, m.group(2), parser(f"1 {m.group(2)}"))  # type: ignore[arg-type]
    raise ValueError(f"{text.strip()!r}: unit {m.group(2)!r} is not a duration, speed or distance unit")


def parse_range(text: Any) -> tuple[float, float, Scale]:
    """``"1 min..5 min"`` -> ``(60.0, 300.0, Scale("duration", "min", 60.0))``.

    Raises
    ------
    ValueError
        With a message for the planner (ends of different kinds, low not below high, ...).
    """
    if not isinstance(text, str) or ".." not in text:
        raise ValueError("write LOW..HIGH, e.g. '1 min..5 min' or '0.6..0.8'")
    lo_text, _, hi_text = text.partition("..")
    if not lo_text.strip() or not hi_text.strip():
        raise ValueError(f"{text!r}: both ends are needed (LOW..HIGH)")
    hi, hi_scale = _end(hi_text, "")
    lo, lo_scale = _end(lo_text, hi_scale.unit)
    if lo_scale.kind != hi_scale.kind:
        raise ValueError(f"{text!r}: the ends are a {lo_scale.kind} and a {hi_scale.kind}")
    if not lo < hi:
        raise ValueError(f"{text!r}: the low end must be below the high end")
    scale = Scale(lo_scale.kind, lo_scale.unit, lo_scale.factor, lo_scale.integer and hi_scale.integer)
    return lo, hi, scale


class UncertainSpec(BaseModel):
    """One entry of the ``uncertain:`` block (its key is the field path)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    range: str
    reason: Source
    distribution: Literal["uniform", "triangular", "normal"] = "uniform"
    mode: str | float | None = None
    mean: str | float | None = None
    sd: str | float | None = None
    also: list[str] = Field(default_factory=list)
    label: str = ""

    @field_validator("range", mode="before")
    @classmethod
    def _range(cls, v: Any) -> Any:
        parse_range(v)
        return v

    @model_validator(mode="after")
    def _distribution(self) -> UncertainSpec:
        self.params()
        return self

    def params(self) -> tuple[float, float, Scale, dict[str, float]]:
        """``(low, high, scale, parameters)`` in SI units; parameters: ``mode``, or ``mean`` and ``sd``."""
        lo, hi, scale = parse_range(self.range)
        need = {"uniform": (), "triangular": ("mode",), "normal": ("mean", "sd")}[self.distribution]
        given = [p for p in ("mode", "mean", "sd") if getattr(self, p) is not None]
        missing = [p for p in need if p not in given]
        extra = [p for p in given if p not in need]
        if missing or extra:
            raise ValueError(f"a {self.distribution} range takes {' and '.join(need) or 'no parameter'}"
                             + (f"; missing {', '.join(missing)}" if missing else "")
                             + (f"; {', '.join(extra)} does not apply" if extra else ""))
        out = {p: scale.parse(getattr(self, p), p) for p in need}
        if "mode" in out and not lo <= out["mode"] < hi:
            raise ValueError("mode must lie in the range, below its high end")
        if "mean" in out and not lo <= out["mean"] <= hi:
            raise ValueError("mean must lie in the range")
        if "sd" in out and not out["sd"] > 0:
            raise ValueError("sd must be above 0")
        return lo, hi, scale, out
