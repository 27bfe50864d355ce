"""Tension between rivals (sim/submodels/tension.py, ODD §2 *Interaction*): it decays with its half-life,
escalates a rivalry past `escalate_at` (only if a side will escalate) and calms it below
`deescalate_below` (hysteresis); incidents add their weights."""

from __future__ import annotations

import pytest

from sim.world.factions import HOSTILE, RIVAL

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
    model.tension.above_since[i, j] = model.hours - model.spec.tension.sustain_days * 24.0  # above it for long
    model.tension.update()
    assert model.factions.relation[i, j] == HOSTILE and model.is_hostile(j, i), (
        f"tension {model.tension.level[i, j]:.1f} ≥ {threshold:g} for sustain_days should escalate")
    assert i in model.engagements.can_fight and j in model.engagements.can_fight, "an escalated pair must be able to fight"
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
    model.tension.above_since[i, j] = model.hours - model.spec.tension.sustain_days * 24.0  # sustained
    model.tension.update()
    assert model.factions.relation[i, j] == RIVAL


def test_a_turned_back_convoy_is_one_encounter_that_weighs_a_withdrawal():
    model = coarse_model("albu_kamal_blockade.yaml", days=2, **{"rules.checkpoint_blockade.stop_probability": 1.0})
    i, j = faction_pair(model)
    result = model.run()
    assert result.summary["convoy_R1"] == "withdrew"
    weights = model.spec.tension.weights
    peak = result.steps["tension_iran_militia_russia"].max()
    # the halt adds the standoff's 2, the withdrawal that ends it only 3 − 2 more: one encounter
    # weighs its outcome, 3 (not 2 + 3 = 5), less a few hours' decay
    assert peak == pytest.approx(weights.withdrawal, rel=0.02), (
        f"a convoy halted and turned back should add the withdrawal's {weights.withdrawal:g} in all; peak {peak:.2f}")


NO_DECAY = {"tension.half_life_days": 1e16,  # 0.5 ** (2 h / 1e16 days) rounds to exactly 1.0
            "tension.sustain_days": 0.0}  # thresholds alone: escalation as soon as tension reaches escalate_at


def test_hysteresis_a_pair_between_the_two_thresholds_keeps_its_relation():
    """Escalated at 15, a pair whose tension falls to 10 (between 4 and 15) stays hostile; a pair
    never escalated stays rival at 10; exactly 4 is not below 4, exactly 15 reaches 15."""
    model = coarse_model("corridor_campaign.yaml", **NO_DECAY)
    i, j = faction_pair(model)
    spec = model.spec.tension
    ledger = model.tension
    ledger.level[i, j] = ledger.level[j, i] = 10.0
    ledger.update()
    assert model.factions.relation[i, j] == RIVAL, "10 < escalate_at 15: a rivalry stays a rivalry"
    ledger.level[i, j] = ledger.level[j, i] = spec.escalate_at
    ledger.update()
    assert model.factions.relation[i, j] == HOSTILE, "tension reaching escalate_at exactly escalates"
    for level in (10.0, spec.deescalate_below):
        ledger.level[i, j] = ledger.level[j, i] = level
        ledger.update()
        assert model.factions.relation[i, j] == HOSTILE, (
            f"tension {level:g}, not below deescalate_below {spec.deescalate_below:g}: the pair must stay hostile")
    ledger.level[i, j] = ledger.level[j, i] = spec.deescalate_below - 1e-9
    ledger.update()
    assert model.factions.relation[i, j] == RIVAL and ledger.deescalations == 1 and ledger.escalations == 1


@pytest.mark.parametrize("step_hours", [2.0, 6.0])
def test_tension_decays_per_day_at_any_step_length(step_hours):
    model = coarse_model("corridor_campaign.yaml", **{"time.step_hours": step_hours})
    i, j = faction_pair(model)
    model.tension.level[i, j] = model.tension.level[j, i] = 8.0
    days = 5.0
    for _ in range(round(days * 24 / step_hours)):
        model.tension.update()
    expected = 8.0 * 0.5 ** (days / model.spec.tension.half_life_days)
    assert model.tension.level[i, j] == pytest.approx(expected, rel=1e-9), (
        f"after {days:g} days at {step_hours:g} h steps tension should be 8 × 2^(−5/20) = {expected:.4f}")
    assert model.tension.level[j, i] == model.tension.level[i, j], "tension is symmetric"


def test_each_incident_adds_its_weight_between_rivals_only():
    model = coarse_model("corridor_campaign.yaml")
    ledger, weights = model.tension, model.spec.tension.weights
    i, j = faction_pair(model)
    syria = model.factions.index("syrian_army")  # allied with both
    for kind in ("standoff", "withdrawal", "clash", "strike_not_stopped", "defection", "post"):
        before = ledger.level[i, j]
        ledger.incident(kind, i, j, times=2.0)
        assert ledger.level[i, j] - before == pytest.approx(2.0 * getattr(weights, kind)), (
            f"two {kind} incidents should add 2 × its weight {getattr(weights, kind):g}")
        assert ledger.level[j, i] == ledger.level[i, j]
    ledger.incident("withdrawal", i, syria)
    ledger.incident("withdrawal", i, i)
    ledger.incident("withdrawal", None, j)
    assert ledger.level[i, syria] == 0 and ledger.level[syria, i] == 0 and ledger.level[i, i] == 0, (
        "allied pairs, a faction with itself and unknown factions carry no tension")


def test_a_clash_adds_nothing_to_a_pair_already_hostile():
    model = coarse_model("corridor_campaign.yaml", **NO_DECAY)
    i, j = faction_pair(model)
    ledger = model.tension
    ledger.level[i, j] = ledger.level[j, i] = model.spec.tension.escalate_at
    ledger.update()
    assert model.factions.relation[i, j] == HOSTILE
    before = ledger.level[i, j]
    ledger.incident("clash", i, j)
    assert ledger.level[i, j] == before, "a clash between hostile factions is the hostility itself"
    ledger.incident("withdrawal", i, j)
    assert ledger.level[i, j] == pytest.approx(before + model.spec.tension.weights.withdrawal)


def test_an_agreement_relieves_only_the_curtailed_factions_tension():
    model = coarse_model("corridor_campaign.yaml")
    ledger = model.tension
    iran, russia = faction_pair(model)
    coalition = model.factions.index("coalition")
    ledger.incident("withdrawal", iran, russia, times=2)     # 6
    ledger.incident("withdrawal", russia, coalition, times=1)  # 3
    ledger.relieve(iran, 0.5)
    assert ledger.level[iran, russia] == pytest.approx(3.0) and ledger.level[russia, iran] == pytest.approx(3.0)
    assert ledger.level[russia, coalition] == pytest.approx(3.0), "pairs without the curtailed faction keep theirs"


def test_either_sides_willingness_is_enough_to_escalate():
    """In the campaign Iran's planner has max_escalation hostile and Russia's rival."""
    model = coarse_model("corridor_campaign.yaml", **{"factions.russia.planner.max_escalation": "rival",
                                                      "factions.iran_militia.planner.max_escalation": "rival"})
    i, j = faction_pair(model)
    model.tension.incident("withdrawal", i, j, times=10)
    model.tension.above_since[i, j] = model.hours - model.spec.tension.sustain_days * 24.0  # sustained
    model.tension.update()
    assert model.factions.relation[i, j] == RIVAL, "neither side willing: no escalation"
    model = coarse_model("corridor_campaign.yaml", **{"factions.russia.planner.max_escalation": "hostile",
                                                      "factions.iran_militia.planner.max_escalation": "rival"})
    model.tension.incident("withdrawal", i, j, times=10)
    model.tension.above_since[i, j] = model.hours - model.spec.tension.sustain_days * 24.0  # sustained
    model.tension.update()
    assert model.factions.relation[i, j] == HOSTILE, "one willing side is enough"


def _updates(model, n: int, keep_at: float | None = None) -> int | None:
    """`n` tension updates, the clock advanced a step each time (tension topped up to `keep_at`
    before each, as sustained incidents would); the index of the update that escalated, if any."""
    i, j = faction_pair(model)
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
    model = coarse_model("corridor_campaign.yaml")
    i, j = faction_pair(model)
    spec = model.spec.tension
    assert (spec.escalate_at, spec.sustain_days, spec.half_life_days) == (15, 14, 20), "the hand computation's inputs"
    model.tension.level[i, j] = model.tension.level[j, i] = 18.0
    assert _updates(model, 30 * 12) is None, "a burst that decays below the threshold within 14 days must not escalate"
    model = coarse_model("corridor_campaign.yaml")
    assert _updates(model, 30 * 12, keep_at=18.0) == 168, (
        "tension held at 18 should escalate exactly 14 days (168 steps of 2 h) after it first reached 15")


