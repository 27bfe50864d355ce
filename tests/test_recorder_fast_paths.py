"""The recorder's fast paths (sim/results/recorder.py and the outputs it asks) against the
computations they replace, byte for byte over seeded runs. (The rows of the control columns, a
row whose control map is the same object taken for one where nothing changed hands among them,
are checked against a full observation in tests/test_observe.py.)"""

from __future__ import annotations

import numpy as np

from conftest import coarse_model


def test_each_rival_pairs_tension_gathered_into_its_row_is_the_ledgers_bit_for_bit():
    """corridor_campaign for 30 days at 2 km / 2 h (incidents between rivals, tension decaying
    every step): each row's tension and hostility of every rival pair, gathered by flat index
    straight into the row, must be, byte for byte, the ledger's (F, F) arrays at that pair's row
    and column then."""
    model = coarse_model("corridor_campaign.yaml", days=30.0)
    ledger, record = model.tension, model.recorder.outputs[2]
    expected = []

    def observed():
        expected.append([(ledger.level[a, b], ledger.escalated[a, b]) for a, b in ledger.rival_pairs])
        recorded()
    recorded, model.recorder.record = model.recorder.record, observed
    model.run()
    tension = np.array([[t for t, _ in row] for row in expected])
    hostile = np.array([[h for _, h in row] for row in expected])
    rows = slice(1, model.recorder.rows)
    assert record.tension[rows].tobytes() == tension.tobytes() and record.hostile[rows].tobytes() == hostile.tobytes()
    assert len(np.unique(tension, axis=0)) > 100, "the tension must move for the check to mean anything"
    rng = np.random.default_rng(4)  # and every pair with a tension of its own, some hostile
    for _ in range(20):
        level = rng.random(ledger.level.shape)
        ledger.level, ledger.escalated = level + level.T, rng.random(ledger.level.shape) < 0.5
        record.record(0, None)
        pairs = tuple(np.array(ledger.rival_pairs).T)
        assert record.tension[0].tobytes() == ledger.level[pairs].tobytes()
        assert record.hostile[0].tobytes() == ledger.escalated[pairs].tobytes()
    assert len(ledger.rival_pairs) > 2


def test_the_land_shares_counted_in_python_ints_are_the_array_formulas_bit_for_bit():
    """corridor_campaign for 30 days at 2 km / 2 h (control changing hands every few steps): every
    row's areas, contested and ungoverned shares and value shares must be, byte for byte, the
    former array formulas over the governed land cells (counts as int64 arrays, areas and shares
    divided in numpy)."""
    from sim.submodels.influence import CONTESTED, UNGOVERNED

    model = coarse_model("corridor_campaign.yaml", days=30.0)
    land, nf = model.recorder.outputs[0], len(model.factions)
    record, rows = land.record, []

    def checked(i, changed):
        record(i, changed)
        cells = np.flatnonzero((model.influence.controller.ravel() >= CONTESTED) & model.map.land.ravel())
        codes = model.influence.controller.ravel()[cells].astype(np.intp) + 2
        counts = np.bincount(codes, minlength=nf + 2)
        counts[UNGOVERNED + 2] = land.land_cells - counts.sum()
        weighted = np.bincount(codes, weights=land._value_flat[cells], minlength=nf + 2)
        for got, expected in ((land.area_km2[i], counts[2:] * model.map.km2_per_cell),
                              (land.contested[i], counts[CONTESTED + 2] / land.land_cells),
                              (land.ungoverned[i], counts[UNGOVERNED + 2] / land.land_cells),
                              (land.value_share[i], weighted[2:] / land._value_total)):
            assert np.asarray(got).tobytes() == np.asarray(expected).tobytes(), f"row {i}: {got} != {expected}"
        rows.append(land.area_km2[i].tobytes())
    land.record = checked
    model.run()
    assert len(rows) == model.n_steps and len(set(rows)) > 20, "every step's row checked, control changing"
