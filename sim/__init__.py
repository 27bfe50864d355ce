"""Corridor: an agent-based what-if simulation of contested supply corridors, built on Mesa.

A stylised what-if model, not a forecast. Agent behaviour lives in the top-level ``agents``
package (one module per agent kind); everything else, the wiring, lives here.

Start here::

    from sim import load_scenario, CorridorModel
    loaded = load_scenario("scenarios/albu_kamal_blockade.yaml", overrides={"time.duration_days": 5})
    result = CorridorModel(loaded, seed=1).run()     # a sim.results.RunResult
    result.steps          # pandas DataFrame, one row per step
    result.summary        # dict of headline outcomes
    result.save("outputs/my_run")

Where things live:

========================  ==============================================================
``sim.model``             ``CorridorModel``: assembly from a scenario and the order of one step
``sim.scenario``          the scenario language: YAML with line numbers, ``extends``, the
                          pydantic models (``spec``, ``rule_params``), checks, JSON Schema
``sim.geography``         the corridor map: terrain, projection, GeoJSON source, rasterising
``sim.paths``             least-time paths over the map (cached), hours per km, forbidden masks
``sim.influence``         influence as force density and zones of control (whole-array)
``sim.engagement``        Lanchester attrition between hostile units
``sim.economy``           funding, upkeep, recruitment from a manpower pool
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

from typing import TYPE_CHECKING

__all__ = ["CorridorModel", "DISCLAIMER", "RunResult", "load_scenario"]

# The entry points are imported on first use, so `import sim` (and the command line's --help)
# stay fast: the model pulls in Mesa, which takes seconds to import.
_EXPORTS = {
    "CorridorModel": "sim.model",
    "DISCLAIMER": "sim.disclaimer",
    "RunResult": "sim.results",
    "load_scenario": "sim.scenario",
}

if TYPE_CHECKING:  # pragma: no cover
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
