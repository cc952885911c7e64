"""Scenario files: every kind of mistake gets one exact line with file, line and field; variants merge."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from sim.cli.main import main
from sim.model.distributions import Dist
from sim.model.units import UNIT_TYPES, UnitType, register_unit_type, unregister_unit_type
from sim.paths import data_dir
from sim.scenario import Scenario, ScenarioError, load_scenario, validate_file
from sim.scenario.quantities import parse_distance, parse_duration, parse_speed

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))

# A small valid scenario. Line numbers below refer to this text (line 1 is "name: t").
GOOD = """\
name: t
region: baarle-turnhout
horizon: 2 d
warmup: 2 h
replications: 2
seed: 1
demand:
  rates:
    BE: {medical_urgent: 30}
stations:
  - name: Turnhout
    country: BE
    dispatch_centre: 112 Antwerpen
    lat: 51.32254
    lon: 4.94471
    source: town centre, approximate
    units: {ambulance: 2}
  - name: Gilze
    country: NL
    lat: 51.54693404
    lon: 4.94681132
    source: RIVM ambulance posts 2019
    units: {ambulance: 1}
    shifts: {ambulance: "07:00-23:00"}
    off_network:
      entry: {lat: 51.45679, lon: 4.944873, source: extract node}
agreements: []
variants:
  national:
    agreements: []
  benelux:
    agreements:
      - name: benelux
        parties: [NL, BE]
        unit_types: [ambulance]
        rule: if_faster_by
        threshold: 3 min
        request_delay: {kind: lognormal, mean: 2 min, sd: 1 min}
