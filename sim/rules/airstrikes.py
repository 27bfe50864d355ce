"""airstrikes: exogenous strikes arrive as a Poisson process (rate per day) against the
densest concentration of a target faction; a faction whose rule says so may intercept some."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter

from sim.results.event_log import fighters_text
from sim.rules.base import Rule, register


@register
class Airstrikes(Rule):
    name = "airstrikes"

    def setup(self) -> None:
        self.target = self.model.factions.index(self.params.against)
        self.strikes = 0
        self.intercepted = 0
        self.fighters_killed = 0.0

    def apply(self) -> None:
        model, p = self.model, self.params
        n = self.rng.poisson(p.rate_per_day * model.step_hours / 24.0)
        for _ in range(n):
            if p.intercepted_by and self.rng.random() < p.intercept_probability:
                self.intercepted += 1
                model.recorder.incident("airstrike", f"an airstrike by {p.by} on {model.factions.labels[self.target]} "
                                        f"was intercepted by {p.intercepted_by}", None)
                continue
            self._strike()

    def strike(self) -> None:
        """One strike now, outside the Poisson arrivals (a teacher's intervention in the app)."""
        self._strike()

    def _strike(self) -> None:
        model, p = self.model, self.params
        presence = model.influence.presence[self.target].sum(axis=0)
        if presence.max() <= 0:
            return
        width = max(1, int(round(2 * p.radius_km / model.map.cell_km)) | 1)
        density = uniform_filter(presence, size=width, mode="constant")
        aim = np.unravel_index(int(np.argmax(density)), density.shape)
        hit = model.space.units_near((int(aim[0]), int(aim[1])), p.radius_km, self.target)
        lost = sum(u.lose(u.strength * p.loss_fraction) for u in hit)
        self.strikes += 1
        ids = model.factions.ids
        if p.intercepted_by is not None:  # a strike the interceptor could have stopped and did not
            model.tension.incident("strike_not_stopped", self.target, ids.index(p.intercepted_by),
                                   where=model.space.nearest_place_name(aim))
        if model.population is not None:
            striker = ids.index(p.by) if p.by in ids else None
            model.population.harm(aim, (striker,), lost)
        self.fighters_killed += lost
        model.recorder.violence.add(model.hours, aim, "strike", p.by, ids[self.target], 0.0, lost)
        model.recorder.incident("airstrike", f"airstrike by {p.by} hit {len(hit)} "
                                f"{model.factions.labels[self.target].lower()} units near "
                                f"{model.space.nearest_place_name(aim)}: {fighters_text(lost)} lost", None,
                                place=model.space.nearest_place_name(aim), fighters=lost)

    def summary(self, rows: slice) -> dict[str, float]:
        return {f"{self.key}.strikes": self.strikes, f"{self.key}.intercepted": self.intercepted,
                f"{self.key}.fighters_killed": round(self.fighters_killed, 3)}
