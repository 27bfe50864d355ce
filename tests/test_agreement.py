"""The agreement and the reinforcement route it cuts (sim/rules/agreement.py, reinforcement.py,
ODD §3.3): the route's capacity per day at any step length and its ceiling, the agreement's cut of
the route and of funding from its day, once, its relief of tension, and its log entry."""

from __future__ import annotations

import numpy as np
import pytest
from rule_worlds import rule
from worlds import units_of, world


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


def test_an_agreement_in_force_is_logged_with_its_scales(tmp_path):
    rules = {"agreement": {"faction": "a", "from_day": 0, "funding_scale": 0.5, "reinforcement_scale": 0.25}}
    model = world(tmp_path, rules=rules)
    rule(model, "agreement").apply()
    (entry,) = [e for e in model.log.entries if e.kind == "event"]
    assert "agreement in force: A" in entry.text and "reinforcements × 0.25" in entry.text, entry.text
    assert "funding × 0.5" in entry.text, f"the entry names both scales: {entry.text}"


def test_reinforcements_patrol_by_default_and_each_unit_is_logged_at_its_place(tmp_path):
    """Without `posture` the reinforcement units patrol (ODD *Reinforcement*: default patrol); each
    unit's arrival is logged "10 A reinforcements arrived at Albu Kamal" with its fighters."""
    rules = {"reinforcement": {"faction": "a", "at": "Albu Kamal", "unit_size": 10, "max_per_day": 24,
                               "max_fighters": 1e6}}
    model = world(tmp_path, factions=("a",), rules=rules, days=1)
    model.run()
    new = units_of(model, "a")[1:]
    assert len(new) == 2 and all(u.posture == "patrol" for u in new), [(u.label, u.posture) for u in new]
    logged = [e for e in model.log.entries if e.kind == "reinforcement"]
    assert [e.text for e in logged] == ["10 A reinforcements arrived at Albu Kamal"] * 2, [e.text for e in logged]
    assert all(e.fighters == 10.0 and e.place == "Albu Kamal" for e in logged), logged


def test_a_reinforcements_arrival_is_logged_for_its_faction_at_its_cell(tmp_path):
    """The arrival's entry names the faction and the cell where the new unit stands."""
    rules = {"reinforcement": {"faction": "a", "at": "Albu Kamal", "unit_size": 10, "max_per_day": 0,
                               "max_fighters": 1e6}}
    model = world(tmp_path, factions=("a",), rules=rules)
    reinforcement = rule(model, "reinforcement")
    reinforcement.pending = 10.0
    reinforcement.apply()
    (unit,) = units_of(model, "a")[1:]
    (entry,) = [e for e in model.log.entries if e.kind == "reinforcement"]
    assert entry.factions == ["a"] and entry.cell == unit.rc, f"expected a at {unit.rc}: {entry.factions} at {entry.cell}"
