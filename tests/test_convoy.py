"""A convoy's journey (agents/convoy.py, ODD §1.2 *Agents* and §3.3 *Movement*, *Checkpoint
blockade*): waiting until its departure, moving, halted, let through, withdrawing and back, or
arrived and become a post; the outcome each state reports and what the log says at each turn."""

from __future__ import annotations

import numpy as np
from worlds import outcome, standoff, units_of, world

from sim.agents.convoy import ConvoyState


def driving(tmp_path, *, depart_day=0.25):
    """A convoy of 60 fighters of c from Al-Mayadeen to Albu Kamal on an open road (no checkpoint),
    at 2 km cells and 1 h steps."""
    forces = [{"kind": "convoy", "faction": "c", "strength": 60, "start": "Al-Mayadeen", "route": ["Albu Kamal"],
               "depart_day": depart_day, "label": "C1"}]
    model = world(tmp_path, factions=("c",), forces=forces, days=3)
    (convoy,) = model.convoys
    return model, convoy


def test_a_convoy_waits_until_its_departure_then_sets_off_and_says_so(tmp_path):
    """depart_day 0.25: waiting (not departed) through the steps before hour 6, moving (en route)
    from the step at hour 6, logged "convoy C1 (C), 60 fighters, set off from Al-Mayadeen toward
    Albu Kamal"."""
    model, convoy = driving(tmp_path)
    while model.hours < 6.0 - 1e-9:
        assert convoy.state == ConvoyState.WAITING and convoy.outcome == "not departed" and not convoy.moving, (
            f"at hour {model.hours:g} the convoy should still wait: {convoy.state}")
        model.step()
    model.step()
    assert convoy.state == ConvoyState.MOVING and convoy.outcome == "en route" and convoy.moving, convoy.state
    (entry,) = [e for e in model.log.entries if "set off" in e.text]
    assert entry.text == "convoy C1 (C), 60 fighters, set off from Al-Mayadeen toward Albu Kamal", entry.text


def test_an_arrived_convoy_leaves_the_road_and_becomes_a_post_of_its_fighters_at_its_goal(tmp_path):
    """Arrived, the convoy is off the road (arrived, not moving, gone from the map) and a garrison
    "post C1" of its 60 fighters stands where it stopped; the log says "convoy C1 (C) reached
    Albu Kamal with 60 fighters and sets up a post there"."""
    model, convoy = driving(tmp_path, depart_day=0.0)
    while convoy.state != ConvoyState.ARRIVED and model.running:
        model.step()
    assert convoy.outcome == "arrived" and not convoy.moving and not convoy.alive, (convoy.state, convoy.moving)
    (post,) = [u for u in units_of(model, "c") if u.label == "post C1"]
    assert post.kind == "garrison" and post.strength == 60.0 and post.posture == "hold", (post.kind, post.strength)
    (entry,) = [e for e in model.log.entries if e.kind == "arrival"]
    assert entry.text == "convoy C1 (C) reached Albu Kamal with 60 fighters and sets up a post there", entry.text


def test_a_convoy_let_through_is_back_on_the_road(tmp_path):
    """Halted (outcome "halted", not moving), then C = 60 ≥ 3 × D⁺ = 60 (step 2): the checkpoint
    gives way and the convoy resumes its journey: moving again, among the units the model advances,
    its incident over."""
    model, rule_, car = standoff(tmp_path, convoy=60, crew=20, spread=0.0)
    assert car.state == ConvoyState.STANDOFF and car.outcome == "halted" and not car.moving, car.state
    rule_.apply()
    assert outcome(rule_) == "gave_way" and car.state == ConvoyState.MOVING, car.state
    assert car.moving and car.incident is None, (car.moving, car.incident)


def test_a_withdrawing_convoy_is_back_where_it_withdrew_to_and_says_so(tmp_path):
    """Turned back at Albu Kamal (D = 45 ≥ 1.5 × C = 30), the convoy drives back to Al-Mayadeen:
    withdrawing, then withdrawn there (both report "withdrew"), off the road, logged "convoy … is
    back at Al-Mayadeen"."""
    model, rule_, car = standoff(tmp_path, convoy=30, crew=45, spread=0.0)
    rule_.apply()
    assert car.outcome == "withdrew" and car.state == ConvoyState.WITHDRAWING, car.state
    while car.state == ConvoyState.WITHDRAWING and model.hours < 24.0:
        model.step()
    assert car.state == ConvoyState.WITHDRAWN and car.outcome == "withdrew" and not car.moving, car.state
    assert car.rc == model.place("Al-Mayadeen").cell, f"back at Al-Mayadeen's cell, got {car.rc}"
    back = [e.text for e in model.log.entries if e.kind == "withdrawal" and "is back at" in e.text]
    assert back == [f"{car.describe()} is back at Al-Mayadeen"], back



def test_the_convoy_summary_counts_each_outcome_under_a_name_without_spaces(tmp_path):
    """A convoy not yet departed: convoys_not_departed 1, convoys_en_route 0 (the outcomes'
    spaces as underscores), and the convoy's own outcome under its label."""
    from sim.agents.convoy import OUTCOMES, ConvoyOutcomes

    forces = [{"kind": "convoy", "faction": "a", "strength": 30, "start": "Al-Mayadeen", "route": ["Albu Kamal"],
               "depart_day": 1.5, "label": "A1"}]
    model = world(tmp_path, forces=forces)
    summary = ConvoyOutcomes(model).summary(slice(None))
    expected = {f"convoys_{o.replace(' ', '_')}": int(o == "not departed") for o in OUTCOMES}
    assert summary == {**expected, "convoy_A1": "not departed"}, summary
    assert "convoys_not_departed" in summary and "convoys_en_route" in summary


def test_a_convoy_moves_at_the_terrain_speeds_times_its_speed_factor(tmp_path):
    """ODD §3.3 *Movement*: "convoys move at the terrain speeds × `speed_factor`". The same convoy
    at speed_factor 1 and 0.5 takes the same least-time path (its cells do not depend on the
    factor), each hop's hours are the path's hop hours at the terrain speeds ÷ the factor: by hand,
    twice as long at 0.5."""
    hops = {}
    for factor in (1.0, 0.5):
        forces = [{"kind": "convoy", "faction": "c", "strength": 60, "start": "Al-Mayadeen",
                   "route": ["Albu Kamal"], "depart_day": 0.0, "label": "C1", "speed_factor": factor}]
        model = world(tmp_path, factions=("c",), forces=forces, days=3)
        (convoy,) = model.convoys
        convoy.depart()
        terrain_hours = model.space.pathfinder(convoy.faction).hop_hours(convoy.mover.cells)
        hop_hours = np.diff(convoy.mover.arrival)  # the mover's hours to each next cell
        np.testing.assert_allclose(hop_hours, terrain_hours / factor, rtol=1e-12, err_msg=(
            f"at speed_factor {factor:g} each hop should take its terrain hours ÷ {factor:g}"))
        hops[factor] = (convoy.mover.cells.tolist(), float(convoy.mover.arrival[-1]))
    assert hops[0.5][0] == hops[1.0][0] and abs(hops[0.5][1] - 2.0 * hops[1.0][1]) < 1e-9 * hops[1.0][1], (
        f"the same path, twice the hours at half the speed: {hops[1.0][1]:.2f} h and {hops[0.5][1]:.2f} h")
