"""Checks of a scenario against its map: the map loads; places and regions exist; deployments
are on ground their kind can stand on and outside the regions their faction may not enter;
convoy routes are reachable over passable terrain, with the reason when they are not.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sim.program.errors import did_you_mean
from sim.scenario.fields import PathT
from sim.scenario.limits import MAX_PLACES
from sim.scenario.messages import one_of
from sim.scenario.report import Report
from sim.scenario.spec import RuleParams, Scenario

if typing.TYPE_CHECKING:  # pragma: no cover
    from sim.geography import CorridorMap, Place


def open_map(spec: Scenario, report: Report) -> CorridorMap | None:
    """The scenario's map rasterised at its cell size, or None with the reason reported at map.file."""
    from sim.geography import MapError, load_map

    file = Path(spec.map.file)
    try:
        corridor_map = load_map(file, spec.map.cell_km)
    except MapError as err:
        report(("map", "file"), f"cannot load the map: {err}")
    except FileNotFoundError:
        report(("map", "file"), f"cannot load the map: {file}: no such file")
    except OSError as err:
        report(("map", "file"), f"cannot load the map: {file}: {err}")
    else:
        if len(corridor_map.places) > MAX_PLACES:
            report(("map", "file"), f"the map names {len(corridor_map.places):,} places; at most {MAX_PLACES:,} "
                                    "are allowed (each is followed at every step)")
            return None
        return corridor_map.with_closed_crossings(_closed_crossings(spec, corridor_map, report))
    return None


def _closed_crossings(spec: Scenario, corridor_map: CorridorMap, report: Report) -> list[str]:
    """The canonical names of the crossings `map.closed_crossings` names; the rest reported."""
    from sim.geography import RIVER_CROSSING_KINDS

    crossings = [p.name for p in corridor_map.places.values() if p.kind in RIVER_CROSSING_KINDS]
    names: list[str] = []
    for i, name in enumerate(spec.map.closed_crossings):
        path = ("map", "closed_crossings", i)
        try:
            place = corridor_map.find_place(name)
        except KeyError:
            hint = did_you_mean(name, crossings) or one_of(crossings, "bridges or fords on the map")
            report(path, f"unknown place '{name}'{hint}")
            continue
        if place.kind not in RIVER_CROSSING_KINDS:
            hint = did_you_mean(name, crossings) or one_of(crossings, "bridges or fords on the map")
            report(path, f"'{place.name}' is a {place.kind}, not a bridge or ford, so it cannot be "
                         f"closed{hint}")
            continue
        names.append(place.name)
    return names


def _closed(corridor_map, place) -> bool:
    """Is the place a bridge or ford taken out of service (`map.closed_crossings`)?"""
    from sim.geography import RIVER_CROSSING_KINDS, Terrain

    return place.kind in RIVER_CROSSING_KINDS and int(corridor_map.terrain[tuple(place.cell)]) == int(Terrain.RIVER)


def _place(corridor_map, name: str, path: PathT, report: Report, points: bool = False) -> Place | None:
    """The map's place `name`, else None with the error reported (`points`: the key path's rule
    also accepts a name it defines under its own `points:`, which the error then says)."""
    try:
        return corridor_map.find_place(name)
    except KeyError:
        suggestion = corridor_map.suggest_place(name)
        hint = f"; did you mean '{suggestion}'?" if suggestion else ""
        if points:
            hint += " (or define it under the rule's `points:` as [lon, lat])"
        report(path, f"unknown place '{name}'{hint}")
        return None


def _is_place(corridor_map, name: str) -> bool:
    try:
        corridor_map.find_place(name)
    except KeyError:
        return False
    return True


def _region(corridor_map, name: str, path: PathT, report: Report) -> bool:
    names = list(corridor_map.region_names)
    if name in names:
        return True
    report(path, f"unknown region '{name}'{did_you_mean(name, names) or one_of(names, 'regions')}")
    return False


def standable(corridor_map, kind: str) -> np.ndarray:
    """Cells where units of a force kind can stand: land off the river; desert for insurgents."""
    from sim.geography import Terrain

    ok = np.asarray(corridor_map.land, dtype=bool) & (corridor_map.terrain != int(Terrain.RIVER))
    if kind == "insurgent":
        ok &= corridor_map.terrain == int(Terrain.DESERT)
    return ok


