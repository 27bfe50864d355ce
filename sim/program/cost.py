"""What one run will cost, estimated before it starts from its sizes: steps × (cells, units).

The coefficients are fitted to the benchmark in README *Performance* (`python run.py bench`,
2-core development machine, 100 steps headless): a step costs about 0.58 µs per map cell (the
influence kernel and control; 6,120 → 97,104 cells at 3,951 agents: 18.4 → 70.7 ms) plus
3.9 µs per unit (992 → 31,624 agents on 24,344 cells: 13.8 → 133.9 ms). Peak memory is about
210 MB (Python, Mesa, numpy) plus 2 kB per cell (the map layers and per-faction arrays; 405 MB
at 97,104 cells) plus about 1 kB per recorded step (the step table: 721 rows × 79 columns of the
default scenario take 0.6 MB). These are orders of magnitude for a warning, not a promise: a
loaded machine is slower.
"""

from __future__ import annotations

MS_PER_CELL_STEP = 0.58e-3
MS_PER_UNIT_STEP = 3.9e-3
BASE_MB, MB_PER_CELL, MB_PER_STEP = 210.0, 2e-3, 1e-3
#: a run is announced with its estimate when it may take longer than this, or more memory
SAY_ABOVE_SECONDS, SAY_ABOVE_MB = 60.0, 1_000.0


def estimate(steps: int, cells: int, units: int) -> tuple[float, float]:
    """(seconds, peak MB) of a run of `steps` steps on `cells` map cells with `units` units."""
    seconds = steps * (cells * MS_PER_CELL_STEP + units * MS_PER_UNIT_STEP) / 1e3
    return seconds, BASE_MB + cells * MB_PER_CELL + steps * MB_PER_STEP


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7_200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3_600:.1f} h"


def run_estimate(loaded) -> str | None:
    """One line announcing a long or large run of a loaded scenario, or None for an ordinary one,
    e.g. 'estimate: 100,000 steps × 389,504 cells with 84 units: about 6.4 h and 1.1 GB'."""
    spec = loaded.spec
    steps = max(1, round(spec.time.duration_days * 24.0 / spec.time.step_hours))
    rows, cols = loaded.map.shape
    units = sum(f.units for f in spec.forces) + sum(e.spawn.units for e in spec.events if e.spawn is not None)
    seconds, mb = estimate(steps, rows * cols, units)
    if seconds <= SAY_ABOVE_SECONDS and mb <= SAY_ABOVE_MB:
        return None
    memory = f"{mb / 1_000:.1f} GB" if mb >= 1_000 else f"{mb:.0f} MB"
    return (f"estimate: {steps:,} steps × {rows * cols:,} cells with {units:,} units: about {_duration(seconds)} "
            f"and {memory} (Ctrl-C stops it; a coarser map.cell_km or longer time.step_hours is faster)")
