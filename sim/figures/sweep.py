"""The sweep figure: each KPI against the first swept parameter, one line per variant with its 95 % band.

Drawn from a sweep folder's tables (:mod:`sim.study.sweep_outputs`) into its ``figures/``:
``sweep.png`` (and ``.svg``) for all incidents, one more per focus area.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.figures.i18n import t
from sim.figures.style import VARIANT_COLOURS, add_source, new_figure, save_figure, sim_source, style
from sim.scenario import parse_duration
from sim.study.sweep_outputs import load_sweep_results
from sim.study.sweep_points import SweepParam

PLOTTED: tuple[str, ...] = ("mean_s", "p90_s", "within_norm", "cross_border_missions")
"""The KPIs drawn (:data:`sim.analysis.sweep_stats.KPIS`), one panel each."""


def plot_sweep_folder(folder: str | Path, params: Sequence[SweepParam], *, lang: str = "en",
                      formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Draw the figures of a sweep folder written by :func:`sim.study.sweep.run_sweep` with `params`
    (none when no replication finished); return the files written."""
    sweep = load_sweep_results(folder)
    if not len(sweep.tables[""]):
        return []
    return plot_sweep(sweep.path, sweep.tables, params=params, variants=sweep.meta["variant_order"],
                      scenario=sweep.meta["scenario"], reps=sweep.meta["replications"], lang=lang,
                      formats=formats)


def _axis_values(labels: Sequence[str], values: Sequence[Any]) -> tuple[np.ndarray, str, bool]:
    """x positions of parameter values: numbers, durations in minutes, or categories."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return np.asarray(values, float), "", True
    try:
        return np.asarray([parse_duration(v) / 60 for v in values], float), " (min)", True
    except ValueError:
        return np.arange(len(labels), dtype=float), "", False


def plot_sweep(folder: Path, tables: Mapping[str, pd.DataFrame], *, params: Sequence[SweepParam],
               variants: Sequence[str], scenario: str, reps: int, lang: str = "en",
               formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Each KPI against the first parameter, one line per variant with its 95 % band.

    One figure per area (``""``: all incidents) and per combination of the other parameters'
    values, in ``folder/figures/``: ``sweep[-<area>][-<k>].<format>``.
    """
    first = params[0]
    xs, unit, numeric = _axis_values(first.labels, first.values)
    x_of = dict(zip(first.labels, xs, strict=True))
    others = params[1:]
    combos = list(itertools.product(*[p.labels for p in others])) or [()]
    scale = {"mean_s": 1 / 60, "p90_s": 1 / 60, "within_norm": 100.0, "cross_border_missions": 1.0}
    written: list[Path] = []
    suffix = "" if lang == "en" else f".{lang}"
    for area, table in tables.items():
        for ci, combo in enumerate(combos):
            sel = np.ones(len(table), bool)
            for p, label in zip(others, combo, strict=True):
                sel &= (table[p.path] == label).to_numpy()
            tab = table[sel]
            with style():
                fig = new_figure()
                axes = fig.subplots(2, 2, sharex=True)
                for ax, k in zip(axes.flat, PLOTTED, strict=True):
                    for i, v in enumerate(variants):
                        d = tab[tab["variant"] == v]
                        if not len(d):
                            continue
                        x = d[first.path].map(x_of).to_numpy(float)
                        order = np.argsort(x)
                        x = x[order]
                        y = d[k].to_numpy(float)[order] * scale[k]
                        # t-intervals may pass the possible range (0-100 %, no negative times or counts)
                        top = 100.0 if k == "within_norm" else np.inf
                        lo = np.clip(d[f"{k}_low"].to_numpy(float)[order] * scale[k], 0.0, top)
                        hi = np.clip(d[f"{k}_high"].to_numpy(float)[order] * scale[k], 0.0, top)
                        colour = VARIANT_COLOURS[i % len(VARIANT_COLOURS)]
                        # later variants thinner: a line hidden under an equal one still shows
                        ax.plot(x, y, marker="o", markersize=max(13 - 3 * i, 6),
                                linewidth=max(5.0 - 1.2 * i, 1.6), color=colour, label=v)
                        ax.fill_between(x, lo, hi, color=colour, alpha=0.18, linewidth=0)
                    ax.set_title(t(f"sweep.{k}", lang), fontsize=18)
                    ax.margins(x=0.06)
                    if not numeric:
                        ax.set_xticks(xs, list(first.labels))
                for ax in axes[1]:
                    ax.set_xlabel(first.path + unit, fontsize=16)
                if axes.flat[0].get_legend_handles_labels()[0]:
                    axes.flat[0].legend(title=t("variant", lang), loc="best", fontsize=14)
                where = t("sweep.all", lang) if area == "" else area
                extra = "; ".join(f"{p.path} = {label}" for p, label in zip(others, combo, strict=True))
                title = t("sweep.title", lang, area=where)
                fig.suptitle(title + (f"\n{extra}" if extra else ""),
                             fontsize=26 if len(title) <= 70 and len(extra) <= 70 else 20)
                add_source(fig, f"{sim_source(scenario, reps, lang)} · {t('sweep.bands', lang)}")
            stem = "sweep" + (f"-{_slug(area)}" if area else "") + (f"-{ci + 1}" if len(combos) > 1 else "")
            written += save_figure(fig, folder / "figures" / f"{stem}{suffix}", formats, lang=lang)
    return written


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "area"
