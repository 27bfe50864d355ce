"""Errors a user can act on: where (file, line, key path), what was expected, what was found."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, printed as `file:line: key.path: message`."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class UserError(Exception):
    """Bad input: the CLI prints it (no traceback) and exits with status 2."""


class InputErrors(UserError):
    """Every problem found in one input file, reported together."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def did_you_mean(name: str, candidates) -> str:
    """' (did you mean 'x'?)' for the nearest candidate, or '' when nothing is close."""
    match = get_close_matches(str(name), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


def describe_found(value: Any) -> str:
    """How a value found in a file is described in a message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a yes/no value)"
    if isinstance(value, float):
        return f"{value:.1f}" if value.is_integer() and abs(value) < 1e15 else f"{value:g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in shown)  # one line, visible
        return f"a string '{shown}'" if value else "an empty string"
    if isinstance(value, list):
        return "an empty list" if not value else f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return "an empty mapping" if not value else "a mapping"
    return f"a {type(value).__name__} {value!s:.40}"


def describe_content(value: Any) -> str:
    """What a whole file was found to hold when it is not a mapping: its kind, never its text
    (the file may be anything, such as /etc/passwd, and its words are not repeated)."""
    if isinstance(value, str):
        return "a line of text, not a mapping (is it the right file?)"
    return describe_found(value)
