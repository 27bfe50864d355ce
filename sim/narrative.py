"""The event log: what happened, when and where, as records (JSON lines) and as readable text.

Times are written as "day D HH:MM" counted from the start (day 0 00:00), the form teachers read
aloud: "day 3 06:00 — Russian convoy R1 halted at the Albu Kamal checkpoint ...".
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

INCIDENT_KINDS = ("standoff", "clash", "ambush", "airstrike", "defection", "detection", "recruitment",
                  "arrival", "withdrawal", "reinforcement", "decision", "relation", "event")


def clock_text(hours: float) -> str:
    day, rem = divmod(hours, 24.0)
    h = int(rem)
    m = int(round((rem - h) * 60))
    if m == 60:
        h, m = h + 1, 0
    return f"day {int(day)} {h:02d}:{m:02d}"


def fighters_text(n: float) -> str:
    """Fighters as the log says them: '1 fighter', '30 fighters', 'less than one fighter'
    (a loss that rounds to nothing), 'no fighters'."""
    whole = round(float(n))
    if whole == 0:
        return "less than one fighter" if n > 0 else "no fighters"
    return f"{whole:,} fighter" + ("" if whole == 1 else "s")


@dataclass
class LogEntry:
    """One incident: `step` is the number of steps completed when it happened (the index, from 0,
    of the step under way), `hours` the simulated hours since the start (the start of that step),
    `factions` the ids of the factions involved, `fighters` the fighters concerned (if any)."""

    step: int
    hours: float
    kind: str
    text: str
    factions: list[str] = field(default_factory=list)
    place: str | None = None
    fighters: float | None = None

    def narrative(self) -> str:
        return f"{clock_text(self.hours)} — {self.text}"


class EventLog:
    def __init__(self):
        self.entries: list[LogEntry] = []

    def add(self, step: int, hours: float, kind: str, text: str, *, factions=(), place=None,
            fighters=None) -> LogEntry:
        entry = LogEntry(step, hours, kind, text, list(factions), place,
                         None if fighters is None else round(float(fighters), 1))
        self.entries.append(entry)
        return entry

    def to_jsonl(self) -> str:
        return "".join(json.dumps(asdict(e), ensure_ascii=False) + "\n" for e in self.entries)

    def to_text(self) -> str:
        return "".join(e.narrative() + "\n" for e in self.entries)
