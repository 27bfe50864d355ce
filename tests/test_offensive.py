"""The offensive rule (sim/rules/offensive.py): an assault's pace follows the force ratio at its
front and the defenders' fortification; hand-computed expectations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.model import CorridorModel
from sim.rules.offensive import pace_km_per_day
from sim.scenario import load_scenario

FIXTURE = Path(__file__).parent / "fixtures" / "offensive.yaml"


def test_the_pace_is_the_square_law_margin_times_the_unopposed_pace():
    # 1,000 against 250 fortified ×4 (they receive a quarter of the fire): 10 × (1 − 4 × 0.25²) = 7.5 km/day
    assert pace_km_per_day(1000, 250, 0.25, 10.0) == pytest.approx(7.5)
    assert pace_km_per_day(1000, 250, 1.0, 10.0) == pytest.approx(9.375), "unfortified: 10 × (1 − 0.25²)"
    assert pace_km_per_day(1000, 0, 0.25, 10.0) == 10.0, "unopposed: the full pace"
    assert pace_km_per_day(1000, 600, 0.25, 10.0) == 0.0, "4 × 0.6² > 1: a fight it could not win, it stands"
    assert pace_km_per_day(0, 250, 0.25, 10.0) == 0.0 and pace_km_per_day(0, 0, 1.0, 10.0) == 0.0, (
        "no attackers, no advance, whoever defends")


def _run_until(model, done, limit_days=30):
    while not done() and model.hours < limit_days * 24:
        model.step()


def test_the_column_marches_unopposed_then_slows_at_the_fortified_town():
    model = CorridorModel(load_scenario(FIXTURE))
    rule = model.rules_by_key["offensive"]
    model.step()  # the launch
    assert rule.launched and sum(u.strength for u in rule.column) == pytest.approx(1000)
    for _ in range(6):  # six hours with no red fighter within 5 km: 10 km/day
        model.step()
    assert rule._progress == pytest.approx(6 * 10.0 / 24.0), (
        f"unopposed, the column should march 10 km a day (2.5 km in 6 h), got {rule._progress:.2f} km")
    _run_until(model, lambda: rule._resistance(rule.column[0].rc)[0] > 0)
    model.step()
    defenders = rule._resistance(rule.column[0].rc)[0]
    attackers = sum(u.strength for u in rule.column)
    expected = 10.0 * (1.0 - 4.0 * (defenders / attackers) ** 2)
    assert rule.pace == pytest.approx(expected, rel=1e-6), (
        f"at the town, {attackers:.0f} against {defenders:.0f} fortified ×4 should advance at "
        f"10 × (1 − 4 (D/A)²) = {expected:.2f} km/day, got {rule.pace:.2f}")
    assert rule.pace < 9.0, "the fortified garrison must slow the column well below its 10 km/day march"


def test_the_column_takes_the_town_once_its_defenders_are_gone():
    model = CorridorModel(load_scenario(FIXTURE))
    rule = model.rules_by_key["offensive"]
    _run_until(model, lambda: rule.taken)  # about 24 days: the attackers kill 1000 × 0.05 / 4 ≈ 12 a day
    assert "Al-Asharah" in rule.taken, "1,000 against 250 fortified ×4 (1000² > 4·250²) should take the town"
    red = model.factions.index("red")
    assert model.faction_strength(red) == 0, "the town is taken only when no defender is left within reach"
    # square law with the fortification: A² − 4·D² is conserved, so ≈ √(1000² − 4·250²) ≈ 866 survive
    left = sum(u.strength for u in rule.column)
    assert left == pytest.approx((1000**2 - 4 * 250**2) ** 0.5, rel=0.03), (
        f"expected ≈ 866 attackers left (√(1000² − 4·250²)), got {left:.0f}")


def test_the_column_leaves_a_unit_to_hold_each_objective_it_takes_before_the_last():
    loaded = load_scenario(FIXTURE, overrides={"rules.offensive.objectives": ["Al-Asharah", "Subaykhan"]})
    model = CorridorModel(loaded)
    rule = model.rules_by_key["offensive"]
    _run_until(model, lambda: rule.taken)
    assert "Al-Asharah" in rule.taken, "the town should fall as in the one-objective case"
    town = model.place("Al-Asharah").cell
    holders = [u for u in model.agents if u.faction == model.factions.index("blue") and u.rc == town and u not in rule.column]
    assert len(holders) == 1 and holders[0].home == town, (
        "one unit of the column should stay on the taken town as its garrison (home there)")
    assert len(rule.column) == 3, f"the other 3 of the 4 units go on to Subaykhan, got {len(rule.column)}"


def test_the_besieged_town_stays_its_defenders_until_they_are_gone_though_the_ground_is_the_attackers():
    """The tenure (sim/submodels/holding.py): 1,000 blue fighters around Al-Asharah outweigh its
    250 red defenders on the control map long before the last defender falls; the recorded holder
    stays red while they stand, and is blue once they are gone."""
    model = CorridorModel(load_scenario(FIXTURE))
    rule = model.rules_by_key["offensive"]
    holding = model.recorder.holding
    town = holding.index[model.place("Al-Asharah").name]
    blue, red = model.factions.index("blue"), model.factions.index("red")
    assert holding.held[town] == red, "at the start the town is red's (its garrison stands in it)"
    ground_was_blue_while_red_held = False
    while not rule.taken and model.hours < 30 * 24:
        model.step()
        if model.faction_strength(red) > 0:
            assert holding.held[town] == red, (
                f"day {model.hours / 24:.1f}: {model.faction_strength(red):.0f} red defenders stand, the town must stay red's")
            ground_was_blue_while_red_held |= bool(holding.holders()[town] == blue)
    assert ground_was_blue_while_red_held, "the siege should give the ground to blue while red still holds out"
    assert rule.taken and holding.held[town] == blue, "once the defenders are gone the ground's holder, blue, takes it"


def _launched(**overrides):
    model = CorridorModel(load_scenario(FIXTURE, overrides=overrides))
    model.step()  # from_day 0: the launch
    rule = model.rules_by_key["offensive"]
    assert rule.launched, "the fixture's offensive launches at day 0"
    return model, rule


def test_the_column_stands_on_the_last_cell_of_its_path_it_has_reached():
    """Advanced exactly the path length to its k-th cell, the column stands on that cell, not the one before."""
    model, rule = _launched()
    rule._progress = 0.0
    k = 3
    rule._advance(float(rule._along[k]))
    expected = tuple(int(v) for v in rule._path[k])
    assert all(u.rc == expected for u in rule.column), (
        f"{rule._along[k]:.3f} km along, the column should stand on path cell {k} {expected}, got {rule.column[0].rc}")


def test_hidden_fighters_offer_no_resistance():
    """D counts the hostile fighters within reach_km, hidden cells excepted (ODD *Offensive*)."""
    model, rule = _launched()
    town = model.place("Al-Asharah").cell
    (garrison,) = [u for u in model.agents if u.faction == model.factions.index("red")]
    assert rule._resistance(town)[0] == pytest.approx(250), "the visible garrison of 250 resists"
    garrison.hidden = True  # as an insurgent cell in hiding is (agents/insurgent.py)
    assert rule._resistance(town)[0] == 0, "a hidden unit should not count as resistance"


def test_a_taken_objective_is_logged_at_it_and_dated_and_one_not_taken_is_nan():
    """Taking Al-Asharah (the column still at Al-Quriyah, ~12 km away) logs the event at Al-Asharah
    and dates it hours ÷ 24; Subaykhan, not taken, is NaN in the summary."""
    model, rule = _launched(**{"rules.offensive.objectives": ["Al-Asharah", "Subaykhan"]})
    model.hours = 36.0
    rule._take(model.place("Al-Asharah"))
    taken = next(e for e in model.log.entries if "took Al-Asharah" in e.text)
    assert taken.place == "Al-Asharah", f"the capture should be logged at Al-Asharah, got {taken.place}"
    summary = rule.summary(slice(None))
    assert summary["offensive.objectives_taken"] == 1 and summary["offensive.day_taken.Al-Asharah"] == 1.5, summary
    assert np.isnan(summary["offensive.day_taken.Subaykhan"]), "an objective not taken is NaN"


def test_after_its_last_objective_the_column_stays_as_its_garrison():
    model, rule = _launched()
    rule._take(model.place("Al-Asharah"))
    where = [u.rc for u in rule.column]
    rule.apply()
    assert [u.rc for u in rule.column] == where and len(rule.taken) == 1, (
        "with every objective taken the column should stay where it is")


def test_a_garrison_left_on_an_objective_is_logged_with_its_faction_at_the_objective():
    model = CorridorModel(load_scenario(FIXTURE))
    rule = model.rules_by_key["offensive"]
    model.step()  # from_day 0: the column forms at the first step
    objective = rule.objectives[0]
    strength = rule.column[-1].strength
    rule._garrison(objective)
    entry = model.log.entries[-1]
    assert entry.kind == "event" and entry.text.startswith(
        f"{strength:.0f} fighters of the assault column stay to hold {objective.name}"), entry.text
    assert entry.factions == ["blue"] and entry.cell == objective.cell and entry.place == objective.name, (
        f"the entry names the attacker (blue), the objective's cell {objective.cell} and its name: {entry}")


def test_two_offensives_in_one_scenario_march_apart_and_report_under_their_own_keys():
    """A second offensive (`offensive/north`, 2 × 100 fighters from Al-Salihiyah on undefended
    Subaykhan) forms its own column beside the first (4 × 250 on Al-Asharah) and, unopposed, takes
    its objective within the path's length at 10 km/day; each reports under its own key."""
    model = CorridorModel(load_scenario(FIXTURE.parent / "two_offensives.yaml"))
    main, north = model.rules_by_key["offensive"], model.rules_by_key["offensive/north"]
    model.step()  # from_day 0: both launch
    assert [u.strength for u in north.column] == [100, 100] and len(main.column) == 4, (
        "each offensive forms its own column: 2 × 100 and 4 × 250")
    days = float(north._along[-1]) / 10.0  # the whole path at the unopposed pace
    _run_until(model, lambda: north.taken, limit_days=days + 0.5)
    assert "Subaykhan" in north.taken and 0 < north.taken["Subaykhan"] <= days + 1 / 24, (
        f"unopposed, Subaykhan should fall within {days:.2f} days (its path at 10 km/day), got {north.taken}")
    assert not main.taken, "the first column, at Al-Asharah's fortified garrison, takes nothing that fast"
    summary = {**main.summary(slice(None)), **north.summary(slice(None))}
    assert summary["offensive/north.day_taken.Subaykhan"] == north.taken["Subaykhan"], summary
    assert summary["offensive/north.objectives_taken"] == 1 and summary["offensive.objectives_taken"] == 0, (
        f"each offensive's figures under its own key: {summary}")


