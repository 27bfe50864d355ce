"""Who holds a place (sim/submodels/holding.py): the footprint's majority, not the place's own cell.

Small synthetic maps of 1 km cells and a 1 km footprint radius: a footprint is the place's cell
and its four neighbours on the same bank (five cells), so every expectation below is a count of
cells done by hand."""

from types import SimpleNamespace

import numpy as np

from sim.submodels.holding import PlaceHolding
from sim.submodels.influence import CONTESTED, UNGOVERNED

from conftest import SCENARIOS

U = UNGOVERNED


def _map(bank=None):
    shape = (5, 5)
    return SimpleNamespace(shape=shape, cell_km=1.0, land=np.ones(shape, dtype=bool),
                           bank=np.ones(shape, dtype=np.int8) if bank is None else bank)


def _holding(corridor_map, allied=None, n_factions=3):
    allied = np.eye(n_factions, dtype=bool) if allied is None else allied
    corridor_map.places = {"Town": SimpleNamespace(name="Town", cell=(2, 2), kind="town")}
    return PlaceHolding(corridor_map, influence=None, radius_km=1.0, share=0.5, allied=allied)


def _controller(centre, north, south, west, east, fill=U):
    c = np.full((5, 5), fill, dtype=np.int8)
    c[2, 2], c[1, 2], c[3, 2], c[2, 1], c[2, 3] = centre, north, south, west, east
    return c


def test_the_faction_around_a_place_holds_it_not_the_post_on_its_cell():
    holding = _holding(_map())
    assert holding.size.tolist() == [5], "a 1 km radius at 1 km cells is the cell and its 4 neighbours"
    # faction 1 stands on the town's cell; faction 0 controls the 4 cells around it: 4/5 > 0.5
    held = holding.holders(_controller(1, 0, 0, 0, 0))
    assert held.tolist() == [0], f"expected faction 0 (4 of 5 footprint cells) to hold the town, got {held}"


def test_a_split_footprint_is_contested_and_an_empty_one_ungoverned():
    holding = _holding(_map())
    # 2 cells each for two rivals, 1 ungoverned: nobody has more than half
    assert holding.holders(_controller(0, 0, 2, 2, U)).tolist() == [CONTESTED]
    # 3 of 5 ungoverned (> half): ungoverned even though faction 0 has 2 cells
    assert holding.holders(_controller(0, 0, U, U, U)).tolist() == [UNGOVERNED]


def test_allies_cells_count_together_and_the_one_with_most_cells_holds():
    allied = np.eye(3, dtype=bool)
    allied[0, 1] = allied[1, 0] = True
    holding = _holding(_map(), allied=allied)
    # faction 0: 1 cell, its ally 1: 2 cells, 2 ungoverned: the bloc has 3/5 > 0.5; 1 has more own cells
    held = holding.holders(_controller(0, 1, 1, U, U))
    assert held.tolist() == [1], f"expected the allied bloc (3 of 5) to hold, led by faction 1 (2 cells); got {held}"


def test_the_river_bounds_the_footprint():
    bank = np.ones((5, 5), dtype=np.int8)
    bank[:, 3:] = 2  # the east column beyond the town is the far bank
    holding = _holding(_map(bank))
    assert holding.size.tolist() == [4], "the far-bank neighbour is not part of the footprint"
    # faction 2 across the river does not count; faction 0 has 2 of the 4 own-bank cells, not more than half
    assert holding.holders(_controller(0, 0, U, 1, 2)).tolist() == [CONTESTED]
    assert holding.holders(_controller(0, 0, 0, 1, 2)).tolist() == [0], "3 of 4 own-bank cells hold it"


def _places(corridor_map, places, radius_km=1.0, allied=None, influence=None, n_factions=3):
    corridor_map.places = {n: SimpleNamespace(name=n, cell=rc, kind="town") for n, rc in places.items()}
    allied = np.eye(n_factions, dtype=bool) if allied is None else allied
    return PlaceHolding(corridor_map, influence=influence, radius_km=radius_km, share=0.5, allied=allied)


