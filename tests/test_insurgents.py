"""Insurgent cells (agents/insurgent.py, ODD §3.3 *Insurgent cells*) on a small world: an ambush
takes `ambush_loss_fraction` from the nearest hostile unit within `ambush_range_km` (km at any
cell size) and nothing beyond; patrols that find a cell take `suppression_loss_fraction`, leave it
in the open, or disperse it below `disperse_below`; only hostile patrols search."""

from __future__ import annotations

import numpy as np
import pytest
from worlds import east, insurgent_stage, open_row, units_of, world

from sim.submodels.influence import UNGOVERNED


def desert_world(tmp_path, *, cell_km=2.0, relation="hostile", cell_strength=20.0, posture="hold", **insurgents):
    forces = [{"kind": "insurgent", "faction": "i", "units": 1, "strength": cell_strength,
               "deploy": {"region": "badia"}},
              {"kind": "militia", "faction": "a", "units": 2, "strength": 40, "posture": posture,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}}]
    model = world(tmp_path, factions=("i", "a"), relations={"i/a": relation}, forces=forces, cell_km=cell_km,
                  insurgents={"ambush_range_km": 15, "detection_range_km": 8, **insurgents})
    (cell,), (near, far) = units_of(model, "i"), units_of(model, "a")
    return model, cell, near, far


@pytest.mark.parametrize("cell_km", [1.0, 2.0])
def test_an_ambush_hits_the_nearest_hostile_unit_within_its_range_in_km(tmp_path, cell_km):
    model, cell, near, far = desert_world(tmp_path, cell_km=cell_km)
    start = open_row(model, length_km=40.0)
    cell.move_to(start)
    near.move_to(east(start, 14.0, model))
    far.move_to(east(start, 16.0, model))
    cell.ambush()
    f = model.spec.insurgents.ambush_loss_fraction
    assert (near.strength, far.strength) == pytest.approx((40.0 * (1 - f), 40.0)), (
        f"the unit 14 km away (< 15 km) loses {f:.0%}, the one 16 km away nothing, at {cell_km:g} km cells")
    near.move_to(east(start, 18.0, model))
    before = (near.strength, far.strength)
    cell.ambush()
    assert (near.strength, far.strength) == before, "no hostile unit within 15 km: no ambush"


def test_rivals_are_not_ambushed(tmp_path):
    model, cell, near, _ = desert_world(tmp_path, relation="rival")
    start = open_row(model)
    cell.move_to(start)
    near.move_to(east(start, 2.0, model))
    cell.ambush()
    assert near.strength == 40.0


@pytest.mark.parametrize(("relation", "strength", "expected"), [
    ("hostile", 20.0, "open"), ("hostile", 5.0, "dispersed"), ("rival", 20.0, "hidden")])
def test_patrols_that_find_a_cell_suppress_it_or_disperse_it(tmp_path, relation, strength, expected):
    """Detection at 1e6 a day per patrol is certain; suppression halves the cell; below 3 it disperses."""
    model, cell, near, far = desert_world(tmp_path, relation=relation, cell_strength=strength, posture="patrol",
                                          detection_rate_per_day=1e6, ambush_rate_per_day=0.0)
    start = open_row(model, length_km=40.0)
    cell.move_to(start)
    near.move_to(east(start, 6.0, model))
    far.move_to(east(start, 30.0, model))
    insurgent_stage(model)
    if expected == "open":
        assert cell.alive and not cell.hidden and cell.strength == pytest.approx(strength / 2), (
            "a found cell loses suppression_loss_fraction (½) and is in the open")
    elif expected == "dispersed":
        assert not cell.alive, "a found cell left under disperse_below (3) fighters disperses"
    else:
        assert cell.hidden and cell.strength == strength, "a rival's patrols do not hunt the cell"


def many_cells(tmp_path, *, posture, n_cells=300, strength=50.0, step_hours=2.0, **insurgents):
    """`n_cells` insurgent cells of `strength` in the desert and two hostile units of 500,000, with
    ranges wider than the map: every cell on their bank has them in reach."""
    forces = [{"kind": "insurgent", "faction": "i", "units": n_cells, "strength": strength,
               "deploy": {"region": "badia"}},
              {"kind": "militia", "faction": "a", "units": 2, "strength": 5e5, "posture": posture,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}}]
    model = world(tmp_path, factions=("i", "a"), relations={"i/a": "hostile"}, forces=forces,
                  step_hours=step_hours, insurgents={"ambush_range_km": 1000, "detection_range_km": 1000,
                                                     **insurgents})
    return model, units_of(model, "i")


def within_sampling_error(count: int, probabilities, what: str) -> None:
    """`count` successes of independent trials with these probabilities: within 4 standard deviations."""
    p = np.asarray(probabilities)
    mean, sd = p.sum(), np.sqrt((p * (1 - p)).sum())
    assert abs(count - mean) <= 4 * sd, f"{what}: expected {mean:.1f} ± {4 * sd:.1f} (4 s.d.), got {count}"


def test_cells_ambush_with_probability_one_minus_exp_of_rate_times_step_more_where_ungoverned(tmp_path):
    """p = 1 − exp(−r·Δt), r = 6 a day × 3 on ungoverned cells, Δt = 2 h: 300 cells (of 1 fighter,
    too thin to govern the desert they hide in) draw once each."""
    model, cells = many_cells(tmp_path, posture="hold", strength=1.0, ambush_rate_per_day=6.0,
                              ungoverned_multiplier=3.0, detection_rate_per_day=0.0,
                              ambush_loss_fraction=0.001)  # the targets outlast every ambush
    # a cell with no target in reach (the river is in the way) draws but cannot ambush
    cells = [c for c in cells if model.space.nearest_enemy_unit(c, 1000) is not None]
    ungoverned = np.array([model.influence.controller[c.rc] == UNGOVERNED for c in cells])
    assert len(cells) > 100 and ungoverned.sum() > 100, "enough cells with a target, on ungoverned ground"
    rate = 6.0 * np.where(ungoverned, 3.0, 1.0)
    insurgent_stage(model)
    ambushes = sum(e.kind == "ambush" for e in model.log.entries)
    within_sampling_error(ambushes, 1 - np.exp(-rate * 2.0 / 24.0), "ambushes in one 2 h stage")


def test_patrols_find_cells_with_probability_one_minus_exp_of_rate_times_patrols_times_step(tmp_path):
    """p = 1 − exp(−d·n·Δt): d = 3 a day, n = 2 hostile patrols in range, Δt = 2 h; a found cell
    (50 fighters, well above disperse_below) loses half and is in the open."""
    model, cells = many_cells(tmp_path, posture="patrol", ambush_rate_per_day=0.0, detection_rate_per_day=3.0)
    insurgent_stage(model)
    found = [c for c in cells if not c.hidden]
    within_sampling_error(len(found), np.full(len(cells), 1 - np.exp(-3.0 * 2 * 2.0 / 24.0)),
                          "cells found in one 2 h stage by 2 patrols")
    assert all(c.strength == pytest.approx(25.0) for c in found), "a found cell loses suppression_loss_fraction ½"
    assert all(c.strength == 50.0 for c in cells if c.hidden), "a cell not found loses nothing"
