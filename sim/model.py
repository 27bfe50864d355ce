"""The Corridor model: assembly from a validated scenario, and the order of one step.

Build it from a loaded scenario and a seed, run it, take its results:

    model = CorridorModel(load_scenario("scenarios/albu_kamal_blockade.yaml"), seed=1)
    result = model.run()            # -> sim.results.result.RunResult
"""

from __future__ import annotations

import heapq
import itertools

import mesa
import numpy as np
from tqdm import tqdm

from sim.agents.base import Unit
from sim.agents.convoy import Convoy
from sim.agents.garrison import Garrison
from sim.agents.insurgent import Insurgency, InsurgentCell
from sim.agents.local_militia import LocalMilitia
from sim.agents.militia import Militia
from sim.agents.planner import FactionPlanner
from sim.geography import Terrain
from sim.mesa_compat import MesaConventions, seed_from
from sim.results.event_log import EventLog, clock_text
from sim.results.recorder import Recorder
from sim.rules import build_rules
from sim.scenario import LoadedScenario
from sim.streams import RandomStreams
from sim.submodels.economy import Economy
from sim.submodels.engagement import Engagements
from sim.submodels.front import FrontContacts
from sim.submodels.influence import InfluenceField
from sim.submodels.population import Population
from sim.submodels.stamps import one_blas_thread
from sim.submodels.tempo import OperationalTempo
from sim.submodels.tension import TensionLedger
from sim.submodels.timeline import Timeline
from sim.world.calendar import Calendar
from sim.world.factions import ALLIED, HOSTILE, Factions
from sim.world.grid import PlacementGrid
from sim.world.spatial import Space

STANDING_KINDS = {"militia": Militia, "garrison": Garrison, "local_militia": LocalMilitia}


