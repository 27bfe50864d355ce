"""co_optation: a richer sponsor erodes the loyalty of rival sponsors' local militias when its
units are within reach; loyalty erodes in proportion to the ratio of what the two sponsors
actually pay a fighter (pay × the share of upkeep their funding covers, sim/submodels/economy.py: an
agreement that cuts one sponsor's funding below its upkeep speeds it up) and to the buyer's
closeness (full at its units' cells, nothing at `radius_km`), and recovers otherwise. A
unit whose loyalty falls below the threshold changes sides, starting at loyalty 1 − threshold
with its new sponsor (so that it does not flip straight back)."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import distance_transform_edt

from sim.agents.local_militia import LocalMilitia
from sim.rules.base import Rule, register

#: how often the distance to the buyer's units is recomputed (simulated hours)
DISTANCE_EVERY_HOURS = 6.0


@register
class CoOptation(Rule):
    name = "co_optation"

    def setup(self) -> None:
        f = self.model.factions
        self.buyer = f.index(self.params.by)
        self.targets = {f.index(x) for x in self.params.from_}
        self.defections = 0
        self._distance: np.ndarray | None = None
        self._distance_hours = -np.inf

    def apply(self) -> None:
        model, p = self.model, self.params
        militias = [u for u in model.agents_by_type.get(LocalMilitia, ()) if u.faction in self.targets]
        if not militias:
            return
        dist_km = self._distance_to_buyer()
        if dist_km is None:
            closeness = np.zeros(len(militias))
        else:
            closeness = np.array([max(0.0, 1.0 - dist_km[u.rc] / p.radius_km) for u in militias])
        days = model.step_hours / 24.0
        pay = model.economy.effective_pay
        for unit, pressure in zip(militias, closeness, strict=True):
            if pressure > 0:
                ratio = pay(self.buyer) / max(pay(unit.faction), 1e-9)
                unit.erode(p.erosion_per_day * ratio * pressure * days)
            else:
                unit.recover(p.recovery_per_day * days)
            if unit.loyalty < p.switch_below:
                old = unit.faction
                unit.defect(self.buyer, 1.0 - p.switch_below)
                self.defections += 1
                model.tension.incident("defection", old, self.buyer, where=model.space.nearest_place_name(unit.rc))
                model.recorder.incident(
                    "defection", f"{unit.label} ({unit.strength:.0f} fighters) near "
                    f"{model.space.nearest_place_name(unit.rc)} switched from {model.factions.labels[old]} to "
                    f"{model.factions.labels[self.buyer]}", unit, fighters=unit.strength)

    def _distance_to_buyer(self):
        """(rows, cols) km from every cell to the nearest cell where the buyer has fighters (None
        if it has none), recomputed every DISTANCE_EVERY_HOURS simulated hours: units move
        a few km in that time, against a reach of tens of km."""
        model = self.model
        if self._distance is None or model.hours >= self._distance_hours + DISTANCE_EVERY_HOURS - 1e-9:
            buyer_here = model.influence.presence[self.buyer].sum(axis=0) > 0
            self._distance = (distance_transform_edt(~buyer_here) * model.map.cell_km
                              if buyer_here.any() else None)
            self._distance_hours = model.hours
        return self._distance

    def summary(self, rows: slice) -> dict[str, float]:
        return {f"{self.key}.defections": self.defections}
