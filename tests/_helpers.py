"""Helpers shared by the tests (import as ``from _helpers import ...``; pytest puts tests/ on the path)."""

from __future__ import annotations

from pathlib import Path

BAARLE_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "baarle-turnhout.yaml"


def short_copy(tmp_path: Path, horizon: str = "2 d") -> Path:
    """The default scenario with a short horizon and warm-up (its region is the bundled one)."""
    text = BAARLE_SCENARIO.read_text(encoding="utf-8")
    assert "horizon: 28 d" in text and "warmup: 1 d" in text
    path = tmp_path / "baarle-short.yaml"
    text = text.replace("horizon: 28 d", f"horizon: {horizon}").replace("warmup: 1 d", "warmup: 2 h")
    path.write_text(text, encoding="utf-8")
    return path
