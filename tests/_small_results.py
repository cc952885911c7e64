"""A small results folder of the default scenario, built once per test session (shared by the
pytest-xdist workers through a file lock) for the tests of export, report and animate."""

from __future__ import annotations

import fcntl
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("national", "benelux-2009", "fastest-unit")


def small_results(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """Three variants, two replications of 3 days (warm-up half a day), seed 11."""
    base = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        base = base.parent
    root = base / "outputs-results"
    root.mkdir(exist_ok=True)
    folder = root / "run"
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (folder / "summary.json").exists():
                from sim.scenario import Scenario
                from sim.study.runner import run_scenario

                text = (ROOT / "scenarios" / "baarle-turnhout.yaml").read_text(encoding="utf-8")
                text = re.sub(r"(?m)^horizon: .*$", "horizon: 3 d", text)
                text = re.sub(r"(?m)^warmup: .*$", "warmup: 0.5 d", text)
                sc = Scenario.from_text(text, filename="baarle-small.yaml", path=root / "baarle-small.yaml")
                run_scenario(sc, reps=2, seed=11, out=folder, progress=False, variants=list(VARIANTS))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder
