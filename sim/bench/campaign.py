"""Benchmark: the CPU cost of a long horizon, `python run.py bench campaign`.

Runs `corridor_campaign` for a year (`--days`) at 1 km cells and 1 h steps and at 2 km and
2 h, seed 1, and prints the CPU seconds (`time.process_time`, not wall time: the figure
holds on a shared, loaded machine) of building the model and of running it, per step and in
all. The targets (issue 20: ≤ 8 s and ≤ 2 s for the year) are printed beside the figures; the
benchmark never fails on time. `--profile N` also prints the N costliest functions of each run
(cProfile, by cumulative time; a profiled run costs about twice as much), the table kept in
docs/performance.md.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import time

from sim.program.folders import SCENARIOS

SCENARIO = "corridor_campaign.yaml"
#: (cell km, step hours, target CPU seconds for a year)
CONFIGURATIONS = ((1.0, 1.0, 8.0), (2.0, 2.0, 2.0))


def measure(days: float, cell_km: float, step_hours: float, profile: int = 0) -> dict:
    """Build and run the campaign; CPU seconds of each, steps, and (with `profile` > 0) the
    text of the `profile` costliest functions."""
    import warnings

    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    with warnings.catch_warnings():  # places moved off the river at coarse cells: not news here
        warnings.simplefilter("ignore", UserWarning)
        loaded = load_scenario(SCENARIOS / SCENARIO, overrides={
            "map.cell_km": cell_km, "time.step_hours": step_hours, "time.duration_days": days})
    started = time.process_time()
    model = CorridorModel(loaded, seed=1)
    built = time.process_time()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    every = max(1, model.n_steps // 20)
    for done in range(1, model.n_steps + 1):
        model.step()
        if done % every == 0 or done == model.n_steps:  # progress without a thread (tqdm has one)
            print(f"\r  {cell_km:g} km, {step_hours:g} h: step {done:,} of {model.n_steps:,}", end="",
                  file=sys.stderr, flush=True)
    model.recorder.result()  # the tables, as model.run() returns them
    if profiler:
        profiler.disable()
    ran = time.process_time()
    print(file=sys.stderr)
    out = {"cell_km": cell_km, "step_hours": step_hours, "days": days, "steps": model.n_steps,
           "build_s": built - started, "run_s": ran - built}
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(profile)
        out["profile"] = text.getvalue()
    return out


def main(days: float = 365.0, profile: int = 0) -> int:
    """Measure every configuration and print the table (and the profiles)."""
    print(f"{SCENARIO}, {days:g} days, seed 1; CPU seconds (time.process_time)")
    print(f"{'cells':>6} {'step':>5} {'steps':>6} {'build s':>8} {'run s':>8} {'ms/step':>8} {'year target s':>14}")
    for cell_km, step_hours, target in CONFIGURATIONS:
        r = measure(days, cell_km, step_hours, profile)
        if "profile" in r:
            print(r["profile"])
        print(f"{cell_km:>4g}km {step_hours:>4g}h {r['steps']:>6} {r['build_s']:>8.2f} {r['run_s']:>8.2f} "
              f"{r['run_s'] / r['steps'] * 1e3:>8.3f} {target:>14g}", flush=True)
    return 0
