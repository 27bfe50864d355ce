"""The faction planner's memory of a rival's denial (agents/planner.py, ODD §2 *Adaptation*): a road a
rival (not hostile) faction denied is not tried again for denied_days, the memory is the checkpoint's
(every road through it, no other), a column to a held place waits too, and in the hindcast no column
goes down a denied road within denied_days. Moved verbatim from test_planner.py (issue 19: no module
over 400 lines)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from planner_worlds import (
    russia_with_reserve,
)
from worlds import planner_options

from sim.world.factions import HOSTILE, RIVAL

from conftest import SCENARIOS


def test_a_road_a_rival_denied_is_not_retried_for_denied_days_and_is_after():
    """The militias (rivals, not hostile) turned its convoy to Albu Kamal back at hour h: until
    h + denied_days the command sends none there (the only option toward it scores −1 and cannot be
    carried out, days left = denied_days − days since), from h + denied_days it does; and once the
    rivals are fighting (hostile) the memory no longer holds: the risk term weighs the road."""
    model, planner = russia_with_reserve(400.0)
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
    model, planner = russia_with_reserve(400.0)
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
    model, planner = russia_with_reserve(400.0)
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
