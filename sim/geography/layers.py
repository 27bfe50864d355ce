"""The files of a map and what they say about coordinates: one GeoJSON file, or a folder with
one file per layer (as QGIS exports them); the coordinate system checked (longitude/latitude
only); the extent from an RFC 7946 ``bbox``, the older ``extent`` member, or the features.

Every problem is a MapError naming the file.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path

import numpy as np

from sim.program.errors import UserError

LAYER_SUFFIXES = (".geojson", ".json")
# A `crs` member naming one of these is longitude/latitude on WGS 84 (the only CRS RFC 7946 allows).
_LONLAT_CRS = re.compile(r"CRS:?84|EPSG:+(?:\d+(?:\.\d+)*:)?4326$|^WGS ?84$", re.IGNORECASE)
REPROJECT_HINT = ("reproject it to EPSG:4326 (WGS 84 longitude/latitude), e.g. QGIS: Export > "
                  "Save Features As, CRS EPSG:4326; or ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson")


class MapError(UserError):
    """A map file that cannot be used; ``str()`` is ``"FILE: message"``."""

    def __init__(self, path: str | Path, message: str):
        self.path = Path(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


def map_files(path: Path) -> list[Path]:
    """The GeoJSON files of a map: `path` itself, or the ``*.geojson``/``*.json`` files of a
    folder in name order (one layer per file). Raises MapError if there are none."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in LAYER_SUFFIXES and p.is_file())
        if not files:
            raise MapError(path, "folder holds no .geojson or .json layer files")
        return files
    if not path.exists():
        raise MapError(path, "map file not found")
    return [path]


def content_key(path: Path) -> tuple:
    """(file name, modification time) of each file of the map: changes when any layer does."""
    return tuple((p.name, p.stat().st_mtime_ns) for p in map_files(path))


def content_sha256(path: Path) -> str:
    """SHA-256 of the map's content (of a folder: of each layer's name and bytes, in order)."""
    files = map_files(path)
    if len(files) == 1 and files[0] == path:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    for p in files:
        digest.update(p.name.encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
    return digest.hexdigest()


def read_layer(path: Path) -> dict:
    """One file as a FeatureCollection in longitude/latitude. Raises MapError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MapError(path, "map file not found") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise MapError(path, f"not a GeoJSON file (invalid JSON: {e})") from None
    except RecursionError:  # arrays inside arrays, thousands deep: no map is
        raise MapError(path, "not a GeoJSON map: its JSON is nested thousands of levels deep") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
        data.get("features"), list
    ):
        raise MapError(path, "not a GeoJSON FeatureCollection (needs type and a features list)")
    crs = data.get("crs")
    if crs is not None:
        name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
        if not (isinstance(name, str) and _LONLAT_CRS.search(name.strip())):
            raise MapError(path, f"coordinates are in {name or json.dumps(crs)}, not longitude/latitude: "
                                 + REPROJECT_HINT)
    return data


def declared_extent(path: Path, data: dict) -> tuple[float, float, float, float] | None:
    """The layer's ``extent`` (the older member) or RFC 7946 ``bbox`` (2D or 3D), or None."""
    for key in ("extent", "bbox"):
        box = data.get(key)
        if box is None:
            continue
        if (not isinstance(box, list) or len(box) not in (4, 6)
                or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                           for v in box)):
            raise MapError(path, f'invalid top-level "{key}": expected [lon_min, lat_min, lon_max, lat_max]')
        box = [float(v) for v in (box if len(box) == 4 else box[:2] + box[3:5])]
        check_lonlat(path, np.array([box[:2], box[2:]]), f'"{key}"')
        if not (box[0] < box[2] and box[1] < box[3]):
            raise MapError(path, f'"{key}" {box}: needs lon_min < lon_max and lat_min < lat_max '
                                 "(maps across the antimeridian are not supported)")
        return box[0], box[1], box[2], box[3]
    return None


def check_lonlat(path: Path, xy: np.ndarray, what: str) -> None:
    """Refuse coordinates outside longitude ±180 / latitude ±90 (a projected map in metres)."""
    if xy.size == 0:
        return
    bad = (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
    if bad.any():
        x, y = xy[np.argmax(bad)]
        raise MapError(path, f"{what} has the point ({x:g}, {y:g}), outside longitude ±180 / latitude ±90: "
                             "the map is not in longitude/latitude; " + REPROJECT_HINT)


def union_extent(boxes) -> tuple[float, float, float, float]:
    """The smallest (lon_min, lat_min, lon_max, lat_max) holding every box."""
    b = np.asarray(list(boxes), dtype=float)
    return float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 2].max()), float(b[:, 3].max())
