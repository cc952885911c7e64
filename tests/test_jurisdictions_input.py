"""A broken jurisdictions GeoJSON ends in one DataError naming the file (and the feature), never a
traceback of another kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.errors import DataError
from sim.roads.jurisdictions import load_jurisdictions


def _geo(kind, coordinates):
    return {"type": kind, "coordinates": coordinates}


def _doc(*features):
    return json.dumps({"features": list(features)}).encode()


SQUARE = _geo("Polygon", [[[4.0, 51.0], [5.0, 51.0], [5.0, 52.0], [4.0, 52.0], [4.0, 51.0]]])


def _feature(geometry=SQUARE, **props):
    return {"type": "Feature", "properties": {"country": "BE", "dispatch_centre": "112 X", **props},
            "geometry": geometry}


CASES = {
    "empty file": b"",
    "not json": b"{features: [",
    "not utf-8": b"\xff\xfe\x00{",
    "a list": json.dumps([1, 2]).encode(),
    "a number": b"42",
    "features not a list": json.dumps({"features": {"a": 1}}).encode(),
    "no features": json.dumps({"type": "FeatureCollection", "features": []}).encode(),
    "feature is a string": _doc("x"),
    "properties a list": _doc(dict(_feature(), properties=[1])),
    "no country": _doc(_feature(country="")),
    "country a number": _doc(_feature(country=5)),
    "no centre": _doc(_feature(dispatch_centre=None)),
    "no geometry": _doc(dict(_feature(), geometry=None)),
    "geometry a string": _doc(_feature(geometry="POLYGON")),
    "unknown geometry type": _doc(_feature(geometry=_geo("Blob", []))),
    "a point": _doc(_feature(geometry=_geo("Point", [4, 51]))),
    "coordinates not numbers": _doc(_feature(
        geometry={"type": "Polygon", "coordinates": [[["a", "b"], [1, 2], [3, 4], ["a", "b"]]]})),
    "too few points": _doc(_feature(
        geometry={"type": "Polygon", "coordinates": [[[4, 51], [5, 51]]]})),
    "empty polygon": _doc(_feature(geometry=_geo("Polygon", []))),
    "NaN coordinates": b'{"features": [{"properties": {"country": "BE", "dispatch_centre": "X"}, "geometry": '
                       b'{"type": "Polygon", "coordinates": [[[NaN, 51], [5, 51], [5, 52], [NaN, 51]]]}}]}',
    "longitude 999": _doc(_feature(geometry={"type": "Polygon", "coordinates": [
        [[999, 51], [5, 51], [5, 52], [999, 51]]]})),
}


@pytest.mark.parametrize("name", list(CASES))
def test_broken_jurisdictions_give_one_data_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / "jurisdictions.geojson"
    path.write_bytes(CASES[name])
    with pytest.raises(DataError) as info:
        load_jurisdictions(path)
    message = str(info.value)
    assert message.startswith(str(path)) and "\n" not in message


def test_a_good_file_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "jurisdictions.geojson"
    path.write_text(json.dumps({"features": [_feature(), _feature(country="NL", dispatch_centre="MK")]}))
    jur = load_jurisdictions(path)
    assert jur.countries == ["BE", "NL"] and jur.centres == ["112 X", "MK"]
