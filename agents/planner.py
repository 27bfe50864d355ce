"""A faction's command: on its planning cycle it scores the options open to it with the weights
written in the scenario (`factions.<id>.planner`) and commits at most one, within what it has.

Options and their scores (docs/odd.md, "Adaptation", gives the same table):

==============  =================================================================================
option          score (w.* are `planner.weights`)
==============  =================================================================================
convoy → X      w.objective − w.tension·T/T_esc − w.risk·max(0, overmatch·E/S − 1)
                − w.setback·exp(−days since a convoy to X was turned back / retry_days).
                None for `denied_days` after a rival it is not fighting turned a convoy or
                column back at a checkpoint the road to X passes: the denial goes to the
                commands, no road through that checkpoint is retried.
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
                the rivals there) sets up a post at H. None for `denied_days` after a rival
                it is not fighting turned a column or convoy back at a checkpoint on the road
                to H (as for a convoy)
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

Each option is a function of agents/planner_options.py returning its score terms and its action;
the wording of the log is agents/planner_wording.py. The best option with a score above zero is
carried out; every decision is logged with its score terms ("day 12 06:00 — Russian forces' command sends convoy R2 (120 fighters) toward Albu Kamal
crossing: ..."), and so is a wait that follows an action or a changed situation. Planners draw
no random numbers: given what has happened, the decision is determined (docs/odd.md,
"Stochasticity"). They sense the map fully (positions and strengths of every unit, through
`model.space`), a stylisation documented in docs/odd.md, "Sensing", and pay through the economy
(`model.economy.commit`).
"""

from __future__ import annotations

import math

import numpy as np

from sim.agents.convoy import Convoy, ConvoyState
from sim.agents.planner_options import Option, scored_options
from sim.agents.planner_wording import chosen_text, decision_text, wait_text
from sim.agents.standing import Posture, StandingUnit
from sim.outputs import Outputs
from sim.scenario.spec import ConvoyOrders
from sim.world.factions import ALLIED, HOSTILE, RIVAL

#: a denied faction's post this close to a checkpoint makes the holder set the checkpoint up (km)
DENY_KM = 30.0


