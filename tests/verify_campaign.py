"""Verification of issue 11's "Done when" figures: the corridor campaign (slow: kept out of the
test suite; `make verify` runs it).

Each check runs at least 30 paired replicates (common random numbers: the same seeds in every
arm) at 2 km cells and 2 h steps (check 5 times the scenario at its own 1 km and 1 h), reports
its estimate with a 95 % interval (Student-t for paired differences, Wilson for shares of runs),
the target and PASS/FAIL. With `--write` the figures replace the section between
`<!-- campaign:begin -->` and `<!-- campaign:end -->` of docs/verification.md.

    .venv/bin/python tests/verify_campaign.py              # every check, print the report
    .venv/bin/python tests/verify_campaign.py --only 1 5   # some checks
    .venv/bin/python tests/verify_campaign.py --write      # every check, record the figures

Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from verify_common import (  # noqa: E402
    DOC,
    Figure,
    Runner,
    _loaded,
    code_state,
    overrides_text,
    paired_t,
    report,
    say,
    seeds_text,
    share_text,
    write_doc,
)

from sim.model import CorridorModel  # noqa: E402

BEGIN, END = "<!-- campaign:begin -->", "<!-- campaign:end -->"
COMMAND = "python tests/verify_campaign.py"
CAMPAIGN = "corridor_campaign.yaml"
#: the what-if whose escalation check 3 measures and whose checkpoint checks 1 and 2 measure: Russia
#: funded beyond its deployment, with the means to push convoys (the record-funded campaign stays calm
#: and sends no convoy to the border, as the record did; its figures are reported beside)
EXPANDS = "campaign_russia_expands.yaml"
#: the blockade's arm in checks 1 and 2, and its open road: the same what-if without the checkpoint
BLOCKADE = EXPANDS
OPEN_ROAD = "campaign_no_blockade.yaml"
#: the record-funded campaign's open road, reported beside checks 1 and 2 (what campaign_no_blockade.yaml
#: changes, as --set on corridor_campaign.yaml)
NO_CHECKPOINT = {"rules.checkpoint_blockade.enabled": False, "factions.iran_militia.planner.deny": []}
RECORD_OPEN = f"{CAMPAIGN} {overrides_text(NO_CHECKPOINT)}"
RECORD_NOTE = ("0 is the figure consistent with the record (Russia, funded for its deployment, sends no convoy "
               "to the border; no Russian land bridge to Al-Qa'im in 2017–2019)")
#: the what-ifs whose land bridge check 2 measures (each costs 30 runs of a year; add more with --what-if)
WHAT_IFS = ("campaign_no_blockade.yaml",)
COARSE = {"map.cell_km": 2.0, "time.step_hours": 2}
DAYS_90 = {**COARSE, "time.duration_days": 90}
PLANNERS_OFF = {f"factions.{f}.planner": False for f in ("russia", "iran_militia", "coalition")}
SPEED_LIMIT_S = 60.0


def _excludes_zero(lo: float, hi: float) -> bool:
    return lo > 0 or hi < 0


def _open_minus_blockade(blockade: list[dict], open_road: list[dict]) -> tuple[list[str], bool]:
    """Paired open road − blockade differences of the Russian-held share of the land and of the share
    of steps Russia's land bridge is open, as text; True when both 95 % intervals exclude 0."""
    parts, ok = [], True
    for key, what in (("share_russia", "Russian-held share of the land"),
                      ("land_bridge_russia_open_share", "share of steps Russia's land bridge is open")):
        a = [r[key] for r in blockade]
        b = [r[key] for r in open_road]
        m, lo, hi = paired_t(a, b)
        ok &= _excludes_zero(lo, hi)
        parts.append(f"{what}: open road − blockade {m:+.4f} [{lo:+.4f}, {hi:+.4f}] "
                     f"(blockade {np.mean(a):.4f}, open road {np.mean(b):.4f})")
    return parts, ok


