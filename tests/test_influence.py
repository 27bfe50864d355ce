"""Influence fields: resolution-independent kernels, the river barrier, exact incremental
updates, time-step-independent relaxation, and the control rule."""

from __future__ import annotations

import numpy as np
import pytest

from sim.geography import load_map
from sim.influence import CONTESTED, UNGOVERNED, InfluenceField

from conftest import SCENARIOS

MAP = SCENARIOS / "maps" / "euphrates_corridor.geojson"


def field(bank, cell_km=1.0, step_hours=1.0, cross=0.2, n=2, **kw):
    params = dict(kernel_km=6.0, patrol_kernel_km=12.0, decay_days=2.0, step_hours=step_hours,
                  threshold=15.0, margin=0.25, cross_river_factor=cross)
    params.update(kw)
    return InfluenceField(n, bank, cell_km, **params)


@pytest.mark.parametrize("cell_km", [0.5, 1.0, 2.0])
def test_a_unit_projects_its_strength_with_a_gaussian_in_km(cell_km):
    f = field(np.ones((120, 120), dtype=np.int8), cell_km=cell_km)
    centre = (60, 60)
    f.add(0, 0, centre, 40.0)
    f.settle()
    at = f.influence[0]
    assert at[centre] == pytest.approx(40.0, rel=0.02), "a 40-fighter unit should project ≈40 on its own cell"
    cells = int(round(6.0 / cell_km))  # 6 km east: one kernel length
    assert at[60, 60 + cells] == pytest.approx(40.0 * np.exp(-0.5), rel=0.03), \
        f"at 6 km the influence should be 40·e^-½ ≈ {40 * np.exp(-0.5):.1f} whatever the cell size"


def test_the_river_lets_only_a_share_of_influence_across():
    bank = np.ones((60, 60), dtype=np.int8)
    bank[:, 30] = 0          # the river
    bank[:, 31:] = 2         # the far bank
    f = field(bank, cross=0.2)
    f.add(0, 0, (30, 25), 40.0)
    f.settle()
    near, far = f.influence[0][30, 25 - 6], f.influence[0][30, 25 + 6]
    assert far == pytest.approx(0.2 * near, rel=1e-6), "6 cells across the river: 0.2 × the same-bank value"


def test_incremental_stamps_equal_a_full_recomputation():
    cmap = load_map(MAP, 1.0)
    f = field(cmap.bank, n=3)
    rng = np.random.default_rng(7)
    land = np.argwhere(cmap.land)
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
    assert np.allclose(f.target, f.projected(), atol=1e-9), "stamped target drifted from the full projection"


def test_relaxation_does_not_depend_on_the_step_length():
    one, two = field(np.ones((40, 40), np.int8), step_hours=1.0), field(np.ones((40, 40), np.int8), step_hours=2.0)
    for f in (one, two):
        f.settle()
        f.add(0, 0, (20, 20), 50.0)
    one.update()
    one.update()
    two.update()
    assert np.allclose(one.influence, two.influence, atol=1e-12)
    expected = 50.0 * (1 - np.exp(-2.0 / 48.0))
    assert one.influence[0][20, 20] == pytest.approx(expected, rel=0.02), "after 2 h: 50·(1 − e^(−2/48))"


def test_control_threshold_and_margin():
    f = field(np.ones((1, 4), np.int8))
    f.influence[:] = np.array([[[20.0, 20.0, 10.0, 16.0]], [[10.0, 17.0, 5.0, 14.0]]])
    f._classify()
    # clear lead; lead too small (20 < 1.25 × 17); nobody reaches 15; 16 < 1.25 × 14
    assert f.controller.tolist() == [[0, CONTESTED, UNGOVERNED, CONTESTED]]


def test_allies_do_not_contest_each_others_ground():
    f = field(np.ones((1, 2), np.int8), n=3)
    f.influence[:] = np.array([[[20.0, 20.0]], [[18.0, 10.0]], [[5.0, 18.0]]])
    f._classify()
    assert f.controller.tolist() == [[CONTESTED, CONTESTED]], "without alliances 20 vs 18 is contested"
    allied = np.eye(3, dtype=bool)
    allied[0, 1] = allied[1, 0] = True
    f.set_allies(allied)
    f._classify()
    # cell 0: the runner-up is an ally, the strongest rival has 5; cell 1: the rival has 18
    assert f.controller.tolist() == [[0, CONTESTED]]
