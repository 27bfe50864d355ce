"""The checkpoint's standoff (sim/rules/checkpoint_blockade.py, ODD §3.3 *Checkpoint blockade*,
steps 1–5), one `apply` a step on the small standoff world of tests/worlds.py: the stop, the
give-way, the push and the fight, the withdrawal and its reason, the call for reinforcements, and
the counts and wording a user reads."""

from __future__ import annotations

import numpy as np
import pytest
from worlds import east, outcome, standoff, units_of, world

from sim.agents.convoy import ConvoyState


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


def test_the_convoy_judges_the_odds_once_and_then_waits_whatever_arrives(tmp_path):
    """Step 4 (ODD): once the mobilisation is over the convoy judges the odds *once*. D = 20 < 1.5 ×
    C = 45 at the hard threshold: it stays; 30 more defenders turning up later (D = 50 ≥ 45) do not
    make it judge again: it waits on (until its wait runs out, step 5)."""
    model, rule_, car = standoff(tmp_path, convoy=30, crew=20, spread=0.0)
    rule_.apply()
    (standoff_,) = rule_.standoffs
    assert standoff_.judged and outcome(rule_) == "waiting", f"judged once and stayed: {rule_.outcomes}"
    (crew,) = [u for u in units_of(model, "h") if u.rc == rule_.checkpoints[0].cell]
    crew.gain(30.0)
    model.hours += 1.0
    rule_.apply()
    assert outcome(rule_) == "waiting" and car.state == ConvoyState.STANDOFF, (
        f"a convoy that judged the odds once should not judge again: {rule_.outcomes}")


def test_a_convoy_that_withdraws_drives_back_toward_where_it_withdraws_to(tmp_path):
    """Turned back (D = 45 ≥ 1.5 × C = 30), the convoy is on the move again (WITHDRAWING), and over
    the next steps it leaves the checkpoint toward Al-Mayadeen, its start."""
    model, rule_, car = standoff(tmp_path, convoy=30, crew=45, spread=0.0)
    rule_.apply()
    assert car.state == ConvoyState.WITHDRAWING and car.moving, (car.state, car.moving)
    home = np.array(model.place("Al-Mayadeen").cell)
    before = np.hypot(*(np.array(car.rc) - home))
    for _ in range(3):
        model.step()
    assert car.rc != rule_.checkpoints[0].cell and np.hypot(*(np.array(car.rc) - home)) < before, (
        f"three steps after withdrawing the convoy should be nearer Al-Mayadeen than the checkpoint was: {car.rc}")


def test_a_turned_back_convoys_command_hears_how_many_defenders_turned_it_back(tmp_path):
    """The withdrawal tells the model (`Convoy.turned_back`, what the convoy's planner remembers as
    its setback) the holder, the checkpoint's place and the 45 defenders there."""
    model, rule_, car = standoff(tmp_path, convoy=30, crew=45, spread=0.0)
    heard = []
    car.turned_back = lambda holder, place, held: heard.append((car, holder, place, held))
    rule_.apply()
    assert heard == [(car, model.factions.index("h"), "Albu Kamal", 45.0)], heard


def test_a_militia_called_while_at_the_checkpoint_takes_up_checkpoint_duty_at_once(tmp_path):
    """`Militia.answer_call`: a militia already standing at the incident's cell joins it on
    checkpoint duty without travelling; one already on duty is not called again."""
    from sim.agents.standing import Posture

    model, rule_, _ = standoff(tmp_path, convoy=30, crew=10, called=40, spread=0.0)
    (standoff_,) = rule_.standoffs
    (other,) = [u for u in units_of(model, "h") if u.rc != rule_.checkpoints[0].cell]
    other.stand_down()
    other.mover = None
    other.posture = Posture.HOLD
    other.move_to(standoff_.cell)
    assert other.answer_call(standoff_) is True, "free and at the cell: it answers"
    assert other.posture == Posture.CHECKPOINT and other.incident is standoff_ and other.mover is None, (
        other.posture, other.incident, other.mover)
    assert other.answer_call(standoff_) is False, "already on duty: not called again"


