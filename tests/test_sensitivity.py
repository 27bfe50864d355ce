"""Sensitivity analysis: a tiny Morris design and a tiny Sobol design on the airstrike campaign
with its airstrike rule switched off, so that the airstrikes' loss fraction cannot matter.

With common random numbers, runs that differ only in a parameter nothing reads are identical,
so that parameter's elementary effects, mu*, sigma, S1 and ST are exactly zero. The convoy's
strength is part of Russian strength, so it must matter to that outcome; Iranian
reinforcements add militia fighters, so they must matter to militia strength.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_sweep import png_is_nontrivial

from sim.experiments.sensitivity import elementary_effects, point_means, run_sensitivity

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "airstrike_campaign.yaml"
DISABLED = "rules.airstrikes.loss_fraction"


def sensitivity_file(folder: Path, design: str) -> Path:
    path = folder / "screen.yaml"
    path.write_text(
        f"name: tiny screening\ndescription: test\nscenario: {SCENARIO}\n"
        "set: {time.duration_days: 2, map.cell_km: 10, time.step_hours: 12, rules.airstrikes.enabled: false}\n"
        "parameters:\n"
        f"  {DISABLED}: {{bounds: [0.1, 0.9], label: loss fraction (rule off)}}\n"
        "  forces[7].strength: {bounds: [30, 90], label: convoy strength}\n"
        "  factions.iran_militia.funding_usd_per_day: {bounds: [0, 12000], label: Iranian funding}\n"
        f"design: {design}\nreplicates: 2\nseed: 11\n"
        "outcomes:\n  final: [strength_russia, strength_iran_militia, share_iran_militia]\n  series: null\n")
    return path


def indices(table: pd.DataFrame, outcome: str) -> pd.DataFrame:
    return table[table["outcome"] == outcome].set_index("parameter")


@pytest.mark.xdist_group("sweeps")
def test_morris_screening_separates_a_parameter_that_cannot_matter(tmp_path):
    out = tmp_path / "out"
    result = run_sensitivity(sensitivity_file(tmp_path, "{kind: morris, trajectories: 4, levels: 4}"), out=out,
                             workers=1, progress=False, charts=True)
    from sim.program.written import foreign_file

    assert foreign_file(out, "sweep") is None, foreign_file(out, "sweep")  # every file it wrote is in its kind's list (sim.program.written): --force may replace it
    table = result.table
    for outcome in ("strength_russia", "strength_iran_militia", "share_iran_militia"):
        off = indices(table, outcome).loc[DISABLED]
        assert off["mu_star"] == 0 and off["sigma"] == 0, \
            f"{outcome}: a parameter of a switched-off rule must have mu* = sigma = 0, found {off['mu_star']}"
    russia = indices(table, "strength_russia").loc["forces[7].strength"]
    assert russia["mu_star_low"] > 0, f"convoy strength must matter to Russian strength (mu* {russia['mu_star']})"
    assert russia["mu_star"] == pytest.approx(60, rel=0.05), \
        "the convoy's 30–90 fighters are part of Russian strength: about 60 per full range"
    militia = indices(table, "strength_iran_militia").loc["factions.iran_militia.funding_usd_per_day"]
    assert militia["mu_star_low"] > 0, "funding must matter to militia strength (unpaid fighters desert)"

    # our elementary effects (used for sigma's interval) are SALib's
    runs = pd.read_parquet(out / "runs.parquet")
    plan = result.sweep.plan
    y = point_means(runs, "strength_iran_militia", len(plan.points))
    effects = elementary_effects(plan.raw, y, np.array([p.sa_bounds() for p in plan.parameters]))
    mine = np.abs(effects).mean(axis=1)
    theirs = indices(table, "strength_iran_militia").loc[[p.key for p in plan.parameters], "mu_star"].to_numpy()
    np.testing.assert_allclose(mine, theirs, rtol=1e-9, err_msg="elementary effects differ from SALib's")

    written = pd.read_csv(out / "sensitivity.csv")
    assert {"mu_star", "mu_star_low", "mu_star_high", "sigma", "sigma_low", "sigma_high"} <= set(written.columns)
    assert len(written) == 9, "one row per outcome × parameter"
    charts = [name for name, _ in result.charts]
    assert charts == ["sensitivity_strength_russia.png", "sensitivity_strength_iran_militia.png",
                      "sensitivity_share_iran_militia.png"]
    for name in charts:
        png_is_nontrivial(out / name)
    report = (out / "report.md").read_text()
    assert "## Sensitivity" in report and "mu*" in report


@pytest.mark.xdist_group("sweeps")
def test_sobol_indices_of_a_parameter_that_cannot_matter_are_zero(tmp_path):
    result = run_sensitivity(sensitivity_file(tmp_path, "{kind: sobol, samples: 8}"), out=tmp_path / "out",
                             workers=1, progress=False, charts=False)
    assert result.sweep.plan.n_runs == 8 * (3 + 2) * 2
    russia = indices(result.table, "strength_russia")
    assert russia.loc[DISABLED, "S1"] == 0 and russia.loc[DISABLED, "ST"] == 0
    assert russia.loc["forces[7].strength", "ST"] > 0.5, "convoy strength drives Russian strength"
    for column in ("S1_low", "S1_high", "ST_low", "ST_high"):
        assert np.isfinite(russia[column]).all(), f"{column}: expected finite intervals"


@pytest.mark.xdist_group("sweeps")
def test_the_indices_are_written_while_the_folder_is_locked_and_before_it_is_complete(tmp_path, monkeypatch):
    """The sensitivity files are part of the command's folder: they are written while it still
    holds the folder's lock (another command on it is refused, not let in to replace it half-way)
    and before the manifest says complete. A second open file of the marker tries the lock, as
    another process would."""
    import fcntl
    import json
    import os

    import sim.experiments.sensitivity as sensitivity
    from sim.program.output import MARKER

    out, seen, write = tmp_path / "out", [], sensitivity.write_atomic

    def spy(path, writer, replace=True):
        fd = os.open(out / MARKER, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            locked = False
        except BlockingIOError:
            locked = True
        finally:
            os.close(fd)  # the only descriptor of this open file: closing it lets go of a lock it took
        seen.append((path.name, locked, json.loads((out / "manifest.json").read_text())["status"]))
        return write(path, writer, replace)

    monkeypatch.setattr(sensitivity, "write_atomic", spy)
    run_sensitivity(sensitivity_file(tmp_path, "{kind: morris, trajectories: 2, levels: 4}"), out=out,
                    workers=1, progress=False, charts=False)
    assert seen == [("sensitivity.csv", True, "running")], \
        f"(file, locked, manifest status) when the sensitivity table was written: {seen}"
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"


@pytest.mark.xdist_group("sweeps")
def test_a_sensitivity_folder_is_resumed_and_extended_by_sensitivity_not_by_a_plain_sweep(tmp_path, capsys):
    """`sweep --resume` or `--add-replicates` on a sensitivity folder would drop the analysis from
    the report or leave sensitivity.csv computed from fewer runs than runs.csv: refused in one
    line naming the sensitivity command, also for a folder whose manifest does not name its
    analysis (written before it did); `sensitivity --add-replicates` extends it and redoes the
    indices."""
    import json

    from sim.program.cli import main

    path, out = sensitivity_file(tmp_path, "{kind: morris, trajectories: 2, levels: 4}"), tmp_path / "out"
    common = [str(path), "--out", str(out), "--workers", "1", "--quiet", "--no-charts"]
    assert main(["sensitivity", *common]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["analysis"] == "sensitivity"
    indices_before = (out / "sensitivity.csv").read_text()
    capsys.readouterr()
    for flags in (["--resume"], ["--add-replicates", "1"]):
        assert main(["sweep", *common, *flags]) == 2
        err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert len(err) == 1 and "holds a sensitivity analysis (sensitivity.csv)" in err[0], err
        # the command to paste: the folder's own sweep file and the flag with its N
        assert f"use `sensitivity {path.resolve()} {' '.join(flags)} --out {out}`" in err[0], err
    del manifest["analysis"]  # a folder from before manifests named their analysis
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert main(["sweep", *common, "--resume"]) == 2
    assert "## Sensitivity" in (out / "report.md").read_text() and len(pd.read_csv(out / "runs.csv")) == 16
    assert main(["sensitivity", *common, "--add-replicates", "1"]) == 0
    assert len(pd.read_csv(out / "runs.csv")) == 24 and "## Sensitivity" in (out / "report.md").read_text()
    assert (out / "sensitivity.csv").read_text() != indices_before, "the indices were not redone with 3 replicates"
