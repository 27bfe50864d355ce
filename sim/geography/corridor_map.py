"""The rasterised map object: a Place per named point and the CorridorMap of per-cell arrays
(with scenario-level variants such as closed river crossings)."""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from sim.geography.crossings import open_bridges
from sim.geography.projection import Projection, _cell_of_xy, _xy_of_cell
from sim.geography.terrain import RIVER_CROSSING_KINDS, TERRAIN_VALUE_PER_KM2, Terrain


def normalise_name(name: str) -> str:
    """Key for matching place names: case, spaces, hyphens, apostrophes and dots ignored."""
    return re.sub(r"[\s\-‐-―'’‘`ʼ_.]", "", name).casefold()


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


@dataclass(frozen=True)
class MovedPlace:
    """A place rasterisation had to move at a cell size (``docs/map.md``): its cell was river,
    on the other bank than the one it declares, or (a bridge or ford) taken by a place.
    `km` is the distance (km, in the map's projection) between the point the map file gives and
    the centre of the cell the model puts it on."""

    name: str
    reason: str  # "its cell is river" | "its cell is on the other bank" | "its cell is taken by a place"
    km: float
    to: str  # "the nearest cell on the right bank" | … | "the nearest river cell"

    def __str__(self) -> str:
        return f"{self.name} {self.km:.1f} km ({self.reason}; to {self.to})"


class MovedPlacesNote(UserWarning):
    """The note that a map moves places at its cell size (`CorridorMap.note_moved_places`):
    information, not an error, so a command's `--quiet` silences it."""


def moved_places_note(file_name: str, cell_km: float, moved: tuple[MovedPlace, ...]) -> str:
    """The one line that says which places a map moves at a cell size, and where to find them."""
    return (f"{file_name} at {cell_km:g} km cells moves {len(moved)} place{'s' if len(moved) > 1 else ''}: "
            + "; ".join(map(str, moved))
            + " (the outputs put them where they moved; a run folder lists them in moved_places.csv, a comparison's, "
              "uncertainty's or hindcast's in its manifest)")


