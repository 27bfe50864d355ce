"""Contact along a front: the raids and probes of two hostile forces whose ground faces each other.

A besieged pocket and its besiegers fight all the time, not only when one assaults the other:
the pocket's raiding parties go out at night, the besiegers probe its edges, mortars and snipers
work across the line. The engagement stage (sim/submodels/engagement.py) only fights units in
contact, and two lines a few km apart are not; this stage gives the front its own violence.

The **front** of two hostile factions is where the ground each controls (the control map,
sim/submodels/influence.py) lies within `front.depth_km` of the other's on the same bank of the
river (raiding parties do not swim the Euphrates; across it the two sides are not in contact).
The river's own cells, bridges among them, belong to neither bank and are no front: the control
map spreads over the water, and two garrisons facing each other across it (Albu Kamal and
Al-Susah) would otherwise have a "front" on the river between them. Its length is the
area of those two bands over their depth, averaged over the two sides:

    L = (n_f + n_g) · cell_km² / (2 · depth_km)          (km; n: cells in each side's band)

so a straight front of 20 km has L ≈ 20 km at any cell size. Contacts along it arrive as a
Poisson process, `front.contact_rate_per_km_day` × L a day; each lands on a random cell of the
two bands (stream FRONT_CONTACT), where the nearest unit of each side within `reach_km` on that
cell's bank sends a party of `front.party_fighters` (or all it has). Each side loses party × `raid_loss_fraction`
× the share of fire it receives (its cover and fortification, `cover_factor`), so raiders
against a fortified town lose more than the town. A contact is one violent incident ("clash")
at the cell where it happens, with the two sides and their dead, like any other.

The front is measured once a simulated day (control moves over days, `control.decay_days`),
whole-array: the ground of each faction with an enemy dilated, on each bank it holds ground on,
by the disc of the depth (`dilated`: the cells the exact distance transform puts within it).
Hidden insurgent cells are not a front (their violence is the ambush, agents/insurgent.py).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from sim.results.event_log import fighters_text
from sim.streams import FRONT_CONTACT
from sim.submodels.engagement import cover_factor


def front_length_km(cells_f: int, cells_g: int, cell_km: float, depth_km: float) -> float:
    """Length (km) of a front whose two bands, each `depth_km` deep, hold `cells_f` and
    `cells_g` cells of `cell_km` (km) a side: their mean area over the depth."""
    return (cells_f + cells_g) * cell_km ** 2 / (2.0 * depth_km)


def dilated(mask: np.ndarray, depth_km: float, cell_km: float) -> tuple[int, int, int, int, np.ndarray]:
    """The cells within `depth_km` (km, Euclidean, + 1e-9) of a True cell of `mask` (rows, cols)
    bool, on a grid of `cell_km` cells, as the rows r0:r1 and columns c0:c1 of the box of
    `mask`'s cells widened by the depth (no cell outside it is within reach) and the (r1 − r0,
    c1 − c0) bool answer there; `mask` must have a True cell. `mask` dilated by the disc of the
    offsets that near (`disc_widths`), as shifted ORs.

    The same cells as thresholding scipy's exact distance transform of ~`mask` (the former
    rule; tests/test_front_dilation.py checks both on random masks at several cell sizes and
    depths): a cell is within reach exactly when some True cell is, and the disc's offsets are
    those whose distance, in the transform's own arithmetic (the offsets times `cell_km`,
    squared, summed, square-rooted, in double precision), is within it."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    widths = disc_widths(float(depth_km), float(cell_km))
    reach = len(widths) // 2
    r0, r1 = max(rows[0] - reach, 0), min(rows[-1] + reach + 1, mask.shape[0])
    c0, c1 = max(cols[0] - reach, 0), min(cols[-1] + reach + 1, mask.shape[1])
    box = mask[r0:r1, c0:c1]
    # spread[w]: the cells within w columns of a True cell of their row
    spread = [box]
    for w in range(1, max(widths) + 1):
        wider = spread[-1].copy()
        wider[:, w:] |= box[:, :-w]
        wider[:, :-w] |= box[:, w:]
        spread.append(wider)
    near, n = spread[widths[reach]].copy(), r1 - r0  # the ground's own rows first
    for dr in range(1, min(reach + 1, n)):  # then the rows dr above and below, spread by the disc's width there
        near[dr:] |= spread[widths[reach + dr]][:n - dr]
        near[:-dr] |= spread[widths[reach - dr]][dr:]
    return r0, r1, c0, c1, near


@cache
def disc_widths(depth_km: float, cell_km: float) -> tuple[int, ...]:
    """The disc of `dilated`: for each row offset dr from −R to R (the rows with an offset
    within reach, R ≤ ⌈depth/cell⌉; the disc is symmetric, and dc = 0 at dr = 0 is in it), the
    widest column offset dc ≥ 0 whose distance √((dr·cell)² + (dc·cell)²) is within `depth_km`
    + 1e-9: a tuple of 2R + 1 ints. The distances are worked out as scipy's
    `distance_transform_edt` works out those of its feature transform (float64 offsets times
    the sampling, squared, summed over the axes in order, square-rooted), so a cell is in the
    disc exactly when the transform would put it within reach."""
    reach = int(np.ceil(depth_km / cell_km)) + 1
    offsets = np.indices((2 * reach + 1, 2 * reach + 1)).astype(np.float64) - reach
    offsets *= cell_km
    np.multiply(offsets, offsets, offsets)
    inside = np.sqrt(np.add.reduce(offsets, axis=0)) <= depth_km + 1e-9
    rows = np.flatnonzero(inside.any(axis=1))  # (the rows that reach: −R′ … R′, R′ ≤ R)
    return tuple(int(np.flatnonzero(row).max()) - reach for row in inside[rows[0]:rows[-1] + 1])


