"""Engagements: attrition by Lanchester's laws, integrated exactly over the step.

Aimed fire (square law):  dA/dt = −β·B,    dB/dt = −α·A      (A² α − B² β is conserved)
Area fire (linear law):   dA/dt = −β·A·B,  dB/dt = −α·A·B    (α·A − β·B is conserved)

The closed-form solution over the step (rather than an Euler update) is what makes the
well-mixed limit match the analytic result at any step length: 1,000 against 800 of equal
effectiveness leaves 600 under aimed fire and 200 under area fire. Cover divides the fire a
side receives (`cover_factor`: urban cells, and units' prepared defences, `Unit.protection`),
so against defenders fortified ×φ aimed fire conserves A² − φ·B².

Under aimed fire no more of a side can fire at once than the front holds: at most
`engagement.front_density_per_km` fighters per km over the battle's front, taken as the width
of the contact zone, 2 × `range_km` (`frontage_square_law`). Beyond that a bigger force does
not kill faster; it lasts longer. That is what makes the assault on a fortified town a matter of
months rather than weeks (docs/odd.md, "Engagements").
"""

from __future__ import annotations

import math

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from sim.results.event_log import fighters_text


def square_law(a: float, b: float, alpha: float, beta: float, hours: float) -> tuple[float, float]:
    """Aimed fire over `hours`: alpha is A's kill rate per A-fighter per hour, beta B's."""
    if a <= 0 or b <= 0 or hours <= 0:
        return max(a, 0.0), max(b, 0.0)
    g = math.sqrt(alpha * beta)
    ra, rb = math.sqrt(beta / alpha), math.sqrt(alpha / beta)
    t_a = math.atanh(a / (ra * b)) / g if a < ra * b else math.inf  # when A would reach zero
    t_b = math.atanh(b / (rb * a)) / g if b < rb * a else math.inf
    t = min(hours, t_a, t_b)
    ch, sh = math.cosh(g * t), math.sinh(g * t)
    a_new = 0.0 if t == t_a else a * ch - ra * b * sh
    b_new = 0.0 if t == t_b else b * ch - rb * a * sh
    return max(a_new, 0.0), max(b_new, 0.0)


def frontage_square_law(a: float, b: float, alpha: float, beta: float, hours: float,
                        cap: float) -> tuple[float, float]:
    """Aimed fire over `hours` when at most `cap` fighters of a side can fire at once (the
    front's width limits how many engage): dA/dt = −β·min(B, cap), dB/dt = −α·min(A, cap),
    integrated exactly, phase by phase (both sides above the cap: losses at constant rates; one
    above: the other falls linearly, the first quadratically; neither: `square_law`). `alpha`,
    `beta` as in `square_law`; `cap` in fighters (math.inf: the plain square law)."""
    t = 0.0
    while t < hours and a > 0 and b > 0:
        left = hours - t
        if a <= cap and b <= cap:
            return square_law(a, b, alpha, beta, left)
        if a > cap and b > cap:
            t_a, t_b = (a - cap) / (beta * cap), (b - cap) / (alpha * cap)
            dt = min(left, t_a, t_b)
            a, b = a - beta * cap * dt, b - alpha * cap * dt
            a, b = (cap if dt == t_a else a), (cap if dt == t_b else b)
            t += dt
            continue
        swapped = b > cap  # the side above the cap is called A below
        if swapped:
            a, b, alpha, beta = b, a, beta, alpha
        # B (under the cap) loses α·cap an hour; A loses β·B(t), B(t) = b − α·cap·τ
        t_zero = b / (alpha * cap)
        disc = (beta * b) ** 2 - 2.0 * beta * alpha * cap * (a - cap)
        t_cap = (beta * b - math.sqrt(disc)) / (beta * alpha * cap) if disc >= 0 else math.inf
        dt = min(left, t_zero, t_cap)
        a_new = a - beta * (b * dt - alpha * cap * dt * dt / 2.0)
        b_new = 0.0 if dt == t_zero else b - alpha * cap * dt
        a, b = (cap if dt == t_cap and dt < t_zero else a_new), b_new
        if swapped:
            a, b, alpha, beta = b, a, beta, alpha
        t += dt
    return max(a, 0.0), max(b, 0.0)


