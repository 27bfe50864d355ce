"""Corridor: an agent-based what-if simulation of contested supply corridors, built on Mesa.

A stylised what-if model, not a forecast. Agent behaviour lives in ``sim.agents`` (one module
per agent kind, and ``sim.agents.planner``, a faction's command; the repository's top-level
agents/ folder); everything else, the wiring, lives
here.

Start here (from Python; the README's "From Python" section says more)::

    import sim
    reps = sim.replicate("albu_kamal_blockade", 20)   # 20 paired replicates on every core
    reps.tidy        # long table: run, seed, step, day, faction, metric, value, unit, state
    reps.runs        # one row per run: seed and final outcomes
    one = sim.run("open_road", seed=1, overrides={"time.duration_days": 5})
    one.wide         # the step table, one column per observation; one.summary: headline outcomes
    cmp = sim.compare(["open_road", "albu_kamal_blockade"], replicates=20)
    cmp.table        # outcome × arm: mean, paired difference from the first, 95 % interval
    sw = sim.sweep("airstrike_rate")                    # a sweep file from scenarios/sweeps/

Scenarios are library names ("open_road"), paths, or ``sim.load(name, overrides)``;
overrides are ``{key path: value}``, as ``--set``. ``out=None`` (the default) writes nothing;
``out="folder"`` writes what the command line writes. Mesa's way works too::

    model = sim.CorridorModel(sim.load("albu_kamal_blockade"), rng=1)
    while model.running:
        model.step()
    model.datacollector.get_model_vars_dataframe()     # or: result = model.run()

Where things live:

========================  ==============================================================
``sim.api``               the Python API: ``load``, ``run``, ``replicate``, ``compare``, ``sweep``
``sim.tidy``              the step table in long form, with the unit of every value
``sim.mesa_compat``       Mesa's conventions: the seed from ``rng=``, a DataCollector view
``sim.model``             ``CorridorModel``: assembly from a scenario and the order of one step
``sim.scenario``          the scenario language: YAML with line numbers, ``extends``, the
                          pydantic models (``spec``, ``rule_params``), checks, JSON Schema
``sim.geography``         the corridor map: terrain, projection, GeoJSON source, rasterising
``sim.paths``             least-time paths over the map (cached), hours per km, forbidden masks
``sim.grid``              the Mesa grid the units stand on (without neighbour links)
``sim.spatial``           ``model.space``: cells and units near a place, forbidden masks, paths
``sim.influence``         influence as force density and zones of control (whole-array)
``sim.engagement``        Lanchester attrition between hostile units
``sim.economy``           funding, upkeep, recruitment from a manpower pool
``sim.tension``           tension between rivals; escalation and de-escalation of relations
``sim.population``        towns' support for each faction (control and harm) and grievance
``sim.rules``             control rules as plug-ins (checkpoint_blockade, reinforcement, …)
``sim.factions``          factions and the relations between them
``sim.timeline``          scheduled events (spawn forces, set rule parameters)
``sim.streams``           one random stream per subsystem and kind of decision
``sim.narrative``         the event log and its readable text
``sim.observe``           what is recorded each step, into preallocated arrays
``sim.results``           ``RunResult``: the step table, summary, event log; ``save``
``sim.output``            atomic writes, run folders Corridor marks as its own, publishing
                          that never replaces (``sim.noreplace``: the rename that cannot)
``sim.figures``           every chart and map drawing (one shared style)
``sim.experiments``       sweeps, what-if comparisons with common random numbers, sensitivity
``sim.app``               the Solara teaching app and the ``viz``/``export`` commands
``sim.bench``             benchmarks: step cost against Mesa, the sweep engine
``sim.cli``               the command line (``python run.py --help``); ``sim.flags``: its
                          numeric values checked like a file's; ``sim.interrupts``: SIGTERM
                          handled like Ctrl-C, pool workers that end with their parent
``sim.locations``         the project's folders; ``sim.disclaimer``: the one disclaimer line
``sim.errors``            user-facing errors (one line, exit status 2)
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
    "DISCLAIMER": "sim.disclaimer",
    "RunResult": "sim.results",
    "load_scenario": "sim.scenario",
    **dict.fromkeys(("load", "run", "replicate", "compare", "sweep", "Run", "Runs", "Comparison", "Sweep"),
                    "sim.api"),
}

if TYPE_CHECKING:  # pragma: no cover
    from sim.api import Comparison, Run, Runs, Sweep, compare, load, replicate, run, sweep
    from sim.disclaimer import DISCLAIMER
    from sim.model import CorridorModel
    from sim.results import RunResult
    from sim.scenario import load_scenario


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
