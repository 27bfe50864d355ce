"""Small worlds for unit tests of one mechanism: a scenario written on the fly on the shipped map,
with the factions, relations, forces and rules a test names, and helpers to put units on chosen
cells so that distances, terrain and strengths are known exactly and expectations can be computed
by hand."""

from __future__ import annotations

import warnings

import numpy as np
import yaml

from sim.geography import Terrain
from sim.model import CorridorModel
from sim.scenario import load_scenario

from conftest import ROOT

MAP = ROOT / "scenarios" / "maps" / "euphrates_corridor.geojson"
COLOURS = ["#009E73", "#D55E00", "#0072B2", "#000000", "#F0E442"]


def world(tmp_path, *, factions=("a", "b"), relations=None, forces=None, rules=None, cell_km=2.0,
          step_hours=1.0, days=2.0, seed=1, **sections) -> CorridorModel:
    """A `CorridorModel` of a scenario with `factions` (ids, or {id: extra faction fields}),
    `relations` ({"a/b": "hostile"}), `forces` (default: one 100-fighter militia unit per faction
    near Albu Kamal), `rules` and any other top-level `sections` (tension, population, …)."""
    if not isinstance(factions, dict):
        factions = {f: {} for f in factions}
    spec = {
        "name": "unit-test world", "description": "a small world for one mechanism",
        "map": {"file": str(MAP), "cell_km": cell_km},
        "time": {"step_hours": step_hours, "duration_days": days},
        "factions": {f: {"label": f.upper(), "color": COLOURS[i], **extra}
                     for i, (f, extra) in enumerate(factions.items())},
        "relations": relations or {},
        "forces": forces if forces is not None else [
            {"kind": "militia", "faction": f, "units": 1, "strength": 100,
             "deploy": {"near": "Albu Kamal", "radius_km": 10}} for f in factions],
        "rules": rules or {},
        **sections,
    }
    path = tmp_path / f"world_{abs(hash(yaml.safe_dump(spec))) % 10**8}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # places nudged off the river at coarse cells
        return CorridorModel(load_scenario(path), seed)


def units_of(model, faction: str) -> list:
    """The live units of faction id `faction`, in creation order."""
    f = model.factions.index(faction)
    return [u for u in model.agents if u.faction == f and u.alive]


def open_row(model, terrain: Terrain = Terrain.DESERT, length_km: float = 12.0) -> tuple[int, int]:
    """A cell (row, col) from which `length_km` of cells eastward along its row are all `terrain`."""
    n = int(np.ceil(length_km / model.map.cell_km)) + 1
    t = model.map.terrain
    for r, c in zip(*np.nonzero(t == terrain), strict=True):
        if c + n <= t.shape[1] and (t[r, c:c + n] == terrain).all():
            return int(r), int(c)
    raise LookupError(f"no row of {n} {terrain.name} cells on the map")


def east(rc, km: float, model) -> tuple[int, int]:
    """The cell `km` east of `rc` (a whole number of cells at the model's cell size)."""
    cells = km / model.map.cell_km
    assert abs(cells - round(cells)) < 1e-9, f"{km} km is not a whole number of {model.map.cell_km} km cells"
    return rc[0], rc[1] + round(cells)


def insurgent_stage(model) -> None:
    """The step's insurgent stage alone (ambushes, then detection by patrols), as `model.step`
    runs it (`model.insurgency`, the insurgent submodel)."""
    model.insurgency.update()


def planner_options(planner) -> list:
    """Every option the planner weighs now (`Option`s with `score`, `terms` and `action`), as
    `decide` sees them (agents/planner_options.py)."""
    from sim.agents.planner_options import options

    return options(planner)
