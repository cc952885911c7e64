"""maxspeed parsing, default limits by country and road class, road-class speeds, speed caps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.roads.speeds import (
    CLASS_SPEEDS_KMH,
    DEFAULT_LIMITS,
    HIGHWAY_CLASSES,
    NO_LIMIT_KMH,
    RURAL_FACTOR,
    RURAL_LIMIT_KMH,
    SPEED_CAPS,
    WALK_KMH,
    SpeedSettings,
    cap_over_limit_kmh,
    limit_source,
    parse_maxspeed,
)

MPH = 1.609344

TABLE = [
    ("50", None, 50.0),
    (" 70 ", None, 70.0),
    ("50 km/h", None, 50.0),
    ("90kmh", None, 90.0),
    ("30 mph", None, 30 * MPH),
    ("20mph", None, 20 * MPH),
    ("10 knots", None, 18.52),
    ("50;70", None, 60.0),
    ("30|50", None, 40.0),
    (["50", "70"], None, 60.0),
    (["70", "50", "30"], None, 50.0),
    (["50", "signals"], None, 50.0),
    (50, None, 50.0),
    (np.float64(120.0), None, 120.0),
    ("BE:urban", None, 50.0),
    ("BE:rural", None, 70.0),
    ("BE-VLG:rural", None, 70.0),
    ("BE-WAL:rural", None, 90.0),
    ("BE:motorway", None, 120.0),
    ("BE:zone30", None, 30.0),
    ("NL:urban", None, 50.0),
    ("NL:rural", None, 80.0),
    ("NL:motorway", None, 100.0),
    ("DE:urban", None, 50.0),
    ("DE:rural", None, 100.0),
    ("DE:motorway", None, 130.0),
    ("DE:zone:30", None, 30.0),
    ("DE:living_street", None, 7.0),
    ("LU:rural", None, 90.0),
    ("FR:rural", None, 80.0),
    ("FR:motorway", None, 130.0),
    ("none", "DE", 130.0),
    ("none", "BE", 120.0),
    ("none", None, NO_LIMIT_KMH),
    ("DE:none", None, 130.0),
    ("walk", None, WALK_KMH),
    ("signals", None, math.nan),
    ("variable", None, math.nan),
    ("RO:urban", None, math.nan),
    ("fast", None, math.nan),
    ("0", None, math.nan),
    ("", None, math.nan),
    (None, None, math.nan),
    (math.nan, None, math.nan),
    ([], None, math.nan),
]


@pytest.mark.parametrize(("value", "country", "expected"), TABLE)
def test_parse_maxspeed_table(value, country, expected) -> None:
    got = parse_maxspeed(value, country=country)
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected)


def test_every_country_has_every_class_with_a_source() -> None:
    assert set(DEFAULT_LIMITS) == {"BE", "NL", "DE", "LU", "FR"}
    for country, table in DEFAULT_LIMITS.items():
        assert set(table) == set(HIGHWAY_CLASSES), country
        for cls, (kmh, source) in table.items():
            assert 5 <= kmh <= 130, (country, cls)
            assert source, (country, cls)
    assert "art. 11" in limit_source("BE", "residential")
    assert "RVV 1990" in limit_source("NL", "primary")
    assert "StVO" in limit_source("DE", "residential")
    assert "art. 139" in limit_source("LU", "motorway")
    assert "R413-2" in limit_source("FR", "motorway")


def test_edge_limits_use_tag_then_country_default() -> None:
    s = SpeedSettings()
    classes = ["motorway", "residential", "weird_class"]
    limits = s.edge_limits_kmh(
        edge_highway=[0, 0, 1, 1, 2, 1],
        highway_classes=classes,
        edge_maxspeed_kmh=[np.nan, 100.0, np.nan, np.nan, np.nan, 2.0],
        edge_country=[0, 1, 1, -1, 0, 0],
        countries=["DE", "NL"],
    )
    # DE motorway default, tag 100, NL residential default, unknown country -> BE fallback,
    # unknown class, tag below the minimum
    assert limits.tolist() == [130.0, 100.0, 50.0, 50.0, 50.0, 5.0]


def test_every_class_has_a_jemss_speed_with_a_source() -> None:
    assert set(CLASS_SPEEDS_KMH) == set(HIGHWAY_CLASSES)
    # JEMSS Utrecht (facts, section Speeds): 113/74/61/50/46/42 km/h, motorway ... unclassified
    assert [CLASS_SPEEDS_KMH[c][0] for c in ("motorway", "trunk", "primary", "secondary", "tertiary",
                                             "unclassified")] == [113, 74, 61, 50, 46, 42]
    assert CLASS_SPEEDS_KMH["motorway_link"][0] == 113 and CLASS_SPEEDS_KMH["residential"][0] == 42
    assert all(source for _, source in CLASS_SPEEDS_KMH.values())


def test_edge_times_are_class_speeds_within_the_limit() -> None:
    kw = dict(edge_length_m=[1000.0, 1000.0, 1000.0, 0.0], edge_highway=[0, 0, 1, 0],
              highway_classes=["primary", "motorway"], edge_maxspeed_kmh=[np.nan, 30.0, np.nan, np.nan],
              edge_country=[0, 0, 0, 0], countries=["NL"])
    t = SpeedSettings(rural_factor=0).edge_times_s(**kw)  # class speeds only (rural roads: below)
    # NL primary: class 61 below the 80 limit; a 30 km/h zone; NL motorway: 100 (day limit) < 113
    assert t[0] == pytest.approx(1000 / (61 * 0.86 / 3.6))
    assert t[1] == pytest.approx(1000 / (30 * 0.86 / 3.6))
    assert t[2] == pytest.approx(1000 / (100 * 0.86 / 3.6))
    assert t[3] > 0  # zero-length edges still take a positive time
    no_tags = SpeedSettings(use_maxspeed=False).edge_limits_kmh(
        edge_highway=[0], highway_classes=["primary"], edge_maxspeed_kmh=[30.0], edge_country=[0],
        countries=["NL"])
    assert no_tags.tolist() == [80.0]
    faster = SpeedSettings(class_kmh={**SpeedSettings().class_kmh, "primary": 200.0},
                           rural_factor=0).edge_times_s(**kw)
    assert faster[0] == pytest.approx(1000 / (80 * 0.86 / 3.6))  # the limit binds


def test_roads_with_a_rural_limit_are_driven_at_a_share_of_it() -> None:
    kw = dict(edge_length_m=[1000.0] * 5, edge_highway=[0, 0, 1, 1, 2],
              highway_classes=["secondary", "primary", "tertiary"],
              edge_maxspeed_kmh=[np.nan, 50.0, 90.0, 70.0, np.nan], edge_country=[0, 0, 1, 1, 0],
              countries=["NL", "BE"])
    t = SpeedSettings().edge_times_s(**kw)
    # an NL secondary road at its rural default (80 km/h): 80 x 0.8 = 64 km/h, not the class's 50 x 0.86
    assert t[0] == pytest.approx(1000 / (80 * 0.8 / 3.6))
    # the same road through a village (50 km/h): the class speed within the limit, as in towns
    assert t[1] == pytest.approx(1000 / (50 * 0.86 / 3.6))
    # BE primary tagged 90 and 70: 72 and 56 km/h (the 70 is rural, RURAL_LIMIT_KMH)
    assert t[2] == pytest.approx(1000 / (90 * 0.8 / 3.6))
    assert t[3] == pytest.approx(1000 / (70 * 0.8 / 3.6))
    # NL tertiary at its 60 km/h default (a rural access road, below the rural limits): class speed
    assert t[4] == pytest.approx(1000 / (46 * 0.86 / 3.6))
    assert (RURAL_FACTOR, RURAL_LIMIT_KMH) == (0.8, 70.0)
    # the class speed stays where it is faster (a 100 km/h motorway: 100 x 0.86 > 100 x 0.8) ...
    mw = SpeedSettings().edge_normal_kmh(edge_highway=[0], highway_classes=["motorway"],
                                         edge_limit_kmh=[100.0])
    assert mw.tolist() == [pytest.approx(86.0)]
    # ... and a rural factor of 0 gives the class speeds everywhere
    assert SpeedSettings(rural_factor=0).edge_times_s(**kw)[0] == pytest.approx(1000 / (50 * 0.86 / 3.6))
    assert SpeedSettings(rural_factor=0.7).cache_key() != SpeedSettings().cache_key()


def test_cache_key_is_stable_and_sensitive() -> None:
    assert SpeedSettings().cache_key() == SpeedSettings().cache_key()
    assert SpeedSettings(normal_factor=0.9).cache_key() != SpeedSettings().cache_key()
    custom = {c: dict(t) for c, t in SpeedSettings().defaults.items()}
    custom["BE"]["residential"] = 30.0
    assert SpeedSettings(defaults=custom).cache_key() != SpeedSettings().cache_key()
    assert SpeedSettings(class_kmh={"motorway": 100.0}).cache_key() != SpeedSettings().cache_key()


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="normal_factor"):
        SpeedSettings(normal_factor=0)
    with pytest.raises(ValueError, match="rural_factor"):
        SpeedSettings(rural_factor=-0.1)
    with pytest.raises(ValueError, match="rural_limit_kmh"):
        SpeedSettings(rural_limit_kmh=0)
    with pytest.raises(ValueError, match="fallback_country"):
        SpeedSettings(fallback_country="XX")
    with pytest.raises(ValueError, match="BE/residential"):
        SpeedSettings(defaults={"BE": {"residential": -1.0}})
    with pytest.raises(ValueError, match="class speed primary"):
        SpeedSettings(class_kmh={"primary": 0.0})


def test_caps_follow_the_dutch_rule_elsewhere_as_a_modelling_choice() -> None:
    # facts: NL ambulances at most 40 km/h over the limit, fire trucks over 5 t at most 20 km/h
    assert SPEED_CAPS["NL"]["ambulance"][0] == 40 and SPEED_CAPS["NL"]["pumper"][0] == 20
    assert "rtvnoord" in SPEED_CAPS["NL"]["ambulance"][1]
    for country in ("BE", "LU", "DE", "FR", None):
        kmh, source = cap_over_limit_kmh(country, "ladder")
        assert kmh == 20 and source.startswith("modelling choice")
    assert cap_over_limit_kmh("BE", "ambulance")[0] == 40
    assert cap_over_limit_kmh("BE", "boat")[0] == 40  # an unknown type: as an ambulance
