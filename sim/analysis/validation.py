"""The model against published figures: the figures, the measures that reproduce them, agreement.

:data:`PUBLISHED` holds every figure of ``shared/reference/emergency-services-facts.md`` (and of the
bundled scenarios' cited sources) that the model can produce, each with its source and whether it
set a default (``calibration``: the model is expected to return it) or was kept for checking.
:data:`NOT_PRODUCED` lists those it cannot produce, and why. The measures below turn the records of
one variant (all replications) into one value per replication, so every model value gets a
Student-t 95 % interval over replications (:func:`sim.analysis.stats.mean_ci`).

Agreement (:func:`agrees`): the published value lies in the model's interval widened by a
tolerance: 5 percentage points for shares, 10 % of the published value otherwise. Figures measured
on other areas or years than the model's are scaled as each row says.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.stats import mean_ci

MIN = 60.0
DAYS_PER_YEAR = 365.25

SHARE_TOLERANCE = 5.0
"""Percentage points a share may differ from the model's interval and still agree."""
RELATIVE_TOLERANCE = 0.10
"""Relative difference a count, rate or duration may have from the model's interval and still agree."""


@dataclass(frozen=True)
class Published:
    """A published figure.

    Attributes
    ----------
    key
        Its identifier (``docs/validation.json``).
    what
        What it measures, in a planner's words.
    value, unit
        The figure as published (``%`` for shares, ``min``, ``per 1,000 a year``, ``a year``).
    source
        Where it comes from (the line of the facts file, or the source a scenario cites).
    use
        ``calibration`` when a default or a scenario value was set from it, else ``checking``.
    """

    key: str
    what: str
    value: float
    unit: str
    source: str
    use: str


