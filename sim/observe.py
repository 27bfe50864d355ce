"""What is observed each step, into preallocated arrays; tables are built once, at the end.

Per step: area controlled per faction (km² and share of the land), strategic-value-weighted
control, contested and ungoverned shares, who holds each named place, whether each faction's
land bridge is connected, convoy states, incidents by kind, strength by faction, the tension of
each rival pair and whether it has turned hostile, and (with a population) each faction's support. Every
`frame_every_hours` a snapshot of the control map and the units is kept for the animation.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from scipy.ndimage import label

from sim.factions import ALLIED
from sim.holding import PlaceHolding
from sim.influence import CONTESTED, UNGOVERNED
from sim.narrative import INCIDENT_KINDS

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
        self._value = np.where(corridor_map.land, corridor_map.strategic_value, 0.0).ravel()
        self._value_total = float(self._value.sum()) or 1.0
        allied = model.factions.relation == ALLIED
        c = model.spec.control
        #: who holds each named place: its footprint (sim/holding.py); the planners read it too
        self.holding = PlaceHolding(corridor_map, model.influence, c.place_radius_km, c.place_share, allied)
        footprints = self.holding.cells[self._bridge_index][self.holding.valid[self._bridge_index]]
        self._bridge_footprints = np.zeros(corridor_map.shape, dtype=bool)
        self._bridge_footprints.ravel()[footprints] = True
        self._frame_every = max(1, int(round(frame_every_hours / model.step_hours)))
        _check_frames(model, n // self._frame_every + 2)
        # per faction, which controller codes (contested, ungoverned, factions…) count as friendly
        self._friendly = {f: np.concatenate(([False, False], allied[f])) for f in range(nf)}
        self.frames: list[dict] = []

    def count(self, kind: str) -> None:
        """One incident of `kind` (one of `sim.narrative.INCIDENT_KINDS`), counted in the next row."""
        self._pending[kind] += 1

    def record(self) -> None:
        """Observe the model now (at `model.hours`) into the next row; keep a frame every
        `frame_every_hours` and at the last step."""
        m, i = self.model, self.rows
        nf = len(m.factions)
        controller = m.influence.controller
        self.hours[i] = m.hours
        codes = np.where(self._land, controller.astype(np.int16) + 2, -1).ravel()
        on_land = codes >= 0
        counts = np.bincount(codes[on_land], minlength=nf + 2)
        self.area_km2[i] = counts[2:] * m.map.km2_per_cell
        self.contested[i] = counts[CONTESTED + 2] / self._land_cells
        self.ungoverned[i] = counts[UNGOVERNED + 2] / self._land_cells
        weighted = np.bincount(codes[on_land], weights=self._value[on_land], minlength=nf + 2)
        self.value_share[i] = weighted[2:] / self._value_total
        self.strength[i] = m.influence.presence.sum(axis=(1, 2, 3))
        self.holder[i] = self.holding.holders()  # footprints, sim/holding.py
        for j, f in enumerate(self.bridge_factions):
            self.land_bridge[i, j] = self._bridge_open(controller, f)
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

    def _bridge_open(self, controller: np.ndarray, faction: int) -> bool:
        """Is the faction's land bridge open: every land-bridge place held (its footprint,
        sim/holding.py) by the faction or its allies, and the places linked
        through their footprints and land that no other faction holds or contests (held by the
        faction or its allies, or ungoverned: a supply route crosses empty desert, not a rival's
        ground)?"""
        ends = [p.cell for p in self.bridge_places]
        friendly = self._friendly[faction]  # indexed by controller code + 2
        holders = self.holding.holders(controller)
        if not all(friendly[holders[k] + 2] for k in self._bridge_index):
            return False
        passable = friendly.copy()
        passable[UNGOVERNED + 2] = True
        held = (passable[controller + 2] & self._land) | self._bridge_footprints
        labels, _ = label(held, structure=EIGHT_CONNECTED)
        first = labels[ends[0]]
        return all(labels[rc] == first for rc in ends[1:])

    def snapshot(self) -> dict:
        """The control map and every unit's position, faction, kind, strength, id and label, for
        drawing and for the GIS layers of a run (`sim.run_gis`)."""
        m = self.model
        units = [(u.rc[0], u.rc[1], u.faction, u.kind, u.strength, u.unique_id, u.label)
                 for u in m.agents if u.alive]
        return {"hours": m.hours, "controller": m.influence.controller.copy(),
                "units": np.array(units, dtype=[("row", "i4"), ("col", "i4"), ("faction", "i2"),
                                                ("kind", "U16"), ("strength", "f4"), ("uid", "i8"),
                                                ("label", "U48")])}

    def result(self):
        from sim.results import RunResult

        return RunResult.from_recorder(self)


#: most memory the kept map snapshots (the animation's frames) may take, and a unit's share
MAX_FRAME_BYTES = 2_000_000_000
_UNIT_BYTES = 78


def _check_frames(model, frames: int) -> None:
    """Refuse, before the first step, a run whose snapshots would exceed MAX_FRAME_BYTES
    (estimated from the map's cells and the units the scenario starts with)."""
    from sim.errors import UserError

    cells = int(np.prod(model.map.shape))
    units = sum(f.units for f in model.spec.forces)
    need = frames * (cells + _UNIT_BYTES * units)
    if need > MAX_FRAME_BYTES:
        raise UserError(f"{model.loaded.source}: this run would keep {frames:,} map snapshots of {cells:,} cells and "
                        f"{units:,} units (about {need / 1e9:.1f} GB); at most {MAX_FRAME_BYTES / 1e9:g} GB: run fewer "
                        "days, use a larger map.cell_km, or keep fewer snapshots (sweeps keep only the last map)")
