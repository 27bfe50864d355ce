"""The control rules (sim/rules/, ODD §3.3), each through its `apply` on a small world whose units
stand on chosen cells, with expectations computed by hand: co-optation's erosion (pay ratio ×
closeness × days), recovery out of the buyer's reach, the switch; the agreement's cut of the
reinforcement route and of funding from its day; reinforcement's route capacity per day at any
step length; the deconfliction line keeping a faction's deployment out of its regions; airstrikes
hitting every target unit within their radius and nothing beyond, and interception."""

from __future__ import annotations

import numpy as np
import pytest
from worlds import east, open_row, outcome, standoff, units_of, world

from sim.agents.convoy import ConvoyState
from sim.world.factions import RIVAL

PAY = {"a": {"pay_usd_per_fighter_month": 150}, "b": {"pay_usd_per_fighter_month": 300}}


def rule(model, kind: str):
    return next(r for r in model.rules if r.name == kind)


def co_opting(tmp_path, *, km: float, step_hours=1.0, loyalty=0.7, **params):
    """a's local militia and b's militia `km` apart on a desert row; b co-opts a's militias."""
    forces = [{"kind": "local_militia", "faction": "a", "units": 1, "strength": 25, "loyalty": loyalty,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}},
              {"kind": "militia", "faction": "b", "units": 1, "strength": 50,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}}]
    rules = {"co_optation": {"by": "b", "from": ["a"], "radius_km": 20, "erosion_per_day": 0.1,
                             "recovery_per_day": 0.05, "switch_below": 0.3, **params}}
    model = world(tmp_path, factions=PAY, relations={"a/b": "rival"}, forces=forces, rules=rules,
                  step_hours=step_hours)
    (local,), (buyer,) = units_of(model, "a"), units_of(model, "b")
    start = open_row(model, length_km=40.0)
    local.move_to(start)
    buyer.move_to(east(start, km, model))
    return model, local


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


def reinforced(tmp_path, *, agreement: bool, step_hours=1.0):
    """a has no economy: its reinforcement route brings max_per_day (48) a day, in units of 10;
    from day 1 an agreement halves the route (reinforcement_scale 0.5)."""
    rules = {}
    if agreement:
        rules["agreement"] = {"faction": "a", "from_day": 1, "reinforcement_scale": 0.5}
    rules["reinforcement"] = {"faction": "a", "at": "Albu Kamal", "unit_size": 10, "max_per_day": 48,
                              "max_fighters": 1e6}
    model = world(tmp_path, factions=("a",), rules=rules, step_hours=step_hours, days=2)
    return model, model.run()


@pytest.mark.parametrize("step_hours", [1.0, 6.0])
def test_the_agreement_cuts_the_reinforcement_route_from_its_day(tmp_path, step_hours):
    _, full = reinforced(tmp_path, agreement=False, step_hours=step_hours)
    _, cut = reinforced(tmp_path, agreement=True, step_hours=step_hours)
    assert full.summary["reinforcement.fighters_arrived"] == 90, (
        f"2 days × 48 a day = 96 recruits make 9 units of 10 at {step_hours:g} h steps")
    assert cut.summary["reinforcement.fighters_arrived"] == 70, (
        "48 on day 0, then 24 on day 1 (route halved from day 1): 72 recruits, 7 units of 10")


def test_the_agreement_cuts_funding_once_from_its_day(tmp_path):
    rules = {"agreement": {"faction": "a", "from_day": 1, "funding_scale": 0.5, "reinforcement_scale": 1}}
    model = world(tmp_path, factions={"a": {"funding_usd_per_day": 1000}}, rules=rules, step_hours=6, days=3)
    a = model.factions.index("a")
    funding = []
    for _ in range(12):
        model.step()
        funding.append(float(model.factions.funding[a]))
    assert funding[:4] == [1000.0] * 4, "before from_day the funding is untouched"
    assert funding[4:] == [500.0] * 8, "from day 1 the funding is halved, once"


