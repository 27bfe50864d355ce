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
from faults import NOWHERE, folder_bytes, scheduler_out_of_reach

from sim.experiments.engine import SerialExecutor, open_executor
from sim.experiments.runfolder import RunFolder
from sim.hindcast.calibfile import read_calibration
from sim.hindcast.calibrate import Distance, posterior_table, run_abc, weighted_quantiles
from sim.hindcast.posterior import Posterior, posterior_overrides, read_posterior
from sim.program.cli import main
from sim.program.errors import InputErrors, UserError

ROOT = Path(__file__).resolve().parents[1]

# the calibrations on one worker (with tests/test_calibrate_recovery.py): pyabc imported, and its first use paid, once
pytestmark = pytest.mark.xdist_group("calibrate")


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



def earlier_calibration(out: Path) -> dict:
    """A finished calibration's folder at `out` (its manifest and an abc.db, no run files), for
    `--force` to replace; returns its bytes (`faults.folder_bytes`)."""
    earlier = RunFolder(out, "calibration", "an earlier calibration")
    with earlier.writing(resume=False, force=False):
        earlier.runs.rmdir()
        (out / "abc.db").write_bytes(b"the earlier generations")
        earlier.write_manifest({}, status="complete")
    return folder_bytes(out)

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
    """Ctrl-C or SIGTERM during the ABC-SMC: one message, naming the saved generations and --resume
    (it said only "interrupted"; then that word after the explanation; a sweep says how to finish)."""
    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.hindcast.calibrate.run_abc", stop)
    out = tmp_path / "out"
    code = main(["calibrate", str(write(tmp_path, GOOD)), "--out", str(out), "--workers", "1", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 130 and err[-1] == (f"interrupted during the calibration: the finished generations are saved in "
                                       f"{out / 'abc.db'}; the same command with --resume --out {out} continues "
                                       "from them"), err
    assert "interrupted" not in err[:-1], "one message: no bare word after it"
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["status"] == "interrupted"


def test_force_with_a_scheduler_out_of_reach_leaves_the_earlier_calibration_as_it_was(tmp_path, monkeypatch, capsys):
    """`calibrate --force --dask ADDRESS` on a finished calibration, the scheduler out of reach: the
    folder was left holding only its marker and a manifest, the posterior and abc.db deleted, and
    the line did not say so (session 14's fresh review, F12). The engine is started before the
    folder is replaced: exit 2, one line saying it is left as it was, and it is, byte for byte."""
    out = tmp_path / "out"
    earlier = RunFolder(out, "calibration", "an earlier calibration")
    with earlier.writing(resume=False, force=False):
        earlier.runs.rmdir()
        (out / "posterior.csv").write_text("rules.airstrikes.rate_per_day,weight\n1.0,1.0\n", encoding="utf-8")
        (out / "abc.db").write_bytes(b"the earlier generations")
        earlier.write_manifest({}, status="complete")
    before = folder_bytes(out)
    asked = scheduler_out_of_reach(monkeypatch)
    code = main(["calibrate", str(write(tmp_path, GOOD)), "--out", str(out), "--force", "--dask", NOWHERE, "--quiet"])
    assert asked == [NOWHERE], "the scheduler was not asked for: the test tests nothing"
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err == [f"--dask {NOWHERE}: cannot reach the Dask scheduler (Timed out trying to connect to "
                                 f"{NOWHERE} after 15 s); nothing was run, and {out} is left as it was (complete)"], err
    assert folder_bytes(out) == before, "the earlier calibration was touched"


def test_ctrl_c_during_a_forced_calibration_puts_the_earlier_back_and_says_so(tmp_path, monkeypatch, capsys):
    """Ctrl-C during `calibrate --force` on a finished calibration: the earlier folder, set aside, is
    put back byte for byte (a calibration keeps no run files, so nothing of its own counts as saved),
    and the line says so; it said "the finished generations are saved in …/abc.db; --resume
    continues from them" of generations that were thrown away (session 14's last fresh tester)."""
    import sim.hindcast.calibrate as calibrate

    out = tmp_path / "out"
    before = earlier_calibration(out)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(calibrate, "run_abc", interrupted)
    code = main(["calibrate", str(write(tmp_path, GOOD)), "--out", str(out), "--force", "--quiet", "--workers", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 130 and err[-1] == (f"interrupted during the calibration: its generations are not kept, and {out} "
                                       "is left as it was: --force replaced nothing"), err
    assert not any("--resume" in line for line in err), "no advice to resume generations that are gone"
    assert folder_bytes(out) == before, "the earlier calibration was not put back as it was"


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


def test_a_calibration_leaves_the_callers_random_generator_and_pyabc_logging_as_they_were(tmp_path):
    """From Python (the analyst notebook calibrates in its kernel): the calibration seeds numpy's
    global generator and quiets pyabc's logger while it runs (Corridor prints its own progress);
    the caller's draws after it are those it would have made without it, and the level the
    caller chose for pyabc's logger is kept."""
    import logging

    import pyabc  # noqa: F401 - importing it sets its logger's level: before the caller's choice

    plan = read_calibration(write(tmp_path, GOOD))
    logger, said = logging.getLogger("ABC"), []
    handler = logging.Handler()
    handler.emit = said.append
    np.random.seed(2024)
    expected = np.random.random(3)
    np.random.seed(2024)
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        run_abc(plan, Toy(), {"incidents_airstrike": 12.0}, tmp_path / "a.db", SerialExecutor(), 1, resume=False,
                progress=False, log=lambda _: None)
        assert np.random.random(3).tolist() == expected.tolist(), \
            "the calibration left numpy's global generator seeded its own way"
        assert logger.level == logging.DEBUG, f"the calibration left pyabc's logger at {logging.getLevelName(logger.level)}"
        chatter = [r.getMessage() for r in said if r.levelno < logging.WARNING]
        assert not chatter, f"pyabc logged its own progress while the calibration ran: {chatter[:3]}"
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.INFO)  # pyabc's own


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
