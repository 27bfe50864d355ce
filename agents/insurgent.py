"""Insurgent cell: small, hidden, living in the desert. It relocates now and then, ambushes
units within reach (more often where no one governs, and more often while its faction's
operational tempo is high: sim/submodels/tempo.py; with `insurgents.raids_on_routes`, only units
on the roads, in the valley and towns or at named sites), and is worn down when patrols find it;
below a few fighters it disperses. A cell that patrols have found is in the open, where
hostile units in range engage it, until it next relocates and hides again.

The per-step decisions of all cells are drawn together by the model's `Insurgency` stage (one
array draw for the whole kind), so a step costs next to nothing when nothing happens.
"""

from __future__ import annotations

import numpy as np

from sim.agents.base import Unit
from sim.results.event_log import fighters_text
from sim.streams import INSURGENT_AMBUSH, INSURGENT_DETECTION, INSURGENT_RELOCATION
from sim.submodels.influence import UNGOVERNED
from sim.world.factions import HOSTILE


class InsurgentCell(Unit):
    kind = "insurgent"

    def __init__(self, model, faction, strength, rc, label):
        super().__init__(model, faction, strength, rc, label)
        self._schedule_move(first=True)

    @property
    def hidden(self) -> bool:
        """Not found by patrols (not `in_the_open`): engagements do not look at it."""
        return not self.in_the_open

    @hidden.setter
    def hidden(self, value: bool) -> None:
        self.in_the_open = not value

    def describe(self) -> str:
        return self.label

    def _schedule_move(self, first: bool = False) -> None:
        every = self.model.spec.insurgents.move_every_hours
        delay = every * (self._relocation().random() if first else 1.0)
        self.model.wake_at(self, self.model.hours + max(delay, 1e-9))

    def _relocation(self):
        return self.model.streams.named(INSURGENT_RELOCATION, faction=self.model.factions.ids[self.faction])

    def wake(self) -> None:
        """Relocate to another desert cell nearby, staying out of sight."""
        spot = self.model.space.random_cell_near(self.rc, self.model.spec.insurgents.move_km,
                                           self.faction, self._relocation(), desert_only=True)
        if spot is not None:
            self.move_to(spot)
        self.hidden = True
        self._schedule_move()

    def ambush(self) -> None:
        spec = self.model.spec.insurgents
        target = self.model.space.nearest_enemy_unit(self, spec.ambush_range_km, on_routes=spec.raids_on_routes)
        if target is None:
            return
        lost = target.lose(target.strength * spec.ambush_loss_fraction)
        ids = self.model.factions.ids
        self.model.recorder.violence.add(self.model.hours, target.rc, "ambush", ids[self.faction], ids[target.faction],
                                         0.0, lost)
        self.model.recorder.incident(
            "ambush", f"{self.describe()} ambushed {target.describe()}: {fighters_text(lost)} lost",
            target, fighters=lost, other=self)


