"""Reading a map file: the GeoJSON checked feature by feature, sorted by kind, projected to km.

Every problem with the file is a MapError naming the file and the feature.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from shapely.geometry import LineString, shape

from sim.errors import UserError
from sim.geography.corridor_map import normalise_name
from sim.geography.projection import Projection
from sim.geography.terrain import BANK_CODES, DEFAULT_FARMLAND_KM, PLACE_KINDS, ROAD_CLASSES


class MapError(UserError):
    """A map file that cannot be used; ``str()`` is ``"FILE: message"``."""

    def __init__(self, path: str | Path, message: str):
        self.path = Path(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


@dataclass
class _Source:
    """A map file checked and sorted by feature kind, geometries already in km."""

    name: str
    projection: Projection
    points: list[dict]
    river: tuple[str, LineString, float, float]  # name, line, width_km, farmland_km
    roads: list[tuple[str, str, object]]  # name, class, geometry
    borders: list[tuple[str, object]]
    countries: list[tuple[str, object]]
    regions: list[tuple[str, object]]


def _number(props: dict, key: str, where: str, path: Path, *, default=None, positive=False) -> float:
    value = props.get(key, default)
    if value is None:
        raise MapError(path, f"{where}: missing required property '{key}'")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MapError(path, f"{where}: property '{key}' must be a number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise MapError(path, f"{where}: property '{key}' must be {'> 0' if positive else '>= 0'}")
    return float(value)


def _text(props: dict, key: str, where: str, path: Path, choices=None) -> str:
    value = props.get(key)
    if value is None:
        raise MapError(path, f"{where}: missing required property '{key}'")
    if not isinstance(value, str) or not value.strip():
        raise MapError(path, f"{where}: property '{key}' must be a non-empty string")
    if choices is not None and value not in choices:
        raise MapError(path, f"{where}: {key} '{value}' is not one of {', '.join(sorted(choices))}")
    return value


def _read(path: Path) -> _Source:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MapError(path, "map file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise MapError(path, f"not a GeoJSON file (invalid JSON: {e})") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
        data.get("features"), list
    ):
        raise MapError(path, "not a GeoJSON FeatureCollection (needs type and a features list)")
    extent = data.get("extent")
    if (
        not isinstance(extent, list)
        or len(extent) != 4
        or not all(isinstance(v, int | float) for v in extent)
        or not (extent[0] < extent[2] and extent[1] < extent[3])
    ):
        raise MapError(path, 'missing or invalid top-level "extent": [lon_min, lat_min, lon_max, lat_max]')
    proj = Projection(tuple(float(v) for v in extent))
    lon0, lat0, lon1, lat1 = proj.extent
    points, rivers, roads, borders, countries, regions = [], [], [], [], [], []
    for i, feature in enumerate(data["features"]):
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
        name = _text(props, "name", where, path)
        kind = _text(props, "kind", where, path)
        if geom.geom_type == "Point":
            _text(props, "kind", where, path, PLACE_KINDS)
            if not (lon0 <= geom.x <= lon1 and lat0 <= geom.y <= lat1):
                raise MapError(path, f"{where}: lies outside the map extent {list(proj.extent)}")
            aliases = props.get("aliases", [])
            if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                raise MapError(path, f"{where}: property 'aliases' must be a list of strings")
            bank = props.get("bank")
            if bank is not None and bank not in BANK_CODES:
                raise MapError(path, f"{where}: bank must be 'right', 'left' or null, got {bank!r}")
            country = props.get("country")
            if country is not None and not isinstance(country, str):
                raise MapError(path, f"{where}: property 'country' must be a string")
            points.append(
                {
                    "name": name,
                    "aliases": tuple(aliases),
                    "kind": kind,
                    "lon": geom.x,
                    "lat": geom.y,
                    "bank": bank,
                    "country": country,
                    "strategic_value": _number(props, "strategic_value", where, path),
                    "radius_km": _number(props, "radius_km", where, path),
                }
            )
        elif geom.geom_type in ("LineString", "MultiLineString"):
            _text(props, "kind", where, path, {"river", "road", "border"})
            xy = proj.geometry_to_xy(geom)
            if kind == "river":
                if geom.geom_type != "LineString":
                    raise MapError(path, f"{where}: a river must be one LineString, drawn downstream")
                width = _number(props, "width_km", where, path, positive=True)
                farmland = _number(props, "farmland_km", where, path, default=DEFAULT_FARMLAND_KM)
                rivers.append((name, xy, width, farmland))
            elif kind == "road":
                roads.append((name, _text(props, "class", where, path, ROAD_CLASSES), xy))
            else:
                borders.append((name, xy))
        elif geom.geom_type in ("Polygon", "MultiPolygon"):
            _text(props, "kind", where, path, {"country", "region"})
            (countries if kind == "country" else regions).append((name, proj.geometry_to_xy(geom)))
        else:
            raise MapError(path, f"{where}: unsupported geometry type {geom.geom_type}")
    if not points:
        raise MapError(path, "no places (Point features) in the map")
    if len(rivers) != 1:
        raise MapError(path, f"needs exactly one river LineString (kind 'river'), found {len(rivers)}")
    if not countries:
        raise MapError(path, "no country polygon (Polygon feature with kind 'country')")
    seen: dict[str, str] = {}
    for p in points:
        for n in (p["name"], *p["aliases"]):
            other = seen.setdefault(normalise_name(n), p["name"])
            if other != p["name"]:
                raise MapError(path, f"name or alias '{n}' is used by both '{other}' and '{p['name']}'")
    return _Source(
        name=data.get("name") or path.stem,
        projection=proj,
        points=points,
        river=rivers[0],
        roads=roads,
        borders=borders,
        countries=countries,
        regions=regions,
    )
