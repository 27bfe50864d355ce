"""Loading scenarios: `extends` merging, defaults, overrides, the map's speeds and forbidden
regions, and the scenario's hash. Key paths: tests/test_scenario_paths.py; the JSON Schema, the
shipped list, the commands and docs/scenario_language.md: tests/test_scenario_schema.py."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from sim.program.errors import InputErrors
from sim.scenario import (
    LoadedScenario,
    RuleSpec,
    load_scenario,
)
from sim.scenario.spec import RULE_MODELS, CheckpointBlockadeParams, ControlSpec, Scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
BLOCKADE = SCENARIOS / "albu_kamal_blockade.yaml"


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


# --------------------------------------------------------------------------- the map, speeds and hash


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
