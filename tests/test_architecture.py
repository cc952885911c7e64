"""The package's layers: imports run one way, and there is no import cycle.

``sim/`` is a stack of layer folders (``docs/architecture.md``). A module may import from its own
layer and from the layers below it, never from one above or beside it; ``sim/__init__.py`` (the
public API) sits on top and nothing inside the package imports it. The checker reads the source
(``ast``), so it sees imports inside functions and under ``TYPE_CHECKING`` too: a layer may not
reach up even lazily. Cycles are looked for among the runtime imports (``TYPE_CHECKING`` ones are
for type hints only and are left out of that check).

The checker is a plain function of ``{module name: source}`` so that the tests below can show it
failing on a deliberately wrong import and a deliberately made cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]

LAYERS: dict[str, int] = {
    "sim.errors": 0,
    "sim.paths": 1,
    "sim.roads": 2,
    "sim.model": 3,
    "sim.engine": 4,
    "sim.scenario": 4,  # same height as the engine: neither imports the other
    "sim.analysis": 5,
    "sim.study": 6,
    "sim.figures": 7,
    "sim.cli": 8,
    "sim": 9,  # the public API in sim/__init__.py
}
"""Height of each layer; a module may import only from lower layers and its own."""


def layer_of(module: str) -> str:
    """The layer a module belongs to: the longest prefix in :data:`LAYERS`."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        if name in LAYERS:
            return name
    raise KeyError(module)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(module: str, source: str, known: set[str]) -> list[tuple[str, int, bool]]:
    """``(imported sim module, line, only for type checking)`` for every import in `source`."""
    tree = ast.parse(source)
    package = module if module.endswith("__init__") else module.rsplit(".", 1)[0]
    package = package.removesuffix(".__init__")
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.body:
                    visit_one(sub, True)
                for sub in child.orelse:
                    visit_one(sub, typing_only)
            else:
                visit_one(child, typing_only)

    def visit_one(node: ast.AST, typing_only: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sim" or alias.name.startswith("sim."):
                    found.append((alias.name, node.lineno, typing_only))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base == "sim" or base.startswith("sim."):
                for alias in node.names:  # `from sim.x import y` where y is a module
                    full = f"{base}.{alias.name}"
                    found.append((full if full in known else base, node.lineno, typing_only))
        else:
            visit(node, typing_only)

    visit(tree, False)
    return found


def check(sources: Mapping[str, str]) -> tuple[list[str], list[list[str]]]:
    """Layer violations (``"a.py:3 sim.model.x imports sim.study.y"``) and import cycles."""
    known = set(sources)
    violations: list[str] = []
    graph: nx.DiGraph = nx.DiGraph()
    graph.add_nodes_from(known)
    for module, source in sources.items():
        mine = layer_of(module)
        for target, line, typing_only in imports_of(module, source, known):
            theirs = layer_of(target)
            if theirs != mine and (LAYERS[theirs] >= LAYERS[mine] or theirs == "sim"):
                message = f"{module}:{line} imports {target} ({mine} may not import {theirs})"
                if message not in violations:
                    violations.append(message)
            if theirs == mine == "sim":
                continue
            if not typing_only and target in known and target != module:
                graph.add_edge(module, target)
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    return violations, cycles


def package_sources() -> dict[str, str]:
    """``{module: source}`` of every module of ``sim/`` (packages as their ``__init__``)."""
    out = {}
    for path in sorted((ROOT / "sim").rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path.read_text(encoding="utf-8")
    return out


def test_every_module_belongs_to_a_layer() -> None:
    stray = [m for m in package_sources() if m.count(".") == 1 and m not in LAYERS]
    assert not stray, f"modules outside the layer folders: {stray} (see docs/architecture.md)"


def test_imports_run_one_way_and_make_no_cycle() -> None:
    violations, cycles = check(package_sources())
    assert not violations, "\n".join(violations)
    assert not cycles, f"import cycles: {cycles}"


# ------------------------------------------------------------------ the checker itself can fail


def test_a_lower_layer_importing_a_higher_one_is_caught() -> None:
    sources = package_sources()
    before, _ = check(sources)
    sources["sim.model.units"] += "\n\ndef _f():\n    from sim.study.runner import run_scenario\n"
    after, _ = check(sources)
    new = [v for v in after if v not in before]
    assert len(new) == 1
    assert new[0].startswith("sim.model.units:")
    assert "sim.model may not import sim.study" in new[0]


@pytest.mark.parametrize("line", [
    "from sim.engine import simulate",  # beside: the scenario may not import the engine
    "import sim.figures",
    "from sim import load_scenario",  # the public API, from inside the package
])
def test_sideways_and_top_imports_are_caught(line: str) -> None:
    sources = package_sources()
    sources["sim.scenario.schema_probe"] = line + "\n"
    violations, _ = check(sources)
    assert [v for v in violations if v.startswith("sim.scenario.schema_probe:1 ")], violations


def test_a_cycle_is_caught_but_not_one_for_type_hints_only() -> None:
    sources = {
        "sim.model.a": "from sim.model import b\n",
        "sim.model.b": "def f():\n    from sim.model.a import x\n",
        "sim.model.c": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from sim.model.d import y\n",
        "sim.model.d": "from sim.model.c import z\n",
    }
    violations, cycles = check(sources)
    assert not violations
    assert cycles == [["sim.model.a", "sim.model.b"]]


def test_notebooks_use_only_the_public_api() -> None:
    """Researchers' notebooks reach the package through ``import sim`` and its public names only."""
    import json

    public = {"sim"}
    bad = []
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            for node in ast.walk(ast.parse("\n".join(
                    ln for ln in "".join(cell["source"]).splitlines() if not ln.startswith("%")))):
                if isinstance(node, ast.Import):
                    bad += [f"{nb.name}: import {a.name}" for a in node.names
                            if a.name.startswith("sim") and a.name not in public]
                elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim"):
                    bad.append(f"{nb.name}: from {node.module} import ...")
    assert not bad, bad
