"""Engagements (sim/submodels/engagement.py, ODD §3.3 *Engagements*), through `resolve_engagements`, the
engagement stage of a step: contact within `engagement.range_km` in km at any cell size, each
connected group of contacts one battle, Lanchester attrition over the step, urban cover dividing
the fire a side receives, losses shared in proportion to strength, rivals never fighting. Every
expectation is the closed form of the square law computed here by hand:
A(t) = A·cosh(g·t) − √(β/α)·B·sinh(g·t), g = √(α·β), α and β per hour."""

from __future__ import annotations

import math

import pytest
from worlds import east, open_row, units_of, world

from sim.geography import Terrain
from sim.submodels.engagement import (
    SPARSE_CONTACTS,
    contact_groups,
    cover_factor,
    fight,
    frontage_square_law,
    resolve_engagements,
    sparse_contact_groups,
)

KILL = 0.05 / 24.0  # the default aimed kill rate per enemy fighter per hour


def square(a, b, alpha, beta, hours=1.0):
    """Aimed fire by hand: A hit at rate β per B-fighter, B at α per A-fighter, over `hours`."""
    g = math.sqrt(alpha * beta)
    return (a * math.cosh(g * hours) - math.sqrt(beta / alpha) * b * math.sinh(g * hours),
            b * math.cosh(g * hours) - math.sqrt(alpha / beta) * a * math.sinh(g * hours))


def duel(tmp_path, *, km, cell_km=2.0, relation="hostile", a=100.0, b=80.0, terrain=Terrain.DESERT):
    """Units of a and b `km` apart along a row of `terrain`; one engagement stage of 1 h."""
    model = world(tmp_path, relations={"a/b": relation}, cell_km=cell_km)
    (ua,), (ub,) = units_of(model, "a"), units_of(model, "b")
    start = open_row(model, terrain)
    ua.move_to(start)
    ub.move_to(east(start, km, model))
    ua.lose(ua.strength - a)
    ub.lose(ub.strength - b)
    resolve_engagements(model, {0: [ua], 1: [ub]})
    return ua.strength, ub.strength


@pytest.mark.parametrize("cell_km", [1.0, 2.0])
def test_contact_range_is_in_km_at_any_cell_size(tmp_path, cell_km):
    """range_km = 3: units 2 km apart fight, units 4 km apart do not, at 1 km and at 2 km cells."""
    a, b = duel(tmp_path, km=2.0, cell_km=cell_km)
    assert (a, b) == pytest.approx(square(100.0, 80.0, KILL, KILL), rel=1e-9), (
        f"units 2 km apart (< 3 km) must fight at {cell_km} km cells: left {a:.3f}, {b:.3f}")
    assert duel(tmp_path, km=4.0, cell_km=cell_km) == (100.0, 80.0), (
        f"units 4 km apart (> 3 km) must not fight at {cell_km} km cells")


def test_rivals_never_fight(tmp_path):
    assert duel(tmp_path, km=0.0, relation="rival") == (100.0, 80.0), "rivals in contact must not fight"


