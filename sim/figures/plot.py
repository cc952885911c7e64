"""Figures for symposium screens and researchers, in one presentation style and four languages.

Every figure is 16:9 (16 × 9 inches at 120 dpi: 1920 × 1080 pixels), with large type, the
colour-blind-safe Okabe–Ito palette, units on every axis and a source line in its bottom-right corner
(maps credit OpenStreetMap). Titles, labels and legends come from :mod:`sim.figures.i18n`.

Each ``fig_*`` function takes DataFrames following the Records contract (plus ``variant`` and
``replication``) or model objects and returns a :class:`matplotlib.figure.Figure`; it never touches
pyplot's global state, so the functions work in scripts (Agg) and notebooks alike.
:func:`plot_results` draws them all from a results folder; ``xborder plot`` calls it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import numpy.typing as npt
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import BoundaryNorm, ListedColormap, Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import Formatter, ScalarFormatter

from sim.analysis.coverage import Coverage
from sim.analysis.measures import within
from sim.analysis.stats import mean_ci, wilson_ci
from sim.errors import DataError
from sim.figures.i18n import LANGUAGES, localise_numerals, number, t
from sim.model.countries import COUNTRIES, DEFAULT_NORMS
from sim.model.norms import Norm
from sim.model.units import Station
from sim.roads.network import RoadNetwork

FloatArray = npt.NDArray[np.float64]

OKABE_ITO: dict[str, str] = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
"""Okabe & Ito (2008) colour-universal-design palette, safe for the common colour-vision deficiencies."""

VARIANT_COLOURS: tuple[str, ...] = (OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["green"],
                                    OKABE_ITO["purple"], OKABE_ITO["orange"], OKABE_ITO["sky"])
COUNTRY_COLOURS: dict[str, str] = {code: c.colour for code, c in COUNTRIES.items()}
"""From :data:`sim.model.countries.COUNTRIES`: neighbours get colours that stay apart under every
common colour-vision deficiency."""
ACCESS_STYLE = (0, (1, 1.5))
"""Line style of the estimated drive from a station beyond the road extract to its entry node."""
KIND_MARKERS: dict[str, str] = {"ambulance": "o", "smur": "^", "fire": "s"}
MAJOR_ROADS = frozenset({"motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
                         "secondary", "secondary_link"})

FIGSIZE = (16.0, 9.0)
DPI = 120
STYLE: dict[str, Any] = {
    "figure.figsize": FIGSIZE, "figure.dpi": DPI, "savefig.dpi": DPI,
    "font.family": "DejaVu Sans", "font.size": 18, "axes.titlesize": 20, "axes.labelsize": 18,
    "xtick.labelsize": 16, "ytick.labelsize": 16, "legend.fontsize": 16,
    "legend.title_fontsize": 16, "figure.titlesize": 26, "figure.titleweight": "bold",
    "axes.prop_cycle": cycler(color=list(VARIANT_COLOURS)),
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.35,
    "lines.linewidth": 3.0, "svg.fonttype": "none", "legend.frameon": True,
    "legend.framealpha": 0.9,
}
"""The presentation style: applied while a figure is built and while it is saved."""

SOURCE_FONTSIZE = 12
OSM_CREDIT = "© OpenStreetMap contributors (ODbL)"


@contextmanager
def style() -> Iterator[None]:
    """Apply :data:`STYLE` (use it around figure code of your own to match these figures)."""
    with mpl.rc_context(STYLE):  # type: ignore[arg-type]
        yield


def new_figure() -> Figure:
    """A blank 16:9 figure (1920 × 1080 pixels) in the presentation style's layout.

    Build it inside :func:`style` and finish with :func:`add_source`, to make figures of your own
    that match these (the notebooks do).
    """
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    # leave a strip at the bottom for the source line
    fig.set_layout_engine("constrained", rect=(0.0, 0.035, 1.0, 0.965), h_pad=0.08, w_pad=0.08)
    return fig


def add_source(fig: Figure, text: str) -> None:
    """Write the source line `text` in the bottom-right corner of `fig`, below every axis."""
    fig.text(0.995, 0.006, text, ha="right", va="bottom", fontsize=SOURCE_FONTSIZE, color="0.3")



def sim_source(scenario: str, replications: int, lang: str = "en") -> str:
    """The source line of a chart: ``xborder simulation, <scenario>, N replications``."""
    return t("source.sim", lang, scenario=scenario, n=replications)


def _map_source(lang: str, extra: str = "") -> str:
    text = t("map.osm_credit", lang)
    if OSM_CREDIT not in text:  # the licence line stays recognisable in every language
        text += f" — {OSM_CREDIT}"
    return f"{extra} · {text}" if extra else text


def _variants(df: pd.DataFrame, variants: Sequence[str] | None) -> list[str]:
    if variants:
        return list(variants)
    return list(dict.fromkeys(df["variant"].astype(str))) if len(df) else []


def _measured(incidents: pd.DataFrame) -> pd.DataFrame:
    if "in_warmup" in incidents and len(incidents):
        return incidents[~incidents["in_warmup"].astype(bool)]
    return incidents


def _urgent(incidents: pd.DataFrame) -> pd.DataFrame:
    inc = _measured(incidents)
    return inc[inc["urgency"] == 1] if "urgency" in inc else inc


def _pct(x: float) -> str:
    return f"{100 * x:.0f}"


def _no_data(ax: Axes, lang: str) -> None:
    ax.text(0.5, 0.5, t("nodata", lang), transform=ax.transAxes, ha="center", va="center",
            fontsize=22, color="0.4")


# ============================================================================== response-time CDF


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
        Norm per country (default :data:`sim.model.norms.DEFAULT_NORMS`): drawn as the point the curve has
        to pass above (limit, target share).
    variants
        Variants in drawing order (default: order of appearance; the first is the reference).
    lang
        Language of the texts.
    source
        Source line in the corner.
    max_minutes
        Right end of the time axis (default: the 99th percentile or twice the norm).
    """
    norms = dict(DEFAULT_NORMS) if norms is None else dict(norms)
    inc = _urgent(incidents)
    vs = _variants(incidents, variants)
    countries = sorted(set(inc["country"].astype(str))) if len(inc) else []
    with style():
        fig = new_figure()
        axes = fig.subplots(1, max(1, len(countries)), sharey=True, squeeze=False)[0]
        rt_all = inc["response_time_s"].to_numpy(float) / 60.0 if len(inc) else np.array([])
        finite = rt_all[np.isfinite(rt_all)]
        if max_minutes is None:
            lims = [n.limit_s / 60 for c in countries if (n := norms.get(c)) is not None]
            hi = float(np.quantile(finite, 0.95)) if len(finite) else 30.0
            lim = max(lims, default=15.0)
            max_minutes = float(np.ceil(min(max(hi, 1.6 * lim), 4 * lim) / 5.0) * 5.0)
        for ax, country in zip(axes, countries or [""], strict=True):
            sub = inc[inc["country"].astype(str) == country] if country else inc
            n_calls = len(sub[sub["variant"].astype(str) == vs[0]]) if vs else 0
            ax.set_title(t("cdf.panel", lang, country=country, n=number(n_calls, lang, digits=0)),
                         loc="left")
            if not len(sub):
                _no_data(ax, lang)
            for i, v in enumerate(vs):
                x = np.sort(sub.loc[sub["variant"].astype(str) == v, "response_time_s"]
                            .to_numpy(float) / 60.0)
                if not len(x):
                    continue
                n_all = len(x)
                x = x[np.isfinite(x)]
                y = np.arange(1, len(x) + 1) / n_all * 100.0
                ax.step(np.r_[0.0, x, max_minutes], np.r_[0.0, y, y[-1] if len(y) else 0.0],
                        where="post", color=VARIANT_COLOURS[i % len(VARIANT_COLOURS)], label=v,
                        linewidth=3.2 if i == 0 else 3.0, linestyle="-" if i == 0 else "--")
            norm = norms.get(country)
            if norm is not None:
                lim, share = norm.limit_s / 60.0, 100.0 * norm.target_share
                ax.axvline(lim, color="0.25", linestyle=":", linewidth=2)
                ax.axhline(share, color="0.25", linestyle=":", linewidth=2)
                ax.plot([lim], [share], marker="D", markersize=13, color="0.1", linestyle="none", zorder=5,
                        label=t("norm.target", lang))
                # the norm is named under the panel's title: a label inside would hide a curve somewhere
                norm_text = t("cdf.norm", lang, country=country, share=number(share, lang),
                              minutes=number(lim, lang))
                ax.set_title(ax.get_title(loc="left") + "\n" + norm_text, loc="left")
            ax.set_xlim(0, max_minutes)
            ax.set_ylim(0, 101)
            ax.set_xlabel(t("cdf.xlabel", lang) if len(countries) < 2 else "")
        axes[0].set_ylabel(t("cdf.ylabel", lang))
        if len(countries) >= 2:
            fig.supxlabel(t("cdf.xlabel", lang), fontsize=18)
        # one legend for all panels, outside them: it never hides a curve
        # one legend for all panels, outside them: it never hides a curve
        handles = {lb: h for ax in axes for h, lb in zip(*ax.get_legend_handles_labels(), strict=True)}
        if handles:  # variants first, then the norm's marker
            labels = [v for v in vs if v in handles] + [lb for lb in handles if lb not in vs]
            fig.legend([handles[lb] for lb in labels], labels, loc="outside right upper",
                       title=t("variant", lang))
        fig.suptitle(t("cdf.title", lang))
        add_source(fig, source)
    return fig


