"""Running many independent runs and keeping every finished one.

* **Engines.** One `concurrent.futures` interface, three engines: in this process (one worker),
  a local process pool, or a Dask cluster (`client.get_executor()`), so they are interchangeable
  and give the same table.
* **Durability** (the folder: `sim.experiments.runfolder`). Each finished run is written at once, atomically,
  as one small JSON file in `runs/`; a crash or SIGKILL loses at most the runs in flight (a small window:
  memory stays flat however many runs there are), and `--resume` runs only the missing ones.
* **Tables.** At the end the run files are streamed, a chunk at a time, into `runs.parquet`, `runs.csv`
  and `series.parquet`: one row per run (per run × kept step for the series), in run order, no duplicate.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import BrokenExecutor, CancelledError, Executor, Future, ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from multiprocessing import forkserver
from pathlib import Path
from queue import SimpleQueue
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from tqdm import tqdm

from sim.experiments.dask_cluster import check_dask, dask_executor
from sim.experiments.run_files import held_runs, read_run
from sim.experiments.runfolder import RunFolder
from sim.experiments.session import ExecutionReport
from sim.experiments.worker import RunTask, run_one
from sim.program.errors import UserError
from sim.program.output import write_atomic
from sim.program.signals import say_stopped, stops_held, worker_started

if TYPE_CHECKING:
    from sim.experiments.memory import MemoryRuns

CHUNK = 256  # run files per chunk when building the tables


class SerialExecutor(Executor):
    """The one-worker engine: runs each task in this process as it is submitted."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:  # delivered through the future, as a pool would deliver it
            future.set_exception(err)
        return future


def _pool_context():
    """How pool workers start.

    While this process runs no other Python thread, workers are forked from it: they start at
    once, with the model imported and the map already built (native library threads, such as
    OpenBLAS's, are fork-aware). Another Python thread (a Dask client's, a progress monitor's)
    might hold a lock at the moment of the fork, which the child would then wait on forever;
    then the workers are forked instead from a fork server, a fresh process that imports the
    model once."""
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sim.experiments.worker"])
    return context


def warm_up(workers: int, dask: str | None) -> None:
    """Start the fork server, if the pool will need one, so that it imports the model while the
    parent plans the runs."""
    if not dask and workers > 1 and _pool_context().get_start_method() == "forkserver":
        forkserver.ensure_running()


class _Bar(tqdm):
    """A progress bar without tqdm's monitor thread, so that the parent stays free of Python
    threads and pool workers can be forked from it safely."""

    monitor_interval = 0


@contextmanager
def open_executor(workers: int, dask: str | None) -> Iterator[tuple[Executor, str, int]]:
    """(executor, description, number of runs it can run at once)."""
    if dask:
        with dask_executor(dask, workers) as opened:
            yield opened
        return
    if workers <= 1:
        yield SerialExecutor(), "this process (1 worker)", 1
        return
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(), initializer=worker_started)
    try:
        yield executor, f"local process pool ({workers} workers)", workers
    except BaseException:  # Ctrl-C, SIGTERM, a failure: stop the runs in flight, do not wait for them
        _stop_workers(executor)
        raise
    finally:
        with stops_held():  # an interrupt here would leave the pool's lock held, and the process hung at its exit
            executor.shutdown(wait=True, cancel_futures=True)


