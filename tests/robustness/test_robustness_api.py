"""Issue 21, item 4 — the Python API checks its arguments as the command line does: a UserError in
the command line's words for every invalid call, before any scenario runs (sim/program/api_checks.py)."""

from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
import sim.api as api
from sim.program.errors import UserError

from conftest import SCENARIOS

QUICK = {"time.duration_days": 1, "time.step_hours": 12, "map.cell_km": 4}
SWEEP = SCENARIOS / "sweeps" / "airstrike_rate.yaml"

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


class RunStarted(AssertionError):
    pass


@pytest.fixture
def no_runs(monkeypatch):
    """Any run or replicate that starts fails the test."""
    def started(*args, **kwargs):
        raise RunStarted("a run started for an invalid call")

    monkeypatch.setattr("sim.model.CorridorModel.run", started)
    monkeypatch.setattr(api, "run_in_memory", started)
    monkeypatch.setattr("sim.experiments.compare.run_compare", started)
    monkeypatch.setattr("sim.experiments.sweep.run_sweep", started)


def refused(call, *words):
    with pytest.raises(UserError) as err:
        call()
    message = str(err.value)
    for w in words:
        assert w in message, f"expected {w!r} in: {message}"
    assert "\n" not in message, f"one line: {message}"
    return message


# ------------------------------------------------------------ one example of each kind, by hand

def test_seeds_are_checked_with_the_command_lines_words(no_runs):
    top = "expected a whole number between 0 and 9223372036854775807"
    refused(lambda: sim.run("open_road", seed=-1), "seed: " + top, "found -1")
    refused(lambda: sim.run("open_road", seed=2**80), "seed: " + top)
    refused(lambda: sim.run("open_road", seed=1.5), "seed: expected a whole number, found 1.5")
    refused(lambda: sim.run("open_road", seed="7"), "seed: expected a whole number, found a string '7'")
    refused(lambda: sim.replicate("open_road", 2, seed=True), "found true (a yes/no value)")


def test_replicate_counts_are_whole_numbers_in_bounds(no_runs):
    refused(lambda: sim.replicate("open_road", "3"), "n: expected a whole number, found a string '3'")
    refused(lambda: sim.replicate("open_road", 2.5), "n: expected a whole number, found 2.5")
    refused(lambda: sim.replicate("open_road", True), "n: expected a whole number, found true")
    refused(lambda: sim.replicate("open_road", 10**9), "n: expected a whole number between 1 and 100000")
    refused(lambda: sim.sweep(SWEEP, replicates=-2), "replicates: expected a whole number between 1 and 100000")
    refused(lambda: sim.compare(["open_road", "albu_kamal_blockade"], replicates=1), "between 2 and 100000")


def test_scenarios_and_overrides_of_the_wrong_shape(no_runs):
    refused(lambda: sim.run(None), "scenario: expected a path (a str or pathlib.Path), found nothing (null)")
    refused(lambda: sim.run(42), "scenario: expected a path", "found 42")
    refused(lambda: sim.run("open_road", overrides=["time.duration_days=2"]),
            "overrides: expected a mapping", "found a list of 1 item")
    refused(lambda: sim.run("open_road", overrides={1: 2}), "expected key paths as text", "found 1 as a key")
    refused(lambda: sim.run("open_road", overrides={"time.dur\nation_days": 2}),
            "overrides: the key path 'time.dur\\nation_days' holds a control character")
    refused(lambda: sim.compare("open_road"), "scenarios: expected a list of two or more")


def test_the_same_scenario_twice_is_refused_before_any_run(no_runs):
    refused(lambda: sim.compare(["open_road", SCENARIOS / "open_road.yaml"], replicates=2),
            "is given twice (arms 1 and 2)")


def test_a_file_that_is_not_a_scenario_is_never_quoted(tmp_path, no_runs):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    message = refused(lambda: sim.run(str(secret)), "a line of text, not a mapping")
    assert "root" not in message.replace(str(tmp_path), ""), message


def test_an_output_that_is_taken_is_refused_before_the_run(tmp_path, no_runs):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "mine.txt").write_text("the user's")
    refused(lambda: sim.run("open_road", out=tmp_path / "taken"), "already exists")