def test_the_summary_counts_escalations_and_de_escalations_and_a_weightless_incident_adds_nothing():
    """Escalations and de-escalations are counted for the run summary (`tension.escalations`,
    `tension.deescalations`); an incident whose weight is 0 adds no tension."""
    model = coarse_model("corridor_campaign.yaml", **{"tension.weights.standoff": 0.0})
    i, j = faction_pair(model)
    ledger = model.tension
    ledger.incident("standoff", i, j, times=5)
    assert ledger.level[i, j] == 0.0, "a standoff of weight 0 adds nothing"
    ledger.incident("withdrawal", i, j, times=10)
    ledger.above_since[i, j] = model.hours - model.spec.tension.sustain_days * 24.0
    ledger.update()
    assert (ledger.escalations, ledger.deescalations) == (1, 0), "one escalation"
    ledger.level[i, j] = ledger.level[j, i] = 1.0
    ledger.update()
    assert model.factions.relation[i, j] == RIVAL
    assert (ledger.escalations, ledger.deescalations) == (1, 1), "one escalation, then one step back to rivalry"
    summary = model.recorder.summary()
    assert (summary["tension.escalations"], summary["tension.deescalations"]) == (1, 1), (
        "the run summary reports the ledger's counts")


def _sustain(model, i, j, level):
    """Tension `level` between i and j, at or above `escalate_at` since sustain_days ago."""
    model.tension.level[i, j] = model.tension.level[j, i] = level
    model.tension.above_since[i, j] = model.hours - model.spec.tension.sustain_days * 24.0


def test_each_change_of_relation_is_logged_with_its_incidents_and_counted():
    """ODD *Interaction*: every change of relation is logged with the tension and the last
    incidents behind it (joined by "; "), a step back names no incidents; the ledger counts
    escalations and de-escalations one by one, and each change is one `relation` incident."""
    model = coarse_model("corridor_campaign.yaml")
    i, j = sorted(faction_pair(model))
    ledger, labels, ids = model.tension, model.factions.labels, model.factions.ids
    ledger.incident("standoff", i, j, times=4, where="Albu Kamal")       # 4 × 2 = 8
    ledger.incident("withdrawal", j, i, times=3, where="Al-Mayadeen")    # 3 × 3 = 9: T = 17 ≥ 15
    ledger.above_since[i, j] = model.hours - model.spec.tension.sustain_days * 24.0
    ledger.update()
    up = model.log.entries[-1]
    assert up.kind == "relation" and up.text.startswith(f"{labels[i]} and {labels[j]} turn hostile"), up.text
    assert f"after standoff near Albu Kamal ({model.clock()}); withdrawal near Al-Mayadeen (" in up.text, (
        f"the escalation should name the two incidents, joined by '; ': {up.text}")
    assert up.factions == [ids[i], ids[j]], f"the entry names the pair's factions, not {up.factions}"
    ledger.level[i, j] = ledger.level[j, i] = 3.9  # decays to 3.9 · 2^(−2/480) ≈ 3.89 < 4
    ledger.update()
    down = model.log.entries[-1]
    assert down.text == f"{labels[i]} and {labels[j]} step back from fighting to rivalry: tension 3.9 fell below 4", (
        f"a step back names the tension and the threshold, no incidents: {down.text!r}")
    assert down.factions == [ids[i], ids[j]], down.factions
    _sustain(model, i, j, 20.0)
    ledger.update()
    ledger.level[i, j] = ledger.level[j, i] = 1.0
    ledger.update()
    assert (ledger.escalations, ledger.deescalations) == (2, 2), (
        f"escalated twice and stepped back twice, not {(ledger.escalations, ledger.deescalations)}")
    counts = model.recorder.incident_counts
    counts.record(1, None)
    assert counts.summary(slice(None))["incidents_relation"] == 4, "four changes of relation are four incidents"


