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


def test_turning_back_retraces_the_hops_travelled_in_their_own_hours():
    """Hops of 1, 2 and 4 h; after 3.5 h the mover is at the third cell (reached at 1 + 2 = 3 h).
    Turned back it retraces 2 h then 1 h: at the second cell after 2 h, home after 3 h."""
    import numpy as np

    from sim.agents.movement import PathMover

    cells = np.array([[0, 0], [0, 1], [0, 2], [0, 3]])
    out = PathMover(cells, np.array([1.0, 2.0, 4.0]))
    out.advance(3.5)
    assert out.cell == (0, 2), f"3.5 h: past the 3 h of the first two hops, short of 7: {out.cell}"
    back = out.turned_back()
    back.advance(2.0)
    assert back.cell == (0, 1) and not back.done, f"the 2 h hop back first: {back.cell}"
    back.advance(1.0)
    assert back.cell == (0, 0) and back.done, f"then the 1 h hop, home: {back.cell}"


def test_a_new_mover_stands_at_the_first_cell_of_its_path():
    import numpy as np

    from sim.agents.movement import PathMover

    mover = PathMover(np.array([[0, 0], [0, 1]]), np.array([1.0]))
    assert mover.cell == (0, 0) and not mover.done, f"before any hour it is at the start: {mover.cell}"
    mover.advance(0.5)
    assert mover.cell == (0, 0), "half the 1 h hop: still at the start"


def test_a_unit_told_to_go_home_while_at_home_stops_and_takes_its_home_posture(tmp_path):
    """A holding militia set moving (as if called away) but still on its home cell: going home it
    is no longer among the movers, has no path and holds again."""
    model = world(tmp_path, factions=("a",))
    (unit,) = units_of(model, "a")
    unit.moving = True
    unit.go_home()
    assert not unit.moving and unit.mover is None and unit.posture == Posture.HOLD, (
        f"at home: not moving, no path, posture hold; got {unit.moving}, {unit.mover}, {unit.posture}")


def test_a_convoy_with_no_passable_route_stays_put_and_says_so(tmp_path):
    """When no path reaches its route (a road cut by a user's deconfliction line, say), the convoy
    does not set off: it stays waiting where it is and the event log says why."""
    from sim.agents.convoy import ConvoyState

    forces = [{"kind": "convoy", "faction": "a", "strength": 50, "label": "C1", "start": "Al-Mayadeen",
               "route": ["Albu Kamal"], "depart_day": 0}]
    model = world(tmp_path, factions=("a",), forces=forces)
    (convoy,) = model.convoys
    model.space.plan_path = lambda *args, **kwargs: None  # no passable path anywhere
    convoy.depart()
    assert convoy.state == ConvoyState.WAITING and not convoy.moving, f"it stays: {convoy.state}"
    entry = model.log.entries[-1]
    assert entry.kind == "event" and "finds no passable route to Albu Kamal" in entry.text, entry


def test_a_mover_stops_at_a_stop_on_the_cell_it_reaches_and_not_at_one_behind_it():
    """Hops of 1 h: a stop on cell 0 (where it starts) is never met; after 2 h the mover reaches
    cell 2 exactly, where a stop waits: it stops there and returns it."""
    import numpy as np

    from sim.agents.movement import PathMover

    cells = np.array([[0, 0], [0, 1], [0, 2], [0, 3]])
    mover = PathMover(cells, np.array([1.0, 1.0, 1.0]), stops={0: "start", 2: "checkpoint"})
    assert mover.advance(2.0) == "checkpoint" and mover.index == 2, (mover.index, mover.stops)
    assert mover.advance(1.0) is None and mover.done and 0 in mover.stops, "the start's stop is behind it: never met"


def test_a_patrols_first_leg_is_staggered_by_its_factions_stream(tmp_path):
    """A patrolling unit's first leg is due at patrol_every_hours × u, u the first draw of its
    faction's patrol stream (`patrol:legs:a`), so the patrols of a faction do not all jump at once;
    every later leg is due a full patrol_every_hours after the last."""
    from sim.streams import PATROL_LEGS, RandomStreams

    forces = [{"kind": "militia", "faction": "a", "units": 1, "strength": 50, "posture": "patrol",
               "deploy": {"near": "Albu Kamal", "radius_km": 5}}]
    model = world(tmp_path, factions=("a",), forces=forces, militia={"patrol_every_hours": 4})
    (unit,) = units_of(model, "a")
    u = RandomStreams(model.seed_value).named(PATROL_LEGS, faction="a").random()
    assert unit._patrol_due == pytest.approx(4.0 * u, rel=1e-12), (
        f"first leg due at 4 h × {u:.4f}, got {unit._patrol_due}")


def test_a_patrol_draws_its_legs_from_the_stream_of_the_faction_it_is_with_now(tmp_path):
    """The patrol stream a unit keeps (`_legs`) is its faction's, `patrol:legs:<faction>`, and
    after it changes sides, the new faction's."""
    from sim.streams import PATROL_LEGS

    forces = [{"kind": "militia", "faction": "a", "units": 1, "strength": 50, "posture": "patrol",
               "deploy": {"near": "Albu Kamal", "radius_km": 5}}]
    model = world(tmp_path, factions=("a", "b"), forces=forces)
    (unit,) = units_of(model, "a")
    for faction in ("a", "a", "b", "b", "a"):
        unit.switch_faction(model.factions.index(faction))
        assert unit._legs() is model.streams.named(PATROL_LEGS, faction=faction), faction


def test_an_insurgent_cell_relocates_with_the_stream_of_the_faction_it_is_with_now(tmp_path):
    """The relocation stream a cell keeps (`_relocation`, through `Unit.faction_stream`) is its
    faction's, `insurgent:relocation:<faction>`, and after it changes sides, the new faction's; the
    same unit asking for another template gets that template's stream, not the kept one."""
    from sim.streams import INSURGENT_RELOCATION, PATROL_LEGS

    forces = [{"kind": "insurgent", "faction": "i", "units": 1, "strength": 20,
               "deploy": {"near": "Al-Mayadeen", "radius_km": 40}}]
    model = world(tmp_path, factions=("i", "j"), forces=forces)
    (cell,) = units_of(model, "i")
    for faction in ("i", "i", "j", "j", "i"):
        cell.switch_faction(model.factions.index(faction))
        assert cell._relocation() is model.streams.named(INSURGENT_RELOCATION, faction=faction), faction
        assert cell.faction_stream(PATROL_LEGS) is model.streams.named(PATROL_LEGS, faction=faction), faction
        assert cell._relocation() is model.streams.named(INSURGENT_RELOCATION, faction=faction), faction
