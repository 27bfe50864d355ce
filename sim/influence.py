"""Influence and control as whole-array operations, at a cost that does not grow with the
number of agents.

Units scatter their strength onto a per-faction presence grid as they move (two layers: units
holding ground, and patrols that cover a wider area). The presence is projected with a
Gaussian distance kernel whose width is given in km (so the field does not depend on the cell
size), scaled so that a fighter standing on a cell projects 1 there. The Euphrates is a
barrier: influence reaching the other bank is multiplied by `cross_river_factor`. Influence
relaxes toward the projection with a time constant in days (so it does not depend on the step
length): I ← P + (I − P)·exp(−Δt/τ).

The projection is linear in the presence, so a faction with few changes in a step (a patrol's
jump, a convoy's move) is updated by stamping the kernel at the old and new cells, and a
faction with many changes is recomputed with whole-array filters, whichever costs less
(estimated from the kernel and grid sizes, never from timings, so runs stay reproducible).
Either way a step costs at most one full recomputation, however many agents there are. A full
recomputation once per simulated day keeps rounding from accumulating.

A cell is *controlled* by the faction with the highest influence when that is at least the
threshold and ahead of the strongest faction not allied with it by the margin (top ≥ (1 +
margin) · rival); *ungoverned* when no faction reaches the threshold; *contested* otherwise.
Allies do not contest each other's ground.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

CONTESTED = -1
UNGOVERNED = -2
HOLDING, PATROLLING = 0, 1
TRUNCATE = 3.0  # kernel radius in standard deviations
# relative costs, in nanoseconds on a typical machine: a stamp has a fixed numpy overhead plus
# one operation per kernel cell; a full recomputation of one faction about 1.5 per cell and
# kernel tap (two bank-separated sources, two separable passes)
STAMP_OVERHEAD = 9000.0
FULL_PER_CELL_TAP = 1.5


def gaussian_stamp(sigma_cells: float) -> np.ndarray:
    """The 2-D kernel scipy's gaussian_filter applies (same truncation and normalisation),
    scaled so that its centre is ≈ 1: stamping it equals filtering a unit mass."""
    radius = int(TRUNCATE * sigma_cells + 0.5)
    x = np.arange(-radius, radius + 1)
    k = np.exp(-0.5 * (x / sigma_cells) ** 2)
    k /= k.sum()
    return np.outer(k, k) * (2.0 * np.pi * sigma_cells**2)


class InfluenceField:
    """The arrays, F factions on a (rows, cols) grid: `presence` (F, 2, rows, cols) fighters per
    cell in the HOLDING and PATROLLING layers; `target` (F, rows, cols) its projection;
    `influence` (F, rows, cols), relaxing toward the target; `controller` (rows, cols) int8, a
    faction index, CONTESTED or UNGOVERNED."""

    def __init__(self, n_factions: int, bank: np.ndarray, cell_km: float, *, kernel_km: float,
                 patrol_kernel_km: float, decay_days: float, step_hours: float, threshold: float,
                 margin: float, cross_river_factor: float):
        shape = bank.shape
        self.presence = np.zeros((n_factions, 2, *shape))
        self.target = np.zeros((n_factions, *shape))
        self.influence = np.zeros((n_factions, *shape))
        self.controller = np.full(shape, UNGOVERNED, dtype=np.int8)
        self.threshold = threshold
        self.margin = margin
        self._sigmas = (kernel_km / cell_km, patrol_kernel_km / cell_km)
        self._stamps = tuple(gaussian_stamp(s) for s in self._sigmas)
        self._gains = tuple(2.0 * np.pi * s * s for s in self._sigmas)
        self._relax = float(np.exp(-step_hours / (decay_days * 24.0)))
        self._bank = bank
        self._cross = cross_river_factor
        # weight of influence from a source on bank b at every cell (bank 0: river and bridges)
        self._bank_weight = {b: np.where((bank == b) | (bank == 0), 1.0, cross_river_factor) for b in (1, 2)}
        self._pending: list[tuple[int, int, int, int, float]] = []
        self.set_allies(np.eye(n_factions, dtype=bool))
        widths = [2 * int(TRUNCATE * s + 0.5) + 1 for s in self._sigmas]
        self._full_cost = FULL_PER_CELL_TAP * bank.size * sum(widths)  # per faction
        self._stamp_cost = [STAMP_OVERHEAD + w * w for w in widths]
        self._resync_every = max(1, int(round(24.0 / step_hours)))
        self._since_resync = 0

    # --- bookkeeping by agents (O(1) per change) -----------------------------------------
    def add(self, faction: int, layer: int, rc: tuple[int, int], amount: float) -> None:
        """`amount` fighters (negative to remove) of `faction` at cell `rc` in `layer`; the
        projection catches up at the next `update`."""
        self.presence[faction, layer, rc[0], rc[1]] += amount
        self._pending.append((faction, layer, rc[0], rc[1], amount))

    def total_presence(self) -> np.ndarray:
        """Fighters per cell and faction, (F, rows, cols)."""
        return self.presence.sum(axis=1)

    # --- the projection ------------------------------------------------------------------
    def projected(self, factions=slice(None)) -> np.ndarray:
        """Whole-array projection of the presence of `factions`, honouring the river barrier."""
        presence = self.presence[factions]
        out = np.zeros((presence.shape[0], *self._bank.shape))
        bank = self._bank
        for layer, (sigma, gain) in enumerate(zip(self._sigmas, self._gains, strict=True)):
            layer_presence = presence[:, layer]
            for source in (0, 1, 2):
                part = np.where(bank == source, layer_presence, 0.0)
                if not part.any():
                    continue
                smooth = gain * gaussian_filter(part, sigma=(0, sigma, sigma), mode="constant", truncate=TRUNCATE)
                out += smooth if source == 0 else smooth * self._bank_weight[source]
        return out

    def _stamp(self, faction: int, layer: int, r: int, c: int, amount: float) -> None:
        stamp = self._stamps[layer]
        h = stamp.shape[0] // 2
        rows, cols = self._bank.shape
        r0, r1, c0, c1 = max(r - h, 0), min(r + h + 1, rows), max(c - h, 0), min(c + h + 1, cols)
        patch = stamp[r0 - r + h:r1 - r + h, c0 - c + h:c1 - c + h]
        source = self._bank[r, c]
        if source:
            patch = patch * self._bank_weight[source][r0:r1, c0:c1]
        self.target[faction, r0:r1, c0:c1] += amount * patch

    def _refresh_target(self) -> None:
        pending, self._pending = self._pending, []
        self._since_resync += 1
        if self._since_resync >= self._resync_every:
            self.target = self.projected()
            self._since_resync = 0
            return
        cost = np.zeros(len(self.target))
        for faction, layer, _, _, _ in pending:
            cost[faction] += self._stamp_cost[layer]
        recompute = np.flatnonzero(cost > self._full_cost)
        if len(recompute):
            self.target[recompute] = self.projected(recompute)
        for change in pending:
            if cost[change[0]] <= self._full_cost:
                self._stamp(*change)

    # --- the step ------------------------------------------------------------------------
    def update(self) -> None:
        self._refresh_target()
        self.influence -= self.target
        self.influence *= self._relax
        self.influence += self.target
        self._classify()

    def settle(self) -> None:
        """Start from the steady state of the initial deployment (no spin-up transient)."""
        self._pending.clear()
        self.target = self.projected()
        self.influence[:] = self.target
        self._classify()

    def set_allies(self, allied: np.ndarray) -> None:
        """Allies do not contest each other's ground: the margin is measured against the
        strongest faction that is not allied with the leader. `allied` is (F, F) boolean."""
        self._rivals = [np.flatnonzero(~allied[f]) for f in range(len(allied))]
        self._any_alliance = bool((allied & ~np.eye(len(allied), dtype=bool)).any())

    def _classify(self) -> None:
        inf = self.influence
        leader = inf.argmax(axis=0).astype(np.int8)
        if inf.shape[0] == 1:
            top, second = inf[0], np.zeros_like(inf[0])
        elif not self._any_alliance:
            part = np.partition(inf, inf.shape[0] - 2, axis=0)
            top, second = part[-1], part[-2]
        else:
            top = np.take_along_axis(inf, leader[None].astype(np.intp), axis=0)[0]
            strongest_rival = np.stack([inf[r].max(axis=0) if len(r) else np.zeros_like(top)
                                        for r in self._rivals])
            second = np.take_along_axis(strongest_rival, leader[None].astype(np.intp), axis=0)[0]
        governed = top >= self.threshold
        clear = top >= (1.0 + self.margin) * second
        self.controller = np.where(governed, np.where(clear, leader, CONTESTED), UNGOVERNED).astype(np.int8)
