"""Moving along a cached least-time path by elapsed time, not one cell per step.

A mover is given a path of cells and the hours each hop takes over its terrain; each step it
advances by the step's hours (times nothing else: speed is already in the hop times), so the
same journey takes the same real time at any cell size or step length.
"""

from __future__ import annotations

import numpy as np


class PathMover:
    def __init__(self, cells: np.ndarray, hop_hours: np.ndarray, stops: dict[int, object] | None = None):
        self.cells = cells
        self.arrival = np.concatenate(([0.0], np.cumsum(hop_hours)))  # hours to reach cell i
        self.elapsed = 0.0
        self.index = 0
        self.stops = dict(stops or {})  # path index → what waits there (e.g. a checkpoint)

    @property
    def done(self) -> bool:
        return self.index >= len(self.cells) - 1

    @property
    def cell(self) -> tuple[int, int]:
        r, c = self.cells[self.index]
        return int(r), int(c)

    def advance(self, hours: float) -> object | None:
        """Move on by `hours`; stop early at the first pending stop reached and return it."""
        self.elapsed += hours
        target = int(np.searchsorted(self.arrival, self.elapsed, side="right")) - 1
        target = min(target, len(self.cells) - 1)
        for stop_index in sorted(self.stops):
            if self.index < stop_index <= target:
                self.index = stop_index
                self.elapsed = float(self.arrival[stop_index])
                return self.stops.pop(stop_index)
        self.index = target
        return None

    def turned_back(self) -> PathMover:
        """A mover that retraces the cells travelled so far, back to the start (no search)."""
        cells = self.cells[: self.index + 1][::-1]
        return PathMover(cells, np.diff(self.arrival[: self.index + 1])[::-1])
