"""co_optation: a richer sponsor erodes the loyalty of rival sponsors' local militias when its
units are within reach; loyalty erodes in proportion to the ratio of what the two sponsors
actually pay a fighter (pay × the share of upkeep their funding covers, sim/economy.py: an
agreement that cuts one sponsor's funding below its upkeep speeds it up) and to the buyer's
closeness (full at its units' cells, nothing at `radius_km`), and recovers otherwise. A
unit whose loyalty falls below the threshold changes sides, starting at loyalty 1 − threshold
with its new sponsor (so that it does not flip straight back)."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import distance_transform_edt

from sim.agents.local_militia import LocalMilitia
from sim.rules.base import Rule, register


@register
class CoOptation(Rule):
    name = "co_optation"

    def setup(self) -> None:
        f = self.model.factions
        self.buyer = f.index(self.params.by)
        self.targets = {f.index(x) for x in self.params.from_}
        self.defections = 0

    def apply(self) -> None:
        model, p = self.model, self.params
        militias = [u for u in model.agents_by_type.get(LocalMilitia, ()) if u.faction in self.targets]
        if not militias:
            return
        buyer_here = model.influence.presence[self.buyer].sum(axis=0) > 0
        if not buyer_here.any():
            closeness = np.zeros(len(militias))
        else:
            dist_km = distance_transform_edt(~buyer_here) * model.map.cell_km
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
                model.log_incident(
                    "defection", f"{unit.label} ({unit.strength:.0f} fighters) near "
                    f"{model.nearest_place_name(unit.rc)} switched from {model.factions.labels[old]} to "
                    f"{model.factions.labels[self.buyer]}", unit, fighters=unit.strength)

    def summary_figures(self) -> dict[str, float]:
        return {f"{self.key}.defections": self.defections}
