"""The files of a sensitivity folder (:mod:`sim.study.sensitivity`), written and read back.

- ``sensitivity.parquet`` / ``.csv``: the indices, one row per variant × area × output × input
  (Morris: ``mu``, ``mu_star`` with ``mu_star_conf``, ``sigma``; Sobol': ``S1``, ``ST`` with
  ``_conf``, the half-widths of their 95 % bootstrap intervals), with each input's ``rank``;
- ``sensitivity-bands.parquet`` / ``.csv``: per variant × area × output, the gain at the file's
  values with its replication interval (``nominal``, ``nominal_low``, ``nominal_high``) and its
  band over the design points (``p05``, ``median``, ``p95``, ``min``, ``max``);
- ``sensitivity-gains.parquet``: the gain of every point, variant and area;
  ``sensitivity-points.parquet`` / ``.csv``: every point's input values (SI units: seconds, km/h,
  metres, numbers); ``sensitivity-replications.parquet``: the KPIs of every replication;
- ``sensitivity.json``: the inputs (range, distribution, reason), the design, the variants,
  replications and seed, the outputs, the headline gain and what was left out.

Areas: ``""`` is every incident, then the scenario's focus areas. Gains are variant minus reference:
a negative ``mean_s`` gain is a faster response, a positive ``within_norm`` gain more calls within
their norm.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.sensitivity import INDEX_COLUMNS, OUTPUTS, band, gains, indices, replication_interval
from sim.analysis.sweep_stats import KPIS
from sim.errors import DataError
from sim.scenario import Scenario
from sim.study.folders import write_json, write_parquet, write_text

if TYPE_CHECKING:  # pragma: no cover
    from sim.study.sensitivity import Plan

_NOTES = {
    "gain": "variant minus the reference (first) variant, per replication (common random numbers), "
            "averaged over the replications",
    "indices": "from SALib over the design points (the nominal point is not part of the design)",
    "conf": "_conf columns: half-width of the 95 % bootstrap interval of the index",
    "nominal": "the gain at the file's own values with the paired-t 95 % interval over replications",
    "band": "the gain's 5th, 50th and 95th percentiles, min and max over the design points",
}


def _csv(folder: Path, stem: str, table: pd.DataFrame) -> None:
    write_parquet(folder / f"{stem}.parquet", table)
    write_text(folder / f"{stem}.csv", table.to_csv(index=False, float_format="%.6g", lineterminator="\n"))


def _cells(plan: Plan, areas: Sequence[str]) -> list[tuple[str, str, str]]:
    """Every (variant, area, output) analysed, in order."""
    return [(v, a, o) for v in plan.variants[1:] for a in ("", *areas) for o in OUTPUTS]


def _analyse(plan: Plan, scenario: Scenario, per_rep: pd.DataFrame, gain: pd.DataFrame,
             areas: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The indices and bands of every (variant, area, output), and what could not be analysed."""
    ref, nominal = plan.variants[0], plan.points[0]
    labels = {i.name: i.label for i in scenario.uncertain}
    design_points = plan.points[1:]
    index_rows, band_rows, skipped = [], [], []
    for v, a, o in _cells(plan, areas):
        g = gain[(gain["variant"] == v) & (gain["area"] == a)].set_index("point")[o]
        y = g.reindex(design_points).to_numpy(float)
        est, lo, hi = replication_interval(per_rep, point=nominal, variant=v, reference=ref, area=a, output=o)
        head: dict[str, Any] = {"variant": v, "reference": ref, "area": a, "output": o}
        band_rows.append({**head, "nominal": est, "nominal_low": lo, "nominal_high": hi, **band(y),
                          "points": int(np.isfinite(y).sum())})
        if not np.isfinite(y).all():
            skipped.append(f"{v} / {a or 'all incidents'} / {o}: the output is undefined at "
                           f"{int((~np.isfinite(y)).sum())} point(s) (no urgent call judged there)")
            continue
        table = indices(plan.factors, plan.x, y, method=plan.method, seed=plan.seed, levels=plan.levels)
        table.insert(0, "label", table["input"].map(labels))
        for k, col in enumerate(head):
            table.insert(k, col, head[col])
        table.insert(4, "method", plan.method)
        index_rows.append(table)
    cols = ["variant", "reference", "area", "output", "method", "label", "input",
            *INDEX_COLUMNS[plan.method], "rank"]
    idx = pd.concat(index_rows, ignore_index=True)[cols] if index_rows else pd.DataFrame(columns=cols)
    return idx, pd.DataFrame(band_rows), skipped


