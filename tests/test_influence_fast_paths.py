"""The influence field's fast paths, each against the plain computation it replaces, byte for
byte: the classification of the governed cells only (every step of seeded runs, random fields
with ties), the weekly recomputation of the factions whose presence changed only, the projection
filtered over the box of each faction's occupied cells, presence added to through a flat view;
the changes merged as they are added against a merge at the update; the stamps of an update (a
matrix product per faction and bank) against the plain products of each group, byte for byte,
and, to float32 rounding, against each change's kernel added in turn."""

from __future__ import annotations

import numpy as np
import pytest
from test_influence import MAP, field

from sim.geography import Terrain, load_map
from sim.submodels.influence import CONTESTED, FIELD_DTYPE, HOLDING, PATROLLING, UNGOVERNED

from conftest import SCENARIOS


def full_grid_controller(inf: np.ndarray, allied: np.ndarray, threshold: float, margin: float) -> np.ndarray:
    """The control rule over every cell, written out independently of `InfluenceField`: the
    leader by argmax over factions, the runner-up the strongest faction not allied with it."""
    leader = inf.argmax(axis=0)
    top = inf.max(axis=0)
    second = np.where(~allied[:, leader], inf, 0.0).max(axis=0)
    out = np.where(top >= (1.0 + margin) * second, leader, CONTESTED)
    return np.where(top >= threshold, out, UNGOVERNED).astype(np.int8)


@pytest.mark.parametrize("scenario", ["corridor_campaign.yaml", "albu_kamal_blockade.yaml"])


def test_classifying_only_governed_cells_equals_the_full_grid_rule_at_every_step(scenario):
    """The classification gathers only the cells whose top influence reaches the threshold;
    at every step of a seeded run (alliances in the campaign, none in the blockade) its
    controller grid must be byte for byte the full-grid rule's."""
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    loaded = load_scenario(SCENARIOS / scenario, overrides={
        "map.cell_km": 2.0, "time.step_hours": 2, "time.duration_days": 12})
    model = CorridorModel(loaded, seed=5)
    inf = model.influence
    for _ in range(model.n_steps):
        model.step()
        expected = full_grid_controller(inf.influence, inf._allied, inf.threshold, inf.margin)
        assert inf.controller.dtype == np.int8 and inf.controller.tobytes() == expected.tobytes(), (
            f"step {model.steps}: {int((inf.controller != expected).sum())} cells differ from the full-grid rule")
    assert (inf.controller >= 0).any(), "some cell should be governed by a faction at the end of the run"


def test_the_weekly_recomputation_projects_again_only_the_factions_whose_presence_changed():
    """A week after the start, faction 0 has moved and faction 1 has not: the recomputation
    filters faction 0 only, and the target is then the full projection of every faction, byte
    for byte (faction 1's kept target is its projection, nothing having been stamped on it)."""
    corridor_map = load_map(MAP, 2.0)
    f = field(corridor_map.bank, cell_km=2.0, step_hours=24.0, n=2,
              crossings=corridor_map.terrain == Terrain.BRIDGE)
    land = np.argwhere(corridor_map.land)
    f.add(0, PATROLLING, tuple(land[10]), 30.0)
    f.add(1, HOLDING, tuple(land[-10]), 60.0)
    f.settle()
    projected = []
    full = f.projected
    f.projected = lambda factions=slice(None): projected.append(factions) or full(factions)
    for day in range(7):  # a step a day: the seventh recomputes the target
        f.add(0, PATROLLING, tuple(land[10 + day]), -30.0)
        f.add(0, PATROLLING, tuple(land[11 + day]), 30.0)
        f.update()
    assert f._since_resync == 0 and projected == [[0]], f"the week's recomputation filtered {projected}"
    assert f.target.tobytes() == full().tobytes(), "after the recomputation the target is the full projection"


def whole_grid_projection(f, presence: np.ndarray) -> np.ndarray:
    """The projection written out over the whole grid, as before the boxes: every faction's
    presence in a layer and on a bank filtered over all cells, times the river's weight."""
    from scipy.ndimage import gaussian_filter

    out = np.zeros((len(presence), *f._bank.shape), dtype=FIELD_DTYPE)
    for layer, parts in enumerate(f._parts):
        for source in (0, 1, 2):
            part = np.where(f._bank == source, presence[:, layer], 0.0)
            smooth = sum(f._gain * w * gaussian_filter(part, sigma=(0, s, s), mode="constant", truncate=3.0,
                                                       output=FIELD_DTYPE)
                         for s, w in parts)
            out += smooth if source == 0 else smooth * f._bank_weight[source]
    return out


@pytest.mark.parametrize(("cell_km", "cases"), [(1.0, 4), (2.0, 12), (3.0, 12)])


