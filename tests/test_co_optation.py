"""Co-optation (sim/rules/co_optation.py, ODD §3.3 *Co-optation*): loyalty eroded by pay ratio ×
closeness × days within the buyer's reach, recovered out of it up to 1, the switch below the
threshold and the defections counted; pay is what the sponsor actually pays."""

from __future__ import annotations

import pytest
from rule_worlds import co_opting, rule
from worlds import units_of

from sim.world.factions import RIVAL


@pytest.mark.parametrize("step_hours", [1.0, 6.0])
def test_co_optation_erodes_loyalty_by_pay_ratio_closeness_and_days(tmp_path, step_hours):
    model, local = co_opting(tmp_path, km=6.0, step_hours=step_hours)
    rule(model, "co_optation").apply()
    drop = 0.1 * (step_hours / 24.0) * (300.0 / 150.0) * (1.0 - 6.0 / 20.0)
    assert local.loyalty == pytest.approx(0.7 - drop, rel=1e-12), (
        f"erosion/day 0.1 × {step_hours:g} h × pay ratio 2 × closeness 0.7 should take {drop:.6f} off 0.7")


def test_loyalty_recovers_out_of_the_buyers_reach_up_to_1(tmp_path):
    model, local = co_opting(tmp_path, km=30.0, loyalty=0.5)
    co = rule(model, "co_optation")
    co.apply()
    assert local.loyalty == pytest.approx(0.5 + 0.05 / 24.0, rel=1e-12), (
        "30 km from the buyer (reach 20 km) loyalty regains recovery_per_day × Δt")
    local.loyalty = 0.999999
    co.apply()
    assert local.loyalty == 1.0, "loyalty recovers at most to 1"


def test_a_militia_below_the_threshold_switches_to_the_buyer_at_1_minus_threshold(tmp_path):
    model, local = co_opting(tmp_path, km=0.0, loyalty=0.3 + 1e-6)
    a, b = model.factions.index("a"), model.factions.index("b")
    rule(model, "co_optation").apply()
    assert local.faction == b and local.loyalty == pytest.approx(0.7), (
        "below switch_below the unit changes sides with loyalty 1 − switch_below")
    assert model.factions.relation[a, b] == RIVAL
    assert model.tension.level[a, b] == pytest.approx(model.spec.tension.weights.defection), (
        "a defection between rivals adds its tension weight")


def test_a_sponsor_paying_half_its_upkeep_is_co_opted_twice_as_fast(tmp_path):
    """Pay is what a fighter actually gets: a's 25 fighters cost 25 × 150/30.4 a day; funding of
    half that pays each half his pay, so the pay ratio is 300 / (150 × ½) = 4, not 2."""
    model, local = co_opting(tmp_path, km=6.0)
    a = model.factions.index("a")
    model.economy.active[a] = True
    model.factions.funding[a] = 0.5 * 25 * 150.0 / 30.4
    model.economy.update()
    assert model.economy.effective_pay(a) == pytest.approx(150.0 / 30.4 / 2), "half the upkeep paid: half the pay"
    rule(model, "co_optation").apply()
    drop = 0.1 * (1.0 / 24.0) * (300.0 / 75.0) * (1.0 - 6.0 / 20.0)
    assert local.loyalty == pytest.approx(0.7 - drop, rel=1e-9), f"pay ratio 4: loyalty should fall by {drop:.6f}"


def test_defections_are_counted_and_a_buyer_with_no_one_on_the_map_co_opts_no_one(tmp_path):
    model, local = co_opting(tmp_path, km=0.0, loyalty=0.3 + 1e-6)
    co = rule(model, "co_optation")
    co.apply()
    assert co.summary(slice(None)) == {"co_optation.defections": 1}, "one militia switched"
    model, local = co_opting(tmp_path, km=0.0, loyalty=0.5)
    (buyer,) = units_of(model, "b")
    buyer.lose(buyer.strength)  # the buyer's only unit is gone
    rule(model, "co_optation").apply()
    assert local.loyalty == pytest.approx(0.5 + 0.05 / 24.0), "with no buyer on the map loyalty recovers"


def test_a_militia_exactly_radius_km_from_the_buyer_recovers(tmp_path):
    """Erosion needs d < radius_km: at exactly 20 km (10 cells of 2 km) the closeness 1 − d/20 is 0,
    so loyalty recovers recovery_per_day × Δt instead."""
    model, local = co_opting(tmp_path, km=20.0, loyalty=0.5)
    rule(model, "co_optation").apply()
    assert local.loyalty == pytest.approx(0.5 + 0.05 / 24.0, rel=1e-12), (
        f"at exactly radius_km loyalty should recover to {0.5 + 0.05 / 24.0:.6f}, got {local.loyalty:.6f}")


def test_only_the_local_militias_of_the_targeted_sponsors_are_co_opted(tmp_path):
    """A buyer targeting only another faction (`from: [c]`) leaves a's local militia 6 km away as it
    was: not eroded, and (being no target) not recovering either."""
    model, local = co_opting(tmp_path, km=6.0, **{"from": ["b"]})
    co = rule(model, "co_optation")
    co.apply()
    assert local.loyalty == 0.7 and local.faction == model.factions.index("a"), (
        f"a militia of a sponsor the buyer does not target keeps loyalty 0.7: {local.loyalty}")


def test_a_defection_is_logged_with_the_unit_its_fighters_and_both_sponsors(tmp_path):
    """The switch is logged as a defection: "<label> (25 fighters) near <place> switched from A to
    B", with the unit's fighters."""
    model, local = co_opting(tmp_path, km=0.0, loyalty=0.3 + 1e-6)
    rule(model, "co_optation").apply()
    (entry,) = [e for e in model.log.entries if e.kind == "defection"]
    assert entry.text.startswith(f"{local.label} (25 fighters) near ") and entry.text.endswith(
        " switched from A to B"), entry.text
    assert entry.fighters == 25.0, entry


def test_a_militia_exactly_at_the_threshold_does_not_switch(tmp_path):
    """The switch is below switch_below, not at it: loyalty 0.3 out of the buyer's reach with no
    recovery stays 0.3 and the unit keeps its side; a hair below, it switches."""
    model, local = co_opting(tmp_path, km=30.0, loyalty=0.3, recovery_per_day=0.0)
    a, b = model.factions.index("a"), model.factions.index("b")
    co = rule(model, "co_optation")
    co.apply()
    assert local.loyalty == 0.3 and local.faction == a and co.defections == 0, (
        f"loyalty exactly 0.3 = switch_below: no switch; got faction {local.faction}, loyalty {local.loyalty}")
    local.loyalty = 0.3 - 1e-9
    co.apply()
    assert local.faction == b and co.defections == 1, "just below switch_below it switches"


def test_a_defector_is_on_its_new_sides_roster_and_off_its_old(tmp_path):
    """Unit.switch_faction: the spatial service's rosters (`model.space.members`, the units each
    faction fights with) follow a defection."""
    model, local = co_opting(tmp_path, km=0.0, loyalty=0.3 + 1e-6)
    a, b = model.factions.index("a"), model.factions.index("b")
    assert local in model.space.members(a) and local not in model.space.members(b)
    rule(model, "co_optation").apply()
    assert local.faction == b, "the set-up: it defects"
    assert local in model.space.members(b) and local not in model.space.members(a), (
        f"after the switch it is among b's units only: a {model.space.members(a)}, b {model.space.members(b)}")
    assert local in model.space.units_near(local.rc, 0.0, b), "and found as b's where it stands"
