"""The Mesa grid the units stand on, its cells made on first use."""

from __future__ import annotations

import copyreg
from collections.abc import Sequence
from functools import cached_property
from itertools import product
from random import Random

from mesa.discrete_space import Cell, OrthogonalMooreGrid
from mesa.discrete_space.grid import Grid, pickle_gridcell


class _CellsOnDemand(dict):
    """Mesa's `coordinate -> cell` store, making (and keeping) a cell the first time its coordinate is
    asked for; a coordinate off the grid raises KeyError, as Mesa's full dict does."""

    __slots__ = ("_grid",)

    def __init__(self, grid: PlacementGrid):
        super().__init__()
        self._grid = grid

    def __missing__(self, key):
        grid = self._grid
        dims = grid.dimensions
        if type(key) is tuple and len(key) == 2 == len(dims):  # a unit's (row, col): no generators
            r, c = key
            if type(r) is int and type(c) is int and 0 <= r < dims[0] and 0 <= c < dims[1]:
                cell = self[key] = grid.cell_klass(key, capacity=grid.capacity, random=grid.random)
                return cell
        # Mesa's dict finds a cell by any key equal to its coordinate (numpy ints, 3.0): so does this,
        # and the cell gets Python ints, as Mesa's do
        try:
            coordinate = tuple(int(k) for k in key)
        except (TypeError, ValueError):
            raise KeyError(key) from None
        if (coordinate != key or len(coordinate) != len(dims)
                or not all(0 <= k < d for k, d in zip(coordinate, dims, strict=True))):
            raise KeyError(key)
        cell = self[coordinate] = grid.cell_klass(coordinate, capacity=grid.capacity, random=grid.random)
        return cell


class PlacementGrid(OrthogonalMooreGrid):
    """Mesa's `OrthogonalMooreGrid` whose cells are made when first asked for, without neighbour links.

    Units only sit in cells here: movement follows `sim.world.routing` and neighbourhoods are never
    asked, so cells are not linked (linking took 0.8 s of a 1 km build). Units stand in a few hundred
    cells, yet Mesa's `Grid.__init__` makes one `Cell` per map cell (24,000 at 1 km, 97,000 at
    0.5 km), 60-90 % of a model build, which the test suite pays ~800 times and the app on every
    Reset: made on demand, a `corridor_campaign` build costs 35 ms of CPU instead of 142 at 1 km, 12.5
    instead of 42 at 2 km, 190 instead of 635 at 0.5 km. So `__init__` repeats Mesa 3.5's
    `Grid.__init__` (`mesa/discrete_space/grid.py`) except that `_cells` starts empty and fills itself
    on access (`grid[rc]`, `find_nearest_cell`). The "empty" property layer starts all True, as in
    Mesa; a cell not yet made holds no agent, and a made one keeps its entry as Mesa's cells do.

    What needs every cell (`all_cells`, `empties`, `agents`, iteration, `select_random_empty_cell`,
    `_celllist`, `cutoff_empties`, `add_cell`/`remove_cell`, pickling and deepcopy) first makes the
    rest, in Mesa's order, after which the grid is Mesa's own: a plain dict of every cell.

    Relies on these Mesa 3.5 internals: `_cells` (coordinate -> cell, read by `DiscreteSpace` and
    `Grid`), `_celllist` (read by `Grid.select_random_empty_cell`), the `GridCell` subclass and its
    `copyreg` pickler made by `Grid.__init__`, `HasPropertyLayers.create_property_layer`.
    """

    def __init__(self, dimensions: Sequence[int], torus: bool = False, capacity: float | None = None,
                 random: Random | None = None, cell_klass: type[Cell] = Cell) -> None:
        # Mesa 3.5's Grid.__init__ line for line, but for its loop making every cell and its linking.
        super(Grid, self).__init__(capacity=capacity, random=random, cell_klass=cell_klass)
        self.torus = torus
        self.dimensions = dimensions
        self._try_random = True
        self._ndims = len(dimensions)
        self._validate_parameters()
        self.cell_klass = type("GridCell", (self.cell_klass,), {"_mesa_properties": set(), "__slots__": ()})
        copyreg.pickle(self.cell_klass, pickle_gridcell)
        self._cells = _CellsOnDemand(self)
        self.create_property_layer("empty", default_value=True, dtype=bool)

    def _make_every_cell(self) -> None:
        """Make the cells not yet made; `_cells` becomes Mesa's plain dict, in Mesa's order."""
        if isinstance(self._cells, _CellsOnDemand):
            made = self._cells
            self._cells = {rc: made[rc] for rc in product(*(range(d) for d in self.dimensions))}
            self.__dict__["_celllist"] = list(self._cells.values())

    @property
    def _celllist(self) -> list[Cell]:
        self._make_every_cell()
        return self.__dict__["_celllist"]

    @cached_property
    def all_cells(self):
        self._make_every_cell()
        return super().all_cells

    @property
    def cutoff_empties(self) -> float:
        self._make_every_cell()
        return super().cutoff_empties

    def __iter__(self):
        self._make_every_cell()
        return super().__iter__()

    def select_random_empty_cell(self) -> Cell:
        self._make_every_cell()
        return super().select_random_empty_cell()

    def add_cell(self, cell: Cell) -> None:
        self._make_every_cell()
        super().add_cell(cell)

    def remove_cell(self, cell: Cell) -> None:
        self._make_every_cell()
        super().remove_cell(cell)

    def __getstate__(self) -> dict:
        self._make_every_cell()
        return super().__getstate__()
