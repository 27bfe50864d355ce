"""River crossings on the raster: the 4-neighbour grid graph, and which river cells a bridge or
ford must open so that it joins land on both banks. Used when the map is rasterised and when a
scenario closes crossings (``CorridorMap.with_closed_crossings``)."""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import breadth_first_order


def grid_graph(weight: np.ndarray, allowed: np.ndarray):
    """Undirected 4-neighbour graph over allowed cells; edge weight = mean of the two cells'."""
    rows, cols = weight.shape
    idx = np.arange(rows * cols).reshape(rows, cols)
    a, b, w = [], [], []
    for sa, sb in (((slice(None), slice(0, -1)), (slice(None), slice(1, None))),
                   ((slice(0, -1), slice(None)), (slice(1, None), slice(None)))):
        ok = allowed[sa] & allowed[sb]
        a.append(idx[sa][ok])
        b.append(idx[sb][ok])
        w.append((weight[sa][ok] + weight[sb][ok]) / 2.0)
    n = rows * cols
    return coo_array((np.concatenate(w), (np.concatenate(a), np.concatenate(b))), shape=(n, n)).tocsr()


def open_bridges(river: np.ndarray, bank: np.ndarray, starts: list[int]) -> np.ndarray:
    """Bridge cells: each start cell plus the river cells needed to reach both banks.

    On a straight stretch a bridge cell alone touches land of both banks by 4-neighbour steps;
    where the raster river turns a corner, or is wider than a cell, the cells straight across
    must open too. A breadth-first search through river cells from the bridge finds the fewest.
    """
    graph = grid_graph(np.ones(river.shape), river)
    touches = []
    for b in (1, 2):
        land = np.pad(bank == b, 1)
        touches.append((land[:-2, 1:-1] | land[2:, 1:-1] | land[1:-1, :-2] | land[1:-1, 2:]).ravel())
    opened = np.zeros(river.size, dtype=bool)
    for start in starts:
        order, pred = breadth_first_order(graph, start, directed=False, return_predecessors=True)
        opened[start] = True
        for t in touches:
            hit = order[t[order]]
            node = int(hit[0]) if len(hit) else start
            while node != start:
                opened[node] = True
                node = int(pred[node])
    return opened.reshape(river.shape)
