"""The places' tenure skips its look when nothing it reads has changed (sim/submodels/holding.py,
`PlaceHolding.update`): the tenure and the ground the same arrays, and no presence changed on a
watched footprint since the last look that changed nothing (`InfluenceField.touched`). Each skipped
step must give the tenure a full look would give."""

from types import SimpleNamespace

import numpy as np

import sim.submodels.holding as holding_module
from sim.submodels.holding import PlaceHolding, next_tenure, tenure_watch
from sim.submodels.influence import InfluenceField

from conftest import SCENARIOS

#: factions 0 and 1 allied, 2 hostile to both
ALLIED3 = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1]], dtype=bool)


def _field(shape, n_factions=3):
    return InfluenceField(n_factions, np.ones(shape, dtype=np.int8), 1.0, kernel_km=1.0, patrol_kernel_km=2.0,
                          decay_days=2.0, step_hours=1.0, threshold_per_km2=1.0, margin=0.2, bridge_reach_km=1.0)


class _Unit(SimpleNamespace):
    """A unit whose every change goes through the presence, as agents/base.py's do."""

    def __init__(self, influence, faction, strength, rc, kind="garrison"):
        super().__init__(influence=influence, faction=faction, strength=strength, rc=rc, kind=kind, layer=0)
        influence.add(faction, 0, rc, strength)

    @property
    def alive(self):
        return self.strength > 0.0

    def move_to(self, rc):
        self.influence.add(self.faction, self.layer, self.rc, -self.strength)
        self.influence.add(self.faction, self.layer, rc, self.strength)
        self.rc = rc

    def lose(self, fighters):
        lost = min(fighters, self.strength)
        self.influence.add(self.faction, self.layer, self.rc, -lost)
        self.strength -= lost

    def switch_faction(self, faction):
        self.influence.add(self.faction, self.layer, self.rc, -self.strength)
        self.influence.add(faction, self.layer, self.rc, self.strength)
        self.faction = faction


def _full_look(holding):
    """The tenure a full look gives now: the watch made afresh, every watched footprint gathered."""
    held, ground = holding.held, holding.holders()
    watch = tenure_watch(held, ground, holding.installation, holding.allied)
    present = holding._present(*holding._footprints(watch.rows))
    return next_tenure(held, ground, watch, present.sum(axis=2).T,
                       lambda w: holding._standing(watch.rows[w], present[:, w]),
                       lambda w: bool((holding._standing(watch.rows[w], present[:, w])[watch.blocs[w]] > 0).any()))


def _check_every_update(model, steps: list | None = None) -> None:
    """Make `model`'s place tenure check each update against a full look, byte for byte (the steps
    checked appended to `steps`)."""
    holding = model.recorder.holding
    update = holding.update

    def checked():
        expected = _full_look(holding)
        got = update()
        assert got.tobytes() == expected.tobytes(), (
            f"step {model.steps_done}: {got.tolist()}, a full look gives {expected.tolist()}")
        if steps is not None:
            steps.append(model.steps_done)
        return got

    holding.update = checked


def _looks(monkeypatch):
    """Count the full looks `PlaceHolding.update` takes (its calls of `next_tenure`)."""
    looks = []
    monkeypatch.setattr(holding_module, "next_tenure", lambda *a: looks.append(1) or next_tenure(*a))
    return looks


def test_a_quiet_base_is_looked_at_again_when_its_garrison_becomes_an_insurgent_cell_of_the_same_size(monkeypatch):
    """A base (0, 0) (footprint (0, 0), (0, 1), (1, 0)) held by faction 1's 20-fighter garrison at
    (0, 1), a unit of faction 2 (10) at (1, 0). While nothing changes on the footprint the base is
    not looked at again (a change elsewhere does not count); when the garrison is replaced by an
    insurgent cell of faction 1 with the same 20 fighters on the same cell (the presence the same,
    bit for bit), the garrison is gone and 2 takes the base."""
    corridor_map = SimpleNamespace(shape=(5, 5), cell_km=1.0, land=np.ones((5, 5), dtype=bool),
                                   bank=np.ones((5, 5), dtype=np.int8),
                                   places={"Base": SimpleNamespace(name="Base", cell=(0, 0), kind="airbase")})
    influence = _field((5, 5))
    influence.controller = np.zeros((5, 5), dtype=np.int8)
    units = [_Unit(influence, 1, 20.0, (0, 1)), _Unit(influence, 2, 10.0, (1, 0))]
    holding = PlaceHolding(corridor_map, influence, radius_km=1.0, share=0.5, allied=ALLIED3,
                           units_at=lambda rc: [u for u in units if u.rc == rc and u.alive])
    looks = _looks(monkeypatch)
    assert holding.update().tolist() == [1], "the base starts with its garrison's faction 1"
    assert holding.update().tolist() == [1] and len(looks) == 1, "its garrison stands: it stays 1's"
    far = _Unit(influence, 2, 5.0, (4, 4))
    far.move_to((3, 4))
    assert holding.update().tolist() == [1] and len(looks) == 1, "nothing changed on its footprint: no look"
    before = influence.presence.tobytes()
    units[0].lose(20.0)
    units.append(_Unit(influence, 1, 20.0, (0, 1), kind="insurgent"))
    assert influence.presence.tobytes() == before, "the set-up: the presence is the same, bit for bit"
    assert holding.update().tolist() == [2], (
        "the garrison is gone (an insurgent cell holds nothing) and 2's unit stands there: 2 takes the base")
    assert len(looks) == 2


