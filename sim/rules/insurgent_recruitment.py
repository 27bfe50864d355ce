"""insurgent_recruitment: insurgent cells in ungoverned ground recruit at a rate and split when
large; new cells appear in ungoverned desert at a rate proportional to how much of the desert
no one governs. Both take only the recruits the faction's economy pays for (sim/submodels/economy.py)."""

from __future__ import annotations

import numpy as np

from sim.agents.insurgent import InsurgentCell
from sim.geography import Terrain
from sim.rules.base import Rule, register
from sim.submodels.influence import UNGOVERNED


@register
class InsurgentRecruitment(Rule):
    name = "insurgent_recruitment"

    def setup(self) -> None:
        self.faction = self.model.factions.index(self.params.faction)
        self.desert = (self.model.map.terrain == Terrain.DESERT) & ~self.model.space.forbidden_mask(self.faction)
        self._desert_cells = max(int(self.desert.sum()), 1)  # counted once: `desert` does not change
        self._kept: tuple | None = None  # (control map, its ungoverned desert, its share): `_ungoverned_desert`
        self.recruited = 0.0
        self.new_cells = 0
        self.model.economy.enlist(self.faction, max(self.params.new_cell_strength, 10.0))

    def apply(self) -> None:
        model, p = self.model, self.params
        days = model.step_hours / 24.0
        cells = [u for u in model.agents_by_type.get(InsurgentCell, ()) if u.faction == self.faction]
        controller = model.influence.controller
        recruiting = [c for c in cells if controller[c.rc] == UNGOVERNED]
        wanted = p.fighters_per_day * days * len(recruiting)
        # new cells have first call on the recruits: cells grow only from what exceeds one new cell
        spare = model.economy.available(self.faction) - p.new_cell_strength
        wanted = min(wanted, max(spare, 0.0))
        each = model.economy.recruit(self.faction, wanted) / len(recruiting) if recruiting else 0.0
        for cell in recruiting:
            if each > 0:
                cell.gain(each)
                self.recruited += each
                if cell.strength > p.split_above and len(cells) < p.max_cells:
                    half = cell.strength / 2.0
                    cell.lose(half)
                    cells.append(self._spawn(cell.rc, half, model.spec.insurgents.move_km))
        ungoverned_desert, share = self._ungoverned_desert(controller)
        grievance = model.population.insurgent_factor() if model.population is not None else 1.0
        for _ in range(self.rng.poisson(p.new_cells_per_day * share * grievance * days)):
            if len(cells) >= p.max_cells or model.economy.available(self.faction) < p.new_cell_strength:
                break
            model.economy.recruit(self.faction, p.new_cell_strength)
            candidates = np.flatnonzero(ungoverned_desert)
            rc = np.unravel_index(int(self.rng.choice(candidates)), controller.shape)
            cell = self._spawn((int(rc[0]), int(rc[1])), p.new_cell_strength, 0.0)
            cells.append(cell)
            self.new_cells += 1
            self.recruited += p.new_cell_strength
            model.recorder.incident("recruitment", f"a new {cell.label} of {p.new_cell_strength:.0f} fighters formed "
                                    "in ungoverned desert", cell, fighters=p.new_cell_strength)

    def _ungoverned_desert(self, controller: np.ndarray) -> tuple[np.ndarray, float]:
        """The desert no one governs on the control map `controller` (rows, cols) bool, and its
        share of the desert; worked out once per control map (the influence field makes a new
        one at each classification, every few steps, and never changes one in place)."""
        kept = self._kept
        if kept is None or kept[0] is not controller:
            ungoverned_desert = self.desert & (controller == UNGOVERNED)
            kept = self._kept = (controller, ungoverned_desert, np.count_nonzero(ungoverned_desert) / self._desert_cells)
        return kept[1], kept[2]

    def _spawn(self, rc, strength, radius_km):
        spot = self.model.space.random_cell_near(rc, radius_km, self.faction, self.rng, desert_only=True) or rc
        return InsurgentCell(self.model, self.faction, strength, spot, self.model.next_label(self.faction, "cell"))

    def factions_added(self, regular_only: bool = False) -> set[int]:
        return set() if regular_only else {self.faction}  # insurgent cells are not regular forces

    def summary(self, rows: slice) -> dict[str, float]:
        return {f"{self.key}.recruited": round(self.recruited, 3), f"{self.key}.new_cells": self.new_cells}
