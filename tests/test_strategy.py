"""The strategy layer, one mechanism per test: tension decays with its half-life and escalates a
rivalry past its threshold (only if a side will escalate), calms it below the lower threshold;
turned-back convoys raise tension and are remembered; an arrived convoy becomes a post; a
planner answers a setback with a stronger convoy; `planner: off` gives the fixed behaviour;
support follows control and harm; grievance feeds insurgent recruitment."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from sim.agents.garrison import Garrison
from sim.factions import HOSTILE, RIVAL
from sim.model import CorridorModel
from sim.scenario import load_scenario

from conftest import SCENARIOS

COARSE = {"map.cell_km": 2.0, "time.step_hours": 2.0}


@cache
def _loaded(scenario: str, days: float, overrides: tuple):
    return load_scenario(SCENARIOS / scenario, overrides={**COARSE, "time.duration_days": days, **dict(overrides)})


def _model(scenario: str, days: float = 2.0, seed: int = 1, **overrides) -> CorridorModel:
    return CorridorModel(_loaded(scenario, days, tuple(sorted(overrides.items()))), seed)


def _pair(model, a="iran_militia", b="russia") -> tuple[int, int]:
    return model.factions.index(a), model.factions.index(b)


def test_tension_halves_in_its_half_life_without_incidents():
    model = _model("corridor_campaign.yaml")
    i, j = _pair(model)
    model.tension.level[i, j] = model.tension.level[j, i] = 8.0
    steps = round(model.spec.tension.half_life_days * 24 / model.step_hours)
    for _ in range(steps):
        model.tension.update()
    assert model.tension.level[i, j] == pytest.approx(4.0, rel=1e-9), (
        f"tension 8 should halve in half_life_days = {model.spec.tension.half_life_days:g}; "
        f"it is {model.tension.level[i, j]:.3f}")


def _updates(model, n: int, keep_at: float | None = None) -> int | None:
    """`n` tension updates, the clock advanced a step each time (tension topped up to `keep_at`
    before each, as sustained incidents would); the index of the update that escalated, if any."""
    i, j = _pair(model)
    for k in range(n):
        if keep_at is not None:
            model.tension.level[i, j] = model.tension.level[j, i] = keep_at
        model.tension.update()
        if model.factions.relation[i, j] == HOSTILE:
            return k
        model.hours += model.step_hours
    return None


def test_escalation_needs_tension_sustained_for_sustain_days():
    """One bad day is not enough. Tension 18 against escalate_at 15 that only decays (half-life
    20 days) falls below 15 after 20 × log2(18/15) ≈ 5.3 days, before the 14 days it must last:
    no escalation. Kept at 18, the pair escalates at the update 14 days (168 two-hour steps)
    after the first one above the threshold, and not one step earlier."""
    model = _model("corridor_campaign.yaml")
    i, j = _pair(model)
    spec = model.spec.tension
    assert (spec.escalate_at, spec.sustain_days, spec.half_life_days) == (15, 14, 20), "the hand computation's inputs"
    model.tension.level[i, j] = model.tension.level[j, i] = 18.0
    assert _updates(model, 30 * 12) is None, "a burst that decays below the threshold within 14 days must not escalate"
    model = _model("corridor_campaign.yaml")
    assert _updates(model, 30 * 12, keep_at=18.0) == 168, (
        "tension held at 18 should escalate exactly 14 days (168 steps of 2 h) after it first reached 15")


def test_tension_past_the_threshold_turns_a_rivalry_hostile_and_back():
    model = _model("corridor_campaign.yaml")
    i, j = _pair(model)
    assert model.factions.relation[i, j] == RIVAL
    threshold = model.spec.tension.escalate_at
    model.tension.incident("withdrawal", j, i, times=threshold / 3 + 1, where="Albu Kamal")  # 3 above it
    model.tension.above_since[i, j] = model.hours - model.spec.tension.sustain_days * 24.0  # above it for long
    model.tension.update()
    assert model.factions.relation[i, j] == HOSTILE and model.is_hostile(j, i), (
        f"tension {model.tension.level[i, j]:.1f} ≥ {threshold:g} for sustain_days should escalate")
    assert i in model._can_fight and j in model._can_fight, "an escalated pair must be able to fight"
    entry = [e for e in model.log.entries if e.kind == "relation"][-1]
    assert "turn hostile" in entry.text and "withdrawal near Albu Kamal" in entry.text, entry.text
    model.tension.level[i, j] = model.tension.level[j, i] = 3.9  # below deescalate_below = 4
    model.tension.update()
    assert model.factions.relation[i, j] == RIVAL, "tension under 4 should calm the pair back to rivalry"


def test_no_escalation_when_neither_side_will_escalate():
    """The baseline has no planners: nobody is willing, so tension alone changes no relation."""
    model = _model("baseline.yaml")
    i, j = _pair(model)
    model.tension.incident("withdrawal", j, i, times=10)
    model.tension.above_since[i, j] = model.hours - model.spec.tension.sustain_days * 24.0  # sustained
    model.tension.update()
    assert model.factions.relation[i, j] == RIVAL


def test_a_turned_back_convoy_raises_tension_by_the_standoff_and_withdrawal_weights():
    model = _model("albu_kamal_blockade.yaml", days=2, **{"rules.checkpoint_blockade.stop_probability": 1.0})
    i, j = _pair(model)
    result = model.run()
    assert result.summary["convoy_R1"] == "withdrew"
    weights = model.spec.tension.weights
    peak = result.steps["tension_iran_militia_russia"].max()
    assert peak == pytest.approx(weights.standoff + weights.withdrawal, rel=0.02), (
        f"one standoff and one withdrawal should add {weights.standoff + weights.withdrawal:g}; peak {peak:.2f}")


def test_an_arrived_convoy_sets_up_a_post():
    model = _model("open_road.yaml", days=3)
    model.run()
    convoy = model.convoys[0]
    assert convoy.outcome == "arrived" and not convoy.alive, "the convoy arrives and leaves the map as a convoy"
    posts = [u for u in model.agents_by_type.get(Garrison, ()) if u.label == "post R1"]
    assert len(posts) == 1 and posts[0].faction == convoy.faction, "a post of the convoy's faction stands there"
    goal = model.place(convoy.route[-1]).cell
    assert math.dist(posts[0].rc, goal) * model.map.cell_km <= 4.0, "the post stands at the convoy's goal"


def test_after_a_setback_the_planner_wants_a_stronger_convoy():
    model = _model("corridor_campaign.yaml")
    planner = model.planners[model.factions.index("russia")]
    planner.setback("Albu Kamal", 100.0)
    for unit in planner._reserve():  # plenty of fighters at the base
        unit.gain(500.0)
    planner.posts["Al-Mayadeen"] = [u for u in model.agents if u.faction == planner.faction][:1]
    options = [o for o in planner._convoy_options() if "toward Albu Kamal" in o.action]
    assert options, "a convoy toward Albu Kamal should be among the options"
    spec = planner.spec
    assert f"({spec.overmatch * 100:.0f} fighters)" in options[0].action, (
        f"after 100 fighters turned the last convoy back, the next should have {spec.overmatch:g} × 100: "
        f"{options[0].action}")


def test_planner_off_gives_the_fixed_behaviour():
    on = _model("corridor_campaign.yaml", days=4)
    off = _model("corridor_campaign.yaml", days=4, **{f"factions.{f}.planner": False
                                                     for f in ("russia", "iran_militia", "coalition")})
    assert not off.planners and len(on.planners) == 3
    assert not [e for e in off.run().log.entries if e.kind == "decision"], "no planner, no decisions"
    decisions = [e for e in on.run().log.entries if e.kind == "decision"]
    assert decisions and all(": " in e.text for e in decisions), "every decision is logged with its reason"


def test_support_moves_toward_the_controlling_faction_at_its_rate():
    model = _model("corridor_campaign.yaml")
    pop = model.population
    before = pop.support.copy()
    controlled = pop.controlled_share()
    model.hours = 24.0  # one simulated day later
    pop.update()
    rate = 1 - math.exp(-model.spec.population.control_rate_per_day)
    np.testing.assert_allclose(pop.support, before + rate * (controlled - before), atol=1e-12,
                               err_msg="support should move a share 1 − exp(−r) of the way to the controlled share")


def test_harm_lowers_support_for_the_faction_responsible_and_feeds_grievance():
    model = _model("corridor_campaign.yaml")
    pop = model.population
    t = pop.names.index("Albu Kamal")
    russia = model.factions.index("russia")
    base = _model("corridor_campaign.yaml").population
    for p in (pop, base):
        p.model.hours = 24.0
    pop.harm(pop.towns[t].cell, (russia,), 10.0)
    pop.update()
    base.update()
    lost = base.support[t, russia] - pop.support[t, russia]
    assert lost == pytest.approx(min(base.support[t, russia], 10 * model.spec.population.harm_per_fighter)), (
        "10 fighters killed near the town should cost the faction responsible 10 × harm_per_fighter of support")
    assert pop.grievance[t] > 0 and base.grievance[t] == 0


def test_supportive_population_scales_the_manpower_refill():
    model = _model("corridor_campaign.yaml")
    pop = model.population
    russia = model.factions.index("russia")
    assert pop.refill_factor()[russia] == pytest.approx(1.0)
    pop.support[:, russia] *= 2.0
    assert pop.refill_factor()[russia] == pytest.approx(1.0 + model.spec.population.recruit_weight)


def test_grievance_in_weakly_controlled_towns_raises_insurgent_recruitment():
    model = _model("corridor_campaign.yaml")
    pop = model.population
    assert pop.insurgent_factor() == pytest.approx(1.0)
    pop._controlled = np.zeros_like(pop.support)  # nobody controls any town
    pop.grievance[:] = 0.5
    assert pop.insurgent_factor() == pytest.approx(1.0 + 0.5 * model.spec.population.insurgent_grievance_weight)
