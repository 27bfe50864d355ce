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
one gather and one bincount for all places at once, each step. That is *the ground*
(`holders`, `of`): what the planners read (agents/planner.py) and the land bridge needs.

**Tenure** (`update`, `held`): who holds the place as a historian (and the record) codes it,
the recorded holder (`holder_<place>` in the step table, the hindcast's holder patterns). A
holder keeps its place while its *defenders* stand in the footprint — units of the holder or
its allies, insurgent cells excepted (hidden raiders hold nothing) — whoever controls the
ground around them: a town is taken when its defenders are gone, not when attackers merely
outnumber them near it (Hajin held out to 14 Dec 2018 while the SDF's line surrounded it).

- A **town** (any place that is not an installation) whose defenders are gone passes to the
  ground's holder (contested or ungoverned included), unless that is the holder or one of its
  allies (allies do not take each other's towns); a town held by nobody is the ground's.
- An **installation** (`INSTALLATION_KINDS`: an airbase, a base, a border crossing, a pumping
  station, an oil or gas field) is a formal holding, held by the garrison standing there, not by
  the ground around it: it changes hands only when its defenders are gone *and* a unit of
  another faction (insurgent cells excepted) stands in its footprint; the faction with the
  most fighters there takes it. An abandoned installation stays its holder's until then.

The first `update` (the initial state) starts from `held_at_start` (the scenario's
`control.held_at_start`, the record's holders on the first day: initial conditions), else a
town from its ground and an installation from the faction with the most fighters standing in
its footprint (else its ground). After that only the places whose tenure can change are
watched (`tenure_watch`: the installations, and the towns whose ground is not their holder's
bloc's), their units counted from the presence grid (one gather for the watched places), and
not looked at again while nothing changed on their footprints (the influence field's `touched`
cells), or changed only where a defender of the holder's bloc stands, and neither the tenure nor
the ground did; the
units themselves are looked at (`units_at`, the occupied cells of a footprint) only where the
tenure could change, never in a scan of the map, and a town's defender found last is looked at
first. The recorder (sim/results/recorder.py) owns the model's `PlaceHolding`
(`model.recorder.holding`) and advances its tenure once per recorded row.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.geography.corridor_map import disc_offsets
from sim.submodels.influence import CONTESTED, UNGOVERNED

#: kinds of place held by a garrison rather than by the ground around them (the map's `kind`)
INSTALLATION_KINDS = frozenset({"airbase", "base", "crossing", "station", "oilfield", "gasfield"})


class PlaceHolding:
    """The footprints of P places on a map and their holders.

    `cells` (P, K) flat cell indices, the place's own cell first, padded; `valid` (P, K) bool,
    which entries are real; `size` (P,) cells per footprint (at least 1: the place's own cell
    always counts)."""

    def __init__(self, corridor_map, influence, radius_km: float, share: float, allied: np.ndarray,
                 held_at_start: dict[str, int] | None = None, units_at=None):
        """Footprints of the map's places (`corridor_map.places`, in map order), read from the
        control map of `influence` (sim/submodels/influence.py InfluenceField); `allied`: (F, F) bool, True
        for a faction and its allies (the diagonal is True). For the tenure (`update`):
        `held_at_start` place name → holder code at the first update; `units_at(rc)` the units
        in cell (row, col) (the model's grid cell's agents)."""
        places = list(corridor_map.places.values())
        self.places = places
        self.radius_km = radius_km
        self.installation = np.array([p.kind in INSTALLATION_KINDS for p in places], dtype=bool)
        self.held_at_start = dict(held_at_start or {})
        self._units_at = units_at
        #: (P,) int8 the tenure: holder codes after the last `update` (None before the first)
        self.held: np.ndarray | None = None
        self.changed = True  # whether the last `update` changed the tenure
        self.index = {p.name: i for i, p in enumerate(places)}
        self._influence = influence
        self._last: tuple = (None, None)  # (controller, its holders): computed once per control update
        self._last_codes: bytes | None = None  # the footprints' control codes `_last` was counted from
        rows, cols = corridor_map.shape
        _, dr, dc = disc_offsets(radius_km, corridor_map.cell_km)
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
        self._cols = cols
        self._watch: tuple | None = None  # (held, ground, their key, TenureWatch, its gather: two arrays, cells, around): `_watched`
        self._quiet: tuple | None = None  # the `_watch` at the last look (`update`): the next is skipped while it stands and no watched cell is touched
        self._defender: dict = {}  # per town, the defender `_defended` found last, looked at first

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
        codes = controller.ravel().take(self.cells)  # (P, K) the footprints' control codes
        # counted again only when a footprint's cell changed hands (most steps, none did)
        seen = codes.tobytes()
        held = self._last[1] if seen == self._last_codes else self._count(codes)
        self._last, self._last_codes = (controller, held), seen
        return held

    def _count(self, codes: np.ndarray) -> np.ndarray:
        """(P,) int8 holder codes from the footprints' control codes `codes` (P, K)."""
        n_factions = len(self.allied)
        codes = codes.astype(np.int64) + 2  # 0 contested, 1 ungoverned, 2… factions
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

    # --- tenure -----------------------------------------------------------------------------
    def update(self) -> np.ndarray:
        """Advance the tenure to the model as it stands (the control map and the units) and
        return it, (P,) int8 holder codes; the first call sets the initial tenure. Only the
        places `tenure_watch` names are looked at (their footprints' presence gathered); the
        tenure itself is returned again when none of them changed hands, and without looking
        when the rule's inputs stand as they were at the last look that changed nothing: the
        tenure and the ground the same arrays, and no presence changed on a watched footprint
        (the influence field's `touched` cells, which this empties: a unit's cell, strength,
        layer and side change only with its presence, agents/base.py), or only on the
        footprints of places whose defenders stand (`_defenders_stand`)."""
        ground = self.holders()
        touched = self._influence.touched
        if self.held is None:
            present = self._present(*self._footprints(np.arange(len(self.places))))
            held = self._initial(ground, present.sum(axis=2).T, present)
        else:
            watch, gather, valid, cells, around = self._watched(ground)
            if self._watch is self._quiet and (touched.isdisjoint(cells) or self._defenders_stand(touched, around)):
                held = self.held
            else:
                present = self._present(gather, valid)  # (F, W, K)
                held = next_tenure(self.held, ground, watch, present.sum(axis=2).T,
                                   lambda w: self._standing(watch.rows[w], present[:, w]),
                                   lambda w: self._defended(watch.rows[w], watch.blocs[w], present[:, w]))
                self._quiet = self._watch  # made anew once the tenure or the ground changes
        touched.clear()
        self.changed = self.held is None or (held is not self.held and bool((held != self.held).any()))
        self.held = held
        return held

    def _watched(self, ground: np.ndarray) -> tuple:
        """The `TenureWatch` of the tenure and `ground` as they stand, with the gather of its
        places' footprints (`_footprints`), their cells, a set of (row, col), and per cell the
        watched places whose footprint it is in (`_defenders_stand`): made again only when
        either changed (a few steps in a hundred; the same arrays, or arrays of the same
        bytes)."""
        kept = self._watch
        if kept is None or not (kept[0] is self.held and kept[1] is ground):
            key = (self.held.tobytes(), ground.tobytes(), self._influence.presence.shape)
            if kept is None or kept[2] != key:
                watch = tenure_watch(self.held, ground, self.installation, self.allied)
                around: dict = {}  # watched cell -> (place, the cell's index in its footprint, its holder's bloc)
                for p, bloc in zip(watch.rows.tolist(), watch.blocs.tolist(), strict=True):
                    for k in np.flatnonzero(self.valid[p]).tolist():
                        around.setdefault(divmod(int(self.cells[p, k]), self._cols), []).append((p, k, bloc))
                kept = (None, None, key, watch, *self._footprints(watch.rows), set(around), around)
            self._watch = kept = (self.held, ground, *kept[2:])
        return kept[3:]

    def _defenders_stand(self, touched: set, around: dict) -> bool:
        """Whether every watched place with a `touched` footprint cell has a defender standing: a
        unit alive of its holder's bloc, not an insurgent cell, in its footprint (the one
        `_defended` found last, still there, or one on a touched cell of it, then kept). A
        look would change nothing there: such a place keeps its holder (an installation its
        garrison's, a town its defenders'), since the presence of the defender's faction on its
        cell is its fighters, its own among them, to a rounding far below a fighter, so
        positive. `around`: per watched cell, (place, the cell's index in its footprint, the
        holder's bloc (F,) as bools) of each watched place whose footprint it is in."""
        confirmed: set = set()
        doubtful: set = set()
        for rc in touched:
            for p, k, bloc in around.get(rc, ()):
                if p in confirmed:
                    continue
                kept = self._defender.get(p)
                if kept is not None:
                    u, j = kept
                    if u.alive and u.kind != "insurgent" and bloc[u.faction] and u.rc == self._cell(p, j):
                        confirmed.add(p)
                        doubtful.discard(p)
                        continue
                for u in self._units_at(rc):
                    if u.kind != "insurgent" and u.alive and bloc[u.faction]:
                        self._defender[p] = (u, k)
                        confirmed.add(p)
                        doubtful.discard(p)
                        break
                else:
                    doubtful.add(p)
        return not doubtful

    def _footprints(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For the places `rows` (W,): flat indices into the presence of every (faction, layer)
        at every footprint cell, (F × layers, W, K), and which footprint entries are real, (W, K)."""
        presence = self._influence.presence
        layers = presence.size // presence[0, 0].size
        return np.arange(layers)[:, None, None] * presence[0, 0].size + self.cells[rows], self.valid[rows]

    def _present(self, gather: np.ndarray, valid: np.ndarray) -> np.ndarray:
        """(F, W, K) fighters of each faction (both layers, insurgent cells too) at each footprint
        cell of the places `gather` (`_footprints`) covers, 0 at the padding."""
        presence = self._influence.presence
        both = presence.take(gather)  # (F × layers, W, K): one gather, not a fancy index per axis
        return np.where(valid, both.reshape(*presence.shape[:2], *gather.shape[1:]).sum(axis=1), 0.0)

    def _initial(self, ground: np.ndarray, near: np.ndarray, flat: np.ndarray) -> np.ndarray:
        held = ground.copy()
        for p in np.flatnonzero(self.installation & (near.sum(axis=1) > 0)):
            fighters = self._standing(p, flat[:, p])
            if fighters.max() > 0:
                held[p] = int(np.argmax(fighters))
        for name, code in self.held_at_start.items():
            held[self.index[name]] = code
        return held.astype(np.int8)

    def _standing(self, p: int, present: np.ndarray) -> np.ndarray:
        """(F,) fighters of the units standing in place p's footprint (`_standing_units`)."""
        out = np.zeros(len(present))
        for _, u in self._standing_units(p, present.sum(axis=0) > 0):
            out[u.faction] += u.strength
        return out

    def _defended(self, p: int, bloc: np.ndarray, present: np.ndarray) -> bool:
        """Whether a unit of `bloc` (F,) bool stands in place p's footprint: `(_standing(p,
        present)[bloc] > 0).any()`, stopping at the first such unit (a unit alive has fighters,
        and a sum of positive numbers is positive). The defender found last is looked at first:
        a town's defenders stand for weeks, and a unit alive is in its cell's units."""
        occupied = present.sum(axis=0) > 0
        kept = self._defender.get(p)
        if kept is not None:
            u, k = kept
            if occupied[k] and u.alive and u.kind != "insurgent" and bloc[u.faction] and u.rc == self._cell(p, k):
                return True
        for k, u in self._standing_units(p, occupied):
            if bloc[u.faction]:
                self._defender[p] = (u, k)
                return True
        return False

    def _standing_units(self, p: int, occupied: np.ndarray):
        """(k, unit) for the units alive in place p's footprint, insurgent cells excepted, cell
        by cell; only the footprint's cells with presence (`occupied`, (K,) bool) are looked at."""
        for k in occupied.nonzero()[0]:
            for u in self._units_at(self._cell(p, k)):
                if u.kind != "insurgent" and u.alive:
                    yield k, u

    def _cell(self, p: int, k: int) -> tuple[int, int]:
        """The (row, col) of place p's k-th footprint cell."""
        return divmod(int(self.cells[p, k]), self._cols)


class TenureWatch(NamedTuple):
    """The places whose tenure can change while the tenure and the ground stand as they are:
    `rows` (W,) place indices, ascending, every installation and every town whose ground is
    neither its holder's nor an ally's; `installation` (W,) bool; `blocs` (W, F) bool, each
    one's holder's bloc (itself and its allies; nobody for a place held by nobody)."""

    rows: np.ndarray
    installation: np.ndarray
    blocs: np.ndarray
    #: `~installation` and `~blocs`
    towns: np.ndarray
    outside: np.ndarray


def tenure_watch(held: np.ndarray, ground: np.ndarray, installation: np.ndarray,
                 allied: np.ndarray) -> TenureWatch:
    """The `TenureWatch` of `held` (P,) holder codes, `ground` (P,) the footprint rule's
    holders, `installation` (P,) bool and `allied` (F, F) bool: a town whose ground is its
    holder's bloc's keeps its holder whoever stands in it, so only the others are watched."""
    blocs = (held[:, None] >= 0) & allied[np.maximum(held, 0)]  # (P, F) each holder's bloc
    allies_ground = (ground >= 0) & blocs[np.arange(len(held)), np.maximum(ground, 0)]
    rows = np.flatnonzero(installation | ((held != ground) & ~allies_ground))
    return TenureWatch(rows, installation[rows], blocs[rows], ~installation[rows], ~blocs[rows])


def next_tenure(held: np.ndarray, ground: np.ndarray, watch: TenureWatch, near: np.ndarray, standing,
                defended) -> np.ndarray:
    """The tenure after a step (module docstring): `held` (P,) holder codes before it, `ground`
    (P,) the footprint rule's holders now, `watch` their `TenureWatch`, `near` (W, F) fighters of
    each faction in each watched place's footprint (from the presence grid: insurgent cells
    included); for the w-th watched place, `standing(w)` (F,) fighters in its footprint
    insurgent cells excepted, `defended(w)` whether a unit of its holder's bloc, insurgent cells
    excepted, stands there (each called only where the tenure could change). Returns (P,) int8:
    `held` itself when no place changed hands."""
    out = held = np.asarray(held, dtype=np.int8)
    outsiders = (near * watch.outside).any(axis=1)
    backed = ((near > 0) & watch.blocs).any(axis=1)  # a town with its holder's bloc's presence in it
    # only these places can change: a watched town, an installation with someone from outside
    # its holder's bloc in it
    for w in (outsiders | watch.towns).nonzero()[0]:
        p, bloc = watch.rows[w], watch.blocs[w]
        if watch.installation[w]:
            fighters = standing(w)
            if (fighters[bloc] > 0).any():
                continue  # its garrison stands
            others = np.where(bloc, 0.0, fighters)
            if not others.max() > 0:
                continue  # nobody else stands there: it stays its holder's
            code = int(np.argmax(others))
        else:
            if backed[w] and defended(w):
                continue  # its defenders stand
            code = ground[p]
        if out is held:
            out = held.copy()
        out[p] = code
    return out
