"""The deconfliction line (sim/rules/deconfliction_line.py, ODD §3.3): a faction's deployment,
patrol legs and paths kept out of its listed regions, and nothing forbidden once it is off."""

from __future__ import annotations

import numpy as np
from rule_worlds import rule
from worlds import units_of, world


def test_the_deconfliction_line_keeps_a_factions_deployment_out_of_its_regions(tmp_path):
    forces = [{"kind": "militia", "faction": "a", "units": 40, "strength": 10, "posture": "patrol",
               "deploy": {"near": "Al-Mayadeen", "radius_km": 16}}]
    line = {"deconfliction_line": {"faction": "a", "may_not_enter": ["badia"]}}
    badia = None
    for rules, expect_inside in (({}, True), (line, False)):
        model = world(tmp_path, factions=("a",), forces=forces, rules=rules)
        badia = model.map.region_names.index("badia")
        inside = [model.map.region[u.rc] == badia for u in units_of(model, "a")]
        assert any(inside) == expect_inside, (
            "without the line some of 40 units deployed within 16 km of Al-Mayadeen stand in the badia; "
            "with it none does")
    forbidden = model.space.forbidden_mask(model.factions.index("a"))
    np.testing.assert_array_equal(forbidden, model.map.region == badia,
                                  err_msg="the forbidden cells are exactly the listed region's")
    line_rule = rule(model, "deconfliction_line")
    line_rule.set_param("enabled", False)
    assert not model.space.forbidden_mask(model.factions.index("a")).any(), "a line switched off forbids nothing"
    line_rule.set_param("enabled", True)
    np.testing.assert_array_equal(model.space.forbidden_mask(model.factions.index("a")), model.map.region == badia,
                                  err_msg="switched on again, the line forbids its region again")


def test_the_deconfliction_line_keeps_patrol_legs_and_paths_out_of_its_regions(tmp_path):
    """Patrols of a, deployed outside the badia, patrol 16 km around home for 2 days: no leg ends in
    the badia with the line (some do without it); a path planned for a never crosses it."""
    forces = [{"kind": "militia", "faction": "a", "units": 20, "strength": 10, "posture": "patrol",
               "deploy": {"near": "Al-Mayadeen", "radius_km": 16}}]
    line = {"deconfliction_line": {"faction": "a", "may_not_enter": ["badia"]}}
    for rules, allowed in (({}, True), (line, False)):
        model = world(tmp_path, factions=("a",), forces=forces, rules=rules,
                      militia={"patrol_every_hours": 2, "patrol_radius_km": 16})
        badia = model.map.region == model.map.region_names.index("badia")
        entered = False
        while model.running:
            model.step()
            entered |= any(badia[u.rc] for u in units_of(model, "a"))
        assert entered == allowed, f"{'without' if allowed else 'with'} the line, patrols {'do' if allowed else 'never'} enter the badia"
    (unit, *_) = units_of(model, "a")
    target = tuple(int(x) for x in np.argwhere(~badia & model.map.land)[-1])
    mover = model.space.plan_path(unit, unit.rc, target, 1.0)
    assert mover is not None, f"a can reach {target} without the badia"
    assert not any(badia[r, c] for r, c in mover.cells), "a's path must not cross the badia"


def test_the_deconfliction_line_keeps_an_insurgent_cells_relocations_out_of_its_regions(tmp_path):
    """ODD *Deconfliction line*: relocations avoid the regions too. A cell of i (which may not enter
    the badia) put, 20 times, on a desert cell outside the badia with the most badia desert within
    insurgents.move_km, and woken: it never moves into the badia (without the line it does)."""
    from scipy.ndimage import uniform_filter

    from sim.geography import Terrain

    forces = [{"kind": "insurgent", "faction": "i", "units": 1, "strength": 20,
               "deploy": {"near": "Al-Mayadeen", "radius_km": 40}}]
    line = {"deconfliction_line": {"faction": "i", "may_not_enter": ["badia"]}}
    for rules, allowed in (({}, True), (line, False)):
        model = world(tmp_path, factions=("i",), forces=forces, rules=rules)
        (cell,) = units_of(model, "i")
        badia = model.map.region == model.map.region_names.index("badia")
        desert = model.map.terrain == Terrain.DESERT
        reach = 2 * int(model.spec.insurgents.move_km / model.map.cell_km) + 1
        pull = np.where(desert & ~badia, uniform_filter((desert & badia).astype(float), size=reach, mode="constant"), -1)
        rc = np.unravel_index(int(np.argmax(pull)), pull.shape)
        start = (int(rc[0]), int(rc[1]))
        assert pull[rc] > 0.3, f"the set-up needs badia desert within move_km of a cell outside it: {pull[rc]:.2f}"
        entered = False
        for _ in range(20):
            cell.move_to(start)
            cell.wake()
            entered |= bool(badia[cell.rc])
        assert entered == allowed, (
            f"{'without' if allowed else 'with'} the line a relocating cell {'enters' if allowed else 'never enters'} the badia")
