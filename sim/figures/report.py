"""One self-contained HTML report of a results folder: it opens in any browser without the internet.

The page holds the scenario's question, the planner's table with its 95 % intervals, an interactive
map and every standard figure (PNG, embedded). The map is a Leaflet map made with folium in a frame
of its own; Leaflet's script and style come inlined from the XStatic-Leaflet package, so nothing is
fetched from a CDN, and no map tiles are used: roads and the border are drawn from the bundled
network (:func:`sim.figures.maps.map_layers`). Its layers: the 90th percentile of response times per
hexagon for each variant and its change against the reference (one at a time), the stations with
their utilisation, the cross-border missions as lines, the focus areas. Hovering over a hexagon or a
station shows its numbers, and so does a click.
"""

from __future__ import annotations

import base64
import html
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import DataError
from sim.figures.i18n import LANGUAGES, number, t
from sim.figures.maps import map_layers
from sim.figures.run import FIGURES, plot_results
from sim.figures.style import COUNTRY_COLOURS, OKABE_ITO
from sim.study.export import planner_tables, results_layers
from sim.study.folders import Results, load_results, write_text

_FIGURE_TITLES = {"response-cdf": "cdf.title", "response-cdf-fire": "cdf.fire.title",
                  "region-map": "map.region.title",
                  "response-map": "rtmap.title", "norm-share": "norm.title", "cross-border": "xb.title",
                  "utilisation": "util.title", "coverage": "cov.title"}
_CSS = """
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 0 auto; max-width: 1280px;
       padding: 0 1.5em 2em; color: #1b1b1b; line-height: 1.45; }
h1 { font-size: 1.9em; margin: 0.8em 0 0.2em; } h2 { margin-top: 1.6em; border-bottom: 2px solid #0072B2; }
h3 { margin: 1.2em 0 0.3em; font-size: 1.1em; }
table.planner { border-collapse: collapse; margin: 0.3em 0 1em; font-variant-numeric: tabular-nums; }
table.planner th, table.planner td { padding: 0.25em 0.8em; border-bottom: 1px solid #ddd;
                                     text-align: right; }
table.planner th:first-child, table.planner td:first-child { text-align: left; }
table.planner thead th { border-bottom: 2px solid #555; }
tr.diff td { color: #0b3c6e; font-size: 0.93em; }
.note { color: #555; font-size: 0.92em; }
iframe.map { width: 100%; height: 720px; border: 1px solid #999; }
figure { margin: 1.5em 0; } figure img { width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-weight: bold; margin-bottom: 0.3em; }
footer { margin-top: 2em; color: #555; font-size: 0.9em; }
"""


# ---------------------------------------------------------------------------------------- assets


def _leaflet_assets() -> tuple[str, str]:
    """Leaflet's script and style sheet from XStatic-Leaflet, the style's images as data URIs."""
    try:
        import xstatic.pkg.leaflet as xs
    except ImportError:  # pragma: no cover - a dependency
        raise DataError("the report needs the package XStatic-Leaflet (pip install XStatic-Leaflet)") \
            from None
    base = Path(xs.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(m: re.Match[str]) -> str:
        path = base / m.group(1)
        data = base64.b64encode(path.read_bytes()).decode("ascii") if path.is_file() else ""
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)
    return js, css


# ---------------------------------------------------------------------------------------- numbers


def _mmss(seconds: Any, *, signed: bool = False) -> str:
    if seconds is None or not math.isfinite(float(seconds)):
        return "–"
    s = float(seconds)
    sign = ("+" if s >= 0 else "−") if signed else ("−" if s < 0 else "")
    total = round(abs(s))
    h, rem = divmod(total, 3600)
    m, sec = divmod(rem, 60)
    return f"{sign}{h}:{m:02d}:{sec:02d}" if h else f"{sign}{m}:{sec:02d}"


def _pct(x: Any, lang: str, digits: int = 1) -> str:
    return "–" if x is None or not math.isfinite(float(x)) else f"{number(float(x), lang, digits=digits)} %"


# ---------------------------------------------------------------------------------------- the table


