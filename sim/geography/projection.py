"""From lon/lat to km and back, distances and sides relative to a line, and km to grid cells."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString

R_EARTH_KM = 6371.0088  # mean Earth radius (IUGG)


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


def _xy_of_cell(shape, cell_km, row, col):
    return (np.asarray(col) + 0.5) * cell_km, (shape[0] - np.asarray(row) - 0.5) * cell_km


def _cell_of_xy(shape, cell_km, x_km, y_km):
    rows, cols = shape
    col = np.clip(np.floor(np.asarray(x_km) / cell_km), 0, cols - 1).astype(np.intp)
    row = rows - 1 - np.clip(np.floor(np.asarray(y_km) / cell_km), 0, rows - 1).astype(np.intp)
    return row[()], col[()]
