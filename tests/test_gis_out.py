"""A run's GIS layers (sim/results/gis_layers.py): the GeoTIFF opens with the grid's bounds and CRS and its
cells sit under the right places; the GeoJSON layers validate as RFC 7946."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
from geojson_pydantic import FeatureCollection

from sim.geography.gis_out import cell_degrees

from conftest import ROOT

VALLEY = ROOT / "tests" / "fixtures" / "two_town_valley" / "valley.yaml"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    from sim.hindcast.events import ViolenceLog, events_table
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    result = CorridorModel(load_scenario(VALLEY), 7).run()
    # the valley's three days see no fighting: two incidents noted by hand give the violent events layer rows
    log = ViolenceLog()
    log.add(7.0, result.map.places["Amberton"].cell, "clash", "valley_guard", "hill_clans", 2.0, 1.0)
    log.add(30.5, result.map.places["Birchford"].cell, "ambush", "hill_clans", "valley_guard", 0.0, 3.0)
    result.events = events_table(log, result.calendar, result.map, 0.5)
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
        assert tif.descriptions == ("controller",)
        with rasterio.open(out / "gis" / "control_factions.tif") as factions:
            assert factions.descriptions == ("valley_guard", "hill_clans", "contested")
            bands = np.concatenate([tif.read(), factions.read()])
        places_mask = np.zeros(m.shape, dtype=bool)
        for place in m.places.values():
            places_mask[place.cell] = True
        assert tif.nodata == 255 and (bands[:, ~m.land & ~places_mask] == 255).all(), \
            "river cells are nodata, except a place's cell (a bridge)"
        on_land = bands[1:, m.land]
        assert set(on_land.ravel().tolist()) <= {0, 1} and (on_land.sum(axis=0) <= 1).all()
        # the controller band: 0 ungoverned, 1 valley_guard, 2 hill_clans, 3 contested
        expected = np.where(bands[1] == 1, 1, np.where(bands[2] == 1, 2, np.where(bands[3] == 1, 3, 0)))
        assert (bands[0][m.land] == expected[m.land]).all(), "the controller band agrees with the 0/1 bands"
        colours = tif.colormap(1)
        assert colours[1][:3] == (0x15, 0x65, 0xC0) and colours[2][:3] == (0xE6, 0x9F, 0x00), \
            "the colour table gives each faction its scenario colour"
        tags = tif.tags()
        assert tags["scenario"] == result.scenario_name and tags["seed"] == "7" and tags["code_version"]
        assert tags["datetime"] == "2017-11-22T00:00:00", "3 days after the default start date, 2017-11-19"
        # the cell under each place (bridges included) holds what places.geojson says
        places = json.loads((out / "gis" / "places.geojson").read_text())["features"]
        codes = {"ungoverned": 0, "valley_guard": 1, "hill_clans": 2, "contested": 3}
        for f in places:
            lon, lat = f["geometry"]["coordinates"]
            row, col = tif.index(lon, lat)
            assert (row, col) == m.find_place(f["properties"]["name"]).cell
            assert bands[0, row, col] == codes[f["properties"]["holder_at_end"]], f["properties"]["name"]
    qml = (out / "gis" / "control.qml").read_text()
    assert 'type="paletted"' in qml and 'label="hill_clans"' in qml and 'color="#1565c0"' in qml


def test_control_over_time_has_a_band_per_kept_day_with_its_date(run_folder):
    result, out = run_folder
    with rasterio.open(out / "gis" / "control_over_time.tif") as tif:
        assert tif.count == len(result.frames) == 4, "daily snapshots of a 3-day run: days 0, 1, 2, 3"
        assert tif.descriptions == ("2017-11-19T00:00:00", "2017-11-20T00:00:00", "2017-11-21T00:00:00",
                                    "2017-11-22T00:00:00")
        assert [tif.tags(i)["day"] for i in range(1, 5)] == ["0", "1", "2", "3"]
        with rasterio.open(out / "gis" / "control.tif") as end:
            assert (tif.read(4) == end.read(1)).all(), "the last day is the end's controller band"
    assert (out / "gis" / "control_over_time.qml").exists()


def test_geojson_layers_are_rfc7946_valid_and_round_trip_through_geopackage(run_folder, tmp_path):
    raw = pytest.importorskip("pyogrio.raw")
    from shapely import from_geojson, from_wkb

    result, out = run_folder
    west, south, east, north = rasterio.open(out / "gis" / "control.tif").bounds
    for name, kinds in (("places", {"Point"}), ("units", {"Point"}), ("tracks", {"Point", "LineString"}),
                        ("routes", {"LineString"}), ("events", {"Point"}), ("violent_events", {"Point"})):
        text = (out / "gis" / f"{name}.geojson").read_text(encoding="utf-8")
        fc = FeatureCollection.model_validate_json(text)
        data = json.loads(text)
        assert fc.features and "crs" not in data, name
        assert {f.geometry.type for f in fc.features} <= kinds and fc.features[0].geometry.type in kinds, name
        assert data["metadata"]["scenario"] == result.scenario_name and data["metadata"]["seed"] == "7", \
            f"{name}: expected the scenario and seed in its top-level metadata"
        assert data["metadata"]["code_version"] and data["metadata"]["scenario_sha256"] == result.digest, name
        for f in data["features"]:
            geometry = from_geojson(json.dumps(f["geometry"]))
            assert geometry.is_valid and not geometry.is_empty, f"{name}: invalid {f['geometry']}"
            assert f["geometry"]["type"] == "Point" or geometry.length > 0, f"{name}: a line of one point"
            coords = f["geometry"]["coordinates"]
            for lon, lat in coords if f["geometry"]["type"] == "LineString" else [coords]:
                assert west <= lon <= east and south <= lat <= north, name
            assert not any(isinstance(v, list | dict) for v in f["properties"].values()), \
                f"{name}: a list field does not survive GeoPackage or Shapefile"
        bbox = data["bbox"]
        assert west <= bbox[0] <= bbox[2] <= east and south <= bbox[1] <= bbox[3] <= north
        gpkg = tmp_path / f"{name}.gpkg"  # through GDAL, as ogr2ogr -f GPKG would
        meta, _, geometry, fields = raw.read(out / "gis" / f"{name}.geojson")
        raw.write(gpkg, geometry, fields, fields=meta["fields"], crs=meta["crs"], geometry_type="Unknown",
                  driver="GPKG", promote_to_multi=False)
        meta, _, geometry, fields = raw.read(gpkg)
        assert meta["crs"] == "EPSG:4326" and len(geometry) == len(data["features"]), name
        assert all(g.is_valid for g in from_wkb(geometry)), f"{name}: invalid geometry after GeoPackage"
        if name in ("tracks", "events", "violent_events"):
            column = list(meta["fields"]).index("datetime")
            assert str(meta["dtypes"][column]).startswith("datetime64"), f"{name}: GDAL reads `datetime` as a date-time"
            stamps = pd.to_datetime(fields[column])
            assert stamps.notna().all() and (stamps >= pd.Timestamp("2017-11-19")).all(), \
                f"{name}: every feature has an ISO 8601 datetime from the calendar"
    tracks = json.loads((out / "gis" / "tracks.geojson").read_text())["features"]
    units = len(result.frames[0]["units"])
    assert len(tracks) >= units, "a leg per unit and kept day"
    events = json.loads((out / "gis" / "events.geojson").read_text())["features"]
    standoff = [e for e in events if e["properties"]["kind"] == "standoff"]
    assert standoff and all(e["properties"]["place"] == "Birchford" for e in standoff)
    entries = [e for e in result.log.entries if e.cell is not None]
    assert entries, "the event log records where events happened"
    first = next(e for e in events if e["properties"]["step"] == entries[0].step)
    assert tuple(rasterio.open(out / "gis" / "control.tif").index(*first["geometry"]["coordinates"])) \
        == entries[0].cell, "an event sits at the cell where it happened, not at the nearest town"
    violent = json.loads((out / "gis" / "violent_events.geojson").read_text())["features"]
    assert [f["properties"]["datetime"] for f in violent] == ["2017-11-19T07:00:00", "2017-11-20T06:30:00"], \
        "7 h and 30.5 h after the default start, 2017-11-19 00:00, in ISO 8601"
    routes = json.loads((out / "gis" / "routes.geojson").read_text())["features"]
    assert [r["properties"]["places"] for r in routes] == ["Amberton, Birchford"]
    assert routes[0]["properties"]["outcome"] == result.summary["convoy_supply column"]
    units = json.loads((out / "gis" / "units.geojson").read_text())["features"]
    assert len(units) == len(result.frames[-1]["units"])


def test_a_line_through_one_place_is_a_point_and_repeated_vertices_are_dropped():
    from sim.geography.gis_out import line

    still = line(np.array([[40.0, 34.0]] * 31), {"a": 1})
    assert still["geometry"] == {"type": "Point", "coordinates": [40.0, 34.0]}, "a unit that never moves is a point"
    moved = line(np.array([[40.0, 34.0], [40.0, 34.0], [40.1, 34.0], [40.1, 34.0], [40.0, 34.0]]), {})
    assert moved["geometry"]["coordinates"] == [[40.0, 34.0], [40.1, 34.0], [40.0, 34.0]]


@pytest.mark.filterwarnings("ignore:euphrates_corridor.geojson:UserWarning")
def test_a_run_folder_lists_the_moved_places_once_and_its_layers_put_them_where_they_moved(tmp_path):
    """At 3 km cells the Euphrates map moves a few places (docs/map.md): the run folder's
    moved_places.csv has one row per moved place, and places.geojson and routes.geojson use the cell
    the model put each place on, not the map file's coordinates."""
    from sim.geography.gis_out import cell_lonlat

    from conftest import coarse_model

    result = coarse_model("albu_kamal_blockade.yaml", days=2.0, **{"map.cell_km": 3.0}).run()
    assert result.map.adjustments, "the 3 km map moves places"
    out = result.save(tmp_path / "out", command=["test"], animation=False)
    table = pd.read_csv(out / "moved_places.csv")
    assert list(table["name"]) == [a.name for a in result.map.adjustments], "one row per moved place"
    m = result.map

    def at_cell(name):
        lon, lat = cell_lonlat(m, *(np.array(v) for v in m.places[name].cell))
        return [round(float(lon), 6), round(float(lat), 6)]

    places = {f["properties"]["name"]: f for f in json.loads((out / "gis" / "places.geojson").read_text())["features"]}
    for row in table.itertuples():
        assert places[row.name]["geometry"]["coordinates"] == at_cell(row.name) == [row.lon, row.lat], \
            f"{row.name}: expected at its moved cell in places.geojson and moved_places.csv"
        assert places[row.name]["properties"]["moved_km"] == row.moved_km, \
            f"{row.name}: expected the same moved_km in places.geojson as in moved_places.csv"
    for route in json.loads((out / "gis" / "routes.geojson").read_text())["features"]:
        names = route["properties"]["places"].split(", ")
        want = [c for i, c in enumerate(map(at_cell, names)) if i == 0 or c != at_cell(names[i - 1])]
        got = route["geometry"]["coordinates"]
        assert (got if route["geometry"]["type"] == "LineString" else [got]) == want, \
            f"{route['properties']['label']}: expected the route through its places' cells"


