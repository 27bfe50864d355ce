"""The JSON Schema of a scenario file (``python run.py schema``), generated from the models of
:mod:`sim.scenario.spec`, for editors that complete and check YAML as it is typed.
"""

from __future__ import annotations

import re
from typing import Any

from sim.program.disclaimer import DISCLAIMER
from sim.scenario.spec import RULE_MODELS, Scenario


def scenario_json_schema() -> dict:
    """JSON Schema (draft 2020-12) of a scenario file, for editors.

    `rules` is described as an object whose properties are the rule kinds (and 'kind/label'
    pattern properties) with each rule's parameters. A file with `extends` need only give the
    keys it changes, so its mappings have no required keys.
    """
    full = Scenario.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
    defs: dict = full.pop("$defs", {})
    for model in RULE_MODELS.values():
        rule_schema = model.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
        defs.update(rule_schema.pop("$defs", {}))
        defs[model.__name__] = rule_schema
    defs["Scenario"] = full
    full["properties"]["rules"] = {
        "type": "object",
        "title": "Rules",
        "description": Scenario.model_fields["rules"].description,
        "properties": {kind: {"$ref": f"#/$defs/{m.__name__}"} for kind, m in RULE_MODELS.items()},
        "patternProperties": {
            f"^{re.escape(kind)}/[A-Za-z0-9_-]+$": {"$ref": f"#/$defs/{m.__name__}"}
            for kind, m in RULE_MODELS.items()
        },
        "additionalProperties": False,
    }
    full["properties"]["extends"] = {
        "type": "string",
        "description": "Scenario file this one extends (relative to this file); deep-merged: "
        "mappings merged key by key, lists and values replaced.",
    }
    # a partial twin of every model for files that extend another: no required keys in mappings
    partial: dict = {}
    for name, schema in defs.items():
        partial[f"{name}Partial"] = _partialise(schema)
    defs.update(partial)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Corridor scenario",
        "description": f"A scenario of the Corridor what-if simulation. {DISCLAIMER}",
        "type": "object",
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/$defs/ScenarioPartial"},
        "else": {"$ref": "#/$defs/Scenario"},
        "$defs": defs,
    }


def _partialise(schema: Any, in_list: bool = False) -> Any:
    """Copy a schema, dropping `required` and pointing mapping refs at the partial twins.

    Items of lists are replaced wholesale by a child file, so they keep the full schema.
    """
    if isinstance(schema, list):
        return [_partialise(s, in_list) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "required" and not in_list:
            continue
        if key == "$ref" and not in_list and isinstance(value, str):
            out[key] = value + "Partial"
        elif key in ("items", "prefixItems"):
            out[key] = _partialise(value, True)
        elif key == "properties" and isinstance(value, dict):
            out[key] = {k: _partialise(v, in_list) for k, v in value.items()}
        else:
            out[key] = _partialise(value, in_list)
    return out
