"""The rasterised corridor map: shape, banks, countries, positions, river topology, names, errors."""

from __future__ import annotations

import importlib.util
import json
import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage
from shapely.geometry import LineString

from sim.geography import MapError, Terrain, line_frame, load_map

ROOT = Path(__file__).resolve().parents[1]
# coarse cells move a few places and warn about it; that is tested once, in test_geography
pytestmark = pytest.mark.filterwarnings("ignore:euphrates_corridor.geojson:UserWarning")
MAP = ROOT / "scenarios" / "maps" / "euphrates_corridor.geojson"
RIGHT_BANK = ["Al-Mayadeen", "Albu Kamal", "Al-Asharah", "Muhassan", "Subaykhan", "Al-Salihiyah",
              "Deir ez-Zor", "Al-Qa'im", "Husaybah", "Al-Karabilah"]  # fmt: skip
LEFT_BANK = ["Hajin", "Diban", "Al-Shaafah", "Al-Baghuz Fawqani", "Al-Omar oil field"]


def corridor_map(cell_km: float = 1.0):
    return load_map(MAP, cell_km)


def test_grid_shape_at_1_and_2_km():
    rows, cols = corridor_map(1.0).shape
    assert abs(rows - 136) <= 2 and abs(cols - 178) <= 2
    rows, cols = corridor_map(2.0).shape
    assert abs(rows - 68) <= 2 and abs(cols - 89) <= 2


def test_cell_counts_scale_with_inverse_square_of_cell_size():
    ref = corridor_map(1.0)
    for cell_km in (0.5, 2.0):
        m = corridor_map(cell_km)
        assert m.terrain.size * m.km2_per_cell == pytest.approx(ref.terrain.size, rel=0.03)
        assert m.land.sum() * m.km2_per_cell == pytest.approx(ref.land.sum(), rel=0.03)


def test_total_strategic_value_does_not_depend_on_cell_size():
    totals = [float(corridor_map(c).strategic_value.sum()) for c in (0.5, 1.0, 2.0)]
    assert totals == pytest.approx([totals[1]] * 3, rel=0.03)


def test_places_on_their_documented_banks():
    m = corridor_map()
    albu_kamal = m.find_place("Albu Kamal")
    assert m.terrain[albu_kamal.cell] == Terrain.URBAN
    for name in RIGHT_BANK:
        assert m.bank[m.find_place(name).cell] == 1, name
    for name in LEFT_BANK:
        assert m.bank[m.find_place(name).cell] == 2, name


def test_countries_and_regions_of_places():
    m = corridor_map()
    for name, country, region in [("Al-Qa'im", "Iraq", "anbar"), ("Al-Mayadeen", "Syria", "west_bank"),
                                  ("Hajin", "Syria", "east_bank"), ("T-2 station", "Syria", "badia")]:  # fmt: skip
        place = m.find_place(name)
        assert place.country == country
        assert m.country_names[m.country[place.cell]] == country
        assert m.region_names[m.region[place.cell]] == region


def test_regions_tile_the_land():
    m = corridor_map()
    assert set(m.region_names) == {"east_bank", "west_bank", "badia", "anbar"}
    assert (m.region[m.land] >= 0).all()
    assert (m.region[~m.land] == -1).all()
    # a region never straddles the river inside Syria
    for name, bank in (("east_bank", 2), ("west_bank", 1), ("badia", 1)):
        cells = m.region_cells(name)
        cells = cells[m.terrain[cells[:, 0], cells[:, 1]] != Terrain.BRIDGE]
        assert (m.bank[cells[:, 0], cells[:, 1]] == bank).all(), name


def test_crossing_and_bridges_have_their_terrain():
    m = corridor_map()
    assert m.terrain[m.find_place("Albu Kamal crossing").cell] == Terrain.CROSSING
    bridges = [p for p in m.places.values() if p.kind == "bridge"]
    assert len(bridges) == 6
    assert all(m.terrain[p.cell] == Terrain.BRIDGE for p in bridges)