def test_filtering_the_box_of_the_occupied_cells_gives_the_whole_grids_filter_byte_for_byte(cell_km, cases):
    """`projected` filters each faction's presence (per layer and bank) over the box of its
    occupied cells widened by the kernel's reach: random deployments (a few units to a few
    hundred, at the map's edges, on both banks and on the river, with removals leaving tiny
    residues) must give the whole grid's filter byte for byte."""
    corridor_map = load_map(MAP, cell_km)
    f = field(corridor_map.bank, cell_km=cell_km, n=4, crossings=corridor_map.terrain == Terrain.BRIDGE)
    rows, cols = corridor_map.shape
    rng = np.random.default_rng(int(cell_km * 10))
    edges = [(0, 0), (rows - 1, cols - 1), (0, cols - 1), (rows - 1, 0)]
    river = [tuple(rc) for rc in np.argwhere(corridor_map.bank == 0)]
    for case in range(cases):
        f.presence[:] = 0.0
        for _ in range(int(rng.integers(1, 300 if case % 4 == 0 else 12))):
            spot = (edges[int(rng.integers(4))] if rng.random() < 0.1 else river[int(rng.integers(len(river)))]
                    if rng.random() < 0.1 else (int(rng.integers(rows)), int(rng.integers(cols))))
            fac, layer, amount = int(rng.integers(4)), int(rng.integers(2)), float(rng.uniform(0.1, 60))
            f.presence[fac, layer][spot] += amount
            if rng.random() < 0.2:  # a unit leaving a cell another shares: what is left carries rounding
                f.presence[fac, layer][spot] += 0.1 / 3.0
                f.presence[fac, layer][spot] -= amount
        assert f.projected().tobytes() == whole_grid_projection(f, f.presence).tobytes(), f"case {case}"
        some = [1, 3]
        assert f.projected(some).tobytes() == whole_grid_projection(f, f.presence[some]).tobytes(), f"case {case}"


def test_a_tie_between_allies_goes_to_the_first_of_them():
    """Two allies at the same top influence: the cell is the first one's (argmax's choice), and
    the rival below the margin leaves it controlled; without the alliance it is contested."""
    f = field(np.ones((1, 2), np.int8), n=3, threshold_per_km2=15.0)
    f.influence[:] = np.array([[[5.0, 20.0]], [[20.0, 20.0]], [[20.0, 5.0]]])
    allied = np.eye(3, dtype=bool)
    allied[1, 2] = allied[2, 1] = allied[0, 1] = allied[1, 0] = True
    f.set_allies(allied)
    f._classify()
    assert f.controller.tolist() == [[1, 0]], "a tie between allies goes to the faction listed first"
    f.set_allies(np.eye(3, dtype=bool))
    f._classify()
    assert f.controller.tolist() == [[CONTESTED, CONTESTED]]


def test_classifying_random_fields_with_ties_equals_the_full_grid_rule():
    """Influence drawn from a few values (ties at the top, at the threshold and at the margin
    everywhere) and random alliances: the controller is byte for byte the full-grid rule's."""
    rng = np.random.default_rng(17)
    for case in range(50):
        n = int(rng.integers(1, 7))
        f = field(np.ones((20, 30), np.int8), n=n, threshold_per_km2=15.0)
        f.influence[:] = rng.choice([0.0, 5.0, 12.0, 15.0, 16.0, 20.0], size=f.influence.shape)
        allied = rng.random((n, n)) < 0.4
        allied = allied | allied.T | np.eye(n, dtype=bool)
        f.set_allies(allied)
        f._classify()
        expected = full_grid_controller(f.influence, allied, f.threshold, f.margin)
        assert f.controller.tobytes() == expected.tobytes(), f"case {case}: {n} factions"


def scipy_stamp(f, layer: int) -> np.ndarray:
    """The layer's 2-D kernel written out independently of `InfluenceField`: scipy's filter of a
    unit mass, each component with its width and weight, times the gain; float64."""
    from scipy.ndimage import gaussian_filter

    from sim.submodels.influence import TRUNCATE

    h = max(int(TRUNCATE * s + 0.5) for s, _ in f._parts[layer])
    unit = np.zeros((2 * h + 1, 2 * h + 1))
    unit[h, h] = 1.0
    return sum(f._gain * w * gaussian_filter(unit, s, truncate=TRUNCATE, mode="constant") for s, w in f._parts[layer])


