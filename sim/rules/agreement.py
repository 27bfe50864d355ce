"""agreement: from a given day, scale one faction's reinforcement route capacity and its
funding (an international agreement that curtails a sponsor's role). The funding cut acts
through the economy (sim/submodels/economy.py): less money pays for fewer recruits, then for fewer
fighters, who desert when their pay falls short."""

from __future__ import annotations

from sim.rules.base import Rule, register


@register
class Agreement(Rule):
    name = "agreement"

    def setup(self) -> None:
        self.faction = self.model.factions.index(self.params.faction)
        self.in_force = False

    def apply(self) -> None:
        if self.in_force or self.model.hours < self.params.from_day * 24.0:
            return
        f = self.model.factions
        f.reinforcement_scale[self.faction] *= self.params.reinforcement_scale
        f.funding[self.faction] *= self.params.funding_scale
        self.in_force = True
        self.model.tension.relieve(self.faction, self.model.spec.tension.agreement_relief)
        relief = self.model.spec.tension.agreement_relief
        self.model.recorder.incident("event", f"agreement in force: {f.labels[self.faction]} reinforcements × "
                                     f"{self.params.reinforcement_scale:g}, funding × {self.params.funding_scale:g}"
                                     + (f", tension with its rivals × {1 - relief:g}" if relief else ""), None)
