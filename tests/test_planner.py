"""Faction planners (agents/planner.py, ODD §2 *Adaptation*): an arrived convoy becomes a post; a
planner answers a setback with a stronger convoy; `planner: off` gives the fixed behaviour."""

from __future__ import annotations

import math

import numpy as np
import pytest
from worlds import planner_options

from sim.agents.garrison import Garrison
from sim.agents.planner_options import convoy_options
from sim.world.factions import ALLIED, HOSTILE, RIVAL

from conftest import SCENARIOS, coarse_model


def test_an_arrived_convoy_sets_up_a_post():
    model = coarse_model("open_road.yaml", days=3)
    model.run()
    convoy = model.convoys[0]
    assert convoy.outcome == "arrived" and not convoy.alive, "the convoy arrives and leaves the map as a convoy"
    posts = [u for u in model.agents_by_type.get(Garrison, ()) if u.label == "post R1"]
    assert len(posts) == 1 and posts[0].faction == convoy.faction, "a post of the convoy's faction stands there"
    goal = model.place(convoy.route[-1]).cell
    assert math.dist(posts[0].rc, goal) * model.map.cell_km <= 4.0, "the post stands at the convoy's goal"


def test_after_a_setback_the_planner_wants_a_stronger_convoy():
    model = coarse_model("corridor_campaign.yaml")
    planner = model.planners[model.factions.index("russia")]
    planner.setback("Albu Kamal", 100.0, model.factions.index("iran_militia"))
    model.hours += 24.0 * planner.spec.denied_days  # the rival's denial has been taken up by now
    for unit in planner.reserve():  # plenty of fighters at the base
        unit.gain(500.0)
    planner.post_set_up("Al-Mayadeen", next(u for u in model.agents if u.faction == planner.faction))
    options = [o for o in convoy_options(planner) if "toward Albu Kamal" in o.action]
    assert options, "a convoy toward Albu Kamal should be among the options"
    spec = planner.spec
    assert f"({spec.overmatch * 100:.0f} fighters)" in options[0].action, (
        f"after 100 fighters turned the last convoy back, the next should have {spec.overmatch:g} × 100: "
        f"{options[0].action}")


def test_planner_off_gives_the_fixed_behaviour():
    on = coarse_model("corridor_campaign.yaml", days=4)
    off = coarse_model("corridor_campaign.yaml", days=4, **{f"factions.{f}.planner": False
                                                     for f in ("russia", "iran_militia", "coalition")})
    assert not off.planners and len(on.planners) == 3
    assert not [e for e in off.run().log.entries if e.kind == "decision"], "no planner, no decisions"
    decisions = [e for e in on.run().log.entries if e.kind == "decision"]
    assert decisions and all(": " in e.text for e in decisions), "every decision is logged with its reason"


def _russia_with_reserve(fighters: float, **overrides):
    """The campaign's Russian command with exactly `fighters` in its reserve at the base, a post at
    Al-Mayadeen and a corridor to keep open beyond it (Albu Kamal and its crossing: Al-Mayadeen,
    the militias' hub in the record's situation, is not on it, so Albu Kamal is its next place)."""
    # keep_open [base, Albu Kamal, crossing]: the planner leaves its own base out of the route
    model = coarse_model("corridor_campaign.yaml", **{
        "factions.russia.planner.keep_open[0]": "Deir ez-Zor airbase", **overrides})
    russia = model.factions.index("russia")
    planner = model.planners[russia]
    reserve = model.space.units_near(planner.base.cell, planner.spec.base_radius_km, russia)
    assert reserve and all(u.kind == "garrison" for u in reserve), "the reserve is the base's garrison"
    for unit in reserve:
        unit.gain(fighters / len(reserve) - unit.strength)
    post = model.spawn_unit("garrison", russia, 50.0, near=model.place("Al-Mayadeen"), radius_km=2.0,
                            label="R-post", stream=np.random.default_rng(0))  # placement only
    planner.post_set_up("Al-Mayadeen", post)
    return model, planner