def test_a_called_militia_reinforces_mans_the_checkpoint_and_goes_home_when_the_standoff_ends(tmp_path):
    """The militia's cycle (agents/militia.py): called 8 km away it travels (reinforce, on the move),
    on arrival mans the checkpoint (checkpoint duty); once the convoy has withdrawn (D = 50 ≥ 1.5 ×
    30 with the caller there) it returns (return) and, home again, holds as before."""
    from sim.agents.standing import Posture

    model, rule_, car = standoff(tmp_path, convoy=30, crew=10, called=40, spread=0.0)
    (called,) = rule_.standoffs[0].called
    called.home = home = called.rc  # its home is where it stood when called, 8 km away
    assert called.posture == Posture.REINFORCE and called.moving, (called.posture, called.moving)
    while called.posture == Posture.REINFORCE and model.hours < 12.0:
        model.step()
    assert called.posture == Posture.CHECKPOINT and called.rc == rule_.checkpoints[0].cell, (called.posture, called.rc)
    while outcome(rule_) == "waiting" and model.hours < 24.0:
        model.step()
    assert outcome(rule_) == "withdrew", rule_.outcomes
    assert called.posture == Posture.RETURN and called.moving and called.incident is None, (called.posture,)
    while called.posture == Posture.RETURN and model.hours < 36.0:
        model.step()
    assert called.rc == home and called.posture == Posture.HOLD and not called.moving, (called.rc, called.posture)


def test_a_convoy_that_breaks_off_the_fight_names_the_hours_since_it_was_stopped(tmp_path):
    """Stopped at hour 10, forces its way at hour 10 (C = 30 = 1.5 × D = 20), broken off at hour 12
    once the 200 called have arrived: the withdrawal says "after a 12 − 10 = 2 h standoff"."""
    model, rule_, car = standoff(tmp_path, convoy=30, crew=20, called=200, orders={"when_stopped": "push"},
                                 spread=0.0, at_hours=10.0)
    checkpoint = rule_.checkpoints[0]
    rule_.apply()
    (called,) = [u for u in units_of(model, "h") if u.rc != checkpoint.cell]
    called.move_to(checkpoint.cell)
    model.hours = 12.0
    rule_.apply()
    entry = model.log.entries[-1]
    assert entry.kind == "withdrawal" and "after a 2 h standoff (broke off the fight)" in entry.text, (
        f"expected a withdrawal after 12 − 10 = 2 h, broken off: {entry.text}")


def test_a_convoy_at_an_empty_checkpoint_drives_on_unopposed(tmp_path):
    """Nobody holds the checkpoint (D = 0, step 2): the convoy drives on, and the entry gives no
    force ratio (a ratio to 0 fighters) but "unopposed"."""
    model, rule_, car = standoff(tmp_path, convoy=30, crew=0)
    rule_.apply()
    entry = model.log.entries[-1]
    assert outcome(rule_) == "gave_way" and "drove on past the empty Albu Kamal checkpoint" in entry.text, entry.text
    assert entry.text.endswith("against 0 (unopposed)"), f"no ratio to 0 defenders, 'unopposed': {entry.text}"


def test_when_the_wait_runs_out_a_checkpoint_the_convoy_outnumbers_gives_way(tmp_path):
    """Orders to wait 1 h at C = 30 against D = 20 (no give-way: 30 < 3 × 20; no judgement: it
    waits): patience 1 h × min(1, 30/20) = 1 h, so one 1 h step spends the resolve; then the
    checkpoint gives way with probability 1 at C ≥ 1.5 × D (hard threshold: 30 ≥ 30) and the
    convoy drives on (step 5)."""
    model, rule_, car = standoff(tmp_path, convoy=30, crew=20, spread=0.0,
                                 orders={"when_stopped": "wait", "max_wait_hours": 1.0})
    rule_.apply()
    entry = model.log.entries[-1]
    assert outcome(rule_) == "gave_way" and "drove on when its wait ran out" in entry.text, (
        f"expected the checkpoint to give way when the wait ran out: {rule_.outcomes}, {entry.text}")
    assert car.state == ConvoyState.MOVING and not rule_.standoffs, "the convoy drives on, the standoff is over"


