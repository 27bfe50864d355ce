"""Tension between rivals (sim/tension.py, ODD §2 *Interaction*): it decays with its half-life,
escalates a rivalry past `escalate_at` (only if a side will escalate) and calms it below
`deescalate_below` (hysteresis); incidents add their weights."""

from __future__ import annotations

import pytest

from sim.factions import HOSTILE, RIVAL

from conftest import coarse_model, faction_pair


def test_tension_halves_in_its_half_life_without_incidents():
    model = coarse_model("corridor_campaign.yaml")
    i, j = faction_pair(model)
    model.tension.level[i, j] = model.tension.level[j, i] = 8.0
    steps = round(model.spec.tension.half_life_days * 24 / model.step_hours)
    for _ in range(steps):
        model.tension.update()
    assert model.tension.level[i, j] == pytest.approx(4.0, rel=1e-9), (
        f"tension 8 should halve in half_life_days = {model.spec.tension.half_life_days:g}; "
        f"it is {model.tension.level[i, j]:.3f}")


def test_tension_past_the_threshold_turns_a_rivalry_hostile_and_back():
    model = coarse_model("corridor_campaign.yaml")
    i, j = faction_pair(model)
    assert model.factions.relation[i, j] == RIVAL
    threshold = model.spec.tension.escalate_at
    model.tension.incident("withdrawal", j, i, times=threshold / 3 + 1, where="Albu Kamal")  # 3 above it
    model.tension.update()
    assert model.factions.relation[i, j] == HOSTILE and model.is_hostile(j, i), (
        f"tension {model.tension.level[i, j]:.1f} ≥ {threshold:g} should escalate")
    assert i in model._can_fight and j in model._can_fight, "an escalated pair must be able to fight"
    entry = [e for e in model.log.entries if e.kind == "relation"][-1]
    assert "turn hostile" in entry.text and "withdrawal near Albu Kamal" in entry.text, entry.text
    model.tension.level[i, j] = model.tension.level[j, i] = 3.9  # below deescalate_below = 4
    model.tension.update()
    assert model.factions.relation[i, j] == RIVAL, "tension under 4 should calm the pair back to rivalry"


def test_no_escalation_when_neither_side_will_escalate():
    """The baseline has no planners: nobody is willing, so tension alone changes no relation."""
    model = coarse_model("baseline.yaml")
    i, j = faction_pair(model)
    model.tension.incident("withdrawal", j, i, times=10)
    model.tension.update()
    assert model.factions.relation[i, j] == RIVAL


def test_a_turned_back_convoy_raises_tension_by_the_standoff_and_withdrawal_weights():
    model = coarse_model("albu_kamal_blockade.yaml", days=2, **{"rules.checkpoint_blockade.stop_probability": 1.0})
    i, j = faction_pair(model)
    result = model.run()
    assert result.summary["convoy_R1"] == "withdrew"
    weights = model.spec.tension.weights
    peak = result.steps["tension_iran_militia_russia"].max()
    assert peak == pytest.approx(weights.standoff + weights.withdrawal, rel=0.02), (
        f"one standoff and one withdrawal should add {weights.standoff + weights.withdrawal:g}; peak {peak:.2f}")
