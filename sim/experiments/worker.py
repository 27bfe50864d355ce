"""What a worker does for one run: load the scenario (cached per process), run it, keep the
requested outcomes. Workers receive a path, overrides and a seed — never a model — so any
process (a local pool or a Dask worker on another machine) can run any run, and the result
depends only on (scenario with overrides, seed).

The model is imported when this module is: a process pool preloads it once, so a worker costs
nothing to start.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sim.experiments.outcomes import NOT_OUTCOMES, SERIES_INDEX, select
from sim.model import CorridorModel
from sim.program.errors import UserError
from sim.results.recorder import ONLY_FIRST_AND_LAST_FRAME  # sweeps keep only the final map
from sim.scenario import LoadedScenario, load_scenario


@dataclass(frozen=True)
class RunTask:
    """One run: which scenario, which overrides, which seed, and what to keep."""

    run_id: str
    point: int
    replicate: int
    seed: int
    scenario: str  # absolute path: workers may run anywhere the project is checked out
    overrides: str  # JSON text of {key path: value}: hashable, and cheap to send
    digest: str  # sha256 of the resolved scenario the parent validated
    final: tuple[str, ...]
    series: tuple[str, ...]
    every_hours: float
    keep_map: bool = False
    map_days: tuple[float, ...] = ()  # with keep_map: also keep the control map at these days
    keep_events: bool = False  # also keep the run's violent events (sim.hindcast.events), column → list


@lru_cache(maxsize=32)
def load_point(scenario: str, overrides: str, digest: str) -> LoadedScenario:
    """The loaded scenario of a design point, once per process (the map is cached underneath).

    The digest check means a run never silently uses a scenario file edited after the sweep
    was planned."""
    with warnings.catch_warnings():  # map placement notes: the parent has shown them once
        warnings.simplefilter("ignore")
        loaded = load_scenario(scenario, json.loads(overrides))
    if loaded.digest != digest:
        raise UserError(f"{scenario}: the scenario (or a file it extends) changed after the sweep was "
                        "planned; run the sweep again")
    return loaded


def series_rows(hours: np.ndarray, every_hours: float) -> np.ndarray:
    """Indexes of the steps at multiples of `every_hours`, and always the last step."""
    k = np.round(hours / every_hours)
    keep = np.abs(hours - k * every_hours) < 1e-6
    keep[-1] = True
    return np.flatnonzero(keep)


def plain(value):
    """A JSON-ready Python scalar (summary figures may come as numpy scalars)."""
    return value.item() if isinstance(value, np.generic) else value


def run_one(task: RunTask) -> dict:
    """Run one task and return its outcomes, its series rows and how long it took."""
    started = time.perf_counter()
    loaded = load_point(task.scenario, task.overrides, task.digest)
    loaded_at = time.perf_counter()
    model = CorridorModel(loaded, task.seed, frame_every_hours=ONLY_FIRST_AND_LAST_FRAME)
    maps = []
    for day in task.map_days:  # step to each chosen day, keep its map, go on
        while model.steps < model.n_steps and model.hours < day * 24.0 - 1e-9:
            model.step()
        maps.append(model.influence.controller.copy())
    result = model.run()
    finished = time.perf_counter()
    summary = {k: v for k, v in result.summary.items() if k not in NOT_OUTCOMES}
    outcomes = {k: plain(summary[k]) for k in select(list(summary), task.final)}
    steps = result.steps
    series: dict[str, list] = {}
    if task.series:
        rows = series_rows(steps["hours"].to_numpy(), task.every_hours)
        columns = list(SERIES_INDEX) + select([c for c in steps.columns if c not in SERIES_INDEX], task.series)
        series = {c: steps[c].to_numpy()[rows].tolist() for c in columns}
    out = {
        "outcomes": outcomes,
        "series": series,
        "seconds": finished - loaded_at,
        "load_seconds": loaded_at - started,
        "factions": {"ids": result.faction_ids, "labels": result.faction_labels,
                     "colors": result.faction_colors},
    }
    if task.keep_events:
        out["events"] = result.events.to_dict(orient="list")
    if task.keep_map:  # (rows, cols) at the end, or (days + 1, rows, cols) with map_days
        final = result.frames[-1]["controller"]
        out["controller"] = np.stack([*maps, final]) if maps else final
    return out
