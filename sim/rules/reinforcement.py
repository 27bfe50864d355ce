"""reinforcement: the recruits a faction's economy pays for (sim/submodels/economy.py) arrive at a named
place, at most `max_per_day` (the route's capacity, scaled by any agreement), and form new
militia units there once enough have gathered."""

from __future__ import annotations

from sim.rules.base import Rule, register


@register
class Reinforcement(Rule):
    name = "reinforcement"

    def setup(self) -> None:
        self.faction = self.model.factions.index(self.params.faction)
        self.place = self.model.place(self.params.at)
        self.pending = 0.0
        self.arrived = 0.0
        self.model.economy.enlist(self.faction, self.params.unit_size)

    def apply(self) -> None:
        model, p = self.model, self.params
        if model.faction_strength(self.faction) + self.pending >= p.max_fighters:
            return
        scale = model.factions.reinforcement_scale[self.faction]
        self.pending += model.economy.recruit(self.faction, p.max_per_day * scale * model.step_hours / 24.0)
        while self.pending >= p.unit_size:
            self.pending -= p.unit_size
            self.arrived += p.unit_size
            unit = model.spawn_unit("militia", self.faction, p.unit_size, near=self.place,
                                    radius_km=p.deploy_radius_km, label="reinforcements", stream=self.rng,
                                    posture=p.posture)
            if unit is not None:
                model.recorder.incident("reinforcement", f"{p.unit_size:.0f} {model.factions.labels[self.faction]} "
                                        f"reinforcements arrived at {self.place.name}", unit,
                                        place=self.place.name, fighters=p.unit_size)

    def factions_added(self, regular_only: bool = False) -> set[int]:
        return {self.faction}

    def summary(self, rows: slice) -> dict[str, float]:
        return {f"{self.key}.fighters_arrived": self.arrived}
