"""A simulated day in motion, for a symposium screen: 1920 × 1080 MP4 (or GIF).

The region's roads and border are drawn once; then, frame by frame, calls appear where they happen
and stay until the last unit leaves the scene, and each unit away from its base moves along its
route on the road network (:mod:`sim.analysis.trajectories`), coloured by its country, hollow while
on an estimated leg beyond the road extract. A clock, the calls so far and the running count of
cross-border missions sit above each map. Two variants can be shown side by side: they answer the
same calls (common random numbers), so the difference is what the agreements change.

Frames are drawn by blitting (the static map is rendered once, the moving marks on top) and piped
to the ffmpeg that the imageio-ffmpeg package ships (H.264); a GIF is written with Pillow.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.analysis.trajectories import MissionTrack, mission_tracks
from sim.errors import UsageError
from sim.figures.i18n import t
from sim.figures.maps import SERVICE_MARKERS, MapLayers, map_extent, map_layers
from sim.figures.style import COUNTRY_COLOURS, DPI, FIGSIZE, OKABE_ITO, style
from sim.model.units import UNIT_TYPES, Station
from sim.paths import atomic_path

FloatArray = npt.NDArray[np.float64]
SIZE = (1920, 1080)
"""Frame size in pixels."""
_CALL_COLOUR = OKABE_ITO["vermillion"]
_CALL_HOLD_S = 20 * 60.0
"""How long a call nobody was sent to stays on the map."""


def _kind(unit_type: str) -> str:
    """Marker group of a unit type: its service (:data:`sim.figures.maps.SERVICE_MARKERS`)."""
    return UNIT_TYPES[unit_type].service if unit_type in UNIT_TYPES else "ambulance"


@dataclass(eq=False)
class Scene:
    """What one map shows over time: the calls and the tracks of one variant and replication.

    Attributes
    ----------
    variant
        The variant's name.
    tracks
        The missions overlapping the stretch of time (sorted by start).
    calls
        ``t_call_s``, ``lon``, ``lat``, ``until_s`` (when the last unit leaves the scene) per call.
    cross_border_alerts
        Sorted alert times of the cross-border missions.
    """

    variant: str
    tracks: list[MissionTrack]
    calls: pd.DataFrame
    cross_border_alerts: FloatArray

    def __post_init__(self) -> None:
        self._start = np.array([tr.start for tr in self.tracks])
        self._end = np.array([tr.end for tr in self.tracks])

    def units_at(self, time: float) -> tuple[FloatArray, FloatArray, list[str], list[str],
                                             npt.NDArray[np.bool_]]:
        """Positions of the units away from base at `time`: ``(lon, lat, countries, kinds, estimated)``."""
        active = np.flatnonzero((self._start <= time) & (self._end >= time))
        lon, lat = np.empty(len(active)), np.empty(len(active))
        est = np.zeros(len(active), bool)
        countries, kinds = [], []
        for i, k in enumerate(active):
            tr = self.tracks[k]
            lon[i], lat[i] = tr.at(time)
            j = int(np.searchsorted(tr.t, time, side="right"))
            est[i] = bool(tr.estimated[min(j, len(tr.t) - 1)]) if 0 < j < len(tr.t) else False
            countries.append(tr.country)
            kinds.append(_kind(tr.unit_type))
        return lon, lat, countries, kinds, est

    def calls_at(self, time: float) -> tuple[FloatArray, FloatArray, int]:
        """Calls on the map at `time` (``lon``, ``lat``) and the number of calls so far."""
        c = self.calls
        on = (c["t_call_s"].to_numpy() <= time) & (c["until_s"].to_numpy() >= time)
        return c["lon"].to_numpy()[on], c["lat"].to_numpy()[on], int((c["t_call_s"].to_numpy() <= time).sum())

    def cross_border_at(self, time: float) -> int:
        """Cross-border missions alerted since the start of the stretch."""
        return int(np.searchsorted(self.cross_border_alerts, time, side="right"))


def build_scene(network: Any, spec: Any, incidents: pd.DataFrame, missions: pd.DataFrame, *, variant: str,
                start_s: float, end_s: float) -> Scene:
    """The scene of one variant and replication between `start_s` and `end_s` (simulated seconds)."""
    tracks = mission_tracks(network, spec, missions, incidents, start=start_s, end=end_s)
    calls = incidents[(incidents["t_call_s"] >= start_s) & (incidents["t_call_s"] <= end_s)]
    leave = missions.groupby("incident_id")["t_leave_scene_s"].max()
    until = leave.reindex(calls["incident_id"]).to_numpy(float)
    until = np.where(np.isfinite(until), until, calls["t_call_s"].to_numpy(float) + _CALL_HOLD_S)
    table = pd.DataFrame({"t_call_s": calls["t_call_s"].to_numpy(float), "lon": calls["lon"].to_numpy(float),
                          "lat": calls["lat"].to_numpy(float), "until_s": until})
    xb = missions[missions["cross_border"].astype(bool) & (missions["t_alert_s"] >= start_s)]
    return Scene(variant=variant, tracks=tracks, calls=table,
                 cross_border_alerts=np.sort(xb["t_alert_s"].to_numpy(float)))


# ---------------------------------------------------------------------------------------- drawing


@dataclass(eq=False)
class _Panel:
    scene: Scene
    ax: Any
    calls: Any
    units: dict[str, Any]
    counter: Any


def _clock(time: float, lang: str) -> str:
    day = int(time // 86400)
    rem = time - 86400 * day
    h, m = int(rem // 3600), int((rem % 3600) // 60)
    return t("anim.clock", lang, day=day, time=f"{h:02d}:{m:02d}")


def _draw_static(ax: Any, layers: MapLayers, stations: Sequence[Station],
                 extent: tuple[float, float, float, float]) -> None:
    from matplotlib.collections import LineCollection

    ax.add_collection(LineCollection(layers.minor, colors="0.78", linewidths=0.5, zorder=1))
    ax.add_collection(LineCollection(layers.major, colors="0.45", linewidths=1.5, zorder=2))
    ax.add_collection(LineCollection(layers.border, colors="black", linewidths=2.4, linestyles=(0, (4, 2)),
                                     zorder=3))
    for s in stations:
        ax.scatter([s.lon], [s.lat], s=70, marker="H", c=COUNTRY_COLOURS.get(s.country, "0.5"),
                   edgecolors="black", linewidths=1.0, zorder=4, alpha=0.85)
    w, s_, e, n = extent
    pad_x, pad_y = 0.03 * (e - w), 0.03 * (n - s_)
    ax.set_xlim(w - pad_x, e + pad_x)
    ax.set_ylim(s_ - pad_y, n + pad_y)
    ax.set_aspect(1.0 / math.cos(math.radians(layers.lat0)))
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(True)
        side.set_color("0.6")


def _legend(fig: Any, countries: Sequence[str], lang: str, *, side: bool) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="*", linestyle="none", markersize=17, markerfacecolor=_CALL_COLOUR,
                      markeredgecolor="black", label=t("anim.incident", lang))]
    handles += [Line2D([], [], marker="o", linestyle="none", markersize=13,
                       markerfacecolor=COUNTRY_COLOURS.get(c, "0.5"), markeredgecolor="black",
                       label=t("anim.unit", lang, country=c)) for c in countries]
    handles += [Line2D([], [], marker=m, linestyle="none", markersize=12, markerfacecolor="white",
                       markeredgecolor="black", label=t(key, lang)) for m, key in SERVICE_MARKERS.values()]
    handles.append(Line2D([], [], marker="H", linestyle="none", markersize=11, markerfacecolor="0.6",
                          markeredgecolor="black", label=t("map.stations", lang)))
    if side:
        fig.legend(handles=handles, loc="upper left", fontsize=18, frameon=False, bbox_to_anchor=(0.61, 0.56),
                   labelspacing=0.7)
    else:
        fig.legend(handles=handles, loc="lower left", ncols=4, fontsize=15, frameon=False,
                   bbox_to_anchor=(0.01, 0.045))


class Film:
    """The frames of an animation: a static map rendered once, moving marks blitted on top.

    Parameters
    ----------
    scenes
        One or two scenes (same stretch of time), drawn side by side.
    layers, stations
        Roads and border; the stations to mark.
    start_s, end_s
        The stretch of simulated time.
    n_frames
        Frames from `start_s` to `end_s`.
    title, source
        The film's title and source line (with the OpenStreetMap credit).
    lang
        Language of the texts.
    """

    def __init__(self, scenes: Sequence[Scene], *, layers: MapLayers, stations: Sequence[Station],
                 start_s: float, end_s: float, n_frames: int, title: str, source: str,
                 lang: str = "en") -> None:
        import matplotlib as mpl
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        if not 1 <= len(scenes) <= 2:
            raise UsageError("an animation shows one or two variants")
        self.times = np.linspace(start_s, end_s, n_frames)
        self.lang = lang
        extent = map_extent(layers, stations)
        with style(), mpl.rc_context({"axes.grid": False}):
            fig = Figure(figsize=FIGSIZE, dpi=DPI)
            self.canvas = FigureCanvasAgg(fig)
            n = len(scenes)
            # one map: the map on the left, clock, counts and legend on the right; two: side by side
            boxes = ([(0.02, 0.06, 0.56, 0.80)] if n == 1 else
                     [(0.01, 0.17, 0.485, 0.70), (0.505, 0.17, 0.485, 0.70)])
            self.panels: list[_Panel] = []
            for scene, box in zip(scenes, boxes, strict=False):
                ax = fig.add_axes(box)
                _draw_static(ax, layers, stations, extent)
                ax.set_title(scene.variant, loc="left", fontsize=22, fontweight="bold")
                calls = ax.scatter([], [], s=330, marker="*", c=_CALL_COLOUR, edgecolors="black",
                                   linewidths=0.8, zorder=6, animated=True)
                units = {k: ax.scatter([], [], s=220, marker=m, edgecolors="black", linewidths=1.2, zorder=7,
                                       animated=True) for k, (m, _) in SERVICE_MARKERS.items()}
                if n == 1:
                    counter = fig.text(0.62, 0.74, "", ha="left", va="top", fontsize=24, linespacing=1.6,
                                       animated=True)
                else:
                    counter = ax.text(0.99, 0.985, "", transform=ax.transAxes, ha="right", va="top",
                                      fontsize=18, linespacing=1.4, animated=True, zorder=9,
                                      bbox={"facecolor": "white", "edgecolor": "0.6", "alpha": 0.9})
                self.panels.append(_Panel(scene, ax, calls, units, counter))
            fig.suptitle(title, x=0.02, y=0.975, ha="left", fontsize=26, fontweight="bold")
            self.clock = fig.text(0.62 if n == 1 else 0.98, 0.84 if n == 1 else 0.955, "",
                                  ha="left" if n == 1 else "right", va="center", fontsize=34,
                                  fontweight="bold", family="DejaVu Sans Mono", animated=True)
            countries = sorted({tr.country for sc in scenes for tr in sc.tracks}
                               | {s.country for s in stations})
            _legend(fig, countries, lang, side=n == 1)
            fig.text(0.995, 0.006, source, ha="right", va="bottom", fontsize=12, color="0.3")
            fig.text(0.995, 0.032, t("anim.note", lang), ha="right", va="bottom", fontsize=12, color="0.3")
            self.fig = fig
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(fig.bbox)
        w, h = self.canvas.get_width_height()
        if (w, h) != SIZE:  # pragma: no cover - the figure size and dpi fix it
            raise RuntimeError(f"frame size {w}x{h}, expected {SIZE}")

    def _update(self, time: float) -> list[Any]:
        artists: list[Any] = [self.clock]
        self.clock.set_text(_clock(time, self.lang))
        for p in self.panels:
            clon, clat, n_calls = p.scene.calls_at(time)
            p.calls.set_offsets(np.column_stack([clon, clat]) if len(clon) else np.zeros((0, 2)))
            lon, lat, countries, kinds, est = p.scene.units_at(time)
            colours = np.array([COUNTRY_COLOURS.get(c, "#808080") for c in countries], dtype=object)
            for kind, sc in p.units.items():
                sel = np.array([k == kind for k in kinds], dtype=bool)
                sc.set_offsets(np.column_stack([lon[sel], lat[sel]]) if sel.any() else np.zeros((0, 2)))
                if sel.any():
                    face = [("white" if e else c) for c, e in zip(colours[sel], est[sel], strict=True)]
                    edge = [(c if e else "black") for c, e in zip(colours[sel], est[sel], strict=True)]
                    sc.set_facecolors(face)
                    sc.set_edgecolors(edge)
                artists.append(sc)
            p.counter.set_text(f"{t('anim.calls', self.lang, n=n_calls)}\n"
                               f"{t('anim.xb', self.lang, n=p.scene.cross_border_at(time))}")
            artists += [p.calls, p.counter]
        return artists

    def frame(self, k: int) -> npt.NDArray[np.uint8]:
        """Frame `k` as an RGB array ``(1080, 1920, 3)``."""
        self.canvas.restore_region(self.background)
        renderer = self.canvas.get_renderer()
        for artist in self._update(float(self.times[k])):
            artist.draw(renderer)
        return np.asarray(self.canvas.buffer_rgba())[:, :, :3]

    def frames(self) -> Iterator[npt.NDArray[np.uint8]]:
        for k in range(len(self.times)):
            yield self.frame(k)


def write_film(film: Film, out: Path, *, fps: int) -> Path:
    """Write the frames to `out`: MP4 (H.264 through imageio-ffmpeg's ffmpeg) or GIF (Pillow)."""
    kind = out.suffix.lower()
    if kind not in (".mp4", ".gif"):
        raise UsageError(f"{out.name}: give a .mp4 or .gif file")
    with atomic_path(out, suffix=out.suffix) as tmp:
        if kind == ".mp4":
            import imageio_ffmpeg

            writer = imageio_ffmpeg.write_frames(str(tmp), SIZE, fps=fps, codec="libx264", macro_block_size=8,
                                                 pix_fmt_out="yuv420p", quality=None,
                                                 output_params=["-preset", "veryfast", "-crf", "23", "-tune",
                                                                "animation", "-threads", "1"])
            writer.send(None)
            try:
                for rgb in film.frames():
                    writer.send(np.ascontiguousarray(rgb))
            finally:
                writer.close()
        else:
            from PIL import Image

            images = [Image.fromarray(np.array(rgb)).quantize(colors=64, method=Image.Quantize.MEDIANCUT)
                      for rgb in film.frames()]
            images[0].save(tmp, save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0,
                           optimize=False)
    return out


# ---------------------------------------------------------------------------------------- a results folder


def animate_results(results_dir: str | os.PathLike[str], *, variants: Sequence[str],
                    out: str | os.PathLike[str],
                    replication: int = 0, day: int | None = None, start_s: float | None = None,
                    end_s: float | None = None, duration_s: float = 60.0, fps: int = 30, lang: str = "en",
                    region: Any = None) -> Path:
    """Animate a stretch of one replication of a results folder; return the file written.

    Parameters
    ----------
    results_dir
        A folder written by ``xborder run``.
    variants
        One variant, or two shown side by side.
    out
        ``.mp4`` or ``.gif`` file.
    replication
        The replication to show.
    day, start_s, end_s
        The stretch: day `day` (0 is the first), or from `start_s` to `end_s` (simulated seconds);
        default the first day after the warm-up.
    duration_s, fps
        Length of the film and its frame rate.
    lang
        Language of the texts.
    region
        The region the scenario ran on (default: loaded from the scenario as run).
    """
    from sim.scenario import Scenario
    from sim.study.folders import load_results

    res = load_results(results_dir)
    known = res.variants
    bad = [v for v in variants if v not in known]
    if bad or not variants:
        raise UsageError(f"--variant: unknown variant {', '.join(bad) or '(none)'}; "
                         f"choose from {', '.join(known)}")
    if len(variants) > 2:
        raise UsageError("--variant: one variant, or two side by side")
    horizon = float(res.summary.get("horizon_s") or 0.0)
    if start_s is None or end_s is None:
        d = day if day is not None else math.ceil(float(res.summary.get("warmup_s") or 0.0) / 86400.0)
        start_s, end_s = 86400.0 * d, 86400.0 * (d + 1)
    if not 0 <= start_s < end_s <= horizon + 1e-6:
        raise UsageError(f"the stretch {start_s / 3600:g} h to {end_s / 3600:g} h is not within the "
                         "simulated "
                         f"{horizon / 3600:g} h")
    reps = sorted(set(res.incidents.loc[res.incidents["variant"] == variants[0], "replication"]))
    if replication not in reps:
        raise UsageError(f"--replication: no replication {replication}; "
                         f"there are {', '.join(map(str, reps))}")
    sc = Scenario.from_text(res.scenario_yaml, filename=str(res.path / "scenario.yaml"),
                            path=res.path / "scenario.yaml")
    if region is None:
        region = sc.load_region()
    network = region.network
    scenes: list[Scene] = []
    stations: list[Station] = []
    for v in variants:
        spec = sc.model_spec(v, region)
        sel_i = (res.incidents["variant"] == v) & (res.incidents["replication"] == replication)
        sel_m = (res.missions["variant"] == v) & (res.missions["replication"] == replication)
        scenes.append(build_scene(network, spec, res.incidents[sel_i], res.missions[sel_m], variant=v,
                                  start_s=start_s, end_s=end_s))
        stations += [s for s in spec.stations if s.name not in {x.name for x in stations}]
    from sim.roads.jurisdictions import load_jurisdictions

    folder = getattr(region, "region_dir", None)
    jpath = Path(folder) / "jurisdictions.geojson" if folder else None
    juris = load_jurisdictions(jpath) if jpath and jpath.is_file() else None
    layers = map_layers(network, jurisdictions=juris)
    credit = t("map.osm_credit", lang)
    source = f"{t('anim.source', lang, scenario=sc.name, r=replication)} · {credit}"
    film = Film(scenes, layers=layers, stations=stations, start_s=start_s, end_s=end_s,
                n_frames=max(2, round(duration_s * fps)), title=t("anim.title", lang, scenario=sc.name),
                source=source, lang=lang)
    return write_film(film, Path(out), fps=fps)
