"""What every unit on the map shares: a faction, a strength in fighters, a place on the grid,
and the bookkeeping that keeps the model's presence grids in step with it."""

from __future__ import annotations

from mesa.discrete_space import CellAgent

from sim.submodels.influence import HOLDING, PATROLLING


class Unit(CellAgent):
    """A unit of one faction: `faction` is the faction's index in the model (what the arrays are
    indexed by), `faction_id` its id from the scenario (e.g. "russia"); `strength` in fighters;
    `rc` its (row, col) cell; `kind` the agent kind ("militia", "convoy", …)."""

    kind = "unit"
    #: paid from the faction's funding, so its fighters desert when pay falls short (sim/submodels/economy.py)
    on_payroll = True
    #: fighters below which a unit no longer exists as a fighting force
    MIN_STRENGTH = 0.5
    #: the place this unit holds as a post of its faction's command (agents/planner.py), or None
    post_at: str | None = None
    #: out of sight of every other faction, so not engaged (only an insurgent cell patrols have
    #: not found: agents/insurgent.py)
    hidden: bool = False

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
        model.space.enrol(self, faction)

    # --- the only ways a unit's position, strength or side change --------------------------
    def move_to(self, rc: tuple[int, int]) -> None:
        """Stand at cell `rc`: its fighters leave the old cell's presence and join the new one's,
        and it moves to the new Mesa cell.

        The Mesa move is `self.cell = grid[rc]` (Mesa's `HasCell.cell` setter: the new cell's
        `add_agent`, then the old one's `remove_agent`) written out, without its five calls and
        the two writes of the grid's "empty" layer that change nothing: the agent lists change
        as Mesa's do, and a cell's "empty" entry is written where its emptiness changes (Mesa
        writes it at every move; the layer is in step with the lists before, so after too). It
        relies on Mesa 3.5's `_cells` (the grid's coordinate -> cell store, which makes cells on
        demand here, sim/world/grid.py), `Cell._agents` and `HasCell._mesa_cell`; a cell with a
        capacity, or a unit in no cell, takes Mesa's setter. tests/test_placement_grid.py checks
        the lists and the layer against Mesa's setter at every step of a seeded run."""
        if rc == self.rc:
            return
        inf = self.model.influence
        inf.add(self.faction, self.layer, self.rc, -self.strength)
        inf.add(self.faction, self.layer, rc, self.strength)
        self.rc = rc
        cell, old = self.model.grid._cells[rc], self._mesa_cell
        if cell.capacity is not None or old is None:
            self.cell = cell
            return
        arrived = cell._agents
        if not arrived:
            cell.empty = False
        arrived.append(self)
        left = old._agents
        left.remove(self)
        if not left:
            old.empty = True
        self._mesa_cell = cell

    def lose(self, fighters: float) -> float:
        """Remove up to `fighters`; returns how many were actually lost: `min(max(fighters, 0.0),
        strength)`, written out (the builtins' call costs a fifth of a loss; a battle at ~32k
        agents makes thousands a step): the same value, a signed zero and NaN included."""
        strength = self.strength
        lost = 0.0 if fighters < 0.0 else fighters
        if strength < lost:
            lost = strength
        self.model.influence.add(self.faction, self.layer, self.rc, -lost)
        self.strength = strength = strength - lost
        if strength < self.MIN_STRENGTH:
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
        self.model.space.enrol(self, faction)

    # --- the model's registries: each is kept by one setter here ---------------------------
    @property
    def moving(self) -> bool:
        """Among `model.movers`, the units the model advances each step (in the order they
        started moving)."""
        return self in self.model.movers

    @moving.setter
    def moving(self, value: bool) -> None:
        _enrol(self.model.movers, self, value)

    @property
    def on_patrol(self) -> bool:
        """Among `model.patrols`, the units that detect insurgent cells."""
        return self in self.model.patrols

    @on_patrol.setter
    def on_patrol(self, value: bool) -> None:
        _enrol(self.model.patrols, self, value)

    @property
    def in_the_open(self) -> bool:
        """Among `model.in_the_open`, the insurgent cells patrols have found (engaged like any unit)."""
        return self in self.model.in_the_open

    @in_the_open.setter
    def in_the_open(self, value: bool) -> None:
        _enrol(self.model.in_the_open, self, value)

    def destroyed(self) -> None:
        """The unit is gone: take its remaining fighters off the grid and out of the model."""
        self.leave_map()

    def leave_map(self) -> None:
        """Take the unit and its fighters off the grid and out of the model (destroyed, or
        become another unit: a convoy that sets up a post)."""
        self.model.influence.add(self.faction, self.layer, self.rc, -self.strength)
        self.strength = 0.0
        self.moving = self.on_patrol = self.in_the_open = False
        self.model.space.enrol(self, None)
        self.remove()

    #: (faction, stream template, stream) that `faction_stream` last gave: kept until the unit
    #: changes sides or asks for another template
    _faction_stream: tuple | None = None

    def faction_stream(self, template: str):
        """The stream `template` (sim/streams.py, e.g. PATROL_LEGS) of the faction the unit is
        with now, so that other factions' units do not shift its draws; found by name (a format
        and a dict look-up) once, then kept while the unit stays with the faction."""
        kept = self._faction_stream
        if kept is None or kept[0] != self.faction or kept[1] != template:
            stream = self.model.streams.named(template, faction=self.model.factions.ids[self.faction])
            kept = self._faction_stream = (self.faction, template, stream)
        return kept[2]

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


def _enrol(registry: dict, unit: Unit, value: bool) -> None:
    """Add `unit` to an insertion-ordered registry (keeping its place if already there) or
    take it out."""
    if value:
        registry[unit] = None
    else:
        registry.pop(unit, None)
