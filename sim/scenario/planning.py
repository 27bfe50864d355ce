"""The scenario language of strategy: faction planners, tension between rivals, and the
population whose support the factions compete for. Part of the scenario language
(``sim.scenario.spec`` re-exports these models); the behaviour they configure lives in
``agents/planner.py``, ``sim/submodels/tension.py`` and ``sim/submodels/population.py``.

Every weight is written in the scenario, so an analyst can read why each decision was taken:
docs/odd.md ("Objectives", "Adaptation") gives the scoring formulas.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.scenario.units import NonNegativeFloat, PositiveFloat, Probability, Strict


class PlannerWeights(Strict):
    """The weights of the planner's scores (dimensionless). Each option's score is a sum of
    terms, each a weight times a quantity named in docs/odd.md, "Adaptation"."""

    objective: NonNegativeFloat = Field(1.0, description="Value of a missing post on the corridor to keep open or "
                                        "an area to expand into.")
    tension: NonNegativeFloat = Field(1.0, description="Deterrence: cost per unit of tension / escalate_at with "
                                      "the rival holding the ground a convoy would cross.")
    risk: NonNegativeFloat = Field(1.0, description="Cost per unit of the expected force ratio against a convoy "
                                   "(blockers it expects / what the convoy can muster).")
    setback: NonNegativeFloat = Field(1.0, description="Cost of a recent setback (a convoy turned back), decaying "
                                      "with retry_days.")
    threat: NonNegativeFloat = Field(1.0, description="Value of reinforcing a held place, per unit of "
                                     "(rival fighters near it / own fighters near it − 1).")
    withdraw: NonNegativeFloat = Field(1.0, description="Value of withdrawing an untenable post, per unit of "
                                       "hostile fighters near it / (break_ratio × own and allied fighters there).")
    co_opt: NonNegativeFloat = Field(0.6, description="Value of funding a co-optation push after a setback (or "
                                     "when the road is denied).")
    strike: NonNegativeFloat = Field(1.0, description="Value of calling strikes on a faction it is hostile to.")
    checkpoint: NonNegativeFloat = Field(1.0, description="Value of setting up its checkpoints when a denied "
                                         "rival sends convoys or posts toward them.")


class PlannerSpec(Strict):
    """What a faction wants and how it decides (docs/odd.md, "Objectives" and "Adaptation")."""

    every_hours: float = Field(24.0, ge=1.0, le=24.0 * 365, description="Planning cycle: how often the faction's command "
                                       "decides (hours).")
    base: str = Field(description="Named place where the faction forms its convoys (its rear base).")
    base_radius_km: PositiveFloat = Field(10.0, description="Units within this distance of the base are its "
                                          "reserve (km).")
    hold: list[str] = Field(default_factory=list, description="Places to hold: reinforced when threatened.")
    keep_open: list[str] = Field(default_factory=list, description="A corridor to keep open: places in order "
                                 "from the base outward; the planner sends convoys to set up posts along it.")
    expand_into: list[str] = Field(default_factory=list, description="Places where the faction wants a post.")
    deny: list[str] = Field(default_factory=list, description="Rival factions whose corridor it denies: it sets "
                            "up its checkpoints (its checkpoint_blockade rules) when they move.")
    max_escalation: Literal["rival", "hostile"] = Field(
        "rival", description="How far it will escalate: 'hostile' lets tension turn a rivalry into fighting.")
    convoy_strength: PositiveFloat = Field(60.0, description="Fighters in a convoy the planner sends (at least).")
    overmatch: PositiveFloat = Field(1.6, description="After a setback, the next convoy aims for this ratio to "
                                     "the fighters that turned the last one back.")
    reinforce_to: PositiveFloat = Field(1.5, description="A held place under threat is reinforced up to this "
                                        "ratio of own and allied fighters to rival fighters near it.")
    reserve_keep: Probability = Field(0.4, description="Share of the reserve's fighters that stays at the base.")
    retry_days: PositiveFloat = Field(10.0, description="Time constant with which a setback's weight fades (days).")
    denied_days: NonNegativeFloat = Field(
        30.0, description="After a rival it is not fighting turned a convoy or column back at a checkpoint, the "
                          "command sends none down any road through that checkpoint for this long (days): the denial is "
                          "taken up between commands, not retried at the checkpoint (docs/odd.md, \"Adaptation\"; 0: no "
                          "such memory).")
    co_opt_usd_per_day: NonNegativeFloat = Field(
        800.0, description="What a co-optation push costs while it runs, taken from the faction's funding (US$ per day).")
    weights: PlannerWeights = PlannerWeights()

    def places(self) -> list[tuple[tuple[str | int, ...], str]]:
        """(key path, place) of every place named, for the scenario checks."""
        out: list[tuple[tuple[str | int, ...], str]] = [(("base",), self.base)]
        for key in ("hold", "keep_open", "expand_into"):
            out += [((key, i), p) for i, p in enumerate(getattr(self, key))]
        return out


class TensionWeights(Strict):
    """Tension added by one incident between two factions (tension units, dimensionless)."""

    standoff: NonNegativeFloat = Field(2.0, description="A convoy halted at a rival's checkpoint.")
    withdrawal: NonNegativeFloat = Field(3.0, description="A convoy turned back by a rival's checkpoint: what the "
                                         "whole encounter weighs (its standoff's weight is not added again).")
    clash: NonNegativeFloat = Field(2.0, description="A clash between the two (at most one a place every 6 h).")
    strike_not_stopped: NonNegativeFloat = Field(
        1.0, description="A strike on a faction that the other, able to intercept, did not stop.")
    defection: NonNegativeFloat = Field(3.0, description="A local militia co-opted from one by the other.")
    post: NonNegativeFloat = Field(0.5, description="A post set up where the other holds the ground.")


class TensionSpec(Strict):
    """Tension between pairs of factions (sim/submodels/tension.py): incidents raise it, time lowers it;
    past `escalate_at` a rivalry turns hostile (if either side will escalate that far), and it
    calms back to rivalry below `deescalate_below`."""

    half_life_days: PositiveFloat = Field(20.0, description="Tension halves in this time without incidents (days).")
    escalate_at: PositiveFloat = Field(15.0, description="Tension at which rivals become hostile, if it stays "
                                       "there for sustain_days (tension units).")
    sustain_days: NonNegativeFloat = Field(14.0, description="How long tension must stay at or above escalate_at "
                                           "before rivals turn hostile: more than one bad day (days).")
    deescalate_below: NonNegativeFloat = Field(4.0, description="Escalated pairs return to rivalry below this "
                                               "(tension units).")
    agreement_relief: Probability = Field(0.5, description="Share of the curtailed faction's tension with every "
                                          "rival that an agreement removes when it takes effect.")
    weights: TensionWeights = TensionWeights()

    @model_validator(mode="after")
    def _ordered(self) -> TensionSpec:
        if self.deescalate_below >= self.escalate_at:
            raise ValueError("deescalate_below must be less than escalate_at")
        return self


class TownSpec(Strict):
    """A town's people (sim/submodels/population.py)."""

    population: PositiveFloat = Field(description="Inhabitants (people; a sourced order of magnitude).")
    radius_km: PositiveFloat = Field(5.0, description="Area whose control and violence the town feels (km).")


class PopulationSpec(Strict):
    """Towns and their support for each faction (Kalyvas' control–collaboration logic)."""

    towns: dict[str, TownSpec] = Field(default_factory=dict, description="Named places with inhabitants.")
    control_rate_per_day: NonNegativeFloat = Field(
        0.02, description="Rate at which support moves toward the faction that controls the town (per day).")
    harm_per_fighter: NonNegativeFloat = Field(
        0.01, description="Support lost by the faction responsible, per fighter killed near the town in a strike "
        "or clash it took part in (per fighter).")
    grievance_days: PositiveFloat = Field(90.0, description="Time constant with which grievance fades (days).")
    recruit_weight: NonNegativeFloat = Field(
        1.0, description="How much the manpower refill follows supportive population: refill × "
        "(1 + w·(support/start − 1)) (dimensionless).")
    insurgent_grievance_weight: NonNegativeFloat = Field(
        2.0, description="Factor on insurgent recruitment per unit of population-weighted grievance where control "
        "is weak (dimensionless).")
    initial_support: dict[str, Probability] = Field(
        default_factory=dict, description="Starting support for a faction in every town (0–1); unlisted: 0.2.")
