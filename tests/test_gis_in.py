"""Maps as GIS tools write them (docs/map.md): a folder of layers as QGIS exports them, RFC 7946
`bbox`, rivers in parts, MultiPoint places, defaults from the map, and maps that are not in
longitude/latitude refused in one line."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from sim.geography import MapError, load_map

from conftest import ROOT, SCENARIOS, run_cli

VALLEY = ROOT / "tests" / "fixtures" / "two_town_valley"
EUPHRATES = SCENARIOS / "maps" / "euphrates_corridor.geojson"
pytestmark = pytest.mark.filterwarnings("ignore:.* km cells moves .* place:UserWarning")


def validate(path):
    return run_cli("validate", str(path))


def test_two_town_valley_validates_and_runs_with_no_euphrates_name():
    from sim.model import CorridorModel
    from sim.results.recorder import key_place
    from sim.scenario import load_scenario

    names = re.compile(r"euphrates|albu kamal|mayadeen|deir ez|qa'im|syria|iraq", re.IGNORECASE)
    files = [p for p in VALLEY.rglob("*") if p.is_file()]
    assert len(files) == 4 and not [p for p in files if names.search(p.read_text(encoding="utf-8"))]
    layers = [json.loads(p.read_text()) for p in (VALLEY / "layers").iterdir()]
    assert all("bbox" in d and "extent" not in d for d in layers)
    assert len([f for d in layers for f in d["features"] if f["properties"]["kind"] == "river"]) == 2

    loaded = load_scenario(VALLEY / "valley.yaml")
    m = loaded.map
    assert m.name == "layers" and m.river_name == "Silver River" and m.country_names == ("layers",)
    river = m.lines["river"][0][1]
    assert river[0, 0] == pytest.approx(0.0) and river[-1, 0] == pytest.approx(m.projection.size_km[0])
    assert m.default_land_bridge() == ("Amberton", "Birchford")
    assert key_place(loaded.spec.observe, m).name == "Amberton"
    assert m.find_place("Birch Ford").name == "Birchford"  # aliases as a text attribute
    assert m.places["Birchford"].radius_km == 1.2  # the default for a town (null in the file)
    result = CorridorModel(loaded, 7).run()
    assert result.summary["convoys_withdrew"] == 1 or result.summary["convoys_halted"] == 1
    assert "land_bridge_valley_guard" in result.steps.columns


def test_bbox_reads_as_the_old_extent(tmp_path):
    data = json.loads(EUPHRATES.read_text(encoding="utf-8"))
    data["bbox"] = data.pop("extent")
    path = tmp_path / "corridor.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    a, b = load_map(EUPHRATES, 2.0), load_map(path, 2.0)
    assert a.shape == b.shape and np.array_equal(a.terrain, b.terrain)


def test_river_parts_in_any_order_and_direction_merge_downstream(tmp_path):
    layers = tmp_path / "layers"
    layers.mkdir()
    for p in (VALLEY / "layers").iterdir():
        data = json.loads(p.read_text())
        if p.stem == "river":  # second part first; the (shorter) first part drawn upstream
            first, second = data["features"]
            first["geometry"]["coordinates"] = [c[::-1] for c in first["geometry"]["coordinates"]]
            data["features"] = [second, first]
        (layers / p.name).write_text(json.dumps(data))
    original, shuffled = load_map(VALLEY / "layers", 1.0), load_map(layers, 1.0)
    assert np.allclose(original.lines["river"][0][1], shuffled.lines["river"][0][1])
    assert np.array_equal(original.bank, shuffled.bank)


def edit_layer(tmp_path, stem, edit):
    layers = tmp_path / "layers"
    layers.mkdir(exist_ok=True)
    for p in (VALLEY / "layers").iterdir():
        data = json.loads(p.read_text())
        if p.stem == stem:
            edit(data)
        (layers / p.name).write_text(json.dumps(data))
    return layers


def gap_in_river(d):
    d["features"][1]["geometry"]["coordinates"][0][0] = [20.141, 40.085]


def two_points(d):
    d["features"][0]["geometry"]["coordinates"].append([20.2, 40.1])


@pytest.mark.parametrize("stem, edit, message", [
    ("river", gap_in_river, "2 parts do not join into one line"),
    ("river", lambda d: d["features"][1]["properties"].update(name="Other River"), "name 2 rivers"),
    ("places", two_points, "this MultiPoint has 2"),
])
def test_layers_that_cannot_be_used(tmp_path, stem, edit, message):
    with pytest.raises(MapError, match=message):
        load_map(edit_layer(tmp_path, stem, edit), 1.0)


def to_metres(data):
    """The layer as QGIS writes it in EPSG:3857 (web Mercator metres)."""
    def project(c):
        if isinstance(c[0], int | float):
            x = np.radians(c[0]) * 6378137.0
            return [x, np.log(np.tan(np.pi / 4 + np.radians(c[1]) / 2)) * 6378137.0]
        return [project(v) for v in c]
    for f in data["features"]:
        f["geometry"]["coordinates"] = project(f["geometry"]["coordinates"])
    data["bbox"] = None


@pytest.mark.parametrize("crs, needle", [
    ({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}, "coordinates are in urn:ogc:def:crs:EPSG::3857"),
    (None, "outside longitude ±180 / latitude ±90"),  # metres with the crs member left out
])
def test_projected_maps_are_refused_in_one_line(tmp_path, crs, needle):
    def edit(d):
        to_metres(d)
        d["crs"] = crs
    layers = edit_layer(tmp_path, "roads", edit)
    scenario = tmp_path / "valley.yaml"
    scenario.write_text((VALLEY / "valley.yaml").read_text())
    proc = validate(scenario)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines() + proc.stdout.strip().splitlines()
    assert len([x for x in lines if x.strip()]) == 1, lines
    assert needle in lines[0] and "reproject it to EPSG:4326" in lines[0]
    assert str(layers / "roads.geojson") in lines[0] and "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326"])
def test_lonlat_crs_members_are_accepted(tmp_path, name):
    layers = edit_layer(tmp_path, "roads", lambda d: d.update(crs={"type": "name", "properties": {"name": name}}))
    assert load_map(layers, 1.0).river_name == "Silver River"


@pytest.mark.parametrize("edit, needle", [
    (lambda d: d.update(crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32637"}}),
     "coordinates are in urn:ogc:def:crs:EPSG::32637"),  # UTM zone 37N
    (lambda d: d.update(extent=[603_000.0, 3_800_000.0, 760_000.0, 3_940_000.0]), '"extent" has the point'),
    (lambda d: d.update(extent=None, bbox=[4_450_000.0, 4_080_000.0, 4_630_000.0, 4_250_000.0]), '"bbox" has the point'),
])
def test_other_projected_forms_are_refused(tmp_path, edit, needle):
    data = json.loads(EUPHRATES.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "projected.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(MapError, match="reproject it to EPSG:4326") as err:
        load_map(path, 1.0)
    assert needle in str(err.value) and str(err.value).startswith(str(path))


def reversed_river(d):
    """The whole river drawn the other way: each part's points reversed, the parts swapped."""
    for f in d["features"]:
        f["geometry"]["coordinates"] = [c[::-1] for c in f["geometry"]["coordinates"]]
    d["features"] = d["features"][::-1]


