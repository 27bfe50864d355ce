"""Insurgent cells (agents/insurgent.py, ODD §3.3 *Insurgent cells*) on a small world: an ambush
takes `ambush_loss_fraction` from the nearest hostile unit within `ambush_range_km` (km at any
cell size) and nothing beyond; patrols that find a cell take `suppression_loss_fraction`, leave it
in the open, or disperse it below `disperse_below`; only hostile patrols search."""

from __future__ import annotations

import numpy as np
import pytest
from worlds import east, insurgent_stage, open_row, units_of, world

from sim.geography import Terrain
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
    (logged,) = [e for e in model.log.entries if e.kind == "ambush"]
    assert logged.fighters == pytest.approx(40.0 * f, abs=0.05), f"the log counts the {40 * f:g} lost: {logged}"
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
    found = [e for e in model.log.entries if e.kind == "detection"]
    if expected == "open":
        assert cell.alive and not cell.hidden and cell.strength == pytest.approx(strength / 2), (
            "a found cell loses suppression_loss_fraction (½) and is in the open")
        assert len(found) == 1 and found[0].fighters == pytest.approx(10.0), "the log counts the 10 lost"
        assert ": lost 10 fighters and is in the open" in found[0].text, found[0].text
    elif expected == "dispersed":
        assert not cell.alive, "a found cell left under disperse_below (3) fighters disperses"
        assert len(found) == 1 and found[0].fighters == pytest.approx(5.0), (
            "the log counts the 2.5 suppressed and the 2.5 dispersed: 5")
        assert ": dispersed" in found[0].text, found[0].text
    else:
        assert cell.hidden and cell.strength == strength, "a rival's patrols do not hunt the cell"
        assert not found, "nothing found, nothing logged"


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


def recruiting(tmp_path, *, cells=(10.0, 10.0), funding=None, step_hours=6.0, **params):
    """Insurgent cells of the given strengths in the desert, faction i recruiting (no economy
    unless `funding`), a rival a far away; new cells at rate 0 unless the params say."""
    forces = [{"kind": "insurgent", "faction": "i", "units": 1, "strength": s, "deploy": {"region": "badia"}}
              for s in cells]
    forces.append({"kind": "militia", "faction": "a", "units": 1, "strength": 10,
                   "deploy": {"near": "Deir ez-Zor", "radius_km": 5}})
    factions = {"i": {} if funding is None else {"funding_usd_per_day": funding}, "a": {}}
    rules = {"insurgent_recruitment": {"faction": "i", "fighters_per_day": 12.0, "new_cells_per_day": 0.0,
                                       "new_cell_strength": 10.0, "split_above": 40.0, **params}}
    model = world(tmp_path, factions=factions, relations={"i/a": "hostile"}, forces=forces, rules=rules,
                  step_hours=step_hours)
    rule = next(r for r in model.rules if r.name == "insurgent_recruitment")
    return model, rule, units_of(model, "i")


def test_cells_on_ungoverned_ground_recruit_fighters_per_day_and_governed_ones_do_not(tmp_path):
    """12 a day over a 6 h step: 3 fighters for each cell on ungoverned ground; the cell on ground
    a faction governs recruits nothing."""
    model, rule, (first, second) = recruiting(tmp_path)
    controller = model.influence.controller.copy()
    controller[first.rc] = controller[second.rc] = UNGOVERNED
    controller[second.rc] = model.factions.index("a")  # a governs where the second cell hides
    model.influence.controller = controller
    rule.apply()
    assert (first.strength, second.strength) == pytest.approx((13.0, 10.0)), (
        f"expected 10 + 12 × ¼ day = 13 on ungoverned ground and 10 on governed ground, got "
        f"{first.strength}, {second.strength}")
    assert rule.summary(slice(None))["insurgent_recruitment.recruited"] == pytest.approx(3.0)


def test_cells_share_only_the_recruits_beyond_one_new_cells_worth(tmp_path):
    """An economy with 14 recruits waiting and new cells of 10: the cells share 14 − 10 = 4, 2 each
    (less than the 3 each they ask for)."""
    model, rule, cells = recruiting(tmp_path, funding=1000.0)
    model.influence.controller = np.full_like(model.influence.controller, UNGOVERNED)
    model.economy.ready[model.factions.index("i")] = 14.0
    rule.apply()
    assert [c.strength for c in cells] == pytest.approx([12.0, 12.0]), [c.strength for c in cells]


