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

from sim.errors import did_you_mean
from sim.scenario.fields import PathT
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
        cmap = load_map(file, spec.map.cell_km)
    except MapError as err:
        report(("map", "file"), f"cannot load the map: {err}")
    except FileNotFoundError:
        report(("map", "file"), f"cannot load the map: {file}: no such file")
    except OSError as err:
        report(("map", "file"), f"cannot load the map: {file}: {err}")
    else:
        return cmap.with_closed_crossings(_closed_crossings(spec, cmap, report))
    return None


def _closed_crossings(spec: Scenario, cmap: CorridorMap, report: Report) -> list[str]:
    """The canonical names of the crossings `map.closed_crossings` names; the rest reported."""
    from sim.geography import RIVER_CROSSING_KINDS

    crossings = [p.name for p in cmap.places.values() if p.kind in RIVER_CROSSING_KINDS]
    names: list[str] = []
    for i, name in enumerate(spec.map.closed_crossings):
        path = ("map", "closed_crossings", i)
        try:
            place = cmap.find_place(name)
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


def _closed(cmap, place) -> bool:
    """Is the place a bridge or ford taken out of service (`map.closed_crossings`)?"""
    from sim.geography import RIVER_CROSSING_KINDS, Terrain

    return place.kind in RIVER_CROSSING_KINDS and int(cmap.terrain[tuple(place.cell)]) == int(Terrain.RIVER)


def _place(cmap, name: str, path: PathT, report: Report) -> Place | None:
    try:
        return cmap.find_place(name)
    except KeyError:
        suggestion = cmap.suggest_place(name)
        hint = f"; did you mean '{suggestion}'?" if suggestion else ""
        report(path, f"unknown place '{name}'{hint}")
        return None


def _region(cmap, name: str, path: PathT, report: Report) -> bool:
    names = list(cmap.region_names)
    if name in names:
        return True
    report(path, f"unknown region '{name}'{did_you_mean(name, names) or one_of(names, 'regions')}")
    return False


def standable(cmap, kind: str) -> np.ndarray:
    """Cells where units of a force kind can stand: land off the river; desert for insurgents."""
    from sim.geography import Terrain

    ok = np.asarray(cmap.land, dtype=bool) & (cmap.terrain != int(Terrain.RIVER))
    if kind == "insurgent":
        ok &= cmap.terrain == int(Terrain.DESERT)
    return ok


def check_map(spec: Scenario, rules: Sequence[tuple[str, RuleParams]], cmap: CorridorMap, report: Report) -> None:
    """Report every place and region the scenario names that the map lacks, every deployment on
    ground its units cannot stand on, and every convoy stop that cannot be reached.
    `rules`: (key under `rules`, validated parameters) of each rule that validated."""
    from sim.paths import PathFinder, forbidden_mask, hours_per_km

    deconfliction: dict[str, set[str]] = {}  # faction id → regions its enabled rules forbid
    for _, params in rules:
        for faction_id, regions in params.forbidden_regions().items():
            deconfliction.setdefault(faction_id, set()).update(regions)
    forbidden_cache: dict[str, Any] = {}

    def forbidden_of(faction_id: str):
        """Cells the faction may not enter (regions not on the map left out), None if none."""
        if faction_id not in forbidden_cache:
            known = [r for r in deconfliction.get(faction_id, ()) if r in cmap.region_names]
            forbidden_cache[faction_id] = forbidden_mask(cmap, known) if known else None
        return forbidden_cache[faction_id]

    # ---- rules: places and regions
    for key, params in rules:
        base = ("rules", key)
        at = getattr(params, "at", None)
        if isinstance(at, str):
            _place(cmap, at, base + ("at",), report)
        elif isinstance(at, list):
            for i, name in enumerate(at):
                _place(cmap, name, base + ("at", i), report)
        for i, region in enumerate(getattr(params, "may_not_enter", None) or []):
            _region(cmap, region, base + ("may_not_enter", i), report)
    for i, name in enumerate(spec.observe.land_bridge):
        _place(cmap, name, ("observe", "land_bridge", i), report)

    # ---- forces
    finder_cache: dict[Any, Any] = {}
    hours = hours_per_km(spec.speeds)

    def finder(faction_id: str | None):
        """The path finder of a faction's movers (None: one that ignores deconfliction lines)."""
        key = frozenset(deconfliction.get(faction_id, ())) if faction_id else frozenset()
        if key not in finder_cache:
            mask = forbidden_of(faction_id) if faction_id else None
            finder_cache[key] = PathFinder(cmap, hours, forbidden=mask)
        return finder_cache[key]

    forces = [(("forces", i), f) for i, f in enumerate(spec.forces)]
    forces += [(("events", i, "spawn"), e.spawn) for i, e in enumerate(spec.events) if e.spawn is not None]
    for base, force in forces:
        if force.kind == "convoy":
            _check_convoy(base, force, cmap, finder, forbidden_of, deconfliction, report)
        else:
            _check_deployment(base, force, cmap, forbidden_of, deconfliction, report)


