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