def check_map(spec: Scenario, rules: Sequence[tuple[str, RuleParams]], corridor_map: CorridorMap, report: Report) -> None:
    """Report every place and region the scenario names that the map lacks, every deployment on
    ground its units cannot stand on, and every convoy stop that cannot be reached.
    `rules`: (key under `rules`, validated parameters) of each rule that validated."""
    from sim.world.routing import PathFinder, forbidden_mask, hours_per_km

    deconfliction: dict[str, set[str]] = {}  # faction id → regions its enabled rules forbid
    for _, params in rules:
        for faction_id, regions in params.forbidden_regions().items():
            deconfliction.setdefault(faction_id, set()).update(regions)
    forbidden_cache: dict[str, Any] = {}

    def forbidden_of(faction_id: str):
        """Cells the faction may not enter (regions not on the map left out), None if none."""
        if faction_id not in forbidden_cache:
            known = [r for r in deconfliction.get(faction_id, ()) if r in corridor_map.region_names]
            forbidden_cache[faction_id] = forbidden_mask(corridor_map, known) if known else None
        return forbidden_cache[faction_id]

    # ---- rules: places and regions
    for key, params in rules:
        base = ("rules", key)
        takes_points = hasattr(params, "points")
        for path, name in params.place_references():
            _place(corridor_map, name, base + path, report, points=takes_points)
        for path, lonlat in params.point_references():
            name = str(path[-1])
            if not name.strip():
                report(base + path, "a point needs a name that is not empty or blank")
            elif _is_place(corridor_map, name):
                report(base + path, f"the point '{name}' has the name of a place on the map "
                       f"{corridor_map.path.name}: give the point a name of its own")
            if corridor_map.cell_of_lonlat(*lonlat) is None:
                report(base + path, f"the point {list(lonlat)} lies off the map {corridor_map.path.name}")
        for i, region in enumerate(getattr(params, "may_not_enter", None) or []):
            _region(corridor_map, region, base + ("may_not_enter", i), report)
    for i, name in enumerate(spec.observe.land_bridge or []):
        _place(corridor_map, name, ("observe", "land_bridge", i), report)
    for name, fid in spec.control.held_at_start.items():
        _place(corridor_map, name, ("control", "held_at_start", name), report)
        if fid not in spec.factions:
            report(("control", "held_at_start", name),
                   f"unknown faction '{fid}'{did_you_mean(fid, list(spec.factions)) or one_of(list(spec.factions), 'factions')}")
    for fid, fspec in spec.factions.items():
        if fspec.planner:
            for path, name in fspec.planner.places():
                _place(corridor_map, name, ("factions", fid, "planner") + path, report)
    if spec.population is not None:
        for name in spec.population.towns:
            _place(corridor_map, name, ("population", "towns", name), report)
    if spec.observe.key_place is not None:
        _place(corridor_map, spec.observe.key_place, ("observe", "key_place"), report)

    # ---- forces
    finder_cache: dict[Any, Any] = {}
    hours = hours_per_km(spec.speeds)

    def finder(faction_id: str | None):
        """The path finder of a faction's movers (None: one that ignores deconfliction lines)."""
        key = frozenset(deconfliction.get(faction_id, ())) if faction_id else frozenset()
        if key not in finder_cache:
            mask = forbidden_of(faction_id) if faction_id else None
            finder_cache[key] = PathFinder(corridor_map, hours, forbidden=mask)
        return finder_cache[key]

    forces = [(("forces", i), f) for i, f in enumerate(spec.forces)]
    forces += [(("events", i, "spawn"), e.spawn) for i, e in enumerate(spec.events) if e.spawn is not None]
    for base, force in forces:
        if force.kind == "convoy":
            _check_convoy(base, force, corridor_map, finder, forbidden_of, deconfliction, report)
        else:
            _check_deployment(base, force, corridor_map, forbidden_of, deconfliction, report)


