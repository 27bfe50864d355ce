"""The faction planner's cycle (agents/planner.py, ODD §2 *Adaptation*): an arrived convoy becomes
a post; a setback remembered; `planner: off` gives the fixed behaviour; carrying out a choice,
mustering and sending from the reserve, withdrawing a post. The options' scores are in
test_planner_options.py, a rival's denial of a road (denied_days, by checkpoint) in
test_planner_denial.py."""

from __future__ import annotations

import math

import pytest
from planner_worlds import (
    russia_with_reserve,
)

from sim.agents.garrison import Garrison
from sim.agents.planner_options import convoy_options

from conftest import coarse_model


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


def test_a_chosen_option_is_carried_out_and_counted_and_a_wait_is_not():
    """carry_out (an outside chooser's pick): the option's action runs and the command's decisions
    go from 0 to 1; choosing to wait (None) runs nothing and counts nothing."""
    from sim.agents.planner_options import Option

    model, planner = russia_with_reserve(200.0)
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
    model, planner = russia_with_reserve(200.0)
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


def test_a_withdrawn_post_is_a_post_no_longer_and_goes_home_to_the_base():
    model, planner = russia_with_reserve(200.0)
    (post,) = planner.posts["Al-Mayadeen"]
    planner.withdraw_post("Al-Mayadeen")
    assert "Al-Mayadeen" not in planner.posts and post.post_at is None and post.home == planner.base.cell, (
        "withdrawn, the post is a post no longer and goes home to the base")


def test_the_reserve_leaves_out_units_on_checkpoint_duty_and_on_the_move():
    """The reserve is the base's standing units that may leave: one of the garrison set on
    checkpoint duty, another given a path, are no longer in it."""
    from sim.agents.standing import Posture

    model, planner = russia_with_reserve(200.0)
    units = planner.reserve()
    assert len(units) >= 2, "the set-up needs two reserve units"
    units[0].posture = Posture.CHECKPOINT
    units[1].travel_to(model.place("Al-Mayadeen").cell, Posture.RETURN)
    assert units[1].mover is not None, "the set-up: the second unit is on its way"
    assert units[0] not in planner.reserve() and units[1] not in planner.reserve(), (
        "a unit on checkpoint duty or on the move is not in the reserve")


def test_the_convoy_targets_are_the_next_place_to_keep_open_then_each_place_to_expand_into():
    """keep_open beyond the base: Albu Kamal first (no post there); expand_into Hajin: also a target."""
    model, planner = russia_with_reserve(200.0)
    planner.spec = planner.spec.model_copy(update={"expand_into": ["Hajin"]})
    targets = [(place.name, route) for place, route in planner.convoy_targets()]
    assert targets == [("Albu Kamal", ["Albu Kamal"]), ("Hajin", ["Hajin"])], targets


def test_an_outside_chooser_is_shown_the_best_option_and_its_pick_is_carried_out_and_logged():
    """ODD *Adaptation*, a class team deciding for a command (`model.chooser`): the chooser is
    called with the planner, every option and the best of them; its pick is carried out and logged
    as "<command> (<team>) <action>: <reason>", and counted as the command's decision."""
    model, planner = russia_with_reserve(200.0)
    seen = []

    def chooser(p, options, best):
        seen.append((p, options, best))
        return best, "team Falcons"

    model.chooser = chooser
    expected = max(planner.options(), key=lambda o: o.score)
    planner.decide()
    ((p, options, best),) = seen
    assert p is planner and best.action == expected.action and best.score == max(o.score for o in options), (
        f"the chooser should be shown the planner and the best option ({expected.action}), got {best}")
    entry = [e for e in model.log.entries if e.kind == "decision"][-1]
    assert entry.text == f"{planner.name} (team Falcons) {best.action}: {best.reason}", entry.text
    assert planner.decisions == 1, "the team's pick is the command's decision"


def test_a_decision_is_logged_as_the_command_its_action_and_its_reason():
    """ODD *Adaptation*: the best option above 0 is carried out and logged "<command> <action>:
    <reason>" under the command's faction (here Russia's convoy of 120 toward Albu Kamal)."""
    model, planner = russia_with_reserve(200.0)
    best = max(planner.options(), key=lambda o: o.score)
    assert best.score > 0, f"the set-up: a positive option to carry out, got {best}"
    planner.decide()
    entry = [e for e in model.log.entries if e.kind == "decision"][-1]
    assert entry.text == f"{planner.name} {best.action}: {best.reason}", entry.text
    assert entry.text.startswith(f"{model.factions.labels[planner.faction]} command "), entry.text
    assert entry.factions == ["russia"] and planner.decisions == 1, (entry.factions, planner.decisions)


def test_withdrawing_from_a_place_without_a_post_changes_nothing():
    """A command told to withdraw a post it does not have (none at Hajin) keeps its posts."""
    model, planner = russia_with_reserve(200.0)
    planner.withdraw_post("Hajin")
    assert list(planner.posts) == ["Al-Mayadeen"] and planner.has_post("Al-Mayadeen"), planner.posts