def _check_deployment(base, force, cmap, forbidden_of, deconfliction, report: Report) -> None:
    deploy = force.deploy
    dp = base + ("deploy",)
    ok = standable(cmap, force.kind)
    ground = "desert" if force.kind == "insurgent" else "land off the river"
    forbidden = forbidden_of(force.faction)
    banned = deconfliction.get(force.faction, set())
    if deploy.region is not None:
        if not _region(cmap, deploy.region, dp + ("region",), report):
            return
        if deploy.region in banned:
            report(dp + ("region",),
                   f"{force.faction} may not enter the region '{deploy.region}' "
                   "(its deconfliction_line rule forbids it)")
            return
        cells = cmap.region_cells(deploy.region)
        if not _any_cell(ok, cells):
            report(dp + ("region",), f"the region '{deploy.region}' has no {ground} for "
                                     f"{force.kind} units to stand on")
        return
    if deploy.near is not None:
        place = _place(cmap, deploy.near, dp + ("near",), report)
        if place is None:
            return
        cells = cmap.cells_near(place, deploy.radius_km)
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
    for j, name in enumerate(deploy.at or []):
        place = _place(cmap, name, dp + ("at", j), report)
        if place is None:
            continue
        r, c = place.cell
        if _closed(cmap, place):
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


def _bank(cmap, place) -> Any:
    """Which side of the river a place is on (the map's bank code at its cell, else its label)."""
    bank = getattr(cmap, "bank", None)
    if bank is not None:
        code = int(bank[tuple(place.cell)])
        if code:
            return code
    return getattr(place, "bank", None)


def _check_convoy(base, force, cmap, finder, forbidden_of, deconfliction, report: Report) -> None:
    start = _place(cmap, force.start, base + ("start",), report)
    stops = [(base + ("route", j), _place(cmap, name, base + ("route", j), report))
             for j, name in enumerate(force.route)]
    if force.orders.withdraw_to is not None:
        _place(cmap, force.orders.withdraw_to, base + ("orders", "withdraw_to"), report)
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
            elif _closed(cmap, place) or _closed(cmap, prev):
                shut = place if _closed(cmap, place) else prev
                why = f"'{shut.name}' is closed (map.closed_crossings)"
            elif _bank(cmap, prev) != _bank(cmap, place):
                closed = [p.name for p in cmap.places.values() if _closed(cmap, p)]
                why = ("the river can only be crossed at a bridge or ford"
                       + (" that is open (map.closed_crossings closes "
                          + ", ".join(closed) + ")" if closed else ""))
            else:
                why = "terrain with speed 0 cannot be entered"
            report(path, f"'{place.name}' cannot be reached from '{prev.name}' over passable terrain ({why})")
            return
        prev = place
