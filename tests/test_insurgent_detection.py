"""Which patrol a find is credited to (agents/insurgent.py, `Insurgency._finders`): the hostile
patrol nearest to each found cell, from one KD-tree query per faction for all the cells found in
a stage (the speed-up of session 9; the rest of the insurgent cells' tests: test_insurgents.py)."""

from __future__ import annotations

import numpy as np
from worlds import insurgent_stage, world

from sim.geography import Terrain


def test_the_patrol_credited_with_each_find_is_the_nearest_hostile_one_now_many_finds_a_stage(tmp_path):
    """The detection credits its finds from one KD-tree query of the hostile patrols per faction
    for all the cells found in a stage (`Insurgency._finders`): every found cell's finder must be
    a hostile patrol nearest to it (by hand, ties allowed), stage after stage while the patrols
    move in between, with dozens of cells found in each stage by the patrols of two hostile
    factions."""
    forces = [{"kind": "insurgent", "faction": "i", "units": 80, "strength": 50.0, "deploy": {"region": "badia"}},
              {"kind": "militia", "faction": "a", "units": 4, "strength": 100, "posture": "patrol",
               "deploy": {"near": "Albu Kamal", "radius_km": 30}},
              {"kind": "militia", "faction": "b", "units": 4, "strength": 100, "posture": "patrol",
               "deploy": {"near": "Al-Mayadeen", "radius_km": 30}}]
    model = world(tmp_path, factions=("i", "a", "b"), relations={"i/a": "hostile", "i/b": "hostile"},
                  forces=forces, insurgents={"ambush_rate_per_day": 0.0, "detection_range_km": 1000,
                                             "detection_rate_per_day": 1.0, "disperse_below": 0.0})
    finders, plain = model.insurgency._finders, []

    def spy(found):
        credited = finders(found)
        plain.extend((cell.rc, finder.rc, [u.rc for u in model.patrols if model.is_hostile(u.faction, cell.faction)])
                     for cell, finder in zip(found, credited, strict=True))
        return credited

    model.insurgency._finders = spy
    patrols = list(model.patrols)
    assert len(patrols) == 8 and {u.faction for u in patrols} == {1, 2}, "four patrols of each hostile faction"
    rng = np.random.default_rng(3)
    desert = np.argwhere(model.map.terrain == Terrain.DESERT)
    found_per_stage = []
    for _ in range(4):
        before = len(plain)
        insurgent_stage(model)
        found_per_stage.append(len(plain) - before)
        for patrol in patrols:  # the patrols scatter over the desert before the next stage
            patrol.move_to(tuple(int(v) for v in desert[rng.integers(len(desert))]))
    assert min(found_per_stage) >= 10, f"dozens of cells found in each stage: {found_per_stage}"

    def km(a, b) -> float:
        return float(np.hypot(a[0] - b[0], a[1] - b[1]))

    for cell, finder, hostile in plain:
        nearest = min(km(cell, p) for p in hostile)
        assert finder in hostile and km(cell, finder) == nearest, (
            f"the cell at {cell} was credited to the patrol at {finder} ({km(cell, finder):.2f} cells away), "
            f"not one nearest to it ({nearest:.2f} cells)")
