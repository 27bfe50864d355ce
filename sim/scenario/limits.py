"""The limits that keep every scenario's cost bounded, and the check that a validated scenario
stays within them — by arithmetic on its declared sizes, before anything is built or run.

A scenario can ask for unbounded work in many ways: a tiny step over a long duration, a kernel
or a radius wider than the map, a rate that creates millions of units or incidents. Each is
refused here, with a message that names the limit and the arithmetic, so that validating takes
time in proportion to the file and running takes the memory its sizes promise. The limits of
the files themselves (size, nesting, aliases) are applied while reading them
(:mod:`sim.scenario.dialect`); the limit on map cells when the map is rasterised
(:data:`sim.geography.rasterise.MAX_CELLS`). docs/scenario_language.md lists them all.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import BaseModel

from sim.scenario.fields import PathT
from sim.submodels.influence import COMPONENTS, TRUNCATE

MAX_FILE_BYTES = 1_000_000  # a scenario or sweep file (the shipped ones are under 10 kB)
MAX_DEPTH = 32  # nesting of mappings and lists in a file, aliases expanded
MAX_NODES = 100_000  # values in a file, aliases counted each time they are used
MAX_EXTENDS = 16  # files in one `extends` chain
MAX_STEPS = 100_000  # steps in one run (10 years in 1 h steps is 87,600)
MAX_REACH_CELLS = 1_000  # any distance (radius, range, reach, kernel) in cells
MAX_UNITS = 100_000  # units that can exist in a run: forces, spawned, reinforcements, insurgent cells
MAX_FACTIONS = 50  # factions (each has map-sized influence arrays)
MAX_PLACES = 2_000  # named places on a map (each is a column of the step table)
MAX_FORCES = 2_000  # entries under `forces`
MAX_EVENTS = 10_000  # entries under `events`
MAX_ROUTE = 200  # waypoints of one convoy
MAX_DRAWN = 1_000_000  # expected incidents drawn over a run (airstrikes, new insurgent cells)
MAX_WAKES_PER_STEP = 100  # times a patrolling unit or an insurgent cell can act in one step

#: the kernel's truncation (standard deviations) and widest component (× σ)
KERNEL_TRUNCATE, KERNEL_WIDEST = TRUNCATE, 2.0 ** (COMPONENTS - 1)


def check_limits(spec, rules: Sequence[tuple[str, BaseModel]], report) -> None:
    """Report every declared size of a validated scenario beyond a limit. `rules`: (key under
    `rules`, validated parameters); `report(path, message)` as :class:`~sim.scenario.report.Report`."""
    days, step_hours, cell_km = spec.time.duration_days, spec.time.step_hours, spec.map.cell_km
    steps = days * 24.0 / step_hours
    if steps > MAX_STEPS:
        report(("time", "step_hours"),
               f"{days:g} days in {step_hours:g} h steps is {_n(steps)} steps; at most {MAX_STEPS:,} are "
               f"allowed (make step_hours at least {days * 24.0 / MAX_STEPS:.3g} or duration_days shorter)")

    for block, key in (("militia", "patrol_every_hours"), ("insurgents", "move_every_hours")):
        every = getattr(getattr(spec, block), key)
        if step_hours / every > MAX_WAKES_PER_STEP:
            report((block, key), f"{every:g} h is {step_hours / every:,.0f} moves per {step_hours:g} h step; at most "
                                 f"{MAX_WAKES_PER_STEP} are allowed (at least {step_hours / MAX_WAKES_PER_STEP:g} h)")

    for path, value in _distances(spec, rules):
        if value / cell_km > MAX_REACH_CELLS:
            report(path, f"{value:g} km is {_n(value / cell_km)} cells at {cell_km:g} km cells; at most "
                         f"{MAX_REACH_CELLS:,} cells ({MAX_REACH_CELLS * cell_km:g} km at this cell size) are allowed")
    for key in ("kernel_km", "patrol_kernel_km"):
        sigma = getattr(spec.control, key)
        reach = KERNEL_TRUNCATE * KERNEL_WIDEST * sigma
        if reach / cell_km > MAX_REACH_CELLS:
            report(("control", key),
                   f"the kernel of width {sigma:g} km reaches {reach:g} km ({KERNEL_TRUNCATE:g} × its widest "
                   f"component, {KERNEL_WIDEST:g} × {sigma:g} km), {_n(reach / cell_km)} cells; at most "
                   f"{MAX_REACH_CELLS:,} cells are allowed (width at most "
                   f"{MAX_REACH_CELLS * cell_km / (KERNEL_TRUNCATE * KERNEL_WIDEST):.3g} km at this cell size)")

    _count(report, ("factions",), len(spec.factions), MAX_FACTIONS, "factions")
    _count(report, ("forces",), len(spec.forces), MAX_FORCES, "forces")
    _count(report, ("events",), len(spec.events), MAX_EVENTS, "events")
    for i, force in enumerate(spec.forces):
        if force.kind == "convoy":
            _count(report, ("forces", i, "route"), len(force.route), MAX_ROUTE, "waypoints")

    units = sum(f.units for f in spec.forces)
    units += sum(e.spawn.units for e in spec.events if e.spawn is not None)
    parts = [f"{units:,} in forces and events"]
    for key, params in rules:
        if hasattr(params, "unit_size") and hasattr(params, "max_per_day"):  # a reinforcement route
            fighters = min(days * max(_values(spec, key, "max_per_day", params.max_per_day)),
                           params.max_fighters)
            n = math.ceil(fighters / min(_values(spec, key, "unit_size", params.unit_size)))
            units += n
            parts.append(f"up to {n:,} by rules.{key}")
        if hasattr(params, "max_cells"):  # insurgent cells, new and split
            units += params.max_cells
            parts.append(f"up to {params.max_cells:,} by rules.{key}.max_cells")
        for name in ("rate_per_day", "new_cells_per_day"):
            if hasattr(params, name):
                rate = max(_values(spec, key, name, getattr(params, name)))
                if rate * days > MAX_DRAWN:
                    report(("rules", key, name),
                           f"{rate:g} per day over {days:g} days is {_n(rate * days)} draws; at most "
                           f"{MAX_DRAWN:,} are allowed (at most {MAX_DRAWN / days:.3g} per day over this duration)")
    if units > MAX_UNITS:
        report(("forces",), f"this scenario can create {units:,} units ({'; '.join(parts)}); at most "
                            f"{MAX_UNITS:,} are allowed (fewer or larger units: units, unit_size, max_cells)")


def _n(x: float) -> str:
    """A count in a message: with thousands separators, or in powers of ten when astronomical."""
    return f"{x:,.0f}" if x < 1e15 else f"{x:.3g}"


def _count(report, path: PathT, n: int, limit: int, what: str) -> None:
    if n > limit:
        report(path, f"{n:,} {what}; at most {limit:,} are allowed")


def _values(spec, key: str, name: str, initial: float) -> list[float]:
    """The initial value of a rule parameter and every number events set it to."""
    values = [initial]
    for event in spec.events:
        for path, value in (event.set or {}).items():
            if path.replace(" ", "") == f"rules.{key}.{name}" and isinstance(value, int | float) \
                    and not isinstance(value, bool) and value > 0:
                values.append(float(value))
    return values


def _distances(spec, rules) -> Iterator[tuple[PathT, float]]:
    """(key path, km) of every distance in the scenario but the cell size: each field named
    *_km, in every block, force and rule, and every such value an event sets."""
    yield from _walk_km(spec, ())
    for key, params in rules:
        yield from _walk_km(params, ("rules", key))
    for i, event in enumerate(spec.events):
        for path, value in (event.set or {}).items():
            if path.strip().endswith("_km") and isinstance(value, int | float) and not isinstance(value, bool):
                yield ("events", i, "set", path), float(value)


def _walk_km(model: Any, prefix: PathT) -> Iterator[tuple[PathT, float]]:
    if isinstance(model, BaseModel):
        for name, info in type(model).model_fields.items():
            value = getattr(model, name)
            key = info.alias or name
            if name.endswith("_km") and name != "cell_km" and isinstance(value, int | float) \
                    and not name.endswith("kernel_km"):
                yield prefix + (key,), float(value)
            elif name != "rules":
                yield from _walk_km(value, prefix + (key,))
    elif isinstance(model, list | tuple):
        for i, item in enumerate(model):
            yield from _walk_km(item, prefix + (i,))
    elif isinstance(model, dict):
        for k, item in model.items():
            if isinstance(item, BaseModel):
                yield from _walk_km(item, prefix + (k,))