class FactionPlanner(Outputs):
    """The command of one faction (index `faction`) with its `PlannerSpec`."""

    alive = True  # the model's wake-up queue asks

    def __init__(self, model, faction: int, spec):
        self.model = model
        self.faction = faction
        self.spec = spec
        self.base = model.place(spec.base)
        self.posts: dict[str, list] = {}         # place name → post units there
        self.setbacks: dict[str, tuple[float, float, int]] = {}  # place → (hours, fighters, their faction)
        self.denials: dict[str, tuple[float, int]] = {}  # checkpoint's place → (hours, the faction that denied)
        self.decisions = 0
        self.convoys_sent = 0
        self.co_opting: list = []                 # co_optation rules it funds
        self._last_wait = ""
        self._looks: dict[tuple, tuple[int, list]] = {}  # `units_near`: (the faction's version, units) per look
        self._sensed: dict | None = None  # the muster, kept while it weighs its options (`options`)
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

    def setback(self, place: str, blockers: float, by: int, at: str | None = None) -> None:
        """A convoy of ours bound for `place` was turned back by `blockers` fighters of faction `by`
        at the checkpoint of place `at` (default: `place` itself). The setback is remembered per
        destination (the next convoy's strength), the denial per checkpoint: every road through
        it is denied alike (`denial`)."""
        self.setbacks[place] = (self.model.hours, blockers, by)
        self.denials[at or place] = (self.model.hours, by)

    def post_set_up(self, place: str, unit) -> None:
        """`unit` holds `place` as a post of this command (`unit.post_at`, what rivals sense)."""
        unit.post_at = place
        self.posts.setdefault(place, []).append(unit)

    # --- deciding -----------------------------------------------------------------------------
    def options(self) -> list[Option]:
        """Every option open to it now, scored as in the table above (an option whose `act` is
        None cannot be carried out: it says why not). Reads the model, changes nothing; so the
        muster is worked out once and kept until the options are scored."""
        self._sensed = {}
        try:
            return scored_options(self)
        finally:
            self._sensed = None

    def decide(self) -> None:
        options = self.options()
        best = max(options, key=lambda o: o.score, default=None)
        chooser = self.model.chooser  # an outside command (a class team, sim/app/session.py), or None
        choice = chooser(self, options, best) if chooser is not None else None
        if choice is not None:
            self.carry_out(*choice)
            return
        if best is None or best.score <= 0:
            text = wait_text(self.name, best)
            key = text.split(":")[0]
            if key != self._last_wait:
                self._last_wait = key
                self._log(text)
            return
        self._last_wait = ""
        self.decisions += 1
        self._log(decision_text(self.name, best))
        best.act()

    def carry_out(self, option: Option | None, by: str) -> None:
        """Carry out `option` (one of `options()`; None: wait), chosen by `by` (e.g. "team
        Falcons"), and log it with its reasons whatever it is."""
        self._log(chosen_text(self.name, by, option))
        if option is None or option.act is None:
            return
        self._last_wait = ""
        self.decisions += 1
        option.act()

    def _log(self, text: str) -> None:
        model = self.model
        model.log.add(model.steps_done, model.hours, "decision", text, factions=[model.factions.ids[self.faction]])
        model.recorder.count("decision")

    # --- sensing (agents/planner_options.py asks) -----------------------------------------------
    def friendly(self, f: int) -> bool:
        """Is faction `f` this one or its ally?"""
        return self.model.factions.relation[self.faction, f] == ALLIED

    def fighters_near(self, rc, km: float, *, friendly: bool, hostile_only: bool = False) -> float:
        """Fighters of regular units within `km` of cell `rc`: with `friendly`, its own and its
        allies'; otherwise its rivals' and enemies'; with `hostile_only`, every unit (insurgent
        cells too) of the factions it is hostile to. Neutral factions never count."""
        relation = self.model.factions.relation[self.faction].tolist()
        if friendly:
            wanted = [f for f, code in enumerate(relation) if code == ALLIED]
        elif hostile_only:
            wanted = [f for f, code in enumerate(relation) if code == HOSTILE]
        else:
            wanted = [f for f, code in enumerate(relation) if code in (RIVAL, HOSTILE)]
        return sum(u.strength for f in wanted for u in self.units_near(rc, km, f)
                   if hostile_only or u.kind != "insurgent")

    def units_near(self, rc, km: float, faction: int) -> list:
        """`model.space.units_near(rc, km, faction)`, kept until the presence of `faction` next
        changes (its version, `InfluenceField.changes`, counts every move, loss, gain, arrival
        and departure of its units): which of its units stand near a cell, and in what order,
        depends on its own units only, and a command looks at the same few places every day,
        several times a decision. Do not modify."""
        version = self.model.influence.changes[faction]
        key = (rc[0], rc[1], km, faction)
        kept = self._looks.get(key)
        if kept is None or kept[0] != version:
            kept = self._looks[key] = (version, self.model.space.units_near(rc, km, faction))
        return kept[1]

    def holder(self, place) -> int | None:
        """The faction holding `place` (its footprint, sim/submodels/holding.py), None if nobody."""
        code = self.model.recorder.holding.of(place)
        return code if code >= 0 else None

    def reserve(self) -> list:
        """Its standing units at the base that may leave (not on checkpoint duty, not local militia)."""
        units = self.units_near(self.base.cell, self.spec.base_radius_km, self.faction)
        return sorted((u for u in units if isinstance(u, StandingUnit) and u.mover is None
                       and u.posture not in (Posture.CHECKPOINT,) and u.kind != "local_militia"),
                      key=lambda u: u.unique_id)

    def muster(self) -> float:
        """Fighters the reserve can send (all but `reserve_keep` of them)."""
        sensed = self._sensed
        if sensed is not None and "muster" in sensed:
            return sensed["muster"]
        muster = sum(u.strength for u in self.reserve()) * (1.0 - self.spec.reserve_keep)
        if sensed is not None:
            sensed["muster"] = muster
        return muster

    def tension_with(self, f: int | None) -> float:
        """Tension with faction `f` as a share of the escalation threshold (0 for nobody)."""
        if f is None:
            return 0.0
        return float(self.model.tension.level[self.faction, f]) / self.model.spec.tension.escalate_at

    def setback_weight(self, place: str) -> float:
        """exp(−days since a convoy to `place` was turned back / retry_days); 0 if none was."""
        if place not in self.setbacks:
            return 0.0
        hours, _, _ = self.setbacks[place]
        return math.exp(-(self.model.hours - hours) / 24.0 / self.spec.retry_days)

    def denial(self, route: list[str]) -> tuple[float, int, str] | None:
        """The remembered denial on the road from the base along `route` (place names) as (days
        left, the faction that denied it, the checkpoint's place): a checkpoint at which a rival
        it is still only rivals with (not hostile) turned a convoy or column back less than
        `denied_days` ago, and which that road comes within reach of (the checkpoint rule's
        `reach_km`; the place itself when no checkpoint stands there), so that the town and the
        crossing behind the same checkpoint are denied alike. The one with the most days left;
        None when the road is open (or there is no road)."""
        relation, hours = self.model.factions.relation[self.faction], self.model.hours
        live = [(self.spec.denied_days - (hours - h) / 24.0, by, at) for at, (h, by) in self.denials.items()
                if relation[by] == RIVAL]
        live = [d for d in live if d[0] > 0.0]
        if not live:
            return None
        path = self.road(route)
        crossed = [d for d in live if path is not None and self.passes(path, d[2])]
        return max(crossed, key=lambda d: d[0], default=None)

    def road(self, route: list[str]) -> np.ndarray | None:
        """(n, 2) cells of its least-time path from the base through the places of `route` in
        order (the path its convoy would take, `model.space.plan_path`); None if unreachable."""
        finder = self.model.space.pathfinder(self.faction)
        legs, here = [np.array([self.base.cell])], tuple(self.base.cell)
        for name in route:
            target = tuple(self.model.place(name).cell)
            leg = finder.path(here, target)
            if leg is None:
                return None
            legs.append(leg[1:])
            here = target
        return np.concatenate(legs).astype(int)

    def passes(self, path: np.ndarray, at: str) -> bool:
        """Does `path` ((n, 2) cells) come within reach of the checkpoint at place `at` (its
        rule's `reach_km`; 0 km, the place's own cell, when no checkpoint stands there)?"""
        model = self.model
        reach = max((cp.rule.params.reach_km for cp in model.checkpoints if cp.place.name == at), default=0.0)
        km = np.hypot(*(path - np.array(model.place(at).cell)).T) * model.map.cell_km
        return bool((km <= reach + 1e-9).any())

    def has_post(self, name: str) -> bool:
        """Does a post of this command still stand at place `name`?"""
        units = [u for u in self.posts.get(name, []) if u.alive]
        self.posts[name] = units
        return bool(units)

    def en_route(self, name: str) -> bool:
        """Is a convoy of its faction waiting, moving or halted on its way to place `name`?"""
        return any(c.faction == self.faction and c.route[-1] == name and c.state in
                   (ConvoyState.WAITING, ConvoyState.MOVING, ConvoyState.STANDOFF) for c in self.model.convoys)

    def convoy_targets(self):
        """(place, route) of the next place of `keep_open` (base outward) without a post or its
        allies' control, then each place of `expand_into` without a post."""
        route = [p for p in self.spec.keep_open if self.model.place(p).name != self.base.name]
        for i, name in enumerate(route):
            place = self.model.place(name)
            holder = self.holder(place)
            if not self.has_post(place.name) and not (holder is not None and self.friendly(holder)):
                yield place, route[: i + 1]
                break
        for name in self.spec.expand_into:
            place = self.model.place(name)
            if not self.has_post(place.name):
                yield place, [name]

    def own_rules(self, kind: str, by: str = "by"):
        """Its faction's rules of `kind` (those whose `by` parameter names it)."""
        fid = self.model.factions.ids[self.faction]
        return [r for r in self.model.rules if r.name == kind and getattr(r.params, by, None) == fid]

    def denied_moves(self, f: int, rule) -> bool:
        """Is denied faction `f` moving toward the checkpoints of `rule`: a convoy of it on the
        road, or a post of its command (`post_at`) within DENY_KM of a checkpoint?"""
        model = self.model
        if any(c.faction == f and c.state in (ConvoyState.MOVING, ConvoyState.WAITING) for c in model.convoys):
            return True
        cells = [model.place(p).cell for p in rule.params.at]
        return any(u.post_at is not None for c in cells for u in self.units_near(c, DENY_KM, f))

    # --- acting (the options' actions) ----------------------------------------------------------
    def next_label(self) -> str:
        """The label its next convoy or column will have ("R2")."""
        return f"{self._stem}{self._next_convoy}"

    def send(self, route: list[str], strength: float, label: str) -> Convoy:
        """A convoy of up to `strength` fighters from the reserve along `route` (place names)."""
        model = self.model
        left = strength
        for unit in self.reserve():
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

    def withdraw_post(self, name: str) -> None:
        """Its post at place `name` goes home to the base and is a post no longer."""
        for unit in self.posts.pop(name, []):
            if unit.alive:
                unit.post_at = None
                unit.home = self.base.cell
                unit.go_home()

    def start_co_opt(self, rule) -> None:
        """Switch `rule` (co_optation) on and pay `co_opt_usd_per_day` for it from now on."""
        rule.set_param("enabled", True)
        self.co_opting.append(rule)
        self.model.economy.commit(self.faction, self.spec.co_opt_usd_per_day)

    def summary(self, rows: slice) -> dict:
        """Decisions taken, convoys sent and posts held so far (the outputs protocol)."""
        fid = self.model.factions.ids[self.faction]
        return {f"planner.{fid}.decisions": self.decisions, f"planner.{fid}.convoys_sent": self.convoys_sent,
                f"planner.{fid}.posts": sum(1 for n in list(self.posts) if self.has_post(n))}
