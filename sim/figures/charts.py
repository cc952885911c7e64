"""Charts of a run: response-time CDFs, the share within the norm, cross-border missions, utilisation.

Each ``fig_*`` function takes DataFrames following the Records contract (plus ``variant`` and
``replication``) and returns a :class:`matplotlib.figure.Figure`; it never touches pyplot's global
state, so the functions work in scripts (Agg) and notebooks alike. The numbers come from
:mod:`sim.analysis.tables`; titles, labels and legends from :mod:`sim.figures.i18n`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.analysis.tables import (
    cross_border_counts,
    norm_shares,
    response_ecdf,
    station_utilisation,
    urgent_calls,
    variant_order,
)
from sim.figures.i18n import number, t, unit_label
from sim.figures.style import add_source, new_figure, no_data, style, variant_colour
from sim.model.countries import DEFAULT_NORMS
from sim.model.norms import Norm

# ---------------------------------------------------------------------------------------- response CDF


def _time_axis_end(inc: pd.DataFrame, countries: Sequence[str], norms: Mapping[str, Norm]) -> float:
    """Right end of the CDF's time axis (min): the 95th percentile or 1.6 times the longest norm,
    at most four times that norm, rounded up to 5 minutes."""
    rt = inc["response_time_s"].to_numpy(float) / 60.0 if len(inc) else np.array([])
    finite = rt[np.isfinite(rt)]
    lims = [n.limit_s / 60 for c in countries if (n := norms.get(c)) is not None]
    hi = float(np.quantile(finite, 0.95)) if len(finite) else 30.0
    lim = max(lims, default=15.0)
    return float(np.ceil(min(max(hi, 1.6 * lim), 4 * lim) / 5.0) * 5.0)


def _cdf_curves(ax: Axes, sub: pd.DataFrame, variants: Sequence[str], max_minutes: float) -> None:
    """One step curve per variant (the reference solid, the others dashed)."""
    for i, v in enumerate(variants):
        rt = sub.loc[sub["variant"].astype(str) == v, "response_time_s"].to_numpy(float)
        if not len(rt):
            continue
        x, y = response_ecdf(rt)
        ax.step(np.r_[0.0, x, max_minutes], np.r_[0.0, y, y[-1] if len(y) else 0.0],
                where="post", color=variant_colour(i), label=v,
                linewidth=3.2 if i == 0 else 3.0, linestyle="-" if i == 0 else "--")


def _cdf_norm(ax: Axes, country: str, norm: Norm, lang: str) -> None:
    """The norm as the point the curves have to pass above, named under the panel's title."""
    lim, share = norm.limit_s / 60.0, 100.0 * norm.target_share
    ax.axvline(lim, color="0.25", linestyle=":", linewidth=2)
    ax.axhline(share, color="0.25", linestyle=":", linewidth=2)
    ax.plot([lim], [share], marker="D", markersize=13, color="0.1", linestyle="none", zorder=5,
            label=t("norm.target", lang))
    # under the title: a label inside the panel would hide a curve somewhere
    norm_text = t("cdf.norm", lang, country=country, share=number(share, lang), minutes=number(lim, lang))
    ax.set_title(ax.get_title(loc="left") + "\n" + norm_text, loc="left")


