"""Invariants of every step, reproducibility, and independence of the random streams."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.geography import Terrain
from sim.model import CorridorModel
from sim.scenario import load_scenario

from conftest import SCENARIOS

SHORT = {"time.duration_days": 3}


@pytest.fixture(scope="module")
def blockade():
    return load_scenario(SCENARIOS / "albu_kamal_blockade.yaml", overrides=SHORT)


def test_every_step_keeps_shares_strengths_and_positions_valid(blockade):
    model = CorridorModel(blockade, seed=3)
    corridor_map = model.map
    rows, cols = corridor_map.shape
    for _ in range(model.n_steps):
        model.step()
        rec = model.recorder.land  # the control map's outputs (sim/submodels/control.py)
        i = model.recorder.rows - 1
        total = rec.area_km2[i].sum() / (rec.land_cells * corridor_map.km2_per_cell) + rec.contested[i] + rec.ungoverned[i]
        assert total == pytest.approx(1.0, abs=1e-9), f"step {i}: shares sum to {total}, expected 1"
        assert (rec.strength[i] >= -1e-9).all(), f"step {i}: negative strength {rec.strength[i]}"
        assert (model.influence.presence >= -1e-6).all(), f"step {i}: negative presence on the grid"
        for unit in model.agents:
            r, c = unit.rc
            assert 0 <= r < rows and 0 <= c < cols, f"{unit.label} outside the map at {unit.rc}"
            assert corridor_map.terrain[r, c] != Terrain.RIVER, f"{unit.label} stands in the river at {unit.rc}"
            assert unit.strength > 0, f"{unit.label} has strength {unit.strength}"
            assert unit.cell.coordinate == unit.rc, f"{unit.label}: Mesa cell and position disagree"


def test_presence_grid_matches_the_units(blockade):
    model = CorridorModel(blockade, seed=5)
    for _ in range(48):
        model.step()
    expected = np.zeros(model.influence.presence.shape[:1] + model.map.shape)
    for unit in model.agents:
        expected[unit.faction][unit.rc] += unit.strength
    assert np.allclose(model.influence.total_presence(), expected, atol=1e-6), \
        "the presence grids drifted from the units' positions and strengths"


def test_same_seed_gives_byte_identical_tables(blockade):
    a = CorridorModel(blockade, seed=11).run()
    b = CorridorModel(blockade, seed=11).run()
    assert a.steps.to_csv(index=False).encode() == b.steps.to_csv(index=False).encode()
    assert a.log.to_jsonl() == b.log.to_jsonl()
    c = CorridorModel(blockade, seed=12).run()
    assert a.log.to_jsonl() != c.log.to_jsonl(), "a different seed should give a different history"


def test_enabling_airstrikes_does_not_change_the_convoy_draws():
    """Independence of the random streams, a mechanism, not a scenario: at 2 km cells (half the
    cost of 1 km; each seed's convoy is halted at the same hour, 26, at either cell size)."""
    fixture = Path(__file__).parent / "fixtures" / "blockade_with_airstrikes_off.yaml"
    coarse = {**SHORT, "map.cell_km": 2.0}
    off = load_scenario(fixture, overrides=coarse)
    on = load_scenario(fixture, overrides={**coarse, "rules.airstrikes.enabled": True})
    strikes = 0
    for seed in range(1, 6):
        plain, struck = CorridorModel(off, seed).run(), CorridorModel(on, seed).run()
        strikes += struck.summary["incidents_airstrike"]
        # the decision and its time, not the fighters present (airstrikes do change those)
        checkpoint = [[(e.hours, "halted" if e.kind == "standoff" else "passed") for e in r.log.entries
                       if e.kind == "standoff" or " passed the " in e.text] for r in (plain, struck)]
        assert checkpoint[0] == checkpoint[1], f"seed {seed}: the checkpoint's draws changed when airstrikes were enabled"
        assert plain.summary["convoy_R1"] != "arrived" or struck.summary["convoy_R1"] == "arrived"
    assert strikes > 0, "the arm with airstrikes enabled saw no strike, so the test proves nothing"


def test_the_model_finds_each_place_once_by_the_name_asked_with_and_it_is_the_maps():
    """`CorridorModel.place` keeps the place found for each name asked with: every place of the
    map by its name, its aliases and its name in capitals, asked twice, is the map's place
    (`find_place`); an unknown name raises KeyError every time it is asked."""
    from conftest import coarse_model

    model = coarse_model("corridor_campaign.yaml")
    names = [(n, p) for p in model.map.places.values() for n in (p.name, p.name.upper(), *p.aliases)]
    assert len(names) > len(model.map.places), "some places have aliases"
    for _ in range(2):
        for name, place in names:
            assert model.place(name) is place is model.map.find_place(name), name
    for _ in range(2):
        with pytest.raises(KeyError):
            model.place("Atlantis")