def _hostile_near(model, faction: int, place: str, km: float) -> float:
    """Fighters of every faction hostile to `faction` within `km` of `place` (the planner's E)."""
    relation = model.factions.relation[faction]
    cell = model.place(place).cell
    return sum(u.strength for f in np.flatnonzero(relation == HOSTILE) for u in model.space.units_near(cell, km, int(f)))


def test_the_convoy_score_is_objective_less_tension_risk_and_setback():
    """After 100 fighters of the holder turned its last convoy to Albu Kamal back denied_days + 5
    days ago, with tension 6 toward the holder and 200 fighters in reserve (120 may leave):
    S = min(1.6 × 100, 120) = 120, risk = 1.6 × 100 / 120 − 1 = 1/3,
    setback = exp(−(denied_days + 5) / retry_days)."""
    model, planner = _russia_with_reserve(200.0)
    spec, w = planner.spec, planner.spec.weights
    holder = int(model.influence.controller[model.place("Albu Kamal").cell])
    assert holder >= 0, "Albu Kamal is held at the start of the campaign"
    planner.setback("Albu Kamal", 100.0, holder)
    days = spec.denied_days + 5.0
    model.hours += days * 24.0
    model.tension.incident("withdrawal", planner.faction, holder, times=2.0)  # 6 tension units
    tension = model.tension.level[planner.faction, holder]
    expected_e = max(_hostile_near(model, planner.faction, "Albu Kamal", 5.0), 100.0)
    strength = min(max(spec.convoy_strength, spec.overmatch * 100.0), 200.0 * (1 - spec.reserve_keep))
    score = (w.objective - w.tension * tension / model.spec.tension.escalate_at
             - w.risk * max(0.0, spec.overmatch * expected_e / strength - 1.0)
             - w.setback * math.exp(-days / spec.retry_days))
    (option,) = [o for o in planner_options(planner) if o.action.startswith("sends convoy")]
    assert f"({strength:.0f} fighters) toward Albu Kamal" in option.action, option.action
    assert option.score == pytest.approx(score, abs=1e-9), (
        f"score should be {w.objective:g} − {w.tension:g}·{tension:g}/15 − {w.risk:g}·risk − "
        f"{w.setback:g}·exp(−{days:g}/{spec.retry_days:g}) = {score:.4f}; got {option.score:.4f}")


def test_a_road_a_rival_denied_is_not_retried_for_denied_days_and_is_after():
    """The militias (rivals, not hostile) turned its convoy to Albu Kamal back at hour h: until
    h + denied_days the command sends none there (the only option toward it scores −1 and cannot be
    carried out, days left = denied_days − days since), from h + denied_days it does; and once the
    rivals are fighting (hostile) the memory no longer holds: the risk term weighs the road."""
    model, planner = _russia_with_reserve(400.0)
    iran = model.factions.index("iran_militia")
    assert model.factions.relation[planner.faction, iran] == RIVAL, "the campaign's militias are rivals"
    days = planner.spec.denied_days
    assert days >= 2, f"denied_days is {days:g}: the test steps through it a day at a time"

    def toward_albu_kamal():
        return [o for o in planner_options(planner) if "toward Albu Kamal" in o.action]

    assert any(o.act is not None and o.score > 0 for o in toward_albu_kamal()), "before any setback a convoy goes"
    start = model.hours
    planner.setback("Albu Kamal", 100.0, iran)
    for elapsed in (0.0, 1.0, days - 1.0):
        model.hours = start + 24.0 * elapsed
        (option,) = toward_albu_kamal()
        assert option.act is None and option.score == -1.0, (
            f"{elapsed:g} of {days:g} days after the rival's denial no convoy should be sent: {option}")
        assert option.terms["days_left"] == pytest.approx(days - elapsed), (
            f"{days:g} − {elapsed:g} days should be left: {option.terms}")
    model.hours = start + 24.0 * days
    (option,) = toward_albu_kamal()
    assert option.act is not None and option.action.startswith("sends convoy"), (
        f"{days:g} days after the denial the road is tried again: {option}")
    model.hours = start + 24.0
    model.set_relation(planner.faction, iran, HOSTILE)
    (option,) = toward_albu_kamal()
    assert option.act is not None, f"a denial by a faction it now fights is no rival's denial: {option}"


