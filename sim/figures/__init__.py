"""Figures: style, maps, charts of a run, languages. Figures draw; they compute nothing.

The numbers they draw come from :mod:`sim.analysis.tables`. Modules:

- :mod:`sim.figures.style`: palette, 16:9 layout, source line, saving (and tick numbers per language);
- :mod:`sim.figures.charts`: response-time CDFs (urgent ambulance calls, fire calls), share within the
  norm per class of call, cross-border missions, utilisation per country and unit type;
- :mod:`sim.figures.maps`: the region, response times per hexagon, coverage;
- :mod:`sim.figures.run`: :func:`plot_results`, every standard figure of a results folder;
- :mod:`sim.figures.i18n`: the texts in English, French, Dutch and German.

The names below are loaded on first use (``sim.figures.fig_response_cdf``), so that importing the
package (for :mod:`sim.figures.i18n`, say) does not import matplotlib. ``sim.figures.style`` is the
module; its context manager is ``sim.figures.style.style``, also exported as
``sim.figures.figure_style``.

Imports :mod:`sim.analysis` and the layers below it (and :mod:`sim.study.folders` to load results).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.figures.charts import (
        fig_cross_border,
        fig_norm_share,
        fig_response_cdf,
        fig_response_cdf_fire,
        fig_utilisation,
    )
    from sim.figures.maps import MapLayers, fig_coverage, fig_region_map, fig_response_map, map_layers
    from sim.figures.run import FIGURES, plot_results
    from sim.figures.style import VARIANT_COLOURS, add_source, new_figure, save_figure, sim_source
    from sim.figures.style import style as figure_style

__all__ = [
    "FIGURES",
    "VARIANT_COLOURS",
    "MapLayers",
    "add_source",
    "fig_coverage",
    "fig_cross_border",
    "fig_norm_share",
    "fig_region_map",
    "fig_response_cdf",
    "fig_response_cdf_fire",
    "fig_response_map",
    "fig_utilisation",
    "figure_style",
    "map_layers",
    "new_figure",
    "plot_results",
    "save_figure",
    "sim_source",
]

_HOMES: dict[str, tuple[str, ...]] = {
    "charts": ("fig_cross_border", "fig_norm_share", "fig_response_cdf", "fig_response_cdf_fire",
               "fig_utilisation"),
    "maps": ("MapLayers", "fig_coverage", "fig_region_map", "fig_response_map", "map_layers"),
    "run": ("FIGURES", "plot_results"),
    "style": ("VARIANT_COLOURS", "add_source", "new_figure", "save_figure", "sim_source"),
}


def __getattr__(name: str) -> Any:
    # matplotlib is imported here, on first use of a figure name, not with the package
    if name in _HOMES["charts"]:
        from sim.figures import charts
        value = getattr(charts, name)
    elif name in _HOMES["maps"]:
        from sim.figures import maps
        value = getattr(maps, name)
    elif name in _HOMES["run"]:
        from sim.figures import run
        value = getattr(run, name)
    elif name in _HOMES["style"] or name == "figure_style":
        from sim.figures import style
        value = getattr(style, "style" if name == "figure_style" else name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