def test_the_deconfliction_line_keeps_a_factions_deployment_out_of_its_regions(tmp_path):
    forces = [{"kind": "militia", "faction": "a", "units": 40, "strength": 10, "posture": "patrol",
               "deploy": {"near": "Al-Mayadeen", "radius_km": 16}}]
    line = {"deconfliction_line": {"faction": "a", "may_not_enter": ["badia"]}}
    badia = None
    for rules, expect_inside in (({}, True), (line, False)):
        model = world(tmp_path, factions=("a",), forces=forces, rules=rules)
        badia = model.map.region_names.index("badia")
        inside = [model.map.region[u.rc] == badia for u in units_of(model, "a")]
        assert any(inside) == expect_inside, (
            "without the line some of 40 units deployed within 16 km of Al-Mayadeen stand in the badia; "
            "with it none does")
    forbidden = model.space.forbidden_mask(model.factions.index("a"))
    np.testing.assert_array_equal(forbidden, model.map.region == badia,
                                  err_msg="the forbidden cells are exactly the listed region's")
    line_rule = rule(model, "deconfliction_line")
    line_rule.set_param("enabled", False)
    assert not model.space.forbidden_mask(model.factions.index("a")).any(), "a line switched off forbids nothing"
    line_rule.set_param("enabled", True)
    np.testing.assert_array_equal(model.space.forbidden_mask(model.factions.index("a")), model.map.region == badia,
                                  err_msg="switched on again, the line forbids its region again")


def striking(tmp_path, **params):
    """Three a-units of 100 on a desert row at 0, 2 and 8 km; airstrikes by b against a."""
    forces = [{"kind": "militia", "faction": "a", "units": 3, "strength": 100,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}},
              {"kind": "militia", "faction": "b", "units": 1, "strength": 10,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}}]
    rules = {"airstrikes": {"by": "b", "against": "a", "loss_fraction": 0.3, "radius_km": 2.0, **params}}
    model = world(tmp_path, relations={"a/b": "rival"}, forces=forces, rules=rules)
    units = units_of(model, "a")
    start = open_row(model, length_km=40.0)
    for unit, km in zip(units, (0.0, 2.0, 8.0), strict=True):
        unit.move_to(east(start, km, model))
    return model, units


def test_a_strike_takes_its_loss_fraction_from_every_target_unit_within_its_radius_only(tmp_path):
    model, units = striking(tmp_path)
    rule(model, "airstrikes").strike()
    strengths = sorted(u.strength for u in units)
    assert strengths == pytest.approx([70.0, 70.0, 100.0]), (
        "the strike aims at the pair 2 km apart: both lose 30 %, the unit 6 km further loses nothing")


def test_a_strike_hits_the_units_within_its_radius_in_km_and_none_beyond(tmp_path):
    """radius_km 2 on 2 km cells: a-units of 5, 10, 100, 10, 5 fighters at -4, -2, 0, 2, 4 km on a
    row. The densest 3 × 3-cell window (2 × 2 km ÷ 2 km, odd) is centred on the 100 (120 fighters;
    the windows beside it hold 115; the one centred a row below also holds 120, and the first
    maximum, on the row, is taken), so the strike hits the units at 0 and ±2 km (≤ 2 km):
    100 → 70 and 10 → 7 at loss_fraction 0.3; the 5s at ±4 km are beyond the radius, untouched."""
    forces = [{"kind": "militia", "faction": "a", "units": 5, "strength": 100,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}},
              {"kind": "militia", "faction": "b", "units": 1, "strength": 10,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}}]
    rules = {"airstrikes": {"by": "b", "against": "a", "loss_fraction": 0.3, "radius_km": 2.0}}
    model = world(tmp_path, relations={"a/b": "rival"}, forces=forces, rules=rules)
    units = units_of(model, "a")
    start = open_row(model, length_km=40.0)
    assert start[0] == 0, "the set-up needs the map's top row: no window centred above it holds the 120"
    placed = zip(units, (0.0, 2.0, 4.0, 6.0, 8.0), (5.0, 10.0, 100.0, 10.0, 5.0), strict=True)
    for unit, km, strength in placed:
        unit.move_to(east(start, km, model))
        unit.lose(unit.strength - strength)
    rule(model, "airstrikes").strike()
    assert [u.strength for u in units] == pytest.approx([5.0, 7.0, 70.0, 7.0, 5.0]), (
        "units within 2 km of the aim (the 100 and the 10s beside it) lose 30 %; the 5s 4 km away "
        f"lose nothing; got {[u.strength for u in units]}")


