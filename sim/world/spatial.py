"""The spatial service of a run: where a faction may stand, which cells and units are near a
place, and least-time paths. The model holds one, `model.space`; agents, rules and planners ask
it, never the grid or the presence arrays directly.

Queries for units near a cell use one of two indexes, whichever is smaller for the query (a
choice by counts, never by timings, and both give the same units in the same order; a test
checks it): the per-faction roster of units (`enrol`, kept by `Unit` as units appear, change
side and leave), whose members' offsets are looked up in the disc; or the per-faction presence
grid (`InfluenceField.presence`, fighters per cell, kept up to date by every move), read at the
disc's cells only. Either way a query costs the faction's units or the disc's cells, never a
scan of every unit or a sum over the whole map. Units are returned nearest first (the disc's
order), units sharing a cell in the order they arrived there.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain

import numpy as np
from scipy.spatial import cKDTree

from sim.agents.base import Unit
from sim.agents.movement import PathMover
from sim.geography import Terrain
from sim.geography.corridor_map import disc_offsets
from sim.streams import IndexBatches
from sim.world.routing import PathFinder, forbidden_mask, hours_per_km

#: the relative costs of the two indexes, in disc cells of the presence grid: looking up one
#: roster member in Python, and the fixed cost of the whole-array operations of a disc query
ROSTER_COST = 10
DISC_OVERHEAD = 1000


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, m) squared distances between positions `a` (n, 2) and `b` (m, 2), in their unit
    (km²): (a₀ − b₀)² + (a₁ − b₁)², summed in that order, the arithmetic scipy's KD-trees
    apply to each pair they test (`cKDTree.sparse_distance_matrix`, `query_ball_point`). So
    `squared_distances(a, b) <= r * r` selects the very pairs a KD-tree finds within r, ties at r
    included (tests/test_spatial.py checks both against scipy); for a few dozen positions a
    side this costs less than building the tree."""
    across, along = a[:, 0, None] - b[None, :, 0], a[:, 1, None] - b[None, :, 1]
    return across * across + along * along


MEASURED_PAIRS = 65_536
"""Above this many pairs of positions (n × m) a KD-tree is used instead of measuring every
distance: the (n, m) array of `squared_distances` grows with the square of the agents (at
~32k agents, `python run.py bench`, it cost 0.8 s a step and 1.6 GB); below it, building the
tree costs more than the distances. Both give the same pairs and counts (scipy's own test)."""


