"""A table of hostile inputs: broken scenario files, incident logs, region folders and their CSVs.

Every case is a small edit of one template, ``scenarios/baarle-turnhout.yaml`` shortened to two
days and one replication, and says what must happen:

- ``error``: ``xborder validate`` exits 2 with one line per problem, each naming the file, and
  the line and field where there is one (``Case.where`` lists text the message must hold);
- ``ok``: the file is accepted (exit 0), and if ``Case.run`` is set ``xborder run`` exits 0 with
  a result that is not silently wrong (see ``test_hostile.check_result``).

``python3 tests/hostile/cases.py`` prints the number of cases by category.
"""

from __future__ import annotations

import copy
import functools
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.model.defaults import default_incident_types

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "scenarios" / "baarle-turnhout.yaml"
LOG = REPO / "scenarios" / "major-incident-log.csv"
SCENARIO = "scenario.yaml"


@dataclass(frozen=True)
class Link:
    """A file of the bundled data linked into a case's folder (``{data}`` is ``$XBORDER_DATA``)."""

    target: str


@dataclass(frozen=True)
class Sparse:
    """A file of `size` zero bytes that takes no disk (a sparse file)."""

    size: int


FileContent = str | bytes | Link | Sparse


@dataclass(frozen=True)
class Case:
    """One hostile input and what must come of it."""

    category: str
    name: str
    scenario: str | bytes
    expect: str = "error"
    where: tuple[str, ...] = ()
    files: dict[str, FileContent] = field(default_factory=dict)
    path: str = SCENARIO
    run: bool = False
    incidents: int | None = None
    known: str = ""
    """A defect outside the scenario layer that this case shows (the test is an expected failure)."""

    @property
    def id(self) -> str:
        return f"{self.category}/{self.name}"


class Raw:
    """A value written into the YAML text as is (``.inf``, ``yes``, an alias), not as YAML data."""

    def __init__(self, text: str) -> None:
        self.text = text


@functools.cache
def _template() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    data.pop("uncertain", None)  # the cases edit the fields it addresses; it has cases of its own
    data.update(name="hostile", horizon="2 d", warmup="2 h", replications=1, seed=7)
    return data


def template() -> dict[str, Any]:
    """The bundled Baarle-Turnhout scenario on two days, one replication (a fresh copy)."""
    return copy.deepcopy(_template())


def dump(data: dict[str, Any]) -> str:
    """YAML text of `data`, with each :class:`Raw` value written verbatim."""
    raws: list[str] = []

    def swap(v: Any) -> Any:
        if isinstance(v, Raw):
            raws.append(v.text)
            return f"RAWVALUE{len(raws) - 1}X"
        if isinstance(v, dict):
            return {k: swap(x) for k, x in v.items()}
        if isinstance(v, list):
            return [swap(x) for x in v]
        return v

    text = yaml.safe_dump(swap(data), sort_keys=False, allow_unicode=True, width=200)
    for i, raw in reversed(list(enumerate(raws))):
        text = text.replace(f"RAWVALUE{i}X", raw)
    return text


def edited(path: tuple[Any, ...], value: Any, base: dict[str, Any] | None = None) -> str:
    """The template with the value at `path` replaced (``DELETE`` removes the key)."""
    data = copy.deepcopy(base if base is not None else template())
    node: Any = data
    for part in path[:-1]:
        if isinstance(node, dict) and part not in node:
            node[part] = {}
        node = node[part]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return dump(data)


DELETE = object()


