"""The faction planner's options and their scores (agents/planner_options.py, planner_wording.py,
ODD §2 *Adaptation*): each score term of the convoy, reinforce, withdraw, co-optation, checkpoint
and strike options computed by hand, the options that are not offered, and the wording of a reason."""

from __future__ import annotations

import math

import numpy as np
import pytest
from planner_worlds import (
    checkpoint_off_at_albu_kamal,
    coalition_strikes_off,
    fighters_near,
    hostile_near,
    rivals_at_twice_own_at_albu_kamal,
    russia_with_reserve,
)
from worlds import planner_options

from sim.agents.planner_options import THREAT_KM, convoy_options, reinforce_options
from sim.world.factions import ALLIED, HOSTILE, RIVAL

from conftest import coarse_model


def test_the_convoy_score_is_objective_less_tension_risk_and_setback():
    """After 100 fighters of the holder turned its last convoy to Albu Kamal back denied_days + 5
    days ago, with tension 6 toward the holder and 200 fighters in reserve (120 may leave):
    S = min(1.6 × 100, 120) = 120, risk = 1.6 × 100 / 120 − 1 = 1/3,
    setback = exp(−(denied_days + 5) / retry_days)."""
    model, planner = russia_with_reserve(200.0)
    spec, w = planner.spec, planner.spec.weights
    holder = int(model.influence.controller[model.place("Albu Kamal").cell])
    assert holder >= 0, "Albu Kamal is held at the start of the campaign"
    planner.setback("Albu Kamal", 100.0, holder)
    days = spec.denied_days + 5.0
    model.hours += days * 24.0
    model.tension.incident("withdrawal", planner.faction, holder, times=2.0)  # 6 tension units
    tension = model.tension.level[planner.faction, holder]
    expected_e = max(hostile_near(model, planner.faction, "Albu Kamal", 5.0), 100.0)
    strength = min(max(spec.convoy_strength, spec.overmatch * 100.0), 200.0 * (1 - spec.reserve_keep))
    score = (w.objective - w.tension * tension / model.spec.tension.escalate_at
             - w.risk * max(0.0, spec.overmatch * expected_e / strength - 1.0)
             - w.setback * math.exp(-days / spec.retry_days))
    (option,) = [o for o in planner_options(planner) if o.action.startswith("sends convoy")]
    assert f"({strength:.0f} fighters) toward Albu Kamal" in option.action, option.action
    assert option.score == pytest.approx(score, abs=1e-9), (
        f"score should be {w.objective:g} − {w.tension:g}·{tension:g}/15 − {w.risk:g}·risk − "
        f"{w.setback:g}·exp(−{days:g}/{spec.retry_days:g}) = {score:.4f}; got {option.score:.4f}")


def test_a_convoy_that_cannot_muster_its_strength_is_not_sent():
    model, planner = russia_with_reserve(90.0)  # 54 may leave, a convoy needs 60
    options = [o for o in planner_options(planner) if "convoy" in o.action and "Albu Kamal" in o.action]
    assert options and all(o.score < 0 for o in options), "too weak a reserve: no convoy option above zero"
    assert all(o.terms["wanted"] == planner.spec.convoy_strength for o in options), (
        f"the option says it wanted convoy_strength ({planner.spec.convoy_strength:g}): {[o.terms for o in options]}")


def test_a_post_outnumbered_past_the_break_ratio_is_withdrawn_with_its_score():
    """A post at Al-Mayadeen with insurgents beside it four times break_ratio × its own and allied
    fighters there: the withdraw option scores w.withdraw × hostile / (break_ratio × own) = 4."""
    model, planner = russia_with_reserve(200.0)
    post = planner.posts["Al-Mayadeen"][0]
    cell = model.place("Al-Mayadeen").cell
    own = sum(u.strength for f in np.flatnonzero(model.factions.relation[planner.faction] == ALLIED)
              for u in model.space.units_near(cell, 5.0, int(f)))
    isis = next(u for u in model.agents if u.kind == "insurgent")
    isis.move_to(cell)
    isis.gain(4 * model.spec.engagement.break_ratio * own - isis.strength)
    hostile = hostile_near(model, planner.faction, "Al-Mayadeen", 5.0)
    (option,) = [o for o in planner_options(planner) if o.action.startswith("withdraws its post")]
    expected = planner.spec.weights.withdraw * hostile / (model.spec.engagement.break_ratio * own)
    assert option.score == pytest.approx(expected, rel=1e-9) and option.score > 1.0, (
        f"withdraw score w·hostile / (break_ratio × own) = {expected:.3f}")
    assert post.alive