class Insurgency:
    """The insurgent stage of a step (`model.insurgency.update()`): ambushes by all cells, at
    their rate × their faction's operational tempo (`model.tempo`, sim/submodels/tempo.py), then detection by the patrols of
    factions hostile to each cell's faction, each drawn as one array over all cells (streams
    INSURGENT_AMBUSH, INSURGENT_DETECTION)."""

    def __init__(self, model):
        self.model = model

    def update(self) -> None:
        model = self.model
        cells = list(model.agents_by_type.get(InsurgentCell, ()))
        if not cells:
            return
        spec = model.spec.insurgents
        step_days = model.step_hours / 24.0
        rows = np.fromiter((c.rc[0] for c in cells), dtype=np.intp, count=len(cells))
        cols = np.fromiter((c.rc[1] for c in cells), dtype=np.intp, count=len(cells))
        factions = np.fromiter((c.faction for c in cells), dtype=np.intp, count=len(cells))  # (ambushes change none)

        ungoverned = model.influence.controller[rows, cols] == UNGOVERNED
        rate = spec.ambush_rate_per_day * np.where(ungoverned, spec.ungoverned_multiplier, 1.0)
        if model.tempo.on:
            rate = rate * model.tempo.levels(factions, model.hours / 24.0)
        strikes = model.streams[INSURGENT_AMBUSH].random(len(cells)) < -np.expm1(-rate * step_days)
        for i in np.flatnonzero(strikes):
            cells[i].ambush()

        self._detect(cells, factions, rows, cols, step_days)

    def patrols_near(self, factions: np.ndarray, rows, cols) -> np.ndarray | None:
        """For each cell (its faction index, row and column: int arrays of one length), how many
        patrols of factions hostile to its faction are within `insurgents.detection_range_km`
        (int array), or None when no cell has a hostile patrol anywhere."""
        model = self.model
        km, reach = model.map.cell_km, model.spec.insurgents.detection_range_km
        here = np.column_stack((rows, cols)).astype(float) * km
        n_near = np.zeros(len(factions), dtype=np.intp)
        watched = False
        present = sorted(set(factions.tolist()))  # (a Python set: usually one faction, a few dozen cells)
        for faction in present:
            patrols = self._hostile_patrols(int(faction))
            if not patrols:
                continue
            watched = True
            # every distance measured for few cells and patrols (sim/world/spatial.py, `count_within`):
            # patrols move every step, and a KD-tree of them costs more to build than the distances
            mine = factions == faction if len(present) > 1 else slice(None)  # all cells, when of one faction
            n_near[mine] = model.space.count_within(here[mine], ("patrols hostile to", int(faction)),
                                                    tuple(u.rc for u in patrols), reach)
        return n_near if watched else None

    def _finders(self, found: list[InsurgentCell]) -> list:
        """For each cell of `found`, the patrol nearest to it among those of factions hostile to
        its faction: the one credited with finding it. One KD-tree query per faction for all its
        cells (the patrols neither move, leave nor change side while the found cells are dealt
        with; at ~32k agents, a query and the list of ~5k patrols for each of ~200 cells found
        a step cost most of the insurgent stage); the same patrol as a query per cell."""
        km = self.model.map.cell_km
        factions = [c.faction for c in found]
        finders = [None] * len(found)
        for faction in sorted(set(factions)):
            mine = [i for i, f in enumerate(factions) if f == faction]
            patrols = self._hostile_patrols(faction)
            tree = self._tree(faction, tuple(u.rc for u in patrols))
            _, nearest = tree.query(np.array([found[i].rc for i in mine], dtype=float) * km)
            for i, k in zip(mine, nearest.tolist(), strict=True):
                finders[i] = patrols[k]
        return finders

    def _hostile_patrols(self, faction: int) -> list:
        """The patrols of factions hostile to `faction`, in the order of `model.patrols`."""
        hostile = (self.model.factions.relation[:, faction] == HOSTILE).tolist()
        return [u for u in self.model.patrols if hostile[u.faction]]

    def _tree(self, faction: int, spots: tuple):
        """A KD-tree (km) of the patrols' cells hostile to `faction` (`Space.kd_tree`: built
        again only after they moved)."""
        return self.model.space.kd_tree(("patrols hostile to", faction), spots)

    def _detect(self, cells, factions, rows, cols, step_days) -> None:
        model = self.model
        spec = model.spec.insurgents
        n_near = self.patrols_near(factions, rows, cols) if spec.detection_rate_per_day else None
        if n_near is None:
            return
        p_detect = -np.expm1(-spec.detection_rate_per_day * n_near * step_days)
        detected = model.streams[INSURGENT_DETECTION].random(len(cells)) < p_detect
        found = [cells[i] for i in np.flatnonzero(detected)]
        for cell, finder in zip(found, self._finders(found), strict=True):
            lost = cell.lose(cell.strength * spec.suppression_loss_fraction)
            if cell.alive and cell.strength < spec.disperse_below:
                lost += cell.strength
                cell.destroyed()
                what = "dispersed"
            else:
                cell.hidden = False
                what = f"lost {fighters_text(lost)} and is in the open"
            model.recorder.violence.add(model.hours, cell.rc, "engagement", model.factions.ids[finder.faction],
                                        model.factions.ids[cell.faction], 0.0, lost)
            model.recorder.incident("detection", f"patrols found {cell.describe()}: {what}", cell, fighters=lost)
