"""Reading a map: its GeoJSON layers checked feature by feature, sorted by kind, projected to km.

A map is one GeoJSON file or a folder of them (one layer per file, as QGIS exports); see
``docs/map.md`` for the properties each kind of feature needs and their defaults. Every problem
is a MapError naming the file and the feature.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, shape

from sim.geography.corridor_map import normalise_name
from sim.geography.layers import (
    REPROJECT_HINT,
    MapError,
    check_lonlat,
    declared_extent,
    map_files,
    read_layer,
    union_extent,
)
from sim.geography.projection import Projection, extend_line, line_frame
from sim.geography.terrain import (
    BANK_CODES,
    DEFAULT_FARMLAND_KM,
    DEFAULT_RADIUS_KM,
    DEFAULT_RIVER_WIDTH_KM,
    DEFAULT_STRATEGIC_VALUE,
    PLACE_KINDS,
    RIVER_CROSSING_KINDS,
    ROAD_CLASSES,
)
from sim.program.errors import did_you_mean

__all__ = ["MapError", "_read", "_Source"]


@dataclass
class _Source:
    """A map checked and sorted by feature kind, geometries already in km."""

    name: str
    projection: Projection
    points: list[dict]
    river: tuple[str, LineString, float, float]  # name, line, width_km, farmland_km
    roads: list[tuple[str, str, object]]  # name, class, geometry
    borders: list[tuple[str, object]]
    countries: list[tuple[str, object]]
    regions: list[tuple[str, object]]


@dataclass
class _Feature:
    file: Path
    where: str  # "feature 3 (Point 'Hajin')"
    props: dict
    geom: object  # shapely geometry in lon/lat


def _number(props: dict, key: str, where: str, path: Path, *, default=None, positive=False) -> float:
    value = props.get(key)
    if value is None:  # absent or null (QGIS writes unset attributes as null)
        value = default
    if value is None:
        raise MapError(path, f"{where}: missing required property '{key}'")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MapError(path, f"{where}: property '{key}' must be a number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise MapError(path, f"{where}: property '{key}' must be {'> 0' if positive else '>= 0'}")
    return float(value)


def _text(props: dict, key: str, where: str, path: Path, choices=None, default=None) -> str:
    value = props.get(key)
    if value is None:
        value = default
    if value is None:
        raise MapError(path, f"{where}: missing required property '{key}'")
    if not isinstance(value, str) or not value.strip():
        raise MapError(path, f"{where}: property '{key}' must be a non-empty string")
    if choices is not None and value not in choices:
        raise MapError(path, f"{where}: {key} '{value}' is not one of {', '.join(sorted(choices))}"
                             + did_you_mean(value, sorted(choices)))
    return value


def all_errors(errors: list[MapError]) -> None:
    """Raise one MapError holding every error found (one `file: message` line each), if any."""
    if errors:
        first = errors[0]
        raise MapError(first.path, "\n".join([first.message, *(str(e) for e in errors[1:])]))


def _features(files: list[Path]) -> tuple[list[_Feature], list[tuple], str | None, list[MapError]]:
    """Every readable feature of every layer, the layers' declared extents, the single file's
    name, and the problems of the rest (files that cannot be read, features that cannot be used)."""
    features, boxes, title, errors = [], [], None, []
    for path in files:
        try:
            data = read_layer(path)
            if (box := declared_extent(path, data)) is not None:
                boxes.append(box)
        except MapError as err:
            errors.append(err)
            continue
        if len(files) == 1:
            title = data.get("name") if isinstance(data.get("name"), str) else None
        for i, feature in enumerate(data["features"]):
            try:
                features.append(_feature(path, i, feature))
            except MapError as err:
                errors.append(err)
                if REPROJECT_HINT in err.message:
                    break  # a layer not in longitude/latitude: said once, not for every feature
    return features, boxes, title, errors


def _feature(path: Path, i: int, feature) -> _Feature:
    """Feature `i` of the layer `path`, checked. Raises MapError."""
    props = feature.get("properties") if isinstance(feature, dict) else None
    if not isinstance(props, dict):
        raise MapError(path, f"feature {i}: not a GeoJSON Feature with a properties object")
    try:
        geom = shape(feature["geometry"])
    except Exception as e:  # shapely raises several types for bad GeoJSON geometry
        raise MapError(path, f"feature {i}: invalid or missing geometry ({e})") from None
    if geom.is_empty:
        raise MapError(path, f"feature {i}: empty geometry")
    where = f"feature {i} ({geom.geom_type} '{props.get('name', '?')}')"
    check_lonlat(path, shapely.get_coordinates(geom), where)
    if geom.geom_type == "MultiPoint":  # QGIS writes point layers as MultiPoint
        if len(geom.geoms) != 1:
            raise MapError(path, f"{where}: a place is one point; this MultiPoint has "
                                 f"{len(geom.geoms)} (split it into one feature per place)")
        geom = geom.geoms[0]
    return _Feature(path, where, props, geom)


def _merge_river(parts: list[_Feature]) -> tuple[str, LineString, float, float]:
    """One river from its features (OSM splits rivers into ways): the parts merged into one
    LineString; parts drawn against the others are turned round (the direction of most of the
    river's length wins: draw rivers downstream); width and farmland from the first part that
    gives them."""
    first = parts[0]
    names = list(dict.fromkeys(p.props["name"] for p in parts))
    if len(names) > 1:
        raise MapError(first.file, f"river features name {len(names)} rivers ({', '.join(names)}); "
                                   "a map has one river (draw tributaries as roads or leave them out)")
    lines = [line for p in parts for line in shapely.get_parts(p.geom)]
    if len(lines) == 1:
        river = lines[0]
    else:
        river = shapely.line_merge(MultiLineString(lines), directed=True)
        if river.geom_type != "LineString":  # parts drawn both ways: most of the length wins
            river = shapely.line_merge(MultiLineString(lines))
            if river.geom_type == "LineString":
                along = sum(line.length * np.sign(river.project(shapely.Point(line.coords[-1]))
                                                  - river.project(shapely.Point(line.coords[0])))
                            for line in lines)
                river = river.reverse() if along < 0 else river
        if river.geom_type != "LineString":
            raise MapError(first.file, f"river '{names[0]}': its {len(lines)} parts do not join into one "
                                       f"line ({len(shapely.get_parts(river))} pieces after merging); "
                                       "the end of each part must be exactly the start of the next")

    def given(key, default, positive):
        for p in parts:
            if p.props.get(key) is not None:
                return _number(p.props, key, p.where, p.file, positive=positive)
        return default

    return (names[0], river, given("width_km", DEFAULT_RIVER_WIDTH_KM, True),
            given("farmland_km", DEFAULT_FARMLAND_KM, False))


def _place(f: _Feature, kind: str, name: str) -> dict:
    props, where, path = f.props, f.where, f.file
    _text({"kind": kind}, "kind", where, path, PLACE_KINDS)
    aliases = props.get("aliases")
    if isinstance(aliases, str):  # a text attribute: "A; B"
        aliases = [a.strip() for a in aliases.split(";") if a.strip()]
    aliases = [] if aliases is None else aliases
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise MapError(path, f"{where}: property 'aliases' must be a list of strings (or 'A; B')")
    bank = props.get("bank")
    if bank is not None and bank not in BANK_CODES:
        raise MapError(path, f"{where}: bank must be 'right', 'left' or null, got {bank!r}")
    country = props.get("country")
    if country is not None and not isinstance(country, str):
        raise MapError(path, f"{where}: property 'country' must be a string")
    return {
        "name": name, "aliases": tuple(aliases), "kind": kind, "lon": f.geom.x, "lat": f.geom.y,
        "bank": bank, "country": country,
        "strategic_value": _number(props, "strategic_value", where, path, default=DEFAULT_STRATEGIC_VALUE),
        "radius_km": _number(props, "radius_km", where, path, default=DEFAULT_RADIUS_KM.get(kind, 0.0)),
        "file": path, "where": where,
    }


def default_kind(f: _Feature) -> str:
    """The kind of a feature that gives none: a point is a town; a line is the river in a layer
    whose file name says river, else a road; a polygon is a region in a layer whose file name
    says region, else a country."""
    stem = f.file.stem.lower()
    if f.geom.geom_type == "Point":
        return "town"
    if f.geom.geom_type in ("LineString", "MultiLineString"):
        return "river" if "river" in stem else "road"
    return "region" if "region" in stem else "country"


def _sort(f: _Feature, proj: Projection, points, river_parts, roads, borders, countries, regions) -> None:
    """Check feature `f` and add it to the list of its kind. Raises MapError."""
    lon0, lat0, lon1, lat1 = proj.extent
    where, props, geom = f.where, f.props, f.geom
    name = _text(props, "name", where, f.file)
    kind = _text(props, "kind", where, f.file, default=default_kind(f))
    if geom.geom_type == "Point":
        if not (lon0 <= geom.x <= lon1 and lat0 <= geom.y <= lat1):
            raise MapError(f.file, f"{where}: lies outside the map extent {list(proj.extent)}")
        points.append(_place(f, kind, name))
    elif geom.geom_type in ("LineString", "MultiLineString"):
        _text({"kind": kind}, "kind", where, f.file, {"river", "road", "border"})
        if kind == "river":
            river_parts.append(f)
        elif kind == "road":
            cls = _text(props, "class", where, f.file, ROAD_CLASSES, default="road")
            roads.append((name, cls, proj.geometry_to_xy(geom)))
        else:
            borders.append((name, proj.geometry_to_xy(geom)))
    elif geom.geom_type in ("Polygon", "MultiPolygon"):
        _text({"kind": kind}, "kind", where, f.file, {"country", "region"})
        (countries if kind == "country" else regions).append((name, proj.geometry_to_xy(geom)))
    else:
        raise MapError(f.file, f"{where}: unsupported geometry type {geom.geom_type}")


def _check_banks(path: Path, river_name: str, frame_line: LineString, places: list[dict]) -> None:
    """Each place that declares a bank must lie on that side of the river line as drawn (right =
    on the right looking downstream, i.e. along the line). Raises MapError naming every place
    that does not, and saying so when most (two or more) do not: the line is then drawn upstream."""
    declared = [p for p in places if p["bank"] in ("right", "left") and p["kind"] not in RIVER_CROSSING_KINDS]
    if not declared:
        return
    xy = np.array([p["xy"] for p in declared])
    side = line_frame(frame_line, xy[:, 0], xy[:, 1])[1]
    wrong = [p for p, s in zip(declared, side, strict=True) if s != (1 if p["bank"] == "right" else -1)]
    if not wrong:
        return
    names = ", ".join(f"{p['name']} (bank: {p['bank']})" for p in wrong)
    if len(wrong) >= 2 and 2 * len(wrong) > len(declared):  # one place alone cannot tell which is wrong
        raise MapError(path, f"river '{river_name}' looks drawn upstream: {len(wrong)} of the {len(declared)} "
                             f"places that declare a bank lie on the other side of its line: {names}. The right "
                             "bank is on the right looking downstream: list the river's points from upstream "
                             "to downstream (reverse the line), or fix those places' `bank`")
    raise MapError(path, f"{len(wrong)} of the {len(declared)} places that declare a bank lie on the other side "
                         f"of river '{river_name}' as drawn (right = on the right looking downstream): {names}; "
                         "fix their `bank` or their coordinates (or, if the river is drawn upstream, reverse its line)")


def _read(path: Path) -> _Source:
    """The map at `path` (a GeoJSON file or a folder of layers), checked. Raises MapError."""
    files = map_files(path)
    features, boxes, title, errors = _features(files)
    if not features:
        all_errors(errors)
        raise MapError(path, "the map has no features")
    extent = union_extent(boxes or [f.geom.bounds for f in features])
    if not (extent[0] < extent[2] and extent[1] < extent[3]):
        all_errors([*errors, MapError(path, f"the features span no area (extent {list(extent)}); add a bbox")])
    proj = Projection(extent)
    points, river_parts, roads, borders, countries, regions = [], [], [], [], [], []
    for f in features:
        try:
            _sort(f, proj, points, river_parts, roads, borders, countries, regions)
        except MapError as err:
            errors.append(err)
    # what concerns the map as a whole, checked on the features that could be used, so that
    # one pass reports every problem of every file
    map_name = title or (path.name if path.is_dir() else path.stem)
    if not points:
        errors.append(MapError(path, "no places (Point features) in the map"))
    river = None
    if not river_parts:
        errors.append(MapError(path, "needs one river (LineString or MultiLineString features with kind 'river')"))
    else:
        try:
            river = _merge_river(river_parts)
        except MapError as err:
            errors.append(err)
    seen: dict[str, int] = {}  # normalised name or alias → index of the first place using it
    for i, p in enumerate(points):
        clashes: dict[int, list[str]] = {}  # earlier place → the names it shares with this one
        for n in dict.fromkeys((p["name"], *p["aliases"])):
            j = seen.setdefault(normalise_name(n), i)
            if j != i:
                clashes.setdefault(j, []).append(f"'{n}'")
        for j, names in clashes.items():
            errors.append(MapError(p["file"], f"{p['where']}: name or alias {', '.join(names)} is used by both "
                                              f"'{points[j]['name']}' ({points[j]['where']}) and '{p['name']}'"))
    if river is not None and points:
        river_xy = proj.geometry_to_xy(river[1])
        located = [dict(p, xy=np.array(proj.to_xy(p["lon"], p["lat"]), dtype=float)) for p in points]
        try:
            _check_banks(path, river[0], extend_line(river_xy, float(sum(proj.size_km))), located)
        except MapError as err:
            errors.append(err)
    all_errors(errors)
    river_name, _, width, farmland = river
    if not countries:  # one country: the whole map
        countries = [(map_name, shapely.box(0.0, 0.0, *proj.size_km))]
    return _Source(
        name=map_name,
        projection=proj,
        points=[{k: v for k, v in p.items() if k not in ("file", "where")} for p in points],
        river=(river_name, river_xy, width, farmland),
        roads=roads,
        borders=borders,
        countries=countries,
        regions=regions,
    )
