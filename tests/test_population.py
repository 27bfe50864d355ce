"""Population and support (sim/submodels/population.py, ODD §2 *Population and support*): support follows
control and harm; supportive population scales the manpower refill; grievance feeds insurgent
recruitment."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import coarse_model


def test_support_moves_toward_the_controlling_faction_at_its_rate():
    model = coarse_model("corridor_campaign.yaml")
    pop = model.population
    before = pop.support.copy()
    controlled = pop.controlled_share()
    model.hours = 24.0  # one simulated day later
    pop.update()
    rate = 1 - math.exp(-model.spec.population.control_rate_per_day)
    np.testing.assert_allclose(pop.support, before + rate * (controlled - before), atol=1e-12,
                               err_msg="support should move a share 1 − exp(−r) of the way to the controlled share")


def test_harm_lowers_support_for_the_faction_responsible_and_feeds_grievance():
    model = coarse_model("corridor_campaign.yaml")
    pop = model.population
    t = pop.names.index("Albu Kamal")
    russia = model.factions.index("russia")
    base = coarse_model("corridor_campaign.yaml").population
    for p in (pop, base):
        p.model.hours = 24.0
    pop.harm(pop.towns[t].cell, (russia,), 10.0)
    pop.update()
    base.update()
    lost = base.support[t, russia] - pop.support[t, russia]
    assert lost == pytest.approx(min(base.support[t, russia], 10 * model.spec.population.harm_per_fighter)), (
        "10 fighters killed near the town should cost the faction responsible 10 × harm_per_fighter of support")
    assert pop.grievance[t] > 0 and base.grievance[t] == 0


def test_supportive_population_scales_the_manpower_refill():
    model = coarse_model("corridor_campaign.yaml")
    pop = model.population
    russia = model.factions.index("russia")
    assert pop.refill_factor()[russia] == pytest.approx(1.0)
    pop.support[:, russia] *= 2.0
    assert pop.refill_factor()[russia] == pytest.approx(1.0 + model.spec.population.recruit_weight)


def test_grievance_in_weakly_controlled_towns_raises_insurgent_recruitment():
    model = coarse_model("corridor_campaign.yaml")
    pop = model.population
    assert pop.insurgent_factor() == pytest.approx(1.0)
    pop._controlled = np.zeros_like(pop.support)  # nobody controls any town
    pop.grievance[:] = 0.5
    assert pop.insurgent_factor() == pytest.approx(1.0 + 0.5 * model.spec.population.insurgent_grievance_weight)


def _daily(pop, days: int = 1) -> None:
    """Advance the population's clock `days` simulated days, one daily update each."""
    for _ in range(days):
        pop.model.hours += 24.0
        pop.update()


def test_grievance_fades_to_e_to_the_minus_one_in_grievance_days_without_harm():
    model = coarse_model("corridor_campaign.yaml")
    pop = model.population
    pop.grievance[:] = 1.0
    _daily(pop, round(model.spec.population.grievance_days))
    np.testing.assert_allclose(pop.grievance, math.exp(-1.0), rtol=1e-9,
                               err_msg="grievance should fall to e^-1 of its start after grievance_days")


def test_grievance_grows_by_the_fighters_killed_near_the_town_over_100():
    model = coarse_model("corridor_campaign.yaml")
    pop = model.population
    t = pop.names.index("Albu Kamal")
    pop.harm(pop.towns[t].cell, (None,), 30.0)  # a strike by a striker not on the map
    before = pop.support.copy()
    controlled = pop.controlled_share()
    _daily(pop)
    assert pop.grievance[t] == pytest.approx(0.3), "30 fighters killed near the town: grievance 30 / 100"
    assert pop.grievance.sum() == pytest.approx(0.3), "towns whose radius does not reach the strike get none"
    rate = 1 - math.exp(-model.spec.population.control_rate_per_day)
    np.testing.assert_allclose(pop.support, before + rate * (controlled - before), atol=1e-12,
                               err_msg="a striker not on the map costs no faction support")


