"""The population's fast path (sim/submodels/population.py) against the plain computation it
replaces, byte for byte: the controlled share of every town counted in one bincount."""

from __future__ import annotations

import numpy as np

from conftest import coarse_model


def test_the_controlled_share_of_every_town_at_once_is_the_town_by_town_count_bit_for_bit():
    """`controlled_share` counts every town's cells in one bincount: at every step of a 20-day
    run its shares must be, byte for byte, each town's own count of each faction's cells among
    its cells ÷ its cells (the contested and ungoverned counting for no one)."""
    model = coarse_model("corridor_campaign.yaml", days=20.0)
    pop, n = model.population, len(model.factions)
    seen = set()
    for _ in range(model.n_steps):
        model.step()
        controller = model.influence.controller
        expected = np.zeros((len(pop.towns), n))
        for t, (r, c) in enumerate(pop._cells):
            codes = controller[r, c]
            expected[t] = np.bincount(codes[codes >= 0], minlength=n)[:n] / len(r)
        share = pop.controlled_share()
        assert share.tobytes() == expected.tobytes(), f"step {model.steps}: {share} != {expected}"
        seen.add(share.tobytes())
    assert len(seen) > 3 and (share > 0).sum() > len(pop.towns), "the shares should move and several factions count"