"""


def _problems(text: str, *, network: bool = False, tmp_path: Path | None = None) -> list[str]:
    if network:
        assert tmp_path is not None
        f = tmp_path / "s.yaml"
        f.write_text(text, encoding="utf-8")
        return [str(p) for p in validate_file(f)]
    try:
        Scenario.from_text(text, filename="s.yaml")
    except ScenarioError as exc:
        return [str(p) for p in exc.problems]
    return []


def _edit(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


def test_good_scenario_is_valid_and_lines_are_kept() -> None:
    sc = Scenario.from_text(GOOD, filename="s.yaml")
    assert sc.variant_names == ["national", "benelux"]
    assert sc.line_of(("stations", 1, "off_network", "entry")) == 26
    assert sc.line_of(("agreements", 0, "threshold"), "benelux") == 37


# Each kind of mistake, the text that makes it, and the exact message.
BAD = [
    ("unknown key", _edit("    units: {ambulance: 2}\n", "    units: {ambulance: 2}\n    lattitude: 3\n"),
     "s.yaml:18 stations[0].lattitude: unknown key 'lattitude' (allowed: name, country, dispatch_centre, "
     "lat, lon, source, units, shifts, off_network, also_serves, note)"),
    ("misspelt key", _edit("seed: 1", "sed: 1"), "s.yaml:6 sed: unknown key 'sed' (did you mean 'seed'?)"),
    ("latitude out of range", _edit("lat: 51.32254", "lat: 151.32254"),
     "s.yaml:14 stations[0].lat: must be between -90 and 90"),
    ("wrong type", _edit("lon: 4.94471", "lon: east"),
     "s.yaml:15 stations[0].lon: must be a valid number, unable to parse string as a number"),
    ("duration without unit", _edit("warmup: 2 h", "warmup: 7200"),
     "s.yaml:4 warmup: 7200 needs a unit, e.g. '90 s', '15 min', '2 h' or '28 d'"),
    ("wrong unit", _edit("threshold: 3 min", "threshold: 3 km"),
     "s.yaml:37 agreements[0].threshold (variant 'benelux'): '3 km' is not a duration: unit 'km' is not "
     "one of s, min, h, d, w"),
    ("negative rate", _edit("medical_urgent: 30", "medical_urgent: -30"),
     "s.yaml:9 demand.rates.BE.medical_urgent: must be between 0 and 1000 (per 1,000 inhabitants per year)"),
    ("unknown incident type in rates", _edit("medical_urgent: 30", "medical_urgnet: 30"),
     "s.yaml:9 demand.rates.BE.medical_urgnet: unknown incident type 'medical_urgnet' "
     "(did you mean 'medical_urgent'?)"),
    ("unknown unit type", _edit("units: {ambulance: 2}", "units: {firetruck: 2}"),
     "s.yaml:17 stations[0].units.firetruck: unknown unit type 'firetruck' (known: ambulance, smur, "
     "pumper, ladder)"),
    ("missing source", _edit("    source: town centre, approximate\n", ""),
     "s.yaml:11 stations[0].source: missing (required)"),
    ("empty variants", GOOD[:GOOD.index("variants:")] + "variants: {}\n",
     "s.yaml:28 variants: must name at least one variant, e.g. national: {agreements: []}"),
    ("empty variant", _edit("  national:\n    agreements: []\n", "  national: {}\n"),
     "s.yaml:29 variants.national: empty variant: give the keys it changes, e.g. agreements: []"),
    ("variant changes the seed", _edit("  national:\n    agreements: []\n", "  national:\n    seed: 3\n"),
     "s.yaml:30 variants.national.seed: cannot change in a variant: every variant shares region, "
     "network, horizon, warm-up, replications, seed, focus and speeds"),
    ("variant changes the speeds", _edit("  national:\n    agreements: []\n",
                                         "  national:\n    speeds: {lights_and_sirens: 1.3}\n"),
     "s.yaml:30 variants.national.speeds: cannot change in a variant: every variant shares region, "
     "network, horizon, warm-up, replications, seed, focus and speeds"),
    ("unknown road class", GOOD + "speeds:\n  class_speeds: {motorways: 100 km/h}\n",
     "s.yaml:40 speeds.class_speeds.motorways: unknown road class 'motorways' (did you mean 'motorway'?)"),
    ("negative cap", GOOD + "speeds:\n  caps: {BE: {pumper: -20 km/h}}\n",
     "s.yaml:40 speeds.caps.BE.pumper: must be between 0 and 250 km/h"),
    ("unknown unit type of a cap", GOOD + "speeds:\n  caps: {BE: {firetruck: 20 km/h}}\n",
     "s.yaml:40 speeds.caps.BE.firetruck: unknown unit type 'firetruck' (known: ambulance, smur, "
     "pumper, ladder)"),
    ("off-network station without an entry point",
     _edit("      entry: {lat: 51.45679, lon: 4.944873, source: extract node}\n", "      note: far\n"),
     "s.yaml:25 stations[1].off_network: an off-network station needs an entry point (entry, or entries)"),
    ("distribution missing a parameter", _edit("{kind: lognormal, mean: 2 min, sd: 1 min}",
                                               "{kind: lognormal, mean: 2 min}"),
     "s.yaml:38 agreements[0].request_delay (variant 'benelux'): a lognormal distribution takes mean "
     "and sd; missing sd"),
    ("warm-up longer than horizon", _edit("warmup: 2 h", "warmup: 3 d"),
     "s.yaml:4 warmup: must be shorter than the horizon"),
    ("duplicate station", _edit("  - name: Gilze\n", "  - name: Turnhout\n"),
     "s.yaml:18 stations[1].name: 'Turnhout' is used twice (also stations[0])"),
    ("threshold rule without threshold", _edit("        threshold: 3 min\n", ""),
     "s.yaml:33 agreements[0].threshold (variant 'benelux'): rule if_faster_by needs a threshold above 0 s"),
    ("shift", _edit('"07:00-23:00"', '"day"'),
     "s.yaml:24 stations[1].shifts.ambulance: 'day' is not a shift: write '24h' or 'HH:MM-HH:MM', "
     "e.g. '07:00-23:00'"),
    ("duplicate key", _edit("seed: 1\n", "seed: 1\nseed: 2\n"),
     "s.yaml:7 seed: duplicate key (the earlier one would be ignored)"),
    ("YAML syntax", _edit("units: {ambulance: 2}", "units: {ambulance: 2"),
     "s.yaml:18: not valid YAML: while parsing a flow mapping expected ',' or '}', but got ':'"),
    ("wrong unit of a speed", _edit("      entry: {lat: 51.45679, lon: 4.944873, source: extract node}\n",
                                    "      entry: {lat: 51.45679, lon: 4.944873, source: extract node}\n"
                                    "      speed: 90 km\n"),
     "s.yaml:27 stations[1].off_network.speed: '90 km' is not a speed: unit 'km' is not one of km/h"),
    ("unknown country", _edit("    BE: {medical_urgent: 30}", "    UK: {medical_urgent: 30}"),
     "s.yaml:9 demand.rates.UK: unknown country 'UK' (known: BE, NL, LU, DE, FR)"),
    ("fractional unit count", _edit("units: {ambulance: 2}", "units: {ambulance: 2.5}"),
     "s.yaml:17 stations[0].units.ambulance: must be a valid integer, got a number with a fractional part"),
    ("unknown rule", _edit("rule: if_faster_by", "rule: if_faster"),
     "s.yaml:36 agreements[0].rule (variant 'benelux'): must be 'always_fastest', 'if_faster_by', "
     "'if_home_eta_over', 'if_no_home_unit' or 'if_home_short_or_slower'"),
    ("unknown visibility", _edit("rule: if_faster_by", "rule: if_faster_by\n        visibility: partial"),
     "s.yaml:37 agreements[0].visibility (variant 'benelux'): must be 'station' or 'full'"),
    ("unknown unit type of an agreement", _edit("unit_types: [ambulance]", "unit_types: [ambulanse]"),
     "s.yaml:35 agreements[0].unit_types[0] (variant 'benelux'): must be 'ambulance', 'smur', 'pumper' "
     "or 'ladder'"),
    ("unknown country of a station", _edit("    country: BE\n", "    country: UK\n"),
     "s.yaml:12 stations[0].country: must be 'BE', 'NL', 'LU', 'DE' or 'FR'"),
    ("unknown unit type on scene", GOOD + "incident_types:\n  - name: medical_urgent\n    urgency: 1\n"
     "    needs: {ambulance: 1}\n    on_scene: {ambulanse: 10 min}\n",
     "s.yaml:43 incident_types[0].on_scene.ambulanse: unknown unit type 'ambulanse' (known: ambulance, "
     "smur, pumper, ladder, default)"),
]


@pytest.mark.parametrize(("kind", "text", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_scenario_gets_its_exact_message(kind: str, text: str, message: str) -> None:
    problems = _problems(text)
    assert message in problems, (kind, problems)


def test_every_problem_is_reported_at_once() -> None:
    text = _edit("lat: 51.32254", "lat: 151.32254").replace("seed: 1", "seed: -1")
    text = text.replace("medical_urgent: 30", "medical_urgent: -30")
    problems = _problems(text)
    assert [p.split(" ")[0] for p in problems] == ["s.yaml:6", "s.yaml:9", "s.yaml:14"]


NETWORK_BAD = [
    ("unknown region", _edit("region: baarle-turnhout", "region: baarle"),
     "s.yaml:2 region: unknown region 'baarle' (did you mean 'baarle-turnhout'?); or a path to a region "
     f"folder (data: {data_dir()})"),
    ("station off the network", _edit("    units: {ambulance: 1}\n    shifts", "    units: {ambulance: 1}\n"
                                      "    shifts").replace(
        "    off_network:\n      entry: {lat: 51.45679, lon: 4.944873, source: extract node}\n", ""),
     "s.yaml:18 stations[1]: 'Gilze' is 8.8 km from the nearest road of the network (more than 1 km): "
     "move it or declare off_network with an entry point on a border road"),
    ("entry point off the network", _edit("entry: {lat: 51.45679", "entry: {lat: 51.55679"),
     "s.yaml:26 stations[1].off_network.entry: the entry point is 9.8 km from the network (at most 1 km)"),
    ("unknown dispatch centre", _edit("dispatch_centre: 112 Antwerpen", "dispatch_centre: 112 Antwerp"),
     "s.yaml:13 stations[0].dispatch_centre: unknown dispatch centre '112 Antwerp' "
     "(did you mean '112 Antwerpen'?)"),
    ("unknown agreement party", _edit("parties: [NL, BE]", "parties: [NL, LU]"),
     "s.yaml:34 agreements[0].parties[1] (variant 'benelux'): unknown party (country or dispatch centre) "
     "'LU' (known: 112 Antwerpen, BE, Meldkamer (NL), NL)"),
]


@pytest.mark.parametrize(("kind", "text", "message"), NETWORK_BAD, ids=[b[0] for b in NETWORK_BAD])
def test_network_problems_get_their_exact_message(kind: str, text: str, message: str,
                                                  tmp_path: Path) -> None:
    assert _problems(text) == []  # the schema alone accepts it
    problems = _problems(text, network=True, tmp_path=tmp_path)
    assert message in problems, (kind, problems)


def test_validate_command_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    f = tmp_path / "baarle.yaml"
    f.write_text(_edit("lat: 51.32254", "lat: 151.32254").replace("warmup: 2 h", "warmup: 2"),
                 encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "sim.cli", "validate", str(f)], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines == ["baarle.yaml:4 warmup: 2 needs a unit, e.g. '90 s', '15 min', '2 h' or '28 d'",
                     "baarle.yaml:14 stations[0].lat: must be between -90 and 90",
                     "baarle.yaml: 2 problems"]


def test_validate_command_on_missing_file_and_good_file(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "no such scenario file" in capsys.readouterr().err
    f = tmp_path / "ok.yaml"
    f.write_text(GOOD, encoding="utf-8")
    assert main(["validate", str(f)]) == 0
    assert "ok.yaml: OK — 2 variant(s) (national, benelux)" in capsys.readouterr().out


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_bundled_scenarios_are_valid(path: Path) -> None:
    assert validate_file(path) == []
    sc = load_scenario(path)
    assert len(sc.variants) >= 2
    for st in sc.base.stations:  # every coordinate carries its source
        assert st.source.strip()
        if st.off_network is not None:
            assert st.off_network.entry.source.strip()


def test_bundled_default_scenario_variants() -> None:
    sc = load_scenario(REPO / "scenarios" / "baarle-turnhout.yaml")
    assert sc.variant_names[:4] == ["national", "benelux-2009", "benelux-2009-faster-by", "fastest-unit"]
    region = sc.load_region()
    specs = sc.model_specs(region)
    assert specs["national"].agreements == ()
    corps = {s.name: s for s in specs["national"].stations}["Baarle joint fire corps (NL-BE)"]
    assert corps.also_serves == ()
    corps = {s.name: s for s in specs["benelux-2009"].stations}["Baarle joint fire corps (NL-BE)"]
    assert corps.also_serves == ("112 Antwerpen",)
    (ag,) = specs["benelux-2009"].agreements
    assert (ag.rule, ag.threshold_s, ag.unit_types) == ("if_home_short_or_slower", 900.0, ("ambulance",))
    assert ag.request_delay == Dist.lognormal(120.0, 60.0, cap=600.0) and ag.visibility == "station"
    (alt,) = specs["benelux-2009-faster-by"].agreements
    assert (alt.rule, alt.threshold_s, alt.visibility) == ("if_faster_by", 180.0, "station")
    (fast,) = specs["fastest-unit"].agreements
    assert fast.rule == "always_fastest" and fast.request_delay == Dist.fixed(0.0)
    assert fast.visibility == "full"
    gilze = {s.name: s for s in specs["national"].stations}["Gilze"]
    assert gilze.off_network is not None and gilze.dispatch_centre == "Meldkamer (NL)"
    assert (gilze.shifts["ambulance"].start_hour, gilze.shifts["ambulance"].end_hour) == (7.0, 23.0)
    names = [p.name for p in specs["national"].places]
    assert "Baarle-Hertog" not in names and "Baarle-Hertog (enclaves)" in names
    assert specs["national"].horizon_s == 28 * 86400.0


def test_named_list_edits_in_variants() -> None:
    text = GOOD + """\
  lean:
    stations:
      Gilze: null
      Turnhout: {units: {ambulance: 1}}
      Hoogstraten: {country: BE, lat: 51.40029, lon: 4.76034, source: town centre, units: {ambulance: 1}}
