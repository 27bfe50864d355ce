"""Who holds a named place: whoever controls its footprint, not whoever owns its one cell.

A historian says a town is held by the force that controls the town and its surroundings, not
by whoever has a post on its central square. The *footprint* of a place is the land on its own
bank of the river within `control.place_radius_km` of its cell (a town's built-up area and its
approaches; the river is the edge, so Al-Baghuz is not held from Albu Kamal across it). From
the control map (sim/submodels/influence.py) each faction's share of the footprint's cells is counted,
its allies' cells with its own (allies do not contest each other's ground):

- the place is **held** by the faction with the most cells of its own among those whose bloc
  (itself and its allies) controls more than `control.place_share` of the footprint;
- otherwise it is **ungoverned** when more than `place_share` of the footprint is ungoverned,
  and **contested** when not.

So four Russian posts stacked on the Albu Kamal cell do not hold the town while the militias'
hundreds of fighters around it control the rest of its footprint. The count is whole-array:
one gather and one bincount for all places at once, each step. The recorder (sim/results/recorder.py)
owns the model's `PlaceHolding` (`model.recorder.holding`); the planners read it too.
"""

from __future__ import annotations

import numpy as np

from sim.submodels.influence import CONTESTED, UNGOVERNED


class PlaceHolding:
    """The footprints of P places on a map and their holders.

    `cells` (P, K) flat cell indices, the place's own cell first, padded; `valid` (P, K) bool,
    which entries are real; `size` (P,) cells per footprint (at least 1: the place's own cell
    always counts)."""

    def __init__(self, corridor_map, influence, radius_km: float, share: float, allied: np.ndarray):
        """Footprints of the map's places (`corridor_map.places`, in map order), read from the
        control map of `influence` (sim/submodels/influence.py InfluenceField); `allied`: (F, F) bool, True
        for a faction and its allies (the diagonal is True)."""
        places = list(corridor_map.places.values())
        self.index = {p.name: i for i, p in enumerate(places)}
        self._influence = influence
        self._last: tuple = (None, None)  # (controller, its holders): computed once per control update
        rows, cols = corridor_map.shape
        r = int(np.floor(radius_km / corridor_map.cell_km))
        dr, dc = np.mgrid[-r:r + 1, -r:r + 1]
        near = np.hypot(dr, dc) * corridor_map.cell_km <= radius_km + 1e-9
        dr, dc = dr[near], dc[near]
        footprints = []
        for place in places:
            pr, pc = place.cell
            rr, cc = pr + dr, pc + dc
            inside = (rr >= 0) & (rr < rows) & (cc >= 0) & (cc < cols)
            rr, cc = rr[inside], cc[inside]
            keep = corridor_map.land[rr, cc]
            bank = corridor_map.bank[pr, pc]
            if bank != 0:  # the river bounds a footprint; a place on the river spans both banks
                keep &= corridor_map.bank[rr, cc] == bank
            centre = (rr == pr) & (cc == pc)
            keep &= ~centre
            footprints.append(np.concatenate(([pr * cols + pc], rr[keep] * cols + cc[keep])))
        width = max(len(f) for f in footprints)
        self.cells = np.zeros((len(places), width), dtype=np.int64)
        self.valid = np.zeros((len(places), width), dtype=bool)
        for i, f in enumerate(footprints):
            self.cells[i, :len(f)] = f
            self.valid[i, :len(f)] = True
        self.size = self.valid.sum(axis=1)
        self.share = share
        self.allied = np.asarray(allied, dtype=bool)

    def of(self, place) -> int:
        """The holder code of a Place now: a faction index, CONTESTED or UNGOVERNED."""
        return int(self.holders()[self.index[place.name]])

    def holders(self, controller: np.ndarray | None = None) -> np.ndarray:
        """(P,) int8 holder codes (a faction index, CONTESTED or UNGOVERNED) of every place, from
        `controller` (rows, cols) control codes (default: the control map as it stands)."""
        if controller is None:
            controller = self._influence.controller
        if self._last[0] is controller:
            return self._last[1]
        held = self._count(controller)
        self._last = (controller, held)
        return held

    def _count(self, controller: np.ndarray) -> np.ndarray:
        n_factions = len(self.allied)
        codes = controller.ravel()[self.cells].astype(np.int64) + 2  # 0 contested, 1 ungoverned, 2… factions
        width = n_factions + 3  # one more code for the padding
        codes = np.where(self.valid, codes, n_factions + 2) + width * np.arange(len(self.cells))[:, None]
        counts = np.bincount(codes.ravel(), minlength=width * len(self.cells)).reshape(len(self.cells), width)
        own = counts[:, 2:n_factions + 2]                       # (P, F) cells each faction controls
        bloc = own @ self.allied.astype(np.int64)               # (P, F) with its allies' cells
        qualifies = bloc > self.share * self.size[:, None]
        best = np.argmax(np.where(qualifies, own, -1), axis=1)
        held = qualifies.any(axis=1)
        empty = counts[:, UNGOVERNED + 2] > self.share * self.size
        return np.where(held, best, np.where(empty, UNGOVERNED, CONTESTED)).astype(np.int8)