def test_the_tenure_with_looks_skipped_is_the_full_looks_on_random_units(monkeypatch):
    """200 rounds on a 7 × 7 map with two towns and a base: units of three factions (some
    insurgent cells) move, lose and gain fighters, die, change sides or are replaced by an
    insurgent cell of the same size; now and then the control map changes. After every round the
    tenure must be byte for byte what a full look gives, and some looks must have been skipped."""
    rng = np.random.default_rng(9)
    shape = (7, 7)
    places = {"North": SimpleNamespace(name="North", cell=(1, 1), kind="town"),
              "South": SimpleNamespace(name="South", cell=(5, 4), kind="town"),
              "Base": SimpleNamespace(name="Base", cell=(3, 5), kind="base")}
    corridor_map = SimpleNamespace(shape=shape, cell_km=1.0, land=np.ones(shape, dtype=bool),
                                   bank=np.ones(shape, dtype=np.int8), places=places)
    influence = _field(shape)
    influence.controller = rng.integers(-2, 3, size=shape).astype(np.int8)

    def somewhere():
        return int(rng.integers(0, 7)), int(rng.integers(0, 7))

    units = [_Unit(influence, int(rng.integers(0, 3)), float(rng.choice([0.5, 8.0, 20.0])), somewhere(),
                   kind="insurgent" if rng.random() < 0.25 else "militia") for _ in range(8)]
    holding = PlaceHolding(corridor_map, influence, radius_km=1.5, share=0.5, allied=ALLIED3,
                           units_at=lambda rc: [u for u in units if u.rc == rc and u.alive])
    holding.update()
    looks = _looks(monkeypatch)
    for i in range(200):
        for _ in range(int(rng.integers(0, 3))):
            alive = [u for u in units if u.alive] or [_Unit(influence, 0, 8.0, somewhere())]
            units += alive if len(alive) == 1 and alive[0] not in units else []
            u, event = alive[int(rng.integers(0, len(alive)))], rng.random()
            if event < 0.4:
                u.move_to(somewhere())
            elif event < 0.55:
                u.lose(float(rng.choice([1.0, u.strength])))
            elif event < 0.65:
                u.influence.add(u.faction, u.layer, u.rc, 3.0)
                u.strength += 3.0
            elif event < 0.75:
                u.switch_faction(int(rng.integers(0, 3)))
            elif event < 0.85:
                strength = u.strength
                u.lose(strength)
                units.append(_Unit(influence, u.faction, strength, u.rc, kind="insurgent"))
            else:
                units.append(_Unit(influence, int(rng.integers(0, 3)), 8.0, somewhere()))
        if rng.random() < 0.1:
            influence.controller = rng.integers(-2, 3, size=shape).astype(np.int8)
        expected = _full_look(holding)
        got = holding.update()
        assert got.tobytes() == expected.tobytes(), f"round {i}: {got.tolist()}, a full look gives {expected.tolist()}"
    assert 20 < len(looks) < 180, f"both skipped and full looks must occur often: {len(looks)} looks in 200 rounds"


def test_the_tenure_with_looks_skipped_is_the_full_looks_at_every_step_of_a_seeded_run(monkeypatch):
    """albu_kamal_blockade for 5 days (seed 1; convoys, checkpoints and militias moving around
    the towns): before every update, what a full look gives; the update must give it byte for
    byte, and skip its look on many steps (about two in three)."""
    from sim.model import CorridorModel
    from sim.scenario import load_scenario

    model = CorridorModel(load_scenario(SCENARIOS / "albu_kamal_blockade.yaml", overrides={"time.duration_days": 5}),
                          seed=1)
    steps = []
    looks = _looks(monkeypatch)

    _check_every_update(model, steps)
    model.run()
    assert len(steps) == model.n_steps and 10 < len(looks) < 0.8 * model.n_steps, (
        f"{len(looks)} full looks in {model.n_steps} steps: the run must skip looks for the check to mean anything")


def test_touched_footprints_whose_defenders_stand_skip_the_look_and_give_the_full_looks_tenure(monkeypatch):
    """corridor_campaign for 30 days at 2 km / 2 h (garrisons at the bases, crossings and oil
    fields gaining and losing fighters, militias patrolling near them): before every update, what
    a full look gives; the update must give it byte for byte, and most steps whose watched
    footprints were touched must be answered by the defenders standing there
    (`_defenders_stand`), not by a look."""
    from conftest import coarse_model

    model = coarse_model("corridor_campaign.yaml", days=30.0)
    holding = model.recorder.holding
    stand, defenders_stand = [], holding._defenders_stand
    looks = _looks(monkeypatch)

    _check_every_update(model)
    holding._defenders_stand = lambda *a: stand.append(defenders_stand(*a)) or stand[-1]
    model.run()
    assert sum(stand) > 100 and len(looks) < sum(stand) / 3, (
        f"{sum(stand)} of {len(stand)} touched steps answered by standing defenders, {len(looks)} full looks")
