"""The charts of a run (sim.figures.charts) on small hand-made frames: what each panel, row and bar shows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from sim.figures.charts import fig_norm_share, fig_response_cdf, fig_response_cdf_fire, fig_utilisation
from sim.model.norms import Norm

NORMS = {
    "BE": Norm("BE", "ambulance", 15 * 60.0, 0.90, source="test"),
    "NL": Norm("NL", "ambulance", 15 * 60.0, 0.95, source="test"),
    "NL/a2": Norm("NL", "ambulance", 30 * 60.0, 0.95, source="test", norm_class="a2"),
    "NL/fire_8": Norm("NL", "fire", 8 * 60.0, np.nan, source="test", norm_class="fire_8"),
}


def _calls(rows: list[tuple[str, str, str, str, float]]) -> pd.DataFrame:
    """``(variant, dispatch_centre, country, norm_class, response minutes)``, all measured."""
    df = pd.DataFrame(rows, columns=["variant", "dispatch_centre", "country", "norm_class", "response_min"])
    df["response_time_s"] = df.pop("response_min") * 60.0
    df["replication"] = 0
    df["urgency"] = 1
    df["in_warmup"] = False
    df["incident_id"] = np.arange(len(df))
    return df


CALLS = _calls([
    *[(v, "RAV", "NL", "urgent", m) for v in ("nat", "agr") for m in (10.0, 14.0, 16.0)],
    *[(v, "RAV", "NL", "a2", m) for v in ("nat", "agr") for m in (20.0, 31.0)],
    *[(v, "VR", "NL", "fire_8", m) for v in ("nat", "agr") for m in (7.0, 9.0)],
    ("nat", "VR", "NL", "fire", 11.0),
    ("nat", "RAV", "NL", "", 50.0),  # a B ride: in no figure
    *[(v, "112", "BE", "urgent", m) for v in ("nat", "agr") for m in (12.0, 5.0)],
    *[(v, "112", "BE", "fire", m) for v in ("nat", "agr") for m in (9.0, 12.0, 16.0)],
    ("nat", "112", "BE", "fire_8", 7.0),
])


def _vlines(ax: Axes) -> list[float]:
    """The x of each vertical line drawn across a panel (the norms' limits and the bands)."""
    out = []
    for ln in ax.get_lines():
        x = np.asarray(ln.get_xdata(), dtype=float)
        if len(x) == 2 and x[0] == x[1] and ln.get_transform() != ax.transData:
            out.append(float(x[0]))
    return sorted(out)


def _diamonds(ax: Axes) -> list[tuple[float, float]]:
    return [(float(ln.get_xdata()[0]), float(ln.get_ydata()[0])) for ln in ax.get_lines()
            if isinstance(ln, Line2D) and ln.get_marker() == "D"]


def test_ambulance_cdf_draws_the_urgent_class_only_with_each_countrys_urgent_norm() -> None:
    fig = fig_response_cdf(CALLS, norms=NORMS, variants=["nat", "agr"])
    be, nl = fig.axes
    assert be.get_title(loc="left").startswith("Calls in BE (n = 2)\n")  # not the fires
    assert nl.get_title(loc="left").startswith("Calls in NL (n = 3)\n")  # not A2, not the B ride
    assert "Norm NL: 95 % within 15 min" in nl.get_title(loc="left")
    assert _diamonds(be) == [(15.0, 90.0)] and _diamonds(nl) == [(15.0, 95.0)]
    assert "ambulance" in fig.get_suptitle() and "A1" in fig.get_suptitle()


def test_fire_cdf_has_one_panel_per_country_the_nl_limit_and_bands_where_no_norm() -> None:
    fig = fig_response_cdf_fire(CALLS, norms=NORMS, variants=["nat", "agr"])
    assert len(fig.axes) == 2
    be, nl = fig.axes
    # the reference variant's fire calls: BE 3 + 1 building fire, NL 2 building fires + 1 other fire
    assert be.get_title(loc="left").startswith("Calls in BE (n = 4)\n")
    assert nl.get_title(loc="left").startswith("Calls in NL (n = 3)\n")
    # NL: the 8-min building norm as its limit only (no target share: no diamond, no share line)
    assert _vlines(nl) == [8.0] and _diamonds(nl) == []
    assert "Norm NL, building fire: 8 min" in nl.get_title(loc="left")
    # BE has no fire norm: the 10- and 15-min marks
    assert _vlines(be) == [10.0, 15.0] and _diamonds(be) == []
    # the NL curve steps at every fire call of the reference, building fires and the other fire
    curve = next(ln for ln in nl.get_lines() if ln.get_label() == "nat")
    assert list(np.asarray(curve.get_xdata(), float)[1:4]) == [7.0, 9.0, 11.0]
    assert list(np.asarray(curve.get_ydata(), float)[1:4]) == pytest.approx([100 / 3, 200 / 3, 100.0])
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["nat", "agr", "10 and 15 min (no norm)", "Limit of the norm (no target share)"]


def test_norm_share_has_a_row_per_centre_and_class_ambulance_above_fire() -> None:
    fig = fig_norm_share(CALLS, norms=NORMS, variants=["nat", "agr"])
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows == [
        "112 · urgent (A1)\n(15 min, 90 %)", "RAV · urgent (A1)\n(15 min, 95 %)", "RAV · A2\n(30 min, 95 %)",
        "112 · building fire\n(no norm: within 15 min)", "112 · other fire\n(no norm: within 15 min)",
        "VR · building fire\n(8 min, no target share)", "VR · other fire\n(no norm: within 15 min)",
    ]
    # the reference's shares, row by row: BE A1 2/2, NL A1 2/3, A2 1/2, BE building fire 1/1,
    # BE other fires 2/3 within 15 min, NL building fires 1/2 within 8 min, NL other fire 1/1
    nat = ax.containers[0]
    xs = np.asarray(nat.lines[0].get_xdata(), dtype=float)
    assert xs == pytest.approx(100 * np.array([1.0, 2 / 3, 0.5, 1.0, 2 / 3, 0.5, 1.0]))
    # the targets: a bar on the three ambulance rows only
    bars = [ln for ln in ax.get_lines() if ln.get_color() == "black" and ln.get_linewidth() == 4]
    assert sorted(float(ln.get_xdata()[0]) for ln in bars) == pytest.approx([90.0, 95.0, 95.0])
    # the line between the ambulance and the fire rows
    assert [float(ln.get_ydata()[0]) for ln in ax.get_lines() if ln.get_linewidth() == 1.5] == [2.5]


def test_utilisation_bars_are_busy_over_on_duty_per_country_and_type() -> None:
    units = pd.DataFrame({
        "variant": ["v"] * 5, "replication": [0] * 5, "country": ["BE", "BE", "NL", "NL", "BE"],
        "unit_type": ["ambulance", "ambulance", "ambulance", "ambulance", "pumper"],
        "station": ["A", "B", "C", "D", "A"], "unit_id": [1, 2, 3, 4, 5],
        "busy_s": [30.0, 10.0, 1.0, 0.0, 5.0], "on_duty_s": [100.0, 100.0, 1000.0, 1000.0, 50.0],
    })
    fig = fig_utilisation(units)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "BE · Ambulance (2)", "BE · Fire engine (pumper) (1)", "NL · Ambulance (2)"]
    widths = [p.get_width() for p in ax.patches if isinstance(p, Rectangle) and p.get_height() < 1]
    assert widths == pytest.approx([100 * 40 / 200, 100 * 5 / 50, 100 * 1 / 2000])
