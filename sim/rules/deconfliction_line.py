"""deconfliction_line: a faction may not enter named regions (e.g. Russian forces stay off the
east bank). The faction's initial deployment (the rule is set up before it), paths, patrols and
relocations avoid the regions."""

from __future__ import annotations

from sim.rules.base import Rule, register


@register
class DeconflictionLine(Rule):
    name = "deconfliction_line"
    setup_before_deployment = True  # initial forces deploy outside the regions

    def setup(self) -> None:
        self.faction = self.model.factions.index(self.params.faction)
        self._install()

    def _install(self) -> None:
        self.model.space.set_forbidden(self.key, self.faction, self.params.may_not_enter if self.enabled else [])

    def changed(self, name: str) -> None:
        self._install()
