"""Least-time paths over the map grid for one kind of mover.

Speeds belong to the scenario, so a PathFinder is built from hours per km by terrain
(:func:`hours_per_km`) and an optional mask of cells the mover may not enter
(:func:`forbidden_mask`); the model and the scenario checks build theirs with the same two.
Movers ask for paths to and from the same few cells again and again (a convoy's start, a
checkpoint that calls in hundreds of units), so a cell is searched once with Dijkstra over the
whole grid and its shortest-path tree is kept. Travel costs are symmetric, so one tree answers
both "from here" and "to here".
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import dijkstra

from sim.geography import CorridorMap, Terrain

#: shortest-path trees kept per PathFinder (each holds a float and an int per cell)
CACHE_SIZE = 64

# (row step, col step) of the four edge directions; the other four are their reverses
_STEPS = ((0, 1), (1, 0), (1, 1), (1, -1))


def hours_per_km(speeds) -> np.ndarray:
    """Hours per km by terrain class, shape (len(Terrain),) indexed by ``Terrain``: 1/speed,
    ``inf`` for a speed of 0 (cannot be entered), and the river always ``inf``.

    `speeds` gives a speed in km/h for every terrain but the river, as an attribute named after
    the terrain in lower case (the scenario's ``speeds`` block)."""
    hours = np.full(len(Terrain), np.inf)
    for terrain in Terrain:
        if terrain is not Terrain.RIVER:
            speed = getattr(speeds, terrain.name.lower())
            hours[int(terrain)] = 1.0 / speed if speed > 0 else np.inf
    return hours


def forbidden_mask(corridor_map: CorridorMap, regions) -> np.ndarray:
    """Cells in any of the named map regions (a deconfliction line's `may_not_enter`): a bool
    array of the map's shape, all False for no regions. Raises KeyError for a region the map
    does not have."""
    names = list(corridor_map.region_names)
    missing = [r for r in regions if r not in names]
    if missing:
        raise KeyError(f"no region '{missing[0]}' on map {corridor_map.path.name} (regions: {', '.join(names)})")
    return np.isin(corridor_map.region, [names.index(r) for r in regions])


def path_length_km(cells: np.ndarray, cell_km: float) -> np.ndarray:
    """Cumulative km along a path of cells: 0 at the first cell, the total at the last."""
    steps = np.hypot(*np.diff(np.asarray(cells, dtype=float), axis=0).T) * cell_km
    return np.concatenate(([0.0], np.cumsum(steps)))


class PathFinder:
    """Least-time paths on the 8-neighbour grid, Dijkstra (scipy.sparse.csgraph) from each
    origin once, cached.

    A step costs its length in km (cell_km, or cell_km·√2 diagonally) times the mean of the
    two cells' hours per km. River cells are impassable whatever the speeds say, and a
    diagonal step may not squeeze between two impassable orthogonal neighbours when either of
    them is river, so the only way across the river is through bridge (or ford) cells.
    """

    def __init__(self, corridor_map: CorridorMap, hours_per_km: np.ndarray, forbidden: np.ndarray | None = None):
        hpk = np.array(hours_per_km, dtype=float)
        if hpk.shape != (len(Terrain),) or np.any(hpk <= 0) or np.any(np.isnan(hpk)):
            raise ValueError(f"hours_per_km needs {len(Terrain)} positive values, one per Terrain, got {hpk}")
        hpk[Terrain.RIVER] = np.inf
        self.shape = corridor_map.shape
        cost = hpk[corridor_map.terrain]
        self._cost, self._cell_km = cost, corridor_map.cell_km
        passable = np.isfinite(cost)
        if forbidden is not None:
            passable &= ~np.asarray(forbidden, dtype=bool)
        river = corridor_map.terrain == Terrain.RIVER
        rows, cols = self.shape
        idx = np.arange(rows * cols).reshape(rows, cols)
        a, b, w = [], [], []
        for dr, dc in _STEPS:
            # source cells (r, c) and targets (r + dr, c + dc), both inside the grid
            rs = slice(0, rows - dr)
            cs, ct = (slice(0, cols - dc), slice(dc, cols)) if dc >= 0 else (slice(-dc, cols), slice(0, cols + dc))
            rt = slice(dr, rows)
            ok = passable[rs, cs] & passable[rt, ct]
            if dr and dc:
                # the two orthogonal neighbours the diagonal step passes between
                o1_ok, o1_river = passable[rt, cs], river[rt, cs]
                o2_ok, o2_river = passable[rs, ct], river[rs, ct]
                ok &= ~(~o1_ok & ~o2_ok & (o1_river | o2_river))
            step_km = corridor_map.cell_km * np.hypot(dr, dc)
            a.append(idx[rs, cs][ok])
            b.append(idx[rt, ct][ok])
            w.append(step_km * (cost[rs, cs][ok] + cost[rt, ct][ok]) / 2.0)
        n = rows * cols
        one_way = coo_array((np.concatenate(w), (np.concatenate(a), np.concatenate(b))), shape=(n, n))
        # both directions stored once, so each search skips scipy's per-call symmetrisation
        self._graph = (one_way + one_way.T).tocsr()
        self._rows: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._asked: dict[int, int] = {}

    @property
    def cached_origins(self) -> int:
        """How many origins have been searched (each search is kept)."""
        return len(self._rows)

    def _node(self, cell) -> int:
        r, c = (int(v) for v in cell)
        rows, cols = self.shape
        if not (0 <= r < rows and 0 <= c < cols):
            raise IndexError(f"cell {(r, c)} is outside the {rows} × {cols} grid")
        return r * cols + c

    def _tree(self, node: int) -> tuple[np.ndarray, np.ndarray]:
        tree = self._rows.pop(node, None)
        if tree is None:
            tree = dijkstra(self._graph, directed=True, indices=node, return_predecessors=True)
            if len(self._rows) >= CACHE_SIZE:
                del self._rows[next(iter(self._rows))]  # the least recently used
        self._rows[node] = tree
        return tree

    def _rooted(self, origin, destination) -> tuple[int, int, np.ndarray, np.ndarray, bool]:
        """A tree rooted at either end, and whether it is the origin: a cached tree if there is
        one, else the end asked about more often (many units called to one checkpoint share
        one search; one convoy start serves all its waypoints)."""
        start, goal = self._node(origin), self._node(destination)
        for node in (start, goal):
            self._asked[node] = self._asked.get(node, 0) + 1
        if goal in self._rows:
            from_origin = False
        elif start in self._rows:
            from_origin = True
        else:
            from_origin = self._asked[start] >= self._asked[goal]
        dist, pred = self._tree(start if from_origin else goal)
        return start, goal, dist, pred, from_origin

    def hours(self, origin, destination) -> float:
        """Least travel time in hours; inf when the destination cannot be reached."""
        start, goal, dist, _, from_origin = self._rooted(origin, destination)
        return float(dist[goal if from_origin else start])

    def reachable(self, origin, destination) -> bool:
        return bool(np.isfinite(self.hours(origin, destination)))

    def path(self, origin, destination) -> np.ndarray | None:
        """(k, 2) cells (row, col) from origin to destination inclusive, or None if unreachable."""
        start, goal, dist, pred, from_origin = self._rooted(origin, destination)
        root, node = (start, goal) if from_origin else (goal, start)
        if not np.isfinite(dist[node]):
            return None
        nodes = [node]
        while node != root:
            node = int(pred[node])
            nodes.append(node)
        if from_origin:
            nodes.reverse()
        return np.column_stack(np.divmod(np.array(nodes), self.shape[1]))

    def hop_hours(self, cells: np.ndarray) -> np.ndarray:
        """Hours each hop of a path takes (the same cost the search minimised)."""
        km = np.diff(path_length_km(cells, self._cell_km))
        per_km = self._cost[cells[:, 0], cells[:, 1]]
        return km * 0.5 * (per_km[:-1] + per_km[1:])