def _planner_html(summary: Mapping[str, Any], lang: str) -> str:
    tables = planner_tables(summary)
    var, diff = tables["variants"], tables["differences"]
    variants = list(dict.fromkeys(var["variant"])) if len(var) else []
    ref = summary.get("reference") or (variants[0] if variants else "")
    parts = [f'<p class="note">{html.escape(t("report.table_note", lang, ref=ref))}</p>']
    head = "".join(f"<th>{html.escape(v)}</th>" for v in variants)
    for group in dict.fromkeys(var["group"]) if len(var) else []:
        g = var[var["group"] == group].set_index("variant")
        label = (t("report.all", lang) if group == "All incidents" else
                 t("report.centre", lang, centre=group.removeprefix("Dispatch centre "))
                 if group.startswith("Dispatch centre ") else group)

        def row(key: str, cells: Sequence[str], cls: str = "") -> str:
            tds = "".join(f"<td>{html.escape(c)}</td>" for c in cells)
            return f'<tr class="{cls}"><td>{html.escape(t(key, lang, ref=ref))}</td>{tds}</tr>'

        def col(name: str, fmt: Any, g: pd.DataFrame = g) -> list[str]:
            return [fmt(g.at[v, name]) if v in g.index else "–" for v in variants]

        within = [f"{_pct(g.at[v, 'within norm (%)'], lang)} "
                  f"[{_pct(g.at[v, 'within norm 95% low (%)'], lang)}, "
                  f"{_pct(g.at[v, 'within norm 95% high (%)'], lang)}]" if v in g.index else "–"
                  for v in variants]
        rows = [row("report.calls", col("calls per replication",
                                        lambda x: number(float(x), lang, digits=1))),
                row("report.mean", col("mean response (min)", lambda x: _mmss(60 * x))),
                row("report.median", col("median (min)", lambda x: _mmss(60 * x))),
                row("report.p90", col("p90 (min)", lambda x: _mmss(60 * x))),
                row("report.p95", col("p95 (min)", lambda x: _mmss(60 * x))),
                row("report.within", within),
                row("report.unserved", col("unserved calls", lambda x: str(int(x)))),
                row("report.xb_incidents", col("cross-border incidents", lambda x: str(int(x))))]
        d = diff[diff["group"] == group].set_index("variant") if len(diff) else pd.DataFrame()
        for key, name in (("report.diff_mean", "mean response"), ("report.diff_p90", "p90")):
            cells = []
            for v in variants:
                if v not in d.index:
                    cells.append("–")
                    continue
                r = d.loc[v]
                star = " *" if r[f"{name} interval excludes zero"] else ""
                cells.append(f"{_mmss(60 * r[f'{name} difference (min)'], signed=True)} "
                             f"[{_mmss(60 * r[f'{name} 95% low (min)'], signed=True)}, "
                             f"{_mmss(60 * r[f'{name} 95% high (min)'], signed=True)}]{star}")
            rows.append(row(key, cells, "diff"))
        parts.append(f"<h3>{html.escape(label)}</h3><table class=\"planner\"><thead><tr><th></th>{head}</tr>"
                     f"</thead><tbody>{''.join(rows)}</tbody></table>")
    for key, df, first, value in (("report.xb_missions", tables["cross-border missions"], "direction",
                                   "missions (all replications)"),
                                  ("report.utilisation", tables["utilisation"], "unit type",
                                   "utilisation (%)")):
        if not len(df):
            continue
        if "country" in df:  # utilisation per country and unit type, then of all units
            df = df.assign(**{first: df["country"].astype(str) + " " + df[first].astype(str)})
        wide = df.pivot(index=first, columns="variant", values=value).reindex(columns=variants)
        body = "".join(
            f"<tr><td>{html.escape(str(k).replace('->', ' → '))}</td>"
            + "".join(f"<td>{html.escape(str(int(x)) if key == 'report.xb_missions' else _pct(x, lang))}</td>"
                      for x in r) + "</tr>" for k, r in wide.iterrows())
        parts.append(f"<h3>{html.escape(t(key, lang))}</h3><table class=\"planner\"><thead><tr><th></th>"
                     f"{head}</tr></thead><tbody>{body}</tbody></table>")
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------- the map


def _round(obj: Any, digits: int = 5) -> Any:
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, list | tuple):
        return [_round(x, digits) for x in obj]
    if isinstance(obj, dict):
        return {k: _round(v, digits) for k, v in obj.items()}
    return obj


