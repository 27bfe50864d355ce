"""Bad sweep files: every problem names the file and line, the key path, and what was expected
and found (with a did-you-mean where one is close); key paths are checked against the base
scenario; a design point that does not validate is named with its values; all problems are
reported at once; through the CLI: exit status 2 and no traceback.

The line a problem must point at is marked in the sweep file with the comment ``#<``.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import sim.experiments.runfolder as runfolder
from sim.experiments.sweepfile import read_sweep
from sim.program.errors import InputErrors, UserError

from conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
HEAD = (f"name: bad\ndescription: a bad sweep\nscenario: {SCENARIOS / 'albu_kamal_blockade.yaml'}\n"
        "set: {map.cell_km: 10, time.duration_days: 2, time.step_hours: 12}\n")
STOP = "  rules.checkpoint_blockade.stop_probability: {values: [0.0, 1.0]}\n"


@dataclass
class Case:
    id: str
    text: str
    fragment: str
    path: str | None = None  # exact key path the problem must name


CASES = [
    Case("unknown_top_key", HEAD + "parameters:\n" + STOP + "replicate: 3  #<\n",
         "unknown key 'replicate'; did you mean 'replicates'?", "replicate"),
    Case("unknown_parameter_path",
         HEAD + "parameters:\n  rules.checkpoint_blockade.stop_probabilty: {values: [0.5]}  #<\n",
         "unknown key 'stop_probabilty' in 'rules.checkpoint_blockade'; did you mean 'stop_probability'?",
         "parameters['rules.checkpoint_blockade.stop_probabilty']"),
    Case("rule_not_in_scenario", HEAD + "parameters:\n  rules.airstrikes.rate_per_day: {values: [1.0]}  #<\n",
         "no rule 'airstrikes' in this scenario (its rules: "),
    Case("index_out_of_range", HEAD + "parameters:\n  forces[40].strength: {values: [10]}  #<\n",
         "index [40] is out of range: 'forces' has "),
    Case("unknown_set_path",
         f"name: bad\ndescription: x\nscenario: {SCENARIOS / 'albu_kamal_blockade.yaml'}\n"
         "set:\n  time.duration_day: 2  #<\nparameters:\n" + STOP,
         "unknown key 'duration_day' in 'time'; did you mean 'duration_days'?", "set['time.duration_day']"),
    Case("seed_is_not_a_parameter", HEAD + "parameters:\n  seed: {values: [1, 2]}  #<\n",
         "the seed is not a parameter"),
    Case("scenario_not_found",
         f"name: bad\ndescription: x\nscenario: {SCENARIOS / 'albu_kamal_blockad.yaml'}  #<\nparameters:\n" + STOP,
         "did you mean 'albu_kamal_blockade.yaml'?", "scenario"),
    Case("unknown_design", HEAD + "parameters:\n" + STOP + "design: {kind: latin_hypercub, samples: 4}  #<\n",
         "unknown design 'latin_hypercub'; did you mean 'latin_hypercube'?", "design.kind"),
    Case("design_needs_size", HEAD + "parameters:\n  forces[7].strength: {bounds: [10, 90]}\ndesign: morris  #<\n",
         "the morris design needs its size: write design: {kind: morris, trajectories: 10}"),
    Case("sobol_power_of_two",
         HEAD + "parameters:\n  forces[7].strength: {bounds: [10, 90]}\ndesign:\n  kind: sobol\n  samples: 12  #<\n",
         "the Sobol design needs a power of two (e.g. 8 or 16), found 12", "design.samples"),
    Case("morris_odd_levels",
         HEAD + "parameters:\n  forces[7].strength: {bounds: [10, 90]}\n"
         "design:\n  kind: morris\n  trajectories: 4\n  levels: 5  #<\n",
         "expected an even number of levels (e.g. 4), found 5", "design.levels"),
    Case("grid_needs_values",
         HEAD + "parameters:\n  forces[7].strength: {distribution: {normal: [60, 10]}}  #<\n",
         "the grid design needs 'values' or 'range' for each parameter, found distribution"),
    Case("morris_needs_bounds",
         HEAD + "parameters:\n  forces[7].strength: {values: [10, 90]}  #<\ndesign: {kind: morris, trajectories: 4}\n",
         "the morris design needs 'bounds' or 'distribution' (a uniform one) or 'range' for each parameter"),
    Case("two_ways_to_vary",
         HEAD + "parameters:\n  forces[7].strength: {values: [10], range: {from: 1, to: 2, steps: 2}}  #<\n",
         "give one of 'values', 'range' or 'distribution' (found values and range)"),
    Case("bounds_reversed", HEAD + "parameters:\n  forces[7].strength:\n    bounds: [90, 10]  #<\n"
         "design: {kind: morris, trajectories: 4}\n",
         "expected [low, high] with low < high, found [90, 10]"),
    Case("normal_sd", HEAD + "parameters:\n  forces[7].strength:\n    distribution:\n      normal: [60, -1]  #<\n"
         "design: {kind: latin_hypercube, samples: 4}\n", "expected [mean, sd] with sd > 0, found sd -1"),
    Case("range_steps", HEAD + "parameters:\n  forces[7].strength:\n    range:\n      from: 10\n      to: 90\n"
         "      steps: 1  #<\n", "expected a whole number between 2 and 100000, found 1"),
    Case("replicates_type", HEAD + "parameters:\n" + STOP + "replicates: '10'  #<\n",
         "expected a whole number, found a string '10'", "replicates"),
    Case("design_point_invalid",
         HEAD + "parameters:\n  rules.checkpoint_blockade.stop_probability: {values: [0.5, 1.5]}  #<\n",
         "design point 1 (rules.checkpoint_blockade.stop_probability=1.5) does not validate: expected a number "
         "between 0 and 1, found 1.5"),
    Case("design_point_whole_number",
         HEAD + "parameters:\n  forces[7].units: {range: {from: 1, to: 3, steps: 3}}  #<\n",
         "expected a whole number, found 1.0 (add 'integer: true' to the parameter to round its values)"),
    Case("design_point_cross_check",
         HEAD.replace("time.duration_days: 2, ", "") + "parameters:  #<\n  time.duration_days: {values: [0.5, 2]}\n",
         "design point 0 (time.duration_days=0.5) does not validate: "),
    Case("design_point_cross_check_names_the_base_file",
         HEAD.replace("time.duration_days: 2, ", "") + "parameters:  #<\n  time.duration_days: {values: [0.5, 2]}\n",
         "forces[7].depart_day: the convoy's departure day 1 is not before the end of the run "
         "(time.duration_days is 0.5)"),
    Case("unknown_outcome", HEAD + "parameters:\n" + STOP + "outcomes:\n  final: [convoys_arrived, share_rusia]  #<\n",
         "unknown outcome 'share_rusia'; did you mean 'share_russia'?", "outcomes.final[1]"),
    Case("pattern_matches_nothing", HEAD + "parameters:\n" + STOP + "outcomes:\n  final: ['foo_*']  #<\n",
         "the pattern 'foo_*' matches no outcome of this scenario"),
    Case("unknown_series_column",
         HEAD + "parameters:\n" + STOP + "outcomes:\n  series:\n    columns: [share_russia, holder_Albu Kamall]  #<\n",
         "unknown series column 'holder_Albu Kamall'; did you mean 'holder_Albu Kamal'?"),
    Case("duplicate_key", HEAD + "parameters:\n" + STOP + "replicates: 2\nreplicates: 3  #<\n",
         "duplicate key 'replicates' (first given at line"),
    Case("yaml_syntax", "name: bad\nscenario: [a, b\n", "YAML syntax error"),
]


def marked_line(text: str) -> int | None:
    for i, line in enumerate(text.splitlines(), start=1):
        if line.rstrip().endswith("#<"):
            return i
    return None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_sweep_file_is_reported_at_its_line(case: Case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text(case.text, encoding="utf-8")
    with pytest.raises(InputErrors) as caught:
        read_sweep(tmp_path / "bad.yaml")
    found = [p for p in caught.value.problems if case.fragment in p.message]
    assert found, f"expected a problem containing {case.fragment!r}, got:\n{caught.value}"
    problem = found[0]
    assert problem.file == "bad.yaml", f"the problem should name the sweep file, named {problem.file}"
    line = marked_line(case.text)
    if line is not None:
        assert problem.line == line, f"expected line {line}, got {problem.line}: {problem}"
    if case.path is not None:
        assert problem.path == case.path, f"expected key path {case.path!r}, got {problem.path!r}"


def test_every_problem_is_reported_at_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = (HEAD.replace("set: {", "set: {time.duration_day: 2, ") + "parameters:\n"
            "  rules.checkpoint_blockade.stop_probabilty: {values: [0.5]}\n"
            "  forces[7].strenght: {values: [40]}\n"
            "replicate: 3\n"
            "design: {kind: latin_hyper, samples: 3}\n"
            "outcomes:\n  final: [share_rusia]\n")
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(InputErrors) as caught:
        read_sweep(tmp_path / "bad.yaml")
    messages = [f"{p.line}: {p.message}" for p in caught.value.problems]
    expected = ["4: unknown key 'duration_day'", "6: unknown key 'stop_probabilty'", "7: unknown key 'strenght'",
                "8: unknown key 'replicate'", "9: unknown design 'latin_hyper'", "11: unknown outcome 'share_rusia'"]
    for fragment in expected:
        assert any(m.startswith(fragment) for m in messages), f"missing {fragment!r} in {messages}"
    assert [p.line for p in caught.value.problems] == sorted(p.line for p in caught.value.problems)


def test_many_failing_design_points_are_counted_not_listed(tmp_path):
    (tmp_path / "bad.yaml").write_text(HEAD + "parameters:\n  rules.checkpoint_blockade.stop_probability:\n"
                                       "    values: [1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 0.5]\n")
    with pytest.raises(InputErrors) as caught:
        read_sweep(tmp_path / "bad.yaml")
    problems = caught.value.problems
    assert sum("does not validate" in p.message for p in problems) == 5
    assert problems[-1].message == "… and 2 more of the 8 design points do not validate"


def test_sensitivity_needs_a_sensitivity_design(tmp_path):
    (tmp_path / "grid.yaml").write_text(HEAD + "parameters:\n" + STOP)
    with pytest.raises(InputErrors, match="this command needs a sobol or morris design, found 'grid'"):
        read_sweep(tmp_path / "grid.yaml", require=("sobol", "morris"))


CLI_CASES = [
    (["sweep", "{bad}"], "bad.yaml:6: parameters['forces[7].strenght']: unknown key 'strenght'"),
    (["sensitivity", "{bad}"], "bad.yaml:6: parameters['forces[7].strenght']"),
    (["compare", "{missing}", "{scenario}"], "no such file"),
    (["compare", "{scenario}"], "compare needs at least two scenario files"),
    (["compare", "{scenario}", "{scenario}", "--set", "time.duration_dayz=2"],
     "time.duration_dayz: unknown key 'duration_dayz' in 'time'; did you mean 'duration_days'?"),
    (["sweep", "{good}", "--resume"], "--resume needs --out FOLDER"),
    (["sweep", "{good}", "--dask", "nowhere"], "expected 'local' or a scheduler address like tcp://host:8786 (no port number)"),
]


def cli_args(command: list[str], folder: Path) -> list[str]:
    bad, good = folder / "bad.yaml", folder / "good.yaml"
    bad.write_text(HEAD + "parameters:\n  forces[7].strenght: {values: [40]}\n")
    good.write_text(HEAD + "parameters:\n" + STOP)
    names = {"bad": str(bad), "good": str(good), "missing": str(folder / "missing.yaml"),
             "scenario": str(SCENARIOS / "open_road.yaml")}
    return [a.format(**names) for a in command]


@pytest.mark.parametrize("command, fragment", CLI_CASES, ids=[f"{c[0][0]}-{i}" for i, c in enumerate(CLI_CASES)])
def test_cli_reports_user_errors_with_status_2(command, fragment, tmp_path, capsys):
    from sim.program.cli import main

    status = main(cli_args(command, tmp_path))
    err = capsys.readouterr().err
    assert status == 2, f"expected exit status 2, got {status}: {err}"
    assert fragment in err, f"expected {fragment!r} in:\n{err}"
    assert "Traceback" not in err


def test_cli_process_exits_2_without_traceback(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), *cli_args(["sweep", "{bad}"], tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2, f"expected exit status 2, got {done.returncode}: {done.stderr}"
    assert "bad.yaml:6: parameters['forces[7].strenght']: unknown key 'strenght' in 'forces[7]'; did you mean " \
           "'strength'?" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_map_note_of_a_sweep_is_said_once():
    """A sweep at 2 km (euphrates_corridor.geojson moves a place there) says so once, not once for
    the base scenario and again for its first design point."""
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")  # every note said, whatever was said before in this process
        read_sweep(SCENARIOS / "sweeps" / "airstrike_rate.yaml")
    notes = [str(w.message) for w in seen if "km cells moves" in str(w.message)]
    assert len(notes) == 1, notes


def test_every_refusal_of_an_out_folder_advises_only_what_the_next_command_accepts(tmp_path):
    """Refusals advised --resume and --force for a folder that is not Corridor's, a single run's
    folder, a compare folder, another sweep's folder, where the next command refused both
    (session 13's fresh tester, F1). Each option a refusal names is now accepted by the folder's
    own check (what the dry run and the sweep ask), and "choose another --out" always ends it."""
    import re

    from sim.program.output import new_marked_folder

    def folder(name, kind=None, manifest=None, extra=None):
        p = new_marked_folder(tmp_path / name, kind) if kind else tmp_path / name
        p.mkdir(exist_ok=True)
        for file, text in {**({"manifest.json": json.dumps(manifest)} if manifest else {}), **(extra or {})}.items():
            (p / file).write_text(text, encoding="utf-8")
        (p / "runs").mkdir(exist_ok=True)
        return p

    ours = {"kind": "sweep", "identity": "this", "replicates": 2}
    cases = {
        folder("not_ours", extra={"data.txt": "x"}): [],
        folder("a_run", "run", extra={"summary.json": "{}"}): [],
        folder("a_compare", "compare", {"kind": "compare", "identity": "c", "status": "complete"}): [],
        folder("other_interrupted", "sweep", {**ours, "identity": "other", "status": "interrupted"}): ["--force"],
        folder("other_complete", "sweep", {**ours, "identity": "other", "status": "complete"}): ["--force"],
        folder("complete", "sweep", {**ours, "status": "complete"}): ["--add-replicates", "--force"],
        folder("interrupted", "sweep", {**ours, "status": "interrupted"}): ["--resume", "--force"],
        folder("with_notes", "sweep", {**ours, "status": "interrupted"}, {"notes.md": "mine"}): ["--resume"],
    }
    options = {"--resume": {"resume": True}, "--add-replicates": {"resume": True, "flag": "--add-replicates"},
               "--force": {"force": True}}
    for path, advised in cases.items():
        sweep = runfolder.RunFolder(path, "sweep", "this")
        with pytest.raises(UserError) as refused:
            sweep.check(resume=False, force=False)
        said = str(refused.value)
        assert said.endswith("choose another --out"), said
        assert re.findall(r"--[a-z-]+(?= )", said.removesuffix("choose another --out")) == advised, said
        for flag in advised:
            assert sweep.check(**{"resume": False, "force": False, **options[flag]}) in ("resume", "replace"), (path, flag)
        for flag in [] if advised else options:  # nothing advised: each is refused, saying what works
            with pytest.raises(UserError, match="choose another --out"):
                sweep.check(**{"resume": False, "force": False, **options[flag]})


def test_every_commands_force_help_says_a_file_of_yours_is_named_and_the_folder_refused():
    """`hindcast --help` said its folder was replaced whole, with anything you put in it, and `run
    --help` "replace --out if it exists": every kind of folder now lists what its command writes
    (sim.program.written), so each command's --force refuses a folder holding anything else and
    says so (session 13's fresh testers). A folder of many runs is judged by names (no record of
    what was written): its commands' --help says a file named like one Corridor writes there is
    taken for its own (session 14's fresh tester, F2); only those that have --add-replicates
    mention it (compare, uncertainty and hindcast did)."""
    for command in ("run", "export", "sweep", "compare", "uncertainty", "sensitivity", "discover", "hindcast",
                    "calibrate"):
        said = " ".join(run_cli(command, "--help").stdout.split())
        assert "holding nothing it did not write: a file of yours is named and the folder refused" in said, (command, said)
        by_name = command not in ("run", "export", "discover")  # a folder of many runs: judged by names, no record
        assert ("(or --add-replicates)" in said) == (command in ("sweep", "sensitivity")), (command, said)
        assert ("unless named like one Corridor writes there, e.g. report.md)" in said) == by_name, (command, said)


@pytest.mark.parametrize("dask", ["", "foo", "tcp://localhost"])
def test_a_dry_run_refuses_a_bad_dask_address_in_the_sweeps_own_words(dask, tmp_path):
    """`sweep --dry-run --dask ''` (or `--dask foo`) said ok where the sweep refuses it (session
    13's fresh tester, F5), and `--dask tcp://localhost` (no port) passed both checks, then the
    sweep ended in Dask's traceback with its folder half made (session 14's, F4): the dry run
    does not import the engine, so the one check of the address lives beside the Dask engine
    (sim.experiments.dask_cluster.check_dask) and both ask it, before anything is written."""
    said = [run_cli("sweep", "stop_probability_by_convoy_strength", "--dask", dask, "--out", str(tmp_path / "out"),
                    "--workers", "1", "--quiet", *flags) for flags in (["--dry-run"], [])]
    lines = [(s.returncode, s.stderr.strip().splitlines()) for s in said]
    assert lines[0] == lines[1] and lines[0][0] == 2 and len(lines[0][1]) == 1, lines
    assert lines[0][1][0].startswith(f"--dask{f' {dask}' if dask else ''}: expected 'local' or a scheduler address"), lines
    assert not (tmp_path / "out").exists(), "nothing written"


def test_a_dask_address_is_read_as_dask_reads_it():
    """`--dask tcp://localhost` (no port) and `tcp://` passed the check and ended in Dask's
    traceback; `localhost:8786`, which Dask takes (tcp by default), was refused; a port of 99999
    was tried for 15 s (session 14's fresh tester, F4). The check reads an address as
    distributed's own parser does (distributed.comm.addressing), and says what is wrong."""
    from distributed.comm.addressing import parse_address, parse_host_port

    from sim.experiments.dask_cluster import address_problem, check_dask

    for good in ("localhost:8786", "tcp://127.0.0.1:8786", "tls://scheduler.lan:8786", "ws://h:80", "[::1]:8786",
                 "tcp://[::1]:8786"):
        assert address_problem(good) is None, good
        check_dask(good)
        assert 1 <= parse_host_port(parse_address(good)[1])[1] <= 65535, good
    for bad, problem in (("tcp://localhost", "no port number"), ("tcp://", "no port number"),
                         ("foo", "no port number"), ("tcp://[::1]", "no port number"), ("tcp://:8786", "no host"),
                         ("tcp://localhost:99999", "the port 99999 is not a number from 1 to 65535"),
                         ("tcp://localhost:0", "the port 0 is not a number from 1 to 65535"),
                         ("tcp://h:abc", "the port abc is not a number from 1 to 65535"),
                         ("tcp://::1:8786", "an IPv6 host goes in brackets: tcp://[::1]:8786"),
                         ("http://h:80", "http:// is not one of Dask's: tcp://, tls://, ws://, wss://")):
        with pytest.raises(UserError) as refused:
            check_dask(bad)
        assert str(refused.value) == (f"--dask {bad}: expected 'local' or a scheduler address like tcp://host:8786 "
                                      f"({problem})"), bad
        if problem == "no port number" or problem.startswith("the port"):  # Dask's parser: no port, or no good one
            with contextlib.suppress(ValueError):
                assert not 1 <= parse_host_port(parse_address(bad)[1])[1] <= 65535, bad
