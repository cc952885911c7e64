"""Results folders: atomic writes and loading a folder back.

A results folder holds ``incidents.parquet``, ``missions.parquet``, ``units.parquet`` and
``requests.parquet`` (:mod:`sim.analysis.frames`), ``summary.json``
(:func:`sim.analysis.summary.summarise`; its ``tables`` gives the rows and SHA-256 of each table
file, :func:`table_record`), ``scenario.yaml`` (the scenario as run), ``versions.json`` (package
versions) and ``run.json`` (when, where, whether it finished; :mod:`sim.study.session`).
:func:`load_results` checks that the files are readable, hold what the commands read and agree
with each other.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.frames import TABLES
from sim.analysis.measures import measured_calls
from sim.errors import DataError
from sim.paths import atomic_path


def _clean(obj: Any) -> Any:
    """JSON-ready: NaN/inf -> None, numpy scalars -> Python."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically (temp file in the same folder, then rename)."""
    text = json.dumps(_clean(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    write_text(path, text)


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically (:func:`sim.paths.atomic_path`)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_parquet(path: Path, df: pd.DataFrame) -> None:
    """Write a DataFrame as parquet atomically (:func:`sim.paths.atomic_path`)."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)


REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "incidents": ("variant", "replication", "incident_id", "type", "urgency", "in_warmup", "lat", "lon",
                  "country", "dispatch_centre", "response_time_s", "served", "cross_border"),
    "missions": ("variant", "replication", "incident_id", "unit_type", "direction", "cross_border"),
    "units": ("variant", "replication", "unit_id", "station", "unit_type", "dispatch_centre", "busy_s",
              "on_duty_s", "utilisation"),
    "requests": ("variant", "replication"),
}
"""The columns of each table that the summary (:func:`sim.analysis.summary.summarise`), the
tables of the figures (:mod:`sim.analysis.tables`) and ``xborder plot`` read."""

SUMMARY_KEYS: dict[str, type | tuple[type, ...]] = {
    "scenario": str, "complete": bool, "variant_order": list, "replications_done": dict, "seed": int,
    "horizon_s": (int, float), "focus_areas": list, "norms": dict, "variants": dict, "differences": dict,
}
"""The keys of ``summary.json`` that ``xborder compare`` and ``xborder plot`` read, and their types."""

VARIANT_KEYS: tuple[str, ...] = ("replications", "overall", "by_dispatch_centre", "by_type", "focus")
"""The keys of each variant's statistics in ``summary.json``."""


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def table_record(path: Path, df: pd.DataFrame) -> dict[str, Any]:
    """What ``summary.json`` says of a table file just written: its rows and SHA-256."""
    return {"rows": len(df), "sha256": file_digest(path)}


@dataclass
class Results:
    """A results folder loaded back: the tables, the summary and the scenario as run (``requests``
    is empty for a folder written before requests were recorded)."""

    path: Path
    incidents: pd.DataFrame
    missions: pd.DataFrame
    units: pd.DataFrame
    summary: dict[str, Any]
    scenario_yaml: str
    requests: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def variants(self) -> list[str]:
        return list(self.summary.get("variant_order", []))


def load_results(path: str | os.PathLike[str]) -> Results:
    """Load a results folder written by ``xborder run`` and check that its files agree.

    Raises
    ------
    DataError
        Naming the file, if the folder is not a results folder (or was never assembled), a file
        cannot be read, ``summary.json`` lacks what the commands read, a table lacks a column, or
        ``summary.json`` does not describe the tables (variants, replications, incident counts: a
        summary from another run, a table replaced).
    """
    p = Path(path)
    if not p.is_dir():
        raise DataError(f"{p}: no such results folder")
    if not (p / "summary.json").is_file():
        if (p / "parts").is_dir():
            raise DataError(f"{p}: not assembled (the run stopped before it could assemble its "
                            f"results); xborder run --resume {p} finishes it")
        raise DataError(f"{p}: not a results folder (no summary.json)")
    for t in TABLES:
        if not (p / f"{t}.parquet").is_file() and t != "requests":  # older folders have no requests
            raise DataError(f"{p}: {t}.parquet is missing")
    summary = _read_summary(p / "summary.json")
    _check_digests(p, summary)
    tables = {t: _read_table(p / f"{t}.parquet") for t in TABLES if (p / f"{t}.parquet").is_file()}
    _check_agreement(p, summary, tables)
    scen = p / "scenario.yaml"
    try:
        text = scen.read_text(encoding="utf-8") if scen.is_file() else ""
    except (OSError, ValueError) as exc:
        raise DataError(f"{scen}: cannot read it ({exc})") from None
    return Results(path=p, summary=summary, scenario_yaml=text, **tables)


def _read_summary(f: Path) -> dict[str, Any]:
    try:
        summary = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: not UTF-8, not JSON (e.g. cut short)
        raise DataError(f"{f}: cannot read it ({exc})") from None
    if not isinstance(summary, dict):
        raise DataError(f"{f}: not a JSON object")
    for key, kind in SUMMARY_KEYS.items():
        if key not in summary:
            raise DataError(f"{f}: no {key!r}: not the summary of an xborder run")
        if not isinstance(summary[key], kind) or (kind is int and isinstance(summary[key], bool)):
            raise DataError(f"{f}: {key!r} is not {_kind_name(kind)}")
    order = summary["variant_order"]
    if not all(isinstance(v, str) for v in order):
        raise DataError(f"{f}: 'variant_order' is not a list of names")
    for v, reps in summary["replications_done"].items():
        if v not in order or not isinstance(reps, list) or not all(
                isinstance(r, int) and not isinstance(r, bool) for r in reps):
            raise DataError(f"{f}: 'replications_done' of {v!r} is not a list of replications of a "
                            "variant in 'variant_order'")
    for v, stats in summary["variants"].items():
        lacking = [k for k in VARIANT_KEYS if not isinstance(stats, dict) or k not in stats]
        if v not in order or lacking:
            raise DataError(f"{f}: the statistics of variant {v!r} are incomplete "
                            f"({', '.join(lacking) or 'not in variant_order'})")
    return summary


def _check_digests(p: Path, summary: dict[str, Any]) -> None:
    """That each table file is the one ``summary.json`` was written with (``tables``: SHA-256)."""
    records = summary.get("tables")
    if records is None:  # a folder written before summaries recorded their tables
        return
    if not isinstance(records, dict):
        raise DataError(f"{p / 'summary.json'}: 'tables' is not an object")
    for t in TABLES:
        rec = records.get(f"{t}.parquet")
        if not isinstance(rec, dict) or not isinstance(rec.get("sha256"), str):
            raise DataError(f"{p / 'summary.json'}: 'tables' has no SHA-256 of {t}.parquet")
        try:
            digest = file_digest(p / f"{t}.parquet")
        except OSError as exc:
            raise DataError(f"{p / f'{t}.parquet'}: cannot read it ({exc.strerror or exc})") from None
        if digest != rec["sha256"]:
            raise DataError(f"{p / f'{t}.parquet'}: not the file summary.json was written with (its "
                            "SHA-256 differs: damaged, or changed after the run)")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", bool: "true or false", list: "a list", dict: "an object", int: "a whole number",
             float: "a number"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _read_table(f: Path) -> pd.DataFrame:
    try:
        df = pd.read_parquet(f)
    except Exception as exc:  # pyarrow raises its own kinds for a damaged file
        raise DataError(f"{f}: cannot read it as a parquet table ({type(exc).__name__}: "
                        f"{' '.join(str(exc).split())})") from None
    table = f.name.removesuffix(".parquet")
    missing = [c for c in REQUIRED_COLUMNS[table] if c not in df.columns]
    if len(df.columns) and missing:  # no column at all: no finished replication
        raise DataError(f"{f}: no column {', '.join(missing)} (not a table written by xborder run)")
    return df


def _pairs(df: pd.DataFrame) -> set[tuple[str, int]]:
    if not len(df):
        return set()
    keys = df[["variant", "replication"]].drop_duplicates()
    return {(str(v), int(r)) for v, r in keys.itertuples(index=False)}


def _check_agreement(p: Path, summary: dict[str, Any], tables: dict[str, pd.DataFrame]) -> None:
    """That ``summary.json`` describes the tables: replications, variants, incident counts."""
    done = {(v, int(r)) for v, reps in summary["replications_done"].items() for r in reps}
    other = "summary.json does not describe it (a summary from another run?)"
    for t, df in tables.items():
        if done and not len(df.columns):
            raise DataError(f"{p / f'{t}.parquet'}: empty, but {p / 'summary.json'} lists "
                            f"{len(done)} finished replication(s)")
        extra = sorted(_pairs(df) - done)
        if extra:
            shown = ", ".join(f"{v} {r}" for v, r in extra[:3]) + (" …" if len(extra) > 3 else "")
            raise DataError(f"{p / f'{t}.parquet'}: holds replication(s) {shown} that summary.json does not "
                            f"list: {other}")
    inc = tables["incidents"]
    measured = measured_calls(inc)
    for v, stats in summary["variants"].items():
        rows = measured[measured["variant"] == v] if len(measured) else measured
        count = stats["overall"].get("count") if isinstance(stats["overall"], dict) else None
        if count != len(rows):
            raise DataError(f"{p / 'incidents.parquet'}: {len(rows)} measured incident(s) of variant {v!r} "
                            f"where summary.json counts {count}: {other}")
    missing = [v for v, reps in summary["replications_done"].items() if reps and v not in summary["variants"]]
    if missing:
        raise DataError(f"{p / 'summary.json'}: no statistics of variant(s) {', '.join(missing)}, which "
                        "have finished replications")
