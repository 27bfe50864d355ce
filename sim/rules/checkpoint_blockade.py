"""checkpoint_blockade: a faction mans checkpoints at named places and stops convoys of the
factions it blocks, with a probability. A stopped convoy stands off; the holder calls its
militia within a radius to the checkpoint. The standoff ends when the checkpoint is empty or
the rule is switched off (the convoy drives on); when a convoy whose orders say withdraw is
outnumbered by the given ratio, or its wait runs out (it withdraws); or, once the wait of a
convoy whose orders say clash runs out, by fighting each step until one side breaks (the convoy
fights through or withdraws) or the convoy is destroyed."""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.militia import Militia
from agents.standing import Posture
from sim.engagement import fight
from sim.rules.base import Rule, register


@dataclass(eq=False)
class Standoff:
    checkpoint: Checkpoint
    convoy: object
    started: float
    called: list = field(default_factory=list)

    @property
    def cell(self):
        return self.checkpoint.cell


class Checkpoint:
    def __init__(self, rule: CheckpointBlockade, place):
        self.rule = rule
        self.place = place
        self.cell = place.cell

    def blocks(self, faction: int) -> bool:
        return self.rule.enabled and faction in self.rule.against

    def defenders(self) -> list:
        """Holder's units within reach of the checkpoint."""
        return self.rule.model.units_near(self.cell, self.rule.params.reach_km, self.rule.holder)

    def encounter(self, convoy) -> None:
        """A convoy of a blocked faction has reached the checkpoint."""
        rule, model = self.rule, self.rule.model
        if not self.blocks(convoy.faction):
            return
        if rule.rng.random() >= rule.params.stop_probability:
            model.log_incident("event", f"{convoy.describe()} passed the {self.place.name} checkpoint",
                               convoy, place=self.place.name)
            return
        standoff = Standoff(self, convoy, model.hours)
        rule.outcomes["stopped"] += 1
        convoy.halt(standoff)
        here = self.defenders()
        fighters = sum(u.strength for u in here)
        standoff.called = [u for u in model.units_near(self.cell, rule.params.reinforce_radius_km, rule.holder)
                           if isinstance(u, Militia) and u not in here and u.answer_call(standoff)]
        model.log_incident(
            "standoff",
            f"{convoy.describe()} halted at the {self.place.name} checkpoint by {len(here)} "
            f"unit{'s' if len(here) != 1 else ''} of {model.factions.labels[rule.holder]} ({fighters:.0f} fighters); "
            f"{len(standoff.called)} more called in from within {rule.params.reinforce_radius_km:g} km",
            convoy, place=self.place.name, fighters=fighters)
        rule.standoffs.append(standoff)


@register
class CheckpointBlockade(Rule):
    name = "checkpoint_blockade"

    def setup(self) -> None:
        model = self.model
        self.holder = model.factions.index(self.params.by)
        self.against = {model.factions.index(f) for f in self.params.against}
        self.standoffs: list[Standoff] = []
        self.checkpoints = [Checkpoint(self, model.place(p)) for p in self.params.at]
        model.checkpoints.extend(self.checkpoints)
        for cp in self.checkpoints:
            crew = model.nearest_unit(cp.cell, self.holder, kind=Militia)
            if crew is not None:
                crew.home_posture = Posture.CHECKPOINT
                crew.posture = Posture.CHECKPOINT
                crew.home = cp.cell
                crew.move_to(cp.cell)
        self.outcomes = {"stopped": 0, "withdrew": 0, "fought_through": 0}

    def changed(self, name: str) -> None:
        if name in ("against",):
            self.against = {self.model.factions.index(f) for f in self.params.against}

    def apply(self) -> None:
        for standoff in list(self.standoffs):
            self._resolve(standoff)

    def _resolve(self, standoff: Standoff) -> None:
        model, p = self.model, self.params
        convoy = standoff.convoy
        if not convoy.alive:
            self._close(standoff)
            return
        defenders = standoff.checkpoint.defenders()
        held = sum(u.strength for u in defenders)
        waited = model.hours - standoff.started
        orders = convoy.orders
        outnumbered = held >= p.withdraw_when_outnumbered * convoy.strength
        if held <= 0 or not self.enabled:
            convoy.resume()
            model.log_incident("event", f"{convoy.describe()} drove on past the empty "
                               f"{standoff.checkpoint.place.name} checkpoint", convoy)
            self._close(standoff)
        elif outnumbered and orders.when_stopped == "withdraw":
            self._withdraw(standoff, held, waited)
        elif waited >= orders.max_wait_hours:
            if orders.when_stopped == "clash":
                self._clash(standoff, defenders)
            else:
                self._withdraw(standoff, held, waited)

    def _withdraw(self, standoff: Standoff, held: float, waited: float) -> None:
        convoy = standoff.convoy
        self.model.log_incident(
            "withdrawal",
            f"{convoy.describe()} withdrew from the {standoff.checkpoint.place.name} checkpoint toward "
            f"{convoy.withdraw_to} after a {waited:.0f} h standoff ({held:.0f} militia fighters against "
            f"{convoy.strength:.0f})", convoy, place=standoff.checkpoint.place.name, fighters=held)
        convoy.withdraw()
        self.outcomes["withdrew"] += 1
        self._close(standoff)

    def _clash(self, standoff: Standoff, defenders: list) -> None:
        model = self.model
        convoy = standoff.convoy
        lost_c, lost_d = fight(model, [convoy], defenders, model.step_hours)
        model.report_clash([convoy], defenders, lost_c, lost_d)
        if not convoy.alive:
            self._close(standoff)
            return
        held = sum(u.strength for u in defenders if u.alive)
        ratio = model.spec.engagement.break_ratio
        if held <= 0 or convoy.strength >= ratio * held:  # the checkpoint is wiped out or breaks
            convoy.resume()
            self.outcomes["fought_through"] += 1
            model.log_incident("clash", f"{convoy.describe()} fought through the {standoff.checkpoint.place.name} "
                               f"checkpoint with {convoy.strength:.0f} fighters left", convoy)
            self._close(standoff)
        elif held >= ratio * convoy.strength:  # the convoy breaks off
            self._withdraw(standoff, held, model.hours - standoff.started)

    def _close(self, standoff: Standoff) -> None:
        for unit in standoff.called:
            if unit.alive:
                unit.stand_down()
        if standoff in self.standoffs:
            self.standoffs.remove(standoff)

    def summary_figures(self) -> dict[str, float]:
        return {f"{self.key}.{k}": v for k, v in self.outcomes.items()}