def blockade_figure(arms: dict[str, list[dict]], seeds) -> Figure:
    """Check 1 from its four arms of run summaries (keys BLOCKADE, OPEN_ROAD, CAMPAIGN, RECORD_OPEN):
    the target on the what-if's pair, the record-funded pair reported beside it."""
    parts, ok = _open_minus_blockade(arms[BLOCKADE], arms[OPEN_ROAD])
    record, _ = _open_minus_blockade(arms[CAMPAIGN], arms[RECORD_OPEN])
    detail = [f"* {CAMPAIGN} (Russia funded as the record's deployment) against {RECORD_OPEN}: "
              f"{'; '.join(record)}; {RECORD_NOTE}"]
    return Figure(1, "Blockade against open road over 90 days of the what-if with Russia expanding",
                  f"`{COMMAND} --only 1`", f"{BLOCKADE} (the blockade) against {OPEN_ROAD}, "
                  f"{overrides_text(DAYS_90)}, {seeds_text(seeds)}", "; ".join(parts),
                  "both paired intervals exclude 0", ok, detail)


def check_blockade(run: Runner, seeds) -> Figure:
    """1. Blockade against open road over 90 days: Russian share of the corridor, land bridge."""
    arms = {BLOCKADE: run.arm(BLOCKADE, DAYS_90, seeds, "Russia expanding, 90 days"),
            OPEN_ROAD: run.arm(OPEN_ROAD, DAYS_90, seeds, "no blockade, 90 days"),
            CAMPAIGN: run.arm(CAMPAIGN, DAYS_90, seeds, "campaign, 90 days"),
            RECORD_OPEN: run.arm(CAMPAIGN, {**DAYS_90, **NO_CHECKPOINT}, seeds, "campaign without checkpoint, 90 days")}
    return blockade_figure(arms, seeds)


def _opened(results) -> np.ndarray:
    return np.array([r["land_bridge_russia_open_share"] > 0 for r in results])


def check_land_bridge(run: Runner, seeds, year: dict[str, list[dict]], what_ifs) -> Figure:
    """2. Russia's land bridge opens in most runs of a what-if and a minority of the blockade's (the
    what-if with Russia expanding); the record-funded pair is reported beside it. `year` holds a year's
    run summaries under BLOCKADE, CAMPAIGN, RECORD_OPEN and each name in `what_ifs`."""
    blockade = _opened(year[BLOCKADE])
    lines, best = [], None
    for name in what_ifs:
        opened = _opened(year[name])
        lines.append(f"* {name}: opened in {share_text(opened)} of runs")
        if best is None or opened.mean() > best[1].mean():
            best = (name, opened)
    lines.append(f"* {CAMPAIGN} (Russia funded as the record's deployment): opened in "
                 f"{share_text(_opened(year[CAMPAIGN]))} of runs with the checkpoint, "
                 f"{share_text(_opened(year[RECORD_OPEN]))} without it ({RECORD_OPEN}); {RECORD_NOTE}")
    ok = best[1].mean() > 0.5 and blockade.mean() < 0.5
    return Figure(2, "Russia's land bridge opens in most runs of a what-if, a minority of the blockade's",
                  f"`{COMMAND} --only 2`", f"365 days, {overrides_text(COARSE)}, {seeds_text(seeds)}; "
                  "'opens': open in at least one step",
                  f"{best[0]}: {share_text(best[1])}; {BLOCKADE} (the blockade): {share_text(blockade)}",
                  "a what-if above 50 %, the blockade below 50 %", ok, lines)


def _escalated(results) -> np.ndarray:
    return np.array([r["tension.escalations"] > 0 for r in results])


def check_escalation(year: dict[str, list[dict]], seeds) -> Figure:
    """3. Escalation happens in some runs of the what-if with Russia expanding and not in others; the
    record-funded campaign's count is reported beside it (0 is the record-consistent figure)."""
    escalated = _escalated(year[EXPANDS])
    calm = _escalated(year[CAMPAIGN])
    days = [r["hostile_iran_militia_russia_share"] * 365 for r in year[EXPANDS] if r["tension.escalations"] > 0]
    ok = 0 < escalated.sum() < len(escalated)
    detail = [f"* days hostile in the runs that escalated: median {np.median(days):.0f}" if days else "* none",
              f"* {CAMPAIGN} (Russia funded as the record's deployment): hostile in {share_text(calm)} of runs; "
              "0 is the figure consistent with the record (friction, not war, between Russia and the militias "
              "in 2017–2019)"]
    return Figure(3, "Escalation in some runs of the what-if with Russia expanding and not in others",
                  f"`{COMMAND} --only 3`", f"{EXPANDS} (Russia at 9,000 US$ a day), 365 days, {overrides_text(COARSE)}, "
                  f"{seeds_text(seeds)}",
                  f"runs in which Iran-backed militias and Russia turned hostile: {share_text(escalated)} "
                  f"({CAMPAIGN} as the record funds it: {share_text(calm)})",
                  "some but not all runs of the what-if", ok, detail)