def test_the_reinforce_score_is_the_threat_weight_times_the_odds_less_one():
    """Rival fighters within 10 km of Albu Kamal at twice Iran's own and allied there: R = 2 and the
    reinforce option scores w.threat × (min(R, break_ratio) − 1) = w.threat."""
    model, iran, planner, own, garrison = rivals_at_twice_own_at_albu_kamal()
    threat = fighters_near(model, iran, "Albu Kamal", 10.0, [RIVAL, HOSTILE])
    ratio = threat / max(own, planner.spec.convoy_strength)
    assert ratio == pytest.approx(2.0)
    (option,) = [o for o in planner_options(planner) if o.action.startswith("reinforces Albu Kamal with")]
    w = planner.spec.weights
    assert option.score == pytest.approx(w.threat * (min(ratio, model.spec.engagement.break_ratio) - 1.0)), (
        f"reinforce score w.threat·(min(R, 3) − 1) with R = 2: {w.threat:g}; got {option.score:.4f}")
    garrison.gain(3.0 * own)  # R = 5: past the break ratio the odds add nothing more
    (option,) = [o for o in planner_options(planner) if o.action.startswith("reinforces Albu Kamal with")]
    assert option.score == pytest.approx(w.threat * (model.spec.engagement.break_ratio - 1.0))


def test_after_a_setback_the_planner_funds_co_optation_at_its_score_and_price():
    model = coarse_model("corridor_campaign.yaml")
    model.step()  # the day-0 event brings Iran's local militias, co-optation's targets
    russia = model.factions.index("russia")
    planner = model.planners[russia]
    assert not [o for o in planner_options(planner) if o.action.startswith("funds a co-optation")], (
        "without a setback co-optation is not an option")
    planner.setback("Albu Kamal", 100.0, model.factions.index("iran_militia"))
    model.hours += 24.0 * planner.spec.retry_days  # setback weight e^-1
    (option,) = [o for o in planner_options(planner) if o.action.startswith("funds a co-optation")]
    expected = planner.spec.weights.co_opt * (0.5 + math.exp(-1.0))
    assert option.score == pytest.approx(expected, rel=1e-9), f"w.co_opt·(0.5 + e^-1) = {expected:.4f}"
    funding = float(model.factions.funding[russia])
    option.act()
    rule = next(r for r in model.rules if r.name == "co_optation")
    assert rule.enabled, "funding the push switches the co-optation rule on"
    assert model.factions.funding[russia] == pytest.approx(funding - planner.spec.co_opt_usd_per_day)


def test_a_checkpoint_goes_up_when_a_denied_factions_post_stands_within_30_km():
    """The militias' command (deny: [russia]) with a switched-off checkpoint at Albu Kamal senses
    Russian posts through the map (`model.space`, a unit's `post_at`): a post 20 km away sets
    the checkpoint up (w.checkpoint), one 40 km away does not, nor a garrison 20 km away that is
    no post of the Russian command."""
    from sim.agents.planner_options import checkpoint_options

    model, planner, russia = checkpoint_off_at_albu_kamal()
    assert not model.convoys, "no Russian convoy on the road: only posts can make the checkpoint go up"
    assert not list(checkpoint_options(planner)), "no Russian post near Albu Kamal at the start"
    r, c = model.place("Albu Kamal").cell
    cells = 20.0 / model.map.cell_km
    garrison = model.spawn_unit("garrison", russia, 50.0, near=model.place("Albu Kamal"), radius_km=0.0,
                                label="R-post", stream=np.random.default_rng(0))
    for row, is_post, expected in ((r - cells, False, False), (r - cells, True, True), (r - 2 * cells, True, False)):
        garrison.move_to((int(row), c))
        garrison.post_at = "Al-Mayadeen" if is_post else None
        options = list(checkpoint_options(planner))
        where = f"a {'post' if is_post else 'garrison'} {(r - row) * model.map.cell_km:.0f} km north"
        assert bool(options) == expected, f"{where}: the checkpoint option should {'' if expected else 'not '}be open"
        if expected:
            assert options[0].score == planner.spec.weights.checkpoint, "its score is w.checkpoint"
            assert options[0].action == "sets up its checkpoints at Albu Kamal", options[0].action


