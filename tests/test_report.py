"""``xborder report``: one HTML file that works offline, tested in a real browser (headless Chromium).

The page loads with no console error and no network request, the map shows its layers, switching
the variant shows that variant's hexagons, a click on a hexagon shows its numbers (those of
summary.json), and a screenshot is kept in the session's temporary folder for inspection.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from _browser import chromium
from _small_results import small_results

from sim.cli.main import main
from sim.figures.i18n import t


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> tuple[Path, dict[str, Any]]:
    folder = small_results(tmp_path_factory, worker_id)
    path = tmp_path_factory.mktemp("report") / "report.html"
    rc, out, err = _run(["report", str(folder), "--out", str(path)])
    assert rc == 0, err
    assert out.strip() == str(path)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    summary["_folder"] = str(folder)
    return path, summary


def _open(browser: Any, path: Path) -> tuple[Any, list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.frame_locator("iframe#map").locator("path.xb-hex").first.wait_for(timeout=20_000)
    return page, problems, requests


def _hex_count(summary: dict[str, Any], variant: str) -> int:
    return len(summary["hexagons"]["variants"][variant]["q"])


def test_report_is_one_file_without_links_to_the_internet(report: tuple[Path, dict[str, Any]]) -> None:
    path, _ = report
    text = path.read_text(encoding="utf-8")
    # nothing loaded from elsewhere: no script, image or style sheet by address (links may stay)
    assert not re.search(r"""src\s*=\s*["']?(https?:)?//""", text)
    assert not re.search(r"""src\s*=\s*&quot;(https?:)?//""", text)  # nor inside the map's frame
    assert not re.search(r"""<link[^>]*href""", text) and not re.search(r"&lt;link[^&]*href", text)
    assert not re.search(r"url\((?!data:|#default#VML)", text)  # style sheets: images inlined
    assert "tile.openstreetmap" not in text and "cdn." not in text
    assert text.count("data:image/png;base64,") >= 7  # the standard figures, embedded
    assert path.stat().st_size < 15_000_000


def test_report_loads_offline_with_no_error_and_shows_the_map(
        report: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> None:
    path, summary = report
    ref = summary["variant_order"][0]
    stations = pd.read_parquet(Path(summary["_folder"]) / "units.parquet")
    with chromium() as browser:
        page, problems, requests = _open(browser, path)
        frame = page.frame_locator("iframe#map")
        assert frame.locator("path.xb-hex").count() == _hex_count(summary, ref)
        assert frame.locator(".leaflet-roads-pane path").count() == 3  # minor, major roads, border
        assert frame.locator(".leaflet-stations-pane path.xb-station").count() == len(
            {s for s in stations["station"]})
        control = frame.locator(".leaflet-control-layers").inner_text()
        for v in summary["variant_order"]:
            assert t("report.layer_p90", "en", variant=v) in control
        assert t("report.layer_stations", "en") in control
        page.locator("iframe#map").scroll_into_view_if_needed()
        shot = tmp_path_factory.getbasetemp() / "report-screenshot.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 50_000
        print(f"screenshot: {shot}")
    assert problems == []
    assert [u for u in requests if not u.startswith(("data:", "about:"))] == [path.as_uri()]


def _click_a_hexagon(page: Any) -> str:
    """Click a hexagon whose centre is not under another element; return the popup's text."""
    frame_el = page.locator("iframe#map")
    frame_el.scroll_into_view_if_needed()
    frame = page.frame_locator("iframe#map")
    hexes = frame.locator("path.xb-hex")
    for k in range(hexes.count()):
        el = hexes.nth(k)
        box = el.bounding_box()
        if box is None or box["width"] < 8:
            continue
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        topmost = el.evaluate(
            "(e, p) => { const r = e.ownerDocument.defaultView.frameElement.getBoundingClientRect();"
            " return e.ownerDocument.elementFromPoint(p[0] - r.left, p[1] - r.top) === e; }", [x, y])
        if topmost:
            page.mouse.click(x, y)
            popup = frame.locator(".leaflet-popup-content")
            popup.wait_for(timeout=5_000)
            return str(popup.inner_text())
    raise AssertionError("no hexagon could be clicked")


def _popup_numbers(text: str) -> tuple[int, str]:
    calls = re.search(r"Calls\s+(\d+)", text)
    p90 = re.search(r"90th percentile \(min:s\)\s+(\d+:\d\d)", text)
    assert calls and p90, text
    return int(calls.group(1)), p90.group(1)


def _mmss(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m}:{s:02d}"


def test_a_click_on_a_hexagon_shows_its_numbers(report: tuple[Path, dict[str, Any]]) -> None:
    path, summary = report
    with chromium() as browser:
        page, problems, _ = _open(browser, path)
        text = _click_a_hexagon(page)
        assert problems == []
    ref = summary["variant_order"][0]
    assert ref in text
    calls, p90 = _popup_numbers(text)
    cols = summary["hexagons"]["variants"][ref]
    pairs = {(c, _mmss(p)) for c, p in zip(cols["count"], cols["p90_s"], strict=True) if p is not None}
    assert (calls, p90) in pairs


def test_switching_the_variant_shows_its_hexagons(report: tuple[Path, dict[str, Any]]) -> None:
    path, summary = report
    other = summary["variant_order"][1]
    with chromium() as browser:
        page, problems, _ = _open(browser, path)
        frame = page.frame_locator("iframe#map")
        frame.get_by_text(t("report.layer_p90", "en", variant=other), exact=True).click()
        page.wait_for_timeout(300)
        assert frame.locator("path.xb-hex").count() == _hex_count(summary, other)
        text = _click_a_hexagon(page)
        assert problems == []
    assert other in text
    assert "Change of the 90th percentile" in text


def test_report_in_french(report: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    folder = Path(report[1]["_folder"])
    path = tmp_path / "rapport.html"
    rc, _, err = _run(["report", str(folder), "--lang", "fr", "--out", str(path)])
    assert rc == 0, err
    text = path.read_text(encoding="utf-8")
    assert '<html lang="fr">' in text
    for key in ("report.question", "report.table", "report.map", "report.figures", "report.mean",
                "report.layer_stations"):
        assert t(key, "fr").replace("'", "&#x27;") in text, key
    assert "Calls per replication" not in text


def test_report_rejects_an_unknown_language(report: tuple[Path, dict[str, Any]]) -> None:
    rc, _, err = _run(["report", report[1]["_folder"], "--lang", "es"])
    assert rc == 2 and "unknown language 'es'" in err
