"""Maps: the region with its stations, response times per hexagon, and population coverage.

Every map draws the roads (major ones thicker) and the national border underneath
(:class:`MapLayers`, built once per region by :func:`map_layers`), keeps the aspect of the ground,
labels its ticks in degrees and credits OpenStreetMap in its source line. The numbers per hexagon
come from :mod:`sim.analysis.tables`; each ``fig_*`` function returns a
:class:`matplotlib.figure.Figure` without touching pyplot's global state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import BoundaryNorm, ListedColormap, Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.analysis.coverage import Coverage
from sim.analysis.hexagons import KM_PER_DEG_LON_EQUATOR
from sim.analysis.tables import (
    coverage_classes,
    hex_classes,
    hex_outlines,
    hex_quantile,
    urgent_calls,
)
from sim.figures.i18n import number, t, unit_label
from sim.figures.style import COUNTRY_COLOURS, OKABE_ITO, add_source, new_figure, no_data, style
from sim.model.units import UNIT_TYPES, Station
from sim.roads.network import RoadNetwork

FloatArray = npt.NDArray[np.float64]

OSM_CREDIT = "© OpenStreetMap contributors (ODbL)"
ACCESS_STYLE = (0, (1, 1.5))
"""Line style of the estimated drive from a station beyond the road extract to its entry node."""
SERVICE_MARKERS: dict[str, tuple[str, str]] = {
    "ambulance": ("o", "kind.ambulance"), "physician": ("^", "kind.smur"), "fire": ("s", "kind.fire"),
}
"""Service of a unit type (:data:`sim.model.units.UNIT_TYPES`) -> station marker and its label's key."""
MAJOR_ROADS = frozenset({"motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
                         "secondary", "secondary_link"})


def map_source(lang: str, extra: str = "") -> str:
    """The source line of a map: `extra`, then the OpenStreetMap credit (in `lang` and in English)."""
    text = t("map.osm_credit", lang)
    if OSM_CREDIT not in text:  # the licence line stays recognisable in every language
        text += f" — {OSM_CREDIT}"
    return f"{extra} · {text}" if extra else text


# ---------------------------------------------------------------------------------------- layers


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


def _has_reverse(network: RoadNetwork) -> npt.NDArray[np.bool_]:
    n = max(network.n_nodes, 1)
    fwd = network.edge_u * n + network.edge_v
    rev = network.edge_v * n + network.edge_u
    return np.isin(rev, fwd)


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


def map_extent(layers: MapLayers, stations: Sequence[Station] = ()) -> tuple[float, float, float, float]:
    """``(west, south, east, north)`` of the roads and of every station (off-network ones included)."""
    w, s, e, n = layers.bbox
    if stations:
        lon = [st.lon for st in stations]
        lat = [st.lat for st in stations]
        w, e = min(w, *lon), max(e, *lon)
        s, n = min(s, *lat), max(n, *lat)
    return w, s, e, n


# ---------------------------------------------------------------------------------------- base map


def _km_per_deg_lon(lat0: float) -> float:
    return float(KM_PER_DEG_LON_EQUATOR * np.cos(np.radians(lat0)))


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
    km_per_deg = _km_per_deg_lon(layers.lat0)
    width_km = (e - w) * km_per_deg
    km = next((k for k in (1, 2, 5, 10, 20, 50, 100) if k >= width_km / 6), 100)
    bar = AnchoredSizeBar(ax.transData, km / km_per_deg, t("map.scale", lang, km=km), "lower left",
                          pad=0.4, sep=4, frameon=True, size_vertical=(e - w) * 0.002,
                          fontproperties={"size": 14})
    bar.patch.set_alpha(0.8)
    ax.add_artist(bar)


# ---------------------------------------------------------------------------------------- stations


def _station_services(units: Mapping[str, int]) -> list[str]:
    """The services of the unit types a station holds, in :data:`SERVICE_MARKERS` order."""
    held = {UNIT_TYPES[u].service for u, n in units.items() if n > 0 and u in UNIT_TYPES}
    return [s for s in SERVICE_MARKERS if s in held]


