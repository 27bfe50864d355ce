"""The spatial service (`model.space`): units near a place come from either index (the
per-faction rosters or the presence grid) with the same units in the same order, and they are
the units a brute-force scan would find, nearest first."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim.streams
import sim.world.spatial
from sim.model import CorridorModel
from sim.scenario import load_scenario

from conftest import SCENARIOS


@pytest.fixture(scope="module")
def campaign():
    """The campaign two days in, at 2 km cells, so units have moved and some have fought."""
    loaded = load_scenario(SCENARIOS / "corridor_campaign.yaml", overrides={
        "map.cell_km": 2.0, "time.step_hours": 2, "time.duration_days": 10})
    model = CorridorModel(loaded, seed=3)
    for _ in range(24):
        model.step()
    return model


def queries(model, n=150):
    rng = np.random.default_rng(0)
    rows, cols = model.map.shape
    for _ in range(n):
        rc = (int(rng.integers(rows)), int(rng.integers(cols)))
        yield rc, float(rng.choice([4.0, 10.0, 25.0, 60.0])), int(rng.integers(len(model.factions)))


def test_both_indexes_give_the_same_units_in_the_same_order(campaign, monkeypatch):
    space = campaign.space
    answers = {}
    for cost, name in ((0, "rosters"), (10**9, "presence grid")):
        monkeypatch.setattr(sim.world.spatial, "ROSTER_COST", cost)
        answers[name] = [([u.unique_id for u in space.units_near(rc, km, f)],
                          getattr(space.nearest_enemy_unit(next(iter(campaign.agents)), km), "unique_id", None))
                         for rc, km, f in queries(campaign)]
    assert answers["rosters"] == answers["presence grid"], "the two indexes disagree on some query"
    assert sum(len(a) for a, _ in answers["rosters"]) > 50, "the queries should find units at all"


def test_units_near_are_the_units_within_reach_nearest_first(campaign):
    km = campaign.map.cell_km
    land = campaign.map.land
    for rc, radius, f in queries(campaign, 60):
        got = campaign.space.units_near(rc, radius, f)
        dist = [math.hypot(u.rc[0] - rc[0], u.rc[1] - rc[1]) * km for u in got]
        by_hand = {u.unique_id for u in campaign.agents if u.faction == f and u.alive and land[u.rc]
                   and math.hypot(u.rc[0] - rc[0], u.rc[1] - rc[1]) * km <= radius + 1e-9}
        assert {u.unique_id for u in got} == by_hand, f"units of faction {f} within {radius} km of {rc}"
        assert dist == sorted(dist), f"units near {rc} should come nearest first: {dist}"


def test_a_factions_members_are_its_agents_in_the_models_order_as_units_change_sides():
    """`Space.members` (engagements take their fighters from it) must list a faction's units
    in the order of `model.agents` at every step, also after local militias defect to another
    sponsor (co-optation) and units are destroyed or spawned."""
    loaded = load_scenario(SCENARIOS / "russian_co_optation.yaml", overrides={
        "map.cell_km": 2.0, "time.step_hours": 2, "time.duration_days": 40,
        "rules.co_optation.erosion_per_day": 0.5})
    model = CorridorModel(loaded, seed=2)
    for _ in range(model.n_steps):
        model.step()
        for f in range(len(model.factions)):
            expected = [a for a in model.agents if a.faction == f]
            assert model.space.members(f) == expected, f"step {model.steps}: faction {f}'s members out of order"
    assert model.rules_by_key["co_optation"].defections > 0, "some militia should have changed sides"


@pytest.mark.parametrize("cell_km", [0.25, 0.3, 0.75, 1.0, 2.0, 3.0])
def test_pairs_in_range_are_the_pairs_scipys_kd_trees_find_ties_at_the_range_included(cell_km):
    """`pairs_within` and the insurgency's patrol counts measure every distance
    (`squared_distances`) instead of building KD-trees; the engagements' battles and the
    detections (the seeded record) need the very pairs `cKDTree.sparse_distance_matrix` found and
    the counts `query_ball_point` gave, bit for bit: 200 random pairs of unit sets on a 40 × 40
    patch (up to 60 units a side, so scipy's trees split and prune), at ranges with ties at whole
    cells (3 km at 0.75, 1 and 3 km cells: cells exactly at the range are in it) and at a cell
    size that is no binary fraction."""
    from types import SimpleNamespace

    from scipy.spatial import cKDTree

    rng = np.random.default_rng(11)
    space = object.__new__(sim.world.spatial.Space)  # only the map's cell size and the kept arrays
    space.map, space._positions, space._pairs = SimpleNamespace(cell_km=cell_km), {}, {}
    ties = 0
    for trial in range(200):
        range_km = (3.0, 2.5, 8.0, 3.0 * cell_km)[trial % 4]
        a = tuple(map(tuple, rng.integers(0, 40, size=(int(rng.integers(1, 61)), 2)).tolist()))
        b = tuple(map(tuple, rng.integers(0, 40, size=(int(rng.integers(1, 61)), 2)).tolist()))
        i, j = space.pairs_within("a", a, "b", b, range_km)
        tree_a, tree_b = (cKDTree(np.array(cells, dtype=float) * cell_km) for cells in (a, b))
        expected = tree_a.sparse_distance_matrix(tree_b, range_km, output_type="ndarray")
        assert list(zip(i.tolist(), j.tolist(), strict=True)) == \
            sorted(zip(expected["i"].tolist(), expected["j"].tolist(), strict=True)), (
            f"{cell_km} km cells, range {range_km} km: pairs (by i, then j) differ from scipy's")
        ties += int((expected["v"] == range_km).sum())
        counted = (sim.world.spatial.squared_distances(tree_a.data, tree_b.data) <= range_km * range_km).sum(axis=1)
        assert counted.tolist() == tree_b.query_ball_point(tree_a.data, range_km, return_length=True).tolist(), (
            f"{cell_km} km cells, range {range_km} km: units in range of each differ from scipy's count")
    if cell_km in (0.75, 1.0, 3.0):
        assert ties > 0, "the trials should include pairs exactly at the range"


@pytest.mark.parametrize("cell_km", [0.75, 1.0])
def test_many_units_a_side_take_kd_trees_and_get_the_same_pairs_counts_and_order(cell_km, monkeypatch):
    """Above `MEASURED_PAIRS` pairs `pairs_within` and `count_within` use scipy's KD-trees (an
    (n, m) array of distances grows with the square of the agents: 0.8 s a step at ~32k agents);
    both ways must give the same pairs in the same order (by i, then j) and the same counts,
    ties at the range included: 40 random pairs of unit sets, each computed both ways by moving
    the threshold."""
    from types import SimpleNamespace

    rng = np.random.default_rng(5)

    def fresh():
        space = object.__new__(sim.world.spatial.Space)
        space.map, space._positions, space._pairs, space._trees = SimpleNamespace(cell_km=cell_km), {}, {}, {}
        return space

    for trial in range(40):
        range_km = (3.0, 2.5)[trial % 2]
        a = tuple(map(tuple, rng.integers(0, 30, size=(int(rng.integers(1, 200)), 2)).tolist()))
        b = tuple(map(tuple, rng.integers(0, 30, size=(int(rng.integers(1, 200)), 2)).tolist()))
        results = []
        for threshold in (10**12, -1):  # every distance measured; KD-trees
            monkeypatch.setattr(sim.world.spatial, "MEASURED_PAIRS", threshold)
            space = fresh()
            results.append(([v.tolist() for v in space.pairs_within("a", a, "b", b, range_km)],
                            space.count_within(a, "b", b, range_km).tolist()))
        assert results[0][0] == results[1][0], f"{cell_km} km, range {range_km}: pairs differ between the two ways"
        assert results[0][1] == results[1][1], f"{cell_km} km, range {range_km}: counts differ between the two ways"


def test_a_kept_kd_tree_is_rebuilt_exactly_when_the_cells_change(campaign):
    space = campaign.space
    first = space.kd_tree("test", ((1, 2), (3, 4)))
    assert space.kd_tree("test", ((1, 2), (3, 4))) is first, "the same cells should reuse the kept tree"
    moved = space.kd_tree("test", ((1, 2), (3, 5)))
    assert moved is not first and np.array_equal(moved.data, np.array([[1, 2], [3, 5]]) * campaign.map.cell_km), \
        "moved cells should give a new tree of their positions in km"


def test_kept_pairs_in_range_are_the_pairs_of_the_cells_as_they_are_now(campaign):
    """`pairs_within` keeps the pairs while both sides' cells are unchanged, and finds them
    again when either side moves: a range of 2.5 cells pairs (0,0)-(0,2) (2 cells) and not
    (0,0)-(3,0) (3 cells) until (3,0) moves to (2,1) (√5 cells)."""
    space, km = campaign.space, campaign.map.cell_km
    a, b = ((0, 0),), ((0, 2), (3, 0))
    first = space.pairs_within("test a", a, "test b", b, 2.5 * km)
    assert list(zip(*(v.tolist() for v in first), strict=True)) == [(0, 0)], "only (0,0)-(0,2) is within 2.5 cells"
    assert space.pairs_within("test a", a, "test b", b, 2.5 * km) is first, (
        "unchanged cells should reuse the kept pairs")
    moved = space.pairs_within("test a", a, "test b", ((0, 2), (2, 1)), 2.5 * km)
    assert list(zip(*(v.tolist() for v in moved), strict=True)) == [(0, 0), (0, 1)], (
        "after (3,0) moved to (2,1), √5 cells away (< 2.5), both of side b's cells should be in range")


def test_urban_cells_are_the_maps_urban_cells_as_python_lists(campaign):
    """`Space.urban_cells` (the rows `cover_factor` reads a unit's cell in): True exactly where
    the map's terrain is urban, for every cell of the map."""
    from sim.geography import Terrain

    urban = campaign.space.urban_cells()
    assert np.array_equal(np.array(urban), campaign.map.terrain == Terrain.URBAN), (
        "the urban rows differ from the map's urban terrain")
    assert 0 < np.array(urban).sum() < campaign.map.terrain.size, "the map has urban and other cells"


def test_a_legs_tries_are_taken_in_order_from_one_batch_of_draws_per_stream(campaign):
    """`random_cell_near` takes its four tries from a batch of INDEX_BATCH offsets drawn at once
    per stream and disc (`IndexBatches`): 64 legs from one draw, in the batch's order, a second
    stream its own."""
    calls = []

    class Stream:
        def integers(self, n, size):
            calls.append((n, size))
            return np.arange(len(calls) * 1000, len(calls) * 1000 + size) % n

    space, one, two, batch = campaign.space, Stream(), Stream(), sim.streams.INDEX_BATCH
    taken = [space._offsets.take(one, 5000) for _ in range(batch // 4)]
    assert calls == [(5000, batch)], "one draw for a batch of legs"
    assert sum(taken, []) == list(range(1000, 1000 + batch)), "in the batch's order"
    assert space._offsets.take(two, 5000) == [2000, 2001, 2002, 2003] and len(calls) == 2, "another stream, another batch"
    assert space._offsets.take(one, 5000) == [3000, 3001, 3002, 3003], "a spent batch is drawn again"
