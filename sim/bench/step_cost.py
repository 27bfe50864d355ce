"""Benchmark: Corridor's step cost against Mesa's own Epstein civil-violence example, measured
in the same run on the same machine, so the ratios hold whatever the machine's speed.

Run by `python run.py bench`. Each configuration runs in a fresh subprocess (`python -m
sim.bench.step_cost --one SPEC`) so that its peak memory is its own. Corridor: the default
scenario with every standing force and insurgent group multiplied to reach about 1k, 4k, 16k
and 32k agents on the 1 km map, the same with fixed agents at 2, 1 and 0.5 km cells, and 32k
agents on ~40,000 cells (0.75 km).
Mesa: EpsteinCivilViolence at 40 × 40, 100 × 100 and 200 × 200. Both run 100 steps headless.

Each step's cost is measured twice: wall time (`time.perf_counter`) and the process's CPU time
(`time.process_time`). The ratios and the chart use CPU time, which holds on a shared machine
where wall time also measures the neighbours; the wall figures are printed beside them.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from sim.program.folders import DEFAULT_SCENARIO, OUTPUTS

STEPS = 100


def corridor_overrides(factor: float, cell_km: float) -> dict:
    """Multiply every non-convoy force of the default scenario by `factor`."""
    from sim.scenario import load_scenario

    loaded = load_scenario(DEFAULT_SCENARIO)
    overrides: dict = {"map.cell_km": cell_km, "time.duration_days": STEPS / 24.0 + 1}
    for i, force in enumerate(loaded.resolved["forces"]):
        if force["kind"] != "convoy":
            overrides[f"forces[{i}].units"] = max(1, int(round(force.get("units", 1) * factor)))
    return overrides


def measure_corridor(factor: float, cell_km: float) -> dict:
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    loaded = load_scenario(DEFAULT_SCENARIO, overrides=corridor_overrides(factor, cell_km))
    model, row = timed_steps(lambda: CorridorModel(loaded, seed=1))
    return {"model": "corridor", "cells": int(np.prod(model.map.shape)), "cell_km": cell_km, **row}


def measure_epstein(side: int) -> dict:
    from mesa.examples.advanced.epstein_civil_violence.model import EpsteinCivilViolence

    _, row = timed_steps(lambda: EpsteinCivilViolence(width=side, height=side))
    return {"model": "mesa_epstein", "cells": side * side, "cell_km": None, **row}


def timed_steps(build):
    """Build a model with `build()` and run it `STEPS` steps: (model, row) with `agents` (at the
    start), `agents_end`, `build_s` (wall s), `step_ms` (wall ms a step) and `cpu_step_ms` (the
    process's CPU ms a step)."""
    started = time.perf_counter()
    model = build()
    built, cpu_built = time.perf_counter(), time.process_time()
    agents = len(model.agents)
    for _ in range(STEPS):
        model.step()
    ran, cpu_ran = time.perf_counter(), time.process_time()
    return model, {"agents": agents, "agents_end": len(model.agents), "build_s": built - started,
                   "step_ms": (ran - built) / STEPS * 1e3, "cpu_step_ms": (cpu_ran - cpu_built) / STEPS * 1e3}


def run_one(spec: dict) -> dict:
    if spec["model"] == "corridor":
        row = measure_corridor(spec["factor"], spec["cell_km"])
    else:
        row = measure_epstein(spec["side"])
    row["label"] = spec["label"]
    row["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    row["us_per_agent_step"] = row["step_ms"] * 1e3 / row["agents"]  # wall
    row["cpu_us_per_agent_step"] = row["cpu_step_ms"] * 1e3 / row["agents"]
    return row


def default_units() -> int:
    """Agents in the default scenario: the unit of the scale factor."""
    from sim.scenario import load_scenario

    return sum(f.units for f in load_scenario(DEFAULT_SCENARIO).spec.forces)


def plan() -> list[dict]:
    base = default_units()
    specs = [{"model": "corridor", "label": f"corridor {n // 1000}k agents, 1 km", "factor": n / base,
              "cell_km": 1.0, "group": "agents"} for n in (1000, 4000, 16000, 32000)]
    specs += [{"model": "corridor", "label": f"corridor 4k agents, {km:g} km", "factor": 4000 / base,
               "cell_km": km, "group": "cells"} for km in (2.0, 0.5)]
    specs.append({"model": "corridor", "label": "corridor 32k agents, 0.75 km", "factor": 32000 / base,
                  "cell_km": 0.75, "group": "target"})
    specs += [{"model": "mesa_epstein", "label": f"mesa epstein {s}x{s}", "side": s, "group": "mesa"}
              for s in (40, 100, 200)]
    return specs


def fitted_exponent(x, y) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def main(out_dir: Path | None = None) -> int:
    import pandas as pd

    from sim.program.output import check_destination, new_run_folder, publish_folder, write_atomic

    out = Path(out_dir) if out_dir else new_run_folder(OUTPUTS, "bench")
    check_destination(out, kind="bench", forceable=False)  # before ten minutes of measuring (bench has no --force)
    rows = []
    for spec in plan():
        print(f"  measuring {spec['label']} …", file=sys.stderr, flush=True)
        proc = subprocess.run([sys.executable, "-m", "sim.bench.step_cost", "--one", json.dumps(spec)],
                              capture_output=True, text=True, check=True)
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        row["group"] = spec["group"]
        rows.append(row)
    table = pd.DataFrame(rows)
    by = {r["label"]: r for r in rows}
    agents_rows = table[table["group"] == "agents"]
    cells_rows = table[table["label"].isin(["corridor 4k agents, 2 km", "corridor 4k agents, 1 km",
                                            "corridor 4k agents, 0.5 km"])]
    mesa_big = by["mesa epstein 200x200"]
    target = by["corridor 32k agents, 0.75 km"]
    first, last = agents_rows.iloc[0], agents_rows.iloc[-1]
    cpu = "cpu_us_per_agent_step"
    figures = {
        "corridor_cpu_us_per_agent_step_32k_40k_cells": target[cpu],
        "mesa_cpu_us_per_agent_step_200x200": mesa_big[cpu],
        "ratio_corridor_to_mesa_cpu": target[cpu] / mesa_big[cpu],
        "ratio_corridor_to_mesa_wall": target["us_per_agent_step"] / mesa_big["us_per_agent_step"],
        "corridor_growth_1k_to_32k": last[cpu] / first[cpu],
        "mesa_growth_40_to_200": mesa_big[cpu] / by["mesa epstein 40x40"][cpu],
        "exponent_time_vs_agents": fitted_exponent(agents_rows["agents"], agents_rows["cpu_step_ms"]),
        "exponent_time_vs_cells": fitted_exponent(cells_rows["cells"], cells_rows["cpu_step_ms"]),
        "corridor_peak_mb_32k": target["peak_mb"],
        "mesa_peak_mb_200x200": mesa_big["peak_mb"],
    }
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(table[["label", "agents", "cells", "cpu_step_ms", "cpu_us_per_agent_step", "step_ms", "us_per_agent_step",
                     "peak_mb", "build_s"]].to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    print("(cpu_: the process's CPU time; the rest wall time)")
    print()
    print(f"Corridor at ~32k agents on {target['cells']:,} cells: {target[cpu]:.2f} µs of CPU per agent-step vs Mesa "
          f"Epstein 200×200: {mesa_big[cpu]:.2f} µs → ratio {figures['ratio_corridor_to_mesa_cpu']:.3f} (issue 20: ≤ 0.03; "
          f"of wall time {figures['ratio_corridor_to_mesa_wall']:.3f})")
    print(f"CPU cost per agent-step from 1k to 32k agents: × {figures['corridor_growth_1k_to_32k']:.2f} "
          f"(target ≤ 1.2; Mesa Epstein 40→200: × {figures['mesa_growth_40_to_200']:.2f})")
    print(f"Fitted exponent of step CPU time against agents: {figures['exponent_time_vs_agents']:.2f} (target ≤ 1.1); "
          f"against cells (4k agents, 2/1/0.5 km): {figures['exponent_time_vs_cells']:.2f} (target ≤ 1.1)")
    print(f"Peak memory at 32k agents: {figures['corridor_peak_mb_32k']:.0f} MB vs Mesa Epstein 200×200: "
          f"{figures['mesa_peak_mb_200x200']:.0f} MB (target: below)")

    def build(tmp: Path) -> None:
        write_atomic(tmp / "bench.csv", lambda f: table.to_csv(f, index=False))
        write_atomic(tmp / "figures.json", lambda f: f.write_text(json.dumps(figures, indent=2)))
        draw_chart(table, tmp / "bench.png")

    publish_folder(build, out, kind="bench")
    print(f"wrote {out}")
    return 0


def draw_chart(table, out: Path) -> None:
    from matplotlib.figure import Figure  # not pyplot: the caller's backend stays as it was

    from sim.program.output import write_atomic

    fig = Figure(figsize=(11, 4.5), dpi=120)
    ax1, ax2 = fig.subplots(1, 2)
    # Okabe–Ito blue and vermillion, with different markers: apart for colour-blind viewers too
    for model, color, marker, label in (("corridor", "#0072B2", "o", "Corridor (default scenario scaled)"),
                                        ("mesa_epstein", "#D55E00", "s", "Mesa Epstein civil violence")):
        rows = table[(table["model"] == model) & (table["group"].isin(["agents", "mesa"]))]
        ax1.loglog(rows["agents"], rows["cpu_us_per_agent_step"], marker=marker, ls="-", color=color, label=label)
        ax2.loglog(rows["agents"], rows["peak_mb"], marker=marker, ls="-", color=color, label=label)
    ax1.set_xlabel("agents")
    ax1.set_ylabel("CPU µs per agent-step")
    ax1.set_title("Cost per agent-step (100 steps, headless)")
    ax2.set_xlabel("agents")
    ax2.set_ylabel("peak memory (MB)")
    ax2.set_title("Peak memory of the process")
    for ax in (ax1, ax2):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=10)
    fig.tight_layout()
    write_atomic(out, lambda tmp: fig.savefig(tmp, format="png"))


if __name__ == "__main__":  # one measurement, in its own process: `--one SPEC` (JSON)
    if len(sys.argv) != 3 or sys.argv[1] != "--one":
        sys.exit("usage: python -m sim.bench.step_cost --one SPEC  (the benchmark itself: python run.py bench)")
    print(json.dumps(run_one(json.loads(sys.argv[2]))))