def test_a_convoy_the_command_sends_has_standing_orders_to_wait_and_withdraw_to_the_base():
    """A planner's convoy, stopped at a checkpoint, waits (it does not push) and, turned back,
    withdraws to the command's base (`ConvoyOrders` with withdraw_to the base)."""
    from sim.scenario.spec import ConvoyOrders

    model, planner = russia_with_reserve(200.0)
    convoy = planner.send(["Albu Kamal"], 60.0, planner.next_label())
    assert convoy.orders == ConvoyOrders(withdraw_to=planner.base.name), convoy.orders
    assert convoy.orders.when_stopped != "push" and convoy.withdraw_to == "Deir ez-Zor airbase", (
        convoy.orders, convoy.withdraw_to)


def test_the_commands_summary_counts_its_decisions_convoys_sent_and_posts_standing():
    """The outputs protocol: planner.<id>.decisions, .convoys_sent and .posts (posts still standing)."""
    from sim.agents.planner_options import Option

    model, planner = russia_with_reserve(200.0)
    planner.carry_out(Option("strike", 1.0, {"hostile": True, "target": "ISIS"}, lambda: None), "team A")
    planner.send(["Albu Kamal"], 60.0, planner.next_label())
    planner.send(["Hajin"], 60.0, planner.next_label())
    assert planner.summary(slice(None)) == {"planner.russia.decisions": 1, "planner.russia.convoys_sent": 2,
                                            "planner.russia.posts": 1}, planner.summary(slice(None))
    (post,) = planner.posts["Al-Mayadeen"]
    post.lose(post.strength)
    assert planner.summary(slice(None))["planner.russia.posts"] == 0, "a post wiped out stands no more"


def test_the_command_decides_every_every_hours_from_its_first_cycle():
    """ODD *Adaptation*: the command decides on its planning cycle, `every_hours` (12 here): at
    hours 12, 24 and 36 of a two-day run (which ends at hour 48), not in between."""
    model = coarse_model("corridor_campaign.yaml", days=2, **{"factions.russia.planner.every_hours": 12})
    planner = model.planners[model.factions.index("russia")]
    when = []
    decide = planner.decide
    planner.decide = lambda: when.append(model.hours) or decide()
    model.run()
    assert when == [12.0, 24.0, 36.0], f"decisions at every 12 h from hour 12 within 48 h expected, got {when}"


def test_a_wait_is_logged_once_until_the_option_turned_down_changes_or_an_action_comes_between():
    """ODD *Adaptation*: a command that can do nothing useful (a reserve of 10, 6 may leave: no
    convoy, no column) logs "… waits rather than sends a convoy toward Albu Kamal: …" once, not at
    every cycle; after a decision (an outside pick carried out) the same wait is logged again."""
    from sim.agents.planner_options import Option

    model, planner = russia_with_reserve(10.0)
    best = max(planner.options(), key=lambda o: o.score)
    assert best.score <= 0, f"the set-up: nothing worth doing, got {best}"

    def waits():
        return [e.text for e in model.log.entries if e.kind == "decision" and " waits" in e.text]

    planner.decide()
    planner.decide()
    assert len(waits()) == 1 and waits()[0].startswith(f"{planner.name} waits rather than "), waits()
    planner.carry_out(Option("strike", 1.0, {"hostile": True, "target": "ISIS"}, lambda: None), "team A")
    planner.decide()
    assert len(waits()) == 2 and waits()[1] == waits()[0], f"after an action the wait is logged again: {waits()}"


def test_a_best_option_scoring_exactly_zero_is_not_carried_out(monkeypatch):
    """ODD *Adaptation*: the best option is carried out only when its score is above 0; at exactly
    0 the command waits, naming the option it turned down."""
    from sim.agents.planner_options import Option

    model, planner = russia_with_reserve(10.0)
    done = []
    option = Option("strike", 0.0, {"hostile": True, "target": "ISIS"}, lambda: done.append(True))
    monkeypatch.setattr(planner, "options", lambda: [option])
    planner.decide()
    assert done == [] and planner.decisions == 0, "a score of 0 is not above 0: nothing is carried out"
    last = model.log.entries[-1]
    assert last.kind == "decision" and last.text.startswith(f"{planner.name} waits rather than "), last.text


def test_the_planners_convoys_are_numbered_after_the_scenarios_own(tmp_path):
    """A faction with two convoys of its own in the scenario (A1, A2) and a planner: its first
    convoy is A3; another faction's convoy does not count."""
    from worlds import world

    convoy = {"kind": "convoy", "strength": 30, "start": "Al-Mayadeen", "route": ["Albu Kamal"], "depart_day": 1.5}
    forces = [{"kind": "militia", "faction": "a", "units": 1, "strength": 100,
               "deploy": {"near": "Deir ez-Zor", "radius_km": 5}},
              {**convoy, "faction": "a", "label": "A1"}, {**convoy, "faction": "a", "label": "A2"},
              {**convoy, "faction": "b", "label": "B1"}]
    model = world(tmp_path, factions={"a": {"planner": {"base": "Deir ez-Zor"}}, "b": {}}, forces=forces)
    planner = model.planners[model.factions.index("a")]
    assert planner.next_label() == "A3", f"two of its own convoys in the scenario: the next is A3, got {planner.next_label()}"
