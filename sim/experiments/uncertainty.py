"""Uncertainty on the map: over replicates of one scenario, the probability that each faction
controls each cell, and that the cell is contested, at chosen days.

The probability of a cell is the share of replicates in which it is held (a plain frequency
over N runs: its standard error is at most 0.5/√N). `run_uncertainty` runs the replicates of
one scenario through the experiment engine (workers, Dask, `--resume`, as `compare` does, with
the same seeds) and `write_uncertainty` writes, per arm, one GeoTIFF (a float32 band per day ×
faction and day × contested, nodata NaN on the river) and one PNG per day; `compare` writes the
same for each of its arms.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.experiments.design import replicate_seeds
from sim.experiments.engine import (
    ExecutionReport,
    RunFolder,
    assemble,
    check_replicates_run,
    engine_and_folder,
    execute,
    warm_up,
)
from sim.experiments.outcomes import DEFAULT_SERIES
from sim.experiments.sweepfile import design_identity
from sim.experiments.worker import RunTask
from sim.figures.style import FactionStyle
from sim.program.disclaimer import DISCLAIMER
from sim.program.errors import UserError
from sim.program.folders import OUTPUTS
from sim.program.output import new_run_folder, write_text_atomic
from sim.scenario import LoadedScenario, load_scenario


@dataclass
class UncertaintyResult:
    folder: Path
    loaded: LoadedScenario
    replicates: int
    days: list[float]
    session: ExecutionReport
    files: list[str] = field(default_factory=list)


def map_days(days: Sequence[float] | None, duration_days: float, flag: str = "--days") -> tuple[float, ...]:
    """The chosen days before the end, sorted, checked against the run's length (the end is
    always kept). Raises UserError naming `flag`."""
    chosen = sorted(set(days or ()))
    for d in chosen:
        if not (0 <= d <= duration_days):
            raise UserError(f"{flag}: day {d:g} is outside the run (0 to {duration_days:g} days)")
    return tuple(d for d in chosen if d < duration_days)


def probabilities(controllers: Sequence[np.ndarray], n_factions: int) -> np.ndarray:
    """(days, n_factions + 1, rows, cols): the share of `controllers` (each (days, rows, cols) of
    controller codes) in which each faction holds each cell; the last layer is contested."""
    from sim.submodels.influence import CONTESTED

    total = None
    for c in controllers:
        c = c[None] if c.ndim == 2 else c
        layers = np.stack([c == f for f in range(n_factions)] + [c == CONTESTED], axis=1)
        total = layers.astype(np.float64) if total is None else total + layers
    if total is None:
        raise ValueError("no control maps to count")
    return total / len(controllers)


def arm_probabilities(folder: Path, run_ids: Sequence[str], n_factions: int) -> np.ndarray:
    """`probabilities` of the control maps a run folder kept for `run_ids` (maps/<id>.npy)."""
    return probabilities([np.load(folder / "maps" / f"{r}.npy") for r in run_ids], n_factions)


def write_uncertainty(folder: Path, stem: str, loaded, probs: np.ndarray, days: Sequence[float],
                      style: FactionStyle, title: str, replicates: int, *, png: bool = True) -> list[str]:
    """Write `<stem>.tif` (GeoTIFF, band 'day D: <faction id>' / 'day D: contested', each band's
    `day`, ISO 8601 `datetime` (from `loaded`'s calendar) and `faction` in its metadata) and,
    with `png`, one `<stem>_day<D>.png` per day into `folder`; returns the file names.
    `loaded`: the scenario (its map and `time.start_date`)."""
    import datetime as dt

    from sim.figures.uncertainty import probability_map
    from sim.geography.gis_out import write_geotiff
    from sim.program.extras import available

    corridor_map = loaded.map
    start = dt.datetime.combine(loaded.spec.time.start_date, dt.time())
    bands, band_tags = {}, []
    for k, day in enumerate(days):
        for j, name in enumerate([*style.ids, "contested"]):
            bands[f"day {day:g}: {name}"] = probs[k, j].astype(np.float32)
            band_tags.append({"day": f"{day:g}", "faction": name,
                              "datetime": (start + dt.timedelta(days=float(day))).isoformat(timespec="seconds")})
    files = []
    if available("rasterio"):  # the [gis] extra; without it only the PNG maps are written
        tif = f"{stem}.tif"
        write_geotiff(folder / tif, corridor_map, bands, nodata=float("nan"), band_tags=band_tags,
                      tags={"units": "probability (share of replicates)", "replicates": str(replicates),
                            "scenario": loaded.spec.name, "scenario_sha256": loaded.digest})
        files.append(tif)
    for k, day in enumerate(days if png else ()):
        name = f"{stem}_day{day:g}.png"
        probability_map(folder / name, corridor_map, probs[k], style, f"{title}, day {day:g}", replicates)
        files.append(name)
    return files


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def run_uncertainty(path: str | Path, *, replicates: int = 20, days: Sequence[float] | None = None,
                    seed: int | None = None, sets: dict | None = None, workers: int | None = None,
                    dask: str | None = None, out: Path | None = None, resume: bool = False,
                    force: bool = False, progress: bool = True, charts: bool = True,
                    log: Callable[[str], None] | None = None) -> UncertaintyResult:
    """Run `replicates` of one scenario (replicate r with the seed it has in `compare`) keeping
    the control map at `days` and at the end, and write the probability maps."""
    workers = check_replicates_run(replicates, resume, out, workers, dask)
    path, sets = Path(path), dict(sets or {})
    loaded = load_scenario(path, sets)
    duration = loaded.spec.time.duration_days
    before_end = map_days(days, duration)
    root = loaded.spec.seed if seed is None else seed
    seeds = replicate_seeds(root, replicates)
    warm_up(workers, dask)
    width = max(3, len(str(replicates - 1)))
    tasks = [RunTask(run_id=f"r{r:0{width}d}", point=0, replicate=r, seed=s, scenario=str(path.resolve()),
                     overrides=json.dumps(sets), digest=loaded.digest, final=("*",), series=DEFAULT_SERIES,
                     every_hours=24.0, keep_map=True, map_days=before_end)
             for r, s in enumerate(seeds)]
    identity = design_identity([loaded.digest], seeds, {"scenario": str(path.resolve()),
                                                        "map_days": list(before_end)})
    out = Path(out) if out is not None else new_run_folder(OUTPUTS / "uncertainty", path.stem)
    folder = RunFolder(out, "uncertainty", identity)
    with engine_and_folder(folder, tasks, workers=workers, dask=dask, resume=resume, force=force) as (done, engine):
        info = {"scenario": str(path.resolve()), "scenario_sha256": loaded.digest, "set": sets,
                "replicates": replicates, "root_seed": root, "replicate_seeds": seeds,
                "map_days": [*before_end, duration]} | loaded.map.moved_places_entry()
        folder.write_manifest(info)
        if log is not None:
            log(f"uncertainty of {loaded.spec.name}: {replicates} replicates, maps at day(s) "
                f"{', '.join(f'{d:g}' for d in [*before_end, duration])} → {out}")
        session = execute(tasks, folder, done, lambda t: {"run_id": t.run_id, "replicate": t.replicate, "seed": t.seed},
                          engine=engine, progress=progress, desc="replicates")
        assemble(folder, [t.run_id for t in tasks], scenario_sha256=[loaded.digest])
        factions = loaded.spec.factions
        style = FactionStyle(list(factions), [f.label for f in factions.values()], [f.color for f in factions.values()])
        probs = arm_probabilities(out, [t.run_id for t in tasks], len(style.ids))
        result = UncertaintyResult(out, loaded, replicates, [*before_end, duration], session)
        result.files = write_uncertainty(out, "control_probability", loaded, probs, result.days, style,
                                         loaded.spec.name, replicates, png=charts)
        write_text_atomic(out / "report.md", "\n".join([
            f"# Control probability: {loaded.spec.name}", "", f"_{DISCLAIMER}_", "",
            f"{replicates} replicates (root seed {root}); the probability of a cell is the share of "
            "replicates in which the faction controls it (or it is contested).", "",
            *[f"- `{name}`" for name in result.files],
            "- `runs.parquet` / `runs.csv`, `series.parquet`: the replicates' outcomes; `maps/`: their control maps",
        ]) + "\n")
        folder.write_manifest(info, session, status="complete")
        return result
