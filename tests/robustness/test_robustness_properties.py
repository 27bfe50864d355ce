"""Issue 12 — property-based: garbage thrown at the scenario loader, `--set` values, sweep files
and command-line flags always ends in success or exit 2 with one line per problem naming the
file or flag, never a traceback, with bounded work (CPU seconds, not the wall clock). (Hypothesis; about 20 s in all.)"""

from __future__ import annotations

import io
import time
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.program.cli import build_parser, main
from sim.program.errors import UserError
from sim.scenario import load_scenario, parse_sets

from conftest import ROOT

BLOCKADE = ROOT / "scenarios" / "albu_kamal_blockade.yaml"
FAST = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# scalars that YAML and numbers get wrong
TRICKY = ["1:30", "010", "0x1F", "1e4", "1e999", "-1e999", ".nan", ".inf", "-.inf", "nan", "inf", "yes", "no",
          "on", "~", "null", "''", "-0", "1_000", "0b101", "2017-11-19", "12:30:00", "!!python/object:os.system",
          "!!binary aGk=", "*undefined", "&a [*a]", "[", "{", "}", "- -", ": :", "\t", "'\\x00'", "1e308", "4e-324",
          "9223372036854775808", "-9223372036854775809", "100000000000000000000000000000", "0.0", "-1", "true"]
scalar = st.one_of(
    st.sampled_from(TRICKY),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12).map(repr),
)
KEYS = ["time.step_hours", "time.duration_days", "seed", "map.cell_km", "map.file", "control.kernel_km",
        "control.tail_ratio", "engagement.range_km", "engagement.law", "forces[0].units", "forces[0].strength",
        "forces[7].route", "forces[7].orders.max_wait_hours", "rules.checkpoint_blockade.stop_probability",
        "rules.checkpoint_blockade.at", "rules.airstrikes.rate_per_day", "events", "factions", "relations",
        "name", "insurgents.move_km", "forces", "rules", "forces[99].units", "rules.nope.x", "observe.land_bridge"]
value_text = st.one_of(scalar, st.lists(scalar, max_size=4).map(lambda v: "[" + ", ".join(v) + "]"),
                       st.dictionaries(st.sampled_from(["a", "kind", "units", "at_day", "near"]), scalar,
                                       max_size=3).map(lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"))


def problem_lines(err: str, name: str) -> list[str]:
    """Check stderr of a refused file: each line names the file; returns the lines."""
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("note:")]
    assert lines, "a refusal says why"
    for line in lines:
        assert line.startswith(name) or f"/{name}" in line.split(":")[0] or line.split(":")[0].endswith(".yaml"), line
    return lines


@contextmanager
def bounded_work(seconds: float = 10.0):
    """Within it, the work done must stay under `seconds` of this process's CPU time: a measure of
    the work (a machine busy with other processes does not stretch it, as it does the wall clock)."""
    started = time.process_time()
    yield
    spent = time.process_time() - started
    assert spent < seconds, f"bounded work: {spent:.1f} s of CPU, at most {seconds}"


def validate(path: Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with bounded_work(), redirect_stdout(out), redirect_stderr(err):
        code = main(["validate", str(path)])
    assert "Traceback" not in err.getvalue()
    return code, err.getvalue()


@FAST
@given(st.text(max_size=300))
def test_any_text_as_a_scenario_file(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("p") / "garbage.yaml"
    path.write_text(text, encoding="utf-8")
    code, err = validate(path)
    assert code in (0, 2)
    if code == 2:
        problem_lines(err, "garbage.yaml")


@FAST
@given(st.dictionaries(st.sampled_from(KEYS), value_text, min_size=1, max_size=4))
def test_random_values_in_a_scenario_that_extends_the_blockade(tmp_path_factory, values):
    body = "\n".join(_line(k, v) for k, v in values.items() if "[" not in k)
    path = tmp_path_factory.mktemp("p") / "bad.yaml"
    path.write_text(f"name: s\ndescription: d\nextends: {BLOCKADE}\n{body}\n", encoding="utf-8")
    code, err = validate(path)
    assert code in (0, 2)
    if code == 2:
        problem_lines(err, "bad.yaml")


def _line(key: str, value: str) -> str:
    """'time.step_hours', '1:30' → 'time: {step_hours: 1:30}'."""
    first, *rest = key.split(".")
    inner = f"{rest[-1]}: {value}" if rest else value
    for part in reversed(rest[:-1]):
        inner = f"{part}: {{{inner}}}"
    return f"{first}: {{{inner}}}" if rest else f"{first}: {value}"


@FAST
@given(st.lists(st.tuples(st.sampled_from(KEYS + ["", "a..b", "forces[-1]", "[0]"]), value_text),
                min_size=1, max_size=3))
def test_random_set_values(pairs):
    texts = [f"{k}={v}" for k, v in pairs]
    with bounded_work():
        try:
            load_scenario(BLOCKADE, overrides=parse_sets(texts))
        except UserError as err:
            for line in str(err).splitlines():
                assert line.startswith(("--set ", "scenarios/", str(ROOT))), line


FLAG_LINES = [["run"], ["compare", "a.yaml", "b.yaml"], ["export"], ["map"], ["viz"], ["sweep", "s.yaml"],
              ["sensitivity", "s.yaml"], ["bench"]]
FLAGS = ["--seed", "--days", "--cell-km", "--replicates", "--workers", "--every-hours", "--port", "--bench",
         "--runs", "--small", "--large", "--out", "--set", "--dask"]


@FAST
@given(st.sampled_from(FLAG_LINES), st.lists(st.tuples(st.sampled_from(FLAGS), scalar), max_size=3))
def test_random_command_lines_are_read_or_refused_in_one_line(head, flags):
    argv = head + [f"{flag}={value}" for flag, value in flags]
    err = io.StringIO()
    try:
        with redirect_stderr(err), redirect_stdout(io.StringIO()):
            build_parser().parse_args(argv)
    except SystemExit as stop:
        assert stop.code == 2
        lines = err.getvalue().strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("python run.py"), err.getvalue()
        assert "Traceback" not in err.getvalue()


@settings(FAST, max_examples=10)
@given(st.sampled_from(KEYS[:16]), scalar)
def test_random_sweep_files(tmp_path_factory, key, value):
    path = tmp_path_factory.mktemp("p") / "sweep.yaml"
    path.write_text(f"name: s\ndescription: d\nscenario: {BLOCKADE}\nset: {{time.duration_days: 2}}\n"
                    f"parameters:\n  {key}: {{values: [{value}]}}\nreplicates: 1\n", encoding="utf-8")
    from sim.experiments.sweepfile import read_sweep

    try:
        read_sweep(path)
    except UserError as err:
        for line in str(err).splitlines():
            assert "sweep.yaml" in line or "scenarios/" in line, line


@pytest.mark.parametrize("text", TRICKY)
def test_each_tricky_scalar_as_the_step_length(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\ndescription: d\nextends: {BLOCKADE}\ntime: {{step_hours: {text}}}\n")
    code, err = validate(path)
    assert code in (0, 2)
