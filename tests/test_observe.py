"""Observation: the land bridge, and consistency between the table and the model."""

from __future__ import annotations

import numpy as np

from sim.influence import CONTESTED, UNGOVERNED
from sim.model import CorridorModel
from sim.scenario import load_scenario

from conftest import SCENARIOS


def test_land_bridge_needs_its_places_held_and_linked_through_no_rival_ground():
    model = CorridorModel(load_scenario(SCENARIOS / "albu_kamal_blockade.yaml",
                                        overrides={"time.duration_days": 2}), seed=1)
    rec, ids = model.recorder, model.factions.ids
    iran, russia, army = ids.index("iran_militia"), ids.index("russia"), ids.index("syrian_army")
    controller = np.full(model.map.shape, iran, dtype=np.int8)
    assert rec._bridge_open(controller, iran)
    assert rec._bridge_open(controller, army), "an ally's ground counts for the Syrian army"
    assert not rec._bridge_open(controller, russia), "a rival's ground does not count"
    # a band of ungoverned ground between Al-Mayadeen and Albu Kamal: a supply route can cross
    # empty desert, so the bridge stays open; a band held by a rival (or contested) cuts it
    row = (model.place("Al-Mayadeen").cell[0] + model.place("Albu Kamal").cell[0]) // 2
    for code, is_open in ((UNGOVERNED, True), (russia, False), (CONTESTED, False)):
        cut = controller.copy()
        cut[row:row + 2, :] = code
        assert rec._bridge_open(cut, iran) == is_open, f"a band of controller code {code} across the corridor"
    # the places themselves must be held (their footprints, sim/holding.py): ungoverned Albu
    # Kamal closes it; one rival cell on the town's own square does not
    r, c = model.place("Albu Kamal").cell
    empty = controller.copy()
    empty[r - 3:r + 4, c - 3:c + 4] = UNGOVERNED
    assert not rec._bridge_open(empty, iran)
    post = controller.copy()
    post[r, c] = russia
    assert rec._bridge_open(post, iran), "a rival's post on the town's cell does not take the town"
    # half the chain held by the Syrian army, an ally: still open
    mixed = controller.copy()
    mixed[: model.place("Al-Mayadeen").cell[0], :] = army
    assert rec._bridge_open(mixed, iran)


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
