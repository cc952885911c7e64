"""Charts of a run: response-time CDFs (urgent ambulance calls, fire calls), the share within the norm
per class of call, cross-border missions, utilisation per country and unit type.

Each ``fig_*`` function takes DataFrames following the Records contract (plus ``variant`` and
``replication``) and returns a :class:`matplotlib.figure.Figure`; it never touches pyplot's global
state, so the functions work in scripts (Agg) and notebooks alike. The numbers come from
:mod:`sim.analysis.tables`; titles, labels and legends from :mod:`sim.figures.i18n`.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.analysis.measures import norms_of
from sim.analysis.tables import (
    class_shares,
    cross_border_counts,
    response_ecdf,
    service_calls,
    unit_utilisation,
    urgent_calls,
    variant_order,
)
from sim.figures.i18n import class_label, number, t, unit_label
from sim.figures.style import add_source, new_figure, no_data, style, variant_colour
from sim.model.countries import DEFAULT_NORMS
from sim.model.norms import BANDS_S, Norm, find_norm
from sim.model.units import UNIT_TYPES

# ---------------------------------------------------------------------------------------- response CDF


def _time_axis_end(inc: pd.DataFrame, limits_min: Sequence[float]) -> float:
    """Right end of the CDF's time axis (min): the 95th percentile or 1.6 times the longest limit
    drawn, at most four times that limit, rounded up to 5 minutes."""
    rt = inc["response_time_s"].to_numpy(float) / 60.0 if len(inc) else np.array([])
    finite = rt[np.isfinite(rt)]
    hi = float(np.quantile(finite, 0.95)) if len(finite) else 30.0
    lim = max(limits_min, default=15.0)
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


def _subtitle(ax: Axes, text: str) -> None:
    # under the title: a label inside the panel would hide a curve somewhere
    ax.set_title(ax.get_title(loc="left") + "\n" + text, loc="left")


def _cdf_norm(ax: Axes, country: str, norm: Norm, lang: str) -> None:
    """The norm as the point the curves have to pass above, named under the panel's title; a norm
    without a target share (the Dutch fire norms) as its limit only."""
    lim = norm.limit_s / 60.0
    ax.axvline(lim, color="0.25", linestyle=":", linewidth=2,
               label=None if norm.has_target else t("cdf.limit", lang))
    if not norm.has_target:
        _subtitle(ax, t("cdf.norm_limit", lang, country=country, cls=class_label(norm.norm_class, lang),
                        minutes=number(lim, lang)))
        return
    share = 100.0 * norm.target_share
    ax.axhline(share, color="0.25", linestyle=":", linewidth=2)
    ax.plot([lim], [share], marker="D", markersize=13, color="0.1", linestyle="none", zorder=5,
            label=t("norm.target", lang))
    _subtitle(ax, t("cdf.norm", lang, country=country, share=number(share, lang), minutes=number(lim, lang)))


def _cdf_bands(ax: Axes, lang: str) -> None:
    """The 10- and 15-min marks of a panel whose calls have no norm."""
    for b in BANDS_S:
        ax.axvline(b / 60.0, color="0.45", linestyle="--", linewidth=2, label=t("cdf.band", lang))
    _subtitle(ax, t("cdf.no_norm", lang))


def _cdf_figure(inc: pd.DataFrame, variants: Sequence[str], end: float, title: str, lang: str,
                source: str, mark: Callable[[Axes, str, pd.DataFrame], None]) -> Figure:
    """One panel per country of `inc`: the curves of `variants`, then ``mark(ax, country, calls)``."""
    countries = sorted(set(inc["country"].astype(str))) if len(inc) else []
    with style():
        fig = new_figure()
        axes = fig.subplots(1, max(1, len(countries)), sharey=True, squeeze=False)[0]
        for ax, country in zip(axes, countries or [""], strict=True):
            sub = inc[inc["country"].astype(str) == country] if country else inc
            n_calls = len(sub[sub["variant"].astype(str) == variants[0]]) if variants else 0
            ax.set_title(t("cdf.panel", lang, country=country, n=number(n_calls, lang, digits=0)),
                         loc="left")
            if not len(sub):
                no_data(ax, lang)
            _cdf_curves(ax, sub, variants, end)
            if country:
                mark(ax, country, sub)
            ax.set_xlim(0, end)
            ax.set_ylim(0, 101)
            ax.set_xlabel(t("cdf.xlabel", lang) if len(countries) < 2 else "")
            # wrapped to the panel's width, so that a title never runs into the next panel's
            width = max(18, 78 // max(1, len(countries)))
            lines = ax.get_title(loc="left").split("\n")
            ax.set_title("\n".join(textwrap.fill(line, width) for line in lines), loc="left")
        axes[0].set_ylabel(t("cdf.ylabel", lang))
        if len(countries) >= 2:
            # centred under the panels, not the whole figure with its legend: a long label
            # would run into the source line in the corner
            fig.supxlabel(t("cdf.xlabel", lang), fontsize=18, x=0.42)
        # one legend for all panels, outside them: it never hides a curve
        handles = {lb: h for ax in axes for h, lb in zip(*ax.get_legend_handles_labels(), strict=True)}
        if handles:  # variants first, then the norms' marks
            labels = [v for v in variants if v in handles] + [lb for lb in handles if lb not in variants]
            # centred on the right: at the top it would run into a long title
            fig.legend([handles[lb] for lb in labels], labels, loc="outside right center",
                       title=t("variant", lang))
        fig.suptitle(title)
        add_source(fig, source)
    return fig


def fig_response_cdf(
    incidents: pd.DataFrame,
    *,
    norms: Mapping[str, Norm] | None = None,
    variants: Sequence[str] | None = None,
    lang: str = "en",
    source: str = "",
    max_minutes: float | None = None,
) -> Figure:
    """Empirical CDF of the response times of urgent ambulance calls (class ``urgent``: NL A1 and
    the other countries' urgent ambulance calls), per variant, one panel per country.

    Parameters
    ----------
    incidents
        Incidents (Records contract plus ``variant``, ``replication``); warm-up calls are left out and
        only the class ``urgent`` is drawn (:func:`sim.analysis.tables.urgent_calls`). A call never
        reached (NaN) counts as later than any time, so the curve stays below 100 %.
    norms
        Norms by key (default :data:`sim.model.countries.DEFAULT_NORMS`): each country's urgent
        norm is drawn as the point the curve has to pass above (limit, target share).
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
    found = {c: find_norm(norms, centre="", country=c, norm_class="urgent") for c in countries}
    end = max_minutes if max_minutes is not None else _time_axis_end(
        inc, [n.limit_s / 60.0 for n in found.values() if n is not None])

    def mark(ax: Axes, country: str, calls: pd.DataFrame) -> None:
        if (norm := found.get(country)) is not None:
            _cdf_norm(ax, country, norm, lang)

    return _cdf_figure(inc, vs, end, t("cdf.title", lang), lang, source, mark)


def _main_fire_norm(calls: pd.DataFrame, norms: Mapping[str, Norm]) -> Norm | None:
    """The norm that judges most of `calls` (:func:`sim.analysis.measures.norms_of`; ``None``: none
    has one)."""
    found = Counter(n for n in norms_of(calls, norms) if n is not None)
    return found.most_common(1)[0][0] if found else None


def fig_response_cdf_fire(
    incidents: pd.DataFrame,
    *,
    norms: Mapping[str, Norm] | None = None,
    variants: Sequence[str] | None = None,
    lang: str = "en",
    source: str = "",
    max_minutes: float | None = None,
) -> Figure:
    """Empirical CDF of the response times of fire-service calls (every fire class), per variant,
    one panel per country.

    A country with a fire norm gets the norm that judges most of its fire calls (NL: the 8-min
    building norm; its limit only where it sets no target share); a country without one gets the
    10- and 15-min marks (:data:`sim.model.norms.BANDS_S`). Arguments as :func:`fig_response_cdf`;
    the calls are :func:`sim.analysis.tables.service_calls` of ``fire``.
    """
    norms = dict(DEFAULT_NORMS) if norms is None else dict(norms)
    inc = service_calls(incidents, "fire")
    vs = variant_order(incidents, variants)
    countries = sorted(set(inc["country"].astype(str))) if len(inc) else []
    found = {c: _main_fire_norm(inc[inc["country"].astype(str) == c], norms) for c in countries}
    limits = [n.limit_s / 60.0 for n in found.values() if n is not None]
    if any(n is None for n in found.values()):
        limits.append(BANDS_S[-1] / 60.0)
    end = max_minutes if max_minutes is not None else _time_axis_end(inc, limits)

    def mark(ax: Axes, country: str, calls: pd.DataFrame) -> None:
        norm = found.get(country)
        if norm is not None:
            _cdf_norm(ax, country, norm, lang)
        else:
            _cdf_bands(ax, lang)

    return _cdf_figure(inc, vs, end, t("cdf.fire.title", lang), lang, source, mark)


# ---------------------------------------------------------------------------------------- norm


def _pct(x: float) -> str:
    return f"{100 * x:.0f}"


RowKey = tuple[str, str]


def _norm_points(ax: Axes, df: pd.DataFrame, variants: Sequence[str], rows: list[RowKey],
                 marker_size: float) -> None:
    """Each variant's share per row (centre, class) with its interval, labelled in per cent."""
    step = 0.8 / max(len(variants), 1)
    for i, v in enumerate(variants):
        d = df[df["variant"] == v].set_index(["dispatch_centre", "norm_class"]).reindex(rows)
        y = np.arange(len(rows)) - 0.4 + step * (i + 0.5)
        share = 100 * d["share"].to_numpy(float)
        # clipped: a Wilson bound at 0 or 1 may sit a rounding error beyond the estimate
        err = np.clip(np.vstack([share - 100 * d["low"].to_numpy(float),
                                 100 * d["high"].to_numpy(float) - share]), 0.0, None)
        ax.errorbar(share, y, xerr=err, fmt="o", markersize=marker_size, capsize=marker_size * 0.55,
                    elinewidth=3, capthick=3, color=variant_colour(i), label=v, zorder=4)
        for xi, yi, hi in zip(share, y, 100 * d["high"].to_numpy(float), strict=True):
            if np.isfinite(xi):
                ax.annotate(f"{xi:.0f} %", (hi, yi), xytext=(10, 0), textcoords="offset points",
                            va="center", fontsize=marker_size + 1, color=variant_colour(i),
                            annotation_clip=False)


def _row_label(row: pd.Series, lang: str) -> str:
    """``centre · class`` and, under it, its norm (or the band it is measured by)."""
    minutes = number(float(row["limit_min"]), lang)
    if not row["has_norm"]:
        norm = t("norm.band", lang, minutes=minutes)
    elif np.isfinite(row["target"]):
        norm = t("norm.short", lang, minutes=minutes, share=_pct(row["target"]))
    else:
        norm = t("norm.limit_only", lang, minutes=minutes)
    return t("norm.centre_label", lang, centre=row["dispatch_centre"],
             cls=class_label(str(row["norm_class"]), lang), norm=norm)


def fig_norm_share(
    incidents: pd.DataFrame,
    *,
    norms: Mapping[str, Norm] | None = None,
    variants: Sequence[str] | None = None,
    lang: str = "en",
    source: str = "",
) -> Figure:
    """Share of calls within their norm per dispatch centre, class of call and variant (95 % Wilson
    intervals): ambulance rows (NL A1 and A2 apart) above fire rows, a line between them.

    The numbers are :func:`sim.analysis.tables.class_shares`: a class with a norm by its share
    within the norm (the target share a black bar on its row; a norm without one, the Dutch fire
    norms, has no bar), a class without one (Belgian fires) by its share within 15 min, as its row
    says.
    """
    vs = variant_order(incidents, variants)
    df = class_shares(incidents, norms=norms, variants=vs)
    first = df.drop_duplicates(["dispatch_centre", "norm_class"]).reset_index(drop=True)
    rows: list[RowKey] = list(zip(first["dispatch_centre"], first["norm_class"], strict=True))
    fs = 16 if len(rows) <= 8 else max(11, int(16 - (len(rows) - 8) * 0.4))
    with style():
        fig = new_figure()
        ax = fig.add_subplot()
        _norm_points(ax, df, vs, rows, marker_size=14 if len(rows) <= 8 else max(8, 14 - (len(rows) - 8) / 2))
        labelled = False
        for j, (_, row) in enumerate(first.iterrows()):
            if row["has_norm"] and np.isfinite(row["target"]):
                ax.plot([100 * row["target"]] * 2, [j - 0.45, j + 0.45], color="black", linewidth=4,
                        label=None if labelled else t("norm.target", lang), zorder=3)
                labelled = True
        fire = np.flatnonzero(first["service"].to_numpy() == "fire")
        if len(fire) and fire[0] > 0:  # ambulance rows above, fire rows below
            ax.axhline(fire[0] - 0.5, color="0.3", linewidth=1.5)
        ax.set_yticks(np.arange(len(rows)), [_row_label(r, lang) for _, r in first.iterrows()], fontsize=fs)
        ax.set_ylim(len(rows) - 0.5, -0.5)
        lows = 100 * df["low"].to_numpy(float) if len(df) else np.array([50.0])
        lo = float(np.nanmin(np.r_[lows, 100 * df["target"].to_numpy(float) if len(df) else 90.0]))
        # a little below 0 %, so that a share of 0 % shows its whole marker
        ax.set_xlim(max(-3.0, np.floor(lo / 10.0) * 10.0 - 5.0), 104.0)
        ax.set_xlabel(t("norm.xlabel", lang))
        ax.set_ylabel(t("norm.ylabel", lang))
        ax.grid(axis="y", visible=False)
        if not rows:
            no_data(ax, lang)
        handles, labels = ax.get_legend_handles_labels()
        order = [labels.index(v) for v in vs if v in labels]
        order += [i for i, lb in enumerate(labels) if lb not in vs]
        ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper left",
                  bbox_to_anchor=(1.06, 1.0), title=t("variant", lang))
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
    lang: str = "en",
    source: str = "",
) -> Figure:
    """Unit utilisation per country and unit type, per variant (95 % CIs over replications).

    The numbers are :func:`sim.analysis.tables.unit_utilisation`: each country's busy time of a
    unit type over its time on duty, so that idle units of one country (the foreign side beyond
    the road extract) are not averaged with busy ones of another. Rows by country, then unit type
    (:data:`sim.model.units.UNIT_TYPES` order).
    """
    vs = variant_order(units, variants)
    df = unit_utilisation(units, variants=vs)
    kinds = list(UNIT_TYPES)
    groups = sorted(set(zip(df["country"], df["unit_type"], strict=True)),
                    key=lambda g: (g[0], kinds.index(g[1]) if g[1] in kinds else len(kinds), g[1]))
    with style():
        fig = new_figure()
        ax = fig.add_subplot()
        step = 0.8 / max(len(vs), 1)
        n_units = df.drop_duplicates(["country", "unit_type"]).set_index(["country", "unit_type"])["units"]
        for i, v in enumerate(vs):
            d = df[df["variant"] == v].set_index(["country", "unit_type"]).reindex(groups)
            m = 100 * d["mean"].to_numpy(float)
            err = np.vstack([np.nan_to_num(m - np.clip(100 * d["low"].to_numpy(float), 0, None)),
                             np.nan_to_num(100 * d["high"].to_numpy(float) - m)])
            y = np.arange(len(groups)) - 0.4 + step * (i + 0.5)
            ax.barh(y, np.nan_to_num(m), height=step * 0.9, color=variant_colour(i),
                    label=v, xerr=err, error_kw={"elinewidth": 2, "capsize": 4, "ecolor": "0.15"})
            for yi, val, hi in zip(y, m, 100 * d["high"].to_numpy(float), strict=True):
                if np.isfinite(val):
                    ax.annotate(f"{number(val, lang, digits=1)} %", (np.nanmax([val, hi]), yi), xytext=(6, 0),
                                textcoords="offset points", va="center", fontsize=13 if len(vs) > 2 else 15)
        fs = 16 if len(groups) <= 12 else max(11, int(16 - (len(groups) - 12) * 0.5))
        ax.set_yticks(np.arange(len(groups)),
                      [f"{c} · {unit_label(u, lang)} ({n_units[(c, u)]})" for c, u in groups], fontsize=fs)
        ax.set_ylim(len(groups) - 0.5, -0.5)
        top = float(np.nanmax(100 * df["high"].fillna(df["mean"]))) if len(df) else 10.0
        ax.set_xlim(0, max(5.0, top * 1.18))
        ax.set_xlabel(t("util.xlabel", lang))
        ax.set_ylabel(t("util.ylabel", lang))
        ax.grid(axis="y", visible=False)
        if not groups:
            no_data(ax, lang)
        else:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title=t("variant", lang))
        fig.suptitle(t("util.title", lang))
        add_source(fig, source)
    return fig
