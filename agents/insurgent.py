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
        return self not in self.model.in_the_open

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
        """The faction's own relocation stream (`Unit.faction_stream`)."""
        return self.faction_stream(INSURGENT_RELOCATION)

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
        """Ambushes, then detection. The cells are a few dozen at most, so their rates, chances and
        draws are worked out in Python floats (the same operations, in the same order, as over
        numpy arrays: the same bits), with numpy only for the draws and `expm1` over all cells at
        once (numpy's own `expm1`: the C library's may differ in the last bit)."""
        model = self.model
        cells = list(model.agents_by_type.get(InsurgentCell, ()))
        if not cells:
            return
        spec = model.spec.insurgents
        step_days = model.step_hours / 24.0
        spots = [c.rc for c in cells]
        factions = [c.faction for c in cells]  # (ambushes change none)

        item, rate = model.influence.controller.item, spec.ambush_rate_per_day
        ungoverned = rate * spec.ungoverned_multiplier  # (and rate × 1.0 is rate)
        rates = [ungoverned if item(r, c) == UNGOVERNED else rate for r, c in spots]
        if model.tempo.on:  # each faction present advanced once, in order, as for the cells' array of factions
            present = sorted(set(factions))
            level = dict(zip(present, model.tempo.levels_of(present, model.hours / 24.0), strict=True))
            rates = [r * level[f] for r, f in zip(rates, factions, strict=True)]
        draws = model.streams[INSURGENT_AMBUSH].random(len(cells)).tolist()
        for cell, u, p in zip(cells, draws, chances(rates, step_days), strict=True):
            if u < p:
                cell.ambush()

        self._detect(cells, factions, spots, step_days)

    def patrols_near(self, factions: list[int], spots: list[tuple[int, int]]) -> list[int] | None:
        """For each cell (its faction index and its (row, col): lists of one length), how many
        patrols of factions hostile to its faction are within `insurgents.detection_range_km`,
        or None when no cell has a hostile patrol anywhere."""
        model = self.model
        reach = model.spec.insurgents.detection_range_km
        n_near = [0] * len(factions)
        watched = False
        present = sorted(set(factions))  # usually one faction, a few dozen cells
        for faction in present:
            patrols = self._hostile_patrols(faction)
            if not patrols:
                continue
            watched = True
            # every distance measured for few cells and patrols (sim/world/spatial.py, `count_within`):
            # patrols move every step, and a KD-tree of them costs more to build than the distances
            mine = [i for i, f in enumerate(factions) if f == faction] if len(present) > 1 else range(len(factions))
            here = tuple(spots) if len(present) == 1 else tuple([spots[i] for i in mine])
            counts = model.space.count_within(here, ("patrols hostile to", faction), tuple([u.rc for u in patrols]), reach)
            for i, n in zip(mine, counts.tolist(), strict=True):
                n_near[i] = n
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
            tree = self._tree(faction, tuple([u.rc for u in patrols]))
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

    def _detect(self, cells, factions, spots, step_days) -> None:
        model = self.model
        spec = model.spec.insurgents
        n_near = self.patrols_near(factions, spots) if spec.detection_rate_per_day else None
        if n_near is None:
            return
        rate = spec.detection_rate_per_day
        draws = model.streams[INSURGENT_DETECTION].random(len(cells)).tolist()
        found = [cell for cell, u, p in zip(cells, draws, chances([rate * n for n in n_near], step_days), strict=True)
                 if u < p]
        if found:
            self.suppress(found)

    def suppress(self, found: list[InsurgentCell]) -> None:
        """The cells `found` by patrols this step (in the order of the model's agents) each lose
        `suppression_loss_fraction` of their fighters, credited to the nearest hostile patrol
        (`_finders`): below `disperse_below` a cell disperses, otherwise it is in the open."""
        model = self.model
        spec = model.spec.insurgents
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


def chances(rates: list[float], step_days: float) -> list[float]:
    """The chance of at least one event in a step of `step_days` days at each of `rates` (per
    day): 1 − exp(−rate × step_days), as −expm1(−rate × step_days) over one numpy array (the
    same float operations as over an array of the rates)."""
    return (-np.expm1(np.array([-r * step_days for r in rates], dtype=float))).tolist()
