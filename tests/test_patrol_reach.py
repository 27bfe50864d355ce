"""A patrol's kept reach (`Reach`, agents/standing.py; issue 20): the cells its legs from home may land
on, worked out once, must land every leg where `Space.random_cell_near` lands it (the same draws
from the same batch, the same cell, the fallback's draw included), and must be worked out again
when the home, the radius or the faction's forbidden cells change."""

from __future__ import annotations

import numpy as np
from worlds import units_of, world

from sim.agents.standing import Posture, Reach, StandingUnit

from conftest import coarse_model


def _twins(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    return np.random.default_rng(seed), np.random.default_rng(seed)


def test_a_reach_lands_every_leg_where_random_cell_near_lands_it_fallbacks_included():
    """The campaign at 2 km: from every patrol's home, cells of the river, land cells across the
    map, its edges, water and 30 random land cells, for two factions (russia with 1,500 forbidden
    cells) and four radii (0 km: the centre alone), 20 legs through a `Reach` and 20 through
    `random_cell_near` from twin streams give the same cells in the same order (None included,
    and legs that fell back to drawing among every cell); its `cells` are `cells_near`'s."""
    model = coarse_model("corridor_campaign.yaml", days=1.0)
    space, land = model.space, model.map.land
    rng = np.random.default_rng(7)
    homes = {u.home for u in model.agents if isinstance(u, StandingUnit)}
    river = np.argwhere(land & (model.map.bank == 0))
    on_land = [tuple(int(x) for x in rc) for rc in np.argwhere(land)[::193]]
    water = [tuple(int(x) for x in rc) for rc in np.argwhere(~land)[:3]]
    edges = [(0, 0), (0, land.shape[1] - 1), (land.shape[0] - 1, 5), (3, land.shape[1] // 2)]
    scattered = [tuple(int(x) for x in rc) for rc in np.argwhere(land)[rng.choice(int(land.sum()), 30)]]
    centres = sorted(homes) + [tuple(int(x) for x in rc) for rc in river[::9]] + on_land + water + edges + scattered
    legs = fallbacks = nowhere = 0
    for k, centre in enumerate(centres):
        for faction in (model.factions.index("iran_militia"), model.factions.index("russia")):
            for radius in (8.0, 3.0, 16.0, 0.0):
                reach = Reach(space, centre, radius, faction)
                listed = [(int(r), int(c)) for r, c in space.cells_near(centre, radius, faction, same_bank=True)]
                assert reach.cells == listed, f"the cells a leg from {centre} may land on are cells_near's"
                fast, plain = _twins(k)
                for _ in range(20):
                    got = reach.random_cell(fast)
                    want = space.random_cell_near(centre, radius, faction, plain)
                    assert got == want, f"a leg from {centre} ({radius} km): {got} != {want}"
                    legs += 1
                    nowhere += got is None
                    fallbacks += got is not None and all(reach.spots[i] is None for i in _last_tries(space, plain))
                assert fast.bit_generator.state == plain.bit_generator.state, "the same draws from both streams"
    assert legs > 10_000 and fallbacks > 100 and nowhere > 0, (legs, fallbacks, nowhere)


def _last_tries(space, rng) -> list[int]:
    """The four offsets the last leg from `rng` tried (its batch's last four taken)."""
    for stream, batch, taken in space._offsets._batches.values():
        if stream is rng:
            return batch[taken - 4:taken]
    raise LookupError("no batch for this stream")


def _plain_wake(self) -> None:
    """A patrol leg as it was before the kept reach: `random_cell_near` from home."""
    if self.posture != Posture.PATROL or self.model.hours + 1e-9 < self._patrol_due:
        return
    spot = self.model.space.random_cell_near(self.home, self.model.spec.militia.patrol_radius_km,
                                             self.faction, self._legs())
    if spot is not None:
        self.move_to(spot)
    self._schedule_patrol()


def test_patrol_legs_over_a_seeded_run_land_where_random_cell_near_lands_them(monkeypatch):
    """The campaign at 2 km, 20 days, seed 3: every unit's cell after every step, and the
    presence grids at the end, are the same with the kept reaches as with every leg drawn by
    `random_cell_near`."""
    def cells_by_step(model):
        out = []
        while model.running:
            model.step()
            out.append([(u.unique_id, u.rc) for u in model.agents])
        return out, model.influence.presence.copy()

    kept, kept_presence = cells_by_step(coarse_model("corridor_campaign.yaml", days=20.0, seed=3))
    monkeypatch.setattr(StandingUnit, "wake", _plain_wake)
    plain, plain_presence = cells_by_step(coarse_model("corridor_campaign.yaml", days=20.0, seed=3))
    assert len(kept) == len(plain) == 240
    for step, (a, b) in enumerate(zip(kept, plain, strict=True)):
        assert a == b, f"the units stand elsewhere after step {step}"
    assert kept_presence.tobytes() == plain_presence.tobytes(), "the presence grids differ"


def test_a_patrols_reach_follows_its_home_and_its_factions_forbidden_cells(tmp_path):
    """Patrols of a, 16 km around homes near Al-Mayadeen, legs every 2 h: with the deconfliction
    line switched off for a day some legs end in the badia; switched on again, no leg does; half a
    day later a patrol given a new home 30 km away lands every later leg within 16 km of it."""
    forces = [{"kind": "militia", "faction": "a", "units": 20, "strength": 10, "posture": "patrol",
               "deploy": {"near": "Al-Mayadeen", "radius_km": 16}}]
    line = {"deconfliction_line": {"faction": "a", "may_not_enter": ["badia"]}}
    model = world(tmp_path, factions=("a",), forces=forces, rules=line, days=4,
                  militia={"patrol_every_hours": 2, "patrol_radius_km": 16})
    badia = model.map.region == model.map.region_names.index("badia")
    (line_rule,) = [r for r in model.rules if r.name == "deconfliction_line"]
    line_rule.set_param("enabled", False)
    units = units_of(model, "a")
    entered = False
    for _ in range(24):
        model.step()
        entered |= any(badia[u.rc] for u in units)
    assert entered, "with the line off, patrols enter the badia"
    line_rule.set_param("enabled", True)
    before = {u: u.rc for u in units}

    def legs(steps: int, check) -> None:
        for _ in range(steps):
            model.step()
            for u in units:
                if u.rc != before[u]:
                    check(u)
                    before[u] = u.rc

    def outside_the_badia(u) -> None:
        assert not badia[u.rc], f"{u.label} landed in the badia after the line came back on"

    legs(12, outside_the_badia)
    (moved, *_) = units
    new_home = next((r, c) for r, c in np.argwhere(model.map.land & ~badia)
                    if 29.0 <= np.hypot(r - moved.home[0], c - moved.home[1]) * model.map.cell_km <= 31.0)
    moved.home = (int(new_home[0]), int(new_home[1]))
    landed = []

    def near_the_new_home(u) -> None:
        outside_the_badia(u)
        if u is moved:
            km = np.hypot(u.rc[0] - moved.home[0], u.rc[1] - moved.home[1]) * model.map.cell_km
            assert km <= 16.0 + 1e-9, f"a leg {km:.1f} km from its new home"
            landed.append(u.rc)

    legs(24, near_the_new_home)
    assert len(landed) >= 5, f"the moved patrol made {len(landed)} legs in a day"
