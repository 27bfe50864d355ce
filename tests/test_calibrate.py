"""Calibration (sim.hindcast): the calibration file's checks, the distance, the seeded sampler
(one posterior whatever the workers, and after a resume), posterior draws for what-ifs, and
parameter recovery on runs the model itself produced."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiments.engine import SerialExecutor, open_executor
from sim.hindcast.calibfile import read_calibration
from sim.hindcast.calibrate import Distance, posterior_table, run_abc, weighted_quantiles
from sim.hindcast.posterior import Posterior, posterior_overrides, read_posterior
from sim.program.cli import main
from sim.program.errors import InputErrors, UserError

ROOT = Path(__file__).resolve().parents[1]
RECOVERY = ROOT / "tests" / "data" / "calibration" / "airstrike_recovery.yaml"
HINDCAST_RECOVERY = ROOT / "tests" / "data" / "calibration" / "hindcast_recovery.yaml"
HINDCAST_NO_TEMPO_RECOVERY = ROOT / "tests" / "data" / "calibration" / "hindcast_recovery_no_tempo.yaml"
AMBUSH = "insurgents.ambush_rate_per_day"  # its recovery's width is a published failure (docs/verification.md)


def write(tmp: Path, text: str, name: str = "calib.yaml") -> Path:
    path = tmp / name
    path.write_text(text.replace("SCENARIO", str(ROOT / "scenarios" / "airstrike_campaign.yaml")), encoding="utf-8")
    return path


GOOD = """name: t
scenario: SCENARIO
window: {start: 2017-11-19, end: 2017-11-22}
parameters:
  rules.airstrikes.rate_per_day: {uniform: [0.1, 3.0], source: test}