# ============================================================================== map helpers


@dataclass(frozen=True)
class MapLayers:
    """What every map draws underneath: roads and the national border.

    Build it once with :func:`map_layers` and pass it to the map figures.
    """

    minor: list[FloatArray]
    major: list[FloatArray]
    border: list[FloatArray]
    bbox: tuple[float, float, float, float]

    @property
    def lat0(self) -> float:
        return 0.5 * (self.bbox[1] + self.bbox[3])


def _edge_lines(network: RoadNetwork, edges: npt.NDArray[np.int64]) -> list[FloatArray]:
    off, geom = network.edge_geom_offsets, network.edge_geom_lonlat
    lines: list[FloatArray] = []
    for e in edges:
        if off is not None and geom is not None and off[e + 1] - off[e] >= 2:
            lines.append(geom[off[e]:off[e + 1]])
        else:
            u, v = network.edge_u[e], network.edge_v[e]
            lines.append(np.array([[network.lon[u], network.lat[u]], [network.lon[v], network.lat[v]]]))
    return lines


def border_lines(geometries: Sequence[Any], countries: Sequence[str]) -> list[FloatArray]:
    """The national borders between jurisdiction polygons, as (lon, lat) polylines.

    Polygons are merged per country and the border is where two countries' outlines meet (outer
    edges of the extract are not borders).
    """
    import shapely

    by_country: dict[str, Any] = {}
    for g, c in zip(geometries, countries, strict=True):
        by_country.setdefault(c, []).append(g)
    merged = {c: shapely.union_all(gs) for c, gs in by_country.items()}
    names = sorted(merged)
    out: list[FloatArray] = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            # a small buffer tolerates outlines that do not coincide to the last digit
            shared = shapely.intersection(merged[a].boundary, merged[b].buffer(1e-6))
            for part in getattr(shared, "geoms", [shared]):
                if isinstance(part, shapely.LineString) and not part.is_empty:
                    out.append(np.asarray(part.coords, dtype=float)[:, :2])
    return out


def map_layers(network: RoadNetwork, *, jurisdictions: Any = None) -> MapLayers:
    """Road polylines (major and minor) and the border, ready to draw.

    Parameters
    ----------
    network
        The road network; two directions of a road are drawn once.
    jurisdictions
        A :class:`sim.roads.jurisdictions.Jurisdictions` for the border; without one, the border is drawn
        along the road edges whose ends lie in different countries.
    """
    u, v = network.edge_u, network.edge_v
    once = np.flatnonzero((u < v) | ~_has_reverse(network))
    classes = network.highway_classes
    if network.edge_highway is not None and classes:
        hw = np.asarray(network.edge_highway)[once]
        major_codes = np.array([c in MAJOR_ROADS for c in classes] + [False])
        is_major = major_codes[np.where(hw >= 0, hw, len(classes))]
    else:
        is_major = np.zeros(len(once), dtype=bool)
    if jurisdictions is not None:
        names = [jurisdictions.countries[c] for c in jurisdictions.polygon_country]
        border = border_lines(list(jurisdictions.geometries), names)
    else:
        cu, cv = network.node_country[u], network.node_country[v]
        border = _edge_lines(network, np.flatnonzero((cu != cv) & (cu >= 0) & (cv >= 0) & (u < v)))
    return MapLayers(minor=_edge_lines(network, once[~is_major]), major=_edge_lines(network,
                     once[is_major]), border=border, bbox=network.bbox())


def _has_reverse(network: RoadNetwork) -> npt.NDArray[np.bool_]:
    n = max(network.n_nodes, 1)
    fwd = network.edge_u * n + network.edge_v
    rev = network.edge_v * n + network.edge_u
    return np.isin(rev, fwd)


def _degrees(ax: Axes, lang: str) -> None:
    """Tick labels with their unit: 4.90°E, 51.40°N (compass letters in `lang`: 4.90°O in Dutch)."""
    from matplotlib.ticker import FuncFormatter

    def fmt(positive: str, negative: str) -> FuncFormatter:
        pos, neg = t(positive, lang), t(negative, lang)
        return FuncFormatter(lambda v, _pos: f"{number(abs(v), lang, digits=2)}°{pos if v >= 0 else neg}")

    ax.xaxis.set_major_formatter(fmt("map.east", "map.west"))
    ax.yaxis.set_major_formatter(fmt("map.north", "map.south"))
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(5))
    ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(6))