def test_a_strike_aims_at_the_centre_of_an_odd_window_2_radius_wide(tmp_path):
    """radius_km 2 on 2 km cells: the window is 2 × 2 ÷ 2 = 2 cells, made odd: 3 × 3. Two a-units of
    50 at 0 and 4 km on the map's top row, an empty cell between: the densest 3 × 3 window (100) is
    centred on the empty cell, 2 km from each, so both lose 30 % (an even window of 2 would centre
    on one unit, leaving the other 4 km away and untouched)."""
    model, units = striking(tmp_path)
    both_fifties_lose_30_percent(model, units, far_km=20.0)


def both_fifties_lose_30_percent(model, units, far_km: float) -> None:
    """Units of 50 at 0 and 4 km on the map's top row and one of 1 fighter `far_km` away; one strike
    (radius 2 km) must take 30 % from both 50s, 2 km from the densest window's centre."""
    start = open_row(model, length_km=40.0)
    assert start[0] == 0, "the set-up needs the map's top row: no window centred above it"
    for unit, km in zip(units, (0.0, 4.0, far_km), strict=True):
        unit.move_to(east(start, km, model))
        unit.lose(unit.strength - (50.0 if km < 10 else 1.0))
    rule(model, "airstrikes").strike()
    assert [u.strength for u in units[:2]] == pytest.approx([35.0, 35.0]), (
        f"both 50s, 2 km from the window's centre, should lose 30 %: got {[u.strength for u in units[:2]]}")


def test_an_intercepted_strike_does_no_harm_and_one_let_through_adds_tension(tmp_path):
    model, units = striking(tmp_path, rate_per_day=240.0, intercepted_by="b", intercept_probability=1.0)
    strikes = rule(model, "airstrikes")
    strikes.apply()
    assert strikes.intercepted > 0 and strikes.strikes == 0, "every strike is intercepted at probability 1"
    assert [u.strength for u in units] == [100.0] * 3
    strikes.strike()
    a, b = model.factions.index("a"), model.factions.index("b")
    assert model.tension.level[a, b] == pytest.approx(model.spec.tension.weights.strike_not_stopped), (
        "a strike the interceptor let through adds strike_not_stopped between target and interceptor")


def test_reinforcements_stop_at_max_fighters_and_arrive_near_their_place_in_their_posture(tmp_path):
    """a starts with 100 fighters (world's default unit); max_fighters 130: units of 10 arrive
    while strength + waiting recruits < 130, so 3 units (130 fighters), then none; each within
    deploy_radius_km (4) of Albu Kamal, holding ground (posture hold)."""
    rules = {"reinforcement": {"faction": "a", "at": "Albu Kamal", "unit_size": 10, "max_per_day": 48,
                               "max_fighters": 130, "deploy_radius_km": 4, "posture": "hold"}}
    model = world(tmp_path, factions=("a",), rules=rules, days=2)
    model.run()
    reinforcement = rule(model, "reinforcement")
    assert reinforcement.summary(slice(None)) == {"reinforcement.fighters_arrived": 30.0}, (
        "100 fighters + 3 units of 10 reach max_fighters 130; no more arrive")
    place = model.place("Albu Kamal")
    new = units_of(model, "a")[1:]
    assert [u.label for u in new] == ["reinforcements"] * 3, f"each unit is labelled reinforcements: {new}"
    assert len(new) == 3, f"three new units expected, got {len(new)}"
    for unit in new:
        km = np.hypot(unit.rc[0] - place.cell[0], unit.rc[1] - place.cell[1]) * model.map.cell_km
        assert km <= 4.0 + 1e-9, f"a reinforcement unit {km:.1f} km from Albu Kamal, beyond deploy_radius_km 4"
        assert unit.posture == "hold", f"reinforcements arrive in the rule's posture, got {unit.posture}"