def disc_offsets(radius_km: float, cell_km: float) -> tuple[int, np.ndarray, np.ndarray]:
    """(r, dr, dc): the (row, column) offsets (two (k,) int arrays, row-major order) of the cells of
    `cell_km` whose centres lie within `radius_km` (+ 1e-9 km) of a cell's centre, and r, the largest
    offset (the disc fits a (2r + 1)² box). r is taken with the same tolerance, so that the cells at
    exactly the radius are in the box where `radius_km / cell_km` rounds down (0.3 / 0.1 = 2.99…)."""
    r = int(np.floor((radius_km + 1e-9) / cell_km))
    dr, dc = np.mgrid[-r:r + 1, -r:r + 1]
    near = np.hypot(dr, dc) * cell_km <= radius_km + 1e-9
    return r, dr[near], dc[near]


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
    adjustments: tuple[MovedPlace, ...]  # the places rasterisation had to move at this cell size
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

    def cells_near(self, place: Place | tuple[int, int], radius_km: float) -> np.ndarray:
        """(k, 2) cells whose centres lie within `radius_km` of the place's cell centre (or of a
        (row, col) cell), nearest first (that cell always comes first). River cells included."""
        rows, cols = self.shape
        r0, c0 = place if isinstance(place, tuple) else place.cell
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

    def cell_of_lonlat(self, lon: float, lat: float) -> tuple[int, int] | None:
        """(row, col) of the cell containing a point (degrees, WGS 84), or None off the map."""
        x, y = self.lonlat_to_xy(lon, lat)
        width, height = self.shape[1] * self.cell_km, self.shape[0] * self.cell_km
        if not (0.0 <= float(x) < width and 0.0 <= float(y) < height):
            return None
        row, col = self.cell_of_xy(x, y)
        return int(row), int(col)

    @property
    def river_name(self) -> str:
        """The river's name as the map gives it (for legends)."""
        return self.lines["river"][0][0]

    def default_land_bridge(self) -> tuple[str, ...]:
        """The places a land bridge links when the scenario names none: the map's border
        crossings and cities in map order; if they are fewer than two, the two places of highest
        strategic value that are not bridges or fords (ties in map order)."""
        names = tuple(p.name for p in self.places.values() if p.kind in ("crossing", "city"))
        if len(names) >= 2:
            return names
        on_land = [p for p in self.places.values() if p.kind not in RIVER_CROSSING_KINDS]
        ranked = sorted(on_land, key=lambda p: -p.strategic_value)
        return tuple(p.name for p in ranked[:2])

    def moved_km(self, place: Place) -> float:
        """Distance (km, in the map's projection) between the point the map file gives `place`
        and the centre of the cell the model puts it on (0 to half a cell's diagonal when it kept
        its own cell; the `MovedPlace.km` of a moved place)."""
        x, y = self.xy_km(*place.cell)
        return float(math.hypot(x - place.x_km, y - place.y_km))

    def moved_places(self) -> list[dict]:
        """One row per place moved at this cell size (`adjustments`): name, why, how far, and where
        the map file puts it (`map_lon`, `map_lat`) against where the model does (`lon`, `lat`:
        its cell's centre). Empty when nothing moved."""
        rows = []
        for moved in self.adjustments:
            place = self.places[moved.name]
            lon, lat = self.projection.to_lonlat(*self.xy_km(*place.cell))
            rows.append({"name": place.name, "kind": place.kind, "reason": moved.reason, "moved_km": round(self.moved_km(place), 2),
                         "map_lon": place.lon, "map_lat": place.lat,
                         "lon": round(float(lon), 6), "lat": round(float(lat), 6)})
        return rows

    def note_moved_places(self) -> None:
        """Say in one note (a `MovedPlacesNote`, a UserWarning; the command line prints it as
        `note: …`, or not at all under `--quiet`) which places this map moves at its cell size, if
        any. Said by whoever accepts the map (a scenario that loaded, `run.py map`), so a scenario
        refused for another reason says only its errors; the same note is said once per process
        (Python's default warning filter)."""
        if self.adjustments:
            warnings.warn(moved_places_note(self.path.name, self.cell_km, self.adjustments), MovedPlacesNote,
                          stacklevel=3)

    def moved_places_entry(self) -> dict:
        """``{"moved_places": rows}`` for a manifest when the map moved places, else ``{}``."""
        return {"moved_places": self.moved_places()} if self.adjustments else {}

    @property
    def km2_per_cell(self) -> float:
        return self.cell_km**2

    def with_closed_crossings(self, names) -> CorridorMap:
        """A copy of the map with the named bridges/fords out of service: the river cells they
        opened become river again (impassable, bank 0, region -1; a cell another open crossing
        needs stays open). The map itself is not changed: it is cached and shared.
        Raises KeyError for an unknown place, ValueError for a place that is not a crossing."""
        shut_names = set()
        for name in names:
            place = self.find_place(name)
            if place.kind not in RIVER_CROSSING_KINDS:
                raise ValueError(f"'{place.name}' is a {place.kind}, not a bridge or ford")
            shut_names.add(place.name)
        if not shut_names:
            return self
        cols = self.shape[1]
        still = [p.cell[0] * cols + p.cell[1] for p in self.places.values()
                 if p.kind in RIVER_CROSSING_KINDS and p.name not in shut_names]
        shut = (self.terrain == Terrain.BRIDGE) & ~open_bridges(self.bank == 0, self.bank, still)
        terrain, land, region, value = (a.copy() for a in
                                        (self.terrain, self.land, self.region, self.strategic_value))
        terrain[shut], land[shut], region[shut] = Terrain.RIVER, False, -1
        per_km2 = TERRAIN_VALUE_PER_KM2[Terrain.RIVER] - TERRAIN_VALUE_PER_KM2[Terrain.BRIDGE]
        value[shut] += per_km2 * self.cell_km**2
        for a in (terrain, land, region, value):
            a.flags.writeable = False
        return dataclasses.replace(self, terrain=terrain, land=land, region=region, strategic_value=value)