def _inputs_meta(scenario: Scenario) -> list[dict[str, Any]]:
    return [{"name": i.name, "label": i.label, "paths": [i.name, *[str(s) for s in _also(scenario, i.name)]],
             "low": i.low, "high": i.high, "low_written": i.text(i.low), "high_written": i.text(i.high),
             "unit": i.scale.unit or None, "kind": i.scale.kind, "integer": i.scale.integer,
             "distribution": i.distribution, "params": dict(i.params), "reason": i.reason}
            for i in scenario.uncertain]


def _also(scenario: Scenario, name: str) -> list[str]:
    spec = scenario.base.uncertain.get(name)
    return list(spec.also) if spec is not None else []


def write_outputs(folder: Path, scenario: Scenario, plan: Plan, kpi_rows: Sequence[Mapping[str, Any]], *,
                  complete: bool) -> None:
    """Write the tables of the replications in `kpi_rows` (and, when `complete`, the indices, the
    bands and the headline) and ``sensitivity.json`` into `folder`."""
    areas = [f.name for f in scenario.base.focus]
    order = {p: i for i, p in enumerate(plan.points)}
    vorder = {v: i for i, v in enumerate(plan.variants)}
    per_rep = pd.DataFrame(list(kpi_rows), columns=["point", "variant", "replication", "area", *KPIS])
    per_rep = per_rep.sort_values(["point", "variant", "area", "replication"], kind="stable",
                                  key=lambda c: c.map(order) if c.name == "point" else
                                  c.map(vorder) if c.name == "variant" else c).reset_index(drop=True)
    write_parquet(folder / "sensitivity-replications.parquet", per_rep)
    points = pd.DataFrame(plan.x, columns=[i.name for i in scenario.uncertain])
    points.insert(0, "point", plan.points[1:])
    _csv(folder, "sensitivity-points", points)
    meta: dict[str, Any] = {
        "scenario": scenario.name, "file": scenario.filename, "complete": bool(complete),
        "method": plan.method, "n": plan.n, "levels": plan.levels if plan.method == "morris" else None,
        "design_points": len(plan.x), "inputs": _inputs_meta(scenario),
        "variant_order": plan.variants, "reference": plan.variants[0], "replications": plan.reps,
        "seed": plan.seed, "horizon_s": scenario.base.horizon, "warmup_s": scenario.base.warmup,
        "focus_areas": areas, "outputs": dict(OUTPUTS), "notes": dict(_NOTES),
        "distinct_models": len(plan.specs), "models": len(plan.runs),
    }
    if complete:
        gain = gains(per_rep, reference=plan.variants[0])
        write_parquet(folder / "sensitivity-gains.parquet", gain)
        idx, bands, skipped = _analyse(plan, scenario, per_rep, gain, areas)
        _csv(folder, "sensitivity", idx)
        _csv(folder, "sensitivity-bands", bands)
        meta["not_analysed"] = skipped
        meta["headline"] = _headline(bands, idx, areas)
    write_json(folder / "sensitivity.json", meta)


def _headline(bands: pd.DataFrame, idx: pd.DataFrame, areas: Sequence[str]) -> dict[str, Any]:
    """The gain a planner quotes: the first variant's mean response in the first focus area."""
    if not len(bands):
        return {}
    area = areas[0] if areas else ""
    row = bands[(bands["area"] == area) & (bands["output"] == "mean_s")].iloc[0]
    top = idx[(idx["variant"] == row["variant"]) & (idx["area"] == area) & (idx["output"] == "mean_s")]
    ranked = top.sort_values("rank")["input"].tolist() if len(top) else []
    out: dict[str, Any] = {str(k): (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
    out["ranked_inputs"] = ranked
    return out


@dataclass
class SensitivityResults:
    """A sensitivity folder read back."""

    path: Path
    meta: dict[str, Any]
    indices: pd.DataFrame
    bands: pd.DataFrame


def load_sensitivity(folder: str | Path) -> SensitivityResults:
    """``sensitivity.json`` and the tables of a sensitivity folder (``DataError`` if it is not one)."""
    p = Path(folder)
    try:
        meta = json.loads((p / "sensitivity.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{p}: not a sensitivity folder ({exc})") from None
    if not meta.get("complete") or not (p / "sensitivity.parquet").is_file():
        empty = pd.DataFrame()
        return SensitivityResults(path=p, meta=meta, indices=empty, bands=empty)
    return SensitivityResults(path=p, meta=meta, indices=pd.read_parquet(p / "sensitivity.parquet"),
                              bands=pd.read_parquet(p / "sensitivity-bands.parquet"))
