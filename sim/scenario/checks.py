"""Cross-checks of a structurally valid scenario that need no map: faction ids and relations,
times inside the duration, the rules that events switch, and the values events set.

What a rule's parameters name (factions, times) each parameter model says itself
(:meth:`~sim.scenario.spec.RuleParams.faction_references`, :meth:`~sim.scenario.spec.RuleParams.times`).
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from sim.program.errors import did_you_mean
from sim.scenario.fields import PathT, rule_model
from sim.scenario.keypaths import PathError, format_path, parse_path, set_by_path
from sim.scenario.messages import one_of, pydantic_problems
from sim.scenario.report import Report
from sim.scenario.rule_params import rule_kind
from sim.scenario.spec import RULE_MODELS, RuleParams, Scenario


def check_references(spec: Scenario, rules: Sequence[tuple[str, RuleParams]], data: dict, report: Report) -> None:
    """Report every reference of a validated scenario that points nowhere, and every time not
    inside the run. `rules`: (key under `rules`, validated parameters) of each rule that validated;
    `data`: the resolved scenario data (to try out the values events set)."""
    factions = list(spec.factions)
    rule_keys = list(spec.rules)

    def faction(path: PathT, value: str | None, what: str = "faction") -> None:
        if value is not None and value not in spec.factions:
            report(path, f"unknown {what} '{value}'{did_you_mean(value, factions) or one_of(factions)}")

    # ---- time
    step_days = spec.time.step_hours / 24.0
    duration = spec.time.duration_days
    if duration < step_days - 1e-12:
        report(("time", "duration_days"),
               f"the duration ({duration:g} days = {duration * 24:g} h) is shorter than one step "
               f"({spec.time.step_hours:g} h)")

    def within(path: PathT, day: float, what: str) -> None:
        if day >= duration:
            report(path, f"{what} day {day:g} is not before the end of the run "
                         f"(time.duration_days is {duration:g})")

    # ---- relations
    seen_pairs: dict[frozenset, tuple[str, str]] = {}
    for key, value in spec.relations.items():
        path = ("relations", key)
        sides = key.split("/")
        if len(sides) != 2 or not all(sides):
            report(path, f"expected a pair of faction ids 'a/b' (or 'a/*'), found '{key}'")
            continue
        a, b = sides
        bad = False
        for side in (a, b):
            if side != "*" and side not in spec.factions:
                report(path, f"unknown faction '{side}'{did_you_mean(side, factions) or one_of(factions)}")
                bad = True
        if bad:
            continue
        if a == b and a != "*":
            report(path, f"a faction has no relation with itself ('{key}'); name two different factions")
            continue
        pair = frozenset((a, b))
        if pair in seen_pairs and seen_pairs[pair][1] != value:
            report(path, f"'{key}: {value}' contradicts '{seen_pairs[pair][0]}: {seen_pairs[pair][1]}'")
        seen_pairs[pair] = (key, value)

    # ---- rules: the factions and times their parameters name
    for key, params in rules:
        base = ("rules", key)
        for path, value in params.faction_references():
            faction(base + path, value)
        for path, day, what in params.times():
            within(base + path, day, what)

    # ---- planners and population: the factions they name
    for fid, fspec in spec.factions.items():
        if fspec.planner:
            for i, other in enumerate(fspec.planner.deny):
                faction(("factions", fid, "planner", "deny", i), other)
                if other == fid:
                    report(("factions", fid, "planner", "deny", i), f"a faction cannot deny itself ('{fid}')")
    if spec.population is not None:
        for fid in spec.population.initial_support:
            faction(("population", "initial_support", fid), fid)

    for i, f in enumerate(spec.observe.land_bridge_factions or []):
        faction(("observe", "land_bridge_factions", i), f)

    # ---- forces (faction, times) and events
    for i, force in enumerate(spec.forces):
        faction(("forces", i, "faction"), force.faction)
        if force.kind == "convoy":
            within(("forces", i, "depart_day"), force.depart_day, "the convoy's departure")
    for i, event in enumerate(spec.events):
        ep = ("events", i)
        if event.at_date is None:
            within(ep + ("at_day",), event.at_day, "the event")
        else:
            _check_date(ep + ("at_date",), event.at_date, spec.time, report)
        for action in ("enable", "disable"):
            name = getattr(event, action)
            if name is not None and name not in spec.rules:
                kinds_hint = did_you_mean(name, rule_keys)
                if not kinds_hint and rule_kind(name) in RULE_MODELS:
                    kinds_hint = (" (add it under `rules` with enabled: false to switch it on later)"
                                  if action == "enable" else " (only rules under `rules` can be switched off)")
                elif not kinds_hint:
                    kinds_hint = one_of(rule_keys, "rules")
                report(ep + (action,), f"no rule '{name}' under `rules`{kinds_hint}")
        if event.spawn is not None:
            faction(ep + ("spawn", "faction"), event.spawn.faction)
        for key, value in (event.set or {}).items():
            _check_event_set(data, ep + ("set", key), key, value, report)


def _check_event_set(data: dict, path: PathT, key: str, value: Any, report: Report) -> None:
    rules = data.get("rules")
    try:
        parts = parse_path(key)
        if len(parts) != 3 or parts[0] != "rules":
            raise PathError(f"only rule parameters can change during a run: write "
                            f"rules.<rule>.<parameter> (e.g. rules.airstrikes.rate_per_day), found '{key}'")
        # a trial copy of the one rule set (all rules, shallow, only to word an unknown one's
        # error): the cost does not grow with the scenario, so n events take time ∝ n
        if isinstance(rules, dict) and parts[1] in rules:
            trial = {"rules": {parts[1]: copy.copy(rules[parts[1]])}}
        else:
            trial = {"rules": dict(rules) if isinstance(rules, dict) else rules}
        set_by_path(trial, parts, value)
    except PathError as err:
        report(path, str(err))
        return
    # validate the new value with the rule's model
    model = rule_model(parts[1])
    params = trial["rules"].get(parts[1])
    if model is None or not isinstance(params, dict):
        return
    try:
        model.model_validate(params, strict=True)
    except ValidationError as exc:
        _relay(exc, model, ("rules", parts[1]), parts, path, report)


def _relay(exc: ValidationError, root: Any, prefix: PathT, target: PathT, at: PathT, report: Report) -> None:
    """Report the errors that a `set` event would cause at its target, located at the event."""
    def collect(path: PathT, message: str) -> None:
        if tuple(path[: len(target)]) == tuple(target):
            report(at, f"this event would set {format_path(target)} to an invalid value: {message}")
    pydantic_problems(exc, root, prefix, collect)


def _check_date(path: PathT, when: datetime.date, time, report: Report) -> None:
    """Report a calendar date outside the run: before `time.start_date`, or not before its end."""
    end = time.start_date + datetime.timedelta(days=time.duration_days)
    if when < time.start_date:
        report(path, f"the event date {when.isoformat()} is before the run starts (time.start_date is "
                     f"{time.start_date.isoformat()})")
    elif (when - time.start_date).days >= time.duration_days:
        report(path, f"the event date {when.isoformat()} is not before the end of the run ({end:%Y-%m-%d %H:%M}: "
                     f"time.start_date {time.start_date.isoformat()} + {time.duration_days:g} days)")