def test_a_cell_above_split_above_splits_in_two_unless_max_cells_are_out(tmp_path):
    """A cell of 38 gains 3 (41 > 40): it splits into two cells of 20.5; with max_cells 2 it does not;
    a cell of 37 reaching exactly 40 (not above split_above) does not split."""
    for start, max_cells, expected in ((38.0, 10, [20.5, 20.5, 10.0 + 3.0]), (38.0, 2, [41.0, 13.0]),
                                       (37.0, 10, [40.0, 13.0])):
        model, rule, _ = recruiting(tmp_path, cells=(start, 10.0), max_cells=max_cells)
        model.influence.controller = np.full_like(model.influence.controller, UNGOVERNED)
        rule.apply()
        got = sorted((u.strength for u in units_of(model, "i")), reverse=True)
        assert got == pytest.approx(sorted(expected, reverse=True)), f"{start:g} and max_cells {max_cells}: expected {expected}, got {got}"


def test_new_cells_appear_at_the_rate_times_the_ungoverned_share_of_the_desert(tmp_path):
    """Poisson at new_cells_per_day × (ungoverned desert ÷ desert) × Δt: 8 a day, 6 h steps, 100
    steps, with the controller as it stands (the share is counted here from the map); each new
    cell of 10 stands on ungoverned desert."""
    from sim.geography import Terrain

    model, rule, _ = recruiting(tmp_path, new_cells_per_day=8.0, fighters_per_day=0.0)  # no growth, no splits
    desert = model.map.terrain == Terrain.DESERT
    share = (desert & (model.influence.controller == UNGOVERNED)).sum() / desert.sum()
    for _ in range(100):
        rule.apply()
    mean = 8.0 * share * 0.25 * 100
    assert abs(rule.new_cells - mean) <= 4 * np.sqrt(mean), (
        f"expected {mean:.1f} ± {4 * np.sqrt(mean):.1f} new cells (Poisson, 4 s.d.), got {rule.new_cells}")
    new = units_of(model, "i")[2:]
    assert all(model.map.terrain[u.rc] == Terrain.DESERT and model.influence.controller[u.rc] == UNGOVERNED
               for u in new), "new cells form on ungoverned desert"


def test_new_cells_form_only_while_the_economy_has_their_fighters(tmp_path):
    """25 recruits waiting and new cells of 10: at most 2 new cells, however high the rate."""
    model, rule, _ = recruiting(tmp_path, funding=1000.0, new_cells_per_day=1000.0, fighters_per_day=0.0)
    model.economy.ready[model.factions.index("i")] = 25.0
    rule.apply()
    assert rule.new_cells == 2, f"25 recruits pay for 2 cells of 10, got {rule.new_cells}"
    logged = [e for e in model.log.entries if e.kind == "recruitment"]
    assert len(logged) == 2 and all(e.fighters == 10.0 for e in logged), f"each new cell of 10 is logged: {logged}"


def test_a_split_cells_new_half_stands_on_desert_within_move_km(tmp_path):
    """A cell of 38 gains 3 and splits; its new half is put within insurgents.move_km of it, on
    desert only (ODD: cells hide in the desert). The parent stands on the desert cell whose
    surroundings within move_km hold the least desert, and splits 15 times: each new cell stands on
    desert within move_km (a placement that ignored the terrain would leave the desert there
    about half the time)."""
    from scipy.ndimage import uniform_filter

    from sim.geography import Terrain

    model, rule, (parent, _) = recruiting(tmp_path, cells=(38.0, 10.0), max_cells=100)
    model.influence.controller = np.full_like(model.influence.controller, UNGOVERNED)
    move_km, cell_km = model.spec.insurgents.move_km, model.map.cell_km
    desert = model.map.terrain == Terrain.DESERT
    around = uniform_filter(desert.astype(float), size=2 * int(move_km / cell_km) + 1, mode="constant")
    rc = np.unravel_index(int(np.argmin(np.where(desert, around, np.inf))), desert.shape)
    parent.move_to((int(rc[0]), int(rc[1])))
    assert around[rc] < 0.7, f"the set-up needs a desert cell with little desert around it, found {around[rc]:.2f}"
    for _ in range(15):
        parent.gain(38.0 - parent.strength) if parent.strength < 38.0 else parent.lose(parent.strength - 38.0)
        known = set(map(id, units_of(model, "i")))
        rule.apply()
        new = [u for u in units_of(model, "i") if id(u) not in known]  # the parent's, and any other split's
        assert new and all(desert[u.rc] for u in new), f"new cells at {[u.rc for u in new]}: not all on desert"
        km = min(np.hypot(u.rc[0] - parent.rc[0], u.rc[1] - parent.rc[1]) * cell_km for u in new)
        assert km <= move_km + 1e-9, f"the parent's new cell is {km:.1f} km from it, beyond move_km {move_km}"


