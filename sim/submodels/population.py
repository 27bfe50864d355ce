"""Population and support: towns whose people's support follows control and harm.

Kalyvas' control–collaboration logic (S. Kalyvas, *The Logic of Violence in Civil War*, 2006,
ch. 5–7): civilians collaborate with whoever controls where they live, because control makes
collaboration safe and defection dangerous; violence that harms them pushes them away from the
faction responsible and feeds grievance that insurgents recruit on where control is weak.

For each town t (a named place with `population` inhabitants, `population.towns`) and faction f,
support s[t, f] ∈ [0, 1] (the share of its people who would help f) moves, once a simulated
day, toward the share of the town's area (cells within its `radius_km`) that f controls:

    s ← s + (1 − exp(−r·Δt))·(c − s)     r = control_rate_per_day, c the controlled share
    s ← max(0, s − h·H[t, f])             H the fighters killed near t in strikes and clashes
                                          f took part in that day, h = harm_per_fighter
    g ← g·exp(−Δt/τ) + H_total / 100      grievance (per town; τ = grievance_days)

What support does: a faction's manpower refill (sim/submodels/economy.py) is multiplied by
1 + w·(P_f / P_f(0) − 1) (clipped to [0, 3]), P_f = Σ_t population·s[t, f] the supportive
population and w = recruit_weight; insurgent recruitment (sim/rules/insurgent_recruitment.py)
of new cells is multiplied by 1 + v·G, G the population-weighted grievance of the towns no
faction controls (controlled share < 1/2), v = insurgent_grievance_weight.

The update is one bincount of every town's cells a day; harm is booked as incidents
happen, against the towns near the cell (`towns_near`, kept per cell).
"""

from __future__ import annotations

import math

import numpy as np

from sim.outputs import Column, Outputs

#: support every faction starts with in every town, unless `population.initial_support` says
DEFAULT_SUPPORT = 0.2


