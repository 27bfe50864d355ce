"""Issue 21, item 3 — every size is bounded before work starts: a sweep's design points × replicates
from the file's shape alone (before any point is drawn), degenerate ranges, the pool's workers, and a run
that will be long announces its estimate."""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from unittest import mock

import pytest

from sim.experiments import engine
from sim.experiments.runfolder import RunFolder
from sim.experiments.sizes import MAX_POINTS, MAX_RUNS, design_size
from sim.experiments.sweepfile import read_sweep
from sim.program.cli import main
from sim.program.errors import InputErrors

from conftest import ROOT

OPEN_ROAD = ROOT / "scenarios" / "open_road.yaml"


def sweep_file(tmp_path, parameters: str, extra: str = "") -> str:
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\nscenario: {OPEN_ROAD}\n{extra}parameters:\n{parameters}")
    return path


def grid(n_params: int, steps: int) -> str:
    keys = ["rules.checkpoint_blockade.stop_probability", "time.duration_days", "control.kernel_km",
            "economy.recruit_cost_usd", "rules.airstrikes.rate_per_day"]
    return "".join(f"  {keys[i]}: {{range: {{from: 1, to: 2, steps: {steps}}}}}\n" for i in range(n_params))


def no_points_drawn():
    """Within it, drawing a design's points fails the test: a refusal must come from the file's shape."""
    drawing = AssertionError("refused from the file's shape, yet the design's points were drawn")
    return mock.patch("sim.experiments.sweepfile.design_points", side_effect=drawing)


def refused_fast(path, *words, replicates=None) -> str:
    with no_points_drawn(), pytest.raises(InputErrors) as err:
        read_sweep(path, replicates=replicates)
    message = str(err.value)
    for w in words:
        assert w in message, f"expected {w!r} in the message: {message}"
    assert len(message.splitlines()) == 1, f"one line: {message}"
    return message


def test_a_million_point_grid_is_refused_before_any_point_is_drawn(tmp_path):
    message = refused_fast(sweep_file(tmp_path, grid(2, 1000)), "1,000,000 design points", f"{MAX_POINTS:,}")
    assert "s.yaml:" in message and ": parameters:" in message, message


def test_a_quadrillion_point_grid_is_refused_before_any_point_is_drawn(tmp_path):
    refused_fast(sweep_file(tmp_path, grid(5, 1000)), "1e+15 design points")


def test_points_times_replicates_are_capped_even_when_the_points_are_few(tmp_path):
    path = sweep_file(tmp_path, grid(2, 100))  # 10,000 points: at the cap, allowed alone
    assert design_size({"parameters": {"a": {"range": {"steps": 100}}, "b": {"values": [1, 2]}}})[0] == 200
    refused_fast(path, f"10,000 design points × 101 replicates = 1,010,000 runs; at most {MAX_RUNS:,}",
                 replicates=101)


@pytest.mark.parametrize("design,expected", [
    ({"kind": "latin_hypercube", "samples": 7}, 7),
    ({"kind": "sobol", "samples": 8}, 8 * (3 + 2)),  # Saltelli, first-order and total: N (d + 2)
    ({"kind": "morris", "trajectories": 5}, 5 * (3 + 1)),  # r (d + 1)
    ("grid", 2 * 3 * 4),
])
def test_the_size_of_every_design_is_counted_from_the_files_shape(design, expected):
    params = {"a": {"values": [1, 2]}, "b": {"values": [1, 2, 3]}, "c": {"range": {"from": 0, "to": 1, "steps": 4}}}
    assert design_size({"parameters": params, "design": design})[0] == expected


def test_a_degenerate_range_is_refused(tmp_path):
    path = sweep_file(tmp_path, "  rules.checkpoint_blockade.stop_probability: {range: {from: 0.5, to: 0.5, steps: 50}}\n")
    message = refused_fast(path, "from and to are both 0.5", "every value would be the same")
    assert ":4: parameters['rules.checkpoint_blockade.stop_probability'].range:" in message, message


def test_sweep_dry_run_refuses_a_huge_file_in_one_line_with_status_2(tmp_path, capsys):
    path = sweep_file(tmp_path, grid(5, 1000))
    with no_points_drawn():
        assert main(["sweep", str(path), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "design points" in err and "Traceback" not in err, err


def test_the_pool_starts_no_more_workers_than_there_are_runs(tmp_path, monkeypatch):
    asked = []

    @contextmanager
    def fake_executor(workers, dask):
        asked.append(workers)
        yield engine.SerialExecutor(), "fake", 1

    monkeypatch.setattr(engine, "open_executor", fake_executor)
    tasks = [type("T", (), {"run_id": f"r{i}", "seed": i})() for i in range(6)]
    folder = RunFolder(tmp_path / "out", "sweep", "x")
    with engine.engine_and_folder(folder, tasks, workers=500, dask=None, resume=False, force=False):
        folder.write_manifest({})
        folder.save(tasks[0], {"outcomes": {}, "series": {}}, {})
    with engine.engine_and_folder(folder, tasks, workers=500, dask=None, resume=True, force=False) as (done, _):
        assert done == {"r0"}
    assert asked == [6, 5], f"500 workers asked for 6 runs, then for the 5 still to do: got pools of {asked}"


def test_more_workers_than_cpus_is_noted():
    cpus = engine.default_workers()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        engine.check_engine(cpus + 1, None)
        engine.check_engine(cpus, None)
    assert len(caught) == 1 and f"more than the {cpus} CPUs" in str(caught[0].message), \
        [str(c.message) for c in caught]


def test_a_long_run_announces_its_estimate_and_an_ordinary_one_does_not():
    from sim.program.cost import estimate, run_estimate
    from sim.scenario import load_scenario

    # by hand: 1,000 steps × (10,000 cells × 0.58 µs + 100 units × 3.9 µs) = 6.19 s;
    # 210 MB + 10,000 × 2 kB + 1,000 × 1 kB = 231 MB
    seconds, mb = estimate(1_000, 10_000, 100)
    assert seconds == pytest.approx(6.19) and mb == pytest.approx(231.0)
    assert run_estimate(load_scenario(OPEN_ROAD)) is None, "an ordinary run says nothing"
    corner = load_scenario(OPEN_ROAD, {"time.duration_days": 3650, "time.step_hours": 0.876, "map.cell_km": 0.25})
    line = run_estimate(corner)
    assert line is not None and "100,000 steps" in line and " h and " in line, line