"""
    sc = Scenario.from_text(text, filename="s.yaml")
    st = sc.variants["lean"].stations
    assert [s.name for s in st] == ["Turnhout", "Hoogstraten"]
    assert st[0].units == {"ambulance": 1} and st[0].source == "town centre, approximate"
    assert [s.name for s in sc.variants["national"].stations] == ["Turnhout", "Gilze"]
    # an error inside a name-addressed edit points at the variant's line
    bad = text.replace("Turnhout: {units: {ambulance: 1}}", "Turnhout: {units: {ambulance: -1}}")
    assert ("s.yaml:42 stations[0].units.ambulance (variant 'lean'): must be between 0 and 100"
            in _problems(bad))


def test_focus_area_of_the_enclaves() -> None:
    sc = load_scenario(REPO / "scenarios" / "baarle-turnhout.yaml")
    # in enclave H1; Baarle-Nassau centre (NL); Turnhout (main Belgian territory)
    m = sc.focus_masks([51.43754, 51.4475, 51.32254], [4.92972, 4.92917, 4.94471], ["BE", "NL", "BE"])
    assert m["Baarle-Hertog enclaves"].tolist() == [True, False, False]


def test_quantities() -> None:
    assert parse_duration("90 s") == 90 and parse_duration("15 min") == 900
    assert parse_duration("2 h") == 7200 and parse_duration("1.5 d") == 129_600
    assert parse_distance("1.5 km") == 1500 and parse_speed("70 km/h") == 70
    for bad in (90, "90", "90 parsecs", True):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_scenario_as_run_round_trips() -> None:
    sc = Scenario.from_text(GOOD, filename="s.yaml")
    again = Scenario.from_text(sc.as_run_yaml(replications=7, seed=99), filename="again.yaml")
    assert again.replications == 7 and again.seed == 99
    assert again.variants["benelux"] == sc.variants["benelux"].model_copy(update={"replications": 7,
                                                                                  "seed": 99})
    assert np.isclose(again.base.horizon, 2 * 86400)


def test_omitted_distributions_default_to_zero() -> None:
    # an incident type without handover and an agreement without request_delay are valid: fixed 0 s
    text = GOOD.replace("        request_delay: {kind: lognormal, mean: 2 min, sd: 1 min}\n", "") + """\
