"""The front's reach as a dilation (sim/submodels/front.py, `dilated` and `disc_widths`): the
cells within a front's depth of a faction's ground, found by dilating the ground with the disc
of the offsets that near, must be those scipy's exact distance transform puts within it (the
former rule), at any cell size and depth, the disc's rim included."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import distance_transform_edt

from sim.submodels.front import dilated, disc_widths


def within(mask: np.ndarray, depth_km: float, cell_km: float) -> np.ndarray:
    """`dilated`'s answer written into a whole grid of False (nothing is within reach of an empty mask)."""
    out = np.zeros(mask.shape, dtype=bool)
    if mask.any():
        r0, r1, c0, c1, near = dilated(mask, depth_km, cell_km)
        out[r0:r1, c0:c1] = near
    return out


def transform_rule(mask: np.ndarray, depth_km: float, cell_km: float) -> np.ndarray:
    """The former rule, over the whole grid: within `depth_km` + 1e-9 by the distance transform."""
    if not mask.any():
        return np.zeros(mask.shape, dtype=bool)
    return distance_transform_edt(~mask, sampling=cell_km) <= depth_km + 1e-9


@pytest.mark.parametrize("cell_km, depth_km", [
    (2.0, 5.0), (1.0, 5.0), (0.75, 5.0), (3.0, 5.0), (1.3, 3.7),
    (2.0, 4.0), (1.0, 5.0 ** 0.5), (2.0, 2.0 * 8 ** 0.5), (0.5, 2.5), (5.0, 1.0)])  # rims on lattice points
def test_the_disc_dilation_gives_the_cells_the_distance_transform_puts_within_the_depth(cell_km, depth_km):
    """60 random masks a case (scattered cells, dense patches, lines, cells on the edges and
    corners, a full and an empty grid, narrow grids) on grids of 1 to 60 rows and columns: the
    same cells as the distance transform over the whole grid, byte for byte. Depths on lattice
    distances (4 km at 2 km cells, √5 km at 1 km, 2√8 km at 2 km) put offsets exactly on the
    disc's rim, which counts as within (+1e-9)."""
    rng = np.random.default_rng(int(cell_km * 100 + depth_km * 10))
    masks = [np.zeros((30, 40), dtype=bool), np.ones((30, 40), dtype=bool), np.zeros((1, 1), dtype=bool),
             np.ones((1, 1), dtype=bool)]
    corners = np.zeros((30, 40), dtype=bool)
    corners[0, 0] = corners[-1, -1] = corners[0, -1] = corners[-1, 0] = True
    masks.append(corners)
    while len(masks) < 60:
        shape = (int(rng.integers(1, 61)), int(rng.integers(1, 61)))
        kind = rng.integers(3)
        if kind == 0:
            mask = rng.random(shape) < rng.choice([0.005, 0.05, 0.3])
        elif kind == 1:  # a patch of ground
            mask = np.zeros(shape, dtype=bool)
            r, c = int(rng.integers(shape[0])), int(rng.integers(shape[1]))
            mask[r:r + int(rng.integers(1, 12)), c:c + int(rng.integers(1, 12))] = True
        else:  # a line, as a front's band
            mask = np.zeros(shape, dtype=bool)
            mask[int(rng.integers(shape[0])), :] = True
        masks.append(mask)
    for k, mask in enumerate(masks):
        got, expected = within(mask, depth_km, cell_km), transform_rule(mask, depth_km, cell_km)
        assert got.dtype == bool and got.shape == mask.shape
        assert got.tobytes() == expected.tobytes(), (
            f"mask {k} {mask.shape}: {int((got != expected).sum())} cells differ from the distance transform "
            f"({cell_km} km cells, depth {depth_km} km)")


def test_the_disc_holds_the_offsets_within_the_depth_rim_included():
    """At 2 km cells and 4 km depth: row 0 reaches 2 columns (√(0 + 16) = 4, on the rim), rows
    ±1 reach 1 (√(4 + 4) = 2.83; √(4 + 16) = 4.47 is beyond), rows ±2 reach 0 (√16 = 4, on the
    rim), rows ±3 are beyond (6 km) and left out; at 5 km depth the same rows reach 2, 2, 1."""
    assert disc_widths(4.0, 2.0) == (0, 1, 2, 1, 0)
    assert disc_widths(5.0, 2.0) == (1, 2, 2, 2, 1)
