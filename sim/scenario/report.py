"""Where problems are reported: each key path at the file and line that set it.

One :class:`Report` serves scenario files (whose keys may come from files they extend, or from
overrides) and sweep files alike.
"""

from __future__ import annotations

from pathlib import Path

from sim.program.errors import Problem
from sim.scenario.fields import PathT
from sim.scenario.keypaths import format_path

#: where a key path was set: (file as displayed, line or None, note or None)
Origin = tuple[str, int | None, str | None]


def file_origins(display: str, lines: dict[PathT, int]) -> dict[PathT, Origin]:
    """The origins of the key paths of one file, from {key path: line} as read by `read_yaml`."""
    return {p: (display, line, None) for p, line in lines.items()}


def display_path(path: Path) -> str:
    """A path as the user would recognise it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, RuntimeError, OSError):  # outside it; a loop of links (RuntimeError)
        return str(path)


class Report:
    """Collects problems, locating each key path in the file and line that set it."""

    def __init__(self, origins: dict, source: str):
        self.origins = origins
        self.source = source
        self.problems: list[Problem] = []

    def where(self, path: PathT) -> Origin:
        """The origin of `path`, or of its nearest parent that has one (else the source file)."""
        p = tuple(path)
        while True:
            if p in self.origins:
                return self.origins[p]
            if not p:
                return (self.source, None, None)
            p = p[:-1]

    def __call__(self, path: PathT, message: str) -> None:
        """Add a problem at `path`, located where `path` was set; an origin's note is appended."""
        file, line, note = self.where(path)
        if note:
            message = f"{message} ({note})"
        self.problems.append(Problem(file, line, format_path(path), message))