def test_urban_cover_divides_the_fire_the_defender_in_town_receives(tmp_path):
    """A in an urban cell receives fire ÷ urban_defence (2); B in the open receives it in full."""
    model = world(tmp_path, relations={"a/b": "hostile"})
    (ua,), (ub,) = units_of(model, "a"), units_of(model, "b")
    town = open_row(model, Terrain.URBAN, length_km=0.0)
    ua.move_to(town)
    ub.move_to(next((town[0] + dr, town[1] + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                    if model.map.terrain[town[0] + dr, town[1] + dc] not in (Terrain.URBAN, Terrain.RIVER)))
    resolve_engagements(model, {0: [ua], 1: [ub]})
    expected = square(100.0, 100.0, KILL, KILL / model.spec.engagement.urban_defence)
    assert (ua.strength, ub.strength) == pytest.approx(expected, rel=1e-9), (
        f"the side in town should lose half as fast: expected {expected}, got {ua.strength}, {ub.strength}")
    assert 100.0 - ua.strength < 100.0 - ub.strength, "cover protects the side in town, not its attacker"


def test_losses_are_shared_in_proportion_to_strength_and_battles_are_connected_groups(tmp_path):
    """a: 60 + 40 together against b's 50; far away, a's 100 against b's 200: two battles."""
    forces = [{"kind": "militia", "faction": f, "units": n, "strength": 10,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}} for f, n in (("a", 3), ("b", 2))]
    model = world(tmp_path, relations={"a/b": "hostile"}, forces=forces)
    a1, a2, a3 = units_of(model, "a")
    b1, b2 = units_of(model, "b")
    start = open_row(model, length_km=60.0)
    for unit, km, strength in ((a1, 0, 60), (a2, 2, 40), (b1, 2, 50), (a3, 40, 100), (b2, 42, 200)):
        unit.move_to(east(start, km, model))
        unit.gain(strength - unit.strength)
    resolve_engagements(model, {0: [a1, a2, a3], 1: [b1, b2]})
    near_a, near_b = square(100.0, 50.0, KILL, KILL)
    far_a, far_b = square(100.0, 200.0, KILL, KILL)
    assert (a1.strength, a2.strength) == pytest.approx((60 * near_a / 100, 40 * near_a / 100), rel=1e-9), (
        "the 60- and 40-fighter units lose the same share of their strength")
    assert b1.strength == pytest.approx(near_b, rel=1e-9), "b1 fights only the group it is in contact with"
    assert (a3.strength, b2.strength) == pytest.approx((far_a, far_b), rel=1e-9), (
        "a battle 40 km away is fought on its own, not pooled with the first")


@pytest.mark.parametrize("step_hours", [1.0, 6.0])
def test_the_kill_rate_is_per_day_at_any_step_length(tmp_path, step_hours):
    model = world(tmp_path, relations={"a/b": "hostile"}, step_hours=step_hours)
    (ua,), (ub,) = units_of(model, "a"), units_of(model, "b")
    start = open_row(model)
    ua.move_to(start)
    ub.move_to(east(start, 2.0, model))
    resolve_engagements(model, {0: [ua], 1: [ub]})
    assert (ua.strength, ub.strength) == pytest.approx(square(100.0, 100.0, KILL, KILL, step_hours), rel=1e-9)


def test_area_fire_follows_the_linear_law(tmp_path):
    """law area: dA/dt = −β·A·B; with A = B = 100 the closed form is A(t) = A / (1 + β·A·t)."""
    model = world(tmp_path, relations={"a/b": "hostile"},
                  engagement={"law": "area", "area_kill_rate_per_day": 0.024})
    (ua,), (ub,) = units_of(model, "a"), units_of(model, "b")
    start = open_row(model)
    ua.move_to(start)
    ub.move_to(east(start, 2.0, model))
    resolve_engagements(model, {0: [ua], 1: [ub]})
    expected = 100.0 / (1.0 + 0.024 / 24.0 * 100.0 * 1.0)
    assert (ua.strength, ub.strength) == pytest.approx((expected, expected), rel=1e-9)


def test_fight_returns_each_sides_losses_and_an_empty_side_fights_no_one(tmp_path):
    """`fight` (also the checkpoint rule's push) returns the fighters each side lost over the hours."""
    model = world(tmp_path, relations={"a/b": "hostile"})
    (ua,), (ub,) = units_of(model, "a"), units_of(model, "b")
    start = open_row(model)
    ua.move_to(start)
    ub.move_to(east(start, 2.0, model))
    ub.lose(20.0)
    a1, b1 = square(100.0, 80.0, KILL, KILL, 2.0)
    lost = fight(model, [ua], [ub], 2.0)
    assert lost == pytest.approx((100.0 - a1, 80.0 - b1), rel=1e-9), (
        f"100 against 80 for 2 h: losses {100 - a1:.3f} and {80 - b1:.3f} expected, got {lost}")
    assert fight(model, [], [ub], 2.0) == (0.0, 0.0) and ub.strength == pytest.approx(b1), (
        "a side with nobody in it inflicts and suffers nothing")


