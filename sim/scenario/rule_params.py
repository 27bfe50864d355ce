"""The parameter models of the control rules, one per rule kind, and ``RULE_MODELS`` (rule kind
→ model). Part of the scenario language (``sim.scenario.spec`` re-exports them); each model also
answers the scenario checks' questions about itself (which factions and times it names, which
regions it forbids), so no code outside the rules registry compares rule names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from sim.scenario.units import NonNegativeFloat, PositiveFloat, Probability, Strict


class RuleParams(Strict):
    """Parameters every rule has; each rule kind's model (in RULE_MODELS) adds its own."""

    enabled: bool = Field(True, description="Switch the rule off without deleting it (events can toggle it).")

    # What the scenario checks ask of a rule's parameters; key paths are relative to the rule.
    def faction_references(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """(key path, faction id) of every faction these parameters name; each must be declared
        under `factions`. None by default."""
        return iter(())

    def times(self) -> Iterator[tuple[tuple[str | int, ...], float, str]]:
        """(key path, day, what it is, e.g. "the agreement's start") of every time these parameters
        name; each must come before the end of the run. None by default."""
        return iter(())

    def point_references(self) -> Iterator[tuple[tuple[str | int, ...], list[float]]]:
        """(key path, [lon, lat]) of every point these parameters define; each must be on the map.
        None by default."""
        return iter(())

    def place_references(self) -> Iterator[tuple[tuple[str | int, ...], str]]:
        """(key path, place name) of every named place these parameters name; each must be on
        the map. By default those under `at` (one name or a list)."""
        at = getattr(self, "at", None)
        if isinstance(at, str):
            yield ("at",), at
        elif isinstance(at, list):
            for i, name in enumerate(at):
                yield ("at", i), name

    def forbidden_regions(self) -> dict[str, list[str]]:
        """{faction id: map regions it may not enter} while the rule is enabled. None by default."""
        return {}


def _factions(key: str, value: str | list[str] | None) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(key path, faction id) for a parameter naming one faction, a list of them, or none."""
    if isinstance(value, str):
        yield (key,), value
    elif value is not None:
        for i, faction in enumerate(value):
            yield (key, i), faction


class CheckpointBlockadeParams(RuleParams):
    by: str = Field(description="Faction that mans the checkpoints.")
    against: list[str] = Field(min_length=1, description="Factions whose convoys are stopped.")
    at: list[str] = Field(min_length=1, description="Named places where checkpoints stand.")
    stop_probability: Probability = Field(0.9, description="Chance a blocked convoy is stopped.")
    reach_km: PositiveFloat = Field(3.0, description="A convoy this close to a checkpoint meets it (km).")
    reinforce_radius_km: NonNegativeFloat = Field(
        15.0, description="Holder's units within this distance come to the checkpoint (km)."
    )
    withdraw_when_outnumbered: PositiveFloat = Field(
        1.5, description="Once the defenders have gathered, a convoy withdraws with probability ½ when they "
        "outnumber it by this ratio (more likely above, less below; ratio_spread); when its wait runs out it "
        "drives on with probability ½ if it outnumbers them by this ratio (the same judgement, sides swapped)."
    )
    give_way_ratio: PositiveFloat = Field(
        3.0, description="The checkpoint gives way when the convoy outnumbers the holder's fighters there and "
        "on the way by this ratio."
    )
    ratio_spread: NonNegativeFloat = Field(
        0.4, description="Uncertainty of a convoy commander's judgement of the odds: the scale s of the logistic "
        "withdrawal probability in ln(defenders / convoy) around ln(withdraw_when_outnumbered); 0: a hard threshold."
    )

    def faction_references(self):
        yield from _factions("by", self.by)
        yield from _factions("against", self.against)


class ReinforcementParams(RuleParams):
    faction: str
    at: str = Field(description="Named place where reinforcements arrive.")
    unit_size: PositiveFloat = Field(30.0, description="Fighters per arriving unit.")
    deploy_radius_km: NonNegativeFloat = Field(
        10.0, description="New units take up posts within this distance of the arrival place (km)."
    )
    posture: Literal["hold", "patrol"] = Field("patrol", description="Posture of arriving units.")
    max_fighters: NonNegativeFloat = Field(
        1e9, description="Stop when the faction's total strength reaches this (fighters)."
    )
    max_per_day: NonNegativeFloat = Field(
        60.0, description="Most recruits the route can bring in a day, however many are paid for "
        "(fighters per day)."
    )

    def faction_references(self):
        return _factions("faction", self.faction)


class CoOptationParams(RuleParams):
    by: str = Field(description="Sponsor that buys loyalty.")
    from_: list[str] = Field(alias="from", min_length=1, description="Sponsors whose local militias are targeted.")
    radius_km: PositiveFloat = Field(20.0, description="Reach of the buyer's presence (km).")
    erosion_per_day: NonNegativeFloat = Field(
        0.005, description="Loyalty lost per day next to the buyer's units, times the ratio of what the "
        "two sponsors actually pay a fighter; "
        "falls linearly to nothing at radius_km (per day)."
    )
    recovery_per_day: NonNegativeFloat = Field(0.002, description="Loyalty regained per day otherwise.")
    switch_below: Probability = Field(0.3, description="Loyalty under which a unit changes sponsor.")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def faction_references(self):
        yield from _factions("by", self.by)
        yield from _factions("from", self.from_)


class AirstrikesParams(RuleParams):
    by: str = Field("external", description="Who strikes (a label; need not be a faction on the map).")
    against: str = Field(description="Faction targeted.")
    rate_per_day: NonNegativeFloat = Field(0.02, description="Poisson rate of strikes (per day).")
    loss_fraction: Probability = Field(0.3, description="Share of the strength at the target lost.")
    radius_km: PositiveFloat = Field(2.0, description="Blast/target area around the aim point (km).")
    intercepted_by: str | None = Field(None, description="Faction that may intercept.")
    intercept_probability: Probability = Field(0.0, description="Chance an interceptor stops a strike.")

    def faction_references(self):  # `by` is a label: the striker need not be on the map
        yield from _factions("intercepted_by", self.intercepted_by)
        yield from _factions("against", self.against)


class InsurgentRecruitmentParams(RuleParams):
    faction: str
    fighters_per_day: NonNegativeFloat = Field(
        0.05, description="Recruits per day gained by a cell in ungoverned ground, if its economy pays "
        "for them (fighters per day)."
    )
    new_cells_per_day: NonNegativeFloat = Field(
        0.02, description="Rate of new cells appearing, times the ungoverned share of the desert, if "
        "the economy pays for them (per day)."
    )
    new_cell_strength: PositiveFloat = Field(8.0, description="Fighters in a new cell.")
    split_above: PositiveFloat = Field(40.0, description="A cell stronger than this splits in two (fighters).")
    max_cells: int = Field(400, ge=1, description="Upper bound on insurgent cells.")

    def faction_references(self):
        return _factions("faction", self.faction)


class DeconflictionLineParams(RuleParams):
    faction: str
    may_not_enter: list[str] = Field(min_length=1, description="Map regions the faction may not enter.")

    def faction_references(self):
        return _factions("faction", self.faction)

    def forbidden_regions(self):
        return {self.faction: list(self.may_not_enter)} if self.enabled else {}


class AgreementParams(RuleParams):
    faction: str = Field(description="Faction whose role is curtailed.")
    from_day: NonNegativeFloat = Field(0.0, description="When the agreement takes effect (days).")
    reinforcement_scale: NonNegativeFloat = Field(
        0.5, description="Factor on its reinforcement routes' capacity (max_per_day)."
    )
    funding_scale: NonNegativeFloat = Field(
        0.5, description="Factor on its funding_usd_per_day (the economy then pays for fewer fighters)."
    )

    def faction_references(self):
        return _factions("faction", self.faction)

    def times(self):
        yield ("from_day",), self.from_day, "the agreement's start"


class OffensiveParams(RuleParams):
    by: str = Field(description="Attacking faction.")
    objectives: list[str] = Field(min_length=1, description="Named places (or `points`) to take, in order.")
    from_day: NonNegativeFloat = Field(description="Launch: when the assault column forms (days).")
    staging: str = Field(description="Named place (or one of `points`) where the assault column forms.")
    points: dict[str, Annotated[list[float], Field(min_length=2, max_length=2)]] = Field(
        default_factory=dict, description="Ground the map does not name that `staging` and `objectives` may name "
        "(name → [lon, lat], degrees WGS 84): e.g. a stretch of the border an offensive cleared."
    )
    units: int = Field(4, ge=1, le=1000, description="Units in the assault column.")
    strength: PositiveFloat = Field(250.0, description="Fighters per unit of the column.")
    reinforce_per_day: NonNegativeFloat = Field(
        0.0, description="Fresh fighters the attacker feeds into the column each day after the launch (fighters/day)."
    )
    funding_usd_per_day: NonNegativeFloat = Field(
        0.0, description="Added to the attacker's funding at the launch: what its sponsor pays for the column (US$/day)."
    )
    advance_km_per_day: PositiveFloat = Field(
        10.0, description="Pace of the column against no resistance; opposed, it is times max(0, 1 − φ(D/A)²) (km/day)."
    )
    reach_km: PositiveFloat = Field(
        5.0, description="Hostile fighters this close to the column's front resist it; an objective is taken when "
        "the column is this close and none are (km)."
    )

    def faction_references(self):
        return _factions("by", self.by)

    def place_references(self):
        if self.staging not in self.points:
            yield ("staging",), self.staging
        for i, name in enumerate(self.objectives):
            if name not in self.points:
                yield ("objectives", i), name

    def point_references(self):
        for name, lonlat in self.points.items():
            yield ("points", name), lonlat

    def times(self):
        yield ("from_day",), self.from_day, "the offensive's launch"


def rule_kind(key: str) -> str:
    """The rule kind of a key under `rules`: 'reinforcement/russia' → 'reinforcement'."""
    return str(key).partition("/")[0]


RULE_MODELS: dict[str, type[RuleParams]] = {
    "checkpoint_blockade": CheckpointBlockadeParams,
    "reinforcement": ReinforcementParams,
    "co_optation": CoOptationParams,
    "airstrikes": AirstrikesParams,
    "insurgent_recruitment": InsurgentRecruitmentParams,
    "deconfliction_line": DeconflictionLineParams,
    "agreement": AgreementParams,
    "offensive": OffensiveParams,
}


