"""Coalition garrison: holds or patrols its area (a base, the east bank); it does not answer a
checkpoint's call for reinforcements."""

from __future__ import annotations

from sim.agents.standing import StandingUnit


class Garrison(StandingUnit):
    kind = "garrison"