def map_extent(layers: MapLayers, stations: Sequence[Station] = ()) -> tuple[float, float, float, float]:
    """``(west, south, east, north)`` of the roads and of every station (off-network ones included)."""
    w, s, e, n = layers.bbox
    if stations:
        lon = [st.lon for st in stations]
        lat = [st.lat for st in stations]
        w, e = min(w, *lon), max(e, *lon)
        s, n = min(s, *lat), max(n, *lat)
    return w, s, e, n


def _draw_base(ax: Axes, layers: MapLayers, lang: str, *, faint: bool = False,
               scale_bar: bool = True, extent: tuple[float, float, float, float] | None = None) -> None:
    w, s, e, n = extent or layers.bbox
    for lines, colour, width, z in ((layers.minor, "0.80" if faint else "0.70", 0.5, 1),
                                    (layers.major, "0.60" if faint else "0.35", 1.6, 2)):
        roads = LineCollection(lines, colors=colour, linewidths=width, zorder=z)
        roads.set_rasterized(True)  # thousands of segments: pixels in SVG/PDF, text stays text
        ax.add_collection(roads)
    # thinner on the data maps: the many small Baarle enclaves must not hide the hexagons under them
    ax.add_collection(LineCollection(layers.border, colors=OKABE_ITO["black"],
                                     linewidths=1.5 if faint else 2.6, linestyles=(0, (4, 2)), zorder=6))
    pad = 0.04 if extent else 0.01
    pad_x, pad_y = pad * (e - w), pad * (n - s)
    ax.set_xlim(w - pad_x, e + pad_x)
    ax.set_ylim(s - pad_y, n + pad_y)
    ax.set_aspect(1.0 / np.cos(np.radians(layers.lat0)))
    ax.grid(False)
    _degrees(ax, lang)
    for side in ("top", "right"):
        ax.spines[side].set_visible(True)
    ax.set_xlabel(t("map.xlabel", lang))
    ax.set_ylabel(t("map.ylabel", lang))
    ax.tick_params(labelsize=13)
    if scale_bar:
        _scale_bar(ax, layers, lang)


def _scale_bar(ax: Axes, layers: MapLayers, lang: str) -> None:
    from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

    w, _, e, _ = layers.bbox
    km_per_deg = 111.32 * np.cos(np.radians(layers.lat0))
    width_km = (e - w) * km_per_deg
    km = next((k for k in (1, 2, 5, 10, 20, 50, 100) if k >= width_km / 6), 100)
    bar = AnchoredSizeBar(ax.transData, km / km_per_deg, t("map.scale", lang, km=km), "lower left",
                          pad=0.4, sep=4, frameon=True, size_vertical=(e - w) * 0.002,
                          fontproperties={"size": 14})
    bar.patch.set_alpha(0.8)
    ax.add_artist(bar)


def _station_kind(units: Mapping[str, int]) -> list[str]:
    kinds = []
    if units.get("ambulance", 0) > 0:
        kinds.append("ambulance")
    if units.get("smur", 0) > 0:
        kinds.append("smur")
    if units.get("pumper", 0) > 0 or units.get("ladder", 0) > 0:
        kinds.append("fire")
    return kinds


def _station_sites(stations: Sequence[Station]) -> list[tuple[float, float, str, list[str]]]:
    """Stations grouped by site (within about 10 m): ``(lon, lat, country, kinds)``.

    Two stations at one address (an ambulance post and a fire post in the same town centre) are
    drawn as one group of markers side by side, so neither hides the other.
    """
    sites: dict[tuple[float, float, str], list[str]] = {}
    for s in stations:
        kinds = sites.setdefault((round(s.lon, 4), round(s.lat, 4), s.country), [])
        kinds += [k for k in _station_kind(s.units) if k not in kinds]
    order = list(KIND_MARKERS)
    return [(lon, lat, c, sorted(k, key=order.index)) for (lon, lat, c), k in sites.items()]


def _draw_stations(ax: Axes, stations: Sequence[Station], *, size: float = 150,
                   colour_by_country: bool = True, access_legs: bool = False) -> None:
    from matplotlib.transforms import offset_copy

    if access_legs:  # the estimated drive from a station beyond the road extract to the network
        for s in stations:
            if s.off_network is not None:
                ax.plot([s.lon, s.off_network.entry_lon], [s.lat, s.off_network.entry_lat], color="0.25",
                        linestyle=ACCESS_STYLE, linewidth=2.2, zorder=7)
    step = 1.05 * np.sqrt(size)  # points: markers side by side, just apart
    for lon, lat, country, kinds in _station_sites(stations):
        colour = COUNTRY_COLOURS.get(country, OKABE_ITO["green"]) if colour_by_country else "white"
        for j, kind in enumerate(kinds):
            dx = (j - (len(kinds) - 1) / 2) * step
            tr = offset_copy(ax.transData, fig=ax.get_figure(root=True), x=dx, y=0, units="points")
            ax.scatter([lon], [lat], s=size, marker=KIND_MARKERS[kind], c=colour,
                       edgecolors="black", linewidths=1.3, transform=tr, zorder=8)


def _station_legend(stations: Sequence[Station], lang: str, *, countries: bool = True,
                    access_legs: bool = False) -> list[Any]:
    handles: list[Any] = []
    if access_legs and any(s.off_network is not None for s in stations):
        handles.append(Line2D([], [], color="0.25", linestyle=ACCESS_STYLE, linewidth=2.2,
                              label=t("map.access_leg", lang)))
    for c in sorted({s.country for s in stations}) if countries else []:
        handles.append(Line2D([], [], marker="o", linestyle="none", markersize=13,
                              markerfacecolor=COUNTRY_COLOURS.get(c, OKABE_ITO["green"]),
                              markeredgecolor="black", label=c))
    kinds = [k for k in KIND_MARKERS if any(k in _station_kind(s.units) for s in stations)]
    for k in kinds:
        handles.append(Line2D([], [], marker=KIND_MARKERS[k], linestyle="none", markersize=13,
                              markerfacecolor="white", markeredgecolor="black",
                              label=t(f"kind.{k}", lang)))
    return handles