def test_euphrates_flows_south_east():
    m = corridor_map()
    xy = [(p.x_km, p.y_km) for p in map(m.find_place, ["Deir ez-Zor", "Al-Mayadeen", "Albu Kamal", "Al-Qa'im"])]
    for (x0, y0), (x1, y1) in zip(xy, xy[1:], strict=False):
        assert x1 > x0 and y1 < y0


def test_places_keep_their_cell_at_fine_resolution():
    for cell_km in (0.5, 1.0):
        m = corridor_map(cell_km)
        assert m.adjustments == ()
        for p in m.places.values():
            x, y = m.xy_km(*p.cell)
            assert math.hypot(x - p.x_km, y - p.y_km) <= cell_km * math.sqrt(2) / 2 + 1e-9, p.name


def test_coarse_cells_move_only_conflicting_places_and_say_so():
    """Albu Kamal and Al-Baghuz (2 km) or Al-Quriyah and Diban (3 km) face each other across
    the river closer than two cells: one of each pair must move, to its own bank, and the map
    says so. Everything else keeps its own cell."""
    for cell_km in (2.0, 3.0):
        m = corridor_map(cell_km)
        moved = {a.name for a in m.adjustments}
        assert 0 < len(moved) <= 3
        assert {"Albu Kamal", "Al-Mayadeen", "Deir ez-Zor", "Al-Qa'im", "Albu Kamal crossing"}.isdisjoint(moved)
        for p in m.places.values():
            x, y = m.xy_km(*p.cell)
            off = math.hypot(x - p.x_km, y - p.y_km)
            if p.name in moved:
                assert off <= 2.5 * cell_km * math.sqrt(2), p.name
            else:
                assert off <= cell_km * math.sqrt(2) / 2 + 1e-9, p.name
            if p.bank:
                assert m.bank[p.cell] == {"right": 1, "left": 2}[p.bank], p.name


@pytest.mark.parametrize("cell_km", [0.25, 0.5, 1.0, 2.0, 3.0, 5.0])
def test_river_is_4_connected_and_only_bridges_cross_it(cell_km):
    m = corridor_map(cell_km)
    water = np.isin(m.terrain, [Terrain.RIVER, Terrain.BRIDGE])
    _, n = ndimage.label(water)  # default structure: 4-connectivity
    assert n == 1
    eight = np.ones((3, 3))
    _, n_without = ndimage.label(m.land & (m.terrain != Terrain.BRIDGE), structure=eight)
    assert n_without == 2
    _, n_with = ndimage.label(m.land, structure=eight)
    assert n_with == 1


def test_find_place_by_alias_and_suggestion():
    m = corridor_map()
    for alias in ("Abu Kamal", "al-bukamal", "Albu Kamal"):
        assert m.find_place(alias).name == "Albu Kamal"
    assert m.find_place("MAYADIN").name == "Al-Mayadeen"
    assert m.find_place("Al Qaim").name == "Al-Qa'im"
    assert m.find_place("border crossing").name == "Albu Kamal crossing"
    assert m.suggest_place("Abu Kamel") == "Albu Kamal"
    with pytest.raises(KeyError, match="did you mean 'Albu Kamal'"):
        m.find_place("Abu Kamel")


def test_the_disc_of_offsets_holds_the_cells_at_exactly_its_radius_where_the_division_rounds_down():
    """The offsets within 0.3 km on 0.1 km cells: 0.3 / 0.1 = 2.999…, yet the four cells three cells away
    along a row or a column lie at 0.3 km (to 4e-17) and are within it. By hand, the lattice points with
    k² + l² ≤ 9: 7 in row 0, 5 in each of rows ±1 and ±2, 1 in rows ±3: 29 (25 if the box stopped at 2)."""
    from sim.geography.corridor_map import disc_offsets

    r, dr, dc = disc_offsets(0.3, 0.1)
    assert r == 3 and len(dr) == 29, f"expected the box to reach 3 cells and 29 offsets, found r={r}, {len(dr)}"
    assert {(3, 0), (-3, 0), (0, 3), (0, -3)} <= set(zip(dr.tolist(), dc.tolist(), strict=True))
    assert disc_offsets(0.29, 0.1)[0] == 2 and len(disc_offsets(0.29, 0.1)[1]) == 25, "below 0.3 km the box stops at 2"