def test_a_denial_at_a_checkpoint_blocks_every_road_through_it_and_no_other():
    """The militias (rivals) turned Russia's convoy to Albu Kamal back at their Albu Kamal
    checkpoint (reach 3 km): the memory is the checkpoint's, so once its post stands at Albu Kamal
    its next objective, the crossing 4–5 km beyond the town on the same road, is denied too for
    denied_days (days left = denied_days − days since, the denier and the checkpoint named), then
    goes; a column to Al-Mayadeen, whose road from Deir ez-Zor never comes within 3 km of
    Albu Kamal (about 45 km further down the valley), is not held back."""
    model, planner = _russia_with_reserve(400.0)
    iran = model.factions.index("iran_militia")
    days = planner.spec.denied_days
    (checkpoint,) = [cp for cp in model.checkpoints if cp.place.name == "Albu Kamal"]
    reach = checkpoint.rule.params.reach_km
    town, crossing = model.place("Albu Kamal").cell, model.place("Albu Kamal crossing").cell
    assert math.dist(town, crossing) * model.map.cell_km > reach, (
        f"the set-up: the crossing lies beyond the checkpoint's {reach:g} km reach, so only the road to it "
        f"passes the checkpoint")
    start = model.hours
    planner.setback("Albu Kamal", 100.0, iran, at="Albu Kamal")
    planner.post_set_up("Albu Kamal", model.spawn_unit("garrison", planner.faction, 50.0, near=model.place(
        "Albu Kamal"), radius_km=1.0, label="R-post AK", stream=np.random.default_rng(0)))

    def toward_the_crossing():
        return [o for o in planner_options(planner) if "toward Albu Kamal crossing" in o.action]

    def reinforce_al_mayadeen():
        return [o for o in planner_options(planner) if o.action.startswith("reinforces Al-Mayadeen")]

    model.hours = start + 24.0 * (days - 1.0)
    (option,) = toward_the_crossing()
    assert option.act is None and option.score == -1.0, (
        f"{days - 1:g} days after the denial at the town's checkpoint no convoy goes to the crossing behind it: {option}")
    assert option.terms["days_left"] == pytest.approx(1.0) and option.terms["at"] == "Albu Kamal", (
        f"1 day left of {days:g}, the Albu Kamal checkpoint named: {option.terms}")
    (column,) = reinforce_al_mayadeen()
    assert column.act is not None and column.score > 0, (
        f"the road to Al-Mayadeen does not pass the Albu Kamal checkpoint: its column still goes: {column}")
    model.hours = start + 24.0 * days
    (option,) = toward_the_crossing()
    assert option.act is not None and option.action.startswith("sends convoy"), (
        f"{days:g} days after the denial the road through the checkpoint is tried again: {option}")


def test_a_column_to_a_held_place_whose_road_a_rival_denied_waits_denied_days_too():
    """Its post at Al-Mayadeen (the militias' hub: rivals outnumber it) calls for a column; after the
    militias turned a column to Al-Mayadeen back, none is sent for denied_days (the option toward it
    scores −1 and cannot be carried out), and from then on the column goes again."""
    model, planner = _russia_with_reserve(400.0)
    iran = model.factions.index("iran_militia")
    days = planner.spec.denied_days

    def reinforce_al_mayadeen():
        return [o for o in planner_options(planner) if o.action.startswith("reinforces Al-Mayadeen")]

    (option,) = reinforce_al_mayadeen()
    assert option.act is not None and option.score > 0, f"outnumbered, its post calls for a column: {option}"
    start = model.hours
    planner.setback("Al-Mayadeen", 100.0, iran)
    model.hours = start + 24.0 * (days - 1.0)
    (option,) = reinforce_al_mayadeen()
    assert option.act is None and option.score == -1.0 and option.terms["days_left"] == pytest.approx(1.0), (
        f"a day before denied_days ({days:g}) have passed no column goes: {option}")
    assert option.reason.endswith("for 1 more days"), option.reason
    model.hours = start + 24.0 * days
    (option,) = reinforce_al_mayadeen()
    assert option.act is not None and option.score > 0, f"after {days:g} days the column goes again: {option}"


