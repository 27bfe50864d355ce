"""The scenario language: typed, validated shapes and every default, in one place, with units.

A scenario file is YAML that is loaded, merged with what it `extends`, then validated into
these models before anything runs. Every quantity is in real units (km, km/h, hours, days,
per day, fighters) and converted to steps and cells inside the model, so the same scenario
runs at another cell size or step length. Unknown keys are errors (``extra="forbid"``).

Each ``Field`` carries its default and a description with its unit; the JSON Schema that
``python run.py schema`` prints is generated from these models, and the ODD parameter table
in ``docs/odd.md`` lists the same defaults.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from sim.scenario.forces import (  # noqa: F401  (part of the scenario language, re-exported)
    ConvoyForce,
    ConvoyOrders,
    Deployment,
    Force,
    ForceBase,
    GarrisonForce,
    InsurgentForce,
    LocalMilitiaForce,
    MilitiaForce,
)
from sim.scenario.planning import (  # noqa: F401  (part of the scenario language, re-exported)
    PlannerSpec,
    PlannerWeights,
    PopulationSpec,
    TensionSpec,
    TensionWeights,
    TownSpec,
)
from sim.scenario.rule_params import (  # noqa: F401  (part of the scenario language, re-exported)
    RULE_MODELS,
    AgreementParams,
    AirstrikesParams,
    CheckpointBlockadeParams,
    CoOptationParams,
    DeconflictionLineParams,
    InsurgentRecruitmentParams,
    ReinforcementParams,
    RuleParams,
)
from sim.scenario.units import (  # noqa: F401  (the shared types, re-exported)
    FactionId,
    NonNegativeFloat,
    PositiveFloat,
    Probability,
    Relation,
    Strict,
)

# --------------------------------------------------------------------------- world


class MapSpec(Strict):
    file: str = Field(
        "maps/euphrates_corridor.geojson",
        description="GeoJSON map of the corridor, relative to the scenario file that names it.",
    )
    cell_km: float = Field(1.0, ge=0.25, le=10.0, description="Grid cell size (km).")
    closed_crossings: list[str] = Field(
        default_factory=list,
        description="Bridges and fords (place names on the map) out of service: their cells are river, "
        "so units cannot cross there and influence does not cross the river near them.",
    )


class TimeSpec(Strict):
    start_date: datetime.date = Field(
        datetime.date(2017, 11, 19),
        description="Calendar date of hour 0 (ISO YYYY-MM-DD); outputs show the date beside each day. "
        "Default: 19 Nov 2017, the day Albu Kamal was taken from ISIS.",
    )
    step_hours: float = Field(1.0, gt=0.0, le=24.0, description="Length of one step (hours).")
    duration_days: float = Field(30.0, gt=0.0, le=3650.0, description="Simulated time (days).")


class Faction(Strict):
    label: str = Field(description="Name shown in charts and the narrative log.")
    color: str = Field(pattern=r"^#[0-9a-fA-F]{6}$", description="Map and chart colour, #rrggbb.")
    # The economy (sim/submodels/economy.py): funding pays upkeep first, then recruits from a pool;
    # unpaid fighters desert. Without `funding_usd_per_day` the faction has no economy: no
    # upkeep, no desertion, and no recruits for its reinforcement rules.
    funding_usd_per_day: NonNegativeFloat | None = Field(
        None, description="What the sponsor spends on these forces in the corridor (US$ per day); "
        "none: the faction has no economy."
    )
    pay_usd_per_fighter_month: NonNegativeFloat = Field(
        150.0, description="Salary and keep of one fighter (US$ per fighter per month of 30.4 days)."
    )
    recruit_cost_usd: PositiveFloat = Field(
        600.0, description="One-off cost of a recruit: bonus, weapon, training, transport (US$ per fighter)."
    )
    manpower_pool: NonNegativeFloat = Field(
        600.0, description="Men the sponsor can recruit in reach of the corridor at the start (fighters)."
    )
    manpower_refill_per_day: NonNegativeFloat = Field(
        2.0, description="Men added to the pool each day, up to manpower_pool (fighters per day)."
    )
    recruit_share_per_day: Probability = Field(
        0.01, description="Most of the remaining pool that can be recruited in a day (per day): "
        "recruitment slows as the pool drains."
    )
    desertion_per_day: NonNegativeFloat = Field(
        0.03, description="Rate at which unpaid fighters leave, times the unpaid share of the upkeep (per day)."
    )
    planner: PlannerSpec | None = Field(
        None, description="What the faction wants and how its command decides (agents/planner.py); "
        "`planner: off` (or none) gives the fixed behaviour of the rules alone."
    )

    @field_validator("planner", mode="before")
    @classmethod
    def _planner_off(cls, value):
        """`off` (YAML 1.1 reads it as false), "off", false and none all mean no planner."""
        if value is False or (isinstance(value, str) and value.strip().lower() in ("off", "none", "false")):
            return None
        if value is True or isinstance(value, str):
            raise ValueError("expected a planner (a mapping with at least `base`) or off")
        return value


class ControlSpec(Strict):
    """How units' strength becomes influence over cells (force density, fighters/km²), and
    influence becomes control."""

    kernel_km: PositiveFloat = Field(
        2.0, description="Core length scale σ of the loss-of-strength kernel of units holding ground: "
        "Gaussians of widths σ, 2σ, 4σ, normalised to integrate to one over area, so influence is "
        "a force density (km)."
    )
    patrol_kernel_km: PositiveFloat = Field(
        4.0, description="Core kernel length scale for units on patrol, which spread over more ground (km)."
    )
    tail_ratio: float = Field(
        0.6, ge=0.0, lt=1.0, description="Weight ratio of successive kernel components (widths doubling): "
        "the heavy tail; density falls like d^-α, α = 2 − log2(tail_ratio), beyond σ; 0 is a single Gaussian (0–1)."
    )
    bridge_reach_km: PositiveFloat = Field(
        2.0, description="Influence crosses the river only near bridges and fords: on the far bank it is "
        "weighted by exp(-d²/2s²), d the distance to the nearest bridge or ford, s this length (km)."
    )
    decay_days: PositiveFloat = Field(
        2.0, description="Time constant with which influence follows the units' presence (days)."
    )
    threshold_per_km2: PositiveFloat = Field(
        0.3, description="Force density a faction needs to govern a cell (fighters/km²)."
    )
    margin: NonNegativeFloat = Field(
        0.25,
        description="Relative lead over the runner-up needed to control a cell: top ≥ (1+margin)·second.",
    )
    place_radius_km: NonNegativeFloat = Field(
        3.0, description="A named place's footprint: land on its bank within this distance of its cell; the "
        "place is held by the faction (with its allies) controlling more than place_share of it (km)."
    )
    place_share: float = Field(
        0.5, ge=0.0, lt=1.0, description="Share of a place's footprint a faction and its allies must control "
        "for the place to be held (0–1)."
    )
    held_at_start: dict[str, str] = Field(
        default_factory=dict, description="Who holds each listed named place at the start (place → faction "
        "id): the record's holders on the first day, initial conditions of the tenure (sim/submodels/holding.py); "
        "a place not listed starts with its footprint's holder, an installation with its garrison's."
    )


class EngagementSpec(Strict):
    """Lanchester attrition between hostile units in contact."""

    range_km: PositiveFloat = Field(3.0, description="Units closer than this are in contact (km).")
    law: Literal["aimed", "area"] = Field(
        "aimed", description="aimed fire: Lanchester square law; area fire: linear law."
    )
    kill_rate_per_day: PositiveFloat = Field(
        0.05, description="Aimed fire: fighters disabled per enemy fighter per day (square law)."
    )
    area_kill_rate_per_day: PositiveFloat = Field(
        6e-5, description="Area fire: fighters disabled per fighter pair per day (linear law)."
    )
    urban_defence: PositiveFloat = Field(
        2.0, description="Fire received by defenders in urban cells is divided by this factor."
    )
    killed_share: Probability = Field(
        0.5, description="Share of the fighters lost (killed, wounded, captured) who are killed: the deaths "
        "of the violent events (dimensionless)."
    )
    front_density_per_km: PositiveFloat = Field(
        100.0, description="Aimed fire: fighters of a side who can fire at once per km of the battle's front, "
        "taken as 2 × range_km wide (fighters/km)."
    )
    break_ratio: PositiveFloat = Field(
        3.0, description="A side outnumbered by this ratio breaks off and withdraws (ratio)."
    )


class Speeds(Strict):
    """Movement speed by terrain (km/h); 0 means the terrain cannot be entered."""

    road: NonNegativeFloat = 40.0
    crossing: NonNegativeFloat = 10.0
    bridge: NonNegativeFloat = 15.0
    urban: NonNegativeFloat = 15.0
    farmland: NonNegativeFloat = 10.0
    desert: NonNegativeFloat = 12.0


class FrontSpec(Strict):
    """Contact along a front: raids and probes between hostile forces whose ground faces each other
    (sim/submodels/front.py)."""

    contact_rate_per_km_day: NonNegativeFloat = Field(
        0.0, description="Lethal contacts (raids, probes) per km of front per day; 0 (the default) switches "
        "them off; the record's situation (corridor_2017.yaml) uses 0.05."
    )
    depth_km: PositiveFloat = Field(
        5.0, description="Ground of two hostile factions this close makes a front; a raiding party's reach (km)."
    )
    reach_km: PositiveFloat = Field(
        15.0, description="A contact's parties come from each side's nearest unit within this distance of it "
        "(km): a night's move by vehicle."
    )
    party_fighters: PositiveFloat = Field(30.0, description="Fighters each side commits to one contact.")
    raid_loss_fraction: Probability = Field(
        0.15, description="Share of a side's party lost in one contact, before its cover (dimensionless)."
    )


class InsurgentBehaviour(Strict):
    """How insurgent cells hide, strike and are suppressed."""

    ambush_rate_per_day: NonNegativeFloat = Field(
        0.015, description="Ambush rate of one cell with a target in reach, in governed ground (per day)."
    )
    ungoverned_multiplier: PositiveFloat = Field(
        4.0, description="Factor on the ambush rate where no faction governs (dimensionless)."
    )
    tempo_sd: NonNegativeFloat = Field(
        0.0, le=3.0, description="Operational tempo: standard deviation of the log of a faction's activity "
        "level, which multiplies all its cells' ambush rates (campaigns and lulls; mean 1, dimensionless); 0 "
        "(the default) switches it off; the record's situation (corridor_2017.yaml) uses 0.8. At most 3: the "
        "typical level exp(-sd^2/2) is then 1 % of the mean, every raid in rare bursts."
    )
    tempo_days: PositiveFloat = Field(
        30.0, description="Operational tempo: correlation time of the log activity level (days): about "
        "how long a campaign or a lull lasts."
    )
    ambush_range_km: PositiveFloat = Field(15.0, description="Reach of an ambush (km).")
    raids_on_routes: bool = Field(
        False, description="Where raids land: if true, a cell raids the nearest hostile unit within reach that "
        "stands on the lines of communication or at a site (any cell but open desert: roads, crossings, the "
        "valley's farmland and villages, towns; or a named place's cell), passing over units in the open "
        "desert; the rate still depends on where the cell hides. False (the default): the nearest unit "
        "anywhere. The record's situation (corridor_2017.yaml) sets it true."
    )
    ambush_loss_fraction: Probability = Field(
        0.15, description="Share of the target unit's strength lost in one ambush."
    )
    detection_rate_per_day: NonNegativeFloat = Field(
        0.03, description="Rate at which a patrol within detection range detects a cell (per day)."
    )
    detection_range_km: PositiveFloat = Field(8.0, description="Patrol detection range (km).")
    suppression_loss_fraction: Probability = Field(
        0.5, description="Share of a detected cell's strength lost to the patrol that found it."
    )
    disperse_below: NonNegativeFloat = Field(
        3.0, description="A cell weaker than this disperses (fighters)."
    )
    move_every_hours: PositiveFloat = Field(24.0, description="How often a hidden cell relocates (hours).")
    move_km: PositiveFloat = Field(10.0, description="How far a cell relocates at most (km).")


class MilitiaBehaviour(Strict):
    patrol_every_hours: PositiveFloat = Field(
        6.0, description="How often a patrolling unit moves to a new spot near home (hours)."
    )
    patrol_radius_km: PositiveFloat = Field(8.0, description="Patrol area around home (km).")
    speed_factor: PositiveFloat = Field(
        0.5, description="Multiplier on the terrain speeds when units move to reinforce (dimensionless)."
    )


# --------------------------------------------------------------------------- timeline


class Event(Strict):
    """Something that changes the world at a time: exactly one action per event."""

    at_day: NonNegativeFloat | None = Field(None, description="When (days from the start); or give at_date.")
    at_date: datetime.date | None = Field(
        None, description="When (calendar date, ISO YYYY-MM-DD, at its 00:00); or give at_day."
    )
    set: dict[str, float | int | bool | str] | None = Field(
        None, description="Set rule parameters by key path, e.g. rules.airstrikes.rate_per_day."
    )
    enable: str | None = Field(None, description="Rule to switch on (its key under `rules`).")
    disable: str | None = Field(None, description="Rule to switch off.")
    spawn: Force | None = Field(None, description="Forces that appear (convoys set off at once).")
    note: str | None = Field(None, description="Text written to the narrative log.")

    def day(self, start: datetime.date) -> float:
        """Days from the start (the date `start`, `time.start_date`) at which the event fires;
        negative for an `at_date` before the start (the scenario checks refuse it)."""
        return float(self.at_day) if self.at_date is None else float((self.at_date - start).days)

    @model_validator(mode="after")
    def _one_time(self) -> Event:
        if (self.at_day is None) == (self.at_date is None):
            raise ValueError("give exactly one of 'at_day' (days from the start) or 'at_date' (YYYY-MM-DD)")
        return self

    @model_validator(mode="after")
    def _one_action(self) -> Event:
        actions = [k for k in ("set", "enable", "disable", "spawn") if getattr(self, k) is not None]
        if len(actions) != 1 and not (not actions and self.note):
            raise ValueError(
                "give exactly one of 'set', 'enable', 'disable' or 'spawn' "
                f"(found {', '.join(actions) or 'none'})"
            )
        return self


class Observation(Strict):
    land_bridge: Annotated[list[str], Field(min_length=2)] | None = Field(
        None,
        description="Places a faction or its allies must hold, linked through ground that no other faction "
        "holds or contests, for its land bridge to be open (default: the map's border crossings and "
        "cities, see CorridorMap.default_land_bridge).",
    )
    key_place: str | None = Field(
        None,
        description="The place whose holder summaries and the app show (default: the first town or "
        "city of the land bridge).",
    )
    land_bridge_factions: list[str] | None = Field(
        None, description="Factions whose land bridge is tracked (default: all)."
    )


class Teaching(Strict):
    questions: list[str] = Field(default_factory=list)
    notes: str = ""


# --------------------------------------------------------------------------- the scenario


class Scenario(Strict):
    name: str
    description: str
    map: MapSpec = MapSpec()
    time: TimeSpec = TimeSpec()
    seed: int = Field(20171119, ge=0, le=2**63 - 1, description="Root seed of every random stream.")
    factions: dict[FactionId, Faction] = Field(min_length=1)
    relations: dict[str, Relation] = Field(
        default_factory=dict,
        description="'a/b: hostile'; '*' matches any faction; unlisted pairs are neutral.",
    )
    control: ControlSpec = ControlSpec()
    engagement: EngagementSpec = EngagementSpec()
    speeds: Speeds = Speeds()
    militia: MilitiaBehaviour = MilitiaBehaviour()
    insurgents: InsurgentBehaviour = InsurgentBehaviour()
    front: FrontSpec = FrontSpec()
    forces: list[Force] = Field(default_factory=list)
    rules: dict[str, dict] = Field(
        default_factory=dict,
        description="Control rules by name (checkpoint_blockade, reinforcement, …); a second rule "
        "of the same kind takes a label after a slash: 'reinforcement/russia'. Parameters are "
        "validated against RULE_MODELS.",
    )
    events: list[Event] = Field(default_factory=list)
    tension: TensionSpec = TensionSpec()
    population: PopulationSpec | None = Field(
        None, description="Towns, their inhabitants and their support for each faction (none: not modelled)."
    )
    observe: Observation = Observation()
    teaching: Teaching = Teaching()

    @field_validator("name", "description")
    @classmethod
    def _plain_text(cls, v: str, info) -> str:
        """No control characters (NUL, ESC, …): they would reach the terminal and narrative.txt raw."""
        allowed = "" if info.field_name == "name" else "\n\t"
        bad = next((c for c in v if not c.isprintable() and c not in allowed), None)
        if bad is not None:
            raise ValueError(f"holds the control character {bad!r}; write plain text")
        return v
