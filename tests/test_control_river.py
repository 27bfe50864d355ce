"""The river in the control picture of the baseline: influence crosses the Euphrates only near
open bridges and fords, and the baseline closes every bridge (all destroyed by late 2017, or not
yet built), so at the start no town is held by a faction whose units all stand on the other bank.
A closed crossing carries neither paths nor influence; an open one carries both."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.geography import Terrain, load_map
from sim.model import CorridorModel
from sim.scenario import load_scenario
from sim.submodels.influence import far_bank_weight
from sim.world.routing import PathFinder

from conftest import SCENARIOS

BANK = {"right": 1, "left": 2}


def test_no_town_is_held_from_across_the_river_at_the_start_of_the_baseline():
    model = CorridorModel(load_scenario(SCENARIOS / "baseline.yaml"))
    corridor_map, inf = model.map, model.influence
    # the bank each faction stands on, if all its units stand on one
    banks: dict[int, set] = {}
    for unit in model.agents:
        banks.setdefault(unit.faction, set()).add(int(corridor_map.bank[unit.rc]))
    one_bank = {f: b.pop() for f, b in banks.items() if len(b) == 1}
    assert not (corridor_map.terrain == Terrain.BRIDGE).any(), "the baseline closes every bridge"
    wrong = []
    for place in corridor_map.places.values():
        if place.kind not in ("town", "city") or place.bank not in BANK:
            continue
        holder = int(inf.controller[place.cell])
        if holder >= 0 and one_bank.get(holder, BANK[place.bank]) != BANK[place.bank]:
            wrong.append(f"{place.name} ({place.bank} bank) held by {model.factions.ids[holder]}")
    assert not wrong, f"towns should not be held from across the river: {wrong}"


def test_the_coalition_holds_east_bank_ground_at_the_start_of_the_baseline():
    model = CorridorModel(load_scenario(SCENARIOS / "baseline.yaml"))
    coalition = model.factions.ids.index("coalition")
    for name in ("Diban", "Al-Omar oil field", "Conoco gas plant"):
        assert int(model.influence.controller[model.map.find_place(name).cell]) == coalition, name


# hours per km by terrain: desert, farmland, urban, road, crossing, bridge, river
SPEEDS = np.array([1 / 20, 1 / 15, 1 / 25, 1 / 60, 1 / 30, 1 / 30, np.inf])
ALL_BRIDGES = ["Deir ez-Zor suspension bridge", "Siyasiyah bridge", "Al-Merayiah - Hatla bridge",
               "Al-Mayadeen bridge", "Al-Asharah bridge", "Albu Kamal - Al-Baghuz bridge"]


@pytest.mark.parametrize("closed, crosses", [
    ([], True),
    ([b for b in ALL_BRIDGES if b != "Al-Mayadeen bridge"], True),  # the Al-Mayadeen bridge open
    (ALL_BRIDGES, False),
])
def test_a_closed_crossing_carries_neither_paths_nor_influence(closed, crosses):
    loaded = load_scenario(SCENARIOS / "baseline.yaml", {"map.closed_crossings": closed})
    corridor_map = loaded.map
    bridge = corridor_map.find_place("Al-Mayadeen bridge").cell
    mayadeen, diban = corridor_map.find_place("Al-Mayadeen").cell, corridor_map.find_place("Diban").cell
    assert (corridor_map.terrain[bridge] == Terrain.BRIDGE) == crosses
    assert PathFinder(corridor_map, SPEEDS).reachable(mayadeen, diban) == crosses
    # the crossing mask the model gives its influence field
    weight = far_bank_weight(corridor_map.bank, corridor_map.terrain == Terrain.BRIDGE, corridor_map.cell_km,
                             loaded.spec.control.bridge_reach_km)
    assert (weight[1][diban] > 0.01) == crosses  # Diban, 3 km from the bridge, from the west bank
    if crosses and closed:  # only the Al-Mayadeen bridge is open: the path takes it
        path = PathFinder(corridor_map, SPEEDS).path(mayadeen, diban)
        used = path[corridor_map.terrain[path[:, 0], path[:, 1]] == Terrain.BRIDGE]
        assert len(used) and (np.hypot(*(used - np.array(bridge)).T) <= 2).all()
    # the cached, shared map is never changed
    shared = load_map(loaded.spec.map.file, loaded.spec.map.cell_km)
    assert shared is not corridor_map or not closed
    assert (shared.terrain == Terrain.BRIDGE).sum() >= (corridor_map.terrain == Terrain.BRIDGE).sum()
    assert shared.terrain[bridge] == Terrain.BRIDGE


def test_the_far_banks_weight_is_a_gaussian_of_the_distance_to_the_nearest_crossing():
    """A 1 × 7 strip at 2 km cells: bank 1 west of a bridge cell (column 3, bank 0), bank 2 east
    of it; reach 3 km. A bank-1 source weighs 1 on its own bank and on the bridge, and
    exp(−d²/2·3²) on the far bank at d = 2, 4, 6 km from the bridge: e^(−2/9), e^(−8/9), e^(−2)."""
    bank = np.array([[1, 1, 1, 0, 2, 2, 2]])
    crossings = bank == 0
    weight = far_bank_weight(bank, crossings, 2.0, 3.0)
    np.testing.assert_allclose(weight[1][0], [1, 1, 1, 1, math.exp(-2 / 9), math.exp(-8 / 9), math.exp(-2)],
                               rtol=1e-12, err_msg="exp(−d²/2s²) across, 1 on the source's bank")
    np.testing.assert_allclose(weight[2][0], [math.exp(-2), math.exp(-8 / 9), math.exp(-2 / 9), 1, 1, 1, 1],
                               rtol=1e-12, err_msg="the mirror for a bank-2 source")
    assert not far_bank_weight(bank, None, 2.0, 3.0)[1][0, 4:].any(), "no crossing: nothing reaches the far bank"
