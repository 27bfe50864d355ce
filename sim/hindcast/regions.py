"""The four regions the pattern statistics use, derived from the map.

The shipped map's region polygons (docs/derive_map.py, step 12) already tile the land by the
river and the border: ``east_bank`` is Syria left (east/north-east) of the Euphrates,
``west_bank`` Syria right of it within 10 km of the river, ``badia`` the rest of Syria right of
the river, ``anbar`` Iraq. The patterns name them after what an analyst calls them
(`PATTERN_REGIONS`): west-bank valley, Badia, east bank, Iraqi side. Any cell in Iraq (the
map's ``country``) is the Iraqi side whatever its polygon; a map region not in the table keeps
its own name. River cells (region -1) take the region of the nearest land cell, so an event
the record places on the river still falls in a region.

The scores compare regions at the record's precision (`SCORED_REGIONS`): the **valley** (both
banks, `REGION_GROUPS`), the Badia and the Iraqi side; the four regions stay in the patterns
and the charts.

What an events record can see (`Coverage`): the countries it covers (the mapping file's
``event_countries``, `sim.hindcast.mapping.Mapping`), compared with each cell's country
(`CorridorMap.country`). An event outside them is left out of the events statistics on both
sides, the record's and a run's, and a region with no cell inside them is not observed at all
(`Coverage.unseen`: its counts are NaN, so no score or distance counts them).
"""

from __future__ import annotations

import weakref

import numpy as np
from scipy.ndimage import distance_transform_edt

from sim.program.errors import UserError

#: map region → pattern region
PATTERN_REGIONS = {"west_bank": "west_bank_valley", "badia": "badia", "east_bank": "east_bank",
                   "anbar": "iraqi_side"}
REGIONS = ("west_bank_valley", "badia", "east_bank", "iraqi_side")
IRAQ = "Iraq"
#: regions made of several pattern regions, counted besides them: the valley, both banks
REGION_GROUPS = {"valley": ("west_bank_valley", "east_bank")}
#: the regions the coverage scores count, at the record's precision (the observation model,
#: docs/hindcast.md): the record cannot tell the valley's banks apart (a third of its events are
#: located only within ~25 km of a named place, UCDP `where_prec` 2, and the map's generalised
#: river line puts east-bank villages such as Al-Busayrah and Al-Baghuz on its west bank)
SCORED_REGIONS = ("valley", "badia", "iraqi_side")
#: what the reports and charts call each region
REGION_LABELS = {"west_bank_valley": "West-bank valley", "badia": "Badia (desert)", "east_bank": "East bank",
                 "iraqi_side": "Iraqi side", "valley": "Valley (both banks)", "all": "Whole map"}

_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def region_grid(corridor_map) -> tuple[np.ndarray, np.ndarray]:
    """(codes, names): `codes` (rows, cols) int indices into `names` (an object array of pattern
    region names) for every cell, river cells included. Computed once per map."""
    if corridor_map in _cache:
        return _cache[corridor_map]
    names = [PATTERN_REGIONS.get(n, n) for n in corridor_map.region_names]
    order = list(dict.fromkeys([*REGIONS, *names]))
    codes = np.array([order.index(n) for n in names], dtype=np.int16)
    region = corridor_map.region
    if (region < 0).all():
        grid = np.full(corridor_map.shape, order.index("west_bank_valley"), dtype=np.int16)
    else:
        _, (ri, ci) = distance_transform_edt(region < 0, return_indices=True)
        grid = codes[region[ri, ci]]
    if IRAQ in corridor_map.country_names:
        grid = np.where(corridor_map.country == corridor_map.country_names.index(IRAQ), order.index("iraqi_side"), grid)
    _cache[corridor_map] = (grid.astype(np.int16), np.array(order, dtype=object))
    return _cache[corridor_map]


def regions_at(corridor_map, lon, lat) -> np.ndarray:
    """The pattern region (text) at each point (arrays of degrees, WGS 84); "" outside the map's
    extent (`on_map`)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    grid, names = region_grid(corridor_map)
    on = on_map(corridor_map, lon, lat)
    out = np.full(lon.shape, "", dtype=object)
    if on.any():
        r, c = corridor_map.cell_of_xy(*corridor_map.lonlat_to_xy(lon[on], lat[on]))
        out[on] = names[grid[r, c]]
    return out


def on_map(corridor_map, lon, lat) -> np.ndarray:
    """Which points (degrees) lie inside the map's extent (west, south, east, north; edges in)."""
    west, south, east, north = corridor_map.projection.extent
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)


def countries_at(corridor_map, lon, lat) -> np.ndarray:
    """The country (text, the map's `country_names`) at each point (arrays of degrees, WGS 84);
    "" outside the map's extent (`on_map`)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    on = on_map(corridor_map, lon, lat)
    out = np.full(lon.shape, "", dtype=object)
    if on.any():
        r, c = corridor_map.cell_of_xy(*corridor_map.lonlat_to_xy(lon[on], lat[on]))
        out[on] = np.array(corridor_map.country_names, dtype=object)[corridor_map.country[r, c]]
    return out


class Coverage:
    """What an events record can see on a map: the events in its `countries` (a tuple of the
    map's country names; None: the whole map). Raises UserError for a country the map does not
    have (`where` names the setting, e.g. ``mapping.yaml:30: event_countries``)."""

    def __init__(self, corridor_map, countries: tuple[str, ...] | None = None, where: str = "event_countries"):
        unknown = [c for c in countries or () if c not in corridor_map.country_names]
        if unknown:
            raise UserError(f"{where}: unknown country '{unknown[0]}' (the map has "
                            f"{', '.join(corridor_map.country_names)})")
        self.map, self.countries = corridor_map, None if countries is None else tuple(countries)

    def sees(self, lon, lat) -> np.ndarray:
        """Which points (degrees) lie in a covered country (every point for the whole map)."""
        lon = np.asarray(lon, dtype=float)
        if self.countries is None:
            return np.ones(lon.shape, dtype=bool)
        return np.isin(countries_at(self.map, lon, lat), self.countries)

    def unseen(self) -> frozenset[str]:
        """The pattern regions and groups (`REGION_GROUPS`) with no cell in a covered country."""
        if self.countries is None:
            return frozenset()
        grid, names = region_grid(self.map)
        covered = np.isin(np.array(self.map.country_names, dtype=object)[self.map.country], self.countries)
        seen = set(names[np.unique(grid[covered])])
        out = {r for r in names if r not in seen}
        return frozenset(out | {g for g, parts in REGION_GROUPS.items() if set(parts) <= out})