def test_an_agreement_in_force_relieves_the_factions_tension_once(tmp_path):
    """agreement_relief ½: from from_day, a's tension with its rival b is halved, once."""
    rules = {"agreement": {"faction": "a", "from_day": 1, "reinforcement_scale": 1, "funding_scale": 1}}
    model = world(tmp_path, relations={"a/b": "rival"}, rules=rules, step_hours=6, days=3)
    a, b = model.factions.index("a"), model.factions.index("b")
    agreement = rule(model, "agreement")
    model.tension.incident("withdrawal", a, b, times=2)  # 2 × 3 = 6
    level = model.tension.level[a, b]
    agreement.apply()
    assert model.tension.level[a, b] == level, "before from_day nothing is relieved"
    model.hours = 24.0
    agreement.apply()
    agreement.apply()
    assert model.tension.level[a, b] == pytest.approx(level * (1 - model.spec.tension.agreement_relief)), (
        "in force from day 1: the tension is relieved by agreement_relief, once")


def test_a_strike_is_counted_with_the_fighters_it_killed_and_logged(tmp_path):
    """One strike on the pair 2 km apart: 2 × 30 % of 100 = 60 fighters; the summary counts one
    strike, none intercepted, 60 killed, and the event log has one airstrike of 60 fighters."""
    model, _ = striking(tmp_path, intercepted_by="b", intercept_probability=0.0)
    strikes = rule(model, "airstrikes")
    strikes.strike()
    assert strikes.summary(slice(None)) == {"airstrikes.strikes": 1, "airstrikes.intercepted": 0,
                                         "airstrikes.fighters_killed": pytest.approx(60.0)}
    logged = [e for e in model.log.entries if e.kind == "airstrike"]
    assert len(logged) == 1 and logged[0].fighters == pytest.approx(60.0), [e.text for e in logged]
    assert logged[0].place is not None and f"near {logged[0].place}:" in logged[0].text, (
        f"the entry names the place nearest the aim: {logged[0]}")


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


def test_the_deconfliction_line_keeps_patrol_legs_and_paths_out_of_its_regions(tmp_path):
    """Patrols of a, deployed outside the badia, patrol 16 km around home for 2 days: no leg ends in
    the badia with the line (some do without it); a path planned for a never crosses it."""
    forces = [{"kind": "militia", "faction": "a", "units": 20, "strength": 10, "posture": "patrol",
               "deploy": {"near": "Al-Mayadeen", "radius_km": 16}}]
    line = {"deconfliction_line": {"faction": "a", "may_not_enter": ["badia"]}}
    for rules, allowed in (({}, True), (line, False)):
        model = world(tmp_path, factions=("a",), forces=forces, rules=rules,
                      militia={"patrol_every_hours": 2, "patrol_radius_km": 16})
        badia = model.map.region == model.map.region_names.index("badia")
        entered = False
        while model.running:
            model.step()
            entered |= any(badia[u.rc] for u in units_of(model, "a"))
        assert entered == allowed, f"{'without' if allowed else 'with'} the line, patrols {'do' if allowed else 'never'} enter the badia"
    (unit, *_) = units_of(model, "a")
    target = tuple(int(x) for x in np.argwhere(~badia & model.map.land)[-1])
    mover = model.space.plan_path(unit, unit.rc, target, 1.0)
    assert mover is not None, f"a can reach {target} without the badia"
    assert not any(badia[r, c] for r, c in mover.cells), "a's path must not cross the badia"


