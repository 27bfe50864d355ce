"""Observation: the land bridge, and consistency between the table and the model."""

from __future__ import annotations

import numpy as np

from sim.model import CorridorModel
from sim.scenario import load_scenario
from sim.submodels.influence import CONTESTED, UNGOVERNED

from conftest import SCENARIOS


def test_land_bridge_needs_its_places_held_and_linked_through_no_rival_ground():
    model = CorridorModel(load_scenario(SCENARIOS / "albu_kamal_blockade.yaml",
                                        overrides={"time.duration_days": 2}), seed=1)
    rec, ids = model.recorder, model.factions.ids
    iran, russia, army = ids.index("iran_militia"), ids.index("russia"), ids.index("syrian_army")
    controller = np.full(model.map.shape, iran, dtype=np.int8)
    assert rec.bridge.is_open(controller, iran)
    assert rec.bridge.is_open(controller, army), "an ally's ground counts for the Syrian army"
    assert not rec.bridge.is_open(controller, russia), "a rival's ground does not count"
    # a band of ungoverned ground between Al-Mayadeen and Albu Kamal: a supply route can cross
    # empty desert, so the bridge stays open; a band held by a rival (or contested) cuts it
    row = (model.place("Al-Mayadeen").cell[0] + model.place("Albu Kamal").cell[0]) // 2
    for code, is_open in ((UNGOVERNED, True), (russia, False), (CONTESTED, False)):
        cut = controller.copy()
        cut[row:row + 2, :] = code
        assert rec.bridge.is_open(cut, iran) == is_open, f"a band of controller code {code} across the corridor"
    # the places themselves must be held (their footprints, sim/submodels/holding.py): ungoverned Albu
    # Kamal closes it; one rival cell on the town's own square does not
    r, c = model.place("Albu Kamal").cell
    empty = controller.copy()
    empty[r - 3:r + 4, c - 3:c + 4] = UNGOVERNED
    assert not rec.bridge.is_open(empty, iran)
    post = controller.copy()
    post[r, c] = russia
    assert rec.bridge.is_open(post, iran), "a rival's post on the town's cell does not take the town"
    # half the chain held by the Syrian army, an ally: still open
    mixed = controller.copy()
    mixed[: model.place("Al-Mayadeen").cell[0], :] = army
    assert rec.bridge.is_open(mixed, iran)


def test_table_matches_the_model_at_the_end():
    model = CorridorModel(load_scenario(SCENARIOS / "albu_kamal_blockade.yaml",
                                        overrides={"time.duration_days": 2}), seed=3)
    result = model.run()
    last = result.steps.iloc[-1]
    for f, faction in enumerate(model.factions.ids):
        expected = sum(u.strength for u in model.agents if u.faction == f)
        assert abs(last[f"strength_{faction}"] - expected) < 1e-6
        held = int(((model.influence.controller == f) & model.map.land).sum())
        assert abs(last[f"area_km2_{faction}"] - held * model.map.km2_per_cell) < 1e-9
    assert last["holder_Albu Kamal"] == "iran_militia"


def test_recording_what_changed_gives_the_rows_a_full_observation_gives():
    """The recorder copies the control columns when no cell changed hands and traces a land
    bridge again only when a changed cell matters to it; a second recorder that observes
    everything afresh at every step must give the same rows, byte for byte, over a seeded run in
    which control, bridges and strengths change. Each row's strengths are every faction's
    fighters on the map then: the presence's sum, to the rounding of `faction_strength`'s
    running total."""
    from sim.results.recorder import Recorder

    loaded = load_scenario(SCENARIOS / "corridor_campaign.yaml", overrides={
        "map.cell_km": 2.0, "time.step_hours": 2, "time.duration_days": 12})
    model = CorridorModel(loaded, seed=3)
    full = Recorder(model, 24.0)
    full.record()
    columns = (("land", "area_km2"), ("land", "value_share"), ("land", "contested"),
               ("land", "ungoverned"), ("held", "holder"), ("bridge", "land_bridge"))
    strength = [model.influence.presence.sum(axis=(1, 2, 3))]  # every faction's, summed afresh
    for _ in range(model.n_steps):
        model.step()
        full._controller_seen = None  # observe everything afresh
        full.record()
        strength.append(model.influence.presence.sum(axis=(1, 2, 3)))
    np.testing.assert_allclose(model.recorder.strength, np.array(strength), rtol=1e-12, atol=1e-9,
                               err_msg="each row's strengths should be the presence's sum at that step")
    for outputs, name in columns:
        kept, fresh = getattr(getattr(model.recorder, outputs), name), getattr(getattr(full, outputs), name)
        assert kept.tobytes() == fresh.tobytes(), f"{name}: rows {np.flatnonzero((kept != fresh).reshape(len(kept), -1).any(axis=1))[:5]} differ"
    assert len(np.unique(model.recorder.area_km2, axis=0)) > 10, "control should change during the run"
    assert model.recorder.bridge.land_bridge.any() and not model.recorder.bridge.land_bridge.all(), \
        "some land bridge should open or close during the run, so that tracing it again is tested"


