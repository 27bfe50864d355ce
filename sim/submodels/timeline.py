"""Events on the scenario's timeline: at a time (days from the start, or a calendar date), spawn forces, set a rule parameter, or switch
a rule on or off. Each event fires once, at the first step that starts at or after its time."""

from __future__ import annotations

from sim.program.errors import UserError


class Timeline:
    def __init__(self, events, model):
        self.model = model
        start = model.calendar.start
        #: (hours from the start, event), earliest first; `at_date` events fire at the date's 00:00
        self.pending = sorted(((e.day(start) * 24.0, e) for e in events), key=lambda pair: pair[0])

    def apply_due(self, hours: float) -> None:
        while self.pending and self.pending[0][0] <= hours + 1e-9:
            self._apply(self.pending.pop(0)[1], hours)

    def _apply(self, event, hours: float) -> None:
        model = self.model
        if event.spawn is not None:
            units = model.spawn_force(event.spawn, depart_hours=hours)
            what = f"{len(units)} {event.spawn.kind.replace('_', ' ')} unit(s) of {event.spawn.faction} appear"
        elif event.set is None and event.enable is None and event.disable is None:
            what = "note"
        elif event.set is not None:
            for path, value in event.set.items():
                rule, param = self._rule_param(path)
                rule.set_param(param, value)
            what = "set " + ", ".join(f"{k} = {v}" for k, v in event.set.items())
        else:
            key = event.enable or event.disable
            self._rule(key).set_param("enabled", event.enable is not None)
            what = f"rule {key} {'enabled' if event.enable else 'disabled'}"
        model.recorder.incident("event", event.note or what, None)

    def _rule(self, key: str):
        try:
            return self.model.rules_by_key[key]
        except KeyError:
            raise UserError(f"event names rule '{key}', which the scenario does not have") from None

    def _rule_param(self, path: str):
        parts = path.split(".")
        if len(parts) != 3 or parts[0] != "rules":
            raise UserError(f"event set path '{path}': only rules.<rule>.<parameter> can change during a run")
        return self._rule(parts[1]), parts[2]
