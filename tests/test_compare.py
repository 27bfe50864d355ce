"""What-if comparisons: paired differences with common random numbers and bootstrap intervals.

Known answers come from the checkpoint's stop draw: a convoy meeting the checkpoint is stopped
when a uniform draw u falls below the stop probability. With common random numbers each
replicate draws the same u in every arm, so against a checkpoint that stops nobody, a
checkpoint with stop probability p turns back exactly the replicates with u < p: the paired
difference in convoys arrived is -1 there and 0 elsewhere, and its true mean is -p.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiments.compare import run_compare
from sim.experiments.stats import excludes_zero, paired_bootstrap
from sim.program.cli import main

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
    assert always_row["verdict"] == "the same -1 in every pair" and always_row["excludes_zero"] is None, \
        "a difference with no spread is stated as such, not called significant"

    half_row = row(result.table, "convoys_arrived", "half")
    paired = (runs[runs["arm"] == "half"].set_index("replicate")["convoys_arrived"]
              - reference.set_index("replicate")["convoys_arrived"])
    assert set(paired.unique()) == {-1, 0}, "with p = 0.5 some replicates are stopped and some are not"
    assert half_row["diff_vs_first"] == pytest.approx(paired.mean())
    assert half_row["ci_low"] < -0.5 < half_row["ci_high"], \
        f"the 95 % interval [{half_row['ci_low']:.3f}, {half_row['ci_high']:.3f}] should contain the true -0.5"
    assert half_row["excludes_zero"] and half_row["verdict"] == "differs", \
        "a difference of -0.5 over 60 pairs should exclude zero"
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
    assert other["excludes_zero"].isna().all() and (other["verdict"] == "identical in every pair").all(), \
        "identical arms: every outcome 'identical in every pair', no significance claimed"


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
def test_compare_cli_prints_the_table_and_writes_files_and_charts(tmp_path, capsys):
    from test_sweep import png_is_nontrivial

    out = tmp_path / "out"
    sets = [f"--set={k}={v}" for k, v in TINY.items()]
    code = main(["compare", str(SCENARIOS / "open_road.yaml"), str(SCENARIOS / "albu_kamal_blockade.yaml"),
                 "--replicates", "4", "--seed", "9", "--workers", "1", "--every-hours", "12", "--out", str(out),
                 "--quiet", *sets])  # in-process: the command's output, not its process, is tested
    done = capsys.readouterr()
    assert code == 0, done.err
    assert "albu_kamal_blockade − open_road [95 % CI]" in done.out
    assert "convoys_arrived" in done.out and "not a forecast" in done.out
    table = pd.read_csv(out / "compare.csv")
    assert set(table["arm"]) == {"open_road", "albu_kamal_blockade"}
    assert {"mean", "diff_vs_first", "ci_low", "ci_high", "excludes_zero", "verdict"} <= set(table.columns)
    assert "| outcome |" in (out / "compare.md").read_text()
    from sim.program.written import foreign_file

    assert foreign_file(out, "compare") is None, foreign_file(out, "compare")  # every file it wrote is in its kind's list (sim.program.written): --force may replace it
    charts = sorted(p.name for p in out.glob("*.png"))
    assert "control_difference_albu_kamal_blockade_vs_open_road.png" in charts and "compare_share.png" in charts
    for name in charts:
        png_is_nontrivial(out / name)
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 8 and runs["run_id"].is_unique
    assert (runs.groupby("replicate")["seed"].nunique() == 1).all(), "each replicate's seed is shared by the arms"


def valley_arm(folder: Path, name: str, closed: bool) -> Path:
    """The two-town valley with one weak militia unit near each town (neither reaches the
    bridge), its Old Bridge closed or open: the arms differ in that bridge only."""
    layers = ROOT / "tests" / "fixtures" / "two_town_valley" / "layers"
    path = folder / f"{name}.yaml"
    forces = "".join(f"  - {{kind: militia, faction: {f}, units: 2, strength: 10, deploy: {{near: {town}, radius_km: 1}}}}\n"
                     for f, town in (("valley_guard", "Amberton"), ("hill_clans", "Birchford")))
    path.write_text(f"name: {name}\ndescription: one bridge\n"
                    f"map: {{file: {layers}, cell_km: 0.5{', closed_crossings: [Old Bridge]' if closed else ''}}}\n"
                    "time: {step_hours: 1, duration_days: 2}\nseed: 7\n"
                    "factions: {valley_guard: {label: Guard, color: '#1565c0'}, hill_clans: {label: Clans, color: '#e69f00'}}\n"
                    "relations: {valley_guard/hill_clans: rival}\nforces:\n" + forces)
    return path


@pytest.mark.xdist_group("sweeps")
def test_reopening_one_bridge_is_not_called_a_significant_difference(tmp_path):
    import sim
    from sim.experiments.compare_table import compare_table
    from sim.program.errors import UserError

    closed, reopened = valley_arm(tmp_path, "closed", True), valley_arm(tmp_path, "reopened", False)
    cmp = sim.compare([closed, reopened], replicates=6, seed=4, workers=1, progress=False)
    runs, table = cmp.runs, cmp.table.set_index(["outcome", "arm"])
    for f in ("valley_guard", "hill_clans"):
        area = runs.pivot(index="replicate", columns="arm", values=f"area_km2_{f}")
        assert area["closed"].std() > 0, "premise: the area held varies between replicates"
        assert (area["closed"] == area["reopened"]).all(), "premise: the bridge changes no area held"
        assert table.loc[(f"area_km2_{f}", "reopened"), "verdict"] == "identical in every pair"
        assert table.loc[(f"share_{f}", "reopened"), "verdict"] == "same area in every pair (land differs)", \
            "a share that moves only because the land grew must say so"
    outcomes = list(dict.fromkeys(cmp.table["outcome"]))
    assert outcomes.index("area_km2_valley_guard") == outcomes.index("share_valley_guard") + 1, \
        "each faction's area sits beside its share"
    significant = cmp.table[cmp.table["excludes_zero"].fillna(False).astype(bool)]
    assert significant.empty, f"nothing differs but the land, yet significant: {list(significant['outcome'])}"
    # the reopened bridge is one 0.5 km cell that nobody governs: +0.25 km² ungoverned in every pair
    assert table.loc[("ungoverned_share", "reopened"), "verdict"] == "area +0.25 km² in every pair (land differs)"
    assert len(cmp.notes) == 1 and "differ in land" in cmp.notes[0] and "area_km2_*" in cmp.notes[0]

    chosen = compare_table(runs, ["closed", "reopened"], 4, outcomes=["area_km2_*", "convoys_arrived"])
    assert list(dict.fromkeys(chosen["outcome"])) == ["area_km2_valley_guard", "area_km2_hill_clans",
                                                      "convoys_arrived"], "outcomes= chooses the outcomes"
    with pytest.raises(UserError, match="--outcomes 'aera_km2_\\*' matches no outcome; outcomes are: "):
        compare_table(runs, ["closed", "reopened"], 4, outcomes=["aera_km2_*"])


def test_verdicts_of_paired_differences_computed_by_hand():
    from sim.experiments.verdict import area_verdict, verdict

    assert verdict(np.zeros(5), 0.0, 0.0) == ("identical in every pair", None)
    assert verdict(np.full(4, 2.0), 2.0, 2.0) == ("the same 2 in every pair", None)
    assert verdict(np.array([1.0, 2.0, 3.0]), 1.0, 3.0) == ("differs", True)
    assert verdict(np.array([-1.0, 2.0, 3.0]), -1.0, 3.0) == ("no clear difference", False)
    # land 100 → 101 km²; 10 km² held in every pair: shares 0.1 and 10/101
    ref, other = np.array([0.1, 0.2]), np.round(np.array([10.0, 20.0]) / 101, 6)
    assert area_verdict("share_x", ref, other, 100.0, 101.0) == "same area in every pair (land differs)"
    assert area_verdict("share_x", ref, other, 100.0, 100.0) is None, "equal land: the share is the area"
    assert area_verdict("share_x", ref, np.array([0.1, 0.25]), 100.0, 101.0) is None, "areas that differ vary"
    assert area_verdict("strength_x", ref, other, 100.0, 101.0) is None, "only shares of land"


def test_an_outcome_pattern_that_matches_nothing_is_refused_before_any_run(tmp_path, capsys):
    """`compare --outcomes 'aera_*'` is one line and exit 2 before the first run: no folder, no
    manifest, no runs/ (the outcome names come from a build of each arm that runs no step)."""
    arms = [str(valley_arm(tmp_path, "closed", True)), str(valley_arm(tmp_path, "reopened", False))]
    out = tmp_path / "out"
    code = main(["compare", *arms, "--replicates", "2", "--workers", "1", "--out", str(out), "--quiet",
                 "--outcomes", "area_km2_*", "aera_*"])
    err = capsys.readouterr().err
    assert code == 2, f"expected exit 2, got {code}: {err}"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, f"expected one line, got {err}"
    assert "--outcomes 'aera_*' matches no outcome; outcomes are: " in lines[0], lines[0]
    assert "area_km2_valley_guard" in lines[0] and "share_hill_clans" in lines[0], "the outcomes are listed"
    assert not out.exists(), "nothing is written before the check"
