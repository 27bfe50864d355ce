"""Local militia: fights for a sponsor that pays it, with a loyalty that a richer rival sponsor
nearby can erode (co-optation) until the unit switches sides."""

from __future__ import annotations

from sim.agents.militia import Militia


class LocalMilitia(Militia):
    kind = "local_militia"

    def __init__(self, model, faction, strength, rc, label, posture="hold", *, loyalty: float):
        """`loyalty`: starting loyalty to the sponsor, 0–1 (the scenario force's `loyalty`)."""
        super().__init__(model, faction, strength, rc, label, posture)
        self.loyalty = float(loyalty)

    def erode(self, amount: float) -> None:
        self.loyalty = max(0.0, self.loyalty - amount)

    def recover(self, amount: float) -> None:
        self.loyalty = min(1.0, self.loyalty + amount)

    def defect(self, new_sponsor: int, loyalty: float) -> None:
        """Change sides: the unit now projects influence and fights for `new_sponsor`."""
        self.switch_faction(new_sponsor)
        self.loyalty = loyalty
