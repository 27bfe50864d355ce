"""The size of a sweep, from the shape of its file alone: design points × replicates, refused
above a cap before any point is drawn or validated, so a file asking for a billion runs is
refused in milliseconds instead of after hours of checking.

The count is arithmetic on the raw YAML (Python integers, exact at any size): a grid is the
product of each parameter's number of values (`values` entries or `range.steps`); a Latin
hypercube has `samples` points; Sobol (Saltelli, first-order and total indices) N × (d + 2);
Morris r × (d + 1). Malformed entries count as one value here and are reported by the full
validation that follows.
"""

from __future__ import annotations

import math
from typing import Any

#: design points in one sweep. Validating a point loads its scenario (about 2 ms), so 10,000
#: points are checked in about 20 s; more is a design to sample, not to enumerate.
MAX_POINTS = 10_000
#: runs (design points × replicates) in one sweep: at 0.1–5 s a run (the shipped scenarios on one
#: core), a million runs is one to sixty CPU-days, beyond any study this model is meant for.
MAX_RUNS = 1_000_000
DEFAULT_REPLICATES = 10  # as SweepSpec.replicates; the sweep file's default


def _count(value: Any) -> int:
    """A whole-number size from the file, or 1 when it is not one (reported elsewhere)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def _grid_values(spec: Any) -> int:
    if not isinstance(spec, dict):
        return 1
    if isinstance(spec.get("values"), list):
        return max(1, len(spec["values"]))
    if isinstance(spec.get("range"), dict):
        return _count(spec["range"].get("steps"))
    return 1


def design_size(data: dict) -> tuple[int, str]:
    """(number of design points, how it was counted) of a sweep file's raw mapping."""
    params = data.get("parameters") if isinstance(data.get("parameters"), dict) else {}
    d = len(params)
    design = data.get("design", "grid")
    kind = design if isinstance(design, str) else design.get("kind") if isinstance(design, dict) else None
    size = design if isinstance(design, dict) else {}
    if kind == "latin_hypercube":
        return _count(size.get("samples")), "samples"
    if kind == "sobol":
        n = _count(size.get("samples"))
        return n * (d + 2), f"N = {n:,} × (d + 2 = {d + 2})"
    if kind == "morris":
        r = _count(size.get("trajectories"))
        return r * (d + 1), f"{r:,} trajectories × (d + 1 = {d + 1})"
    counts = [_grid_values(spec) for spec in params.values()]
    return math.prod(counts), " × ".join(f"{c:,}" for c in counts) or "no parameters"


def _n(x: int) -> str:
    return f"{x:,}" if x < 10**15 else f"{x:.3g}"


def shape_problems(data: dict, replicates: int | None = None) -> list[tuple[tuple, str]]:
    """(key path, message) for each degenerate range (every value the same) and for a sweep
    asking for more than MAX_POINTS design points or MAX_RUNS runs. `replicates` replaces the
    file's (`--replicates`)."""
    problems = []
    params = data.get("parameters") if isinstance(data.get("parameters"), dict) else {}
    for key, spec in params.items():
        rng = spec.get("range") if isinstance(spec, dict) else None
        if isinstance(rng, dict) and "from" in rng and rng.get("from") == rng.get("to"):
            problems.append((("parameters", key, "range"),
                             f"from and to are both {rng['from']}: every value would be the same; give different "
                             f"ends, or one value as 'values: [{rng['from']}]' (or under 'set')"))
    size = _size_problem(data, replicates)
    return problems + ([size] if size else [])


def _size_problem(data: dict, replicates: int | None) -> tuple[tuple, str] | None:
    points, how = design_size(data)
    reps = replicates if replicates is not None else _count(data.get("replicates", DEFAULT_REPLICATES))
    where = ("design",) if "design" in data else ("parameters",)
    if points > MAX_POINTS:
        return where, (f"{_n(points)} design points ({how}); at most {MAX_POINTS:,} are allowed "
                       "(fewer values or steps, or sample the space: design: {kind: latin_hypercube, samples: N})")
    if points * reps > MAX_RUNS:
        return ("replicates",), (f"{_n(points)} design points × {reps:,} replicates = {_n(points * reps)} runs; "
                                 f"at most {MAX_RUNS:,} are allowed (fewer replicates or design points)")
    return None