class Population:
    """Towns (T) and factions (F): `people` (T,), `support` (T, F), `grievance` (T,)."""

    def __init__(self, model, spec):
        self.model = model
        self.spec = spec
        ids = model.factions.ids
        names = list(spec.towns)
        self.towns = [model.place(n) for n in names]
        self.names = [p.name for p in self.towns]
        self.people = np.array([spec.towns[n].population for n in names], dtype=float)
        self.radius_km = np.array([spec.towns[n].radius_km for n in names], dtype=float)
        start = np.array([spec.initial_support.get(f, DEFAULT_SUPPORT) for f in ids])
        self.support = np.tile(start, (len(names), 1))
        self.grievance = np.zeros(len(names))
        self._harm = np.zeros((len(names), len(ids)))
        self._harm_total = np.zeros(len(names))
        self._cells = [self._disk_cells(p.cell, r) for p, r in zip(self.towns, self.radius_km, strict=True)]
        # every town's cells at once (`controlled_share`): rows, columns, each cell's town, cells per town
        self._all_cells = tuple(np.concatenate([np.empty(0, np.intp), *(cells[k] for cells in self._cells)]).astype(np.intp)
                                for k in (0, 1))
        self._town_of_cell = np.repeat(np.arange(len(self._cells)), [len(r) for r, _ in self._cells])
        self._town_cells = np.array([len(r) for r, _ in self._cells], dtype=float)
        self._town_rc = np.array([p.cell for p in self.towns], dtype=float).reshape(-1, 2)
        self._supportive0 = np.maximum(self.supportive(), 1e-9)
        self._last_day = 0
        self._controlled: np.ndarray | None = None  # controlled_share() at the last daily update
        self._kept: dict[str, tuple[tuple, object]] = {}  # `_derived`: figure -> (its inputs' bytes, value)
        self._towns_near: dict[tuple[int, int], tuple[int, ...]] = {}  # `towns_near`: cell -> towns

    def _disk_cells(self, rc, radius_km: float) -> tuple[np.ndarray, np.ndarray]:
        cells = np.asarray(rc) + self.model.space.disk(radius_km)
        rows, cols = self.model.map.shape
        keep = (cells[:, 0] >= 0) & (cells[:, 0] < rows) & (cells[:, 1] >= 0) & (cells[:, 1] < cols)
        cells = cells[keep]
        cells = cells[self.model.map.land[cells[:, 0], cells[:, 1]]]
        return cells[:, 0], cells[:, 1]

    # --- what happens to the towns ------------------------------------------------------------
    def harm(self, rc, factions, fighters: float) -> None:
        """`fighters` killed at cell `rc` in a strike or clash that `factions` (indices) took part
        in: towns within their radius book the harm against each of them."""
        if fighters <= 0:
            return
        harm, harm_total = self._harm, self._harm_total
        for t in self.towns_near(rc):
            harm_total[t] += fighters
            for f in factions:
                if f is not None:
                    harm[t, f] += fighters

    def towns_near(self, rc) -> tuple[int, ...]:
        """The towns (indices, ascending) within their radius of cell `rc` (row, col): the
        distance from the town's cell in km ≤ its `radius_km`. Worked out once per cell and
        kept (towns and radii do not change)."""
        key = (int(rc[0]), int(rc[1]))
        near = self._towns_near.get(key)
        if near is None:
            d = np.hypot(*(self._town_rc - np.asarray(key, dtype=float)).T) * self.model.map.cell_km
            near = self._towns_near[key] = tuple(np.flatnonzero(d <= self.radius_km).tolist())
        return near

    def update(self) -> None:
        """Once a simulated day (at the first step of each day): support and grievance move."""
        model = self.model
        day = int((model.hours + 1e-9) // 24.0)
        if day == self._last_day or not len(self.towns):
            return
        days, self._last_day = day - self._last_day, day
        s = self.spec
        controlled = self._controlled = self.controlled_share()
        rate = 1.0 - math.exp(-s.control_rate_per_day * days)
        self.support += rate * (controlled - self.support)
        self.support = np.clip(self.support - s.harm_per_fighter * self._harm, 0.0, 1.0)
        self.grievance = self.grievance * math.exp(-days / s.grievance_days) + self._harm_total / 100.0
        self._harm[:] = 0.0
        self._harm_total[:] = 0.0

    def controlled_share(self) -> np.ndarray:
        """(T, F): share of each town's area each faction controls now (0 for a town without
        cells). One bincount of every town's cells' controllers, counted per town and faction,
        divided by the town's cells: each share the same count over the same number as counted
        town by town (tests/test_population_fast_paths.py checks it, bit for bit, at every step of a run)."""
        n = len(self.model.factions)
        codes = self.model.influence.controller[self._all_cells]
        governed = codes >= 0
        counts = np.bincount(self._town_of_cell[governed] * n + codes[governed], minlength=len(self.towns) * n)
        return np.divide(counts.reshape(-1, n), self._town_cells[:, None], out=np.zeros((len(self.towns), n)),
                         where=self._town_cells[:, None] > 0)

    # --- what support does --------------------------------------------------------------------
    def supportive(self) -> np.ndarray:
        """(F,) people who support each faction: Σ population × support."""
        return self.people @ self.support

    def _derived(self, figure: str, key: tuple, work_out):
        """`work_out()`, kept under `figure` while `key` stays the same: the bytes of the arrays
        (of fixed shapes) and the numbers it is worked out from, so kept while they are the same
        bit for bit. Support, grievance and control move once a day; the economy, the recorder
        and insurgent recruitment ask every step. An array is kept read-only: do not modify."""
        kept = self._kept.get(figure)
        if kept is None or kept[0] != key:
            value = work_out()
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
            kept = self._kept[figure] = (key, value)
        return kept[1]

    def support_share(self) -> np.ndarray:
        """(F,) population-weighted mean support for each faction, 0–1 (read-only)."""
        def work_out():
            total = self.people.sum()
            return self.supportive() / total if total > 0 else np.zeros(self.support.shape[1])
        return self._derived("support_share", (self.people.tobytes(), self.support.tobytes()), work_out)

    def refill_factor(self) -> np.ndarray:
        """(F,) factor on each faction's manpower refill: 1 + w·(P_f / P_f(0) − 1), in [0, 3]
        (read-only)."""
        def work_out():
            ratio = self.supportive() / self._supportive0
            return np.clip(1.0 + self.spec.recruit_weight * (ratio - 1.0), 0.0, 3.0)
        return self._derived("refill_factor", (self.people.tobytes(), self.support.tobytes(),
                                                self._supportive0.tobytes(), self.spec.recruit_weight), work_out)

    def insurgent_factor(self) -> float:
        """Factor on the rate of new insurgent cells: 1 + v·G, G the population-weighted grievance
        of the towns that no faction controls (controlled share < 1/2)."""
        if not len(self.towns):
            return 1.0
        if self._controlled is None:
            self._controlled = self.controlled_share()

        def work_out():
            weak = self._controlled.max(axis=1) < 0.5
            g = float((self.people * self.grievance * weak).sum() / self.people.sum())
            return 1.0 + self.spec.insurgent_grievance_weight * g
        return self._derived("insurgent_factor", (self.people.tobytes(), self.grievance.tobytes(),
                                                  self._controlled.tobytes(), self.spec.insurgent_grievance_weight),
                             work_out)


class SupportRecord(Outputs):
    """Per row, `support` (n, F): each faction's population-weighted support (`Population.
    support_share`); records nothing in a scenario without a population."""

    columns = (Column("support_<f>", "share of inhabitants (0–1)",
                      "population-weighted support for the faction in the scenario's towns "
                      "(sim/submodels/population.py); only with a `population` block", "support", "faction"),)

    def __init__(self, model):
        self.model = model
        self.support = np.zeros((model.n_steps + 1, len(model.factions))) if model.population is not None else None

    def record(self, i: int, changed) -> None:
        if self.support is not None:
            self.support[i] = self.model.population.support_share()

    def table(self, rows: slice) -> dict:
        if self.support is None:
            return {}
        return {f"support_{f}": self.support[rows, j] for j, f in enumerate(self.model.factions.ids)}

    def summary(self, rows: slice) -> dict:
        """Each faction's support in the last row."""
        return {name: round(float(values[-1]), 6) for name, values in self.table(rows).items()}
