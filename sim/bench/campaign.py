"""Benchmark: the CPU cost of a long horizon, `python run.py bench campaign`.

Runs, seed 1, and prints the CPU seconds (`time.process_time`, not wall time: the figure holds
on a shared, loaded machine) of building the model and of running it, per step and in all:

- `corridor_campaign` for a year at 1 km cells and 1 h steps and at 2 km and 2 h (issue 20's
  targets, ≤ 8 s and ≤ 2 s for the year, are printed beside the figures);
- the hindcast `corridor_2017_2019` over the calibration's training window (19 Nov 2017 to
  31 Dec 2018, 408 days) at the calibration's 3 km and 3 h: the run a calibration repeats
  hundreds of times (docs/verification.md, "calibration").

`--days D` runs every row for D days instead (a hindcast shorter than its offensive's launch
day, 295, launches it at half the run instead: the scenario refuses a launch after its end). The
benchmark never fails on time. `--profile N` also prints the N costliest functions of each run
(cProfile, by cumulative time; a profiled run costs about twice as much), the tables kept in
docs/performance.md; `--stages` the CPU time of each stage of the step (`sim.bench.stages`).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import time
from typing import NamedTuple

from sim.program.folders import SCENARIOS


class Configuration(NamedTuple):
    """One row of the benchmark: what runs, for how long by default, and the target (CPU s)."""

    name: str
    scenario: str
    cell_km: float
    step_hours: float
    days: float
    target_s: float | None


CONFIGURATIONS = (
    Configuration("campaign", "corridor_campaign.yaml", 1.0, 1.0, 365.0, 8.0),
    Configuration("campaign", "corridor_campaign.yaml", 2.0, 2.0, 365.0, 2.0),
    Configuration("hindcast", "corridor_2017_2019.yaml", 3.0, 3.0, 408.0, None),
)
#: corridor_2017_2019.yaml's scripted offensives and their launch days (rules.<key>.from_day)
HINDCAST_LAUNCHES = {"offensive": 295.0, "offensive/roundup": 163.0}


def overrides(config: Configuration, days: float) -> dict:
    """The `--set` overrides of one row run for `days`: a hindcast run too short for an
    offensive's launch launches it at half the run (a launch must fall inside the run)."""
    out = {"map.cell_km": config.cell_km, "time.step_hours": config.step_hours, "time.duration_days": days}
    if config.name == "hindcast":
        for key, launch in HINDCAST_LAUNCHES.items():
            if days <= launch:
                out[f"rules.{key}.from_day"] = days / 2.0
    return out


def measure(config: Configuration, days: float, profile: int = 0, stages: bool = False) -> dict:
    """Build and run one configuration for `days`; CPU seconds of each, steps, and (with
    `profile` > 0) the text of the `profile` costliest functions, (with `stages`) the lines of
    the CPU time per stage of the step."""
    import warnings

    from sim.bench.stages import StageTimer
    from sim.model import CorridorModel
    from sim.scenario import load_scenario
    from sim.submodels.stamps import one_blas_thread

    with warnings.catch_warnings():  # places moved off the river at coarse cells: not news here
        warnings.simplefilter("ignore", UserWarning)
        loaded = load_scenario(SCENARIOS / config.scenario, overrides=overrides(config, days))
    started = time.process_time()
    model = CorridorModel(loaded, seed=1)
    timer = StageTimer(model) if stages else None
    built = time.process_time()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    every = max(1, model.n_steps // 20)
    with one_blas_thread():  # as model.run() holds it (sim/submodels/stamps.py)
        for done in range(1, model.n_steps + 1):
            model.step()
            if done % every == 0 or done == model.n_steps:  # progress without a thread (tqdm has one)
                print(f"\r  {config.name} {config.cell_km:g} km, {config.step_hours:g} h: step {done:,} of "
                      f"{model.n_steps:,}", end="", file=sys.stderr, flush=True)
    model.recorder.result()  # the tables, as model.run() returns them
    if profiler:
        profiler.disable()
    ran = time.process_time()
    print(file=sys.stderr)
    out = {"days": days, "steps": model.n_steps, "build_s": built - started, "run_s": ran - built}
    if timer:
        out["stages"] = timer.table(model.n_steps, ran - built)
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(profile)
        out["profile"] = text.getvalue()
    return out


def main(days: float | None = None, profile: int = 0, stages: bool = False) -> int:
    """Measure every configuration (each for its own horizon, or for `days`) and print the
    table (and the profiles, the stages)."""
    print("seed 1; CPU seconds (time.process_time)")
    print(f"{'run':<9} {'cells':>6} {'step':>5} {'days':>5} {'steps':>6} {'build s':>8} {'run s':>8} "
          f"{'ms/step':>8} {'year target s':>14}")
    for config in CONFIGURATIONS:
        r = measure(config, config.days if days is None else days, profile, stages)
        if "profile" in r:
            print(r["profile"])
        if "stages" in r:
            print("\n".join(r["stages"]))
        target = "-" if config.target_s is None else f"{config.target_s:g}"
        print(f"{config.name:<9} {config.cell_km:>4g}km {config.step_hours:>4g}h {r['days']:>5g} {r['steps']:>6} "
              f"{r['build_s']:>8.2f} {r['run_s']:>8.2f} {r['run_s'] / r['steps'] * 1e3:>8.3f} {target:>14}",
              flush=True)
    return 0
