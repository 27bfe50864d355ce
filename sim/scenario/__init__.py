"""The scenario package: the scenario language and everything that reads a scenario file.

- :mod:`~sim.scenario.spec` — the language itself: pydantic models of every block, with every
  default and its unit (``Scenario``, the world blocks, events), re-exporting the models of
  its parts below;
- :mod:`~sim.scenario.forces` — the forces a scenario deploys (``Force``, ``ConvoyOrders``);
- :mod:`~sim.scenario.rule_params` — the rules' parameter models, ``RULE_MODELS``;
- :mod:`~sim.scenario.units` — the strict base model and the constrained number types;
- :mod:`~sim.scenario.load` — :func:`load_scenario` → :class:`LoadedScenario`, the one entry;
- :mod:`~sim.scenario.keypaths` — key paths ('forces[2].route[0]'), reading and setting values by
  them, and the ``--set KEY.PATH=VALUE`` parser every command uses;
- :mod:`~sim.scenario.yaml_lines` — reading YAML with the line of every key;
- :mod:`~sim.scenario.extends` — ``extends`` chains, deep-merged, with each key's origin;
- :mod:`~sim.scenario.report` — :class:`Report`: problems at the file and line that set them;
- :mod:`~sim.scenario.messages` — pydantic errors worded for the user;
- :mod:`~sim.scenario.fields` — the models read key by key (shared by key paths and messages);
- :mod:`~sim.scenario.checks` and :mod:`~sim.scenario.mapchecks` — cross-checks, without and
  with the map;
- :mod:`~sim.scenario.json_schema` — the JSON Schema for editors;
- :mod:`~sim.scenario.library` — the shipped scenarios.

Sweep files (:mod:`sim.experiments.sweepfile`) are read with the same YAML reader, key paths,
messages and report.
"""

from sim.scenario.fields import PathT
from sim.scenario.json_schema import scenario_json_schema
from sim.scenario.keypaths import (
    PathError,
    format_path,
    get_by_path,
    parse_assignment,
    parse_path,
    parse_sets,
    set_by_path,
)
from sim.scenario.library import shipped_scenarios
from sim.scenario.load import (
    LoadedScenario,
    RuleSpec,
    canonical_json,
    load_scenario,
    scenario_digest,
)
from sim.scenario.mapchecks import standable
from sim.scenario.messages import pydantic_problems
from sim.scenario.report import Origin, Report, display_path, file_origins
from sim.scenario.spec import RULE_MODELS, RuleParams, Scenario
from sim.scenario.yaml_lines import StopReading, read_mapping_file, read_yaml

__all__ = [
    "RULE_MODELS",
    "LoadedScenario",
    "Origin",
    "PathError",
    "PathT",
    "Report",
    "RuleParams",
    "RuleSpec",
    "Scenario",
    "StopReading",
    "canonical_json",
    "display_path",
    "file_origins",
    "format_path",
    "get_by_path",
    "load_scenario",
    "parse_assignment",
    "parse_path",
    "parse_sets",
    "pydantic_problems",
    "read_mapping_file",
    "read_yaml",
    "scenario_digest",
    "scenario_json_schema",
    "set_by_path",
    "shipped_scenarios",
    "standable",
]