def test_a_rule_parameter_changes_by_name_or_alias_and_an_invalid_value_is_refused(tmp_path):
    """`set_param` (what events use) revalidates: a new rate is taken, a negative one refused with
    the old kept; `from` (the alias of co-optation's `from_`) names the field too."""
    import pydantic

    model, _ = striking(tmp_path, rate_per_day=1.0)
    strikes = rule(model, "airstrikes")
    strikes.set_param("rate_per_day", 2.5)
    assert strikes.params.rate_per_day == 2.5
    with pytest.raises(pydantic.ValidationError):
        strikes.set_param("rate_per_day", -1.0)
    assert strikes.params.rate_per_day == 2.5, "a refused value leaves the parameter as it was"
    model, _ = co_opting(tmp_path, km=6.0)
    co = rule(model, "co_optation")
    co.set_param("from", ["b"])
    assert co.params.from_ == ["b"], "the alias `from` sets the field `from_`"


# --- the checkpoint's standoff (ODD §3.3 *Checkpoint blockade*, steps 1–5), one `apply` a step ----------------
def test_a_withdrawal_is_logged_with_the_hours_waited_and_its_reason(tmp_path):
    """Halted at hour 10, judged at hour 15: D = 45 ≥ 1.5 × C = 45 with nobody on the way (step 4,
    hard threshold), so the convoy withdraws after 15 − 10 = 5 h, outnumbered once the defenders gathered."""
    model, rule, _ = standoff(tmp_path, convoy=30, crew=45, spread=0.0, at_hours=10.0)
    model.hours = 15.0
    rule.apply()
    entry = model.log.entries[-1]
    assert entry.kind == "withdrawal" and "after a 5 h standoff" in entry.text, (
        f"expected a withdrawal after 15 − 10 = 5 h, got {entry.kind}: {entry.text}")
    assert "(outnumbered once the defenders had gathered)" in entry.text, entry.text


def test_a_checkpoint_giving_way_logs_the_convoy_and_its_faction(tmp_path):
    """C = 60 ≥ 3 × D⁺ = 60 (step 2): the entry names the convoy's faction and its cell."""
    model, rule, car = standoff(tmp_path, convoy=60, crew=20, spread=0.0)
    rule.apply()
    entry = model.log.entries[-1]
    assert outcome(rule) == "gave_way" and "gave way" in entry.text, entry.text
    assert entry.factions == ["c"] and entry.cell == car.rc, (
        f"the give-way entry should name the convoy's faction c at its cell {car.rc}, got {entry.factions} at {entry.cell}")
    assert car.state == ConvoyState.MOVING and car.incident is None, f"the convoy drives on: expected MOVING, got {car.state}"


def test_a_withdrawal_after_a_called_unit_arrived_counts_once_as_after_reinforcement(tmp_path):
    """10 at the checkpoint, 40 called in and arrived: D = 50 ≥ 1.5 × 30 once mobilised (step 4)."""
    model, rule, _ = standoff(tmp_path, convoy=30, crew=10, called=40, spread=0.0)
    checkpoint = rule.checkpoints[0]
    (called,) = [u for u in units_of(model, "h") if u.rc != checkpoint.cell]
    called.move_to(checkpoint.cell)
    rule.apply()
    assert rule.outcomes["withdrew"] == 1 and rule.outcomes["withdrew_after_reinforcement"] == 1, (
        f"one withdrawal, with a called unit at the checkpoint: expected 1 and 1, got {rule.outcomes}")


def test_orders_to_push_force_their_way_at_exactly_the_push_ratio_and_go_on_fighting(tmp_path):
    """C = 30 = 1.5 × D = 20 (step 3, C ≥ push_ratio × D), 200 more on the way (no give-way, no judgement):
    the convoy forces its way once, then every step is a fight until one side breaks."""
    model, rule, car = standoff(tmp_path, convoy=30, crew=20, called=200, orders={"when_stopped": "push"}, spread=0.0)
    (crew,) = [u for u in units_of(model, "h") if u.rc == rule.checkpoints[0].cell]
    strengths = []
    for _ in range(3):
        rule.apply()
        strengths.append((car.strength, crew.strength))
    forced = [e for e in model.log.entries if "forces its way" in e.text]
    assert len(forced) == 1 and forced[0].kind == "clash", f"expected one 'forces its way' clash, got {len(forced)}"
    assert strengths[2][0] < strengths[1][0] < strengths[0][0] < 30 and strengths[2][1] < strengths[1][1] < strengths[0][1] < 20, (
        f"both sides should lose fighters every step of the fight, got {strengths}")