def test_an_escalation_names_the_last_three_incidents_with_their_kinds_in_words():
    """The log names the last three incidents behind an escalation, kinds in words
    (`strike_not_stopped` → "strike not stopped"); an older one is not named."""
    model = coarse_model("corridor_campaign.yaml")
    i, j = sorted(faction_pair(model))
    for place in ("Deir ez-Zor", "Al-Mayadeen", "Albu Kamal", "Al-Qa'im"):
        model.tension.incident("strike_not_stopped", i, j, times=5, where=place)  # 4 × 5 × 1 = 20
    model.tension.above_since[i, j] = model.hours - model.spec.tension.sustain_days * 24.0
    model.tension.update()
    text = model.log.entries[-1].text
    assert "strike not stopped near Al-Mayadeen" in text and "Al-Qa'im" in text and "Deir ez-Zor" not in text, (
        f"the last three incidents, kinds in words, and not the first: {text!r}")


def test_an_escalation_without_incidents_names_none():
    """Tension put there without incidents (a scenario's starting tension): the entry ends with
    how long it stayed past the threshold, with no "after …"."""
    model = coarse_model("corridor_campaign.yaml")
    i, j = sorted(faction_pair(model))
    _sustain(model, i, j, 20.0)
    model.tension.update()
    text = model.log.entries[-1].text
    assert text.endswith(f"stayed at or above 15 for {model.spec.tension.sustain_days:.0f} days"), (
        f"no incidents, so nothing after the days: {text!r}")


def test_the_tension_record_keeps_each_rival_pairs_tension_and_hostility():
    """TensionRecord: per row each rival pair's tension and whether it is hostile; the summary
    gives the highest tension to 4 decimals and the share of rows hostile to 6."""
    from sim.submodels.tension import TensionRecord

    model = coarse_model("corridor_campaign.yaml")
    i, j = sorted(faction_pair(model))
    pair = f"{model.factions.ids[i]}_{model.factions.ids[j]}"
    record = TensionRecord(model)
    for row, (level, hostile) in enumerate([(12.3456789, True), (3.0, False), (1.0, False)]):
        model.tension.level[i, j] = model.tension.level[j, i] = level
        model.tension.escalated[i, j] = model.tension.escalated[j, i] = hostile
        record.record(row, None)
    assert record.tension.shape == record.hostile.shape == (model.n_steps + 1, len(model.tension.rival_pairs)), (
        "one row per step and the initial state, one column per rival pair")
    table = record.table(slice(0, 3))
    assert table[f"hostile_{pair}"].dtype == bool, "hostility is recorded as a bool (1/0 in steps.csv)"
    reverse = f"{model.factions.ids[j]}_{model.factions.ids[i]}"
    assert f"tension_{reverse}" not in table, "each rival pair is one column, not two (i < j)"
    assert all(a < b for a, b in model.tension.rival_pairs), model.tension.rival_pairs
    assert list(table[f"hostile_{pair}"]) == [True, False, False], table[f"hostile_{pair}"]
    assert list(table[f"tension_{pair}"]) == [12.3456789, 3.0, 1.0], table[f"tension_{pair}"]
    summary = record.summary(slice(0, 3))
    assert summary[f"tension_{pair}_max"] == 12.3457, (
        f"the highest tension 12.3456789 to 4 decimals is 12.3457, not {summary[f'tension_{pair}_max']!r}")
    assert summary[f"hostile_{pair}_share"] == 0.333333, (
        f"1 row of 3 hostile is 0.333333 to 6 decimals, not {summary[f'hostile_{pair}_share']!r}")


def test_an_outcome_adds_the_difference_of_weights_per_time_and_a_weightless_incident_is_not_named():
    """`outcome_of`: `times` encounters weigh times × (outcome − first kind): 2 × (3 − 2) = 2.
    An incident of weight 0 adds nothing and is not among the incidents an escalation names;
    an incident with no place is named without "near"."""
    model = coarse_model("corridor_campaign.yaml", **{"tension.weights.post": 0.0})
    i, j = sorted(faction_pair(model))
    ledger = model.tension
    ledger.incident("withdrawal", i, j, times=2, outcome_of="standoff")
    assert ledger.level[i, j] == pytest.approx(2.0), f"2 × (3 − 2) = 2, not {ledger.level[i, j]}"
    ledger.incident("post", i, j, times=3)
    ledger.incident("standoff", i, j, times=8)  # 2 + 16 = 18 ≥ 15
    ledger.above_since[i, j] = model.hours - model.spec.tension.sustain_days * 24.0
    ledger.update()
    text = model.log.entries[-1].text
    assert "post" not in text and f"after withdrawal ({model.clock()}); standoff (" in text, (
        f"the escalation names the withdrawal and the standoff, without a place, and not the weightless post: {text!r}")


