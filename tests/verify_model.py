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

Exit status 1 when a check fails. This script replaces tests/long_horizon.py (check 4 and 7)
and tests/standoff_figures.py (check 2 and its standoff responses).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml
from scipy import stats
from scipy.ndimage import distance_transform_edt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.experiments.compare import run_compare  # noqa: E402
from sim.experiments.design import SENSITIVITY_DESIGNS  # noqa: E402
from sim.experiments.engine import open_executor  # noqa: E402
from sim.experiments.sensitivity import indices  # noqa: E402
from sim.experiments.stats import mean_ci, wilson  # noqa: E402
from sim.experiments.sweep import numeric_outcomes, run_sweep  # noqa: E402
from sim.geography import Terrain  # noqa: E402
from sim.model import CorridorModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.submodels.influence import CONTESTED  # noqa: E402

SCENARIOS = ROOT / "scenarios"
DOC = ROOT / "docs" / "verification.md"
BEGIN, END = "<!-- figures:begin -->", "<!-- figures:end -->"
MUTANTS_BEGIN, MUTANTS_END = "<!-- mutants:begin -->", "<!-- mutants:end -->"
COMMAND = "python tests/verify_model.py"

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

AIRSTRIKES = "airstrike_campaign.yaml"
AIR = {"map.cell_km": 2.0, "time.step_hours": 6}
AIR_RATES = (0.1, 0.3, 0.5, 0.75, 1.0)  # per day; 0 is the paired control; 0.1 is the scenario's own
TARGET_LOSS = 0.30

LONG = {"map.cell_km": 2.0, "time.step_hours": 12, "time.duration_days": 365}
LONG_SEEDS = (1, 2, 3)
COOPT = {"map.cell_km": 2.0, "time.step_hours": 12}
AGREEMENT = {"map.cell_km": 2.0, "time.step_hours": 6}
BANKS = {1: "west", 2: "east"}  # map bank codes: 1 right (west/south-west) bank, 2 left (east) bank


# ============================================================================ runs


@lru_cache(maxsize=64)
def _loaded(scenario: str, overrides: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_scenario(SCENARIOS / scenario, overrides=json.loads(overrides))


def job(spec: tuple[str, str, str, int]) -> dict:
    """One run in a worker: ('run' | 'start', scenario file, overrides as JSON, seed)."""
    kind, scenario, overrides, seed = spec
    model = CorridorModel(_loaded(scenario, overrides), seed, frame_every_hours=1e12)
    if kind == "start":
        return start_holders(model)
    result = model.run()
    out = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in result.summary.items()
           if isinstance(v, (int, float, str, bool, np.generic))}
    steps = result.steps
    out["strength_ratio"] = {}
    for col in [c for c in steps.columns if c.startswith("strength_")]:
        s = steps[col].to_numpy(dtype=float)
        if s[0] > 0:
            out["strength_ratio"][col.removeprefix("strength_")] = (float(s.min() / s[0]), float(s.max() / s[0]),
                                                                     float(s[-1] / s[0]), float(s[0]))
    defections = [e.hours / 24 for e in model.log.entries if e.kind == "defection"]
    out["first_defection_day"] = defections[0] if defections else None
    return out


def start_holders(model: CorridorModel) -> dict:
    """Holder of every town on a documented bank at step 0, and the banks each faction stands on."""
    cmap, ids = model.map, model.factions.ids
    banks: dict[str, Counter] = {}
    for unit in model.agents:
        banks.setdefault(ids[unit.faction], Counter())[BANKS.get(int(cmap.bank[unit.rc]), "river")] += unit.strength
    bridge_km = distance_transform_edt(cmap.terrain != Terrain.BRIDGE) * cmap.cell_km
    towns = {}
    for place in cmap.places.values():
        if place.kind in ("town", "city") and place.bank in ("right", "left"):
            holder = int(model.influence.controller[place.cell])
            towns[place.name] = {"bank": "west" if place.bank == "right" else "east",
                                 "holder": ids[holder] if holder >= 0 else ("contested" if holder == CONTESTED else "ungoverned"),
                                 "bridge_km": float(bridge_km[place.cell])}
    return {"towns": towns, "banks": {f: dict(c) for f, c in banks.items()},
            "bridge_reach_km": float(model.spec.control.bridge_reach_km)}


def west_bank(banks: dict, faction: str) -> bool:
    """A west-bank faction: most of its fighters stand on the west (right) bank."""
    b = banks.get(faction, {})
    return b.get("west", 0) > sum(b.values()) / 2