def test_a_convoy_that_breaks_the_checkpoint_logs_a_clash(tmp_path):
    """C = 600 against D = 20 (D⁺ = 2,020, no give-way): it pushes, and after one step's fight the
    defenders are outnumbered by more than engagement.break_ratio, so it fought through (step 3)."""
    model, rule, _ = standoff(tmp_path, convoy=600, crew=20, called=2000, orders={"when_stopped": "push"})
    rule.apply()
    entry = model.log.entries[-1]
    assert rule.outcomes["fought_through"] == 1 and entry.kind == "clash" and "fought through" in entry.text, (
        f"expected a 'fought through' clash, got {entry.kind}: {entry.text}")


# --- seed-2 sample's survivors (docs/verification.md): behaviours of the ODD no test pinned ------------------
class _HarmBook:
    """A stand-in for the population: records each harm booked (cell, factions, fighters)."""

    def __init__(self):
        self.booked = []

    def harm(self, rc, factions, fighters):
        self.booked.append((tuple(int(x) for x in rc), tuple(factions), float(fighters)))


def test_a_strike_is_recorded_as_violence_by_the_striker_and_harms_its_support(tmp_path):
    """ODD *Population and support*: the fighters a strike kills are booked against the striker
    (b) at the aim; the violence record has the striker losing nothing, the target the 60 killed
    (2 × 30 % of 100, the pair 2 km apart)."""
    model, _ = striking(tmp_path)
    model.population = book = _HarmBook()
    rule(model, "airstrikes").strike()
    v = model.recorder.violence
    assert v.kinds == ["strike"] and v.sides == [("b", "a")], f"one strike by b on a: {v.kinds}, {v.sides}"
    assert v.deaths[0] == pytest.approx((0.0, 60.0)), f"the striker loses nothing, a loses 60: {v.deaths}"
    (booked,) = book.booked
    assert booked[0] == v.cells[0] and booked[1] == (model.factions.index("b"),), (
        f"the harm is booked at the aim against the striker b only: {booked}")
    assert booked[2] == pytest.approx(60.0), f"the 60 fighters killed: {booked}"


def test_a_strike_finds_a_target_of_any_strength(tmp_path):
    """The three a-units cut to 1 fighter each (presence 1 fighter a cell): still a concentration
    to strike. The pair 2 km apart loses 30 % each: 0.6 fighters killed in one strike."""
    model, units = striking(tmp_path)
    for unit in units:
        unit.lose(unit.strength - 1.0)
    strikes = rule(model, "airstrikes")
    strikes.strike()
    assert strikes.summary(slice(None))["airstrikes.strikes"] == 1, "a target of 1 fighter a cell is struck"
    assert strikes.summary(slice(None))["airstrikes.fighters_killed"] == pytest.approx(0.6), "2 × 0.3 × 1 fighter"


def test_the_strike_window_is_twice_the_radius_wide_at_1_km_cells(tmp_path):
    """radius_km 2 on 1 km cells: the window is 2 × 2 ÷ 1 = 4 cells, made odd: 5 × 5. Two 50s at 0 and
    4 km on the top row: only the window centred midway (2 km) holds both, so it is the densest
    and both lose 30 % (a 7-wide window would first peak one cell after the first 50, 3 km from
    the second, which would be spared)."""
    forces = [{"kind": "militia", "faction": "a", "units": 3, "strength": 100,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}},
              {"kind": "militia", "faction": "b", "units": 1, "strength": 10,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}}]
    rules = {"airstrikes": {"by": "b", "against": "a", "loss_fraction": 0.3, "radius_km": 2.0}}
    model = world(tmp_path, relations={"a/b": "rival"}, forces=forces, rules=rules, cell_km=1.0)
    both_fifties_lose_30_percent(model, units_of(model, "a"), far_km=30.0)


