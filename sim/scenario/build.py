"""Scenario files: YAML validated by pydantic, with file and line in every message, and variants.

A scenario file describes one study: the region (or a road network file), demand, incident types,
stations and units, the dispatch policy, cross-border agreements, the simulated time and the
replications; and under ``variants:`` the named alternatives to compare (e.g. ``national`` and
``benelux-2009``). :func:`load_scenario` reads and checks a file; :meth:`Scenario.check_network`
adds the checks that need the road network; :meth:`Scenario.model_specs` turns every variant into
the :class:`sim.model.spec.ModelSpec` the engine runs.

Conventions
-----------
- Quantities carry their unit as a string: durations ``"90 s"``, ``"15 min"``, ``"2 h"``,
  ``"28 d"``; distances ``"1500 m"``, ``"1.5 km"``; speeds ``"70 km/h"``. A bare number is an
  error (a reader of ``request_delay: 90`` cannot tell seconds from minutes).
- A duration distribution is ``{kind: lognormal, mean: 90 s, sd: 30 s, cap: 88 min}``
  (kinds and parameters as in :class:`sim.model.distributions.Dist`), or a single duration for a fixed
  value (``request_delay: 90 s``).
- Every coordinate carries a ``source`` saying where the position comes from.
- Unknown keys are errors.
- Hostile input ends in a problem, never in a traceback or a silently wrong run: every number is
  finite and within a documented range (:mod:`~sim.scenario.quantities`, :mod:`~sim.scenario.schema`);
  what a file can make the program allocate is bounded (:data:`MAX_FILE_BYTES`,
  :mod:`~sim.scenario.yaml_lines`, :mod:`~sim.scenario.files`, :data:`MAX_VARIANTS`); nothing the
  file asks for is dropped without a word (incident-log rows, listed places and focus areas out
  of the network's reach, removals of names a list does not hold are errors:
  :mod:`~sim.scenario.checks`).

Variants
--------
Each variant is a mapping deep-merged over the base document (everything except ``variants:``):
mappings merge key by key; a list replaces the base list wholesale; and for the lists of named
items (``stations``, ``hospitals``, ``agreements``, ``incident_types``, ``focus`` and
``demand.places``) a *mapping* addresses items by name: ``{"Baarle fire": {also_serves: []}}``
edits that station, ``{"Baarle fire": null}`` removes it, an unknown name adds a new item.
Variants cannot change ``region``, ``network``, ``horizon``, ``warmup``, ``replications``,
``seed`` or ``focus``: every variant replays the same incidents (common random numbers).
Removing a name the list does not hold (``{"Baarle fire": null}`` with no such station) is an error.
The first variant is the reference the others are compared with.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import DataError
from sim.model.countries import COUNTRIES, DEFAULT_NORMS
from sim.model.norms import Norm, split_norm_key
from sim.model.places import Place
from sim.model.spec import ModelSpec
from sim.model.units import Hospital
from sim.paths import bundled_regions, data_dir
from sim.roads.osm import load_network, region_dir_for
from sim.scenario import focus, specs
from sim.scenario.checks import network_problems, validate_doc
from sim.scenario.files import FileProblem, MiB, read_text
from sim.scenario.problems import Problem, ScenarioError, path_str, unknown_name
from sim.scenario.region import load_region
from sim.scenario.schema import FIXED_IN_VARIANTS, ScenarioDoc
from sim.scenario.uncertain import UncertainInput, edited_data, end_problems, read_inputs
from sim.scenario.yaml_lines import Lines, dump_yaml, merge, read_yaml

_VARIANT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")
MAX_VARIANTS = 50
"""Most variants in one scenario file (each is validated, and run, on its own)."""


@dataclass
class Scenario:
    """A validated scenario file: the base document and one validated document per variant.

    Build it with :func:`load_scenario` (or :meth:`from_text`).
    """

    name: str
    path: Path | None
    text: str
    data: dict[str, Any]
    base: ScenarioDoc
    variants: dict[str, ScenarioDoc]
    _lines: Lines = field(repr=False)
    _variant_lines: dict[str, Lines] = field(repr=False, default_factory=dict)
    uncertain: tuple[UncertainInput, ...] = ()
    """The inputs the ``uncertain:`` block declares, in file order (:mod:`sim.scenario.uncertain`)."""

    # -------------------------------------------------------------- construction
    @classmethod
    def from_text(cls, text: str, *, filename: str = "<scenario>", path: Path | None = None) -> Scenario:
        """Parse and validate a scenario; raise :class:`ScenarioError` listing every problem."""
        data, lines, problems = read_yaml(text, filename)
        return cls._validated(data, lines, problems, text=text, filename=filename, path=path)

    @classmethod
    def from_data(cls, data: dict[str, Any], *, filename: str = "<scenario>",
                  path: Path | None = None) -> Scenario:
        """Validate a document already parsed (an edited copy of a file's ``data``); its problems
        carry no line. Raise :class:`ScenarioError` listing every problem."""
        text = dump_yaml(data)
        return cls._validated(copy.deepcopy(data), Lines(0), [], text=text, filename=filename, path=path)

    @classmethod
    def _validated(cls, data: dict[str, Any], lines: Lines, problems: list[Problem], *, text: str,
                   filename: str, path: Path | None) -> Scenario:
        base_data = {k: v for k, v in data.items() if k != "variants"}
        base, probs = validate_doc(base_data, lines, filename)
        problems += probs
        variants, variant_lines = _read_variants(data, base_data, lines, filename, problems)
        inputs: list[UncertainInput] = []
        if base is not None and not problems and base.uncertain:
            inputs, problems = read_inputs(data, base.uncertain, lines, filename)
            problems = problems or end_problems(data, inputs, filename, _problems_of)
        if problems or base is None:
            raise ScenarioError(sorted(problems, key=lambda p: (p.line, p.path)))
        name = base.name or (path.name.removesuffix(".yaml").removesuffix(".yml") if path else "scenario")
        return cls(name=name, path=path, text=text, data=data, base=base, variants=variants,
                   _lines=lines, _variant_lines=variant_lines, uncertain=tuple(inputs))

    def at_values(self, values: Sequence[float]) -> Scenario:
        """The scenario with each uncertain input set to its value (SI units, in the order of
        :attr:`uncertain`), validated, without the ``uncertain:`` block.

        Raises
        ------
        ScenarioError
            If the edited file has problems (without lines: :func:`sim.scenario.uncertain.end_problems`
            reports those of the range ends at the lines of the inputs).
        """
        return Scenario.from_data(edited_data(self.data, self.uncertain, values), filename=self.filename,
                                  path=self.path)

    def with_changes(self, changes: Mapping[str, Any], *, filename: str | None = None) -> Scenario:
        """A copy with top-level fields replaced (``{"horizon": "7 d", "warmup": "1 d"}``), checked
        like a file; relative paths in it still resolve beside this scenario's file."""
        data = copy.deepcopy(self.data)
        data.update(changes)
        return Scenario.from_text(dump_yaml(data), filename=filename or self.filename, path=self.path)

    # -------------------------------------------------------------- facts
    @property
    def filename(self) -> str:
        return self.path.name if self.path else "<scenario>"

    @property
    def variant_names(self) -> list[str]:
        """Variant names in file order; the first is the reference."""
        return list(self.variants)

    @property
    def replications(self) -> int:
        return self.base.replications

    @property
    def seed(self) -> int:
        return self.base.seed

    def line_of(self, loc: Sequence[Any], variant: str | None = None) -> int:
        """The line of the value at `loc` in the file (in `variant`'s merged document if given)."""
        lines = self._variant_lines.get(variant, self._lines) if variant else self._lines
        return lines.find(loc)

    def resolve(self, relative: str) -> Path:
        """A path written in the file, relative to the file's folder."""
        p = Path(relative).expanduser()
        if not p.is_absolute() and self.path is not None:
            p = self.path.parent / p
        return p

    def norms(self) -> dict[str, Norm]:
        """Norms by key (``"NL"``, ``"NL/a2"``, a dispatch centre ...: :func:`sim.model.norms.norm_key`):
        the defaults with the file's overrides."""
        out = dict(DEFAULT_NORMS)
        for key, n in self.base.norms.items():
            where, cls = split_norm_key(key)
            out[key] = Norm(where if where in COUNTRIES else "", n.service, n.limit, n.share, n.source,
                            n.label or f"{key} {n.limit / 60:g} min / {n.share:.0%}", cls)
        return out

    def as_run_yaml(self, *, replications: int, seed: int) -> str:
        """The scenario as run: the file's text with the effective replications and seed."""
        doc = copy.deepcopy(self.data)
        doc["replications"], doc["seed"] = int(replications), int(seed)
        for part in [doc, *(doc.get("variants") or {}).values()]:
            self._resolve_paths(part)
        head = (f"# Scenario as run by xborder (from {self.filename}); "
                f"replications={replications}, seed={seed}; paths resolved\n")
        return head + dump_yaml(doc)

    def _resolve_paths(self, doc: Any) -> None:
        """Write the files a document names as absolute paths (the copy lives in another folder)."""
        if not isinstance(doc, dict):
            return
        region = doc.get("region")
        if isinstance(region, str) and region not in bundled_regions() and self.resolve(region).exists():
            doc["region"] = str(self.resolve(region).resolve())
        net = doc.get("network")
        if isinstance(net, dict) and isinstance(net.get("file"), str):
            net["file"] = str(self.resolve(net["file"]).resolve())
        demand = doc.get("demand")
        if isinstance(demand, dict) and isinstance(demand.get("incident_log"), str):
            demand["incident_log"] = str(self.resolve(demand["incident_log"]).resolve())

    # -------------------------------------------------------------- the network
    def load_region(self) -> Any:
        """Load the region (or network) the scenario runs on; raise ScenarioError if unknown."""
        b = self.base
        if b.region is not None:
            candidate = self.resolve(b.region)
            known = bundled_regions()
            if b.region not in known and not candidate.exists():
                raise ScenarioError([Problem(self.filename, self.line_of(("region",)), "region",
                                             unknown_name("region", b.region, known)
                                             + f"; or a path to a region folder (data: {data_dir()})")])
            try:
                return load_region(b.region if b.region in known else str(candidate),
                                   speeds=specs.road_speeds(b.speeds))
            except DataError as exc:
                raise ScenarioError([Problem(self.filename, self.line_of(("region",)), "region",
                                             str(exc))]) from None
        assert b.network is not None
        src = self.resolve(b.network.file)
        if not src.exists():
            raise ScenarioError([Problem(self.filename, self.line_of(("network", "file")), "network.file",
                                         f"no such file: {src}")])
        try:
            return _NetworkOnly(b.network.name or src.name,
                                load_network(src, speeds=specs.road_speeds(b.speeds)))
        except DataError as exc:
            raise ScenarioError([Problem(self.filename, self.line_of(("network", "file")),
                                         "network.file", str(exc))]) from None

    def check_network(self, region: Any) -> list[Problem]:
        """Problems only the network reveals: points off the network, unknown centres, places."""
        return network_problems(self, region)

    # -------------------------------------------------------------- model specs
    def model_specs(self, region: Any) -> dict[str, ModelSpec]:
        """One :class:`ModelSpec` per variant (file order), defaults filled from :mod:`sim.model.defaults`."""
        return {name: self.model_spec(name, region) for name in self.variants}

    def model_spec(self, variant: str, region: Any) -> ModelSpec:
        """The :class:`ModelSpec` of one variant."""
        doc = self.variants[variant]
        log = doc.demand.incident_log
        return specs.model_spec(doc, region, incident_log=None if log is None else self.resolve(log))

    # -------------------------------------------------------------- focus areas
    def focus_masks(self, lat: Any, lon: Any, country: Any) -> dict[str, np.ndarray]:
        """For each focus area, whether each point lies in it (vectorised)."""
        return focus.focus_masks(self.base.focus, lat, lon, country,
                                 jurisdictions=self._jurisdictions())

    def _jurisdictions(self) -> Path:
        """The jurisdictions file of the region (it may not exist: a network file has none)."""
        region = self.base.region
        if region is None:
            net_file = self.base.network.file if self.base.network else "network"
            return self.resolve(net_file).with_name("jurisdictions.geojson")
        if region in bundled_regions():
            return data_dir() / "regions" / region / "jurisdictions.geojson"
        path = self.resolve(region)
        if path.is_dir():
            return path / "jurisdictions.geojson"
        folder = region_dir_for(path.resolve()) if path.is_file() else None
        return (folder or path.parent) / "jurisdictions.geojson"


def _read_variants(data: dict[str, Any], base_data: dict[str, Any], lines: Lines, filename: str,
                   problems: list[Problem]) -> tuple[dict[str, ScenarioDoc], dict[str, Lines]]:
    """Each variant merged over the base document and validated; problems are added to `problems`
    (once each: a mistake in the base shows in every variant)."""
    seen = {(p.line, p.path, p.message) for p in problems}
    variants: dict[str, ScenarioDoc] = {}
    variant_lines: dict[str, Lines] = {}
    vlines = lines.child("variants")
    raw_variants = data.get("variants")
    if "variants" not in data:
        raw_variants = {"base": {}}
    elif not isinstance(raw_variants, dict) or not raw_variants:
        problems.append(Problem(filename, vlines.line, "variants",
                                "must name at least one variant, e.g. national: {agreements: []}"))
        raw_variants = {}
    elif len(raw_variants) > MAX_VARIANTS:
        problems.append(Problem(filename, vlines.line, "variants",
                                f"{len(raw_variants)} variants: at most {MAX_VARIANTS} (the limit of a "
                                "scenario file)"))
        raw_variants = {}
    for vname, over in raw_variants.items():
        ol = vlines.child(vname)
        bad = _variant_shape_problems(vname, over, ol, filename, "variants" in data)
        if bad:
            problems += bad
            continue
        edits: list[tuple[tuple[Any, ...], int, str]] = []
        merged, mlines = merge(base_data, lines, over, ol, (), edits)
        doc, probs = validate_doc(merged, mlines, filename, vname)
        probs = [Problem(filename, line, path_str(("variants", vname, *loc)), msg)
                 for loc, line, msg in edits] + probs
        for p in probs:
            key = (p.line, p.path, p.message)
            if key not in seen:
                problems.append(p)
                seen.add(key)
        if doc is not None:
            variants[vname] = doc
            variant_lines[vname] = mlines
    return variants, variant_lines


def _variant_shape_problems(vname: Any, over: Any, ol: Lines, filename: str,
                            written: bool) -> list[Problem]:
    """A variant's name, emptiness and keys it may not change."""
    vloc = ("variants", vname)
    if not isinstance(vname, str) or not _VARIANT_NAME.fullmatch(str(vname)):
        return [Problem(filename, ol.line, path_str(vloc),
                        "a variant name uses letters, digits, '-', '_' and '.' (at most 80)")]
    if written and (not isinstance(over, dict) or not over):
        return [Problem(filename, ol.line, path_str(vloc),
                        "empty variant: give the keys it changes, e.g. agreements: []")]
    return [Problem(filename, ol.child(k).line, path_str((*vloc, k)),
                    "cannot change in a variant: every variant shares region, "
                    "network, horizon, warm-up, replications, seed, focus and speeds"
                    if k != "uncertain" else "the uncertain block belongs to the file, not to a variant")
            for k in over if k in FIXED_IN_VARIANTS]


def _problems_of(doc: dict[str, Any]) -> list[Problem]:
    """The problems of an edited document (none if it validates)."""
    try:  # as Scenario.from_data, without the text (only the problems are wanted)
        Scenario._validated(doc, Lines(0), [], text="", filename="<scenario>", path=None)
    except ScenarioError as exc:
        return exc.problems
    return []


@dataclass
class _NetworkOnly:
    """A region made only of a road network (scenarios with ``network:`` instead of ``region:``)."""

    name: str
    network: Any
    places: tuple[Place, ...] = ()
    hospitals: tuple[Hospital, ...] = ()
    ambulance_posts: tuple[Any, ...] = ()


MAX_FILE_BYTES = 1 * MiB
"""Largest scenario file read (the Euregio scenario, the largest bundled one, is 31 kB)."""


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (schema checks; see :meth:`Scenario.check_network`).

    Raises
    ------
    ScenarioError
        Listing every problem as ``file:line field.path: message``.
    """
    p = Path(path)
    try:
        text = read_text(p, limit=MAX_FILE_BYTES, what="scenario file")
    except FileProblem as exc:
        message = "no such scenario file" if exc.message == "no such file" else exc.message
        raise ScenarioError([Problem(p.name if p.is_file() else str(path), exc.line, "", message)]) from None
    return Scenario.from_text(text, filename=p.name, path=p.resolve())


def validate_file(path: str | Path, *, network: bool = True) -> list[Problem]:
    """Every problem with a scenario file, including (if `network`) those the network reveals."""
    try:
        sc = load_scenario(path)
    except ScenarioError as exc:
        return exc.problems
    if not network:
        return []
    try:
        region = sc.load_region()
    except ScenarioError as exc:
        return exc.problems
    return sc.check_network(region)
