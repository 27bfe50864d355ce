"""The placement grid makes its cells on first access: it must behave as Mesa's grid that makes them all."""

from __future__ import annotations

import copy
import pickle
from random import Random

import numpy as np
import pytest
from fingerprint import fingerprint
from mesa import Model
from mesa.discrete_space import CellAgent, OrthogonalMooreGrid

import sim.model
from sim.world.grid import PlacementGrid

from conftest import coarse_model

DIMS = (7, 5)


class EveryCellGrid(OrthogonalMooreGrid):
    """Mesa's own grid, every cell made up front, unlinked as the placement grid's cells are."""

    def _connect_cells(self) -> None:
        pass


def _state(grid) -> tuple:
    """Every cell's coordinate and agents, in the grid's order, and the "empty" layer."""
    return ([(c.coordinate, [a.unique_id for a in c.agents]) for c in grid.all_cells],
            grid.empty.data.tolist())


def _walk(grid, seed: int) -> list:
    """Agents placed, moved and removed at random coordinates (Python ints, numpy ints, 3.0 and
    off-grid keys); returns what each access gave, so two grids can be compared access by access."""
    rng, model = Random(seed), Model(rng=seed)
    agents, seen = [], []
    for _ in range(200):
        r, c = rng.randrange(-2, DIMS[0] + 2), rng.randrange(-2, DIMS[1] + 2)
        key = rng.choice([(r, c), (np.int64(r), np.int64(c)), (float(r), c), (r,), (r, c, 0), (r + 0.5, c)])
        try:
            cell = grid[key]
        except KeyError:
            seen.append(("KeyError", key))
            continue
        assert cell is grid[key], "a second access must give the same cell"
        seen.append((cell.coordinate, type(cell.coordinate[0]), [a.unique_id for a in cell.agents],
                     bool(cell.empty), bool(grid.empty.data[cell.coordinate])))
        move = rng.random()
        if move < 0.4:
            agent = CellAgent(model)
            agent.cell = cell
            agents.append(agent)
        elif move < 0.8 and agents:
            rng.choice(agents).cell = cell
        elif agents:
            agent = agents.pop(rng.randrange(len(agents)))
            agent.remove()
            agent.cell = None
    return seen


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_placement_grid_gives_the_cells_agents_and_empty_layer_of_mesas_grid_for_any_access(seed):
    lazy, full = PlacementGrid(DIMS, random=Random(9)), EveryCellGrid(DIMS, random=Random(9))
    assert _walk(lazy, seed) == _walk(full, seed)
    assert _state(lazy) == _state(full)
    assert [c.coordinate for c in lazy] == [c.coordinate for c in full]
    assert [c.coordinate for c in lazy.empties] == [c.coordinate for c in full.empties]
    assert [lazy.select_random_empty_cell().coordinate for _ in range(20)] == \
           [full.select_random_empty_cell().coordinate for _ in range(20)]


def test_what_needs_every_cell_sees_every_cell_in_mesas_order_from_a_fresh_grid():
    full = EveryCellGrid(DIMS, random=Random(4))
    coordinates = [c.coordinate for c in full]
    assert [c.coordinate for c in PlacementGrid(DIMS, random=Random(4))] == coordinates
    assert [c.coordinate for c in PlacementGrid(DIMS, random=Random(4)).all_cells] == coordinates
    assert [c.coordinate for c in PlacementGrid(DIMS, random=Random(4))._celllist] == coordinates
    assert PlacementGrid(DIMS, random=Random(4)).cutoff_empties == full.cutoff_empties
    assert PlacementGrid(DIMS, random=Random(4)).select_random_empty_cell().coordinate == \
           full.select_random_empty_cell().coordinate
    lazy = PlacementGrid(DIMS, random=Random(4))
    lazy.remove_cell(lazy[2, 3])
    with pytest.raises(KeyError):  # gone, not made afresh
        lazy[2, 3]
    assert len(list(lazy)) == len(coordinates) - 1


def test_a_copied_or_pickled_placement_grid_is_mesas_grid_with_its_agents():
    lazy, full = PlacementGrid(DIMS, random=Random(9)), EveryCellGrid(DIMS, random=Random(9))
    _walk(lazy, 5), _walk(full, 5)
    fresh, fresh_full = PlacementGrid(DIMS, random=Random(9)), EveryCellGrid(DIMS, random=Random(9))
    for grid, like in ((lazy, full), (fresh, fresh_full)):
        for copied in (copy.deepcopy(grid), pickle.loads(pickle.dumps(grid))):
            assert _state(copied) == _state(like)
            with pytest.raises(KeyError):
                copied[DIMS]


def test_a_seeded_run_on_the_placement_grid_is_bit_for_bit_the_run_on_mesas_grid(monkeypatch):
    on_placement = fingerprint(coarse_model("albu_kamal_blockade.yaml", days=4.0, seed=3).run())
    monkeypatch.setattr(sim.model, "PlacementGrid", EveryCellGrid)
    model = coarse_model("albu_kamal_blockade.yaml", days=4.0, seed=3)
    assert type(model.grid) is EveryCellGrid
    assert fingerprint(model.run()) == on_placement


def _plain_move_to(self, rc) -> None:
    """`Unit.move_to` with Mesa's own cell setter (`self.cell = grid[rc]`)."""
    if rc == self.rc:
        return
    inf = self.model.influence
    inf.add(self.faction, self.layer, self.rc, -self.strength)
    inf.add(self.faction, self.layer, rc, self.strength)
    self.rc = rc
    self.cell = self.model.grid[rc]


def test_a_units_move_written_out_leaves_mesas_cells_and_empty_layer_as_mesas_setter_does(monkeypatch):
    """`Unit.move_to` writes Mesa's cell setter out (the empty layer written only where a cell's
    emptiness changes): the campaign at 2 km, 20 days, seed 3, patrol legs, relocations, convoys
    and columns, units lost and made: after every step the "empty" layer has the same bytes, and
    after every 8th and the last every made cell holds the same agents in the same order, as with
    Mesa's setter."""
    from sim.agents.base import Unit

    def cells_by_step(model) -> list:
        out = []
        while model.running:
            model.step()
            cells = None
            if model.steps % 8 == 0 or not model.running:
                cells = [(rc, [a.unique_id for a in cell.agents]) for rc, cell in sorted(model.grid._cells.items())]
            out.append((cells, model.grid.empty.data.tobytes()))
        assert all(model.grid.empty.data[rc] == (not ids) for rc, ids in cells), "layer in step with the lists"
        return out

    written_out = cells_by_step(coarse_model("corridor_campaign.yaml", days=20.0, seed=3))
    monkeypatch.setattr(Unit, "move_to", _plain_move_to)
    mesas = cells_by_step(coarse_model("corridor_campaign.yaml", days=20.0, seed=3))
    assert len(written_out) == len(mesas) == 240
    for step, (a, b) in enumerate(zip(written_out, mesas, strict=True)):
        assert a[0] == b[0], f"the cells' agents differ after step {step}"
        assert a[1] == b[1], f"the empty layer differs after step {step}"
    assert sum(not ids for _, ids in written_out[-1][0]) > 100, "cells left empty by moves"