def test_the_footprint_radius_is_in_km_at_any_cell_size():
    """A 2 km radius is the 13 cells within 2 cells of the centre at 1 km cells (Euclidean: the
    centre, 4 at 1, 4 at √2, 4 at 2) and the same 13 within 1 km at 0.5 km cells."""
    for cell_km, radius_km in ((1.0, 2.0), (0.5, 1.0)):
        corridor_map = _map()
        corridor_map.cell_km = cell_km
        holding = _places(corridor_map, {"Town": (2, 2)}, radius_km=radius_km)
        assert holding.size.tolist() == [13], (
            f"{radius_km} km at {cell_km} km cells: 13 cells within {radius_km / cell_km:g} cells, got {holding.size}")


def test_water_the_map_edge_and_the_far_bank_bound_the_footprint_but_a_place_on_the_river_spans_both():
    corridor_map = _map()
    corridor_map.land[1, 2] = False  # the cell north of the town is water
    assert _places(corridor_map, {"Town": (2, 2)}).size.tolist() == [4], "a water cell is not land to hold"
    assert _places(_map(), {"Corner": (0, 0)}).size.tolist() == [3], "off the map: the corner, east and south"
    assert _places(_map(), {"Corner": (4, 4)}).size.tolist() == [3], "off the map: the corner, west and north"
    bank = np.ones((5, 5), dtype=np.int8)
    bank[:, 3:] = 2
    bank[:, 2] = 0  # the town stands on the river column (a bridge town)
    assert _places(_map(bank), {"Bridge": (2, 2)}).size.tolist() == [5], (
        "a place on the river (bank 0) takes its footprint from both banks")


def test_exactly_the_share_is_not_more_than_the_share():
    """Held needs *more* than place_share (0.5) of the footprint, ungoverned too: a footprint of
    4 cells (one neighbour on the far bank) split 2 : 2 is contested either way."""
    bank = np.ones((5, 5), dtype=np.int8)
    bank[:, 3:] = 2
    holding = _holding(_map(bank))
    assert holding.holders(_controller(0, 0, 1, 1, 2)).tolist() == [CONTESTED], "2 of 4 is not more than half"
    assert holding.holders(_controller(0, 0, U, U, 2)).tolist() == [CONTESTED], (
        "2 of 4 ungoverned is not more than half: contested, not ungoverned")


def test_places_of_different_footprint_sizes_are_counted_each_on_its_own_cells():
    """Town (5 cells) and Corner (3 cells, padded to 5 in the arrays): the padding is no one's ground.
    Corner: 1 cell of faction 2 and 2 ungoverned, so 2 of 3 ungoverned; Town: 4 of 5 faction 0's."""
    holding = _places(_map(), {"Town": (2, 2), "Corner": (0, 0)})
    controller = _controller(1, 0, 0, 0, 0)
    controller[0, 0], controller[0, 1], controller[1, 0] = 2, U, U
    assert holding.holders(controller).tolist() == [0, UNGOVERNED], (
        f"expected Town held by 0 and Corner ungoverned, got {holding.holders(controller)}")


def test_a_place_is_read_from_the_control_map_as_it_stands():
    """`of(place)` reads the influence field's current controller, and follows it when it changes."""
    influence = SimpleNamespace(controller=_controller(1, 0, 0, 0, 0))
    holding = _places(_map(), {"Town": (2, 2)}, influence=influence)
    town = SimpleNamespace(name="Town", cell=(2, 2))
    assert holding.of(town) == 0, "faction 0 controls 4 of the 5 footprint cells"
    influence.controller = _controller(1, 1, 1, 1, 0)  # the next control update: faction 1 around it
    assert holding.of(town) == 1, "after the control map changes, faction 1 (4 of 5 cells) holds the town"


def test_the_holder_comes_from_the_qualifying_bloc_even_when_no_member_has_more_than_one_cell():
    """Factions 1, 2 and 3 are allied and control one cell each (3 of 5 > ½); faction 0, not allied
    with them, controls one cell too. The holder is a member of the bloc (the first, 1), never 0."""
    allied = np.eye(4, dtype=bool)
    allied[1:, 1:] = True
    holding = _holding(_map(), allied=allied, n_factions=4)
    held = holding.holders(_controller(1, 2, 3, 0, U))
    assert held.tolist() == [1], f"expected the allied bloc's first member 1 to hold the town, got {held}"


