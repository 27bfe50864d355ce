"""Insurgent cell: small, hidden, living in the desert. It relocates now and then, ambushes
units within reach (more often where no one governs), and is worn down when patrols find it;
below a few fighters it disperses. A cell that patrols have found is in the open, where
hostile units in range engage it, until it next relocates and hides again.

The per-step decisions of all cells are drawn together (one array draw for the whole kind), so
a step costs next to nothing when nothing happens.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from sim.agents.base import Unit
from sim.influence import UNGOVERNED
from sim.narrative import fighters_text
from sim.streams import INSURGENT_AMBUSH, INSURGENT_DETECTION, INSURGENT_RELOCATION


class InsurgentCell(Unit):
    kind = "insurgent"

    def __init__(self, model, faction, strength, rc, label):
        super().__init__(model, faction, strength, rc, label)
        self._schedule_move(first=True)

    @property
    def hidden(self) -> bool:
        return self not in self.model.in_the_open

    @hidden.setter
    def hidden(self, value: bool) -> None:
        """The model keeps the cells in the open, so engagements need not look at hidden ones."""
        if value:
            self.model.in_the_open.pop(self, None)
        else:
            self.model.in_the_open[self] = None

    def describe(self) -> str:
        return self.label

    def _schedule_move(self, first: bool = False) -> None:
        every = self.model.spec.insurgents.move_every_hours
        delay = every * (self._relocation().random() if first else 1.0)
        self.model.wake_at(self, self.model.hours + max(delay, 1e-9))

    def _relocation(self):
        return self.model.streams.named(INSURGENT_RELOCATION, faction=self.model.factions.ids[self.faction])

    def wake(self) -> None:
        """Relocate to another desert cell nearby, staying out of sight."""
        spot = self.model.random_cell_near(self.rc, self.model.spec.insurgents.move_km,
                                           self.faction, self._relocation(), desert_only=True)
        if spot is not None:
            self.move_to(spot)
        self.hidden = True
        self._schedule_move()

    @classmethod
    def act_all(cls, model, cells: list[InsurgentCell]) -> None:
        """Ambushes by all cells, then detection by patrols, drawn as whole arrays."""
        if not cells:
            return
        spec = model.spec.insurgents
        step_days = model.step_hours / 24.0
        rows = np.fromiter((c.rc[0] for c in cells), dtype=np.intp, count=len(cells))
        cols = np.fromiter((c.rc[1] for c in cells), dtype=np.intp, count=len(cells))

        ungoverned = model.influence.controller[rows, cols] == UNGOVERNED
        rate = spec.ambush_rate_per_day * np.where(ungoverned, spec.ungoverned_multiplier, 1.0)
        strikes = model.streams[INSURGENT_AMBUSH].random(len(cells)) < -np.expm1(-rate * step_days)
        for i in np.flatnonzero(strikes):
            cells[i].ambush()

        cls._detect(model, cells, rows, cols, step_days)

    def ambush(self) -> None:
        spec = self.model.spec.insurgents
        target = self.model.nearest_enemy_unit(self, spec.ambush_range_km)
        if target is None:
            return
        lost = target.lose(target.strength * spec.ambush_loss_fraction)
        self.model.log_incident(
            "ambush", f"{self.describe()} ambushed {target.describe()}: {fighters_text(lost)} lost",
            target, fighters=lost, other=self)

    @staticmethod
    def _detect(model, cells, rows, cols, step_days) -> None:
        spec = model.spec.insurgents
        faction = cells[0].faction
        patrols = [u for u in model.patrols if model.is_hostile(u.faction, faction)]
        if not patrols or spec.detection_rate_per_day == 0:
            return
        km = model.map.cell_km
        tree = cKDTree(np.array([u.rc for u in patrols], dtype=float) * km)
        here = np.column_stack((rows, cols)).astype(float) * km
        n_near = tree.query_ball_point(here, spec.detection_range_km, return_length=True)
        p_detect = -np.expm1(-spec.detection_rate_per_day * n_near * step_days)
        found = model.streams[INSURGENT_DETECTION].random(len(cells)) < p_detect
        for i in np.flatnonzero(found):
            cell = cells[i]
            lost = cell.lose(cell.strength * spec.suppression_loss_fraction)
            if cell.alive and cell.strength < spec.disperse_below:
                lost += cell.strength
                cell.destroyed()
                what = "dispersed"
            else:
                cell.hidden = False
                what = f"lost {fighters_text(lost)} and is in the open"
            model.log_incident("detection", f"patrols found {cell.describe()}: {what}", cell, fighters=lost)
