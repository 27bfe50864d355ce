"""`python run.py run`: the run folder and its artefacts, and refusing to overwrite."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from sim.program.cli import main

from conftest import ROOT


def run_cli(*args):
    return subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, capture_output=True, text=True)


def test_run_writes_every_artefact_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["run", str(ROOT / "scenarios" / "albu_kamal_blockade.yaml"), "--seed", "5", "--out", str(out),
            "--set", "time.duration_days=2"]
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    assert "not a forecast" in proc.stdout and "convoys: R1:" in proc.stdout
    expected = {"scenario.resolved.yaml", "provenance.json", "steps.csv", "summary.json", "events.jsonl",
                "narrative.txt", "control_map.png", "control_over_time.png", "animation.gif", "violent_events.csv"}
    assert expected <= {p.name for p in out.iterdir()}
    from sim.program.written import foreign_file

    assert foreign_file(out, "run") is None, f"run wrote {foreign_file(out, 'run')}, which its kind's list " \
        "(sim.program.written.WRITTEN) does not name: --force would refuse the run's own folder"
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")], "a temporary folder was left behind"
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["seed"] == 5 and len(provenance["scenario_sha256"]) == 64
    assert provenance["packages"]["mesa"].startswith("3.5")
    assert "--seed" in provenance["command"]
    steps = pd.read_csv(out / "steps.csv")
    assert len(steps) == 2 * 24 + 1, "one row per step plus the initial state"
    narrative = (out / "narrative.txt").read_text()
    assert "2017-11-20 00:00 (day 1) — convoy R1 (Russian forces), 60 fighters, set off from Al-Mayadeen" in narrative
    assert steps["date"].iloc[-1] == "2017-11-21", "the last row, 48 h after 2017-11-19 00:00, is dated"
    assert list(pd.read_csv(out / "violent_events.csv").columns)[:3] == ["event_id", "date", "time"]
    for png in ("control_map.png", "control_over_time.png"):
        assert (out / png).stat().st_size > 30_000

    assert main(args) == 2, "the second run into the same folder is refused (in-process: the refusal is tested)"
    err = capsys.readouterr().err
    assert "already exists" in err and "Traceback" not in err, err
    assert (out / "steps.csv").exists(), "the earlier run must be left as it was"


def test_run_reports_bad_overrides_without_traceback(tmp_path, capsys):
    code = main(["run", str(ROOT / "scenarios" / "albu_kamal_blockade.yaml"), "--out", str(tmp_path / "x"),
                 "--set", "rules.checkpoint_blockade.stop_probabilty=0.5"])
    err = capsys.readouterr().err
    assert code == 2
    assert "did you mean 'stop_probability'?" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_run_quiet_prints_no_progress_bar(tmp_path, capsys):
    code = main(["run", "open_road", "--quiet", "--no-animation", "--out", str(tmp_path / "q"),
                 "--set", "time.duration_days=2", "--set", "map.cell_km=3"])
    done = capsys.readouterr()
    assert code == 0, done.err
    assert "%|" not in done.err and "it/s" not in done.err, f"--quiet shows no progress bar: {done.err}"
    assert "wrote" in done.out, "the headline and the folder are still printed"
    # the land-bridge line names the factions as the control line above it does (it gave their ids)
    assert "  land bridge at the end: Iran-backed militias open, Russian forces closed\n" in done.out, done.out


SHORT = ["--no-animation", "--set", "time.duration_days=2", "--set", "map.cell_km=3"]  # 3 km: the map moves places


def test_the_last_line_gives_the_time_of_simulating_and_of_writing_the_outputs(tmp_path, capsys, monkeypatch):
    """`make run` printed "simulated in 0.4 s" after a 12 s command, most of it drawing (a fresh
    reviewer's finding): the last line gives both times. The test's clock jumps 100 s while the
    outputs are written (no wall clock is bounded): the jump is in the writing, not the simulating."""
    import re
    import time

    from sim.results.result import RunResult

    clock, jump, save = time.perf_counter, [0.0], RunResult.save

    def slow_save(self, *args, **kwargs):
        jump[0] += 100.0
        return save(self, *args, **kwargs)

    monkeypatch.setattr(time, "perf_counter", lambda: clock() + jump[0])
    monkeypatch.setattr(RunResult, "save", slow_save)
    assert main(["run", "open_road", "--quiet", "--out", str(tmp_path / "r"), *SHORT]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    said = re.fullmatch(r"  simulated in ([0-9.]+) s, tables, charts and maps written in ([0-9.]+) s; wrote (.+)", last)
    assert said, last
    assert float(said[1]) < 100 <= float(said[2]) and said[3] == str(tmp_path / "r"), last


def test_quiet_silences_the_note_of_moved_places_but_not_errors(tmp_path, capsys):
    """The map's note of the places it moves printed under `--quiet` (a fresh reviewer's finding):
    `--quiet` silences it; without it the note is said; an error is said either way."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("always")  # the note said whatever this process said before (and pytest's filter)
        assert main(["run", "open_road", "--out", str(tmp_path / "loud"), *SHORT]) == 0
        assert "note: euphrates_corridor.geojson at 3 km cells moves" in capsys.readouterr().err, "premise: a note"
        assert main(["run", "open_road", "--quiet", "--out", str(tmp_path / "quiet"), *SHORT]) == 0
        done = capsys.readouterr()
        assert "note:" not in done.err and "wrote" in done.out, done.err
        assert main(["run", "open_road", "--quiet", "--out", str(tmp_path / "bad"), *SHORT,
                     "--set", "forces[0].strength=-1"]) == 2
        assert "forces[0].strength: expected a number > 0, found -1" in capsys.readouterr().err


def test_a_land_share_that_rounds_to_nothing_but_is_not_nothing_is_printed_below_one_percent(tmp_path, capsys):
    """The run summary printed "Russian forces 0%" for a share of 0.34 % (session 13's fresh
    testers): a share that rounds to 0 % but is not 0 is "<1%" (sim.results.result.land_percent);
    0 is 0%. Two days of open_road at 3 km: Russian forces hold 0.34 %, ISIS cells 0.04 %."""
    from sim.results.result import land_percent

    assert [land_percent(s) for s in (0.0, 0.0034, 0.005, 0.0051, 0.34)] == ["0%", "<1%", "<1%", "1%", "34%"]
    assert main(["run", "open_road", "--quiet", "--out", str(tmp_path / "r"), *SHORT]) == 0
    summary = json.loads((tmp_path / "r" / "summary.json").read_text(encoding="utf-8"))
    assert 0 < summary["share_russia"] < 0.005 and summary["contested_share"] == 0, "premise"
    said = capsys.readouterr().out
    assert "Russian forces <1%" in said and "ISIS cells <1%" in said and "contested 0%" in said, said