def fig_response_cdf(
    incidents: pd.DataFrame,
    *,
    norms: Mapping[str, Norm] | None = None,
    variants: Sequence[str] | None = None,
    lang: str = "en",
    source: str = "",
    max_minutes: float | None = None,
) -> Figure:
    """Empirical CDF of the response times of urgent calls, per variant, one panel per country.

    Parameters
    ----------
    incidents
        Incidents (Records contract plus ``variant``, ``replication``); warm-up calls are left out and
        only urgency 1 is drawn. A call never reached (NaN) counts as later than any time, so the
        curve stays below 100 %.
    norms
        Norm per country (default :data:`sim.model.countries.DEFAULT_NORMS`): drawn as the point
        the curve has to pass above (limit, target share).
    variants
        Variants in drawing order (default: order of appearance; the first is the reference).
    lang
        Language of the texts.
    source
        Source line in the corner.
    max_minutes
        Right end of the time axis (default: the 95th percentile or 1.6 times the norm).
    """
    norms = dict(DEFAULT_NORMS) if norms is None else dict(norms)
    inc = urgent_calls(incidents)
    vs = variant_order(incidents, variants)
    countries = sorted(set(inc["country"].astype(str))) if len(inc) else []
    end = max_minutes if max_minutes is not None else _time_axis_end(inc, countries, norms)
    with style():
        fig = new_figure()
        axes = fig.subplots(1, max(1, len(countries)), sharey=True, squeeze=False)[0]
        for ax, country in zip(axes, countries or [""], strict=True):
            sub = inc[inc["country"].astype(str) == country] if country else inc
            n_calls = len(sub[sub["variant"].astype(str) == vs[0]]) if vs else 0
            ax.set_title(t("cdf.panel", lang, country=country, n=number(n_calls, lang, digits=0)),
                         loc="left")
            if not len(sub):
                no_data(ax, lang)
            _cdf_curves(ax, sub, vs, end)
            norm = norms.get(country)
            if norm is not None:
                _cdf_norm(ax, country, norm, lang)
            ax.set_xlim(0, end)
            ax.set_ylim(0, 101)
            ax.set_xlabel(t("cdf.xlabel", lang) if len(countries) < 2 else "")
        axes[0].set_ylabel(t("cdf.ylabel", lang))
        if len(countries) >= 2:
            fig.supxlabel(t("cdf.xlabel", lang), fontsize=18)
        # one legend for all panels, outside them: it never hides a curve
        handles = {lb: h for ax in axes for h, lb in zip(*ax.get_legend_handles_labels(), strict=True)}
        if handles:  # variants first, then the norm's marker
            labels = [v for v in vs if v in handles] + [lb for lb in handles if lb not in vs]
            fig.legend([handles[lb] for lb in labels], labels, loc="outside right upper",
                       title=t("variant", lang))
        fig.suptitle(t("cdf.title", lang))
        add_source(fig, source)
    return fig


# ---------------------------------------------------------------------------------------- norm


def _pct(x: float) -> str:
    return f"{100 * x:.0f}"


def _norm_points(ax: Axes, df: pd.DataFrame, variants: Sequence[str], centres: list[str]) -> None:
    """Each variant's share per centre with its interval, labelled in per cent."""
    step = 0.8 / max(len(variants), 1)
    for i, v in enumerate(variants):
        d = df[df["variant"] == v].set_index("dispatch_centre").reindex(centres)
        y = np.arange(len(centres)) - 0.4 + step * (i + 0.5)
        share = 100 * d["share"].to_numpy(float)
        err = np.vstack([share - 100 * d["low"].to_numpy(float), 100 * d["high"].to_numpy(float) - share])
        ax.errorbar(share, y, xerr=err, fmt="o", markersize=14, capsize=8, elinewidth=3,
                    capthick=3, color=variant_colour(i), label=v, zorder=4)
        for xi, yi, hi in zip(share, y, 100 * d["high"].to_numpy(float), strict=True):
            if np.isfinite(xi):
                ax.annotate(f"{xi:.0f} %", (hi, yi), xytext=(10, 0), textcoords="offset points",
                            va="center", fontsize=16, color=variant_colour(i))