def test_the_planner_does_not_reinforce_a_lost_cause():
    """Reinforcing Albu Kamal is an option against a rival garrison there; once that garrison is
    hostile and outnumbers, past break_ratio, all Iran's fighters near the town plus everything it
    could muster (at most all its fighters), the column would be withdrawn on arrival: no option."""
    model = coarse_model("corridor_campaign.yaml")
    iran, russia = model.factions.index("iran_militia"), model.factions.index("russia")
    planner = model.planners[iran]
    total = model.faction_strength(iran)
    garrison = next(u for u in model.agents if u.faction == russia and u.kind == "garrison")
    garrison.move_to(model.place("Albu Kamal").cell)
    garrison.gain(model.spec.engagement.break_ratio * 2.0 * total)
    reinforce = [o for o in planner_options(planner) if o.action.startswith("reinforces Albu Kamal with")]
    assert len(reinforce) == 1, "against a rival garrison, reinforcing the town is an option"
    model.set_relation(iran, russia, HOSTILE)
    hostile = fighters_near(model, iran, "Albu Kamal", 5.0, [HOSTILE], insurgents=True)
    assert hostile > model.spec.engagement.break_ratio * 2.0 * total, "the set-up: a lost cause by far"
    reinforce = [o for o in planner_options(planner) if o.action.startswith("reinforces Albu Kamal with")]
    assert reinforce == [], f"a column that would arrive past breaking point is not an option: {reinforce}"


def test_a_convoys_reason_names_the_place_its_holder_the_opposition_tension_and_the_last_setback():
    """The narrative's reason for a convoy option (agents/planner_wording.py), from its terms."""
    from sim.agents.planner_wording import WORDING

    terms = {"place": "Albu Kamal", "holder": "Iran", "opposition": 120.4, "within_km": 15.0, "tension": 2.25,
             "escalate_at": 5.0, "blocked_by": 300.0, "score": 0.4567}
    assert WORDING["convoy"][1](terms) == (
        "Albu Kamal is held by Iran, 120 rival fighters within 15 km; tension 2.2 of 5; "
        "the last convoy there was turned back by 300 (score 0.46)")
    assert WORDING["convoy"][1]({**terms, "holder": None, "blocked_by": 0.0}) == (
        "Albu Kamal is not held by anyone, 120 rival fighters within 15 km; tension 2.2 of 5 (score 0.46)"), (
        "no setback, no mention of one")


def test_the_checkpoint_option_ignores_moving_convoys_of_factions_not_denied_and_switches_the_rule_on():
    """The militias deny Russia only: their own convoy on the road does not open the checkpoint
    option; carrying it out (a Russian post 20 km away) switches the rule on."""
    from sim.agents.planner_options import checkpoint_options

    model, planner, russia = checkpoint_off_at_albu_kamal()
    rule = next(r for r in model.rules if r.name == "checkpoint_blockade")
    planner.send(["Albu Kamal"], 30.0, planner.next_label())  # an Iranian convoy on the road
    assert not planner.denied_moves(russia, rule), "a convoy of the militias' own is no denied faction moving"
    assert not list(checkpoint_options(planner)), "no Russian convoy or post: no checkpoint option"
    r, c = model.place("Albu Kamal").cell
    post = model.spawn_unit("garrison", russia, 50.0, near=model.place("Albu Kamal"), radius_km=0.0,
                            label="R-post", stream=np.random.default_rng(0))
    post.move_to((int(r - 20.0 / model.map.cell_km), c))
    post.post_at = "Al-Mayadeen"
    (option,) = checkpoint_options(planner)
    assert option.action == "sets up its checkpoints at Albu Kamal" and option.reason.startswith(
        f"{model.factions.labels[russia]} moving toward them"), f"the option names the checkpoints and who moves toward them: {option.reason}"
    option.act()
    assert rule.enabled, "carrying out the checkpoint option switches the blockade on"


def test_the_strike_option_switches_the_airstrikes_on_against_a_hostile_faction_and_off_when_that_ends():
    """The coalition's airstrikes against ISIS (hostile), switched off: an option w.strike to switch
    them on; once on, no option; at peace with the target (neutral), an option to switch them off."""
    from sim.agents.planner_options import strike_options

    model, planner, rule = coalition_strikes_off()
    coalition, isis = model.factions.index("coalition"), model.factions.index("insurgents")
    assert model.is_hostile(coalition, isis), "the campaign's coalition is at war with ISIS"
    (option,) = strike_options(planner)
    assert option.score == planner.spec.weights.strike and bool(option.terms["hostile"]), option
    option.act()
    assert rule.enabled and not list(strike_options(planner)), "switched on: no option left"
    model.factions.relation[coalition, isis] = model.factions.relation[isis, coalition] = 0
    (option,) = strike_options(planner)
    option.act()
    assert not rule.enabled, "no longer hostile: the option switches the strikes off"


