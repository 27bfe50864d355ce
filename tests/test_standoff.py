"""Checkpoint standoffs (sim/rules/checkpoint_blockade.py, ODD §3.3 *Checkpoint blockade*): the seed
event and how standoffs end by force ratio and by the convoy's orders. Scientific tests, over seeded replicates (seeds
1..N, paired: common random numbers across arms).

The convoy departs on day 1 and is halted at about 02:00; a standoff lasts at most
max_wait_hours = 24 h, so these runs go on to day 2.5, past the end of any standoff (and of the
mobilisation that settles it)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import yaml
from worlds import outcome, standoff

from sim.model import CorridorModel
from sim.scenario import load_scenario

from conftest import SCENARIOS, paired_difference, replicate_summaries

N = 30
SHORT = (("map.cell_km", 2.0), ("time.duration_days", 2.5))  # 2 km cells: the same outcomes, 4× cheaper
# the force-ratio checks: coarse cells, and every convoy stopped, so that only the standoff decides
N_COARSE = 12
COARSE = (("map.cell_km", 2.0), ("time.step_hours", 1), ("time.duration_days", 2.5),
          ("rules.checkpoint_blockade.stop_probability", 1.0))
CONVOY = "forces[7].strength"
RADIUS = "rules.checkpoint_blockade.reinforce_radius_km"
RATIO = "rules.checkpoint_blockade.withdraw_when_outnumbered"
pytestmark = pytest.mark.xdist_group("convoy")


def outcome_share(scenario: str, outcome: str, overrides=SHORT) -> float:
    runs = replicate_summaries(scenario, N, overrides)
    return sum(r["convoy_R1"] == outcome for r in runs) / len(runs)


def coarse(*overrides, n: int = N_COARSE) -> list[dict]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # places nudged off the river at 2 km
        return replicate_summaries("albu_kamal_blockade.yaml", n, COARSE + overrides)


def got_through(runs: list[dict]) -> np.ndarray:
    return np.array([r["convoy_R1"] == "arrived" for r in runs], dtype=float)


def withdrew(runs: list[dict]) -> np.ndarray:
    return np.array([r["convoy_R1"] == "withdrew" for r in runs], dtype=float)


def test_blockade_halts_the_convoy_and_it_withdraws_in_most_runs():
    share = outcome_share("albu_kamal_blockade.yaml", "withdrew")
    # stop probability 0.9, and a stopped 60-fighter convoy is outnumbered once the militias called
    # in arrive (490 against 60): the expected share is 0.9; 0.8 is 1.8 binomial s.e. below it.
    # Without the mobilisation the 40 at the checkpoint could not turn it back (1.5 : 1 for the convoy).
    assert share >= 0.8, f"expected the convoy to withdraw in ≥80% of {N} runs, got {share:.0%}"


def test_open_road_lets_the_convoy_reach_the_crossing_in_most_runs():
    share = outcome_share("open_road.yaml", "arrived")
    assert share >= 0.8, f"expected the convoy to arrive in ≥80% of {N} runs, got {share:.0%}"


def test_raising_the_stop_probability_does_not_raise_arrivals():
    low = outcome_share("albu_kamal_blockade.yaml", "arrived",
                        SHORT + (("rules.checkpoint_blockade.stop_probability", 0.3),))
    high = outcome_share("albu_kamal_blockade.yaml", "arrived")  # the scenario's own 0.9
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


# --- the force ratio settles the standoff ---------------------------------------------------


def test_a_convoy_twice_the_defenders_gets_through_and_one_at_half_withdraws():
    # 490 militia fighters can reach the Albu Kamal checkpoint within 15 km, a few hundred more
    # from further: 1,300 stay (they do not withdraw at ~2 : 1 in their favour), and when their
    # wait runs out the checkpoint gives way with probability 1 / (1 + exp(−ln(C/D ÷ 1.5) / 0.4)),
    # about 0.7 at C/D ≈ 2.2
    strong, weak = coarse((CONVOY, 1300)), coarse((CONVOY, 245))
    assert got_through(strong).mean() > 0.5, f"1,300 fighters got through in {got_through(strong).mean():.0%}"
    assert withdrew(weak).mean() > 0.5, f"245 fighters withdrew in {withdrew(weak).mean():.0%}"
    assert all(r["checkpoint_blockade.stopped"] == 1 for r in strong + weak), "every convoy is stopped first"


def test_a_small_reinforcement_radius_lets_a_mid_size_convoy_through():
    # 350 fighters: against the ~200 within reach when nobody is called (2 km), they seldom
    # withdraw (p ≈ 0.08) and the checkpoint gives way at the end of the wait with p ≈ 0.6, so
    # about half get through; against the ~500 or more the 15 km call gathers, almost none do
    wide, narrow = coarse((CONVOY, 350)), coarse((CONVOY, 350), (RADIUS, 2))
    diff, se = paired_difference(got_through(wide), got_through(narrow))
    assert diff - 2 * se > 0, f"passage rose by {diff:+.0%} ± {2 * se:.0%} when the radius fell from 15 to 2 km"


# Paired seeds for the test below. With nobody called (2 km), a convoy of C fighters facing D gets
# through with p(C, D) = σ((x + ln r)/s) · σ((x − ln r)/s), x = ln(C/D), s = 0.4: it does not
# withdraw at the judgement, then the checkpoint gives way when the wait runs out (ODD §3.3, rules
# 4 and 5), or at once when C ≥ 3·D. At the ~200 defenders within reach, p(250) = 0.828 × 0.388 =
# 0.32 at r = 1.5 and 0.964 × 0.100 = 0.10 at r = 3 (−0.22 per seed), p(150) = 0.573 × 0.150 =
# 0.09 (+0.23 from 150 to 250). Seeds whose deployment leaves ≤ 83 within reach give way at once
# to 250 whatever r; allowing a quarter of them, the ratio's paired effect is ≈ −0.17, with
# sd ≈ √(0.17 × 0.83) ≈ 0.38 per seed. The assertion |mean| > 2 s.e. then holds with probability
# ≈ Φ(0.17 / (0.38 / √n) − 2): 0.33 at the 12 seeds of the other checks (this test failed there
# once the wait's end became a logistic judgement, commit 5dbf96f), 0.99 at 100.
N_JUDGED = 100


@pytest.mark.slow  # many paired seeds: `make verify`
def test_the_withdrawal_ratio_and_the_convoys_strength_move_the_outcome():
    # raising r (> 1) lowers passage at every D:
    # ∂ ln p / ∂ ln r = (σ(b) − σ(a)) / s < 0, as a = (x + ln r)/s > b = (x − ln r)/s
    base = coarse((CONVOY, 250), (RADIUS, 2), n=N_JUDGED)
    ratio3 = coarse((CONVOY, 250), (RADIUS, 2), (RATIO, 3.0), n=N_JUDGED)
    diff, se = paired_difference(got_through(base), got_through(ratio3))
    assert diff + 2 * se < 0, (f"expected passage to fall (≈ −17 points) when the withdrawal ratio rose from 1.5 "
                               f"to 3, got {diff:+.0%} ± {2 * se:.0%} over {N_JUDGED} paired seeds")
    weaker = coarse((CONVOY, 150), (RADIUS, 2), n=N_JUDGED)
    diff, se = paired_difference(got_through(weaker), got_through(base))
    assert diff - 2 * se > 0, (f"expected passage to rise (≈ +23 points) from 150 to 250 fighters, got "
                               f"{diff:+.0%} ± {2 * se:.0%} over {N_JUDGED} paired seeds")


def test_orders_to_push_fight_through_what_would_otherwise_turn_the_convoy_back():
    # 600 fighters outnumber those at the checkpoint by more than 1.5 (push at once) but not the 490 the
    # militias can gather by 3 (no giving way) nor by 1.5 when the wait runs out (withdraw orders turn back)
    pushed = coarse((CONVOY, 600), ("forces[7].orders.when_stopped", "push"))
    held_back = coarse((CONVOY, 600))
    assert np.mean([r["checkpoint_blockade.fought_through"] for r in pushed]) > 0.5
    assert got_through(pushed).mean() > 0.5 and all(r["incidents_clash"] >= 1 for r in pushed)
    assert withdrew(held_back).mean() > 0.5, "with orders withdraw the same convoy turns back"
    assert all(r["checkpoint_blockade.fought_through"] == 0 for r in held_back), "orders withdraw never fight"


def test_a_checkpoint_gives_way_at_once_to_a_convoy_three_times_all_it_can_gather():
    """1,600 fighters against the ~490 the holder has there and on the way (more than the 3 : 1
    give-way ratio): the checkpoint lets the convoy through within hours of stopping it, not when
    the convoy's 24 h of resolve run out."""
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        loaded = load_scenario("scenarios/albu_kamal_blockade.yaml", overrides=dict(COARSE + ((CONVOY, 1600),)))
    for seed in (1, 2, 3):
        states = CorridorModel(loaded, seed).run().steps[["hours", "convoy_R1"]]
        halted = states.loc[states["convoy_R1"] == "halted", "hours"]
        assert len(halted), f"seed {seed}: the convoy should be stopped (stop probability 1)"
        held_for = halted.max() - halted.min() + loaded.spec.time.step_hours
        assert held_for <= 6, (f"seed {seed}: a convoy at more than 3 : 1 should be let through within 6 h "
                               f"of the stop, it was held {held_for:.0f} h")


