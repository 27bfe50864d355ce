"""The event log: what happened, when and where, as records (JSON lines) and as readable text.

Times are written as the calendar date and time with the day counted from the start (day 0 is
the scenario's ``time.start_date``), the form teachers read aloud: "2017-11-22 06:00 (day 3) —
Russian convoy R1 halted at the Albu Kamal checkpoint ...". Without a calendar, "day 3 06:00".
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np

from sim.outputs import Column, Outputs
from sim.world.calendar import Calendar

INCIDENT_KINDS = ("standoff", "clash", "ambush", "airstrike", "defection", "detection", "recruitment",
                  "arrival", "withdrawal", "reinforcement", "decision", "relation", "event")


class IncidentCounts(Outputs):
    """Per row, `incidents` (n, kinds) int32: incidents of each kind (`INCIDENT_KINDS`)
    counted (`count`) since the row before."""

    columns = (Column("incidents_<kind>", "count in the step",
                      "incidents of that kind during the step: `standoff`, `clash`, `ambush`, `airstrike`, "
                      "`defection`, `detection`, `recruitment`, `arrival`, `withdrawal`, `reinforcement`, `decision` "
                      "(a planner's), `relation` (a change of relation), `event`. Counts are of incidents as they "
                      "happen: `clash` counts every battle in every step, while the narrative logs at most one clash "
                      "per place and pair of factions every 6 h, so the two differ. An incident in `events.jsonl` has "
                      "the `step` of the row that counts it (the step during which it happened, from 1; its `hours` "
                      "are the start of that step)", "incidents_"),)

    def __init__(self, n_rows: int):
        self.incidents = np.zeros((n_rows, len(INCIDENT_KINDS)), dtype=np.int32)
        self._kind_index = {k: i for i, k in enumerate(INCIDENT_KINDS)}
        self._pending = Counter()

    def count(self, kind: str) -> None:
        """One incident of `kind` (one of `INCIDENT_KINDS`), counted in the next row."""
        self._pending[kind] += 1

    def record(self, i: int, changed) -> None:
        for kind, n in self._pending.items():
            self.incidents[i, self._kind_index[kind]] += n
        self._pending.clear()

    def table(self, rows: slice) -> dict:
        return {f"incidents_{kind}": self.incidents[rows, k] for k, kind in enumerate(INCIDENT_KINDS)}

    def summary(self, rows: slice) -> dict:
        """Each kind's count over the rows."""
        return {name: int(values.sum()) for name, values in self.table(rows).items()}


def clock_text(hours: float, calendar: Calendar | None = None) -> str:
    """`hours` since the start as "2017-11-20 06:00 (day 1)" (with a calendar) or "day 1 06:00"."""
    minutes = int(round(hours * 60.0))
    day, rem = divmod(minutes, 24 * 60)
    if calendar is None:
        return f"day {day} {rem // 60:02d}:{rem % 60:02d}"
    return f"{calendar.datetime_at_hours(minutes / 60.0):%Y-%m-%d %H:%M} (day {day})"



def fighters_text(n: float) -> str:
    """Fighters as the log says them: '1 fighter', '30 fighters', 'less than one fighter'
    (a loss that rounds to nothing), 'no fighters'."""
    whole = round(float(n))
    if whole == 0:
        return "less than one fighter" if n > 0 else "no fighters"
    return f"{whole:,} fighter" + ("" if whole == 1 else "s")


@dataclass
class LogEntry:
    """One incident: `step` is the step during which it happened, numbered from 1 like the row
    of the step table (`steps.csv`) that counts it in `incidents_<kind>` (row 0 is the initial
    state, before any step); `hours` the simulated hours since the start at the start of that
    step,
    `date` and `time` the calendar date (ISO YYYY-MM-DD) and clock time (HH:MM) of that hour,
    `factions` the ids of the factions involved, `fighters` the fighters concerned (if any),
    `cell` the (row, col) where it happened (the GIS events layer places it there; not written
    to events.jsonl, which names the place)."""

    step: int
    hours: float
    date: str
    time: str
    kind: str
    text: str
    factions: list[str] = field(default_factory=list)
    place: str | None = None
    fighters: float | None = None
    cell: tuple[int, int] | None = None

    def narrative(self) -> str:
        return f"{self.date} {self.time} (day {int((self.hours + 1e-9) // 24)}) — {self.text}"


class EventLog:
    """The run's log; `calendar` dates its entries."""

    def __init__(self, calendar: Calendar):
        self.calendar = calendar
        self.entries: list[LogEntry] = []

    def add(self, completed: int, hours: float, kind: str, text: str, *, factions=(), place=None,
            fighters=None, cell=None) -> LogEntry:
        """Log an incident that happened after `completed` steps, at `hours` (the start of the step
        under way): it belongs to step `completed + 1`, the row of the step table that counts it."""
        when = self.calendar.datetime_at_hours(round(hours * 60.0) / 60.0)
        entry = LogEntry(completed + 1, hours, when.date().isoformat(), f"{when:%H:%M}", kind, text, list(factions), place,
                         None if fighters is None else round(float(fighters), 1),
                         None if cell is None else (int(cell[0]), int(cell[1])))
        self.entries.append(entry)
        return entry

    def to_jsonl(self) -> str:
        return "".join(json.dumps({k: v for k, v in asdict(e).items() if k != "cell"}, ensure_ascii=False) + "\n"
                       for e in self.entries)

    def to_text(self) -> str:
        return "".join(e.narrative() + "\n" for e in self.entries)