# --- tenure (`next_tenure`, `PlaceHolding.update`): who holds the place as the record codes it ---
# Three factions: 0 and 1 allied, 2 hostile to both. Places: a town (0) and an installation (1).
ALLIED3 = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1]], dtype=bool)
TOWN_AND_SITE = np.array([False, True])


def _tenure(held, ground, near, standing_by_place):
    calls = []

    def standing(p):
        calls.append(p)
        return np.asarray(standing_by_place[p], dtype=float)

    out = _next_tenure(held, ground, near, TOWN_AND_SITE, ALLIED3, standing)
    return out.tolist(), calls


def _next_tenure(held, ground, near, installation, allied, standing):
    """`next_tenure` with every place's `near` (P, F) and `standing(p)`: its watch made here, and
    `defended` from `standing`."""
    from sim.submodels.holding import next_tenure, tenure_watch

    held, ground = np.array(held, dtype=np.int8), np.array(ground, dtype=np.int8)
    watch = tenure_watch(held, ground, installation, allied)
    return next_tenure(held, ground, watch, np.array(near, dtype=float)[watch.rows],
                       lambda w: standing(watch.rows[w]),
                       lambda w: bool((standing(watch.rows[w])[watch.blocs[w]] > 0).any()))


def test_a_town_is_kept_while_its_defenders_stand_and_taken_when_they_are_gone():
    # faction 2 controls the ground around the town held by 0; 0 still has 40 fighters in it
    held, _ = _tenure([0, 0], [2, 0], [[40, 0, 300], [0, 0, 0]], {0: [40, 0, 0], 1: [0, 0, 0]})
    assert held[0] == 0, f"the town's defenders (40 of faction 0) stand: it stays 0's, got {held[0]}"
    # the defenders are gone: the ground's holder (2) takes it
    held, _ = _tenure([0, 0], [2, 0], [[0, 0, 300], [0, 0, 0]], {0: [0, 0, 0], 1: [0, 0, 0]})
    assert held[0] == 2, f"no defender left: the ground's holder 2 takes the town, got {held[0]}"
    # the defenders are gone and the ground is contested: the town is contested
    held, _ = _tenure([0, 0], [CONTESTED, 0], [[0, 0, 300], [0, 0, 0]], {0: [0, 0, 0], 1: [0, 0, 0]})
    assert held[0] == CONTESTED, f"no defender and contested ground: contested, got {held[0]}"


def test_an_allys_units_defend_the_town_but_insurgent_cells_do_not():
    # faction 1 (0's ally) has 25 fighters in the town held by 0: the bloc's defenders stand
    held, _ = _tenure([0, 0], [2, 0], [[0, 25, 300], [0, 0, 0]], {0: [0, 25, 0], 1: [0, 0, 0]})
    assert held[0] == 0, f"an ally's 25 fighters defend 0's town, got {held[0]}"
    # the presence grid shows 10 of faction 0, but they are insurgent cells (`standing` counts 0)
    held, _ = _tenure([0, 0], [2, 0], [[10, 0, 300], [0, 0, 0]], {0: [0, 0, 0], 1: [0, 0, 0]})
    assert held[0] == 2, f"hidden insurgent cells hold nothing: 2 takes the town, got {held[0]}"
    # no defender at all, but 0's ally 1 controls the ground: allies do not take each other's towns
    held, calls = _tenure([0, 0], [1, 0], [[0, 0, 0], [0, 0, 0]], {0: [0, 0, 0], 1: [0, 0, 0]})
    assert held[0] == 0 and 0 not in calls, f"the ally's ground keeps 0's town, no unit looked at; got {held[0]}"


