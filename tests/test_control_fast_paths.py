"""The land shares count the governed land from the cells the classification found
(sim/submodels/control.py `LandShares._governed_land`, `InfluenceField.governed`): they must be
the cells a fresh look at the control map finds, in the same order."""

import numpy as np

from sim.model import CorridorModel
from sim.scenario import load_scenario
from sim.submodels.influence import CONTESTED

from conftest import SCENARIOS


def _fresh(influence, land):
    return np.flatnonzero((influence.controller.ravel() >= CONTESTED) & land.ravel())


def _model():
    return CorridorModel(load_scenario(SCENARIOS / "albu_kamal_blockade.yaml", overrides={"time.duration_days": 2}),
                         seed=2)


def test_the_governed_land_is_what_a_fresh_look_finds_at_every_step_of_a_seeded_run():
    """albu_kamal_blockade for 2 days (seed 2): at every row the land shares record, the governed
    land from the classification's cells is byte for byte the fresh look's, and the rows' areas
    are what the fresh cells give."""
    model = _model()
    land = model.recorder.land
    record, rows = land.record, []

    def checked(i, changed):
        cells = land._governed_land(model.influence)
        assert cells.tobytes() == _fresh(model.influence, model.map.land).tobytes(), f"row {i}"
        record(i, changed)
        codes = model.influence.controller.ravel()[cells]
        counts = np.bincount(codes[codes >= 0], minlength=len(model.factions))
        assert (land.area_km2[i] == counts * model.map.km2_per_cell).all(), f"row {i}: the areas"
        rows.append(i)

    land.record = checked
    model.run()
    assert len(rows) == model.n_steps, "every step's row checked"


def test_the_governed_land_is_what_a_fresh_look_finds_on_random_fields_and_on_a_map_set_from_outside():
    """The classification of 30 random influence fields (values drawn from a few levels around
    the threshold, so cells above it, below it and tied with it occur); then a control map set from
    outside the classification (as tests and the teaching app may), which must be looked at afresh."""
    model = _model()
    influence, land = model.influence, model.recorder.land
    rng = np.random.default_rng(4)
    levels = np.array([0.0, 0.5, 1.0, 2.0]) * influence.threshold
    for _ in range(30):
        influence.influence = rng.choice(levels, size=influence.influence.shape) * rng.choice([1.0, 3.0])
        influence._classify()
        cells = land._governed_land(influence)
        assert cells.tobytes() == _fresh(influence, model.map.land).tobytes()
        assert 0 < len(cells) < model.map.land.sum(), "governed and ungoverned land both occur"
    outside = influence.controller.copy()
    outside[outside >= CONTESTED] = CONTESTED
    outside[: outside.shape[0] // 2] = 0
    influence.controller = outside
    assert land._governed_land(influence).tobytes() == _fresh(influence, model.map.land).tobytes()
