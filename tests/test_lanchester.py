"""Verification: attrition converges to Lanchester's analytic results in the well-mixed limit."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.submodels.engagement import linear_law, square_law


def fight_to_the_end(law, a, b, alpha, beta, step_hours):
    hours = 0.0
    while a > 1e-9 and b > 1e-9 and hours < 1e6:
        a, b = law(a, b, alpha, beta, step_hours)
        hours += step_hours
    return a, b


@pytest.mark.parametrize("step_hours", [0.25, 1.0, 6.0, 24.0])
def test_square_law_leaves_600_of_1000_against_800(step_hours):
    a, b = fight_to_the_end(square_law, 1000.0, 800.0, 0.02, 0.02, step_hours)
    assert b == 0.0
    assert a == pytest.approx(600.0, rel=0.03), f"aimed fire: expected ≈600 survivors (√(1000²−800²)), got {a:.1f}"


@pytest.mark.parametrize("step_hours", [0.25, 1.0, 6.0, 24.0])
def test_linear_law_leaves_200_of_1000_against_800(step_hours):
    a, b = fight_to_the_end(linear_law, 1000.0, 800.0, 0.0002, 0.0002, step_hours)
    assert b < 1e-6
    assert a == pytest.approx(200.0, rel=0.03), f"area fire: expected ≈200 survivors (1000−800), got {a:.1f}"


def test_square_law_conserves_its_invariant_with_unequal_effectiveness():
    alpha, beta = 0.03, 0.012
    a, b = 500.0, 900.0
    before = alpha * a * a - beta * b * b
    a2, b2 = square_law(a, b, alpha, beta, 3.0)
    after = alpha * a2 * a2 - beta * b2 * b2
    assert after == pytest.approx(before, rel=1e-9), "αA² − βB² must be conserved under aimed fire"
    assert a2 < a and b2 < b


def test_step_length_does_not_change_the_outcome_of_a_partial_fight():
    one = square_law(1000.0, 800.0, 0.02, 0.02, 10.0)
    a, b = 1000.0, 800.0
    for _ in range(10):
        a, b = square_law(a, b, 0.02, 0.02, 1.0)
    assert math.isclose(a, one[0], rel_tol=1e-9) and math.isclose(b, one[1], rel_tol=1e-9)


def test_no_negative_strength_when_a_side_is_wiped_out_mid_step():
    a, b = square_law(1000.0, 10.0, 0.5, 0.5, 24.0)
    assert b == 0.0 and a > 0.0
    a, b = linear_law(10.0, 1000.0, 0.01, 0.01, 24.0)
    assert 0.0 <= a < 1e-6 and b == pytest.approx(990.0)



@pytest.mark.parametrize(("law", "rate_key", "rate"), [
    ("aimed", "engagement.kill_rate_per_day", 0.05),
    ("area", "engagement.area_kill_rate_per_day", 0.0005),
])
def test_the_engagement_step_keeps_lanchesters_invariant_in_the_well_mixed_limit(law, rate_key, rate):
    """Through the model's own engagement stage (range search, battle grouping, losses shared
    over units), not the closed-form functions alone: 1,000 against 800 in contact, fought
    until the 800 are down to a tenth. Aimed fire conserves A² − B² (so ≈600 survive a fight
    to the end), area fire A − B (≈200 survive)."""
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    loaded = load_scenario(Path(__file__).parent / "fixtures" / "well_mixed_battle.yaml",
                           overrides={"engagement.law": law, rate_key: rate})
    model = CorridorModel(loaded)
    blue, red = (model.factions.index(f) for f in ("blue", "red"))
    assert model.faction_strength(blue) == pytest.approx(1000) and model.faction_strength(red) == pytest.approx(800)
    while model.faction_strength(red) > 80 and model.steps < model.n_steps:
        model.step()
    a, b = model.faction_strength(blue), model.faction_strength(red)
    assert b <= 80, f"{law} fire: the 800 should be down to a tenth within 60 days, {b:.0f} left"
    # the same fight in the closed form, hour by hour, at the scenario's rate per day
    closed, x, y, hours = (square_law if law == "aimed" else linear_law), 1000.0, 800.0, 0.0
    while y > 80:
        x, y = closed(x, y, rate / 24.0, rate / 24.0, 1.0)
        hours += 1.0
    assert abs(model.hours - hours) <= 0.05 * hours + 1, (
        f"{law} fire at {rate:g} per day should take {hours:.0f} h to bring 800 down to 80; the "
        f"engagement step took {model.hours:.0f} h (a rate applied per step, not per day?)")
    survivors = [u.strength for u in model.agents if u.faction == blue]
    assert max(survivors) - min(survivors) <= 0.01 * max(survivors), (
        f"losses are shared in proportion to strength: the ten equal blue units should stay equal, "
        f"got {min(survivors):.1f}–{max(survivors):.1f}")
    if law == "aimed":
        invariant, expected, name = a * a - b * b, 1000.0**2 - 800.0**2, "A² − B² (square law)"
    else:
        invariant, expected, name = a - b, 200.0, "A − B (linear law)"
    assert invariant == pytest.approx(expected, rel=0.03), (
        f"{law} fire through the engagement step should conserve {name} = {expected:.0f}; "
        f"got {invariant:.0f} with {a:.0f} against {b:.0f} after {model.hours / 24:.1f} days")


def test_fortified_defenders_win_what_their_numbers_alone_would_lose():
    """Prepared defences divide the fire a unit receives by its fortification φ while it holds
    its home cell, so aimed fire conserves A² − φ·B² instead of A² − B². By hand: 1,000 attackers
    against 800 defenders at φ = 4: 1,000² − 4·800² = −1,560,000 < 0, so the defenders win and
    keep √(800² − 1,000²/4) ≈ 624.5 once the attackers are gone (unfortified they would lose)."""
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    loaded = load_scenario(Path(__file__).parent / "fixtures" / "well_mixed_battle.yaml",
                           overrides={"forces[1].fortification": 4.0})
    model = CorridorModel(loaded)
    blue, red = (model.factions.index(f) for f in ("blue", "red"))
    while model.faction_strength(blue) > 100 and model.steps < model.n_steps:
        model.step()
    a, b = model.faction_strength(blue), model.faction_strength(red)
    assert a <= 100, f"the fortified 800 should wear the 1,000 attackers down to a tenth in 60 days; {a:.0f} left"
    assert a * a - 4.0 * b * b == pytest.approx(1000.0**2 - 4.0 * 800.0**2, rel=0.03), (
        f"aimed fire against defenders fortified ×4 should conserve A² − 4B² = −1,560,000; got "
        f"{a * a - 4 * b * b:,.0f} with {a:.0f} attackers against {b:.0f} defenders")
    assert b > 600, f"expected ≈ 620 fortified defenders left when the attackers are down to 100, got {b:.0f}"


def test_a_front_limits_how_many_fire_so_a_bigger_force_lasts_longer_but_kills_no_faster():
    import math as _math

    from sim.submodels.engagement import frontage_square_law
    # 3,000 against 1,000, at most 600 of each firing: both lose at constant rates for 10 h,
    # 0.01 × 600 × 10 = 60 each
    assert frontage_square_law(3000, 1000, 0.01, 0.01, 10, 600) == pytest.approx((2940, 940))
    # 3,000 against 300: red (all firing) loses 0.01 × 600 an hour, blue 0.01 × red(t):
    # blue loses 0.01 × (300 × 10 − 0.01 × 600 × 10² / 2) = 27, red 60
    assert frontage_square_law(3000, 300, 0.01, 0.01, 10, 600) == pytest.approx((2973, 240))
    assert frontage_square_law(300, 3000, 0.01, 0.01, 10, 600) == pytest.approx((240, 2973)), "symmetric"
    # 700 against 300 to the end: red gone after 300 / 6 = 50 h; blue never falls below 600,
    # so it loses 0.01 × (300 × 50 − 6 × 50² / 2) = 75
    assert frontage_square_law(700, 300, 0.01, 0.01, 100, 600) == pytest.approx((625, 0))
    # below the cap on both sides it is the square law
    assert frontage_square_law(1000, 800, 0.01, 0.01, 10, 2000) == pytest.approx(square_law(1000, 800, 0.01, 0.01, 10))
    assert frontage_square_law(1000, 800, 0.01, 0.01, 10, _math.inf) == pytest.approx(square_law(1000, 800, 0.01, 0.01, 10))


def test_the_engagement_stage_fires_no_more_than_the_front_holds():
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    # 10 fighters a km over 2 × 6 km of front: 120 of each side fire; in one hour each side
    # loses 0.05 / 24 × 120 = 0.25 (the plain square law would take 0.05 / 24 × 800 ≈ 1.7 from blue)
    loaded = load_scenario(Path(__file__).parent / "fixtures" / "well_mixed_battle.yaml",
                           overrides={"engagement.front_density_per_km": 10})
    model = CorridorModel(loaded)
    model.step()
    lost = {f: sum(100 - u.strength for u in model.agents if u.faction == model.factions.index(f)) for f in ("blue", "red")}
    assert lost["blue"] == pytest.approx(0.25, rel=1e-6), f"blue should lose 120 × 0.05 / 24 = 0.25, lost {lost['blue']:.3f}"
    assert lost["red"] == pytest.approx(0.25, rel=1e-6), f"red should lose 0.25, lost {lost['red']:.3f}"


def euler(a, b, alpha, beta, hours, law, substeps=20_000):
    """The laws' differential equations integrated by hand with a fine Euler scheme:
    aimed dA/dt = −β·B, dB/dt = −α·A; area dA/dt = −β·A·B, dB/dt = −α·A·B."""
    dt = hours / substeps
    for _ in range(substeps):
        if law == "aimed":
            a, b = a - beta * b * dt, b - alpha * a * dt
        else:
            a, b = a - beta * a * b * dt, b - alpha * a * b * dt
    return a, b


@pytest.mark.parametrize(("law", "closed", "alpha", "beta"), [
    ("aimed", square_law, 0.03, 0.012), ("area", linear_law, 0.0004, 0.0001)])
@pytest.mark.parametrize("hours", [0.5, 3.0])
def test_a_partial_fight_follows_the_differential_equations_with_unequal_rates(law, closed, alpha, beta, hours):
    """500 against 900 with unequal effectiveness, neither side wiped out within the step: the
    closed form equals the equations integrated step by tiny step (to Euler's O(dt) error)."""
    expected = euler(500.0, 900.0, alpha, beta, hours, law)
    got = closed(500.0, 900.0, alpha, beta, hours)
    assert got == pytest.approx(expected, rel=1e-4), (
        f"{law} fire over {hours} h: the closed form should match dA/dt, dB/dt integrated by hand, "
        f"{expected}, got {got}")


@pytest.mark.parametrize("law", [square_law, linear_law])
def test_a_side_without_fighters_or_a_fight_without_time_changes_nothing(law):
    """No fighters on one side: nobody fires at the other and there is nobody to hit; no time: no losses."""
    assert law(0.0, 50.0, 0.02, 0.02, 5.0) == (0.0, 50.0), "an empty side A inflicts no losses on B"
    assert law(50.0, 0.0, 0.02, 0.02, 5.0) == (50.0, 0.0), "an empty side B inflicts no losses on A"
    assert law(40.0, 30.0, 0.02, 0.02, 0.0) == (40.0, 30.0), "a fight of 0 hours costs nothing"


@pytest.mark.parametrize("hours", [0.5, 6.0])
def test_area_fire_between_equal_forces_is_a_over_one_plus_beta_a_t(hours):
    """A = B, α = β: dA/dt = −β·A², so A(t) = A / (1 + β·A·t) for both sides, at any step length."""
    expected = 100.0 / (1.0 + 0.001 * 100.0 * hours)
    got = linear_law(100.0, 100.0, 0.001, 0.001, hours)
    assert got == pytest.approx((expected, expected), rel=1e-9), (
        f"100 against 100 at 0.001 per pair-hour for {hours} h: expected {expected:.4f} each, got {got}")


def test_a_lone_fighter_against_a_hundred_follows_the_square_law():
    """1 against 100 for 1 h at k = 0.05/24 per hour: A(t) = cosh(kt) − 100·sinh(kt) ≈ 0.79 (a side
    of one fighter or less is still fought, not skipped), B(t) = 100·cosh(kt) − sinh(kt)."""
    k = 0.05 / 24.0
    a = math.cosh(k) - 100.0 * math.sinh(k)
    b = 100.0 * math.cosh(k) - math.sinh(k)
    assert square_law(1.0, 100.0, k, k, 1.0) == pytest.approx((a, b), rel=1e-9), f"expected ({a:.4f}, {b:.4f})"
    assert square_law(100.0, 1.0, k, k, 1.0) == pytest.approx((b, a), rel=1e-9), "the same with the sides swapped"


@pytest.mark.parametrize(("law", "survivors"), [(square_law, math.sqrt(1000.0**2 - 10.0**2)), (linear_law, 990.0)])
def test_a_side_wiped_out_mid_step_leaves_the_other_what_the_invariant_says(law, survivors):
    """10 against 1,000 at equal rates over a day: the 10 are gone within the step, and the fight
    stops there, so the 1,000 keep √(1000² − 10²) under aimed fire and 1000 − 10 under area fire
    (the invariants A² − B², A − B at the moment the small side reaches zero), on either side."""
    rate = 0.5 if law is square_law else 0.01
    assert law(10.0, 1000.0, rate, rate, 24.0) == pytest.approx((0.0, survivors), rel=1e-6, abs=1e-6), (
        f"A wiped out: B should keep {survivors:.2f}")
    assert law(1000.0, 10.0, rate, rate, 24.0) == pytest.approx((survivors, 0.0), rel=1e-6, abs=1e-6), (
        f"B wiped out: A should keep {survivors:.2f}")


def test_a_lone_fighter_against_a_hundred_follows_the_linear_law():
    """Area fire, 1 against 100 for 3 h at 0.01 per pair-hour: a side of one fighter or less is
    still fought (dA/dt = −β·A·B, dB/dt = −α·A·B, integrated by hand in fine Euler steps, to 0.1 %)."""
    expected = euler(1.0, 100.0, 0.01, 0.01, 3.0, "area")
    assert linear_law(1.0, 100.0, 0.01, 0.01, 3.0) == pytest.approx(expected, rel=1e-3), f"expected {expected}"
    assert linear_law(100.0, 1.0, 0.01, 0.01, 3.0) == pytest.approx(expected[::-1], rel=1e-3), "sides swapped"


def test_the_frontage_law_changes_phase_when_a_side_reaches_the_cap_or_falls_to_it():
    """dA/dt = −β·min(B, cap), dB/dt = −α·min(A, cap), α = β = 0.1 an hour, cap 50, 4 h.
    Both above the cap, 100 against 60: each loses 5 an hour until B reaches the cap at 2 h
    (90, 50); then B loses 5 an hour and A loses 0.1·B(t): A = 90 − 0.1·(50·2 − 5·2²/2) = 81, B = 40.
    A side exactly at the cap (50 against 100) is under it: 40 and 100 − 0.1·(50·2 − 5·2) = 91 at 2 h.
    60 against 50: A falls to the cap at t = (5 − √15)/0.5 = 2.254 h (B = 50 − 5t), then both are
    under it and the square law runs for the remaining hours."""
    from sim.submodels.engagement import frontage_square_law

    assert frontage_square_law(100, 60, 0.1, 0.1, 4, 50) == pytest.approx((81.0, 40.0), rel=1e-9)
    assert frontage_square_law(60, 100, 0.1, 0.1, 4, 50) == pytest.approx((40.0, 81.0), rel=1e-9), "symmetric"
    assert frontage_square_law(50, 100, 0.1, 0.1, 2, 50) == pytest.approx((40.0, 91.0), rel=1e-9)
    t = (5 - math.sqrt(15)) / 0.5
    a, b, rest = 50.0, 50 - 5 * t, 4 - t
    expected = (a * math.cosh(0.1 * rest) - b * math.sinh(0.1 * rest), b * math.cosh(0.1 * rest) - a * math.sinh(0.1 * rest))
    assert frontage_square_law(60, 50, 0.1, 0.1, 4, 50) == pytest.approx(expected, rel=1e-9), (
        f"A reaches the cap at {t:.3f} h, then the square law: expected {expected}")
