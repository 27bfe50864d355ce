"""Convoy: sets off at its departure time and follows a cached least-time path through its
named waypoints, by distance per step (fast on roads). A checkpoint on the way may stop it.

waiting ──► moving ──► arrived
              │  ▲
   (stopped)  ▼  │ (let through / fought through)
            standoff ──► withdrawing ──► withdrawn          any state ──► destroyed
"""

from __future__ import annotations

from enum import StrEnum

from sim.agents.base import Unit
from sim.agents.garrison import Garrison
from sim.outputs import Column, Outputs


class ConvoyState(StrEnum):
    WAITING = "waiting"
    MOVING = "moving"
    STANDOFF = "standoff"
    WITHDRAWING = "withdrawing"
    ARRIVED = "arrived"
    WITHDRAWN = "withdrawn"
    DESTROYED = "destroyed"


#: states in which a convoy's journey is over (it is no longer on the road)
ENDED_STATES = (ConvoyState.ARRIVED.value, ConvoyState.WITHDRAWN.value, ConvoyState.DESTROYED.value)

#: what a state means as the outcome of a run
OUTCOME = {
    ConvoyState.WAITING: "not departed",
    ConvoyState.MOVING: "en route",
    ConvoyState.STANDOFF: "halted",
    ConvoyState.WITHDRAWING: "withdrew",
    ConvoyState.WITHDRAWN: "withdrew",
    ConvoyState.ARRIVED: "arrived",
    ConvoyState.DESTROYED: "destroyed",
}
OUTCOMES = ("arrived", "halted", "withdrew", "destroyed", "en route", "not departed")


class Convoy(Unit):
    kind = "convoy"
    on_payroll = False  # counted in upkeep, but a convoy on its way does not lose deserters

    def __init__(self, model, faction, strength, rc, label, *, start: str, route: list[str],
                 depart_hours: float, speed_factor: float, orders):
        super().__init__(model, faction, strength, rc, label)
        self.start = start
        self.route = route
        self.speed_factor = speed_factor
        self.orders = orders
        self.state = ConvoyState.WAITING
        self.mover = None
        self.incident = None
        model.convoys.append(self)
        model.wake_at(self, depart_hours)

    @property
    def outcome(self) -> str:
        return OUTCOME[self.state]

    def describe(self) -> str:
        return f"convoy {self.label} ({self.model.factions.labels[self.faction]})"

    def wake(self) -> None:
        if self.state == ConvoyState.WAITING:
            self.depart()

    def depart(self) -> None:
        cells = [self.model.place(p).cell for p in self.route]
        self.mover = self.model.space.plan_path(self, self.rc, cells, self.speed_factor, checkpoints=True)
        if self.mover is None:  # validation rules this out for the scenario's own routes
            self.model.recorder.incident("event", f"{self.describe()} finds no passable route to {self.route[-1]}",
                                         self)
            return
        self.state = ConvoyState.MOVING
        self.moving = True
        self.model.recorder.incident("event", f"{self.describe()}, {self.strength:.0f} fighters, set off from "
                                     f"{self.start} toward {self.route[-1]}", self)

    def step(self) -> None:
        if self.state not in (ConvoyState.MOVING, ConvoyState.WITHDRAWING):
            return
        checkpoint = self.mover.advance(self.model.step_hours)
        self.move_to(self.mover.cell)
        if checkpoint is not None:
            checkpoint.encounter(self)
        elif self.mover.done:
            self.moving = False
            if self.state == ConvoyState.MOVING:
                self.state = ConvoyState.ARRIVED
                self.model.recorder.incident("arrival", f"{self.describe()} reached {self.route[-1]} "
                                             f"with {self.strength:.0f} fighters and sets up a post there", self)
                self.establish_post()
            else:
                self.state = ConvoyState.WITHDRAWN
                self.model.recorder.incident("withdrawal", f"{self.describe()} is back at {self.withdraw_to}",
                                             self)

    # --- what a checkpoint does to it --------------------------------------------------------
    def halt(self, incident) -> None:
        self.state = ConvoyState.STANDOFF
        self.incident = incident
        self.moving = False

    def resume(self) -> None:
        self.state = ConvoyState.MOVING
        self.incident = None
        self.moving = True

    @property
    def withdraw_to(self) -> str:
        return self.orders.withdraw_to or self.start

    def withdraw(self) -> None:
        self.incident = None
        target = self.model.place(self.withdraw_to).cell
        mover = self.model.space.plan_path(self, self.rc, [target], self.speed_factor)
        if mover is None or mover.done:
            self.state = ConvoyState.WITHDRAWN
            return
        self.mover = mover
        self.state = ConvoyState.WITHDRAWING
        self.moving = True

    def establish_post(self) -> Unit:
        """Having reached its goal the convoy becomes a post there: a garrison that holds the ground
        (and is paid and may desert like any other), a claim that lasts. On another faction's
        ground that is a tension incident ("post"); the faction's planner, if any, keeps the post.
        Returns the post."""
        model = self.model
        place = self.route[-1]
        post = Garrison(model, self.faction, self.strength, self.rc, f"post {self.label}", "hold")
        self.leave_map()
        holder = int(model.influence.controller[self.rc])
        if holder >= 0:
            model.tension.incident("post", self.faction, holder, where=place)
        planner = model.planners.get(self.faction)
        if planner is not None:
            planner.post_set_up(model.place(place).name, post)
        return post

    def turned_back(self, holder: int, place: str, held: float) -> None:
        """A checkpoint of faction `holder` at `place` turned the convoy back with `held` fighters:
        tension rises (the halt was counted as a standoff; the encounter now weighs a withdrawal)
        and the convoy's command remembers it: the destination's setback, the checkpoint's denial."""
        model = self.model
        model.tension.incident("withdrawal", self.faction, holder, where=place, outcome_of="standoff")
        planner = model.planners.get(self.faction)
        if planner is not None:
            planner.setback(model.place(self.route[-1]).name, held, holder, at=place)

    def destroyed(self) -> None:
        self.state = ConvoyState.DESTROYED
        self.model.recorder.incident("clash", f"{self.describe()} was destroyed", self)
        super().destroyed()


class ConvoyOutcomes(Outputs):
    """Per row, `convoy_states`: a tuple of the state of every convoy spawned so far
    (`model.convoys`, in order of spawning)."""

    columns = (Column("convoy_<label>", "category: convoy outcome so far",
                      "the convoy's outcome so far: `not departed`, `en route`, `halted`, `withdrew`, `arrived`, "
                      "`destroyed`; `not spawned` before an event creates it", "convoy_outcome", "convoy"),)

    def __init__(self, model):
        self.convoys = model.convoys
        self.convoy_states: list[tuple[str, ...]] = []

    def record(self, i: int, changed) -> None:
        self.convoy_states.append(tuple(c.state.value for c in self.convoys))

    def table(self, rows: slice) -> dict:
        return {f"convoy_{convoy.label}": [OUTCOME[ConvoyState(s[c])] if c < len(s) else "not spawned"
                                           for s in self.convoy_states[rows]]
                for c, convoy in enumerate(self.convoys)}

    def summary(self, rows: slice) -> dict:
        """How many convoys have each outcome now, and each convoy's outcome."""
        outcomes = [c.outcome for c in self.convoys]
        out = {f"convoys_{outcome.replace(' ', '_')}": outcomes.count(outcome) for outcome in OUTCOMES}
        out.update({f"convoy_{convoy.label}": convoy.outcome for convoy in self.convoys})
        return out