def _lines_feature(lines: Sequence[np.ndarray], kind: str, tolerance: float) -> dict[str, Any]:
    import shapely

    geom = shapely.simplify(shapely.MultiLineString([np.asarray(x)[:, :2] for x in lines if len(x) >= 2]),
                            tolerance)
    return {"type": "Feature", "properties": {"kind": kind},
            "geometry": _round(shapely.geometry.mapping(geom))}


def _colour(values: np.ndarray, cmap: Any, norm: Any) -> list[str]:
    from matplotlib.colors import to_hex

    return [to_hex(cmap(norm(v))) if np.isfinite(v) else "#bdbdbd" for v in values]


def _gradient(cmap: Any, n: int = 9) -> str:
    from matplotlib.colors import to_hex

    return ", ".join(to_hex(cmap(x)) for x in np.linspace(0, 1, n))


def _features(gdf: Any, props: pd.DataFrame) -> dict[str, Any]:
    import shapely

    def clean(v: Any) -> Any:
        return None if isinstance(v, float) and not math.isfinite(v) else v

    feats = [{"type": "Feature", "properties": {k: clean(v) for k, v in p.items()},
              "geometry": _round(shapely.geometry.mapping(g))}
             for g, p in zip(gdf.geometry, props.to_dict("records"), strict=True)]
    return {"type": "FeatureCollection", "features": feats}


def _mission_bundles(missions: Any, hexes: Mapping[str, Any]) -> Any:
    """Cross-border missions bundled by variant, station, direction and the hexagon of the incident:
    one straight line each, with the number of missions (all replications) and the mean drive."""
    import geopandas as gpd
    import shapely

    from sim.analysis.hexagons import auto_size_km, hex_cells

    cols = ["variant", "station", "direction", "country", "missions", "drive_min"]
    if not len(missions):
        return gpd.GeoDataFrame(pd.DataFrame(columns=cols), geometry=[], crs=missions.crs)
    coords = shapely.get_coordinates(missions.geometry.to_numpy()).reshape(len(missions), 2, 2)
    start, end = coords[:, 0, :], coords[:, 1, :]
    size, lat0 = ((float(hexes["size_km"]), float(hexes["lat0"])) if hexes
                  else auto_size_km(end[:, 0], end[:, 1]))
    cells = hex_cells(end[:, 0], end[:, 1], size_km=size, lat0=lat0)
    df = pd.DataFrame({"variant": missions["variant"].to_numpy(), "station": missions["station"].to_numpy(),
                       "direction": missions["direction"].to_numpy(), "q": cells[:, 0], "r": cells[:, 1],
                       "x0": start[:, 0], "y0": start[:, 1], "x1": end[:, 0], "y1": end[:, 1],
                       "drive_min": missions["drive_min"].to_numpy(float)})
    g = df.groupby(["variant", "station", "direction", "q", "r"], sort=False).agg(
        missions=("x1", "size"), drive_min=("drive_min", "mean"), x0=("x0", "first"), y0=("y0", "first"),
        x1=("x1", "mean"), y1=("y1", "mean")).reset_index()
    g["country"] = g["direction"].astype(str).str.split("->").str[0]
    lines = [shapely.LineString([(a, b), (c, d)]) for a, b, c, d in zip(g["x0"], g["y0"], g["x1"], g["y1"],
                                                                        strict=True)]
    return gpd.GeoDataFrame(g[cols], geometry=lines, crs=missions.crs)


