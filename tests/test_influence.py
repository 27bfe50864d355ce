"""Influence fields: force density in fighters/km² with resolution-independent kernels,
diminishing returns and a response to attrition, the river crossed only near bridges, exact
incremental updates, time-step-independent relaxation, and the control rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.geography import load_map
from sim.scenario.spec import ControlSpec
from sim.submodels.influence import CONTESTED, HOLDING, PATROLLING, UNGOVERNED, InfluenceField

from conftest import SCENARIOS

MAP = SCENARIOS / "maps" / "euphrates_corridor.geojson"


def field(bank, cell_km=1.0, step_hours=1.0, n=2, crossings=None, **kw):
    """An influence field with the scenario defaults (ControlSpec), overridable, updated every
    step (update_hours 0) unless told otherwise."""
    c = ControlSpec()
    params = dict(kernel_km=c.kernel_km, patrol_kernel_km=c.patrol_kernel_km, decay_days=c.decay_days,
                  step_hours=step_hours, threshold_per_km2=c.threshold_per_km2, margin=c.margin,
                  bridge_reach_km=c.bridge_reach_km, tail_ratio=c.tail_ratio, crossings=crossings,
                  update_hours=0.0)
    params.update(kw)
    return InfluenceField(n, bank, cell_km, **params)


def governed_km2(fighters, *, cell_km=1.0, layer=HOLDING, size_km=160, spread_km=0.0, **kw):
    """Area (km²) one faction governs alone on open ground: `fighters` at the centre, or shared
    equally by the cells of a disc of radius `spread_km` around it (a garrison's deployment)."""
    n = int(round(size_km / cell_km))
    f = field(np.ones((n, n), dtype=np.int8), cell_km=cell_km, n=1, **kw)
    r, c = np.indices((n, n))
    disc = np.hypot(r - n // 2, c - n // 2) * cell_km <= max(spread_km, 0.5 * cell_km)
    for rc in np.argwhere(disc):
        f.add(0, layer, tuple(rc), fighters / disc.sum())
    f.settle()
    return float((f.controller == 0).sum() * cell_km**2)


@pytest.mark.parametrize("cell_km", [0.5, 1.0, 2.0])
def test_influence_is_a_force_density_in_fighters_per_km2(cell_km):
    c = ControlSpec()
    f = field(np.ones((200, 200), dtype=np.int8), cell_km=cell_km, tail_ratio=0.0)
    centre = (100, 100)
    f.add(0, HOLDING, centre, 40.0)
    f.settle()
    at = f.influence[0]
    assert at.sum() * cell_km**2 == pytest.approx(40.0, rel=1e-3), \
        "the density of a 40-fighter unit should integrate to 40 fighters over the area"
    cells = int(round(4.0 / cell_km))  # 4 km east
    sigma = c.kernel_km
    expected = 40.0 / (2 * np.pi * sigma**2) * np.exp(-0.5 * (4.0 / sigma) ** 2)
    assert at[100, 100 + cells] == pytest.approx(expected, rel=0.05), \
        f"4 km away the density should be 40/(2πσ²)·exp(−8/σ²) ≈ {expected:.3f} per km² whatever the cell size"


def test_a_lone_patrol_governs_little_and_a_garrison_has_diminishing_returns():
    patrol = governed_km2(25.0, layer=PATROLLING)
    lone = governed_km2(25.0)
    assert patrol <= 30.0 and lone <= 30.0, \
        f"a lone 25-fighter unit should govern at most 30 km², got {patrol:.0f} (patrol) and {lone:.0f} (holding)"
    small, large = governed_km2(100.0, spread_km=4.0), governed_km2(400.0, spread_km=4.0)
    assert small < large < 4.0 * small, \
        f"400 fighters should govern more than 100 but less than 4× as much: {large:.0f} vs {small:.0f} km²"


def test_losing_30_percent_of_the_fighters_loses_at_least_10_percent_of_the_ground():
    for spread in (0.0, 4.0, 6.0):
        full, cut = governed_km2(400.0, spread_km=spread), governed_km2(280.0, spread_km=spread)
        assert cut <= 0.9 * full, (f"a garrison spread over {spread} km losing 30 % of 400 fighters should lose "
                                   f"≥ 10 % of its {full:.0f} km², kept {cut:.0f} km²")


def test_governed_area_does_not_depend_on_the_cell_size():
    for fighters, spread in ((100.0, 3.0), (400.0, 6.0)):  # garrisons, not points: σ is one 2 km cell
        fine, coarse = (governed_km2(fighters, cell_km=ck, spread_km=spread) for ck in (1.0, 2.0))
        assert coarse == pytest.approx(fine, rel=0.15), \
            f"{fighters:.0f} fighters should govern about the same area at 1 km and 2 km cells: {fine:.0f} vs {coarse:.0f} km²"


def river_bank(n=80):
    bank = np.ones((n, n), dtype=np.int8)
    bank[:, n // 2] = 0          # the river, north-south
    bank[:, n // 2 + 1:] = 2     # the far bank
    return bank


def test_influence_crosses_the_river_only_near_bridges():
    bank = river_bank()
    no_bridge = field(bank)
    no_bridge.add(0, HOLDING, (40, 37), 400.0)
    no_bridge.settle()
    assert no_bridge.influence[0][:, 41:].max() == 0.0, "without a bridge no influence should reach the far bank"
    crossings = np.zeros_like(bank, dtype=bool)
    crossings[10, 40] = True     # a bridge 30 km north of the unit
    bridged = field(bank, crossings=crossings)
    bridged.add(0, HOLDING, (40, 37), 400.0)
    bridged.settle()
    near, across = bridged.influence[0][40, 37 - 6], bridged.influence[0][40, 37 + 6]
    assert across < 1e-3 * near, "30 km from the nearest bridge the far bank should get (almost) nothing"
    bridged.presence[:] = 0
    bridged.add(0, HOLDING, (10, 39), 400.0)  # now the unit stands at the bridgehead
    bridged.settle()
    s = ControlSpec().bridge_reach_km
    same, far = bridged.influence[0][10, 36], bridged.influence[0][10, 42]  # both 3 km from the unit
    assert far == pytest.approx(same * np.exp(-0.5 * (2.0 / s) ** 2), rel=1e-6), \
        "near a bridge the far bank should get the same-bank density × exp(−d²/2s²), d from the bridge"


def test_incremental_stamps_equal_a_full_recomputation():
    corridor_map = load_map(MAP, 1.0)
    f = field(corridor_map.bank, n=3)
    rng = np.random.default_rng(7)
    land = np.argwhere(corridor_map.land)
    units = [(int(rng.integers(3)), int(rng.integers(2)), tuple(land[rng.integers(len(land))]), 30.0)
             for _ in range(40)]
    for fac, layer, rc, s in units:
        f.add(fac, layer, rc, s)
    f.settle()
    for _ in range(10):  # a few moves a step: the stamping path
        fac, layer, rc, s = units[int(rng.integers(len(units)))]
        new = tuple(land[rng.integers(len(land))])
        f.add(fac, layer, rc, -s)
        f.add(fac, layer, new, s)
        f.update()
        assert f._since_resync > 0, "a step with two changes should stamp, not recompute"
    assert np.allclose(f.target, f.projected(), atol=1e-6), "stamped target drifted from the full projection"


def test_relaxation_does_not_depend_on_the_step_length():
    one, two = field(np.ones((40, 40), np.int8), step_hours=1.0), field(np.ones((40, 40), np.int8), step_hours=2.0)
    for f in (one, two):
        f.settle()
        f.add(0, 0, (20, 20), 50.0)
    one.update()
    one.update()
    two.update()
    assert np.allclose(one.influence, two.influence, atol=1e-12)
    expected = one.target[0][20, 20] * (1 - np.exp(-2.0 / 48.0))
    assert one.influence[0][20, 20] == pytest.approx(expected, rel=1e-5), "after 2 h: target·(1 − e^(−2/48))"


def test_the_influence_is_updated_every_update_hours_with_the_changes_merged_per_cell():
    """update_hours 3 at 1 h steps: two calls do nothing (influence and control map as they
    were), the third stamps the three steps' changes (a move there and back cancels: no stamp)
    and relaxes by e^(−3/48), as one update of a 3 h step would."""
    bank = np.ones((40, 40), np.int8)
    batched, one = field(bank, update_hours=3.0), field(bank, step_hours=3.0)
    for f in (batched, one):
        f.add(0, 0, (20, 20), 50.0)
        f.settle()
    before = batched.influence.copy(), batched.controller
    batched.add(0, 0, (20, 20), -50.0)
    batched.add(0, 0, (10, 10), 50.0)
    batched.update()
    batched.add(0, 0, (10, 10), -50.0)
    batched.add(0, 0, (20, 20), 50.0)
    batched.update()
    assert np.array_equal(batched.influence, before[0]) and batched.controller is before[1]
    batched.add(0, 0, (30, 30), 20.0)
    stamped = []
    batched._stamp = lambda changes, stamp=batched._stamp: (stamped.extend(changes), stamp(changes))
    batched.update()
    assert stamped == [(0, 0, 30, 30, 20.0)], "the move there and back merged away"
    one.add(0, 0, (30, 30), 20.0)
    one.update()
    assert np.allclose(batched.influence, one.influence, rtol=0, atol=1e-12)


def test_control_threshold_and_margin():
    f = field(np.ones((1, 4), np.int8), threshold_per_km2=15.0)
    f.influence[:] = np.array([[[20.0, 20.0, 10.0, 16.0]], [[10.0, 17.0, 5.0, 14.0]]])
    f._classify()
    # clear lead; lead too small (20 < 1.25 × 17); nobody reaches 15; 16 < 1.25 × 14
    assert f.controller.tolist() == [[0, CONTESTED, UNGOVERNED, CONTESTED]]


def test_allies_do_not_contest_each_others_ground():
    f = field(np.ones((1, 2), np.int8), n=3, threshold_per_km2=15.0)
    f.influence[:] = np.array([[[20.0, 20.0]], [[18.0, 10.0]], [[5.0, 18.0]]])
    f._classify()
    assert f.controller.tolist() == [[CONTESTED, CONTESTED]], "without alliances 20 vs 18 is contested"
    allied = np.eye(3, dtype=bool)
    allied[0, 1] = allied[1, 0] = True
    f.set_allies(allied)
    f._classify()
    # cell 0: the runner-up is an ally, the strongest rival has 5; cell 1: the rival has 18
    assert f.controller.tolist() == [[0, CONTESTED]]


@pytest.mark.parametrize(("layer", "sigma_km"), [(HOLDING, 2.0), (PATROLLING, 4.0)])
def test_the_kernel_is_a_mixture_of_gaussians_of_widths_sigma_2sigma_4sigma_weighted_1_q_q2(layer, sigma_km):
    """ODD §3.3: widths σ, 2σ, 4σ (σ = kernel_km 2 for units holding ground, patrol_kernel_km 4
    for patrols) with weights ∝ 1, q, q² (q = tail_ratio 0.6). 40 fighters at one cell give, d km
    away, Σ_k w_k·40/(2π s_k²)·exp(−d²/2s_k²) per km², computed here term by term."""
    q = 0.6
    f = field(np.ones((201, 201), dtype=np.int8), tail_ratio=q)
    f.add(0, layer, (100, 100), 40.0)
    f.settle()
    weights = np.array([1.0, q, q * q]) / (1.0 + q + q * q)
    for d in (0, 6, 12, 24):
        expected = sum(w * 40.0 / (2 * np.pi * s**2) * np.exp(-0.5 * (d / s) ** 2)
                       for w, s in zip(weights, (sigma_km, 2 * sigma_km, 4 * sigma_km), strict=True))
        assert f.influence[0][100, 100 + d] == pytest.approx(expected, rel=0.03), (
            f"layer {layer}: {d} km from 40 fighters the mixture gives {expected:.5f} per km², "
            f"got {f.influence[0][100, 100 + d]:.5f}")
    assert f.influence[0].sum() == pytest.approx(40.0, rel=1e-3), "the mixture still integrates to the 40 fighters"


def test_a_unit_on_a_bridge_projects_to_both_banks_in_full_whether_stamped_or_filtered():
    bank = river_bank()
    n = bank.shape[1]
    crossings = np.zeros_like(bank, dtype=bool)
    crossings[:, n // 2] = True
    for stamped in (False, True):
        f = field(bank, crossings=crossings)
        f.settle()
        f.add(0, HOLDING, (40, n // 2), 100.0)  # on the river column, a bridge
        if stamped:
            f.update()  # one change: stamped into the target
            got = f.target[0]
        else:
            f.settle()
            got = f.influence[0]
        west, east_ = got[40, n // 2 - 3], got[40, n // 2 + 3]
        assert west > 0 and east_ == pytest.approx(west, rel=1e-9), (
            f"{'stamped' if stamped else 'filtered'}: 3 km either side of a bridge the density should be "
            f"the same on both banks, got {west:.5f} and {east_:.5f}")


def test_exactly_the_threshold_and_exactly_the_margin_are_enough():
    """Control needs density ≥ threshold and ≥ (1 + margin) × the strongest rival: equality counts."""
    f = field(np.ones((1, 2), np.int8), threshold_per_km2=15.0, margin=0.25)
    f.influence[:] = np.array([[[15.0, 20.0]], [[0.0, 16.0]]])
    f._classify()
    assert f.controller.tolist() == [[0, 0]], "15 at a threshold of 15, and 20 = 1.25 × 16, both control"


def test_stamps_at_the_map_edge_equal_a_full_recomputation():
    """A unit moving along the map's edge: its stamps are clipped to the grid as the filter's are."""
    f = field(np.ones((30, 30), np.int8), n=1)
    f.add(0, PATROLLING, (0, 0), 50.0)
    f.settle()
    for old, new in (((0, 0), (0, 1)), ((0, 1), (29, 29)), ((29, 29), (15, 0))):
        f.add(0, PATROLLING, old, -50.0)
        f.add(0, PATROLLING, new, 50.0)
        f.update()
        rc = new
        assert np.allclose(f.target, f.projected(), atol=1e-6), f"the stamped target at {rc} differs from the filter"


def test_a_step_with_many_changes_for_one_faction_and_few_for_another_equals_a_full_projection():
    """Faction 2 moves 300 units in one step (it is recomputed with filters), faction 0 one unit
    (stamped): either way the target is the projection of the presence, and each faction's
    strength the sum of its presence."""
    f = field(np.ones((60, 60), np.int8), n=3)
    rng = np.random.default_rng(3)
    spots = [tuple(rng.integers(0, 60, 2)) for _ in range(300)]
    for rc in spots:
        f.add(2, HOLDING, rc, 10.0)
    f.add(0, PATROLLING, (5, 5), 40.0)
    f.settle()
    assert f.faction_strength(2) == pytest.approx(3000.0) and f.faction_strength(0) == pytest.approx(40.0)
    for rc in spots:
        f.add(2, HOLDING, rc, -10.0)
        f.add(2, HOLDING, (int(rc[1]), int(rc[0])), 10.0)
    f.add(0, PATROLLING, (5, 5), -40.0)
    f.add(0, PATROLLING, (50, 50), 40.0)
    f.add(1, HOLDING, (30, 30), 25.0)
    f.update()
    assert np.allclose(f.target, f.projected(), atol=1e-6), "after a mixed step the target is the projection"
    assert [f.faction_strength(i) for i in range(3)] == pytest.approx([40.0, 25.0, 3000.0]), (
        "faction strengths follow the presence after every change")


def test_total_presence_is_each_factions_fighters_per_cell_over_both_layers():
    f = field(np.ones((5, 6), np.int8), n=2)
    f.add(0, HOLDING, (1, 2), 30.0)
    f.add(0, PATROLLING, (1, 2), 5.0)
    f.add(1, PATROLLING, (4, 5), 7.0)
    total = f.total_presence()
    expected = np.zeros((2, 5, 6))
    expected[0, 1, 2], expected[1, 4, 5] = 35.0, 7.0
    np.testing.assert_array_equal(total, expected, err_msg="(F, rows, cols): holding and patrolling fighters together")


def test_a_gaussian_kernel_is_scipys_summing_to_one_and_its_columns_are_it_clipped_to_the_grid():
    """gaussian_kernel(σ) is the 1-D kernel scipy's gaussian_filter applies to a unit mass (same
    truncation, sums to 1); `kernel_columns` puts it, times each component's gain, centred on
    every row, cut off at the grid's edges (a unit mass at row 0 keeps the kernel's lower half)."""
    from scipy.ndimage import gaussian_filter1d

    from sim.submodels.stamps import TRUNCATE, gaussian_kernel, kernel_columns

    kernel = gaussian_kernel(1.5)
    r = len(kernel) // 2
    unit = np.zeros(2 * r + 1)
    unit[r] = 1.0
    assert kernel.sum() == pytest.approx(1.0, rel=1e-12), f"the kernel sums to {kernel.sum()}"
    assert np.allclose(kernel, gaussian_filter1d(unit, 1.5, truncate=TRUNCATE, mode="constant"), atol=1e-12)
    columns = kernel_columns(20, [1.5, 3.0], [2.0, 0.5])
    assert columns.shape == (2, 20, 20)
    np.testing.assert_allclose(columns[0, 10 - r:10 + r + 1, 10], 2.0 * kernel, rtol=1e-6)
    np.testing.assert_allclose(columns[0, :r + 1, 0], 2.0 * kernel[r:], rtol=1e-6)
    np.testing.assert_allclose(columns[1].sum(axis=0)[9], 0.5, rtol=1e-6)
    assert columns[0, r + 1:, 0].sum() == 0 and columns[0, :10 - r, 10].sum() == 0, "nothing beyond the kernel's reach"

def _hand_governed_km2(fighters: float) -> float:
    """π·d*², d* where N × the documented kernel falls to the threshold: the mixture of 2-D
    Gaussians of widths σ, 2σ, 4σ weighted ∝ 1, q, q² (ODD §3.3), each integrating to one, solved
    by bisection (the density falls with distance)."""
    c = ControlSpec()
    weights, widths = (1.0, c.tail_ratio, c.tail_ratio**2), (c.kernel_km, 2 * c.kernel_km, 4 * c.kernel_km)

    def density(d):
        return fighters * sum(w / sum(weights) * math.exp(-d * d / (2 * s * s)) / (2 * math.pi * s * s)
                              for w, s in zip(weights, widths, strict=True))

    lo, hi = 0.0, 200.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if density(mid) >= c.threshold_per_km2 else (lo, mid)
    return math.pi * lo * lo


def test_a_garrison_governs_the_disc_where_its_density_reaches_the_threshold_and_30_percent_fewer_a_fifth_less():
    """ODD §3.3 *Why a density with a threshold*: N fighters govern the disc where N × kernel ≥
    `control.threshold_per_km2`, and "losing 30 % of a garrison loses about a fifth of its ground".
    By hand at the defaults (σ = 2 km, q = 0.6, 0.3 a km²): 25, 100 and 400 fighters govern 20, 72
    and 191 km², and 280 of 400 keep 77.5 %. The grid's count at 1 km cells (its kernel sampled on
    cells, its disc counted in whole cells) agrees within 8 % and the kept share within 3 points."""
    for fighters in (25.0, 100.0, 400.0):
        hand, grid = _hand_governed_km2(fighters), governed_km2(fighters)
        assert grid == pytest.approx(hand, rel=0.08), (
            f"{fighters:.0f} fighters should govern about {hand:.0f} km² (the documented kernel), got {grid:.0f}")
    hand_kept = _hand_governed_km2(280.0) / _hand_governed_km2(400.0)
    assert 0.7 < hand_kept < 0.85, f"by hand a 30 % loss keeps {hand_kept:.3f} of the ground: about four fifths"
    kept = governed_km2(280.0) / governed_km2(400.0)
    assert abs(kept - hand_kept) < 0.03, f"280 of 400 fighters should keep {hand_kept:.3f} of the ground, kept {kept:.3f}"


def test_a_factions_strength_is_the_running_total_of_its_changes():
    """`faction_strength` is kept by `add`: after random arrivals, moves and losses it is the
    presence's sum (to rounding), faction by faction."""
    f = field(np.ones((30, 30), np.int8), n=3)
    rng = np.random.default_rng(3)
    for _ in range(500):
        fac, layer = int(rng.integers(3)), int(rng.integers(2))
        f.add(fac, layer, (int(rng.integers(30)), int(rng.integers(30))), float(rng.uniform(-5.0, 20.0)))
    for fac in range(3):
        assert f.faction_strength(fac) == pytest.approx(float(f.presence[fac].sum()), rel=1e-12, abs=1e-9)


def test_changes_below_a_fighter_at_a_cell_wait_to_be_stamped_until_they_add_up_to_one():
    """STAMP_FIGHTERS 1: losses of 0.4 at a cell leave the target as it was for two updates, the
    third (1.2 in all) stamps them; the presence and the faction's strength have each at once;
    the week's recomputation projects a change still waiting."""
    f = field(np.ones((40, 40), np.int8))
    f.add(0, HOLDING, (20, 20), 50.0)
    f.settle()
    settled = f.target.copy()
    for k in range(2):
        f.add(0, HOLDING, (20, 20), -0.4)
        f.update()
        assert np.array_equal(f.target, settled), f"after {0.4 * (k + 1):.1f} fighters lost: not yet stamped"
    assert f.faction_strength(0) == pytest.approx(49.2) and f.presence[0, HOLDING, 20, 20] == pytest.approx(49.2)
    f.add(0, HOLDING, (20, 20), -0.4)
    f.update()
    assert np.allclose(f.target, f.projected(), atol=1e-6) and not np.allclose(f.target, settled, atol=1e-3)
    f.add(0, HOLDING, (20, 20), -0.5)
    while f._since_resync:  # to the week's recomputation
        f.update()
    assert np.allclose(f.target, f.projected(), atol=1e-6) and not f._merged
