"""Airstrikes (sim/rules/airstrikes.py, ODD §3.3 *Airstrikes*): the densest window of target
presence, 2 × radius wide and odd, at any cell size; the loss fraction taken from every target
unit within the radius in km and none beyond; interception; the count, the fighters killed, the
log, the violence record and the harm booked against the striker."""

from __future__ import annotations

import numpy as np
import pytest
from rule_worlds import rule, striking
from worlds import east, open_row, units_of, world


class _HarmBook:
    """A stand-in for the population: records each harm booked (cell, factions, fighters)."""

    def __init__(self):
        self.booked = []

    def harm(self, rc, factions, fighters):
        self.booked.append((tuple(int(x) for x in rc), tuple(factions), float(fighters)))


def both_fifties_lose_30_percent(model, units, far_km: float) -> None:
    """Units of 50 at 0 and 4 km on the map's top row and one of 1 fighter `far_km` away; one strike
    (radius 2 km) must take 30 % from both 50s, 2 km from the densest window's centre."""
    start = open_row(model, length_km=40.0)
    assert start[0] == 0, "the set-up needs the map's top row: no window centred above it"
    for unit, km in zip(units, (0.0, 4.0, far_km), strict=True):
        unit.move_to(east(start, km, model))
        unit.lose(unit.strength - (50.0 if km < 10 else 1.0))
    rule(model, "airstrikes").strike()
    assert [u.strength for u in units[:2]] == pytest.approx([35.0, 35.0]), (
        f"both 50s, 2 km from the window's centre, should lose 30 %: got {[u.strength for u in units[:2]]}")


def strike_world(tmp_path, targets: int):
    """`targets` militia units of faction a (100 fighters each) and one of b (10), all near Albu
    Kamal; b strikes a (loss_fraction 0.3, radius 2 km)."""
    forces = [{"kind": "militia", "faction": "a", "units": targets, "strength": 100,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}},
              {"kind": "militia", "faction": "b", "units": 1, "strength": 10,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}}]
    rules = {"airstrikes": {"by": "b", "against": "a", "loss_fraction": 0.3, "radius_km": 2.0}}
    return world(tmp_path, relations={"a/b": "rival"}, forces=forces, rules=rules)


def test_a_strike_takes_its_loss_fraction_from_every_target_unit_within_its_radius_only(tmp_path):
    model, units = striking(tmp_path)
    rule(model, "airstrikes").strike()
    strengths = sorted(u.strength for u in units)
    assert strengths == pytest.approx([70.0, 70.0, 100.0]), (
        "the strike aims at the pair 2 km apart: both lose 30 %, the unit 6 km further loses nothing")


def test_a_strike_hits_the_units_within_its_radius_in_km_and_none_beyond(tmp_path):
    """radius_km 2 on 2 km cells: a-units of 5, 10, 100, 10, 5 fighters at -4, -2, 0, 2, 4 km on a
    row. The densest 3 × 3-cell window (2 × 2 km ÷ 2 km, odd) is centred on the 100 (120 fighters;
    the windows beside it hold 115; the one centred a row below also holds 120, and the first
    maximum, on the row, is taken), so the strike hits the units at 0 and ±2 km (≤ 2 km):
    100 → 70 and 10 → 7 at loss_fraction 0.3; the 5s at ±4 km are beyond the radius, untouched."""
    model = strike_world(tmp_path, targets=5)
    units = units_of(model, "a")
    start = open_row(model, length_km=40.0)
    assert start[0] == 0, "the set-up needs the map's top row: no window centred above it holds the 120"
    placed = zip(units, (0.0, 2.0, 4.0, 6.0, 8.0), (5.0, 10.0, 100.0, 10.0, 5.0), strict=True)
    for unit, km, strength in placed:
        unit.move_to(east(start, km, model))
        unit.lose(unit.strength - strength)
    rule(model, "airstrikes").strike()
    assert [u.strength for u in units] == pytest.approx([5.0, 7.0, 70.0, 7.0, 5.0]), (
        "units within 2 km of the aim (the 100 and the 10s beside it) lose 30 %; the 5s 4 km away "
        f"lose nothing; got {[u.strength for u in units]}")