def test_an_installation_changes_hands_only_when_its_garrison_is_gone_and_another_unit_stands_there():
    # the site is 0's; its garrison (30) stands while 2 has 100 there: it stays 0's
    held, _ = _tenure([0, 0], [0, 2], [[0, 0, 0], [30, 0, 100]], {0: [0, 0, 0], 1: [30, 0, 100]})
    assert held[1] == 0, f"its garrison stands: the installation stays 0's whatever the ground, got {held[1]}"
    # the garrison is gone and 2's unit (100) stands there: 2 takes it
    held, _ = _tenure([0, 0], [0, 2], [[0, 0, 0], [0, 0, 100]], {0: [0, 0, 0], 1: [0, 0, 100]})
    assert held[1] == 2, f"garrison gone, 2's unit there: 2 takes the installation, got {held[1]}"
    # the garrison is gone and nobody came: abandoned, it stays 0's (the ground is ungoverned)
    held, calls = _tenure([0, 0], [0, UNGOVERNED], [[0, 0, 0], [0, 0, 0]], {0: [0, 0, 0], 1: [0, 0, 0]})
    assert held[1] == 0, f"an abandoned installation stays its holder's until someone arrives, got {held[1]}"
    assert 1 not in calls, "with no one at the site no unit is looked at"
    # only insurgent cells of 2 came (presence 10, standing 0): it stays 0's
    held, _ = _tenure([0, 0], [0, 2], [[0, 0, 0], [0, 0, 10]], {0: [0, 0, 0], 1: [0, 0, 0]})
    assert held[1] == 0, f"an insurgent cell does not take an installation, got {held[1]}"
    # the garrison is gone and a unit of 2 with half a fighter stands there: any unit takes it
    held, _ = _tenure([0, 0], [0, 2], [[0, 0, 0], [0, 0, 0.5]], {0: [0, 0, 0], 1: [0, 0, 0.5]})
    assert held[1] == 2, f"garrison gone, 2's unit of 0.5 there: 2 takes the installation, got {held[1]}"


def test_an_unheld_installation_goes_to_the_faction_with_most_fighters_there():
    held, _ = _tenure([0, UNGOVERNED], [0, UNGOVERNED], [[0, 0, 0], [0, 20, 60]], {0: [0, 0, 0], 1: [0, 20, 60]})
    assert held[1] == 2, f"60 of faction 2 against 20 of faction 1 at an unheld site: 2 takes it, got {held[1]}"


def _site_map():
    corridor_map = _map()
    corridor_map.places = {"Town": SimpleNamespace(name="Town", cell=(2, 2), kind="town"),
                           "Base": SimpleNamespace(name="Base", cell=(0, 0), kind="airbase")}
    return corridor_map


def test_update_starts_from_held_at_start_and_an_installation_from_its_garrison():
    """Town footprint: (2,2) and its 4 neighbours; Base: (0,0), (0,1), (1,0). Faction 1 has a
    20-fighter garrison on the base's cell, beside a 100-fighter insurgent cell of faction 2 (which
    holds nothing); the control map gives the town's ground to 0."""
    presence = np.zeros((3, 2, 5, 5))
    presence[1, 0, 0, 0] = 20
    presence[2, 0, 0, 0] = 100
    unit = SimpleNamespace(strength=20.0, kind="garrison", rc=(0, 0), faction=1, alive=True)
    cell = SimpleNamespace(strength=100.0, kind="insurgent", rc=(0, 0), faction=2, alive=True)
    influence = SimpleNamespace(controller=_controller(0, 0, 0, 0, 0), presence=presence, touched=set())
    holding = PlaceHolding(_site_map(), influence, radius_km=1.0, share=0.5, allied=ALLIED3,
                           held_at_start={"Town": 2}, units_at=lambda rc: [unit, cell] if rc == (0, 0) else [])
    assert holding.update().tolist() == [2, 1], (
        "the town starts with the declared holder 2 (not its ground, 0); the base with its garrison's faction 1")
    # the next update: faction 2 has no defender in the town, so the ground's holder 0 takes it
    assert holding.update().tolist() == [0, 1], "2's town has no defenders: it passes to the ground's holder 0"
    assert holding.changed, "the tenure changed in that update"


def test_an_installation_starts_with_its_garrison_however_small():
    """Half a fighter of faction 1 on the base's cell, the ground 0's: the base starts 1's."""
    presence = np.zeros((3, 2, 5, 5))
    presence[1, 0, 0, 0] = 0.5
    unit = SimpleNamespace(strength=0.5, kind="garrison", rc=(0, 0), faction=1, alive=True)
    influence = SimpleNamespace(controller=_controller(0, 0, 0, 0, 0), presence=presence, touched=set())
    holding = PlaceHolding(_site_map(), influence, radius_km=1.0, share=0.5, allied=ALLIED3,
                           units_at=lambda rc: [unit] if rc == (0, 0) else [])
    assert holding.update().tolist()[1] == 1, "a garrison of 0.5 fighters holds its base from the start"