def fig_norm_share(
    incidents: pd.DataFrame,
    *,
    norms: Mapping[str, Norm] | None = None,
    variants: Sequence[str] | None = None,
    lang: str = "en",
    source: str = "",
) -> Figure:
    """Share of urgent calls within the norm per dispatch centre and variant (95 % Wilson intervals).

    The numbers are :func:`sim.analysis.tables.norm_shares`; the norm's target share is a black
    bar on each centre's row.
    """
    vs = variant_order(incidents, variants)
    df = norm_shares(incidents, norms=norms, variants=vs)
    centres = sorted(set(df["dispatch_centre"])) if len(df) else []
    with style():
        fig = new_figure()
        ax = fig.add_subplot()
        _norm_points(ax, df, vs, centres)
        targets = df.drop_duplicates("dispatch_centre").set_index("dispatch_centre").reindex(centres)
        for j, (_, row) in enumerate(targets.iterrows()):
            ax.plot([100 * row["target"]] * 2, [j - 0.45, j + 0.45], color="black", linewidth=4,
                    label=t("norm.target", lang) if j == 0 else None, zorder=3)
        labels = [t("norm.centre_label", lang, centre=c,
                    norm=t("norm.short", lang, minutes=number(row['limit_min'], lang),
                           share=_pct(row["target"])))
                  for c, (_, row) in zip(centres, targets.iterrows(), strict=True)]
        ax.set_yticks(np.arange(len(centres)), labels)
        ax.set_ylim(len(centres) - 0.5, -0.5)
        lows = 100 * df["low"].to_numpy(float) if len(df) else np.array([50.0])
        lo = float(np.nanmin(np.r_[lows, 100 * df["target"].to_numpy(float) if len(df) else 90.0]))
        ax.set_xlim(max(0.0, np.floor(lo / 10.0) * 10.0 - 5.0), 104.0)
        ax.set_xlabel(t("norm.xlabel", lang))
        ax.set_ylabel(t("norm.ylabel", lang))
        ax.grid(axis="y", visible=False)
        if not centres:
            no_data(ax, lang)
        handles, labels = ax.get_legend_handles_labels()
        order = [labels.index(v) for v in vs if v in labels]
        order += [i for i, lb in enumerate(labels) if lb not in vs]
        ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper left",
                  bbox_to_anchor=(1.01, 1.0), title=t("variant", lang))
        fig.suptitle(t("norm.title", lang))
        add_source(fig, source)
    return fig


# ---------------------------------------------------------------------------------------- cross-border


def _cross_border_bars(ax: Axes, df: pd.DataFrame, variants: Sequence[str], groups: Sequence[Any],
                       lang: str) -> None:
    """One bar per variant and (unit type, direction), with its interval and its value."""
    step = 0.8 / max(len(variants), 1)
    for i, v in enumerate(variants):
        d = df[df["variant"] == v].set_index(["unit_type", "direction"])
        vals = np.array([d["mean"].get(g, 0.0) for g in groups], dtype=float)
        lo = np.array([d["low"].get(g, np.nan) for g in groups], dtype=float)
        hi = np.array([d["high"].get(g, np.nan) for g in groups], dtype=float)
        y = np.arange(len(groups)) - 0.4 + step * (i + 0.5)
        err = np.vstack([np.nan_to_num(vals - lo), np.nan_to_num(hi - vals)])
        ax.barh(y, vals, height=step * 0.9, color=variant_colour(i), label=v, xerr=err,
                error_kw={"elinewidth": 2.5, "capsize": 6, "capthick": 2.5, "ecolor": "0.15"})
        for yi, val, h in zip(y, vals, hi, strict=True):
            ax.annotate(number(val, lang, digits=1), (np.nanmax([val, h]) if np.isfinite(h) else val, yi),
                        xytext=(8, 0), textcoords="offset points", va="center", fontsize=15)