_F = "emergency-services-facts.md"
PUBLISHED: tuple[Published, ...] = (
    Published("nl_a1_under_5", "NL urgent (A1) ambulance responses under 5 min, 2015", 8.0, "%",
              f"{_F}: NL 2015 distribution", "checking"),
    Published("nl_a1_5_10", "NL A1 responses of 5 to 10 min, 2015", 58.0, "%", f"{_F}: NL 2015 distribution",
              "checking"),
    Published("nl_a1_10_15", "NL A1 responses of 10 to 15 min, 2015", 29.0, "%",
              f"{_F}: NL 2015 distribution", "checking"),
    Published("nl_a1_over_15_2015", "NL A1 responses over 15 min, 2015", 5.8, "%",
              f"{_F}: NL 2015 distribution", "checking"),
    Published("ls_calibration_under_5", "NL 2015 share under 5 min (calibrates the lights-and-sirens "
              "speed-up)", 8.0, "%", f"{_F}: NL 2015 distribution", "calibration"),
    Published("ls_calibration_5_10", "NL 2015 share 5 to 10 min (calibrates the speed-up)", 58.0, "%",
              f"{_F}: NL 2015 distribution", "calibration"),
    Published("ls_calibration_10_15", "NL 2015 share 10 to 15 min (calibrates the speed-up)", 29.0, "%",
              f"{_F}: NL 2015 distribution", "calibration"),
    Published("ls_calibration_over_15", "NL 2015 share over 15 min (calibrates the speed-up)", 5.8, "%",
              f"{_F}: NL 2015 distribution", "calibration"),
    Published("nl_a1_over_15_2023", "NL A1 responses over 15 min, 2023", 9.3, "%", f"{_F}: observed NL 2023",
              "checking"),
    Published("nl_a1_p95_2022", "NL A1 response time, 95th percentile, 2022", 17.0, "min",
              f"{_F}: NL 2022 actual P95 for A1", "checking"),
    Published("baarle_nassau_over_15", "Baarle-Nassau: urgent (A1) rides over 15 min, 2019-2023", 56.5, "%",
              f"{_F}: Baarle-Nassau (2025 press: RTL Nieuws's analysis of the A1 rides of 2019-2023, "
              "metronieuws.nl and nhnieuws.nl, Feb 2025)", "checking"),
    Published("rivm_call_to_scene", "NL mean time from call to scene", 10.0, "min", f"{_F}: RIVM 2009",
              "checking"),
    Published("rivm_on_scene", "NL mean time on scene", 20.0, "min", f"{_F}: RIVM 2009", "calibration"),
    Published("rivm_transport", "NL mean transport time, scene to hospital", 12.0, "min", f"{_F}: RIVM 2009",
              "checking"),
    Published("rivm_call_to_hospital", "NL mean time from call to hospital", 41.0, "min", f"{_F}: RIVM 2009",
              "checking"),
    Published("jemss_dispatch", "Dispatch delay, call to the ambulance's alert", 3.0, "min",
              f"{_F}: JEMSS Utrecht model", "checking"),
    Published("jemss_on_scene", "Mean time on scene (JEMSS model)", 12.0, "min", f"{_F}: JEMSS Utrecht model",
              "checking"),
    Published("jemss_transported", "Urgent patients transported", 80.0, "%", f"{_F}: JEMSS Utrecht model",
              "calibration"),
    Published("jemss_handover", "Mean hospital handover", 16.0, "min", f"{_F}: JEMSS Utrecht model",
              "calibration"),
    Published("elaspy_transported", "Ambulance rides with a transport (all urgencies)", 63.0, "%",
              f"{_F}: ELASPY Utrecht", "checking"),
    Published("elaspy_on_scene", "Mean time on scene (ELASPY)", 30.0, "min", f"{_F}: ELASPY Utrecht",
              "checking"),
    Published("ambulance_turnout", "Ambulance turnout, alert to departure", 2.0, "min",
              f"{_F}: turnout about 2 min (DE, LU norms)", "calibration"),
    Published("be_fire_turnout", "Belgian fire turnout by day", 4 + 26 / 60, "min",
              f"{_F}: Brussels 2019 averages (4:26 turnout)", "calibration"),
    Published("be_fire_drive", "Belgian fire drive to scene", 6 + 59 / 60, "min",
              f"{_F}: Brussels 2019 averages (6:59 drive)", "checking"),
    Published("lights_sirens_saving", "Time saved by lights and sirens", 34.7, "%",
              f"{_F}: 38.5 % urban, 30.9 % rural (Brown et al.); their middle", "checking"),
    Published("nl_ambulance_rate", "NL ambulance runs per 1,000 inhabitants, 2022", 80.6, "per 1,000 a year",
              f"{_F}: vzinfo.nl", "calibration"),
    Published("nl_urgent_share", "NL ambulance runs that are urgent (A1 + A2)", 78.0, "%", f"{_F}: vzinfo.nl",
              "calibration"),
    Published("be_flanders_rate", "BE (Flanders) 112 ambulance interventions per 1,000, 2020", 35.2,
              "per 1,000 a year", f"{_F}: gezondbelgie.be", "calibration"),
    Published("be_wallonia_rate", "BE (Wallonia) 112 ambulance interventions per 1,000, 2020", 51.8,
              "per 1,000 a year", f"{_F}: gezondbelgie.be", "calibration"),
    Published("nl_fire_rate", "NL fire alarms per 1,000 inhabitants, 2019", 8.0, "per 1,000 a year",
              f"{_F}: CBS 83122NED", "calibration"),
    Published("be_fire_rate", "BE fire turnouts per 1,000 inhabitants, 2019 (231,571 / 11.5 M)", 20.1,
              "per 1,000 a year", f"{_F}: atv.be", "calibration"),
    Published("emric_ambulance", "EMRIC cross-border ambulance deployments a year", 900.0, "a year",
              f"{_F}: emric.info", "checking"),
    Published("emric_fire", "EMRIC cross-border fire deployments a year", 300.0, "a year",
              f"{_F}: emric.info", "checking"),
    Published("lu_samu_2018", "LU SAMU interventions, 2018 (602,000 inhabitants)", 7299.0, "a year",
              f"{_F}: lessentiel.lu 2019", "calibration"),
    Published("lu_within_15", "LU urgent ambulance calls reached within 15 min", 67.0, "%",
              "CGDIS director, today.rtl.lu (cited in scenarios/arlon-luxembourg.yaml)", "checking"),
    Published("erlang_c_wait", "M/M/3 queue (12.6 calls/h, 10 min service): probability of waiting", 0.0, "%",
              "Erlang C formula (Erlang 1917)", "checking"),
    Published("erlang_c_mean_wait", "M/M/3 queue (12.6 calls/h, 10 min service): mean wait", 0.0, "min",
              "Erlang C formula (Erlang 1917)", "checking"),
    Published("mm1_wait", "M/M/1 queue (3 calls/h, 10 min service): probability of waiting", 50.0, "%",
              "M/M/1: P(wait) = utilisation", "checking"),
)
"""The published figures the model can produce (the Erlang C values are computed: :func:`erlang_c`)."""

NOT_PRODUCED: tuple[tuple[str, str], ...] = (
    ("Woensdrecht 2019: A1 norm exceeded in 23.5 % of calls (Putte 52.3 %)",
     "Woensdrecht and Putte lie outside every bundled region"),
    ("NRW: 8 min urban / 12 min rural for 90 % of calls", "no German demand is simulated beyond the border "
     "margins of the euregio extract"),
    ("BE (Brussels) 68.4 ambulance interventions per 1,000", "no bundled region covers Brussels"),
    ("LU SAMU: over 8,000 interventions expected in 2020", "a forecast, not an observation"),
    ("Baarle joint fire corps: 22 Dutch and 8 Belgian firefighters", "the model counts trucks, not crews"),
)
"""Published figures the model cannot produce, with the reason."""


