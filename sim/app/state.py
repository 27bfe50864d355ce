"""The web app's state apart from any widget: which scenario and settings each side runs (the
controls and what a scenario offers them are `sim.app.controls`), the model runs it drives (one, or two side by side on one seed), going to any step of a run (ahead,
or back by a deterministic replay from the seed with the recorded interventions), and the
teacher's interventions. What the monitors show is read by `sim.app.monitors`; the export is
`sim.app.export`.

`sim.app.page` only wires widgets to a `Controller`; the tests drive a `Controller` directly, so
what a button does is tested without a browser. Nothing here imports Solara.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.app.controls import (
    CONTROLS_BY_NAME,
    ScenarioInfo,
    Value,
    loaded_scenario,
    overrides_for,
    scenario_info,
)
from sim.app.interventions import Intervention
from sim.app.monitors import holder_label
from sim.model import CorridorModel
from sim.program.errors import UserError
from sim.program.folders import DEFAULT_SCENARIO
from sim.results.recorder import ONLY_FIRST_AND_LAST_FRAME

#: seeds the app accepts (numpy's generators take 0 … 2**32 - 1 and more, but a class types small ones)
SEED_MAX = 2**32 - 1
#: entries the event log keeps on screen
LOG_LINES = 400
#: steps between two progress reports while going to another time (a few per second)
PROGRESS_EVERY = 50
#: simulated hours shown per frame while playing, the choices of the speed control
SPEEDS_HOURS = (1, 3, 6, 12, 24)


class LiveRun:
    """One model run the app drives: built from a scenario, control values and a seed, then
    stepped in place. The teacher's interventions are recorded with the step they were made
    at, so that `replayed(step)` rebuilds the same run up to any earlier (or later) step."""

    def __init__(self, path: str | Path, values: dict[str, Value] | None = None, seed: int | None = None,
                 overrides: dict[str, object] | None = None, interventions: tuple[Intervention, ...] = ()):
        self.info = scenario_info(path)
        self.values = {**self.info.defaults,
                       **{k: v for k, v in (values or {}).items() if k in self.info.defaults}}
        self.extra_overrides = dict(overrides or {})  # any other `--set` given on the command line
        self.overrides = {**overrides_for(self.info, self.values), **self.extra_overrides}
        self.loaded = loaded_scenario(self.info.path, tuple(sorted(self.overrides.items())),
                              self.info.path.stat().st_mtime_ns)
        # no map snapshots on the way: the app draws the model as it is, and the export's animation
        # draws its frames from a replay (sim.app.export), so that a year keeps no 79 MB of them
        self.model = CorridorModel(self.loaded, seed, frame_every_hours=ONLY_FIRST_AND_LAST_FRAME)
        corridor_map = self.model.map
        self.land_km2 = float(corridor_map.land.sum()) * corridor_map.km2_per_cell
        places = [p.name for p in self.model.recorder.places]
        name = self.info.key_place
        self.key_place = places.index(name) if name in places else None
        #: recorded interventions, in order; those after the current step are replayed as it passes them
        self.interventions: list[Intervention] = list(interventions)
        self._apply_due()

    @property
    def seed(self) -> int:
        return self.model.seed_value

    @property
    def finished(self) -> bool:
        return self.model.steps >= self.model.n_steps

    @property
    def key_place_name(self) -> str | None:
        return self.info.key_place

    def _apply_due(self) -> None:
        steps = self.model.steps
        for iv in self.interventions:
            if iv.step == steps:
                iv.apply(self.model)

    def advance(self, steps: int = 1, stop: threading.Event | None = None,
                progress: Callable[[float], None] | None = None) -> int:
        """Step the model up to `steps` times (not past its end; not after `stop` is set),
        replaying recorded interventions as their steps come; return how many were taken.
        `progress(share done 0–1)` is told every `PROGRESS_EVERY` steps."""
        taken = 0
        while taken < steps and not self.finished and not (stop is not None and stop.is_set()):
            self.model.step()
            taken += 1
            self._apply_due()
            if progress is not None and taken % PROGRESS_EVERY == 0:
                progress(taken / steps)
        return taken

    def intervene(self, kind: str, rule: str, param: str | None = None, value: Value | None = None) -> Intervention:
        """Apply an intervention now and record it; recorded ones after now (left from a
        rewind) are dropped: the run takes a new branch."""
        iv = Intervention(self.model.steps, kind, rule, param, value)
        iv.apply(self.model)
        self.interventions = [i for i in self.interventions if i.step <= iv.step] + [iv]
        return iv

    def replayed(self, step: int, stop: threading.Event | None = None,
                 progress: Callable[[float], None] | None = None) -> LiveRun:
        """The same run (scenario, settings, seed, interventions) rebuilt and run to `step`."""
        run = LiveRun(self.info.path, self.values, self.seed, self.extra_overrides, tuple(self.interventions))
        run.advance(max(0, min(step, run.model.n_steps)), stop, progress)
        return run

    # ------------------------------------------------------------------ monitors
    def parameter(self, name: str) -> Value | None:
        """The value the running model uses for a control (events may have changed it), or None
        when the scenario has no rule for it."""
        key = self.info.rule_keys.get(name)
        if key is None:
            return None
        rule = self.model.rules_by_key[key]
        control = CONTROLS_BY_NAME[name]
        return bool(rule.enabled) if control.is_switch else float(getattr(rule.params, control.param))

    def key_place_holder(self) -> str:
        if self.key_place is None:
            return "n/a (no such place on this map)"
        rec = self.model.recorder
        return holder_label(self.model, int(rec.holder[rec.rows - 1, self.key_place]))

    def land_bridge_route(self) -> str:
        """The land bridge the scenario observes, e.g. 'Albu Kamal crossing → … → Deir ez-Zor'."""
        return " → ".join(p.name for p in self.model.recorder.bridge_places)

    def log_newest_first(self, limit: int = LOG_LINES) -> list[tuple[str, str, int]]:
        """(kind, 'day D HH:MM — text', step) for the latest `limit` entries, newest first."""
        entries = self.model.log.entries[-limit:]
        return [(e.kind, e.narrative(), e.step) for e in reversed(entries)]

    def due_at_start(self) -> list[str]:
        """What the timeline will do in the first step (e.g. arrivals at day 0), before it runs."""
        model = self.model
        return [e.note or "a timeline event" for hours, e in model.timeline.pending if hours < model.step_hours]

    def shares(self) -> dict[str, np.ndarray]:
        """Share of the land per faction id, plus 'contested' and 'ungoverned', per recorded step,
        and 'day'."""
        rec = self.model.recorder
        n = rec.rows
        out = {"day": rec.hours[:n] / 24.0}
        for j, f in enumerate(self.model.factions.ids):
            out[f] = rec.area_km2[:n, j] / self.land_km2
        out["contested"] = rec.contested[:n]
        out["ungoverned"] = rec.ungoverned[:n]
        return out

def _part(progress: Callable[[float], None] | None, i: int, n: int) -> Callable[[float], None] | None:
    """`progress` for the i-th of n runs done one after another (its share scaled into the whole)."""
    if progress is None:
        return None
    return lambda share: progress((i + share) / n)


@dataclass
class Side:
    """One side of the app: a scenario file, the control values set on its sliders (applied at
    the next reset) and the run built from the values last applied."""

    path: Path
    pending: dict[str, Value]
    run: LiveRun

    @property
    def changed(self) -> bool:
        """Do the sliders differ from what the run uses (so that a reset is needed)?"""
        return self.pending != self.run.values


class Controller:
    """Everything one browser tab knows apart from its widgets: one side, or two side by side
    that share a seed and step together, so that a class sees what one change did."""

    def __init__(self, scenario: str | Path = DEFAULT_SCENARIO, seed: int | None = None):
        self.lock = threading.RLock()  # the play loop and the buttons both step the models
        self.seed = seed  # None: the (first) scenario's own seed
        info = scenario_info(scenario)
        self.sides: list[Side] = [Side(info.path, dict(info.defaults), LiveRun(info.path, seed=self._seed(info)))]

    def _seed(self, info: ScenarioInfo) -> int:
        return info.seed if self.seed is None else self.seed

    @property
    def run_seed(self) -> int:
        return self.sides[0].run.seed

    @property
    def comparing(self) -> bool:
        return len(self.sides) == 2

    @property
    def finished(self) -> bool:
        return all(side.run.finished for side in self.sides)

    def advance(self, hours: float, stop: threading.Event | None = None) -> None:
        """Advance every side by the same simulated time (at least one step each), so that
        sides with different step lengths stay in step. Once `stop` is set (Pause while a
        frame is under way) the sides stop where they are, between two steps, when they share
        a step length: they go step by step in turn, so they stop at the same simulated time;
        sides with different step lengths finish the frame."""
        with self.lock:
            runs = [side.run for side in self.sides]
            if stop is None or len({run.model.step_hours for run in runs}) > 1:
                for run in runs:
                    run.advance(max(1, round(hours / run.model.step_hours)))
                return
            for _ in range(max(1, round(hours / runs[0].model.step_hours))):
                if stop.is_set():
                    return
                for run in runs:
                    run.advance(1)

    def set_value(self, side: int, name: str, value: Value) -> None:
        """A slider moved: remembered, applied at the next reset."""
        if name not in self.sides[side].run.info.defaults:
            raise KeyError(f"{self.sides[side].path.name} has no rule for the control '{name}'")
        with self.lock:
            self.sides[side].pending[name] = value

    def set_seed(self, seed: int | None) -> None:
        """A new seed, applied at the next reset (None: the scenario's own); UserError, and no
        change, unless it is a whole number from 0 to `SEED_MAX`."""
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX):
            raise UserError(f"Seed: expected a whole number from 0 to {SEED_MAX}, found {seed}")
        self.seed = seed

    @property
    def steps(self) -> int:
        """Steps done by the first side (every side has run the same simulated time)."""
        return self.sides[0].run.model.steps

    def rewind(self, step: int, stop: threading.Event | None = None,
               progress: Callable[[float], None] | None = None) -> None:
        """Every side replayed from its seed and recorded interventions to `step` of the first
        side (sides with other step lengths to the same simulated time)."""
        hours = max(0, step) * self.sides[0].run.model.step_hours
        with self.lock:
            runs = [side.run for side in self.sides]
        built = [run.replayed(round(hours / run.model.step_hours), stop, _part(progress, i, len(runs)))
                 for i, run in enumerate(runs)]
        if stop is not None and stop.is_set():
            return
        with self.lock:
            for side, run in zip(self.sides, built, strict=True):
                side.run = run

    def go_to(self, step: int, stop: threading.Event | None = None,
              progress: Callable[[float], None] | None = None) -> None:
        """To `step` of the first side: on from here if it lies ahead, else by `rewind`;
        `progress(share done 0–1)` is told as it goes. No frame is drawn on the way."""
        step = max(0, min(int(step), self.sides[0].run.model.n_steps))
        with self.lock:
            ahead = step - self.steps
            if ahead >= 0:
                hours = ahead * self.sides[0].run.model.step_hours
                for i, side in enumerate(self.sides):
                    side.run.advance(round(hours / side.run.model.step_hours), stop,
                                     _part(progress, i, len(self.sides)))
                return
        self.rewind(step, stop, progress)

    def intervene(self, side: int, kind: str, rule: str, param: str | None = None,
                  value: Value | None = None) -> Intervention:
        """Apply an intervention to one side's run now (logged, and replayed on rewind); a slider
        applied now also becomes its pending value, so that a reset keeps it."""
        with self.lock:
            the_side = self.sides[side]
            iv = the_side.run.intervene(kind, rule, param, value)
            for name, key in the_side.run.info.rule_keys.items():
                control = CONTROLS_BY_NAME[name]
                if key == rule and control.param == param:
                    the_side.pending[name] = value
                    the_side.run.values[name] = value
            return iv

    def reset(self) -> None:
        """Rebuild every side from its scenario and slider values, all on one seed."""
        info = scenario_info(self.sides[0].path)
        seed = self._seed(info)
        built = [LiveRun(side.path, side.pending, seed) for side in self.sides]
        with self.lock:
            for side, run in zip(self.sides, built, strict=True):
                side.run = run

    def choose_scenario(self, side: int, path: str | Path) -> None:
        """Switch a side to another scenario, at that scenario's own settings. When comparing,
        both sides start again together (on one seed), so that they stay in step."""
        info = scenario_info(path)
        if not self.comparing:
            run = LiveRun(info.path, seed=self._seed(info))
            with self.lock:
                self.sides[0] = Side(info.path, dict(info.defaults), run)
            return
        with self.lock:
            old = self.sides[side]
            self.sides[side] = Side(info.path, dict(info.defaults), old.run)
            try:
                self.reset()
            except UserError:
                self.sides[side] = old
                raise

    def compare(self, on: bool) -> None:
        """Side by side on: the second side starts as a copy of the first (same scenario,
        settings and seed), ready for one change; off: back to the first side alone. Either way
        both start again from the beginning."""
        with self.lock:
            if on and not self.comparing:
                first = self.sides[0]
                self.sides.append(Side(first.path, dict(first.pending), first.run))
            elif not on and self.comparing:
                del self.sides[1]
        self.reset()
