"""Parameter recovery (sim.hindcast.calibrate, tests/verify_recovery.py): calibrating on runs the
model itself produced at known parameters; one fast target, then coverage over targets drawn from
the prior (the slow and the hour-long cases, docs/verification.md, *Parameter recovery by coverage*)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
RECOVERY = ROOT / "tests" / "data" / "calibration" / "airstrike_recovery.yaml"
HINDCAST_RECOVERY = ROOT / "tests" / "data" / "calibration" / "hindcast_recovery.yaml"
HINDCAST_NO_TEMPO_RECOVERY = ROOT / "tests" / "data" / "calibration" / "hindcast_recovery_no_tempo.yaml"
AMBUSH = "insurgents.ambush_rate_per_day"  # its recovery's width is a published failure (docs/verification.md)

pytestmark = pytest.mark.xdist_group("calibrate")  # on test_calibrate.py's worker: pyabc imported once


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
    from sim.program.written import foreign_file

    result = calibrate(RECOVERY, out=tmp_path / "out", workers=1, progress=False, charts=True, log=lambda _: None)
    low, high, _ = recovery_interval(result.folder)
    assert low <= 1.2 <= high, f"true rate 1.2 outside the 90 % posterior interval [{low:.3g}, {high:.3g}]"
    assert high - low < 0.5 * 2.61, f"posterior interval [{low:.3g}, {high:.3g}] not half as wide as the prior's 2.61"
    for name in ("posterior.csv", "intervals.csv", "generations.csv", "predictive.csv", "observed.json",
                 "report.md", "manifest.json", "abc.db"):
        assert (result.folder / name).is_file(), f"the calibration folder lacks {name}"
    assert json.loads((result.folder / "manifest.json").read_text())["status"] == "complete"
    assert foreign_file(result.folder, "calibration") is None, foreign_file(result.folder, "calibration")  # all listed


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
