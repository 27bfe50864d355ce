"""Sweeps: the same table from every engine, resume after SIGKILL without loss or duplicates,
common random numbers, tidy tables, refusals to overwrite, and the charts.

Runs are tiny (10 km cells, 12 h steps, 2 days) so that hundreds of them take seconds; the
convoy still departs on day 1 and meets the checkpoint, so outcomes vary with the parameters.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiments.design import replicate_seeds
from sim.experiments.sweep import run_sweep
from sim.program.errors import UserError

ROOT = Path(__file__).resolve().parent.parent
BLOCKADE = ROOT / "scenarios" / "albu_kamal_blockade.yaml"
TINY = "{time.duration_days: 2, map.cell_km: 10, time.step_hours: 12}"


def sweep_file(folder: Path, *, stop=(0.0, 0.3, 0.6, 0.9, 1.0), strength=(40, 80, 160, 320), replicates=10,
               tiny: str = TINY, final: str = "['*']") -> Path:
    path = folder / "sweep.yaml"
    path.write_text(
        f"name: test sweep\ndescription: tiny runs for tests\nscenario: {BLOCKADE}\nset: {tiny}\n"
        "parameters:\n"
        f"  rules.checkpoint_blockade.stop_probability: {{values: {list(stop)}, label: stop probability}}\n"
        f"  forces[7].strength: {{values: {list(strength)}, label: convoy strength}}\n"
        f"replicates: {replicates}\nseed: 5\noutcomes:\n  final: {final}\n  series: {{every_hours: 12}}\n",
        encoding="utf-8")
    return path


def tables(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    runs = pd.read_parquet(folder / "runs.parquet").sort_values("run_id", ignore_index=True)
    series = pd.read_parquet(folder / "series.parquet").sort_values(["run_id", "step"], ignore_index=True)
    return runs, series


@pytest.mark.xdist_group("sweeps")
def test_serial_pool_and_dask_give_identical_tables(tmp_path):
    """12 tiny runs in this process, on 2 local workers and on a local Dask cluster: the same
    rows with the same values, exactly. 12 is three times the runs kept in flight on 2 workers,
    so each engine hands runs out as others finish (60 runs cost 7.7 s of CPU more, the same checks)."""
    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(40, 320), replicates=3)
    results, environ = {}, dict(os.environ)
    for name, options in {"serial": {"workers": 1}, "pool": {"workers": 2},
                          "dask": {"workers": 2, "dask": "local"}}.items():
        out = tmp_path / name
        result = run_sweep(path, out=out, progress=False, charts=False, **options)
        assert result.session.ran == 12, f"{name}: expected 12 runs this session, ran {result.session.ran}"
        results[name] = tables(out)
    changed = {k for k in set(environ) | set(os.environ) if environ.get(k) != os.environ.get(k)}
    assert not changed, f"the local Dask cluster left its workers' variables in this process's environment: {changed}"
    runs, series = results["serial"]
    assert len(runs) == 12 and runs["run_id"].is_unique, "expected one row per run"
    assert len(series) == 12 * 5, f"expected 5 kept steps (0, 12, 24, 36, 48 h) per run, found {len(series)} rows"
    assert runs["convoys_arrived"].nunique() > 1, "the parameters should change whether the convoy arrives"
    for name in ("pool", "dask"):
        pd.testing.assert_frame_equal(results[name][0], runs, check_exact=True, obj=f"runs table ({name})")
        pd.testing.assert_frame_equal(results[name][1], series, check_exact=True, obj=f"series table ({name})")
    csv = pd.read_csv(tmp_path / "serial" / "runs.csv")
    assert list(csv.columns[:6]) == ["run_id", "point", "rules.checkpoint_blockade.stop_probability",
                                     "forces[7].strength", "replicate", "seed"], "tidy leading columns"
    assert len(csv) == 12


@pytest.mark.slow  # two sweeps of 120 runs and a kill: `make verify`
@pytest.mark.xdist_group("sweeps")
def test_sigkill_half_way_then_resume_gives_the_uninterrupted_table(tmp_path):
    """Kill the CLI sweep (and its pool workers) with SIGKILL when about half the run files exist;
    --resume must finish it with exactly the table an uninterrupted sweep gives."""
    path = sweep_file(tmp_path, stop=(0.0, 0.5, 1.0), strength=(40, 80, 160, 320), replicates=10,
                      tiny="{time.duration_days: 2, map.cell_km: 5, time.step_hours: 6}")
    out = tmp_path / "killed"
    total = 120
    cmd = [sys.executable, str(ROOT / "run.py"), "sweep", str(path), "--out", str(out), "--workers", "2",
           "--quiet", "--no-charts"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        runs_dir = out / "runs"
        done = len(list(runs_dir.glob("p*.json"))) if runs_dir.exists() else 0
        if done >= total // 2:
            break
        time.sleep(0.005)
    assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.communicate()}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    left = len(list((out / "runs").glob("p*.json")))
    assert 0 < left < total, f"expected a half-finished sweep after the kill, found {left} of {total} run files"
    assert not (out / "runs.parquet").exists(), "no table should exist before the sweep finished"

    refused = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 2 and "--resume" in refused.stderr and "Traceback" not in refused.stderr

    resumed = subprocess.run(cmd + ["--resume"], cwd=ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    found = re.search(r"(\d+) were already done", resumed.stdout)
    skipped = int(found[1]) if found else 0
    assert skipped >= left, f"resume should keep the {left} finished runs, it reported {skipped} done"

    reference = run_sweep(path, out=tmp_path / "whole", workers=1, progress=False, charts=False)
    assert reference.session.ran == total
    got, want = tables(out), tables(tmp_path / "whole")
    assert got[0]["run_id"].is_unique and len(got[0]) == total, "expected exactly one row per run"
    pd.testing.assert_frame_equal(got[0], want[0], check_exact=True, obj="runs table after resume")
    pd.testing.assert_frame_equal(got[1], want[1], check_exact=True, obj="series table after resume")


def test_common_random_numbers_and_a_run_depends_only_on_scenario_and_seed(tmp_path):
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=4)
    result = run_sweep(path, out=tmp_path / "out", workers=1, progress=False, charts=False)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    seeds = replicate_seeds(5, 4)
    assert seeds[:2] == replicate_seeds(5, 2), "replicate r's seed must not depend on the number of replicates"
    expected = [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in np.random.SeedSequence(5).spawn(4)]
    assert seeds == expected
    for point, rows in runs.groupby("point"):
        assert rows.sort_values("replicate")["seed"].tolist() == seeds, f"point {point}: not the common seeds"
    # any row can be reproduced from its scenario, overrides and seed alone
    row = runs[(runs["point"] == 1) & (runs["replicate"] == 2)].iloc[0]
    overrides = {**result.plan.sets, "rules.checkpoint_blockade.stop_probability": 1.0, "forces[7].strength": 60}
    summary = CorridorModel(load_scenario(BLOCKADE, overrides), int(row["seed"])).run().summary
    for key in ("convoys_arrived", "share_iran_militia", "strength_russia", "contested_share", "convoy_R1"):
        assert summary[key] == row[key], f"{key}: the sweep row differs from a direct run with the same seed"


def test_refuses_to_overwrite_and_resumes_only_the_same_sweep(tmp_path):
    path = sweep_file(tmp_path, stop=(0.0, 1.0), strength=(60,), replicates=2)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="already exists"):
        run_sweep(path, out=out, workers=1, progress=False, charts=False)
    with pytest.raises(UserError, match="is not a sweep folder.*will not replace it"):
        run_sweep(path, out=out, workers=1, progress=False, charts=False, force=True)
    assert (out / "notes.txt").read_text() == "mine", "a folder that is not a sweep's must be left alone"

    out = tmp_path / "sweep"
    first = run_sweep(path, out=out, workers=1, progress=False, charts=False)
    with pytest.raises(UserError) as refused:  # complete: resuming would do nothing; more replicates would
        run_sweep(path, out=out, workers=1, progress=False, charts=False)
    assert "already exists (complete); pass --add-replicates N to extend it" in str(refused.value), refused.value
    assert "--resume" not in str(refused.value), "a complete folder has nothing to resume"
    again = run_sweep(path, out=out, workers=1, progress=False, charts=False, resume=True)
    assert (again.session.ran, again.session.skipped) == (0, first.plan.n_runs), "nothing left to run"
    changed = sweep_file(tmp_path, stop=(0.0, 0.5), strength=(60,), replicates=2)
    with pytest.raises(UserError, match="was started with different runs"):
        run_sweep(changed, out=out, workers=1, progress=False, charts=False, resume=True)
    replaced = run_sweep(changed, out=out, workers=1, progress=False, charts=False, force=True)
    assert replaced.session.ran == replaced.plan.n_runs == 4
    with pytest.raises(UserError, match="--resume needs --out"):
        run_sweep(changed, workers=1, progress=False, charts=False, resume=True)


def test_stale_temporary_files_from_a_kill_are_ignored(tmp_path):
    path = sweep_file(tmp_path, stop=(0.0,), strength=(60,), replicates=2)
    out = tmp_path / "out"
    run_sweep(path, out=out, workers=1, progress=False, charts=False)
    (out / "runs" / "p000-r001.json").unlink()
    (out / "runs" / ".p000-r001.json.abc123_x.json").write_text('{"half": ')  # what a kill mid-write leaves
    again = run_sweep(path, out=out, workers=1, progress=False, charts=False, resume=True)
    assert (again.session.ran, again.session.skipped) == (1, 1)
    assert not list((out / "runs").glob(".*")), "temporary files should be cleared"
    assert len(pd.read_parquet(out / "runs.parquet")) == 2


def png_is_nontrivial(path: Path) -> None:
    from matplotlib.image import imread

    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name}: not a PNG"
    assert path.stat().st_size > 15_000, f"{path.name}: suspiciously small ({path.stat().st_size} bytes)"
    image = imread(path)
    assert image.shape[0] > 300 and image.shape[1] > 600, f"{path.name}: tiny image {image.shape}"
    rgb = image[..., :3]
    assert rgb.std() > 0.05, f"{path.name}: nearly blank image"
    assert (rgb < 0.5).mean() > 0.005, f"{path.name}: no dark ink (text, lines) drawn"


@pytest.mark.xdist_group("sweeps")
def test_sweep_charts_and_report(tmp_path):
    path = sweep_file(tmp_path, stop=(0.0, 0.5, 1.0), strength=(40, 320), replicates=3,
                      final="[convoys_*, share_iran_militia, strength_russia, land_bridge_*_open_at_end]")
    out = tmp_path / "out"
    result = run_sweep(path, out=out, workers=1, progress=False, charts=True)
    names = [n for n, _ in result.charts]
    expected = {"series_share.png", "final_vs_rules_checkpoint_blockade_stop_probability.png",
                "final_vs_forces_7_strength.png",
                "heatmap_rules_checkpoint_blockade_stop_probability_by_forces_7_strength.png",
                "land_bridge_open.png", "convoy_outcomes.png"}
    assert expected <= set(names), f"missing charts: {expected - set(names)}"
    for name in names:
        png_is_nontrivial(out / name)
    report = (out / "report.md").read_text()
    assert "not a forecast" in report and all(f"({n})" in report for n in names), "report must list every chart"
    from sim.program.written import foreign_file

    assert foreign_file(out, "sweep") is None, foreign_file(out, "sweep")  # every file it wrote is in its kind's list (sim.program.written): --force may replace it
    manifest = (out / "manifest.json").read_text()
    for key in ('"sweep_sha256"', '"code_version"', '"packages"', '"status": "complete"', '"root_seed": 5'):
        assert key in manifest, f"manifest.json lacks {key}"
    from sim.program.oserrors import kept_note

    assert kept_note() == "nothing was left half-written", \
        f"a finished sweep still names its folder in a later failure's message: {kept_note()}"
