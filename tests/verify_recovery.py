"""Verification of parameter recovery by coverage (issue 18, "Done when": calibrating on runs the
model itself produced at known parameters puts the true values inside the 90 % posterior intervals).

One target per test is not evidence: a correct calibration's 90 % interval misses the truth for
about one target in ten, and a target picked because it passes says nothing. The standard check
is coverage over many targets drawn from the prior (Cook, Gelman & Rubin 2006; simulation-based
calibration, Talts, Betancourt, Simpson, Vehtari & Gelman 2018, arXiv:1804.06788): if the
posterior is right, a 90 % interval contains the truth for 90 % of targets drawn from the prior.

A *case* is a calibration file whose target is the model's own run (tests/data/calibration/:
`airstrike` — the airstrike rate from the strike count, 15 days at 4 km / 4 h; `hindcast` — the
strike and ambush rates of the hindcast scenario from the record's kind of statistics;
`hindcast_no_tempo` — the same with the operational tempo off, where the ambush rate is
identifiable). For K
targets, drawn by ``numpy.random.default_rng(TARGET_SEED)`` (per target: each parameter from
its prior in the file's order, then the target run's seed and the calibration's seed, both
integers below 2**31), the case is calibrated once per target, with the file's population,
generations and distance. Per parameter, the count of true values inside their 90 % posterior
interval [q05, q95] is compared with the binomial floor: the largest k with
P(X < k | K, 0.9) < 1 % (`binomial_floor`). Each interval's width relative to the prior's 90 %
interval (on the log scale for a log-uniform prior) is recorded; its median over targets below
0.5 says the posterior learnt something from the statistics.

Targets are calibrated `--workers` at a time (each calibration on one worker: the posterior of a
calibration does not depend on its workers). Each target's folder under `--root` is kept; a
rerun reuses the finished ones, so a stopped verification continues. With `--write` the figures
replace the case's section of docs/verification.md (`<!-- recovery-CASE:begin -->` … `end`).

    .venv/bin/python tests/verify_recovery.py --case airstrike --targets 20 --write
    .venv/bin/python tests/verify_recovery.py --case hindcast --targets 10 --workers 2 --write
    .venv/bin/python tests/verify_recovery.py --case hindcast_no_tempo --targets 10 --workers 2 --write

Exit status 1 when a parameter's coverage is below the floor or its median width ratio is not
below 0.5; 2 when a target cannot be calibrated (such as an unfinished target folder begun by
another code version: choose another `--root`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from verify_calibration import prior_draw  # noqa: E402
from verify_common import code_state, say, write_doc  # noqa: E402

from sim.experiments.stats import wilson  # noqa: E402
from sim.hindcast.calibfile import Prior, read_calibration  # noqa: E402
from sim.program.errors import UserError  # noqa: E402

CASES = {"airstrike": ROOT / "tests" / "data" / "calibration" / "airstrike_recovery.yaml",
         "hindcast": ROOT / "tests" / "data" / "calibration" / "hindcast_recovery.yaml",
         "hindcast_no_tempo": ROOT / "tests" / "data" / "calibration" / "hindcast_recovery_no_tempo.yaml"}
TARGET_SEED = 20261206  # the targets' draws (parameters and seeds), for every case
LEVEL = 0.9  # the posterior interval checked: [q05, q95]
ALARM = 0.01  # the chance that a correct calibration's coverage falls below the floor
NARROW = 0.5  # the median posterior/prior interval width must be below this
COMMAND = "python tests/verify_recovery.py"


@dataclass(frozen=True)
class Target:
    """A known truth: the parameters ({key path: value}), the seed of the run that gives the
    observations, and the seed of its calibration."""

    parameters: dict
    seed: int
    calibration_seed: int


def draw_targets(priors: list[Prior], k: int, seed: int = TARGET_SEED) -> list[Target]:
    """`k` targets drawn from the priors by ``default_rng(seed)``: per target, each parameter
    (in the priors' order), then the run's seed and the calibration's seed (below 2**31)."""
    rng = np.random.default_rng(seed)
    targets = []
    for _ in range(k):
        values = {p.key: prior_draw(p, rng) for p in priors}
        targets.append(Target(values, int(rng.integers(2**31)), int(rng.integers(2**31))))
    return targets


def prior_width(p: Prior) -> float:
    """Width of the prior's central 90 % interval: on the value's scale (uniform, normal) or on
    the log scale (log-uniform)."""
    if p.kind == "uniform":
        return LEVEL * (p.b - p.a)
    if p.kind == "loguniform":
        return LEVEL * math.log(p.b / p.a)
    return 2 * stats.norm.ppf(0.5 + LEVEL / 2) * p.b


def width_ratio(p: Prior, low: float, high: float) -> float:
    """A posterior interval's width over the prior's (log scale for a log-uniform prior)."""
    width = math.log(high / low) if p.kind == "loguniform" else high - low
    return width / prior_width(p)


def binomial_floor(k: int, level: float = LEVEL, alarm: float = ALARM) -> int:
    """The largest count m with P(X < m) < `alarm` for X ~ Binomial(k, level): a correct
    calibration's coverage count falls below it with probability under `alarm`."""
    m = 0
    while m < k and stats.binom.cdf(m, k, level) < alarm:  # cdf(m) = P(X < m + 1)
        m += 1
    return m


def target_file(case: Path, target: Target, folder: Path, population: int | None = None,
                generations: int | None = None) -> Path:
    """The case's calibration file with `target` (and optionally another population or number of
    generations) written into `folder`; the scenario path made absolute."""
    data = yaml.safe_load(case.read_text(encoding="utf-8"))
    data["scenario"] = str((case.parent / data["scenario"]).resolve())
    data["target"] = {"parameters": target.parameters, "seed": target.seed}
    data["seed"] = target.calibration_seed
    if population is not None:
        data["population"] = population
    if generations is not None:
        data["generations"] = generations
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "calibration.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def recover_one(path: Path) -> dict:
    """Calibrate the file `path` into `path`'s folder/out on one worker (or read the finished
    result there); returns {"intervals": {key: (q05, q95)}, "cpu": s, "simulations": n}."""
    from sim.hindcast.calibrate import calibrate

    out = path.parent / "out"
    manifest = out / "manifest.json"
    done = manifest.is_file() and json.loads(manifest.read_text(encoding="utf-8")).get("status") == "complete"
    if not done:
        calibrate(path, out=out, resume=out.is_dir(), workers=1, progress=False, charts=False, log=lambda _: None)
    man = json.loads(manifest.read_text(encoding="utf-8"))
    q = pd.read_csv(out / "intervals.csv").set_index("parameter")
    return {"intervals": {k: (float(q.loc[k, "q05"]), float(q.loc[k, "q95"])) for k in q.index},
            "cpu": float(man["cpu_seconds_this_session"]), "simulations": int(man["simulations"])}


def recover(case: Path, k: int, root: Path, workers: int = 1, population: int | None = None,
            generations: int | None = None, progress: bool = True) -> pd.DataFrame:
    """Calibrate `case` on `k` targets drawn from its priors (`draw_targets`), `workers` at once,
    in root/target_NN; one row per target and parameter: target, parameter, truth, q05, q95,
    inside (q05 <= truth <= q95), width_ratio, cpu (s, the target's calibration), simulations."""
    plan = read_calibration(case)
    targets = draw_targets(plan.priors, k)
    paths = [target_file(case, t, root / f"target_{i:02d}", population, generations) for i, t in enumerate(targets)]
    results: list[dict | None] = [None] * k
    for n, (i, result) in enumerate(_calibrated(paths, workers), 1):
        results[i] = result
        if progress:
            say(f"  target {i + 1}/{k} calibrated ({n}/{k} done, {result['cpu']:.0f} s CPU)")
    rows = []
    for i, (t, r) in enumerate(zip(targets, results, strict=True)):
        for p in plan.priors:
            low, high = r["intervals"][p.key]
            truth = t.parameters[p.key]
            rows.append({"target": i + 1, "parameter": p.key, "truth": truth, "q05": low, "q95": high,
                         "inside": bool(low <= truth <= high), "width_ratio": width_ratio(p, low, high),
                         "seed": t.seed, "cpu": r["cpu"], "simulations": r["simulations"]})
    return pd.DataFrame(rows)


def _calibrated(paths: list[Path], workers: int):
    """(index, `recover_one` result) for each path as its calibration finishes."""
    if workers == 1:
        for i, path in enumerate(paths):
            yield i, recover_one(path)
        return
    from sim.experiments.engine import open_executor

    with open_executor(workers, None) as (pool, _, _):
        futures = {pool.submit(recover_one, path): i for i, path in enumerate(paths)}
        for future in as_completed(futures):
            yield futures[future], future.result()


def coverage(rows: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: targets, inside (count), share with its 95 % Wilson interval, the floor
    (`binomial_floor`), the median width ratio, and whether both checks pass."""
    out = []
    for key, g in rows.groupby("parameter", sort=False):
        k, inside = len(g), int(g["inside"].sum())
        share, low, high = wilson(inside, k)
        floor = binomial_floor(k)
        median = float(g["width_ratio"].median())
        out.append({"parameter": key, "targets": k, "inside": inside, "share": share, "wilson_low": low,
                    "wilson_high": high, "floor": floor, "median_width_ratio": median,
                    "pass": inside >= floor and median < NARROW})
    return pd.DataFrame(out)


def report(case: str, rows: pd.DataFrame, cov: pd.DataFrame, plan, argv: list[str]) -> str:
    spec = plan.spec
    k = int(rows["target"].max())
    cpu = rows.groupby("target")["cpu"].first()
    sims = rows.groupby("target")["simulations"].first()
    lines = [f"Measured by `{COMMAND} {' '.join(argv)}` on {code_state()} (Python {sys.version.split()[0]}, "
             f"{os.cpu_count()} CPUs; the machine was shared). Case `{case}`: `{plan.file.relative_to(ROOT)}` — "
             f"`{plan.scenario.name}` with {plan.sets}, statistics {spec.statistics} ({', '.join(spec.use)}), "
             f"{spec.distance.kind} distance, population {spec.population}, {spec.generations} generations "
             f"(0 is the prior). {k} targets drawn from the priors by `default_rng({TARGET_SEED})`; "
             f"{cpu.sum() / 60:.1f} min CPU in all ({cpu.median():.1f} s and {sims.median():.0f} runs per "
             "calibration, median).", "",
             "| parameter | truth inside its 90 % interval | share [95 % Wilson] | floor (P(X < floor) < 1 % at 90 %) "
             "| median width / prior's | result |", "|---|---|---|---|---|---|"]
    for _, c in cov.iterrows():
        lines.append(f"| `{c['parameter']}` | {c['inside']} of {c['targets']} | {c['share']:.0%} "
                     f"[{c['wilson_low']:.0%}, {c['wilson_high']:.0%}] | {c['floor']} | "
                     f"{c['median_width_ratio']:.2f} (< {NARROW}) | **{'PASS' if c['pass'] else 'FAIL'}** |")
    keys = list(cov["parameter"])
    short = [key.split(".")[-1] for key in keys]
    lines += ["", "| target | seed | " + " | ".join(f"{s}: truth, 90 % interval, inside?" for s in short) + " |",
              "|---|---|" + "---|" * len(keys)]
    for t, g in rows.groupby("target"):
        g = g.set_index("parameter")
        cells = [f"{g.loc[key, 'truth']:.3g}, [{g.loc[key, 'q05']:.3g}, {g.loc[key, 'q95']:.3g}], "
                 f"{'yes' if g.loc[key, 'inside'] else '**no**'}" for key in keys]
        lines.append(f"| {t} | {int(g['seed'].iloc[0])} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", choices=sorted(CASES), default="airstrike")
    ap.add_argument("--targets", type=int, default=20, help="targets drawn from the prior (default 20)")
    ap.add_argument("--workers", type=int, default=1, help="calibrations at once (default 1)")
    ap.add_argument("--population", type=int, help="particles per generation (default: the case file's)")
    ap.add_argument("--generations", type=int, help="generations (default: the case file's)")
    ap.add_argument("--root", type=Path, help="folder of the targets' calibrations (default "
                                              "outputs/recovery/CASE[_pPOP][_gGEN]); finished ones are reused")
    ap.add_argument("--write", action="store_true", help="rewrite the case's section of docs/verification.md")
    args = ap.parse_args(argv)
    if args.targets < 1 or args.workers < 1:
        ap.error("--targets and --workers: expected whole numbers >= 1")
    if args.write and (args.population or args.generations):
        ap.error("--write records the case file's own settings: drop --population and --generations")
    plan = read_calibration(CASES[args.case])
    suffix = "".join(f"_{c}{v}" for c, v in (("p", args.population), ("g", args.generations)) if v)
    root = args.root or ROOT / "outputs" / "recovery" / f"{args.case}{suffix}"
    say(f"{args.case}: {args.targets} targets, {args.workers} at once → {root}")
    try:
        rows = recover(CASES[args.case], args.targets, root, args.workers, args.population, args.generations)
    except UserError as err:  # e.g. a target left unfinished by another code version: choose another --root
        say(str(err))
        return 2
    cov = coverage(rows)
    text = report(args.case, rows, cov, plan, argv)
    print(text)
    if args.write:
        write_doc(text, f"<!-- recovery-{args.case}:begin -->", f"<!-- recovery-{args.case}:end -->",
                  "Parameter recovery by coverage (issue 18)")
        say("wrote docs/verification.md")
    return 0 if cov["pass"].all() else 1


if __name__ == "__main__":
    sys.exit(main())
