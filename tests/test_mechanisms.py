"""Mechanism tests aimed at one cause each: movement speed, co-optation's pay ratio and reach,
and the ambush rate's unit (per day, whatever the step length). Each compares paired runs
(common seeds) in which only the mechanism's input changes, over horizons long enough for it to
act, so that breaking the mechanism makes the difference vanish or flip."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from sim.agents.local_militia import LocalMilitia
from sim.model import CorridorModel
from sim.scenario import load_scenario

from conftest import SCENARIOS

COARSE = {"map.cell_km": 2.0}
# one xdist worker for the module: the co-optation tests share their arms (`_loyalty`, 4 seeds ×
# 45 days each) and the ambush tests their 3 h reference (`_ambushes`), cached per process
pytestmark = pytest.mark.xdist_group("mechanisms")


def _km_between(a, b) -> float:
    """Great-circle distance between two places (km)."""
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def test_a_convoy_cannot_travel_faster_than_the_road_speed():
    """The open-road convoy from Al-Mayadeen reaches the crossing no sooner than the straight-line
    distance at road speed allows, and within twice that (the road follows the valley)."""
    loaded = load_scenario(SCENARIOS / "open_road.yaml", overrides={**COARSE, "time.duration_days": 3})
    model = CorridorModel(loaded, seed=1)
    convoy = model.convoys[0]
    start, end = model.place(convoy.start), model.place(convoy.route[-1])
    departed = None
    while model.steps < model.n_steps and convoy.outcome != "arrived":
        model.step()
        if departed is None and convoy.outcome == "en route":
            departed = model.hours - model.step_hours
    assert convoy.outcome == "arrived", "the open-road convoy should arrive within 3 days"
    hours = model.hours - departed
    fastest = _km_between(start, end) / loaded.spec.speeds.road
    assert fastest <= hours + model.step_hours <= 2.5 * fastest + 2 * model.step_hours, (
        f"{_km_between(start, end):.0f} km at ≤ {loaded.spec.speeds.road:g} km/h takes at least {fastest:.1f} h "
        f"(and the road is not 2.5× longer); the convoy took {hours:.1f} h")


@cache
def _loyalty(overrides: tuple, days: float = 45.0, seeds: int = 4) -> np.ndarray:
    """Mean loyalty of the Iran-funded local militias after `days` of russian_co_optation, per seed."""
    loaded = load_scenario(SCENARIOS / "russian_co_optation.yaml",
                           overrides={**COARSE, "time.step_hours": 6, "time.duration_days": days,
                                      "rules.co_optation.switch_below": 0.0, **dict(overrides)})
    out = []
    for seed in range(1, seeds + 1):
        model = CorridorModel(loaded, seed)
        model.run()
        out.append(np.mean([u.loyalty for u in model.agents_by_type[LocalMilitia]]))
    return np.array(out)


def test_co_optation_erodes_faster_the_more_the_buyer_pays():
    base = _loyalty(())
    richer = _loyalty((("factions.russia.pay_usd_per_fighter_month", 400.0),))
    assert (richer < base - 0.01).all(), (
        f"doubling what Russia pays a fighter should lower the local militias' loyalty in every paired run: "
        f"{richer.round(3)} vs {base.round(3)}")


def test_co_optation_reaches_only_militias_within_its_radius():
    wide = _loyalty(())
    narrow = _loyalty((("rules.co_optation.radius_km", 3.0),))
    assert (narrow > wide + 0.01).all(), (
        f"a 3 km reach should erode less loyalty than 25 km in every paired run: {narrow.round(3)} vs {wide.round(3)}")


@pytest.mark.parametrize("step_hours", [1, 6])
def test_the_ambush_rate_is_per_day_at_any_step_length(step_hours):
    """With the ambush rate raised so that counts are large, the number of ambushes over 20 days
    is the same at 1 h and 6 h steps (Poisson tolerance), and matches a rate applied per day."""
    counts = _ambushes(step_hours)
    reference = _ambushes(3)
    tolerance = 4 * math.sqrt(reference)
    assert abs(counts - reference) <= tolerance, (
        f"ambushes over 20 days × 3 seeds: {counts} at {step_hours} h steps vs {reference} at 3 h "
        f"(±{tolerance:.0f}); a rate applied per step instead of per day would scale with 1/step")


@cache
def _ambushes(step_hours: float) -> int:
    loaded = load_scenario(SCENARIOS / "baseline.yaml", overrides={
        **COARSE, "time.step_hours": step_hours, "time.duration_days": 20,
        "insurgents.ambush_rate_per_day": 0.2})
    return int(sum(CorridorModel(loaded, seed).run().steps["incidents_ambush"].sum() for seed in (1, 2, 3)))


def test_co_optation_erodes_loyalty_per_day_at_any_step_length():
    """45 days of co-optation take the same toll at 6 h and 24 h steps (loyalty falls by about
    0.17 from 0.7 either way); a rate applied per step would erode four times more at 6 h."""
    six, day = _loyalty(()), _loyalty((("time.step_hours", 24),))
    drop = 0.7 - six.mean()
    assert drop > 0.05, f"loyalty should fall noticeably in 45 days, fell {drop:.3f}"
    assert abs(six.mean() - day.mean()) <= 0.2 * drop, (
        f"mean loyalty after 45 days: {six.mean():.3f} at 6 h steps vs {day.mean():.3f} at 24 h; "
        f"erosion is a rate per day and must not depend on the step length")


def test_patrols_count_toward_detecting_only_cells_of_factions_hostile_to_them():
    """Two insurgent cells on a patrol's own cell, one switched to the patrol's faction: the
    patrols near each are counted against that cell's own faction (by hand: hostile patrols
    within detection range), whichever cell comes first, not the first cell's faction for all."""
    loaded = load_scenario(SCENARIOS / "baseline.yaml", overrides={**COARSE, "time.duration_days": 2})
    model = CorridorModel(loaded, seed=1)
    patrol = next(iter(model.patrols))
    a, b = [u for u in model.agents if u.kind == "insurgent"][:2]
    for cell in (a, b):
        cell.move_to(patrol.rc)
    b.switch_faction(patrol.faction)
    km, reach = model.map.cell_km, model.spec.insurgents.detection_range_km

    def by_hand(cell) -> int:
        return sum(1 for p in model.patrols if model.is_hostile(p.faction, cell.faction)
                   and math.hypot(p.rc[0] - cell.rc[0], p.rc[1] - cell.rc[1]) * km <= reach)

    assert by_hand(a) >= 1 and by_hand(b) < by_hand(a), "the set-up needs a patrol hostile to one cell only"
    for order in ([a, b], [b, a]):
        got = model.insurgency.patrols_near([c.faction for c in order], [c.rc for c in order])
        assert got == [by_hand(c) for c in order], (
            f"hostile patrols within {reach} km of each cell, by hand {[by_hand(c) for c in order]}, got {got}")
