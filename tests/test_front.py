"""Contact along a front (sim/submodels/front.py): the front's length, the rate of contacts along
it and what one contact costs each side; hand-computed expectations."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.model import CorridorModel
from sim.scenario import load_scenario
from sim.submodels.front import front_length_km
from sim.submodels.influence import UNGOVERNED

FIXTURE = Path(__file__).parent / "fixtures" / "front.yaml"


def test_a_straight_front_is_as_long_as_it_is_at_any_cell_size():
    # 20 km of front, bands 5 km deep: 20 × 5 km² a side
    assert front_length_km(100, 100, 1.0, 5.0) == pytest.approx(20.0)
    assert front_length_km(25, 25, 2.0, 5.0) == pytest.approx(20.0), "2 km cells: 25 cells of 4 km² a side"


def test_the_front_of_two_blocks_of_ground_is_their_common_edge():
    model = CorridorModel(load_scenario(FIXTURE))
    blue, red = model.factions.index("blue"), model.factions.index("red")
    controller = np.full(model.map.shape, UNGOVERNED, dtype=np.int8)
    assert len(np.unique(model.map.bank[10:30, 10:31])) == 1, "the blocks lie on one bank"
    controller[10:30, 10:21] = blue  # 20 rows: a straight 20 km edge between columns 20 and 21
    controller[10:30, 21:31] = red
    fronts = model.front.measure(controller)
    band, km = fronts[(min(blue, red), max(blue, red))]
    # within 5 km of the other side: columns 16-20 of blue and 21-25 of red, 20 rows each
    assert len(band) == 200, f"expected 5 columns × 20 rows on each side, got {len(band)} cells"
    assert km == pytest.approx(20.0), f"a 20 km edge should measure 20 km, got {km:.2f}"
    controller[10:30, 21:31] = UNGOVERNED
    assert not model.front.measure(controller), "no enemy ground, no front"


def test_a_contact_costs_each_side_its_party_times_the_loss_share_times_its_cover():
    model = CorridorModel(load_scenario(FIXTURE))
    blue, red = model.factions.index("blue"), model.factions.index("red")
    b = next(u for u in model.agents if u.faction == blue)
    r = next(u for u in model.agents if u.faction == red)
    model.front._contact(blue, red, b.rc)
    # 30 fighters × 0.15: blue in the open loses 4.5; red fortified ×2 receives half the fire: 2.25
    assert b.strength == pytest.approx(400 - 4.5), f"blue should lose 30 × 0.15 = 4.5, lost {400 - b.strength:.2f}"
    assert r.strength == pytest.approx(400 - 2.25), f"red, fortified ×2, should lose 2.25, lost {400 - r.strength:.2f}"
    v = model.recorder.violence
    assert v.kinds == ["clash"] and v.sides == [("blue", "red")] and v.cells == [b.rc], (
        "one clash between blue and red, at the contact's cell")
    (entry,) = [e for e in model.log.entries if e.kind == "clash"]
    place = model.space.nearest_place_name(b.rc)
    assert (entry.factions, entry.place, entry.cell) == (["blue", "red"], place, b.rc), (
        f"the event log names both sides, the nearest place ({place}) and the cell: {entry}")
    assert entry.fighters == pytest.approx(4.5 + 2.25, abs=0.05), f"the entry counts both sides' losses, 6.75: {entry.fighters}"


@pytest.mark.slow
def test_contacts_arrive_at_the_rate_per_km_of_front():
    # over 10 seeds × 60 days, contacts ≈ 0.05 × L × 60 per run, L the front the model measures;
    # the count is Poisson, so the total lies within 3 sd of its mean
    expected = observed = 0.0
    for seed in range(10):
        model = CorridorModel(load_scenario(FIXTURE), seed=seed)
        lengths = []
        while model.running:
            model.step()
            lengths.append(sum(km for _, km in model.front.fronts.values()))
        expected += 0.05 * float(np.mean(lengths)) * 60.0
        observed += model.front.contacts
    assert expected > 20, f"the fixture's garrisons should face each other along a front (expected {expected:.0f})"
    assert abs(observed - expected) < 3 * math.sqrt(expected), (
        f"expected ≈ {expected:.0f} contacts (0.05 a km a day), got {observed:.0f}")


def test_no_rate_no_contacts():
    model = CorridorModel(load_scenario(FIXTURE, overrides={"front.contact_rate_per_km_day": 0.0}))
    for _ in range(80):
        model.step()
    assert model.front.contacts == 0 and len(model.recorder.violence) == 0, "rate 0 switches the fronts off"


def test_the_river_bounds_a_front():
    model = CorridorModel(load_scenario(FIXTURE))
    blue, red = model.factions.index("blue"), model.factions.index("red")
    bank = model.map.bank
    controller = np.full(model.map.shape, UNGOVERNED, dtype=np.int8)
    controller[bank == 1] = blue  # the whole right bank, face to face with the whole left bank
    controller[bank == 2] = red
    assert not model.front.measure(controller), "two sides facing each other across the river are not a front"


@pytest.mark.parametrize("cell_km", [1.0, 2.0, 0.75])
def test_the_reach_of_ground_from_a_box_around_it_equals_the_whole_grids_distance_transform(cell_km):
    """`dilated` dilates over the box of the ground widened by the depth; for scattered,
    edge-touching and empty masks it must give exactly the cells the whole-grid distance
    transform puts within the depth (more cases: tests/test_front_dilation.py)."""
    from scipy.ndimage import distance_transform_edt
    from test_front_dilation import within

    rng = np.random.default_rng(3)
    depth = 5.0
    masks = [np.zeros((40, 50), dtype=bool)]
    for density in (0.002, 0.02, 0.2):
        masks.append(rng.random((40, 50)) < density)
    edge = np.zeros((40, 50), dtype=bool)
    edge[0, 7] = edge[39, 49] = edge[20, 0] = True
    masks.append(edge)
    for mask in masks:
        expected = distance_transform_edt(~mask, sampling=cell_km) <= depth + 1e-9 if mask.any() else \
            np.zeros(mask.shape, dtype=bool)
        got = within(mask, depth, cell_km)
        assert got.dtype == bool and np.array_equal(got, expected), (
            f"{int((got != expected).sum())} cells differ from the whole-grid transform "
            f"({int(mask.sum())} cells of ground, {cell_km} km cells)")


def test_a_factions_kept_reach_is_measured_again_when_its_ground_moves():
    """The reach of a faction's ground is kept while the ground stays put: after blue's block
    gives up 3 columns next to red's, the front must be the one a fresh measurement finds
    (2 columns of each side within 5 km of the other across the gap), not the old one."""
    from sim.submodels.front import FrontContacts

    model = CorridorModel(load_scenario(FIXTURE))
    blue, red = model.factions.index("blue"), model.factions.index("red")
    pair = (min(blue, red), max(blue, red))
    controller = np.full(model.map.shape, UNGOVERNED, dtype=np.int8)
    controller[10:30, 10:21] = blue
    controller[10:30, 21:31] = red
    assert len(model.front.measure(controller)[pair][0]) == 200, "5 columns × 20 rows on each side"
    controller[10:30, 18:21] = UNGOVERNED  # blue now ends at column 17: 3 columns between the two
    band, _ = model.front.measure(controller)[pair]
    fresh, _ = FrontContacts(model).measure(controller)[pair]
    assert np.array_equal(band, fresh), "the kept reach of blue's old ground was used after it moved"
    # within 5 km: blue's columns 16-17 (red from column 21) and red's columns 21-22 (blue to 17)
    assert len(band) == 2 * 20 + 2 * 20, f"expected 2 columns × 20 rows on each side, got {len(band)} cells"


def test_a_contact_books_both_sides_losses_as_harm_against_both_at_its_cell():
    """ODD *Population and support*: the fighters lost in a contact (4.5 + 2.25, as above) are harm
    near the contact's cell, booked against both sides."""
    model = CorridorModel(load_scenario(FIXTURE))
    blue, red = model.factions.index("blue"), model.factions.index("red")
    booked = []
    model.population = type("Book", (), {"harm": lambda self, rc, factions, n: booked.append((rc, factions, n))})()
    b = next(u for u in model.agents if u.faction == blue)
    model.front._contact(blue, red, b.rc)
    assert len(booked) == 1 and booked[0][0] == b.rc and tuple(booked[0][1]) == (blue, red), (
        f"one harm at the contact's cell {b.rc} against blue and red: {booked}")
    assert booked[0][2] == pytest.approx(4.5 + 2.25), f"both sides' losses, 6.75: {booked}"


