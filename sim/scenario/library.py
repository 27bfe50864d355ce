"""The shipped scenarios: where they live, and each one's first sentence for ``python run.py list``."""

from __future__ import annotations

import re
from pathlib import Path

from sim.program.errors import UserError, did_you_mean
from sim.scenario.extends import load_tree
from sim.scenario.report import display_path
from sim.scenario.yaml_lines import StopReading


def shipped_scenarios(directory: Path) -> list[tuple[Path, str]]:
    """Every scenario file directly in `directory` (not sweeps/), sorted, with a short description."""
    out = []
    for path in sorted(Path(directory).glob("*.yaml")):
        out.append((path, _short_description(path)))
    return out


def _short_description(path: Path) -> str:
    try:
        data, _ = load_tree(path, display_path(path), [], [])
    except StopReading:
        return "(cannot be read: run `python run.py validate` on it)"
    text = data.get("description") if isinstance(data, dict) else None
    if not isinstance(text, str) or not text.strip():
        return "(no description)"
    text = " ".join(text.split())
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    sentence = m.group(1) if m else text
    if len(sentence) > 100:
        cut = sentence[:100].rsplit(" ", 1)[0]
        sentence = cut.rstrip(",;:") + "…"
    return sentence


def find_in_library(name: str | Path, directory: Path, what: str = "scenario") -> Path:
    """A file by its path, or by its name in a library folder: 'open_road', 'open_road.yaml'.

    A bare name (no folder, no .yaml) that is in neither place raises `UserError` naming the
    library's files, with a suggestion; any other path is returned as given, for the reader to
    report. An empty name or a folder raises `UserError` saying so."""
    if not str(name).strip():
        raise UserError(f"the {what} is empty: give a {what} file or a name from {directory}")
    path = Path(name)
    if path.is_dir():
        raise UserError(f"{name}: is a folder, not a {what} file; give one of its .yaml files or a name from "
                        f"{directory}")
    if path.is_file() or path.parent != Path("."):
        return path
    stem = path.name.removesuffix(".yaml")
    candidate = Path(directory) / f"{stem}.yaml"
    if candidate.is_file():
        return candidate
    if path.suffix:
        return path
    names = sorted(p.stem for p in Path(directory).glob("*.yaml"))
    hint = did_you_mean(stem, names) or f"; the library has {', '.join(names)}"
    raise UserError(f"{name}: no such {what} file, nor a {what} of that name in {directory}{hint}")