class Runner:
    """Runs specs on the experiments engine's process pool, printing progress."""

    def __init__(self, workers: int):
        self.workers = workers

    def many(self, specs: list[tuple], label: str) -> list[dict]:
        started, results = time.perf_counter(), [None] * len(specs)
        every = max(1, len(specs) // 10)
        with open_executor(self.workers, None) as (executor, _, _):
            futures = {executor.submit(job, s): i for i, s in enumerate(specs)}
            for done, future in enumerate(as_completed(futures), 1):
                results[futures[future]] = future.result()
                if done % every == 0 or done == len(specs):
                    say(f"  {label}: {done}/{len(specs)} runs, {time.perf_counter() - started:.0f} s")
        return results

    def arm(self, scenario: str, overrides: dict, seeds, label: str, kind: str = "run") -> list[dict]:
        text = json.dumps(overrides, sort_keys=True)
        return self.many([(kind, scenario, text, s) for s in seeds], label)

    def arms(self, scenario: str, arms: dict[str, dict], seeds, label: str) -> dict[str, list[dict]]:
        specs = [("run", scenario, json.dumps(ov, sort_keys=True), s) for ov in arms.values() for s in seeds]
        flat = self.many(specs, label)
        n = len(seeds)
        return {name: flat[i * n:(i + 1) * n] for i, name in enumerate(arms)}


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ============================================================================ statistics


def paired_t(a, b) -> tuple[float, float, float]:
    """Mean of b − a over paired replicates with a Student-t 95 % interval."""
    return mean_ci(np.asarray(b, dtype=float) - np.asarray(a, dtype=float))


def share_text(x: np.ndarray) -> str:
    p, lo, hi = wilson(float(x.sum()), len(x))
    return f"{p:.0%} [{lo:.0%}, {hi:.0%}] (n = {len(x)})"


def pct(m, lo, hi, signed: bool = True) -> str:
    f = "{:+.1%}" if signed else "{:.1%}"
    return f"{f.format(m)} [{f.format(lo)}, {f.format(hi)}]"


def num(v: float) -> str:
    return f"{v:.3g}"


def seeds_text(seeds) -> str:
    seeds = list(seeds)
    return f"seeds {seeds[0]}–{seeds[-1]} (n = {len(seeds)})" if seeds == list(range(seeds[0], seeds[-1] + 1)) \
        else f"{len(seeds)} seeds"


def overrides_text(ov: dict) -> str:
    return " ".join(f"--set {k}={v}" for k, v in ov.items())


@dataclass
class Figure:
    number: int
    title: str
    command: str
    settings: str
    estimate: str
    target: str
    passed: bool
    details: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"


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


def check_airstrikes(run: Runner, seeds) -> tuple[Figure, Figure]:
    """3. Airstrikes killing ≈ 30 % of the militia cut its area by ≥ 10 %; 8. the strike rate."""
    arms = {r: {**AIR, "rules.airstrikes.rate_per_day": r} for r in (0.0, *AIR_RATES)}
    res = run.arms(AIRSTRIKES, arms, seeds, "airstrikes")
    control = res[0.0]
    s0 = np.array([r["strength_iran_militia"] for r in control])
    a0 = np.array([r["area_km2_iran_militia"] for r in control])
    rows, by_rate = ["| strikes per day | strikes (mean) | strength loss vs paired control | relative area change |",
                     "|---|---|---|---|"], {}
    for rate in AIR_RATES:
        s = np.array([r["strength_iran_militia"] for r in res[rate]])
        a = np.array([r["area_km2_iran_militia"] for r in res[rate]])
        loss = mean_ci(1 - s / s0)
        area = mean_ci(a / a0 - 1)
        n_strikes = np.mean([r["incidents_airstrike"] for r in res[rate]])
        by_rate[rate] = (loss, area)
        rows.append(f"| {rate:g} | {n_strikes:.1f} | {pct(*loss, signed=False)} | {pct(*area)} |")
    rate = min(AIR_RATES, key=lambda r: abs(by_rate[r][0][0] - TARGET_LOSS))
    loss, area = by_rate[rate]
    ok = area[0] <= -0.10 and area[2] < 0
    days = control[0]["days"]
    fig3 = Figure(
        3, "Airstrikes that kill ≈ 30 % of the militia reduce its held area by ≥ 10 % (relative)",
        f"`{COMMAND} --only 3`",
        f"`{AIRSTRIKES}` {overrides_text(AIR)} ({days:g} days), `rules.airstrikes.rate_per_day` ∈ {{0, "
        f"{', '.join(f'{r:g}' for r in AIR_RATES)}}}, 0 being the paired control; the rate whose mean strength loss "
        f"at the horizon is closest to {TARGET_LOSS:.0%} is reported; {seeds_text(seeds)}, the same in every arm",
        f"rate {rate:g}/day: militia strength loss {pct(*loss, signed=False)}; held area {pct(*area)} "
        "(paired relative change, mean and 95 % t CI)",
        "mean relative area change ≤ −10 %, its CI excluding 0, at a strength loss of about 30 %",
        ok, rows)
    native = res[0.1]
    k = int(sum(r["incidents_airstrike"] for r in native))
    exposure = len(native) * days / 30.0  # 30-day periods observed
    lo = stats.chi2.ppf(0.025, 2 * k) / 2 / exposure if k > 0 else 0.0
    hi = stats.chi2.ppf(0.975, 2 * k + 2) / 2 / exposure
    expected = 0.1 * 30
    fig8 = Figure(
        8, "The airstrike scenario's strikes per 30 days match its rate",
        f"`{COMMAND} --only 3` (the 0.1/day arm of check 3)",
        f"`{AIRSTRIKES}` at its own rate 0.1/day (docs/odd.md: a few a month), {overrides_text(AIR)}, "
        f"{days:g} days × {seeds_text(seeds)} = {exposure:g} periods of 30 days",
        f"{k / exposure:.2f} strikes per 30 days, exact Poisson 95 % CI [{lo:.2f}, {hi:.2f}] ({k} strikes)",
        f"rate × 30 = {expected:g} inside the CI",
        lo <= expected <= hi, [])
    return fig3, fig8


def check_bounds(run: Runner) -> Figure:
    """4. Every faction within 0.25× to 4× its start over 365 days in every shipped scenario
    without faction planners: the economy's bound. (With planners, rivalries can escalate into
    wars that wear a side down; that is an outcome, checked by tests/verify_campaign.py.)"""
    paths = sorted(p.name for p in SCENARIOS.glob("*.yaml")
                   if not any(f.planner for f in _loaded(p.name, "{}").spec.factions.values()))
    specs = [("run", p, json.dumps(LONG, sort_keys=True), s) for p in paths for s in LONG_SEEDS]
    flat = run.many(specs, "365 days")
    rows = ["| scenario | faction | start | min × | max × | end × (mean) | |", "|---|---|---|---|---|---|---|"]
    ok, lo_all, hi_all = True, np.inf, 0.0
    for i, p in enumerate(paths):
        part = flat[i * len(LONG_SEEDS):(i + 1) * len(LONG_SEEDS)]
        for f in part[0]["strength_ratio"]:
            r = np.array([x["strength_ratio"][f] for x in part])
            lo, hi = r[:, 0].min(), r[:, 1].max()
            bad = lo < 0.25 or hi > 4.0
            ok &= not bad
            lo_all, hi_all = min(lo_all, lo), max(hi_all, hi)
            rows.append(f"| {Path(p).stem} | {f} | {r[0, 3]:.0f} | {lo:.2f} | {hi:.2f} | {r[:, 2].mean():.2f} | "
                        f"{'**out of bounds**' if bad else ''} |")
    return Figure(
        4, "Strengths stay within 0.25× to 4× their start over 365 days in every shipped scenario without planners",
        f"`{COMMAND} --only 4`",
        f"every `scenarios/*.yaml` ({len(paths)}) {overrides_text(LONG)}, seeds {', '.join(map(str, LONG_SEEDS))}: "
        "a bound checked on the seeds used, not an interval estimate",
        f"min ratio {lo_all:.2f}, max ratio {hi_all:.2f} over every faction, scenario, step and seed",
        "every ratio in [0.25, 4]",
        ok, rows)


def check_agreement(run: Runner, seeds, out: Path) -> Figure:
    """5. The agreement's funding cut lowers militia strength and area (compare API, paired)."""
    cmp = run_compare([SCENARIOS / "baseline.yaml", SCENARIOS / "agreement_curtails_iran.yaml"], replicates=len(seeds),
                      workers=run.workers, out=out / "agreement", sets=AGREEMENT, force=True, progress=True,
                      charts=False, log=say)
    t = cmp.table[cmp.table["arm"] == "agreement_curtails_iran"].set_index("outcome")
    base = cmp.table[cmp.table["arm"] == "baseline"].set_index("outcome")
    runs = __import__("pandas").read_parquet(cmp.folder / "runs.parquet")
    wide = runs.pivot(index="replicate", columns="arm", values="area_km2_iran_militia")
    area = mean_ci(wide["agreement_curtails_iran"] - wide["baseline"])
    s = t.loc["strength_iran_militia"]
    sh = t.loc["share_iran_militia"]
    ok = bool(s["ci_high"] < 0 and sh["ci_high"] < 0)
    lines = ["| outcome | baseline | agreement | paired difference [95 % bootstrap CI] |", "|---|---|---|---|",
             f"| militia strength (fighters) | {base.loc['strength_iran_militia', 'mean']:.0f} | {s['mean']:.0f} | "
             f"{s['diff_vs_first']:+.0f} [{s['ci_low']:+.0f}, {s['ci_high']:+.0f}] |",
             f"| militia share of the land | {base.loc['share_iran_militia', 'mean']:.2%} | {sh['mean']:.2%} | "
             f"{sh['diff_vs_first']:+.2%} [{sh['ci_low']:+.2%}, {sh['ci_high']:+.2%}] |",
             f"| militia area (km², t interval) | {wide['baseline'].mean():.0f} | "
             f"{wide['agreement_curtails_iran'].mean():.0f} | {area[0]:+.0f} [{area[1]:+.0f}, {area[2]:+.0f}] |"]
    return Figure(
        5, "The agreement's funding cut lowers militia strength and area",
        f"`python run.py compare scenarios/baseline.yaml scenarios/agreement_curtails_iran.yaml --replicates "
        f"{len(seeds)} {overrides_text(AGREEMENT)}` (through `{COMMAND} --only 5`)",
        f"{overrides_text(AGREEMENT)} (the baseline's 30 days; the cut starts on day 5), "
        f"{len(seeds)} replicates with the compare command's seeds from root {cmp.seed}, the same in both arms",
        f"strength {s['diff_vs_first']:+.0f} fighters [{s['ci_low']:+.0f}, {s['ci_high']:+.0f}]; "
        f"share {sh['diff_vs_first']:+.2%} [{sh['ci_low']:+.2%}, {sh['ci_high']:+.2%}]",
        "both paired differences < 0 with the 95 % CI excluding 0",
        ok, lines)


def check_river(run: Runner, seeds) -> Figure:
    """6. No east-bank town held by a west-bank faction at step 0 of the baseline (native settings)."""
    res = run.arm("baseline.yaml", {}, seeds, "baseline step 0", kind="start")
    towns = sorted(res[0]["towns"], key=lambda t: (res[0]["towns"][t]["bank"], t))
    west_factions = Counter(f for r in res for f in r["banks"] if west_bank(r["banks"], f))
    rows = ["| town | bank | km to a bridge | holder at step 0 (runs) | held by a west-bank faction |",
            "|---|---|---|---|---|"]
    bad_total, bad_far = 0, 0
    reach = res[0]["bridge_reach_km"]
    for t in towns:
        holders = Counter(r["towns"][t]["holder"] for r in res)
        bank = res[0]["towns"][t]["bank"]
        bad = sum(1 for r in res if bank == "east" and west_bank(r["banks"], r["towns"][t]["holder"]))
        km = res[0]["towns"][t]["bridge_km"]
        bad_total += bad
        bad_far += bad if km > reach else 0
        rows.append(f"| {t} | {bank} | {km:.0f} | {', '.join(f'{h} ({n})' for h, n in holders.most_common())} | "
                    f"{f'**{bad} of {len(res)}**' if bad else 'no'} |")
    stand = ", ".join(f"{f} ({n}/{len(res)} runs)" for f, n in sorted(west_factions.items()))
    east = [t for t in towns if res[0]["towns"][t]["bank"] == "east"]
    return Figure(
        6, "No east-bank town is held by a west-bank faction at the start of the baseline",
        f"`{COMMAND} --only 6`",
        f"`baseline.yaml` at its own settings (1 km cells), step 0 (after deployment), {seeds_text(seeds)}; "
        "a west-bank faction is one with most of its fighters on the west (right) bank",
        f"{bad_total} east-bank town holdings by a west-bank faction over {len(res)} runs × {len(east)} east-bank towns",
        "0",
        bad_total == 0, rows + ["", f"West-bank factions: {stand or 'none'}. Holdings of east-bank towns by a "
                                f"west-bank faction farther than the bridge reach ({reach:g} km, "
                                f"`control.bridge_reach_km`) from a bridge: {bad_far}."])


def check_cooptation(run: Runner, seeds) -> Figure:
    """7. Median first defection in russian_co_optation after at least 30 days."""
    res = run.arm("russian_co_optation.yaml", COOPT, seeds, "co-optation")
    days = np.array([r["first_defection_day"] if r["first_defection_day"] is not None else np.inf for r in res])
    horizon = res[0]["days"]
    median = float(np.median(days))
    # distribution-free 95 % CI for the median: order statistics of a Binomial(n, ½)
    n = len(days)
    k = int(stats.binom.ppf(0.025, n, 0.5))
    srt = np.sort(days)
    lo, hi = srt[max(k - 1, 0)], srt[min(n - k, n - 1)]

    def d(x):
        return f"> {horizon:g} (none)" if np.isinf(x) else f"{x:.1f}"

    none = int(np.isinf(days).sum())
    return Figure(
        7, "In russian_co_optation the median first defection comes after at least 30 days",
        f"`{COMMAND} --only 7`",
        f"`russian_co_optation.yaml` {overrides_text(COOPT)} ({horizon:g} days), {seeds_text(seeds)}; the first "
        "'defection' entry of each run's event log (a run without one counts as later than the horizon)",
        f"median {d(median)} days, 95 % CI (order statistics) [{d(lo)}, {d(hi)}]",
        "median ≥ 30 days",
        median >= 30,
        [f"First defection day per run (sorted): {', '.join(d(x) for x in srt)}; {none} runs without a defection."])


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


def code_state() -> str:
    """The commit measured, and the model files that differed from it (a shared checkout)."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.rstrip("\n")
        except (OSError, subprocess.CalledProcessError):
            return ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"  # porcelain lines are "XY path": keep their first blank
    dirty = [line[3:] for line in git("status", "--porcelain", "--", "sim", "agents", "scenarios").splitlines()]
    return f"commit {commit}" + (f" with uncommitted changes to {', '.join(dirty)}" if dirty else "")


def report(figures: list[Figure], elapsed: float, n: int, code: str) -> str:
    lines = [f"Measured {date.today().isoformat()} by `{COMMAND} --write` in {elapsed / 60:.1f} min on {code} "
             f"(Python {platform.python_version()}, {os.cpu_count()} CPUs; the machine was shared). {n} paired "
             "replicates per check unless stated; 95 % intervals throughout.", "",
             "| # | check | estimate | target | result |", "|---|---|---|---|---|"]
    for f in figures:
        lines.append(f"| {f.number} | {f.title} | {f.estimate} | {f.target} | **{f.verdict}** |")
    for f in figures:
        lines += ["", f"### {f.number}. {f.title} — {f.verdict}", "",
                  f"* command: {f.command}", f"* settings: {f.settings}", f"* estimate: {f.estimate}",
                  f"* target: {f.target}"]
        if f.details:
            lines += [""] + f.details
    return "\n".join(lines) + "\n"


SKELETON = f"""# Verification

How the model is verified: the test suite (`make test`) checks each mechanism quickly and
deterministically; two slower tools, run by `make verify`, check what the tests cannot afford.
`tests/verify_model.py` measures the figures the model must reproduce (issue 10, "Done when"),
each over at least 30 paired replicates with 95 % intervals; `tests/mutation/harness.py` breaks
one mechanism at a time and records which test catches it. Both rewrite their section below.
Corridor is a stylised what-if model, not a forecast: these figures check mechanisms, not
predictions.

## Figures

{BEGIN}
{END}

## Mutants

{MUTANTS_BEGIN}
{MUTANTS_END}
"""


def write_doc(text: str, begin: str = BEGIN, end: str = END, heading: str = "Figures") -> None:
    """Replace the section of docs/verification.md between the markers `begin` and `end` with
    `text` (adding it under `heading` at the end if the markers are missing)."""
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else SKELETON
    if begin not in doc or end not in doc:
        doc = doc.rstrip("\n") + f"\n\n## {heading}\n\n{begin}\n{end}\n"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    doc = pattern.sub(lambda _: f"{begin}\n{text}{end}", doc, count=1)
    tmp = DOC.with_suffix(".md.tmp")
    tmp.write_text(doc, encoding="utf-8")
    tmp.replace(DOC)


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