def test_an_event_logged_at_a_cell_is_drawn_at_that_cell_not_at_the_place_it_names(run_folder):
    """events.geojson puts each logged event at the centre of the cell where it happened
    (cell_lonlat of its cell); only an event without a cell falls back to the place it names."""
    from sim.geography.gis_out import cell_lonlat

    result, out = run_folder
    drawn = {(f["properties"]["step"], f["properties"]["text"]): f["geometry"]["coordinates"]
             for f in json.loads((out / "gis" / "events.geojson").read_text(encoding="utf-8"))["features"]}
    located = [e for e in result.log.entries if e.cell is not None]
    assert located, "the valley's run should log events at cells"
    for e in located:
        lon, lat = cell_lonlat(result.map, np.array(e.cell[0]), np.array(e.cell[1]))
        assert drawn[(e.step, e.text)] == pytest.approx([float(lon), float(lat)], abs=1e-6), (
            f"{e.text!r} happened at cell {e.cell}: expected ({float(lon):.5f}, {float(lat):.5f}), "
            f"drawn at {drawn[(e.step, e.text)]}")
    away = [e for e in located if e.place is None or result.map.find_place(e.place).cell != tuple(e.cell)]
    assert away, "at least one event away from the cell of the place it names (else the test tells nothing)"


def test_a_river_cell_kept_for_a_place_has_data_and_the_other_river_cells_are_nodata(run_folder, tmp_path):
    """write_geotiff gives river cells `nodata` except where `keep` is true (a place's own cell,
    a bridge): with one river cell kept, a band of 7s reads 7 there and 255 on the other river
    cells, 7 on land. (The valley's places all stand on land, so its control.tif cannot show it.)"""
    from sim.geography.gis_out import write_geotiff

    result, _ = run_folder
    m = result.map
    river = np.argwhere(~m.land)
    assert len(river) >= 2, "the valley has river cells"
    keep = np.zeros(m.shape, dtype=bool)
    keep[tuple(river[0])] = True
    path = write_geotiff(tmp_path / "kept.tif", m, {"value": np.full(m.shape, 7, dtype=np.uint8)}, nodata=255, keep=keep)
    with rasterio.open(path) as tif:
        band = tif.read(1)
    assert band[tuple(river[0])] == 7, f"the kept river cell should carry its value 7, got {band[tuple(river[0])]}"
    assert (band[~m.land & ~keep] == 255).all() and (band[m.land] == 7).all(), "other river cells nodata, land 7"