def _map_html(res: Results, region: Any, layers: Mapping[str, Any], lang: str) -> str:
    import folium
    import matplotlib as mpl
    from folium.features import GeoJsonPopup, GeoJsonTooltip
    from matplotlib.colors import Normalize, TwoSlopeNorm

    from sim.roads.jurisdictions import load_jurisdictions

    network = region.network
    folder = getattr(region, "region_dir", None)
    jpath = Path(folder) / "jurisdictions.geojson" if folder else None
    base = map_layers(network, jurisdictions=load_jurisdictions(jpath) if jpath and jpath.is_file() else None)
    w, s, e, n = base.bbox
    m = folium.Map(location=[(s + n) / 2, (w + e) / 2], tiles=None, zoom_start=11, control_scale=True,
                   prefer_canvas=False)
    m.default_js, m.default_css = [], []
    js, css = _leaflet_assets()
    root: Any = m.get_root()
    root.header.add_child(folium.Element(f"<style>{css}</style><script>{js}</script>"), name="leaflet",
                          index=0)
    root.header.add_child(folium.Element(
        "<style>.leaflet-container{background:#f4f4f1;font-size:14px}path.leaflet-interactive:focus{outline:none}.legend{position:absolute;bottom:22px;"
        "right:10px;z-index:1000;background:rgba(255,255,255,.9);padding:6px 10px;border:1px solid #999;"
        "font:13px sans-serif;max-width:320px}.legend .bar{height:12px;margin:3px 0}"
        ".legend .ticks{display:flex;justify-content:space-between}</style>"))
    m.fit_bounds([[s, w], [n, e]])
    for name, z in (("roads", 350), ("lines", 450), ("stations", 620)):
        folium.map.CustomPane(name, z_index=z, pointer_events=name != "roads").add_to(m)
    tol = (e - w) / 6000.0
    roads = {"type": "FeatureCollection", "features": [_lines_feature(base.minor, "minor", tol),
                                                        _lines_feature(base.major, "major", tol),
                                                        _lines_feature(base.border, "border", 0.0)]}
    style = {"minor": {"color": "#b4b4b4", "weight": 0.8}, "major": {"color": "#6b6b6b", "weight": 2.0},
             "border": {"color": "#000000", "weight": 3.0, "dashArray": "8 5"}}
    folium.GeoJson(roads, name="roads", control=False, pane="roads",
                   style_function=lambda f: {**style[f["properties"]["kind"]], "opacity": 0.9}).add_to(m)

    variants = res.variants
    ref = variants[0] if variants else ""
    hexes = layers["hexagons"]
    p90 = hexes["p90_min"].to_numpy(float)
    finite = p90[np.isfinite(p90)]
    vmax = float(np.ceil(np.quantile(finite, 0.98))) if len(finite) else 20.0
    p90_cmap, p90_norm = mpl.colormaps["viridis"], Normalize(0.0, vmax)
    dvals = hexes["diff_p90_min"].to_numpy(float)
    dfin = dvals[np.isfinite(dvals)]
    dmax = float(max(1.0, np.ceil(np.quantile(np.abs(dfin), 0.98)))) if len(dfin) else 1.0
    diff_cmap, diff_norm = mpl.colormaps["RdBu_r"], TwoSlopeNorm(0.0, -dmax, dmax)
    labels = {"calls": t("report.hex_calls", lang), "mean": t("report.hex_mean", lang),
              "p90": t("report.hex_p90", lang), "within": t("report.hex_within", lang),
              "dp90": t("report.hex_diff_p90", lang, ref=ref),
              "dwithin": t("report.hex_diff_within", lang, ref=ref)}
    for v in variants:
        g = hexes[hexes["variant"] == v]
        props = pd.DataFrame({
            "variant": v, "calls": g["calls"].astype(int).to_numpy(),
            "mean": [_mmss(60 * x) for x in g["mean_min"]], "p90": [_mmss(60 * x) for x in g["p90_min"]],
            "within": [_pct(x, lang, 0) for x in g["within_norm_pct"]],
            "dp90": [_mmss(60 * x, signed=True) for x in g["diff_p90_min"]],
            "dwithin": [("–" if not np.isfinite(x) else ("+" if x >= 0 else "") + number(x, lang, digits=1))
                        for x in g["diff_within_norm_pts"]],
            "fill": _colour(g["p90_min"].to_numpy(float), p90_cmap, p90_norm),
            "dfill": _colour(g["diff_p90_min"].to_numpy(float), diff_cmap, diff_norm)})
        data = _features(g, props)
        fields = ["calls", "mean", "p90", "within"] + (["dp90", "dwithin"] if v != ref else [])
        views = [("fill", t("report.layer_p90", lang, variant=v))]
        if v != ref:
            views.append(("dfill", t("report.layer_diff", lang, variant=v, ref=ref)))
        for colour_key, title in views:
            fg = folium.FeatureGroup(name=title, overlay=False, show=(v == ref and colour_key == "fill"))
            folium.GeoJson(
                data, class_name="xb-hex",
                style_function=lambda f, k=colour_key: {"fillColor": f["properties"][k], "fillOpacity": 0.62,
                                                        "color": "#ffffff", "weight": 0.8},
                highlight_function=lambda f: {"weight": 3, "color": "#000000"},
                tooltip=GeoJsonTooltip(fields=fields, aliases=[labels[f] for f in fields]),
                popup=GeoJsonPopup(fields=["variant", *fields], aliases=[t("variant", lang)]
                                   + [labels[f] for f in fields]),
            ).add_to(fg)
            fg.add_to(m)

    xb = _mission_bundles(layers["cross_border_missions"], res.summary.get("hexagons") or {})
    for v in variants:
        g = xb[xb["variant"] == v]
        if not len(g):
            continue
        fg = folium.FeatureGroup(name=t("report.layer_xb", lang, variant=v), show=False)
        top = float(g["missions"].max())
        props = pd.DataFrame({
            "colour": [COUNTRY_COLOURS.get(c, OKABE_ITO["black"]) for c in g["country"]],
            "weight": 1.5 + 5.0 * g["missions"].to_numpy(float) / top,
            "text": [t("report.xb_line", lang, station=st, direction=str(d).replace("->", " → "), n=int(k),
                       minutes=number(x, lang, digits=1))
                     for st, d, k, x in zip(g["station"], g["direction"], g["missions"], g["drive_min"],
                                            strict=True)]})
        folium.GeoJson(_features(g, props), pane="lines", class_name="xb-mission",
                       style_function=lambda f: {"color": f["properties"]["colour"],
                                                 "weight": f["properties"]["weight"], "opacity": 0.75},
                       tooltip=GeoJsonTooltip(fields=["text"], labels=False)).add_to(fg)
        fg.add_to(m)

    focus = layers["focus_areas"]
    if len(focus):
        fg = folium.FeatureGroup(name=t("report.layer_focus", lang), show=True)
        folium.GeoJson(_features(focus, pd.DataFrame({"name": focus["name"]})), pane="lines",
                       style_function=lambda f: {"color": OKABE_ITO["purple"], "weight": 2.5, "fill": False,
                                                 "dashArray": "3 4"},
                       tooltip=GeoJsonTooltip(fields=["name"], labels=False)).add_to(fg)
        fg.add_to(m)

    st = layers["stations"]
    fg = folium.FeatureGroup(name=t("report.layer_stations", lang), show=True)
    first = st.drop_duplicates("station").reset_index(drop=True)
    util = st.pivot(index="station", columns="variant", values="utilisation_pct").reindex(first["station"])
    props = pd.DataFrame({"name": first["station"], "units": first["units"],
                          "where": first["country"] + ", " + first["dispatch_centre"],
                          "colour": [COUNTRY_COLOURS.get(c, OKABE_ITO["green"]) for c in first["country"]]})
    util_fields = []
    for k, v in enumerate(variants):
        props[f"u{k}"] = [_pct(x, lang) for x in util[v]] if v in util else "–"
        util_fields.append(f"u{k}")
    fields = ["name", "units", "where", *util_fields]
    aliases = ["", t("report.units", lang), "", *(t("report.util_of", lang, variant=v) for v in variants)]
    folium.GeoJson(
        _features(first, props),
        marker=folium.CircleMarker(radius=7, weight=1.5, fill=True, fill_opacity=1.0),
        # the marker's options take the style: pane and class are set when it is made
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "color": "#000000",
                                  "pane": "stations", "className": "xb-station"},
        tooltip=GeoJsonTooltip(fields=["name"], labels=False),
        popup=GeoJsonPopup(fields=fields, aliases=aliases),
    ).add_to(fg)
    fg.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)

    ticks_p90 = "".join(f"<span>{number(x, lang, digits=0)}</span>" for x in np.linspace(0, vmax, 5))
    ticks_d = "".join(f"<span>{number(x, lang, digits=0)}</span>" for x in np.linspace(-dmax, dmax, 5))
    legend = (f'<div class="legend"><div>{html.escape(t("report.legend_p90", lang))}</div>'
              f'<div class="bar" style="background:linear-gradient(to right, {_gradient(p90_cmap)})"></div>'
              f'<div class="ticks">{ticks_p90}</div>'
              f'<div style="margin-top:6px">{html.escape(t("report.legend_diff", lang))}</div>'
              f'<div class="bar" style="background:linear-gradient(to right, {_gradient(diff_cmap)})"></div>'
              f'<div class="ticks">{ticks_d}</div>'
              f'<div style="margin-top:6px">' + " ".join(
                  f'<span style="color:{COUNTRY_COLOURS.get(c, "#000")}">●</span> {html.escape(c)}'
                  for c in sorted(set(st["country"]))) + "</div>"
              f'<div class="note">{html.escape(t("map.osm_credit", lang))}</div></div>')
    root.html.add_child(folium.Element(legend))
    return str(root.render())


