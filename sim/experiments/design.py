"""Design points (grid, Latin hypercube, Sobol, Morris) and replicate seeds.

Seeds come from one root `numpy.random.SeedSequence`: replicate r runs with the seed drawn from
the root's r-th spawned child at every design point (common random numbers), so differences
between points are not blurred by different luck. Sampling the design itself and bootstrapping
use their own streams, derived from the root with a tag, so they never shift a replicate seed.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm, qmc

DESIGNS = ("grid", "latin_hypercube", "sobol", "morris", "points")
SENSITIVITY_DESIGNS = ("sobol", "morris")
# tags of the streams derived from the root seed besides the replicate seeds
DESIGN_STREAM, BOOTSTRAP_STREAM, ANALYSIS_STREAM = 1, 2, 3


def replicate_seeds(root: int, n: int) -> list[int]:
    """Seed of replicate r = the r-th child of SeedSequence(root), as a 63-bit integer.

    Child r does not depend on n, so adding replicates keeps the seeds already used."""
    children = np.random.SeedSequence(root).spawn(n)
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


def derived_rng(root: int, tag: int) -> np.random.Generator:
    """An independent generator for one purpose (design sampling, bootstrap), from the root."""
    return np.random.default_rng(np.random.SeedSequence([root, tag]))


def derived_seed(root: int, tag: int) -> int:
    """An integer seed for libraries that take one (SALib), derived like `derived_rng`."""
    return int(np.random.SeedSequence([root, tag]).generate_state(1)[0])


@dataclass(frozen=True)
class Parameter:
    """One varied key path and how its values are chosen."""

    key: str
    label: str
    values: tuple | None = None
    range: tuple[float, float, int] | None = None  # from, to, steps
    distribution: tuple[str, float, float] | None = None  # uniform/normal/loguniform, a, b
    bounds: tuple[float, float] | None = None
    integer: bool = False

    def grid_values(self) -> list:
        if self.values is not None:
            values = list(self.values)
        else:
            lo, hi, steps = self.range
            values = np.linspace(lo, hi, steps).tolist()
        return [self.cast(v) for v in values]

    def cast(self, value):
        """Round to a whole number when the parameter is declared `integer: true`."""
        if self.integer and isinstance(value, float):
            return int(round(value))
        return value

    def cast_sampled(self, value: float):
        """A value drawn by a sampled design, as the parameter takes it. A whole-number parameter
        drawn uniformly over [a, b] gets each whole number from ceil(a) to floor(b) with equal
        weight (the interval cut into that many equal bins): rounding would give the two ends half
        the weight of the others (25 % / 50 % / 25 % on [1, 3]). Other values: :meth:`cast`."""
        uniform = self.distribution is None or self.distribution[0] == "uniform"
        if not (self.integer and uniform):
            return self.cast(value)
        a, b = self.sa_bounds()
        lo, hi = math.ceil(a), math.floor(b)
        if hi < lo:  # no whole number inside: the nearest
            return self.cast(value)
        n = hi - lo + 1
        return int(lo + min(math.floor((value - a) / (b - a) * n), n - 1))

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map uniform draws in (0, 1) to the parameter's distribution (or bounds, uniformly)."""
        if self.distribution is not None:
            kind, a, b = self.distribution
            if kind == "normal":
                return a + b * norm.ppf(u)
            if kind == "loguniform":
                return np.exp(math.log(a) + u * (math.log(b) - math.log(a)))
        else:
            a, b = self.bounds
        return a + (b - a) * u

    def sa_bounds(self) -> tuple[float, float]:
        """The interval a sensitivity design explores: bounds, a uniform distribution, or a range."""
        if self.bounds is not None:
            return self.bounds
        if self.distribution is not None and self.distribution[0] == "uniform":
            return self.distribution[1], self.distribution[2]
        return self.range[0], self.range[1]


@dataclass(frozen=True)
class Design:
    kind: str
    samples: int | None = None
    trajectories: int | None = None
    levels: int = 4
    rows: tuple[tuple, ...] | None = None  # the points design: each row's values in parameter order

    def describe(self) -> str:
        if self.kind == "grid":
            return "full factorial grid"
        if self.kind == "points":
            return f"{len(self.rows)} given points"
        if self.kind == "latin_hypercube":
            return f"Latin hypercube, {self.samples} samples"
        if self.kind == "sobol":
            return f"Sobol (Saltelli) design, N = {self.samples} (first-order and total indices)"
        return f"Morris screening, {self.trajectories} trajectories on {self.levels} levels"


def salib_problem(params: list[Parameter]) -> dict:
    return {"num_vars": len(params), "names": [p.key for p in params],
            "bounds": [list(p.sa_bounds()) for p in params]}


def design_points(design: Design, params: list[Parameter], root: int) -> tuple[list[dict], np.ndarray | None]:
    """The design points (key path → value, in the order they run) and, for sampled designs,
    the raw sample matrix before whole-number rounding (what the sensitivity analysis needs)."""
    if design.kind in ("grid", "points"):
        combos = design.rows if design.kind == "points" else itertools.product(*(p.grid_values() for p in params))
        return [{p.key: p.cast(v) for p, v in zip(params, combo, strict=True)} for combo in combos], None
    if design.kind == "latin_hypercube":
        sampler = qmc.LatinHypercube(d=len(params), rng=derived_rng(root, DESIGN_STREAM))
        unit = sampler.random(design.samples)
        raw = np.column_stack([p.from_unit(unit[:, j]) for j, p in enumerate(params)])
    elif design.kind == "sobol":
        from SALib.sample import sobol

        raw = sobol.sample(salib_problem(params), design.samples, calc_second_order=False,
                           seed=derived_seed(root, DESIGN_STREAM))
    else:
        from SALib.sample import morris

        raw = morris.sample(salib_problem(params), design.trajectories, num_levels=design.levels,
                            seed=derived_seed(root, DESIGN_STREAM))
    points = [{p.key: p.cast_sampled(float(row[j])) for j, p in enumerate(params)} for row in raw]
    return points, raw
