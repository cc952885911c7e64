"""Every standard figure of a results folder: :func:`plot_results` (``xborder plot`` calls it).

It loads the folder (:func:`sim.study.folders.load_results`), the scenario as run, its region, the
region's jurisdictions and the coverage of each variant, then draws the charts
(:mod:`sim.figures.charts`) and maps (:mod:`sim.figures.maps`) into ``<folder>/figures/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from sim.analysis.tables import spec_coverage
from sim.errors import DataError
from sim.figures.charts import (
    fig_cross_border,
    fig_norm_share,
    fig_response_cdf,
    fig_response_cdf_fire,
    fig_utilisation,
)
from sim.figures.i18n import LANGUAGES
from sim.figures.maps import fig_coverage, fig_region_map, fig_response_map, map_layers
from sim.figures.style import save_figure, sim_source
from sim.roads.jurisdictions import Jurisdictions, load_jurisdictions
from sim.scenario import Scenario
from sim.study.folders import Results, load_results

FIGURES: tuple[str, ...] = ("response-cdf", "response-cdf-fire", "region-map", "response-map", "norm-share",
                            "cross-border", "utilisation", "coverage")
"""Figure names; ``response-map`` and ``coverage`` get one file per variant besides the first."""
FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
"""The file formats figures can be saved in."""


def region_jurisdictions(region: Any) -> Jurisdictions | None:
    """The jurisdictions of `region` (its folder's ``jurisdictions.geojson``), if it has them."""
    folder = getattr(region, "region_dir", None)
    path = Path(folder) / "jurisdictions.geojson" if folder else None
    return load_jurisdictions(path) if path is not None and path.is_file() else None


def _check_request(folder: Path, lang: str, formats: Sequence[str]) -> None:
    if lang not in LANGUAGES:
        raise DataError(f"unknown language {lang!r}: choose one of {', '.join(LANGUAGES)}")
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise DataError(f"unknown figure format {', '.join(bad) or '(none)'}: choose png, svg or pdf")
    if not folder.is_dir():
        raise DataError(f"{folder}: no such results folder")


def _scenario_as_run(res: Results, folder: Path) -> Scenario:
    if not res.scenario_yaml:
        raise DataError(f"{folder}: scenario.yaml is missing (the scenario as run)")
    return Scenario.from_text(res.scenario_yaml, filename=str(folder / "scenario.yaml"),
                              path=folder / "scenario.yaml")


def _figures(res: Results, sc: Scenario, region: Any, variants: Sequence[str],
             lang: str) -> Iterator[tuple[str, Figure]]:
    """``(file name, figure)`` of every standard figure, each built when the last is saved."""
    network = region.network
    specs = {v: sc.model_spec(v, region) for v in variants if v in sc.variants}
    n_reps = int(res.incidents["replication"].nunique()) if len(res.incidents) else 0
    src = sim_source(sc.name, n_reps, lang)
    norms = sc.norms()
    ref = variants[0]
    ref_spec = specs.get(ref)
    stations = ref_spec.stations if ref_spec is not None else ()
    per_s = (ref_spec.horizon_s - ref_spec.warmup_s) if ref_spec is not None else None
    layers = map_layers(network, jurisdictions=region_jurisdictions(region))
    yield "response-cdf", fig_response_cdf(res.incidents, norms=norms, variants=variants, lang=lang,
                                           source=src)
    yield "response-cdf-fire", fig_response_cdf_fire(res.incidents, norms=norms, variants=variants,
                                                     lang=lang, source=src)
    yield "region-map", fig_region_map(network, stations, layers=layers, lang=lang, source=sc.name)
    for v in variants[1:]:
        yield f"response-map-{v}", fig_response_map(
            res.incidents, network, baseline=ref, variant=v,
            stations=specs[v].stations if v in specs else stations, layers=layers, lang=lang, source=src)
    yield "norm-share", fig_norm_share(res.incidents, norms=norms, variants=variants, lang=lang, source=src)
    yield "cross-border", fig_cross_border(res.missions, incidents=res.incidents, variants=variants,
                                           per_s=per_s, lang=lang, source=src)
    yield "utilisation", fig_utilisation(res.units, variants=variants, lang=lang, source=src)
    for v in variants[1:] or variants[:1]:
        if v in specs:
            yield f"coverage-{v}", fig_coverage(network, spec_coverage(network, specs[v]), variant=v,
                                                stations=specs[v].stations, layers=layers, lang=lang,
                                                source=sc.name)


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
    sim.errors.DataError
        If the folder is not a results folder or a language or format is unknown.
    """
    folder = Path(results_dir)
    _check_request(folder, lang, formats)
    res = load_results(folder)
    sc = _scenario_as_run(res, folder)
    if region is None:
        region = sc.load_region()
    variants = res.variants or sc.variant_names
    figures_dir = folder / "figures"
    suffix = "" if lang == "en" else f".{lang}"
    written: list[Path] = []
    for name, fig in _figures(res, sc, region, variants, lang):
        written.extend(save_figure(fig, figures_dir / f"{name}{suffix}", formats, lang=lang))
    return written