# ---------------------------------------------------------------------------------------- figures


def _figure_files(folder: Path, variants: Sequence[str], lang: str) -> list[tuple[str, Path]]:
    suffix = "" if lang == "en" else f".{lang}"
    out = []
    for name in FIGURES:
        stems = ([f"{name}-{v}" for v in variants[1:]] or ([f"{name}-{variants[0]}"] if name == "coverage"
                                                             else [])) \
            if name in ("response-map", "coverage") else [name]
        for stem in stems:
            out.append((name, folder / "figures" / f"{stem}{suffix}.png"))
    return out


def _figures_html(res: Results, region: Any, lang: str) -> str:
    files = _figure_files(res.path, res.variants, lang)
    if not all(p.is_file() for _, p in files):

        plot_results(res.path, lang=lang, formats=("png",), region=region)
    parts = []
    for name, path in files:
        if not path.is_file():
            continue
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        caption = t(_FIGURE_TITLES[name], lang)
        per_variant = name in ("response-map", "coverage")
        variant = path.name.split(".")[0].removeprefix(f"{name}-") if per_variant else ""
        if variant:
            caption += f" ({variant})"
        parts.append(f'<figure><figcaption>{html.escape(caption)}</figcaption>'
                     f'<img alt="{html.escape(caption)}" src="data:image/png;base64,{data}"></figure>')
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------- the page


