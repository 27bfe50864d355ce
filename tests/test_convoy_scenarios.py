"""Scientific tests of the seed event, over 30 seeded replicates (seeds 1..30, paired).

The convoy departs on day 1 and its fate is settled within hours, so these runs stop at day 2."""

from __future__ import annotations

import pytest

from conftest import replicate_summaries

N = 30
SHORT = (("time.duration_days", 2),)
pytestmark = pytest.mark.xdist_group("convoy")


def outcome_share(scenario: str, outcome: str, overrides=SHORT) -> float:
    runs = replicate_summaries(scenario, N, overrides)
    return sum(r["convoy_R1"] == outcome for r in runs) / len(runs)


def test_blockade_halts_the_convoy_and_it_withdraws_in_most_runs():
    share = outcome_share("albu_kamal_blockade.yaml", "withdrew")
    # stop probability 0.9: the expected share is 0.9; 0.8 is 1.8 binomial s.e. below it
    assert share >= 0.8, f"expected the convoy to withdraw in ≥80% of {N} runs, got {share:.0%}"


def test_open_road_lets_the_convoy_reach_the_crossing_in_most_runs():
    share = outcome_share("open_road.yaml", "arrived")
    assert share >= 0.8, f"expected the convoy to arrive in ≥80% of {N} runs, got {share:.0%}"


def test_raising_the_stop_probability_does_not_raise_arrivals():
    low = outcome_share("albu_kamal_blockade.yaml", "arrived",
                        SHORT + (("rules.checkpoint_blockade.stop_probability", 0.3),))
    high = outcome_share("albu_kamal_blockade.yaml", "arrived",
                         SHORT + (("rules.checkpoint_blockade.stop_probability", 0.9),))
    # common random numbers: each replicate's stop draw u is shared, and u < 0.3 ⇒ u < 0.9
    assert high <= low, f"arrivals rose from {low:.0%} to {high:.0%} when the stop probability rose"
    assert low - high >= 0.3, f"expected a clear drop in arrivals (≈60 points), got {low:.0%} → {high:.0%}"


def test_withdrawing_convoys_head_back_toward_al_mayadeen():
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    loaded = load_scenario("scenarios/albu_kamal_blockade.yaml", overrides=dict(SHORT))
    for seed in range(1, 6):
        model = CorridorModel(loaded, seed)
        result = model.run()
        if result.summary["convoy_R1"] != "withdrew":
            continue
        texts = [e.text for e in result.log.entries if e.kind == "withdrawal"]
        assert any("toward Al-Mayadeen" in t for t in texts), f"seed {seed}: no withdrawal toward Al-Mayadeen in {texts}"
        convoy = model.convoys[0]
        start = model.place("Al-Mayadeen").cell
        crossing = model.place("Albu Kamal crossing").cell
        d_start = abs(convoy.rc[0] - start[0]) + abs(convoy.rc[1] - start[1])
        d_cross = abs(convoy.rc[0] - crossing[0]) + abs(convoy.rc[1] - crossing[1])
        assert d_start < d_cross, f"seed {seed}: withdrawn convoy at {convoy.rc} is nearer the crossing than Al-Mayadeen"
        return
    pytest.fail("no replicate among seeds 1–5 withdrew")
