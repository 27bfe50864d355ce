"""Verification of issue 10's "Done when" figures (slow: kept out of the test suite).

Each check runs at least 30 paired replicates (common random numbers: the same seeds in every
arm; check 4 is a bound over 3 seeds) and reports its estimate with a 95 % interval, the target
and PASS/FAIL. Runs go through the experiments engine (a local process pool, `--workers`, 2 by
default). With `--write` the figures replace the section between `<!-- figures:begin -->` and
`<!-- figures:end -->` of docs/verification.md (the mutation harness fills the mutants section).

    .venv/bin/python tests/verify_model.py                 # every check, print the report
    .venv/bin/python tests/verify_model.py --only 2 8      # some checks (development)
    .venv/bin/python tests/verify_model.py --write         # every check, record the figures
    make verify                                            # --write, then the mutation harness

Checks 3–8 are in tests/verify_model_whatifs.py; the runs, formats and report that every
verification script shares, in tests/verify_common.py. Exit status 1 when a check fails. This script replaces tests/long_horizon.py (check 4 and 7)
and tests/standoff_figures.py (check 2 and its standoff responses).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import yaml
from verify_common import (
    COMMAND,
    DOC,
    ROOT,
    SCENARIOS,
    Figure,
    Runner,
    code_state,
    num,
    overrides_text,
    paired_t,
    pct,
    report,
    say,
    seeds_text,
    share_text,
    write_doc,
)
from verify_model_whatifs import (
    check_agreement,
    check_airstrikes,
    check_bounds,
    check_cooptation,
    check_river,
)

from sim.experiments.design import SENSITIVITY_DESIGNS
from sim.experiments.sensitivity import indices
from sim.experiments.stats import wilson
from sim.experiments.sweep import numeric_outcomes, run_sweep
from sim.model import CorridorModel
from sim.scenario import load_scenario

BLOCKADE = "albu_kamal_blockade.yaml"
STANDOFF = {"map.cell_km": 2.0, "time.step_hours": 1, "time.duration_days": 3}
CONVOY = "forces[7].strength"
RADIUS = "rules.checkpoint_blockade.reinforce_radius_km"
RATIO = "rules.checkpoint_blockade.withdraw_when_outnumbered"
REACHABLE = 490  # militia fighters that can reach the checkpoint in the default blockade (docs/odd.md)
GOT_THROUGH = ("arrived", "en route")

SCREENING = SCENARIOS / "sweeps" / "blockade_screening.yaml"
SCREENING_STEP_HOURS = 3  # on top of the sweep file's 4 days at 2 km cells
SCREENED = {"rules.checkpoint_blockade.reinforce_radius_km": "reinforcement radius",
            "rules.checkpoint_blockade.withdraw_when_outnumbered": "withdrawal ratio",
            "forces[7].strength": "convoy strength"}
CONVOY_OUTCOMES = ("convoys_withdrew", "convoys_arrived")
MU_FRACTION = 0.1  # PASS also when mu* is at least this share of the largest mu* of the outcome


# ============================================================================ checks


def check_screening(run: Runner, seeds, out: Path) -> Figure:
    """1. Morris screening of the blockade through the sensitivity API, n replicates per point."""
    spec = yaml.safe_load(SCREENING.read_text(encoding="utf-8"))
    missing = [k for k in SCREENED if k not in spec["parameters"]]
    outcomes = spec["outcomes"]["final"]
    if missing or not all(o in outcomes for o in CONVOY_OUTCOMES):
        raise SystemExit(f"{SCREENING}: expected parameters {list(SCREENED)} and outcomes {CONVOY_OUTCOMES}")
    spec["scenario"] = str((SCREENING.parent / spec["scenario"]).resolve())
    spec["set"]["time.step_hours"] = SCREENING_STEP_HOURS
    spec["replicates"] = len(seeds)
    derived = out / "blockade_screening.yaml"
    derived.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    sweep = run_sweep(derived, out=out / "screening", workers=run.workers, charts=False, progress=True, force=True,
                      require=SENSITIVITY_DESIGNS, log=say)
    import pandas as pd

    runs = pd.read_parquet(sweep.folder / "runs.parquet")
    id_columns = {"run_id", "point", "replicate", "seed", *(p.key for p in sweep.plan.parameters)}
    table = indices(sweep.plan, runs, numeric_outcomes(runs, [c for c in runs.columns if c not in id_columns]))
    lines = ["| outcome | parameter | μ* | μ* 95 % CI (SALib bootstrap) | μ* / largest μ* | |", "|---|---|---|---|---|---|"]
    ok, worst = True, []
    for outcome in CONVOY_OUTCOMES:
        part = table[table["outcome"] == outcome]
        top = float(part["mu_star"].max())
        for r in part.itertuples():
            rel = r.mu_star / top if top > 0 else 0.0
            good = r.mu_star_low > 0 or rel >= MU_FRACTION
            if r.parameter in SCREENED:
                ok &= good
                worst.append(rel)
            mark = ("ok" if good else "**zero**") if r.parameter in SCREENED else ""
            lines.append(f"| {outcome} | {r.label} | {num(r.mu_star)} | [{num(r.mu_star_low)}, {num(r.mu_star_high)}] "
                         f"| {rel:.2f} | {mark} |")
    short = ", ".join(f"{SCREENED[r.parameter]} {num(r.mu_star)} [{num(r.mu_star_low)}, {num(r.mu_star_high)}]"
                      for r in table[(table["outcome"] == "convoys_withdrew") & table["parameter"].isin(SCREENED)].itertuples())
    p = sweep.plan
    return Figure(
        1, "Morris screening of the blockade: μ* of the standoff parameters on the convoy outcome",
        f"`{COMMAND} --only 1` (the sweep API on `scenarios/sweeps/blockade_screening.yaml` with "
        f"`time.step_hours={SCREENING_STEP_HOURS}` and `replicates={len(seeds)}`, then `sim.experiments.sensitivity.indices`)",
        f"Morris, {p.design.trajectories} trajectories × {len(p.parameters)} parameters + 1 = {len(p.points)} points, "
        f"{p.design.levels} levels, {len(seeds)} replicates per point (the engine's replicate seeds from root "
        f"{p.seed}, the same at every point) = {p.n_runs} runs; 2 km cells, {SCREENING_STEP_HOURS} h steps, "
        f"{spec['set']['time.duration_days']} days",
        f"μ* on convoys_withdrew: {short}",
        f"each of the three: μ* 95 % CI lower bound > 0, or μ* ≥ {MU_FRACTION:.0%} of the largest μ*, "
        "on both convoys_withdrew and convoys_arrived",
        ok, lines)


def check_standoff(run: Runner, seeds) -> Figure:
    """2. Twice the reachable defenders gets through; half withdraws. Plus the standoff responses."""
    arms = {
        "default": {}, "double": {CONVOY: 2 * REACHABLE + 20}, "half": {CONVOY: REACHABLE // 2},
        "250 r15": {CONVOY: 250}, "250 r2": {CONVOY: 250, RADIUS: 2},
        "250 r2 ratio3": {CONVOY: 250, RADIUS: 2, RATIO: 3.0}, "250 r2 ratio1.5": {CONVOY: 250, RADIUS: 2, RATIO: 1.5},
        "150 r2": {CONVOY: 150, RADIUS: 2}, "400 r2": {CONVOY: 400, RADIUS: 2},
    }
    res = run.arms(BLOCKADE, {k: {**STANDOFF, **v} for k, v in arms.items()}, seeds, "standoff")

    def through(a):
        return np.array([r["convoy_R1"] in GOT_THROUGH for r in res[a]], dtype=float)

    def withdrew(a):
        return np.array([r["convoy_R1"] == "withdrew" for r in res[a]], dtype=float)

    strong, weak = through("double"), withdrew("half")
    _, s_lo, _ = wilson(strong.sum(), len(strong))
    _, w_lo, _ = wilson(weak.sum(), len(weak))
    ok = strong.mean() > 0.5 and weak.mean() > 0.5

    def diff(a, b):
        return pct(*paired_t(through(a), through(b)))

    shares = [
        ("60-fighter convoy (default), withdrew", withdrew("default")),
        (f"{2 * REACHABLE + 20} fighters (≈ 2 × {REACHABLE}), got through", strong),
        (f"{REACHABLE // 2} fighters (½ × {REACHABLE}), withdrew", weak),
        ("250 fighters, radius 15 km, got through", through("250 r15")),
        ("250 fighters, radius 2 km, got through", through("250 r2")),
        ("250 fighters, radius 2 km, withdraw ratio 3, got through", through("250 r2 ratio3")),
        ("150 fighters, radius 2 km, got through", through("150 r2")),
        ("400 fighters, radius 2 km, got through", through("400 r2"))]
    lines = ["| arm | share [95 % Wilson CI] |", "|---|---|"]
    lines += [f"| {label} | {share_text(x)} |" for label, x in shares]
    lines += [
        "",
        "Paired differences in the share that got through (mean, 95 % t interval over the paired seeds):",
        f"radius 2 km − 15 km (250 fighters): {diff('250 r15', '250 r2')}; "
        f"withdraw ratio 3 − 1.5 (250, 2 km): {diff('250 r2 ratio1.5', '250 r2 ratio3')}; "
        f"400 − 150 fighters (2 km): {diff('150 r2', '400 r2')}.",
        "\"Got through\" = arrived or still driving on past the checkpoint at the horizon.",
    ]
    return Figure(
        2, "Standoff by force ratio: ≈ 2 × the reachable defenders gets through, ½ × withdraws",
        f"`{COMMAND} --only 2`",
        f"`{BLOCKADE}` {overrides_text(STANDOFF)}, `{CONVOY}` = {2 * REACHABLE + 20} and {REACHABLE // 2} "
        f"({REACHABLE} militia fighters can reach the checkpoint within the 15 km radius); default orders "
        f"(withdraw, 24 h); {seeds_text(seeds)}, the same in every arm",
        f"got through at ×2: {share_text(strong)}; withdrew at ×½: {share_text(weak)}",
        "both shares > 50 % (majority)",
        ok, lines + [f"Wilson lower bounds: {s_lo:.0%} and {w_lo:.0%}."])


def check_speed(seeds=(20171119, 1, 2)) -> Figure:
    """9. One run of the default scenario at its own settings, without writing outputs, in < 10 s."""
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = load_scenario(SCENARIOS / BLOCKADE)
    load = time.perf_counter() - t0
    walls, cpus = [], []
    for s in seeds:
        t, c = time.perf_counter(), time.process_time()
        CorridorModel(loaded, s).run()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
        say(f"  default scenario, seed {s}: {walls[-1]:.2f} s wall, {cpus[-1]:.2f} s CPU")
    med = statistics.median(walls)
    load_avg = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return Figure(
        9, "The default scenario simulates in under 10 s",
        f"`{COMMAND} --only 9` (like `python run.py` without writing the run folder)",
        f"`{BLOCKADE}` at its own settings (1 km cells, 1 h steps, 30 days), seeds {', '.join(map(str, seeds))}, "
        f"one after another in one process, before any pool starts; {os.cpu_count()} CPUs, load average "
        f"{load_avg} at the time",
        f"median {med:.2f} s wall (runs {', '.join(f'{w:.2f}' for w in walls)} s; CPU time of this process "
        f"{statistics.median(cpus):.2f} s; loading the scenario and map once: {load:.2f} s)",
        "median wall time < 10 s",
        med < 10, [])


# ============================================================================ report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", type=int, nargs="+", choices=range(1, 10), metavar="N", help="checks to run (1–9)")
    ap.add_argument("--seeds", type=int, default=30, help="paired replicates per check (default 30)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--write", action="store_true", help="rewrite the figures section of docs/verification.md")
    args = ap.parse_args()
    if args.write and (args.only or args.seeds < 30):
        ap.error("--write records every check at 30 or more replicates: drop --only and --seeds")
    warnings.simplefilter("ignore", UserWarning)
    want = set(args.only or range(1, 10))
    seeds = range(1, args.seeds + 1)
    run = Runner(args.workers)
    code = code_state()
    started = time.perf_counter()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="verify_") as tmp:
        out = Path(tmp)
        steps = [(9, lambda: [check_speed()]), (6, lambda: [check_river(run, seeds)]),
                 (2, lambda: [check_standoff(run, seeds)]),
                 (3, lambda: list(check_airstrikes(run, seeds))), (5, lambda: [check_agreement(run, seeds, out)]),
                 (7, lambda: [check_cooptation(run, seeds)]), (4, lambda: [check_bounds(run)]),
                 (1, lambda: [check_screening(run, seeds, out)])]
        for number, step in steps:
            if number in want or (number == 3 and 8 in want):
                say(f"[{time.perf_counter() - started:5.0f} s] check {number}{' and 8' if number == 3 else ''} …")
                for f in step():
                    figures.append(f)
                    say(f"  {f.number}. {f.verdict}: {f.estimate}")
    figures = sorted((f for f in figures if f.number in want), key=lambda f: f.number)
    elapsed = time.perf_counter() - started
    text = report(figures, elapsed, args.seeds, code)
    print(text)
    if args.write:
        write_doc(text)
        say(f"wrote {DOC.relative_to(ROOT)}")
    return 0 if all(f.passed for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
