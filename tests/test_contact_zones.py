"""The engagement stage's shortcuts (sim/submodels/engagement.py, `ContactZones` and `Engagements.fighters_by_faction`):
a faction's contact zone holds exactly the cells `Space.pairs_within` would pair with its fighters,
so two factions are in contact exactly when it finds a pair; and the fighters kept between steps
are the list the roster gives afresh. Checked on random unit sets at several cell sizes (ties at
the range, a cell size that is no binary fraction) and at every step of a seeded campaign."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import sim.world.spatial
from sim.submodels.engagement import ContactZones

from conftest import coarse_model


def bare_space(cell_km: float):
    space = object.__new__(sim.world.spatial.Space)  # only the map's cell size and the kept arrays
    space.map, space._positions, space._pairs = SimpleNamespace(cell_km=cell_km), {}, {}
    return space


@pytest.mark.parametrize("cell_km", [0.3, 0.75, 1.0, 1.3, 2.0, 3.0])
def test_a_zone_holds_exactly_the_cells_in_range_of_its_cells_ties_included(cell_km):
    """Every cell of a 40 × 40 patch (and a border around it wider than the range) is in the zone of a random set of
    cells exactly when `pairs_within`'s arithmetic (`squared_distances`) puts it within range of one of them; `in_contact` of two
    random sets, asked either way round, whichever side's zone it makes or keeps, is whether
    `pairs_within` finds a pair."""
    rng = np.random.default_rng(5)
    space = bare_space(cell_km)
    border = int(8.0 / cell_km) + 3  # beyond the largest range
    patch = tuple((r, c) for r in range(-border, 40 + border) for c in range(-border, 40 + border))
    ties = contacts = 0
    for trial in range(60):
        range_km = (3.0, 2.5, 8.0, 3.0 * cell_km)[trial % 4]
        a = tuple(map(tuple, rng.integers(0, 40, size=(int(rng.integers(1, 20)), 2)).tolist()))
        b = tuple(map(tuple, rng.integers(0, 40, size=(int(rng.integers(1, 20)), 2)).tolist()))
        zones = ContactZones(cell_km, range_km)
        d = sim.world.spatial.squared_distances(np.array(patch, dtype=float) * cell_km,
                                                np.array(b, dtype=float) * cell_km)  # pairs_within's arithmetic
        assert zones.made(b) == {patch[k] for k in np.flatnonzero((d <= range_km * range_km).any(axis=1))}, (
            f"{cell_km} km cells, range {range_km} km: the zone is not the cells pairs_within pairs with the set")
        ties += int((d == range_km * range_km).sum())
        found = len(space.pairs_within("a", a, "b", b, range_km)[0]) > 0
        contacts += found
        assert zones.in_contact(0, a, 1, b) == found, f"trial {trial}: contact (zone made) is not pairs_within's"
        assert zones.in_contact(1, b, 0, a) == found, f"trial {trial}: contact asked the other way round differs"
        assert ContactZones(cell_km, range_km).in_contact(1, b, 0, a) == found, f"trial {trial}: the other side's zone"
    assert contacts and contacts < 60, "the trials should have sets in contact and sets not"
    if cell_km in (0.75, 1.0, 3.0):
        assert ties > 0, "the trials should include cells exactly at the range"


def test_a_kept_zone_is_made_again_exactly_when_its_cells_change():
    zones = ContactZones(2.0, 3.0)
    first = zones.zone(7, ((10, 10),))
    assert zones.zone(7, ((10, 10),)) is first, "the same cells should reuse the kept zone"
    moved = zones.zone(7, ((10, 11),))
    assert (10, 12) in moved and (10, 12) not in first, "a zone kept after its cells moved"
    assert not zones.in_contact(3, ((10, 9),), 7, ((10, 11),)), "4 km apart (> 3 km) is no contact"
    assert zones.in_contact(3, ((10, 9),), 7, ((10, 10),)), "2 km apart is contact: the zone of the cells as they are"


def test_over_a_seeded_campaign_the_screen_and_the_kept_fighters_agree_with_what_they_replace():
    """At the engagement stage of every step of 40 days of the campaign (2 km, seed 2): the
    fighters kept per faction are the roster's alive units not hidden, made afresh; and for every
    hostile pair with fighters on both sides, `in_contact` is whether `pairs_within` finds a pair
    (both answers occur, and cells come into the open)."""
    model = coarse_model("corridor_campaign.yaml", days=40.0, seed=2)
    eng, space = model.engagements, model.space
    stage, seen = eng.update, {True: 0, False: 0, "open": 0}

    def checked():
        kept = eng.fighters_by_faction()
        fresh = {f: [u for u in space.members(f) if u.strength > 0.0 and not u.hidden] for f in eng.can_fight}
        assert kept == {f: units for f, units in fresh.items() if units}, f"step {model.steps}: kept fighters differ"
        seen["open"] += bool(model.in_the_open)
        cells = {f: tuple([u.rc for u in units]) for f, units in kept.items()}
        for f, g in eng.hostile_pairs:
            if f in cells and g in cells:
                found = len(space.pairs_within(("check", f), cells[f], ("check", g), cells[g],
                                               model.spec.engagement.range_km)[0]) > 0
                assert eng.zones.in_contact(f, cells[f], g, cells[g]) == found, (
                    f"step {model.steps}, factions {f} and {g}: the contact zones say {not found}")
                seen[found] += 1
        stage()

    eng.update = checked
    for _ in range(model.n_steps):
        model.step()
    assert seen[True] > 10 and seen[False] > 1000 and seen["open"] > 0, seen