def check_planners(run: Runner, seeds, year: dict[str, list[dict]]) -> Figure:
    """4. Planners on against off: a paired comparison with a visible effect."""
    off = run.arm(CAMPAIGN, {**COARSE, **PLANNERS_OFF}, seeds, "planners off, 365 days")
    on = year[CAMPAIGN]
    parts, ok = [], False
    for key, what in (("strength_russia", "Russian fighters at the end"),
                      ("share_russia", "Russian-held share of the land at the end"),
                      ("convoys_withdrew", "convoys turned back")):
        m, lo, hi = paired_t([r[key] for r in off], [r[key] for r in on])
        ok |= _excludes_zero(lo, hi)
        parts.append(f"{what}: on − off {m:+.4g} [{lo:+.4g}, {hi:+.4g}]")
    return Figure(4, "Planners on against off (paired)", f"`{COMMAND} --only 4`",
                  f"{CAMPAIGN} with and without {overrides_text(PLANNERS_OFF)}, 365 days, {overrides_text(COARSE)}, "
                  f"{seeds_text(seeds)}", "; ".join(parts), "an interval excludes 0", ok)


def check_speed() -> Figure:
    """5. A 365-day run of the campaign at 1 km and 1 h, timed in this process."""
    loaded = _loaded(CAMPAIGN, "{}")
    model = CorridorModel(loaded, None, frame_every_hours=24.0)
    started = time.perf_counter()
    model.run()
    seconds = time.perf_counter() - started
    return Figure(5, "A year of the campaign at 1 km and 1 h", f"`{COMMAND} --only 5`",
                  f"{CAMPAIGN} as shipped ({loaded.spec.time.duration_days:g} days, "
                  f"{loaded.spec.map.cell_km:g} km, {loaded.spec.time.step_hours:g} h), its own seed",
                  f"{seconds:.1f} s simulated ({model.n_steps} steps)", f"under {SPEED_LIMIT_S:g} s",
                  seconds < SPEED_LIMIT_S)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", type=int, nargs="+", choices=range(1, 6), metavar="N", help="checks to run (1–5)")
    ap.add_argument("--seeds", type=int, default=30, help="paired replicates per check (default 30)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--what-if", action="append", default=[], metavar="FILE",
                    help=f"more campaign what-ifs for check 2 (besides {', '.join(WHAT_IFS)})")
    ap.add_argument("--write", action="store_true", help="rewrite the campaign section of docs/verification.md")
    args = ap.parse_args()
    if args.write and (args.only or args.seeds < 30):
        ap.error("--write records every check at 30 or more replicates: drop --only and --seeds")
    warnings.simplefilter("ignore", UserWarning)
    want = set(args.only or range(1, 6))
    seeds = range(1, args.seeds + 1)
    run = Runner(args.workers)
    code = code_state()
    started = time.perf_counter()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="verify_campaign_"):
        if 5 in want:
            figures.append(check_speed())
        if 1 in want:
            figures.append(check_blockade(run, seeds))
        if want & {2, 3, 4}:
            what_ifs = (*WHAT_IFS, *args.what_if)
            names = (CAMPAIGN, *((BLOCKADE, *what_ifs) if 2 in want else ()), *((EXPANDS,) if 3 in want else ()))
            year = {name: run.arm(name, COARSE, seeds, f"{name}, 365 days") for name in dict.fromkeys(names)}
            if 2 in want:
                year[RECORD_OPEN] = run.arm(CAMPAIGN, {**COARSE, **NO_CHECKPOINT}, seeds,
                                            f"{CAMPAIGN} without the checkpoint, 365 days")
            if 2 in want:
                figures.append(check_land_bridge(run, seeds, year, what_ifs))
            if 3 in want:
                figures.append(check_escalation(year, seeds))
            if 4 in want:
                figures.append(check_planners(run, seeds, year))
    for f in figures:
        say(f"  {f.number}. {f.verdict}: {f.estimate}")
    figures.sort(key=lambda f: f.number)
    elapsed = time.perf_counter() - started
    text = report(figures, elapsed, args.seeds, code).replace("tests/verify_model.py", "tests/verify_campaign.py")
    print(text)
    if args.write:
        write_doc(text, BEGIN, END, "The corridor campaign (issue 11)")
        say(f"wrote {DOC.relative_to(ROOT)}")
    return 0 if all(f.passed for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
