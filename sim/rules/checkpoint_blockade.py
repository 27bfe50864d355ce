"""checkpoint_blockade: a faction mans checkpoints at named places and stops convoys of the
factions it blocks, with a probability (its intent). A stopped convoy stands off; the holder
calls its militia within a radius to the checkpoint, and they arrive at their travel times.
Each step the force ratio settles the standoff: the checkpoint gives way when the convoy
outnumbers everything the holder has there or on the way by the give-way ratio; a convoy with
orders to push forces its way (a Lanchester fight) when it outnumbers the defenders by its push
ratio. Otherwise the convoy waits for the defenders' mobilisation to end (every unit called has
arrived or none is on the way) and then **judges the ratio** once: it withdraws with probability

    p = 1 / (1 + exp(−(ln(D / C) − ln r) / s))

D the defenders there, C the convoy, r `withdraw_when_outnumbered` (p = ½ at D = r·C) and s
`ratio_spread`, the uncertainty of a commander's judgement of the odds; so the withdrawal share
varies smoothly with the convoy's strength, the defenders in reach and the reinforcement
radius, and a withdrawal comes after the reinforcements arrive. A convoy that stays waits while
its resolve lasts (it runs down faster when outnumbered); when it is spent the same judgement is
made from the other side: the checkpoint gives way, and the convoy drives on, with probability
1 / (1 + exp(−(ln(C / D) − ln r) / s)) (½ when the convoy outnumbers it r : 1); otherwise the
convoy withdraws. An empty checkpoint lets the convoy drive on."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.agents.militia import Militia
from sim.agents.standing import Posture
from sim.rules.base import Rule, register
from sim.submodels.engagement import fight


@dataclass(eq=False)
class Standoff:
    checkpoint: Checkpoint
    convoy: object
    started: float
    called: list = field(default_factory=list)
    resolve: float = 1.0  # the convoy's will to keep waiting: 1 at the stop, spent at 0
    fighting: bool = False  # the convoy is forcing its way through
    judged: bool = False  # the convoy has judged the odds once the mobilisation ended

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
        return self.rule.model.space.units_near(self.cell, self.rule.params.reach_km, self.rule.holder)

    @staticmethod
    def on_the_way(standoff: Standoff, here: list) -> float:
        """Fighters called to the standoff and still travelling (the holder counts them; the
        convoy sees only the defenders already there)."""
        return sum(u.strength for u in standoff.called if u.alive and u not in here)

    def encounter(self, convoy) -> None:
        """A convoy of a blocked faction has reached the checkpoint."""
        rule, model = self.rule, self.rule.model
        if not self.blocks(convoy.faction):
            return
        if rule.rng.random() >= rule.params.stop_probability:
            rule.outcomes["passed"] += 1
            model.recorder.incident("event", f"{convoy.describe()} passed the {self.place.name} checkpoint",
                                    convoy, place=self.place.name)
            return
        standoff = Standoff(self, convoy, model.hours)
        rule.outcomes["stopped"] += 1
        convoy.halt(standoff)
        model.tension.incident("standoff", convoy.faction, rule.holder, where=self.place.name)
        here = self.defenders()
        fighters = sum(u.strength for u in here)
        standoff.called = [u for u in model.space.units_near(self.cell, rule.params.reinforce_radius_km, rule.holder)
                           if isinstance(u, Militia) and u not in here and u.answer_call(standoff)]
        model.recorder.incident(
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
            crew = model.space.nearest_unit(cp.cell, self.holder, kind=Militia)
            if crew is not None:
                crew.home_posture = Posture.CHECKPOINT
                crew.posture = Posture.CHECKPOINT
                crew.home = cp.cell
                crew.move_to(cp.cell)
        self.outcomes = {"stopped": 0, "passed": 0, "gave_way": 0, "withdrew": 0, "fought_through": 0,
                         "withdrew_after_reinforcement": 0}

    def changed(self, name: str) -> None:
        if name in ("against",):
            self.against = {self.model.factions.index(f) for f in self.params.against}

    def apply(self) -> None:
        for standoff in list(self.standoffs):
            self._resolve(standoff)

    def _resolve(self, standoff: Standoff) -> None:
        """One step of a standoff: compare the force ratio with the break points."""
        model, p = self.model, self.params
        convoy = standoff.convoy
        if not convoy.alive:
            self._close(standoff)
            return
        if standoff.fighting:
            self._push(standoff)
            return
        defenders = standoff.checkpoint.defenders()
        held = sum(u.strength for u in defenders)
        holder_total = held + Checkpoint.on_the_way(standoff, defenders)
        waited = model.hours - standoff.started
        orders = convoy.orders
        mobilised = holder_total - held <= 0
        if held <= 0 or not self.enabled:
            self._give_way(standoff, held, waited, f"drove on past the empty {standoff.checkpoint.place.name} "
                           "checkpoint")
        elif convoy.strength >= p.give_way_ratio * holder_total:
            self._give_way(standoff, holder_total, waited, f"was let through: the {standoff.checkpoint.place.name} "
                           "checkpoint gave way")
        elif orders.when_stopped == "push" and convoy.strength >= orders.push_ratio * held:
            model.recorder.incident(
                "clash", f"{convoy.describe()} forces its way through the {standoff.checkpoint.place.name} "
                f"checkpoint after a {waited:.0f} h standoff: {convoy.strength:.0f} fighters against {held:.0f} "
                f"({convoy.strength / held:.1f} : 1)", convoy, place=standoff.checkpoint.place.name, fighters=held)
            standoff.fighting = True
            self._push(standoff)
        elif orders.when_stopped != "wait" and mobilised and not standoff.judged and self._judge(standoff, held):
            self._withdraw(standoff, held, waited, "outnumbered once the defenders had gathered")
        else:
            # waiting costs resolve: a wait of max_wait_hours at even odds or better, shorter when outnumbered
            patience = orders.max_wait_hours * min(1.0, convoy.strength / held)
            standoff.resolve -= model.step_hours / patience if patience > 0 else 1.0
            if standoff.resolve > 1e-9:
                return
            # the same judgement from the other side: the checkpoint gives way to a convoy that
            # outnumbers it (½ at withdraw_when_outnumbered : 1), else the convoy withdraws
            if self.rng.random() < self.withdraw_probability(convoy.strength, held):
                self._give_way(standoff, held, waited, f"drove on when its wait ran out: the "
                               f"{standoff.checkpoint.place.name} checkpoint gave way")
            else:
                self._withdraw(standoff, held, waited, "its wait ran out")

    def withdraw_probability(self, held: float, convoy: float) -> float:
        """Chance a convoy of `convoy` fighters judges `held` defenders too many (module docstring);
        with the roles swapped, the chance the checkpoint gives way when the wait runs out."""
        p = self.params
        if p.ratio_spread <= 0:
            return 1.0 if held >= p.withdraw_when_outnumbered * convoy else 0.0
        x = (math.log(held / convoy) - math.log(p.withdraw_when_outnumbered)) / p.ratio_spread
        return 1.0 / (1.0 + math.exp(-x)) if x > -700 else 0.0

    def _judge(self, standoff: Standoff, held: float) -> bool:
        """The convoy judges the odds once the mobilisation is over: True to withdraw."""
        standoff.judged = True
        return bool(self.rng.random() < self.withdraw_probability(held, standoff.convoy.strength))

    def _ratio(self, a: float, b: float) -> str:
        return f"{a / b:.1f} : 1" if b > 0 else "unopposed"

    def _give_way(self, standoff: Standoff, held: float, waited: float, what: str) -> None:
        convoy, model = standoff.convoy, self.model
        model.recorder.incident(
            "event", f"{convoy.describe()} {what} after a {waited:.0f} h standoff: {convoy.strength:.0f} "
            f"convoy fighters against {held:.0f} "
            f"({self._ratio(convoy.strength, held)})", convoy, place=standoff.checkpoint.place.name, fighters=held)
        convoy.resume()
        self.outcomes["gave_way"] += 1
        self._close(standoff)

    def _withdraw(self, standoff: Standoff, held: float, waited: float, why: str) -> None:
        convoy = standoff.convoy
        self.model.recorder.incident(
            "withdrawal",
            f"{convoy.describe()} withdrew from the {standoff.checkpoint.place.name} checkpoint toward "
            f"{convoy.withdraw_to} after a {waited:.0f} h standoff ({why}): {held:.0f} militia fighters against "
            f"{convoy.strength:.0f} ({self._ratio(held, convoy.strength)})", convoy,
            place=standoff.checkpoint.place.name, fighters=held)
        convoy.withdraw()
        convoy.turned_back(self.holder, standoff.checkpoint.place.name, held)
        self.outcomes["withdrew"] += 1
        here = standoff.checkpoint.defenders()
        if any(u in here for u in standoff.called if u.alive):
            self.outcomes["withdrew_after_reinforcement"] += 1
        self._close(standoff)

    def _push(self, standoff: Standoff) -> None:
        """One step of the convoy's fight through the checkpoint (Lanchester, sim/submodels/engagement.py)."""
        model = self.model
        convoy = standoff.convoy
        defenders = standoff.checkpoint.defenders()
        lost_c, lost_d = fight(model, [convoy], defenders, model.step_hours)
        model.engagements.report([convoy], defenders, lost_c, lost_d)
        if not convoy.alive:
            self._close(standoff)
            return
        held = sum(u.strength for u in defenders if u.alive)
        ratio = model.spec.engagement.break_ratio
        if held <= 0 or convoy.strength >= ratio * held:  # the checkpoint is wiped out or breaks
            convoy.resume()
            self.outcomes["fought_through"] += 1
            model.recorder.incident("clash", f"{convoy.describe()} fought through the {standoff.checkpoint.place.name} "
                                    f"checkpoint with {convoy.strength:.0f} fighters left ({held:.0f} defenders left)",
                                    convoy)
            self._close(standoff)
        elif held >= ratio * convoy.strength:  # the convoy breaks off
            self._withdraw(standoff, held, model.hours - standoff.started, "broke off the fight")

    def _close(self, standoff: Standoff) -> None:
        for unit in standoff.called:
            if unit.alive:
                unit.stand_down()
        if standoff in self.standoffs:
            self.standoffs.remove(standoff)

    def summary(self, rows: slice) -> dict[str, float]:
        return {f"{self.key}.{k}": v for k, v in self.outcomes.items()}