def test_a_river_drawn_upstream_is_an_error_naming_the_places(tmp_path):
    layers = edit_layer(tmp_path, "river", reversed_river)
    with pytest.raises(MapError, match=r"river 'Silver River' looks drawn upstream: 2 of the 2 places") as err:
        load_map(layers, 0.5)
    assert "Amberton (bank: left)" in str(err.value) and "Birchford (bank: right)" in str(err.value)
    assert "reverse the line" in str(err.value)
    done = validate(ROOT / "tests" / "fixtures" / "two_town_valley" / "valley.yaml")
    assert done.returncode == 0, "premise: the valley as drawn is consistent"


def test_a_place_on_the_other_side_of_its_declared_bank_is_named(tmp_path):
    def birchford_left(d):
        next(f for f in d["features"] if f["properties"]["name"] == "Birchford")["properties"]["bank"] = "left"

    layers = edit_layer(tmp_path, "places", birchford_left)
    with pytest.raises(MapError, match=r"1 of the 2 places that declare a bank lie on the other side of river "
                                       r"'Silver River' as drawn .*: Birchford \(bank: left\)"):
        load_map(layers, 0.5)


def test_kinds_default_and_every_problem_of_a_folder_is_reported_at_once(tmp_path):
    def no_kinds(d):
        for f in d["features"]:
            f["properties"].pop("kind", None)

    layers = tmp_path / "layers"
    layers.mkdir()
    for path in (VALLEY / "layers").iterdir():
        data = json.loads(path.read_text())
        no_kinds(data)
        (layers / path.name).write_text(json.dumps(data))
    m = load_map(layers, 0.5)
    assert {p.kind for p in m.places.values()} == {"town"}, "a point without a kind is a town (the bridge too)"
    assert len(m.lines["road"]) >= 1 and m.lines["river"][0][0] == "Silver River", \
        "lines without a kind: the river from river.geojson, roads from roads.geojson"

    def two_bad_places(d):
        d["features"][0]["properties"]["strategic_value"] = "high"
        d["features"][1]["properties"]["bank"] = "north"

    for stem, edit in (("places", two_bad_places),
                       ("roads", lambda d: d["features"][0]["properties"].update({"class": "motorway"}))):
        data = json.loads((layers / f"{stem}.geojson").read_text())
        edit(data)
        (layers / f"{stem}.geojson").write_text(json.dumps(data))
    with pytest.raises(MapError) as err:
        load_map(layers, 0.5)
    lines = str(err.value).splitlines()
    assert len(lines) == 3, f"expected the three problems of two files in one error: {lines}"
    assert "places.geojson: feature 0" in lines[0] and "'strategic_value' must be a number" in lines[0]
    assert "places.geojson: feature 1" in lines[1] and "bank must be" in lines[1]
    assert "roads.geojson: feature 0" in lines[2] and "class 'motorway'" in lines[2]


