"""The options a faction's command weighs (agents/planner.py), one function each: given the
planner `p`, it returns (or yields) `Option`s, each with its score, the terms behind the score
and what the narrative names (`terms`), and the action that carries it out (`act`). The
formulas are the table of agents/planner.py's docstring (docs/odd.md, "Adaptation"); the
wording of every option is agents/planner_wording.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sim.agents.planner_wording import action_text, reason_text

#: a unit this close to a place counts as standing at it (km)
NEAR_KM = 5.0
#: rival fighters this close to a held place threaten it (km)
THREAT_KM = 10.0


@dataclass
class Option:
    """One option: `kind` (a key of agents/planner_wording.WORDING), `score` (the best above 0
    is carried out), `terms` (the score's terms and the names the log gives), `act` (carries
    it out; None for an option that cannot be taken)."""

    kind: str
    score: float
    terms: dict
    act: Callable[[], object] | None = field(repr=False, default=None)

    @property
    def action(self) -> str:
        """What the command does, for the log: "sends convoy R2 (120 fighters) toward X"."""
        return action_text(self.kind, self.terms)

    @property
    def reason(self) -> str:
        """The score's terms, for the log."""
        return reason_text(self.kind, self.terms)


def convoy_options(p) -> Iterator[Option]:
    """A convoy to each target of `keep_open` and `expand_into` (`p.convoy_targets`) with none
    on its way: w.objective − w.tension·T/T_esc − w.risk·max(0, overmatch·E/S − 1) −
    w.setback·(setback weight); a score of −1 when the reserve cannot muster a convoy or a rival
    it is not fighting denied a checkpoint on its road within `denied_days` (`denied_option`)."""
    w, spec, model = p.spec.weights, p.spec, p.model
    labels = model.factions.labels
    muster = p.muster()
    for place, route in p.convoy_targets():
        if p.en_route(place.name):
            continue
        denied = denied_option(p, place.name, route, "convoy")
        if denied is not None:
            yield denied
            continue
        _, blocked_by, _ = p.setbacks.get(place.name, (0.0, 0.0, None))
        wanted = max(spec.convoy_strength, spec.overmatch * blocked_by)
        strength = min(wanted, muster)
        if strength < spec.convoy_strength:
            yield Option("convoy_too_weak", -1.0, {"place": place.name, "muster": muster, "base": p.base.name,
                                                   "wanted": wanted})
            continue  # (what stands at the place is looked at only for a convoy it can send)
        holder = p.holder(place)
        opposition = p.fighters_near(place.cell, NEAR_KM, friendly=False)
        hostile = p.fighters_near(place.cell, NEAR_KM, friendly=False, hostile_only=True)
        expected = max(hostile, blocked_by)
        t = p.tension_with(holder)
        setback = p.setback_weight(place.name)
        risk = max(0.0, spec.overmatch * expected / strength - 1.0)  # 0 when it musters the overmatch
        score = w.objective - w.tension * t - w.risk * risk - w.setback * setback
        label = p.next_label()
        escalate_at = model.spec.tension.escalate_at
        yield Option("convoy", score, {
            "place": place.name, "label": label, "strength": strength, "score": score,
            "holder": labels[holder] if holder is not None else None, "opposition": opposition,
            "within_km": NEAR_KM, "tension": t * escalate_at, "escalate_at": escalate_at, "blocked_by": blocked_by,
            "risk": risk, "setback": setback},
            lambda route=route, strength=strength, label=label: p.send(route, strength, label))


def denied_option(p, name: str, route: list[str], column: str) -> Option | None:
    """While a rival it is not fighting is remembered to have denied a checkpoint on the road along
    `route` to place `name` (`p.denial`), the `column` ("convoy" or "column") it would send there
    is an option that scores −1 and cannot be carried out; None when the road is open."""
    denial = p.denial(route)
    if denial is None:
        return None
    days_left, by, at = denial
    return Option("road_denied", -1.0, {"place": name, "column": column, "by": p.model.factions.labels[by],
                                        "at": at, "days_left": days_left})