def test_a_convoy_that_cannot_muster_its_strength_is_not_sent():
    model, planner = _russia_with_reserve(90.0)  # 54 may leave, a convoy needs 60
    options = [o for o in planner_options(planner) if "convoy" in o.action and "Albu Kamal" in o.action]
    assert options and all(o.score < 0 for o in options), "too weak a reserve: no convoy option above zero"
    assert all(o.terms["wanted"] == planner.spec.convoy_strength for o in options), (
        f"the option says it wanted convoy_strength ({planner.spec.convoy_strength:g}): {[o.terms for o in options]}")


def test_a_post_outnumbered_past_the_break_ratio_is_withdrawn_with_its_score():
    """A post at Al-Mayadeen with insurgents beside it four times break_ratio × its own and allied
    fighters there: the withdraw option scores w.withdraw × hostile / (break_ratio × own) = 4."""
    model, planner = _russia_with_reserve(200.0)
    post = planner.posts["Al-Mayadeen"][0]
    cell = model.place("Al-Mayadeen").cell
    own = sum(u.strength for f in np.flatnonzero(model.factions.relation[planner.faction] == ALLIED)
              for u in model.space.units_near(cell, 5.0, int(f)))
    isis = next(u for u in model.agents if u.kind == "insurgent")
    isis.move_to(cell)
    isis.gain(4 * model.spec.engagement.break_ratio * own - isis.strength)
    hostile = _hostile_near(model, planner.faction, "Al-Mayadeen", 5.0)
    (option,) = [o for o in planner_options(planner) if o.action.startswith("withdraws its post")]
    expected = planner.spec.weights.withdraw * hostile / (model.spec.engagement.break_ratio * own)
    assert option.score == pytest.approx(expected, rel=1e-9) and option.score > 1.0, (
        f"withdraw score w·hostile / (break_ratio × own) = {expected:.3f}")
    assert post.alive


def _fighters(model, faction: int, place: str, km: float, relations, *, insurgents=False) -> float:
    """Fighters within `km` of `place` of the factions whose relation to `faction` is in `relations`."""
    cell = model.place(place).cell
    wanted = np.isin(model.factions.relation[faction], relations)
    return sum(u.strength for f in np.flatnonzero(wanted) for u in model.space.units_near(cell, km, int(f))
               if insurgents or u.kind != "insurgent")


def _rivals_at_twice_own_at_albu_kamal():
    """The campaign at coarse resolution with a Russian garrison moved to Albu Kamal and sized so that
    the rival fighters within 10 km are twice the militias' own and allied there: (model, iran, planner,
    own, garrison)."""
    model = coarse_model("corridor_campaign.yaml")
    iran, russia = model.factions.index("iran_militia"), model.factions.index("russia")
    planner = model.planners[iran]
    own = _fighters(model, iran, "Albu Kamal", 10.0, [ALLIED])
    rivals = _fighters(model, iran, "Albu Kamal", 10.0, [RIVAL, HOSTILE])
    garrison = next(u for u in model.agents if u.faction == russia and u.kind == "garrison")
    garrison.move_to(model.place("Albu Kamal").cell)
    garrison.gain(2.0 * own - rivals - garrison.strength)
    return model, iran, planner, own, garrison


def test_the_reinforce_score_is_the_threat_weight_times_the_odds_less_one():
    """Rival fighters within 10 km of Albu Kamal at twice Iran's own and allied there: R = 2 and the
    reinforce option scores w.threat × (min(R, break_ratio) − 1) = w.threat."""
    model, iran, planner, own, garrison = _rivals_at_twice_own_at_albu_kamal()
    threat = _fighters(model, iran, "Albu Kamal", 10.0, [RIVAL, HOSTILE])
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
    hostile = _fighters(model, iran, "Albu Kamal", 5.0, [HOSTILE], insurgents=True)
    assert hostile > model.spec.engagement.break_ratio * 2.0 * total, "the set-up: a lost cause by far"
    reinforce = [o for o in planner_options(planner) if o.action.startswith("reinforces Albu Kamal with")]
    assert reinforce == [], f"a column that would arrive past breaking point is not an option: {reinforce}"


