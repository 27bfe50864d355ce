"""Insurgent recruitment's fast path (sim/rules/insurgent_recruitment.py) against the computation
it replaces: the ungoverned desert and its share worked out once per control map, not every step
(the rule's own tests: test_insurgents.py)."""

from __future__ import annotations

import numpy as np

from sim.submodels.influence import UNGOVERNED

from conftest import coarse_model


def test_the_ungoverned_desert_kept_per_control_map_is_the_one_worked_out_afresh_at_every_step():
    """corridor_campaign for 30 days at 2 km / 2 h (the control map made anew every other step,
    insurgent cells recruiting in the desert): at every step the rule's ungoverned desert and
    its share must be, byte for byte, the desert's cells no one governs on the control map as it
    stands, counted afresh; and a control map set from outside (as tests do) is looked at anew."""
    model = coarse_model("corridor_campaign.yaml", days=30.0)
    (rule,) = [r for r in model.rules if r.key == "insurgent_recruitment"]
    apply, maps, shares = rule.apply, set(), set()

    def checked():
        controller = model.influence.controller
        expected = rule.desert & (controller == UNGOVERNED)
        got, share = rule._ungoverned_desert(controller)
        assert got.tobytes() == expected.tobytes() and share == np.count_nonzero(expected) / rule.desert.sum(), (
            f"step {model.steps}: the kept ungoverned desert differs from the control map's")
        maps.add(id(controller))
        shares.add(share)
        apply()
    rule.apply = checked
    model.run()
    assert len(maps) > 100 and len(shares) > 5, f"{len(maps)} control maps, {len(shares)} shares: the check must see them change"
    model.influence.controller = np.full_like(model.influence.controller, UNGOVERNED)
    assert rule._ungoverned_desert(model.influence.controller)[1] == 1.0, "a control map set from outside: all desert ungoverned"