def test_every_intercepted_strike_is_counted(tmp_path):
    """At 240 strikes a day and interception certain, each strike of a 1 h step (Poisson, mean 10)
    is intercepted and logged once: the count equals the entries."""
    model, _ = striking(tmp_path, rate_per_day=240.0, intercepted_by="b", intercept_probability=1.0)
    strikes = rule(model, "airstrikes")
    strikes.apply()
    strikes.apply()
    logged = [e for e in model.log.entries if e.kind == "airstrike" and "intercepted" in e.text]
    assert len(logged) > 1 and strikes.intercepted == len(logged), (
        f"{len(logged)} interceptions logged, {strikes.intercepted} counted")


def test_an_agreement_in_force_is_logged_with_its_scales(tmp_path):
    rules = {"agreement": {"faction": "a", "from_day": 0, "funding_scale": 0.5, "reinforcement_scale": 0.25}}
    model = world(tmp_path, rules=rules)
    rule(model, "agreement").apply()
    (entry,) = [e for e in model.log.entries if e.kind == "event"]
    assert "agreement in force: A" in entry.text and "reinforcements × 0.25" in entry.text, entry.text
    assert "funding × 0.5" in entry.text, f"the entry names both scales: {entry.text}"


def test_the_keys_of_a_kind_are_the_scenarios_rules_of_that_kind_in_order(tmp_path):
    from sim.rules.base import keys_of_kind

    rules = {"reinforcement": {"faction": "a", "at": "Albu Kamal"}, "airstrikes": {"by": "b", "against": "a"},
             "reinforcement/b": {"faction": "b", "at": "Albu Kamal"}}
    model = world(tmp_path, relations={"a/b": "rival"}, rules=rules)
    assert keys_of_kind(model.loaded.rules, "reinforcement") == ["reinforcement", "reinforcement/b"]
    assert keys_of_kind(model.loaded.rules, "airstrikes") == ["airstrikes"]
    assert keys_of_kind(model.loaded.rules, "co_optation") == [], "a kind the scenario lacks: none"


def test_a_pushing_convoy_outnumbered_by_the_break_ratio_breaks_off_and_withdraws(tmp_path):
    """C = 30 = 1.5 × D = 20 forces its way (step 3); then the 200 called arrive: D ≈ 220 against
    C < 30, far beyond engagement.break_ratio × C, so after that step's fight the convoy breaks off
    and withdraws (the withdrawal logged with its reason)."""
    model, rule_, car = standoff(tmp_path, convoy=30, crew=20, called=200, orders={"when_stopped": "push"}, spread=0.0)
    checkpoint = rule_.checkpoints[0]
    rule_.apply()
    (called,) = [u for u in units_of(model, "h") if u.rc != checkpoint.cell]
    called.move_to(checkpoint.cell)
    rule_.apply()
    held = sum(u.strength for u in checkpoint.defenders())
    assert held >= model.spec.engagement.break_ratio * car.strength, "the set-up: the defenders outnumber it"
    entry = model.log.entries[-1]
    assert rule_.outcomes["withdrew"] == 1 and entry.kind == "withdrawal", f"{rule_.outcomes}: {entry.text}"
    assert "(broke off the fight)" in entry.text, entry.text


def test_a_convoy_the_checkpoint_does_not_stop_is_counted_once_as_passed(tmp_path):
    """stop_probability 0: the convoy passes (step 1), counted once and logged."""
    model, rule_, car = standoff(tmp_path, convoy=30, crew=20, stop=0.0)
    assert rule_.outcomes["passed"] == 1 and rule_.outcomes["stopped"] == 0, rule_.outcomes
    assert "passed the Albu Kamal checkpoint" in model.log.entries[-1].text, model.log.entries[-1].text