@pytest.mark.slow  # a 120-day hindcast run: `make verify`
def test_in_the_hindcast_no_column_goes_down_a_road_a_rival_denied_within_denied_days():
    """The hindcast's seed 1741999405506995996 with Russia funded for ~1,370 fighters (9,000 US$ a
    day, its funding before it was set by its deployment: a command with the reserve to keep
    pushing), where before the denial memory Russia's command sent 13 columns in 56 days to its
    post at Albu Kamal, each turned back at the militias' checkpoint: now every convoy or column it
    sends while rivals with the militias, on a road that passes a checkpoint where a rival turned
    one back, leaves at least denied_days after that turn-back, and the road is tried again after."""
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    loaded = load_scenario(SCENARIOS / "corridor_2017_2019.yaml", overrides={
        "map.cell_km": 3, "time.step_hours": 3, "time.duration_days": 300, "factions.russia.funding_usd_per_day": 9000})
    model = CorridorModel(loaded, 1741999405506995996)
    russia, iran = model.factions.index("russia"), model.factions.index("iran_militia")
    planner = model.planners[russia]
    denials, sends = [], []
    setback, send = planner.setback, planner.send

    def record_setback(place, blockers, by, at=None):
        denials.append((model.hours, at or place, model.factions.relation[russia, by] == RIVAL))
        setback(place, blockers, by, at=at)

    def record_send(route, strength, label):
        sends.append((model.hours, list(route), model.factions.relation[russia, iran] == RIVAL))
        return send(route, strength, label)

    planner.setback, planner.send = record_setback, record_send
    for _ in range(int(120 * 24 / model.step_hours)):
        model.step()
    days = planner.spec.denied_days
    rival_denials = [(h, at) for h, at, rival in denials if rival]
    assert len(rival_denials) >= 2, f"the set-up: the militias turn Russian columns back: {denials}"

    def denied_before(hours, route):
        return [h for h, at in rival_denials if h < hours and planner.passes(planner.road(route), at)]

    for hours, route, rivals in sends:
        if not rivals:
            continue  # once they fight, the memory no longer holds
        before = denied_before(hours, route)
        if before:
            gap = (hours - max(before)) / 24.0
            assert gap >= days - 1e-9, (
                f"a column to {route[-1]} left {gap:.1f} days after a rival's denial on its road (< {days:g})")
    retried = [(h, r[-1]) for h, r, _ in sends if denied_before(h, r)]
    assert retried, f"after {days:g} days a denied road is tried again: sends {sends}, denials {rival_denials}"


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


def test_a_chosen_option_is_carried_out_and_counted_and_a_wait_is_not():
    """carry_out (an outside chooser's pick): the option's action runs and the command's decisions
    go from 0 to 1; choosing to wait (None) runs nothing and counts nothing."""
    from sim.agents.planner_options import Option

    model, planner = _russia_with_reserve(200.0)
    done = []
    assert planner.decisions == 0, "a new command has made no decision"
    planner.carry_out(None, "team A")
    assert planner.decisions == 0, "waiting is no decision"
    planner.carry_out(Option("strike", 1.0, {"hostile": True, "target": "ISIS"}, lambda: done.append(1)), "team A")
    assert done == [1] and planner.decisions == 1, f"the chosen option runs once and counts: {done}, {planner.decisions}"