def test_escalation_at_one_hour_steps_comes_after_sustain_days_not_an_hour_earlier():
    """At 1 h steps tension held at 18 escalates at the update 14 × 24 = 336 h after the first
    one above escalate_at (the comparison's tolerance is rounding, not an hour)."""
    model = coarse_model("corridor_campaign.yaml", **{"time.step_hours": 1.0})
    assert _updates(model, 20 * 24, keep_at=18.0) == 336, "tension held at 18 should escalate after exactly 336 h"


def test_clashes_add_tension_at_most_once_a_place_and_pair_every_6_hours(tmp_path):
    """ODD §2 *Interaction*: a clash weighs `weights.clash` "at most one a place every 6 h". Rivals
    a and b clash near Albu Kamal at hours 0, 3 and 6 and near Al-Mayadeen at hour 3: by hand the
    ledger gains one clash weight at 0, none at 3 (3 h < 6 h since Albu Kamal's last), one at
    Al-Mayadeen at 3 (another place) and one at 6 (6 h since): 3 × weights.clash; every clash is
    still booked as violence (4 in the record)."""
    from worlds import units_of, world

    model = world(tmp_path, relations={"a/b": "rival"})
    (ua,), (ub,) = units_of(model, "a"), units_of(model, "b")
    i, j = model.factions.index("a"), model.factions.index("b")
    weight = model.spec.tension.weights.clash
    assert weight > 0, "the set-up: a clash weighs something"
    for hours, place in ((0.0, "Albu Kamal"), (3.0, "Albu Kamal"), (3.0, "Al-Mayadeen"), (6.0, "Albu Kamal")):
        model.hours = hours
        ua.move_to(model.place(place).cell)
        assert model.space.nearest_place_name(ua.rc) == place, f"the set-up: a clash near {place}"
        model.engagements.report([ua], [ub], 1.0, 1.0)
    assert model.tension.level[i, j] == pytest.approx(3.0 * weight), (
        f"clashes at Albu Kamal at 0, 3 and 6 h and at Al-Mayadeen at 3 h should add 3 × {weight:g} "
        f"(the 3 h one at Albu Kamal is within 6 h of the last there); got {model.tension.level[i, j]:g}")
    assert len(model.recorder.violence.kinds) == 4, "every clash is booked as violence, whether or not it weighs"


def test_a_post_set_up_on_a_rivals_ground_weighs_post_and_on_its_own_ground_nothing(tmp_path):
    """ODD §2 *Interaction*: "a post set up where the other holds the ground 0.5". An arrived
    convoy of a becomes a post at Albu Kamal: with b (a rival) controlling that cell, tension a–b
    rises by weights.post; with a itself controlling it, by nothing."""
    from worlds import units_of, world

    forces = [{"kind": "militia", "faction": "b", "units": 1, "strength": 10,
               "deploy": {"near": "Albu Kamal", "radius_km": 5}},
              {"kind": "convoy", "faction": "a", "strength": 60, "start": "Al-Mayadeen",
               "route": ["Albu Kamal"], "depart_day": 1.5}]
    a_b = []
    for holder in ("b", "a"):
        model = world(tmp_path, relations={"a/b": "rival"}, forces=forces)
        (car,) = [u for u in units_of(model, "a") if u.kind == "convoy"]
        a, b = model.factions.index("a"), model.factions.index("b")
        car.move_to(model.place("Albu Kamal").cell)
        model.influence.controller[car.rc] = model.factions.index(holder)
        car.establish_post()
        a_b.append(model.tension.level[a, b])
    assert model.spec.tension.weights.post > 0, "the set-up: a post weighs something"
    assert a_b == [pytest.approx(model.spec.tension.weights.post), 0.0], (
        f"a post on b's ground adds weights.post ({model.spec.tension.weights.post:g}) to a–b, on a's own "
        f"ground nothing: got {a_b}")