def test_the_apis_refusals_name_its_arguments_not_the_command_lines_flags(tmp_path):
    """The API's refusals said "choose another --out" to a caller who passed out= (session 14's
    note): they name the arguments (out=, force=True), and a path ending in ".." is refused as
    `--out` refuses it, before any run (it ended in "Device or resource busy")."""
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "mine.txt").write_text("the user's")
    for call in (lambda: sim.run("open_road", out=tmp_path / "taken"),
                 lambda: sim.replicate("open_road", 2, out=str(tmp_path / "taken")),
                 lambda: sim.sweep(SWEEP, out=tmp_path / "taken", force=True)):
        message = refused(call, str(tmp_path / "taken"))
        assert "--" not in message and ("another out=" in message or "force=True" in message), message
    # a finished sweep: extended in Python by resume=True and more replicates=
    from test_sweep import sweep_file
    path, done = sweep_file(tmp_path, stop=(0.0,), strength=(60,), replicates=1), tmp_path / "done"
    sim.sweep(path, out=done, workers=1, progress=False, charts=False)
    message = refused(lambda: sim.sweep(path, out=done, workers=1, progress=False, charts=False), str(done))
    assert "--" not in message and "pass resume=True with replicates= N more than it holds to extend it" in message, \
        message
    sim.sweep(path, out=done, replicates=2, resume=True, workers=1, progress=False, charts=False)  # the advice works
    refused(lambda: sim.run("open_road", out=tmp_path / "taken" / ".."),
            f"out: expected the name of what to write, found '{tmp_path / 'taken' / '..'}', which ends in '..': "
            "give the folder's own name")


# ------------------------------------------------------------ arbitrary values (Hypothesis)

anything = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12),
    st.binary(max_size=4), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=4).map(lambda k: 'zz' + k), st.integers(), max_size=2),
    st.tuples(st.integers()), st.just(object()), st.just(math.inf), st.just(SCENARIOS),
)


def bad_seed(v) -> bool:
    return v is not None and not (type(v) is int and 0 <= v < 2**63)


def bad_count(lo):
    return lambda v: not (type(v) is int and lo <= v <= 100_000)


def bad_hours(v) -> bool:
    return v is not None and not (type(v) in (int, float) and math.isfinite(v) and v > 0)


def bad_workers(v) -> bool:
    return v is not None and not (type(v) is int and 1 <= v <= 1024)


# (function, argument, which values are invalid, the valid call's other arguments)
CASES = {
    "run.seed": (lambda v: sim.run("open_road", seed=v, overrides=QUICK), bad_seed),
    "run.scenario": (lambda v: sim.run(v, overrides=QUICK), lambda v: True),  # none of `anything` is a scenario
    "run.overrides": (lambda v: sim.run("open_road", overrides=v), lambda v: v is not None and v != {}),
    "run.animation": (lambda v: sim.run("open_road", overrides=QUICK, animation=v), lambda v: type(v) is not bool),
    "replicate.n": (lambda v: sim.replicate("open_road", v, overrides=QUICK, workers=1), bad_count(1)),
    "replicate.workers": (lambda v: sim.replicate("open_road", 2, overrides=QUICK, workers=v), bad_workers),
    "replicate.every_hours": (lambda v: sim.replicate("open_road", 2, overrides=QUICK, every_hours=v), bad_hours),
    "compare.scenarios": (lambda v: sim.compare(v, replicates=2, overrides=QUICK), lambda v: True),
    "compare.replicates": (lambda v: sim.compare(["open_road", "albu_kamal_blockade"], replicates=v,
                                                 overrides=QUICK), bad_count(2)),
    "compare.seed": (lambda v: sim.compare(["open_road", "albu_kamal_blockade"], seed=v, replicates=2,
                                           overrides=QUICK), bad_seed),
    "sweep.replicates": (lambda v: sim.sweep(SWEEP, replicates=v), lambda v: v is not None and bad_count(1)(v)),
    "sweep.sweep_file": (lambda v: sim.sweep(v), lambda v: True),
    "sweep.out": (lambda v: sim.sweep(SWEEP, out=v), lambda v: v is not None and (
        not isinstance(v, str | os.PathLike) or not str(v).strip() or not str(v).isprintable())),
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=st.sampled_from(sorted(CASES)), value=anything)
def test_any_invalid_argument_gives_a_user_error_and_starts_no_run(no_runs, case, value):
    call, invalid = CASES[case]
    if not invalid(value):
        return  # a valid value: nothing to assert here (the other API tests run them)
    try:
        call(value)
    except UserError as err:
        assert str(err).strip(), f"{case}={value!r}: an empty message"
        return
    except RunStarted:
        raise AssertionError(f"{case}={value!r}: a run started for an invalid call") from None
    raise AssertionError(f"{case}={value!r}: accepted")