def test_cells_near_and_coordinates():
    m = corridor_map()
    place = m.find_place("Al-Mayadeen")
    assert m.cells_near(place, 0).tolist() == [list(place.cell)]
    cells = m.cells_near(place, 5.0)
    d = np.hypot(cells[:, 0] - place.cell[0], cells[:, 1] - place.cell[1])
    assert (np.diff(d) >= 0).all() and d.max() <= 5.0
    assert len(cells) == pytest.approx(math.pi * 25, rel=0.1)
    rows, cols = np.mgrid[0 : m.shape[0], 0 : m.shape[1]]
    back = m.cell_of_xy(*m.xy_km(rows, cols))
    assert (back[0] == rows).all() and (back[1] == cols).all()
    x, y = m.lonlat_to_xy(place.lon, place.lat)
    assert (x, y) == pytest.approx((place.x_km, place.y_km))


def test_load_map_is_cached_and_read_only():
    assert load_map(MAP, 1.0) is load_map(str(MAP), 1)
    with pytest.raises(ValueError):
        corridor_map().terrain[0, 0] = Terrain.URBAN


def test_derived_file_matches_derivation_and_its_promises():
    m = corridor_map()
    data = json.loads(MAP.read_text(encoding="utf-8"))
    river = LineString(m.lines["river"][0][1])
    for f in data["features"]:
        p = f["properties"]
        assert {"source", "approximate"} <= p.keys(), p["name"]
        if f["geometry"]["type"] != "Point":
            continue
        place = m.places[p["name"]]
        dist, side, _, _ = line_frame(river, [place.x_km], [place.y_km])
        if p["kind"] == "bridge":
            assert dist[0] < 0.005, p["name"]
        elif p["bank"]:
            assert side[0] == (1 if p["bank"] == "right" else -1), p["name"]
            assert dist[0] >= 1.5 - 0.005, p["name"]
    script = ROOT / "docs" / "derive_map.py"
    spec = importlib.util.spec_from_file_location("derive_map", script)
    derive_map = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(derive_map)
    if not derive_map.REFERENCE.exists():
        pytest.skip(f"reference data not present: {derive_map.REFERENCE}")
    reference = json.loads(derive_map.REFERENCE.read_text(encoding="utf-8"))
    assert json.loads(json.dumps(derive_map.derive(reference))) == data


# --------------------------------------------------------------------------- broken map files


def write_map(tmp_path: Path, data) -> Path:
    path = tmp_path / "broken.geojson"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def good_map() -> dict:
    return json.loads(MAP.read_text(encoding="utf-8"))


def drop(kind: str):
    def edit(data):
        data["features"] = [f for f in data["features"] if f["properties"]["kind"] != kind]
    return edit


def unname(data):
    del data["features"][3]["properties"]["name"]


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d.update(extent=[41, 35, 40, 34]), "extent"),
        (lambda d: d.update(extent=None, bbox=[41, 35]), "bbox"),
        (drop("river"), "river"),
        (unname, re.escape("feature 3 (Point '?'): missing required property 'name'")),
        (lambda d: d["features"][0]["properties"].update(kind="briddge"),  # a misspelt kind gets a suggestion
         r"kind 'briddge' is not one of airbase, .*; did you mean 'bridge'\?"),
    ],
)
def test_broken_map_files_raise_map_error(tmp_path, edit, message):
    data = good_map()
    edit(data)
    path = write_map(tmp_path, data)
    with pytest.raises(MapError, match=message) as err:
        load_map(path, 1.0)
    assert str(err.value).startswith(str(path))


