"""Loading scenarios: `extends` merging, defaults, overrides, key paths, the JSON Schema, the
shipped scenario list, the command line, and the example in docs/scenario_language.md."""

from __future__ import annotations

import json
import re
import shutil
import typing
from pathlib import Path

import pytest
import yaml

from sim.program.errors import InputErrors
from sim.scenario import (
    LoadedScenario,
    PathError,
    RuleSpec,
    format_path,
    get_by_path,
    load_scenario,
    parse_assignment,
    parse_path,
    scenario_json_schema,
    set_by_path,
    shipped_scenarios,
)
from sim.scenario.spec import RULE_MODELS, CheckpointBlockadeParams, ControlSpec, Scenario

from conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
BLOCKADE = SCENARIOS / "albu_kamal_blockade.yaml"
DOC = ROOT / "docs" / "scenario_language.md"


def raw(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def blockade() -> LoadedScenario:
    return load_scenario(BLOCKADE)


@pytest.fixture(scope="module")
def baseline() -> LoadedScenario:
    return load_scenario(BASELINE)


# --------------------------------------------------------------------------- extends and defaults


def test_shipped_scenarios_load(baseline, blockade):
    assert isinstance(baseline.spec, Scenario) and isinstance(blockade.spec, Scenario)
    assert blockade.source == BLOCKADE
    assert blockade.map.cell_km == blockade.spec.map.cell_km


def test_blockade_inherits_the_baseline_forces(baseline, blockade):
    assert len(baseline.spec.forces) == len(raw(BASELINE)["forces"])
    assert blockade.spec.forces == baseline.spec.forces
    assert blockade.spec.factions == baseline.spec.factions
    assert "forces" not in raw(BLOCKADE)


def test_rules_are_in_file_order_with_their_models(blockade):
    keys = list(raw(BASELINE)["rules"]) + [k for k in raw(BLOCKADE)["rules"] if k not in raw(BASELINE)["rules"]]
    assert [r.key for r in blockade.rules] == keys
    rule = next(r for r in blockade.rules if r.key == "checkpoint_blockade")
    assert isinstance(rule, RuleSpec) and rule.name == "checkpoint_blockade"
    assert isinstance(rule.params, CheckpointBlockadeParams)
    assert rule.params.stop_probability == 0.9 and rule.params.against == ["russia"]
    # a default the file leaves out
    assert rule.params.reach_km == CheckpointBlockadeParams.model_fields["reach_km"].default
    assert blockade.rule("checkpoint_blockade") is rule


def test_lists_are_replaced_not_appended(blockade):
    assert blockade.spec.teaching.questions == raw(BLOCKADE)["teaching"]["questions"]


def test_child_override_of_one_nested_key_keeps_its_siblings(tmp_path):
    child = write(tmp_path, "child.yaml", f"""\
extends: {BLOCKADE}
factions:
  russia: {{funding_usd_per_day: 3000}}
rules:
  reinforcement: {{max_per_day: 5}}
  checkpoint_blockade: {{stop_probability: 0.5}}
""")
    loaded = load_scenario(child)
    russia = loaded.spec.factions["russia"]
    assert russia.funding_usd_per_day == 3000 and russia.label == "Russian forces" and russia.color == "#D55E00"
    reinforcement = loaded.rule("reinforcement").params
    assert reinforcement.max_per_day == 5 and reinforcement.at == "Albu Kamal crossing"
    blockade = loaded.rule("checkpoint_blockade").params
    assert blockade.stop_probability == 0.5 and blockade.at == ["Albu Kamal"]


def test_defaults_from_the_schema_appear(blockade):
    assert "control" not in raw(BASELINE)
    assert blockade.spec.control.kernel_km == ControlSpec().kernel_km
    assert blockade.spec.engagement == Scenario.model_fields["engagement"].default


def test_step_length_does_not_change_the_duration(tmp_path):
    child = write(tmp_path, "two_hours.yaml", f"extends: {BLOCKADE}\ntime: {{step_hours: 2}}\n")
    loaded = load_scenario(child)
    assert loaded.spec.time.step_hours == 2
    assert loaded.spec.time.duration_days == raw(BASELINE)["time"]["duration_days"]
    assert "2 h steps" in loaded.summary()


def test_a_chain_of_three_files(tmp_path):
    write(tmp_path, "a.yaml", f"extends: {BASELINE}\nname: A\nseed: 1\ntime: {{duration_days: 20}}\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\nname: B\nseed: 2\ncontrol: {threshold_per_km2: 0.9}\n")
    c = write(tmp_path, "c.yaml", "extends: b.yaml\nname: C\ncontrol: {margin: 0.5}\n")
    loaded = load_scenario(c)
    spec = loaded.spec
    assert spec.name == "C" and spec.seed == 2 and spec.time.duration_days == 20
    assert spec.time.step_hours == 1  # from the baseline
    assert spec.control.threshold_per_km2 == 0.9 and spec.control.margin == 0.5
    assert spec.description == raw(BASELINE)["description"]
    assert "extends" not in loaded.resolved


def test_cycle_is_detected(tmp_path):
    write(tmp_path, "b.yaml", "extends: c.yaml\n")
    write(tmp_path, "c.yaml", "extends: b.yaml\n")
    a = write(tmp_path, "a.yaml", "extends: b.yaml\nname: a\n")
    with pytest.raises(InputErrors) as info:
        load_scenario(a)
    (problem,) = info.value.problems
    assert Path(problem.file).name == "b.yaml" and problem.line == 1
    assert problem.message == "cycle b.yaml → c.yaml → b.yaml"


@pytest.mark.filterwarnings("ignore::UserWarning")  # the map notes places it moves at 2 km
def test_map_file_is_relative_to_the_file_that_sets_it(tmp_path):
    shutil.copy(SCENARIOS / "maps" / "euphrates_corridor.geojson", tmp_path / "my_map.geojson")
    write(tmp_path, "base.yaml", f"extends: {BASELINE}\nmap: {{file: my_map.geojson}}\n")
    child = write(tmp_path, "nested/deeper/child.yaml", "extends: ../../base.yaml\nmap: {cell_km: 2}\n")
    loaded = load_scenario(child)
    assert loaded.resolved["map"]["file"] == str((tmp_path / "my_map.geojson").resolve())
    assert loaded.resolved["map"]["cell_km"] == 2 and loaded.map.cell_km == 2
    assert Path(loaded.resolved["map"]["file"]).is_absolute()


def test_resolved_is_json_and_the_digest_is_its_hash(blockade, tmp_path):
    text = json.dumps(blockade.resolved)
    assert json.loads(text) == blockade.resolved
    assert Path(blockade.resolved["map"]["file"]).is_absolute()
    assert re.fullmatch(r"[0-9a-f]{64}", blockade.digest)
    assert load_scenario(BLOCKADE).digest == blockade.digest
    changed = load_scenario(BLOCKADE, {"rules.checkpoint_blockade.stop_probability": 0.5})
    assert changed.digest != blockade.digest
    # the same content written out again (no extends) has the same hash
    flat = write(tmp_path, "flat.yaml", yaml.safe_dump(blockade.resolved, allow_unicode=True))
    assert load_scenario(flat).digest == blockade.digest


def test_summary_is_one_line(blockade):
    text = blockade.summary()
    assert "\n" not in text
    assert blockade.spec.name in text
    assert f"{len(blockade.spec.factions)} factions" in text
    assert f"{len(blockade.spec.forces)} forces" in text
    assert f"{len(blockade.rules)} rules" in text
    assert "30 days" in text and "1 h steps" in text and "1 km cells" in text


def test_labelled_rules(tmp_path):
    child = write(tmp_path, "two.yaml", f"""\
extends: {BLOCKADE}
rules:
  reinforcement/russia: {{faction: russia, at: Deir ez-Zor airbase, max_per_day: 8}}
events:
  - {{at_day: 10, set: {{rules.reinforcement/russia.max_per_day: 2}}}}
  - {{at_day: 12, disable: reinforcement/russia}}
""")
    loaded = load_scenario(child)
    rule = loaded.rule("reinforcement/russia")
    assert rule.name == "reinforcement" and rule.params.max_per_day == 8
    assert rule.params.unit_size == RULE_MODELS["reinforcement"].model_fields["unit_size"].default


def test_quoted_numbers_are_not_silently_numbers(tmp_path):
    child = write(tmp_path, "q.yaml", f"extends: {BASELINE}\nseed: '12'\n")
    with pytest.raises(InputErrors) as info:
        load_scenario(child)
    assert "expected a whole number, found a string '12'" in str(info.value)


# --------------------------------------------------------------------------- overrides


def test_overrides_are_applied_after_the_merge(blockade):
    loaded = load_scenario(BLOCKADE, {
        "rules.checkpoint_blockade.stop_probability": 0.5,
        "forces[7].strength": 80,
        "time.step_hours": 2,
        "control.kernel_km": 4.0,  # a block the files leave at its defaults
        "rules.reinforcement.max_fighters": 900,  # a rule parameter at its default
        "relations.russia/insurgents": "hostile",
    })
    assert loaded.rule("checkpoint_blockade").params.stop_probability == 0.5
    assert loaded.spec.forces[7].strength == 80
    assert loaded.spec.time.step_hours == 2
    assert loaded.spec.control.kernel_km == 4.0 and loaded.spec.control.threshold_per_km2 == ControlSpec().threshold_per_km2
    assert loaded.rule("reinforcement").params.max_fighters == 900
    assert loaded.spec.relations["russia/insurgents"] == "hostile"
    assert blockade.spec.control.kernel_km == ControlSpec().kernel_km  # nothing shared


def test_unknown_override_is_reported_with_the_scenario_file():
    with pytest.raises(InputErrors) as info:
        load_scenario(BLOCKADE, {"rules.checkpoint_blockade.stop_probabilty": 0.5, "forces[99].strength": 1})
    problems = info.value.problems
    assert {p.path for p in problems} == {"rules.checkpoint_blockade.stop_probabilty", "forces[99].strength"}
    assert all(Path(p.file).name == BLOCKADE.name and p.line is None for p in problems)
    assert any("did you mean 'stop_probability'?" in p.message for p in problems)
    assert any("index [99] is out of range: 'forces' has 18 items" in p.message for p in problems)


# --------------------------------------------------------------------------- key paths


def test_parse_and_format_paths():
    assert parse_path("forces[2].route[0]") == ("forces", 2, "route", 0)
    assert parse_path("rules.reinforcement/russia.max_per_day") == (
        "rules", "reinforcement/russia", "max_per_day")
    assert format_path(("forces", 1, "route", 0)) == "forces[1].route[0]"
    assert format_path(("events", 0, "set", "rules.a.b")) == "events[0].set['rules.a.b']"
    for bad in ("", "a..b", "a.", "[0]", "forces[0]strength"):
        with pytest.raises(PathError):
            parse_path(bad)


def test_set_and_get_by_path():
    data = raw(BLOCKADE)
    set_by_path(data, "rules.checkpoint_blockade.stop_probability", 0.4)
    assert get_by_path(data, "rules.checkpoint_blockade.stop_probability") == 0.4
    set_by_path(data, "rules.checkpoint_blockade.reach_km", 5)  # valid for the kind, not in the file
    assert data["rules"]["checkpoint_blockade"]["reach_km"] == 5
    set_by_path(data, "time.step_hours", 6)
    assert data["time"]["step_hours"] == 6
    # a default is read through
    assert get_by_path(data, "control.kernel_km") == ControlSpec().kernel_km
    assert get_by_path(data, "rules.checkpoint_blockade.withdraw_when_outnumbered") == 1.5
    base = raw(BASELINE)
    set_by_path(base, "forces[2].strength", 99)
    assert get_by_path(base, "forces[2].strength") == 99
    assert get_by_path(base, "forces[7].orders.max_wait_hours") == 24
    assert get_by_path(base, "forces[7].speed_factor") == 1.0  # default of a convoy
    base["rules"]["reinforcement/russia"] = {"faction": "russia", "at": "Deir ez-Zor", "max_per_day": 1}
    set_by_path(base, "rules.reinforcement/russia.max_per_day", 4)
    assert base["rules"]["reinforcement/russia"]["max_per_day"] == 4


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("rules.checkpoint_blokade.stop_probability", "no rule 'checkpoint_blokade' in this scenario; did you mean 'checkpoint_blockade'?"),
        ("rules.checkpoint_blockade.stop_probabilty", "unknown key 'stop_probabilty' in 'rules.checkpoint_blockade'; did you mean 'stop_probability'?"),
        ("rules.airstrikes.rate_per_day", "no rule 'airstrikes' in this scenario"),
        ("forces[2].strenght", "unknown key 'strenght' in 'forces[2]'; did you mean 'strength'?"),
        ("forces[20].strength", "index [20] is out of range: 'forces' has 18 items"),
        ("forces.strength", "'forces' is a list: use an index like forces[0]"),
        ("time.step_hour", "unknown key 'step_hour' in 'time'; did you mean 'step_hours'?"),
        ("tme.step_hours", "unknown key 'tme' in the top level; did you mean 'time'?"),
        ("factions.rusia.label", "unknown key 'rusia' in 'factions'; did you mean 'russia'?"),
        ("seed.x", "'seed' is 20171119, it has no key 'x'"),
    ],
)
def test_unknown_path_segments_raise_key_error_with_suggestion(path, fragment):
    data = raw(BASELINE)
    data["rules"].update(raw(BLOCKADE)["rules"])
    with pytest.raises(KeyError) as info:
        set_by_path(data, path, 1)
    assert fragment in str(info.value)


