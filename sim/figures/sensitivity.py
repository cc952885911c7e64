"""The sensitivity figure: which uncertain inputs move a gain, ranked, beside the gain's two intervals.

One figure per variant × area × output of a sensitivity folder (:mod:`sim.study.sensitivity_outputs`),
in its ``figures/``: ``sensitivity-<variant>-<area>-<output>[.<lang>].<format>``. Left, the inputs
ranked by Morris' ``mu_star`` (with its bootstrap interval, and ``sigma``) or Sobol's total-order
index (with the first-order one); right, the gain at the file's values with its replication
interval next to its band over the declared uncertainty (5th-95th percentile of the design points,
the median marked).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from sim.figures.i18n import t
from sim.figures.style import OKABE_ITO, add_source, new_figure, save_figure, sim_source, style
from sim.study.sensitivity_outputs import load_sensitivity

_SCALE = {"mean_s": (1 / 60, "sens.unit.min"), "p90_s": (1 / 60, "sens.unit.min"),
          "within_norm": (100.0, "sens.unit.pp")}
"""Output -> (factor from the table's units, unit text key)."""

_LABEL_WIDTH = 46


def plot_sensitivity_folder(folder: str | Path, *, lang: str = "en",
                            formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Draw every figure of a sensitivity folder (none when it is incomplete); return the files."""
    res = load_sensitivity(folder)
    if not len(res.bands):
        return []
    written: list[Path] = []
    suffix = "" if lang == "en" else f".{lang}"
    for (v, a, o), band in res.bands.groupby(["variant", "area", "output"], sort=False):
        idx = res.indices[(res.indices["variant"] == v) & (res.indices["area"] == a)
                          & (res.indices["output"] == o)]
        row = {str(k): x for k, x in band.iloc[0].items()}
        fig = sensitivity_figure(idx, row, meta=res.meta, lang=lang)
        stem = f"sensitivity-{_slug(str(v))}-{_slug(str(a)) if a else 'all'}-{o}{suffix}"
        written += save_figure(fig, res.path / "figures" / stem, formats, lang=lang)
    return written


def sensitivity_figure(idx: pd.DataFrame, band: Mapping[str, Any], *, meta: Mapping[str, Any],
                       lang: str = "en") -> Any:
    """The figure of one output: `idx` its rows of the indices table, `band` its row of the bands."""
    output = str(band["output"])
    scale, unit_key = _SCALE[output]
    unit = t(unit_key, lang)
    with style():
        fig = new_figure()
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.6, 1.2]})
        if meta["method"] == "morris":
            _morris(left, idx, scale, unit, lang)
        else:
            _sobol(left, idx, lang)
        _band(right, band, scale, unit, lang)
        area = str(band["area"]) or t("sweep.all", lang)
        fig.suptitle(t("sens.title", lang, variant=band["variant"], reference=band["reference"],
                       output=t(f"sens.output.{output}", lang)) + "\n" + t("sens.area", lang, area=area),
                     fontsize=24)
        source = t("sens.source", lang, method="Morris" if meta["method"] == "morris" else "Sobol'",
                   points=meta["design_points"], k=len(meta["inputs"]))
        add_source(fig, f"{sim_source(meta['scenario'], meta['replications'], lang)} · {source}")
    return fig


def _wrap(text: str, width: int = _LABEL_WIDTH) -> str:
    """`text` on lines of at most about `width` characters, broken after a '.' or a space of a path."""
    lines: list[str] = []
    rest = text
    while len(rest) > width:
        cut = max(rest.rfind(".", 0, width), rest.rfind(" ", 0, width), rest.rfind("]", 0, width))
        cut = cut + 1 if cut > 0 else width
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return "\n".join([*lines, rest])


def _labels(idx: pd.DataFrame) -> list[str]:
    return [_wrap(str(s)) for s in idx["label"]]


def _morris(ax: Axes, idx: pd.DataFrame, scale: float, unit: str, lang: str) -> None:
    d = idx.sort_values("rank", ascending=False)
    y = np.arange(len(d))
    mu = d["mu_star"].to_numpy(float) * scale
    conf = d["mu_star_conf"].to_numpy(float) * scale
    ax.barh(y, mu, height=0.6, color=OKABE_ITO["blue"], label=t("sens.morris.mu_star", lang))
    ax.errorbar(mu, y, xerr=conf, fmt="none", ecolor="0.15", elinewidth=2, capsize=5)
    ax.plot(d["sigma"].to_numpy(float) * scale, y, "D", color=OKABE_ITO["vermillion"], markersize=10,
            label=t("sens.morris.sigma", lang))
    ax.set_yticks(y, _labels(d), fontsize=12)
    ax.set_xlabel(t("sens.morris.x", lang, unit=unit), fontsize=15)
    ax.set_xlim(left=0)
    ax.legend(loc="lower right", fontsize=14)


def _sobol(ax: Axes, idx: pd.DataFrame, lang: str) -> None:
    d = idx.sort_values("rank", ascending=False)
    y = np.arange(len(d))
    st, s1 = d["ST"].to_numpy(float), d["S1"].to_numpy(float)
    ax.barh(y, st, height=0.6, color=OKABE_ITO["blue"], label=t("sens.sobol.ST", lang))
    ax.errorbar(st, y, xerr=d["ST_conf"].to_numpy(float), fmt="none", ecolor="0.15", elinewidth=2, capsize=5)
    ax.errorbar(s1, y, xerr=d["S1_conf"].to_numpy(float), fmt="D", color=OKABE_ITO["vermillion"],
                markersize=10, elinewidth=1.5, capsize=4, label=t("sens.sobol.S1", lang))
    ax.set_yticks(y, _labels(d), fontsize=12)
    ax.set_xlabel(t("sens.sobol.x", lang), fontsize=15)
    ax.set_xlim(min(0.0, float(np.nanmin(s1)) - 0.05) if len(s1) else 0.0, 1.05)
    ax.legend(loc="lower right", fontsize=14)


def _band(ax: Axes, band: Mapping[str, Any], scale: float, unit: str, lang: str) -> None:
    def v(key: str) -> float:
        x = band.get(key)
        return float(x) * scale if x is not None and np.isfinite(float(x)) else np.nan

    nominal, lo, hi = v("nominal"), v("nominal_low"), v("nominal_high")
    p05, med, p95 = v("p05"), v("median"), v("p95")
    ax.axhline(0.0, color="0.4", linewidth=1.5)
    if np.isfinite(lo) and np.isfinite(hi):
        ax.vlines(0, lo, hi, color=OKABE_ITO["blue"], linewidth=14, alpha=0.55)
    ax.plot([0], [nominal], "o", color=OKABE_ITO["blue"], markersize=16)
    ax.vlines(1, v("min"), v("max"), color=OKABE_ITO["vermillion"], linewidth=2.5)
    ax.vlines(1, p05, p95, color=OKABE_ITO["vermillion"], linewidth=14, alpha=0.55)
    ax.plot([1], [med], "o", color=OKABE_ITO["vermillion"], markersize=16)
    ax.set_xticks([0, 1], [t("sens.band.replications", lang), t("sens.band.uncertainty", lang)],
                  fontsize=12)
    ax.set_xlim(-0.7, 1.7)
    ax.set_ylabel(t("sens.band.y", lang, unit=unit), fontsize=15)
    ax.grid(axis="x", visible=False)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "area"
