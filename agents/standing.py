"""Units that hold ground: they stay put, or patrol around a home area, or travel somewhere
and back. Holding costs nothing per step; a patrol wakes only when its next leg is due."""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from sim.agents.base import Unit
from sim.agents.movement import PathMover
from sim.streams import PATROL_LEGS
from sim.submodels.influence import HOLDING, PATROLLING


class Posture(StrEnum):
    HOLD = "hold"
    PATROL = "patrol"
    CHECKPOINT = "checkpoint"
    REINFORCE = "reinforce"
    RETURN = "return"


class Reach:
    """The cells a patrol's legs from `home` ((row, col)) within `radius_km` may land on for
    `faction`, worked out once (issue 20: a patrol's legs all start from its home).

    A leg (`Space.random_cell_near`) tries four random offsets of the disc within the radius
    (`Space.disk`, nearest first), taken in order from its stream's batch (`IndexBatches`,
    sim/streams.py), and lands on the first that is a land cell the faction is not forbidden on
    home's bank (any bank from a cell of none); when all four fail, on one of every such cell, in
    the disc's order (`Space.cells_near`), drawn by one `integers` call. `spots[i]` is the cell of
    the disc's offset i, or None where a leg cannot land; `cells` those that are not None. So a
    leg through `random_cell` takes the same draws from the same batch and lands on the same cell
    (tests/test_patrol_reach.py compares them over a seeded run). `holds` says whether it still
    answers: the same home, radius and faction, and the faction's forbidden cells the same array
    (a deconfliction rule that changes them replaces it, `Space.forbidden_mask`)."""

    def __init__(self, space, home: tuple[int, int], radius_km: float, faction: int):
        self.space, self.home, self.radius_km, self.faction = space, home, radius_km, faction
        self.forbidden: np.ndarray = space.forbidden_mask(faction)
        land, bank = space.map.land, space.map.bank
        cells = np.asarray(home) + space.disk(radius_km)
        rows, cols = land.shape
        inside = (cells[:, 0] >= 0) & (cells[:, 0] < rows) & (cells[:, 1] >= 0) & (cells[:, 1] < cols)
        r, c = np.where(inside, cells[:, 0], 0), np.where(inside, cells[:, 1], 0)
        lands = inside & land[r, c] & ~self.forbidden[r, c]
        if bank[home] != 0:
            lands &= bank[r, c] == bank[home]
        self.spots = [(int(a), int(b)) if ok else None for (a, b), ok in zip(cells.tolist(), lands.tolist(), strict=True)]
        self.cells = [spot for spot in self.spots if spot is not None]

    def holds(self, home: tuple[int, int], radius_km: float, faction: int) -> bool:
        """Does it answer for a leg from `home` within `radius_km` for `faction` now?"""
        return (home == self.home and radius_km == self.radius_km and faction == self.faction
                and self.space.forbidden_mask(faction) is self.forbidden)

    def random_cell(self, rng) -> tuple[int, int] | None:
        """The cell of a leg drawn from `rng` (the patrol's stream) as `Space.random_cell_near`
        draws it, from the same batch of offsets (`space._offsets`); None when there is none."""
        spots = self.spots
        for i in self.space._offsets.take(rng, len(spots)):
            spot = spots[i]
            if spot is not None:
                return spot
        cells = self.cells
        if not cells:
            return None
        return cells[int(rng.integers(len(cells)))]


class StandingUnit(Unit):
    def __init__(self, model, faction, strength, rc, label, posture: str = "hold", fortification: float = 1.0):
        super().__init__(model, faction, strength, rc, label)
        self.home = rc
        self.fortification = float(fortification)  # factor on fire received, at home only
        self._posture = Posture.HOLD
        self.posture = Posture(posture)
        self.home_posture = self.posture
        self.mover: PathMover | None = None
        if self.posture == Posture.PATROL:
            self._schedule_patrol(first=True)

    @property
    def posture(self) -> Posture:
        """What the unit is doing. Setting it to PATROL spreads its presence wider (the patrol
        layer) and lists it among the patrols that detect insurgents; any other posture undoes that."""
        return self._posture

    @posture.setter
    def posture(self, value: str) -> None:
        self._posture = Posture(value)
        patrolling = self._posture == Posture.PATROL
        self.set_layer(PATROLLING if patrolling else HOLDING)
        self.on_patrol = patrolling

    def protection(self) -> float:
        """Prepared defences count where they were prepared: the fortification factor at the
        home cell, 1 elsewhere (sim/submodels/engagement.py)."""
        return self.fortification if self.rc == self.home else 1.0

    # --- patrol: jump to a new spot near home every few hours --------------------------------
    def _schedule_patrol(self, first: bool = False) -> None:
        every = self.model.spec.militia.patrol_every_hours
        delay = every * (self._legs().random() if first else 1.0)
        self._patrol_due = self.model.hours + max(delay, 1e-9)
        self.model.wake_at(self, self._patrol_due)

    def _legs(self):
        """The faction's own patrol stream (`Unit.faction_stream`)."""
        return self.faction_stream(PATROL_LEGS)

    #: the cells its legs from home may land on, kept while it `holds`
    _reach: Reach | None = None

    def wake(self) -> None:
        # a wake-up left over from an earlier patrol round (before a reinforcement trip) is stale
        if self._posture != Posture.PATROL or self.model.hours + 1e-9 < self._patrol_due:
            return
        radius = self.model.spec.militia.patrol_radius_km
        reach = self._reach
        if reach is None or not reach.holds(self.home, radius, self.faction):
            reach = self._reach = Reach(self.model.space, self.home, radius, self.faction)
        spot = reach.random_cell(self._legs())  # where `space.random_cell_near` would land it
        if spot is not None:
            self.move_to(spot)
        self._schedule_patrol()

    # --- travel to a cell and back --------------------------------------------------------------
    def travel_to(self, rc: tuple[int, int], posture: Posture) -> bool:
        """Start moving along the least-time path; False when the cell cannot be reached."""
        mover = self.model.space.plan_path(self, self.rc, rc, self.model.spec.militia.speed_factor)
        if mover is None:
            return False
        self.mover = mover
        self.posture = posture
        self.moving = True
        return True

    def step(self) -> None:
        """Advance along the current path (only units on the move are stepped)."""
        if self.mover is None:
            return
        self.mover.advance(self.model.step_hours)
        self.move_to(self.mover.cell)
        if self.mover.done:
            self.mover = None
            self.moving = False
            self.arrived()

    def arrived(self) -> None:
        if self.posture == Posture.RETURN:
            self.resume_home_posture()

    def resume_home_posture(self) -> None:
        self.posture = self.home_posture
        if self.posture == Posture.PATROL:
            self._schedule_patrol(first=True)

    def go_home(self) -> None:
        if self.rc == self.home:
            self.mover = None
            self.moving = False
            self.resume_home_posture()
        elif self.mover is not None:
            self.mover = self.mover.turned_back()  # still on the way out: retrace the steps
            self.posture = Posture.RETURN
            self.moving = True
        elif not self.travel_to(self.home, Posture.RETURN):
            self.resume_home_posture()