def _station_sites(stations: Sequence[Station]) -> list[tuple[float, float, str, list[str]]]:
    """Stations grouped by site (within about 10 m): ``(lon, lat, country, services)``.

    Two stations at one address (an ambulance post and a fire post in the same town centre) are
    drawn as one group of markers side by side, so neither hides the other.
    """
    sites: dict[tuple[float, float, str], list[str]] = {}
    for s in stations:
        kinds = sites.setdefault((round(s.lon, 4), round(s.lat, 4), s.country), [])
        kinds += [k for k in _station_services(s.units) if k not in kinds]
    order = list(SERVICE_MARKERS)
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
            ax.scatter([lon], [lat], s=size, marker=SERVICE_MARKERS[kind][0], c=colour,
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
    held = {k for s in stations for k in _station_services(s.units)}
    for service, (marker, key) in SERVICE_MARKERS.items():
        if service in held:
            handles.append(Line2D([], [], marker=marker, linestyle="none", markersize=13,
                                  markerfacecolor="white", markeredgecolor="black", label=t(key, lang)))
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

    Stations are coloured by country and marked by the services of the units based there
    (ambulance, SMUR/MUG physician car, fire engine; side by side when a station holds several).
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
        add_source(fig, map_source(lang, source))
    return fig


# ---------------------------------------------------------------------------------------- hexagons


def _auto_hex_km(bbox: tuple[float, float, float, float]) -> float:
    w, s, e, n = bbox
    width = (e - w) * _km_per_deg_lon((s + n) / 2)
    return float(max(1.0, round(width / 22.0)))


def _hex_collection(cells: pd.Index, values: FloatArray, *, size_km: float, lat0: float, cmap: Any,
                    norm: Normalize, alpha: float = 0.85, edges: bool = True) -> PolyCollection:
    arr = np.array([list(c) for c in cells], dtype=np.int64).reshape(-1, 2)
    return PolyCollection(hex_outlines(arr, size_km=size_km, lat0=lat0), array=values, cmap=cmap,
                          norm=norm, edgecolors="white" if edges else "face",
                          linewidths=0.6 if edges else 0.3, alpha=alpha, zorder=4)


def _p90_panels(fig: Figure, axes: Sequence[Axes], stats: dict[str, pd.DataFrame], layers: MapLayers,
                hex_km: float, lang: str) -> None:
    """The 90th percentile per hexagon of each variant in `stats`, one small map each, one colour bar."""
    finite = np.concatenate([s["value"].to_numpy()[np.isfinite(s["value"].to_numpy())]
                             for s in stats.values()] + [np.array([0.0])])
    vmax = float(np.ceil(max(np.quantile(finite, 0.98), 1.0)))
    cmap = mpl.colormaps["viridis"].with_extremes(over=OKABE_ITO["vermillion"])
    norm = Normalize(0.0, vmax)
    for ax, (v, st) in zip(axes, stats.items(), strict=True):
        _draw_base(ax, layers, lang, faint=True, scale_bar=False)
        if len(st):
            ax.add_collection(_hex_collection(st.index, st["value"].to_numpy(float), size_km=hex_km,
                                              lat0=layers.lat0, cmap=cmap, norm=norm))
        ax.set_title(v, loc="left", fontsize=18)
        ax.set_xlabel("")
        ax.set_ylabel("")
    fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=list(axes), location="left",
                 label=t("rtmap.p90", lang), extend="max", shrink=0.9)


