"""xborder: how much faster emergency help arrives when units may cross the border.

The public API for notebooks and scripts; everything else is reached through the layer folders
(``docs/architecture.md``)::

    import sim

    scenario = sim.load_scenario("scenarios/baarle-turnhout.yaml")
    folder = sim.run(scenario, reps=3, out="/tmp/study")      # a results folder, as `xborder run`
    res = sim.load_results(folder)                             # .incidents, .missions, .units, .summary
    table = sim.compare_table(res.summary)                     # the planner's table, as `xborder compare`
    frames = sim.run_in_memory(scenario, reps=3)               # the same tables, nothing written
    sim.figures.fig_response_cdf(res.incidents)                # each standard figure, a matplotlib Figure
    sim.tables.norm_shares(res.incidents)                      # the table behind a figure
    sim.stats.paired_diff_ci(a, b)                             # the intervals the summary uses

Names are imported when first used, so ``import sim`` stays light (the command line imports only
what a command needs).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API: dict[str, tuple[str, str | None]] = {
    "load_scenario": ("sim.scenario", "load_scenario"),
    "Scenario": ("sim.scenario", "Scenario"),
    "ScenarioError": ("sim.scenario", "ScenarioError"),
    "run": ("sim.study.runner", "run_scenario"),
    "run_in_memory": ("sim.study.runner", "run_replications"),
    "resume": ("sim.study.runner", "resume_run"),
    "load_results": ("sim.study.folders", "load_results"),
    "Results": ("sim.study.folders", "Results"),
    "compare_table": ("sim.analysis.compare", "compare_table"),
    "DataError": ("sim.errors", "DataError"),
    "UsageError": ("sim.errors", "UsageError"),
    "figures": ("sim.figures", None),
    "tables": ("sim.analysis.tables", None),
    "stats": ("sim.analysis.stats", None),
}
"""Public name -> (module, attribute; ``None`` for the module itself)."""

__all__ = ["DataError", "Results", "Scenario", "ScenarioError", "UsageError", "compare_table", "figures",
           "load_results", "load_scenario", "resume", "run", "run_in_memory", "stats", "tables"]

if TYPE_CHECKING:  # pragma: no cover
    from sim import figures
    from sim.analysis import stats, tables
    from sim.analysis.compare import compare_table
    from sim.errors import DataError, UsageError
    from sim.scenario import Scenario, ScenarioError, load_scenario
    from sim.study.folders import Results, load_results
    from sim.study.runner import resume_run as resume
    from sim.study.runner import run_replications as run_in_memory
    from sim.study.runner import run_scenario as run


def __getattr__(name: str) -> Any:
    try:
        module, attr = _API[name]
    except KeyError:
        raise AttributeError(f"module 'sim' has no attribute {name!r}") from None
    value = importlib.import_module(module)
    return value if attr is None else getattr(value, attr)


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