class CorridorModel(MesaConventions, mesa.Model):
    """One run of a scenario.

    Order of one step (``step``), written down once:

    1. **Events** due now change the world (spawn forces, send convoys, set a rule parameter,
       switch a rule on or off).
    2. **Wake-ups** due now: faction planners decide (on their planning cycle, agents/planner.py),
       convoys depart, patrols take their next leg, insurgent cells relocate. Units with nothing
       due cost nothing.
    3. **Economy**: funding pays upkeep and sets what recruitment can buy this step; unpaid
       fighters desert (sim/submodels/economy.py). Then the **rules** act, in the order the scenario lists
       them (after `extends`, the merged order: a base file's rules first).
    4. **Movers** advance along their paths: convoys (meeting checkpoints on the way) and units
       travelling to reinforce or returning home.
    5. **Insurgent cells** ambush (at their faction's operational tempo, ``tempo``,
       sim/submodels/tempo.py), and patrols detect and suppress them (``insurgency``,
       `sim.agents.insurgent.Insurgency`); raids and probes along the **fronts** of hostile
       factions (``front``, sim/submodels/front.py).
    6. **Engagements** (``engagements``, sim/submodels/engagement.py): hostile units in range fight
       (Lanchester attrition over the step); insurgent cells only while patrols have them in the
       open. A clash's consequences (recorder, population harm, tension, the log) are the stage's.
    7. **Influence and control**: fields relax toward the units' presence and control is
       classified again, every 4 simulated hours (`UPDATE_HOURS`, sim/submodels/influence.py;
       every k-th step, k = max(1, round(4 h / step_hours))); in between they stay as they were.
       **Tension** decays and relations escalate or calm past their thresholds (sim/submodels/tension.py);
       once a day the **population**'s support follows control and harm (sim/submodels/population.py).
    8. **Observation** of the step's outcomes into preallocated arrays.

    The clock is Mesa's own step counter, `steps` (Mesa's step wrapper adds one as a step
    *begins*, before ``step`` runs). Derived from it:

    - ``hours`` (float, simulated hours since the start): while step k runs (k from 0) it is
      the start of that step, k × ``step_hours``, so that events, wake-ups and incidents of the
      step are stamped at its start; once the step is done, and before the first, it is the
      end of the last step, ``steps`` × ``step_hours``, the time the observation is stamped with.
    - ``steps_done`` (int): steps completed, ``hours`` / ``step_hours``; equal to ``steps``
      between steps, one less while a step runs.

    Where things are and what is near them: ``space`` (`sim.world.spatial.Space`). An incident for
    the event log and the incident counts: ``recorder.incident`` (`sim.results.recorder.Recorder`).

    Mesa's ``time`` is left alone: it counts steps (1.0 each), not hours. Mesa's conventions
    (``running``, steps past the end, ``datacollector``): `sim.mesa_compat.MesaConventions`.
    """

    def __init__(self, loaded: LoadedScenario, seed: int | None = None, *, rng=None,
                 frame_every_hours: float = 24.0, agent_data: bool = False):
        """Build the model of `loaded` (a `sim.scenario.LoadedScenario`).

        The seed: `rng` (Mesa's name: an int, a `numpy.random.SeedSequence` or `Generator`,
        reduced to an int seed by `sim.mesa_compat.seed_from`) or `seed` (an int, kept as an
        alias); neither gives the scenario's `seed`. Both at once is a `ValueError`.
        `frame_every_hours`: hours between the map snapshots kept for drawing; `agent_data`: put their units in the DataCollector."""
        spec = loaded.spec
        self.seed_value = seed_from(seed, rng, spec.seed)
        super().__init__(rng=self.seed_value)
        self.loaded, self.agent_data = loaded, agent_data
        self.spec = spec
        self.map = loaded.map
        self.streams = RandomStreams(self.seed_value)
        self.step_hours = float(spec.time.step_hours)
        self.n_steps = max(1, int(round(spec.time.duration_days * 24.0 / self.step_hours)))
        self.hours = self.steps * self.step_hours  # see "the clock" in the class docstring
        self.calendar = Calendar(spec.time.start_date, self.step_hours)

        self.factions = Factions.from_scenario(spec)
        self.grid = PlacementGrid(self.map.shape, torus=False, random=self.random)
        c = spec.control
        self.influence = InfluenceField(
            len(self.factions), self.map.bank, self.map.cell_km, kernel_km=c.kernel_km,
            patrol_kernel_km=c.patrol_kernel_km, decay_days=c.decay_days, step_hours=self.step_hours,
            threshold_per_km2=c.threshold_per_km2, margin=c.margin, bridge_reach_km=c.bridge_reach_km,
            tail_ratio=c.tail_ratio, crossings=self.map.terrain == Terrain.BRIDGE)
        self.influence.set_allies(self.factions.relation == ALLIED)
        self.log = EventLog(self.calendar)
        self.tension = TensionLedger(self)
        self.population: Population | None = None  # built once the rules are set up
        self.recorder = Recorder(self, frame_every_hours)
        self.space = Space(self)  # spatial queries and paths: sim/world/spatial.py

        # registries, each kept by one setter on Unit (moving, on_patrol, in_the_open)
        self.movers: dict[Unit, None] = {}   # units travelling this step, in insertion order
        self.patrols: dict[Unit, None] = {}  # units on patrol (they detect insurgents)
        self.in_the_open: dict[Unit, None] = {}  # insurgent cells that patrols have found
        self.convoys: list[Convoy] = []
        self.checkpoints: list = []
        self._wakeups: list = []
        self._wake_seq = itertools.count()
        self._labels: dict[tuple[int, str], itertools.count] = {}
        self._places: dict[str, object] = {}  # `place`: the places asked for, by the name asked with

        self.economy = Economy(self)
        self.tempo = OperationalTempo(spec.insurgents.tempo_sd, spec.insurgents.tempo_days, self.streams,
                                      self.factions.ids)  # insurgent factions' campaigns and lulls
        self.insurgency = Insurgency(self)
        self.front = FrontContacts(self)
        self.rules = build_rules(loaded.rules, self)
        self.rules_by_key = {r.key: r for r in self.rules}
        for rule in self.rules:  # e.g. deconfliction lines: the deployment must respect them
            if rule.setup_before_deployment:
                rule.setup()
        for force in spec.forces:
            self.spawn_force(force, depart_hours=None)
        for rule in self.rules:
            if not rule.setup_before_deployment:
                rule.setup()
        self.population = Population(self, spec.population) if spec.population is not None else None
        #: an outside command that may choose among a planner's scored options (agents/planner.py,
        #: `decide`): called as chooser(planner, options, best) -> (option or None, by) or None
        self.chooser = None
        self.planners = {i: FactionPlanner(self, i, spec.factions[f].planner)
                         for i, f in enumerate(self.factions.ids) if spec.factions[f].planner}
        self.timeline = Timeline(spec.events, self)
        self.engagements = Engagements(self)  # who can fight, the battles, a clash's consequences
        self.influence.settle()
        self.recorder.record()

    # =========================================================================== the step
    def step(self) -> None:
        self.hours = (self.steps - 1) * self.step_hours  # Mesa has already counted this step
        self.timeline.apply_due(self.hours)
        self._wake_due()
        self.economy.update()
        for rule in self.rules:
            if rule.enabled:
                rule.apply()
        for unit in list(self.movers):
            if unit.alive:
                unit.step()
        self.insurgency.update()
        self.front.update()
        self.engagements.update()
        self.influence.update()
        self.tension.update()
        if self.population is not None:
            self.population.update()
        self.hours = self.steps * self.step_hours
        self.recorder.record()
        if self.steps >= self.n_steps:
            self.running = False  # Mesa's convention: `while model.running: model.step()`

    def run(self, progress: bool = False):
        """Run the steps still to go to the end; return the whole run's `sim.results.result.RunResult`.
        numpy's BLAS is held to one thread for the whole run (the stamps' products,
        sim/submodels/stamps.py: set once, not at every update)."""
        steps = range(self.steps, self.n_steps)
        if progress:  # no tqdm object at all otherwise: its monitor thread would outlive the run
            steps = tqdm(steps, desc=self.spec.name, unit="step", leave=False)
        with one_blas_thread():
            for _ in steps:
                self.step()
        return self.recorder.result()

    # =========================================================================== time
    @property
    def steps_done(self) -> int:
        """Steps completed: 0 before the first, k while step k runs (from 0), k + 1 after it."""
        return round(self.hours / self.step_hours)

    def clock(self) -> str:
        """The clock as the event log words it (`sim.results.event_log.clock_text`)."""
        return clock_text(self.hours, self.calendar)

    def wake_at(self, unit: Unit, hours: float) -> None:
        heapq.heappush(self._wakeups, (hours, next(self._wake_seq), unit))

    def _wake_due(self) -> None:
        wakeups, due = self._wakeups, self.hours + 1e-9  # (no wake-up moves the clock)
        while wakeups and wakeups[0][0] <= due:
            _, _, unit = heapq.heappop(wakeups)
            if unit.alive:
                unit.wake()

    # =========================================================================== forces
    def place(self, name: str):
        """The map's Place called `name` (a scenario's place name or alias); found once per name
        (the planners ask for the same few places every day). Raises KeyError for none."""
        place = self._places.get(name)
        if place is None:
            place = self._places[name] = self.map.find_place(name)
        return place

    def spawn_force(self, force, depart_hours: float | None) -> list[Unit]:
        """Put a scenario force on the map (at the start, or when an event spawns it)."""
        faction = self.factions.index(force.faction)
        rng = self.streams[f"deploy:{force.faction}"]  # sim/streams.py, DEPLOY
        made: list[Unit] = []
        if force.kind == "convoy":
            start = self.place(force.start)
            depart = force.depart_day * 24.0 if depart_hours is None else depart_hours
            for i in range(force.units):
                label = force.label or "convoy"
                if force.units > 1:
                    label = f"{label}-{i + 1}"
                made.append(Convoy(self, faction, force.strength, start.cell, label, start=start.name,
                                   route=list(force.route), depart_hours=depart,
                                   speed_factor=force.speed_factor, orders=force.orders))
            return made
        cells = self._deployment_cells(force.deploy, faction, desert_only=force.kind == "insurgent")
        if len(cells) == 0:
            return made
        for i in range(force.units):
            rc = cells[i % len(cells)] if force.deploy.at else cells[int(rng.integers(len(cells)))]
            rc = (int(rc[0]), int(rc[1]))
            label = f"{force.label or force.kind} {i + 1}" if force.units > 1 else (force.label or force.kind)
            if force.kind == "insurgent":
                made.append(InsurgentCell(self, faction, force.strength, rc, label))
            elif force.kind == "local_militia":
                made.append(LocalMilitia(self, faction, force.strength, rc, label, force.posture,
                                         loyalty=force.loyalty))
            else:
                made.append(STANDING_KINDS[force.kind](self, faction, force.strength, rc, label, force.posture, force.fortification))
        return made

    def spawn_unit(self, kind: str, faction: int, strength: float, *, near, radius_km: float,
                   label: str, stream, posture: str = "hold") -> Unit | None:
        """A new standing unit near a place (reinforcements)."""
        cells = self.space.cells_near(near.cell, radius_km, faction, same_bank=True)
        if len(cells) == 0:
            return None
        rc = cells[int(stream.integers(len(cells)))]
        return STANDING_KINDS[kind](self, faction, strength, (int(rc[0]), int(rc[1])), label, posture)

    def _deployment_cells(self, deploy, faction: int, desert_only: bool) -> np.ndarray:
        if deploy.near is not None:
            cells = self.space.cells_near(self.place(deploy.near).cell, deploy.radius_km, faction, same_bank=True,
                                     desert_only=desert_only)
        elif deploy.lonlat is not None:
            cells = self.space.cells_near(self.map.cell_of_lonlat(*deploy.lonlat), deploy.radius_km, faction,
                                          same_bank=True, desert_only=desert_only)
        elif deploy.region is not None:
            cells = self.map.region_cells(deploy.region)
            ok = self.map.land[cells[:, 0], cells[:, 1]] & ~self.space.forbidden_mask(faction)[cells[:, 0], cells[:, 1]]
            if desert_only:
                ok &= self.map.terrain[cells[:, 0], cells[:, 1]] == Terrain.DESERT
            cells = cells[ok]
        else:
            cells = np.array([self.place(p).cell for p in deploy.at])
        return cells

    def next_label(self, faction: int, stem: str) -> str:
        counter = self._labels.setdefault((faction, stem), itertools.count(1))
        return f"{stem} {next(counter)}"

    def faction_strength(self, faction: int) -> float:
        """Fighters of `faction` on the map (`InfluenceField.faction_strength`)."""
        return self.influence.faction_strength(faction)

    # =========================================================================== relations
    def is_hostile(self, f: int, g: int) -> bool:
        return self.factions.relation[f, g] == HOSTILE

    def set_relation(self, f: int, g: int, code: int) -> None:
        """Change the relation of two factions during the run (tension escalates or calms it);
        which factions can fight is worked out again."""
        self.factions.relation[f, g] = self.factions.relation[g, f] = code
        self.engagements.relations_changed()