def test_harm_costs_only_the_factions_that_took_part():
    """A clash between Iran's militias and ISIS near Albu Kamal: both lose support there, the others
    (Russia, the coalition, the Syrian army) and the other towns move only toward control."""
    model = coarse_model("corridor_campaign.yaml")
    pop = model.population
    t = pop.names.index("Albu Kamal")
    iran, isis = model.factions.index("iran_militia"), model.factions.index("insurgents")
    pop.support[:] = 0.5  # room to fall
    before = pop.support.copy()
    controlled = pop.controlled_share()
    pop.harm(pop.towns[t].cell, (iran, isis), 10.0)
    _daily(pop)
    rate = 1 - math.exp(-model.spec.population.control_rate_per_day)
    expected = before + rate * (controlled - before)
    expected[t, [iran, isis]] -= 10 * model.spec.population.harm_per_fighter
    np.testing.assert_allclose(pop.support, np.clip(expected, 0, 1), atol=1e-12,
                               err_msg="harm must fall on the factions that took part, in the town it happened")


def test_harm_beyond_a_towns_radius_touches_no_town():
    model = coarse_model("corridor_campaign.yaml")
    pop = model.population
    far = (0, 0)  # the map's corner, far from every town
    pop.harm(far, (model.factions.index("russia"),), 50.0)
    before = pop.support.copy()
    controlled = pop.controlled_share()
    _daily(pop)
    rate = 1 - math.exp(-model.spec.population.control_rate_per_day)
    np.testing.assert_allclose(pop.support, before + rate * (controlled - before), atol=1e-12)
    assert (pop.grievance == 0).all()


def test_support_stays_within_0_and_1_and_moves_once_a_day():
    model = coarse_model("corridor_campaign.yaml")
    pop = model.population
    t = pop.names.index("Albu Kamal")
    russia = model.factions.index("russia")
    pop.harm(pop.towns[t].cell, (russia,), 1e6)
    _daily(pop)
    assert pop.support[t, russia] == 0.0, "support cannot fall below 0"
    after = pop.support.copy()
    model.hours += 12.0
    pop.update()
    np.testing.assert_array_equal(pop.support, after, err_msg="support moves once a simulated day, not every step")
    pop.support[:] = 0.9
    controlled = np.ones_like(pop.support)  # a town controlled by every faction at once: support → 1
    pop.controlled_share = lambda: controlled
    _daily(pop, 50)
    assert pop.support.max() <= 1.0, "support cannot rise above 1"


def test_the_refill_factor_is_clipped_to_0_and_3():
    model = coarse_model("corridor_campaign.yaml")
    pop = model.population
    russia = model.factions.index("russia")
    w = model.spec.population.recruit_weight
    pop.support[:, russia] *= 1.5
    assert pop.refill_factor()[russia] == pytest.approx(1.0 + w * 0.5), "1 + w·(P/P₀ − 1)"
    pop.support[:, russia] *= 100.0
    assert pop.refill_factor()[russia] == 3.0, "the refill factor is at most 3"
    pop.support[:, russia] = 0.0
    assert pop.refill_factor()[russia] == pytest.approx(max(0.0, 1.0 - w)), "and at least 0"


def test_only_towns_no_faction_controls_feed_insurgent_recruitment():
    """G is the population-weighted grievance of towns whose largest controlled share is below 1/2."""
    model = coarse_model("corridor_campaign.yaml")
    pop = model.population
    v = model.spec.population.insurgent_grievance_weight
    controlled = np.zeros_like(pop.support)
    controlled[0, 0] = 0.5  # the first town is held (half its area), the others are not
    pop._controlled = controlled
    pop.grievance[:] = 0.0
    pop.grievance[0] = 1.0
    assert pop.insurgent_factor() == pytest.approx(1.0), "grievance in a controlled town does not count"
    pop.grievance[1] = 1.0
    share = pop.people[1] / pop.people.sum()
    assert pop.insurgent_factor() == pytest.approx(1.0 + v * share), (
        "grievance 1 in an uncontrolled town weighs its share of the population")


