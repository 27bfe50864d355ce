"""A faction's command: on its planning cycle it scores the options open to it with the weights
written in the scenario (`factions.<id>.planner`) and commits at most one, within what it has.

Options and their scores (docs/odd.md, "Adaptation", gives the same table):

==============  =================================================================================
option          score (w.* are `planner.weights`)
==============  =================================================================================
convoy → X      w.objective − w.tension·T/T_esc − w.risk·max(0, overmatch·E/S − 1)
                − w.setback·exp(−days since a convoy to X was turned back / retry_days).
                S: the convoy's strength (convoy_strength, or overmatch × the fighters that
                turned the last one back, as far as the reserve allows); E: the expected
                opposition, the fighters of factions hostile to it near X or the fighters that
                turned its last convoy to X back, whichever is more (a rival that has not
                stopped it is not expected to). X is the first place of `keep_open` (base
                outward) without a post of its own or its allies' control, or a place of
                `expand_into` without a post; on arrival the convoy becomes a post there
reinforce → H   w.threat·(min(R, break_ratio) − 1), R = rival fighters within 10 km of H / own
                and allied fighters there (at least a convoy's strength), for each place H of
                `hold` that it or its allies stand at, unless the column would still face
                hostile fighters past break_ratio (it would be withdrawn: a lost cause); a column from the reserve (up to `reinforce_to` times
                the rivals there) sets up a post at H
withdraw P      w.withdraw·(hostile fighters within 5 km of post P / (break_ratio × its own and
                allied fighters there)), when above w.withdraw: outnumbered past breaking point
co-opt          w.co_opt·(0.5 + setback weight), after a setback, if it has a switched-off
                co_optation rule with targets on the map; it costs `co_opt_usd_per_day` of
                its funding from then on
strike          w.strike, if it has a switched-off airstrikes rule against a faction it is now
                hostile to (switched off again when that ends)
checkpoint      w.checkpoint, if it has a switched-off checkpoint_blockade rule against a faction
                it denies, and that faction has a convoy on the road or a post within 30 km
wait            0
==============  =================================================================================

The best option with a score above zero is carried out; every decision is logged with its score
terms ("day 12 06:00 — Russian forces' command sends convoy R2 (120 fighters) toward Albu Kamal
crossing: ..."), and so is a wait that follows an action or a changed situation. Planners draw
no random numbers: given what has happened, the decision is determined (docs/odd.md,
"Stochasticity"). They sense the map fully (positions and strengths of every unit), a
stylisation documented in docs/odd.md, "Sensing".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.agents.convoy import Convoy, ConvoyState
from sim.agents.standing import Posture, StandingUnit
from sim.scenario.spec import ConvoyOrders
from sim.world.factions import ALLIED, HOSTILE, RIVAL

#: a unit this close to a place counts as standing at it (km)
NEAR_KM = 5.0
#: rival fighters this close to a held place threaten it (km)
THREAT_KM = 10.0
#: a denied faction's post this close to a checkpoint makes the holder set the checkpoint up (km)
DENY_KM = 30.0


@dataclass
class Option:
    score: float
    action: str            # what the command does, for the log: "sends convoy R2 (120 fighters) toward X"
    reason: str            # the score's terms, for the log
    act: object = field(repr=False, default=None)  # callable carrying it out


class FactionPlanner:
    """The command of one faction (index `faction`) with its `PlannerSpec`."""

    alive = True  # the model's wake-up queue asks

    def __init__(self, model, faction: int, spec):
        self.model = model
        self.faction = faction
        self.spec = spec
        self.base = model.place(spec.base)
        self.posts: dict[str, list] = {}         # place name → post units there
        self.setbacks: dict[str, tuple[float, float]] = {}  # place → (hours, fighters that turned it back)
        self.decisions = 0
        self.convoys_sent = 0
        self.co_opting: list = []                 # co_optation rules it funds
        self._last_wait = ""
        label = model.factions.labels[faction]
        self.name = f"{label} command"
        self._stem = label[:1].upper()
        self._next_convoy = 1 + sum(1 for f in model.spec.forces if f.kind == "convoy"
                                    and model.factions.index(f.faction) == faction)
        model.wake_at(self, spec.every_hours)

    # --- what the model tells it --------------------------------------------------------------
    def wake(self) -> None:
        self.decide()
        self.model.wake_at(self, self.model.hours + self.spec.every_hours)

    def setback(self, place: str, blockers: float) -> None:
        """A convoy of ours bound for `place` was turned back by `blockers` fighters."""
        self.setbacks[place] = (self.model.hours, blockers)

    def post_set_up(self, place: str, unit) -> None:
        self.posts.setdefault(place, []).append(unit)

    # --- deciding -----------------------------------------------------------------------------
    def options(self) -> list[Option]:
        """Every option open to it now, scored as in the table above (an option whose `act` is
        None cannot be carried out: it says why not). Reads the model, changes nothing."""
        return [o for o in self._options() if o is not None]

    def decide(self) -> None:
        options = self.options()
        best = max(options, key=lambda o: o.score, default=None)
        chooser = self.model.chooser  # an outside command (a class team, sim/app/session.py), or None
        choice = chooser(self, options, best) if chooser is not None else None
        if choice is not None:
            self.carry_out(*choice)
            return
        if best is None or best.score <= 0:
            why = best.reason if best is not None else "nothing to do"
            text = f"{self.name} waits: {why}"
            if best is not None:
                text = f"{self.name} waits rather than {best.action.split(' (')[0]}: {why}"
            key = text.split(":")[0]
            if key != self._last_wait:
                self._last_wait = key
                self._log(text)
            return
        self._last_wait = ""
        self.decisions += 1
        self._log(f"{self.name} {best.action}: {best.reason}")
        best.act()

    def carry_out(self, option: Option | None, by: str) -> None:
        """Carry out `option` (one of `options()`; None: wait), chosen by `by` (e.g. "team
        Falcons"), and log it with its reasons whatever it is."""
        if option is None or option.act is None:
            self._log(f"{self.name} ({by}) waits" + (f" rather than {option.action}: {option.reason}" if option else ""))
            return
        self._last_wait = ""
        self.decisions += 1
        self._log(f"{self.name} ({by}) {option.action}: {option.reason}")
        option.act()

    def _log(self, text: str) -> None:
        model = self.model
        model.log.add(model.steps_done, model.hours, "decision", text, factions=[model.factions.ids[self.faction]])
        model.recorder.count("decision")

    def _options(self):
        yield from self._convoy_options()
        yield from self._reinforce_options()
        yield from self._withdraw_options()
        yield self._co_opt_option()
        yield from self._rule_switch_options()

    # --- sensing --------------------------------------------------------------------------------
    def _friendly(self, f: int) -> bool:
        return self.model.factions.relation[self.faction, f] == ALLIED

    def _fighters_near(self, rc, km: float, *, friendly: bool, hostile_only: bool = False) -> float:
        """Fighters of regular units within `km` of cell `rc`: with `friendly`, its own and its
        allies'; otherwise its rivals' and enemies'; with `hostile_only`, every unit (insurgent
        cells too) of the factions it is hostile to. Neutral factions never count."""
        relation = self.model.factions.relation[self.faction]
        if friendly:
            wanted = relation == ALLIED
        elif hostile_only:
            wanted = relation == HOSTILE
        else:
            wanted = (relation == RIVAL) | (relation == HOSTILE)
        return sum(u.strength for f in np.flatnonzero(wanted) for u in self.model.space.units_near(rc, km, int(f))
                   if hostile_only or u.kind != "insurgent")

    def _holder(self, place) -> int | None:
        code = self.model.recorder.holding.of(place)  # its footprint (sim/submodels/holding.py)
        return code if code >= 0 else None

    def _reserve(self) -> list:
        units = self.model.space.units_near(self.base.cell, self.spec.base_radius_km, self.faction)
        return sorted((u for u in units if isinstance(u, StandingUnit) and u.mover is None
                       and u.posture not in (Posture.CHECKPOINT,) and u.kind != "local_militia"),
                      key=lambda u: u.unique_id)

    def _muster(self) -> float:
        return sum(u.strength for u in self._reserve()) * (1.0 - self.spec.reserve_keep)

    def _tension_with(self, f: int | None) -> float:
        if f is None:
            return 0.0
        return float(self.model.tension.level[self.faction, f]) / self.model.spec.tension.escalate_at

    def _setback_weight(self, place: str) -> float:
        if place not in self.setbacks:
            return 0.0
        hours, _ = self.setbacks[place]
        return math.exp(-(self.model.hours - hours) / 24.0 / self.spec.retry_days)

    def _has_post(self, name: str) -> bool:
        units = [u for u in self.posts.get(name, []) if u.alive]
        self.posts[name] = units
        return bool(units)

    def _en_route(self, name: str) -> bool:
        return any(c.faction == self.faction and c.route[-1] == name and c.state in
                   (ConvoyState.WAITING, ConvoyState.MOVING, ConvoyState.STANDOFF) for c in self.model.convoys)

    # --- convoys: keep the corridor open, expand ---------------------------------------------------
    def _convoy_targets(self):
        route = [p for p in self.spec.keep_open if self.model.place(p).name != self.base.name]
        for i, name in enumerate(route):
            place = self.model.place(name)
            holder = self._holder(place)
            if not self._has_post(place.name) and not (holder is not None and self._friendly(holder)):
                yield place, route[: i + 1]
                break
        for name in self.spec.expand_into:
            place = self.model.place(name)
            if not self._has_post(place.name):
                yield place, [name]

    def _convoy_options(self):
        w, spec, labels = self.spec.weights, self.spec, self.model.factions.labels
        muster = self._muster()
        for place, route in self._convoy_targets():
            if self._en_route(place.name):
                continue
            holder = self._holder(place)
            opposition = self._fighters_near(place.cell, NEAR_KM, friendly=False)
            hostile = self._fighters_near(place.cell, NEAR_KM, friendly=False, hostile_only=True)
            _, blocked_by = self.setbacks.get(place.name, (0.0, 0.0))
            expected = max(hostile, blocked_by)
            wanted = max(spec.convoy_strength, spec.overmatch * blocked_by)
            strength = min(wanted, muster)
            if strength < spec.convoy_strength:
                yield Option(-1.0, f"sends a convoy toward {place.name}",
                             f"only {muster:.0f} fighters can leave {self.base.name}, a convoy needs "
                             f"{wanted:.0f}")
                continue
            t = self._tension_with(holder)
            setback = self._setback_weight(place.name)
            risk = max(0.0, spec.overmatch * expected / strength - 1.0)  # 0 when it musters the overmatch
            score = w.objective - w.tension * t - w.risk * risk - w.setback * setback
            held = (f"{place.name} is held by {labels[holder]}" if holder is not None
                    else f"{place.name} is not held by anyone")
            reason = (f"{held}, {opposition:.0f} rival fighters within {NEAR_KM:g} km; tension "
                      f"{t * self.model.spec.tension.escalate_at:.1f} of {self.model.spec.tension.escalate_at:g}")
            if blocked_by:
                reason += f"; the last convoy there was turned back by {blocked_by:.0f}"
            reason += f" (score {score:.2f})"
            label = f"{self._stem}{self._next_convoy}"
            yield Option(score, f"sends convoy {label} ({strength:.0f} fighters) toward {place.name}", reason,
                         lambda route=route, strength=strength, label=label: self._send(route, strength, label))

    def _send(self, route: list[str], strength: float, label: str) -> Convoy:
        model = self.model
        left = strength
        for unit in self._reserve():
            if left <= 0:
                break
            take = min(unit.strength * (1.0 - self.spec.reserve_keep), left)
            unit.lose(take)
            left -= take
        self._next_convoy += 1
        self.convoys_sent += 1
        return Convoy(model, self.faction, strength - max(left, 0.0), self.base.cell, label, start=self.base.name,
                      route=route, depart_hours=model.hours, speed_factor=1.0,
                      orders=ConvoyOrders(withdraw_to=self.base.name))

    # --- reinforce held places, withdraw untenable posts --------------------------------------------
    def _reinforce_options(self):
        w = self.spec.weights
        muster = self._muster()
        break_ratio = self.model.spec.engagement.break_ratio
        for name in self.spec.hold:
            place = self.model.place(name)
            own = self._fighters_near(place.cell, THREAT_KM, friendly=True)
            threat = self._fighters_near(place.cell, THREAT_KM, friendly=False)
            if own <= 0 or threat <= 0 or self._en_route(place.name):
                continue  # a place it does not hold is a convoy's objective, not a reinforcement's
            ratio = threat / max(own, self.spec.convoy_strength)
            need = min(muster, self.spec.reinforce_to * threat - own)
            if need < self.spec.convoy_strength / 2:
                continue
            hostile = self._fighters_near(place.cell, NEAR_KM, friendly=False, hostile_only=True)
            here = self._fighters_near(place.cell, NEAR_KM, friendly=True)
            if hostile > break_ratio * (here + need):
                continue  # the column would arrive past breaking point and be withdrawn: a lost cause
            score = w.threat * (min(ratio, break_ratio) - 1.0)  # worse odds than breaking point add nothing
            label = f"{self._stem}{self._next_convoy}"
            yield Option(score, f"reinforces {place.name} with column {label} ({need:.0f} fighters)",
                         f"{threat:.0f} rival fighters within {THREAT_KM:g} km against {own:.0f} of its own "
                         f"and allies' ({ratio:.1f} : 1; score {score:.2f})",
                         lambda route=[place.name], n=need, label=label: self._send(route, n, label))

    def _withdraw_options(self):
        w = self.spec.weights
        ratio_limit = self.model.spec.engagement.break_ratio
        for name in list(self.posts):
            if not self._has_post(name):
                continue
            post = sum(u.strength for u in self.posts[name])
            place = self.model.place(name)
            own = self._fighters_near(place.cell, NEAR_KM, friendly=True)  # the post, and who stands with it
            hostile = self._fighters_near(place.cell, NEAR_KM, friendly=False, hostile_only=True)
            if hostile <= ratio_limit * own:
                continue
            score = w.withdraw * hostile / (ratio_limit * own)
            yield Option(score, f"withdraws its post at {name} ({post:.0f} fighters) to {self.base.name}",
                         f"{hostile:.0f} hostile fighters near it against {own:.0f} of its own and allies', past "
                         f"{ratio_limit:g} : 1 (score {score:.2f})", lambda name=name: self._withdraw(name))

    def _withdraw(self, name: str) -> None:
        for unit in self.posts.pop(name, []):
            if unit.alive:
                unit.home = self.base.cell
                unit.go_home()

    # --- co-optation, strikes, checkpoints: its own rules -------------------------------------------
    def _own_rules(self, kind: str, by: str = "by"):
        fid = self.model.factions.ids[self.faction]
        return [r for r in self.model.rules if r.name == kind and getattr(r.params, by, None) == fid]

    def _co_opt_option(self) -> Option | None:
        rules = [r for r in self._own_rules("co_optation") if not r.enabled]
        if not rules:
            return None
        rule = rules[0]
        targets = [u for u in self.model.agents if u.kind == "local_militia" and u.faction in rule.targets]
        if not targets:
            return None
        setback = max((self._setback_weight(p) for p in self.setbacks), default=0.0)
        if setback <= 0:
            return None  # co-optation is the answer to a road that is denied
        score = self.spec.weights.co_opt * (0.5 + setback)
        return Option(score, f"funds a co-optation push ({self.spec.co_opt_usd_per_day:.0f} US$ a day)",
                      f"{len(targets)} local militia units of its rivals on the map"
                      + (f"; a convoy was turned back {self._days_since_setback():.0f} days ago" if setback else "")
                      + f" (score {score:.2f})", lambda: self._start_co_opt(rule))

    def _days_since_setback(self) -> float:
        latest = max(h for h, _ in self.setbacks.values())
        return (self.model.hours - latest) / 24.0

    def _start_co_opt(self, rule) -> None:
        rule.set_param("enabled", True)
        self.co_opting.append(rule)
        self.model.factions.funding[self.faction] = max(
            0.0, self.model.factions.funding[self.faction] - self.spec.co_opt_usd_per_day)

    def _rule_switch_options(self):
        model, w = self.model, self.spec.weights
        ids, labels = model.factions.ids, model.factions.labels
        for rule in self._own_rules("airstrikes"):
            target = model.factions.index(rule.params.against)
            hostile = model.is_hostile(self.faction, target)
            if hostile != rule.enabled:
                verb = "calls strikes on" if hostile else "stops its strikes on"
                yield Option(w.strike, f"{verb} {labels[target]}",
                             f"it is {'now hostile to' if hostile else 'no longer fighting'} them",
                             lambda rule=rule, on=hostile: rule.set_param("enabled", on))
        for rule in self._own_rules("checkpoint_blockade"):
            if rule.enabled:
                continue
            denied = [f for f in rule.params.against if f in self.spec.deny]
            moving = [f for f in denied if self._denied_moves(ids.index(f), rule)]
            if moving:
                yield Option(w.checkpoint, f"sets up its checkpoints at {', '.join(rule.params.at)}",
                             f"{', '.join(labels[ids.index(f)] for f in moving)} moving toward them",
                             lambda rule=rule: rule.set_param("enabled", True))

    def _denied_moves(self, f: int, rule) -> bool:
        model = self.model
        if any(c.faction == f and c.state in (ConvoyState.MOVING, ConvoyState.WAITING) for c in model.convoys):
            return True
        cells = [model.place(p).cell for p in rule.params.at]
        planner = model.planners.get(f)
        posts = [u for units in (planner.posts.values() if planner else []) for u in units if u.alive]
        return any(math.dist(u.rc, c) * model.map.cell_km <= DENY_KM for u in posts for c in cells)

    def summary_figures(self) -> dict:
        fid = self.model.factions.ids[self.faction]
        return {f"planner.{fid}.decisions": self.decisions, f"planner.{fid}.convoys_sent": self.convoys_sent,
                f"planner.{fid}.posts": sum(1 for n in list(self.posts) if self._has_post(n))}
