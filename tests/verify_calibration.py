"""Verification of the calibration's cost (issue 18, "Done when": the default calibration
finishes in under 60 minutes on this 2-core machine).

The default calibration (scenarios/calibration/corridor_2017_2018.yaml) compares runs with the
record's pattern statistics; its cost is its runs. This script runs the timing probe
(tests/data/calibration/timing_probe.yaml: the same scenario, settings, window, parameters and
priors, cut to a few particles, against the model's own outcomes), measures the wall time per
run on 2 workers, and multiplies by the default's most runs: its simulation budget, plus the
last generation's overshoot (pyabc stops after the generation that reaches the budget; at most
population ÷ 0.2 runs at a 20 % acceptance), plus its posterior-predictive runs. With
`--write` the figures replace the section between `<!-- calibration:begin -->` and
`<!-- calibration:end -->` of docs/verification.md.

    .venv/bin/python tests/verify_calibration.py                       # run the probe, print
    .venv/bin/python tests/verify_calibration.py --write               # and record it
    .venv/bin/python tests/verify_calibration.py --folder OUT --write  # a probe already run with
        python run.py calibrate tests/data/calibration/timing_probe.yaml --workers 2 --out OUT

Exit status 1 when the estimate is over the limit.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from verify_model import code_state, say, write_doc  # noqa: E402

from sim.hindcast.calibfile import read_calibration  # noqa: E402

BEGIN, END = "<!-- calibration:begin -->", "<!-- calibration:end -->"
PROBE = ROOT / "tests" / "data" / "calibration" / "timing_probe.yaml"
DEFAULT = ROOT / "scenarios" / "calibration" / "corridor_2017_2018.yaml"
LIMIT_MIN = 60.0
LOWEST_ACCEPTANCE = 0.2  # of a generation past the budget (the overshoot bound)


def probe(folder: Path | None) -> Path:
    """The folder of a finished probe: `folder`, or a new one run here on 2 workers."""
    if folder is not None:
        return folder
    from sim.hindcast.calibrate import calibrate

    out = Path(tempfile.mkdtemp(prefix="calibration_probe_")) / "probe"
    calibrate(PROBE, out=out, workers=2, charts=False, log=say)
    return out


def measure(folder: Path) -> dict:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    probe_plan, default = read_calibration(PROBE), read_calibration(DEFAULT)
    simulations = int(pd.read_csv(folder / "generations.csv")["simulations"].sum())
    runs = simulations + 1 + probe_plan.spec.predictive.replicates  # + the synthetic target's run
    per_run = manifest["seconds_this_session"] / runs
    spec = default.spec
    most = spec.max_simulations + spec.population / LOWEST_ACCEPTANCE + spec.predictive.replicates
    return {"seconds": manifest["seconds_this_session"], "engine": manifest["engine"], "runs": runs,
            "per_run": per_run, "most_runs": most, "minutes": per_run * most / 60.0, "spec": spec}


def report(m: dict, load: tuple[float, float, float]) -> str:
    spec = m["spec"]
    verdict = "PASS" if m["minutes"] < LIMIT_MIN else "FAIL"
    return "\n".join([
        f"Measured by `python tests/verify_calibration.py --write` on {code_state()} (Python "
        f"{sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / "
        f"{load[2]:.1f} over 1 / 5 / 15 min at the end: the machine was shared).", "",
        "| check | estimate | target | result |", "|---|---|---|---|",
        f"| The default calibration's wall time on 2 workers | {m['minutes']:.0f} min (at most "
        f"{m['most_runs']:.0f} runs × {m['per_run']:.1f} s) | under {LIMIT_MIN:.0f} min | **{verdict}** |", "",
        f"* default: `python run.py calibrate corridor_2017_2018 --workers 2` — {len(spec.parameters)} parameters, "
        f"population {spec.population}, {spec.generations} generations, budget {spec.max_simulations} "
        f"simulations, {spec.predictive.replicates} posterior-predictive runs, at 2 km cells and 2 h steps "
        f"over {spec.window.start} to {spec.window.end}",
        f"* probe: `python run.py calibrate tests/data/calibration/timing_probe.yaml --workers 2` — {m['runs']} "
        f"runs of the same scenario, settings and window in {m['seconds']:.0f} s on {m['engine']}: "
        f"{m['per_run']:.1f} s of wall time per run",
        f"* most runs of the default: the budget {spec.max_simulations} + one generation past it "
        f"({spec.population} ÷ {LOWEST_ACCEPTANCE}) + {spec.predictive.replicates} predictive runs",
        "* the default compares with the record's pattern statistics (`sim.hindcast.patterns`); the probe "
        "with the runs' outcomes: the statistics cost little beside a run", ""])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folder", type=Path, help="a finished probe's folder, instead of running the probe")
    ap.add_argument("--write", action="store_true", help="rewrite the calibration section of docs/verification.md")
    args = ap.parse_args(argv)
    m = measure(probe(args.folder))
    text = report(m, os.getloadavg())
    print(text)
    if args.write:
        write_doc(text, BEGIN, END, "Calibration (issue 18)")
        say("wrote docs/verification.md")
    return 0 if m["minutes"] < LIMIT_MIN else 1


if __name__ == "__main__":
    sys.exit(main())
