"""Command-line values (numbers and paths), checked when the command line is read (exit status 2, one line,
before any work) with the same rules and the same words as the same value in a file.

Each function here is an ``argparse`` ``type=``: it reads the text as Corridor's YAML reads a
value (:mod:`sim.scenario.dialect`: ``1e4`` is a number, ``1:30`` is refused with a hint, and
``nan``/``inf`` are read as numbers so that they can be refused), then checks it:

* :func:`scenario_flag` against a field of the scenario language (``--seed`` is the scenario's
  ``seed``, ``--cell-km`` is ``map.cell_km``, ``--days`` is ``time.duration_days``), so the
  message is the one the validation of a scenario file would give;
* :func:`whole_number` and :func:`number` for values that have no key in a file (workers,
  ports, benchmark sizes), with the same wording (what was found described as a file's value is:
  "found a string 'abc'").

:func:`path_flag` refuses an empty file or folder name (``''`` would otherwise be read as ``.``).

:func:`parse_seed` checks a seed typed anywhere else (the app's Seed box) the same way.
The scenario language is imported only when a value is checked, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from sim.program.errors import UserError, describe_found


def read_number(text: str) -> Any:
    """A command-line value read like a value in a file, with `nan` and `inf` read as numbers
    (refused later as not finite). Raises ValueError with the reason for a refused form."""
    from sim.scenario.dialect import load_value

    text = str(text).strip()
    try:
        value = load_value(text) if text else ""
    except ValueError:  # a refused form ('1:30', '010'): its reason is the message
        raise
    except Exception:  # not YAML at all: left as text, refused as not a number
        return text
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        if not math.isfinite(number):
            return number
    return value


@cache
def _field(path: str) -> tuple[type, str]:
    """(model, field name) of a scenario key path such as 'time.duration_days'."""
    from sim.scenario.spec import Scenario

    model: Any = Scenario
    *parents, name = path.split(".")
    for part in parents:
        model = model.model_fields[part].annotation
    return model, name


def field_problem(path: str, value: Any) -> str | None:
    """The message the scenario validation gives for `value` at the key path, or None if valid."""
    from sim.scenario.messages import field_value_problem

    model, name = _field(path)
    return field_value_problem(model, name, value)


def scenario_flag(path: str) -> Callable[[str], Any]:
    """An argparse type checking a value as the scenario key `path` (e.g. 'seed')."""
    def parse(text: str) -> Any:
        try:
            value = read_number(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
        problem = field_problem(path, value)
        if problem and isinstance(value, float) and " found " in problem:  # 1e3, as typed, not 1000.0
            problem = problem.rsplit(" found ", 1)[0] + f" found {text.strip()}"
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value
    parse.__name__ = path  # argparse names the type in its own messages
    return parse


def parse_seed(text: str | int) -> int:
    """A seed typed by a user (the app's Seed box): the whole number, or UserError with the
    message a scenario file's `seed` would get, e.g. 'seed: expected a whole number >= 0, found -1'."""
    try:
        value = text if isinstance(text, int) and not isinstance(text, bool) else read_number(str(text))
    except ValueError as err:
        raise UserError(f"seed: {err}") from None
    problem = field_problem("seed", value)
    if problem:
        raise UserError(f"seed: {problem}")
    return value


def _check_range(value: float, lo: float | None, hi: float | None, noun: str, lo_open: bool = False) -> None:
    """ArgumentTypeError unless lo <= value <= hi (lo < value with `lo_open`; None: unbounded), in
    the words a file's field gets (:func:`sim.scenario.messages.range_text`): "between 1 and 200"
    only when both bounds are allowed, "> 0 and <= 3650" when the lower one is not."""
    from sim.scenario.messages import number_text, range_text

    if (lo is not None and (value <= lo if lo_open else value < lo)) or (hi is not None and value > hi):
        bounds = range_text(lo, hi, ">" if lo_open else ">=")
        raise argparse.ArgumentTypeError(f"expected {noun} {bounds}, found {number_text(value)}")


def whole_number(lo: int | None = 1, hi: int | None = None) -> Callable[[str], int]:
    """An argparse type for a whole number in [lo, hi] (None: unbounded)."""
    def parse(text: str) -> int:
        try:
            value = read_number(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise argparse.ArgumentTypeError(f"expected a whole number, found {describe_found(value)}")
        _check_range(value, lo, hi, "a whole number")
        return value
    parse.__name__ = "whole number"
    return parse


def number(above: float | None = 0.0, hi: float | None = None, noun: str = "a number") -> Callable[[str], float]:
    """An argparse type for a finite number > `above` and <= `hi` (None: unbounded); its messages
    call it `noun` ("a number of days": "expected a number of days > 0 and <= 3650, found 0")."""
    def parse(text: str) -> float:
        try:
            value = read_number(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise argparse.ArgumentTypeError(f"expected {noun}, found {describe_found(value)}")
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, found {value}")
        _check_range(float(value), above, hi, noun, lo_open=True)
        return float(value)
    parse.__name__ = "number"
    return parse


#: the flags every command shares
positive_int = whole_number(1)
positive_float = number(0.0)


def path_flag(text: str) -> Path:
    """An argparse type for a file or folder name: any text but an empty one."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a file or folder name, found an empty one")
    return Path(text)


def out_flag(text: str) -> Path:
    """An argparse type for the file or folder a command writes (`--out`): a name, not one ending
    in "." or ".." (`RUN/gis/..`), which names a folder by a way into it that cannot be replaced:
    the system refuses to rename onto it ("Device or resource busy")."""
    path = path_flag(text)
    if problem := out_problem(text):
        raise argparse.ArgumentTypeError(problem)
    return path


def out_problem(text: str) -> str | None:
    """What is wrong with `text` as the name of what a command writes (its last part "." or ".."),
    or None."""
    if (last := text.rstrip("/").rsplit("/", 1)[-1]) in (".", ".."):
        return f"expected the name of what to write, found '{text}', which ends in '{last}': give the folder's own name"
    return None


def fraction(text: str) -> float:
    """An argparse type for a finite number between 0 and 1 (both allowed)."""
    try:
        value = read_number(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, found {text}")
    _check_range(float(value), 0.0, 1.0, "a number")
    return float(value)


def day_list(text: str) -> list[float]:
    """'2,10.5' → [2.0, 10.5]: days (finite, >= 0) separated by commas."""
    try:
        days = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected days separated by commas, e.g. 2,10; found '{text}'") from None
    if not days or not all(0 <= d < float("inf") for d in days):  # also refuses nan
        raise argparse.ArgumentTypeError(f"expected days >= 0 separated by commas, found '{text}'")
    return days