def test_the_checkpoint_crew_is_the_holders_nearest_militia_not_a_nearer_garrison(tmp_path):
    """ODD *Checkpoint blockade*: the holder's nearest militia mans each checkpoint. A garrison of
    the holder stands on the checkpoint's place, a militia a few km away: the militia is moved
    there on checkpoint duty, the garrison keeps its own posture."""
    from sim.agents.standing import Posture
    forces = [{"kind": "garrison", "faction": "h", "units": 1, "strength": 40, "deploy": {"at": ["Albu Kamal"]}},
              {"kind": "militia", "faction": "h", "units": 1, "strength": 20,
               "deploy": {"near": "Albu Kamal", "radius_km": 8}}]
    rules = {"checkpoint_blockade": {"by": "h", "against": ["c"], "at": ["Albu Kamal"]}}
    model = world(tmp_path, factions=("h", "c"), relations={"h/c": "rival"}, forces=forces, rules=rules, cell_km=1.0)
    checkpoint = next(r for r in model.rules if r.name == "checkpoint_blockade").checkpoints[0]
    garrison, militia = units_of(model, "h")
    assert garrison.kind == "garrison" and militia.kind == "militia"
    assert militia.rc == checkpoint.cell == militia.home and militia.posture == Posture.CHECKPOINT == militia.home_posture, (
        f"the militia should man the checkpoint at {checkpoint.cell}: at {militia.rc}, {militia.posture}")
    assert garrison.home_posture != Posture.CHECKPOINT, f"the garrison is not the crew: {garrison.home_posture}"


def test_a_called_militia_answers_one_standoff_at_a_time_until_it_is_stood_down(tmp_path):
    """A militia called to a standoff and then sent home before it arrives (a post withdrawn) is
    still committed to it: it refuses another call until that standoff ends and stands it down;
    then it answers again."""
    model, rule_, car = standoff(tmp_path, convoy=30, crew=10, called=40)
    checkpoint = rule_.checkpoints[0]
    (called,) = [u for u in units_of(model, "h") if u.rc != checkpoint.cell]
    (first,) = rule_.standoffs
    assert first.called == [called], "the set-up: the militia 8 km away answered the call"
    called.go_home()
    assert not called.answer_call(first), "still committed to the standoff it answered: no second call"
    car.lose(car.strength)
    rule_.apply()  # the convoy is gone: the standoff ends and stands its called units down
    assert not rule_.standoffs
    assert called.answer_call(first), "stood down, it answers the next call"


def test_a_wait_of_max_wait_hours_lasts_that_long_at_any_step_length(tmp_path):
    """Orders to wait 1 h at even odds or better (C = 30 against D = 20: patience 1 h × min(1,
    30/20) = 1 h) at half-hour steps: the first step spends half the resolve and the convoy still
    waits; the second spends the rest, and the checkpoint gives way (C ≥ 1.5 × D)."""
    model, rule_, car = standoff(tmp_path, convoy=30, crew=20, spread=0.0, step_hours=0.5,
                                 orders={"when_stopped": "wait", "max_wait_hours": 1.0})
    rule_.apply()
    (held,) = rule_.standoffs
    assert outcome(rule_) == "waiting" and held.resolve == pytest.approx(0.5), (
        f"after ½ h of a 1 h wait half the resolve is left: {rule_.outcomes}, resolve {held.resolve}")
    model.hours += 0.5
    rule_.apply()
    assert outcome(rule_) == "gave_way", f"after 1 h the wait has run out: {rule_.outcomes}"


def test_a_convoy_outnumbered_when_its_wait_runs_out_withdraws_and_says_why(tmp_path):
    """Orders to wait 1 h, C = 20 against D = 30 (patience 1 h × 20/30: one 1 h step spends it);
    the checkpoint gives way with probability 0 (20 < 1.5 × 30, hard threshold), so the convoy
    withdraws, "(its wait ran out)"."""
    model, rule_, car = standoff(tmp_path, convoy=20, crew=30, spread=0.0,
                                 orders={"when_stopped": "wait", "max_wait_hours": 1.0})
    rule_.apply()
    entry = model.log.entries[-1]
    assert outcome(rule_) == "withdrew" and "(its wait ran out)" in entry.text, (
        f"expected a withdrawal because the wait ran out: {rule_.outcomes}, {entry.text}")


