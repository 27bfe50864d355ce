"""Set-ups for the faction planner's tests (agents/planner.py, planner_options.py): the corridor
campaign at coarse resolution with Russia's reserve, posts and rivals placed so that every score
term can be computed by hand, and the fighters near a place of the factions in given relations."""

from __future__ import annotations

import numpy as np

from sim.world.factions import ALLIED, HOSTILE, RIVAL

from conftest import SCENARIOS, coarse_model


def russia_with_reserve(fighters: float, **overrides):
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


def hostile_near(model, faction: int, place: str, km: float) -> float:
    """Fighters of every faction hostile to `faction` within `km` of `place` (the planner's E)."""
    relation = model.factions.relation[faction]
    cell = model.place(place).cell
    return sum(u.strength for f in np.flatnonzero(relation == HOSTILE) for u in model.space.units_near(cell, km, int(f)))


def fighters_near(model, faction: int, place: str, km: float, relations, *, insurgents=False) -> float:
    """Fighters within `km` of `place` of the factions whose relation to `faction` is in `relations`."""
    cell = model.place(place).cell
    wanted = np.isin(model.factions.relation[faction], relations)
    return sum(u.strength for f in np.flatnonzero(wanted) for u in model.space.units_near(cell, km, int(f))
               if insurgents or u.kind != "insurgent")


def rivals_at_twice_own_at_albu_kamal():
    """The campaign at coarse resolution with a Russian garrison moved to Albu Kamal and sized so that
    the rival fighters within 10 km are twice the militias' own and allied there: (model, iran, planner,
    own, garrison)."""
    model = coarse_model("corridor_campaign.yaml")
    iran, russia = model.factions.index("iran_militia"), model.factions.index("russia")
    planner = model.planners[iran]
    own = fighters_near(model, iran, "Albu Kamal", 10.0, [ALLIED])
    rivals = fighters_near(model, iran, "Albu Kamal", 10.0, [RIVAL, HOSTILE])
    garrison = next(u for u in model.agents if u.faction == russia and u.kind == "garrison")
    garrison.move_to(model.place("Albu Kamal").cell)
    garrison.gain(2.0 * own - rivals - garrison.strength)
    return model, iran, planner, own, garrison


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


def coalition_strikes_off():
    """(model, the coalition's planner, its airstrikes rule): the campaign at 2 km / 2 h, seed 1,
    with the coalition's airstrikes against ISIS (hostile to it) present but switched off."""
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    loaded = load_scenario(SCENARIOS / "corridor_campaign.yaml", overrides={
        "map.cell_km": 2.0, "time.step_hours": 2, "time.duration_days": 2,
        "rules.airstrikes": {"enabled": False, "by": "coalition", "against": "insurgents", "rate_per_day": 1.0}})
    model = CorridorModel(loaded, 1)
    return model, model.planners[model.factions.index("coalition")], next(
        r for r in model.rules if r.name == "airstrikes")