@pytest.mark.parametrize(("muster_share", "expected"), [(0.4, False), (0.55, True)])
def test_a_column_smaller_than_half_a_convoy_is_not_sent(muster_share, expected):
    """Rivals at twice the militias' own at Albu Kamal want a column of reinforce_to × threat − own,
    more than the reserve can muster, so need = muster: a column goes only if need ≥
    convoy_strength / 2 = 30 fighters (0.55 × 60 = 33 is enough, 0.4 × 60 = 24 too few)."""
    model, iran, planner, own, garrison = rivals_at_twice_own_at_albu_kamal()
    reserve = planner.reserve()
    assert reserve, "the set-up needs a reserve at the militias' base"
    wanted = muster_share * planner.spec.convoy_strength / (1.0 - planner.spec.reserve_keep)
    for unit in reserve:
        unit.lose(unit.strength - wanted / len(reserve))
    assert planner.muster() == pytest.approx(muster_share * planner.spec.convoy_strength)
    assert planner.spec.reinforce_to * 2.0 * own - own > planner.muster(), "the set-up needs more than the muster"
    columns = [o for o in planner_options(planner) if o.action.startswith("reinforces Albu Kamal with")]
    assert bool(columns) == expected, (
        f"muster {planner.muster():.0f} against convoy_strength / 2 = {planner.spec.convoy_strength / 2:g}: "
        f"a column {'should' if expected else 'should not'} be an option")


def test_the_convoy_options_terms_are_its_score_terms_and_its_reason_names_the_setback():
    """After 100 fighters of the holder turned the last convoy to Albu Kamal back denied_days + 5
    days ago, with 200 in reserve: S = min(max(60, 1.6 × 100), 120) = 120 fighters, E = max(hostile
    fighters within 5 km, 100), risk = max(0, 1.6·E/S − 1), setback = exp(−(denied_days + 5) /
    retry_days); the reason names the 100 that turned it back."""
    model, planner = russia_with_reserve(200.0)
    spec = planner.spec
    holder = int(model.influence.controller[model.place("Albu Kamal").cell])
    planner.setback("Albu Kamal", 100.0, holder)
    days = spec.denied_days + 5.0
    model.hours += days * 24.0
    (option,) = [o for o in planner_options(planner) if o.action.startswith("sends convoy")]
    strength = min(max(spec.convoy_strength, spec.overmatch * 100.0), 200.0 * (1 - spec.reserve_keep))
    expected_e = max(hostile_near(model, planner.faction, "Albu Kamal", 5.0), 100.0)
    t = option.terms
    assert t["strength"] == pytest.approx(strength) and t["blocked_by"] == 100.0, t
    assert t["setback"] == pytest.approx(math.exp(-days / spec.retry_days), rel=1e-12), (
        f"setback weight exp(−{days:g}/{spec.retry_days:g}) expected, got {t}")
    assert t["risk"] == pytest.approx(max(0.0, spec.overmatch * expected_e / strength - 1.0), rel=1e-12), t
    assert "; the last convoy there was turned back by 100 (score" in option.reason, option.reason


def test_a_convoy_on_its_way_to_one_target_leaves_the_options_for_the_others():
    """A convoy already on its way to Albu Kamal (keep_open's next place) takes that target out of
    the options; the place to expand into (Hajin) still gets its convoy option."""
    model, planner = russia_with_reserve(400.0)
    planner.spec = planner.spec.model_copy(update={"expand_into": ["Hajin"]})
    planner.send(["Albu Kamal"], 60.0, planner.next_label())
    convoys = [o for o in planner_options(planner) if o.kind in ("convoy", "convoy_too_weak", "road_denied")]
    assert [o.terms["place"] for o in convoys] == ["Hajin"], [o.action for o in convoys]


