"""What is observed each step, into preallocated arrays; tables are built once, at the end.

The recorder holds one `Outputs` object per mechanism (sim/outputs.py) and asks each,
in `STEP_TABLE_ORDER`, to record a row, to give its columns and its summary figures: area
controlled per faction, strategic-value-weighted control, contested and ungoverned shares and
strengths (sim/submodels/control.py), whether each faction's land bridge is connected, the
tension of each rival pair and whether it has turned hostile (sim/submodels/tension.py), each
faction's support (sim/submodels/population.py), incidents by kind (sim/results/event_log.py),
who holds each named place, convoy states (agents/convoy.py); then the figures of the
economy, the planners and the rules. As they happen, the violent incidents (`violence`,
sim.hindcast.events). Every `frame_every_hours` a snapshot of the control map and the units is
kept for the animation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.agents.convoy import ConvoyOutcomes
from sim.hindcast.events import ViolenceLog
from sim.outputs import Column, Outputs
from sim.results.event_log import IncidentCounts
from sim.submodels.control import LandBridge, LandShares, PlaceHolders, land_bridge_places
from sim.submodels.holding import PlaceHolding
from sim.submodels.population import SupportRecord
from sim.submodels.tension import TensionRecord
from sim.world.factions import ALLIED

#: the mechanisms' outputs whose columns make up the step table, in its column order (each
#: built from the model once it is assembled; `IncidentCounts` by the recorder itself)
STEP_TABLE_ORDER = (LandShares, LandBridge, TensionRecord, SupportRecord, IncidentCounts, PlaceHolders,
                    ConvoyOutcomes)


#: the columns that say when a row was recorded, first in the step table (the recorder's own)
INDEX_COLUMNS = (
    Column("step", "steps", "steps completed; 0 is the initial state, before the first step", "step"),
    Column("hours", "h", "simulated hours since the start at the end of the step (`step` × `time.step_hours`)",
           "hours"),
    Column("day", "days", "`hours` / 24", "day"),
    Column("date", "ISO date", "the calendar date at `hours` (YYYY-MM-DD): day 0 is the scenario's "
           "`time.start_date` (default 2017-11-19)", "date"),
)


def all_columns() -> tuple[Column, ...]:
    """Every documented column of the step table after the `INDEX_COLUMNS`, in order."""
    return tuple(c for cls in STEP_TABLE_ORDER for c in cls.columns)


def outputs_markdown() -> str:
    """docs/outputs.md's table of the step table's columns (its generated section), one line
    `| column | unit | meaning |` per column."""
    lines = ["| column | unit | meaning |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {c.unit} | {c.meaning} |" for c in (*INDEX_COLUMNS, *all_columns())]
    return "\n".join(lines)


def key_place(observe, corridor_map):
    """The Place whose holder summaries and the teaching app show: `observe.key_place`, else
    the first town or city of the land bridge, else its first place."""
    if observe.key_place is not None:
        return corridor_map.find_place(observe.key_place)
    places = land_bridge_places(observe, corridor_map)
    return next((p for p in places if p.kind in ("town", "city")), places[0])


@dataclass(frozen=True)
class ControlChange:
    """The cells whose controller changed since the row before: `cells` flat indices and `was`
    their controller codes in that row."""

    cells: np.ndarray
    was: np.ndarray


#: no cell changed hands since the row before
UNCHANGED = ControlChange(np.empty(0, dtype=np.intp), np.empty(0, dtype=np.int8))


class Recorder:
    """Rows of observations, one per `record()` (the initial state, then one per step): `hours`
    (n,), and each mechanism's arrays in its `Outputs` (`outputs`, in step-table order, then
    the economy, the planners and the rules)."""

    def __init__(self, model, frame_every_hours: float):
        self.model = model
        corridor_map = model.map
        n = model.n_steps + 1
        self.rows = 0
        self.hours = np.zeros(n)
        c = model.spec.control
        #: who holds each named place (sim/submodels/holding.py): the ground (its footprint), which the
        #: planners read, and the tenure, which is recorded
        start = {corridor_map.find_place(name).name: model.factions.index(fid)
                 for name, fid in c.held_at_start.items()}
        self.holding = PlaceHolding(corridor_map, model.influence, c.place_radius_km, c.place_share,
                                    model.factions.relation == ALLIED, held_at_start=start,
                                    units_at=lambda rc: model.grid[rc].agents)
        self.incident_counts = IncidentCounts(n)
        #: every mechanism's outputs, built at the first `record` (once the model is assembled)
        self.outputs: list = []
        self._recording: list = []
        self._frame_every = max(1, int(round(frame_every_hours / model.step_hours)))
        _check_frames(model, n // self._frame_every + 2)
        self.frames: list[dict] = []
        #: every violent incident as it happens (`add` from the model, agents and rules), for the events table
        self.violence = ViolenceLog()
        self._controller_seen: np.ndarray | None = None  # the control map of the row before
        # the control map object of the row before: the influence field makes a new one at each
        # classification and never changes one in place (nor do the holders, sim/submodels/holding.py,
        # which rely on it too), so the same object is the same map
        self._controller_row: np.ndarray | None = None

    def _start(self) -> None:
        """Build every mechanism's outputs, in step-table order, once the model is assembled
        (the population, the planners and the rules exist only then)."""
        m = self.model
        self.outputs = [self.incident_counts if cls is IncidentCounts else cls(m) for cls in STEP_TABLE_ORDER]
        self.land, self.bridge, self.held, self.convoys = (self.outputs[STEP_TABLE_ORDER.index(cls)] for cls in (
            LandShares, LandBridge, PlaceHolders, ConvoyOutcomes))
        self.outputs += [m.economy, *m.planners.values(), *m.rules]
        #: those that record something each row (most rules and the economy give figures only)
        self._recording = [o for o in self.outputs if type(o).record is not Outputs.record]

    # what the teaching app reads of the rows (sim/app/, sim/figures/live.py)
    area_km2 = property(lambda self: self.land.area_km2)
    strength = property(lambda self: self.land.strength)
    contested = property(lambda self: self.land.contested)
    ungoverned = property(lambda self: self.land.ungoverned)
    holder = property(lambda self: self.held.holder)
    places = property(lambda self: self.held.places)
    bridge_places = property(lambda self: self.bridge.bridge_places)
    incidents = property(lambda self: self.incident_counts.incidents)
    convoy_states = property(lambda self: self.convoys.convoy_states)

    def count(self, kind: str) -> None:
        """One incident of `kind` (one of `sim.results.event_log.INCIDENT_KINDS`), counted in the next row."""
        self.incident_counts.count(kind)

    def incident(self, kind: str, text: str, unit, *, place: str | None = None,
                 fighters: float | None = None, other=None) -> None:
        """One incident of `kind` now (one of `sim.results.event_log.INCIDENT_KINDS`): its line in the
        event log (`model.log`), stamped with the model's clock, and counted in the next row.

        `unit` (or None: an event of the world) and `other` name the factions involved; `place`
        defaults to the named place nearest `unit`, added to `text` as "(near …)" unless the
        text names it; `fighters`: how many fought or fell, if that is the news."""
        m = self.model
        if place is None and unit is not None:
            place = m.space.nearest_place_name(unit.rc)
        if unit is not None and place and " near " not in text and place not in text:
            text = f"{text} (near {place})"
        factions = [m.factions.ids[u.faction] for u in (unit, other) if u is not None]
        m.log.add(m.steps_done, m.hours, kind, text, factions=factions, place=place, fighters=fighters,
                  cell=getattr(unit, "rc", None))
        self.count(kind)

    def clash(self, cell, fa: int, fb: int, lost_a: float, lost_b: float) -> None:
        """One clash now at `cell` between factions `fa` and `fb` (indices), with the fighters
        each lost: counted in the next row and noted among the violent incidents."""
        self.incident_counts.count("clash")
        ids = self.model.factions.ids
        self.violence.add(self.model.hours, cell, "clash", ids[fa], ids[fb], lost_a, lost_b)

    def record(self) -> None:
        """Observe the model now (at `model.hours`) into the next row; keep a frame every
        `frame_every_hours` and at the last step."""
        m, i = self.model, self.rows
        if i == 0:
            self._start()
        controller = m.influence.controller
        self.hours[i] = m.hours
        seen = self._controller_seen
        changed = None
        if seen is not None:
            if controller is self._controller_row:  # not classified since: no cell changed hands
                changed = UNCHANGED
            else:
                cells = np.flatnonzero(controller.ravel() != seen.ravel())
                changed = ControlChange(cells, seen.ravel()[cells])
        self.holding.update()
        for outputs in self._recording:
            outputs.record(i, changed)
        if changed is None or len(changed.cells):
            self._controller_seen = controller.copy()
        self._controller_row = controller
        if i % self._frame_every == 0 or i == m.n_steps:
            self.frames.append(self.snapshot())
        self.rows += 1

    def steps(self, rows: slice | None = None) -> pd.DataFrame:
        """The step table (docs/outputs.md) of `rows` (default: every row recorded so far)."""
        rows = rows or slice(0, self.rows)
        hours = self.hours[rows]
        calendar = self.model.calendar
        cols = {"step": np.arange(self.rows)[rows], "hours": hours, "day": hours / 24.0,
                "date": [calendar.date_at_hours(h).isoformat() for h in hours]}  # INDEX_COLUMNS
        for outputs in self.outputs:
            cols.update(outputs.table(rows))
        return pd.DataFrame(cols)

    def summary(self) -> dict:
        """The run summary: every mechanism's figures over the rows recorded so far."""
        rows = slice(0, self.rows)
        out: dict = {}
        for outputs in self.outputs:
            out.update(outputs.summary(rows))
        return out

    def snapshot(self) -> dict:
        """The control map and every unit's position, faction, kind, strength, id and label, for
        drawing and for the GIS layers of a run (`sim.results.gis_layers`)."""
        m = self.model
        units = [(u.rc[0], u.rc[1], u.faction, u.kind, u.strength, u.unique_id, u.label)
                 for u in m.agents if u.alive]
        return {"hours": m.hours, "controller": m.influence.controller.copy(),
                "units": np.array(units, dtype=[("row", "i4"), ("col", "i4"), ("faction", "i2"),
                                                ("kind", "U16"), ("strength", "f4"), ("uid", "i8"),
                                                ("label", "U48")])}

    def result(self):
        from sim.results.result import RunResult

        return RunResult.from_recorder(self)


#: `frame_every_hours` for a run that keeps only its first and last map snapshot (a sweep, the app)
ONLY_FIRST_AND_LAST_FRAME = 1e12
#: most memory the kept map snapshots (the animation's frames) may take, and a unit's share
MAX_FRAME_BYTES = 2_000_000_000
_UNIT_BYTES = 78


def _check_frames(model, frames: int) -> None:
    """Refuse, before the first step, a run whose snapshots would exceed MAX_FRAME_BYTES
    (estimated from the map's cells and the units the scenario starts with)."""
    from sim.program.errors import UserError

    cells = int(np.prod(model.map.shape))
    units = sum(f.units for f in model.spec.forces)
    need = frames * (cells + _UNIT_BYTES * units)
    if need > MAX_FRAME_BYTES:
        raise UserError(f"{model.loaded.source}: this run would keep {frames:,} map snapshots of {cells:,} cells and "
                        f"{units:,} units (about {need / 1e9:.1f} GB); at most {MAX_FRAME_BYTES / 1e9:g} GB: run fewer "
                        "days, use a larger map.cell_km, or keep fewer snapshots (sweeps keep only the last map)")
