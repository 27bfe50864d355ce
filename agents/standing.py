"""Units that hold ground: they stay put, or patrol around a home area, or travel somewhere
and back. Holding costs nothing per step; a patrol wakes only when its next leg is due."""

from __future__ import annotations

from enum import StrEnum

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

    def wake(self) -> None:
        # a wake-up left over from an earlier patrol round (before a reinforcement trip) is stale
        if self._posture != Posture.PATROL or self.model.hours + 1e-9 < self._patrol_due:
            return
        spot = self.model.space.random_cell_near(self.home, self.model.spec.militia.patrol_radius_km,
                                                 self.faction, self._legs())
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