def _stop_workers(executor: ProcessPoolExecutor) -> None:
    """Terminate a pool's worker processes and reap them (the pool is unusable afterwards)."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)


def check_engine(workers: int | None, dask: str | None) -> None:
    """Reject a bad engine choice before anything is written; note (a warning) more local
    workers than CPUs, which share the CPUs and are no faster. (A pool never starts more
    workers than it has runs: see `execute`.)"""
    if workers is not None and workers < 1:
        raise UserError(f"--workers: expected a whole number >= 1, found {workers}")
    if workers is not None and not dask and workers > default_workers():
        warnings.warn(f"--workers {workers} is more than the {default_workers()} CPUs of this machine: "
                      "the runs share them, no faster than with one worker per CPU", stacklevel=2)
    check_dask(dask)


def check_replicates_run(replicates: int, resume: bool, out, workers: int | None, dask: str | None) -> int:
    """The checks every command of one scenario's replicates makes before anything runs (at
    least 2 replicates, `--resume` with `--out`, the engine); the number of local workers."""
    if replicates < 2:
        raise UserError(f"--replicates: expected at least 2, found {replicates}")
    if resume and out is None:
        raise UserError("--resume needs --out FOLDER: the folder to finish")
    check_engine(workers, dask)
    return workers or default_workers()


# ============================================================================ running


class Engine:
    """A started engine of many runs (`open_executor`): its `executor`, its `description` ("local
    process pool (2 workers)"), the runs it can run at once (`slots`) and the `name` its failure is
    given (`--dask ADDRESS`, as the user chose it, else its description). It is started before the
    folder of its runs is opened (`engine_and_folder`): one that cannot start (a Dask scheduler out
    of reach, a local cluster that fails) is a UserError, one line ending with what became of the
    runs' place (`folder.untouched()`). Used as a context it is closed on leaving
    (the runs in flight stopped if left by an exception); closing it again does nothing."""

    def __init__(self, workers: int, dask: str | None, folder: RunFolder | MemoryRuns):
        self._stack = ExitStack()
        try:
            self.executor, self.description, self.slots = self._stack.enter_context(open_executor(workers, dask))
        except UserError as err:
            raise UserError(f"{err}; {folder.untouched()}") from None
        self.name = f"--dask {dask}" if dask else self.description

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> bool:
        return self._stack.__exit__(*exc)


@contextmanager
def engine_and_folder(folder: RunFolder, tasks: list[RunTask], *, workers: int, dask: str | None, resume: bool,
                      force: bool, flag: str = "--resume") -> Iterator[tuple[set[str], Engine | None]]:
    """Start the engine `tasks` need, then open `folder` for them (`RunFolder.writing`); yields the
    ids of the runs already done and the engine for `execute` (None when the folder holds every
    run: no engine is started). The folder is checked first (`RunFolder.check`, which only reads:
    a folder the command may not write is refused before an engine that may wait 15 s for a Dask
    scheduler), and the engine started before the folder is created, resumed or replaced: an
    engine that cannot start leaves the folder as it was, byte for byte — with `--force`, the
    earlier results in it too. A pool starts no more workers than there are runs to do (those
    the folder does not hold whole when it is checked)."""
    action = folder.check(resume=resume, force=force, flag=flag)
    held = held_runs(folder.runs) if action == "resume" else set()
    todo = sum(t.run_id not in held for t in tasks)
    with ExitStack() as stack:
        engine = stack.enter_context(Engine(min(workers, todo), dask, folder)) if todo else None
        done = stack.enter_context(folder.writing(resume=resume, force=force, flag=flag, planned=len(tasks)))
        yield done, engine


def execute(tasks: list[RunTask], folder: RunFolder | MemoryRuns, done: set[str], columns_of: Callable[[RunTask], dict],
            *, engine: Engine | None, progress: bool, desc: str) -> ExecutionReport:
    """Run every task not in `done` on `engine` (started for them: `engine_and_folder`, `Engine`;
    None only when every task is done), saving each as it finishes, and close the engine; returns
    what this session did."""
    todo = [t for t in tasks if t.run_id not in done]
    started = time.perf_counter()
    ran, run_seconds, load_seconds = 0, 0.0, 0.0
    failure: tuple[RunTask, BaseException] | None = None
    described = "none (every run was already done)"
    if todo:
        with engine, _Bar(total=len(tasks), initial=len(tasks) - len(todo), desc=desc, unit="run", file=sys.stderr,
                          disable=not progress, dynamic_ncols=True, smoothing=0.05) as bar:
            executor, slots, described = engine.executor, engine.slots, engine.description
            queue = iter(todo)
            pending: dict[Future, RunTask] = {}
            # each future as it finishes (its done callback), not `wait`, whose locks a Ctrl-C may leave held
            finished: SimpleQueue[Future] = SimpleQueue()

            def fill() -> None:
                while failure is None and len(pending) < 2 * slots:
                    task = next(queue, None)
                    if task is None:
                        return
                    future = executor.submit(run_one, task)
                    pending[future] = task
                    future.add_done_callback(finished.put)

            try:
                fill()
                while pending:
                    future = finished.get()
                    task = pending.pop(future)
                    try:
                        out = future.result()
                    except Exception as err:  # keep the runs in flight, then report this one
                        failure = failure or (task, err)
                    else:
                        run_seconds += out["seconds"]
                        load_seconds += out["load_seconds"]
                        folder.save(task, out, columns_of(task))
                        ran += 1
                        bar.update()
                    if finished.empty():  # every finished run saved before more are started
                        fill()
            except KeyboardInterrupt as err:
                for future in pending:
                    future.cancel()
                say_stopped(err, folder.interrupted(ran, f" after {len(done) + ran} of {len(tasks)} runs",
                                                    folder.saved_note(len(done) + ran)), after_bar=not bar.disable)
                raise
    session = ExecutionReport(engine=described, ran=ran, skipped=len(tasks) - len(todo),
                      wall_seconds=time.perf_counter() - started, run_seconds=run_seconds,
                      load_seconds=load_seconds)
    if failure is not None:
        task, err = failure
        lost = engine_lost(err)
        saved = folder.stop(f"stopped: {lost or f'run {task.run_id} failed'}", len(done) + ran, ran)
        if lost:  # the engine, named as the user chose it
            raise UserError(f"{engine.name}: {lost} ({type(err).__name__}); {saved}") from None
        if isinstance(err, UserError):
            raise UserError(f"run {task.run_id} (seed {task.seed}): {err}; {saved}") from None
        raise RuntimeError(f"run {task.run_id} (seed {task.seed}, overrides {task.overrides}) failed: "
                           f"{type(err).__name__}: {err}; {saved}") from err
    return session


def engine_lost(err: BaseException) -> str | None:
    """What happened when `err` says the engine, not the run, failed: a pool worker killed
    (BrokenProcessPool), the Dask scheduler or its workers lost (a cancelled future, a closed
    connection); None for a failure of the run itself."""
    if isinstance(err, BrokenExecutor):
        return "a worker process died (killed, or out of memory), and the pool with it"
    if isinstance(err, CancelledError) or type(err).__name__ in ("CancelledError", "FutureCancelledError",
                                                                 "CommClosedError", "KilledWorker"):
        return "the Dask scheduler or its workers were lost"
    if isinstance(err, OSError | TimeoutError) and type(err).__module__.startswith("distributed"):
        return "the Dask scheduler cannot be reached"
    return None


# ============================================================================ tables


def _kind(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"


def _unify(kinds: set) -> str:
    """One column type for the values seen: text wins, then float, int, bool."""
    for kind in ("str", "float", "int", "bool"):
        if kind in kinds:
            return kind
    return "float"  # only missing values


ARROW = {"str": pa.string(), "float": pa.float64(), "int": pa.int64(), "bool": pa.bool_()}
CAST = {"str": str, "float": float, "int": int, "bool": bool}


def _schema(kinds: dict[str, set]) -> tuple[pa.Schema, dict[str, str]]:
    unified = {name: _unify(k) for name, k in kinds.items()}
    return pa.schema([(name, ARROW[k]) for name, k in unified.items()]), unified


def _table(rows: dict[str, list], schema: pa.Schema, unified: dict[str, str], n: int) -> pa.Table:
    arrays = {}
    for name in schema.names:
        cast = CAST[unified[name]]
        values = rows.get(name, [None] * n)
        arrays[name] = pa.array([None if v is None else cast(v) for v in values], type=schema.field(name).type)
    return pa.table(arrays, schema=schema)


def assemble(folder: RunFolder, run_ids: list[str], *, scenario_sha256: list[str] = (),
             labels: dict[str, str] | None = None) -> dict[str, int]:
    """Build runs.parquet, runs.csv and series.parquet from the run files, a chunk at a time,
    each Parquet file with its code version, `scenario_sha256`, units and `labels` (and the
    factions' labels) in its metadata (`sim.experiments.parquet_meta`).

    Column types are settled in a first pass (a column is float if any run gave a float), so
    every chunk has the same schema; the rows keep the order of `run_ids`."""
    from sim.experiments.parquet_meta import metadata, with_metadata

    files = [folder.runs / f"{rid}.json" for rid in run_ids]
    run_kinds: dict[str, set] = {}
    series_kinds: dict[str, set] = {}
    factions: dict[str, str] = {}
    for f in files:
        record = read_run(f)
        factions.update(zip(record["factions"]["ids"], record["factions"]["labels"], strict=True))
        for name, value in (*record["columns"].items(), *record["outcomes"].items()):
            run_kinds.setdefault(name, set()).add(_kind(value))
        if record["series"]:
            for name, value in record["columns"].items():
                series_kinds.setdefault(name, set()).add(_kind(value))
            for name, values in record["series"].items():
                series_kinds.setdefault(name, set()).update(_kind(v) for v in values)
    run_schema, run_types = _schema(run_kinds)
    series_schema, series_types = _schema(series_kinds)
    labels = {**factions, **(labels or {})}
    run_schema, series_schema = (with_metadata(schema, metadata(schema.names, faction_ids=list(factions),
                                                                labels=labels, scenario_sha256=list(scenario_sha256)))
                                 for schema in (run_schema, series_schema))
    counts = {"runs": 0, "series_rows": 0}

    def write_both(runs_tmp: Path, series_tmp: Path | None) -> None:
        run_writer = pq.ParquetWriter(runs_tmp, run_schema)
        series_writer = pq.ParquetWriter(series_tmp, series_schema) if series_tmp else None
        try:
            for start in range(0, len(files), CHUNK):
                records = [read_run(f) for f in files[start:start + CHUNK]]
                rows: dict[str, list] = {name: [] for name in run_schema.names}
                for r in records:
                    flat = {**r["columns"], **r["outcomes"]}
                    for name in rows:
                        rows[name].append(flat.get(name))
                run_writer.write_table(_table(rows, run_schema, run_types, len(records)))
                counts["runs"] += len(records)
                if series_writer is None:
                    continue
                srows: dict[str, list] = {name: [] for name in series_schema.names}
                total = 0
                for r in records:
                    n = len(r["series"].get("step", []))
                    total += n
                    for name in srows:
                        if name in r["columns"]:
                            srows[name].extend([r["columns"][name]] * n)
                        else:
                            srows[name].extend(r["series"].get(name, [None] * n))
                series_writer.write_table(_table(srows, series_schema, series_types, total))
                counts["series_rows"] += total
        finally:
            run_writer.close()
            if series_writer is not None:
                series_writer.close()

    runs_path = folder.path / "runs.parquet"
    if series_kinds:
        write_atomic(runs_path, lambda runs_tmp: write_atomic(
            folder.path / "series.parquet", lambda series_tmp: write_both(runs_tmp, series_tmp)))
    else:
        write_atomic(runs_path, lambda runs_tmp: write_both(runs_tmp, None))
        (folder.path / "series.parquet").unlink(missing_ok=True)

    def write_csv(tmp: Path) -> None:
        source = pq.ParquetFile(runs_path)
        with pacsv.CSVWriter(tmp, source.schema_arrow,
                             write_options=pacsv.WriteOptions(quoting_style="needed")) as writer:
            for batch in source.iter_batches(batch_size=4096):
                writer.write_batch(batch)

    write_atomic(folder.path / "runs.csv", write_csv)
    return counts


def default_workers() -> int:
    return os.cpu_count() or 1