def reinforce_options(p) -> Iterator[Option]:
    """A column to each place of `hold` that it or its allies stand at and rivals threaten:
    w.threat·(min(R, break_ratio) − 1), unless the column would still face hostile fighters
    past break_ratio (a lost cause); a score of −1 while a rival denied a checkpoint on the
    road to it (`denied_option`)."""
    w = p.spec.weights
    muster = p.muster()
    break_ratio = p.model.spec.engagement.break_ratio
    for name in p.spec.hold:
        place = p.model.place(name)
        own = p.fighters_near(place.cell, THREAT_KM, friendly=True)
        if own <= 0:
            continue  # a place it does not hold is a convoy's objective, not a reinforcement's
        threat = p.fighters_near(place.cell, THREAT_KM, friendly=False)
        if threat <= 0 or p.en_route(place.name):
            continue
        ratio = threat / max(own, p.spec.convoy_strength)
        need = min(muster, p.spec.reinforce_to * threat - own)
        if need < p.spec.convoy_strength / 2:
            continue
        hostile = p.fighters_near(place.cell, NEAR_KM, friendly=False, hostile_only=True)
        here = p.fighters_near(place.cell, NEAR_KM, friendly=True)
        if hostile > break_ratio * (here + need):
            continue  # the column would arrive past breaking point and be withdrawn: a lost cause
        denied = denied_option(p, place.name, [place.name], "column")
        if denied is not None:
            yield denied
            continue
        score = w.threat * (min(ratio, break_ratio) - 1.0)  # worse odds than breaking point add nothing
        label = p.next_label()
        yield Option("reinforce", score, {"place": place.name, "label": label, "need": need, "threat": threat,
                                          "within_km": THREAT_KM, "own": own, "ratio": ratio, "score": score},
                     lambda route=[place.name], n=need, label=label: p.send(route, n, label))


def withdraw_options(p) -> Iterator[Option]:
    """Each post outnumbered past breaking point: w.withdraw·(hostile fighters within 5 km /
    (break_ratio × its own and allied fighters there))."""
    w = p.spec.weights
    ratio_limit = p.model.spec.engagement.break_ratio
    for name in list(p.posts):
        if not p.has_post(name):
            continue
        post = sum(u.strength for u in p.posts[name])
        place = p.model.place(name)
        own = p.fighters_near(place.cell, NEAR_KM, friendly=True)  # the post, and who stands with it
        hostile = p.fighters_near(place.cell, NEAR_KM, friendly=False, hostile_only=True)
        if hostile <= ratio_limit * own:
            continue
        score = w.withdraw * hostile / (ratio_limit * own)
        yield Option("withdraw", score, {"place": name, "post": post, "base": p.base.name, "hostile": hostile,
                                         "own": own, "break_ratio": ratio_limit, "score": score},
                     lambda name=name: p.withdraw_post(name))


def co_opt_option(p) -> Iterator[Option]:
    """After a setback, funding its first switched-off co_optation rule with targets on the
    map: w.co_opt·(0.5 + setback weight)."""
    rules = [r for r in p.own_rules("co_optation") if not r.enabled]
    if not rules:
        return
    rule = rules[0]
    targets = [u for u in p.model.agents if u.kind == "local_militia" and u.faction in rule.targets]
    if not targets:
        return
    setback = max((p.setback_weight(place) for place in p.setbacks), default=0.0)
    if setback <= 0:
        return  # co-optation is the answer to a road that is denied
    score = p.spec.weights.co_opt * (0.5 + setback)
    latest = max(h for h, _, _ in p.setbacks.values())
    yield Option("co_opt", score, {"usd_per_day": p.spec.co_opt_usd_per_day, "targets": len(targets),
                                   "days_since_setback": (p.model.hours - latest) / 24.0, "score": score},
                 lambda: p.start_co_opt(rule))


def strike_options(p) -> Iterator[Option]:
    """Switching its airstrikes rule on against a faction it is now hostile to, or off when
    that ends: w.strike."""
    model = p.model
    for rule in p.own_rules("airstrikes"):
        target = model.factions.index(rule.params.against)
        hostile = model.is_hostile(p.faction, target)
        if hostile != rule.enabled:
            yield Option("strike", p.spec.weights.strike, {"hostile": hostile, "target": model.factions.labels[target]},
                         lambda rule=rule, on=hostile: rule.set_param("enabled", on))


def checkpoint_options(p) -> Iterator[Option]:
    """Switching on its checkpoint_blockade rule when a faction it denies is moving toward
    the checkpoints (`p.denied_moves`): w.checkpoint."""
    ids, labels = p.model.factions.ids, p.model.factions.labels
    for rule in p.own_rules("checkpoint_blockade"):
        if rule.enabled:
            continue
        denied = [f for f in rule.params.against if f in p.spec.deny]
        moving = [f for f in denied if p.denied_moves(ids.index(f), rule)]
        if moving:
            yield Option("checkpoint", p.spec.weights.checkpoint,
                         {"at": list(rule.params.at), "moving": [labels[ids.index(f)] for f in moving]},
                         lambda rule=rule: rule.set_param("enabled", True))


#: every option, in the order the planner weighs them (the first of equal scores wins)
OPTIONS = (convoy_options, reinforce_options, withdraw_options, co_opt_option, strike_options, checkpoint_options)


def scored_options(p) -> list[Option]:
    """Every option the planner `p` weighs now."""
    return [o for weigh in OPTIONS for o in weigh(p)]
