"""A run's GIS layers (sim/results/gis_layers.py): the GeoTIFF opens with the grid's bounds and CRS and its
cells sit under the right places; the GeoJSON layers validate as RFC 7946."""

from __future__ import annotations

import json

import pytest
import rasterio
from geojson_pydantic import FeatureCollection

from sim.geography.gis_out import cell_degrees

from conftest import ROOT

VALLEY = ROOT / "tests" / "fixtures" / "two_town_valley" / "valley.yaml"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    result = CorridorModel(load_scenario(VALLEY), 7).run()
    return result, result.save(tmp_path_factory.mktemp("run") / "out", command=["test"], animation=False)


def test_control_geotiff_has_the_grid_bounds_crs_and_bands(run_folder):
    result, out = run_folder
    m = result.map
    lon0, lat0, lon1, lat1 = m.projection.extent
    dlon, dlat = cell_degrees(m)
    with rasterio.open(out / "gis" / "control.tif") as tif:
        assert tif.crs.to_epsg() == 4326
        assert (tif.height, tif.width) == m.shape
        west, south, east, north = tif.bounds
        assert (west, south) == pytest.approx((lon0, lat0), abs=1e-9)
        assert 0 <= east - lon1 < dlon and 0 <= north - lat1 < dlat
        assert tif.res == pytest.approx((dlon, dlat))
        assert tif.descriptions == ("valley_guard", "hill_clans", "contested")
        bands = tif.read()
        assert tif.nodata == 255 and (bands[:, ~m.land] == 255).all()
        on_land = bands[:, m.land]
        assert set(on_land.ravel().tolist()) <= {0, 1} and (on_land.sum(axis=0) <= 1).all()
        # the cell under each place (by its lon/lat) holds what places.geojson says
        places = json.loads((out / "gis" / "places.geojson").read_text())["features"]
        for f in places:
            lon, lat = f["geometry"]["coordinates"]
            row, col = tif.index(lon, lat)
            holder = f["properties"]["holder_at_end"]
            assert (row, col) == m.find_place(f["properties"]["name"]).cell
            if holder in tif.descriptions:
                assert bands[tif.descriptions.index(holder), row, col] == 1


def test_geojson_layers_are_rfc7946(run_folder):
    result, out = run_folder
    west, south, east, north = rasterio.open(out / "gis" / "control.tif").bounds
    for name, geometry in (("places", "Point"), ("units", "Point"), ("tracks", "LineString"),
                           ("routes", "LineString"), ("events", "Point")):
        text = (out / "gis" / f"{name}.geojson").read_text(encoding="utf-8")
        fc = FeatureCollection.model_validate_json(text)
        data = json.loads(text)
        assert fc.features and "crs" not in data, name
        assert {f.geometry.type for f in fc.features} == {geometry}, name
        for f in data["features"]:
            coords = f["geometry"]["coordinates"]
            for lon, lat in coords if geometry == "LineString" else [coords]:
                assert west <= lon <= east and south <= lat <= north, name
        bbox = data["bbox"]
        assert west <= bbox[0] <= bbox[2] <= east and south <= bbox[1] <= bbox[3] <= north
    events = json.loads((out / "gis" / "events.geojson").read_text())["features"]
    assert any(e["properties"]["kind"] == "standoff" and e["properties"]["place"] == "Birchford" for e in events)
    routes = json.loads((out / "gis" / "routes.geojson").read_text())["features"]
    assert [r["properties"]["places"] for r in routes] == [["Amberton", "Birchford"]]
    assert routes[0]["properties"]["outcome"] == result.summary["convoy_supply column"]
    units = json.loads((out / "gis" / "units.geojson").read_text())["features"]
    assert len(units) == len(result.frames[-1]["units"])
