"""What every unit shares (agents/base.py): its fighters on the presence grid of its faction and
layer follow every move, loss, gain, change of layer or of side; a unit below `MIN_STRENGTH`
(half a fighter) is gone; registries (patrols) follow the posture."""

from __future__ import annotations

import numpy as np
import pytest
from worlds import units_of, world

from sim.submodels.influence import HOLDING, PATROLLING


def grid_of(model, unit):
    """The unit's fighters as the presence grid has them: presence[faction, layer] at its cell."""
    return model.influence.presence[unit.faction, unit.layer][unit.rc]


def test_the_presence_grid_follows_every_change_of_a_unit(tmp_path):
    model = world(tmp_path)
    (ua,), (ub,) = units_of(model, "a"), units_of(model, "b")
    a, b = model.factions.index("a"), model.factions.index("b")
    presence = model.influence.presence
    start = ua.rc
    ua.move_to((start[0], start[1] + 1))
    assert presence[a, HOLDING][start] == pytest.approx(0.0, abs=1e-9) and grid_of(model, ua) == pytest.approx(100.0)
    assert ua.lose(30.0) == 30.0 and grid_of(model, ua) == pytest.approx(70.0), "a loss leaves the grid too"
    assert ua.lose(-5.0) == 0.0 and ua.strength == 70.0, "a negative loss is no loss"
    ua.gain(10.0)
    assert ua.strength == 80.0 and grid_of(model, ua) == pytest.approx(80.0)
    ua.set_layer(PATROLLING)
    assert presence[a, HOLDING][ua.rc] == pytest.approx(0.0, abs=1e-9) and presence[a, PATROLLING][ua.rc] == pytest.approx(80.0)
    ua.switch_faction(b)
    assert presence[a].sum() == pytest.approx(0.0, abs=1e-9), "a unit that changes sides takes its fighters along"
    assert presence[b, PATROLLING][ua.rc] == pytest.approx(80.0) and ua.faction == b
    assert model.faction_strength(b) == pytest.approx(80.0 + ub.strength)


def test_a_unit_below_half_a_fighter_is_gone_and_takes_its_remainder_off_the_grid(tmp_path):
    forces = [{"kind": "militia", "faction": "a", "units": 1, "strength": 10, "posture": "patrol",
               "deploy": {"near": "Albu Kamal", "radius_km": 10}}]
    model = world(tmp_path, factions=("a",), forces=forces)
    (unit,) = units_of(model, "a")
    assert unit in model.patrols, "a patrol is among the patrols that detect insurgents"
    assert unit.lose(9.5) == 9.5 and unit.alive, "half a fighter left is still a unit"
    lost = unit.lose(0.2)
    assert lost == pytest.approx(0.2) and not unit.alive, "below half a fighter the unit is gone"
    assert np.abs(model.influence.presence).sum() == pytest.approx(0.0, abs=1e-9), "its remaining 0.3 left the grid"
    assert unit not in model.patrols and units_of(model, "a") == [], "and it is out of the registries and the model"
    assert unit.lose(5.0) == 0.0, "a unit that is gone loses nothing more"


def test_a_loss_is_min_of_max_of_the_fighters_and_zero_and_the_strength_bit_for_bit(tmp_path):
    """`lose` writes `min(max(fighters, 0.0), strength)` out: the same loss, the same strength
    after and the same presence grid, sign of zero and NaN included, for 300 random losses
    (negative, zero, -0.0, beyond the strength) of a unit and of its plain-rule twin's figures."""
    model = world(tmp_path)
    (unit,) = units_of(model, "a")
    rng = np.random.default_rng(3)
    strength, presence = unit.strength, float(grid_of(model, unit))
    cases = [-0.0, 0.0, float("nan"), -3.0] + [float(x) for x in rng.normal(2.0, 3.0, size=296)]
    for k, fighters in enumerate(cases):
        if k == 2:
            continue  # NaN checked below, on its own unit
        expected = min(max(fighters, 0.0), strength)
        lost = unit.lose(fighters)
        assert np.signbit(lost) == np.signbit(expected) and lost == expected, f"lose({fighters!r}): {lost!r}, not {expected!r}"
        strength, presence = strength - expected, presence + -expected
        assert unit.strength == strength and float(grid_of(model, unit)) == presence, f"after lose({fighters!r})"
        if not unit.alive:
            break
        if k % 50 == 0:
            unit.gain(50.0)
            strength, presence = strength + 50.0, presence + 50.0
    (other,) = units_of(model, "b")
    assert np.isnan(other.lose(float("nan"))), "min(max(nan, 0.0), strength) is nan"