def linear_law(a: float, b: float, alpha: float, beta: float, hours: float) -> tuple[float, float]:
    """Area fire over `hours`: alpha, beta are kill rates per fighter pair per hour."""
    if a <= 0 or b <= 0 or hours <= 0:
        return max(a, 0.0), max(b, 0.0)
    c = beta * b - alpha * a  # dA/dt = A·(−β·B) with β·B = α·A + c
    # dA/dt = −A(αA + c): a logistic equation with closed form
    if abs(c) < 1e-12 * max(alpha * a, beta * b):
        a_new = a / (1.0 + alpha * a * hours)
    else:
        e = math.exp(-c * hours)
        a_new = c * a * e / (c + alpha * a * (1.0 - e))
    b_new = (alpha * a_new + c) / beta
    return max(a_new, 0.0), max(b_new, 0.0)


def cover_factor(model, units, total: float | None = None) -> float:
    """Share of fire a side receives: defenders in urban cells (÷ `engagement.urban_defence`)
    and in prepared positions (÷ their fortification, `Unit.protection`) are harder to hit.
    The strength-weighted mean of 1 / (urban × fortification) over the side's units. `total`:
    the side's fighters, `sum(u.strength for u in units)`, if the caller has summed them."""
    if total is None:
        total = sum(u.strength for u in units)
    if total <= 0:
        return 1.0
    urban, urban_cells = model.spec.engagement.urban_defence, model.space.urban_cells()
    shielded = sum(u.strength / ((urban if urban_cells[u.rc[0]][u.rc[1]] else 1.0) * u.protection())
                   for u in units)
    return shielded / total


def fight(model, side_a: list, side_b: list, hours: float) -> tuple[float, float]:
    """Attrition between two groups over `hours`; losses shared in proportion to strength."""
    spec = model.spec.engagement
    a = sum([u.strength for u in side_a])
    b = sum([u.strength for u in side_b])
    if a <= 0 or b <= 0:
        return 0.0, 0.0
    fa, fb = cover_factor(model, side_a, a), cover_factor(model, side_b, b)
    if spec.law == "aimed":
        k = spec.kill_rate_per_day / 24.0
        cap = spec.front_density_per_km * 2.0 * spec.range_km
        a_new, b_new = frontage_square_law(a, b, k * fb, k * fa, hours, cap)
    else:
        k = spec.area_kill_rate_per_day / 24.0
        a_new, b_new = linear_law(a, b, k * fb, k * fa, hours)
    for units, before, after in ((side_a, a, a_new), (side_b, b, b_new)):
        share = 1.0 - after / before  # of each unit's fighters lost
        for u in units:
            u.lose(u.strength * share)
    return a - a_new, b - b_new


SPARSE_CONTACTS = 512
"""Above this many contacts (edges) the battles are found by scipy's `connected_components` of
the sparse graph: its fixed cost (~0.2 ms, mostly checks of its input) is less than the
union-find's Python per edge (~0.65 µs: the break-even is nearer 300 edges, and 512 keeps the
fingerprints' runs, at most 48 contacts a pair, well inside the union-find); below it, the union-find. The same groups in the same
order either way (tests/test_engagement.py). At ~32k agents (`python run.py bench`) a hostile
pair has up to ~65,000 contacts a step."""


