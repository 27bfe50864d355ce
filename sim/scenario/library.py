"""The shipped scenarios: where they live, and each one's first sentence for ``python run.py list``."""

from __future__ import annotations

import re
from pathlib import Path

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
