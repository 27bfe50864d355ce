"""What-if comparison: run two or more scenarios with common random numbers and report, for
each headline outcome, every arm's mean and its paired difference from the first arm with a
bootstrap 95 % interval.

Replicate r of every arm runs with the same seed, and the model draws from separate named
streams per subsystem, so the arms differ by what the scenarios change and much less by luck:
the paired differences are far less noisy than two independent samples would be.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.compare_table import (
    RESAMPLES,
    check_outcome_patterns,
    compare_table,
    markdown_table,
)
from sim.experiments.design import BOOTSTRAP_STREAM, replicate_seeds
from sim.experiments.engine import (
    ExecutionReport,
    RunFolder,
    assemble,
    check_engine,
    default_workers,
    engine_and_folder,
    execute,
    warm_up,
)
from sim.experiments.outcomes import DEFAULT_SERIES, NOT_OUTCOMES
from sim.experiments.sweepfile import design_identity
from sim.experiments.uncertainty import arm_probabilities, write_uncertainty
from sim.experiments.uncertainty import map_days as map_days_checked
from sim.experiments.verdict import land_note
from sim.experiments.worker import RunTask
from sim.figures import many_runs as ch
from sim.figures.style import FactionStyle, fallback_color
from sim.hindcast.posterior import Posterior, posterior_overrides, unlike_calibration
from sim.program.disclaimer import DISCLAIMER
from sim.program.errors import UserError
from sim.program.folders import OUTPUTS
from sim.program.output import new_run_folder, write_atomic, write_text_atomic
from sim.scenario import LoadedScenario, load_scenario


@dataclass
class Arm:
    name: str
    path: Path
    loaded: LoadedScenario


@dataclass
class CompareResult:
    folder: Path
    arms: list[Arm]
    table: pd.DataFrame  # one row per outcome × arm
    session: ExecutionReport
    seed: int
    replicates: int
    charts: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    maps: list[str] = field(default_factory=list)  # control-probability GeoTIFFs and PNGs per arm


def arm_names(paths: list[Path]) -> list[str]:
    """Short names: file stems, or the paths as given when two stems are the same."""
    stems = [p.stem for p in paths]
    return stems if len(set(stems)) == len(stems) else [str(p) for p in paths]


def run_compare(paths: list[str | Path], *, replicates: int = 20, seed: int | None = None,
                workers: int | None = None, dask: str | None = None, out: Path | None = None,
                sets: dict | None = None, resume: bool = False, force: bool = False, progress: bool = True,
                charts: bool = True, every_hours: float = 24.0, map_days: Sequence[float] | None = None,
                outcomes: Sequence[str] | None = None, log: Callable[[str], None] | None = None,
                posterior: Posterior | None = None) -> CompareResult:
    """Run every arm `replicates` times with the same seeds and compare them with the first on
    `outcomes` (names or glob patterns; default `sim.experiments.compare_table.HEADLINE`); write each arm's
    control-probability maps at `map_days` and at the end (`sim.experiments.uncertainty`).
    With `posterior`, replicate r of every arm runs at the parameters its seed draws from it
    (`sim.hindcast.posterior`). Raises UserError for an outcome pattern that matches nothing
    (before any run or file: `arm_outcomes`)."""
    if resume and out is None:
        raise UserError("--resume needs --out FOLDER: the folder of the comparison to finish")
    check_engine(workers, dask)
    workers = workers or default_workers()
    warm_up(workers, dask)
    sets = dict(sets or {})
    arms, root, seeds = plan_arms(paths, replicates, seed, sets)
    if outcomes is not None:
        check_outcome_patterns(arm_outcomes(arms, seeds[0]), outcomes)
    before_end = map_days_checked(map_days, min(a.loaded.spec.time.duration_days for a in arms), "--map-days")
    tasks = compare_tasks(arms, seeds, sets, every_hours, map_days=before_end, posterior=posterior)
    identity = design_identity([a.loaded.digest for a in arms], seeds,
                               {"arms": [str(a.path.resolve()) for a in arms], "every_hours": every_hours}
                               | ({"map_days": list(before_end)} if before_end else {})
                               | ({"posterior_sha256": posterior.sha256} if posterior else {}))
    out = Path(out) if out is not None else new_run_folder(OUTPUTS / "compare", "_vs_".join(a.path.stem for a in arms))
    folder = RunFolder(out, "compare", identity)
    with engine_and_folder(folder, tasks, workers=workers, dask=dask, resume=resume, force=force) as (done, engine):
        info = {"arms": [{"name": a.name, "file": str(a.path.resolve()), "scenario_sha256": a.loaded.digest}
                         | a.loaded.map.moved_places_entry()
                         for a in arms],
                "set": sets, "replicates": replicates, "root_seed": root, "replicate_seeds": seeds,
                "seeds_note": "replicate r uses SeedSequence(root_seed).spawn(replicates)[r] in every arm",
                "bootstrap": {"resamples": RESAMPLES, "method": "percentile, paired by replicate",
                              "stream": f"SeedSequence([root_seed, {BOOTSTRAP_STREAM}])"}}
        if posterior is not None:
            info["posterior"] = {"folder": str(posterior.folder.resolve()), "posterior_sha256": posterior.sha256,
                                 "draws": "replicate r draws one particle by weight from its own seed, the same in "
                                          "every arm (sim.hindcast.posterior)",
                                 "unlike_calibration": {a.name: unlike_calibration(posterior, a.loaded.resolved)
                                                        for a in arms}}
        folder.write_manifest(info)
        if log is not None:
            log(f"compare {' vs '.join(a.name for a in arms)}: {len(arms)} arms × {replicates} replicates = "
                f"{len(tasks)} runs" + (f" ({len(done)} already done)" if done else "") + f" → {out}")
            for name, lines in (info.get("posterior") or {}).get("unlike_calibration", {}).items():
                for line in lines:
                    log(f"  note: {name}: not as the posterior was calibrated (give it with --set): {line}")

        session = execute(tasks, folder, done, arm_columns(arms, posterior), engine=engine,
                          progress=progress, desc="compare")
        assemble(folder, [t.run_id for t in tasks], scenario_sha256=[a.loaded.digest for a in arms])
        runs = pd.read_parquet(out / "runs.parquet")
        table = compare_table(runs, [a.name for a in arms], root, outcomes=outcomes, lands_km2=lands_km2(arms))
        result = CompareResult(folder=out, arms=arms, table=table, session=session, seed=root, replicates=replicates,
                               notes=table_notes(arms))
        write_atomic(out / "compare.csv", lambda tmp: table.to_csv(tmp, index=False))
        write_text_atomic(out / "compare.md", markdown_table(table, [a.name for a in arms]))
        if charts:
            result.charts = compare_charts(result, tasks)
        result.maps = arm_uncertainty(result, tasks, before_end, png=charts)
        write_report(result)
        folder.write_manifest(info, session, status="complete")
        return result


def arm_outcomes(arms: list[Arm], seed: int) -> list[str]:
    """The numeric outcomes a run of every arm will have (its summary's names, in the first arm's
    order), read from a build of each arm's model that runs no step (well under a second on the
    two-town valley)."""
    from sim.model import CorridorModel
    from sim.results.result import RunResult

    names: list[str] | None = None
    for arm in arms:
        summary = RunResult.from_recorder(CorridorModel(arm.loaded, seed).recorder).summary
        numeric = [k for k, v in summary.items() if k not in NOT_OUTCOMES and isinstance(v, bool | int | float | np.number)]
        names = numeric if names is None else [n for n in names if n in numeric]
    return names or []


def plan_arms(paths: list[str | Path], replicates: int, seed: int | None, sets: dict
              ) -> tuple[list[Arm], int, list[int]]:
    """The arms (each scenario loaded with the overrides `sets`), the root seed (`seed`, or the
    first arm's) and the replicate seeds. Raises UserError for fewer than two arms or
    replicates, InputErrors for a bad scenario."""
    if len(paths) < 2:
        raise UserError("compare needs at least two scenario files: the first is the reference arm")
    if replicates < 2:
        raise UserError(f"--replicates: expected at least 2 (paired differences need a spread), found {replicates}")
    paths = [Path(p) for p in paths]
    arms = [Arm(name, p, load_scenario(p, sets)) for name, p in zip(arm_names(paths), paths, strict=True)]
    for i, p in enumerate(paths):  # once each has loaded (its problems come first), before any run
        first = next(j for j, q in enumerate(paths) if q.resolve() == p.resolve())
        if first != i:
            raise UserError(f"{p}: is given twice (arms {first + 1} and {i + 1}); each scenario is one arm")
    root = arms[0].loaded.spec.seed if seed is None else seed
    return arms, root, replicate_seeds(root, replicates)


def arm_columns(arms: list[Arm], posterior: Posterior | None = None) -> Callable[[RunTask], dict]:
    """The columns that identify a comparison's run in its tables (with `posterior`, the
    parameters the run drew from it, by key path)."""
    def columns_of(task: RunTask) -> dict:
        drawn = {}
        if posterior is not None:
            overrides = json.loads(task.overrides)
            drawn = {k: overrides[k] for k in posterior.keys}
        return {"run_id": task.run_id, "point": task.point, "arm": arms[task.point].name,
                "replicate": task.replicate, "seed": task.seed, **drawn}
    return columns_of


def compare_tasks(arms: list[Arm], seeds: list[int], sets: dict, every_hours: float, *,
                  series: tuple[str, ...] = DEFAULT_SERIES, keep_map: bool = True,
                  map_days: Sequence[float] = (), posterior: Posterior | None = None) -> list[RunTask]:
    """Every run of a comparison, arm by arm: replicate r of every arm has seed `seeds[r]`
    (common random numbers) and, with `posterior`, the parameters that seed draws from it; run
    ids "a<arm>-r<replicate>"; each keeps its control map at `map_days` (days) and at the end
    when `keep_map`."""
    width = max(3, len(str(len(seeds) - 1)))
    tasks = []
    for i, arm in enumerate(arms):
        for r, s in enumerate(seeds):
            overrides = posterior_overrides(posterior, sets, s)
            digest = arm.loaded.digest if posterior is None else load_scenario(arm.path, overrides).digest
            tasks.append(RunTask(run_id=f"a{i}-r{r:0{width}d}", point=i, replicate=r, seed=s,
                                 scenario=str(arm.path.resolve()), overrides=json.dumps(overrides), digest=digest,
                                 final=("*",), series=series, every_hours=every_hours, keep_map=keep_map,
                                 map_days=tuple(map_days)))
    return tasks


def lands_km2(arms: list[Arm]) -> list[float]:
    """Each arm's land in km² (passable cells, open bridges included): what shares divide by."""
    return [float(a.loaded.map.land.sum() * a.loaded.map.km2_per_cell) for a in arms]


