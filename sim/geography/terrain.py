"""Terrain codes, their labels and colours, and the map's vocabulary of feature kinds."""

from __future__ import annotations

from enum import IntEnum


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

# Background strategic value per km² of terrain (places add theirs on top, see rasterise._build).
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
# Defaults of optional feature properties (docs/map.md): a river's width, a place's worth and
# urban footprint (towns and cities are built up; facilities, crossings and bridges are not).
DEFAULT_RIVER_WIDTH_KM = 0.3
DEFAULT_STRATEGIC_VALUE = 1.0
DEFAULT_RADIUS_KM = {"city": 2.5, "town": 1.2}