def test_the_bands_are_depth_km_deep_at_any_cell_size():
    """At 2 km cells, two blocks facing each other along 10 rows (20 km): the cells within
    depth_km = 5 km of the other side are those 2 and 4 km from it, two columns a side: 40 cells
    (at 5 cells, not km, it would be 5 columns a side)."""
    model = CorridorModel(load_scenario(FIXTURE, overrides={"map.cell_km": 2.0}))
    blue, red = model.factions.index("blue"), model.factions.index("red")
    assert len(np.unique(model.map.bank[5:15, 5:16])) == 1, "the blocks lie on one bank"
    controller = np.full(model.map.shape, UNGOVERNED, dtype=np.int8)
    controller[5:15, 5:11] = blue  # 6 columns
    controller[5:15, 11:16] = red  # 5 columns
    band, _ = model.front.measure(controller)[(min(blue, red), max(blue, red))]
    assert sorted(set(int(c) for c in band[:, 1])) == [9, 10, 11, 12], (
        f"two columns on each side of the edge (within 5 km at 2 km cells): {sorted(set(band[:, 1]))}")
    assert len(band) == 40, f"2 columns × 10 rows a side, got {len(band)}"


def test_a_faction_on_both_banks_has_a_front_on_each():
    """Blue and red face each other on the right bank (the block of the test above) and again on
    the left bank (rows 0–19, columns 90–110): both fronts count, 20 km each at 1 km cells."""
    model = CorridorModel(load_scenario(FIXTURE))
    blue, red = model.factions.index("blue"), model.factions.index("red")
    bank = model.map.bank
    assert len(np.unique(bank[10:30, 10:31])) == 1 and len(np.unique(bank[0:20, 90:111])) == 1
    assert bank[10, 10] != bank[0, 90], "the two blocks lie on different banks"
    controller = np.full(model.map.shape, UNGOVERNED, dtype=np.int8)
    for r, c in ((10, 10), (0, 90)):
        controller[r:r + 20, c:c + 11] = blue
        controller[r:r + 20, c + 11:c + 21] = red
    band, km = model.front.measure(controller)[(min(blue, red), max(blue, red))]
    assert len(band) == 400, f"5 columns × 20 rows a side on each bank: 400 cells, got {len(band)}"
    assert km == pytest.approx(40.0), f"two 20 km edges, got {km:.2f}"