def test_a_cell_relocates_to_desert_within_move_km(tmp_path):
    """ODD: cells hide in the desert. A cell put on the desert cell with the least desert within
    insurgents.move_km wakes 15 times (put back each time): each move ends on desert within
    move_km of where it woke (ignoring the terrain would leave the desert ≥ 30 % of the time)."""
    from scipy.ndimage import uniform_filter

    from sim.geography import Terrain

    model, cell, _, _ = desert_world(tmp_path)
    move_km, cell_km = model.spec.insurgents.move_km, model.map.cell_km
    desert = model.map.terrain == Terrain.DESERT
    around = uniform_filter(desert.astype(float), size=2 * int(move_km / cell_km) + 1, mode="constant")
    rc = np.unravel_index(int(np.argmin(np.where(desert, around, np.inf))), desert.shape)
    start = (int(rc[0]), int(rc[1]))
    assert around[rc] < 0.7, f"the set-up needs a desert cell with little desert around it, found {around[rc]:.2f}"
    for _ in range(15):
        cell.move_to(start)
        cell.wake()
        km = np.hypot(cell.rc[0] - start[0], cell.rc[1] - start[1]) * cell_km
        assert desert[cell.rc] and km <= move_km + 1e-9, (
            f"the cell woke at {start} and moved to {cell.rc}, {km:.1f} km away: expected desert within {move_km} km")
        assert cell.hidden, "a relocated cell is hidden"


def test_no_new_cell_forms_once_the_faction_has_max_cells(tmp_path):
    """Two cells and max_cells 2, recruits for 10 new cells, a rate of 1,000 a day: none forms;
    with max_cells 3, one does."""
    for max_cells, expected in ((2, 0), (3, 1)):
        model, rule, _ = recruiting(tmp_path, funding=1000.0, new_cells_per_day=1000.0, fighters_per_day=0.0,
                                    max_cells=max_cells)
        model.economy.ready[model.factions.index("i")] = 100.0
        rule.apply()
        assert rule.new_cells == expected, f"max_cells {max_cells} with 2 cells: {expected} new, got {rule.new_cells}"


def test_an_ambush_is_recorded_as_violence_of_its_kind(tmp_path):
    """The ambush of the test above (the unit 14 km away loses its share): one violent incident of
    kind ambush between the cell's faction and the target's, at the target's cell."""
    model, cell, near, _ = desert_world(tmp_path)
    start = open_row(model, length_km=40.0)
    cell.move_to(start)
    near.move_to(east(start, 14.0, model))
    cell.ambush()
    v = model.recorder.violence
    assert v.kinds == ["ambush"] and v.sides == [("i", "a")] and v.cells == [near.rc], (v.kinds, v.sides, v.cells)


def test_recruitment_adds_its_faction_to_those_that_can_fight_but_not_to_the_regulars(tmp_path):
    """Insurgent recruitment brings cells of its faction onto the map later: a faction with no
    force at the start that recruits is among the factions whose units can fight (its cells, in
    the open), so the engagement stage looks at them; it adds no regular force."""
    model, rule, cells = recruiting(tmp_path, cells=(), new_cells_per_day=1.0)
    i, a = model.factions.index("i"), model.factions.index("a")
    assert cells == [] and rule.factions_added() == {i} and rule.factions_added(regular_only=True) == set()
    assert model.engagements.factions_that_can_fight(regular_only=False) == {i, a}, "the hostile pair i/a can fight"
    assert model.engagements.factions_that_can_fight(regular_only=True) == set(), "a alone has regular forces"


def route_row(model, desert_km: float) -> tuple[int, int]:
    """A road cell (row, col) with `desert_km` of open desert (not a named place) west of it along
    its row."""
    n = round(desert_km / model.map.cell_km)
    t = model.map.terrain
    places = {p.cell for p in model.map.places.values()}
    for r, c in zip(*np.nonzero(t == Terrain.ROAD), strict=True):
        west = [(int(r), int(k)) for k in range(c - n, c)]
        if c >= n and (t[r, c - n:c] == Terrain.DESERT).all() and not places & set(west):
            return int(r), int(c)
    raise LookupError(f"no road cell with {desert_km} km of desert west of it")


