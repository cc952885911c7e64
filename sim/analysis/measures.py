"""One definition of each measure the reports use.

Every table, summary and figure asks these functions, so that "calls within the norm" means the same
in ``compare``, ``summary.json``, a sweep and a figure:

- an incident's **class** is its type's norm class (:data:`sim.model.norms.NORM_CLASSES`: ``urgent``
  = NL A1 and the other countries' urgent ambulance calls, ``a2``, ``fire_8`` ...; ``""``: none),
  recorded in the ``norm_class`` column; results written before that column existed get ``urgent``
  for urgency 1 and none otherwise;
- its **service** is its class's (``ambulance`` or ``fire``): ambulance and fire calls are
  reported apart;
- its **norm** is the one of its class set for its dispatch centre, else for its country
  (:func:`sim.model.norms.find_norm`);
- a call is **judged** against the norm when it has one; it is **within** the norm when its response
  time (call to first unit on scene) is at most the norm's limit; a call never reached (response
  time NaN) is outside;
- every call also counts **within 10 and 15 min** (:data:`sim.model.norms.BANDS_S`): the measure
  for calls whose country has no norm for their class (Belgian fires);
- the **measured** calls are those after the warm-up and within the road extract.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.model.norms import BANDS_S, Norm, find_norm, service_of

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


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


def norm_classes(incidents: pd.DataFrame) -> npt.NDArray[np.object_]:
    """Each incident's norm class (``""``: none); from the urgency for results without the column."""
    if "norm_class" in incidents:
        return np.asarray(incidents["norm_class"].fillna("").astype(str).to_numpy(), dtype=object)
    urg = incidents["urgency"].to_numpy() if len(incidents) else np.zeros(0)
    return np.where(urg == 1, "urgent", "").astype(object)


def services(incidents: pd.DataFrame) -> npt.NDArray[np.object_]:
    """Each incident's service (``ambulance``, ``fire``; ``""`` for a call of no class)."""
    return class_services(norm_classes(incidents))


def class_services(classes: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """The service of each norm class in `classes` (:func:`norm_classes`), one look-up per class."""
    names, codes = np.unique(np.asarray(classes, dtype=object), return_inverse=True)
    return np.array([service_of(str(c)) for c in names] or [""], dtype=object)[codes.reshape(-1)]


def _norm_table(incidents: pd.DataFrame, norms: Mapping[str, Norm]) -> tuple[IntArray, list[Norm | None]]:
    """Each incident's row in a table of norms, one per (centre, country, class) that occurs (each
    column factorised on its own, the combinations as one integer: no tuples per row)."""
    cols = (incidents["dispatch_centre"].astype(str), incidents["country"].astype(str),
            pd.Series(norm_classes(incidents), dtype=object))
    codes, names = zip(*(pd.factorize(c) for c in cols), strict=True)
    sizes = [max(1, len(n)) for n in names]
    key = (np.asarray(codes[0], np.int64) * sizes[1] + codes[1]) * sizes[2] + codes[2]
    uniq, row = np.unique(key, return_inverse=True)
    table = [find_norm(norms, centre=str(names[0][k // (sizes[1] * sizes[2])]),
                       country=str(names[1][(k // sizes[2]) % sizes[1]]),
                       norm_class=str(names[2][k % sizes[2]]))
             for k in uniq.tolist()]
    return np.asarray(row, dtype=np.int64).reshape(-1), table


def norms_of(incidents: pd.DataFrame, norms: Mapping[str, Norm]) -> list[Norm | None]:
    """The norm of each incident (:func:`sim.model.norms.find_norm`; ``None``: not judged)."""
    if not len(incidents):
        return []
    codes, table = _norm_table(incidents, norms)
    return [table[i] for i in codes]


def norm_limits(incidents: pd.DataFrame, norms: Mapping[str, Norm]) -> FloatArray:
    """Each incident's norm limit in seconds: the norm of its class set for its dispatch centre,
    else for its country (NaN if none)."""
    if not len(incidents):
        return np.zeros(0)
    codes, table = _norm_table(incidents, norms)
    limits = np.array([n.limit_s if n is not None else math.nan for n in table] or [math.nan], dtype=float)
    return np.asarray(limits[codes], dtype=float)


def judged(incidents: pd.DataFrame, limits: FloatArray) -> BoolArray:
    """Which incidents are judged against a norm: those whose class has one (a finite limit)."""
    if not len(incidents):
        return np.zeros(0, bool)
    return np.asarray(np.isfinite(limits), dtype=bool)


def within(response_s: FloatArray, limits: FloatArray) -> BoolArray:
    """Whether each response time is within its limit (NaN, never reached, is outside)."""
    return np.asarray(np.asarray(response_s, float) <= limits, dtype=bool)


def within_bands(response_s: FloatArray) -> dict[str, BoolArray]:
    """Whether each response time is within 10 and within 15 min (:data:`BANDS_S`), keyed
    ``within_10min`` ... (NaN, never reached, is outside)."""
    rt = np.asarray(response_s, float)
    return {f"within_{b / 60:g}min": np.asarray(rt <= b, dtype=bool) for b in BANDS_S}


def within_norm(incidents: pd.DataFrame, norms: Mapping[str, Norm]) -> tuple[BoolArray, BoolArray]:
    """``(judged, within)`` masks over `incidents`: which are judged against a norm, and which of
    all are within their limit (count ``judged & within``)."""
    limits = norm_limits(incidents, norms)
    rt = incidents["response_time_s"].to_numpy(dtype=float) if len(incidents) else np.zeros(0)
    return judged(incidents, limits), within(rt, limits)