def fig_cross_border(
    missions: pd.DataFrame,
    *,
    incidents: pd.DataFrame | None = None,
    variants: Sequence[str] | None = None,
    per_s: float | None = None,
    lang: str = "en",
    source: str = "",
) -> Figure:
    """Cross-border missions by direction (``NL→BE``) and unit type, per variant, with 95 % CIs.

    The numbers are :func:`sim.analysis.tables.cross_border_counts` (per week with `per_s`).
    """
    vs = variant_order(missions, variants)
    df = cross_border_counts(missions, incidents=incidents, variants=vs, per_s=per_s)
    groups = sorted(set(zip(df["unit_type"], df["direction"], strict=True))) if len(df) else []
    with style():
        fig = new_figure()
        ax = fig.add_subplot()
        if not groups:
            ax.text(0.5, 0.5, t("xb.none", lang), transform=ax.transAxes, ha="center", va="center",
                    fontsize=24, color="0.3")
            ax.set_yticks([])
        xmax = float(np.nanmax(df["high"].fillna(df["mean"]))) if len(df) else 1.0
        _cross_border_bars(ax, df, vs, groups, lang)
        if groups:
            ax.set_yticks(np.arange(len(groups)),
                          [f"{unit_label(u, lang)}\n{d.replace('->', ' → ')}" for u, d in groups])
            ax.set_ylim(len(groups) - 0.5, -0.5)
            ax.set_xlim(0, xmax * 1.18 if xmax > 0 else 1.0)
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title=t("variant", lang))
        ax.set_xlabel(t("xb.xlabel_week" if per_s else "xb.xlabel", lang))
        ax.set_ylabel(t("xb.ylabel", lang))
        ax.grid(axis="y", visible=False)
        fig.suptitle(t("xb.title", lang))
        add_source(fig, source)
    return fig


# ---------------------------------------------------------------------------------------- utilisation


def fig_utilisation(
    units: pd.DataFrame,
    *,
    variants: Sequence[str] | None = None,
    max_stations: int = 18,
    lang: str = "en",
    source: str = "",
) -> Figure:
    """Unit utilisation per station and variant (95 % CIs over replications), busiest first.

    The numbers are :func:`sim.analysis.tables.station_utilisation`. At most `max_stations` rows
    are drawn (the busiest in the reference variant) so labels stay legible on a screen.
    """
    vs = variant_order(units, variants)
    df = station_utilisation(units, variants=vs)
    ref = df[df["variant"] == vs[0]] if vs else df
    order = list(ref.sort_values("mean", ascending=False)["station"])
    order += sorted(set(df["station"]) - set(order))
    shown = order[:max_stations]
    with style():
        fig = new_figure()
        ax = fig.add_subplot()
        step = 0.8 / max(len(vs), 1)
        n_units: Any = df.drop_duplicates("station").set_index("station")["units"] if len(df) else {}
        for i, v in enumerate(vs):
            d = df[df["variant"] == v].set_index("station").reindex(shown)
            m = 100 * d["mean"].to_numpy(float)
            err = np.vstack([np.nan_to_num(m - np.clip(100 * d["low"].to_numpy(float), 0, None)),
                             np.nan_to_num(100 * d["high"].to_numpy(float) - m)])
            y = np.arange(len(shown)) - 0.4 + step * (i + 0.5)
            ax.barh(y, np.nan_to_num(m), height=step * 0.9, color=variant_colour(i),
                    label=v, xerr=err, error_kw={"elinewidth": 2, "capsize": 4, "ecolor": "0.15"})
        fs = 16 if len(shown) <= 12 else max(11, int(16 - (len(shown) - 12) * 0.5))
        ax.set_yticks(np.arange(len(shown)), [f"{s} ({n_units[s]})" for s in shown], fontsize=fs)
        ax.set_ylim(len(shown) - 0.5, -0.5)
        top = float(np.nanmax(100 * df["high"].fillna(df["mean"]))) if len(df) else 10.0
        ax.set_xlim(0, max(5.0, top * 1.1))
        ax.set_xlabel(t("util.xlabel", lang))
        ax.set_ylabel(t("util.ylabel", lang))
        ax.grid(axis="y", visible=False)
        if not shown:
            no_data(ax, lang)
        else:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title=t("variant", lang))
        fig.suptitle(t("util.title", lang))
        add_source(fig, source)
    return fig
