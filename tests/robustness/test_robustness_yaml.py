"""Issue 12, kind 4 — YAML 1.1 surprises are settled the same way in scenario files, sweep files
and --set values: base-60 (`1:30`) and octal (`010`) numbers are refused with the number to
write; `1e4` is read as the number 10000 (a deliberate choice, documented)."""

from __future__ import annotations

import datetime
import re

import pytest

from sim.experiments.sweepfile import read_sweep
from sim.program.errors import UserError
from sim.scenario import load_scenario, parse_sets
from sim.scenario.dialect import load_value, surprise

from conftest import ROOT

BLOCKADE = ROOT / "scenarios" / "albu_kamal_blockade.yaml"


def scenario(tmp_path, body: str):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\ndescription: d\nextends: {BLOCKADE}\n{body}\n")
    return path


@pytest.mark.parametrize(("text", "read_as", "write"), [
    ("1:30", "90", "1.5"), ("0:45", "45", "0.75"), ("2:30:00", "9000", "2.5"), ("-1:30", "-90", "-1.5"),
    ("1:30.5", "90.5", "1.50833"),
])
def test_base_60_numbers_are_refused_with_the_decimal_to_write(tmp_path, text, read_as, write):
    path = scenario(tmp_path, f"forces:\n  - {{kind: convoy, faction: russia, strength: 60, start: Al-Mayadeen,\n"
                              f"     route: [Albu Kamal], orders: {{max_wait_hours: {text}}}}}")
    with pytest.raises(UserError) as err:
        load_scenario(path)
    message = str(err.value)
    assert message.startswith("s.yaml:5: forces[0].orders.max_wait_hours:") or \
        re.search(r"s\.yaml:\d+: forces\[0\]\.orders\.max_wait_hours: ", message), message
    assert f"would be read as {read_as}" in message and f"write a decimal number, {write}" in message
    assert len(message.splitlines()) == 1


def test_octal_numbers_are_refused_with_the_number_to_write(tmp_path):
    with pytest.raises(UserError, match=r"s\.yaml:4: time\.duration_days: '010' is an octal number in YAML 1\.1 "
                                        r"\(a leading 0\); write 10"):
        load_scenario(scenario(tmp_path, "time: {duration_days: 010}"))


def test_quoted_or_inside_text_is_left_alone(tmp_path):
    loaded = load_scenario(scenario(tmp_path, "teaching: {notes: '1:30', questions: [at 1:30 the convoy stops]}"))
    assert loaded.spec.teaching.notes == "1:30"


@pytest.mark.parametrize(("text", "value"), [("1e4", 10000.0), ("1E4", 10000.0), ("2.5e-3", 0.0025),
                                              ("-1e2", -100.0), ("1.0e4", 10000.0), (".5", 0.5)])
def test_exponent_numbers_are_numbers(text, value):
    assert load_value(text) == value and isinstance(load_value(text), float)


def test_1e4_is_a_number_in_files_set_values_and_sweep_files(tmp_path):
    loaded = load_scenario(scenario(tmp_path, "rules:\n  reinforcement/x: {faction: iran_militia, at: Albu Kamal, "
                                              "max_fighters: 1e4}"))
    assert loaded.rule("reinforcement/x").params.max_fighters == 10000.0
    assert parse_sets(["rules.checkpoint_blockade.reach_km=5e0"]) == {"rules.checkpoint_blockade.reach_km": 5.0}
    sweep = tmp_path / "sw.yaml"
    sweep.write_text(f"name: s\ndescription: d\nscenario: {BLOCKADE}\nset: {{time.duration_days: 2e0}}\n"
                     "parameters:\n  rules.checkpoint_blockade.stop_probability: {values: [5e-1, 1e0]}\n"
                     "replicates: 1\n")
    plan = read_sweep(sweep)
    assert [p["rules.checkpoint_blockade.stop_probability"] for p in plan.points] == [0.5, 1.0]