def fig_region_map(
    network: RoadNetwork,
    stations: Sequence[Station],
    *,
    layers: MapLayers | None = None,
    jurisdictions: Any = None,
    lang: str = "en",
    source: str = "",
) -> Figure:
    """The region: roads (major ones thicker), the national border and the stations.

    Stations are coloured by country and marked by the kinds of unit based there (ambulance,
    SMUR/MUG physician car, fire engine; side by side when a station holds several).
    """
    layers = layers or map_layers(network, jurisdictions=jurisdictions)
    with style():
        fig = new_figure()
        ax = fig.add_subplot()
        _draw_base(ax, layers, lang, extent=map_extent(layers, stations))
        _draw_stations(ax, stations, size=220, access_legs=True)
        roads = [Line2D([], [], color="0.35", linewidth=2.5, label=t("map.roads_major", lang)),
                 Line2D([], [], color="0.70", linewidth=1.2, label=t("map.roads_minor", lang)),
                 Line2D([], [], color="black", linewidth=2.6, linestyle=(0, (4, 2)),
                        label=t("map.border", lang))]
        ax.legend(handles=roads + _station_legend(stations, lang, access_legs=True), loc="upper left",
                  bbox_to_anchor=(1.02, 1.0), title=t("map.stations", lang))
        fig.suptitle(t("map.region.title", lang))
        add_source(fig, _map_source(lang, source))
    return fig


# ============================================================================== hexagons


def _project_km(lon: FloatArray, lat: FloatArray, lat0: float) -> tuple[FloatArray, FloatArray]:
    return lon * 111.32 * np.cos(np.radians(lat0)), lat * 110.57


def hex_cells(lon: npt.ArrayLike, lat: npt.ArrayLike, *, size_km: float,
              lat0: float) -> npt.NDArray[np.int64]:
    """Pointy-top hexagon cell ``(q, r)`` of each point, for hexagons `size_km` across the flats."""
    x, y = _project_km(np.asarray(lon, float), np.asarray(lat, float), lat0)
    radius = size_km / np.sqrt(3.0)
    q = (np.sqrt(3.0) / 3.0 * x - y / 3.0) / radius
    r = (2.0 / 3.0 * y) / radius
    # cube rounding
    cx, cz = q, r
    cy = -cx - cz
    rx, ry, rz = np.round(cx), np.round(cy), np.round(cz)
    dx, dy, dz = np.abs(rx - cx), np.abs(ry - cy), np.abs(rz - cz)
    fix_x = (dx > dy) & (dx > dz)
    fix_z = ~fix_x & (dz >= dy)
    rx = np.where(fix_x, -ry - rz, rx)
    rz = np.where(fix_z, -rx - ry, rz)
    return np.column_stack([rx, rz]).astype(np.int64)


def _hex_polygons(cells: npt.NDArray[np.int64], *, size_km: float, lat0: float) -> list[FloatArray]:
    radius = size_km / np.sqrt(3.0)
    q, r = cells[:, 0].astype(float), cells[:, 1].astype(float)
    x = radius * np.sqrt(3.0) * (q + r / 2.0)
    y = radius * 1.5 * r
    ang = np.radians(60.0 * np.arange(6) + 30.0)
    kx = 111.32 * np.cos(np.radians(lat0))
    return [np.column_stack([(xi + radius * np.cos(ang)) / kx, (yi + radius * np.sin(ang)) / 110.57])
            for xi, yi in zip(x, y, strict=True)]


def hex_quantile(
    lon: npt.ArrayLike, lat: npt.ArrayLike, values: npt.ArrayLike, *, size_km: float, lat0: float,
    q: float = 0.9, min_count: int = 5,
) -> pd.DataFrame:
    """Quantile `q` of `values` per hexagon (NaN values count as larger than any other).

    Returns a frame indexed by the cell ``(q, r)`` with columns ``value`` and ``count``, keeping
    cells with at least `min_count` values.
    """
    v = np.asarray(values, float)
    cells = hex_cells(lon, lat, size_km=size_km, lat0=lat0)
    df = pd.DataFrame({"q": cells[:, 0], "r": cells[:, 1], "v": np.where(np.isnan(v), np.inf, v)})
    g = df.groupby(["q", "r"])["v"]
    out = pd.DataFrame({
        "value": g.quantile(q, interpolation="higher"),
        "count": g.size(),
    })
    return out[out["count"] >= min_count]


def _auto_hex_km(bbox: tuple[float, float, float, float]) -> float:
    w, s, e, n = bbox
    width = (e - w) * 111.32 * np.cos(np.radians((s + n) / 2))
    return float(max(1.0, round(width / 22.0)))


def _hex_collection(cells: pd.Index, values: FloatArray, *, size_km: float, lat0: float, cmap: Any,
                    norm: Normalize, alpha: float = 0.85, edges: bool = True) -> PolyCollection:
    arr = np.array([list(c) for c in cells], dtype=np.int64).reshape(-1, 2)
    return PolyCollection(_hex_polygons(arr, size_km=size_km, lat0=lat0), array=values, cmap=cmap,
                          norm=norm, edgecolors="white" if edges else "face",
                          linewidths=0.6 if edges else 0.3, alpha=alpha, zorder=4)


def fig_response_map(
    incidents: pd.DataFrame,
    network: RoadNetwork,
    *,
    baseline: str,
    variant: str,
    stations: Sequence[Station] = (),
    layers: MapLayers | None = None,
    jurisdictions: Any = None,
    hex_km: float | None = None,
    min_calls: int = 5,
    lang: str = "en",
    source: str = "",
) -> Figure:
    """Maps of the 90th percentile of urgent response times per hexagon and its change.

    Two small maps show `baseline` and `variant`; the large one shows `variant` minus `baseline`
    (blue: faster). Hexagons need `min_calls` urgent calls (pooled over replications) in each map;
    a call never reached counts as later than any time.
    """
    layers = layers or map_layers(network, jurisdictions=jurisdictions)
    hex_km = hex_km or _auto_hex_km(layers.bbox)
    inc = _urgent(incidents)
    stats: dict[str, pd.DataFrame] = {}
    for v in (baseline, variant):
        sub = inc[inc["variant"].astype(str) == v]
        stats[v] = hex_quantile(sub["lon"], sub["lat"], sub["response_time_s"].to_numpy(float) / 60.0,
                                size_km=hex_km, lat0=layers.lat0, min_count=min_calls)
    finite = np.concatenate([s["value"].to_numpy()[np.isfinite(s["value"].to_numpy())]
                             for s in stats.values()] + [np.array([0.0])])
    vmax = float(np.ceil(max(np.quantile(finite, 0.98), 1.0)))
    p90_cmap = mpl.colormaps["viridis"].with_extremes(over=OKABE_ITO["vermillion"])
    p90_norm = Normalize(0.0, vmax)
    both = stats[baseline].index.intersection(stats[variant].index)
    diff = (stats[variant].loc[both, "value"] - stats[baseline].loc[both, "value"]).to_numpy(float)
    diff = np.nan_to_num(diff, nan=0.0, posinf=30.0, neginf=-30.0)
    dmax = float(max(1.0, np.ceil(np.nanmax(np.abs(diff)) if len(diff) else 1.0)))
    diff_norm = TwoSlopeNorm(0.0, -dmax, dmax)
    diff_cmap = mpl.colormaps["RdBu_r"]
    with style():
        fig = new_figure()
        gs = fig.add_gridspec(2, 2, width_ratios=[1.0, 1.75])
        ax_a, ax_b, ax_d = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[1, 0]), fig.add_subplot(gs[:, 1])
        for ax, v in ((ax_a, baseline), (ax_b, variant)):
            _draw_base(ax, layers, lang, faint=True, scale_bar=False)
            st = stats[v]
            if len(st):
                ax.add_collection(_hex_collection(st.index, st["value"].to_numpy(float), size_km=hex_km,
                                                  lat0=layers.lat0, cmap=p90_cmap, norm=p90_norm))
            ax.set_title(v, loc="left", fontsize=18)
            ax.set_xlabel("")
            ax.set_ylabel("")
        sm = mpl.cm.ScalarMappable(norm=p90_norm, cmap=p90_cmap)
        fig.colorbar(sm, ax=[ax_a, ax_b], location="left", label=t("rtmap.p90", lang), extend="max",
                     shrink=0.9)
        _draw_base(ax_d, layers, lang, faint=True)
        if len(both):
            ax_d.add_collection(_hex_collection(both, diff, size_km=hex_km, lat0=layers.lat0,
                                                cmap=diff_cmap, norm=diff_norm, alpha=0.9))
        else:
            _no_data(ax_d, lang)
        _draw_stations(ax_d, stations, size=90, colour_by_country=False)
        ax_d.set_title(t("rtmap.diff_panel", lang, variant=variant, baseline=baseline), loc="left",
                       fontsize=18)
        fig.colorbar(mpl.cm.ScalarMappable(norm=diff_norm, cmap=diff_cmap), ax=ax_d,
                     label=t("rtmap.diff", lang), shrink=0.8)
        fig.suptitle(t("rtmap.title", lang))
        note = t("rtmap.hex_note", lang, km=number(hex_km, lang), n=min_calls)
        add_source(fig, _map_source(lang, f"{note} · {source}" if source else note))
    return fig