def test_a_strike_aims_at_the_centre_of_an_odd_window_2_radius_wide(tmp_path):
    """radius_km 2 on 2 km cells: the window is 2 × 2 ÷ 2 = 2 cells, made odd: 3 × 3. Two a-units of
    50 at 0 and 4 km on the map's top row, an empty cell between: the densest 3 × 3 window (100) is
    centred on the empty cell, 2 km from each, so both lose 30 % (an even window of 2 would centre
    on one unit, leaving the other 4 km away and untouched)."""
    model, units = striking(tmp_path)
    both_fifties_lose_30_percent(model, units, far_km=20.0)


def test_an_intercepted_strike_does_no_harm_and_one_let_through_adds_tension(tmp_path):
    model, units = striking(tmp_path, rate_per_day=240.0, intercepted_by="b", intercept_probability=1.0)
    strikes = rule(model, "airstrikes")
    strikes.apply()
    assert strikes.intercepted > 0 and strikes.strikes == 0, "every strike is intercepted at probability 1"
    assert [u.strength for u in units] == [100.0] * 3
    strikes.strike()
    a, b = model.factions.index("a"), model.factions.index("b")
    assert model.tension.level[a, b] == pytest.approx(model.spec.tension.weights.strike_not_stopped), (
        "a strike the interceptor let through adds strike_not_stopped between target and interceptor")


def test_a_strike_is_counted_with_the_fighters_it_killed_and_logged(tmp_path):
    """One strike on the pair 2 km apart: 2 × 30 % of 100 = 60 fighters; the summary counts one
    strike, none intercepted, 60 killed, and the event log has one airstrike of 60 fighters."""
    model, _ = striking(tmp_path, intercepted_by="b", intercept_probability=0.0)
    strikes = rule(model, "airstrikes")
    strikes.strike()
    assert strikes.summary(slice(None)) == {"airstrikes.strikes": 1, "airstrikes.intercepted": 0,
                                         "airstrikes.fighters_killed": pytest.approx(60.0)}
    logged = [e for e in model.log.entries if e.kind == "airstrike"]
    assert len(logged) == 1 and logged[0].fighters == pytest.approx(60.0), [e.text for e in logged]
    assert logged[0].place is not None and f"near {logged[0].place}:" in logged[0].text, (
        f"the entry names the place nearest the aim: {logged[0]}")


def test_a_strike_is_recorded_as_violence_by_the_striker_and_harms_its_support(tmp_path):
    """ODD *Population and support*: the fighters a strike kills are booked against the striker
    (b) at the aim; the violence record has the striker losing nothing, the target the 60 killed
    (2 × 30 % of 100, the pair 2 km apart)."""
    model, _ = striking(tmp_path)
    model.population = book = _HarmBook()
    rule(model, "airstrikes").strike()
    v = model.recorder.violence
    assert v.kinds == ["strike"] and v.sides == [("b", "a")], f"one strike by b on a: {v.kinds}, {v.sides}"
    assert v.deaths[0] == pytest.approx((0.0, 60.0)), f"the striker loses nothing, a loses 60: {v.deaths}"
    (booked,) = book.booked
    assert booked[0] == v.cells[0] and booked[1] == (model.factions.index("b"),), (
        f"the harm is booked at the aim against the striker b only: {booked}")
    assert booked[2] == pytest.approx(60.0), f"the 60 fighters killed: {booked}"


def test_a_strike_finds_a_target_of_any_strength(tmp_path):
    """The three a-units cut to 1 fighter each (presence 1 fighter a cell): still a concentration
    to strike. The pair 2 km apart loses 30 % each: 0.6 fighters killed in one strike."""
    model, units = striking(tmp_path)
    for unit in units:
        unit.lose(unit.strength - 1.0)
    strikes = rule(model, "airstrikes")
    strikes.strike()
    assert strikes.summary(slice(None))["airstrikes.strikes"] == 1, "a target of 1 fighter a cell is struck"
    assert strikes.summary(slice(None))["airstrikes.fighters_killed"] == pytest.approx(0.6), "2 × 0.3 × 1 fighter"


def test_the_strike_window_is_twice_the_radius_wide_at_1_km_cells(tmp_path):
    """radius_km 2 on 1 km cells: the window is 2 × 2 ÷ 1 = 4 cells, made odd: 5 × 5. Two 50s at 0 and
    4 km on the top row: only the window centred midway (2 km) holds both, so it is the densest
    and both lose 30 % (a 7-wide window would first peak one cell after the first 50, 3 km from
    the second, which would be spared)."""
    forces = [{"kind": "militia", "faction": "a", "units": 3, "strength": 100,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}},
              {"kind": "militia", "faction": "b", "units": 1, "strength": 10,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}}]
    rules = {"airstrikes": {"by": "b", "against": "a", "loss_fraction": 0.3, "radius_km": 2.0}}
    model = world(tmp_path, relations={"a/b": "rival"}, forces=forces, rules=rules, cell_km=1.0)
    both_fifties_lose_30_percent(model, units_of(model, "a"), far_km=30.0)


