"""The validation report: the bundled scenarios run, and each published figure set beside the model's.

:func:`validation_rows` runs the variant of each bundled study that stands for the arrangement in
force (Baarle-Turnhout with the Benelux 2009 agreement, the Euregio with EMRIC, Arlon-Luxembourg
with the 2016 decision) and an M/M/c queue through the engine, and gives one
:class:`sim.analysis.validation.Row` per published figure (:data:`sim.analysis.validation.PUBLISHED`).
:func:`write_report` writes ``validation.md`` and ``validation.json``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.measures import norm_classes
from sim.analysis.validation import (
    DAYS_PER_YEAR,
    MIN,
    NOT_PRODUCED,
    RELATIVE_TOLERANCE,
    SHARE_TOLERANCE,
    Row,
    by_key,
    erlang_c,
    mean_minutes,
    measured_missions,
    per_replication,
    quantile_minutes,
    row,
    share,
)
from sim.engine import simulate
from sim.model.agreements import DispatchPolicy
from sim.model.demand import SECONDS_PER_YEAR, Demand, IncidentType
from sim.model.distributions import Dist
from sim.model.places import Place, spread_places
from sim.model.spec import ModelSpec
from sim.model.units import Station, Turnout
from sim.roads.network import RoadNetwork, haversine_m
from sim.scenario import Scenario, load_scenario, parse_duration
from sim.study.folders import write_json, write_text
from sim.study.runner import run_replications

CASES: dict[str, tuple[str, str]] = {
    "nl": ("baarle-turnhout.yaml", "benelux-2009"),
    "emric": ("euregio-meuse-rhine-be.yaml", "emric"),
    "lu": ("arlon-luxembourg.yaml", "benelux-2016"),
}
"""The scenario file and the variant (the arrangement in force) each group of figures is read from."""

EMRIC_POPULATION = 4_000_000
"""Inhabitants of the Euregio Meuse-Rhine (emric.info; facts)."""
LU_POPULATION = 602_000
"""Inhabitants of Luxembourg, 2019 (facts)."""


@dataclass
class Case:
    """One scenario variant run for the report."""

    scenario: Scenario
    variant: str
    spec: ModelSpec
    region: Any
    incidents: pd.DataFrame
    missions: pd.DataFrame
    reps: list[int]
    measured_days: float
    population: dict[str, float]

    @property
    def label(self) -> str:
        return f"{self.scenario.name} ({self.variant})"

    def types_needing(self, unit: str) -> set[str]:
        return {t.name for t in self.spec.incident_types if unit in t.needs}

    def per_year(self, counts: np.ndarray) -> np.ndarray:
        return counts * DAYS_PER_YEAR / self.measured_days


def population_covered(spec: ModelSpec, region: Any) -> dict[str, float]:
    """Inhabitants whose calls happen on the network, by country: of the places within reach of it,
    less the share beyond the extract of those at its edge (:func:`sim.model.places.spread_places`)."""
    pi, _, w = spread_places(region.network, spec.places, spread_m=spec.demand.spread_m,
                             max_distance_m=spec.demand.max_place_distance_m,
                             reach_m=spec.demand.split_reach_m)
    on = np.bincount(pi, weights=w, minlength=len(spec.places))
    out: dict[str, float] = {}
    for place, part in zip(spec.places, on, strict=True):
        if part > 0:
            out[place.country] = out.get(place.country, 0.0) + place.population * float(part)
    return out


def run_case(path: Path, variant: str, *, horizon: str | None, reps: int | None, workers: int) -> Case:
    """Run `variant` of the scenario at `path` (its horizon and replications unless given)."""
    sc = load_scenario(path)
    data = copy.deepcopy(sc.data)
    data.pop("uncertain", None)
    if horizon is not None:
        data["horizon"] = horizon
        if parse_duration(str(data.get("warmup", "0 s"))) >= parse_duration(horizon):
            data["warmup"] = f"{parse_duration(horizon) / 10:g} s"
    sc = Scenario.from_data(data, filename=sc.filename, path=sc.path)
    frames = run_replications(sc, reps=reps, variants=[variant], workers=workers)
    region = sc.load_region()
    spec = sc.model_spec(variant, region)
    n = int(reps if reps is not None else sc.replications)
    return Case(scenario=sc, variant=variant, spec=spec, region=region, incidents=frames["incidents"],
                missions=measured_missions(frames["missions"], frames["incidents"]), reps=list(range(n)),
                measured_days=(sc.base.horizon - sc.base.warmup) / 86_400.0,
                population=population_covered(spec, region))


# ---------------------------------------------------------------------------------------- rows


def _measured(case: Case) -> pd.DataFrame:
    inc = case.incidents
    return inc[~inc["in_warmup"].astype(bool)]


def _a1(case: Case, country: str) -> pd.DataFrame:
    """The measured urgent calls (class ``urgent``: NL A1) of `country` that need an ambulance."""
    inc = _measured(case)
    return inc[(inc["country"] == country) & (norm_classes(inc) == "urgent")
               & inc["type"].isin(case.types_needing("ambulance"))]


def _band(a1: pd.DataFrame, case: Case, lo: float, hi: float) -> np.ndarray:
    """Per replication, the percentage of `a1` calls answered in ``[lo, hi)`` minutes (a call never
    reached counts as answered at infinity)."""
    def f(d: pd.DataFrame) -> float:
        rt = d["rt_ambulance_s"].to_numpy(float)
        rt = np.where(np.isfinite(rt), rt, np.inf)
        return share((rt >= lo * MIN) & (rt < hi * MIN))
    return per_replication(a1, f, case.reps)


def _nl_response_rows(case: Case) -> list[Row]:
    a1 = _a1(case, "NL")
    where = (f"the Dutch places of the {case.scenario.name} extract ({case.population.get('NL', 0):,.0f} "
             "inhabitants) against the whole country; calls never reached count as over 15 min")

    def bins(lo: float, hi: float) -> np.ndarray:
        return _band(a1, case, lo, hi)

    rows = [row(by_key("nl_a1_under_5"), bins(0, 5), scenario=case.label, scaling=where),
            row(by_key("nl_a1_5_10"), bins(5, 10), scenario=case.label, scaling=where),
            row(by_key("nl_a1_10_15"), bins(10, 15), scenario=case.label, scaling=where),
            row(by_key("nl_a1_over_15_2015"), bins(15, math.inf), scenario=case.label, scaling=where),
            row(by_key("nl_a1_over_15_2023"), bins(15, math.inf), scenario=case.label, scaling=where),
            row(by_key("nl_a1_p95_2022"),
                per_replication(a1, lambda d: quantile_minutes(d["rt_ambulance_s"], 0.95), case.reps),
                scenario=case.label, scaling=where),
            row(by_key("rivm_call_to_scene"),
                per_replication(a1, lambda d: mean_minutes(d["rt_ambulance_s"]), case.reps),
                scenario=case.label, scaling=where)]
    bn = next((p for p in case.spec.places if p.name == "Baarle-Nassau"), None)
    if bn is not None:
        near = a1[haversine_m(a1["lat"].to_numpy(float), a1["lon"].to_numpy(float), bn.lat, bn.lon) <= 3000.0]
        rows.append(row(by_key("baarle_nassau_over_15"), bins_of(near, case), scenario=case.label,
                        scaling="urgent Dutch calls within 3 km of Baarle-Nassau (GeoNames position); "
                                "the figure counts the municipality's A1 rides of 2019-2023 (published "
                                "2025); the model's urgency 1 is A1 + A2, its ambulance posts of 2019"))
    return rows


def _calibration_rows(case: Case) -> list[Row]:
    """The NL 2015 distribution against the calls the lights-and-sirens speed-up was calibrated on:
    the Belgian urgent ambulance calls of the Euregio study (``docs/model.md``, driving model)."""
    a1 = _a1(case, "BE")
    where = (f"Belgian urgent ambulance calls of the {case.scenario.name} study (the calls the "
             "speed-up with lights and sirens is calibrated on) against the Dutch national distribution")

    return [row(by_key(k), _band(a1, case, lo, hi), scenario=case.label, scaling=where)
            for k, lo, hi in (("ls_calibration_under_5", 0, 5), ("ls_calibration_5_10", 5, 10),
                              ("ls_calibration_10_15", 10, 15), ("ls_calibration_over_15", 15, math.inf))]


def bins_of(a1: pd.DataFrame, case: Case) -> np.ndarray:
    """Per replication, the percentage of `a1` calls answered in over 15 min (never reached counts)."""
    def f(d: pd.DataFrame) -> float:
        rt = d["rt_ambulance_s"].to_numpy(float)
        return share(~(np.isfinite(rt) & (rt <= 15 * MIN)))
    return per_replication(a1, f, case.reps)


def _duration_rows(case: Case) -> list[Row]:
    m = case.missions
    amb = m[m["unit_type"] == "ambulance"]
    nl = amb[amb["incident_country"] == "NL"]
    on_scene = amb["t_leave_scene_s"] - amb["t_arrive_s"]
    transported = amb[np.isfinite(amb["t_hospital_s"].to_numpy(float))]
    nl_tr = transported[transported["incident_country"] == "NL"]
    urgent_ids = _measured(case)
    urgent_ids = urgent_ids[urgent_ids["type"] == "medical_urgent"][["replication", "incident_id"]]
    mu = amb.merge(urgent_ids, on=["replication", "incident_id"])
    first = amb.sort_values("t_alert_s").groupby(["replication", "incident_id"], as_index=False).first()
    from_base = amb[~amb["from_returning"].astype(bool)]
    lab, reps = case.label, case.reps
    all_c = f"all ambulance missions of {case.scenario.name} (both countries)"

    def mins(frame: pd.DataFrame, a: str, b: str) -> np.ndarray:
        return per_replication(frame, lambda d: mean_minutes(d[b] - d[a]), reps)

    def transported_share(frame: pd.DataFrame) -> np.ndarray:
        return per_replication(frame, lambda d: share(np.isfinite(d["t_hospital_s"].to_numpy(float))), reps)

    amb = amb.assign(on_scene=on_scene)
    return [
        row(by_key("rivm_on_scene"), mins(nl, "t_arrive_s", "t_leave_scene_s"), scenario=lab,
            scaling="ambulance missions to Dutch calls of the extract"),
        row(by_key("rivm_transport"), mins(nl_tr, "t_leave_scene_s", "t_hospital_s"), scenario=lab,
            scaling="transports from Dutch calls of the extract to the nearest Dutch hospital"),
        row(by_key("rivm_call_to_hospital"), mins(nl_tr, "t_call_s", "t_hospital_s"), scenario=lab,
            scaling="transports from Dutch calls of the extract"),
        row(by_key("jemss_dispatch"), mins(first, "t_call_s", "t_alert_s"), scenario=lab,
            scaling=f"first ambulance of each call, {all_c}; waits for a free unit included"),
        row(by_key("jemss_on_scene"), per_replication(amb, lambda d: mean_minutes(d["on_scene"]), reps),
            scenario=lab, scaling=all_c),
        row(by_key("jemss_transported"), transported_share(mu), scenario=lab,
            scaling="ambulance missions to medical_urgent calls"),
        row(by_key("jemss_handover"), mins(transported, "t_hospital_s", "t_free_s"), scenario=lab,
            scaling=f"transports, {all_c}"),
        row(by_key("elaspy_transported"), transported_share(amb), scenario=lab, scaling=all_c),
        row(by_key("elaspy_on_scene"), per_replication(amb, lambda d: mean_minutes(d["on_scene"]), reps),
            scenario=lab, scaling=all_c),
        row(by_key("ambulance_turnout"), mins(from_base, "t_alert_s", "t_depart_s"), scenario=lab,
            scaling="ambulances leaving their base (not redispatched on the way back), day and night"),
    ]


def _fire_rows(case: Case) -> list[Row]:
    m = case.missions
    be = m[(m["unit_type"] == "pumper") & (m["station_country"] == "BE") & ~m["from_returning"].astype(bool)]
    hour = (be["t_alert_s"].to_numpy(float) / 3600.0) % 24.0
    day = be[(hour >= 7.0) & (hour < 23.0)]
    lab = case.label
    f = case.spec.driving.factors(case.region.network, ["ambulance"])
    saving = 100.0 * (1.0 - float(f.urgent[0]) / float(f.normal[0]))
    return [
        row(by_key("be_fire_turnout"),
            per_replication(day, lambda d: mean_minutes(d["t_depart_s"] - d["t_alert_s"]), case.reps),
            scenario=lab, scaling="Belgian pumpers alerted 07:00-23:00 in the Kempen, against Brussels"),
        row(by_key("be_fire_drive"),
            per_replication(be, lambda d: mean_minutes(d["t_arrive_s"] - d["t_depart_s"]), case.reps),
            scenario=lab, scaling="Belgian pumpers in the rural Kempen, against urban Brussels"),
        row(by_key("lights_sirens_saving"), saving, scenario=lab,
            scaling="the ambulance's time with lights and sirens over its normal time (a parameter of "
                    "the driving model, against normal driving on the network: no interval)"),
    ]


def own_nodes(case: Case, country: str) -> tuple[np.ndarray, float]:
    """The nodes only places of `country` spread calls on, and the inhabitants the kernels put there.

    Calls on these nodes come from `country`'s places alone, so their count over that population
    is the model's call rate of `country`, free of the calls that places across the border spread
    onto its nodes (:func:`sim.model.places.spread_places`).
    """
    spec = case.spec
    pi, node, w = spread_places(case.region.network, spec.places, spread_m=spec.demand.spread_m,
                                max_distance_m=spec.demand.max_place_distance_m,
                                reach_m=spec.demand.split_reach_m)
    pc = np.asarray([p.country for p in spec.places], dtype=object)[pi]
    foreign = np.unique(node[(pc != country) & (w > 0)])
    mine = (pc == country) & ~np.isin(node, foreign)
    pop = np.asarray([p.population for p in spec.places], dtype=float)[pi]
    return np.unique(node[mine]), float((pop[mine] * w[mine]).sum())


def _rate_rows(case: Case, specs: Sequence[tuple[str, str, str]]) -> list[Row]:
    """Rows of calls per 1,000 inhabitants a year: ``(figure key, country, unit type)``."""
    inc = _measured(case)
    out = []
    for key, country, unit in specs:
        nodes, pop = own_nodes(case, country)
        sel = inc[inc["node"].isin(nodes) & inc["type"].isin(case.types_needing(unit))]
        counts = per_replication(sel, lambda d: float(len(d)), case.reps)
        counts = np.where(np.isfinite(counts), counts, 0.0)
        out.append(row(by_key(key), case.per_year(counts) / pop * 1000 if pop else math.nan,
                       scenario=case.label,
                       scaling=f"calls needing a{'n' if unit == 'ambulance' else ''} {unit} on the nodes "
                               f"only {country} places reach, over the {pop:,.0f} inhabitants the model "
                               f"spreads there (demand scale {case.spec.demand.scale:g})"))
    return out


def _demand_rows(flanders: Case, dutch: Case) -> list[Row]:
    """Call rates: Belgian ones from `flanders`, Dutch ones from `dutch` (the case whose Dutch places
    put the most inhabitants on nodes that only Dutch places reach)."""
    amb_nl = _measured(dutch)
    amb_nl = amb_nl[amb_nl["node"].isin(own_nodes(dutch, "NL")[0])
                    & amb_nl["type"].isin(dutch.types_needing("ambulance"))]
    urgent = per_replication(amb_nl, lambda d: share(np.isin(norm_classes(d), ("urgent", "a2"))), dutch.reps)
    return [*_rate_rows(dutch, [("nl_ambulance_rate", "NL", "ambulance"), ("nl_fire_rate", "NL", "pumper")]),
            row(by_key("nl_urgent_share"), urgent, scenario=dutch.label,
                scaling="calls needing an ambulance on the nodes only Dutch places reach: classes "
                        "urgent (A1) and a2"),
            *_rate_rows(flanders, [("be_flanders_rate", "BE", "ambulance"),
                                   ("be_fire_rate", "BE", "pumper")])]


def _emric_rows(case: Case) -> list[Row]:
    m = case.missions
    xb = m[m["cross_border"].astype(bool)]
    pop = sum(case.population.values())
    scale = pop / EMRIC_POPULATION
    out = []
    for key, units in (("emric_ambulance", ("ambulance",)), ("emric_fire", ("pumper", "ladder"))):
        mine = xb[xb["unit_type"].isin(units)]
        counts = per_replication(mine, lambda d: float(len(d)), case.reps)
        counts = np.where(np.isfinite(counts), counts, 0.0)
        fig = by_key(key)
        out.append(row(fig, case.per_year(counts), scenario=case.label, published=fig.value * scale,
                       scaling=f"{fig.value:,.0f} a year for 4 M inhabitants x {pop:,.0f} inhabitants of the "
                               "places within reach of the extract; Dutch and German calls beyond the "
                               "extract are answered by their own centre only (no NL-DE help); model by "
                               "direction: "
                               + _by_direction(case, mine)))
    return out


def _by_direction(case: Case, missions: pd.DataFrame) -> str:
    """``BE->NL 120, NL->BE 30 ...``: cross-border missions a year by direction, mean over replications."""
    if missions.empty:
        return "none"
    n = len(case.reps)
    per_year = missions.groupby("direction").size().sort_values(ascending=False) * DAYS_PER_YEAR / (
        case.measured_days * n)
    return ", ".join(f"{d} {v:,.0f}" for d, v in per_year.items())


def _lu_rows(case: Case) -> list[Row]:
    m = case.missions
    samu = m[(m["unit_type"] == "smur") & (m["station_country"] == "LU")]
    counts = per_replication(samu, lambda d: float(len(d)), case.reps)
    counts = np.where(np.isfinite(counts), counts, 0.0)
    pop = case.population.get("LU", 0.0)
    fig = by_key("lu_samu_2018")
    a1 = _a1(case, "LU")
    return [
        row(fig, case.per_year(counts), scenario=case.label, published=fig.value * pop / LU_POPULATION,
            scaling=f"7,299 for 602,000 inhabitants x the {pop:,.0f} inhabitants of LU places within reach; "
                    "missions of Luxembourg SAMU cars (the SAMU rate was set from 2019's 7,979)"),
        row(by_key("lu_within_15"), 100.0 - bins_of(a1, case), scenario=case.label,
            scaling="urgent Luxembourg calls of the extract; calls never reached count as outside"),
        *_rate_rows(case, [("be_wallonia_rate", "BE", "ambulance")]),
    ]


def _queue(lam_per_h: float, mean_service_s: float, c: int, *, seed: int, n_calls: int) -> tuple[np.ndarray,
                                                                                                 np.ndarray]:
    """Batch means (25 batches) of waiting (0/1) and of the wait (s) of an M/M/c queue run through
    the engine: Poisson calls at one station's node, exponential service, no travel, no delays."""
    net = RoadNetwork.from_arrays(lat=[51.0, 51.0], lon=[4.0, 4.01], edges=[(0, 1), (1, 0)],
                                  times_s=[120.0, 120.0])
    lam = lam_per_h / 3600.0
    spec = ModelSpec(
        incident_types=(IncidentType("call", 1, {"ambulance": 1},
                                     {"ambulance": Dist.exponential(mean_service_s)}),),
        stations=(Station("s", 51.0, 4.0, "XX", "centre", {"ambulance": c}),), hospitals=(),
        turnout={"ambulance": Turnout(day=Dist.fixed(0.0))}, places=(Place("p", "XX", 51.0, 4.0, 1000.0),),
        demand=Demand({"XX": {"call": lam * SECONDS_PER_YEAR}}, spread_m=0.0),
        policy=DispatchPolicy(call_processing=Dist.fixed(0.0)), horizon_s=n_calls / lam)
    m = simulate(net, spec, seed=seed).missions
    order = np.argsort(m["incident_id"])
    wait = (m["t_alert_s"] - m["t_call_s"])[order]
    wait = wait[len(wait) // 50:]  # the first 2 % start from an empty system
    batches = np.array_split(wait, 25)
    return np.array([np.mean(b > 1e-9) for b in batches]), np.array([np.mean(b) for b in batches])


def _queue_rows(seed: int, n_calls: int) -> list[Row]:
    p3, w3 = _queue(12.6, 600.0, 3, seed=seed, n_calls=n_calls)
    p1, _ = _queue(3.0, 600.0, 1, seed=seed + 1, n_calls=n_calls)
    p_th, w_th = erlang_c(12.6 / 3600.0, 1 / 600.0, 3)
    how = f"one run of {n_calls:,} calls through the engine, 25 batch means (the first 2 % left out)"
    return [row(by_key("erlang_c_wait"), 100.0 * p3, scenario="M/M/3 queue", scaling=how,
                published=100.0 * p_th),
            row(by_key("erlang_c_mean_wait"), w3 / MIN, scenario="M/M/3 queue", scaling=how,
                published=w_th / MIN),
            row(by_key("mm1_wait"), 100.0 * p1, scenario="M/M/1 queue", scaling=how)]


def validation_rows(scenarios: Path, *, horizon: str | None = None, reps: int | None = None,
                    workers: int = 1, queue_calls: int = 25_000) -> list[Row]:
    """Every row of the report, from the bundled scenarios in the folder `scenarios`.

    Parameters
    ----------
    horizon, reps
        Override each scenario's horizon (a duration such as ``"7 d"``) and replications.
    queue_calls
        Calls of each queueing check.
    """
    cases = {k: run_case(scenarios / f, v, horizon=horizon, reps=reps, workers=workers)
             for k, (f, v) in CASES.items()}
    return [*_nl_response_rows(cases["nl"]), *_duration_rows(cases["nl"]), *_fire_rows(cases["nl"]),
            *_calibration_rows(cases["emric"]), *_demand_rows(cases["nl"], cases["emric"]),
            *_emric_rows(cases["emric"]), *_lu_rows(cases["lu"]),
            *_queue_rows(cases["nl"].scenario.seed, queue_calls)]


# ---------------------------------------------------------------------------------------- report


def _fmt(x: float, unit: str, signed: bool = False) -> str:
    if not math.isfinite(x):
        return "–"
    sign = "+" if signed and x > 0 else ""
    if unit == "a year":
        return f"{sign}{x:,.0f}"
    return f"{sign}{x:,.1f}"


def _unit(unit: str, difference: bool = False) -> str:
    return {"%": " pp" if difference else " %", "min": " min"}.get(unit, "")


def _model_text(r: Row) -> str:
    u = r.figure.unit
    text = _fmt(r.model, u) + _unit(u)
    if math.isfinite(r.low) and math.isfinite(r.high):
        text += f" [{_fmt(r.low, u)}, {_fmt(r.high, u)}]"
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(rows: Sequence[Row], *, settings: str) -> str:
    """``docs/validation.md``: the table of every row, the rows that disagree, the figures left out."""
    agree = sum(r.agrees for r in rows)
    by_use = {u: [r for r in rows if r.figure.use == u] for u in ("calibration", "checking")}
    lines = [
        "# Validation: the model against published figures", "",
        "Generated by `xborder check-model` from the bundled scenarios; do not edit by hand. "
        f"{settings}", "",
        "Each row sets a published figure beside the model's value: the mean over replications with its "
        "Student-t 95 % interval (the queueing checks: over 25 batch means of one long run). "
        "**Calibration** rows are figures a default or a scenario value was set from: the model is "
        "expected to return them, and a difference there is an error in the code or the data. "
        "**Checking** rows were not used to set anything. A row *agrees* when the published value lies "
        f"in the model's interval widened by {SHARE_TOLERANCE:g} percentage points for shares and by "
        f"{RELATIVE_TOLERANCE:.0%} of the published value otherwise. Where the model covers another area "
        "or year than the figure, the last column says how the figure was scaled or what is compared.", "",
        f"**{agree} of {len(rows)} rows agree**: "
        + "; ".join(f"{u} {sum(r.agrees for r in rs)} of {len(rs)}" for u, rs in by_use.items()) + ".", "",
        "| # | Published figure | Source | Published | Model [95 % interval] | Difference | Agrees | Use "
        "| Run | How it is compared |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(rows, 1):
        f = r.figure
        lines.append(f"| {i} | {_cell(f.what)} | {_cell(f.source)} | {_fmt(f.value, f.unit)}{_unit(f.unit)}"
                     f"{' ' + f.unit if f.unit not in ('%', 'min') else ''} | {_model_text(r)} | "
                     f"{_fmt(r.difference, f.unit, signed=True)}{_unit(f.unit, difference=True)} | "
                     f"{'yes' if r.agrees else '**no**'} | {f.use} | {_cell(r.scenario)} | "
                     f"{_cell(r.scaling)} |")
    lines += ["", "## Where the model disagrees", ""]
    bad = [(i, r) for i, r in enumerate(rows, 1) if not r.agrees]
    lines += [f"- Row {i}, {r.figure.what} ({r.figure.use}): published {_fmt(r.figure.value, r.figure.unit)}"
              f"{_unit(r.figure.unit)}, model {_model_text(r)}. Compared: {r.scaling}." for i, r in bad] or [
        "Every row agrees."]
    lines += ["", "## Published figures the model cannot produce", ""]
    lines += [f"- {what}: {why}." for what, why in NOT_PRODUCED]
    return "\n".join(lines) + "\n"


def write_report(rows: Sequence[Row], out: Path, *, settings: dict[str, Any]) -> tuple[Path, Path]:
    """Write ``validation.md`` and ``validation.json`` into the folder `out`; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    text = ", ".join(f"{k}: {v}" for k, v in settings.items())
    md, js = out / "validation.md", out / "validation.json"
    write_text(md, render_markdown(rows, settings=f"Settings: {text}."))
    write_json(js, {"generated_by": "xborder check-model", "settings": settings,
                    "agreement": {"share_tolerance_points": SHARE_TOLERANCE,
                                  "relative_tolerance": RELATIVE_TOLERANCE},
                    "rows": [r.as_dict() for r in rows],
                    "not_produced": [{"figure": w, "reason": y} for w, y in NOT_PRODUCED]})
    return md, js