def table_notes(arms: list[Arm]) -> list[str]:
    """Notes that belong beside the comparison table (a changed denominator of shares)."""
    note = land_note([a.name for a in arms], lands_km2(arms))
    return [note] if note else []


# ============================================================================ charts


def compare_charts(result: CompareResult, tasks: list[RunTask]) -> list[tuple[str, str]]:
    out = result.folder
    arms = [a.name for a in result.arms]
    records = {i: json.loads((out / "runs" / f"{t.run_id}.json").read_text(encoding="utf-8"))["factions"]
               for i, t in enumerate(tasks) if t.replicate == 0}
    meta = [records[i] for i in sorted(records)]
    ids = list(dict.fromkeys(fid for m in meta for fid in m["ids"]))
    labels = {fid: lab for m in meta for fid, lab in zip(m["ids"], m["labels"], strict=True)}
    colors = {fid: c for m in meta for fid, c in zip(m["ids"], m["colors"], strict=True)}
    f = FactionStyle(ids, [labels[i] for i in ids], [colors[i] for i in ids])
    made: list[tuple[str, str]] = []
    series = pd.read_parquet(out / "series.parquet")
    columns = [c for c in series.columns if c not in {"run_id", "point", "arm", "replicate", "seed", "step", "hours", "day"}
               and (pd.api.types.is_numeric_dtype(series[c]) or pd.api.types.is_bool_dtype(series[c]))]
    arm_colors = {a: fallback_color(i) for i, a in enumerate(arms)}
    title_arms = " vs ".join(arms)
    for family, cols in ch.families(columns, f):
        name = f"compare_{ch.slug(family)}.png"
        what = ch.describe(cols[0], f).split(": ")[-1] if len(cols) > 1 else ch.describe(cols[0], f)
        band = ("share of runs with a 95 % interval" if pd.api.types.is_bool_dtype(series[cols[0]])
                else "median and 5–95 % of replicates")
        ch.band_chart(out / name, series, cols, series["arm"], {a: a for a in arms},
                      f"{title_arms}: {what} over time — {band}", f, colors=arm_colors)
        made.append((name, f"{what} over time in each arm: {band}"))
    for k in range(1, len(arms)):
        name = f"control_difference_{ch.slug(arms[k])}_vs_{ch.slug(arms[0])}.png"
        drawn = difference_map(out / name, result, tasks, k, meta, f)
        if drawn is None:
            result.notes.append(f"no control-difference map for {arms[k]}: its map grid differs from {arms[0]}'s")
            continue
        made.append((name, f"per-cell share of replicates each faction controls at the end: {arms[k]} − {arms[0]}"))
    return made