def test_every_intercepted_strike_is_counted(tmp_path):
    """At 240 strikes a day and interception certain, each strike of a 1 h step (Poisson, mean 10)
    is intercepted and logged once: the count equals the entries."""
    model, _ = striking(tmp_path, rate_per_day=240.0, intercepted_by="b", intercept_probability=1.0)
    strikes = rule(model, "airstrikes")
    strikes.apply()
    strikes.apply()
    logged = [e for e in model.log.entries if e.kind == "airstrike" and "intercepted" in e.text]
    assert len(logged) > 1 and strikes.intercepted == len(logged), (
        f"{len(logged)} interceptions logged, {strikes.intercepted} counted")


def test_the_fighters_killed_add_up_over_strikes(tmp_path):
    """The summary's fighters killed is the total over every strike, not the last one's: two
    strikes, each logged with its own dead (the first 2 × 30 % of 100 = 60), and the summary
    their sum."""
    model, _ = striking(tmp_path, intercepted_by="b", intercept_probability=0.0)
    strikes = rule(model, "airstrikes")
    strikes.strike()
    strikes.strike()
    logged = [e.fighters for e in model.log.entries if e.kind == "airstrike"]
    assert len(logged) == 2 and logged[0] == pytest.approx(60.0) and logged[1] > 0, logged
    assert strikes.summary(slice(None))["airstrikes.fighters_killed"] == pytest.approx(sum(logged)), (
        f"the fighters killed should add up over the strikes, {logged}")


def test_a_strike_aims_at_the_targets_wherever_they_stand_on_the_map(tmp_path):
    """The densest window is sought over the whole map, rows and columns. Five a-units of 100 in a
    plus (a centre and its four neighbours, 2 km cells) on desert at least 10 rows from the top, and
    a sixth 8 km east of the centre: only the 3 × 3 window centred on the centre holds all five
    (500), so the strike aims there and every unit of the plus (0 or 2 km from the aim) loses 30 %;
    the sixth loses nothing."""
    from sim.geography import Terrain

    model = strike_world(tmp_path, targets=6)
    t = model.map.terrain
    r, c = next((int(r), int(c)) for r, c in zip(*np.nonzero(t == Terrain.DESERT), strict=True)
                if r >= 10 and c >= 1 and c + 6 <= t.shape[1] and (t[r - 1:r + 2, c - 1:c + 6] == Terrain.DESERT).all())
    units = units_of(model, "a")
    for unit, rc in zip(units, [(r, c), (r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1), (r, c + 4)], strict=True):
        unit.move_to(rc)
    rule(model, "airstrikes").strike()
    assert [u.strength for u in units] == pytest.approx([70.0] * 5 + [100.0]), (
        f"the plus centred on row {r} should lose 30 % each, the unit 8 km away nothing: {[u.strength for u in units]}")


def test_strikes_arrive_at_their_rate_per_day_and_each_is_intercepted_with_its_probability(tmp_path):
    """ODD §3.3 *Airstrikes*: a Poisson process at `rate_per_day`, each strike intercepted with
    `intercept_probability`. 240 a day over 100 one-hour steps: by hand N ~ Poisson(1,000), so
    |N − 1,000| < 4·√1,000 ≈ 126; with p = 0.3 the intercepted share is Binomial(N, 0.3)/N,
    within 4·√(0.21/N) ≈ 0.058 of 0.3 (the targets are made whole after each step)."""
    model, units = striking(tmp_path, rate_per_day=240.0, intercepted_by="b", intercept_probability=0.3)
    strikes = rule(model, "airstrikes")
    assert model.step_hours == 1.0
    for _ in range(100):
        strikes.apply()
        for unit in units:
            unit.gain(100.0 - unit.strength)
    n = strikes.strikes + strikes.intercepted
    assert abs(n - 1000) < 4 * np.sqrt(1000), f"240 a day for 100 h: about 1,000 strikes, got {n}"
    share = strikes.intercepted / n
    assert abs(share - 0.3) < 4 * np.sqrt(0.21 / n), f"about 30 % of {n} strikes intercepted, got {share:.3f}"
