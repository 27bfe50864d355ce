"""Checks 3–8 of tests/verify_model.py (the command that runs them and writes their figures):
the shipped what-ifs' effects over paired replicates — airstrikes (3, and the strike rate, 8),
the agreement's funding cut (5), Russia's co-optation (7) — every faction's bounds over a year
(4), and the banks' holders at the start (6)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import stats
from verify_common import (
    COMMAND,
    SCENARIOS,
    Figure,
    Runner,
    _loaded,
    overrides_text,
    pct,
    say,
    seeds_text,
    west_bank,
)

from sim.experiments.compare import run_compare
from sim.experiments.stats import mean_ci

AIRSTRIKES = "airstrike_campaign.yaml"
AIR = {"map.cell_km": 2.0, "time.step_hours": 6}
AIR_RATES = (0.1, 0.3, 0.5, 0.75, 1.0)  # per day; 0 is the paired control; 0.1 is the scenario's own
TARGET_LOSS = 0.30

LONG = {"map.cell_km": 2.0, "time.step_hours": 12, "time.duration_days": 365}
LONG_SEEDS = (1, 2, 3)
COOPT = {"map.cell_km": 2.0, "time.step_hours": 12}
AGREEMENT = {"map.cell_km": 2.0, "time.step_hours": 6}


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
