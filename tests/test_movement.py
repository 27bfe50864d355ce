"""Movement (ODD §3.3 *Movement*; agents/standing.py, agents/movement.py) on small worlds: patrols
jump every `militia.patrol_every_hours` to a cell within `militia.patrol_radius_km` of home on
home's bank; a unit travels its least-time path by elapsed hours, so a journey takes the same
real time at any step length and cell size; prepared defences count at home only."""

from __future__ import annotations

import math

import pytest
from worlds import east, open_row, units_of, world

from sim.agents.standing import Posture


def test_patrols_jump_every_patrol_every_hours_within_their_radius_on_their_bank(tmp_path):
    """patrol_every_hours 4, patrol_radius_km 6, 2 km cells, 48 h of 1 h steps: about 12 jumps
    (one a leg; a leg may land where it stood), every spot within 6 km of home and on its bank."""
    forces = [{"kind": "militia", "faction": "a", "units": 1, "strength": 50, "posture": "patrol",
               "deploy": {"near": "Al-Mayadeen", "radius_km": 3}}]
    model = world(tmp_path, factions=("a",), forces=forces, militia={"patrol_every_hours": 4, "patrol_radius_km": 6},
                  days=2)
    (unit,) = units_of(model, "a")
    home, bank = unit.home, model.map.bank[unit.home]
    spots = [unit.rc]
    while model.running:
        model.step()
        spots.append(unit.rc)
    moves = sum(a != b for a, b in zip(spots, spots[1:], strict=False))
    assert 9 <= moves <= 13, f"48 h at one leg every 4 h: about 12 moves, got {moves}"
    for rc in spots:
        km = math.hypot(rc[0] - home[0], rc[1] - home[1]) * model.map.cell_km
        assert km <= 6.0 + 1e-9 and model.map.bank[rc] == bank, f"patrol spot {rc} is {km:.1f} km from home or across the river"


@pytest.mark.parametrize(("cell_km", "step_hours"), [(1.0, 1.0), (2.0, 1.0), (2.0, 0.5)])
def test_a_journey_takes_its_length_over_the_speed_at_any_cell_size_and_step(tmp_path, cell_km, step_hours):
    """20 km east along open desert at 12 km/h × militia.speed_factor: it arrives in the first step
    ending at or after 20 / (12 × speed_factor) hours, whatever the cells and steps."""
    model = world(tmp_path, factions=("a",), cell_km=cell_km, step_hours=step_hours)
    (unit,) = units_of(model, "a")
    start = open_row(model, length_km=20.0)
    unit.move_to(start)
    unit.home = start
    assert unit.travel_to(east(start, 20.0, model), Posture.REINFORCE)
    hours = 0.0
    while unit.moving:
        unit.step()
        hours += step_hours
    expected = 20.0 / (12.0 * model.spec.militia.speed_factor)
    assert expected <= hours + 1e-9 < expected + step_hours, (
        f"20 km at {12 * model.spec.militia.speed_factor:g} km/h takes {expected:.2f} h; arrived after {hours:g} h "
        f"at {cell_km:g} km cells, {step_hours:g} h steps")
    assert unit.rc == east(start, 20.0, model)


def test_prepared_defences_count_at_home_only(tmp_path):
    forces = [{"kind": "militia", "faction": "a", "units": 1, "strength": 50, "fortification": 3.0,
               "deploy": {"near": "Al-Mayadeen", "radius_km": 3}}]
    model = world(tmp_path, factions=("a",), forces=forces)
    (unit,) = units_of(model, "a")
    assert unit.protection() == 3.0, "at its home cell the unit's fortification divides the fire it receives"
    unit.move_to((unit.home[0], unit.home[1] + 1))
    assert unit.protection() == 1.0, "away from home its prepared positions do not protect it"
