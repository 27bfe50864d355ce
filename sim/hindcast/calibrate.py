"""Calibration with uncertainty: ABC-SMC (pyabc) of scenario parameters against pattern statistics.

The method (why ABC-SMC rather than history matching: docs/odd.md, *Calibration and
validation*): draw parameters from the priors, run the model over the training window, compare
its statistics with the observed ones by a distance, keep the closest; each generation then
perturbs the kept particles and tightens the tolerance to the median distance of the last
(``QuantileEpsilon``, alpha 0.5; generation 0 is the prior). The weighted particles of the last
generation are the posterior sample.

* **Statistics**: ``patterns`` are the record's pattern statistics
  (``sim.hindcast.patterns``: ``observed_patterns(record, window)`` and
  ``simulated_patterns(run_result, window)``, flat ``dict[str, float]`` with the same keys);
  ``outcomes`` are a run's final outcomes (its summary), for synthetic targets. ``use`` keeps
  the keys matching its glob patterns. Only the training window is read: the run ends on the
  window's last day and the record is clipped to the window.
* **Distance** (:class:`Distance`): ``poisson`` is the Euclidean distance between 2·√s and
  2·√o of each statistic s and its observed value o — for a count the variance-stabilising
  transform of a Poisson variable (Anscombe 1948), so each term is about one squared standard
  deviation whatever the count; ``euclidean`` is on the raw values. Each term is weighted
  by the first glob pattern of ``distance.weights`` its key matches (default 1).
* **Reproducible**: every candidate particle is drawn and run from its own seed
  (:mod:`sim.hindcast.abc_sampler`), so one calibration file gives one posterior on any
  number of workers, and a resumed calibration the same as an uninterrupted one.
* **Resumable**: pyabc keeps every finished generation in ``abc.db`` (SQLite) in the run
  folder; ``--resume`` continues from the last one.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import math
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.design import derived_rng, replicate_seeds
from sim.experiments.engine import _Bar  # no monitor thread: pool workers fork safely
from sim.experiments.outcomes import NOT_OUTCOMES, select
from sim.hindcast.calibfile import CalibrationPlan, Prior, TargetSpec, read_calibration
from sim.program.errors import UserError
from sim.program.signals import say_stopped

PREDICTIVE_STREAM = 11  # tag of the posterior-predictive draws, derived from the calibration's seed
PREDICTIVE_INTERVAL = (0.05, 0.95)


@dataclass(frozen=True)
class Distance:
    """Weighted Euclidean distance between statistics (dicts); the keys are the observed ones
    (a statistic a run lacks counts as 0; a term where either side is NaN — the source does not
    speak — is left out). Picklable: pyabc sends it to workers."""

    kind: str  # poisson or euclidean
    weights: tuple[tuple[str, float], ...] = ()

    def weight(self, key: str) -> float:
        return next((w for pattern, w in self.weights if fnmatch.fnmatchcase(key, pattern)), 1.0)

    def transform(self, value: float) -> float:
        return 2.0 * math.sqrt(max(value, 0.0)) if self.kind == "poisson" else float(value)

    def __call__(self, x: dict, x_0: dict) -> float:
        total = 0.0
        for key, observed in x_0.items():
            d = self.transform(x.get(key, 0.0)) - self.transform(observed)
            if not math.isnan(d):
                total += self.weight(key) * d * d
        return math.sqrt(total)


@dataclass(frozen=True)
class Simulator:
    """The model as pyabc sees it: parameters → statistics of one run. Picklable, so that any
    worker (a pool process, a Dask worker) can run it; draws its run's seed from numpy's global
    generator, which the sampler seeds per particle."""

    scenario: str
    sets: str  # JSON of the fixed overrides
    priors: tuple[Prior, ...]
    statistics: str
    use: tuple[str, ...]
    window: tuple[date, date]

    def __call__(self, parameters) -> dict:
        seed = int(np.random.randint(0, 2**31 - 1))
        return self.statistics_at(self.cast(parameters), seed)

    def cast(self, parameters) -> dict:
        """{key path: value} with whole-number parameters rounded."""
        return {p.key: p.cast(parameters[p.key]) for p in self.priors}

    def statistics_at(self, values: dict, seed: int) -> dict[str, float]:
        """The statistics of one run at `values` ({key path: value}) with `seed`."""
        import warnings

        from sim.model import CorridorModel
        from sim.scenario import load_scenario

        with warnings.catch_warnings():  # map placement notes: the parent has shown them once
            warnings.simplefilter("ignore")
            loaded = load_scenario(self.scenario, {**json.loads(self.sets), **values})
        result = CorridorModel(loaded, seed).run()
        if self.statistics == "patterns":
            from sim.hindcast.record import Window

            stats = pattern_functions()[1](result, Window(*self.window))
        else:
            stats = {k: float(v) for k, v in result.summary.items()
                     if k not in NOT_OUTCOMES and isinstance(v, int | float | np.number) and not isinstance(v, bool)}
        return {k: float(stats[k]) for k in select(list(stats), self.use)}


def pattern_functions() -> tuple[Callable, Callable]:
    """(observed_patterns, simulated_patterns) of `sim.hindcast.patterns`; UserError if this
    installation does not have them."""
    try:
        from sim.hindcast.patterns import observed_patterns, simulated_patterns
    except ImportError:
        raise UserError("statistics: 'patterns' needs the record's pattern statistics (sim.hindcast.patterns), "
                        "which this installation lacks; use statistics: outcomes with a synthetic target") from None
    return observed_patterns, simulated_patterns


def simulator_of(plan: CalibrationPlan) -> Simulator:
    w = plan.spec.window
    return Simulator(scenario=str(plan.scenario), sets=json.dumps(plan.sets, default=str), priors=tuple(plan.priors),
                     statistics=plan.spec.statistics, use=tuple(plan.spec.use), window=(w.start, w.end))


def observed_statistics(plan: CalibrationPlan, simulator: Simulator) -> dict[str, float]:
    """What the runs are compared with: the record's statistics in the window (those it speaks
    about: a NaN, such as a place-month before the record's first row for the place, is left
    out), or the model's own at the target's parameters and seed. UserError if no statistic is
    left to compare."""
    target = plan.spec.target
    if isinstance(target, TargetSpec):
        values = {p.key: p.cast(target.parameters[p.key]) for p in plan.priors}
        stats = simulator.statistics_at(values, target.seed)
    else:
        from sim.hindcast.record import Window, read_record
        from sim.program.folders import SCENARIOS
        from sim.scenario import load_scenario

        observed_patterns = pattern_functions()[0]
        window = Window(*simulator.window)
        corridor_map = load_scenario(simulator.scenario, json.loads(simulator.sets)).map
        record = observed_patterns(read_record(SCENARIOS / "record", corridor_map, window), window)
        stats = {k: float(record[k]) for k in select(list(record), plan.spec.use) if not math.isnan(record[k])}
    if not stats:
        raise UserError(f"{plan.display}: use: no statistic matches {', '.join(plan.spec.use)}")
    return stats


def pyabc_prior(priors: list[Prior]):
    """The pyabc prior: independent uniform, log-uniform or normal marginals."""
    import pyabc

    def rv(p: Prior):
        if p.kind == "uniform":
            return pyabc.RV("uniform", p.a, p.b - p.a)
        if p.kind == "loguniform":
            return pyabc.RV("loguniform", p.a, p.b)
        return pyabc.RV("norm", p.a, p.b)
    return pyabc.Distribution(**{p.key: rv(p) for p in priors})


@dataclass
class Calibration:
    """A finished (or stopped) calibration: its folder, plan and what it found."""

    folder: Path
    plan: CalibrationPlan
    observed: dict[str, float]
    generations: pd.DataFrame  # one row per generation: t, epsilon, samples, accepted
    posterior: pd.DataFrame  # one row per particle: the parameters (cast) and `weight` (sums to 1)
    predictive: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per statistic
    seconds: float = 0.0  # wall time of this session
    cpu_seconds: float = 0.0  # CPU time of this session: this process and its finished worker processes
    engine: str = ""

    @cached_property
    def intervals(self) -> pd.DataFrame:
        """Per parameter: weighted mean and 5 %, 50 %, 95 % quantiles of the posterior."""
        w = self.posterior["weight"].to_numpy()
        rows = []
        for p in self.plan.priors:
            x = self.posterior[p.key].to_numpy(float)
            q = weighted_quantiles(x, w, [0.05, 0.5, 0.95])
            rows.append({"parameter": p.key, "mean": float(np.sum(w * x)), "q05": q[0], "median": q[1], "q95": q[2]})
        return pd.DataFrame(rows)


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its child processes that have ended
    (a process pool's workers, once it is shut down); not a Dask cluster's remote workers."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def weighted_quantiles(x: np.ndarray, w: np.ndarray, qs: list[float]) -> list[float]:
    """Quantiles of a weighted sample (the inverse of its step CDF: the smallest x whose
    cumulative weight reaches q)."""
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order]) / np.sum(w)
    return [float(x[order][min(np.searchsorted(cum, q - 1e-12), len(x) - 1)]) for q in qs]


def run_abc(plan: CalibrationPlan, simulator: Simulator, observed: dict, db: Path, executor, slots: int, *,
            resume: bool, progress: bool, log: Callable[[str], None]):
    """Run (or continue) the ABC-SMC in the SQLite file `db`; returns pyabc's History. While it
    runs pyabc's logger ("ABC") says warnings only and numpy's global generator is seeded (pyabc
    and the particles draw from it in this process); after, both are as the caller had them (a
    notebook's own draws and logging go on as if no calibration had run)."""
    import pyabc  # noqa: F401 - first: importing pyabc sets its logger's level (INFO)

    logger = logging.getLogger("ABC")
    level, state = logger.level, np.random.get_state()
    logger.setLevel(logging.WARNING)  # our own progress lines instead of pyabc's
    try:
        return _abc_smc(plan, simulator, observed, db, executor, slots, resume=resume, progress=progress, log=log)
    finally:
        logger.setLevel(level)
        np.random.set_state(state)


def _abc_smc(plan: CalibrationPlan, simulator: Simulator, observed: dict, db: Path, executor, slots: int, *,
             resume: bool, progress: bool, log: Callable[[str], None]):
    import pyabc

    from sim.hindcast.abc_sampler import SeededSampler, particle_seed

    spec = plan.spec
    np.random.seed(particle_seed(spec.seed, -2, 0))  # pyabc's own draws in this process, if any
    sampler = SeededSampler(executor, spec.seed, batch=slots, progress=progress)
    sampler.show_progress = False
    url = f"sqlite:///{db.resolve()}"
    stored = pyabc.History(url, _id=1, create=False).max_t if resume and db.exists() else None
    resuming = stored is not None and stored >= 0
    if db.exists() and not resuming:  # killed before generation 0 was stored: start it again
        db.unlink()
    # generation 0 takes the prior as it is (tolerance infinite); a resumed calibration's first
    # tolerance is the median distance of the last stored generation, as it would have been
    eps = pyabc.epsilon.QuantileEpsilon(initial_epsilon="from_sample" if resuming else np.inf, alpha=0.5)
    abc = pyabc.ABCSMC(simulator, pyabc_prior(plan.priors), Distance(spec.distance.kind,
                       tuple(spec.distance.weights.items())), population_size=spec.population, sampler=sampler,
                       eps=eps)
    done = -1
    if resuming:
        history = abc.load(url, 1)
        done = history.max_t
    else:
        abc.new(url, observed)
    left = spec.generations - (done + 1)
    if left > 0:
        log(f"generations {done + 1}–{spec.generations - 1} of {spec.generations} (0 is the prior), "
            f"{spec.population} particles each")
        with warnings.catch_warnings():  # pyabc compares the first tolerance, infinite, with the next
            warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
            abc.run(max_nr_populations=left, max_total_nr_simulations=spec.max_simulations or np.inf)
    return abc.history


def posterior_table(history, priors: list[Prior]) -> pd.DataFrame:
    """The last generation's particles: the parameters (cast as the runs used them) and weights."""
    df, w = history.get_distribution(m=0, t=history.max_t)
    table = pd.DataFrame({p.key: [p.cast(v) for v in df[p.key]] for p in priors})
    table.insert(0, "particle", range(len(table)))
    table["weight"] = np.asarray(w, float) / np.sum(w)
    return table


def generations_table(history) -> pd.DataFrame:
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    return pd.DataFrame({"generation": pops["t"].astype(int), "epsilon": pops["epsilon"].astype(float),
                         "simulations": pops["samples"].astype(int),
                         "acceptance": (history.get_nr_particles_per_population().loc[pops["t"]].to_numpy()
                                        / pops["samples"].to_numpy())})


def _predict(simulator: Simulator, values: dict, seed: int) -> dict:
    return simulator.statistics_at(values, seed)


def posterior_predictive(simulator: Simulator, posterior: pd.DataFrame, observed: dict, replicates: int,
                         root: int, executor, progress: bool = False) -> pd.DataFrame:
    """Per statistic: the observed value, the median and 90 % interval of `replicates` runs,
    each at a posterior draw (by weight) with its own seed, and whether the interval covers it."""
    rng = derived_rng(root, PREDICTIVE_STREAM)
    picks = rng.choice(len(posterior), size=replicates, p=posterior["weight"].to_numpy())
    seeds = replicate_seeds(root, replicates)
    keys = [p.key for p in simulator.priors]
    futures = [executor.submit(_predict, simulator, {k: posterior[k].iloc[i].item() for k in keys}, s)
               for i, s in zip(picks, seeds, strict=True)]
    with _Bar(total=replicates, desc="posterior predictive", unit="run", file=sys.stderr, disable=not progress,
              leave=False) as bar:
        rows = []
        for future in futures:
            rows.append(future.result())
            bar.update(1)
    runs = pd.DataFrame(rows).reindex(columns=list(observed)).fillna(0.0)
    low, high = PREDICTIVE_INTERVAL
    table = pd.DataFrame({"statistic": list(observed), "observed": list(observed.values()),
                          "median": runs.median().to_numpy(), "q05": runs.quantile(low).to_numpy(),
                          "q95": runs.quantile(high).to_numpy()})
    table["covered"] = (table["observed"] >= table["q05"]) & (table["observed"] <= table["q95"])
    return table


def calibrate(path: str | Path, *, out: Path | None = None, resume: bool = False, force: bool = False,
              workers: int | None = None, dask: str | None = None, progress: bool = True,
              charts: bool = True, log: Callable[[str], None] = print) -> Calibration:
    """Run the calibration file `path` (or a name in scenarios/calibration/: "corridor_2017_2018")
    into the folder `out` (default outputs/calibration/<name>_<time>);
    `resume` continues an interrupted one. Raises UserError/InputErrors for bad input, before
    anything is written."""
    from sim.experiments.engine import Engine, check_engine, default_workers
    from sim.experiments.runfolder import RunFolder
    from sim.experiments.sweepfile import design_identity
    from sim.hindcast.calibration_report import write_outputs
    from sim.program.extras import require
    from sim.program.folders import OUTPUTS, SCENARIOS
    from sim.program.output import new_run_folder
    from sim.scenario.library import find_in_library

    if resume and out is None:
        raise UserError("--resume needs --out FOLDER: the folder of the calibration to finish")
    require("pyabc")
    check_engine(workers, dask)
    workers = workers or default_workers()
    plan = read_calibration(find_in_library(path, SCENARIOS / "calibration", what="calibration"))
    if plan.spec.statistics == "patterns":
        pattern_functions()  # refused before anything is written if they are missing
    simulator = simulator_of(plan)
    out = Path(out) if out is not None else new_run_folder(OUTPUTS / "calibration", plan.file.stem)
    identity = design_identity([plan.loaded.digest], [plan.spec.seed], {"calibration_sha256": plan.sha256})
    folder = RunFolder(out, "calibration", identity)
    folder.check(resume=resume, force=force)  # a folder it may not write, refused before the target's run
    observed = observed_statistics(plan, simulator)  # a record that cannot be read, a `use` that matches nothing:
    # refused before the folder exists (a synthetic target costs its one run here)
    with Engine(workers, dask, folder) as opened, folder.writing(resume=resume, force=force):  # the engine first:
        # one that cannot start leaves the folder as it was (with --force, the earlier calibration in it)
        folder.runs.rmdir()  # a calibration keeps its runs in abc.db, not one file per run
        info = {"calibration": str(plan.file.resolve()), "calibration_sha256": plan.sha256,
                "scenario": str(plan.scenario), "scenario_sha256_at_lower_priors": plan.loaded.digest,
                "set": plan.sets, "seed": plan.spec.seed, "window": [str(d) for d in simulator.window]}
        folder.write_manifest(info)
        started, cpu_started = time.perf_counter(), cpu_seconds()
        n, g = len(plan.priors), plan.spec.generations
        log(f"calibrate {plan.name}: {n} parameter{'' if n == 1 else 's'}, {g} generation{'' if g == 1 else 's'} of "
            f"{plan.spec.population} → {out}")
        try:
            with opened:
                engine, executor = opened.description, opened.executor
                log(f"  {len(observed)} statistics to match, on {engine}")
                history = run_abc(plan, simulator, observed, out / "abc.db", executor, opened.slots, resume=resume,
                                  progress=progress, log=log)
                posterior = posterior_table(history, plan.priors)
                log(f"  posterior: {len(posterior)} particles; predictive check over {plan.spec.predictive.replicates} runs")
                predictive = posterior_predictive(simulator, posterior, observed, plan.spec.predictive.replicates,
                                                  plan.spec.seed, executor, progress)
        except KeyboardInterrupt as err:  # Ctrl-C, SIGTERM: say how to finish, as a sweep does (`writing`: "interrupted")
            if folder.replaced:  # --force: the earlier calibration is put back (sim.experiments.earlier), this one's go
                say_stopped(err, f" during the calibration: its generations are not kept, and {out} is left as it "
                                 "was: --force replaced nothing")
            else:
                say_stopped(err, f" during the calibration: the finished generations are saved in {out / 'abc.db'}; "
                                 f"the same command with --resume --out {out} continues from them")
            raise
        result = Calibration(out, plan, observed, generations_table(history), posterior, predictive,
                             seconds=time.perf_counter() - started, cpu_seconds=cpu_seconds() - cpu_started,
                             engine=engine)
        write_outputs(result, charts=charts)
        folder.write_manifest({**info, "seconds_this_session": round(result.seconds, 1),
                               "cpu_seconds_this_session": round(result.cpu_seconds, 1), "engine": engine,
                               "simulations": int(result.generations["simulations"].sum())}, status="complete")
        return result