def _change_panel(fig: Figure, ax: Axes, before: pd.DataFrame, after: pd.DataFrame, layers: MapLayers,
                  hex_km: float, lang: str) -> None:
    """`after` minus `before` per hexagon both have (blue: faster), with its colour bar."""
    both = before.index.intersection(after.index)
    diff = (after.loc[both, "value"] - before.loc[both, "value"]).to_numpy(float)
    diff = np.nan_to_num(diff, nan=0.0, posinf=30.0, neginf=-30.0)
    dmax = float(max(1.0, np.ceil(np.nanmax(np.abs(diff)) if len(diff) else 1.0)))
    norm = TwoSlopeNorm(0.0, -dmax, dmax)
    cmap = mpl.colormaps["RdBu_r"]
    _draw_base(ax, layers, lang, faint=True)
    if len(both):
        ax.add_collection(_hex_collection(both, diff, size_km=hex_km, lat0=layers.lat0, cmap=cmap,
                                          norm=norm, alpha=0.9))
    else:
        no_data(ax, lang)
    fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=t("rtmap.diff", lang),
                 shrink=0.8)


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
    a call never reached counts as later than any time (:func:`sim.analysis.tables.hex_quantile`).
    """
    layers = layers or map_layers(network, jurisdictions=jurisdictions)
    hex_km = hex_km or _auto_hex_km(layers.bbox)
    inc = urgent_calls(incidents)
    stats: dict[str, pd.DataFrame] = {}
    for v in (baseline, variant):
        sub = inc[inc["variant"].astype(str) == v]
        stats[v] = hex_quantile(sub["lon"], sub["lat"], sub["response_time_s"].to_numpy(float) / 60.0,
                                size_km=hex_km, lat0=layers.lat0, min_count=min_calls)
    with style():
        fig = new_figure()
        gs = fig.add_gridspec(2, 2, width_ratios=[1.0, 1.75])
        ax_a, ax_b, ax_d = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[1, 0]), fig.add_subplot(gs[:, 1])
        _p90_panels(fig, [ax_a, ax_b], stats, layers, hex_km, lang)
        _change_panel(fig, ax_d, stats[baseline], stats[variant], layers, hex_km, lang)
        _draw_stations(ax_d, stations, size=90, colour_by_country=False)
        ax_d.set_title(t("rtmap.diff_panel", lang, variant=variant, baseline=baseline), loc="left",
                       fontsize=18)
        fig.suptitle(t("rtmap.title", lang))
        note = t("rtmap.hex_note", lang, km=number(hex_km, lang), n=min_calls)
        add_source(fig, map_source(lang, f"{note} · {source}" if source else note))
    return fig


# ---------------------------------------------------------------------------------------- coverage


_COVERAGE_COLOURS = {
    "national": (OKABE_ITO["blue"], OKABE_ITO["sky"], OKABE_ITO["green"]),
    "gained": (OKABE_ITO["vermillion"], OKABE_ITO["orange"], OKABE_ITO["yellow"]),
    "beyond": "#D0D0D0",
}


def _coverage_colours(k: int) -> list[str]:
    """Colours of the classes of :func:`sim.analysis.tables.coverage_classes` for `k` thresholds."""
    if k > len(_COVERAGE_COLOURS["national"]):
        raise ValueError("the coverage figure draws at most three thresholds")
    colours: list[str] = []
    for i in range(k):
        colours += [_COVERAGE_COLOURS["national"][i], _COVERAGE_COLOURS["gained"][i]]
    colours.append(str(_COVERAGE_COLOURS["beyond"]))
    return colours


def _coverage_bars(ax: Axes, table: pd.DataFrame, variant: str, lang: str) -> list[Any]:
    """Share of population per country and threshold, national versus agreements; the bars' handles."""
    tab = table.sort_values(["country", "threshold_min"]).reset_index(drop=True)
    y = np.arange(len(tab), dtype=float)
    handles = []
    for dy, col, colour, label in (
            (-0.2, "national", OKABE_ITO["sky"], t("cov.national", lang)),
            (0.2, "agreements", OKABE_ITO["vermillion"], t("cov.agreements", lang, variant=variant))):
        share = 100 * tab[f"share_{col}"].to_numpy(float)
        handles.append(ax.barh(y + dy, np.nan_to_num(share), height=0.38, color=colour,
                               edgecolor="black", label=label))
        for yi, sh, pop in zip(y + dy, share, tab[col].to_numpy(float), strict=True):
            txt = number(pop, lang, digits=0) + (f" ({sh:.0f} %)" if np.isfinite(sh) else "")
            inside = bool(np.isfinite(sh) and sh > 55)
            ax.text(sh - 1.5 if inside else np.nan_to_num(sh) + 1.5, yi, txt, va="center",
                    ha="right" if inside else "left", fontsize=14,
                    color="white" if inside and col == "agreements" else "black")
    ax.set_yticks(y, [t("cov.bar", lang, country=c, minutes=number(float(m), lang))
                      for c, m in zip(tab["country"], tab["threshold_min"], strict=True)])
    ax.set_ylim(len(tab) - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax.set_xlabel(t("cov.xlabel", lang))
    ax.grid(axis="y", visible=False)
    total = number(tab.drop_duplicates("country")["population"].sum(), lang, digits=0)
    ax.set_title(t("cov.numbers", lang, total=total), loc="left", fontsize=18)
    return handles


def _coverage_legend(ax: Axes, bar_handles: list[Any], colours: list[str], bounds: FloatArray,
                     stations: Sequence[Station], lang: str) -> None:
    """One legend (two would collide when a language's labels run long): bars, map areas, stations."""
    k = len(bounds)
    ax.axis("off")
    labels = []
    for i in range(k):
        m = number(bounds[i], lang)
        labels += [f"{t('cov.within', lang, minutes=m)} — {t('cov.national', lang)}",
                   f"{t('cov.within', lang, minutes=m)} — {t('cov.gained', lang)}"]
    labels.append(t("cov.beyond", lang, minutes=number(bounds[-1], lang)))
    order = [2 * i for i in range(k)] + [2 * i + 1 for i in range(k)] + [2 * k]
    ax.legend(handles=[*bar_handles,
                       *(Patch(facecolor=colours[i], alpha=0.8, label=labels[i]) for i in order),
                       *_station_legend(stations, lang, countries=False)],
              loc="upper left", fontsize=15, ncols=1, frameon=False, borderaxespad=0.0,
              labelspacing=0.35)


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

    A hexagon takes the class of the median road node in it (:func:`sim.analysis.tables.hex_classes`
    of :func:`sim.analysis.tables.coverage_classes`): cool colours are reached by national
    stations, warm colours only with the agreements, grey beyond the last threshold.
    """
    layers = layers or map_layers(network, jurisdictions=jurisdictions)
    hex_km = hex_km or max(0.5, _auto_hex_km(layers.bbox) / 2)
    node_cls, bounds = coverage_classes(cov)
    colours = _coverage_colours(len(bounds))
    cmap = ListedColormap(colours)
    cnorm = BoundaryNorm(np.arange(len(colours) + 1) - 0.5, cmap.N)
    hex_cls = hex_classes(network.lon, network.lat, node_cls, size_km=hex_km, lat0=layers.lat0)
    # only the stations the coverage counts (those holding the unit type)
    counted = [s for s in stations if cov.vehicle is None or s.units.get(cov.vehicle, 0) > 0]
    with style():
        fig = new_figure()
        gs = fig.add_gridspec(2, 2, width_ratios=[1.45, 1.0], height_ratios=[1.5, 1.5])
        ax_map = fig.add_subplot(gs[:, 0])
        ax_bar, ax_leg = fig.add_subplot(gs[0, 1]), fig.add_subplot(gs[1, 1])
        _draw_base(ax_map, layers, lang, faint=True)
        ax_map.add_collection(_hex_collection(hex_cls.index, hex_cls.to_numpy(float), size_km=hex_km,
                                              lat0=layers.lat0, cmap=cmap, norm=cnorm, alpha=0.8,
                                              edges=False))
        _draw_stations(ax_map, counted, size=120, colour_by_country=False)
        ax_map.set_title(t("cov.agreements", lang, variant=variant), loc="left", fontsize=18)
        bar_handles = _coverage_bars(ax_bar, cov.table, variant, lang)
        _coverage_legend(ax_leg, bar_handles, colours, bounds, counted, lang)
        fig.suptitle(t("cov.title", lang))
        vehicle = unit_label(cov.vehicle, lang) if cov.vehicle else ""
        add_source(fig, map_source(lang, f"{t('cov.note', lang, vehicle=vehicle)} · "
                                      f"{t('source.places', lang)}" + (f" · {source}" if source else "")))
    return fig
