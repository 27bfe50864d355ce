"""Bad scenario files: every problem names the file and line that set it, the key path, and what
was expected and found — and every problem in a file is reported, not only the first. The same
on the command line: tests/test_scenario_errors_cli.py.

Each case writes small YAML files to a temporary folder. The line a problem must point at is
marked in the file with the comment ``#<`` (no marker: the problem has no line).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sim.program.errors import InputErrors, UserError
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
B = f"extends: {BASELINE}\n"  # a what-if on the shipped baseline


@dataclass
class Case:
    id: str
    files: dict[str, str]  # name → text; the first is loaded
    fragment: str  # must appear in the message
    file: str | None = None  # file the problem must name (default: the loaded one)
    path: str | None = None  # exact key path, when given
    overrides: dict = field(default_factory=dict)


def convoy(route: str, extra: str = "") -> str:
    return (
        B + "forces:\n"
        f"  - {{kind: convoy, faction: russia, strength: 60, start: Al-Mayadeen, route: {route}{extra}}}  #<\n"
    )


def militia(body: str, kind: str = "militia", faction: str = "iran_militia") -> str:
    return B + f"forces:\n  - {{kind: {kind}, faction: {faction}, {body}}}  #<\n"


CASES = [
    Case("yaml_syntax", {"s.yaml": "name: x\ndescription: [a, b\nfactions: {}  #<\n"},
         "YAML syntax error: while parsing a flow sequence started at line 2; expected ',' or ']'"),
    Case("yaml_python_tag", {"s.yaml": "name: !!python/object:os.system x  #<\n"},
         "only plain YAML is read"),
    Case("top_level_not_mapping", {"s.yaml": "- name: x  #<\n- description: y\n"},
         "expected a mapping of scenario keys (name: …, factions: …) at the top level, found a list"),
    Case("empty_file", {"s.yaml": "# nothing here\n"}, "the file is empty"),
    Case("unknown_top_level_key", {"s.yaml": B + "factoins: {}  #<\n"},
         "unknown key 'factoins'; did you mean 'factions'?", path="factoins"),
    Case("unknown_nested_key", {"s.yaml": B + "control: {kernel_km: 5, treshold_per_km2: 3}  #<\n"},
         "unknown key 'treshold_per_km2'; did you mean 'threshold_per_km2'?", path="control.treshold_per_km2"),
    Case("unknown_key_in_force", {"s.yaml": militia("stregth: 40, deploy: {near: Albu Kamal}")},
         "unknown key 'stregth'; did you mean 'strength'?", path="forces[0].stregth"),
    Case("missing_required_key",
         {"s.yaml": B + "forces:\n  - {kind: militia, strength: 10, deploy: {near: Albu Kamal}}  #<\n"},
         "missing required key 'faction'", path="forces[0]"),
    Case("missing_kind", {"s.yaml": B + "forces:\n  - {faction: russia, strength: 10}  #<\n"},
         "missing required key 'kind' (one of militia, garrison, local_militia, insurgent, convoy)",
         path="forces[0]"),
    Case("wrong_type_string_for_number",
         {"s.yaml": militia("strength: forty, deploy: {near: Albu Kamal}")},
         "expected a number, found a string 'forty'", path="forces[0].strength"),
    Case("whole_number", {"s.yaml": militia("units: 2.5, strength: 4, deploy: {near: Albu Kamal}")},
         "expected a whole number, found 2.5", path="forces[0].units"),
    Case("negative_strength", {"s.yaml": militia("strength: -5, deploy: {near: Albu Kamal}")},
         "expected a number > 0, found -5", path="forces[0].strength"),
    Case("probability_above_one",
         {"s.yaml": militia("strength: 20, loyalty: 1.5, deploy: {near: Al-Asharah}", kind="local_militia")},
         "expected a number between 0 and 1, found 1.5", path="forces[0].loyalty"),
    Case("unknown_faction_in_force", {"s.yaml": militia("strength: 5, deploy: {near: Albu Kamal}", faction="rusia")},
         "unknown faction 'rusia'; did you mean 'russia'?", path="forces[0].faction"),
    Case("unknown_faction_in_relation", {"s.yaml": B + "relations:\n  russia/irn_militia: rival  #<\n"},
         "unknown faction 'irn_militia'; did you mean 'iran_militia'?", path="relations.russia/irn_militia"),
    Case("self_relation", {"s.yaml": B + "relations:\n  russia/russia: hostile  #<\n"},
         "a faction has no relation with itself", path="relations.russia/russia"),
    Case("bad_relation_value", {"s.yaml": B + "relations:\n  russia/coalition: hostle  #<\n"},
         "expected one of 'allied', 'neutral', 'rival', 'hostile', found 'hostle'; did you mean 'hostile'?",
         path="relations.russia/coalition"),
    Case("contradictory_relations", {"s.yaml": B + "relations:\n  coalition/russia: hostile  #<\n"},
         "contradicts 'russia/coalition: rival'"),
    Case("unknown_place", {"s.yaml": convoy("[Abu Kamel]")},
         "unknown place 'Abu Kamel'; did you mean 'Albu Kamal'?", path="forces[0].route[0]"),
    Case("unknown_place_in_rule",
         {"s.yaml": B + "rules:\n  reinforcement: {at: Albu Kamal crosing}  #<\n"},
         "unknown place 'Albu Kamal crosing'; did you mean 'Albu Kamal crossing'?", path="rules.reinforcement.at"),
    Case("unknown_region", {"s.yaml": militia("strength: 5, deploy: {region: west_bnak}")},
         "unknown region 'west_bnak'; did you mean 'west_bank'?", path="forces[0].deploy.region"),
    Case("unknown_rule", {"s.yaml": B + "rules:\n  checkpoint_blokade: {by: iran_militia}  #<\n"},
         "unknown rule; did you mean 'checkpoint_blockade'?", path="rules.checkpoint_blokade"),
    Case("bad_rule_parameter",
         {"s.yaml": B + "rules:\n  checkpoint_blockade:\n    by: iran_militia\n    against: [russia]\n"
                        "    at: [Albu Kamal]\n    stop_probability: 1.5  #<\n"},
         "expected a number between 0 and 1, found 1.5", path="rules.checkpoint_blockade.stop_probability"),
    Case("unknown_rule_parameter",
         {"s.yaml": B + "rules:\n  reinforcement: {max_par_day: 3}  #<\n"},
         "unknown key 'max_par_day'; did you mean 'max_per_day'?",
         path="rules.reinforcement.max_par_day"),
    Case("unknown_faction_in_rule", {"s.yaml": B + "rules:\n  reinforcement: {faction: rusia}  #<\n"},
         "unknown faction 'rusia'; did you mean 'russia'?", path="rules.reinforcement.faction"),
    Case("rules_as_list", {"s.yaml": B + "rules:  #<\n  - reinforcement: {faction: russia}\n"},
         "expected a mapping of rule name → parameters (not a list), found a list", path="rules"),
    Case("unknown_force_kind", {"s.yaml": militia("strength: 5, deploy: {near: Albu Kamal}", kind="milita")},
         "unknown force kind 'milita'; did you mean 'militia'?", path="forces[0].kind"),
    Case("deploy_near_and_region",
         {"s.yaml": militia("strength: 5, deploy: {near: Albu Kamal, region: west_bank}")},
         "give exactly one of 'near', 'lonlat', 'region' or 'at' (found near, region)", path="forces[0].deploy"),
    Case("deploy_lonlat_off_the_map",
         {"s.yaml": militia("strength: 5, deploy: {lonlat: [45.0, 34.5]}")},
         "the point [45.0, 34.5] lies off the map", path="forces[0].deploy.lonlat"),
    Case("deploy_lonlat_not_a_pair",
         {"s.yaml": militia("strength: 5, deploy: {lonlat: [40.5]}")},
         "expected at least 2 items, found a list of 1 item", path="forces[0].deploy.lonlat"),
    Case("route_across_river_unreachable",
         {"s.yaml": B + "speeds: {bridge: 0}\nrules:\n  deconfliction_line: {enabled: false}\n"
                        "forces:\n  - kind: convoy\n    faction: russia\n    strength: 60\n"
                        "    start: Al-Mayadeen\n    route:\n      - Albu Kamal\n      - Hajin  #<\n"},
         "'Hajin' cannot be reached from 'Albu Kamal' over passable terrain "
         "(the river can only be crossed at a bridge or ford that is open (map.closed_crossings closes "
         "Deir ez-Zor suspension bridge, ", path="forces[0].route[1]"),
    Case("unknown_closed_crossing",
         {"s.yaml": B + "map:\n  closed_crossings:\n    - Al-Asharah bridge\n    - Albu Kamal brige  #<\n"},
         "unknown place 'Albu Kamal brige'; did you mean 'Albu Kamal - Al-Baghuz bridge'?",
         path="map.closed_crossings[1]"),
    Case("closed_crossing_not_a_crossing",
         {"s.yaml": B + "map: {closed_crossings: [Al-Mayadeen]}  #<\n"},
         "'Al-Mayadeen' is a city, not a bridge or ford, so it cannot be closed; "
         "did you mean 'Al-Mayadeen bridge'?", path="map.closed_crossings[0]"),
    Case("route_needs_closed_crossing",
         {"s.yaml": B + "rules:\n  deconfliction_line: {enabled: false}\n"
                        "forces:\n  - kind: convoy\n    faction: russia\n    strength: 60\n"
                        "    start: Al-Mayadeen\n    route:\n      - Al-Asharah bridge  #<\n"},
         "'Al-Asharah bridge' cannot be reached from 'Al-Mayadeen' over passable terrain "
         "('Al-Asharah bridge' is closed (map.closed_crossings))", path="forces[0].route[0]"),
    Case("route_into_forbidden_region", {"s.yaml": convoy("[Albu Kamal, Hajin]")},
         "'Hajin' cannot be reached from 'Albu Kamal' over passable terrain (it lies in a region "
         "russia may not enter", path="forces[0].route[1]"),
    Case("route_as_string", {"s.yaml": convoy("Albu Kamal")},
         "expected a list of place names, found a string 'Albu Kamal'", path="forces[0].route"),
    Case("empty_route", {"s.yaml": convoy("[]")},
         "expected at least 1 place name, found an empty list", path="forces[0].route"),
    Case("depart_day_beyond_duration", {"s.yaml": convoy("[Albu Kamal]", ", depart_day: 45")},
         "the convoy's departure day 45 is not before the end of the run (time.duration_days is 30)",
         path="forces[0].depart_day"),
    Case("event_at_day_beyond_duration", {"s.yaml": B + "events:\n  - {at_day: 31, note: late}  #<\n"},
         "the event day 31 is not before the end of the run", path="events[0].at_day"),
    Case("event_at_date_after_the_end", {"s.yaml": B + "events:\n  - {at_date: 2017-12-19, note: late}  #<\n"},
         "the event date 2017-12-19 is not before the end of the run (2017-12-19 00:00: time.start_date "
         "2017-11-19 + 30 days)", path="events[0].at_date"),
    Case("event_at_date_before_the_start", {"s.yaml": B + "events:\n  - {at_date: 2017-11-18, note: early}  #<\n"},
         "the event date 2017-11-18 is before the run starts (time.start_date is 2017-11-19)", path="events[0].at_date"),
    Case("event_with_day_and_date", {"s.yaml": B + "events:\n  - {at_day: 1, at_date: 2017-11-20, note: twice}  #<\n"},
         "give exactly one of 'at_day' (days from the start) or 'at_date' (YYYY-MM-DD)", path="events[0]"),
    Case("agreement_after_the_end",
         {"s.yaml": B + "rules:\n  agreement: {faction: iran_militia, from_day: 40}  #<\n"},
         "the agreement's start day 40 is not before the end of the run", path="rules.agreement.from_day"),
    Case("duration_shorter_than_a_step", {"s.yaml": B + "time: {step_hours: 12, duration_days: 0.25}  #<\n"},
         "is shorter than one step (12 h)", path="time.duration_days"),
    Case("event_set_unknown_path",
         {"s.yaml": B + "events:\n  - at_day: 3\n    set: {rules.reinforcement.max_per_dya: 3}  #<\n"},
         "unknown key 'max_per_dya' in 'rules.reinforcement'; did you mean 'max_per_day'?",
         path="events[0].set['rules.reinforcement.max_per_dya']"),
    Case("event_set_not_a_rule_parameter",
         {"s.yaml": B + "events:\n  - at_day: 3\n    set: {control.kernel_km: 3}  #<\n"},
         "only rule parameters can change during a run: write rules.<rule>.<parameter>",
         path="events[0].set['control.kernel_km']"),
    Case("event_set_absent_rule",
         {"s.yaml": B + "events:\n  - at_day: 3\n    set: {rules.airstrikes.rate_per_day: 0.5}  #<\n"},
         "no rule 'airstrikes' in this scenario"),
    Case("event_set_invalid_value",
         {"s.yaml": B + "events:\n  - at_day: 3\n    set: {rules.reinforcement.max_per_day: -3}  #<\n"},
         "this event would set rules.reinforcement.max_per_day to an invalid value: "
         "expected a number >= 0, found -3"),
    Case("event_enables_unknown_rule", {"s.yaml": B + "events:\n  - {at_day: 3, enable: reinforcment}  #<\n"},
         "no rule 'reinforcment' under `rules`; did you mean 'reinforcement'?", path="events[0].enable"),
    Case("event_spawns_at_unknown_place",
         {"s.yaml": B + "events:\n  - at_day: 3\n    spawn: {kind: convoy, faction: russia, strength: 5,"
                        " start: Al-Mayadeen, route: [Hajn]}  #<\n"},
         "unknown place 'Hajn'; did you mean 'Hajin'?", path="events[0].spawn.route[0]"),
    Case("extends_missing_file", {"s.yaml": "name: x\nextends: nope.yaml  #<\n"},
         "cannot find the scenario file 'nope.yaml'", path="extends"),
    Case("extends_cycle", {"a.yaml": "extends: b.yaml  #<\nname: a\n", "b.yaml": "extends: a.yaml\n"},
         "cycle a.yaml → b.yaml → a.yaml", path="extends"),
    Case("key_path_key_out_of_range", {"s.yaml": B + "forces[70].strength: 50  #<\n"},
         "index [70] is out of range", path="forces[70].strength"),
    Case("key_path_key_misspelt", {"s.yaml": B + "forces[0]: {strenght: 50}  #<\n"},
         "did you mean 'strength'?", path="forces[0].strenght"),
    Case("map_file_missing", {"s.yaml": B + "map: {file: nowhere.geojson}  #<\n"},
         "cannot load the map: ", path="map.file"),
    Case("colour_not_rrggbb", {"s.yaml": B + "factions:\n  russia: {color: '#12345'}  #<\n"},
         "expected a colour written '#rrggbb' (six hex digits), found '#12345'", path="factions.russia.color"),
    Case("faction_id_not_an_id", {"s.yaml": B + "factions:\n  Tribes: {label: T, color: '#123456'}  #<\n"},
         "'Tribes' is not a valid id", path="factions.Tribes"),
    Case("error_in_parent_points_at_parent",
         {"child.yaml": "extends: parent.yaml\nname: child\n",
          "parent.yaml": B + "forces:\n  - {kind: garrison, faction: russia, strength: -3, deploy: {near: Deir ez-Zor}}  #<\n"},
         "expected a number > 0, found -3", file="parent.yaml", path="forces[0].strength"),
    Case("child_override_points_at_child",
         {"child.yaml": "extends: parent.yaml\ncontrol: {kernel_km: -1}  #<\n",
          "parent.yaml": B + "control: {kernel_km: 4, threshold_per_km2: 1}\n"},
         "expected a number > 0, found -1", file="child.yaml", path="control.kernel_km"),
    Case("deployment_in_forbidden_region",
         {"s.yaml": militia("strength: 50, deploy: {region: east_bank}", kind="garrison", faction="russia")},
         "russia may not enter the region 'east_bank' (its deconfliction_line rule forbids it)",
         path="forces[0].deploy.region"),
    Case("insurgents_need_desert",
         {"s.yaml": militia("strength: 5, deploy: {at: [Albu Kamal]}", kind="insurgent", faction="insurgents")},
         "'Albu Kamal' is not desert: insurgent units cannot stand there", path="forces[0].deploy.at[0]"),
    Case("unknown_land_bridge_place",
         {"s.yaml": B + "observe:\n  land_bridge: [Albu Kamal, Deir ez-Zorr]  #<\n"},
         "unknown place 'Deir ez-Zorr'; did you mean 'Deir ez-Zor'?", path="observe.land_bridge[1]"),
    Case("unknown_held_at_start_place",
         {"s.yaml": B + "control:\n  held_at_start:\n    Hajn: insurgents  #<\n"},
         "unknown place 'Hajn'; did you mean 'Hajin'?", path="control.held_at_start.Hajn"),
    Case("unknown_held_at_start_faction",
         {"s.yaml": B + "control:\n  held_at_start:\n    Hajin: isis  #<\n"},
         "unknown faction 'isis'", path="control.held_at_start.Hajin"),
    Case("colon_in_unquoted_text",
         {"s.yaml": B + "teaching:\n  questions:\n    - Who gains: the militias or Russia?  #<\n"},
         "expected text, found a mapping (a ': ' inside unquoted text starts a mapping: put the text in quotes)",
         path="teaching.questions[0]"),
    Case("yaml_merge_key_override_points_at_the_override",
         {"s.yaml": B + "forces:\n  - &guard {kind: militia, faction: russia, strength: 3, deploy: {near: Albu Kamal}}\n"
                        "  - <<: *guard\n    strength: -1  #<\n"},
         "expected a number > 0, found -1", path="forces[1].strength"),
    Case("tempo_sd_negative", {"s.yaml": B + "insurgents:\n  tempo_sd: -0.5  #<\n"},
         "expected a number between 0 and 3, found -0.5", path="insurgents.tempo_sd"),
    Case("tempo_sd_above_its_range", {"s.yaml": B + "insurgents:\n  tempo_sd: 1e308  #<\n"},
         "expected a number between 0 and 3, found 1e+308", path="insurgents.tempo_sd"),
    Case("tempo_days_zero", {"s.yaml": B + "insurgents: {tempo_sd: 0.8, tempo_days: 0}  #<\n"},
         "expected a number > 0, found 0", path="insurgents.tempo_days"),
    Case("raids_on_routes_not_a_switch", {"s.yaml": B + "insurgents:\n  raids_on_routes: roads  #<\n"},
         "expected true or false", path="insurgents.raids_on_routes"),
    Case("duplicate_key", {"s.yaml": B + "seed: 1\nseed: 2  #<\n"},
         "duplicate key 'seed' (first given at line 2)", path="seed"),
    Case("bad_override_path", {"s.yaml": B + "name: x\n"},
         "unknown key 'max_par_day' in 'rules.reinforcement'; did you mean 'max_per_day'?",
         path="rules.reinforcement.max_par_day",
         overrides={"rules.reinforcement.max_par_day": 3}),
    Case("bad_override_value", {"s.yaml": B + "name: x\n"},
         "expected a number between 0 and 1, found 2 (set by the override",
         path="insurgents.ambush_loss_fraction", overrides={"insurgents.ambush_loss_fraction": 2}),
]


def marked_line(text: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if "#<" in line:
            return number
    return None


def write(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path / next(iter(files))


def problems_of(path: Path, overrides=None):
    with pytest.raises(InputErrors) as info:
        load_scenario(path, overrides)
    return info.value.problems


def test_there_are_at_least_25_distinct_cases():
    assert len({c.id for c in CASES}) == len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_reported_with_file_line_and_path(case: Case, tmp_path):
    root = write(tmp_path, case.files)
    problems = problems_of(root, case.overrides or None)
    expected_file = case.file or root.name
    expected_line = marked_line(case.files[expected_file])
    listing = "\n".join(str(p) for p in problems)
    matching = [p for p in problems if case.fragment in p.message]
    assert matching, f"no problem says {case.fragment!r}; got:\n{listing}"
    p = matching[0]
    assert Path(p.file).name == expected_file, listing
    assert p.line == expected_line, f"expected line {expected_line}:\n{listing}"
    if case.path is not None:
        assert p.path == case.path, listing
    # one line each, printed as file:line: path: message
    assert "\n" not in str(p)
    assert str(p).startswith(f"{p.file}:{p.line}: " if p.line else f"{p.file}: ")


def test_input_errors_are_user_errors(tmp_path):
    root = write(tmp_path, {"s.yaml": "- x\n"})
    with pytest.raises(UserError):
        load_scenario(root)


def test_missing_scenario_file_is_a_user_error(tmp_path):
    problems = problems_of(tmp_path / "absent.yaml")
    assert problems[0].message == "no such file"


def test_several_errors_in_one_file_are_all_reported(tmp_path):
    text = (
        B
        + "time: {step_hours: 1, duration_days: 10}\n"
        + "relations: {russia/coalition: hostle}  #1\n"
        + "forces:\n"
        + "  - {kind: militia, faction: rusia, strength: 10, deploy: {near: Albu Kamal}}  #2\n"
        + "  - {kind: garrison, faction: russia, strength: -4, deploy: {near: Deir ez-Zor}}  #3\n"
        + "  - {kind: convoy, faction: russia, strength: 60, start: Al-Mayadeen, route: [Abu Kamel]}  #4\n"
        + "rules:\n"
        + "  checkpoint_blokade: {by: iran_militia}  #5\n"
        + "events:\n"
        + "  - {at_day: 12, note: too late}  #6\n"
    )
    root = write(tmp_path, {"s.yaml": text})
    problems = problems_of(root)
    listing = "\n".join(map(str, problems))
    lines = {n: marked(text, f"#{n}") for n in range(1, 7)}
    # structural problems are all reported together …
    assert any(p.line == lines[1] and "did you mean 'hostile'" in p.message for p in problems), listing
    assert any(p.line == lines[3] and "expected a number > 0, found -4" in p.message for p in problems), listing
    assert any(p.line == lines[5] and "unknown rule" in p.message for p in problems), listing
    assert len(problems) >= 3


def test_cross_reference_errors_are_all_reported(tmp_path):
    text = (
        B
        + "time: {step_hours: 1, duration_days: 10}\n"
        + "forces:\n"
        + "  - {kind: militia, faction: rusia, strength: 10, deploy: {near: Albu Kamal}}  #1\n"
        + "  - {kind: convoy, faction: russia, strength: 60, start: Al-Mayadeen, route: [Abu Kamel]}  #2\n"
        + "  - {kind: militia, faction: iran_militia, strength: 10, deploy: {region: west_bnak}}  #3\n"
        + "events:\n"
        + "  - {at_day: 12, note: too late}  #4\n"
        + "  - {at_day: 2, disable: checkpoint_blockade}  #5\n"
    )
    root = write(tmp_path, {"s.yaml": text})
    problems = problems_of(root)
    listing = "\n".join(map(str, problems))
    expected = {
        1: "unknown faction 'rusia'",
        2: "unknown place 'Abu Kamel'",
        3: "unknown region 'west_bnak'",
        4: "the event day 12 is not before the end of the run",
        5: "no rule 'checkpoint_blockade' under `rules`",
    }
    for n, fragment in expected.items():
        line = marked(text, f"#{n}")
        assert any(p.line == line and fragment in p.message for p in problems), f"{fragment}\n{listing}"
    assert len(problems) == len(expected), listing


def marked(text: str, tag: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.endswith(tag))


# --------------------------------------------------------------------------- key paths and --set in the loader


def test_a_key_path_key_changes_one_list_element_of_the_file_it_extends(tmp_path):
    """`forces[3].strength: 55` in a what-if changes that force only; a mapping merges."""
    base = load_scenario(BASELINE).resolved["forces"]
    path = write(tmp_path, {"s.yaml": B + "forces[3].strength: 55\nforces[2]: {units: 9}\n"})
    forces = load_scenario(path).resolved["forces"]
    assert forces[3] == {**base[3], "strength": 55}, "only the strength of force 3 changes"
    assert forces[2] == {**base[2], "units": 9}, "a mapping merges into the element, key by key"
    assert forces[:2] == base[:2] and forces[4:] == base[4:] and len(forces) == len(base)


def test_set_adds_a_key_to_a_free_mapping_and_the_scenario_checks_it():
    """`--set` can add a key the file does not have to a mapping whose keys are free (a place's
    starting holder, a pair's relation), as it can in the file itself; what the key names is then
    checked like the file's own keys: a place the map lacks is an unknown place, not an unknown key."""
    from sim.scenario import parse_sets

    hindcast = ROOT / "scenarios" / "corridor_2017.yaml"  # it names no holder for the Imam Ali base
    added = load_scenario(hindcast, overrides=parse_sets(["control.held_at_start.Imam Ali base=iran_militia"]))
    assert added.spec.control.held_at_start["Imam Ali base"] == "iran_militia"
    assert added.spec.control.held_at_start["Hajin"] == "insurgents", "the file's own keys stay"
    with pytest.raises(InputErrors) as refused:
        load_scenario(hindcast, overrides=parse_sets(["control.held_at_start.Nowhere=insurgents"]))
    assert "control.held_at_start.Nowhere: unknown place 'Nowhere'" in str(refused.value)
    with pytest.raises(InputErrors) as refused:
        load_scenario(hindcast, overrides=parse_sets(["control.nowhere=1"]))
    assert "unknown key 'nowhere' in 'control'" in str(refused.value), "a model's keys stay closed"