@pytest.mark.parametrize("orders, strength, expected", [
    ("{when_stopped: withdraw}", 60, "outnumbered once the defenders had gathered"),
    ("{when_stopped: wait, max_wait_hours: 6}", 60, "its wait ran out"),
    ("{when_stopped: push, max_wait_hours: 2}", 600, None),
])
def test_standoff_orders(tmp_path, orders, strength, expected):
    path = tmp_path / "scenario.yaml"
    path.write_text(f"extends: {SCENARIOS / 'albu_kamal_blockade.yaml'}\n" + """
name: Orders
description: The convoy's orders decide how the standoff ends.
time: {duration_days: 2.5}
rules:
  checkpoint_blockade: {stop_probability: 1.0}
""", encoding="utf-8")
    loaded = load_scenario(path)
    forces = loaded.resolved["forces"]
    index = next(i for i, f in enumerate(forces) if f["kind"] == "convoy")
    loaded = load_scenario(path, overrides={f"forces[{index}].orders": yaml.safe_load(orders),
                                            f"forces[{index}].strength": strength})
    result = CorridorModel(loaded, seed=4).run()
    halted = next(e for e in result.log.entries if e.kind == "standoff")
    ended = next(e for e in result.log.entries if e.hours > halted.hours and e.kind in ("withdrawal", "clash"))
    if expected is not None:
        # 60 fighters against the 40 at the checkpoint, then the 490 called in: 'withdraw' judges the odds
        # once they have gathered (at 8 : 1 it withdraws with probability ≈ 0.99); 'wait' ignores that and stays until its resolve is spent, which at
        # 490 against 60 takes a fraction of max_wait_hours (the wait limit scales with the force ratio)
        assert ended.kind == "withdrawal" and f"({expected})" in ended.text, ended.text
        assert ended.hours - halted.hours <= 6.0 + 1e-9
        assert result.summary["convoy_R1"] == "withdrew"
    else:
        # 600 outnumber the defenders there by more than the push ratio 1.5 but not the 490 the militias can
        # gather by the give-way ratio 3: the convoy forces its way before most reinforcements arrive
        assert ended.kind == "clash" and "forces its way" in ended.text, ended.text
        assert result.summary["checkpoint_blockade.fought_through"] == 1
        assert result.summary["incidents_clash"] >= 1
        assert result.summary["strength_russia"] < result.steps["strength_russia"].iloc[0]


