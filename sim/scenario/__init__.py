"""The scenario package: the scenario language (`spec`) and the loader that reads it (`load`)."""

from sim.scenario.load import (
    SCENARIO_DIR,
    LoadedScenario,
    PathError,
    RuleSpec,
    StopReading,
    canonical_json,
    describe_found,
    format_path,
    get_by_path,
    hours_per_km,
    load_scenario,
    parse_assignment,
    parse_path,
    pydantic_problems,
    read_yaml,
    scenario_json_schema,
    set_by_path,
    shipped_scenarios,
    standable,
)
from sim.scenario.spec import RULE_MODELS, RuleBase, Scenario

__all__ = [
    "RULE_MODELS", "SCENARIO_DIR", "LoadedScenario", "PathError", "RuleBase", "RuleSpec", "Scenario",
    "StopReading", "canonical_json", "describe_found", "format_path", "get_by_path", "hours_per_km",
    "load_scenario", "parse_assignment", "parse_path", "pydantic_problems", "read_yaml",
    "scenario_json_schema", "set_by_path", "shipped_scenarios", "standable",
]