def control_shares(folder: Path, tasks: list[RunTask], arm: int, ids: list[str], meta: list[dict]) -> np.ndarray:
    """(faction, row, col): share of the arm's replicates in which each faction controls each cell."""
    own = meta[arm]["ids"]
    total = None
    n = 0
    for t in tasks:
        if t.point != arm:
            continue
        controller = np.load(folder / "maps" / f"{t.run_id}.npy")
        controller = controller[-1] if controller.ndim == 3 else controller  # the end (see map_days)
        if total is None:
            total = np.zeros((len(ids), *controller.shape))
        for j, fid in enumerate(own):
            total[ids.index(fid)] += controller == j
        n += 1
    return total / n


def difference_map(path: Path, result: CompareResult, tasks: list[RunTask], k: int, meta: list[dict],
                   f: FactionStyle) -> Path | None:
    """The map of where arm `k` differs from the first in final control; None when their map
    grids differ."""
    corridor_map = result.arms[0].loaded.map
    if result.arms[k].loaded.map.shape != corridor_map.shape:
        return None
    a = control_shares(result.folder, tasks, 0, f.ids, meta)
    b = control_shares(result.folder, tasks, k, f.ids, meta)
    names = [arm.name for arm in result.arms]
    return ch.control_difference_map(path, corridor_map, b - a, f, names[0], names[k], result.replicates)