def test_each_contact_is_counted_once():
    # the count of contacts (model.front.contacts, the figure the contact rate is checked against)
    # grows by exactly one per contact: two contacts at blue's cell, 2
    model = CorridorModel(load_scenario(FIXTURE))
    blue, red = model.factions.index("blue"), model.factions.index("red")
    b = next(u for u in model.agents if u.faction == blue)
    model.front._contact(blue, red, b.rc)
    model.front._contact(blue, red, b.rc)
    assert model.front.contacts == 2, f"two contacts should count 2, not {model.front.contacts}"


def test_a_front_measured_after_the_ground_grew_to_its_old_reach_is_measured_afresh():
    """The kept reach of a faction's ground is reused only while that ground is the same: blue's
    block (4 columns, 8 from red's) grown to exactly the reach its old ground had (every cell within
    5 km on its bank, so now 3 columns from red's) must give the front a fresh measurement finds."""
    from sim.submodels.front import FrontContacts

    model = CorridorModel(load_scenario(FIXTURE))
    blue, red = model.factions.index("blue"), model.factions.index("red")
    pair = (min(blue, red), max(blue, red))
    controller = np.full(model.map.shape, UNGOVERNED, dtype=np.int8)
    controller[10:30, 10:14] = blue
    controller[10:30, 21:31] = red  # 8 columns from blue's edge: beyond the 5 km bands, no front yet
    assert pair not in model.front.measure(controller), "the set-up: no front before blue grows"
    grown = model.front._reach_kept[blue][1]
    assert not (grown & (controller == red)).any(), "the set-up: red lies beyond blue's old reach"
    controller[grown] = blue  # blue now reaches column 18, 3 columns from red: a front
    after = model.front.measure(controller).get(pair)
    fresh = FrontContacts(model).measure(controller).get(pair)
    assert fresh is not None, "the set-up: blue's grown ground faces red within 5 km"
    assert after is not None and np.array_equal(after[0], fresh[0]), (
        "the front after blue's ground grew to its old reach must be the one a fresh measurement finds")


