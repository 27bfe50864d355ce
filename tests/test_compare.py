"""What-if comparisons: paired differences with common random numbers and bootstrap intervals.

Known answers come from the checkpoint's stop draw: a convoy meeting the checkpoint is stopped
when a uniform draw u falls below the stop probability. With common random numbers each
replicate draws the same u in every arm, so against a checkpoint that stops nobody, a
checkpoint with stop probability p turns back exactly the replicates with u < p: the paired
difference in convoys arrived is -1 there and 0 elsewhere, and its true mean is -p.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiments.compare import run_compare
from sim.experiments.stats import excludes_zero, paired_bootstrap

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
TINY = {"time.duration_days": 2, "map.cell_km": 10, "time.step_hours": 12}


def blockade(folder: Path, name: str, p: float, key: str = "checkpoint_blockade") -> Path:
    """The open road plus a checkpoint at Albu Kamal with stop probability p, under rule key `key`."""
    path = folder / f"{name}.yaml"
    path.write_text(f"name: {name}\ndescription: checkpoint with stop probability {p}\n"
                    f"extends: {SCENARIOS / 'open_road.yaml'}\nrules:\n  {key}:\n"
                    f"    {{by: iran_militia, against: [russia], at: [Albu Kamal], stop_probability: {p}}}\n")
    return path


def row(table: pd.DataFrame, outcome: str, arm: str) -> pd.Series:
    return table[(table["outcome"] == outcome) & (table["arm"] == arm)].iloc[0]


@pytest.mark.xdist_group("sweeps")
def test_known_difference_is_found_and_covered(tmp_path):
    never, half, always = (blockade(tmp_path, n, p) for n, p in (("never", 0.0), ("half", 0.5), ("always", 1.0)))
    result = run_compare([never, half, always], replicates=60, seed=1, workers=2, out=tmp_path / "out",
                         sets=TINY, progress=False, charts=False)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    reference = runs[runs["arm"] == "never"]
    assert (reference["convoys_arrived"] == 1).all(), "premise: with no stops every convoy arrives in 2 days"

    always_row = row(result.table, "convoys_arrived", "always")
    assert (always_row["diff_vs_first"], always_row["ci_low"], always_row["ci_high"]) == (-1.0, -1.0, -1.0), \
        "stopping every convoy: every paired difference is -1, so the interval is exactly [-1, -1]"
    assert always_row["excludes_zero"]

    half_row = row(result.table, "convoys_arrived", "half")
    paired = (runs[runs["arm"] == "half"].set_index("replicate")["convoys_arrived"]
              - reference.set_index("replicate")["convoys_arrived"])
    assert set(paired.unique()) == {-1, 0}, "with p = 0.5 some replicates are stopped and some are not"
    assert half_row["diff_vs_first"] == pytest.approx(paired.mean())
    assert half_row["ci_low"] < -0.5 < half_row["ci_high"], \
        f"the 95 % interval [{half_row['ci_low']:.3f}, {half_row['ci_high']:.3f}] should contain the true -0.5"
    assert half_row["excludes_zero"], "a difference of -0.5 over 60 pairs should exclude zero"
    width = half_row["ci_high"] - half_row["ci_low"]
    se = paired.std(ddof=1) / np.sqrt(len(paired))
    assert 2 * 1.96 * se * 0.8 < width < 2 * 1.96 * se * 1.25, \
        f"interval width {width:.3f} should be close to the normal-theory 2 × 1.96 × SE = {2 * 1.96 * se:.3f}"


@pytest.mark.xdist_group("sweeps")
def test_identical_arms_give_zero_width_intervals_at_zero(tmp_path):
    copy = tmp_path / "copy.yaml"
    copy.write_text((SCENARIOS / "albu_kamal_blockade.yaml").read_text().replace(
        "extends: baseline.yaml", f"extends: {SCENARIOS / 'baseline.yaml'}"))
    result = run_compare([SCENARIOS / "albu_kamal_blockade.yaml", copy], replicates=8, seed=2, workers=1,
                         out=tmp_path / "out", sets=TINY, progress=False, charts=False)
    other = result.table[result.table["arm"] == "copy"]
    assert len(other) > 20, "expected every headline outcome in the table"
    assert (other["diff_vs_first"] == 0).all() and (other["ci_low"] == 0).all() and (other["ci_high"] == 0).all(), \
        "an identical copy with the same seeds must give paired differences of exactly 0 and intervals [0, 0]"
    assert not other["excludes_zero"].any()


@pytest.mark.slow  # two arms of many replicates: `make verify`
@pytest.mark.xdist_group("sweeps")
def test_noise_only_difference_is_not_called_a_difference(tmp_path):
    """Renaming the checkpoint rule renames its random stream: the same rule with different
    draws. Replicates then differ, but the expected difference is zero, and the interval
    should say so."""
    a = blockade(tmp_path, "plain", 0.5)
    b = blockade(tmp_path, "renamed", 0.5, key="checkpoint_blockade/renamed")
    result = run_compare([a, b], replicates=60, seed=3, workers=2, out=tmp_path / "out", sets=TINY,
                         progress=False, charts=False)
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    wide = runs.pivot(index="replicate", columns="arm", values="convoys_arrived")
    assert (wide["plain"] != wide["renamed"]).sum() >= 10, "premise: the renamed stream draws differently"
    r = row(result.table, "convoys_arrived", "renamed")
    assert r["ci_low"] < 0 < r["ci_high"] and not r["excludes_zero"], \
        f"no true difference, yet the interval [{r['ci_low']:.3f}, {r['ci_high']:.3f}] excludes zero"


def test_paired_bootstrap_coverage_and_edge_cases():
    rng = np.random.default_rng(7)
    hits = 0
    trials = 300
    for _ in range(trials):
        d = rng.normal(0.3, 1.0, size=40)
        _, low, high = paired_bootstrap(d, np.random.default_rng(rng.integers(2**32)), resamples=2000)
        hits += low <= 0.3 <= high
    coverage = hits / trials
    # 95 % nominal; the percentile bootstrap runs a little narrow at n = 40; binomial sd ≈ 0.013
    assert 0.90 <= coverage <= 0.985, f"coverage {coverage:.3f} of the true mean, expected about 0.95"
    assert paired_bootstrap(np.zeros(10), np.random.default_rng(0)) == (0.0, 0.0, 0.0)
    assert paired_bootstrap(np.full(5, 2.0), np.random.default_rng(0)) == (2.0, 2.0, 2.0)
    assert excludes_zero(0.1, 0.2) and excludes_zero(-0.2, -0.1)
    assert not excludes_zero(-0.1, 0.2) and not excludes_zero(0.0, 0.0)
    same = [paired_bootstrap(np.arange(10.0), np.random.default_rng(1)) for _ in range(2)]
    assert same[0] == same[1], "the bootstrap must be reproducible from its seed"


@pytest.mark.xdist_group("sweeps")
def test_compare_cli_prints_the_table_and_writes_files_and_charts(tmp_path):
    from test_sweep import png_is_nontrivial

    out = tmp_path / "out"
    sets = [f"--set={k}={v}" for k, v in TINY.items()]
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "compare", str(SCENARIOS / "open_road.yaml"),
                           str(SCENARIOS / "albu_kamal_blockade.yaml"), "--replicates", "4", "--seed", "9",
                           "--workers", "1", "--every-hours", "12", "--out", str(out), "--quiet", *sets],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "albu_kamal_blockade − open_road [95 % CI]" in done.stdout
    assert "convoys_arrived" in done.stdout and "not a forecast" in done.stdout
    table = pd.read_csv(out / "compare.csv")
    assert set(table["arm"]) == {"open_road", "albu_kamal_blockade"}
    assert {"mean", "diff_vs_first", "ci_low", "ci_high", "excludes_zero"} <= set(table.columns)
    assert "| outcome |" in (out / "compare.md").read_text()
    charts = sorted(p.name for p in out.glob("*.png"))
    assert "control_difference_albu_kamal_blockade_vs_open_road.png" in charts and "compare_share.png" in charts
    for name in charts:
        png_is_nontrivial(out / name)
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 8 and runs["run_id"].is_unique
    assert (runs.groupby("replicate")["seed"].nunique() == 1).all(), "each replicate's seed is shared by the arms"