def test_problems_of_features_and_of_the_whole_map_come_in_one_pass(tmp_path):
    """A bad strategic value (a place's feature), a bad road class (roads.geojson), a name used by
    two places and a place on the other side of its declared bank (the map as a whole) are reported
    by one load, one line each, instead of one per attempt. Amberton, refused for its value, is
    left out of the bank check: Birchford alone on the wrong side is named, not called a river
    drawn upstream (one place cannot tell which is wrong)."""
    layers = edit_layer(tmp_path, "roads", lambda d: d["features"][0]["properties"].update({"class": "motorway"}))

    def twice_and_wrong_bank(d):
        amberton = next(f for f in d["features"] if f["properties"]["name"] == "Amberton")
        amberton["properties"]["strategic_value"] = "high"
        birchford = next(f for f in d["features"] if f["properties"]["name"] == "Birchford")
        birchford["properties"]["bank"] = "left"
        twin = json.loads(json.dumps(birchford))
        twin["properties"]["bank"] = None
        d["features"].append(twin)

    path = layers / "places.geojson"
    data = json.loads(path.read_text())
    twice_and_wrong_bank(data)
    path.write_text(json.dumps(data))
    with pytest.raises(MapError) as err:
        load_map(layers, 0.5)
    lines = str(err.value).splitlines()
    assert len(lines) == 4, f"expected four problems in one error: {lines}"
    assert "places.geojson" in lines[0] and "'Amberton'" in lines[0] and "'strategic_value' must be a number" in lines[0]
    assert "roads.geojson" in lines[1] and "class 'motorway'" in lines[1], lines[1]
    assert "places.geojson: feature 3" in lines[2] and \
        "'Birchford', 'Birch Ford', 'Birchforde' is used by both 'Birchford' (feature 1" in lines[2], lines[2]
    assert "1 of the 1 places that declare a bank lie on the other side of river 'Silver River'" in lines[3] \
        and "Birchford (bank: left)" in lines[3] and "looks drawn upstream" not in lines[3], lines[3]


def test_every_unusable_feature_of_every_layer_is_reported_in_one_error(tmp_path):
    """A feature the reader cannot use at all (no properties object, a geometry shapely cannot
    read) is reported and the reading goes on: one such feature in places.geojson and one in
    roads.geojson give one MapError naming both, not the first alone."""
    def no_properties(d):
        d["features"][0]["properties"] = None

    layers = edit_layer(tmp_path, "places", no_properties)
    path = layers / "roads.geojson"
    data = json.loads(path.read_text())
    data["features"][0]["geometry"] = {"type": "LineString"}  # no coordinates
    path.write_text(json.dumps(data))
    with pytest.raises(MapError) as err:
        load_map(layers, 0.5)
    lines = str(err.value).splitlines()
    assert any("places.geojson: feature 0: not a GeoJSON Feature with a properties object" in line for line in lines), lines
    assert any("roads.geojson: feature 0: invalid or missing geometry" in line for line in lines), (
        f"the second layer's unusable feature should be reported with the first's: {lines}")
