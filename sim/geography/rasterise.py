"""Rasterising a map file onto a km grid, and the cached `load_map`.

The river is routed as a 4-connected one-cell-wide raster through its bridges and fords,
the banks are split on either side of it, places keep their cells (or move when the cell size
leaves no room: one warning lists them all), then terrain, strategic value, country and region
are laid down cell by cell. The rules are described in ``docs/map.md``.
"""

from __future__ import annotations

import math
import stat
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from scipy import ndimage
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString

from sim.geography.corridor_map import CorridorMap, MovedPlace, Place
from sim.geography.crossings import grid_graph, open_bridges
from sim.geography.layers import MapError, content_key, map_files
from sim.geography.projection import _cell_of_xy, _xy_of_cell, extend_line, line_frame
from sim.geography.source import _read, _Source
from sim.geography.terrain import BANK_CODES, RIVER_CROSSING_KINDS, TERRAIN_VALUE_PER_KM2, Terrain

# The river raster is routed inside this many cells of the centreline (bounds the search).
MAX_CELLS = 2_000_000  # cells of a rasterised map (the shipped map at 0.25 km has 389,000)
MAX_MAP_BYTES = 50_000_000  # a GeoJSON map file (the shipped one is 37 kB)
_ROUTE_CORRIDOR_CELLS = 4
# Routing cost, per unit of strategic value + 1, of passing a place on the wrong side (see
# _route_river); far above any detour near the centreline, so it is paid only when unavoidable.
_WRONG_SIDE_COST = 1e4


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
    graph = grid_graph(cost, allowed)
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
    cells = (height_km / cell_km) * (width_km / cell_km)  # before any array is made
    if not cells <= MAX_CELLS:
        raise MapError(path, f"{width_km:,.0f} × {height_km:,.0f} km in {cell_km:g} km cells is {cells:,.0f} cells; "
                             f"at most {MAX_CELLS:,} are allowed (use a larger map.cell_km or a smaller extent)")
    shape_ = (math.ceil(round(height_km / cell_km, 9)), math.ceil(round(width_km / cell_km, 9)))
    rows, cols = shape_
    n = rows * cols
    x, y = _xy_of_cell(shape_, cell_km, *np.divmod(np.arange(n), cols))

    def flat_cells(xy: np.ndarray) -> np.ndarray:
        r, c = _cell_of_xy(shape_, cell_km, xy[..., 0], xy[..., 1])
        return r * cols + c

    def flat_cell(xy) -> int:
        return int(flat_cells(np.asarray(xy, dtype=float)))

    adjustments: list[MovedPlace] = []

    # --- river: centreline frame, raster route, banks
    river_name, river_line, river_width, farmland_km = src.river
    ends = [divmod(flat_cell(river_line.coords[i]), cols) for i in (0, -1)]
    if any(0 < r < rows - 1 and 0 < c < cols - 1 for r, c in ends):
        raise MapError(path, f"river '{river_name}' must run from map edge to map edge (its first and "
                             "last points in the edge cells of the map's bbox or extent)")
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
            moved = math.hypot(x[new] - p["xy"][0], y[new] - p["xy"][1])  # map point to cell centre
            what = "river" if bank.flat[cell] == 0 else "on the other bank"
            adjustments.append(MovedPlace(p["name"], f"its cell is {what}", moved,
                                          f"the nearest cell {'on the ' + p['bank'] + ' bank' if want else 'of land'}"))
            p["cell"] = new
    river_cells = np.flatnonzero(river)
    for p in crossers:
        if not river.flat[p["cell"]]:
            d = np.hypot(x[river_cells] - p["xy"][0], y[river_cells] - p["xy"][1])
            p["cell"] = int(river_cells[np.argmin(d)])  # d: map point to cell centre, as above
            adjustments.append(MovedPlace(p["name"], "its cell is taken by a place", float(d.min()),
                                          "the nearest river cell"))
    bridge = open_bridges(river, bank, [p["cell"] for p in crossers])

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
def _load(path: Path, content: tuple, cell_km: float) -> CorridorMap:
    return _build(path, _read(path), cell_km)


def load_map(path: str | Path, cell_km: float) -> CorridorMap:
    """The rasterised map of a GeoJSON file or a folder of layer files (``docs/map.md``);
    cached per (path, each file's modification time, cell size). Raises MapError."""
    resolved = Path(path).resolve()
    if not (isinstance(cell_km, int | float) and math.isfinite(cell_km) and cell_km > 0):
        raise MapError(resolved, f"cell size must be a positive number of km, got {cell_km!r}")
    try:
        files = map_files(resolved)
    except FileNotFoundError:
        raise MapError(resolved, "map file not found") from None
    for file in files:  # the map file, or each layer file of a folder
        info = file.stat()
        if not stat.S_ISREG(info.st_mode):
            raise MapError(file, "not a regular file (a folder, device, FIFO or socket); give a GeoJSON file")
        if info.st_size > MAX_MAP_BYTES:
            raise MapError(file, f"the file is {info.st_size:,} bytes; at most {MAX_MAP_BYTES:,} are read "
                                 "(the limit for map files)")
    return _load(resolved, content_key(resolved), float(cell_km))
