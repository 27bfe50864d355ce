"""Who holds a place (sim/submodels/holding.py): the footprint's majority, not the place's own cell.

Small synthetic maps of 1 km cells and a 1 km footprint radius: a footprint is the place's cell
and its four neighbours on the same bank (five cells), so every expectation below is a count of
cells done by hand."""

from types import SimpleNamespace

import numpy as np

from sim.submodels.holding import PlaceHolding
from sim.submodels.influence import CONTESTED, UNGOVERNED

U = UNGOVERNED


def _map(bank=None):
    shape = (5, 5)
    return SimpleNamespace(shape=shape, cell_km=1.0, land=np.ones(shape, dtype=bool),
                           bank=np.ones(shape, dtype=np.int8) if bank is None else bank)


def _holding(corridor_map, allied=None, n_factions=3):
    allied = np.eye(n_factions, dtype=bool) if allied is None else allied
    corridor_map.places = {"Town": SimpleNamespace(name="Town", cell=(2, 2))}
    return PlaceHolding(corridor_map, influence=None, radius_km=1.0, share=0.5, allied=allied)


def _controller(centre, north, south, west, east, fill=U):
    c = np.full((5, 5), fill, dtype=np.int8)
    c[2, 2], c[1, 2], c[3, 2], c[2, 1], c[2, 3] = centre, north, south, west, east
    return c


def test_the_faction_around_a_place_holds_it_not_the_post_on_its_cell():
    holding = _holding(_map())
    assert holding.size.tolist() == [5], "a 1 km radius at 1 km cells is the cell and its 4 neighbours"
    # faction 1 stands on the town's cell; faction 0 controls the 4 cells around it: 4/5 > 0.5
    held = holding.holders(_controller(1, 0, 0, 0, 0))
    assert held.tolist() == [0], f"expected faction 0 (4 of 5 footprint cells) to hold the town, got {held}"


def test_a_split_footprint_is_contested_and_an_empty_one_ungoverned():
    holding = _holding(_map())
    # 2 cells each for two rivals, 1 ungoverned: nobody has more than half
    assert holding.holders(_controller(0, 0, 2, 2, U)).tolist() == [CONTESTED]
    # 3 of 5 ungoverned (> half): ungoverned even though faction 0 has 2 cells
    assert holding.holders(_controller(0, 0, U, U, U)).tolist() == [UNGOVERNED]


def test_allies_cells_count_together_and_the_one_with_most_cells_holds():
    allied = np.eye(3, dtype=bool)
    allied[0, 1] = allied[1, 0] = True
    holding = _holding(_map(), allied=allied)
    # faction 0: 1 cell, its ally 1: 2 cells, 2 ungoverned: the bloc has 3/5 > 0.5; 1 has more own cells
    held = holding.holders(_controller(0, 1, 1, U, U))
    assert held.tolist() == [1], f"expected the allied bloc (3 of 5) to hold, led by faction 1 (2 cells); got {held}"


def test_the_river_bounds_the_footprint():
    bank = np.ones((5, 5), dtype=np.int8)
    bank[:, 3:] = 2  # the east column beyond the town is the far bank
    holding = _holding(_map(bank))
    assert holding.size.tolist() == [4], "the far-bank neighbour is not part of the footprint"
    # faction 2 across the river does not count; faction 0 has 2 of the 4 own-bank cells, not more than half
    assert holding.holders(_controller(0, 0, U, 1, 2)).tolist() == [CONTESTED]
    assert holding.holders(_controller(0, 0, 0, 1, 2)).tolist() == [0], "3 of 4 own-bank cells hold it"
