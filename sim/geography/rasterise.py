"""The corridor map: a GeoJSON file of places, lines and areas, rasterised onto a km grid.

Influence, control and movement are whole-array operations, so the model works on a raster:
one terrain class, country, region, river bank and strategic value per cell. The file format
and the rasterisation rules are described in ``docs/map.md``; this module is their only
implementation. Loaded maps are cached and their arrays are read-only, because one map
object is shared by every run that uses the same file and cell size.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import warnings
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import shapely
from scipy import ndimage
from scipy.sparse import coo_array
from scipy.sparse.csgraph import breadth_first_order, dijkstra
from shapely.geometry import LineString, shape

from sim.errors import UserError

R_EARTH_KM = 6371.0088  # mean Earth radius (IUGG)


class Terrain(IntEnum):
    DESERT = 0
    FARMLAND = 1
    URBAN = 2
    ROAD = 3
    CROSSING = 4
    BRIDGE = 5
    RIVER = 6


TERRAIN_LABELS: dict[Terrain, str] = {
    Terrain.DESERT: "desert",
    Terrain.FARMLAND: "riverbank / farmland",
    Terrain.URBAN: "urban",
    Terrain.ROAD: "road",
    Terrain.CROSSING: "border crossing",
    Terrain.BRIDGE: "bridge",
    Terrain.RIVER: "river",
}

TERRAIN_COLORS: dict[Terrain, str] = {
    Terrain.DESERT: "#ecdcb0",
    Terrain.FARMLAND: "#a9cf8a",
    Terrain.URBAN: "#8c8c8c",
    Terrain.ROAD: "#6b4f2a",
    Terrain.CROSSING: "#d62728",
    Terrain.BRIDGE: "#222222",
    Terrain.RIVER: "#3a7bd5",
}

# Background strategic value per km² of terrain (places add theirs on top, see _strategic_value).
# Per km², so that a map's total value does not depend on the cell size.
TERRAIN_VALUE_PER_KM2: dict[Terrain, float] = {
    Terrain.DESERT: 0.001,
    Terrain.FARMLAND: 0.01,
    Terrain.URBAN: 0.02,
    Terrain.ROAD: 0.01,
    Terrain.CROSSING: 0.01,
    Terrain.BRIDGE: 0.01,
    Terrain.RIVER: 0.0,
}

PLACE_KINDS = frozenset(
    {"city", "town", "crossing", "bridge", "ford", "oilfield", "gasfield", "station", "airbase", "base"}
)
RIVER_CROSSING_KINDS = frozenset({"bridge", "ford"})  # the only places that sit on the river
ROAD_CLASSES = frozenset({"road", "track"})
BANK_CODES = {"right": 1, "left": 2}
DEFAULT_FARMLAND_KM = 3.0
# The river raster is routed inside this many cells of the centreline (bounds the search).
_ROUTE_CORRIDOR_CELLS = 4
# Routing cost, per unit of strategic value + 1, of passing a place on the wrong side (see
# _route_river); far above any detour near the centreline, so it is paid only when unavoidable.
_WRONG_SIDE_COST = 1e4


class MapError(UserError):
    """A map file that cannot be used; ``str()`` is ``"FILE: message"``."""

    def __init__(self, path: str | Path, message: str):
        self.path = Path(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


@dataclass(frozen=True)
class Projection:
    """Equidistant cylindrical projection to km, origin at the extent's south-west corner.

    Over a map a few hundred km across, scaling longitude by cos(mid-latitude) keeps distances
    within about 1 % — far below the error of the source coordinates — and stays linear, so
    straight lines stay straight and areas are easy to reason about.
    """

    extent: tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max

    @property
    def _scale(self) -> tuple[float, float]:
        lat_mid = math.radians((self.extent[1] + self.extent[3]) / 2.0)
        ky = R_EARTH_KM * math.pi / 180.0
        return ky * math.cos(lat_mid), ky

    @property
    def size_km(self) -> tuple[float, float]:
        return self.to_xy(self.extent[2], self.extent[3])

    def to_xy(self, lon, lat):
        kx, ky = self._scale
        return (np.asarray(lon) - self.extent[0]) * kx, (np.asarray(lat) - self.extent[1]) * ky

    def to_lonlat(self, x, y):
        kx, ky = self._scale
        return np.asarray(x) / kx + self.extent[0], np.asarray(y) / ky + self.extent[1]

    def geometry_to_xy(self, geom):
        return shapely.transform(geom, lambda c: np.column_stack(self.to_xy(c[:, 0], c[:, 1])))

    def geometry_to_lonlat(self, geom):
        return shapely.transform(geom, lambda c: np.column_stack(self.to_lonlat(c[:, 0], c[:, 1])))


def extend_line(line: LineString, length: float) -> LineString:
    """`line` prolonged at both ends by `length` along its end segments (to reach a map edge)."""
    c = np.asarray(line.coords, dtype=float)
    head, tail = c[0] - c[1], c[-1] - c[-2]
    head *= length / np.hypot(*head)
    tail *= length / np.hypot(*tail)
    return LineString(np.vstack([c[0] + head, c, c[-1] + tail]))


def line_frame(line: LineString, x, y):
    """Distance of points from `line`, their side, the nearest point and the right-hand normal.

    Side is +1 on the right of the line's direction (the right bank when the river line runs
    downstream), -1 on the left, 0 on the line. The tangent is taken over a short chord around
    the nearest point so that points facing a vertex get a sensible normal.
    """
    p = np.column_stack([np.ravel(x), np.ravel(y)]).astype(float)
    s = shapely.line_locate_point(line, shapely.points(p))
    h = min(0.25, line.length / 100.0)
    q = shapely.get_coordinates(shapely.line_interpolate_point(line, s))
    a = shapely.get_coordinates(shapely.line_interpolate_point(line, np.clip(s - h, 0, line.length)))
    b = shapely.get_coordinates(shapely.line_interpolate_point(line, np.clip(s + h, 0, line.length)))
    t = b - a
    t /= np.hypot(t[:, 0], t[:, 1])[:, None]
    normal = np.column_stack([t[:, 1], -t[:, 0]])
    d = p - q
    side = np.sign(np.einsum("ij,ij->i", d, normal))
    return np.hypot(d[:, 0], d[:, 1]), side, q, normal


def normalise_name(name: str) -> str:
    """Key for matching place names: case, spaces, hyphens, apostrophes and dots ignored."""
    return re.sub(r"[\s\-‐-―'’‘`ʼ_.]", "", name).casefold()


def _xy_of_cell(shape, cell_km, row, col):
    return (np.asarray(col) + 0.5) * cell_km, (shape[0] - np.asarray(row) - 0.5) * cell_km


def _cell_of_xy(shape, cell_km, x_km, y_km):
    rows, cols = shape
    col = np.clip(np.floor(np.asarray(x_km) / cell_km), 0, cols - 1).astype(np.intp)
    row = rows - 1 - np.clip(np.floor(np.asarray(y_km) / cell_km), 0, rows - 1).astype(np.intp)
    return row[()], col[()]


@dataclass(frozen=True)
class Place:
    name: str
    aliases: tuple[str, ...]
    kind: str
    lon: float
    lat: float
    x_km: float
    y_km: float
    cell: tuple[int, int]  # (row, col)
    bank: str | None  # documented bank ("right"/"left"), None off the valley
    country: str
    strategic_value: float
    radius_km: float


@dataclass(eq=False)
class CorridorMap:
    path: Path
    name: str
    cell_km: float
    shape: tuple[int, int]  # (rows, cols); row 0 is the north edge, col 0 the west edge
    terrain: np.ndarray  # int8 Terrain values
    country: np.ndarray  # int8 index into country_names
    country_names: tuple[str, ...]
    region: np.ndarray  # int8 index into region_names; -1 on river cells
    region_names: tuple[str, ...]
    bank: np.ndarray  # int8: 0 river/bridge, 1 right bank, 2 left bank
    strategic_value: np.ndarray  # float32 per cell
    land: np.ndarray  # bool: every non-river cell (bridges count as land)
    places: dict[str, Place]
    lines: dict[str, list[tuple[str, np.ndarray]]]  # "river"/"road"/"border" -> [(name, xy km)]
    road_class: dict[str, str]  # road name -> "road" | "track"
    adjustments: tuple[str, ...]  # what rasterisation had to move at this cell size
    projection: Projection

    @cached_property
    def _name_index(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for place in self.places.values():
            for n in (place.name, *place.aliases):
                index[normalise_name(n)] = place.name
        return index

    def suggest_place(self, name: str) -> str | None:
        """The canonical name of the closest-spelled place, or None if nothing is close."""
        match = difflib.get_close_matches(normalise_name(name), list(self._name_index), n=1, cutoff=0.6)
        return self._name_index[match[0]] if match else None

    def find_place(self, name: str) -> Place:
        """A place by its name or an alias, ignoring case, spaces, hyphens and apostrophes."""
        key = self._name_index.get(normalise_name(name))
        if key is not None:
            return self.places[key]
        guess = self.suggest_place(name)
        hint = f"; did you mean '{guess}'?" if guess else ""
        raise KeyError(f"no place named '{name}' on map {self.path.name}{hint}")

    def cells_near(self, place: Place, radius_km: float) -> np.ndarray:
        """(k, 2) cells whose centres lie within `radius_km` of the place's cell centre,
        nearest first (the place's own cell always comes first). River cells included."""
        rows, cols = self.shape
        r0, c0 = place.cell
        k = int(radius_km // self.cell_km) + 1
        rr, cc = np.mgrid[max(r0 - k, 0) : min(r0 + k + 1, rows), max(c0 - k, 0) : min(c0 + k + 1, cols)]
        d = np.hypot(rr - r0, cc - c0).ravel() * self.cell_km
        keep = d <= radius_km + 1e-9
        rr, cc, d = rr.ravel()[keep], cc.ravel()[keep], d[keep]
        order = np.lexsort((cc, rr, d))
        return np.column_stack([rr[order], cc[order]])

    def region_cells(self, region: str) -> np.ndarray:
        if region not in self.region_names:
            hint = difflib.get_close_matches(region, self.region_names, n=1)
            raise KeyError(
                f"no region '{region}' on map {self.path.name} (regions: {', '.join(self.region_names)})"
                + (f"; did you mean '{hint[0]}'?" if hint else "")
            )
        return np.argwhere(self.region == self.region_names.index(region))

    def xy_km(self, row, col):
        """Cell centre in km (x east, y north, origin at the extent's south-west corner)."""
        return _xy_of_cell(self.shape, self.cell_km, row, col)

    def cell_of_xy(self, x_km, y_km):
        """(row, col) of the cell containing a point; points off the grid go to the edge cell."""
        return _cell_of_xy(self.shape, self.cell_km, x_km, y_km)

    def lonlat_to_xy(self, lon, lat):
        return self.projection.to_xy(lon, lat)

    @property
    def km2_per_cell(self) -> float:
        return self.cell_km**2


# --------------------------------------------------------------------------- reading the file


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


# --------------------------------------------------------------------------- rasterising


def _grid_graph(weight: np.ndarray, allowed: np.ndarray):
    """Undirected 4-neighbour graph over allowed cells; edge weight = mean of the two cells'."""
    rows, cols = weight.shape
    idx = np.arange(rows * cols).reshape(rows, cols)
    a, b, w = [], [], []
    for sa, sb in (((slice(None), slice(0, -1)), (slice(None), slice(1, None))),
                   ((slice(0, -1), slice(None)), (slice(1, None), slice(None)))):
        ok = allowed[sa] & allowed[sb]
        a.append(idx[sa][ok])
        b.append(idx[sb][ok])
        w.append((weight[sa][ok] + weight[sb][ok]) / 2.0)
    n = rows * cols
    return coo_array((np.concatenate(w), (np.concatenate(a), np.concatenate(b))), shape=(n, n)).tocsr()


def _route_river(dist, penalty, cell_km, path, stops) -> np.ndarray:
    """Cells of a 4-connected, one-cell-wide river along the centreline, through `stops`.

    A least-cost 4-neighbour path (cost grows with the square of the distance from the
    centreline) is 4-connected by construction, so no 8-neighbour move can slip diagonally
    across it at any cell size. `penalty` marks each place's cell and a ray from it away from
    the river to the map edge: the path cannot pass a place on the wrong side without crossing
    its ray, so where places on opposite banks leave no room between them (coarse cells) it
    sacrifices the one of least strategic value.
    """
    cost = 0.05 + (dist / cell_km) ** 2 + penalty
    allowed = dist <= _ROUTE_CORRIDOR_CELLS * cell_km
    allowed.flat[stops] = True
    graph = _grid_graph(cost, allowed)
    _, pred = dijkstra(graph, directed=False, indices=stops[:-1], return_predecessors=True)
    river = np.zeros(dist.size, dtype=bool)
    for k, (start, end) in enumerate(zip(stops[:-1], stops[1:], strict=True)):
        node = end
        while node != start:
            if node < 0:
                raise MapError(path, f"cannot route the river raster at {cell_km:g} km cells")
            river[node] = True
            node = pred[k, node]
        river[start] = True
    return river.reshape(dist.shape)


def _open_bridges(river: np.ndarray, bank: np.ndarray, starts: list[int]) -> np.ndarray:
    """Bridge cells: each start cell plus the river cells needed to reach both banks.

    On a straight stretch a bridge cell alone touches land of both banks by 4-neighbour steps;
    where the raster river turns a corner, or is wider than a cell, the cells straight across
    must open too. A breadth-first search through river cells from the bridge finds the fewest.
    """
    graph = _grid_graph(np.ones(river.shape), river)
    touches = []
    for b in (1, 2):
        land = np.pad(bank == b, 1)
        touches.append((land[:-2, 1:-1] | land[2:, 1:-1] | land[1:-1, :-2] | land[1:-1, 2:]).ravel())
    opened = np.zeros(river.size, dtype=bool)
    for start in starts:
        order, pred = breadth_first_order(graph, start, directed=False, return_predecessors=True)
        opened[start] = True
        for t in touches:
            hit = order[t[order]]
            node = int(hit[0]) if len(hit) else start
            while node != start:
                opened[node] = True
                node = int(pred[node])
    return opened.reshape(river.shape)


def _nearest_fill(labels: np.ndarray, known: np.ndarray) -> np.ndarray:
    """`labels` with every unknown cell given the label of the nearest known cell."""
    if known.all() or not known.any():
        return labels
    _, (ri, ci) = ndimage.distance_transform_edt(~known, return_indices=True)
    return labels[ri, ci]


def _polygon_index(polys, x, y, shape) -> tuple[np.ndarray, tuple[str, ...]]:
    names = tuple(dict.fromkeys(n for n, _ in polys))
    index = np.full(x.size, -1, dtype=np.int8)
    for name, geom in polys:
        shapely.prepare(geom)
        index[shapely.contains_xy(geom, x, y)] = names.index(name)
    index = index.reshape(shape)
    return _nearest_fill(index, index >= 0), names


def _build(path: Path, src: _Source, cell_km: float) -> CorridorMap:
    proj = src.projection
    width_km, height_km = (float(v) for v in proj.size_km)
    shape_ = (math.ceil(round(height_km / cell_km, 9)), math.ceil(round(width_km / cell_km, 9)))
    rows, cols = shape_
    n = rows * cols
    x, y = _xy_of_cell(shape_, cell_km, *np.divmod(np.arange(n), cols))

    def flat_cells(xy: np.ndarray) -> np.ndarray:
        r, c = _cell_of_xy(shape_, cell_km, xy[..., 0], xy[..., 1])
        return r * cols + c

    def flat_cell(xy) -> int:
        return int(flat_cells(np.asarray(xy, dtype=float)))

    adjustments: list[str] = []

    # --- river: centreline frame, raster route, banks
    river_name, river_line, river_width, farmland_km = src.river
    ends = [divmod(flat_cell(river_line.coords[i]), cols) for i in (0, -1)]
    if any(0 < r < rows - 1 and 0 < c < cols - 1 for r, c in ends):
        raise MapError(path, f"river '{river_name}' must run from map edge to map edge")
    frame_line = extend_line(river_line, width_km + height_km)
    dist, side, _, _ = line_frame(frame_line, x, y)
    pts = [dict(p, xy=np.array(proj.to_xy(p["lon"], p["lat"]), dtype=float)) for p in src.points]
    for p in pts:
        p["cell"] = flat_cell(p["xy"])
    crossers = [p for p in pts if p["kind"] in RIVER_CROSSING_KINDS]
    others = [p for p in pts if p["kind"] not in RIVER_CROSSING_KINDS]
    blocked = np.zeros(n, dtype=bool)
    blocked[[p["cell"] for p in others]] = True
    penalty = np.zeros(n)
    for p in others:
        cells = np.array([p["cell"]])
        want = {"right": 1, "left": -1}.get(p["bank"])
        if want:
            normal = line_frame(frame_line, p["xy"][:1], p["xy"][1:])[3][0]
            ray = LineString([p["xy"], p["xy"] + want * normal * (width_km + height_km)])
            xy = shapely.get_coordinates(shapely.segmentize(ray, cell_km / 4))
            xy = xy[(xy >= 0).all(axis=1) & (xy < [cols * cell_km, rows * cell_km]).all(axis=1)]
            ray_cells = flat_cells(xy)
            cells = np.union1d(cells, ray_cells[side[ray_cells] == want])
        penalty[cells] += _WRONG_SIDE_COST * (1 + p["strategic_value"])
    waypoints = sorted(
        {p["cell"] for p in crossers} - {p["cell"] for p in others},
        key=lambda c: shapely.line_locate_point(frame_line, shapely.Point(x[c], y[c])),
    )
    river = _route_river(
        dist.reshape(shape_), penalty.reshape(shape_), cell_km, path,
        [ends[0][0] * cols + ends[0][1], *waypoints, ends[1][0] * cols + ends[1][1]],
    )
    if river_width > cell_km:  # wider than a cell: add the cells across, kept 4-connected
        wide = river | ((dist.reshape(shape_) <= river_width / 2) & ~blocked.reshape(shape_))
        lab, _ = ndimage.label(wide)
        river = np.isin(lab, np.unique(lab[river]))

    labels, n_comp = ndimage.label(~river, structure=np.ones((3, 3)))
    right_share = ndimage.mean((side > 0).reshape(shape_), labels, index=np.arange(1, n_comp + 1))
    comp_bank = np.concatenate([[0], np.where(np.asarray(right_share) >= 0.5, 1, 2)])
    bank = comp_bank[labels].astype(np.int8)

    # --- places keep their own cell unless it is river or on the wrong bank
    for p in others:
        want = BANK_CODES.get(p["bank"])
        cell = p["cell"]
        if bank.flat[cell] == 0 or (want and bank.flat[cell] != want):
            ok = (bank == want) if want else (bank > 0)
            _, (ri, ci) = ndimage.distance_transform_edt(~ok, return_indices=True)
            new = int(ri.flat[cell]) * cols + int(ci.flat[cell])
            moved = math.hypot(x[new] - x[cell], y[new] - y[cell])
            what = "river" if bank.flat[cell] == 0 else "on the other bank"
            adjustments.append(
                f"{p['name']}: its cell is {what} at {cell_km:g} km cells; moved {moved:.1f} km to "
                f"the nearest cell {'on the ' + p['bank'] + ' bank' if want else 'of land'}"
            )
            p["cell"] = new
    river_cells = np.flatnonzero(river)
    for p in crossers:
        if not river.flat[p["cell"]]:
            d = np.hypot(x[river_cells] - p["xy"][0], y[river_cells] - p["xy"][1])
            p["cell"] = int(river_cells[np.argmin(d)])
            adjustments.append(
                f"{p['name']}: its cell is taken by a place at {cell_km:g} km cells; moved "
                f"{float(np.min(d)):.1f} km onto the nearest river cell"
            )
    bridge = _open_bridges(river, bank, [p["cell"] for p in crossers])

    # --- terrain, in order of precedence (river stays river except at bridges)
    land = ~river | bridge
    terrain = np.full(shape_, Terrain.DESERT, dtype=np.int8)
    terrain[dist.reshape(shape_) <= farmland_km] = Terrain.FARMLAND
    for _, _, geom in src.roads:
        samples = shapely.get_coordinates(shapely.segmentize(geom, cell_km / 4))
        terrain[_cell_of_xy(shape_, cell_km, samples[:, 0], samples[:, 1])] = Terrain.ROAD
    footprints = []
    for p in pts:
        cell = p["cell"]
        near = (np.hypot(x - x[cell], y - y[cell]) <= p["radius_km"]) & (bank.ravel() == bank.flat[cell])
        near[cell] = True
        footprints.append(near)
        if p["radius_km"] > 0:
            terrain.flat[near] = Terrain.URBAN
    terrain[river] = Terrain.RIVER
    terrain[bridge] = Terrain.BRIDGE
    for p in pts:
        if p["kind"] == "crossing":
            terrain.flat[p["cell"]] = Terrain.CROSSING

    # --- strategic value: terrain background per km², plus each place's value split evenly
    # over its footprint cells, so that sums over cells do not depend on the cell size
    base = np.array([TERRAIN_VALUE_PER_KM2[t] for t in Terrain]) * cell_km**2
    value = base[terrain].ravel()
    for p, near in zip(pts, footprints, strict=True):
        value[near] += p["strategic_value"] / near.sum()

    # --- country and region: polygons at cell centres, gaps filled from the nearest cell
    country, country_names = _polygon_index(src.countries, x, y, shape_)
    region, region_names = np.full(shape_, -1, dtype=np.int8), ()
    if src.regions:
        region, region_names = _polygon_index(src.regions, x, y, shape_)
        # where the raster river strays from the centreline a cell can lie in a region drawn
        # on the other side: give it the region of the nearest cell on its own bank
        stray = (bank > 0) & (bank != np.where(side > 0, 1, 2).reshape(shape_))
        for b in (1, 2):
            fill = _nearest_fill(region, (bank == b) & ~stray)
            region = np.where(stray & (bank == b), fill, region)
        region = np.where(river & ~bridge, -1, region).astype(np.int8)
        region[bridge] = _nearest_fill(region, region >= 0)[bridge]

    places = {}
    for p in pts:
        r, c = divmod(p["cell"], cols)
        places[p["name"]] = Place(
            name=p["name"], aliases=p["aliases"], kind=p["kind"], lon=p["lon"], lat=p["lat"],
            x_km=float(p["xy"][0]), y_km=float(p["xy"][1]), cell=(r, c), bank=p["bank"],
            country=p["country"] or country_names[country[r, c]],
            strategic_value=p["strategic_value"], radius_km=p["radius_km"],
        )
    lines = {"river": [(river_name, np.asarray(river_line.coords))]}
    for kind, items in (("road", [(nm, g) for nm, _, g in src.roads]), ("border", src.borders)):
        lines[kind] = [(nm, np.asarray(part.coords)) for nm, g in items for part in shapely.get_parts(g)]
    for note in adjustments:
        warnings.warn(f"{path.name}: {note}", stacklevel=4)

    arrays = {
        "terrain": terrain,
        "country": country.astype(np.int8),
        "region": region,
        "bank": np.where(river, 0, bank).astype(np.int8),
        "strategic_value": value.reshape(shape_).astype(np.float32),
        "land": land,
    }
    for a in arrays.values():
        a.flags.writeable = False
    return CorridorMap(
        path=path, name=src.name, cell_km=cell_km, shape=shape_, country_names=country_names,
        region_names=region_names, places=places, lines=lines,
        road_class={nm: cls for nm, cls, _ in src.roads}, adjustments=tuple(adjustments),
        projection=proj, **arrays,
    )


@lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int, cell_km: float) -> CorridorMap:
    return _build(path, _read(path), cell_km)


def load_map(path: str | Path, cell_km: float) -> CorridorMap:
    """The rasterised map; cached per (file, modification time, cell size). Raises MapError."""
    resolved = Path(path).resolve()
    if not (isinstance(cell_km, int | float) and math.isfinite(cell_km) and cell_km > 0):
        raise MapError(resolved, f"cell size must be a positive number of km, got {cell_km!r}")
    try:
        mtime = resolved.stat().st_mtime_ns
    except FileNotFoundError:
        raise MapError(resolved, "map file not found") from None
    return _load(resolved, mtime, float(cell_km))
