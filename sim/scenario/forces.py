"""The forces a scenario deploys (`forces:`), part of the scenario language (``sim.scenario.spec``
re-exports these models): where units start (`Deployment`), militias, garrisons, local militias
and insurgent cells, and convoys with their route and orders. One list item is one `Force`,
told apart by its `kind`. Each ``Field`` carries its default and a description with its unit.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.scenario.units import NonNegativeFloat, PositiveFloat, Probability, Strict


class Deployment(Strict):
    """Where units start: near a named place or a point, in a named region, or at named places
    (one each)."""

    near: str | None = Field(None, description="Named place to deploy around.")
    lonlat: list[float] | None = Field(
        None, min_length=2, max_length=2, description="A point [longitude, latitude] (degrees, WGS 84) to deploy "
        "around, where no named place is (e.g. a front line between towns)."
    )
    radius_km: NonNegativeFloat = Field(5.0, description="Spread around `near` or `lonlat` (km).")
    region: str | None = Field(None, description="Map region to scatter units in.")
    at: list[str] | None = Field(None, description="Named places, one unit at each in turn.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Deployment:
        given = [k for k in ("near", "lonlat", "region", "at") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of 'near', 'lonlat', 'region' or 'at' (found {', '.join(given) or 'none'})"
            )
        return self


class ForceBase(Strict):
    faction: str = Field(description="Faction id declared under `factions`.")
    units: int = Field(1, ge=1, le=100_000, description="Number of units.")
    strength: PositiveFloat = Field(description="Fighters per unit.")
    label: str | None = Field(None, description="Name used in the narrative log (e.g. R1).")


FORTIFICATION = Field(
    1.0, ge=1.0, le=20.0, description="Prepared defences: while a unit stands at its home cell, the fire it "
    "receives in an engagement is divided by this factor (1: none; dimensionless)."
)


class MilitiaForce(ForceBase):
    kind: Literal["militia"]
    deploy: Deployment
    posture: Literal["hold", "patrol", "checkpoint"] = Field("hold", description="Starting posture.")
    fortification: float = FORTIFICATION


class GarrisonForce(ForceBase):
    kind: Literal["garrison"]
    deploy: Deployment
    posture: Literal["hold", "patrol"] = "hold"
    fortification: float = FORTIFICATION


class LocalMilitiaForce(ForceBase):
    kind: Literal["local_militia"]
    deploy: Deployment
    loyalty: Probability = Field(0.8, description="Starting loyalty to the sponsor (0–1).")
    posture: Literal["hold", "patrol"] = "hold"


class InsurgentForce(ForceBase):
    kind: Literal["insurgent"]
    deploy: Deployment


class ConvoyOrders(Strict):
    when_stopped: Literal["withdraw", "wait", "push"] = Field(
        "withdraw",
        description="withdraw: turn back when outnumbered by the checkpoint's withdraw_when_outnumbered, "
        "otherwise wait while resolve lasts; wait: stand off even when outnumbered until resolve is spent; "
        "push: like withdraw, but force its way through (a Lanchester fight) when at least push_ratio "
        "times the defenders there.",
    )
    max_wait_hours: NonNegativeFloat = Field(
        24.0, description="Longest standoff, at even odds or better; resolve runs out sooner in proportion "
        "when the defenders outnumber the convoy (hours)."
    )
    push_ratio: PositiveFloat = Field(
        1.5, description="With orders push: force ratio (convoy : defenders there) at which it forces its way."
    )
    withdraw_to: str | None = Field(None, description="Place to withdraw to (default: the start).")


class ConvoyForce(ForceBase):
    kind: Literal["convoy"]
    start: str = Field(description="Named place the convoy sets off from.")
    route: list[str] = Field(min_length=1, description="Named waypoints in order; the last is the goal.")
    depart_day: NonNegativeFloat = Field(0.0, description="Departure time (days from the start).")
    speed_factor: PositiveFloat = Field(1.0, description="Multiplier on the terrain speeds (dimensionless).")
    orders: ConvoyOrders = ConvoyOrders()


Force = Annotated[
    MilitiaForce | GarrisonForce | LocalMilitiaForce | InsurgentForce | ConvoyForce,
    Field(discriminator="kind"),
]
