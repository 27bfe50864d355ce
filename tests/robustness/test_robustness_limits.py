"""Issue 12, kind 5 — resource bombs are refused before any work, from the declared sizes, with
a message that names the limit; validation work grows linearly with a scenario's size."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from unittest import mock

import pytest

from sim.experiments.sweepfile import read_sweep
from sim.program.errors import UserError
from sim.scenario import limits as L
from sim.scenario import load_scenario

from conftest import ROOT

BLOCKADE = ROOT / "scenarios" / "albu_kamal_blockade.yaml"
MAP = ROOT / "scenarios" / "maps" / "euphrates_corridor.geojson"


def scenario(tmp_path, body: str, name: str = "s.yaml"):
    path = tmp_path / name
    path.write_text(f"name: s\ndescription: d\nextends: {BLOCKADE}\n{body}\n")
    return path


def refused(path, *words) -> str:
    """Load `path`, which must be refused before any work: the map is never opened (rasterised
    at the scenario's cell size), let alone a model built. Returns the message."""
    opening = AssertionError("refused before the work starts, yet the map was opened")
    with mock.patch("sim.geography.load_map", side_effect=opening), pytest.raises(UserError) as err:
        load_scenario(path)
    message = str(err.value)
    for w in words:
        assert w in message, (w, message)
    assert "Traceback" not in message
    return message


def alias_bomb(levels: int = 9) -> str:
    text = "name: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    prev = "a"
    for i in range(levels):
        text += f"l{i}: &l{i} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
        prev = f"l{i}"
    return text


def test_an_alias_bomb_is_refused_in_bounded_time_and_memory(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb())
    assert path.stat().st_size < 1024
    if not os.path.exists("/proc/self/status"):
        pytest.skip("peak memory is read from /proc (Linux)")
    # VmHWM: this process's own peak (ru_maxrss would include the forking parent's pages)
    code = ("import re, sys; from sim.program.cli import main; rc = main(['validate', sys.argv[1]]); "
            "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1), file=sys.stderr); "
            "sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)  # a guard against a hang only: the bound is the peak memory below
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "expands to more than 100,000 values (the limit" in lines[0]
    assert int(lines[-1]) < 400_000, "peak memory in kB: the bomb is never expanded"


@pytest.mark.parametrize(("text", "words"), [
    ("a: " + "[" * 200 + "]" * 200, "nesting deeper than 32 levels"),
    ("a: &a [*a]", "an anchor is used inside itself"),
    ("a: &a {b: *a}", "an anchor is used inside itself"),
    ("".join(f"k{i}: &k{i} [*k{i - 1}]\n" if i else "k0: &k0 [x]\n" for i in range(40)), "aliases nest deeper"),
])
def test_deep_and_recursive_documents_are_refused(tmp_path, text, words):
    path = tmp_path / "d.yaml"
    path.write_text(text)
    refused(path, words, "d.yaml:")


def test_files_too_large_or_not_regular_are_not_read(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("name: x\n" + "# padding\n" * 120_000)
    refused(big, f"at most {L.MAX_FILE_BYTES:,} are read")
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    refused(fifo, "is not a regular file")  # would block forever if it were opened
    refused(ROOT / "scenarios", "is a folder")
    refused("/dev/zero", "is not a regular file")
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    refused(link, "is not a regular file")


def test_the_same_file_limits_apply_to_sweep_files(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb())
    with pytest.raises(UserError, match="expands to more than 100,000 values"):
        read_sweep(path)


def test_too_many_steps(tmp_path):
    refused(scenario(tmp_path, "time: {step_hours: 0.001, duration_days: 3650}"),
            "time.step_hours: 3650 days in 0.001 h steps is 87,600,000 steps; at most 100,000 are allowed")


def test_ten_years_in_hourly_steps_is_allowed(tmp_path):
    from sim.scenario.limits import check_limits

    spec = load_scenario(BLOCKADE).spec
    long = spec.model_copy(update={"time": spec.time.model_copy(update={"duration_days": 3650.0})})
    problems = []
    check_limits(long, [], lambda path, message: problems.append((path, message)))
    assert problems == []


@pytest.mark.parametrize(("body", "words"), [
    ("control: {kernel_km: 1000}", "control.kernel_km: the kernel of width 1000 km reaches 12000 km"),
    ("insurgents: {move_every_hours: 1e-6}", "insurgents.move_every_hours: 1e-06 h is 1,000,000 moves per 1 h step"),
    ("militia: {patrol_every_hours: 0.001}", "militia.patrol_every_hours: 0.001 h is 1,000 moves"),
    ("control: {patrol_kernel_km: 100}", "at most 1,000 cells are allowed"),
    ("map: {cell_km: 0.25}\ncontrol: {kernel_km: 30}", "width at most 20.8 km at this cell size"),
    ("engagement: {range_km: 1e6}", "engagement.range_km: 1e+06 km is 1,000,000 cells"),
    ("insurgents: {ambush_range_km: 5000}", "insurgents.ambush_range_km: 5000 km"),
    ("militia: {patrol_radius_km: 2000}", "militia.patrol_radius_km"),
    ("rules:\n  airstrikes: {against: iran_militia, radius_km: 9999}", "rules.airstrikes.radius_km: 9999 km"),
    ("rules:\n  co_optation: {by: russia, from: [iran], radius_km: 1e5}", "rules.co_optation.radius_km"),
    ("forces:\n  - {kind: militia, faction: iran_militia, strength: 5, deploy: {near: Albu Kamal, radius_km: 3000}}",
     "forces[0].deploy.radius_km: 3000 km"),
])
def test_distances_and_frequencies_beyond_the_limits(tmp_path, body, words):
    refused(scenario(tmp_path, body), words, "allowed")


@pytest.mark.parametrize(("body", "words"), [
    ("rules:\n  airstrikes: {against: iran_militia, rate_per_day: 1e9}",
     "rules.airstrikes.rate_per_day: 1e+09 per day over 30 days is 30,000,000,000 draws; at most 1,000,000"),
    ("rules:\n  insurgent_recruitment: {faction: isis, new_cells_per_day: 1e8}", "new_cells_per_day"),
    ("rules:\n  insurgent_recruitment: {faction: isis, max_cells: 10000000}", "can create"),
    ("rules:\n  reinforcement/x: {faction: iran_militia, at: Albu Kamal, unit_size: 0.0001, max_per_day: 60}",
     "up to 18,000,000 by rules.reinforcement/x"),
    ("forces:\n" + "".join("  - {kind: militia, faction: iran_militia, units: 100000, strength: 5, "
                           "deploy: {near: Albu Kamal}}\n" for _ in range(2)), "can create 200,"),
    ("events:\n  - {at_day: 1, spawn: {kind: militia, faction: iran_militia, units: 100000, strength: 5, "
     "deploy: {near: Albu Kamal}}}", "can create"),
    ("events:\n  - {at_day: 1, set: {rules.checkpoint_blockade.reach_km: 1e7}}",
     "events[0].set['rules.checkpoint_blockade.reach_km']: 1e+07 km"),
])
def test_rates_and_sizes_that_create_too_much(tmp_path, body, words):
    refused(scenario(tmp_path, body), words, "allowed")


def test_too_many_events_forces_and_waypoints(tmp_path):
    events = "events:\n" + "".join(f"  - {{at_day: 1, note: n{i}}}\n" for i in range(L.MAX_EVENTS + 1))
    refused(scenario(tmp_path, events), f"{L.MAX_EVENTS + 1:,} events; at most {L.MAX_EVENTS:,}")
    route = ", ".join(["Albu Kamal", "Al-Mayadeen"] * 101)
    refused(scenario(tmp_path, "forces:\n  - {kind: convoy, faction: russia, strength: 5, start: Al-Mayadeen, "
                               f"route: [{route}]}}"), "202 waypoints; at most 200")


def test_long_extends_chains_are_refused(tmp_path):
    previous = BLOCKADE
    for i in range(L.MAX_EXTENDS + 2):
        path = tmp_path / f"c{i}.yaml"
        path.write_text(f"name: c{i}\ndescription: d\nextends: {previous}\n")
        previous = path
    refused(previous, "more than 16 files extend one another")


def test_a_map_with_too_many_cells_is_refused_before_rasterising(tmp_path):
    data = json.loads(MAP.read_text())
    w, s, e, n = data["extent"]
    data["extent"] = [w - 20, s - 15, e + 20, n + 15]  # ~40° × 30°: millions of 1 km cells
    big = tmp_path / "big.geojson"
    big.write_text(json.dumps(data))
    from sim.geography import rasterise

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # the map is opened (its extent is read), but no grid is laid out: the cells are counted first
    with mock.patch.object(rasterise, "_xy_of_cell", side_effect=AssertionError("the grid was laid out")), \
            pytest.raises(UserError) as err:
        load_scenario(scenario(tmp_path, f"map: {{file: {big}}}"))
    assert "cells; at most 2,000,000 are allowed" in str(err.value) and "Traceback" not in str(err.value)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000, "no grid was allocated (kB)"


def test_validation_work_grows_linearly_with_the_number_of_events(tmp_path):
    """Validation's work, counted as Python function calls (a count, not a time: the same on a
    loaded machine), grows like the number of events: 8× the events costs about 8× the calls
    of the part that grows (the map and base file, the same in both, are subtracted), far from
    the 64× of a quadratic check."""
    import cProfile
    import pstats

    def calls(n: int) -> int:
        events = "events:\n" + "".join(
            f"  - {{at_day: 1, set: {{rules.checkpoint_blockade.stop_probability: 0.{i % 9 + 1}}}}}\n"
            for i in range(n)) if n else ""
        path = scenario(tmp_path, events, f"e{n}.yaml")
        load_scenario(path)  # warm the map cache
        profile = cProfile.Profile()
        profile.runcall(load_scenario, path)
        return pstats.Stats(profile).total_calls

    none, small, large = calls(0), calls(100), calls(800)
    growth = (large - none) / (small - none)
    assert 6.0 < growth < 10.0, f"8× the events should cost about 8× the calls, not {growth:.1f}× ({none}, {small}, {large})"


def test_too_many_factions(tmp_path):
    factions = "factions:\n" + "".join(f"  f{i}: {{label: F{i}, color: '#000000'}}\n" for i in range(L.MAX_FACTIONS + 1))
    path = tmp_path / "f.yaml"
    path.write_text(f"name: s\ndescription: d\n{factions}")
    refused(path, f"{L.MAX_FACTIONS + 1} factions; at most {L.MAX_FACTIONS}")


def test_a_run_whose_snapshots_would_not_fit_is_refused_before_the_first_step(monkeypatch):
    from sim.model import CorridorModel
    from sim.results import recorder

    loaded = load_scenario(BLOCKADE, overrides={"time.duration_days": 2, "map.cell_km": 2})
    monkeypatch.setattr(recorder, "MAX_FRAME_BYTES", 10_000)
    with pytest.raises(UserError, match=r"would keep 4 map snapshots of [\d,]+ cells .* at most 1e-05 GB"):
        CorridorModel(loaded, 1)
