"""Verification: attrition converges to Lanchester's analytic results in the well-mixed limit."""

from __future__ import annotations

import math

import pytest

from sim.engagement import linear_law, square_law


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
