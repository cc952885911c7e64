"""One definition of each measure the reports use.

Every table, summary and figure asks these functions, so that "urgent calls within the norm" means
the same in ``compare``, ``summary.json``, a sweep and a figure:

- an incident's **norm** is its dispatch centre's if the scenario sets one, else its country's;
- a call is **judged** against the norm when it is urgent (urgency 1) and has a norm;
- it is **within** the norm when its response time (call to first unit on scene) is at most the
  norm's limit; a call never reached (response time NaN) is outside;
- the **measured** calls are those after the warm-up and within the road extract.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.model.norms import Norm

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


def measured_calls(incidents: pd.DataFrame) -> pd.DataFrame:
    """The incidents the statistics judge: those called after the warm-up, and not beyond the road
    extract (``beyond_extract``: the foreign side's own calls, reached by estimated legs, which
    keep its units busy but are not the study's calls)."""
    if not len(incidents):
        return incidents
    keep = np.ones(len(incidents), dtype=bool)
    for col in ("in_warmup", "beyond_extract"):
        if col in incidents:
            keep &= ~incidents[col].to_numpy(dtype=bool)
    return incidents[keep]


def norm_limits(incidents: pd.DataFrame, norms: Mapping[str, Norm]) -> FloatArray:
    """Each incident's norm limit in seconds: its dispatch centre's norm, else its country's (NaN if
    none)."""
    if not len(incidents):
        return np.zeros(0)

    def limit(centre: str, country: str) -> float:
        n = norms.get(centre) or norms.get(country)
        return float(n.limit_s) if n is not None else math.nan

    centres, centre_names = pd.factorize(incidents["dispatch_centre"].astype(str))
    countries, country_names = pd.factorize(incidents["country"].astype(str))
    table = np.array([[limit(c, k) for k in country_names] for c in centre_names], dtype=float)
    return np.asarray(table[centres, countries], dtype=float)


def judged(incidents: pd.DataFrame, limits: FloatArray) -> BoolArray:
    """Which incidents are judged against a norm: urgent (urgency 1) with a finite limit."""
    if not len(incidents):
        return np.zeros(0, bool)
    return np.asarray((incidents["urgency"].to_numpy() == 1) & np.isfinite(limits), dtype=bool)


def within(response_s: FloatArray, limits: FloatArray) -> BoolArray:
    """Whether each response time is within its limit (NaN, never reached, is outside)."""
    return np.asarray(np.asarray(response_s, float) <= limits, dtype=bool)


def within_norm(incidents: pd.DataFrame, norms: Mapping[str, Norm]) -> tuple[BoolArray, BoolArray]:
    """``(judged, within)`` masks over `incidents`: which are judged against a norm, and which of
    all are within their limit (count ``judged & within``)."""
    limits = norm_limits(incidents, norms)
    rt = incidents["response_time_s"].to_numpy(dtype=float) if len(incidents) else np.zeros(0)
    return judged(incidents, limits), within(rt, limits)
