"""Corridor from Python: load a scenario, run it, run replicates, compare arms, sweep.

Every function takes a scenario by its name in the library (``"albu_kamal_blockade"``), by
path, or as a scenario already loaded by :func:`load`; overrides are ``{key path: value}``
(the same key paths as ``--set``). ``out=None`` (the default) writes nothing: results stay in
memory. Runs of many replicates use the experiment engine (a local process pool of `workers`,
or Dask), with common random numbers: replicate r has the same seed in every arm and at every
design point, derived from one root seed by ``numpy.random.SeedSequence``.

Every result offers pandas DataFrames:

- ``tidy``: the long table, one row per run × kept step × observation, with columns run, seed,
  step, day, faction, place, pair, convoy, metric, value, unit, state, text as categories (see
  :mod:`sim.results.tidy` and docs/outputs.md);
- ``wide``: the step table as the model records it, one column per observation;
- ``runs`` (many runs): one row per run with its final outcomes (``summary`` for one run).

    import sim
    reps = sim.replicate("albu_kamal_blockade", 20, overrides={"time.duration_days": 5})
    reps.tidy.query("metric == 'share'").groupby(["day", "faction"])["value"].mean()

Calls of many runs (``replicate``, ``compare``, ``sweep`` from Python) keep one step per
simulated day by default (``every_hours=24``, `EVERY_HOURS`; the step and its day are in every
row); ``run`` keeps every step of its one run.

Bad input (an unknown scenario, a bad override) raises :class:`sim.program.errors.UserError` (its
subclass ``InputErrors`` lists every problem) with the file, line and key in the message.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from sim.experiments.memory import MemoryRuns, run_in_memory
from sim.hindcast.posterior import posterior_overrides, read_posterior
from sim.program import api_checks as check
from sim.program.errors import UserError
from sim.program.folders import SCENARIOS
from sim.program.output import check_destination, publish_folder, write_atomic, write_json_atomic
from sim.results.tidy import tidy_steps
from sim.scenario import LoadedScenario, load_scenario
from sim.scenario.library import find_in_library

ScenarioLike = str | Path | LoadedScenario
EVERY_HOURS = 24.0  #: default step thinning of every call of many runs: one kept step per simulated day


#: the command line's flags a refusal may name → the argument a Python caller passed instead
PYTHON_WORDS = {"--out": "out=", "--force": "force=True", "--resume": "resume=True", "--workers": "workers=",
                "--dask": "dask=", "--add-replicates N": "resume=True with replicates= N more than it holds"}
_FLAG = re.compile("|".join(rf"{re.escape(flag)}(?![\w-])" for flag in PYTHON_WORDS))


def _in_python_words(call):
    """`call` (a public function of this module) with the refusals it shares with the command line
    naming what a Python caller passed (`out=`, `force=True`, …), not the flags (`--out`)."""
    @functools.wraps(call)
    def called(*args, **kwargs):
        try:
            return call(*args, **kwargs)
        except UserError as err:
            if type(err) is not UserError or not _FLAG.search(str(err)):  # InputErrors: a file's own problems
                raise
            raise UserError(_FLAG.sub(lambda m: PYTHON_WORDS[m.group(0)], str(err))) from None

    return called


def load(scenario: ScenarioLike, overrides: dict | None = None) -> LoadedScenario:
    """The scenario, validated: a library name ("open_road"), a path, or a loaded scenario
    (returned as it is when there are no overrides; reloaded from its file with its own
    overrides and then `overrides` when there are). Raises UserError / InputErrors."""
    scenario, overrides = check.scenario(scenario), check.overrides(overrides)
    if isinstance(scenario, LoadedScenario):
        if not overrides:
            return scenario
        return load_scenario(scenario.source, {**scenario.overrides, **overrides})
    return load_scenario(find_in_library(scenario, SCENARIOS), overrides)


@dataclass
class Run:
    """One run: `result` (a `sim.results.result.RunResult`: step table, summary, event log, maps),
    `folder` where it was saved (None if nowhere)."""

    result: object
    folder: Path | None = None

    @property
    def summary(self) -> dict:
        """Headline outcomes at the end (shares 0–1, areas km², strengths in fighters, counts)."""
        return self.result.summary

    @property
    def wide(self) -> pd.DataFrame:
        """The step table: one row per recorded step (0 = the initial state), one column per observation."""
        return self.result.steps

    @cached_property
    def tidy(self) -> pd.DataFrame:
        """The long table of every step (run "r000"): `sim.results.tidy.TIDY_COLUMNS`."""
        return tidy_steps(self.result.steps, self.result.faction_ids, run="r000", seed=self.result.seed)


@_in_python_words
def run(scenario: ScenarioLike, *, seed: int | None = None, overrides: dict | None = None,
        out: str | Path | None = None, animation: bool = False, progress: bool = False,
        posterior: str | Path | None = None) -> Run:
    """Run one scenario with `seed` (default: the scenario's). With `out`, save the run folder
    the command line writes (`animation` adds the GIF); `out` must not exist or be empty. With
    `posterior` (a folder `calibrate` wrote), the calibrated parameters are drawn from its
    posterior by the seed. Every argument is checked before anything runs
    (:mod:`sim.program.api_checks`): UserError."""
    from sim.model import CorridorModel

    seed, out = check.seed(seed), _free(check.out(out), "run")
    animation, progress = check.flag(animation, "animation"), check.flag(progress, "progress")
    posterior = check.path(posterior, "posterior")
    loaded = load(scenario, overrides)
    if posterior is not None:
        seed = loaded.spec.seed if seed is None else seed
        loaded = load(scenario, posterior_overrides(read_posterior(posterior), overrides or {}, seed))
    result = CorridorModel(loaded, seed).run(progress=progress)
    folder = None
    if out is not None:
        folder = publish_folder(lambda tmp: result.save(tmp, command=sys.argv, animation=animation), Path(out))
    return Run(result, folder)


@dataclass
class Runs:
    """Many runs of an experiment. `runs`: one row per run (run_id, replicate, seed, the arm or
    design point and its parameters, then every final outcome); `wide`: one row per run × kept
    step; `tidy`: the long table, with `keep` columns (arm, point) after `run`. `folder` is
    where it was written (None: nowhere); `seeds` the replicate seeds."""

    store: MemoryRuns = field(repr=False)
    seeds: list[int]
    folder: Path | None = None
    keep: tuple[str, ...] = ()

    @cached_property
    def runs(self) -> pd.DataFrame:
        return self.store.runs()

    @cached_property
    def wide(self) -> pd.DataFrame:
        return self.store.wide()

    @cached_property
    def tidy(self) -> pd.DataFrame:
        return self.store.tidy(self.keep)


@dataclass
class Comparison(Runs):
    """A what-if comparison: `table` has one row per outcome × arm: n, mean, sd and, for every
    arm but the first, the paired difference from the first with its 95 % bootstrap interval
    (`diff_vs_first`, `ci_low`, `ci_high`), `verdict` and `excludes_zero` (None where the
    difference does not vary: see `sim.experiments.verdict`); `notes`, e.g. that the arms' maps
    differ in land (the denominator of shares)."""

    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    arms: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Sweep(Runs):
    """A parameter sweep: `design` has one row per design point with its parameter values."""

    design: pd.DataFrame = field(default_factory=pd.DataFrame)


@_in_python_words
def replicate(scenario: ScenarioLike, n: int = 20, *, seed: int | None = None, overrides: dict | None = None,
              workers: int | None = None, dask: str | None = None, every_hours: float = EVERY_HOURS,
              out: str | Path | None = None, progress: bool = True, posterior: str | Path | None = None) -> Runs:
    """`n` replicates of one scenario: replicate r runs with the r-th child seed of
    `SeedSequence(seed)` (default root: the scenario's seed), on `workers` processes (default:
    all cores; 1 runs in this process) or a Dask cluster (`dask`: "local" or an address).
    Keeps one step every `every_hours` (default one per simulated day; the scenario's
    `time.step_hours` keeps every step). With `posterior` (a folder `calibrate` wrote),
    replicate r runs at the parameters its seed draws from the posterior (its `runs` table has
    them by key path). With `out`, writes runs.parquet, wide.parquet, tidy.parquet and
    manifest.json into that new folder."""
    from sim.experiments.design import replicate_seeds
    from sim.experiments.worker import RunTask

    n, seed, workers = check.replicates(n), check.seed(seed), check.workers(workers)
    dask, every_hours = check.text(dask, "dask"), check.hours(every_hours)
    out, progress = _free(check.out(out), "replicates"), check.flag(progress, "progress")
    posterior = check.path(posterior, "posterior")
    loaded = load(scenario, overrides)
    root = loaded.spec.seed if seed is None else seed
    seeds = replicate_seeds(root, n)
    every = float(every_hours)
    width = max(3, len(str(n - 1)))
    drawn = read_posterior(posterior) if posterior is not None else None
    tasks = []
    for r, s in enumerate(seeds):
        point = load(loaded, posterior_overrides(drawn, loaded.overrides, s)) if drawn is not None else loaded
        tasks.append(RunTask(run_id=f"r{r:0{width}d}", point=0, replicate=r, seed=s,
                             scenario=str(loaded.source.resolve()), overrides=json.dumps(point.overrides),
                             digest=point.digest, final=("*",), series=("*",), every_hours=every))

    def columns_of(t: RunTask) -> dict:
        params = {k: json.loads(t.overrides)[k] for k in drawn.keys} if drawn is not None else {}
        return {"run_id": t.run_id, "replicate": t.replicate, "seed": t.seed, **params}
    store, _ = run_in_memory(tasks, columns_of, workers=workers, dask=dask, progress=progress,
                             desc=loaded.spec.name)
    result = Runs(store, seeds)
    if out is not None:
        info = {"scenario": str(loaded.source.resolve()), "overrides": loaded.overrides,
                "scenario_sha256": loaded.digest, "root_seed": root, "replicate_seeds": seeds}
        result.folder = _write_tables(result, Path(out), "replicates", info, [loaded.digest])
    return result


@_in_python_words
def compare(scenarios: list[ScenarioLike], *, replicates: int = 20, seed: int | None = None,
            overrides: dict | None = None, workers: int | None = None, dask: str | None = None,
            every_hours: float = EVERY_HOURS, outcomes: list[str] | None = None, out: str | Path | None = None,
            progress: bool = True, posterior: str | Path | None = None, charts: bool = True) -> Comparison:
    """Compare two or more scenarios (the first is the reference) over `replicates` paired
    replicates (common random numbers) on `outcomes` (names or glob patterns of the runs
    table's columns, e.g. ``["area_km2_*", "convoys_arrived"]``; default: the headline
    outcomes), keeping the step table every `every_hours`. With `posterior` (a folder
    `calibrate` wrote), replicate r of every arm runs at the parameters its seed draws from the
    posterior, so the comparison carries the calibration's uncertainty. With `out`, writes
    everything `python run.py compare` writes (tables, charts, report, maps); `charts=False`
    leaves the charts out, as `--no-charts` does."""
    from sim.experiments import compare as cmp
    from sim.experiments.compare_table import compare_table

    scenarios, sets = check.arms(scenarios), check.overrides(overrides)
    replicates, seed, workers = check.replicates(replicates, "replicates", lo=2), check.seed(seed), check.workers(workers)
    dask, every_hours = check.text(dask, "dask"), check.hours(every_hours)
    out, progress, charts = check.out(out), check.flag(progress, "progress"), check.flag(charts, "charts")
    check.runs(len(scenarios) * replicates)
    paths = [_path_of(s) for s in scenarios]
    drawn = read_posterior(check.path(posterior, "posterior")) if posterior is not None else None
    if out is not None:
        done = cmp.run_compare(paths, replicates=replicates, seed=seed, workers=workers, dask=dask, out=Path(out),
                               sets=sets, progress=progress, charts=charts, every_hours=every_hours,
                               outcomes=outcomes, posterior=drawn)
        arms = [a.name for a in done.arms]
        seeds = json.loads((done.folder / "manifest.json").read_text(encoding="utf-8"))["replicate_seeds"]
        store = MemoryRuns.from_folder(done.folder)
        return Comparison(store, seeds, done.folder, ("arm",), table=done.table, arms=arms, notes=done.notes)
    arms, root, seeds = cmp.plan_arms(paths, replicates, seed, sets)
    tasks = cmp.compare_tasks(arms, seeds, sets, every_hours, keep_map=False, posterior=drawn)
    store, _ = run_in_memory(tasks, cmp.arm_columns(arms, drawn), workers=workers, dask=dask, progress=progress,
                             desc="compare")
    names = [a.name for a in arms]
    table = compare_table(store.runs(), names, root, outcomes=outcomes, lands_km2=cmp.lands_km2(arms))
    return Comparison(store, seeds, None, ("arm",), table=table, arms=names, notes=cmp.table_notes(arms))


@_in_python_words
def sweep(sweep_file: str | Path | None = None, *, scenario: ScenarioLike | None = None,
          parameters: dict | None = None, design="grid", samples: int | None = None,
          replicates: int | None = None, seed: int | None = None, overrides: dict | None = None,
          every_hours: float = EVERY_HOURS, name: str | None = None, workers: int | None = None,
          dask: str | None = None, out: str | Path | None = None, resume: bool = False, force: bool = False,
          progress: bool = True, charts: bool = True) -> Sweep:
    """Run a sweep: a sweep file (a path, or a name in scenarios/sweeps/: "airstrike_rate"),
    with `overrides` added to its `set` and `replicates` replacing its own; or one defined here
    on `scenario` (sim.experiments.python_sweep):

        sim.sweep(scenario="airstrike_campaign", parameters={"rules.airstrikes.rate_per_day": (0.0, 1.0)},
                  design="lhs", samples=8, replicates=4)          # or design=<DataFrame of points>

    `parameters`: key path → a list of values (grid), a (low, high) tuple (lhs, sobol, morris;
    `samples` is their size) or a sweep-file mapping; a DataFrame `design` gives the points (one
    column per key path). Keeps one step a day (`every_hours`) of the default series. With
    `out`, writes everything `python run.py sweep` writes, the sweep file among it (`charts=False`
    leaves the charts out, as `--no-charts` does); `resume`
    finishes or extends that folder (more `replicates` add the next seeds), `force` with
    `resume` accepts a change of code version (recorded), without it replaces the folder.
    Raises UserError / InputErrors for a bad sweep."""
    import tempfile

    from sim.experiments.python_sweep import sweep_document, write_document

    sweep_file, replicates = check.path(sweep_file, "sweep_file"), check.optional_replicates(replicates)
    workers, dask, seed = check.workers(workers), check.text(dask, "dask"), check.seed(seed)
    out, progress, charts = check.out(out), check.flag(progress, "progress"), check.flag(charts, "charts")
    if (sweep_file is None) == (scenario is None):
        raise UserError("sim.sweep: give a sweep file or scenario= with parameters=, not both")
    path = None if sweep_file is None else find_in_library(sweep_file, SCENARIOS / "sweeps", what="sweep")
    with tempfile.TemporaryDirectory(prefix="corridor_sweep_") as tmp:
        generated = path is None or bool(overrides)
        if generated:
            doc = sweep_document(_path_of(scenario) if path is None else None, sweep_file=path,
                                 parameters=parameters, design=design, samples=samples, replicates=replicates,
                                 seed=seed, overrides=overrides, every_hours=every_hours, name=name)
            path = write_document(doc, Path(tmp))
        with _named_as_python(generated):
            plan, folder, store = _run_sweep(path, replicates, workers, dask, out, resume, force, progress, charts)
    design_table = pd.DataFrame([{"point": i, **p} for i, p in enumerate(plan.points)])
    return Sweep(store, plan.seeds, folder, ("point",), design=design_table)


@contextmanager
def _named_as_python(generated: bool):
    """Problems of a sweep written from sim.sweep's arguments name the call and the key, not
    the lines of a temporary file the caller never saw."""
    from sim.program.errors import InputErrors, Problem

    try:
        yield
    except InputErrors as err:
        if not generated:
            raise
        raise InputErrors([Problem("sim.sweep", None, p.path, p.message) for p in err.problems]) from None


def _run_sweep(path: Path, replicates, workers, dask, out, resume, force, progress, charts):
    """(plan, folder or None, runs in memory) of the sweep file `path`: run_sweep with `out`."""
    from sim.experiments import sweep as sw
    from sim.experiments.sweepfile import read_sweep

    if out is not None:
        done = sw.run_sweep(path, out=Path(out), workers=workers, dask=dask, progress=progress,
                            replicates=replicates, resume=resume, force=force, charts=charts)
        return done.plan, done.folder, MemoryRuns.from_folder(done.folder)
    plan = read_sweep(path, replicates=replicates)
    store, _ = run_in_memory(sw.plan_tasks(plan), sw.point_columns(plan), workers=workers, dask=dask,
                             progress=progress, desc=plan.name)
    return plan, None, store


def _free(out: Path | None, kind: str) -> Path | None:
    """`out` checked to be free (or an empty folder) before any run: UserError otherwise."""
    if out is not None:
        check_destination(out, kind=kind, forceable=False)  # no force= in the API
    return out


def _path_of(scenario: ScenarioLike) -> Path:
    if isinstance(scenario, LoadedScenario):
        if scenario.overrides:
            raise UserError(f"{scenario.source}: compare takes scenarios without their own overrides; "
                              "pass them as compare(..., overrides=...) so every arm gets the same")
        return scenario.source
    return find_in_library(scenario, SCENARIOS)


def _write_tables(result: Runs, out: Path, kind: str, info: dict, digests: list[str]) -> Path:
    """A new folder with the tables as Parquet (code version, scenario hash, units and labels
    in each file's metadata) and a manifest (written whole, then renamed)."""
    from sim.experiments.parquet_meta import metadata, write_parquet
    from sim.program.disclaimer import DISCLAIMER
    from sim.results.result import code_version, package_versions

    records = list(result.store.records.values())
    factions = {f: lab for r in records for f, lab in zip(r["factions"]["ids"], r["factions"]["labels"], strict=True)}

    def build(tmp: Path) -> None:
        for name, table in (("runs", result.runs), ("wide", result.wide), ("tidy", result.tidy)):
            meta = metadata(table.columns, faction_ids=list(factions), labels=factions, scenario_sha256=digests)
            write_atomic(tmp / f"{name}.parquet", lambda t, table=table, meta=meta: write_parquet(t, table, meta))
        write_json_atomic(tmp / "manifest.json", {"note": DISCLAIMER, "kind": kind, **info,
                                                  "code_version": code_version(), "packages": package_versions(),
                                                  "command": sys.argv})
    return publish_folder(build, out, kind=kind)
