"""The tension ledger's fast path (sim/submodels/tension.py, `TensionLedger.update`) against the
rule it shortcuts: a rival pair below `escalate_at` and not hostile has nothing else to decide
(the mechanism's own tests: test_tension.py)."""

from __future__ import annotations

import numpy as np

from conftest import coarse_model


def full_rule(ledger, level, above, escalated, hours) -> None:
    """The former update, every pair through every test, on copies of the ledger's arrays (a
    change of relation only as the flags it sets: `_set`'s other effects are the model's)."""
    spec = ledger.spec
    level *= 0.5 ** (ledger.model.step_hours / 24.0 / spec.half_life_days)
    for i, j in ledger.rival_pairs:
        t = level[i, j]
        if t < spec.escalate_at:
            above[i, j] = np.nan
        elif np.isnan(above[i, j]):
            above[i, j] = hours
        sustained = hours - above[i, j] >= spec.sustain_days * 24.0 - 1e-9
        if not escalated[i, j] and sustained and (ledger.willing[i] or ledger.willing[j]):
            escalated[i, j] = escalated[j, i] = True
        elif escalated[i, j] and t < spec.deescalate_below:
            escalated[i, j] = escalated[j, i] = False


def test_the_tension_update_passing_calm_pairs_by_is_the_full_rule_bit_for_bit():
    """corridor_campaign for 40 days at 2 km / 2 h with tension halving in 2 days and sustained
    for 1 day, and bursts of tension between random rival pairs: before every update the full
    rule on copies of the levels, clocks and hostilities; the update must leave them byte for
    byte the same, and pairs must turn hostile and calm down again."""
    model = coarse_model("corridor_campaign.yaml", days=40.0, **{"tension.half_life_days": 2.0,
                                                                 "tension.sustain_days": 1.0})
    ledger, rng = model.tension, np.random.default_rng(5)
    update = ledger.update

    def checked():
        if rng.random() < 0.08:
            a, b = ledger.rival_pairs[int(rng.integers(len(ledger.rival_pairs)))]
            ledger.level[a, b] = ledger.level[b, a] = ledger.level[a, b] + float(rng.choice([3.0, 10.0, 30.0]))
        level, above, escalated = ledger.level.copy(), ledger.above_since.copy(), ledger.escalated.copy()
        full_rule(ledger, level, above, escalated, model.hours)
        update()
        for name, expected in (("level", level), ("above_since", above), ("escalated", escalated)):
            assert getattr(ledger, name).tobytes() == expected.tobytes(), f"step {model.steps}: {name}"
    ledger.update = checked
    model.run()
    assert ledger.escalations >= 2 and ledger.deescalations >= 2, (ledger.escalations, ledger.deescalations)