def test_a_reinforcing_column_is_labelled_as_the_commands_next_convoy_and_sent_so():
    """Rivals at twice the militias' own at Albu Kamal: the reinforce option names its column by the
    command's next label ("I1", the first of Iran's militias' convoys) and carrying it out sends a
    convoy of that label with the column's strength toward Albu Kamal."""
    model, iran, planner, own, garrison = rivals_at_twice_own_at_albu_kamal()
    label = planner.next_label()
    (option,) = [o for o in planner_options(planner) if o.action.startswith("reinforces Albu Kamal with")]
    assert option.terms["label"] == label and f"with column {label} (" in option.action, option.action
    convoy = option.act()
    assert convoy.label == label and convoy.route == ["Albu Kamal"], (convoy.label, convoy.route)
    assert convoy.strength == pytest.approx(option.terms["need"]), (convoy.strength, option.terms)


def test_the_co_optation_reason_names_the_local_militias_and_the_days_since_the_setback():
    """The co-optation option's reason: the rivals' local militia units on the map (those of the
    rule's `from` factions) and the days since the last convoy was turned back (retry_days here)."""
    model = coarse_model("corridor_campaign.yaml")
    model.step()  # the day-0 event brings Iran's local militias
    planner = model.planners[model.factions.index("russia")]
    rule = next(r for r in model.rules if r.name == "co_optation")
    targets = {model.factions.index(f) for f in rule.params.from_}
    n = sum(1 for u in model.agents if u.kind == "local_militia" and u.faction in targets)
    assert n > 0, "the set-up: local militias of the rivals on the map"
    planner.setback("Albu Kamal", 100.0, model.factions.index("iran_militia"))
    model.hours += 24.0 * planner.spec.retry_days
    (option,) = [o for o in planner_options(planner) if o.action.startswith("funds a co-optation")]
    assert option.reason == (f"{n} local militia units of its rivals on the map; a convoy was turned back "
                             f"{planner.spec.retry_days:.0f} days ago (score {option.score:.2f})"), option.reason


def test_the_strike_option_says_whom_it_strikes_and_why():
    """The coalition at war with ISIS, its strikes off: "calls strikes on <ISIS's label>: it is now
    hostile to them"; at peace again with them, on: "stops its strikes on …: it is no longer
    fighting them"."""
    from sim.agents.planner_options import strike_options

    model, planner, rule = coalition_strikes_off()
    coalition, isis = model.factions.index("coalition"), model.factions.index("insurgents")
    label = model.factions.labels[isis]
    (option,) = strike_options(planner)
    assert (option.action, option.reason) == (f"calls strikes on {label}", "it is now hostile to them"), option
    option.act()
    model.factions.relation[coalition, isis] = model.factions.relation[isis, coalition] = 0
    (option,) = strike_options(planner)
    assert (option.action, option.reason) == (f"stops its strikes on {label}", "it is no longer fighting them"), option


def test_a_reserve_too_weak_for_a_convoy_says_so_for_every_target():
    """A reserve of 90 (54 may leave; a convoy needs 60) and two targets, Albu Kamal and Hajin:
    each target has its own convoy_too_weak option (−1), not only the first."""
    model, planner = russia_with_reserve(90.0)
    planner.spec = planner.spec.model_copy(update={"expand_into": ["Hajin"]})
    weak = [o.terms["place"] for o in convoy_options(planner) if o.kind == "convoy_too_weak"]
    assert weak == ["Albu Kamal", "Hajin"], f"one too-weak option per target, in order: {weak}"


def test_a_column_to_a_denied_place_leaves_the_columns_to_the_other_held_places():
    """Russia holds Albu Kamal (a post there, rivals around) and Al-Mayadeen; the militias turned a
    column to Albu Kamal back, so that column scores −1 for denied_days; the road to Al-Mayadeen
    (short of Albu Kamal) is open, and its column is still an option."""
    model, planner = russia_with_reserve(400.0)
    iran = model.factions.index("iran_militia")
    planner.spec = planner.spec.model_copy(update={"hold": ["Albu Kamal", "Al-Mayadeen"]})
    post = model.spawn_unit("garrison", planner.faction, 10.0, near=model.place("Albu Kamal"), radius_km=2.0,
                            label="R-AK", stream=np.random.default_rng(0))
    planner.post_set_up("Albu Kamal", post)

    def columns():
        return {o.terms["place"]: o for o in reinforce_options(planner)}

    assert set(columns()) == {"Albu Kamal", "Al-Mayadeen"}, f"the set-up: both places call for a column: {columns()}"
    planner.setback("Albu Kamal", 100.0, iran)
    after = columns()
    assert after["Albu Kamal"].act is None and after["Albu Kamal"].score == -1.0, after["Albu Kamal"]
    assert "Al-Mayadeen" in after and after["Al-Mayadeen"].act is not None, (
        f"the column to Al-Mayadeen, whose road is open, is still an option: {after}")


