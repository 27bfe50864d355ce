"""Least-time paths: the river is crossed only on bridges, searches are cached, costs add up."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

import sim.world.routing
from sim.geography import Terrain, load_map
from sim.world.routing import PathFinder, path_length_km

# coarse cells move a few places and warn about it; that is tested once, in test_geography
pytestmark = pytest.mark.filterwarnings("ignore:euphrates_corridor.geojson:UserWarning")
MAP = Path(__file__).resolve().parents[1] / "scenarios" / "maps" / "euphrates_corridor.geojson"
# hours per km by terrain: desert, farmland, urban, road, crossing, bridge, river
SPEEDS = np.array([1 / 20, 1 / 15, 1 / 25, 1 / 60, 1 / 30, 1 / 30, np.inf])
PAIRS = [("Al-Mayadeen", "Diban"), ("Albu Kamal", "Al-Baghuz Fawqani"), ("Deir ez-Zor", "Al-Omar oil field"),
         ("Al-Asharah", "Hajin"), ("T-2 station", "Al-Shaafah"), ("Al-Qa'im", "Conoco gas plant")]  # fmt: skip


@pytest.fixture(scope="module")
def corridor_map():
    return load_map(MAP, 1.0)


@pytest.mark.parametrize("cell_km", [1.0, 2.0])
def test_every_path_across_the_river_uses_a_bridge(cell_km):
    m = load_map(MAP, cell_km)
    finder = PathFinder(m, SPEEDS)
    for a, b in PAIRS:
        origin, dest = m.find_place(a).cell, m.find_place(b).cell
        assert (m.bank[origin], m.bank[dest]) == (1, 2)
        cells = finder.path(origin, dest)
        terrain = m.terrain[cells[:, 0], cells[:, 1]]
        assert (terrain == Terrain.BRIDGE).any(), (a, b)
        assert not (terrain == Terrain.RIVER).any()
        assert tuple(cells[0]) == origin and tuple(cells[-1]) == dest
        assert (np.abs(np.diff(cells, axis=0)).max(axis=1) == 1).all()  # 8-neighbour steps


def test_no_way_across_when_bridges_are_impassable(corridor_map):
    speeds = SPEEDS.copy()
    speeds[Terrain.BRIDGE] = np.inf
    finder = PathFinder(corridor_map, speeds)
    for a, b in PAIRS:
        origin, dest = corridor_map.find_place(a).cell, corridor_map.find_place(b).cell
        assert finder.path(origin, dest) is None
        assert finder.hours(origin, dest) == np.inf
        assert not finder.reachable(origin, dest)
    # same bank stays reachable
    assert finder.reachable(corridor_map.find_place("Al-Mayadeen").cell, corridor_map.find_place("Albu Kamal").cell)


@pytest.fixture
def searches(monkeypatch) -> list:
    """Grows by one for every Dijkstra search a PathFinder runs."""
    calls = []
    real = sim.world.routing.dijkstra
    monkeypatch.setattr(sim.world.routing, "dijkstra", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def test_searches_are_cached_per_origin(corridor_map, searches):
    calls = searches
    finder = PathFinder(corridor_map, SPEEDS)
    origin = corridor_map.find_place("Al-Mayadeen").cell
    finder.path(origin, corridor_map.find_place("Albu Kamal").cell)
    finder.hours(origin, corridor_map.find_place("Hajin").cell)
    finder.reachable(origin, corridor_map.find_place("Deir ez-Zor").cell)
    assert finder.cached_origins == 1 and len(calls) == 1
    forward = finder.path(origin, corridor_map.find_place("Albu Kamal").cell)
    back = finder.path(corridor_map.find_place("Albu Kamal").cell, origin)
    assert len(calls) == 1, "costs are symmetric: the way back comes from the same search"
    assert np.array_equal(back, forward[::-1])


def test_many_origins_to_one_destination_share_one_search(corridor_map, searches):
    calls = searches
    finder = PathFinder(corridor_map, SPEEDS)
    goal = corridor_map.find_place("Albu Kamal").cell
    origins = corridor_map.cells_near(corridor_map.find_place("Al-Asharah"), 6.0)
    origins = [tuple(rc) for rc in origins if corridor_map.land[tuple(rc)]][:20]
    paths = [finder.path(o, goal) for o in origins]
    assert len(calls) <= 2, f"20 units called to one place needed {len(calls)} searches"
    for o, p in zip(origins, paths, strict=True):
        assert tuple(p[0]) == o and tuple(p[-1]) == tuple(goal)


def test_hours_add_up_along_the_path(corridor_map):
    finder = PathFinder(corridor_map, SPEEDS)
    origin, dest = corridor_map.find_place("Al-Mayadeen").cell, corridor_map.find_place("Albu Kamal crossing").cell
    cells = finder.path(origin, dest)
    per_km = SPEEDS[corridor_map.terrain[cells[:, 0], cells[:, 1]]]
    km = np.diff(path_length_km(cells, corridor_map.cell_km))
    assert finder.hours(origin, dest) == pytest.approx(float(np.sum(km * (per_km[1:] + per_km[:-1]) / 2)))
    assert finder.hop_hours(cells).sum() == pytest.approx(finder.hours(origin, dest))
    # mostly on the road: faster than walking the straight line over desert
    straight = math.dist(corridor_map.xy_km(*origin), corridor_map.xy_km(*dest))
    assert finder.hours(origin, dest) < straight * SPEEDS[Terrain.DESERT]


def test_path_length_km():
    cells = np.array([[0, 0], [0, 1], [1, 2], [1, 2]])
    assert path_length_km(cells, 2.0) == pytest.approx([0, 2, 2 + 2 * math.sqrt(2), 2 + 2 * math.sqrt(2)])


def test_forbidden_cells_and_no_corner_cutting_past_the_river(corridor_map):
    """A diagonal step between a river cell and a forbidden cell is refused; between a river
    cell and an open cell it is allowed."""
    t = corridor_map.terrain
    river = t == Terrain.RIVER
    land = corridor_map.land & (t != Terrain.BRIDGE)
    # 2×2 blocks: river at bottom-left, land elsewhere: the step top-left → bottom-right passes
    # between the river cell and the top-right cell
    block = river[1:, :-1] & land[:-1, :-1] & land[:-1, 1:] & land[1:, 1:]
    r, c = np.argwhere(block)[0]
    a, d, side = (r, c), (r + 1, c + 1), (r, c + 1)
    open_finder = PathFinder(corridor_map, SPEEDS)
    diagonal = math.sqrt(2) * corridor_map.cell_km * (SPEEDS[t[a]] + SPEEDS[t[d]]) / 2
    assert open_finder.hours(a, d) == pytest.approx(diagonal)
    forbidden = np.zeros(corridor_map.shape, dtype=bool)
    forbidden[side] = True
    assert PathFinder(corridor_map, SPEEDS, forbidden).hours(a, d) > diagonal + 1e-9
    with pytest.raises(ValueError):
        PathFinder(corridor_map, SPEEDS[:-1])


@pytest.mark.parametrize("cell_km", [0.25, 0.5, 1.0, 2.0, 3.0])
def test_each_bridge_alone_joins_the_two_banks(cell_km):
    """With every other bridge closed, a mover can still cross at each bridge: the bridge cells
    reach land of both banks by steps the path finder allows (not only diagonally)."""
    m = load_map(MAP, cell_km)
    spans, _ = ndimage.label(m.terrain == Terrain.BRIDGE)
    for p in m.places.values():
        if p.kind != "bridge":
            continue
        others = (spans > 0) & (spans != spans[p.cell])
        finder = PathFinder(m, SPEEDS, forbidden=others)
        ends = []
        for bank in (1, 2):
            cells = np.argwhere(m.bank == bank)
            ends.append(tuple(cells[np.argmin(np.hypot(*(cells - p.cell).T))]))
        assert finder.reachable(*ends), (cell_km, p.name)
        assert finder.hours(*ends) < 10 * cell_km * SPEEDS.max(where=np.isfinite(SPEEDS), initial=0)