def dotted(path: tuple[Any, ...]) -> str:
    """``("stations", 3, "lat")`` -> ``stations[3].lat``, as messages name a field."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


# ------------------------------------------------------------------------------------------ categories

CATEGORIES: dict[str, Callable[[], Iterator[Case]]] = {}


def category(name: str) -> Callable[[Callable[[], Iterator[Case]]], Callable[[], Iterator[Case]]]:
    def register(fn: Callable[[], Iterator[Case]]) -> Callable[[], Iterator[Case]]:
        CATEGORIES[name] = fn
        return fn

    return register


def _with_benelux(data: dict[str, Any]) -> dict[str, Any]:
    """The template with the Benelux agreement in the base document (for agreement edits)."""
    data["agreements"] = copy.deepcopy(data["variants"]["benelux-2009"]["agreements"])
    return data


@category("syntax and encoding")
def syntax() -> Iterator[Case]:
    c = "syntax and encoding"
    good = dump(template())
    lines = good.splitlines(keepends=True)
    at = next(i for i, s in enumerate(lines) if s.startswith("description:"))
    for code in (0x00, 0x07, 0x08, 0x0B, 0x0C, 0x1B, 0x7F, 0x80, 0x9B, 0x9F, 0xFFFE, 0xFFFF):
        for where, text in (
            ("value", "".join(lines[:at]) + f"description: a{chr(code)}b\n" + "".join(lines[at + 1 :])),
            ("comment", f"# note {chr(code)}\n" + good),
        ):
            line = at + 1 if where == "value" else 1
            yield Case(c, f"U+{code:04X} in a {where}", text, where=(f"{SCENARIO}:{line}", f"U+{code:04X}"))
    yield Case(
        c,
        "escaped control character in a name",
        good.replace("name: hostile", 'name: "host\\x07ile"', 1),
        expect="ok",
    )
    yield Case(
        c,
        "escaped BEL in a station name",
        good.replace("- name: Hoogstraten ambulance", '- name: "Hoog\\astraten"', 1),
        where=("stations[2].name", "U+0007"),
    )
    yield Case(
        c,
        "latin-1 byte",
        good.replace("Noorderkempen", "Noorderk\u00e9mpen").encode("latin-1"),
        where=(f"{SCENARIO}:", "not UTF-8"),
    )
    yield Case(c, "UTF-16 with BOM", good.encode("utf-16"), where=("not UTF-8",))
    yield Case(c, "UTF-32", good.encode("utf-32"), where=("not UTF-8",))
    yield Case(c, "truncated UTF-8 sequence", good.encode() + b"\xe2\x82", where=("not UTF-8",))
    yield Case(c, "surrogate bytes", good.encode() + b"# \xed\xa0\x80\n", where=("not UTF-8",))
    yield Case(c, "random binary", bytes(range(256)) * 8, where=(SCENARIO,))
    yield Case(c, "UTF-8 BOM", "\ufeff" + good, expect="ok")
    yield Case(c, "CRLF line ends", good.replace("\n", "\r\n"), expect="ok")
    yield Case(c, "tab indentation", good.replace("\n  ", "\n\t", 1), where=("not valid YAML",))
    yield Case(c, "unclosed flow list", good + "extra: [1, 2\n", where=("not valid YAML",))
    yield Case(c, "unclosed quote", good + 'extra: "abc\n', where=("not valid YAML",))
    yield Case(c, "mapping in a scalar", good + "extra: a: b\n", where=("not valid YAML",))
    yield Case(c, "two documents", good + "---\nname: again\n", where=("not valid YAML",))
    yield Case(c, "empty file", "", where=(f"{SCENARIO}:1", "empty"))
    yield Case(c, "only comments", "# nothing here\n# at all\n", where=("empty",))
    yield Case(c, "null document", "null\n", where=("mapping of keys",))
    yield Case(c, "top-level list", "- a\n- b\n", where=("mapping of keys",))
    yield Case(c, "top-level scalar", "just text\n", where=("mapping of keys",))
    yield Case(c, "complex key (list)", good + "? [a, b]\n: 1\n", where=("a list as a key",))
    yield Case(c, "complex key (mapping)", good + "? {a: 1}\n: 1\n", where=("a mapping as a key",))
    yield Case(
        c,
        "complex key inside stations",
        edited(("stations", 0, "units"), Raw("{ambulance: 1, [x]: 2}")),
        where=("stations[0].units has a list as a key",),
    )
    yield Case(c, "recursive alias (list)", good + "extra: &x [*x]\n", where=("recursive alias",))
    yield Case(c, "recursive alias (mapping)", good + "extra: &x {a: *x}\n", where=("recursive alias",))
    yield Case(c, "recursive merge", good + "extra: &x {<<: *x}\n", where=("merge key",))
    yield Case(
        c,
        "nesting 2000 deep (flow)",
        good + "extra: " + "[" * 2000 + "]" * 2000 + "\n",
        where=("levels deep",),
    )
    block = "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "v: 1\n"
    yield Case(c, "nesting 100 deep (block)", good + block, where=("levels deep",))
    yield Case(
        c,
        "nesting 30 deep is read, then refused as unknown",
        good + "extra: " + "[" * 30 + "]" * 30 + "\n",
        where=("extra", "unknown key"),
    )
    laughs = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 10)
    )
    yield Case(c, "billion laughs", good + laughs, where=("more than 100,000 values",))
    merges = "extra:\n  m0: &m0 {a: 1, b: 2}\n" + "".join(
        f"  m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: 1}}\n" for i in range(1, 60)
    )
    yield Case(c, "merge-key bomb", good + merges, where=("extra", "unknown key"))
    yield Case(
        c,
        "merge key used well",
        good.replace("policy:\n", "base_policy: &p {hospital: nearest}\npolicy:\n  <<: *p\n", 1),
        where=("base_policy", "unknown key"),
    )
    yield Case(c, "file of 2 MiB", good + "# " + "x" * (2 << 20) + "\n", where=("larger than 1 MiB",))
    yield Case(c, "long description (500 kB)", edited(("description",), "x" * 500_000), expect="ok")
    yield Case(
        c,
        "python tag",
        good + "extra: !!python/object/apply:os.system [echo hi]\n",
        where=(f"{SCENARIO}:{len(lines) + 1}", "tag"),
    )
    yield Case(
        c,
        "python tag on a scalar",
        good + "extra: !!python/name:os.system ''\n",
        where=(f"{SCENARIO}:{len(lines) + 1}", "not valid YAML"),
    )
    yield Case(c, "set tag", good + "extra: !!set {a, b}\n", where=("tag",))
    yield Case(c, "unknown tag", good + "extra: !foo bar\n", where=("not valid YAML",))
    yield Case(c, "binary tag", good + "extra: !!binary aGVsbG8=\n", where=("extra", "unknown key"))
    yield Case(c, "duplicate key", good + "horizon: 3 d\n", where=("horizon", "duplicate key"))
    yield Case(c, "seed of 5,000 digits", edited(("seed",), Raw("1" * 5000)), where=("seed",))
    yield Case(
        c,
        "units of 5,000 digits (tagged)",
        edited(("stations", 0, "units", "ambulance"), Raw("!!int " + "1" * 5000)),
        where=(f"{SCENARIO}:", "stations[0].units.ambulance", "cannot read"),
    )
    yield Case(
        c,
        "latitude of 100,000 digits",
        edited(("stations", 0, "lat"), Raw("0." + "1" * 100_000)),
        where=("stations[0]", "km from the nearest road"),
    )
    yield Case(
        c,
        "impossible date (tagged)",
        edited(("description",), Raw("!!timestamp 2020-13-45")),
        where=("description", "cannot read"),
    )
    yield Case(c, "a date as a name", edited(("name",), Raw("2020-01-01")), expect="ok")
    yield Case(
        c, "float tag on text", edited(("horizon",), Raw("!!float abc")), where=("horizon", "cannot read")
    )
    yield Case(c, "scenario path is a folder", good, path="folder", where=("folder",))
    yield Case(
        c, "scenario path is /dev/zero", good, path="/dev/zero", where=("/dev/zero", "not a regular file")
    )
    yield Case(
        c, "scenario path is /dev/null", good, path="/dev/null", where=("/dev/null", "not a regular file")
    )
    yield Case(c, "scenario path does not exist", good, path="missing.yaml", where=("no such scenario file",))


QUANTITY_FIELDS: list[tuple[str, tuple[Any, ...], Callable[[dict[str, Any]], dict[str, Any]] | None]] = [
    ("horizon", ("horizon",), None),
    ("warmup", ("warmup",), None),
    ("spread", ("demand", "spread"), None),
    ("max_place_distance", ("demand", "max_place_distance"), None),
    ("off-network speed", ("stations", 12, "off_network", "speed"), None),
    ("off-network access time", ("stations", 12, "off_network", "access_time"), None),
    ("agreement threshold", ("agreements", 0, "threshold"), _with_benelux),
    ("agreement request delay", ("agreements", 0, "request_delay"), _with_benelux),
    ("turnout", ("turnout", "ambulance", "day"), None),
    ("call processing", ("policy", "call_processing"), None),
    ("norm limit", ("norms", "BE", "limit"), None),
]
"""Fields holding a quantity with a unit, and how to make the template hold them."""

HOSTILE_QUANTITIES: list[tuple[str, Any]] = [
    ("1e400 unit", "1e400 {unit}"),
    ("-5 unit", "-5 {unit}"),
    (".inf", Raw(".inf")),
    (".nan", Raw(".nan")),
    ("no unit", 90),
    ("unknown unit", "90 parsecs"),
    ("true", Raw("true")),
    ("1e12 unit", "1e12 {unit}"),
    ("a list", [1, 2]),
]
_UNIT = {"spread": "m", "max_place_distance": "km", "off-network speed": "km/h"}


@category("quantities")
def quantities() -> Iterator[Case]:
    for label, path, prep in QUANTITY_FIELDS:
        base = prep(template()) if prep else template()
        if label == "turnout":
            base["turnout"] = {"ambulance": {"day": "2 min"}}
        if label == "norm limit":
            base["norms"] = {"BE": {"limit": "15 min", "share": 0.9, "source": "test"}}
        unit = _UNIT.get(label, "min")
        for vlabel, value in HOSTILE_QUANTITIES:
            v = value.replace("{unit}", unit) if isinstance(value, str) else value
            yield Case("quantities", f"{label}: {vlabel}", edited(path, v, base), where=(dotted(path),))
    yield Case("quantities", "horizon 0 s", edited(("horizon",), "0 s"), where=("horizon",))
    yield Case("quantities", "horizon of 100 years", edited(("horizon",), "36500 d"), where=("horizon",))
    yield Case("quantities", "warm-up as long as the horizon", edited(("warmup",), "2 d"), where=("warmup",))
    yield Case(
        "quantities", "horizon in exponent notation", edited(("horizon",), "1.5e1 h"), expect="ok", run=True
    )
    yield Case("quantities", "capitalised unit", edited(("horizon",), "2 D"), expect="ok")


NUMBER_FIELDS: list[tuple[str, tuple[Any, ...], Any]] = [
    ("station units", ("stations", 0, "units", "ambulance"), 2),
    ("replications", ("replications",), 1),
    ("seed", ("seed",), 1),
    ("keep_home_min", ("agreements", 0, "keep_home_min"), 0),
    ("emergency factor", ("speeds", "relative_speed", "ambulance"), 0.8),
    ("detour factor", ("stations", 12, "off_network", "detour_factor"), 1.3),
    ("night start hour", ("turnout", "ambulance", "night_start_hour"), 23),
]
HOSTILE_NUMBERS: list[tuple[str, Any]] = [
    ("yes", Raw("yes")),
    ("no", Raw("no")),
    ("on", Raw("on")),
    ("off", Raw("off")),
    ("true", Raw("true")),
    ("1e400", Raw("1e400")),
    (".inf", Raw(".inf")),
    ("-.inf", Raw("-.inf")),
    (".nan", Raw(".nan")),
    ("-1", -1),
    ("10**12", 10**12),
    ("text", "many"),
    ("hex", Raw("0x10")),
    ("sexagesimal", Raw("1:30")),
]


@category("counts and factors")
def numbers() -> Iterator[Case]:
    c = "counts and factors"
    for label, path, _ in NUMBER_FIELDS:
        base = _with_benelux(template())
        base["turnout"] = {"ambulance": {"day": "2 min"}}
        for vlabel, value in HOSTILE_NUMBERS:
            if label == "seed" and vlabel == "10**12":
                yield Case(c, f"{label}: {vlabel}", edited(path, value, base), expect="ok")
                continue
            yield Case(c, f"{label}: {vlabel}", edited(path, value, base), where=(dotted(path),))
    yield Case(
        c, "units 1.5", edited(("stations", 0, "units", "ambulance"), 1.5), where=("stations[0].units",)
    )
    yield Case(c, "units as quoted number", edited(("stations", 0, "units", "ambulance"), "3"), expect="ok")
    yield Case(
        c,
        "units with a leading zero (decimal, YAML 1.2)",
        edited(("stations", 0, "units", "ambulance"), Raw("02")),
        expect="ok",
        run=True,
    )
    yield Case(
        c,
        "units 1000 at one station",
        edited(("stations", 0, "units", "ambulance"), 1000),
        where=("stations[0].units.ambulance",),
    )
    many = template()
    for s in many["stations"]:
        s["units"] = {k: 100 for k in s["units"]}
    many["stations"] = many["stations"] * 3
    for i, s in enumerate(many["stations"]):
        s["name"] = f"{s['name']} {i}"
    yield Case(c, "6,800 units in all", dump(many), where=("stations", "at most 5,000"))
    yield Case(c, "replications 0", edited(("replications",), 0), where=("replications",))
    yield Case(c, "seed 2**70", edited(("seed",), 2**70), where=("seed",))
    yield Case(
        c,
        "emergency factor 0",
        edited(("speeds", "relative_speed", "ambulance"), 0),
        where=("speeds.relative_speed.ambulance",),
    )


@category("populations and rates")
def populations() -> Iterator[Case]:
    c = "populations and rates"
    hostile = [
        (".inf", Raw(".inf")),
        (".nan", Raw(".nan")),
        ("-1", -1),
        ("1e400", Raw("1e400")),
        ("1e12", 10**12),
        ("yes", Raw("yes")),
        ("text", "lots"),
    ]
    for label, path in (
        ("rate", ("demand", "rates", "BE", "medical_urgent")),
        ("scale", ("demand", "scale")),
        ("population", ("demand", "extra_places", 0, "population")),
    ):
        for vlabel, value in hostile:
            yield Case(c, f"{label}: {vlabel}", edited(path, value), where=(dotted(path),))
    how = ("demand", "hour_of_week")
    yield Case(c, "hour_of_week with .inf", edited(how, [1.0] * 167 + [Raw(".inf")]), where=("hour_of_week",))
    yield Case(c, "hour_of_week with .nan", edited(how, [Raw(".nan")] + [1.0] * 167), where=("hour_of_week",))
    yield Case(c, "hour_of_week negative", edited(how, [-1.0] + [1.0] * 167), where=("hour_of_week",))
    yield Case(c, "hour_of_week all zero", edited(how, [0] * 168), where=("hour_of_week",))
    yield Case(c, "hour_of_week of 167", edited(how, [1] * 167), where=("hour_of_week", "168"))
    yield Case(c, "hour_of_week of 50,000", edited(how, [1] * 50_000), where=("hour_of_week", "168"))
    yield Case(c, "hour_of_week flat", edited(how, "flat"), expect="ok", run=True)
    yield Case(
        c,
        "scale 100 over ten years",
        edited(("demand", "scale"), 100, {**template(), "horizon": "3650 d"}),
        where=("demand.scale", "incidents per replication"),
    )
    yield Case(c, "scale 0: no incidents", edited(("demand", "scale"), 0), where=("no incidents",))
    nothing = template()
    every_type = [t.name for t in default_incident_types()]
    nothing["demand"]["rates"] = {country: {t: 0 for t in every_type} for country in ("BE", "NL")}
    yield Case(c, "all rates zero", dump(nothing), where=("no incidents",))
    yield Case(
        c,
        "rate for an unknown country",
        edited(("demand", "rates", "XX"), {"medical_urgent": 3}),
        where=("demand.rates.XX", "unknown country"),
    )
    yield Case(
        c, "population in text", edited(("demand", "extra_places", 0, "population"), "2305"), expect="ok"
    )
    yield Case(c, "scale 2", edited(("demand", "scale"), 2), expect="ok", run=True)


def _region_folder(
    prefix: str,
    places: FileContent | None = None,
    facilities: FileContent | None = None,
    jurisdictions: FileContent | None = None,
    osm: bool = True,
) -> dict[str, FileContent]:
    data = "{data}"
    out: dict[str, FileContent] = {
        f"{prefix}/places.csv": places
        if places is not None
        else Link(f"{data}/regions/baarle-turnhout/places.csv"),
        f"{prefix}/facilities.csv": facilities
        if facilities is not None
        else Link(f"{data}/regions/baarle-turnhout/facilities.csv"),
        f"{prefix}/jurisdictions.geojson": jurisdictions
        if jurisdictions is not None
        else Link(f"{data}/regions/baarle-turnhout/jurisdictions.geojson"),
    }
    if osm:
        out[f"{prefix}/baarle-turnhout.osm.bz2"] = Link(f"{data}/osm/baarle-turnhout.osm.bz2")
    return out


def _bundled_csv(name: str) -> str:
    import os

    data = Path(os.environ.get("XBORDER_DATA") or REPO.parent / "shared" / "data")
    return (data / "regions" / "baarle-turnhout" / name).read_text(encoding="utf-8")


@category("regions and data files")
def regions() -> Iterator[Case]:
    c = "regions and data files"
    folder = edited(("region",), "region")
    yield Case(
        c,
        "region folder with its own OSM file",
        folder,
        expect="ok",
        run=True,
        files=_region_folder("region"),
    )
    bundled_layout = {
        f"data/regions/baarle-turnhout/{n}": Link(f"{{data}}/regions/baarle-turnhout/{n}")
        for n in ("places.csv", "facilities.csv", "jurisdictions.geojson")
    }
    bundled_layout["data/osm/baarle-turnhout.osm.bz2"] = Link("{data}/osm/baarle-turnhout.osm.bz2")
    yield Case(
        c,
        "region folder in the data layout",
        edited(("region",), "data/regions/baarle-turnhout"),
        expect="ok",
        files=bundled_layout,
    )
    yield Case(
        c,
        "region folder without a network",
        folder,
        files=_region_folder("region", osm=False),
        where=("region", "without a road network"),
    )
    two = _region_folder("region")
    two["region/copy.osm.bz2"] = Link("{data}/osm/baarle-turnhout.osm.bz2")
    yield Case(c, "region folder with two networks", folder, files=two, where=("region", "keep one"))
    yield Case(c, "region misspelt", edited(("region",), "baarle"), where=("region", "baarle-turnhout"))
    yield Case(c, "region empty", edited(("region",), ""), where=("region",))
    yield Case(
        c,
        "region is a CSV file",
        edited(("region",), "x.csv"),
        files={"x.csv": "a,b\n"},
        where=("region", "unsupported file type"),
    )
    yield Case(c, "region is /dev/zero", edited(("region",), "/dev/zero"), where=("region",))
    yield Case(c, "region a number", edited(("region",), 12), where=("region",))
    yield Case(
        c,
        "region and network both",
        edited(("network",), {"file": "x.osm"}),
        files={"x.osm": ""},
        where=("exactly one of region",),
    )
    net = template()
    del net["region"]
    net["network"] = {"file": "roads.osm"}
    del net["focus"]
    yield Case(
        c,
        "network file of random bytes",
        dump(net),
        files={"roads.osm": bytes(range(256)) * 4},
        where=("network.file",),
    )
    yield Case(c, "network file missing", dump(net), where=("network.file", "no such file"))
    yield Case(c, "network file empty", dump(net), files={"roads.osm": ""}, where=("network.file",))
    places = _bundled_csv("places.csv")
    plines = places.splitlines(keepends=True)
    header = plines[0]
    row = plines[1]
    cols = header.strip().split(",")

    def bad_row(col: str, value: str) -> str:
        fields = row.rstrip("\n").split(",")
        fields[cols.index(col)] = value
        return header + ",".join(fields) + "\n" + "".join(plines[2:])

    for label, content, where in [
        (
            "latin-1 byte",
            (header + row.replace(row.split(",")[1], "Li\u00e8ge")).encode("latin-1"),
            "places.csv:2",
        ),
        ("NUL byte", header + row[:5] + "\x00" + row[5:], "places.csv:2"),
        ("lat not a number", bad_row("lat", "north"), "places.csv:2"),
        ("lat nan", bad_row("lat", "nan"), "places.csv:2"),
        ("lat 999", bad_row("lat", "999"), "places.csv:2"),
        ("lon -inf", bad_row("lon", "-inf"), "places.csv:2"),
        ("population inf", bad_row("population", "inf"), "places.csv:2"),
        ("population negative", bad_row("population", "-100"), "places.csv:2"),
        ("population 1e12", bad_row("population", "1e12"), "places.csv:2"),
        ("empty name", bad_row("name", ""), "places.csv:2"),
        ("missing column", header.replace("population", "pop") + "".join(plines[1:]), "places.csv:1"),
        ("short row", header + "1,Turnhout,BE\n", "places.csv:2"),
        ("field over the CSV limit", header + row.rstrip("\n") + "x" * 200_000 + "\n", "places.csv:2"),
        ("unclosed quote", header + '1,"Turnhout,BE,51.3,4.9,40000\n', "places.csv"),
        ("empty file", "", "places.csv"),
        ("UTF-16", places.encode("utf-16"), "places.csv"),
    ]:
        yield Case(
            c,
            f"places.csv: {label}",
            folder,
            files=_region_folder("region", places=content),
            where=("region", where),
        )
    yield Case(
        c,
        "places.csv: header only",
        edited(("demand",), {}, {**template(), "region": "region"}),
        files=_region_folder("region", places=header),
        where=("demand", "no incidents"),
    )
    yield Case(
        c,
        "places.csv: header only, a place excluded",
        folder,
        files=_region_folder("region", places=header),
        where=("demand.exclude_places[0]", "unknown place 'Baarle-Hertog'"),
    )
    yield Case(
        c,
        "places.csv: BOM and CRLF",
        folder,
        expect="ok",
        files=_region_folder("region", places="\ufeff" + places.replace("\n", "\r\n")),
    )
    yield Case(
        c,
        "places.csv: extra column",
        folder,
        expect="ok",
        files=_region_folder(
            "region",
            places="".join(
                line.rstrip("\n") + (",extra\n" if i == 0 else ",x\n") for i, line in enumerate(plines)
            ),
        ),
    )
    yield Case(
        c,
        "places.csv: /dev/zero",
        folder,
        where=("region", "not a regular file"),
        files={**_region_folder("region"), "region/places.csv": Link("/dev/zero")},
    )
    fac = _bundled_csv("facilities.csv")
    flines = fac.splitlines(keepends=True)
    fcols = flines[0].strip().split(",")
    hosp = next(line for line in flines if line.startswith("hospital,"))

    def bad_fac(col: str, value: str) -> str:
        import csv
        import io

        fields = next(csv.reader(io.StringIO(hosp)))
        fields[fcols.index(col)] = value
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(fields)
        return flines[0] + buf.getvalue() + "".join(flines[1:])

    for label, content in [
        ("kind unknown", bad_fac("kind", "clinic")),
        ("emergency flag maybe", bad_fac("emergency", "maybe")),
        ("lat text", bad_fac("lat", "51,3")),
        ("lon nan", bad_fac("lon", "NaN")),
        ("not UTF-8", fac.encode("utf-8") + b"hospital,\xff\xfe,BE,,51,4,yes,x\n"),
        ("1,500 rows", flines[0] + hosp * 1500),
    ]:
        yield Case(
            c,
            f"facilities.csv: {label}",
            folder,
            files=_region_folder("region", facilities=content),
            where=("region", "facilities.csv"),
        )
    yield Case(
        c,
        "jurisdictions.geojson: /dev/zero",
        folder,
        where=("region", "jurisdictions.geojson"),
        files=_region_folder("region", jurisdictions=Link("/dev/zero")),
    )
    for label, content in [
        ("empty", ""),
        ("not JSON", "{not json"),
        ("a list", "[]"),
        ("no features", json.dumps({"type": "FeatureCollection", "features": []})),
    ]:
        yield Case(
            c,
            f"jurisdictions.geojson: {label}",
            folder,
            files=_region_folder("region", jurisdictions=content),
            where=("region",),
        )


def _station(name: str, lat: Any, lon: Any, **kw: Any) -> dict[str, Any]:
    return {
        "name": name,
        "country": "BE",
        "dispatch_centre": "112 Antwerpen",
        "lat": lat,
        "lon": lon,
        "source": "test",
        "units": {"ambulance": 1},
        **kw,
    }


@category("stations")
def stations() -> Iterator[Case]:
    c = "stations"
    for label, lat, lon, where in [
        ("lat 999", 999, 4.9, "stations[0].lat"),
        ("lon -999", 51.3, -999, "stations[0].lon"),
        ("lat .nan", Raw(".nan"), 4.9, "stations[0].lat"),
        ("lon .inf", 51.3, Raw(".inf"), "stations[0].lon"),
        ("lat yes", Raw("yes"), 4.9, "stations[0].lat"),
        ("lat true", Raw("true"), 4.9, "stations[0].lat"),
        ("lat 1e400", Raw("1e400"), 4.9, "stations[0].lat"),
        ("lat as a list", [51, 3], 4.9, "stations[0].lat"),
        ("5 km from the roads", 51.2, 4.6, "stations[0]"),
        ("at 0, 0", 0, 0, "stations[0]"),
    ]:
        data = template()
        data["stations"][0].update(lat=lat, lon=lon)
        yield Case(c, label, dump(data), where=(where,))
    data = template()
    data["stations"][12].update(lat=0, lon=0)
    yield Case(
        c, "off-network station at 0, 0", dump(data), where=("stations[12].off_network.entry", "km from")
    )
    data = template()
    data["stations"][12]["off_network"]["entry"].update(lat=52.5, lon=4.9)
    yield Case(c, "entry point off the network", dump(data), where=("stations[12].off_network.entry",))
    data = template()
    data["stations"][12]["off_network"]["entry"]["lat"] = Raw(".nan")
    yield Case(c, "entry point lat .nan", dump(data), where=("stations[12].off_network.entry.lat",))
    data = template()
    data["stations"][12]["off_network"]["access_time"] = "3 h"
    yield Case(c, "access time 3 h", dump(data), where=("stations[12].off_network.access_time",))
    data = template()
    data["stations"][12]["off_network"]["access_time"] = "20 min"
    yield Case(c, "access time 20 min", dump(data), expect="ok", run=True)
    for label, shift in [
        ("minutes 61", "07:61-23:00"),
        ("hour 25", "25:00-26:00"),
        ("garbage", "early"),
        ("a number", 7),
        ("yes", Raw("yes")),
    ]:
        yield Case(
            c,
            f"shift {label}",
            edited(("stations", 12, "shifts", "ambulance"), shift),
            where=("stations[12].shifts.ambulance",),
        )
    yield Case(
        c,
        "shift for a unit the station lacks",
        edited(("stations", 12, "shifts", "pumper"), "24h"),
        where=("stations[12].shifts.pumper",),
    )
    yield Case(
        c,
        "short shift 10:00-11:00",
        edited(("stations", 12, "shifts", "ambulance"), "10:00-11:00"),
        expect="ok",
        run=True,
    )
    busy = template()
    for st in busy["stations"][:2]:
        st["shifts"] = {"ambulance": "10:00-10:30"}
    busy["demand"]["scale"] = 2
    yield Case(
        c,
        "short shifts at the busiest posts",
        dump(busy),
        expect="ok",
        run=True,
    )
    yield Case(
        c,
        "unknown unit type",
        edited(("stations", 0, "units"), {"ambulanse": 1}),
        where=("stations[0].units.ambulanse", "unknown unit type"),
    )
    yield Case(
        c,
        "no units anywhere",
        dump(
            {
                **template(),
                "stations": [{**s, "units": {k: 0 for k in s["units"]}} for s in template()["stations"]],
            }
        ),
        where=("no station has any unit",),
    )
    yield Case(c, "stations empty", edited(("stations",), []), where=("stations",))
    yield Case(c, "stations a mapping", edited(("stations",), {"a": 1}), where=("stations",))
    base = template()
    yield Case(
        c,
        "600 stations",
        edited(("stations",), [_station(f"s{i}", 51.32254, 4.94471) for i in range(600)], base),
        where=("stations", "at most 500"),
    )
    yield Case(
        c,
        "duplicate station name",
        edited(("stations", 1, "name"), "AZ Turnhout campus Sint-Elisabeth"),
        where=("stations[1].name", "used twice"),
    )
    yield Case(c, "empty station name", edited(("stations", 0, "name"), "  "), where=("stations[0].name",))
    yield Case(
        c,
        "station name of 1000 characters",
        edited(("stations", 0, "name"), "x" * 1000),
        where=("stations[0].name",),
    )
    yield Case(
        c,
        "unknown dispatch centre",
        edited(("stations", 0, "dispatch_centre"), "112 Antwerp"),
        where=("stations[0].dispatch_centre", "112 Antwerpen"),
    )
    yield Case(c, "unknown country", edited(("stations", 0, "country"), "XX"), where=("stations[0].country",))
    yield Case(
        c,
        "also_serves an unknown centre",
        edited(("stations", 10, "also_serves"), ["Nowhere"]),
        where=("stations[10].also_serves[0]",),
    )
    yield Case(c, "source missing", edited(("stations", 0, "source"), DELETE), where=("stations[0].source",))
    yield Case(
        c,
        "unknown key",
        edited(("stations", 0, "unitz"), {"ambulance": 1}),
        where=("stations[0].unitz", "did you mean 'units'"),
    )


@category("variants")
def variants() -> Iterator[Case]:
    c = "variants"
    v = ("variants",)
    data = template()
    yield Case(
        c,
        "removes a misspelt station",
        edited((*v, "national", "stations", "Baarle fire corps"), None, data),
        where=("variants.national.stations.Baarle fire corps", "cannot remove"),
    )
    yield Case(
        c,
        "removes an agreement that is not there",
        edited((*v, "lean"), {"agreements": {"Benelux": None}}),
        where=("variants.lean.agreements.Benelux", "cannot remove"),
    )
    yield Case(
        c,
        "removes an agreement misspelt",
        edited((*v, "lean"), {"agreements": {"Benelux M (2009) 9": None}}, _with_benelux(template())),
        where=("Benelux M (2009) 9", "did you mean 'Benelux M (2009) 8'"),
    )
    yield Case(
        c,
        "removes a focus area that is not there",
        edited((*v, "lean"), {"focus": {"x": None}}),
        where=("variants.lean.focus",),
    )
    yield Case(
        c,
        "removes a station that exists",
        edited((*v, "lean"), {"stations": {"Bladel": None}}),
        expect="ok",
        run=True,
    )
    yield Case(
        c,
        "edits a misspelt station",
        edited((*v, "lean"), {"stations": {"Bladell": {"units": {"ambulance": 2}}}}),
        where=("variant 'lean'",),
    )
    yield Case(
        c,
        "removes a misspelt incident type",
        edited(
            (*v, "lean"),
            {"incident_types": {"cardiac": None}},
            {
                **template(),
                "incident_types": [{"name": "cardiac_arrest", "urgency": 1, "needs": {"ambulance": 1}}],
                "demand": {"rates": {"BE": {"cardiac_arrest": 1.0}}},
            },
        ),
        where=("variants.lean.incident_types.cardiac",),
    )
    for key, value in [
        ("horizon", "3 d"),
        ("seed", 3),
        ("region", "baarle-turnhout"),
        ("focus", []),
        ("replications", 2),
    ]:
        yield Case(c, f"changes {key}", edited((*v, "lean", key), value), where=(f"variants.lean.{key}",))
    yield Case(c, "empty variant", edited((*v, "lean"), {}), where=("variants.lean", "empty variant"))
    yield Case(c, "null variant", edited((*v, "lean"), None), where=("variants.lean",))
    yield Case(c, "name with a slash", edited((*v, "../lean"), {"agreements": []}), where=("variants",))
    yield Case(c, "name with a space", edited((*v, "a b"), {"agreements": []}), where=("variants",))
    yield Case(c, "name of 200 characters", edited((*v, "x" * 200), {"agreements": []}), where=("variants",))
    yield Case(c, "variants as a list", edited(v, [{"agreements": []}]), where=("variants",))
    yield Case(c, "no variant", edited(v, {}), where=("variants",))
    yield Case(
        c,
        "60 variants",
        edited(v, {f"v{i}": {"agreements": []} for i in range(60)}),
        where=("variants", "at most 50"),
    )
    yield Case(
        c,
        "unknown key in a variant",
        edited((*v, "lean", "agreement"), []),
        where=("agreement", "did you mean 'agreements'"),
    )
    yield Case(c, "stations emptied", edited((*v, "lean", "stations"), []), where=("stations",))
    yield Case(
        c,
        "adds a complete station",
        edited(
            (*v, "lean", "stations"),
            {"Extra": {k: x for k, x in _station("Extra", 51.32254, 4.94471).items() if k != "name"}},
        ),
        expect="ok",
        run=True,
    )
    yield Case(
        c,
        "bad rule in a variant",
        edited((*v, "benelux-2009", "agreements", 0, "rule"), "if_faster"),
        where=("agreements[0].rule", "benelux-2009"),
    )


@category("coordinates and focus")
def coordinates() -> Iterator[Case]:
    c = "coordinates and focus"
    square = [[4.92, 51.43], [4.94, 51.43], [4.94, 51.45], [4.92, 51.45]]

    def focus(**area: Any) -> str:
        return edited(("focus",), [{"name": "area", "source": "test", **area}])

    yield Case(
        c,
        "extra place at lon 0",
        edited(("demand", "extra_places", 0, "lon"), 0),
        where=("demand.extra_places[0]", "would draw no incident"),
    )
    yield Case(
        c,
        "listed places out of reach",
        edited(
            ("demand", "places"),
            [{"name": "p", "country": "BE", "lat": 51.5, "lon": 3.0, "population": 1000, "source": "t"}],
        ),
        where=("demand.places[0]", "would draw no incident"),
    )
    yield Case(
        c,
        "NUL in a source",
        edited(("stations", 0, "source"), "a\x00b"),
        where=("stations[0].source", "U+0000"),
    )
    yield Case(c, "no hospitals", edited(("hospitals",), []), where=("hospitals", "no hospital"))
    yield Case(
        c,
        "no emergency hospital",
        edited(
            ("hospitals",),
            [
                {
                    "name": "h",
                    "country": "BE",
                    "lat": 51.3139,
                    "lon": 4.9438,
                    "emergency": False,
                    "source": "t",
                }
            ],
        ),
        where=("hospitals", "no hospital"),
    )
    yield Case(
        c,
        "one Dutch hospital",
        edited(
            ("hospitals",), [{"name": "h", "country": "NL", "lat": 51.4475, "lon": 4.92917, "source": "t"}]
        ),
        expect="ok",
        run=True,
    )
    yield Case(c, "polygon in the enclaves", focus(polygon=square), expect="ok", run=True)
    for label, point in [
        ("NaN", [Raw(".nan"), 51.44]),
        ("lon 999", [999, 51.44]),
        ("lat 999", [4.93, 999]),
        ("inf", [Raw(".inf"), 51.44]),
        ("three numbers", [4.93, 51.44, 0]),
        ("text", ["east", 51.44]),
        ("true", [Raw("true"), 51.44]),
    ]:
        yield Case(c, f"polygon point {label}", focus(polygon=[*square[:3], point]), where=("focus[0]",))
    yield Case(
        c,
        "polygon of collinear points",
        focus(polygon=[[4.9, 51.4], [4.95, 51.45], [5.0, 51.5]]),
        where=("focus[0]",),
    )
    yield Case(
        c,
        "self-crossing polygon",
        focus(polygon=[square[0], square[2], square[1], square[3]]),
        where=("focus[0]", "not a simple area"),
    )
    yield Case(c, "polygon of two points", focus(polygon=square[:2]), where=("focus[0].polygon",))
    yield Case(
        c,
        "polygon at sea",
        focus(polygon=[[3.0, 51.5], [3.1, 51.5], [3.1, 51.6], [3.0, 51.6]]),
        where=("focus[0]", "holds no node"),
    )
    yield Case(c, "bbox reversed", focus(bbox=[4.95, 51.43, 4.92, 51.45]), where=("focus[0]",))
    yield Case(c, "bbox with .inf", focus(bbox=[4.92, 51.43, Raw(".inf"), 51.45]), where=("focus[0]",))
    yield Case(c, "bbox at sea", focus(bbox=[3.0, 51.5, 3.1, 51.6]), where=("focus[0]", "holds no node"))
    yield Case(c, "bbox of three numbers", focus(bbox=[4.92, 51.43, 4.95]), where=("focus[0].bbox",))
    yield Case(c, "bbox in the enclaves", focus(bbox=[4.92, 51.43, 4.95, 51.45]), expect="ok")
    yield Case(
        c, "enclaves of DE (none in the region)", focus(enclaves_of="DE"), where=("focus[0]", "holds no node")
    )
    yield Case(c, "enclaves of XX", focus(enclaves_of="XX"), where=("focus[0].enclaves_of",))
    yield Case(
        c,
        "country filter outside the box",
        focus(bbox=[4.92, 51.43, 4.95, 51.45], country="LU"),
        where=("focus[0]", "holds no node"),
    )
    yield Case(c, "focus without an area", focus(), where=("focus[0]", "needs enclaves_of, bbox or polygon"))
    for label, path, value in [
        (
            "hospital lat 999",
            ("hospitals",),
            [{"name": "h", "country": "BE", "lat": 999, "lon": 4.9, "source": "t"}],
        ),
        (
            "hospital at sea",
            ("hospitals",),
            [{"name": "h", "country": "BE", "lat": 51.5, "lon": 3.0, "source": "t"}],
        ),
        ("extra place lat .nan", ("demand", "extra_places", 0, "lat"), Raw(".nan")),
        ("extra place lon -181", ("demand", "extra_places", 0, "lon"), -181),
    ]:
        yield Case(c, label, edited(path, value), where=(dotted(path),))


@category("agreements")
def agreements() -> Iterator[Case]:
    c = "agreements"
    a = ("agreements", 0)
    base = _with_benelux(template())
    for label, path, value in [
        ("threshold .inf", ("threshold",), Raw(".inf")),
        ("threshold 1e400 min", ("threshold",), "1e400 min"),
        ("threshold -1 min", ("threshold",), "-1 min"),
        ("threshold yes", ("threshold",), Raw("yes")),
        ("threshold 0 s with if_faster_by", ("threshold",), "0 s"),
        ("request delay .inf", ("request_delay",), Raw(".inf")),
        (
            "request delay mean .inf",
            ("request_delay",),
            {"kind": "lognormal", "mean": Raw(".inf"), "sd": "1 min"},
        ),
        (
            "request delay cap 1e400 min",
            ("request_delay",),
            {"kind": "exponential", "mean": "2 min", "cap": "1e400 min"},
        ),
        ("same party twice", ("parties",), ["NL", "NL"]),
        ("three parties", ("parties",), ["NL", "BE", "DE"]),
        ("unknown party", ("parties",), ["NL", "Belgium"]),
        ("no unit types", ("unit_types",), []),
        ("unknown unit type", ("unit_types",), ["ambulanse"]),
        ("rule misspelt", ("rule",), "if_faster"),
        ("keep_home_min 10**9", ("keep_home_min",), 10**9),
        ("keep_home_min yes", ("keep_home_min",), Raw("yes")),
        ("unknown station", ("stations",), ["Turnhout"]),
        ("direction bad", ("direction",), "sideways"),
        ("foreign_hospital maybe", ("foreign_hospital",), "maybe"),
        ("name missing", ("name",), DELETE),
    ]:
        yield Case(c, label, edited((*a, *path), value, base), where=(dotted((*a, *path))[:20],))
    yield Case(
        c,
        "if_home_eta_over without threshold",
        edited(
            (*a, "rule"),
            "if_home_eta_over",
            {**base, "agreements": [{k: v for k, v in base["agreements"][0].items() if k != "threshold"}]},
        ),
        where=("agreements[0].threshold",),
    )
    yield Case(c, "agreements a mapping", edited(("agreements",), {"x": 1}), where=("agreements",))
    yield Case(
        c,
        "600 agreements",
        edited(("agreements",), [dict(base["agreements"][0], name=f"a{i}") for i in range(600)]),
        where=("agreements", "at most 500"),
    )
    yield Case(
        c, "agreement with a 1 s threshold", edited((*a, "threshold"), "1 s", base), expect="ok", run=True
    )


@category("distributions")
def distributions() -> Iterator[Case]:
    c = "distributions"
    path = ("policy", "call_processing")
    for label, dist, ok in [
        (
            "degenerate triangular",
            {"kind": "triangular", "low": "1 min", "mode": "1 min", "high": "1 min"},
            False,
        ),
        (
            "triangular mode above high",
            {"kind": "triangular", "low": "1 min", "mode": "3 min", "high": "2 min"},
            False,
        ),
        ("uniform low above high", {"kind": "uniform", "low": "3 min", "high": "2 min"}, False),
        ("lognormal mean 0", {"kind": "lognormal", "mean": "0 s", "sd": "1 min"}, False),
        ("lognormal sd 100 x mean", {"kind": "lognormal", "mean": "1 s", "sd": "100 s"}, False),
        ("gamma sd 1 d", {"kind": "gamma", "mean": "1 min", "sd": "1 d"}, False),
        ("weibull shape 0.01", {"kind": "weibull", "shape": 0.01, "scale": "1 min"}, False),
        ("weibull shape 1e400", {"kind": "weibull", "shape": Raw("1e400"), "scale": "1 min"}, False),
        ("weibull shape yes", {"kind": "weibull", "shape": Raw("yes"), "scale": "1 min"}, False),
        ("cap -1 min", {"kind": "exponential", "mean": "1 min", "cap": "-1 min"}, False),
        ("fixed 1e400 min", {"kind": "fixed", "value": "1e400 min"}, False),
        ("exponential mean 30 d", {"kind": "exponential", "mean": "30 d"}, False),
        ("unknown kind", {"kind": "normal", "mean": "1 min"}, False),
        ("missing parameter", {"kind": "lognormal", "mean": "1 min"}, False),
        ("extra parameter", {"kind": "exponential", "mean": "1 min", "sd": "1 min"}, False),
        ("no kind", {"mean": "1 min"}, False),
        ("uniform low = high", {"kind": "uniform", "low": "1 min", "high": "1 min"}, True),
        ("lognormal sd 0", {"kind": "lognormal", "mean": "1 min", "sd": "0 s"}, True),
        ("gamma sd 0", {"kind": "gamma", "mean": "1 min", "sd": "0 s"}, True),
        (
            "triangular low = mode",
            {"kind": "triangular", "low": "1 min", "mode": "1 min", "high": "2 min"},
            True,
        ),
    ]:
        if ok:
            yield Case(c, label, edited(path, dist), expect="ok", run=True)
        else:
            yield Case(c, label, edited(path, dist), where=("policy.call_processing",))


def _log_scenario(log: str = "log.csv", **changes: Any) -> str:
    data = template()
    data.update(horizon="1 d", warmup="0 s", **changes)
    data["demand"] = {"incident_log": log}
    data["incident_types"] = [
        {
            "name": "casualty_t1",
            "urgency": 1,
            "needs": {"ambulance": 1},
            "transport_share": 1.0,
            "on_scene": {
                "ambulance": {"kind": "lognormal", "mean": "20 min", "sd": "8 min", "cap": "88 min"}
            },
        },
        {"name": "casualty_t2", "urgency": 2, "needs": {"ambulance": 1}, "transport_share": 1.0},
        {"name": "rescue", "urgency": 1, "needs": {"pumper": 2, "ladder": 1, "smur": 1}, "primary": "pumper"},
    ]
    return dump(data)


@category("incident logs")
def incident_logs() -> Iterator[Case]:
    c = "incident logs"
    text = LOG.read_text(encoding="utf-8")
    head, *rows = text.splitlines(keepends=True)
    n = len(rows)
    sc = _log_scenario()

    def with_row(i: int, row: str) -> str:
        return head + "".join([*rows[:i], row, *rows[i + 1 :]])

    yield Case(c, "the bundled log", sc, files={"log.csv": text}, expect="ok", run=True, incidents=n)
    for label, row in [
        ("empty time", ",51.4418,4.931756,casualty_t1\n"),
        ("time nan", "nan,51.4418,4.931756,casualty_t1\n"),
        ("time 1e400", "1e400,51.4418,4.931756,casualty_t1\n"),
        ("time inf", "inf,51.4418,4.931756,casualty_t1\n"),
        ("time negative", "-5,51.4418,4.931756,casualty_t1\n"),
        ("time at the horizon", "86400,51.4418,4.931756,casualty_t1\n"),
        ("time after the horizon", "90000,51.4418,4.931756,casualty_t1\n"),
        ("time as a clock", "14:00,51.4418,4.931756,casualty_t1\n"),
        ("lat 999", "50500,999,4.931756,casualty_t1\n"),
        ("lon -999", "50500,51.4418,-999,casualty_t1\n"),
        ("lat empty", "50500,,4.931756,casualty_t1\n"),
        ("lat nan", "50500,nan,4.931756,casualty_t1\n"),
        ("position at sea", "50500,51.5,3.0,casualty_t1\n"),
        ("position 5 km off the roads", "50500,51.2,4.6,casualty_t1\n"),
        ("unknown type", "50500,51.4418,4.931756,casualty_t3\n"),
        ("empty type", "50500,51.4418,4.931756,\n"),
        ("short row", "50500,51.4418\n"),
        ("NUL byte", "50500,51.44\x0018,4.931756,casualty_t1\n"),
    ]:
        yield Case(c, label, sc, files={"log.csv": with_row(3, row)}, where=("log.csv:5",))
    yield Case(
        c,
        "not UTF-8",
        sc,
        files={"log.csv": text.encode() + b"50500,51.4418,4.93,caf\xe9\n"},
        where=(f"log.csv:{n + 2}",),
    )
    yield Case(c, "UTF-16", sc, files={"log.csv": text.encode("utf-16")}, where=("log.csv", "UTF-8"))
    yield Case(
        c,
        "missing column",
        sc,
        files={"log.csv": text.replace("type", "kind", 1)},
        where=("log.csv:1", "type"),
    )
    yield Case(c, "header only", sc, files={"log.csv": head}, where=("log.csv", "no incidents"))
    yield Case(c, "empty file", sc, files={"log.csv": ""}, where=("log.csv",))
    yield Case(c, "missing file", sc, where=("log.csv", "no such file"))
    yield Case(c, "a folder", sc, files={"log.csv/x": "x"}, where=("log.csv", "folder"))
    yield Case(c, "/dev/zero", _log_scenario("/dev/zero"), where=("/dev/zero", "not a regular file"))
    yield Case(c, "a 70 MiB file", sc, files={"log.csv": Sparse(70 << 20)}, where=("log.csv", "64 MiB"))
    yield Case(
        c,
        "another CSV (/etc/passwd style)",
        sc,
        files={"log.csv": "root:x:0:0\n"},
        where=("log.csv:1", "missing column"),
    )
    yield Case(
        c,
        "many rows at sea",
        sc,
        files={"log.csv": head + "50500,51.5,3.0,casualty_t1\n" * 50},
        where=("log.csv", "50 row(s)"),
    )
    yield Case(
        c,
        "BOM and CRLF",
        sc,
        files={"log.csv": "\ufeff" + text.replace("\n", "\r\n")},
        expect="ok",
        run=True,
        incidents=n,
    )
    yield Case(
        c,
        "extra column and quotes",
        sc,
        files={
            "log.csv": "".join(
                line.rstrip("\n") + (",note\n" if i == 0 else ',"a, b"\n')
                for i, line in enumerate(text.splitlines(keepends=True))
            )
        },
        expect="ok",
        run=True,
        incidents=n,
    )
    spaced = [
        ",".join([*r.rstrip("\n").split(",")[:3], f" {r.rstrip().split(',')[3]} "]) + "\n" for r in rows
    ]
    yield Case(
        c,
        "rows out of order, spaces around the type",
        sc,
        files={"log.csv": head + "".join(reversed(spaced))},
        expect="ok",
        run=True,
        incidents=n,
    )
    yield Case(
        c,
        "a row at time 0",
        sc,
        files={"log.csv": head + "0,51.4418,4.931756,casualty_t1\n"},
        expect="ok",
        run=True,
        incidents=1,
    )
    yield Case(c, "log path empty", _log_scenario(""), where=("demand.incident_log",))
    yield Case(c, "log path is yes (text)", _log_scenario(Raw("yes")), where=("yes", "no such file"))


@category("time and replications")
def time_and_replications() -> Iterator[Case]:
    c = "time and replications"
    for label, path, value in [
        ("horizon .inf", ("horizon",), Raw(".inf")),
        ("horizon 1e400 d", ("horizon",), "1e400 d"),
        ("horizon -1 d", ("horizon",), "-1 d"),
        ("horizon yes", ("horizon",), Raw("yes")),
        ("horizon missing", ("horizon",), DELETE),
        ("warmup .inf", ("warmup",), Raw(".inf")),
        ("replications 10**9", ("replications",), 10**9),
        ("replications 1.5", ("replications",), 1.5),
        ("replications off", ("replications",), Raw("off")),
        ("seed -1", ("seed",), -1),
        ("seed .inf", ("seed",), Raw(".inf")),
        ("seed text", ("seed",), "random"),
    ]:
        yield Case(c, label, edited(path, value), where=(dotted(path),))
    yield Case(c, "seed 2**62", edited(("seed",), 2**62), expect="ok", run=True)
    yield Case(
        c, "horizon 6 h", edited(("horizon",), "6 h", {**template(), "warmup": "0 s"}), expect="ok", run=True
    )
    yield Case(c, "horizon 1 w", edited(("horizon",), "1 w"), expect="ok")


@category("incident types")
def incident_types() -> Iterator[Case]:
    c = "incident types"

    def with_type(**kw: Any) -> str:
        t = {"name": "medical_urgent", "urgency": 1, "needs": {"ambulance": 1}, **kw}
        t = {k: v for k, v in t.items() if v is not DELETE}
        return edited(
            ("incident_types",),
            [t],
            {**template(), "demand": {"rates": {"BE": {"medical_urgent": 50}, "NL": {"medical_urgent": 50}}}},
        )

    yield Case(c, "one simple type", with_type(), expect="ok", run=True)
    for label, kw, where in [
        ("needs {}", {"needs": {}}, "needs"),
        ("needs 0 ambulances", {"needs": {"ambulance": 0}}, "needs"),
        ("needs 10**6 ambulances", {"needs": {"ambulance": 10**6}}, "needs"),
        ("needs yes", {"needs": {"ambulance": Raw("yes")}}, "needs"),
        ("needs missing", {"needs": DELETE}, "needs"),
        ("urgency 4", {"urgency": 4}, "urgency"),
        ("urgency yes", {"urgency": Raw("yes")}, "urgency"),
        ("urgency 1.5", {"urgency": 1.5}, "urgency"),
        ("transport share 2", {"transport_share": 2}, "transport_share"),
        ("transport share .nan", {"transport_share": Raw(".nan")}, "transport_share"),
        ("primary not needed", {"primary": "pumper"}, "primary"),
        ("on scene for a unit not sent", {"on_scene": {"pumper": "10 min"}}, "on_scene.pumper"),
        ("on scene .inf", {"on_scene": {"ambulance": Raw(".inf")}}, "on_scene.ambulance"),
        ("on scene 1e400 min", {"on_scene": {"default": "1e400 min"}}, "on_scene.default"),
        ("handover .inf", {"handover": Raw(".inf")}, "handover"),
        ("optional share 1.5", {"optional_needs": {"smur": {"share": 1.5}}}, "optional_needs.smur.share"),
        (
            "optional count 10**9",
            {"optional_needs": {"smur": {"count": 10**9, "share": 0.5}}},
            "optional_needs.smur.count",
        ),
        ("name empty", {"name": ""}, "name"),
        ("lights_and_sirens maybe", {"lights_and_sirens": "maybe"}, "lights_and_sirens"),
    ]:
        yield Case(c, label, with_type(**kw), where=(f"incident_types[0].{where}",))
    yield Case(c, "no types", edited(("incident_types",), []), where=("incident_types",))
    yield Case(c, "rate for an undefined type", with_type(name="heart"), where=("demand.rates",))
    yield Case(
        c,
        "600 types",
        edited(
            ("incident_types",),
            [{"name": f"t{i}", "urgency": 1, "needs": {"ambulance": 1}} for i in range(600)],
        ),
        where=("incident_types", "at most 500"),
    )


@category("policy, norms, factors, turnout")
def policy() -> Iterator[Case]:
    c = "policy, norms, factors, turnout"
    norm = {"limit": "15 min", "share": 0.9, "source": "test"}
    for label, path, value in [
        ("norm limit 2 d", ("norms", "BE"), {**norm, "limit": "2 d"}),
        ("norm limit .inf", ("norms", "BE"), {**norm, "limit": Raw(".inf")}),
        ("norm share 1.5", ("norms", "BE"), {**norm, "share": 1.5}),
        ("norm share .nan", ("norms", "BE"), {**norm, "share": Raw(".nan")}),
        ("norm service police", ("norms", "BE"), {**norm, "service": "police"}),
        ("norm for an unknown country", ("norms", "XX"), norm),
        ("factor 100", ("speeds", "relative_speed", "ambulance"), 100),
        ("factor .inf", ("speeds", "relative_speed", "pumper"), Raw(".inf")),
        ("factor for an unknown unit", ("speeds", "relative_speed", "tank"), 0.8),
        ("turnout .inf", ("turnout", "ambulance"), {"day": Raw(".inf")}),
        ("turnout night hour 25", ("turnout", "ambulance"), {"day": "2 min", "night_start_hour": 25}),
        (
            "turnout night hour .nan",
            ("turnout", "ambulance"),
            {"day": "2 min", "night_end_hour": Raw(".nan")},
        ),
        ("turnout for an unknown unit", ("turnout", "tank"), {"day": "2 min"}),
        ("hospital rule farthest", ("policy", "hospital"), "farthest"),
        ("redispatch maybe", ("policy", "redispatch_returning"), "maybe"),
        ("call processing 1e400 min", ("policy", "call_processing"), "1e400 min"),
    ]:
        yield Case(c, label, edited(path, value), where=(dotted(path),))
    yield Case(c, "norm of 8 min", edited(("norms", "BE"), {**norm, "limit": "8 min"}), expect="ok", run=True)
    yield Case(
        c,
        "emergency factor 1",
        edited(("speeds", "relative_speed", "ambulance"), 1.0),
        expect="ok",
        run=True,
    )


def all_cases() -> list[Case]:
    """Every case, category by category."""
    return [case for make in CATEGORIES.values() for case in make()]


def counts(cases: list[Case]) -> dict[str, dict[str, int]]:
    """Cases by category: how many, how many must be refused, accepted, and run."""
    out: dict[str, Counter[str]] = {}
    for case in cases:
        cnt = out.setdefault(case.category, Counter())
        cnt["cases"] += 1
        cnt["refused" if case.expect == "error" else "accepted"] += 1
        cnt["run"] += case.run
    return {k: dict(v) for k, v in out.items()}


def table(cases: list[Case]) -> str:
    """The counts as a text table."""
    rows = counts(cases)
    lines = [f"{'category':36} {'cases':>6} {'refused':>8} {'accepted':>9} {'run':>5}"]
    for name, cnt in rows.items():
        lines.append(
            f"{name:36} {cnt.get('cases', 0):6} {cnt.get('refused', 0):8} "
            f"{cnt.get('accepted', 0):9} {cnt.get('run', 0):5}"
        )
    tot = Counter[str]()
    for cnt in rows.values():
        tot.update(cnt)
    lines.append(f"{'total':36} {tot['cases']:6} {tot['refused']:8} {tot['accepted']:9} {tot['run']:5}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(table(all_cases()))
    sys.exit(0)