class FrontContacts:
    """The front stage of a step (`model.front.update()`): the fronts of every hostile pair,
    measured daily, and this step's contacts along them."""

    def __init__(self, model):
        self.model = model
        self.spec = model.spec.front
        self._day = -1
        self.fronts: dict[tuple[int, int], tuple[np.ndarray, float]] = {}  # pair → (band cells (n, 2), km)
        self.contacts = 0
        self._reach_kept: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # faction → (its ground, `_reach`)
        bank = model.map.bank  # each bank's cells, made once: the river (0) bounds a front, and is none itself
        self._banks = [bank == side for side in np.unique(bank).tolist() if side != 0]

    def update(self) -> None:
        if self.spec.contact_rate_per_km_day <= 0:
            return
        model = self.model
        day = int(model.hours // 24.0)
        if day != self._day:
            self._day = day
            self.fronts = self.measure(model.influence.controller)
        rng = model.streams[FRONT_CONTACT]
        for (f, g), (band, km) in self.fronts.items():
            if not model.is_hostile(f, g):
                continue
            for _ in range(int(rng.poisson(self.spec.contact_rate_per_km_day * km * model.step_hours / 24.0))):
                rc = band[int(rng.integers(len(band)))]
                self._contact(f, g, (int(rc[0]), int(rc[1])))

    def measure(self, controller: np.ndarray) -> dict[tuple[int, int], tuple[np.ndarray, float]]:
        """The fronts on a control map (rows, cols) of faction codes: for each hostile pair with
        one, the cells of both bands (n, 2) and the front's length (km)."""
        model, depth = self.model, self.spec.depth_km
        km = model.map.cell_km
        pairs = model.factions.hostile_pairs()
        ground: dict[int, np.ndarray] = {}  # each faction's ground (controller == f), made once a day
        near: dict[int, np.ndarray] = {}
        for f in {f for pair in pairs for f in pair}:
            mine = ground[f] = controller == f
            if not mine.any():
                continue
            kept = self._reach_kept.get(f)
            if kept is None or kept[0].tobytes() != mine.tobytes():  # ground often stays put for days
                kept = self._reach_kept[f] = (mine, self._reach(mine, depth, km))
            near[f] = kept[1]
        fronts = {}
        for f, g in pairs:
            if f not in near or g not in near:
                continue
            band_f, band_g = ground[f] & near[g], ground[g] & near[f]
            n_f, n_g = np.count_nonzero(band_f), np.count_nonzero(band_g)
            if n_f and n_g:
                fronts[(f, g)] = (np.argwhere(band_f | band_g), front_length_km(n_f, n_g, km, depth))
        return fronts

    def _reach(self, mine: np.ndarray, depth: float, km: float) -> np.ndarray:
        """(rows, cols) bool: the cells within `depth` km of the ground `mine` on its own bank (1
        or 2); the river's cells (bank 0, bridges too) are within reach of nothing. Every bank
        of the map is looked at: one without any of `mine` adds nothing (and is not dilated)."""
        near = np.zeros(mine.shape, dtype=bool)
        for on_side in self._banks:
            ground = mine & on_side
            if ground.any():  # (none of it on this bank: nothing within reach from there)
                r0, r1, c0, c1, box = dilated(ground, depth, km)
                near[r0:r1, c0:c1] |= on_side[r0:r1, c0:c1] & box
        return near

    def _contact(self, f: int, g: int, rc: tuple[int, int]) -> None:
        model, spec = self.model, self.spec
        sides = [self._nearest(rc, f), self._nearest(rc, g)]
        if sides[0] is None or sides[1] is None:
            return
        lost = [u.lose(min(u.strength, spec.party_fighters) * spec.raid_loss_fraction * cover_factor(model, [u]))
                for u in sides]
        self.contacts += 1
        ids, labels = model.factions.ids, model.factions.labels
        model.recorder.clash(rc, f, g, lost[0], lost[1])
        if model.population is not None:
            model.population.harm(rc, (f, g), lost[0] + lost[1])
        place = model.space.nearest_place_name(rc)
        model.log.add(model.steps_done, model.hours, "clash",
                      f"fighting on the front near {place}: {labels[f]} lost {fighters_text(lost[0])}, "
                      f"{labels[g]} lost {fighters_text(lost[1])}",
                      factions=[ids[f], ids[g]], place=place, fighters=lost[0] + lost[1], cell=rc)

    def _nearest(self, rc, faction: int):
        """The nearest unit of `faction` within `front.reach_km` of `rc` on `rc`'s bank that is
        not a hidden cell (a party does not cross the river), or None."""
        bank = self.model.map.bank
        return next((u for u in self.model.space.units_near(rc, self.spec.reach_km, faction)
                     if bank[u.rc] == bank[rc] and not u.hidden), None)