def test_the_convoy_judges_the_odds_only_once_nobody_is_on_the_way_however_few(tmp_path):
    """D = 45 at the checkpoint against C = 30 would turn it back (45 ≥ 1.5 × 30), but a called
    militia of 0.8 fighters is still on the way: the mobilisation is not over, so the convoy does
    not judge yet and waits (step 4: judged once the holder has nobody on the way)."""
    model, rule_, car = standoff(tmp_path, convoy=30, crew=45, called=0.8, spread=0.0)
    rule_.apply()
    (held,) = rule_.standoffs
    assert outcome(rule_) == "waiting" and not held.judged, (
        f"0.8 fighters on the way: no judgement yet, the convoy waits; got {rule_.outcomes}")


def test_a_convoy_is_stopped_with_the_stop_probability(tmp_path):
    """ODD §3.3 *Checkpoint blockade*: a convoy reaching a checkpoint is halted with probability
    `stop_probability` (the rule's own stream), else it passes. 1,000 encounters at 0.3: by hand
    the stopped share is Binomial(1,000, 0.3)/1,000, within 4·√(0.21/1,000) ≈ 0.058 of 0.3, and
    every encounter is counted once, as stopped or as passed."""
    model, rule, car = standoff(tmp_path, convoy=60.0, crew=40.0, stop=0.3)
    checkpoint = rule.checkpoints[0]
    for _ in range(999):
        checkpoint.encounter(car)
    stopped, passed = rule.outcomes["stopped"], rule.outcomes["passed"]
    assert stopped + passed == 1000, f"1,000 encounters, each stopped or passed: {stopped} + {passed}"
    assert abs(stopped / 1000 - 0.3) < 4 * np.sqrt(0.21 / 1000), (
        f"about 30 % of 1,000 convoys stopped at stop_probability 0.3, got {stopped / 1000:.3f}")


@pytest.mark.parametrize("cell_km", [1.0, 2.0])
def test_a_convoys_path_stops_where_it_first_comes_within_reach_km_of_the_checkpoint(tmp_path, cell_km):
    """ODD §3.3 *Checkpoint blockade*: "the first point of its path within `reach_km` of each
    checkpoint becomes a stop", in km at any cell size. A convoy's path from Al-Mayadeen to Albu
    Kamal (checkpoint reach 3 km): every cell before the stop lies more than 3 km from the
    checkpoint, the stop's cell within 3 km, and advancing the whole way halts it there."""
    forces = [{"kind": "militia", "faction": "h", "units": 1, "strength": 10,
               "deploy": {"near": "Albu Kamal", "radius_km": 2}},
              {"kind": "convoy", "faction": "c", "strength": 60, "start": "Al-Mayadeen",
               "route": ["Albu Kamal"], "depart_day": 1.5}]
    rules = {"checkpoint_blockade": {"by": "h", "against": ["c"], "at": ["Albu Kamal"], "reach_km": 3}}
    model = world(tmp_path, factions=("h", "c"), relations={"h/c": "rival"}, forces=forces, rules=rules,
                  cell_km=cell_km)
    (checkpoint,) = model.checkpoints
    (car,) = units_of(model, "c")
    mover = model.space.plan_path(car, model.place("Al-Mayadeen").cell, model.place("Albu Kamal").cell, 1.0,
                                  checkpoints=True)
    (stop,) = mover.stops
    km = np.hypot(*(mover.cells - np.array(checkpoint.cell)).T) * cell_km
    assert km[stop] <= 3.0 and (km[1:stop] > 3.0).all(), (
        f"the stop should be the path's first cell within 3 km of the checkpoint at {cell_km:g} km cells: "
        f"stop at index {stop} ({km[stop]:.2f} km), cells before it at {np.round(km[1:stop][-3:], 2)} km")
    assert mover.advance(1e6) is checkpoint and mover.index == stop, "the convoy halts at that cell"
