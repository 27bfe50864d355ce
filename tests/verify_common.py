"""What the verification scripts share (tests/verify_model.py, verify_campaign.py, verify_calibration.py,
verify_recovery.py, verify_hindcast*.py, verify_escalation.py): seeded runs on the experiments
engine's process pool (`Runner`, `job`), the paired statistics and number formats of their
reports, a `Figure` (one check's estimate, target and PASS/FAIL), the report's Markdown, the
commit measured (`code_state`) and the atomic rewrite of one section of docs/verification.md
(`write_doc`)."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
import warnings
from collections import Counter
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
from scipy.ndimage import distance_transform_edt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.experiments.engine import open_executor  # noqa: E402
from sim.experiments.stats import mean_ci, wilson  # noqa: E402
from sim.geography import Terrain  # noqa: E402
from sim.model import CorridorModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.submodels.influence import CONTESTED  # noqa: E402

SCENARIOS = ROOT / "scenarios"


DOC = ROOT / "docs" / "verification.md"


BEGIN, END = "<!-- figures:begin -->", "<!-- figures:end -->"


MUTANTS_BEGIN, MUTANTS_END = "<!-- mutants:begin -->", "<!-- mutants:end -->"


COMMAND = "python tests/verify_model.py"


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


# ============================================================================ statistics and formats


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


# ============================================================================ the report


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
