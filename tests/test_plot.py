"""``xborder plot`` on a small results folder: every figure in PNG and SVG, labels in the chosen language.

A short run of the default scenario (two variants, two replications of 3 days) is made once per test
session and plotted once in English (PNG and SVG) and once in French (SVG); under pytest-xdist the
workers share it (a file lock in the session's common temporary folder), so it is built only once.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from sim.cli.main import main
from sim.figures.i18n import STRINGS, t

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("national", "benelux-2009")

# figure file stem -> i18n keys whose text must be on it
FIGURE_KEYS: dict[str, tuple[str, ...]] = {
    "response-cdf": ("cdf.title", "cdf.xlabel", "cdf.ylabel", "variant", "norm.target"),
    "response-cdf-fire": ("cdf.fire.title", "cdf.xlabel", "cdf.ylabel", "variant"),
    "region-map": ("map.region.title", "map.roads_major", "map.border", "map.access_leg", "map.xlabel",
                   "map.ylabel", "kind.ambulance", "kind.fire"),
    "response-map-benelux-2009": ("rtmap.title", "rtmap.p90", "rtmap.diff", "map.xlabel"),
    "norm-share": ("norm.title", "norm.xlabel", "norm.ylabel", "norm.target"),
    "cross-border": ("xb.title", "xb.xlabel_week", "xb.ylabel"),
    "utilisation": ("util.title", "util.xlabel", "util.ylabel"),
    "coverage-benelux-2009": ("cov.title", "cov.xlabel", "cov.national", "cov.gained"),
}
MAPS = ("region-map", "response-map-benelux-2009", "coverage-benelux-2009")
OSM = "© OpenStreetMap contributors"


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def _build(folder: Path) -> dict[str, Any]:
    """Run the small scenario into `folder`, then plot it in English and French."""
    from sim.scenario import Scenario
    from sim.study.runner import run_scenario

    text = (ROOT / "scenarios" / "baarle-turnhout.yaml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^horizon: .*$", "horizon: 3 d", text)
    text = re.sub(r"(?m)^warmup: .*$", "warmup: 0.5 d", text)
    sc = Scenario.from_text(text, filename="baarle-small.yaml", path=folder.parent / "baarle-small.yaml")
    run_scenario(sc, reps=2, seed=11, out=folder, progress=False, variants=list(VARIANTS))
    en = _run(["plot", str(folder), "--format", "png,svg"])
    fr = _run(["plot", str(folder), "--lang", "fr", "--format", "svg"])
    return {"en": en, "fr": fr}


@pytest.fixture(scope="session")
def plotted(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> tuple[Path, dict[str, Any]]:
    """The small results folder, plotted; ``(folder, {"en": (rc, stdout, stderr), "fr": ...})``."""
    base = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # one build shared by the xdist workers of this session
        base = base.parent
    root = base / "plot-results"
    root.mkdir(exist_ok=True)
    folder, done = root / "run", root / "outcome.json"
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.exists():
                done.write_text(json.dumps(_build(folder)), encoding="utf-8")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder, json.loads(done.read_text(encoding="utf-8"))


def _svg_text(path: Path) -> str:
    """All text of an SVG (text stays text: ``svg.fonttype: none``), one string."""
    tree = ET.parse(path)
    return "\n".join("".join(el.itertext()) for el in tree.iter() if el.tag.endswith("text"))


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


# ---------------------------------------------------------------------------------------- figures


def test_plot_succeeds_and_lists_every_file(plotted: tuple[Path, dict[str, Any]]) -> None:
    folder, outcome = plotted
    rc, out, err = outcome["en"]
    assert rc == 0, err
    assert all(Path(line).parent == folder / "figures" for line in out.splitlines())
    listed = {Path(line).name for line in out.splitlines()}
    assert listed == {f"{stem}.{fmt}" for stem in FIGURE_KEYS for fmt in ("png", "svg")}
    assert "16 figure file(s)" in err


@pytest.mark.parametrize("stem", sorted(FIGURE_KEYS))
def test_every_figure_in_png_and_svg_at_1920x1080(plotted: tuple[Path, dict[str, Any]], stem: str) -> None:
    figures = plotted[0] / "figures"
    png, svg = figures / f"{stem}.png", figures / f"{stem}.svg"
    assert png.stat().st_size > 20_000 and svg.stat().st_size > 5_000
    assert _png_size(png) == (1920, 1080)
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")


@pytest.mark.parametrize("stem", sorted(FIGURE_KEYS))
def test_english_labels_are_text_in_the_svg(plotted: tuple[Path, dict[str, Any]], stem: str) -> None:
    text = _svg_text(plotted[0] / "figures" / f"{stem}.svg")
    for key in FIGURE_KEYS[stem]:
        assert STRINGS[key]["en"] in text, key
    if stem in MAPS:
        assert OSM in text
    assert "baarle-turnhout" in text  # the source line


@pytest.mark.parametrize("stem", sorted(FIGURE_KEYS))
def test_french_figures_carry_french_labels_only(plotted: tuple[Path, dict[str, Any]], stem: str) -> None:
    folder, outcome = plotted
    assert outcome["fr"][0] == 0, outcome["fr"][2]
    path = folder / "figures" / f"{stem}.fr.svg"
    assert path.stat().st_size > 5_000
    assert not (folder / "figures" / f"{stem}.fr.png").exists()  # only the formats asked for
    text = _svg_text(path)
    for key in FIGURE_KEYS[stem]:
        fr, en = STRINGS[key]["fr"], STRINGS[key]["en"]
        assert fr in text, key
        if en != fr:  # as a whole phrase: "Variant" is part of "Variante"
            assert not re.search(rf"(?<!\w){re.escape(en)}(?!\w)", text), key
    if stem in MAPS:
        assert OSM in text and t("map.osm_credit", "fr") in text


def test_french_numbers_use_a_decimal_comma(plotted: tuple[Path, dict[str, Any]]) -> None:
    figures = plotted[0] / "figures"
    fr, en = _svg_text(figures / "region-map.fr.svg"), _svg_text(figures / "region-map.svg")
    assert re.search(r"51,\d\d°N", fr) and not re.search(r"51\.\d\d°N", fr)
    assert re.search(r"51\.\d\d°N", en)



def _tick_labels(path: Path) -> list[str]:
    """The tick labels of every axis (colour bars too) of an SVG, in drawing order."""
    tree = ET.parse(path)
    return ["".join(t for el in g.iter() if el.tag.endswith("text") for t in el.itertext())
            for g in tree.iter() if g.tag.endswith("g") and re.fullmatch(r"[xy]tick_\d+", g.get("id", ""))]


NUMERIC_TICK = re.compile(r"^[−+-]?[\d.,\u202f]+(?:e[−+-]?\d+)?$")


def _numeric(labels: list[str]) -> list[str]:
    return [lb for lb in labels if NUMERIC_TICK.match(lb)]


def _decimal_comma_figure(lang: str, folder: Path) -> list[str]:
    """A figure with fractional x ticks (0.0 ... 1.4), thousands on y and text ticks on a second axes."""
    from sim.figures.style import add_source, new_figure, save_figure, style

    with style():
        fig = new_figure()
        ax, cat = fig.subplots(1, 2)
        ax.plot([0.0, 1.5], [0.0, 12_000.0])
        cat.barh([0, 1], [1, 2])
        cat.set_yticks([0, 1], ["post 1.5", "2.5 km"])
        add_source(fig, "test")
    save_figure(fig, folder / f"ticks-{lang}", ["svg"], lang=lang)
    save_figure(fig, folder / f"again-{lang}", ["svg"], lang=lang)  # a second save changes nothing
    labels = _tick_labels(folder / f"ticks-{lang}.svg")
    assert labels == _tick_labels(folder / f"again-{lang}.svg")
    return labels


@pytest.mark.parametrize("lang", ["fr", "nl", "de"])
def test_tick_numbers_follow_the_language(tmp_path: Path, lang: str) -> None:
    labels = _decimal_comma_figure(lang, tmp_path)
    assert {"0,0", "0,2", "1,4", "0", "2\u202f000", "12\u202f000"} <= set(labels)
    assert not [lb for lb in labels if re.search(r"\d\.\d", lb) and lb != "post 1.5" and lb != "2.5 km"]
    assert "post 1.5" in labels and "2.5 km" in labels  # text ticks are not numbers to rewrite


def test_english_tick_numbers_are_unchanged(tmp_path: Path) -> None:
    labels = _decimal_comma_figure("en", tmp_path)
    assert {"0.0", "0.2", "1.4", "0", "2000", "12000"} <= set(labels)
    assert not [lb for lb in _numeric(labels) if "," in lb or "\u202f" in lb]
    with pytest.raises(ValueError, match="'es'"):
        _decimal_comma_figure("es", tmp_path)


@pytest.mark.parametrize("stem", sorted(FIGURE_KEYS))
def test_french_figures_have_no_decimal_point_on_any_axis(plotted: tuple[Path, dict[str, Any]],
                                                          stem: str) -> None:
    figures = plotted[0] / "figures"
    fr, en = _tick_labels(figures / f"{stem}.fr.svg"), _tick_labels(figures / f"{stem}.svg")
    assert len(fr) == len(en) and fr
    assert not [lb for lb in fr if re.search(r"\d\.\d", lb)], stem
    assert not [lb for lb in _numeric(en) if "," in lb or "\u202f" in lb], stem
    # the same ticks, written two ways
    assert [lb.replace(".", ",") for lb in _numeric(en)] == [lb.replace("\u202f", "") for lb in _numeric(fr)]


def test_sweep_figure_ticks_follow_the_language(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    from sim.figures.sweep import PLOTTED, plot_sweep
    from sim.study.sweep_points import parse_param

    param = parse_param("demand.scale=0.5,0.75,1")
    rows = []
    for variant in ("national", "benelux-2009"):
        for i, label in enumerate(param.labels):
            row: dict[str, Any] = {"demand.scale": label, "variant": variant}
            for k, centre in zip(PLOTTED, (600.0, 900.0, 0.83, 2.5), strict=True):
                row[k], row[f"{k}_low"], row[f"{k}_high"] = centre * (1 + 0.1 * i), centre * 0.9, centre * 1.3
            rows.append(row)
    table = pd.DataFrame(rows)
    for lang in ("en", "fr"):
        files = plot_sweep(tmp_path, {"": table}, params=[param], variants=["national", "benelux-2009"],
                           scenario="s", reps=2, lang=lang, formats=("svg",))
        assert [f.name for f in files] == ["sweep.svg" if lang == "en" else f"sweep.{lang}.svg"]
    figures = tmp_path / "figures"
    en, fr = _tick_labels(figures / "sweep.svg"), _tick_labels(figures / "sweep.fr.svg")
    assert "0.5" in en and "0,5" in fr and "0,75" not in en
    assert not [lb for lb in fr if re.search(r"\d\.\d", lb)]
    assert len(en) == len(fr) and np.array_equal([lb.replace(".", ",") for lb in en], fr)


def test_coverage_numbers_match_the_coverage_table(plotted: tuple[Path, dict[str, Any]]) -> None:
    """The coverage figure prints the population the model computes, per country and threshold."""
    from sim.analysis.coverage import coverage
    from sim.figures.i18n import number
    from sim.scenario import Scenario

    folder = plotted[0]
    sc = Scenario.from_text((folder / "scenario.yaml").read_text(encoding="utf-8"),
                            path=folder / "scenario.yaml")
    region = sc.load_region()
    spec = sc.model_spec("benelux-2009", region)
    cov = coverage(region.network, spec.stations, spec.places, agreements=spec.agreements,
                   driving=spec.driving, spread_m=spec.demand.spread_m,
                   max_distance_m=spec.demand.max_place_distance_m, reach_m=spec.demand.split_reach_m)
    text = _svg_text(folder / "figures" / "coverage-benelux-2009.svg")
    assert len(cov.table) >= 4
    for row in cov.table.itertuples():
        assert number(float(row.national), "en", digits=0) in text
        assert number(float(row.agreements), "en", digits=0) in text


# ---------------------------------------------------------------------------------------- package


def test_figure_names_come_from_the_package_and_load_matplotlib_only_when_used() -> None:
    """``sim.figures.fig_*`` work; importing the package (or the command line) does not plot."""
    code = (
        "import sys, sim.figures, sim.figures.i18n, sim.cli.main\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported without plotting'\n"
        "from sim.figures import charts, maps, run, style\n"
        "homes = {n: getattr(m, n) for m in (charts, maps, run, style) for n in sim.figures.__all__\n"
        "         if hasattr(m, n)}\n"
        "homes['figure_style'] = style.style  # the context manager, under a name of its own\n"
        "assert sorted(homes) == sorted(sim.figures.__all__), sorted(homes)\n"
        "assert all(getattr(sim.figures, n) is homes[n] for n in sim.figures.__all__)\n"
        "assert sim.figures.style is style  # the module; its context manager is style.style\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------------------------------- errors


def _error(argv: list[str]) -> str:
    rc, out, err = _run(argv)
    assert rc == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("xborder: error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_missing_folder_is_one_line(tmp_path: Path) -> None:
    assert "no such results folder" in _error(["plot", str(tmp_path / "nowhere")])


def test_folder_that_is_not_results_is_one_line(tmp_path: Path) -> None:
    line = _error(["plot", str(tmp_path)])
    assert str(tmp_path) in line and "not a results folder" in line
    (tmp_path / "file.txt").write_text("x", encoding="utf-8")
    assert "not a folder" in _error(["plot", str(tmp_path / "file.txt")])


def test_results_folder_without_tables_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text("{}", encoding="utf-8")
    assert "incidents.parquet is missing" in _error(["plot", str(tmp_path)])


def test_unknown_language_or_format_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text("{}", encoding="utf-8")
    line = _error(["plot", str(tmp_path), "--lang", "es"])
    assert "'es'" in line and "fr" in line and "de" in line
    line = _error(["plot", str(tmp_path), "--format", "png,gif"])
    assert "'gif'" in line and "pdf" in line
    assert "no format" in _error(["plot", str(tmp_path), "--format", " , "])


def test_parse_formats() -> None:
    from sim.cli.plot import parse_formats

    assert parse_formats("PNG, svg,png,.pdf") == ["png", "svg", "pdf"]
