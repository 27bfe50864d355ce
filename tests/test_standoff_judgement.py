"""The convoy judges the odds once the defenders have gathered (sim/rules/checkpoint_blockade.py):
a smooth withdrawal probability in the force ratio, computed by hand, and a withdrawal that
follows the reinforcements' arrival rather than preceding it."""

from __future__ import annotations

import math
from itertools import pairwise
from types import SimpleNamespace

import pytest

from sim.model import CorridorModel
from sim.rules.checkpoint_blockade import CheckpointBlockade
from sim.scenario import load_scenario
from sim.scenario.spec import CheckpointBlockadeParams

from conftest import SCENARIOS


def _p(held, convoy, spread=0.4, ratio=1.5):
    params = CheckpointBlockadeParams(by="a", against=["b"], at=["X"], withdraw_when_outnumbered=ratio,
                                      ratio_spread=spread)
    return CheckpointBlockade.withdraw_probability(SimpleNamespace(params=params), held, convoy)


def test_the_withdrawal_probability_is_logistic_in_the_log_ratio():
    assert _p(150, 100) == pytest.approx(0.5), "at exactly withdraw_when_outnumbered (1.5 : 1) it is a coin toss"
    # 300 against 100: x = ln(3 / 1.5) / 0.4 = 1.733, p = 1 / (1 + e^−1.733) = 0.8498
    assert _p(300, 100) == pytest.approx(1 / (1 + math.exp(-math.log(2) / 0.4)), rel=1e-12)
    assert _p(300, 100) == pytest.approx(0.8498, abs=1e-4)
    # 60 against 100: x = ln(0.6 / 1.5) / 0.4 = −2.29, p = 0.092
    assert _p(60, 100) == pytest.approx(0.0919, abs=1e-4)
    assert _p(149, 100, spread=0) == 0.0 and _p(150, 100, spread=0) == 1.0, "spread 0: the hard threshold"
    shares = [_p(h, 100) for h in range(20, 1000, 20)]
    assert all(b > a for a, b in pairwise(shares)), "more defenders, a likelier withdrawal"
    assert max(b - a for a, b in pairwise(shares)) < 0.1, "no step: 20 more defenders move it < 10 points"


def test_the_convoy_judges_the_ratio_only_after_the_reinforcements_have_arrived():
    """With a hard threshold (ratio_spread 0), the 60-fighter convoy halted by the checkpoint's
    crew (40, below 1.5 × 60) is turned back only because the militia called from 15 km bring
    the defenders to several hundred: judged at the halt, it would stay and wait its resolve out."""
    loaded = load_scenario(SCENARIOS / "albu_kamal_blockade.yaml", overrides={
        "map.cell_km": 2.0, "time.step_hours": 2.0, "time.duration_days": 2,
        "rules.checkpoint_blockade.stop_probability": 1.0, "rules.checkpoint_blockade.ratio_spread": 0.0})
    model = CorridorModel(loaded, seed=1)
    model.run()
    rule = model.rules_by_key["checkpoint_blockade"]
    assert rule.outcomes["withdrew"] == 1 and rule.outcomes["withdrew_after_reinforcement"] == 1, rule.outcomes
    withdrawal = next(e for e in model.log.entries if e.kind == "withdrawal")
    assert "outnumbered once the defenders had gathered" in withdrawal.text, (
        f"the convoy should withdraw on judging the gathered defenders, not when its wait ran out: {withdrawal.text}")


def test_when_the_wait_runs_out_the_checkpoint_gives_way_with_the_logistic_probability(tmp_path):
    """ODD §3.3 *Checkpoint blockade*, rule 5: when the convoy's resolve is spent the checkpoint
    gives way with probability 1 / (1 + exp(−(ln(C/D) − ln r)/s)), else the convoy withdraws.
    C = 45 against D = 20 (below the give-way ratio 3, nobody called), orders to wait 1 h, r = 1.5,
    s = 0.4: by hand p = 1 / (1 + e^(−ln 1.5 / 0.4)) = 0.7337; over 1,000 standoffs, each spent in
    one 1 h step, the share that gave way is within 4·√(p(1 − p)/1,000) ≈ 0.056 of it."""
    import numpy as np
    from worlds import standoff

    model, rule, car = standoff(tmp_path, convoy=45, crew=20, spread=0.4,
                                orders={"when_stopped": "wait", "max_wait_hours": 1.0})
    checkpoint = rule.checkpoints[0]
    for n in range(1000):
        if n:
            checkpoint.encounter(car)
        rule.apply()
        assert not rule.standoffs, "each standoff ends in its one step"
    p = 1.0 / (1.0 + math.exp(-math.log(1.5) / 0.4))
    share = rule.outcomes["gave_way"] / 1000
    assert rule.outcomes["gave_way"] + rule.outcomes["withdrew"] == 1000
    assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / 1000), (
        f"the checkpoint should give way in about {p:.3f} of the standoffs whose wait ran out, gave way in {share:.3f}")
