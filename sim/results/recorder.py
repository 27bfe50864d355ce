"""What is observed each step, into preallocated arrays; tables are built once, at the end.

A row costs what changed since the row before: the columns derived from the control map (areas,
shares, holders, land bridges) are copied from the row before when no cell changed hands, and
strengths when no fighter moved, was lost or gained (exactly the values a fresh computation
would give, since they are computed from the same arrays).

Per step: area controlled per faction (km² and share of the land), strategic-value-weighted
control, contested and ungoverned shares, who holds each named place, whether each faction's
land bridge is connected, convoy states, incidents by kind, strength by faction, the tension of
each rival pair and whether it has turned hostile, and (with a population) each faction's support;
as they happen, the violent incidents (`violence`, sim.hindcast.events). Every
`frame_every_hours` a snapshot of the control map and the units is kept for the animation.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from scipy.ndimage import label

from sim.hindcast.events import ViolenceLog
from sim.results.event_log import INCIDENT_KINDS
from sim.submodels.holding import PlaceHolding
from sim.submodels.influence import CONTESTED, UNGOVERNED
from sim.world.factions import ALLIED

EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


def land_bridge_places(observe, corridor_map) -> list:
    """The Places of the land bridge: `observe.land_bridge` (a scenario's Observation), or the
    map's own choice when it names none (`CorridorMap.default_land_bridge`)."""
    names = observe.land_bridge or corridor_map.default_land_bridge()
    return [corridor_map.find_place(p) for p in names]


def key_place(observe, corridor_map):
    """The Place whose holder summaries and the teaching app show: `observe.key_place`, else
    the first town or city of the land bridge, else its first place."""
    if observe.key_place is not None:
        return corridor_map.find_place(observe.key_place)
    places = land_bridge_places(observe, corridor_map)
    return next((p for p in places if p.kind in ("town", "city")), places[0])


class Recorder:
    """Rows of observations, one per `record()` (the initial state, then one per step), into
    arrays of `n_steps + 1` rows: `hours` (n,), `area_km2`, `value_share`, `strength` (n, F),
    `contested`, `ungoverned` (n,) land shares, `incidents` (n, kinds) counts since the row
    before, `holder` (n, places) controller codes, `land_bridge` (n, bridge factions) bool."""

    def __init__(self, model, frame_every_hours: float):
        self.model = model
        corridor_map = model.map
        n = model.n_steps + 1
        nf = len(model.factions)
        self.rows = 0
        self.hours = np.zeros(n)
        self.area_km2 = np.zeros((n, nf))
        self.value_share = np.zeros((n, nf))
        self.strength = np.zeros((n, nf))
        self.contested = np.zeros(n)
        self.ungoverned = np.zeros(n)
        self.incidents = np.zeros((n, len(INCIDENT_KINDS)), dtype=np.int32)
        self.places = list(corridor_map.places.values())
        self.holder = np.zeros((n, len(self.places)), dtype=np.int8)
        spec = model.spec.observe
        self.bridge_places = land_bridge_places(spec, corridor_map)
        self._bridge_index = [self.places.index(p) for p in self.bridge_places]
        ids = model.factions.ids
        self.bridge_factions = [ids.index(f) for f in (spec.land_bridge_factions or ids)]
        self.land_bridge = np.zeros((n, len(self.bridge_factions)), dtype=bool)
        self.rival_pairs = model.tension.rival_pairs
        self.tension = np.zeros((n, len(self.rival_pairs)))
        self.hostile = np.zeros((n, len(self.rival_pairs)), dtype=bool)
        self.support = np.zeros((n, nf)) if model.spec.population is not None else None
        self.convoy_states: list[tuple[str, ...]] = []
        self._kind_index = {k: i for i, k in enumerate(INCIDENT_KINDS)}
        self._pending = Counter()
        self._land = corridor_map.land
        self._land_cells = int(corridor_map.land.sum())
        value = np.where(corridor_map.land, corridor_map.strategic_value, 0.0).ravel()
        self._value_total = float(value.sum()) or 1.0
        self._land_flat = corridor_map.land.ravel()
        self._value_flat = value
        c = model.spec.control
        #: who holds each named place: its footprint (sim/submodels/holding.py); the planners read it too
        self.holding = PlaceHolding(corridor_map, model.influence, c.place_radius_km, c.place_share,
                                    model.factions.relation == ALLIED)
        footprints = self.holding.cells[self._bridge_index][self.holding.valid[self._bridge_index]]
        self._bridge_footprints = np.zeros(corridor_map.shape, dtype=bool)
        self._bridge_footprints.ravel()[footprints] = True
        self._frame_every = max(1, int(round(frame_every_hours / model.step_hours)))
        _check_frames(model, n // self._frame_every + 2)
        allied = model.factions.relation == ALLIED
        # per faction, which controller codes (contested, ungoverned, factions…) count as friendly
        self._friendly = {f: np.concatenate(([False, False], allied[f])) for f in range(nf)}
        # … and which a supply route may cross: the friendly ones and ungoverned ground
        self._passable = {f: self._friendly[f].copy() for f in range(nf)}
        for passable in self._passable.values():
            passable[UNGOVERNED + 2] = True
        self.frames: list[dict] = []
        #: every violent incident as it happens (`add` from the model, agents and rules), for the events table
        self.violence = ViolenceLog()
        self._controller_seen: np.ndarray | None = None  # the control map of the row before
        self._presence_seen: list[int] | None = None  # InfluenceField.changes at the row before
        # per land-bridge faction: are its places linked through passable land on the control
        # map of the row before (None: not known)
        self._linked: list[bool | None] = [None] * len(self.bridge_factions)
        # (only inferred from the row before when every place is on land, as the map puts them)
        self._ends_on_land = all(corridor_map.land[p.cell] for p in self.bridge_places)

    def count(self, kind: str) -> None:
        """One incident of `kind` (one of `sim.results.event_log.INCIDENT_KINDS`), counted in the next row."""
        self._pending[kind] += 1

    def clash(self, cell, fa: int, fb: int, lost_a: float, lost_b: float) -> None:
        """One clash now at `cell` between factions `fa` and `fb` (indices), with the fighters
        each lost: counted in the next row and noted among the violent incidents."""
        self._pending["clash"] += 1
        ids = self.model.factions.ids
        self.violence.add(self.model.hours, cell, "clash", ids[fa], ids[fb], lost_a, lost_b)

    def record(self) -> None:
        """Observe the model now (at `model.hours`) into the next row; keep a frame every
        `frame_every_hours` and at the last step."""
        m, i = self.model, self.rows
        controller = m.influence.controller
        self.hours[i] = m.hours
        seen = self._controller_seen
        changed = None if seen is None else np.flatnonzero(controller.ravel() != seen.ravel())
        if changed is not None and len(changed) == 0:
            for column in (self.area_km2, self.contested, self.ungoverned, self.value_share, self.holder,
                           self.land_bridge):
                column[i] = column[i - 1]
        else:
            self._observe_control(i, controller, changed)
            self._controller_seen = controller.copy()
        if self._presence_seen == m.influence.changes:
            self.strength[i] = self.strength[i - 1]
        else:
            self.strength[i] = m.influence.presence.sum(axis=(1, 2, 3))
            self._presence_seen = list(m.influence.changes)
        if self.rival_pairs:
            rows, cols = np.array(self.rival_pairs).T
            self.tension[i] = m.tension.level[rows, cols]
            self.hostile[i] = m.tension.escalated[rows, cols]
        if self.support is not None:
            self.support[i] = m.population.support_share()
        for kind, n in self._pending.items():
            self.incidents[i, self._kind_index[kind]] += n
        self._pending.clear()
        self.convoy_states.append(tuple(c.state.value for c in m.convoys))
        if i % self._frame_every == 0 or i == m.n_steps:
            self.frames.append(self.snapshot())
        self.rows += 1

    def _observe_control(self, i: int, controller: np.ndarray, changed: np.ndarray | None) -> None:
        """The columns of row `i` derived from the control map; `changed`: the flat indices of
        the cells whose controller changed since the row before (None: no row before).

        Areas and values are counted over the governed and contested land cells only (a few per
        cent of the map; each faction's value is summed in the same cell order as over the whole
        map, so to the same bits). A land bridge's places are traced through the map again only
        when the change could alter whether they are linked: a linked bridge stays linked if no
        cell stopped being passable, an unlinked one stays unlinked if none became passable."""
        nf = len(self.model.factions)
        flat = controller.ravel()
        cells = np.flatnonzero((flat >= CONTESTED) & self._land_flat)
        codes = flat[cells].astype(np.intp) + 2
        counts = np.bincount(codes, minlength=nf + 2)
        counts[UNGOVERNED + 2] = self._land_cells - counts.sum()
        self.area_km2[i] = counts[2:] * self.model.map.km2_per_cell
        self.contested[i] = counts[CONTESTED + 2] / self._land_cells
        self.ungoverned[i] = counts[UNGOVERNED + 2] / self._land_cells
        weighted = np.bincount(codes, weights=self._value_flat[cells], minlength=nf + 2)
        self.value_share[i] = weighted[2:] / self._value_total
        self.holder[i] = self.holding.holders(controller)  # footprints, sim/submodels/holding.py
        if changed is not None:
            was, now = self._controller_seen.ravel()[changed] + 2, flat[changed] + 2
        for j, f in enumerate(self.bridge_factions):
            linked, passable = self._linked[j], self._passable[f]
            if changed is None or not self._ends_on_land or (linked and (passable[was] & ~passable[now]).any()) or (
                    linked is False and (passable[now] & ~passable[was]).any()):
                linked = None
            ends_held = self._ends_held(controller, f)
            if ends_held and linked is None:
                linked = self._linked_through(controller, f)
            self._linked[j] = linked
            self.land_bridge[i, j] = ends_held and linked

    def _bridge_open(self, controller: np.ndarray, faction: int) -> bool:
        """Is the faction's land bridge open: every land-bridge place held (its footprint,
        sim/submodels/holding.py) by the faction or its allies, and the places linked through
        their footprints and land that no other faction holds or contests (held by the faction
        or its allies, or ungoverned: a supply route crosses empty desert, not a rival's ground)?"""
        return self._ends_held(controller, faction) and self._linked_through(controller, faction)

    def _ends_held(self, controller: np.ndarray, faction: int) -> bool:
        """Every land-bridge place held (its footprint) by the faction or its allies."""
        friendly = self._friendly[faction]  # indexed by controller code + 2
        holders = self.holding.holders(controller)
        return all(friendly[holders[k] + 2] for k in self._bridge_index)

    def _linked_through(self, controller: np.ndarray, faction: int) -> bool:
        """The land-bridge places in one 8-connected patch of land passable to the faction, or
        of their footprints (a held place is passable through its own footprint)."""
        ends = [p.cell for p in self.bridge_places]
        held = (self._passable[faction][controller + 2] & self._land) | self._bridge_footprints
        labels, _ = label(held, structure=EIGHT_CONNECTED)
        first = labels[ends[0]]
        return all(labels[rc] == first for rc in ends[1:])

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
