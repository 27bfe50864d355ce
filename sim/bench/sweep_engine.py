"""Benchmark of the sweep engine: `python run.py bench sweep`.

Prints three figures, each with its target:

1. speed-up of 2 local workers over 1 on a sweep of short runs (target ≥ 1.8× on 2 cores);
2. overhead per run of the engine: sweep wall time minus the sum of the runs' own times, per
   run, with one worker (target < 50 ms);
3. peak memory (resident set of the sweep process and all its children, sampled) of a
   2,000-run sweep against a 200-run sweep of tiny runs (target: within 20 %) — the engine
   streams results to disk, so memory must not grow with the number of runs.

The speed-up sweep runs in this process (the engine itself, from planning to the last saved
run, as a sweep command runs it); the memory sweeps run as `python run.py sweep` subprocesses,
watched from outside. Timings depend on what else the machine is doing: the load average is
printed with them.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from sim.program.folders import DEFAULT_SCENARIO, ROOT

SHORT = "{time.duration_days: 2, map.cell_km: 3}"
TINY = "{time.duration_days: 2, map.cell_km: 10, time.step_hours: 12}"


def sweep_text(runs: int, size: str, stops: int = 5) -> str:
    """A sweep of `runs` runs: `stops` stop probabilities × 2 convoy strengths × replicates."""
    replicates = runs // (stops * 2)
    values = [round(i / (stops - 1), 3) for i in range(stops)]
    return (f"name: bench\ndescription: benchmark sweep\nscenario: {DEFAULT_SCENARIO}\nset: {size}\n"
            f"parameters:\n  rules.checkpoint_blockade.stop_probability: {{values: {values}}}\n"
            f"  forces[7].strength: {{values: [60, 240]}}\nreplicates: {replicates}\nseed: 1\n"
            "outcomes:\n  final: [convoys_*, share_*, strength_*, land_bridge_*_open_at_end]\n"
            "  series: {every_hours: 12, columns: [share_*, strength_russia]}\n")


def speedup(folder: Path, runs: int) -> dict:
    from sim.experiments.sweep import run_sweep

    path = folder / "short.yaml"
    path.write_text(sweep_text(runs, SHORT))
    out = {}
    for workers in (2, 1):  # the pool first, in a fresh process, as a sweep command meets it
        started = time.perf_counter()
        result = run_sweep(path, out=folder / f"short_{workers}", workers=workers, progress=False, charts=False)
        out[workers] = {"total": time.perf_counter() - started, "execute": result.session.wall_seconds,
                        "run_seconds": result.session.run_seconds, "runs": result.session.ran}
    return out


def peak_rss(cmd: list[str], every: float = 0.05) -> tuple[float, float]:
    """(peak resident memory in MB of the process and all its descendants, wall seconds)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    stderr: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr.append(proc.stderr.read()), daemon=True)
    reader.start()
    watched = psutil.Process(proc.pid)
    while proc.poll() is None:
        total = 0
        with contextlib.suppress(psutil.Error):  # a process may end while it is being measured
            for p in [watched, *watched.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += p.memory_info().rss
        peak = max(peak, total / 2**20)
        time.sleep(every)
    reader.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{b''.join(stderr).decode()[-2000:]}")
    return peak, time.perf_counter() - started


def memory(folder: Path, small: int, large: int, workers: int) -> dict:
    out = {}
    for runs in (small, large):
        path = folder / f"tiny_{runs}.yaml"
        path.write_text(sweep_text(runs, TINY))
        cmd = [sys.executable, "-m", "sim", "sweep", str(path), "--out", str(folder / f"tiny_{runs}"),
               "--workers", str(workers), "--quiet"]
        out[runs] = peak_rss(cmd)
    return out


def main(runs: int = 120, small: int = 200, large: int = 2000) -> int:
    """Measure and print the three figures: `runs` runs in the speed-up sweep, `small` and
    `large` runs in the two memory sweeps."""
    cores = os.cpu_count()
    print(f"Corridor sweep benchmark — {cores} CPUs, load average {os.getloadavg()[0]:.2f} at the start")
    with tempfile.TemporaryDirectory(prefix="corridor-bench-") as tmp:
        folder = Path(tmp)
        s = speedup(folder, runs)
        one, two = s[1], s[2]
        ratio = one["execute"] / two["execute"]
        print(f"\n1. speed-up, {one['runs']} short runs (albu_kamal_blockade, 2 days at 3 km, "
              f"{one['run_seconds'] / one['runs'] * 1000:.0f} ms each):")
        print(f"   1 worker : {one['execute']:6.2f} s running ({one['total']:.2f} s with planning and tables)")
        print(f"   2 workers: {two['execute']:6.2f} s running ({two['total']:.2f} s with planning and tables)")
        print(f"   speed-up : {ratio:.2f}×  (target ≥ 1.8× on 2 cores) {'PASS' if ratio >= 1.8 else 'FAIL'}")
        overhead = (one["execute"] - one["run_seconds"]) / one["runs"] * 1000
        slots = (2 * two["execute"] - two["run_seconds"]) / two["runs"] * 1000
        print(f"\n2. overhead per run, 1 worker: {overhead:.1f} ms  (wall {one['execute']:.2f} s − runs' own "
              f"{one['run_seconds']:.2f} s, over {one['runs']} runs; target < 50 ms) "
              f"{'PASS' if overhead < 50 else 'FAIL'}")
        print(f"   2 workers, per run slot: {slots:.1f} ms  (2 × wall − runs' own time, over runs: includes "
              "starting the pool and waiting for the last run)")
        m = memory(folder, small, large, workers=2)
        (small_mb, small_s), (large_mb, large_s) = m[small], m[large]
        growth = large_mb / small_mb - 1
        print("\n3. peak memory (sweep process + children, RSS sampled every 50 ms; tiny runs, 2 workers, charts on):")
        print(f"   {small:5d} runs: {small_mb:7.1f} MB  ({small_s:.1f} s)")
        print(f"   {large:5d} runs: {large_mb:7.1f} MB  ({large_s:.1f} s)")
        print(f"   difference: {growth * 100:+.1f} %  (target within ±20 %) {'PASS' if abs(growth) <= 0.2 else 'FAIL'}")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    return 0
