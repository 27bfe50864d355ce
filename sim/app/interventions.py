"""A teacher's interventions during a run: set a rule's parameter from now on, switch a rule on
or off, or trigger an airstrike now. Each is logged in the run's narrative and recorded with
the number of steps done when it was made, so that the run can be replayed exactly from its
seed and the recorded interventions (the model is deterministic for a seed).

Nothing here imports Solara.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from sim.program.errors import UserError

#: kinds of intervention: a rule parameter from now on, or one airstrike now
SET, AIRSTRIKE = "set", "airstrike"


@dataclass(frozen=True)
class Intervention:
    """`step`: steps done when it is applied (before the next step); `rule`: the key of the rule
    it concerns; `param`, `value`: for `SET` (param 'enabled' switches the rule)."""

    step: int
    kind: str
    rule: str
    param: str | None = None
    value: float | bool | None = None

    def describe(self) -> str:
        """In plain words, without the scenario's keys: 'checkpoint blockade: stop probability
        set to 0 from now on', 'agreement switched off', 'airstrike now (airstrikes)'."""
        rule = self.rule.replace("_", " ")
        if self.kind == AIRSTRIKE:
            return f"airstrike now ({rule})"
        if self.param == "enabled":
            return f"{rule} switched {'on' if self.value else 'off'}"
        return f"{rule}: {self.param.replace('_', ' ')} set to {self.value:g} from now on"

    def apply(self, model) -> None:
        """Apply to `model` now and log it; a value the rule refuses raises UserError (and
        changes nothing)."""
        rule = model.rules_by_key.get(self.rule)
        if rule is None:
            raise UserError(f"this scenario has no rule '{self.rule}'")
        if self.kind == AIRSTRIKE:
            model.recorder.incident("event", f"teacher's intervention: {self.describe()}", None)
            rule.strike()
            return
        if self.kind != SET:
            raise UserError(f"unknown intervention '{self.kind}'")
        try:
            rule.set_param(self.param, self.value)
        except ValidationError as err:
            problem = err.errors()[0]
            raise UserError(f"{self.rule}.{self.param} = {self.value}: {problem['msg']}") from None
        model.recorder.incident("event", f"teacher's intervention: {self.describe()}", None)


def triggers(model) -> list[tuple[str, str]]:
    """(rule key, button text) for the events that can be triggered now in this model."""
    return [(r.key, f"Airstrike now ({r.params.by})") for r in model.rules if r.name == "airstrikes"]
