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


def _model(days=2):
    return CorridorModel(load_scenario(SCENARIOS / "albu_kamal_blockade.yaml", overrides={"time.duration_days": days}),
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


def test_the_recorded_land_bridge_is_a_fresh_tracing_on_random_control_maps_changing_row_by_row(monkeypatch):
    """240 rows of albu_kamal_blockade's map, each control map made from the row before's: bands
    of rival, contested, ungoverned or friendly ground across the corridor come and go, single
    cells change hands, now and then a place's footprint is lost; the tracing of another control
    map (`is_open`) comes between rows. Every row each bridge must be what a fresh tracing of the
    map gives, and the kept tracings must have been checked on the changed cells alone on many
    rows, answering and not."""
    from scipy.ndimage import label

    from sim.submodels.control import EIGHT_CONNECTED, LandBridge
    from sim.submodels.influence import UNGOVERNED

    model = _model(days=10)
    rec, ids = model.recorder, model.factions.ids
    bridge = rec.bridge
    rng = np.random.default_rng(12)
    iran, russia = ids.index("iran_militia"), ids.index("russia")
    top, bottom = sorted((model.place("Al-Mayadeen").cell[0], model.place("Albu Kamal").cell[0]))
    k = rec.places.index(model.place("Albu Kamal"))
    footprint = rec.holding.cells[k][rec.holding.valid[k]]
    answers = []
    still = bridge._still
    monkeypatch.setattr(bridge, "_still", lambda *a: answers.append(still(*a)) or answers[-1])

    def fresh(controller, f):
        held = (bridge._passable[f][controller + 2] & model.map.land) | bridge._bridge_footprints
        labels, _ = label(held, structure=EIGHT_CONNECTED)
        ends = [labels[p.cell] for p in bridge.bridge_places]
        return bridge._ends_held(controller, f) and all(e == ends[0] for e in ends)

    controller = np.full(model.map.shape, iran, dtype=np.int8)
    for i in range(240):
        controller = controller.copy()
        event = rng.random()
        row = int(rng.integers(top, bottom))
        if event < 0.1:
            controller[:] = iran
        elif event < 0.35:
            controller[row:row + 2, :] = rng.choice([russia, CONTESTED, UNGOVERNED, iran], p=[0.2, 0.1, 0.2, 0.5])
        elif event < 0.5:  # a gap in a band, or a rival's spot in a corridor
            controller[row:row + 2, int(rng.integers(0, controller.shape[1]))] = rng.choice([UNGOVERNED, russia])
        elif event < 0.6:
            controller.ravel()[footprint] = rng.choice([russia, iran])
        else:
            cells = rng.integers(0, controller.size, size=int(rng.integers(1, 20)))
            controller.ravel()[cells] = rng.choice([russia, CONTESTED, UNGOVERNED, iran], size=len(cells))
        if rng.random() < 0.1:
            bridge.is_open(rng.integers(-2, len(ids), size=controller.shape).astype(np.int8), iran)
        model.influence.controller = controller
        rec.record()
        expected = [fresh(controller, f) for f in bridge.bridge_factions]
        assert bridge.land_bridge[rec.rows - 1].tolist() == expected, f"row {i}: {event:.2f}"
    assert isinstance(bridge, LandBridge) and answers.count(None) >= 10 and len(answers) - answers.count(None) >= 10, (
        f"the kept tracings must answer on the changed cells and give way to a tracing often: {answers}")
    assert (np.diff(bridge.land_bridge[:rec.rows], axis=0) != 0).sum() >= 10, "bridges must open and close often"


def test_a_change_turning_ground_passable_or_not_is_found_in_python_as_by_the_array_check():
    """`turned` (the land bridge's check, in Python, of the few cells a row changes) must answer
    as the array expressions it replaces, `(passable[now] & ~passable[was]).any()` into passable
    and `(passable[was] & ~passable[now]).any()` out of it, on 2,000 random code tables and
    changes of 0 to 12 cells, both ways."""
    from sim.submodels.control import turned

    rng = np.random.default_rng(11)
    answers = set()
    for _ in range(2000):
        passable = rng.random(int(rng.integers(3, 9))) < 0.5
        was, now = rng.integers(0, len(passable), size=(2, int(rng.integers(0, 13))))
        codes = list(zip(was.tolist(), now.tolist(), strict=True))
        for into, expected in ((True, (passable[now] & ~passable[was]).any()),
                               (False, (passable[was] & ~passable[now]).any())):
            assert turned(tuple(passable.tolist()), codes, into=into) == bool(expected), (passable, codes, into)
            answers.add((into, bool(expected)))
    assert len(answers) == 4, "both answers, both ways"