def by_key(key: str) -> Published:
    """The published figure `key`."""
    for p in PUBLISHED:
        if p.key == key:
            return p
    raise KeyError(key)


def erlang_c(lam: float, mu: float, c: int) -> tuple[float, float]:
    """Probability of waiting and mean wait (s) of an M/M/c queue (rates per second)."""
    a = lam / mu
    rho = a / c
    top = a ** c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)
    return p_wait, p_wait / (c * mu - lam)


# ---------------------------------------------------------------------------------------- measures


def per_replication(frame: pd.DataFrame, fn: Callable[[pd.DataFrame], float],
                    reps: Sequence[int]) -> np.ndarray:
    """``fn`` of the rows of each replication of `frame` (NaN where it has none)."""
    out = []
    for r in reps:
        part = frame[frame["replication"] == r]
        out.append(fn(part) if len(part) else math.nan)
    return np.asarray(out, dtype=float)


def share(mask: pd.Series | np.ndarray) -> float:
    """Percentage of true values (NaN when empty)."""
    m = np.asarray(mask, dtype=bool)
    return 100.0 * float(m.mean()) if len(m) else math.nan


def mean_minutes(seconds: pd.Series | np.ndarray) -> float:
    """Mean of the finite values, in minutes (NaN when none)."""
    s = np.asarray(seconds, dtype=float)
    s = s[np.isfinite(s)]
    return float(s.mean()) / MIN if len(s) else math.nan


def quantile_minutes(seconds: pd.Series | np.ndarray, q: float) -> float:
    """The `q` quantile in minutes, a call never reached counting as longer than any."""
    s = np.asarray(seconds, dtype=float)
    if not len(s):
        return math.nan
    return float(np.quantile(np.where(np.isfinite(s), s, np.inf), q)) / MIN


def measured_missions(missions: pd.DataFrame, incidents: pd.DataFrame) -> pd.DataFrame:
    """The missions of the incidents after the warm-up (joined on variant, replication and incident)."""
    keys = ["variant", "replication", "incident_id"]
    keep = incidents.loc[~incidents["in_warmup"].astype(bool), keys]
    return missions.merge(keep, on=keys, how="inner")


# ---------------------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Row:
    """One row of the validation report."""

    figure: Published
    model: float
    low: float
    high: float
    replications: int
    scenario: str
    scaling: str

    @property
    def difference(self) -> float:
        return self.model - self.figure.value

    @property
    def agrees(self) -> bool:
        return agrees(self.figure, self.low, self.high, self.model)

    def as_dict(self) -> dict[str, object]:
        f = self.figure
        return {"key": f.key, "figure": f.what, "source": f.source, "published": f.value, "unit": f.unit,
                "model": self.model, "model_low": self.low, "model_high": self.high,
                "replications": self.replications, "difference": self.difference,
                "relative_difference": self.difference / f.value if f.value else math.nan,
                "agrees": self.agrees, "use": f.use, "scenario": self.scenario, "scaling": self.scaling}


def agrees(figure: Published, low: float, high: float, model: float) -> bool:
    """Whether `figure` lies in the model's interval (``low``, ``high``; the point `model` when the
    interval is undefined) widened by the tolerance of its kind."""
    tol = SHARE_TOLERANCE if figure.unit == "%" else RELATIVE_TOLERANCE * abs(figure.value)
    lo, hi = (low, high) if math.isfinite(low) and math.isfinite(high) else (model, model)
    return bool(math.isfinite(lo) and lo - tol <= figure.value <= hi + tol)


def row(figure: Published, values: np.ndarray | float, *, scenario: str, scaling: str = "",
        published: float | None = None) -> Row:
    """A row from the model's per-replication `values` (or one value), with the figure's value
    replaced by `published` when it was scaled to the model's area. The interval of a share is
    cut to 0-100 %."""
    fig = figure if published is None else Published(figure.key, figure.what, published, figure.unit,
                                                      figure.source, figure.use)
    v = np.atleast_1d(np.asarray(values, dtype=float))
    v = v[np.isfinite(v)]
    if not len(v):
        return Row(fig, math.nan, math.nan, math.nan, 0, scenario, scaling)
    iv = mean_ci(v)
    low, high = (max(iv.low, 0.0), min(iv.high, 100.0)) if fig.unit == "%" else (iv.low, iv.high)
    return Row(fig, iv.estimate, low, high, len(v), scenario, scaling)