def write_report(results_dir: str | os.PathLike[str], *, lang: str = "en",
                 out: str | os.PathLike[str] | None = None, region: Any = None) -> Path:
    """Write the HTML report of a results folder; return its path.

    Parameters
    ----------
    results_dir
        A folder written by ``xborder run``. Figures missing in `lang` are drawn first (PNG, into its
        ``figures/`` folder).
    lang
        ``en``, ``fr``, ``nl`` or ``de``.
    out
        The file (default ``results_dir/report.html``, ``report.<lang>.html`` in other languages).
    region
        The region the scenario ran on (default: loaded from the scenario as run).
    """
    if lang not in LANGUAGES:
        raise DataError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    res = load_results(results_dir)
    layers = results_layers(res, region=region, layers=["hexagons", "stations", "cross_border_missions",
                                                        "jurisdictions", "focus_areas"])
    if region is None:
        from sim.scenario import Scenario

        region = Scenario.from_text(res.scenario_yaml, filename=str(res.path / "scenario.yaml"),
                                    path=res.path / "scenario.yaml").load_region()
    summary = res.summary
    reps = summary.get("replications_done", {})
    n = max((len(r) for r in reps.values()), default=0)
    state = t("report.complete" if summary.get("complete") else "report.incomplete", lang)
    run = t("report.run", lang, n=n, days=number((summary.get("horizon_s") or 0) / 86400, lang),
            seed=summary.get("seed"), state=state)
    map_doc = _map_html(res, region, layers, lang)
    name = str(summary.get("scenario") or "")
    page = f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(t("report.title", lang, scenario=name))}</title><style>{_CSS}</style></head>
<body>
<h1>{html.escape(t("report.title", lang, scenario=name))}</h1>
<h2>{html.escape(t("report.question", lang))}</h2>
<p>{html.escape(str(summary.get("description") or ""))}</p>
<p class="note">{html.escape(run)}</p>
<h2>{html.escape(t("report.table", lang))}</h2>
{_planner_html(summary, lang)}
<h2>{html.escape(t("report.map", lang))}</h2>
<p class="note">{html.escape(t("report.map_help", lang))}</p>
<iframe class="map" id="map" title="{html.escape(t("report.map", lang))}"
 srcdoc="{html.escape(map_doc, quote=True)}">
</iframe>
<h2>{html.escape(t("report.figures", lang))}</h2>
{_figures_html(res, region, lang)}
<footer>{html.escape(t("report.footer", lang, folder=res.path.name))}<br>
{html.escape(t("map.osm_credit", lang))}
</footer>
</body></html>
"""
    default = "report.html" if lang == "en" else f"report.{lang}.html"
    path = Path(out) if out is not None else res.path / default
    write_text(path, page)
    return path
