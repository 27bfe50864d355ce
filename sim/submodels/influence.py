"""Influence and control as whole-array operations, at a cost that does not grow with the
number of agents.

Units scatter their strength onto a per-faction presence grid as they move (two layers: units
holding ground, and patrols that cover a wider area). A faction's influence at a cell is the
*force density* of its fighters within reach, in fighters per km²: the presence smoothed with a
Gaussian kernel whose width is given in km and which integrates to one over area (a loss-of-
strength gradient, after Boulding), so a wide kernel spreads a unit thinly and the field does
not depend on the cell size. N fighters at one spot give N/(2πσ²)·exp(−d²/2σ²) per km², and
with a density threshold D* they govern a disc of area 2πσ²·ln(N/(2πσ²D*)): diminishing
returns in N. The Euphrates is a barrier: influence from one bank reaches the other only near
bridges and fords, with weight exp(−d²/2s²) at distance d from the nearest one (s =
`bridge_reach_km`). Influence relaxes toward the projection with a time constant in days (so
it does not depend on the step length): I ← P + (I − P)·exp(−Δt/τ).

The influence is updated every `UPDATE_HOURS` (4) simulated hours, not every step: every
k = max(1, round(UPDATE_HOURS / Δt)) steps the changes of presence since the last update are
stamped, the influence relaxes by r^k (r = exp(−Δt/τ): k steps toward a target that stood still)
and the control map is classified; in between they stay as they were (the presence and
`faction_strength` change at once). Enough because τ (2 days) is twelve times 4 h: a change is
counted at most k − 1 steps early, moving the influence by ≤ 1 − e^(−3/48) ≈ 6 % of its
projection at 1 h steps (the argument in full: docs/odd.md, *Influence and control*).

The projection is linear in the presence, so a faction with few changes since the last update
(a patrol's jump, a convoy's move) is updated by stamping the kernel at the cells that changed
(sim/submodels/stamps.py: one matrix product per faction and source bank), and a faction with
many changes is recomputed with whole-array filters, whichever costs less (estimated from the
kernel and grid sizes, never from timings, so runs stay reproducible).
Either way an update costs at most one full recomputation, however many agents there are. The
changes are merged per faction, layer and cell first (a move there and back stamps nothing), and
a merged change below `STAMP_FIGHTERS` (one fighter) waits, added to the cell's later changes,
until it adds up to a fighter or a full recomputation takes it in (attrition and pay change
units by fractions of a fighter, each a stamp of the whole kernel). A full recomputation once a
simulated week (`RESYNC_HOURS`) of the factions whose presence changed bounds the rounding.

The projection and the influence are single precision (`FIELD_DTYPE`, float32: ~7 significant
digits); the presence, the fighters' ledger, double. Enough because the threshold (known to an
order of magnitude) and the margin (25 %) are far coarser: a week of stamps adds at most ~10⁻⁴
of a cell's values, the relaxation's rounding a few 10⁻⁶ (docs/odd.md, *Influence and control*).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import correlate1d, distance_transform_edt, gaussian_filter1d

from sim.submodels.stamps import TRUNCATE, Stamps

CONTESTED = -1
UNGOVERNED = -2
HOLDING, PATROLLING = 0, 1
COMPONENTS = 3  # Gaussians in the scale mixture: widths σ, 2σ, 4σ
# relative costs, in nanoseconds on a typical machine: a stamp has a fixed numpy overhead plus
# one operation per kernel cell; a full recomputation of one faction about 1.5 per cell and
# kernel tap (two bank-separated sources, two separable passes)
STAMP_OVERHEAD = 9000.0
FULL_PER_CELL_TAP = 1.5


def mixture(sigma_km: float, tail_ratio: float) -> list[tuple[float, float]]:
    """The loss-of-strength kernel as a scale mixture of Gaussians: widths σ·2^k (k = 0 …
    COMPONENTS−1) with weights ∝ tail_ratio^k, summing to one. Beyond σ the density then falls
    roughly like a power of the distance, d^−α with α = 2 − log2(tail_ratio) (a heavy tail), so
    the area N fighters govern grows like N^(2/α) rather than like ln N; tail_ratio 0 is a
    single Gaussian. Returns (width km, weight) pairs without zero weights."""
    weights = np.array([tail_ratio**k for k in range(COMPONENTS)], dtype=float)
    weights /= weights.sum()
    return [(sigma_km * 2.0**k, float(w)) for k, w in enumerate(weights) if w > 0]


def far_bank_weight(bank: np.ndarray, crossings: np.ndarray | None, cell_km: float,
                    reach_km: float) -> dict[int, np.ndarray]:
    """Weight of influence from a source on bank b (1 or 2) at every cell: 1 on its own bank
    and on river/bridge cells (bank 0); on the far bank exp(−d²/2s²), d the distance (km) to
    the nearest bridge or ford cell, s = `reach_km`; 0 on the far bank if there is none."""
    if crossings is None or not crossings.any():
        across = np.zeros(bank.shape)
    else:
        d_km = distance_transform_edt(~crossings) * cell_km
        across = np.exp(-0.5 * (d_km / reach_km) ** 2)
    return {b: np.where((bank == b) | (bank == 0), 1.0, across) for b in (1, 2)}


#: the floating-point type of the projection and the influence (and of the kernels and the river's
#: weights that make them): single precision halves the memory the stamps and the relaxation
#: stream through; the presence, the fighters' ledger, stays in double precision
FIELD_DTYPE = np.float32

#: how often the stamped target is recomputed by whole-array filtering (simulated hours)
RESYNC_HOURS = 7 * 24.0

#: changes of presence smaller than this at a cell (fighters of a faction in a layer, merged since
#: the cell was last stamped) wait to be stamped until they add up to more, or the weekly
#: recomputation projects them: attrition and recruitment change units by fractions of a fighter
#: a step, each change a stamp. The presence (and `faction_strength`) has them at once
STAMP_FIGHTERS = 1.0

#: how often the influence relaxes toward its target and the control map is classified again
#: (simulated hours: every max(1, round(UPDATE_HOURS / step_hours)) steps, so every step at 3 h
#: steps and longer): the changes of presence in between are
#: stamped then, merged per cell (a unit's move there and back, or a fight's losses at one cell,
#: stamp once or not at all). Against the influence's time constant of days, a control map up to
#: this old
UPDATE_HOURS = 4.0


class InfluenceField:
    """The arrays, F factions on a (rows, cols) grid: `presence` (F, 2, rows, cols) fighters per
    cell in the HOLDING and PATROLLING layers (float64); `target` (F, rows, cols) its projection;
    `influence` (F, rows, cols), relaxing toward the target (both `FIELD_DTYPE`); `controller` (rows, cols) int8, a
    faction index, CONTESTED or UNGOVERNED."""

    def __init__(self, n_factions: int, bank: np.ndarray, cell_km: float, *, kernel_km: float,
                 patrol_kernel_km: float, decay_days: float, step_hours: float,
                 threshold_per_km2: float, margin: float, bridge_reach_km: float,
                 tail_ratio: float = 0.0, crossings: np.ndarray | None = None,
                 update_hours: float = UPDATE_HOURS):
        """`bank`: 0 river/bridge, 1 and 2 the banks; `crossings`: bool mask of the bridge and
        ford cells through which influence crosses the river (None: it does not cross);
        `update_hours`: how often the influence is updated (`UPDATE_HOURS`; 0: every step)."""
        shape = bank.shape
        self.presence = np.zeros((n_factions, 2, *shape))
        self.target = np.zeros((n_factions, *shape), dtype=FIELD_DTYPE)
        self.influence = np.zeros((n_factions, *shape), dtype=FIELD_DTYPE)
        self.controller = np.full(shape, UNGOVERNED, dtype=np.int8)
        self.threshold = threshold_per_km2
        self.margin = margin
        # per layer, (width in cells, weight) of each Gaussian component; a unit mass filtered
        # sums to one over cells, so the gain 1/cell area turns it into fighters per km²
        self._parts = tuple([(s / cell_km, w) for s, w in mixture(k, tail_ratio)]
                            for k in (kernel_km, patrol_kernel_km))
        self._gain = 1.0 / cell_km**2
        # per layer, (the 1-D weights scipy's gaussian_filter correlates each axis with, gain × weight) of
        # each component, for `projected`: the weights are scipy's filter of a unit impulse, bit for bit
        self._filters = tuple([(gaussian_filter1d(np.eye(1, 2 * int(TRUNCATE * s + 0.5) + 1, int(TRUNCATE * s + 0.5))[0], s, mode="constant",
                                                  truncate=TRUNCATE), self._gain * w) for s, w in parts] for parts in self._parts)
        # the influence is updated every `_every` steps, relaxing for all of them at once
        self._every = max(1, int(round(update_hours / step_hours)))
        self._since_update = 0
        self._relax = float(np.exp(-self._every * step_hours / (decay_days * 24.0)))
        self._bank = bank
        # weight of influence from a source on bank b at every cell (bank 0: river and bridges)
        self._bank_weight = {b: w.astype(FIELD_DTYPE) for b, w in
                             far_bank_weight(bank, crossings, cell_km, bridge_reach_km).items()}
        # the weight of a source on the river or a bridge (bank 0) is 1 everywhere
        self._weights = np.stack([np.ones(shape, dtype=FIELD_DTYPE), self._bank_weight[1], self._bank_weight[2]])
        self._stamps = Stamps(bank, self._parts, self._gain, self._weights)  # sim/submodels/stamps.py
        # the changes not yet stamped, merged per (faction, layer, r, c) as `add` makes them: those
        # since the last update, added to those below STAMP_FIGHTERS that wait from before
        self._merged: dict[tuple[int, int, int, int], float] = {}
        #: changes of each faction's presence so far: a version number for what is derived from it
        self.changes = [0] * n_factions
        #: the cells (row, col) whose presence changed since the places' tenure last looked
        #: (`PlaceHolding.update`, sim/submodels/holding.py, empties it: it has one reader; a
        #: second would need a set of its own)
        self.touched: set = set()
        #: (the control map last classified, its governed or contested cells, flat, ascending),
        #: read by `LandShares` (sim/submodels/control.py); set by `_classify`
        self.governed: tuple = (None, np.empty(0, dtype=np.intp))
        #: each faction's fighters on the map (`faction_strength`), kept by `add`
        self._strength = [0.0] * n_factions
        self.set_allies(np.eye(n_factions, dtype=bool))
        taps = sum(2 * int(TRUNCATE * s + 0.5) + 1 for parts in self._parts for s, _ in parts)
        self._full_cost = FULL_PER_CELL_TAP * bank.size * taps  # per faction
        self._stamp_cost = [STAMP_OVERHEAD + (2 * max(int(TRUNCATE * s + 0.5) for s, _ in parts) + 1) ** 2
                            for parts in self._parts]  # a kernel's cells
        # the stamped target is recomputed from scratch once a simulated week, which bounds the
        # rounding drift of stamping (and the truncation of stamps against the full filter), for
        # the factions whose presence changed since it was last (`_stale`)
        self._resync_every = max(1, int(round(RESYNC_HOURS / (step_hours * self._every))))
        self._since_resync = 0
        #: each faction's change count when its target was last projected in full (`_stale`)
        self._projected_at = [-1] * n_factions

    # --- bookkeeping by agents (O(1) per change) -----------------------------------------
    def add(self, faction: int, layer: int, rc: tuple[int, int], amount: float) -> None:
        """`amount` fighters (a float, negative to remove) of `faction` at cell `rc` in `layer`;
        the projection catches up at the next `update`. (A flat memoryview of the presence was
        ~0.1 µs a call faster, but made the field impossible to copy and off-grid cells silent:
        left, session 9.)"""
        r, c = rc
        self.presence[faction, layer, r, c] += amount
        key = (faction, layer, r, c)
        self._merged[key] = self._merged.get(key, 0.0) + amount
        self.changes[faction] += 1
        self.touched.add(rc)
        self._strength[faction] += amount

    def faction_strength(self, faction: int) -> float:
        """Fighters of `faction` on the map: the running total of what `add` added and removed
        (`presence[faction].sum()` but for rounding: summed in the order of the changes, not
        numpy's pairwise order over the grid)."""
        return self._strength[faction]

    def total_presence(self) -> np.ndarray:
        """Fighters per cell and faction, (F, rows, cols)."""
        return self.presence.sum(axis=1)

    # --- the projection ------------------------------------------------------------------
    def projected(self, factions=slice(None)) -> np.ndarray:
        """Whole-array projection of the presence of `factions`, honouring the river barrier:
        (len(factions), rows, cols) fighters per km².

        Each faction's presence in a layer and on a bank is filtered over the box of its
        occupied cells widened by the kernel's reach (its widest component's radius), clipped
        to the map: the filter of the whole grid sums the same cells with the same weights in
        the same order there and is exactly zero beyond, so the box gives the whole grid's
        bits. (The filter treats factions independently, so any subset of them gets the bits
        of all of them.)"""
        presence = self.presence[factions]
        out = np.zeros((presence.shape[0], *self._bank.shape), dtype=FIELD_DTYPE)
        bank = self._bank
        rows, cols = bank.shape
        for layer, parts in enumerate(self._parts):
            reach = max(int(TRUNCATE * s + 0.5) for s, _ in parts)
            layer_presence = presence[:, layer]
            for source in (0, 1, 2):
                part = np.where(bank == source, layer_presence, 0.0)
                for i in np.flatnonzero(part.reshape(len(part), -1).any(axis=1)):
                    occupied_rows = np.flatnonzero(part[i].any(axis=1))
                    occupied_cols = np.flatnonzero(part[i].any(axis=0))
                    r0, r1 = max(occupied_rows[0] - reach, 0), min(occupied_rows[-1] + reach + 1, rows)
                    c0, c1 = max(occupied_cols[0] - reach, 0), min(occupied_cols[-1] + reach + 1, cols)
                    box = part[i, r0:r1, c0:c1]
                    smooth = 0  # Σ gain × gaussian_filter(box, σ, output=FIELD_DTYPE): its two passes, with the weights found once
                    for weights, gain in self._filters[layer]:
                        rows_done = correlate1d(box, weights, axis=0, output=FIELD_DTYPE, mode="constant")
                        smooth = smooth + gain * correlate1d(rows_done, weights, axis=1, output=rows_done, mode="constant")
                    if source:
                        smooth = smooth * self._bank_weight[source][r0:r1, c0:c1]
                    out[i, r0:r1, c0:c1] += smooth
        return out

    def _stamp(self, changes: list[tuple[int, int, int, int, float]]) -> None:
        """Add the changes' projection to their factions' targets; a change is (faction, layer,
        r, c, amount), `amount` fighters at cell (r, c) of `layer` (`Stamps.add`, sim/submodels/stamps.py:
        one matrix product per faction and bank)."""
        self._stamps.add(self.target, changes)

    def _refresh_target(self) -> None:
        """The changes since the last update, merged per cell with those still waiting, stamped
        where they reach STAMP_FIGHTERS (the rest wait); a faction with too many recomputed in
        full, and the stale ones once a week (`_stale`), waiting changes and all."""
        merged, self._merged = self._merged, {}
        self._since_resync += 1
        if self._since_resync >= self._resync_every:
            self._project(self._stale())  # every faction with a waiting change is stale
            self._since_resync = 0
            return
        pending, waiting = [], {}
        cost, stamp_cost = [0.0] * len(self.target), self._stamp_cost  # per faction (Python floats: a few dozen changes a step)
        for key, amount in merged.items():
            if amount >= STAMP_FIGHTERS or amount <= -STAMP_FIGHTERS:
                pending.append((*key, amount))
                cost[key[0]] += stamp_cost[key[1]]
            elif amount:
                waiting[key] = amount
        recompute = [f for f, c in enumerate(cost) if c > self._full_cost]
        if recompute:
            self._project(recompute)
            pending = [change for change in pending if cost[change[0]] <= self._full_cost]
            waiting = {key: amount for key, amount in waiting.items() if cost[key[0]] <= self._full_cost}
        self._merged = waiting
        self._stamp(pending)

    def _stale(self) -> list[int]:
        """The factions whose presence changed since their target was last projected in full:
        the others' target is still the projection of their presence, bit for bit (the filter
        treats factions independently, and nothing was stamped onto them since)."""
        return [f for f, (now, then) in enumerate(zip(self.changes, self._projected_at, strict=True)) if now != then]

    def _project(self, factions: list[int]) -> None:
        """The target of `factions` recomputed by whole-array filtering (`projected`)."""
        if factions:
            self.target[factions] = self.projected(factions)
            for f in factions:
                self._projected_at[f] = self.changes[f]

    # --- the step ------------------------------------------------------------------------
    def update(self) -> None:
        """Every `update_hours` (the `_every`-th call): stamp the changes of presence since the
        last update, relax the influence over the steps since, classify the control map; the
        calls in between do nothing."""
        self._since_update += 1
        if self._since_update < self._every:
            return
        self._since_update = 0
        self._refresh_target()
        self.influence -= self.target
        self.influence *= self._relax
        self.influence += self.target
        self._classify()

    def settle(self) -> None:
        """Start from the steady state of the initial deployment (no spin-up transient)."""
        self._merged.clear()
        self._project(list(range(len(self.target))))
        self.influence[:] = self.target
        self._classify()

    def set_allies(self, allied: np.ndarray) -> None:
        """Allies do not contest each other's ground: the margin is measured against the
        strongest faction that is not allied with the leader. `allied` is (F, F) boolean."""
        self._allied = np.asarray(allied, dtype=bool)

    def _classify(self) -> None:
        """The controller of every cell from the influence, at the cost of the governed cells.

        Only cells where some faction's influence reaches the threshold need a leader and a
        runner-up (a tenth of the map in the campaign), so those are gathered and classified;
        the rest are UNGOVERNED. Gives exactly what the whole-grid argmax and runner-up would
        (tests/test_influence.py checks it, every step of a seeded run and on random fields
        with ties)."""
        inf = self.influence
        flat = inf.reshape(len(inf), -1)
        controller = np.full(inf.shape[1:], UNGOVERNED, dtype=np.int8)
        cells = np.flatnonzero((flat >= self.threshold).any(axis=0))
        if len(cells):
            sub = flat.take(cells, axis=1)
            top = sub.max(axis=0)
            # the leader, argmax's choice: the first faction whose influence is the top one (as the
            # controller's int8: the class each governed cell gets unless it is contested)
            at_top = sub == top
            leader = np.full(len(cells), len(sub) - 1, dtype=np.int8)
            for f in range(len(sub) - 2, -1, -1):
                leader[at_top[f]] = f
            # the strongest faction not allied with each cell's leader (the leader's own row,
            # and any ally's, counts as 0)
            second = np.where(self._allied.take(leader, axis=1), 0.0, sub).max(axis=0, initial=0.0)
            leader[top < (1.0 + self.margin) * second] = CONTESTED  # short of the margin
            controller.ravel()[cells] = leader
        self.controller = controller
        self.governed = controller, cells  # this control map's governed (or contested) cells, flat, ascending
