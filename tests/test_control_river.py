"""The river in the control picture of the baseline: influence crosses the Euphrates only near
bridges, so at the start no town is held by a faction whose units all stand on the other bank,
unless a bridge lies within a bridgehead's reach of it."""

from __future__ import annotations

from scipy.ndimage import distance_transform_edt

from sim.geography import Terrain
from sim.model import CorridorModel
from sim.scenario import load_scenario

from conftest import SCENARIOS

BANK = {"right": 1, "left": 2}


def test_no_town_is_held_from_across_the_river_at_the_start_of_the_baseline():
    model = CorridorModel(load_scenario(SCENARIOS / "baseline.yaml"))
    cmap, inf = model.map, model.influence
    # the bank each faction stands on, if all its units stand on one
    banks: dict[int, set] = {}
    for unit in model.agents:
        banks.setdefault(unit.faction, set()).add(int(cmap.bank[unit.rc]))
    one_bank = {f: b.pop() for f, b in banks.items() if len(b) == 1}
    bridge_km = distance_transform_edt(cmap.terrain != Terrain.BRIDGE) * cmap.cell_km
    reach = model.spec.control.bridge_reach_km
    wrong, exempt = [], []
    for place in cmap.places.values():
        if place.kind not in ("town", "city") or place.bank not in BANK:
            continue
        holder = int(inf.controller[place.cell])
        if holder >= 0 and one_bank.get(holder, BANK[place.bank]) != BANK[place.bank]:
            where = f"{place.name} ({place.bank} bank, {bridge_km[place.cell]:.0f} km from a bridge)"
            (exempt if bridge_km[place.cell] <= reach else wrong).append(
                f"{where} held by {model.factions.ids[holder]}")
    assert not wrong, f"towns should not be held from across the river away from bridges: {wrong}"
    # a bridgehead within the bridge reach may be held from the other bank (Al-Baghuz Fawqani,
    # 1 km from the Albu Kamal bridge); nothing farther
    assert all("Al-Baghuz Fawqani" in e for e in exempt), exempt