def test_a_clash_is_logged_once_with_both_sides_losses(tmp_path):
    """The engagement stage reports each battle: one `clash` in the event log naming both
    factions, with the fighters both sides lost (the square law's, by hand: 600 against 400)."""
    model = world(tmp_path, relations={"a/b": "hostile"})
    (ua,), (ub,) = units_of(model, "a"), units_of(model, "b")
    start = open_row(model)
    ua.move_to(start)
    ub.move_to(east(start, 2.0, model))
    ua.gain(500.0)
    ub.gain(300.0)
    resolve_engagements(model, {0: [ua], 1: [ub]})
    a1, b1 = square(600.0, 400.0, KILL, KILL)
    clashes = [e for e in model.log.entries if e.kind == "clash"]
    assert len(clashes) == 1, f"one battle, one clash in the log; got {[e.text for e in clashes]}"
    assert clashes[0].factions == ["a", "b"], clashes[0].factions
    assert clashes[0].fighters == pytest.approx(1000.0 - a1 - b1, abs=0.05), (  # the log keeps tenths
        f"the clash should count both sides' losses, {1000 - a1 - b1:.3f} fighters; got {clashes[0].fighters}")


def test_urban_cover_protects_even_a_lone_fighter_in_town(tmp_path):
    """Cover is the strength-weighted mean over the side, whatever its size: 1 fighter in town
    against 100 in the open receives the fire ÷ urban_defence."""
    model = world(tmp_path, relations={"a/b": "hostile"})
    (ua,), (ub,) = units_of(model, "a"), units_of(model, "b")
    town = open_row(model, Terrain.URBAN, length_km=0.0)
    ua.move_to(town)
    ua.lose(99.0)
    ub.move_to(next((town[0] + dr, town[1] + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                    if model.map.terrain[town[0] + dr, town[1] + dc] not in (Terrain.URBAN, Terrain.RIVER)))
    resolve_engagements(model, {0: [ua], 1: [ub]})
    expected = square(1.0, 100.0, KILL, KILL / model.spec.engagement.urban_defence)
    assert (ua.strength, ub.strength) == pytest.approx(expected, rel=1e-9), (
        f"a lone fighter in town should receive half the fire: expected {expected}, got {ua.strength}, {ub.strength}")


@pytest.mark.parametrize("in_town", ["a", "b"])
def test_urban_cover_divides_area_fire_too(tmp_path, in_town):
    """law area: the side in town receives β/urban_defence. By hand, dT/dt = −(k/2)·T·O for the
    side in town T and dO/dt = −k·T·O for the side in the open O, integrated over 1 h in fine
    Euler steps, whichever side stands in town."""
    model = world(tmp_path, relations={"a/b": "hostile"}, engagement={"law": "area", "area_kill_rate_per_day": 0.024})
    (ua,), (ub,) = units_of(model, "a"), units_of(model, "b")
    town_unit, open_unit = (ua, ub) if in_town == "a" else (ub, ua)
    town = open_row(model, Terrain.URBAN, length_km=0.0)
    town_unit.move_to(town)
    open_unit.move_to(next((town[0] + dr, town[1] + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                           if model.map.terrain[town[0] + dr, town[1] + dc] not in (Terrain.URBAN, Terrain.RIVER)))
    resolve_engagements(model, {0: [ua], 1: [ub]})
    k, cover = 0.024 / 24.0, model.spec.engagement.urban_defence
    t, o, dt = 100.0, 100.0, 1.0 / 5000
    for _ in range(5000):
        t, o = t - k / cover * t * o * dt, o - k * t * o * dt
    assert (town_unit.strength, open_unit.strength) == pytest.approx((t, o), rel=1e-5), (
        f"area fire with {in_town} in town: expected ({t:.4f}, {o:.4f}) for the sides in town and in the open, "
        f"got ({town_unit.strength:.4f}, {open_unit.strength:.4f})")


def test_every_hostile_pair_in_contact_fights_even_after_pairs_that_do_not(tmp_path):
    """a is hostile to b and to c; b has no fighters in this stage and a's first rival group is out of
    reach: the pairs before do not stop a and c, 2 km apart, from fighting (the square law, by hand)."""
    forces = [{"kind": "militia", "faction": f, "units": 1, "strength": 100,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}} for f in ("a", "b", "c")]
    model = world(tmp_path, factions=("a", "b", "c"), relations={"a/b": "hostile", "a/c": "hostile"}, forces=forces)
    (ua,), (ub,), (uc,) = units_of(model, "a"), units_of(model, "b"), units_of(model, "c")
    start = open_row(model, length_km=30.0)
    ua.move_to(start)
    uc.move_to(east(start, 2.0, model))
    ub.move_to(east(start, 30.0, model))
    resolve_engagements(model, {0: [ua], 2: [uc]})  # b is not among this stage's fighters
    assert (ua.strength, uc.strength) == pytest.approx(square(100.0, 100.0, KILL, KILL), rel=1e-9), (
        "a and c in contact must fight whatever happened to the pair a/b")
    ua.gain(100.0 - ua.strength)
    uc.gain(100.0 - uc.strength)
    resolve_engagements(model, {0: [ua], 1: [ub], 2: [uc]})  # b present, 28 km away: no contact
    assert (ua.strength, uc.strength) == pytest.approx(square(100.0, 100.0, KILL, KILL), rel=1e-9), (
        "a pair out of contact does not stop the next pair from fighting")
    assert ub.strength == 100.0, "b, 28 km away, is not in contact"


def test_contact_groups_are_the_connected_groups_each_sorted_in_order_of_their_smallest_unit():
    """Edges 3–5, 0–7, 5–9, 2–3 by hand: {0, 7} and {2, 3, 5, 9}; a chain joined from its far end
    (4–1, 1–3, 0–4) is one group whose smallest unit, 0, arrives last."""
    assert contact_groups([3, 0, 5, 2], [5, 7, 9, 3]) == [[0, 7], [2, 3, 5, 9]], (
        "two groups, each in ascending order, the one holding unit 0 first")
    assert contact_groups([4, 1, 0], [1, 3, 4]) == [[0, 1, 3, 4]], "a chain is one battle, whatever order it is joined in"
    assert contact_groups([], []) == [], "no contact, no battle"


def test_contact_groups_number_battles_as_scipys_connected_components_did():
    """The battles are fought in the order scipy's `connected_components` numbered them (by
    their first unit; the order of the seeded record before the union-find replaced it), on
    300 random bipartite graphs of contacts between two factions' units, with and without
    repeated edges."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(7)
    for _ in range(300):
        nf, ng = rng.integers(1, 40, size=2)
        k = int(rng.integers(1, 60))
        rows, cols = rng.integers(nf, size=k), rng.integers(ng, size=k) + nf
        n = nf + ng
        _, label = connected_components(coo_matrix((np.ones(k), (rows, cols)), shape=(n, n)), directed=False)
        engaged = np.zeros(n, dtype=bool)
        engaged[rows] = engaged[cols] = True
        expected = [np.flatnonzero((label == b) & engaged).tolist() for b in np.unique(label[engaged])]
        assert contact_groups(rows.tolist(), cols.tolist()) == expected, (
            f"battles {contact_groups(rows.tolist(), cols.tolist())} differ from scipy's {expected}")


def test_many_contacts_make_the_battles_the_union_find_makes_in_its_order(monkeypatch):
    """Above `SPARSE_CONTACTS` edges the battles come from scipy's sparse graph
    (`sparse_contact_groups`): the same groups in the same order as the union-find, on 60
    random bipartite graphs of up to 4,000 contacts between up to 3,000 units a side (many units
    touch no edge, so scipy's own numbers skip), repeated edges, a graph that is one battle and
    one of single contacts; and the hand-made case of the union-find's test."""
    import numpy as np

    from sim.submodels import engagement

    assert sparse_contact_groups(np.array([3, 0, 5, 2]), np.array([5, 7, 9, 3])) == [[0, 7], [2, 3, 5, 9]]
    rng = np.random.default_rng(11)
    graphs = []
    for _ in range(60):
        nf, ng = rng.integers(1, 3000, size=2)
        k = int(rng.integers(SPARSE_CONTACTS + 1, 4000))
        graphs.append((rng.integers(nf, size=k), rng.integers(ng, size=k) + nf))
    star = np.arange(SPARSE_CONTACTS + 1)
    graphs += [(np.zeros_like(star), star + 1),  # one unit meeting five hundred: one battle
               (star, star + len(star))]  # each unit its own enemy: a battle each
    found = [contact_groups(rows, cols) for rows, cols in graphs]
    monkeypatch.setattr(engagement, "SPARSE_CONTACTS", 10 ** 9)  # the union-find at any size
    for (rows, cols), battles in zip(graphs, found, strict=True):
        expected = contact_groups(rows, cols)
        assert battles == expected, (
            f"{len(rows)} contacts: {len(battles)} battles from the sparse graph, {len(expected)} by the union-find "
            f"(or the same number of battles, in another order or with other members)")
    assert len(found[-2]) == 1 and len(found[-1]) == len(star), "one battle, then a battle per contact"


def test_a_battles_cover_is_the_strength_weighted_cover_of_each_side_afresh(tmp_path):
    """`fight` hands each side's summed fighters to `cover_factor`: the losses are those of the
    plain computation (each side's cover worked out from its units alone, the frontage square law,
    each unit losing its share), bit for bit, for unequal sides with units in town and outside."""
    forces = [{"kind": "militia", "faction": f, "units": 3, "strength": 10,
               "deploy": {"near": "Albu Kamal", "radius_km": 10}} for f in ("a", "b")]
    model = world(tmp_path, relations={"a/b": "hostile"}, forces=forces)
    side_a, side_b = units_of(model, "a"), units_of(model, "b")
    town, start = open_row(model, Terrain.URBAN, length_km=0.0), open_row(model)
    for unit, rc, strength in zip(side_a + side_b, [town, start, east(start, 2, model)] * 2,
                                  (170.0, 55.5, 31.25, 20.0, 9.75, 43.0), strict=True):
        unit.move_to(rc)
        unit.gain(strength - unit.strength)
    spec = model.spec.engagement
    a, b = sum(u.strength for u in side_a), sum(u.strength for u in side_b)
    fa, fb = cover_factor(model, side_a), cover_factor(model, side_b)
    assert fa < 1.0 and fb < 1.0 and a != b, "both sides should have a unit in town and unequal fighters"
    k = spec.kill_rate_per_day / 24.0
    a_new, b_new = frontage_square_law(a, b, k * fb, k * fa, 1.0, spec.front_density_per_km * 2.0 * spec.range_km)
    expected = [u.strength - u.strength * (1.0 - after / before)
                for side, before, after in ((side_a, a, a_new), (side_b, b, b_new)) for u in side]
    assert fight(model, side_a, side_b, 1.0) == (a - a_new, b - b_new), "each side's losses as the plain computation's"
    assert [u.strength for u in side_a + side_b] == expected, "each unit loses its share, bit for bit"


def test_the_hostile_pairs_kept_with_the_relations_are_the_factions_hostile_pairs_after_every_change(tmp_path):
    """The engagements keep the hostile pairs of factions (`Engagements.hostile_pairs`, the
    battles' pairs) and work them out again whenever `model.set_relation` changes one: after 60
    random changes among four factions (to and from hostile, allied, rival, neutral) the kept
    pairs are the relation matrix's, and a pair made hostile between two units in range fights
    at the next engagement stage."""
    import numpy as np

    model = world(tmp_path, factions=("a", "b", "c", "d"))
    rng = np.random.default_rng(7)
    seen = set()
    for _ in range(60):
        f, g = (int(v) for v in rng.choice(4, size=2, replace=False))
        model.set_relation(f, g, int(rng.integers(4)))
        assert model.engagements.hostile_pairs == model.factions.hostile_pairs(), "the kept pairs are stale"
        seen.add(len(model.engagements.hostile_pairs))
    assert len(seen) > 2, f"the changes should make and unmake hostile pairs: {seen}"
    for f in range(4):
        for g in range(f + 1, 4):
            model.set_relation(f, g, 0)  # allied: nobody fights
    (ua,), (ub,) = units_of(model, "a"), units_of(model, "b")
    ub.move_to(ua.rc)
    model.engagements.update()
    assert ua.strength == ub.strength == 100.0, "allies do not fight"
    model.set_relation(0, 1, 3)  # hostile
    model.engagements.update()
    assert ua.strength < 100.0 and ub.strength < 100.0, "a pair made hostile fights at the next stage"
