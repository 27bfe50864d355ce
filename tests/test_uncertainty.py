"""Uncertainty on the map (sim/experiments/uncertainty.py): probabilities of control per cell
over replicates, at chosen days, as GeoTIFF bands and PNG maps, from `uncertainty` and `compare`."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from sim.experiments.uncertainty import map_days, probabilities
from sim.program.errors import UserError
from sim.submodels.influence import CONTESTED, UNGOVERNED

from conftest import ROOT

VALLEY = ROOT / "tests" / "fixtures" / "two_town_valley" / "valley.yaml"


def test_probabilities_are_shares_of_replicates():
    a = np.array([[0, 1], [CONTESTED, UNGOVERNED]])
    b = np.array([[0, 0], [1, UNGOVERNED]])
    p = probabilities([a[None], b[None]], n_factions=2)
    assert p.shape == (1, 3, 2, 2)
    assert p[0, 0].tolist() == [[1.0, 0.5], [0.0, 0.0]]  # faction 0
    assert p[0, 1].tolist() == [[0.0, 0.5], [0.5, 0.0]]  # faction 1
    assert p[0, 2].tolist() == [[0.0, 0.0], [0.5, 0.0]]  # contested


def test_days_outside_the_run_are_refused():
    assert map_days([3, 1, 3, 30], 30) == (1, 3)  # sorted, unique, the end kept anyway
    with pytest.raises(UserError, match="--days: day 31 is outside the run"):
        map_days([31], 30)


def test_uncertainty_writes_geotiff_bands_and_maps(tmp_path):
    from sim.experiments.uncertainty import run_uncertainty

    result = run_uncertainty(VALLEY, replicates=3, days=[1], workers=1, out=tmp_path / "u", progress=False)
    assert result.files == ["control_probability.tif", "control_probability_day1.png",
                            "control_probability_day3.png"]
    from sim.program.written import foreign_file

    assert foreign_file(tmp_path / "u", "uncertainty") is None, foreign_file(tmp_path / "u", "uncertainty")  # every file it wrote is in its kind's list (sim.program.written): --force may replace it
    m = result.loaded.map
    with rasterio.open(tmp_path / "u" / "control_probability.tif") as tif:
        assert tif.crs.to_epsg() == 4326 and (tif.height, tif.width) == m.shape
        assert tif.descriptions == ("day 1: valley_guard", "day 1: hill_clans", "day 1: contested",
                                    "day 3: valley_guard", "day 3: hill_clans", "day 3: contested")
        assert tif.tags(4) == {"day": "3", "faction": "valley_guard", "datetime": "2017-11-22T00:00:00"}, \
            "each band's day, faction and date (3 days after the default start, 2017-11-19) in its metadata"
        bands = tif.read()
    land = bands[:, m.land]
    assert np.isnan(bands[:, ~m.land]).all() and ((land >= 0) & (land <= 1)).all()
    assert (land[:3].sum(axis=0) <= 1 + 1e-6).all() and (land[3:].sum(axis=0) <= 1 + 1e-6).all()
    # shares of 3 replicates, and each town held by its own side in every replicate
    assert set(np.round(land.ravel() * 3, 6)) <= {0.0, 1.0, 2.0, 3.0}
    amberton, birchford = m.find_place("Amberton").cell, m.find_place("Birchford").cell
    assert bands[3][amberton] == 1.0 and bands[4][birchford] == 1.0
    for png in result.files[1:]:
        assert (tmp_path / "u" / png).stat().st_size > 20_000


def test_compare_maps_each_arm(tmp_path):
    from sim.experiments.compare import run_compare

    arm = tmp_path / "open.yaml"
    arm.write_text(f"name: Open bridge\ndescription: No checkpoint.\nextends: {VALLEY}\n"
                   "rules: {checkpoint_blockade: {stop_probability: 0.0}}\n")
    result = run_compare([VALLEY, arm], replicates=2, workers=1, out=tmp_path / "c", progress=False,
                         charts=False, map_days=[2])
    assert result.maps == ["control_probability_valley.tif", "control_probability_open.tif"]  # arms by file name
    with rasterio.open(tmp_path / "c" / result.maps[1]) as tif:
        assert tif.count == 6 and tif.descriptions[0] == "day 2: valley_guard"
