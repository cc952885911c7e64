"""Results folders: atomic writes and loading a folder back.

A results folder holds ``incidents.parquet``, ``missions.parquet``, ``units.parquet`` and
``requests.parquet`` (:mod:`sim.analysis.frames`), ``summary.json`` (:func:`sim.analysis.summary.summarise`),
``scenario.yaml`` (the scenario as run) and ``versions.json`` (package versions).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.frames import TABLES
from sim.errors import DataError


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


def _umask_mode() -> int:
    old = os.umask(0)
    os.umask(old)
    return 0o666 & ~old


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, _umask_mode())  # mkstemp makes 0600 files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_parquet(path: Path, df: pd.DataFrame) -> None:
    """Write a DataFrame as parquet atomically."""
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        df.to_parquet(tmp, index=False)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
        raise


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
    """Load a results folder written by ``xborder run`` (raises ``DataError`` if it is not one)."""
    p = Path(path)
    if not (p / "summary.json").is_file():
        raise DataError(f"{p}: not a results folder (no summary.json)")
    try:
        summary = json.loads((p / "summary.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{p / 'summary.json'}: cannot read it ({exc})") from None
    tables = {}
    for t in TABLES:
        f = p / f"{t}.parquet"
        if t == "requests" and not f.is_file():
            continue
        if not f.is_file():
            raise DataError(f"{p}: {f.name} is missing")
        tables[t] = pd.read_parquet(f)
    scen = p / "scenario.yaml"
    return Results(path=p, summary=summary, scenario_yaml=scen.read_text(encoding="utf-8")
                   if scen.is_file() else "", **tables)
