"""Faction planners (agents/planner.py, ODD §2 *Adaptation*): an arrived convoy becomes a post; a
planner answers a setback with a stronger convoy; `planner: off` gives the fixed behaviour."""

from __future__ import annotations

import math

from sim.agents.garrison import Garrison

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
    on = coarse_model("corridor_campaign.yaml", days=4)
    off = coarse_model("corridor_campaign.yaml", days=4, **{f"factions.{f}.planner": False
                                                     for f in ("russia", "iran_militia", "coalition")})
    assert not off.planners and len(on.planners) == 3
    assert not [e for e in off.run().log.entries if e.kind == "decision"], "no planner, no decisions"
    decisions = [e for e in on.run().log.entries if e.kind == "decision"]
    assert decisions and all(": " in e.text for e in decisions), "every decision is logged with its reason"