def test_an_empty_checkpoint_lets_the_convoy_drive_on(tmp_path):
    _, rule, _ = standoff(tmp_path, convoy=20, crew=0)
    rule.apply()
    assert outcome(rule) == "gave_way", "D = 0: the convoy drives on"


@pytest.mark.parametrize(("crew", "expected"), [(45, "withdrew"), (44, "waiting")])
def test_the_convoy_withdraws_when_the_defenders_reach_1_5_times_its_strength(tmp_path, crew, expected):
    """Nobody else to call (the defenders have gathered) and the hard threshold (ratio_spread 0)."""
    _, rule, _ = standoff(tmp_path, convoy=30, crew=crew, spread=0.0)
    rule.apply()
    assert outcome(rule) == expected, f"D = {crew} against C = 30: withdraw at D ≥ 45 only"


def test_orders_to_wait_hold_on_while_outnumbered(tmp_path):
    _, rule, _ = standoff(tmp_path, convoy=30, crew=60, orders={"when_stopped": "wait"})
    rule.apply()
    assert outcome(rule) == "waiting", "orders wait skip the withdrawal at 1.5 : 1"


@pytest.mark.parametrize(("called", "expected"), [(0.0, "gave_way"), (1.0, "waiting")])
def test_the_checkpoint_gives_way_when_the_convoy_has_3_times_all_it_can_gather(tmp_path, called, expected):
    """C = 60 against D = 20 at the checkpoint: 3 : 1 gives way, unless 1 more fighter is on the way."""
    _, rule, _ = standoff(tmp_path, convoy=60, crew=20, called=called)
    rule.apply()
    assert outcome(rule) == expected, f"C = 60, D⁺ = {20 + called:g}: give way only at C ≥ 3·D⁺"


@pytest.mark.parametrize(("convoy", "crew", "hours", "expected"), [
    (30, 40, 18, "withdrew"),   # outnumbered: patience 24 × 30/40 = 18 h, then withdraws
    (60, 40, 24, "gave_way"),   # at better than even odds: 24 h, then C ≥ 1.5·D drives on
])
def test_the_resolve_runs_out_after_max_wait_hours_times_the_odds(tmp_path, convoy, crew, hours, expected):
    # D⁺ too large to give way; the 200 called never arrive (no step moves them), so the convoy
    # waits out its patience, then the hard threshold (ratio_spread 0) settles the end of the wait
    _, rule, _ = standoff(tmp_path, convoy=convoy, crew=crew, called=200, spread=0.0)
    for _ in range(hours - 1):
        rule.apply()
    assert outcome(rule) == "waiting", f"the wait lasts {hours} h at 1 h steps, not less"
    rule.apply()
    assert outcome(rule) == expected, f"after {hours} h the resolve is spent: {expected}"