def test_a_column_forms_at_and_takes_points_the_map_does_not_name():
    """`points` (name → [lon, lat]) stand for ground the map does not name: the column forms in
    the staging point's cell and, unopposed, takes the objective point in that point's cell."""
    east = [40.60, 34.90]  # the fixture's map: east of Al-Asharah, no red within 5 km of it
    model = CorridorModel(load_scenario(FIXTURE, overrides={
        "rules.offensive.points": {"start": [40.52, 34.97], "east": east},
        "rules.offensive.staging": "start", "rules.offensive.objectives": ["east"],
        "forces": []}))
    rule = model.rules_by_key["offensive"]
    model.step()
    assert rule.column[0].rc == model.map.cell_of_lonlat(40.52, 34.97), (
        f"the column forms in the staging point's cell {model.map.cell_of_lonlat(40.52, 34.97)}, got {rule.column[0].rc}")
    _run_until(model, lambda: rule.taken, limit_days=float(rule._along[-1]) / 10.0 + 0.5)
    assert "east" in rule.taken, f"the undefended point should be taken within its path at 10 km/day: {rule.taken}"
    r, c = model.map.cell_of_lonlat(*east)
    km = np.hypot(rule.column[0].rc[0] - r, rule.column[0].rc[1] - c) * model.map.cell_km
    assert km <= 5.0, f"taken when the column stands within reach_km (5) of the point's cell, it stood {km:.2f} km off"


