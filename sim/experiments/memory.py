"""Running many runs with nothing written: the experiment engine (same workers, same seeds,
same run function) with the finished runs kept in memory instead of a folder, and their
tables built as pandas DataFrames. This is what the Python API (`sim.api`) does when `out` is
None.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sim.experiments.engine import (
    Engine,
    ExecutionReport,
    check_engine,
    default_workers,
    execute,
    warm_up,
)
from sim.experiments.worker import RunTask
from sim.results.tidy import TIDY_COLUMNS, concat_tidy, tidy_steps


class MemoryRuns:
    """Finished runs in run order, in memory: the engine's `RunFolder.save` interface."""

    path = None  # nothing is written


    def __init__(self, run_ids: list[str]):
        self.records: dict[str, dict] = dict.fromkeys(run_ids)

    @classmethod
    def from_folder(cls, folder: Path) -> MemoryRuns:
        """The runs of a finished sweep or comparison folder (its runs/*.json, in run order)."""
        files = sorted((Path(folder) / "runs").glob("*.json"))
        store = cls([f.stem for f in files])
        for f in files:
            store.records[f.stem] = json.loads(f.read_text(encoding="utf-8"))
        return store

    def save(self, task: RunTask, out: dict, columns: dict) -> None:
        out.pop("controller", None)
        self.records[task.run_id] = {"columns": columns, **out}

    def set_status(self, status: str) -> None:
        """Nothing to relabel: nothing is written (RunFolder.set_status's interface)."""

    def saved_note(self, finished: int) -> str:
        return f"{finished} run{'' if finished == 1 else 's'} had finished; nothing was written (out=None)"

    def interrupted(self, ran: int, where: str, saved: str) -> str:
        """What the message of a Ctrl-C (or SIGTERM) says after its word (RunFolder.interrupted's
        interface): `where` and `saved`; there is no folder to relabel or put back."""
        return f"{where}: {saved}"

    def untouched(self) -> str:
        """What a message says when the engine could not start (RunFolder.untouched's interface)."""
        return self.saved_note(0)

    def stop(self, reason: str, finished: int, ran: int) -> str:
        """What a failure message says (RunFolder.stop's interface): there is no folder to remove or relabel."""
        return self.saved_note(finished)

    def runs(self) -> pd.DataFrame:
        """One row per run: its columns (run id, replicate, seed, …) and its final outcomes."""
        return pd.DataFrame([{**r["columns"], **r["outcomes"]} for r in self.records.values()])

    def wide(self) -> pd.DataFrame:
        """One row per run × kept step: the run's columns, then the kept step-table columns."""
        parts = [pd.DataFrame(r["series"]).assign(**r["columns"]) for r in self.records.values() if r["series"]]
        if not parts:
            return pd.DataFrame()
        table = pd.concat(parts, ignore_index=True)
        first = list(next(iter(self.records.values()))["columns"])
        return table[first + [c for c in table.columns if c not in first]]

    def tidy(self, keep: tuple[str, ...] = ()) -> pd.DataFrame:
        """The long table of every run's kept steps (`sim.results.tidy`), with the run columns named in
        `keep` (e.g. "arm", "point") after `run` (text ones as categories)."""
        parts = []
        for r in self.records.values():
            if not r["series"]:
                continue
            part = tidy_steps(pd.DataFrame(r["series"]), r["factions"]["ids"], run=r["columns"]["run_id"],
                              seed=r["columns"]["seed"])
            for i, name in enumerate(keep):
                value = r["columns"][name]
                part.insert(1 + i, name, pd.Categorical([value] * len(part)) if isinstance(value, str) else value)
            parts.append(part)
        if not parts:
            return pd.DataFrame(columns=[TIDY_COLUMNS[0], *keep, *TIDY_COLUMNS[1:]])
        return concat_tidy(parts)


def run_in_memory(tasks: list[RunTask], columns_of: Callable[[RunTask], dict], *, workers: int | None,
                  dask: str | None = None, progress: bool = True, desc: str = "runs"
                  ) -> tuple[MemoryRuns, ExecutionReport]:
    """Run every task on the chosen engine (one process, a local pool of `workers`, or Dask) and
    keep the results in memory. Raises `UserError` for a bad engine choice."""
    check_engine(workers, dask)
    workers = workers or default_workers()
    warm_up(workers, dask)
    sink = MemoryRuns([t.run_id for t in tasks])
    engine = Engine(min(workers, len(tasks)), dask, sink) if tasks else None
    session = execute(tasks, sink, set(), columns_of, engine=engine, progress=progress, desc=desc)
    return sink, session
