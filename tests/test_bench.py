"""The campaign benchmark (`python run.py bench campaign`): it prints a CPU-seconds row per
configuration and never fails on time; a suite's options are refused with another suite."""

from __future__ import annotations

import time
from datetime import date

import pytest

from sim.bench.campaign import CONFIGURATIONS, overrides
from sim.program.cli import main


def test_bench_campaign_prints_one_row_of_cpu_seconds_per_configuration(capsys):
    assert main(["bench", "campaign", "--days", "2"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.split() and line.split()[0] in ("campaign", "hindcast")]
    assert [(r[0], r[1], r[2]) for r in rows] == [(c.name, f"{c.cell_km:g}km", f"{c.step_hours:g}h") for c in CONFIGURATIONS], \
        f"one row per configuration in:\n{out}"
    steps = [int(r[4]) for r in rows]
    assert steps == [round(2 * 24 / c.step_hours) for c in CONFIGURATIONS], f"two days are 48 h of steps: {steps}"
    assert all(float(r[6]) >= 0.0 for r in rows), f"CPU seconds are figures, not verdicts:\n{out}"
    assert [r[-1] for r in rows] == [f"{c.target_s:g}" if c.target_s else "-" for c in CONFIGURATIONS], \
        f"each row's target beside it (none for the hindcast):\n{out}"


def test_the_hindcast_row_runs_the_calibrations_training_window_at_3_km_and_3_h():
    hindcast = next(c for c in CONFIGURATIONS if c.name == "hindcast")
    assert (hindcast.scenario, hindcast.cell_km, hindcast.step_hours) == ("corridor_2017_2019.yaml", 3.0, 3.0)
    assert hindcast.days == (date(2018, 12, 31) - date(2017, 11, 19)).days + 1, "19 Nov 2017 to 31 Dec 2018 inclusive"
    assert overrides(hindcast, 2.0)["rules.offensive.from_day"] == 1.0, "a short run launches the offensive at half of it"
    assert overrides(hindcast, 2.0)["rules.offensive/roundup.from_day"] == 1.0, "and Operation Roundup's first phase"
    assert "rules.offensive.from_day" not in overrides(hindcast, 408.0), "the full window keeps the scenario's launch"
    assert "rules.offensive/roundup.from_day" not in overrides(hindcast, 200.0), "Roundup's (day 163) falls in 200 days"
    assert overrides(hindcast, 200.0)["rules.offensive.from_day"] == 100.0, "the final phase's (day 295) does not"


@pytest.mark.parametrize("args", [["bench", "sweep", "--days", "3"], ["bench", "campaign", "--runs", "5"],
                                  ["bench", "campaign", "--out", "x"]])
def test_a_suites_options_are_refused_with_another_suite(args, capsys):
    assert main(args) == 2, "a misplaced option is a user error (exit status 2)"
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "an option of `bench" in err, err


def test_bench_help_describes_what_each_suite_measures_and_where_it_writes(capsys):
    """`bench --help` had no description (a fresh reviewer's finding): it names every suite with
    what it measures, and says where each writes (the model suite's files, the others' none)."""
    with pytest.raises(SystemExit) as stop:
        main(["bench", "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    described = text.split("\npositional arguments:")[0]
    suites = {line.split()[0]: line for line in described.splitlines() if line.startswith("  ") and line.split()}
    assert {"model", "sweep", "campaign"} <= suites.keys(), f"a paragraph per suite:\n{described}"
    assert "bench.csv, bench.png and" in described and "outputs/bench_" in described, "where the model suite writes"
    assert "temporary folder" in described and "writes nothing" in described, "and that the others keep nothing"
    assert "CPU seconds" in described and "Mesa's Epstein" in described


def test_timing_the_stages_leaves_the_run_unchanged_and_names_every_stage(capsys):
    """`--stages` wraps the step's stages with timers: a seeded run with them must record the
    same step table as one without, and the report must name the stages of the step."""
    import warnings

    from sim.bench.stages import StageTimer
    from sim.model import CorridorModel
    from sim.program.folders import SCENARIOS
    from sim.scenario import load_scenario

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        loaded = load_scenario(SCENARIOS / "corridor_campaign.yaml", overrides={
            "map.cell_km": 3.0, "time.step_hours": 3.0, "time.duration_days": 3.0})
    plain = CorridorModel(loaded, seed=2).run().steps
    model = CorridorModel(loaded, seed=2)
    timer = StageTimer(model)
    timed = model.run().steps
    assert timed.equals(plain), "timing the stages changed the run's step table"
    lines = timer.table(model.n_steps, 1.0)
    for stage in ("wake-ups", "economy", "insurgent stage", "engagements", "influence", "recorder"):
        assert any(line.split()[0] == stage.split()[0] for line in lines), f"no line for {stage}: {lines}"
    assert main(["bench", "campaign", "--days", "1", "--stages"]) == 0
    out = capsys.readouterr().out
    assert out.count("influence: classification") == len(CONFIGURATIONS), f"a stage table per configuration:\n{out}"


def test_the_model_benchmark_times_each_step_in_cpu_and_wall_time_and_charts_cpu(tmp_path, monkeypatch):
    """`python run.py bench`'s measurement of one configuration: both clocks per step, over STEPS
    steps of the model built by `build`; the chart draws the CPU figures without pyplot."""
    import matplotlib
    import pandas as pd

    from sim.bench import step_cost

    class Counting:
        agents = [1, 2, 3, 4]
        steps = 0

        def step(self):
            Counting.steps += 1
            sum(i * i for i in range(20_000))  # CPU work, so that the CPU clock moves
            time.sleep(0.02)  # wall time that is not CPU time

    monkeypatch.setattr(step_cost, "STEPS", 5)
    backend = matplotlib.get_backend()
    model, row = step_cost.timed_steps(Counting)
    assert Counting.steps == 5 and row["agents"] == 4 and row["agents_end"] == 4, row
    assert row["cpu_step_ms"] > 0 and row["step_ms"] > 0, f"both clocks measured a step: {row}"
    assert row["step_ms"] - row["cpu_step_ms"] >= 10, f"a step's 20 ms asleep count in wall time, not CPU time: {row}"
    table = pd.DataFrame([{"model": m, "group": g, "agents": n, "cpu_us_per_agent_step": c, "peak_mb": 200.0}
                          for m, g, n, c in (("corridor", "agents", 1000, 6.0), ("corridor", "agents", 32000, 3.0),
                                             ("mesa_epstein", "mesa", 1200, 27.0), ("mesa_epstein", "mesa", 31000, 97.0))])
    step_cost.draw_chart(table, tmp_path / "bench.png")
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert matplotlib.get_backend() == backend, "drawing the chart left the caller's matplotlib backend alone"
