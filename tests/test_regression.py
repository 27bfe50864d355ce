"""Seeded regression: shipped scenarios at fixed seeds give exactly the stored results.

A refactor must leave `tests/baseline/regression.json` unchanged. A change meant to alter the
model's behaviour refreshes it deliberately (`make baseline`) and commits the diff with it.
"""

import json

import pytest
from regression import BASELINE, CASES, UPDATE_COMMAND, case_id, record

STORED = json.loads(BASELINE.read_text())


@pytest.mark.parametrize("case", CASES, ids=[case_id(*c) for c in CASES])
def test_matches_stored_baseline(case):
    key = case_id(*case)
    assert key in STORED, f"{key} is not in {BASELINE.name}; refresh it with `{UPDATE_COMMAND}`"
    fresh = record(*case)
    stored = STORED[key]
    diffs = {k: (stored["summary"].get(k), v) for k, v in fresh["summary"].items()
             if stored["summary"].get(k) != v}
    assert fresh == stored, (
        f"{key} no longer matches the regression baseline (summary differences, stored → now: "
        f"{diffs or 'none; the step table or event log changed'}). If the change of behaviour is "
        f"intended, refresh the baseline with `{UPDATE_COMMAND}` and commit the diff.")
