"""The presentation style every figure shares: palette, 16:9 layout, source line, saving.

Every figure is 16:9 (16 × 9 inches at 120 dpi: 1920 × 1080 pixels), with large type, the
colour-blind-safe Okabe–Ito palette, units on every axis and a source line in its bottom-right
corner. Build figures of your own inside :func:`style` on a :func:`new_figure`, finish them with
:func:`add_source` and write them with :func:`save_figure` to match the standard ones (the
notebooks and the sweep figure do).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib as mpl
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, ScalarFormatter

from sim.figures.i18n import LANGUAGES, localise_numerals, t
from sim.model.countries import COUNTRIES
from sim.paths import atomic_path

OKABE_ITO: dict[str, str] = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
"""Okabe & Ito (2008) colour-universal-design palette, safe for the common colour-vision deficiencies."""

VARIANT_COLOURS: tuple[str, ...] = (OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["green"],
                                    OKABE_ITO["purple"], OKABE_ITO["orange"], OKABE_ITO["sky"])
"""Colours of the variants in drawing order (the first is the reference); they repeat after six."""
COUNTRY_COLOURS: dict[str, str] = {code: c.colour for code, c in COUNTRIES.items()}
"""From :data:`sim.model.countries.COUNTRIES`: neighbours get colours that stay apart under every
common colour-vision deficiency."""

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


def variant_colour(i: int) -> str:
    """The colour of the `i`-th variant (:data:`VARIANT_COLOURS`, repeating)."""
    return VARIANT_COLOURS[i % len(VARIANT_COLOURS)]


def no_data(ax: Axes, lang: str) -> None:
    """Say "no data" in the middle of `ax`."""
    ax.text(0.5, 0.5, t("nodata", lang), transform=ax.transAxes, ha="center", va="center",
            fontsize=22, color="0.4")


# ---------------------------------------------------------------------------------------- ticks


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


# ---------------------------------------------------------------------------------------- saving


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

    Returns
    -------
    list of Path
        The files written, one per format.
    """
    localise_ticks(fig, lang)
    out = []
    stem.parent.mkdir(parents=True, exist_ok=True)
    with style():
        for fmt in formats:
            path = stem.with_name(f"{stem.name}.{fmt}")
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=fmt, dpi=DPI, metadata=_metadata(fmt))
            out.append(path)
    return out


def _metadata(fmt: str) -> dict[str, Any] | None:
    # reproducible files: no creation date in SVG/PDF
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return None