def test_a_point_off_the_map_is_one_line_naming_its_key():
    from sim.program.errors import InputErrors
    with pytest.raises(InputErrors) as caught:
        load_scenario(FIXTURE, overrides={"rules.offensive.points": {"far": [45.0, 30.0]},
                                          "rules.offensive.objectives": ["far"]})
    assert "rules.offensive.points" in str(caught.value) and "off the map" in str(caught.value), str(caught.value)


def test_an_unknown_objective_names_the_rules_points_as_the_way_out(tmp_path):
    """A name that is neither a place on the map nor one of the rule's points: the one-line error
    says that a point can define it, since the offensive takes points too; a rule without points
    (the reinforcement's `at`) does not say so."""
    from sim.program.errors import InputErrors
    with pytest.raises(InputErrors) as caught:
        load_scenario(FIXTURE, overrides={"rules.offensive.objectives": ["Hill 227"]})
    message = str(caught.value)
    assert "rules.offensive.objectives[0]: unknown place 'Hill 227'" in message, message
    assert "under the rule's `points:`" in message, f"the error should name `points:` as the way out: {message}"
    without_points = tmp_path / "s.yaml"
    without_points.write_text(f"extends: {FIXTURE}\nrules:\n  reinforcement: {{faction: syrian_army, at: Hill 227}}\n")
    with pytest.raises(InputErrors) as caught:
        load_scenario(without_points)
    assert "unknown place 'Hill 227'" in str(caught.value) and "points" not in str(caught.value), str(caught.value)


@pytest.mark.parametrize("name, expected", [("Al-Asharah", "has the name of a place on the map"),
                                            ("  ", "needs a name that is not empty or blank")])
def test_a_point_named_like_a_place_or_blank_is_refused(name, expected):
    """A point must not silently stand in for the map's place of the same name, nor have no name."""
    from sim.program.errors import InputErrors
    with pytest.raises(InputErrors) as caught:
        load_scenario(FIXTURE, overrides={"rules.offensive.points": {name: [40.60, 34.90]},
                                          "rules.offensive.objectives": [name]})
    assert "rules.offensive.points" in str(caught.value) and expected in str(caught.value), str(caught.value)