def contact_groups(rows, cols) -> list[list[int]]:
    """The connected groups of a graph of contacts, given as its edges (`rows`[k], `cols`[k]: int
    sequences of equal length): the nodes (non-negative ints) that touch an edge, each group in
    ascending order, the groups ordered by their smallest node. The order scipy's
    `connected_components` numbers the components in (by their first node). Up to
    `SPARSE_CONTACTS` edges without building a sparse matrix: a union-find over Python ints,
    each group's root its smallest node; above it, `sparse_contact_groups`."""
    rows, cols = np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)
    if len(rows) > SPARSE_CONTACTS:
        return sparse_contact_groups(rows, cols)
    root: dict[int, int] = {}

    def find(x: int) -> int:
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    for a, b in zip(rows.tolist(), cols.tolist(), strict=True):
        root.setdefault(a, a)
        root.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            root[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for node in sorted(root):
        groups.setdefault(find(node), []).append(node)
    return list(groups.values())


def sparse_contact_groups(rows: np.ndarray, cols: np.ndarray) -> list[list[int]]:
    """`contact_groups` of many edges (int arrays `rows`, `cols`) by scipy's `connected_components`
    of the graph on the nodes 0 … the largest, keeping those that touch an edge, the groups put in
    the order of their smallest node whatever numbers scipy gives them."""
    n = int(max(rows.max(), cols.max())) + 1
    graph = coo_array((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))
    touched = np.zeros(n, dtype=bool)
    touched[rows] = touched[cols] = True
    nodes = np.flatnonzero(touched)  # ascending
    label = connected_components(graph, directed=False)[1][nodes]
    _, first, which = np.unique(label, return_index=True, return_inverse=True)  # first: each group's smallest node
    rank = np.empty(len(first), dtype=np.intp)
    rank[np.argsort(first)] = np.arange(len(first))
    group = rank[which]
    order = np.argsort(group, kind="stable")  # by group, ascending within each
    return [members.tolist() for members in np.split(nodes[order], np.flatnonzero(np.diff(group[order])) + 1)]


class ContactZones:
    """Whether any fighter of one faction stands within `engagement.range_km` of any fighter of
    another, answered without measuring the distance of every pair of them (`in_contact`).

    A faction's **zone** is the set of cells (row, col) within the range of at least one of its
    fighters' cells. A cell is in it exactly when `Space.pairs_within` would pair a unit standing
    there with one of those fighters: both decide with the same floating-point operations on the
    same numbers — a cell's position in km is (float(row) × cell_km, float(col) × cell_km), as
    `Space.positions_km` makes it, and the test is (a₀ − b₀)² + (a₁ − b₁)² ≤ range², summed in
    that order as `squared_distances` does, whichever side is a (x − y is exactly −(y − x), so the
    squares are the same bits). Two factions are therefore in contact exactly when a fighter of
    one stands in the other's zone (tests/test_contact_zones.py: random sets at six cell sizes,
    and every step of a seeded campaign).

    The engagement stage asks it of every hostile pair each step before looking for the pairs in
    range. A zone is kept with the cells it was made from and made again only when they differ;
    of a pair, the zone already made for the cells as they are is used, else the smaller side's
    is made (in the campaign the insurgents' few fighters stand still for days against every
    regular force, whose patrols move every step): a step without contact costs a set look-up
    per fighter, not a distance matrix per pair.

    `cell_km`: the map's cell side (km); `range_km`: the contact range (km)."""

    def __init__(self, cell_km: float, range_km: float):
        self.cell_km, self.range_km = cell_km, range_km
        reach = int(range_km / cell_km) + 2  # (no cell further in rows or columns is within range)
        span = np.arange(-reach, reach + 1)
        self._offsets = np.stack(np.meshgrid(span, span, indexing="ij"), axis=-1).reshape(1, -1, 2)  # (1, k, 2)
        self._kept: dict[int, tuple[tuple, frozenset]] = {}  # faction -> (its fighters' cells, zone)

    def in_contact(self, f: int, cells_f: tuple, g: int, cells_g: tuple) -> bool:
        """Whether a cell of `cells_f` (faction `f`'s fighters, a tuple of (row, col)) is within
        the range of one of `cells_g` (faction `g`'s): exactly when `Space.pairs_within` finds a
        pair of them."""
        kept = self._kept.get(g)
        if kept is not None and kept[0] == cells_g:
            return not kept[1].isdisjoint(cells_f)
        kept = self._kept.get(f)
        if kept is not None and kept[0] == cells_f:
            return not kept[1].isdisjoint(cells_g)
        if len(cells_f) < len(cells_g):
            return not self.zone(f, cells_f).isdisjoint(cells_g)
        return not self.zone(g, cells_g).isdisjoint(cells_f)

    def zone(self, faction: int, cells: tuple) -> frozenset:
        """The cells (row, col) within the range of one of `cells` (a tuple of (row, col)), kept
        for `faction` until its cells differ."""
        kept = self._kept.get(faction)
        if kept is None or kept[0] != cells:
            kept = self._kept[faction] = (cells, self.made(cells))
        return kept[1]

    def made(self, cells: tuple) -> frozenset:
        """The zone of `cells` worked out afresh: of the cells in the box of offsets around each,
        those whose squared distance in km, in `squared_distances`' arithmetic, is within the
        range squared."""
        if not cells:
            return frozenset()
        here = np.array(cells, dtype=np.intp).reshape(-1, 1, 2)
        near = here + self._offsets  # (n, k, 2)
        b = here.astype(float) * self.cell_km
        a = near.astype(float) * self.cell_km
        across, along = a[..., 0] - b[..., 0], a[..., 1] - b[..., 1]
        inside = across * across + along * along <= self.range_km * self.range_km
        return frozenset(map(tuple, near[inside].tolist()))


def resolve_engagements(model, fighters_by_faction: dict[int, list]) -> None:
    """Hostile units within range fight, each connected group of contacts as one battle."""
    spec = model.spec.engagement
    cells = {f: tuple([u.rc for u in units]) for f, units in fighters_by_faction.items()}
    zones = model.engagements.zones
    for f, g in model.engagements.hostile_pairs:
        units_f, units_g = fighters_by_faction.get(f, []), fighters_by_faction.get(g, [])
        if not units_f or not units_g or not zones.in_contact(f, cells[f], g, cells[g]):
            continue  # (no pair in range: `ContactZones`)
        # the pairs in range (Space.pairs_within: distances or KD-trees by size), kept until either side moves
        i, j = model.space.pairs_within(("fighters", f), cells[f], ("fighters", g), cells[g], spec.range_km)
        if len(i) == 0:
            continue
        nf = len(units_f)
        for members in contact_groups(i, j + nf):
            side_f = [units_f[i] for i in members if i < nf]
            side_g = [units_g[i - nf] for i in members if i >= nf]
            lost_f, lost_g = fight(model, side_f, side_g, model.step_hours)
            model.engagements.report(side_f, side_g, lost_f, lost_g)


class Engagements:
    """The engagement stage of the step (``model.engagements``): who can fight, the battles, and
    what a clash leaves behind.

    Built once the model's rules and timeline are (the factions that can fight include those a
    rule or an event adds later). ``model.set_relation`` calls `relations_changed`.

    - ``hostile_pairs`` (list of (i, j), i < j): every hostile pair of factions (`Factions.hostile_pairs`);
    - ``can_fight`` (set of faction indices): factions with forces, now or later, in a hostile pair;
      ``regulars_can_fight`` (bool): two such factions with regular (non-insurgent) forces exist.
      The stage runs only then, or while hostile insurgent cells are in the open; otherwise it
      looks at no unit at all.
    - ``zones`` (`ContactZones`): whether two factions' fighters are in range at all, asked of
      each hostile pair before its pairs in range are looked for.
    """

    def __init__(self, model):
        self.model = model
        self._clash_logged: dict[tuple, float] = {}  # (faction, faction, place) -> hours logged
        self.zones = ContactZones(model.map.cell_km, model.spec.engagement.range_km)
        self._fighters: dict[int, tuple] = {}  # faction -> (its members, the cells in the open, its fighters)
        self.relations_changed()

    def relations_changed(self) -> None:
        """Work out again the hostile pairs and which factions can fight (after a change of relation)."""
        self.hostile_pairs = self.model.factions.hostile_pairs()
        self.can_fight = self.factions_that_can_fight(regular_only=False)
        self.regulars_can_fight = bool(self.factions_that_can_fight(regular_only=True))

    def update(self) -> None:
        """The step's engagements: hostile units in range fight (`resolve_engagements`)."""
        if self.regulars_can_fight or (self.can_fight and self.model.in_the_open):
            resolve_engagements(self.model, self.fighters_by_faction())

    def fighters_by_faction(self) -> dict[int, list]:
        """The alive units that can fight now, per faction that can (insurgent cells only in
        the open), each in the order of `agents`; from the spatial service's rosters, so that a
        step does not scan every agent. A faction's list is kept while its roster
        (`Space.members`, the same list until it changes) and the cells in the open
        (`model.in_the_open`, what `hidden` reads) are the same, if every member was alive when
        it was made: a member stays alive until it leaves the roster (`Unit.lose` destroys a
        unit below `MIN_STRENGTH`, > 0), while a member at zero strength could gain fighters."""
        out: dict[int, list] = {}
        members_of, kept_lists = self.model.space.members, self._fighters
        in_the_open = tuple(self.model.in_the_open)
        for faction in self.can_fight:
            members = members_of(faction)
            kept = kept_lists.get(faction)
            if kept is not None and kept[0] is members and kept[1] == in_the_open:
                units = kept[2]
            else:
                units = [u for u in members if u.strength > 0.0 and not u.hidden]  # alive
                if all(u.strength > 0.0 for u in members):
                    kept_lists[faction] = (members, in_the_open, units)
            if units:
                out[faction] = units
        return out

    def factions_that_can_fight(self, regular_only: bool) -> set[int]:
        """Factions with forces (regular ones only, if asked), now or later, in a hostile pair."""
        m = self.model
        forces = list(m.spec.forces) + [e.spawn for e in m.spec.events if e.spawn is not None]
        present = {m.factions.index(f.faction) for f in forces if not regular_only or f.kind != "insurgent"}
        for rule in m.rules:
            present |= rule.factions_added(regular_only)
        return {f for pair in self.hostile_pairs if set(pair) <= present for f in pair}

    def report(self, side_a, side_b, lost_a: float, lost_b: float) -> None:
        """A clash's consequences (`side_a`, `side_b`: lists of units; `lost_a`, `lost_b`: fighters
        lost): the recorder's violent event and the population's harm every time; a tension
        incident and a log line at most once per place and pair of factions every six hours."""
        if not side_a or not side_b or lost_a + lost_b <= 0:
            return
        m = self.model
        fa, fb = side_a[0].faction, side_b[0].faction
        place = m.space.nearest_place_name(side_a[0].rc)
        key = (min(fa, fb), max(fa, fb), place)
        m.recorder.clash(side_a[0].rc, fa, fb, lost_a, lost_b)
        if m.population is not None:
            m.population.harm(side_a[0].rc, (fa, fb), lost_a + lost_b)
        if m.hours - self._clash_logged.get(key, -np.inf) < 6.0:
            return
        self._clash_logged[key] = m.hours
        m.tension.incident("clash", fa, fb, where=place)
        labels = m.factions.labels
        m.log.add(m.steps_done, m.hours, "clash",
                  f"clash near {place}: {labels[fa]} lost {fighters_text(lost_a)}, {labels[fb]} lost {fighters_text(lost_b)}",
                  factions=[m.factions.ids[fa], m.factions.ids[fb]], place=place,
                  fighters=lost_a + lost_b, cell=side_a[0].rc)
