"""The files of a sweep folder: its tables and ``sweep.json`` written, and read back.

- ``sweep-replications.parquet``: the KPIs of every replication (what the tables are made from);
- ``sweep.parquet`` / ``sweep.csv``: one row per point × variant (all incidents), the KPIs with
  their 95 % intervals and the paired difference to the first variant
  (:func:`sim.analysis.sweep_stats.sweep_table`);
- ``sweep-areas.parquet`` / ``.csv``: the same per focus area of the scenario (if it has any);
- ``sweep.json``: the parameters, the points and their folders, the variants, replications and seed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.sweep_stats import KPI_MEANINGS, replication_table, sweep_table
from sim.errors import DataError
from sim.scenario import Scenario
from sim.study.folders import write_json, write_parquet, write_text
from sim.study.sweep_points import SweepParam, SweepPoint

_NOTES = {
    "replications": "each KPI is computed per replication (warm-up incidents left out)",
    "intervals": "mean over replications with a Student-t 95 % interval (_low, _high)",
    "differences": "variant minus the reference, paired by replication (common random "
                   "numbers): t-interval of the per-replication differences (_diff)",
    "seed": "the same seed at every point and for every variant",
}


def write_outputs(folder: Path, scenario: Scenario, points: Sequence[SweepPoint],
                  params: Sequence[SweepParam], kpi_rows: Sequence[Mapping[str, Any]], *,
                  variants: Sequence[str], reps: int, seed: int, stopped: str | None) -> None:
    """Write the tables of the replications in `kpi_rows` and ``sweep.json`` into `folder`
    (complete unless `stopped` says why not)."""
    paths = [p.path for p in params]
    areas = [f.name for f in scenario.base.focus]
    per_rep = replication_table(kpi_rows, params=paths, variants=variants)
    write_parquet(folder / "sweep-replications.parquet", per_rep)
    _write_table(folder, "sweep", sweep_table(per_rep[per_rep["area"] == ""].drop(columns="area"),
                                              params=paths, variants=variants))
    if areas:
        _write_table(folder, "sweep-areas", sweep_table(per_rep[per_rep["area"] != ""], params=paths,
                                                        variants=variants))
    write_json(folder / "sweep.json", {
        "scenario": scenario.name,
        "file": scenario.filename,
        "complete": stopped is None,
        "stopped": stopped,
        "parameters": [{"path": p.path, "values": list(p.labels)} for p in params],
        "points": [{"point": p.index, "folder": f"points/{p.name}", "values": p.labels} for p in points],
        "variant_order": list(variants),
        "reference": variants[0],
        "replications": reps,
        "seed": seed,
        "horizon_s": scenario.base.horizon,
        "warmup_s": scenario.base.warmup,
        "focus_areas": list(areas),
        "kpis": dict(KPI_MEANINGS),
        "notes": dict(_NOTES),
    })


def _write_table(folder: Path, stem: str, table: pd.DataFrame) -> None:
    write_parquet(folder / f"{stem}.parquet", table)
    write_text(folder / f"{stem}.csv", table.to_csv(index=False, float_format="%.6g", lineterminator="\n"))


def load_sweep(folder: str | Path) -> pd.DataFrame:
    """The tidy table (``sweep.parquet``) of a sweep folder."""
    p = Path(folder) / "sweep.parquet"
    if not p.is_file():
        raise DataError(f"{folder}: not a sweep folder (no sweep.parquet)")
    return pd.read_parquet(p)


@dataclass
class SweepResults:
    """A sweep folder read back: ``sweep.json`` and the tidy tables by area."""

    path: Path
    meta: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    """Area (``""``: all incidents) -> its rows of the tidy table."""


def load_sweep_results(folder: str | Path) -> SweepResults:
    """``sweep.json`` and the tables of a sweep folder (raises ``DataError`` if it is not one)."""
    p = Path(folder)
    table = load_sweep(p)
    try:
        meta = json.loads((p / "sweep.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{p / 'sweep.json'}: cannot read it ({exc})") from None
    tables = {"": table}
    if meta["focus_areas"]:
        by_area = pd.read_parquet(p / "sweep-areas.parquet")
        for a in meta["focus_areas"]:
            tables[a] = by_area[by_area["area"] == a] if len(by_area) else by_area
    return SweepResults(path=p, meta=meta, tables=tables)
