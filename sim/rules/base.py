"""Control rules: pluggable objects with one small interface, registered by name.

A rule is configured from the scenario (`rules: {name: {...}}`), set up once on the model,
applied each step while enabled, finished at the end, and can describe itself in words. Events
change its parameters (`set: {rules.airstrikes.rate_per_day: 0.5}`) or switch it on and off.
Each rule draws from its own random stream, named after its key, so switching one rule on
does not reshuffle the draws of anything else.
"""

from __future__ import annotations

from typing import ClassVar

from sim.scenario.spec import RULE_MODELS, RuleBase

REGISTRY: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    if cls.name not in RULE_MODELS:
        raise ValueError(f"rule {cls.name!r} has no parameter model in sim.scenario.spec.RULE_MODELS")
    REGISTRY[cls.name] = cls
    return cls


class Rule:
    name: ClassVar[str]

    def __init__(self, key: str, params: RuleBase, model):
        self.key = key
        self.params = params
        self.model = model
        self.rng = model.streams[f"rule:{key}"]

    @property
    def enabled(self) -> bool:
        return self.params.enabled

    def set_param(self, name: str, value) -> None:
        """Change one parameter, re-validated against the rule's model."""
        fields = type(self.params).model_fields
        field = next((f for f, info in fields.items() if name in (f, info.alias)), name)
        data = self.params.model_dump()
        data[field] = value
        self.params = type(self.params).model_validate(data)
        self.changed(name)

    # --- the interface ------------------------------------------------------------------------
    def setup(self) -> None:
        """Called once after the initial forces are on the map."""

    def apply(self) -> None:
        """Called every step while the rule is enabled."""

    def changed(self, name: str) -> None:
        """Called after an event changed parameter `name`."""

    def finish(self) -> dict:
        """Called at the end; returns figures for the run summary."""
        return {}

    def describe(self) -> str:
        raise NotImplementedError


def build_rules(rule_specs, model) -> list[Rule]:
    return [REGISTRY[spec.name](spec.key, spec.params, model) for spec in rule_specs]