@pytest.mark.parametrize("cell_km", [1.0, 2.0])
def test_raids_on_routes_pass_over_units_in_the_open_desert_for_one_on_a_road(tmp_path, cell_km):
    """A cell 12 km west of a road cell; one hostile unit 4 km from it in the open desert, one on
    the road 12 km away (both within 15 km). Off (the default) the desert unit is the nearest and
    loses its share; with `raids_on_routes` the road's unit loses it and the desert's nothing; with
    the road's unit moved into the desert too, no raid lands."""
    f = 0.15
    for on, hit in ((False, "near"), (True, "far")):
        model, cell, near, far = desert_world(tmp_path, cell_km=cell_km, raids_on_routes=on)
        road = route_row(model, 12.0)
        start = (road[0], road[1] - round(12.0 / cell_km))
        cell.move_to(start)
        near.move_to(east(start, 4.0, model))
        far.move_to(road)
        cell.ambush()
        expected = {"near": (40.0 * (1 - f), 40.0), "far": (40.0, 40.0 * (1 - f))}[hit]
        assert (near.strength, far.strength) == pytest.approx(expected), (
            f"raids_on_routes={on}: the {'unit on the road, 12 km' if on else 'desert unit, 4 km'} away should "
            f"lose {f:.0%} and the other nothing (strengths {near.strength:.1f}, {far.strength:.1f})")
    far.move_to(east(start, 8.0, model))
    before = (near.strength, far.strength)
    cell.ambush()
    assert (near.strength, far.strength) == before, "raids_on_routes: no unit on a route within 15 km, no raid"


def test_route_cells_are_every_cell_but_open_desert_and_the_named_places(tmp_path):
    """`Space.route_cells`: True on roads, farmland, towns, crossings and bridges and on every named
    place's cell (T-2 station's, whatever its terrain), False on desert cells elsewhere and on the
    river."""
    model, *_ = desert_world(tmp_path)
    routes = np.array(model.space.route_cells())
    t, land = model.map.terrain, model.map.land
    expected = land & (t != Terrain.DESERT)
    for place in model.map.places.values():
        expected[place.cell] = land[place.cell]
    assert (routes == expected).all(), "route cells: land that is not desert, plus the named places' cells"
    assert routes[model.map.places["T-2 station"].cell], "T-2 station (a desert site) is a route cell"
    assert not routes[open_row(model)], "an open desert cell is not"
    assert not routes[~land].any(), "the river is not"


def test_a_hidden_cell_is_not_engaged_and_one_in_the_open_fights_by_the_square_law(tmp_path):
    """ODD §3.3 *Engagements* / *Insurgent cells*: insurgent cells fight only while in the open.
    A 20-fighter cell on the same desert cell as a hostile 40-fighter militia (the other militia
    30 km away): hidden, the step's engagement stage leaves both whole; in the open, one 1 h
    stage is the square law by hand, A(t) = A·cosh(k·t) − B·sinh(k·t), k = 0.05/24 per hour."""
    from sim.submodels.engagement import resolve_engagements

    model, cell, near, far = desert_world(tmp_path)
    start = open_row(model, length_km=40.0)
    near.move_to(start)
    cell.move_to(start)
    far.move_to(east(start, 30.0, model))
    assert cell.hidden and model.step_hours == 1.0, "the set-up: a hidden cell, 1 h steps"
    resolve_engagements(model, model.engagements.fighters_by_faction())  # the step's engagement stage
    assert (cell.strength, near.strength) == (20.0, 40.0), "a hidden cell is neither engaged nor fires"
    cell.hidden = False  # found by patrols
    resolve_engagements(model, model.engagements.fighters_by_faction())
    k = 0.05 / 24.0
    by_hand = (20.0 * np.cosh(k) - 40.0 * np.sinh(k), 40.0 * np.cosh(k) - 20.0 * np.sinh(k))
    assert (cell.strength, near.strength) == pytest.approx(by_hand, rel=1e-9), (
        f"a cell in the open fights the militia on its cell by the square law: expected {by_hand}, "
        f"got {(cell.strength, near.strength)}")


def test_a_cell_relocates_every_move_every_hours_from_a_first_offset_within_one_period(tmp_path):
    """ODD §3.3 *Insurgent cells*: "every `insurgents.move_every_hours` a cell relocates"; the first
    move comes at a drawn offset within one period (`insurgent:relocation:<faction>`). With
    move_every_hours = 12 and 1 h steps, over the world's 2 days (steps starting at 0…47 h) the
    cell's wake-ups are, by hand, 12 h apart, the first at the first step start at or after its
    offset t₀ ∈ (0, 12] h, so at ⌈t₀⌉ + 12k ≤ 47 for k = 0…3: 4 relocations."""
    model, cell, _, _ = desert_world(tmp_path, move_every_hours=12)
    hours, wake = [], cell.wake

    def counted():
        hours.append(model.hours)
        wake()

    cell.wake = counted
    for _ in range(2 * 24):
        model.step()
    assert 0 < hours[0] <= 12.0 + 1e-9, f"the first relocation within one period of 12 h: {hours}"
    assert all(b - a == pytest.approx(12.0) for a, b in zip(hours, hours[1:], strict=False)), (
        f"a cell relocates every 12 h: {hours}")
    assert len(hours) == 4, f"2 days of 12 h periods: 4 relocations, got {len(hours)}: {hours}"