# ============================================================================== norm compliance


def norm_shares(
    incidents: pd.DataFrame, *, norms: Mapping[str, Norm] | None = None,
    variants: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Share of urgent calls within the norm per dispatch centre and variant, with Wilson intervals.

    The norm of a call is its dispatch centre's if one is set, else its country's (as in
    :mod:`sim.analysis.measures`); a call never reached is outside the norm. Calls are pooled over
    replications.

    Returns
    -------
    DataFrame
        ``dispatch_centre``, ``variant``, ``n``, ``within``, ``share``, ``low``, ``high``,
        ``target``, ``limit_min``, ``country``.
    """
    norms = dict(DEFAULT_NORMS) if norms is None else dict(norms)
    inc = _urgent(incidents)
    rows = []
    for v in _variants(incidents, variants):
        sub = inc[inc["variant"].astype(str) == v]
        for (centre, country), g in sub.groupby(["dispatch_centre", "country"], sort=True):
            norm = norms.get(str(centre)) or norms.get(str(country))
            if norm is None:
                continue
            rt = g["response_time_s"].to_numpy(float)
            k = int(np.count_nonzero(within(rt, np.full(len(rt), norm.limit_s))))
            ci = wilson_ci(k, len(rt))
            rows.append({"dispatch_centre": str(centre), "country": str(country), "variant": v,
                         "n": len(rt), "within": k, "share": ci.estimate, "low": ci.low,
                         "high": ci.high, "target": norm.target_share,
                         "limit_min": norm.limit_s / 60.0})
    cols = ["dispatch_centre", "country", "variant", "n", "within", "share", "low", "high", "target",
            "limit_min"]
    df = pd.DataFrame(rows, columns=cols)
    # one row per centre and variant: a centre spanning countries keeps its largest country
    if len(df):
        df = (df.sort_values("n", ascending=False).drop_duplicates(["dispatch_centre", "variant"])
              .sort_values(["dispatch_centre", "variant"]).reset_index(drop=True))
    return df


def fig_norm_share(
    incidents: pd.DataFrame,
    *,
    norms: Mapping[str, Norm] | None = None,
    variants: Sequence[str] | None = None,
    lang: str = "en",
    source: str = "",
) -> Figure:
    """Share of urgent calls within the norm per dispatch centre and variant (95 % Wilson intervals).

    The norm's target share is a black bar on each centre's row.
    """
    vs = _variants(incidents, variants)
    df = norm_shares(incidents, norms=norms, variants=vs)
    centres = sorted(set(df["dispatch_centre"])) if len(df) else []
    with style():
        fig = new_figure()
        ax = fig.add_subplot()
        step = 0.8 / max(len(vs), 1)
        for i, v in enumerate(vs):
            d = df[df["variant"] == v].set_index("dispatch_centre").reindex(centres)
            y = np.arange(len(centres)) - 0.4 + step * (i + 0.5)
            share = 100 * d["share"].to_numpy(float)
            err = np.vstack([share - 100 * d["low"].to_numpy(float), 100 * d["high"].to_numpy(float) - share])
            ax.errorbar(share, y, xerr=err, fmt="o", markersize=14, capsize=8, elinewidth=3,
                        capthick=3, color=VARIANT_COLOURS[i % len(VARIANT_COLOURS)], label=v, zorder=4)
            for xi, yi, hi in zip(share, y, 100 * d["high"].to_numpy(float), strict=True):
                if np.isfinite(xi):
                    ax.annotate(f"{xi:.0f} %", (hi, yi), xytext=(10, 0), textcoords="offset points",
                                va="center", fontsize=16, color=VARIANT_COLOURS[i % len(VARIANT_COLOURS)])
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
            _no_data(ax, lang)
        handles, labels = ax.get_legend_handles_labels()
        order = [labels.index(v) for v in vs if v in labels]
        order += [i for i, lb in enumerate(labels) if lb not in vs]
        ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper left",
                  bbox_to_anchor=(1.01, 1.0), title=t("variant", lang))
        fig.suptitle(t("norm.title", lang))
        add_source(fig, source)
    return fig


# ============================================================================== cross-border missions


def cross_border_counts(
    missions: pd.DataFrame, *, incidents: pd.DataFrame | None = None,
    variants: Sequence[str] | None = None, per_s: float | None = None,
) -> pd.DataFrame:
    """Cross-border missions per replication by unit type, direction and variant (mean and 95 % CI).

    Missions of warm-up incidents are left out when `incidents` is given. With `per_s` (the
    measured simulated time of one replication, in seconds) the counts are per week.
    """
    vs = _variants(missions, variants)
    mis = missions
    if incidents is not None and "in_warmup" in incidents and len(mis):
        warm = incidents.loc[incidents["in_warmup"].astype(bool), ["variant", "replication", "incident_id"]]
        if len(warm):
            key = pd.MultiIndex.from_frame(mis[["variant", "replication", "incident_id"]])
            mis = mis[~key.isin(pd.MultiIndex.from_frame(warm))]
    scale = 7 * 86_400.0 / per_s if per_s else 1.0
    xb = mis[mis["cross_border"].astype(bool)] if len(mis) else mis
    rows = []
    for v in vs:
        reps = sorted(set(missions.loc[missions["variant"].astype(str) == v, "replication"]))
        if incidents is not None:
            reps = sorted(set(reps) | set(incidents.loc[incidents["variant"].astype(str) == v,
                                                        "replication"]))
        sub = xb[xb["variant"].astype(str) == v]
        for (ut, direction), g in sub.groupby(["unit_type", "direction"], sort=True):
            per_rep = g.groupby("replication").size().reindex(reps, fill_value=0).to_numpy(float) * scale
            ci = mean_ci(per_rep)
            rows.append({"variant": v, "unit_type": str(ut), "direction": str(direction),
                         "mean": ci.estimate, "low": ci.low, "high": ci.high, "replications": len(reps)})
    return pd.DataFrame(rows, columns=["variant", "unit_type", "direction", "mean", "low", "high",
                                       "replications"])


def _kind_label(unit_type: str, lang: str) -> str:
    key = f"unit.{unit_type}" if unit_type in ("pumper", "ladder") else f"kind.{unit_type}"
    try:
        return t(key, lang)
    except KeyError:
        return unit_type


def fig_cross_border(
    missions: pd.DataFrame,
    *,
    incidents: pd.DataFrame | None = None,
    variants: Sequence[str] | None = None,
    per_s: float | None = None,
    lang: str = "en",
    source: str = "",
) -> Figure:
    """Cross-border missions by direction (``NL→BE``) and unit type, per variant, with 95 % CIs."""
    vs = _variants(missions, variants)
    df = cross_border_counts(missions, incidents=incidents, variants=vs, per_s=per_s)
    groups = sorted(set(zip(df["unit_type"], df["direction"], strict=True))) if len(df) else []
    with style():
        fig = new_figure()
        ax = fig.add_subplot()
        if not groups:
            ax.text(0.5, 0.5, t("xb.none", lang), transform=ax.transAxes, ha="center", va="center",
                    fontsize=24, color="0.3")
            ax.set_yticks([])
        step = 0.8 / max(len(vs), 1)
        xmax = float(np.nanmax(df["high"].fillna(df["mean"]))) if len(df) else 1.0
        for i, v in enumerate(vs):
            d = df[df["variant"] == v].set_index(["unit_type", "direction"])
            vals = np.array([d["mean"].get(g, 0.0) for g in groups], dtype=float)
            lo = np.array([d["low"].get(g, np.nan) for g in groups], dtype=float)
            hi = np.array([d["high"].get(g, np.nan) for g in groups], dtype=float)
            y = np.arange(len(groups)) - 0.4 + step * (i + 0.5)
            colour = VARIANT_COLOURS[i % len(VARIANT_COLOURS)]
            err = np.vstack([np.nan_to_num(vals - lo), np.nan_to_num(hi - vals)])
            ax.barh(y, vals, height=step * 0.9, color=colour, label=v, xerr=err,
                    error_kw={"elinewidth": 2.5, "capsize": 6, "capthick": 2.5, "ecolor": "0.15"})
            for yi, val, h in zip(y, vals, hi, strict=True):
                ax.annotate(number(val, lang, digits=1), (np.nanmax([val, h]) if np.isfinite(h) else val, yi),
                            xytext=(8, 0), textcoords="offset points", va="center", fontsize=15)
        if groups:
            ax.set_yticks(np.arange(len(groups)),
                          [f"{_kind_label(u, lang)}\n{d.replace('->', ' → ')}" for u, d in groups])
            ax.set_ylim(len(groups) - 0.5, -0.5)
            ax.set_xlim(0, xmax * 1.18 if xmax > 0 else 1.0)
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title=t("variant", lang))
        ax.set_xlabel(t("xb.xlabel_week" if per_s else "xb.xlabel", lang))
        ax.set_ylabel(t("xb.ylabel", lang))
        ax.grid(axis="y", visible=False)
        fig.suptitle(t("xb.title", lang))
        add_source(fig, source)
    return fig


# ============================================================================== utilisation


def station_utilisation(units: pd.DataFrame, *, variants: Sequence[str] | None = None) -> pd.DataFrame:
    """Utilisation per station and variant: busy / on-duty time summed over its units, mean over
    replications with a 95 % t-interval.

    Returns ``station``, ``variant``, ``units`` (number of units), ``mean``, ``low``, ``high``.
    """
    rows = []
    for v in _variants(units, variants):
        sub = units[units["variant"].astype(str) == v]
        for station, g in sub.groupby("station", sort=True):
            per_rep = g.groupby("replication")[["busy_s", "on_duty_s"]].sum()
            ratio = (per_rep["busy_s"] / per_rep["on_duty_s"].where(per_rep["on_duty_s"] > 0)).to_numpy()
            ci = mean_ci(ratio)
            rows.append({"station": str(station), "variant": v,
                         "units": int(g["unit_id"].nunique()), "mean": ci.estimate, "low": ci.low,
                         "high": ci.high})
    return pd.DataFrame(rows, columns=["station", "variant", "units", "mean", "low", "high"])


def fig_utilisation(
    units: pd.DataFrame,
    *,
    variants: Sequence[str] | None = None,
    max_stations: int = 18,
    lang: str = "en",
    source: str = "",
) -> Figure:
    """Unit utilisation per station and variant (95 % CIs over replications), busiest first.

    At most `max_stations` rows are drawn (the busiest in the reference variant) so labels stay
    legible on a screen.
    """
    vs = _variants(units, variants)
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
            ax.barh(y, np.nan_to_num(m), height=step * 0.9, color=VARIANT_COLOURS[i % len(VARIANT_COLOURS)],
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
            _no_data(ax, lang)
        else:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title=t("variant", lang))
        fig.suptitle(t("util.title", lang))
        add_source(fig, source)
    return fig


# ============================================================================== coverage


def coverage_classes(cov: Coverage) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """Per node: its coverage class and the threshold bounds (minutes).

    Class ``2 i`` means within threshold ``i`` nationally; ``2 i + 1`` within threshold ``i`` only
    with the agreements; ``2 k`` (k thresholds) beyond the last threshold either way.
    """
    bounds = np.array([th / 60.0 for th in cov.thresholds_s])
    nat = np.searchsorted(bounds, cov.time_national_s / 60.0, side="left")
    agr = np.searchsorted(bounds, cov.time_agreements_s / 60.0, side="left")
    cls = np.where(agr < nat, 2 * agr + 1, 2 * agr)
    return cls.astype(np.int64), bounds


_COVERAGE_COLOURS = {
    "national": (OKABE_ITO["blue"], OKABE_ITO["sky"], OKABE_ITO["green"]),
    "gained": (OKABE_ITO["vermillion"], OKABE_ITO["orange"], OKABE_ITO["yellow"]),
    "beyond": "#D0D0D0",
}


def fig_coverage(
    network: RoadNetwork,
    cov: Coverage,
    *,
    variant: str,
    stations: Sequence[Station] = (),
    layers: MapLayers | None = None,
    jurisdictions: Any = None,
    hex_km: float | None = None,
    lang: str = "en",
    source: str = "",
) -> Figure:
    """Coverage within 8 and 15 minutes: areas on the map (national and gained through agreements)
    and the population reached per country, national versus with agreements.

    A hexagon takes the class of the median road node in it: cool colours are reached by national
    stations, warm colours only with the agreements, grey beyond the last threshold.
    """
    layers = layers or map_layers(network, jurisdictions=jurisdictions)
    hex_km = hex_km or max(0.5, _auto_hex_km(layers.bbox) / 2)
    node_cls, bounds = coverage_classes(cov)
    k = len(bounds)
    if k > len(_COVERAGE_COLOURS["national"]):
        raise ValueError("the coverage figure draws at most three thresholds")
    colours: list[str] = []
    for i in range(k):
        colours += [_COVERAGE_COLOURS["national"][i], _COVERAGE_COLOURS["gained"][i]]
    colours.append(str(_COVERAGE_COLOURS["beyond"]))
    cmap = ListedColormap(colours)
    cnorm = BoundaryNorm(np.arange(len(colours) + 1) - 0.5, cmap.N)
    cells = hex_cells(network.lon, network.lat, size_km=hex_km, lat0=layers.lat0)
    df = pd.DataFrame({"q": cells[:, 0], "r": cells[:, 1], "c": node_cls})
    hex_cls = df.groupby(["q", "r"])["c"].median().round()
    with style():
        fig = new_figure()
        gs = fig.add_gridspec(2, 2, width_ratios=[1.45, 1.0], height_ratios=[1.5, 1.5])
        ax_map = fig.add_subplot(gs[:, 0])
        ax_bar, ax_leg = fig.add_subplot(gs[0, 1]), fig.add_subplot(gs[1, 1])
        _draw_base(ax_map, layers, lang, faint=True)
        ax_map.add_collection(_hex_collection(hex_cls.index, hex_cls.to_numpy(float), size_km=hex_km,
                                              lat0=layers.lat0, cmap=cmap, norm=cnorm, alpha=0.8,
                                              edges=False))
        # only the stations the coverage counts (those holding the unit type)
        counted = [s for s in stations if cov.vehicle is None or s.units.get(cov.vehicle, 0) > 0]
        _draw_stations(ax_map, counted, size=120, colour_by_country=False)
        ax_map.set_title(t("cov.agreements", lang, variant=variant), loc="left", fontsize=18)
        # numbers: share of population per country and threshold, national vs agreements
        tab = cov.table.sort_values(["country", "threshold_min"]).reset_index(drop=True)
        y = np.arange(len(tab), dtype=float)
        bar_handles = []
        for dy, col, colour, label in (
                (-0.2, "national", OKABE_ITO["sky"], t("cov.national", lang)),
                (0.2, "agreements", OKABE_ITO["vermillion"], t("cov.agreements", lang, variant=variant))):
            share = 100 * tab[f"share_{col}"].to_numpy(float)
            bar_handles.append(ax_bar.barh(y + dy, np.nan_to_num(share), height=0.38, color=colour,
                                           edgecolor="black", label=label))
            for yi, sh, pop in zip(y + dy, share, tab[col].to_numpy(float), strict=True):
                txt = number(pop, lang, digits=0) + (f" ({sh:.0f} %)" if np.isfinite(sh) else "")
                inside = bool(np.isfinite(sh) and sh > 55)
                ax_bar.text(sh - 1.5 if inside else np.nan_to_num(sh) + 1.5, yi, txt, va="center",
                            ha="right" if inside else "left", fontsize=14,
                            color="white" if inside and col == "agreements" else "black")
        ax_bar.set_yticks(y, [t("cov.bar", lang, country=c, minutes=number(float(m), lang))
                              for c, m in zip(tab["country"], tab["threshold_min"], strict=True)])
        ax_bar.set_ylim(len(tab) - 0.5, -0.5)
        ax_bar.set_xlim(0, 100)
        ax_bar.set_xlabel(t("cov.xlabel", lang))
        ax_bar.grid(axis="y", visible=False)
        total = number(tab.drop_duplicates("country")["population"].sum(), lang, digits=0)
        ax_bar.set_title(t("cov.numbers", lang, total=total), loc="left", fontsize=18)
        # legends: the map's classes and the bars
        ax_leg.axis("off")
        labels = []
        for i in range(k):
            m = number(bounds[i], lang)
            labels += [f"{t('cov.within', lang, minutes=m)} — {t('cov.national', lang)}",
                       f"{t('cov.within', lang, minutes=m)} — {t('cov.gained', lang)}"]
        labels.append(t("cov.beyond", lang, minutes=number(bounds[-1], lang)))
        order = [2 * i for i in range(k)] + [2 * i + 1 for i in range(k)] + [2 * k]
        # one legend (two would collide when a language's labels run long): bars, map areas, stations
        ax_leg.legend(handles=[*bar_handles,
                               *(Patch(facecolor=colours[i], alpha=0.8, label=labels[i]) for i in order),
                               *_station_legend(counted, lang, countries=False)],
                      loc="upper left", fontsize=15, ncols=1, frameon=False, borderaxespad=0.0,
                      labelspacing=0.35)
        fig.suptitle(t("cov.title", lang))
        vehicle = _kind_label(cov.vehicle, lang) if cov.vehicle else ""
        add_source(fig, _map_source(lang, f"{t('cov.note', lang, vehicle=vehicle)} · "
                                       f"{t('source.places', lang)}" + (f" · {source}" if source else "")))
    return fig


# ============================================================================== a results folder


FIGURES: tuple[str, ...] = ("response-cdf", "region-map", "response-map", "norm-share", "cross-border",
                            "utilisation", "coverage")
"""Figure names; ``response-map`` and ``coverage`` get one file per variant besides the first."""


class LocalisedFormatter(Formatter):
    """Tick labels of another formatter with their numbers written for a language.

    The wrapped formatter chooses the ticks' precision, offset and exponent as usual; only the
    text changes (decimal comma and thousands gap, :func:`sim.figures.i18n.localise_numerals`).

    Parameters
    ----------
    inner
        The formatter doing the formatting (usually the axis' :class:`~matplotlib.ticker.ScalarFormatter`).
    lang
        One of :data:`sim.figures.i18n.LANGUAGES`.
    """

    def __init__(self, inner: Formatter, lang: str) -> None:
        localise_numerals("0", lang)  # an unknown language fails here, not at drawing time
        self.inner = inner
        self.lang = lang

    def set_axis(self, axis: Any) -> None:
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def set_locs(self, locs: Any) -> None:
        self.inner.set_locs(locs)

    def __call__(self, x: float, pos: int | None = None) -> str:
        return localise_numerals(self.inner(x, pos), self.lang)

    def format_ticks(self, values: Any) -> list[str]:
        return [localise_numerals(s, self.lang) for s in self.inner.format_ticks(values)]

    def format_data(self, value: float) -> str:
        return localise_numerals(self.inner.format_data(value), self.lang)

    def format_data_short(self, value: float) -> str:
        return localise_numerals(self.inner.format_data_short(value), self.lang)

    def get_offset(self) -> str:
        return localise_numerals(self.inner.get_offset(), self.lang)


def _all_axes(fig: Any) -> Iterator[Axes]:
    yield from fig.axes
    for sub in getattr(fig, "subfigs", ()):
        yield from _all_axes(sub)


def localise_ticks(fig: Figure, lang: str) -> None:
    """Write the numbers of every numeric tick label of `fig` (colour bars too) for `lang`.

    Axes with plain numeric ticks (matplotlib's :class:`~matplotlib.ticker.ScalarFormatter`) get a
    decimal comma and a narrow no-break space between thousands in French, Dutch and German, like
    :func:`sim.figures.i18n.number`; the units stay in the axis labels. Tick labels set as text
    (categories) and formatters of their own (the maps' degrees) are left alone, and so is every
    English figure. Calling it again changes nothing. :func:`save_figure` calls it.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    if lang == "en":
        return
    for ax in _all_axes(fig):
        for axis in (ax.xaxis, ax.yaxis):
            major, minor = axis.get_major_formatter(), axis.get_minor_formatter()
            if isinstance(major, ScalarFormatter):
                axis.set_major_formatter(LocalisedFormatter(major, lang))
            if isinstance(minor, ScalarFormatter):
                axis.set_minor_formatter(LocalisedFormatter(minor, lang))


def save_figure(fig: Figure, stem: Path, formats: Sequence[str], *, lang: str = "en") -> list[Path]:
    """Save `fig` as ``stem.<format>`` for each format (text stays text in SVG).

    Parameters
    ----------
    fig
        The figure.
    stem
        Path without the format's suffix; its folder is made if missing.
    formats
        ``png``, ``svg`` and/or ``pdf``.
    lang
        The figure's language: numeric tick labels are written for it (:func:`localise_ticks`).
    """
    localise_ticks(fig, lang)
    out = []
    stem.parent.mkdir(parents=True, exist_ok=True)
    with style():
        for fmt in formats:
            path = stem.with_name(f"{stem.name}.{fmt}")
            tmp = path.with_name(f".{path.name}.tmp")
            fig.savefig(tmp, format=fmt, dpi=DPI, metadata=_metadata(fmt))
            os.replace(tmp, path)
            out.append(path)
    return out


def _metadata(fmt: str) -> dict[str, Any] | None:
    # reproducible files: no creation date in SVG/PDF
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return None


def _region_folder(region: Any) -> Path | None:
    folder = getattr(region, "region_dir", None)
    return Path(folder) if folder else None


def _load_jurisdictions(region: Any) -> Any:
    from sim.roads.jurisdictions import load_jurisdictions

    folder = _region_folder(region)
    if folder is not None and (folder / "jurisdictions.geojson").is_file():
        return load_jurisdictions(folder / "jurisdictions.geojson")
    return None


def plot_results(
    results_dir: str | os.PathLike[str],
    *,
    lang: str = "en",
    formats: Sequence[str] = ("png", "svg"),
    region: Any = None,
) -> list[Path]:
    """Draw every figure of a results folder into ``results_dir/figures/``.

    Parameters
    ----------
    results_dir
        A folder written by ``xborder run`` (:func:`sim.study.folders.load_results`).
    lang
        ``en``, ``fr``, ``nl`` or ``de``. English files are ``figures/<name>.<format>``; other
        languages ``figures/<name>.<lang>.<format>``.
    formats
        Any of ``png``, ``svg``, ``pdf``.
    region
        The region the scenario ran on (default: loaded from the scenario as run).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    sim.paths.DataError
        If the folder is not a results folder or a language or format is unknown.
    """
    from sim.analysis.coverage import coverage
    from sim.scenario import Scenario
    from sim.study.folders import load_results

    if lang not in LANGUAGES:
        raise DataError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    bad = [f for f in formats if f not in ("png", "svg", "pdf")]
    if bad or not formats:
        raise DataError(f"unknown figure format {', '.join(bad) or '(none)'}: choose png, svg or pdf")
    folder = Path(results_dir)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such results folder")
    res = load_results(folder)
    if not res.scenario_yaml:
        raise DataError(f"{folder}: scenario.yaml is missing (the scenario as run)")
    sc = Scenario.from_text(res.scenario_yaml, filename=str(folder / "scenario.yaml"),
                            path=folder / "scenario.yaml")
    if region is None:
        region = sc.load_region()
    network: RoadNetwork = region.network
    variants = res.variants or sc.variant_names
    specs = {v: sc.model_spec(v, region) for v in variants if v in sc.variants}
    norms = sc.norms()
    n_reps = int(res.incidents["replication"].nunique()) if len(res.incidents) else 0
    src = sim_source(sc.name, n_reps, lang)
    ref = variants[0]
    ref_spec = specs.get(ref)
    per_s = (ref_spec.horizon_s - ref_spec.warmup_s) if ref_spec is not None else None
    layers = map_layers(network, jurisdictions=_load_jurisdictions(region))
    figures_dir = folder / "figures"
    suffix = "" if lang == "en" else f".{lang}"
    written: list[Path] = []

    def save(fig: Figure, name: str) -> None:
        written.extend(save_figure(fig, figures_dir / f"{name}{suffix}", formats, lang=lang))

    save(fig_response_cdf(res.incidents, norms=norms, variants=variants, lang=lang, source=src),
         "response-cdf")
    stations = ref_spec.stations if ref_spec is not None else ()
    save(fig_region_map(network, stations, layers=layers, lang=lang, source=sc.name), "region-map")
    for v in variants[1:]:
        st_v = specs[v].stations if v in specs else stations
        save(fig_response_map(res.incidents, network, baseline=ref, variant=v, stations=st_v,
                              layers=layers, lang=lang, source=src), f"response-map-{v}")
    save(fig_norm_share(res.incidents, norms=norms, variants=variants, lang=lang, source=src),
         "norm-share")
    save(fig_cross_border(res.missions, incidents=res.incidents, variants=variants, per_s=per_s,
                          lang=lang, source=src), "cross-border")
    save(fig_utilisation(res.units, variants=variants, lang=lang, source=src), "utilisation")
    for v in variants[1:] or variants[:1]:
        spec = specs.get(v)
        if spec is None:
            continue
        cov = coverage(network, spec.stations, spec.places, agreements=spec.agreements,
                       factors=spec.factors, spread_m=spec.demand.spread_m if spec.demand else 1500.0,
                       max_distance_m=spec.demand.max_place_distance_m if spec.demand else 3000.0)
        save(fig_coverage(network, cov, variant=v, stations=spec.stations, layers=layers, lang=lang,
                          source=sc.name), f"coverage-{v}")
    return written
