"""What describes the scenario language to its users: the JSON Schema for editors, the shipped
scenario list, the `validate`, `schema` and `list` commands, and the example and key list in
docs/scenario_language.md."""

from __future__ import annotations

import json
import re
import typing

from test_scenario import BASELINE, BLOCKADE, ROOT, SCENARIOS, raw, write

from sim.scenario import load_scenario, scenario_json_schema, shipped_scenarios
from sim.scenario.spec import RULE_MODELS, Scenario

from conftest import run_cli

DOC = ROOT / "docs" / "scenario_language.md"


# --------------------------------------------------------------------------- JSON Schema


def _refs(node) -> typing.Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_json_schema_describes_rules_for_editors():
    schema = scenario_json_schema()
    json.dumps(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    defs = schema["$defs"]
    rules = defs["Scenario"]["properties"]["rules"]
    assert set(rules["properties"]) == set(RULE_MODELS)
    assert rules["additionalProperties"] is False
    assert any(re.fullmatch(p, "reinforcement/russia") for p in rules["patternProperties"])
    blockade_ref = rules["properties"]["checkpoint_blockade"]["$ref"]
    blockade_schema = defs[blockade_ref.rsplit("/", 1)[1]]
    assert "stop_probability" in blockade_schema["properties"]
    assert blockade_schema["properties"]["stop_probability"]["maximum"] == 1.0
    assert "from" in defs["CoOptationParams"]["properties"]  # the alias users write
    # every reference resolves
    for ref in _refs(schema):
        assert ref.startswith("#/$defs/") and ref.split("/")[-1] in defs, ref
    # a file that extends another need not repeat the required keys
    assert schema["if"] == {"required": ["extends"]}
    assert "required" not in defs["ScenarioPartial"]
    assert set(defs["Scenario"]["required"]) >= {"name", "description", "factions"}


def test_json_schema_knows_every_key_of_the_shipped_scenarios():
    defs = scenario_json_schema()["$defs"]
    props = defs["Scenario"]["properties"]
    for path in (BASELINE, BLOCKADE):
        assert set(raw(path)) <= set(props), path


# --------------------------------------------------------------------------- shipped scenarios


def test_shipped_scenarios_lists_yaml_files_with_descriptions(tmp_path):
    found = dict(shipped_scenarios(SCENARIOS))
    assert BASELINE in found and BLOCKADE in found
    assert found[BASELINE].startswith("The Euphrates corridor after ISIS's expulsion from Albu Kamal")
    assert all(len(d) <= 101 and "\n" not in d for d in found.values())
    # only files directly in the folder, sorted
    write(tmp_path, "b.yaml", "name: B\ndescription: Second one. More text.\n")
    write(tmp_path, "a.yaml", "name: A\ndescription: " + "word " * 40 + "\n")
    write(tmp_path, "sweeps/s.yaml", "parameters: {}\n")
    listed = shipped_scenarios(tmp_path)
    assert [p.name for p, _ in listed] == ["a.yaml", "b.yaml"]
    assert listed[1][1] == "Second one."
    assert listed[0][1].endswith("…") and len(listed[0][1]) <= 101


# --------------------------------------------------------------------------- command line


def test_cli_validate_shipped_scenarios():
    files = sorted(str(p.relative_to(ROOT)) for p in SCENARIOS.glob("*.yaml"))
    done = run_cli("validate", *files)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == len(files)
    for line, file in zip(lines, files, strict=True):
        assert line.startswith("ok") and file in line


def test_cli_schema_prints_json():
    done = run_cli("schema")
    assert done.returncode == 0, done.stderr
    schema = json.loads(done.stdout)
    assert "checkpoint_blockade" in done.stdout and "$defs" in schema


def test_cli_list_shows_descriptions():
    done = run_cli("list")
    assert done.returncode == 0, done.stderr
    assert "baseline.yaml" in done.stdout and "albu_kamal_blockade.yaml" in done.stdout
    assert "Iran-backed militias man a checkpoint at Albu Kamal" in done.stdout


# --------------------------------------------------------------------------- the language guide


def doc_example() -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    complete = [b for b in blocks if "# complete example" in b]
    assert len(complete) == 1, "docs/scenario_language.md needs one ```yaml block marked '# complete example'"
    return complete[0]


def test_doc_example_scenario_validates(tmp_path):
    text = doc_example()
    assert "extends: baseline.yaml" in text
    path = write(tmp_path, "example.yaml", text.replace("extends: baseline.yaml", f"extends: {BASELINE}"))
    loaded = load_scenario(path)
    assert loaded.spec.events and loaded.rules


def test_doc_mentions_every_key_of_the_language():
    text = DOC.read_text(encoding="utf-8")
    models = {m for m in _models(Scenario)} | set(RULE_MODELS.values())
    missing = sorted(
        f"{m.__name__}.{info.alias or name}"
        for m in models for name, info in m.model_fields.items()
        if f"`{info.alias or name}`" not in text
    )
    assert not missing, f"docs/scenario_language.md does not describe: {', '.join(missing)}"
    for kind in RULE_MODELS:
        assert f"`{kind}`" in text


def _models(model) -> typing.Iterator[type]:
    from pydantic import BaseModel

    seen = set()
    stack = [model]
    while stack:
        m = stack.pop()
        if m in seen:
            continue
        seen.add(m)
        yield m
        for info in m.model_fields.values():
            stack.extend(t for t in _types(info.annotation) if isinstance(t, type) and issubclass(t, BaseModel))


def _types(tp) -> typing.Iterator:
    yield tp
    for arg in typing.get_args(tp):
        yield from _types(arg)
