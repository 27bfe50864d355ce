"""Control rules: pluggable objects with one small interface, registered by name.

A rule is configured from the scenario (`rules: {name: {...}}` or `rules: {name/label: {...}}`,
its parameters validated by the model `sim.scenario.rule_params.RULE_MODELS[name]`), set up once on the
model, applied each step while enabled, and reports figures for the run summary. Events
change its parameters (`set: {rules.airstrikes.rate_per_day: 0.5}`) or switch it on and off. Each rule draws from its own random stream, named after its key, so
switching one rule on does not reshuffle the draws of anything else.

What the model needs to know about a rule it asks the rule (`setup_before_deployment`,
`factions_added`), never its name.
"""

from __future__ import annotations

from typing import ClassVar

from sim.outputs import Outputs
from sim.scenario.spec import RULE_MODELS, RuleParams

REGISTRY: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: make a rule class buildable by its `name` (the scenario's rule kind).

    Raises ValueError if `sim.scenario.spec.RULE_MODELS` has no parameter model for that name."""
    if cls.name not in RULE_MODELS:
        raise ValueError(f"rule {cls.name!r} has no parameter model in sim.scenario.spec.RULE_MODELS")
    REGISTRY[cls.name] = cls
    return cls


class Rule(Outputs):
    """One configured rule on one model.

    `key` is the rule's name in the scenario (the kind, or 'kind/label' when a scenario has
    several of a kind); `params` its validated parameters; `rng` its own random stream."""

    #: the rule kind, as written in scenarios (a key of `sim.scenario.spec.RULE_MODELS`)
    name: ClassVar[str]
    #: set up before the scenario's initial forces are deployed, so that the deployment
    #: respects it (a deconfliction line); other rules are set up after, with the forces on the map
    setup_before_deployment: ClassVar[bool] = False

    def __init__(self, key: str, params: RuleParams, model):
        self.key = key
        self.params = params
        self.model = model
        self.rng = model.streams[f"rule:{key}"]

    @property
    def enabled(self) -> bool:
        return self.params.enabled

    def set_param(self, name: str, value) -> None:
        """Change one parameter (field name or its alias), re-validated against the rule's
        parameter model; raises pydantic.ValidationError if the new value is invalid."""
        fields = type(self.params).model_fields
        field = next((f for f, info in fields.items() if name in (f, info.alias)), name)
        data = self.params.model_dump()
        data[field] = value
        self.params = type(self.params).model_validate(data)
        self.changed(name)

    # --- the interface ------------------------------------------------------------------------
    def setup(self) -> None:
        """Called once while the model is built: before the initial forces are deployed if
        `setup_before_deployment`, after otherwise."""

    def apply(self) -> None:
        """Called every step while the rule is enabled."""

    def changed(self, name: str) -> None:
        """Called after an event changed parameter `name`."""

    def factions_added(self, regular_only: bool = False) -> set[int]:
        """Faction indices whose units this rule brings onto the map during the run (whether
        enabled or not); with `regular_only`, only those it brings regular units for (not
        insurgent cells). Asked once, after setup, to know which factions may fight."""
        return set()

    def summary(self, rows: slice) -> dict[str, float]:
        """The rule's figures so far, keyed '<rule key>.<figure>', for the run summary (the
        outputs protocol, sim/outputs.py; a rule records no step-table column).

        A getter: read whenever results are assembled, at the end of a run or mid-run (the
        app shows results while a run is under way)."""
        return {}


def build_rules(rule_specs, model) -> list[Rule]:
    """The rules of a loaded scenario (`LoadedScenario.rules`, in scenario order), not yet set up."""
    return [REGISTRY[spec.name](spec.key, spec.params, model) for spec in rule_specs]


def keys_of_kind(rule_specs, kind: str) -> list[str]:
    """Keys of a loaded scenario's rules of one kind, in scenario order: for ``"reinforcement"``
    e.g. ``["reinforcement", "reinforcement/russia"]`` (empty when it has none)."""
    return [spec.key for spec in rule_specs if spec.name == kind]