statistics: outcomes
use: [incidents_airstrike]
target: {parameters: {rules.airstrikes.rate_per_day: 1.0}, seed: 3}
population: 6
generations: 2
seed: 4
"""


# ---------------------------------------------------------------------------- the file


def test_a_good_file_gives_a_plan_whose_runs_end_on_the_window_s_last_day(tmp_path):
    plan = read_calibration(write(tmp_path, GOOD))
    assert plan.sets["time.duration_days"] == 4, "19–22 Nov is 4 days counted from the start date 19 Nov"
    assert [p.key for p in plan.priors] == ["rules.airstrikes.rate_per_day"]
    later = read_calibration(write(tmp_path, GOOD.replace("end: 2017-11-22}", "end: 2017-11-22}\nrun_until: 2017-11-25")))
    assert later.sets["time.duration_days"] == 7, "run_until 25 Nov: the runs go on to 25 Nov, 7 days from 19 Nov"


@pytest.mark.parametrize("old, new, where, says", [
    ("rules.airstrikes.rate_per_day: {uniform", "rules.airstrikes.rate_per_dya: {uniform", ":5:",
     "rate_per_dya"),
    ("{uniform: [0.1, 3.0], source: test}", "{uniform: [3.0, 0.1], source: test}", ":5:", "low < high"),
    ("{uniform: [0.1, 3.0], source: test}", "{uniform: [0.1, 3.0]}", ":5:", "source"),
    ("start: 2017-11-19", "start: 2017-11-01", ":3:", "start_date"),
    ("population: 6", "population: 2", ":9:", "population"),
    ("end: 2017-11-22}", "end: 2017-11-22}\nrun_until: 2017-11-20", ":4:", "on or after the window's end"),
    ("target: {parameters: {rules.airstrikes.rate_per_day: 1.0}, seed: 3}", "target: record", ":8:",
     "synthetic target"),
    ("{rules.airstrikes.rate_per_day: 1.0}, seed: 3}", "{rules.airstrikes.loss_fraction: 0.3}, seed: 3}", ":8:",
     "missing rules.airstrikes.rate_per_day"),
])
def test_a_bad_file_is_refused_at_its_line(tmp_path, old, new, where, says):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(InputErrors) as err:
        read_calibration(path)
    text = str(err.value)
    assert where in text and says in text, f"expected a problem at line {where} mentioning {says!r}, got: {text}"


def test_the_command_refuses_a_bad_file_in_one_line_with_status_2_and_writes_nothing(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace("population: 6", "population: many"))
    out = tmp_path / "out"
    code = main(["calibrate", str(path), "--out", str(out)])  # in-process: the refusal, not the process, is tested
    err = capsys.readouterr().err
    assert code == 2, f"expected exit status 2, got {code}: {err}"
    assert "Traceback" not in err and "calib.yaml:9: population:" in err, err
    assert not out.exists(), "nothing may be written for a bad file"


def test_a_use_that_matches_no_statistic_is_refused_before_the_folder_exists(tmp_path, capsys):
    """`use` is checked against the statistics themselves, so after the file is read: it was checked
    after the output folder had been created, which a refused calibration left half-written."""
    path = write(tmp_path, GOOD.replace("use: [incidents_airstrike]", "use: [no_such_outcome]"))
    out = tmp_path / "out"
    code = main(["calibrate", str(path), "--out", str(out), "--workers", "1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1].endswith("calib.yaml: use: no statistic matches no_such_outcome"), err
    assert not out.exists(), "a refused calibration leaves no folder behind"


def test_an_interrupted_calibration_says_how_to_resume(tmp_path, capsys, monkeypatch):
    """Ctrl-C or SIGTERM during the ABC-SMC: the one line `interrupted`, after a line naming the saved
    generations and --resume (it said only "interrupted"; a sweep says how to finish)."""
    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.hindcast.calibrate.run_abc", stop)
    out = tmp_path / "out"
    code = main(["calibrate", str(write(tmp_path, GOOD)), "--out", str(out), "--workers", "1", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 130 and err[-1] == "interrupted", err
    assert f"--resume --out {out} continues" in err[-2], err
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["status"] == "interrupted"


# ---------------------------------------------------------------------------- distance and quantiles


def test_the_poisson_distance_compares_square_roots_with_weights_by_pattern():
    d = Distance("poisson", (("b*", 4.0),))
    # a: 2·√4 − 2·√1 = 2; b: 2·√0 − 2·√1 = −2, weight 4; c missing in the run counts as 0: 2·√0 − 2·√9 = −6
    expected = math.sqrt(2 ** 2 + 4 * 2 ** 2 + 6 ** 2)
    assert d({"a": 4.0, "b": 0.0}, {"a": 1.0, "b": 1.0, "c": 9.0}) == pytest.approx(expected)
    assert Distance("euclidean")({"a": 4.0}, {"a": 1.0}) == pytest.approx(3.0), "raw difference 4 − 1"
    nan = float("nan")
    assert Distance("poisson")({"a": 4.0, "b": nan}, {"a": 1.0, "b": 1.0, "c": nan}) == pytest.approx(2.0), \
        "terms where either side is NaN (the source does not speak) are left out: only a's 2·√4 − 2·√1 = 2 counts"


def test_weighted_quantiles_invert_the_step_cdf():
    x, w = np.array([3.0, 1.0, 2.0]), np.array([0.5, 0.25, 0.25])  # sorted: 1 (.25), 2 (.50), 3 (1.0)
    assert weighted_quantiles(x, w, [0.05, 0.25, 0.5, 0.6, 0.95]) == [1.0, 1.0, 2.0, 3.0, 3.0]


# ---------------------------------------------------------------------------- the sampler


CALLS = {"left": None}  # calls a Toy may still make in this process before it is "killed" (None: no limit)


class Toy:
    """A picklable stand-in model: a normal draw around the parameter (numpy's global generator,
    as the model's seed draw is); raises KeyboardInterrupt once CALLS["left"] runs out."""

    def __call__(self, parameters) -> dict:
        if CALLS["left"] is not None:
            CALLS["left"] -= 1
            if CALLS["left"] < 0:
                raise KeyboardInterrupt("killed")
        return {"incidents_airstrike": float(parameters["rules.airstrikes.rate_per_day"] * 10
                                             + np.random.normal(0, 1))}


def toy_posterior(plan, db: Path, executor, slots: int, resume=False) -> pd.DataFrame:
    history = run_abc(plan, Toy(), {"incidents_airstrike": 12.0}, db, executor, slots, resume=resume,
                      progress=False, log=lambda _: None)
    return posterior_table(history, plan.priors)


def test_the_posterior_is_the_same_in_process_or_on_a_pool_in_any_batch_size(tmp_path):
    plan = read_calibration(write(tmp_path, GOOD))
    serial = toy_posterior(plan, tmp_path / "a.db", SerialExecutor(), 1)
    with open_executor(2, None) as (pool, _, _):
        pooled = toy_posterior(plan, tmp_path / "b.db", pool, 5)
    pd.testing.assert_frame_equal(serial, pooled, check_exact=True, obj="posterior (pool, batches of 5)")
    assert serial["rules.airstrikes.rate_per_day"].nunique() > 1, "a posterior of distinct particles"


@pytest.mark.slow  # a local Dask cluster takes a while to start on a shared machine
def test_the_posterior_is_the_same_on_dask(tmp_path):
    plan = read_calibration(write(tmp_path, GOOD))
    serial = toy_posterior(plan, tmp_path / "a.db", SerialExecutor(), 1)
    with open_executor(2, "local") as (cluster, _, slots):
        on_dask = toy_posterior(plan, tmp_path / "c.db", cluster, slots)
    pd.testing.assert_frame_equal(serial, on_dask, check_exact=True, obj="posterior (Dask, batches of 2)")


def test_a_resumed_calibration_ends_where_an_uninterrupted_one_does(tmp_path):
    plan = read_calibration(write(tmp_path, GOOD.replace("generations: 2", "generations: 3")))
    whole = toy_posterior(plan, tmp_path / "whole.db", SerialExecutor(), 1)
    CALLS["left"] = 12  # generation 0 takes 6 runs: killed in generation 1 or 2, after generation 0 is stored
    try:
        with pytest.raises(KeyboardInterrupt):
            toy_posterior(plan, tmp_path / "cut.db", SerialExecutor(), 1)
    finally:
        CALLS["left"] = None
    resumed = toy_posterior(plan, tmp_path / "cut.db", SerialExecutor(), 1, resume=True)
    pd.testing.assert_frame_equal(whole, resumed, check_exact=True)


# ---------------------------------------------------------------------------- posterior draws


def posterior_folder(tmp: Path, rows: list[dict]) -> Path:
    folder = tmp / "posterior"
    folder.mkdir()
    pd.DataFrame(rows).to_csv(folder / "posterior.csv", index=False)
    return folder


def test_draws_follow_the_weights_and_the_seed_alone(tmp_path):
    post = read_posterior(posterior_folder(tmp_path, [
        {"particle": 0, "rules.airstrikes.rate_per_day": 0.5, "weight": 0.2},
        {"particle": 1, "rules.airstrikes.rate_per_day": 2.0, "weight": 0.8}]))
    assert post.draw(17) == post.draw(17), "the same seed draws the same parameters"
    draws = np.array([post.draw(s)["rules.airstrikes.rate_per_day"] for s in range(2000)])
    share = float(np.mean(draws == 2.0))
    sd = math.sqrt(0.8 * 0.2 / 2000)
    assert abs(share - 0.8) < 4 * sd, f"expected the 0.8-weight particle in 80 % ± {4 * sd:.3f} of draws, got {share}"


def test_a_posterior_key_also_fixed_by_set_is_refused(tmp_path):
    post = Posterior(tmp_path, pd.DataFrame({"a.b": [1.0]}), np.array([1.0]), "x")
    assert posterior_overrides(post, {"c": 1}, 3) == {"c": 1, "a.b": 1.0}
    with pytest.raises(UserError, match="also drawn from --posterior"):
        posterior_overrides(post, {"a.b": 2}, 3)
    with pytest.raises(UserError, match="no posterior.csv"):
        read_posterior(tmp_path / "nowhere")


def test_a_comparison_under_a_posterior_gives_replicate_r_one_draw_in_every_arm(tmp_path):
    import sim.api

    folder = posterior_folder(tmp_path, [
        {"particle": 0, "rules.airstrikes.rate_per_day": 0.05, "weight": 0.5},
        {"particle": 1, "rules.airstrikes.rate_per_day": 5.0, "weight": 0.5}])
    other = tmp_path / "intercepted.yaml"
    other.write_text(f"extends: {ROOT / 'scenarios' / 'airstrike_campaign.yaml'}\nname: intercepted\n"
                     "rules: {airstrikes: {intercept_probability: 0.5}}\n", encoding="utf-8")
    cmp = sim.api.compare(["airstrike_campaign", other], replicates=6,
                          overrides={"time.duration_days": 2, "map.cell_km": 4}, workers=1, progress=False,
                          posterior=folder)
    runs = cmp.runs
    key = "rules.airstrikes.rate_per_day"
    post = read_posterior(folder)
    for _, row in runs.iterrows():
        assert row[key] == post.draw(int(row["seed"]))[key], "each run uses the draw of its own seed"
    per_replicate = runs.groupby("replicate")[key].nunique()
    assert (per_replicate == 1).all(), "replicate r must draw the same parameters in every arm"
    assert runs[key].nunique() == 2, "six seeds should draw both particles (probability 1 − 2/64)"


def test_a_comparison_under_a_posterior_names_what_its_arms_do_not_share_with_the_calibration(tmp_path, capsys):
    folder = posterior_folder(tmp_path, [{"particle": 0, "rules.airstrikes.rate_per_day": 0.5, "weight": 1.0}])
    (folder / "manifest.json").write_text(json.dumps({"set": {"map.cell_km": 3}}), encoding="utf-8")
    other = tmp_path / "intercepted.yaml"
    other.write_text(f"extends: {ROOT / 'scenarios' / 'airstrike_campaign.yaml'}\nname: intercepted\n"
                     "rules: {airstrikes: {intercept_probability: 0.5}}\n", encoding="utf-8")
    out = tmp_path / "cmp"
    code = main(["compare", "airstrike_campaign", str(other), "--replicates", "2", "--workers", "1",
                 "--set", "time.duration_days=2", "--set", "map.cell_km=4", "--quiet", "--no-charts",
                 "--posterior", str(folder), "--out", str(out)])
    done = capsys.readouterr()
    assert code == 0, done.err
    notes = [line for line in (done.out + done.err).splitlines() if "not as the posterior was calibrated" in line]
    assert len(notes) == 2 and all(n.endswith("map.cell_km: calibrated 3, here 4") for n in notes), \
        f"each arm at 4 km against a posterior calibrated at 3 km is named: {done.out}"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(map(tuple, manifest["posterior"]["unlike_calibration"].values())) == {("map.cell_km: calibrated 3, here 4",)}


# ---------------------------------------------------------------------------- recovery


def recovery_interval(out: Path) -> tuple[float, float, float]:
    q = pd.read_csv(out / "intervals.csv").iloc[0]
    return q["q05"], q["q95"], q["median"]


def test_calibrating_on_the_model_s_own_run_recovers_the_airstrike_rate(tmp_path):
    """Small and fast: one parameter, 15 days at 4 km and 4 h steps, 12 particles, 3 generations. The true
    rate must lie inside the 90 % posterior interval, and the interval must be less than half
    as wide as the prior's (0.9 × 2.9 = 2.61 for uniform [0.1, 3]): a calibration that learnt
    nothing from the strike count would keep about the prior's width. One target checks the
    machinery quickly; that the intervals are calibrated is the slow coverage tests' question."""
    from sim.hindcast.calibrate import calibrate

    result = calibrate(RECOVERY, out=tmp_path / "out", workers=1, progress=False, charts=False, log=lambda _: None)
    low, high, _ = recovery_interval(result.folder)
    assert low <= 1.2 <= high, f"true rate 1.2 outside the 90 % posterior interval [{low:.3g}, {high:.3g}]"
    assert high - low < 0.5 * 2.61, f"posterior interval [{low:.3g}, {high:.3g}] not half as wide as the prior's 2.61"
    for name in ("posterior.csv", "intervals.csv", "generations.csv", "predictive.csv", "observed.json",
                 "report.md", "manifest.json", "abc.db"):
        assert (result.folder / name).is_file(), f"the calibration folder lacks {name}"
    assert json.loads((result.folder / "manifest.json").read_text())["status"] == "complete"


def test_the_coverage_floor_and_the_targets_are_what_the_check_says():
    """The coverage check's arithmetic (tests/verify_recovery.py). The floor for 20 targets at 90 %:
    P(X = 20..14 | 20, 0.9) = .1216 + .2702 + .2852 + .1901 + .0898 + .0319 + .0089 = .9976 by
    hand, so P(X < 14) = .0024 < 1 % while P(X < 15) = .0024 + .0089 = .0113 is not: floor 14.
    For 10 targets: P(X < 6) = .0016, P(X < 7) = .0128: floor 6."""
    from scipy import stats
    from verify_recovery import binomial_floor, draw_targets, width_ratio

    from sim.hindcast.calibfile import Prior

    assert stats.binom.cdf(13, 20, 0.9) == pytest.approx(0.0024, abs=5e-5), "P(X < 14 | 20, 0.9) by hand"
    assert stats.binom.cdf(14, 20, 0.9) == pytest.approx(0.0113, abs=5e-5), "P(X < 15 | 20, 0.9) by hand"
    assert binomial_floor(20) == 14, "the largest k with P(X < k | 20, 0.9) < 1 % is 14"
    assert binomial_floor(10) == 6, "the largest k with P(X < k | 10, 0.9) < 1 % is 6"
    rate = Prior("a.rate", "uniform", 0.1, 3.0, False, "s")
    ambush = Prior("a.ambush", "loguniform", 0.01, 0.3, False, "s")
    assert width_ratio(rate, 1.0, 1.29) == pytest.approx(0.29 / 2.61), "uniform: width over 0.9 × (3 − 0.1)"
    assert width_ratio(ambush, 0.02, 0.08) == pytest.approx(math.log(4) / (0.9 * math.log(30))), \
        "log-uniform: log width over 0.9 × log(0.3 / 0.01)"
    targets = draw_targets([rate, ambush], 50)
    assert targets[:5] == draw_targets([rate, ambush], 5), "the first k of more targets are the k targets"
    assert all(0.1 <= t.parameters["a.rate"] <= 3.0 and 0.01 <= t.parameters["a.ambush"] <= 0.3 for t in targets)
    assert len({t.seed for t in targets}) == 50, "each target has its own run seed"


def coverage_holds(case: Path, k: int, tmp: Path, workers: int, known_wide: tuple[str, ...] = ()) -> None:
    """Calibrate `case` on `k` targets drawn from its priors; per parameter, the count of true
    values inside their 90 % posterior intervals must reach the binomial floor, and the median
    interval must be less than half as wide as the prior's 90 % interval. A parameter in
    `known_wide` has a published failure of the width condition (docs/verification.md): its
    coverage is still asserted, its width failing makes the test xfail with the figure, and its
    width passing fails the test (strict), so that the record is corrected."""
    from verify_recovery import NARROW, binomial_floor, coverage, recover

    rows = recover(case, k, tmp, workers=workers, progress=False)
    wide = []
    for _, c in coverage(rows).iterrows():
        missed = rows[(rows["parameter"] == c["parameter"]) & ~rows["inside"]]
        assert c["inside"] >= binomial_floor(k), (
            f"{c['parameter']}: the truth inside the 90 % interval for {c['inside']} of {k} targets; a calibrated "
            f"posterior gives at least {binomial_floor(k)} but for a 1 % chance; missed: "
            + "; ".join(f"{r.truth:.3g} not in [{r.q05:.3g}, {r.q95:.3g}]" for r in missed.itertuples()))
        narrow = c["median_width_ratio"] < NARROW
        if c["parameter"] in known_wide:
            assert not narrow, (f"{c['parameter']}: the median posterior interval is now "
                                f"{c['median_width_ratio']:.2f} of the prior's width, under {NARROW}: the published "
                                "failure is gone; correct docs/verification.md and drop it from known_wide")
            wide.append(f"{c['parameter']} {c['median_width_ratio']:.2f}")
            continue
        assert narrow, (
            f"{c['parameter']}: the median posterior interval is {c['median_width_ratio']:.2f} of the prior's "
            f"width; below {NARROW} expected from a calibration that learnt from the statistics")
    if wide:
        pytest.xfail(f"coverage holds; the published width failure (median width / prior's, bar {NARROW}): "
                     + ", ".join(wide))


@pytest.mark.slow  # 20 calibrations of about 17 s CPU each (median on 2e7dc1c, docs/verification.md)
def test_the_airstrike_rate_s_90_percent_intervals_cover_the_truth_for_about_90_percent_of_targets(tmp_path):
    """Coverage rather than one target (Cook, Gelman & Rubin 2006; Talts et al. 2018): 20 true
    rates drawn from the prior, each with its own run and calibration seed, calibrated with the
    fast test's settings. A correct calibration's 90 % intervals hold the truth about 18 times in
    20; fewer than 14 happens with probability 0.24 % (test above). Replaces three hand-picked
    true values, which a calibration could pass while being over-confident."""
    coverage_holds(RECOVERY, 20, tmp_path, workers=2)


@pytest.mark.slow
@pytest.mark.hours  # 10 calibrations of about 400 runs of 43 days at 4 km: about an hour of CPU (63 min on 769d524)
def test_two_parameters_of_the_hindcast_are_recovered_over_targets_drawn_from_the_prior(tmp_path):
    """The issue's recovery test on the record's kind of statistics, by coverage: 10 pairs of
    strike and ambush rates drawn from the log-uniform priors, the hindcast scenario's own run at
    each as the observations (strikes and IS – government events per month, the Poisson
    distance); per parameter at least 6 of 10 truths inside their 90 % intervals (fewer happens
    with probability 0.16 % for a calibrated posterior) and the median interval less than half as
    wide as the prior's on the log scale. Replaces one hand-picked target: a second one tried
    had missed, as one in ten does. On 769d524 the ambush rate fails the width condition (median
    0.66; the tempo alone keeps a correct posterior near 0.7 over 43 days: docs/verification.md,
    *Parameter recovery by coverage*): its width is a known failure, so the test xfails there
    as long as the coverage holds."""
    coverage_holds(HINDCAST_RECOVERY, 10, tmp_path, workers=2, known_wide=(AMBUSH,))


@pytest.mark.slow
@pytest.mark.hours  # 10 calibrations like the test above's, with the tempo off: 55 min CPU on 6cb9801
def test_two_parameters_of_the_hindcast_with_the_tempo_off_are_recovered_over_targets_drawn_from_the_prior(tmp_path):
    """The test above's case with `insurgents.tempo_sd: 0` and nothing else changed (the same
    targets: the same priors and draws). With the activity level fixed at 1 the ambush rate
    scales the ambushes directly, so the statistics can identify it: this checks the calibration
    machinery on the ambush rate apart from the tempo's spread, which keeps a correct posterior
    near 0.7 of the prior's width with the tempo on. The same bar: at least 6 of 10 truths
    inside their 90 % intervals and the median interval under half the prior's width. On 6cb9801
    the ambush rate's truth is inside for 9 of 10 targets but the median width is 0.54 (the IS –
    government counts are mostly clashes the rate does not scale, so low rates stay apart from
    the prior's floor only by a few events: docs/verification.md): a known failure of the width,
    so the test xfails there as long as the coverage holds."""
    coverage_holds(HINDCAST_NO_TEMPO_RECOVERY, 10, tmp_path, workers=2, known_wide=(AMBUSH,))


def test_run_draws_its_parameters_from_the_posterior_by_its_seed(tmp_path, capsys):
    folder = posterior_folder(tmp_path, [
        {"particle": 0, "rules.airstrikes.rate_per_day": 0.25, "weight": 0.5},
        {"particle": 1, "rules.airstrikes.rate_per_day": 4.0, "weight": 0.5}])
    (folder / "manifest.json").write_text(json.dumps({"set": {"map.cell_km": 3, "time.duration_days": 99}}),
                                          encoding="utf-8")
    expected = read_posterior(folder).draw(9)["rules.airstrikes.rate_per_day"]
    code = main(["run", "airstrike_campaign", "--seed", "9", "--set", "time.duration_days=2", "--set", "map.cell_km=4",
                 "--no-animation", "--quiet", "--posterior", str(folder), "--out", str(tmp_path / "run")])
    done = capsys.readouterr()
    assert code == 0, done.err
    assert f"rules.airstrikes.rate_per_day={expected:g}" in done.out, done.out
    notes = [line for line in done.out.splitlines() if "not as the posterior was calibrated" in line]
    assert len(notes) == 1 and notes[0].endswith("map.cell_km: calibrated 3, here 4"), \
        f"calibrated at 3 km, run at 4 km: run names the one difference, as hindcast does: {done.out}"
    code = main(["run", "airstrike_campaign", "--posterior", str(tmp_path / "none")])
    missing = capsys.readouterr().err
    assert code == 2 and "Traceback" not in missing, missing
    assert "--posterior" in missing and len(missing.strip().splitlines()) == 1, missing


def test_the_charts_of_a_posterior_are_drawn(tmp_path):
    from sim.figures.posterior import marginals_chart, pair_plot, predictive_chart
    from sim.hindcast.calibfile import Prior

    priors = [Prior("a.x", "uniform", 0.0, 1.0, False, "s"), Prior("a.y", "loguniform", 1.0, 10.0, False, "s")]
    post = pd.DataFrame({"a.x": [0.2, 0.4, 0.5], "a.y": [2.0, 3.0, 5.0], "weight": [0.2, 0.3, 0.5]})
    intervals = pd.DataFrame({"q05": [0.2, 2.0], "q95": [0.5, 5.0]})
    predictive = pd.DataFrame({"statistic": ["s1", "s2"], "observed": [3.0, 0.0], "median": [2.0, 1.0],
                               "q05": [1.0, 0.0], "q95": [4.0, 2.0]})
    for path in (marginals_chart(tmp_path / "m.png", post, priors, intervals, "t"),
                 pair_plot(tmp_path / "p.png", post, priors, "t"),
                 predictive_chart(tmp_path / "q.png", predictive, 10, "t")):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
