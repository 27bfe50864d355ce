"""Corridor: an agent-based what-if simulation of contested supply corridors, built on Mesa.

A stylised what-if model, not a forecast. Agent behaviour lives in ``sim.agents`` (one module
per agent kind, and ``sim.agents.planner``, a faction's command; the repository's top-level
agents/ folder); everything else, the wiring, lives
here.

Start here (from Python; the README's "From Python" section says more)::

    import sim
    reps = sim.replicate("albu_kamal_blockade", 20)   # 20 paired replicates on every core
    reps.tidy        # long table: run, seed, step, day, faction, place, pair, convoy, metric, value, unit, state
    reps.runs        # one row per run: seed and final outcomes
    one = sim.run("open_road", seed=1, overrides={"time.duration_days": 5})
    one.wide         # the step table, one column per observation; one.summary: headline outcomes
    cmp = sim.compare(["open_road", "albu_kamal_blockade"], replicates=20)
    cmp.table        # outcome × arm: mean, paired difference from the first, 95 % interval
    sw = sim.sweep("airstrike_rate")                    # a sweep file from scenarios/sweeps/
    sw = sim.sweep(scenario="open_road", parameters={"forces[7].strength": (20, 80)}, design="lhs", samples=8)

Scenarios are library names ("open_road"), paths, or ``sim.load(name, overrides)``;
overrides are ``{key path: value}``, as ``--set``. ``out=None`` (the default) writes nothing;
``out="folder"`` writes what the command line writes. Mesa's way works too::

    model = sim.CorridorModel(sim.load("albu_kamal_blockade"), rng=1)
    while model.running:
        model.step()
    model.datacollector.get_model_vars_dataframe()     # or: result = model.run()

Where things live (by role; the README's *Project layout* says the same, module by module):

========================  ==============================================================
``sim.model``             ``CorridorModel``: assembly from a scenario and the step schedule
``sim.streams``           one random stream per subsystem and kind of decision
``sim.outputs``           what each mechanism reports: columns with units, rows, summary
``sim.world``             factions, the grid, routing, the spatial service, the calendar
``sim.submodels``         influence, engagement, economy, tempo, fronts, tension, population, holding, timeline
``sim.rules``             control rules as plug-ins (checkpoint_blockade, reinforcement, …)
``sim.scenario``          the scenario language (YAML, ``extends``, pydantic models, checks)
``sim.geography``         the corridor map: terrain, projection, GeoJSON source, rasterising
``sim.results``           what a run leaves behind: recorder, result, tidy table, event log
``sim.experiments``       sweeps, what-if comparisons with common random numbers, sensitivity
``sim.hindcast``          the model against the record: UCDP/ACLED events, who held what,
                          pattern statistics, calibration (ABC-SMC), posterior draws
``sim.figures``           every chart and map drawing (one shared style)
``sim.app``               the Solara teaching app and the ``viz``/``export`` commands
``sim.api``               the Python API (``sim.mesa_compat``: Mesa's conventions)
``sim.program``           command line, flags, signals, extras, output files, folders, errors
``sim.bench``             benchmarks: step cost against Mesa, the sweep engine
========================  ==============================================================

The model description (ODD) is docs/odd.md; the scenario language docs/scenario_language.md.
"""

from __future__ import annotations

import sys
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path
from typing import TYPE_CHECKING

# The agent kinds are imported as `sim.agents`, never as a top-level `agents`, so that a
# Mesa-style agents.py beside a notebook (or another package named `agents`) cannot shadow
# them. Installed, they are the subpackage sim/agents/ (pyproject.toml maps the source folder
# agents/ there); in a checkout they stay in the top-level agents/ folder, registered here
# under the name sim.agents.
if not (Path(__file__).parent / "agents").is_dir() and "sim.agents" not in sys.modules:
    _source = Path(__file__).resolve().parent.parent / "agents"
    _spec = spec_from_file_location("sim.agents", _source / "__init__.py", submodule_search_locations=[str(_source)])
    agents = module_from_spec(_spec)
    sys.modules["sim.agents"] = agents
    _spec.loader.exec_module(agents)

__all__ = ["DISCLAIMER", "Comparison", "CorridorModel", "Run", "RunResult", "Runs", "Sweep", "compare",
           "load", "load_scenario", "replicate", "run", "sweep"]

# The entry points are imported on first use, so `import sim` (and the command line's --help)
# stay fast: the model pulls in Mesa, which takes seconds to import.
_EXPORTS = {
    "CorridorModel": "sim.model",
    "DISCLAIMER": "sim.program.disclaimer",
    "RunResult": "sim.results.result",
    "load_scenario": "sim.scenario",
    **dict.fromkeys(("load", "run", "replicate", "compare", "sweep", "Run", "Runs", "Comparison", "Sweep"),
                    "sim.api"),
}

if TYPE_CHECKING:  # pragma: no cover
    from sim.api import Comparison, Run, Runs, Sweep, compare, load, replicate, run, sweep
    from sim.model import CorridorModel
    from sim.program.disclaimer import DISCLAIMER
    from sim.results.result import RunResult
    from sim.scenario import load_scenario


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