def _check_deployment(base, force, corridor_map, forbidden_of, deconfliction, report: Report) -> None:
    deploy = force.deploy
    dp = base + ("deploy",)
    ok = standable(corridor_map, force.kind)
    ground = "desert" if force.kind == "insurgent" else "land off the river"
    forbidden = forbidden_of(force.faction)
    banned = deconfliction.get(force.faction, set())
    if deploy.region is not None:
        if not _region(corridor_map, deploy.region, dp + ("region",), report):
            return
        if deploy.region in banned:
            report(dp + ("region",),
                   f"{force.faction} may not enter the region '{deploy.region}' "
                   "(its deconfliction_line rule forbids it)")
            return
        cells = corridor_map.region_cells(deploy.region)
        if not _any_cell(ok, cells):
            report(dp + ("region",), f"the region '{deploy.region}' has no {ground} for "
                                     f"{force.kind} units to stand on")
        return
    if deploy.near is not None:
        place = _place(corridor_map, deploy.near, dp + ("near",), report)
        if place is None:
            return
        cells = corridor_map.cells_near(place, deploy.radius_km)
        if not _any_cell(ok, cells):
            report(dp + ("near",), f"there is no {ground} within {deploy.radius_km:g} km of "
                                   f"'{place.name}' for {force.kind} units to stand on; "
                                   "increase radius_km or choose another place")
            return
        if forbidden is not None and not _any_cell(ok & ~forbidden, cells):
            report(dp + ("near",), f"every cell within {deploy.radius_km:g} km of '{place.name}' lies "
                                   f"in a region {force.faction} may not enter "
                                   f"({', '.join(sorted(banned))}; deconfliction_line)")
        return
    if deploy.lonlat is not None:
        cell = corridor_map.cell_of_lonlat(*deploy.lonlat)
        if cell is None:
            report(dp + ("lonlat",), f"the point {list(deploy.lonlat)} lies off the map "
                                     f"{corridor_map.path.name}")
        elif not _any_cell(ok, corridor_map.cells_near(cell, deploy.radius_km)):
            report(dp + ("lonlat",), f"there is no {ground} within {deploy.radius_km:g} km of "
                                     f"{list(deploy.lonlat)} for {force.kind} units to stand on")
        return
    for j, name in enumerate(deploy.at or []):
        place = _place(corridor_map, name, dp + ("at", j), report)
        if place is None:
            continue
        r, c = place.cell
        if _closed(corridor_map, place):
            report(dp + ("at", j), f"'{place.name}' is closed (map.closed_crossings): "
                                   f"{force.kind} units cannot stand there")
        elif not ok[r, c]:
            report(dp + ("at", j), f"'{place.name}' is not {ground}: {force.kind} units cannot stand there")
        elif forbidden is not None and forbidden[r, c]:
            report(dp + ("at", j), f"'{place.name}' lies in a region {force.faction} may not enter "
                                   f"({', '.join(sorted(banned))}; deconfliction_line)")


def _any_cell(mask, cells) -> bool:
    cells = np.asarray(cells)
    if cells.size == 0:
        return False
    return bool(mask[cells[:, 0], cells[:, 1]].any())


def _bank(corridor_map, place) -> Any:
    """Which side of the river a place is on (the map's bank code at its cell, else its label)."""
    bank = getattr(corridor_map, "bank", None)
    if bank is not None:
        code = int(bank[tuple(place.cell)])
        if code:
            return code
    return getattr(place, "bank", None)


def _check_convoy(base, force, corridor_map, finder, forbidden_of, deconfliction, report: Report) -> None:
    start = _place(corridor_map, force.start, base + ("start",), report)
    stops = [(base + ("route", j), _place(corridor_map, name, base + ("route", j), report))
             for j, name in enumerate(force.route)]
    if force.orders.withdraw_to is not None:
        _place(corridor_map, force.orders.withdraw_to, base + ("orders", "withdraw_to"), report)
    if start is None or any(p is None for _, p in stops):
        return
    with_rules = finder(force.faction)
    forbidden = forbidden_of(force.faction)
    banned = ", ".join(sorted(deconfliction.get(force.faction, ())))
    prev_path, prev = base + ("start",), start
    if forbidden is not None and forbidden[tuple(start.cell)]:
        report(prev_path, f"'{start.name}' lies in a region {force.faction} may not enter "
                          f"({banned}; deconfliction_line)")
        return
    for path, place in stops:
        if not with_rules.reachable(tuple(prev.cell), tuple(place.cell)):
            if forbidden is not None and forbidden[tuple(place.cell)]:
                why = f"it lies in a region {force.faction} may not enter ({banned}; deconfliction_line)"
            elif forbidden is not None and finder(None).reachable(tuple(prev.cell), tuple(place.cell)):
                why = f"the only ways pass through regions {force.faction} may not enter ({banned})"
            elif _closed(corridor_map, place) or _closed(corridor_map, prev):
                shut = place if _closed(corridor_map, place) else prev
                why = f"'{shut.name}' is closed (map.closed_crossings)"
            elif _bank(corridor_map, prev) != _bank(corridor_map, place):
                closed = [p.name for p in corridor_map.places.values() if _closed(corridor_map, p)]
                why = ("the river can only be crossed at a bridge or ford"
                       + (" that is open (map.closed_crossings closes "
                          + ", ".join(closed) + ")" if closed else ""))
            else:
                why = "terrain with speed 0 cannot be entered"
            report(path, f"'{place.name}' cannot be reached from '{prev.name}' over passable terrain ({why})")
            return
        prev = place