class Space:
    """Spatial queries and paths for one model (`model.space`). Cells are (row, col) int pairs;
    distances are in km (the map's `cell_km` per cell side)."""

    def __init__(self, model):
        self.model = model
        self.map = model.map
        self._hours_per_km = hours_per_km(model.spec.speeds)
        self._forbidden: dict[str, tuple[int, np.ndarray]] = {}
        self._forbidden_by_faction: dict[int, np.ndarray] = {}
        self._pathfinders: dict[int, PathFinder] = {}
        self._disks: dict[float, np.ndarray] = {}
        self._ranks: dict[float, np.ndarray] = {}
        self._disk_lists_kept: dict[float, tuple[list[int], list[int]]] = {}
        self._offsets = IndexBatches()  # the tries of `random_cell_near`, per stream and disc
        self._standable_kept: dict[tuple[int, bool], tuple[np.ndarray, list]] = {}
        self._rank_lists: dict[float, list[list[int]]] = {}
        self._positions: dict = {}  # kept positions (`positions_km`): key -> (cells, positions)
        self._trees: dict = {}  # kept KD-trees (`kd_tree`): key -> (positions, tree)
        self._pairs: dict = {}  # kept pairs in range (`pairs_within`): keys and range -> (positions, positions, (i, j))
        self._bank_rows = self.map.bank.tolist()  # the map's banks and land as Python lists
        self._land_rows = self.map.land.tolist()
        self._rosters: list[dict[Unit, None]] = [{} for _ in model.factions.ids]
        self._members: dict[int, list[Unit]] = {}  # per faction, its roster in creation order
        self._nearest_place = self._nearest_place_grid()
        self._route_rows: list[list[bool]] | None = None  # `route_cells`, once asked for
        self._urban_rows: list[list[bool]] | None = None  # `urban_cells`, once asked for

    # --- places ------------------------------------------------------------------------------
    def nearest_place_name(self, rc) -> str:
        """Name of the map's place nearest to cell `rc` (for the narrative)."""
        return self._place_names[self._nearest_place[int(rc[0]), int(rc[1])]]

    def _nearest_place_grid(self) -> np.ndarray:
        places = list(self.map.places.values())
        self._place_names = [p.name for p in places]
        rows, cols = np.indices(self.map.shape)
        best = np.zeros(self.map.shape, dtype=np.int16)
        best_d = np.full(self.map.shape, np.inf)
        for i, p in enumerate(places):
            d = (rows - p.cell[0]) ** 2 + (cols - p.cell[1]) ** 2
            closer = d < best_d
            best[closer], best_d[closer] = i, d[closer]
        return best

    # --- cells -------------------------------------------------------------------------------
    def disk(self, radius_km: float) -> np.ndarray:
        """Cell offsets (n, 2) within `radius_km`, nearest first (ties in row-major order of
        the offsets); cached per radius."""
        disk = self._disks.get(radius_km)
        if disk is None:
            _, dr, dc = disc_offsets(radius_km, self.map.cell_km)
            order = np.argsort(np.hypot(dr, dc) * self.map.cell_km, kind="stable")
            disk = np.column_stack((dr, dc))[order]
            self._disks[radius_km] = disk
        return disk

    def _rank(self, radius_km: float) -> np.ndarray:
        """(2r+1, 2r+1) int: each offset's position in `disk(radius_km)`, −1 outside it."""
        rank = self._ranks.get(radius_km)
        if rank is None:
            disk = self.disk(radius_km)
            r = disc_offsets(radius_km, self.map.cell_km)[0]
            rank = np.full((2 * r + 1, 2 * r + 1), -1, dtype=np.int64)
            rank[disk[:, 0] + r, disk[:, 1] + r] = np.arange(len(disk))
            self._ranks[radius_km] = rank
        return rank

    def _rank_rows(self, radius_km: float) -> list[list[int]]:
        """`_rank(radius_km)` as Python lists; cached per radius."""
        rows = self._rank_lists.get(radius_km)
        if rows is None:
            rows = self._rank_lists[radius_km] = self._rank(radius_km).tolist()
        return rows

    def cells_near(self, rc, radius_km: float, faction: int, *, same_bank: bool = False,
                   desert_only: bool = False) -> np.ndarray:
        """Land cells (n, 2) within `radius_km` of `rc`, nearest first, that `faction` may
        enter (faction −1: any), optionally only on `rc`'s bank or only desert."""
        cells = np.asarray(rc) + self.disk(radius_km)
        rows, cols = self.map.shape
        inside = (cells[:, 0] >= 0) & (cells[:, 0] < rows) & (cells[:, 1] >= 0) & (cells[:, 1] < cols)
        cells = cells[inside]
        r, c = cells[:, 0], cells[:, 1]
        ok = self.map.land[r, c] & ~self.forbidden_mask(faction)[r, c]
        if desert_only:
            ok &= self.map.terrain[r, c] == Terrain.DESERT
        if same_bank and self.map.bank[rc] != 0:
            ok &= self.map.bank[r, c] == self.map.bank[rc]
        return cells[ok]

    def random_cell_near(self, rc, radius_km: float, faction: int, rng, desert_only: bool = False):
        """A random cell the faction may stand on, within reach and on the same bank, or None.

        A few random offsets are tried first (cheap, and almost always enough); only if all
        fail are the candidate cells enumerated. `rng`: the caller's numpy Generator. The
        offsets are tried against plain Python lists (the disc's offsets, the cells the faction
        may stand on, the banks): a patrol leg or a relocation then costs a few microseconds.
        The offsets come from `rng` in batches (`IndexBatches`, sim/streams.py)."""
        dr, dc = self._disk_lists(radius_km)
        rows, cols = self.map.shape
        r0, c0 = int(rc[0]), int(rc[1])
        banks = self._bank_rows
        bank = banks[r0][c0]
        standable = self._standable(faction, desert_only)
        for i in self._offsets.take(rng, len(dr)):
            r, c = r0 + dr[i], c0 + dc[i]
            if 0 <= r < rows and 0 <= c < cols and standable[r][c] and (bank == 0 or banks[r][c] == bank):
                return r, c
        cells = self.cells_near(rc, radius_km, faction, same_bank=True, desert_only=desert_only)
        if len(cells) == 0:
            return None
        r, c = cells[int(rng.integers(len(cells)))]
        return int(r), int(c)

    def _disk_lists(self, radius_km: float) -> tuple[list[int], list[int]]:
        """`disk(radius_km)`'s row and column offsets as Python lists; cached per radius."""
        lists = self._disk_lists_kept.get(radius_km)
        if lists is None:
            disk = self.disk(radius_km)
            lists = self._disk_lists_kept[radius_km] = (disk[:, 0].tolist(), disk[:, 1].tolist())
        return lists

    def _standable(self, faction: int, desert_only: bool) -> list[list[bool]]:
        """Rows of the cells `faction` may stand on (land it is not forbidden; desert only, if
        asked), as Python lists; kept until the faction's forbidden cells change."""
        forbidden = self.forbidden_mask(faction)
        kept = self._standable_kept.get((faction, desert_only))
        if kept is None or kept[0] is not forbidden:
            ok = self.map.land & ~forbidden
            if desert_only:
                ok &= self.map.terrain == Terrain.DESERT
            kept = self._standable_kept[faction, desert_only] = (forbidden, ok.tolist())
        return kept[1]

    # --- units -------------------------------------------------------------------------------
    def enrol(self, unit: Unit, faction: int | None) -> None:
        """Keep the per-faction rosters: `unit` now belongs to `faction` (None: it left the
        map). Called by `Unit` only, when a unit appears, changes side or leaves."""
        for f, roster in enumerate(self._rosters):
            if roster.pop(unit, 0) is None:
                self._members.pop(f, None)
        if faction is not None:
            self._rosters[faction][unit] = None
            self._members.pop(faction, None)

    def members(self, faction: int) -> list[Unit]:
        """The units of `faction` on the map, in the order the model's `agents` lists them (the
        order they were created in); kept until the faction's roster changes. Do not modify."""
        units = self._members.get(faction)
        if units is None:
            units = self._members[faction] = sorted(self._rosters[faction], key=lambda u: u.unique_id)
        return units

    def _occupied(self, rc, radius_km: float, factions: list[int], by_roster: bool | None = None) -> list:
        """Land cells within `radius_km` of `rc`, nearest first, where units of `factions` may
        stand: from the rosters (`by_roster` True) or the presence grid (False); None chooses
        the one with fewer entries to look at. Every cell holding an alive unit of `factions`
        is listed (cells with none may be, too: callers filter the units)."""
        if by_roster is None:
            by_roster = (sum(len(self._rosters[f]) for f in factions) * ROSTER_COST
                         < DISC_OVERHEAD + len(self.disk(radius_km)))
        if by_roster:  # (Python lists: a roster member costs a few list look-ups)
            rank = self._rank_rows(radius_km)
            r = len(rank) // 2
            r0, c0, width = int(rc[0]) - r, int(rc[1]) - r, 2 * r
            land = self._land_rows
            found = {}
            for f in factions:
                for unit in self._rosters[f]:
                    ur, uc = unit.rc
                    dr, dc = ur - r0, uc - c0
                    if 0 <= dr <= width and 0 <= dc <= width:
                        k = rank[dr][dc]
                        if k >= 0 and land[ur][uc]:
                            found[unit.rc] = k
            return sorted(found, key=found.__getitem__)
        cells = self.cells_near(rc, radius_km, faction=-1)
        presence = self.model.influence.presence
        flat = presence.reshape(*presence.shape[:2], -1)
        here = flat[np.ix_(factions, (0, 1), cells[:, 0] * presence.shape[3] + cells[:, 1])]  # (factions, 2, n)
        return [(int(r), int(c)) for r, c in cells[here.sum(axis=(0, 1)) > 0]]

    def units_near(self, rc, radius_km: float, faction: int) -> list[Unit]:
        """Alive units of `faction` within `radius_km` of a cell, nearest first (units sharing a
        cell in the order they arrived there)."""
        cells = self.model.grid._cells  # (Mesa's store; `_agents`: each cell's list, read, not copied)
        return [a for cell in self._occupied(rc, radius_km, [faction]) for a in cells[cell]._agents
                if a.faction == faction and a.alive]

    def positions_km(self, key, cells: tuple) -> np.ndarray:
        """(n, 2) float: `cells` (a tuple of (row, col)) in km, kept under `key` and made again
        only when the cells differ from the last call with that key (units move every few
        hours, queries come every step); do not modify."""
        kept = self._positions.get(key)
        if kept is None or kept[0] != cells:  # (flattened by fromiter: a third of np.array's cost for a tuple of pairs)
            flat = np.fromiter(chain.from_iterable(cells), dtype=float, count=2 * len(cells))
            kept = self._positions[key] = (cells, flat.reshape(len(cells), 2) * self.map.cell_km)
        return kept[1]

    def count_within(self, here: tuple, key, cells: tuple, range_km: float) -> np.ndarray:
        """For each of `here` (a tuple of (row, col)), how many of `cells` (a tuple of (row, col))
        lie within `range_km`, ties at the range included (int array, len(here)): every distance
        measured for small sides, both sides' positions made in one pass (`positions_km`'s
        arithmetic; they change nearly every step, so none is kept), a KD-tree of `cells` (kept
        under `key`, `kd_tree`) queried above `MEASURED_PAIRS` pairs; the same counts."""
        n, m = len(here), len(cells)
        if n * m > MEASURED_PAIRS:
            spots = np.array(here, dtype=float).reshape(n, 2) * self.map.cell_km
            return np.asarray(self.kd_tree(key, cells).query_ball_point(spots, range_km, return_length=True))
        flat = np.fromiter(chain.from_iterable(chain(here, cells)), dtype=float, count=2 * (n + m))
        both = flat.reshape(n + m, 2) * self.map.cell_km
        return (squared_distances(both[:n], both[n:]) <= range_km * range_km).sum(axis=1)

    def kd_tree(self, key, cells: tuple) -> cKDTree:
        """A KD-tree of `cells` (a tuple of (row, col)) in km, kept under `key` and built again
        only when the cells differ from the last call with that key (`positions_km`)."""
        positions = self.positions_km(key, cells)
        kept = self._trees.get(key)
        if kept is None or kept[0] is not positions:
            kept = self._trees[key] = (positions, cKDTree(positions))
        return kept[1]

    def pairs_within(self, key_a, cells_a: tuple, key_b, cells_b: tuple,
                     range_km: float) -> tuple[np.ndarray, np.ndarray]:
        """The pairs (i, j) of `cells_a`[i] and `cells_b`[j] (tuples of (row, col), kept as the
        positions `key_a` and `key_b` of `positions_km`) within `range_km`: two int arrays `i`
        and `j` of one length, ordered by i, then j. Kept while both sides' positions are (the
        same cells give the same pairs); do not modify.

        Every distance is measured (`squared_distances`) when the sides are small (a few dozen
        units: building a KD-tree of them costs ~50 µs, more than all the distances); above
        `MEASURED_PAIRS` pairs, scipy's KD-trees find them (`sparse_distance_matrix`)."""
        a, b = self.positions_km(key_a, cells_a), self.positions_km(key_b, cells_b)
        kept = self._pairs.get((key_a, key_b, range_km))
        if kept is None or kept[0] is not a or kept[1] is not b:
            if len(a) * len(b) > MEASURED_PAIRS:
                found = self.kd_tree(key_a, cells_a).sparse_distance_matrix(
                    self.kd_tree(key_b, cells_b), range_km, output_type="ndarray")
                i, j = found["i"], found["j"]
                order = np.argsort(i * len(b) + j)  # by i, then j (each pair once: one key each)
                pairs = i[order], j[order]
            else:
                pairs = np.nonzero(squared_distances(a, b) <= range_km * range_km)
            kept = self._pairs[key_a, key_b, range_km] = (a, b, pairs)
        return kept[2]

    def nearest_unit(self, rc, faction: int, kind: type = Unit, max_km: float = 50.0) -> Unit | None:
        """The nearest alive unit of `faction` and class `kind` within `max_km`, or None."""
        return next((u for u in self.units_near(rc, max_km, faction) if isinstance(u, kind)), None)

    def nearest_enemy_unit(self, unit: Unit, range_km: float, on_routes: bool = False) -> Unit | None:
        """The nearest unit of a faction hostile to `unit`'s within `range_km` (insurgent cells
        excepted), or None; with `on_routes`, only a unit standing on a route cell
        (`route_cells`): units in the open desert are passed over."""
        enemies = [f for f in range(len(self.model.factions)) if self.model.is_hostile(unit.faction, f)]
        if not enemies:
            return None
        cells = self.model.grid._cells  # (each cell's agents read, not copied: `units_near`)
        routes = self.route_cells() if on_routes else None
        for cell in self._occupied(unit.rc, range_km, enemies):
            if routes is not None and not routes[cell[0]][cell[1]]:
                continue
            for a in cells[cell]._agents:
                if a.faction in enemies and a.kind != "insurgent" and a.alive:
                    return a
        return None

    def route_cells(self) -> list[list[bool]]:
        """Rows of the cells on the lines of communication and at the sites they link, as Python
        lists (True/False per cell; computed once): every land cell but open desert (roads,
        crossings, bridges, the valley's farmland and villages, towns) and the cell of every named
        place (bases, stations, oil fields and airports in the desert). Where insurgent cells'
        raids land when `insurgents.raids_on_routes` is on (docs/odd.md, *Insurgent cells*)."""
        if self._route_rows is None:
            routes = self.map.land & (self.map.terrain != Terrain.DESERT)
            for place in self.map.places.values():
                routes[place.cell] = self.map.land[place.cell]
            self._route_rows = routes.tolist()
        return self._route_rows

    def urban_cells(self) -> list[list[bool]]:
        """Rows of the urban cells (True/False per cell, computed once) as Python lists: a
        unit's cell is looked up there in a few list indexings, not a numpy scalar and a
        comparison (the cover of every fighting unit, `cover_factor` in
        sim/submodels/engagement.py, asks for it)."""
        if self._urban_rows is None:
            self._urban_rows = (self.map.terrain == Terrain.URBAN).tolist()
        return self._urban_rows

    # --- where a faction may go --------------------------------------------------------------
    def set_forbidden(self, key: str, faction: int, regions: Iterable[str]) -> None:
        """Install (or replace) the regions a deconfliction rule (`key`) keeps `faction` out of."""
        self._forbidden[key] = (faction, forbidden_mask(self.map, regions))
        self._pathfinders.pop(faction, None)
        self._forbidden_by_faction.pop(faction, None)

    def forbidden_mask(self, faction: int) -> np.ndarray:
        """Cells (rows, cols) bool that `faction` may not enter (read-only; cached until a
        deconfliction rule changes)."""
        mask = self._forbidden_by_faction.get(faction)
        if mask is None:
            mask = np.zeros(self.map.shape, dtype=bool)
            for f, m in self._forbidden.values():
                if f == faction:
                    mask |= m
            mask.flags.writeable = False
            self._forbidden_by_faction[faction] = mask
        return mask

    # --- paths -------------------------------------------------------------------------------
    def pathfinder(self, faction: int) -> PathFinder:
        """The faction's least-time path finder (cached until its forbidden cells change)."""
        finder = self._pathfinders.get(faction)
        if finder is None:
            finder = PathFinder(self.map, self._hours_per_km, self.forbidden_mask(faction))
            self._pathfinders[faction] = finder
        return finder

    def plan_path(self, unit: Unit, origin, targets, speed_factor: float, checkpoints: bool = False):
        """A PathMover from `origin` through target cells in order (None if unreachable).

        With `checkpoints`, the mover stops where the path first comes within reach of each
        checkpoint that blocks the unit's faction, so that no step can jump past one."""
        if not isinstance(targets, list):
            targets = [targets]
        finder = self.pathfinder(unit.faction)
        legs, here = [np.array([origin])], tuple(origin)
        for target in targets:
            leg = finder.path(here, tuple(target))
            if leg is None:
                return None
            legs.append(leg[1:])
            here = tuple(target)
        cells = np.concatenate(legs).astype(int)
        hop_hours = finder.hop_hours(cells) / speed_factor
        stops = {}
        if checkpoints:
            for cp in self.model.checkpoints:
                if not cp.blocks(unit.faction):
                    continue
                d = np.hypot(*(cells - np.array(cp.cell)).T) * self.map.cell_km
                within = np.flatnonzero(d[1:] <= cp.rule.params.reach_km)
                if len(within):
                    stops.setdefault(int(within[0]) + 1, cp)
        return PathMover(cells, hop_hours, stops)
