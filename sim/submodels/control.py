"""The outputs of the control map (sim/submodels/influence.py) and of who holds each place
(sim/submodels/holding.py): land shares and strengths, the land bridge, the holders.

A row costs what changed since the row before: the columns derived from the control map
(areas, shares, holders, land bridges) are copied from the row before when no cell changed
hands, and strengths when no fighter moved, was lost or gained (exactly the values a fresh
computation would give, since they are computed from the same arrays). Each class follows the
outputs protocol of sim/outputs.py.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import binary_dilation, label

from sim.outputs import Column, Outputs
from sim.submodels.influence import CONTESTED, UNGOVERNED
from sim.world.factions import ALLIED

EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


def land_bridge_places(observe, corridor_map) -> list:
    """The Places of the land bridge: `observe.land_bridge` (a scenario's Observation), or the
    map's own choice when it names none (`CorridorMap.default_land_bridge`)."""
    names = observe.land_bridge or corridor_map.default_land_bridge()
    return [corridor_map.find_place(p) for p in names]


def holder_name(code: int, faction_ids: list[str]) -> str:
    """A holder code (a faction index, CONTESTED or UNGOVERNED) as the step table writes it."""
    if code == CONTESTED:
        return "contested"
    if code == UNGOVERNED:
        return "ungoverned"
    return faction_ids[code]


def turned(passable: tuple[bool, ...], codes: list[tuple[int, int]], into: bool) -> bool:
    """Whether some changed cell turned passable (`into`), or stopped being passable, for a
    faction: `passable` per controller code + 2, `codes` each changed cell's (code before, code
    now), each + 2. In Python: a row changes a few cells (a median of 3 at 2 km / 2 h)."""
    if into:
        return any(passable[now] and not passable[was] for was, now in codes)
    return any(passable[was] and not passable[now] for was, now in codes)


class LandShares(Outputs):
    """Per row: `area_km2`, `value_share`, `strength` (n, F), `contested`, `ungoverned` (n,)
    land shares; at the end, the forces alive by kind."""

    columns = (
        Column("area_km2_<f>", "km²", "land the faction controls", "area_km2", "faction"),
        Column("share_<f>", "share of land (0–1)", "land the faction controls, as a share of all land",
               "share", "faction"),
        Column("value_share_<f>", "share of strategic value (0–1)",
               "strategic-value-weighted control: the faction's share of the map's total strategic value "
               "(towns, crossings, oil fields weigh more)", "value_share", "faction"),
        Column("strength_<f>", "fighters", "the faction's fighters on the map (all its units)", "strength", "faction"),
        Column("contested_share", "share of land (0–1)", "land where two factions' influence is too close to call",
               "contested_share"),
        Column("ungoverned_share", "share of land (0–1)",
               "land where no faction's influence reaches the control threshold", "ungoverned_share"),
    )

    def __init__(self, model):
        self.model = model
        corridor_map = model.map
        n, nf = model.n_steps + 1, len(model.factions)
        self.area_km2 = np.zeros((n, nf))
        self.value_share = np.zeros((n, nf))
        self.strength = np.zeros((n, nf))
        self.contested = np.zeros(n)
        self.ungoverned = np.zeros(n)
        self.land_cells = int(corridor_map.land.sum())
        value = np.where(corridor_map.land, corridor_map.strategic_value, 0.0).ravel()
        self._value_total = float(value.sum()) or 1.0
        self._land_flat = corridor_map.land.ravel()
        self._value_flat = value

    def record(self, i: int, changed) -> None:
        """Areas and values are counted over the governed and contested land cells only (a few
        per cent of the map; each faction's value is summed in the same cell order as over the
        whole map, so to the same bits)."""
        influence = self.model.influence
        if changed is not None and len(changed.cells) == 0:
            for column in (self.area_km2, self.contested, self.ungoverned, self.value_share):
                column[i] = column[i - 1]
        else:  # the counts as Python ints (exact), their areas and shares the same floats as numpy's
            nf = len(self.model.factions)
            cells = self._governed_land(influence)
            codes = influence.controller.ravel().take(cells) + 2  # int8: codes from 0 (contested)
            counts = np.bincount(codes, minlength=nf + 2).tolist()
            counts[UNGOVERNED + 2] = self.land_cells - sum(counts)
            km2 = self.model.map.km2_per_cell
            self.area_km2[i] = [n * km2 for n in counts[2:]]
            self.contested[i] = counts[CONTESTED + 2] / self.land_cells
            self.ungoverned[i] = counts[UNGOVERNED + 2] / self.land_cells
            weighted = np.bincount(codes, weights=self._value_flat.take(cells), minlength=nf + 2)
            np.divide(weighted[2:], self._value_total, out=self.value_share[i])
        # each faction's fighters (`InfluenceField.faction_strength`: the running total `add`
        # keeps, the presence's sum to rounding)
        self.strength[i] = [influence.faction_strength(f) for f in range(len(influence.changes))]

    def _governed_land(self, influence) -> np.ndarray:
        """The land cells the control map governs or contests (controller ≥ CONTESTED), flat
        indices ascending: the classification's governed cells (`InfluenceField.governed`: the
        same cells, found once) on land when it made the control map as it stands, else found
        afresh (a control map set from outside the classification)."""
        controller, governed = influence.governed
        if controller is influence.controller:
            return governed[self._land_flat[governed]]
        return np.flatnonzero((influence.controller.ravel() >= CONTESTED) & self._land_flat)

    def table(self, rows: slice) -> dict:
        land_km2 = self.land_cells * self.model.map.km2_per_cell
        out = {}
        for j, f in enumerate(self.model.factions.ids):
            out[f"area_km2_{f}"] = self.area_km2[rows, j]
            out[f"share_{f}"] = self.area_km2[rows, j] / land_km2
            out[f"value_share_{f}"] = self.value_share[rows, j]
            out[f"strength_{f}"] = self.strength[rows, j]
        out["contested_share"] = self.contested[rows]
        out["ungoverned_share"] = self.ungoverned[rows]
        return out

    def summary(self, rows: slice) -> dict:
        """The last row's shares, areas and strengths; the local militia units of each faction
        and the insurgent cells alive at the end."""
        last = rows.stop - 1
        land_km2 = self.land_cells * self.model.map.km2_per_cell
        out = {}
        for j, f in enumerate(self.model.factions.ids):
            out[f"share_{f}"] = round(float(self.area_km2[last, j] / land_km2), 6)
            out[f"area_km2_{f}"] = round(float(self.area_km2[last, j]), 3)
            out[f"value_share_{f}"] = round(float(self.value_share[last, j]), 6)
            out[f"strength_{f}"] = round(float(self.strength[last, j]), 3)
        out["contested_share"] = round(float(self.contested[last]), 6)
        out["ungoverned_share"] = round(float(self.ungoverned[last]), 6)
        alive = [(u.kind, u.faction) for u in self.model.agents if u.alive]
        for j, f in enumerate(self.model.factions.ids):
            out[f"local_militia_units_{f}"] = alive.count(("local_militia", j))
        out["insurgent_cells"] = sum(1 for kind, _ in alive if kind == "insurgent")
        return out


class PlaceHolders(Outputs):
    """Per row, `holder` (n, places) holder codes of every named place (its tenure, the
    recorder's `PlaceHolding`: sim/submodels/holding.py)."""

    columns = (Column("holder_<place>", "category: faction id, contested or ungoverned",
                      "who holds the place (sim/submodels/holding.py, tenure): its defenders' faction while "
                      "they stand in its footprint, else the faction controlling the footprint; an "
                      "installation its garrison's; a faction id, `contested` or `ungoverned`", "holder", "place"),)

    def __init__(self, model):
        self.model = model
        self.places = list(model.map.places.values())
        self.holder = np.zeros((model.n_steps + 1, len(self.places)), dtype=np.int8)

    def record(self, i: int, changed) -> None:
        self.holder[i] = self.model.recorder.holding.held  # the tenure, advanced by the recorder

    def table(self, rows: slice) -> dict:
        """Each place's holders by name (`holder_name`), looked up for all rows at once."""
        ids = self.model.factions.ids
        names = np.array([holder_name(code, ids) for code in range(UNGOVERNED, len(ids))], dtype=object)
        return {f"holder_{place.name}": names[self.holder[rows, j] - UNGOVERNED].tolist()
                for j, place in enumerate(self.places)}


class LandBridge(Outputs):
    """Per row, `land_bridge` (n, bridge factions) bool: whether each faction named in
    `observe.land_bridge_factions` (all by default) links the land-bridge places.

    A bridge's places are traced through the map again only when the change could alter
    whether they are linked: a linked bridge stays linked if no cell stopped being passable, an
    unlinked one stays unlinked if none became passable; otherwise the tracing its answer rests
    on is checked on the changed cells alone (`_still`), and the map traced only if it fails."""

    columns = (Column("land_bridge_<f>", "1 = open, 0 = cut",
                      "whether the faction (with its allies) links the `observe.land_bridge` places through ground "
                      "it controls; only for `observe.land_bridge_factions`", "land_bridge_open", "faction"),)

    def __init__(self, model):
        self.model = model
        corridor_map, spec = model.map, model.spec.observe
        places = list(corridor_map.places.values())
        self.bridge_places = land_bridge_places(spec, corridor_map)
        self._bridge_index = [places.index(p) for p in self.bridge_places]
        ids = model.factions.ids
        self.bridge_factions = [ids.index(f) for f in (spec.land_bridge_factions or ids)]
        self.land_bridge = np.zeros((model.n_steps + 1, len(self.bridge_factions)), dtype=bool)
        self.holding = model.recorder.holding
        footprints = self.holding.cells[self._bridge_index][self.holding.valid[self._bridge_index]]
        self._bridge_footprints = np.zeros(corridor_map.shape, dtype=bool)
        self._bridge_footprints.ravel()[footprints] = True
        self._land = corridor_map.land
        allied = model.factions.relation == ALLIED
        # per faction, which controller codes (contested, ungoverned, factions…) count as friendly
        self._friendly = {f: np.concatenate(([False, False], allied[f])) for f in range(len(ids))}
        # … and which a supply route may cross: the friendly ones and ungoverned ground
        self._passable = {f: self._friendly[f].copy() for f in range(len(ids))}
        for passable in self._passable.values():
            passable[UNGOVERNED + 2] = True
        self._passable_codes = {f: tuple(passable.tolist()) for f, passable in self._passable.items()}
        # per land-bridge faction: are its places linked through passable land on the control
        # map of the row before (None: not known)
        self._linked: list[bool | None] = [None] * len(self.bridge_factions)
        # (only inferred from the row before when every place is on land, as the map puts them)
        self._ends_on_land = all(corridor_map.land[p.cell] for p in self.bridge_places)
        # per faction, the last tracing's answer and the cells it rests on (`_linked_through`)
        self._traced: dict[int, tuple[bool, np.ndarray]] = {}
        # per land-bridge faction, the tracing its `_linked` answer rests on (`record`; `is_open`
        # may have traced another control map since)
        self._basis: list[tuple | None] = [None] * len(self.bridge_factions)
        self._ends: tuple = (None, {})  # the holders `_ends_held` answered for, and its answers per faction

    def record(self, i: int, changed) -> None:
        if changed is not None and len(changed.cells) == 0:
            self.land_bridge[i] = self.land_bridge[i - 1]
            return
        controller = self.model.influence.controller
        if changed is not None:
            was, now = changed.was + 2, controller.ravel()[changed.cells] + 2
            codes = list(zip(was.tolist(), now.tolist(), strict=True))  # a few cells a row: Python, not numpy calls
        for j, f in enumerate(self.bridge_factions):
            linked, passable, kept = self._linked[j], self._passable[f], None
            if changed is None or not self._ends_on_land:
                linked = None
            elif linked is not None and turned(self._passable_codes[f], codes, into=not linked):
                kept, linked = self._basis[j], None  # the tracing the answer rests on: it held on the row before
            ends_held = self._ends_held(controller, f)
            if ends_held and linked is None:
                if kept is not None:
                    linked = self._still(kept, changed.cells, passable[now])
                if linked is None:
                    linked = self._linked_through(controller, f)
                    self._basis[j] = self._traced.get(f)
            self._linked[j] = linked
            self.land_bridge[i, j] = ends_held and linked

    def table(self, rows: slice) -> dict:
        ids = self.model.factions.ids
        return {f"land_bridge_{ids[f]}": self.land_bridge[rows, j] for j, f in enumerate(self.bridge_factions)}

    def summary(self, rows: slice) -> dict:
        """Per faction, whether its bridge is open at the end and its share of rows open."""
        ids, out = self.model.factions.ids, {}
        for j, f in enumerate(self.bridge_factions):
            out[f"land_bridge_{ids[f]}_open_at_end"] = bool(self.land_bridge[rows.stop - 1, j])
            out[f"land_bridge_{ids[f]}_open_share"] = round(float(self.land_bridge[rows, j].mean()), 6)
        return out

    def is_open(self, controller: np.ndarray, faction: int) -> bool:
        """Is the faction's land bridge open: every land-bridge place held (its footprint,
        sim/submodels/holding.py) by the faction or its allies, and the places linked through
        their footprints and land that no other faction holds or contests (held by the faction
        or its allies, or ungoverned: a supply route crosses empty desert, not a rival's ground)?"""
        return self._ends_held(controller, faction) and self._linked_through(controller, faction)

    def _ends_held(self, controller: np.ndarray, faction: int) -> bool:
        """Every land-bridge place held (its footprint) by the faction or its allies: answered
        once per holders array (`PlaceHolding.holders` gives the same array while no footprint
        changes hands, most rows)."""
        holders = self.holding.holders(controller)
        if self._ends[0] is not holders:
            self._ends = (holders, {})
        answers = self._ends[1]
        if faction not in answers:
            friendly = self._friendly[faction]  # indexed by controller code + 2
            answers[faction] = all(friendly[holders[k] + 2] for k in self._bridge_index)
        return answers[faction]

    def _still(self, traced: tuple[bool, np.ndarray], cells: np.ndarray, passable: np.ndarray) -> bool | None:
        """The answer of a kept tracing (`_linked_through`) that held on the control map of the
        row before, if it still holds now that only `cells` (flat) changed hands, `passable` (bool,
        per cell) whether each is passable to the faction now; else None. The passable map
        (`_linked_through`'s `held`) changed only at those cells: a linked patch still links while
        none of them left it, a ring still cuts while none of them joined it (the first place's
        cell is in its footprint: always passable)."""
        linked, kept = traced
        held = (passable & self._land.ravel()[cells]) | self._bridge_footprints.ravel()[cells]
        on = kept.ravel()[cells]
        if linked:
            return True if not (on & ~held).any() else None
        return False if not (on & held).any() else None

    def _linked_through(self, controller: np.ndarray, faction: int) -> bool:
        """The land-bridge places in one 8-connected patch of land passable to the faction, or
        of their footprints (a held place is passable through its own footprint).

        The faction's last tracing is kept with the cells its answer rests on, and holds for
        any control map on which they stand: linked, the patch linking the places, still
        linked while every cell of it is passable; not linked, the ring of cells around the
        first place's patch (none of them passable then), still not linked while none of the
        ring is (the patch cannot reach beyond it without one). Otherwise the map is labelled
        again."""
        ends = [p.cell for p in self.bridge_places]
        held = (self._passable[faction][controller + 2] & self._land) | self._bridge_footprints
        kept = self._traced.get(faction)
        if kept is not None:
            linked, cells = kept
            if linked and not (cells & ~held).any():
                return True
            if not linked and held[ends[0]] and not (cells & held).any():
                return False
        labels, _ = label(held, structure=EIGHT_CONNECTED)
        first = labels[ends[0]]
        linked = all(labels[rc] == first for rc in ends[1:])
        if first:  # the first place on passable land (its footprint always is)
            patch = labels == first
            cells = patch if linked else binary_dilation(patch, structure=EIGHT_CONNECTED) & ~patch
            self._traced[faction] = (linked, cells)
        return linked
