"""The corridor map: a GeoJSON file of places, lines and areas, rasterised onto a km grid.

Influence, control and movement are whole-array operations, so the model works on a raster:
one terrain class, country, region, river bank and strategic value per cell. The file format
and the rasterisation rules are described in ``docs/map.md``; this package is their only
implementation. Loaded maps are cached and their arrays are read-only, because one map
object is shared by every run that uses the same file and cell size.

What lives where (each module imports only those above it):

- ``terrain``: the Terrain codes, their labels, colours and background strategic value, and
  the map's vocabulary (place kinds, road classes, bank codes, default farmland width).
- ``projection``: the lon/lat <-> km Projection, `extend_line` and `line_frame` (distance and
  side relative to a line), and km <-> grid-cell conversion.
- ``corridor_map``: Place, MovedPlace and CorridorMap, the rasterised map object, and
  `normalise_name`.
- ``layers``: the files of a map (one file, or a folder of layer files), the coordinate
  system check (longitude/latitude only), the extent (``bbox``, ``extent`` or the features'),
  MapError.
- ``source``: reading and checking the features (MapError for every problem in them).
- ``rasterise``: turning the checked file into a CorridorMap at a cell size, and the cached
  `load_map`.
- ``gis_out``: writing per-cell layers as GeoTIFF (EPSG:4326, the grid's exact bounds) and
  points and lines as RFC 7946 GeoJSON, for QGIS and other GIS tools.

Import the public names from ``sim.geography``, not from the modules.
"""

from sim.geography.corridor_map import CorridorMap, MovedPlace, Place, normalise_name
from sim.geography.layers import MapError
from sim.geography.projection import R_EARTH_KM, Projection, extend_line, line_frame
from sim.geography.rasterise import load_map
from sim.geography.terrain import (
    BANK_CODES,
    DEFAULT_FARMLAND_KM,
    PLACE_KINDS,
    RIVER_CROSSING_KINDS,
    ROAD_CLASSES,
    TERRAIN_COLORS,
    TERRAIN_LABELS,
    TERRAIN_VALUE_PER_KM2,
    Terrain,
)

__all__ = [
    "BANK_CODES",
    "DEFAULT_FARMLAND_KM",
    "PLACE_KINDS",
    "R_EARTH_KM",
    "RIVER_CROSSING_KINDS",
    "ROAD_CLASSES",
    "TERRAIN_COLORS",
    "TERRAIN_LABELS",
    "TERRAIN_VALUE_PER_KM2",
    "CorridorMap",
    "MapError",
    "MovedPlace",
    "Place",
    "Projection",
    "Terrain",
    "extend_line",
    "line_frame",
    "load_map",
    "normalise_name",
]