def test_not_json_and_missing_file(tmp_path):
    path = write_map(tmp_path, "{ this is not json")
    with pytest.raises(MapError, match="not a GeoJSON file") as err:
        load_map(path, 1.0)
    assert str(path) in str(err.value)
    with pytest.raises(MapError, match="not found"):
        load_map(tmp_path / "nowhere.geojson", 1.0)


def test_no_places_and_place_outside_extent(tmp_path):
    data = good_map()
    data["features"] = [f for f in data["features"] if f["geometry"]["type"] != "Point"]
    with pytest.raises(MapError, match="no places"):
        load_map(write_map(tmp_path, data), 1.0)
    data = good_map()
    data["features"][0]["geometry"]["coordinates"] = [38.28, 34.56]  # Palmyra
    with pytest.raises(MapError, match="outside the map extent"):
        load_map(write_map(tmp_path, data), 1.0)


def test_moved_places_are_said_in_one_note(tmp_path):
    """At 3 km three places move (docs/map.md): one note names them all with their distance. It is
    said by whoever accepts the map (`note_moved_places`), not by loading it: a scenario refused
    for another reason says only its errors."""
    from sim.program.errors import InputErrors
    from sim.scenario import load_scenario, parse_sets

    copy = tmp_path / "copy.geojson"
    copy.write_text(MAP.read_text(encoding="utf-8"), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = load_map(copy, 3.0)
        assert caught == [], "loading a map says nothing by itself"
        m.note_moved_places()
    notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(notes) == 1, f"expected one note for the map at 3 km, got {notes}"
    assert len(m.adjustments) >= 2, "expected the 3 km map to move at least two places"
    assert notes[0].startswith(f"copy.geojson at 3 km cells moves {len(m.adjustments)} places: ")
    for moved in m.adjustments:
        assert f"{moved.name} {moved.km:.1f} km (" in notes[0], f"expected {moved.name} and its distance in the note"
    scenario = ROOT / "scenarios" / "albu_kamal_blockade.yaml"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(InputErrors):
            load_scenario(scenario, overrides=parse_sets([f"map.file={copy}", "map.cell_km=3", "forces[0].strength=-1"]))
        assert caught == [], "a refused scenario says only its errors, no note before them"
        load_scenario(scenario, overrides=parse_sets([f"map.file={copy}", "map.cell_km=3"]))  # the map loaded above
    assert [str(w.message) for w in caught] == notes, "a scenario that loads says the note of its map"


def test_moved_places_table_gives_the_cell_the_model_uses():
    """Each row of `moved_places()` puts the place at its cell's centre, and its distance is the real
    one between the map's point and that centre (not grid steps between cells): checked by hand
    with an equirectangular distance between the row's own coordinates, and equal to the
    `MovedPlace.km` the note prints."""
    m = corridor_map(3.0)
    rows = m.moved_places()
    assert [r["name"] for r in rows] == [a.name for a in m.adjustments]
    for row in rows:
        place = m.places[row["name"]]
        lon, lat = m.projection.to_lonlat(*m.xy_km(*place.cell))
        assert (row["lon"], row["lat"]) == (round(float(lon), 6), round(float(lat), 6)), row["name"]
        assert (row["map_lon"], row["map_lat"]) == (place.lon, place.lat)
        km_per_degree = 6371.0088 * math.pi / 180  # mean Earth radius
        apart = math.hypot((row["lon"] - row["map_lon"]) * km_per_degree * math.cos(math.radians(row["map_lat"])),
                           (row["lat"] - row["map_lat"]) * km_per_degree)
        assert row["moved_km"] == pytest.approx(apart, abs=0.02), \
            f"{row['name']}: expected moved_km {apart:.2f} (map point to cell centre), got {row['moved_km']}"
    assert [r["moved_km"] for r in rows] == [round(a.km, 2) for a in m.adjustments], "the note and the table agree"
    assert corridor_map(1.0).moved_places() == [] and corridor_map(1.0).moved_places_entry() == {}
