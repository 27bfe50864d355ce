"""What a faction's command senses while it weighs its options (agents/planner.py,
`FactionPlanner.units_near`, `muster`): the looks at the units near a place that it keeps are
what the space finds now, so its options are those it would score with every look afresh."""

from __future__ import annotations

from planner_worlds import rivals_at_twice_own_at_albu_kamal

from sim.agents.planner_options import THREAT_KM, scored_options

from conftest import coarse_model


def _weighed(options) -> list:
    return [(o.kind, o.score, o.terms) for o in options]


def _weighed_afresh(planner, monkeypatch) -> list:
    """The planner's options with every look at the units near a place made afresh."""
    with monkeypatch.context() as m:
        m.setattr(planner, "units_near", planner.model.space.units_near)
        return _weighed(scored_options(planner))


def test_a_commands_kept_looks_at_the_units_near_a_place_are_what_the_space_finds_now(monkeypatch):
    """A command keeps each look at the units of a faction near a place until that faction's
    presence changes (`FactionPlanner.units_near`), and the muster while it weighs its options:
    (1) for every planner once a day for 15 days of the campaign at coarse resolution, and with
    rivals twice the militias' own at Albu Kamal (where a column is weighed), its options are
    those scored with every look made afresh (`Space.units_near`), every score term the same;
    (2) looks at one cell at two radii and for every faction, in any order and again, before and
    after units of one faction move away, lose fighters and gain them, with every faction's version
    the same, and then at another place, are `Space.units_near`'s."""
    model = coarse_model("corridor_campaign.yaml", days=15.0)
    decisions = 0
    for _ in range(model.n_steps):
        if model.steps % 12 == 11:  # once a day
            for planner in model.planners.values():
                assert _weighed(planner.options()) == _weighed_afresh(planner, monkeypatch), planner.name
                decisions += 1
        model.step()
    assert decisions == 3 * 15
    model, iran, planner, own, garrison = rivals_at_twice_own_at_albu_kamal()
    weighed = planner.options()
    assert any(o.kind == "reinforce" for o in weighed), "a column to Albu Kamal is weighed"
    assert _weighed(weighed) == _weighed_afresh(planner, monkeypatch)

    cell = model.place("Albu Kamal").cell
    looks = [(cell, km, f) for km in (THREAT_KM, 5.0, THREAT_KM) for f in range(len(model.factions))]

    def check(when):
        kept = [planner.units_near(rc, km, f) for rc, km, f in looks]
        assert kept == [model.space.units_near(rc, km, f) for rc, km, f in looks], when
        return kept

    first = check("at first")
    assert len({tuple(units) for units in first}) > 2, "the looks differ: the radii and factions matter"
    assert check("looked at again") == first
    russia = model.factions.index("russia")
    near = model.space.units_near(cell, THREAT_KM, russia)
    assert near, "Russian units stand near Albu Kamal"
    near[0].lose(near[0].strength / 2)
    check("after a Russian unit there lost fighters")
    near[-1].move_to(model.place("Deir ez-Zor airbase").cell)
    check("after a Russian unit there left")
    garrison.gain(10.0)
    check("after the garrison gained fighters")
    for f in range(len(model.factions)):  # versions that happen to be equal (none seen before)
        model.influence.changes[f] = 10**9
    check("with every faction's presence at the same version")
    hajin = model.place("Hajin").cell
    assert [planner.units_near(hajin, THREAT_KM, f) for f in range(len(model.factions))] == [
        model.space.units_near(hajin, THREAT_KM, f) for f in range(len(model.factions))], "another place"

    answers = []

    def muster_twice(p):
        answers.append((p.muster(), p.muster()))
        return []

    monkeypatch.setattr("sim.agents.planner.scored_options", muster_twice)
    assert planner.options() == []
    monkeypatch.undo()
    assert answers == [(planner.muster(), planner.muster())], "the kept muster is the muster"