def test_the_column_forms_at_from_day_in_days():
    # from_day 1: the column forms at the first step that starts at or after hour 24, not before
    model = CorridorModel(load_scenario(FIXTURE, overrides={"rules.offensive.from_day": 1}))
    rule = model.rules_by_key["offensive"]
    while model.hours < 24.0 - 1e-9:
        model.step()
        assert not rule.launched, f"launched at hour {model.hours:g}, before day 1 (hour 24)"
    model.step()
    assert rule.launched, "the step starting at hour 24 should form the column"


def test_the_column_is_named_assault_1_to_n():
    # the fixture's column of 4 units of blue (labelled "Blue"), each named in the log "assault i (Blue)"
    model = CorridorModel(load_scenario(FIXTURE))
    rule = model.rules_by_key["offensive"]
    model.step()  # from_day 0: the column forms at the first step
    assert [u.describe() for u in rule.column] == [f"assault {i} (Blue)" for i in range(1, 5)], (
        [u.describe() for u in rule.column])


def test_an_objective_exactly_reach_km_from_the_front_with_no_defender_is_taken():
    """ODD *Offensive*: an objective is taken when the column stands within reach_km (5) of it and
    no hostile fighter is within reach_km of it: the front put exactly 5 km (5 cells of 1 km) north
    of Al-Asharah, its garrison gone, takes it at the next apply."""
    model, rule = _launched()
    town = model.place("Al-Asharah").cell
    (garrison,) = [u for u in model.agents if u.faction == model.factions.index("red")]
    garrison.lose(garrison.strength)
    front = (town[0] - 5, town[1])
    assert rule._km(front, town) == 5.0 == rule.params.reach_km, "the set-up: exactly reach_km away"
    for unit in rule.column:
        unit.move_to(front)
    rule.apply()
    assert "Al-Asharah" in rule.taken, "at exactly reach_km, with no defender left, the objective is taken"


def test_an_unopposed_column_of_any_size_marches_at_the_full_pace():
    """pace = advance × max(0, 1 − φ(D/A)²) for any A > 0: a column of one fighter, or half of
    one, unopposed marches at advance_km_per_day; one of a single fighter against half a fighter
    (φ = 1) at 10 × (1 − 0.25) = 7.5 km/day."""
    assert pace_km_per_day(1.0, 0.0, 1.0, 10.0) == 10.0 and pace_km_per_day(0.5, 0.0, 1.0, 10.0) == 10.0
    assert pace_km_per_day(1.0, 0.5, 1.0, 10.0) == pytest.approx(7.5)


def test_the_launch_is_logged_with_the_columns_fighters_units_times_strength():
    """The fixture's column of 4 units of 250: "Blue launch an offensive from Al-Quriyah on
    Al-Asharah with 1000 fighters", at the staging place."""
    model, rule = _launched()
    (entry,) = [e for e in model.log.entries if "launch an offensive" in e.text]
    assert entry.text == "Blue launch an offensive from Al-Quriyah on Al-Asharah with 1000 fighters", entry.text
    assert entry.fighters == 1000.0 and entry.place == "Al-Quriyah", entry


@pytest.mark.parametrize("step_hours", [1.0, 3.0])
def test_reinforcements_join_the_column_per_day_and_the_sponsor_funds_it_from_the_launch(step_hours):
    """ODD §3.3 *Offensive*: `reinforce_per_day` more fighters join the column daily (per day at any
    step length) and the sponsor adds `funding_usd_per_day` to the attacker's funding at the launch.
    By hand, 48 a day: the lead unit (250) gains 48 × Δt / 24 each step after the launch, 2 at 1 h
    steps and 6 at 3 h; the funding rises by 1,000 US$ a day once, at the launch, not each step."""
    model = CorridorModel(load_scenario(FIXTURE, overrides={
        "time.step_hours": step_hours, "rules.offensive.reinforce_per_day": 48,
        "rules.offensive.funding_usd_per_day": 1000}))
    rule = model.rules_by_key["offensive"]
    blue = model.factions.index("blue")
    funding = float(model.factions.funding[blue])
    rule.apply()  # the launch
    assert rule.launched and rule.column[0].strength == 250.0
    assert model.factions.funding[blue] == pytest.approx(funding + 1000.0), "the sponsor adds 1,000 US$ a day"
    for k in (1, 2):
        rule.apply()
        assert rule.column[0].strength == pytest.approx(250.0 + k * 48.0 * step_hours / 24.0), (
            f"after {k} step(s) of {step_hours:g} h the lead unit should have 250 + {k} × 48 × {step_hours:g}/24")
    assert model.factions.funding[blue] == pytest.approx(funding + 1000.0), "the funding is added once, at the launch"