def test_the_recorded_land_bridge_follows_a_band_of_rival_ground_that_comes_and_goes():
    """Row by row the recorder traces a bridge again only when the change could matter: a band
    held by a rival across the corridor must close an open bridge, one ungoverned gap in it
    must open it again, and a place's footprint lost must close it, in that order."""
    model = CorridorModel(load_scenario(SCENARIOS / "albu_kamal_blockade.yaml",
                                        overrides={"time.duration_days": 2}), seed=1)
    rec, ids = model.recorder, model.factions.ids
    iran, russia = ids.index("iran_militia"), ids.index("russia")
    j = rec.bridge.bridge_factions.index(iran)
    row = (model.place("Al-Mayadeen").cell[0] + model.place("Albu Kamal").cell[0]) // 2
    held = np.full(model.map.shape, iran, dtype=np.int8)
    band = held.copy()
    band[row:row + 2, :] = russia
    gap = band.copy()
    gap[row:row + 2, np.flatnonzero(model.map.land[row] & model.map.land[row + 1])[0]] = UNGOVERNED
    lost = gap.copy()
    k = rec.places.index(model.place("Albu Kamal"))
    lost.ravel()[rec.holding.cells[k][rec.holding.valid[k]]] = russia  # its whole footprint
    for name, controller, is_open in (("held", held, True), ("band", band, False), ("gap", gap, True),
                                      ("band", band, False), ("held", held, True), ("lost", lost, False)):
        model.influence.controller = controller
        rec.record()
        assert rec.bridge.land_bridge[rec.rows - 1, j] == is_open, f"{name}: the bridge should be {'open' if is_open else 'closed'}"


def test_the_holder_columns_name_every_code_as_holder_name_does():
    """The step table's `holder_<place>` columns are looked up for all rows at once: every code
    (ungoverned, contested, each faction) in every place's column must read as `holder_name`
    gives it, value by value."""
    from sim.submodels.control import holder_name

    model = CorridorModel(load_scenario(SCENARIOS / "albu_kamal_blockade.yaml",
                                        overrides={"time.duration_days": 2}), seed=1)
    held, ids = model.recorder.held, model.factions.ids
    codes = np.arange(UNGOVERNED, len(ids), dtype=np.int8)
    rows = len(codes) * 2
    held.holder[:rows] = [[codes[(r + j) % len(codes)] for j in range(len(held.places))] for r in range(rows)]
    table = held.table(slice(0, rows))
    for j, place in enumerate(held.places):
        assert table[f"holder_{place.name}"] == [holder_name(int(c), ids) for c in held.holder[:rows, j]], place.name
    assert {"ungoverned", "contested", *ids} <= set(table[f"holder_{held.places[0].name}"]), "every code appears"


def test_a_kept_tracing_of_the_land_bridge_answers_as_a_fresh_one_on_any_control_map(monkeypatch):
    """`LandBridge` keeps each faction's last tracing with the cells its answer rests on: over
    300 control maps, each the one before with a few random rectangles given to a random
    holder (bands across the corridor among them), the answer must be that of labelling the
    map afresh, for every bridge faction, and the kept tracing must spare some labelling."""
    from scipy.ndimage import label

    import sim.submodels.control as control

    model = CorridorModel(load_scenario(SCENARIOS / "albu_kamal_blockade.yaml",
                                        overrides={"time.duration_days": 2}), seed=1)
    bridge, ids = model.recorder.bridge, model.factions.ids
    rows, cols = model.map.shape
    ends = [p.cell for p in bridge.bridge_places]
    codes = [CONTESTED, UNGOVERNED, *range(len(ids))]
    labelled = []
    monkeypatch.setattr(control, "label", lambda *a, **k: labelled.append(1) or label(*a, **k))
    rng = np.random.default_rng(23)
    controller = np.full(model.map.shape, ids.index("iran_militia"), dtype=np.int8)
    answers = []
    for _ in range(300):
        for _ in range(int(rng.integers(1, 4))):
            r, c = int(rng.integers(rows)), int(rng.integers(cols))
            h, w = (2, cols) if rng.random() < 0.3 else (int(rng.integers(1, 12)), int(rng.integers(1, 12)))
            controller[r:r + h, c:c + w] = codes[int(rng.integers(len(codes)))]
        for f in bridge.bridge_factions:
            held = (bridge._passable[f][controller + 2] & model.map.land) | bridge._bridge_footprints
            labels, _ = label(held, structure=np.ones((3, 3), dtype=bool))
            fresh = all(labels[rc] == labels[ends[0]] for rc in ends[1:])
            assert bridge._linked_through(controller, f) == fresh, f"faction {ids[f]}"
            answers.append(fresh)
    assert any(answers) and not all(answers), "the bridges should be linked on some maps and cut on others"
    assert len(labelled) < len(answers), "the kept tracings should spare some labelling"
