"""Helpers shared by the tests (import as ``from _helpers import ...``; pytest puts tests/ on the path)."""

from __future__ import annotations

from pathlib import Path

from sim.model.units import UNIT_TYPES
from sim.roads.driving import DrivingModel

BAARLE_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "baarle-turnhout.yaml"


def short_copy(tmp_path: Path, horizon: str = "2 d") -> Path:
    """The default scenario with a short horizon and warm-up (its region is the bundled one)."""
    text = BAARLE_SCENARIO.read_text(encoding="utf-8")
    assert "horizon: 28 d" in text and "warmup: 1 d" in text
    path = tmp_path / "baarle-short.yaml"
    text = text.replace("horizon: 28 d", f"horizon: {horizon}").replace("warmup: 1 d", "warmup: 2 h")
    path.write_text(text, encoding="utf-8")
    return path


def exact_driving(lights_and_sirens: float = 1.0) -> DrivingModel:
    """A driving model for hand computations on tiny networks: every vehicle at the network's
    times, sped up by `lights_and_sirens` when urgent, no start/stop cost."""
    return DrivingModel(lights_and_sirens=lights_and_sirens, relative_speed={},
                        start_stop_s=dict.fromkeys(UNIT_TYPES, 0.0))