def test_a_place_it_has_no_fighters_at_is_no_reinforcements_objective():
    """Al-Mayadeen, a place the militias hold (`hold`), 40 km from their base: with a Russian
    garrison of 100 there and none of their or their allies' fighters within 10 km, the town is a
    convoy's objective, not a place to reinforce: no column (own = 0, whatever the threat)."""
    model = coarse_model("corridor_campaign.yaml")
    iran, russia = model.factions.index("iran_militia"), model.factions.index("russia")
    planner = model.planners[iran]
    cell = model.place("Al-Mayadeen").cell
    garrison = next(u for u in model.agents if u.faction == russia and u.kind == "garrison")
    garrison.move_to(cell)
    garrison.gain(100.0 - garrison.strength)
    for unit in [u for f in np.flatnonzero(model.factions.relation[iran] == ALLIED)
                 for u in model.space.units_near(cell, THREAT_KM, int(f))]:
        unit.lose(unit.strength)  # gone (dead: off the map)
    assert planner.fighters_near(cell, THREAT_KM, friendly=True) == 0.0
    assert planner.fighters_near(cell, THREAT_KM, friendly=False) >= 100.0, "the threat is there"
    assert planner.muster() >= planner.spec.convoy_strength, "the reserve could send a column"
    assert [o for o in reinforce_options(planner) if o.terms["place"] == "Al-Mayadeen"] == [], (
        "no own or allied fighter near it: no reinforcement")


def test_a_threat_of_less_than_one_fighter_still_calls_for_a_column():
    """The rule is threat > 0, whatever the scale: within 10 km of Albu Kamal the militias keep one
    unit of their reserve (their base is that close), of 0.5 fighters (the least a unit can
    have), against Russia's garrison of 0.8, nobody else, and a convoy is 0.1: R = 0.8 / 0.5 =
    1.6, a column of min(muster 0.5 × (1 − reserve_keep), 1.5 × 0.8 − 0.5 = 0.7) ≥ 0.05, scored
    w.threat × (1.6 − 1)."""
    model, iran, planner, own, garrison = rivals_at_twice_own_at_albu_kamal()
    planner.spec = planner.spec.model_copy(update={"convoy_strength": 0.1})
    cell = model.place("Albu Kamal").cell
    keep = planner.reserve()[0]
    for unit in {u for f in range(len(model.factions)) for u in model.space.units_near(cell, THREAT_KM, f)}:
        unit.lose(unit.strength - {garrison: 0.8, keep: 0.5}.get(unit, 0.0))
    assert planner.fighters_near(cell, THREAT_KM, friendly=False) == pytest.approx(0.8)
    assert planner.fighters_near(cell, THREAT_KM, friendly=True) == pytest.approx(0.5), "the reserve is within 10 km"
    (option,) = [o for o in reinforce_options(planner) if o.terms["place"] == "Albu Kamal"]
    need = min(0.5 * (1.0 - planner.spec.reserve_keep), 0.7)
    expected = planner.spec.weights.threat * (1.6 - 1.0)
    assert option.terms["need"] == pytest.approx(need) and option.score == pytest.approx(expected), (
        f"a column of {need:g} scored w.threat × 0.6 = {expected:g}: {option.terms}")


def test_a_convoy_to_a_denied_target_leaves_the_convoys_to_the_other_targets():
    """Targets Albu Kamal and Hajin; the militias turned a convoy to Albu Kamal back, so the
    convoy there scores −1 for denied_days; the road to Hajin does not pass Albu Kamal, and its
    convoy is still an option."""
    model, planner = russia_with_reserve(200.0)
    iran = model.factions.index("iran_militia")
    planner.spec = planner.spec.model_copy(update={"expand_into": ["Hajin"]})
    planner.setback("Albu Kamal", 100.0, iran)
    by_place = {o.terms["place"]: o.kind for o in convoy_options(planner)}
    assert by_place == {"Albu Kamal": "road_denied", "Hajin": "convoy"}, (
        f"Albu Kamal's road denied, Hajin's convoy still an option: {by_place}")