def test_parse_assignment():
    assert parse_assignment("rules.checkpoint_blockade.stop_probability=0.5") == (
        "rules.checkpoint_blockade.stop_probability", 0.5)
    assert parse_assignment("speeds.bridge = 0") == ("speeds.bridge", 0)
    assert parse_assignment("forces[1].label=Iraqi guard") == ("forces[1].label", "Iraqi guard")
    with pytest.raises(PathError):
        parse_assignment("no equals sign")


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


def test_hours_per_km_follow_the_speeds(blockade):
    import numpy as np

    from sim.geography import Terrain
    from sim.world.routing import hours_per_km

    hours = hours_per_km(blockade.spec.speeds.model_copy(update={"bridge": 0.0}))
    assert hours[Terrain.ROAD] == pytest.approx(1 / blockade.spec.speeds.road)
    assert np.isinf(hours[Terrain.BRIDGE]) and np.isinf(hours[Terrain.RIVER])
    assert hours.shape == (len(Terrain),)


def test_forbidden_mask_covers_the_named_regions(blockade):
    import numpy as np

    from sim.world.routing import forbidden_mask

    corridor_map = blockade.map
    first, second = corridor_map.region_names[:2]
    mask = forbidden_mask(corridor_map, [first, second])
    expected = np.isin(corridor_map.region, [0, 1])
    assert mask.shape == corridor_map.shape and (mask == expected).all()
    assert not forbidden_mask(corridor_map, []).any(), "no regions, no forbidden cells"
    with pytest.raises(KeyError, match="no region 'atlantis'"):
        forbidden_mask(corridor_map, ["atlantis"])


def test_scenario_hash_does_not_depend_on_where_the_checkout_is(tmp_path):
    import shutil

    copy = tmp_path / "elsewhere" / "scenarios"
    shutil.copytree(ROOT / "scenarios", copy)
    here = load_scenario(ROOT / "scenarios" / "albu_kamal_blockade.yaml").digest
    there = load_scenario(copy / "albu_kamal_blockade.yaml").digest
    assert here == there, "the same scenario and map must hash the same in another folder"
    changed = load_scenario(copy / "albu_kamal_blockade.yaml", overrides={"seed": 1}).digest
    assert changed != here