def test_a_town_whose_defenders_stand_keeps_its_holder_and_the_next_town_still_changes():
    """next_tenure, two towns held by faction 0 whose ground is now faction 1's: in the first, 0's
    fighters stand (near and standing), so it stays 0's; in the second none of 0's stand, so it
    goes to 1 (each town judged on its own)."""
    held, ground = np.array([0, 0]), np.array([1, 1])
    near = np.array([[5.0, 5.0], [0.0, 5.0]])
    standing = {0: np.array([5.0, 5.0]), 1: np.array([0.0, 5.0])}
    out = _next_tenure(held, ground, near, np.array([False, False]), np.eye(2, dtype=bool), standing.__getitem__)
    assert out.tolist() == [0, 1], f"expected the first town kept by 0 and the second taken by 1, got {out.tolist()}"


def test_an_installation_with_no_unit_standing_stays_its_holders_whoever_holds_it():
    """Faction 2 holds the site; only insurgent cells of faction 0 came (presence 10, standing 0):
    nobody's regular fighters stand there, so it stays 2's (not the first faction's by default)."""
    held, _ = _tenure([0, 2], [0, 0], [[0, 0, 0], [10, 0, 0]], {0: [0, 0, 0], 1: [0, 0, 0]})
    assert held[1] == 2, f"no unit of anyone stands at the site: it stays 2's, got {held[1]}"


def test_an_installation_starts_with_the_faction_whose_units_there_add_up_to_most():
    """Two garrisons of faction 1 (20 + 20) and one of faction 2 (30) on the base's cell: the base
    starts 1's (40 > 30), each faction's units added up."""
    presence = np.zeros((3, 2, 5, 5))
    presence[1, 0, 0, 0] = 40
    presence[2, 0, 0, 0] = 30
    units = [SimpleNamespace(strength=s, kind="garrison", rc=(0, 0), faction=f, alive=True)
             for f, s in ((1, 20.0), (1, 20.0), (2, 30.0))]
    influence = SimpleNamespace(controller=_controller(0, 0, 0, 0, 0), presence=presence, touched=set())
    holding = PlaceHolding(_site_map(), influence, radius_km=1.0, share=0.5, allied=ALLIED3,
                           units_at=lambda rc: units if rc == (0, 0) else [])
    assert holding.update().tolist()[1] == 1, "faction 1's 20 + 20 outnumber faction 2's 30: the base starts 1's"


def test_holders_are_counted_again_when_a_footprint_cell_changes_hands_and_kept_otherwise():
    """The holders are kept while no cell of any footprint changes hands (a new control map whose
    change lies outside the footprint gives the same holders) and counted again when one does:
    4 of 5 cells to faction 0 hold it for 0; a corner outside the footprint turning to 2 changes
    nothing; then 3 of 5 to faction 1 hold it for 1."""
    holding = _holding(_map())
    assert holding.holders(_controller(1, 0, 0, 0, 0)).tolist() == [0], "4 of 5 cells hold the town for 0"
    outside = _controller(1, 0, 0, 0, 0)
    outside[0, 0] = 2
    assert holding.holders(outside).tolist() == [0], "a change outside the footprint leaves the holder"
    assert holding.holders(_controller(1, 1, 1, 0, 0)).tolist() == [1], (
        "3 of 5 cells to faction 1: the holders must be counted again when footprint cells change hands")


# --- the watched tenure against the plain rule (the fast path of `PlaceHolding.update`) -------
def _plain_next_tenure(held, ground, near, installation, allied, standing):
    """The tenure rule over every place, as it was computed before `tenure_watch`: `near` (P, F)
    every footprint's presence, `standing(p)` (F,) every unit counted."""
    out = held.copy()
    blocs = (held[:, None] >= 0) & allied[np.maximum(held, 0)]
    allies_ground = (ground >= 0) & blocs[np.arange(len(held)), np.maximum(ground, 0)]
    outsiders = (near * ~blocs).any(axis=1)
    for p in np.flatnonzero(np.where(installation, outsiders, (held != ground) & ~allies_ground)):
        bloc = blocs[p]
        if installation[p]:
            fighters = standing(p)
            if (fighters[bloc] > 0).any():
                continue
            others = np.where(bloc, 0.0, fighters)
            if others.max() > 0:
                out[p] = int(np.argmax(others))
        elif not ((near[p][bloc] > 0).any() and (standing(p)[bloc] > 0).any()):
            out[p] = ground[p]
    return out.astype(np.int8)