def test_the_same_rules_for_set_values_and_sweep_files(tmp_path):
    with pytest.raises(UserError, match=r"^--set time\.step_hours=1:30: '1:30' is a base-60 number .* write a decimal "
                                        r"number, 1\.5"):
        parse_sets(["time.step_hours=1:30"])
    sweep = tmp_path / "sw.yaml"
    sweep.write_text(f"name: s\ndescription: d\nscenario: {BLOCKADE}\n"
                     "parameters:\n  forces[7].orders.max_wait_hours: {values: [1:30, 3]}\nreplicates: 1\n")
    with pytest.raises(UserError, match=r"sw\.yaml:5: parameters\['forces\[7\]\.orders\.max_wait_hours'\]\.values\[0\]: "
                                        r"'1:30' is a base-60 number"):
        read_sweep(sweep)


def test_nan_and_inf_are_refused_where_a_number_is_expected(tmp_path):
    with pytest.raises(UserError) as err:
        load_scenario(scenario(tmp_path, "time: {step_hours: .nan}\ncontrol: {kernel_km: .inf}"))
    assert "time.step_hours: expected a finite number, found nan" in str(err.value)
    assert "control.kernel_km: expected a finite number, found inf" in str(err.value)


def test_every_default_written_in_the_docs_reads_as_a_number():
    doc = (ROOT / "docs" / "scenario_language.md").read_text()
    defaults = re.findall(r"^\| `\w+` \| ([-0-9.eE+]+) \|", doc, flags=re.M)
    assert "1e9" in defaults and "6e-5" in defaults
    for text in defaults:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):  # a date (time.start_date) reads as a date
            assert isinstance(load_value(text), datetime.date), text
            continue
        assert isinstance(load_value(text), int | float), text


def test_surprise_ignores_ordinary_text():
    for text in ("Albu Kamal", "12:30 convoy", "a:1", "0", "0.5", "10", "0x1F"):
        assert surprise(text) is None, text


def test_a_file_read_again_is_parsed_once_each_reader_gets_its_own_copy_and_an_edit_is_seen(tmp_path, monkeypatch):
    """Each run of a sweep reads its scenario again: the text is read every time, parsed once
    (sim/scenario/yaml_lines.py), and every reader gets data it may change freely."""
    from sim.scenario import yaml_lines

    parses = []
    parse = yaml_lines._parse
    monkeypatch.setattr(yaml_lines, "_PARSED", {})
    monkeypatch.setattr(yaml_lines, "_parse", lambda *a: (parses.append(a[1]), parse(*a))[1])
    path = tmp_path / "s.yaml"
    path.write_text("a: {b: [1, 2]}\nc: 1\nc: 2\n", encoding="utf-8")  # c twice: a problem, reported each time
    reads = []
    for _ in range(3):
        problems: list = []
        data, lines, empty = yaml_lines.read_yaml(path, "s.yaml", problems)
        reads.append((data, problems))
        assert data["a"] == {"b": [1, 2]} and not empty, f"read {len(reads)}: the file's data, got {data}"
        assert lines[("a", "b")] == 1 and lines[("c",)] == 3
        data["a"]["b"].append(3)  # the caller's own copy
    assert parses == ["s.yaml"], f"three reads of one text: one parse, got {len(parses)}"
    assert all(p == reads[0][1] and len(p) == 1 and "c" in p[0].path for _, p in reads), \
        f"the duplicate key is reported at every read: {[p for _, p in reads]}"
    path.write_text("a: {b: [7]}\n", encoding="utf-8")
    data, _, _ = yaml_lines.read_yaml(path, "s.yaml", [])
    assert data == {"a": {"b": [7]}} and len(parses) == 2, "an edited file is parsed anew"


@pytest.mark.parametrize("text", ["2018-02-30", "2019-02-29", "2018-13-01"])
def test_a_date_that_does_not_exist_is_one_line_naming_file_line_and_key(tmp_path, text):
    """YAML 1.1 reads 2018-02-30 as a timestamp and PyYAML's constructor fails on it with a bare
    ValueError: `validate` printed a traceback (a fresh reviewer's `at_date: 2018-02-30`). Refused
    like the other surprises, in files and --set values alike."""
    path = scenario(tmp_path, f"events:\n  - {{at_date: {text}, note: a day that does not exist}}")
    with pytest.raises(UserError) as err:
        load_scenario(path)
    message = str(err.value)
    assert "\n" not in message.strip() and re.search(r"s\.yaml:5: events\[0\]\.at_date: ", message), message
    assert f"'{text}' is not a calendar date" in message, message
    with pytest.raises(ValueError, match=f"'{text}' is not a calendar date"):
        load_value(text)
