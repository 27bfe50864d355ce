"""offensive: a faction launches an assault on a chain of objective places at a time it chose
(an outside decision, e.g. the SDF's Operation Roundup on the Hajin pocket, 10 Sep 2018). How
fast the assault takes ground, and whether it takes it at all, follows from the force ratio at
its front and the defenders' fortification.

At `from_day` the attacker forms an assault column of `units` × `strength` fighters at
`staging` (the force it commits; `reinforce_per_day` fighters join it every day after), and its
sponsor adds `funding_usd_per_day` to the faction's funding, so the economy (sim/submodels/economy.py)
pays the column rather than letting it desert. Each
step the column advances along its least-time path toward the current objective at

    pace = advance_km_per_day × max(0, 1 − φ·(D / A)²)

A the column's fighters, D the fighters of factions hostile to the attacker (not hidden
insurgent cells) within `reach_km` of the column's front, φ = 1 / (the share of fire they
receive), from their cover and fortification (sim/submodels/engagement.py `cover_factor`). The bracket
is the square of the share of the column that would survive a Lanchester aimed-fire fight to
the end against them (A² − φ·D² conserved): an unopposed column marches at
`advance_km_per_day`, a column that could not win a fight to the end stands and fights where it
is (a siege). The fighting itself is the engagement stage's (hostile units within range fight).
Staging and objectives are the map's named places, or `points` the scenario names by
longitude and latitude (ground the map does not name, e.g. a stretch of the border).
An objective is taken when the column stands within `reach_km` of it and no hostile fighters
are within `reach_km` of it; one unit of the column stays on it as its garrison and the rest
move on to the next. When the last is taken the column stays there as its garrison. How long
the defenders last is the engagement stage's: against a fortified town only as many attackers
fire at once as the front holds (`engagement.front_density_per_km`), so a bigger column lasts
longer rather than winning faster.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.agents.garrison import Garrison
from sim.rules.base import Rule, register
from sim.submodels.engagement import cover_factor
from sim.world.routing import path_length_km


class Point(NamedTuple):
    """Where a column forms or what it takes: a name and its (row, col) cell."""

    name: str
    cell: tuple[int, int]


def pace_km_per_day(attackers: float, defenders: float, cover: float, unopposed_km_per_day: float) -> float:
    """Pace of an assault (km/day): `unopposed_km_per_day` × max(0, 1 − φ·(D/A)²), φ = 1/`cover`
    (the share of fire the defenders receive, ≤ 1 when they are in cover or fortified)."""
    if attackers <= 0:
        return 0.0
    if defenders <= 0:
        return unopposed_km_per_day
    return unopposed_km_per_day * max(0.0, 1.0 - (defenders / attackers) ** 2 / cover)


@register
class Offensive(Rule):
    name = "offensive"

    def setup(self) -> None:
        model, p = self.model, self.params
        self.faction = model.factions.index(p.by)
        self.objectives = [self._where(name) for name in p.objectives]
        self.column: list = []
        self.launched = False
        self.taken: dict[str, float] = {}  # objective → day taken
        self.current = 0
        self.pace = 0.0  # km/day, the last step's
        self._path = None

    def factions_added(self, regular_only: bool = False) -> set[int]:
        return {self.faction}

    # --- each step --------------------------------------------------------------------------
    def apply(self) -> None:
        model, p = self.model, self.params
        if not self.launched:
            if model.hours + 1e-9 >= p.from_day * 24.0:
                self._launch()
            return
        self.column = [u for u in self.column if u.alive]
        if not self.column or self.current >= len(self.objectives):
            return
        if p.reinforce_per_day > 0:
            self.column[0].gain(p.reinforce_per_day * model.step_hours / 24.0)
        objective = self.objectives[self.current]
        front = self.column[0].rc
        if self._km(front, objective.cell) <= p.reach_km and self._resistance(objective.cell)[0] <= 0:
            self._take(objective)
            return
        defenders, cover = self._resistance(front)
        attackers = sum(u.strength for u in self.column)
        self.pace = pace_km_per_day(attackers, defenders, cover, p.advance_km_per_day)
        self._advance(self.pace * model.step_hours / 24.0)

    def _launch(self) -> None:
        model, p = self.model, self.params
        self.launched = True
        model.factions.funding[self.faction] += p.funding_usd_per_day
        start = self._where(p.staging)
        self.column = [Garrison(model, self.faction, p.strength, start.cell, f"assault {i + 1}", "hold")
                       for i in range(p.units)]
        model.recorder.incident("event", f"{model.factions.labels[self.faction]} launch an offensive from {start.name} "
                                f"on {', '.join(o.name for o in self.objectives)} with {p.units * p.strength:.0f} fighters",
                                self.column[0], place=start.name, fighters=p.units * p.strength)
        self._route_to(self.objectives[0])

    def _where(self, name: str) -> Point:
        """The ground `name` stands for: one of the rule's `points`, else the map's named place."""
        if name in self.params.points:
            return Point(name, self.model.map.cell_of_lonlat(*self.params.points[name]))
        place = self.model.place(name)
        return Point(place.name, place.cell)

    def _resistance(self, rc) -> tuple[float, float]:
        """Hostile fighters (hidden cells excepted) within reach_km of `rc`, and the share of
        fire they receive (their cover and fortification)."""
        model = self.model
        hostile = [f for f in range(len(model.factions)) if model.is_hostile(self.faction, f)]
        units = [u for f in hostile for u in model.space.units_near(rc, self.params.reach_km, f)
                 if not u.hidden]
        return sum(u.strength for u in units), cover_factor(model, units)

    def _route_to(self, place) -> None:
        here = self.column[0].rc
        cells = self.model.space.pathfinder(self.faction).path(here, place.cell)
        self._path = np.array([here]) if cells is None else cells
        self._along = path_length_km(self._path, self.model.map.cell_km)
        self._progress = 0.0

    def _advance(self, km: float) -> None:
        self._progress = min(self._progress + km, float(self._along[-1]))
        index = int(np.searchsorted(self._along, self._progress, side="right")) - 1
        rc = (int(self._path[index][0]), int(self._path[index][1]))
        for unit in self.column:
            unit.move_to(rc)
            unit.home = rc

    def _take(self, objective) -> None:
        model = self.model
        self.taken[objective.name] = model.hours / 24.0
        model.recorder.incident("event", f"{model.factions.labels[self.faction]} took {objective.name} "
                                f"({sum(u.strength for u in self.column):.0f} fighters in the assault column)",
                                self.column[0], place=objective.name)
        self.current += 1
        if self.current < len(self.objectives):
            if len(self.column) > 1:
                self._garrison(objective)
            self._route_to(self.objectives[self.current])

    def _garrison(self, objective) -> None:
        """Leave one unit of the column (its last) on a taken objective as its garrison: the
        attacker holds what it takes, and the column goes on weaker."""
        unit = self.column.pop()
        unit.move_to(objective.cell)
        unit.home = objective.cell
        self.model.recorder.incident("event", f"{unit.strength:.0f} fighters of the assault column stay to hold "
                                     f"{objective.name}", unit, place=objective.name)

    def _km(self, a, b) -> float:
        return float(np.hypot(a[0] - b[0], a[1] - b[1])) * self.model.map.cell_km

    def summary(self, rows: slice) -> dict[str, float]:
        figures = {f"{self.key}.objectives_taken": len(self.taken)}
        figures.update({f"{self.key}.day_taken.{o.name}": self.taken.get(o.name, float("nan"))
                        for o in self.objectives})
        return figures
