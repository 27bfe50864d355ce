"""Maps out to GIS tools: per-cell layers as GeoTIFF, and points and lines as GeoJSON.

The grid is a regular longitude/latitude grid (the projection scales longitude and latitude
linearly, ``projection.py``), so a GeoTIFF in EPSG:4326 with a plain affine transform places
every cell exactly: cell (row, col) spans longitude ``lon_min + col·Δλ`` to ``+Δλ`` and latitude
``north − row·Δφ`` to ``−Δφ``, with Δλ = cell_km / (R·cos φ0·π/180) and Δφ = cell_km /
(R·π/180). The grid covers the map's extent and up to one cell more to the east and north
(it has ceil(size/cell) cells). GeoJSON is written as RFC 7946: a FeatureCollection in
longitude/latitude, no ``crs`` member, ``bbox`` on the collection.

rasterio (GDAL) writes the GeoTIFF: QGIS, GDAL and every GIS reads what it writes, with its
CRS and band names; it is imported only when a GeoTIFF is written.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from sim.geography.projection import R_EARTH_KM

CRS = "EPSG:4326"


def grid_bounds(corridor_map) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees of the whole grid, cell edges included."""
    lon0, lat0 = corridor_map.projection.extent[:2]
    dlon, dlat = cell_degrees(corridor_map)
    rows, cols = corridor_map.shape
    return lon0, lat0, lon0 + cols * dlon, lat0 + rows * dlat


def cell_degrees(corridor_map) -> tuple[float, float]:
    """(Δλ, Δφ): a cell's width and height in degrees of longitude and latitude."""
    ext = corridor_map.projection.extent
    ky = R_EARTH_KM * math.pi / 180.0
    kx = ky * math.cos(math.radians((ext[1] + ext[3]) / 2.0))
    return corridor_map.cell_km / kx, corridor_map.cell_km / ky


def cell_lonlat(corridor_map, row, col) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of cell centres (arrays like `row`, `col`)."""
    return corridor_map.projection.to_lonlat(*corridor_map.xy_km(row, col))


def write_geotiff(path: Path, corridor_map, bands: dict[str, np.ndarray], *, nodata: float | None = None,
                  tags: dict[str, str] | None = None, band_tags: list[dict[str, str]] | None = None,
                  colormap: dict[int, str] | None = None, keep: np.ndarray | None = None) -> Path:
    """Write `bands` (name → (rows, cols) array, all one dtype) as one GeoTIFF band each, in
    order, named by their keys, georeferenced on the map's grid in EPSG:4326. Cells off the
    land (river) get `nodata` when it is given, except where `keep` (bool (rows, cols)) is
    true. `tags`: the file's metadata; `band_tags`: each band's (one dict per band);
    `colormap`: value → "#rrggbb" colour table of a one-band uint8 file (GDAL keeps a colour
    table in a one-band GeoTIFF only; ValueError for more bands). The file is written whole or
    not at all."""
    import rasterio
    from rasterio.transform import from_origin

    from sim.program.output import write_atomic

    west, _, _, north = grid_bounds(corridor_map)
    dlon, dlat = cell_degrees(corridor_map)
    stack = np.stack([np.asarray(b) for b in bands.values()])
    if colormap and len(stack) != 1:
        raise ValueError(f"{path.name}: a colour table needs a one-band GeoTIFF, not {len(stack)} bands")
    if nodata is not None:
        inside = corridor_map.land if keep is None else corridor_map.land | keep
        stack = np.where(inside[None], stack, nodata).astype(stack.dtype)

    def write(tmp: Path) -> None:
        with rasterio.open(tmp, "w", driver="GTiff", width=stack.shape[2], height=stack.shape[1],
                           count=stack.shape[0], dtype=stack.dtype, crs=CRS, nodata=nodata,
                           transform=from_origin(west, north, dlon, dlat), compress="deflate") as dst:
            dst.write(stack)
            for i, name in enumerate(bands, start=1):
                dst.set_band_description(i, name)
                if band_tags:
                    dst.update_tags(i, **band_tags[i - 1])
            dst.update_tags(**(tags or {}))
            if colormap:
                dst.write_colormap(1, {v: _rgba(c) for v, c in colormap.items()})

    return write_atomic(path, write)


def _rgba(color: str) -> tuple[int, int, int, int]:
    from matplotlib.colors import to_rgba

    return tuple(int(round(255 * v)) for v in to_rgba(color))


def write_qml(path: Path, classes: list[tuple[int, str, str]], *, band: int = 1) -> Path:
    """A QGIS layer style file (.qml) beside a GeoTIFF of category codes: a paletted renderer of
    `band` with one (value, "#rrggbb", label) entry per class. QGIS applies it when it opens
    the GeoTIFF of the same name."""
    from xml.sax.saxutils import quoteattr

    from sim.program.output import write_text_atomic

    entries = "\n".join(f'        <paletteEntry value="{v}" color="{c}" alpha="255" label={quoteattr(label)}/>'
                         for v, c, label in classes)
    return write_text_atomic(path, f"""<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0" styleCategories="Symbology">
  <pipe>
    <rasterrenderer type="paletted" band="{band}" opacity="1" alphaBand="-1" nodataColor="">
      <colorPalette>
{entries}
      </colorPalette>
    </rasterrenderer>
  </pipe>
</qgis>
""")


def feature_collection(features: list[dict], metadata: dict | None = None) -> dict:
    """An RFC 7946 FeatureCollection of `features`, with its `bbox` and, when given, the
    foreign member `metadata` (scenario, seed, code version: readers that do not know it skip it)."""
    coords = [c for f in features for c in _points(f["geometry"]["coordinates"])]
    fc: dict = {"type": "FeatureCollection"}
    if metadata:
        fc["metadata"] = metadata
    if coords:
        xy = np.asarray(coords)
        fc["bbox"] = [float(v) for v in (*xy.min(axis=0), *xy.max(axis=0))]
    fc["features"] = features
    return fc


def point(lon: float, lat: float, properties: dict) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(float(lon), 6),
                                                                            round(float(lat), 6)]},
            "properties": properties}


def line(lonlat: np.ndarray, properties: dict) -> dict:
    """A LineString through `lonlat` ((n, 2) degrees) with consecutive repeated vertices
    dropped, or a Point when fewer than two distinct vertices remain: always a valid geometry."""
    coords = [[round(float(x), 6), round(float(y), 6)] for x, y in lonlat]
    coords = [c for i, c in enumerate(coords) if i == 0 or c != coords[i - 1]]
    if len(coords) < 2:
        return point(*coords[0], properties)
    return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
            "properties": properties}


def write_geojson(path: Path, features: list[dict], metadata: dict | None = None) -> Path:
    from sim.program.output import write_text_atomic

    return write_text_atomic(path, json.dumps(feature_collection(features, metadata), ensure_ascii=False) + "\n")


def _points(coords):
    if coords and isinstance(coords[0], int | float):
        yield coords
    else:
        for c in coords:
            yield from _points(c)