incident_types:
  - name: medical_urgent
    urgency: 1
    needs: {ambulance: 1}
"""
    sc = Scenario.from_text(text, filename="s.yaml")
    (itype,) = sc.variants["benelux"].incident_types or []
    assert itype.handover.to_dist() == Dist.fixed(0.0)
    assert sc.variants["benelux"].agreements[0].request_delay.to_dist() == Dist.fixed(0.0)


def test_major_incident_replays_its_log() -> None:
    sc = load_scenario(REPO / "scenarios" / "major-incident.yaml")
    spec = sc.model_spec("national", sc.load_region())
    log = spec.incident_log
    assert log is not None and len(log.t_s) == 12
    assert sorted(set(log.type)) == ["casualty_t1", "casualty_t2", "rescue"]
    # every casualty at one spot inside the Baarle-Hertog enclaves
    enclave = load_scenario(REPO / "scenarios" / "baarle-turnhout.yaml").focus_masks(
        log.lat[:1], log.lon[:1], ["BE"])["Baarle-Hertog enclaves"]
    assert enclave.tolist() == [True] and len(set(zip(log.lat, log.lon, strict=True))) == 1


def test_incident_log_problems_name_the_file(tmp_path: Path) -> None:
    text = _edit("demand:\n", "demand:\n  incident_log: calls.csv\n")
    log = tmp_path / "calls.csv"
    assert _problems(text, network=True, tmp_path=tmp_path) == [
        f"s.yaml:8 demand.incident_log: incident log {log}: no such file"]
    log.write_text("t_s,lat,lon,type\n10,51.44,4.93,heart_attack\n", encoding="utf-8")
    assert _problems(text, network=True, tmp_path=tmp_path) == [
        f"s.yaml:8 demand.incident_log: incident log {log}:2: unknown incident type 'heart_attack' "
        "(known: cardiac_arrest, fire_small, medical_a2, medical_non_urgent, medical_urgent, road_collision, "
        "structure_fire)"]
    log.write_text("t_s,lat,lon\n10,51.44,4.93\n", encoding="utf-8")
    assert _problems(text, network=True, tmp_path=tmp_path) == [
        f"s.yaml:8 demand.incident_log: incident log {log}:1: missing column(s) type "
        "(needs t_s, lat, lon, type)"]


# A scenario using a unit type that only a registration adds (the recipe "add a unit type").
DRONE = GOOD.replace("units: {ambulance: 2}", "units: {ambulance: 2, drone: 1}") + """\
turnout:
  drone: {day: 1 min}