def test_a_withdrawal_names_the_force_ratio_of_defenders_to_convoy(tmp_path):
    """D = 45 against C = 30 (as in the withdrawal above): the entry gives 45 against 30, 1.5 : 1."""
    model, rule_, _ = standoff(tmp_path, convoy=30, crew=45, spread=0.0)
    rule_.apply()
    entry = model.log.entries[-1]
    assert entry.kind == "withdrawal" and "45 militia fighters against 30 (1.5 : 1)" in entry.text, entry.text


def test_a_standoff_is_remembered_by_place_in_the_reason_the_pair_turns_hostile(tmp_path):
    """The standoff at Albu Kamal adds tension between h and c, remembered with its place: when the
    pair turns hostile the relation entry names it."""
    model, _, _ = standoff(tmp_path, convoy=30, crew=20)
    h, c = model.factions.index("h"), model.factions.index("c")
    model.tension._set(min(h, c), max(h, c), True, "a test")
    entry = model.log.entries[-1]
    assert entry.kind == "relation" and "after standoff near Albu Kamal (" in entry.text, entry.text


def test_only_the_holders_militias_away_from_the_checkpoint_are_called_in(tmp_path):
    """10 at the checkpoint and 40 8 km away: the one unit away answers the call; the crew at the
    checkpoint is not called (it is there already)."""
    model, rule_, _ = standoff(tmp_path, convoy=30, crew=10, called=40, spread=0.0)
    (standoff_,) = rule_.standoffs
    checkpoint = rule_.checkpoints[0]
    away = [u for u in units_of(model, "h") if u.rc != checkpoint.cell]
    assert standoff_.called == away, f"only the unit 8 km away is called: {standoff_.called}"
    assert "1 more called in" in [e for e in model.log.entries if e.kind == "standoff"][-1].text


def test_only_militias_answer_the_checkpoints_call(tmp_path):
    """ODD *Checkpoint blockade*: the holder's militias within reinforce_radius_km are called in; a
    garrison of the holder 6 km away (within the 15 km) is not: garrisons hold, they do not answer."""
    model, rule_, car = standoff(tmp_path, convoy=30, crew=10, spread=0.0)
    checkpoint = rule_.checkpoints[0]
    garrison = model.spawn_unit("garrison", model.factions.index("h"), 50.0, near=checkpoint.place, radius_km=0.0,
                                label="g", stream=np.random.default_rng(0))
    garrison.move_to(east(checkpoint.cell, 6.0, model))
    rule_.standoffs.clear()
    checkpoint.encounter(car)  # the convoy halted again, with the garrison near
    (again,) = rule_.standoffs
    assert garrison not in again.called, f"a garrison is never called in: {again.called}"


def test_the_fighters_killed_add_up_over_strikes(tmp_path):
    """The summary's fighters killed is the total over every strike, not the last one's: two
    strikes, each logged with its own dead (the first 2 × 30 % of 100 = 60), and the summary
    their sum."""
    model, _ = striking(tmp_path, intercepted_by="b", intercept_probability=0.0)
    strikes = rule(model, "airstrikes")
    strikes.strike()
    strikes.strike()
    logged = [e.fighters for e in model.log.entries if e.kind == "airstrike"]
    assert len(logged) == 2 and logged[0] == pytest.approx(60.0) and logged[1] > 0, logged
    assert strikes.summary(slice(None))["airstrikes.fighters_killed"] == pytest.approx(sum(logged)), (
        f"the fighters killed should add up over the strikes, {logged}")


def test_a_rule_kind_without_a_parameter_model_is_refused_by_name():
    """`register` makes a rule class buildable by its kind only when the scenario language has a
    parameter model for it; otherwise a ValueError names the kind."""
    from sim.rules.base import Rule, register

    class Unknown(Rule):
        name = "no_such_rule"

    with pytest.raises(ValueError, match="rule 'no_such_rule' has no parameter model"):
        register(Unknown)
