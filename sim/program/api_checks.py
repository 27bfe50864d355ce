"""The checks of the Python API's arguments (:mod:`sim.api`): the command line's checks, with its
words, made before any scenario is loaded or any run starts.

Each function returns the value as the API uses it, or raises :class:`~sim.program.errors.UserError`
naming the argument, e.g. ``seed: expected a whole number between 0 and 9223372036854775807,
found -1`` — the message ``--seed -1`` gives. ``True`` is never a number here (Python's bool is
an int, YAML's is not), and a string is never read as a number (``seed="7"`` is refused as
``--seed`` in a file would refuse ``seed: '7'``).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from sim.experiments.sizes import MAX_RUNS
from sim.program.errors import UserError, describe_found

#: replicates of one call (as the command line's --replicates), and worker processes (--workers)
MAX_REPLICATES = 100_000
MAX_WORKERS = 1024


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def seed(value: Any, name: str = "seed") -> int | None:
    """None (the scenario's own) or a whole number 0 … 2⁶³−1, as `--seed`."""
    if value is None:
        return None
    from sim.program.flags import field_problem

    problem = field_problem("seed", value)
    if problem:
        raise UserError(f"{name}: {problem}")
    return value


def whole(value: Any, name: str, lo: int, hi: int) -> int:
    """A whole number in [lo, hi] (replicates, workers)."""
    from sim.scenario.messages import number_text as num

    if not _is_int(value):
        raise UserError(f"{name}: expected a whole number, found {describe_found(value)}")
    if not lo <= value <= hi:
        raise UserError(f"{name}: expected a whole number between {num(lo)} and {num(hi)}, found {num(value)}")
    return value


def replicates(value: Any, name: str = "n", lo: int = 1) -> int:
    """Replicates: a whole number from `lo` to MAX_REPLICATES."""
    return whole(value, name, lo, MAX_REPLICATES)


def optional_replicates(value: Any, name: str = "replicates") -> int | None:
    return None if value is None else replicates(value, name)


def workers(value: Any) -> int | None:
    """None (every CPU) or 1 … MAX_WORKERS, as `--workers`."""
    return None if value is None else whole(value, "workers", 1, MAX_WORKERS)


def hours(value: Any, name: str = "every_hours") -> float | None:
    """None or a finite number of hours > 0."""
    if value is None:
        return None
    if not (isinstance(value, int | float) and not isinstance(value, bool)) or not math.isfinite(value) or value <= 0:
        raise UserError(f"{name}: expected a number of hours > 0, found {describe_found(value)}")
    return float(value)


def flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise UserError(f"{name}: expected True or False, found {describe_found(value)}")
    return value


def text(value: Any, name: str) -> str | None:
    """None or a one-line string (a Dask address)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise UserError(f"{name}: expected a one-line text, found {describe_found(value)}")
    return value


def path(value: Any, name: str, required: bool = False) -> Path | None:
    """A path given as str or os.PathLike, without control characters (or None, unless `required`)."""
    if value is None and not required:
        return None
    if not isinstance(value, str | os.PathLike):
        raise UserError(f"{name}: expected a path (a str or pathlib.Path), found {describe_found(value)}")
    shown = os.fspath(value)
    if not isinstance(shown, str) or not shown.strip() or not shown.isprintable():
        raise UserError(f"{name}: expected a path of printable characters, found {describe_found(shown)}")
    return Path(shown)


def out(value: Any) -> Path | None:
    """None or the path a call writes (`out`), not one ending in "." or ".." (as `--out`)."""
    from sim.program.flags import out_problem

    shown = path(value, "out")
    if shown is not None and (problem := out_problem(os.fspath(value))):
        raise UserError(f"out: {problem}")
    return shown


def scenario(value: Any, name: str = "scenario") -> Any:
    """A library name or a path (str or os.PathLike), or a loaded scenario; returned as given."""
    from sim.scenario import LoadedScenario

    if not isinstance(value, LoadedScenario):
        path(value, name, required=True)
    return value


def overrides(value: Any) -> dict:
    """None or a mapping {key path: value}, each key a non-empty string (the paths themselves
    are checked against the scenario when it loads)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UserError(f"overrides: expected a mapping {{'key.path': value}}, found {describe_found(value)}")
    for key in value:
        if not isinstance(key, str):
            raise UserError(f"overrides: expected key paths as text, like 'time.duration_days', found "
                            f"{describe_found(key)} as a key")
        if not key.isprintable():  # as --set: the message must stay one line
            raise UserError(f"overrides: the key path {describe_found(key).removeprefix('a string ')} holds a "
                            "control character (a newline, a tab, …); key paths are names, dots and [indexes]")
    return dict(value)


def arms(values: Any) -> list:
    """Two or more scenarios for `compare` (that none is given twice is checked when they are
    found: :func:`sim.experiments.compare.plan_arms`)."""
    if isinstance(values, str | os.PathLike) or not isinstance(values, list | tuple):
        raise UserError(f"scenarios: expected a list of two or more scenarios, found {describe_found(values)}")
    if len(values) < 2:
        raise UserError(f"scenarios: expected two or more scenarios to compare, found {len(values)}")
    return [scenario(v, f"scenarios[{i}]") for i, v in enumerate(values)]


def runs(n_runs: int) -> None:
    """Refuse more than MAX_RUNS runs in one call (as a sweep file's design)."""
    if n_runs > MAX_RUNS:
        raise UserError(f"{n_runs:,} runs; at most {MAX_RUNS:,} are allowed in one call")