def arm_uncertainty(result: CompareResult, tasks: list[RunTask], before_end: tuple[float, ...], *,
                    png: bool) -> list[str]:
    """Each arm's probability of control per cell at the chosen days and at its end:
    `control_probability_<arm>.tif` (and `_day<D>.png`), written from the kept maps."""
    files = []
    for i, arm in enumerate(result.arms):
        factions = arm.loaded.spec.factions
        style = FactionStyle(list(factions), [f.label for f in factions.values()],
                             [f.color for f in factions.values()])
        probs = arm_probabilities(result.folder, [t.run_id for t in tasks if t.point == i], len(style.ids))
        days = [*before_end, arm.loaded.spec.time.duration_days]
        files += write_uncertainty(result.folder, f"control_probability_{ch.slug(arm.name)}", arm.loaded,
                                   probs, days, style, arm.name, result.replicates, png=png)
    return files


def write_report(result: CompareResult) -> Path:
    arms = [a.name for a in result.arms]
    s = result.session
    lines = [f"# What-if comparison: {' vs '.join(arms)}", "", f"> {DISCLAIMER}", "",
             "- Arms (the first is the reference): " + "; ".join(f"`{a.name}` = `{a.path}`" for a in result.arms),
             f"- {result.replicates} replicates per arm with common random numbers: replicate r uses the r-th "
             f"child of `SeedSequence({result.seed})` in every arm",
             "- Differences are paired by replicate; 95 % intervals are percentile bootstraps over replicates "
             f"({RESAMPLES} resamples). \"differs\": the differences vary and the interval excludes 0 (larger "
             "than the replicate-to-replicate noise); a difference that is the same in every pair, or a share "
             "whose area is the same in every pair while the land differs, is said so, not called significant.",
             f"- This session: {s.text()}", "",
             "## Headline outcomes", "", markdown_table(result.table, arms).split("\n", 2)[2],
             "Files: `compare.csv` (one row per outcome × arm), `compare.md`, `runs.csv`/`runs.parquet` (one row "
             "per run), `series.parquet` (one row per run × kept step), `maps/` (control map of each run at the "
             "end, after those at `--map-days`), `manifest.json` (provenance).", ""]
    lines += [f"Note: {n}" for n in result.notes]
    if result.maps:
        lines += ["", "## Probability of control per cell", "",
                  "Share of each arm's replicates in which each faction holds each cell (and in which it is "
                  "contested): GeoTIFFs in EPSG:4326 with one band per day × faction, and maps:", "",
                  *[f"- `{name}`" for name in result.maps], ""]
    if result.charts:
        lines += ["", "## Charts", ""]
        for name, caption in result.charts:
            lines += [f"**{caption}** — `{name}`", "", f"![{caption}]({name})", ""]
    return write_text_atomic(result.folder / "report.md", re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip() + "\n")
