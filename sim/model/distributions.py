"""Duration distributions (all in seconds), sampled vectorised from a numpy Generator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

DistKind = Literal["fixed", "exponential", "lognormal", "weibull", "gamma", "uniform", "triangular"]


@dataclass(frozen=True)
class Dist:
    """A non-negative duration distribution in seconds.

    Parameters
    ----------
    kind
        ``fixed`` (`value`), ``exponential`` (`mean`), ``lognormal`` (`mean`, `sd` of the
        duration itself, not of its log), ``gamma`` (`mean`, `sd`), ``weibull`` (`shape`, `scale`),
        ``uniform`` (`low`, `high`), ``triangular`` (`low`, `mode`, `high`).
    cap
        Optional upper bound: samples above it are set to it (e.g. ELASPY caps on-scene at 88 min).
    """

    kind: DistKind = "fixed"
    value: float = 0.0
    mean: float = 0.0
    sd: float = 0.0
    shape: float = 1.0
    scale: float = 0.0
    low: float = 0.0
    mode: float = 0.0
    high: float = 0.0
    cap: float | None = None

    @staticmethod
    def fixed(value: float) -> Dist:
        return Dist("fixed", value=float(value))

    @staticmethod
    def exponential(mean: float) -> Dist:
        return Dist("exponential", mean=float(mean))

    @staticmethod
    def lognormal(mean: float, sd: float, *, cap: float | None = None) -> Dist:
        return Dist("lognormal", mean=float(mean), sd=float(sd), cap=cap)

    def expected(self) -> float:
        """The mean of the distribution (ignoring `cap`)."""
        from math import gamma

        if self.kind == "fixed":
            return self.value
        if self.kind in ("exponential", "lognormal", "gamma"):
            return self.mean
        if self.kind == "weibull":
            return self.scale * gamma(1 + 1 / self.shape)
        if self.kind == "uniform":
            return (self.low + self.high) / 2
        return (self.low + self.mode + self.high) / 3

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...]) -> npt.NDArray[np.float64]:
        """Draw `size` samples (seconds, >= 0)."""
        k = self.kind
        if k == "fixed":
            x = np.full(size, self.value, dtype=float)
        elif k == "exponential":
            x = rng.exponential(self.mean, size)
        elif k == "lognormal":
            if self.sd <= 0:
                x = np.full(size, self.mean, dtype=float)
            else:
                s2 = np.log1p((self.sd / self.mean) ** 2)
                x = rng.lognormal(np.log(self.mean) - s2 / 2, np.sqrt(s2), size)
        elif k == "gamma":
            if self.sd <= 0:
                x = np.full(size, self.mean, dtype=float)
            else:
                shape = (self.mean / self.sd) ** 2
                x = rng.gamma(shape, self.mean / shape, size)
        elif k == "weibull":
            x = self.scale * rng.weibull(self.shape, size)
        elif k == "uniform":
            x = rng.uniform(self.low, self.high, size)
        elif k == "triangular":
            x = rng.triangular(self.low, self.mode, self.high, size)
        else:  # pragma: no cover - guarded by the Literal type and the scenario schema
            raise ValueError(f"unknown distribution kind {k!r}")
        x = np.maximum(np.asarray(x, dtype=float), 0.0)
        if self.cap is not None:
            x = np.minimum(x, self.cap)
        return x