def _town_world(tmp_path, radius_km=4.0, **population):
    """Two factions near Albu Kamal (2 km cells), one town there of 1,000 people."""
    from worlds import world

    spec = {"towns": {"Albu Kamal": {"population": 1000, "radius_km": radius_km}}, **population}
    return world(tmp_path, population=spec)


def test_the_controlled_share_is_of_the_towns_land_cells_and_counts_every_faction(tmp_path):
    """A radius wider than the map: the town's area is every land cell of the map (clipped at all
    four edges), and each faction's share is the land it controls ÷ all the land, counted here."""
    model = _town_world(tmp_path, radius_km=2000.0)
    land = model.map.land
    controller = np.full(land.shape, -2, dtype=np.int8)
    rows, cols = np.indices(land.shape)
    controller[cols < land.shape[1] // 3] = 0          # faction 0 (index 0 counts too) in the west
    controller[rows >= land.shape[0] - 2] = 1           # faction 1 on the two southern rows (an edge)
    controller[0, :] = 1                                # and on the northern edge row
    model.influence.controller = controller
    share = model.population.controlled_share()[0]
    expected = [((controller == f) & land).sum() / land.sum() for f in (0, 1)]
    assert share == pytest.approx(expected, rel=1e-12), f"controlled land ÷ land: expected {expected}, got {share}"


def test_harm_exactly_at_a_towns_radius_counts(tmp_path):
    """Towns book harm within their radius, boundary included: 4 km = 2 cells of 2 km."""
    model = _town_world(tmp_path, radius_km=4.0)
    pop = model.population
    r, c = pop.towns[0].cell
    pop.harm((r, c + 2), (0,), 20.0)
    model.hours = 24.0
    pop.update()
    assert pop.grievance[0] == pytest.approx(0.2), "20 fighters killed 4 km away, at the radius: grievance 0.2"


def test_a_three_day_step_moves_support_and_grievance_by_three_days_at_once(tmp_path):
    """Rates per day at any step length: after 72 h in one update support has moved 1 − exp(−3r)
    of the way and grievance has faded to exp(−3/τ); nothing moves before the day is over."""
    model = _town_world(tmp_path, control_rate_per_day=0.1, grievance_days=10.0)
    pop = model.population
    before = pop.support.copy()
    model.hours = 23.0
    pop.update()
    np.testing.assert_array_equal(pop.support, before, err_msg="at 23 h the first day is not over")
    model.hours = 24.0
    pop.update()  # day 1
    pop.grievance[:] = 1.0
    before = pop.support.copy()
    controlled = pop.controlled_share()
    model.hours = 96.0
    pop.update()  # days 2–4 in one step of 72 h
    np.testing.assert_allclose(pop.support, before + (1 - math.exp(-0.3)) * (controlled - before), atol=1e-12,
                               err_msg="three days at 0.1 a day: a share 1 − e^(−0.3) of the way")
    assert pop.grievance[0] == pytest.approx(math.exp(-0.3)), "three days at τ = 10 days: e^(−0.3)"


def test_harm_adds_up_within_a_day_even_of_a_single_fighter_and_stops_at_the_radius(tmp_path):
    """Two incidents near the town in one day, 1 and 3 fighters of faction 0: grievance (1 + 3)/100,
    faction 0's support down by (1 + 3) × harm_per_fighter; 6 km away (radius 4 km) nothing."""
    model = _town_world(tmp_path, radius_km=4.0, harm_per_fighter=0.01, control_rate_per_day=0.0)
    pop = model.population
    pop.support[:] = 0.5
    r, c = pop.towns[0].cell
    pop.harm((r, c), (0,), 1.0)
    pop.harm((r, c + 1), (0,), 3.0)
    pop.harm((r, c + 3), (0, 1), 50.0)  # 3 cells of 2 km: 6 km, beyond the radius
    model.hours = 24.0
    pop.update()
    assert pop.grievance[0] == pytest.approx(0.04), "1 + 3 fighters killed near the town: grievance 4/100"
    assert pop.support[0] == pytest.approx([0.5 - 0.04, 0.5]), "faction 0 loses 4 × 0.01; faction 1 nothing"


def test_the_refill_factor_is_never_below_0_and_without_towns_insurgents_recruit_at_their_rate(tmp_path):
    model = _town_world(tmp_path, recruit_weight=2.0)
    pop = model.population
    pop.support[:] = 0.0
    assert pop.refill_factor().tolist() == [0.0, 0.0], "1 + 2·(0 − 1) = −1 is clipped to 0"
    from worlds import world

    empty = world(tmp_path, population={"towns": {}}).population
    assert empty is not None and empty.insurgent_factor() == 1.0, "no towns, no grievance: the factor is 1"


def test_harm_during_a_day_counts_at_the_days_end_after_support_has_moved_toward_control(tmp_path):
    """Once a simulated day, in order: s ← s + (1 − e^(−r))·(c − s), then s ← s − h·H. Harm of 10
    fighters booked at 12 h (a step that is not a day's end) changes nothing until 24 h."""
    model = _town_world(tmp_path, control_rate_per_day=0.5, harm_per_fighter=0.01)
    pop = model.population
    pop.support[:] = 0.5
    r, c = pop.towns[0].cell
    pop.harm((r, c), (0,), 10.0)
    model.hours = 12.0
    pop.update()
    assert pop.support[0, 0] == 0.5, "12 h in, the day is not over: support has not moved"
    controlled = pop.controlled_share()
    model.hours = 24.0
    pop.update()
    expected = 0.5 + (1 - math.exp(-0.5)) * (controlled[0, 0] - 0.5) - 10 * 0.01
    assert pop.support[0, 0] == pytest.approx(expected), f"expected {expected:.4f} at the day's end"


def test_support_starts_at_the_scenarios_initial_support_and_at_0_2_for_factions_it_does_not_name(tmp_path):
    model = _town_world(tmp_path, initial_support={"a": 0.7})
    assert model.population.support[0].tolist() == pytest.approx([0.7, 0.2]), "a at 0.7 as written, b at the default 0.2"


def test_a_population_without_towns_records_no_support_for_anyone(tmp_path):
    """A `population` block without towns: nobody's population-weighted support, 0 for each faction
    (not 0 / 0), recorded in every row as support_<f>."""
    from worlds import world

    from sim.submodels.population import SupportRecord

    model = world(tmp_path, population={"towns": {}})
    assert model.population.support_share().tolist() == [0.0, 0.0]
    record = SupportRecord(model)
    record.record(0, None)
    table = record.table(slice(0, 1))
    assert set(table) == {"support_a", "support_b"} and all(v.tolist() == [0.0] for v in table.values()), table


def test_the_support_record_is_each_factions_population_weighted_support(tmp_path):
    """Two towns of 1,000 and 3,000 people with support for a of 0.2 and 0.6: support_a is
    (1000 × 0.2 + 3000 × 0.6) / 4000 = 0.5, recorded in the row asked for."""
    from worlds import world

    from sim.submodels.population import SupportRecord

    towns = {"Albu Kamal": {"population": 1000}, "Al-Mayadeen": {"population": 3000}}
    model = world(tmp_path, population={"towns": towns})
    pop = model.population
    pop.support[:] = [[0.2, 0.0], [0.6, 0.1]]
    record = SupportRecord(model)
    record.record(3, None)
    table = record.table(slice(3, 4))
    assert table["support_a"].tolist() == pytest.approx([0.5]) and table["support_b"].tolist() == pytest.approx([0.075]), table


def test_the_support_summary_is_the_last_rows_support_to_six_decimals(tmp_path):
    """summary(rows): each faction's support in the last row of `rows`, rounded to 6 decimals."""
    from worlds import world

    from sim.submodels.population import SupportRecord

    model = world(tmp_path, population={"towns": {"Albu Kamal": {"population": 1000}}})
    record = SupportRecord(model)
    record.support[2] = [1.0 / 3.0, 0.075]
    record.support[3] = [0.9, 0.9]
    assert record.summary(slice(0, 3)) == {"support_a": 0.333333, "support_b": 0.075}, record.summary(slice(0, 3))


def test_the_support_share_refill_and_insurgent_factors_kept_between_changes_are_those_worked_out_afresh():
    """`support_share`, `refill_factor` and `insurgent_factor` are kept while the support, the
    grievance, the control and the weights they come from stay the same bit for bit: at every
    step of 10 days of the campaign at coarse resolution (support moves once a day), and after
    changes made in place, to one town, to a weight and back, each equals the formula worked out
    afresh, bit for bit."""
    model = coarse_model("corridor_campaign.yaml", days=10.0)
    pop, spec = model.population, model.spec.population
    rng = np.random.default_rng(3)

    def afresh():
        spec = pop.spec
        supportive = pop.people @ pop.support
        weak = pop._controlled.max(axis=1) < 0.5
        g = float((pop.people * pop.grievance * weak).sum() / pop.people.sum())
        return (supportive / pop.people.sum(),
                np.clip(1.0 + spec.recruit_weight * (supportive / pop._supportive0 - 1.0), 0.0, 3.0),
                1.0 + spec.insurgent_grievance_weight * g)

    def check(when):
        kept = (pop.support_share(), pop.refill_factor(), pop.insurgent_factor())
        for name, got, want in zip(("support share", "refill factor", "insurgent factor"), kept, afresh(), strict=True):
            assert np.array_equal(got, want) and np.asarray(got).tobytes() == np.asarray(want).tobytes(), (
                f"{name} {when}: kept {got}, afresh {want}")

    for _ in range(model.n_steps):
        model.step()
        check(f"at step {model.steps}")
    for k in range(20):
        t, f = int(rng.integers(len(pop.towns))), int(rng.integers(len(model.factions)))
        pop.support[t, f] = rng.random()
        pop.grievance[t] = rng.random()
        pop._controlled[t, f] = rng.random()
        check(f"after change {k} in place")
    pop.spec = spec.model_copy(update={"recruit_weight": 2.0 * spec.recruit_weight + 0.5})
    check("with another recruit weight")
    pop.spec = spec
    check("with the recruit weight back")


def test_harm_booked_through_the_towns_kept_per_cell_is_the_plain_rule_byte_for_byte():
    """`harm` books against `towns_near(rc)` (kept per cell): the same arrays, bit for bit, as the
    plain rule (every town's distance measured at every incident), over 400 incidents at random
    cells (many near towns, some repeated, some exactly at a radius), random losses and
    factions (a striker not on the map, one faction twice)."""
    model = coarse_model("corridor_campaign.yaml")
    pop = model.population
    rng = np.random.default_rng(7)
    harm, total = np.zeros_like(pop._harm), np.zeros_like(pop._harm_total)
    n = len(model.factions)
    for _ in range(400):
        t = int(rng.integers(len(pop.towns)))
        r, c = pop.towns[t].cell
        if rng.random() < 0.2:  # exactly at the radius along a row
            rc = (r, c + int(round(pop.radius_km[t] / model.map.cell_km)))
        else:
            rc = (r + int(rng.integers(-6, 7)), c + int(rng.integers(-6, 7)))
        factions = [int(f) for f in rng.integers(n, size=int(rng.integers(1, 3)))] + [None] * int(rng.integers(2))
        fighters = float(rng.exponential(5.0)) * (rng.random() < 0.9)
        pop.harm(rc, factions, fighters)
        if fighters > 0:
            near = np.hypot(*(pop._town_rc - np.asarray(rc, dtype=float)).T) * model.map.cell_km <= pop.radius_km
            total[near] += fighters
            for f in factions:
                if f is not None:
                    harm[near, f] += fighters
        assert pop.towns_near(rc) == tuple(np.flatnonzero(
            np.hypot(*(pop._town_rc - np.asarray(rc, dtype=float)).T) * model.map.cell_km <= pop.radius_km).tolist())
    assert total.any() and harm.any(), "the incidents should have harmed some towns"
    assert pop._harm_total.tobytes() == total.tobytes(), "the towns' harm differs from the plain rule's"
    assert pop._harm.tobytes() == harm.tobytes(), "the harm against each faction differs from the plain rule's"