def test_a_convoy_takes_what_the_reserve_can_give_unit_by_unit_and_the_first_is_numbered_1():
    """Reserve 200 fighters, reserve_keep 0.4: each unit gives 60 % of its fighters until the
    convoy has its strength. Asking for (first unit's share) + 0.5 takes the last 0.5 from the
    second unit; asking for more than the muster (120) sends the muster."""
    model, planner = _russia_with_reserve(200.0)
    keep = planner.spec.reserve_keep
    units = planner.reserve()
    assert len(units) >= 2, "the set-up needs two reserve units"
    assert planner.next_label() == "R1", "no Russian convoy in the scenario: the command's first is R1"
    first = units[0].strength * (1.0 - keep)
    convoy = planner.send(["Albu Kamal"], first + 0.5, planner.next_label())
    assert convoy.strength == pytest.approx(first + 0.5), f"expected {first + 0.5:.3f} fighters, got {convoy.strength:.3f}"
    assert convoy.label == "R1" and planner.next_label() == "R2", (convoy.label, planner.next_label())
    muster = planner.muster()
    big = planner.send(["Albu Kamal"], muster + 100.0, planner.next_label())
    assert big.strength == pytest.approx(muster), f"asked for more than the muster {muster:.3f}: got {big.strength:.3f}"


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
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    loaded = load_scenario(SCENARIOS / "corridor_campaign.yaml", overrides={
        "map.cell_km": 2.0, "time.step_hours": 2, "time.duration_days": 2,
        "rules.airstrikes": {"enabled": False, "by": "coalition", "against": "insurgents", "rate_per_day": 1.0}})
    model = CorridorModel(loaded, 1)
    coalition, isis = model.factions.index("coalition"), model.factions.index("insurgents")
    planner = model.planners[coalition]
    rule = next(r for r in model.rules if r.name == "airstrikes")
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
    model, iran, planner, own, garrison = _rivals_at_twice_own_at_albu_kamal()
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


def test_a_withdrawn_post_is_a_post_no_longer_and_goes_home_to_the_base():
    model, planner = _russia_with_reserve(200.0)
    (post,) = planner.posts["Al-Mayadeen"]
    planner.withdraw_post("Al-Mayadeen")
    assert "Al-Mayadeen" not in planner.posts and post.post_at is None and post.home == planner.base.cell, (
        "withdrawn, the post is a post no longer and goes home to the base")


def test_the_reserve_leaves_out_units_on_checkpoint_duty_and_on_the_move():
    """The reserve is the base's standing units that may leave: one of the garrison set on
    checkpoint duty, another given a path, are no longer in it."""
    from sim.agents.standing import Posture

    model, planner = _russia_with_reserve(200.0)
    units = planner.reserve()
    assert len(units) >= 2, "the set-up needs two reserve units"
    units[0].posture = Posture.CHECKPOINT
    units[1].travel_to(model.place("Al-Mayadeen").cell, Posture.RETURN)
    assert units[1].mover is not None, "the set-up: the second unit is on its way"
    assert units[0] not in planner.reserve() and units[1] not in planner.reserve(), (
        "a unit on checkpoint duty or on the move is not in the reserve")


def test_the_convoy_targets_are_the_next_place_to_keep_open_then_each_place_to_expand_into():
    """keep_open beyond the base: Albu Kamal first (no post there); expand_into Hajin: also a target."""
    model, planner = _russia_with_reserve(200.0)
    planner.spec = planner.spec.model_copy(update={"expand_into": ["Hajin"]})
    targets = [(place.name, route) for place, route in planner.convoy_targets()]
    assert targets == [("Albu Kamal", ["Albu Kamal"]), ("Hajin", ["Hajin"])], targets


def checkpoint_off_at_albu_kamal():
    """(model, the militias' planner, Russia's index): the campaign at 2 km / 2 h, seed 1, with the
    militias' checkpoint at Albu Kamal against Russia present but switched off."""
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    loaded = load_scenario(SCENARIOS / "corridor_campaign.yaml", overrides={
        "map.cell_km": 2.0, "time.step_hours": 2, "time.duration_days": 2,
        "rules.checkpoint_blockade": {"enabled": False, "by": "iran_militia", "against": ["russia"],
                                      "at": ["Albu Kamal"]}})
    model = CorridorModel(loaded, 1)
    return model, model.planners[model.factions.index("iran_militia")], model.factions.index("russia")