def test_stamping_adds_each_changes_kernel_times_the_rivers_weight_from_its_bank():
    """`_stamp` adds the changes of a faction from one bank as one matrix product of the
    kernels' rows and columns: random changes (both layers, both banks and the river, windows
    overlapping and clipped at the grid's edges, onto a target that is not zero) must leave the
    target each change's window of the 2-D kernel (scipy's) × its amount × the river's weight
    from the change's bank, added one after another, to float32 rounding."""
    corridor_map = load_map(MAP, 1.0)
    rng = np.random.default_rng(3)
    rows, cols = corridor_map.bank.shape
    centres = [(0, 0), (rows - 1, cols - 1), (0, cols // 2), (rows // 2, cols // 2)]
    centres += [tuple(int(v) for v in rc) for rc in np.argwhere(corridor_map.bank == 0)[:3]]  # on the river
    changes = []
    for _ in range(300):
        r, c = centres[int(rng.integers(len(centres)))]
        r = int(np.clip(r + rng.integers(-6, 7), 0, rows - 1))
        c = int(np.clip(c + rng.integers(-6, 7), 0, cols - 1))
        changes.append((int(rng.integers(3)), int(rng.integers(2)), r, c, float(rng.uniform(-30, 30))))
    f = field(corridor_map.bank, n=3, crossings=corridor_map.terrain == Terrain.BRIDGE)
    assert {int(corridor_map.bank[r, c]) for _, _, r, c, _ in changes} == {0, 1, 2}, "changes from both banks and the river"
    f.target[:] = rng.uniform(0, 2, f.target.shape)
    expected = f.target.astype(float)
    stamps = [scipy_stamp(f, layer) for layer in (HOLDING, PATROLLING)]
    for fac, layer, r, c, amount in changes:
        stamp = stamps[layer]
        h = stamp.shape[0] // 2
        r0, r1, c0, c1 = max(r - h, 0), min(r + h + 1, rows), max(c - h, 0), min(c + h + 1, cols)
        patch = stamp[r0 - r + h:r1 - r + h, c0 - c + h:c1 - c + h]
        if corridor_map.bank[r, c]:
            patch = patch * f._bank_weight[corridor_map.bank[r, c]][r0:r1, c0:c1]
        expected[fac, r0:r1, c0:c1] += amount * patch
    f._stamp(changes)
    assert f.target.dtype == FIELD_DTYPE
    np.testing.assert_allclose(f.target, expected, rtol=1e-5, atol=2e-6 * np.abs(expected).max(),
                               err_msg="stamping is not the changes' kernels added one after another")


def stamped_group_by_group(f, changes) -> np.ndarray:
    """The target after `_stamp(changes)`, written out plainly: the changes grouped by faction
    and source bank (groups in ascending order, each group's changes in their order), each group
    one product of its changes' row kernels × amounts (float32) stacked over its columns' kernels,
    times the river's weight from its bank; the kernels from `kernel_columns`."""
    from sim.submodels.stamps import kernel_columns

    rows, cols = f._bank.shape
    kernels = [(kernel_columns(rows, [s for s, _ in parts], [f._gain * w for _, w in parts]),
                kernel_columns(cols, [s for s, _ in parts], [1.0] * len(parts))) for parts in f._parts]
    groups: dict = {}
    for fac, layer, r, c, amount in changes:
        groups.setdefault((fac, int(f._bank[r, c])), []).append((layer, r, c, amount))
    target = f.target.copy()
    for (fac, source), group in sorted(groups.items()):
        u = np.concatenate([kernels[layer][0][:, :, r] * np.float32(amount) for layer, r, _, amount in group])
        v = np.concatenate([kernels[layer][1][:, :, c] for layer, _, c, _ in group])
        projected = u.T @ v
        if source:
            projected *= f._weights[source]
        target[fac] += projected
    return target


@pytest.mark.parametrize("cell_km", [1.0, 2.0])
def test_stamping_is_one_product_per_faction_and_bank_byte_for_byte(cell_km):
    """`_stamp` sorts the changes into their (faction, bank) groups and gathers their kernels from
    arrays laid out for it: random changes (three factions, both layers, both banks and the
    river, several at one cell) must give, byte for byte, the target of the plain group-by-group
    products (`stamped_group_by_group`), whose sums are the same numbers in the same order."""
    corridor_map = load_map(MAP, cell_km)
    rng = np.random.default_rng(int(cell_km * 7))
    rows, cols = corridor_map.bank.shape
    river = [tuple(int(v) for v in rc) for rc in np.argwhere(corridor_map.bank == 0)]
    f = field(corridor_map.bank, cell_km=cell_km, n=3, crossings=corridor_map.terrain == Terrain.BRIDGE)
    for case in range(6):
        changes = []
        for _ in range(int(rng.integers(1, 60))):
            r, c = (river[int(rng.integers(len(river)))] if rng.random() < 0.15
                    else (int(rng.integers(rows)), int(rng.integers(cols))))
            changes.append((int(rng.integers(3)), int(rng.integers(2)), r, c, float(rng.uniform(-30, 30))))
        changes += changes[:3]  # a cell changed twice: its kernels twice, in their places
        f.target[:] = rng.uniform(0, 2, f.target.shape)
        expected = stamped_group_by_group(f, changes)
        f._stamp(changes)
        assert f.target.tobytes() == expected.tobytes(), f"case {case}: {len(changes)} changes"


def test_changes_merged_as_they_are_added_are_stamped_as_a_merge_at_the_update_would_give():
    """`add` merges each change into the changes not yet stamped at once (per faction, layer and
    cell, after those waiting from before): at every update, `_stamp` must get exactly the
    changes, values and order, of merging the update's changes one by one, in their order, into
    those still waiting (the changes below a fighter), as a list merged at the update would."""
    from sim.submodels.influence import STAMP_FIGHTERS

    f = field(np.ones((100, 100), np.int8), n=3)
    rng = np.random.default_rng(11)
    stamped: list = []
    stamp = f._stamp
    f._stamp = lambda changes: stamped.append(list(changes)) or stamp(changes)
    waiting: dict = {}
    for step in range(80):
        adds = [(int(rng.integers(3)), int(rng.integers(2)), (int(rng.integers(4)), int(rng.integers(4))),
                 float(rng.choice([-0.3, 0.4, 0.7, 2.0, -1.5, 7.0]))) for _ in range(int(rng.integers(0, 12)))]
        for fac, layer, rc, amount in adds:
            f.add(fac, layer, rc, amount)
        merged = dict(waiting)
        for fac, layer, (r, c), amount in adds:
            merged[fac, layer, r, c] = merged.get((fac, layer, r, c), 0.0) + amount
        expected = [(*key, amount) for key, amount in merged.items() if abs(amount) >= STAMP_FIGHTERS]
        waiting = {key: amount for key, amount in merged.items() if amount and abs(amount) < STAMP_FIGHTERS}
        stamped.clear()
        f.update()
        assert stamped == [expected], f"step {step}: stamped {stamped}, merging at the update gives {expected}"
    assert any(len(changes) > 3 for changes in (expected, *stamped)) and waiting, "merges, stamps and waits seen"


def test_stamping_gives_the_blas_threads_back_as_it_found_them():
    """`_stamp` holds numpy's BLAS to one thread for its products (threads of a small product
    wait for one another) and gives back the count it found, whatever it was: the process's other
    linear algebra keeps its threads."""
    from sim.submodels.stamps import BLAS

    if not BLAS:
        pytest.skip("numpy uses no BLAS library threadpoolctl can see")
    f = field(np.zeros((40, 50), dtype=np.int8), n=2)
    found = [lib.get_num_threads() for lib in BLAS]
    try:
        for count in (2, 3):
            for lib in BLAS:
                lib.set_num_threads(count)
            f._stamp([(0, HOLDING, 10, 12, 5.0), (1, PATROLLING, 30, 40, -2.0)])
            assert [lib.get_num_threads() for lib in BLAS] == [count] * len(BLAS), (
                f"stamping should leave the BLAS threads at the {count} it found")
    finally:
        for lib, count in zip(BLAS, found, strict=True):
            lib.set_num_threads(count)


def test_a_run_holds_the_blas_threads_at_one_once_and_its_stamps_set_nothing(monkeypatch):
    """`CorridorModel.run` holds numpy's BLAS at one thread for all its steps (`one_blas_thread`,
    sim/submodels/stamps.py): over a seeded run that stamps at every update, each library's count
    is set to one once at the start and given back once at the end, every stamp runs at one thread,
    and the stamps' own holds set nothing (they did twice an update); outside a run a stamp still
    sets and gives back around its products (`test_stamping_gives_the_blas_threads_back_as_it_found_them`)."""
    from sim.model import CorridorModel
    from sim.scenario import load_scenario
    from sim.submodels.stamps import BLAS

    if not BLAS:
        pytest.skip("numpy uses no BLAS library threadpoolctl can see")
    model = CorridorModel(load_scenario(SCENARIOS / "albu_kamal_blockade.yaml", overrides={
        "map.cell_km": 2.0, "time.step_hours": 2, "time.duration_days": 3}), seed=1)
    found = [lib.get_num_threads() for lib in BLAS]
    for lib, n in zip(BLAS, found, strict=True):  # this thread takes control (threadpoolctl calls itself again the first time)
        lib.set_num_threads(n)
    set_to: list = []
    for lib in BLAS:
        monkeypatch.setattr(lib, "set_num_threads", lambda n, real=lib.set_num_threads: (set_to.append(n), real(n))[1])
    during: list = []
    stamp = model.influence._stamp
    model.influence._stamp = lambda changes: (during.append([lib.get_num_threads() for lib in BLAS]), stamp(changes))
    model.run()
    assert len(during) >= 10 and all(counts == [1] * len(BLAS) for counts in during), f"stamps at {during}"
    assert set_to == [1] * len(BLAS) + found, f"the run set the BLAS threads to {set_to}, not once to 1 and once back"
    assert [lib.get_num_threads() for lib in BLAS] == found
