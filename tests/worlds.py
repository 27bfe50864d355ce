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
    from sim.agents.planner_options import scored_options as options

    return options(planner)


def standoff(tmp_path, *, convoy, crew, called=0.0, orders=None, spread=None, stop=1.0, at_hours=0.0,
             step_hours=1.0):
    """A convoy of `convoy` fighters halted at the Albu Kamal checkpoint held by `crew`, with
    `called` more 8 km away (within the call, beyond reach); `spread`: the rule's ratio_spread
    (0: the hard thresholds; the logistic judgement is tested in test_standoff_judgement.py);
    `stop`: its stop_probability; `at_hours`: the model's clock when the convoy arrives;
    `step_hours`: the step's length.
    Returns (model, rule, convoy); `rule.apply()` runs one step of the standoff (the clock is
    the test's to move)."""
    forces = [{"kind": "militia", "faction": "h", "units": 2, "strength": 10,
               "deploy": {"near": "Albu Kamal", "radius_km": 2}},
              {"kind": "convoy", "faction": "c", "strength": convoy, "start": "Al-Mayadeen",
               "route": ["Albu Kamal"], "depart_day": 1.5, "orders": orders or {}}]
    rules = {"checkpoint_blockade": {"by": "h", "against": ["c"], "at": ["Albu Kamal"], "stop_probability": stop,
                                     "reach_km": 3, "reinforce_radius_km": 15}}
    if spread is not None:
        rules["checkpoint_blockade"]["ratio_spread"] = spread
    model = world(tmp_path, factions=("h", "c"), relations={"h/c": "rival"}, forces=forces, rules=rules,
                  cell_km=1.0, step_hours=step_hours)
    rule = next(r for r in model.rules if r.name == "checkpoint_blockade")
    checkpoint = rule.checkpoints[0]
    (car,) = units_of(model, "c")
    crew_unit = next(u for u in units_of(model, "h") if u.rc == checkpoint.cell)
    other = next(u for u in units_of(model, "h") if u is not crew_unit)
    crew_unit.gain(crew - crew_unit.strength)
    other.move_to(east(checkpoint.cell, 8.0, model))  # beyond reach (3 km), within the call (15 km)
    if called > 0:
        other.gain(called - other.strength)
    else:
        other.lose(other.strength)  # nobody to call
    if crew == 0:
        crew_unit.lose(crew_unit.strength)
    car.move_to(checkpoint.cell)
    model.hours = at_hours
    checkpoint.encounter(car)
    return model, rule, car


def outcome(rule) -> str:
    """How the checkpoint rule's (only) standoff ended, or 'waiting'."""
    return next((k for k in ("withdrew", "gave_way", "fought_through") if rule.outcomes[k]), "waiting")
