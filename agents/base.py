"""What every unit on the map shares: a faction, a strength in fighters, a place on the grid,
and the bookkeeping that keeps the model's presence grids in step with it."""

from __future__ import annotations

from mesa.discrete_space import CellAgent

from sim.influence import HOLDING, PATROLLING


class Unit(CellAgent):
    """A unit of one faction: `faction` is the faction's index in the model (what the arrays are
    indexed by), `faction_id` its id from the scenario (e.g. "russia"); `strength` in fighters;
    `rc` its (row, col) cell; `kind` the agent kind ("militia", "convoy", …)."""

    kind = "unit"
    #: fighters below which a unit no longer exists as a fighting force
    MIN_STRENGTH = 0.5

    def __init__(self, model, faction: int, strength: float, rc: tuple[int, int], label: str,
                 patrolling: bool = False):
        super().__init__(model)
        self.faction = faction
        self.strength = float(strength)
        self.label = label
        self.layer = PATROLLING if patrolling else HOLDING
        self.rc = rc
        self.cell = model.grid[rc]
        model.influence.add(faction, self.layer, rc, self.strength)

    # --- the only ways a unit's position, strength or side change --------------------------
    def move_to(self, rc: tuple[int, int]) -> None:
        if rc == self.rc:
            return
        inf = self.model.influence
        inf.add(self.faction, self.layer, self.rc, -self.strength)
        inf.add(self.faction, self.layer, rc, self.strength)
        self.rc = rc
        self.cell = self.model.grid[rc]

    def lose(self, fighters: float) -> float:
        """Remove up to `fighters`; returns how many were actually lost."""
        lost = min(max(fighters, 0.0), self.strength)
        self.model.influence.add(self.faction, self.layer, self.rc, -lost)
        self.strength -= lost
        if self.strength < self.MIN_STRENGTH:
            self.destroyed()
        return lost

    def gain(self, fighters: float) -> None:
        self.model.influence.add(self.faction, self.layer, self.rc, fighters)
        self.strength += fighters

    def set_layer(self, layer: int) -> None:
        if layer != self.layer:
            inf = self.model.influence
            inf.add(self.faction, self.layer, self.rc, -self.strength)
            inf.add(self.faction, layer, self.rc, self.strength)
            self.layer = layer

    def switch_faction(self, faction: int) -> None:
        inf = self.model.influence
        inf.add(self.faction, self.layer, self.rc, -self.strength)
        inf.add(faction, self.layer, self.rc, self.strength)
        self.faction = faction

    def destroyed(self) -> None:
        """The unit is gone: take its remaining fighters off the grid and out of the model."""
        self.leave_map()

    def leave_map(self) -> None:
        """Take the unit and its fighters off the grid and out of the model (destroyed, or
        become another unit: a convoy that sets up a post)."""
        self.model.influence.add(self.faction, self.layer, self.rc, -self.strength)
        self.strength = 0.0
        self.model.units_removed(self)
        self.remove()

    @property
    def faction_id(self) -> str:
        """The faction's id as the scenario writes it (e.g. "iran_militia")."""
        return self.model.factions.ids[self.faction]

    @property
    def alive(self) -> bool:
        return self.strength > 0.0

    def protection(self) -> float:
        """Factor by which prepared defences divide the fire this unit receives (1: none)."""
        return 1.0

    def wake(self) -> None:
        """Called when a time this unit asked for (model.wake_at) comes; default: nothing."""

    def describe(self) -> str:
        return f"{self.label} ({self.model.factions.labels[self.faction]})"
