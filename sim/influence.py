"""Influence and control as whole-array operations, at a cost independent of the agent count.

Units scatter their strength onto a per-faction presence grid as they move (two layers: units
holding ground, and patrols that cover a wider area). Each step the presence is smoothed with
a Gaussian distance kernel whose width is given in km (so the field does not depend on the
cell size), and the influence relaxes toward it with a time constant in days (so it does not
depend on the step length): I ← P + (I − P)·exp(−Δt/τ).

A cell is *controlled* by the faction with the highest influence when that is at least the
threshold and ahead of the runner-up by the margin (top ≥ (1 + margin) · second); *ungoverned*
when no faction reaches the threshold; *contested* otherwise.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

CONTESTED = -1
UNGOVERNED = -2
HOLDING, PATROLLING = 0, 1


class InfluenceField:
    def __init__(self, n_factions: int, shape: tuple[int, int], cell_km: float, *,
                 kernel_km: float, patrol_kernel_km: float, decay_days: float,
                 step_hours: float, threshold: float, margin: float):
        self.presence = np.zeros((n_factions, 2, *shape))
        self.influence = np.zeros((n_factions, *shape))
        self.controller = np.full(shape, UNGOVERNED, dtype=np.int8)
        self._sigmas = (kernel_km / cell_km, patrol_kernel_km / cell_km)
        self._relax = float(np.exp(-step_hours / (decay_days * 24.0)))
        self.threshold = threshold
        self.margin = margin
        # peak of a Gaussian smoothing of a unit mass: rescale so that one fighter standing
        # on a cell projects influence 1 there, whatever the cell size
        self._gain = tuple(2.0 * np.pi * s * s for s in self._sigmas)

    # --- bookkeeping by agents (O(1) per change) -----------------------------------------
    def add(self, faction: int, layer: int, rc: tuple[int, int], amount: float) -> None:
        self.presence[faction, layer, rc[0], rc[1]] += amount

    def total_presence(self) -> np.ndarray:
        """Fighters per cell and faction, (F, rows, cols)."""
        return self.presence.sum(axis=1)

    # --- the whole-array update ----------------------------------------------------------
    def projected(self) -> np.ndarray:
        out = np.zeros_like(self.influence)
        for layer, (sigma, gain) in enumerate(zip(self._sigmas, self._gain, strict=True)):
            out += gain * gaussian_filter(self.presence[:, layer], sigma=(0, sigma, sigma),
                                          mode="constant", truncate=3.0)
        return out

    def update(self) -> None:
        target = self.projected()
        self.influence -= target
        self.influence *= self._relax
        self.influence += target
        self._classify()

    def settle(self) -> None:
        """Start from the steady state of the initial deployment (no spin-up transient)."""
        self.influence[:] = self.projected()
        self._classify()

    def _classify(self) -> None:
        inf = self.influence
        if inf.shape[0] == 1:
            top, second = inf[0], np.zeros_like(inf[0])
        else:
            part = np.partition(inf, inf.shape[0] - 2, axis=0)
            top, second = part[-1], part[-2]
        leader = inf.argmax(axis=0).astype(np.int8)
        governed = top >= self.threshold
        clear = top >= (1.0 + self.margin) * second
        self.controller = np.where(governed, np.where(clear, leader, CONTESTED), UNGOVERNED).astype(np.int8)