def _across_the_river(model):
    """A river cell of the fixture's map with a neighbour on the right bank (1) and one on the
    left bank (2): (river, right, left), cells (row, col)."""
    bank = model.map.bank
    rows, cols = bank.shape
    for r, c in np.argwhere(bank == 0):
        near = [(r + dr, c + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if 0 <= r + dr < rows and 0 <= c + dc < cols]
        right = [rc for rc in near if bank[rc] == 1]
        left = [rc for rc in near if bank[rc] == 2]
        if right and left:
            return (int(r), int(c)), tuple(map(int, right[0])), tuple(map(int, left[0]))
    raise AssertionError("the map's river has a cell between both banks")


def test_the_rivers_own_cells_are_no_front():
    """The control map spreads over the water: blue holding the upstream half of the river's
    cells and red the downstream half meet along the river, 1 km apart, but the river (and its
    bridges) is no bank to raid along: no front, and nothing within reach of the water."""
    model = CorridorModel(load_scenario(FIXTURE))
    blue, red = model.factions.index("blue"), model.factions.index("red")
    river = np.argwhere(model.map.bank == 0)
    river = river[np.argsort(river[:, 1], kind="stable")]  # the river runs across the map's columns
    half = len(river) // 2
    controller = np.full(model.map.shape, UNGOVERNED, dtype=np.int8)
    controller[tuple(river[:half].T)] = blue
    controller[tuple(river[half:].T)] = red
    gap = np.abs(river[:half, None, :] - river[None, half:, :]).max(axis=2).min()
    assert gap <= 1, f"the two halves of the river touch (1 cell = 1 km, within the 5 km depth): {gap}"
    assert not model.front.measure(controller), "two holders of the river's cells are not a front"


def test_a_partys_unit_is_on_the_contacts_bank():
    """A contact on the right bank: red's nearest unit 1-2 km away across the river sends no
    party (raiders do not swim); with none of red's units on the right bank within reach there is
    no contact; a red unit on the right bank within reach sends it."""
    model = CorridorModel(load_scenario(FIXTURE))
    blue, red = model.factions.index("blue"), model.factions.index("red")
    b = next(u for u in model.agents if u.faction == blue)
    r = next(u for u in model.agents if u.faction == red)
    _, right, left = _across_the_river(model)
    b.move_to(right)
    r.move_to(left)
    model.front._contact(blue, red, right)
    assert model.front.contacts == 0 and len(model.recorder.violence) == 0, (
        "red's only unit is across the river: no party, no contact")
    assert (b.strength, r.strength) == (400, 400), "nobody lost anyone"
    bank = model.map.bank
    same = next((right[0] + d, right[1]) for d in (3, -3, 4, -4, 5, -5) if bank[right[0] + d, right[1]] == 1)
    r.move_to(same)  # 3-5 km from the contact, on its bank
    model.front._contact(blue, red, right)
    assert model.front.contacts == 1, "red's unit on the right bank within 15 km sends the party"
    assert b.strength < 400 and r.strength < 400 and model.recorder.violence.sides == [("blue", "red")], (
        f"one clash in which both lost fighters: blue {b.strength}, red {r.strength}")


def test_a_hidden_cell_is_no_party_to_a_front_contact():
    """The raiding parties are the nearest units of each side within reach that are not hidden
    cells: a hidden red insurgent cell on blue's own cell is passed over, and red's garrison 8 km
    away takes the contact's loss (2.25, as above), the cell none."""
    from sim.agents.insurgent import InsurgentCell

    model = CorridorModel(load_scenario(FIXTURE))
    blue, red = model.factions.index("blue"), model.factions.index("red")
    b = next(u for u in model.agents if u.faction == blue)
    r = next(u for u in model.agents if u.faction == red)
    cell = InsurgentCell(model, red, 20.0, b.rc, "red cell")
    assert cell.hidden, "the set-up: a new cell is hidden"
    model.front._contact(blue, red, b.rc)
    assert cell.strength == 20.0 and r.strength == pytest.approx(400 - 2.25), (
        f"the hidden cell should lose nothing and the red garrison 2.25: cell {cell.strength}, garrison {r.strength}")


def test_a_days_contacts_at_under_one_per_km_day_land_on_the_front_at_its_rate():
    """24 h steps and 0.5 contacts a km a day: one update brings a Poisson number of contacts of
    mean 0.5 × L (L the front the fixture's garrisons face each other along), at least one here,
    each on a cell of the front's bands."""
    model = CorridorModel(load_scenario(FIXTURE, overrides={"time.step_hours": 24, "front.contact_rate_per_km_day": 0.5}))
    ((band, km),) = model.front.measure(model.influence.controller).values()
    mean = 0.5 * km
    assert mean > 5, f"the set-up: a front of {km:.1f} km, {mean:.1f} contacts a day expected"
    model.front.update()
    assert 1 <= model.front.contacts <= mean + 4 * math.sqrt(mean), (
        f"{model.front.contacts} contacts in a day, expected about {mean:.1f} (Poisson, within 4 sd)")
    cells = {(int(r), int(c)) for r, c in band}
    assert all(tuple(cell) in cells for cell in model.recorder.violence.cells), "every contact on the front"


def test_the_front_is_measured_again_each_day_not_each_step():
    """The fronts are measured at the first step of each day (from the control map then): the
    enemy's ground gone at hour 3 changes nothing that day; on the next day there is no front."""
    model = CorridorModel(load_scenario(FIXTURE))
    model.front.update()
    assert model.front.fronts, "the set-up: a front on day 0"
    red = model.factions.index("red")
    controller = model.influence.controller.copy()
    controller[controller == red] = UNGOVERNED
    model.influence.controller = controller
    model.hours = 3.0
    model.front.update()
    assert model.front.fronts, "measured once a day: the front of hour 0 stands until the next day"
    model.hours = 24.0
    model.front.update()
    assert not model.front.fronts, "the next day the front is measured again: red's ground is gone"


def test_the_first_update_measures_the_front_whatever_day_it_comes_on():
    """The front is measured at the first update of each day, the first one included, whenever
    it comes (a front whose first update falls on day 1, e.g. switched on then)."""
    model = CorridorModel(load_scenario(FIXTURE))
    model.hours = 24.0
    model.front.update()
    assert model.front.fronts, "the first update, on day 1, measures the fixture's front"


def test_a_unit_smaller_than_a_party_sends_all_it_has():
    """ODD §3.3 *Fronts*: each side's nearest unit sends a party of `party_fighters` "or all it
    has". Blue cut to 10 fighters (party 30) loses all-it-has × 0.15 = 1.5 by hand; red, fortified
    ×2 with 400, still sends 30 and loses 30 × 0.15 / 2 = 2.25."""
    model = CorridorModel(load_scenario(FIXTURE))
    blue, red = model.factions.index("blue"), model.factions.index("red")
    b = next(u for u in model.agents if u.faction == blue)
    r = next(u for u in model.agents if u.faction == red)
    b.lose(390.0)
    model.front._contact(blue, red, b.rc)
    assert b.strength == pytest.approx(10 - 1.5), f"blue's whole 10 go and lose 10 × 0.15 = 1.5, lost {10 - b.strength:.2f}"
    assert r.strength == pytest.approx(400 - 2.25), f"red's party of 30 loses 30 × 0.15 / 2, lost {400 - r.strength:.2f}"