def test_the_watched_tenure_is_the_plain_rule_over_every_place_at_every_step():
    """`PlaceHolding.update` looks only at the places `tenure_watch` names (installations, and
    towns whose ground left their holder's bloc), gathers only their footprints' presence, and
    stops at a town's first defender. At every step of a seeded run (campaign_isis_resurgence,
    2 km / 2 h, 20 days: towns besieged and taken, installations with outsiders in them) its
    tenure must be byte for byte the plain rule's over every place, with every footprint's
    presence and every unit counted."""
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    loaded = load_scenario(SCENARIOS / "campaign_isis_resurgence.yaml", overrides={
        "map.cell_km": 2.0, "time.step_hours": 2, "time.duration_days": 15})
    model = CorridorModel(loaded, seed=5)
    holding = model.recorder.holding
    update, seen = holding.update, {"changed": 0, "towns looked at": 0}

    def checked():
        before, ground = holding.held, holding.holders()
        present = holding._present(*holding._footprints(np.arange(len(holding.places))))  # (F, P, K)
        expected = _plain_next_tenure(before, ground, present.sum(axis=2).T, holding.installation, holding.allied,
                                      lambda p: holding._standing(p, present[:, p]))
        watch = holding._watched(ground)[0]
        seen["towns looked at"] += int((~watch.installation).sum())
        got = update()
        assert got.dtype == np.int8 and got.tobytes() == expected.tobytes(), (
            f"step {model.steps_done}: the watched tenure {got.tolist()} is not the plain rule's {expected.tolist()}")
        assert holding.changed == bool((expected != before).any()), f"step {model.steps_done}: `changed` is wrong"
        seen["changed"] += holding.changed
        return got

    holding.update = checked
    model.run()
    assert seen["changed"] >= 2 and seen["towns looked at"] >= 100, (
        f"the run must change hands and watch towns for the check to mean anything: {seen}")


def test_a_towns_defenders_stand_exactly_when_its_bloc_has_fighters_standing_there():
    """`_defended` (the defender found last looked at first, then stopping at the first
    defender) against `_standing` (every unit counted) on random footprints: units of three
    factions, some insurgent cells, some dead (0 fighters), cells with and without presence (a
    unit on a cell whose presence rounds to 0 or below is looked at by neither), every bloc of
    the three factions in turn; then each unit dies, moves to another cell of the footprint or
    stays, and every bloc is asked again (a kept defender must still stand there)."""
    rng = np.random.default_rng(20)
    holding = _places(_map(), {"Town": (2, 2)}, radius_km=2.0)
    k = holding.cells.shape[1]
    blocs = [np.array(b, dtype=bool) for b in np.ndindex(2, 2, 2)]

    def somewhere():
        return divmod(int(holding.cells[0, rng.integers(0, holding.size[0])]), 5)

    answers = []
    for _ in range(200):
        units = [SimpleNamespace(faction=int(rng.integers(0, 3)), strength=float(rng.choice([0.0, 0.5, 12.0])),
                                 kind="insurgent" if rng.random() < 0.3 else "militia", rc=somewhere())
                 for _ in range(int(rng.integers(0, 6)))]
        present = np.where(rng.random((3, k)) < 0.6, rng.choice([-1e-12, 0.0, 5.0], size=(3, k)), 0.0)
        present[:, ~holding.valid[0]] = 0.0
        holding._units_at = lambda rc, units=units: [u for u in units if u.rc == rc]
        holding._defender = {}
        for moved in (False, True):
            if moved:
                for u in units:
                    fate = rng.random()
                    if fate < 0.3:
                        u.strength = 0.0
                    elif fate < 0.6:
                        u.rc = somewhere()
            for u in units:
                u.alive = u.strength > 0
            for bloc in blocs:
                expected = bool((holding._standing(0, present)[bloc] > 0).any())
                assert holding._defended(0, bloc, present) == expected, (
                    f"bloc {bloc.tolist()}, units {units}, presence {present.tolist()}: expected {expected}")
                answers.append(expected)
    assert 0.1 < np.mean(answers) < 0.9, f"both answers must occur often: {np.mean(answers):.2f} were 'defended'"