incident_types:
  - name: medical_urgent
    urgency: 1
    needs: {ambulance: 1}
    optional_needs: {drone: {share: 0.5}}
    on_scene: {drone: 5 min}
  - name: defibrillator
    urgency: 1
    needs: {drone: 1}
"""


@pytest.fixture
def drone() -> Iterator[str]:
    """A test-only unit type in :data:`UNIT_TYPES` for the duration of one test."""
    register_unit_type(UnitType("drone", "ambulance", UNIT_TYPES["ambulance"].turnout,
                                description="test-only defibrillator drone"))
    yield "drone"
    unregister_unit_type("drone")


def test_a_registered_unit_type_is_accepted_by_scenario_files(drone: str) -> None:
    sc = Scenario.from_text(DRONE, filename="s.yaml")
    doc = sc.variants["benelux"]
    assert doc.stations[0].units == {"ambulance": 2, drone: 1}
    assert doc.incident_types is not None and doc.incident_types[1].needs == {drone: 1}
    spec = sc.model_spec("benelux", sc.load_region())
    assert spec.stations[0].units == {"ambulance": 2, drone: 1}
    assert spec.turnout[drone].day == Dist.fixed(60.0)
    assert spec.incident_types[0].optional_needs == {drone: (1, 0.5)}


def test_a_misspelt_registered_unit_type_is_refused_with_the_known_types(drone: str) -> None:
    problems = _problems(DRONE.replace("needs: {drone: 1}", "needs: {dron: 1}"))
    assert problems == ["s.yaml:49 incident_types[1].needs.dron: unknown unit type 'dron' "
                        "(known: ambulance, smur, pumper, ladder, drone)"]
    problems = _problems(DRONE.replace("ambulance: 2, drone: 1", "ambulance: 2, drones: 1"))
    assert problems == ["s.yaml:17 stations[0].units.drones: unknown unit type 'drones' "
                        "(known: ambulance, smur, pumper, ladder, drone)"]


def test_an_unregistered_unit_type_is_refused() -> None:
    assert "drone" not in UNIT_TYPES
    assert "s.yaml:17 stations[0].units.drone: unknown unit type 'drone' (known: ambulance, smur, pumper, "\
           "ladder)" in _problems(DRONE)


def test_the_speeds_block_sets_the_driving_model_and_the_networks_times() -> None:
    text = GOOD + ("speeds:\n  class_speeds: {primary: 80 km/h}\n  normal_factor: 0.9\n"
                   "  rural_factor: 0.75\n  lights_and_sirens: 1.3\n  relative_speed: {pumper: 0.8}\n"
                   "  caps: {BE: {ambulance: 30 km/h}}\n  start_stop: {ambulance: 5 s}\n"
                   "  variability: 0.2\n")
    sc = Scenario.from_text(text, filename="s.yaml")
    region = sc.load_region()
    d = sc.model_spec("national", region).driving
    assert d.roads.class_kmh["primary"] == 80.0 and d.roads.class_kmh["motorway"] == 113.0
    assert d.roads.normal_factor == 0.9 and d.lights_and_sirens == 1.3
    assert d.roads.rural_factor == 0.75 and d.variability == 0.2
    assert d.relative("pumper") == 0.8 and d.relative("ladder") == 0.83
    assert d.cap_kmh("BE", "ambulance") == 30.0 and d.cap_kmh("NL", "ambulance") == 40.0
    assert d.start_stop("ambulance") == 5.0
    # the network is timed with the block's road speeds, and the engine checks it
    assert region.network.meta["speed_key"] == d.roads.cache_key()
    default = Scenario.from_text(GOOD, filename="s.yaml")
    plain = default.model_spec("national", default.load_region()).driving
    assert plain.roads.cache_key() != d.roads.cache_key()


def test_an_off_network_station_may_list_several_entries(tmp_path: Path) -> None:
    extra = ("      entries:\n"
             "        - {name: Poppel, lat: 51.47112, lon: 5.048395, source: extract node,\n"
             "           access_time: 9 min}\n")
    text = _edit("      entry: {lat: 51.45679, lon: 4.944873, source: extract node}\n",
                 "      entry: {lat: 51.45679, lon: 4.944873, source: extract node}\n" + extra)
    sc = Scenario.from_text(text, filename="s.yaml")
    gilze = sc.model_spec("national", sc.load_region()).stations[1]
    assert gilze.off_network is not None
    entries = gilze.off_network.entries
    assert [(e.name, e.access_time_s) for e in entries] == [("", None), ("Poppel", 540.0)]
    assert _problems(text, network=True, tmp_path=tmp_path) == []
    far = text.replace("lat: 51.47112", "lat: 51.57112")
    assert _problems(far, network=True, tmp_path=tmp_path) == [
        "s.yaml:28 stations[1].off_network.entries[0]: the entry point is 9.4 km from the network "
        "(at most 1 km)"]


def test_emergency_departments_set_the_flag_of_region_hospitals(tmp_path: Path) -> None:
    polyclinic = "Bravis Ziekenhuis - Bravis Ziekenhuis Polikliniek Etten-Leur"  # NL row: 'unknown'
    joostens = "ZIEKENHUISNETWERK ANTWERPEN - ZNA JOOSTENS"  # BE row: 'no'
    text = GOOD + ("emergency_departments:\n"
                   f"  - {{name: {polyclinic}, emergency: false, source: an outpatient clinic}}\n"
                   f"  - {{name: {joostens}, source: a test says so}}\n")
    sc = Scenario.from_text(text, filename="s.yaml")
    region = sc.load_region()
    before = {h.name: h for h in region.hospitals}
    after = {h.name: h for h in sc.model_spec("national", region).hospitals}
    assert before[polyclinic].emergency and not after[polyclinic].emergency
    assert not before[joostens].emergency and after[joostens].emergency
    assert after[joostens].source == f"{before[joostens].source}; emergency department: a test says so"
    assert {n for n in before if before[n] != after[n]} == {polyclinic, joostens}
    assert _problems(text, network=True, tmp_path=tmp_path) == []
    line = GOOD.count("\n") + 3
    assert _problems(text.replace("ZNA JOOSTENS", "ZNA JOOSTEN"), network=True, tmp_path=tmp_path) == [
        f"s.yaml:{line} emergency_departments[1].name: unknown hospital 'ZIEKENHUISNETWERK ANTWERPEN - ZNA "
        f"JOOSTEN' (did you mean {joostens!r}?)"]
    hospital = "  - {name: H, country: BE, lat: 51.32254, lon: 4.94471, source: test}\n"
    listed = text.replace("agreements: []\nvariants:", f"agreements: []\nhospitals:\n{hospital}variants:", 1)
    assert _problems(listed, network=True, tmp_path=tmp_path) == [
        f"s.yaml:{line} emergency_departments: applies to the region's hospitals (hospitals: region); a "
        "hospitals list gives each hospital its own emergency flag"]
